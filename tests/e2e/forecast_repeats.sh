#!/usr/bin/env bash
# forecast_repeats.sh: an option given twice. `optimal FIT --compute 1e24 --compute 1e25` kept the
# last budget only (the parser's rule for a plain option), dropping 1e24 in silence, whereas
# predict's repeated --at add up: repeated --compute now add up, in order, and each optimum is
# checked against Chinchilla's closed form (Hoffmann et al. 2022, Eq. 4) of the fit's constants.
# Where one thing is meant (target's --value, next's --at and --compute, predict's --grid) a repeat
# is refused with a usage error naming both, not resolved by taking the last (the parser's rule for
# every option but a list, since).
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh"
need_py
out=$tmp
FIT="$SF_SRC/tests/inputs/fit_epoch_cov.json"

"$SCALEFIT" optimal "$FIT" --compute 1e24 --compute 1e21:1e23:3 -C 5e22,2e25 --json > "$out/o.json" 2> "$out/err" ||
  fail "optimal with three --compute exit $?: $(cat "$out/err")"
"$PY" - "$FIT" "$out/o.json" <<'PY' || fail "optimal's budgets from repeated --compute"
import json, sys
fit = json.load(open(sys.argv[1]))
E, A, B, a, b = (fit["params"][k] for k in ("E", "A", "B", "alpha", "beta"))
optima = json.load(open(sys.argv[2]))["optima"]
want = [1e24, 1e21, 1e22, 1e23, 5e22, 2e25]          # every option's budgets, in the order given
assert [o["C"] for o in optima] == want, [o["C"] for o in optima]
G = (a * A / (b * B)) ** (1 / (a + b))
for o in optima:
    N = G * (o["C"] / 6) ** (b / (a + b))
    D = o["C"] / 6 / N
    assert abs(o["N"]["value"] / N - 1) < 1e-9, (o, N)
    assert abs(o["D"]["value"] / D - 1) < 1e-9, (o, D)
    assert abs(o["loss"]["value"] - (E + A / N ** a + B / D ** b)) < 1e-9, o
PY
# the text table has a row per budget too
"$SCALEFIT" optimal "$FIT" --compute 1e24 --compute 1e25 > "$out/o.txt" 2>/dev/null || fail "optimal text exit $?"
grep -q "^ *1.00e+24 " "$out/o.txt" && grep -q "^ *1.00e+25 " "$out/o.txt" || fail "optimal text rows: $(cat "$out/o.txt")"
# more budgets in all than a table takes: refused, not cut short
"$SCALEFIT" optimal "$FIT" --compute 1e20:1e25:1000 --compute 1e20:1e25:100 > /dev/null 2> "$out/err"
[ $? -eq 1 ] && grep -q "more than 1024 budgets in all" "$out/err" || fail "optimal 1100 budgets: $(cat "$out/err")"

expect() { # code, needle, command...
  local code=$1 needle=$2; shift 2
  "$@" > "$out/stdout" 2> "$out/err"; local rc=$?
  [ $rc -eq "$code" ] || fail "$* exited $rc, want $code ($(cat "$out/err"))"
  [ -z "$needle" ] || grep -qF -- "$needle" "$out/err" || fail "$*: message lacks '$needle': $(cat "$out/err")"
  [ "$code" -eq 0 ] || [ ! -s "$out/stdout" ] || fail "$*: printed on stdout before refusing"
}
# (cli_repeats.sh checks the message of every option given twice)
expect 1 "target: --value given twice ('2', then '1.9'): give it once" "$SCALEFIT" target "$FIT" --value 2 --value 1.9
expect 1 "target: --value given twice ('2', then '1.9')" "$SCALEFIT" target "$FIT" -v 2 --value 1.9 --value=1.8
expect 1 "target: option --value expects a number, got 'two'" "$SCALEFIT" target "$FIT" --value two
expect 1 "next: --compute given twice ('1e24', then '1e25')" \
  "$SCALEFIT" next "$FIT" --compute 1e24 --compute 1e25 --max-compute 1e20 --run-sd 0.02
expect 1 "next: --at given twice" \
  "$SCALEFIT" next "$FIT" --at N=1e9,D=1e11 --at N=1e10,D=1e11 --max-compute 1e20 --run-sd 0.02
expect 1 "predict: --grid given twice ('D=1e9:1e12:3', then 'D=1e9:1e10:2')" \
  "$SCALEFIT" predict "$FIT" --at N=1e9,D=1 --grid D=1e9:1e12:3 --grid D=1e9:1e10:2
# one of each still works
expect 0 "" "$SCALEFIT" target "$FIT" --value 2
expect 0 "" "$SCALEFIT" predict "$FIT" --at N=1e9,D=1 --grid D=1e9:1e12:3
[ "$fails" -eq 0 ]
