/* test_fit_table.c: sf_fit_table, the fit pipeline on a table (selection, hold-out, starts,
 * bootstrap, trust warnings), against a second route through the lower-level calls: the rows
 * picked by hand, sf_fit_run on them with the law's own starts, the held-out residuals scored
 * by hand. Synthetic runs follow loss = 1.7 + 1000 C^-0.15 (or no floor, to make E
 * unidentifiable) with a small deterministic wobble.
 */
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

#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_law.h>
#include <scalefit/sf_store.h>

#include "sf_test.h"

enum { NRUN = 30 };

/* NRUN runs, N from 1e7 to 1e10, D = 20 N, C = 6ND, loss = E + 1000 C^-0.15 (x wobble); a
 * metric 'score' that is negative on every third run; row 4 lacks its loss. */
static sf_table *make_runs(double E) {
  sf_table *t = sf_table_new("runs");
  assert_non_null(t);
  for (size_t i = 0; i < NRUN; i++) {
    char name[16];
    snprintf(name, sizeof name, "r%zu", i);
    long r = sf_table_add_row(t, name, "", "", "");
    assert_true(r >= 0);
    double N = pow(10, 7 + 3.0 * (double)i / (NRUN - 1)), D = 20 * N, C = 6 * N * D;
    assert_int_equal(sf_table_set(t, (size_t)r, "N", N), SF_OK);
    assert_int_equal(sf_table_set(t, (size_t)r, "D", D), SF_OK);
    assert_int_equal(sf_table_set(t, (size_t)r, "C", C), SF_OK);
    if (i != 4)
      assert_int_equal(sf_table_set(t, (size_t)r, "loss", (E + 1000 * pow(C, -0.15)) * exp(0.01 * sin(7.0 * (double)i))),
                       SF_OK);
    assert_int_equal(sf_table_set(t, (size_t)r, "score", i % 3 ? 0.5 : -0.5), SF_OK);
  }
  return t;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The pipeline equals its parts: selection, hold-out, fit, held-out score and ranges. */
static void test_matches_parts(void **state) {
  (void)state;
  sf_table *t = make_runs(1.7);
  const sf_law *law = NULL;
  sf_law *owned = NULL;
  assert_int_equal(sf_fit_law_for_table("power", t, &law, &owned), SF_OK);
  assert_null(owned);
  sf_fit_request rq;
  sf_fit_request_init(&rq, law);
  rq.where = "N > 1.5e7";
  rq.holdout = 0.2;
  rq.threads = 1;
  sf_fit_table_result res;
  assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);

  /* by hand: N > 1.5e7 drops rows 0 and 1, row 4 has no loss; 0.2 * 27 = 5.4 asks for 5 of the
   * largest C (runs of distinct C: budgets of one run), held out */
  int cN = sf_table_find(t, "N"), cC = sf_table_find(t, "C"), cL = sf_table_find(t, "loss");
  double keys[NRUN], x[NRUN], lx[NRUN], y[NRUN], hx[NRUN], hy[NRUN];
  size_t m = 0, n = 0, nh = 0;
  for (size_t r = 0; r < NRUN; r++)
    if (t->cols[cN].v[r] > 1.5e7 && isfinite(t->cols[cL].v[r])) keys[m++] = t->cols[cC].v[r];
  assert_int_equal(m, 27);
  qsort(keys, m, sizeof *keys, cmp_double);
  double cut = keys[m - 5 - 1];
  for (size_t r = 0; r < NRUN; r++) {
    int kept = t->cols[cN].v[r] > 1.5e7 && isfinite(t->cols[cL].v[r]);
    int held = kept && t->cols[cC].v[r] > cut;
    assert_int_equal(res.role[r], kept ? 1 + held : 0);
    if (held) hx[nh] = t->cols[cC].v[r], hy[nh++] = t->cols[cL].v[r];
    else if (kept) x[n] = t->cols[cC].v[r], lx[n] = log(x[n]), y[n++] = t->cols[cL].v[r];
  }
  assert_int_equal(res.n_where, 2);
  assert_int_equal(res.n_skipped, 1);
  assert_int_equal(res.n_rows, 27);
  assert_int_equal(res.n_holdout, 5);
  assert_int_equal(res.holdout_budgets, 5);
  assert_int_equal(res.budgets, 27);
  assert_int_equal(res.holdout_of, 27);
  assert_int_equal(res.fit.n, n);
  assert_string_equal(res.holdout_by, "C");
  assert_string_equal(res.xname[0], "C");
  assert_string_equal(res.yname, "loss");

  /* the same fit through the lower-level calls, from the law's own starts */
  sf_fit_opts o;
  sf_fit_opts_default(&o, law);
  o.threads = 1;
  sf_law_data d = {.n = n, .nvar = 1, .x = {x}, .lx = {lx}};
  size_t ns = law->starts(law, &d, y, NULL, 0);
  double *starts = malloc(ns * law->np * sizeof *starts);
  assert_non_null(starts);
  ns = law->starts(law, &d, y, starts, ns);
  sf_fit_workspace *w = sf_fit_alloc(law, n, &o);
  assert_non_null(w);
  sf_fit_result direct;
  assert_int_equal(sf_fit_run(w, &d, y, NULL, NULL, starts, ns, &direct), SF_OK);
  assert_int_equal(res.fit.nstarts, ns);
  assert_true(res.fit.objective == direct.objective);
  for (size_t j = 0; j < law->np; j++) assert_true(res.fit.params[j] == direct.params[j]);
  sf_fit_free(w);
  free(starts);
  /* and near the law that made the data */
  assert_rel(res.fit.params[0], 1.7, 0.05);
  assert_rel(res.fit.params[2], 0.15, 0.1);

  /* held-out score: log residuals of the fitted law at the held-out runs */
  double ss = 0, mx = 0, rel = 0;
  for (size_t i = 0; i < nh; i++) {
    const double *p = res.fit.params;
    double r = log(p[0] + p[1] * pow(hx[i], -p[2])) - log(hy[i]);
    ss += r * r, mx = fmax(mx, fabs(r)), rel += fabs(expm1(r));
  }
  assert_rel(res.holdout_rmse, sqrt(ss / (double)nh), 1e-9);
  assert_rel(res.holdout_maxabs, mx, 1e-9);
  assert_rel(res.holdout_mean_rel, rel / (double)nh, 1e-9);

  /* ranges over the fitted runs only: C, loss, N, D */
  assert_int_equal(res.nrange, 4);
  assert_string_equal(res.range_name[0], "C");
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; i++) lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
  assert_true(res.range_lo[0] == lo && res.range_hi[0] == hi);
  assert_string_equal(res.range_name[1], "loss");
  assert_string_equal(res.range_name[2], "N");
  assert_string_equal(res.range_name[3], "D");
  /* a clean fit: nothing to warn about */
  assert_int_equal(res.nwarn, 0);
  assert_string_equal(res.warnings, "");
  sf_fit_table_result_free(&res);
  sf_table_free(t);
}

