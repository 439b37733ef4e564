/* test_plot.c: the chart layer without gnuplot: the script it writes (datablocks, terminal per
 * extension, log-axis ticks and format, palette, quoting), the layout decisions (ranges, ticks,
 * legend placement, colours) against values worked out by hand, and the error paths of
 * rendering (gnuplot missing, gnuplot failing) with a stand-in program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>

#include "plot/plot.h"
#include "sf_test.h"

static char *script_of(const sf_chart *c, const char *out) {
  char *s = NULL;
  int rc = sf_chart_script(c, out, &s);
  if (rc) print_error("sf_chart_script: %s\n", sf_errmsg());
  assert_int_equal(rc, SF_OK);
  return s;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0, k = strlen(needle), len = strlen(hay);
  for (size_t i = 0; i + k <= len; i++)
    if (memcmp(hay + i, needle, k) == 0) n++;
  return n;
}

/* A loss-against-compute chart: three runs falling from top left to bottom right. */
static sf_chart *simple_chart(void) {
  static const double C[] = {1e18, 1e19, 1e20}, L[] = {3.0, 2.5, 2.125};
  sf_chart *c = sf_chart_new("t");
  assert_non_null(c);
  sf_panel *p = sf_chart_add_panel(c, "");
  assert_non_null(p);
  assert_int_equal(sf_axis_set(&p->x, "Training compute C", "FLOP", 1), SF_OK);
  assert_int_equal(sf_axis_set(&p->y, "Loss", "nats/token", 1), SF_OK);
  assert_non_null(sf_panel_add_points(p, "runs", 3, C, L));
  return c;
}

static void test_format_of(void **state) {
  (void)state;
  sf_plot_format f;
  assert_int_equal(sf_plot_format_of("plots/a.png", &f), SF_OK);
  assert_int_equal(f, SF_PLOT_PNG);
  assert_int_equal(sf_plot_format_of("A.SVG", &f), SF_OK);
  assert_int_equal(f, SF_PLOT_SVG);
  assert_int_equal(sf_plot_format_of("x/y.pdf", &f), SF_OK);
  assert_int_equal(f, SF_PLOT_PDF);
  assert_int_equal(sf_plot_format_of("chart.jpg", &f), SF_EUSAGE);
  assert_non_null(strstr(sf_errmsg(), "'chart.jpg'"));
  assert_int_equal(sf_plot_format_of("plots.d/chart", &f), SF_EUSAGE);

  char *s = sf_plot_script_path("plots/loss.svg");
  assert_string_equal(s, "plots/loss.gp");
  free(s);
  s = sf_plot_script_path("a.b/chart");
  assert_string_equal(s, "a.b/chart.gp");
  free(s);
}

static void test_datablocks(void **state) {
  (void)state;
  sf_chart *c = simple_chart();
  char *s = script_of(c, "out.png");
  assert_non_null(strstr(s, "$d0 << EOD\n1e+18 3\n1e+19 2.5\n1e+20 2.125\nEOD\n"));
  assert_non_null(strstr(s, "plot $d0 using 1:2 with points"));
  assert_non_null(strstr(s, "title 'runs'"));
  /* the output is a variable with a default, so the renderer can redirect it */
  assert_non_null(strstr(s, "if (!exists('sf_output')) sf_output = 'out.png'\n"));
  assert_non_null(strstr(s, "set output sf_output\n"));
  free(s);
  /* a path is not enhanced text: only quotes are doubled */
  s = script_of(c, "my_plots/it's.svg");
  assert_non_null(strstr(s, "sf_output = 'my_plots/it''s.svg'\n"));
  assert_non_null(strstr(s, "unset output\n"));
  free(s);

  /* rows a log axis cannot show: left out of points, breaking lines (blank line) */
  sf_panel *p = c->panels[0];
  static const double x[] = {1, 2, 3, 4}, y[] = {1, -1, NAN, 4};
  assert_non_null(sf_panel_add_points(p, "pts", 4, x, y));
  assert_non_null(sf_panel_add_line(p, "line", 4, x, y, 0));
  s = script_of(c, "out.png");
  assert_non_null(strstr(s, "$d1 << EOD\n1 1\n4 4\nEOD\n"));
  assert_non_null(strstr(s, "$d2 << EOD\n1 1\n\n\n4 4\nEOD\n"));
  free(s);
  sf_chart_free(c);
}

static void test_terminal_per_extension(void **state) {
  (void)state;
  sf_chart *c = simple_chart();
  char *s = script_of(c, "a.png");
  assert_non_null(strstr(s, "set terminal pngcairo enhanced font 'DejaVu Sans,13.0' size 900,600"));
  assert_non_null(strstr(s, "with points pt 7 ps 1.50 lc rgb '#0072B2'"));
  free(s);
  s = script_of(c, "a.svg");
  /* the same look in every terminal: svg draws text smaller and points larger than pngcairo
   * for the same sizes (font x 224/169, points x 61/100) */
  assert_non_null(strstr(s, "set terminal svg enhanced font 'sans-serif,17.2' size 900,600"));
  assert_non_null(strstr(s, "with points pt 7 ps 0.92 lc rgb '#0072B2'"));
  free(s);
  s = script_of(c, "a.pdf");
  /* 150 px to the inch; font x 224/234, points x 61/126 */
  assert_non_null(strstr(s, "set terminal pdfcairo enhanced font 'DejaVu Sans,12.4' size 6.00in,4.00in"));
  assert_non_null(strstr(s, "with points pt 7 ps 0.73 lc rgb '#0072B2'"));
  free(s);
  c->width = 50;
  assert_int_equal(sf_chart_script(c, "a.png", &s), SF_EUSAGE);
  assert_int_equal(sf_chart_script(c, "a.gif", &s), SF_EUSAGE);
  sf_chart_free(c);
}

static void test_log_axis_script(void **state) {
  (void)state;
  sf_chart *c = simple_chart();
  char *s = script_of(c, "a.svg");
  /* x spans 1e18..1e20, two decades and more: powers of ten, ticks from the first one inside */
  assert_non_null(strstr(s, "set logscale x 10\nset format x '10^{%T}'\nset xtics 1e+18, 10\n"));
  /* y spans 2.125..3 (padded 2.09..3.04): 1-2-5 and 1..9 give one tick (3), so even steps of
   * (3.04 - 2.09) / 5 = 0.19 rounded up to 0.2 */
  assert_non_null(strstr(s, "set logscale y 10\nset format y '%g'\n"
                            "set ytics ('2.2' 2.2, '2.4' 2.4, '2.6' 2.6, '2.8' 2.8, '3' 3)\n"));
  assert_non_null(strstr(s, "set xlabel 'Training compute C (FLOP)'\n"));
  assert_non_null(strstr(s, "set ylabel 'Loss (nats/token)'\n"));
  assert_null(strstr(s, "colorbox\nset cb"));
  assert_non_null(strstr(s, "unset colorbox\n"));
  free(s);
  sf_chart_free(c);
}

static void test_palette(void **state) {
  (void)state;
  /* Okabe & Ito's colours, blue first */
  assert_string_equal(sf_palette[0], "#0072B2");
  assert_string_equal(sf_palette[1], "#D55E00");
  assert_string_equal(sf_palette[2], "#009E73");
  sf_chart *c = simple_chart();
  sf_panel *p = c->panels[0];
  static const double x[] = {1e18, 1e20}, y[] = {2.5, 2.2};
  sf_series *b = sf_panel_add_line(p, "fit", 2, x, y, 0);
  sf_series *d = sf_panel_add_line(p, "extrapolation", 2, x, y, 1);
  sf_series *v = sf_panel_add_vline(p, "fitted range ends", 1e19);
  d->color = 0; /* same colour as the points on purpose */
  int colors[4];
  sf_plot_assign_colors(p, colors);
  assert_int_equal(colors[0], 1); /* auto: 0 is held by the dashed line */
  assert_int_equal(colors[1], 2);
  assert_int_equal(colors[2], 0);
  assert_int_equal(colors[3], SF_COLOR_AUTO); /* markers are grey, take no slot */
  (void)b;
  (void)v;
  char *s = script_of(c, "a.png");
  assert_non_null(strstr(s, "with points pt 5 ps 1.50 lc rgb '#D55E00' title 'runs'"));
  assert_non_null(strstr(s, "with lines lw 2.00 lc rgb '#009E73' title 'fit'"));
  assert_non_null(strstr(s, "with lines lw 2.00 lc rgb '#0072B2' dt (8,5) title 'extrapolation'"));
  assert_non_null(strstr(s, "set arrow from first 1e+19, graph 0 to first 1e+19, graph 1 nohead"));
  assert_non_null(strstr(s, "set label 'fitted range ends' at first 1e+19, graph 0.98 rotate by 90"));
  /* a viridis colour bar palette is always defined */
  assert_non_null(strstr(s, "set palette defined (0 '#440154'"));
  free(s);
  sf_chart_free(c);
}

