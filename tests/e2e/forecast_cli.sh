#!/bin/bash
# forecast_cli.sh: predict / optimal / target on a saved fit (tests/inputs/fit_epoch_cov.json:
# Epoch's constants, a covariance from their standard errors, Hoffmann's data ranges), their JSON,
# warnings, and the exit codes of bad input.
set -u
. "$(dirname "$0")/lib/common.sh"
need_py
fail_fast
out=$tmp
FIT="$SF_INPUTS/fit_epoch_cov.json"

# predict: two points, delta band, decades beyond the data, a warning for the far one
"$SCALEFIT" predict "$FIT" --at N=1e9,D=2e10 --at N=70e9,D=1.4e12 --json > "$out/p.json" 2> "$out/p.err" \
  || fail "predict exit $?"
grep -q "beyond the fit's data" "$out/p.err" || fail "no far-extrapolation warning"
$PY - "$out/p.json" <<'PY' || fail "predict numbers"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["band"] == "delta"
a, b = r["predictions"]
law = lambda N, D: 1.8172 + 482.01 / N ** 0.3478 + 2085.43 / D ** 0.3658
assert abs(a["value"] - law(1e9, 2e10)) < 1e-9 and abs(b["value"] - law(70e9, 1.4e12)) < 1e-9
assert a["decades_beyond"] == 0
# N = 70e9 is log10(70e9/1.6e10) = 0.64 decades out, D 0.45, C = 5.88e23 2.29 decades
assert abs(b["decades_beyond"] - 2.2917) < 1e-3, b["decades_beyond"]
assert a["lo"] < a["value"] < a["hi"] and b["lo"] < b["value"] < b["hi"]
PY

# N = D = 1e300: C = 6ND overflows a double, and the decades were 'inf'; in log space they are
# log10(6e600 / 3e21) = 579.30 (C's range ends at 3e21), and the cost says why there is none
"$SCALEFIT" predict "$FIT" --at N=1e300,D=1e300 --gpu h100 > "$out/big.txt" 2> "$out/big.err" || fail "1e300 exit $?"
grep -qw "inf" "$out/big.txt" "$out/big.err" && fail "1e300: $(cat "$out/big.txt" "$out/big.err")"
grep -q " 579.3 decades" "$out/big.txt" || fail "1e300 decades: $(cat "$out/big.txt")"
grep -q "up to 579.3)" "$out/big.err" || fail "1e300 warning: $(cat "$out/big.err")"
grep -q "cost: none: C = 6ND = 10^600.78 FLOP is beyond a double's range" "$out/big.txt" || fail "1e300 cost: $(cat "$out/big.txt")"
"$SCALEFIT" predict "$FIT" --at N=1e300,D=1e300 --json 2> /dev/null > "$out/big.json" || fail "1e300 --json"
$PY - "$out/big.json" <<'PY' || fail "1e300 json"
import json, sys, math
p = json.load(open(sys.argv[1]))["predictions"][0]
want = math.log10(6) + 600 - math.log10(3e21)
assert abs(p["decades_beyond"] - want) < 1e-9, p
assert p["C"] is None and abs(p["log10_C"] - (600 + math.log10(6))) < 1e-9, p
PY

# --grid: 13 log-spaced D values at N = 1e9
"$SCALEFIT" predict "$FIT" --at N=1e9,D=1 --grid D=1e9:1e12:13 --json > "$out/g.json" || fail "grid exit $?"
$PY -c "import json,sys; p=json.load(open('$out/g.json'))['predictions']; assert len(p)==13 and abs(p[6]['inputs']['D']/10**10.5-1)<1e-12" \
  || fail "grid points"

# optimal: closed form and numeric agree; tokens per parameter as in the unit tests
"$SCALEFIT" optimal "$FIT" --compute 1e21:3.8e25:3 --json > "$out/o.json" 2>/dev/null || fail "optimal exit $?"
"$SCALEFIT" optimal "$FIT" --compute 1e21:3.8e25:3 --numeric --json > "$out/on.json" 2>/dev/null || fail "numeric exit $?"
$PY - "$out/o.json" "$out/on.json" <<'PY' || fail "optimal numbers"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["method"] == "closed form" and b["method"].startswith("numeric")
for x, y in zip(a["optima"], b["optima"]):
    assert abs(x["N"]["value"] / y["N"]["value"] - 1) < 1e-6
    assert x["N"]["lo"] < x["N"]["value"] < x["N"]["hi"]
