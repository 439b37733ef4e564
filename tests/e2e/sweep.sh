#!/usr/bin/env bash
# sweep.sh: `scalefit sweep` resumes: a sweep killed with SIGKILL in the middle of a run leaves a
# readable run file with only finished runs, and the rerun trains exactly the missing ones.
set -u
S=${SCALEFIT:?}
. "$SF_SRC/tests/e2e/lib/run_checks.sh"
grid=(--data markov --sizes 1x16,1x32,2x64 --tokens 20480,81920 --context 32 --batch 512 --peak 100 --evals 2
      --val-tokens 1024 --threads 1)
"$S" sweep "${grid[@]}" -n -o "$tmp/runs.h5" | grep -c todo | grep -qx 6 || fail "dry run does not list 6 runs"
[ -e "$tmp/runs.h5" ] && fail "dry run wrote the run file"

# Runs train whole batches (512 tokens) and are named by the budget asked for: 9000 and 9100 are both
# 17 batches (8704 tokens), one training under two names, refused before anything is written; budgets
# that are not whole batches are said once.
"$S" sweep "${grid[@]/20480,81920/9000,9100}" -n -o "$tmp/same.h5" >"$tmp/out" 2>"$tmp/err"
[ $? = 2 ] || fail "two budgets of the same whole batches were not refused: $(cat "$tmp/err")"
grep -q "size 1x16, budget 9100: trains 8704 tokens (17 whole batches of 512), as does run 'markov-L1-d16-h1-T32-D9000-s1' of this sweep: the same run under two names" \
  "$tmp/err" || fail "two budgets of the same whole batches: $(cat "$tmp/err")"
"$S" sweep "${grid[@]/20480,81920/9000,20480}" -n -o "$tmp/same.h5" >"$tmp/out" 2>"$tmp/err" || fail "9000,20480: $(cat "$tmp/err")"
[ "$(grep -c "note: sweep: a run trains whole batches of 512 tokens: token budget 9000 trains 8704; run names keep the budget asked for" \
  "$tmp/err")" = 1 ] || fail "the rounding of 9000 tokens is not said once: $(cat "$tmp/err")"
[ -e "$tmp/same.h5" ] && fail "a dry run wrote the run file"
# The sgemm peak (about 1 s) is measured once per sweep process and thread count, not once per run,
# and every run records it; a second invocation (a resumed sweep) measures once again, an invocation
# with nothing to train not at all. 65 threads: counts above 64 were measured again for every run.
pk=(--data markov --sizes 1x16 --context 32 --batch 512 --evals 2 --val-tokens 1024 --threads 65)
"$S" sweep "${pk[@]}" --tokens 1024,2048,4096 -o "$tmp/peak.h5" 2>"$tmp/log" || fail "--threads 65: $(cat "$tmp/log")"
p=$(one_peak "$tmp/peak.h5" "$tmp/log" 65) || exit 1 # fail() in $(...) ends the subshell alone
echo "one peak measured for 3 runs on 65 threads: $p GFLOP/s"
"$S" sweep "${pk[@]}" --tokens 1024,2048,4096,6144,8192 -o "$tmp/peak.h5" 2>"$tmp/log" || fail "resumed: $(cat "$tmp/log")"
p=$(one_peak "$tmp/peak.h5" "$tmp/log" 65 'D(6144|8192)-') || exit 1
echo "resumed, measured again for the 2 new runs: $p GFLOP/s"
"$S" sweep "${pk[@]}" --tokens 1024,2048 -o "$tmp/peak.h5" 2>"$tmp/log" || fail "nothing to train: $(cat "$tmp/log")"
grep -q "sgemm peak" "$tmp/log" && fail "a sweep with nothing to train measured the peak: $(cat "$tmp/log")"

