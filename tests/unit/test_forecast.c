/* test_forecast.c: saved-fit loading, predictions with bands, compute-optimal allocation and
 * targets, each against an independent reference (closed forms, published conclusions, a second
 * method). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_law.h>

#include "sf_test.h"
#include "util/util.h"

#define LAWS_CSV SF_TEST_DATADIR "/laws.csv"

static sf_fitfile *load_json(const char *text, int want_rc) {
  sf_jval *root = NULL;
  assert_int_equal(sf_jparse(text, strlen(text), "t.json", &root), SF_OK);
  sf_fitfile *ff = NULL;
  int rc = sf_fitfile_from_json(root, "t.json", &ff);
  sf_jfree(root);
  if (rc != want_rc) print_error("rc %d: %s\n", rc, sf_errmsg());
  assert_int_equal(rc, want_rc);
  return ff;
}

static sf_fitfile *published(const char *id) {
  sf_fitfile *ff = NULL;
  int rc = sf_fitfile_published(LAWS_CSV, id, &ff);
  if (rc) print_error("%s\n", sf_errmsg());
  assert_int_equal(rc, SF_OK);
  return ff;
}

/* ---- fit files ---- */

#define CHIN_HEAD "{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"chinchilla\", "
/* param_order deliberately differs from the catalogue's (E, A, B, alpha, beta) */
#define CHIN_PARAMS                                                                                                 \
  "\"param_order\": [\"alpha\", \"beta\", \"E\", \"A\", \"B\"], "                                                   \
  "\"params\": {\"E\": 1.8172, \"A\": 482.01, \"B\": 2085.43, \"alpha\": 0.3478, \"beta\": 0.3658}"

static void test_fitfile_reads_and_remaps(void **state) {
  (void)state;
  sf_fitfile *ff = load_json(CHIN_HEAD CHIN_PARAMS ", \"vars\": [\"N\", \"D\"], \"y\": \"loss\", "
                             "\"cov\": [[1,0,0,0,0],[0,2,0,0,0],[0,0,3,0,0],[0,0,0,4,0],[0,0,0,0,5]], "
                             "\"bootstrap\": {\"K\": 3, \"samples\": [[0.35, 0.37, 1.8, 480, 2000], "
                             "[null, 0.37, 1.8, 480, 2000], [0.34, 0.36, 1.82, 490, 2100]]}, "
                             "\"data\": {\"range\": {\"N\": [7e7, 1.6e10], \"C\": [1e18, 1e22]}}}",
                             SF_OK);
  assert_string_equal(ff->law->name, "chinchilla");
  assert_int_equal(ff->alloc, SF_ALLOC_ND);
  assert_rel(ff->params[0], 1.8172, 0); /* E, catalogue order */
  assert_rel(ff->params[3], 0.3478, 0); /* alpha */
  assert_rel(ff->cov[0 * 5 + 0], 3, 0); /* E was third in the file */
  assert_rel(ff->cov[3 * 5 + 3], 1, 0); /* alpha first */
  assert_int_equal(ff->K, 2);           /* the row with a null is dropped */
  assert_int_equal(ff->bootstrap_failed, 1);
  assert_rel(ff->samples[1 * 5 + 0], 1.82, 0);
  assert_rel(ff->samples[1 * 5 + 4], 0.36, 0);
  double lo, hi;
  assert_true(sf_fitfile_range(ff, "N", &lo, &hi));
  assert_rel(hi, 1.6e10, 0);
  const char *names[] = {"N", "C"};
  double v[] = {1.6e12, 1e21}; /* N two decades above, C inside */
  assert_rel(sf_fitfile_decades_beyond(ff, names, v, 2), 2.0, 1e-12);
  sf_fitfile_free(ff);
}

static void test_fitfile_errors(void **state) {
  (void)state;
  struct { const char *json, *needle; } bad[] = {
      {"{\"format\": \"other\", \"version\": 1}", "not a scalefit fit file"},
      {"{\"format\": \"scalefit-fit\", \"version\": 2, \"law\": \"chinchilla\"}", "version 2 is not supported"},
      {"{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"chinchila\", \"params\": {}}", "unknown law 'chinchila'"},
      {CHIN_HEAD "\"params\": {\"E\": 1.8, \"A\": 400, \"B\": 400, \"alpha\": 0.3}}", "parameter 'beta'"},
      {CHIN_HEAD CHIN_PARAMS ", \"cov\": [[1, 2], [3, 4]]}", "'cov' must be a 5 x 5"},
      {CHIN_HEAD CHIN_PARAMS ", \"bootstrap\": {\"samples\": [[1, 2, 3]]}}", "row 1 must have 5"},
      {CHIN_HEAD "\"params\": {\"E\": -1, \"A\": 400, \"B\": 400, \"alpha\": 0.3, \"beta\": 0.3}}", "outside the range"},
      {"{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"formula\", \"vars\": [\"N\"], "
       "\"formula\": \"L = E + A*N^\", \"params\": {}}", "formula"},
      /* hand edits of the wrong type used to be skipped in silence (another level, no bootstrap,
       * no ranges, the law's own y) or misreported as missing; each is named now */
      {"{\"format\": \"scalefit-fit\", \"version\": \"1\", \"law\": \"chinchilla\"}", "'version' must be a number, not a string"},
      {"{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": 3}", "'law' must be a string, not a number"},
      {CHIN_HEAD CHIN_PARAMS ", \"ci_level\": \"0.9\"}", "'ci_level' must be a number, not a string"},
      {CHIN_HEAD CHIN_PARAMS ", \"bootstrap\": [[1, 2, 3, 4, 5]]}", "'bootstrap' must be an object, not an array"},
      {CHIN_HEAD CHIN_PARAMS ", \"bootstrap\": {\"failed\": \"2\"}}", "'bootstrap.failed' must be a number"},
      {CHIN_HEAD CHIN_PARAMS ", \"fixed\": [\"E\"]}", "'fixed' must be an object, not an array"},
      {CHIN_HEAD CHIN_PARAMS ", \"y\": 3}", "'y' must be a string, not a number"},
      {CHIN_HEAD CHIN_PARAMS ", \"data\": \"runs.csv\"}", "'data' must be an object, not a string"},
      {CHIN_HEAD CHIN_PARAMS ", \"data\": {\"range\": [1, 2]}}", "'data.range' must be an object, not an array"},
      {CHIN_HEAD CHIN_PARAMS ", \"vars\": [\"N\", \"N\"]}", "'vars' names 'N' twice"},
      /* a negative variance gave a band of "-" with no word why */
      {CHIN_HEAD CHIN_PARAMS ", \"cov\": [[1,0,0,0,0],[0,1,0,0,0],[0,0,-1,0,0],[0,0,0,1,0],[0,0,0,0,1]]}",
       "'cov' gives parameter 'E' a negative variance"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sf_fitfile *ff = load_json(bad[i].json, SF_EINPUT);
    assert_null(ff);
    if (!strstr(sf_errmsg(), bad[i].needle)) print_error("case %zu: '%s'\n", i, sf_errmsg());
    assert_non_null(strstr(sf_errmsg(), bad[i].needle));
    assert_non_null(strstr(sf_errmsg(), "t.json")); /* the file, always */
  }
  /* null stands for a value the writer did not have: accepted as absent */
  sf_fitfile_free(load_json(CHIN_HEAD CHIN_PARAMS ", \"ci_level\": null, \"y\": null, \"data\": null}", SF_OK));
}

static void test_published_laws(void **state) {
  (void)state;
  sf_fitfile *ff = published("llama3_Dopt");
  assert_int_equal(ff->alloc, SF_ALLOC_DOPT);
  assert_string_equal(ff->law->name, "power0");
  double C = 3.8e25, D;
  assert_int_equal(sf_forecast_eval(ff->law, ff->params, &C, &D, NULL), SF_OK);
  assert_rel(D, 0.29 * pow(3.8e25, 0.53), 1e-12); /* sign convention handled */
  sf_fitfile_free(ff);
  ff = NULL;
  assert_int_equal(sf_fitfile_published(LAWS_CSV, "hoffmann2022_approach1_Nopt", &ff), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "parameter 'A'"));
  /* the file and its line, and why: Hoffmann's Table 2 publishes only the exponent */
  assert_non_null(strstr(sf_errmsg(), LAWS_CSV "' line "));
  assert_non_null(strstr(sf_errmsg(), "only its exponent was published"));
  assert_int_equal(sf_fitfile_published(LAWS_CSV, "nope", &ff), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "epoch2024_replication"));
  assert_null(ff);
}