static void test_bands_drawn_first(void **state) {
  (void)state;
  sf_chart *c = simple_chart();
  sf_panel *p = c->panels[0];
  static const double x[] = {1e18, 1e19, 1e20}, lo[] = {2.9, 2.4, 2.0}, hi[] = {3.1, 2.6, 2.3};
  sf_series *band = sf_panel_add_band(p, "95% band", 3, x, lo, hi);
  assert_non_null(band);
  assert_non_null(sf_panel_add_xregion(p, "beyond the data", 1e20, 1e21));
  assert_non_null(sf_panel_add_label(p, "Chinchilla", 1e19, 2.5));
  char *s = script_of(c, "a.png");
  assert_non_null(strstr(s, "$d1 << EOD\n1e+18 2.9 3.1\n1e+19 2.4 2.6\n1e+20 2 2.3\nEOD\n"));
  /* the band is the first plot clause though it was added after the points */
  assert_non_null(strstr(s, "plot $d1 using 1:2:3 with filledcurves fillcolor rgb '#D55E00' fillstyle transparent"));
  assert_non_null(strstr(s, "set object rectangle from first 1e+20, graph 0 to first 1e+21, graph 1 behind"));
  assert_non_null(strstr(s, "set label 'Chinchilla' at first 1e+19, first 2.5 left"));
  free(s);
  sf_chart_free(c);
}

/* sf_panel_add_key: a legend entry with no data (gnuplot's keyentry), no datablock of its own, its
 * sample in its style; one without a title would be an empty legend row and is refused */
static void test_key_only(void **state) {
  (void)state;
  sf_chart *c = simple_chart();
  sf_panel *p = c->panels[0];
  sf_series *k = sf_panel_add_key(p, "dashed: extrapolated", 1);
  assert_non_null(k);
  k->color = 6;
  assert_null(sf_panel_add_key(p, "", 1));
  assert_int_equal(sf_errcode(), SF_EUSAGE);
  sf_error_clear();
  size_t maxlen;
  assert_int_equal(sf_plot_legend_entries(p, &maxlen), 2); /* the runs and the key */
  char *s = script_of(c, "a.png");
  assert_non_null(strstr(s, "keyentry with lines lw 2.00 lc rgb '#000000' dt (8,5) title 'dashed: extrapolated'"));
  assert_null(strstr(s, "$d1 << EOD")); /* the runs are $d0; the key has no block */
  free(s);
  sf_chart_free(c);
}

static void test_quote(void **state) {
  (void)state;
  sf_buf b;
  sf_buf_init(&b);
  sf_plot_quote(&b, "own_sweep's ^{x}@&~\\\nend");
  assert_string_equal(sf_buf_str(&b), "'own\\_sweep''s \\^\\{x\\}\\@\\&\\~\\\\ end'");
  sf_buf_clear(&b);
  sf_axis a = {"Loss", "nats/token", 1, NAN, NAN};
  sf_plot_quote_axis(&b, &a);
  assert_string_equal(sf_buf_str(&b), "'Loss (nats/token)'");
  sf_buf_clear(&b);
  a.unit = "";
  sf_plot_quote_axis(&b, &a);
  assert_string_equal(sf_buf_str(&b), "'Loss'");
  sf_buf_free(&b);
}

static void test_ranges(void **state) {
  (void)state;
  sf_chart *c = simple_chart();
  sf_panel *p = c->panels[0];
  double lo, hi;
  /* x: log10 range 18..20 padded by 4% of 2 decades = 0.08 each side: 10^17.92 .. 10^20.08;
   * the low end is pulled out to 8e17 (within 5% of the span), the high end 1.2e20 is not
   * (2e20 is 0.22 decades away) */
  assert_int_equal(sf_plot_axis_range(p, SF_AXIS_X, &lo, &hi), 1);
  assert_rel(lo, 8e17, 1e-12);
  assert_rel(hi, pow(10, 20.08), 1e-12);
  /* y: log10(2.125)..log10(3) padded; neither end near a round value */
  double l0 = log10(2.125), l1 = log10(3.0), pad = 0.04 * (l1 - l0);
  sf_plot_axis_range(p, SF_AXIS_Y, &lo, &hi);
  assert_rel(lo, pow(10, l0 - pad), 1e-12);
  assert_rel(hi, pow(10, l1 + pad), 1e-12);
  /* a fixed end wins */
  p->y.min = 1.5;
  sf_plot_axis_range(p, SF_AXIS_Y, &lo, &hi);
  assert_rel(lo, 1.5, 1e-15);
  /* linear, and a single value */
  sf_chart *d = sf_chart_new("");
  sf_panel *q = sf_chart_add_panel(d, "");
  static const double x[] = {0, 10}, y[] = {5, 5};
  sf_panel_add_points(q, "", 2, x, y);
  sf_plot_axis_range(q, SF_AXIS_X, &lo, &hi);
  assert_rel(lo, -0.4, 1e-12);
  assert_rel(hi, 10.4, 1e-12);
  sf_plot_axis_range(q, SF_AXIS_Y, &lo, &hi);
  assert_rel(lo, 4.5, 1e-12);
  assert_rel(hi, 5.5, 1e-12);
  /* no data: a default range, reported as such */
  sf_chart *e = sf_chart_new("");
  sf_panel *r = sf_chart_add_panel(e, "");
  assert_int_equal(sf_plot_axis_range(r, SF_AXIS_X, &lo, &hi), 0);
  assert_true(lo < hi);
  sf_chart_free(c);
  sf_chart_free(d);
  sf_chart_free(e);
}

static void test_log_ticks(void **state) {
  (void)state;
  sf_ticks t;
  sf_plot_log_ticks(1e18, 1e22, &t);
  assert_int_equal(t.pow10, 1);
  assert_rel(t.step, 10, 1e-15);
  /* 28 decades: at most 8 labels, so every 10^4 */
  sf_plot_log_ticks(1e3, 1e30, &t);
  assert_int_equal(t.pow10, 1);
  assert_rel(t.step, 1e4, 1e-15);
  /* a loss axis */
  sf_plot_log_ticks(1.9, 5.2, &t);
  assert_int_equal(t.pow10, 0);
  assert_int_equal(t.n, 4);
  assert_rel(t.at[0], 2, 1e-15);
  assert_rel(t.at[3], 5, 1e-15);
  assert_string_equal(t.label[0], "2");
  /* 1-2-5 where it gives three ticks: one decade with big numbers */
  sf_plot_log_ticks(3e20, 2.5e21, &t);
  assert_int_equal(t.n, 3);
  assert_string_equal(t.label[0], "5×10^{20}");
  assert_string_equal(t.label[1], "10^{21}");
  assert_string_equal(t.label[2], "2×10^{21}");
  /* 1..9 when 1-2-5 gives fewer than three */
  sf_plot_log_ticks(150, 700, &t);
  assert_int_equal(t.n, 6);
  assert_rel(t.at[0], 200, 1e-15);
  assert_rel(t.at[5], 700, 1e-15);
  /* across a power of ten: 1..9 would leave 10 .. 13.3 unlabelled (42% of the axis), even
   * steps of 2 leave the bottom quarter bare, so steps of 1 */
  sf_plot_log_ticks(6.7, 13.3, &t);
  assert_int_equal(t.n, 7);
  assert_rel(t.at[0], 7, 1e-15);
  assert_rel(t.at[6], 13, 1e-15);
  /* very narrow: even steps */
  sf_plot_log_ticks(2.0, 2.6, &t);
  assert_int_equal(t.n, 4);
  assert_rel(t.at[1], 2.2, 1e-12);
  assert_string_equal(t.label[1], "2.2");
}

