#!/bin/bash
# forecast_turn_chance.sh: a chance level that looks too low, on the Observational Scaling Laws
# base-model evaluations (../shared/datasets; skipped without them). Winograd and XWinograd are
# binary choices (chance 0.5): under the default 0.25 no model scores below 0.325 and the lowest
# scores pile up at 0.5, so turn, plot turn and report warn, naming the lowest score, the runs
# near 0.5 and --chance 0.5 (reference counts from pandas on the CSV: Winograd's lowest 0.478,
# 23 of its 123 runs with compute in [0.45, 0.55]; XWinograd 0.476, 18 of 116). The 4-way controls
# (MMLU, ARC-C, HellaSwag under 0.25), the binary ones under 0.5 and the shipped published-models
# MMLU are not warned about.
set -u
OBS="$SF_SHARED/obsscaling_base_llm_benchmark_eval.csv"
[ -f "$OBS" ] || exit 77
. "$(dirname "$0")/lib/common.sh"
need_py
fail_fast
out=$tmp

# the reference counts, independently of scalefit
$PY - "$OBS" > "$out/ref.txt" <<'PY' || fail "pandas reference"
import sys, pandas as pd
d = pd.read_csv(sys.argv[1])
d = d[d["FLOPs (1E21)"].notna()]
for m in ("Winograd", "XWinograd"):
    y = d[m].dropna()
    print(m.lower(), len(y), "%.3g" % y.min(), int((y <= 0.55).sum()), int((y < 0.325).sum()))
PY
while read -r m n lowest near below; do
  "$SCALEFIT" turn "$OBS" --y $m --bootstrap 20 > "$out/w.txt" 2> "$out/w.err" || fail "$m: exit $?: $(cat "$out/w.err")"
  grep -q "verdict:" "$out/w.txt" || fail "$m: no result printed under the warning"
  grep -q "warning: turn: '.*obsscaling.*', $m: the chance level 0.25 looks too low: $below of $n runs score below 0.325 (lowest $lowest), while $near lie within 0.05 of 0.5, the chance level of a 2-way choice.*give --chance 0.5)" "$out/w.err" \
    || fail "$m warning: $(cat "$out/w.err")"
  "$SCALEFIT" turn "$OBS" --y $m --bootstrap 20 --json > "$out/w.json" 2> /dev/null || fail "$m --json"
  $PY - "$out/w.json" "$lowest" "$near" <<'PY' || fail "$m json"
import json, sys
c = json.load(open(sys.argv[1]))["chance_too_low"]
assert c["suggested_chance"] == 0.5 and c["n_near_chance"] == 0, c
assert "%.3g" % c["lowest"] == sys.argv[2] and c["n_near_suggested"] == int(sys.argv[3]), c
PY
  "$SCALEFIT" turn "$OBS" --y $m --chance 0.5 --bootstrap 20 > /dev/null 2> "$out/w5.err" || fail "$m --chance 0.5"
  [ -s "$out/w5.err" ] && fail "$m --chance 0.5 warned: $(cat "$out/w5.err")"
  "$SCALEFIT" turn "$OBS" --y $m --chance 0.5 --bootstrap 20 --json 2> /dev/null | grep -q '"chance_too_low": null' \
    || fail "$m --chance 0.5: chance_too_low not null"
done < "$out/ref.txt"
[ "$(wc -l < "$out/ref.txt")" = 2 ] || fail "reference: $(cat "$out/ref.txt")"

for m in mmlu arc_c hellaswag; do
  "$SCALEFIT" turn "$OBS" --y $m --bootstrap 20 > /dev/null 2> "$out/c.err" || fail "control $m: exit $?"
  [ -s "$out/c.err" ] && fail "control $m under 0.25 warned: $(cat "$out/c.err")"
done
"$SCALEFIT" turn "$SF_SRC/datasets/models.csv" --y mmlu --bootstrap 20 > /dev/null 2> "$out/c.err" || fail "models.csv"
[ -s "$out/c.err" ] && fail "published models' MMLU warned: $(cat "$out/c.err")"

# the chart and the report say it too
"$SCALEFIT" plot turn "$OBS" --y winograd -o "$out/w.svg" 2> "$out/p.err" || fail "plot turn: $(cat "$out/p.err")"
grep -q "warning: plot turn: .*winograd: the chance level 0.25 looks too low.*--chance 0.5" "$out/p.err" \
  || fail "plot turn warning: $(cat "$out/p.err")"
cat > "$out/w.ini" <<INI
[report]
title = Winograd under the default chance
[data]
file = $OBS
[turn wino]
y = winograd
bootstrap = 20
[turn mmlu]
y = mmlu
bootstrap = 20
INI
"$SCALEFIT" report "$out/w.ini" -o "$out/rep" > /dev/null 2>&1 || fail "report exit $?"
[ "$(grep -c 'warning:\*\* the chance level 0.25 looks too low' "$out/rep/w/report.md")" = 1 ] \
  || fail "report.md: $(grep -n warning "$out/rep/w/report.md")"
grep -q '<p class="warn" id="warn-[0-9]*">the chance level 0.25 looks too low' "$out/rep/w/index.html" || fail "index.html has no warning"
$PY - "$out/rep/w/report.json" <<'PY' || fail "report.json"
import json, sys
t = {x["name"]: x for x in json.load(open(sys.argv[1]))["turns"]}
assert "give chance = 0.5)" in t["wino"]["chance_warning"], t["wino"]  # the spec's key, not turn's --chance
assert t["mmlu"]["chance_warning"] is None, t["mmlu"]
PY
exit 0
