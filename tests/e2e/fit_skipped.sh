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

# the saved fit and report.json carry every skipped run (not only the first five per column): run, 1-based
# row, the needed columns it lacks in the law's order; computed here from the CSV, compared with the JSON
# skipped_json_is WHAT CSV COLS JSON [KEYPATH]: the JSON's data.n_skipped and data.skipped are the CSV's
skipped_json_is() {
  $py - "$@" <<'PY' || fail "$1"
import csv, json, sys
what, path, cols, jpath = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4]
keys = sys.argv[5].split(".") if len(sys.argv) > 5 else []
rows = list(csv.DictReader(open(path)))
def empty(r, c):
    if c == "C":
        return r["N"] == "" or r["D"] == ""
    return r[c] == ""
want = [{"run": r.get("run") or None, "row": i + 1, "missing": [c for c in cols if empty(r, c)]}
        for i, r in enumerate(rows) if any(empty(r, c) for c in cols)]
j = json.load(open(jpath))
for k in keys:
    j = j[k]
d = j["data"]
if d.get("n_skipped") != len(want) or d.get("skipped") != want:
    print("%s: want n_skipped %d, skipped %s; got %s, %s" % (what, len(want), want, d.get("n_skipped"), d.get("skipped")))
    sys.exit(1)
PY
}
expect 0 "" "$SCALEFIT" fit "$tmp/dc.csv" --law datacon -o "$tmp/dc.json"
skipped_json_is "fit -o (datacon)" "$tmp/dc.csv" N,D,U,loss "$tmp/dc.json"
expect 0 "" "$SCALEFIT" fit "$tmp/norun.csv" --law datacon -o "$tmp/norun.json"
skipped_json_is "fit -o, no run names" "$tmp/norun.csv" N,D,U,loss "$tmp/norun.json"
expect 0 "" "$SCALEFIT" fit "$tmp/dc.csv" --law power --x N --holdout 0.2 -o "$tmp/ho.json"
skipped_json_is "fit -o --holdout (C needed)" "$tmp/dc.csv" N,loss,C "$tmp/ho.json"
skipped_json_is "report.json's fit" "$tmp/dc.csv" N,D,U,loss "$tmp/rep/s/report.json" fits.dc
# a report whose [data] where selects runs names them by their row of the file, not of the selection
# (the report once named the file's 10th run "row 1"): the runs where keeps, computed here
printf '[report]\ntitle = t\n[data]\nfile = %s\nwhere = N > 1e8\n[fit dc]\nlaw = datacon\n' "$tmp/dc.csv" >"$tmp/w.ini"
"$SCALEFIT" report "$tmp/w.ini" -o "$tmp/wrep" >"$tmp/out" 2>&1 || fail "report with where: $(cat "$tmp/out")"
$py - "$tmp/dc.csv" "$tmp/wrep/w/report.json" "$tmp/wrep/w/report.md" <<'PY' || fail "report with where: rows of the selection"
import csv, json, sys
rows = [(i + 1, r) for i, r in enumerate(csv.DictReader(open(sys.argv[1]))) if r["N"] and float(r["N"]) > 1e8]
cols = ["N", "D", "U", "loss"]
want = [{"run": r["run"], "row": i, "missing": [c for c in cols if r[c] == ""]} for i, r in rows if any(r[c] == "" for c in cols)]
got = json.load(open(sys.argv[2]))["fits"]["dc"]["data"]
assert want and got["skipped"] == want, (want, got.get("skipped"))
md = open(sys.argv[3]).read()
for w in want[:2]:
    assert "'%s' (row %d)" % (w["run"], w["row"]) in md, (w, md)
PY

# and the file reads back: predict takes it, and an older file without the keys still loads
"$SCALEFIT" predict "$tmp/dc.json" --at N=1e9,D=1e10,U=1e10 >"$tmp/out" 2>&1 || fail "predict: $(cat "$tmp/out")"
$py - "$tmp/dc.json" "$tmp/old.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for k in ("n_where", "n_skipped", "skipped"):
    del j["data"][k]
json.dump(j, open(sys.argv[2], "w"))
PY
"$SCALEFIT" predict "$tmp/old.json" --at N=1e9,D=1e10,U=1e10 >"$tmp/out" 2>&1 || fail "predict, older file: $(cat "$tmp/out")"

exit $fails