# Threads beyond the cores a run has are warned about, once, not capped: on one core, 2 threads per run;
# on two, 2 workers of 2 threads each.
if command -v taskset >/dev/null; then
  unpinned=("${grid[@]::${#grid[@]}-2}") # the grid without its --threads 1
  taskset -c 0 "$S" sweep "${unpinned[@]}" --threads 2 -n -o "$tmp/th.h5" >"$tmp/out" 2>"$tmp/err" || fail "--threads 2: $(cat "$tmp/err")"
  [ "$(grep -c "warning: sweep: 2 threads per run is more than the 1 core each run has" "$tmp/err")" = 1 ] ||
    fail "--threads 2 on one core: not one warning: $(cat "$tmp/err")"
  grep -q "todo .* threads 2$" "$tmp/out" || fail "--threads 2 on one core was capped: $(cat "$tmp/out")"
  if [ "$(nproc)" -ge 2 ]; then
    taskset -c 0,1 "$S" sweep "${unpinned[@]}" --threads 2 -j 2 -n -o "$tmp/th.h5" >/dev/null 2>"$tmp/err"
    grep -q "warning: sweep: 2 threads per run (2 workers sharing 2 cores) is more than the 1 core each run has" "$tmp/err" ||
      fail "-j 2 --threads 2 on two cores: $(cat "$tmp/err")"
  fi
  taskset -c 0 "$S" sweep "${unpinned[@]}" --threads 2 -j 2 -n -o "$tmp/th.h5" >/dev/null 2>"$tmp/err"
  grep -q "warning: sweep: 2 threads per run (2 workers sharing 1 core) is more than the 1 core each run has" "$tmp/err" ||
    fail "-j 2 --threads 2 on one core: $(cat "$tmp/err")"
fi
# Kill the sweep (SIGKILL) as soon as two runs are in the file: the third is then in progress.
"$S" sweep "${grid[@]}" -q --checkpoint-every 0.01 -o "$tmp/runs.h5" &
pid=$!
for _ in $(seq 1 600); do
  [ -e "$tmp/runs.h5" ] && [ "$(count "$tmp/runs.h5")" -ge 2 ] && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$(count "$tmp/runs.h5")
echo "killed with $n runs in the file"
[ "$n" -ge 2 ] && [ "$n" -le 6 ] || fail "after the kill the run file holds $n runs (or does not read)"
# A write cut by SIGKILL may leave its temporary file (never the run file half-written); the rerun
# removes such leftovers of dead processes.
ls "$tmp" | grep -q tmp && echo "the kill left a temporary file: $(ls "$tmp" | grep tmp)"
ls "$tmp/runs.h5.ckpt.d" 2>/dev/null | grep -q '\.ckpt$' && echo "the run in progress left a checkpoint"

"$S" sweep "${grid[@]}" -o "$tmp/runs.h5" -n | grep -c done | grep -qx "$n" || fail "dry run does not see $n done"
# (with a bad SCALEFIT_LOG_EVERY: one warning, then the default interval)
SCALEFIT_LOG_EVERY=abc "$S" sweep "${grid[@]}" -o "$tmp/runs.h5" 2>"$tmp/log" || fail "resumed sweep failed: $(cat "$tmp/log")"
[ "$(grep -c "^warning: SCALEFIT_LOG_EVERY='abc' is not a number of seconds; using 30$" "$tmp/log")" = 1 ] ||
  fail "SCALEFIT_LOG_EVERY=abc: not one warning: $(cat "$tmp/log")"
