#!/bin/bash
# turn_where.sh: `turn --where EXPR` and `plot KIND --where EXPR` (without a fit) select runs as
# `fit --where` does. turn had no --where ("unknown option"), and plot scaling/turn/isoflop/curves
# took --where and ignored it without --law. On the Observational Scaling Laws base-model data
# (../shared/datasets; skipped without them) one row has a source error (btlm-3b: 627 T tokens,
# really 627B, so C = 1.13e25); 'C < 1e25' leaves it out. The references are independent of
# scalefit: pandas selects the rows, scipy refits the three laws (RSS, AICc).
set -u
OBS="$SF_SHARED/obsscaling_base_llm_benchmark_eval.csv"
[ -f "$OBS" ] || exit 77
. "$(dirname "$0")/lib/common.sh"
need_py "scipy, pandas"
fail_fast
out=$tmp
cd "$out" || exit 1

"$SCALEFIT" turn "$OBS" --y ARC-C --where 'C < 1e25' --bootstrap 20 --json -o "$out/t.json" > "$out/t.out" 2> "$out/t.err" \
  || fail "turn --where: exit $?: $(cat "$out/t.err")"
"$SCALEFIT" turn "$OBS" --y ARC-C --where 'C < 1e25' --bootstrap 20 > "$out/t.txt" 2>&1 || fail "turn --where text"
$PY - "$OBS" "$out/t.json" "$out/t.txt" <<'PY' || fail "turn --where against scipy: $(cat "$out/t.txt")"
import json, math, sys, warnings
import numpy as np, pandas as pd
from scipy.optimize import least_squares
warnings.filterwarnings("ignore")
d = pd.read_csv(sys.argv[1])
d["C"] = d["FLOPs (1E21)"] * 1e21
keep = d[d["C"] < 1e25]          # a missing C is not < 1e25: left out, as fit --where leaves it
n_where = len(d) - len(keep)
s = keep[keep["ARC-C"].notna()]
x, y = s["C"].to_numpy(), s["ARC-C"].to_numpy()
t = np.log10(x)
n = len(y)
j = json.load(open(sys.argv[2]))
assert j["where"] == "C < 1e25" and j["n_where"] == n_where and j["n"] == n, (j["where"], j["n_where"], n_where, j["n"], n)
assert "cerebras/btlm-3b-8k-base" in set(d["Model"]) - set(keep["Model"])
rss = {}
c = np.polyfit(t, y, 1)
rss["loglinear"] = float(np.sum((np.polyval(c, t) - y) ** 2))
p = least_squares(lambda q: np.exp(q[0] + q[1] * t * math.log(10)) - y, [math.log(0.3), 0.01], method="lm").x
rss["power"] = float(np.sum((np.exp(p[0] + p[1] * t * math.log(10)) - y) ** 2))
g = lambda q, tt: 0.25 + (q[0] - 0.25) / (1 + np.exp(-q[1] * (tt - q[2])))
best = min((least_squares(lambda q: g(q, t) - y, [hi, k, x0], bounds=([0.25, 1e-6, -100], [1, 100, 200]))
            for hi in (0.625, 0.925, 0.999) for k in (0.5, 1.5, 4) for x0 in np.linspace(18, 26, 17)),
           key=lambda r: r.cost)
