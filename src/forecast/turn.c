/* turn.c: does a capability's growth with compute turn into a sigmoid?
 *
 * Three laws are fitted to (x, y) by least squares in linear space, so that their residual sums,
 * AICc and BIC are comparable: two growth laws with no ceiling (loglinear: y = a + b log10 x;
 * power: y = A x^-alpha with alpha < 0 for growth) and a sigmoid in log10 x whose floor is pinned
 * at the metric's chance level and whose ceiling is bounded by the metric's maximum. The sigmoid's
 * inflection x0 (10^x0 in x) gets a bootstrap interval; each law is refitted without the largest
 * runs and scored on them; and the compute where the best growth law and the sigmoid part by more
 * than a tolerance says from where on the choice matters.
 *
 * The laws are ranked by AICc, not AIC: a turn analysis has tens of runs and 2 or 3 free parameters,
 * far below Burnham & Anderson's n/k < 40, where AIC's 2k under-charges the sigmoid's third one
 * (AICc charges it 2 + 24/(n-4) - 12/(n-3): 2.75 at n = 21, 10 at n = 6).
 *
 * The verdict is deliberately conservative: saturation is "supported" only when the sigmoid wins
 * on both AICc and BIC by a margin AND its inflection is identified: most resamples refit, the
 * bootstrap interval lies within half a decade of the data, and at least 3 runs lie beyond it on
 * each side (so the curve's bend towards the ceiling is observed, not only its rise from chance).
 * An inflection beyond the data is a guess about runs nobody trained, and is reported as such.
 *
 * The turn chart's bands are made here too (sf_turn_resample, sf_turn_band), not in the chart
 * layer: they are this analysis refitted on resampled runs, and the chart only draws them.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_store.h>

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* The inflection and its interval, in the verdict, the text's lines and the report alike: 3
 * significant digits with zeros kept ("1.34e+23 [8.30e+22, 2.40e+23]"); the verdict once showed 2
 * under lines that showed 3. */
static void fmt_x(char *buf, size_t n, double v) {
  sf_fmt_sig(buf, n, v, 3);
}

void sf_turn_opts_default(sf_turn_opts *o) {
  memset(o, 0, sizeof *o);
  o->chance = 0.25;
  o->max = 1.0;
  o->holdout = 0;
  o->bootstrap = 200;
  o->seed = 1;
  o->tol = 0.05;
  o->level = 0.95;
  o->delta_ic = 2.0;
}

/* "--chance 0.5" for the commands, "chance = 0.5" for a report spec (o->opt_prefix) */
static const char *chance_opt(const sf_turn_opts *o, double c, char *buf, size_t size) {
  if (o->opt_prefix && !strcmp(o->opt_prefix, "--")) snprintf(buf, size, "--chance %.3g", c);
  else snprintf(buf, size, "chance = %.3g", c);
  return buf;
}

/* A chance level the data contradict: runs more than a tenth of (max - chance) below it (0.175 for
 * 4-way multiple choice) are not noise around chance (MMLU's 14k questions give a standard error
 * of 0.004 there, ARC-C's 1.2k 0.013), and a sigmoid pinned at chance would lie above them all.
 * More than a tenth of the runs so far below (and at least 3) means the metric has another chance
 * level: GSM8K or HumanEval (generated answers, chance 0) under the default 0.25. */
#define SF_TURN_BELOW_DEPTH 0.1
#define SF_TURN_BELOW_FRAC 0.1

/* A chance level that looks too low: the opposite error, a binary task (Winogrande, chance 0.5) under
 * the default 0.25. Nothing is contradicted (no run lies below the floor), but the floor is pinned
 * where no run is, and the sigmoid spends its rise from chance in that empty gap: on the obsscaling
 * Winograd scores its inflection moves from 7.3e22 to 9e21 FLOP and saturation goes from "supported"
 * to "no clear sign". The floor is taken as unobserved when fewer than 3 runs score within a tenth
 * of (max - chance) of it (HellaSwag's smallest models have 7 there, MMLU's 64); the data point at
 * another level when the lowest score lies within a tenth of (max - c) of a common chance level
 * c = max/k, k = 2..5, above chance, with at least 3 and more than a tenth of the runs that close
 * to c: the lowest scores pile up at c, as a floor does. A warning, not a refusal: a set of only
 * large models can sit at 0.5 on a 4-way task too (the published models' MMLU starts at 0.25
 * with PaLM 8B and is not flat at 0.5, so it passes). */
#define SF_TURN_LEVEL_KMAX 5

/* the sigmoid's floor for --chance 0, as a fraction of the metric's maximum */
#define SF_TURN_MIN_FLOOR 1e-9

static const char *const law_names[SF_TURN_NLAWS] = {"loglinear", "power0", "sigmoid"};
static const char *const law_labels[SF_TURN_NLAWS] = {"loglinear", "power", "sigmoid"};

/* One fit of law l on (x, y)[0..n): options, starts (the catalogue's plus our own), result. */
typedef struct turn_fit {
  const sf_law *law;
  sf_fit_opts o;
  double *starts;
  size_t nstarts;
} turn_fit;

static void fit_free(turn_fit *f) { free(f->starts); }

