#!/usr/bin/env bash
# plot_fitted.sh: the fitted chart kinds through the command, in every format, from a real fit of
# the Chinchilla law to Hoffmann et al.'s runs (scalefit fit, with a bootstrap and held-out runs)
# and the shipped models table: scaling --fit (runs, held-out rings, excluded squares, band),
# scaling --law (fits first: the same chart as from the same fit saved), frontier, residuals,
# bootstrap, isoflop and turn. Files are checked as in plot_scaling.sh (PNG IHDR, well-formed SVG
# with its glyphs and texts, one-page PDF); bad uses of the fitted kinds get their exit codes.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
chin="$SF_SHARED/chinchilla_svg_extracted.csv"
[ -f "$chin" ] || skip "$chin not found"
models="$SF_SRC/datasets/models.csv"

"$SCALEFIT" fit "$chin" --law chinchilla --where 'loss < 3.7' --holdout 0.1 -b 8 -o "$tmp/fit.json" >"$tmp/fit.out" \
  2>"$tmp/err" || bad "fit: $(cat "$tmp/err")"
"$SCALEFIT" fit "$chin" --law chinchilla --where 'loss < 3.7' --holdout 0.1 -o "$tmp/nob.json" >/dev/null \
  2>"$tmp/err" || bad "fit: $(cat "$tmp/err")"
nheld=$(sed -n 's/^held out \([0-9]*\) .*/\1/p' "$tmp/fit.out")
# 0.1 of the 241 runs asks for 24.1: 24, of distinct C but for a pair within 0.1% (one budget)
[ "$nheld" = 24 ] && pass "the fit held out 24 runs" || bad "held out '$nheld', want 24"

run() { # run NAME ARGS...: scalefit plot ARGS in png, svg and pdf as $tmp/NAME.*
  local name=$1 ext
  shift
  for ext in png svg pdf; do
    "$SCALEFIT" plot "$@" -o "$tmp/$name.$ext" >"$tmp/out" 2>"$tmp/err" || bad "plot $* -o $name.$ext: $(cat "$tmp/err")"
    grep -q "^wrote $tmp/$name.$ext$" "$tmp/out" || bad "plot $*: no 'wrote' line: $(cat "$tmp/out")"
  done
  pdf_check "$tmp/$name.pdf"
}

# scaling with the fit: 245 runs as filled circles (gpPt6) + legend, 24 held-out rings (pt 6:
# gpPt5) + legend, the 4 runs --where left out as open squares (pt 4: gpPt3) + legend (+ gnuplot's
# own definition of the diamond, a rotated gpPt3)
run scaling scaling "$chin" --fit "$tmp/fit.json" --extrapolate-to 1e24
png_check "$tmp/scaling.png" 900 600
svg_check "$tmp/scaling.svg" gpPt6 246 "held out (24)" "excluded by --where (4)" "extrapolation" \
  "chinchilla, compute-optimal" "95% band (bootstrap)" "end of fitted runs" "runs"
svg_check "$tmp/scaling.svg" gpPt5 25
svg_check "$tmp/scaling.svg" gpPt3 6
grep -q "10^{24}\|>24<" "$tmp/scaling.svg" && pass "x axis reaches 10^24" || bad "x axis stops short of --extrapolate-to 1e24"

# a fit's --where names its columns as --x does ('val_loss' is loss, 'params' is N; docs/FORMAT.md),
# and the chart reads them back so: it refused the fit with "'val_loss' is not a column of the input"
# (the runs at loss >= 3.7 excluded, counted here from the CSV)
nex=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "loss") c = i; next } $c >= 3.7 { n++ } END { print n + 0 }' "$chin")
"$SCALEFIT" fit "$chin" --law power --x C --where 'val_loss < 3.7 and params > 0' -o "$tmp/alias.json" >/dev/null \
  2>"$tmp/err" || bad "fit with aliases in --where: $(cat "$tmp/err")"
if "$SCALEFIT" plot scaling "$chin" --fit "$tmp/alias.json" --script -o "$tmp/alias.svg" >/dev/null 2>"$tmp/err"; then
  grep -q "excluded by --where ($nex)" "$tmp/alias.gp" && pass "a fit's --where with aliases: $nex runs excluded" ||
    bad "a fit's --where with aliases: no 'excluded by --where ($nex)' in the chart"
