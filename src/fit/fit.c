/* fit.c: the fitting engine: objective, local solvers, multi-start, covariance, bootstrap.
 *
 * Layers, innermost first:
 *   objective()    sum of w * rho(r) and its exact gradient, from the law's f and df/dtheta
 *   local_fit()    one start to convergence: Huber through GSL's BFGS2 (gsl_multimin) with
 *                  analytic gradients; l2 through GSL's trust-region least squares (lm), its
 *                  steps by Cholesky on J^T J (solver_init says why)
 *   local_polish() the best few starts further; for Huber BFGS2 and then LM on pseudo-residuals
 *                  (local_huber_lm), which reaches the optimum where BFGS2 stalls; for l2 the
 *                  start rerun and continued by LM with QR steps
 *   multistart()   every start, in parallel (OpenMP) or serially inside a bootstrap thread
 *   sf_fit_run()   best start (ties to the lower index), basin count, covariance, statistics
 *   sf_fit_bootstrap()  resamples as integer weights on the distinct points drawn, each with
 *                  the full multi-start
 *
 * Why BFGS2 for Huber and not IRLS on the nlinear solver: the summed Huber objective with
 * delta = 1e-3 on log-loss has nearly every residual in the linear (L1-like) region, so IRLS
 * weights delta/|r| change at every outer iteration and each outer iteration is itself an
 * lm solve; BFGS2 on the smooth objective with its analytic gradient reaches the same optimum
 * in one pass (measured in bench/: see README of bench for the figures).
 *
 * Parameters, three views: phi (what the optimiser moves: free parameters only, bounded ones
 * through a logistic map), theta (the law's internal parameters, all of them) and the natural
 * parameters reported to the user (sf_param transforms). All per-thread memory is allocated in
 * sf_fit_alloc; the hot loop allocates nothing (the LM workspaces are resized to each resample's
 * distinct runs, once per resample: solver_rows).
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_multimin.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"
#include "util/vmath.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define MAXP SF_LAW_MAXPAR
/* The objective where the model is undefined: large, finite, so line searches back off, and above
 * any objective the data can give. In log space residuals are logs, so 1e30 is out of reach; in
 * linear space the residuals carry the units of y, and y of order 1e15 (FLOPs, tokens) makes the
 * sum of squares pass 1e30, where every fit was once declared undefined: the sentinel is scaled
 * by the largest |y| (w->huge, w->bad_r; set by prepare_data). */
#define HUGE_OBJ 1e30
#define BAD_RESIDUAL 1e50 /* a residual where the model is undefined, for the least-squares solver */

typedef struct solver {
  struct sf_fit_workspace *w;
  sf_law_data d;     /* the data being fitted (the caller's, or a compacted bootstrap resample) */
  const double *ty;  /* log y or y */
  const double *is;  /* 1/sigma of ty: 1/sigma (linear space), y/sigma (log); all 1 without sigma */
  const double *wt;  /* weights (all 1 when the caller gave none) */
  double *f, *J, *c, *scratch;
  gsl_multimin_fdfminimizer *mm;
  gsl_multimin_function_fdf mfdf;
  gsl_multifit_nlinear_workspace *nl;  /* LM for the starts: Cholesky on J^T J (solver_init says why) */
  gsl_multifit_nlinear_workspace *nlq; /* LM for the polish: QR of J */
  gsl_multifit_nlinear_fdf nfdf;
  gsl_vector *x0;
  /* bootstrap resample buffers (nmax each) */
  double *bx[SF_LAW_MAXVAR], *blx[SF_LAW_MAXVAR], *by, *bis, *bw;
  size_t *count;
  size_t iters, evals;
  int cache_ok; /* last objective evaluated by the BFGS callbacks (valid for the current data) */
  double cache_x[MAXP], cache_f, cache_g[MAXP];
  int fj_ok, fj_bad; /* f and J in f, J are the law's at phi = fj_x (nl_f; cleared by any other writer) */
  double fj_x[MAXP];
} solver;

struct sf_fit_workspace {
  const sf_law *law;
  sf_fit_opts o;
  size_t nmax, np, nfree;
  int free_idx[MAXP];
  double theta_fix[MAXP]; /* internal values of fixed parameters */
  int nthreads;
  solver *sv;
  double *ty; /* transformed y of the caller's data (nmax) */
  double *is; /* the inverse scale of each residual, from the caller's sigma (nmax; ones without) */
  double huge, bad_r; /* HUGE_OBJ and BAD_RESIDUAL scaled to the data (prepare_data) */
  double *wt; /* the caller's weights, or ones (nmax) */
};

/* ---- parameter views ---- */

