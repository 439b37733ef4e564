/* test_train_cuda.c: the GPU trainer against the CPU trainer.
 *
 * Everywhere (no GPU needed):
 *   names     device and precision names parse and print; unknown ones are refused by name
 *   resolve   the CPU refuses tf32/bf16; --device cuda without a GPU (or without CUDA in the build)
 *             is SF_EINPUT with CUDA's reason, before any work
 *   peaks     the dense-peak table (H100 SXM/PCIe, H200, A100 data-sheet figures) and the fallback
 *             SMs x clock x per-SM rate, checked against data-sheet figures it does not hold (L4)
 *   cublas    libcublas opens at run time (dlopen) with every function the trainer calls
 *   ckpt      the checkpoint's configuration line tells a CPU run from a GPU run and precisions apart
 *   plans     the GPU's orchestration replayed on the CPU: every cuBLAS argument set (plan.h) through
 *             a reference column-major GEMM with cuBLAS's semantics, the head-major layout maps and
 *             the embedding's token buckets, assembled as kernels.cu assembles them, against the CPU
 *             layers (linear forward/backward, attention forward/backward, embedding backward)
 * With a GPU (skipped with a message otherwise):
 *   kernels   every layer (gpu.h's sf_cuda_host_*) against its CPU reference (layers.c) on random
 *             inputs, outputs poisoned with NaN before the kernel (so all must be written), relative
 *             error (max |gpu - cpu| / max |cpu|) within: 1e-5 for the fp32 kernels and products,
 *             5e-3 for TF32 products (10-bit mantissa), 2e-2 for BF16 products (8-bit mantissa);
 *             the bf16 MLP's products, GELU and the cross-entropy on bf16 logits against the CPU on
 *             the same bf16-rounded inputs, within one rounding of the result (4e-3 > 2^-8);
 *             flash attention (bf16, no T x T buffer) against the CPU layer on bf16-rounded inputs at
 *             head sizes 16..128 and padded contexts, its log-normalisers within 1e-5, with each
 *             forward kernel (WMMA; mma.sync, SCALEFIT_FLASH_FORWARD=mma) and each backward after it
 *             (WMMA; mma.sync, SCALEFIT_FLASH_BACKWARD=mma: within 1.5 times WMMA's error, and
 *             deterministic to the bit)
 *   model     one forward and backward of a 2-layer model on the CPU and on the GPU from the same
 *             weights: the loss within 1e-5 and every gradient within 1e-4 (fp32); in bf16 with
 *             flash (each forward kernel, each backward) and with cuBLAS attention, gradients
 *             within 2e-2 (emulated: 9.4e-3 at most, with the MLP, the residual gradient and the
 *             training logits in bf16)
 *   step      the whole training step in one submission (eager, and a CUDA graph replayed) against
 *             the separate calls: losses, norms, parameters and moments bit for bit over 4 steps of
 *             2 micro-batches whose scale, learning rate and bias corrections change, clipping live;
 *             an evaluation before the later steps, after which a replayed step, as an eager one,
 *             leaves no probabilities to copy
 *   threads   3 threads each making models, capturing and replaying their steps and freeing them at
 *             once (sweep --jobs's worker threads), beside one more that makes and frees models all
 *             the time: each thread's losses equal its steps run alone
 *   runs      CPU and GPU runs from the same seed: per-step training losses over 50 steps within
 *             1e-3 relative in fp32 and TF32, within 2e-2 in BF16 (bf16 rounds every product's
 *             operands to 3 significant digits; measured drift on a real GPU still to be recorded)
 *   resume    a GPU run stopped after 13 steps resumes from its checkpoint and ends bit-identical
 *             to the uninterrupted one; a CPU checkpoint is refused by the GPU run
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include "sf_test.h"
#include "train/checkpoint.h"
#include "train/cuda/gpu.h"
#include "train/cuda/plan.h"
#include "train/internal.h"
#include "train/layers.h"

/* 1 if a GPU can be used; otherwise skips the test, saying why. */
static int have_gpu(void) {
  char name[128];
  if (sf_cuda_probe(name, sizeof name) == SF_OK) return 1;
  printf("skip: no GPU for this test: %s\n", sf_errmsg());
  return 0;
}
#define NEED_GPU()                                                                                   \
  do {                                                                                               \
    if (!have_gpu()) skip();                                                                         \
  } while (0)

static uint64_t rng[4];

static float *rnd(size_t n, float scale) {
  float *x = malloc(sizeof(float) * (n ? n : 1));
  assert_non_null(x);
  for (size_t i = 0; i < n; i++) x[i] = (float)(scale * (2.0 * sf_rng_uniform(rng) - 1.0));
  return x;
}

static float *copy(const float *x, size_t n) {
  float *y = malloc(sizeof(float) * (n ? n : 1));
  assert_non_null(y);
  memcpy(y, x, sizeof(float) * n);
  return y;
}

/* Every value of got finite (the poison was overwritten) and max|got - want| <= tol * max|want|;
 * returns that relative error. */
static double check(const char *what, const float *got, const float *want, size_t n, double tol) {
  double err = 0.0, mag = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(got[i])) fail_msg("%s: value %zu is %g (not written, or not finite)", what, i, (double)got[i]);
    double e = fabs((double)got[i] - (double)want[i]);
    if (e > err) err = e;
    if (fabs((double)want[i]) > mag) mag = fabs((double)want[i]);
  }
  double rel = mag > 0 ? err / mag : err;
  printf("%-36s n %-7zu relative error %.2e (tolerance %.0e)\n", what, n, rel, tol);
  if (!(rel <= tol)) fail_msg("%s: relative error %.3e above %.0e", what, rel, tol);
  return rel;
}

/* ==================================== everywhere ==================================== */

/* sf_train_mps_active: the MPS control daemon's pipe, a FIFO, in $CUDA_MPS_PIPE_DIRECTORY */
static void test_mps_detect(void **state) {
  (void)state;
  char dir[] = "/tmp/sf_mps_XXXXXX", ctl[64];
  assert_non_null(mkdtemp(dir));
  snprintf(ctl, sizeof ctl, "%s/control", dir);
  const char *old = getenv("CUDA_MPS_PIPE_DIRECTORY");
  char *saved = old ? strdup(old) : NULL;
  setenv("CUDA_MPS_PIPE_DIRECTORY", dir, 1);
  assert_int_equal(sf_train_mps_active(), 0); /* no pipe */
  FILE *f = fopen(ctl, "w");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(sf_train_mps_active(), 0); /* a plain file is not the daemon's pipe */
  assert_int_equal(unlink(ctl), 0);
  assert_int_equal(mkfifo(ctl, 0600), 0);
  assert_int_equal(sf_train_mps_active(), 1);
  unlink(ctl);
  rmdir(dir);
  if (saved) setenv("CUDA_MPS_PIPE_DIRECTORY", saved, 1);
  else unsetenv("CUDA_MPS_PIPE_DIRECTORY");
  free(saved);
}

static void test_names(void **state) {
  (void)state;
  sf_device d;
  sf_precision p;
  assert_int_equal(sf_device_parse("cuda", &d), SF_OK);
  assert_int_equal(d, SF_DEVICE_CUDA);
  assert_string_equal(sf_device_name(d), "cuda");
  assert_int_equal(sf_device_parse("gpu", &d), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "device 'gpu' is not one of cpu, cuda"));
  const char *names[] = {"fp32", "tf32", "bf16"};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(sf_precision_parse(names[i], &p), SF_OK);
    assert_string_equal(sf_precision_name(p), names[i]);
  }
  assert_int_equal(sf_precision_parse("fp16", &p), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "precision 'fp16' is not one of fp32, tf32, bf16"));
  char name[64];
  assert_int_equal(sf_train_device_check(SF_DEVICE_CPU, name, sizeof name), SF_OK);
  assert_string_equal(name, "cpu");
}

/* cuBLAS is opened at run time: the library and every function the trainer calls must be found */
static void test_cublas_loads(void **state) {
  (void)state;
  if (!sf_cuda_built()) {
    printf("skip: this scalefit was built without CUDA\n");
    skip();
  }
  int rc = sf_cuda_cublas_check();
  if (rc) fail_msg("%s", sf_errmsg());
  assert_int_equal(sf_cuda_cublas_check(), SF_OK); /* once loaded, stays loaded */
}

/* Tokens a step of the runs take. Built against the CUDA emulator (tests/cudaemu, SF_CUDA_EMU), whose
 * fibers cost ~30 ns a wait at a barrier, the runs keep their steps but take 4 sequences a step
 * instead of 16, so that the test stays within seconds; the tolerances are the same. */
#ifdef SF_CUDA_EMU
enum { STEP_TOKENS = 256 };
#else
enum { STEP_TOKENS = 1024 };
#endif

static sf_train_config small_cfg(void) {
  sf_train_config c;
  memset(&c, 0, sizeof c);
  c.model = (sf_gpt_config){2, 64, 2, 64, 64};
  c.tokens = 50.0 * STEP_TOKENS;
  c.batch_tokens = STEP_TOKENS;
  c.weight_decay = -1;
  c.val_tokens = 2048;
  c.evals = 2;
  c.seed = 7;
  c.threads = 1;
  c.peak_flops = 1e9;
  return c;
}

static void test_resolve(void **state) {
  (void)state;
  sf_train_config c = small_cfg();
  assert_int_equal(sf_train_resolve(&c), SF_OK);
  assert_int_equal(c.precision, SF_PREC_FP32); /* the CPU's default and only precision */
  c = small_cfg();
  c.precision = SF_PREC_BF16;
  assert_int_equal(sf_train_resolve(&c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "precision bf16 needs a GPU"));
  c = small_cfg();
  c.device = (sf_device)7;
  assert_int_equal(sf_train_resolve(&c), SF_EINPUT);
  /* resolving a GPU run touches no GPU (a sweep plans its runs before forking its workers) */
  c = small_cfg();
  c.device = SF_DEVICE_CUDA;
  assert_int_equal(sf_train_resolve(&c), SF_OK);
  assert_int_equal(c.precision, SF_PREC_BF16); /* the GPU's default */
  char name[128];
  if (sf_train_device_check(SF_DEVICE_CUDA, name, sizeof name) == SF_OK) {
    printf("GPU: %s\n", name);
  } else {
    const char *m = sf_errmsg();
    printf("without a GPU: %s\n", m);
    assert_non_null(strstr(m, sf_cuda_built() ? "no CUDA device (cudaGetDeviceCount: " : "built without CUDA"));
    /* and the run itself refuses, with the reason */
    sf_source *src = NULL;
    sf_source_spec spec = {.kind = SF_DATA_MARKOV};
    assert_int_equal(sf_source_open(&spec, &src), SF_OK);
    sf_train_result r;
    assert_int_equal(sf_train_run(&c, src, NULL, NULL, &r), SF_EINPUT);
    assert_non_null(strstr(sf_errmsg(), sf_cuda_built() ? "no CUDA device" : "built without CUDA"));
    sf_source_free(src);
  }
}

