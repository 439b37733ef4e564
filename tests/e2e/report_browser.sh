#!/bin/bash
# report_browser.sh: a report opens in a real browser. Headless Chromium (Debian's `chromium`)
# loads the published-models report from disk: its DOM must hold the inline SVG charts with
# their drawn paths and texts, and a screenshot must not be blank (many colours, a fair share of
# non-white pixels, the charts' palette present). Skips (77) when chromium is not installed.
set -u
. "$(dirname "$0")/lib/common.sh"
any_python
need_cmd chromium chromium gnuplot gnuplot-nox
fail_fast
w=$tmp
"$SCALEFIT" report "$SF_SRC/examples/published-models.ini" -o "$w/out" > /dev/null || fail "report exit $?"
page="file://$w/out/published-models/index.html"
chrome() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$(mktemp -d -p "$w")" "$@"
}
chrome --dump-dom "$page" > "$w/dom.html" 2> "$w/chrome.log" || { tail "$w/chrome.log"; fail "chromium --dump-dom"; }
chrome --screenshot="$w/shot.png" --window-size=1200,3200 "$page" >> "$w/chrome.log" 2>&1 || { tail "$w/chrome.log"; fail "chromium --screenshot"; }
"$PY" - "$w/dom.html" "$w/shot.png" <<'PY' || fail "rendered page"
import os, re, sys
sys.path.insert(0, os.path.join(os.environ["SF_SRC"], "tests/e2e/lib"))
from png import read_rows
dom = open(sys.argv[1]).read()
svgs = re.findall(r"<svg\b.*?</svg>", dom, re.S)
assert len(svgs) == 2, len(svgs)
for s in svgs:
    assert s.count("<path") > 20 and "Training compute C" in s, "an empty chart"
    w = re.search(r'width="(\d+)"', s)
    assert w and int(w.group(1)) >= 600
assert "<h1>Published models" in dom and "Turn 'mmlu'" in dom

W, H, bpp, rows = read_rows(sys.argv[2])
colours, nonwhite, total = set(), 0, 0
for y in range(0, H, 2):
    r = rows[y]
    for x in range(0, W, 2):
        px = r[x * bpp:x * bpp + 3]
        colours.add(px); total += 1
        nonwhite += px != b"\xff\xff\xff"
frac = nonwhite / total
print(f"screenshot {W}x{H}: {len(colours)} colours, {100 * frac:.1f}% non-white")
assert len(colours) > 200, "too few colours: blank page?"
assert 0.05 < frac < 0.9, frac
# at least two colours of the charts' Okabe-Ito palette are on screen, nearly exactly
def near(c):
    return any(all(abs(p[k] - c[k]) <= 6 for k in range(3)) for p in colours)
palette = ["0072b2", "d55e00", "009e73", "cc79a7", "a87400", "1a8c9c", "6b7000", "882255", "6a3fa0"]
seen = [c for c in palette if near(bytes.fromhex(c))]
print("palette colours on screen:", seen)
assert len(seen) >= 2, "chart colours missing"
PY
echo "ok: the report renders in chromium with its charts"
