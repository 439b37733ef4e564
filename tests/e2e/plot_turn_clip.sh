#!/usr/bin/env bash
# plot_turn_clip.sh: the turn chart cuts each law's curve (and band) to [chance, max]. On bending
# data (plot_turn_subtitle.sh's: a sigmoid from 0.25 to 0.95) the log-linear growth law reaches
# 1.0 at about 2e24 FLOP, inside the data, and its line was drawn on through the top of the plot
# to 6e25 (points up to 1.1 in the kept script). Now no point of the script lies outside
# [chance, max], the y range is [chance - 5% of the span, max], and the log-linear line ends on
# max where numpy's least-squares line y = a + b log10 C reaches it.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot

"$py" -c '
import math, sys
rows = ["r%d,%.6g,%.4f" % (i, 10 ** (20 + 4.5 * i / 23), 0.25 + 0.7 / (1 + math.exp(-1.2 * (20 * 23 + 4.5 * i - 20.2 * 23) / 23)) + 0.003 * math.sin(3 * i)) for i in range(24)]
open(sys.argv[1], "w").write("run,C,acc\n" + "\n".join(rows) + "\n")' "$tmp/bend.csv"
for m in 1 0.98; do
  "$SCALEFIT" plot turn "$tmp/bend.csv" --y acc --max $m -o "$tmp/bend.png" --script > /dev/null 2> "$tmp/err" \
    || bad "plot turn --max $m: $(cat "$tmp/err")"
  "$py" - "$tmp/bend.csv" "$tmp/bend.gp" $m <<'PY' && pass "--max $m: every law's line and band within [0.25, $m]" || bad "--max $m: clipping"
import re, sys
import numpy as np
d = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=(1, 2))
mx, chance = float(sys.argv[3]), 0.25
gp = open(sys.argv[2]).read()
blocks = {int(n): [list(map(float, l.split())) for l in body.strip().splitlines()]
          for n, body in re.findall(r"^\$d(\d+) << EOD\n(.*?)^EOD", gp, re.M | re.S)}
lo, hi = map(float, re.search(r"^set yrange \[([^:]+):([^\]]+)\]", gp, re.M).groups())
assert abs(hi - mx) < 1e-12 and abs(lo - (chance - 0.05 * (mx - chance))) < 1e-9, (lo, hi)
plot = gp[gp.index("\nplot "):]
for n, rows in blocks.items():
    if n == 0: continue  # the runs
    for r in rows:
        for v in r[1:]:
            assert chance - 1e-12 <= v <= mx + 1e-12, ("$d%d" % n, r, mx)
# the log-linear law (its solid line: the one titled so) ends where the least-squares line meets max
n = int(re.search(r"\$d(\d+) using 1:2 with lines [^\n]*title 'log-linear growth \(", plot).group(1))
b, a = np.polyfit(np.log10(d[:, 0]), d[:, 1], 1)
xstar = 10 ** ((mx - a) / b)
assert xstar < d[:, 0].max(), xstar  # it leaves the plot inside the data
end = blocks[n][-1]
assert end[1] == mx and abs(end[0] / xstar - 1) < 1e-3, (end, xstar)
PY
done
exit $fail
