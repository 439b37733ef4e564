#!/usr/bin/env bash
# report_targets.sh: a report's targets are listed as its budgets are: each once, in the order of the
# compute they take (the highest loss first, so that compute grows down the Targets table as down the
# Forecasts one), with a note on a target written twice. They were listed as the spec wrote them
# ("2.0, 2.2, 2.1") and a repeat gave two identical rows. Checked against python's
# sorted(set(), reverse=True) of the written targets, and each row's compute against Chinchilla's
# closed form (Hoffmann et al. 2022: the compute-optimal loss at C, solved for the target by bisection
# in python), so that the rows are the targets' own; the Markdown table in the same order, and the note.
# Then targets on a metric that rises with compute (MMLU against C), listed from the lowest up.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh" # $tmp, $PY, fails, fail(), need_py
need_py
cat > "$tmp/t.ini" <<INI
[forecast]
published = hoffmann2022_approach3
targets = 2.0, 2.2, 2.1, 2.0
INI
"$SCALEFIT" report "$tmp/t.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/err" || { echo "FAIL: report exit $?: $(cat "$tmp/err")"; exit 1; }
"$PY" - "$tmp/rep/t" <<'PY' || fail "targets' order"
import json, math, re, sys
d = sys.argv[1]
written = [2.0, 2.2, 2.1, 2.0]
want = sorted(set(written), reverse=True)
r = json.load(open(f"{d}/report.json"))
tg = r["targets"]
assert [t["target"] for t in tg] == want, [t["target"] for t in tg]
assert r["target_values"] == want and r["targets_merged"] == len(written) - len(want), (r.get("target_values"), r.get("targets_merged"))
p = r["published"]["hoffmann2022_approach3"]["params"]
E, A, B, a, b = (p[k] for k in ("E", "A", "B", "alpha", "beta"))
G = (a * A / (b * B)) ** (1 / (a + b))
def loss(C):  # the compute-optimal loss at C under C = 6ND
    N = G * (C / 6) ** (b / (a + b)); D = C / (6 * N)
    return E + A * N ** -a + B * D ** -b
for t in tg:
    lo, hi = 1e10, 1e40
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if loss(mid) > t["target"] else (lo, mid)
    assert abs(t["C"]["value"] / lo - 1) < 1e-6, (t["target"], t["C"]["value"], lo)
Cs = [t["C"]["value"] for t in tg]
assert Cs == sorted(Cs), Cs  # compute grows down the table
md = open(f"{d}/report.md").read()
part = md.split("## Targets", 1)[1].split("\n## ", 1)[0]
rows = [float(x) for x in re.findall(r"^\| [^|]+ \| loss ([0-9.]+) \|", part, re.M)]
assert rows == want, rows
assert "Targets are listed from the highest (the least compute) down, each once: 1 written more than once (2) is listed once." in part, part
print("ok: targets descending, each once, each row its own target's compute")
PY

# A metric that rises with compute (an accuracy, a law of C): the least compute reaches the lowest target,
# so its rows go from the lowest up. They were listed as a loss's, highest first, and the compute needed
# fell down the table (sigmoid on MMLU against C: 0.7 at 1.05e24 FLOP above 0.6 at 3.26e23). Each row's
# compute against scipy's brentq on the law's formula (`scalefit laws`) with the fit's parameters.
cat > "$tmp/acc.ini" <<INI
[data]
file = $SF_SRC/datasets/models.csv

[fit sig]
law = sigmoid
x = C
y = mmlu

[fit lin]
law = loglinear
x = C
y = mmlu

[forecast]
targets = 0.7, 0.6, 0.65, 0.7
INI
"$SCALEFIT" report "$tmp/acc.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/err" || { echo "FAIL: report exit $?: $(cat "$tmp/err")"; exit 1; }
"$PY" - "$tmp/rep/acc" <<'PY' || fail "rising metric's targets"
import json, math, re, sys
from scipy.optimize import brentq
d = sys.argv[1]
r = json.load(open(f"{d}/report.json"))
def sig(p, C):
    return p["lo"] + (p["hi"] - p["lo"]) / (1 + math.exp(-p["k"] * (math.log10(C) - p["x0"])))
def lin(p, C):
    return p["a"] + p["b"] * math.log10(C)
laws = {"sig": sig, "lin": lin}
want = sorted({0.7, 0.6, 0.65})
for name, f in laws.items():
    p = r["fits"][name]["params"]
    assert f(p, 1e30) > f(p, 1e15), (name, p)  # the fit rises with compute, as MMLU does
    tg = [t for t in r["targets"] if t["law"] == name]
    assert [t["target"] for t in tg] == want, (name, [t["target"] for t in tg])
    for t in tg:
        assert t["reached"] == 1, t
        lc = brentq(lambda x: f(p, 10 ** x) - t["target"], 10, 40, xtol=1e-14)
        assert abs(t["C"]["value"] / 10 ** lc - 1) < 1e-6, (name, t["target"], t["C"]["value"], 10 ** lc)
    Cs = [t["C"]["value"] for t in tg]
    assert Cs == sorted(Cs), (name, Cs)  # compute grows down the table
md = open(f"{d}/report.md").read()
part = md.split("## Targets", 1)[1].split("\n## ", 1)[0]
rows = re.findall(r"^\| (sig|lin) \| mmlu ([0-9.]+) \| ([0-9.e+]+)[^|]*\|", part, re.M)
for name in laws:
    Cs = [float(c) for n, t, c in rows if n == name]
    assert [float(t) for n, t, c in rows if n == name] == want and Cs == sorted(Cs), (name, rows)
assert "Targets are listed from the lowest (the least compute) up, as the law rises with compute, each once: 1 written more than once (0.7) is listed once." in part, part
print("ok: a rising metric's targets ascending, compute ascending, each row brentq's root of its law")
PY
[ "$fails" -eq 0 ]
