#!/usr/bin/env bash
# The whole test suite, as README's Quick start and CI run it:
#   1. install the dependencies (Debian packages),
#   2. Release build + every test (unit, end-to-end),
#   3. AddressSanitizer + UndefinedBehaviorSanitizer build + every test,
#   4. valgrind leak check of the CLI paths (a build for any x86-64: valgrind lacks AVX-512),
#   5. every fuzz target for a bounded time (SF_FUZZ_SECONDS, default 60) on its corpus in tests/fuzz/,
#      SF_JOBS targets (default 2) at a time.
# Ends with one line "N passed, N failed" over the stages; exits non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${SF_JOBS:-2}
# shellcheck source=tests/parallel.sh
. tests/parallel.sh
fuzz_seconds=${SF_FUZZ_SECONDS:-60}

bash .ci/install-deps.sh || { echo "tests: cannot install dependencies"; exit 1; }

passed=0
failed=0
failures=()
stage() { # stage NAME COMMAND...
  local name=$1
  shift
  echo
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== $name: FAILED ($((SECONDS - t0)) s)"
  fi
}

build() { # build DIR CMAKE-ARGS...
  local dir=$1
  shift
  mkdir -p "$dir"
  cmake -S . -B "$dir" "$@" >"$dir/cmake.log" 2>&1 || { cat "$dir/cmake.log"; return 1; }
  cmake --build "$dir" -j "$jobs" >"$dir/build.log" 2>&1 || { tail -40 "$dir/build.log"; return 1; }
  if grep -E 'warning:' "$dir/build.log"; then
    echo "compiler warnings fail the build (see $dir/build.log)"
    return 1
  fi
}

# Runs ctest in a build folder and adds its counts to the totals of the closing line.
tests_passed=0
tests_failed=0
run_ctest() { # run_ctest DIR
  local log="$1/ctest.log" rc
  ctest --test-dir "$1" --output-on-failure -j "$jobs" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  local line total nfail
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -n "$line" ]; then
    nfail=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
    tests_passed=$((tests_passed + total - nfail))
    tests_failed=$((tests_failed + nfail))
  fi
  return "$rc"
}

release() {
  build build -DCMAKE_BUILD_TYPE=Release && run_ctest build
}

sanitizers() {
  build build-asan -DCMAKE_BUILD_TYPE=Debug -DSCALEFIT_SANITIZE=ON -DSCALEFIT_NATIVE=OFF &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      SF_SANITIZED=1 run_ctest build-asan
}

leaks() {
  command -v valgrind >/dev/null || { echo "valgrind not installed"; return 1; }
  # valgrind cannot run AVX-512 instructions, which -march=native emits on hosts that have them (SIGILL
  # in cmd_plot): the leak check runs a build for any x86-64, of the CLI alone (its paths are the
  # same code; no tests, no CUDA, which the checked paths do not reach)
  build build-vg -DCMAKE_BUILD_TYPE=Release -DSCALEFIT_NATIVE=OFF -DSCALEFIT_TESTS=OFF -DSCALEFIT_CUDA=OFF || return 1
  SCALEFIT="$root/build-vg/scalefit" SF_SRC="$root" SF_SHARED="$root/../shared/datasets" \
    bash tests/valgrind.sh
}

# Fuzzes one target for $fuzz_seconds on a scratch copy of its corpus (new inputs go there); a crash
# is written under build-fuzz/ and fails it. Its libFuzzer output is build-fuzz/NAME.log.
fuzz_one() { # fuzz_one TARGET
  local t=$1 name corpus work rc=0
  name=$(basename "$t")
  corpus="tests/fuzz/corpus_${name#fuzz_}"
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  if ! ASAN_OPTIONS=detect_leaks=1 "$t" -max_total_time="$fuzz_seconds" -artifact_prefix=build-fuzz/"$name"- \
    -print_final_stats=0 "$work" >"build-fuzz/$name.log" 2>&1; then
    echo "$name failed:"
    tail -40 "build-fuzz/$name.log"
    rc=1
  fi
  rm -rf "$work"
  return $rc
}

fuzz() {
  command -v clang >/dev/null || { echo "clang not installed"; return 1; }
  CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCALEFIT_FUZZ=ON -DSCALEFIT_NATIVE=OFF -DSCALEFIT_TESTS=ON || return 1
  # $jobs targets at a time: a target is one single-threaded process, so each still fuzzes on a core
  # of its own for its full $fuzz_seconds, and the stage takes targets/jobs rounds of it, not targets.
  local t name
  for t in build-fuzz/tests/fuzz_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    echo "fuzzing $name for $fuzz_seconds s (corpus tests/fuzz/corpus_${name#fuzz_})"
    par_start "$jobs" "build-fuzz/$name.out" fuzz_one "$t"
  done
  par_finish
}

stage "release build and tests" release
stage "sanitizer build and tests" sanitizers
stage "valgrind leak check of the CLI" leaks
stage "fuzzing" fuzz

echo
[ ${#failures[@]} -gt 0 ] && echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
echo "tests: $((tests_passed + passed)) passed, $((tests_failed + failed)) failed"
[ "$failed" -eq 0 ]
