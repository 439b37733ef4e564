#!/usr/bin/env bash
# fit_holdout.sh: `--holdout FRAC` holds out whole compute budgets from the top, as many as come closest
# to FRAC n runs (ties: the fewer), at least one and never all; a budget is the largest C left and every
# run within 0.1% below it. The expected held-out set is computed here by that rule from the CSV, and
# checked against fit --json (n_test, n_train, budgets), against the same runs held out by
# --holdout-above (the same held-out RMSE), in the printed line ("held out 3 of 34 runs (the top budget of
# C; 0.2 asked for 6.8)"), in `fit --law A,B`, `fit --by` and a report's [fit] holdout.
# Before, the ceil(FRAC n) largest runs and every run tied with them went: 0.2 of these 34 runs, whose
# second budget has 12, held out 15 (44%).
set -u
: "${SCALEFIT:?}"
. "$(dirname "$0")/lib/expect.sh" # $tmp, fails, fail(), expect CODE FRAGMENT CMD...

# 34 runs on 5 budgets of 3, 12, 8, 6 and 5 runs (from the top), each budget's C spread by up to 0.08%
# (D rounded as a sweep rounds it); the same N and loss with distinct C; one budget only
$py - "$tmp" <<'PY'
import math, random, sys
random.seed(11)
d = sys.argv[1]
sizes = [(1e21, 3), (1e20, 12), (1e19, 8), (1e18, 6), (1e17, 5)]
rows = []
for C0, k in sizes:
    for j in range(k):
        C = C0 * (1 - 0.0008 * j / max(k - 1, 1))
        N = math.sqrt(C / 120) * 10 ** (0.6 * (j / max(k - 1, 1) - 0.5))
        loss = (1.7 + 400 * N ** -0.34 + 410 * (C / (6 * N)) ** -0.28) * math.exp(random.gauss(0, 0.005))
        rows.append((C, N, loss))
random.shuffle(rows)
with open(d + "/iso.csv", "w") as f:
    f.write("run,family,C,N,loss\n")
    for i, (C, N, L) in enumerate(rows):
        f.write("r%d,%s,%.17g,%.17g,%.17g\n" % (i, "ab"[i % 2], C, N, L))
with open(d + "/distinct.csv", "w") as f:
    f.write("run,C,loss\n")
    for i in range(34):
        C = 10 ** (17 + 4 * i / 33)
        f.write("r%d,%.17g,%.17g\n" % (i, C, (1.7 + 1000 * C ** -0.15) * math.exp(random.gauss(0, 0.005))))
with open(d + "/one.csv", "w") as f:
    f.write("run,C,N,loss\n")
    for i in range(10):
        N = 10 ** (7 + 2 * i / 9)
        f.write("r%d,1e20,%.17g,%.17g\n" % (i, N, 1.7 + 400 * N ** -0.34))
PY

# rule FILE FRAC: "n_test budgets n cut text", the hold-out the rule gives (cut: the smallest C held out)
rule() {
  $py - "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
frac = float(sys.argv[2])
keys = sorted((float(r["C"]) for r in rows), reverse=True)
n, want = len(keys), frac * len(keys)
budgets, i = [], 0
while i < n:                      # a budget: the largest C left and every C within 0.1% below it
    j = i
    while j < n and keys[j] >= keys[i] * (1 - 1e-3):
        j += 1
    budgets.append(keys[i:j])
    i = j
best = None
for k in range(1, len(budgets)):  # at least one budget, never all
    held = sum(len(b) for b in budgets[:k])
    if best is None or abs(held - want) < abs(best[0] - want) - 1e-9:
        best = (held, k)
held, k = best
cut = budgets[k - 1][-1]
if abs(held - want) < 1e-9:
    text = "%d runs" % held
elif k == held:
    text = "%d of %d runs (the %d largest by C; %g asked for %.3g)" % (held, n, held, frac, want)
else:
    text = "%d of %d runs (the top %s of C; %g asked for %.3g)" % (held, n, "budget" if k == 1 else "%d budgets" % k,
                                                                  frac, want)
print(held, k, n, repr(cut), text, sep="\t")
PY
}