else
  bad "plot of a fit whose --where names aliases: $(cat "$tmp/err")"
fi

# --law fits first with fit's defaults: the same chart as from the same fit saved (no bootstrap:
# delta-method band), and no temporary fit file left behind. The fit file is made in $TMPDIR, here
# a folder of this test's own: counting files in the shared /tmp raced with every other test (and
# copy of this one) that ran plot --law at the same time. A gnuplot first on PATH lists the folder
# while the chart is drawn, so the fit file is seen to be there and not elsewhere.
mkdir -p "$tmp/td" "$tmp/bin"
printf '#!/bin/sh\nls "%s" >"%s"\nexec "%s" "$@"\n' "$tmp/td" "$tmp/td.during" "$(command -v gnuplot)" >"$tmp/bin/gnuplot"
chmod +x "$tmp/bin/gnuplot"
TMPDIR="$tmp/td" PATH="$tmp/bin:$PATH" "$SCALEFIT" plot scaling "$chin" --law chinchilla --where 'loss < 3.7' \
  --holdout 0.1 -o "$tmp/law.svg" >"$tmp/out" 2>"$tmp/err" || bad "plot --law: $(cat "$tmp/err")"
grep -q '^scalefit-plot-fit-.*\.json$' "$tmp/td.during" 2>/dev/null && pass "--law fits into a file in \$TMPDIR" ||
  bad "--law: no fit file in \$TMPDIR while drawing: $(cat "$tmp/td.during" 2>&1)"
[ -z "$(ls -A "$tmp/td")" ] && pass "no temporary fit file left" || bad "temporary fit files left: $(ls "$tmp/td")"
"$SCALEFIT" plot scaling "$chin" --fit "$tmp/nob.json" -o "$tmp/nob.svg" 2>"$tmp/err" || bad "$(cat "$tmp/err")"
same "$tmp/law.svg" "$tmp/nob.svg"
svg_check "$tmp/law.svg" gpPt6 246 "95% band (delta method)" "chinchilla_svg_extracted: Loss against training compute C"
[ "$(cat "$tmp/out")" = "wrote $tmp/law.svg" ] && pass "--law prints only what it wrote" || bad "--law printed: $(cat "$tmp/out")"
# a $TMPDIR that cannot take the fit file is named
TMPDIR="$tmp/none" expect_exit 4 "cannot create a temporary fit file in '$tmp/none' (TMPDIR)" -- \
  plot scaling "$chin" --law chinchilla -o "$tmp/x.png"
[ -e "$tmp/x.png" ] && bad "a chart was drawn without its fit"

# frontier from the fit file alone: two stacked panels, the published laws in their panels
run frontier frontier "$tmp/fit.json"
png_check "$tmp/frontier.png" 900 900
svg_check "$tmp/frontier.svg" gpPt6 0 "Parameters N*" "Training tokens D*" "this fit" "Hoffmann 2022 (appr. 3)" \
  "Epoch 2024" "Kaplan 2020" "Llama 3" "DeepSeek 2024 (C = MD)"
# the legends are as tall and wide in SVG as in PNG, which the layout sizes them on: gnuplot's svg
# terminal spaced their rows 1.5 font sizes apart, 29% more than pngcairo, and made them 11% wider,
# and in a browser the legend covered the curves near the largest fitted run that the PNG shows
# clear. The grey legend boxes (rgb 208,208,208): the SVG's paths, the PNG's pixel rows.
/usr/bin/python3 - "$tmp/frontier.svg" "$tmp/frontier.png" <<'PY' && pass "legend boxes as large in SVG as in PNG" ||
import os, re, sys
sys.path.insert(0, os.path.join(os.environ["SF_SRC"], "tests/e2e/lib"))
from png import read_rows
svg = open(sys.argv[1]).read()
boxes = []
for d in re.findall(r"stroke='rgb\(208, 208, 208\)'\s+d='([^']*Z)", svg):
    ys = [float(y) for y in re.findall(r"[\d.]+,([\d.]+)", d)]
    xs = [float(x) for x in re.findall(r"([\d.]+),[\d.]+", d)]
    boxes.append((min(ys), round(max(ys) - min(ys), 2), round(max(xs) - min(xs), 2)))