/* The share of a log axis [lo, hi] (narrower than two decades) between an end and its nearest
 * tick, and the widest share between two ticks. */
static void tick_gaps(double lo, double hi, const sf_ticks *t, double *end, double *gap) {
  double span = log10(hi / lo);
  *end = fmax(log10(t->at[0] / lo), log10(hi / t->at[t->n - 1])) / span;
  *gap = 0;
  for (size_t i = 1; i < t->n; i++) *gap = fmax(*gap, log10(t->at[i] / t->at[i - 1]) / span);
}

/* docs/PLOT.md: "no end of the axis and no gap goes unlabelled". One compute C = 1.2e18 is drawn
 * over [C/2, 2C]: 1-2-5 gave 1e18, 2e18 and even steps 1e18, 1.5e18, 2e18, leaving the left 37%
 * bare; a loss axis of 0.06..0.23 (a power law's extrapolation) had no label below 0.1 (41%). */
static void test_log_ticks_ends(void **state) {
  (void)state;
  sf_ticks t;
  double end, gap;
  sf_plot_log_ticks(6e17, 2.4e18, &t);
  assert_int_equal(t.pow10, 0);
  assert_true(t.n >= 3);
  tick_gaps(6e17, 2.4e18, &t, &end, &gap);
  assert_true(end <= 0.25);
  assert_true(gap <= 0.45);
  assert_true(t.at[0] < 1e18);
  sf_plot_log_ticks(0.0573, 0.2199, &t);
  tick_gaps(0.0573, 0.2199, &t, &end, &gap);
  assert_true(end <= 0.25);
  assert_true(t.at[0] < 0.1);
  /* every range from 1/50 of a decade to two decades, anywhere from 1e-3 to 1e3: a tick within
   * a quarter of the axis of each end (a hair over, 0.26, where the ends fall between ticks) */
  for (double l0 = -3; l0 < 3; l0 += 0.0137)
    for (double w = 0.02; w < 2; w *= 1.07) {
      double lo = pow(10, l0), hi = pow(10, l0 + w);
      sf_plot_log_ticks(lo, hi, &t);
      if (t.pow10) continue;
      assert_true(t.n >= 2);
      tick_gaps(lo, hi, &t, &end, &gap);
      if (end > 0.26 || gap > 0.46) print_error("[%g, %g]: end %.2f gap %.2f\n", lo, hi, end, gap);
      assert_true(end <= 0.26);
      assert_true(gap <= 0.46);
    }
}

/* The ticks the script s sets on axis ax ('x' or 'y') of its panel `panel` (from 1), whose range
 * is [lo, hi]: an explicit list ('label' value, ...), labels to lab, or gnuplot's own ticks at the
 * multiples of an increment ("set ytics 0.2"; lab[i] then empty). */
static size_t script_ticks(const char *s, size_t panel, char ax, double lo, double hi, double *at, char (*lab)[32]) {
  char key[32];
  snprintf(key, sizeof key, "# ---- panel %zu\n", panel);
  const char *q = strstr(s, key);
  assert_non_null(q);
  snprintf(key, sizeof key, "\nset %ctics ", ax);
  q = strstr(q, key);
  assert_non_null(q);
  q += strlen(key);
  size_t n = 0;
  if (*q != '(') {
    double step = strtod(q, NULL);
    assert_true(step > 0);
    for (double k = ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step && n < 64; k++, n++) {
      at[n] = k * step;
      lab[n][0] = 0;
    }
    return n;
  }
  for (q++; *q == '\'' && n < 64; n++) {
    const char *e = strchr(q + 1, '\'');
    assert_non_null(e);
    snprintf(lab[n], sizeof lab[n], "%.*s", (int)(e - q - 1), q + 1);
    char *end;
    at[n] = strtod(e + 1, &end);
    q = end + (*end == ',' ? 2 : 0);
  }
  return n;
}

/* The value a tick label says: "0.25", "-3", "2.5×10^{-4}". */
static double label_value(const char *l) {
  char *end;
  double m = strtod(l, &end);
  if (strncmp(end, "×10^{", strlen("×10^{")) == 0) return m * pow(10, strtod(end + strlen("×10^{"), NULL));
  if (strncmp(l, "10^{", 4) == 0) return pow(10, strtod(l + 4, NULL));
  return m;
}

/* Width of a label in font sizes, at most: 0.6 a character (DejaVu Sans digits are 0.64, its
 * point 0.32; a label of digits and one point is narrower than 0.6 a character). */
static double label_em(const char *l) {
  size_t k = 0;
  for (const unsigned char *c = (const unsigned char *)l; *c; c++)
    if ((*c & 0xC0) != 0x80 && *c != '{' && *c != '}' && *c != '^') k++;
  return 0.55 * (double)k;
}

/* A chart of rows x cols panels with linear axes fixed to [lo, hi] each way. */
static sf_chart *linear_panels(size_t rows, size_t cols, int width, int height, double lo, double hi) {
  sf_chart *c = sf_chart_new("");
  assert_non_null(c);
  c->ncols = cols;
  c->width = width;
  c->height = height;
  double x[2] = {lo, hi};
  for (size_t k = 0; k < rows * cols; k++) {
    sf_panel *p = sf_chart_add_panel(c, "");
    assert_non_null(p);
    assert_int_equal(sf_axis_set(&p->x, "x", "", 0), SF_OK);
    assert_int_equal(sf_axis_set(&p->y, "y", "", 0), SF_OK);
    p->x.min = p->y.min = lo;
    p->x.max = p->y.max = hi;
    assert_non_null(sf_panel_add_points(p, "", 2, x, x));
  }
  return c;
}

/* docs/PLOT.md: no end of an axis goes unlabelled, linear axes too. The turn chart's y axis from
 * below chance (0.25) to 1, [0.2125, 1], had gnuplot's ticks every 0.2 (0.4 .. 1): its bottom 24%
 * carried no label; a bootstrap histogram's count axis [0, 14.56] ticks 0, 5, 10 (top 31% bare).
 * Checked over many ranges on a 900 x 600 chart (both axes) and on the small panels of a 3 x 3
 * grid (1000 x 900, the bootstrap chart's), whose tick labels must not overprint. */
static void test_linear_ticks_ends(void **state) {
  (void)state;
  double at[64], end;
  char lab[64][32];
  sf_chart *c = linear_panels(1, 1, 900, 600, 0.2125, 1);
  char *s = script_of(c, "a.png");
  size_t n = script_ticks(s, 1, 'y', 0.2125, 1, at, lab);
  assert_true(n >= 3);
  assert_true(at[0] <= 0.2125 + 0.2 * 0.7875);
  free(s);
  sf_chart_free(c);
  c = linear_panels(3, 3, 1000, 900, 0, 14.56);
  s = script_of(c, "a.png");
  n = script_ticks(s, 1, 'y', 0, 14.56, at, lab);
  assert_true(at[n - 1] >= 0.8 * 14.56);
  free(s);
  sf_chart_free(c);

  /* ranges 1/100 to 3 times their magnitude wide, from 1e-3 to 1e3, positive, negative, from 0 */
  for (int grid = 0; grid < 2; grid++)
    for (double l0 = -3; l0 < 3; l0 += 0.097)
      for (double w = 0.01; w < 3; w *= 1.23)
        for (int sign = 0; sign < 3; sign++) {
          double m = pow(10, l0), lo = sign == 2 ? 0 : sign ? -m * (1 + w) : m, hi = sign == 2 ? m * w : lo + m * w;
          c = grid ? linear_panels(3, 3, 1000, 900, lo, hi) : linear_panels(1, 1, 900, 600, lo, hi);
          s = script_of(c, "a.png");
          for (int ax = 0; ax < 2; ax++) {
            n = script_ticks(s, 1, ax ? 'y' : 'x', lo, hi, at, lab);
            assert_true(n >= 2);
            end = fmax(at[0] - lo, hi - at[n - 1]) / (hi - lo);
            /* small panels: the x axis may keep an end bare rather than crowd its labels */
            if (!(grid && !ax) && end > 0.2 + 1e-9)
              print_error("%s %c [%g, %g]: %.2f of the axis bare at an end\n", grid ? "3x3" : "1x1", ax ? 'y' : 'x', lo,
                          hi, end);
            if (!(grid && !ax)) assert_true(end <= 0.2 + 1e-9);
            for (size_t i = 0; i < n; i++) {
              assert_true(at[i] >= lo - 1e-9 * (hi - lo) && at[i] <= hi + 1e-9 * (hi - lo));
              if (i) assert_true(at[i] > at[i - 1]);
              /* a label says its tick's value */
              if (lab[i][0]) assert_true(fabs(label_value(lab[i]) - at[i]) <= 1e-9 * (hi - lo));
              /* and keeps clear of the one before, even were the plot the whole panel (333 x
               * 300 px on the grid, font 14.4; 900 x 600, font 13 alone) */
              if (i) {
                double apart = (at[i] - at[i - 1]) / (hi - lo) * (grid ? (ax ? 300 : 333) : (ax ? 600 : 900));
                double em = grid ? 14.4 : 13;
                if (apart < (ax ? 1.0 : 0.5 * (label_em(lab[i]) + label_em(lab[i - 1]))) * em)
                  print_error("%s %c [%g, %g]: labels %s and %s overprint\n", grid ? "3x3" : "1x1", ax ? 'y' : 'x', lo,
                              hi, lab[i - 1], lab[i]);
                assert_true(apart >= (ax ? 1.0 : 0.5 * (label_em(lab[i]) + label_em(lab[i - 1]))) * em);
              }
            }
          }
          free(s);
          sf_chart_free(c);
        }
}

