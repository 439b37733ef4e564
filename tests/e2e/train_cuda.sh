#!/usr/bin/env bash
# train_cuda.sh: `--device cuda` for `scalefit train` and `scalefit sweep`. Without a GPU (or in a
# build without CUDA), a clear error and exit 2 before any work; with one, a tiny run per
# precision whose record names the GPU and the precision.
set -u
S=${SCALEFIT:?}
# for the records' JSON: any python3 (Debian's where present; $PYTHON on machines without it)
python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3
. "$(dirname "$0")/lib/common.sh"
fail_fast stderr
expect() { # expect CODE MESSAGE-PART COMMAND ARGS...
  local code=$1 part=$2; shift 2
  "$S" "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  [ "$rc" = "$code" ] || fail "$* exited $rc, want $code ($(cat "$tmp/err"))"
  grep -q -- "$part" "$tmp/err" || fail "$*: message lacks '$part': $(cat "$tmp/err")"
}
# checks that need no GPU
expect 2 "--device 'gpu' is not one of cpu, cuda" train --device gpu --data markov
expect 2 "--precision 'fp16' is not one of fp32, tf32, bf16" train --precision fp16 --data markov
expect 2 "--precision bf16 needs --device cuda" train --precision bf16 --data markov
expect 2 "--device 'gpu' is not one of cpu, cuda" sweep --preset tiny --data markov --device gpu -o "$tmp/s.h5"

tiny=(--data markov --layers 1 --d-model 32 --context 32 --batch 256 --tokens 5120 --evals 2 --val-tokens 1024 -q)
"$S" train --device cuda "${tiny[@]}" --json >"$tmp/gpu.json" 2>"$tmp/err"
rc=$?
if [ "$rc" != 0 ]; then
  # no usable GPU here: the error must say why, and nothing may have been written
  msg=$(cat "$tmp/err")
  [ "$rc" = 2 ] || fail "train --device cuda without a GPU exited $rc, want 2 ($(cat "$tmp/err"))"
  grep -qE "train: --device cuda: (no CUDA device \(cudaGetDeviceCount: |this scalefit was built without CUDA \(nvcc was not found at build time, or -DSCALEFIT_CUDA=OFF\))" "$tmp/err" ||
    fail "unclear message without a GPU: $(cat "$tmp/err")"
  expect 2 "device cuda: " sweep --preset tiny --data markov --device cuda -o "$tmp/s.h5"
  # --jobs: the same message, once
  expect 2 "sweep: --device cuda: " sweep --preset tiny --data markov --device cuda -j 2 -o "$tmp/s.h5"
  [ "$(grep -c "device cuda" "$tmp/err")" = 1 ] || fail "sweep -j 2 --device cuda: $(cat "$tmp/err")"
  [ ! -e "$tmp/s.h5" ] || fail "a refused sweep wrote its run file"
  echo "skip: no GPU: $msg"
  exit 77
fi
# the reference: the same run on the CPU (20 steps of this tiny model do not take the loss below
# log(64) = 4.159, the uniform guess: the CPU's own run ends at 4.163)
"$S" train --device cpu "${tiny[@]}" --json >"$tmp/cpu.json" || fail "train --device cpu"
for p in fp32 tf32 bf16; do
  "$S" train --device cuda --precision $p "${tiny[@]}" --json >"$tmp/$p.json" || fail "train --device cuda --precision $p"
  "$python" - "$tmp/$p.json" "$p" "$tmp/cpu.json" <<'PY' || fail "record of the $p run"
