#!/usr/bin/env bash
# sweep_jobs.sh: `scalefit sweep --jobs K` trains K runs at a time in forked workers into ONE run
# file: every run once, with exactly the serial sweep's validation loss (training is deterministic
# for a seed and thread count: threads 1 in both); threads per run default to cores/K (the dry run
# shows them); bad --jobs values are usage errors. Then it breaks the workers on purpose: a failing
# run, a worker killed with SIGKILL, the parent killed with SIGKILL; each time the file reads, holds
# only finished runs (the serial ones), no process lingers, and the same command run again completes
# the sweep. Ctrl-C (to the process group, or to the parent alone) stops every run after its step with
# its checkpoint, as the serial sweep does, and the resumed sweep ends with the serial losses.
set -u
S=${SCALEFIT:?}
. "$SF_SRC/tests/e2e/lib/run_checks.sh"
pid=
on_exit() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; }
only_serial() { # every run in file $1 is in the serial list $2, each once; prints how many
  losses "$1" >"$tmp/check" || fail "'$1' does not read"
  while read -r name loss; do
    grep -qx "$name $loss" "$2" || fail "run '$name $loss' in '$1' is not the serial one"
  done <"$tmp/check"
  [ "$(cut -d' ' -f1 "$tmp/check" | sort -u | wc -l)" = "$(wc -l <"$tmp/check")" ] || fail "a run is in '$1' twice"
  wc -l <"$tmp/check"
}

grid=(--data markov --sizes 1x16,1x32,2x32 --tokens 10240,30720 --context 32 --batch 512 --peak 100 --evals 2
      --val-tokens 1024 --threads 1)
"$S" sweep "${grid[@]}" -j 1 -q -o "$tmp/serial.h5" || fail "serial sweep"
losses "$tmp/serial.h5" >"$tmp/serial.txt"
[ "$(wc -l <"$tmp/serial.txt")" = 6 ] || fail "serial sweep: $(cat "$tmp/serial.txt")"

# Two workers: the same runs and losses; both workers trained (each gets a run at the start).
"$S" sweep "${grid[@]}" --jobs 2 -o "$tmp/j2.h5" 2>"$tmp/log" || fail "--jobs 2: $(cat "$tmp/log")"
losses "$tmp/j2.h5" >"$tmp/j2.txt" || fail "the run file of --jobs 2 does not read"
diff "$tmp/serial.txt" "$tmp/j2.txt" >&2 || fail "--jobs 2: runs or losses differ from the serial sweep"
grep -q "6 to train on 2 workers" "$tmp/log" || fail "--jobs 2 log: $(cat "$tmp/log")"
grep -q "^\[6/6\] .* (worker [12]): val_loss" "$tmp/log" || fail "no plain line per run: $(cat "$tmp/log")"
grep -q "(worker 1)" "$tmp/log" && grep -q "(worker 2)" "$tmp/log" || fail "a worker trained nothing: $(cat "$tmp/log")"
grep -q "holds all 6 runs" "$tmp/log" || fail "closing line: $(cat "$tmp/log")"
[ -e "$tmp/j2.h5.ckpt.d" ] && fail "--jobs 2 left checkpoints"
echo "--jobs 2: 6 runs, losses identical to the serial sweep"

# On a terminal the updating line follows both workers' steps: "(+1 more)" while two runs train, and
# the share of the sweep done never goes back (every worker's steps count, not only the shown one's).
if command -v script >/dev/null; then
  tty=(--data markov --sizes 1x32 --tokens 6e5,6.5e5 --context 32 --batch 512 --peak 100 --evals 2 --val-tokens 1024
       --threads 1 -j 2 -o "$tmp/tty.h5")
  script -qec "$(printf '%q ' "$S" sweep "${tty[@]}")" /dev/null >"$tmp/tty" 2>&1 || fail "-j 2 on a terminal: $(cat "$tmp/tty")"
  tr '\r' '\n' <"$tmp/tty" | grep '^sweep \[' >"$tmp/lines" || fail "no updating line on a terminal: $(cat "$tmp/tty")"
  grep -q '(+1 more)' "$tmp/lines" || fail "the updating line never showed the second worker: $(tail -3 "$tmp/lines")"
  sed -n 's/.*runs, all workers\] *\([0-9]*\)%.*/\1/p' "$tmp/lines" | awk '$1 < last { bad = 1 } { last = $1 } END { exit bad }' ||
    fail "the share of the sweep done went back: $(cat "$tmp/lines")"
  echo "--jobs 2 on a terminal: one line follows both workers"
fi

