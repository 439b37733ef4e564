/* test_plot_fitted.c: the fitted chart kinds (scaling with a fit, frontier, residuals, bootstrap,
 * isoflop, turn) built from a REAL fit of the Chinchilla law to the shared Chinchilla runs (multi-
 * start and bootstrap, as `scalefit fit` does) or from synthetic data with a known answer.
 *
 * Each kind is checked twice: its numbers against independent references (the closed-form
 * Chinchilla allocation and loss, Kaplan's and Llama 3's published formulas, residuals and Pearson's
 * r recomputed here, exact parabolas, the turn analysis' own fitted laws), and its rendering in
 * every format by the real gnuplot (PNG signature and size, SVG well-formed per Python's XML parser
 * with its legend texts and glyph counts, PDF header and page). Skips without the shared data
 * (the fitted kinds) or without gnuplot (rendering only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_plot.h>
#include <scalefit/sf_store.h>

#include "plot/plot.h"
#include "sf_test.h"
#include "util/util.h"

/* ------------------------------------------------------------ helpers */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Renders c as stem.png, stem.svg and stem.pdf, checks each file, and returns the SVG text (the
 * caller frees) for the kind's own checks; NULL when gnuplot is missing. */
static char *render_all(const sf_chart *c, const char *stem, size_t *svg_len) {
  if (!sf_test_have("gnuplot")) return NULL;
  char out[3][512];
  const char *ext[3] = {"png", "svg", "pdf"};
  for (int k = 0; k < 3; k++) {
    snprintf(out[k], sizeof out[k], "%s/%s.%s", sf_test_tmpdir(), stem, ext[k]);
    sf_render_opts o = {NULL, NULL, NULL};
    int rc = sf_chart_render(c, out[k], &o);
    if (rc) print_error("render '%s': %s\n", out[k], sf_errmsg());
    assert_int_equal(rc, SF_OK);
    if (o.warnings) print_error("gnuplot said: %s\n", o.warnings);
    assert_null(o.warnings);
  }
  size_t n;
  unsigned char *png = (unsigned char *)sf_test_slurp(out[0], &n);
  assert_non_null(png);
  assert_true(n > 10000);
  assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
  assert_memory_equal(png + 12, "IHDR", 4);
  assert_int_equal(be32(png + 16), (uint32_t)c->width);
  free(png);
  char *pdf = sf_test_slurp(out[2], &n);
  assert_non_null(pdf);
  assert_true(n > 3000);
  assert_memory_equal(pdf, "%PDF-1.", 7);
  assert_int_equal(sf_test_count(pdf, n, "/Type /Page") - sf_test_count(pdf, n, "/Type /Pages"), 1);
  free(pdf);
  /* well-formed XML, by a parser that is not ours */
  char cmd[1200];
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' '%s' 2>/dev/null || "
           "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' '%s'",
           out[1], out[1]);
  assert_int_equal(system(cmd), 0);
  char *svg = sf_test_slurp(out[1], svg_len);
  assert_non_null(svg);
  return svg;
}

static const sf_series *find_series(const sf_panel *p, sf_series_kind kind, const char *title) {
  for (size_t i = 0; i < p->nseries; i++)
    if (p->series[i]->kind == kind && (!title || strcmp(p->series[i]->title, title) == 0)) return p->series[i];
  return NULL;
}

static const sf_series *find_prefix(const sf_panel *p, sf_series_kind kind, const char *prefix) {
  for (size_t i = 0; i < p->nseries; i++)
    if (p->series[i]->kind == kind && strncmp(p->series[i]->title, prefix, strlen(prefix)) == 0)
      return p->series[i];
  return NULL;
}

static double chinchilla(const double *q, double N, double D) {
  return q[0] + q[1] / pow(N, q[3]) + q[2] / pow(D, q[4]);
}

/* ------------------------------------------------------------ a real fit */

/* The shared Chinchilla runs with loss < 3.7 (Epoch's selection), the largest 10% by C held out,
 * fitted like `scalefit fit --law chinchilla --bootstrap 12`: the law's default 4500-start grid,
 * summed Huber in log space, then 12 bootstrap refits. The fit is turned into a fit file by way of
 * its JSON form (the format `scalefit fit -o` writes), covariance included. */
typedef struct fixture {
  sf_table *t;
  unsigned char *heldout; /* per row: 1 held out, 2 excluded by loss >= 3.7 */
  size_t nheld, nfit;
  double cfit_max;
  sf_fitfile *ff;
} fixture;