[ "$(count "$tmp/runs.h5")" = 6 ] || fail "resumed file holds $(count "$tmp/runs.h5") runs, want 6"
[ -e "$tmp/runs.h5.ckpt.d" ] && fail "the checkpoints outlived the sweep: $(ls "$tmp/runs.h5.ckpt.d")"
ls "$tmp" | grep -q tmp && fail "temporary files outlived the sweep: $(ls "$tmp")"
grep -q "$n already in" "$tmp/log" || fail "resume did not skip the $n finished runs: $(cat "$tmp/log")"
/usr/bin/python3 - "$tmp/runs.h5" <<'PY' || fail "run file content"
import h5py, sys
f = h5py.File(sys.argv[1], "r")
c = f["tables/runs/columns"]
names = [x.decode() if isinstance(x, bytes) else x for x in c["run"][:]]
assert len(set(names)) == 6, names          # each run exactly once
assert all(v > 0 for v in c["C"][:]) and all(v > 2.3 for v in c["loss"][:])
assert all((s.decode() if isinstance(s, bytes) else s).startswith("scalefit train") for s in c["source"][:])
PY
# Rerunning a finished sweep trains nothing.
"$S" sweep "${grid[@]}" -o "$tmp/runs.h5" -n | grep -c done | grep -qx 6 || fail "finished sweep not recognised"
# The run file's lock (runs.h5.lock, an flock around each append): a writer that holds it is waited for;
# one killed while holding it has had its flock released by the kernel, so the next writer goes on at once,
# and its lock file, which once stayed for good when nothing was left to append, is removed by the next
# sweep. A live holder's lock is left alone.
if command -v flock >/dev/null; then
  hold() { # hold FILE.lock: a process holding the flock, as a writer mid-append; its pid in $holder
    (exec 9>"$1"; flock 9; exec sleep 60) &
    holder=$!
    for _ in $(seq 1 100); do flock -n "$1" true 2>/dev/null || return 0; sleep 0.05; done
    fail "could not hold $1"
  }
  hold "$tmp/runs.h5.lock"
  timeout 20 "$S" sweep "${grid[@]}" -q -o "$tmp/runs.h5" || fail "a finished sweep beside a held lock failed or hung"
  [ -e "$tmp/runs.h5.lock" ] || fail "a live writer's lock was removed"
  kill -9 $holder; wait $holder 2>/dev/null
  [ -e "$tmp/runs.h5.lock" ] || fail "the killed holder's lock file is gone already"
  timeout 20 "$S" sweep "${grid[@]}" -q -o "$tmp/runs.h5" || fail "a finished sweep after a killed writer failed or hung"
  [ -e "$tmp/runs.h5.lock" ] && fail "the lock file of a killed writer outlived the next sweep"
  one=(--data markov --layers 1 --d-model 16 --context 32 --tokens 4096 --evals 1 --val-tokens 64 -q)
  hold "$tmp/lock.h5.lock"
  timeout 3 "$S" train "${one[@]}" -o "$tmp/lock.h5"
  [ $? = 124 ] || fail "train -o did not wait for a live writer's lock"
  kill -9 $holder; wait $holder 2>/dev/null
  timeout 20 "$S" train "${one[@]}" -o "$tmp/lock.h5" || fail "train -o after a killed writer failed or hung"
  [ "$(count "$tmp/lock.h5")" = 1 ] && [ ! -e "$tmp/lock.h5.lock" ] || fail "train -o after a killed writer"
  # Ctrl-C lets the run in progress end its step (and its record's append, which may wait for a lock);
  # a second one ends the sweep at once, waiting or not.
  hold "$tmp/wait.h5.lock"
  env --default-signal=INT "$S" sweep --data markov --sizes 1x16 --tokens 1024 --context 32 --peak 100 --evals 2 \
    --val-tokens 1024 -q -o "$tmp/wait.h5" &
  pid=$!
  sleep 1
  kill -INT $pid
  sleep 0.3
  kill -0 $pid 2>/dev/null || fail "one Ctrl-C ended a sweep waiting to append its run"
  kill -INT $pid
  for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
  kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "a second Ctrl-C did not end a sweep waiting for a lock"; }
  wait $pid
  [ $? = 130 ] || fail "the second Ctrl-C: not exit 130"
  kill -9 $holder; wait $holder 2>/dev/null
fi
# A second sweep on the same run file while a run of the first trains: its housekeeping removes the
# checkpoint folder when it finds it empty (the first run has not checkpointed yet), which once made the
# first sweep's next checkpoint fail ("cannot write '...ckpt.d/RUN.ckpt': No such file or directory",
# exit 4). Both must finish, each run recorded once.
two=(--data markov --context 32 --batch 512 --peak 100 --evals 2 --val-tokens 1024 --threads 1 -q)
"$S" sweep "${two[@]}" --sizes 2x64 --tokens 600000 --checkpoint-every 1 -o "$tmp/two.h5" 2>"$tmp/err1" &
first=$!
for _ in $(seq 1 200); do [ -d "$tmp/two.h5.ckpt.d" ] && break; sleep 0.02; done
"$S" sweep "${two[@]}" --sizes 1x16 --tokens 1024 -o "$tmp/two.h5" 2>"$tmp/err2" || fail "the second sweep: $(cat "$tmp/err2")"
wait $first || fail "the first sweep failed beside a second one: $(cat "$tmp/err1")"
[ "$(count "$tmp/two.h5")" = 2 ] || fail "two sweeps of one run each: $(count "$tmp/two.h5") runs in the file"
# Ctrl-C on a sweep: it says where it stopped and that the same command resumes, and the run in progress
# keeps its steps (its checkpoint is written at the interrupt, not only every minute). It once died
# silently, losing up to a minute of the run. (Background jobs of a script start with SIGINT ignored.)
SCALEFIT_LOG_EVERY=0 env --default-signal=INT "$S" sweep "${two[@]::${#two[@]}-1}" --sizes 2x64 --tokens 600000 \
  -o "$tmp/int.h5" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 3000); do grep -q "step 20/" "$tmp/err" && break; sleep 0.02; done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "Ctrl-C: exit $rc, want 130: $(cat "$tmp/err")"
