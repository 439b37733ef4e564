#!/usr/bin/env bash
# sweep_file.sh: `scalefit sweep FILE.ini` and `--preset NAME`: a sweep file's runs are the union of
# its grids, the command line overrides its settings, bad files stop with FILE:LINE and exit 2
# before any training, and the shipped presets are found and listed.
set -u
S=${SCALEFIT:?}
. "$SF_SRC/tests/e2e/lib/run_checks.sh"
runs() { # the run names in a run file, one a line, sorted
  /usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); print('\n'.join(sorted(x.decode() for x in f['tables/runs/columns/run'][:])))" "$1"
}

cat >"$tmp/grid.ini" <<'INI'
# two grids sharing a run, on a Markov chain
[sweep]
description = e2e grid
context = 32
batch = 512
seed = 3
threads = 1
evals = 2
val_tokens = 1024

[data]
source = markov
markov_vocab = 32
markov_order = 1

[grid a]
sizes = 1x16, 1x32
tokens = 10240

[grid b]
sizes = 1x32
tokens = 10240, 20480
INI
"$S" sweep "$tmp/grid.ini" -o "$tmp/runs.h5" -n >"$tmp/plan" || fail "dry run of the file failed"
[ "$(grep -c todo "$tmp/plan")" = 3 ] || fail "the union of the grids is not 3 runs: $(cat "$tmp/plan")"
grep -q "markov-L1-d32-h1-T32-D10240-s3" "$tmp/plan" || fail "run names: $(cat "$tmp/plan")"
[ -e "$tmp/runs.h5" ] && fail "dry run wrote the run file"

"$S" sweep "$tmp/grid.ini" -o "$tmp/runs.h5" --peak 100 2>"$tmp/log" || fail "sweep of the file failed: $(cat "$tmp/log")"
[ "$(runs "$tmp/runs.h5" | wc -l)" = 3 ] || fail "run file: $(runs "$tmp/runs.h5")"
grep -q "^\[3/3\] " "$tmp/log" || fail "no plain progress line per run in a log: $(cat "$tmp/log")"
grep -q "holds all 3 runs" "$tmp/log" || fail "closing line: $(cat "$tmp/log")"
"$S" sweep "$tmp/grid.ini" -o "$tmp/runs.h5" -n | grep -c done | grep -qx 3 || fail "rerun does not see the runs done"
# The same grid from flags: the same settings, one run more (no union across flag lists).
"$S" sweep --data markov --markov-vocab 32 --markov-order 1 --sizes 1x16,1x32 --tokens 10240,20480 --context 32 \
  --batch 512 --seed 3 --threads 1 --evals 2 --val-tokens 1024 --peak 100 -q -o "$tmp/flags.h5" -n \
  | grep -c todo | grep -qx 4 || fail "flags grid"
# Command-line settings override the file's: another seed is another set of runs.
"$S" sweep "$tmp/grid.ini" --seed 4 --markov-order 2 -o "$tmp/runs.h5" -n >"$tmp/plan2" || fail "override"
[ "$(grep -c 'todo.*-s4 ' "$tmp/plan2")" = 3 ] || fail "--seed did not override the file: $(cat "$tmp/plan2")"
# A data option of another source than the sweep's (the file's, or --data's) is refused, as it is in a file;
# --data over the file's source drops the file's options of the other source.
expect 1 "digits applies to --data addition, and the data is markov" "$S" sweep "$tmp/grid.ini" --digits 2 -o "$tmp/runs.h5" -n
expect 1 "markov-seed applies to --data markov, and the data is corpus" "$S" sweep --sizes 1x32 --tokens 1e4 --markov-seed 2 -o "$tmp/runs.h5" -n
"$S" sweep "$tmp/grid.ini" --data addition -o "$tmp/runs.h5" -n >"$tmp/plan3" || fail "--data over the file's source"
grep -q 'todo  addition-' "$tmp/plan3" || fail "--data addition: $(cat "$tmp/plan3")"

# Refusals: exit 2 (bad input) or 1 (usage), before anything is written.
printf '[sweep]\ncontext = 32\n[grid]\nsizes = 2x64\ntokens = 1e5\nflops = 1e12\n' >"$tmp/bad.ini"
expect 2 "bad.ini:6: flops: a grid has tokens (token budgets) or flops (compute budgets), not both" \
  "$S" sweep "$tmp/bad.ini" -o "$tmp/bad.h5"
printf '[sweep]\nlearning_rate = 1e-3\n' >"$tmp/bad.ini"
expect 2 "bad.ini:2: unknown key 'learning_rate' in \[sweep\]" "$S" sweep "$tmp/bad.ini" -o "$tmp/bad.h5"
printf '[data]\nsource = markov\n[grid g]\nsizes = 2x64\nflops = 1e6\n' >"$tmp/bad.ini"
expect 2 "bad.ini:3: \[grid g\] size 2x64, budget 1e+06: compute budget 1e+06 is less than one batch" \
  "$S" sweep "$tmp/bad.ini" -o "$tmp/bad.h5"
[ -e "$tmp/bad.h5" ] && fail "a bad sweep file wrote the run file"
expect 2 "cannot open sweep file" "$S" sweep "$tmp/none.ini" -o "$tmp/bad.h5"
expect 1 "not both" "$S" sweep "$tmp/grid.ini" --preset tiny -o "$tmp/bad.h5"
expect 1 "grids of .* are edited in the file" "$S" sweep "$tmp/grid.ini" --sizes 2x64 -o "$tmp/bad.h5"
expect 1 "unknown preset 'huge' (presets in .*: default, tiny)" "$S" sweep --preset huge -o "$tmp/bad.h5"
expect 2 "batch 512 tokens is not a whole number of sequences of context 48" \
  "$S" sweep "$tmp/grid.ini" --context 48 -o "$tmp/bad.h5"
expect 2 "markov-order 9 is out of range" "$S" sweep "$tmp/grid.ini" --markov-order 9 -o "$tmp/bad.h5"
expect 2 "markov-seed 0 is out of range (1.." "$S" sweep "$tmp/grid.ini" --markov-seed 0 -o "$tmp/bad.h5"
expect 2 "peak and --checkpoint-every must be positive" "$S" sweep "$tmp/grid.ini" --peak 0 -o "$tmp/bad.h5"

# Presets: listed by --help, found through the data folder (SCALEFIT_DATA moves it).
"$S" sweep --help | grep -q "^  tiny .*6 runs" || fail "--help does not list the tiny preset"
"$S" sweep --help | grep -q "^  default " || fail "--help does not list the default preset"
"$S" sweep --preset tiny -n -o "$tmp/tiny.h5" >"$tmp/tiny" || fail "tiny preset dry run: $(cat "$tmp/tiny")"
[ "$(grep -c todo "$tmp/tiny")" = 6 ] || fail "tiny preset: $(cat "$tmp/tiny")"
grep -q "corpus-L4-d64-h1-T64-D600000-s1" "$tmp/tiny" || fail "tiny preset runs: $(cat "$tmp/tiny")"
mkdir -p "$tmp/data/sweeps"
cp "$tmp/grid.ini" "$tmp/data/sweeps/mine.ini"
SCALEFIT_DATA="$tmp/data" "$S" sweep --preset mine -n -o "$tmp/m.h5" | grep -c todo | grep -qx 3 || fail "preset from SCALEFIT_DATA"
n=$("$S" sweep --preset default -n -o "$tmp/d.h5" | grep -c todo)
[ "$n" -ge 12 ] && [ "$n" -le 16 ] || fail "default preset has $n runs"
echo ok
