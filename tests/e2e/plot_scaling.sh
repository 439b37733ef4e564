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
[ -f "$chin" ] || skip "$chin not found"
models="$SF_SRC/datasets/models.csv"

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
  # and named, the first five as `fit` names its skipped runs (the note once gave a count alone)
  want=$(/usr/bin/python3 - "$models" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
out = [(i + 1, r["run"]) for i, r in enumerate(rows) if not r["mmlu"] or not (r["C"] or (r["N"] and r["D"]))]
print("%d of %d runs in '%s' left out of the chart (values missing, or not positive on a log axis): %s%s" % (
    len(out), len(rows), sys.argv[1], ", ".join("'%s' (row %d)" % (run, i) for i, run in out[:5]),
    " and %d more" % (len(out) - 5) if len(out) > 5 else ""))
PY
)
  grep -qxF "scalefit: note: $want" "$tmp/err" || bad "want 'note: $want': $(cat "$tmp/err")"
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

# family names of 84 characters (a sweep's configuration spelt out): gnuplot warned "difficulty
# fitting plot titles into key", naming a temporary script already deleted, and the legend below
# the plot ran over the canvas's edges and touched the x axis's label. Now: no warning, each entry
# shortened in its middle (the ends, which tell the families apart, kept) and inside the canvas,
# the first a line and a bit below the x label's baseline.
printf 'name,family,N,D,C,loss\n' >"$tmp/long.csv"
for f in 0 1 2; do
  for c in 1e17 1e18 1e19 1e20; do
    awk -v f=$f -v c=$c 'BEGIN { printf "r%s%s,a_very_long_family_name_describing_the_sweep_configuration_with_rotary_embeddings_v%s,1e8,1e9,%s,%.4g\n", f, c, f, c, (1 + 0.02 * f) * 3 * (c / 1e17) ^ -0.05 }' >>"$tmp/long.csv"
  done
done
for ext in svg png pdf; do
  "$SCALEFIT" plot scaling "$tmp/long.csv" -o "$tmp/long.$ext" >/dev/null 2>"$tmp/err" || bad "$(cat "$tmp/err")"
  if grep -q warning "$tmp/err"; then bad "long family names, .$ext: $(cat "$tmp/err")"; else pass "long family names drawn without a warning (.$ext)"; fi
done
"$py" - "$tmp/long.svg" <<'PY' || bad "long legend entries: layout check failed"
import re, sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
svg = doc.documentElement
W, H = float(svg.getAttribute("width")), float(svg.getAttribute("height"))
texts = []  # (x, y, size, anchor, text)
for g in doc.getElementsByTagName("g"):
    m = re.match(r"translate\(([-0-9.]+),([-0-9.]+)\)", g.getAttribute("transform"))
    t = "".join(n.data for tx in g.getElementsByTagName("text") for ts in tx.getElementsByTagName("tspan")
                for n in ts.childNodes if n.nodeType == n.TEXT_NODE)
    if m and t and g.getAttribute("font-size"):
        texts.append((float(m.group(1)), float(m.group(2)), float(g.getAttribute("font-size")), g.getAttribute("text-anchor"), t))
xlabel = [e for e in texts if e[4] == "Training compute C (FLOP)"][0]
entries = sorted((e for e in texts if e[4].startswith("a_very_long")), key=lambda e: e[1])
if [e[4][-3:] for e in entries] != ["_v0", "_v1", "_v2"] or not all("\u2026" in e[4] for e in entries):
    sys.exit(f"entries not shortened in the middle, ends kept: {[e[4] for e in entries]}")
first, size = entries[0], entries[0][2]
gap = (first[1] - xlabel[1]) / size
# a legend entry is about 0.6 font sizes a character wide (DejaVu Sans): it must end on the canvas
right = max(e[0] + 0.6 * size * len(e[4]) for e in entries)
print(f"x label baseline {xlabel[1]:.1f}, first entry {first[1]:.1f}: {gap:.2f} font sizes apart; "
      f"entries end at x {right:.0f} of {W:.0f}, the last at y {entries[-1][1]:.0f} of {H:.0f}")
sys.exit(0 if gap >= 1.4 and right <= W and entries[-1][1] + 0.3 * size <= H else 1)
PY
rm -f "$tmp"/long.*

# nothing but the charts and the kept script is left in the output folder
left=$(ls "$tmp" | grep -c '\.tmp\.')
[ "$left" -eq 0 ] && pass "no temporary files left" || bad "$left temporary files left in $tmp"
exit $fail