static void make_data(sf_law_data *d, const double *x, const double *lx, size_t n) {
  memset(d, 0, sizeof *d);
  d->n = n;
  d->nvar = 1;
  d->x[0] = x;
  d->lx[0] = lx;
}

static int fit_setup(turn_fit *f, int l, const sf_turn_opts *o, const sf_law_data *d, const double *y) {
  memset(f, 0, sizeof *f);
  f->law = sf_law_find(law_names[l]);
  if (!f->law) return sf_fail(SF_EINTERNAL, "law '%s' missing from the catalogue", law_names[l]);
  sf_fit_opts_default(&f->o, f->law);
  f->o.space = SF_SPACE_LINEAR;
  f->o.loss = SF_LOSS_L2;
  f->o.threads = 1;
  if (l == SF_TURN_SIGMOID) {
    f->o.fixed[0] = 1;
    /* the catalogue's floor lives in the open (0, 1): a metric with no chance level (generated
     * answers, --chance 0) is pinned a hair above 0 instead, far below any score's resolution */
    f->o.fix_value[0] = o->chance > SF_TURN_MIN_FLOOR ? o->chance : SF_TURN_MIN_FLOOR;
    f->o.bounded[1] = 1;
    f->o.lo[1] = o->chance;
    f->o.hi[1] = o->max;
  }
  size_t nc = f->law->starts(f->law, d, y, NULL, 0);
  size_t extra = 12, np = f->law->np;
  f->starts = malloc((nc + extra) * np * sizeof *f->starts);
  if (!f->starts) return sf_fail(SF_ENOMEM, "out of memory");
  nc = f->law->starts(f->law, d, y, f->starts, nc);
  /* our own starts: least squares on the straight-line forms, and sigmoids centred beyond the
   * data (the catalogue centres them inside; an inflection outside must be reachable too) */
  double sx = 0, sy = 0, sxx = 0, sxy = 0, sly = 0, slxy = 0, xmin = HUGE_VAL, xmax = -HUGE_VAL;
  size_t npos = 0;
  for (size_t i = 0; i < d->n; i++) {
    double t = d->lx[0][i] / log(10.0);
    sx += t;
    sxx += t * t;
    sy += y[i];
    sxy += t * y[i];
    if (y[i] > 0) {
      sly += log(y[i]);
      slxy += d->lx[0][i] * log(y[i]);
      npos++;
    }
    if (t < xmin) xmin = t;
    if (t > xmax) xmax = t;
  }
  double n = (double)d->n, det = n * sxx - sx * sx;
  double *s = f->starts + nc * np;
  if (l == SF_TURN_LOGLINEAR && det > 0) {
    s[1] = (n * sxy - sx * sy) / det;
    s[0] = (sy - s[1] * sx) / n;
    nc++;
  } else if (l == SF_TURN_POWER && det > 0 && npos == d->n) {
    /* log y = log A - alpha ln x */
    double l10 = log(10.0), slope = (n * slxy / l10 - sx * sly) / det / l10; /* d log y / d ln x */
    s[1] = -slope;
    s[0] = (sly - slope * sx * l10) / n;
    nc++;
  } else if (l == SF_TURN_SIGMOID) {
    double hi = o->chance + 0.9 * (o->max - o->chance);
    const double ks[3] = {0.5, 1.5, 4};
    for (int q = 0; q < 3; q++)
      for (int b = 0; b < 3; b++) {
        double x0 = xmax + 0.5 + q; /* beyond the data */
        if (b == 2) x0 = xmin + (xmax - xmin) * (0.25 + 0.25 * q);
        s[0] = 0; /* fixed: ignored */
        s[1] = sf_param_internal(&f->law->par[1], hi < 1 ? hi : 0.99);
        s[2] = log(ks[b]);
        s[3] = x0;
        s += np;
        nc++;
      }
  }
  f->nstarts = nc;
  return SF_OK;
}

/* Fits and returns natural parameters and the linear-space RSS. */
static int fit_once(turn_fit *f, const sf_law_data *d, const double *y, double *params, double *rss, size_t *nfree) {
  sf_fit_workspace *w = sf_fit_alloc(f->law, d->n, &f->o);
  if (!w) return sf_errcode() ? sf_errcode() : SF_ENOMEM;
  sf_fit_result r;
  int rc = sf_fit_run(w, d, y, NULL, NULL, f->starts, f->nstarts, &r);
  sf_fit_free(w);
  if (rc != SF_OK) return rc;
  memcpy(params, r.params, f->law->np * sizeof *params);
  *rss = r.rss;
  if (nfree) *nfree = r.nfree;
  return isfinite(r.rss) ? SF_OK : sf_fail(SF_ENUMERIC, "law '%s' gave a non-finite fit", f->law->name);
}

static double law_at(const sf_law *law, const double *params, double x) {
  double f;
  return sf_forecast_eval(law, params, &x, &f, NULL) == SF_OK ? f : NAN;
}

typedef struct idx_x {
  double x;
  size_t i;
} idx_x;

/* by x, then by y: runs of equal x (an isoFLOP budget, two models of one size) sort the same
 * whatever the rows' order, so the bootstrap's draws and the held-out runs do not depend on it */
