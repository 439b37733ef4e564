# fit.sh: `scalefit fit` and `scalefit laws` paths under valgrind (sourced by tests/valgrind.sh,
# which provides vg EXPECTED-EXIT ARGS... and $tmp). Small grids keep valgrind's slowdown short.
/usr/bin/python3 - "$tmp/fit_runs.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("run,N,D,loss,loss_sd\n")
    for i in range(24):
        N = 10 ** (7 + 3 * i / 23); D = 20 * N
        f.write("r%d,%.17g,%.17g,%.17g,%.3g\n" % (i, N, D, (1.7 + 1000 * (6 * N * D) ** -0.15) * math.exp(0.003 * math.sin(7 * i)),
                                              0.004 * (1 + i % 3)))
PY
sed 's/^r5,\(.*\),[^,]*$/r5,\1,0/' "$tmp/fit_runs.csv" >"$tmp/fit_badsd.csv"
vg 0 laws
vg 0 laws --json
vg 0 fit "$tmp/fit_runs.csv" --law power --bootstrap 4 --holdout 0.2 -o "$tmp/fit.json"
vg 0 fit "$tmp/fit_runs.csv" --law chinchilla --grid random:20 --fix E=1.7 --bound alpha=0.1:0.6 -j 1 --json
vg 0 fit "$tmp/fit_runs.csv" --law 'loss = E + A*C^-alpha' --grid random:8 --where 'N > 1e8'
vg 0 fit "$tmp/fit_runs.csv" --law power --sigma loss_sd --absolute-sigma --bootstrap 4 -o "$tmp/fit_sd.json"
vg 0 predict "$tmp/fit_sd.json" --at C=1e22
vg 0 fit "$tmp/fit_runs.csv" --law power --sigma loss_sd --loss huber --delta 1.345 --grid random:8 --json
vg 2 fit "$tmp/fit_badsd.csv" --law power --sigma loss_sd
vg 1 fit "$tmp/fit_runs.csv" --law power --sigma loss_sd --loss huber
vg 2 fit "$tmp/fit_runs.csv" --law 'loss = (E'
vg 2 fit "$tmp/fit_runs.csv" --law power --y nope
vg 2 fit "$tmp/fit_runs.csv" --law power --where 'zz > 1'
# spelling hints (sf_near) on the lookups that refuse a name
vg 2 fit "$tmp/fit_runs.csv" --law chinchila --where 'los > 1'
vg 2 fit "$tmp/fit_runs.csv" --law power --where 'los > 1'
vg 1 fit "$tmp/fit_runs.csv" --lwa power
vg 1 fitt "$tmp/fit_runs.csv"
vg 3 fit "$tmp/fit_runs.csv" --law 'loss = log(-a*a - 1) + C*0' --grid random:2
# several laws compared on the same runs (sf_fit_compare): ranked, one failing numerically (exit 3), refused
vg 0 fit "$tmp/fit_runs.csv" --law power,power0 --holdout 0.2 --grid random:8 --sigma loss_sd --json
vg 0 fit "$tmp/fit_runs.csv" --law 'power0,loss = E + A*C^-alpha' --grid random:8 --where 'N > 1e8'
vg 3 fit "$tmp/fit_runs.csv" --law 'power0,loss = log(-a*a - 1) + C*0' --grid random:2
vg 1 fit "$tmp/fit_runs.csv" --law power,loglinear
vg 1 fit "$tmp/fit_runs.csv" --law power,power0 -o "$tmp/fit_two.json"
vg 2 fit "$tmp/fit_runs.csv" --law power0,nosuch
# one law per group (sf_fit_by): two families, a run without one and a family too small to fit
# (notes), a numeric column, the shared hold-out with a bootstrap per group, huber (groups fitted,
# the test refused), and the refusals
/usr/bin/python3 - "$tmp/fit_runs.csv" "$tmp/fit_fam.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["run", "family", "N", "D", "loss", "vocab"])
    for i, r in enumerate(rows):
        fam, voc = ("a", 32000) if i % 2 else ("b", 50000)
        if i == 0: fam, voc = "", ""
        if i in (1, 2): fam, voc = "tiny", 64000
        w.writerow([r["run"], fam, r["N"], r["D"], r["loss"], voc])