static double logistic(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* theta (all np) and dtheta/dphi (nfree) from phi (nfree). */
static void phi_to_theta(const struct sf_fit_workspace *w, const double *phi, double *theta, double *dth) {
  memcpy(theta, w->theta_fix, w->np * sizeof *theta);
  for (size_t k = 0; k < w->nfree; k++) {
    int j = w->free_idx[k];
    if (w->o.bounded[j]) {
      double lo = w->o.lo[j], hi = w->o.hi[j], s = logistic(phi[k]);
      double p = lo + (hi - lo) * s;
      theta[j] = sf_param_internal(&w->law->par[j], p);
      if (dth) dth[k] = (hi - lo) * s * (1 - s) / sf_param_dnatural(&w->law->par[j], theta[j]);
    } else {
      theta[j] = phi[k];
      if (dth) dth[k] = 1;
    }
  }
}

/* phi from a start's theta; bounded parameters outside their bounds are moved inside. */
static void theta_to_phi(const struct sf_fit_workspace *w, const double *theta, double *phi) {
  for (size_t k = 0; k < w->nfree; k++) {
    int j = w->free_idx[k];
    if (w->o.bounded[j]) {
      double lo = w->o.lo[j], hi = w->o.hi[j], p = sf_param_natural(&w->law->par[j], theta[j]);
      double s = (p - lo) / (hi - lo);
      /* A start outside the bounds goes 1% inside, not to the edge: at s = 1e-6 the logistic's
       * slope is 1e-6, the gradient in phi vanishes with it, and a start of the grid that lay
       * outside a --bound stopped there, on the bound, even with the optimum well inside. */
      if (!(s > 0)) s = 0.01; /* also catches NaN */
      else if (s >= 1) s = 0.99;
      if (s < 1e-6) s = 1e-6;
      if (s > 1 - 1e-6) s = 1 - 1e-6;
      phi[k] = log(s / (1 - s));
    } else {
      phi[k] = theta[j];
    }
  }
}

/* ---- objective ---- */

/* sum w rho(r) at phi; grad (nfree) if not NULL. Written as plain loops over contiguous
 * arrays so that they vectorise (exp/log through libmvec, see util/vmath.h). */
static double objective(solver *s, const double *phi, double *grad) {
  const struct sf_fit_workspace *w = s->w;
  const size_t n = s->d.n;
  double theta[MAXP], dth[MAXP];
  phi_to_theta(w, phi, theta, dth);
  s->evals++;
  s->fj_ok = 0;
  if (w->law->eval(w->law, &s->d, theta, s->f, grad ? s->J : NULL, s->scratch)) return w->huge;
  const double *restrict f = s->f, *restrict ty = s->ty, *restrict wt = s->wt, *restrict is = s->is;
  double *restrict c = s->c;
  const double delta = w->o.delta;
  const int logsp = w->o.space == SF_SPACE_LOG, huber = w->o.loss == SF_LOSS_HUBER;
  double obj = 0;
  /* Two passes: a loop containing a call is not if-converted by GCC, so the logs come first
   * (vectorised through libmvec) and the branch-free loss arithmetic second. Afterwards
   * c[i] = w_i psi(r_i) dr_i/df_i, so that dobj/dtheta_j = sum_i c_i J_ij. A non-positive or
   * non-finite f makes obj NaN or inf, caught below. The residual is scaled by its sigma
   * (is = 1 without one: multiplying by 1 is exact, unweighted fits are unchanged to the bit). */
  if (logsp) {
SF_SIMD
    for (size_t i = 0; i < n; i++) c[i] = log(f[i]);
  } else {
    for (size_t i = 0; i < n; i++) c[i] = f[i];
  }
  if (huber) {
SF_SIMD_SUM(obj)
    for (size_t i = 0; i < n; i++) {
      double r = (c[i] - ty[i]) * is[i];
      double psi = r > delta ? delta : r < -delta ? -delta : r; /* fmin/fmax would not vectorise */
      obj += wt[i] * psi * (r - 0.5 * psi); /* r^2/2 inside, delta (|r| - delta/2) beyond */
      c[i] = wt[i] * psi * is[i] / (logsp ? f[i] : 1.0);
    }
  } else {
SF_SIMD_SUM(obj)
    for (size_t i = 0; i < n; i++) {
      double r = (c[i] - ty[i]) * is[i];
      obj += wt[i] * r * r;
      c[i] = 2 * wt[i] * r * is[i] / (logsp ? f[i] : 1.0);
    }
  }
  if (!isfinite(obj)) return w->huge;
  if (grad) {
    for (size_t k = 0; k < w->nfree; k++) {
      const double *restrict Jj = s->J + (size_t)w->free_idx[k] * n;
      double g = 0;
SF_SIMD_SUM(g)
      for (size_t i = 0; i < n; i++) g += c[i] * Jj[i];
      grad[k] = g * dth[k];
    }
  }
  return obj;
}

/* GSL multimin callbacks. BFGS2's line search asks for f at a trial point and then, at the
 * same point, for the gradient; exp and log dominate and are shared by both, so every call
 * computes both and the last point is cached (measured: ~40% fewer evaluations). */
static double cached(solver *s, const gsl_vector *x, double *g) {
  const size_t nf = s->w->nfree;
  if (!s->cache_ok || memcmp(s->cache_x, x->data, nf * sizeof *s->cache_x) != 0) {
    s->cache_f = objective(s, x->data, s->cache_g);
    memcpy(s->cache_x, x->data, nf * sizeof *s->cache_x);
    s->cache_ok = 1;
  }
  if (g) memcpy(g, s->cache_g, nf * sizeof *g);
  return s->cache_f;
}
static double mm_f(const gsl_vector *x, void *p) { return cached(p, x, NULL); }
static void mm_df(const gsl_vector *x, void *p, gsl_vector *g) { cached(p, x, g->data); }
static void mm_fdf(const gsl_vector *x, void *p, double *f, gsl_vector *g) { *f = cached(p, x, g->data); }

/* Run i's residual in the fitted space at the model values in s->f, in units of its sigma; w->bad_r
 * where the model is undefined (bad), not positive in log space, or the residual not finite. */
static double residual_at(const struct sf_fit_workspace *w, const solver *s, size_t i, int bad) {
  double fi = s->f[i];
  if (bad || (w->o.space == SF_SPACE_LOG && !(fi > 0))) return w->bad_r;
  double r = ((w->o.space == SF_SPACE_LOG ? log(fi) : fi) - s->ty[i]) * s->is[i];
  return isfinite(r) ? r : w->bad_r;
}

/* Huber's objective as a sum of squares, for the least-squares solver: the pseudo-residual
 * s = sign(r) sqrt(2 rho(r)) (s = r within delta, sign(r) sqrt(delta (2|r| - delta)) beyond) has
 * s^2/2 = rho(r) and ds/dr = psi(r)/s: 1 within delta, delta/|s| beyond, continuous at |r| = delta
 * where |s| = delta. The gradient J^T s is the exact Huber gradient; J^T J is Gauss-Newton's
 * Hessian, which gives each run beyond delta the curvature delta/(2|r|) (IRLS's weight) where the
 * true objective has none along dr, and differs from the exact Hessian by delta-sized terms: near
 * the optimum the iteration converges linearly (rate 0.75..0.8 on Chinchilla's runs), to where
 * the objective's changes fall below its rounding: ~12 iterations from a BFGS2 end point to
 * within 1e-7 of the optimum (tests/unit/test_fit.c checks against an exact-Hessian Newton
 * iteration). */
static double huber_pseudo(double r, double delta, double *dsdr) {
  double a = fabs(r);
  if (a <= delta) {
    *dsdr = 1;
    return r;
  }
  double m = sqrt(delta * (2 * a - delta));
  *dsdr = delta / m;
  return r < 0 ? -m : m;
}

/* GSL nlinear callbacks: r_i = sqrt(w_i) * residual / sigma_i, J = dr/dphi; for a Huber fit (its polish,
 * local_huber_lm) the residual is huber_pseudo's. The workspace is sized for nmax points; a
 * bootstrap resample has fewer distinct ones, and the unused rows must not carry an earlier
 * fit's values. */
static int nl_f(const gsl_vector *x, void *p, gsl_vector *out) {
  solver *s = p;
  const struct sf_fit_workspace *w = s->w;
  double theta[MAXP], ds;
  phi_to_theta(w, x->data, theta, NULL);
  const size_t n = s->d.n, st = out->stride;
  const int huber = w->o.loss == SF_LOSS_HUBER;
  double *r = out->data;
  s->evals++;
  /* J too for l2: GSL asks for the Jacobian at the point whose residuals it asked for last (an
   * accepted step, most of them in an l2 start), and the law's J costs little beside its f (the
   * same exp and pow), so nl_df reuses both rather than evaluating the law again. Not in Huber's
   * polish (local_huber_lm), which ends in a run of rejected steps. */
  int bad = w->law->eval(w->law, &s->d, theta, s->f, huber ? NULL : s->J, s->scratch);
  memcpy(s->fj_x, x->data, w->nfree * sizeof *s->fj_x);
  s->fj_ok = !huber;
  s->fj_bad = bad;
  for (size_t i = 0; i < n; i++) {
    double ri = residual_at(w, s, i, bad);
    r[i * st] = sqrt(s->wt[i]) * (huber ? huber_pseudo(ri, w->o.delta, &ds) : ri);
  }
  for (size_t i = n; i < out->size; i++) r[i * st] = 0;
  return GSL_SUCCESS;
}

/* The Jacobian is written through row pointers (GSL's matrix is row-major with row stride tda):
 * gsl_matrix_set, a library call with a range check per entry, was a seventh of an l2 fit's time. */
static int nl_df(const gsl_vector *x, void *p, gsl_matrix *Jo) {
  solver *s = p;
  const struct sf_fit_workspace *w = s->w;
  double theta[MAXP], dth[MAXP];
  phi_to_theta(w, x->data, theta, dth);
  const size_t n = s->d.n, nf = w->nfree, tda = Jo->tda;
  const int logsp = w->o.space == SF_SPACE_LOG;
  int bad = s->fj_ok && memcmp(s->fj_x, x->data, nf * sizeof *s->fj_x) == 0
                ? s->fj_bad
                : w->law->eval(w->law, &s->d, theta, s->f, s->J, s->scratch);
  if (bad) { /* undefined here: f and J unset */
    gsl_matrix_set_zero(Jo);
    return GSL_SUCCESS;
  }
  /* c[i] = dr_i/df_i first, then each column of J scaled by it: loops over contiguous points */
  double *restrict c = s->c;
  const double *restrict f = s->f, *restrict wt = s->wt, *restrict is = s->is;
  if (w->o.loss == SF_LOSS_HUBER) {
    for (size_t i = 0; i < n; i++) {
      double fi = f[i], ci = sqrt(wt[i]) * is[i], ds;
      if (logsp && !(fi > 0)) ci = 0;
      else {
        huber_pseudo(((logsp ? log(fi) : fi) - s->ty[i]) * is[i], w->o.delta, &ds);
        ci *= ds;
        if (logsp) ci /= fi;
      }
      c[i] = ci;
    }
  } else if (logsp) {
SF_SIMD
    for (size_t i = 0; i < n; i++) c[i] = f[i] > 0 ? sqrt(wt[i]) * is[i] / f[i] : 0;
  } else {
SF_SIMD
    for (size_t i = 0; i < n; i++) c[i] = sqrt(wt[i]) * is[i];
  }
  for (size_t k = 0; k < nf; k++) {
    const double *restrict Jc = s->J + (size_t)w->free_idx[k] * n;
    const double d = dth[k];
    double *restrict col = Jo->data + k;
    for (size_t i = 0; i < n; i++) {
      double v = c[i] * Jc[i] * d;
      col[i * tda] = isfinite(v) ? v : 0;
    }
  }
  for (size_t i = n; i < Jo->size1; i++) memset(Jo->data + i * tda, 0, nf * sizeof *Jo->data);
  return GSL_SUCCESS;
}

/* ---- one start ---- */

/* Is candidate (obj a, index ia) better than (b, ib)? NaN never wins; ties go to the lower index. */
static int better(double a, size_t ia, double b, size_t ib) {
  if (isnan(a)) return 0;
  if (isnan(b)) return 1;
  return a < b || (a == b && ia < ib);
}


typedef struct local_result {
  double phi[MAXP];
  double obj;
  int converged, abandoned;
  size_t iters;
  const double *theta0; /* the start it ran from (local_polish reruns an l2 start) */
} local_result;

static double inf_norm(const double *g, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++)
    if (fabs(g[i]) > m) m = fabs(g[i]);
  return m;
}

