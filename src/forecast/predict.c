/* predict.c: a fitted law at new points, and bands for anything derived from its parameters.
 *
 * The band machinery is shared by predict, optimal and target: a derived quantity is a function
 * of the natural parameters, so its band comes either from re-evaluating it on every bootstrap
 * refit (percentiles; this carries the parameters' joint, non-Gaussian spread) or, when the fit
 * has no bootstrap, from the delta method with the fit's covariance.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/band.h"

int sf_forecast_eval(const sf_law *law, const double *params, const double *x, double *f, double *grad) {
  double theta[SF_LAW_MAXPAR], lx[SF_LAW_MAXVAR], J[SF_LAW_MAXPAR];
  for (size_t j = 0; j < law->np; j++) {
    theta[j] = sf_param_internal_closed(&law->par[j], params[j]);
    if (isnan(theta[j]))
      return sf_fail(SF_ENUMERIC, "parameter '%s' = %g is outside the range law '%s' allows", law->par[j].name,
                     params[j], sf_law_label(law));
  }
  sf_law_data d = {.n = 1, .nvar = law->nvar};
  for (size_t k = 0; k < law->nvar; k++) {
    lx[k] = x[k] > 0 ? log(x[k]) : NAN;
    if (law->x_positive && !(x[k] > 0))
      return sf_fail(SF_EUSAGE, "law '%s' needs %s > 0, got %g", sf_law_label(law), law->vars[k], x[k]);
    d.x[k] = &x[k];
    d.lx[k] = &lx[k];
  }
  char why[256];
  if (law->domain && law->domain(law, x, why, sizeof why))
    return sf_fail(SF_EUSAGE, "law '%s' %s", sf_law_label(law), why);
  double stackbuf[256], *scratch = stackbuf;
  if (law->nscratch > sizeof stackbuf / sizeof stackbuf[0]) {
    scratch = malloc(law->nscratch * sizeof *scratch);
    if (!scratch) return sf_fail(SF_ENOMEM, "out of memory");
  }
  int bad = law->eval(law, &d, theta, f, grad ? J : NULL, scratch);
  if (scratch != stackbuf) free(scratch);
  if (bad || !isfinite(*f)) {
    char at[160] = "";
    for (size_t k = 0, used = 0; k < law->nvar && used < sizeof at; k++)
      used += (size_t)snprintf(at + used, sizeof at - used, "%s%s = %g", k ? ", " : "", law->vars[k], x[k]);
    return sf_fail(SF_ENUMERIC, "law '%s' is undefined at %s", sf_law_label(law), at);
  }
  if (grad)
    for (size_t j = 0; j < law->np; j++) {
      double dn = sf_param_dnatural(&law->par[j], theta[j]);
      grad[j] = dn != 0 ? J[j] / dn : NAN;
    }
  return SF_OK;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double sf_percentile_sorted(double *v, size_t n, double q) {
  if (!n) return NAN;
  qsort(v, n, sizeof *v, cmp_double);
  double h = q * (double)(n - 1);
  size_t i = (size_t)floor(h);
  if (i + 1 >= n) return v[n - 1];
  double w = h - (double)i;
  if (w == 0) return v[i];
  if (isinf(v[i]) || isinf(v[i + 1])) return w < 0.5 ? v[i] : v[i + 1];
  return v[i] + w * (v[i + 1] - v[i]);
}

#define BAND_MAXOUT 8

/* sd^2 = g' Cov g over the free parameters, g given per output (nout x np); output: the figures are
 * the law's own prediction (sf_band_delta_output), else derived figures (sf_band_delta). */
static void delta_band(const sf_fitfile *ff, const double *g, size_t nout, sf_band *out, int output) {
  const size_t np = ff->np;
  double z = gsl_cdf_ugaussian_Pinv(0.5 + ff->ci_level / 2);
  for (size_t o = 0; o < nout; o++) {
    double var = 0;
    for (size_t a = 0; a < np; a++)
      for (size_t b = 0; b < np; b++) {
        if (ff->fixed[a] || ff->fixed[b]) continue;
        double c = ff->cov[a * np + b], ga = g[o * np + a], gb = g[o * np + b];
        if (ga == 0 || gb == 0) continue; /* a parameter that does not matter adds nothing, even if its variance is NaN */
        var += ga * c * gb;
      }
    if (output) sf_band_delta_output(ff, &out[o], var, z);
    else sf_band_delta(&out[o], var, z);
  }
}

void sf_band_delta(sf_band *b, double var, double z) {
  double v = b->value;
  if (!(var >= 0) || !isfinite(v)) return;
  if (v > 0) {
    /* every figure banded here (a loss, N, D, tokens per parameter, a compute) is positive: the band
     * is taken on its logarithm, sd(log f) = sd(f) / f, so it never crosses zero and widens upwards
     * as a lognormal would; to first order it is the linear band */
    double s = z * sqrt(var) / v;
    b->lo = v * exp(-s);
    b->hi = v * exp(s);
  } else {
    b->lo = v - z * sqrt(var);
    b->hi = v + z * sqrt(var);
  }
  b->kind = SF_BAND_DELTA;
}