/* Bootstrap, given starts and random starts. */
static void test_starts_and_bootstrap(void **state) {
  (void)state;
  sf_table *t = make_runs(1.7);
  const sf_law *law = sf_law_find("power");
  sf_fit_request rq;
  sf_fit_request_init(&rq, law);
  rq.threads = 1;
  double grid[2 * 3] = {1.5, 500, 0.1, 2, 2000, 0.2};
  rq.starts = grid, rq.nstarts = 2;
  sf_fit_table_result a, b;
  assert_int_equal(sf_fit_table(t, &rq, &a), SF_OK);
  assert_int_equal(a.fit.nstarts, 2);
  rq.starts = NULL, rq.random_starts = 40, rq.seed = 9;
  rq.bootstrap = 12;
  assert_int_equal(sf_fit_table(t, &rq, &b), SF_OK);
  assert_int_equal(b.fit.nstarts, 40);
  assert_rel(b.fit.objective, a.fit.objective, 1e-6); /* one basin, whichever starts */
  assert_int_equal(b.K, 12);
  assert_true(isfinite(b.boot_seconds));
  /* the interval is the percentile of the samples */
  double lo, hi;
  assert_int_equal(sf_fit_percentile(b.samples, b.K, law->np, 2, 0.95, &lo, &hi), SF_OK);
  assert_true(b.ci_lo[2] == lo && b.ci_hi[2] == hi);
  assert_true(lo <= b.fit.params[2] + 1e-3 && b.fit.params[2] - 1e-3 <= hi);
  sf_fit_table_result_free(&a);
  sf_fit_table_result_free(&b);
  /* a start outside a parameter's range */
  grid[0] = -1;
  rq.starts = grid, rq.nstarts = 2, rq.bootstrap = 0;
  assert_int_equal(sf_fit_table(t, &rq, &a), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "start 1: E = -1 is outside the parameter's range"));
  sf_fit_table_result_free(&a);
  sf_table_free(t);
}

/* No floor in the data: E's bootstrap interval runs down to its bound 0, which comes back as a
 * warning about parameter 0 (the check the report used to lack), after the hold-out's. */
static void test_trust_warnings(void **state) {
  (void)state;
  sf_table *t = make_runs(0);
  sf_fit_request rq;
  sf_fit_request_init(&rq, sf_law_find("power"));
  rq.bootstrap = 30;
  rq.seed = 3;
  rq.threads = 1;
  rq.holdout_above = 1e40; /* nothing above: a hold-out that holds nothing is said too */
  sf_fit_table_result res;
  assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);
  assert_true(res.nwarn >= 2);
  assert_int_equal(res.warn[0].kind, SF_FITWARN_HOLDOUT_EMPTY);
  int poor = -1, bound = -1;
  for (size_t k = 0; k < res.nwarn; k++) {
    if (res.warn[k].kind == SF_FITWARN_POOR_STDERR) poor = (int)k;
    if (res.warn[k].kind == SF_FITWARN_CI_AT_BOUND) bound = (int)k;
  }
  assert_true(bound > 0);
  assert_int_equal(res.warn[bound].param, 0);
  assert_true(res.ci_lo[0] <= 1e-6 * (fabs(res.fit.params[0]) + 1)); /* what the warning says */
  /* a standard-error warning exactly when the standard error exceeds the value */
  assert_int_equal(poor >= 0, res.fit.stderr_[0] > fabs(res.fit.params[0]));
  if (poor >= 0) assert_true(res.warn[poor].param == 0 && poor < bound);
  assert_non_null(strstr(res.warn[bound].text, "bootstrap interval of 'E'"));
  /* the joined text: the same lines in the same order */
  char want[4096] = "";
  for (size_t k = 0; k < res.nwarn; k++) strcat(strcat(want, res.warn[k].text), "\n");
  assert_string_equal(res.warnings, want);
  sf_fit_table_result_free(&res);
  sf_table_free(t);
}

