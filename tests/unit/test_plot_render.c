/* test_plot_render.c: charts rendered by the real gnuplot, checked as files: PNG signature and
 * IHDR size, SVG carrying every series (point glyphs per colour, legend text), PDF header and
 * page count, byte-identical PNG and SVG across runs, and a kept script that redraws the same
 * chart on its own. Skips when gnuplot is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>

#include "sf_test.h"

/* Two families of runs, a fit with its band and extrapolation, a marker, a region, a label. */
static sf_chart *full_chart(void) {
  static const double C[] = {1e18, 1e19, 1e20}, L[] = {3.0, 2.5, 2.125}, C2[] = {3e18, 3e19}, L2[] = {2.8, 2.4};
  static const double fx[] = {1e18, 1e20, 1e21}, fy[] = {3.0, 2.15, 1.95}, lo[] = {2.9, 2.1, 1.85},
                      hi[] = {3.1, 2.2, 2.05};
  sf_chart *c = sf_chart_new("runs_and_fit");
  sf_chart_set_subtitle(c, "a test chart");
  sf_panel *p = sf_chart_add_panel(c, "");
  sf_axis_set(&p->x, "Training compute C", "FLOP", 1);
  sf_axis_set(&p->y, "Loss", "nats/token", 1);
  assert_non_null(sf_panel_add_points(p, "family_a", 3, C, L));
  assert_non_null(sf_panel_add_points(p, "family b", 2, C2, L2));
  sf_panel_add_band(p, "95% band", 3, fx, lo, hi)->color = 2;
  sf_panel_add_line(p, "extrapolation", 3, fx, fy, 1)->color = 2;
  sf_panel_add_vline(p, "end of data", 1e20);
  sf_panel_add_xregion(p, "beyond", 1e20, 1e21);
  sf_panel_add_label(p, "Chinchilla", 1e19, 2.5);
  return c;
}

