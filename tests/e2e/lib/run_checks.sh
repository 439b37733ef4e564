# run_checks.sh: checks shared by the sweep end-to-end tests (tests/e2e/sweep_*.sh), sourced after
# the test has set $tmp (its scratch folder) and defined fail() (report and exit non-zero).
# This folder is outside the tests/e2e/*.sh glob, so it is not a test itself.

# "run loss" lines of a run file's table 'runs', sorted by run name, losses to the last bit (repr);
# fails if the file does not read.
losses() {
  /usr/bin/python3 - "$1" <<'PY'
import h5py, sys
c = h5py.File(sys.argv[1], "r")["tables/runs/columns"]
for n, l in sorted(zip((x.decode() for x in c["run"][:]), c["loss"][:])):
    print(n, repr(float(l)))
PY
}

# How many runs a run file holds (0 if it does not read).
count() { losses "$1" 2>/dev/null | wc -l; }

# expect CODE PATTERN COMMAND...: the command exits with CODE and its output contains PATTERN.
expect() {
  local code=$1 pat=$2
  shift 2
  "$@" >"$tmp/out" 2>&1
  local rc=$?
  [ $rc = "$code" ] || fail "'$*' exited $rc, want $code: $(cat "$tmp/out")"
  grep -q -- "$pat" "$tmp/out" || fail "'$*': message '$(cat "$tmp/out")' lacks '$pat'"
}

# The pids given whose processes are still alive (zombies waiting for a reaper are dead).
alive() { for p in "$@"; do s=$(ps -o stat= -p "$p" 2>/dev/null) && [ "${s#Z}" = "$s" ] && echo "$p"; done; }