/* Kaplan et al. 2020's laws against their own formulas, with C in FLOP (1 PF-day = 1e15 * 86400):
 * L(N) = (Nc/N)^alphaN, L(D) = (Dc/D)^alphaD, L(C) = (Cc/C_pf)^alphaC, N_opt = 1.3e9 C_pf^0.73. */
static double eval1(const char *id, const char *var, double x) {
  sf_fitfile *ff = published(id);
  assert_int_equal(ff->nvar, 1);
  assert_string_equal(ff->vars[0], var);
  double y = NAN;
  assert_int_equal(sf_forecast_eval(ff->law, ff->params, &x, &y, NULL), SF_OK);
  sf_fitfile_free(ff);
  return y;
}

static void test_published_kaplan(void **state) {
  (void)state;
  const double pfday = 1e15 * 86400.0;
  assert_rel(eval1("kaplan2020_LN", "N", 8.8e13), 1.0, 1e-12); /* N = Nc */
  assert_rel(eval1("kaplan2020_LN", "N", 1e9), pow(8.8e13 / 1e9, 0.076), 1e-12);
  assert_rel(eval1("kaplan2020_LD", "D", 2e10), pow(5.4e13 / 2e10, 0.095), 1e-12);
  assert_rel(eval1("kaplan2020_LC", "C", 3.1e8 * pfday), 1.0, 1e-12); /* C = Cc PF-days */
  assert_rel(eval1("kaplan2020_LC", "C", 1e21), pow(3.1e8 / (1e21 / pfday), 0.050), 1e-12);
  assert_rel(eval1("kaplan2020_LC_naive", "C", 1e21), pow(1.6e7 / (1e21 / pfday), 0.057), 1e-12);
  assert_rel(eval1("kaplan2020_Nopt", "C", pfday), 1.3e9, 1e-12); /* A at 1 PF-day */
  assert_rel(eval1("kaplan2020_Nopt", "C", 1e24), 1.3e9 * pow(1e24 / pfday, 0.73), 1e-12);
  assert_rel(eval1("kaplan2020_Dopt", "C", 1e24), 2e10 * pow(1e24 / pfday, 0.27), 1e-12);
  /* FLOP-based laws are untouched by the unit column */
  assert_rel(eval1("llama3_Dopt", "C", 1e24), 0.29 * pow(1e24, 0.53), 1e-12);

  /* a unit the loader does not know is refused with its line */
  char path[512];
  snprintf(path, sizeof path, "%s/laws_unit.csv", sf_test_tmpdir());
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("id,law,output,params,c_unit\nok,power0,N_opt,A=1;alpha=0.5,\nbad,power0,N_opt,A=1;alpha=0.5,GFLOP\n", f);
  fclose(f);
  sf_fitfile *ff = NULL;
  assert_int_equal(sf_fitfile_published(path, "bad", &ff), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "line 3"));
  assert_non_null(strstr(sf_errmsg(), "'GFLOP'"));
  assert_null(ff);
  assert_int_equal(sf_fitfile_published(path, "ok", &ff), SF_OK);
  sf_fitfile_free(ff);
  remove(path);
}

/* ---- predictions and bands ---- */

/* The chain-rule gradient against central differences. */
static void test_eval_gradient(void **state) {
  (void)state;
  sf_fitfile *ff = published("epoch2024_replication");
  double x[2] = {7e10, 1.4e12}, f, g[5];
  assert_int_equal(sf_forecast_eval(ff->law, ff->params, x, &f, g), SF_OK);
  assert_rel(f, 1.8172 + 482.01 / pow(7e10, 0.3478) + 2085.43 / pow(1.4e12, 0.3658), 1e-12);
  for (size_t j = 0; j < 5; j++) {
    double p[5], fu, fd, h = 1e-6 * ff->params[j];
    memcpy(p, ff->params, sizeof p);
    p[j] += h;
    sf_forecast_eval(ff->law, p, x, &fu, NULL);
    p[j] -= 2 * h;
    sf_forecast_eval(ff->law, p, x, &fd, NULL);
    assert_rel(g[j], (fu - fd) / (2 * h), 1e-5);
  }
  sf_fitfile_free(ff);
}

/* A pure power law f = A C^-alpha fitted by least squares in log space on 10 runs with C log-spaced
 * in [1e18, 1e21]: Cov(log A, alpha) = s^2 (X'X)^-1 with rows (1, -ln C). The delta band's relative
 * width grows with the distance (in log C) from the data's centre, on both sides. */
static void test_bands_widen(void **state) {
  (void)state;
  double sxx = 0, sx = 0, n = 10, s2 = 1e-4;
  for (int i = 0; i < 10; i++) {
    double x = log(1e18) + i * (log(1e21) - log(1e18)) / 9;
    sx += -x;
    sxx += x * x;
  }
  double det = n * sxx - sx * sx, A = 5e3, alpha = 0.15;
  double v_la = s2 * sxx / det, v_al = s2 * n / det, c_la_al = -s2 * sx / det;
  char json[1024];
  snprintf(json, sizeof json,
           "{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power0\", \"vars\": [\"C\"], "
           "\"param_order\": [\"A\", \"alpha\"], \"params\": {\"A\": %.17g, \"alpha\": %.17g}, "
           "\"cov\": [[%.17g, %.17g], [%.17g, %.17g]], \"data\": {\"range\": {\"C\": [1e18, 1e21]}}}",
           A, alpha, A * A * v_la, A * c_la_al, A * c_la_al, v_al);
  sf_fitfile *ff = load_json(json, SF_OK);
  double Cs[] = {3.16e19, 1e21, 1e23, 1e25, 1e27}, prev = 0, centre = 0;
  for (size_t i = 0; i < 5; i++) {
    sf_band b;
    assert_int_equal(sf_forecast_predict(ff, &Cs[i], &b), SF_OK);
    assert_int_equal(b.kind, SF_BAND_DELTA);
    assert_rel(b.value, A * pow(Cs[i], -alpha), 1e-12);
    double rel = (b.hi - b.lo) / b.value;
    /* the delta method on log f = log A - alpha ln C, exact here because log f is linear in
     * (log A, alpha): sd(log f)^2 = v_la + 2 (-ln C) c + ln^2 C v_al, band f exp(-+z sd) */
    double lc = log(Cs[i]), sd = sqrt(v_la - 2 * lc * c_la_al + lc * lc * v_al), z = 1.959963984540054;
    assert_rel(b.lo, b.value * exp(-z * sd), 1e-6);
    assert_rel(b.hi, b.value * exp(z * sd), 1e-6);
    assert_rel(rel, 2 * sinh(z * sd), 1e-6);
    assert_true(rel > prev);
    prev = rel;
    if (i == 0) centre = rel;
  }
  double below = 1e16;
  sf_band b;
  assert_int_equal(sf_forecast_predict(ff, &below, &b), SF_OK);
  assert_true((b.hi - b.lo) / b.value > centre); /* below the data too */
  const char *nm[] = {"C"};
  assert_rel(sf_fitfile_decades_beyond(ff, nm, &Cs[4], 1), 6.0, 1e-9);
  assert_rel(sf_fitfile_decades_beyond(ff, nm, &below, 1), 2.0, 1e-9);
  sf_fitfile_free(ff);
}

/* A power law with an irreducible term: a bootstrap drawn from the fit's Gaussian gives the delta
 * method's band (second method). */
