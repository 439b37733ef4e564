#!/usr/bin/env bash
# display_band_places.sh: a value and its band at one precision, a column at one style.
#  - optimal: the loss column's figures below 1e4 at the decimal places that give the column's largest
#    (values and band ends) 4 significant digits, and each "loss band [LO, HI]" line at those places:
#    it read 1.119 over 0.7354 over 0.4928 (4 digits each) and "[0.6650, 1.022]" under 0.7354;
#  - next: the target's width at the places of the target's value as printed (4 significant digits):
#    "1.959 [1.941, 1.977], width 0.0356" (%.3g), and the summary's widths the same.
# Expected text computed here in Python from the JSON output, never taken from scalefit's text.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
py=/usr/bin/python3
. "$(dirname "$0")/lib/expect.sh" # $tmp, fails, fail(), expect CODE FRAGMENT CMD...
H="$SF_SRC/datasets/sweep_default.h5"
"$SCALEFIT" fit "$H" --law chinchilla --bootstrap 30 -o "$tmp/own.json" >/dev/null 2>&1 || fail "fit $H"
for budgets in 1e13,1e14,1e15 1e12:1e16:5; do
  "$SCALEFIT" optimal "$tmp/own.json" --compute $budgets >"$tmp/out" 2>/dev/null || fail "optimal $budgets exit $?"
  "$SCALEFIT" optimal "$tmp/own.json" --compute $budgets --json >"$tmp/out.json" 2>/dev/null || fail "optimal json"
  $py - "$tmp/out" "$tmp/out.json" <<'PY' || fail "optimal $budgets: $(cat "$tmp/out")"
import json, math, re, sys
text = open(sys.argv[1]).read().split("\n")
opt = json.load(open(sys.argv[2]))["optima"]
rows = [l.split() for l in text if re.match(r"^ +\d", l)]
bands = [l.strip()[len("loss band "):] for l in text if l.strip().startswith("loss band [")]
assert len(rows) == len(opt) == len(bands), (rows, bands)
vals = [v for o in opt for v in (o["loss"]["value"], o["loss"]["lo"], o["loss"]["hi"])]
assert all(abs(v) < 1e4 for v in vals), vals
amax = float("%.4g" % max(abs(v) for v in vals))
amin = min(abs(v) for v in vals if v)
dec = max(0, 3 - math.floor(math.log10(amax) + 1e-9))
assert dec + math.floor(math.log10(amin) + 1e-9) + 1 >= 2, "this data should stay plain"
f = lambda v: "%.*f" % (dec, v)
for r, b, o in zip(rows, bands, opt):
    L = o["loss"]
    assert r[-5] == f(L["value"]), (r, f(L["value"]))
    assert b == "[%s, %s]" % (f(L["lo"]), f(L["hi"])), (b, L)
print("optimal: loss column at %d places over %d budgets" % (dec, len(opt)))
PY
done

# next: a synthetic chinchilla fit (no bootstrap: the delta method), the target far beyond it
$py - "$tmp/chin.csv" <<'PY'
import math, sys
with open(sys.argv[1], "w") as f:
    f.write("run,N,D,loss\n")
    i = 0
    for k in range(8):
        N = 10 ** (7 + 2 * k / 7)
        for r in (5, 20, 80):
            D = r * N
            L = (1.8 + 400 * N ** -0.34 + 2000 * D ** -0.28) * math.exp(0.01 * math.sin(3.7 * i + 1))
            f.write("r%d,%.17g,%.17g,%.17g\n" % (i, N, D, L))
            i += 1
PY
"$SCALEFIT" fit "$tmp/chin.csv" --law chinchilla --loss l2 -o "$tmp/chin.json" >/dev/null 2>&1 || fail "fit chin"
args=("$tmp/chin.json" --compute 1e24 --max-compute 1e21 --count 2)
"$SCALEFIT" next "${args[@]}" >"$tmp/next.txt" 2>/dev/null || fail "next exit $?"
"$SCALEFIT" next "${args[@]}" --json >"$tmp/next.json" 2>/dev/null || fail "next json exit $?"
$py - "$tmp/next.txt" "$tmp/next.json" <<'PY' || fail "next: $(cat "$tmp/next.txt")"
import json, math, re, sys
text = open(sys.argv[1]).read()
j = json.load(open(sys.argv[2]))
t = j["target"]
v = t["value"]
assert 0 < abs(v) < 1e4, v
dec = max(0, 3 - math.floor(math.log10(float("%.4g" % abs(v))) + 1e-9))  # 4 significant digits
f = lambda x: "%.*f" % (dec, x)
want = "= %s [%s, %s], width %s," % (f(v), f(t["lo"]), f(t["hi"]), f(t["hi"] - t["lo"]))
assert want in text, (want, text)
last = j["picks"][-1]["after"]
w0, w1 = t["hi"] - t["lo"], last["hi"] - last["lo"]
want = "all %d runs: width %s -> %s (" % (len(j["picks"]), f(w0), f(w1))
assert want in text, (want, text)
print("next: width at %d places" % dec)
PY
exit $fails
