/* catalogue.c: the built-in scaling laws, one `const sf_law` each, and the lookup table.
 *
 * Each eval works in internal parameters and writes f and the exact df/dtheta. Power laws are
 * written in log-sum-exp form (Hoffmann et al. 2022): L = exp(e) + exp(a - alpha log N) + ...,
 * so positive scales stay positive without bounds and the terms never overflow for the wide
 * grids of starts. Inputs arrive with their logs precomputed (d->lx) since nearly every law
 * needs log x and the fitter evaluates a law millions of times on the same data.
 *
 * To add a law: write its eval (and starts, or reuse one), add a `const sf_law`, and list it
 * in `catalogue[]` at the end of the file. tests/unit/test_law.c checks every law's gradient
 * against finite differences and its parameter recovery on synthetic data automatically.
 */
#include <scalefit/sf_law.h>

#include "util/vmath.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const double LN10 = 2.302585092994046;

/* Loops over points carry SF_SIMD (`omp simd`, util/vmath.h; active with -fopenmp-simd): the
 * Jacobian columns are slices of one array, which the compiler cannot prove disjoint. */

/* exp of a power-law term's exponent, floored at -700: below that the term is < 1e-304, zero
 * for every purpose, but libmvec's vector exp would fall back to scalar code (20x slower) for
 * such lanes, and a line search that tries a large exponent sends many of them there. */
static inline double term(double u) { return exp(u < -700.0 ? -700.0 : u); }

/* ---- shared start helpers ---- */

static double min_of(const double *v, size_t n) {
  double m = INFINITY;
  for (size_t i = 0; i < n; i++)
    if (v[i] < m) m = v[i];
  return m;
}

static double max_of(const double *v, size_t n) {
  double m = -INFINITY;
  for (size_t i = 0; i < n; i++)
    if (v[i] > m) m = v[i];
  return m;
}

/* Index of the point with the smallest value of column c (the one a power law's scale is
 * anchored to: the curve passes through it at the start). */
static size_t argmin_col(const sf_law_data *d, size_t c) {
  size_t k = 0;
  for (size_t i = 1; i < d->n; i++)
    if (d->x[c][i] < d->x[c][k]) k = i;
  return k;
}

/* Quantile q in [0,1] of column c's logs, by a partial selection on a small copy (n <= 4096
 * is plenty for choosing starts; larger data sets are subsampled evenly). */
static double lx_quantile(const sf_law_data *d, size_t c, double q) {
  double tmp[4096];
  size_t m = d->n < 4096 ? d->n : 4096;
  for (size_t i = 0; i < m; i++) tmp[i] = d->lx[c][i * d->n / m];
  for (size_t i = 1; i < m; i++) { /* insertion sort: m is small and this runs once */
    double v = tmp[i];
    size_t j = i;
    while (j > 0 && tmp[j - 1] > v) {
      tmp[j] = tmp[j - 1];
      j--;
    }
    tmp[j] = v;
  }
  double pos = q * (double)(m - 1);
  size_t lo = (size_t)pos;
  if (lo + 1 >= m) return tmp[m - 1];
  return tmp[lo] + (pos - (double)lo) * (tmp[lo + 1] - tmp[lo]);
}

static size_t put(double *out, size_t cap, size_t k, size_t np, const double *row) {
  if (out && k < cap) memcpy(out + k * np, row, np * sizeof *row);
  return k + 1;
}

static size_t clamp_count(const double *out, size_t k, size_t cap) { return out && k > cap ? cap : k; }

/* ---- power: y = E + A x^-alpha, internal (e, a, alpha) ---- */

static int power_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                      double *scratch) {
  const double E = exp(th[0]), a = th[1], al = th[2];
  const double *restrict lx = d->lx[0];
  const size_t n = d->n;
  if (!J) {
SF_SIMD
    for (size_t i = 0; i < n; i++) f[i] = E + term(a - al * lx[i]);
    return 0;
  }
  double *restrict J0 = J, *restrict J1 = J + n, *restrict J2 = J + 2 * n;
SF_SIMD
  for (size_t i = 0; i < n; i++) {
    double t = term(a - al * lx[i]);
    f[i] = E + t;
    J0[i] = E;
    J1[i] = t;
    J2[i] = -lx[i] * t;
  }
  return 0;
}

/* E below the smallest y, alpha over a range, A chosen so the curve passes through the point
 * of smallest x, then shifted up and down. */
static size_t power_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out, size_t cap) {
  static const double efrac[] = {0.1, 0.5, 0.9};
  static const double alphas[] = {0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2};
  static const double shift[] = {-1, 0, 1};
  if (!out) return 3 * 7 * 3; /* the count needs no data */
  size_t k0 = argmin_col(d, 0), k = 0;
  double ymin = min_of(y, d->n);
  if (!(ymin > 0)) ymin = 1;
  for (size_t ie = 0; ie < 3; ie++)
    for (size_t ia = 0; ia < 7; ia++)
      for (size_t is = 0; is < 3; is++) {
        double E = efrac[ie] * ymin, top = y[k0] - E;
        if (!(top > 0)) top = 0.1 * ymin;
        double row[3] = {log(E), log(top) + alphas[ia] * d->lx[0][k0] + shift[is], alphas[ia]};
        k = put(out, cap, k, 3, row);
      }
  return clamp_count(out, k, cap);
}

