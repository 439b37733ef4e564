#!/usr/bin/env bash
# plot_curves.sh: `scalefit plot curves` draws the training curves stored in an HDF5 run file
# (tests/inputs/curves.h5: three runs of two sweeps, written by test_plot_kinds with
# SF_WRITE_FIXTURE) in every format, by family and coloured by N, and refuses a table without
# curves.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
runs="$SF_INPUTS/curves.h5"

for ext in png svg pdf; do
  "$SCALEFIT" plot curves "$runs" -o "$tmp/c.$ext" >/dev/null 2>"$tmp/err" || bad "curves -o c.$ext: $(cat "$tmp/err")"
done
png_check "$tmp/c.png" 900 600
# lines, no point glyphs; one legend entry per sweep
svg_check "$tmp/c.svg" gpPt6 0 "sweep: training curves" "3 runs with training curves" "sweep-a" "sweep-b" \
  "Training tokens seen (tokens)" "Loss (nats/token)"
pdf_check "$tmp/c.pdf"
# the two sweep-a runs and sweep-a's legend sample are Okabe-Ito blue lines, sweep-b vermillion
nblue=$(grep -c "stroke='rgb(  0, 114, 178)'" "$tmp/c.svg")
nred=$(grep -c "stroke='rgb(213,  94,   0)'" "$tmp/c.svg")
[ "$nblue" -ge 3 ] && [ "$nred" -ge 2 ] && pass "curves coloured by family ($nblue blue, $nred vermillion strokes)" ||
  bad "curves colours: $nblue blue, $nred vermillion strokes"

"$SCALEFIT" plot curves "$runs" --x flops --color-by N -o "$tmp/n.svg" 2>"$tmp/err" || bad "$(cat "$tmp/err")"
svg_check "$tmp/n.svg" gpPt6 0 "Compute spent (FLOP)" "Model size N (parameters)"

# determinism
"$SCALEFIT" plot curves "$runs" -o "$tmp/c2.png" >/dev/null 2>&1
same "$tmp/c.png" "$tmp/c2.png"

# the trainer's own run file: curves of train_loss and val_loss (NaN between evaluations), no 'loss'
"$SCALEFIT" plot curves "$SF_SRC/datasets/sweep_default.h5" -o "$tmp/own.svg" >/dev/null 2>"$tmp/err" ||
  bad "curves of the shipped sweep: $(cat "$tmp/err")"
svg_check "$tmp/own.svg" gpPt6 0 "15 runs with training curves" "val_loss (nats/token)"

chin="$SF_SHARED/chinchilla_svg_extracted.csv"
if [ -f "$chin" ]; then
  expect_exit 2 "has no training curves" -- plot curves "$chin" -o "$tmp/x.png"
fi
expect_exit 2 "curve column 'time' is not in table 'sweep'" -- plot curves "$runs" --x time -o "$tmp/x.png"
[ -e "$tmp/x.png" ] && bad "a failed plot left x.png"
exit $fail
