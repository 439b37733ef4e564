# expect.sh: the scratch folder and checks the fit end-to-end tests share (fit_cli, fit_sigma,
# fit_compare, fit_by), sourced at their start. Outside the tests/e2e/*.sh glob: not a test itself.
# Sets $tmp (removed on exit) and $fails (the script exits with it); fail() counts a failure and
# goes on, so one run reports every check that fails.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect CODE FRAGMENT CMD...: the command exits with CODE and its stderr holds FRAGMENT
# (stdout in $tmp/out, stderr in $tmp/err).
expect() {
  local code=$1 frag=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [ "$rc" = "$code" ] || fail "$* exited $rc, want $code ($(cat "$tmp/err"))"
  grep -qF -- "$frag" "$tmp/err" || fail "$*: stderr lacks '$frag': $(cat "$tmp/err")"
}
