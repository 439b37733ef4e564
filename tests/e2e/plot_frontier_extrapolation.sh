#!/usr/bin/env bash
# plot_frontier_extrapolation.sh: the frontier chart marks extrapolation as the scaling chart does
# (docs/PLOT.md): the fit's N* and D* solid over the compute of the runs it was fitted on, dashed
# ("extrapolation") below and beyond, in both panels. It drew "this fit" solid out to 10^4 times the
# largest run, the extrapolation told only by a dotted vertical line; found drawing the frontier of
# the main job's own-sweep fit (plots/own-chinchilla.json). The fitted range is read here from the fit
# file's "range" (the runs' C), the lines' extents from the kept script's data blocks.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
fit=$SF_SRC/tests/inputs/fit_own_sweep.json

check() { # check NAME ARGS...: the frontier of $fit with ARGS
  "$SCALEFIT" plot frontier "$fit" "${@:2}" --script -o "$tmp/$1.svg" > /dev/null 2> "$tmp/$1.err" \
    || { bad "$1: plot frontier failed: $(cat "$tmp/$1.err")"; return; }
  "$py" - "$fit" "$tmp/$1.gp" "$1" <<'PY' && pass "$1: the fit solid over its runs' compute, dashed outside, both panels" \
    || bad "$1: the fit's solid and dashed extents"
import json, re, sys
lo, hi = json.load(open(sys.argv[1]))["data"]["range"]["C"]
gp, name = open(sys.argv[2]).read(), sys.argv[3]
blocks = dict(re.findall(r"^\$(d\d+) << EOD\n(.*?)^EOD", gp, re.M | re.S))
def parts(block):  # the runs of rows a blank line does not break: each drawn as one line
    out = []
    for chunk in re.split(r"\n\s*\n", blocks[block].strip("\n")):
        rows = [tuple(map(float, l.split()[:2])) for l in chunk.split("\n") if l.strip()]
        if len(rows) >= 2:
            out.append(rows)
    return out
series = re.findall(r"\$(d\d+) using 1:2 with lines lw [0-9.]+ lc rgb '#000000'( dt \([0-9,]+\))? (?:title '([^']*)'|notitle)", gp)
solid = [b for b, dt, t in series if not dt and t == "this fit"]
# named in the N panel's legend, untitled in the D panel's
dashed = [b for b, dt, t in series if dt and t in ("extrapolation", "")]
assert [t for b, dt, t in series if dt] == ["extrapolation", ""], series
print(name, "fitted C range", lo, hi, "solid", solid, "dashed", dashed)
assert len(solid) == 2 and len(dashed) == 2, series  # one of each per panel
close = lambda a, b: abs(a - b) <= 1e-9 * abs(b)
xs = [float(l.split()[0]) for b in blocks for l in blocks[b].strip().split("\n") if l.strip() and b in solid + dashed]
cmin, cmax = min(xs), max(xs)
for s, d in zip(solid, dashed):
    (sp,) = parts(s)  # one solid piece, from the smallest fitted run (or the chart's left end) to the largest
    assert close(sp[0][0], max(lo, cmin)) and close(sp[-1][0], hi), (sp[0], sp[-1], lo, hi)
    dps = parts(d)
    for p in dps:  # no dashed piece over the fitted runs
        assert p[-1][0] <= lo * (1 + 1e-9) or p[0][0] >= hi * (1 - 1e-9), (p[0], p[-1])
    # beyond the largest run: dashed from it (where the solid line ends, the same value) to the right end
    after = [p for p in dps if close(p[0][0], hi)]
    assert after and close(after[0][-1][0], cmax) and close(after[0][0][1], sp[-1][1]), (after, cmax)
    if cmin < lo * (1 - 1e-9):  # below the smallest run: dashed from the left end to it
        before = [p for p in dps if close(p[-1][0], lo)]
        assert before and close(before[0][0][0], cmin) and close(before[0][-1][1], sp[0][1]), before
    else:
        assert len(dps) == 1, dps
PY
}

check default
check wide --range 1e10:1e18
exit $fail