static int setup(void **state) {
  const char *path = sf_test_shared("chinchilla_svg_extracted.csv");
  if (!path) {
    *state = NULL;
    return 0;
  }
  fixture *fx = calloc(1, sizeof *fx);
  assert_int_equal(sf_data_load(path, NULL, &fx->t), SF_OK);
  sf_table *t = fx->t;
  int cN = sf_table_find(t, "N"), cD = sf_table_find(t, "D"), cC = sf_table_find(t, "C"), cL = sf_table_find(t, "loss");
  size_t nr = t->nrows;
  fx->heldout = calloc(nr, 1);
  /* the held-out cut: the 10% largest C among the selected runs */
  double *keys = malloc(nr * sizeof *keys);
  size_t m = 0;
  for (size_t r = 0; r < nr; r++)
    if (t->cols[cL].v[r] < 3.7) keys[m++] = t->cols[cC].v[r];
  for (size_t i = 1; i < m; i++)
    for (size_t j = i; j > 0 && keys[j - 1] > keys[j]; j--) {
      double s = keys[j];
      keys[j] = keys[j - 1], keys[j - 1] = s;
    }
  size_t nh = (size_t)ceil(0.1 * (double)m);
  double cut = keys[m - nh - 1];
  free(keys);
  double *N = malloc(nr * sizeof *N), *D = malloc(nr * sizeof *D), *lN = malloc(nr * sizeof *lN),
         *lD = malloc(nr * sizeof *lD), *y = malloc(nr * sizeof *y);
  size_t n = 0;
  for (size_t r = 0; r < nr; r++) {
    if (!(t->cols[cL].v[r] < 3.7)) {
      fx->heldout[r] = 2;
      continue;
    }
    if (t->cols[cC].v[r] > cut) {
      fx->heldout[r] = 1;
      fx->nheld++;
      continue;
    }
    if (t->cols[cC].v[r] > fx->cfit_max) fx->cfit_max = t->cols[cC].v[r];
    N[n] = t->cols[cN].v[r], D[n] = t->cols[cD].v[r], y[n] = t->cols[cL].v[r];
    lN[n] = log(N[n]), lD[n] = log(D[n]);
    n++;
  }
  fx->nfit = n;
  const sf_law *law = sf_law_find("chinchilla");
  sf_law_data d = {.n = n, .nvar = 2, .x = {N, D}, .lx = {lN, lD}};
  size_t ns = law->starts(law, &d, y, NULL, 0);
  double *starts = malloc(ns * law->np * sizeof *starts);
  ns = law->starts(law, &d, y, starts, ns);
  sf_fit_opts o;
  sf_fit_opts_default(&o, law);
  sf_fit_workspace *w = sf_fit_alloc(law, n, &o);
  assert_non_null(w);
  sf_fit_result res;
  assert_int_equal(sf_fit_run(w, &d, y, NULL, NULL, starts, ns, &res), SF_OK);
  enum { K = 12 };
  double samples[K * 5];
  size_t nfail = 0;
  assert_int_equal(sf_fit_bootstrap(w, &d, y, NULL, NULL, starts, ns, K, 7, samples, NULL, &nfail), SF_OK);
  assert_int_equal(nfail, 0);
  sf_fit_free(w);
  free(starts);
  /* the fit file, as JSON */
  sf_buf b;
  sf_buf_init(&b);
  sf_json j;
  sf_json_init(&j, &b, 0);
  sf_json_begin_object(&j, NULL);
  sf_json_string(&j, "format", "scalefit-fit");
  sf_json_int(&j, "version", 1);
  sf_json_string(&j, "law", "chinchilla");
  sf_json_string(&j, "y", "loss");
  sf_json_begin_array(&j, "vars");
  sf_json_string(&j, NULL, "N");
  sf_json_string(&j, NULL, "D");
  sf_json_end_array(&j);
  sf_json_begin_object(&j, "params");
  for (size_t k = 0; k < law->np; k++) sf_json_number(&j, law->par[k].name, res.params[k]);
  sf_json_end_object(&j);
  sf_json_begin_array(&j, "cov");
  for (size_t a = 0; a < law->np; a++) {
    sf_json_begin_array(&j, NULL);
    for (size_t c = 0; c < law->np; c++) sf_json_number(&j, NULL, res.cov[a * law->np + c]);
    sf_json_end_array(&j);
  }
  sf_json_end_array(&j);
  sf_json_begin_object(&j, "bootstrap");
  sf_json_begin_array(&j, "samples");
  for (size_t k = 0; k < K; k++) {
    sf_json_begin_array(&j, NULL);
    for (size_t c = 0; c < law->np; c++) sf_json_number(&j, NULL, samples[k * law->np + c]);
    sf_json_end_array(&j);
  }
  sf_json_end_array(&j);
  sf_json_end_object(&j);
  sf_json_end_object(&j);
  sf_jval *root = NULL;
  assert_int_equal(sf_jparse(sf_buf_str(&b), b.len, "test fit", &root), SF_OK);
  assert_int_equal(sf_fitfile_from_json(root, "test fit", &fx->ff), SF_OK);
  assert_int_equal(fx->ff->K, K);
  sf_jfree(root);
  sf_buf_free(&b);
  free(N), free(D), free(lN), free(lD), free(y);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  if (!fx) return 0;
  sf_table_free(fx->t);
  sf_fitfile_free(fx->ff);
  free(fx->heldout);
  free(fx);
  return 0;
}

/* The fit's copy without its bootstrap: bands by the delta method. */
static sf_fitfile *without_bootstrap(const sf_fitfile *ff) {
  sf_fitfile *c = malloc(sizeof *c);
  *c = *ff;
  c->K = 0;
  return c; /* shares ff's allocations: free with free(), not sf_fitfile_free */
}

/* ------------------------------------------------------------ 1. scaling with a fit */

typedef struct at_ctx {
  const sf_fitfile *ff;
  double C;
} at_ctx;

static int value_at(const double *params, void *vctx, double *out) {
  at_ctx *c = vctx;
  sf_optimum o;
  return sf_value_at_compute(c->ff, params, c->C, NULL, out, &o);
}

static void check_scaling_curve(const fixture *fx, const sf_fitfile *ff, sf_bandkind want_kind, const char *stem) {
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.heldout = fx->heldout;
  o.extrapolate_to = 1e24;
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_scaling_fit(fx->t, ff, &o, &c), SF_OK);
  const sf_panel *p = c->panels[0];
  const sf_series *fit = find_series(p, SF_SERIES_LINE, "chinchilla, compute-optimal");
  const sf_series *ext = find_series(p, SF_SERIES_DASHED, "extrapolation");
  const sf_series *band = find_prefix(p, SF_SERIES_BAND, "95% band");
  const sf_series *held = find_prefix(p, SF_SERIES_POINTS, "held out");
  const sf_series *excl = find_prefix(p, SF_SERIES_POINTS, "excluded by --where");
  assert_non_null(fit);
  assert_non_null(ext);
  assert_non_null(band);
  assert_non_null(held);
  assert_non_null(excl);
  assert_int_equal(held->n, fx->nheld);
  assert_int_equal(excl->n, 4); /* the 4 runs with loss >= 3.7 */
  assert_int_equal(find_series(p, SF_SERIES_POINTS, "runs")->n, fx->t->nrows);
  /* the fitted line ends at the largest C the fit saw, the extrapolation goes on to 1e24 */
  assert_rel(fit->x[fit->n - 1], fx->cfit_max, 1e-12);
  assert_rel(ext->x[0], fx->cfit_max, 1e-12);
  assert_rel(ext->x[ext->n - 1], 1e24, 1e-12);
  assert_int_equal(band->n, fit->n + ext->n);
  /* the curve is the closed-form Chinchilla optimum's loss, the band sf_forecast's band */
  for (size_t i = 0; i < ext->n; i += 19) {
    double C = ext->x[i], N, D;
    sf_optimal_chinchilla(ff->params, C, &N, &D);
    assert_rel(N * D * 6, C, 1e-9);
    assert_rel(ext->y[i], chinchilla(ff->params, N, D), 1e-9);
    at_ctx ctx = {ff, C};
    sf_band want;
    assert_int_equal(sf_forecast_band(ff, value_at, &ctx, 1, &want), SF_OK);
    assert_int_equal(want.kind, want_kind);
    assert_rel(band->lo[fit->n + i], want.lo, 1e-12);
    assert_rel(band->hi[fit->n + i], want.hi, 1e-12);
    assert_true(band->lo[fit->n + i] < ext->y[i] && ext->y[i] < band->hi[fit->n + i]);
  }
  /* the band widens with the extrapolation */
  size_t last = band->n - 1;
  assert_true(band->hi[last] - band->lo[last] > 2 * (band->hi[fit->n / 2] - band->lo[fit->n / 2]));
  if (want_kind == SF_BAND_BOOTSTRAP) {
    /* percentiles over the refits by hand at the last point: type-7 of 12 values */
    double v[12];
    for (size_t k = 0; k < ff->K; k++) {
      double N, D;
      sf_optimal_chinchilla(ff->samples + k * ff->np, 1e24, &N, &D);
      v[k] = chinchilla(ff->samples + k * ff->np, N, D);
    }
    double lo = sf_percentile_sorted(v, ff->K, 0.025), hi = sf_percentile_sorted(v, ff->K, 0.975);
    assert_rel(band->lo[last], lo, 1e-9);
    assert_rel(band->hi[last], hi, 1e-9);
  }
  size_t n;
  char *svg = render_all(c, stem, &n);
  if (svg) {
    char want[64];
    snprintf(want, sizeof want, ">held out (%zu)</tspan>", fx->nheld);
    assert_non_null(strstr(svg, want));
    assert_non_null(strstr(svg, ">extrapolation</tspan>"));
    assert_non_null(strstr(svg, ">end of fitted runs</tspan>"));
    assert_non_null(strstr(svg, ">chinchilla, compute-optimal</tspan>"));
    /* the band: a semi-transparent teal fill (palette colour 5) */
    assert_non_null(strstr(svg, "fill = 'rgb( 26, 140, 156)'"));
    /* points: every run a blue glyph (plus its legend sample) */
    assert_int_equal(sf_test_count(svg, n, "color='rgb(  0, 114, 178)'"), fx->t->nrows + 1);
    free(svg);
  }
  sf_chart_free(c);
}