tpp = [o["tokens_per_param"]["value"] for o in a["optima"]]
assert abs(tpp[0] - 21.59) < 0.05 and abs(tpp[-1] - 16.55) < 0.05, tpp
PY

# target: inverts optimal; below E is a clear answer
L=$($PY -c "import json; print(repr(json.load(open('$out/o.json'))['optima'][1]['loss']['value']))")
C=$($PY -c "import json; print(repr(json.load(open('$out/o.json'))['optima'][1]['C']))")
"$SCALEFIT" target "$FIT" --value "$L" --json > "$out/t.json" 2>/dev/null || fail "target exit $?"
$PY -c "import json; t=json.load(open('$out/t.json')); assert abs(t['C']['value']/$C-1)<1e-7, t" || fail "target inverse"
"$SCALEFIT" target "$FIT" --value 1.7 > "$out/t2.txt" || fail "target below E exit $?"
grep -q "below the fitted irreducible loss E = 1.817" "$out/t2.txt" || fail "below-E message"
# the verdict names C as the C line under it does (one display rule): 6.55e+14 both (once 6.55e+14 above 655T)
"$SCALEFIT" target "$FIT" --value 8 > "$out/t3.txt" 2>/dev/null || fail "target 8 exit $?"
"$SCALEFIT" target "$FIT" --value 8 --json > "$out/t3.json" 2>/dev/null || fail "target 8 --json exit $?"
$PY - "$out/t3.txt" "$out/t3.json" <<'PY' || fail "target verdict's C differs from its C line or from --json"
import json, re, sys
txt = open(sys.argv[1]).read()
verdict = re.search(r"reached at C = (\S+) FLOP", txt).group(1)
line = re.search(r"^  C = (\S+)", txt, re.M).group(1)
assert verdict == line, (verdict, line)
C = json.load(open(sys.argv[2]))["C"]["value"]
scale = {"k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
shown = float(verdict[:-1]) * scale[verdict[-1]] if verdict[-1] in scale else float(verdict)
assert 1e4 <= C < 1e15 and abs(shown / C - 1) < 5e-3, (verdict, C)
PY

# bad input: exit codes and messages
expect() { # code, needle, command...
  local code=$1 needle=$2; shift 2
  "$@" > /dev/null 2> "$out/err"; local rc=$?
  [ $rc -eq "$code" ] || fail "$* exited $rc, want $code ($(cat "$out/err"))"
  grep -q -- "$needle" "$out/err" || fail "$*: message lacks '$needle': $(cat "$out/err")"
}
expect 1 "unknown GPU 'z9000'" "$SCALEFIT" optimal "$FIT" --compute 1e24 --gpu z9000
# a target never reached has no cost to show: said, not left out in silence
expect 0 "never reached: no budget, so no cost computed" "$SCALEFIT" target "$FIT" --value 1.7 --gpu h100
expect 1 "known: v100, a100" "$SCALEFIT" optimal "$FIT" --compute 1e24 --gpu z9000
expect 1 "mfu must be in (0, 1]" "$SCALEFIT" optimal "$FIT" --compute 1e24 --gpu h100 --mfu 1.2
expect 1 "mfu must be in (0, 1]" "$SCALEFIT" optimal "$FIT" --compute 1e24 --gpu h100 --mfu 0
expect 1 "no bf16 peak for 'V100" "$SCALEFIT" optimal "$FIT" --compute 1e24 --gpu v100
expect 1 "unknown precision" "$SCALEFIT" optimal "$FIT" --compute 1e24 --gpu v100 --precision fp8
# a saved fit with a parameter null (what fit wrote for A = inf on two budgets of the own sweep before
# it refused to save a diverged fit; fit_cli.sh checks that) was read as damaged ("missing from
# 'params' or not a number"); the reader says the fit diverged. The file: a good fit with A nulled
"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law power -o "$out/ok.json" > /dev/null 2>&1 || fail "power fit exit $?"
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); d['params']['A']=None; json.dump(d, open(sys.argv[2], 'w'))" \
  "$out/ok.json" "$out/inf.json" || fail "cannot null A"
expect 2 "parameter 'A' of law 'power' has no finite value (null): the fit diverged" \
  "$SCALEFIT" predict "$out/inf.json" --at C=1e14