static const sf_law law_power = {
    .name = "power",
    .formula = "y = E + A*x^-alpha",
    .summary = "power law with an irreducible term; x is any column (default C)",
    .nvar = 1, .vars = {"C"}, .y = "loss",
    .space = SF_SPACE_LOG, .loss = SF_LOSS_L2, .delta = 1e-3, .x_positive = 1,
    .np = 3,
    .par = {{"E", "e", SF_TR_EXP, 0, 0}, {"A", "a", SF_TR_EXP, 0, 0}, {"alpha", "alpha", SF_TR_IDENTITY, 0, 0}},
    .eval = power_eval, .starts = power_starts,
};

/* ---- power0: y = A x^-alpha, internal (a, alpha) ---- */

static int power0_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                       double *scratch) {
  const double a = th[0], al = th[1];
  const double *restrict lx = d->lx[0];
  const size_t n = d->n;
SF_SIMD
  for (size_t i = 0; i < n; i++) {
    double t = term(a - al * lx[i]);
    f[i] = t;
    if (J) {
      J[i] = t;
      J[n + i] = -lx[i] * t;
    }
  }
  return 0;
}

static size_t power0_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out, size_t cap) {
  static const double alphas[] = {-1, -0.3, -0.1, 0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2};
  if (!out) return sizeof alphas / sizeof alphas[0]; /* the count needs no data */
  size_t k0 = argmin_col(d, 0), k = 0;
  double y0 = y[k0] > 0 ? y[k0] : 1;
  for (size_t ia = 0; ia < sizeof alphas / sizeof alphas[0]; ia++) {
    double row[2] = {log(y0) + alphas[ia] * d->lx[0][k0], alphas[ia]};
    k = put(out, cap, k, 2, row);
  }
  return clamp_count(out, k, cap);
}

static const sf_law law_power0 = {
    .name = "power0",
    .formula = "y = A*x^-alpha",
    .summary = "pure power law (no offset); x is any column (default C)",
    .nvar = 1, .vars = {"C"}, .y = "loss",
    .space = SF_SPACE_LOG, .loss = SF_LOSS_L2, .delta = 1e-3, .x_positive = 1,
    .np = 2,
    .par = {{"A", "a", SF_TR_EXP, 0, 0}, {"alpha", "alpha", SF_TR_IDENTITY, 0, 0}},
    .eval = power0_eval, .starts = power0_starts,
};

/* ---- chinchilla: L = E + A/N^alpha + B/D^beta, internal (e, a, b, alpha, beta) ---- */

static int chinchilla_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                           double *scratch) {
  const double E = exp(th[0]), a = th[1], b = th[2], al = th[3], be = th[4];
  const double *restrict lN = d->lx[0], *restrict lD = d->lx[1];
  const size_t n = d->n;
  if (!J) {
SF_SIMD
    for (size_t i = 0; i < n; i++) f[i] = E + term(a - al * lN[i]) + term(b - be * lD[i]);
    return 0;
  }
  double *restrict J0 = J, *restrict J1 = J + n, *restrict J2 = J + 2 * n, *restrict J3 = J + 3 * n,
                   *restrict J4 = J + 4 * n;
SF_SIMD
  for (size_t i = 0; i < n; i++) {
    double t1 = term(a - al * lN[i]), t2 = term(b - be * lD[i]);
    f[i] = E + t1 + t2;
    J0[i] = E;
    J1[i] = t1;
    J2[i] = t2;
    J3[i] = -lN[i] * t1;
    J4[i] = -lD[i] * t2;
  }
  return 0;
}

/* Hoffmann et al.'s grid, as Besiroglu et al. (2024) ran it: 4500 starts. */
static size_t chinchilla_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out,
                                size_t cap) {
  size_t k = 0;
  for (int ia = 0; ia <= 4; ia++)        /* alpha 0, 0.5, ..., 2 */
    for (int ib = 0; ib <= 4; ib++)      /* beta */
      for (int ie = 0; ie <= 4; ie++)    /* e -1, -0.5, ..., 1 */
        for (int ja = 0; ja <= 5; ja++)  /* a 0, 5, ..., 25 */
          for (int jb = 0; jb <= 5; jb++) { /* b */
            double row[5] = {-1 + 0.5 * ie, 5.0 * ja, 5.0 * jb, 0.5 * ia, 0.5 * ib};
            k = put(out, cap, k, 5, row);
          }
  return clamp_count(out, k, cap);
}

