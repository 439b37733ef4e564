#!/usr/bin/env bash
# gpu_validate.sh: the GPU trainer's checks and speed, run THERE, on a borrowed GPU machine, from the
# repository root, with the bundle of bench/gpu_bundle.sh carried as .gpu (nothing is built there).
#
#   bash bench/gpu_validate.sh checks   # kernel tests, model gradients, all of test_train_cuda, e2e
#   bash bench/gpu_validate.sh bench    # bench_train_cuda (tokens/s, MFU) and the CPU trainer beside it
#   bash bench/gpu_validate.sh sweep    # the default sweep on the GPU against the shipped CPU sweep; then
#                                       # -j 4 and -j 8 (worker threads, one stream each)
#   bash bench/gpu_validate.sh profile  # one bf16 step of GPT-2 small under Nsight Compute: ms per kernel
#                                       # (SF_PROFILE_FILTER picks bench_train_cuda's line: "124M T1024 bf16
#                                       # flash" by default, the WMMA flash kernels; "... mma-pf" / "mma-np"
#                                       # the mma.sync forwards; "... mma-bw" the mma.sync forward and backward)
#   bash bench/gpu_validate.sh sanitize # the kernel tests and a graph-captured step under compute-sanitizer
#                                       # (racecheck, synccheck, memcheck): what the emulator cannot show
#   bash bench/gpu_validate.sh all      # checks, bench, sweep (longer than one 10-minute call)
#
# Each stage stays under SF_GPU_BUDGET seconds (default 540; all: 3600): every step runs under `timeout`,
# capped by what is left. A failing step never stops the stage: every step runs, then a table of
# PASS/FAIL/SKIP, and the exit status is 1 if any step failed. Logs go to $OUT (else .gpu-out/):
# gpu-summary-STAGE.txt (the machine's facts and the table), gpu-STAGE.log (every step's output, each cut
# to 1 MB), and from the sweep stage the GPU's run files, sweep-default-cuda*.h5: at most 6 files.
#
# The bundle is unpacked into .gpu-run/ (again only when the archive changed). The bundled programs
# (.gpu-run/scalefit, test_train_cuda, bench_train_cuda, bench_train) are wrappers that put the bundle's
# lib/ first on the loader's path; SF_GPU_LDPATH, set here, adds the folder where cuBLAS was found.
set -u
cd "$(dirname "$0")/.." || exit 2
stage=${1:-}
case $stage in
  checks | bench | sweep | profile | sanitize) stages=("$stage") ;;
  all) stages=(checks bench sweep) ;;
  *)
    echo "usage: bash bench/gpu_validate.sh checks|bench|sweep|profile|sanitize|all" >&2
    exit 1
    ;;
esac
[ "$stage" = all ] && budget=${SF_GPU_BUDGET:-3600} || budget=${SF_GPU_BUDGET:-540}
t_begin=$(date +%s)
out=${OUT:-.gpu-out}
mkdir -p "$out" || exit 1
run=.gpu-run
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=$out/gpu-summary-$stage.txt
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

# ------------------------------------------------------------------ unpack
archive=.gpu/scalefit-gpu.tar.xz
if [ ! -f "$archive" ]; then
  say "gpu_validate: no bundle ($archive): run 'bash bench/gpu_bundle.sh' on the development machine and carry .gpu"
  exit 2
fi
sum=$(sha256sum "$archive" | cut -c1-64)
if [ "$(cat "$run/.stamp" 2>/dev/null)" != "$sum" ]; then
  rm -rf "$run" && mkdir -p "$run" || exit 2
  if command -v xz >/dev/null; then
    xz -dc "$archive" | tar -xf - -C "$run"
  else # python's lzma, where the xz program is missing
    python3 - "$archive" "$run" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "r:xz") as t:
    try:
        t.extractall(sys.argv[2], filter="tar")
    except TypeError:
        t.extractall(sys.argv[2])
PY
  fi
  [ $? = 0 ] && [ -x "$run/scalefit" ] || { say "gpu_validate: cannot unpack $archive into $run"; exit 2; }
  echo "$sum" >"$run/.stamp"
fi

