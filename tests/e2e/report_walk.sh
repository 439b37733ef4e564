#!/bin/bash
# report_walk.sh: what a new user's own specs met in `scalefit report` (a walk through docs/REPORT.md
# with realistic studies). Each check states what the docs promise and tests it against independent
# arithmetic or the exit-code table, never against scalefit's own printed figures:
#  - a chart that cannot be drawn for the spec's fit (a frontier of a law of C alone) is bad input,
#    exit 2, at the chart's line: it exited 1, the code of a command-line usage error
set -u
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
command -v gnuplot >/dev/null 2>&1 || { echo "skip: gnuplot is not installed (Debian package gnuplot-nox)"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cd "$w" || fail "cd"
models="$SF_SRC/datasets/models.csv"

# 1. a frontier chart of a law of C alone: bad input (2), at the chart's fit line, no folder left
printf '[data]\nfile = %s\n[fit pc]\nlaw = power\ny = mmlu\n[chart f]\nkind = frontier\nfit = pc\n' "$models" > front.ini
"$SCALEFIT" report front.ini -o out1 > /dev/null 2> err1.txt
rc=$?
cat err1.txt
[ $rc -eq 2 ] || fail "frontier of a law of C: exit $rc, want 2 (bad input; 1 is a usage error)"
grep -q 'front.ini:8: \[chart f\]' err1.txt || fail "the message names the chart's fit line"
[ ! -e out1 ] || fail "a failed spec left $(ls -A out1)"

echo "ok: report_walk"
