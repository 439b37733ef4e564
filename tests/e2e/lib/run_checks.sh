# run_checks.sh: checks shared by the sweep end-to-end tests (tests/e2e/sweep_*.sh), sourced at their
# start, on common.sh's preamble ($tmp; fail(), made to end the test at once, on stderr).
# This folder is outside the tests/e2e/*.sh glob, so it is not a test itself.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fail_fast stderr

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

# one_peak FILE LOG THREADS [RUNS]: the sgemm peak of the runs on THREADS threads was measured once:
# LOG has exactly one line of it, and every run of FILE (or those whose names match the Python
# regular expression RUNS) recorded that peak. A record does not hold the peak, but its MFU is
# C / train_seconds / peak and tokens_per_s is D / train_seconds, so peak = C * tokens_per_s /
# (D * mfu): runs that measured their own peak differ by the measurement's noise (percents), runs of
# one peak agree to rounding. Prints the peak (GFLOP/s).
one_peak() {
  local n
  n=$(grep -c "^sweep: sgemm peak on $3 threads: " "$2")
  [ "$n" = 1 ] || fail "the peak on $3 threads was measured $n times, not once: $(cat "$2")"
  /usr/bin/python3 - "$1" "$(sed -n "s/^sweep: sgemm peak on $3 threads: \([0-9.]*\) GFLOP\/s.*/\1/p" "$2")" "${4:-}" <<'PY' ||
import h5py, re, sys
c = h5py.File(sys.argv[1], "r")["tables/runs/columns"]
pk = [C * t / (D * m) / 1e9 for r, C, t, D, m in zip(c["run"][:], c["C"][:], c["tokens_per_s"][:], c["D"][:], c["mfu"][:])
      if re.search(sys.argv[3], r.decode())]
said = float(sys.argv[2])
if not pk or max(pk) - min(pk) > 1e-9 * max(pk) or abs(pk[0] - said) > 0.051:
    sys.exit("runs recorded peaks %s GFLOP/s, the sweep said %g" % (pk, said))
print("%.1f" % pk[0])
PY
    fail "the runs of '$1' do not share the one peak measured"
}