static double param_named(const sf_fit_table_result *res, const char *name) {
  for (size_t j = 0; j < res->law->np; j++)
    if (!strcmp(res->law->par[j].name, name)) return res->fit.params[j];
  fail_msg("no parameter '%s'", name);
  return NAN;
}

/* A Huber fit's standard errors are least squares' formula: said when most residuals lie beyond
 * delta (counted here from the fitted law by hand), not when all lie within it, never for l2;
 * delta = 0.5% falls inside the residuals' spread, where the count is sensitive to the rule. */
static void test_huber_stderr_warning(void **state) {
  (void)state;
  sf_table *t = make_runs(1.7);
  const sf_law *law = sf_law_find("power");
  const double deltas[4] = {1e-3, 1.0, NAN, 5e-3};
  const int losses[4] = {SF_LOSS_HUBER, SF_LOSS_HUBER, SF_LOSS_L2, SF_LOSS_HUBER};
  for (int k = 0; k < 4; k++) {
    sf_fit_request rq;
    sf_fit_request_init(&rq, law);
    rq.loss = losses[k];
    rq.delta = deltas[k];
    rq.threads = 1;
    sf_fit_table_result res;
    assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);
    double E = param_named(&res, "E"), A = param_named(&res, "A"), alpha = param_named(&res, "alpha");
    size_t beyond = 0, n = 0;
    for (size_t i = 0; i < NRUN; i++) {
      double C = sf_table_get(t, i, "C"), y = sf_table_get(t, i, "loss");
      if (!isfinite(y)) continue;
      n++;
      if (losses[k] == SF_LOSS_HUBER && fabs(log(E + A * pow(C, -alpha)) - log(y)) > deltas[k]) beyond++;
    }
    assert_int_equal(res.fit.n, n);
    assert_int_equal(res.fit.nbeyond, beyond);
    int said = -1;
    for (size_t w = 0; w < res.nwarn; w++)
      if (res.warn[w].kind == SF_FITWARN_HUBER_STDERR) said = (int)w;
    if (k == 0) {
      assert_true(2 * beyond > n); /* a 1% wobble against delta = 0.1% */
      assert_true(said >= 0);
      /* the request names no option prefix (a report spec's keys): the key, not the command's flag */
      assert_non_null(strstr(res.warn[said].text, "(bootstrap = K)"));
      assert_null(strstr(res.warn[said].text, "--bootstrap"));
    } else if (k == 3) {
      assert_true(beyond > 0 && beyond < n);
      assert_int_equal(said >= 0, 2 * beyond > n);
    } else {
      assert_int_equal(beyond, 0);
      assert_int_equal(said, -1);
    }
    sf_fit_table_result_free(&res);
  }
  sf_table_free(t);
}

/* The request is refused with status CODE at step STAGE (-1: not checked), sf_errmsg() holding
 * FRAG (NULL: not checked). A macro, so that a failure names the line of the case. */
#define assert_refused(t_, rq_, code_, stage_, frag_)                                                   \
  do {                                                                                                 \
    sf_fit_table_result res_;                                                                          \
    const char *frag = (frag_);                                                                        \
    assert_int_equal(sf_fit_table((t_), (rq_), &res_), (code_));                                       \
    if ((stage_) >= 0) assert_int_equal(res_.stage, (stage_));                                         \
    if (frag != NULL) assert_non_null(strstr(sf_errmsg(), frag));                                      \
    sf_fit_table_result_free(&res_);                                                                   \
  } while (0)