static const sf_law law_chinchilla = {
    .name = "chinchilla",
    .formula = "L = E + A/N^alpha + B/D^beta",
    .summary = "Hoffmann et al. 2022 (Approach 3), Huber 1e-3 on log-loss, 4500-start grid",
    .nvar = 2, .vars = {"N", "D"}, .y = "loss",
    .space = SF_SPACE_LOG, .loss = SF_LOSS_HUBER, .delta = 1e-3, .x_positive = 1,
    .np = 5,
    .par = {{"E", "e", SF_TR_EXP, 0, 0}, {"A", "a", SF_TR_EXP, 0, 0}, {"B", "b", SF_TR_EXP, 0, 0},
            {"alpha", "alpha", SF_TR_IDENTITY, 0, 0}, {"beta", "beta", SF_TR_IDENTITY, 0, 0}},
    .eval = chinchilla_eval, .starts = chinchilla_starts,
};

/* ---- kaplan: L = [(Nc/N)^(alphaN/alphaD) + Dc/D]^alphaD ----
 * internal (nc = log Nc, dc = log Dc, log alphaN, log alphaD). With q = alphaN/alphaD,
 * u = q (nc - log N), v = dc - log D and S = e^u + e^v: log L = alphaD log S. */

static int kaplan_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                       double *scratch) {
  const double nc = th[0], dc = th[1], aN = exp(th[2]), aD = exp(th[3]), q = aN / aD;
  const double *restrict lN = d->lx[0], *restrict lD = d->lx[1];
SF_SIMD
  for (size_t i = 0; i < d->n; i++) {
    double u = q * (nc - lN[i]), v = dc - lD[i];
    double m = u > v ? u : v, eu = exp(u - m), ev = exp(v - m), s = eu + ev;
    double logS = m + log(s), w1 = eu / s, w2 = ev / s;
    double fi = exp(aD * logS);
    f[i] = fi;
    if (J) {
      const size_t n = d->n;
      J[i] = fi * aN * w1;
      J[n + i] = fi * aD * w2;
      J[2 * n + i] = fi * w1 * (nc - lN[i]) * aN;
      J[3 * n + i] = fi * (logS - w1 * q * (nc - lN[i])) * aD;
    }
  }
  return 0;
}

static size_t kaplan_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out, size_t cap) {
  static const double shiftN[] = {-4, 0, 4}, shiftD[] = {-4, 0, 4};
  static const double aNs[] = {0.05, 0.076, 0.15}, aDs[] = {0.05, 0.103, 0.2};
  size_t k = 0;
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 3; j++)
      for (size_t p = 0; p < 3; p++)
        for (size_t r = 0; r < 3; r++) {
          double row[4] = {log(6.4e13) + shiftN[i], log(1.8e13) + shiftD[j], log(aNs[p]), log(aDs[r])};
          k = put(out, cap, k, 4, row);
        }
  return clamp_count(out, k, cap);
}

static const sf_law law_kaplan = {
    .name = "kaplan",
    .formula = "L = ((Nc/N)^(alphaN/alphaD) + Dc/D)^alphaD",
    .summary = "Kaplan et al. 2020, joint L(N, D) (N without embeddings)",
    .nvar = 2, .vars = {"N", "D"}, .y = "loss",
    .space = SF_SPACE_LOG, .loss = SF_LOSS_L2, .delta = 1e-3, .x_positive = 1,
    .np = 4,
    .par = {{"Nc", "nc", SF_TR_EXP, 0, 0}, {"Dc", "dc", SF_TR_EXP, 0, 0},
            {"alphaN", "log_alphaN", SF_TR_EXP, 0, 0}, {"alphaD", "log_alphaD", SF_TR_EXP, 0, 0}},
    .eval = kaplan_eval, .starts = kaplan_starts,
};

/* ---- loglinear: y = a + b log10(x) ---- */

static int loglinear_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                          double *scratch) {
  const double *restrict lx = d->lx[0];
SF_SIMD
  for (size_t i = 0; i < d->n; i++) {
    double t = lx[i] / LN10;
    f[i] = th[0] + th[1] * t;
    if (J) {
      J[i] = 1;
      J[d->n + i] = t;
    }
  }
  return 0;
}

static size_t loglinear_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out,
                               size_t cap) {
  if (!out) return 2; /* the count needs no data */
  double mean = 0;
  for (size_t i = 0; i < d->n; i++) mean += y[i] / (double)d->n;
  double rows[2][2] = {{mean, 0}, {0, 0}};
  size_t k = 0;
  for (size_t i = 0; i < 2; i++) k = put(out, cap, k, 2, rows[i]);
  return clamp_count(out, k, cap);
}

static const sf_law law_loglinear = {
    .name = "loglinear",
    .formula = "y = a + b*log10(x)",
    .summary = "linear in log-compute (exponential growth in log x); x default C",
    .nvar = 1, .vars = {"C"}, .y = "loss",
    .space = SF_SPACE_LINEAR, .loss = SF_LOSS_L2, .delta = 1e-3, .x_positive = 1,
    .np = 2,
    .par = {{"a", "a", SF_TR_IDENTITY, 0, 0}, {"b", "b", SF_TR_IDENTITY, 0, 0}},
    .eval = loglinear_eval, .starts = loglinear_starts,
};

/* ---- sigmoid: y = lo + (hi - lo) / (1 + exp(-k (log10 x - x0))) ----
 * lo and hi live in (0, 1) through logistic transforms (accuracies); raise lo's floor to the
 * chance level with a bound (--bound lo=0.25:1). k > 0 (log k internal): the metric
 * rises from lo to hi, or falls when hi < lo (accuracy against loss, for predict --then). */