static void test_scaling_fit(void **state) {
  fixture *fx = *state;
  if (!fx) skip();
  check_scaling_curve(fx, fx->ff, SF_BAND_BOOTSTRAP, "scaling_boot");
  sf_fitfile *delta = without_bootstrap(fx->ff);
  check_scaling_curve(fx, delta, SF_BAND_DELTA, "scaling_delta");
  free(delta);
}

static void test_scaling_fit_errors(void **state) {
  fixture *fx = *state;
  if (!fx) skip();
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.x = "loss";
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_scaling_fit(fx->t, fx->ff, &o, &c), SF_EUSAGE);
  assert_non_null(strstr(sf_errmsg(), "cannot be drawn against 'loss'"));
  assert_null(c);
  /* every run held out: nothing to draw a fitted range from */
  unsigned char *all = malloc(fx->t->nrows);
  memset(all, 1, fx->t->nrows);
  sf_plot_opts_init(&o);
  o.heldout = all;
  assert_int_equal(sf_plot_scaling_fit(fx->t, fx->ff, &o, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "every run"));
  free(all);
  sf_error_clear();
}

/* ------------------------------------------------------------ 2. turn */

static void test_turn(void **state) {
  (void)state;
  /* a sigmoid from chance 0.25 to 0.85 in log10 C, midpoint 1e23, with a deterministic wiggle */
  enum { NT = 24 };
  double x[NT], y[NT];
  for (int i = 0; i < NT; i++) {
    double lc = 21.5 + 3.2 * i / (NT - 1);
    x[i] = pow(10, lc);
    y[i] = 0.25 + 0.6 / (1 + exp(-2.5 * (lc - 23))) + 0.01 * sin(3.7 * i);
  }
  sf_turn_opts to;
  sf_turn_opts_default(&to);
  to.bootstrap = 60;
  sf_turn_result res;
  assert_int_equal(sf_turn(x, y, NT, &to, &res), SF_OK);
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  sf_chart *c = NULL;
  enum { KB = 40 };
  double boot[KB * SF_TURN_NLAWS * 4];
  assert_int_equal(sf_turn_resample(x, y, NT, &to, KB, 3, boot), SF_OK);
  assert_int_equal(sf_plot_turn(x, y, NT, "C", "mmlu", &res, &to, boot, KB, &o, &c), SF_OK);
  assert_string_equal(c->subtitle, res.verdict);
  /* the title in words: the metric as named, C as what it is */
  assert_string_equal(c->title, "Does the growth of mmlu with training compute turn into a sigmoid?");
  const sf_panel *p = c->panels[0];
  assert_int_equal(find_series(p, SF_SERIES_POINTS, "models")->n, NT);
  /* the sigmoid as drawn equals its formula with the analysis' parameters */
  const sf_series *sg = find_prefix(p, SF_SERIES_LINE, "sigmoid");
  assert_non_null(sg);
  const double *q = res.law[SF_TURN_SIGMOID].params; /* lo, hi, k, x0 */
  for (size_t i = 0; i < sg->n; i += 7)
    assert_rel(sg->y[i], q[0] + (q[1] - q[0]) / (1 + exp(-q[2] * (log10(sg->x[i]) - q[3]))), 1e-9);
  const sf_series *ll = find_prefix(p, SF_SERIES_LINE, "log-linear growth");
  assert_non_null(ll);
  const double *a = res.law[SF_TURN_LOGLINEAR].params;
  assert_rel(ll->y[3], a[0] + a[1] * log10(ll->x[3]), 1e-9);
  /* the sigmoid's band: at each x the 2.5 and 97.5 percentiles of the resampled sigmoids, by hand */
  const sf_series *sb = find_series(p, SF_SERIES_BAND, "sigmoid, 95% band");
  assert_non_null(sb);
  assert_true(sb->n > sg->n); /* the band spans the dashed extrapolations too */
  /* the labelled sigmoid is its solid part: from the smallest run to the largest exactly, the band
   * from half the smallest (the dashed part below the data) */
  assert_rel(sg->x[0], x[0], 1e-15);
  assert_rel(sg->x[sg->n - 1], x[NT - 1], 1e-15);
  assert_int_equal(sg->kind, SF_SERIES_LINE);
  assert_rel(sb->x[0], x[0] / 2, 1e-15);
  for (size_t i = 0; i < sb->n; i += 17) {
    double v[KB];
    size_t m = 0;
    for (size_t k = 0; k < KB; k++) {
      const double *b = boot + (k * SF_TURN_NLAWS + SF_TURN_SIGMOID) * 4;
      if (isnan(b[0])) continue;
      v[m++] = b[0] + (b[1] - b[0]) / (1 + exp(-b[2] * (log10(sb->x[i]) - b[3])));
    }
    assert_true(m >= KB / 2);
    assert_rel(sb->lo[i], sf_percentile_sorted(v, m, 0.025), 1e-9);
    assert_rel(sb->hi[i], sf_percentile_sorted(v, m, 0.975), 1e-9);
  }
  /* resampling is deterministic for a seed */
  double again[KB * SF_TURN_NLAWS * 4];
  assert_int_equal(sf_turn_resample(x, y, NT, &to, KB, 3, again), SF_OK);
  assert_memory_equal(boot, again, sizeof boot);
  /* the inflection, its interval and where the laws part. One label names both, the region's
   * (the line at its centre bare): the line's own label ran down under the region's, the two
   * read as one T-shaped caption */
  if (res.inflection_identified) {
    const sf_series *v = find_series(p, SF_SERIES_VLINE, "");
    const sf_series *r = find_series(p, SF_SERIES_XREGION, "inflection, 95% interval");
    assert_non_null(v);
    assert_non_null(r);
    assert_rel(v->x0, res.inflection, 1e-12);
    assert_rel(r->x0, res.inflection_lo, 1e-12);
    assert_rel(r->x1, res.inflection_hi, 1e-12);
    assert_true(res.inflection > 3e22 && res.inflection < 3e23); /* the true midpoint is 1e23 */
  }
  assert_true(isfinite(res.diverge_x));
  const sf_series *part = find_series(p, SF_SERIES_XREGION, "laws differ by > 0.05");
  assert_non_null(part);
  assert_rel(part->x0, res.diverge_x, 1e-12);
  size_t n;
  char *svg = render_all(c, "turn", &n);
  if (svg) {
    assert_non_null(strstr(svg, ">laws differ by > 0.05</tspan>"));
    assert_non_null(strstr(svg, ">chance (0.25)</tspan>"));
    free(svg);
  }
  sf_chart_free(c);
}