grep -q "sweep: interrupted at step [0-9]* of 1171 of run 'markov-L2-d64-h1-T32-D600000-s1': 0 of 1 run recorded in '$tmp/int.h5'; its checkpoint keeps the run's steps: the same command resumes" \
  "$tmp/err" || fail "Ctrl-C: $(tail -3 "$tmp/err")"
[ -e "$tmp/int.h5.ckpt.d/markov-L2-d64-h1-T32-D600000-s1.ckpt" ] || fail "Ctrl-C: no checkpoint of the run in progress"
"$S" sweep "${two[@]}" --sizes 2x64 --tokens 600000 -o "$tmp/int.h5" || fail "the sweep resumed after Ctrl-C"
/usr/bin/python3 - "$tmp/int.h5" "$tmp/two.h5" <<'PY' || fail "the run resumed after Ctrl-C"
import h5py, sys
a, b = (h5py.File(f, "r")["tables/runs/columns"] for f in sys.argv[1:])
la = dict(zip(a["run"][:], a["loss"][:]))
lb = dict(zip(b["run"][:], b["loss"][:]))
k = b"markov-L2-d64-h1-T32-D600000-s1"
assert la[k] == lb[k], (la[k], lb[k])  # bit-identical to the uninterrupted run
PY
# A finished sweep's run file where nothing can be written (a read-only share, an installed copy): the
# dry run lists its runs as done, and the sweep itself has nothing to do. Both once stopped with exit 4
# ("cannot write '...': Read-only file system"), the dry run without a line. Read-only: a folder of
# mode 555, or for root (whom modes do not stop) a read-only tmpfs where it may mount one.
mkdir "$tmp/ro"
cp "$tmp/int.h5" "$tmp/ro/"
chmod 555 "$tmp/ro"
if touch "$tmp/ro/probe" 2>/dev/null; then
  rm -f "$tmp/ro/probe"
  chmod 755 "$tmp/ro"
  if mount -t tmpfs -o size=4m none "$tmp/ro" 2>/dev/null; then
    cp "$tmp/int.h5" "$tmp/ro/" && mount -o remount,ro "$tmp/ro" || { umount "$tmp/ro"; fail "a read-only tmpfs"; }
    trap 'umount "$tmp/ro" 2>/dev/null; rm -rf "$tmp"' EXIT
  fi
fi
if ! touch "$tmp/ro/probe" 2>/dev/null; then
  "$S" sweep "${two[@]}" --sizes 2x64 --tokens 600000 -n -o "$tmp/ro/int.h5" >"$tmp/out" 2>"$tmp/err" ||
    fail "a dry run on a read-only run file: $(cat "$tmp/err")"
  grep -q "^done  markov-L2-d64-h1-T32-D600000-s1 " "$tmp/out" || fail "the dry run's list: $(cat "$tmp/out")"
  "$S" sweep "${two[@]}" --sizes 2x64 --tokens 600000 -o "$tmp/ro/int.h5" 2>"$tmp/err" ||
    fail "a finished sweep on a read-only run file: $(cat "$tmp/err")"
  "$S" sweep "${two[@]}" --sizes 2x64 --tokens 600000,1200000 -o "$tmp/ro/int.h5" 2>"$tmp/err"
  [ $? = 4 ] && grep -q "cannot write '$tmp/ro/int.h5'" "$tmp/err" || fail "a sweep with a run to train on a read-only file: $(cat "$tmp/err")"
  umount "$tmp/ro" 2>/dev/null
else
  echo "skip: no read-only folder here"
fi
chmod 755 "$tmp/ro"
# Two copies of one sweep started together on one run file (a second terminal, a job resubmitted): a
# run the other recorded first while this one trained it is kept, with a note, and the sweep goes on;
# a run the other recorded before this one reached it is skipped. The second once stopped with exit 2
# ("already in table ... (another process recorded it meanwhile)") and left its other runs untrained.
same=(--data markov --sizes 1x16,1x32,2x32 --tokens 20480,40960 --context 32 --batch 512 --peak 100 --evals 2
      --val-tokens 1024 --threads 1 -o "$tmp/same2.h5")
for j in 1 2; do # the serial loop, and --jobs (its parent hands out the runs and records them)
  rm -f "$tmp/same2.h5"
  "$S" sweep "${same[@]}" -j $j 2>"$tmp/errA" & a=$!
  "$S" sweep "${same[@]}" -j $j 2>"$tmp/errB" & b=$!
  wait $a || fail "-j $j: the first of two sweeps at once: $(cat "$tmp/errA")"
  wait $b || fail "-j $j: the second of two sweeps at once: $(cat "$tmp/errB")"
  /usr/bin/python3 - "$tmp/same2.h5" <<'PY' || fail "-j $j: two sweeps at once: the run file"
