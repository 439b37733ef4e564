#!/usr/bin/env bash
# report_frontier_published.sh: the published-laws frontier chart of a report (a spec without a fit)
# names each law as its paper is cited, and draws a law that gives only D* (Llama 3's D_opt) in the
# D* panel alone. It drew llama3_Dopt in the N* panel as C/(6 D*), a number Llama 3 never published,
# and its legend read raw laws.csv ids (hoffmann2022_approach3_unrounded); found looking at
# reports/published-laws/chart-frontier.svg of the main job. Checked in the SVG: the legend's texts,
# and the paths in Llama 3's colour in each panel's half of the 900 x 900 chart (the N panel above
# y = 450): in the N panel only the legend's short sample, in the D panel a line rising over the
# spec's budgets whose slope in pixels matches D* = 0.29 C^0.53 of laws.csv (its exponent, read here).
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
cat > "$tmp/laws.ini" <<'INI'
[report]
title = Published laws

[forecast]
published = hoffmann2022_approach3, hoffmann2022_approach3_unrounded, epoch2024_replication, llama3_Dopt
budgets = 1e21:1e26:6

[chart frontier]
kind = frontier
INI
"$SCALEFIT" report "$tmp/laws.ini" -o "$tmp/out" > /dev/null 2> "$tmp/err" || bad "report failed: $(cat "$tmp/err")"
svg=$(ls "$tmp"/out/*/chart-frontier.svg 2>/dev/null | head -1)
[ -s "$svg" ] || { bad "no chart-frontier.svg: $(cat "$tmp/err")"; exit 1; }
"$py" - "$svg" "$SF_SRC/datasets/laws.csv" <<'PY' && pass "readable law names; Llama 3's D* only in the D* panel, its slope laws.csv's" \
  || bad "the published-laws frontier chart"
import csv, math, re, sys
svg = open(sys.argv[1]).read()
texts = [t.strip() for t in re.findall(r">([^<>]+)</tspan>", svg)]
print("texts:", texts)
ids = [r["id"] for r in csv.DictReader(open(sys.argv[2]))]
assert not [t for t in texts if t in ids], "a raw laws.csv id in the chart"
for want in ("Hoffmann 2022 (appr. 3)", "Hoffmann 2022 (appr. 3, unrounded)", "Epoch 2024"):
    assert any(t.startswith(want) for t in texts), want
assert any("Llama 3" in t and "D* only" in t for t in texts), "Llama 3's legend entry says D* only"
law = {r["id"]: dict(kv.split("=") for kv in r["params"].split(";")) for r in csv.DictReader(open(sys.argv[2]))}
def colour(name):  # a legend entry's colour: the sample line drawn after its text
    at = svg.rindex(">" + name)
    return re.search(r"<path stroke='(rgb\([^)]*\))'", svg[at:]).group(1)
def paths(col):
    out = []
    for d in re.findall(r"<path stroke='" + re.escape(col) + r"'\s+d='([^']*)'", svg):
        pts = [tuple(map(float, p)) for p in re.findall(r"([\d.]+),([\d.]+)", d)]
        if len(pts) >= 2:
            out.append(pts)
    return out
llama = colour("Llama 3 (2024), D* only (lower panel)")
hoff = colour("Hoffmann 2022 (appr. 3)<")
print("colours: Llama 3", llama, "Hoffmann", hoff)
assert llama != hoff
flat = lambda p: max(y for _, y in p) - min(y for _, y in p) < 1 and max(x for x, _ in p) - min(x for x, _ in p) < 80
top = [p for p in paths(llama) if min(y for _, y in p) < 450]
assert all(flat(p) for p in top), ("Llama 3 drawn in the N panel", top)
line = lambda col: max([p for p in paths(col) if min(y for _, y in p) >= 450 and not flat(p)], key=len, default=None)
ll, hl = line(llama), line(hoff)
assert ll and hl, "Llama 3 or Hoffmann not drawn in the D panel"
# both over the same budgets: their rise in pixels is in the ratio of their exponents in C,
# Llama 3's alpha against Hoffmann's D* exponent alpha/(alpha+beta) from L = E + A/N^alpha + B/D^beta
assert abs(ll[0][0] - hl[0][0]) < 1 and abs(ll[-1][0] - hl[-1][0]) < 1, (ll[0], hl[0], ll[-1], hl[-1])
h = law["hoffmann2022_approach3"]
want = float(law["llama3_Dopt"]["alpha"]) / (float(h["alpha"]) / (float(h["alpha"]) + float(h["beta"])))
got = (ll[0][1] - ll[-1][1]) / (hl[0][1] - hl[-1][1])
print("D-panel rise, Llama 3 over Hoffmann:", got, "want", want)
assert abs(got / want - 1) < 0.02, (got, want)
PY
# The report's table keeps Llama 3's N* (C = 6ND's, C / (6 D*)), and says where it comes from: the chart
# leaves it out as unpublished, and the table gave it without a word.
"$py" - "$(dirname "$svg")" <<'PY' && pass "Llama 3's N* in the table is C / (6 D*), and said to be" \
  || bad "Llama 3's table"
import json, sys
r = json.load(open(sys.argv[1] + "/report.json"))
rows = [f for f in r["forecasts"] if f["law"] == "llama3_Dopt"]
assert rows, [f["law"] for f in r["forecasts"]]
for f in rows:
    assert abs(6 * f["N"]["value"] * f["D"]["value"] / f["C"] - 1) < 1e-9, f
md = open(sys.argv[1] + "/report.md").read().replace("\\", "")
part = md.split("### llama3_Dopt", 1)[1].split("|", 1)[0]
assert "N* = C / (6 D*), from C = 6ND" in part, part
PY
exit $fail