static void render_ok(const sf_chart *c, const char *out, const char *keep) {
  sf_render_opts o = {keep, NULL, NULL};
  int rc = sf_chart_render(c, out, &o);
  if (rc) print_error("render '%s': %s\n", out, sf_errmsg());
  assert_int_equal(rc, SF_OK);
  if (o.warnings) print_error("gnuplot said: %s\n", o.warnings);
  assert_null(o.warnings); /* our scripts draw without a warning */
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_png(void **state) {
  (void)state;
  if (!sf_test_have("gnuplot")) skip();
  sf_chart *c = full_chart();
  c->width = 1000;
  c->height = 640;
  render_ok(c, sf_test_path("a.png"), NULL);
  size_t n;
  unsigned char *d = (unsigned char *)sf_test_slurp(sf_test_path("a.png"), &n);
  assert_non_null(d);
  assert_true(n > 5000); /* a real picture, not an empty canvas */
  assert_memory_equal(d, "\x89PNG\r\n\x1a\n", 8);
  assert_int_equal(be32(d + 8), 13);
  assert_memory_equal(d + 12, "IHDR", 4);
  assert_int_equal(be32(d + 16), 1000);
  assert_int_equal(be32(d + 20), 640);
  free(d);
  sf_chart_free(c);
}

/* 1 when every id="..." / id='...' attribute of an SVG is different (XML and HTML require it) */
static int ids_unique(const char *d) {
  const char *v[512];
  size_t len[512], n = 0;
  for (const char *q = d; (q = strstr(q, "id=")); q += 3) {
    if (q == d || (q[-1] != ' ' && q[-1] != '\t') || (q[3] != '"' && q[3] != '\'')) continue;
    const char *e = strchr(q + 4, q[3]);
    assert_non_null(e);
    assert_true(n < 512);
    v[n] = q + 4, len[n] = (size_t)(e - q - 4);
    for (size_t i = 0; i < n; i++)
      if (len[i] == len[n] && !memcmp(v[i], v[n], len[n])) {
        print_error("id '%.*s' twice\n", (int)len[n], v[n]);
        return 0;
      }
    n++;
  }
  return n > 0;
}

static void test_svg(void **state) {
  (void)state;
  if (!sf_test_have("gnuplot")) skip();
  sf_chart *c = full_chart();
  render_ok(c, sf_test_path("a.svg"), NULL);
  size_t n;
  char *d = sf_test_slurp(sf_test_path("a.svg"), &n);
  assert_non_null(d);
  assert_true(strncmp(d, "<?xml", 5) == 0);
  assert_non_null(strstr(d, "</svg>"));
  assert_non_null(strstr(d, "width=\"900\" height=\"600\""));
  /* every point is a glyph in its series' colour, plus one in the legend: 3 + 1 blue circles
   * (Okabe-Ito blue 0,114,178), 2 + 1 vermillion squares */
  assert_int_equal(sf_test_count(d, n, "color='rgb(  0, 114, 178)'"), 4);
  assert_int_equal(sf_test_count(d, n, "color='rgb(213,  94,   0)'"), 3);
  /* legend entries and labels as text, underscores kept (escaped for enhanced text) */
  assert_non_null(strstr(d, ">family_a</tspan>"));
  assert_non_null(strstr(d, ">family b</tspan>"));
  assert_non_null(strstr(d, ">95% band</tspan>"));
  assert_non_null(strstr(d, ">extrapolation</tspan>"));
  assert_non_null(strstr(d, ">end of data</tspan>"));
  assert_non_null(strstr(d, ">Chinchilla</tspan>"));
  assert_non_null(strstr(d, ">runs_and_fit</tspan>"));
  assert_non_null(strstr(d, ">Training compute C (FLOP)</tspan>"));
  /* powers of ten on the x axis: 10 with a raised exponent, for 10^18 .. 10^21 */
  for (int k = 18; k <= 21; k++) {
    char exp[64];
    snprintf(exp, sizeof exp, "px\">%d</tspan>", k);
    assert_non_null(strstr(d, exp));
  }
  /* the band is a semi-transparent fill in the fit's colour (bluish green 0,158,115) */
  assert_non_null(strstr(d, "fill = 'rgb(  0, 158, 115)'"));
  /* the opaque legend is drawn again over the plot, and gnuplot gives its entries the ids of their
   * series: each id must still be there once (W3C validator: "duplicate ID"), also across the
   * panels of a multiplot, which each count their series from 1 */
  assert_true(ids_unique(d));
  free(d);
  sf_panel *p2 = sf_chart_add_panel(c, "second");
  assert_non_null(p2);
  sf_axis_set(&p2->x, "C", "", 1);
  sf_axis_set(&p2->y, "L", "", 1);
  static const double x2[] = {1e18, 1e19}, y2[] = {3.0, 2.5};
  assert_non_null(sf_panel_add_points(p2, "other", 2, x2, y2));
  render_ok(c, sf_test_path("b.svg"), NULL);
  d = sf_test_slurp(sf_test_path("b.svg"), &n);
  assert_non_null(d);
  assert_true(ids_unique(d));
  free(d);
  sf_chart_free(c);
}

static void test_pdf(void **state) {
  (void)state;
  if (!sf_test_have("gnuplot")) skip();
  sf_chart *c = full_chart();
  render_ok(c, sf_test_path("a.pdf"), NULL);
  size_t n;
  char *d = sf_test_slurp(sf_test_path("a.pdf"), &n);
  assert_non_null(d);
  assert_true(n > 3000);
  assert_memory_equal(d, "%PDF-1.", 7);
  assert_int_equal(sf_test_count(d + n - 16, 16, "%%EOF"), 1);
  /* one page: "/Type /Page" not followed by "s" */
  size_t pages = sf_test_count(d, n, "/Type /Page") - sf_test_count(d, n, "/Type /Pages");
  assert_int_equal(pages, 1);
  /* 6 x 4 inches: a MediaBox of 432 x 288 points */
  assert_int_equal(sf_test_count(d, n, "/MediaBox [ 0 0 432 288 ]"), 1);
  free(d);
  sf_chart_free(c);
}

static void test_deterministic(void **state) {
  (void)state;
  if (!sf_test_have("gnuplot")) skip();
  sf_chart *c = full_chart();
  const char *pairs[2][2] = {{"d1.png", "d2.png"}, {"d1.svg", "d2.svg"}};
  for (int k = 0; k < 2; k++) {
    render_ok(c, sf_test_path(pairs[k][0]), NULL);
    render_ok(c, sf_test_path(pairs[k][1]), NULL);
    size_t n1, n2;
    char *a = sf_test_slurp(sf_test_path(pairs[k][0]), &n1), *b = sf_test_slurp(sf_test_path(pairs[k][1]), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
  }
  sf_chart_free(c);
}

static void test_kept_script_redraws(void **state) {
  (void)state;
  if (!sf_test_have("gnuplot")) skip();
  sf_chart *c = full_chart();
  render_ok(c, sf_test_path("k.png"), sf_test_path("k.gp"));
  size_t n1, n2;
  char *a = sf_test_slurp(sf_test_path("k.png"), &n1);
  /* the kept script alone, as a user would run it, draws the same file */
  remove(sf_test_path("k.png"));
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", sf_test_path("k.gp"));
  assert_int_equal(system(cmd), 0);
  char *b = sf_test_slurp(sf_test_path("k.png"), &n2);
  assert_non_null(b);
  assert_int_equal(n1, n2);
  assert_memory_equal(a, b, n1);
  free(a);
  free(b);
  sf_chart_free(c);
}

static void test_unwritable(void **state) {
  (void)state;
  if (!sf_test_have("gnuplot")) skip();
  sf_chart *c = full_chart();
  sf_render_opts o = {NULL, NULL, NULL};
  assert_int_equal(sf_chart_render(c, "/nonexistent-dir/a.png", &o), SF_EIO);
  assert_non_null(strstr(sf_errmsg(), "/nonexistent-dir/a.png"));
  sf_chart_free(c);
}

/* Families named with 70 characters and more (a sweep's configuration spelt out): gnuplot warned
 * "difficulty fitting plot titles into key" and ran the legend below the plot off the canvas at
 * every size and format; the entries are now shortened to what fits and it draws silently. */
static void test_long_legend_entries(void **state) {
  (void)state;
  if (!sf_test_have("gnuplot")) skip();
  static const int widths[] = {400, 900, 1600};
  static const char *const ext[] = {"png", "svg", "pdf"};
  for (size_t w = 0; w < 3; w++)
    for (size_t e = 0; e < 3; e++) {
      sf_chart *c = sf_chart_new("long names");
      sf_panel *p = sf_chart_add_panel(c, "");
      sf_axis_set(&p->x, "Training compute C", "FLOP", 1);
      sf_axis_set(&p->y, "Loss", "nats/token", 1);
      for (int f = 0; f < 3; f++) {
        /* the runs fill every corner, as in a real sweep: the legend goes below */
        double C[4] = {1e18, 1e19, 1e20, 1e21}, L[4] = {4.8, 1.1, 4.8, 1.1};
        for (int k = 0; k < 4; k++) L[k] *= 1 + 0.02 * f;
        char title[200];
        snprintf(title, sizeof title,
                 "a_very_long_family_name_describing_the_sweep_configuration_with_rotary_embeddings_and_more_v%d", f);
        assert_non_null(sf_panel_add_points(p, title, 4, C, L));
      }
      c->width = widths[w];
      c->height = 2 * widths[w] / 3;
      char name[32];
      snprintf(name, sizeof name, "long%d.%s", widths[w], ext[e]);
      render_ok(c, sf_test_path(name), NULL);
      sf_chart_free(c);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_png),           cmocka_unit_test(test_svg),
      cmocka_unit_test(test_pdf),           cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_kept_script_redraws), cmocka_unit_test(test_unwritable),
      cmocka_unit_test(test_long_legend_entries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