/* Stopping rules, scaled to the objective itself (never to 1: the summed Huber objective is
 * ~1e-3 at the Chinchilla optimum, where scipy's absolute tests stop far from it).
 *   explore: a start stops when its objective fell by less than 1e-6 of itself in an iteration,
 *            or its gradient is below 1e-9 of it. Starts in flat regions (a power-law
 *            term switched off, alpha large) stop within a few iterations, as under scipy.
 *   polish:  the best few distinct explored optima continue to 1e-13 relative change and a
 *            gradient of 1e-10 of the objective.
 * Measured on the Chinchilla grid (bench/): explore ~85 evaluations per start; a tighter explore
 * rule (1e-8) costs 6x more and finds the same optimum after polishing. */
typedef struct stop_rule {
  double ftol, gtol;
  size_t max_iter;
} stop_rule;

static const stop_rule EXPLORE = {1e-6, 1e-9, 2000};
static const stop_rule POLISH = {1e-13, 1e-10, 20000};

/* abandon_above: a start whose objective is still above this (opts.abandon times the best known)
 * and whose last iteration lowered it by less than ABANDON_RATE of itself is given up
 * (INFINITY: never). */
#define ABANDON_RATE 1e-3
#define PROBE_STRIDE 16    /* sf_fit_run: the best of every 16th start sets the threshold */
static void local_bfgs(solver *s, const double *phi0, const stop_rule *rule, double abandon_above,
                       local_result *out) {
  const size_t nf = s->w->nfree;
  memcpy(s->x0->data, phi0, nf * sizeof *phi0);
  out->converged = 0;
  out->abandoned = 0;
  s->cache_ok = 0; /* the data may have changed since the last call */
  /* first trial step of length 1 in phi; line-search tolerance 0.5 (measured: 0.1 costs ~15%
   * more evaluations for the same optima) */
  gsl_multimin_fdfminimizer_set(s->mm, &s->mfdf, s->x0, 1.0, 0.5);
  size_t it = 0;
  int status = GSL_CONTINUE;
  double f1 = s->mm->f; /* objective one iteration ago */
  for (; it < rule->max_iter; it++) {
    status = gsl_multimin_fdfminimizer_iterate(s->mm);
    if (status) break;
    double f = s->mm->f, gn = inf_norm(s->mm->gradient->data, nf), scale = f > 1e-300 ? f : 1e-300;
    if (gn <= rule->gtol * scale || f1 - f <= rule->ftol * scale) {
      out->converged = 1;
      it++;
      break;
    }
    if (f > abandon_above && f1 - f <= ABANDON_RATE * f) {
      out->abandoned = 1;
      it++;
      break;
    }
    f1 = f;
  }
  const double f = s->mm->f, gn = inf_norm(s->mm->gradient->data, nf);
  /* BFGS2 reports no progress when its line search cannot lower f any more in floating point:
   * at a minimum that is convergence, which the gradient (small against f) confirms. The Huber
   * objective's curvature jumps where a residual crosses delta, so its gradient stalls near
   * 1e-4..1e-3 f at the optimum (measured on the Chinchilla data and synthetic sets), not at
   * rounding level; far from an optimum it is orders of magnitude larger. */
  if (!out->converged && status == GSL_ENOPROG && gn <= 1e-2 * (f > 1e-300 ? f : 1e-300)) out->converged = 1;
  memcpy(out->phi, s->mm->x->data, nf * sizeof *phi0);
  out->obj = f;
  out->iters = it;
  if (!(f < s->w->huge)) out->converged = 0;
}

/* GSL's driver loop (iterate, then its xtol/gtol/ftol test; a first iteration without an accepted
 * step ends it) with local_bfgs's abandon rule between iterations: a start whose cost is still
 * above abandon_above and fell by less than ABANDON_RATE of itself in the last iteration stops. */
static int lm_drive(gsl_multifit_nlinear_workspace *nl, size_t max_iter, double abandon_above, int *info,
                    int *abandoned) {
  size_t it = 0;
  int status;
  double f1;
  gsl_blas_ddot(nl->f, nl->f, &f1);
  do {
    status = gsl_multifit_nlinear_iterate(nl);
    if (status == GSL_ENOPROG && it == 0) {
      *info = status;
      return GSL_EMAXITER;
    }
    it++;
    status = gsl_multifit_nlinear_test(1e-10, 1e-12, 0.0, info, nl);
    double f;
    gsl_blas_ddot(nl->f, nl->f, &f);
    if (status == GSL_CONTINUE && f > abandon_above && f1 - f <= ABANDON_RATE * f) {
      *abandoned = 1;
      return GSL_CONTINUE;
    }
    f1 = f;
  } while (status == GSL_CONTINUE && it < max_iter);
  if (status == GSL_ETOLF || status == GSL_ETOLX || status == GSL_ETOLG) {
    *info = status;
    status = GSL_SUCCESS;
  }
  if (it >= max_iter && status != GSL_SUCCESS) status = GSL_EMAXITER;
  return status;
}

static void local_lm(solver *s, gsl_multifit_nlinear_workspace *nl, const double *phi0, size_t max_iter,
                     double abandon_above, local_result *out) {
  const size_t nf = s->w->nfree;
  memcpy(s->x0->data, phi0, nf * sizeof *phi0);
  int info = 0;
  out->converged = 0;
  out->abandoned = 0;
  int status = gsl_multifit_nlinear_init(s->x0, &s->nfdf, nl);
  if (status == GSL_SUCCESS) status = lm_drive(nl, max_iter, abandon_above, &info, &out->abandoned);
  const gsl_vector *x = gsl_multifit_nlinear_position(nl);
  memcpy(out->phi, x->data, nf * sizeof *phi0);
  out->iters = gsl_multifit_nlinear_niter(nl);
  out->obj = objective(s, out->phi, NULL);
  if (status == GSL_SUCCESS) out->converged = 1;
  else if (status == GSL_ENOPROG || info == GSL_ENOPROG) {
    /* no step lowers the cost (the driver reports a first-iteration stall, as when polishing a
     * converged point, as GSL_EMAXITER with info GSL_ENOPROG): converged if the gradient is
     * small against the objective */
    double g[MAXP];
    double f = objective(s, out->phi, g);
    out->converged = inf_norm(g, nf) <= 1e-4 * (f > 1e-300 ? f : 1e-300) + 1e-14;
  }
  if (!(out->obj < s->w->huge)) out->converged = 0;
}

