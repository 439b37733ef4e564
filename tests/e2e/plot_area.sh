#!/usr/bin/env bash
# plot_area.sh: the plot area the layout reckons with (legend room, label places, ticks; the kept
# script says it: "# plot area estimated W x H px") is the one gnuplot draws, measured on its axis
# frame: in the PNG the left border's column of #404040 pixels, in the SVG the border's path. Single
# panels with and without a title, stacked panels (the frontier chart: panel titles) with and
# without the figure's title, the bootstrap chart's grid (panels with and without titles), PNG and
# SVG. The layout once took every panel's share less 5 font sizes: on the frontier chart 361 px
# where gnuplot draws 300 (PNG) and 256 (SVG), and its legends touched the curves in a report.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
runs="$SF_SRC/datasets/sweep_default.h5"
fit="$SF_SRC/tests/inputs/fit_own_sweep.json"

check() { # check NAME ARGS...: scalefit plot ARGS in PNG and SVG, estimate against the drawn frames
  local name=$1 ext
  shift
  for ext in png svg; do
    "$SCALEFIT" plot "$@" --script -o "$tmp/$name.$ext" >/dev/null 2>"$tmp/err" ||
      { bad "plot $* -o $name.$ext: $(cat "$tmp/err")"; continue; }
    "$py" - "$tmp/$name.$ext" "$tmp/$name.gp" <<'PY' && pass "$name.$ext: plot areas as estimated" || bad "$name.$ext: plot areas not as estimated"
import os, re, sys
sys.path.insert(0, os.path.join(os.environ["SF_SRC"], "tests/e2e/lib"))
path, script = sys.argv[1], sys.argv[2]
est = [float(h) for h in re.findall(r"# plot area estimated \d+ x (\d+) px", open(script).read())]
if path.endswith(".png"):
    from png import read_rows
    W, H, bpp, rows = read_rows(path)
    border = bytes([64, 64, 64])
    drawn = []  # (top, height) of each vertical run of border pixels taller than 60 px
    for x in range(W):
        run = 0
        for y in range(H + 1):
            if y < H and rows[y][x * bpp:x * bpp + 3] == border:
                run += 1
                continue
            if run > 60:
                drawn.append((y - run, run))
            run = 0
    drawn = [h for _, h in drawn]
else:
    svg = open(path).read()
    drawn = {}  # gnuplot draws the border twice where a legend is opaque
    for m in re.finditer(r"stroke='rgb\( 64,  64,  64\)'\s+d='M([\d.]+),([\d.]+) L([\d.]+),([\d.]+) L", svg):
        x0, y0, x1, y1 = map(float, m.groups())
        if x0 == x1:
            drawn[(x0, y0)] = y1 - y0
    drawn = list(drawn.values())
assert len(drawn) == len(est), ("frames", drawn, "estimates", est)
for e, d in zip(sorted(est), sorted(drawn)):  # a grid's panels in another order: compared sorted
    assert abs(e - d) <= max(4, 0.015 * d), ("estimated", est, "drawn", drawn)
print(os.path.basename(path), "estimated", est, "drawn", [round(d) for d in drawn])
PY
  done
}

check single scaling "$runs"
check single-untitled scaling "$runs" --title ''
check single-large scaling "$runs" --width 1400 --height 900
check stacked frontier "$fit"
check stacked-untitled frontier "$fit" --title ''
check stacked-small frontier "$fit" --width 600 --height 700
check grid bootstrap "$fit"
exit $fail
