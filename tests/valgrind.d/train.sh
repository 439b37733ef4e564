# valgrind.d/train.sh: `scalefit train` paths under valgrind (sourced by tests/valgrind.sh).
vg 0 train --data markov --layers 1 --d-model 16 --context 16 --batch 64 --tokens 640 --peak 100 --evals 1 \
  --val-tokens 64 -q --json
vg 0 train --data addition --digits 1 --layers 1 --d-model 16 --context 16 --batch 64 --tokens 640 --peak 100 \
  --evals 1 --val-tokens 64 -q -o "$tmp/run.json"
vg 2 train --d-model 100 --heads 3
vg 2 train --corpus-dir "$tmp/no-such-corpus"
vg 4 train --data markov -o "$tmp/no/such/dir/run.json"
vg 0 train --data markov --layers 1 --d-model 16 --context 16 --batch 64 --tokens 640 --peak 100 --evals 1 \
  --val-tokens 64 -q -o "$tmp/runs.h5"
vg 0 sweep --data markov --sizes 1x16 --tokens 640,1280 --context 16 --batch 64 --peak 100 --evals 1 \
  --val-tokens 64 -q -o "$tmp/runs.h5"
vg 0 sweep --data markov --sizes 1x16 --tokens 640,1280 --context 16 --batch 64 --peak 100 --evals 1 \
  --val-tokens 64 -n -o "$tmp/runs.h5"
# claims: the dry run shows one; a stale one (its pid gone from this host) is taken over
mkdir -p "$tmp/claim.h5.ckpt.d"
echo "$(uname -n) 999999999 0" >"$tmp/claim.h5.ckpt.d/markov-L1-d16-h1-T16-D640-s1.claim"
vg 0 sweep --data markov --sizes 1x16 --tokens 640 --context 16 --batch 64 --peak 100 --evals 1 \
  --val-tokens 64 -n -o "$tmp/claim.h5"
vg 0 sweep --data markov --sizes 1x16 --tokens 640 --context 16 --batch 64 --peak 100 --evals 1 \
  --val-tokens 64 -q -o "$tmp/claim.h5"
vg 1 sweep --sizes 2x -o "$tmp/runs.h5" --tokens 1e5
vg 2 sweep --data markov --sizes 1x16 --tokens 10 --context 16 -o "$tmp/runs2.h5"
vg 0 train --data markov --layers 1 --d-model 16 --context 16 --batch 64 --tokens 640 --peak 100 --evals 1 \
  --val-tokens 64 -q --checkpoint "$tmp/run.ckpt" --checkpoint-every 0.000001
printf '[sweep]\ncontext = 16\nbatch = 64\nevals = 1\nval_tokens = 64\n[data]\nsource = markov\n[grid a]\nsizes = 1x16\ntokens = 640\n[grid b]\nsizes = 1x16\ntokens = 640, 1280\n' >"$tmp/sweep.ini"
vg 0 sweep "$tmp/sweep.ini" --peak 100 -q -o "$tmp/file.h5"
vg 0 sweep --preset tiny -n -o "$tmp/tiny.h5"
printf '[sweep]\ncontext = 16\n[grid]\nsizes = 1x16\ntokens = 640\nflops = 1e9\n' >"$tmp/bad.ini"
vg 2 sweep "$tmp/bad.ini" -o "$tmp/bad.h5"
vg 0 sweep --help