rss["sigmoid"] = float(np.sum((g(best.x, t) - y) ** 2))
for name, want in rss.items():
    L = j["laws"][name]
    assert abs(L["rss"] - want) <= 1e-4 * want, (name, L["rss"], want)
    k = L["k"]
    aicc = n * math.log(want / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    assert abs(L["aicc"] - aicc) <= 0.01, (name, L["aicc"], aicc)
text = open(sys.argv[3]).read()
assert "%d runs (%d excluded by --where, " % (n, n_where) in text, text
PY
# the same rows from a file of their own give the same analysis
$PY -c '
import sys, pandas as pd
d = pd.read_csv(sys.argv[1])
d[d["FLOPs (1E21)"] * 1e21 < 1e25].to_csv(sys.argv[2], index=False)' "$OBS" "$out/sel.csv" || fail "pandas selection"
"$SCALEFIT" turn "$out/sel.csv" --y ARC-C --bootstrap 20 --json > "$out/s.json" || fail "turn on the selection"
$PY - "$out/t.json" "$out/s.json" <<'PY' || fail "--where and a file of the selected rows differ"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
# pandas writes the numbers back rounded in the last digit: the fits agree to rounding
for name in a["laws"]:
    assert abs(a["laws"][name]["rss"] - b["laws"][name]["rss"]) <= 1e-9 * b["laws"][name]["rss"], name
assert a["verdict"] == b["verdict"] and a["n"] == b["n"], (a["verdict"], b["verdict"])
PY

# a bad expression or column: the exit status and message fit gives
for bad in 'C <' 'Cx < 1e25'; do
  "$SCALEFIT" fit "$OBS" --law loglinear --y ARC-C --where "$bad" > /dev/null 2> "$out/f.err"
  frc=$?
  "$SCALEFIT" turn "$OBS" --y ARC-C --where "$bad" > "$out/b.out" 2> "$out/b.err"
  trc=$?
  [ $frc -ge 1 ] && [ $frc -le 2 ] && [ $trc -eq $frc ] || fail "'$bad': turn exit $trc, fit exit $frc"
  [ ! -s "$out/b.out" ] || fail "'$bad': turn printed a result"
  cmp -s "$out/f.err" "$out/b.err" || fail "'$bad': turn says $(cat "$out/b.err"), fit $(cat "$out/f.err")"
  "$SCALEFIT" plot turn "$OBS" --y ARC-C --where "$bad" -o "$out/bad.png" 2> "$out/p.err"
  prc=$?
  [ $prc -eq $frc ] && [ ! -e "$out/bad.png" ] && cmp -s "$out/f.err" "$out/p.err" || fail "'$bad': plot turn exit $prc: $(cat "$out/p.err")"
done
# a text field: the advice is not fit's --by family, which turn does not have
"$SCALEFIT" turn "$OBS" --y ARC-C --where 'Model_Family > 1' > /dev/null 2> "$out/tf.err" && fail "a text field accepted"
grep -q "where: 'Model_Family' is a text field, and --where compares numbers (columns of .*select its runs in a file of their own" "$out/tf.err" \
  && ! grep -q -- "--by" "$out/tf.err" || fail "text field: $(cat "$out/tf.err")"
"$SCALEFIT" turn "$OBS" --y ARC-C --where 'C > 1e30' > /dev/null 2> "$out/e.err" && fail "turn --where leaving no run succeeded"
grep -q "(--where left out 148): turn needs at least" "$out/e.err" || fail "no run left: $(cat "$out/e.err")"

# plot turn: the chart's verdict is the filtered one; plot scaling draws only the selected runs
"$SCALEFIT" plot turn "$OBS" --y ARC-C --where 'C < 1e25' -o "$out/turn.svg" --script > /dev/null 2> "$out/pt.err" \
  || fail "plot turn --where: $(cat "$out/pt.err")"
grep -q "no clear sign" "$out/turn.gp" || fail "plot turn --where: the chart's verdict is not the selection's"
grep -q "27 of 148 runs in '.*' excluded by --where" "$out/pt.err" || fail "plot turn --where note: $(cat "$out/pt.err")"
"$SCALEFIT" plot scaling "$OBS" --y ARC-C --where 'C < 1e25' -o "$out/sc.svg" --script > /dev/null 2>&1 || fail "plot scaling --where"
$PY - "$OBS" "$out/sc.gp" <<'PY' || fail "plot scaling --where draws other runs"
import re, sys, pandas as pd
d = pd.read_csv(sys.argv[1])
d["C"] = d["FLOPs (1E21)"] * 1e21
s = d[(d["C"] < 1e25) & d["ARC-C"].notna()]
# the runs' points: the data blocks' rows (x y ...)
xs = [float(l.split()[0]) for l in open(sys.argv[2]) if re.match(r"^[0-9.eE+-]+\s", l)]
assert len(xs) == len(s) and max(xs) < 1e25, (len(xs), len(s), max(xs))
PY
# a saved fit made its own selection: --where beside --fit is refused
"$SCALEFIT" fit "$OBS" --law loglinear --y ARC-C -o "$out/f.json" > /dev/null || fail "fit -o"
"$SCALEFIT" plot scaling "$OBS" --fit "$out/f.json" --where 'C < 1e25' -o "$out/x.png" 2> "$out/x.err" && fail "--where with --fit accepted"
grep -q "its own --where" "$out/x.err" && [ ! -e "$out/x.png" ] || fail "--where with --fit: $(cat "$out/x.err")"
echo ok
