#!/usr/bin/env bash
# fit_to_forecast.sh: a fit saved by `scalefit fit -o` is read by predict, optimal and target
# (the saved-fit format is the contract between them): synthetic Chinchilla-form runs with known
# constants, a bootstrapped fit, and forecasts whose values and bands are checked against the
# closed forms of the true law.
set -u
: "${SCALEFIT:?}"
. "$(dirname "$0")/lib/common.sh"
need_py "" "skip: $py not installed"

# L = 1.8 + 400/N^0.34 + 2000/D^0.37 on a 6 x 6 grid of N and D, 0.2% multiplicative noise
$py - "$tmp/runs.csv" <<'PY'
import math, random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("run,N,D,loss\n")
    for i in range(6):
        for k in range(6):
            N = 1e7 * 10 ** (0.5 * i); D = 2e8 * 10 ** (0.5 * k)
            L = 1.8 + 400 / N ** 0.34 + 2000 / D ** 0.37
            f.write("r%d_%d,%.6g,%.6g,%.8g\n" % (i, k, N, D, L * math.exp(random.gauss(0, 0.002))))
PY
$SCALEFIT fit "$tmp/runs.csv" --law chinchilla --bootstrap 40 --seed 3 -o "$tmp/fit.json" >/dev/null 2>&1 ||
  fail "fit -o"

# predict at a point inside the data: the value near the true law, the band around it
$SCALEFIT predict "$tmp/fit.json" --at N=1e9,D=2e10 --json >"$tmp/p.json" 2>/dev/null || fail "predict"
$py - "$tmp/p.json" <<'PY' || fail "predict values"
import json, sys
p = json.load(open(sys.argv[1]))["predictions"][0]
true = 1.8 + 400 / 1e9 ** 0.34 + 2000 / 2e10 ** 0.37
assert abs(p["value"] / true - 1) < 0.005, (p, true)
assert p["lo"] < p["value"] < p["hi"], p
assert p["hi"] - p["lo"] < 0.05, p
PY

# optimal: N and D multiply to C/6, tokens/param as the closed form of the fitted constants
$SCALEFIT optimal "$tmp/fit.json" --compute 1e20 --json >"$tmp/o.json" 2>/dev/null || fail "optimal"
$py - "$tmp/o.json" "$tmp/fit.json" <<'PY' || fail "optimal values"
import json, sys
o = json.load(open(sys.argv[1])); f = json.load(open(sys.argv[2]))
r = o["optima"][0] if "optima" in o else o
N, D = r["N"]["value"], r["D"]["value"]
assert abs(6 * N * D / 1e20 - 1) < 1e-6, (N, D)
P = f["params"]; a, b = P["alpha"], P["beta"]
G = (a * P["A"] / (b * P["B"])) ** (1 / (a + b))
assert abs(N / (G * (1e20 / 6) ** (b / (a + b))) - 1) < 1e-6, N
assert r["N"]["lo"] <= N <= r["N"]["hi"]
PY

# target inverts optimal: the loss at the optimum for 1e20 needs 1e20
loss=$($py -c "import json; o=json.load(open('$tmp/o.json')); r=o['optima'][0] if 'optima' in o else o; print(repr(r['loss']['value']))")
$SCALEFIT target "$tmp/fit.json" --value "$loss" --json >"$tmp/t.json" 2>/dev/null || fail "target"
$py -c "import json; t=json.load(open('$tmp/t.json')); c=t['C']['value'] if isinstance(t['C'], dict) else t['C']; assert abs(c/1e20-1) < 1e-4, c" ||
  fail "target does not invert optimal"

# a fit file from another tool's layout is refused with exit 2
echo '{"law": "chinchilla"}' >"$tmp/bad.json"
$SCALEFIT predict "$tmp/bad.json" --at N=1e9,D=1e10 >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "foreign fit file not refused with 2"

# a fit that ran to a bound (the sigmoid of MMLU on the shipped models puts lo at 0) is read by the
# forecast commands; it was refused ("'lo' = 0 is outside the range law 'sigmoid' allows")
$SCALEFIT fit "$SF_SRC/datasets/models.csv" --law sigmoid --x C --y mmlu -o "$tmp/sig.json" >/dev/null 2>&1 \
  || fail "fit --law sigmoid exit $?"
$SCALEFIT predict "$tmp/sig.json" --at C=1e24 --json > "$tmp/sigp.json" 2> "$tmp/err" || fail "predict on a sigmoid fit: $(cat "$tmp/err")"
$SCALEFIT target "$tmp/sig.json" --value 0.5 --json > "$tmp/sigt.json" 2> "$tmp/err" || fail "target on a sigmoid fit: $(cat "$tmp/err")"
$py - "$tmp/sig.json" "$tmp/sigp.json" "$tmp/sigt.json" <<'PY' || fail "sigmoid fit forecasts"
import json, sys, math
p = json.load(open(sys.argv[1]))["params"]
f = lambda C: p["lo"] + (p["hi"] - p["lo"]) / (1 + math.exp(-p["k"] * (math.log10(C) - p["x0"])))
v = json.load(open(sys.argv[2]))["predictions"][0]["value"]
assert abs(v - f(1e24)) < 1e-12, (v, f(1e24))
t = json.load(open(sys.argv[3]))
C = t["C"]["value"] if isinstance(t["C"], dict) else t["C"]
assert abs(f(C) - 0.5) < 1e-9, (C, f(C))
PY
# a target above the sigmoid's ceiling is unreachable at any budget, said so (the verdict was
# "not reached below 1e+40 FLOP", as if a larger search might find it)
hi=$($py -c "import json,sys; print(json.load(open(sys.argv[1]))['params']['hi'] + 0.01)" "$tmp/sig.json")
$SCALEFIT target "$tmp/sig.json" --value "$hi" > "$tmp/sigc.txt" 2>&1 || fail "target above the ceiling exit $?"
grep -q "unreachable: the target .* is at or beyond the sigmoid's ceiling hi = " "$tmp/sigc.txt" \
  || fail "target above the ceiling: $(cat "$tmp/sigc.txt")"

[ $fails = 0 ] && echo "fit_to_forecast: ok"
exit $((fails > 0))