/* Bad requests and data: status, the step, and a message naming the run or option. */
static void test_errors(void **state) {
  (void)state;
  sf_table *t = make_runs(1.7);
  const sf_law *law = NULL;
  sf_law *owned = NULL;
  sf_fit_request rq;
  assert_int_equal(sf_fit_law_for_table("nolaw", t, &law, &owned), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "unknown law 'nolaw'"));
  assert_int_equal(sf_fit_law_for_table("loss = E + A*C^-alpha", t, &law, &owned), SF_OK);
  assert_true(law == owned);
  /* x with a formula */
  sf_fit_request_init(&rq, law);
  rq.x = "N";
  rq.opt_prefix = "--";
  assert_refused(t, &rq, SF_EUSAGE, SF_FITSTAGE_SETUP, "--x does not apply to a formula");
  sf_law_free(owned);

  law = sf_law_find("power");
  /* a parameter the law does not have */
  sf_fit_request_init(&rq, law);
  const char *fn[1] = {"Z"};
  double fv[1] = {1};
  rq.nfix = 1, rq.fix_name = fn, rq.fix_value = fv;
  assert_refused(t, &rq, SF_EUSAGE, -1, "fix: law 'power' has no parameter 'Z' (it has E, A, alpha)");
  /* a missing column, an unknown where column */
  sf_fit_request_init(&rq, law);
  rq.y = "nope";
  rq.data_name = "runs.csv";
  assert_refused(t, &rq, SF_EINPUT, -1, "column 'nope' missing in 'runs.csv'");
  sf_fit_request_init(&rq, law);
  rq.where = "zz > 1";
  assert_refused(t, &rq, SF_EINPUT, SF_FITSTAGE_DATA, "where: 'zz' is not a column");
  /* a negative output in log space names its run */
  sf_fit_request_init(&rq, law);
  rq.y = "score";
  rq.opt_prefix = "--";
  assert_refused(t, &rq, SF_EINPUT, -1, "run 'r0' (row 1 of");
  assert_non_null(strstr(sf_errmsg(), "try --space linear"));
  /* an input the law takes the log of */
  sf_fit_request_init(&rq, law);
  rq.x = "score";
  rq.y = "loss";
  assert_refused(t, &rq, SF_EINPUT, -1, "takes its log");
  /* too few runs */
  sf_fit_request_init(&rq, law);
  rq.where = "N < 1.3e7";
  assert_refused(t, &rq, SF_EINPUT, SF_FITSTAGE_DATA, "need at least 4");
  /* a law that cannot be evaluated anywhere: the fit step fails */
  assert_int_equal(sf_fit_law_for_table("loss = log(-a*a - 1) + C*0", t, &law, &owned), SF_OK);
  sf_fit_request_init(&rq, law);
  assert_refused(t, &rq, SF_ENUMERIC, SF_FITSTAGE_FIT, NULL);
  sf_law_free(owned);
  sf_table_free(t);
}

/* An isoFLOP grid: NB budgets of NPER runs each (C equal within a budget), loss on a power law of
 * C with a wobble; 'score' is the loss, or -1 on the run given (a value log space cannot take). */
enum { NB = 5, NPER = 8 };
static sf_table *make_isoflop(long bad_row) {
  sf_table *t = sf_table_new("iso");
  assert_non_null(t);
  for (size_t i = 0; i < NB * NPER; i++) {
    char name[16];
    snprintf(name, sizeof name, "r%zu", i);
    long r = sf_table_add_row(t, name, "", "", "");
    assert_true(r >= 0);
    double C = pow(10, 18 + (double)(i / NPER)), L = (1.7 + 1000 * pow(C, -0.15)) * exp(0.01 * sin(7.0 * (double)i));
    assert_int_equal(sf_table_set(t, (size_t)r, "C", C), SF_OK);
    assert_int_equal(sf_table_set(t, (size_t)r, "loss", L), SF_OK);
    assert_int_equal(sf_table_set(t, (size_t)r, "score", r == bad_row ? -1 : L), SF_OK);
  }
  return t;
}

static size_t held_out(const sf_table *t, double frac, int *rc) {
  sf_fit_request rq;
  sf_fit_request_init(&rq, sf_law_find("power"));
  rq.holdout = frac;
  rq.threads = 1;
  sf_fit_table_result res;
  *rc = sf_fit_table(t, &rq, &res);
  size_t nh = *rc ? 0 : res.n_holdout;
  if (!*rc) {
    size_t n2 = 0;
    for (size_t r = 0; r < t->nrows; r++) n2 += res.role[r] == 2;
    assert_int_equal(n2, nh);
    assert_int_equal(res.fit.n + nh, t->nrows);
  }
  sf_fit_table_result_free(&res);
  return nh;
}

/* --holdout FRAC on tied compute: whole budgets from the top, as many as come closest to FRAC n
 * runs (ties: the fewer), at least one and never all. Before, the ceil(FRAC n) largest runs and
 * every run tied with the smallest of them: 0.3 of 40 runs held out two budgets (16, 40%), and 0.99
 * held out every run. Counts here by hand: 5 budgets of 8. */