/* The width of a tick label as pngcairo draws it, in pixels at font size em: DejaVu Sans's
 * advance widths (its hmtx table, in 2048ths of an em: digits 1303, '-' 739, '.' 651) at 1.25
 * pixels a point (a run of four zeros at size 14.4 measured 46 px of ink, '----' 26 px). */
static double label_px(const char *l, double em) {
  double w = 0;
  for (const char *c = l; *c; c++) w += *c == '-' ? 739 : *c == '.' ? 651 : 1303;
  return w / 2048 * 1.25 * em;
}

/* No two x tick labels of a grid of small panels overprint. The bootstrap chart (3 x 3 panels,
 * 1000 x 900 px) printed "-200-150-100-50 0" under its log10 E scatter panel, whose y labels
 * (-0.6 .. 0) take room from the plot. The plot's width here is gnuplot 5.4's own (pngcairo,
 * GPVAL_TERM_XMIN/XMAX of the chart): 57 px of left margin, 12 px for each character of the
 * widest y label, 38 px right: 191 px with y labels of 4 characters, 215 with 2. Labels are
 * centred on their ticks and want at least a space (651/2048 em) between them. */
static void test_linear_ticks_no_overprint(void **state) {
  (void)state;
  static const double xr[][2] = {{-211.62564486, 8.17619241452}, {-0.728733020654, 0.164115501804},
                                 {-0.948752742406, 0.431636411813}, {0.751216023121, 6.0875254047},
                                 {-2.125, 0.17}, {-1375, 60}, {-21.3, 0.9}};
  static const double yr[][2] = {{-0.728733020654, 0.164115501804}, {0, 99.84}, {-0.948752742406, 0.431636411813}};
  const double em = 14.4, panel_w = 1000.0 / 3;
  for (size_t i = 0; i < sizeof xr / sizeof xr[0]; i++)
    for (size_t j = 0; j < sizeof yr / sizeof yr[0]; j++) {
      sf_chart *c = sf_chart_new("");
      assert_non_null(c);
      c->ncols = 3;
      c->width = 1000;
      c->height = 900;
      for (size_t k = 0; k < 9; k++) {
        sf_panel *p = sf_chart_add_panel(c, "");
        assert_non_null(p);
        assert_int_equal(sf_axis_set(&p->x, "x", "", 0), SF_OK);
        assert_int_equal(sf_axis_set(&p->y, "y", "", 0), SF_OK);
        p->x.min = xr[i][0], p->x.max = xr[i][1];
        p->y.min = yr[j][0], p->y.max = yr[j][1];
        double x[2] = {xr[i][0], xr[i][1]}, y[2] = {yr[j][0], yr[j][1]};
        assert_non_null(sf_panel_add_points(p, "", 2, x, y));
      }
      char *s = script_of(c, "a.png");
      double at[64], yat[64];
      char lab[64][32], ylab[64][32];
      size_t n = script_ticks(s, 5, 'x', xr[i][0], xr[i][1], at, lab);
      size_t ny = script_ticks(s, 5, 'y', yr[j][0], yr[j][1], yat, ylab), ychars = 0;
      for (size_t k = 0; k < ny; k++)
        if (strlen(ylab[k]) > ychars) ychars = strlen(ylab[k]);
      double plot_w = panel_w - 57 - 12 * (double)ychars - 38;
      assert_true(n >= 2);
      for (size_t k = 1; k < n; k++) {
        double apart = (at[k] - at[k - 1]) / (xr[i][1] - xr[i][0]) * plot_w;
        double need = 0.5 * (label_px(lab[k], em) + label_px(lab[k - 1], em)) + 651.0 / 2048 * 1.25 * em;
        if (apart < need)
          print_error("x [%g, %g], y labels of %zu characters: '%s' and '%s' %.1f px apart, need %.1f\n", xr[i][0],
                      xr[i][1], ychars, lab[k - 1], lab[k], apart, need);
        assert_true(apart >= need);
      }
      free(s);
      sf_chart_free(c);
    }
}

/* n points on the falling diagonal of [1,100] x [1,100] (log axes). */
static sf_chart *diagonal(size_t n, int rising) {
  double x[64], y[64];
  for (size_t i = 0; i < n; i++) {
    x[i] = pow(10, 2.0 * (double)i / (double)(n - 1));
    y[i] = rising ? x[i] : 100 / x[i];
  }
  sf_chart *c = sf_chart_new("");
  sf_panel *p = sf_chart_add_panel(c, "");
  sf_axis_set(&p->x, "x", "", 1);
  sf_axis_set(&p->y, "y", "", 1);
  sf_panel_add_points(p, "a", n / 2, x, y);
  sf_panel_add_points(p, "b", n - n / 2, x + n / 2, y + n / 2);
  return c;
}

static void test_legend_place(void **state) {
  (void)state;
  /* falling diagonal: top right is empty */
  sf_chart *c = diagonal(40, 0);
  assert_int_equal(sf_plot_legend_place(c->panels[0], 700, 480, 13, 1), SF_LEGEND_TOP_RIGHT);
  /* a point in the top-right corner sends the legend to the next empty corner: top left is
   * crossed by the diagonal's start... */
  static const double x1[] = {95}, y1[] = {95};
  sf_panel_add_points(c->panels[0], "", 1, x1, y1);
  /* ...(1, 100) is top left, so bottom left is next */
  assert_int_equal(sf_plot_legend_place(c->panels[0], 700, 480, 13, 1), SF_LEGEND_BOTTOM_LEFT);
  sf_chart_free(c);
  /* rising diagonal: top left */
  c = diagonal(40, 1);
  assert_int_equal(sf_plot_legend_place(c->panels[0], 700, 480, 13, 1), SF_LEGEND_TOP_LEFT);
  /* a line through every corner: outside, right; with a colour bar, below */
  static const double lx[] = {1, 100, 100, 1, 1}, ly[] = {100, 100, 1, 1, 100};
  sf_series *l = sf_panel_add_line(c->panels[0], "", 5, lx, ly, 0);
  assert_int_equal(sf_plot_legend_place(c->panels[0], 700, 480, 13, 1), SF_LEGEND_OUTSIDE_RIGHT);
  /* side by side panels stay inside: the corner crossed least (top left and bottom right have
   * only the frame line, the diagonal's points crowd the other two) */
  assert_int_equal(sf_plot_legend_place(c->panels[0], 700, 480, 13, 0), SF_LEGEND_TOP_LEFT);
  static const double z[] = {1, 2, 3, 4, 5};
  assert_int_equal(sf_series_color_by(c->panels[0], l, z, "z", "", 0), SF_OK);
  assert_int_equal(sf_plot_legend_place(c->panels[0], 700, 480, 13, 1), SF_LEGEND_BELOW);
  /* an explicit choice is kept; no titles, no legend */
  c->panels[0]->legend = SF_LEGEND_BOTTOM_RIGHT;
  assert_int_equal(sf_plot_legend_place(c->panels[0], 700, 480, 13, 1), SF_LEGEND_BOTTOM_RIGHT);
  sf_chart_free(c);
  c = sf_chart_new("");
  sf_panel *p = sf_chart_add_panel(c, "");
  sf_panel_add_points(p, "", 1, x1, y1);
  assert_int_equal(sf_plot_legend_place(p, 700, 480, 13, 1), SF_LEGEND_NONE);
  sf_chart_free(c);
}

