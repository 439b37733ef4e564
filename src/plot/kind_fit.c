/* kind_fit.c: the `scaling` chart with a fit: sf_plot_scaling's runs, the fitted law over the
 * fitted range, its dashed extrapolation with a confidence band, and the held-out runs ringed.
 *
 * The curve and its band come from the forecast stage (sf_forecast_band over a derived quantity:
 * the law itself for a one-variable law, its value at the compute-optimal allocation for a law of
 * N and D), so that what the chart shows at any x is exactly what `scalefit predict` or `scalefit
 * optimal` says there. The fitted range ends at the largest x among the runs the fit saw (held-out
 * runs excluded), so held-out runs land on the extrapolation they test.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

enum { CURVE_POINTS = 96 };

typedef struct curve_ctx {
  const sf_fitfile *ff;
  int along_c; /* 1: value at the compute-optimal allocation of C; 0: the law of x */
  double x;
} curve_ctx;

static int curve_fn(const double *params, void *vctx, double *out) {
  curve_ctx *c = vctx;
  if (c->along_c) return sf_value_at_compute(c->ff, params, c->x, NULL, out, &(sf_optimum){0});
  return sf_forecast_eval(c->ff->law, params, &c->x, out, NULL);
}

/* Whether the fit ff can be drawn against column x, and how. */
static int curve_mode(const sf_fitfile *ff, const char *x, int *along_c) {
  if (ff->nvar == 1 && strcmp(ff->vars[0], x) == 0) {
    *along_c = 0;
    return SF_OK;
  }
  if (ff->alloc == SF_ALLOC_ND && strcmp(x, "C") == 0) {
    *along_c = 1;
    return SF_OK;
  }
  if (ff->nvar == 1)
    return sf_fail(SF_EUSAGE, "law '%s' is a law of '%s' and cannot be drawn against '%s': use --x %s",
                   sf_law_label(ff->law), ff->vars[0], x, ff->vars[0]);
  if (ff->alloc == SF_ALLOC_ND)
    return sf_fail(SF_EUSAGE,
                   "law '%s' of %s and %s cannot be drawn against '%s' alone: use --x C (its compute-optimal frontier)",
                   sf_law_label(ff->law), ff->vars[ff->var_N], ff->vars[ff->var_D], x);
  return sf_fail(SF_EUSAGE, "law '%s' of %zu variables has no curve against '%s'", sf_law_label(ff->law), ff->nvar, x);
}

/* The law (and its band) at n log-spaced x from x0 to x1 into y, lo, hi. Points where the band
 * cannot be computed are NaN (a gap in the line). */
static void sample_curve(const sf_fitfile *ff, int along_c, double x0, double x1, size_t n, double *x, double *y,
                         double *lo, double *hi, int *has_band) {
  curve_ctx ctx = {ff, along_c, 0};
  for (size_t i = 0; i < n; i++) {
    x[i] = n > 1 ? pow(10, log10(x0) + (log10(x1) - log10(x0)) * (double)i / (double)(n - 1)) : x0;
    ctx.x = x[i];
    sf_band b;
    if (sf_forecast_band(ff, curve_fn, &ctx, 1, &b) != SF_OK) {
      sf_error_clear();
      y[i] = lo[i] = hi[i] = NAN;
      continue;
    }
    y[i] = b.value;
    lo[i] = b.lo;
    hi[i] = b.hi;
    if (b.kind != SF_BAND_NONE && isfinite(b.lo) && isfinite(b.hi)) *has_band = (int)b.kind;
  }
}

