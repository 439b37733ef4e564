#!/usr/bin/env bash
# plot_compute_figures.sh: a compute figure on a chart reads as the CLI prints compute, %.2e with its
# zeros kept (docs/FORMAT.md, sf_fmt_compute: "1.00e+21", "3.80e+25"). The isoflop chart named its
# bins "C = 3.0e18" in the legend (%.1e, its '+' dropped), "C = 2.1e+18" in the subtitle, and
# "compute bin C = 1.3e+22" / "2.11e+18" in its note on stderr (%.3g): three precisions for one number,
# none of them the CLI's; found drawing the isoflop chart of the Chinchilla data beside `scalefit optimal`.
# The reference is Python's '%.2e' of each bin's geometric mean C, computed here from the CSV.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot

# five budgets, a decade or so apart (each its own bin): three with an interior minimum, one whose
# loss falls with N across the bin (no interior minimum), one of a single run (no parabola)
"$py" - "$tmp/iso.csv" <<'PY'
import math, sys
rows = ["name,N,D,C,loss"]
def add(C, Ns, loss):
    for N in Ns:
        rows.append("r%d,%.6g,%.17g,%.17g,%.6g" % (len(rows), N, C / (6 * N), C, loss(N)))
for C, Nopt in ((1.2e18, 1e8), (3.7e18, 2e8), (2.05e19, 5e8)):
    add(C, [Nopt / 4, Nopt / 2, Nopt, Nopt * 2, Nopt * 4],
        lambda N, C=C, Nopt=Nopt: 3.5 - 0.3 * math.log10(C / 1e18) + 0.4 * math.log10(N / Nopt) ** 2)
add(1.5e20, [1e8, 2e8, 4e8, 8e8], lambda N: 3.2 - 0.1 * math.log10(N / 1e8))
add(9.9e20, [2e9], lambda N: 2.5)
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
for ext in png svg pdf; do
  "$SCALEFIT" plot isoflop "$tmp/iso.csv" --script -o "$tmp/iso.$ext" >"$tmp/out" 2>"$tmp/err.$ext" ||
    bad "plot isoflop -o iso.$ext: $(cat "$tmp/err.$ext")"
done
"$py" - "$tmp/iso.csv" "$tmp/iso.gp" "$tmp/err.svg" "$tmp/iso.svg" <<'PY' && pass "isoflop: every compute figure is Python's %.2e of its bin's C" || bad "isoflop: compute figures not at the CLI's precision"
import csv, math, re, sys, xml.dom.minidom
rows = list(csv.DictReader(open(sys.argv[1])))
Cs = sorted({float(r["C"]) for r in rows})
want = ["%.2e" % C for C in Cs]  # one budget a bin: the geometric mean is C itself
gp, err = open(sys.argv[2]).read(), open(sys.argv[3]).read()
doc = xml.dom.minidom.parse(sys.argv[4])
texts = ["".join(n.data for n in t.childNodes if n.nodeType == n.TEXT_NODE) for t in doc.getElementsByTagName("tspan")]
legend = list(dict.fromkeys(t for t in texts if t.startswith("C = ")))  # each entry once, in order
print("legend:", legend)
assert legend == ["C = " + w for w in want], (legend, want)
print("subtitle/notes:", [l for l in gp.splitlines() if "interior" in l][:1], err.strip().splitlines())
assert "no interior minimum at C = %s" % want[3] in gp, "subtitle: no-minimum bin"
assert "under 3 model sizes: C = %s (1 run)" % want[4] in gp, "subtitle: skipped bin"
assert "compute bin C = %s (4 runs): no interior minimum" % want[3] in err, "note: no-minimum bin"
assert "compute bin C = %s (1 run): too few distinct" % want[4] in err, "note: skipped bin"
# no compute figure anywhere at another precision (a mantissa of 1 or 3 significant digits)
for text in (gp, err):
    for m in re.finditer(r"C = ([-0-9.e+]+)", text):
        assert re.fullmatch(r"\d\.\d\de[+-]\d\d", m.group(1)), m.group(0)
PY
svg_check "$tmp/iso.svg" any -1 "C = 1.20e+18" "C = 3.70e+18"
pdf_check "$tmp/iso.pdf"
png_check "$tmp/iso.png" 900 600
exit $fail
