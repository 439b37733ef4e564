#!/bin/bash
# plot_fit_where.sh: a chart of a saved fit re-selects the fit's --where runs with fit's own call
# (sf_where_rows). plot had a copy of its own that read at most 64 column names: a where naming
# more was evaluated on values past the end of its array (the runs shown as excluded by chance),
# a name past the 64th was never checked, and an unknown name was "'x' is not a column of the
# input" (no file, no near name). The data are made here; python counts the excluded runs.
set -u
. "$(dirname "$0")/lib/common.sh"
need_py
command -v gnuplot >/dev/null 2>&1 || exit 77
fail_fast
out=$tmp
cd "$out" || exit 1

# 40 runs of L = 2 + 300 C^-0.1 with 70 extra columns c1..c69 and cap, all positive; cap is 1..40 (run i)
$PY - <<'PY'
cols = ["run", "C", "loss"] + ["c%d" % k for k in range(1, 70)] + ["cap"]
with open("runs.csv", "w") as f, open("less.csv", "w") as g:
    f.write(",".join(cols) + "\n")
    g.write(",".join(c if c != "cap" else "caps" for c in cols) + "\n")
    for i in range(1, 41):
        C = 1e18 * 10 ** (i / 10)
        row = ["r%d" % i, "%.6g" % C, "%.6g" % (2 + 300 * C ** -0.1)] + ["%d" % (k * 100 + i) for k in range(1, 70)] + ["%d" % i]
        f.write(",".join(row) + "\n")
        g.write(",".join(row) + "\n")
PY
# the 70th name is the one that selects: cap < 31 keeps runs 1..30
where=$(for k in $(seq 1 69); do printf 'c%d > 0 and ' "$k"; done; printf "cap < 31")
"$SCALEFIT" fit runs.csv --law power --x C --where "$where" -o fit.json > fit.out 2> fit.err || fail "fit: $(cat fit.err)"
nex=$($PY -c 'import csv; print(sum(1 for r in csv.DictReader(open("runs.csv")) if not (all(float(r["c%d" % k]) > 0 for k in range(1, 70)) and float(r["cap"]) < 31)))')
[ "$nex" = 10 ] || fail "python counts $nex excluded"
"$SCALEFIT" plot scaling runs.csv --fit fit.json --script -o s.svg > s.out 2> s.err || fail "plot: $(cat s.err)"
grep -q "excluded by --where ($nex)" s.gp || fail "a where of 70 names: not 'excluded by --where ($nex)': $(grep -o 'excluded by --where ([0-9]*)' s.gp)"

# the same fit drawn over data whose 70th column is named otherwise (caps): refused, naming the fit, the
# data file, the name and the near one
"$SCALEFIT" plot scaling less.csv --fit fit.json -o l.svg > l.out 2> l.err && fail "a fit's where on data without cap accepted"
[ $? -eq 2 ] || fail "exit $?, want 2: $(cat l.err)"
grep -qF "fit 'fit.json': --where: 'cap' is not a column of 'less.csv' (did you mean 'caps'?)" l.err \
  || fail "unknown column: $(cat l.err)"
[ ! -e l.svg ] || fail "a refused chart left l.svg"
echo ok