echo '{"format": "scalefit-fit", "version": 7, "law": "chinchilla"}' > "$out/v7.json"
expect 2 "version 7 is not supported" "$SCALEFIT" predict "$out/v7.json" --at N=1,D=1
sed 's/"chinchilla"/"chinchila"/' "$FIT" > "$out/law.json"
expect 2 "unknown law 'chinchila'" "$SCALEFIT" predict "$out/law.json" --at N=1e9,D=1e10
echo '{"format": "scalefit-runs"}' > "$out/fmt.json"
expect 2 "not a scalefit fit file" "$SCALEFIT" optimal "$out/fmt.json" --compute 1e24
expect 2 "needs a law of N and D" "$SCALEFIT" optimal --published deepseek2024_Bopt --compute 1e24
expect 1 "scalefit optimal --compute" "$SCALEFIT" predict "$FIT" --at C=1e25
expect 1 "give FIT.json" "$SCALEFIT" optimal --compute 1e24
expect 2 "no published law 'nope'" "$SCALEFIT" optimal --published nope --compute 1e24
expect 0 "beyond the fit's data (up to 5.5)" "$SCALEFIT" optimal "$FIT" --compute 1e27

# two-stage: compute -> loss -> accuracy, composed by hand
"$SCALEFIT" predict "$SF_INPUTS/fit_loss_of_c.json" --then "$SF_INPUTS/fit_acc_of_loss.json" --at C=1e24 --json \
  > "$out/two.json" 2>/dev/null || fail "two-stage exit $?"
$PY - "$out/two.json" <<'PY' || fail "two-stage numbers"
import json, sys, math
p = json.load(open(sys.argv[1]))["predictions"][0]
L = 1.7 + 2000 * 1e24 ** -0.15
assert abs(p["stage1"]["value"] - L) < 1e-12
assert abs(p["value"] - (0.25 + 0.7 / (1 + math.exp(6 * (L - 2.2))))) < 1e-12
assert p["lo"] < p["value"] < p["hi"] and p["stage1"]["lo"] < L < p["stage1"]["hi"]
PY
# a bootstrap in one stage only cannot be paired: the band is the delta method of both stages, and
# the output says so (it used to announce the first stage's bootstrap over a delta-method band)
$PY - "$SF_INPUTS/fit_loss_of_c.json" "$out/boot_c.json" <<'PY' || fail "make boot_c.json"
import json, sys
f = json.load(open(sys.argv[1]))
f["bootstrap"] = {"samples": [[1.68, 1900, 0.15], [1.7, 2000, 0.149], [1.73, 2100, 0.151]]}
json.dump(f, open(sys.argv[2], "w"))
PY
"$SCALEFIT" predict "$out/boot_c.json" --then "$SF_INPUTS/fit_acc_of_loss.json" --at C=1e24 --json \
  > "$out/mix.json" 2>/dev/null || fail "mixed two-stage exit $?"
$PY - "$out/mix.json" "$out/two.json" <<'PY' || fail "mixed two-stage band"
import json, sys
m, d = (json.load(open(f)) for f in sys.argv[1:3])
assert m["band"] == "delta" and "bootstrap_samples" not in m, (m["band"], m.get("bootstrap_samples"))
assert m["predictions"][0]["lo"] == d["predictions"][0]["lo"]   # the same band as without the rows
PY
"$SCALEFIT" predict "$out/boot_c.json" --then "$SF_INPUTS/fit_acc_of_loss.json" --at C=1e24 > "$out/mix.txt" 2>/dev/null
grep -q "band: 95% delta method" "$out/mix.txt" || fail "mixed two-stage text: $(head -1 "$out/mix.txt")"
# (both stages with 3 rows; the second a law of loss: a law of C there is refused now)
$PY - "$SF_INPUTS/fit_acc_of_loss.json" "$out/boot_acc.json" <<'PY' || fail "make boot_acc.json"
import json, sys
f = json.load(open(sys.argv[1]))
f["bootstrap"] = {"samples": [[5.5, 2.19], [6, 2.2], [6.5, 2.21]]}
json.dump(f, open(sys.argv[2], "w"))
PY
"$SCALEFIT" predict "$out/boot_c.json" --then "$out/boot_acc.json" --at C=1e24 --json 2>/dev/null \
  | $PY -c "import json,sys; r=json.load(sys.stdin); assert r['band']=='bootstrap' and r['bootstrap_samples']==3, r" \
  || fail "paired two-stage band label"
