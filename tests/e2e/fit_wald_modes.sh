#!/usr/bin/env bash
# fit_wald_modes.sh: every fit mode carries the standard error's 95% interval on each parameter's
# unbounded scale, as `fit` and a saved fit do (fit_wald.sh): a comparison (--law A,B) and a fit per
# group (--by COL) had only the value and its standard error, in text and JSON. Checked in python from
# each fit's own value and standard error (p exp(+-1.96 se / p) on the log scale of a positive
# parameter, p +- 1.96 se on the linear one; the scale of each parameter as the law alone reports it):
# the JSON's wald_interval and wald_scale for every law and group (the pooled fit too), and the text's
# "95%:" lines to the digits printed. Data: two synthetic families of a power law in C.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh" # $tmp, $PY, fails, fail(), need_py
need_py
"$PY" - "$tmp/two.csv" <<'PY'
import math, random, sys
random.seed(5)
with open(sys.argv[1], "w") as f:
    f.write("run,family,C,loss\n")
    for i, (fam, (E, A, a)) in enumerate((("beta", (1.8, 300.0, 0.15)), ("alpha", (1.7, 900.0, 0.2)))):
        for k in range(14):
            C = 10 ** (17 + 6 * k / 13)
            f.write("r%d_%d,%s,%.17g,%.17g\n" % (i, k, fam, C, (E + A * C ** -a) * math.exp(random.gauss(0, 0.01))))
PY
D="$tmp/two.csv"
for law in power power0; do
  "$SCALEFIT" fit "$D" --law $law --json > "$tmp/$law.json" 2> /dev/null || fail "fit --law $law exit $?"
done
"$SCALEFIT" fit "$D" --law power,power0 --json > "$tmp/cmp.json" 2> /dev/null || fail "compare --json exit $?"
"$SCALEFIT" fit "$D" --law power,power0 > "$tmp/cmp.txt" 2> /dev/null || fail "compare exit $?"
"$SCALEFIT" fit "$D" --law power --by family --json > "$tmp/by.json" 2> /dev/null || fail "--by --json exit $?"
"$SCALEFIT" fit "$D" --law power --by family > "$tmp/by.txt" 2> /dev/null || fail "--by exit $?"

"$PY" - "$tmp" <<'PY' || fail "intervals of every fit mode against python"
import json, math, re, sys
d = sys.argv[1]
z = 1.96
scale = {law: json.load(open(f"{d}/{law}.json"))["wald_scale"] for law in ("power", "power0")}
assert "log" in scale["power"].values(), scale  # the premise: an interval that is not value +- 1.96 se

def want(f, sc):
    out = {}
    for k, p in f["params"].items():
        s = f["stderr"][k]
        out[k] = (p * math.exp(-z * s / p), p * math.exp(z * s / p)) if sc[k] == "log" else (p - z * s, p + z * s)
        assert sc[k] in ("log", "linear"), (k, sc[k])
    return out

def check_json(what, f, sc):
    assert f["wald_scale"] == sc, (what, f.get("wald_scale"), sc)
    for k, (lo, hi) in want(f, sc).items():
        got = f["wald_interval"][k]
        assert abs(got[0] / lo - 1) < 1e-9 and abs(got[1] / hi - 1) < 1e-9, (what, k, got, lo, hi)

def check_text(what, line, f, sc):
    got = dict((m.group(1), (m.group(2), m.group(3)))
               for m in re.finditer(r"(\w+) \[([-0-9.e+]+), ([-0-9.e+]+)\]", line))
    w = want(f, sc)
    assert set(got) == set(w), (what, line)
    for k, (lo, hi) in w.items():
        for a, b in zip(got[k], (lo, hi)):  # to half a unit of the last place printed
            mant, _, ex = a.partition("e")
            ulp = 10 ** (-len(mant.partition(".")[2]) + (int(ex) if ex else 0))
            assert abs(float(a) - b) <= 0.5 * ulp * (1 + 1e-9), (what, k, got[k], lo, hi)

cmp = json.load(open(f"{d}/cmp.json"))
lines = [l for l in open(f"{d}/cmp.txt") if re.match(r"^ +95%:", l)]
assert len(lines) == len(cmp["laws"]) == 2, lines
for law, line in zip(cmp["laws"], lines):
    check_json(law["label"], law, scale[law["law"]])
    check_text(law["label"], line, law, scale[law["law"]])
by = json.load(open(f"{d}/by.json"))
txt = open(f"{d}/by.txt").read()
for g in by["groups"] + [dict(by["pooled"], label="(pooled)")]:
    check_json(g["label"], g, scale["power"])
    m = re.search(rf"^  {re.escape(g['label'])} +95%:(.*)$", txt, re.M)
    assert m, (g["label"], txt)
    check_text(g["label"], m.group(1), g, scale["power"])
print("ok: comparison and groups carry the intervals on each parameter's unbounded scale")
PY
[ "$fails" -eq 0 ]
