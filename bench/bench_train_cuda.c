/* bench_train_cuda.c: the GPU trainer's speed: tokens/s and MFU (exact FLOPs, sf_train.h) of full
 * optimiser steps as training runs them (sf_cuda_gpt_train_step: forward, backward, gradient norm,
 * clipping, AdamW; a CUDA graph from the second step on) for the default sweep's model sizes,
 * larger ones, and a GPT-2-small shape (124M: 12 layers, d_model 768, 12 heads, context 1024,
 * vocabulary 50257), in fp32, tf32 and bf16. MFU is given against two peaks: the GPU's data-sheet
 * dense peak for the precision (what runs record), and the peer measured in this process, the
 * trainer's own product on 8192 x 8192 operands (sf_cuda_gemm_peak); each line also gives its
 * speed-up over the fp32 run of the same model. Where bf16 runs flash attention (flash.cu), a
 * fourth line runs the same bf16 model with the cuBLAS attention, the peer that flash attention
 * must beat, and two more with flash attention's register-resident mma.sync forward instead of the
 * WMMA one (attention "mma-pf": SCALEFIT_FLASH_FORWARD=mma, "mma-np": mma-noprefetch), and one more
 * with the mma-pf forward and the register-resident mma.sync backward (attention "mma-bw":
 * SCALEFIT_FLASH_BACKWARD=mma as well), their speed also given against the WMMA line's (WMMA forward
 * and backward); a last line runs bf16 launch by launch (SCALEFIT_CUDA_GRAPHS=0), the
 * peer of the graph, whose gain is largest where the kernels are smallest. Without a GPU it says so
 * and exits 0.
 *
 *   build/bench_train_cuda [seconds per measurement (default 3)] [1: sweep sizes only] [filter]
 *
 * A filter keeps the lines whose "model precision attention step" label contains it (for instance
 * "124M T1024 bf16 flash graph") and skips the measured peaks: a profiler then sees only those steps.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/cuda/gpu.h"
#include "train/internal.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct shape {
  const char *name;
  sf_gpt_config c;
  int B; /* sequences per step */
} shape;