static void test_peaks(void **state) {
  (void)state;
  if (!sf_cuda_built()) {
    printf("skip: this scalefit was built without CUDA (no peak table)\n");
    skip();
  }
  const char *basis = NULL;
  /* data-sheet dense figures, TFLOP/s */
  assert_rel(sf_cuda_peak_for("NVIDIA H100 80GB HBM3", 9, 0, 132, 1980000, SF_PREC_BF16, &basis), 989.4e12, 1e-9);
  assert_non_null(strstr(basis, "H100 SXM"));
  assert_rel(sf_cuda_peak_for("NVIDIA H100 80GB HBM3", 9, 0, 132, 1980000, SF_PREC_TF32, NULL), 494.7e12, 1e-9);
  assert_rel(sf_cuda_peak_for("NVIDIA H100 80GB HBM3", 9, 0, 132, 1980000, SF_PREC_FP32, NULL), 67e12, 1e-9);
  assert_rel(sf_cuda_peak_for("NVIDIA H100 PCIe", 9, 0, 114, 1755000, SF_PREC_BF16, NULL), 756e12, 1e-9);
  assert_rel(sf_cuda_peak_for("NVIDIA H200", 9, 0, 132, 1980000, SF_PREC_BF16, NULL), 989.4e12, 1e-9);
  assert_rel(sf_cuda_peak_for("NVIDIA A100-SXM4-80GB", 8, 0, 108, 1410000, SF_PREC_BF16, NULL), 312e12, 1e-9);
  assert_rel(sf_cuda_peak_for("NVIDIA A100-SXM4-80GB", 8, 0, 108, 1410000, SF_PREC_FP32, NULL), 19.5e12, 1e-9);
  /* the fallback reproduces data sheets it is not given: A100 from its SMs and clock (312 bf16,
   * 19.5 fp32), L4 (58 SMs, 2.04 GHz boost: 121 TFLOP/s bf16 dense, 30.3 fp32) */
  assert_rel(sf_cuda_peak_for("renamed A-one-hundred", 8, 0, 108, 1410000, SF_PREC_BF16, &basis), 312e12, 0.01);
  assert_non_null(strstr(basis, "SMs x clock"));
  assert_rel(sf_cuda_peak_for("renamed A-one-hundred", 8, 0, 108, 1410000, SF_PREC_FP32, NULL), 19.5e12, 0.01);
  assert_rel(sf_cuda_peak_for("NVIDIA L4", 8, 9, 58, 2040000, SF_PREC_BF16, NULL), 121e12, 0.03);
  assert_rel(sf_cuda_peak_for("NVIDIA L4", 8, 9, 58, 2040000, SF_PREC_FP32, NULL), 30.3e12, 0.03);
}

static void test_ckpt_line(void **state) {
  (void)state;
  sf_train_config c = small_cfg();
  assert_int_equal(sf_train_resolve(&c), SF_OK);
  sf_source_spec spec = {.kind = SF_DATA_MARKOV};
  sf_source *s = NULL;
  assert_int_equal(sf_source_open(&spec, &s), SF_OK);
  char *cpu = sf_ckpt_config_line(&c, 1, s);
  c.device = SF_DEVICE_CUDA;
  c.precision = SF_PREC_BF16;
  char *bf = sf_ckpt_config_line(&c, 1, s);
  c.precision = SF_PREC_TF32;
  char *tf = sf_ckpt_config_line(&c, 1, s);
  assert_non_null(strstr(cpu, " threads=1"));
  assert_non_null(strstr(bf, " device=cuda precision=bf16"));
  assert_string_not_equal(cpu, bf);
  assert_string_not_equal(bf, tf);
  assert_non_null(strstr(cpu, " data=markov vocab 64 order 2"));
  free(cpu);
  free(bf);
  free(tf);
  sf_source_free(s);
}

/* ==================================== plans (CPU) ==================================== */

enum { B = 2, T = 33, C = 80, NH = 4, V = 77, N = B * T };

/* cuBLAS's GEMM, column-major, batched: C = alpha op(A) op(B) + beta C (C not read when beta is 0). */
static void ref_gemm(sf_gemm_plan p, const float *A, const float *Bm, float *Cm) {
  for (int b = 0; b < p.batch; b++) {
    const float *a = A + b * p.sA, *bb = Bm + b * p.sB;
    float *c = Cm + b * p.sC;
    for (int j = 0; j < p.n; j++)
      for (int i = 0; i < p.m; i++) {
        double s = 0.0;
        for (int l = 0; l < p.k; l++) {
          double av = p.transA ? a[l + (size_t)i * p.lda] : a[i + (size_t)l * p.lda];
          double bv = p.transB ? bb[j + (size_t)l * p.ldb] : bb[l + (size_t)j * p.ldb];
          s += av * bv;
        }
        float *o = c + i + (size_t)j * p.ldc;
        *o = (float)(p.alpha * s + (p.beta != 0.0f ? p.beta * *o : 0.0));
      }
  }
}

/* the plans with rows ld apart in the output and its gradient (ld > oc: the padded logits); the
 * padding holds NaN and must stay unread (dinp, dw) and unwritten (out) */
static void test_plans_linear(void **state) {
  (void)state;
  const int n = 37, c = 24, shapes[2][2] = {{72, 72}, {70, 80}};
  for (int s = 0; s < 2; s++) {
    const int oc = shapes[s][0], ld = shapes[s][1];
    float *x = rnd((size_t)n * c, 1), *w = rnd((size_t)oc * c, 1), *bias = rnd(oc, 1), *dout = rnd((size_t)n * oc, 1);
    float *cpu = rnd((size_t)n * oc, 1), *emu = malloc(sizeof(float) * (size_t)n * ld);
    float *pdout = malloc(sizeof(float) * (size_t)n * ld); /* dout with rows ld apart */
    assert_non_null(emu);
    assert_non_null(pdout);
    for (int i = 0; i < n * ld; i++) emu[i] = pdout[i] = i % ld < oc ? 0.0f : NAN;
    for (int i = 0; i < n; i++) memcpy(pdout + (size_t)i * ld, dout + (size_t)i * oc, sizeof(float) * oc);
    sf_matmul_forward(cpu, x, w, bias, n, c, oc);
    ref_gemm(sf_plan_linear_forward(n, c, oc, ld), w, x, emu);
    int pad_kept = 1;
    for (int i = 0; i < n; i++) {
      for (int o = 0; o < ld; o++) {
        if (o >= oc) pad_kept &= isnan(emu[(size_t)i * ld + o]);
        else emu[(size_t)i * oc + o] = emu[(size_t)i * ld + o] + bias[o]; /* packed in place, rows ascending */
      }
    }
    assert_true(pad_kept);
    check(s ? "plan: linear forward, rows padded" : "plan: linear forward", emu, cpu, (size_t)n * oc, 1e-5);
    float *dinp = rnd((size_t)n * c, 1), *edinp = rnd((size_t)n * c, 1), *dw = rnd((size_t)oc * c, 1);
    float *edw = copy(dw, (size_t)oc * c);
    sf_matmul_backward(dinp, dw, NULL, dout, x, w, n, c, oc);
    ref_gemm(sf_plan_linear_dinp(n, c, oc, ld), w, pdout, edinp);
    ref_gemm(sf_plan_linear_dw(n, c, oc, ld), x, pdout, edw);
    check(s ? "plan: linear dinp, rows padded" : "plan: linear dinp", edinp, dinp, (size_t)n * c, 1e-5);
    check(s ? "plan: linear dw (+=), rows padded" : "plan: linear dw (+=)", edw, dw, (size_t)oc * c, 1e-5);
    assert_true(sf_plan_linear_forward(n, c, oc, ld).nA == (size_t)oc * c &&
                sf_plan_linear_dw(n, c, oc, ld).nB == (size_t)n * ld);
    free(x), free(w), free(bias), free(dout), free(cpu), free(emu), free(dinp), free(edinp), free(dw), free(edw);
    free(pdout);
  }
  assert_int_equal(sf_vocab_ld(50257), 50304);
  assert_int_equal(sf_vocab_ld(256), 256);
}

/* kernels.cu's k_softmax_causal_forward / backward, row by row */
static void emu_softmax(float *att, size_t rows, int t_) {
  for (size_t r = 0; r < rows; r++) {
    int t = (int)(r % (size_t)t_);
    float *s = att + r * (size_t)t_, mx = -INFINITY, sum = 0.0f;
    for (int j = 0; j <= t; j++) mx = fmaxf(mx, s[j]);
    for (int j = 0; j <= t; j++) sum += expf(s[j] - mx);
    for (int j = 0; j < t_; j++) s[j] = j <= t ? expf(s[j] - mx) / sum : 0.0f;
  }
}

static void emu_softmax_backward(float *dp, const float *att, size_t rows, int t_) {
  for (size_t r = 0; r < rows; r++) {
    int t = (int)(r % (size_t)t_);
    const float *p = att + r * (size_t)t_;
    float *d = dp + r * (size_t)t_, dot = 0.0f;
    for (int j = 0; j <= t; j++) dot += p[j] * d[j];
    for (int j = 0; j < t_; j++) d[j] = j <= t ? p[j] * (d[j] - dot) : 0.0f;
  }
}