static const double *cmp_y;
static int cmp_idx(const void *a, const void *b) {
  const idx_x *p = a, *q = b;
  if (p->x != q->x) return (p->x > q->x) - (p->x < q->x);
  double u = cmp_y[p->i], v = cmp_y[q->i];
  return (u > v) - (u < v);
}

int sf_turn_far_below_chance(const double *y, size_t n, const sf_turn_opts *o, size_t *far, double *lowest) {
  double depth = o->chance - SF_TURN_BELOW_DEPTH * (o->max - o->chance);
  *far = 0, *lowest = HUGE_VAL;
  for (size_t i = 0; i < n; i++) {
    *far += y[i] < depth;
    if (y[i] < *lowest) *lowest = y[i];
  }
  return !o->below_chance_ok && *far >= 3 && (double)*far > SF_TURN_BELOW_FRAC * (double)n;
}

int sf_turn(const double *x, const double *y, size_t n, const sf_turn_opts *o, sf_turn_result *res) {
  memset(res, 0, sizeof *res);
  res->inflection = res->inflection_lo = res->inflection_hi = res->diverge_x = res->chance_suggest = NAN;
  char opt[48];
  if (!(o->max > o->chance) || !(o->chance >= 0))
    return sf_fail(SF_EUSAGE, "the chance level (%g) must be >= 0 and below the maximum (%g)", o->chance, o->max);
  if (n < SF_TURN_MINRUNS)
    return sf_fail(SF_EINPUT, "turn needs at least %d runs with both values, got %zu", SF_TURN_MINRUNS, n);
  res->n = n;
  res->xmin = HUGE_VAL;
  res->xmax = -HUGE_VAL;
  for (size_t i = 0; i < n; i++) {
    if (!(x[i] > 0) || !isfinite(x[i])) return sf_fail(SF_EINPUT, "point %zu: x = %g must be positive", i + 1, x[i]);
    if (!(y[i] >= 0 && y[i] <= o->max))
      return sf_fail(SF_EINPUT, "point %zu: value %g is outside [0, %g] (the metric's range; see --max)", i + 1, y[i],
                     o->max);
    if (y[i] < o->chance) res->n_below_chance++;
    if (x[i] < res->xmin) res->xmin = x[i];
    if (x[i] > res->xmax) res->xmax = x[i];
  }
  {
    double depth = o->chance - SF_TURN_BELOW_DEPTH * (o->max - o->chance), lowest;
    size_t far;
    if (sf_turn_far_below_chance(y, n, o, &far, &lowest))
      return sf_fail(SF_EINPUT,
                     "%zu of %zu runs score below %g, far under the chance level %g (lowest %g): the sigmoid's "
                     "floor is pinned at chance, so this metric's chance level must be lower (give %s "
                     "for answers generated rather than chosen, e.g. GSM8K, HumanEval)",
                     far, n, depth, o->chance, lowest, chance_opt(o, 0, opt, sizeof opt));
  }
  if (!(res->xmax > res->xmin)) return sf_fail(SF_EINPUT, "all runs have the same x = %g", res->xmin);
  res->chance_suggest = NAN;
  res->lowest = HUGE_VAL;
  for (size_t i = 0; i < n; i++) {
    res->n_near_chance += y[i] < o->chance + SF_TURN_BELOW_DEPTH * (o->max - o->chance);
    if (y[i] < res->lowest) res->lowest = y[i];
  }
  for (int k = 2; k <= SF_TURN_LEVEL_KMAX && res->n_near_chance < 3; k++) {
    double c = o->max / k, b = SF_TURN_BELOW_DEPTH * (o->max - c);
    if (c <= o->chance + SF_TURN_BELOW_DEPTH * (o->max - o->chance) || res->lowest < c - b) continue;
    size_t near = 0;
    for (size_t i = 0; i < n; i++) near += y[i] <= c + b;
    if (near >= 3 && (double)near > SF_TURN_BELOW_FRAC * (double)n) {
      res->chance_suggest = c;
      res->n_near_suggest = near;
      static const char *const eg[SF_TURN_LEVEL_KMAX + 1] = {"", "", ", e.g. Winogrande", "", ", e.g. MMLU", ""};
      snprintf(res->chance_warning, sizeof res->chance_warning,
               "the chance level %g looks too low: %zu of %zu runs score below %.3g (lowest %.3g), while %zu lie "
               "within %.3g of %.3g, the chance level of a %d-way choice; the sigmoid's floor is pinned below every "
               "run, which moves its inflection (for a %d-way choice%s, give %s)",
               o->chance, res->n_near_chance, n, o->chance + SF_TURN_BELOW_DEPTH * (o->max - o->chance), res->lowest,
               near, b, c, k, k, eg[k], chance_opt(o, c, opt, sizeof opt));
      break;
    }
  }

  /* sort by x once: the held-out runs are the largest */
  idx_x *ord = malloc(n * sizeof *ord);
  double *xs = malloc(n * sizeof *xs), *lxs = malloc(n * sizeof *lxs), *ys = malloc(n * sizeof *ys);
  if (!ord || !xs || !lxs || !ys) {
    free(ord), free(xs), free(lxs), free(ys);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) ord[i] = (idx_x){x[i], i};
  cmp_y = y;
  qsort(ord, n, sizeof *ord, cmp_idx);
  /* fit on the metric as a fraction of its maximum (the catalogue's sigmoid lives in (0, 1));
   * everything reported is scaled back at the end */
  const double scale = o->max;
  sf_turn_opts nrm = *o;
  nrm.chance /= scale;
  nrm.max = 1;
  nrm.tol /= scale;
  o = &nrm;
  for (size_t i = 0; i < n; i++) {
    xs[i] = ord[i].x;
    lxs[i] = log(ord[i].x);
    ys[i] = y[ord[i].i] / scale;
  }
  /* at least 2 held out, and at least 6 runs left to fit: an explicit --holdout beyond that is cut to
   * n - 6 like the default (it used to fall to 0 at n = 8, where the default holds out 2) */
  size_t h = o->holdout ? o->holdout : n / 5;
  if (h < 2) h = 2;
  if (h > n - 6) h = n - 6 >= 2 ? n - 6 : 0;
  res->n_holdout_asked = h;
  /* whole compute budgets, as `fit --holdout` takes them: runs within 0.1% in x (an isoFLOP budget's
   * differ by the rounding of D) are held out or fitted together. Splitting one scored an
   * interpolation as an extrapolation, and which runs of the budget went depended on the rows' order.
   * The count nearer the one asked (a tie to fewer), within the same limits; neither fits: none. */
  if (h) {
    size_t up = h, down = h;
    while (up < n && xs[n - up - 1] >= xs[n - up] * (1 - 1e-3)) up++;
    while (down > 0 && xs[n - down - 1] >= xs[n - down] * (1 - 1e-3)) down--;
    int okup = up + 6 <= n, okdown = down >= 2;
    if (up != h) h = okdown && (!okup || h - down <= up - h) ? down : okup ? up : 0;
  }
  res->n_holdout = h;

  sf_law_data d, dtrain;
  make_data(&d, xs, lxs, n);
  make_data(&dtrain, xs, lxs, n - h);
  int rc = SF_OK, any = 0;
  turn_fit fits[SF_TURN_NLAWS];
  memset(fits, 0, sizeof fits);
  for (int l = 0; l < SF_TURN_NLAWS; l++) {
    sf_turn_law *L = &res->law[l];
    L->name = law_labels[l];
    L->aic = L->aicc = L->bic = L->rss = L->holdout_error = NAN;
    rc = fit_setup(&fits[l], l, o, &d, ys);
    if (rc != SF_OK) goto done;
    L->formula = fits[l].law->formula;
    L->np = fits[l].law->np;
    for (size_t j = 0; j < L->np; j++) L->param_names[j] = fits[l].law->par[j].name;
    size_t nfree = 0;
    if (fit_once(&fits[l], &d, ys, L->params, &L->rss, &nfree) != SF_OK) continue;
    L->ok = 1;
    any = 1;
    L->k = nfree;
    sf_fit_criteria(n, L->rss > 1e-300 ? L->rss : 1e-300, nfree, &L->aic, &L->bic);
    L->aicc = sf_fit_aicc(n, nfree, L->aic);
    if (h) {
      double p[SF_LAW_MAXPAR], r2;
      turn_fit ft;
      if (fit_setup(&ft, l, o, &dtrain, ys) == SF_OK && fit_once(&ft, &dtrain, ys, p, &r2, NULL) == SF_OK) {
        double se = 0;
        for (size_t i = n - h; i < n; i++) {
          double e = law_at(ft.law, p, xs[i]) - ys[i];
          se += e * e;
        }
        L->holdout_error = sqrt(se / (double)h);
      }
      fit_free(&ft);
    }
  }
  if (!any) {
    rc = sf_fail(SF_ENUMERIC, "none of the three laws could be fitted");
    goto done;
  }
  size_t above = 0, below = 0;
  int low_only = 0;
  const sf_turn_law *LL = &res->law[SF_TURN_LOGLINEAR], *LP = &res->law[SF_TURN_POWER], *LS = &res->law[SF_TURN_SIGMOID];
  /* the better growth law by AICc, loglinear on a tie (a failed law's AICc is NaN) */
  const double growth_aicc[2] = {LL->aicc, LP->aicc};
  res->best_growth = sf_fit_ic_compare(growth_aicc, 2, NULL, NULL) == 0 ? SF_TURN_LOGLINEAR : SF_TURN_POWER;
  const sf_turn_law *G = &res->law[res->best_growth];
  res->delta_aic = LS->ok && G->ok ? LS->aic - G->aic : NAN;
  res->delta_aicc = LS->ok && G->ok ? LS->aicc - G->aicc : NAN;
  res->delta_bic = LS->ok && G->ok ? LS->bic - G->bic : NAN;

  if (LS->ok) {
    res->inflection = pow(10, LS->params[3]);
    /* the inflection's bootstrap interval: pairs bootstrap, each resample refitted from every
     * start plus the full-data optimum (resampling here rather than in sf_fit_bootstrap keeps the
     * draws reproducible from o->seed alone) */
    size_t K = o->bootstrap;
    turn_fit *fs = &fits[SF_TURN_SIGMOID];
    const size_t np = fs->law->np;
    if (K >= 2) {
      double *x0 = malloc(K * sizeof *x0), *bx = malloc(n * sizeof *bx), *blx = malloc(n * sizeof *blx),
             *by = malloc(n * sizeof *by), *st = malloc((fs->nstarts + 1) * np * sizeof *st);
      gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
      sf_fit_workspace *w = x0 && bx && blx && by && st && rng ? sf_fit_alloc(fs->law, n, &fs->o) : NULL;
      if (w) {
        memcpy(st, fs->starts, fs->nstarts * np * sizeof *st);
        for (size_t j = 0; j < np; j++) st[fs->nstarts * np + j] = sf_param_internal(&fs->law->par[j], LS->params[j]);
        if (isnan(st[fs->nstarts * np + 1])) st[fs->nstarts * np + 1] = 0;
        gsl_rng_set(rng, (unsigned long)o->seed);
        size_t m = 0;
        for (size_t k = 0; k < K; k++) {
          for (size_t i = 0; i < n; i++) {
            size_t r = gsl_rng_uniform_int(rng, n);
            bx[i] = xs[r], blx[i] = lxs[r], by[i] = ys[r];
          }
          sf_law_data bd;
          make_data(&bd, bx, blx, n);
          sf_fit_result fr;
          if (sf_fit_run(w, &bd, by, NULL, NULL, st, fs->nstarts + 1, &fr) == SF_OK && isfinite(fr.params[3]))
            x0[m++] = fr.params[3];
        }
        res->boot_ok = m;
        if (m >= 2) {
          double a = (1 - o->level) / 2;
          res->inflection_lo = pow(10, sf_percentile_sorted(x0, m, a));
          res->inflection_hi = pow(10, sf_percentile_sorted(x0, m, 1 - a));
        }
      }
      sf_fit_free(w);
      if (rng) gsl_rng_free(rng);
      free(x0), free(bx), free(blx), free(by), free(st);
    }
    /* identified: most resamples fit, and the interval stays within half a decade of the data */
    double slack = pow(10, 0.5);
    for (size_t i = 0; i < n; i++) { /* runs past the interval on each side: both bends are seen */
      above += xs[i] > res->inflection_hi;
      below += xs[i] < res->inflection_lo;
    }
    res->inflection_identified = res->boot_ok >= (size_t)(0.8 * (double)K) && K >= 2 &&
                                 res->inflection_lo >= res->xmin / slack && res->inflection_hi <= res->xmax * slack &&
                                 above >= 3 && below >= 3;
    /* not identified at the low end only: the interval reaches the smallest runs or below them, while the
     * largest runs lie well past it (a metric already past its bend, or rising from its first runs on) */
    low_only = !res->inflection_identified && res->boot_ok >= 2 &&
               !(res->inflection_lo >= res->xmin / slack && below >= 3) && res->inflection_hi <= res->xmax * slack &&
               above >= 3;
    /* where the two extrapolations part: from the largest run on (if they are already apart
     * there, that is the answer: the data itself tells them apart) */
    if (G->ok) {
      const sf_law *lg = fits[res->best_growth].law, *ls = fits[SF_TURN_SIGMOID].law;
      double prev = log10(res->xmax);
      for (double t = prev; t <= 30; t += 0.01) {
        double dlt = fabs(law_at(lg, G->params, pow(10, t)) - law_at(ls, LS->params, pow(10, t)));
        if (dlt > o->tol) {
          double a = prev, b = t; /* bisect the crossing of the tolerance */
          for (int it = 0; t > prev && it < 50; it++) {
            double m = 0.5 * (a + b);
            double dm = fabs(law_at(lg, G->params, pow(10, m)) - law_at(ls, LS->params, pow(10, m)));
            if (dm > o->tol) b = m;
            else a = m;
          }
          res->diverge_x = t > prev ? pow(10, b) : res->xmax;
          break;
        }
        prev = t;
      }
    }
  }

  /* back to the metric's own units: parameters that carry y, residuals, criteria */
  for (int l = 0; l < SF_TURN_NLAWS; l++) {
    sf_turn_law *L = &res->law[l];
    if (l == SF_TURN_LOGLINEAR) L->params[0] *= scale, L->params[1] *= scale;
    if (l == SF_TURN_POWER) L->params[0] *= scale;
    if (l == SF_TURN_SIGMOID) L->params[0] *= scale, L->params[1] *= scale;
    L->holdout_error *= scale;
    if (!L->ok) continue;
    L->rss *= scale * scale;
    sf_fit_criteria(n, L->rss > 1e-300 ? L->rss : 1e-300, L->k, &L->aic, &L->bic);
    L->aicc = sf_fit_aicc(n, L->k, L->aic);
  }
  double aicc[SF_TURN_NLAWS], weight[SF_TURN_NLAWS];
  for (int l = 0; l < SF_TURN_NLAWS; l++) aicc[l] = res->law[l].aicc;
  sf_fit_ic_compare(aicc, SF_TURN_NLAWS, NULL, weight);
  for (int l = 0; l < SF_TURN_NLAWS; l++) res->law[l].weight = weight[l];

  /* the verdict: never more than the data supports. AICc and BIC must both agree: AICc charges the
   * sigmoid's extra parameter more than BIC's ln n up to n = 18 runs, BIC more from 19 on */
  int wins = isfinite(res->delta_aicc) && res->delta_aicc <= -o->delta_ic && res->delta_bic <= -o->delta_ic;
  res->saturation_supported = wins && res->inflection_identified;
  if (!LS->ok) {
    snprintf(res->verdict, sizeof res->verdict, "no verdict: the sigmoid could not be fitted");
  } else if (o->bootstrap < 2) {
    /* no resamples, no interval: "not identifiable" would be a claim about the data it never tested */
    snprintf(res->verdict, sizeof res->verdict,
             "no verdict on saturation: the inflection's interval needs a bootstrap of 2 or more resamples "
             "(sigmoid against the %s law: delta AICc %+.1f, delta BIC %+.1f)",
             G->name, res->delta_aicc, res->delta_bic);
  } else if (res->saturation_supported) {
    char band[100];
    sf_fmt_band(band, sizeof band, res->inflection, res->inflection_lo, res->inflection_hi, fmt_x);
    snprintf(res->verdict, sizeof res->verdict, "saturation supported: inflection at %s", band);
  } else if (res->inflection_identified) {
    char band[100];
    sf_fmt_band(band, sizeof band, res->inflection, res->inflection_lo, res->inflection_hi, fmt_x);
    snprintf(res->verdict, sizeof res->verdict,
             "no clear sign of saturation: a sigmoid with inflection at %s fits no better than the %s "
             "law (delta AICc %+.1f, delta BIC %+.1f)",
             band, G->name, res->delta_aicc, res->delta_bic);
  } else if (low_only) {
    /* "not identifiable below the largest run" would send the reader past the data, where the sigmoid
     * does not put its bend: it lies at the smallest runs or under them, and the data miss the rise */
    const char *runs = below == 1 ? "run" : "runs";
    char hi3[48];
    fmt_x(hi3, sizeof hi3, res->inflection_hi);
    double pct = 100 * o->level;
    if (wins)
      snprintf(res->verdict, sizeof res->verdict,
               "growth is bending (sigmoid preferred, delta AICc %+.1f) but the inflection is not identifiable: it "
               "lies at the smallest runs or below them (%zu %s below its %.0f%% interval, which ends at %s)",
               res->delta_aicc, below, runs, pct, hi3);
    else
      snprintf(res->verdict, sizeof res->verdict,
               "no turn identified within the data: the inflection lies at the smallest runs or below them (%zu %s "
               "below its %.0f%% interval, which ends at %s), so the rise from chance is not observed",
               below, runs, pct, hi3);
    /* the chart's subtitle: what and where, without the count (the runs are on the chart) */
    if (wins)
      snprintf(res->verdict_chart, sizeof res->verdict_chart,
               "growth is bending (sigmoid preferred, delta AICc %+.1f), but its inflection lies at or below the "
               "smallest runs (%.0f%% interval ends at %s)",
               res->delta_aicc, pct, hi3);
    else
      snprintf(res->verdict_chart, sizeof res->verdict_chart,
               "no turn within the data: the inflection lies at or below the smallest runs (%.0f%% interval ends "
               "at %s)",
               pct, hi3);
  } else {
    /* the bound below which the data rule the inflection out: the largest run, or the bootstrap's
     * lower end where that lies beyond it */
    double bound = res->xmax;
    if (res->inflection_lo > bound) bound = res->inflection_lo;
    double dec = pow(10, ceil(log10(bound) - 1e-9));
    if (wins)
      snprintf(res->verdict, sizeof res->verdict,
               "growth is bending (sigmoid preferred, delta AICc %+.1f) but the inflection is not identifiable below "
               "%.0e",
               res->delta_aicc, dec);
    else
      snprintf(res->verdict, sizeof res->verdict, "no sign of saturation yet: inflection not identifiable below %.0e",
               dec);
  }
  if (!res->verdict_chart[0]) memcpy(res->verdict_chart, res->verdict, sizeof res->verdict);
  if (!res->inflection_identified) res->inflection = res->inflection_lo = res->inflection_hi = NAN;
  rc = SF_OK;
done:
  for (int l = 0; l < SF_TURN_NLAWS; l++) fit_free(&fits[l]);
  free(ord), free(xs), free(lxs), free(ys);
  return rc;
}

