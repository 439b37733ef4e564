/* kind_scaling.c: the `scaling` chart, a metric against compute (or N, D) on log-log axes with
 * the runs as points coloured by family or by a numeric column.
 *
 * This is the chart every fitted kind of scaling plot starts from: with a fit, the fitted law,
 * its extrapolation and band and the held-out runs are added to the chart built here (see
 * sf_plot.h).
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

void sf_plot_opts_init(sf_plot_opts *o) { memset(o, 0, sizeof *o); }

/* Builds the figure and its one panel, with axes for columns xc and yc of t. */
static int start_chart(const sf_table *t, const sf_plot_opts *o, const char *default_title, const char *xname,
                       const char *xunit, const char *yname, const char *yunit, sf_chart **cp, sf_panel **pp) {
  char *title = o->title ? NULL : sf_asprintf("%s: %s", t->name && t->name[0] ? t->name : "runs", default_title);
  sf_chart *c = sf_chart_new(o->title ? o->title : title);
  free(title);
  if (!c) return sf_errcode();
  if (o->width > 0) c->width = o->width;
  if (o->height > 0) c->height = o->height;
  sf_panel *p = sf_chart_add_panel(c, "");
  int rc = p ? SF_OK : sf_errcode();
  if (!rc) rc = sf_plot_column_axis(&p->x, xname, xunit, 1);
  if (!rc) rc = sf_plot_column_axis(&p->y, yname, yunit, !o->linear_y);
  if (rc) {
    sf_chart_free(c);
    return rc;
  }
  *cp = c;
  *pp = p;
  return SF_OK;
}

/* Whether values v[0..n) (finite ones) are all positive and span more than a factor of 20: a
 * colour bar for them reads better in log scale. */
static int wants_log(const double *v, size_t n) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(v[i])) continue;
    if (v[i] <= 0) return 0;
    if (v[i] < lo) lo = v[i];
    if (v[i] > hi) hi = v[i];
  }
  return hi > 20 * lo;
}

/* Error bars y - sigma .. y + sigma of the k points (x, y) of s, sigma[i] their standard
 * deviations (one not finite or not positive: no bar). */
static int add_bars(sf_series *s, const double *y, const double *sigma, size_t k) {
  double *lo = malloc((k ? k : 1) * sizeof *lo), *hi = malloc((k ? k : 1) * sizeof *hi);
  int rc = lo && hi ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
  for (size_t i = 0; i < k && !rc; i++) {
    int ok = isfinite(sigma[i]) && sigma[i] > 0;
    lo[i] = ok ? y[i] - sigma[i] : NAN;
    hi[i] = ok ? y[i] + sigma[i] : NAN;
  }
  if (!rc) rc = sf_series_error_bars(s, lo, hi);
  free(lo);
  free(hi);
  return rc;
}

/* Adds one points series per distinct family among rows[0..n) (in order of first appearance),
 * each a colour and a legend entry; with sv (per-row standard deviations of y), error bars. */
static int points_by_family(sf_panel *p, const sf_table *t, const size_t *rows, size_t n, const double *xv,
                            const double *yv, const double *sv) {
  double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
  double *sd = malloc((n ? n : 1) * sizeof *sd);
  unsigned char *done = calloc(n ? n : 1, 1);
  int rc = SF_OK;
  if (!x || !y || !sd || !done) rc = sf_fail(SF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n && !rc; i++) {
    if (done[i]) continue;
    const char *fam = t->family[rows[i]];
    size_t k = 0;
    for (size_t j = i; j < n; j++) {
      if (done[j] || strcmp(t->family[rows[j]], fam) != 0) continue;
      done[j] = 1;
      x[k] = xv[rows[j]];
      y[k] = yv[rows[j]];
      sd[k] = sv ? sv[rows[j]] : NAN;
      k++;
    }
    sf_series *s = sf_panel_add_points(p, fam[0] ? fam : "(no family)", k, x, y);
    if (!s) rc = sf_errcode();
    else if (sv) rc = add_bars(s, y, sd, k);
  }
  free(x);
  free(y);
  free(sd);
  free(done);
  return rc;
}

