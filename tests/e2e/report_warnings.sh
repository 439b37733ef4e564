#!/usr/bin/env bash
# report_warnings.sh: the batch index says which reports have warnings. Its status lines read "1 fit,
# 3 targets" for a report whose page warns that two of its parameters are not identified and that
# two targets lie 8 and 14 decades beyond the data: nothing on the index or in the batch's lines
# sent a reader to them. Now the index reads "ok, N warnings: ..." linked to the report's list of
# its warnings, each linked to the warning; the line on stdout ends "; N warnings"; report.json
# has them. Two specs: a delta-method Chinchilla fit of the shipped sweep (python checks the premise
# from its covariance: standard errors above the values of E and B, targets more than a decade out)
# and a published law's allocation at one budget, which warns of nothing.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh" # $tmp, $PY, fails, fail(), need_py, need_cmd, skip
need_py 'numpy'

cat > "$tmp/warned.ini" <<INI
[data]
file = $SF_SRC/datasets/sweep_default.h5
[fit ch]
law = chinchilla
[forecast]
targets = 0.076, 0.1, 1
INI
cat > "$tmp/clean.ini" <<INI
[forecast]
published = hoffmann2022_approach3
budgets = 1e22
INI
"$SCALEFIT" report "$tmp/warned.ini" "$tmp/clean.ini" -o "$tmp/rep" > "$tmp/out" 2> "$tmp/err" ||
  { echo "FAIL: report exit $?: $(cat "$tmp/err")"; exit 1; }
"$PY" "$SF_SRC/tests/e2e/lib/report_check.py" "$tmp/rep" || fail "report_check (links to warnings included)"

"$PY" - "$tmp/rep" "$tmp/out" <<'PY' || fail "index, pages, report.json and stdout"
import html.parser, json, re, sys
import numpy as np
rep, out = sys.argv[1], open(sys.argv[2]).read()

class Warn(html.parser.HTMLParser):  # the page's warnings: <p class="warn"> and its ids
    def __init__(self):
        super().__init__()
        self.ids, self.cur, self.texts = [], None, []
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "p" and a.get("class") == "warn":
            self.ids.append(a.get("id")); self.cur = ""
    def handle_data(self, d):
        if self.cur is not None: self.cur += d
    def handle_endtag(self, tag):
        if tag == "p" and self.cur is not None: self.texts.append(self.cur); self.cur = None

r = json.load(open(f"{rep}/warned/report.json"))
fit = r["fits"]["ch"]
order = fit["param_order"]
se = np.sqrt(np.diag(np.array(fit["cov"])))
vals = np.array([fit["params"][k] for k in order])
poor = [k for k, v, s in zip(order, vals, se) if s > abs(v)]
assert set(poor) >= {"E", "B"}, (poor, vals, se)                      # the premise, from the covariance
far = [t for t in r["targets"] if t["decades_beyond"] is not None and t["decades_beyond"] > 1]
assert len(far) >= 2, r["targets"]
n = len(r["warnings"])
for k in poor:
    assert any(w.startswith(f"parameter '{k}' is poorly identified") for w in r["warnings"]), (k, r["warnings"])
for t in far:
    assert sum(f"loss {t['target']:g}: the target needs a budget" in w for w in r["warnings"]) == 1, (t, r["warnings"])

page = open(f"{rep}/warned/index.html").read()
w = Warn(); w.feed(page)
assert w.texts == r["warnings"], (w.texts, r["warnings"])                 # the page's own, in order
assert w.ids == [f"warn-{i}" for i in range(1, n + 1)], w.ids
m = re.search(r'<p class="warnlist" id="warnings">(\d+) warnings below:((?: <a href="#warn-\d+">\d+</a>)+)</p>', page)
assert m and int(m.group(1)) == n and m.group(2).count("<a ") == n, m and m.group(0)
md = open(f"{rep}/warned/report.md").read()
assert f"**{n} warnings below**" in md and md.count("> **warning:**") == n, n

index = open(f"{rep}/index.html").read()
row = re.search(r'<tr><td><a href="warned/index.html">warned</a>.*?</tr>', index).group(0)
assert f'ok, <a class="warn" href="warned/index.html#warnings">{n} warnings</a>: 1 fit, 3 targets' in row, row
row = re.search(r'<tr><td><a href="clean/index.html">clean</a>.*?</tr>', index).group(0)
assert "<td>ok: 1 forecast</td>" in row and "warning" not in row, row
assert not json.load(open(f"{rep}/clean/report.json"))["warnings"]
assert 'id="warnings"' not in open(f"{rep}/clean/index.html").read()
assert re.search(rf"warned/index.html \(1 fit, 3 targets; {n} warnings\)", out), out
assert re.search(r"clean/index.html \(1 forecast\)$", out, re.M), out
print(f"warned: {n} warnings, linked from the index; clean: none")
PY
[ "$fails" -eq 0 ]