/* The Huber polish: Levenberg-Marquardt (GSL's trust region) on the pseudo-residuals of
 * huber_pseudo from a BFGS2 end point. BFGS2 stops where its line search can no longer lower f,
 * and on Huber's objective (curvature jumping where a residual crosses delta) that is with the
 * gradient at 1e-4..1e-3 of f, short of the optimum along flat directions: on the own sweep
 * (15 runs, E poorly identified) the fitted E then differed in the 3rd digit between a
 * -march=native and a portable build. Gauss-Newton steps solve for the whole step at once and
 * get as close as the objective's rounding lets a descent test see (~1e-7 in the internal
 * parameters). Runs until no step lowers the cost (GSL_ENOPROG) or the
 * step is below 1e-15 of the parameters (rounding), at most HUBER_LM_MAXITER iterations. */
#define HUBER_LM_MAXITER 500
static void local_huber_lm(solver *s, const double *phi0, local_result *out) {
  const size_t nf = s->w->nfree;
  memcpy(s->x0->data, phi0, nf * sizeof *phi0);
  out->converged = 0;
  out->abandoned = 0;
  size_t it = 0;
  int status = gsl_multifit_nlinear_init(s->x0, &s->nfdf, s->nlq);
  while (status == GSL_SUCCESS && it < HUBER_LM_MAXITER) {
    status = gsl_multifit_nlinear_iterate(s->nlq);
    it++;
    if (status) break; /* GSL_ENOPROG: no step lowers the cost */
    const double *x = gsl_multifit_nlinear_position(s->nlq)->data, *dx = s->nlq->dx->data;
    size_t k = 0;
    while (k < nf && fabs(dx[k]) <= 1e-15 * (fabs(x[k]) + 1e-15)) k++;
    if (k == nf) break;
  }
  memcpy(out->phi, gsl_multifit_nlinear_position(s->nlq)->data, nf * sizeof *phi0);
  double g[MAXP];
  out->obj = objective(s, out->phi, g);
  out->iters = it;
  /* converged: the gradient is small against the objective, the test local_lm applies to a
   * stall (where this stops, 1e-7..1e-5 f remain in stiff directions, whose share of the
   * objective is below rounding) */
  out->converged = out->obj < s->w->huge && inf_norm(g, nf) <= 1e-4 * (out->obj > 1e-300 ? out->obj : 1e-300);
}

/* One start (internal theta0) to the explore rule. */
static void local_fit(solver *s, const double *theta0, double abandon_above, local_result *out) {
  double phi0[MAXP];
  theta_to_phi(s->w, theta0, phi0);
  if (s->w->o.loss == SF_LOSS_HUBER) local_bfgs(s, phi0, &EXPLORE, abandon_above, out);
  else local_lm(s, s->nl, phi0, s->w->o.max_iter, abandon_above, out);
  out->theta0 = theta0;
  s->iters += out->iters;
}

/* Continues from an explored result to the polish rule. */
static void local_polish(solver *s, const local_result *from, local_result *out) {
  const double *phi = from->phi;
  if (s->w->o.loss == SF_LOSS_HUBER) {
    local_bfgs(s, phi, &POLISH, INFINITY, out);
    /* then the pseudo-residual LM from BFGS2's end point; the lower objective is kept, so the
     * polish never makes a fit worse */
    local_result lm;
    local_huber_lm(s, out->phi, &lm);
    lm.iters += out->iters;
    if (lm.obj <= out->obj) {
      lm.converged = lm.converged || out->converged;
      *out = lm;
    } else {
      out->iters = lm.iters;
    }
  } else if (!from->theta0) {
    local_lm(s, s->nlq, phi, s->w->o.max_iter, INFINITY, out);
  } else {
    /* The starts ran on the normal equations (solver_init), whose rounding is cond(J)^2: where
     * the optimum is a limit along a ridge (bnsl's break sharpening into a kink, J's condition
     * 1e15) their steps stall short of it, and QR from their end point stalls too (the default
     * sweep's bnsl ended 6e-7 above its optimum). So the start's whole path is rerun by QR and
     * polished, as every start ran before; only if that ends above the explored objective
     * (beyond the sum's rounding: it took another path) is the explored end point polished too,
     * and the lower kept. A few starts of thousands. */
    double phi0[MAXP];
    local_result re;
    theta_to_phi(s->w, from->theta0, phi0);
    local_lm(s, s->nlq, phi0, s->w->o.max_iter, INFINITY, &re);
    local_lm(s, s->nlq, re.phi, s->w->o.max_iter, INFINITY, out);
    out->iters += re.iters;
    if (!(out->obj <= from->obj * (1 + 1e-12))) {
      local_result ep;
      local_lm(s, s->nlq, phi, s->w->o.max_iter, INFINITY, &ep);
      ep.iters += out->iters;
      if (ep.obj < out->obj) *out = ep;
      else out->iters = ep.iters;
    }
  }
  out->theta0 = from->theta0;
  s->iters += out->iters;
}

/* Polishes the best npol distinct results of lr[0..ns) (distinct: phi differ by more than
 * 1e-3 somewhere) and returns the index of the winner; its lr entry is replaced by the polished
 * result if that is better. Ties go to the lower start index throughout. */
#define NPOLISH 4
static size_t polish_best(solver *s, local_result *lr, size_t ns) {
  const size_t nf = s->w->nfree;
  size_t pick[NPOLISH], np = 0;
  while (np < NPOLISH) {
    size_t b = SIZE_MAX;
    for (size_t k = 0; k < ns; k++) {
      int skip = 0;
      for (size_t q = 0; q < np && !skip; q++) {
        if (pick[q] == k) skip = 1;
        else {
          size_t j = 0;
          while (j < nf && fabs(lr[k].phi[j] - lr[pick[q]].phi[j]) <= 1e-3) j++;
          skip = j == nf;
        }
      }
      if (!skip && (b == SIZE_MAX || better(lr[k].obj, k, lr[b].obj, b))) b = k;
    }
    if (b == SIZE_MAX || !(lr[b].obj < s->w->huge)) break;
    pick[np++] = b;
  }
  size_t best = SIZE_MAX;
  for (size_t q = 0; q < np; q++) {
    local_result pr;
    local_polish(s, &lr[pick[q]], &pr);
    if (pr.obj <= lr[pick[q]].obj) {
      pr.iters += lr[pick[q]].iters;
      lr[pick[q]] = pr;
    }
    if (best == SIZE_MAX || better(lr[pick[q]].obj, pick[q], lr[best].obj, best)) best = pick[q];
  }
  if (best == SIZE_MAX) {
    best = 0;
    for (size_t k = 1; k < ns; k++)
      if (better(lr[k].obj, k, lr[best].obj, best)) best = k;
  }
  return best;
}

/* ---- workspace ---- */

void sf_fit_opts_default(sf_fit_opts *o, const sf_law *law) {
  memset(o, 0, sizeof *o);
  o->loss = law->loss;
  o->delta = law->delta;
  o->space = law->space;
  o->max_iter = 2000;
  o->basin_rtol = 1e-2;
  o->basin_ptol = 0.1;
  o->abandon = 3;
}

static void solver_free(solver *s) {
  if (s->mm) gsl_multimin_fdfminimizer_free(s->mm);
  if (s->nl) gsl_multifit_nlinear_free(s->nl);
  if (s->nlq) gsl_multifit_nlinear_free(s->nlq);
  if (s->x0) gsl_vector_free(s->x0);
  free(s->f);
  free(s->J);
  free(s->c);
  free(s->scratch);
  for (size_t v = 0; v < SF_LAW_MAXVAR; v++) {
    free(s->bx[v]);
    free(s->blx[v]);
  }
  free(s->by);
  free(s->bis);
  free(s->bw);
  free(s->count);
}