/* ------------------------------------------------------------ 3. frontier */

/* The frontier's legends cover no curve and no band. They are pinned top left ("every curve rises
 * from bottom left to top right"), but curves flatter than the axes' diagonal run through that
 * corner: on the own sweep's fit (tests/inputs/fit_own_sweep.json, `scalefit fit
 * datasets/sweep_default.h5 --law chinchilla -b 20`) the D* panel's legend hid Epoch's and
 * DeepSeek's lines and the band's top from 1e13.5 to 1e14.5 FLOP. The check takes the axis ranges
 * from the gnuplot script, recomputes each legend's box from the documented metrics (rows SF_LINE_H
 * font sizes high, SF_CHAR_W per character, a 900 x 900 chart) and samples every line and band
 * against it. */
static void test_frontier_legend(void **state) {
  (void)state;
  sf_fitfile *ff = NULL;
  assert_int_equal(sf_fitfile_read(SF_TEST_INPUTS "/fit_own_sweep.json", &ff), SF_OK);
  char *csv = sf_asprintf("%s/laws.csv", SF_TEST_DATADIR);
  sf_fitfile *pub[8] = {0};
  for (size_t i = 0; i < sf_plot_npublished; i++)
    assert_int_equal(sf_fitfile_published(csv, sf_plot_published_laws[i].id, &pub[i]), SF_OK);
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_frontier(ff, (const sf_fitfile *const *)pub, sf_plot_npublished, 0, 0, NULL, &c), SF_OK);
  assert_int_equal(c->width, 900);
  assert_int_equal(c->height, 900);
  char *script = NULL;
  assert_int_equal(sf_chart_script(c, "frontier.svg", &script), SF_OK);
  const char *at = script;
  /* the plot area of each stacked panel as gnuplot 5.4 draws it in SVG (its axis frame, 780 x 256
   * px; the layout once reckoned with 361 px, leaving out the panel's title and svg's taller lines,
   * and the legend touched the band and Hoffmann's and Epoch's lines): font 13 px at 900 px */
  double em = 13, pw = 780, ph = 256;
  for (size_t k = 0; k < c->npanels; k++) {
    const sf_panel *p = c->panels[k];
    double xlo, xhi, ylo, yhi;
    at = strstr(at, "set xrange [");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "set xrange [%lf:%lf]", &xlo, &xhi), 2);
    at = strstr(at, "set yrange [");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "set yrange [%lf:%lf]", &ylo, &yhi), 2);
    at++;
    sf_legend_pos pos = sf_plot_legend_place(p, pw, ph, em, 0);
    assert_true(pos == SF_LEGEND_TOP_LEFT || pos == SF_LEGEND_TOP_RIGHT || pos == SF_LEGEND_BOTTOM_LEFT ||
                pos == SF_LEGEND_BOTTOM_RIGHT);
    size_t maxlen, n = sf_plot_legend_entries(p, &maxlen);
    double bw = ((double)maxlen + 7) * SF_CHAR_W * em / pw, bh = ((double)n + 0.6) * SF_LINE_H * em / ph;
    int right = pos == SF_LEGEND_TOP_RIGHT || pos == SF_LEGEND_BOTTOM_RIGHT;
    int top = pos == SF_LEGEND_TOP_LEFT || pos == SF_LEGEND_TOP_RIGHT;
    double u0 = right ? 1 - bw : 0, u1 = right ? 1 : bw, v0 = top ? 1 - bh : 0, v1 = top ? 1 : bh;
    size_t inside = 0, drawn = 0;
    for (size_t i = 0; i < p->nseries; i++) {
      const sf_series *s = p->series[i];
      if (s->kind != SF_SERIES_LINE && s->kind != SF_SERIES_DASHED && s->kind != SF_SERIES_BAND) continue;
      for (size_t r = 0; r < s->n; r++) {
        double ys[2] = {s->kind == SF_SERIES_BAND ? s->lo[r] : s->y[r], s->kind == SF_SERIES_BAND ? s->hi[r] : s->y[r]};
        double u = log10(s->x[r] / xlo) / log10(xhi / xlo);
        for (int e = 0; e < 2; e++) {
          if (!(ys[e] > 0)) continue;
          double v = log10(ys[e] / ylo) / log10(yhi / ylo);
          assert_true(v >= 0 && v <= 1); /* and still on the chart */
          drawn++;
          if (u > u0 && u < u1 && v > v0 && v < v1) {
            if (!inside) print_error("panel %zu: '%s' at C = %g, y = %g under the legend\n", k, s->title, s->x[r], ys[e]);
            inside++;
          }
        }
      }
    }
    assert_true(drawn > 100);
    assert_int_equal(inside, 0);
  }
  free(script);
  sf_chart_free(c);
  for (size_t i = 0; i < sf_plot_npublished; i++) sf_fitfile_free(pub[i]);
  free(csv);
  sf_fitfile_free(ff);
}