static void test_holdout_ties(void **state) {
  (void)state;
  sf_table *t = make_isoflop(-1);
  int rc;
  assert_int_equal(held_out(t, 0.1, &rc), NPER); /* 4 asked: the top budget, at least one */
  assert_int_equal(rc, SF_OK);
  assert_int_equal(held_out(t, 0.2, &rc), NPER); /* exactly one budget */
  assert_int_equal(held_out(t, 0.3, &rc), NPER); /* 12 asked: 8 and 16 as far from it, the fewer */
  assert_int_equal(held_out(t, 0.35, &rc), 2 * NPER); /* 14 asked: 16 the closer */
  /* a fraction near every run keeps the bottom budget to fit */
  assert_int_equal(held_out(t, 0.99, &rc), (NB - 1) * NPER);
  assert_int_equal(rc, SF_OK);
  sf_table_free(t);
  /* the rule alone: one budget in all holds out nothing; halves go to the fewer; a budget is its
   * largest run and those within 0.1% below it */
  size_t nh, nb, nball;
  double one[3] = {1e20, 1e20, 1e20};
  assert_true(isinf(sf_fit_holdout_pick(one, 3, 0.5, &nh, &nb, &nball)));
  assert_int_equal(nh, 0), assert_int_equal(nb, 0), assert_int_equal(nball, 1);
  double ten[10];
  for (size_t i = 0; i < 10; i++) ten[i] = pow(10, 18 + 0.1 * (double)(9 - i));
  /* (sorted in place: the cut is the smallest key held out) */
  assert_true(sf_fit_holdout_pick(ten, 10, 0.25, &nh, &nb, &nball) == pow(10, 18 + 0.1 * 8.0)); /* 2.5 asked: 2 */
  assert_int_equal(nh, 2), assert_int_equal(nb, 2), assert_int_equal(nball, 10);
  assert_true(sf_fit_holdout_pick(ten, 10, 0.35, &nh, NULL, NULL) == pow(10, 18 + 0.1 * 7.0)); /* 3.5 asked: 3 */
  assert_int_equal(nh, 3);
  double spread[6] = {1e19, 1e20, 0.9995e20, 1e19, 0.9991e20, 1e19};
  assert_true(sf_fit_holdout_pick(spread, 6, 0.5, &nh, &nb, &nball) == 0.9991e20);
  assert_int_equal(nh, 3), assert_int_equal(nb, 1), assert_int_equal(nball, 2);
  double chain[4] = {1e20, 0.9992e20, 0.9985e20, 0.9978e20}; /* 0.07% apart each: 0.22% in all */
  sf_fit_holdout_pick(chain, 4, 0.5, &nh, &nb, &nball);
  assert_int_equal(nh, 2), assert_int_equal(nball, 2); /* 1e20 and 0.9992e20, then the rest */
  /* distinct keys: 0.07 of 100 runs is 7 (7.000000000000001 in floating point, whose ceiling is 8) */
  t = sf_table_new("d");
  for (size_t i = 0; i < 100; i++) {
    char name[16];
    snprintf(name, sizeof name, "r%zu", i);
    long r = sf_table_add_row(t, name, "", "", "");
    double C = pow(10, 18 + 0.05 * (double)i);
    assert_int_equal(sf_table_set(t, (size_t)r, "C", C), SF_OK);
    assert_int_equal(sf_table_set(t, (size_t)r, "loss", (1.7 + 1000 * pow(C, -0.15)) * exp(0.01 * sin((double)i))), SF_OK);
  }
  assert_int_equal(held_out(t, 0.07, &rc), 7);
  sf_table_free(t);
  /* a budget's runs at C a little apart, as the own sweep's exact FLOPs are (D rounded to whole
   * batches: 9.9946e12 to 9.9999e12 in its top budget) or as 6ND is from a D exported with 7
   * digits: still one budget, held out whole. Budget b's run j at 10^(18 + b) (1 - 7e-5 j), so the
   * top budget spans 0.05%; 0.1 of 40 asks for 4 runs. Before the ties, its 4 largest went. */
  t = sf_table_new("spread");
  for (size_t i = 0; i < NB * NPER; i++) {
    char name[16];
    snprintf(name, sizeof name, "r%zu", i);
    long r = sf_table_add_row(t, name, "", "", "");
    double C = pow(10, 18 + (double)(i / NPER)) * (1 - 7e-5 * (double)(i % NPER));
    assert_int_equal(sf_table_set(t, (size_t)r, "C", C), SF_OK);
    assert_int_equal(sf_table_set(t, (size_t)r, "loss", (1.7 + 1000 * pow(C, -0.15)) * exp(0.01 * sin(7.0 * (double)i))),
                     SF_OK);
  }
  assert_int_equal(held_out(t, 0.1, &rc), NPER);
  assert_int_equal(rc, SF_OK);
  assert_int_equal(held_out(t, 0.4, &rc), 2 * NPER); /* 16 asked: the second budget whole too */
  sf_table_free(t);
}

/* A held-out run whose output log space cannot take is an error naming it, as a fitted run's is;
 * before, it was scored as a NaN log residual and printed 'RMSE -nan, max |residual| 0'. */
static void test_holdout_bad_output(void **state) {
  (void)state;
  sf_table *t = make_isoflop(NB * NPER - 1); /* the largest run: held out */
  sf_fit_request rq;
  sf_fit_request_init(&rq, sf_law_find("power"));
  rq.y = "score";
  rq.holdout = 0.2;
  rq.threads = 1;
  rq.data_name = "iso.csv";
  sf_fit_table_result res;
  assert_int_equal(sf_fit_table(t, &rq, &res), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "run 'r39' (row 40 of 'iso.csv'): score = -1"));
  sf_fit_table_result_free(&res);
  rq.space = SF_SPACE_LINEAR; /* where -1 is a value like any other */
  assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);
  assert_true(isfinite(res.holdout_rmse) && res.holdout_rmse > 0);
  sf_fit_table_result_free(&res);
  sf_table_free(t);
}

/* A degenerate fit is shown but not ranked: scalefit's own isoFLOP sweep (datasets/sweep_default.h5,
 * three budgets of five runs, C within 0.01% in each), where bnsl's least squares put a step between
 * two runs of the largest budget (its AICc was still given a weight, 0.003; on Chinchilla's runs its
 * kink took weight 1.000 and "best"). The step is checked from the runs here: the runs on one side
 * of d1 span under 5% of the log range. The weights are exp(-dAICc/2) over power and power0 alone. */
