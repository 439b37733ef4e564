/* test_accel.c: the accelerator table and the record reader under it: names as people type them,
 * dense peaks per precision, quoted fields, and clear failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>

#include "forecast/csvrec.h"
#include "sf_test.h"
#include "util/util.h"

static sf_accel_table *load(void) {
  sf_accel_table *t = NULL;
  assert_int_equal(sf_accel_load(SF_TEST_DATADIR "/accelerators.csv", &t), SF_OK);
  return t;
}

static void test_lookup(void **state) {
  (void)state;
  sf_accel_table *t = load();
  assert_int_equal(t->n, 16);
  struct { const char *typed, *name; double bf16; } cases[] = {
      {"a100", "A100 SXM4 80GB", 312}, {"A100", "A100 SXM4 80GB", 312}, {"H100", "H100 SXM5", 989.4},
      {"h100-sxm", "H100 SXM5", 989.4}, {"h200", "H200 SXM", 989.4},   {"B200", "B200 (HGX)", 2250},
      {"tpu-v4", "TPU v4", 275},        {"TPU v4", "TPU v4", 275},     {"tpu_v5p", "TPU v5p", 459},
      {"mi300x", "MI300X", 1307.4},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const sf_accel *a = sf_accel_find(t, cases[i].typed);
    if (!a) print_error("'%s' not found\n", cases[i].typed);
    assert_non_null(a);
    assert_string_equal(a->name, cases[i].name);
    double p;
    assert_int_equal(sf_accel_peak(a, "bf16", &p), SF_OK);
    assert_rel(p, cases[i].bf16 * 1e12, 1e-12);
  }
  /* the quoted name with a comma survives */
  assert_non_null(sf_accel_find(t, "GB200 (per B200 GPU, NVL72)"));
  assert_null(sf_accel_find(t, "z100"));
  assert_null(sf_accel_find(t, "a10")); /* no prefix matches */
  double p;
  const sf_accel *v100 = sf_accel_find(t, "v100");
  assert_int_equal(sf_accel_peak(v100, "bf16", &p), SF_EINPUT); /* Volta has no bf16 */
  assert_int_equal(sf_accel_peak(v100, "FP16", &p), SF_OK);
  assert_rel(p, 125e12, 0);
  assert_int_equal(sf_accel_peak(v100, "fp8", &p), SF_EUSAGE);
  char *names = sf_accel_names(t);
  assert_non_null(strstr(names, "a100, a100-40gb, h100"));
  free(names);
  sf_accel_free(t);
}

static const char *write_tmp(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", sf_test_tmpdir(), name);
  FILE *fp = fopen(path, "wb");
  fputs(text, fp);
  fclose(fp);
  return path;
}

static void test_csvrec(void **state) {
  (void)state;
  sf_csvrec *c = NULL;
  const char *p = write_tmp("q.csv", "\xEF\xBB\xBFname,notes\r\n\"a, b\",\"say \"\"hi\"\"\nline 2\"\r\n\r\nc,\n");
  assert_int_equal(sf_csvrec_read(p, &c), SF_OK);
  assert_int_equal(c->nrec, 3);
  assert_int_equal(sf_csvrec_col(c, "NOTES"), 1);
  assert_string_equal(sf_csvrec_get(c, 1, 0), "a, b");
  assert_string_equal(sf_csvrec_get(c, 1, 1), "say \"hi\"\nline 2");
  assert_string_equal(sf_csvrec_get(c, 2, 0), "c");
  assert_string_equal(sf_csvrec_get(c, 2, 1), "");
  assert_string_equal(sf_csvrec_get(c, 2, 7), "");
  assert_int_equal(c->line[2], 5);
  sf_csvrec_free(c);
  p = write_tmp("u.csv", "a,b\n1,\"open\n");
  assert_int_equal(sf_csvrec_read(p, &c), SF_EINPUT);
  /* the store's tokenizer: the same message as a run file's, with the column */
  assert_non_null(strstr(sf_errmsg(), "u.csv' line 2, column 2: quoted field is not closed"));
  assert_int_equal(sf_csvrec_read("/nonexistent/x.csv", &c), SF_EINPUT);
  sf_accel_table *t = NULL;
  p = write_tmp("bad_accel.csv", "name,aliases,bf16_tflops\nX,x,fast\n");
  assert_int_equal(sf_accel_load(p, &t), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "line 2: bf16_tflops 'fast'"));
  p = write_tmp("cols_accel.csv", "name,peak\nX,1\n");
  assert_int_equal(sf_accel_load(p, &t), SF_EINPUT);
  assert_null(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lookup),
      cmocka_unit_test(test_csvrec),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