expect 2 "must be a law of one variable" "$SCALEFIT" predict "$SF_INPUTS/fit_loss_of_c.json" --then "$FIT" --at C=1e24

# a range's ends are the budgets given, not exp(log(LO)) (1e21 came back as 9.999999999999983e+20)
"$SCALEFIT" optimal "$FIT" --compute 1e21:1e25:5 --json 2>/dev/null \
  | $PY -c "import json,sys; c=[o['C'] for o in json.load(sys.stdin)['optima']]; assert c[0]==1e21 and c[-1]==1e25 and all(abs(x/10**(21+i)-1)<1e-15 for i,x in enumerate(c)), c" \
  || fail "range ends"
# a fraction of an accelerator is refused, not printed as a whole one ('2 in parallel' for 2.5)
expect 1 "whole number of accelerators" "$SCALEFIT" optimal "$FIT" --compute 1e24 --gpu h100 --gpus 2.5
# a published law has no band: its columns say so with a dash, never "nan"
"$SCALEFIT" predict --published epoch2024_replication --at N=65.2e9,D=1.4e12 > "$out/pub.txt" || fail "published exit"
grep -qi nan "$out/pub.txt" && fail "nan printed: $(cat "$out/pub.txt")"
# E + A/N^alpha + B/D^beta = 1.8172 + 0.0836 + 0.0752 = 1.976, to the display rule's 4 digits
grep -q " 1.976 *- *- " "$out/pub.txt" || fail "published row: $(cat "$out/pub.txt")"

# a variable twice in one --at was the last one's value in silence; an empty item was skipped
expect 1 "N is given twice in --at 'N=1e9,N=2e9,D=1e10'" "$SCALEFIT" predict "$FIT" --at N=1e9,N=2e9,D=1e10
expect 1 "D is given twice" "$SCALEFIT" predict "$FIT" --at d=1e10,N=1e9,D=2e10
expect 1 "empty item in --at" "$SCALEFIT" predict "$FIT" --at N=1e9,,D=1e10
expect 1 "empty item in --at" "$SCALEFIT" predict "$FIT" --at N=1e9,D=1e10,
# --grid takes the other variables from one --at: a second one was dropped in silence
expect 1 "grid takes the other variables from one --at, got 2" \
  "$SCALEFIT" predict "$FIT" --at N=1e9,D=1 --at N=2e9,D=1 --grid D=1e9:1e12:3
# an empty item in a list of budgets (or grid values) was skipped in silence
expect 1 "empty item in the --compute list '1e21,,1e22'" "$SCALEFIT" optimal "$FIT" --compute 1e21,,1e22
expect 1 "empty item in the --compute list" "$SCALEFIT" optimal "$FIT" --compute ,1e21
expect 1 "empty item in the --compute list" "$SCALEFIT" optimal "$FIT" --compute 1e21,
expect 1 "empty item in the --grid list" "$SCALEFIT" predict "$FIT" --at N=1e9,D=1 --grid D=1e9,,1e10
# a long list is read whole (a 255-character buffer cut it, and turned its last 3.8e25 into 3.8)
LIST=$($PY -c "print(','.join('%.6e' % (1e21 * 1.2 ** i) for i in range(39)) + ',3.8e25')")
"$SCALEFIT" optimal "$FIT" --compute "$LIST" --json 2>/dev/null \
  | $PY -c "import json,sys; c=[o['C'] for o in json.load(sys.stdin)['optima']]; assert len(c)==40 and c[-1]==3.8e25 and abs(c[1]/1.2e21-1)<1e-12, (len(c), c[-1])" \
  || fail "long --compute list"

# -o writes the same JSON atomically
"$SCALEFIT" optimal "$FIT" --compute 1e22 -o "$out/saved.json" > /dev/null 2>&1 || fail "-o exit"
$PY -c "import json; assert json.load(open('$out/saved.json'))['format']=='scalefit-forecast'" || fail "-o file"
echo ok