static void test_frontier(void **state) {
  fixture *fx = *state;
  if (!fx) skip();
  char *csv = sf_asprintf("%s/laws.csv", SF_TEST_DATADIR);
  sf_fitfile *pub[8] = {0};
  for (size_t i = 0; i < sf_plot_npublished; i++) {
    int rc = sf_fitfile_published(csv, sf_plot_published_laws[i].id, &pub[i]);
    if (rc) print_error("%s: %s\n", sf_plot_published_laws[i].id, sf_errmsg());
    assert_int_equal(rc, SF_OK);
  }
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_frontier(fx->ff, (const sf_fitfile *const *)pub, sf_plot_npublished, 1e18, 1e26, NULL, &c),
                   SF_OK);
  assert_int_equal(c->npanels, 2);
  const sf_panel *pn = c->panels[0], *pd = c->panels[1];
  const sf_series *n = find_series(pn, SF_SERIES_LINE, "this fit"), *d = find_series(pd, SF_SERIES_LINE, "this fit");
  const sf_series *nb = find_prefix(pn, SF_SERIES_BAND, "its 95% band");
  assert_non_null(n);
  assert_non_null(d);
  assert_non_null(nb);
  for (size_t i = 0; i < n->n; i += 13) {
    double N, D;
    sf_optimal_chinchilla(fx->ff->params, n->x[i], &N, &D);
    assert_rel(n->y[i], N, 1e-9);
    assert_rel(d->y[i], D, 1e-9);
    /* the band: percentiles of the refits' optimal N, by hand */
    double v[12];
    for (size_t k = 0; k < fx->ff->K; k++) {
      double Nk, Dk;
      sf_optimal_chinchilla(fx->ff->samples + k * fx->ff->np, n->x[i], &Nk, &Dk);
      v[k] = Nk;
    }
    assert_rel(nb->lo[i], sf_percentile_sorted(v, fx->ff->K, 0.025), 1e-9);
    assert_rel(nb->hi[i], sf_percentile_sorted(v, fx->ff->K, 0.975), 1e-9);
  }
  /* published laws from their papers' formulas: Kaplan's N_opt = 1.3e9 (C / 1 PF-day)^0.73,
   * Llama 3's D_opt = 0.29 C^0.53, Hoffmann's approach 3 with its rounded constants */
  const sf_series *ka = find_series(pn, SF_SERIES_DASHED, "Kaplan 2020");
  const sf_series *ll = find_series(pd, SF_SERIES_DASHED, "Llama 3");
  const sf_series *ho = find_series(pn, SF_SERIES_DASHED, "Hoffmann 2022 (appr. 3)");
  assert_non_null(ka);
  assert_non_null(ll);
  assert_non_null(ho);
  assert_null(find_series(pd, SF_SERIES_DASHED, "Kaplan 2020"));  /* N only */
  assert_null(find_series(pn, SF_SERIES_DASHED, "Llama 3"));      /* D only */
  for (size_t i = 0; i < ka->n; i += 11) {
    double C = ka->x[i];
    assert_rel(ka->y[i], 1.3e9 * pow(C / 8.64e19, 0.73), 1e-9);
    assert_rel(ll->y[i], 0.29 * pow(C, 0.53), 1e-9);
    double G = pow(0.34 * 406.4 / (0.28 * 410.7), 1 / (0.34 + 0.28));
    assert_rel(ho->y[i], G * pow(C / 6, 0.28 / (0.34 + 0.28)), 1e-6);
  }
  size_t len;
  char *svg = render_all(c, "frontier", &len);
  if (svg) {
    assert_non_null(strstr(svg, ">Parameters N*</tspan>"));
    assert_non_null(strstr(svg, ">Training tokens D*</tspan>"));
    assert_non_null(strstr(svg, ">Epoch 2024</tspan>"));
    assert_non_null(strstr(svg, ">DeepSeek 2024 (C = MD)</tspan>"));
    free(svg);
  }
  sf_chart_free(c);
  for (size_t i = 0; i < sf_plot_npublished; i++) sf_fitfile_free(pub[i]);
  free(csv);
  /* a published D_opt law is no law of N and D to allocate with */
  sf_fitfile *k = NULL;
  csv = sf_asprintf("%s/laws.csv", SF_TEST_DATADIR);
  assert_int_equal(sf_fitfile_published(csv, "llama3_Dopt", &k), SF_OK);
  assert_int_equal(sf_plot_frontier(k, NULL, 0, 0, 0, NULL, &c), SF_EUSAGE);
  assert_non_null(strstr(sf_errmsg(), "not a law of N and D"));
  sf_error_clear();
  sf_fitfile_free(k);
  free(csv);
}

/* ------------------------------------------------------------ 4. residuals and bootstrap */

static void test_residuals(void **state) {
  fixture *fx = *state;
  if (!fx) skip();
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.heldout = fx->heldout;
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_residuals(fx->t, fx->ff, &o, &c), SF_OK);
  const sf_panel *p = c->panels[0];
  const sf_series *runs = find_series(p, SF_SERIES_POINTS, "runs");
  const sf_series *held = find_prefix(p, SF_SERIES_POINTS, "held out");
  assert_non_null(runs);
  assert_non_null(held);
  assert_int_equal(held->n, fx->nheld);
  assert_false(p->y.log);
  const sf_table *t = fx->t;
  int cN = sf_table_find(t, "N"), cD = sf_table_find(t, "D"), cL = sf_table_find(t, "loss");
  double ss = 0, *res = malloc(t->nrows * sizeof *res), rlo = 0, rhi = 0;
  size_t nf = 0, k = 0, noff = 0;
  assert_non_null(res);
  for (size_t r = 0; r < t->nrows; r++) {
    res[r] = log(chinchilla(fx->ff->params, t->cols[cN].v[r], t->cols[cD].v[r])) - log(t->cols[cL].v[r]);
    if (fx->heldout[r] != 2) rlo = fmin(rlo, res[r]), rhi = fmax(rhi, res[r]);
  }
  for (size_t r = 0; r < t->nrows; r++) {
    /* the runs loss < 3.7 left out lie far below the law (-0.1 and less): off the axis, which
     * is the fitted and held-out runs' and 5% more, they are not among the family's points */
    if (fx->heldout[r] == 2 && (res[r] < rlo - 0.05 * (rhi - rlo) || res[r] > rhi + 0.05 * (rhi - rlo))) {
      noff++;
      continue;
    }
    assert_rel(runs->y[k++], res[r], 1e-9); /* one family: the runs in table order */
    if (!fx->heldout[r]) ss += res[r] * res[r], nf++;
  }
  free(res);
  assert_int_equal(runs->n, k);
  assert_int_equal(noff, 4);
  assert_non_null(find_series(p, SF_SERIES_POINTS, "excluded, below the axis (4)"));
  /* the fitted runs' RMSE is in the subtitle, as the fit minimised it */
  char want[64];
  snprintf(want, sizeof want, "RMSE %.4g on the fitted runs", sqrt(ss / (double)nf));
  assert_non_null(strstr(c->subtitle, want));
  size_t n;
  char *svg = render_all(c, "residuals", &n);
  if (svg) {
    assert_non_null(strstr(svg, ">Residual log f - log y</tspan>"));
    assert_int_equal(sf_test_count(svg, n, "color='rgb(  0, 114, 178)'"), k + 1);
    free(svg);
  }
  sf_chart_free(c);
}

/* A weighted fit (fit --sigma loss_sd) of the power law y = E + A C^-alpha: the scaling chart
 * draws each run with an error bar y -+ sigma from the fit's sigma column, and the residuals chart
 * each residual in units of the standard deviation the fit divided it by (sf_fit.h: sigma in linear
 * space, sigma/y for log f - log y), with a +-1 band and chi^2/dof in the subtitle. Runs, sigmas
 * and parameters are made up; every expected value is worked out here from the closed form. */
