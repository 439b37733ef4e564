#!/usr/bin/env bash
# plot_scaling.sh: `scalefit plot scaling` draws real charts in every format, and the files are
# what they claim: PNG signature and IHDR size, SVG well-formed with one glyph per run and the
# expected texts, a one-page PDF; PNG and SVG are byte-identical across runs; --script keeps a
# script that redraws the same chart alone; the default output goes under plots/.
# Data: Hoffmann et al.'s 245 Chinchilla runs (../shared/datasets) and the shipped models table.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
chin="$SF_SHARED/chinchilla_svg_extracted.csv"
[ -f "$chin" ] || { echo "skip: $chin not found"; exit 77; }
models="$SF_SRC/datasets/models.csv"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Chinchilla, loss against compute coloured by model size: 245 filled circles (gnuplot's
# point type 7 is the SVG symbol gpPt6), no legend (a colour bar instead).
for ext in png svg pdf; do
  "$SCALEFIT" plot scaling "$chin" --color-by N -o "$tmp/chin.$ext" >"$tmp/out" 2>"$tmp/err" ||
    bad "plot scaling -o chin.$ext: $(cat "$tmp/err")"
done
grep -q "^wrote $tmp/chin.pdf$" "$tmp/out" || bad "no 'wrote' line: $(cat "$tmp/out")"
png_check "$tmp/chin.png" 900 600
svg_check "$tmp/chin.svg" gpPt6 245 "chinchilla_svg_extracted: Loss against training compute C" "245 runs" \
  "Training compute C (FLOP)" "Loss (nats/token)" "Model size N (parameters)"
pdf_check "$tmp/chin.pdf"

# by family (the file has none: one series, one legend entry), a size of our choosing
"$SCALEFIT" plot scaling "$chin" --width 1200 --height 800 -o "$tmp/fam.svg" 2>"$tmp/err" || bad "$(cat "$tmp/err")"
svg_check "$tmp/fam.svg" gpPt6 246 "(no family)"
"$SCALEFIT" plot scaling "$chin" --width 1200 --height 800 -o "$tmp/big.png" 2>"$tmp/err" || bad "$(cat "$tmp/err")"
png_check "$tmp/big.png" 1200 800

# the published models: MMLU against compute by family, each family in the legend; against N
if [ -f "$models" ]; then
  "$SCALEFIT" plot scaling "$models" --y mmlu --linear-y -o "$tmp/models.svg" 2>"$tmp/err" || bad "$(cat "$tmp/err")"
  grep -q "left out of the chart" "$tmp/err" || bad "runs without C or mmlu not reported: $(cat "$tmp/err")"
  svg_check "$tmp/models.svg" gpPt6 -1 "Gopher" "Chinchilla" "PaLM" "LLaMA" "mmlu"
  "$SCALEFIT" plot scaling "$models" --x N --y mmlu --linear-y --title "MMLU by size" -o "$tmp/n.svg" \
    2>"$tmp/err" || bad "$(cat "$tmp/err")"
  svg_check "$tmp/n.svg" gpPt6 -1 "MMLU by size" "Model size N (parameters)"
fi

# determinism: PNG and SVG byte-identical across runs
"$SCALEFIT" plot scaling "$chin" --color-by N -o "$tmp/chin2.png" >/dev/null 2>&1
"$SCALEFIT" plot scaling "$chin" --color-by N -o "$tmp/chin2.svg" >/dev/null 2>&1
same "$tmp/chin.png" "$tmp/chin2.png"
same "$tmp/chin.svg" "$tmp/chin2.svg"

# --script keeps chin3.gp beside the chart; gnuplot alone redraws the same bytes from it
"$SCALEFIT" plot scaling "$chin" --color-by N --script -o "$tmp/chin3.png" >"$tmp/out" 2>&1 || bad "$(cat "$tmp/out")"
grep -q "^wrote $tmp/chin3.png and $tmp/chin3.gp$" "$tmp/out" || bad "script not reported: $(cat "$tmp/out")"
if [ -f "$tmp/chin3.gp" ] && grep -q '^\$d0 << EOD$' "$tmp/chin3.gp"; then
  cp "$tmp/chin3.png" "$tmp/chin3.first.png"
  rm "$tmp/chin3.png"
  (cd / && gnuplot "$tmp/chin3.gp") || bad "gnuplot on the kept script failed"
  same "$tmp/chin3.first.png" "$tmp/chin3.png"
else
  bad "--script kept no script with datablocks"
fi

# no -o: plots/INPUT-KIND.png under the working directory, the folder made on demand
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && "$SCALEFIT" plot scaling "$chin" >"$tmp/out" 2>&1) || bad "default output: $(cat "$tmp/out")"
png_check "$tmp/cwd/plots/chinchilla_svg_extracted-scaling.png" 900 600

# every log axis is labelled at both ends: runs all at one compute (the axis is that C halved to
# doubled: 1-2-5 ticks labelled only 1e18 and 2e18, the left 37% bare), one run, and a power law
# whose extrapolation falls below 0.1 (0.06..0.23: nothing was labelled below 0.1)
printf 'name,N,D,C,loss\na,1e8,2e9,1.2e18,3.1\nb,2e8,1e9,1.2e18,3.0\nc,4e8,5e8,1.2e18,3.05\n' >"$tmp/onec.csv"
head -2 "$tmp/onec.csv" >"$tmp/onerun.csv"
printf 'name,N,D,C,loss\n' >"$tmp/low.csv"
for c in 1e18 3.16e18 1e19 3.16e19 1e20; do
  awk -v c=$c 'BEGIN { printf "r%s,1e8,1e9,%s,%.4g\n", c, c, 0.22 * (c / 1e18) ^ -0.13 }' >>"$tmp/low.csv"
done
for f in onec onerun; do
  "$SCALEFIT" plot scaling "$tmp/$f.csv" --script -o "$tmp/$f.png" >/dev/null 2>"$tmp/err" || bad "$(cat "$tmp/err")"
  ends_labelled "$tmp/$f.gp" x
  ends_labelled "$tmp/$f.gp" y
done
"$SCALEFIT" plot scaling "$tmp/low.csv" --law power0 --script -o "$tmp/low.png" >/dev/null 2>"$tmp/err" ||
  bad "$(cat "$tmp/err")"
ends_labelled "$tmp/low.gp" x
ends_labelled "$tmp/low.gp" y
rm -f "$tmp"/*.gp "$tmp"/*.csv

# nothing but the charts and the kept script is left in the output folder
left=$(ls "$tmp" | grep -c '\.tmp\.')
[ "$left" -eq 0 ] && pass "no temporary files left" || bad "$left temporary files left in $tmp"
exit $fail
