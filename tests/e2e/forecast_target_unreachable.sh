#!/usr/bin/env bash
# forecast_target_unreachable.sh: a target at or below the fitted irreducible loss E. It is an answer,
# not an error (exit 0, "reachable": false, as tests/e2e/forecast_cli.sh holds), but the verdict
# gave E alone, so a user could not tell a target 0.05 under E's value from one well outside E's
# band. The verdict (and --json's E) now give E's band: the delta method's on log E from the fit's
# covariance, or the bootstrap refits' percentiles of E, both computed here in python.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh"
need_py scipy
out=$tmp
FIT="$SF_SRC/tests/inputs/fit_epoch_cov.json"

"$SCALEFIT" target "$FIT" --value 1.8 > "$out/t.txt" 2> "$out/err" || fail "target 1.8 exit $? (want 0)"
"$SCALEFIT" target "$FIT" --value 1.8 --json > "$out/t.json" 2> "$out/err" || fail "target 1.8 --json exit $?"
"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law chinchilla --bootstrap 40 -o "$out/boot.json" \
  > /dev/null 2> "$out/err" || fail "fit --bootstrap exit $?: $(cat "$out/err")"
"$SCALEFIT" target "$out/boot.json" --value 0.01 > "$out/b.txt" 2> "$out/err" || fail "target 0.01 exit $?"
"$SCALEFIT" target "$out/boot.json" --value 0.01 --json > "$out/b.json" 2> "$out/err" || fail "target 0.01 --json exit $?"
"$PY" - "$FIT" "$out" <<'PY' || fail "E's band"
import json, re, sys
import numpy as np
from scipy.stats import norm
fit, d = json.load(open(sys.argv[1])), sys.argv[2]

def shown(x):  # the text's number (4 significant digits for a loss)
    return float("%.4g" % x)

# delta method on log E: E exp(-+ z sd(E) / E)
E = fit["params"]["E"]
sd = np.sqrt(np.array(fit["cov"])[fit["param_order"].index("E")][fit["param_order"].index("E")])
t = json.load(open(f"{d}/t.json"))
z = norm.ppf(0.5 + t["ci_level"] / 2)
lo, hi = E * np.exp(-z * sd / E), E * np.exp(z * sd / E)
assert t["reachable"] is False, t
assert abs(t["E"]["value"] - E) < 1e-12 and abs(t["E"]["lo"] / lo - 1) < 1e-9 and abs(t["E"]["hi"] / hi - 1) < 1e-9, t["E"]
txt = open(f"{d}/t.txt").read()
m = re.search(r"target loss = 1.8: unreachable: the target 1.8 is at or below the fitted irreducible loss "
              r"E = (\S+) \[(\S+), (\S+)\] \(95% delta-method band\), the loss at infinite compute", txt)
assert m, txt
assert [float(g) for g in m.groups()] == [shown(E), shown(lo), shown(hi)], (m.groups(), E, lo, hi)

# bootstrap: percentiles of the refits' E
b = json.load(open(f"{d}/boot.json"))
Es = np.array(b["bootstrap"]["samples"])[:, b["param_order"].index("E")]
t = json.load(open(f"{d}/b.json"))
lo, hi = np.percentile(Es, [100 * (1 - t["ci_level"]) / 2, 100 * (1 + t["ci_level"]) / 2])
assert abs(t["E"]["lo"] / lo - 1) < 1e-9 and abs(t["E"]["hi"] / hi - 1) < 1e-9, (t["E"], lo, hi)
assert abs(t["prob_reachable"] - np.mean(Es < 0.01)) < 1e-12, t["prob_reachable"]
txt = open(f"{d}/b.txt").read()
assert "(95% bootstrap band), the loss at infinite compute" in txt, txt
PY
# published constants have no band: E alone, still the reason
"$SCALEFIT" target --published epoch2024_replication --value 1.8 > "$out/p.txt" 2>&1 || fail "published exit $?"
grep -qF "target loss = 1.8: unreachable: the target 1.8 is at or below the fitted irreducible loss E = 1.817, the loss at infinite compute" \
  "$out/p.txt" || fail "published verdict: $(cat "$out/p.txt")"
[ "$fails" -eq 0 ]
