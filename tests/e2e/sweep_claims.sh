#!/usr/bin/env bash
# sweep_claims.sh: sweeps started together on one run file split its runs through per-run claims
# (FILE.h5.ckpt.d/RUN.claim, created with O_EXCL by the process that hands the run out): every run is
# recorded once, the processes together train each run once (each trained every run before, the
# second writer's record dropped), and the losses are the serial sweep's to the last bit (training is
# deterministic for a seed and thread count). A claim left by a killed sweep (its pid gone from this
# host) or not refreshed for long (another machine) is taken over, the run resuming from its
# checkpoint; the dry run names the claims of runs in progress.
set -u
S=${SCALEFIT:?}
. "$SF_SRC/tests/e2e/lib/run_checks.sh"
pid=
on_exit() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; }
# runs trained by a sweep: one plain "[k/n] RUN...: val_loss" line each, recorded or not
trained() { cat "$@" | grep -cE '^\[[0-9]+/[0-9]+\] [^ ]+( \(worker [0-9]+\))?: val_loss'; }

grid=(--data markov --sizes 1x16,1x32,2x32 --tokens 20480,40960 --context 32 --batch 512 --peak 100 --evals 2
      --val-tokens 1024 --threads 1)
"$S" sweep "${grid[@]}" -q -o "$tmp/serial.h5" || fail "serial sweep"
losses "$tmp/serial.h5" >"$tmp/serial.txt"
n=$(wc -l <"$tmp/serial.txt")
[ "$n" = 6 ] || fail "serial sweep: $(cat "$tmp/serial.txt")"

# Two identical sweeps at once: serial loops, then --jobs 2 each (claims made by each parent).
for j in 1 2; do
  f="$tmp/two$j.h5"
  "$S" sweep "${grid[@]}" -j $j -o "$f" 2>"$tmp/a$j" & a=$!
  "$S" sweep "${grid[@]}" -j $j -o "$f" 2>"$tmp/b$j" & b=$!
  wait $a || fail "-j $j: the first of two sweeps: $(cat "$tmp/a$j")"
  wait $b || fail "-j $j: the second of two sweeps: $(cat "$tmp/b$j")"
  losses "$f" | diff "$tmp/serial.txt" - >&2 || fail "-j $j: two sweeps at once: runs or losses differ from serial"
  t=$(trained "$tmp/a$j" "$tmp/b$j")
  [ "$t" = "$n" ] || fail "-j $j: the two sweeps trained $t runs for $n: $(cat "$tmp/a$j" "$tmp/b$j")"
  [ -e "$f.ckpt.d" ] && fail "-j $j: claims or checkpoints outlived the sweeps: $(ls "$f.ckpt.d")"
  echo "-j $j: two sweeps at once trained $(trained "$tmp/a$j") + $(trained "$tmp/b$j") = $n runs, losses as serial"
done

# A sweep killed (SIGKILL) in a run after its checkpoint leaves its claim: its pid is gone, so the
# next sweep takes it over and resumes the run from the checkpoint (its first step is not step 1).
slow=(--data markov --sizes 2x64 --tokens 299520 --context 32 --batch 512 --peak 100 --evals 2 --val-tokens 1024
      --threads 1)
"$S" sweep "${slow[@]}" -q -o "$tmp/slow_serial.h5" || fail "serial slow sweep"
run=markov-L2-d64-h1-T32-D299520-s1
"$S" sweep "${slow[@]}" -q --checkpoint-every 0.01 -o "$tmp/kill.h5" & pid=$!
for _ in $(seq 1 3000); do [ -e "$tmp/kill.h5.ckpt.d/$run.ckpt" ] && break; sleep 0.02; done
[ -e "$tmp/kill.h5.ckpt.d/$run.ckpt" ] || fail "no checkpoint within 60 s"
kill -9 $pid
wait $pid 2>/dev/null
dead=$pid
pid=
grep -q "^$(uname -n) $dead " "$tmp/kill.h5.ckpt.d/$run.claim" || fail "the killed sweep's claim: $(cat "$tmp/kill.h5.ckpt.d/$run.claim")"
"$S" sweep "${slow[@]}" -n -o "$tmp/kill.h5" >"$tmp/dry" || fail "dry run"
grep -q "^todo  $run .*claimed by $(uname -n) process $dead, refreshed [0-9]*s ago: stale" "$tmp/dry" ||
  fail "the dry run does not show the stale claim: $(cat "$tmp/dry")"
