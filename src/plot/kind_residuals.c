/* kind_residuals.c: the `residuals` chart, a fit's residuals in its fitted space (log f - log y,
 * or f - y) against compute or the fitted value, one points series per family, the held-out runs
 * ringed, and a zero line. The residuals are sf_fit_residuals' own, so the chart shows exactly
 * what the fit minimised: for a weighted fit (--sigma) that is each residual in units of its own
 * standard deviation (sigma, or sigma/y in log space), drawn so, with a band at +-1 and chi^2/dof.
 * The y axis is the fitted and held-out runs': runs a fit's --where left out may lie far off the
 * law (that is often why they were left out), and sized to them the axis squeezed the residuals a
 * reader came to read into a line; those off it are drawn as a triangle at its edge, their values
 * in the subtitle. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

int sf_plot_residuals(const sf_table *t, const sf_fitfile *ff, const sf_plot_opts *o, sf_chart **out) {
  sf_plot_opts defaults;
  if (!o) {
    sf_plot_opts_init(&defaults);
    o = &defaults;
  }
  *out = NULL;
  const char *xname = o->x ? o->x : "C", *yname = o->y ? o->y : ff->output;
  int against_fitted = strcmp(xname, "fitted") == 0;
  int cols[SF_LAW_MAXVAR], yc = sf_plot_find_column(t, yname), xc = against_fitted ? -1 : sf_plot_find_column(t, xname);
  if (yc < 0) return sf_plot_missing_column(t, yname, 0);
  if (!against_fitted && xc < 0) return sf_plot_missing_column(t, xname, 0);
  for (size_t v = 0; v < ff->nvar; v++)
    if ((cols[v] = sf_plot_find_column(t, ff->vars[v])) < 0) return sf_plot_missing_column(t, ff->vars[v], 0);
  /* a weighted fit: residuals in units of the standard deviations it weighed them by */
  int sc = -1;
  if (ff->sigma && (sc = sf_plot_find_column(t, ff->sigma)) < 0) {
    sf_plot_missing_column(t, ff->sigma, 0);
    return sf_fail_context("the fit was weighted by '%s' (fit --sigma): ", ff->sigma);
  }

  size_t nr = t->nrows, n = 0;
  double *xs[SF_LAW_MAXVAR] = {0}, *lxs[SF_LAW_MAXVAR] = {0}, *ys = malloc((nr + 1) * sizeof *ys), *r = malloc((nr + 1) * sizeof *r);
  double *px = malloc((nr + 1) * sizeof *px), *py = malloc((nr + 1) * sizeof *py);
  size_t *row = malloc((nr + 1) * sizeof *row);
  unsigned char *done = calloc(nr + 1, 1);
  sf_chart *c = NULL;
  int rc = SF_OK;
  for (size_t v = 0; v < ff->nvar; v++)
    if (!(xs[v] = malloc((nr + 1) * sizeof(double))) || !(lxs[v] = malloc((nr + 1) * sizeof(double)))) rc = SF_ENOMEM;
  if (rc || !ys || !r || !px || !py || !row || !done) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < nr; i++) {
    int ok = isfinite(t->cols[yc].v[i]) && (o->linear_space || t->cols[yc].v[i] > 0);
    for (size_t v = 0; v < ff->nvar; v++) ok = ok && t->cols[cols[v]].v[i] > 0;
    if (!against_fitted) ok = ok && t->cols[xc].v[i] > 0;
    if (sc >= 0) ok = ok && isfinite(t->cols[sc].v[i]) && t->cols[sc].v[i] > 0;
    if (!ok) continue;
    for (size_t v = 0; v < ff->nvar; v++) xs[v][n] = t->cols[cols[v]].v[i], lxs[v][n] = log(xs[v][n]);
    ys[n] = t->cols[yc].v[i];
    row[n++] = i;
  }
  if (n == 0) {
    rc = sf_fail(SF_EINPUT, "no run in table '%s' has the law's inputs and '%s'", t->name ? t->name : "", yname);
    goto done;
  }
  sf_law_data d = {.n = n, .nvar = ff->nvar};
  for (size_t v = 0; v < ff->nvar; v++) d.x[v] = xs[v], d.lx[v] = lxs[v];
  if ((rc = sf_fit_residuals(ff->law, &d, ys, o->linear_space ? SF_SPACE_LINEAR : SF_SPACE_LOG, ff->params, r)))
    goto done;
  /* the x of a residual against the fitted value is that value: taken before r is scaled */
  double *fitted = malloc(n * sizeof *fitted);
  if (!fitted) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    fitted[i] = o->linear_space ? ys[i] + r[i] : ys[i] * exp(r[i]);
    /* the fit's scale of each residual (sf_fit.h): sigma, or sigma/y for log f - log y */
    if (sc >= 0) r[i] /= o->linear_space ? t->cols[sc].v[row[i]] : t->cols[sc].v[row[i]] / ys[i];
  }

  char title[200];
  snprintf(title, sizeof title, "Residuals of the %s fit", sf_law_label(ff->law));
  if (!(c = sf_chart_new(o->title ? o->title : title))) goto fail_errcode;
  if (o->width > 0) c->width = o->width;
  if (o->height > 0) c->height = o->height;
  sf_panel *p = sf_chart_add_panel(c, "");
  if (!p) goto fail_errcode;
  char fl[160];
  snprintf(fl, sizeof fl, "Fitted %s", yname);
  if (against_fitted) rc = sf_axis_set(&p->x, fl, t->cols[yc].unit ? t->cols[yc].unit : "", !o->linear_space);
  else rc = sf_plot_column_axis(&p->x, xname, t->cols[xc].unit, 1);
  if (!rc) {
    const char *yl = sc >= 0 ? (o->linear_space ? "Residual (f - y)/σ" : "Residual (log f - log y)/(σ/y)")
                     : o->linear_space ? "Residual f - y"
                                       : "Residual log f - log y";
    rc = sf_axis_set(&p->y, yl, "", 0);
  }
  if (rc) {
    free(fitted);
    goto done;
  }
  {
    unsigned char *drawn = calloc(nr + 1, 1);
    if (!drawn) rc = sf_fail(SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && drawn; i++) drawn[row[i]] = 1;
    if (!rc) rc = sf_chart_left_out(c, t, drawn);
    free(drawn);
    if (rc) {
      free(fitted);
      goto done;
    }
  }
  /* x of each residual */
  double *xr = malloc(n * sizeof *xr);
  if (!xr) {
    free(fitted);
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) xr[i] = against_fitted ? fitted[i] : t->cols[xc].v[row[i]];
  free(fitted);
  double xlo = INFINITY, xhi = -INFINITY;
  size_t nh = 0;
  for (size_t i = 0; i < n; i++) {
    xlo = xr[i] < xlo ? xr[i] : xlo;
    xhi = xr[i] > xhi ? xr[i] : xhi;
  }
  /* the residuals of the runs the fit saw (with the zero line and the +-1 band), and the levels
   * beyond which an excluded run is off the axis: 5% of their span past either end */
  double rlo = sc >= 0 ? -1 : 0, rhi = sc >= 0 ? 1 : 0;
  for (size_t i = 0; i < n; i++)
    if (!(o->heldout && o->heldout[row[i]] == 2)) rlo = r[i] < rlo ? r[i] : rlo, rhi = r[i] > rhi ? r[i] : rhi;
  double cut_lo = rlo - 0.05 * (rhi - rlo), cut_hi = rhi + 0.05 * (rhi - rlo);
  if (!(rhi > rlo)) cut_lo = -INFINITY, cut_hi = INFINITY; /* nothing to size the axis to */