# -q says nothing; more jobs than runs start one worker per run; a finished sweep trains nothing.
"$S" sweep "${grid[@]}" -j 2 -q -o "$tmp/q.h5" >"$tmp/qout" 2>&1 || fail "-j 2 -q: $(cat "$tmp/qout")"
[ -s "$tmp/qout" ] && fail "-j 2 -q printed: $(cat "$tmp/qout")"
losses "$tmp/q.h5" | diff "$tmp/serial.txt" - >&2 || fail "-j 2 -q: runs or losses differ"
"$S" sweep --data markov --sizes 1x16 --tokens 10240,20480 --context 32 --batch 512 --peak 100 --evals 2 \
  --val-tokens 1024 -j 8 -o "$tmp/few.h5" 2>"$tmp/log" || fail "-j 8 on 2 runs: $(cat "$tmp/log")"
grep -q "2 to train on 2 workers" "$tmp/log" || fail "-j 8 on 2 runs: $(cat "$tmp/log")"
"$S" sweep "${grid[@]}" -j 2 -o "$tmp/j2.h5" 2>"$tmp/log" || fail "rerun of a finished sweep: $(cat "$tmp/log")"
grep -q "6 already in .* 0 to train" "$tmp/log" || fail "rerun of a finished sweep: $(cat "$tmp/log")"

# The dry run shows the threads each run would get: cores/K by default, an explicit --threads wins.
cores=$(nproc)
half=$((cores / 2 > 0 ? cores / 2 : 1))
big=(--data markov --sizes 2x128 --tokens 10240 --context 32 -o "$tmp/none.h5" -n)
"$S" sweep "${big[@]}" | grep -q "threads $cores\$" || fail "serial threads: $("$S" sweep "${big[@]}")"
"$S" sweep "${big[@]}" -j 2 | grep -q "threads $half\$" || fail "-j 2 threads: $("$S" sweep "${big[@]}" -j 2)"
"$S" sweep "${big[@]}" -j 2 --threads 3 | grep -q "threads 3\$" || fail "--threads under -j 2"
"$S" sweep "${grid[@]}" -j 2 -n -o "$tmp/none.h5" | grep -c "todo .* threads 1\$" | grep -qx 6 || fail "-j 2 -n"
[ -e "$tmp/none.h5" ] && fail "a dry run wrote the run file"

# Usage errors, before anything is written.
expect 1 "sweep: --jobs 0 is not a number of runs to train at a time (1..1024)" \
  "$S" sweep "${grid[@]}" --jobs 0 -o "$tmp/bad.h5"
expect 1 "sweep: option --jobs expects an integer, got 'abc'" "$S" sweep "${grid[@]}" --jobs abc -o "$tmp/bad.h5"
expect 1 "sweep: --jobs -2 is not a number" "$S" sweep "${grid[@]}" -j -2 -o "$tmp/bad.h5"
expect 1 "sweep: --jobs 100000 is not a number" "$S" sweep "${grid[@]}" -j 100000 -o "$tmp/bad.h5"
if [ "${SF_SANITIZED:-0}" != 1 ] && "$S" sweep --help | grep -q "^MPI: built in" && command -v mpirun >/dev/null; then
  expect 1 "sweep: --jobs and mpirun both spread the runs over processes; give one of them" \
    env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 60 mpirun --oversubscribe -np 2 \
    "$S" sweep "${grid[@]}" -j 2 -o "$tmp/bad.h5"
  grep -q "rank 1" "$tmp/out" && fail "under mpirun, rank 1 spoke too: $(cat "$tmp/out")"
fi
[ -e "$tmp/bad.h5" ] && fail "a usage error wrote the run file"

# Runs of 2 threads in a worker, with the sgemm peak measured (no --peak): OpenMP's thread pool does
# not survive fork, so a parent that measured in-process would hang its workers here.
one=(--data markov --sizes 1x32 --tokens 10240 --context 32 --batch 512 --evals 2 --val-tokens 1024 --threads 2)
timeout 120 "$S" sweep "${one[@]}" -j 2 -q -o "$tmp/th2.h5" || fail "-j 2 --threads 2 failed or hung"
timeout 120 "$S" sweep "${one[@]}" -q -o "$tmp/th2s.h5" || fail "serial --threads 2"
diff <(losses "$tmp/th2s.h5") <(losses "$tmp/th2.h5") >&2 || fail "-j 2 --threads 2 differs from the serial run"