static void test_plans_attention(void **state) {
  (void)state;
  size_t NC = (size_t)N * C, ATT = (size_t)B * NH * T * T;
  float scale = 1.0f / sqrtf((float)(C / NH));
  float *qkv = rnd(3 * NC, 1.5f), *cpu = rnd(NC, 1), *att = rnd(ATT, 1), *dout = rnd(NC, 1), *dqkv = rnd(3 * NC, 1);
  float *scratch = malloc(sizeof(float) * sf_attention_scratch(T, C / NH));
  sf_attention_forward(cpu, att, qkv, scratch, B, T, C, NH);
  sf_attention_backward(dqkv, dout, qkv, att, scratch, B, T, C, NH);

  /* forward as sfk_attention_forward: split heads, S = scale Q K^T, softmax, Y = P V, merge */
  float *qkvh = rnd(3 * NC, 1), *eatt = rnd(ATT, 1), *yh = rnd(NC, 1), *out = rnd(NC, 1);
  for (size_t i = 0; i < 3 * NC; i++) qkvh[i] = qkv[sf_head_to_row(i % NC, B, T, C, NH, 3 * C, (int)(i / NC) * C)];
  const float *q = qkvh, *k = qkvh + NC, *v = qkvh + 2 * NC;
  ref_gemm(sf_plan_att_scores(B, T, C, NH, scale), k, q, eatt);
  emu_softmax(eatt, (size_t)B * NH * T, T);
  ref_gemm(sf_plan_att_pv(B, T, C, NH, 1.0f), v, eatt, yh);
  for (size_t i = 0; i < NC; i++) out[sf_head_to_row(i, B, T, C, NH, C, 0)] = yh[i];
  check("plan: attention probabilities", eatt, att, ATT, 1e-5);
  check("plan: attention forward", out, cpu, NC, 1e-5);

  /* backward as sfk_attention_backward */
  float *dyh = rnd(NC, 1), *dpre = rnd(ATT, 1), *dqkvh = rnd(3 * NC, 1), *edqkv = rnd(3 * NC, 1);
  for (size_t i = 0; i < NC; i++) dyh[i] = dout[sf_head_to_row(i, B, T, C, NH, C, 0)];
  ref_gemm(sf_plan_att_scores(B, T, C, NH, 1.0f), v, dyh, dpre);
  ref_gemm(sf_plan_att_pt(B, T, C, NH, 1.0f), dyh, eatt, dqkvh + 2 * NC);
  emu_softmax_backward(dpre, eatt, (size_t)B * NH * T, T);
  ref_gemm(sf_plan_att_pv(B, T, C, NH, scale), k, dpre, dqkvh);
  ref_gemm(sf_plan_att_pt(B, T, C, NH, scale), q, dpre, dqkvh + NC);
  for (size_t i = 0; i < 3 * NC; i++) edqkv[sf_head_to_row(i % NC, B, T, C, NH, 3 * C, (int)(i / NC) * C)] = dqkvh[i];
  check("plan: attention backward", edqkv, dqkv, 3 * NC, 1e-5);
  /* the bf16 staging sizes cover each operand over all heads */
  assert_true(sf_plan_att_pv(B, T, C, NH, 1).nB == ATT && sf_plan_att_scores(B, T, C, NH, 1).nA == NC);
  free(qkv), free(cpu), free(att), free(dout), free(dqkv), free(scratch), free(qkvh), free(eatt), free(yh), free(out);
  free(dyh), free(dpre), free(dqkvh), free(edqkv);
}

static void test_plans_encoder(void **state) {
  (void)state;
  int tok[N], count[V], uid[N], off[N + 1], pos[N];
  for (int i = 0; i < N; i++) tok[i] = (int)(sf_rng_next(rng) % (i % 3 ? 5 : V));
  float *dout = rnd((size_t)N * C, 1), *dwte = rnd((size_t)V * C, 1), *dwpe = rnd((size_t)T * C, 1);
  float *edwte = copy(dwte, (size_t)V * C);
  sf_encoder_backward(dwte, dwpe, dout, tok, B, T, C);
  int nu = sf_encoder_buckets(tok, N, V, count, uid, off, pos);
  assert_true(nu >= 1 && nu <= N && off[nu] == N);
  for (int u = 0; u < nu; u++) /* as k_encoder_backward_wte: one ordered sum per token and column */
    for (int c = 0; c < C; c++) {
      float s = 0.0f;
      for (int k = off[u]; k < off[u + 1]; k++) {
        assert_int_equal(tok[pos[k]], uid[u]);
        if (k > off[u]) assert_true(pos[k] > pos[k - 1]);
        s += dout[(size_t)pos[k] * C + c];
      }
      edwte[(size_t)uid[u] * C + c] += s;
    }
  check("plan: embedding backward buckets", edwte, dwte, (size_t)V * C, 1e-5);
  free(dout), free(dwte), free(dwpe), free(edwte);
}

/* ==================================== kernels (GPU) ==================================== */

/* sf_gpu_sharing against counting: the processes on slot's device are those q < nprocs with
 * q % count == slot % count. */
static void test_gpu_sharing(void **state) {
  (void)state;
  for (int count = 1; count <= 4; count++)
    for (int nprocs = 1; nprocs <= 9; nprocs++)
      for (int slot = 0; slot < nprocs; slot++) {
        int want = 0;
        for (int q = 0; q < nprocs; q++) want += q % count == slot % count;
        if (want == 0) want = 1; /* cannot happen: slot itself is one */
        assert_int_equal(sf_gpu_sharing(slot, nprocs, count), want);
      }
  assert_int_equal(sf_gpu_sharing(0, 1, 8), 1); /* one process, eight GPUs: it alone on GPU 0 */
  assert_int_equal(sf_gpu_sharing(0, 0, 0), 1); /* the defaults */
}

static void test_kernels_elementwise(void **state) {
  (void)state;
  NEED_GPU();
  size_t n = 5000;
  float *x = rnd(n, 4.0f), *y = rnd(n, 1.0f), *cpu = rnd(n, 1), *gpu = rnd(n, 1);
  sf_gelu_forward(cpu, x, n);
  assert_int_equal(sf_cuda_host_gelu_forward(gpu, x, n), SF_OK);
  check("gelu forward", gpu, cpu, n, 1e-5);
  sf_gelu_backward(cpu, x, y, n);
  assert_int_equal(sf_cuda_host_gelu_backward(gpu, x, y, n), SF_OK);
  check("gelu backward", gpu, cpu, n, 1e-5);
  sf_residual_forward(cpu, x, y, n);
  assert_int_equal(sf_cuda_host_residual_forward(gpu, x, y, n), SF_OK);
  check("residual", gpu, cpu, n, 1e-7);

  /* AdamW: train.c's update against the kernel, from the same state, on four tensors in one launch
   * (one empty; decay on, on, off, on: the decay, worth 1e-4 of a weight, must follow the tensor) */
  float *p = rnd(n, 1), *m = rnd(n, 0.01f), *v = rnd(n, 0.01f);
  for (size_t i = 0; i < n; i++) v[i] = fabsf(v[i]);
  float *p2 = copy(p, n), *m2 = copy(m, n), *v2 = copy(v, n);
  const float b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, lr = 1e-3f, wd = 0.1f, gs = 0.5f;
  float c1 = (float)(1.0 / (1.0 - pow(b1, 3.0))), c2 = (float)(1.0 / (1.0 - pow(b2, 3.0)));
  const size_t off[5] = {0, 1200, 1200, 3500, n};
  const int decay[4] = {1, 1, 0, 1};
  for (int k = 0; k < 4; k++) {
    float wdk = decay[k] ? wd : 0.0f;
    for (size_t i = off[k]; i < off[k + 1]; i++) {
      float gi = y[i] * gs;
      m[i] = b1 * m[i] + (1.0f - b1) * gi;
      v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
      p[i] -= lr * ((m[i] * c1) / (sqrtf(v[i] * c2) + eps) + wdk * p[i]);
    }
  }
  uint16_t *p16 = malloc(sizeof(uint16_t) * n);
  assert_non_null(p16);
  assert_int_equal(sf_cuda_host_adamw(p2, p16, y, m2, v2, off, decay, 4, lr, c1, c2, wd, gs), SF_OK);
  check("adamw params", p2, p, n, 1e-6);
  check("adamw moment 1", m2, m, n, 1e-6);
  check("adamw moment 2", v2, v, n, 1e-6);
  /* the bf16 copy: each updated weight rounded to nearest even (finite values: no NaN case) */
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    memcpy(&u, &p2[i], sizeof u);
    uint16_t want = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    if (p16[i] != want)
      fail_msg("adamw bf16 copy: value %zu is 0x%04x, want 0x%04x (of %g)", i, p16[i], want, (double)p2[i]);
  }
  free(p16);

  /* gscale NaN (sfk_clip's verdict on a gradient that is not finite): no update at all */
  float *p3 = copy(p2, n), *m3 = copy(m2, n), *v3 = copy(v2, n);
  assert_int_equal(sf_cuda_host_adamw(p3, NULL, y, m3, v3, off, decay, 4, lr, c1, c2, wd, NAN), SF_OK);
  assert_memory_equal(p3, p2, sizeof(float) * n);
  assert_memory_equal(m3, m2, sizeof(float) * n);
  assert_memory_equal(v3, v2, sizeof(float) * n);
  free(p3), free(m3), free(v3);

  double ss = 0, gss = 0;
  for (size_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
  assert_int_equal(sf_cuda_host_sumsq(x, n, &gss), SF_OK);
  assert_rel(gss, ss, 1e-12);
  /* the clipping on the device: the host's norm (the same sum, so the same bits) and train.c's rule,
   * below and above the threshold; a NaN or an infinity in the gradient gives NaN (no update) */
  double gn = 0;
  float gsc = 0;
  assert_int_equal(sf_cuda_host_grad_clip(x, n, 1e9, &gn, &gsc), SF_OK);
  assert_true(gn == sqrt(gss) && gsc == 1.0f);
  assert_int_equal(sf_cuda_host_grad_clip(x, n, 1.0, &gn, &gsc), SF_OK);
  assert_true(gn == sqrt(gss) && gsc == (float)(1.0 / sqrt(gss)));
  float keep = x[17];
  x[17] = NAN;
  assert_int_equal(sf_cuda_host_grad_clip(x, n, 1.0, &gn, &gsc), SF_OK);
  assert_true(isnan(gn) && isnan(gsc));
  x[17] = INFINITY;
  assert_int_equal(sf_cuda_host_grad_clip(x, n, 1.0, &gn, &gsc), SF_OK);
  assert_true(isinf(gn) && isnan(gsc));
  x[17] = keep;

  /* bf16 rounding: 1 + 2^-9 is not representable (7 mantissa bits) and rounds to 1 */
  float r[3] = {1.0f + 1.0f / 512.0f, 1.0f + 1.0f / 64.0f, -3.0f};
  assert_int_equal(sf_cuda_host_bf16_round(r, 3), SF_OK);
  assert_true(r[0] == 1.0f && r[1] == 1.0f + 1.0f / 64.0f && r[2] == -3.0f);
  free(x), free(y), free(cpu), free(gpu), free(p), free(m), free(v), free(p2), free(m2), free(v2);
}

