/* optimal.c: compute-optimal allocation (N, D for a budget C) and its inverse, the budget that
 * reaches a target value.
 *
 * For Chinchilla's law the optimum has a closed form (Hoffmann et al. 2022, Eq. 4); for any
 * other law of N and D it is found numerically along the budget line D = C / flops_per_token(N):
 * a log-spaced scan over N brackets the minimum (the scan also tells an optimum that runs off the
 * end, which a local method alone would silently return), then Brent's method polishes it in
 * log N. The target search is the same pattern one level up: scan log C, then Brent's root
 * finder on the bracketing step (stepping down below the scan's bottom when the target is met
 * there already).
 */
#include <scalefit/sf_cost.h>
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static double flops_per_token(const sf_alloc_opts *o, double N) {
  if (o && o->n_layer > 0) return sf_flops_train(N, 1.0, o->n_layer, o->n_ctx, o->d_model);
  return 6.0 * N;
}

void sf_optimal_chinchilla(const double *p, double C, double *N, double *D) {
  const double A = p[1], B = p[2], alpha = p[3], beta = p[4];
  double G = pow(alpha * A / (beta * B), 1.0 / (alpha + beta));
  *N = G * pow(C / 6.0, beta / (alpha + beta));
  *D = (C / 6.0) / *N;
}

/* The law of (N, D) at u = log N on the budget line. */
typedef struct line_ctx {
  const sf_fitfile *ff;
  const double *params;
  const sf_alloc_opts *o;
  double C;
  int failed;
} line_ctx;

static double on_line(double u, void *vctx) {
  line_ctx *c = vctx;
  double N = exp(u), x[SF_LAW_MAXVAR] = {0}, f;
  x[c->ff->var_N] = N;
  x[c->ff->var_D] = c->C / flops_per_token(c->o, N);
  if (sf_forecast_eval(c->ff->law, c->params, x, &f, NULL) != SF_OK) {
    c->failed = 1;
    return HUGE_VAL;
  }
  return f;
}

#define SCAN_POINTS 240

static int minimise_line(const sf_fitfile *ff, const double *params, double C, const sf_alloc_opts *o, double *Nopt) {
  line_ctx ctx = {ff, params, o, C, 0};
  double attn = flops_per_token(o, 0.0); /* per-token FLOPs that do not scale with N */
  double nmax = (C - attn) / 6.0;        /* D >= 1 */
  if (!(nmax > 10))
    return sf_fail(SF_EUSAGE, "budget C = %g FLOP is too small for any model (attention alone costs %g per token)", C,
                   attn);
  double umax = log(nmax), best = HUGE_VAL, f[SCAN_POINTS];
  size_t ib = 0;
  for (size_t i = 0; i < SCAN_POINTS; i++) {
    f[i] = on_line(umax * (double)i / (SCAN_POINTS - 1), &ctx);
    if (f[i] < best) {
      best = f[i];
      ib = i;
    }
  }
  if (!isfinite(best)) return sf_fail(SF_ENUMERIC, "law '%s' cannot be evaluated along the budget C = %g", sf_law_label(ff->law), C);
  if (ib == 0 || ib == SCAN_POINTS - 1)
    return sf_fail(SF_ENUMERIC,
                   "no interior optimum at C = %g FLOP: law '%s' keeps falling towards N = %g along C = 6ND", C,
                   sf_law_label(ff->law), ib == 0 ? 1.0 : nmax);
  double a = umax * (double)(ib - 1) / (SCAN_POINTS - 1), b = umax * (double)(ib + 1) / (SCAN_POINTS - 1);
  double m = umax * (double)ib / (SCAN_POINTS - 1);
  /* Brent needs f(m) strictly below both ends. Equal neighbours mean the law is flat to rounding
   * there (the reducible loss lost below E's last digit at an absurd budget): the first scan point
   * of the plateau was returned as the optimum, 1e55 parameters at 1e300 FLOP where the closed
   * form says 4e152. */
  if (!(f[ib] < f[ib - 1] && f[ib] < f[ib + 1]))
    return sf_fail(SF_ENUMERIC,
                   "law '%s' is flat to rounding along C = %g FLOP (its loss changes by less than its last digit "
                   "near the optimum): no optimum can be told apart at this budget",
                   sf_law_label(ff->law), C);
  gsl_function F = {on_line, &ctx};
  gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
  if (!s) return sf_fail(SF_ENOMEM, "out of memory");
  int st = gsl_min_fminimizer_set_with_values(s, &F, m, f[ib], a, f[ib - 1], b, f[ib + 1]);
  for (int it = 0; st == GSL_SUCCESS && it < 200; it++) {
    st = gsl_min_fminimizer_iterate(s);
    if (st != GSL_SUCCESS) break;
    st = gsl_min_test_interval(gsl_min_fminimizer_x_lower(s), gsl_min_fminimizer_x_upper(s), 1e-12, 0);
    if (st == GSL_SUCCESS) break;
    if (st == GSL_CONTINUE) st = GSL_SUCCESS;
  }
  double u = gsl_min_fminimizer_x_minimum(s);
  gsl_min_fminimizer_free(s);
  if (st != GSL_SUCCESS || ctx.failed)
    return sf_fail(SF_ENUMERIC, "minimisation along C = %g did not converge (%s)", C, gsl_strerror(st));
  *Nopt = exp(u);
  return SF_OK;
}