#define OFF_AXIS(i) (o->heldout && o->heldout[row[i]] == 2 && (r[i] < cut_lo || r[i] > cut_hi))
  sf_series *s;
  double zx[2] = {xlo, xhi}, zy[2] = {0, 0};
  if (sc >= 0) {
    /* one standard deviation either side: about two thirds of the runs inside if the sigmas are right */
    double m1[2] = {-1, -1}, p1[2] = {1, 1};
    if (!(s = sf_panel_add_band(p, "±1 sd", 2, zx, m1, p1))) goto fail_xr;
    s->color = 5; /* teal, as the scaling chart's band */
  }
  if (!(s = sf_panel_add_line(p, "", 2, zx, zy, 1))) goto fail_xr;
  s->color = 6;
  s->size = 0.6;
  for (size_t i = 0; i < n; i++) {
    if (done[i] || OFF_AXIS(i)) continue;
    const char *fam = t->family[row[i]];
    size_t k = 0;
    for (size_t j = i; j < n; j++) {
      if (done[j] || OFF_AXIS(j) || strcmp(t->family[row[j]], fam) != 0) continue;
      done[j] = 1;
      px[k] = xr[j];
      py[k++] = r[j];
    }
    if (!sf_panel_add_points(p, fam[0] ? fam : "runs", k, px, py)) goto fail_xr;
  }
  double ss = 0, hss = 0;
  size_t nfit = 0;
  for (size_t i = 0; i < n; i++) {
    if (o->heldout && o->heldout[row[i]] == 2) continue;
    if (o->heldout && o->heldout[row[i]] == 1) {
      px[nh] = xr[i];
      py[nh++] = r[i];
      hss += r[i] * r[i];
    } else {
      ss += r[i] * r[i];
      nfit++;
    }
  }
  if (nh) {
    char label[80];
    snprintf(label, sizeof label, "held out (%zu)", nh);
    if (!(s = sf_panel_add_points(p, label, nh, px, py))) goto fail_xr;
    s->color = 6;
    s->size = 2.0;
  }
  size_t nx = 0;
  for (size_t i = 0; o->heldout && i < n; i++)
    if (o->heldout[row[i]] == 2 && !OFF_AXIS(i)) px[nx] = xr[i], py[nx++] = r[i];
  if (nx) {
    char label[80];
    snprintf(label, sizeof label, "excluded by --where (%zu)", nx);
    if (!(s = sf_panel_add_points(p, label, nx, px, py))) goto fail_xr;
    s->color = 6 + SF_PALETTE_SIZE; /* black open square */
    s->size = 2.0;
  }
  /* excluded runs off the axis: a black triangle at the edge each lies beyond, pointing its way */
  double off_lo = INFINITY, off_hi = -INFINITY;
  size_t noff = 0;
  for (int side = 0; side < 2; side++) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      if (!OFF_AXIS(i) || (side == 0) != (r[i] < cut_lo)) continue;
      px[m] = xr[i];
      py[m++] = side == 0 ? cut_lo : cut_hi;
      off_lo = r[i] < off_lo ? r[i] : off_lo;
      off_hi = r[i] > off_hi ? r[i] : off_hi;
    }
    if (!m) continue;
    char label[80];
    snprintf(label, sizeof label, "excluded, %s the axis (%zu)", side == 0 ? "below" : "above", m);
    if (!(s = sf_panel_add_points(p, label, m, px, py))) goto fail_xr;
    s->color = sf_color_with_shape(6, side == 0 ? 3 : 2); /* black triangle down, up */
    s->size = 1.3;
    noff += m;
  }