int sf_plot_scaling(const sf_table *t, const sf_plot_opts *o, sf_chart **out) {
  sf_plot_opts defaults;
  if (!o) {
    sf_plot_opts_init(&defaults);
    o = &defaults;
  }
  *out = NULL;
  const char *xname = o->x ? o->x : "C", *yname = o->y ? o->y : "loss";
  const char *cby = o->color_by ? o->color_by : "family";
  int xc = sf_plot_find_column(t, xname), yc = sf_plot_find_column(t, yname), zc = -1;
  if (xc < 0) return sf_plot_missing_column(t, xname, 0);
  if (yc < 0) return sf_plot_missing_column(t, yname, 0);
  int by_family = strcmp(cby, "family") == 0, by_none = strcmp(cby, "none") == 0;
  if (!by_family && !by_none && (zc = sf_plot_find_column(t, cby)) < 0) {
    sf_plot_missing_column(t, cby, 0);
    return sf_fail_context("cannot colour by '%s' (not 'family', 'none' or a column): ", cby);
  }
  int sc = -1;
  if (o->sigma && (sc = sf_plot_find_column(t, o->sigma)) < 0) {
    sf_plot_missing_column(t, o->sigma, 0);
    return sf_fail_context("cannot draw error bars from '%s': ", o->sigma);
  }
  const double *xv = t->cols[xc].v, *yv = t->cols[yc].v, *zv = zc >= 0 ? t->cols[zc].v : NULL;
  const double *sv = sc >= 0 ? t->cols[sc].v : NULL;
  xname = t->cols[xc].name; /* the columns' own names on the axes (--x c is "Training compute C") */
  yname = t->cols[yc].name;
  if (zc >= 0) cby = t->cols[zc].name;

  sf_chart *c = NULL;
  sf_panel *p = NULL;
  char what[160];
  snprintf(what, sizeof what, "%s against %s", yname, xname);
  int rc = start_chart(t, o, what, xname, t->cols[xc].unit, yname, t->cols[yc].unit, &c, &p);
  if (rc) return rc;

  /* the rows that can be drawn */
  size_t *rows = malloc((t->nrows ? t->nrows : 1) * sizeof *rows), n = 0;
  if (!rows) {
    sf_chart_free(c);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  for (size_t r = 0; r < t->nrows; r++) {
    if (!sf_plot_row_ok(p, xv[r], yv[r]) || (zv && !isfinite(zv[r]))) continue;
    rows[n++] = r;
  }
  {
    unsigned char *drawn = calloc(t->nrows + 1, 1);
    if (!drawn) rc = sf_fail(SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && drawn; i++) drawn[rows[i]] = 1;
    if (!rc) rc = sf_chart_left_out(c, t, drawn);
    free(drawn);
    if (rc) goto fail;
  }
  if (n == 0) {
    rc = sf_fail(SF_EINPUT, "no run in table '%s' has both '%s' and '%s'%s%s%s", t->name ? t->name : "", xname, yname,
                 p->x.log && p->y.log ? " (positive, for log axes)" : p->x.log || p->y.log ? " (" : "",
                 p->x.log && p->y.log ? "" : p->x.log ? xname : p->y.log ? yname : "",
                 p->x.log != p->y.log ? " positive, for its log axis)" : "");
    goto fail;
  }

  if (by_family) {
    rc = points_by_family(p, t, rows, n, xv, yv, sv);
  } else {
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *z = malloc(n * sizeof *z);
    double *sd = malloc(n * sizeof *sd);
    if (!x || !y || !z || !sd) rc = sf_fail(SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
      x[i] = xv[rows[i]];
      y[i] = yv[rows[i]];
      if (z) z[i] = zv ? zv[rows[i]] : 0;
      sd[i] = sv ? sv[rows[i]] : NAN;
    }
    sf_series *s = rc ? NULL : sf_panel_add_points(p, "", n, x, y);
    if (!rc && !s) rc = sf_errcode();
    if (!rc && sv) rc = add_bars(s, y, sd, n);
    free(sd);
    if (!rc && zv) {
      sf_axis tmp = {NULL, NULL, 0, NAN, NAN};
      int lg = wants_log(z, n);
      rc = sf_plot_column_axis(&tmp, t->cols[zc].name, t->cols[zc].unit, lg);
      if (!rc) rc = sf_series_color_by(p, s, z, tmp.label, tmp.unit, lg);
      free(tmp.label);
      free(tmp.unit);
    }
    free(x);
    free(y);
    free(z);
  }
  if (rc) goto fail;

  /* title: "table: Loss against training compute C" */
  if (!o->title) {
    char *tt = sf_asprintf("%s: %s against %s", t->name && t->name[0] ? t->name : "runs", p->y.label, p->x.label);
    if (!tt) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto fail;
    }
    /* "against Training compute" reads "against training compute"; "MMLU" stays */
    char *x = tt + strlen(tt) - strlen(p->x.label);
    if (x[0] >= 'A' && x[0] <= 'Z' && x[1] >= 'a' && x[1] <= 'z') x[0] = (char)(x[0] - 'A' + 'a');
    free(c->title);
    c->title = tt;
  }

  /* subtitle: how many runs, from how many families, and what was left out */
  size_t nfam = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    while (j < i && strcmp(t->family[rows[j]], t->family[rows[i]]) != 0) j++;
    if (j == i) nfam++;
  }
  char sub[200];
  int k = snprintf(sub, sizeof sub, "%zu run%s", n, n == 1 ? "" : "s");
  if (nfam > 1) k += snprintf(sub + k, sizeof sub - (size_t)k, " in %zu families", nfam);
  if (sv) k += snprintf(sub + k, sizeof sub - (size_t)k, ", error bars ±1 sd (%s)", t->cols[sc].name);
  if (c->skipped) {
    /* "not positive" only for the columns on a log axis: with --linear-y a negative y is drawn */
    const char *must = p->x.log && p->y.log ? "" : p->x.log ? xname : p->y.log ? yname : NULL;
    snprintf(sub + k, sizeof sub - (size_t)k, "; %zu left out (%s, %s%s%s missing%s%s%s)", c->skipped, xname, yname,
             zv ? " or " : "", zv ? cby : "", !must ? "" : *must ? ", or " : " or not positive", must && *must ? must : "",
             must && *must ? " not positive" : "");
  }
  rc = sf_chart_set_subtitle(c, sub);
  if (rc) goto fail;
  free(rows);
  *out = c;
  return SF_OK;
fail:
  free(rows);
  sf_chart_free(c);
  return rc;
}