/* A marker line's label goes where it covers no run and no other label. It used to run down
 * from the top always: over the own sweep's runs at its largest budget ("end of fitted runs"),
 * and over the turn chart's "inflection interval". Axes: log x over [1, 100], linear y over
 * [0, 1] (the frame's units then follow from the data alone, up to the axis padding). */
static void test_vline_label(void **state) {
  (void)state;
  const double W = 700, H = 480, F = 13;
  static const double fx[] = {1, 100}, fy[] = {0, 1};
  static const double px[] = {10, 10, 10, 10}, py[] = {0.6, 0.7, 0.8, 0.95};
  sf_chart *c = sf_chart_new("");
  sf_panel *p = sf_chart_add_panel(c, "");
  sf_axis_set(&p->x, "x", "", 1);
  sf_axis_set(&p->y, "y", "", 0);
  sf_panel_add_points(p, "frame", 2, fx, fy);
  assert_non_null(sf_panel_add_vline(p, "end of fitted runs", 10));
  double top, len = strlen("end of fitted runs") * SF_CHAR_W * F / H;
  int right;
  /* nothing near the line: the top, on its left, as always */
  sf_plot_vline_label(p, 1, NAN, W, H, F, &top, &right);
  assert_true(top == 0.98 && !right);
  /* runs on the line from y 0.6 up: the label runs below them, inside the plot */
  sf_panel_add_points(p, "runs", 4, px, py);
  sf_plot_vline_label(p, 1, NAN, W, H, F, &top, &right);
  double ylo, yhi;
  sf_plot_axis_range(p, SF_AXIS_Y, &ylo, &yhi);
  double vrun = (0.6 - ylo) / (yhi - ylo); /* the lowest run, as a fraction of the height */
  assert_true(top < vrun - 0.02 && top - len > 0);
  char *sc = script_of(c, "a.png");
  assert_non_null(strstr(sc, "'end of fitted runs' at first 10, graph "));
  assert_null(strstr(sc, "'end of fitted runs' at first 10, graph 0.98")); /* not on the runs */
  free(sc);
  sf_chart_free(c);
  /* a region's label at the top centre, the line inside the region: the two do not overlap */
  c = sf_chart_new("");
  p = sf_chart_add_panel(c, "");
  sf_axis_set(&p->x, "x", "", 1);
  sf_axis_set(&p->y, "y", "", 0);
  sf_panel_add_points(p, "frame", 2, fx, fy);
  assert_non_null(sf_panel_add_xregion(p, "inflection interval", 5, 20));
  assert_non_null(sf_panel_add_vline(p, "inflection", 10));
  len = strlen("inflection") * SF_CHAR_W * F / H;
  sf_plot_vline_label(p, 2, NAN, W, H, F, &top, &right);
  double text_lo = 0.96 - 0.6 * F / H; /* the region label's lower edge: centred at 0.96, ~1.2 em tall */
  assert_true(top < text_lo && top - len > 0);
  sf_chart_free(c);
}

/* The lowest and highest v of the polyline (u[k], v[k]) over [ua, ub], as fractions of the plot. */
static void poly_span(const double *u, const double *v, size_t n, double ua, double ub, double *lo, double *hi) {
  *lo = INFINITY, *hi = -INFINITY;
  for (size_t k = 0; k + 1 < n; k++)
    for (int q = 0; q <= 200; q++) {
      double t = q / 200.0, uu = u[k] + t * (u[k + 1] - u[k]), vv = v[k] + t * (v[k + 1] - v[k]);
      if (uu < ua || uu > ub) continue;
      if (vv < *lo) *lo = vv;
      if (vv > *hi) *hi = vv;
    }
}

/* A region's label crosses no line: it used to sit at the top centre of its region always, and
 * the turn chart's growth law, rising through the "laws differ" region, ran through it. Log x
 * over [1, 100], linear y over [0, 1]; the region [10, 100]; a line rising from y 0.55 at x = 10
 * to 1.2 at x = 100, through the top. The line's height under the label is computed here from
 * the axis ranges. */
static void test_region_label(void **state) {
  (void)state;
  const double W = 700, H = 480, F = 13;
  static const double fx[] = {1, 100}, fy[] = {0, 1}, lx[] = {1, 10, 100}, ly[] = {0.2, 0.55, 1.2};
  static const char *label = "laws differ by > 0.05";
  sf_chart *c = sf_chart_new("");
  sf_panel *p = sf_chart_add_panel(c, "");
  sf_axis_set(&p->x, "x", "", 1);
  sf_axis_set(&p->y, "y", "", 0);
  p->y.min = 0, p->y.max = 1;
  sf_panel_add_points(p, "frame", 2, fx, fy);
  assert_non_null(sf_panel_add_xregion(p, label, 10, 100));
  double xlo, xhi, u, v, half = 0.5 * strlen(label) * SF_TEXT_W * F / W, em = F / H;
  sf_plot_axis_range(p, SF_AXIS_X, &xlo, &xhi);
  double ur0 = (1 - log10(xlo)) / (log10(xhi) - log10(xlo)), ur1 = (2 - log10(xlo)) / (log10(xhi) - log10(xlo));
  /* nothing in the region: the top, centred in it */
  sf_plot_region_label(p, 1, NAN, W, H, F, &u, &v);
  assert_true(v == 0.96);
  assert_close(u, (ur0 + ur1) / 2, 1e-9);
  /* the line through the top: the label goes below it, crossing nothing, inside the plot */
  sf_panel_add_line(p, "growth", 3, lx, ly, 0);
  sf_plot_region_label(p, 1, NAN, W, H, F, &u, &v);
  double pu[3], pv[3], lo, hi, ylo, yhi;
  sf_plot_axis_range(p, SF_AXIS_Y, &ylo, &yhi);
  for (int k = 0; k < 3; k++)
    pu[k] = (log10(lx[k]) - log10(xlo)) / (log10(xhi) - log10(xlo)), pv[k] = (ly[k] - ylo) / (yhi - ylo);
  poly_span(pu, pv, 3, u - half, u + half, &lo, &hi);
  assert_true(v + 0.6 * em < lo || v - 0.6 * em > hi);
  assert_true(v < 0.96 && v - 0.6 * em > 0 && u + half <= 1 && u - half >= 0);
  /* the script draws it as placed for the chart's own size, in graph coordinates: off the top and
   * under the line at its centre (its ends depend on the font's size in the chart) */
  char *sc = NULL;
  assert_int_equal(sf_chart_script(c, "a.png", &sc), SF_OK);
  const char *at = strstr(sc, "'laws differ by > 0.05' at ");
  double su = NAN, sv = NAN;
  int got = at ? sscanf(at, "'laws differ by > 0.05' at graph %lf, graph %lf", &su, &sv) : 0;
  free(sc);
  assert_int_equal(got, 2);
  poly_span(pu, pv, 3, su - 0.01, su + 0.01, &lo, &hi);
  assert_true(sv < 0.9 && lo > sv + 0.03);
  /* a band where the line was: a clear place off the band is taken over one on it */
  static const double blo[] = {0.0, 0.0, 0.0}, bhi[] = {0.45, 0.45, 0.45};
  sf_panel_add_band(p, "band", 3, lx, blo, bhi);
  sf_plot_region_label(p, 1, NAN, W, H, F, &u, &v);
  poly_span(pu, pv, 3, u - half, u + half, &lo, &hi);
  assert_true(v + 0.6 * em < lo || v - 0.6 * em > hi);
  assert_true(v - 0.6 * em > 0.45);
  sf_chart_free(c);
  /* the turn chart's inflection interval, its line at the centre without a label of its own: the
   * region's label names both, and it sat centred on the region with the line through its middle.
   * It goes beside the line, half a font size clear of it; right, or left where the right has no
   * room (the region and its line near the plot's right end) */
  static const double rx[][3] = {{5, 10, 20}, {60, 80, 95}};
  for (int k = 0; k < 2; k++) {
    c = sf_chart_new("");
    p = sf_chart_add_panel(c, "");
    sf_axis_set(&p->x, "x", "", 1);
    sf_axis_set(&p->y, "y", "", 0);
    sf_panel_add_points(p, "frame", 2, fx, fy);
    const char *il = "inflection, 95% interval";
    assert_non_null(sf_panel_add_xregion(p, il, rx[k][0], rx[k][2]));
    assert_non_null(sf_panel_add_vline(p, "", rx[k][1]));
    sf_plot_axis_range(p, SF_AXIS_X, &xlo, &xhi);
    double ul = (log10(rx[k][1]) - log10(xlo)) / (log10(xhi) - log10(xlo));
    double h = 0.5 * strlen(il) * SF_TEXT_W * F / W, gap = 0.5 * F / W;
    sf_plot_region_label(p, 1, NAN, W, H, F, &u, &v);
    if (k == 0) assert_true(u - h >= ul + gap - 1e-9); /* right of the line */
    else assert_true(u + h <= ul - gap + 1e-9);       /* left of it */
    assert_true(u - h >= 0 && u + h <= 1);
    sf_chart_free(c);
  }
}

