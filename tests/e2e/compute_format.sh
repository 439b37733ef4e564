#!/usr/bin/env bash
# compute_format.sh: one display style per column. Compute (FLOP) is shown in e-notation at every size,
# 3 significant digits with zeros kept (Python's "%.2e": 1.00e+21 over 3.16e+21; C's "%.3g" printed
# "1e+21" over "3.16e+21", two precisions in one column), in optimal, target, next, info and a report; a column of N or D (with its bands) is in k/M/B/T unless one figure of it reaches 1e15,
# where those stop, and then in e-notation throughout. Before, `optimal --compute 1e13,1e14,1e15` read
# "10T, 100T, 1e+15" down its C column, `info` showed C as "999B .. 10T" beside flops_6nd's
# "8.863e+11", and a far optimum's N band read "[30.7T, 378T]" over "[99.2T, 1.58e+15]".
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/expect.sh" # $tmp, fails, fail(), expect CODE FRAGMENT CMD...
H="$SF_SRC/datasets/sweep_default.h5"
"$SCALEFIT" fit "$H" --law chinchilla -o "$tmp/own.json" >/dev/null 2>&1 || fail "fit $H"

# optimal: C column "%.2e" of the budgets asked; each of N, D, the N band in one style
check_optimal() { # WHAT BUDGETS...: the table in $tmp/out
  $py - "$tmp/out" "$@" <<'PY' || fail "optimal $2: $(cat "$tmp/out")"
import re, sys
lines = [l.split() for l in open(sys.argv[1]) if re.match(r"^ +\d", l)]
budgets = [float(b) for b in sys.argv[3:]]
assert len(lines) == len(budgets), lines
si = re.compile(r"^-?[\d.]+[kMBT]?$")
sci = re.compile(r"^-?[\d.]+(e[+-]\d+)?$")
cols = {"C": [l[0] for l in lines], "N": [l[1] for l in lines], "D": [l[2] for l in lines],
        "N band": [l[7].strip("[,") for l in lines] + [l[8].strip("],") for l in lines]}
assert cols["C"] == ["%.2e" % c for c in budgets], (cols["C"], budgets)
for name, v in cols.items():
    e = [x for x in v if "e+" in x]
    assert not e or all(sci.match(x) and ("e+" in x or float(x) < 1e4) for x in v), (name, v)
    assert e or all(si.match(x) for x in v), (name, v)
PY
}
"$SCALEFIT" optimal "$tmp/own.json" --compute 1e13,1e14,1e15,1e16 >"$tmp/out" 2>/dev/null || fail "optimal own"
check_optimal own 1e13 1e14 1e15 1e16
# a far optimum: the N band's last end passes 1e15, so the whole band column is in e-notation
CH="${SF_SHARED:-}/chinchilla_svg_extracted.csv"
if [ -f "$CH" ]; then
  "$SCALEFIT" fit "$CH" --law chinchilla -o "$tmp/ch.json" >/dev/null 2>&1 || fail "fit $CH"
  "$SCALEFIT" optimal "$tmp/ch.json" --compute 1e24:1e30:7 >"$tmp/out" 2>/dev/null || fail "optimal chinchilla"
  check_optimal chinchilla 1e24 1e25 1e26 1e27 1e28 1e29 1e30
fi

# target: the compute and its band in e-notation
"$SCALEFIT" target "$tmp/own.json" --value 0.5 >"$tmp/out" 2>/dev/null || fail "target"
$py - "$tmp/out" <<'PY' || fail "target: $(cat "$tmp/out")"
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"^  C = (\S+) \[(\S+), (\S+)\] FLOP$", t, re.M)
assert m and all(re.match(r"^[\d.]+e\+\d+$", x) for x in m.groups()), t
v = re.search(r"reached at C = (\S+) FLOP", t).group(1)
assert v == m.group(1), (v, m.group(1))
PY

# info: C and flops_6nd (FLOP) as "%.2e" of their min and max, read here with h5py
"$SCALEFIT" info "$H" >"$tmp/out" 2>/dev/null || fail "info"
$py - "$tmp/out" "$H" <<'PY' || fail "info: $(cat "$tmp/out")"
import sys, h5py, numpy as np
rows = {l.split()[0]: l.split() for l in open(sys.argv[1]) if l.startswith("  ")}
with h5py.File(sys.argv[2]) as f:
    for col in ("C", "flops_6nd"):
        v = np.asarray(f["tables/runs/columns"][col], dtype=float)
        v = v[np.isfinite(v)]
        want = ["%.2e" % v.min(), "%.2e" % v.max()]
        assert rows[col][3:5] == want, (col, rows[col], want)
