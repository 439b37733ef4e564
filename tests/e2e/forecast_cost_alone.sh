#!/usr/bin/env bash
# forecast_cost_alone.sh: the cost options' values are checked with or without a peak. Without
# --gpu or --peak-tflops, `--mfu 0` or `--gpus 0` only warned that no cost was computed and exited
# 0, while the same values with --gpu were refused (exit 1): each bad value is now refused alone
# too, with the message --gpu gets, in every forecast command that takes them; a good value alone
# still warns that it does nothing without a peak.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh"
out=$tmp
FIT="$SF_SRC/tests/inputs/fit_epoch_cov.json"

run() { # EXIT-CODE NEEDLE ARGS...: the exit code, the needle on stderr, nothing on stdout if refused
  local code=$1 needle=$2; shift 2
  "$SCALEFIT" "$@" > "$out/stdout" 2> "$out/err"; local rc=$?
  [ $rc -eq "$code" ] || fail "scalefit $* exited $rc, want $code ($(cat "$out/err"))"
  grep -qF -- "$needle" "$out/err" || fail "scalefit $*: stderr lacks '$needle': $(cat "$out/err")"
  [ "$code" -eq 0 ] || [ ! -s "$out/stdout" ] || fail "scalefit $*: printed on stdout before refusing"
}

for cmdline in "optimal $FIT --compute 1e24" "target $FIT --value 2" "predict $FIT --at N=1e9,D=2e10" \
               "next $FIT --compute 1e24 --max-compute 1e20 --run-sd 0.02"; do
  # shellcheck disable=SC2086
  set -- $cmdline
  while IFS='|' read -r opt msg; do
    # the message with --gpu is the reference: the same words without it
    # shellcheck disable=SC2086
    run 1 "$msg" "$@" --gpu h100 $opt
    # shellcheck disable=SC2086
    run 1 "$msg" "$@" $opt
  done <<'CASES'
--mfu 0|--mfu must be in (0, 1], got 0
--mfu 1.5|--mfu must be in (0, 1], got 1.5
--mfu -0.4|--mfu must be in (0, 1], got -0.4
--gpus 0|--gpus must be a whole number of accelerators, at least 1, got 0
--gpus 2.5|--gpus must be a whole number of accelerators, at least 1, got 2.5
--price-per-hour -2|--price-per-hour must be >= 0, got -2
--precision fp99|unknown precision 'fp99' (expected bf16, fp16, tf32 or fp32)
CASES
  # good values without a peak: no cost, and a warning that says why
  run 0 "need --gpu or --peak-tflops; no cost computed" "$@" --mfu 0.5 --gpus 8 --price-per-hour 2 --precision fp16
done
[ "$fails" -eq 0 ]
