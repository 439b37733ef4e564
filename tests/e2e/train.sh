#!/usr/bin/env bash
# train.sh: `scalefit train` end to end: a tiny run per data source with its JSON record, and every
# bad request refused with the right exit code before any training.
set -u
S=${SCALEFIT:?}
. "$(dirname "$0")/lib/common.sh"
fail_fast stderr
expect() { # expect CODE MESSAGE-PART ARGS...
  local code=$1 part=$2; shift 2
  "$S" train "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  [ "$rc" = "$code" ] || fail "train $* exited $rc, want $code ($(cat "$tmp/err"))"
  grep -q -- "$part" "$tmp/err" || fail "train $*: message lacks '$part': $(cat "$tmp/err")"
}
expect 2 "not divisible by heads" --d-model 100 --heads 3 --data markov
expect 2 "context 0" --context 0 --data markov
expect 2 "smaller than one batch" --tokens 100 --data markov
expect 2 "corpus directory '$tmp/none' not found" --corpus-dir "$tmp/none"
: >"$tmp/afile"
expect 2 "corpus directory '$tmp/afile' is a file" --corpus-dir "$tmp/afile"
expect 4 "cannot write" --data markov -o "$tmp/no/such/dir/run.json"
expect 1 "not one of" --data nonsense
# a value given is checked as given: 0 once meant "the default" here, so --markov-seed 0 trained seed 1's chain
expect 2 "markov-seed 0 is out of range (1.." --data markov --markov-seed 0
expect 2 "markov-order 0 is out of range (1..8)" --data markov --markov-order 0
expect 2 "markov-alpha 0 is not a Dirichlet concentration" --data markov --markov-alpha 0
expect 2 "digits 0 is out of range (1..9)" --data addition --digits 0
expect 2 "lr 0 must be a positive number" --data markov --lr 0
expect 2 "tokens 0 must be a positive number" --data markov --tokens 0
expect 2 "evals 0 is out of range (1..100000)" --data markov --evals 0
expect 2 "heads 0 is out of range (1..65536)" --data markov --heads 0
expect 2 "peak 0 must be a positive number" --data markov --peak 0
# The header counts in the singular where it is one (it once said "(1 layers, ..., 1 heads").
"$S" train --data markov --layers 1 --d-model 16 --context 32 --tokens 512 --batch 512 --evals 1 --val-tokens 64 \
  >/dev/null 2>"$tmp/err" || fail "a one-step run: $(cat "$tmp/err")"
grep -q "^train: .* parameters (1 layer, d_model 16, 1 head, context 32), 512 tokens in 1 step, markov" "$tmp/err" ||
  fail "header of a 1-layer, 1-head, 1-step run: $(cat "$tmp/err")"
"$S" train --data markov --layers 2 --d-model 16 --heads 2 --context 32 --tokens 1024 --batch 512 --evals 1 \
  --val-tokens 64 >/dev/null 2>"$tmp/err" || fail "a two-step run: $(cat "$tmp/err")"
# 2 steps of 512 tokens: 1024, written as every command writes a count below 1e4 (sf_fmt_value); the
# header had a rule of its own that read "1.02k"
grep -q "^train: .* parameters (2 layers, d_model 16, 2 heads, context 32), 1024 tokens in 2 steps, markov" "$tmp/err" ||
  fail "header of a 2-layer, 2-head, 2-step run: $(cat "$tmp/err")"
# An output that is a directory is said to be one, before training (it was "is not an HDF5 file", and
# for a record "cannot rename into" once the run had trained)
mkdir "$tmp/dir.h5" "$tmp/dir.json"
expect 4 "cannot write '$tmp/dir.h5': it is a directory" --data markov --layers 1 --d-model 16 --context 32 -o "$tmp/dir.h5"
expect 4 "cannot write '$tmp/dir.json': it is a directory" --data markov --layers 1 --d-model 16 --context 32 -o "$tmp/dir.json"
grep -q "^train: " "$tmp/err" && fail "-o DIR.json: trained before refusing: $(cat "$tmp/err")"
"$S" sweep --data markov --sizes 1x16 --tokens 4096 --context 32 -o "$tmp/dir.h5" >/dev/null 2>"$tmp/err"
[ $? = 4 ] && grep -q "error: cannot write '$tmp/dir.h5': it is a directory" "$tmp/err" || fail "sweep -o DIR.h5: $(cat "$tmp/err")"
[ -z "$(ls -A "$tmp/dir.h5")" ] || fail "sweep -o DIR.h5 wrote into it: $(ls -A "$tmp/dir.h5")"
# a hand-given peak the run beats is not the machine's: said, not printed as "MFU 43972%" alone
"$S" train --data markov --layers 1 --d-model 16 --context 16 --tokens 4096 --peak 0.01 -q >"$tmp/out" 2>"$tmp/err" ||
  fail "train with a low --peak exited $?"