static void test_compare_degenerate_unranked(void **state) {
  (void)state;
  static const double runs[15][2] = {
      {9999413673984, 1.222168032924145},  {9999889465344, 1.3181229486084156}, {9999338176512, 1.2119658426025843},
      {9998775091200, 1.200950265631601},  {2999916429312, 1.4504254606950724}, {9994594418688, 1.2228084598440567},
      {2999037984768, 1.3684486741535977}, {2999809474560, 1.5175967693721049}, {2998471753728, 1.5551845348399524},
      {2998665216000, 1.4348535424260263}, {999722188800, 1.776239937270418},   {999825211392, 1.898166378637029},
      {999555072000, 2.0222967158736083},  {999636074496, 1.8175839386428834}, {999351779328, 1.9681398466345854}};
  sf_table *t = sf_table_new("sweep");
  assert_non_null(t);
  for (size_t i = 0; i < 15; i++) {
    char name[16];
    snprintf(name, sizeof name, "r%zu", i);
    long r = sf_table_add_row(t, name, "", "", "");
    assert_true(r >= 0);
    assert_int_equal(sf_table_set(t, (size_t)r, "C", runs[i][0]), SF_OK);
    assert_int_equal(sf_table_set(t, (size_t)r, "loss", runs[i][1]), SF_OK);
  }
  const sf_law *laws[3] = {sf_law_find("power"), sf_law_find("power0"), sf_law_find("bnsl")};
  sf_fit_request rq;
  sf_fit_request_init(&rq, laws[0]);
  sf_fit_compare_result cr;
  assert_int_equal(sf_fit_compare(t, &rq, laws, 3, &cr), SF_OK);
  assert_null(sf_fit_degenerate(&cr.fit[0]));
  assert_null(sf_fit_degenerate(&cr.fit[1]));
  const char *why = sf_fit_degenerate(&cr.fit[2]);
  assert_non_null(why);
  assert_non_null(strstr(why, "is a step"));
  double ld = log(param_named(&cr.fit[2], "d1")), lo = INFINITY, hi = -INFINITY, alo = INFINITY, ahi = -INFINITY;
  double blo = INFINITY, bhi = -INFINITY;
  for (size_t i = 0; i < 15; i++) {
    double v = log(runs[i][0]);
    lo = fmin(lo, v), hi = fmax(hi, v);
    if (v < ld) blo = fmin(blo, v), bhi = fmax(bhi, v);
    else alo = fmin(alo, v), ahi = fmax(ahi, v);
  }
  assert_true(isfinite(bhi) && isfinite(ahi)); /* runs on both sides: inside the runs, not beyond */
  assert_true(fmin(ahi - alo, bhi - blo) < 0.05 * (hi - lo));
  assert_int_equal(cr.ndegenerate, 1);
  assert_true(isnan(cr.weight[2]) && isnan(cr.delta_aicc[2]) && isnan(cr.delta_aic[2]) && isnan(cr.delta_bic[2]));
  assert_true(isfinite(cr.fit[2].fit.aicc)); /* its criteria are kept, only not ranked */
  assert_int_equal(cr.best_aicc, 0);
  assert_int_equal(cr.best_aic, 0);
  assert_int_equal(cr.best_bic, 0);
  double d = cr.fit[1].fit.aicc - cr.fit[0].fit.aicc;
  assert_true(d > 0);
  assert_close(cr.weight[0], 1 / (1 + exp(-d / 2)), 1e-12);
  assert_close(cr.weight[1], exp(-d / 2) / (1 + exp(-d / 2)), 1e-12);
  assert_close(cr.delta_aicc[1], d, 1e-12);
  sf_fit_compare_result_free(&cr);
  sf_table_free(t);
}

static int warned(const sf_fit_table_result *res, sf_fit_warnkind kind, int param) {
  for (size_t k = 0; k < res->nwarn; k++)
    if (res->warn[k].kind == kind && res->warn[k].param == param) return 1;
  return 0;
}

/* The bounds an interval's end reads against: a positive parameter's 0, a logistic one's (lo, hi),
 * the user's --bound over either. An end of 2.8e-63 (the own sweep's E, whose resamples pile up at
 * 0 once the Huber fits converge) printed as such; it reads 0 now, and an end clear of the bound
 * keeps its digits. */
static void test_snap_to_bound(void **state) {
  (void)state;
  const sf_law *chin = sf_law_find("chinchilla"), *sig = sf_law_find("sigmoid");
  sf_fit_opts o;
  double lo, hi;
  sf_fit_opts_default(&o, chin);
  sf_fit_param_bounds(chin, &o, 0, &lo, &hi); /* E */
  assert_true(lo == 0 && isinf(hi));
  assert_true(sf_fit_snap_to_bound(2.8e-63, lo, hi, 0.074) == 0);
  assert_true(sf_fit_snap_to_bound(1.2e-6, lo, hi, 0.074) == 1.2e-6); /* 1e-6 of |E| + 1 is the tolerance */
  assert_true(sf_fit_snap_to_bound(0.928, lo, hi, 0.074) == 0.928);
  o.bounded[0] = 1, o.lo[0] = 1.5, o.hi[0] = 2.0;
  sf_fit_param_bounds(chin, &o, 0, &lo, &hi);
  assert_true(lo == 1.5 && hi == 2.0);
  assert_true(sf_fit_snap_to_bound(2.0 - 1e-7, lo, hi, 1.8) == 2.0);
  assert_true(sf_fit_snap_to_bound(1.9999, lo, hi, 1.8) == 1.9999);
  sf_fit_opts_default(&o, sig);
  sf_fit_param_bounds(sig, &o, 1, &lo, &hi); /* hi of the sigmoid, in (0, 1) */
  assert_true(lo == 0 && hi == 1);
  assert_true(sf_fit_snap_to_bound(1 - 1e-9, lo, hi, 0.8) == 1);
  sf_fit_param_bounds(sig, &o, 3, &lo, &hi); /* x0: unbounded */
  assert_true(isinf(lo) && isinf(hi) && sf_fit_snap_to_bound(-1e300, lo, hi, 22) == -1e300);
}