/* ---- the runs and the words, shared by `scalefit turn` and a report ---- */

/* "no value of C: 'r1' (row 1), row 4 and 3 more", the first five rows of t without a value of
 * column c, as a fit names the runs it skips; nothing when every row has one. */
static void list_missing(sf_buf *b, const sf_table *t, int c) {
  size_t n = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    if (!isnan(t->cols[c].v[r])) continue;
    if (n == 0) sf_buf_printf(b, "%sno value of %s: ", b->len ? "; " : "", t->cols[c].name);
    if (n < 5) {
      if (t->run[r][0]) sf_buf_printf(b, "%s'%s' (row %zu)", n ? ", " : "", t->run[r], sf_table_row_number(t, r));
      else sf_buf_printf(b, "%srow %zu", n ? ", " : "", sf_table_row_number(t, r));
    }
    n++;
  }
  if (n > 5) sf_buf_printf(b, " and %zu more", n - 5);
}

int sf_turn_enough(const sf_table *t, int cx, int cy, size_t n) {
  if (n >= SF_TURN_MINRUNS) return SF_OK;
  sf_buf b;
  sf_buf_init(&b);
  list_missing(&b, t, cx);
  if (cy != cx) list_missing(&b, t, cy);
  size_t lack = t->nrows - n;
  int rc = lack ? sf_fail(SF_EINPUT, "turn needs at least %d runs with both values, got %zu of %zu; %zu %s a value (%s)",
                          SF_TURN_MINRUNS, n, t->nrows, lack, lack == 1 ? "lacks" : "lack", b.oom ? "?" : sf_buf_str(&b))
               : sf_fail(SF_EINPUT, "turn needs at least %d runs with both values, got %zu", SF_TURN_MINRUNS, n);
  sf_buf_free(&b);
  return rc;
}

