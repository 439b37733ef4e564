/* test_forecast_where.c: how `fit --where` and formula laws find their columns (the rule of --x and
 * --y: the exact name, then as a header would be read, then any letter case; two candidates are an
 * error naming both), that a formula's parameters are not taken for columns, and where a formula's
 * parse error points. The runs are made here; the expected counts and positions are by hand. */
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

/* 12 runs, N = 1e7 * 2^i, C = 6 N 20 N, loss = 1.7 + 400 N^-0.3 exactly, and a metric column
 * "Acc" spelled as a program other than scalefit might write it */
static sf_table *make_runs(int second_acc) {
  sf_table *t = sf_table_new("runs");
  for (int i = 0; i < 12; i++) {
    char name[16];
    snprintf(name, sizeof name, "r%d", i);
    long r = sf_table_add_row(t, name, NULL, NULL, NULL);
    double N = 1e7 * pow(2, i);
    sf_table_set(t, (size_t)r, "N", N);
    sf_table_set(t, (size_t)r, "D", 20 * N);
    sf_table_set(t, (size_t)r, "C", 120 * N * N);
    sf_table_set(t, (size_t)r, "loss", 1.7 + 400 * pow(N, -0.3));
    sf_table_set(t, (size_t)r, "Acc", 0.25 + 0.05 * i);
    if (second_acc) sf_table_set(t, (size_t)r, "ACC", 0.5);
  }
  return t;
}

/* Runs the power law of N with --where w; returns the status, *nwhere the runs left out */
static int fit_where(const sf_table *t, const char *w, size_t *nwhere) {
  sf_fit_request rq;
  sf_fit_request_init(&rq, sf_law_find("power"));
  rq.x = "N";
  rq.where = w;
  rq.opt_prefix = "--";
  sf_fit_table_result res;
  int rc = sf_fit_table(t, &rq, &res);
  *nwhere = res.n_where;
  sf_fit_table_result_free(&res);
  return rc;
}

static void test_where_any_case(void **state) {
  (void)state;
  sf_table *t = make_runs(0);
  size_t n;
  /* N > 1e8: N = 1e7 2^i > 1e8 for i >= 4 (2^4 = 16), so i = 0..3 are left out */
  assert_int_equal(fit_where(t, "N > 1e8", &n), SF_OK);
  assert_int_equal(n, 4);
  /* the same runs whichever way the column is spelled: 'n' was "not a column" */
  assert_int_equal(fit_where(t, "n > 1e8", &n), SF_OK);
  assert_int_equal(n, 4);
  /* LOSS < 1.7 + 400 (1e7 2^6)^-0.3 (and a hair) keeps i >= 6: 6 out; "params" is N as a header */
  double cut = 1.7 + 400 * pow(1e7 * 64, -0.3) + 1e-12;
  char w[128];
  snprintf(w, sizeof w, "LOSS < %.17g and params > 0", cut);
  assert_int_equal(fit_where(t, w, &n), SF_OK);
  assert_int_equal(n, 6);
  /* a metric whose own name has capitals, typed in lower case */
  assert_int_equal(fit_where(t, "acc > 0.47", &n), SF_OK); /* 0.25 + 0.05 i > 0.47: i >= 5 */
  assert_int_equal(n, 5);
  /* a name that is no column still says so, and lists the columns */
  assert_int_equal(fit_where(t, "q > 1", &n), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "--where: 'q' is not a column"));
  assert_non_null(strstr(sf_errmsg(), "N, D, C, loss, Acc"));
  sf_table_free(t);
}

static void test_ambiguous_names(void **state) {
  (void)state;
  sf_table *t = make_runs(1);
  size_t n;
  /* 'acc' could be Acc or ACC: an error naming both, never the first one found */
  assert_int_equal(fit_where(t, "acc > 0.3", &n), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "--where: column 'acc' is ambiguous"));
  assert_non_null(strstr(sf_errmsg(), "'Acc' or 'ACC'"));
  /* the exact names still work */
  assert_int_equal(fit_where(t, "Acc > 0.32 and ACC > 0", &n), SF_OK);
  assert_int_equal(n, 2); /* 0.25 + 0.05 i > 0.32 for i >= 2 */
  int c;
  assert_int_equal(sf_table_resolve(t, "acc", &c), SF_EINPUT);
  assert_int_equal(sf_table_lookup(t, "acc"), -1);
  assert_int_equal(sf_table_resolve(t, "ACC", &c), SF_OK);
  assert_string_equal(t->cols[c].name, "ACC");
  /* --y acc for a fit: the same error, not "missing" */
  sf_fit_request rq;
  sf_fit_request_init(&rq, sf_law_find("power"));
  rq.x = "N";
  rq.y = "acc";
  sf_fit_table_result res;
  assert_int_equal(sf_fit_table(t, &rq, &res), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "'Acc' or 'ACC'"));
  sf_fit_table_result_free(&res);
  /* and in a formula */
  const sf_law *law;
  sf_law *owned;
  assert_int_equal(sf_fit_law_for_table("loss = a + b*acc", t, &law, &owned), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "'Acc' or 'ACC'"));
  sf_table_free(t);
}

