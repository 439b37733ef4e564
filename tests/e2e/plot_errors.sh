#!/usr/bin/env bash
# plot_errors.sh: `scalefit plot` on bad input: every mistake gets a clear message and its exit
# code (1 usage, 2 bad input, 4 output or gnuplot), and no failure leaves a chart or a
# temporary file behind or touches an existing chart. gnuplot missing is simulated with an empty
# PATH.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
chin="$SF_SHARED/chinchilla_svg_extracted.csv"
[ -f "$chin" ] || skip "$chin not found"
out="$tmp/out.d"
mkdir "$out"

expect_exit 1 "unknown kind 'scatter'" -- plot scatter "$chin" -o "$out/a.png"
expect_exit 1 "needs a fit" -- plot frontier "$chin" -o "$out/a.png"
expect_exit 1 "not both" -- plot scaling "$chin" --fit x.json --law chinchilla -o "$out/a.png"
expect_exit 1 "takes no --fit" -- plot isoflop "$chin" --law chinchilla -o "$out/a.png"
expect_exit 1 "which capability" -- plot turn "$chin" -o "$out/a.png"
expect_exit 1 "missing argument" -- plot scaling
expect_exit 1 "cannot tell the chart format of '$out/a.jpg'" -- plot scaling "$chin" -o "$out/a.jpg"
expect_exit 1 "must be 100 to 10000" -- plot scaling "$chin" --width 50 -o "$out/a.png"
expect_exit 1 "expects an integer" -- plot scaling "$chin" --height tall -o "$out/a.png"
expect_exit 2 "no-such.csv" -- plot scaling "$tmp/no-such.csv" -o "$out/a.png"
expect_exit 2 "column 'mmlu' is not in table 'chinchilla_svg_extracted'" -- plot scaling "$chin" --y mmlu -o "$out/a.png"
expect_exit 2 "cannot colour by 'colour'" -- plot scaling "$chin" --color-by colour -o "$out/a.png"
expect_exit 4 "nonexistent" -- plot scaling "$chin" -o "$tmp/nonexistent/a.png"
# a chart that cannot be written is said before --law fits (a bootstrap of minutes was spent first,
# and a fit that fails then hid the output's problem): the fit here would fail, the folder is said
expect_exit 4 "cannot write '$tmp/nonexistent/b.png'" -- plot scaling "$chin" --law power --where 'loss < 0' \
  -o "$tmp/nonexistent/b.png"
mkdir "$tmp/dir.png"
expect_exit 4 "cannot write '$tmp/dir.png': it is a directory" -- plot scaling "$chin" -o "$tmp/dir.png"

# gnuplot missing: exit 4 (no output can be made) naming the Debian package; an existing chart
# is left as it was
echo "old chart" >"$out/keep.png"
PATH=/nonexistent "$SCALEFIT" plot scaling "$chin" -o "$out/keep.png" 2>"$tmp/err"
rc=$?
if [ $rc -eq 4 ] && grep -q "install the Debian package gnuplot-nox" "$tmp/err"; then
  pass "gnuplot missing -> 4: $(cat "$tmp/err")"
else
  bad "gnuplot missing: exit $rc, $(cat "$tmp/err")"
fi
[ "$(cat "$out/keep.png")" = "old chart" ] && pass "existing chart untouched" || bad "existing chart changed"

n=$(ls -A "$out" | wc -l)
[ "$n" -eq 1 ] && pass "failures left nothing behind" || bad "failures left files: $(ls -A "$out")"
exit $fail
