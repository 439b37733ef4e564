#!/bin/bash
# report_details.sh: what a report says about its own inputs. A cost scenario given as peak_tflops read
# "0.068 TFLOP/s accelerator, 0.068 TFLOP/s peak (bf16)": the figure twice and a precision nobody chose;
# the provenance showed a data file given as an absolute path twice ("x.csv (x.csv)") in index.html and
# not at all in report.md; the batch index showed a spec that failed while being read as report "-" but
# one that failed while running by its name. Each checked against the spec that was written here.
set -u
. "$(dirname "$0")/lib/common.sh"
fail_fast
w=$tmp
cd "$w"
M="$SF_SRC/datasets/models.csv"

printf '[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost c]\npeak_tflops = 0.068\n[cost g]\ngpu = h100\nprecision = fp16\n' > cost.ini
printf '[data]\nfile = %s\n[fit f]\nlaw = power\nx = C\ny = mmlu\n' "$M" > abs.ini
printf '[data]\nfile = @datasets/models.csv\n[fit f]\nlaw = power\nx = C\ny = mmlu\n' > at.ini
printf '[data]\nfile = %s\n[fit bad]\nlaw = power\nx = nosuch\n' "$M" > runfail.ini
printf '[report]\nfiel = x\n' > readfail.ini
"$SCALEFIT" report cost.ini abs.ini at.ini runfail.ini readfail.ini -o out > out.txt 2>&1
[ $? -eq 2 ] || fail "exit, want 2: $(cat out.txt)"

# the peak as given, once, and no precision; an accelerator by name keeps its precision
grep -qF "Scenario 'c': an accelerator of 0.068 TFLOP/s peak (peak\\_tflops), MFU 0.4." out/cost/report.md ||
  fail "peak_tflops scenario: $(grep Scenario out/cost/report.md)"
[ "$(grep "Scenario 'c'" out/cost/report.md | grep -o '0\.068' | wc -l)" = 1 ] || fail "the peak twice"
! grep "Scenario 'c'" out/cost/report.md | grep -q "bf16" || fail "a precision for a peak given in TFLOP/s"
grep -qF "Scenario 'g': H100 SXM5, 989.4 TFLOP/s peak (fp16)" out/cost/report.md || fail "gpu scenario"

# the data file: once when given as an absolute path, with where it resolved to when given as @datasets/
abs_md=$(grep -o "Data: [^ ]*" out/abs/report.md | sed 's/\\_/_/g')
[ "$abs_md" = "Data: $M." ] || fail "report.md data: '$abs_md'"
[ "$(grep -o '<dt>data</dt><dd>.*</dd></dl>' out/abs/index.html | grep -oF "$M" | wc -l)" = 1 ] ||
  fail "index.html data: $(grep -o '<dt>data</dt>.*' out/abs/index.html)"
grep -qF "<dt>data</dt><dd><code>@datasets/models.csv</code> (" out/at/index.html || fail "@datasets/ path: resolved not shown"
grep -q "Data: @datasets/models.csv (/.*models.csv)\." out/at/report.md || fail "@datasets/ path in report.md"

# the index names both failed specs alike, unlinked
grep -qF '<tr><td>runfail</td><td><code>runfail.ini</code></td>' out/index.html || fail "index: runfail row"
grep -qF '<tr><td>readfail</td><td><code>readfail.ini</code></td>' out/index.html ||
  fail "index: readfail row: $(grep readfail.ini out/index.html)"
exit 0
