#!/usr/bin/env bash
# display_columns.sh: one rule per column, one style per cell. `optimal` formatted tokens/param row
# by row, its band ends at the value's places, so ends reached 5 digits ("280 [57, 798]" over
# "55.3 [29.9, 150.7]" over "2.17 [0.08, 456.06]"; now every figure to 3 significant digits); N just
# under 1e4 printed plain beside k-suffixed
# figures ("7721" over "174k", a band "[4570, 17.2k]"); a report's Targets table, in a column in
# e-notation, printed a band's clipped end 1 as "1.000" ("4.87e+14 [1.000, inf]"). Checked in python
# from the JSON's unrounded numbers: each printed figure is its number to the digits shown, and the
# figures of a column share one style.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh" # $tmp, $PY, fails, fail(), need_py
need_py
fit="$SF_SRC/tests/inputs/fit_own_sweep.json" # the own sweep's Chinchilla fit, 20 bootstrap refits
"$SCALEFIT" optimal "$fit" --compute 1e11:1e17:4 > "$tmp/o.txt" 2> /dev/null || fail "optimal exit $?"
"$SCALEFIT" optimal "$fit" --compute 1e11:1e17:4 --json > "$tmp/o.json" 2> /dev/null || fail "optimal --json exit $?"
cat > "$tmp/t.ini" <<INI
[data]
file = $SF_SRC/datasets/sweep_default.h5
[fit X]
law = chinchilla
[forecast]
targets = 0.076, 0.075
INI
"$SCALEFIT" report "$tmp/t.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/err" || fail "report exit $?: $(cat "$tmp/err")"

"$PY" - "$tmp/o.txt" "$tmp/o.json" "$tmp/rep/t/report.md" "$tmp/rep/t/report.json" <<'PY' || fail "columns against python"
import json, math, re, sys
UNIT = {"k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
FIG = r"(?:-|inf|[-0-9.]+(?:e[-+]\d+)?[kMBT]?)"

def style(s):
    """('e', mantissa places), ('f', decimal places), ('u', None), or None for -, inf"""
    if s in ("-", "inf"): return None
    if s[-1] in UNIT: return ("u", None)
    if "e" in s: return ("e", len(s.split("e")[0].partition(".")[2]))
    return ("f", len(s.partition(".")[2]))

def value(s):
    return float(s[:-1]) * UNIT[s[-1]] if s[-1] in UNIT else float(s)

def shown(s, v):  # the figure is v to the digits it shows
    if v is None or s == "inf": return s == "inf" and (v is None or math.isinf(v))
    mant = s.rstrip("kMBT").split("e")[0]
    digits = len(mant.replace("-", "").replace(".", "").lstrip("0")) or 1
    return abs(value(s) - v) <= 0.5 * 10 ** (math.floor(math.log10(abs(v))) - digits + 1) * (1 + 1e-9)

def cell(c):
    m = re.fullmatch(rf"({FIG})(?: \\?\[({FIG}), ({FIG})\\?\])?", c)
    assert m, c
    return [g for g in m.groups() if g is not None]

rows = [l.split() for l in open(sys.argv[1]) if re.match(r"^\s+\d\.\d\de\+\d\d ", l)]
opt = json.load(open(sys.argv[2]))["optima"]
assert len(rows) == len(opt) == 4, rows
tpp, tpp_want, ncol, nband = [], [], [], []
for r, o in zip(rows, opt):
    line = " ".join(r)
    m = re.match(rf"\S+ ({FIG}) ({FIG}) ({FIG} \[{FIG}, {FIG}\]) ({FIG}) (\[{FIG}, {FIG}\]|-) ", line)
    assert m, line
    figs = cell(m.group(3))
    want = [o["tokens_per_param"][k] for k in ("value", "lo", "hi")]
    for s, v in zip(figs, want): assert shown(s, v), ("tokens/param", s, v)
    tpp += figs
    tpp_want += want
    ncol.append((m.group(1), o["N"]["value"]))
    for s, v in zip(cell("0 " + m.group(5))[1:] if m.group(5) != "-" else [], [o["N"]["lo"], o["N"]["hi"]]):
        nband.append((s, v))
bad = []
# tokens/param: every figure, value and band ends, to 3 significant digits, whole from 100 on (a
# ratio's band spans decades: ends at the value's places read 0.08 and 456.06; at one precision down
# the column the own sweep's figures all went to e-notation)
def ratio(v):
    return "%.0f" % v if abs(float("%.3g" % v)) >= 100 else ("%#.3g" % v).rstrip(".")
for s, v in zip(tpp, tpp_want):
    if s != ratio(v): bad.append(("tokens/param not at 3 significant digits", s, v))
# N and its band: a column with a figure from 1e4 on puts every figure from 1e3 on in k/M/B/T
for col in (ncol, nband):
    assert any(v >= 1e4 for _, v in col), col
    for s, v in col:
        assert shown(s, v), (s, v)
        if v >= 999.5 and style(s) != ("u", None): bad.append(("plain beside k", s, v, col))
# the report's Targets: one style per cell (e-notation ends beside an e-notation value)
tg = json.load(open(sys.argv[4]))["targets"]
md = open(sys.argv[3]).read()
for t in tg:
    row = re.search(rf"^\| X \| loss {t['target']:g} \| ([^|]+) \| ([^|]+) \| ([^|]+) \|", md, re.M)
    assert row, (t, md)
    for k, c in zip("CND", row.groups()):
        figs = cell(c.strip())
        for s, v in zip(figs, [t[k]["value"], t[k]["lo"], t[k]["hi"]]): assert shown(s, v), (k, s, v)
        st = {style(s) for s in figs if style(s)}
        if "e" in {x[0] for x in st} and len(st) > 1: bad.append(("a cell in two styles", k, c))
assert any(t["N"]["value"] >= 1e15 for t in tg) and any(t["N"]["lo"] == 1 for t in tg), tg  # the premise
assert not bad, "\n".join(map(str, bad))
print("ok: one style per column and per cell")
PY
[ "$fails" -eq 0 ]
