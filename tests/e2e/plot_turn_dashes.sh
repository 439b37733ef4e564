#!/usr/bin/env bash
# plot_turn_dashes.sh: the turn chart says in its legend what its dashes mean. Each law is drawn
# solid over the models' range and dashed below and beyond it (docs/PLOT.md), but the legend showed
# each law solid only, and its one dashed sample was the chance level's: a reader of the chart in a
# paper could not tell the extrapolated stretches (the scaling chart's fit has its "extrapolation"
# entry); found looking at plots/mmlu-turn.svg from examples/main-job.sh. Checked: the kept script
# draws law stretches dashed outside the models' C range (from the CSV, in Python) and has a dashed
# legend sample (gnuplot's keyentry) that names them, in every format; gnuplot says nothing.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
models="$SF_SRC/datasets/models.csv"
key="dashed: the laws outside the models' range"

for ext in png svg pdf; do
  "$SCALEFIT" plot turn "$models" --y mmlu --chance 0.25 --script -o "$tmp/turn.$ext" >/dev/null 2>"$tmp/err" ||
    { bad "plot turn -o turn.$ext: $(cat "$tmp/err")"; continue; }
  grep -q "warning" "$tmp/err" && bad "turn.$ext: gnuplot warned: $(cat "$tmp/err")"
  "$py" - "$models" "$tmp/turn.gp" "$key" <<'PY' && pass "turn.$ext: dashed law stretches outside the runs, and a legend entry for them" || bad "turn.$ext: the dashes are not explained"
import csv, re, sys
C = []
for r in csv.DictReader(open(sys.argv[1])):
    if not r["mmlu"]:
        continue
    c = float(r["C"]) if r["C"] else 6 * float(r["N"]) * float(r["D"]) if r["N"] and r["D"] else 0  # docs/FORMAT.md: C = 6ND
    if c > 0:
        C.append(c)
lo, hi = min(C), max(C)
gp, key = open(sys.argv[2]).read(), sys.argv[3]
blocks = dict(re.findall(r"^\$d(\d+) << EOD\n(.*?)^EOD$", gp, re.M | re.S))
# the law stretches drawn dashed in a colour (not the chance line's black)
dashed = re.findall(r"\$d(\d+) using 1:2 with lines lw [0-9.]+ lc rgb '(#[0-9a-fA-F]{6})' dt \(8,5\)", gp)
laws = [(d, col) for d, col in dashed if col != "#000000"]
assert laws, "no dashed law stretch"
for d, col in laws:
    xs = [float(l.split()[0]) for l in blocks[d].splitlines() if l.strip()]
    assert all(x <= lo * (1 + 1e-9) for x in xs) or all(x >= hi * (1 - 1e-9) for x in xs), (d, min(xs), max(xs), lo, hi)
samples = re.findall(r"keyentry with lines [^\n]*dt \(8,5\) title '([^\n]*)'", gp)
assert [s.replace("''", "'") for s in samples] == [key], samples
print(f"{len(laws)} dashed law stretches outside [{lo:.3g}, {hi:.3g}]; legend: {samples}")
PY
done
svg_check "$tmp/turn.svg" any -1 "$key" "chance (0.25)"
exit $fail