static int is_chinchilla(const sf_fitfile *ff) {
  return strcmp(ff->law->name, "chinchilla") == 0 && ff->var_N == 0 && ff->var_D == 1;
}

int sf_optimal(const sf_fitfile *ff, const double *params, double C, const sf_alloc_opts *o, sf_optimum *out) {
  if (!(C > 0) || !isfinite(C)) return sf_fail(SF_EUSAGE, "compute budget must be a positive number of FLOP, got %g", C);
  memset(out, 0, sizeof *out);
  out->C = C;
  out->loss = NAN;
  double attn = flops_per_token(o, 0.0);
  int rc = SF_OK;
  switch (ff->alloc) {
  case SF_ALLOC_ND: {
    if (is_chinchilla(ff) && !(o && (o->numeric || o->n_layer > 0))) {
      sf_optimal_chinchilla(params, C, &out->N, &out->D);
    } else {
      rc = minimise_line(ff, params, C, o, &out->N);
      if (rc != SF_OK) return rc;
      out->D = C / flops_per_token(o, out->N);
    }
    double x[SF_LAW_MAXVAR] = {0};
    x[ff->var_N] = out->N;
    x[ff->var_D] = out->D;
    rc = sf_forecast_eval(ff->law, params, x, &out->loss, NULL);
    break;
  }
  case SF_ALLOC_DOPT:
    rc = sf_forecast_eval(ff->law, params, &C, &out->D, NULL);
    if (rc == SF_OK) out->N = (C / out->D - attn) / 6.0;
    break;
  case SF_ALLOC_NOPT:
    rc = sf_forecast_eval(ff->law, params, &C, &out->N, NULL);
    if (rc == SF_OK) out->D = C / flops_per_token(o, out->N);
    break;
  default: {
    char vars[256];
    return sf_fail(SF_EUSAGE,
                   "law '%s' of %s predicts '%s'; compute-optimal allocation needs a law of N and D, or a published "
                   "N_opt / D_opt law of C",
                   sf_law_label(ff->law), sf_fitfile_vars_text(ff, vars, sizeof vars), ff->output);
  }
  }
  if (rc != SF_OK) return rc;
  if (!(out->N > 0 && out->D > 0))
    return sf_fail(SF_ENUMERIC, "allocation at C = %g gives N = %g, D = %g (no room for the attention term?)", C, out->N,
                   out->D);
  out->tokens_per_param = out->D / out->N;
  return SF_OK;
}

int sf_value_at_compute(const sf_fitfile *ff, const double *params, double C, const sf_alloc_opts *o, double *value,
                        sf_optimum *opt) {
  if (ff->alloc == SF_ALLOC_ND) {
    int rc = sf_optimal(ff, params, C, o, opt);
    *value = opt->loss;
    return rc;
  }
  if (ff->nvar == 1 && ff->var_C == 0 && ff->alloc == SF_ALLOC_NONE) {
    memset(opt, 0, sizeof *opt);
    opt->C = C;
    opt->N = opt->D = opt->tokens_per_param = NAN;
    int rc = sf_forecast_eval(ff->law, params, &C, value, NULL);
    opt->loss = *value;
    return rc;
  }
  return sf_fail(SF_EUSAGE, "law '%s' predicts '%s' from %s; a value at a compute budget needs a law of C, or of N and D",
                 sf_law_label(ff->law), ff->output, ff->vars[0]);
}