# ------------------------------------------------------------------ the machine
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || echo python3)
# cuBLAS: the loader's own path first, then the toolkit's folders, then the Python wheels (nvidia-cublas)
soname=$(sed -n 's/^cublas: \(libcublas\.so\.[0-9]*\).*/\1/p' "$run/BUILDINFO")
soname=${soname:-libcublas.so.13}
cublas=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) | awk -v s="$soname" '$1 == s {print $NF; exit}')
cublas_dir=
if [ -z "$cublas" ]; then
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 /usr/lib/x86_64-linux-gnu; do
    [ -e "$d/$soname" ] && { cublas=$d/$soname; break; }
  done
fi
if [ -z "$cublas" ]; then # nvidia/cublas/lib or nvidia/cu13/lib under the site-packages of either python
  roots=$(for p in python3 "$py"; do
    "$p" -c 'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null
  done | sort -u)
  # shellcheck disable=SC2086 # one folder a line
  cublas=$(timeout 20 find $roots -maxdepth 4 -name "$soname" 2>/dev/null | head -1)
fi
if [ -z "$cublas" ]; then
  cublas=$(timeout 30 find /opt /usr/local /usr/lib -maxdepth 10 -name "$soname" 2>/dev/null | head -1)
fi
if [ -n "$cublas" ]; then
  cublas_dir=$(dirname "$cublas")
  export SF_GPU_LDPATH=$cublas_dir
fi
need_glibc=$(sed -n 's/^needs glibc: \([0-9.]*\).*/\1/p' "$run/BUILDINFO")
have_glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
glibc_ok=yes
[ "$(printf '%s\n%s\n' "$need_glibc" "$have_glibc" | sort -V | head -1)" = "$need_glibc" ] || glibc_ok=no
driver_cuda=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -1)
built_cuda=$(sed -n 's/^cuda runtime: static, needs a driver for CUDA \([0-9.]*\).*/\1/p' "$run/BUILDINFO")
{
  echo "== machine ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), stage $stage, budget ${budget}s)"
  echo "host: $(uname -srm), $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  if command -v nvidia-smi >/dev/null; then
    echo "gpus: $(nvidia-smi -L 2>&1 | tr '\n' ' ')"
    echo "gpu:  $(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv,noheader 2>&1 | head -1)"
  else
    echo "gpus: none (no nvidia-smi: no NVIDIA driver here)"
  fi
  echo "driver supports CUDA: ${driver_cuda:-unknown}; the bundle's runtime: CUDA ${built_cuda:-?}$(
    [ -n "$driver_cuda" ] && [ -n "$built_cuda" ] && [ "$(printf '%s\n%s\n' "$built_cuda" "$driver_cuda" | sort -V | head -1)" != "$built_cuda" ] &&
      echo ' -- TOO OLD: every GPU step will fail at cudaGetDeviceCount')"
  echo "glibc: ${have_glibc:-unknown} (the bundle needs $need_glibc: $glibc_ok)"
  march=$(sed -n 's/^cpu: -march=//p' "$run/BUILDINFO")
  if [ "$march" = x86-64-v3 ]; then # the features -march=x86-64-v3 lets gcc use, beyond SSE2
    missing=$(for f in avx avx2 bmi1 bmi2 f16c fma abm movbe xsave; do grep -qw "$f" /proc/cpuinfo || printf ' %s' "$f"; done)
    echo "cpu: the bundle is built for x86-64-v3: ${missing:+MISSING$missing (its programs will die of SIGILL)}${missing:-ok}"
  fi
  echo "cuBLAS: ${cublas:-NOT FOUND ($soname: the GPU runs will fail to open it)}"
  echo "python: $py ($("$py" --version 2>&1))"
  echo "libraries: $(SF_BUNDLE_LDD=1 "$run/scalefit" | awk '/ not found/ {miss = miss " " $1; next}
    /=>/ {n++; if (index($3, "/.gpu-run/lib/")) b++; else s[$3]=1} END {printf "%d, %d from the bundle", n, b; for (k in s) o = o " " k; if (o != "") printf "; from the system:%s", o;
    if (miss != "") printf "; NOT FOUND:%s", miss}')"
  sed 's/^/bundle: /' "$run/BUILDINFO"
} | tee -a "$summary"

