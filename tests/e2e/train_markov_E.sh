#!/usr/bin/env bash
# train_markov_E.sh: the irreducible loss E fitted on runs the trainer made lands within its
# bootstrap interval of the truth. A random order-1 Markov chain has an exactly known entropy rate
# (no model can do better); a sweep of token budgets on one model wide enough to represent the
# chain, then `fit --law power --x D` (L = E + A*D^-alpha) with a bootstrap, must give an interval
# for E that holds the entropy rate, and is narrow enough to mean something.
#
# The chain's own loss on the very validation tokens the runs are scored on (val_entropy) is
# printed beside it: the two differ only by the validation set's sampling noise.
# Statistical, about a minute of training: skipped under the sanitizers, where the same code paths
# run in train.sh and sweep.sh and the check would take five times as long.
set -u
S=${SCALEFIT:?}
[ "${SF_SANITIZED:-0}" = 1 ] && { echo "skip: statistical test, not run under the sanitizers"; exit 77; }
. "$(dirname "$0")/lib/common.sh"
fail_fast stderr

"$S" sweep --data markov --markov-order 1 --markov-alpha 0.3 --sizes 1x128 \
  --tokens 50000,70000,100000,140000,200000,280000,400000,560000,800000 \
  --context 32 --batch 512 --val-tokens 131072 --evals 1 --threads 1 --peak 100 -q -o "$tmp/m.h5" \
  || fail "markov sweep failed"
"$S" fit "$tmp/m.h5" --law power --x D --bootstrap 1000 --seed 1 --json >"$tmp/fit.json" || fail "fit failed"
/usr/bin/python3 - "$tmp/m.h5" "$tmp/fit.json" <<'PY' || fail "fitted E against the entropy rate"
import h5py, json, sys
c = h5py.File(sys.argv[1], "r")["tables/runs/columns"]
H, Hval = float(c["entropy_rate"][0]), float(c["val_entropy"][0])
fit = json.load(open(sys.argv[2]))
E, (lo, hi) = fit["params"]["E"], fit["ci"]["E"]
print(f"entropy rate {H:.5f}, chain's loss on the validation tokens {Hval:.5f}")
print(f"fitted E {E:.5f}, 95% bootstrap interval [{lo:.5f}, {hi:.5f}] ({len(c['loss'])} runs)")
print("losses:", " ".join(f"{x:.4f}" for x in c["loss"][:]))
assert all(x > Hval for x in c["loss"][:]), "a run beat the chain itself"
assert hi - lo < 0.05, "interval too wide to test anything"
assert lo <= H <= hi, "the entropy rate is outside the interval"
PY
echo ok
