#!/usr/bin/env bash
# forecast_target_below.sh: `target` for a target the law (or some of its bootstrap refits) meets
# below 1e10 FLOP, the bottom of the search's scan. Each refit met there was given 1e10 as its
# budget, so on the shipped sweep's bootstrapped fit `--value 4` printed C = 12.7B [10B, 37.7B]
# though 92 of 200 refits reach 4 lower (the band's lower end is 3.28B); a target below 1e10 for
# the fit itself was "already reached at 1e+10 FLOP". Checked against each saved refit solved in
# python: the closed-form Chinchilla optimum along C = 6ND, the root in log C by scipy's brentq,
# and the band as numpy's percentiles of those roots; the delta method against scipy-free
# numerical gradients of the same root and the fit's covariance.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh"
need_py scipy
out=$tmp

"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law chinchilla --bootstrap 100 -o "$out/boot.json" \
  > /dev/null 2> "$out/err" || { echo "FAIL: fit --bootstrap exit $?: $(cat "$out/err")"; exit 1; }
"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law chinchilla -o "$out/cov.json" \
  > /dev/null 2> "$out/err" || { echo "FAIL: fit exit $?: $(cat "$out/err")"; exit 1; }
for v in 4 6; do
  "$SCALEFIT" target "$out/boot.json" --value $v --json > "$out/boot$v.json" 2> "$out/err" ||
    fail "target boot --value $v exit $?: $(cat "$out/err")"
  "$SCALEFIT" target "$out/cov.json" --value $v --json > "$out/cov$v.json" 2> "$out/err" ||
    fail "target cov --value $v exit $?: $(cat "$out/err")"
done

"$PY" - "$out" <<'PY' || fail "bands against python"
import json, sys
import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm
d = sys.argv[1]

def optimum(p, C):  # Hoffmann et al. 2022, Eq. 4
    E, A, B, a, b = p
    G = (a * A / (b * B)) ** (1 / (a + b))
    N = G * (C / 6) ** (b / (a + b))
    D = C / 6 / N
    return N, D, E + A / N ** a + B / D ** b

def solve(p, target):  # smallest C whose optimum reaches target: the loss falls with C
    lc = brentq(lambda lc: optimum(p, 10 ** lc)[2] - target, 0.5, 40, xtol=1e-13)
    N, D, _ = optimum(p, 10 ** lc)
    return np.array([10 ** lc, N, D])

def close(a, b, tol, what):
    assert abs(a / b - 1) < tol, (what, a, b)

for v in (4, 6):
    fit = json.load(open(f"{d}/boot.json"))
    order = fit["param_order"]
    p = [fit["params"][k] for k in order]
    draws = np.array(fit["bootstrap"]["samples"])
    assert all(draw[0] < v for draw in draws)          # every refit can reach it (E below)
    roots = np.array([solve(r, v) for r in draws])
    level = fit["ci_level"]
    t = json.load(open(f"{d}/boot{v}.json"))
    assert t["reachable"] is True, t
    assert t["refits_unsolved"] == 0, t
    below = int((roots[:, 0] < 1e10).sum())
    assert below > 10, (v, below)                       # the case this test is about
    for k, key in enumerate("CND"):
        close(t[key]["value"], solve(p, v)[k], 1e-6, (v, key, "value"))
        lo, hi = np.percentile(roots[:, k], [100 * (1 - level) / 2, 100 * (1 + level) / 2])
        close(t[key]["lo"], lo, 1e-6, (v, key, "lo"))
        close(t[key]["hi"], hi, 1e-6, (v, key, "hi"))

    # the delta method: sd(C)^2 = g' Cov g with g = dC/dparams; the band on log C
    fit = json.load(open(f"{d}/cov.json"))
    p = np.array([fit["params"][k] for k in order])
    cov = np.array(fit["cov"])
    c0 = solve(p, v)
    g = np.zeros((3, len(p)))
    for j in range(len(p)):
        h = 1e-6 * abs(p[j])
        up, dn = p.copy(), p.copy()
        up[j] += h
        dn[j] -= h
        g[:, j] = (solve(up, v) - solve(dn, v)) / (2 * h)
    t = json.load(open(f"{d}/cov{v}.json"))
    z = norm.ppf(0.5 + t["ci_level"] / 2)
    assert t["band"] == "delta", t["band"]
    for k, key in enumerate("CND"):
        s = z * np.sqrt(g[k] @ cov @ g[k]) / c0[k]
        close(t[key]["value"], c0[k], 1e-6, (v, key, "delta value"))
        close(t[key]["lo"], c0[k] * np.exp(-s), 1e-3, (v, key, "delta lo"))
        close(t[key]["hi"], c0[k] * np.exp(s), 1e-3, (v, key, "delta hi"))
PY

# the text says it too: the band's lower end below 1e10
"$SCALEFIT" target "$out/boot.json" --value 4 > "$out/t.txt" 2>&1 || fail "target text exit $?"
lo=$(sed -n 's/^ *C = [^ ]* \[\([^,]*\),.*/\1/p' "$out/t.txt")
awk -v lo="$lo" 'BEGIN { exit !(lo + 0 > 0 && lo + 0 < 9e9) }' || fail "text band's lower end '$lo' is not below 1e10: $(cat "$out/t.txt")"

# a target no budget down to the floor (the optimum one parameter or one token) fails to meet is said
# so, exit 0 (forecast_target_floor.sh checks that budget)
"$SCALEFIT" target "$out/cov.json" --value 1e9 > "$out/f.txt" 2>&1 || fail "target 1e9 exit $?"
grep -q "already reached at .* FLOP, the smallest budget at which the law could be evaluated with an optimum of one parameter" "$out/f.txt" ||
  fail "floor: $(cat "$out/f.txt")"