int sf_turn_rows(const sf_table *t, int cx, int cy, double max, double **x, double **y, size_t *n, size_t *skipped) {
  *x = *y = NULL;
  *n = *skipped = 0;
  double *xv = malloc((t->nrows + 1) * sizeof *xv), *yv = malloc((t->nrows + 1) * sizeof *yv);
  if (!xv || !yv) {
    free(xv), free(yv);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  const char *xn = t->cols[cx].name, *yn = t->cols[cy].name;
  size_t m = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    double a = t->cols[cx].v[r], b = t->cols[cy].v[r];
    if (isnan(a) || isnan(b)) { /* a run without both values is not part of the question */
      ++*skipped;
      continue;
    }
    /* anything else is data the analysis would misread: refused, not dropped in silence */
    int rc = SF_OK;
    if (!(a > 0) || !isfinite(a))
      rc = sf_fail(SF_EINPUT, "run '%s': %s = %g must be positive and finite (compute goes on a log axis)", t->run[r],
                   xn, a);
    else if (!(b >= 0 && b <= max))
      rc = sf_fail(SF_EINPUT, "run '%s': %s = %g is outside [0, %g] (a metric in percent needs max 100 and chance 25)",
                   t->run[r], yn, b, max);
    if (rc) {
      free(xv), free(yv);
      return rc;
    }
    xv[m] = a, yv[m] = b, m++;
  }
  *x = xv, *y = yv, *n = m;
  return SF_OK;
}