static void test_bands_bootstrap_vs_delta(void **state) {
  (void)state;
  const char *json = "{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"], "
                     "\"param_order\": [\"E\", \"A\", \"alpha\"], \"params\": {\"E\": 1.7, \"A\": 2000, \"alpha\": 0.15},"
                     "\"cov\": [[0.0004, 0, 0.00001], [0, 10000, 0.5], [0.00001, 0.5, 0.00004]],"
                     "\"data\": {\"range\": {\"C\": [1e18, 1e21]}}}";
  sf_fitfile *ff = load_json(json, SF_OK);
  /* bootstrap samples from N(params, cov) via its Cholesky factor */
  const size_t K = 4000;
  ff->samples = malloc(K * 3 * sizeof *ff->samples);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7);
  double L00 = sqrt(0.0004), L10 = 0, L11 = 100, L20 = 0.00001 / L00, L21 = 0.5 / L11;
  double L22 = sqrt(0.00004 - L20 * L20 - L21 * L21);
  for (size_t k = 0; k < K; k++) {
    double z0 = gsl_ran_ugaussian(r), z1 = gsl_ran_ugaussian(r), z2 = gsl_ran_ugaussian(r);
    ff->samples[k * 3 + 0] = 1.7 + L00 * z0;
    ff->samples[k * 3 + 1] = 2000 + L10 * z0 + L11 * z1;
    ff->samples[k * 3 + 2] = 0.15 + L20 * z0 + L21 * z1 + L22 * z2;
  }
  gsl_rng_free(r);
  double C = 1e22;
  sf_band delta, boot;
  assert_int_equal(sf_forecast_predict(ff, &C, &delta), SF_OK);
  ff->K = K;
  assert_int_equal(sf_forecast_predict(ff, &C, &boot), SF_OK);
  assert_int_equal(boot.kind, SF_BAND_BOOTSTRAP);
  assert_int_equal(boot.n_ok, K);
  /* one decade out the law is nearly linear in the parameters: widths agree within 10% */
  assert_rel(boot.hi - boot.lo, delta.hi - delta.lo, 0.10);
  sf_fitfile_free(ff);
}

static void test_percentile(void **state) {
  (void)state;
  double v[] = {5, 1, 4, 2, 3};
  assert_rel(sf_percentile_sorted(v, 5, 0.5), 3, 0);
  assert_rel(sf_percentile_sorted(v, 5, 0.25), 2, 0);
  assert_rel(sf_percentile_sorted(v, 5, 0.1), 1.4, 1e-12);
  double w[] = {1, HUGE_VAL, 2, HUGE_VAL};
  assert_true(isinf(sf_percentile_sorted(w, 4, 0.975)));
  assert_rel(sf_percentile_sorted(w, 4, 0.0), 1, 0);
}

/* ---- compute-optimal allocation ---- */

/* Epoch's refit of Approach 3 (Besiroglu et al. 2024): with a = beta/(alpha+beta) = 0.3658/0.7136
 * = 0.51261 and G = (alpha A/(beta B))^(1/(alpha+beta)) = (167.64/762.85)^(1/0.7136) = 0.11962,
 * tokens per parameter D/N = (C/6)^(1-2a) / G^2 = 69.9 (C/6)^-0.02522: 21.6 at 1e21 FLOP, 16.5 at
 * 3.8e25 (issue: "between about 16 and 22"). */
static void test_optimal_epoch(void **state) {
  (void)state;
  sf_fitfile *ff = published("epoch2024_replication");
  sf_alloc_opts o = {0};
  sf_optimum a, b;
  assert_int_equal(sf_optimal(ff, ff->params, 1e21, &o, &a), SF_OK);
  assert_int_equal(sf_optimal(ff, ff->params, 3.8e25, &o, &b), SF_OK);
  double alpha = 0.3478, beta = 0.3658, G = pow(alpha * 482.01 / (beta * 2085.43), 1 / (alpha + beta));
  assert_rel(G, 0.11962, 1e-3);
  assert_rel(a.tokens_per_param, pow(1e21 / 6, 1 - 2 * beta / (alpha + beta)) / (G * G), 1e-12);
  assert_close(a.tokens_per_param, 21.6, 0.05);
  assert_close(b.tokens_per_param, 16.5, 0.1);
  assert_rel(6 * a.N * a.D, 1e21, 1e-12);
  /* the loss there is the law at (N, D) */
  assert_rel(a.loss, 1.8172 + 482.01 / pow(a.N, alpha) + 2085.43 / pow(a.D, beta), 1e-12);
  /* and the closed form is the minimum along the budget: the numeric minimiser agrees */
  o.numeric = 1;
  sf_optimum an;
  assert_int_equal(sf_optimal(ff, ff->params, 1e21, &o, &an), SF_OK);
  assert_rel(an.N, a.N, 1e-6);
  assert_rel(an.loss, a.loss, 1e-12);
  /* far out, still the closed form; where the law is flat to rounding (1e300 FLOP: the reducible
   * loss is below E's last digit) an error, not the first scan point of the plateau (1e55 where
   * the closed form says 4e152) */
  sf_optimum far, farn;
  o.numeric = 0;
  assert_int_equal(sf_optimal(ff, ff->params, 1e60, &o, &far), SF_OK);
  o.numeric = 1;
  assert_int_equal(sf_optimal(ff, ff->params, 1e60, &o, &farn), SF_OK);
  assert_rel(farn.N, far.N, 1e-4);
  assert_int_equal(sf_optimal(ff, ff->params, 1e300, &o, &farn), SF_ENUMERIC);
  assert_non_null(strstr(sf_errmsg(), "flat to rounding"));
  sf_fitfile_free(ff);
}

/* Hoffmann's rounded constants: N_opt grows as C^(beta/(alpha+beta)) = C^(0.28/0.62) = C^0.4516. */
static void test_optimal_hoffmann_exponent(void **state) {
  (void)state;
  sf_fitfile *ff = published("hoffmann2022_approach3");
  sf_alloc_opts o = {.numeric = 1}; /* through the numeric path, so the exponent is not the formula's echo */
  sf_optimum a, b;
  assert_int_equal(sf_optimal(ff, ff->params, 1e20, &o, &a), SF_OK);
  assert_int_equal(sf_optimal(ff, ff->params, 1e26, &o, &b), SF_OK);
  assert_rel(log(b.N / a.N) / log(1e6), 0.28 / 0.62, 1e-6);
  assert_rel(log(b.D / a.D) / log(1e6), 0.34 / 0.62, 1e-6);
  sf_fitfile_free(ff);
}

/* Kaplan's joint law along C = 6ND: minimising (Nc/N)^r + 6 Dc N / C (r = alphaN/alphaD; the
 * outer power is monotone) gives N^(r+1) = r Nc^r C / (6 Dc): an independent closed form. */
static void test_optimal_kaplan_numeric(void **state) {
  (void)state;
  sf_fitfile *ff = published("kaplan2020_LND");
  sf_alloc_opts o = {0};
  sf_optimum a;
  double C = 1e21;
  assert_int_equal(sf_optimal(ff, ff->params, C, &o, &a), SF_OK);
  double r = 0.076 / 0.103, Nc = 6.4e13, Dc = 1.8e13;
  assert_rel(a.N, pow(r * pow(Nc, r) * C / (6 * Dc), 1 / (r + 1)), 1e-6);
  sf_fitfile_free(ff);
}

/* The same Chinchilla law typed as a formula goes through the formula parser and the numeric
 * minimiser, and lands on the closed form. */
static void test_optimal_formula_law(void **state) {
  (void)state;
  sf_fitfile *ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"formula\", "
                             "\"formula\": \"loss = E + A*N^-alpha + B*D^-beta\", \"vars\": [\"N\", \"D\"], "
                             "\"params\": {\"E\": 1.8172, \"A\": 482.01, \"B\": 2085.43, \"alpha\": 0.3478, "
                             "\"beta\": 0.3658}}",
                             SF_OK);
  assert_int_equal(ff->alloc, SF_ALLOC_ND);
  sf_optimum a;
  sf_alloc_opts o = {0};
  assert_int_equal(sf_optimal(ff, ff->params, 1e23, &o, &a), SF_OK);
  double p[5] = {1.8172, 482.01, 2085.43, 0.3478, 0.3658}, N, D;
  sf_optimal_chinchilla(p, 1e23, &N, &D);
  assert_rel(a.N, N, 1e-6);
  sf_fitfile_free(ff);
}