PY

# info: every column by its unit, not its name (N_nonembed, in parameters, read "6592" to
# "3.968e+05" beside N's "12.7k" to "446k"): parameters and tokens as counts (3 significant digits
# with k/M/B/T from 1e4, 4 below, trailing zeros kept; min and max a column: both in e-notation when one
# reaches 1e15, else both from 1e3 on in k/M/B/T when one reaches 1e4: "6.59k" to "397k", not "6592"), FLOP "%.2e",
# others "%.4g". The rule written again here in Python, over the run file and a CSV whose metrics
# carry those units (a tokens column that reaches 1e15, a FLOP metric, one in parameters).
printf 'run,N,D,loss,emb [parameters],seen [tokens],budget [FLOP],lr\na,6592,2e6,3,9999.6,5000,123,0.0003\nb,396800,3e9,2.5,12.3e6,2e15,4.56e20,12345\n' >"$tmp/units.csv"
for f in "$H" "$tmp/units.csv"; do
  "$SCALEFIT" info "$f" >"$tmp/out" 2>/dev/null || fail "info $f"
  $py - "$tmp/out" "$f" <<'PY' || fail "info by unit $f: $(cat "$tmp/out")"
import sys, re, h5py, numpy as np, pandas as pd
import math
def sig(v, d):  # d significant digits, trailing zeros kept, in %g's notation
    s = "%.*g" % (d, v)
    if "e" in s: return "%.*e" % (d - 1, v)
    a = abs(float(s))
    return "%.*f" % (max(0, d - 1 - math.floor(math.log10(a) + 1e-9)) if a else d - 1, v)
def count(v, sci, units):
    if sci: return "%.2e" % v
    if not units: return sig(v, 4)
    r = float("%.3g" % v)
    for scale, suf in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(r) >= scale: return sig(r / scale, 3) + suf
    return sig(v, 3)
out, path = sys.argv[1], sys.argv[2]
rows = {l.split()[0]: l.split() for l in open(out) if l.startswith("  ") and len(l.split()) >= 5}
cols = {}
if path.endswith(".h5"):
    with h5py.File(path) as f:
        for name, d in f["tables/runs/columns"].items():
            if d.dtype.kind == "f": cols[name] = (d.attrs.get("units", b""), np.asarray(d, dtype=float))
else:
    df = pd.read_csv(path)
    for h in df.columns[1:]:
        m = re.match(r"^(\S+)(?: \[(.*)\])?$", h)
        unit = m.group(2) or {"N": "parameters", "D": "tokens", "loss": "nats/token"}.get(m.group(1), "")
        cols[m.group(1)] = (unit, df[h].to_numpy(dtype=float))
checked = set()
for name, (unit, v) in cols.items():
    unit = unit.decode() if isinstance(unit, bytes) else unit
    v = v[np.isfinite(v)]
    if not len(v): continue
    lo, hi = v.min(), v.max()
    if unit == "FLOP": want = ["%.2e" % lo, "%.2e" % hi]
    elif unit in ("parameters", "tokens"):
        sci = max(abs(float("%.3g" % lo)), abs(float("%.3g" % hi))) >= 1e15
        units = max(abs(float("%.4g" % lo)), abs(float("%.4g" % hi))) >= 1e4
        want = [count(lo, sci, units), count(hi, sci, units)]
    else: want = ["%.4g" % lo, "%.4g" % hi]
    got = rows[name][3:5]  # name, unit ('-' if none), values, min, max[, derived]
    assert got == want, (name, unit, rows[name], want)
    checked.add(name)
need = {"N_nonembed", "N", "D"} if path.endswith(".h5") else {"emb", "seen", "budget", "lr", "N"}
assert need <= checked, checked
PY
done

# a report's forecast table: the budget column as optimal's
printf '[report]\ntitle = t\n[data]\nfile = %s\n[fit own]\nlaw = chinchilla\n[forecast]\nbudgets = 1e13, 1e14, 1e15\n' "$H" >"$tmp/r.ini"
"$SCALEFIT" report "$tmp/r.ini" -o "$tmp/rep" >/dev/null 2>&1 || fail "report"
for c in 1.00e+13 1.00e+14 1.00e+15; do
  grep -q "^| $c | " "$tmp/rep/r/report.md" || fail "report: no budget row '$c': $(grep -F 'budget C' -A4 "$tmp/rep/r/report.md")"
done

exit $fails
