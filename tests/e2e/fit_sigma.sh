#!/usr/bin/env bash
# fit_sigma.sh: weighted fits (`fit --sigma COL [--absolute-sigma]`) against scipy's
# curve_fit(sigma=..., absolute_sigma=...) on synthetic runs with heteroscedastic noise: the
# parameters and the standard errors in both modes, in linear space (residual (f - y)/sigma), in
# log space (curve_fit on log f with sigma/y, the delta method), and Huber on residuals in units
# of sigma (curve_fit with loss='huber', f_scale=delta). Then what is independent of scipy: the
# bad sigmas (exit 2 naming the file, run, row and value), --where leaving them out, the options'
# usage errors, and the saved fit keeping the sigma column for predict (and an older file, without
# it, still loading). The scipy comparisons are skipped (77) without Debian's python3-scipy.
set -u
: "${SCALEFIT:?}"
. "$(dirname "$0")/lib/expect.sh"  # $tmp, fails, fail(), expect CODE FRAGMENT CMD...
need_py "" "skip: no $py"

# 30 runs of loss = 1.7 + 1000 C^-0.2, C from 1e15 to 1e21, each with its own standard deviation
# (0.004 to 0.02) and noise drawn from it
$py - "$tmp/runs.csv" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("run,C,loss,loss_sd\n")
    for i in range(30):
        C = 10 ** (15 + 6 * i / 29); s = 0.004 * (1 + 4 * random.random())
        f.write("r%d,%.17g,%.17g,%.17g\n" % (i, C, 1.7 + 1000 * C ** -0.2 + s * random.gauss(0, 1), s))
PY

if $py -c "import scipy" 2>/dev/null; then
  for space in linear log; do
    for abs in "" --absolute-sigma; do
      "$SCALEFIT" fit "$tmp/runs.csv" --law power --space $space --sigma loss_sd $abs --json >"$tmp/sf.json" ||
        fail "fit --space $space $abs"
      $py - "$tmp/runs.csv" "$tmp/sf.json" $space "${abs:-relative}" <<'PY' || fail "scipy: --space $space ${abs:-relative}"
import csv, json, sys
import numpy as np
from scipy.optimize import curve_fit
runs = list(csv.DictReader(open(sys.argv[1])))
C, y, s = (np.array([float(r[k]) for r in runs]) for k in ("C", "loss", "loss_sd"))
fit = json.load(open(sys.argv[2])); space = sys.argv[3]; absolute = sys.argv[4] == "--absolute-sigma"
f = lambda C, E, A, alpha: E + A * C ** -alpha
tol = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15, maxfev=100000)
if space == "linear":
    p, cov = curve_fit(f, C, y, p0=[1.5, 800, 0.18], sigma=s, absolute_sigma=absolute, **tol)
    r = (f(C, *p) - y) / s
else:  # log residuals, each with the standard deviation of log y: sigma / y
    p, cov = curve_fit(lambda C, *q: np.log(f(C, *q)), C, np.log(y), p0=[1.5, 800, 0.18], sigma=s / y,
                       absolute_sigma=absolute, **tol)
    r = (np.log(f(C, *p)) - np.log(y)) / (s / y)
se = np.sqrt(np.diag(cov)); chi2 = float(r @ r)
got = [fit["params"][k] for k in ("E", "A", "alpha")]; gse = [fit["stderr"][k] for k in ("E", "A", "alpha")]
print(space, "absolute" if absolute else "relative", "scipy", p, se, "scalefit", got, gse)
assert fit["sigma"] == "loss_sd" and fit["absolute_sigma"] == absolute, fit.get("sigma")
assert abs(fit["chi2"] - chi2) <= 1e-8 * chi2 and fit["dof"] == 27, (fit["chi2"], chi2)
for k in range(3):
    assert abs(got[k] - p[k]) <= 1e-6 * abs(p[k]), ("param", k, got[k], p[k])
    assert abs(gse[k] - se[k]) <= 1e-5 * se[k], ("stderr", k, gse[k], se[k])
