/* next.c: which run to train next so that a forecast's band narrows most (`scalefit next`).
 *
 * The forecast stage's delta-method band at a target point comes from the fit's covariance S. A
 * new run adds one row to the fit's residual Jacobian, so S's inverse gains g g' / s2 and the
 * target's variance falls by (h' S g)^2 / (s2 + g' S g) (Sherman-Morrison): no refit, one
 * gradient per candidate. The candidates are a grid over the run's budget (and, for laws of N and
 * D, its split along C = 6ND) near the data; the picks are greedy, each made with S updated by
 * the ones before it. Free of I/O, like the rest of the stage.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/band.h"
#include "util/util.h"

#define NEXT_MAXCAND 4096

void sf_next_opts_default(sf_next_opts *o) {
  memset(o, 0, sizeof *o);
  o->max_compute = NAN;
  o->min_compute = NAN;
  o->n_budgets = 13;
  o->n_splits = 25;
  o->beyond = 1;
  o->run_sd = NAN;
  o->count = 1;
  o->rank = SF_NEXT_PER_FLOP;
}

double sf_next_update(double *cov, size_t np, const double *g, const double *h, double s2) {
  double Sg[SF_LAW_MAXPAR], gSg = 0;
  for (size_t a = 0; a < np; a++) {
    Sg[a] = 0;
    for (size_t b = 0; b < np; b++) Sg[a] += cov[a * np + b] * g[b];
    gSg += g[a] * Sg[a];
  }
  double den = s2 + gSg;
  for (size_t a = 0; a < np; a++)
    for (size_t b = 0; b < np; b++) cov[a * np + b] -= Sg[a] * Sg[b] / den;
  if (!h) return NAN;
  double v = 0;
  for (size_t a = 0; a < np; a++)
    for (size_t b = 0; b < np; b++) v += h[a] * cov[a * np + b] * h[b];
  return v;
}

/* h' S h and h' S g, over the parameters */
static double quad(const double *S, size_t np, const double *a, const double *b) {
  double v = 0;
  for (size_t i = 0; i < np; i++)
    for (size_t j = 0; j < np; j++) v += a[i] * S[i * np + j] * b[j];
  return v;
}

/* A candidate run: where, the gradient of its residual, and its residual variance. */
typedef struct cand {
  double x[SF_LAW_MAXVAR], N, D, C, y, s2;
  double g[SF_LAW_MAXPAR];
} cand;

/* The law's value and free-parameter gradient at x (fixed parameters' entries 0: they do not move). */
static int grad_at(const sf_fitfile *ff, const double *x, double *f, double *g) {
  int rc = sf_forecast_eval(ff->law, ff->params, x, f, g);
  if (rc != SF_OK) return rc;
  for (size_t j = 0; j < ff->np; j++) {
    if (ff->fixed[j]) g[j] = 0;
    if (!isfinite(g[j])) return sf_fail(SF_ENUMERIC, "the gradient of law '%s' w.r.t. '%s' is not finite", sf_law_label(ff->law),
                                        ff->law->par[j].name);
  }
  return SF_OK;
}

/* Fills c from x; 0 when the law cannot take the run (undefined there, or not positive in log space). */
static int make_cand(const sf_fitfile *ff, const sf_next_opts *o, const double *x, cand *c) {
  memcpy(c->x, x, ff->nvar * sizeof *x);
  if (grad_at(ff, x, &c->y, c->g) != SF_OK) {
    sf_error_clear();
    return 0;
  }
  double scale = 1; /* the run's sd in the residual space, in units of run_sd */
  if (ff->space == SF_SPACE_LOG) {
    if (!(c->y > 0)) return 0;
    for (size_t j = 0; j < ff->np; j++) c->g[j] /= c->y; /* d log f = df / f */
    scale = 1 / c->y;
  }
  if (isnan(o->run_sd)) c->s2 = ff->resid_var; /* unweighted: the fit's estimate, the same for every run */
  else if (ff->sigma) c->s2 = ff->resid_var * (o->run_sd * scale) * (o->run_sd * scale);
  else c->s2 = (o->run_sd * scale) * (o->run_sd * scale);
  return c->s2 > 0 && isfinite(c->s2);
}

static double band_width(const sf_fitfile *ff, double value, double var, double z, sf_band *b) {
  *b = (sf_band){value, NAN, NAN, SF_BAND_NONE, 0};
  sf_band_delta_output(ff, b, var < 0 ? 0 : var, z);
  return b->hi - b->lo;
}

static int range_of(const sf_fitfile *ff, const char *name, double *lo, double *hi) {
  if (sf_fitfile_range(ff, name, lo, hi) && *lo > 0) return 1;
  return 0;
}

