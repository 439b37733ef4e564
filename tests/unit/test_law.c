/* test_law.c: the law catalogue and user formulas.
 *
 *  - every law's analytic gradient against central finite differences (relative 1e-5);
 *  - every law recovers known parameters from synthetic data with noise (tolerances per law in
 *    the table below: a few percent where the data pin the parameter, wider for break points);
 *  - formulas: the parser's errors, exact forward-mode gradients, and a formula that is the
 *    Chinchilla law recovers the same parameters as the built-in one;
 *  - selections (--where) evaluate comparisons and and/or/not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_law.h>

#include "sf_test.h"

#define NMAX 128

/* ---- deterministic noise ---- */
static uint64_t rng_state;
static double urand(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return ((double)((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53;
}
static double nrand(void) { return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand()); }

typedef struct synth {
  size_t n;
  double x[3][NMAX], lx[3][NMAX], y[NMAX];
  sf_law_data d;
} synth;

/* Inputs: one variable log-spaced over [lo, hi], two on a grid, or (datacon) N, D and U on a grid
 * of model sizes, unique tokens and epochs (D = epochs x U: 1 to 40 epochs, the paper's range). */
static void make_inputs(synth *s, const sf_law *law) {
  if (law->nvar == 3) {
    static const double epochs[] = {1, 2, 4, 10, 40};
    s->n = 0;
    for (int a = 0; a < 6; a++)
      for (int u = 0; u < 4; u++)
        for (int e = 0; e < 5; e++) {
          s->x[0][s->n] = pow(10, 7 + 3.0 * a / 5); /* N 1e7 .. 1e10 */
          s->x[2][s->n] = pow(10, 9 + 2.0 * u / 3); /* U 1e9 .. 1e11 */
          s->x[1][s->n] = epochs[e] * s->x[2][s->n];
          s->n++;
        }
  } else if (law->nvar == 1) {
    s->n = 60;
    for (size_t i = 0; i < s->n; i++) s->x[0][i] = pow(10, 17 + 8.0 * (double)i / (double)(s->n - 1));
  } else {
    s->n = 0;
    for (int a = 0; a < 9; a++)
      for (int b = 0; b < 9; b++) {
        s->x[0][s->n] = pow(10, 7 + 3.0 * a / 8); /* N 1e7 .. 1e10 */
        s->x[1][s->n] = pow(10, 9 + 3.0 * b / 8); /* D 1e9 .. 1e12 */
        s->n++;
      }
  }
  for (size_t v = 0; v < law->nvar; v++)
    for (size_t i = 0; i < s->n; i++) s->lx[v][i] = log(s->x[v][i]);
  s->d = (sf_law_data){.n = s->n, .nvar = law->nvar};
  for (size_t v = 0; v < law->nvar; v++) {
    s->d.x[v] = s->x[v];
    s->d.lx[v] = s->lx[v];
  }
}

static void internal_of(const sf_law *law, const double *natural, double *theta) {
  for (size_t j = 0; j < law->np; j++) theta[j] = sf_param_internal(&law->par[j], natural[j]);
}

/* J against central differences at theta, for every point and parameter. */
static void check_gradient(const sf_law *law, const sf_law_data *d, const double *theta) {
  size_t n = d->n, np = law->np;
  double *f = malloc(n * sizeof *f), *fp = malloc(n * sizeof *f), *fm = malloc(n * sizeof *f);
  double *J = malloc(n * np * sizeof *J), *scratch = malloc((law->nscratch + 1) * sizeof *scratch);
  assert_int_equal(law->eval(law, d, theta, f, J, scratch), 0);
  double fmax = 0;
  for (size_t i = 0; i < n; i++) fmax = fmax > fabs(f[i]) ? fmax : fabs(f[i]);
  for (size_t j = 0; j < np; j++) {
    double th[SF_LAW_MAXPAR];
    memcpy(th, theta, np * sizeof *th);
    double h = 1e-6 * (1 + fabs(theta[j]));
    th[j] = theta[j] + h;
    assert_int_equal(law->eval(law, d, th, fp, NULL, scratch), 0);
    th[j] = theta[j] - h;
    assert_int_equal(law->eval(law, d, th, fm, NULL, scratch), 0);
    for (size_t i = 0; i < n; i++) {
      double fd = (fp[i] - fm[i]) / (2 * h), an = J[j * n + i];
      double tol = 1e-5 * fabs(fd) + 1e-8 * fmax;
      if (!(fabs(an - fd) <= tol)) {
        print_error("law %s param %s point %zu: analytic %.10g, finite difference %.10g\n", law->name,
                    law->par[j].name, i, an, fd);
        fail();
      }
    }
  }
  free(f);
  free(fp);
  free(fm);
  free(J);
  free(scratch);
}

/* Truth, noise and tolerances per law. Noise is multiplicative (log space) or additive. */
typedef struct law_case {
  const char *name;
  double truth[SF_LAW_MAXPAR];
  double noise;
  double rtol[SF_LAW_MAXPAR]; /* relative tolerance per parameter (absolute where truth is 0) */
} law_case;

static const law_case cases[] = {
    {"power", {1.7, 1002.4, 0.15}, 0.003, {0.02, 0.15, 0.03}},
    {"power0", {1e3, 0.1}, 0.003, {0.1, 0.02}},
    {"chinchilla", {1.69, 406.4, 410.7, 0.34, 0.28}, 0.003, {0.03, 0.15, 0.15, 0.03, 0.03}},
    {"kaplan", {6.4e13, 1.8e13, 0.076, 0.103}, 0.002, {0.3, 0.3, 0.05, 0.05}},
    {"loglinear", {2.0, -0.1}, 0.005, {0.01, 0.02}},
    {"sigmoid", {0.25, 0.9, 2.0, 21.0}, 0.01, {0.06, 0.03, 0.15, 0.01}},
    {"bnsl", {1.5, 300, 0.05, 0.3, 1e21, 0.5}, 0.001, {0.05, 0.5, 0.3, 0.15, 1.0, 0.5}},
    /* Chinchilla's constants with the paper's R*: Nopt(U) = 1.72 U^0.82 is 4.4e7 at U = 1e9 and 2.0e9
     * at 1e11, so the grid's N (1e7 .. 1e10) lies on both sides of it and RN* is measured */
    {"datacon", {1.69, 406.4, 410.7, 0.34, 0.28, 15.4, 5.3}, 0.003, {0.03, 0.2, 0.2, 0.03, 0.03, 0.15, 0.15}},
};

static void test_gradients_builtin(void **state) {
  (void)state;
  assert_int_equal(sf_law_count(), sizeof cases / sizeof cases[0]);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const sf_law *law = sf_law_find(cases[c].name);
    assert_non_null(law);
    synth s;
    make_inputs(&s, law);
    double th[SF_LAW_MAXPAR];
    internal_of(law, cases[c].truth, th);
    check_gradient(law, &s.d, th);
    for (size_t j = 0; j < law->np; j++) th[j] += 0.05 * (double)(j + 1) * (j % 2 ? -1 : 1); /* elsewhere too */
    check_gradient(law, &s.d, th);
  }
}

static void fit_synthetic(const sf_law *law, const law_case *lc, uint64_t seed, sf_fit_result *res) {
  synth s;
  make_inputs(&s, law);
  double th[SF_LAW_MAXPAR], scratch[1];
  internal_of(law, lc->truth, th);
  assert_int_equal(law->eval(law, &s.d, th, s.y, NULL, scratch), 0);
  rng_state = seed;
  for (size_t i = 0; i < s.n; i++)
    s.y[i] = law->space == SF_SPACE_LOG ? s.y[i] * exp(lc->noise * nrand()) : s.y[i] + lc->noise * nrand();
  sf_fit_opts o;
  sf_fit_opts_default(&o, law);
  sf_fit_workspace *w = sf_fit_alloc(law, s.n, &o);
  assert_non_null(w);
  size_t ns = law->starts(law, &s.d, s.y, NULL, 0);
  double *starts = malloc(ns * law->np * sizeof *starts);
  assert_int_equal(law->starts(law, &s.d, s.y, starts, ns), ns);
  assert_int_equal(sf_fit_run(w, &s.d, s.y, NULL, NULL, starts, ns, res), SF_OK);
  free(starts);
  sf_fit_free(w);
}

static void test_recovery_builtin(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const sf_law *law = sf_law_find(cases[c].name);
    sf_fit_result res;
    fit_synthetic(law, &cases[c], 1234 + c, &res);
    if (!res.converged) print_error("law %s did not converge\n", law->name);
    assert_true(res.converged);
    for (size_t j = 0; j < law->np; j++) {
      double t = cases[c].truth[j], got = res.params[j];
      if (!(fabs(got - t) <= cases[c].rtol[j] * fabs(t))) {
        print_error("law %s: %s = %.6g, truth %.6g (tolerance %.0f%%)\n", law->name, law->par[j].name, got, t,
                    100 * cases[c].rtol[j]);
        fail();
      }
      assert_true(isfinite(res.stderr_[j]) && res.stderr_[j] > 0);
    }
  }
}

