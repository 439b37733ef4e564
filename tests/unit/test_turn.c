/* test_turn.c: the sigmoid question on synthetic data with a known answer: a sigmoid's
 * inflection is found inside its bootstrap interval; pure loglinear and power-law growth is not
 * called saturation. And the bands of the turn chart: the refits on resampled runs
 * (sf_turn_resample) and their percentile intervals (sf_turn_band). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>

#include "sf_test.h"

#define NPTS 40

/* y(x) at log10 x = t for the three generators */
static double gen(int kind, double t) {
  switch (kind) {
  case 0: return 0.25 + (0.85 - 0.25) / (1 + exp(-1.5 * (t - 22.0))); /* sigmoid, inflection 1e22 */
  case 1: return 0.28 + 0.04 * (t - 18.0);                               /* loglinear */
  default: return 0.26 * pow(10, 0.06 * (t - 18.0));                     /* power: 0.26 (x/1e18)^0.06 */
  }
}

static void make(int kind, double noise, unsigned long seed, double *x, double *y) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, seed);
  for (int i = 0; i < NPTS; i++) {
    double t = 18.0 + 7.0 * i / (NPTS - 1); /* 1e18 .. 1e25 */
    x[i] = pow(10, t);
    y[i] = gen(kind, t) + noise * gsl_ran_ugaussian(r);
    if (y[i] < 0) y[i] = 0;
    if (y[i] > 1) y[i] = 1;
  }
  gsl_rng_free(r);
}

static void test_sigmoid_found(void **state) {
  (void)state;
  double x[NPTS], y[NPTS];
  make(0, 0.02, 3, x, y);
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  o.bootstrap = 100;
  sf_turn_result r;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_true(r.inflection_identified);
  assert_true(r.saturation_supported);
  assert_true(r.inflection_lo <= 1e22 && 1e22 <= r.inflection_hi);
  assert_true(r.inflection_hi / r.inflection_lo < 10); /* a real interval, not a shrug */
  assert_close(log10(r.inflection), 22.0, 0.15);
  assert_rel(r.law[SF_TURN_SIGMOID].params[1], 0.85, 0.03);      /* ceiling */
  assert_true(r.delta_aic < -10);
  /* ranked by AICc, by hand: 2k(k+1)/(n-k-1) is 12/37 for the growth laws (k = 2) and 24/36 for
   * the sigmoid (k = 3, its floor pinned); the weights exp(-dAICc/2), normalised */
  const double pen[SF_TURN_NLAWS] = {12.0 / 37, 12.0 / 37, 24.0 / 36};
  double wsum = 0, wref[SF_TURN_NLAWS];
  for (int l = 0; l < SF_TURN_NLAWS; l++) {
    assert_int_equal(r.law[l].k, l == SF_TURN_SIGMOID ? 3 : 2);
    assert_close(r.law[l].aicc, r.law[l].aic + pen[l], 1e-9);
    wsum += wref[l] = exp(-(r.law[l].aicc - r.law[SF_TURN_SIGMOID].aicc) / 2);
  }
  for (int l = 0; l < SF_TURN_NLAWS; l++) assert_close(r.law[l].weight, wref[l] / wsum, 1e-12);
  assert_close(r.delta_aicc, r.delta_aic + 24.0 / 36 - 12.0 / 37, 1e-9);
  assert_non_null(strstr(r.verdict, "saturation supported"));
  /* the sigmoid extrapolates best: lowest held-out error */
  assert_true(r.law[SF_TURN_SIGMOID].holdout_error < r.law[SF_TURN_LOGLINEAR].holdout_error);
  assert_true(r.law[SF_TURN_SIGMOID].holdout_error < 3 * 0.02);
}

static void test_growth_not_called_saturation(void **state) {
  (void)state;
  for (int kind = 1; kind <= 2; kind++)
    for (unsigned long seed = 1; seed <= 3; seed++) {
      double x[NPTS], y[NPTS];
      make(kind, 0.01, seed, x, y);
      sf_turn_opts o;
      sf_turn_opts_default(&o);
      o.bootstrap = 40;
      sf_turn_result r;
      assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
      if (r.saturation_supported) print_error("kind %d seed %lu: %s\n", kind, seed, r.verdict);
      assert_false(r.saturation_supported);
      assert_null(strstr(r.verdict, "saturation supported"));
      /* the generating law leaves only the noise */
      if (kind == 1) assert_true(r.law[SF_TURN_LOGLINEAR].rss < 2 * NPTS * 0.01 * 0.01); /* E[rss] = n sigma^2 */
    }
}