static void test_weighted(void **state) {
  (void)state;
  static const double C[] = {1e18, 1e19, 1e20, 1e21, 1e22, 1e23}, L[] = {1.97, 1.86, 1.83, 1.76, 1.745, 1.72},
                      SD[] = {0.02, 0.01, 0.03, 0.015, NAN, 0.01};
  const double E = 1.7, A = 1000, alpha = 0.2;
  char path[512];
  snprintf(path, sizeof path, "%s/weighted.csv", sf_test_tmpdir());
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("name,C,loss,loss_sd\n", f);
  for (int i = 0; i < 6; i++) {
    if (isnan(SD[i])) fprintf(f, "r%d,%g,%g,\n", i, C[i], L[i]);
    else fprintf(f, "r%d,%g,%g,%g\n", i, C[i], L[i], SD[i]);
  }
  fclose(f);
  sf_table *t = NULL;
  assert_int_equal(sf_data_load(path, NULL, &t), SF_OK);
  const char *json = "{\"format\":\"scalefit-fit\",\"version\":1,\"law\":\"power\",\"y\":\"loss\",\"vars\":[\"C\"],"
                     "\"sigma\":\"loss_sd\",\"absolute_sigma\":false,\"params\":{\"E\":1.7,\"A\":1000,\"alpha\":0.2}}";
  sf_jval *root = NULL;
  sf_fitfile *ff = NULL;
  assert_int_equal(sf_jparse(json, strlen(json), "weighted fit", &root), SF_OK);
  assert_int_equal(sf_fitfile_from_json(root, "weighted fit", &ff), SF_OK);
  sf_jfree(root);
  assert_string_equal(ff->sigma, "loss_sd");

  /* scaling: error bars from the fit's column; the run without a sigma has none */
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_scaling_fit(t, ff, &o, &c), SF_OK);
  const sf_series *runs = find_series(c->panels[0], SF_SERIES_POINTS, "runs");
  assert_non_null(runs);
  assert_int_equal(runs->n, 6);
  assert_non_null(runs->lo);
  for (int i = 0; i < 6; i++) {
    if (isnan(SD[i])) {
      assert_true(isnan(runs->lo[i]) && isnan(runs->hi[i]));
      continue;
    }
    assert_rel(runs->lo[i], L[i] - SD[i], 1e-12);
    assert_rel(runs->hi[i], L[i] + SD[i], 1e-12);
  }
  assert_non_null(strstr(c->subtitle, "error bars ±1 sd (loss_sd)"));
  size_t n;
  char *svg = render_all(c, "weighted-scaling", &n);
  free(svg);
  sf_chart_free(c);

  /* residuals in units of sigma, log space then linear space */
  for (int linear = 0; linear < 2; linear++) {
    o.linear_space = linear;
    assert_int_equal(sf_plot_residuals(t, ff, &o, &c), SF_OK);
    const sf_panel *p = c->panels[0];
    runs = find_series(p, SF_SERIES_POINTS, "runs");
    assert_non_null(runs);
    assert_int_equal(runs->n, 5); /* the run without a sigma cannot be scaled: left out, counted */
    assert_int_equal(c->skipped, 1);
    double chi2 = 0;
    for (int i = 0, k = 0; i < 6; i++) {
      if (isnan(SD[i])) continue;
      double fv = E + A * pow(C[i], -alpha);
      double want = linear ? (fv - L[i]) / SD[i] : (log(fv) - log(L[i])) / (SD[i] / L[i]);
      assert_rel(runs->x[k], C[i], 1e-12);
      assert_rel(runs->y[k], want, 1e-9);
      chi2 += want * want;
      k++;
    }
    char want[120];
    snprintf(want, sizeof want, "χ²/dof %.4g (%.6g / 2)", chi2 / 2, chi2); /* 5 runs, 3 parameters */
    if (!strstr(c->subtitle, want)) print_error("subtitle '%s' lacks '%s'\n", c->subtitle, want);
    assert_non_null(strstr(c->subtitle, want));
    assert_non_null(strstr(p->y.label, linear ? "(f - y)/σ" : "(log f - log y)/(σ/y)"));
    const sf_series *band = find_series(p, SF_SERIES_BAND, "±1 sd");
    assert_non_null(band);
    assert_rel(band->lo[0], -1, 0);
    assert_rel(band->hi[1], 1, 0);
    svg = render_all(c, "weighted-residuals", &n);
    free(svg);
    sf_chart_free(c);
  }
  /* a table without the fit's sigma column: an error naming it */
  sf_table *t2 = NULL;
  snprintf(path, sizeof path, "%s/unweighted.csv", sf_test_tmpdir());
  f = fopen(path, "w");
  fputs("name,C,loss\nr0,1e18,2\nr1,1e19,1.9\n", f);
  fclose(f);
  assert_int_equal(sf_data_load(path, NULL, &t2), SF_OK);
  assert_int_equal(sf_plot_residuals(t2, ff, &o, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "loss_sd"));
  assert_int_equal(sf_plot_scaling_fit(t2, ff, &o, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "loss_sd"));
  sf_table_free(t2);
  sf_table_free(t);
  sf_fitfile_free(ff);
}

/* Runs a fit's --where left out (heldout 2) can lie far off the law (that is why they were left
 * out): the residuals axis is sized to the runs the fit saw (fitted and held out), which fill it,
 * and an excluded run off that axis is drawn as a triangle at its edge pointing its way, counted
 * in the legend and with its value in the subtitle; one inside is drawn in place, squared. The
 * power law y = E + A C^-alpha with loss made so that log f - log y is exactly the residual set. */