static void test_legend_in_script(void **state) {
  (void)state;
  sf_chart *c = diagonal(40, 1);
  char *s = script_of(c, "a.png");
  assert_non_null(strstr(s, "set key inside top left Left reverse spacing 1.15 width 0\n")); /* PNG: the reference rows */
  free(s);
  sf_chart_free(c);
}

static void test_color_bar_script(void **state) {
  (void)state;
  static const double C[] = {1e18, 1e19, 1e20}, L[] = {3, 2.5, 2.1}, N[] = {1e8, 1e9, 1e10};
  sf_chart *c = sf_chart_new("by size");
  sf_panel *p = sf_chart_add_panel(c, "");
  sf_axis_set(&p->x, "C", "FLOP", 1);
  sf_axis_set(&p->y, "loss", "", 1);
  sf_series *s = sf_panel_add_points(p, "", 3, C, L);
  assert_int_equal(sf_series_color_by(p, s, N, "Model size N", "parameters", 1), SF_OK);
  char *g = script_of(c, "a.svg");
  assert_non_null(strstr(g, "$d0 << EOD\n1e+18 3 100000000\n1e+19 2.5 1000000000\n1e+20 2.1 10000000000\nEOD\n"));
  assert_non_null(strstr(g, "using 1:2:3 with points pt 7 ps 0.92 lc palette notitle"));
  assert_non_null(strstr(g, "set cblabel 'Model size N (parameters)'\nset cbrange [100000000:10000000000]\n"));
  assert_non_null(strstr(g, "set logscale cb 10\nset format cb '10^{%T}'\nset cbtics 1e+08, 10\n"));
  assert_null(strstr(g, "unset colorbox"));
  free(g);
  /* bands and markers cannot be coloured by a value */
  sf_series *v = sf_panel_add_vline(p, "", 1e19);
  assert_int_equal(sf_series_color_by(p, v, N, "", "", 0), SF_EUSAGE);
  sf_chart_free(c);
}

static void test_panels(void **state) {
  (void)state;
  sf_chart *c = simple_chart();
  sf_chart_set_subtitle(c, "two panels");
  sf_panel *p = sf_chart_add_panel(c, "second");
  static const double x[] = {1, 2, 3}, y[] = {1, 4, 9};
  sf_panel_add_line(p, "square", 3, x, y, 0);
  char *s = script_of(c, "a.png");
  assert_non_null(strstr(s, "set multiplot layout 1,2 title 't'.\"\\n\".'{/*0.8 '.'two panels'.'}'\n"));
  assert_int_equal(count(s, "reset\n"), 2);
  assert_int_equal(count(s, "\nplot "), 2);
  assert_non_null(strstr(s, "set title 'second'"));
  assert_non_null(strstr(s, "unset multiplot\n"));
  /* datablocks are numbered across panels */
  assert_non_null(strstr(s, "$d1 << EOD\n1 1\n2 4\n3 9\nEOD\n"));
  free(s);
  sf_chart_free(c);
}

/* The number after the first key in s, or NaN. */
static double number_after(const char *s, const char *key) {
  const char *p = strstr(s, key);
  return p ? atof(p + strlen(key)) : NAN;
}

/* The text of "set label ID '...'" in script s (quotes undoubled), or NULL. */
static char *label_text(const char *s, int id, double *y) {
  char head[40];
  snprintf(head, sizeof head, "set label %d '", id);
  const char *p = strstr(s, head);
  if (!p) return NULL;
  p += strlen(head);
  sf_buf b;
  sf_buf_init(&b);
  for (; *p && !(p[0] == '\'' && p[1] != '\''); p++) {
    if (p[0] == '\'') p++;
    sf_buf_addc(&b, *p);
  }
  const char *at = strstr(p, "screen 0.5, screen ");
  if (y) *y = at ? atof(at + 19) : NAN;
  return sf_buf_take(&b);
}

/* A title wider than the canvas is wrapped at spaces, not cut at both edges (it was, in every
 * format: 92 characters of mixed text span a 900-px PNG at the title's font, 15 px). On a
 * 900-px chart the title font is 13 + 2 px: at 0.7 font sizes a character, with 5% to spare,
 * 0.95 * 900 / (0.7 * 15) = 81 characters a line. */
static void test_long_title_wrapped(void **state) {
  (void)state;
  const char *title = "Validation loss of the own sweep against training compute, with the fitted law along "
                      "its compute-optimal frontier and a band from two hundred resamples";
  sf_chart *c = sf_chart_new(title);
  assert_non_null(c);
  sf_panel *p = sf_chart_add_panel(c, "");
  static const double C[] = {1e18, 1e19, 1e20}, L[] = {3.0, 2.5, 2.125};
  sf_axis_set(&p->x, "C", "FLOP", 1);
  sf_axis_set(&p->y, "Loss", "", 1);
  assert_non_null(sf_panel_add_points(p, "runs", 3, C, L));
  sf_chart_set_subtitle(c, "3 runs");
  char *s = NULL;
  assert_int_equal(sf_chart_script(c, "a.png", &s), SF_OK);
  double y1, y2, ys;
  char *l1 = label_text(s, 1001, &y1), *l2 = label_text(s, 1002, &y2), *sub = label_text(s, 1101, &ys);
  assert_non_null(l1);
  assert_non_null(l2);
  assert_null(label_text(s, 1003, NULL));
  assert_true(strlen(l1) <= 81 && strlen(l2) <= 81);
  assert_true(strlen(l1) > 60); /* filled, not broken early */
  char joined[400];
  snprintf(joined, sizeof joined, "%s %s", l1, l2);
  assert_string_equal(joined, title);
  /* the lines, the subtitle and the plot's top go down in that order */
  assert_non_null(sub);
  assert_string_equal(sub, "3 runs");
  double top = number_after(s, "set tmargin at screen ");
  assert_true(y1 > y2 && y2 > ys && ys > top);
  free(sub), free(s);
  /* panels: the multiplot title gets the line break */
  static const double x[] = {1, 2, 3}, y[] = {1, 4, 9};
  sf_panel_add_line(sf_chart_add_panel(c, "second"), "square", 3, x, y, 0);
  s = NULL;
  assert_int_equal(sf_chart_script(c, "a.png", &s), SF_OK);
  char want[400];
  snprintf(want, sizeof want, "title '%s'.\"\\n\".'%s'.\"\\n\".'{/*0.8 '.'3 runs'.'}'\n", l1, l2);
  assert_non_null(strstr(s, want));
  free(l1), free(l2), free(s);
  sf_chart_free(c);
}

/* A parenthesised count is never split: the isoflop chart's subtitle at 1920 px wide broke as
 * "... C = 1.3e+22 (1" / "run)". At every line length each line's parentheses balance, no line
 * is longer than the length (no word here is), and the lines joined by spaces give the text. */
