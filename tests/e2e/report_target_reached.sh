#!/usr/bin/env bash
# report_target_reached.sh: a target met already at the bottom of the search (report.json `reached` -1) is a
# bound, not a forecast: `scalefit target` prints no band for it, but report.json and `target --json` gave
# C, N and D a band over the refits that disagree with the verdict (the others were left out as unsolved),
# and report.json gave as C's value the bottom budget, target --json null. A Chinchilla fit of the shipped
# sweep with 20 refits and the target loss 100: checked in python from the report's own fit (Hoffmann et
# al. 2022, Eq. 4, at the budget where N* or D* is 1) that the fit meets it there, then that neither JSON
# has a band, both give the same verdict naming that budget, and the pages show no band.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh" # $tmp, $PY, fails, fail(), need_py, need_cmd, skip
need_py 'numpy'

cat > "$tmp/s.ini" <<INI
[data]
file = $SF_SRC/datasets/sweep_default.h5
[fit ch]
law = chinchilla
bootstrap = 20
[forecast]
targets = 100, 4
INI
"$SCALEFIT" report "$tmp/s.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/err" || { echo "FAIL: report exit $?: $(cat "$tmp/err")"; exit 1; }
rep="$tmp/rep/s"
"$PY" -c 'import json, sys; json.dump(json.load(open(sys.argv[1]))["fits"]["ch"], open(sys.argv[2], "w"))' \
  "$rep/report.json" "$tmp/ch.json" || fail "the report's fit as a fit file"
"$SCALEFIT" target "$tmp/ch.json" --value 100 --json > "$tmp/t.json" 2> "$tmp/err" || fail "target --json exit $?: $(cat "$tmp/err")"
"$SCALEFIT" target "$tmp/ch.json" --value 100 > "$tmp/t.txt" 2> "$tmp/err" || fail "target exit $?: $(cat "$tmp/err")"

"$PY" - "$rep/report.json" "$tmp/t.json" <<'PY' || fail "report.json and target --json against python"
import json, sys
r = json.load(open(sys.argv[1]))
fit = r["fits"]["ch"]
p = [fit["params"][k] for k in fit["param_order"]]

def optimum(p, C):  # Hoffmann et al. 2022, Eq. 4
    E, A, B, a, b = p
    G = (a * A / (b * B)) ** (1 / (a + b))
    N = G * (C / 6) ** (b / (a + b))
    return E + A / N ** a + B / (C / 6 / N) ** b

def bottom(p):  # the smallest budget whose optimum has N* >= 1 and D* >= 1 (D* = (C/6)/N*), or 6 FLOP
    E, A, B, a, b = p
    G = (a * A / (b * B)) ** (1 / (a + b))
    return 6 * max(1, G ** (-(a + b) / b), G ** ((a + b) / a))

assert optimum(p, bottom(p)) < 100, optimum(p, bottom(p))  # the premise: the fit meets 100 at its bottom
tg = {t["target"]: t for t in r["targets"]}
t, c = tg[100], json.load(open(sys.argv[2]))
assert t["reached"] == -1, t
where = "%.3g FLOP" % bottom(p)
for name, x in (("report.json", t), ("target --json", c)):
    assert where in x["verdict"] and x["verdict"].startswith("already reached"), (name, x["verdict"], where)
    for k in "CND":  # no forecast, no band: every figure null, nothing said of a band
        assert x[k] == {"value": None, "lo": None, "hi": None}, (name, k, x[k])
assert t["verdict"] == c["verdict"], (t["verdict"], c["verdict"])
assert t["refits_unsolved"] == c["refits_unsolved"], (t["refits_unsolved"], c["refits_unsolved"])
# the reached target keeps its band, as target gives it
assert tg[4]["reached"] == 1 and tg[4]["C"]["lo"] < tg[4]["C"]["value"] < tg[4]["C"]["hi"], tg[4]
PY
# the pages' structure; report.md's compute column, holding a verdict, aligned left (it was right-aligned)
"$PY" "$SF_SRC/tests/e2e/lib/report_check.py" "$tmp/rep" || fail "report_check"
# target's text and both pages: the verdict, no band, no note about refits for this target
grep -q '^  C = ' "$tmp/t.txt" && fail "target prints a C line: $(cat "$tmp/t.txt")"
row=$(grep -F '| loss 100 |' "$rep/report.md")
case "$row" in *"already reached at"*"| - | - |"*) ;; *) fail "report.md row: $row" ;; esac
case "$row" in *"["*) fail "report.md row has a band: $row" ;; esac
grep -q 'loss 100: .*refits could not be solved' "$rep/report.md" && fail "a refit note for a target met already"
[ "$fails" -eq 0 ]
