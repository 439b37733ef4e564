#!/usr/bin/env bash
# plot_turn_solid.sh: the turn chart draws each law solid over the data's x range only, and dashed
# below the smallest run and beyond the largest (docs/PLOT.md: "solid over the data, dashed beyond").
# The laws were solid from half the smallest run's x, where there is no data, to the first grid point
# past the largest run: on a metric flat at 0.95 from 1e19 to 3e24 the sigmoid ran solid from 5e18.
# Read from the kept script: each law's line series (its colour), solid or dashed (dt), and
# their data blocks' x extents, against the runs' range computed in python from the CSV.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot

"$py" - "$tmp" <<'PY'
import math, sys
tmp = sys.argv[1]
# flat at 0.95 (a saturated metric: the inflection below the data), and a sigmoid turning inside it
with open(tmp + "/sat.csv", "w") as f:
    f.write("run,C,acc\n")
    for i in range(24):
        x = 10 ** (19 + (math.log10(3e24) - 19) * i / 23)
        f.write("r%d,%.6g,%.4f\n" % (i, x, 0.95 + 0.005 * math.sin(3 * i)))
with open(tmp + "/mid.csv", "w") as f:
    f.write("run,C,acc\n")
    for i in range(20):
        t = 20.3 + 4 * i / 19
        f.write("m%d,%.6g,%.4f\n" % (i, 10 ** t, 0.25 + 0.6 / (1 + math.exp(-2 * (t - 22.5))) + 0.01 * math.sin(5 * i)))
PY

check() { # check NAME ARGS...: NAME.csv's turn chart, its laws solid exactly over the runs' x range
  "$SCALEFIT" plot turn "$tmp/$1.csv" --y acc "${@:2}" -o "$tmp/$1.svg" --script > /dev/null 2> "$tmp/$1.err" \
    || { bad "$1: plot turn failed: $(cat "$tmp/$1.err")"; return; }
  "$py" - "$tmp/$1.csv" "$tmp/$1.gp" <<'PY' && pass "$1: laws solid over the data only, dashed at both ends" || bad "$1: solid/dashed extents"
import csv, re, sys
xs = [float(r["C"]) for r in csv.DictReader(open(sys.argv[1]))]
lo, hi = min(xs), max(xs)
gp = open(sys.argv[2]).read()
blocks = dict(re.findall(r"^\$(d\d+) << EOD\n(.*?)^EOD", gp, re.M | re.S))
ext = lambda name: [float(l.split()[0]) for l in blocks[name].strip().split("\n")]
laws = {"#0072B2": "loglinear", "#A87400": "power", "#D55E00": "sigmoid"}
seen = {}
for name, rest in re.findall(r"\$(d\d+) using 1:2 with lines lw [0-9.]+ (lc rgb '#\w+'.*?)(?:, \\|$)", gp, re.M):
    colour = re.search(r"#\w+", rest).group(0)
    if colour not in laws:
        continue
    x = ext(name)
    y = [float(l.split()[1]) for l in blocks[name].strip().split("\n")]
    seen.setdefault(laws[colour], []).append(("dt " in rest, min(x), max(x), y[0], y[-1]))
assert set(seen) == set(laws.values()), seen
close = lambda a, b: abs(a - b) <= 1e-9 * b
edge = lambda v: v in (0.25, 1.0)  # a law that leaves [chance, max] is cut there (plot_turn_clip.sh)
for law, parts in seen.items():
    solid = [p for p in parts if not p[0]]
    dashed = [p for p in parts if p[0]]
    # solid from the smallest run to the largest, or from/to where the law leaves the plot's range
    assert len(solid) == 1, (law, solid)
    s = solid[0]
    assert close(s[1], lo) or (s[1] > lo and edge(s[3])), (law, solid, lo, hi)
    assert close(s[2], hi) or (s[2] < hi and edge(s[4])), (law, solid, lo, hi)
    # dashed: one part ending at the smallest run, one starting at the largest, none over the data
    assert not close(s[1], lo) or any(p[1] < lo and close(p[2], lo) for p in dashed), (law, "below", dashed, lo)
    assert not close(s[2], hi) or any(close(p[1], hi) and p[2] > hi for p in dashed), (law, "beyond", dashed, hi)
    assert all(p[2] <= lo * (1 + 1e-9) or p[1] >= hi * (1 - 1e-9) for p in dashed), (law, dashed, lo, hi)
PY
}
check sat
check mid
check mid --extrapolate-to 1e27
exit $fail