static int sigmoid_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                        double *scratch) {
  const double lo = sf_param_natural(&law->par[0], th[0]), hi = sf_param_natural(&law->par[1], th[1]);
  const double k = exp(th[2]), x0 = th[3];
  const double dlo = sf_param_dnatural(&law->par[0], th[0]), dhi = sf_param_dnatural(&law->par[1], th[1]);
  const double *restrict lx = d->lx[0];
SF_SIMD
  for (size_t i = 0; i < d->n; i++) {
    double t = lx[i] / LN10 - x0, z = k * t;
    double s = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
    f[i] = lo + (hi - lo) * s;
    if (J) {
      double ds = (hi - lo) * s * (1 - s);
      const size_t n = d->n;
      J[i] = (1 - s) * dlo;
      J[n + i] = s * dhi;
      J[2 * n + i] = ds * t * k;
      J[3 * n + i] = -ds * k;
    }
  }
  return 0;
}

static double clamp01(double v) { return v < 0.01 ? 0.01 : v > 0.99 ? 0.99 : v; }

static size_t sigmoid_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out,
                             size_t cap) {
  static const double qs[] = {0.1, 0.5, 0.9}, ks[] = {0.5, 2, 8};
  if (!out) return 2 * 2 * 3 * 3; /* the count needs no data */
  double ymin = min_of(y, d->n), ymax = max_of(y, d->n);
  double los[2] = {clamp01(ymin), clamp01(0.5 * ymin)};
  double his[2] = {clamp01(ymax), clamp01(0.5 * (ymax + 1))};
  size_t k = 0;
  for (size_t a = 0; a < 2; a++)
    for (size_t b = 0; b < 2; b++)
      for (size_t q = 0; q < 3; q++)
        for (size_t s = 0; s < 3; s++) {
          double lo = los[a], hi = his[b];
          if (hi <= lo) hi = clamp01(lo + 0.05);
          if (hi <= lo) lo = hi - 0.02;
          double row[4] = {sf_param_internal(&law->par[0], lo), sf_param_internal(&law->par[1], hi), log(ks[s]),
                           lx_quantile(d, 0, qs[q]) / LN10};
          k = put(out, cap, k, 4, row);
        }
  return clamp_count(out, k, cap);
}

static const sf_law law_sigmoid = {
    .name = "sigmoid",
    .formula = "y = lo + (hi - lo)/(1 + exp(-k*(log10(x) - x0)))",
    .summary = "S-curve in log x for benchmark accuracies; lo, hi in (0, 1) (hi < lo: falling); x default C",
    .nvar = 1, .vars = {"C"}, .y = "accuracy",
    .space = SF_SPACE_LINEAR, .loss = SF_LOSS_L2, .delta = 1e-3, .x_positive = 1, .y_fraction = 1,
    .np = 4,
    .par = {{"lo", "logit_lo", SF_TR_LOGISTIC, 0, 1}, {"hi", "logit_hi", SF_TR_LOGISTIC, 0, 1},
            {"k", "log_k", SF_TR_EXP, 0, 0}, {"x0", "x0", SF_TR_IDENTITY, 0, 0}},
    .eval = sigmoid_eval, .starts = sigmoid_starts,
};

/* ---- bnsl: broken neural scaling law with one break (Caballero et al. 2022) ----
 * y = a + b x^-c0 (1 + (x/d1)^(1/f1))^(-c1 f1); internal (log a, log b, c0, c1, log d1, log f1).
 * With z = (log x - log d1)/f1 and softplus sp(z) = log(1 + e^z) the second term is
 * exp(T), T = log b - c0 log x - c1 f1 sp(z). */

static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }
static double logistic(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

static int bnsl_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                     double *scratch) {
  const double A = exp(th[0]), lb = th[1], c0 = th[2], c1 = th[3], ld1 = th[4], f1 = exp(th[5]);
  const double *restrict lx = d->lx[0];
SF_SIMD
  for (size_t i = 0; i < d->n; i++) {
    double z = (lx[i] - ld1) / f1, sp = softplus(z);
    double T = lb - c0 * lx[i] - c1 * f1 * sp, t = exp(T);
    f[i] = A + t;
    if (J) {
      const size_t n = d->n;
      double sg = logistic(z);
      J[i] = A;
      J[n + i] = t;
      J[2 * n + i] = -lx[i] * t;
      J[3 * n + i] = -f1 * sp * t;
      J[4 * n + i] = c1 * sg * t;
      J[5 * n + i] = -c1 * (sp - sg * z) * t * f1;
    }
  }
  return 0;
}

