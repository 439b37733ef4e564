#!/usr/bin/env bash
# fit_by.sh: `scalefit fit DATA --law LAW --by COL`, one law per group of runs, against an independent
# reference computed here: scipy's curve_fit on each group's runs (log residuals for power, as the law
# fits), the pooled fit on the union, AIC = n log(RSS/n) + 2k over the pooled and separate models
# (k per group), the F-test of the extra sum of squares with scipy.stats.f and, for two groups, z
# with scipy.stats.norm. Data: two synthetic families with known, different exponents, plus a run
# without a family and a family too small to fit (both left out of every fit, the pooled one too);
# the same groups by a numeric column; the shared hold-out; the linear law loglinear on the
# observational-scaling benchmark table (where F is exact); huber not tested; every refusal.
# Skipped (77) without scipy.
set -u
: "${SCALEFIT:?}" "${SF_SHARED:=}"
. "$(dirname "$0")/lib/expect.sh"  # $tmp, fails, fail(), expect CODE FRAGMENT CMD...
need_py scipy "skip: no python3-scipy"

# beta (E 1.8, A 300, alpha 0.15) listed before alpha (E 1.7, A 900, alpha 0.2): the groups come out
# sorted; vocab numbers the same groups, empty for the run without a family
$py - "$tmp/two.csv" <<'PY'
import math, random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    f.write("run,family,C,loss,vocab\n")
    i = 0
    for fam, (E, A, a), vocab in (("beta", (1.8, 300.0, 0.15), 50000), ("alpha", (1.7, 900.0, 0.2), 32000)):
        for k in range(14):
            C = 10 ** (17 + 6 * k / 13)
            f.write("r%d,%s,%.17g,%.17g,%d\n" % (i, fam, C, (E + A * C ** -a) * math.exp(random.gauss(0, 0.01)), vocab))
            i += 1
    f.write("r%d,,1e20,3.1,\n" % i)
    f.write("r%d,tiny,1e20,3.0,64000\n" % (i + 1))
    f.write("r%d,tiny,1e21,2.8,64000\n" % (i + 2))
PY

cat >"$tmp/ref.py" <<'PY'
# ref.py CSV OUT.json [holdout FRAC]: checks scalefit's --by JSON against scipy
import csv, json, math, sys
import numpy as np
from scipy.optimize import curve_fit
from scipy import stats
rows = list(csv.DictReader(open(sys.argv[1])))
got = json.load(open(sys.argv[2]))
frac = float(sys.argv[4]) if len(sys.argv) > 4 else 0
C = np.array([float(r["C"]) for r in rows]); y = np.array([float(r["loss"]) for r in rows])
fam = np.array([r["family"] for r in rows])
held = np.zeros(len(C), bool)
if frac > 0:  # the single fit's hold-out, on every selected run (the unlabeled and tiny ones too): whole
    # budgets from the top (the largest C left and every C within 0.1% below it), as many as come closest
    # to frac n runs (ties: the fewer), at least one and never all
    keys, budgets, i = np.sort(C)[::-1], [], 0
    while i < len(keys):
        j = i
        while j < len(keys) and keys[j] >= keys[i] * (1 - 1e-3): j += 1
        budgets.append((j, keys[j - 1])); i = j
    nh, cut = min(budgets[:-1], key=lambda b: (abs(b[0] - frac * len(C)), b[0]))
    held = C >= cut
import warnings
warnings.simplefilter("ignore"); np.seterr(all="ignore")  # scipy's far starts overflow on the way
f = lambda x, E, A, a: np.log(E + A * x ** -a)
def fit(m):
    best = None
    for E0 in (0.5, 1.0, 1.5, 1.7, 1.8):
        for a0 in (0.1, 0.15, 0.2, 0.3):
            for A0 in (100.0, 300.0, 900.0, 3000.0):
                try:
                    p, cov = curve_fit(f, C[m], np.log(y[m]), p0=[E0, A0, a0], maxfev=20000)
                except RuntimeError:
                    continue
                if p[0] <= 0 or p[1] <= 0: continue
                rss = float(np.sum((f(C[m], *p) - np.log(y[m])) ** 2))
                if best is None or rss < best[2] * (1 - 1e-12): best = (p, np.sqrt(np.diag(cov)), rss)
    return best