static void test_turn_bad_input(void **state) {
  (void)state;
  double x[NPTS], y[NPTS];
  make(1, 0, 1, x, y);
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  sf_turn_result r;
  y[5] = 1.2;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "outside [0, 1]"));
  y[5] = 0.3;
  x[3] = -1;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_EINPUT);
  x[3] = 1e19;
  assert_int_equal(sf_turn(x, y, 5, &o, &r), SF_EINPUT);
  o.chance = 1.5;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_EUSAGE);
}

/* A metric in percent (--max 100 --chance 25) gives the same answer as in fractions, in its units. */
static void test_percent_scale(void **state) {
  (void)state;
  double x[NPTS], y[NPTS], yp[NPTS];
  make(0, 0.02, 3, x, y);
  for (int i = 0; i < NPTS; i++) yp[i] = 100 * y[i];
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  o.bootstrap = 30;
  sf_turn_result a, b;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &a), SF_OK);
  o.chance = 25;
  o.max = 100;
  o.tol = 5;
  assert_int_equal(sf_turn(x, yp, NPTS, &o, &b), SF_OK);
  assert_rel(b.inflection, a.inflection, 1e-6);
  assert_rel(b.inflection_lo, a.inflection_lo, 1e-6);
  assert_rel(b.law[SF_TURN_SIGMOID].params[1], 100 * a.law[SF_TURN_SIGMOID].params[1], 1e-6);
  assert_rel(b.law[SF_TURN_LOGLINEAR].params[1], 100 * a.law[SF_TURN_LOGLINEAR].params[1], 1e-6);
  assert_rel(b.law[SF_TURN_SIGMOID].rss, 1e4 * a.law[SF_TURN_SIGMOID].rss, 1e-6);
  assert_rel(b.law[SF_TURN_SIGMOID].holdout_error, 100 * a.law[SF_TURN_SIGMOID].holdout_error, 1e-6);
  assert_rel(b.delta_aic, a.delta_aic, 1e-6);
  assert_rel(b.delta_aicc, a.delta_aicc, 1e-6);
  assert_rel(b.diverge_x, a.diverge_x, 1e-6);
  assert_int_equal(b.saturation_supported, a.saturation_supported);
}

/* The bands' refits: row k of sf_turn_resample is sf_turn (its own bootstrap off) on the k-th
 * resample of mt19937 seeded as asked, drawn here independently; the rows scatter around the
 * generating sigmoid. */
static void test_resample(void **state) {
  (void)state;
  enum { KB = 6 };
  double x[NPTS], y[NPTS], boot[KB * SF_TURN_NLAWS * 4], again[KB * SF_TURN_NLAWS * 4];
  make(0, 0.02, 3, x, y);
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  assert_int_equal(sf_turn_resample(x, y, NPTS, &o, KB, 7, boot), SF_OK);
  assert_int_equal(sf_turn_resample(x, y, NPTS, &o, KB, 7, again), SF_OK);
  assert_memory_equal(boot, again, sizeof boot); /* deterministic for a seed */
  assert_int_equal(sf_turn_resample(x, y, NPTS, &o, KB, 8, again), SF_OK);
  assert_true(memcmp(boot, again, sizeof boot) != 0);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 7);
  sf_turn_opts o0 = o;
  o0.bootstrap = 0;
  for (size_t k = 0; k < KB; k++) {
    double rx[NPTS], ry[NPTS];
    for (size_t i = 0; i < NPTS; i++) {
      size_t j = (size_t)gsl_rng_uniform_int(r, NPTS);
      rx[i] = x[j], ry[i] = y[j];
    }
    sf_turn_result t;
    assert_int_equal(sf_turn(rx, ry, NPTS, &o0, &t), SF_OK);
    for (int l = 0; l < SF_TURN_NLAWS; l++) {
      const double *row = boot + (k * SF_TURN_NLAWS + (size_t)l) * 4;
      assert_true(t.law[l].ok);
      for (size_t q = 0; q < 4; q++) {
        if (q < t.law[l].np) assert_true(row[q] == t.law[l].params[q]);
        else assert_true(isnan(row[q]));
      }
    }
    const double *sg = boot + (k * SF_TURN_NLAWS + SF_TURN_SIGMOID) * 4; /* lo, hi, k, x0 */
    assert_rel(sg[1], 0.85, 0.05);
    assert_close(sg[3], 22.0, 0.3);
  }
  gsl_rng_free(r);
  assert_int_equal(sf_turn_resample(x, y, 0, &o, KB, 7, boot), SF_EUSAGE);
}

