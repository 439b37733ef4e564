#!/bin/bash
# forecast_costs.sh: the shipped cost examples reproduce the published runs (LLaMA-65B, Llama 3.1
# 405B, PaLM 540B) through the CLI's JSON.
set -u
. "$(dirname "$0")/lib/common.sh"
need_py
fail_fast
out=$tmp

"$SCALEFIT" predict --published epoch2024_replication --at N=65.2e9,D=1.4e12 --gpu a100 --mfu 0.477 --gpus 2048 \
  --json > "$out/llama65.json" || fail "llama65 exit $?"
$PY - "$out/llama65.json" <<'PY' || fail "llama65 numbers"
import json, sys
p = json.load(open(sys.argv[1]))["predictions"][0]
assert abs(p["C"] - 6 * 65.2e9 * 1.4e12) < 1e-6 * p["C"], p
assert abs(p["gpu_hours"] / 1022362 - 1) < 0.005, p["gpu_hours"]   # model card: 1,022,362
assert 20.5 < p["days"] < 21.5, p["days"]                           # paper: about 21 days
assert p["dollars"] is None
PY

"$SCALEFIT" optimal --published llama3_Dopt --compute 3.8e25 --gpu h100 --mfu 0.41 --gpus 16384 --json \
  > "$out/l405.json" || fail "405b exit $?"
$PY - "$out/l405.json" <<'PY' || fail "405b numbers"
import json, sys
r = json.load(open(sys.argv[1]))
o = r["optima"][0]
want = 3.8e25 / (989.4e12 * 0.41) / 3600
assert abs(o["gpu_hours"] / want - 1) < 1e-9, o["gpu_hours"]
assert 0.8 * 30.84e6 < o["gpu_hours"] < 30.84e6                     # card: 30.84M incl. long-context stage
assert abs(o["days"] - want / 16384 / 24) < 1e-6
assert abs(o["D"]["value"] / (0.29 * 3.8e25 ** 0.53) - 1) < 1e-9
assert r["cost_model"]["peak_flops"] == 989.4e12 and r["cost_model"]["gpu"] == "H100 SXM5"
PY

"$SCALEFIT" predict --published epoch2024_replication --at N=540.35e9,D=780e9 --attention 118:2048:18432 \
  --gpu TPU-V4 --mfu 0.462 --gpus 6144 --json > "$out/palm.json" || fail "palm exit $?"
$PY - "$out/palm.json" <<'PY' || fail "palm numbers"
import json, sys
p = json.load(open(sys.argv[1]))["predictions"][0]
per_token = 6 * 540.35e9 + 6 * 118 * 2048 * 18432
assert abs(p["C"] / (per_token * 780e9) - 1) < 1e-12
days_from_throughput = 780e9 / 238300 / 86400                       # 37.9 days at 238,300 tokens/s
assert abs(p["days"] / days_from_throughput - 1) < 0.01, (p["days"], days_from_throughput)
PY

# a law without a compute figure (kaplan2020_LN is L(N)) printed the cost header and then no cost:
# it now says so and prints no header (and no cost_model in the JSON)
"$SCALEFIT" predict --published kaplan2020_LN --at N=1e9 --gpu a100 > "$out/ln.txt" 2> "$out/ln.err" \
  || fail "kaplan LN exit $?"
grep -q "no compute figure" "$out/ln.err" || fail "kaplan LN: no warning: $(cat "$out/ln.err")"
grep -q "^cost:" "$out/ln.txt" && fail "kaplan LN: a cost header without a cost: $(cat "$out/ln.txt")"
"$SCALEFIT" predict --published kaplan2020_LN --at N=1e9 --gpu a100 --json 2>/dev/null \
  | $PY -c "import json,sys; r=json.load(sys.stdin); assert 'cost_model' not in r and 'gpu_hours' not in r['predictions'][0], r" \
  || fail "kaplan LN json"

# bad values of the cost options are usage errors (exit 1) like every other bad option value
# (--mfu abc already was); --precision with --peak-tflops did nothing and is refused
code() { # want, needle, args...
  local want=$1 needle=$2; shift 2
  "$SCALEFIT" "$@" > /dev/null 2> "$out/err"; local rc=$?
  [ $rc -eq "$want" ] || fail "$* exited $rc, want $want ($(cat "$out/err"))"
  grep -q -- "$needle" "$out/err" || fail "$*: message lacks '$needle': $(cat "$out/err")"
}
P="predict --published epoch2024_replication --at N=1e9,D=2e10"
code 1 "expects a number" $P --gpu a100 --mfu abc
code 1 "mfu must be in (0, 1]" $P --gpu a100 --mfu 1.5
code 1 "unknown precision 'fp8'" $P --gpu a100 --precision fp8
code 1 "no bf16 peak for 'V100" $P --gpu v100
code 1 "unknown GPU 'z9000'" $P --gpu z9000
code 1 "whole number of accelerators" $P --gpu a100 --gpus 0
code 1 "price-per-hour must be >= 0" $P --gpu a100 --price-per-hour -1
code 1 "peak-tflops must be a positive" $P --peak-tflops -3
code 1 "precision picks a peak from --gpu's table" $P --peak-tflops 312 --precision fp32
code 1 "not both" $P --peak-tflops 312 --gpu a100
# --peak-flops, the option's name before it matched the report spec's peak_tflops, still works, is one
# option with --peak-tflops (a repeat), and is not offered in --help
code 1 "given twice" $P --peak-tflops 312 --peak-flops 312
"$SCALEFIT" predict --help > "$out/help" || fail "predict --help"
grep -q -- "--peak-tflops TFLOPS" "$out/help" || fail "--help lacks --peak-tflops: $(cat "$out/help")"
if grep -q -- "--peak-flops" "$out/help"; then fail "--help still offers --peak-flops"; fi
"$SCALEFIT" $P --peak-flops 312 --mfu 0.5 --json 2>/dev/null \
  | $PY -c "import json,sys; p=json.load(sys.stdin)['predictions'][0]; assert abs(p['gpu_hours']/(1.2e20/(312e12*0.5)/3600)-1)<1e-12, p" \
  || fail "--peak-flops (the former name) cost"
