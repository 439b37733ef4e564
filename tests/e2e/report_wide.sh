#!/bin/bash
# report_wide.sh: a report read on a laptop. At 1280 px the Targets table of a delta-method fit with
# a long name scrolled sideways (1465 px of table in a 1040 px column): every figure's cell was one
# unbreakable line ("1.25e+21 [1.77e+05, 3.50e+90]", three such columns in e-notation) and the fit's
# name one 430 px word. Headless Chromium lays the page out at 1280 px; a copy of it with a script
# added (the report itself has none) writes each table box's scrollWidth and clientWidth into the
# DOM, and no table may be wider than its box. A value must stay on one line and a band whole: only
# the break before a band is allowed. Skips (77) without chromium.
set -u
. "$(dirname "$0")/lib/common.sh" # $tmp, $PY, fails, fail(), need_py, need_cmd, skip
any_python
need_cmd chromium chromium
fail_fast
w=$tmp
cd "$w" || fail "cd"
cat > wide.ini <<SPEC
[data]
file = $SF_SRC/datasets/sweep_default.h5
[fit chinchilla_refit_of_the_november_sweep_every_checkpoint]
law = chinchilla
[forecast]
targets = 0.076, 0.1, 1
budgets = 1e20, 1e30, 1e40
SPEC
"$SCALEFIT" report wide.ini -o out > /dev/null || fail "report: exit $?"
page=out/wide/index.html
grep -q '3.50e+90\]' "$page" || fail "the premise: no e-notation band in the Targets table"
sed 's#</body>#<script>document.body.setAttribute("data-widths", [...document.querySelectorAll("div.scroll")].map(d => d.scrollWidth + "/" + d.clientWidth).join(" "));document.body.setAttribute("data-lines", [...document.querySelectorAll("td.num")].map(td => { const r = document.createRange(); r.selectNodeContents(td); const ys = new Set([...r.getClientRects()].map(x => Math.round(x.top))); return ys.size + ":" + td.textContent; }).join("|"))</script></body>#' "$page" > measured.html
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
  --user-data-dir="$(mktemp -d -p "$w")" --window-size=1280,900 --dump-dom "file://$w/measured.html" > dom.html 2> chrome.log ||
  { tail chrome.log; fail "chromium --dump-dom"; }
"$PY" - dom.html <<'PY' || fail "a table is wider than the page at 1280 px"
import re, sys, html
dom = open(sys.argv[1]).read()
m = re.search(r'data-widths="([^"]*)"', dom)
assert m, "no widths written (the script did not run)"
pairs = [tuple(map(int, p.split("/"))) for p in m.group(1).split()]
assert len(pairs) >= 3, pairs  # fit, forecasts, targets (and provenance)
print("table widths in their boxes:", " ".join(f"{s}/{c}" for s, c in pairs))
assert all(s <= c for s, c in pairs), pairs
cells = html.unescape(re.search(r'data-lines="([^"]*)"', dom).group(1)).split("|")
for cell in cells:
    n, text = cell.split(":", 1)
    # one line, or the value over its whole band
    assert n == "1" or (n == "2" and " [" in text), cell
PY
echo "ok: every table fits a 1280 px page"