/* An estimate pressed against its --bound is said, once: before, 'E 1.75 stderr 0.0084' read as a
 * well-determined value with no hint that the data put E below the bound. The free fit (no bound)
 * is the reference for where the optimum lies. */
static void test_at_bound_warning(void **state) {
  (void)state;
  sf_table *t = make_runs(1.7);
  const sf_law *law = sf_law_find("power");
  sf_fit_request rq;
  sf_fit_request_init(&rq, law);
  rq.threads = 1;
  sf_fit_table_result res;
  assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);
  double E = res.fit.params[0];
  assert_false(warned(&res, SF_FITWARN_AT_BOUND, 0));
  sf_fit_table_result_free(&res);
  const char *bn[1] = {"E"};
  double lo[2] = {E * 1.02, E * 0.9}, hi[2] = {E * 1.5, E * 1.1};
  for (int k = 0; k < 2; k++) { /* above the free optimum: on the bound; around it: inside */
    rq.nbound = 1, rq.bound_name = bn, rq.bound_lo = &lo[k], rq.bound_hi = &hi[k];
    assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);
    assert_int_equal(warned(&res, SF_FITWARN_AT_BOUND, 0), k == 0);
    if (k == 0) {
      assert_rel(res.fit.params[0], lo[0], 1e-6);
      assert_false(warned(&res, SF_FITWARN_POOR_STDERR, 0)); /* one warning per parameter */
    } else {
      assert_rel(res.fit.params[0], E, 1e-6);
    }
    sf_fit_table_result_free(&res);
  }
  sf_table_free(t);
}

/* ---- sigma ---- */

/* make_runs with a column loss_sd of standard deviations, 0.5% to 2% of the loss. */
static sf_table *make_runs_sigma(void) {
  sf_table *t = make_runs(1.7);
  int cL = sf_table_find(t, "loss");
  for (size_t r = 0; r < NRUN; r++) {
    double L = t->cols[cL].v[r];
    assert_int_equal(sf_table_set(t, r, "loss_sd", isfinite(L) ? L * 0.005 * (double)(1 + r % 4) : 0.01), SF_OK);
  }
  return t;
}

static int fit_status(const sf_table *t, const sf_fit_request *rq, const char *want) {
  sf_fit_table_result res;
  int rc = sf_fit_table(t, rq, &res);
  if (want && !strstr(sf_errmsg(), want)) fail_msg("message '%s' lacks '%s'", sf_errmsg(), want);
  sf_fit_table_result_free(&res);
  return rc;
}

/* The pipeline passes the fitted runs' sigma to the fit (the same as sf_fit_run with them), and
 * refuses a fitted run whose sigma is not a standard deviation, naming the run, its row, the data
 * and the value, instead of skipping it as a run without a value (which would change the fit
 * without a word); --where leaves such runs out, and a held-out run needs none. */