static int solver_init(solver *s, struct sf_fit_workspace *w) {
  const size_t n = w->nmax, np = w->np;
  s->w = w;
  s->f = malloc(n * sizeof *s->f);
  s->J = malloc(n * np * sizeof *s->J);
  s->c = malloc(n * sizeof *s->c);
  s->scratch = malloc((w->law->nscratch ? w->law->nscratch : 1) * sizeof *s->scratch);
  s->x0 = gsl_vector_alloc(w->nfree);
  s->mm = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, w->nfree);
  s->mfdf = (gsl_multimin_function_fdf){mm_f, mm_df, mm_fdf, w->nfree, s};
  gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
  par.trs = gsl_multifit_nlinear_trs_lm;
  /* The starts solve each LM step on the normal equations (J^T J, GSL's modified Cholesky): a few
   * n p^2 flops, where QR's pivoted Householder passes and their column norms were a quarter of an
   * l2 fit's time (perf; Chinchilla --loss l2: 1.01 -> 0.74 s). Their rounding is cond(J)^2: on a
   * flat optimum that moves where a start stops by ~1e-8 of the parameters (as much as another
   * grid moves them under QR, against standard errors of 1e-2), on a ridge it stalls the start
   * short of the optimum, which local_polish rights by QR (nlq). */
  par.solver = gsl_multifit_nlinear_solver_cholesky;
  s->nl = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, n, w->nfree);
  par.solver = gsl_multifit_nlinear_solver_qr;
  s->nlq = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, n, w->nfree);
  s->nfdf = (gsl_multifit_nlinear_fdf){.f = nl_f, .df = nl_df, .fvv = NULL, .n = n, .p = w->nfree, .params = s};
  for (size_t v = 0; v < w->law->nvar; v++) {
    s->bx[v] = malloc(n * sizeof(double));
    s->blx[v] = malloc(n * sizeof(double));
    if (!s->bx[v] || !s->blx[v]) return SF_ENOMEM;
  }
  s->by = malloc(n * sizeof *s->by);
  s->bis = malloc(n * sizeof *s->bis);
  s->bw = malloc(n * sizeof *s->bw);
  s->count = malloc(n * sizeof *s->count);
  if (!s->f || !s->J || !s->c || !s->scratch || !s->x0 || !s->mm || !s->nl || !s->nlq || !s->by || !s->bis || !s->bw || !s->count)
    return SF_ENOMEM;
  return SF_OK;
}

void sf_fit_free(sf_fit_workspace *w) {
  if (!w) return;
  for (int t = 0; w->sv && t < w->nthreads; t++) solver_free(&w->sv[t]);
  free(w->sv);
  free(w->ty);
  free(w->is);
  free(w->wt);
  free(w);
}

sf_fit_workspace *sf_fit_alloc(const sf_law *law, size_t nmax, const sf_fit_opts *opts) {
  if (!law || !opts || nmax == 0) {
    sf_fail(SF_EUSAGE, "sf_fit_alloc: no law, options or points");
    return NULL;
  }
  for (size_t j = 0; j < law->np; j++) {
    const sf_param *p = &law->par[j];
    if (opts->fixed[j]) {
      if (!isfinite(sf_param_internal(p, opts->fix_value[j]))) {
        sf_fail(SF_EINPUT, "cannot fix '%s' at %g: outside the parameter's range", p->name, opts->fix_value[j]);
        return NULL;
      }
    } else if (opts->bounded[j]) {
      double lo = opts->lo[j], hi = opts->hi[j];
      if (!(lo < hi) || !isfinite(lo) || !isfinite(hi)) {
        sf_fail(SF_EINPUT, "bound for '%s' needs finite LO < HI, got %g:%g", p->name, lo, hi);
        return NULL;
      }
      double lmin = p->tr == SF_TR_EXP ? 0 : (p->tr == SF_TR_LOGISTIC || p->tr == SF_TR_LOWER) ? p->lo : -INFINITY;
      double lmax = p->tr == SF_TR_LOGISTIC ? p->hi : INFINITY;
      if (lo < lmin || hi > lmax) {
        sf_fail(SF_EINPUT, "bound for '%s' (%g:%g) goes outside the parameter's range (%g:%g)", p->name, lo, hi,
                lmin, lmax);
        return NULL;
      }
    }
  }
  sf_fit_workspace *w = calloc(1, sizeof *w);
  if (!w) {
    sf_fail(SF_ENOMEM, "out of memory");
    return NULL;
  }
  w->law = law;
  w->o = *opts;
  if (w->o.max_iter == 0) w->o.max_iter = 2000;
  if (!(w->o.basin_rtol > 0)) w->o.basin_rtol = 1e-2;
  if (!(w->o.basin_ptol > 0)) w->o.basin_ptol = 0.1;
  w->nmax = nmax;
  w->np = law->np;
  for (size_t j = 0; j < law->np; j++) {
    if (opts->fixed[j]) w->theta_fix[j] = sf_param_internal(&law->par[j], opts->fix_value[j]);
    else w->free_idx[w->nfree++] = (int)j;
  }
  if (w->nfree == 0) {
    sf_fail(SF_EINPUT, "every parameter of '%s' is fixed: nothing to fit", sf_law_label(law));
    free(w);
    return NULL;
  }
#ifdef _OPENMP
  w->nthreads = opts->threads > 0 ? opts->threads : omp_get_max_threads();
#else
  w->nthreads = 1;
#endif
  w->sv = calloc((size_t)w->nthreads, sizeof *w->sv);
  w->ty = malloc(nmax * sizeof *w->ty);
  w->is = malloc(nmax * sizeof *w->is);
  w->wt = malloc(nmax * sizeof *w->wt);
  if (!w->sv || !w->ty || !w->is || !w->wt) {
    sf_fit_free(w);
    sf_fail(SF_ENOMEM, "out of memory");
    return NULL;
  }
  for (int t = 0; t < w->nthreads; t++) {
    if (solver_init(&w->sv[t], w)) {
      sf_fit_free(w);
      sf_fail(SF_ENOMEM, "out of memory allocating the fit workspace");
      return NULL;
    }
  }
  return w;
}

int sf_fit_check(const sf_fit_workspace *w, const sf_law_data *d, const double *y, const double *sigma,
                 const double *weights) {
  const sf_law *law = w->law;
  size_t used = 0;
  if (d->nvar != law->nvar) return sf_fail(SF_EUSAGE, "law '%s' takes %zu variables, got %zu", sf_law_label(law), law->nvar, d->nvar);
  if (d->n > w->nmax) return sf_fail(SF_EUSAGE, "%zu points but the workspace holds %zu", d->n, w->nmax);
  for (size_t i = 0; i < d->n; i++) {
    double wi = weights ? weights[i] : 1;
    if (!(wi >= 0) || !isfinite(wi)) return sf_fail(SF_EINPUT, "row %zu: weight %g is not a finite value >= 0", i + 1, wi);
    if (wi == 0) continue;
    used++;
    for (size_t v = 0; v < d->nvar; v++) {
      double x = d->x[v][i];
      if (!isfinite(x)) return sf_fail(SF_EINPUT, "row %zu: '%s' is missing or not finite", i + 1, law->vars[v]);
      if (law->x_positive && !(x > 0))
        return sf_fail(SF_EINPUT, "row %zu: '%s' = %g but law '%s' takes its log (values must be > 0)", i + 1,
                       law->vars[v], x, sf_law_label(law));
    }
    if (law->domain) {
      double xs[SF_LAW_MAXVAR];
      char why[256];
      for (size_t v = 0; v < d->nvar; v++) xs[v] = d->x[v][i];
      if (law->domain(law, xs, why, sizeof why))
        return sf_fail(SF_EINPUT, "row %zu: law '%s' %s", i + 1, sf_law_label(law), why);
    }
    if (!isfinite(y[i])) return sf_fail(SF_EINPUT, "row %zu: '%s' is missing or not finite", i + 1, law->y);
    if (law->y_fraction && !(y[i] >= 0 && y[i] <= 1))
      return sf_fail(SF_EINPUT, "row %zu: '%s' = %g but law '%s' models fractions in [0, 1]", i + 1, law->y, y[i],
                     sf_law_label(law));
    if (w->o.space == SF_SPACE_LOG && !(y[i] > 0))
      return sf_fail(SF_EINPUT, "row %zu: '%s' = %g but residuals are in log space (values must be > 0; try --space linear)",
                     i + 1, law->y, y[i]);
    /* a sigma of 0 would give the run infinite weight, a NaN one none: neither is a measurement */
    if (sigma && !(sigma[i] > 0 && isfinite(sigma[i])))
      return sf_fail(SF_EINPUT, "row %zu: sigma = %g is not a standard deviation (must be finite and > 0)", i + 1,
                     sigma[i]);
  }
  if (used <= w->nfree)
    return sf_fail(SF_EINPUT, "%zu run%s for %zu free parameter%s of '%s': need at least %zu", used, sf_plural(used), w->nfree,
                   sf_plural(w->nfree), sf_law_label(law),
                   w->nfree + 1);
  return SF_OK;
}

