#!/usr/bin/env bash
# plot_turn_subtitle.sh: the turn chart's subtitle is a short form of the verdict where the full one
# would wrap to a third line. The verdict for an inflection at the smallest runs ("no turn identified
# within the data: the inflection lies at the smallest runs or below them (N runs below its 95%
# interval, which ends at X), so the rise from chance is not observed") filled 3 subtitle lines at
# the default 900 px and pushed the plot down. The chart now says what and where in 2 lines, with the
# same interval end as the text output, and `scalefit turn` keeps the full verdict. Read from the
# kept script: its subtitle lines are the labels 1101, 1102, ... (gnuplot.c).
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot

# a metric flat at 0.95 from 1e19 to 3e24: saturated before the smallest run
"$py" -c '
import math, sys
rows = ["r%d,%.6g,%.4f" % (i, 10 ** (19 + (math.log10(3e24) - 19) * i / 23), 0.95 + 0.005 * math.sin(3 * i)) for i in range(24)]
open(sys.argv[1], "w").write("run,C,acc\n" + "\n".join(rows) + "\n")' "$tmp/sat.csv"
"$SCALEFIT" turn "$tmp/sat.csv" --y acc > "$tmp/sat.txt" || bad "turn failed"
"$SCALEFIT" plot turn "$tmp/sat.csv" --y acc -o "$tmp/sat.png" --script > /dev/null 2> "$tmp/sat.err" \
  || bad "plot turn failed: $(cat "$tmp/sat.err")"
"$py" - "$tmp/sat.txt" "$tmp/sat.gp" <<'PY' && pass "subtitle in 2 lines, the text's verdict in full" || bad "subtitle"
import re, sys
text = open(sys.argv[1]).read()
verdict = re.search(r"^verdict: (.*)$", text, re.M).group(1)
# the text output keeps the full verdict, with its count and its reading
assert "runs below its 95% interval, which ends at" in verdict and "so the rise from chance is not observed" in verdict, verdict
end = re.search(r"which ends at ([0-9.e+-]+)\)", verdict).group(1)
gp = open(sys.argv[2]).read()
sub = [m for n, m in sorted(re.findall(r"^set label (11\d\d) '(.*?)' at screen", gp, re.M))]
assert 1 <= len(sub) <= 2, sub
joined = " ".join(sub)
assert joined.startswith("no turn within the data") and "at or below the smallest runs" in joined, joined
assert "interval ends at %s)" % end in joined, (joined, end)
PY

# growth bending, the sigmoid preferred, its inflection below the smallest run: the other low-end verdict
"$py" -c '
import math, sys
rows = ["r%d,%.6g,%.4f" % (i, 10 ** (20 + 4.5 * i / 23), 0.25 + 0.7 / (1 + math.exp(-1.2 * (20 * 23 + 4.5 * i - 20.2 * 23) / 23)) + 0.003 * math.sin(3 * i)) for i in range(24)]
open(sys.argv[1], "w").write("run,C,acc\n" + "\n".join(rows) + "\n")' "$tmp/bend.csv"
"$SCALEFIT" turn "$tmp/bend.csv" --y acc > "$tmp/bend.txt" || bad "turn bend failed"
"$SCALEFIT" plot turn "$tmp/bend.csv" --y acc -o "$tmp/bend.png" --script > /dev/null 2>&1 || bad "plot turn bend failed"
"$py" - "$tmp/bend.txt" "$tmp/bend.gp" <<'PY' && pass "bending: subtitle in 2 lines" || bad "bending subtitle"
import re, sys
verdict = re.search(r"^verdict: (.*)$", open(sys.argv[1]).read(), re.M).group(1)
assert verdict.startswith("growth is bending (sigmoid preferred") and "which ends at" in verdict, verdict
end = re.search(r"which ends at ([0-9.e+-]+)\)", verdict).group(1)
sub = [m for n, m in sorted(re.findall(r"^set label (11\d\d) '(.*?)' at screen", open(sys.argv[2]).read(), re.M))]
joined = " ".join(sub)
assert 1 <= len(sub) <= 2 and "at or below the smallest runs (95% interval ends at " + end + ")" in joined, sub
PY
exit $fail
