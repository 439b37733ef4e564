#!/usr/bin/env bash
# report_fit_same.sh: a report's [fit] and `scalefit fit` with the same data and options give the
# same fit and the same warnings (both run sf_fit_table). The data make the irreducible term E of
# the power law unidentifiable (the runs follow 1000*C^-0.15 with no floor): its bootstrap interval
# runs down to its bound 0, which both must say, beside the poorly identified standard error. A
# selection ([data] where / --where) and a hold-out are part of the options compared.
set -u
: "${SCALEFIT:?}"
. "$(dirname "$0")/lib/common.sh"
need_py "" "skip: $py not installed"
fail_fast

$py - "$tmp/runs.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("run,N,D,loss\n")
    for i in range(30):
        N = 10 ** (7 + 3 * i / 29); D = 20 * N; C = 6 * N * D
        f.write("r%d,%.17g,%.17g,%.17g\n" % (i, N, D, 1000 * C ** -0.15 * math.exp(0.01 * math.sin(7 * i))))
PY
where='N > 1.5e7'
"$SCALEFIT" fit "$tmp/runs.csv" --law power --bootstrap 30 --seed 3 --holdout 0.2 --where "$where" --json \
  >"$tmp/fit.json" 2>"$tmp/fit.err" || fail "fit exit $?: $(cat "$tmp/fit.err")"
cat >"$tmp/same.ini" <<INI
[report]
title = report and fit agree
[data]
file = $tmp/runs.csv
where = $where
[fit f]
law = power
bootstrap = 30
seed = 3
holdout = 0.2
INI
"$SCALEFIT" report "$tmp/same.ini" -o "$tmp/out" >/dev/null 2>"$tmp/rep.err" || fail "report exit $?: $(cat "$tmp/rep.err")"
$py - "$tmp/fit.json" "$tmp/out/same/report.json" "$tmp/fit.err" <<'PY' || fail "report and fit differ"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))["fits"]["f"]
for k in ("params", "stderr", "ci", "cov", "objective", "n_points", "rcond", "converged", "starts", "warnings"):
    assert a[k] == b[k], (k, a[k], b[k])
assert a["data"]["range"] == b["data"]["range"] and a["data"]["n_rows"] == b["data"]["n_rows"]
assert a["holdout"] == b["holdout"], (a["holdout"], b["holdout"])
assert a["n_points"] == 22 and a["holdout"]["n_test"] == 6, (a["n_points"], a["holdout"])
w = a["warnings"]
assert any("'E' is poorly identified" in x for x in w), w
assert any("bootstrap interval of 'E'" in x and "touches its bound" in x for x in w), w
# the CLI prints each warning on stderr; the report shows them on its page
err = open(sys.argv[3]).read()
for x in w: assert ("warning: " + x) in err, x
html = open(sys.argv[2].replace("report.json", "index.html")).read()
assert "touches its bound" in html
print("ok: report and fit agree, with %d warnings" % len(w))
PY
echo "report_fit_same: all passed"