grep -q "MFU .* is above 100%: --peak 0.01 GFLOP/s is below what this run achieved" "$tmp/err" ||
  fail "no warning for an MFU above 100%: $(cat "$tmp/err")"
# More threads than cores is trained as asked (a run's sums depend on its thread count) but warned about,
# once: pinned to one core, 2 threads take turns on it; 1 thread is not warned about.
if command -v taskset >/dev/null; then
  taskset -c 0 "$S" train --data markov --layers 1 --d-model 16 --context 16 --tokens 4096 --peak 100 --threads 2 --json \
    -q >"$tmp/out" 2>"$tmp/err" || fail "train --threads 2 on one core exited $?"
  [ "$(grep -c "warning: train: 2 threads per run is more than the 1 core each run has: the threads take turns" "$tmp/err")" = 1 ] ||
    fail "--threads 2 on one core: not one warning: $(cat "$tmp/err")"
  grep -q '"threads": 2' "$tmp/out" || fail "--threads 2 on one core did not train with 2 threads"
  taskset -c 0 "$S" train --data markov --layers 1 --d-model 16 --context 16 --tokens 4096 --peak 100 --threads 1 \
    -q >"$tmp/out" 2>"$tmp/err" || fail "train --threads 1 on one core exited $?"
  [ -s "$tmp/err" ] && fail "--threads 1 on one core: $(cat "$tmp/err")"
fi
# a data option of another source is refused: --markov-order without --data markov trained on the corpus
expect 1 "markov-order applies to --data markov, and the data is corpus" --markov-order 1
expect 1 "digits applies to --data addition, and the data is markov" --data markov --digits 2
expect 1 "corpus-dir applies to --data corpus, and the data is addition" --data addition --corpus-dir "$tmp"
[ -z "$(ls "$tmp/no" 2>/dev/null)" ] || fail "a refused run left files behind"

tiny=(--layers 1 --d-model 32 --context 32 --batch 256 --tokens 5120 --peak 100 --evals 2 --val-tokens 1024 -q)
"$S" train --data markov "${tiny[@]}" --json -o "$tmp/m.json" >"$tmp/m.out" || fail "markov run failed"
cmp -s "$tmp/m.json" "$tmp/m.out" || fail "-o and --json records differ"
/usr/bin/python3 - "$tmp/m.json" <<'PY' || fail "markov record"
import json, math, sys
r = json.load(open(sys.argv[1]))
for k in ("N", "N_nonembed", "D", "flops", "flops_6nd", "val_loss", "tokens_per_s", "mfu", "seconds", "seed"):
    assert r[k] is not None, k
assert r["D"] == 5120 and r["steps"] == 20
C, L, T, V = 32, 1, 32, 64
N = V*C + T*C + L*(12*C*C + 13*C) + 2*C
assert r["N"] == N and r["N_nonembed"] == N - V*C - T*C
F = T*(24*L*C*C + 2*C*V) + 2*L*C*T*(T+1)
assert r["flops"] == 3 * F * (5120 // T)
assert r["val_loss"] > r["entropy_rate"] > 2.3
assert len(r["curve"]["step"]) == 20 and r["curve"]["step"][-1] == 20
assert r["config"]["threads"] == 1 and r["data"]["kind"] == "markov"
PY
# A budget that is not whole batches trains the whole batches below it (5300 tokens: 20 of 256, 5120),
# is said once, and the record's D and C are what was trained: the 5120-token run's.
"$S" train --data markov "${tiny[@]/#5120/5300}" --json >"$tmp/r.json" 2>"$tmp/err" || fail "--tokens 5300 failed"
[ "$(grep -c "note: train: --tokens 5300 is not a whole number of batches of 256 tokens: the run trains 5120" \
  "$tmp/err")" = 1 ] || fail "--tokens 5300: not one note of the rounding: $(cat "$tmp/err")"
/usr/bin/python3 - "$tmp/r.json" "$tmp/m.json" <<'PY' || fail "--tokens 5300: the record is not the 5120-token run's"
import json, sys
r, m = (json.load(open(p)) for p in sys.argv[1:])
assert r["D"] == 20 * 256 and r["steps"] == 20 and r["config"]["tokens"] == 5300, (r["D"], r["steps"])
assert (r["flops"], r["val_loss"]) == (m["flops"], m["val_loss"])
PY
"$S" train --data addition --digits 2 "${tiny[@]}" --json >"$tmp/a.json" \
  || fail "addition run failed"
/usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); a=r['accuracy']; assert a is not None and 0 <= a <= 1, a" \
  "$tmp/a.json" || fail "addition record has no accuracy"