/* Bands from hand-made rows: loglinear y = a + b log10 x with b = 0.01 k, one failed row; the
 * 95% interval by the type-7 rule computed here: with 5 values v0 <= ... <= v4, the 2.5th
 * percentile is v0 + 0.1 (v1 - v0) and the 97.5th v3 + 0.9 (v4 - v3). */
static void test_band(void **state) {
  (void)state;
  enum { KB = 6 };
  double boot[KB * SF_TURN_NLAWS * 4];
  for (size_t q = 0; q < sizeof boot / sizeof boot[0]; q++) boot[q] = NAN;
  for (size_t k = 0; k < KB; k++) {
    if (k == 2) continue; /* a resample whose fit failed */
    double *row = boot + (k * SF_TURN_NLAWS + SF_TURN_LOGLINEAR) * 4;
    row[0] = 0.1;
    row[1] = 0.01 * (double)(k + 1);
  }
  double xs[2] = {1e20, 1e10}, lo[2], hi[2];
  assert_int_equal(sf_turn_band(SF_TURN_LOGLINEAR, boot, KB, 0.95, xs, 2, lo, hi), SF_OK);
  for (int i = 0; i < 2; i++) {
    double t = log10(xs[i]), v[5] = {0.1 + 0.01 * t, 0.1 + 0.02 * t, 0.1 + 0.04 * t, 0.1 + 0.05 * t, 0.1 + 0.06 * t};
    assert_rel(lo[i], v[0] + 0.1 * (v[1] - v[0]), 1e-12);
    assert_rel(hi[i], v[3] + 0.9 * (v[4] - v[3]), 1e-12);
  }
  /* no sigmoid row at all: nothing to band */
  assert_int_equal(sf_turn_band(SF_TURN_SIGMOID, boot, KB, 0.95, xs, 2, lo, hi), SF_ENUMERIC);
  assert_true(isnan(lo[0]) && isnan(hi[1]));
  assert_int_equal(sf_turn_band(SF_TURN_NLAWS, boot, KB, 0.95, xs, 2, lo, hi), SF_EUSAGE);
}

/* A metric with no chance level (generated answers: GSM8K, HumanEval) is analysed with --chance 0.
 * The catalogue's sigmoid keeps its floor inside (0, 1), so a floor pinned at exactly 0 used to
 * make every sigmoid fit fail ("no verdict"); a sigmoid from 0 to 0.8 must be found like any other. */
static void test_chance_zero(void **state) {
  (void)state;
  double x[NPTS], y[NPTS];
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 5);
  for (int i = 0; i < NPTS; i++) {
    double t = 18.0 + 7.0 * i / (NPTS - 1);
    x[i] = pow(10, t);
    y[i] = 0.8 / (1 + exp(-1.5 * (t - 22.0))) + 0.01 * gsl_ran_ugaussian(rng);
    if (y[i] < 0) y[i] = 0;
  }
  gsl_rng_free(rng);
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  o.chance = 0;
  o.bootstrap = 60;
  sf_turn_result r;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_true(r.law[SF_TURN_SIGMOID].ok);
  assert_close(r.law[SF_TURN_SIGMOID].params[0], 0.0, 1e-6); /* the floor: chance */
  assert_rel(r.law[SF_TURN_SIGMOID].params[1], 0.8, 0.03);
  assert_close(log10(r.inflection), 22.0, 0.15);
  assert_true(r.saturation_supported);
  assert_true(isfinite(r.delta_aic) && r.delta_aic < -10);
}

/* The same generated-answer sigmoid (0 to 0.8) under the default chance 0.25: the pinned floor lies
 * above the 18 of 40 runs that score under 0.175 (t < 21.15, where 0.8 / (1 + e^(-1.5 (t - 22))) is
 * 0.175), so the analysis is refused with the count, not fitted into "no sign of saturation".
 * Runs scattered just under chance (a 4-way benchmark's small models at 0.22 to 0.25) are noise
 * around the floor and stay accepted, as do a few far below it. */