# a peak given is used as it is: 6 * 1e9 * 2e10 FLOP at 312 TFLOP/s and MFU 0.5
"$SCALEFIT" $P --peak-tflops 312 --mfu 0.5 --json 2>/dev/null \
  | $PY -c "import json,sys; p=json.load(sys.stdin)['predictions'][0]; assert abs(p['gpu_hours']/(1.2e20/(312e12*0.5)/3600)-1)<1e-12, p" \
  || fail "--peak-tflops cost"

# the example script itself runs
SCALEFIT="$SCALEFIT" sh "$SF_SRC/examples/costs.sh" > "$out/costs.txt" 2>&1 || fail "examples/costs.sh"
grep -q "accelerator-hours" "$out/costs.txt" || fail "examples/costs.sh printed no cost"
echo ok

# a formula fitted in the data's own spelling (Params, Tokens: the store's header aliases of N and
# D) used to get no compute figure: optimal and target refused the law, predict computed no cost.
# Its optimum is Chinchilla's closed form and its cost C / (989.4 TFLOP/s x 0.4) / 3600 per H100.
cat > "$out/alias.json" <<'JSON'
{"format": "scalefit-fit", "version": 1, "law": "formula",
 "formula": "loss = E + A*Params^-alpha + B*Tokens^-beta", "vars": ["Params", "Tokens"], "y": "loss",
 "params": {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658},
 "data": {"range": {"Params": [7e7, 1.6e10], "Tokens": [8e8, 3.2e11]}}}
JSON
"$SCALEFIT" optimal "$out/alias.json" --compute 1e23 --gpu h100 --json > "$out/ao.json" 2> "$out/ao.err" \
  || fail "optimal on Params/Tokens exit $?: $(cat "$out/ao.err")"
"$SCALEFIT" target "$out/alias.json" --value 2.0 --gpu h100 --json > "$out/at.json" 2> "$out/at.err" \
  || fail "target on Params/Tokens exit $?: $(cat "$out/at.err")"
"$SCALEFIT" predict "$out/alias.json" --at Params=1e9,Tokens=2e10 --gpu h100 --json > "$out/ap.json" 2> "$out/ap.err" \
  || fail "predict on Params/Tokens exit $?"
grep -q "no compute figure" "$out/ap.err" && fail "predict on Params/Tokens: $(cat "$out/ap.err")"
$PY - "$out/ao.json" "$out/at.json" "$out/ap.json" <<'PY' || fail "Params/Tokens numbers"
import json, sys
E, A, B, a, b = 1.8172, 482.01, 2085.43, 0.3478, 0.3658
G = (a * A / (b * B)) ** (1 / (a + b))
hours = lambda C: C / (989.4e12 * 0.4) / 3600
o = json.load(open(sys.argv[1]))["optima"][0]
N = G * (1e23 / 6) ** (b / (a + b))
assert abs(o["N"]["value"] / N - 1) < 1e-6, (o["N"], N)
assert abs(o["gpu_hours"] / hours(1e23) - 1) < 1e-9, o["gpu_hours"]
import math                                                       # the ranges saved as Params, Tokens
want = max(math.log10(N / 1.6e10), math.log10(1e23 / (6 * N) / 3.2e11), 0)
assert want > 0.2 and abs(o["decades_beyond"] - want) < 1e-9, (o["decades_beyond"], want)
t = json.load(open(sys.argv[2]))
C = t["C"]["value"] if isinstance(t["C"], dict) else t["C"]
Nt = G * (C / 6) ** (b / (a + b)); Dt = C / (6 * Nt)
assert abs(E + A * Nt ** -a + B * Dt ** -b - 2.0) < 1e-6, (C, Nt, Dt)
assert abs(t["gpu_hours"] / hours(C) - 1) < 1e-9, t["gpu_hours"]
p = json.load(open(sys.argv[3]))["predictions"][0]
assert abs(p["C"] / (6 * 1e9 * 2e10) - 1) < 1e-12 and abs(p["gpu_hours"] / hours(1.2e20) - 1) < 1e-9, p
PY