# gnuplot draws each box twice (the opaque fill's outline and the border): one per top edge, as the
# two panels' legends can be of the same height
boxes = list(dict.fromkeys(boxes))
hs = [h for _, h, _ in boxes]
ws = list(dict.fromkeys(w for _, _, w in boxes))
W, H, bpp, rows = read_rows(sys.argv[2])
grey = bytes([208, 208, 208])
edges = [y for y in range(H) if sum(rows[y][x * bpp:x * bpp + 3] == grey for x in range(W)) > 100]
wp = sum(rows[edges[0]][x * bpp:x * bpp + 3] == grey for x in range(W))  # the top edge's length
hp = [edges[1] - edges[0], edges[3] - edges[2]]  # the top and bottom edges of the two boxes
assert len(hs) == 2 and len(edges) == 4, (hs, edges)
for s, p in zip(hs, hp):
    assert abs(s / p - 1) < 0.05, ("heights: svg", hs, "png", hp)
assert len(ws) == 1 and abs(ws[0] / wp - 1) < 0.05, ("widths: svg", ws, "png", wp)
print("legend heights: svg", [round(h, 1) for h in hs], "png", hp, "; widths: svg", ws, "png", wp)
PY
  bad "legend boxes larger in SVG than in PNG"

# residuals: 245 runs, 24 held out, 4 excluded: those lie 0.1 to 0.3 below the law, off the axis
# of the runs the fit saw, as black triangles down (pt 11: gpPt10) at its foot
run residuals residuals "$chin" --fit "$tmp/fit.json"
svg_check "$tmp/residuals.svg" gpPt6 242 "Residual log f - log y" "held out (24)" "excluded, below the axis (4)"
svg_check "$tmp/residuals.svg" gpPt5 25
svg_check "$tmp/residuals.svg" gpPt10 5

# bootstrap: histograms and pairs, from the fit file
run bootstrap bootstrap "$tmp/fit.json"
svg_check "$tmp/bootstrap.svg" gpPt6 -1 "Bootstrap of the chinchilla fit: 8 refits" "E" "alpha" "beta" "Refits"
expect_exit 2 "has no bootstrap samples" -- plot bootstrap "$tmp/nob.json" -o "$tmp/x.png"

# isoflop on the Chinchilla runs (C spread evenly: bins a third of a decade), and with --bins
run isoflop isoflop "$chin"
svg_check "$tmp/isoflop.svg" gpPt6 -1 "chinchilla_svg_extracted: isoFLOP profiles" "minimum of each bin" \
  "Model size N (parameters)" "Training compute C (FLOP)"
grep -q "no interior minimum" "$tmp/err" && pass "bins without an interior minimum are reported" ||
  bad "no report of bins without a minimum: $(cat "$tmp/err")"
# the largest budget is one run (Training FLOP 1.3e22, the only one above 1e22): "1 run", not "1 runs"
n22=$(awk -F, 'NR > 1 && $5 > 1e22' "$chin" | wc -l)
[ "$n22" = 1 ] || bad "$n22 runs above 1e22 FLOP in $chin, want 1"
grep -q "compute bin C = 1.30e+22 (1 run): too few distinct model sizes" "$tmp/err" && ! grep -q "(1 runs)" "$tmp/err" &&
  pass "a bin of one run is '1 run'" || bad "the bin of one run: $(grep e+22 "$tmp/err")"
awk -F, -v OFS=, 'NR == 2 { $7 = "" } 1' "$chin" >"$tmp/chin1.csv"
"$SCALEFIT" plot isoflop "$tmp/chin1.csv" --bins 4 -o "$tmp/iso1.svg" 2>"$tmp/err" || bad "$(cat "$tmp/err")"
svg_check "$tmp/iso1.svg" gpPt6 -1 "244 runs in 4 compute bins; parabolas in log N; 1 run left out"
"$SCALEFIT" plot isoflop "$chin" --bins 4 -o "$tmp/iso4.svg" 2>"$tmp/err" || bad "$(cat "$tmp/err")"
svg_check "$tmp/iso4.svg" gpPt6 -1 "245 runs in 4 compute bins; parabolas in log N"
"$SCALEFIT" plot isoflop "$chin" --edges 1e18,1e19,1e20,1e21,1e23 -o "$tmp/isoe.svg" 2>"$tmp/err" || bad "$(cat "$tmp/err")"
svg_check "$tmp/isoe.svg" gpPt6 -1 "245 runs in 4 compute bins; parabolas in log N"
expect_exit 1 "--edges" -- plot isoflop "$chin" --edges 1e18,x -o "$tmp/x.png"