/* A formula written in the data's own spelling (`Params`, `Tokens`, `Compute`: the store's header
 * aliases of N, D, C, any letter case) is a law of N and D or of C like the one above: it used to
 * get no allocation and no compute figure (bind_vars matched "N", "D", "C" exactly). A scaled
 * spelling ("Params (B)") is not N in parameters, and two names of the same column bind neither. */
static void test_optimal_formula_aliases(void **state) {
  (void)state;
  sf_fitfile *ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"formula\", "
                             "\"formula\": \"loss = E + A*Params^-alpha + B*tokens^-beta\", "
                             "\"vars\": [\"Params\", \"tokens\"], "
                             "\"params\": {\"E\": 1.8172, \"A\": 482.01, \"B\": 2085.43, \"alpha\": 0.3478, "
                             "\"beta\": 0.3658}, \"data\": {\"range\": {\"Params\": [1e8, 1e10]}}}",
                             SF_OK);
  assert_int_equal(ff->alloc, SF_ALLOC_ND);
  assert_int_equal(ff->var_N, 0);
  assert_int_equal(ff->var_D, 1);
  sf_optimum a;
  sf_alloc_opts o = {0};
  assert_int_equal(sf_optimal(ff, ff->params, 1e23, &o, &a), SF_OK);
  double p[5] = {1.8172, 482.01, 2085.43, 0.3478, 0.3658}, N, D;
  sf_optimal_chinchilla(p, 1e23, &N, &D);
  assert_rel(a.N, N, 1e-6);
  assert_rel(a.D, D, 1e-6);
  /* a user's names for them: the file's spelling, any case, or N and D themselves */
  assert_int_equal(sf_fitfile_var_index(ff, "Params"), 0);
  assert_int_equal(sf_fitfile_var_index(ff, "TOKENS"), 1);
  assert_int_equal(sf_fitfile_var_index(ff, "N"), 0);
  assert_int_equal(sf_fitfile_var_index(ff, "d"), -1); /* one letter: only itself, as in formulas */
  assert_int_equal(sf_fitfile_var_index(ff, "D"), 1);
  assert_int_equal(sf_fitfile_var_index(ff, "C"), -1);
  /* the range saved as "Params" is N's: 1e12 parameters are two decades beyond 1e10 */
  assert_rel(sf_fitfile_decades_beyond_ndc(ff, 1e12, NAN, NAN), 2.0, 1e-12);
  sf_fitfile_free(ff);
  /* a law of compute spelled Compute: target inverts it like a law of C */
  ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"formula\", "
                 "\"formula\": \"loss = E + A*Compute^-alpha\", \"vars\": [\"Compute\"], "
                 "\"params\": {\"E\": 1.7, \"A\": 20, \"alpha\": 0.05}}",
                 SF_OK);
  assert_int_equal(ff->var_C, 0);
  sf_optimum t;
  int reached = 0;
  assert_int_equal(sf_target(ff, ff->params, 2.0, &o, &t, &reached), SF_OK);
  assert_int_equal(reached, 1);
  assert_rel(t.C, pow(20 / 0.3, 1 / 0.05), 1e-6); /* 1.7 + 20 C^-0.05 = 2 */
  sf_fitfile_free(ff);
  /* "Params (B)" is N in billions, not N: no allocation, no guessed cost */
  ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power0\", "
                 "\"vars\": [\"Params (B)\"], \"params\": {\"A\": 3, \"alpha\": 0.1}}",
                 SF_OK);
  assert_int_equal(ff->var_N, -1);
  sf_fitfile_free(ff);
  /* N and params are the same column: neither is taken for N */
  ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"formula\", "
                 "\"formula\": \"loss = E + A*N^-alpha + B*params^-beta\", \"vars\": [\"N\", \"params\"], "
                 "\"params\": {\"E\": 1.8, \"A\": 400, \"B\": 400, \"alpha\": 0.3, \"beta\": 0.3}}",
                 SF_OK);
  assert_int_equal(ff->var_N, -1);
  assert_int_equal(ff->alloc, SF_ALLOC_NONE);
  sf_fitfile_free(ff);
}

/* A fit that ran to a parameter's bound saves the bound itself: `fit --law sigmoid --x C --y mmlu`
 * on datasets/models.csv gives lo = 0, a chinchilla fit of small models can give E = 0. The forecast
 * commands refused such files ("'lo' = 0 is outside the range law 'sigmoid' allows"); they are the
 * limit of the law and evaluate as it, while a value strictly outside stays refused. */
static void test_params_at_bound(void **state) {
  (void)state;
  sf_fitfile *ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"sigmoid\", "
                             "\"vars\": [\"C\"], \"y\": \"mmlu\", "
                             "\"params\": {\"lo\": 0, \"hi\": 0.85, \"k\": 1.3, \"x0\": 22.8}}",
                             SF_OK);
  double x = 1e24, f, g[SF_LAW_MAXPAR]; /* the chinchilla case below has 5 parameters */
  assert_int_equal(sf_forecast_eval(ff->law, ff->params, &x, &f, g), SF_OK);
  double e = exp(-1.3 * (24 - 22.8));
  assert_rel(f, 0.85 / (1 + e), 1e-12);
  assert_rel(g[0], 1 - 1 / (1 + e), 1e-6); /* df/dlo, finite at the bound */
  assert_rel(g[1], 1 / (1 + e), 1e-12);
  sf_fitfile_free(ff);
  ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"sigmoid\", "
                 "\"params\": {\"lo\": 0.2, \"hi\": 1, \"k\": 1.3, \"x0\": 22.8}}",
                 SF_OK);
  assert_int_equal(sf_forecast_eval(ff->law, ff->params, &x, &f, NULL), SF_OK);
  assert_rel(f, 0.2 + 0.8 / (1 + e), 1e-12);
  sf_fitfile_free(ff);
  ff = load_json(CHIN_HEAD "\"params\": {\"E\": 0, \"A\": 400, \"B\": 400, \"alpha\": 0.3, \"beta\": 0.3}}", SF_OK);
  double nd[2] = {1e9, 2e10};
  assert_int_equal(sf_forecast_eval(ff->law, ff->params, nd, &f, g), SF_OK);
  assert_rel(f, 400 * pow(1e9, -0.3) + 400 * pow(2e10, -0.3), 1e-12);
  assert_rel(g[0], 1, 1e-6); /* dL/dE */
  sf_fitfile_free(ff);
  assert_null(load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"sigmoid\", "
                        "\"params\": {\"lo\": -0.01, \"hi\": 0.85, \"k\": 1.3, \"x0\": 22.8}}",
                        SF_EINPUT));
  assert_non_null(strstr(sf_errmsg(), "'lo' = -0.01 is outside the range"));
}

/* Llama 3 (Sec. 3.2.1): optimal TOKENS D = 0.29 C^0.53; at 3.8e25 FLOP, ln C = 58.9000, so
 * D = 0.29 e^(0.53 * 58.9000) = 0.29 * 3.608e13 = 1.0464e13 tokens and N = C/(6D) = 6.053e11.
 * The paper's 402B on 16.55T comes from the unrounded fit: its Fig. 3 legend (A = 0.299,
 * alpha = 0.537) gives 1.63e13 tokens and 389B parameters, within 2-3% of the paper. */
static void test_optimal_llama3(void **state) {
  (void)state;
  sf_fitfile *ff = published("llama3_Dopt");
  sf_alloc_opts o = {0};
  sf_optimum a;
  assert_int_equal(sf_optimal(ff, ff->params, 3.8e25, &o, &a), SF_OK);
  assert_rel(a.D, 1.0464e13, 1e-3);
  assert_rel(a.N, 3.8e25 / (6 * a.D), 1e-12);
  assert_rel(a.N, 6.053e11, 1e-3);
  ff->params[0] = 0.299; /* A, then alpha (catalogue sign: y = A x^-alpha) */
  ff->params[1] = -0.537;
  assert_int_equal(sf_optimal(ff, ff->params, 3.8e25, &o, &a), SF_OK);
  assert_rel(a.D, 16.55e12, 0.03);
  assert_rel(a.N, 402e9, 0.04);
  assert_true(isnan(a.loss));
  sf_fitfile_free(ff);
}

