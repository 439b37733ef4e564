# plot_checks.sh: checks shared by the plot end-to-end tests, sourced by tests/e2e/plot_*.sh
# (this folder is outside the tests/e2e/*.sh glob, so it is not a test itself), on common.sh's preamble
# ($tmp, $py, skip...).
# Needs: gnuplot (else the tests skip), python3 (Debian's /usr/bin/python3 preferred) for the SVG
# check, and optionally pdfinfo (Debian package poppler-utils) for the PDF page count.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

fail=0
pass() { echo "ok: $*"; }
bad() {
  echo "FAIL: $*"
  fail=1
}
need_gnuplot() { need_cmd gnuplot gnuplot-nox; }
any_python

# png_check FILE WIDTH HEIGHT: PNG signature and the IHDR chunk's size.
png_check() {
  local sig wh
  sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
  [ "$sig" = 89504e470d0a1a0a ] || { bad "$1: not a PNG (signature $sig)"; return; }
  [ "$(od -An -c -j12 -N4 "$1" | tr -d ' \n')" = IHDR ] || { bad "$1: no IHDR chunk first"; return; }
  wh=$(od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
  [ "$wh" = "$2x$3" ] || { bad "$1: size $wh, want $2x$3"; return; }
  [ "$(stat -c %s "$1")" -gt 5000 ] || { bad "$1: suspiciously small"; return; }
  pass "$1 is a ${wh} PNG"
}

# svg_check FILE GLYPH COUNT TEXT...: well-formed XML; COUNT point glyphs of kind GLYPH
# (gnuplot's '#gpPt<k>' symbols placed with a transform; -1: any number); every TEXT as text.
svg_check() {
  local f=$1 glyph=$2 want=$3
  shift 3
  "$py" - "$f" "$glyph" "$want" "$@" <<'PY' || bad "$f: SVG check failed"
import sys, xml.dom.minidom
f, glyph, want, texts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
doc = xml.dom.minidom.parse(f)  # raises on malformed XML
uses = [u for u in doc.getElementsByTagName("use")
        if u.getAttribute("xlink:href") == "#" + glyph and u.hasAttribute("transform")]
if want >= 0 and len(uses) != want:
    sys.exit(f"{f}: {len(uses)} '{glyph}' glyphs, want {want}")
alltext = set()
for t in doc.getElementsByTagName("tspan"):
    alltext.add("".join(n.data for n in t.childNodes if n.nodeType == n.TEXT_NODE))
for t in doc.getElementsByTagName("text"):
    alltext.add("".join(n.data for n in t.childNodes if n.nodeType == n.TEXT_NODE))
missing = [t for t in texts if t not in alltext]
if missing:
    sys.exit(f"{f}: text missing: {missing}")
print(f"ok: {f} is well-formed SVG with {len(uses)} '{glyph}' glyphs and {len(texts)} expected texts")
PY
}

# pdf_check FILE: PDF header and trailer, one page (pdfinfo when installed).
pdf_check() {
  local pages
  [ "$(head -c 7 "$1")" = "%PDF-1." ] || { bad "$1: no PDF header"; return; }
  tail -c 32 "$1" | grep -q '%%EOF' || { bad "$1: no %%EOF trailer"; return; }
  if command -v pdfinfo >/dev/null 2>&1; then
    pages=$(pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ {print $2}')
  else
    pages=$(grep -a -o '/Type /Page[^s]' "$1" | wc -l)
  fi
  [ "$pages" = 1 ] || { bad "$1: $pages pages, want 1"; return; }
  pass "$1 is a one-page PDF"
}

# same FILE1 FILE2: byte-identical.
same() {
  if cmp -s "$1" "$2"; then pass "$1 and $2 are byte-identical"; else bad "$1 and $2 differ"; fi
}

# expect_exit CODE STDERR-PATTERN -- ARGS...: scalefit exits CODE and says PATTERN on stderr.
expect_exit() {
  local want=$1 pat=$2 rc
  shift 3
  "$SCALEFIT" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne "$want" ]; then
    bad "scalefit $* exited $rc, want $want ($(cat "$tmp/err"))"
  elif ! grep -q -- "$pat" "$tmp/err"; then
    bad "scalefit $*: stderr lacks '$pat': $(cat "$tmp/err")"
  else
    pass "scalefit $* -> $rc: $(head -1 "$tmp/err")"
  fi
}

# ends_labelled SCRIPT AXIS: in a kept gnuplot script, the axis AXIS (x or y) of its first panel
# has a labelled tick near each end (docs/PLOT.md: no end of an axis goes unlabelled): on a log
# axis within a quarter of the axis of each end, or powers of ten no more than a decade apart from
# either end; on a linear axis within a fifth of it (gnuplot's own ticks at the multiples of an
# increment, "set ytics 0.2", count as they fall).
ends_labelled() {
  "$py" - "$1" "$2" <<'PY' && pass "$1: both ends of the $2 axis labelled" || bad "$1: an end of the $2 axis is unlabelled"
import math, re, sys
gp, ax = open(sys.argv[1]).read(), sys.argv[2]
lo, hi = map(float, re.search(r"^set %srange \[([^:]+):([^\]]+)\]" % ax, gp, re.M).groups())
log = re.search(r"^set logscale %s " % ax, gp, re.M) is not None
pos = (lambda v: math.log10(v)) if log else (lambda v: v)
span = pos(hi) - pos(lo)
m = re.search(r"^set %stics \((.*)\)$" % ax, gp, re.M)
if m:
    at = sorted(float(v) for v in re.findall(r"'[^']*' ([-+0-9.e]+)", m.group(1)))
elif not log:
    step = float(re.search(r"^set %stics ([-+0-9.e]+)$" % ax, gp, re.M).group(1))
    at = [k * step for k in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]
if m or not log:
    ends = ((pos(at[0]) - pos(lo)) / span, (pos(hi) - pos(at[-1])) / span)
    print(f"{ax}: [{lo:g}, {hi:g}] ticks {at}: ends {ends[0]:.2f}, {ends[1]:.2f} of the axis bare")
    sys.exit(0 if len(at) >= 2 and max(ends) <= (0.25 if log else 0.2 + 1e-9) else 1)
# powers of ten every step
m = re.search(r"^set %stics ([-+0-9.e]+), ([-+0-9.e]+)$" % ax, gp, re.M)
first, step = float(m.group(1)), float(m.group(2))
last = first
while last * step <= hi * (1 + 1e-9):
    last *= step
ends = (math.log10(first / lo), math.log10(hi / last))
print(f"{ax}: [{lo:g}, {hi:g}] powers of ten from {first:g} to {last:g}: {ends[0]:.2f}, {ends[1]:.2f} decades bare")
sys.exit(0 if max(ends) <= math.log10(step) else 1)
PY
}