# ------------------------------------------------------------------ steps
names=() results=() notes=() times=()
# line-buffered output (C stdio to a pipe is block-buffered): a step killed at its limit keeps what it printed
linebuf=
command -v stdbuf >/dev/null && linebuf="stdbuf -oL -eL"
# step NAME LIMIT CLASSIFIER CMD...: runs CMD under timeout (LIMIT, capped by the stage's budget), its
# output on stdout and in $work/NAME.log, then CLASSIFIER RC LOG sets $result and $note
step() {
  local name=$1 lim=$2 classify=$3
  shift 3
  local left=$((budget - ($(date +%s) - t_begin) - 15))
  [ "$lim" -le "$left" ] || lim=$left
  echo
  echo "===== $name: $* (limit ${lim}s)"
  local log=$work/$name.log t0 t1 rc
  if [ "$lim" -lt 10 ]; then
    echo "no time left in the stage's budget" >"$log"
    rc=125
  else
    t0=$(date +%s.%N)
    timeout -k 10 "$lim" $linebuf "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    t1=$(date +%s.%N)
  fi
  result=FAIL note=
  if [ "$rc" = 125 ]; then
    result=SKIP note="no time left in the stage's budget"
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    note="timed out after ${lim}s"
  else
    "$classify" "$rc" "$log"
  fi
  names+=("$name") results+=("$result") notes+=("$note")
  times+=("$(awk -v a="${t0:-0}" -v b="${t1:-0}" 'BEGIN {printf "%.1f", b - a}')")
  {
    echo "===== $name: $* (exit $rc, $result${note:+: $note}, ${times[-1]} s)"
    if [ "$(stat -c %s "$log")" -gt 1048576 ]; then
      head -c 524288 "$log"
      echo
      echo "[... $(($(stat -c %s "$log") - 1048576)) bytes left out ...]"
      tail -c 524288 "$log"
    else
      cat "$log"
    fi
    echo
  } >>"$out/gpu-$cur.log"
  echo "----- $name: $result${note:+ ($note)}"
}
# cmocka: skipped tests make a SKIP (a GPU machine should skip none), a filter that matches nothing a FAIL
cls_cmocka() {
  local n
  n=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$2" | tail -1)
  if grep -q '^\[==========\] 0 test(s) run' "$2"; then
    note="no test matched"
  elif [ "$1" != 0 ]; then
    local failed
    failed=$(sed -n 's/^\[  FAILED  \] \(test_[a-z0-9_]*\).*/\1/p' "$2" | sort -u | tr '\n' ' ')
    note="exit $1: ${failed:-no test reported failing (a crash?)}"
  elif [ -n "$n" ]; then
    result=SKIP note="$(sed -n 's/^\[  PASSED  \] \([0-9]*\) .*/\1 passed, /p' "$2" | tail -1)$n skipped: $(grep -m1 '^skip: ' "$2" | cut -c7-100)"
  else
    result=PASS note="$(sed -n 's/^\[  PASSED  \] \(.*\)/\1 passed/p' "$2" | tail -1)"
  fi
}
# compute-sanitizer over a cmocka program: cmocka's verdict, then the tool's ERROR SUMMARY (no summary,
# or errors: FAIL, with the first report)
cls_sanitizer() {
  cls_cmocka "$@"
  local errs
  errs=$(sed -n 's/^========= ERROR SUMMARY: \([0-9]*\) error.*/\1/p' "$2" | tail -1)
  if [ -z "$errs" ]; then
    result=FAIL note="no ERROR SUMMARY from compute-sanitizer${note:+; $note}"
  elif [ "$errs" != 0 ]; then
    result=FAIL note="$errs errors: $(grep '^========= [^ ]' "$2" | grep -v 'COMPUTE-SANITIZER' | head -1 | cut -c11-160)"
  fi
}
cls_e2e() { # exit 77: skipped
  case $1 in
    0) result=PASS note="$(tail -1 "$2" | cut -c1-100)" ;;
    77) result=SKIP note="$(grep -m1 '^skip: ' "$2" | cut -c7-120)" ;;
    *) note="exit $1: $(grep -m1 'FAIL' "$2" | cut -c1-160)" ;;
  esac
}
cls_bench() { # the benches exit 0; a line with 'skipped:' means no GPU, 'failed:' a measurement failed
  if [ "$1" != 0 ]; then
    note="exit $1: $(tail -1 "$2" | cut -c1-160)"
  elif grep -q 'skipped: ' "$2"; then
    result=SKIP note="$(grep -m1 'skipped: ' "$2" | sed 's/.*skipped: //' | cut -c1-120)"
  elif grep -q ' failed: ' "$2"; then
    note="$(grep -c ' failed: ' "$2") measurements failed: $(grep -m1 ' failed: ' "$2" | cut -c1-120)"
  else
    result=PASS
  fi
}
cls_sweep() { # a GPU that cannot be used is a SKIP here (the checks stage tells why); --jobs refused too
  if [ "$1" = 0 ]; then
    result=PASS
  elif grep -q 'no CUDA device\|built without CUDA' "$2"; then
    result=SKIP note="no GPU: $(grep -m1 -o 'no CUDA device.*\|built without CUDA.*' "$2" | cut -c1-100)"
  elif grep -q -- '--jobs' "$2"; then
    result=SKIP note="refused: $(grep -m1 -- '--jobs' "$2" | sed 's/^scalefit: error: //' | cut -c1-150)"
  else
    note="exit $1: $(grep -m1 'error' "$2" | cut -c1-160)"
  fi
}

