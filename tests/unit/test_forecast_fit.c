/* test_forecast_fit.c: the forecast stage on a fit made by the real fitter. Chinchilla's law is
 * fitted to the 240 runs of Hoffmann et al.'s Fig. 4 below the 5th-highest loss (shared data set),
 * bootstrapped, written as a saved fit file (notes/FITFILE.md) with the JSON writer, read back,
 * and forecast from. Skips when ../shared/datasets is absent. */
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
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_store.h>

#include "sf_test.h"
#include "util/util.h"

#define KBOOT 40

static int cmp_desc(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x < y) - (x > y);
}

static void test_real_fit_round_trip(void **state) {
  (void)state;
  const char *csv = sf_test_shared("chinchilla_svg_extracted.csv");
  if (!csv) skip();
  sf_table *t = NULL;
  assert_int_equal(sf_data_load(csv, NULL, &t), SF_OK);
  int cN = sf_table_find(t, "N"), cD = sf_table_find(t, "D"), cC = sf_table_find(t, "C"), cL = sf_table_find(t, "loss");
  assert_true(cN >= 0 && cD >= 0 && cC >= 0 && cL >= 0);
  /* the 240 runs below the 5th-highest loss (Besiroglu et al.) */
  double *sorted = malloc(t->nrows * sizeof *sorted);
  memcpy(sorted, t->cols[cL].v, t->nrows * sizeof *sorted);
  qsort(sorted, t->nrows, sizeof *sorted, cmp_desc);
  double cut = sorted[4];
  free(sorted);
  size_t n = 0;
  double *N = malloc(t->nrows * sizeof *N), *D = malloc(t->nrows * sizeof *D), *y = malloc(t->nrows * sizeof *y);
  double *lN = malloc(t->nrows * sizeof *lN), *lD = malloc(t->nrows * sizeof *lD);
  double lo[3] = {HUGE_VAL, HUGE_VAL, HUGE_VAL}, hi[3] = {0, 0, 0};
  for (size_t r = 0; r < t->nrows; r++) {
    if (!(t->cols[cL].v[r] < cut)) continue;
    double v[3] = {t->cols[cN].v[r], t->cols[cD].v[r], t->cols[cC].v[r]};
    for (int k = 0; k < 3; k++) lo[k] = fmin(lo[k], v[k]), hi[k] = fmax(hi[k], v[k]);
    N[n] = v[0], D[n] = v[1], y[n] = t->cols[cL].v[r];
    lN[n] = log(N[n]), lD[n] = log(D[n]);
    n++;
  }
  assert_int_equal(n, 240);
  const sf_law *law = sf_law_find("chinchilla");
  sf_law_data d = {.n = n, .nvar = 2};
  d.x[0] = N, d.x[1] = D, d.lx[0] = lN, d.lx[1] = lD;
  sf_fit_opts o;
  sf_fit_opts_default(&o, law);
  sf_fit_workspace *w = sf_fit_alloc(law, n, &o);
  assert_non_null(w);
  /* starts around Hoffmann's printed values (internal: log E, log A, log B, alpha, beta) */
  double starts[8 * 5];
  for (int k = 0; k < 8; k++) {
    double row[5] = {log(1.69), log(k & 1 ? 400 : 800), log(k & 2 ? 400 : 3000), k & 4 ? 0.3 : 0.4, 0.3 + 0.02 * k};
    memcpy(starts + 5 * k, row, sizeof row);
  }
  sf_fit_result res;
  assert_int_equal(sf_fit_run(w, &d, y, NULL, NULL, starts, 8, &res), SF_OK);
  /* FIELD-NOTES: the grid fit of these 240 runs gives E 1.817, A 477.8, B 2143, alpha 0.347, beta 0.367 */
  assert_rel(res.params[0], 1.817, 0.01);
  assert_rel(res.params[3], 0.347, 0.02);
  assert_rel(res.params[4], 0.367, 0.02);
  double samples[KBOOT * 5];
  size_t nfail = 0;
  double warm[5];
  for (int j = 0; j < 5; j++) warm[j] = res.theta[j];
  assert_int_equal(sf_fit_bootstrap(w, &d, y, NULL, NULL, warm, 1, KBOOT, 7, samples, NULL, &nfail), SF_OK);
  sf_fit_free(w);

  /* the saved fit file, as `scalefit fit -o` writes it */
  sf_buf b;
  sf_buf_init(&b);
  sf_json j;
  sf_json_init(&j, &b, 0);
  sf_json_begin_object(&j, NULL);
  sf_json_string(&j, "format", "scalefit-fit");
  sf_json_int(&j, "version", 1);
  sf_json_string(&j, "law", "chinchilla");
  sf_json_begin_array(&j, "vars");
  sf_json_string(&j, NULL, "N");
  sf_json_string(&j, NULL, "D");
  sf_json_end_array(&j);
  sf_json_string(&j, "y", "loss");
  sf_json_begin_array(&j, "param_order");
  for (int k = 0; k < 5; k++) sf_json_string(&j, NULL, law->par[k].name);
  sf_json_end_array(&j);
  sf_json_begin_object(&j, "params");
  for (int k = 0; k < 5; k++) sf_json_number(&j, law->par[k].name, res.params[k]);
  sf_json_end_object(&j);
  sf_json_begin_array(&j, "cov");
  for (int a = 0; a < 5; a++) {
    sf_json_begin_array(&j, NULL);
    for (int c = 0; c < 5; c++) sf_json_number(&j, NULL, res.cov[a * 5 + c]);
    sf_json_end_array(&j);
  }
  sf_json_end_array(&j);
  sf_json_number(&j, "ci_level", 0.95);
  sf_json_begin_object(&j, "bootstrap");
  sf_json_int(&j, "K", KBOOT);
  sf_json_int(&j, "failed", (long long)nfail);
  sf_json_begin_array(&j, "samples");
  for (int k = 0; k < KBOOT; k++) {
    sf_json_begin_array(&j, NULL);
    for (int c = 0; c < 5; c++) sf_json_number(&j, NULL, samples[k * 5 + c]);
    sf_json_end_array(&j);
  }
  sf_json_end_array(&j);
  sf_json_end_object(&j);
  sf_json_begin_object(&j, "data");
  sf_json_begin_object(&j, "range");
  const char *names[3] = {"N", "D", "C"};
  for (int k = 0; k < 3; k++) {
    sf_json_begin_array(&j, names[k]);
    sf_json_number(&j, NULL, lo[k]);
    sf_json_number(&j, NULL, hi[k]);
    sf_json_end_array(&j);
  }
  sf_json_end_object(&j);
  sf_json_end_object(&j);
  sf_json_end_object(&j);
  char path[512];
  snprintf(path, sizeof path, "%s/chinchilla_fit.json", sf_test_tmpdir());
  assert_int_equal(sf_write_file_atomic(path, b.s, b.len), SF_OK);
  sf_buf_free(&b);

  sf_fitfile *ff = NULL;
  assert_int_equal(sf_fitfile_read(path, &ff), SF_OK);
  for (int k = 0; k < 5; k++) assert_rel(ff->params[k], res.params[k], 1e-15); /* %.17g round trip */
  assert_int_equal(ff->K, KBOOT - nfail);
  assert_true(ff->K >= KBOOT - 2);

  /* the optimum from the fitted constants: the closed form, by hand */
  sf_alloc_opts ao = {0};
  sf_optimum opt;
  assert_int_equal(sf_optimal(ff, ff->params, 1e21, &ao, &opt), SF_OK);
  double E = res.params[0], A = res.params[1], B = res.params[2], al = res.params[3], be = res.params[4];
  double G = pow(al * A / (be * B), 1 / (al + be));
  assert_rel(opt.N, G * pow(1e21 / 6, be / (al + be)), 1e-12);
  assert_true(opt.tokens_per_param > 18 && opt.tokens_per_param < 24);
  assert_rel(opt.loss, E + A / pow(opt.N, al) + B / pow(opt.D, be), 1e-12);

  /* bootstrap bands: around the point estimate, wider a long way out */
  double near[2] = {1e9, 2e10}, far[2] = {1e12, 2e13};
  sf_band bn, bf;
  assert_int_equal(sf_forecast_predict(ff, near, &bn), SF_OK);
  assert_int_equal(sf_forecast_predict(ff, far, &bf), SF_OK);
  assert_int_equal(bn.kind, SF_BAND_BOOTSTRAP);
  assert_true(bn.lo <= bn.value && bn.value <= bn.hi);
  assert_true(bf.lo <= bf.value && bf.value <= bf.hi);
  assert_true((bf.hi - bf.lo) > (bn.hi - bn.lo));
  const char *vn[2] = {"N", "D"};
  assert_rel(sf_fitfile_decades_beyond(ff, vn, far, 2), fmax(log10(1e12 / hi[0]), log10(2e13 / hi[1])), 1e-12);
  /* the delta method with the fit's covariance gives a band of the same order near the data */
  size_t K = ff->K;
  ff->K = 0;
  sf_band dn;
  assert_int_equal(sf_forecast_predict(ff, near, &dn), SF_OK);
  assert_int_equal(dn.kind, SF_BAND_DELTA);
  ff->K = K;
  double wb = bn.hi - bn.lo, wd = dn.hi - dn.lo;
  assert_true(wd > wb / 5 && wd < wb * 5);
  print_message("fit E %.4f A %.1f B %.1f alpha %.4f beta %.4f; 1e21 FLOP: N %.3g D %.3g (%.2f tokens/param); "
                "loss at (1e9, 2e10) %.4f [%.4f, %.4f] bootstrap, [%.4f, %.4f] delta; at (1e12, 2e13) %.4f [%.4f, %.4f]\n",
                E, A, B, al, be, opt.N, opt.D, opt.tokens_per_param, bn.value, bn.lo, bn.hi, dn.lo, dn.hi, bf.value,
                bf.lo, bf.hi);
  /* target inverts the optimum on the real fit too */
  sf_optimum tg;
  int reached;
  assert_int_equal(sf_target(ff, ff->params, opt.loss, &ao, &tg, &reached), SF_OK);
  assert_int_equal(reached, 1);
  assert_rel(tg.C, 1e21, 1e-8);
  sf_fitfile_free(ff);
  sf_table_free(t);
  free(N), free(D), free(y), free(lN), free(lD);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_real_fit_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