static void test_kernels_encoder_layernorm(void **state) {
  (void)state;
  NEED_GPU();
  int tok[N];
  for (int i = 0; i < N; i++) tok[i] = (int)(sf_rng_next(rng) % (i % 3 ? 5 : V)); /* many repeats */
  float *wte = rnd((size_t)V * C, 1), *wpe = rnd((size_t)T * C, 1), *cpu = rnd((size_t)N * C, 1), *gpu = rnd((size_t)N * C, 1);
  sf_encoder_forward(cpu, tok, wte, wpe, B, T, C);
  assert_int_equal(sf_cuda_host_encoder_forward(gpu, tok, wte, wpe, B, T, C, V), SF_OK);
  check("encoder forward", gpu, cpu, (size_t)N * C, 1e-7);
  float *dout = rnd((size_t)N * C, 1), *dwte = rnd((size_t)V * C, 1), *dwpe = rnd((size_t)T * C, 1);
  float *dwte2 = copy(dwte, (size_t)V * C), *dwpe2 = copy(dwpe, (size_t)T * C);
  sf_encoder_backward(dwte, dwpe, dout, tok, B, T, C);
  assert_int_equal(sf_cuda_host_encoder_backward(dwte2, dwpe2, dout, tok, B, T, C, V), SF_OK);
  check("encoder backward wte (+=)", dwte2, dwte, (size_t)V * C, 1e-6);
  check("encoder backward wpe (+=)", dwpe2, dwpe, (size_t)T * C, 1e-6);

  float *x = rnd((size_t)N * C, 2), *w = rnd(C, 1), *b = rnd(C, 1), mean[N], rstd[N], gmean[N], grstd[N];
  for (int i = 0; i < N * C; i++) x[i] += 0.5f; /* a non-zero mean */
  sf_layernorm_forward(cpu, mean, rstd, x, w, b, N, C);
  assert_int_equal(sf_cuda_host_layernorm_forward(gpu, gmean, grstd, x, w, b, N, C), SF_OK);
  check("layernorm forward", gpu, cpu, (size_t)N * C, 1e-5);
  check("layernorm mean", gmean, mean, N, 1e-5);
  check("layernorm rstd", grstd, rstd, N, 1e-5);
  /* the residual sum fused with the LayerNorm that reads it: the sum bit for bit (a + (b + bias),
   * the CPU's order), the LayerNorm as the layer's; rows in registers (80, 1024) and wider (1100) */
  for (int k = 0; k < 3; k++) {
    const int n2 = k == 0 ? N : 7, c2 = k == 0 ? C : k == 1 ? 1024 : 1100;
    const size_t nc = (size_t)n2 * c2;
    float *ra = rnd(nc, 1), *rb = rnd(nc, 1), *rbias = rnd(c2, 1), *rw = rnd(c2, 1), *rlb = rnd(c2, 1);
    float *want = rnd(nc, 1), *got = rnd(nc, 1), *lo = rnd(nc, 1), *glo = rnd(nc, 1);
    float *m2 = rnd(n2, 1), *s2 = rnd(n2, 1), *gm2 = rnd(n2, 1), *gs2 = rnd(n2, 1);
    for (size_t i = 0; i < nc; i++) want[i] = ra[i] + (rb[i] + rbias[i % (size_t)c2]);
    sf_layernorm_forward(lo, m2, s2, want, rw, rlb, n2, c2);
    assert_int_equal(sf_cuda_host_residual_layernorm(got, glo, gm2, gs2, ra, rb, rbias, rw, rlb, n2, c2), SF_OK);
    assert_memory_equal(got, want, sizeof(float) * nc);
    char what[64];
    snprintf(what, sizeof what, "residual + layernorm %d x %d", n2, c2);
    check(what, glo, lo, nc, 1e-5);
    check("residual + layernorm mean", gm2, m2, n2, 1e-5);
    check("residual + layernorm rstd", gs2, s2, n2, 1e-5);
    free(ra), free(rb), free(rbias), free(rw), free(rlb), free(want), free(got), free(lo), free(glo);
    free(m2), free(s2), free(gm2), free(gs2);
  }
  float *dinp = rnd((size_t)N * C, 1), *dw = rnd(C, 1), *db = rnd(C, 1), scratch[2 * C];
  float *dinp2 = copy(dinp, (size_t)N * C), *dw2 = copy(dw, C), *db2 = copy(db, C), *d16 = rnd((size_t)N * C, 1);
  sf_layernorm_backward(dinp, dw, db, scratch, dout, x, w, mean, rstd, N, C);
  assert_int_equal(sf_cuda_host_layernorm_backward(dinp2, d16, NULL, dw2, db2, dout, x, w, mean, rstd, N, C), SF_OK);
  check("layernorm backward dinp (+=)", dinp2, dinp, (size_t)N * C, 1e-5);
  /* its bf16 copy (the residual gradient the bf16 products read): the new fp32 value rounded */
  float *r16 = copy(dinp2, (size_t)N * C);
  assert_int_equal(sf_cuda_host_bf16_round(r16, (size_t)N * C), SF_OK);
  assert_memory_equal(d16, r16, sizeof(float) * (size_t)N * C);
  free(d16), free(r16);
  /* the shapes the sums-in-the-pass kernel leaves to the GEMV path (2 rows; rows of 1100) and the
   * widest it takes (rows of 1024, 300 rows: several blocks' partials summed), and GPT-2 small's
   * width (768: 24 columns a lane); with the new dinp's column sums (a bias gradient) added to dsum
   * in the pass (k = 0, 2, 3; k = 1 and the call above without), against the CPU's dinp summed in
   * double */
  const int shapes[4][2] = {{2, 40}, {5, 1100}, {300, 1024}, {37, 768}};
  for (int k = 0; k < 4; k++) {
    const int n2 = shapes[k][0], c2 = shapes[k][1];
    const size_t nc = (size_t)n2 * c2;
    float *x2 = rnd(nc, 2), *w2 = rnd(c2, 1), *b2 = rnd(c2, 1), *o2 = rnd(nc, 1), *m2 = rnd(n2, 1), *s2 = rnd(n2, 1);
    float *do2 = rnd(nc, 1), *di = rnd(nc, 1), *dw3 = rnd(c2, 1), *db3 = rnd(c2, 1), *sc = rnd(2 * (size_t)c2, 1);
    float *gdi = copy(di, nc), *gdw = copy(dw3, c2), *gdb = copy(db3, c2);
    float *gds = k != 1 ? rnd(c2, 1) : NULL, *ds = k != 1 ? copy(gds, c2) : NULL;
    sf_layernorm_forward(o2, m2, s2, x2, w2, b2, n2, c2);
    sf_layernorm_backward(di, dw3, db3, sc, do2, x2, w2, m2, s2, n2, c2);
    assert_int_equal(sf_cuda_host_layernorm_backward(gdi, NULL, gds, gdw, gdb, do2, x2, w2, m2, s2, n2, c2), SF_OK);
    char what[64];
    if (ds) {
      for (int c = 0; c < c2; c++) {
        double t = ds[c];
        for (int n = 0; n < n2; n++) t += di[(size_t)n * c2 + c];
        ds[c] = (float)t;
      }
      snprintf(what, sizeof what, "layernorm backward %d x %d dsum", n2, c2);
      check(what, gds, ds, c2, 1e-5);
      free(gds), free(ds);
    }
    snprintf(what, sizeof what, "layernorm backward %d x %d dinp", n2, c2);
    check(what, gdi, di, nc, 1e-5);
    snprintf(what, sizeof what, "layernorm backward %d x %d dw", n2, c2);
    check(what, gdw, dw3, c2, 1e-5);
    snprintf(what, sizeof what, "layernorm backward %d x %d db", n2, c2);
    check(what, gdb, db3, c2, 1e-5);
    free(x2), free(w2), free(b2), free(o2), free(m2), free(s2), free(do2), free(di), free(dw3), free(db3), free(sc);
    free(gdi), free(gdw), free(gdb);
  }
  check("layernorm backward dw (+=)", dw2, dw, C, 1e-5);
  check("layernorm backward db (+=)", db2, db, C, 1e-5);
  free(wte), free(wpe), free(cpu), free(gpu), free(dout), free(dwte), free(dwpe), free(dwte2), free(dwpe2);
  free(x), free(w), free(b), free(dinp), free(dw), free(db), free(dinp2), free(dw2), free(db2);
}

static double prec_tol(sf_precision p) { return p == SF_PREC_FP32 ? 1e-5 : p == SF_PREC_TF32 ? 5e-3 : 2e-2; }

static void test_kernels_matmul(void **state) {
  (void)state;
  NEED_GPU();
  const int OC = 3 * C;
  float *x = rnd((size_t)N * C, 1), *w = rnd((size_t)OC * C, 0.2f), *bias = rnd(OC, 1);
  float *cpu = rnd((size_t)N * OC, 1), *gpu = rnd((size_t)N * OC, 1), *dout = rnd((size_t)N * OC, 1);
  float *dinp = rnd((size_t)N * C, 1), *gdinp = rnd((size_t)N * C, 1);
  float *dw0 = rnd((size_t)OC * C, 1), *db0 = rnd(OC, 1);
  sf_precision ps[] = {SF_PREC_FP32, SF_PREC_TF32, SF_PREC_BF16};
  for (int k = 0; k < 3; k++) {
    char what[64];
    double tol = prec_tol(ps[k]);
    sf_matmul_forward(cpu, x, w, bias, N, C, OC);
    assert_int_equal(sf_cuda_host_matmul_forward(ps[k], gpu, x, w, bias, N, C, OC), SF_OK);
    snprintf(what, sizeof what, "matmul forward %s", sf_precision_name(ps[k]));
    check(what, gpu, cpu, (size_t)N * OC, tol);
    float *dw = copy(dw0, (size_t)OC * C), *db = copy(db0, OC), *gdw = copy(dw0, (size_t)OC * C), *gdb = copy(db0, OC);
    sf_matmul_backward(dinp, dw, db, dout, x, w, N, C, OC);
    if (sf_cuda_host_matmul_backward(ps[k], gdinp, gdw, gdb, dout, x, w, N, C, OC)) fail_msg("%s", sf_errmsg());
    snprintf(what, sizeof what, "matmul backward dinp %s", sf_precision_name(ps[k]));
    check(what, gdinp, dinp, (size_t)N * C, tol);
    snprintf(what, sizeof what, "matmul backward dw (+=) %s", sf_precision_name(ps[k]));
    check(what, gdw, dw, (size_t)OC * C, tol);
    check("matmul backward dbias (+=)", gdb, db, OC, 1e-5); /* fp32 GEMV in every precision */
    free(dw), free(db), free(gdw), free(gdb);
  }
  free(x), free(w), free(bias), free(cpu), free(gpu), free(dout), free(dinp), free(gdinp), free(dw0), free(db0);
}

/* The bf16 MLP (model.cu in bf16): its products with a bf16 output and a bf16 output gradient, and
 * its GELU on the fc product's bf16 output plus the bias, against the CPU layers on the same
 * bf16-rounded operands. One rounding of the result to bf16 (8 significant bits: within 2^-8 =
 * 3.9e-3 of each value): 4e-3 of the largest allowed. */