/* One measurement: *tps tokens/s and *mfu, or the failure's status; eager: without CUDA graphs. */
static int measure(const shape *s, sf_precision p, int eager, double seconds, double *tps, double *mfu) {
  sf_gpt *h = NULL;
  sf_cuda_gpt *d = NULL;
  int rc = sf_gpt_new_params(&s->c, 1, &h);
  if (eager) setenv("SCALEFIT_CUDA_GRAPHS", "0", 1); /* read when the model is made */
  if (!rc) rc = sf_cuda_gpt_new(h, s->B, p, &d);
  unsetenv("SCALEFIT_CUDA_GRAPHS");
  int T = s->c.n_ctx, n = s->B * T;
  int *tok = malloc(sizeof(int) * (size_t)n), *tgt = malloc(sizeof(int) * (size_t)n);
  if (!rc && (!tok || !tgt)) rc = sf_fail(SF_ENOMEM, "out of memory");
  uint64_t rng[4];
  sf_rng_seed(rng, 3);
  for (int i = 0; !rc && i < n; i++) {
    tok[i] = (int)(sf_rng_next(rng) % (uint64_t)s->c.vocab);
    tgt[i] = (int)(sf_rng_next(rng) % (uint64_t)s->c.vocab);
  }
  double t0 = 0, t = 0, loss, norm;
  long steps = -2; /* two warm-up steps (cuBLAS picks its kernels; the graph is captured) */
  while (!rc && (steps < 3 || t < seconds)) {
    if (steps == 0) t0 = now();
    /* returns when the step is finished (its loss is on the host) */
    rc = sf_cuda_gpt_train_step(d, tok, tgt, 1, s->B, T, 1.0f / (float)n, 1e-4, steps + 3, 1.0, 0.1, &loss, &norm);
    steps++;
    if (steps > 0) t = now() - t0;
  }
  if (!rc) {
    double flops = 3.0 * s->B * sf_gpt_flops_forward(&s->c, T) * (double)steps;
    *tps = (double)n * (double)steps / t;
    *mfu = flops / t / sf_cuda_peak(p, NULL);
  }
  free(tok);
  free(tgt);
  sf_cuda_gpt_free(d);
  sf_gpt_free(h);
  return rc;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 3.0;
  int sweep_only = argc > 2 ? atoi(argv[2]) : 0;
  const char *filter = argc > 3 ? argv[3] : NULL;
  char name[128];
  if (sf_cuda_probe(name, sizeof name)) {
    printf("bench_train_cuda: skipped: %s\n", sf_errmsg());
    return 0;
  }
  const shape shapes[] = {
      {"default 2x32 T128 B16", {2, 32, 1, 128, 256}, 16}, /* datasets/sweeps/default.ini, batch 2048 */
      {"default 2x128 T128 B16", {2, 128, 2, 128, 256}, 16},
      {"sweep 2x64 T128 V256", {2, 64, 1, 128, 256}, 128},
      {"sweep 4x128 T128 V256", {4, 128, 2, 128, 256}, 128},
      {"sweep 6x256 T256 V256", {6, 256, 4, 256, 256}, 64},
      {"sweep 8x512 T256 V256", {8, 512, 8, 256, 256}, 64},
      {"GPT-2 small 124M T1024", {12, 768, 12, 1024, 50257}, 16},
  };
  sf_precision ps[] = {SF_PREC_FP32, SF_PREC_TF32, SF_PREC_BF16};
  const char *basis = "";
  double pk32 = sf_cuda_peak(SF_PREC_FP32, NULL), pktf = sf_cuda_peak(SF_PREC_TF32, NULL);
  double pkbf = sf_cuda_peak(SF_PREC_BF16, &basis);
  printf("GPU: %s; data-sheet peaks fp32 %.1f, tf32 %.1f, bf16 %.1f TFLOP/s (%s)\n", name, pk32 / 1e12, pktf / 1e12,
         pkbf / 1e12, basis);
  double measured[3] = {0, 0, 0};
  for (int k = 0; k < 3 && !filter; k++) {
    if (sf_cuda_gemm_peak(ps[k], 8192, seconds, &measured[k])) {
      printf("measured peak %s: failed: %s\n", sf_precision_name(ps[k]), sf_errmsg());
      continue;
    }
    printf("measured peak %s (8192^3 products): %.1f TFLOP/s, %.0f%% of the data sheet\n", sf_precision_name(ps[k]),
           measured[k] / 1e12, 100 * measured[k] / sf_cuda_peak(ps[k], NULL));
  }
  printf("%-24s %-5s %-6s %-5s %12s %8s %10s %10s\n", "model", "prec", "attn", "step", "tokens/s", "MFU",
         "/measured", "vs fp32");
  int nshapes = (int)(sizeof shapes / sizeof shapes[0]) - (sweep_only ? 1 : 0);
  for (int i = 0; i < nshapes; i++) {
    double base = 0, wmma = 0, graph = 0; /* fp32's; bf16 with the WMMA flash kernels'; bf16's */
    /* fp32, tf32, bf16, bf16 with the cuBLAS attention, bf16 with the mma.sync flash forwards, bf16
     * with the mma.sync flash forward and backward, bf16 launch by launch */
    for (int v = 0; v < 8; v++) {
      int k = v < 3 ? v : 2, eager = v == 7;
      if (v >= 3 && v <= 6 && !sf_cuda_flash(&shapes[i].c, SF_PREC_BF16)) continue;
      sf_cuda_set_attention(v == 3 ? SF_ATTN_MATMUL : SF_ATTN_AUTO);
      sf_cuda_set_flash_forward(v == 4 || v == 6 ? SF_FLASH_FWD_MMA
                                : v == 5         ? SF_FLASH_FWD_MMA_NOPREFETCH
                                                 : SF_FLASH_FWD_WMMA);
      sf_cuda_set_flash_backward(v == 6 ? SF_FLASH_BWD_MMA : SF_FLASH_BWD_WMMA);
      const char *attn = v == 4                                ? "mma-pf"
                         : v == 5                              ? "mma-np"
                         : v == 6                              ? "mma-bw"
                         : sf_cuda_flash(&shapes[i].c, ps[k]) ? "flash"
                                                               : "cublas";
      const char *step = eager ? "eager" : "graph";
      char label[160];
      snprintf(label, sizeof label, "%s %s %s %s", shapes[i].name, sf_precision_name(ps[k]), attn, step);
      if (filter && !strstr(label, filter)) {
        sf_cuda_set_attention(SF_ATTN_AUTO);
        sf_cuda_set_flash_forward(SF_FLASH_FWD_ENV);
        sf_cuda_set_flash_backward(SF_FLASH_BWD_ENV);
        continue;
      }
      double tps = 0, mfu = 0;
      int rc = measure(&shapes[i], ps[k], eager, seconds, &tps, &mfu);
      sf_cuda_set_attention(SF_ATTN_AUTO);
      sf_cuda_set_flash_forward(SF_FLASH_FWD_ENV);
      sf_cuda_set_flash_backward(SF_FLASH_BWD_ENV);
      if (rc) {
        printf("%-24s %-5s %-6s %-5s failed: %s\n", shapes[i].name, sf_precision_name(ps[k]), attn, step,
               sf_errmsg());
        continue;
      }
      if (k == 0) base = tps;
      if (v == 2 && !strcmp(attn, "flash")) wmma = tps;
      if (v == 2) graph = tps;
      double of_measured = measured[k] > 0 ? mfu * sf_cuda_peak(ps[k], NULL) / measured[k] : 0.0;
      printf("%-24s %-5s %-6s %-5s %12.0f %7.1f%% %9.1f%% %9.2fx", shapes[i].name, sf_precision_name(ps[k]), attn,
             step, tps, 100 * mfu, 100 * of_measured, base > 0 ? tps / base : 0.0);
      if ((v == 4 || v == 5) && wmma > 0) printf("  %.2fx the WMMA forward's", tps / wmma);
      if (v == 6 && wmma > 0) printf("  %.2fx the WMMA forward and backward's", tps / wmma);
      if (v == 7 && graph > 0) printf("  the graph: %.2fx this", graph / tps);
      printf("\n");
      fflush(stdout);
    }
  }
  return 0;
}