SCALEFIT_LOG_EVERY=0 "$S" sweep "${slow[@]}" -o "$tmp/kill.h5" 2>"$tmp/log" || fail "after the kill: $(cat "$tmp/log")"
grep -q "note: sweep: run '$run': the claim of $(uname -n) process $dead is stale (the process is gone): taken over" \
  "$tmp/log" || fail "the stale claim was not taken over: $(cat "$tmp/log")"
first=$(sed -n "s/^sweep: $run step \([0-9]*\)\/.*/\1/p" "$tmp/log" | head -1)
[ -n "$first" ] && [ "$first" -gt 1 ] || fail "the run did not resume from its checkpoint (first step '$first')"
diff <(losses "$tmp/slow_serial.h5") <(losses "$tmp/kill.h5") >&2 || fail "the taken-over run's loss differs"
[ -e "$tmp/kill.h5.ckpt.d" ] && fail "claims or checkpoints outlived the sweep: $(ls "$tmp/kill.h5.ckpt.d")"
echo "a killed sweep's claim taken over, resumed at step $first, loss as serial"

# Claims written by hand: one of a live process on another machine, refreshed now, is shown by the dry
# run and waited for; once 20 minutes old (its machine lost) it is stale and taken over. One with a
# dead pid on this host is taken over at once.
one=(--data markov --sizes 1x16 --tokens 20480,40960 --context 32 --batch 512 --peak 100 --evals 2 --val-tokens 1024
     --threads 1 -o "$tmp/hand.h5")
mkdir "$tmp/hand.h5.ckpt.d"
echo "far-away-host 4242 $(date +%s)" >"$tmp/hand.h5.ckpt.d/markov-L1-d16-h1-T32-D20480-s1.claim"
sh -c 'exit 0' & gone=$!
wait $gone
echo "$(uname -n) $gone $(date +%s)" >"$tmp/hand.h5.ckpt.d/markov-L1-d16-h1-T32-D40960-s1.claim"
"$S" sweep "${one[@]}" -n >"$tmp/dry" || fail "dry run"
grep -q "^todo  markov-L1-d16-h1-T32-D20480-s1 .*claimed by far-away-host process 4242, refreshed [0-9]s ago\$" \
  "$tmp/dry" || fail "the dry run does not show the live claim: $(cat "$tmp/dry")"
"$S" sweep "${one[@]}" 2>"$tmp/log" & pid=$!
for _ in $(seq 1 3000); do grep -q "waiting for another sweep" "$tmp/log" && break; sleep 0.02; done
grep -q "waiting for another sweep to finish the 1 run it trains" "$tmp/log" || fail "no wait: $(cat "$tmp/log")"
[ "$(count "$tmp/hand.h5")" = 1 ] || fail "the run of the dead pid's claim was not trained: $(cat "$tmp/log")"
grep -q "the claim of $(uname -n) process $gone is stale (the process is gone): taken over" "$tmp/log" ||
  fail "the dead pid's claim: $(cat "$tmp/log")"
touch -d '20 minutes ago' "$tmp/hand.h5.ckpt.d/markov-L1-d16-h1-T32-D20480-s1.claim"
wait $pid || fail "after the other machine's claim went stale: $(cat "$tmp/log")"
pid=
grep -q "the claim of far-away-host process 4242 is stale (not refreshed for long): taken over" "$tmp/log" ||
  fail "the old claim: $(cat "$tmp/log")"
losses "$tmp/hand.h5" | diff <(grep -- '-L1-d16-' "$tmp/serial.txt") - >&2 ||
  fail "runs of taken-over claims differ from the serial sweep's"
echo ok