static void test_wrap_parentheses(void **state) {
  (void)state;
  const char *text = "245 runs in 12 compute bins; parabolas in log N; no interior minimum at C = 2.1e+18; "
                     "skipped, under 3 model sizes: C = 1.3e+22 (1 run), 2.0e+22 (12 runs)";
  for (size_t max = 20; max <= strlen(text) + 1; max++) {
    sf_buf b;
    sf_buf_init(&b);
    size_t lines = sf_plot_wrap(text, max, &b);
    const char *t = sf_buf_str(&b);
    size_t nl = 1;
    for (const char *l = t, *e;; l = e + 1, nl++) {
      e = strchr(l, '\n');
      size_t len = e ? (size_t)(e - l) : strlen(l);
      int depth = 0;
      for (size_t i = 0; i < len; i++) depth += l[i] == '(' ? 1 : l[i] == ')' ? -1 : 0;
      if (depth != 0) print_error("max %zu: line '%.*s'\n", max, (int)len, l);
      assert_int_equal(depth, 0);
      assert_true(len <= max);
      if (!e) break;
    }
    assert_int_equal(nl, lines);
    /* a value with its count, and "C =" with its value, stay on one line wherever they fit */
    if (max >= strlen("C = 1.3e+22 (1 run),")) assert_non_null(strstr(t, "C = 1.3e+22 (1 run)"));
    if (max >= strlen("2.0e+22 (12 runs)")) assert_non_null(strstr(t, "2.0e+22 (12 runs)"));
    if (max >= strlen("at C = 2.1e+18;")) assert_non_null(strstr(t, "C = 2.1e+18"));
    char *joined = sf_strdup(t);
    for (char *c = joined; *c; c++)
      if (*c == '\n') *c = ' ';
    assert_string_equal(joined, text);
    free(joined);
    sf_buf_free(&b);
  }
  /* a group longer than a line is broken at its spaces as any text */
  sf_buf b;
  sf_buf_init(&b);
  assert_int_equal(sf_plot_wrap("a (bb cc dd ee ff gg)", 10, &b), 3);
  assert_string_equal(sf_buf_str(&b), "a (bb cc\ndd ee ff\ngg)");
  sf_buf_free(&b);
}

static void test_misuse(void **state) {
  (void)state;
  sf_chart *c = sf_chart_new("");
  char *s;
  assert_int_equal(sf_chart_script(c, "a.png", &s), SF_EUSAGE); /* no panel */
  sf_panel *p = sf_chart_add_panel(c, "");
  double x = 1;
  assert_null(sf_panel_add_points(p, "", 0, &x, &x));
  assert_int_equal(sf_errcode(), SF_EUSAGE);
  assert_null(sf_panel_add_xregion(p, "", 2, 1));
  assert_null(sf_panel_add_vline(p, "", NAN));
  assert_null(sf_panel_add_label(p, "", 1, INFINITY));
  /* markers a log axis cannot show are left out; a region starting at or below zero starts
   * at the axis */
  p->x.log = 1;
  sf_panel_add_vline(p, "gone", -1);
  sf_panel_add_label(p, "gone too", 0, 1);
  sf_panel_add_xregion(p, "kept", -5, 5);
  s = script_of(c, "a.png");
  assert_null(strstr(s, "gone"));
  assert_non_null(strstr(s, "set object rectangle from first 1, graph 0 to first 5, graph 1"));
  free(s);
  /* an empty panel still renders: a dummy plot */
  s = script_of(c, "a.png");
  assert_non_null(strstr(s, "plot NaN notitle\n"));
  free(s);
  sf_chart_free(c);
  sf_chart_free(NULL);
}

/* ---- rendering error paths, with stand-ins for gnuplot ---- */

static int dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void test_render_gnuplot_missing(void **state) {
  (void)state;
  char dir[256], out[300];
  snprintf(dir, sizeof dir, "%s/missing", sf_test_tmpdir());
  mkdir(dir, 0755);
  snprintf(out, sizeof out, "%s/a.png", dir);
  sf_chart *c = simple_chart();
  sf_render_opts o = {NULL, "/nonexistent/bin/gnuplot", NULL};
  assert_int_equal(sf_chart_render(c, out, &o), SF_EIO);
  assert_non_null(strstr(sf_errmsg(), "gnuplot-nox"));
  assert_int_equal(dir_entries(dir), 0); /* nothing left behind */
  sf_chart_free(c);
}

static void test_render_gnuplot_fails(void **state) {
  (void)state;
  char dir[256], out[300], gp[300];
  snprintf(dir, sizeof dir, "%s/fails", sf_test_tmpdir());
  mkdir(dir, 0755);
  snprintf(out, sizeof out, "%s/a.svg", dir);
  snprintf(gp, sizeof gp, "%s/a.gp", dir);
  /* an older chart under the name must survive a failed run */
  FILE *f = fopen(out, "w");
  fputs("old", f);
  fclose(f);
  sf_chart *c = simple_chart();
  sf_render_opts o = {NULL, "false", NULL}; /* exits 1, like gnuplot on a script error */
  assert_int_equal(sf_chart_render(c, out, &o), SF_EIO);
  assert_non_null(strstr(sf_errmsg(), "gnuplot failed on '"));
  assert_non_null(strstr(sf_errmsg(), "a.gp' (exit 1)"));
  f = fopen(out, "r");
  char buf[8] = {0};
  assert_non_null(fgets(buf, sizeof buf, f));
  fclose(f);
  assert_string_equal(buf, "old");
  /* the failing script is kept beside the output for inspection, and nothing else is left */
  struct stat st;
  assert_int_equal(stat(gp, &st), 0);
  assert_int_equal(dir_entries(dir), 2);
  /* "true" writes nothing: an error, not an empty chart */
  o.gnuplot = "true";
  assert_int_equal(sf_chart_render(c, out, &o), SF_EIO);
  assert_non_null(strstr(sf_errmsg(), "gnuplot wrote nothing"));
  assert_int_equal(dir_entries(dir), 2);
  sf_chart_free(c);
}

static void test_shorten(void **state) {
  (void)state;
  sf_buf b;
  sf_buf_init(&b);
  assert_int_equal(sf_plot_shorten("abcdefghij", 10, &b), 10); /* fits: as it is */
  assert_string_equal(sf_buf_str(&b), "abcdefghij");
  sf_buf_free(&b);
  assert_int_equal(sf_plot_shorten("abcdefghij", 5, &b), 5);
  assert_string_equal(sf_buf_str(&b), "ab\xe2\x80\xa6ij");
  sf_buf_free(&b);
  /* characters, not bytes: nine alphas (two bytes each) into five */
  assert_int_equal(sf_plot_shorten("\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1", 5, &b), 5);
  assert_string_equal(sf_buf_str(&b), "\xce\xb1\xce\xb1\xe2\x80\xa6\xce\xb1\xce\xb1");
  sf_buf_free(&b);
  /* an underscore beside the ellipsis goes: "ab_" + "_ij" around it read as "ab…ij" */
  assert_int_equal(sf_plot_shorten("ab_cdefgh_ij", 7, &b), 5);
  assert_string_equal(sf_buf_str(&b), "ab\xe2\x80\xa6ij");
  sf_buf_free(&b);
  /* no number cut by the ellipsis: the turn chart's entry at 500 px read "(AICc -…1.5, better
   * growth law)" for -521.5; the number goes whole, sign and all, on both sides of the cut */
  const char *turn = "power-law growth (AICc -521.5, better growth law)";
  for (size_t cap = 12; cap < strlen(turn); cap++) {
    sf_plot_shorten(turn, cap, &b);
    const char *o = sf_buf_str(&b);
    /* every number in the output is one of the entry's whole: here only -521.5 has digits */
    const char *d = strpbrk(o, "0123456789");
    if (d) assert_non_null(strstr(o, "-521.5"));
    assert_null(strstr(o, "AICc -\xe2\x80\xa6")); /* a sign left bare; power-… is a word */
    sf_buf_free(&b);
  }
  sf_plot_shorten(turn, 47, &b);
  assert_string_equal(sf_buf_str(&b), "power-law growth (AICc\xe2\x80\xa6, better growth law)");
  sf_buf_free(&b);
}

