#!/usr/bin/env bash
# plot_residuals_rmse.sh: the residuals chart's subtitle gives the RMSE at the precision `scalefit fit`
# prints it (%.4g: "RMSE 0.007433", "held out ...: RMSE 0.01287"). It said "RMSE 0.00743 on the fitted
# runs, 0.0125 on the held out" (%.3g), a digit short of the fit's own text beside it in a paper or a
# report; found drawing the residuals of a Chinchilla fit next to `scalefit fit`'s output. The
# reference is the RMSE recomputed here in Python from the fit file's parameters and the CSV.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
chin="$SF_SHARED/chinchilla_svg_extracted.csv"
[ -r "$chin" ] || { echo "skip: $chin not found (cmake -DSF_SHARED_DATASETS=...)"; exit 77; }

"$SCALEFIT" fit "$chin" --law chinchilla --where 'loss < 3.7' --holdout-above 1e21 -o "$tmp/fit.json" \
  >/dev/null 2>"$tmp/err" || bad "fit: $(cat "$tmp/err")"
for ext in svg png pdf; do
  "$SCALEFIT" plot residuals "$chin" --fit "$tmp/fit.json" --script -o "$tmp/res.$ext" >/dev/null 2>"$tmp/err" ||
    bad "plot residuals -o res.$ext: $(cat "$tmp/err")"
done
"$py" - "$chin" "$tmp/fit.json" "$tmp/res.svg" <<'PY' && pass "residuals: the subtitle's RMSEs at %.4g, as fit prints them" || bad "residuals: the subtitle's RMSEs are not fit's %.4g"
import csv, json, math, sys, xml.dom.minidom
rows = list(csv.DictReader(open(sys.argv[1])))
p = json.load(open(sys.argv[2]))["params"]
fit, held = [], []
for r in rows:
    N, C, y = float(r["Model Size"]), float(r["Training FLOP"]), float(r["loss"])
    if not y < 3.7:
        continue  # --where 'loss < 3.7'
    D = C / (6 * N)  # docs/FORMAT.md: D derived from C and N
    f = p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]
    (held if C > 1e21 else fit).append(math.log(f) - math.log(y))
rmse = lambda v: math.sqrt(sum(x * x for x in v) / len(v))
want = "RMSE %.4g on the fitted runs, %.4g on the %d held out" % (rmse(fit), rmse(held), len(held))
doc = xml.dom.minidom.parse(sys.argv[3])
text = " ".join("".join(n.data for n in t.childNodes if n.nodeType == n.TEXT_NODE) for t in doc.getElementsByTagName("tspan"))
print("want:", want)
assert want in text, [t for t in text.split("  ") if "RMSE" in t] or text[:300]
PY
exit $fail
