#!/usr/bin/env bash
# too_few.sh: the "too few runs" errors of fit, plot (a law's fit, the turn chart), turn and a report say
# how many runs there were, how many were usable, and why the others were not, naming the first five of
# each reason as `fit` names its skipped runs: --where left out (by run and 1-based row), no value of a
# column (per column, the law's order). Before, they gave counts alone ("1 lacks a value"; "turn needs at
# least 6 runs with both values, got 1"), and the note that named the runs came after the fit or not at
# all. The expected text is computed here from the CSV by that rule, never taken from scalefit's output.
set -u
: "${SCALEFIT:?}"
. "$(dirname "$0")/lib/expect.sh" # $tmp, fails, fail(), expect CODE FRAGMENT CMD...

# 12 runs of a power law in C, and an accuracy; blanks: C in 2 runs, loss in 3 (one with C too), acc in 5
$py - "$tmp/r.csv" <<'PY'
import sys
rows = []
for i in range(12):
    C = 1e17 * 2 ** i
    rows.append({"run": "r%d" % (i + 1), "C": "%.17g" % C, "loss": "%.17g" % (1.7 + 4000 * C ** -0.2),
                 "acc": "%.3f" % (0.25 + 0.05 * i)})
for k in (2, 9):
    rows[k]["C"] = ""
for k in (4, 9, 10):
    rows[k]["loss"] = ""
for k in (0, 5, 6, 7, 8):
    rows[k]["acc"] = ""
with open(sys.argv[1], "w") as f:
    f.write("run,C,loss,acc\n")
    for r in rows:
        f.write(",".join(r[c] for c in ("run", "C", "loss", "acc")) + "\n")
PY

# rule WHERE_C COLS: the reasons, as the rule gives them: runs C > WHERE_C fails (blank C: left out by
# where too), then the remaining runs without a value of each column of COLS
rule() {
  $py - "$tmp/r.csv" "$@" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
wn, cols = sys.argv[2], sys.argv[3].split(",")
def names(who):
    s = ", ".join("'%s' (row %d)" % (r["run"], i) for i, r in who[:5])
    return s + (" and %d more" % (len(who) - 5) if len(who) > 5 else "")
rows = [(i + 1, r) for i, r in enumerate(rows)]
out, parts = [], []
if wn != "-":
    gone = [(i, r) for i, r in rows if not (r["C"] and float(r["C"]) > float(wn))]
    rows = [(i, r) for i, r in rows if (i, r) not in gone]
    out.append("--where left out %d (%s)" % (len(gone), names(gone)))
lack = [(i, r) for i, r in rows if any(r[c] == "" for c in cols)]
for c in cols:
    who = [(i, r) for i, r in lack if r[c] == ""]
    if who:
        parts.append("no value of %s: %s" % (c, names(who)))
if lack:
    out.append("%d %s a value (%s)" % (len(lack), "lacks" if len(lack) == 1 else "lack", "; ".join(parts)))
ok = len(rows) - len(lack)
print("%d %d %s" % (ok, len(lack), "; ".join(out)))
PY
}

# fit: --where and blanks; the count of runs in the file, the usable, each reason named
read ok nlack why <<<"$(rule 2e19 C,loss)"
expect 2 "$ok runs of 12 left to fit in '$tmp/r.csv' but law 'power' has 3 free parameters: need at least 4; $why" \
  "$SCALEFIT" fit "$tmp/r.csv" --law power --where 'C > 2e19'
# plot's own fit says the same
expect 2 "$ok runs of 12 left to fit in '$tmp/r.csv' but law 'power' has 3 free parameters: need at least 4; $why" \
  "$SCALEFIT" plot scaling "$tmp/r.csv" --law power --where 'C > 2e19' -o "$tmp/p.svg"
[ ! -e "$tmp/p.svg" ] || fail "plot wrote a chart"

# turn (and plot turn): acc against C, 6 needed; the runs without C or acc named, per column
read ok nlack why <<<"$(rule - C,acc)"
[ "$ok" -lt 6 ] || fail "the data were meant to leave fewer than 6 runs with C and acc, not $ok"
want="turn needs at least 6 runs with both values, got $ok of 12; $why"
expect 2 "turn: '$tmp/r.csv': $want" "$SCALEFIT" turn "$tmp/r.csv" --x C --y acc
expect 2 "plot turn: '$tmp/r.csv': $want" "$SCALEFIT" plot turn "$tmp/r.csv" --x C --y acc -o "$tmp/t.svg"
[ ! -e "$tmp/t.svg" ] || fail "plot turn wrote a chart"

# a report's [turn] and [fit] (on acc: 7 of the runs lack C or acc), at the section's line
printf '[report]\ntitle = t\n[data]\nfile = %s\n[turn a]\nx = C\ny = acc\n' "$tmp/r.csv" >"$tmp/t.ini"
expect 2 "5: [turn a]: '$tmp/r.csv': $want" "$SCALEFIT" report "$tmp/t.ini" -o "$tmp/rep"
# (a quintic in log C: 6 free parameters)
printf '[report]\ntitle = t\n[data]\nfile = %s\n[fit f]\nlaw = acc = a + b*log(C) + c*log(C)^2 + d*log(C)^3 + e*log(C)^4 + f*log(C)^5\n' \
  "$tmp/r.csv" >"$tmp/f.ini"
expect 2 "5: [fit f]: $ok runs of 12 left to fit in '$tmp/r.csv' but law" "$SCALEFIT" report "$tmp/f.ini" -o "$tmp/rep"
grep -qF "; $why" "$tmp/err" || fail "report [fit]: want '; $why': $(cat "$tmp/err")"

exit $fails