/* The legend entries as the script has them, unescaped ("\_" -> "_"), in order. */
static size_t script_titles(const char *s, char titles[][200], size_t most) {
  size_t n = 0;
  for (const char *t = s; n < most && (t = strstr(t, " title '")); n++) {
    t += 8;
    size_t k = 0;
    for (; *t && *t != '\'' && k + 1 < 200; t++) {
      if (*t == '\\') t++;
      titles[n][k++] = *t;
    }
    titles[n][k] = '\0';
  }
  return n;
}

static size_t utf8_len(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* 84-character family names: shortened in the middle, each still telling its family apart (the
 * end, _v0 .. _v2, kept), short entries untouched. */
static void test_long_legend_script(void **state) {
  (void)state;
  sf_chart *c = sf_chart_new("");
  sf_panel *p = sf_chart_add_panel(c, "");
  sf_axis_set(&p->x, "C", "FLOP", 1);
  sf_axis_set(&p->y, "Loss", "", 1);
  static const double C[] = {1e18, 1e19, 1e20, 1e21}, L[] = {4.8, 1.1, 4.8, 1.1};
  const char *name = "a_very_long_family_name_describing_the_sweep_configuration_with_rotary_embeddings_v";
  char title[100];
  for (int f = 0; f < 3; f++) {
    snprintf(title, sizeof title, "%s%d", name, f);
    assert_int_equal(strlen(title), 84);
    sf_panel_add_points(p, title, 4, C, L);
  }
  sf_panel_add_line(p, "fit", 4, C, L, 0);
  char *s = script_of(c, "a.png");
  char titles[8][200];
  assert_int_equal(script_titles(s, titles, 8), 4);
  for (int f = 0; f < 3; f++) {
    snprintf(title, sizeof title, "_v%d", f);
    size_t len = utf8_len(titles[f]);
    assert_true(len >= 30 && len < 84);
    assert_non_null(strstr(titles[f], "\xe2\x80\xa6"));
    assert_memory_equal(titles[f], name, 10);
    assert_string_equal(titles[f] + strlen(titles[f]) - 3, title);
  }
  assert_string_equal(titles[3], "fit");
  /* the data's comments keep the names whole */
  snprintf(title, sizeof title, "# %s0\n", name);
  assert_non_null(strstr(s, title));
  free(s);
  sf_chart_free(c);
}

/* Names that differ only in their middle shortened to one text: the legend showed two identical
 * entries. Each entry now keeps the part where its name differs from the others in view (the
 * learning rate, the warmup), its start and its end; names that are the same stay the same. */
static void test_long_legend_distinct(void **state) {
  (void)state;
  sf_chart *c = sf_chart_new("");
  sf_panel *p = sf_chart_add_panel(c, "");
  sf_axis_set(&p->x, "C", "FLOP", 1);
  sf_axis_set(&p->y, "Loss", "", 1);
  static const double C[] = {1e18, 1e19, 1e20, 1e21}, L[] = {4.8, 1.1, 4.8, 1.1};
  /* the first two differ at the learning rate (character 39), the third from the first at the
   * warmup (character 51), the fourth repeats the first */
  static const char *const names[] = {
      "chinchilla_replication_sweep_rotary_lr_3e-4_warmup_2000_batch_512_cosine_decay_seed1",
      "chinchilla_replication_sweep_rotary_lr_1e-3_warmup_2000_batch_512_cosine_decay_seed1",
      "chinchilla_replication_sweep_rotary_lr_3e-4_warmup_8000_batch_512_cosine_decay_seed1",
      "chinchilla_replication_sweep_rotary_lr_3e-4_warmup_2000_batch_512_cosine_decay_seed1",
  };
  static const char *const shows[] = {"lr_3e-4", "lr_1e-3", "8000", "lr_3e-4"};
  for (int f = 0; f < 4; f++) {
    assert_int_equal(strlen(names[f]), 84);
    sf_panel_add_points(p, names[f], 4, C, L);
  }
  char *s = script_of(c, "a.png");
  char titles[8][200];
  assert_int_equal(script_titles(s, titles, 8), 4);
  for (int f = 0; f < 4; f++) {
    size_t len = utf8_len(titles[f]);
    assert_true(len >= 30 && len < 84);
    assert_non_null(strstr(titles[f], "\xe2\x80\xa6"));
    assert_memory_equal(titles[f], names[f], 10);
    assert_string_equal(titles[f] + strlen(titles[f]) - 5, "seed1");
    assert_non_null(strstr(titles[f], shows[f]));
    for (int g = 0; g < f; g++)
      if (strcmp(names[f], names[g]) != 0) assert_string_not_equal(titles[f], titles[g]);
  }
  assert_string_equal(titles[3], titles[0]);
  free(s);
  sf_chart_free(c);
}

/* gnuplot's warnings name the script and a line in it; with the script a temporary file that is
 * gone when the user reads the warning, that part goes, and a known warning says what it means. A
 * stand-in gnuplot writes the chart and warns as gnuplot does. */
static void test_render_warnings(void **state) {
  (void)state;
  char dir[256], out[300], prog[300], gp[300];
  snprintf(dir, sizeof dir, "%s/warns", sf_test_tmpdir());
  mkdir(dir, 0755);
  snprintf(out, sizeof out, "%s/a.png", dir);
  snprintf(gp, sizeof gp, "%s/a.gp", dir);
  snprintf(prog, sizeof prog, "%s/fake-gnuplot", dir);
  FILE *f = fopen(prog, "w");
  assert_non_null(f);
  /* argv: -e "sf_output='TMP'" SCRIPT */
  fputs("#!/bin/sh\n"
        "out=$(printf '%s' \"$2\" | sed \"s/^sf_output='\\(.*\\)'$/\\1/\")\n"
        "echo chart > \"$out\"\n"
        "echo \"\\\"$3\\\" line 57: warning: Warning - difficulty fitting plot titles into key\" >&2\n",
        f);
  fclose(f);
  chmod(prog, 0755);
  sf_chart *c = simple_chart();
  sf_render_opts o = {NULL, prog, NULL};
  assert_int_equal(sf_chart_render(c, out, &o), SF_OK);
  assert_non_null(o.warnings);
  assert_null(strstr(o.warnings, ".tmp."));
  assert_null(strstr(o.warnings, "line 57"));
  assert_non_null(strstr(o.warnings, "difficulty fitting plot titles into key (the legend's entries are too long"));
  free(o.warnings);
  /* a kept script is where the user can look: its name and line stay */
  o = (sf_render_opts){gp, prog, NULL};
  assert_int_equal(sf_chart_render(c, out, &o), SF_OK);
  assert_non_null(o.warnings);
  char want[400];
  snprintf(want, sizeof want, "\"%s\" line 57: ", gp);
  assert_non_null(strstr(o.warnings, want));
  free(o.warnings);
  assert_int_equal(dir_entries(dir), 3); /* the stand-in, the chart, the kept script */
  sf_chart_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_of),        cmocka_unit_test(test_datablocks),
      cmocka_unit_test(test_terminal_per_extension), cmocka_unit_test(test_log_axis_script),
      cmocka_unit_test(test_palette),          cmocka_unit_test(test_bands_drawn_first), cmocka_unit_test(test_key_only),
      cmocka_unit_test(test_quote),            cmocka_unit_test(test_ranges),
      cmocka_unit_test(test_log_ticks),        cmocka_unit_test(test_log_ticks_ends),        cmocka_unit_test(test_linear_ticks_ends), cmocka_unit_test(test_linear_ticks_no_overprint),
      cmocka_unit_test(test_legend_place), cmocka_unit_test(test_vline_label), cmocka_unit_test(test_region_label),
      cmocka_unit_test(test_legend_in_script), cmocka_unit_test(test_color_bar_script),
      cmocka_unit_test(test_panels),           cmocka_unit_test(test_misuse), cmocka_unit_test(test_long_title_wrapped),
      cmocka_unit_test(test_wrap_parentheses),
      cmocka_unit_test(test_render_gnuplot_missing), cmocka_unit_test(test_render_gnuplot_fails),
      cmocka_unit_test(test_shorten),           cmocka_unit_test(test_long_legend_script), cmocka_unit_test(test_long_legend_distinct),
      cmocka_unit_test(test_render_warnings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