/* The attention term takes FLOPs from the budget: fewer tokens at the optimum, and
 * C = sf_flops_train(N, D, ...) exactly. */
static void test_optimal_attention(void **state) {
  (void)state;
  sf_fitfile *ff = published("epoch2024_replication");
  sf_alloc_opts plain = {0}, attn = {.n_layer = 24, .n_ctx = 2048, .d_model = 2048};
  sf_optimum a, b;
  assert_int_equal(sf_optimal(ff, ff->params, 1e20, &plain, &a), SF_OK);
  assert_int_equal(sf_optimal(ff, ff->params, 1e20, &attn, &b), SF_OK);
  assert_rel((6 * b.N + 6.0 * 24 * 2048 * 2048) * b.D, 1e20, 1e-9);
  assert_true(b.loss > a.loss);
  sf_fitfile_free(ff);
}

static void test_optimal_refuses(void **state) {
  (void)state;
  sf_fitfile *ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"], "
                             "\"params\": {\"E\": 1.7, \"A\": 2000, \"alpha\": 0.15}}",
                             SF_OK);
  sf_alloc_opts o = {0};
  sf_optimum a;
  assert_int_equal(sf_optimal(ff, ff->params, 1e21, &o, &a), SF_EUSAGE);
  assert_non_null(strstr(sf_errmsg(), "needs a law of N and D"));
  sf_fitfile_free(ff);
  /* a law that only falls with N along the budget has no interior optimum */
  ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"formula\", "
                 "\"formula\": \"loss = E + A*N^-alpha + 0*D\", \"vars\": [\"N\", \"D\"], "
                 "\"params\": {\"E\": 1.8, \"A\": 400, \"alpha\": 0.3}}",
                 SF_OK);
  assert_int_equal(sf_optimal(ff, ff->params, 1e21, &o, &a), SF_ENUMERIC);
  assert_non_null(strstr(sf_errmsg(), "no interior optimum"));
  sf_fitfile_free(ff);
}

/* ---- targets ---- */

/* target inverts predict at the optimum: the loss at the optimum of C0 needs exactly C0. */
static void test_target_inverts(void **state) {
  (void)state;
  sf_fitfile *ff = published("epoch2024_replication");
  sf_alloc_opts o = {0};
  for (double C0 = 1e19; C0 <= 1e27; C0 *= 1000) {
    sf_optimum at, t;
    int reached;
    assert_int_equal(sf_optimal(ff, ff->params, C0, &o, &at), SF_OK);
    assert_int_equal(sf_target(ff, ff->params, at.loss, &o, &t, &reached), SF_OK);
    assert_int_equal(reached, 1);
    assert_rel(t.C, C0, 1e-8);
    assert_rel(t.N, at.N, 1e-8);
  }
  /* below E: never reached */
  sf_optimum t;
  int reached;
  assert_int_equal(sf_target(ff, ff->params, 1.8, &o, &t, &reached), SF_OK);
  assert_int_equal(reached, 0);
  assert_true(isinf(t.C));
  /* a bootstrap whose E straddles the target: the probability is the fraction with E below it */
  const double Es[4] = {1.75, 1.79, 1.81, 1.85};
  ff->samples = malloc(4 * 5 * sizeof *ff->samples);
  for (size_t k = 0; k < 4; k++) {
    memcpy(ff->samples + k * 5, ff->params, 5 * sizeof(double));
    ff->samples[k * 5] = Es[k];
  }
  ff->K = 4;
  assert_rel(sf_target_prob_reachable(ff, 1.8, &o), 0.5, 0);
  sf_fitfile_free(ff);
}

/* An increasing law of C (accuracy): the target is where it rises to the value. */
static void test_target_rising(void **state) {
  (void)state;
  sf_fitfile *ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"loglinear\", \"vars\": [\"C\"], "
                             "\"y\": \"mmlu\", \"params\": {\"a\": -2.0, \"b\": 0.1}}",
                             SF_OK);
  sf_alloc_opts o = {0};
  sf_optimum t;
  int reached;
  /* -2 + 0.1 log10 C = 0.5 at C = 1e25 */
  assert_int_equal(sf_target(ff, ff->params, 0.5, &o, &t, &reached), SF_OK);
  assert_int_equal(reached, 1);
  assert_rel(t.C, 1e25, 1e-8);
  sf_fitfile_free(ff);
}

/* A target far above everything the law ever gives is reached at once, whichever the law's
 * direction. The direction used to be read off the gaps value - target at both ends of the search,
 * which round to the same number once the target dwarfs the law's change (1e17 against a loss
 * falling by 0.4): a loss of 1e17 was called "not reached below 1e40". Likewise a rising metric's
 * target far below it. */
static void test_target_far_beyond(void **state) {
  (void)state;
  sf_fitfile *ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"], "
                             "\"params\": {\"E\": 1.7, \"A\": 2000, \"alpha\": 0.15}}",
                             SF_OK);
  sf_alloc_opts o = {0};
  sf_optimum t;
  int reached;
  /* at C = 1e10 the loss is 1.7 + 2000 * 1e10^-0.15 = 65.0: a target above is met already there,
   * and is searched for below it: 1e3 at C = (2000 / (1e3 - 1.7))^(1/0.15), about 102 FLOP (it was
   * "already reached at 1e10"); at 6 FLOP, the bottom, the loss is 1.53e3, so 1e17 is met there */
  assert_int_equal(sf_target(ff, ff->params, 1e3, &o, &t, &reached), SF_OK);
  assert_int_equal(reached, 1);
  assert_rel(t.C, pow(2000 / (1e3 - 1.7), 1 / 0.15), 1e-9);
  assert_int_equal(sf_target(ff, ff->params, 1e17, &o, &t, &reached), SF_OK);
  assert_int_equal(reached, -1);
  assert_rel(t.C, SF_TARGET_CFLOOR, 1e-12);
  assert_int_equal(sf_target(ff, ff->params, 1e300, &o, &t, &reached), SF_OK);
  assert_int_equal(reached, -1);
  sf_fitfile_free(ff);
  ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"loglinear\", \"vars\": [\"C\"], "
                 "\"y\": \"mmlu\", \"params\": {\"a\": -2.0, \"b\": 0.1}}",
                 SF_OK);
  assert_int_equal(sf_target(ff, ff->params, -1e17, &o, &t, &reached), SF_OK); /* -1.92 at 6 FLOP: met */
  assert_int_equal(reached, -1);
  assert_int_equal(sf_target(ff, ff->params, 1e17, &o, &t, &reached), SF_OK); /* 2 at 1e40: never */
  assert_int_equal(reached, 0);
  sf_fitfile_free(ff);
}

/* The target's bootstrap band for a law of C alone, as `scalefit target` derives it (C, N, D; N
 * and D are undefined for such a law): the C band holds the percentiles of the closed-form inverse
 * C = (A / (y - E))^(1/alpha) over the refits; refits whose E is above the target never reach it and
 * make the upper end infinite. Once, every refit was dropped for its undefined N and D: no band. */
typedef struct tgt_band_ctx {
  const sf_fitfile *ff;
  double y;
} tgt_band_ctx;

static int tgt_band_fn(const double *params, void *vctx, double *out) {
  const tgt_band_ctx *c = vctx;
  sf_alloc_opts o = {0};
  sf_optimum t;
  int reached;
  int rc = sf_target(c->ff, params, c->y, &o, &t, &reached);
  out[0] = t.C, out[1] = t.N, out[2] = t.D;
  return rc;
}

static double quantile7(double *v, size_t n, double q) { /* the linear rule, sorted by hand */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && v[j] < v[j - 1]; j--) {
      double t = v[j];
      v[j] = v[j - 1], v[j - 1] = t;
    }
  double h = q * (double)(n - 1), w = h - floor(h);
  size_t i = (size_t)h;
  return w == 0 || isinf(v[i + 1]) ? v[i] : v[i] + w * (v[i + 1] - v[i]);
}