# fit files edited by hand: a key of the wrong type, a repeated variable or a negative variance was
# skipped in silence (another level, no bootstrap, a band of "-") or refused with exit 1 and no
# file; each command now exits 2 naming the file and the key, and prints nothing on stdout
$PY - "$FIT" "$out" <<'PY' || fail "making the edited fit files"
import json, sys, copy
base = json.load(open(sys.argv[1]))
edits = {
    "ci_level": lambda r: r.__setitem__("ci_level", "0.9"),
    "bootstrap": lambda r: r.__setitem__("bootstrap", []),
    "fixed": lambda r: r.__setitem__("fixed", ["E"]),
    "y": lambda r: r.__setitem__("y", 1),
    "data.range": lambda r: r["data"].__setitem__("range", []),
    "vars": lambda r: r.__setitem__("vars", ["N", "N"]),
    "cov": lambda r: r["cov"][0].__setitem__(0, -1.0),
    "version": lambda r: r.__setitem__("version", 2),
    "law": lambda r: r.__setitem__("law", "chinchila"),
}
for key, f in edits.items():
    r = copy.deepcopy(base)
    f(r)
    json.dump(r, open("%s/edited_%s.json" % (sys.argv[2], key), "w"))
PY
for key in ci_level bootstrap fixed y data.range vars cov version law; do
  f="$out/edited_$key.json"
  for c in "predict --at N=1e9,D=2e10" "optimal --compute 1e23" "target --value 2"; do
    "$SCALEFIT" ${c%% *} "$f" ${c#* } > "$out/e.out" 2> "$out/e.err"
    rc=$?
    [ "$rc" = 2 ] || fail "$key edited, ${c%% *}: exit $rc, want 2: $(cat "$out/e.err")"
    [ -s "$out/e.out" ] && fail "$key edited, ${c%% *}: printed $(cat "$out/e.out")"
    grep -qF "edited_$key.json" "$out/e.err" || fail "$key edited: the file is not named: $(cat "$out/e.err")"
    case $key in version | law) ;; *) grep -qF "'$key'" "$out/e.err" || fail "$key edited: key not named: $(cat "$out/e.err")" ;; esac
  done
done

# --at and --grid read a variable's name as the store reads a header: params and tokens are N and D
# (they were "not a variable of law 'chinchilla'", exit 1, while n and d were taken)
"$SCALEFIT" predict "$FIT" --at params=1e9,Tokens=2e10 --json > "$out/alias.json" 2> "$out/alias.err" \
  || fail "--at params=,Tokens= exit $?: $(cat "$out/alias.err")"
"$SCALEFIT" predict "$FIT" --at N=1e9,D=1 --grid tokens=2e10:2e11:2 --json > "$out/aliasg.json" 2> "$out/alias.err" \
  || fail "--grid tokens= exit $?: $(cat "$out/alias.err")"
$PY - "$FIT" "$out/alias.json" "$out/aliasg.json" <<'PY' || fail "--at params=,Tokens= values"
import json, sys
p = json.load(open(sys.argv[1]))["params"]
law = lambda N, D: p["E"] + p["A"] * N ** -p["alpha"] + p["B"] * D ** -p["beta"]
a = json.load(open(sys.argv[2]))["predictions"][0]
assert a["inputs"] == {"N": 1e9, "D": 2e10} and abs(a["value"] - law(1e9, 2e10)) < 1e-12, a
g = json.load(open(sys.argv[3]))["predictions"]
assert len(g) == 2 and abs(g[1]["value"] - law(1e9, 2e11)) < 1e-12, g
PY

# a grid of one point, X:X:1 (a script's range that shrank to one value), is that value; it was
# refused (exit 1). A range of one point between two different ends stays refused: which end?
"$SCALEFIT" predict "$FIT" --at N=1e9,D=1 --grid D=2e10:2e10:1 --json > "$out/g1.json" || fail "--grid X:X:1 exit $?"
"$SCALEFIT" optimal "$FIT" --compute 1e21:1e21:1 --json > "$out/c1.json" || fail "--compute X:X:1 exit $?"
"$SCALEFIT" optimal "$FIT" --compute 1e21 --json > "$out/c0.json" || fail "--compute X exit $?"
$PY - "$out/g1.json" "$out/c1.json" "$out/c0.json" <<'PY' || fail "one-point grids"
import json, sys
g = json.load(open(sys.argv[1]))["predictions"]
assert len(g) == 1 and g[0]["inputs"] == {"N": 1e9, "D": 2e10}, g
c1, c0 = (json.load(open(f))["optima"] for f in sys.argv[2:4])
assert len(c1) == 1 and c1 == c0, (c1, c0)
PY
"$SCALEFIT" optimal "$FIT" --compute 1e21:1e22:1 > /dev/null 2>&1
[ $? = 1 ] || fail "--compute 1e21:1e22:1 not refused with exit 1"
