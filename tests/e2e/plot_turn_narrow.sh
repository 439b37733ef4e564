#!/usr/bin/env bash
# plot_turn_narrow.sh: on a narrow turn chart (--width 500) the shaded regions' labels go to the
# legend, saying which shade they name, instead of sitting on the runs, laws and bands: at 500 px
# "laws differ by > 0.05" and "inflection, 95% interval" each took a third of the plot's width and no
# place was clear of them; found drawing the obsscaling MMLU data at --width 500 --height 400. Checked
# in the SVG: every text naming a region lies below the x axis's label (the legend under the plot),
# both regions still shaded (the script's rectangles); at the default 900 px the labels stay in the plot.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
data=$SF_SRC/datasets/models.csv

check() { # check NAME WANT_BELOW ARGS...
  "$SCALEFIT" plot turn "$data" --y mmlu --chance 0.25 "${@:3}" --script -o "$tmp/$1.svg" > /dev/null 2> "$tmp/$1.err" \
    || { bad "$1: plot turn failed: $(cat "$tmp/$1.err")"; return; }
  "$py" - "$tmp/$1.svg" "$tmp/$1.gp" "$2" <<'PY' && pass "$1: region labels $([ "$2" = 1 ] && echo in the legend below the plot || echo in the plot)" \
    || bad "$1: region labels"
import re, sys
svg, gp, below = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3] == "1"
texts = [(float(y), t) for y, t in re.findall(
    r'translate\([\d.]+,([\d.]+)\)[^>]*>\s*<text><tspan[^>]*>([^<]*)</tspan>', svg)]
axis = next(y for y, t in texts if t.startswith("Training compute C"))
regions = [(y, t) for y, t in texts if t.startswith(("laws differ", "inflection"))]
print(sys.argv[1], "x axis label at y", axis, "region texts", regions)
assert len(regions) == 2, regions
assert len(re.findall(r"^set object rectangle", gp, re.M)) == 2, "both regions shaded"
if below:
    assert all(y > axis for y, _ in regions), ("a region's label in the plot", regions, axis)
    assert any("(shaded" in t for _, t in regions)
else:
    assert all(y < axis for y, _ in regions), ("a region's label outside the plot", regions, axis)
PY
}

check narrow 1 --width 500 --height 400
check default 0
exit $fail