static size_t bnsl_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out, size_t cap) {
  static const double afrac[] = {0.1, 0.8}, c0s[] = {0.05, 0.3}, c1s[] = {-0.2, 0.1, 0.5}, qs[] = {0.25, 0.5, 0.75},
                      fs[] = {0.3, 1.0};
  if (!out) return 2 * 2 * 3 * 3 * 2; /* the count needs no data */
  size_t k0 = argmin_col(d, 0), k = 0;
  double ymin = min_of(y, d->n);
  if (!(ymin > 0)) ymin = 1;
  for (size_t ia = 0; ia < 2; ia++)
    for (size_t i0 = 0; i0 < 2; i0++)
      for (size_t i1 = 0; i1 < 3; i1++)
        for (size_t iq = 0; iq < 3; iq++)
          for (size_t jf = 0; jf < 2; jf++) {
            double A = afrac[ia] * ymin, top = y[k0] - A;
            if (!(top > 0)) top = 0.1 * ymin;
            double ld1 = lx_quantile(d, 0, qs[iq]), f1 = fs[jf];
            /* b so that the curve passes through the smallest-x point at the start */
            double z = (d->lx[0][k0] - ld1) / f1;
            double row[6] = {log(A), log(top) + c0s[i0] * d->lx[0][k0] + c1s[i1] * f1 * softplus(z), c0s[i0],
                             c1s[i1], ld1, log(f1)};
            k = put(out, cap, k, 6, row);
          }
  return clamp_count(out, k, cap);
}

/* Where the runs do not determine the break (Caballero et al. fit breaks the data show; the
 * optimiser, given runs in a few tight clusters, finds limits instead). In order:
 * - the whole transition (log d1 +- 3 f1, where the local slope moves from 5% to 95% of its
 *   change c1) beyond every run: the runs see one power law and c1, d1 (and f1) are free;
 * - runs on both sides, but those on one side spanning less than 5% of the runs' log-x range (one
 *   budget of an isoFLOP sweep): that segment's slope c0 + c1 is not measured, and the break
 *   fits those runs with a step, whatever c1 it takes;
 * - f1 so small that the break's shape moves no run's log prediction by 1e-6 (|c1| f1 sp(-|z|),
 *   the softplus's distance from its kink): a broken power law with a kink, f1 undetermined (any
 *   smaller value fits as well), so the law has one parameter fewer than k counts.
 * The published form has no floor on f1 (their fits sharpen breaks to what the data show); a
 * floor would only move these limits to the floor, so they are said rather than bounded. */
static int bnsl_degenerate(const sf_law *law, const sf_law_data *d, const double *p, const int *fixed, char *why,
                           size_t cap) {
  (void)law, (void)fixed; /* a pinned break is still a limit when no run lies on its side */
  const double c1 = p[3], d1 = p[4], f1 = p[5];
  for (size_t j = 0; j < 6; j++)
    if (!isfinite(p[j])) return 0;
  if (d->n == 0 || !(d1 > 0) || !(f1 > 0)) return 0;
  const double *lx = d->lx[0], ld = log(d1), w = 3 * f1;
  double lo = INFINITY, hi = -INFINITY, blo = INFINITY, bhi = -INFINITY, alo = INFINITY, ahi = -INFINITY, shape = 0;
  size_t nb = 0, na = 0;
  for (size_t i = 0; i < d->n; i++) {
    double v = lx[i];
    lo = v < lo ? v : lo, hi = v > hi ? v : hi;
    if (v < ld) nb++, blo = v < blo ? v : blo, bhi = v > bhi ? v : bhi;
    else na++, alo = v < alo ? v : alo, ahi = v > ahi ? v : ahi;
    double dev = fabs(c1) * f1 * softplus(-fabs(v - ld) / f1);
    shape = dev > shape ? dev : shape;
  }
  if (ld - w > hi) {
    snprintf(why, cap, "its break d1 = %.4g lies above every fitted run (largest x %.4g): the runs see one power "
             "law, and c1, d1, f1 are not determined", d1, exp(hi));
    return 1;
  }
  if (ld + w < lo) {
    snprintf(why, cap, "its break d1 = %.4g lies below every fitted run (smallest x %.4g): the runs see one power "
             "law, and b, c1, d1, f1 trade off", d1, exp(lo));
    return 1;
  }
  if (nb && na && hi > lo) {
    int after = ahi - alo < bhi - blo;
    double span = after ? ahi - alo : bhi - blo;
    size_t m = after ? na : nb;
    if (span < 0.05 * (hi - lo)) {
      if (m == 1)
        snprintf(why, cap, "one run lies %s its break at d1 = %.6g: no slope there, so the break is a step fitted to "
                 "that run (c1 = %.4g)", after ? "after" : "before", d1, c1);
      else
        snprintf(why, cap, "the %zu runs %s its break at d1 = %.6g lie within %.2g%% of each other in x (%.2g%% of "
                 "the runs' log range): too little for a slope there, so the break is a step (c1 = %.4g)", m,
                 after ? "after" : "before", d1, 100 * expm1(span), 100 * span / (hi - lo), c1);
      return 1;
    }
  }
  if (shape < 1e-6) {
    snprintf(why, cap, "its break has sharpened into a kink (f1 = %.3g) that no run lies near enough to shape: f1 "
             "is not determined (any smaller value fits as well), one parameter fewer than k counts", f1);
    return 1;
  }
  return 0;
}