import h5py, sys
names = [x.decode() for x in h5py.File(sys.argv[1], "r")["tables/runs/columns/run"][:]]
assert len(names) == 6 and len(set(names)) == 6, names
PY
  cat "$tmp/errA" "$tmp/errB" | grep -E "recorded meanwhile" | head -2
done
# The ETA after the first run is about the time the rest takes: budgets doubling (1+2+4+8), the sgemm
# peak measured (no --peak). Its measurement, a second, once counted as training time: the first ETA
# said 14 s for a sweep that needed one more second (the runs take hundredths of one).
eta=(--data markov --sizes 1x32 --tokens 20480,40960,81920,163840 --context 32 --batch 512 --evals 2
     --val-tokens 1024 --threads 1 -o "$tmp/eta.h5")
"$S" sweep "${eta[@]}" 2>&1 >/dev/null | while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done >"$tmp/eta"
/usr/bin/python3 - "$tmp/eta" <<'PY' || fail "the first ETA: $(cat "$tmp/eta")"
import re, sys
lines = [l.split(" ", 1) for l in open(sys.argv[1])]
first = next((float(t), l) for t, l in lines if l.startswith("[1/4]"))
end = float(lines[-1][0])
m = re.search(r"ETA (?:(\d+)m)?(\d+)s", first[1])
said = 60 * int(m.group(1) or 0) + int(m.group(2))
took = end - first[0]
print(f"first ETA {said} s, the rest took {took:.1f} s")
assert said <= 3 * took + 2, (said, took)
PY
# The same names trained otherwise (what a name does not hold: batch, learning rate, the Markov chain,
# the validation set and the validations) are not taken for done: exit 2 naming the difference, nothing
# written. (--val-tokens and --evals were once not compared: every run showed done, and the file mixed
# losses measured on different validation sets.)
cp "$tmp/runs.h5" "$tmp/before.h5"
# g: the grid with option $1 set to $2 (in its place, or added): an option is given once
regrid() {
  g=("${grid[@]}")
  for i in "${!g[@]}"; do [ "${g[i]}" = "$1" ] && g[i + 1]=$2 && return; done
  g+=("$1" "$2")
}
for other in "--batch 256" "--lr 0.001" "--markov-order 3" "--val-tokens 2048" "--evals 3"; do
  # shellcheck disable=SC2086 # $other is two words
  regrid $other
  "$S" sweep "${g[@]}" -o "$tmp/runs.h5" -n >/dev/null 2>"$tmp/err"
  [ $? = 2 ] || fail "sweep $other into a file of the same names did not exit 2: $(cat "$tmp/err")"
  grep -q "error: sweep: '$tmp/runs.h5' table 'runs': run '.*' is recorded with .*; its name does not say so, and the sweep would skip it as done" "$tmp/err" ||
    fail "sweep $other into a file of the same names: $(cat "$tmp/err")"
  cmp -s "$tmp/runs.h5" "$tmp/before.h5" || fail "the refused sweep $other changed the run file"
done
grep -q "recorded with a batch of 512 tokens, and this sweep trains it with 256" <(regrid --batch 256 && "$S" sweep "${g[@]}" -o "$tmp/runs.h5" -n 2>&1) ||
  fail "the batch's message"
grep -q "recorded with 1024 validation tokens, and this sweep measures it on 2048" \
  <(regrid --val-tokens 2048 && "$S" sweep "${g[@]}" -o "$tmp/runs.h5" -n 2>&1) || fail "the validation tokens' message"
/usr/bin/python3 - "$tmp/runs.h5" <<'PY' || fail "the notes do not record val_tokens and evals"
import h5py, sys
for n in h5py.File(sys.argv[1], "r")["tables/runs/columns/notes"][:]:
    w = n.decode().split()
    assert "val_tokens=1024" in w and "evals=2" in w, n