# The run store: two runs appended to one HDF5 run file, with N, D, C, loss and the curve.
"$S" train --data markov "${tiny[@]}" -o "$tmp/runs.h5" >/dev/null || fail "run into the run file failed"
"$S" train --data markov "${tiny[@]}" --seed 2 -o "$tmp/runs.h5" --name second >/dev/null || fail "second run failed"
/usr/bin/python3 - "$tmp/runs.h5" "$tmp/m.json" <<'PY' || fail "run file content"
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
c = f["tables/runs/columns"]
run = [x.decode() if isinstance(x, bytes) else x for x in c["run"][:]]
assert run == ["markov-L1-d32-h1-T32-D5120-s1", "second"], run
r = json.load(open(sys.argv[2]))  # the same configuration and seed as the first run
assert c["N"][0] == r["N"] and c["D"][0] == r["D"] and c["C"][0] == r["flops"] and c["loss"][0] == r["val_loss"]
src = c["source"][0].decode() if isinstance(c["source"][0], bytes) else c["source"][0]
notes = c["notes"][0].decode() if isinstance(c["notes"][0], bytes) else c["notes"][0]
assert src.startswith("scalefit train") and "markov" in src and "seed=1" in notes and "d_model=32" in notes
assert len(f["tables/runs/curves/step"]) == 40  # 20 points per run
PY
"$S" info "$tmp/runs.h5" >/dev/null || fail "info cannot read the run file"
# docs/TRAIN.md's record table documents every field of the JSON record (config and curve included) and every
# column of the run file, with the unit the file stores (val_entropy, peak_flops, train_seconds, steps and the
# config were once undocumented); its worked example is this hand count of a 1x16 run at context 32.
"$S" train --data markov --layers 1 --d-model 16 --context 32 --tokens 4096 --evals 2 --val-tokens 1024 --peak 100 \
  -q --json >"$tmp/doc.json" || fail "the documented example run failed"
/usr/bin/python3 - "$SF_SRC/docs/TRAIN.md" "$tmp/m.json" "$tmp/runs.h5" "$tmp/doc.json" <<'PY' || fail "the record's documentation"
import h5py, json, re, sys
doc = open(sys.argv[1]).read()
table = doc[doc.index("| JSON field (run-file column) |"):]
table = table[:table.index("\n\n")]
rows = [[c.strip() for c in l.strip("|").split("|")] for l in table.splitlines()[2:]]
named = {n: r[1] for r in rows for n in re.findall(r"`([A-Za-z_0-9]+)`", r[0])}
text = " ".join(r[0] + " " + r[2] for r in rows)
r = json.load(open(sys.argv[2]))
for k in list(r) + ["attention"]:
    assert k in named, f"JSON field {k} is not in the table"
for k in list(r["config"]) + list(r["curve"]):
    assert f"`{k}`" in text, f"config/curve field {k} is not in the table"
g = h5py.File(sys.argv[3], "r")["tables/runs/columns"]
for k, d in g.items():
    if k in ("run", "family", "source", "notes"):
        continue
    assert f"(`{k}`)" in table, f"run-file column {k} is not in the table"
    unit = d.attrs["units"].decode()
    row = next(x for x in rows if f"(`{k}`)" in x[0])
    assert row[1] == unit, f"column {k}: the file says {unit}, the table {row[1]}"
e = json.load(open(sys.argv[4]))
N, F = 64*16 + 32*16 + (12*256 + 13*16) + 2*16, 32*(24*256 + 2*16*64) + 2*16*32*33
assert (e["N"], e["N_nonembed"], e["D"], e["steps"]) == (N, N - 64*16 - 32*16, 4096, 8) == (4848, 3312, 4096, 8)
assert e["flops"] == 3 * F * 16 * 8 == 113639424 and e["flops_6nd"] == 6 * N * 4096 == 119144448
for n in ("4848", "3312", "113,639,424", "119,144,448", "295,936"):
    assert n in doc, n