static const sf_law law_bnsl = {
    .name = "bnsl",
    .formula = "y = a + b*x^-c0*(1 + (x/d1)^(1/f1))^(-c1*f1)",
    .summary = "broken neural scaling law, one break (Caballero et al. 2022); x default C",
    .nvar = 1, .vars = {"C"}, .y = "loss",
    .space = SF_SPACE_LOG, .loss = SF_LOSS_L2, .delta = 1e-3, .x_positive = 1,
    .np = 6,
    .par = {{"a", "log_a", SF_TR_EXP, 0, 0}, {"b", "log_b", SF_TR_EXP, 0, 0}, {"c0", "c0", SF_TR_IDENTITY, 0, 0},
            {"c1", "c1", SF_TR_IDENTITY, 0, 0}, {"d1", "log_d1", SF_TR_EXP, 0, 0},
            {"f1", "log_f1", SF_TR_EXP, 0, 0}},
    .eval = bnsl_eval, .starts = bnsl_starts, .degenerate = bnsl_degenerate,
};

/* ---- datacon: data-constrained law (Muennighoff et al. 2023, "Scaling Data-Constrained Language
 * Models", arXiv:2305.16264, Eqs. 5-6) ----
 * L = E + A/N'^alpha + B/D'^beta for runs that repeat their U unique tokens for D/U epochs:
 *   D' = U + U RD* (1 - exp(-RD/RD*)),     RD = D/U - 1 (epochs beyond the first),
 *   N' = UN + UN RN* (1 - exp(-RN/RN*)),   UN = min(N, Nopt(U)), RN = N/UN - 1,
 * where Nopt(U) is the Chinchilla-optimal size for U tokens under the law's own A, B, alpha, beta
 * (alpha A N^-alpha = beta B D^-beta at fixed 6ND: Nopt = (alpha A / (beta B))^(1/alpha) U^(beta/alpha)).
 * A repeated token is worth less the more often it is seen (RD* epochs shrink its value by 1/e),
 * so D' saturates at U (1 + RD*); parameters beyond Nopt(U) saturate the same way at UN (1 + RN*).
 * With RD = 0 and N <= Nopt(U) the law is Chinchilla's exactly. Internal (e, a, b, log alpha,
 * log beta, log RD*, log RN*): alpha and beta must be > 0 for Nopt to exist, and R* > 0.
 * The law is C1 across the kink N = Nopt(U) (there RN = 0 and every derivative of the excess
 * term vanishes), so the optimiser sees no jump in the gradient. */

static int datacon_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                        double *scratch) {
  const double E = exp(th[0]), a = th[1], b = th[2], al = exp(th[3]), be = exp(th[4]);
  const double rd = exp(th[5]), rn = exp(th[6]);
  const double g = th[3] + a - th[4] - b; /* log(alpha A / (beta B)) */
  const double *restrict lN = d->lx[0], *restrict xD = d->x[1], *restrict xU = d->x[2], *restrict lU = d->lx[2];
  const size_t n = d->n;
  for (size_t i = 0; i < n; i++) {
    /* data: RD >= 0 (a U above D is refused before this; clamped as the paper's code does) */
    double RD = xD[i] / xU[i] - 1;
    if (!(RD > 0)) RD = 0;
    double omD = -expm1(-RD / rd), yD = 1 - omD, sD = 1 + rd * omD;
    double lDp = lU[i] + log1p(rd * omD);
    /* parameters: beyond Nopt(U) the excess decays like repeated data */
    double lNopt = (g + be * lU[i]) / al, lNp = lN[i], q = 0, r = 0;
    if (lN[i] > lNopt) {
      double RN = expm1(lN[i] - lNopt), omN = -expm1(-RN / rn), yN = 1 - omN, sN = 1 + rn * omN;
      lNp = lNopt + log1p(rn * omN);
      q = (sN - yN * (1 + RN)) / sN; /* d log N' / d log UN at fixed N */
      r = (rn * omN - yN * RN) / sN; /* d log N' / d log RN* */
    }
    double tN = term(a - al * lNp), tD = term(b - be * lDp);
    f[i] = E + tN + tD;
    if (J) {
      /* log UN = lNopt moves with a (1/alpha), b (-1/alpha), log alpha ((1 - alpha lNopt)/alpha) and
       * log beta ((beta log U - 1)/alpha); log N' follows it with slope q */
      J[i] = E;
      J[n + i] = tN * (1 - q);
      J[2 * n + i] = tN * q + tD;
      J[3 * n + i] = -tN * (al * lNp + q * (1 - al * lNopt));
      J[4 * n + i] = -tN * q * (be * lU[i] - 1) - tD * be * lDp;
      J[5 * n + i] = -tD * be * (rd * omD - yD * RD) / sD;
      J[6 * n + i] = -tN * al * r;
    }
  }
  return 0;
}

/* A Chinchilla-like grid anchored at the run of smallest N: E a fraction of the smallest loss,
 * the rest of that run's loss shared between the N and D terms, exponents and R* on coarse
 * grids. 3 x 4 x 4 x 3 x 3 x 3 = 1296 starts (the full 4500-start grid times an R* grid would
 * be tens of thousands); with the Chinchilla parameters fixed (the paper's two-stage fit) the
 * 9 R* pairs are what differ. */