bad = []
def close(what, a, b, rtol):
    if not abs(a - b) <= rtol * max(abs(b), 1e-300): bad.append("%s: scalefit %.10g, scipy %.10g" % (what, a, b))
groups = ["alpha", "beta"]
if [g["label"] for g in got["groups"]] not in (groups, ["32000", "50000"]): bad.append("groups %s" % got["groups"])
if [s["label"] for s in got["skipped"]] not in (["tiny"], ["64000"]) or got["skipped"][0]["n"] != 2 - held[-2:].sum():
    bad.append("skipped %s" % got["skipped"])
if got["n_without_value"] != 1: bad.append("n_without_value %s" % got["n_without_value"])
res = {}
for g, gj in zip(groups + ["pooled"], got["groups"] + [got["pooled"]]):
    m = (np.isin(fam, groups) if g == "pooled" else fam == g) & ~held
    p, se, rss = fit(m)
    res[g] = (p, se, rss, m.sum())
    if gj["n"] != m.sum(): bad.append("%s: n %d, want %d" % (g, gj["n"], m.sum()))
    for j, name in enumerate(("E", "A", "alpha")):
        close(g + " " + name, gj["params"][name], p[j], 2e-5)
        close(g + " stderr " + name, gj["stderr"][name], se[j], 1e-3)
    close(g + " rss", gj["rss"], rss, 1e-8)
    if frac > 0:
        h = (np.isin(fam, groups) if g == "pooled" else fam == g) & held
        close(g + " held-out RMSE", gj["holdout_rmse"], math.sqrt(np.mean((f(C[h], *p) - np.log(y[h])) ** 2)), 1e-5)
if frac > 0:
    ss = sum(((f(C[(fam == g) & held], *res[g][0]) - np.log(y[(fam == g) & held])) ** 2).sum() for g in groups)
    close("separate held-out RMSE", got["holdout"]["rmse_separate"], math.sqrt(ss / (np.isin(fam, groups) & held).sum()), 1e-5)
t = got["test"]
n = res["pooled"][3]; k = 3; kk = 3 * len(groups)
rp, rs = res["pooled"][2], res["alpha"][2] + res["beta"][2]
F = ((rp - rs) / (kk - k)) / (rs / (n - kk))
close("F", t["F"], F, 1e-6)
close("p", t["p"], stats.f.sf(F, kk - k, n - kk), 1e-4)
if (t["df1"], t["df2"], t["n"]) != (kk - k, n - kk, n): bad.append("df %s %s n %s" % (t["df1"], t["df2"], t["n"]))
aic = [n * math.log(r / n) + 2 * kk_ for r, kk_ in ((rp, k), (rs, kk))]
bic = [n * math.log(r / n) + kk_ * math.log(n) for r, kk_ in ((rp, k), (rs, kk))]
close("AIC pooled", t["aic_pooled"], aic[0], 1e-7); close("AIC separate", t["aic_separate"], aic[1], 1e-7)
close("BIC pooled", t["bic_pooled"], bic[0], 1e-7); close("BIC separate", t["bic_separate"], bic[1], 1e-7)
# AICc (Hurvich & Tsai): the weights are by it, as the comparison of laws weighs
aicc = [a + 2 * kk_ * (kk_ + 1) / (n - kk_ - 1) for a, kk_ in zip(aic, (k, kk))]
close("AICc pooled", t["aicc_pooled"], aicc[0], 1e-7); close("AICc separate", t["aicc_separate"], aicc[1], 1e-7)
close("dAICc pooled", t["delta_aicc_pooled"] + 1e-300, aicc[0] - min(aicc) + 1e-300, 1e-6)
d = aicc[0] - min(aicc)
w = math.exp(-d / 2) / (math.exp(-d / 2) + math.exp(-(aicc[1] - min(aicc)) / 2))
close("Akaike weight pooled", t["akaike_weight_pooled"] + 1e-300, w + 1e-300, 1e-6)
for j, name in enumerate(("E", "A", "alpha")):
    (pa, sa), (pb, sb) = res["alpha"][:2], res["beta"][:2]
    z = (pa[j] - pb[j]) / math.hypot(sa[j], sb[j])
    close("z " + name, got["difference"][name]["z"], z, 2e-3)
    close("z p " + name, got["difference"][name]["p"], 2 * stats.norm.sf(abs(z)), 5e-3)