static void test_residuals_excluded(void **state) {
  (void)state;
  static const double R[] = {0.01, -0.004, 0.002, -0.01, 0.006, -0.002, 0.004, -0.006, 0.008, 0, -0.3, 0.005, 0.25};
  static const unsigned char H[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2};
  enum { NR = sizeof R / sizeof R[0] };
  const double E = 1.7, A = 1000, alpha = 0.2;
  char path[512];
  snprintf(path, sizeof path, "%s/excluded.csv", sf_test_tmpdir());
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("name,C,loss\n", f);
  for (int i = 0; i < NR; i++) {
    double C = pow(10, 18 + 0.4 * i);
    fprintf(f, "r%d,%.17g,%.17g\n", i, C, (E + A * pow(C, -alpha)) * exp(-R[i]));
  }
  fclose(f);
  sf_table *t = NULL;
  assert_int_equal(sf_data_load(path, NULL, &t), SF_OK);
  const char *json = "{\"format\":\"scalefit-fit\",\"version\":1,\"law\":\"power\",\"y\":\"loss\",\"vars\":[\"C\"],"
                     "\"params\":{\"E\":1.7,\"A\":1000,\"alpha\":0.2}}";
  sf_jval *root = NULL;
  sf_fitfile *ff = NULL;
  assert_int_equal(sf_jparse(json, strlen(json), "fit", &root), SF_OK);
  assert_int_equal(sf_fitfile_from_json(root, "fit", &ff), SF_OK);
  sf_jfree(root);
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.heldout = H;
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_residuals(t, ff, &o, &c), SF_OK);
  const sf_panel *p = c->panels[0];
  /* the runs the fit saw, -0.01..0.01, fill the axis but for its padding */
  double lo, hi;
  sf_plot_axis_range(p, SF_AXIS_Y, &lo, &hi);
  if (lo < -0.0125 || hi > 0.0125) print_error("y axis %g..%g, the fitted runs span -0.01..0.01\n", lo, hi);
  assert_true(lo >= -0.0125 && lo <= -0.01 && hi <= 0.0125 && hi >= 0.01);
  /* the family's points: the runs the fit saw and the excluded one in range, not those off it */
  const sf_series *runs = find_series(p, SF_SERIES_POINTS, "runs");
  assert_non_null(runs);
  assert_int_equal(runs->n, 11);
  for (size_t k = 0; k < runs->n; k++) assert_true(runs->y[k] >= lo && runs->y[k] <= hi);
  const sf_series *in = find_series(p, SF_SERIES_POINTS, "excluded by --where (1)");
  assert_non_null(in);
  assert_int_equal(in->n, 1);
  assert_rel(in->y[0], 0.005, 1e-9);
  /* the two off the axis: a triangle each at the edge it lies beyond, inside the axis, pointing
   * its way (gnuplot's filled triangle down, pt 11, and up, pt 9, in black) */
  const sf_series *below = find_series(p, SF_SERIES_POINTS, "excluded, below the axis (1)");
  const sf_series *above = find_series(p, SF_SERIES_POINTS, "excluded, above the axis (1)");
  assert_non_null(below);
  assert_non_null(above);
  assert_int_equal(below->n, 1);
  assert_int_equal(above->n, 1);
  assert_rel(below->x[0], 1e22, 1e-12); /* r10, -0.3 */
  assert_rel(above->x[0], pow(10, 22.8), 1e-12); /* r12, +0.25 */
  assert_true(below->y[0] >= lo && below->y[0] < -0.01);
  assert_true(above->y[0] <= hi && above->y[0] > 0.01);
  assert_int_equal(below->color % SF_PALETTE_SIZE, 6);
  assert_int_equal(sf_point_types[(below->color + below->color / SF_PALETTE_SIZE) % SF_PALETTE_SIZE], 11);
  assert_int_equal(sf_point_types[(above->color + above->color / SF_PALETTE_SIZE) % SF_PALETTE_SIZE], 9);
  /* the subtitle: the fitted runs' RMSE, and where the off-axis residuals are */
  double ss = 0;
  for (int i = 0; i < 9; i++) ss += R[i] * R[i];
  char want[120];
  snprintf(want, sizeof want, "RMSE %.4g on the fitted runs", sqrt(ss / 9));
  assert_non_null(strstr(c->subtitle, want));
  if (!strstr(c->subtitle, "-0.3") || !strstr(c->subtitle, "0.25"))
    print_error("subtitle '%s' lacks the off-axis residuals -0.3 and 0.25\n", c->subtitle);
  assert_non_null(strstr(c->subtitle, "-0.3"));
  assert_non_null(strstr(c->subtitle, "0.25"));
  size_t n;
  char *svg = render_all(c, "residuals-excluded", &n);
  if (svg) {
    assert_non_null(strstr(svg, ">excluded, below the axis (1)</tspan>"));
    assert_non_null(strstr(svg, ">excluded, above the axis (1)</tspan>"));
    free(svg);
  }
  sf_chart_free(c);
  sf_table_free(t);
  sf_fitfile_free(ff);
}

static void test_bootstrap(void **state) {
  fixture *fx = *state;
  if (!fx) skip();
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_bootstrap(fx->ff, NULL, &c), SF_OK);
  const sf_fitfile *ff = fx->ff;
  assert_true(c->npanels >= 6);
  /* a histogram per parameter whose bins hold every refit once */
  for (size_t j = 0; j < 5; j++) {
    const sf_series *h = find_series(c->panels[j], SF_SERIES_LINE, "");
    assert_non_null(h);
    double total = 0;
    for (size_t i = 0; i < h->n; i += 2) total += h->y[i];
    assert_rel(total, (double)ff->K, 1e-12);
  }
  /* the scatter panels: titled with Pearson's r, recomputed here, strongest first */
  double prev = 2;
  for (size_t k = 5; k < c->npanels; k++) {
    const sf_panel *p = c->panels[k];
    const sf_series *s = find_series(p, SF_SERIES_POINTS, "refits");
    assert_non_null(s);
    assert_int_equal(s->n, ff->K);
    double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < s->n; i++) mx += s->x[i], my += s->y[i];
    mx /= (double)s->n, my /= (double)s->n;
    for (size_t i = 0; i < s->n; i++)
      sxx += (s->x[i] - mx) * (s->x[i] - mx), syy += (s->y[i] - my) * (s->y[i] - my),
          sxy += (s->x[i] - mx) * (s->y[i] - my);
    double r = sxy / sqrt(sxx * syy);
    /* r to 2 decimals, or as many more as keep an r short of 1 from reading 1.00: A and log10 alpha
     * of this fit correlate at 0.999 (a ridge of the Chinchilla law, numpy on the fit's samples), and
     * "r = 1.00" read as a chart that plotted a parameter against itself */
    assert_true(strncmp(p->title, "r = ", 4) == 0);
    const char *num = p->title + 4, *dot = strchr(num, '.');
    assert_non_null(dot);
    int d = (int)strlen(dot + 1);
    double shown = strtod(num, NULL);
    if (fabs(shown - r) > 0.5 * pow(10, -d) + 1e-12) print_error("title '%s', r %.9f\n", p->title, r);
    assert_true(fabs(shown - r) <= 0.5 * pow(10, -d) + 1e-12);
    assert_true(d >= 2 && d <= 6);
    if (fabs(r) < 1 - 5e-7) assert_true(fabs(shown) < 1);
    if (d > 2) assert_true(fabs(round(r * pow(10, d - 1))) == pow(10, d - 1)); /* one fewer read 1 */
    assert_true(fabs(r) <= prev + 1e-12);
    prev = fabs(r);
  }
  /* A and alpha move together in a Chinchilla fit (Besiroglu et al.): the strongest pair */
  assert_true(prev > 0.5);
  size_t n;
  char *svg = render_all(c, "bootstrap", &n);
  if (svg) {
    assert_non_null(strstr(svg, ">Refits</tspan>"));
    assert_non_null(strstr(svg, ">alpha</tspan>"));
    assert_non_null(strstr(svg, ">beta</tspan>"));
    free(svg);
  }
  sf_chart_free(c);
  /* no samples: a clear error */
  sf_fitfile *delta = without_bootstrap(fx->ff);
  assert_int_equal(sf_plot_bootstrap(delta, NULL, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "--bootstrap K"));
  sf_error_clear();
  free(delta);
}

