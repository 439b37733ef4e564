#!/bin/bash
# forecast_partial.sh: a forecast whose later row fails prints nothing on stdout (no header, no
# earlier rows, no half a JSON document), whatever the row's place in the list; the error names it.
set -u
. "$(dirname "$0")/lib/common.sh"
need_py
fail_fast
out=$tmp
FIT="$SF_INPUTS/fit_own_sweep.json"

# nothing_out CODE NEEDLE COMMAND...: exit CODE, the message holds NEEDLE, stdout is empty
nothing_out() {
  local code=$1 needle=$2; shift 2
  "$@" > "$out/stdout" 2> "$out/err"; local rc=$?
  [ $rc -eq "$code" ] || fail "$* exited $rc, want $code ($(cat "$out/err"))"
  grep -q -- "$needle" "$out/err" || fail "$*: message lacks '$needle': $(cat "$out/err")"
  [ -s "$out/stdout" ] && fail "$*: a failed forecast printed $(wc -l < "$out/stdout") lines: $(head -3 "$out/stdout")"
  return 0
}

# optimal: the law is flat to rounding at 1e300 FLOP (the numeric path refuses that budget)
nothing_out 3 "flat to rounding along C = 1e+300" "$SCALEFIT" optimal "$FIT" --compute 1e13,1e300 --numeric
nothing_out 3 "flat to rounding" "$SCALEFIT" optimal "$FIT" --compute 1e13,1e300 --numeric --json
nothing_out 3 "flat to rounding" "$SCALEFIT" optimal "$FIT" --compute 1e12,1e13,1e300 --numeric --gpu h100
# a budget too small for the attention term alone, after a good one
nothing_out 1 "too small for any model" "$SCALEFIT" optimal --published epoch2024_replication \
  --compute 1e24,1e10 --attention 80:8192:8192
# -o is not written either
"$SCALEFIT" optimal "$FIT" --compute 1e13,1e300 --numeric -o "$out/o.json" > /dev/null 2>&1
[ -e "$out/o.json" ] && fail "optimal -o wrote a file for a failed budget"

# predict: a law undefined at the second point (log(0.5) < 0 to the power -alpha)
cat > "$out/logc.json" <<'JSON'
{"format": "scalefit-fit", "version": 1, "law": "formula", "formula": "loss = E + A*log(C)^-alpha",
 "vars": ["C"], "y": "loss", "param_order": ["E", "A", "alpha"], "params": {"E": 1.7, "A": 10, "alpha": 0.5},
 "data": {"range": {"C": [1e19, 1e23]}}}
JSON
nothing_out 3 "undefined at C = 0.5" "$SCALEFIT" predict "$out/logc.json" --at C=1e20 --at C=0.5
nothing_out 3 "undefined at C = 0.5" "$SCALEFIT" predict "$out/logc.json" --at C=1e20 --at C=0.5 --json
nothing_out 3 "undefined at C = 0.5" "$SCALEFIT" predict "$out/logc.json" --at C=1e20 --at C=0.5 --gpu h100
# the same law in the second stage of a two-stage forecast (its variable is stage 1's loss)
sed 's/log(C)/log(loss)/; s/"C"\]/"loss"]/; s/"y": "loss"/"y": "acc"/; s/"loss = /"acc = /; s/"C": \[1e19, 1e23\]/"loss": [1, 4]/' \
  "$out/logc.json" > "$out/two.json"
# stage 1: loss = 1e4 C^-0.2, 2.51 at C = 1e18 and 0.63 at 1e21, where log(loss) < 0 has no power -0.5
cat > "$out/small.json" <<'JSON'
{"format": "scalefit-fit", "version": 1, "law": "power0", "vars": ["C"], "y": "loss",
 "param_order": ["A", "alpha"], "params": {"A": 1e4, "alpha": 0.2}, "data": {"range": {"C": [1e19, 1e23]}}}
JSON
nothing_out 3 "undefined" "$SCALEFIT" predict "$out/small.json" --then "$out/two.json" --at C=1e18 --at C=1e21
# the good points alone still print
"$SCALEFIT" predict "$out/logc.json" --at C=1e20 > "$out/ok.txt" 2>&1 || fail "one good point exit $?"
grep -q "inside" "$out/ok.txt" || fail "good point: $(cat "$out/ok.txt")"
echo ok