/* The 95% interval from the Jacobian covers the truth in most of 40 noisy sets (power law). */
static void test_stderr_coverage(void **state) {
  (void)state;
  const sf_law *law = sf_law_find("power");
  int covered[3] = {0};
  for (int rep = 0; rep < 40; rep++) {
    sf_fit_result res;
    fit_synthetic(law, &cases[0], 9000 + (uint64_t)rep, &res);
    for (size_t j = 0; j < 3; j++) covered[j] += fabs(res.params[j] - cases[0].truth[j]) <= 1.96 * res.stderr_[j];
  }
  for (size_t j = 0; j < 3; j++) assert_in_range(covered[j], 32, 40); /* ~38 expected */
}

/* Closed form: for loglinear (linear least squares in log10 x) the parameters and standard
 * errors are those of ordinary least squares. */
static void test_loglinear_ols(void **state) {
  (void)state;
  const sf_law *law = sf_law_find("loglinear");
  sf_fit_result res;
  fit_synthetic(law, &cases[4], 77, &res);
  synth s;
  make_inputs(&s, law);
  double th[2] = {2.0, -0.1}, scratch[1];
  law->eval(law, &s.d, th, s.y, NULL, scratch);
  rng_state = 77;
  for (size_t i = 0; i < s.n; i++) s.y[i] += 0.005 * nrand();
  double sx = 0, sy = 0, sxx = 0, sxy = 0, n = (double)s.n;
  for (size_t i = 0; i < s.n; i++) {
    double t = log10(s.x[0][i]);
    sx += t, sy += s.y[i], sxx += t * t, sxy += t * s.y[i];
  }
  double b = (n * sxy - sx * sy) / (n * sxx - sx * sx), a = (sy - b * sx) / n, rss = 0;
  for (size_t i = 0; i < s.n; i++) {
    double r = s.y[i] - a - b * log10(s.x[0][i]);
    rss += r * r;
  }
  double s2 = rss / (n - 2), sxx_c = sxx - sx * sx / n;
  assert_rel(res.params[0], a, 1e-8);
  assert_rel(res.params[1], b, 1e-8);
  assert_rel(res.stderr_[1], sqrt(s2 / sxx_c), 1e-6);
  assert_rel(res.stderr_[0], sqrt(s2 * (1 / n + (sx / n) * (sx / n) / sxx_c)), 1e-6);
  assert_rel(res.rss, rss, 1e-8);
}