static void test_target_band_law_of_C(void **state) {
  (void)state;
  sf_fitfile *ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"], "
                             "\"params\": {\"E\": 1.7, \"A\": 400, \"alpha\": 0.12}}",
                             SF_OK);
  const size_t K = 41;
  const double y = 2.3;
  ff->samples = malloc(K * 3 * sizeof *ff->samples);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 11);
  double ref[41];
  for (size_t k = 0; k < K; k++) {
    double *p = ff->samples + k * 3;
    p[0] = 1.7 + 0.05 * gsl_ran_ugaussian(r);
    p[1] = 400 * exp(0.1 * gsl_ran_ugaussian(r));
    p[2] = 0.12 + 0.005 * gsl_ran_ugaussian(r);
    ref[k] = pow(p[1] / (y - p[0]), 1 / p[2]);
  }
  gsl_rng_free(r);
  ff->K = K;
  tgt_band_ctx c = {ff, y};
  sf_band b[3];
  assert_int_equal(sf_forecast_band(ff, tgt_band_fn, &c, 3, b), SF_OK);
  assert_rel(b[0].value, pow(400 / (y - 1.7), 1 / 0.12), 1e-8);
  assert_int_equal(b[0].kind, SF_BAND_BOOTSTRAP);
  assert_int_equal(b[0].n_ok, K);
  double lo = quantile7(ref, K, 0.025), hi = quantile7(ref, K, 0.975);
  assert_rel(b[0].lo, lo, 1e-7);
  assert_rel(b[0].hi, hi, 1e-7);
  assert_true(b[0].lo < b[0].value && b[0].value < b[0].hi);
  assert_true(isnan(b[1].value) && b[1].kind == SF_BAND_NONE && b[1].n_ok == 0);
  assert_true(isnan(b[2].lo) && b[2].kind == SF_BAND_NONE);
  /* two refits with E above the target: unbounded above, the lower end from the other refits */
  ff->samples[5 * 3 + 0] = ff->samples[9 * 3 + 0] = 2.4;
  assert_int_equal(sf_forecast_band(ff, tgt_band_fn, &c, 3, b), SF_OK);
  assert_int_equal(b[0].n_ok, K);
  double ref2[41];
  for (size_t k = 0; k < K; k++) {
    const double *p = ff->samples + k * 3;
    ref2[k] = p[0] >= y ? INFINITY : pow(p[1] / (y - p[0]), 1 / p[2]);
  }
  assert_rel(b[0].lo, quantile7(ref2, K, 0.025), 1e-7);
  assert_true(isinf(b[0].hi));
  assert_true(isfinite(b[0].lo) && b[0].lo < b[0].value);
  sf_fitfile_free(ff);
}

/* ---- two-stage forecasts ---- */

/* Stage 1: loss = E + A C^-alpha; stage 2: acc = 0.25 + 0.7/(1 + exp(k (loss - m))), a decreasing
 * sigmoid of the loss as a formula law. The composition is checked by hand; the delta band against
 * the same variance assembled from each stage alone; the paired bootstrap against hand-paired rows. */
static void test_twostage(void **state) {
  (void)state;
  sf_fitfile *s1 = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"], "
                             "\"param_order\": [\"E\", \"A\", \"alpha\"], "
                             "\"params\": {\"E\": 1.7, \"A\": 2000, \"alpha\": 0.15},"
                             "\"cov\": [[0.0004, 0, 0], [0, 10000, 0], [0, 0, 0.00001]]}",
                             SF_OK);
  sf_fitfile *s2 = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"formula\", "
                             "\"formula\": \"acc = 0.25 + 0.7/(1 + exp(k*(loss - m)))\", \"vars\": [\"loss\"], "
                             "\"param_order\": [\"k\", \"m\"], \"params\": {\"k\": 6, \"m\": 2.2},"
                             "\"cov\": [[0.25, 0], [0, 0.0009]]}",
                             SF_OK);
  double C = 1e24, L = 1.7 + 2000 * pow(1e24, -0.15), acc = 0.25 + 0.7 / (1 + exp(6 * (L - 2.2)));
  sf_band mid, out;
  assert_int_equal(sf_forecast_twostage(s1, s2, &C, &mid, &out), SF_OK);
  assert_rel(mid.value, L, 1e-12);
  assert_rel(out.value, acc, 1e-12);
  assert_int_equal(out.kind, SF_BAND_DELTA);
  /* var1 = dL/dE^2 S_E + dL/dA^2 S_A + dL/dalpha^2 S_alpha; var2 from k and m */
  double t = pow(1e24, -0.15), dLdA = t, dLdal = -2000 * t * log(1e24);
  double v1 = 0.0004 + dLdA * dLdA * 10000 + dLdal * dLdal * 0.00001;
  double e = exp(6 * (L - 2.2)), s = 0.7 * e / ((1 + e) * (1 + e)); /* -d acc / d(k (L - m)) */
  double dk = -s * (L - 2.2), dm = s * 6, dL = -s * 6;
  double v = dk * dk * 0.25 + dm * dm * 0.0009 + dL * dL * v1;
  /* an output that is not known to be a fraction (no range in the file) is banded as predict bands
   * a positive prediction: on its logarithm (it was the linear band here, the log band in predict) */
  assert_rel(out.lo, acc * exp(-1.959963984540054 * sqrt(v) / acc), 1e-5);
  assert_rel(out.hi, acc * exp(1.959963984540054 * sqrt(v) / acc), 1e-5);
  /* the loss is banded as predict bands it: on its logarithm, sd(log L) = sd(L) / L */
  assert_rel(mid.lo, L * exp(-1.959963984540054 * sqrt(v1) / L), 1e-6);
  assert_rel(mid.hi, L * exp(1.959963984540054 * sqrt(v1) / L), 1e-6);
  /* paired bootstrap: 3 rows each, the band is over the 3 composed values */
  s1->samples = malloc(3 * 3 * sizeof(double));
  s2->samples = malloc(3 * 2 * sizeof(double));
  const double r1[3][3] = {{1.68, 1900, 0.15}, {1.7, 2000, 0.149}, {1.73, 2100, 0.151}};
  const double r2[3][2] = {{5, 2.2}, {6, 2.18}, {7, 2.25}};
  double comp[3];
  for (int k = 0; k < 3; k++) {
    memcpy(s1->samples + 3 * k, r1[k], sizeof r1[k]);
    memcpy(s2->samples + 2 * k, r2[k], sizeof r2[k]);
    double Lk = r1[k][0] + r1[k][1] * pow(C, -r1[k][2]);
    comp[k] = 0.25 + 0.7 / (1 + exp(r2[k][0] * (Lk - r2[k][1])));
  }
  s1->K = s2->K = 3;
  assert_int_equal(sf_forecast_twostage(s1, s2, &C, &mid, &out), SF_OK);
  assert_int_equal(out.kind, SF_BAND_BOOTSTRAP);
  double want[3] = {comp[0], comp[1], comp[2]};
  assert_rel(out.lo, sf_percentile_sorted(want, 3, 0.025), 1e-12);
  assert_rel(out.hi, sf_percentile_sorted(want, 3, 0.975), 1e-12);
  sf_fitfile_free(s1);
  sf_fitfile_free(s2);
}

/* An accuracy (a fit whose output values lie in [0, 1], or a sigmoid) is banded on its logit by
 * predict and by the second stage of --then alike: the same band for the same fit at the same loss
 * (predict took the logarithm, --then the linear band), and one that never leaves (0, 1). */