# turn on the published models: 21 models with C and MMLU
if [ -f "$models" ]; then
  run turn turn "$models" --y mmlu
  svg_check "$tmp/turn.svg" gpPt6 22 "models" "sigmoid (AICc -126.7)" "chance (0.25)" "laws differ by > 0.05" "inflection, 95% interval" \
    "Does the growth of mmlu with training compute turn into a sigmoid?"
  verdict=$("$SCALEFIT" turn "$models" --x C --y mmlu | sed -n 's/^verdict: //p')
  svg_check "$tmp/turn.svg" gpPt6 -1 "$verdict"
  # linear axes labelled at both ends: the turn chart's y axis from below chance to 1 (gnuplot's
  # ticks every 0.2 left 0.21..0.4 bare), and the models' MMLU on a linear y axis
  for ext in png svg; do
    "$SCALEFIT" plot turn "$models" --y mmlu --chance 0.25 --script -o "$tmp/t25.$ext" >/dev/null 2>"$tmp/err" ||
      bad "plot turn --chance 0.25: $(cat "$tmp/err")"
    ends_labelled "$tmp/t25.gp" y
  done
  "$SCALEFIT" plot scaling "$models" --y mmlu --linear-y --script -o "$tmp/mmlu.svg" >/dev/null 2>"$tmp/err" ||
    bad "plot scaling --linear-y: $(cat "$tmp/err")"
  ends_labelled "$tmp/mmlu.gp" y
fi
"$SCALEFIT" plot residuals "$chin" --fit "$tmp/fit.json" --script -o "$tmp/res.svg" >/dev/null 2>"$tmp/err" ||
  bad "plot residuals: $(cat "$tmp/err")"
ends_labelled "$tmp/res.gp" y

# a weighted fit (fit --sigma loss_sd, docs/FIT.md): the scaling chart draws each run with an error
# bar loss -+ loss_sd from the data file, the residuals chart each residual in units of its sigma
# (log f - log y over sigma/y, the delta method the fit divides by), checked against the fit file's
# parameters put into the power law by python, and chi^2/dof against the fit's own chi2 and dof
"$py" - "$tmp/w.csv" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("run,C,loss,loss_sd\n")
    for i in range(20):
        C = 10 ** (15 + 6 * i / 19); s = 0.004 * (1 + 4 * random.random())
        f.write("r%d,%.17g,%.17g,%.6g\n" % (i, C, 1.7 + 1000 * C ** -0.2 + s * random.gauss(0, 1), s))
PY
"$SCALEFIT" fit "$tmp/w.csv" --law power --sigma loss_sd -o "$tmp/w.json" >/dev/null 2>"$tmp/err" || bad "fit --sigma: $(cat "$tmp/err")"
for kind in scaling residuals; do
  "$SCALEFIT" plot $kind "$tmp/w.csv" --fit "$tmp/w.json" --script -o "$tmp/w-$kind.svg" >/dev/null 2>"$tmp/err" ||
    bad "plot $kind of a weighted fit: $(cat "$tmp/err")"
done
svg_check "$tmp/w-residuals.svg" gpPt6 -1 "Residual (log f - log y)/(σ/y)" "±1 sd"
"$py" - "$tmp/w.csv" "$tmp/w.json" "$tmp/w-scaling.gp" "$tmp/w-residuals.gp" <<'PY' && pass "weighted fit: error bars and residuals in units of sigma" || bad "weighted fit charts"
import csv, json, math, re, sys
runs = list(csv.DictReader(open(sys.argv[1])))
fit = json.load(open(sys.argv[2]))
E, A, alpha = (fit["params"][k] for k in ("E", "A", "alpha"))
def block(path, k):
    m = re.search(r"^\$d%d << EOD\n(.*?)^EOD$" % k, open(path).read(), re.S | re.M)
    return [list(map(float, l.split())) for l in m.group(1).splitlines() if l.strip()]