# The peak of 65 threads is measured once, by the measuring child, for the workers' 4 runs (counts
# above 64 were measured again by the workers for every run, two at once on the shared cores).
pk=(--data markov --sizes 1x16,1x32 --tokens 1024,2048 --context 32 --batch 512 --evals 2 --val-tokens 1024 --threads 65)
"$S" sweep "${pk[@]}" -j 2 -o "$tmp/peak.h5" 2>"$tmp/log" || fail "-j 2 --threads 65: $(cat "$tmp/log")"
[ "$(count "$tmp/peak.h5")" = 4 ] || fail "-j 2 --threads 65 recorded $(count "$tmp/peak.h5") runs"
p=$(one_peak "$tmp/peak.h5" "$tmp/log" 65) || exit 1 # fail() in $(...) ends the subshell alone
echo "-j 2: one peak for the 4 runs of both workers: $p GFLOP/s"

# A run that fails (its checkpoint path is a folder that is no checkpoint): the worker's failure is
# reported with the run's name, the other worker finishes its run, the sweep exits with the code.
mkdir -p "$tmp/fail.h5.ckpt.d/markov-L1-d32-h1-T32-D10240-s1.ckpt/x"
"$S" sweep "${grid[@]}" -j 2 -o "$tmp/fail.h5" >"$tmp/faillog" 2>&1
rc=$?
[ $rc = 2 ] || fail "a failed run: exit $rc, want 2: $(cat "$tmp/faillog")"
grep -q "error: sweep: worker [12]: run 'markov-L1-d32-h1-T32-D10240-s1': .* is not a scalefit checkpoint" \
  "$tmp/faillog" || fail "failure message: $(cat "$tmp/faillog")"
n=$(only_serial "$tmp/fail.h5" "$tmp/serial.txt")
grep -q "markov-L1-d32-h1-T32-D10240-s1 " <(losses "$tmp/fail.h5") && fail "the failed run is in the file"
[ "$n" -ge 1 ] || fail "no run recorded beside the failed one"
echo "a failed run: exit 2, named, $n other runs recorded"

# Kill one worker (SIGKILL) mid-run, checkpoints every 10 ms, on a grid slow enough to catch it.
if [ "${SF_SANITIZED:-0}" = 1 ]; then
  slow=("${grid[@]}")
  cp "$tmp/serial.txt" "$tmp/slow_serial.txt"
else
  slow=(--data markov --sizes 1x16,1x32,2x48 --tokens 40960,122880 --context 32 --batch 512 --peak 100 --evals 2
        --val-tokens 1024 --threads 1)
  "$S" sweep "${slow[@]}" -q -o "$tmp/slow_serial.h5" || fail "serial slow sweep"
  losses "$tmp/slow_serial.h5" >"$tmp/slow_serial.txt"
