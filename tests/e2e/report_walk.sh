#!/bin/bash
# report_walk.sh: what a new user's own specs met in `scalefit report` (a walk through docs/REPORT.md
# with realistic studies). Each check states what the docs promise and tests it against independent
# arithmetic or the exit-code table, never against scalefit's own printed figures:
#  - a chart that cannot be drawn for the spec's fit (a frontier of a law of C alone) is bad input,
#    exit 2, at the chart's line: it exited 1, the code of a command-line usage error
#  - report.json holds every figure of the page: each reached target's cost in every scenario
#    (accelerator-hours = C / (peak x MFU) / 3600, days over the accelerators, dollars) beside the
#    budgets' (the page's cost table listed target rows that report.json did not have)
#  - a spec's reader is told the spec's keys, not command-line flags a spec cannot give: the Huber
#    warning of a fit without refits asks for `bootstrap = K` in a report (`fit` keeps --bootstrap);
#    a [turn] whose chance level the runs contradict (refused) or that looks too low (warned) is told
#    `chance = X`, where `scalefit turn` says --chance X
#  - an accelerator without a peak at the precision asked: the message lists the precisions
#    datasets/accelerators.csv gives it (it said "try another --precision" under a spec)
#  - report.json holds the constants of each published law the page prints beside its forecasts
#    ("with E = 1.69, A = 406.4, ..."), equal to datasets/laws.csv's
#  - a scaling chart of a fit against an x its curve cannot follow (a law of N and D against N) is
#    refused at the chart's x line asking for x = C: it was refused at the header asking for --x C
set -u
. "$(dirname "$0")/lib/common.sh"
any_python
need_cmd gnuplot gnuplot-nox
fail_fast
w=$tmp
cd "$w" || fail "cd"
models="$SF_SRC/datasets/models.csv"

# 1. a frontier chart of a law of C alone: bad input (2), at the chart's fit line, no folder left
printf '[data]\nfile = %s\n[fit pc]\nlaw = power\ny = mmlu\n[chart f]\nkind = frontier\nfit = pc\n' "$models" > front.ini
"$SCALEFIT" report front.ini -o out1 > /dev/null 2> err1.txt
rc=$?
cat err1.txt
[ $rc -eq 2 ] || fail "frontier of a law of C: exit $rc, want 2 (bad input; 1 is a usage error)"
grep -q 'front.ini:8: \[chart f\]' err1.txt || fail "the message names the chart's fit line"
[ ! -e out1 ] || fail "a failed spec left $(ls -A out1)"

# 2. targets' costs in report.json, against the cost formula
cat > cost.ini <<SPEC
[forecast]
published = hoffmann2022_approach3, epoch2024_replication, llama3_Dopt
budgets = 1e22
targets = 2.0, 1.9
[cost a]
gpu = a100
mfu = 0.45
gpus = 1024
price = 1.8
[cost p]
peak_tflops = 100
SPEC
"$SCALEFIT" report cost.ini -o out2 > /dev/null || fail "cost.ini: exit $?"
"$PY" - out2/cost/report.json <<'PY' || fail "targets' costs in report.json"
import json, math, sys
j = json.load(open(sys.argv[1]))
sc = {s["name"]: s for s in j["cost_scenarios"]}
assert sc["a"]["peak_flops"] == 312e12 and sc["p"]["peak_flops"] == 100e12, sc  # datasets/accelerators.csv
reached = [t for t in j["targets"] if t["reached"] == 1]
assert len(reached) == 4, j["targets"]
def check(C, cost):
    for name, s in sc.items():
        h = C / (s["peak_flops"] * s["mfu"]) / 3600
        got = cost[name]
        assert math.isclose(got["gpu_hours"], h, rel_tol=1e-12), (name, got, h)
        if s["gpus"] is not None:
            assert math.isclose(got["days"], h / s["gpus"] / 24, rel_tol=1e-12), (name, got)
            assert math.isclose(got["dollars"], h * s["price_per_hour"], rel_tol=1e-12), (name, got)
        else:
            assert got["days"] is None and got["dollars"] is None, got
for t in reached:
    assert "cost" in t, f"target {t['law']} {t['target']} has no cost"
    check(t["C"]["value"], t["cost"])
for f in j["forecasts"]:
    check(f["C"], f["cost"])
print("ok:", len(reached), "targets and", len(j["forecasts"]), "budgets costed in report.json")
PY
"$PY" - out2/cost/report.json "$SF_SRC/datasets/laws.csv" <<'PY' || fail "published laws' constants in report.json"
import csv, json, math, sys
j = json.load(open(sys.argv[1]))
rows = {r["id"]: r for r in csv.DictReader(open(sys.argv[2]))}
pub = j.get("published")
assert pub and sorted(pub) == ["epoch2024_replication", "hoffmann2022_approach3", "llama3_Dopt"], pub
for law_id, p in pub.items():
    want = dict(kv.split("=") for kv in rows[law_id]["params"].split(";"))
    assert sorted(p["params"]) == sorted(want), (law_id, p)
    for k, v in want.items():
        assert math.isclose(p["params"][k], float(v), rel_tol=1e-12), (law_id, k, p["params"][k], v)
    assert p["output"] == rows[law_id]["output"], p
print("ok: published constants as in laws.csv")
PY
# 3. a Huber fit without a bootstrap: the warning names the spec's key in the report, the flag in `fit`
"$PY" - > noisy.csv <<'PY'
import random
random.seed(3)
print("run,C,loss")
for i in range(24):
    C = 10 ** (18 + 4 * i / 23)
    print(f"r{i},{C:.6g},{(2 + 40 * C ** -0.08) * (1 + random.gauss(0, 0.03)):.6g}")