PY
vg 0 fit "$tmp/fit_fam.csv" --law power --by family --grid random:8
vg 0 fit "$tmp/fit_fam.csv" --law power --by vocab --holdout 0.2 --bootstrap 3 --grid random:4 --json
vg 0 fit "$tmp/fit_fam.csv" --law power --by family --loss huber --grid random:4 --json
vg 2 fit "$tmp/fit_fam.csv" --law power --by nope
vg 2 fit "$tmp/fit_fam.csv" --law power --by run --grid random:2
vg 1 fit "$tmp/fit_fam.csv" --law power,power0 --by family
vg 1 fit "$tmp/fit_fam.csv" --law power --by family -o "$tmp/fit_by.json"
# runs skipped for a missing value, named by column (the pooled refit of --by keeps the note)
sed -e 's/^\(r7,[^,]*,[^,]*,[^,]*\),[^,]*,/\1,,/' -e 's/^\(r9,[^,]*,[^,]*\),[^,]*,/\1,,/' "$tmp/fit_fam.csv" >"$tmp/fit_blank.csv"
vg 0 fit "$tmp/fit_blank.csv" --law power --grid random:4 --holdout 0.2
vg 0 fit "$tmp/fit_blank.csv" --law power --by family --grid random:4 --bootstrap 2
# the saved fit lists them (data.skipped), and reads back
vg 0 fit "$tmp/fit_blank.csv" --law power --grid random:4 -o "$tmp/fit_blank.json"
vg 0 predict "$tmp/fit_blank.json" --at C=1e22
# the data-constrained law (a column U of unique tokens, its domain check U <= D, its published constants)
/usr/bin/python3 - "$tmp/fit_datacon.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("run,N,D,U,loss\n")
    for i in range(16):
        N = 10 ** (7 + 2 * (i % 4) / 3); U = 20 * N / (1 + i // 4); D = 20 * N * (1 + i % 3)
        Dp = U + U * 15 * (1 - math.exp(-(D / U - 1) / 15))
        f.write("r%d,%.17g,%.17g,%.17g,%.17g\n" % (i, N, D, U, 1.8 + 400 * N ** -0.34 + 400 * Dp ** -0.28))
PY
sed 's/^r3,\([^,]*\),\([^,]*\),[^,]*,/r3,\1,\2,1e30,/' "$tmp/fit_datacon.csv" >"$tmp/fit_datacon_bad.csv"
vg 0 fit "$tmp/fit_datacon.csv" --law datacon --grid random:4 --fix E=1.8 --fix A=400 --fix B=400 --fix alpha=0.34 --fix beta=0.28
vg 2 fit "$tmp/fit_datacon_bad.csv" --law datacon --grid random:2
vg 0 predict --published muennighoff2023 --at N=6.34e9,D=242e9,U=25e9
vg 1 predict --published muennighoff2023 --at N=6.34e9,D=2e9,U=25e9
# a fit that diverges (power on two budgets of the own sweep: A = inf): shown, refused with exit 3, not saved
vg 3 fit "$SF_SRC/datasets/sweep_default.h5" --law power --where 'N > 5e4 and loss < 1.5' -o "$tmp/div.json"
# --by with one group that diverges (the same runs as family b): every group shown, exit 3
"$SCALEFIT" export "$SF_SRC/datasets/sweep_default.h5" -o "$tmp/fit_sweep.csv" 2>/dev/null
/usr/bin/python3 - "$tmp/fit_sweep.csv" "$tmp/fit_bydiv.csv" <<'PY'
import csv, math, sys
b = [r for r in csv.DictReader(open(sys.argv[1])) if float(r["N"]) > 5e4 and float(r["loss"]) < 1.5]
with open(sys.argv[2], "w") as f:
    f.write("run,family,C,loss\n")
    for k in range(12):
        C = 10 ** (11 + 3 * k / 11)
        f.write("a%d,a,%.17g,%.17g\n" % (k, C, (1.0 + 900 * C ** -0.2) * math.exp(0.01 * math.sin(7 * k))))
    for r in b:
        f.write("%s,b,%s,%s\n" % (r["run"], r["C"], r["loss"]))
PY
vg 3 fit "$tmp/fit_bydiv.csv" --law power --by family --grid random:8
