#!/usr/bin/env bash
# cli_repeats.sh: an option given twice. The parser kept the last value of a repeated plain option in
# silence, in every command: `optimal --published epoch2024_replication --compute 1e24 --gpu h100
# --gpu a100` costed on A100, `fit --law power --law chinchilla` fitted chinchilla, `-o a -o b` wrote
# b. Now an option that holds one value given twice (even the same value again) is a usage error,
# exit 1, naming the option and both values, before anything is read or written; a flag given twice
# is just set; the repeatable options (predict --at, optimal --compute, fit --fix and --bound) still
# add up, checked against Chinchilla's formula (Hoffmann et al. 2022, Eq. 2 and 4) of the fit's constants.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh"
need_py
out=$tmp
FIT="$SF_SRC/tests/inputs/fit_epoch_cov.json"
H5="$SF_SRC/datasets/sweep_default.h5"

refused() { # the message after "scalefit: error: ", command...
  local msg=$1; shift
  (cd "$out/cwd" && "$@") > "$out/stdout" 2> "$out/err"; local rc=$?
  [ $rc -eq 1 ] || fail "$* exited $rc, want 1 ($(cat "$out/err"))"
  [ "$(cat "$out/err")" = "scalefit: error: $msg" ] || fail "$*: message '$(cat "$out/err")', want '$msg'"
  [ ! -s "$out/stdout" ] || fail "$*: printed on stdout before refusing"
  [ -z "$(ls -A "$out/cwd")" ] || fail "$*: wrote $(ls -A "$out/cwd")"
  rm -rf "$out/cwd" && mkdir "$out/cwd"
}
mkdir "$out/cwd"

refused "optimal: --gpu given twice ('h100', then 'a100'): give it once" \
  "$SCALEFIT" optimal --published epoch2024_replication --compute 1e24 --gpu h100 --gpu a100
refused "fit: --law given twice ('power', then 'chinchilla'): give it once" \
  "$SCALEFIT" fit "$H5" --law power --law chinchilla
refused "fit: --seed given twice ('1', then '2'): give it once" \
  "$SCALEFIT" fit "$H5" --law power --bootstrap 4 --seed 1 --seed 2
# short and long spellings of one option, and the attached forms: named by its long name
refused "fit: --output given twice ('a.json', then 'b.json'): give it once" \
  "$SCALEFIT" fit "$H5" --law power -o a.json --output=b.json
refused "target: --value given twice ('2', then '1.9'): give it once" "$SCALEFIT" target "$FIT" -v2 --value=1.9
# the same value again is refused too: it is a slip of the hand (an edited command line), not a choice
refused "target: --mfu given twice ('0.4', then '0.4'): give it once" \
  "$SCALEFIT" target "$FIT" --value 2 --gpu h100 --mfu 0.4 --mfu 0.4
refused "predict: --grid given twice ('D=1e9:1e12:3', then 'D=1e9:1e10:2'): give it once" \
  "$SCALEFIT" predict "$FIT" --at N=1e9,D=1 --grid D=1e9:1e12:3 --grid D=1e9:1e10:2
refused "next: --at given twice ('N=1e9,D=1e11', then 'N=1e10,D=1e11'): give it once" \
  "$SCALEFIT" next "$FIT" --at N=1e9,D=1e11 --at N=1e10,D=1e11 --max-compute 1e20 --run-sd 0.02
refused "next: --compute given twice ('1e24', then '1e25'): give it once" \
  "$SCALEFIT" next "$FIT" -C 1e24 --compute 1e25 --max-compute 1e20 --run-sd 0.02
refused "turn: --y given twice ('mmlu', then 'loss'): give it once" \
  "$SCALEFIT" turn "$SF_SRC/datasets/models.csv" --y mmlu --y loss
refused "plot: --y given twice ('loss', then 'mmlu'): give it once" \
  "$SCALEFIT" plot scaling "$H5" --y loss --y mmlu -o x.svg
refused "import: --table given twice ('a', then 'b'): give it once" \
  "$SCALEFIT" import "$SF_SRC/datasets/models.csv" -o x.h5 --table a --table b
refused "report: --threads given twice ('1', then '2'): give it once" \
  "$SCALEFIT" report x.ini -o rep --threads 1 --threads 2