static void test_kernels_mlp16(void **state) {
  (void)state;
  NEED_GPU();
  const int OC = 4 * C;
  const size_t NC = (size_t)N * C, NO = (size_t)N * OC, OCC = (size_t)OC * C;
  float *x = rnd(NC, 1), *w = rnd(OCC, 0.2f), *dout = rnd(NO, 1), *dw0 = rnd(OCC, 1), *db0 = rnd(OC, 1);
  float *xr = copy(x, NC), *wr = copy(w, OCC), *dr = copy(dout, NO);
  assert_int_equal(sf_cuda_host_bf16_round(xr, NC), SF_OK);
  assert_int_equal(sf_cuda_host_bf16_round(wr, OCC), SF_OK);
  assert_int_equal(sf_cuda_host_bf16_round(dr, NO), SF_OK);
  float *out = rnd(NO, 1), *gout = rnd(NO, 1), *dinp = rnd(NC, 1), *gdinp = rnd(NC, 1);
  float *dw = copy(dw0, OCC), *db = copy(db0, OC), *gdw = copy(dw0, OCC), *gdb = copy(db0, OC);
  sf_matmul_forward(out, xr, wr, NULL, N, C, OC);
  sf_matmul_backward(dinp, dw, db, dr, xr, wr, N, C, OC);
  assert_int_equal(sf_cuda_host_matmul16(gout, gdinp, gdw, gdb, dout, x, w, N, C, OC), SF_OK);
  check("matmul16 forward (bf16 out)", gout, out, NO, 4e-3);
  check("matmul16 backward dinp (bf16 out)", gdinp, dinp, NC, 4e-3);
  check("matmul16 backward dw (+=)", gdw, dw, OCC, 1e-5);
  check("matmul16 backward dbias (+=, bf16 dout)", gdb, db, OC, 1e-5);
  /* GELU: rows whose length takes 16-byte units (4C) and rows that do not (4C - 4), with fc's bias
   * gradient summed in the backward's pass (against the CPU's fp32 gradient summed in double; the
   * row blocks' partials as many as the model's scratch holds, here 16), without (k = 2),
   * GPT-2 small's rows (3072: three blocks of 128 units across, 21 rows), and 3 rows, too few for
   * the scratch to hold one block's partials (k = 4: the pass, then a GEMM over the rounded values) */
  for (int k = 0; k < 5; k++) {
    const int oc = k == 1 ? OC - 4 : k == 3 ? 3072 : OC, nr = k == 3 ? 21 : k == 4 ? 3 : N;
    const size_t n = (size_t)nr * oc;
    float *pre = rnd(n, 3), *bias = rnd(oc, 0.5f), *g = rnd(n, 1), *y = rnd(n, 1), *gy = rnd(n, 1);
    float *dpre = rnd(n, 1), *gdpre = rnd(n, 1), *xb = rnd(n, 1);
    float *gdb16 = k != 2 ? rnd(oc, 1) : NULL, *db16 = k != 2 ? copy(gdb16, oc) : NULL;
    assert_int_equal(sf_cuda_host_bf16_round(pre, n), SF_OK);
    assert_int_equal(sf_cuda_host_bf16_round(g, n), SF_OK);
    for (size_t i = 0; i < n; i++) xb[i] = pre[i] + bias[i % (size_t)oc];
    sf_gelu_forward(y, xb, n);
    sf_gelu_backward(dpre, xb, g, n);
    assert_int_equal(sf_cuda_host_gelu16(gy, gdpre, gdb16, pre, bias, g, oc, n), SF_OK);
    const char *rows = k == 1   ? " (rows of 4C - 4)"
                       : k == 2 ? " (no bias sums)"
                       : k == 3 ? " (rows of 3072)"
                       : k == 4 ? " (3 rows)"
                                : "";
    char what[64];
    snprintf(what, sizeof what, "gelu16 forward%s", rows);
    check(what, gy, y, n, 4e-3);
    snprintf(what, sizeof what, "gelu16 backward%s", rows);
    check(what, gdpre, dpre, n, 4e-3);
    if (db16) {
      for (int c = 0; c < oc; c++) {
        double t = db16[c];
        for (int r = 0; r < nr; r++) t += dpre[(size_t)r * oc + c];
        db16[c] = (float)t;
      }
      snprintf(what, sizeof what, "gelu16 backward dbias (+=)%s", rows);
      check(what, gdb16, db16, oc, k == 4 ? 4e-3 : 1e-5); /* k = 4 sums rounded values */
      free(gdb16), free(db16);
    }
    free(pre), free(bias), free(g), free(y), free(gy), free(dpre), free(gdpre), free(xb);
  }
  free(x), free(w), free(dout), free(dw0), free(db0), free(xr), free(wr), free(dr), free(out), free(gout);
  free(dinp), free(gdinp), free(dw), free(db), free(gdw), free(gdb);
}

static void test_kernels_attention(void **state) {
  (void)state;
  NEED_GPU();
  size_t NC = (size_t)N * C, ATT = (size_t)B * NH * T * T;
  float *qkv = rnd(3 * NC, 1.5f), *cpu = rnd(NC, 1), *gpu = rnd(NC, 1), *att = rnd(ATT, 1), *gatt = rnd(ATT, 1);
  float *dout = rnd(NC, 1), *dqkv = rnd(3 * NC, 1), *gdqkv = rnd(3 * NC, 1);
  float *scratch = malloc(sizeof(float) * sf_attention_scratch(T, C / NH));
  sf_attention_forward(cpu, att, qkv, scratch, B, T, C, NH);
  sf_attention_backward(dqkv, dout, qkv, att, scratch, B, T, C, NH);
  sf_precision ps[] = {SF_PREC_FP32, SF_PREC_TF32, SF_PREC_BF16};
  for (int k = 0; k < 3; k++) {
    char what[64];
    double tol = prec_tol(ps[k]);
    assert_int_equal(sf_cuda_host_attention_forward(ps[k], gpu, gatt, qkv, B, T, C, NH), SF_OK);
    snprintf(what, sizeof what, "attention forward %s", sf_precision_name(ps[k]));
    check(what, gpu, cpu, NC, tol);
    snprintf(what, sizeof what, "attention probabilities %s", sf_precision_name(ps[k]));
    check(what, gatt, att, ATT, tol);
    for (size_t r = 0; r < (size_t)B * NH * T; r++) /* exactly 0 above the diagonal */
      for (int j = (int)(r % T) + 1; j < T; j++) assert_true(gatt[r * T + (size_t)j] == 0.0f);
    assert_int_equal(sf_cuda_host_attention_backward(ps[k], gdqkv, dout, qkv, B, T, C, NH), SF_OK);
    snprintf(what, sizeof what, "attention backward %s", sf_precision_name(ps[k]));
    check(what, gdqkv, dqkv, 3 * NC, tol);
  }
  free(qkv), free(cpu), free(gpu), free(att), free(gatt), free(dout), free(dqkv), free(gdqkv), free(scratch);
}

/* Flash attention (bf16, flash.cu) against the CPU layer run on the same q, k, v rounded to bf16
 * (what the kernel multiplies), at every head size it takes (16 to 128 in steps of 16) and contexts
 * that are not multiples of its 64-query blocks (padding), one shorter than a block, several blocks
 * long. The log-normalisers it keeps for the backward are checked against log sum_j exp(s_j) in
 * double: they see the rounded inputs exactly, so only fp32 sums separate them (1e-5, relative to
 * the value or to 1 where it is smaller). Out and dqkv
 * also pass P, dO and dS through bf16: the bf16 tolerance. Every forward (WMMA, and the
 * register-resident mma.sync one that SCALEFIT_FLASH_FORWARD=mma selects, with and without its
 * prefetch), each followed by every backward (WMMA, and the mma.sync one of SCALEFIT_FLASH_BACKWARD=
 * mma) that consumes its lse and out: the mma backward's error no more than 1.5 times the WMMA one's
 * (the same roundings in another order of operations), and its result the same bits when run again
 * (deterministic). A SCALEFIT_FLASH_FORWARD or SCALEFIT_FLASH_BACKWARD it does not know is refused by
 * name. */
