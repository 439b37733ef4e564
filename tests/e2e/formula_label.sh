#!/usr/bin/env bash
# formula_label.sh: a formula law is named by its text (sf_law_label) wherever a catalogue law is
# named by its name. Messages did so since the msgs branch, but the charts' titles, subtitles and
# legends (scaling --fit, frontier, residuals, bootstrap), the first line of predict, optimal and
# target, and a report's fit heading still said 'formula', the name every formula law shares,
# which tells a reader nothing ("law formula, C = 6ND; ...", "law 'formula' (loss) from ...",
# "Fit 'f': formula").
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
data="$SF_SRC/datasets/sweep_default.h5"
law='loss = E + A*N^-a + B*D^-b'

# a saved fit of the formula on the shipped sweep's ranges, written here (no fitting: fast, and
# with both a covariance and 4 bootstrap rows, for every chart kind)
cat >"$tmp/f.json" <<JSON
{"format": "scalefit-fit", "version": 1, "law": "formula", "formula": "$law",
 "vars": ["N", "D"], "y": "loss", "param_order": ["E", "A", "a", "B", "b"],
 "params": {"E": 1.0, "A": 60, "a": 0.3, "B": 300, "b": 0.3},
 "cov": [[1e-4, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1e-6, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1e-6]],
 "bootstrap": {"K": 4, "seed": 1, "failed": 0, "seconds": 0, "samples": [[0.99, 59, 0.299, 301, 0.301],
   [1.01, 61, 0.301, 299, 0.299], [1.0, 62, 0.302, 298, 0.3], [1.0, 58, 0.298, 302, 0.3]]},
 "data": {"file": "$data", "table": "runs", "n_rows": 15,
          "range": {"N": [12736, 445952], "D": [1269760, 40626176], "C": [999351779328, 9999889465344]}}}
JSON

chart() { # chart NAME ARGS...: scalefit plot ARGS -o $tmp/NAME.svg
  local name=$1
  shift
  "$SCALEFIT" plot "$@" -o "$tmp/$name.svg" >/dev/null 2>"$tmp/err" || bad "plot $*: $(cat "$tmp/err")"
}
chart scaling scaling "$data" --fit "$tmp/f.json"
chart frontier frontier "$tmp/f.json"
chart residuals residuals "$data" --fit "$tmp/f.json"
chart bootstrap bootstrap "$tmp/f.json"
svg_check "$tmp/scaling.svg" gpPt6 -1 "15 runs; law $law, band from bootstrap refits" "$law, compute-optimal"
svg_check "$tmp/frontier.svg" gpPt6 -1 "Compute-optimal allocation: $law fit against published laws" \
  "law $law, C = 6ND; band: bootstrap percentiles of the fit; dotted line: end of fitted runs"
svg_check "$tmp/residuals.svg" gpPt6 -1 "Residuals of the $law fit"
svg_check "$tmp/bootstrap.svg" gpPt6 -1 "Bootstrap of the $law fit: 4 refits"
for k in scaling frontier residuals bootstrap; do
  grep -q "formula" "$tmp/$k.svg" && bad "$k chart says 'formula': $(grep -o '[^>]*formula[^<]*' "$tmp/$k.svg")"
done

# the forecast commands' first line
note="law '$law' (loss) from '$tmp/f.json'; "
for c in "predict --at N=1e5,D=1e7" "optimal --compute 1e13" "target --value 1.5"; do
  # shellcheck disable=SC2086
  "$SCALEFIT" ${c%% *} "$tmp/f.json" ${c#* } >"$tmp/out" 2>"$tmp/err" || bad "$c: $(cat "$tmp/err")"
  [ "$(head -c ${#note} "$tmp/out")" = "$note" ] && pass "$c names the law by its text" ||
    bad "$c: first line '$(head -n 1 "$tmp/out")', want it to start \"$note\""
done

# a report's fit heading, in Markdown (its * escaped) and HTML
cat >"$tmp/r.ini" <<INI
[data]
file = $data
[fit f]
law = $law
INI
"$SCALEFIT" report "$tmp/r.ini" -o "$tmp/rep" >/dev/null 2>"$tmp/err" || bad "report: $(cat "$tmp/err")"
grep -qxF "## Fit 'f': loss = E + A\\*N^-a + B\\*D^-b" "$tmp/rep/r/report.md" && pass "report.md's heading" ||
  bad "report.md heading: $(grep '^## Fit' "$tmp/rep/r/report.md")"
grep -qF "<h2>Fit &#39;f&#39;: $law</h2>" "$tmp/rep/r/index.html" && pass "index.html's heading" ||
  bad "index.html heading: $(grep '<h2>Fit' "$tmp/rep/r/index.html")"
exit $fail
