#!/usr/bin/env bash
# report_forecast_same.sh: a report's [forecast] and `scalefit optimal` / `scalefit target` on the
# same fit give the same numbers (values, bands, decades beyond the data) and the same warnings. The
# shipped default sweep's L(N, D) spans C = 1e11 to 1e13: budgets 1e14 and 1e15 and the target loss
# 0.5 lie 1 to 2 decades beyond it, which the CLI warns about ("2 budgets put the optimum more than
# 1 decade beyond ..."); the report showed the decades in its table but never the warning.
set -u
: "${SCALEFIT:?}"
. "$(dirname "$0")/lib/common.sh"
need_py "" "skip: $py not installed"
fail_fast

cat > "$tmp/s.ini" <<INI
[report]
title = forecast against the CLI
[data]
file = $SF_SRC/datasets/sweep_default.h5
[fit ch]
law = chinchilla
[forecast]
budgets = 1e12, 1e13, 1e14, 1e15
targets = 1.0, 0.5
INI
"$SCALEFIT" report "$tmp/s.ini" -o "$tmp/rep" > /dev/null 2>&1 || fail "report exit $?"
"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law chinchilla -o "$tmp/f.json" > /dev/null 2>&1 || fail "fit exit $?"
"$SCALEFIT" optimal "$tmp/f.json" --compute 1e12,1e13,1e14,1e15 --json > "$tmp/o.json" 2> "$tmp/o.err" || fail "optimal exit $?"
: > "$tmp/t.err"
for v in 1.0 0.5; do
  "$SCALEFIT" target "$tmp/f.json" --value $v --json > "$tmp/t$v.json" 2>> "$tmp/t.err" || fail "target $v exit $?"