import json, math, sys
r, cpu = json.load(open(sys.argv[1])), json.load(open(sys.argv[3]))
assert r["precision"] == sys.argv[2] and r["config"]["device"] == "cuda", r
assert r["device"] not in ("cpu", "cuda", ""), r["device"]
# as tests/unit/test_train_cuda.c's runs: within 1e-3 of the CPU in fp32 and tf32, 2e-2 in bf16
tol = 2e-2 if r["precision"] == "bf16" else 1e-3
assert math.isfinite(r["val_loss"]) and abs(r["val_loss"] - cpu["val_loss"]) <= tol * cpu["val_loss"], (r["val_loss"], cpu["val_loss"])
assert r["peak_flops"] > 1e12 and 0 < r["mfu"] < 1, (r["peak_flops"], r["mfu"])
# head size 32: flash attention in bf16, the cuBLAS one otherwise
assert r["attention"] == ("flash" if r["precision"] == "bf16" else "cublas"), r["attention"]
PY
done
# SCALEFIT_ATTENTION: the cuBLAS attention on request; a value it does not know is refused
SCALEFIT_ATTENTION=cublas "$S" train --device cuda "${tiny[@]}" --json >"$tmp/cublas.json" || fail "SCALEFIT_ATTENTION=cublas"
"$python" -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["attention"] == "cublas" and r["precision"] == "bf16", r["attention"]' "$tmp/cublas.json" || fail "SCALEFIT_ATTENTION=cublas ran flash attention"
SCALEFIT_ATTENTION=fast expect 2 "SCALEFIT_ATTENTION 'fast' is not one of auto, flash, cublas" train --device cuda "${tiny[@]}"
# SCALEFIT_CUDA_GRAPHS=0: every step launch by launch, the same run to the bit; a value it does not know is refused
SCALEFIT_CUDA_GRAPHS=0 "$S" train --device cuda "${tiny[@]}" --json >"$tmp/eager.json" || fail "SCALEFIT_CUDA_GRAPHS=0"
"$python" -c 'import json,sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); assert a["val_loss"] == b["val_loss"], (a["val_loss"], b["val_loss"])' "$tmp/eager.json" "$tmp/bf16.json" || fail "SCALEFIT_CUDA_GRAPHS=0 changed the run"
SCALEFIT_CUDA_GRAPHS=no expect 2 "SCALEFIT_CUDA_GRAPHS 'no' is not one of 0, 1" train --device cuda "${tiny[@]}"
# SCALEFIT_FLASH_FORWARD: the mma.sync flash forward trains as the WMMA one (the bf16 tolerance against
# the CPU); a value it does not know is refused
SCALEFIT_FLASH_FORWARD=mma "$S" train --device cuda "${tiny[@]}" --json >"$tmp/mma.json" || fail "SCALEFIT_FLASH_FORWARD=mma"
"$python" - "$tmp/mma.json" "$tmp/cpu.json" <<'PY' || fail "record of the SCALEFIT_FLASH_FORWARD=mma run"
import json, math, sys
r, cpu = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert r["attention"] == "flash" and r["precision"] == "bf16", (r["attention"], r["precision"])
assert math.isfinite(r["val_loss"]) and abs(r["val_loss"] - cpu["val_loss"]) <= 2e-2 * cpu["val_loss"], (r["val_loss"], cpu["val_loss"])
PY
SCALEFIT_FLASH_FORWARD=fast expect 2 "SCALEFIT_FLASH_FORWARD 'fast' is not one of wmma, mma, mma-noprefetch" train --device cuda "${tiny[@]}"
# SCALEFIT_FLASH_BACKWARD: the mma.sync flash backward (after the mma.sync forward) trains as the WMMA one;
# a value it does not know is refused
SCALEFIT_FLASH_FORWARD=mma SCALEFIT_FLASH_BACKWARD=mma "$S" train --device cuda "${tiny[@]}" --json >"$tmp/mmab.json" ||
  fail "SCALEFIT_FLASH_BACKWARD=mma"
"$python" - "$tmp/mmab.json" "$tmp/cpu.json" <<'PY' || fail "record of the SCALEFIT_FLASH_BACKWARD=mma run"
import json, math, sys
r, cpu = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert r["attention"] == "flash" and r["precision"] == "bf16", (r["attention"], r["precision"])
assert math.isfinite(r["val_loss"]) and abs(r["val_loss"] - cpu["val_loss"]) <= 2e-2 * cpu["val_loss"], (r["val_loss"], cpu["val_loss"])
PY
SCALEFIT_FLASH_BACKWARD=fast expect 2 "SCALEFIT_FLASH_BACKWARD 'fast' is not one of wmma, mma" train --device cuda "${tiny[@]}"
grid=(--sizes 1x32,1x48,2x32,2x48 --tokens 5120,10240 --context 32 --batch 256 --data markov --device cuda -q)
"$S" sweep "${grid[@]}" -o "$tmp/s.h5" || fail "sweep --device cuda"
# packed: three worker threads on one GPU at once, each on its own stream; each run is deterministic
# on a given GPU, so every loss equals the one-at-a-time sweep's to the bit. Threads need no MPS:
# no warning without its daemon's pipe (an empty folder)
mkdir "$tmp/mps"
CUDA_MPS_PIPE_DIRECTORY=$tmp/mps "$S" sweep "${grid[@]}" -j 3 -o "$tmp/j.h5" 2>"$tmp/err" || fail "sweep -j 3 --device cuda: $(cat "$tmp/err")"
! grep -q "MPS" "$tmp/err" || fail "sweep -j 3 on one GPU warned about MPS: $(cat "$tmp/err")"
# the runs as CSV, sorted, without the timing columns (tokens_per_s, mfu, seconds: the last three)
runs() { "$S" export "$1" 2>/dev/null | tail -n +2 | sed -E 's/(,[^,]*){3}$//' | sort; }
[ "$(runs "$tmp/s.h5" | wc -l)" = 8 ] || fail "the GPU sweep recorded $(runs "$tmp/s.h5" | wc -l) runs, want 8"
[ "$(runs "$tmp/s.h5")" = "$(runs "$tmp/j.h5")" ] || fail "sweep -j 3 --device cuda differs from the serial GPU sweep:
$(diff <(runs "$tmp/s.h5") <(runs "$tmp/j.h5"))"
echo "train_cuda: ok ($("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["device"])' "$tmp/bf16.json"))"
