#!/usr/bin/env bash
# plot_labels.sh: a marker line's label stands beside the line, clear of it, in the PNG drawn. The
# turn chart's inflection interval is labelled for the line at its centre too, and the label sat
# centred on the interval with the line through its middle ("inflection, 95|% interval"); the
# scaling chart's turned "end of fitted runs" ran its letters into its line (0.7 characters left
# of it, where pngcairo centres turned text on its anchor). The pixels are told apart by drawing
# the kept script again without the label and without the line (gnuplot itself, as the chart):
# what changes are the label's pixels and the line's; between them at least 3 px of the label's rows.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot

clear_of_line() { # clear_of_line NAME LABEL: NAME.png's label LABEL keeps 3 px from its marker line
  "$py" - "$tmp/$1.gp" "$2" "$tmp" <<'PY' && pass "$1: '$2' clear of its line" || bad "$1: '$2' on or against its line"
import os, subprocess, sys
sys.path.insert(0, os.path.join(os.environ["SF_SRC"], "tests/e2e/lib"))
from png import read_rows
script, label, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(script).read().split("\n")
def draw(name, keep):
    out = os.path.join(tmp, name)
    open(out + ".gp", "w").write("\n".join(l for l in lines if keep(l)))
    subprocess.run(["gnuplot", "-e", "sf_output='%s'" % out, out + ".gp"], check=True)
    return read_rows(out)
W, H, bpp, full = draw("full.png", lambda l: True)
quoted = "'" + label + "'"
assert sum(l.startswith("set label " + quoted) for l in lines) == 1, "no label " + quoted
assert sum(l.startswith("set arrow ") and "nohead" in l for l in lines) == 1, "not one marker line"
no_label = draw("nolabel.png", lambda l: not l.startswith("set label " + quoted))[3]
no_line = draw("noline.png", lambda l: not l.startswith("set arrow "))[3]
def changed(rows):
    return [(x, y) for y in range(H) for x in range(W) if rows[y][x * bpp:x * bpp + 3] != full[y][x * bpp:x * bpp + 3]]
text, line = changed(no_label), changed(no_line)
assert text and line, (len(text), len(line))
x0, x1 = min(x for x, _ in text), max(x for x, _ in text)
y0, y1 = min(y for _, y in text), max(y for _, y in text)
cols = sorted({x for x, y in line if y0 <= y <= y1})  # the line beside the label
gap = min(x0 - c if c < x0 else c - x1 if c > x1 else -1 for c in cols)
print("label x %d..%d y %d..%d; line x %d..%d; gap %d px" % (x0, x1, y0, y1, cols[0], cols[-1], gap))
assert gap >= 3
PY
}

# the turn chart: the inflection's interval and its line, which the label names both
"$SCALEFIT" plot turn "$SF_SRC/datasets/models.csv" --y mmlu --chance 0.25 --script -o "$tmp/turn.png" \
  >/dev/null 2>"$tmp/err" || bad "plot turn: $(cat "$tmp/err")"
clear_of_line turn "inflection, 95% interval"
# the own sweep's fit drawn beyond its runs: the line at the largest, labelled, turned
"$SCALEFIT" plot scaling "$SF_SRC/datasets/sweep_default.h5" --fit "$SF_SRC/tests/inputs/fit_own_sweep.json" \
  --extrapolate-to 1e16 --script -o "$tmp/scaling.png" >/dev/null 2>"$tmp/err" || bad "plot scaling: $(cat "$tmp/err")"
clear_of_line scaling "end of fitted runs"
exit $fail