# jq-free JSON reads: KEY.PATH of the JSON in FILE
jget() { $py -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"; }

for f in 0.05 0.2 0.3 0.5 0.9; do
  IFS=$'\t' read -r held k n cut text < <(rule "$tmp/iso.csv" $f)
  "$SCALEFIT" fit "$tmp/iso.csv" --law power --holdout $f --json >"$tmp/fit.json" 2>"$tmp/err" || fail "fit --holdout $f: $(cat "$tmp/err")"
  [ "$(jget "$tmp/fit.json" holdout.n_test)" = "$held" ] || fail "--holdout $f: n_test $(jget "$tmp/fit.json" holdout.n_test), rule $held"
  [ "$(jget "$tmp/fit.json" holdout.n_train)" = "$((n - held))" ] || fail "--holdout $f: n_train, rule $((n - held))"
  [ "$(jget "$tmp/fit.json" holdout.budgets)" = "$k" ] || fail "--holdout $f: budgets $(jget "$tmp/fit.json" holdout.budgets), rule $k"
  # the same runs: --holdout-above just below the rule's smallest held-out C scores them alike
  above=$($py -c "print(repr($cut * (1 - 1e-6)))")
  "$SCALEFIT" fit "$tmp/iso.csv" --law power --holdout-above "$above" --json >"$tmp/above.json" 2>/dev/null
  $py -c "import json,sys; a,b=(json.load(open(p))['holdout']['rmse'] for p in sys.argv[1:]); sys.exit(abs(a-b) > 1e-12*abs(b))" \
    "$tmp/fit.json" "$tmp/above.json" || fail "--holdout $f: not the runs of C >= $cut"
  "$SCALEFIT" fit "$tmp/iso.csv" --law power --holdout $f >"$tmp/out" 2>&1
  grep -qF "held out $text: RMSE" "$tmp/out" || fail "--holdout $f: want 'held out $text', got $(grep 'held out' "$tmp/out")"
done

# runs of distinct C: budgets of one run, a half goes to the fewer (0.25 of 34 = 8.5: 8)
IFS=$'\t' read -r held k n cut text < <(rule "$tmp/distinct.csv" 0.25)
[ "$held" = 8 ] || fail "rule: 0.25 of 34 distinct runs gives $held, by hand 8"
"$SCALEFIT" fit "$tmp/distinct.csv" --law power --holdout 0.25 >"$tmp/out" 2>&1
grep -qF "held out $text: RMSE" "$tmp/out" || fail "distinct --holdout 0.25: want 'held out $text': $(cat "$tmp/out")"

# every run of one budget: nothing held out, said
expect 0 "no run was held out: every run is of one budget of C" "$SCALEFIT" fit "$tmp/one.csv" --law power --x N --holdout 0.3

# the same hold-out in a comparison of laws, per group, and in a report
IFS=$'\t' read -r held k n cut text < <(rule "$tmp/iso.csv" 0.2)
"$SCALEFIT" fit "$tmp/iso.csv" --law power,power0 --holdout 0.2 --json >"$tmp/cmp.json" 2>/dev/null
[ "$(jget "$tmp/cmp.json" holdout.n_test)" = "$held" ] && [ "$(jget "$tmp/cmp.json" holdout.budgets)" = "$k" ] ||
  fail "--law power,power0 --holdout 0.2: $(cat "$tmp/cmp.json")"
"$SCALEFIT" fit "$tmp/iso.csv" --law power,power0 --holdout 0.2 >"$tmp/out" 2>&1
grep -qF "held out $text, the largest by C" "$tmp/out" || fail "--law A,B: want 'held out $text': $(cat "$tmp/out")"
"$SCALEFIT" fit "$tmp/iso.csv" --law power --by family --holdout 0.2 --json >"$tmp/by.json" 2>/dev/null
[ "$(jget "$tmp/by.json" holdout.n_test)" = "$held" ] && [ "$(jget "$tmp/by.json" holdout.budgets)" = "$k" ] ||
  fail "--by family --holdout 0.2: $(cat "$tmp/by.json")"
"$SCALEFIT" fit "$tmp/iso.csv" --law power --by family --holdout 0.2 --bootstrap 2 >"$tmp/out" 2>&1
grep -qF "held out $text with C >=" "$tmp/out" || fail "--by: want 'held out $text': $(cat "$tmp/out")"
printf '[report]\ntitle = t\n[data]\nfile = %s\n[fit p]\nlaw = power\nholdout = 0.2\n' "$tmp/iso.csv" >"$tmp/s.ini"
"$SCALEFIT" report "$tmp/s.ini" -o "$tmp/rep" >"$tmp/out" 2>&1 || fail "report: $(cat "$tmp/out")"
grep -qF "Held out: $text, the largest by compute" "$tmp/rep/s/report.md" ||
  fail "report: want 'Held out: $text': $(grep -i 'held out' "$tmp/rep/s/report.md")"

exit $fails