/* ---- datacon (Muennighoff et al. 2023) against the closed form ---- */

static double datacon_at(const sf_law *law, const double *natural, double N, double D, double U) {
  double th[SF_LAW_MAXPAR], x[3] = {N, D, U}, lx[3] = {log(N), log(D), log(U)}, f, scratch[1];
  internal_of(law, natural, th);
  sf_law_data d = {.n = 1, .nvar = 3, .x = {&x[0], &x[1], &x[2]}, .lx = {&lx[0], &lx[1], &lx[2]}};
  assert_int_equal(law->eval(law, &d, th, &f, NULL, scratch), 0);
  return f;
}

/* Values from numpy (float64) of the paper's closed form, computed apart from scalefit:
 *   RD = max(D/U - 1, 0); Nopt = (alpha A/(beta B))^(1/alpha) U^(beta/alpha); UN = min(N, Nopt);
 *   RN = max(N/UN - 1, 0); N' = UN + UN RN* (1 - exp(-RN/RN*)); D' = U + U RD* (1 - exp(-RD/RD*));
 *   L = E + A/N'^alpha + B/D'^beta
 * and the README of huggingface/datablations' two printed checks of the published fit. */
static void test_datacon_values(void **state) {
  (void)state;
  const sf_law *law = sf_law_find("datacon"), *chin = sf_law_find("chinchilla");
  assert_non_null(law);
  const double p[7] = {1.69, 406.4, 410.7, 0.34, 0.28, 15.4, 5.3};
  static const struct {
    double N, D, U, want;
  } pts[] = {
      {5e7, 2e9, 2e9, 3.6916707623961775},     /* one epoch, N below Nopt(U) = 7.8e7 */
      {1e8, 8e9, 2e9, 3.172632966312416},      /* 4 epochs, N a little above Nopt */
      {5e9, 4e10, 1e9, 2.8154558732863313},    /* 40 epochs, N 100x Nopt(U) = 4.4e7 */
      {3e10, 1e11, 1e11, 2.1851005395040137},  /* one epoch, N 15x Nopt(U) = 2.0e9 */
      {2e7, 5e10, 1e9, 3.601518280483901},     /* 50 epochs, N below Nopt */
  };
  for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++)
    assert_rel(datacon_at(law, p, pts[k].N, pts[k].D, pts[k].U), pts[k].want, 1e-13);

  /* RD = 0 and N <= Nopt(U): D' = D and N' = N exactly, so the law is Chinchilla's */
  double cth[5] = {log(1.69), log(406.4), log(410.7), 0.34, 0.28}, x[2] = {5e7, 2e9}, lx[2] = {log(5e7), log(2e9)};
  double fc, scratch[1];
  sf_law_data cd = {.n = 1, .nvar = 2, .x = {&x[0], &x[1]}, .lx = {&lx[0], &lx[1]}};
  assert_int_equal(chin->eval(chin, &cd, cth, &fc, NULL, scratch), 0);
  assert_rel(datacon_at(law, p, 5e7, 2e9, 2e9), fc, 1e-14);
  assert_rel(fc, 1.69 + 406.4 * pow(5e7, -0.34) + 410.7 * pow(2e9, -0.28), 1e-14);

  /* RD -> infinity: D' -> U (1 + RD*), every further epoch worth nothing */
  double U = 1e9, N = 1e7; /* N below Nopt(1e9) = 4.4e7 */
  double lim = 1.69 + 406.4 * pow(N, -0.34) + 410.7 * pow(U * (1 + 15.4), -0.28);
  assert_rel(datacon_at(law, p, N, 1e15 * U, U), lim, 1e-14);
  assert_true(datacon_at(law, p, N, 1e2 * U, U) > lim); /* approached from above (99 epochs: 1 - exp(-99/15.4) < 1) */
  /* N -> infinity at fixed U: N' -> Nopt(U) (1 + RN*) */
  double nopt = pow(0.34 * 406.4 / (0.28 * 410.7), 1 / 0.34) * pow(U, 0.28 / 0.34);
  assert_rel(datacon_at(law, p, 1e30, U, U), 1.69 + 406.4 * pow(nopt * (1 + 5.3), -0.34) + 410.7 * pow(U, -0.28),
             1e-13);

  /* the published fit (datasets/laws.csv muennighoff2023): the README's printed values for Fig. 1 */
  const double pub[7] = {exp(0.6254804), exp(6.255414), exp(7.3049974), 0.3526596, 0.3526596, 15.387756, 5.309743};
  assert_rel(datacon_at(law, pub, 6.34e9, 242e9, 25e9), 2.2256440889984477, 1e-13);
  assert_rel(datacon_at(law, pub, 8.67e9, 178e9, 25e9), 2.2269634075087867, 1e-13);
  /* the paper's finding: 4 epochs of 100B unique tokens come within 0.5% in loss of 400B unique
   * ones, and keep 95% of the gain over one epoch */
  double one = datacon_at(law, pub, 8.67e9, 100e9, 100e9), four = datacon_at(law, pub, 8.67e9, 400e9, 100e9),
         uniq = datacon_at(law, pub, 8.67e9, 400e9, 400e9);
  assert_true(four > uniq && four - uniq < 0.005 * uniq);
  assert_true((one - four) / (one - uniq) > 0.9);

  /* the domain: U <= D */
  char why[256];
  double ok[3] = {1e9, 4e10, 4e10}, bad[3] = {1e9, 1e10, 2e10};
  assert_int_equal(law->domain(law, ok, why, sizeof why), 0);
  assert_int_equal(law->domain(law, bad, why, sizeof why), 1);
  assert_non_null(strstr(why, "U <= D"));
  assert_non_null(strstr(why, "U = 2e+10 > D = 1e+10"));
}