done
md="$tmp/rep/s/report.md"
[ -s "$tmp/o.err" ] || fail "optimal gave no warning: the test's premise"
grep -q "up to 2.0" "$tmp/o.err" || fail "optimal warning: $(cat "$tmp/o.err")"
# every CLI warning, word for word, in the report (markdown escapes nothing in these texts)
while IFS= read -r line; do
  w=${line#scalefit: warning: }
  grep -qF -- "$w" "$md" || fail "report lacks the CLI's warning '$w': $(grep -n warning "$md")"
done < <(cat "$tmp/o.err" "$tmp/t.err")
[ "$(grep -c '^scalefit: warning' "$tmp/t.err")" = 1 ] || fail "targets' warnings: $(cat "$tmp/t.err")"
# and the numbers
$py - "$tmp/rep/s/report.json" "$tmp/o.json" "$tmp/t1.0.json" "$tmp/t0.5.json" <<'PY' || fail "numbers differ"
import json, sys, math
r = json.load(open(sys.argv[1]))
o = json.load(open(sys.argv[2]))["optima"]
same = lambda a, b: (a is None and b is None) or abs(a - b) <= 1e-12 * abs(b)
assert len(r["forecasts"]) == len(o) == 4
for a, b in zip(r["forecasts"], o):
    assert a["C"] == b["C"]
    for ka, kb in (("N", "N"), ("D", "D"), ("tokens_per_param", "tokens_per_param"), ("value", "loss")):
        for q in ("value", "lo", "hi"):
            assert same(a[ka][q], b[kb][q]), (a["C"], ka, q, a[ka][q], b[kb][q])
    assert same(a["decades_beyond"], b["decades_beyond"]), (a, b)
for a, f in zip(r["targets"], sys.argv[3:]):
    b = json.load(open(f))
    for k in ("C", "N", "D"):
        for q in ("value", "lo", "hi"):
            assert same(a[k][q], b[k][q]), (a["target"], k, q, a[k][q], b[k][q])
    assert same(a["decades_beyond"], b["decades_beyond"]), (a, b)
PY

# and the displayed strings: a figure reads the same in the report as in the CLI (the report once
# rounded by its own rules: "1.8" days against "1.77 days", tokens per parameter "124.4 [75.5, 231.3]"
# against "124.35 [75.5, 231]", a loss band "[1.578, 1.778]" against "[1.5782, 1.7784]"). Both now
# format through the library (sf_fmt_value, sf_fmt_ratio); the fit here has delta-method bands, and
# Epoch's published law a target and costs on 4096 H100.
"$SCALEFIT" optimal "$tmp/f.json" --compute 1e12,1e13,1e14,1e15 > "$tmp/o.txt" 2> /dev/null || fail "optimal text"
"$SCALEFIT" target "$tmp/f.json" --value 1.0 > "$tmp/t.txt" 2> /dev/null || fail "target text"
cat > "$tmp/p.ini" <<INI
[forecast]
published = epoch2024_replication
budgets = 1e22, 1e23
targets = 2.0
[cost h100]
gpu = h100
gpus = 4096
price = 2.5
INI
"$SCALEFIT" report "$tmp/p.ini" -o "$tmp/rep" > /dev/null 2>&1 || fail "report p exit $?"
cost="--gpu h100 --gpus 4096 --price-per-hour 2.5"
"$SCALEFIT" optimal --published epoch2024_replication --compute 1e22,1e23 $cost > "$tmp/po.txt" 2> /dev/null ||
  fail "optimal published"
"$SCALEFIT" target --published epoch2024_replication --value 2.0 $cost > "$tmp/pt.txt" 2> /dev/null || fail "target published"
$py - "$md" "$tmp/o.txt" "$tmp/t.txt" "$tmp/rep/p/report.md" "$tmp/po.txt" "$tmp/pt.txt" <<'PY' || fail "displayed strings differ"
import re, sys
def md_rows(path):
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", open(path).read())
    return [[c.strip() for c in l.strip().strip("|").split("|")] for l in text.splitlines() if l.startswith("| ")]
def band(v, b):  # the CLI's "V" and "[LO, HI]" (or "-", "[-, -]": no band) as the report's cell
    return v if b in ("-", "[-, -]") else v + " " + b
row = re.compile(r"^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+(?: \[[^]]*\])?)\s+(\S+)\s+(\[[^]]*\]|-)\s+(\S+ dec|-)$")
def optimal(path):  # [(C, N, D, tpp, loss, N band, beyond, loss band, cost)]
    out = []
    for l in open(path).read().splitlines():
        m = row.match(l)
        if m and m.group(1) != "C":
            out.append(list(m.groups()) + ["-", None])
        elif l.startswith("    loss band "):
            out[-1][7] = l.split("band ", 1)[1]
        elif l.startswith("    cost: "):
            out[-1][8] = l
    return out
def target(path):  # "  C = 1.84e+13 [1.29e+13, 2.6e+13] FLOP": the report's cell, word for word, before the unit
    t = open(path).read()
    g = lambda k: re.search(r"^  %s = (.+?)(?: FLOP)?$" % k, t, re.M).group(1)
    c = re.search(r"^    cost: .*$", t, re.M)
    return [g(k) for k in ("C", "N", "D")], c and c.group(0)
def cost_cells(line):  # "    cost: 174k accelerator-hours, 1.77 days, $434k"
    m = re.match(r"    cost: (\S+) accelerator-hours, (\S+) days, \$(\S+)$", line)
    assert m, line
    return [m.group(1), m.group(2), "$" + m.group(3)]
checked = 0
for rep, cli in ((sys.argv[1], sys.argv[2]), (sys.argv[4], sys.argv[5])):
    rows = md_rows(rep)
    for C, N, D, tpp, loss, nb, beyond, lb, cst in optimal(cli):
        r = [x for x in rows if x[0] == C and len(x) >= 5]
        assert r, ("no report row for C", C, rows)
        r = r[0]
        assert r[1] == band(N, nb) or (nb == "-" and r[1].split(" [")[0] == N), ("N", r[1], N, nb)
        assert r[2].split(" [")[0] == D, ("D", r[2], D)
        assert r[3] == tpp, ("tokens per parameter", r[3], tpp)
        assert r[4] == band(loss, lb), ("loss", r[4], loss, lb)
        if beyond != "-": assert r[5] == beyond, ("beyond", r[5], beyond)
        if cst:
            c = [x for x in rows if x[0] == C and len(x) == 5 and x[1] == "budget"]
            assert c and c[0][2:] == cost_cells(cst), ("cost", c, cst)
        checked += 1
for rep, cli, law, v in ((sys.argv[1], sys.argv[3], "ch", "loss 1"), (sys.argv[4], sys.argv[6], "epoch2024_replication", "loss 2")):
    want, cst = target(cli)
    r = [x for x in md_rows(rep) if x[:2] == [law, v]]
    assert r and r[0][2:5] == want, ("target", r, want)
    if cst:
        c = [x for x in md_rows(rep) if len(x) == 5 and x[1] == law + " reaches " + v]
        assert c and c[0][2:] == cost_cells(cst), ("target's cost", c, cst)
    checked += 1
assert checked == 8, checked
PY
grep -qF "1.77" "$tmp/rep/p/report.md" || fail "days of the published target: $(grep reaches "$tmp/rep/p/report.md")"
# a target without a band (published constants) printed "C = 2.47e+23 FLOP  [-, -]" where the
# report's cell is "2.47e+23": both now show the value alone, as sf_fmt_band does
grep -qF -- "-, -" "$tmp/pt.txt" && fail "target prints an empty band: $(cat "$tmp/pt.txt")"
grep -q "^  C = [^ []* FLOP$" "$tmp/pt.txt" || fail "published target's C: $(cat "$tmp/pt.txt")"

# a target that is not reached: the report used the words "never (below the law's floor)" for every
# case, also for power0 (A*C^-alpha, no floor at all), where `scalefit target` says "not reached
# below 1e+40 FLOP"; and for a target under chinchilla's E the CLI names E. Both now say the same.
cat > "$tmp/u.ini" <<INI
[report]
title = unreached targets
[data]
file = $SF_SRC/datasets/sweep_default.h5
[fit p0]
law = power0
[fit ch]
law = chinchilla
[forecast]
budgets = 1e13
targets = 1e-9
INI
"$SCALEFIT" report "$tmp/u.ini" -o "$tmp/rep" > /dev/null 2>&1 || fail "report u exit $?"
"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law power0 -o "$tmp/p0.json" > /dev/null 2>&1 || fail "fit p0"
# the markdown escapes a band's brackets (E's, in the verdict): compared with them unescaped
sed 's/\\\[/[/g; s/\\\]/]/g' "$tmp/rep/u/report.md" > "$tmp/u.md"
for f in p0 f; do
  v=$("$SCALEFIT" target "$tmp/$f.json" --value 1e-9 2> /dev/null | sed -n 's/^target loss = 1e-09: //p')
  [ -n "$v" ] || fail "target $f: no verdict"
  grep -qF -- "| $v |" "$tmp/u.md" || fail "report lacks target $f's verdict '$v': $(grep 1e-09 "$tmp/u.md")"
done
grep -q "not reached below 1e+40 FLOP" "$tmp/rep/u/report.md" || fail "power0's verdict"

# predict printed its value and band with %.6g ("1.07997  0.906567  1.28628") where the report's
# [forecast] of the same law of C shows "1.08 [0.9066, 1.286]": predict now follows the display
# rule too (sf_fmt_value). The same power0 fit, at the report's budget 1e13.
"$SCALEFIT" predict "$tmp/p0.json" --at C=1e13 > "$tmp/pp.txt" 2> /dev/null || fail "predict p0"
$py - "$tmp/rep/u/report.md" "$tmp/pp.txt" <<'PY' || fail "predict's figures differ from the report's"
import re, sys
text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", open(sys.argv[1]).read())
rows = [[c.strip() for c in l.strip().strip("|").split("|")] for l in text.splitlines() if l.startswith("| ")]
cli = [l.split() for l in open(sys.argv[2]).read().splitlines()]
hdr = [i for i, l in enumerate(cli) if l[:2] == ["C", "loss"]]
assert hdr, cli
C, v, lo, hi = cli[hdr[0] + 1][:4]
cell = v if lo == "-" else "%s [%s, %s]" % (v, lo, hi)
r = [x for x in rows if x[0] == C and len(x) == 3]
assert r, ("no report row for C", C, rows)
assert r[0][1] == cell, ("predict", r[0][1], cell)
PY
grep -q "at or below the fitted irreducible loss E = " "$tmp/rep/u/report.md" || fail "chinchilla's verdict"
exit 0