void sf_turn_describe(const sf_turn_result *r, const sf_turn_opts *o, const char *xname, const char *xunit,
                      sf_turn_text *t) {
  memset(t, 0, sizeof *t);
  /* the unit, as `scalefit next` says "C from ... to ... FLOP": 4e+22 alone reads as a count */
  int unit = xunit && xunit[0];
  /* x at 3 significant digits, zeros kept, as the inflection is (%.3g read "4.02e+22 to 3.8e+25") */
  char x0[48], x1[48];
  fmt_x(x0, sizeof x0, r->xmin);
  fmt_x(x1, sizeof x1, r->xmax);
  snprintf(t->range, sizeof t->range, "%s from %s to %s%s%s", xname, x0, x1, unit ? " " : "", unit ? xunit : "");
  if (r->n_below_chance)
    snprintf(t->note[t->nnote++], sizeof t->note[0], "%zu run%s below the chance level %g", r->n_below_chance,
             r->n_below_chance == 1 ? " scores" : "s score", o->chance);
  if (o->holdout && o->holdout != r->n_holdout_asked)
    snprintf(t->note[t->nnote++], sizeof t->note[0],
             "a hold-out of %zu runs cut to %zu (a hold-out of 2 or more must leave 6 runs to fit)", o->holdout,
             r->n_holdout);
  if (r->n_holdout != r->n_holdout_asked)
    snprintf(t->note[t->nnote++], sizeof t->note[0],
             "%zu runs held out, not %zu: the largest runs go by whole budgets (runs within 0.1%% in x together)%s",
             r->n_holdout, r->n_holdout_asked, r->n_holdout ? "" : ", and no split leaves 2 out and 6 to fit");
  const sf_turn_law *S = &r->law[SF_TURN_SIGMOID];
  /* without a sigmoid there is no inflection, no parting of the curves and no delta to report */
  if (!S->ok) return;
  const size_t L = sizeof t->line[0];
  const char *g = r->law[r->best_growth].name;
  fmt_x(x0, sizeof x0, pow(10, S->params[3]));
  snprintf(t->line[t->nline++], L, "sigmoid: floor %g, ceiling %.3f, slope %.3g per decade, midpoint at %s = %s",
           S->params[0], S->params[1], S->params[2], xname, x0);
  if (r->inflection_identified) {
    char band[160], *ends;
    sf_fmt_band(band, sizeof band, r->inflection, r->inflection_lo, r->inflection_hi, fmt_x);
    ends = strchr(band, ' ');
    if (ends) *ends++ = 0;
    snprintf(t->line[t->nline++], L, "inflection %s, %.0f%% bootstrap interval %s (%zu/%zu resamples)", band,
             100 * o->level, ends ? ends : "[-, -]", r->boot_ok, o->bootstrap);
  } else if (o->bootstrap < 2)
    snprintf(t->line[t->nline++], L, "inflection's interval not computed (bootstrap of %zu resamples; it needs 2 or more)",
             o->bootstrap);
  else
    snprintf(t->line[t->nline++], L, "inflection not identified (bootstrap interval not within half a decade of the data, or "
             "fewer than 3 runs beyond it on a side)");
  fmt_x(x0, sizeof x0, r->diverge_x);
  if (r->diverge_x == r->xmax)
    snprintf(t->line[t->nline++], L, "the %s law and the sigmoid differ by more than %g already at the largest run (%s = %s)",
             g, o->tol, xname, x1);
  else if (!isnan(r->diverge_x))
    snprintf(t->line[t->nline++], L, "the %s law and the sigmoid extrapolations part by more than %g at %s = %s", g,
             o->tol, xname, x0);
  else
    snprintf(t->line[t->nline++], L, "the %s law and the sigmoid stay within %g of each other up to %s = 1e30", g, o->tol,
             xname);
  snprintf(t->line[t->nline++], L, "delta AICc (sigmoid - %s) %+.2f, delta BIC %+.2f", g, r->delta_aicc, r->delta_bic);
}