/* A run with U > D is refused by the fitter with its row, not fitted as one epoch. */
static void test_datacon_bad_row(void **state) {
  (void)state;
  const sf_law *law = sf_law_find("datacon");
  synth s;
  make_inputs(&s, law);
  for (size_t i = 0; i < s.n; i++) s.y[i] = 3;
  s.x[2][4] = 2 * s.x[1][4];
  s.lx[2][4] = log(s.x[2][4]);
  sf_fit_opts o;
  sf_fit_opts_default(&o, law);
  sf_fit_workspace *w = sf_fit_alloc(law, s.n, &o);
  assert_non_null(w);
  double start[7] = {0, 5, 5, log(0.3), log(0.3), log(15), log(5)};
  sf_fit_result res;
  assert_int_equal(sf_fit_run(w, &s.d, s.y, NULL, NULL, start, 1, &res), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "row 5: law 'datacon' needs U <= D"));
  sf_error_clear();
  sf_fit_free(w);
}

/* ---- formulas ---- */

static const char *const cols[] = {"N", "D", "C", "loss", "mmlu"};

static void expect_parse_error(const char *formula, const char *fragment) {
  sf_law *law = NULL;
  int rc = sf_law_from_formula(formula, cols, 5, &law);
  if (rc != SF_EINPUT || law || !strstr(sf_errmsg(), fragment)) {
    print_error("formula '%s': rc %d, message '%s', want one containing '%s'\n", formula, rc, sf_errmsg(), fragment);
    fail();
  }
}