int sf_next(const sf_fitfile *ff, const double *target, const sf_next_opts *o, sf_next_result *res) {
  memset(res, 0, sizeof *res);
  const size_t np = ff->np;
  int lawC = ff->nvar == 1 && ff->var_C == 0 && ff->alloc == SF_ALLOC_NONE, lawND = ff->alloc == SF_ALLOC_ND;
  if (!lawC && !lawND)
    return sf_fail(SF_EINPUT, "law '%s' predicts '%s' from %s: proposing runs needs a law of C, or of N and D (a run's "
                   "cost is its compute)", sf_law_label(ff->law), ff->output, ff->vars[0]);
  if (!ff->has_cov)
    return sf_fail(SF_EINPUT, "'%s' has no covariance: the update needs one (save the fit with 'scalefit fit -o'; a fit "
                   "whose Jacobian was singular saves none)", ff->origin);
  /* a working covariance over the free parameters; a free parameter's NaN entry means the fit
   * could not estimate it, and no run's effect on the band can be computed without it */
  double S[SF_LAW_MAXPAR * SF_LAW_MAXPAR];
  for (size_t a = 0; a < np; a++)
    for (size_t b = 0; b < np; b++) {
      double v = ff->cov[a * np + b];
      if (ff->fixed[a] || ff->fixed[b]) v = 0;
      else if (!isfinite(v))
        return sf_fail(SF_EINPUT, "'%s': the covariance of '%s' and '%s' is not a number (the fit could not estimate "
                       "it), so no run's effect on the band can be computed", ff->origin, ff->law->par[a].name,
                       ff->law->par[b].name);
      S[a * np + b] = v;
    }
  if (!(o->max_compute > 0) || !isfinite(o->max_compute))
    return sf_fail(SF_EUSAGE, "the largest budget of a run must be a positive number of FLOP, got %g", o->max_compute);
  if (!isnan(o->run_sd) && !(o->run_sd > 0 && isfinite(o->run_sd)))
    return sf_fail(SF_EUSAGE, "the new run's standard deviation must be positive, got %g", o->run_sd);
  if (ff->sigma && isnan(o->run_sd))
    return sf_fail(SF_EUSAGE, "'%s' is a fit weighted by '%s': give the new run's %s (its standard deviation of %s), "
                   "since runs differ in it", ff->origin, ff->sigma, ff->sigma, ff->output);
  if (ff->sigma && !(ff->resid_var > 0))
    return sf_fail(SF_EINPUT, "'%s' is a fit weighted by '%s' but gives no chi2 and dof, by which the new run's %s is "
                   "scaled as every run's", ff->origin, ff->sigma, ff->sigma);
  if (isnan(o->run_sd) && !(ff->resid_var > 0))
    return sf_fail(SF_EINPUT, "'%s' does not give its residual variance (rss, n_points and n_free): give the new "
                   "run's standard deviation of %s", ff->origin, ff->output);
  if (o->count < 1 || o->count > SF_NEXT_MAXPICK)
    return sf_fail(SF_EUSAGE, "runs to propose must be 1 to %d, got %zu", SF_NEXT_MAXPICK, o->count);
  if (o->n_budgets < 1 || o->n_splits < 1 || o->n_budgets * o->n_splits > NEXT_MAXCAND)
    return sf_fail(SF_EUSAGE, "budgets x splits must be 1 to %d, got %zu x %zu", NEXT_MAXCAND, o->n_budgets, o->n_splits);
  if (!(o->beyond >= 0) || !isfinite(o->beyond))
    return sf_fail(SF_EUSAGE, "decades beyond the data must be >= 0, got %g", o->beyond);

  /* the target, beyond the data: inside it the forecast is an interpolation, which more runs of
   * the same kind narrow anywhere and which is not what this is for */
  double beyond;
  if (lawND) beyond = sf_fitfile_decades_beyond_ndc(ff, target[ff->var_N], target[ff->var_D],
                                                     6 * target[ff->var_N] * target[ff->var_D]);
  else beyond = sf_fitfile_decades_beyond(ff, (const char *const *)ff->vars, target, 1);
  if (isnan(beyond))
    return sf_fail(SF_EINPUT, "'%s' gives no data range for %s: the candidates are placed around the data", ff->origin,
                   lawND ? "N and D" : "C");
  if (!(beyond > 0)) {
    char at[160] = "";
    for (size_t k = 0, used = 0; k < ff->nvar && used < sizeof at; k++)
      used += (size_t)snprintf(at + used, sizeof at - used, "%s%s = %g", k ? ", " : "", ff->vars[k], target[k]);
    return sf_fail(SF_EUSAGE, "the target (%s) lies inside the fit's data: give a point beyond it, where the "
                   "forecast is an extrapolation", at);
  }
  double ht[SF_LAW_MAXPAR];
  int rc = grad_at(ff, target, &res->target.value, ht);
  if (rc != SF_OK) return rc;
  double z = gsl_cdf_ugaussian_Pinv(0.5 + ff->ci_level / 2);
  res->target_var = quad(S, np, ht, ht);
  if (!(res->target_var >= 0))
    return sf_fail(SF_EINPUT, "'%s': the covariance gives the target a negative variance (%g): it is not a covariance",
                   ff->origin, res->target_var);
  band_width(ff, res->target.value, res->target_var, z, &res->target);

  /* the budgets: from the smallest run (a run below the data's smallest budget is cheap but
   * extrapolates the law downwards, where the fit says least) to the largest one allowed */
  double Clo = o->min_compute, Nlo = NAN, Nhi = NAN, Dlo = NAN, Dhi = NAN, lo, hi;
  if (lawND && !(range_of(ff, ff->vars[ff->var_N], &Nlo, &Nhi) && range_of(ff, ff->vars[ff->var_D], &Dlo, &Dhi)))
    return sf_fail(SF_EINPUT, "'%s' gives no data range for %s and %s: the candidates are placed around the data",
                   ff->origin, ff->vars[ff->var_N], ff->vars[ff->var_D]);
  if (isnan(Clo)) {
    if (range_of(ff, lawC ? ff->vars[0] : "C", &lo, &hi)) Clo = lo;
    else if (lawND) Clo = 6 * Nlo * Dlo;
    else return sf_fail(SF_EINPUT, "'%s' gives no data range for %s", ff->origin, ff->vars[0]);
  } else if (!(Clo > 0) || !isfinite(Clo)) {
    return sf_fail(SF_EUSAGE, "the smallest budget of a run must be a positive number of FLOP, got %g", Clo);
  }
  if (o->max_compute < Clo)
    return sf_fail(SF_EUSAGE, "the largest budget %g FLOP is below the smallest, %g FLOP (%s): no run to propose",
                   o->max_compute, Clo, isnan(o->min_compute) ? "the fit's smallest run" : "as given");
  res->min_compute = Clo;
  size_t nb = o->max_compute > Clo ? o->n_budgets : 1;
  double *Cs = malloc(nb * sizeof *Cs);
  cand *cs = malloc(nb * o->n_splits * sizeof *cs);
  if (!Cs || !cs) {
    free(Cs);
    free(cs);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  if (nb == 1) Cs[0] = o->max_compute;
  else sf_logspace(Clo, o->max_compute, nb, Cs);
  size_t nc = 0;
  double w = pow(10, o->beyond);
  for (size_t i = 0; i < nb; i++) {
    double x[SF_LAW_MAXVAR];
    if (lawC) {
      x[0] = Cs[i];
      if (make_cand(ff, o, x, &cs[nc])) {
        cs[nc].N = cs[nc].D = NAN;
        cs[nc].C = Cs[i];
        nc++;
      }
      continue;
    }
    /* N within the widened range of N, and D = C/(6N) within that of D */
    double a = fmax(Nlo / w, Cs[i] / (6 * Dhi * w)), b = fmin(Nhi * w, Cs[i] * w / (6 * Dlo));
    if (!(a <= b)) continue;
    size_t ns = b > a ? o->n_splits : 1;
    double Ns[NEXT_MAXCAND];
    if (ns == 1) Ns[0] = a;
    else sf_logspace(a, b, ns, Ns);
    for (size_t k = 0; k < ns; k++) {
      x[ff->var_N] = Ns[k];
      x[ff->var_D] = Cs[i] / (6 * Ns[k]);
      if (make_cand(ff, o, x, &cs[nc])) {
        cs[nc].N = Ns[k];
        cs[nc].D = x[ff->var_D];
        cs[nc].C = Cs[i];
        nc++;
      }
    }
  }
  free(Cs);
  res->n_candidates = nc;
  if (!nc) {
    free(cs);
    return sf_fail(SF_EUSAGE, "no candidate run: no budget up to %g FLOP has a split of N and D within %g decades of "
                   "the data where the law is defined", o->max_compute, o->beyond);
  }

  /* greedy: the best candidate by the rank, then S updated as if it had been run */
  double v = res->target_var;
  for (size_t p = 0; p < o->count; p++) {
    sf_band before, after;
    double wb = band_width(ff, res->target.value, v, z, &before);
    size_t best = 0;
    double best_score = -INFINITY;
    for (size_t c = 0; c < nc; c++) {
      double hg = quad(S, np, ht, cs[c].g), gg = quad(S, np, cs[c].g, cs[c].g);
      double va = v - hg * hg / (cs[c].s2 + gg);
      double red = wb - band_width(ff, res->target.value, va, z, &after);
      double score = o->rank == SF_NEXT_TOTAL ? red : red / cs[c].C;
      if (score > best_score) best_score = score, best = c;
    }
    sf_next_pick *pk = &res->pick[res->npick++];
    const cand *c = &cs[best];
    memcpy(pk->x, c->x, sizeof pk->x);
    pk->N = c->N;
    pk->D = c->D;
    pk->C = c->C;
    pk->y = c->y;
    pk->s2 = c->s2;
    pk->var_before = v;
    pk->before = before;
    v = sf_next_update(S, np, c->g, ht, c->s2);
    if (v < 0) v = 0; /* rounding, when the run pins the target down entirely */
    pk->var_after = v;
    pk->reduction = wb - band_width(ff, res->target.value, v, z, &pk->after);
    pk->per_flop = pk->reduction / pk->C;
  }
  free(cs);
  return SF_OK;
}
