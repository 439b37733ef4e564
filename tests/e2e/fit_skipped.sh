#!/usr/bin/env bash
# fit_skipped.sh: runs a fit skips for a missing value are named, by column and run, wherever the fit is
# shown. A tracker export with blanks in N, D, U and loss (and one column with more blanks than are listed)
# is fitted by `fit` (datacon: N, D, U, loss), `fit --law A,B`, `fit --by family` (with a blank family,
# and with --bootstrap, which refits the pooled runs), `fit --holdout` (the compute column C is needed
# too), a report's [fit] and a file without run names. The expected note is computed here from the CSV
# by the rule (each needed column in the law's order, its empty rows by run name and 1-based data row,
# at most 5 then "and K more"), never taken from scalefit's output.
# Before, every one of them said only "N runs without a value for every column the fit needs were
# skipped", and `fit --by --bootstrap` did not say even that (the pooled refit had lost the count).
set -u
: "${SCALEFIT:?}"
py=/usr/bin/python3
. "$(dirname "$0")/lib/expect.sh" # $tmp, fails, fail(), expect CODE FRAGMENT CMD...

# 40 runs of the data-constrained law; blanks: U in 2 runs, loss in 1, D in 7 (and N in 1), family in 2
$py - "$tmp/dc.csv" "$tmp/norun.csv" <<'PY'
import math, random, sys
random.seed(5)
rows = []
for N in (1e7, 3e7, 1e8, 3e8, 1e9):
    for U in (1e9, 3e9):
        for ep in (1, 2, 4, 8):
            D = U * ep
            Dp = U * (1 + 15.4 * (1 - math.exp(-(ep - 1) / 15.4)))
            L = (1.69 + 406.4 / N ** 0.34 + 410.7 / Dp ** 0.28) * math.exp(random.gauss(0, 0.005))
            i = len(rows) + 1
            rows.append({"run": "r%d" % i, "family": "a" if i % 2 else "b", "N": "%.17g" % N, "D": "%.17g" % D,
                         "U": "%.17g" % U, "loss": "%.17g" % L})
for k in (3, 7):
    rows[k]["U"] = ""
rows[10]["loss"] = ""
for k in (12, 20, 21, 22, 23, 24, 25):
    rows[k]["D"] = ""
rows[30]["N"] = ""
rows[33]["family"] = rows[36]["family"] = ""
cols = list(rows[0])
with open(sys.argv[1], "w") as f:
    f.write(",".join(cols) + "\n")
    for r in rows:
        f.write(",".join(r[c] for c in cols) + "\n")
with open(sys.argv[2], "w") as f:
    f.write(",".join(cols[1:]) + "\n")
    for r in rows:
        f.write(",".join(r[c] for c in cols[1:]) + "\n")
PY

# the note the rule gives for FILE and the needed columns (C: derived as 6ND where N and D are given)
expected() {
  $py - "$@" <<'PY'
import csv, sys
path, cols = sys.argv[1], sys.argv[2].split(",")
rows = list(csv.DictReader(open(path)))
def empty(r, c):
    if c == "C":
        return r["N"] == "" or r["D"] == ""
    return r[c] == ""
skipped = [r for r in rows if any(empty(r, c) for c in cols)]
parts = []
for c in cols:
    who = [(i + 1, r) for i, r in enumerate(rows) if empty(r, c)]
    if not who:
        continue
    names = ["'%s' (row %d)" % (r["run"], i) if r.get("run") else "row %d" % i for i, r in who[:5]]
    more = " and %d more" % (len(who) - 5) if len(who) > 5 else ""
    parts.append("no value of %s: %s%s" % (c, ", ".join(names), more))
print("%d run%s skipped, %s" % (len(skipped), "" if len(skipped) == 1 else "s", "; ".join(parts)))
PY
}

# note_is WHAT FILE COLS: stderr's skip note is the expected one
note_is() {
  local want
  want="note: $(expected "$2" "$3")"
  grep -qxF -- "scalefit: $want" "$tmp/err" || fail "$1: want '$want', stderr: $(cat "$tmp/err")"
}

expect 0 "" "$SCALEFIT" fit "$tmp/dc.csv" --law datacon
note_is "fit --law datacon" "$tmp/dc.csv" N,D,U,loss
grep -q "and 2 more" "$tmp/err" || fail "fit --law datacon: 7 runs without D listed in full: $(cat "$tmp/err")"

expect 0 "" "$SCALEFIT" fit "$tmp/norun.csv" --law datacon
note_is "fit, no run names" "$tmp/norun.csv" N,D,U,loss

expect 0 "" "$SCALEFIT" fit "$tmp/dc.csv" --law chinchilla,kaplan --loss l2
note_is "fit --law chinchilla,kaplan" "$tmp/dc.csv" N,D,loss

expect 0 "" "$SCALEFIT" fit "$tmp/dc.csv" --law power --x N --holdout 0.2
note_is "fit --holdout (C needed)" "$tmp/dc.csv" N,loss,C

# --by: the skipped runs, and the runs without a family by name; with --bootstrap (the pooled refit) too
for boot in 0 2; do
  expect 0 "" "$SCALEFIT" fit "$tmp/dc.csv" --law power --x C --by family --bootstrap $boot
  note_is "fit --by family --bootstrap $boot" "$tmp/dc.csv" C,loss
  want=$($py - "$tmp/dc.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ok = lambda r: r["N"] and r["D"] and r["loss"]
who = ["'%s' (row %d)" % (r["run"], i + 1) for i, r in enumerate(rows) if ok(r) and not r["family"]]
print("note: %d runs without a value of family left out of every fit: %s" % (len(who), ", ".join(who)))
PY
)
  grep -qxF -- "scalefit: $want" "$tmp/err" || fail "fit --by family --bootstrap $boot: want '$want': $(cat "$tmp/err")"
  grep -q "with missing values skipped" "$tmp/out" || fail "fit --by --bootstrap $boot: the header lost the count"
done

# a report's [fit] says it in its text, as the CLI does
printf '[report]\ntitle = t\n[data]\nfile = %s\n[fit dc]\nlaw = datacon\n' "$tmp/dc.csv" >"$tmp/s.ini"
"$SCALEFIT" report "$tmp/s.ini" -o "$tmp/rep" >"$tmp/out" 2>&1 || fail "report: $(cat "$tmp/out")"
want=$(expected "$tmp/dc.csv" N,D,U,loss | sed 's/ skipped, / skipped for a missing value (/')
grep -qF -- "$want)." "$tmp/rep/s/report.md" || fail "report.md lacks '$want).': $(grep -i skipped "$tmp/rep/s/report.md")"

exit $fails