static void test_chance_contradicted(void **state) {
  (void)state;
  double x[NPTS], y[NPTS];
  size_t far = 0;
  for (int i = 0; i < NPTS; i++) {
    double t = 18.0 + 7.0 * i / (NPTS - 1);
    x[i] = pow(10, t);
    y[i] = 0.8 / (1 + exp(-1.5 * (t - 22.0)));
    far += y[i] < 0.175;
  }
  assert_int_equal(far, 18); /* t = 18 + 7 i / 39 < 22 - ln(0.8 / 0.175 - 1) / 1.5 = 21.15 for i <= 17 */
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  o.bootstrap = 0;
  sf_turn_result r;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "18 of 40 runs score below 0.175"));
  assert_non_null(strstr(sf_errmsg(), "(give chance = 0 for answers generated")); /* a report spec's key */
  o.opt_prefix = "--";
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "(give --chance 0 for answers generated")); /* the command's flag */
  o.chance = 0;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  /* in percent the same rule: 18 runs under 17.5 with --chance 25 --max 100 */
  double yp[NPTS];
  for (int i = 0; i < NPTS; i++) yp[i] = 100 * y[i];
  o.chance = 25, o.max = 100;
  assert_int_equal(sf_turn(x, yp, NPTS, &o, &r), SF_EINPUT);
  /* noise around chance: a third of the runs at 0.22..0.25, then a rise; accepted */
  sf_turn_opts_default(&o);
  o.bootstrap = 0;
  make(0, 0.0, 1, x, y);
  for (int i = 0; i < NPTS / 3; i++) y[i] = 0.22 + 0.03 * (i % 2);
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_true(r.n_below_chance >= 6);
  /* and 3 of 40 runs far below (a broken evaluation or two): a tenth is the line, 3 are accepted */
  y[0] = y[1] = y[2] = 0.01;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  y[3] = y[4] = 0.01;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "5 of 40 runs"));
}

/* Odd but legitimate options: an explicit hold-out larger than the runs allow is cut to n - 6 like
 * the default (at n = 8 it fell to 0 while the default holds out 2); and without a bootstrap there
 * is no interval, so no claim that the inflection "is not identifiable" (the verdict said so). */
static void test_holdout_and_no_bootstrap(void **state) {
  (void)state;
  double x[8], y[8];
  for (int i = 0; i < 8; i++) {
    double t = 19 + 6.0 * i / 7;
    x[i] = pow(10, t);
    y[i] = gen(0, t) + 0.01 * sin(3.0 * i);
  }
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  o.bootstrap = 20;
  sf_turn_result r;
  assert_int_equal(sf_turn(x, y, 8, &o, &r), SF_OK);
  assert_int_equal(r.n_holdout, 2); /* the default: n / 5 = 1, at least 2, leaving 6 */
  o.holdout = 100;
  assert_int_equal(sf_turn(x, y, 8, &o, &r), SF_OK);
  assert_int_equal(r.n_holdout, 2);
  assert_true(isfinite(r.law[SF_TURN_LOGLINEAR].holdout_error));
  o.holdout = 0;
  for (size_t k = 0; k < 2; k++) {
    o.bootstrap = k;
    assert_int_equal(sf_turn(x, y, 8, &o, &r), SF_OK);
    assert_false(r.saturation_supported);
    assert_null(strstr(r.verdict, "not identifiable"));
    assert_non_null(strstr(r.verdict, "no verdict on saturation"));
  }
}

/* The opposite error: a binary task (chance 0.5, e.g. Winogrande) under the default 0.25. Runs
 * y = 0.5 + 0.4 / (1 + e^(-1.5 (t - 22))), t = 18 .. 25: none scores below 0.325 (chance plus a
 * tenth of 0.75), the lowest is 0.5 + 0.4 / (1 + e^6) = 0.50099, and y <= 0.55 (0.5 plus a tenth of
 * 0.5) holds for t <= 22 - ln 7 / 1.5 = 20.703, i.e. i <= 15: 16 runs at the binary floor. So the
 * chance level is flagged (a warning: the analysis still runs) with 0.5 suggested; under 0.5 it is
 * not, and the midpoint comes back at 1e22, where under 0.25 the sigmoid bends through the empty
 * gap between 0.25 and 0.5 and its midpoint moves. Controls: the 4-way sigmoid (0.25 to 0.85) under
 * 0.25, and only its upper part (t >= 21.5, lowest 0.4425, still rising: no plateau at 1/3 or 1/2)
 * are not flagged; the 4-way sigmoid under --chance 0 is, with 0.25 suggested. */
