#!/usr/bin/env bash
# fit_wald.sh: the standard error's 95% interval of a parameter stays within its range. The report
# printed value +- 1.96 SE for a fit without a bootstrap, a positive A read [-1940.9, 8612.1] and the
# own sweep's E and B reached below 0; `fit` printed no interval at all. Now both take the interval on the
# scale on which the parameter is unbounded (log for a positive one, logit between two bounds, linear for
# a free sign) and map it back. Checked in python from the fit's own value and covariance (numpy;
# scipy's normal quantile for 1.96): fit --json (wald_interval, wald_scale), fit's text table, and the
# report's table and report.json, on a Chinchilla fit of the shipped sweep with alpha bounded to (0.2, 0.5).
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh" # $tmp, $PY, fails, fail(), need_py, need_cmd, skip
need_py 'numpy, scipy'
data="$SF_SRC/datasets/sweep_default.h5"
"$SCALEFIT" fit "$data" --law chinchilla --bound alpha=0.2:0.5 --json > "$tmp/f.json" 2> /dev/null || fail "fit --json exit $?"
"$SCALEFIT" fit "$data" --law chinchilla --bound alpha=0.2:0.5 > "$tmp/f.txt" 2> /dev/null || fail "fit exit $?"
cat > "$tmp/s.ini" <<INI
[data]
file = $data
[fit chin]
law = chinchilla
INI
"$SCALEFIT" report "$tmp/s.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/err" || fail "report exit $?: $(cat "$tmp/err")"

"$PY" - "$tmp/f.json" "$tmp/f.txt" "$tmp/rep/s/report.json" "$tmp/rep/s/report.md" <<'PY' || fail "intervals against python"
import json, re, sys
import numpy as np
from scipy.stats import norm
z = 1.96
assert abs(norm.ppf(0.975) - z) < 5e-5
BOUNDS = {"alpha": (0.2, 0.5)}
POSITIVE = {"E", "A", "B"}  # chinchilla's parameters kept positive by the fit (exp transform)

def expect(f, bounds):
    se = np.sqrt(np.diag(np.array(f["cov"])))
    out = {}
    for k, p, s in zip(f["param_order"], [f["params"][k] for k in f["param_order"]], se):
        if k in bounds:  # logit((p - a) / (b - a)), its standard error by the delta method
            a, b = bounds[k]; u = (p - a) / (b - a); L = np.log(u / (1 - u)); sl = s / ((b - a) * u * (1 - u))
            out[k] = ("logit", a + (b - a) / (1 + np.exp(-(L - z * sl))), a + (b - a) / (1 + np.exp(-(L + z * sl))))
        elif k in POSITIVE:  # log p, standard error s / p
            out[k] = ("log", p * np.exp(-z * s / p), p * np.exp(z * s / p))
        else:
            out[k] = ("linear", p - z * s, p + z * s)
    return out

f = json.load(open(sys.argv[1]))
want = expect(f, BOUNDS)
plain = {k: (f["params"][k] - z * f["stderr"][k], f["params"][k] + z * f["stderr"][k]) for k in f["param_order"]}
assert min(plain["E"][0], plain["B"][0]) < 0, plain  # the premise: the plain interval leaves the range
for k, (sc, lo, hi) in want.items():
    got = f["wald_interval"][k]
    assert f["wald_scale"][k] == sc, (k, f["wald_scale"][k], sc)
    assert abs(got[0] / lo - 1) < 1e-9 and abs(got[1] / hi - 1) < 1e-9, (k, got, lo, hi)
    if k in POSITIVE: assert got[0] > 0, (k, got)
    if k in BOUNDS: assert BOUNDS[k][0] < got[0] < got[1] < BOUNDS[k][1], (k, got)
# the text table: each row's interval, to the digits printed
rows = {m.group(1): (float(m.group(2)), float(m.group(3))) for m in
        re.finditer(r"^  (\w+) +\S+ +\S+ +\[([-0-9.e+]+), ([-0-9.e+]+)\]$", open(sys.argv[2]).read(), re.M)}
assert set(rows) == set(want), rows
for k, (sc, lo, hi) in want.items():
    assert abs(rows[k][0] - lo) <= 1e-5 * abs(lo) + 1e-6 and abs(rows[k][1] - hi) <= 1e-5 * abs(hi) + 1e-6, (k, rows[k], lo, hi)
assert "log for E, A, B; logit for alpha; linear for beta" in open(sys.argv[2]).read()
# the report (no bound): report.json's fit and the Markdown table
r = json.load(open(sys.argv[3]))["fits"]["chin"]
want = expect(r, {})
md = open(sys.argv[4]).read()
for k, (sc, lo, hi) in want.items():
    got = r["wald_interval"][k]
    assert abs(got[0] / lo - 1) < 1e-9 and abs(got[1] / hi - 1) < 1e-9, (k, got, lo, hi)
    row = re.search(rf"^\| {k} \| \S+ \| \S+ \| \\\[([-0-9.e+]+), ([-0-9.e+]+)\\\] \|$", md, re.M)
    assert row, (k, md)
    a, b = float(row.group(1)), float(row.group(2))
    assert abs(a - lo) <= 1e-5 * abs(lo) + 1e-6 and abs(b - hi) <= 1e-5 * abs(hi) + 1e-6, (k, a, b, lo, hi)
    if k in POSITIVE: assert a > 0, (k, a)
assert "log for E, A, B; linear for alpha, beta (docs/FIT.md)" in md, md
print("ok: intervals on the log and logit scales, as python computes them")
PY
[ "$fails" -eq 0 ]