static void test_kernels_flash(void **state) {
  (void)state;
  NEED_GPU();
  const struct {
    int B, T, C, NH;
  } shapes[] = {{2, 33, 64, 4}, {1, 130, 64, 1}, {2, 64, 64, 2}, {1, 70, 128, 1},  {1, 5, 96, 2},
                {1, 200, 128, 2}, {1, 100, 160, 2}, {1, 66, 112, 1}, {1, 97, 96, 1}, {2, 129, 96, 2}, {1, 150, 256, 2}};
  const struct {
    sf_cuda_flash_forward kind;
    const char *name;
  } fwds[] = {{SF_FLASH_FWD_WMMA, "wmma"}, {SF_FLASH_FWD_MMA, "mma"}, {SF_FLASH_FWD_MMA_NOPREFETCH, "mma-noprefetch"}};
  int seen[9] = {0}; /* head sizes covered, by hs / 16 */
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    const int b = shapes[k].B, t = shapes[k].T, c = shapes[k].C, nh = shapes[k].NH, hs = c / nh;
    size_t NC = (size_t)b * t * c, ATT = (size_t)b * nh * t * t, rows = (size_t)b * nh * t;
    float *qkv = rnd(3 * NC, 1.5f), *q16 = copy(qkv, 3 * NC), *cpu = rnd(NC, 1), *att = rnd(ATT, 1);
    float *dout = rnd(NC, 1), *dqkv = rnd(3 * NC, 1);
    float *scratch = malloc(sizeof(float) * sf_attention_scratch(t, hs));
    seen[hs / 16] = 1;
    assert_true(sf_cuda_flash(&(sf_gpt_config){1, c, nh, t, 2}, SF_PREC_BF16));
    assert_int_equal(sf_cuda_host_bf16_round(q16, 3 * NC), SF_OK);
    sf_attention_forward(cpu, att, q16, scratch, b, t, c, nh);
    sf_attention_backward(dqkv, dout, q16, att, scratch, b, t, c, nh);
    for (size_t f = 0; f < sizeof fwds / sizeof fwds[0]; f++) {
      float *gpu = rnd(NC, 1), *gdqkv = rnd(3 * NC, 1), *mdqkv = malloc(sizeof(float) * 3 * NC);
      float *again = malloc(sizeof(float) * 3 * NC);
      assert_non_null(mdqkv);
      assert_non_null(again);
      float *lse = rnd(rows, 1);
      assert_int_equal(sf_cuda_set_flash_forward(fwds[f].kind), SF_OK);
      double lerr = 0;
      assert_int_equal(sf_cuda_host_flash_forward(gpu, lse, qkv, b, t, c, nh), SF_OK);
      for (int bi = 0; bi < b; bi++)
        for (int h = 0; h < nh; h++)
          for (int i = 0; i < t; i++) {
            const float *qi = q16 + ((size_t)bi * t + i) * 3 * c + (size_t)h * hs;
            double s[256], mx = -INFINITY, sum = 0;
            for (int j = 0; j <= i; j++) {
              const float *kj = q16 + ((size_t)bi * t + j) * 3 * c + c + (size_t)h * hs;
              double dot = 0;
              for (int d = 0; d < hs; d++) dot += (double)qi[d] * kj[d];
              s[j] = dot / sqrt((double)hs);
              if (s[j] > mx) mx = s[j];
            }
            for (int j = 0; j <= i; j++) sum += exp(s[j] - mx);
            double want = mx + log(sum), got = lse[((size_t)bi * nh + h) * t + i];
            if (!isfinite(got)) fail_msg("flash lse (%d, %d, %d) is %g", bi, h, i, got);
            /* relative, but to at least 1: lse = m + log l is near 0 where the scores are (the first
             * query's is its one score), and its fp32 error there is absolute */
            double e = fabs(got - want) / fmax(fabs(want), 1.0);
            if (e > lerr) lerr = e;
          }
      char what[64];
      printf("flash %-14s B %d T %3d C %3d NH %d (hs %3d): ", fwds[f].name, b, t, c, nh, hs);
      snprintf(what, sizeof what, "log-normalisers");
      printf("%-36s n %-7zu relative error %.2e (tolerance 1e-05)\n", what, rows, lerr);
      assert_true(lerr <= 1e-5);
      snprintf(what, sizeof what, "flash forward %s hs %d", fwds[f].name, hs);
      check(what, gpu, cpu, NC, 2e-2);
      assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_WMMA), SF_OK);
      assert_int_equal(sf_cuda_host_flash_backward(gdqkv, dout, qkv, b, t, c, nh), SF_OK);
      snprintf(what, sizeof what, "flash backward (%s) wmma hs %d", fwds[f].name, hs);
      double ew = check(what, gdqkv, dqkv, 3 * NC, 2e-2);
      assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_MMA), SF_OK);
      assert_int_equal(sf_cuda_host_flash_backward(mdqkv, dout, qkv, b, t, c, nh), SF_OK);
      snprintf(what, sizeof what, "flash backward (%s) mma hs %d", fwds[f].name, hs);
      double em = check(what, mdqkv, dqkv, 3 * NC, 2e-2);
      if (!(em <= 1.5 * ew)) fail_msg("%s: relative error %.3e, the WMMA backward's %.3e", what, em, ew);
      snprintf(what, sizeof what, "flash backward mma against wmma");
      check(what, mdqkv, gdqkv, 3 * NC, 2e-2);
      assert_int_equal(sf_cuda_host_flash_backward(again, dout, qkv, b, t, c, nh), SF_OK);
      assert_memory_equal(again, mdqkv, sizeof(float) * 3 * NC); /* deterministic */
      /* the bf16 model's inputs and outputs: qkv and dout in bf16, the output kept in bf16 (D from
       * it), dqkv written in bf16 only */
      for (int kb = 0; kb < 2; kb++) {
        assert_int_equal(sf_cuda_set_flash_backward(kb ? SF_FLASH_BWD_MMA : SF_FLASH_BWD_WMMA), SF_OK);
        assert_int_equal(sf_cuda_host_flash_backward16(again, dout, qkv, b, t, c, nh), SF_OK);
        snprintf(what, sizeof what, "flash backward (%s) %s, bf16 in/out", fwds[f].name, kb ? "mma" : "wmma");
        check(what, again, dqkv, 3 * NC, 2e-2);
      }
      assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_ENV), SF_OK);
      free(gpu), free(gdqkv), free(mdqkv), free(again), free(lse);
    }
    free(qkv), free(q16), free(cpu), free(att), free(dout), free(dqkv), free(scratch);
  }
  for (int k = 1; k <= 8; k++)
    if (!seen[k]) fail_msg("flash: head size %d not tested", 16 * k);
  /* the environment's choice (SF_FLASH_FWD_ENV, SF_FLASH_BWD_ENV): a value it does not know is bad
   * input; SCALEFIT_FLASH_BACKWARD=mma runs what SF_FLASH_BWD_MMA runs */
  assert_int_equal(sf_cuda_set_flash_forward(SF_FLASH_FWD_ENV), SF_OK);
  assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_ENV), SF_OK);
  assert_int_equal(sf_cuda_set_flash_backward((sf_cuda_flash_backward)7), SF_EINTERNAL);
  const char *envs[] = {"SCALEFIT_FLASH_FORWARD", "SCALEFIT_FLASH_BACKWARD"};
  char *saved[2];
  for (int e = 0; e < 2; e++) {
    const char *old = getenv(envs[e]);
    saved[e] = old ? strdup(old) : NULL;
    unsetenv(envs[e]);
  }
  /* Which backward the environment picked shows in the bits: the two differ only where expf and
   * exp2f round P or dS to another bf16 value, so draw inputs (T 200, hs 64) until the two set in
   * code give different results (the first draw does here), then the environment's runs must equal
   * one of them to the bit. */
  enum { TT = 200, CC = 128, HH = 2 };
  size_t n3 = 3 * (size_t)TT * CC;
  float *qkv = NULL, out[64], lse[4], *dout = NULL;
  float *dw = malloc(sizeof(float) * n3), *dm = malloc(sizeof(float) * n3), *de = malloc(sizeof(float) * n3);
  assert_true(dw && dm && de);
  float *small = rnd(3 * 64, 1);
  setenv("SCALEFIT_FLASH_FORWARD", "fast", 1);
  assert_int_equal(sf_cuda_host_flash_forward(out, lse, small, 1, 4, 16, 1), SF_EINPUT);
  free(small);
  assert_string_equal(sf_errmsg(), "SCALEFIT_FLASH_FORWARD 'fast' is not one of wmma, mma, mma-noprefetch");
  unsetenv("SCALEFIT_FLASH_FORWARD");
  int draws = 0;
  do {
    free(qkv), free(dout);
    qkv = rnd(n3, 1.5f), dout = rnd((size_t)TT * CC, 1);
    assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_WMMA), SF_OK); /* set in code: no env read */
    assert_int_equal(sf_cuda_host_flash_backward(dw, dout, qkv, 1, TT, CC, HH), SF_OK);
    assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_MMA), SF_OK);
    assert_int_equal(sf_cuda_host_flash_backward(dm, dout, qkv, 1, TT, CC, HH), SF_OK);
  } while (!memcmp(dw, dm, sizeof(float) * n3) && ++draws < 8);
  if (draws == 8) fail_msg("flash: the WMMA and mma backwards agree to the bit on 8 draws; cannot tell them apart");
  printf("flash backward selection: WMMA and mma results differ at draw %d\n", draws + 1);
  assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_ENV), SF_OK);
  setenv("SCALEFIT_FLASH_BACKWARD", "mma-noprefetch", 1);
  assert_int_equal(sf_cuda_host_flash_backward(de, dout, qkv, 1, TT, CC, HH), SF_EINPUT);
  assert_string_equal(sf_errmsg(), "SCALEFIT_FLASH_BACKWARD 'mma-noprefetch' is not one of wmma, mma");
  setenv("SCALEFIT_FLASH_BACKWARD", "mma", 1);
  assert_int_equal(sf_cuda_host_flash_backward(de, dout, qkv, 1, TT, CC, HH), SF_OK);
  assert_memory_equal(de, dm, sizeof(float) * n3);
  setenv("SCALEFIT_FLASH_BACKWARD", "", 1); /* empty: WMMA, as unset */
  assert_int_equal(sf_cuda_host_flash_backward(de, dout, qkv, 1, TT, CC, HH), SF_OK);
  assert_memory_equal(de, dw, sizeof(float) * n3);
  setenv("SCALEFIT_FLASH_BACKWARD", "wmma", 1);
  assert_int_equal(sf_cuda_host_flash_backward(de, dout, qkv, 1, TT, CC, HH), SF_OK);
  assert_memory_equal(de, dw, sizeof(float) * n3);
  for (int e = 0; e < 2; e++) {
    if (saved[e]) setenv(envs[e], saved[e], 1);
    else unsetenv(envs[e]);
    free(saved[e]);
  }
  free(qkv), free(dout), free(dw), free(dm), free(de);
  /* head sizes it does not take go to the cuBLAS path */
  assert_false(sf_cuda_flash(&(sf_gpt_config){1, 80, 4, 16, 2}, SF_PREC_BF16)); /* hs 20 */
  assert_false(sf_cuda_flash(&(sf_gpt_config){1, 288, 2, 16, 2}, SF_PREC_BF16)); /* hs 144 */
  assert_false(sf_cuda_flash(&(sf_gpt_config){1, 64, 2, 16, 2}, SF_PREC_TF32));
}

static void test_kernels_crossentropy(void **state) {
  (void)state;
  NEED_GPU();
  const int VV = 3001; /* more than one block's worth of columns per row */
  int tgt[N];
  for (int i = 0; i < N; i++) tgt[i] = i % 7 == 3 ? -1 : (int)(sf_rng_next(rng) % VV);
  float *logits = rnd((size_t)N * VV, 8), *p = copy(logits, (size_t)N * VV), *gp = copy(logits, (size_t)N * VV);
  float loss[N], gloss[N];
  double total = sf_crossentropy_forward(p, loss, tgt, N, VV), gtotal = 0;
  assert_int_equal(sf_cuda_host_crossentropy_forward(gp, gloss, tgt, N, VV, &gtotal), SF_OK);
  check("crossentropy probabilities", gp, p, (size_t)N * VV, 1e-5);
  check("crossentropy losses", gloss, loss, N, 1e-5);
  assert_rel(gtotal, total, 1e-5);
  float *d = rnd((size_t)N * VV, 1), *gd = rnd((size_t)N * VV, 1);
  sf_crossentropy_backward(d, p, tgt, 0.01f, N, VV);
  assert_int_equal(sf_cuda_host_crossentropy_backward(gd, p, tgt, 0.01f, N, VV), SF_OK);
  check("crossentropy backward", gd, d, (size_t)N * VV, 1e-6);
  /* forward and backward fused (the training step's in fp32 and tf32) */
  {
    float *fd = rnd((size_t)N * VV, 1), floss[N];
    assert_int_equal(sf_cuda_host_crossentropy_fused(fd, 0, floss, logits, tgt, 0.01f, N, VV), SF_OK);
    check("crossentropy fused losses", floss, loss, N, 1e-5);
    check("crossentropy fused gradient", fd, d, (size_t)N * VV, 1e-5);
    free(fd);
  }
  /* the bf16 training forward's: logits rounded to bf16 (as the head's product writes them), the
   * gradient written over them in bf16; against the CPU on the same rounded logits, at this
   * vocabulary (a block of 12 warps), at one that takes each of the block's 1024 threads along a row
   * three times, and at a small one (one warp); the gradient within one bf16 rounding (2^-8 of the
   * value) */
  for (int big = 0; big < 3; big++) {
    const int V2 = big == 2 ? 77 : big ? 20011 : VV;
    const size_t NV = (size_t)N * V2;
    int t2[N];
    for (int i = 0; i < N; i++) t2[i] = big ? (i % 5 == 1 ? -1 : (int)(sf_rng_next(rng) % V2)) : tgt[i];
    float *lg = big ? rnd(NV, 8) : copy(logits, NV), *p2, l2[N], *d2 = rnd(NV, 1), *fd = rnd(NV, 1), fl[N];
    assert_int_equal(sf_cuda_host_bf16_round(lg, NV), SF_OK);
    p2 = copy(lg, NV);
    sf_crossentropy_forward(p2, l2, t2, N, V2);
    sf_crossentropy_backward(d2, p2, t2, 0.01f, N, V2);
    assert_int_equal(sf_cuda_host_crossentropy_fused(fd, 1, fl, lg, t2, 0.01f, N, V2), SF_OK);
    char what[64];
    snprintf(what, sizeof what, "crossentropy fused16 losses (V %d)", V2);
    check(what, fl, l2, N, 1e-5);
    snprintf(what, sizeof what, "crossentropy fused16 gradient (V %d)", V2);
    check(what, fd, d2, NV, 5e-3);
    free(lg), free(p2), free(d2), free(fd);
  }
  free(logits), free(p), free(gp), free(d), free(gd);
}