static void test_band_fraction(void **state) {
  (void)state;
  const double z = 1.959963984540054;
  sf_fitfile *s1 = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"], "
                             "\"param_order\": [\"E\", \"A\", \"alpha\"], "
                             "\"params\": {\"E\": 1.7, \"A\": 2000, \"alpha\": 0.15}}",
                             SF_OK); /* no covariance: the composed band is stage 2's alone */
  sf_fitfile *s2 = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"formula\", "
                             "\"formula\": \"acc = 0.25 + 0.7/(1 + exp(k*(loss - m)))\", \"vars\": [\"loss\"], "
                             "\"param_order\": [\"k\", \"m\"], \"params\": {\"k\": 6, \"m\": 2.2},"
                             "\"cov\": [[0.25, 0], [0, 0.0009]], \"data\": {\"range\": {\"loss\": [1.9, 3.5], "
                             "\"acc\": [0.27, 0.93]}}}",
                             SF_OK);
  assert_true(s2->fraction && !s1->fraction);
  double C = 1e28, L = 1.7 + 2000 * pow(C, -0.15);
  double e = exp(6 * (L - 2.2)), acc = 0.25 + 0.7 / (1 + e), sl = 0.7 * e / ((1 + e) * (1 + e));
  double dk = -sl * (L - 2.2), dm = sl * 6, sd = sqrt(dk * dk * 0.25 + dm * dm * 0.0009);
  double lg = log(acc / (1 - acc)), w = z * sd / (acc * (1 - acc));
  double lo = 1 / (1 + exp(-(lg - w))), hi = 1 / (1 + exp(-(lg + w)));
  sf_band mid, two, one;
  assert_int_equal(sf_forecast_twostage(s1, s2, &C, &mid, &two), SF_OK);
  assert_int_equal(sf_forecast_predict(s2, &L, &one), SF_OK);
  assert_rel(two.value, acc, 1e-12);
  assert_rel(two.lo, lo, 1e-6);
  assert_rel(two.hi, hi, 1e-6);
  assert_rel(one.lo, lo, 1e-9);
  assert_rel(one.hi, hi, 1e-9);
  assert_rel(two.lo, one.lo, 1e-6);
  assert_rel(two.hi, one.hi, 1e-6);
  /* a loss is not a fraction even below 1 (a Markov chain's): its band stays the log band */
  sf_fitfile *ls = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"], "
                             "\"y\": \"loss\", \"param_order\": [\"E\", \"A\", \"alpha\"], "
                             "\"params\": {\"E\": 0.5, \"A\": 20, \"alpha\": 0.2}, "
                             "\"cov\": [[0.0004, 0, 0], [0, 1, 0], [0, 0, 0.0001]], "
                             "\"data\": {\"range\": {\"loss\": [0.6, 0.9]}}}",
                             SF_OK);
  assert_false(ls->fraction);
  /* a sigmoid near its ceiling: the log band would cross 1, the logit band cannot */
  sf_fitfile *sg = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"sigmoid\", \"vars\": [\"C\"], "
                             "\"param_order\": [\"lo\", \"hi\", \"k\", \"x0\"], "
                             "\"params\": {\"lo\": 0.25, \"hi\": 0.99, \"k\": 2, \"x0\": 23}, "
                             "\"cov\": [[0, 0, 0, 0], [0, 0.0004, 0, 0], [0, 0, 0.25, 0], [0, 0, 0, 0.09]]}",
                             SF_OK);
  assert_true(sg->fraction);
  double x = 1e25, q = exp(-2 * (25 - 23.0)), f = 0.25 + 0.74 / (1 + q);
  double dhi = 1 / (1 + q), dkk = 0.74 * q * (25 - 23.0) / ((1 + q) * (1 + q)), dx0 = -0.74 * q * 2 / ((1 + q) * (1 + q));
  double sg_sd = sqrt(dhi * dhi * 0.0004 + dkk * dkk * 0.25 + dx0 * dx0 * 0.09);
  assert_true(f * exp(z * sg_sd / f) > 1); /* what the log band gave */
  sf_band b;
  assert_int_equal(sf_forecast_predict(sg, &x, &b), SF_OK);
  double lgs = log(f / (1 - f)), ws = z * sg_sd / (f * (1 - f));
  assert_rel(b.value, f, 1e-12);
  assert_rel(b.hi, 1 / (1 + exp(-(lgs + ws))), 1e-9);
  assert_rel(b.lo, 1 / (1 + exp(-(lgs - ws))), 1e-9);
  assert_true(b.lo > 0 && b.hi < 1);
  sf_fitfile_free(sg);
  sf_fitfile_free(ls);
  sf_fitfile_free(s1);
  sf_fitfile_free(s2);
}

/* The display rules the CLI and a report share, on figures whose rounding is worked out by hand:
 * 3 significant digits with a unit from 1e4 on (the unit after rounding), 4 below; ratios to 3
 * significant digits, whole from 100 on; every significant digit shown, trailing zeros kept (%g
 * printed 2.15 for a loss of 2.150 and 40k for 40.0k). */
static void test_display_rules(void **state) {
  (void)state;
  char b[64];
  static const struct { double v; const char *want; } value[] = {
      {174236, "174k"}, {46.9e9, "46.9B"}, {999.7e9, "1.00T"}, {9999.7, "10.0k"}, {7019.4, "7019"}, {1.57816, "1.578"},
      {0.5, "0.5000"}, {1e22, "1.00e+22"}, {2.468e23, "2.47e+23"}, {1e12, "1.00T"}, {-25000, "-25.0k"}, {NAN, "-"},
      {INFINITY, "inf"}, {2.1499999, "2.150"}, {14.2, "14.20"}, {0.696, "0.6960"}, {0, "0.000"}, {3.9e6, "3.90M"},
      {47e3, "47.0k"}, {1.2e-5, "1.200e-05"}, {999.96, "1000"}};
  for (size_t k = 0; k < sizeof value / sizeof value[0]; k++) {
    sf_fmt_value(b, sizeof b, value[k].v);
    assert_string_equal(b, value[k].want);
  }
  /* counts: parameters and tokens are whole below 1e4 */
  static const struct { double v; const char *want; } count[] = {
      {512, "512"}, {4848, "4848"}, {474.6, "475"}, {9999.4, "9999"}, {9999.7, "10.0k"}, {12700, "12.7k"}, {0.5, "0.5000"}, {NAN, "-"}};
  for (size_t k = 0; k < sizeof count / sizeof count[0]; k++) {
    sf_fmt_count(b, sizeof b, count[k].v);
    assert_string_equal(b, count[k].want);
  }
  /* 2.47e23 FLOP on 4096 H100 at 989.4 TFLOP/s and MFU 0.4: 2.47e23 / 3.9576e14 / 3600 / 4096 / 24 = 1.765 days */
  static const struct { double v; const char *want; } ratio[] = {
      {124.35, "124"}, {55.31, "55.3"}, {16.52, "16.5"}, {1.7654, "1.77"}, {0.0071428, "0.00714"}, {99.96, "100"},
      {1234.6, "1235"}, {NAN, "-"}, {10, "10.0"}, {0.5, "0.500"}};
  for (size_t k = 0; k < sizeof ratio / sizeof ratio[0]; k++) {
    sf_fmt_ratio(b, sizeof b, ratio[k].v);
    assert_string_equal(b, ratio[k].want);
  }
  /* the ends of a band at the value's decimal places: 75.49 to none is 75 */
  sf_fmt_band(b, sizeof b, 124.35, 75.49, 231.3, sf_fmt_ratio);
  assert_string_equal(b, "124 [75, 231]");
  sf_fmt_band(b, sizeof b, 1.6783, 1.57816, 1.77843, sf_fmt_value);
  assert_string_equal(b, "1.678 [1.578, 1.778]");
  sf_fmt_band(b, sizeof b, 18.2, NAN, NAN, sf_fmt_ratio);
  assert_string_equal(b, "18.2");
  /* the walkthrough's uneven bands, as they must read */
  sf_fmt_band(b, sizeof b, 2.15, 2.134, 2.167, sf_fmt_value);
  assert_string_equal(b, "2.150 [2.134, 2.167]");
  sf_fmt_band(b, sizeof b, 1.94, 1.9, 1.983, sf_fmt_value);
  assert_string_equal(b, "1.940 [1.900, 1.983]");
  sf_fmt_band(b, sizeof b, 14.2, 10, 18, sf_fmt_ratio);
  assert_string_equal(b, "14.2 [10.0, 18.0]");
  sf_fmt_band(b, sizeof b, 0.696, 0.6462, 0.7496, sf_fmt_value);
  assert_string_equal(b, "0.6960 [0.6462, 0.7496]");
  /* a loss of 9.5 whose band reaches 12.34: both ends to 3 places (12.340, not 12.34) */
  sf_fmt_band(b, sizeof b, 9.5, 0.5, 12.34, sf_fmt_value);
  assert_string_equal(b, "9.500 [0.500, 12.340]");
  /* ends with a unit keep their own: 858k stands beside 3.90M */
  sf_fmt_band(b, sizeof b, 3.9e6, 858e3, 10.3e6, sf_fmt_value);
  assert_string_equal(b, "3.90M [858k, 10.3M]");
  sf_fmt_band(b, sizeof b, 36.6e3, 26.8e3, 47e3, sf_fmt_value);
  assert_string_equal(b, "36.6k [26.8k, 47.0k]");
  sf_fmt_band(b, sizeof b, 1.5, 1.2, INFINITY, sf_fmt_value);
  assert_string_equal(b, "1.500 [1.200, inf]");
  /* compute alone: 3 significant digits in e-notation at every size, zeros kept, so that a column of
   * budgets reads at one precision (%.3g gave "1e+21" over "3.16e+21") */
  sf_fmt_compute(b, sizeof b, 1e21);
  assert_string_equal(b, "1.00e+21");
  sf_fmt_compute(b, sizeof b, 3.16e21);
  assert_string_equal(b, "3.16e+21");
  sf_fmt_compute(b, sizeof b, 6);
  assert_string_equal(b, "6.00e+00");
  /* e-notation bands: all three to the most mantissa places among them */
  sf_fmt_band(b, sizeof b, 2e23, 1.1e23, 2.8e23, sf_fmt_compute);
  assert_string_equal(b, "2.00e+23 [1.10e+23, 2.80e+23]");
  sf_fmt_band(b, sizeof b, 3.8e25, 2e25, 5.12e25, sf_fmt_compute);
  assert_string_equal(b, "3.80e+25 [2.00e+25, 5.12e+25]");
  /* a column in e-notation (N past 1e15) */
  sf_fmtcol col = {0};
  sf_fmtcol_see_band(&col, 2e15, 1.5e15, 3e15);
  sf_fmtcol_band(&col, b, sizeof b, 2e15, 1.5e15, 3e15);
  assert_string_equal(b, "2.00e+15 [1.50e+15, 3.00e+15]");
  /* one style for a value and its standard error and interval (fit's parameter table) */
  assert_true(sf_fmt_like(b, sizeof b, 2818.4, "9015.54"));
  assert_string_equal(b, "2818.40");
  assert_true(sf_fmt_like(b, sizeof b, 2.3e9, "1.23457e+10"));
  assert_string_equal(b, "2.30000e+09");
  assert_false(sf_fmt_like(b, sizeof b, 1, "46.9B"));
  sf_fmt_sig(b, sizeof b, 1.34e23, 3);
  assert_string_equal(b, "1.34e+23");
  sf_fmt_sig(b, sizeof b, 8.3e22, 3);
  assert_string_equal(b, "8.30e+22");
}