assert abs(e["mfu"] - e["flops"] / e["train_seconds"] / e["peak_flops"]) < 1e-12 and e["peak_flops"] == 1e11
assert abs(e["tokens_per_s"] - e["D"] / e["train_seconds"]) < 1e-6 * e["tokens_per_s"]
assert e["curve"]["flops"][0] == 3 * F * 16 and e["curve"]["tokens"][-1] == 4096
assert e["train_loss"] == e["curve"]["train_loss"][-1]  # the last 10% of 8 steps: the last one
assert [v is not None for v in e["curve"]["val_loss"]] == [False] * 3 + [True] + [False] * 3 + [True]
PY
# A run file names each run once: the same run again is refused before any training.
expect 2 "already in" --data markov "${tiny[@]}" -o "$tmp/runs.h5"
# A blank name, or one with a line break, names no run: refused before training, the file untouched.
cp "$tmp/runs.h5" "$tmp/before.h5"
expect 2 "--name '' is blank" --data markov "${tiny[@]}" --name '' -o "$tmp/runs.h5"
expect 2 "--name '  ' is blank" --data markov "${tiny[@]}" --name '  ' -o "$tmp/runs.h5"
expect 2 "holds a control character" --data markov "${tiny[@]}" --name "$(printf 'a\nb')" -o "$tmp/runs.h5"
cmp -s "$tmp/runs.h5" "$tmp/before.h5" || fail "a refused name changed the run file"
[ -e "$tmp/runs.h5.lock" ] && fail "the writers' lock outlived the append"
# Writers take turns: four runs appended at once into one file all land (none overwrites another).
for k in 1 2 3 4; do "$S" train --data markov "${tiny[@]}" --seed $((10 + k)) --name "par$k" -o "$tmp/runs.h5" -q & done
wait
/usr/bin/python3 -c "import h5py,sys; r=h5py.File(sys.argv[1],'r')['tables/runs/columns/run'][:]; assert len(r) == 6, r" \
  "$tmp/runs.h5" || fail "concurrent appends lost a run"
[ -e "$tmp/runs.h5.lock" ] && fail "the writers' lock outlived the appends"
# A run killed while writing its checkpoint or its record leaves "<file>.tmp.<pid>.<n>": the next run
# removes those of writers that are gone (a checkpoint's could be gigabytes) and keeps a live one's.
true & dead=$!
wait "$dead"
mkdir "$tmp/stale"
touch "$tmp/stale/ck.tmp.$dead.3" "$tmp/stale/r.json.tmp.$dead.0" "$tmp/stale/ck.tmp.$$.1" "$tmp/stale/ck.other"
"$S" train --data markov "${tiny[@]}" --checkpoint "$tmp/stale/ck" -o "$tmp/stale/r.json" || fail "run beside stale temporaries"
left=$(cd "$tmp/stale" && ls | tr '\n' ' ')
[ "$left" = "ck.other ck.tmp.$$.1 r.json " ] || fail "after a run beside dead writers' temporaries: $left"
printf 'not hdf5' >"$tmp/bad.h5"
expect 2 "bad.h5" --data markov -o "$tmp/bad.h5"
# Ctrl-C on a run with a checkpoint: it stops after the step, saves its checkpoint there (the interval is a
# minute), says so and ends by the signal; the same command continues to the uninterrupted run's loss. It
# once died silently, losing the steps since the last checkpoint. (Background jobs of a script start with
# SIGINT ignored: env gives it back.)
long=(--data markov --layers 2 --d-model 64 --context 32 --batch 512 --tokens 600000 --peak 100 --evals 2 --val-tokens 1024)
"$S" train "${long[@]}" -q --json >"$tmp/long.json" || fail "the uninterrupted run"
env --default-signal=INT "$S" train "${long[@]}" --checkpoint "$tmp/int.ckpt" -o "$tmp/int.json" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 3000); do grep -q "^step [0-9]*/1171" "$tmp/err" && break; sleep 0.02; done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "Ctrl-C: exit $rc, want 130: $(cat "$tmp/err")"
grep -q "train: interrupted at step [0-9]* of 1171: checkpoint '$tmp/int.ckpt' keeps its steps: the same command continues the run" "$tmp/err" ||
  fail "Ctrl-C: $(tail -2 "$tmp/err")"
[ -e "$tmp/int.ckpt" ] && [ ! -e "$tmp/int.json" ] || fail "Ctrl-C: the checkpoint, and no record"
"$S" train "${long[@]}" -q --checkpoint "$tmp/int.ckpt" -o "$tmp/int.json" || fail "the run continued after Ctrl-C"
/usr/bin/python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); assert a['val_loss']==b['val_loss'], (a['val_loss'],b['val_loss'])" \
  "$tmp/int.json" "$tmp/long.json" || fail "the run continued after Ctrl-C has another loss"
# A checkpoint in a folder that does not exist is refused before training, as -o is: it once failed
# at the first checkpoint, a minute into the run, and the run was lost.
expect 4 "cannot write '$tmp/nodir/ck'" --data markov "${tiny[@]}" --checkpoint "$tmp/nodir/ck" -o "$tmp/nodir.json"
[ -e "$tmp/nodir" ] || [ -e "$tmp/nodir.json" ] && fail "the refused checkpoint left $(ls -d "$tmp"/nodir*)"

if [ -d /usr/share/doc/python3.11/html/_sources ]; then
  "$S" train --data corpus "${tiny[@]}" --json >"$tmp/c.json" || fail "corpus run failed"
  /usr/bin/python3 -c "import json,sys,math; r=json.load(open(sys.argv[1])); assert abs(r['val_bpb']-r['val_loss']/math.log(2))<1e-9; assert 'python3.11-doc' in r['data']['description']" \
    "$tmp/c.json" || fail "corpus record"
fi
echo ok
