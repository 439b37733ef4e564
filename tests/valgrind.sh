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
# shellcheck source=tests/parallel.sh
. "$SF_SRC/tests/parallel.sh"
# One script, in the background (par_start): its own $tmp and $status, its verdict its exit code.
run_script() { # run_script SCRIPT NAME
  tmp=$top/$2
  status=0
  local t0=$SECONDS
  mkdir "$tmp"
  # shellcheck source=/dev/null
  . "$1"
  echo "valgrind.d/$2.sh: $([ $status -eq 0 ] && echo ok || echo FAILED) ($((SECONDS - t0)) s)"
  return $status
}
for script in "${scripts[@]}"; do
  [ -f "$script" ] || continue
  name=$(basename "$script" .sh)
  par_start "$jobs" "$top/$name.log" run_script "$script" "$name"
done
par_finish || status=1
[ $status -eq 0 ] && echo "valgrind: no leaks or memory errors"
exit $status