/* The names of a formula's variables and parameters */
static void vars_params(const sf_law *law, char *buf, size_t n) {
  size_t used = 0;
  for (size_t k = 0; k < law->nvar; k++) used += (size_t)snprintf(buf + used, n - used, "%s ", law->vars[k]);
  used += (size_t)snprintf(buf + used, n - used, "|");
  for (size_t k = 0; k < law->np; k++) used += (size_t)snprintf(buf + used, n - used, " %s", law->par[k].name);
}

static void test_formula_columns(void **state) {
  (void)state;
  sf_table *t = make_runs(0);
  const sf_law *law;
  sf_law *owned;
  char got[256];
  /* a column typed in another case is a variable (it was a parameter, and the fit
   * 'names no column'); the law keeps the name as typed */
  assert_int_equal(sf_fit_law_for_table("ACC = a + b*LOSS", t, &law, &owned), SF_OK);
  vars_params(law, got, sizeof got);
  assert_string_equal(got, "LOSS | a b");
  /* ... and the fit finds its columns (Acc, loss) and records the range under the name typed */
  sf_fit_request rq;
  sf_fit_request_init(&rq, law);
  sf_fit_table_result res;
  assert_int_equal(sf_fit_table(t, &rq, &res), SF_OK);
  assert_int_equal(res.n_rows, 12);
  assert_string_equal(res.range_name[0], "LOSS");
  assert_rel(res.range_lo[0], 1.7 + 400 * pow(1e7 * 2048, -0.3), 1e-12);
  sf_fit_table_result_free(&res);
  sf_law_free(owned);
  /* the offset c beside the column C stays a parameter (one-letter names are exact), as do
   * names the formula also spells exactly: 'Loss' beside 'loss' */
  assert_int_equal(sf_fit_law_for_table("loss = a*N^-b + c", t, &law, &owned), SF_OK);
  vars_params(law, got, sizeof got);
  assert_string_equal(got, "N | a b c");
  sf_law_free(owned);
  assert_int_equal(sf_fit_law_for_table("Acc = Loss*loss + k", t, &law, &owned), SF_OK);
  vars_params(law, got, sizeof got);
  assert_string_equal(got, "loss | Loss k");
  sf_law_free(owned);
  /* n alone is one letter: a parameter, so this formula names no column */
  assert_int_equal(sf_fit_law_for_table("loss = E + A*n^-alpha", t, &law, &owned), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "names no column"));
  /* one column written two ways */
  assert_int_equal(sf_fit_law_for_table("y = a*ACC + b*acc", t, &law, &owned), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "names one column as 'ACC' and as 'acc'"));
  /* the list form stays exact (saved fits name their own variables) */
  const char *cols[2] = {"N", "D"};
  sf_law *l2;
  assert_int_equal(sf_law_from_formula("loss = E + A*n^-alpha + B*D^-beta", cols, 2, &l2), SF_OK);
  vars_params(l2, got, sizeof got);
  assert_string_equal(got, "D | E A n alpha B beta");
  sf_law_free(l2);
  sf_table_free(t);
}

/* A formula's parse error counts its column in the text typed: 'loss = E + A*N^-alpha)' has its
 * stray ')' at character 22 (it said 15, counted from after the '='); a UTF-8 letter is one
 * character. */
static void test_formula_error_column(void **state) {
  (void)state;
  const char *cols[1] = {"N"};
  sf_law *law;
  assert_int_equal(sf_law_from_formula("loss = E + A*N^-alpha)", cols, 1, &law), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "cannot parse 'loss = E + A*N^-alpha)': unexpected text at column 22"));
  assert_int_equal(sf_law_from_formula("   loss=E+A*N^-alpha)", cols, 1, &law), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "at column 21"));
  /* no '=': the whole text is the right-hand side, as before */
  assert_int_equal(sf_law_from_formula("E + A*N^-alpha)", cols, 1, &law), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "at column 15"));
  /* 'loss = E + A*N^-' is 16 characters, then the Greek alpha (2 bytes) */
  assert_int_equal(sf_law_from_formula("loss = E + A*N^-\xce\xb1", cols, 1, &law), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "at column 17"));
  /* --where counts the same way */
  sf_table *t = make_runs(0);
  size_t n;
  assert_int_equal(fit_where(t, "N > 1e8 and and loss < 3", &n), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "at column 13"));
  sf_table_free(t);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_where_any_case),
      cmocka_unit_test(test_ambiguous_names),
      cmocka_unit_test(test_formula_columns),
      cmocka_unit_test(test_formula_error_column),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
