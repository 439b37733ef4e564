#!/usr/bin/env bash
# Runs the CLI's main paths under valgrind and fails on any leak or memory error.
# Expects $SCALEFIT (the binary) and $SF_SRC (source root); $SF_SHARED is optional.
# The scripts in valgrind.d/ run $SF_JOBS at a time (default 2), each in a folder of its own ($tmp):
# valgrind runs a program on one core, so two scripts at once take half the time on two cores.
set -uo pipefail
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
jobs=${SF_JOBS:-2}
tmp=$top/main
mkdir "$tmp"
status=0
vg() { # vg EXPECTED-EXIT ARGS...
  local want=$1
  shift
  valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=99 "$SCALEFIT" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "valgrind: 'scalefit $*' exited $rc (want $want)"
    cat "$tmp/err"
    status=1
  fi
}
vg 0 --help
vg 0 --version
vg 1 no-such-command
# The longest first (alone under valgrind here: plot_fitted ~90 s, its `plot turn` refitting 100
# resamples; train ~60 s; store ~55 s; the others 10-35 s), so that the last two end close together.
first=(plot_fitted train store)
scripts=()
for name in "${first[@]}"; do
  [ -f "$SF_SRC/tests/valgrind.d/$name.sh" ] && scripts+=("$SF_SRC/tests/valgrind.d/$name.sh")
done
for script in "$SF_SRC"/tests/valgrind.d/*.sh; do
  [[ " ${first[*]} " == *" $(basename "$script" .sh) "* ]] || scripts+=("$script")
done
pids=()
names=()
for script in "${scripts[@]}"; do
  [ -f "$script" ] || continue
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  name=$(basename "$script" .sh)
  mkdir "$top/$name"
  # A subshell: its own $tmp and $status, its messages in $top/NAME.log, its verdict its exit code.
  (
    tmp=$top/$name
    status=0
    t0=$SECONDS
    # shellcheck source=/dev/null
    . "$script"
    echo "valgrind.d/$name.sh: $([ $status -eq 0 ] && echo ok || echo FAILED) ($((SECONDS - t0)) s)"
    exit $status
  ) >"$top/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
  cat "$top/${names[$i]}.log"
done
[ $status -eq 0 ] && echo "valgrind: no leaks or memory errors"
exit $status
