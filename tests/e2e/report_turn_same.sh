#!/usr/bin/env bash
# report_turn_same.sh: a report's [turn] says everything `scalefit turn` prints, in its words, and
# takes the same runs. The report once left out the notes (runs below the chance level, a hold-out
# cut to n - 6), where the extrapolations part, the sigmoid's line and the deltas; it had no
# `holdout` or `tol` key; and it dropped runs with a compute <= 0 in silence where `scalefit turn`
# refuses them. The references are counted here from the data (runs under chance, n - 6), not
# taken from scalefit.
set -u
: "${SCALEFIT:?}"
. "$(dirname "$0")/lib/common.sh"
need_py "" "skip: $py not installed"
fail_fast

# 12 runs on a sigmoid in log10 compute (floor 0.25, ceiling 0.85), the two smallest a little under
# chance (0.22, 0.23: noise, not a wrong chance level), one run without a score. The compute column
# is 'budget', not one of the loader's names for C, which it checks for positivity; its unit FLOP is
# said after the range of the runs (the report once wrote "from 1e+20 to 1e+25", no unit).
$py - "$tmp/runs.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("run,budget [FLOP],acc\n")
    for i in range(12):
        lx = 20 + 5 * i / 11
        y = 0.25 + 0.6 / (1 + math.exp(-2 * (lx - 22.5))) + 0.01 * math.sin(3 * i)
        if i == 0: y = 0.22
        if i == 1: y = 0.23
        f.write(f"r{i},{10**lx:.6g},{y:.4f}\n")
    f.write("nan_run,1e23,\n")
PY
n=12
below=$($py -c "import csv,sys; print(sum(1 for r in csv.DictReader(open('$tmp/runs.csv')) if r['acc'] and float(r['acc']) < 0.25))")
[ "$below" = 2 ] || fail "the test's premise: $below runs below chance"

cat > "$tmp/t.ini" <<INI
[data]
file = runs.csv
[turn acc]
x = budget
y = acc
holdout = 9
bootstrap = 20
seed = 3
tol = 0.02
INI
"$SCALEFIT" report "$tmp/t.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/rep.err" || fail "report exit $?: $(cat "$tmp/rep.err")"
"$SCALEFIT" turn "$tmp/runs.csv" --x budget --y acc --holdout 9 --bootstrap 20 --seed 3 --tol 0.02 > "$tmp/cli.out" \
  2> "$tmp/cli.err" || fail "turn exit $?: $(cat "$tmp/cli.err")"
md="$tmp/rep/t/report.md"
grep -qF "note: $below runs score below the chance level 0.25" "$tmp/cli.out" || fail "CLI note on chance: $(cat "$tmp/cli.out")"
grep -qF "cut to $((n - 6))" "$tmp/cli.out" || fail "CLI hold-out note: $(cat "$tmp/cli.out")"
grep -qF "by more than 0.02" "$tmp/cli.out" || fail "CLI tol: $(cat "$tmp/cli.out")"

# every sentence of the CLI's beside its table (notes and the indented lines), in the report's
# Markdown and HTML, in the same words (capitalised there, with a full stop) and in report.json
$py - "$tmp/cli.out" "$md" "$tmp/rep/t/index.html" "$tmp/rep/t/report.json" "$tmp/runs.csv" <<'PY' || fail "the report says less than scalefit turn"
import html, json, re, sys
cli = open(sys.argv[1]).read().splitlines()
md = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", open(sys.argv[2]).read())
page = html.unescape(open(sys.argv[3]).read())
rep = json.load(open(sys.argv[4]))["turns"][0]
notes = [l[len("note: "):] for l in cli if l.startswith("note: ")]
lines = [l.strip() for l in cli if l.startswith("  ") and not l.strip().startswith(("law ", "loglinear", "power", "sigmoid "))]
assert len(notes) == 2 and len(lines) == 4, (notes, lines)
for s in notes:
    want = "Note: " + s + "."
    assert want in md, ("md", want)
    assert want in page, ("html", want)
for s in lines:
    want = s[0].upper() + s[1:] + "."
    assert want in md, ("md", want)
    assert want in page, ("html", want)
assert rep["notes"] == notes, (rep["notes"], notes)
assert rep["lines"] == lines, (rep["lines"], lines)
# the figures of the first line: runs taken and skipped, and the hold-out
head = cli[0]
m = re.match(r"acc against budget: (\d+) runs \((\d+) skipped without both\).*; (\d+) held out", head)
assert m, head
assert (rep["n"], rep["n_skipped"], rep["n_holdout"]) == tuple(map(int, m.groups())), (rep, head)
assert f"{m.group(1)} runs with both values ({m.group(2)} skipped without both)" in md
# the span of the runs taken, from the file, with the column's unit, in the same words in both
import csv
xs = [float(r["budget [FLOP]"]) for r in csv.DictReader(open(sys.argv[5])) if r["acc"]]
span = "budget from %.2e to %.2e FLOP" % (min(xs), max(xs))  # 3 significant digits, zeros kept
assert span in head, (span, head)
assert span + ", chance 0.25" in md and span + ", chance 0.25" in page, span
assert rep["n"] == 12 and rep["n_skipped"] == 1 and rep["n_holdout"] == 6 and rep["holdout_asked"] == 9
assert rep["n_below_chance"] == 2 and rep["tol"] == 0.02
# the table's RSS, AIC, BIC, held-out RMSE as the CLI prints them
for l in cli:
    f = l.split()
    if len(f) == 5 and f[0] in ("loglinear", "power", "sigmoid"):
        row = [c.strip() for c in md.split("\n| " + f[0] + " |", 1)[1].split("\n", 1)[0].split("|")]
        assert row[2:6] == f[1:5], (f, row)
PY

# a run with a compute of 0: `scalefit turn` refuses it naming the run; the report did not say a word
# and fitted the others. Both refuse it now, by the same library call, in the same words.
sed 's/^r5,[^,]*,/r5,0,/' "$tmp/runs.csv" > "$tmp/zero.csv"
sed 's/runs.csv/zero.csv/' "$tmp/t.ini" > "$tmp/z.ini"
"$SCALEFIT" turn "$tmp/zero.csv" --x budget --y acc > /dev/null 2> "$tmp/zcli.err"
rc=$?
[ $rc = 2 ] || fail "turn on x = 0: exit $rc, $(cat "$tmp/zcli.err")"
"$SCALEFIT" report "$tmp/z.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/zrep.err"
rc=$?
[ $rc = 2 ] || fail "report on x = 0: exit $rc, $(cat "$tmp/zrep.err")"
[ ! -e "$tmp/rep/z" ] || fail "a report of a refused spec was written"
msg="run 'r5': budget = 0 must be positive"
grep -qF "$msg" "$tmp/zcli.err" || fail "turn's message: $(cat "$tmp/zcli.err")"
# at the line of x = budget, the key that chose the column (it was the [turn acc] header's, 3)
grep -qF "z.ini:4: [turn acc]: 'zero.csv': $msg" "$tmp/zrep.err" || fail "report's message: $(cat "$tmp/zrep.err")"
exit 0
