/* test_cost.c: the cost arithmetic against published training runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include <scalefit/sf_cost.h>
#include <scalefit/sf_error.h>

#include "sf_test.h"

/* LLaMA-65B (Touvron et al. 2023): 65.2B parameters, 1.4T tokens, 2048 A100-80GB, "approximately
 * 21 days", 1,022,362 GPU-hours in the model card. A100 dense bf16 peak 312 TFLOP/s. */
static void test_llama65b(void **state) {
  (void)state;
  double C = sf_flops_train(65.2e9, 1.4e12, 0, 0, 0);
  assert_rel(C, 6 * 65.2e9 * 1.4e12, 1e-15);
  double mfu = sf_cost_implied_mfu(C, 312e12, 1022362);
  assert_close(mfu, 0.477, 0.001); /* FIELD-NOTES: ~47.6% */
  sf_cost out;
  sf_cost_in in = {.flops = C, .peak_flops = 312e12, .mfu = mfu, .gpus = 2048, .price_per_hour = 2.0};
  assert_int_equal(sf_cost_compute(&in, &out), SF_OK);
  assert_rel(out.gpu_hours, 1022362, 1e-9);
  assert_close(out.days, 21.0, 0.5);
  assert_rel(out.dollars, 2.0 * 1022362, 1e-9);
}

/* Llama 3.1 405B: 3.8e25 FLOPs on up to 16,384 H100s (989 TFLOP/s dense bf16) at 38-43% MFU;
 * the model card gives 30.84M GPU-hours for the 405B model. */
static void test_llama31_405b(void **state) {
  (void)state;
  sf_cost out;
  sf_cost_in in = {.flops = 3.8e25, .peak_flops = 989e12, .mfu = 0.40, .gpus = 16384, .price_per_hour = NAN};
  assert_int_equal(sf_cost_compute(&in, &out), SF_OK);
  /* 3.8e25 / (989e12 * 0.40) / 3600 = 26.7M GPU-hours; the card's 30.84M includes restarts */
  assert_rel(out.gpu_hours, 3.8e25 / (989e12 * 0.40) / 3600, 1e-12);
  assert_true(out.gpu_hours > 0.8 * 30.84e6 && out.gpu_hours < 30.84e6);
  assert_close(out.days, out.gpu_hours / 16384 / 24, 1e-9);
  assert_true(isnan(out.dollars));
}

static void test_bad_inputs(void **state) {
  (void)state;
  sf_cost out;
  sf_cost_in in = {.flops = 1e24, .peak_flops = 312e12, .mfu = 1.5, .gpus = NAN, .price_per_hour = NAN};
  assert_int_equal(sf_cost_compute(&in, &out), SF_EUSAGE);
  assert_non_null(strstr(sf_errmsg(), "mfu"));
  in.mfu = 0;
  assert_int_equal(sf_cost_compute(&in, &out), SF_EUSAGE);
  in.mfu = 0.5;
  in.gpus = 0.5;
  assert_int_equal(sf_cost_compute(&in, &out), SF_EUSAGE);
  in.gpus = NAN;
  in.flops = -1;
  assert_int_equal(sf_cost_compute(&in, &out), SF_EUSAGE);
}

/* Kaplan's attention term: 6 * n_layer * n_ctx * d_model per token on top of 6N. */
static void test_attention_flops(void **state) {
  (void)state;
  double with = sf_flops_train(1e6, 1e9, 4, 256, 128);
  assert_rel(with, (6e6 + 6.0 * 4 * 256 * 128) * 1e9, 1e-15);
}

/* The FLOPs' log10 in log space: equal to log10 of the FLOPs where they fit a double, and finite
 * where 6ND overflows (N = D = 1e300: log10 6 + 600; N = 1e308, D = 1e3: log10 6 + 311). */
static void test_flops_log10(void **state) {
  (void)state;
  assert_close(sf_flops_train_log10(1e6, 1e9, 4, 256, 128), log10((6e6 + 6.0 * 4 * 256 * 128) * 1e9), 1e-13);
  assert_close(sf_flops_train_log10(65.2e9, 1.4e12, 0, 0, 0), log10(6 * 65.2e9 * 1.4e12), 1e-13);
  assert_true(isinf(sf_flops_train(1e300, 1e300, 0, 0, 0)));
  assert_close(sf_flops_train_log10(1e300, 1e300, 0, 0, 0), 600 + log10(6.0), 1e-12);
  assert_close(sf_flops_train_log10(1e308, 1e3, 0, 0, 0), 311 + log10(6.0), 1e-12);
  assert_true(isnan(sf_flops_train_log10(0, 1e3, 0, 0, 0)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_llama65b),
      cmocka_unit_test(test_llama31_405b),
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_attention_flops),
      cmocka_unit_test(test_flops_log10),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
