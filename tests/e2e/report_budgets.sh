#!/usr/bin/env bash
# report_budgets.sh: budgets are listed ascending, each once, however the spec writes them. The
# tables and report.json listed them as written ("1e24, 1e21:1e23:3, 3e22, 1e22" read 1e24 first,
# 1e22 twice); a budget written twice (ranges that share an end) gave two identical rows. Checked
# against python's sorted(set()) of the written budgets, with Chinchilla's closed form (Hoffmann et al.
# 2022, appendix: N* = G (C/6)^(b/(a+b))) for each row's N*, so the rows are the budgets' own; the
# Markdown forecasts and cost tables in the same order; the note on the merged budget in both pages.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh" # $tmp, $PY, fails, fail(), need_py, need_cmd, skip
need_py 'numpy'
cat > "$tmp/b.ini" <<INI
[forecast]
published = hoffmann2022_approach3
budgets = 1e24, 1e21:1e23:3, 3e22, 1e22
[cost h]
gpu = h100
INI
"$SCALEFIT" report "$tmp/b.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/err" || { echo "FAIL: report exit $?: $(cat "$tmp/err")"; exit 1; }
"$PY" - "$tmp/rep/b" <<'PY' || fail "order"
import json, re, sys
d = sys.argv[1]
written = [1e24, 1e21, 1e22, 1e23, 3e22, 1e22]  # the spec's list, its range written out
want = sorted(set(written))
r = json.load(open(f"{d}/report.json"))
assert r["budgets"] == want and r["budgets_merged"] == len(written) - len(want), (r["budgets"], r["budgets_merged"])
fc = r["forecasts"]
assert [f["C"] for f in fc] == want, [f["C"] for f in fc]
p = r["published"]["hoffmann2022_approach3"]["params"]
a, b = p["alpha"], p["beta"]
G = (a * p["A"] / (b * p["B"])) ** (1 / (a + b))
for f in fc:
    N = G * (f["C"] / 6) ** (b / (a + b))
    assert abs(f["N"]["value"] / N - 1) < 1e-9, (f["C"], f["N"]["value"], N)
    assert [k for k in f["cost"]] == ["h"], f["cost"]
md = open(f"{d}/report.md").read()
def first_col(section):  # the budgets down a table's first column, after the heading
    part = md.split(section, 1)[1]
    rows = re.findall(r"^\| ([0-9.e+]+) \|", part.split("\n## ", 1)[0], re.M)
    return [float(x) for x in rows]
assert first_col("## Forecasts") == want, first_col("## Forecasts")
assert first_col("## Costs") == want, first_col("## Costs")
note = "Budgets are listed ascending, each once: 1 written more than once (%.2e) is listed once." % 1e22  # compute as every figure of it: 3 digits
assert note in md.replace("\\", ""), md[:2000]
assert note in open(f"{d}/index.html").read()
PY
[ "$fails" -eq 0 ]
