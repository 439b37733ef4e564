#!/bin/bash
# forecast_twostage.sh: predict --then reports how far beyond the data each stage is: the point
# against the first fit's runs, and the first stage's value (the loss) against the losses the
# second fit saw; a loss outside them is warned about. Numbers by hand from the fits' constants.
set -u
. "$(dirname "$0")/lib/common.sh"
need_py
fail_fast
out=$tmp
S1="$SF_INPUTS/fit_loss_of_c.json"   # loss = 1.7 + 2000 C^-0.15, fitted on C in [1e19, 1e23]
S2="$SF_INPUTS/fit_acc_of_loss.json" # acc of loss, fitted on losses in [1.9, 3.5]

"$SCALEFIT" predict "$S1" --then "$S2" --at C=1e20 --at C=1e22 --at C=1e28 --json > "$out/p.json" 2> "$out/err" \
  || fail "exit $?: $(cat "$out/err")"
$PY - "$out/p.json" <<'PY' || fail "stage 2's range"
import json, sys, math
p = json.load(open(sys.argv[1]))["predictions"]
L = [1.7 + 2000 * c ** -0.15 for c in (1e20, 1e22, 1e28)]    # 3.70, 2.70, 1.83
assert all(abs(q["stage1"]["value"] - l) < 1e-12 for q, l in zip(p, L))
# stage 1: 1e20 and 1e22 lie inside [1e19, 1e23], 1e28 five decades out
assert [q["decades_beyond"] for q in p] == [0, 0, 5], [q["decades_beyond"] for q in p]
# stage 2: 3.70 is above 3.5, 2.70 inside, 1.83 below 1.9 (it was not reported at all)
want = [math.log10(L[0] / 3.5), 0, math.log10(1.9 / L[2])]
got = [q["stage2_decades_beyond"] for q in p]
assert all(abs(g - w) < 1e-12 for g, w in zip(got, want)), (got, want)
PY
grep -q "2 points put loss outside the range '$S2' was fitted on (1.9 to 3.5" "$out/err" \
  || fail "no stage-2 warning: $(cat "$out/err")"
"$SCALEFIT" predict "$S1" --then "$S2" --at C=1e20 > "$out/p.txt" 2>/dev/null || fail "text exit $?"
grep -q "inside; loss 3.7 outside \[1.9, 3.5\]" "$out/p.txt" || fail "text: $(cat "$out/p.txt")"
# inside both ranges: no warning
"$SCALEFIT" predict "$S1" --then "$S2" --at C=1e22 > "$out/p.txt" 2> "$out/err" || fail "exit $?"
[ -s "$out/err" ] && fail "warning inside both ranges: $(cat "$out/err")"
grep -q "inside; inside" "$out/p.txt" || fail "text: $(cat "$out/p.txt")"
echo ok

# a second stage of compute fed the first stage's loss printed a "loss" of 1645 from C = 3.7 FLOP,
# exit 0, after a warning: refused now (exit 2), naming the file, and nothing printed
"$SCALEFIT" predict "$SF_INPUTS/fit_loss_of_c.json" --then "$SF_INPUTS/fit_loss_of_c.json" --at C=1e20 \
  > "$out/lc.out" 2> "$out/lc.err"
rc=$?
[ "$rc" = 2 ] || fail "--then a law of C after a loss: exit $rc, want 2: $(cat "$out/lc.out" "$out/lc.err")"
[ -s "$out/lc.out" ] && fail "--then a law of C after a loss printed: $(cat "$out/lc.out")"
grep -q "fit_loss_of_c.json' is a law of C, but the first stage predicts loss" "$out/lc.err" || fail "message: $(cat "$out/lc.err")"
