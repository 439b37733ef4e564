#!/usr/bin/env bash
# forecast_turn_low.sh: an inflection the data do not identify because it lies at the smallest runs or
# below them (a metric already saturated, or MMLU against N, whose rise from chance is one run deep) is
# said to lie there. The verdict used to say "no sign of saturation yet: inflection not identifiable
# below 1e+25" on a metric flat at 0.95 from its first run, sending the reader past the largest run for
# a bend that the sigmoid puts below the smallest. The references are independent of scalefit: scipy's
# sigmoid (floor pinned at chance) from a grid of starts, and its own pairs bootstrap of the midpoint.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh"
need_py "scipy, numpy" "skip: scipy not installed"
fail_fast

cat > "$tmp/ref.py" <<'PY'
import math, warnings
import numpy as np
from scipy.optimize import least_squares
warnings.filterwarnings("ignore")

def sigmoid_x0(t, y, chance=0.25, mx=1.0):
    """log10 of the inflection of the least-squares sigmoid with its floor at chance"""
    g = lambda q: chance + (q[0] - chance) / (1 + np.exp(-q[1] * (t - q[2]))) - y
    best = (math.inf, None)
    for hi in (0.5 * (chance + mx), chance + 0.9 * (mx - chance), mx - 1e-9):
        for k in (0.5, 4):
            for x0 in np.linspace(t.min() - 1, t.max() + 2, 6):
                r = least_squares(g, [hi, k, x0], bounds=([chance, 1e-6, -100], [mx, 100, 200]))
                best = min(best, (float(np.sum(r.fun ** 2)), float(r.x[2])))
    return best[1]

def check(x, y, verdict, decades, B=40):
    t = np.log10(x)
    x0 = sigmoid_x0(t, y)
    rng = np.random.default_rng(7)
    b = []
    for _ in range(B):
        i = rng.integers(0, len(x), len(x))
        if np.ptp(t[i]) > 0:
            b.append(sigmoid_x0(t[i], y[i]))
    lo, hi = 10 ** np.percentile(b, 2.5), 10 ** np.percentile(b, 97.5)
    below, above = int(np.sum(x < lo)), int(np.sum(x > hi))
    # the premise: the bend sits at the low end (fewer than 3 runs under the interval) while the
    # largest runs lie well past it
    assert below < 3 and above >= 3 and hi < x.max(), (lo, hi, below, above)
    assert "not identifiable below" not in verdict, verdict
    assert verdict.startswith("no turn identified within the data: the inflection lies at the smallest runs or "
                              "below them"), verdict
    assert ("%d run" % below) in verdict, (below, verdict)
    # the interval's upper end, as scalefit says it: a bootstrap percentile, near ours (a flat metric's
    # midpoints scatter widely below the data, so there within 2 decades), with 3 or more runs past it
    end = float(verdict.split("which ends at ")[1].split(")")[0])
    assert abs(math.log10(end / hi)) < decades and np.sum(x > end) >= 3, (end, hi)
    return x0, lo, hi
PY

# ---- a metric already saturated: flat at 0.95 (+-0.01) from 1e19 to 3e24
$py -c '
import math
print("run,C,acc")
for i in range(12):
    print("r%d,%g,%.4f" % (i, 10 ** (19 + 0.5 * i), 0.95 + 0.01 * math.sin(2.1 * i)))
' > "$tmp/sat.csv"
"$SCALEFIT" turn "$tmp/sat.csv" --y acc --json > "$tmp/s.json" || fail "saturated: exit $?"
$py - "$tmp/sat.csv" "$tmp/s.json" <<'PY' || fail "saturated metric: $(cat "$tmp/s.json")"
import csv, json, sys
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from ref import check
import numpy as np
rows = list(csv.DictReader(open(sys.argv[1])))
x, y = np.array([float(r["C"]) for r in rows]), np.array([float(r["acc"]) for r in rows])
r = json.load(open(sys.argv[2]))
x0, lo, hi = check(x, y, r["verdict"], 2)
assert 10 ** x0 < x.min(), x0  # scipy's sigmoid bends below the smallest run
assert r["inflection"] is None and not r["saturation_supported"]
PY

# ---- the published models' MMLU against N: the sigmoid bends at 7.8e9, one run (2.5e9) below its interval
"$SCALEFIT" turn "$SF_SRC/datasets/models.csv" --x N --y mmlu > "$tmp/n.txt" || fail "--x N: exit $?"
$py - "$SF_SRC/datasets/models.csv" "$tmp/n.txt" <<'PY' || fail "MMLU against N: $(cat "$tmp/n.txt")"
import csv, sys
sys.path.insert(0, sys.argv[2].rsplit("/", 1)[0])
from ref import check
import numpy as np
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["N"] and r["mmlu"]]
x, y = np.array([float(r["N"]) for r in rows]), np.array([float(r["mmlu"]) for r in rows])
text = open(sys.argv[2]).read()
verdict = [l for l in text.splitlines() if l.startswith("verdict: ")][0][len("verdict: "):]
x0, lo, hi = check(x, y, verdict, 0.5)
assert x.min() < 10 ** x0 < 10 * x.min(), x0  # within the smallest decade of the data
assert "fewer than 3 runs beyond it on a side" in text, text
PY
echo ok
