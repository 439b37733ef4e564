# expect.sh: common.sh's preamble ($tmp, $py, $fails, fail(), skip, need_py...) and the check the
# CLI end-to-end tests share, sourced at their start. Outside the tests/e2e/*.sh glob: not a test itself.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

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