static size_t datacon_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out, size_t cap) {
  static const double efrac[] = {0.3, 0.6, 0.9}, exps[] = {0.15, 0.3, 0.5, 0.8}, share[] = {0.25, 0.5, 0.75};
  static const double rds[] = {3, 15, 60}, rns[] = {1, 5, 25};
  if (!out) return 3 * 4 * 4 * 3 * 3 * 3; /* the count needs no data */
  size_t k0 = argmin_col(d, 0), k = 0;
  double ymin = min_of(y, d->n);
  if (!(ymin > 0)) ymin = 1;
  double RD = d->x[1][k0] / d->x[2][k0] - 1;
  if (!(RD > 0)) RD = 0;
  for (size_t ie = 0; ie < 3; ie++)
    for (size_t ia = 0; ia < 4; ia++)
      for (size_t ib = 0; ib < 4; ib++)
        for (size_t is = 0; is < 3; is++)
          for (size_t jd = 0; jd < 3; jd++)
            for (size_t jn = 0; jn < 3; jn++) {
              double E = efrac[ie] * ymin, top = y[k0] - E;
              if (!(top > 0)) top = 0.1 * ymin;
              double lDp = d->lx[2][k0] + log1p(rds[jd] * -expm1(-RD / rds[jd]));
              double row[7] = {log(E), log(share[is] * top) + exps[ia] * d->lx[0][k0],
                               log((1 - share[is]) * top) + exps[ib] * lDp, log(exps[ia]), log(exps[ib]),
                               log(rds[jd]), log(rns[jn])};
              k = put(out, cap, k, 7, row);
            }
  return clamp_count(out, k, cap);
}

/* A run cannot have seen more unique tokens than tokens: U <= D (U = D is one epoch). */
static int datacon_domain(const sf_law *law, const double *x, char *why, size_t cap) {
  (void)law;
  if (!(x[2] > x[1])) return 0;
  snprintf(why, cap, "needs U <= D (unique tokens at most the tokens trained on; D/U is the number of epochs), got "
           "U = %g > D = %g", x[2], x[1]);
  return 1;
}

/* R*_D and R*_N shape only the runs past their limit: R*_D those that repeat data (D > U), R*_N
 * those larger than Nopt(U), the compute-optimal size for their unique tokens under the fitted A,
 * B, alpha, beta. Without such a run the parameter's Jacobian column is zero (any value fits as
 * well: the fit is singular). With such runs an R* can still run off towards infinity, where
 * repeated tokens (excess parameters) count in full, D' = D (N' = N), the least-squares optimum
 * then a limit (RN_star 1e54 on single-epoch runs). Either way the law is Chinchilla's with
 * parameters k counts for nothing: as for bnsl's limits, an R* that moves no fitted run's log
 * prediction by 1e-6 from that limit makes the fit degenerate, and it is not ranked against other
 * laws. A pinned R* is no such parameter (the paper's stage 2 fixes the other five). */
static int datacon_degenerate(const sf_law *law, const sf_law_data *d, const double *p, const int *fixed, char *why,
                              size_t cap) {
  (void)law;
  for (size_t j = 0; j < 7; j++)
    if (!isfinite(p[j])) return 0;
  const double E = p[0], A = p[1], B = p[2], al = p[3], be = p[4], rd = p[5], rn = p[6];
  if (d->n == 0 || !(E > 0 && A > 0 && B > 0 && al > 0 && be > 0 && rd > 0 && rn > 0)) return 0;
  const double g = log(al * A / (be * B)); /* log(alpha A / (beta B)) */
  size_t nrep = 0, nbig = 0;
  double mvD = 0, mvN = 0; /* the largest |log f - log f(R* = inf)| */
  for (size_t i = 0; i < d->n; i++) {
    double lN = d->lx[0][i], lD = d->lx[1][i], lU = d->lx[2][i], RD = d->x[1][i] / d->x[2][i] - 1;
    double lDp = lD, lNp = lN, lNopt = (g + be * lU) / al;
    if (RD > 0) nrep++, lDp = lU + log1p(-rd * expm1(-RD / rd));
    if (lN > lNopt) nbig++, lNp = lNopt + log1p(-rn * expm1(-expm1(lN - lNopt) / rn));
    double tN = A * exp(-al * lNp), tD = B * exp(-be * lDp), f = E + tN + tD;
    double fD = E + tN + B * exp(-be * lD), fN = E + A * exp(-al * lN) + tD;
    mvD = fmax(mvD, fabs(log(f / fD)));
    mvN = fmax(mvN, fabs(log(f / fN)));
  }
  int drd = !(fixed && fixed[5]) && !(mvD >= 1e-6), drn = !(fixed && fixed[6]) && !(mvN >= 1e-6);
  if (!drd && !drn) return 0;
  size_t at = 0;
  if (drd)
    at += (size_t)(nrep ? snprintf(why, cap, "RD_star = %.3g counts repeated tokens as nearly in full (D' = D moves "
                                   "no run's log loss by 1e-6)", rd)
                        : snprintf(why, cap, "no fitted run repeats data (D > U)"));
  if (drn && at < cap)
    at += (size_t)(nbig ? snprintf(why + at, cap - at, "%sRN_star = %.3g counts excess parameters as nearly in full "
                                   "(N' = N moves no run's log loss by 1e-6)", drd ? "; " : "", rn)
                        : snprintf(why + at, cap - at, "%sno fitted run has N above Nopt(U), the compute-optimal size "
                                   "for its unique tokens", drd ? "; " : ""));
  if (at < cap)
    snprintf(why + at, cap - at, ": %s not determined", drd && drn ? "RD_star and RN_star are" : drd ? "RD_star is" : "RN_star is");
  return 1;
}

