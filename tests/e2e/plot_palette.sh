#!/usr/bin/env bash
# plot_palette.sh: every colour a chart draws a line or points in reads on white, and nine or ten
# groups get a colour each (docs/PLOT.md, "Palette"). Okabe & Ito's orange, sky blue and yellow have
# a contrast of 2.2, 2.3 and 1.3 against white: on the published-models runs chart DeepSeek LLM was a
# pale yellow open square, and its ninth family, Gemma, took the first family's blue again.
# Read from the kept scripts: each points/lines series' colour, its WCAG 2 contrast ratio against
# white computed here from the sRGB value (>= 3:1, WCAG's threshold for graphics).
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot

"$py" - "$tmp" <<'PY'
import sys
# ten families of five runs each, on separate lines (no corner is crowded into one colour)
with open(sys.argv[1] + "/ten.csv", "w") as f:
    f.write("run,family,C,loss\n")
    for k in range(10):
        for i in range(5):
            f.write("r%d_%d,fam%d,%g,%g\n" % (k, i, k, 10 ** (18 + i), 2 + 0.2 * k + 0.5 / (i + 1)))
PY

"$SCALEFIT" plot scaling "$tmp/ten.csv" -o "$tmp/ten.svg" --script > /dev/null 2> "$tmp/ten.err" \
  || bad "ten families: plot scaling failed: $(cat "$tmp/ten.err")"
"$SCALEFIT" plot scaling "$SF_SRC/datasets/models.csv" --x C --y mmlu --linear-y -o "$tmp/models.svg" --script \
  > /dev/null 2> "$tmp/models.err" || bad "models: plot scaling failed: $(cat "$tmp/models.err")"
"$SCALEFIT" plot turn "$SF_SRC/datasets/models.csv" --y mmlu --chance 0.25 -o "$tmp/turn.svg" --script \
  > /dev/null 2> "$tmp/turn.err" || bad "turn: plot failed: $(cat "$tmp/turn.err")"

for name in ten models turn; do
  [ -s "$tmp/$name.gp" ] || continue
  "$py" - "$tmp/$name.gp" "$name" <<'PY' && pass "$name: every line and point colour has contrast >= 3:1 on white, one per family" \
    || bad "$name: colours"
import re, sys
gp, name = open(sys.argv[1]).read(), sys.argv[2]
def lum(h):
    c = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
series = re.findall(r"with (points|lines|yerrorbars)[^\n]*? lc rgb '(#[0-9A-Fa-f]{6})'[^\n]*? title '([^']*)'", gp)
assert series, "no series found"
for kind, colour, title in series:
    ratio = 1.05 / (lum(colour) + 0.05)
    print(f"{name}: {kind:6} {colour} {ratio:5.2f}:1  {title}")
    assert ratio >= 3, (title, colour, ratio)
# the families (points series named after them) each have a colour of their own
fams = [(c, t) for k, c, t in series if k == "points" and t not in ("models",)]
if name in ("ten", "models"):
    colours = [c.upper() for c, t in fams]
    assert len(set(colours)) == len(colours), ("a colour used twice", fams)
    if name == "ten":
        assert len(colours) == 10, fams
PY
done
exit $fail
