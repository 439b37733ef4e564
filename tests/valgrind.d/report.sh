# report.sh (sourced by tests/valgrind.sh): `scalefit report` under valgrind: a shipped example
# spec (forecasts, targets, costs, a chart), and the same with a spec that fails while running
# in parallel (-j 2: each child process is checked; a child's leak fails its spec and so the exit
# code), a spec that does not parse, and a missing -o. published-models.ini is left out: its turn
# chart refits the turn analysis 100 times, minutes under valgrind.
if command -v gnuplot >/dev/null 2>&1; then
  vg 0 report "$SF_SRC/examples/published-laws.ini" -o "$tmp/rep"
  printf '[data]\nfile = %s\n[fit bad]\nlaw = power\nx = nosuchcolumn\n' "$SF_SRC/datasets/models.csv" > "$tmp/runfail.ini"
  vg 2 report "$SF_SRC/examples/published-laws.ini" "$tmp/runfail.ini" -o "$tmp/rep" -j 2
fi
printf '[report]\ntitle = broken\n[data]\nfiel = x.csv\n' > "$tmp/broken.ini"
vg 2 report "$tmp/broken.ini" -o "$tmp/rep"
vg 1 report "$tmp/broken.ini"
# the same diverged fit in a spec: the spec fails at its law line, exit 3
printf '[data]\nfile = %s\nwhere = N > 5e4 and loss < 1.5\n[fit p]\nlaw = power\n' "$SF_SRC/datasets/sweep_default.h5" > "$tmp/div.ini"
vg 3 report "$tmp/div.ini" -o "$tmp/rep"
# a target whose band leaves out refits that cannot be solved (met already at 6 FLOP): the note and the count
printf '[data]\nfile = %s\n[fit ch]\nlaw = chinchilla\nbootstrap = 8\n[forecast]\ntargets = 200\n' "$SF_SRC/datasets/sweep_default.h5" > "$tmp/unsolved.ini"
vg 0 report "$tmp/unsolved.ini" -o "$tmp/rep"
# a new user's spec errors found while running, each at its line with exit 2: a frontier chart and a
# scaling chart against N of a law of C (charts.c's refusals, before anything is drawn), a turn whose
# chance level the runs lie far below (the refusal in the spec's words), a precision the accelerator
# table lacks
if command -v gnuplot >/dev/null 2>&1; then
  printf '[data]\nfile = %s\n[fit pc]\nlaw = power\ny = mmlu\n[chart f]\nkind = frontier\nfit = pc\n' "$SF_SRC/datasets/models.csv" > "$tmp/front.ini"
  vg 2 report "$tmp/front.ini" -o "$tmp/rep"
  printf '[data]\nfile = %s\n[fit pc]\nlaw = power\ny = mmlu\n[chart s]\nkind = scaling\nfit = pc\nx = N\n' "$SF_SRC/datasets/models.csv" > "$tmp/xn.ini"
  vg 2 report "$tmp/xn.ini" -o "$tmp/rep"
  printf '[data]\nfile = %s\n[fit pc]\nlaw = power\ny = mmlu\n[chart s]\nkind = scaling\nfit = pc\nx = tokens_seen\n' "$SF_SRC/datasets/models.csv" > "$tmp/xm.ini"
  vg 2 report "$tmp/xm.ini" -o "$tmp/rep"
fi
printf '[data]\nfile = %s\n[turn]\ny = mmlu\nchance = 0.6\n' "$SF_SRC/datasets/models.csv" > "$tmp/chance.ini"
vg 2 report "$tmp/chance.ini" -o "$tmp/rep"
printf '[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost t]\ngpu = tpu-v4\nprecision = fp32\n' > "$tmp/prec.ini"
vg 2 report "$tmp/prec.ini" -o "$tmp/rep"
# [data] where by the library's selection (sf_where_rows, sf_table_keep_rows): a where that keeps
# some runs, a text field at the where line
printf '[data]\nfile = %s\nwhere = C < 1e24\n[fit p]\nlaw = power\ny = mmlu\n' "$SF_SRC/datasets/models.csv" > "$tmp/where.ini"
vg 0 report "$tmp/where.ini" -o "$tmp/rep"
printf '[data]\nfile = %s\nwhere = Model_Family > 1\n[fit p]\nlaw = power\ny = mmlu\n' "$SF_SRC/datasets/models.csv" > "$tmp/wtext.ini"
vg 2 report "$tmp/wtext.ini" -o "$tmp/rep"
# the same in a report: the warnings under the forecast table and the target
printf '[data]\nfile = %s\n[fit ch]\nlaw = chinchilla\nbootstrap = 8\nseed = 1\n[forecast]\nbudgets = 1e15\ntargets = 2\n' "$SF_SRC/tests/inputs/tiny_sweep.csv" > "$tmp/excl.ini"
vg 0 report "$tmp/excl.ini" -o "$tmp/rep"
# two unnamed [turn]s (refused while read); a peak given in TFLOP/s, a read failure beside a report (the index names both)
printf '[data]\nfile = %s\n[turn]\ny = mmlu\n[turn]\ny = mmlu\n' "$SF_SRC/datasets/models.csv" > "$tmp/dupturn.ini"
vg 2 report "$tmp/dupturn.ini" -o "$tmp/rep"
printf '[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost c]\npeak_tflops = 0.068\n' > "$tmp/peak.ini"
vg 2 report "$tmp/peak.ini" "$tmp/broken.ini" -o "$tmp/rep"
# peak_tflops with precision (refused, as optimal --peak-tflops --precision); a target met already (no band);
# budgets out of order and one twice (sorted, merged, noted); a page with warnings (counted for the index)
printf '[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost c]\npeak_tflops = 500\nprecision = fp16\n' > "$tmp/peakprec.ini"
vg 2 report "$tmp/peakprec.ini" -o "$tmp/rep"
printf '[data]\nfile = %s\n[fit ch]\nlaw = chinchilla\n[forecast]\nbudgets = 1e24, 1e21:1e23:3, 1e22\ntargets = 100, 0.1\n' "$SF_SRC/datasets/sweep_default.h5" > "$tmp/reached.ini"
vg 0 report "$tmp/reached.ini" -o "$tmp/rep"
# targets out of order and one twice (sorted from the highest, merged, noted)
printf '[forecast]\npublished = hoffmann2022_approach3\ntargets = 2.0, 2.2, 2.1, 2.0\n' > "$tmp/targets.ini"
vg 0 report "$tmp/targets.ini" -o "$tmp/rep"