static const sf_law law_datacon = {
    .name = "datacon",
    .formula = "L = E + A/N'^alpha + B/D'^beta, D' = U(1 + RD_star(1 - exp(-(D/U - 1)/RD_star))), N' alike",
    .summary = "Muennighoff et al. 2023, repeated data: U unique tokens, D/U epochs; N' decays past the "
               "Chinchilla-optimal N for U",
    .nvar = 3, .vars = {"N", "D", "U"}, .y = "loss",
    .space = SF_SPACE_LOG, .loss = SF_LOSS_HUBER, .delta = 1e-3, .x_positive = 1,
    .np = 7,
    .par = {{"E", "e", SF_TR_EXP, 0, 0}, {"A", "a", SF_TR_EXP, 0, 0}, {"B", "b", SF_TR_EXP, 0, 0},
            {"alpha", "log_alpha", SF_TR_EXP, 0, 0}, {"beta", "log_beta", SF_TR_EXP, 0, 0},
            {"RD_star", "log_RD_star", SF_TR_EXP, 0, 0}, {"RN_star", "log_RN_star", SF_TR_EXP, 0, 0}},
    .eval = datacon_eval, .starts = datacon_starts, .domain = datacon_domain,
    .degenerate = datacon_degenerate,
};

/* ---- the table ---- */

static const sf_law *const catalogue[] = {
    &law_power, &law_power0, &law_chinchilla, &law_kaplan, &law_loglinear, &law_sigmoid, &law_bnsl, &law_datacon,
};

size_t sf_law_count(void) { return sizeof catalogue / sizeof catalogue[0]; }

const sf_law *sf_law_at(size_t i) { return i < sf_law_count() ? catalogue[i] : NULL; }

const sf_law *sf_law_find(const char *name) {
  for (size_t i = 0; name && i < sf_law_count(); i++)
    if (strcmp(catalogue[i]->name, name) == 0) return catalogue[i];
  return NULL;
}

const char *sf_law_label(const sf_law *law) { return law->label ? law->label : law->name; }

int sf_law_param_index(const sf_law *law, const char *name) {
  for (size_t j = 0; name && j < law->np; j++)
    if (strcmp(law->par[j].name, name) == 0 || strcmp(law->par[j].internal, name) == 0) return (int)j;
  return -1;
}

/* ---- transforms ---- */

double sf_param_natural(const sf_param *p, double t) {
  switch (p->tr) {
  case SF_TR_EXP: return exp(t);
  case SF_TR_LOGISTIC: return p->lo + (p->hi - p->lo) * logistic(t);
  case SF_TR_LOWER: return p->lo + exp(t);
  default: return t;
  }
}

double sf_param_dnatural(const sf_param *p, double t) {
  switch (p->tr) {
  case SF_TR_EXP: return exp(t);
  case SF_TR_LOGISTIC: {
    double s = logistic(t);
    return (p->hi - p->lo) * s * (1 - s);
  }
  case SF_TR_LOWER: return exp(t);
  default: return 1;
  }
}

double sf_param_internal_closed(const sf_param *p, double v) {
  double t = sf_param_internal(p, v);
  if (!isnan(t)) return t;
  /* a fit that ran to its bound saves the bound itself (lo 0 of a sigmoid, E 0): taken a rounding
   * error inside, where the internal value, the law and its derivatives are all finite */
  switch (p->tr) {
  case SF_TR_EXP: return v == 0 ? log(DBL_MIN) : NAN;
  case SF_TR_LOGISTIC:
    if (v == p->lo) return sf_param_internal(p, p->lo + (p->hi - p->lo) * DBL_EPSILON);
    if (v == p->hi) return sf_param_internal(p, p->hi - (p->hi - p->lo) * DBL_EPSILON);
    return NAN;
  case SF_TR_LOWER: return v == p->lo ? sf_param_internal(p, p->lo + fmax(fabs(p->lo), 1) * DBL_EPSILON) : NAN;
  default: return NAN;
  }
}

double sf_param_internal(const sf_param *p, double v) {
  switch (p->tr) {
  case SF_TR_EXP: return v > 0 ? log(v) : NAN;
  case SF_TR_LOGISTIC: {
    if (!(v > p->lo && v < p->hi)) return NAN;
    double s = (v - p->lo) / (p->hi - p->lo);
    return log(s / (1 - s));
  }
  case SF_TR_LOWER: return v > p->lo ? log(v - p->lo) : NAN;
  default: return v;
  }
}