PY
# Run files written before val_tokens and evals were recorded were trained with that version's defaults
# (16384, 10): the shipped sweep's file is still complete, and unchanged. The H100's, trained on a copy of the
# corpus in another folder, is complete too: the corpus is compared by its files and sizes, not its path.
if [ -d /usr/share/doc/python3.11/html/_sources ]; then
  for f in sweep_default sweep_default_h100; do
    cp "$SF_SRC/datasets/$f.h5" "$tmp/$f.h5"
    "$S" sweep --preset default -o "$tmp/$f.h5" >"$tmp/out" 2>"$tmp/err" || fail "$f.h5: $(cat "$tmp/err")"
    grep -q "sweep: 15 runs, 15 already in '$tmp/$f.h5', 0 to train" "$tmp/err" || fail "$f.h5: $(cat "$tmp/err")"
    cmp -s "$tmp/$f.h5" "$SF_SRC/datasets/$f.h5" || fail "resuming a copy of $f.h5 changed it"
  done
  "$S" sweep --preset default --val-tokens 8192 -o "$tmp/sweep_default.h5" -n >/dev/null 2>"$tmp/err"
  [ $? = 2 ] && grep -q "recorded with 16384 validation tokens, and this sweep measures it on 8192" "$tmp/err" ||
    fail "the shipped file resumed with --val-tokens 8192: $(cat "$tmp/err")"
  "$S" sweep --preset default --corpus-dir "$SF_INPUTS" -o "$tmp/sweep_default.h5" -n >/dev/null 2>"$tmp/err"
  [ $? = 2 ] && grep -q "recorded with data python3.11-doc .*, and this sweep trains it on directory" "$tmp/err" ||
    fail "the shipped file resumed on another corpus: $(cat "$tmp/err")"
fi
# On a terminal (script(1) gives the sweep one) each finished run leaves its line above the updating one:
# the updating line alone never showed a run's loss.
if command -v script >/dev/null; then
  script -qc "'$S' sweep --data markov --sizes 1x16 --tokens 1024 --context 32 --peak 100 --evals 2 --val-tokens 1024 -o '$tmp/tty.h5'" \
    /dev/null </dev/null | tr '\r' '\n' >"$tmp/tty"
  grep -q "^.*\[1/1\] markov-L1-d16-h1-T32-D1024-s1: val_loss [0-9.]*, " "$tmp/tty" ||
    fail "on a terminal, no line for the finished run: $(cat -A "$tmp/tty")"
  # one run is one run (the messages once said "1 runs")
  grep -q "sweep \[0/1 run\] " "$tmp/tty" || fail "on a terminal, the progress line of one run: $(cat -A "$tmp/tty")"
fi
"$S" sweep --data markov --sizes 1x16 --tokens 1024 --context 32 --peak 100 --evals 2 --val-tokens 1024 -o "$tmp/one.h5" \
  2>"$tmp/err" || fail "a sweep of one run: $(cat "$tmp/err")"
grep -q "^sweep: 1 run, 0 already in '$tmp/one.h5', 1 to train " "$tmp/err" && grep -q "holds its one run" "$tmp/err" ||
  fail "a sweep of one run: $(cat "$tmp/err")"
grep -q "\b1 runs\b" "$tmp/err" && fail "a sweep of one run speaks of runs: $(cat "$tmp/err")"
# one whole batch, and several budgets rounded, in the plural only where it is one
"$S" sweep "${grid[@]/20480,81920/600,700}" -n -o "$tmp/same.h5" 2>"$tmp/err" && fail "600,700 at 512 a batch: not refused"
grep -q "trains 512 tokens (1 whole batch of 512), as does run" "$tmp/err" || fail "one whole batch: $(cat "$tmp/err")"
"$S" sweep "${grid[@]/20480,81920/9000,20000}" -n -o "$tmp/same.h5" >/dev/null 2>"$tmp/err" || fail "9000,20000: $(cat "$tmp/err")"
grep -q "token budgets 9000 trains 8704, 20000 trains 19968; run names" "$tmp/err" || fail "two budgets rounded: $(cat "$tmp/err")"
# isoFLOP: every size gets the whole batches that fit in each compute budget (within one batch below it).
"$S" sweep --data markov --sizes 1x32,2x64 --flops 1e10,3e10 --context 64 -n -o "$tmp/iso.h5" >"$tmp/iso" \
  || fail "isoFLOP dry run failed"
[ "$(grep -c todo "$tmp/iso")" = 4 ] || fail "isoFLOP dry run: $(cat "$tmp/iso")"
"$S" sweep --data markov --sizes 2x64 --flops 1e6 -n -o "$tmp/iso.h5" 2>"$tmp/err" && fail "a budget below one batch ran"
grep -q "less than one batch" "$tmp/err" || fail "isoFLOP message: $(cat "$tmp/err")"
echo ok
