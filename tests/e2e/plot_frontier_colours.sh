#!/usr/bin/env bash
# plot_frontier_colours.sh: the lines of one frontier chart are told apart by colour or dash. The
# published laws took palette colours in palette order, and the fifth, dark orange (DeepSeek 2024),
# drew beside the second, vermillion (Epoch 2024): CIEDE2000 17 apart, both dashed, their D* lines
# nearly on top of each other (found on the main job's own-sweep report, chart-frontier.svg). The
# report's frontier of published laws alone assigned colours the same way. Read from the SVG: each
# named line's stroke colour and dash pattern; any two series (by legend name) with the same dash
# pattern must lie at least DE_MIN apart in CIEDE2000 (Sharma, Wu & Dalal 2005), computed here from
# the sRGB values (D65), the formula checked on two of Sharma's published test pairs.
set -uo pipefail
. "$SF_SRC/tests/e2e/lib/plot_checks.sh"
need_gnuplot
fit=$SF_SRC/tests/inputs/fit_own_sweep.json

"$SCALEFIT" plot frontier "$fit" -o "$tmp/fit.svg" > /dev/null 2> "$tmp/fit.err" \
  || bad "plot frontier failed: $(cat "$tmp/fit.err")"
cat > "$tmp/pub.ini" <<INI
[forecast]
published = hoffmann2022_approach3, hoffmann2022_approach3_unrounded, epoch2024_replication, llama3_Dopt, kaplan2020_Nopt, deepseek2024_Dopt
budgets = 1e21:1e26:6

[chart frontier]
kind = frontier
INI
"$SCALEFIT" report "$tmp/pub.ini" -o "$tmp/rep" > /dev/null 2> "$tmp/pub.err" \
  || bad "report failed: $(cat "$tmp/pub.err")"

for svg in "$tmp/fit.svg:5" "$tmp/rep/pub/chart-frontier.svg:6"; do
  [ -s "${svg%:*}" ] || continue
  "$py" - "${svg%:*}" "${svg##*:}" <<'PY' && pass "${svg%:*}: any two lines of the same dash pattern >= 25 apart (CIEDE2000)" \
    || bad "${svg%:*}: lines too close in colour"
import itertools, math, re, sys
DE_MIN = 25
def lab(rgb):  # sRGB (0-255) to CIELAB, D65 white
    c = [v / 255 for v in rgb]
    c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    X = 0.4124 * c[0] + 0.3576 * c[1] + 0.1805 * c[2]
    Y = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    Z = 0.0193 * c[0] + 0.1192 * c[1] + 0.9505 * c[2]
    f = lambda t: t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116
    fx, fy, fz = f(X / 0.95047), f(Y), f(Z / 1.08883)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)
def de2000(p, q):
    (L1, a1, b1), (L2, a2, b2) = p, q
    Cb = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    G = 0.5 * (1 - math.sqrt(Cb ** 7 / (Cb ** 7 + 25 ** 7)))
    a1, a2 = (1 + G) * a1, (1 + G) * a2
    C1, C2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1)) % 360, math.degrees(math.atan2(b2, a2)) % 360
    dh = 0 if C1 * C2 == 0 else (h2 - h1 + 180) % 360 - 180
    dH = 2 * math.sqrt(C1 * C2) * math.sin(math.radians(dh / 2))
    Lb, Cp = (L1 + L2) / 2, (C1 + C2) / 2
    if C1 * C2 == 0: hb = h1 + h2
    elif abs(h1 - h2) <= 180: hb = (h1 + h2) / 2
    else: hb = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    T = (1 - 0.17 * math.cos(math.radians(hb - 30)) + 0.24 * math.cos(math.radians(2 * hb))
         + 0.32 * math.cos(math.radians(3 * hb + 6)) - 0.20 * math.cos(math.radians(4 * hb - 63)))
    RT = -math.sin(math.radians(60 * math.exp(-((hb - 275) / 25) ** 2))) * 2 * math.sqrt(Cp ** 7 / (Cp ** 7 + 25 ** 7))
    SL = 1 + 0.015 * (Lb - 50) ** 2 / math.sqrt(20 + (Lb - 50) ** 2)
    SC, SH = 1 + 0.045 * Cp, 1 + 0.015 * Cp * T
    dL, dC = (L2 - L1) / SL, (C2 - C1) / SC
    return math.sqrt(dL ** 2 + dC ** 2 + (dH / SH) ** 2 + RT * dC * dH / SH)
# Sharma et al. 2005, Table 1, pairs 1 and 17: 2.0425 and 27.1492
assert abs(de2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) - 2.0425) < 1e-4
assert abs(de2000((50, 2.5, 0), (73, 25, -18)) - 27.1492) < 1e-4
svg, want = open(sys.argv[1]).read(), int(sys.argv[2])
styles = {}  # legend name -> {(rgb, dash)}
for gid, title, body in re.findall(r'<g id="(gnuplot_plot_[^"]+)" ><title>([^<]*)</title>(.*?)\n\t</g>', svg, re.S):
    if title.startswith("gnuplot_plot_"):  # a line without a legend entry: the fit's D* extrapolation, named in the N panel
        continue
    for m in re.finditer(r"<path stroke='rgb\(\s*(\d+),\s*(\d+),\s*(\d+)\)'([^>]*)", body):
        dash = re.search(r"stroke-dasharray='([^']*)'", m.group(4))
        styles.setdefault(title, set()).add((tuple(map(int, m.group(1, 2, 3))), dash.group(1) if dash else ""))
print({t: sorted(s) for t, s in styles.items()})
laws = [t for t in styles if t not in ("this fit", "extrapolation")]
assert len(laws) == want, laws
worst = None
for (t1, s1), (t2, s2) in itertools.combinations(styles.items(), 2):
    for (c1, d1), (c2, d2) in itertools.product(s1, s2):
        if d1 != d2:
            continue
        de = de2000(lab(c1), lab(c2))
        if worst is None or de < worst[0]: worst = (de, t1, t2)
        assert de >= DE_MIN, (t1, c1, t2, c2, round(de, 1))
print("closest pair of the same dash: %.1f (%s, %s)" % worst)
PY
done
exit $fail
