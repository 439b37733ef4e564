#!/usr/bin/env bash
# report_html.sh: the reports' HTML and Markdown are well-formed and readable without a browser.
# The shipped examples and two specs whose titles, descriptions and chart titles hold every
# character that means something in HTML or Markdown are built, and tests/e2e/lib/report_check.py
# (the standard library's html.parser: CI has no validator) checks each page: doctype, lang,
# charset, nesting, no id twice, every link and image target there, every table with a header
# row, every inline chart named by its title for a screen reader (gnuplot names them all
# "Gnuplot"); and each report.md: no raw HTML, tables whose text columns (a law, a formula) are
# left-aligned and figures right-aligned, titles that read back exactly as written. Where
# xmllint is installed (libxml2-utils; CI may not have it) each chart file must parse as XML.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
. "$(dirname "$0")/lib/common.sh"
any_python
need_cmd gnuplot gnuplot-nox
fail_fast

t1='Loss < 2 & "best" *not italic* _x_ | #1 $5 [a](b) <b>bold</b> 100%'
t2='1. Turn: mmlu > 0.5? `code` ~strike~ \ backslash'
cat > "$tmp/esc-loss.ini" <<EOF
[report]
title = $t1
description = 1. not a list; <i>x</i> & y | z * w _v_

[data]
file = @datasets/sweep_default.h5

[fit a_b]
law = chinchilla

[forecast]
budgets = 1e12, 1e14
targets = 1.5

[cost h100]
gpu = h100
gpus = 8
price = 2.5

[chart loss]
kind = scaling
fit = a_b
title = Loss < 2 & "more" *x* _y_

[chart res]
kind = residuals
fit = a_b

[chart iso]
kind = isoflop
EOF
cat > "$tmp/esc-turn.ini" <<EOF
[report]
title = $t2

[data]
file = @datasets/models.csv

[turn mmlu]
y = mmlu
bootstrap = 20

[chart t]
kind = turn
title = mmlu > chance & <rising>?
EOF
"$SCALEFIT" report "$SF_SRC"/examples/*.ini "$tmp/esc-loss.ini" "$tmp/esc-turn.ini" -o "$tmp/out" -j 2 > "$tmp/log" 2>&1 ||
  { cat "$tmp/log"; fail "report exit $?"; }
$py "$SF_SRC/tests/e2e/lib/report_check.py" "$tmp/out" "$t1" "$t2" ||
  fail "report_check.py found the problems above"

# report.json: strict JSON (no NaN), each chart with the title its SVG file is named by
$py - "$tmp/out" <<'PY' || fail "report.json"
import glob, json, re, sys
for f in glob.glob(sys.argv[1] + "/*/report.json"):
    def no_const(c):
        raise ValueError(f"{f}: {c} is not JSON")
    d = json.load(open(f), parse_constant=no_const)
    for c in d["charts"]:
        svg = open(f.rsplit("/", 1)[0] + "/" + c["file"]).read()
        t = re.search(r"<title>([^<]*)</title>", svg).group(1)
        t = t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert c.get("title") == t, (f, c, t)
PY

# a turn's verdict stands out in report.md as on the page (a box there, bold here), in its words
$py - "$tmp/out/esc-turn" <<'PY' || fail "the verdict in report.md"
import json, re, sys
d = json.load(open(sys.argv[1] + "/report.json"))
v = d["turns"][0]["verdict"]
md = open(sys.argv[1] + "/report.md").read().split("\n")
bold = [l for l in md if l.startswith("**") and l.endswith("**") and re.sub(r"\\(.)", r"\1", l[2:-2]) == v]
assert bold, (v, [l for l in md if "supported" in l or "saturation" in l])
PY

# the chart files alone: named by their title too, the title escaped as XML
grep -q '<title>Loss &lt; 2 &amp; "more" \*x\* _y_</title>' "$tmp/out/esc-loss/chart-loss.svg" ||
  fail "chart-loss.svg's <title>: $(grep -m1 -o '<title>[^<]*</title>' "$tmp/out/esc-loss/chart-loss.svg")"
if command -v xmllint >/dev/null 2>&1; then
  for f in "$tmp"/out/*/chart-*.svg; do xmllint --noout "$f" || fail "$f is not well-formed XML"; done
else
  echo "note: xmllint not installed (libxml2-utils): the SVG files' XML is not checked"
fi
echo "ok: report HTML and Markdown structure"