refused "train: --seed given twice ('1', then '2'): give it once" \
  "$SCALEFIT" train --layers 1 --d-model 16 --tokens 1e3 --seed 1 --seed 2 -o x.json
refused "sweep: --seed given twice ('1', then '2'): give it once" \
  "$SCALEFIT" sweep --sizes 1x16 --tokens 1e3 --seed 1 --seed 2 -o x.h5
refused "info: --table given twice ('runs', then 'runs'): give it once" "$SCALEFIT" info "$H5" --table runs --table runs
# after "--" it is an argument, not an option
"$SCALEFIT" laws --json -- --json > /dev/null 2> "$out/err"
[ $? -eq 1 ] && grep -qF "too many arguments ('--json')" "$out/err" || fail "laws -- --json: $(cat "$out/err")"

# a flag given twice is set, the same as once
"$SCALEFIT" optimal "$FIT" --compute 1e24 --json > "$out/once.json" 2> /dev/null || fail "optimal --json exit $?"
"$SCALEFIT" optimal "$FIT" --json --compute 1e24 --json > "$out/twice.json" 2> "$out/err" ||
  fail "optimal --json --json exit $?: $(cat "$out/err")"
cmp -s "$out/once.json" "$out/twice.json" || fail "--json twice differs from once"

# the repeatable options still add up: two points of predict, two budgets of optimal
"$SCALEFIT" predict "$FIT" --at N=1e9,D=2e10 --at N=7e10,D=1.4e12 --json > "$out/p.json" 2> /dev/null ||
  fail "predict with two --at exit $?"
"$SCALEFIT" optimal "$FIT" --compute 1e22 -C 1e24 --json > "$out/o.json" 2> /dev/null || fail "optimal with two --compute exit $?"
"$PY" - "$FIT" "$out/p.json" "$out/o.json" <<'PY' || fail "repeated --at and --compute against Chinchilla's formula"
import json, sys
p = json.load(open(sys.argv[1]))["params"]
E, A, B, a, b = (p[k] for k in ("E", "A", "B", "alpha", "beta"))
L = lambda N, D: E + A / N ** a + B / D ** b
pred = json.load(open(sys.argv[2]))["predictions"]
assert [(q["inputs"]["N"], q["inputs"]["D"]) for q in pred] == [(1e9, 2e10), (7e10, 1.4e12)], pred
for q in pred:
    assert abs(q["value"] - L(q["inputs"]["N"], q["inputs"]["D"])) < 1e-12, q
opt = json.load(open(sys.argv[3]))["optima"]
assert [o["C"] for o in opt] == [1e22, 1e24], opt
G = (a * A / (b * B)) ** (1 / (a + b))
for o in opt:
    N = G * (o["C"] / 6) ** (b / (a + b))
    assert abs(o["N"]["value"] / N - 1) < 1e-9, (o, N)
    assert abs(o["loss"]["value"] - L(N, o["C"] / 6 / N)) < 1e-9, o
PY
# fit's --fix and --bound: two uses pin and bound two parameters, as one comma-separated use does
"$SCALEFIT" fit "$H5" --law chinchilla --grid random:8 --fix E=1.5 --fix alpha=0.3 --bound beta=0.1:0.6 \
  --bound B=1:1e6 -o "$out/f2.json" > /dev/null 2> "$out/err" || fail "fit with two --fix exit $?: $(cat "$out/err")"
"$SCALEFIT" fit "$H5" --law chinchilla --grid random:8 --fix E=1.5,alpha=0.3 --bound beta=0.1:0.6,B=1:1e6 \
  -o "$out/f1.json" > /dev/null 2> "$out/err" || fail "fit with one --fix list exit $?: $(cat "$out/err")"
"$PY" - "$out/f2.json" "$out/f1.json" <<'PY' || fail "repeated --fix"
import json, sys
two, one = (json.load(open(f)) for f in sys.argv[1:])
assert two["params"]["E"] == 1.5 and two["params"]["alpha"] == 0.3, two["params"]
assert 0.1 <= two["params"]["beta"] <= 0.6 and 1 <= two["params"]["B"] <= 1e6, two["params"]
assert two["params"] == one["params"], (two["params"], one["params"])
PY
[ "$fails" -eq 0 ]