/* ==================================== model and runs (GPU) ==================================== */

/* One forward and backward on the CPU (fp32) and on the GPU from the same weights; the loss within
 * tol / 10, every gradient within tol. train: the GPU's training forward (the loss's gradient fused
 * into it), else the plain forward and the backward's own cross-entropy gradient. */
static void model_grads(sf_precision p, sf_cuda_attention mode, int train, double tol) {
  sf_gpt_config mc = {2, 64, 2, 48, 50};
  const int b = 3, t = 48;
  sf_gpt *g = NULL;
  sf_cuda_gpt *d = NULL;
  assert_int_equal(sf_cuda_set_attention(mode), SF_OK);
  printf("%s, %s attention, %s forward\n", sf_precision_name(p), sf_cuda_flash(&mc, p) ? "flash" : "cuBLAS",
         train ? "training" : "plain");
  assert_int_equal(sf_gpt_new(&mc, b, 11, &g), SF_OK);
  assert_int_equal(sf_cuda_gpt_new(g, b, p, &d), SF_OK);
  int tok[b * t], tgt[b * t];
  for (int i = 0; i < b * t; i++) {
    tok[i] = (int)(sf_rng_next(rng) % 50);
    tgt[i] = i % 11 == 5 ? -1 : (int)(sf_rng_next(rng) % 50);
  }
  sf_gpt_zero_grad(g);
  double loss = sf_gpt_forward(g, tok, tgt, b, t), gloss = 0;
  sf_gpt_backward(g, 1.0f / 100.0f);
  assert_int_equal(sf_cuda_gpt_zero_grad(d), SF_OK);
  if (train) {
    assert_int_equal(sf_cuda_gpt_forward_train(d, tok, tgt, b, t, 1.0f / 100.0f, &gloss), SF_OK);
    float probe;
    assert_int_equal(sf_cuda_gpt_probs(d, &probe), SF_EINTERNAL); /* none kept */
    assert_int_equal(sf_cuda_gpt_backward(d, 1.0f / 50.0f), SF_EINTERNAL); /* not the forward's scale */
  } else {
    assert_int_equal(sf_cuda_gpt_forward(d, tok, tgt, b, t, &gloss), SF_OK);
  }
  assert_int_equal(sf_cuda_gpt_backward(d, 1.0f / 100.0f), SF_OK);
  assert_int_equal(sf_cuda_set_attention(SF_ATTN_AUTO), SF_OK);
  assert_rel(gloss, loss, tol / 10);
  size_t n = sf_gpt_size(g);
  float *cpu_grads = copy(sf_gpt_grads(g), n);
  sf_gpt *h = NULL;
  assert_int_equal(sf_gpt_new_params(&mc, 11, &h), SF_OK);
  assert_int_equal(sf_cuda_gpt_download(d, h, 1), SF_OK);
  for (size_t k = 0; k < sf_gpt_ntensors(); k++) {
    const char *name;
    size_t off, sz;
    sf_gpt_tensor(g, k, &name, &off, &sz, NULL);
    char what[64];
    snprintf(what, sizeof what, "gradient of %s", name);
    check(what, sf_gpt_grads(h) + off, cpu_grads + off, sz, tol);
  }
  check("parameters round trip", sf_gpt_params(h), sf_gpt_params(g), n, 0.0);
  double norm = 0, gnorm = 0;
  for (size_t i = 0; i < n; i++) norm += (double)cpu_grads[i] * cpu_grads[i];
  assert_int_equal(sf_cuda_gpt_grad_norm(d, &gnorm), SF_OK);
  assert_rel(gnorm, sqrt(norm), tol);
  free(cpu_grads);
  sf_gpt_free(h);
  sf_cuda_gpt_free(d);
  sf_gpt_free(g);
}

/* sf_cuda_gpt_train_step (eagerly, and as a CUDA graph captured at the second step and replayed)
 * against the separate calls train.c made before it (zero_grad, forward_train and backward per
 * micro-batch, grad_norm, the host's clipping, adamw): the same losses, norms and, after the steps,
 * parameters and moments, bit for bit. Each step changes what a graph must not bake in: the
 * masked targets (so the loss's scale), the learning rate and the bias corrections; the clipping
 * threshold is below the norms, so the clipping factor is live. */
static void step_run(sf_precision p) {
  sf_gpt_config mc = {2, 64, 2, 32, 40};
  enum { SB = 2, ST = 32, ACC = 2, STEPS = 4, NT = ACC * SB * ST };
  const double clip = 0.05, wd = 0.1;
  sf_gpt *g = NULL;
  sf_cuda_gpt *d[3] = {NULL, NULL, NULL}; /* separate calls, whole step eager, whole step graph */
  assert_int_equal(sf_gpt_new_params(&mc, 5, &g), SF_OK);
  setenv("SCALEFIT_CUDA_GRAPHS", "0", 1);
  if (sf_cuda_gpt_new(g, SB, p, &d[0])) fail_msg("%s", sf_errmsg());
  assert_int_equal(sf_cuda_gpt_new(g, SB, p, &d[1]), SF_OK);
  unsetenv("SCALEFIT_CUDA_GRAPHS");
  assert_int_equal(sf_cuda_gpt_new(g, SB, p, &d[2]), SF_OK);
  int tok[NT], tgt[NT], clipped = 0;
  for (int step = 0; step < STEPS; step++) {
    long count = 0;
    for (int i = 0; i < NT; i++) {
      tok[i] = (int)(sf_rng_next(rng) % 40);
      tgt[i] = (i + step) % (7 + step) == 3 ? -1 : (int)(sf_rng_next(rng) % 40);
      count += tgt[i] >= 0;
    }
    float scale = 1.0f / (float)count;
    double lr = 1e-3 * (step + 1), loss[3] = {0, 0, 0}, norm[3] = {0, 0, 0};
    assert_int_equal(sf_cuda_gpt_zero_grad(d[0]), SF_OK);
    for (int a = 0; a < ACC; a++) {
      double l = 0;
      assert_int_equal(sf_cuda_gpt_forward_train(d[0], tok + a * SB * ST, tgt + a * SB * ST, SB, ST, scale, &l), SF_OK);
      loss[0] += l;
      assert_int_equal(sf_cuda_gpt_backward(d[0], scale), SF_OK);
    }
    assert_int_equal(sf_cuda_gpt_grad_norm(d[0], &norm[0]), SF_OK);
    assert_int_equal(sf_cuda_gpt_adamw(d[0], lr, step + 1, norm[0] > clip ? (float)(clip / norm[0]) : 1.0f, wd), SF_OK);
    clipped += norm[0] > clip;
    for (int k = 1; k < 3; k++) {
      if (step >= 2) { /* an evaluation between steps (the graph replays from the third step on) */
        double el = 0;
        assert_int_equal(sf_cuda_gpt_forward(d[k], tok, tgt, 1, ST / 2, &el), SF_OK);
      }
      assert_int_equal(sf_cuda_gpt_train_step(d[k], tok, tgt, ACC, SB, ST, scale, lr, step + 1, clip, wd, &loss[k],
                                              &norm[k]),
                       SF_OK);
      /* a replayed graph leaves the model's state as the eager step does: the logits hold their
       * gradient now, so there are no probabilities to copy */
      float probs[SB * ST * 40];
      assert_int_equal(sf_cuda_gpt_probs(d[k], probs), SF_EINTERNAL);
      assert_string_equal(sf_errmsg(), "cuda: no probabilities after a training forward");
      if (loss[k] != loss[0] || norm[k] != norm[0])
        fail_msg("%s step %d, %s: loss %.17g norm %.17g, separate calls %.17g %.17g", sf_precision_name(p), step + 1,
                 k == 1 ? "eager" : "graph", loss[k], norm[k], loss[0], norm[0]);
    }
  }
  assert_true(clipped > 0);
  sf_gpt *h[3] = {NULL, NULL, NULL};
  for (int k = 0; k < 3; k++) {
    assert_int_equal(sf_gpt_new_params(&mc, 5, &h[k]), SF_OK);
    assert_int_equal(sf_cuda_gpt_download(d[k], h[k], 0), SF_OK);
  }
  size_t n = sf_gpt_size(g);
  for (int k = 1; k < 3; k++) {
    assert_memory_equal(sf_gpt_params(h[k]), sf_gpt_params(h[0]), sizeof(float) * n);
    assert_memory_equal(sf_gpt_moment1(h[k]), sf_gpt_moment1(h[0]), sizeof(float) * n);
    assert_memory_equal(sf_gpt_moment2(h[k]), sf_gpt_moment2(h[0]), sizeof(float) * n);
  }
  assert_memory_not_equal(sf_gpt_params(h[0]), sf_gpt_params(g), sizeof(float) * n); /* it trained */
  printf("%s: %d steps of %d micro-batches, whole step (eager and graph) = separate calls, bit for bit\n",
         sf_precision_name(p), STEPS, ACC);
  for (int k = 0; k < 3; k++) {
    sf_gpt_free(h[k]);
    sf_cuda_gpt_free(d[k]);
  }
  sf_gpt_free(g);
}

/* sweep --jobs on a GPU: worker threads, each capturing its steps while the others allocate, free
 * and train, and one more thread makes and frees models all the time (the emulator, as CUDA,
 * invalidates a capture when another thread synchronises the device: model.cu keeps them apart).
 * Each thread's losses equal the same steps run alone. */
enum { JOB_ROUNDS = 3, JOB_STEPS = 4 };
typedef struct step_job {
  sf_gpt_config mc;
  int seed, steps;               /* steps a round (at most JOB_STEPS) */
  double loss[JOB_ROUNDS][JOB_STEPS];
  int rc;
} step_job;

/* JOB_ROUNDS times: a model made, `steps` steps (a graph captured at the second), the model freed */
static void *step_job_run(void *p) {
  step_job *j = p;
  enum { SB = 2, ST = 16, NT = SB * ST };
  for (int round = 0; !j->rc && round < JOB_ROUNDS; round++) {
    sf_gpt *g = NULL;
    sf_cuda_gpt *d = NULL;
    uint64_t r[4];
    sf_rng_seed(r, (uint64_t)(j->seed + round));
    j->rc = sf_gpt_new_params(&j->mc, (uint64_t)j->seed, &g);
    if (!j->rc) j->rc = sf_cuda_gpt_new(g, SB, SF_PREC_BF16, &d);
    for (int step = 0; !j->rc && step < j->steps; step++) {
      int tok[NT], tgt[NT];
      for (int i = 0; i < NT; i++) {
        tok[i] = (int)(sf_rng_next(r) % (uint64_t)j->mc.vocab);
        tgt[i] = (int)(sf_rng_next(r) % (uint64_t)j->mc.vocab);
      }
      double norm;
      j->rc = sf_cuda_gpt_train_step(d, tok, tgt, 1, SB, ST, 1.0f / NT, 1e-3, step + 1, 1.0, 0.1,
                                     &j->loss[round][step], &norm);
    }
    sf_cuda_gpt_free(d);
    sf_gpt_free(g);
  }
  return NULL;
}