PY
    done
  done
  # Huber on residuals in units of sigma, delta 1: beyond it a run's pull is capped
  "$SCALEFIT" fit "$tmp/runs.csv" --law power --space linear --sigma loss_sd --loss huber --delta 1 --json \
    >"$tmp/hu.json" || fail "fit huber"
  $py - "$tmp/runs.csv" "$tmp/hu.json" <<'PY' || fail "scipy: huber"
import csv, json, sys
import numpy as np
from scipy.optimize import curve_fit
runs = list(csv.DictReader(open(sys.argv[1])))
C, y, s = (np.array([float(r[k]) for r in runs]) for k in ("C", "loss", "loss_sd"))
fit = json.load(open(sys.argv[2]))
f = lambda C, E, A, alpha: E + A * C ** -alpha
p, _ = curve_fit(f, C, y, p0=[1.5, 800, 0.18], sigma=s, method="trf", loss="huber", f_scale=1.0,
                 ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=100000)
r = np.abs((f(C, *p) - y) / s)
obj = float(np.sum(np.where(r <= 1, r * r / 2, r - 0.5)))
got = [fit["params"][k] for k in ("E", "A", "alpha")]
print("huber scipy", p, obj, "scalefit", got, fit["objective"], "beyond delta:", int(np.sum(r > 1)))
assert np.sum(r > 1) > 0
assert fit["objective"] <= obj * (1 + 1e-9), (fit["objective"], obj)
for k in range(3):
    assert abs(got[k] - p[k]) <= 1e-5 * abs(p[k]), ("param", k, got[k], p[k])
PY
else
  echo "scipy comparisons skipped: no python3-scipy"
fi

# ---- the summary line, the saved fit, predict
"$SCALEFIT" fit "$tmp/runs.csv" --law power --space linear --sigma loss_sd >"$tmp/table" || fail "table"
grep -q "on linear residuals in units of loss_sd)" "$tmp/table" || fail "summary lacks the sigma: $(cat "$tmp/table")"
grep -qE "^chi-square [0-9.]+ / dof 27 = [0-9.]+ \(standard errors scaled by it" "$tmp/table" || fail "no chi-square line"
"$SCALEFIT" fit "$tmp/runs.csv" --law power --sigma loss_sd --absolute-sigma -o "$tmp/fit.json" >"$tmp/table" ||
  fail "fit -o"
grep -q "in units of sigma/y, sigma from loss_sd, absolute)" "$tmp/table" || fail "log summary: $(cat "$tmp/table")"
grep -q "from the sigmas as given, not scaled" "$tmp/table" || fail "absolute chi-square line"
"$SCALEFIT" predict "$tmp/fit.json" --at C=1e22 >"$tmp/pred" || fail "predict on a weighted fit"
grep -q "weighted by loss_sd, absolute" "$tmp/pred" || fail "predict does not say the fit was weighted: $(cat "$tmp/pred")"
# a fit file from before weighted fits (no sigma keys) still loads
$py -c "
import json; d = json.load(open('$tmp/fit.json'))
for k in ('sigma', 'absolute_sigma', 'chi2', 'dof'): del d[k]
json.dump(d, open('$tmp/old.json', 'w'))
d['absolute_sigma'] = 'yes'; json.dump(d, open('$tmp/badabs.json', 'w'))"
"$SCALEFIT" predict "$tmp/old.json" --at C=1e22 >"$tmp/pred" || fail "predict on a fit file without sigma"
grep -q "weighted" "$tmp/pred" && fail "an unweighted fit said to be weighted"
expect 2 "'absolute_sigma' must be true or false" "$SCALEFIT" predict "$tmp/badabs.json" --at C=1e22