# a numerically minimised law has no interior optimum far below 1e10, so a refit that meets the
# target there has no answer: left out of the band and counted, not given the lowest budget tried.
# Kaplan's L(N, D) with Nc, Dc scaled: six refits reach loss 10 near 5e5 FLOP, four (Nc, Dc 1e-4 to
# 5e-4 of the paper's) are at it already at 1e4 FLOP.
"$PY" - "$out/k.json" <<'PY' || fail "kaplan fit file"
import json, sys
scale = [0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1e-4, 2e-4, 3e-4, 5e-4]
json.dump({"format": "scalefit-fit", "version": 1, "law": "kaplan", "vars": ["N", "D"], "y": "loss",
           "param_order": ["alphaN", "alphaD", "Nc", "Dc"],
           "params": {"alphaN": 0.076, "alphaD": 0.103, "Nc": 6.4e13, "Dc": 1.8e13}, "ci_level": 0.95,
           "bootstrap": {"K": len(scale), "samples": [[0.076, 0.103, 6.4e13 * f, 1.8e13 * f] for f in scale]}},
          open(sys.argv[1], "w"))
PY
"$SCALEFIT" target "$out/k.json" --value 10 --json > "$out/k_t.json" 2> "$out/err" || fail "kaplan target exit $?: $(cat "$out/err")"
"$SCALEFIT" target "$out/k.json" --value 10 > "$out/k_t.txt" 2> "$out/err" || fail "kaplan target text exit $?"
grep -qF "(4 of 10 refits could not be solved for the target" "$out/k_t.txt" || fail "kaplan note: $(cat "$out/k_t.txt")"
"$PY" - "$out/k.json" "$out/k_t.json" <<'PY' || fail "kaplan band against scipy"
import json, sys
import numpy as np
from scipy.optimize import brentq, minimize_scalar
fit, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def best(p, C):  # L = ((Nc/N)^(aN/aD) + Dc/D)^aD along C = 6ND, minimised in log N
    aN, aD, Nc, Dc = p
    f = lambda u: ((Nc / np.exp(u)) ** (aN / aD) + Dc / (C / (6 * np.exp(u)))) ** aD
    r = minimize_scalar(f, bounds=(0, np.log(C / 6)), method="bounded", options={"xatol": 1e-12})
    return r.fun
draws = fit["bootstrap"]["samples"]
assert all(best(p, 1e4) < 10 for p in draws[6:])            # met already at 1e4 FLOP
roots = [10 ** brentq(lambda lc: best(p, 10 ** lc) - 10, 4, 10, xtol=1e-12) for p in draws[:6]]
lo, hi = np.percentile(roots, [2.5, 97.5])
assert t["refits_unsolved"] == 4, t
assert abs(t["C"]["lo"] / lo - 1) < 1e-5 and abs(t["C"]["hi"] / hi - 1) < 1e-5, (t["C"], lo, hi)
PY
# Nine of ten refits met already at 1e4 FLOP: one refit is left, too few for a band. The count said 0
# (it was taken only from a bootstrap band, and there is none) and the text said nothing of them.
"$PY" - "$out/k9.json" <<'PY' || fail "kaplan fit file, 9 unsolved"
import json, sys
scale = [1.0] + [1e-4 * (1 + k / 10) for k in range(9)]
json.dump({"format": "scalefit-fit", "version": 1, "law": "kaplan", "vars": ["N", "D"], "y": "loss",
           "param_order": ["alphaN", "alphaD", "Nc", "Dc"],
           "params": {"alphaN": 0.076, "alphaD": 0.103, "Nc": 6.4e13, "Dc": 1.8e13}, "ci_level": 0.95,
           "bootstrap": {"K": len(scale), "samples": [[0.076, 0.103, 6.4e13 * f, 1.8e13 * f] for f in scale]}},
          open(sys.argv[1], "w"))
PY
"$SCALEFIT" target "$out/k9.json" --value 10 --json > "$out/k9_t.json" 2> "$out/err" || fail "kaplan 9 target exit $?: $(cat "$out/err")"
"$SCALEFIT" target "$out/k9.json" --value 10 > "$out/k9_t.txt" 2> "$out/err" || fail "kaplan 9 target text exit $?"
grep -qF "(9 of 10 refits could not be solved for the target: met already at the lowest budget their law can be evaluated at, or failed; too few are left for a band)" \
  "$out/k9_t.txt" || fail "kaplan 9 note: $(cat "$out/k9_t.txt")"
"$PY" - "$out/k9.json" "$out/k9_t.json" <<'PY' || fail "kaplan 9 count against scipy"
import json, sys
import numpy as np
from scipy.optimize import minimize_scalar
fit, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def best(p, C):
    aN, aD, Nc, Dc = p
    f = lambda u: ((Nc / np.exp(u)) ** (aN / aD) + Dc / (C / (6 * np.exp(u)))) ** aD
    return minimize_scalar(f, bounds=(0, np.log(C / 6)), method="bounded", options={"xatol": 1e-12}).fun
met = sum(best(p, 1e4) < 10 for p in fit["bootstrap"]["samples"])
assert met == 9 and best(fit["bootstrap"]["samples"][0], 1e4) > 10, met
assert t["refits_unsolved"] == met, t
assert t["C"]["lo"] is None and t["C"]["hi"] is None, t["C"]
PY
[ "$fails" -eq 0 ]