static void test_chance_too_low(void **state) {
  (void)state;
  double x[NPTS], y[NPTS];
  for (int i = 0; i < NPTS; i++) {
    double t = 18.0 + 7.0 * i / (NPTS - 1);
    x[i] = pow(10, t);
    y[i] = 0.5 + 0.4 / (1 + exp(-1.5 * (t - 22.0)));
  }
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  o.bootstrap = 0;
  sf_turn_result r;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_close(r.chance_suggest, 0.5, 1e-12);
  assert_int_equal(r.n_near_chance, 0);
  assert_int_equal(r.n_near_suggest, 16);
  assert_close(r.lowest, 0.5 + 0.4 / (1 + exp(6.0)), 1e-12);
  assert_non_null(strstr(r.chance_warning, "0 of 40 runs score below 0.325 (lowest 0.501)"));
  assert_non_null(strstr(r.chance_warning, "16 lie within 0.05 of 0.5, the chance level of a 2-way choice"));
  assert_non_null(strstr(r.chance_warning, "give chance = 0.5)"));
  double mid25 = r.law[SF_TURN_SIGMOID].params[3];
  o.chance = 0.5;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_true(isnan(r.chance_suggest));
  assert_string_equal(r.chance_warning, "");
  assert_close(r.law[SF_TURN_SIGMOID].params[3], 22.0, 1e-3);
  assert_true(fabs(mid25 - 22.0) > 0.3); /* the bias the warning is about */
  /* in percent: the same rule, 50 suggested */
  double yp[NPTS];
  for (int i = 0; i < NPTS; i++) yp[i] = 100 * y[i];
  o.chance = 25, o.max = 100;
  assert_int_equal(sf_turn(x, yp, NPTS, &o, &r), SF_OK);
  assert_close(r.chance_suggest, 50, 1e-12);
  assert_non_null(strstr(r.chance_warning, "give chance = 50)"));
  /* three runs near 0.25 (a floor that is observed): not flagged */
  sf_turn_opts_default(&o);
  o.bootstrap = 0;
  y[0] = y[1] = y[2] = 0.3;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_int_equal(r.n_near_chance, 3);
  assert_true(isnan(r.chance_suggest));
  /* controls: a 4-way sigmoid under 0.25, whole and its upper part alone */
  make(0, 0.0, 1, x, y);
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_true(isnan(r.chance_suggest));
  for (int i = 0; i < NPTS; i++) {
    double t = 21.5 + 3.5 * i / (NPTS - 1);
    x[i] = pow(10, t);
    y[i] = gen(0, t);
  }
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_int_equal(r.n_near_chance, 0);
  assert_true(isnan(r.chance_suggest));
  /* the 4-way sigmoid under --chance 0: lowest 0.2515, y <= 0.325 for t <= 20.703 again (16 runs) */
  make(0, 0.0, 1, x, y);
  o.chance = 0;
  assert_int_equal(sf_turn(x, y, NPTS, &o, &r), SF_OK);
  assert_close(r.chance_suggest, 0.25, 1e-12);
  assert_int_equal(r.n_near_suggest, 16);
  assert_non_null(strstr(r.chance_warning, "4-way choice"));
}

/* The words beside the table: the range with the compute column's unit (the report once wrote
 * "C from 4.02e+22 to 3.80e+25" with none), and one run below chance is "1 run scores", not "1 runs
 * score". A result by hand: the sigmoid not fitted, so only the range and the notes are written. */
static void test_describe_words(void **state) {
  (void)state;
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  sf_turn_result r;
  memset(&r, 0, sizeof r);
  r.n = 8, r.xmin = 4.02e22, r.xmax = 3.8e25, r.n_below_chance = 1;
  sf_turn_text t;
  sf_turn_describe(&r, &o, "C", "FLOP", &t);
  assert_string_equal(t.range, "C from 4.02e+22 to 3.80e+25 FLOP");
  assert_int_equal(t.nnote, 1);
  assert_string_equal(t.note[0], "1 run scores below the chance level 0.25");
  assert_int_equal(t.nline, 0);
  r.n_below_chance = 2;
  sf_turn_describe(&r, &o, "budget", "", &t);
  assert_string_equal(t.range, "budget from 4.02e+22 to 3.80e+25");
  assert_string_equal(t.note[0], "2 runs score below the chance level 0.25");
  sf_turn_describe(&r, &o, "budget", NULL, &t);
  assert_string_equal(t.range, "budget from 4.02e+22 to 3.80e+25");
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sigmoid_found),
      cmocka_unit_test(test_growth_not_called_saturation),
      cmocka_unit_test(test_turn_bad_input),
      cmocka_unit_test(test_percent_scale),
      cmocka_unit_test(test_resample),
      cmocka_unit_test(test_band),
      cmocka_unit_test(test_chance_zero),
      cmocka_unit_test(test_chance_contradicted),
      cmocka_unit_test(test_chance_too_low),
      cmocka_unit_test(test_holdout_and_no_bootstrap),
      cmocka_unit_test(test_describe_words),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
