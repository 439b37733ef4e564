#!/usr/bin/env bash
# forecast_target_floor.sh: target's search ends at one parameter trained on one token. The floor was
# 6 FLOP whatever the allocation, so on the shipped sweep's chinchilla fit (delta method) `--value 200`
# printed "C = 32.2 [0.000125, 8.3e+06] FLOP" and "N = 0.002961": a compute-optimal model of 0.003
# parameters, and a band far below 6 FLOP. For a law of N and D the floor is now the budget whose
# optimum has one parameter (or one token), C = 6 G^(-(a+b)/b) in Chinchilla's closed form (Hoffmann
# et al. 2022, Eq. 4), computed here in python: 200 is met there already, and a target reached above
# it (20) has its delta band's lower ends clipped at that budget and at one parameter, and says so.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh"
need_py scipy
out=$tmp
fail_fast

"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law chinchilla -o "$out/f.json" > /dev/null 2>&1 || fail "fit exit $?"
"$SCALEFIT" target "$out/f.json" --value 200 > "$out/t200.txt" 2>&1 || fail "target 200 exit $?: $(cat "$out/t200.txt")"
"$SCALEFIT" target "$out/f.json" --value 200 --json > "$out/t200.json" 2> /dev/null || fail "target 200 --json exit $?"
"$SCALEFIT" target "$out/f.json" --value 20 > "$out/t20.txt" 2>&1 || fail "target 20 exit $?: $(cat "$out/t20.txt")"
"$SCALEFIT" target "$out/f.json" --value 20 --json > "$out/t20.json" 2> /dev/null || fail "target 20 --json exit $?"
said=$(sed -n 's/.*already reached at \([^ ]*\) FLOP.*/\1/p' "$out/t200.txt")
[ -n "$said" ] || fail "200 not met at the floor: $(cat "$out/t200.txt")"
grep -q "lower ends are clipped there" "$out/t20.txt" || fail "no clip note: $(cat "$out/t20.txt")"
"$PY" - "$out" "$said" <<'PY' || fail "against python"
import json, sys
import numpy as np
from scipy.optimize import brentq
d, said = sys.argv[1], float(sys.argv[2])
fit = json.load(open(f"{d}/f.json"))
p = [fit["params"][k] for k in ("E", "A", "B", "alpha", "beta")]
E, A, B, a, b = p
G = (a * A / (b * B)) ** (1 / (a + b))
def nopt(C): return G * (C / 6) ** (b / (a + b))
def loss(C):
    N = nopt(C)
    return E + A / N ** a + B / (C / 6 / N) ** b
bottom = 6 * max(1, G ** (-(a + b) / b), G ** ((a + b) / a))
assert abs(min(nopt(bottom), bottom / 6 / nopt(bottom)) - 1) < 1e-9, bottom
assert loss(bottom) < 200, (bottom, loss(bottom))                   # met at the floor already
assert abs(said / bottom - 1) < 6e-3, (said, bottom)            # printed to 3 digits
t = json.load(open(f"{d}/t200.json"))
assert t["reachable"] is True and t["C"]["value"] is None, t["C"]
t = json.load(open(f"{d}/t20.json"))
C = 10 ** brentq(lambda lc: loss(10 ** lc) - 20, np.log10(bottom), 12, xtol=1e-13)
assert abs(t["C"]["value"] / C - 1) < 1e-6 and abs(t["N"]["value"] / nopt(C) - 1) < 1e-6, (t["C"], C)
assert t["N"]["value"] >= 1
assert t["band_clipped_at_floor"] is True
assert abs(t["C"]["lo"] / bottom - 1) < 1e-6, (t["C"], bottom)
assert t["N"]["lo"] == 1 and t["D"]["lo"] >= 1, (t["N"], t["D"])
PY
exit 0
