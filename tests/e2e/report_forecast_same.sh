#!/usr/bin/env bash
# report_forecast_same.sh: a report's [forecast] and `scalefit optimal` / `scalefit target` on the
# same fit give the same numbers (values, bands, decades beyond the data) and the same warnings. The
# shipped default sweep's L(N, D) spans C = 1e11 to 1e13: budgets 1e14 and 1e15 and the target loss
# 0.5 lie 1 to 2 decades beyond it, which the CLI warns about ("2 budgets put the optimum more than
# 1 decade beyond ..."); the report showed the decades in its table but never the warning.
set -u
: "${SCALEFIT:?}"
py=/usr/bin/python3
[ -x $py ] || { echo "skip: $py not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat > "$tmp/s.ini" <<INI
[report]
title = forecast against the CLI
[data]
file = $SF_SRC/datasets/sweep_default.h5
[fit ch]
law = chinchilla
[forecast]
budgets = 1e12, 1e13, 1e14, 1e15
targets = 1.0, 0.5
INI
"$SCALEFIT" report "$tmp/s.ini" -o "$tmp/rep" > /dev/null 2>&1 || fail "report exit $?"
"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law chinchilla -o "$tmp/f.json" > /dev/null 2>&1 || fail "fit exit $?"
"$SCALEFIT" optimal "$tmp/f.json" --compute 1e12,1e13,1e14,1e15 --json > "$tmp/o.json" 2> "$tmp/o.err" || fail "optimal exit $?"
: > "$tmp/t.err"
for v in 1.0 0.5; do
  "$SCALEFIT" target "$tmp/f.json" --value $v --json > "$tmp/t$v.json" 2>> "$tmp/t.err" || fail "target $v exit $?"
done
md="$tmp/rep/s/report.md"
[ -s "$tmp/o.err" ] || fail "optimal gave no warning: the test's premise"
grep -q "up to 2.0" "$tmp/o.err" || fail "optimal warning: $(cat "$tmp/o.err")"
# every CLI warning, word for word, in the report (markdown escapes nothing in these texts)
while IFS= read -r line; do
  w=${line#scalefit: warning: }
  grep -qF -- "$w" "$md" || fail "report lacks the CLI's warning '$w': $(grep -n warning "$md")"
done < <(cat "$tmp/o.err" "$tmp/t.err")
[ "$(grep -c '^scalefit: warning' "$tmp/t.err")" = 1 ] || fail "targets' warnings: $(cat "$tmp/t.err")"
# and the numbers
$py - "$tmp/rep/s/report.json" "$tmp/o.json" "$tmp/t1.0.json" "$tmp/t0.5.json" <<'PY' || fail "numbers differ"
import json, sys, math
r = json.load(open(sys.argv[1]))
o = json.load(open(sys.argv[2]))["optima"]
same = lambda a, b: (a is None and b is None) or abs(a - b) <= 1e-12 * abs(b)
assert len(r["forecasts"]) == len(o) == 4
for a, b in zip(r["forecasts"], o):
    assert a["C"] == b["C"]
    for ka, kb in (("N", "N"), ("D", "D"), ("tokens_per_param", "tokens_per_param"), ("value", "loss")):
        for q in ("value", "lo", "hi"):
            assert same(a[ka][q], b[kb][q]), (a["C"], ka, q, a[ka][q], b[kb][q])
    assert same(a["decades_beyond"], b["decades_beyond"]), (a, b)
for a, f in zip(r["targets"], sys.argv[3:]):
    b = json.load(open(f))
    for k in ("C", "N", "D"):
        for q in ("value", "lo", "hi"):
            assert same(a[k][q], b[k][q]), (a["target"], k, q, a[k][q], b[k][q])
    assert same(a["decades_beyond"], b["decades_beyond"]), (a, b)
PY

# a target that is not reached: the report used the words "never (below the law's floor)" for every
# case, also for power0 (A*C^-alpha, no floor at all), where `scalefit target` says "not reached
# below 1e+40 FLOP"; and for a target under chinchilla's E the CLI names E. Both now say the same.
cat > "$tmp/u.ini" <<INI
[report]
title = unreached targets
[data]
file = $SF_SRC/datasets/sweep_default.h5
[fit p0]
law = power0
[fit ch]
law = chinchilla
[forecast]
budgets = 1e13
targets = 1e-9
INI
"$SCALEFIT" report "$tmp/u.ini" -o "$tmp/rep" > /dev/null 2>&1 || fail "report u exit $?"
"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law power0 -o "$tmp/p0.json" > /dev/null 2>&1 || fail "fit p0"
for f in p0 f; do
  v=$("$SCALEFIT" target "$tmp/$f.json" --value 1e-9 2> /dev/null | sed -n 's/^target loss = 1e-09: //p')
  [ -n "$v" ] || fail "target $f: no verdict"
  grep -qF -- "| $v |" "$tmp/rep/u/report.md" || fail "report lacks target $f's verdict '$v': $(grep 1e-09 "$tmp/rep/u/report.md")"
done
grep -q "not reached below 1e+40 FLOP" "$tmp/rep/u/report.md" || fail "power0's verdict"
grep -q "at or below the fitted irreducible loss E = " "$tmp/rep/u/report.md" || fail "chinchilla's verdict"
exit 0