print("\n".join(bad) if bad else "ok: F %.6g p %.3g; alpha %s beta %s" % (F, t["p"], res["alpha"][0], res["beta"][0]))
sys.exit(1 if bad else 0)
PY

check() { # check NAME CSV JSON [holdout FRAC]
  local name=$1
  shift
  $py "$tmp/ref.py" "$@" >"$tmp/ref.out" 2>&1 || { fail "$name: $(cat "$tmp/ref.out")"; return; }
  echo "ok: $name: $(cat "$tmp/ref.out")"
}
"$SCALEFIT" fit "$tmp/two.csv" --law power --by family --json >"$tmp/by.json" 2>"$tmp/err" || fail "--by family: $(cat "$tmp/err")"
check "--by family" "$tmp/two.csv" "$tmp/by.json"
grep -qF "1 run without a value of family left out of every fit" "$tmp/err" || fail "no note of the run without a family"
grep -qF "'tiny' (2)" "$tmp/err" || fail "no note naming the skipped group: $(cat "$tmp/err")"
# the same groups by a numeric column (sorted ascending: 32000 is alpha), by a header's spelling
"$SCALEFIT" fit "$tmp/two.csv" --law power --by vocab --json >"$tmp/vocab.json" 2>"$tmp/err" || fail "--by vocab: $(cat "$tmp/err")"
check "--by vocab" "$tmp/two.csv" "$tmp/vocab.json"
"$SCALEFIT" fit "$tmp/two.csv" --law power --by 'Model Family' >"$tmp/table.txt" 2>&1 || fail "--by 'Model Family'"
grep -q "^  alpha " "$tmp/table.txt" && grep -q "^  beta " "$tmp/table.txt" && grep -q "F = " "$tmp/table.txt" ||
  fail "--by 'Model Family' table: $(cat "$tmp/table.txt")"
# the hold-out: the single fit's largest 20% (ties included), each scored by its group's fit; the
# held-out RMSE to 1e-5 (extrapolated, it amplifies the 2e-5 the parameters may differ by)
"$SCALEFIT" fit "$tmp/two.csv" --law power --by family --holdout 0.2 --json >"$tmp/hold.json" 2>"$tmp/err" ||
  fail "--holdout: $(cat "$tmp/err")"
check "--by family --holdout 0.2" "$tmp/two.csv" "$tmp/hold.json" holdout 0.2

# a law linear in its parameters on published data: F is exact, the fits are ordinary least squares
obs="$SF_SHARED/obsscaling_base_llm_benchmark_eval.csv"
if [ -r "$obs" ]; then
  "$SCALEFIT" fit "$obs" --law loglinear --y mmlu --by family --where 'C > 1e22' --json >"$tmp/obs.json" 2>"$tmp/err" ||
    fail "obsscaling: $(cat "$tmp/err")"
  $py - "$obs" "$tmp/obs.json" <<'PY' || fail "obsscaling loglinear by family"
