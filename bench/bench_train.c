/* bench_train.c: the trainer's throughput against the machine's sgemm peak, in one process.
 *
 * Measures the fp32 sgemm peak before and after each model (sf_train_sgemm_peak: square and thin shapes, OpenBLAS's own
 * threading and rows split over OpenMP), then times training steps (forward, backward, AdamW-free:
 * the optimiser is O(N) and not a product) for models of d_model 64..512 and prints tokens/s,
 * achieved GFLOP/s (exact FLOP count, sf_gpt_flops_forward) and the ratio to the peak (MFU).
 * The ratio is what to read: absolute numbers move with other work on a shared machine.
 * The first lines are the default sweep's own shapes (datasets/sweeps/default.ini: two layers,
 * context 128, one head below d_model 128, 16 sequences per pass as its runs take them); the
 * others, four layers and 4096 tokens per pass, the larger models.
 *
 *   build/bench_train [threads] [seconds-per-model]
 */
#include <scalefit/sf_train.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 0;
  double secs = argc > 2 ? atof(argv[2]) : 3.0;
  sf_train_set_threads(threads);
  printf("MFU = achieved FLOP/s / sgemm peak, the peak measured just before and just after each model\n"
         "(the machine is shared: the bracketing keeps the ratio honest when the load drifts)\n\n");
  printf("%6s %6s %5s %5s %4s %10s %10s %10s %10s %8s %8s\n", "layers", "d", "heads", "ctx", "B", "params",
         "tokens/s", "GFLOP/s", "peak", "MFU", "attn%");
  /* layers, d_model, heads, context, sequences per pass */
  static const int cfgs[][5] = {{2, 16, 1, 128, 16},  {2, 32, 1, 128, 16},  {2, 64, 1, 128, 16},
                                {2, 128, 2, 128, 16}, {4, 64, 2, 128, 32},  {4, 128, 2, 128, 32},
                                {4, 256, 4, 256, 16}, {4, 384, 6, 256, 16}, {4, 512, 8, 256, 16}};
  for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
    sf_gpt_config c = {cfgs[i][0], cfgs[i][1], cfgs[i][2], cfgs[i][3], 256};
    int T = c.n_ctx, B = cfgs[i][4];
    sf_gpt *g = NULL;
    if (sf_gpt_new(&c, B, 1, &g)) return 1;
    int *tok = malloc(sizeof(int) * (size_t)B * T), *tgt = malloc(sizeof(int) * (size_t)B * T);
    uint64_t rng[4];
    sf_rng_seed(rng, 7);
    for (int k = 0; k < B * T; k++) {
      tok[k] = (int)(sf_rng_next(rng) % 256);
      tgt[k] = (int)(sf_rng_next(rng) % 256);
    }
    double peak0 = sf_train_sgemm_peak(0.5);
    sf_gpt_forward(g, tok, tgt, B, T); /* warm-up */
    sf_gpt_backward(g, 1.0f / (float)(B * T));
    long steps = 0;
    double t0 = now(), t = 0;
    do {
      sf_gpt_forward(g, tok, tgt, B, T);
      sf_gpt_backward(g, 1.0f / (float)(B * T));
      steps++;
      t = now() - t0;
    } while (t < secs);
    double peak = 0.5 * (peak0 + sf_train_sgemm_peak(0.5));
    double fl = 3.0 * B * sf_gpt_flops_forward(&c, T) * (double)steps;
    double C = c.d_model, attn = 2.0 * c.n_layer * C * T * (T + 1.0) / sf_gpt_flops_forward(&c, T);
    printf("%6d %6d %5d %5d %4d %10.3g %10.0f %10.1f %10.1f %7.1f%% %7.1f%%\n", c.n_layer, c.d_model, c.n_head, T,
           B, sf_gpt_nparams(&c), (double)steps * B * T / t, fl / t / 1e9, peak / 1e9, 100.0 * fl / t / peak,
           100.0 * attn);
    free(tok);
    free(tgt);
    sf_gpt_free(g);
  }
  return 0;
}