static void test_formula_errors(void **state) {
  (void)state;
  expect_parse_error("loss = E + A*N^-alpha +", "at the end");
  expect_parse_error("loss = (E + A*N^-alpha", "expected ')'");
  expect_parse_error("loss = E + A*N^-alpha)", "unexpected text");
  expect_parse_error("loss = E + foo(N)", "unknown function");
  expect_parse_error("loss = E + 2..5*N", "unexpected text");
  expect_parse_error("", "expected a value");
  expect_parse_error("loss = E + A*alpha", "names no column");
  expect_parse_error("loss = N + D", "no parameter");
  expect_parse_error("loss = E < N", "comparison not allowed");
  expect_parse_error("3*x = E + N", "left of '='");
  expect_parse_error("loss = a+b+c+d+e+f+g+h+i+j+k+l+m+N", "at most");
  /* deep nesting is refused, not a stack overflow */
  char deep[2000];
  memset(deep, '(', 1000);
  strcpy(deep + 1000, "N");
  expect_parse_error(deep, "nested too deeply");
}

static void test_formula_gradient(void **state) {
  (void)state;
  sf_law *law = NULL;
  assert_int_equal(sf_law_from_formula("loss = E + A*N^-alpha + B/D^beta + c*log(N)/sqrt(D) - exp(-c*N/1e9)"
                                       " + log10(D)*c^2 - (-N/D)^2*g",
                                       cols, 5, &law),
                   SF_OK);
  assert_string_equal(law->y, "loss");
  assert_int_equal(law->nvar, 2);
  assert_int_equal(law->np, 7);
  assert_string_equal(law->vars[0], "N");
  assert_string_equal(law->par[1].name, "A");
  synth s;
  const sf_law *ch = sf_law_find("chinchilla");
  make_inputs(&s, ch);
  double th[7] = {1.7, 400, 0.34, 410, 0.28, 0.3, 1e-3};
  check_gradient(law, &s.d, th);
  /* value check against the closed form at one point */
  double f[NMAX], scratch[512];
  assert_true(law->nscratch <= 512);
  assert_int_equal(law->eval(law, &s.d, th, f, NULL, scratch), 0);
  double N = s.x[0][5], D = s.x[1][5];
  double want = 1.7 + 400 * pow(N, -0.34) + 410 / pow(D, 0.28) + 0.3 * log(N) / sqrt(D) - exp(-0.3 * N / 1e9) +
                log10(D) * 0.09 - pow(N / D, 2) * 1e-3;
  assert_rel(f[5], want, 1e-12);
  sf_law_free(law);
}