import csv, json, math, sys
import numpy as np
from scipy import stats
got = json.load(open(sys.argv[2]))
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["FLOPs (1E21)"] and float(r["FLOPs (1E21)"]) * 1e21 > 1e22]
fams = sorted({r["Model Family"] for r in rows}, key=lambda s: s.encode())
by = {f: [r for r in rows if r["Model Family"] == f] for f in fams}
keep = [f for f in fams if len(by[f]) > 2]
bad = []
if [g["label"] for g in got["groups"]] != keep: bad.append("groups %s, want %s" % ([g["label"] for g in got["groups"]], keep))
if sorted(s["label"] for s in got["skipped"]) != sorted(f for f in fams if f not in keep): bad.append("skipped")
def ols(rs):
    x = np.array([math.log10(float(r["FLOPs (1E21)"]) * 1e21) for r in rs]); y = np.array([float(r["MMLU"]) for r in rs])
    X = np.column_stack([np.ones_like(x), x]); b, *_ = np.linalg.lstsq(X, y, rcond=None)
    rss = float(np.sum((X @ b - y) ** 2)); se = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * rss / (len(x) - 2))
    return b, se, rss, len(x)
rs_sep = 0
for g in got["groups"]:
    b, se, rss, n = ols(by[g["label"]]); rs_sep += rss
    for j, name in enumerate("ab"):
        if abs(g["params"][name] - b[j]) > 1e-6 * max(1, abs(b[j])): bad.append("%s %s %g vs %g" % (g["label"], name, g["params"][name], b[j]))
        if abs(g["stderr"][name] - se[j]) > 1e-5 * se[j]: bad.append("%s se %s" % (g["label"], name))
b, se, rp, n = ols([r for f in keep for r in by[f]])
k, kk = 2, 2 * len(keep)
F = ((rp - rs_sep) / (kk - k)) / (rs_sep / (n - kk)); p = stats.f.sf(F, kk - k, n - kk)
t = got["test"]
if abs(t["F"] - F) > 1e-6 * F or abs(t["p"] - p) > 1e-4 * p: bad.append("F %g p %g, scipy F %g p %g" % (t["F"], t["p"], F, p))
print("\n".join(bad) if bad else "ok: obsscaling mmlu by family, %d groups: F %.5g on (%d, %d), p %.3g" % (len(keep), F, kk - k, n - kk, p))
sys.exit(1 if bad else 0)
PY
else
  echo "skip: $obs absent (the published-data check)"
fi

# huber: the groups are fitted, the test is not (it counts least squares' likelihood)
"$SCALEFIT" fit "$tmp/two.csv" --law power --by family --loss huber --json >"$tmp/hub.json" 2>/dev/null || fail "huber --by"
$py -c "
import json, sys; t = json.load(open('$tmp/hub.json'))['test']
sys.exit(0 if not t['applicable'] and '--loss l2' in t['reason'] else 1)" || fail "huber: the test should be refused: $(cat "$tmp/hub.json")"
"$SCALEFIT" fit "$tmp/two.csv" --law power --by family --loss huber 2>/dev/null | grep -qF "not tested: huber loss" ||
  fail "huber: no 'not tested' line"

# refusals
expect 2 "'nope' is not a column of" "$SCALEFIT" fit "$tmp/two.csv" --law power --by nope
expect 2 "it has run, family, source, notes, C, loss, vocab" "$SCALEFIT" fit "$tmp/two.csv" --law power --by nope
expect 1 "--by fits one law per group" "$SCALEFIT" fit "$tmp/two.csv" --law power,power0 --by family
expect 1 "-o saves one fit" "$SCALEFIT" fit "$tmp/two.csv" --law power --by family -o "$tmp/x.json"
[ -e "$tmp/x.json" ] && fail "-o with --by wrote a file"
expect 2 "comparing groups needs at least 2" "$SCALEFIT" fit "$tmp/two.csv" --law power --by run
expect 2 "1 group of" "$SCALEFIT" fit "$tmp/two.csv" --law power --by family --where 'vocab < 40000'

[ "$fails" = 0 ] && echo "all fit --by checks passed"
exit $((fails > 0))