static void test_sigma(void **state) {
  (void)state;
  sf_table *t = make_runs_sigma();
  const sf_law *law = sf_law_find("power");
  sf_fit_request rq;
  sf_fit_request_init(&rq, law);
  rq.sigma = "LOSS_SD"; /* found as a header would be read, then known by its own name */
  rq.threads = 1;
  rq.data_name = "runs.csv";
  rq.opt_prefix = "--";
  sf_fit_table_result res;
  assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);
  assert_string_equal(res.sigma_name, "loss_sd");
  assert_int_equal(res.fit.n, NRUN - 1);
  /* by hand: the runs with a loss, their sigma, the law's starts */
  int cC = sf_table_find(t, "C"), cL = sf_table_find(t, "loss"), cS = sf_table_find(t, "loss_sd");
  double x[NRUN], lx[NRUN], y[NRUN], sg[NRUN];
  size_t n = 0;
  for (size_t r = 0; r < NRUN; r++)
    if (isfinite(t->cols[cL].v[r]))
      x[n] = t->cols[cC].v[r], lx[n] = log(x[n]), y[n] = t->cols[cL].v[r], sg[n++] = t->cols[cS].v[r];
  sf_law_data d = {.n = n, .nvar = 1, .x = {x}, .lx = {lx}};
  size_t ns = law->starts(law, &d, y, NULL, 0);
  double *st = malloc(ns * law->np * sizeof *st);
  law->starts(law, &d, y, st, ns);
  sf_fit_opts o;
  sf_fit_opts_default(&o, law);
  o.threads = 1;
  sf_fit_workspace *w = sf_fit_alloc(law, n, &o);
  sf_fit_result direct, plain;
  assert_int_equal(sf_fit_run(w, &d, y, sg, NULL, st, ns, &direct), SF_OK);
  assert_int_equal(sf_fit_run(w, &d, y, NULL, NULL, st, ns, &plain), SF_OK);
  sf_fit_free(w);
  free(st);
  for (size_t j = 0; j < law->np; j++) {
    assert_rel(res.fit.params[j], direct.params[j], 1e-12);
    assert_rel(res.fit.stderr_[j], direct.stderr_[j], 1e-12);
    assert_true(res.fit.params[j] != plain.params[j]);
  }
  sf_fit_table_result_free(&res);

  /* bad sigmas: row 10 is run r9 */
  const double bad[4] = {0, -0.5, NAN, INFINITY};
  const char *said[4] = {"run 'r9' (row 10 of 'runs.csv'): loss_sd = 0, but --sigma needs a standard deviation",
                         "loss_sd = -0.5,", "run 'r9' (row 10 of 'runs.csv'): loss_sd is missing, but", "loss_sd = inf,"};
  double keep = t->cols[cS].v[9];
  for (int b = 0; b < 4; b++) {
    assert_int_equal(sf_table_set(t, 9, "loss_sd", bad[b]), SF_OK);
    assert_int_equal(fit_status(t, &rq, said[b]), SF_EINPUT);
    assert_non_null(strstr(sf_errmsg(), "(leave such runs out with --where)"));
  }
  rq.where = "loss_sd < 1e300"; /* NaN compares false: the run goes */
  assert_int_equal(fit_status(t, &rq, NULL), SF_OK);
  rq.where = NULL;
  assert_int_equal(sf_table_set(t, 9, "loss_sd", keep), SF_OK);
  /* the largest run held out without a sigma: it is scored unweighted */
  assert_int_equal(sf_table_set(t, NRUN - 1, "loss_sd", NAN), SF_OK);
  assert_int_equal(fit_status(t, &rq, "run 'r29'"), SF_EINPUT);
  rq.holdout = 0.05;
  assert_int_equal(fit_status(t, &rq, NULL), SF_OK);
  rq.holdout = 0;

  /* options */
  rq.sigma = "nope";
  assert_int_equal(fit_status(t, &rq, "column 'nope' missing in 'runs.csv' (--sigma"), SF_EINPUT);
  rq.sigma = NULL;
  rq.absolute_sigma = 1;
  assert_int_equal(fit_status(t, &rq, "--absolute-sigma needs --sigma"), SF_EUSAGE);
  rq.sigma = "loss_sd";
  assert_int_equal(sf_table_set(t, NRUN - 1, "loss_sd", keep), SF_OK);
  rq.loss = SF_LOSS_HUBER;
  assert_int_equal(fit_status(t, &rq, "--sigma with --loss huber: give --delta"), SF_EUSAGE);
  rq.delta = 1.345;
  assert_int_equal(fit_status(t, &rq, NULL), SF_OK);
  sf_table_free(t);
}

/* With absolute sigma, a chi-square improbable for its degrees of freedom is warned about: sigmas
 * 100 times too small (chi2/dof ~ 1e4) or 100 times too large (~1e-4). Relative sigmas are
 * rescaled by chi2/dof, and nothing is said. */
static void test_sigma_chi2_warning(void **state) {
  (void)state;
  sf_table *t = make_runs_sigma();
  int cS = sf_table_find(t, "loss_sd");
  const sf_law *law = sf_law_find("power");
  for (int scale = 0; scale < 2; scale++) {
    for (size_t r = 0; r < NRUN; r++) t->cols[cS].v[r] *= scale ? 1e4 : 1e-2;
    for (int absolute = 0; absolute < 2; absolute++) {
      sf_fit_request rq;
      sf_fit_request_init(&rq, law);
      rq.sigma = "loss_sd";
      rq.absolute_sigma = absolute;
      rq.threads = 1;
      sf_fit_table_result res;
      assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);
      int found = 0;
      for (size_t k = 0; k < res.nwarn; k++) found += res.warn[k].kind == SF_FITWARN_CHI2;
      assert_int_equal(found, absolute);
      if (absolute)
        assert_non_null(strstr(res.warnings, scale ? "they overstate the scatter" : "they understate the scatter"));
      sf_fit_table_result_free(&res);
    }
  }
  sf_table_free(t);
}

int main(void) {
  gsl_set_error_handler_off(); /* as the CLI does: failures come back as status codes */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_parts),
      cmocka_unit_test(test_starts_and_bootstrap),
      cmocka_unit_test(test_trust_warnings),
      cmocka_unit_test(test_huber_stderr_warning),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_holdout_ties),
      cmocka_unit_test(test_holdout_bad_output),
      cmocka_unit_test(test_at_bound_warning),
      cmocka_unit_test(test_snap_to_bound),
      cmocka_unit_test(test_sigma),
      cmocka_unit_test(test_sigma_chi2_warning),
      cmocka_unit_test(test_compare_degenerate_unranked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
