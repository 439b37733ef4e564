#!/bin/bash
# forecast_singular_band.sh: a fit whose covariance is undefined (the own sweep's two smallest
# budgets: E runs to its bound and J^T J is singular, saved as nulls) gives forecasts without a
# band. The note said "the fit has neither bootstrap samples nor a covariance", sending the user to
# look for a key the file has; it now says the covariance may be undefined and to refit with
# --bootstrap, and such a refit does give a band.
set -u
. "$(dirname "$0")/lib/common.sh"
need_py
fail_fast
out=$tmp
RUNS="$SF_SRC/datasets/sweep_default.h5"

"$SCALEFIT" fit "$RUNS" --law chinchilla --where 'C < 5e12' -o "$out/f.json" > /dev/null 2>&1 || fail "fit exit $?"
"$PY" - "$out/f.json" <<'PY' || fail "the fit's covariance is expected undefined (nulls)"
import json, sys
f = json.load(open(sys.argv[1]))
assert "cov" in f and all(v is None for row in f["cov"] for v in row), f.get("cov")
PY
"$SCALEFIT" optimal "$out/f.json" --compute 1e13 > "$out/o.txt" 2>&1 || fail "optimal exit $?: $(cat "$out/o.txt")"
head -1 "$out/o.txt" | grep -q "no band (.*undefined.*refit with --bootstrap K)" \
  || fail "band note: $(head -1 "$out/o.txt")"
"$SCALEFIT" fit "$RUNS" --law chinchilla --where 'C < 5e12' --bootstrap 20 --seed 1 -o "$out/b.json" > /dev/null 2>&1 \
  || fail "fit --bootstrap exit $?"
"$SCALEFIT" optimal "$out/b.json" --compute 1e13 | head -1 | grep -q "band: 95% bootstrap percentiles over" \
  || fail "the refit with --bootstrap gives no band"
exit 0
