/* kind_bootstrap.c: the `bootstrap` chart, the distributions of a fit's bootstrap refits: a
 * histogram per free parameter (a step line, the point estimate and the percentile interval as
 * markers) and scatter panels of the most correlated pairs (e.g. A against alpha), each titled
 * with Pearson's r, since correlated parameters are why single-parameter intervals mislead.
 * Parameters whose refits span more than a factor of 3 (A and B of a Chinchilla fit) are shown
 * as log10 of the parameter on a linear axis: a histogram needs equal-width bins, and small
 * panels cannot carry the 1-2-5 ticks of a narrow log axis. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

#define MAX_PAIRS 4

/* Whether column j of the samples is positive and spans more than 20x: drawn in log scale. */
static int spans(const double *v, size_t K, size_t np, size_t j) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t k = 0; k < K; k++) {
    double x = v[k * np + j];
    if (!(x > 0)) return 0;
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  return hi > 3 * lo;
}

static double corr(const double *v, size_t K, size_t np, size_t a, size_t b, int la, int lb) {
  double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
  for (size_t k = 0; k < K; k++) {
    ma += la ? log(v[k * np + a]) : v[k * np + a];
    mb += lb ? log(v[k * np + b]) : v[k * np + b];
  }
  ma /= (double)K, mb /= (double)K;
  for (size_t k = 0; k < K; k++) {
    double x = (la ? log(v[k * np + a]) : v[k * np + a]) - ma, y = (lb ? log(v[k * np + b]) : v[k * np + b]) - mb;
    saa += x * x, sbb += y * y, sab += x * y;
  }
  return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

int sf_plot_bootstrap(const sf_fitfile *ff, const sf_plot_opts *o, sf_chart **out) {
  sf_plot_opts defaults;
  if (!o) {
    sf_plot_opts_init(&defaults);
    o = &defaults;
  }
  *out = NULL;
  size_t K = ff->K, np = ff->np;
  if (K < 2 || !ff->samples)
    return sf_fail(SF_EINPUT, "fit '%s' has no bootstrap samples (fit again with --bootstrap K)", ff->origin);
  size_t fr[SF_LAW_MAXPAR], nf = 0;
  int lg[SF_LAW_MAXPAR] = {0};
  for (size_t j = 0; j < np; j++)
    if (!ff->fixed[j]) {
      fr[nf++] = j;
      lg[j] = spans(ff->samples, K, np, j);
    }
  char title[200];
  snprintf(title, sizeof title, "Bootstrap of the %s fit: %zu refits", sf_law_label(ff->law), K);
  sf_chart *c = sf_chart_new(o->title ? o->title : title);
  if (!c) return sf_errcode();
  /* most correlated pairs (in the scale each is drawn in) */
  size_t pa[MAX_PAIRS], pb[MAX_PAIRS], npairs = 0;
  double pr[MAX_PAIRS];
  for (size_t a = 0; a < nf; a++)
    for (size_t b = a + 1; b < nf; b++) {
      double r = corr(ff->samples, K, np, fr[a], fr[b], lg[fr[a]], lg[fr[b]]);
      if (!isfinite(r)) continue;
      size_t at = npairs < MAX_PAIRS ? npairs++ : MAX_PAIRS;
      if (at == MAX_PAIRS) {
        if (fabs(r) <= fabs(pr[MAX_PAIRS - 1])) continue;
        at = MAX_PAIRS - 1;
      }
      while (at > 0 && fabs(pr[at - 1]) < fabs(r)) {
        pa[at] = pa[at - 1], pb[at] = pb[at - 1], pr[at] = pr[at - 1];
        at--;
      }
      pa[at] = fr[a], pb[at] = fr[b], pr[at] = r;
    }
  /* three panels a row; as many pairs as fill the last row (at least one) */
  while (npairs > 1 && (nf + npairs) % 3 != 0) npairs--;
  size_t npanels = nf + npairs;
  c->ncols = npanels < 3 ? npanels : 3;
  size_t rows = (npanels + c->ncols - 1) / c->ncols;
  c->width = o->width > 0 ? o->width : 1000;
  c->height = o->height > 0 ? o->height : (int)(120 + 260 * rows);
  c->grow = 0;
  int rc = SF_OK;
  size_t nb = K < 50 ? 8 : K < 400 ? 16 : 30;
  double *hx = malloc((2 * nb + 2) * sizeof *hx), *hy = malloc((2 * nb + 2) * sizeof *hy);
  double *v = malloc(K * sizeof *v), *sx = malloc(K * sizeof *sx), *sy = malloc(K * sizeof *sy);
  if (!hx || !hy || !v || !sx || !sy) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t f = 0; f < nf && !rc; f++) {
    size_t j = fr[f];
    const char *name = ff->law->par[j].name;
    char xl[80];
    snprintf(xl, sizeof xl, lg[j] ? "log10 %s" : "%s", name);
    sf_panel *p = sf_chart_add_panel(c, "");
    if (!p) goto fail_errcode;
    if ((rc = sf_axis_set(&p->x, xl, "", 0)) || (rc = sf_axis_set(&p->y, "Refits", "", 0))) break;
    p->legend = SF_LEGEND_NONE;
    p->y.min = 0;
    for (size_t k = 0; k < K; k++) v[k] = lg[j] ? log10(ff->samples[k * np + j]) : ff->samples[k * np + j];
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < K; k++) lo = v[k] < lo ? v[k] : lo, hi = v[k] > hi ? v[k] : hi;
    if (!(hi > lo)) hi = lo + 1e-12 * (fabs(lo) + 1);
    double w = (hi - lo) / (double)nb;
    size_t cnt[64] = {0};
    for (size_t k = 0; k < K; k++) {
      size_t b = (size_t)((v[k] - lo) / w);
      cnt[b >= nb ? nb - 1 : b]++;
    }
    /* a step outline: up and across each bin */
    size_t m = 0;
    for (size_t b = 0; b < nb; b++) {
      double e0 = lo + w * (double)b, e1 = e0 + w;
      hx[m] = e0, hy[m++] = (double)cnt[b];
      hx[m] = e1, hy[m++] = (double)cnt[b];
    }
    sf_series *s = sf_panel_add_band(p, "", m, hx, (double[2 * 64 + 2]){0}, hy);
    if (!s) goto fail_errcode;
    s->color = 0;
    if (!(s = sf_panel_add_line(p, "", m, hx, hy, 0))) goto fail_errcode;
    s->color = 0;
    s->size = 0.6;
    if (!sf_panel_add_vline(p, "", lg[j] ? log10(ff->params[j]) : ff->params[j])) goto fail_errcode;
    double qlo, qhi;
    if (sf_fit_percentile(ff->samples, K, np, j, ff->ci_level, &qlo, &qhi) == SF_OK) {
      if (lg[j]) qlo = log10(qlo), qhi = log10(qhi);
      if (!sf_panel_add_xregion(p, "", qlo, qhi)) goto fail_errcode;
    } else {
      sf_error_clear();
    }
  }
  for (size_t q = 0; q < npairs && !rc; q++) {
    const char *na = ff->law->par[pa[q]].name, *nbn = ff->law->par[pb[q]].name;
    char pt[120], xl[80], yl[80];
    /* 2 decimals, or as many more as keep an r short of 1 from reading "r = 1.00" (Chinchilla's
     * log10 A and alpha refit along a ridge at r = 0.999: 1.00 looked like a parameter plotted
     * against itself) */
    int dec = 2;
    while (dec < 6 && fabs(pr[q]) < 1 && fabs(round(pr[q] * pow(10, dec))) >= pow(10, dec)) dec++;
    snprintf(pt, sizeof pt, "r = %.*f", dec, pr[q]);
    snprintf(xl, sizeof xl, lg[pa[q]] ? "log10 %s" : "%s", na);
    snprintf(yl, sizeof yl, lg[pb[q]] ? "log10 %s" : "%s", nbn);
    sf_panel *p = sf_chart_add_panel(c, pt);
    if (!p) goto fail_errcode;
    if ((rc = sf_axis_set(&p->x, xl, "", 0)) || (rc = sf_axis_set(&p->y, yl, "", 0))) break;
    p->legend = SF_LEGEND_NONE;
    for (size_t k = 0; k < K; k++) {
      sx[k] = ff->samples[k * np + pa[q]], sy[k] = ff->samples[k * np + pb[q]];
      if (lg[pa[q]]) sx[k] = log10(sx[k]);
      if (lg[pb[q]]) sy[k] = log10(sy[k]);
    }
    sf_series *s = sf_panel_add_points(p, "refits", K, sx, sy);
    if (!s) goto fail_errcode;
    s->color = 0;
    s->size = 0.5;
    double fx = lg[pa[q]] ? log10(ff->params[pa[q]]) : ff->params[pa[q]];
    double fy = lg[pb[q]] ? log10(ff->params[pb[q]]) : ff->params[pb[q]];
    if (!(s = sf_panel_add_points(p, "fit", 1, &fx, &fy))) goto fail_errcode;
    s->color = 1;
    s->size = 1.6;
  }
  if (!rc) {
    char sub[200];
    snprintf(sub, sizeof sub, "shaded: %g%% percentile interval; dotted line and square: the fit's value%s", 100 * ff->ci_level,
             ff->bootstrap_failed ? "; some refits failed and are left out" : "");
    rc = sf_chart_set_subtitle(c, sub);
  }
  goto done;
fail_errcode:
  rc = sf_errcode();
done:
  free(hx);
  free(hy);
  free(v);
  free(sx);
  free(sy);
  if (rc) sf_chart_free(c);
  else *out = c;
  return rc;
}