#undef OFF_AXIS
  char sub[300];
  int k;
  if (sc >= 0) {
    /* chi^2 over n - k degrees of freedom, k the parameters the fit was free to move */
    size_t nfree = 0;
    for (size_t j = 0; j < ff->np; j++) nfree += !ff->fixed[j];
    double dof = nfit > nfree ? (double)(nfit - nfree) : NAN;
    /* at the precision `scalefit fit` prints them ("chi-square %.6g / dof %g = %.4g", "RMSE %.4g"),
     * so the chart and the fit's text beside it in a paper read alike (%.3g was a digit short) */
    k = snprintf(sub, sizeof sub, "%zu runs weighted by %s; χ²/dof %.4g (%.6g / %.0f) on the fitted runs", n,
                 ff->sigma, ss / dof, ss, dof);
    if (nh) k += snprintf(sub + k, sizeof sub - (size_t)k, ", RMS %.4g sd on the %zu held out", sqrt(hss / (double)nh), nh);
  } else {
    k = snprintf(sub, sizeof sub, "%zu runs, RMSE %.4g on the fitted runs", n, nfit ? sqrt(ss / (double)nfit) : NAN);
    if (nh) k += snprintf(sub + k, sizeof sub - (size_t)k, ", %.4g on the %zu held out", sqrt(hss / (double)nh), nh);
  }
  if (noff == 1) k += snprintf(sub + k, sizeof sub - (size_t)k, "; 1 excluded by --where off the axis (residual %.3g)", off_lo);
  else if (noff)
    k += snprintf(sub + k, sizeof sub - (size_t)k, "; %zu excluded by --where off the axis (residuals %.3g to %.3g)", noff, off_lo,
                  off_hi);
  if (c->skipped)
    snprintf(sub + k, sizeof sub - (size_t)k, "; %zu left out (values missing%s)", c->skipped,
             sc >= 0 ? ", or no positive sd" : "");
  free(xr);
  rc = sf_chart_set_subtitle(c, sub);
  goto done;
fail_xr:
  free(xr);
fail_errcode:
  rc = sf_errcode();
done:
  for (size_t v = 0; v < SF_LAW_MAXVAR; v++) free(xs[v]), free(lxs[v]);
  free(ys);
  free(r);
  free(px);
  free(py);
  free(row);
  free(done);
  if (rc) sf_chart_free(c);
  else *out = c;
  return rc;
}