int sf_plot_scaling_fit(const sf_table *t, const sf_fitfile *ff, const sf_plot_opts *o, sf_chart **out) {
  sf_plot_opts defaults;
  if (!o) {
    sf_plot_opts_init(&defaults);
    o = &defaults;
  }
  *out = NULL;
  const char *xname = o->x ? o->x : "C", *yname = o->y ? o->y : ff->output;
  int along_c = 0, rc = curve_mode(ff, xname, &along_c);
  if (rc) return rc;
  sf_plot_opts po = *o;
  po.x = xname;
  po.y = yname;
  /* a weighted fit: the runs with the standard deviations it weighed them by */
  if (!po.sigma && ff->sigma) po.sigma = ff->sigma;
  sf_chart *c = NULL;
  if ((rc = sf_plot_scaling(t, &po, &c))) return rc;
  sf_panel *p = c->panels[0];
  int xc = sf_plot_find_column(t, xname), yc = sf_plot_find_column(t, yname);
  const double *xv = t->cols[xc].v, *yv = t->cols[yc].v;

  /* the fitted range (runs the fit saw) and the held-out runs */
  double fx0 = INFINITY, fx1 = -INFINITY;
  size_t nh = 0, nx = 0;
  double *hx = malloc((t->nrows + 1) * sizeof *hx), *hy = malloc((t->nrows + 1) * sizeof *hy);
  double *cx = malloc(3 * CURVE_POINTS * sizeof *cx), *cy = malloc(3 * CURVE_POINTS * sizeof *cy);
  double *clo = malloc(3 * CURVE_POINTS * sizeof *clo), *chi = malloc(3 * CURVE_POINTS * sizeof *chi);
  if (!hx || !hy || !cx || !cy || !clo || !chi) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t r = 0; r < t->nrows; r++) {
    if (!sf_plot_row_ok(p, xv[r], yv[r])) continue;
    if (o->heldout && o->heldout[r] == 1) {
      hx[nh] = xv[r];
      hy[nh++] = yv[r];
      continue;
    }
    if (o->heldout && o->heldout[r] == 2) {
      nx++;
      continue;
    }
    if (xv[r] < fx0) fx0 = xv[r];
    if (xv[r] > fx1) fx1 = xv[r];
  }
  if (!(fx1 > 0)) {
    rc = sf_fail(SF_EINPUT, "every run of table '%s' is held out: nothing the fit saw to draw its range from",
                 t->name ? t->name : "");
    goto done;
  }
  double xend = o->extrapolate_to > 0 ? o->extrapolate_to : 100 * fx1;
  if (xend < fx1) xend = fx1;

  /* fitted part, then extrapolation; the band spans both, drawn behind */
  int has_band = 0;
  size_t nf = CURVE_POINTS, ne = xend > fx1 * 1.0001 ? CURVE_POINTS : 0;
  sample_curve(ff, along_c, fx0, fx1, nf, cx, cy, clo, chi, &has_band);
  if (ne) sample_curve(ff, along_c, fx1, xend, ne, cx + nf, cy + nf, clo + nf, chi + nf, &has_band);
  char label[200];
  snprintf(label, sizeof label, "%s%s", sf_law_label(ff->law), along_c ? ", compute-optimal" : " fit");
  const int fit_color = 6; /* black: the law stands apart from the families' colours */
  sf_series *s;
  if (has_band) {
    char bl[120];
    snprintf(bl, sizeof bl, "%g%% band (%s)", 100 * ff->ci_level, has_band == SF_BAND_BOOTSTRAP ? "bootstrap" : "delta method");
    if (!(s = sf_panel_add_band(p, bl, nf + ne, cx, clo, chi))) goto fail_errcode;
    s->color = 5; /* teal */
  }
  if (!(s = sf_panel_add_line(p, label, nf, cx, cy, 0))) goto fail_errcode;
  s->color = fit_color;
  if (ne) {
    if (!(s = sf_panel_add_line(p, "extrapolation", ne, cx + nf, cy + nf, 1))) goto fail_errcode;
    s->color = fit_color;
    if (!sf_panel_add_vline(p, "end of fitted runs", fx1)) goto fail_errcode;
  }
  if (nh) {
    snprintf(label, sizeof label, "held out (%zu)", nh);
    if (!(s = sf_panel_add_points(p, label, nh, hx, hy))) goto fail_errcode;
    s->color = 6; /* black open circle: a ring around the run's own glyph */
    s->size = 2.0;
  }
  if (nx) {
    size_t k = 0;
    for (size_t r = 0; r < t->nrows; r++)
      if (o->heldout[r] == 2 && sf_plot_row_ok(p, xv[r], yv[r])) hx[k] = xv[r], hy[k++] = yv[r];
    snprintf(label, sizeof label, "excluded by --where (%zu)", k);
    if (!(s = sf_panel_add_points(p, label, k, hx, hy))) goto fail_errcode;
    s->color = 6 + SF_PALETTE_SIZE; /* black open square (colour and shape of the second round) */
    s->size = 2.0;
  }
  /* a table without families reads "runs", not "(no family)" */
  for (size_t i = 0; i < p->nseries; i++)
    if (p->series[i]->kind == SF_SERIES_POINTS && strcmp(p->series[i]->title, "(no family)") == 0) {
      char *runs = sf_strdup("runs");
      if (!runs) goto fail_errcode;
      free(p->series[i]->title);
      p->series[i]->title = runs;
    }
  /* a legend with many entries and a long diagonal curve has no free corner */
  char sub[300];
  snprintf(sub, sizeof sub, "%s; law %s%s", c->subtitle, sf_law_label(ff->law),
           has_band == SF_BAND_BOOTSTRAP ? ", band from bootstrap refits"
           : has_band == SF_BAND_DELTA   ? ", band by the delta method"
                                         : ", no band (the fit has neither bootstrap nor covariance)");
  if ((rc = sf_chart_set_subtitle(c, sub))) goto done;
  rc = SF_OK;
  goto done;
fail_errcode:
  rc = sf_errcode();
done:
  free(hx);
  free(hy);
  free(cx);
  free(cy);
  free(clo);
  free(chi);
  if (rc) sf_chart_free(c);
  else *out = c;
  return rc;
}