fi
started() { # wait (30 s at most) until $pid has 2 workers, one run is recorded and one has a checkpoint
  for _ in $(seq 1 600); do
    workers=($(pgrep -P "$pid"))
    [ ${#workers[@]} = 2 ] && [ -e "$1" ] && ls "$1.ckpt.d" 2>/dev/null | grep -q '\.ckpt$' && return 0
    sleep 0.05
  done
  return 1
}
"$S" sweep "${slow[@]}" -j 2 --checkpoint-every 0.01 -o "$tmp/kill.h5" >"$tmp/killlog" 2>&1 &
pid=$!
started "$tmp/kill.h5" || fail "no 2 workers at work under $pid: $(cat "$tmp/killlog")"
kill -9 "${workers[0]}"
wait $pid
rc=$?
pid=
[ $rc != 0 ] || fail "exit 0 although a worker was killed"
grep -q "error: sweep: worker [12] (run '[^']*') was killed by signal 9" "$tmp/killlog" ||
  fail "kill message: $(cat "$tmp/killlog")"
[ -z "$(alive "${workers[@]}")" ] || fail "workers outlived the sweep: $(alive "${workers[@]}")"
n=$(only_serial "$tmp/kill.h5" "$tmp/slow_serial.txt")
echo "killed worker ${workers[0]}: exit $rc, $n runs in the file"
[ "$n" -ge 1 ] && [ "$n" -lt 6 ] || fail "after the kill the file holds $n runs"
ls "$tmp/kill.h5.ckpt.d" | grep -q '\.ckpt$' || fail "no checkpoint of a run in progress survived the kill"
"$S" sweep "${slow[@]}" -j 2 -o "$tmp/kill.h5" >"$tmp/rerun" 2>&1 || fail "rerun: $(cat "$tmp/rerun")"
grep -q "$n already in" "$tmp/rerun" || fail "the rerun did not skip the $n finished runs: $(cat "$tmp/rerun")"
diff "$tmp/slow_serial.txt" <(losses "$tmp/kill.h5") >&2 || fail "after the rerun, runs or losses differ from serial"
[ -e "$tmp/kill.h5.ckpt.d" ] && fail "checkpoints outlived the sweep: $(ls "$tmp/kill.h5.ckpt.d")"
ls "$tmp" | grep -q '\.tmp\.' && fail "temporary files outlived the sweep: $(ls "$tmp")"

# Kill the parent (SIGKILL): its workers follow within a couple of seconds; the rerun completes.
"$S" sweep "${slow[@]}" -j 2 -q --checkpoint-every 0.01 -o "$tmp/parent.h5" &
pid=$!
started "$tmp/parent.h5" || fail "no 2 workers at work under $pid"
kill -9 $pid
wait $pid 2>/dev/null
pid=
for _ in $(seq 1 40); do [ -z "$(alive "${workers[@]}")" ] && break; sleep 0.05; done
[ -z "$(alive "${workers[@]}")" ] || fail "workers outlived their killed parent: $(alive "${workers[@]}")"
n=$(only_serial "$tmp/parent.h5" "$tmp/slow_serial.txt")
echo "killed the parent: its workers ended, $n runs in the file"
"$S" sweep "${slow[@]}" -j 2 -q -o "$tmp/parent.h5" || fail "rerun after the parent's kill"
diff "$tmp/slow_serial.txt" <(losses "$tmp/parent.h5") >&2 || fail "after the rerun, runs or losses differ"

# Ctrl-C, as a terminal sends it to the whole process group (setsid: a group of its own; env
# --default-signal: a script's background jobs start with SIGINT ignored), then SIGINT to the parent
# alone (it passes the stop on): every worker's run stops after its step, saving its checkpoint there,
# the parent says where and exits 130, no process lingers, and the same command resumes, ending with
# the uninterrupted sweep's losses. Ctrl-C once ended every process at once, losing each run's steps
# since its last checkpoint (a minute by default).
# The signal goes once a run has trained a few steps, early enough that most of the sweep is left: the
# sanitized grid's runs have 20 and 60 steps, so waiting for step 20 there could find the sweep ending
# (a signal after the sweep's last run, once its handlers are released, ends it without a word; seen
# under a loaded CI machine).
if [ "${SF_SANITIZED:-0}" = 1 ]; then started='step ([2-9]|[0-9]{2,})/'; else started='step ([2-9][0-9]|[0-9]{3,})/'; fi
for to in group parent; do
  f="$tmp/int_$to.h5"
  SCALEFIT_LOG_EVERY=0 env --default-signal=INT setsid "$S" sweep "${slow[@]}" -j 2 -o "$f" 2>"$tmp/intlog" &
  pid=$!
  for _ in $(seq 1 3000); do grep -qE "$started" "$tmp/intlog" && break; sleep 0.02; done
  workers=($(pgrep -P "$pid"))
  if [ $to = group ]; then kill -INT -- -"$pid"; else kill -INT "$pid"; fi
  wait $pid
  rc=$?
  pid=
  [ $rc = 130 ] || fail "Ctrl-C to the $to: exit $rc, want 130: $(grep -v ' step ' "$tmp/intlog")"
  [ -z "$(alive "${workers[@]}")" ] || fail "workers outlived Ctrl-C to the $to: $(alive "${workers[@]}")"
  line=$(grep "^scalefit: error: sweep: interrupted at step " "$tmp/intlog") ||
    fail "Ctrl-C to the $to: no message saying where the runs stopped; its stderr ends: $(tail -n 5 "$tmp/intlog")"
  echo "$line" | grep -qE " runs? recorded in '$f'; (its checkpoint keeps the run's|their checkpoints keep the runs') steps: the same command resumes\$" ||
    fail "Ctrl-C to the $to: $line"
  stopped=$(echo "$line" | grep -o "of run '[^']*'" | sed "s/of run '\(.*\)'/\1/")
  for r in $stopped; do [ -e "$f.ckpt.d/$r.ckpt" ] || fail "Ctrl-C to the $to: no checkpoint of run '$r'"; done
  "$S" sweep "${slow[@]}" -j 2 -q -o "$f" || fail "the resume after Ctrl-C to the $to"
  diff "$tmp/slow_serial.txt" <(losses "$f") >&2 || fail "after Ctrl-C to the $to and the resume, losses differ"
  echo "Ctrl-C to the $to: $(echo $stopped | wc -w) runs stopped at their step with checkpoints, exit 130, resumed as serial"
done
echo ok