/* The formula spelling of Chinchilla finds the same optimum as the built-in law on synthetic
 * data (l2 in log space for both, formula from a small grid in natural parameters). */
static void test_formula_matches_builtin(void **state) {
  (void)state;
  const sf_law *ch = sf_law_find("chinchilla");
  synth s;
  make_inputs(&s, ch);
  double th[5], scratch[512];
  internal_of(ch, cases[2].truth, th);
  ch->eval(ch, &s.d, th, s.y, NULL, scratch);
  rng_state = 5;
  for (size_t i = 0; i < s.n; i++) s.y[i] *= exp(0.003 * nrand());
  sf_fit_opts o;
  sf_fit_opts_default(&o, ch);
  o.loss = SF_LOSS_L2;
  sf_fit_workspace *w = sf_fit_alloc(ch, s.n, &o);
  size_t ns = ch->starts(ch, &s.d, s.y, NULL, 0);
  double *st = malloc(ns * 5 * sizeof *st);
  ch->starts(ch, &s.d, s.y, st, ns);
  sf_fit_result rb, rf;
  assert_int_equal(sf_fit_run(w, &s.d, s.y, NULL, NULL, st, ns, &rb), SF_OK);
  sf_fit_free(w);
  free(st);

  sf_law *law = NULL;
  assert_int_equal(sf_law_from_formula("loss = E + A*N^-alpha + B*D^-beta", cols, 5, &law), SF_OK);
  sf_fit_opts_default(&o, law);
  assert_int_equal(o.space, SF_SPACE_LOG);
  w = sf_fit_alloc(law, s.n, &o);
  double grid[32 * 5];
  size_t k = 0;
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++)
      for (int c = 0; c < 2; c++)
        for (int d = 0; d < 2; d++)
          for (int e = 0; e < 2; e++, k++) {
            double row[5] = {a ? 2.0 : 1.0, b ? 1000 : 100, c ? 0.5 : 0.2, d ? 1000 : 100, e ? 0.5 : 0.2};
            memcpy(grid + k * 5, row, sizeof row);
          }
  assert_int_equal(sf_fit_run(w, &s.d, s.y, NULL, NULL, grid, 32, &rf), SF_OK);
  /* parameter order: formula E A alpha B beta; built-in E A B alpha beta */
  assert_rel(rf.objective, rb.objective, 1e-6);
  assert_rel(rf.params[0], rb.params[0], 1e-4);
  assert_rel(rf.params[1], rb.params[1], 1e-3);
  assert_rel(rf.params[2], rb.params[3], 1e-4);
  assert_rel(rf.params[3], rb.params[2], 1e-3);
  assert_rel(rf.params[4], rb.params[4], 1e-4);
  sf_fit_free(w);
  sf_law_free(law);
}