# one column of a scalefit run file, by header name, as "run value" lines (counted from the end of each
# CSV row: the quoted text columns before the numbers may hold commas)
column() {
  "$run/scalefit" export "$1" 2>/dev/null | awk -F, -v want="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) { h = $i; sub(/ \[.*/, "", h); if (h == want) k = NF - i }; next }
    k != "" { print $1, $(NF - k) }'
}

for cur in "${stages[@]}"; do
  : >"$out/gpu-$cur.log"
  case $cur in
  checks)
    # each step narrows down what to look at when the next one fails (docs/TRAIN.md, Validation status)
    SF_TEST_FILTER='test_kernels*' step kernels 90 cls_cmocka "$run/test_train_cuda"
    SF_TEST_FILTER='test_model*' step model 90 cls_cmocka "$run/test_train_cuda"
    step tests 240 cls_cmocka "$run/test_train_cuda"
    SCALEFIT=$run/scalefit SF_SRC=. PYTHON=$py step e2e 150 cls_e2e bash tests/e2e/train_cuda.sh
    ;;
  bench)
    step bench_cuda 240 cls_bench "$run/bench_train_cuda" 3
    step bench_cpu 150 cls_bench "$run/bench_train" 0 2
    # the one shape both benches time: 4 layers, d_model 128, context 128 (the GPU's steps include AdamW)
    cpu=$(awk '$1 == 4 && $2 == 128 && $4 == 128 {print $7}' "$work/bench_cpu.log" 2>/dev/null)
    for p in fp32 bf16; do
      # the first line of the precision: in bf16, the default attention (flash), not the cuBLAS peer after it
      gpu=$(awk -v p=$p '$1 == "sweep" && $2 == "4x128" && $5 == p {print $8; exit}' "$work/bench_cuda.log" 2>/dev/null)
      [ -n "$cpu" ] && [ -n "$gpu" ] && say "$(awk -v g="$gpu" -v c="$cpu" -v p=$p 'BEGIN {
        printf "4x128 T128: GPU %s %.0f tokens/s, CPU (all cores, this host) %.0f tokens/s: GPU %.1fx\n", p, g, c, g / c }')"
    done
    ;;
  sweep)
    # the default preset on the same text as the shipped CPU sweep (datasets/sweep_default.h5: -j 2 on the
    # 2-core development machine, 15 min 16 s wall, README), one run at a time, then 4 and 8 runs at a time
    # (worker threads, each on its own stream)
    corpus=$run/corpus/_sources
    rm -f "$work"/sweep*.h5
    t0=$(date +%s.%N)
    step sweep 360 cls_sweep "$run/scalefit" sweep --preset default --device cuda --corpus-dir "$corpus" -o "$work/sweep.h5"
    wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    if [ "${results[-1]}" = PASS ] && [ -f "$work/sweep.h5" ]; then
      cp "$work/sweep.h5" "$out/sweep-default-cuda.h5"
      {
        echo
        echo "default sweep, GPU (bf16, one run at a time) against the shipped CPU runs (fp32, -j 2 on 2 cores):"
        join <(column datasets/sweep_default.h5 seconds | sort) <(column "$work/sweep.h5" seconds | sort) |
          join - <(column datasets/sweep_default.h5 loss | sort) | join - <(column "$work/sweep.h5" loss | sort) |
          awk -v wall="$wall" '
          BEGIN { printf "%-38s %9s %9s %8s %8s %8s %9s\n", "run", "CPU s", "GPU s", "speed-up", "CPU loss", "GPU loss", "rel diff" }
          { printf "%-38s %9.1f %9.2f %7.1fx %8.4f %8.4f %+9.2e\n", $1, $2, $3, $2 / $3, $4, $5, ($5 - $4) / $4; c += $2; g += $3; n++ }
          END { printf "%d runs: training %.0f s on the CPU, %.1f s on the GPU: %.1fx; wall 916 s (CPU, -j 2) vs %.1f s (GPU): %.1fx\n",
                       n, c, g, c / g, wall, 916 / wall }'
      } | tee -a "$summary" "$out/gpu-$cur.log"
    fi
    t0=$(date +%s.%N)
    step sweep_j4 150 cls_sweep "$run/scalefit" sweep --preset default --device cuda -j 4 --corpus-dir "$corpus" -o "$work/sweep_j4.h5"
    wall4=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    if [ "${results[-1]}" = PASS ] && [ -f "$work/sweep_j4.h5" ]; then
      cp "$work/sweep_j4.h5" "$out/sweep-default-cuda-j4.h5"
      say "$(awk -v a="$wall" -v b="$wall4" 'BEGIN {printf "default sweep on the GPU: -j 4 %.1f s wall against one at a time %.1f s: %.2fx; against the CPU sweep (916 s): %.1fx\n", b, a, a / b, 916 / b}')"
      join <(column "$work/sweep.h5" loss | sort) <(column "$work/sweep_j4.h5" loss | sort) |
        awk '$2 != $3 {d++} END {printf "losses, -j 4 against one at a time: %d of %d runs differ\n", d, NR}' | tee -a "$summary"
    fi
    # -j 8: more streams at once (the workers are threads of one process, each on its own stream: no MPS)
    t0=$(date +%s.%N)
    step sweep_j8 120 cls_sweep "$run/scalefit" sweep --preset default --device cuda -j 8 --corpus-dir "$corpus" -o "$work/sweep_j8.h5"
    wall8=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    if [ "${results[-1]}" = PASS ] && [ -f "$work/sweep_j8.h5" ]; then
      say "$(awk -v a="$wall" -v b="$wall8" 'BEGIN {printf "default sweep on the GPU: -j 8 %.1f s wall against one at a time %.1f s: %.2fx; against the CPU sweep (916 s): %.1fx\n", b, a, a / b, 916 / b}')"
      join <(column "$work/sweep.h5" loss | sort) <(column "$work/sweep_j8.h5" loss | sort) |
        awk '$2 != $3 {d++} END {printf "losses, -j 8 against one at a time: %d of %d runs differ\n", d, NR}' | tee -a "$summary"
    fi
    ;;
  sanitize)
    # What the emulator cannot show (tests/cudaemu/README.md, "What it does not model"): threads of a
    # block racing on shared memory where its fiber order hides it, a barrier or warp-synchronous
    # operation not every thread reaches, and device accesses out of bounds or misaligned (a 16-byte
    # vector load on a row whose offset is not a multiple of 8 bf16 runs on the host, faults here).
    # racecheck and synccheck over every kernel test (the flash kernels, WMMA and mma.sync; the
    # LayerNorm, GELU and cross-entropy passes with their in-pass sums), memcheck over them and over
    # test_train_step (whole steps, eager and as a replayed CUDA graph). The tool comes from the
    # machine's CUDA toolkit (it is not bundled); without one the stage says so and checks nothing.
    san=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda-*/bin/compute-sanitizer 2>/dev/null | head -1 || true)
    if [ -z "$san" ]; then
      say "sanitize: compute-sanitizer not found (PATH, /usr/local/cuda*/bin); nothing checked"
    else
      for tool in racecheck synccheck memcheck; do
        SF_TEST_FILTER='test_kernels*' step "$tool" 150 cls_sanitizer "$san" --tool "$tool" --target-processes all \
          --error-exitcode 1 "$run/test_train_cuda"
      done
      SF_TEST_FILTER=test_train_step step memcheck_step 120 cls_sanitizer "$san" --tool memcheck --target-processes all \
        --error-exitcode 1 "$run/test_train_cuda"
    fi
    ;;
  profile)
    # Each kernel's GPU time (kernels serialised by the profiler) over the 5 steps bench_train_cuda takes
    # with 0 seconds (2 warm-up, 3 timed, the same work), per step, largest first: where a step's time goes.
    # The filter is a label of bench_train_cuda's: attention flash (WMMA), mma-pf, mma-np or mma-bw.
    # Then a second pass over the last step's kernels alone (the run is deterministic, so the same
    # launches), with what each kernel moves through DRAM and its speed of light: the share of the
    # memory system's and of the SMs' peak it sustained, so that a slow kernel reads as bound by memory,
    # by compute, or by neither (latency, occupancy). A failure there leaves the first table standing.
    ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || true)
    if [ -z "$ncu" ]; then
      say "profile: Nsight Compute (ncu) not found; no profile"
    else
      filter=${SF_PROFILE_FILTER:-124M T1024 bf16 flash}
      step ncu 300 cls_bench "$ncu" --metrics gpu__time_duration.sum --csv --print-units base --target-processes all \
        "$run/bench_train_cuda" 0 0 "$filter"
      if [ "${results[-1]}" = PASS ]; then
        "$py" bench/ncu_table.py time "$work/ncu.log" 5 "$work/ncu-count" | tee -a "$summary"
        read -r total per_step <"$work/ncu-count" 2>/dev/null || total=0
        if [ "${total:-0}" -gt 0 ] && [ "${per_step:-0}" -gt 0 ]; then
          sol=gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum
          sol=$sol,gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed,sm__throughput.avg.pct_of_peak_sustained_elapsed
          step ncu-sol 200 cls_bench "$ncu" --metrics "$sol" \
            --launch-skip $((total - per_step)) --launch-count "$per_step" --csv --print-units base --target-processes all \
            "$run/bench_train_cuda" 0 0 "$filter"
          [ "${results[-1]}" = PASS ] && "$py" bench/ncu_table.py sol "$work/ncu-sol.log" | tee -a "$summary"
        fi
      fi
    fi
    ;;
  esac
done

# ------------------------------------------------------------------ summary
failed=0
{
  echo
  echo "== summary ($stage, $(($(date +%s) - t_begin)) s)"
  printf '%-11s %-5s %8s  %s\n' step result seconds note
  for i in "${!names[@]}"; do
    printf '%-11s %-5s %8s  %s\n' "${names[$i]}" "${results[$i]}" "${times[$i]}" "${notes[$i]}"
    [ "${results[$i]}" != FAIL ] || failed=1
  done
  echo "logs: $out ($(ls "$out" | tr '\n' ' '))"
} | tee -a "$summary"
for i in "${!names[@]}"; do [ "${results[$i]}" != FAIL ] || failed=1; done
# where nvidia-smi lists a GPU, a step that found no CUDA device is a failure to use it, not a skip
if nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  unused=0
  for i in "${!names[@]}"; do
    case ${notes[$i]} in *"no CUDA device"* | *"no GPU"*) unused=1 failed=1 ;; esac
  done
  [ $unused = 0 ] || say "a GPU is listed above: steps that skipped for want of one count as failed (see the driver and cuBLAS lines)"
fi
exit $failed