PY
printf '[data]\nfile = noisy.csv\n[fit h]\nlaw = power\nloss = huber\ndelta = 1e-3\n' > huber.ini
"$SCALEFIT" report huber.ini -o out3 > /dev/null || fail "huber.ini: exit $?"
"$SCALEFIT" fit noisy.csv --law power --loss huber --delta 1e-3 > fit3.txt 2>&1 || fail "fit: exit $?"
grep -q 'huber loss: .* use --bootstrap for intervals' fit3.txt || fail "fit's Huber warning names --bootstrap"
for f in out3/huber/index.html out3/huber/report.md out3/huber/report.json; do
  grep -q 'huber loss: ' "$f" || fail "$f: no Huber warning"
  grep -q -e '--bootstrap' "$f" && fail "$f names the flag --bootstrap, which a spec cannot give"
  grep -q 'bootstrap = K' "$f" || fail "$f does not name the spec's key bootstrap = K"
done

# 4. a turn's chance level in the spec's words: refused (most runs far below it), warned (too low)
"$PY" - > bench.csv <<'PY'
import math
print("run,C,acc")
for i in range(40):                     # a 2-way choice: scores rise from 0.5 (as test_turn.c's)
    t = 18 + 7 * i / 39
    print(f"m{i},{10 ** t:.6g},{0.5 + 0.4 / (1 + math.exp(-1.5 * (t - 22.0))):.6g}")
PY
printf '[data]\nfile = bench.csv\n[turn]\ny = acc\nbootstrap = 0\nchance = 0.7\n' > high.ini
printf '[data]\nfile = bench.csv\n[turn]\ny = acc\nbootstrap = 0\nchance = 0\n' > low.ini
"$SCALEFIT" report high.ini -o out4 > /dev/null 2> err4.txt
rc=$?
cat err4.txt
[ $rc -eq 2 ] || fail "high.ini: exit $rc, want 2"
grep -q 'far under the chance level 0.7' err4.txt || fail "high.ini: not refused for the chance level"
grep -q -e '--chance' err4.txt && fail "high.ini: the refusal names --chance, which a spec cannot give"
grep -q 'chance = 0' err4.txt || fail "high.ini: the refusal does not name the key chance = 0"
"$SCALEFIT" report low.ini -o out4 > /dev/null || fail "low.ini: exit $?"
for f in out4/low/index.html out4/low/report.md out4/low/report.json; do
  grep -q 'looks too low' "$f" || fail "$f: no chance warning"
  grep -q -e '--chance' "$f" && fail "$f names --chance, which a spec cannot give"
  grep -q 'chance = 0.5' "$f" || fail "$f does not suggest chance = 0.5"
done
"$SCALEFIT" turn bench.csv --y acc --chance 0 --bootstrap 0 > /dev/null 2> turn4.txt || fail "turn: exit $?"
grep -q 'give --chance 0.5' turn4.txt || fail "scalefit turn's warning names --chance 0.5"

# 5. a precision the accelerator table lacks: the precisions it has, read from the table here
printf '[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost t]\ngpu = tpu-v4\nprecision = fp32\n' > prec.ini
"$SCALEFIT" report prec.ini -o out5 > /dev/null 2> err5.txt
rc=$?
cat err5.txt
[ $rc -eq 2 ] || fail "prec.ini: exit $rc, want 2"
has=$("$PY" - "$SF_SRC/datasets/accelerators.csv" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if "tpu-v4" in r["aliases"].split(";"):
        print(", ".join(p for p in ("bf16", "fp16", "tf32", "fp32") if r[p + "_tflops"].strip()))
PY
)
[ -n "$has" ] || fail "tpu-v4 not in accelerators.csv"
grep -q "prec.ini:6: .*no fp32 peak for 'TPU v4' (it lists $has)" err5.txt || fail "prec.ini: want the line and 'it lists $has'"
grep -q -e '--precision' err5.txt && fail "prec.ini: the message names --precision"

# 6. a scaling chart of a law of N and D against N
"$PY" - > nd.csv <<'PY'
print("run,N,D,loss")
for i in range(4):
    for k in range(4):
        N, D = 1e7 * 4 ** i, 2e8 * 4 ** k
        print(f"r{i}{k},{N:g},{D:g},{1.69 + 406.4 / N ** 0.34 + 410.7 / D ** 0.28:.6g}")
PY
printf '[data]\nfile = nd.csv\n[fit nd]\nlaw = chinchilla\n[chart s]\nkind = scaling\nfit = nd\n\nx = N\n' > xn.ini
"$SCALEFIT" report xn.ini -o out6 > /dev/null 2> err6.txt
rc=$?
cat err6.txt
[ $rc -eq 2 ] || fail "xn.ini: exit $rc, want 2"
grep -q "xn.ini:9: \[chart s\]: .*give x = C" err6.txt || fail "xn.ini: want the x line (9) and 'give x = C'"
grep -q -e '--x' err6.txt && fail "xn.ini: the message names --x"
[ ! -e out6 ] || fail "xn.ini left $(ls -A out6)"
# and an x that is no column at all is said to be missing, at the same line
printf '[data]\nfile = nd.csv\n[fit p]\nlaw = power\nx = D\n[chart s]\nkind = scaling\nfit = p\nx = tokens_seen\n' > xm.ini
"$SCALEFIT" report xm.ini -o out6 > /dev/null 2> err6.txt
rc=$?
cat err6.txt
[ $rc -eq 2 ] || fail "xm.ini: exit $rc, want 2"
grep -q "xm.ini:9: \[chart s\]: .*'tokens_seen' is not in table" err6.txt || fail "xm.ini: want the x line (9) and the column missing"

echo "ok: report_walk"