/* ---- multi-start ---- */

/* The grid spans every parameter, also the fixed ones (whose columns are ignored), so with --fix
 * many rows differ only there and would be optimised again from the same point: datacon's 1296
 * starts with its five Chinchilla parameters fixed are 9 distinct (R*_D, R*_N) pairs, each run 144
 * times. A start is what the optimiser begins from, its phi (free parameters, bounded ones mapped
 * inside their bounds), so rows are compared there, bit for bit. */
typedef struct start_key {
  uint64_t bits[MAXP]; /* phi's bit patterns (zero beyond nfree): a total order, equal only if identical */
  size_t row;
} start_key;

static int cmp_start_key(const void *a, const void *b) {
  const start_key *x = a, *y = b;
  for (size_t j = 0; j < MAXP; j++)
    if (x->bits[j] != y->bits[j]) return x->bits[j] < y->bits[j] ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return (x > y) - (x < y);
}

/* The distinct starts of starts[0..nstarts): *row (malloc'd, *m entries) the first row of each, in
 * grid order, so ties still go to the lower row. probe (may be NULL; nstarts entries) is set for a
 * distinct start if any of its rows is a probe (row % PROBE_STRIDE == 0): the threshold and each
 * start's best end point are then the full grid's, whose other copies of a start follow the same
 * path under a threshold no lower and stop no later. What the full grid had beyond that are the
 * copies' earlier stops, each above opts.abandon times the best objective, which polish_best could
 * pick only with fewer than NPOLISH distinct end points below them (not seen on Chinchilla's and
 * datacon's grids: fits and bootstraps the same to the bit). */
static int distinct_starts(const struct sf_fit_workspace *w, const double *starts, size_t nstarts, size_t **row,
                           unsigned char *probe, size_t *m) {
  start_key *key = calloc(nstarts, sizeof *key);
  size_t *first = malloc(nstarts * sizeof *first);
  if (!key || !first) {
    free(key);
    free(first);
    return sf_fail(SF_ENOMEM, "out of memory for %zu starts", nstarts);
  }
  for (size_t k = 0; k < nstarts; k++) {
    double phi[MAXP];
    theta_to_phi(w, starts + k * w->np, phi);
    memcpy(key[k].bits, phi, w->nfree * sizeof *phi);
    key[k].row = k;
  }
  qsort(key, nstarts, sizeof *key, cmp_start_key);
  size_t nd = 0;
  for (size_t k = 0; k < nstarts; k++) {
    int same = k > 0 && memcmp(key[k].bits, key[k - 1].bits, sizeof key[k].bits) == 0;
    if (!same) first[nd++] = key[k].row; /* the lowest row of its group: rows sort ascending within */
    if (probe && key[k].row % PROBE_STRIDE == 0) probe[first[nd - 1]] = 1;
  }
  free(key);
  qsort(first, nd, sizeof *first, cmp_size);
  *row = first;
  *m = nd;
  return SF_OK;
}


/* The LM workspaces sized to the n rows being fitted (at least nfree, GSL's minimum; rows beyond n
 * are zero, nl_f): a bootstrap resample has ~63% distinct runs, and GSL's norms, J^T J and products
 * ran over all nmax rows, the zero padding included. Where an allocation fails the larger
 * workspaces stay: their zero rows give the same fit. */
static void solver_rows(solver *s, size_t n) {
  if (n < s->w->nfree) n = s->w->nfree;
  if (n == s->nfdf.n) return;
  gsl_multifit_nlinear_workspace *a = gsl_multifit_nlinear_alloc(s->nl->type, &s->nl->params, n, s->w->nfree);
  gsl_multifit_nlinear_workspace *b = gsl_multifit_nlinear_alloc(s->nlq->type, &s->nlq->params, n, s->w->nfree);
  if (!a || !b) {
    if (a) gsl_multifit_nlinear_free(a);
    if (b) gsl_multifit_nlinear_free(b);
    return;
  }
  gsl_multifit_nlinear_free(s->nl);
  gsl_multifit_nlinear_free(s->nlq);
  s->nl = a;
  s->nlq = b;
  s->nfdf.n = n;
}

static void solver_bind(solver *s, const sf_law_data *d, const double *ty, const double *is, const double *wt) {
  solver_rows(s, d->n);
  s->fj_ok = 0;
  s->d = *d;
  s->ty = ty;
  s->is = is;
  s->wt = wt;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The caller's y in the fitted space, the inverse scale of each residual and the weights (ones
 * if none) into the workspace. In log space the residual's scale is sigma/y, the delta method's
 * standard deviation of log y (first order in sigma/y). */
static void prepare_data(struct sf_fit_workspace *w, const double *y, const double *sigma, const double *weights,
                         size_t n) {
  for (size_t i = 0; i < n; i++) {
    w->ty[i] = w->o.space == SF_SPACE_LOG ? log(y[i]) : y[i];
    w->wt[i] = weights ? weights[i] : 1;
    w->is[i] = !sigma ? 1 : w->o.space == SF_SPACE_LOG ? y[i] / sigma[i] : 1 / sigma[i];
  }
  /* a loop of its own: inside the one above it stops that loop's logs from vectorising, and
   * libmvec's log differs from the scalar one in the last bit, enough to move a Huber optimum
   * along a flat valley */
  double ymax = 1, imax = 1;
  for (size_t i = 0; w->o.space == SF_SPACE_LINEAR && i < n; i++)
    if (w->wt[i] > 0 && fabs(y[i]) > ymax) ymax = fabs(y[i]);
  /* residuals in units of sigma: a sigma of 1e-9 makes them 1e9 times larger */
  for (size_t i = 0; sigma && i < n; i++)
    if (w->wt[i] > 0 && w->is[i] > imax) imax = w->is[i];
  ymax *= imax;
  w->bad_r = BAD_RESIDUAL * ymax < 1e150 ? BAD_RESIDUAL * ymax : 1e150;
  w->huge = HUGE_OBJ * ymax * ymax < 1e300 ? HUGE_OBJ * ymax * ymax : 1e300;
}

/* Residual Jacobian (internal theta of the free parameters) at theta, its SVD, the covariance
 * in natural parameters and the statistics. */
