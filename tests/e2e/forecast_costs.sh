#!/bin/bash
# forecast_costs.sh: the shipped cost examples reproduce the published runs (LLaMA-65B, Llama 3.1
# 405B, PaLM 540B) through the CLI's JSON.
set -u
PY=/usr/bin/python3
[ -x "$PY" ] || exit 77
fail() { echo "FAIL: $*"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

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
# (--mfu abc already was); --precision with --peak-flops did nothing and is refused
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
code 1 "peak-flops must be a positive" $P --peak-flops -3
code 1 "precision picks a peak from --gpu's table" $P --peak-flops 312 --precision fp32
code 1 "not both" $P --peak-flops 312 --gpu a100
# a peak given is used as it is: 6 * 1e9 * 2e10 FLOP at 312 TFLOP/s and MFU 0.5
"$SCALEFIT" $P --peak-flops 312 --mfu 0.5 --json 2>/dev/null \
  | $PY -c "import json,sys; p=json.load(sys.stdin)['predictions'][0]; assert abs(p['gpu_hours']/(1.2e20/(312e12*0.5)/3600)-1)<1e-12, p" \
  || fail "--peak-flops cost"

# the example script itself runs
SCALEFIT="$SCALEFIT" sh "$SF_SRC/examples/costs.sh" > "$out/costs.txt" 2>&1 || fail "examples/costs.sh"
grep -q "accelerator-hours" "$out/costs.txt" || fail "examples/costs.sh printed no cost"
echo ok