void sf_band_delta_output(const sf_fitfile *ff, sf_band *b, double var, double z) {
  double v = b->value;
  if (!ff->fraction || !(v > 0 && v < 1) || !(var >= 0)) {
    sf_band_delta(b, var, z);
    return;
  }
  /* d logit(v) = dv / (v (1 - v)) */
  double s = z * sqrt(var) / (v * (1 - v)), l = log(v / (1 - v));
  b->lo = 1 / (1 + exp(-(l - s)));
  b->hi = 1 / (1 + exp(-(l + s)));
  b->kind = SF_BAND_DELTA;
}

/* Bootstrap percentiles of fn over ff's samples, each output over the refits where it is a number:
 * a derived value may be undefined for every refit (N and D of a law of C alone) without taking the
 * other outputs' bands with it; an infinite value (a target never reached) stays in, as a bound. */
static int boot_band(const sf_fitfile *ff, sf_derived_fn fn, void *ctx, size_t nout, sf_band *out) {
  double *v = malloc(ff->K * nout * sizeof *v);
  if (!v) return sf_fail(SF_ENOMEM, "out of memory");
  size_t n[BAND_MAXOUT] = {0};
  double tmp[BAND_MAXOUT];
  for (size_t r = 0; r < ff->K; r++) {
    if (fn(ff->samples + r * ff->np, ctx, tmp) != SF_OK) continue;
    for (size_t o = 0; o < nout; o++)
      if (!isnan(tmp[o])) v[o * ff->K + n[o]++] = tmp[o];
  }
  double a = (1 - ff->ci_level) / 2;
  for (size_t o = 0; o < nout; o++) {
    out[o].n_ok = n[o];
    if (n[o] < 2) continue;
    out[o].lo = sf_percentile_sorted(v + o * ff->K, n[o], a);
    out[o].hi = sf_percentile_sorted(v + o * ff->K, n[o], 1 - a);
    out[o].kind = SF_BAND_BOOTSTRAP;
  }
  free(v);
  return SF_OK;
}

int sf_band_excludes_value(const sf_band *b) {
  if (b->kind != SF_BAND_BOOTSTRAP || !isfinite(b->value) || isnan(b->lo) || isnan(b->hi)) return 0;
  double slack = 1e-9 * fabs(b->value);
  return b->value < b->lo - slack || b->value > b->hi + slack;
}

void sf_band_excludes_warning(char *buf, size_t n, size_t count, const char *example) {
  snprintf(buf, n, "%zu band%s leave%s out %s own point estimate%s%s%s: the bootstrap refits land far from the fit, "
           "so the fit is not identified by these runs or the law does not describe them; do not trust these bands "
           "(more runs, a simpler law, or fixing a parameter may help)", count, count > 1 ? "s" : "",
           count > 1 ? "" : "s", count > 1 ? "their" : "its", example ? " (" : "", example ? example : "",
           example ? ")" : "");
}

int sf_forecast_band(const sf_fitfile *ff, sf_derived_fn fn, void *ctx, size_t nout, sf_band *out) {
  if (nout > BAND_MAXOUT) return sf_fail(SF_EINTERNAL, "too many derived values (%zu)", nout);
  double val[BAND_MAXOUT];
  int rc = fn(ff->params, ctx, val);
  if (rc != SF_OK) return rc;
  for (size_t o = 0; o < nout; o++) out[o] = (sf_band){val[o], NAN, NAN, SF_BAND_NONE, 0};
  if (ff->K >= 2) return boot_band(ff, fn, ctx, nout, out);
  if (!ff->has_cov) return SF_OK;
  /* central differences, relative steps: every catalogue parameter keeps its sign under them */
  const size_t np = ff->np;
  double g[BAND_MAXOUT * SF_LAW_MAXPAR] = {0}, p[SF_LAW_MAXPAR], up[BAND_MAXOUT], dn[BAND_MAXOUT];
  memcpy(p, ff->params, np * sizeof *p);
  for (size_t j = 0; j < np; j++) {
    if (ff->fixed[j]) continue;
    double h = 1e-5 * (fabs(p[j]) > 0 ? fabs(p[j]) : 1.0);
    p[j] = ff->params[j] + h;
    int ru = fn(p, ctx, up);
    p[j] = ff->params[j] - h;
    int rd = fn(p, ctx, dn);
    p[j] = ff->params[j];
    for (size_t o = 0; o < nout; o++)
      g[o * np + j] = (ru == SF_OK && rd == SF_OK) ? (up[o] - dn[o]) / (2 * h) : NAN;
  }
  delta_band(ff, g, nout, out, 0);
  return SF_OK;
}

typedef struct eval_ctx {
  const sf_law *law;
  const double *x;
} eval_ctx;

static int eval_fn(const double *params, void *ctx, double *out) {
  const eval_ctx *e = ctx;
  return sf_forecast_eval(e->law, params, e->x, out, NULL);
}

int sf_forecast_predict(const sf_fitfile *ff, const double *x, sf_band *out) {
  eval_ctx e = {ff->law, x};
  if (ff->K >= 2 || !ff->has_cov) return sf_forecast_band(ff, eval_fn, &e, 1, out);
  double grad[SF_LAW_MAXPAR];
  int rc = sf_forecast_eval(ff->law, ff->params, x, &out->value, grad);
  if (rc != SF_OK) return rc;
  out->lo = out->hi = NAN;
  out->kind = SF_BAND_NONE;
  out->n_ok = 0;
  delta_band(ff, grad, 1, out, 1);
  return SF_OK;
}