static void finish_stats(solver *s, sf_fit_result *res) {
  const struct sf_fit_workspace *w = s->w;
  const size_t n = s->d.n, np = w->np, nf = w->nfree;
  const double *theta = res->theta;
  s->fj_ok = 0;
  int bad = w->law->eval(w->law, &s->d, theta, s->f, s->J, s->scratch);
  double rss = 0, chi2 = 0, wsum = 0;
  gsl_matrix *A = gsl_matrix_alloc(n, nf), *V = gsl_matrix_alloc(nf, nf);
  gsl_vector *S = gsl_vector_alloc(nf), *work = gsl_vector_alloc(nf);
  for (size_t j = 0; j < np * np; j++) res->cov[j] = 0;
  for (size_t j = 0; j < np; j++) res->stderr_[j] = w->o.fixed[j] ? 0 : NAN;
  res->rcond = NAN;
  res->rss = res->chi2 = res->dof = NAN;
  res->n = n;
  res->nbeyond = 0;
  if (!A || !V || !S || !work || bad) goto out;
  for (size_t i = 0; i < n; i++) {
    double wi = s->wt[i], fi = s->f[i];
    double r = (w->o.space == SF_SPACE_LOG ? log(fi) : fi) - s->ty[i], z = r * s->is[i];
    if (w->o.loss == SF_LOSS_HUBER && wi > 0 && fabs(z) > w->o.delta) res->nbeyond++;
    double c = sqrt(wi) * s->is[i] / (w->o.space == SF_SPACE_LOG ? fi : 1);
    rss += wi * r * r;
    chi2 += wi * z * z;
    wsum += wi;
    for (size_t k = 0; k < nf; k++) gsl_matrix_set(A, i, k, c * s->J[(size_t)w->free_idx[k] * n + i]);
  }
  res->rss = rss;
  res->chi2 = chi2;
  res->dof = wsum - (double)nf;
  if (n >= nf && gsl_linalg_SV_decomp(A, V, S, work) == GSL_SUCCESS) {
    double smax = gsl_vector_get(S, 0), smin = gsl_vector_get(S, nf - 1);
    /* fabs: GSL returns a zero singular value with the sign it came with (a column of -0, a
     * negative coefficient times a term that underflowed), and -0 / smax printed as "rcond -0" */
    res->rcond = smax > 0 ? fabs(smin) / smax : 0;
    /* scipy's absolute_sigma: the sigmas are the residuals' standard deviations as given, else
     * they are relative and their common scale is estimated from the scatter, chi2/dof */
    double s2 = w->o.absolute_sigma ? 1 : res->dof > 0 ? chi2 / res->dof : NAN;
    double covt[MAXP * MAXP];
    int singular = 0;
    for (size_t a = 0; a < nf; a++)
      for (size_t b = 0; b < nf; b++) {
        double c = 0;
        for (size_t k = 0; k < nf; k++) {
          double sk = gsl_vector_get(S, k);
          if (!(sk > smax * 1e-15)) {
            singular = 1;
            continue;
          }
          c += gsl_matrix_get(V, a, k) * gsl_matrix_get(V, b, k) / (sk * sk);
        }
        covt[a * nf + b] = c * s2;
      }
    for (size_t a = 0; a < nf; a++) {
      int ja = w->free_idx[a];
      double da = sf_param_dnatural(&w->law->par[ja], theta[ja]);
      for (size_t b = 0; b < nf; b++) {
        int jb = w->free_idx[b];
        double db = sf_param_dnatural(&w->law->par[jb], theta[jb]);
        /* singular: (J^T J)^-1 does not exist; the pseudo-inverse above leaves out the directions
         * the data do not constrain, and a forecast band taken from it would be finite and narrow
         * exactly where the law is not identified. NaN (null in the saved fit): no delta band. */
        res->cov[(size_t)ja * np + (size_t)jb] = singular ? NAN : da * db * covt[a * nf + b];
      }
      res->stderr_[ja] = singular ? INFINITY : sqrt(res->cov[(size_t)ja * np + (size_t)ja]);
    }
  }
out:
  gsl_matrix_free(A);
  gsl_matrix_free(V);
  gsl_vector_free(S);
  gsl_vector_free(work);
  res->rmse = n ? sqrt(res->rss / (double)n) : NAN;
  /* Gaussian residuals with a common scale fitted (the sigmas, if any, known up to it): the
   * weighted sum of squares, chi2 (rss without sigma), is what the likelihood sees */
  sf_fit_criteria(n, res->chi2, nf, &res->aic, &res->bic);
  res->aicc = sf_fit_aicc(n, nf, res->aic);
}

int sf_fit_run(sf_fit_workspace *w, const sf_law_data *d, const double *y, const double *sigma,
               const double *weights, const double *starts, size_t nstarts, sf_fit_result *res) {
  double t0 = now_seconds();
  memset(res, 0, sizeof *res);
  int rc = sf_fit_check(w, d, y, sigma, weights);
  if (rc) return rc;
  if (nstarts == 0) return sf_fail(SF_EUSAGE, "no starting points");
  prepare_data(w, y, sigma, weights, d->n);
  const size_t nf = w->nfree;
  size_t *row, nd;
  unsigned char *probe = calloc(nstarts, 1);
  if (!probe) return sf_fail(SF_ENOMEM, "out of memory for %zu starts", nstarts);
  if ((rc = distinct_starts(w, starts, nstarts, &row, probe, &nd))) {
    free(probe);
    return rc;
  }
  local_result *lr = malloc(nd * sizeof *lr);
  if (!lr) {
    free(probe);
    free(row);
    return sf_fail(SF_ENOMEM, "out of memory for %zu starts", nd);
  }
  for (int t = 0; t < w->nthreads; t++) {
    solver_bind(&w->sv[t], d, w->ty, w->is, w->wt);
    w->sv[t].iters = 0;
    w->sv[t].evals = 0;
  }
  /* Two passes so that abandoning (see multistart_serial) stays independent of the threads:
   * a probe of every PROBE_STRIDE-th start of the grid runs to the explore rule and fixes the
   * threshold, then the other starts run with it. Each distinct start runs once (distinct_starts). */
  double fprobe = INFINITY;
  for (int pass = 0; pass < 2; pass++) {
    double above = pass == 0 || !(w->o.abandon > 0) ? INFINITY : w->o.abandon * fprobe;
#pragma omp parallel for schedule(dynamic, 8) num_threads(w->nthreads)
    for (size_t q = 0; q < nd; q++) {
      if (probe[row[q]] != (pass == 0)) continue;
#ifdef _OPENMP
      solver *s = &w->sv[omp_get_thread_num()];
#else
      solver *s = &w->sv[0];
#endif
      local_fit(s, starts + row[q] * w->np, above, &lr[q]);
    }
    for (size_t q = 0; pass == 0 && q < nd; q++)
      if (probe[row[q]] && lr[q].obj < fprobe) fprobe = lr[q].obj;
  }
  free(probe);
  size_t best = polish_best(&w->sv[0], lr, nd);
  res->np = w->np;
  res->nfree = nf;
  res->nstarts = nd;
  res->best_start = row[best];
  free(row);
  res->objective = lr[best].obj;
  res->converged = lr[best].converged;
  for (int t = 0; t < w->nthreads; t++) {
    res->iterations += w->sv[t].iters;
    res->evaluations += w->sv[t].evals;
  }
  if (!(lr[best].obj < w->huge)) {
    free(lr);
    return sf_fail(SF_ENUMERIC, "law '%s' cannot be evaluated on this data from any of the %zu start%s", sf_law_label(w->law),
                   nd, sf_plural(nd));
  }
  double bth[MAXP];
  phi_to_theta(w, lr[best].phi, bth, NULL);
  for (size_t k = 0; k < nd; k++) {
    if (lr[k].converged) res->nconverged++;
    if (lr[k].abandoned) res->nabandoned++;
    if (!(lr[k].obj <= lr[best].obj + w->o.basin_rtol * fabs(lr[best].obj))) continue;
    double th[MAXP];
    phi_to_theta(w, lr[k].phi, th, NULL);
    int close = 1;
    for (size_t j = 0; j < w->np && close; j++)
      close = fabs(th[j] - bth[j]) <= w->o.basin_ptol * (1 + fabs(bth[j]));
    if (close) res->best_basin++;
  }
  memcpy(res->theta, bth, w->np * sizeof *bth);
  /* a pinned parameter reads back as given: exp(log 400) is 399.9999999999999 */
  for (size_t j = 0; j < w->np; j++)
    res->params[j] = w->o.fixed[j] ? w->o.fix_value[j] : sf_param_natural(&w->law->par[j], bth[j]);
  free(lr);
  finish_stats(&w->sv[0], res);
  res->seconds = now_seconds() - t0;
  return SF_OK;
}