# scaling: the runs' block is x y lo hi
rows = block(sys.argv[3], 0)
assert len(rows) == len(runs), (len(rows), len(runs))
for r, (x, y, lo, hi) in zip(runs, rows):
    C, L, s = float(r["C"]), float(r["loss"]), float(r["loss_sd"])
    assert abs(x / C - 1) < 1e-9 and abs(lo - (L - s)) < 1e-9 and abs(hi - (L + s)) < 1e-9, (r, lo, hi)
assert "with yerrorbars" in open(sys.argv[3]).read()
# residuals: the runs' block (after the zero line and the band) is x pull
gp = open(sys.argv[4]).read()
k = int(re.search(r"^# runs\n\$d(\d+) << EOD$", gp, re.M).group(1))
chi2 = 0
for r, (x, pull) in zip(runs, block(sys.argv[4], k)):
    C, L, s = float(r["C"]), float(r["loss"]), float(r["loss_sd"])
    want = (math.log(E + A * C ** -alpha) - math.log(L)) / (s / L)
    assert abs(pull - want) < 1e-6 * max(1, abs(want)), (r, pull, want)
    chi2 += want * want
sub = "χ²/dof %.4g (%.6g / %.0f)" % (fit["chi2"] / fit["dof"], fit["chi2"], fit["dof"])
assert abs(chi2 / fit["chi2"] - 1) < 1e-6, (chi2, fit["chi2"])
assert sub in gp, (sub, re.findall(r"set label 110\d '([^']*)'", gp))
print(f"ok: 20 error bars, 20 residuals in sd units, {sub}")
PY

# plot scaling --sigma COL: error bars y -+ sigma from the column without a fit (two families: every
# run once, in its family's block, with its own sigma), and with --law the fit made first is the
# weighted fit `fit --sigma` makes (the same chart as from w.json); a sigma fit --sigma refuses
# (zero, negative, missing) is refused the same way, naming the file, the run and the value; the
# residuals of --law --sigma are those of the weighted fit; kinds without a use for it refuse it
"$py" - "$tmp/w.csv" "$tmp/wf.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w") as f:
    f.write("run,family,C,loss,loss_sd\n")
    for i, r in enumerate(rows):
        f.write("%s,%s,%s,%s,%s\n" % (r["run"], "odd" if i % 2 else "even", r["C"], r["loss"], r["loss_sd"]))
PY
"$SCALEFIT" plot scaling "$tmp/wf.csv" --sigma loss_sd --script -o "$tmp/ws.svg" >/dev/null 2>"$tmp/err" ||
  bad "plot scaling --sigma: $(cat "$tmp/err")"
svg_check "$tmp/ws.svg" gpPt6 -1 "20 runs in 2 families, error bars ±1 sd (loss_sd)" "even" "odd"
"$py" - "$tmp/wf.csv" "$tmp/ws.gp" <<'PY' && pass "scaling --sigma: 20 runs with bars loss -+ loss_sd" || bad "scaling --sigma: the error bars"
import csv, re, sys
runs = list(csv.DictReader(open(sys.argv[1])))
gp = open(sys.argv[2]).read()
seen = 0
for fam in ("even", "odd"):
    k = int(re.search(r"^# %s\n\$d(\d+) << EOD$" % fam, gp, re.M).group(1))
    m = re.search(r"^\$d%d << EOD\n(.*?)^EOD$" % k, gp, re.S | re.M)
    rows = [list(map(float, l.split())) for l in m.group(1).splitlines() if l.strip()]
    want = [r for r in runs if r["family"] == fam]
    assert len(rows) == len(want) == 10, (fam, len(rows))
    for r, (x, y, lo, hi) in zip(want, rows):
        C, L, s = float(r["C"]), float(r["loss"]), float(r["loss_sd"])
        assert abs(x / C - 1) < 1e-9 and abs(y - L) < 1e-9 and abs(lo - (L - s)) < 1e-9 and abs(hi - (L + s)) < 1e-9, (r, lo, hi)
        seen += 1
    assert re.search(r"\$d%d using 1:2:3:4 with yerrorbars" % k, gp), fam