static void test_where(void **state) {
  (void)state;
  sf_expr *e = NULL;
  assert_int_equal(sf_expr_parse("loss < 3.7 and (N >= 1e8 or not D != 2e9)", 1, &e), SF_OK);
  assert_int_equal(sf_expr_nidents(e), 3);
  assert_string_equal(sf_expr_ident(e, 0), "loss");
  double v1[3] = {3.0, 1e9, 1}, v2[3] = {3.0, 1e7, 2e9}, v3[3] = {3.0, 1e7, 3e9}, v4[3] = {3.8, 1e9, 1};
  assert_true(sf_expr_eval(e, v1) == 1);
  assert_true(sf_expr_eval(e, v2) == 1);
  assert_true(sf_expr_eval(e, v3) == 0);
  assert_true(sf_expr_eval(e, v4) == 0);
  sf_expr_free(e);
  /* a missing value (NaN) compares false whatever the comparison, and stays unknown under 'not'
   * (SQL's NULL): 'lr != 6e-4' and 'not lr < 1' kept runs without an lr */
  struct {
    const char *expr;
    double want; /* with lr missing and N = 1e8 */
  } miss[] = {{"lr != 6e-4", 0},          {"lr == 6e-4", 0},          {"not lr < 1", 0},     {"not (lr >= 1)", 0},
              {"lr < 1 or N > 1", 1},     {"N > 1 or not lr < 1", 1}, {"lr < 1 and N > 1", 0},
              {"not (lr < 1 and N < 1)", 1}, {"not (lr < 1 or N < 1)", 0}, {"not not lr < 1", 0}};
  for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++) {
    assert_int_equal(sf_expr_parse(miss[i].expr, 1, &e), SF_OK);
    double v[2];
    for (size_t k = 0; k < sf_expr_nidents(e); k++) v[k] = strcmp(sf_expr_ident(e, k), "lr") ? 1e8 : NAN;
    double got = sf_expr_eval(e, v);
    if (got != miss[i].want) fail_msg("'%s' with lr missing: %g, want %g", miss[i].expr, got, miss[i].want);
    sf_expr_free(e);
  }
  assert_int_equal(sf_expr_parse("-2^2 + 2^3^2", 0, &e), SF_OK);
  assert_true(sf_expr_eval(e, NULL) == -4 + 512);
  sf_expr_free(e);
  assert_int_equal(sf_expr_parse("loss <", 1, &e), SF_EINPUT);
  assert_int_equal(sf_expr_parse("loss < 3 and", 1, &e), SF_EINPUT);
  assert_null(e);
}

static void test_catalogue(void **state) {
  (void)state;
  for (size_t i = 0; i < sf_law_count(); i++) {
    const sf_law *law = sf_law_at(i);
    assert_ptr_equal(sf_law_find(law->name), law);
    assert_true(law->np > 0 && law->np <= SF_LAW_MAXPAR);
    for (size_t j = 0; j < law->np; j++) {
      assert_int_equal(sf_law_param_index(law, law->par[j].name), (int)j);
      /* transforms invert */
      double t = 0.3;
      assert_rel(sf_param_internal(&law->par[j], sf_param_natural(&law->par[j], t)), t, 1e-12);
    }
  }
  assert_null(sf_law_find("nope"));
  assert_int_equal(sf_law_find("chinchilla")->starts(sf_law_find("chinchilla"), NULL, NULL, NULL, 0), 4500);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_catalogue),
      cmocka_unit_test(test_gradients_builtin),
      cmocka_unit_test(test_recovery_builtin),
      cmocka_unit_test(test_stderr_coverage),
      cmocka_unit_test(test_loglinear_ols),
      cmocka_unit_test(test_datacon_values),
      cmocka_unit_test(test_datacon_bad_row),
      cmocka_unit_test(test_formula_errors),
      cmocka_unit_test(test_formula_gradient),
      cmocka_unit_test(test_formula_matches_builtin),
      cmocka_unit_test(test_where),
  };
  if (getenv("SF_TEST_FILTER")) cmocka_set_test_filter(getenv("SF_TEST_FILTER")); /* e.g. "*bootstrap*" */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
