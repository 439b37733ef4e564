#!/usr/bin/env bash
# plot_stacked.sh: panels stacked over one x axis (the frontier chart's N* over D*) start at the same
# left edge, so that a compute reads at the same place in both. Each panel took gnuplot's own left
# margin, as wide as its y tick labels: on the own sweep's frontier N*'s 10^9 against D*'s 10^10 put
# the D panel's plot area 12 px right of the N panel's, its 10^12 tick under nothing in the panel
# above; found looking at reports/own-sweep/chart-frontier.svg. What is compared is gnuplot's own
# account of each plot area (GPVAL_TERM_XMIN, XMAX after each panel's plot), in every format.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot

for ext in png svg pdf; do
  "$SCALEFIT" plot frontier "$SF_SRC/tests/inputs/fit_own_sweep.json" --script -o "$tmp/fr.$ext" >/dev/null 2>"$tmp/err" ||
    { bad "plot frontier -o fr.$ext: $(cat "$tmp/err")"; continue; }
  # the kept script, with gnuplot asked where each panel's plot area went (before the next panel's
  # reset, and before the multiplot ends)
  awk '/^reset$/ && seen { print "print GPVAL_TERM_XMIN, GPVAL_TERM_XMAX" }
       /^unset multiplot/ { print "print GPVAL_TERM_XMIN, GPVAL_TERM_XMAX" }
       /^reset$/ { seen = 1 } { print }' "$tmp/fr.gp" >"$tmp/probe.gp"
  gnuplot -e "sf_output='$tmp/probe.$ext'" "$tmp/probe.gp" 2>"$tmp/xs" || { bad "gnuplot probe: $(cat "$tmp/xs")"; continue; }
  "$py" - "$tmp/xs" "$ext" <<'PY' && pass "$ext: the frontier's stacked panels share their left edge" || bad "$ext: the stacked panels' left edges differ"
import sys
xs = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
print(sys.argv[2], "plot areas (xmin, xmax):", xs)
assert len(xs) == 2, xs
(a0, a1), (b0, b1) = xs
# within a thousandth of the canvas (gnuplot's terminal units: PNG pixels, SVG and PDF finer)
assert abs(a0 - b0) <= 0.001 * max(a1, b1) * 1.2 + 1, (a0, b0)
assert abs(a1 - b1) <= 0.001 * max(a1, b1) * 1.2 + 1, (a1, b1)
PY
done

# ... and the y labels stay on the canvas: stacked panels set their margin themselves, and in SVG,
# whose terminal puts the y label further left than pngcairo's, a browser cut "Compute-optimal
# parameters N*" at the left edge (dark pixels in its first columns). Looked at in chromium.
if command -v chromium >/dev/null 2>&1; then
  "$SCALEFIT" plot frontier "$SF_SRC/tests/inputs/fit_own_sweep.json" -o "$tmp/fr2.svg" >/dev/null 2>"$tmp/err" ||
    bad "plot frontier -o fr2.svg: $(cat "$tmp/err")"
  chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/chrome" --window-size=900,900 \
    --screenshot="$tmp/fr2.png" "file://$tmp/fr2.svg" >/dev/null 2>&1 || bad "chromium screenshot of fr2.svg"
  "$py" - "$tmp/fr2.png" "$SF_SRC/tests/e2e/lib" <<'PY' && pass "svg: the y labels start inside the canvas" || bad "svg: a y label cut at the left edge"
import sys
sys.path.insert(0, sys.argv[2])
import png
W, H, bpp, rows = png.read_rows(sys.argv[1])
dark = sorted({x for r in rows for x in range(4) if sum(r[x * bpp:x * bpp + 3]) < 3 * 128})
print("dark pixels in the first 4 columns:", dark)
assert not dark, dark
PY
fi
exit $fail
