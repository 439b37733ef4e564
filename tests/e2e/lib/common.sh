# common.sh: the preamble every end-to-end test shares, sourced at its start (directly, or through
# expect.sh, plot_checks.sh or run_checks.sh, which build on it). Outside the tests/e2e/*.sh glob:
# not a test itself. Safe under set -eu.
#  $tmp      a scratch folder, removed on exit; on_exit (a no-op here) runs first, for a test
#            that has more to clean up (a process to kill) to define
#  $py, $PY  Debian's python3, the one with scipy, h5py and pandas (both spellings, as the tests
#            use them); any_python falls back to the python3 on PATH where it is missing
#  $fails    the failures so far; fail MESSAGE prints "FAIL: MESSAGE", counts it and goes on, so
#            that one run reports every check that fails (the test ends with exit $fails);
#            fail_fast makes fail end the test at once (exit 1), its message on stderr with
#            `fail_fast stderr` (for a fail called inside $(...))
#  skip MESSAGE          prints "skip: MESSAGE" and exits 77 (ctest's SKIP_RETURN_CODE)
#  need_py [MODULES [LINE]]  exits 77 unless $py runs (and imports MODULES, "scipy, numpy"),
#                        printing LINE first when given
#  need_cmd CMD PACKAGE [CMD PACKAGE...]  exits 77 unless each CMD is installed, saying which
#                        Debian package has the first one missing
tmp=$(mktemp -d)
on_exit() { :; }
trap 'on_exit; rm -rf "$tmp"' EXIT
py=/usr/bin/python3
PY=$py
any_python() { [ -x "$py" ] || py=python3; PY=$py; }
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
fail_fast() {
  if [ "${1:-}" = stderr ]; then
    fail() { echo "FAIL: $*" >&2; exit 1; }
  else
    fail() { echo "FAIL: $*"; exit 1; }
  fi
}
skip() { echo "skip: $*"; exit 77; }
need_py() {
  if [ -n "${1:-}" ]; then
    "$py" -c "import $1" 2>/dev/null && return
  else
    [ -x "$py" ] && return
  fi
  [ -z "${2:-}" ] || echo "$2"
  exit 77
}
need_cmd() {
  while [ $# -ge 2 ]; do
    command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package $2)"
    shift 2
  done
}