/* ------------------------------------------------------------ 5. isoflop */

/* Runs of a known Chinchilla law (Hoffmann's rounded constants) on 5 budgets, 9 sizes each
 * spread +-0.6 decades around the optimum, plus a budget whose sizes all lie below its optimum. */
static sf_table *isoflop_table(double *nopt_true) {
  const double q[5] = {1.69, 406.4, 410.7, 0.34, 0.28};
  const double budgets[6] = {1e18, 1e19, 1e20, 1e21, 1e22, 1e23};
  char *csv = malloc(65536);
  int k = snprintf(csv, 65536, "run,N,D,C,loss\n");
  for (int b = 0; b < 6; b++) {
    double N0, D0, C = budgets[b];
    sf_optimal_chinchilla(q, C, &N0, &D0);
    nopt_true[b] = N0;
    for (int i = 0; i < 9; i++) {
      double u = b == 5 ? -1.6 + 0.12 * i : -0.6 + 0.15 * i; /* the last budget: all too small */
      double N = N0 * pow(10, u), D = C / (6 * N);
      k += snprintf(csv + k, (size_t)(65536 - k), "r%d_%d,%.10g,%.10g,%.10g,%.10g\n", b, i, N, D, C,
                    chinchilla(q, N, D));
    }
  }
  const char *path = sf_test_path("isoflop.csv");
  FILE *f = fopen(path, "w");
  fputs(csv, f);
  fclose(f);
  free(csv);
  sf_table *t = NULL;
  assert_int_equal(sf_data_load(path, NULL, &t), SF_OK);
  return t;
}

static void test_isoflop(void **state) {
  (void)state;
  double nopt[6];
  sf_table *t = isoflop_table(nopt);
  sf_chart *c = NULL;
  sf_isoflop_result r;
  assert_int_equal(sf_plot_isoflop(t, NULL, &c, &r), SF_OK);
  assert_int_equal(r.nbins, 6); /* one per budget, found by the jumps in C */
  for (int b = 0; b < 6; b++) {
    assert_int_equal(r.bin[b].n, 9);
    assert_true(r.bin[b].fitted);
    if (b == 5) {
      assert_false(r.bin[b].interior); /* reported, not drawn as a minimum */
      continue;
    }
    assert_true(r.bin[b].interior);
    /* a parabola in log N through a Chinchilla profile finds the true optimum within 10% */
    assert_rel(r.bin[b].n_opt, nopt[b], 0.10);
  }
  const sf_panel *p = c->panels[0];
  assert_int_equal(find_series(p, SF_SERIES_POINTS, "minimum of each bin")->n, 5);
  assert_non_null(strstr(c->subtitle, "no interior minimum at C = 1.00e+23"));
  size_t n;
  char *svg = render_all(c, "isoflop", &n);
  if (svg) {
    assert_non_null(strstr(svg, ">minimum of each bin</tspan>"));
    assert_non_null(strstr(svg, ">C = 1.00e+20</tspan>"));
    free(svg);
  }
  sf_chart_free(c);

  /* an exact parabola is recovered exactly, and explicit edges bin as given */
  const char *path = sf_test_path("parabola.csv");
  FILE *f = fopen(path, "w");
  fprintf(f, "run,N,C,loss\n");
  for (int i = 0; i < 7; i++) {
    double u = 9 + 0.25 * i;
    fprintf(f, "p%d,%.17g,%.17g,%.17g\n", i, pow(10, u), 1e20 * (1 + 0.01 * i), 3.0 - 0.4 * u + 0.02 * u * u);
  }
  fclose(f);
  sf_table *t2 = NULL;
  assert_int_equal(sf_data_load(path, NULL, &t2), SF_OK);
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  double edges[2] = {5e19, 2e20};
  o.edges = edges;
  o.nedges = 2;
  assert_int_equal(sf_plot_isoflop(t2, &o, &c, &r), SF_OK);
  assert_int_equal(r.nbins, 1);
  assert_rel(r.bin[0].a, 3.0, 1e-8);
  assert_rel(r.bin[0].b, -0.4, 1e-8);
  assert_rel(r.bin[0].c, 0.02, 1e-8);
  assert_rel(r.bin[0].n_opt, 1e10, 1e-8); /* vertex at u = 0.4 / 0.04 = 10 */
  sf_chart_free(c);
  /* a budget with a single run gets no parabola: the subtitle said nothing of it (only stderr did) */
  o.edges = NULL;
  o.nedges = 0;
  f = fopen(path, "a");
  fprintf(f, "single,1e11,1e22,2.5\n");
  fclose(f);
  sf_table *t3 = NULL;
  assert_int_equal(sf_data_load(path, NULL, &t3), SF_OK);
  assert_int_equal(sf_plot_isoflop(t3, &o, &c, &r), SF_OK);
  assert_int_equal(r.nbins, 2); /* the 7 runs near 1e20, the one at 1e22 */
  assert_int_equal(r.bin[1].n, 1);
  assert_false(r.bin[1].fitted);
  assert_non_null(strstr(c->subtitle, "8 runs in 2 compute bins"));
  assert_non_null(strstr(c->subtitle, "skipped, under 3 model sizes: C = 1.00e+22 (1 run)"));
  sf_chart_free(c);
  sf_table_free(t3);
  /* bad edges */
  double bad[2] = {2e20, 1e20};
  o.edges = bad;
  assert_int_equal(sf_plot_isoflop(t2, &o, &c, &r), SF_EUSAGE);
  sf_error_clear();
  sf_table_free(t2);
  sf_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scaling_fit), cmocka_unit_test(test_scaling_fit_errors),
      cmocka_unit_test(test_frontier),    cmocka_unit_test(test_frontier_legend),    cmocka_unit_test(test_residuals), cmocka_unit_test(test_weighted),
      cmocka_unit_test(test_bootstrap),
  };
  const struct CMUnitTest plain[] = {
      cmocka_unit_test(test_turn),
      cmocka_unit_test(test_residuals_excluded),
      cmocka_unit_test(test_isoflop),
  };
  int failed = cmocka_run_group_tests_name("fitted kinds (Chinchilla fit)", tests, setup, teardown);
  failed += cmocka_run_group_tests_name("fitted kinds (synthetic)", plain, NULL, NULL);
  return failed;
}