void sf_turn_cols(const sf_turn_result *r, sf_numcol *rss, sf_numcol *holdout) {
  sf_numcol_init(rss, 4);
  sf_numcol_init(holdout, 4);
  for (int l = 0; l < SF_TURN_NLAWS; l++)
    if (r->law[l].ok) sf_numcol_see(rss, r->law[l].rss), sf_numcol_see(holdout, r->law[l].holdout_error);
}

/* ---- bands for the turn chart: the analysis refitted on resampled runs ---- */

int sf_turn_resample(const double *x, const double *y, size_t n, const sf_turn_opts *to, size_t nboot,
                     unsigned long long seed, double *boot) {
  if (n == 0) return sf_fail(SF_EUSAGE, "turn resampling: no runs");
  double *rx = malloc(n * sizeof *rx), *ry = malloc(n * sizeof *ry);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!rx || !ry || !rng) {
    free(rx), free(ry);
    if (rng) gsl_rng_free(rng);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  gsl_rng_set(rng, (unsigned long)seed);
  sf_turn_opts o = *to;
  o.bootstrap = 0; /* the inflection's own interval is not needed per resample */
  o.below_chance_ok = 1; /* the runs passed as a whole: a resample is not refused for its draw */
  for (size_t k = 0; k < nboot; k++) {
    for (size_t i = 0; i < n; i++) {
      size_t j = (size_t)gsl_rng_uniform_int(rng, n);
      rx[i] = x[j], ry[i] = y[j];
    }
    sf_turn_result r;
    double *row = boot + k * SF_TURN_NLAWS * 4;
    for (size_t q = 0; q < SF_TURN_NLAWS * 4; q++) row[q] = NAN;
    if (sf_turn(rx, ry, n, &o, &r) != SF_OK) {
      sf_error_clear();
      continue;
    }
    for (int l = 0; l < SF_TURN_NLAWS; l++)
      if (r.law[l].ok)
        for (size_t q = 0; q < r.law[l].np && q < 4; q++) row[l * 4 + q] = r.law[l].params[q];
  }
  free(rx), free(ry);
  gsl_rng_free(rng);
  return SF_OK;
}