/* makes and frees a small model over and over until *stop: allocations all the time */
static void *alloc_loop(void *p) {
  volatile int *stop = p;
  sf_gpt_config mc = {1, 16, 1, 8, 16};
  sf_gpt *g = NULL;
  if (sf_gpt_new_params(&mc, 1, &g)) return NULL;
  while (!*stop) {
    sf_cuda_gpt *d = NULL;
    if (sf_cuda_gpt_new(g, 1, SF_PREC_BF16, &d)) break;
    sf_cuda_gpt_free(d);
  }
  sf_gpt_free(g);
  return NULL;
}

static void test_train_step_threads(void **state) {
  (void)state;
  NEED_GPU();
  enum { NJ = 3 };
  step_job alone[NJ], together[NJ];
  for (int k = 0; k < NJ; k++) {
    alone[k] = (step_job){{1, 32, 1, 16, 24}, 10 * k + 1, 3 + k % 2, {{0}}, 0};
    together[k] = alone[k];
    step_job_run(&alone[k]);
    assert_int_equal(alone[k].rc, SF_OK);
  }
  pthread_t th[NJ], hammer;
  volatile int stop = 0;
  assert_int_equal(pthread_create(&hammer, NULL, alloc_loop, (void *)&stop), 0);
  for (int k = 0; k < NJ; k++) assert_int_equal(pthread_create(&th[k], NULL, step_job_run, &together[k]), 0);
  for (int k = 0; k < NJ; k++) pthread_join(th[k], NULL);
  stop = 1;
  pthread_join(hammer, NULL);
  for (int k = 0; k < NJ; k++) {
    if (together[k].rc) fail_msg("thread %d: status %d", k, together[k].rc);
    assert_memory_equal(together[k].loss, alone[k].loss, sizeof alone[k].loss);
  }
  printf("%d threads making models, capturing and replaying steps, freeing models at once: the losses of each alone, "
         "bit for bit\n",
         NJ);
}

static void test_train_step(void **state) {
  (void)state;
  NEED_GPU();
  step_run(SF_PREC_FP32);
  step_run(SF_PREC_BF16);
}

static void test_model_gradients(void **state) {
  (void)state;
  NEED_GPU();
  model_grads(SF_PREC_FP32, SF_ATTN_AUTO, 0, 1e-4);
  model_grads(SF_PREC_FP32, SF_ATTN_AUTO, 1, 1e-4);
}

/* bf16 with each attention: the flash path (head size 32) with each forward kernel and each
 * backward, and the cuBLAS one */
static void test_model_gradients_bf16(void **state) {
  (void)state;
  NEED_GPU();
  assert_int_equal(sf_cuda_set_flash_forward(SF_FLASH_FWD_WMMA), SF_OK);
  model_grads(SF_PREC_BF16, SF_ATTN_AUTO, 1, 2e-2);
  printf("with the mma.sync flash forward: ");
  assert_int_equal(sf_cuda_set_flash_forward(SF_FLASH_FWD_MMA), SF_OK);
  model_grads(SF_PREC_BF16, SF_ATTN_AUTO, 1, 2e-2);
  printf("with the mma.sync flash forward, no prefetch: ");
  assert_int_equal(sf_cuda_set_flash_forward(SF_FLASH_FWD_MMA_NOPREFETCH), SF_OK);
  model_grads(SF_PREC_BF16, SF_ATTN_AUTO, 1, 2e-2);
  printf("with the mma.sync flash forward and backward: ");
  assert_int_equal(sf_cuda_set_flash_forward(SF_FLASH_FWD_MMA), SF_OK);
  assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_MMA), SF_OK);
  model_grads(SF_PREC_BF16, SF_ATTN_AUTO, 1, 2e-2);
  printf("with the WMMA flash forward and the mma.sync backward: ");
  assert_int_equal(sf_cuda_set_flash_forward(SF_FLASH_FWD_WMMA), SF_OK);
  model_grads(SF_PREC_BF16, SF_ATTN_AUTO, 0, 2e-2);
  assert_int_equal(sf_cuda_set_flash_backward(SF_FLASH_BWD_ENV), SF_OK);
  assert_int_equal(sf_cuda_set_flash_forward(SF_FLASH_FWD_ENV), SF_OK);
  model_grads(SF_PREC_BF16, SF_ATTN_MATMUL, 0, 2e-2);
}

static void run_pair(sf_precision p, double tol) {
  sf_source_spec spec = {.kind = SF_DATA_MARKOV};
  sf_source *s = NULL;
  assert_int_equal(sf_source_open(&spec, &s), SF_OK);
  sf_train_config c = small_cfg(), gc = small_cfg();
  gc.device = SF_DEVICE_CUDA;
  gc.precision = p;
  gc.peak_flops = 0; /* the GPU's table */
  assert_int_equal(sf_train_resolve(&c), SF_OK);
  assert_int_equal(sf_train_resolve(&gc), SF_OK);
  sf_train_result cr, gr;
  assert_int_equal(sf_train_run(&c, s, NULL, NULL, &cr), SF_OK);
  int rc = sf_train_run(&gc, s, NULL, NULL, &gr);
  if (rc) fail_msg("GPU run: %s", sf_errmsg());
  assert_int_equal(gr.steps, 50);
  assert_int_equal(gr.ncurve, cr.ncurve);
  double worst = 0;
  for (size_t i = 0; i < cr.ncurve; i++) {
    double a = cr.curve[i * SF_TRAIN_CURVE_COLS + 3], b = gr.curve[i * SF_TRAIN_CURVE_COLS + 3];
    double e = fabs(b - a) / fabs(a);
    if (e > worst) worst = e;
  }
  printf("%s: %zu steps, CPU loss %.5f -> %.5f, GPU %.5f -> %.5f, worst relative difference %.2e (tolerance %.0e); "
         "%s, %.0f tokens/s, MFU %.1f%%\n",
         sf_precision_name(p), cr.ncurve, cr.curve[3], cr.curve[(cr.ncurve - 1) * SF_TRAIN_CURVE_COLS + 3],
         gr.curve[3], gr.curve[(gr.ncurve - 1) * SF_TRAIN_CURVE_COLS + 3], worst, tol, gr.device, gr.tokens_per_s,
         100 * gr.mfu);
  assert_true(worst <= tol);
  assert_rel(gr.val_loss, cr.val_loss, 10 * tol);
  assert_int_equal(gr.cfg.precision, p);
  assert_true(gr.peak_flops > 1e12);
  sf_train_result_free(&cr);
  sf_train_result_free(&gr);
  sf_source_free(s);
}

static void test_runs_fp32(void **state) {
  (void)state;
  NEED_GPU();
  run_pair(SF_PREC_FP32, 1e-3);
}
static void test_runs_tf32(void **state) {
  (void)state;
  NEED_GPU();
  run_pair(SF_PREC_TF32, 1e-3);
}
static void test_runs_bf16(void **state) {
  (void)state;
  NEED_GPU();
  run_pair(SF_PREC_BF16, 2e-2); /* flash attention (head size 32); the cuBLAS one: test_model_gradients_bf16 */
}

static int stop_at_13(void *ctx, long step, long steps, double loss, double secs) { return step == 13; }

static void test_resume(void **state) {
  (void)state;
  NEED_GPU();
  sf_source_spec spec = {.kind = SF_DATA_MARKOV};
  sf_source *s = NULL;
  assert_int_equal(sf_source_open(&spec, &s), SF_OK);
  sf_train_config c = small_cfg();
  c.tokens = 30.0 * STEP_TOKENS;
  c.device = SF_DEVICE_CUDA;
  assert_int_equal(sf_train_resolve(&c), SF_OK);
  sf_train_result whole, resumed, r;
  assert_int_equal(sf_train_run(&c, s, NULL, NULL, &whole), SF_OK);
  char path[512];
  snprintf(path, sizeof path, "%s/gpu.ckpt", sf_test_tmpdir());
  c.checkpoint = path;
  c.checkpoint_every = 1e-9;
  assert_int_equal(sf_train_run(&c, s, stop_at_13, NULL, &r), SF_EUSAGE);
  assert_true(sf_train_checkpoint_matches(path, &c, s));
  assert_int_equal(sf_train_run(&c, s, NULL, NULL, &resumed), SF_OK);
  assert_true(resumed.val_loss == whole.val_loss);
  assert_memory_equal(resumed.curve, whole.curve, sizeof(double) * SF_TRAIN_CURVE_COLS * whole.ncurve);
  sf_train_checkpoint_remove(path);

  /* a CPU run's checkpoint is not the GPU run's */
  sf_train_config cpu = c;
  cpu.device = SF_DEVICE_CPU;
  cpu.precision = SF_PREC_DEFAULT;
  assert_int_equal(sf_train_resolve(&cpu), SF_OK);
  assert_int_equal(sf_train_run(&cpu, s, stop_at_13, NULL, &r), SF_EUSAGE);
  assert_int_equal(sf_train_run(&c, s, NULL, NULL, &r), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "another configuration"));
  sf_train_checkpoint_remove(path);
  sf_train_result_free(&whole);
  sf_train_result_free(&resumed);
  sf_source_free(s);
}

int main(void) {
  if (getenv("SF_TEST_FILTER")) cmocka_set_test_filter(getenv("SF_TEST_FILTER"));
  sf_train_set_threads(1); /* the CPU references' scratch is sized for one thread */
  sf_rng_seed(rng, 42);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_mps_detect),
      cmocka_unit_test(test_resolve),
      cmocka_unit_test(test_peaks),
      cmocka_unit_test(test_cublas_loads),
      cmocka_unit_test(test_ckpt_line),
      cmocka_unit_test(test_plans_linear),
      cmocka_unit_test(test_plans_attention),
      cmocka_unit_test(test_plans_encoder),
      cmocka_unit_test(test_gpu_sharing),
      cmocka_unit_test(test_kernels_elementwise),
      cmocka_unit_test(test_kernels_encoder_layernorm),
      cmocka_unit_test(test_kernels_matmul),
      cmocka_unit_test(test_kernels_mlp16),
      cmocka_unit_test(test_kernels_attention),
      cmocka_unit_test(test_kernels_flash),
      cmocka_unit_test(test_kernels_crossentropy),
      cmocka_unit_test(test_model_gradients),
      cmocka_unit_test(test_model_gradients_bf16),
      cmocka_unit_test(test_train_step),
      cmocka_unit_test(test_train_step_threads),
      cmocka_unit_test(test_runs_fp32),
      cmocka_unit_test(test_runs_tf32),
      cmocka_unit_test(test_runs_bf16),
      cmocka_unit_test(test_resume),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