/* ---- bootstrap ---- */

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void sf_fit_resample_counts(size_t n, unsigned long long seed, size_t k, size_t *count) {
  uint64_t st = (uint64_t)seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(k + 1));
  splitmix64(&st);
  memset(count, 0, n * sizeof *count);
  for (size_t i = 0; i < n; i++) {
    uint64_t u = splitmix64(&st);
    count[(size_t)(((unsigned __int128)u * n) >> 64)]++; /* multiply-shift: uniform to 2^-64 */
  }
}

/* Draws resample k into s's buffers as distinct points with integer weights (a point drawn
 * c times counts c times: the same objective as the duplicated data, fewer evaluations). A run
 * keeps its sigma: the pairs (x, y, sigma) are resampled together. */
static void draw_resample(solver *s, const sf_law_data *d, const double *ty, const double *is, const double *weights,
                          uint64_t seed, size_t k) {
  const size_t n = d->n;
  sf_fit_resample_counts(n, seed, k, s->count);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!s->count[i]) continue;
    for (size_t v = 0; v < d->nvar; v++) {
      s->bx[v][m] = d->x[v][i];
      s->blx[v][m] = d->lx[v] ? d->lx[v][i] : NAN;
    }
    s->by[m] = ty[i];
    s->bis[m] = is[i];
    s->bw[m] = (double)s->count[i] * weights[i];
    m++;
  }
  s->d.n = m;
  s->d.nvar = d->nvar;
  for (size_t v = 0; v < d->nvar; v++) {
    s->d.x[v] = s->bx[v];
    s->d.lx[v] = s->blx[v];
  }
  s->ty = s->by;
  s->is = s->bis;
  s->wt = s->bw;
  s->fj_ok = 0;
  solver_rows(s, m);
}

/* Full multi-start on the solver's current data (every start is run to the explore rule, the
 * best few polished); lr holds nstarts results. Starts run in order, so the best objective so
 * far is known: a start still above opts.abandon times it whose progress has slowed below
 * ABANDON_RATE per iteration is given up early (it is heading for a worse basin or a plateau).
 * Measured on the Chinchilla grid: 94% of starts end above 3x the best objective, and ~70% of
 * iterations go to them; tests/unit/test_fit.c checks that the bootstrap's optimum equals the
 * plain full-grid fit of the same resample. */

static void multistart_serial(solver *s, const double *starts, size_t nstarts, local_result *lr, double *best_phi,
                              double *best_obj, int *ok) {
  double fbest = INFINITY;
  for (size_t k = 0; k < nstarts; k++) {
    local_fit(s, starts + k * s->w->np, s->w->o.abandon > 0 ? s->w->o.abandon * fbest : INFINITY, &lr[k]);
    if (lr[k].obj < fbest) fbest = lr[k].obj;
  }
  size_t b = polish_best(s, lr, nstarts);
  memcpy(best_phi, lr[b].phi, s->w->nfree * sizeof *best_phi);
  *best_obj = lr[b].obj;
  *ok = lr[b].obj < s->w->huge;
}

int sf_fit_bootstrap(sf_fit_workspace *w, const sf_law_data *d, const double *y, const double *sigma,
                     const double *weights, const double *starts, size_t nstarts, size_t K, unsigned long long seed,
                     double *samples, double *objectives, size_t *nfailed) {
  int rc = sf_fit_check(w, d, y, sigma, weights);
  if (rc) return rc;
  prepare_data(w, y, sigma, weights, d->n);
  size_t fails = 0, done = 0;
  if (nstarts == 0) return sf_fail(SF_EUSAGE, "no starting points");
  const size_t nt = (size_t)w->nthreads, np = w->np;
  /* each distinct start once (distinct_starts): in the serial order every copy of a start after
   * its first meets a threshold no higher, so it ends no better, and the result is unchanged */
  size_t *row, nd;
  if ((rc = distinct_starts(w, starts, nstarts, &row, NULL, &nd))) return rc;
  double *ust = malloc(nd * np * sizeof *ust);
  local_result *lr = malloc(nt * nd * sizeof *lr);
  if (!ust || !lr) {
    free(row);
    free(ust);
    free(lr);
    return sf_fail(SF_ENOMEM, "out of memory for %zu starts", nd);
  }
  for (size_t q = 0; q < nd; q++) memcpy(ust + q * np, starts + row[q] * np, np * sizeof *ust);
  free(row);
#pragma omp parallel for schedule(dynamic, 1) num_threads(w->nthreads) reduction(+ : fails) shared(done)
  for (size_t k = 0; k < K; k++) {
#ifdef _OPENMP
    size_t t = (size_t)omp_get_thread_num();
#else
    size_t t = 0;
#endif
    solver *s = &w->sv[t];
    draw_resample(s, d, w->ty, w->is, w->wt, seed, k);
    double phi[MAXP], obj, th[MAXP];
    int ok;
    multistart_serial(s, ust, nd, lr + t * nd, phi, &obj, &ok);
    if (objectives) objectives[k] = ok ? obj : NAN;
    phi_to_theta(w, phi, th, NULL);
    for (size_t j = 0; j < w->np; j++)
      samples[k * w->np + j] = !ok ? NAN : w->o.fixed[j] ? w->o.fix_value[j] : sf_param_natural(&w->law->par[j], th[j]);
    if (!ok) fails++;
    if (w->o.progress) {
#pragma omp critical(sf_fit_bootstrap_progress)
      w->o.progress(w->o.progress_ctx, ++done, K);
    }
  }
  free(lr);
  free(ust);
  if (nfailed) *nfailed = fails;
  return SF_OK;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int sf_fit_percentile(const double *samples, size_t K, size_t np, size_t j, double level, double *lo, double *hi) {
  double *v = malloc((K ? K : 1) * sizeof *v);
  if (!v) return sf_fail(SF_ENOMEM, "out of memory");
  size_t m = 0;
  for (size_t k = 0; k < K; k++)
    if (isfinite(samples[k * np + j])) v[m++] = samples[k * np + j];
  if (m < 2) {
    free(v);
    *lo = *hi = NAN;
    return sf_fail(SF_ENUMERIC, "fewer than 2 bootstrap fits succeeded");
  }
  qsort(v, m, sizeof *v, cmp_double);
  double a = (1 - level) / 2, q[2] = {a, 1 - a}, out[2];
  for (int t = 0; t < 2; t++) { /* linear interpolation between order statistics (numpy's default) */
    double pos = q[t] * (double)(m - 1);
    size_t i = (size_t)pos;
    out[t] = i + 1 < m ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[m - 1];
  }
  *lo = out[0];
  *hi = out[1];
  free(v);
  return SF_OK;
}

int sf_fit_residuals(const sf_law *law, const sf_law_data *d, const double *y, sf_space space, const double *params,
                     double *r) {
  double theta[MAXP];
  for (size_t j = 0; j < law->np; j++) {
    theta[j] = sf_param_internal(&law->par[j], params[j]);
    if (!isfinite(theta[j])) return sf_fail(SF_ENUMERIC, "parameter '%s' = %g is outside its range", law->par[j].name, params[j]);
  }
  double *scratch = malloc((law->nscratch ? law->nscratch : 1) * sizeof *scratch);
  if (!scratch) return sf_fail(SF_ENOMEM, "out of memory");
  int bad = law->eval(law, d, theta, r, NULL, scratch);
  free(scratch);
  if (bad) return sf_fail(SF_ENUMERIC, "law '%s' cannot be evaluated at these parameters", sf_law_label(law));
  for (size_t i = 0; i < d->n; i++) {
    if (space == SF_SPACE_LOG) {
      if (!(r[i] > 0)) return sf_fail(SF_ENUMERIC, "law '%s' predicts %g at point %zu: no log residual", sf_law_label(law), r[i], i + 1);
      r[i] = log(r[i]) - log(y[i]);
    } else {
      r[i] -= y[i];
    }
  }
  return SF_OK;
}