typedef struct root_ctx {
  const sf_fitfile *ff;
  const double *params;
  const sf_alloc_opts *o;
  double target;
  int failed;
} root_ctx;

static double gap(double lc, void *vctx) {
  root_ctx *c = vctx;
  double v;
  sf_optimum opt;
  if (sf_value_at_compute(c->ff, c->params, pow(10, lc), c->o, &v, &opt) != SF_OK) {
    c->failed = 1;
    return NAN;
  }
  return v - c->target;
}

#define TARGET_STEPS 60

/* 1 when the optimum at budget 10^lc trains less than one parameter or on less than one token (a
 * law of N and D only): below the floor of the search, as 6 FLOP is for a law of C alone. A budget
 * the law cannot be evaluated at is gap()'s to report, not this. */
static int below_unit(root_ctx *c, double lc) {
  if (c->ff->alloc != SF_ALLOC_ND) return 0;
  double v;
  sf_optimum opt;
  if (sf_value_at_compute(c->ff, c->params, pow(10, lc), c->o, &v, &opt) != SF_OK) {
    sf_error_clear();
    return 0;
  }
  return opt.N < 1 || opt.D < 1;
}

/* The lowest log budget in [lo, hi] whose optimum trains at least one parameter on one token, lo
 * below that and hi not (the optimum's N and D grow with the budget): bisection to 1e-12 decades */