assert seen == 20
PY
"$SCALEFIT" plot scaling "$tmp/w.csv" --law power --sigma loss_sd -o "$tmp/wlaw.svg" >/dev/null 2>"$tmp/err" ||
  bad "plot scaling --law --sigma: $(cat "$tmp/err")"
"$SCALEFIT" plot scaling "$tmp/w.csv" --fit "$tmp/w.json" -o "$tmp/wfit.svg" >/dev/null 2>"$tmp/err" || bad "$(cat "$tmp/err")"
same "$tmp/wlaw.svg" "$tmp/wfit.svg"
"$SCALEFIT" plot residuals "$tmp/w.csv" --law power --sigma loss_sd -o "$tmp/wrlaw.svg" >/dev/null 2>"$tmp/err" ||
  bad "plot residuals --law --sigma: $(cat "$tmp/err")"
"$SCALEFIT" plot residuals "$tmp/w.csv" --fit "$tmp/w.json" -o "$tmp/wrfit.svg" >/dev/null 2>"$tmp/err" || bad "$(cat "$tmp/err")"
same "$tmp/wrlaw.svg" "$tmp/wrfit.svg"
for v in 0 -0.01 ""; do
  sed "s/^r3,\(.*\),[^,]*$/r3,\1,$v/" "$tmp/w.csv" >"$tmp/wbad.csv"
  shown="is missing"
  [ -n "$v" ] && shown="= $v"
  expect_exit 2 "run 'r3' (row 4 of '$tmp/wbad.csv'): loss_sd $shown, but --sigma needs a standard deviation" -- \
    plot scaling "$tmp/wbad.csv" --sigma loss_sd -o "$tmp/wbad.png"
  [ -e "$tmp/wbad.png" ] && bad "a chart was drawn with loss_sd $shown"
  expect_exit 2 "run 'r3' (row 4 of '$tmp/wbad.csv'): loss_sd $shown, but --sigma needs a standard deviation" -- \
    plot scaling "$tmp/wbad.csv" --law power --sigma loss_sd -o "$tmp/wbad.png"
  "$SCALEFIT" fit "$tmp/wbad.csv" --law power --sigma loss_sd >/dev/null 2>"$tmp/fit.err"
  [ "$(head -1 "$tmp/err")" = "$(cat "$tmp/fit.err")" ] && pass "plot --law --sigma says what fit --sigma says" ||
    bad "plot --law --sigma: '$(head -1 "$tmp/err")', fit: '$(cat "$tmp/fit.err")'"
done
expect_exit 2 "column 'sd' is not in table" -- plot scaling "$tmp/w.csv" --sigma sd -o "$tmp/wbad.png"
expect_exit 1 "takes --sigma only with --law" -- plot residuals "$tmp/w.csv" --fit "$tmp/w.json" --sigma loss_sd -o "$tmp/x.png"
expect_exit 1 "takes no --sigma" -- plot isoflop "$tmp/w.csv" --sigma loss_sd -o "$tmp/x.png"
"$SCALEFIT" plot --help | grep -q -- "--sigma COL" && pass "plot --help shows --sigma" || bad "plot --help lacks --sigma"
# a law fitted with Huber loss (chinchilla) needs --delta in sigmas, as fit does: passed on
awk -F, 'NR == 1 { print $0 ",loss_sd"; next } { print $0 ",0.01" }' "$chin" >"$tmp/chs.csv"
expect_exit 1 "give --delta in units of sigma" -- plot scaling "$tmp/chs.csv" --law chinchilla --sigma loss_sd -o "$tmp/x.png"
"$SCALEFIT" plot scaling "$tmp/chs.csv" --law chinchilla --sigma loss_sd --delta 1.345 -o "$tmp/chs.svg" >/dev/null \
  2>"$tmp/err" && pass "plot --law chinchilla --sigma --delta" || bad "plot --law chinchilla --sigma --delta: $(cat "$tmp/err")"
expect_exit 1 "give --law LAW" -- plot scaling "$tmp/chs.csv" --delta 1 -o "$tmp/x.png"

n=$(ls "$tmp" | grep -c '\.tmp\.' || true)
[ "$n" -eq 0 ] && pass "no temporary chart files" || bad "temporary files left: $(ls "$tmp")"
exit $fail
