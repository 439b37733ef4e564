/* kind_curves.c: the `curves` chart, the training curves stored with the runs (loss against
 * tokens or FLOPs), one line per run, coloured by family or by a numeric column of the run. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

/* The family index of each row (order of first appearance among rows with curves). */
static int family_index(const sf_table *t, size_t r) {
  int k = 0;
  for (size_t j = 0; j < r; j++) {
    if (t->curve_len[j] == 0) continue;
    size_t i = 0;
    while (i < j && !(t->curve_len[i] > 0 && strcmp(t->family[i], t->family[j]) == 0)) i++;
    if (i == j) { /* j is the first of its family */
      if (strcmp(t->family[j], t->family[r]) == 0) return k;
      k++;
    }
  }
  return k;
}

static int first_of_family(const sf_table *t, size_t r) {
  for (size_t j = 0; j < r; j++)
    if (t->curve_len[j] > 0 && strcmp(t->family[j], t->family[r]) == 0) return 0;
  return 1;
}

/* The first of names that is a curve column of t, else the first (whose absence is then reported). */
static const char *first_curve_column(const sf_table *t, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (sf_plot_find_curve_column(t, names[i]) >= 0) return names[i];
  return names[0];
}

int sf_plot_curves(const sf_table *t, const sf_plot_opts *o, sf_chart **out) {
  sf_plot_opts defaults;
  if (!o) {
    sf_plot_opts_init(&defaults);
    o = &defaults;
  }
  *out = NULL;
  size_t nruns = 0, maxlen = 0;
  for (size_t r = 0; r < t->nrows && t->curve_len; r++) {
    if (t->curve_len[r] > 0) nruns++;
    if (t->curve_len[r] > maxlen) maxlen = t->curve_len[r];
  }
  if (t->ncurve == 0 || nruns == 0)
    return sf_fail(SF_EINPUT, "table '%s'%s%s%s has no training curves", t->name ? t->name : "",
                   t->origin && t->origin[0] ? " ('" : "", t->origin ? t->origin : "",
                   t->origin && t->origin[0] ? "')" : "");
  /* defaults: the first curve column there is; the trainer records train_loss and val_loss (the
   * table's loss is the final val_loss), other sources a plain loss */
  static const char *const xprefs[] = {"tokens", "flops", "step"}, *const yprefs[] = {"loss", "val_loss", "train_loss"};
  const char *xname = o->x ? o->x : first_curve_column(t, xprefs, 3);
  const char *yname = o->y ? o->y : first_curve_column(t, yprefs, 3);
  const char *cby = o->color_by ? o->color_by : "family";
  int xc = sf_plot_find_curve_column(t, xname), yc = sf_plot_find_curve_column(t, yname), zc = -1;
  if (xc < 0) return sf_plot_missing_column(t, xname, 1);
  if (yc < 0) return sf_plot_missing_column(t, yname, 1);
  int by_family = strcmp(cby, "family") == 0, by_none = strcmp(cby, "none") == 0;
  if (!by_family && !by_none && (zc = sf_plot_find_column(t, cby)) < 0) {
    sf_plot_missing_column(t, cby, 0);
    return sf_fail_context("cannot colour by '%s' (not 'family', 'none' or a column): ", cby);
  }

  char *title = o->title ? NULL : sf_asprintf("%s: training curves", t->name && t->name[0] ? t->name : "runs");
  sf_chart *c = sf_chart_new(o->title ? o->title : title);
  free(title);
  if (!c) return sf_errcode();
  if (o->width > 0) c->width = o->width;
  if (o->height > 0) c->height = o->height;
  sf_panel *p = sf_chart_add_panel(c, "");
  double *x = malloc(maxlen * sizeof *x), *y = malloc(maxlen * sizeof *y), *z = malloc(maxlen * sizeof *z);
  int rc = p && x && y && z ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
  if (!rc) rc = sf_plot_column_axis(&p->x, xname, t->curve_unit[xc], 1);
  if (!rc) rc = sf_plot_column_axis(&p->y, yname, t->curve_unit[yc], !o->linear_y);

  /* a colour bar in log scale when the column spans more than a factor of 20 */
  int zlog = 0;
  if (zc >= 0) {
    double lo = INFINITY, hi = -INFINITY;
    int pos = 1;
    for (size_t r = 0; r < t->nrows; r++) {
      double v = t->cols[zc].v[r];
      if (t->curve_len[r] == 0 || !isfinite(v)) continue;
      if (v <= 0) pos = 0;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    zlog = pos && hi > 20 * lo;
  }
  size_t drawn = 0, novalue = 0; /* novalue: runs whose curve has no drawable point */
  for (size_t r = 0; r < t->nrows && !rc; r++) {
    size_t len = t->curve_len[r], nc = t->ncurve;
    if (len == 0) continue;
    if (zc >= 0 && !isfinite(t->cols[zc].v[r])) {
      c->skipped++;
      continue;
    }
    /* Points without a value are left out rather than passed on: gnuplot breaks a line at each
     * NaN, and val_loss, evaluated every few hundred steps, is NaN between evaluations, so its
     * curves came out as specks. Likewise values a log axis cannot show. */
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
      double xv = t->curve[r][i * nc + (size_t)xc], yv = t->curve[r][i * nc + (size_t)yc];
      if (!isfinite(xv) || !isfinite(yv) || xv <= 0 || (yv <= 0 && !o->linear_y)) continue;
      x[m] = xv;
      y[m] = yv;
      z[m] = zc >= 0 ? t->cols[zc].v[r] : 0;
      m++;
    }
    if (m == 0) {
      novalue++;
      continue;
    }
    len = m;
    const char *legend = "";
    if (by_family && first_of_family(t, r)) legend = t->family[r][0] ? t->family[r] : "(no family)";
    sf_series *s = sf_panel_add_line(p, legend, len, x, y, 0);
    if (!s) {
      rc = sf_errcode();
      break;
    }
    /* thinner lines: a sweep has many */
    s->size = 0.75;
    if (by_family) s->color = family_index(t, r);
    else if (by_none) s->color = 0;
    if (zc >= 0) {
      sf_axis tmp = {NULL, NULL, 0, NAN, NAN};
      rc = sf_plot_column_axis(&tmp, t->cols[zc].name, t->cols[zc].unit, zlog);
      if (!rc) rc = sf_series_color_by(p, s, z, tmp.label, tmp.unit, zlog);
      free(tmp.label);
      free(tmp.unit);
    }
    drawn++;
  }
  if (!rc && drawn == 0 && novalue > 0)
    rc = sf_fail(SF_EINPUT, "no run in table '%s' has a curve with values of '%s' and '%s'%s", t->name ? t->name : "",
                 xname, yname, o->linear_y ? "" : " (positive, for the log axes)");
  else if (!rc && drawn == 0)
    rc = sf_fail(SF_EINPUT, "no run in table '%s' has a curve and a value of '%s'", t->name ? t->name : "", cby);
  if (!rc && c->skipped) {
    /* the runs with a curve but no value to colour by, named (the count is the same) */
    unsigned char *keep = calloc(t->nrows + 1, 1);
    if (!keep) rc = sf_fail(SF_ENOMEM, "out of memory");
    for (size_t r = 0; r < t->nrows && keep; r++) keep[r] = !(t->curve_len[r] && zc >= 0 && !isfinite(t->cols[zc].v[r]));
    if (!rc) rc = sf_chart_left_out(c, t, keep);
    free(keep);
  }
  if (!rc) {
    char sub[160];
    int k = snprintf(sub, sizeof sub, "%zu run%s with training curves", drawn, drawn == 1 ? "" : "s");
    if (c->skipped) k += snprintf(sub + k, sizeof sub - (size_t)k, "; %zu without '%s' left out", c->skipped, cby);
    if (novalue && k < (int)sizeof sub)
      snprintf(sub + k, sizeof sub - (size_t)k, "; %zu without values of '%s' left out", novalue, yname);
    rc = sf_chart_set_subtitle(c, sub);
  }
  free(x);
  free(y);
  free(z);
  if (rc) {
    sf_chart_free(c);
    return rc;
  }
  *out = c;
  return SF_OK;
}