static double unit_floor(root_ctx *c, double lo, double hi) {
  for (int it = 0; it < 100 && hi - lo > 1e-12; it++) {
    double mid = 0.5 * (lo + hi);
    if (below_unit(c, mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

double sf_target_cmin(const sf_alloc_opts *o) {
  /* with attention counted a token costs its attention FLOPs whatever N is: at 1e10 FLOP a 80-layer,
   * 8192-wide, 8192-context shape (3.2e10 per token) trains no token, and every target failed with
   * "budget C = 1e+10 FLOP is too small" though the user asked for no such budget */
  return fmax(SF_TARGET_CMIN, 1e3 * flops_per_token(o, 0.0));
}

/* Brent's root finder for the gap on [a, b], which brackets it; *lc the root in log10 C */
static int solve_gap(root_ctx *ctx, double a, double b, double *lc) {
  gsl_function F = {gap, ctx};
  gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!s) return sf_fail(SF_ENOMEM, "out of memory");
  int st = gsl_root_fsolver_set(s, &F, a, b);
  for (int it = 0; st == GSL_SUCCESS && it < 200; it++) {
    st = gsl_root_fsolver_iterate(s);
    if (st != GSL_SUCCESS) break;
    st = gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), 1e-12, 0);
    if (st == GSL_SUCCESS) break;
    if (st == GSL_CONTINUE) st = GSL_SUCCESS;
  }
  *lc = gsl_root_fsolver_root(s);
  gsl_root_fsolver_free(s);
  if (st != GSL_SUCCESS || ctx->failed)
    return sf_fail(SF_ENUMERIC, "root finding for target %g did not converge (%s)", ctx->target, gsl_strerror(st));
  return SF_OK;
}

int sf_target(const sf_fitfile *ff, const double *params, double target, const sf_alloc_opts *o, sf_optimum *opt,
              int *reached) {
  if (!isfinite(target)) return sf_fail(SF_EUSAGE, "target must be a finite number");
  root_ctx ctx = {ff, params, o, target, 0};
  const double cmin = sf_target_cmin(o), l0 = log10(cmin), l1 = log10(SF_TARGET_CMAX);
  const double step = (l1 - l0) / TARGET_STEPS;
  double g0 = gap(l0, &ctx), g1 = gap(l1, &ctx);
  if (ctx.failed) return sf_errcode() ? sf_errcode() : SF_ENUMERIC;
  /* a loss falls with compute; an accuracy rises. Read off the values, not the gaps: a target far
   * from the law rounds both gaps to the same number and would hide the direction */
  double v0, v1;
  sf_optimum ends;
  if (sf_value_at_compute(ff, params, cmin, o, &v0, &ends) != SF_OK ||
      sf_value_at_compute(ff, params, SF_TARGET_CMAX, o, &v1, &ends) != SF_OK)
    return sf_errcode() ? sf_errcode() : SF_ENUMERIC;
  int falling = v1 < v0;
  /* "reached" means the value is at or past the target in the law's own direction */
#define PAST(g) (falling ? (g) <= 0 : (g) >= 0)
  *reached = 0;
  double lc = NAN, v;
  int rc;
  if (PAST(g0)) {
    /* met at the bottom of the scan already. That bottom is where a scan of every law can start
     * (a numerically minimised law may have no interior optimum far below it), not an answer:
     * reporting it clamped the lower end of a bootstrap band there, though half the refits reached
     * the target two decades lower. So step down until the target is not met, and solve in that
     * step; a budget the law cannot be evaluated at, or SF_TARGET_CFLOOR, ends the walk, and the
     * lowest budget evaluated is then the answer with *reached = -1. */
    double hi = l0;
    double lfloor = log10(SF_TARGET_CFLOOR);
    while (hi > lfloor) {
      double l = fmax(hi - step, lfloor);
      /* a budget whose optimum is less than one parameter or one token is below the floor too: the
       * walk ends at the budget where it is one (a loss of 200 was "reached" with N = 0.003) */
      if (below_unit(&ctx, l)) lfloor = l = unit_floor(&ctx, l, hi);
      double g = gap(l, &ctx);
      if (ctx.failed) { /* the law has no value here: the walk ends, not the search */
        sf_error_clear();
        ctx.failed = 0;
        break;
      }
      if (!PAST(g)) {
        if ((rc = solve_gap(&ctx, l, hi, &lc)) != SF_OK) return rc;
        *reached = 1;
        return sf_value_at_compute(ff, params, pow(10, lc), o, &v, opt);
      }
      if (g == 0) {
        *reached = 1;
        return sf_value_at_compute(ff, params, pow(10, l), o, &v, opt);
      }
      hi = l;
    }
    *reached = -1;
    return sf_value_at_compute(ff, params, pow(10, hi), o, &v, opt);
  }
  double prev = l0;
  for (int i = 1; i <= TARGET_STEPS; i++) {
    double l = l0 + step * i, g = i == TARGET_STEPS ? g1 : gap(l, &ctx);
    if (ctx.failed) return sf_errcode() ? sf_errcode() : SF_ENUMERIC;
    if (PAST(g)) {
      if (g == 0) lc = l;
      else if ((rc = solve_gap(&ctx, prev, l, &lc)) != SF_OK) return rc;
      break;
    }
    prev = l;
  }
#undef PAST
  if (isnan(lc)) {
    memset(opt, 0, sizeof *opt);
    opt->C = opt->N = opt->D = opt->tokens_per_param = HUGE_VAL;
    opt->loss = NAN;
    return SF_OK;
  }
  *reached = 1;
  return sf_value_at_compute(ff, params, pow(10, lc), o, &v, opt);
}

double sf_target_floor(const sf_fitfile *ff, const double *params, const sf_alloc_opts *o) {
  root_ctx ctx = {ff, params, o, 0, 0};
  double l = log10(SF_TARGET_CFLOOR);
  if (below_unit(&ctx, l)) l = unit_floor(&ctx, l, log10(SF_TARGET_CMAX));
  return pow(10, l);
}

int sf_target_clip_band(const sf_fitfile *ff, const sf_alloc_opts *o, sf_band b[3]) {
  if (b[0].kind != SF_BAND_DELTA) return 0;
  int clipped = 0;
  double floor[3] = {sf_target_floor(ff, ff->params, o), 1, 1};
  for (int k = 0; k < 3; k++)
    if (b[k].kind == SF_BAND_DELTA && b[k].lo < floor[k]) b[k].lo = floor[k], clipped = 1;
  return clipped;
}

/* the law's irreducible term E, where it has one by that name, else -1 */
static int floor_index(const sf_fitfile *ff) {
  int jE = sf_law_param_index(ff->law, "E");
  return jE >= 0 && strcmp(ff->law->par[jE].name, "E") == 0 ? jE : -1;
}

static int floor_fn(const double *params, void *ctx, double *out) {
  out[0] = params[*(const int *)ctx];
  return SF_OK;
}

int sf_target_floor_band(const sf_fitfile *ff, sf_band *b) {
  int jE = floor_index(ff);
  if (jE < 0) return 0;
  if (sf_forecast_band(ff, floor_fn, &jE, 1, b) != SF_OK) *b = (sf_band){ff->params[jE], NAN, NAN, SF_BAND_NONE, 0};
  return 1;
}

void sf_target_verdict(const sf_fitfile *ff, double target, int reached, const sf_optimum *opt, char *buf, size_t n) {
  sf_band Eb;
  double E = sf_target_floor_band(ff, &Eb) ? Eb.value : NAN;
  if (reached == 1) {
    char c[32];
    sf_fmt_compute(c, sizeof c, opt->C); /* as the C line under it shows it */
    snprintf(buf, n, "reached at C = %s FLOP", c);
  }
  else if (reached == -1 && opt && opt->C > SF_TARGET_CFLOOR * (1 + 1e-9))
    snprintf(buf, n, "already reached at %.3g FLOP, the smallest budget at which the law could be evaluated%s", opt->C,
             ff->alloc == SF_ALLOC_ND ? " with an optimum of one parameter or more trained on one token or more" : "");
  else if (reached == -1)
    snprintf(buf, n, "already reached at %g FLOP (one parameter trained on one token), the bottom of the search",
             SF_TARGET_CFLOOR);
  else if (!isnan(E) && target <= E) {
    /* the reason, and how sure the fit is of it: E's band says whether the verdict could go the
     * other way (the share of refits with E below the target is printed beside it) */
    char e[96];
    sf_fmt_band(e, sizeof e, E, Eb.lo, Eb.hi, sf_fmt_value);
    char level[48] = "";
    if (!isnan(Eb.lo))
      snprintf(level, sizeof level, " (%.0f%% %s band)", 100 * ff->ci_level,
               Eb.kind == SF_BAND_BOOTSTRAP ? "bootstrap" : "delta-method");
    snprintf(buf, n, "unreachable: the target %g is at or below the fitted irreducible loss E = %s%s, the loss at "
             "infinite compute", target, e, level);
  }
  else if (!strcmp(ff->law->name, "sigmoid") && (ff->params[1] >= ff->params[0] ? target >= ff->params[1]
                                                                                  : target <= ff->params[1]))
    /* the sigmoid's level at infinite compute is hi: "not reached below 1e40" hid that no budget ever does */
    snprintf(buf, n, "unreachable: the target %g is at or beyond the sigmoid's ceiling hi = %.4g", target,
             ff->params[1]);
  else snprintf(buf, n, "not reached below %.0e FLOP", SF_TARGET_CMAX);
}

size_t sf_target_unsolved(const sf_fitfile *ff, const sf_band *C) {
  /* not C->kind: with fewer than 2 refits solved there is no band, and all but those are unsolved */
  return ff->K >= 2 && C->n_ok < ff->K ? ff->K - C->n_ok : 0;
}

double sf_target_prob_reachable(const sf_fitfile *ff, double target, const sf_alloc_opts *o) {
  if (ff->K < 1) return NAN;
  int jE = sf_law_param_index(ff->law, "E");
  if (jE >= 0 && strcmp(ff->law->par[jE].name, "E") != 0) jE = -1;
  size_t ok = 0, n = 0;
  for (size_t r = 0; r < ff->K; r++) {
    const double *p = ff->samples + r * ff->np;
    if (jE >= 0) {
      ok += p[jE] < target;
      n++;
      continue;
    }
    sf_optimum opt;
    int reached;
    if (sf_target(ff, p, target, o, &opt, &reached) != SF_OK) continue;
    ok += reached != 0;
    n++;
  }
  return n ? (double)ok / (double)n : NAN;
}