int sf_turn_band(int l, const double *boot, size_t nboot, double level, const double *cx, size_t k, double *lo,
                 double *hi) {
  if (l < 0 || l >= SF_TURN_NLAWS) return sf_fail(SF_EUSAGE, "turn band: no law %d", l);
  const sf_law *law = sf_law_find(law_names[l]);
  if (!law) return sf_fail(SF_EINTERNAL, "turn band: law '%s' missing from the catalogue", law_names[l]);
  double *v = malloc((nboot ? nboot : 1) * sizeof *v);
  if (!v) return sf_fail(SF_ENOMEM, "out of memory");
  size_t good = 0;
  for (size_t i = 0; i < k; i++) {
    size_t m = 0;
    for (size_t b = 0; b < nboot; b++) {
      const double *q = boot + (b * SF_TURN_NLAWS + (size_t)l) * 4;
      double f, xi = cx[i];
      if (isnan(q[0])) continue;
      if (sf_forecast_eval(law, q, &xi, &f, NULL) != SF_OK || !isfinite(f)) {
        sf_error_clear();
        continue;
      }
      v[m++] = f;
    }
    lo[i] = m >= 2 ? sf_percentile_sorted(v, m, (1 - level) / 2) : NAN;
    hi[i] = m >= 2 ? sf_percentile_sorted(v, m, 1 - (1 - level) / 2) : NAN;
    good += m >= 2;
  }
  free(v);
  if (!good) return sf_fail(SF_ENUMERIC, "turn band: fewer than 2 refits of '%s' at every point", law_names[l]);
  return SF_OK;
}