# ---- bad sigmas: named, exit 2, never skipped; --where can leave them out (a CSV cannot hold
# nan or inf: the reader refuses them itself; tests/unit/test_fit_table.c has them)
for v in 0 -0.01 ""; do
  sed "s/^r9,\(.*\),[^,]*$/r9,\1,$v/" "$tmp/runs.csv" >"$tmp/bad.csv"
  case "$v" in
    "") said="loss_sd is missing," ;;
    *) said="loss_sd = $v," ;;
  esac
  expect 2 "run 'r9' (row 10 of '$tmp/bad.csv'): $said but --sigma needs a standard deviation that is finite and > 0" \
    "$SCALEFIT" fit "$tmp/bad.csv" --law power --sigma loss_sd
  [ -s "$tmp/out" ] && fail "output for a refused fit (sigma '$v')"
done
"$SCALEFIT" fit "$tmp/bad.csv" --law power --sigma loss_sd --where 'loss_sd > 0' --json >"$tmp/w.json" ||
  fail "--where leaving out a run without sigma"
[ "$($py -c "import json; print(json.load(open('$tmp/w.json'))['n_points'])")" = 29 ] || fail "--where kept the run"
# options
expect 1 "--absolute-sigma needs --sigma COL" "$SCALEFIT" fit "$tmp/runs.csv" --law power --absolute-sigma
expect 2 "column 'nope' missing in '$tmp/runs.csv' (--sigma" "$SCALEFIT" fit "$tmp/runs.csv" --law power --sigma nope
# huber asked for with --loss: the message must not blame the law's default (power's is l2)
expect 1 "--sigma with --loss huber: give --delta in units of sigma" \
  "$SCALEFIT" fit "$tmp/runs.csv" --law power --sigma loss_sd --loss huber
grep -qF "defaults to it" "$tmp/err" && fail "--loss huber given, yet the message says the law defaults to huber: $(cat "$tmp/err")"
# huber by the law's default (chinchilla's)
printf 'run,N,D,loss,loss_sd\na,1e6,1e8,3.1,0.01\nb,2e6,2e8,2.9,0.01\n' >"$tmp/nd.csv"
expect 1 "--sigma with huber loss (law 'chinchilla' defaults to it): give --delta in units of sigma" \
  "$SCALEFIT" fit "$tmp/nd.csv" --law chinchilla --sigma loss_sd
"$SCALEFIT" fit --help | grep -q "(log f - log y)/(sigma/y)" || fail "--help lacks the log-space residual"

# ---- a report's [fit] with sigma reproduces `fit --sigma` (both run sf_fit_table)
"$SCALEFIT" fit "$tmp/runs.csv" --law power --space linear --sigma loss_sd --absolute-sigma --json >"$tmp/cli.json" ||
  fail "fit for the report"
cat >"$tmp/w.ini" <<INI
[data]
file = $tmp/runs.csv
[fit f]
law = power
space = linear
sigma = loss_sd
absolute_sigma = yes
INI
if "$SCALEFIT" report "$tmp/w.ini" -o "$tmp/rep" >/dev/null 2>"$tmp/err"; then
  $py - "$tmp/cli.json" "$tmp/rep/w/report.json" <<'PY' || fail "report and fit --sigma differ"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))["fits"]["f"]
for k in ("params", "stderr", "cov", "objective", "chi2", "dof", "sigma", "absolute_sigma", "aic", "warnings"):
    assert a[k] == b[k], (k, a[k], b[k])
PY
  grep -qF 'Weighted by loss\_sd' "$tmp/rep/w/report.md" || fail "report.md does not say the fit is weighted"
else
  fail "report with sigma: $(cat "$tmp/err")"
fi
# a spec names its keys as a spec writes them
printf '[data]\nfile = %s\n[fit f]\nlaw = power\nsigma = loss_sd\nloss = huber\n' "$tmp/runs.csv" >"$tmp/h.ini"
expect 2 "sigma with loss = huber: give delta in units of sigma" "$SCALEFIT" report "$tmp/h.ini" -o "$tmp/rep3"
sed -i 's/^sigma = loss_sd$//' "$tmp/w.ini"
expect 2 "absolute_sigma needs sigma = COLUMN" "$SCALEFIT" report "$tmp/w.ini" -o "$tmp/rep2"

[ $fails = 0 ] && echo "fit_sigma: all checks passed"
exit $((fails > 0))