/* sf_next_update (Sherman-Morrison) against the inverse taken directly: S' = (S^-1 + g g'/s2)^-1 by
 * GSL's LU, for random positive definite S (A A' + I) of 5 parameters; and the saved fit's method keys
 * (space, loss, residual variance rss/(n - k), or chi2/dof for a weighted fit) as loaded. */
static void invert(const double *m, double *out, size_t n) {
  gsl_matrix *a = gsl_matrix_alloc(n, n), *inv = gsl_matrix_alloc(n, n);
  gsl_permutation *p = gsl_permutation_alloc(n);
  int sgn;
  for (size_t i = 0; i < n * n; i++) a->data[i] = m[i];
  gsl_linalg_LU_decomp(a, p, &sgn);
  gsl_linalg_LU_invert(a, p, inv);
  for (size_t i = 0; i < n * n; i++) out[i] = inv->data[i];
  gsl_matrix_free(a);
  gsl_matrix_free(inv);
  gsl_permutation_free(p);
}

static void test_next_update(void **state) {
  (void)state;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7);
  enum { n = 5 };
  for (int trial = 0; trial < 20; trial++) {
    double A[n * n], S[n * n], Si[n * n], ref[n * n], g[n], h[n];
    for (int i = 0; i < n * n; i++) A[i] = gsl_ran_gaussian(r, 1);
    for (int i = 0; i < n; i++) {
      g[i] = gsl_ran_gaussian(r, 1);
      h[i] = gsl_ran_gaussian(r, 1);
      for (int j = 0; j < n; j++) {
        S[i * n + j] = i == j;
        for (int k = 0; k < n; k++) S[i * n + j] += A[i * n + k] * A[j * n + k];
      }
    }
    double s2 = 0.01 + gsl_rng_uniform(r);
    invert(S, Si, n);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) Si[i * n + j] += g[i] * g[j] / s2;
    invert(Si, ref, n);
    double v = sf_next_update(S, n, g, h, s2), vref = 0;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        vref += h[i] * ref[i * n + j] * h[j];
        assert_true(fabs(S[i * n + j] - ref[i * n + j]) < 1e-10 * (1 + fabs(ref[i * n + j])));
      }
    assert_true(fabs(v / vref - 1) < 1e-10);
  }
  gsl_rng_free(r);

  sf_fitfile *ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"],"
                             " \"y\": \"loss\", \"params\": {\"E\": 1.7, \"A\": 2000, \"alpha\": 0.15},"
                             " \"space\": \"linear\", \"loss\": \"huber\", \"rss\": 0.3, \"n_points\": 13, \"n_free\": 3}",
                             SF_OK);
  assert_int_equal(ff->space, SF_SPACE_LINEAR);
  assert_int_equal(ff->loss, SF_LOSS_HUBER);
  assert_true(fabs(ff->resid_var - 0.03) < 1e-15);
  sf_fitfile_free(ff);
  ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"],"
                 " \"y\": \"loss\", \"params\": {\"E\": 1.7, \"A\": 2000, \"alpha\": 0.15}, \"sigma\": \"sd\","
                 " \"rss\": 0.3, \"n_points\": 13, \"n_free\": 3, \"chi2\": 12, \"dof\": 10}",
                 SF_OK);
  assert_int_equal(ff->space, SF_SPACE_LOG); /* the law's default */
  assert_true(fabs(ff->resid_var - 1.2) < 1e-15);
  sf_fitfile_free(ff);
  ff = load_json("{\"format\": \"scalefit-fit\", \"version\": 1, \"law\": \"power\", \"vars\": [\"C\"],"
                 " \"y\": \"loss\", \"params\": {\"E\": 1.7, \"A\": 2000, \"alpha\": 0.15}}",
                 SF_OK);
  assert_true(isnan(ff->resid_var));
  sf_fitfile_free(ff);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fitfile_reads_and_remaps),
      cmocka_unit_test(test_fitfile_errors),
      cmocka_unit_test(test_published_laws),
      cmocka_unit_test(test_published_kaplan),
      cmocka_unit_test(test_eval_gradient),
      cmocka_unit_test(test_bands_widen),
      cmocka_unit_test(test_bands_bootstrap_vs_delta),
      cmocka_unit_test(test_percentile),
      cmocka_unit_test(test_optimal_epoch),
      cmocka_unit_test(test_optimal_hoffmann_exponent),
      cmocka_unit_test(test_optimal_kaplan_numeric),
      cmocka_unit_test(test_optimal_formula_law),
      cmocka_unit_test(test_optimal_formula_aliases),
      cmocka_unit_test(test_params_at_bound),
      cmocka_unit_test(test_optimal_llama3),
      cmocka_unit_test(test_optimal_attention),
      cmocka_unit_test(test_optimal_refuses),
      cmocka_unit_test(test_target_inverts),
      cmocka_unit_test(test_target_rising),
      cmocka_unit_test(test_target_far_beyond),
      cmocka_unit_test(test_target_band_law_of_C),
      cmocka_unit_test(test_twostage),
      cmocka_unit_test(test_band_fraction),
      cmocka_unit_test(test_display_rules),
      cmocka_unit_test(test_next_update),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
