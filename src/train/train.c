/* train.c: the training loop. Resolves defaults by model size, then runs AdamW with linear
 * warm-up and cosine decay to min_lr_frac of the peak over exactly this run's steps, global-norm
 * clipping, gradient accumulation over micro-batches (the model's activations are sized for one
 * micro-batch), periodic validation on the fixed validation set, and the measurements of
 * sf_train_result. Also the thread setting and the sgemm peak that MFU is measured against.
 * Allocates before the loop and frees after it; nothing is allocated per step. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include <gsl/gsl_cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "train/checkpoint.h"
#include "train/cuda/gpu.h"
#include "train/internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* OpenBLAS's own thread count; absent when GSL's reference CBLAS is linked instead. */
extern void openblas_set_num_threads(int) __attribute__((weak));

const char *const sf_train_curve_names[SF_TRAIN_CURVE_COLS] = {"step", "tokens", "flops", "train_loss", "val_loss"};
const char *const sf_train_curve_units[SF_TRAIN_CURVE_COLS] = {"", "tokens", "FLOP", "nats/token", "nats/token"};

enum { MICRO_TOKENS = 4096 }; /* rows per micro-batch: enough for sgemm to run at full speed */
/* On a GPU: up to 16384 rows per micro-batch (GPT-2 small's 124M at context 1024 then needs about
 * 25 GB), fewer when the device has less memory free. */
enum { GPU_MICRO_TOKENS = 16384 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* OpenBLAS stays single-threaded: the layers split each product over OpenMP threads themselves
 * (see layers.c), so only one pool of threads competes for the cores. */
void sf_train_set_threads(int threads) {
#ifdef _OPENMP
  if (threads <= 0) threads = omp_get_num_procs();
  omp_set_num_threads(threads);
#endif
  if (openblas_set_num_threads) openblas_set_num_threads(1);
}

static int current_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

double sf_train_sgemm_peak(double seconds) {
  static const int shapes[][3] = {{1024, 1024, 1024}, {2048, 768, 256}, {4096, 256, 1024}, {4096, 1024, 256}};
  enum { NS = sizeof shapes / sizeof shapes[0] };
  size_t maxa = 0, maxb = 0, maxc = 0;
  for (int i = 0; i < NS; i++) {
    size_t m = (size_t)shapes[i][0], n = (size_t)shapes[i][1], k = (size_t)shapes[i][2];
    if (m * k > maxa) maxa = m * k;
    if (k * n > maxb) maxb = k * n;
    if (m * n > maxc) maxc = m * n;
  }
  float *A = malloc(sizeof(float) * maxa), *B = malloc(sizeof(float) * maxb), *Cm = malloc(sizeof(float) * maxc);
  double best = NAN;
  if (A && B && Cm) {
    for (size_t i = 0; i < maxa; i++) A[i] = (float)((i % 17) * 0.01);
    for (size_t i = 0; i < maxb; i++) B[i] = (float)((i % 13) * 0.01);
    best = 0.0;
    int nth = current_threads();
    /* twice: OpenBLAS threading itself, then rows split over OpenMP threads as the layers do */
    for (int way = 0; way < 2; way++) {
      if (openblas_set_num_threads) openblas_set_num_threads(way == 0 ? nth : 1);
      for (int s = 0; s < NS; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        double t0 = 0.0, t = 0.0;
        long reps = -1; /* the first call warms up and is not timed */
        do {
          if (reps == 0) t0 = now();
          if (way == 0) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, A, k, B, n, 0.0f, Cm, n);
          } else {
#pragma omp parallel
            {
              int tid = 0, nt = 1;
#ifdef _OPENMP
              tid = omp_get_thread_num();
              nt = omp_get_num_threads();
#endif
              int r0 = (int)((long)m * tid / nt), r1 = (int)((long)m * (tid + 1) / nt);
              cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, n, k, 1.0f, A + (size_t)r0 * k, k, B,
                          n, 0.0f, Cm + (size_t)r0 * n, n);
            }
          }
          reps++;
          t = reps > 0 ? now() - t0 : 0.0;
        } while (t < seconds / (2 * NS));
        double rate = 2.0 * m * n * k * (double)reps / t;
        if (rate > best) best = rate;
      }
    }
    if (openblas_set_num_threads) openblas_set_num_threads(1);
  }
  free(A);
  free(B);
  free(Cm);
  return best;
}

int sf_train_resolve(sf_train_config *c) {
  int rc = sf_gpt_config_check(&c->model);
  if (rc) return rc;
  int T = c->model.n_ctx;
  if (!(c->tokens > 0) || !isfinite(c->tokens)) return sf_fail(SF_EINPUT, "token budget %g must be positive", c->tokens);
  if (c->batch_tokens < 0) return sf_fail(SF_EINPUT, "batch of %ld tokens must be positive", c->batch_tokens);
  if (c->batch_tokens == 0) c->batch_tokens = 16L * T;
  if (c->batch_tokens % T)
    return sf_fail(SF_EINPUT, "batch of %ld tokens is not a multiple of the context %d", c->batch_tokens, T);
  if (c->tokens < (double)c->batch_tokens)
    return sf_fail(SF_EINPUT, "token budget %.0f is smaller than one batch (%ld tokens)", c->tokens, c->batch_tokens);
  /* steps are counted in a long, and no run here takes anywhere near this many */
  if (c->tokens / (double)c->batch_tokens > 1e12)
    return sf_fail(SF_EINPUT, "token budget %g is %.3g batches of %ld tokens: more than the 1e12 steps a run may take",
                   c->tokens, c->tokens / (double)c->batch_tokens, c->batch_tokens);
  if (c->lr == 0) c->lr = 3e-3 * fmin(1.0, sqrt(128.0 / c->model.d_model));
  if (!(c->lr > 0) || c->lr > 1 || !isfinite(c->lr)) return sf_fail(SF_EINPUT, "learning rate %g is out of range (0, 1]", c->lr);
  if (c->warmup_frac == 0) c->warmup_frac = 0.1;
  if (!(c->warmup_frac > 0 && c->warmup_frac < 1))
    return sf_fail(SF_EINPUT, "warm-up fraction %g is out of range (0, 1)", c->warmup_frac);
  if (c->min_lr_frac == 0) c->min_lr_frac = 0.1;
  if (!(c->min_lr_frac > 0 && c->min_lr_frac <= 1))
    return sf_fail(SF_EINPUT, "final learning-rate fraction %g is out of range (0, 1]", c->min_lr_frac);
  if (c->weight_decay < 0) c->weight_decay = 0.1;
  if (c->grad_clip == 0) c->grad_clip = 1.0;
  if (!(c->grad_clip > 0)) return sf_fail(SF_EINPUT, "gradient clip %g must be positive", c->grad_clip);
  if (c->val_tokens == 0) c->val_tokens = 16384;
  if (c->val_tokens < 0) return sf_fail(SF_EINPUT, "validation tokens %ld must be positive", c->val_tokens);
  if (c->evals == 0) c->evals = 10;
  if (c->evals < 0) return sf_fail(SF_EINPUT, "evaluations %d must be positive", c->evals);
  if (c->threads < 0) return sf_fail(SF_EINPUT, "threads %d must be positive", c->threads);
  if (c->device != SF_DEVICE_CPU && c->device != SF_DEVICE_CUDA)
    return sf_fail(SF_EINPUT, "device %d is not one of cpu, cuda", (int)c->device);
  if (c->precision == SF_PREC_DEFAULT) c->precision = c->device == SF_DEVICE_CUDA ? SF_PREC_BF16 : SF_PREC_FP32;
  if (c->precision != SF_PREC_FP32 && c->precision != SF_PREC_TF32 && c->precision != SF_PREC_BF16)
    return sf_fail(SF_EINPUT, "precision %d is not one of fp32, tf32, bf16", (int)c->precision);
  if (c->device == SF_DEVICE_CPU && c->precision != SF_PREC_FP32)
    return sf_fail(SF_EINPUT, "precision %s needs a GPU (device cuda): the CPU trainer computes in fp32",
                   sf_precision_name(c->precision));
  if (c->threads == 0) {
#ifdef _OPENMP
    c->threads = c->model.d_model < 128 ? 1 : omp_get_num_procs();
#else
    c->threads = 1;
#endif
  }
  return SF_OK;
}

static void adamw(sf_gpt *g, const sf_train_config *c, double lr, long t, float gscale);

/* The model a run trains: the CPU's sf_gpt, or the GPU's sf_cuda_gpt beside a host sf_gpt that
 * holds only the weights (their initialisation, and checkpoints in the CPU's file format). The
 * loop below is the same for both; a training step is the CPU's calls or the GPU's one call
 * (sf_cuda_gpt_train_step), and evaluation goes through the operations below. */
typedef struct engine {
  sf_gpt *g;
  sf_cuda_gpt *d; /* NULL on the CPU */
  float *probs;   /* GPU: host copy of the probabilities, for accuracy (addition data only) */
} engine;

static int eng_forward(engine *e, const int *tok, const int *tgt, int B, int T, double *loss) {
  if (e->d) return sf_cuda_gpt_forward(e->d, tok, tgt, B, T, loss);
  *loss = sf_gpt_forward(e->g, tok, tgt, B, T);
  return SF_OK;
}

/* SCALEFIT_ATTENTION, a switch for comparing and for a way out (docs/TRAIN.md): auto or flash (the
 * default: flash attention in bf16 where the head size allows it), cublas (the cuBLAS attention).
 * model.cu reads it where the attention is chosen (so a sweep's record writer sees it too); here its
 * value is checked before a GPU run. */
static int attention_env_check(void) {
  const char *e = getenv("SCALEFIT_ATTENTION");
  if (!e || !*e || !strcmp(e, "auto") || !strcmp(e, "flash") || !strcmp(e, "cublas")) return SF_OK;
  return sf_fail(SF_EINPUT, "SCALEFIT_ATTENTION '%s' is not one of auto, flash, cublas", e);
}

/* Mean loss (nats/token) over the first nseq validation sequences; accuracy (exact match of each
 * group of alen answer targets) when alen > 0. */
static int evaluate(engine *e, const sf_source *src, int micro, int T, long nseq, int alen, int *tok, int *tgt,
                    double *accuracy, double *mean_loss) {
  double loss = 0.0;
  long count = 0, right = 0, problems = 0;
  int V = sf_gpt_cfg(e->g)->vocab;
  for (long first = 0; first < nseq; first += micro) {
    int B = (int)(nseq - first < micro ? nseq - first : micro), rc;
    double l;
    sf_source_val_batch(src, (size_t)first, B, T, tok, tgt);
    if ((rc = eng_forward(e, tok, tgt, B, T, &l))) return rc;
    loss += l;
    const float *probs = e->d ? e->probs : sf_gpt_probs(e->g);
    if (e->d && alen > 0 && (rc = sf_cuda_gpt_probs(e->d, e->probs))) return rc;
    int run = 0, ok = 1;
    for (long i = 0; i < (long)B * T; i++) {
      if (tgt[i] < 0) continue;
      count++;
      if (alen <= 0) continue;
      const float *p = probs + (size_t)i * V;
      int arg = 0;
      for (int v = 1; v < V; v++)
        if (p[v] > p[arg]) arg = v;
      ok &= arg == tgt[i];
      if (++run == alen) {
        problems++;
        right += ok;
        run = 0;
        ok = 1;
      }
    }
  }
  *accuracy = problems ? (double)right / (double)problems : NAN;
  *mean_loss = count ? loss / (double)count : NAN;
  return SF_OK;
}

static double grad_norm(const float *g, size_t n) {
  enum { CHUNKS = 64 };
  double part[CHUNKS];
#pragma omp parallel for schedule(static)
  for (int c = 0; c < CHUNKS; c++) {
    size_t a = n * (size_t)c / CHUNKS, b = n * (size_t)(c + 1) / CHUNKS;
    double s = 0.0;
    for (size_t i = a; i < b; i++) s += (double)g[i] * g[i];
    part[c] = s;
  }
  double s = 0.0;
  for (int c = 0; c < CHUNKS; c++) s += part[c];
  return sqrt(s);
}

static void adamw(sf_gpt *g, const sf_train_config *c, double lr, long t, float gscale) {
  float *p = sf_gpt_params(g), *gr = sf_gpt_grads(g), *m = sf_gpt_moment1(g), *v = sf_gpt_moment2(g);
  const float b1 = 0.9f, b2 = 0.95f, eps = 1e-8f;
  float c1 = (float)(1.0 / (1.0 - pow(b1, (double)t))), c2 = (float)(1.0 / (1.0 - pow(b2, (double)t)));
  for (size_t k = 0; k < sf_gpt_ntensors(); k++) {
    size_t off, n;
    int decay;
    sf_gpt_tensor(g, k, NULL, &off, &n, &decay);
    float wd = decay ? (float)c->weight_decay : 0.0f, flr = (float)lr;
    float *pp = p + off, *gg = gr + off, *mm = m + off, *vv = v + off;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
      float gi = gg[i] * gscale;
      mm[i] = b1 * mm[i] + (1.0f - b1) * gi;
      vv[i] = b2 * vv[i] + (1.0f - b2) * gi * gi;
      pp[i] -= flr * ((mm[i] * c1) / (sqrtf(vv[i] * c2) + eps) + wd * pp[i]);
    }
  }
}

static double schedule(const sf_train_config *c, long step, long steps, long warmup) {
  if (step < warmup) return c->lr * (double)(step + 1) / (double)warmup;
  double prog = steps > warmup ? (double)(step - warmup) / (double)(steps - warmup) : 1.0;
  double lo = c->lr * c->min_lr_frac;
  return lo + (c->lr - lo) * 0.5 * (1.0 + cos(M_PI * prog));
}

void sf_train_result_free(sf_train_result *r) {
  if (!r) return;
  free(r->curve);
  r->curve = NULL;
  r->ncurve = 0;
}

int sf_train_run(const sf_train_config *cfg, sf_source *src, sf_train_progress_fn progress, void *ctx,
                 sf_train_result *res) {
  memset(res, 0, sizeof *res);
  const sf_gpt_config *mc = &cfg->model;
  if (mc->vocab != sf_source_vocab(src))
    return sf_fail(SF_EINPUT, "model vocabulary %d does not match the %s data's %d", mc->vocab, sf_source_name(src),
                   sf_source_vocab(src));
  int rc = sf_source_check_context(src, mc->n_ctx);
  if (rc) return rc;
  const int gpu = cfg->device == SF_DEVICE_CUDA;
  char devname[sizeof res->device] = {0}; /* all of it goes into the record, which is sent as bytes */
  if ((rc = sf_train_device_check(cfg->device, devname, sizeof devname))) return rc;
  if (gpu && (rc = attention_env_check())) return rc;
  sf_precision prec = cfg->precision ? cfg->precision : gpu ? SF_PREC_BF16 : SF_PREC_FP32;
  if (!gpu && prec != SF_PREC_FP32)
    return sf_fail(SF_EINPUT, "precision %s needs a GPU (device cuda): the CPU trainer computes in fp32",
                   sf_precision_name(prec));
  sf_train_set_threads(cfg->threads);
  int threads_used = current_threads();
  double peak = cfg->peak_flops > 0 ? cfg->peak_flops : gpu ? sf_cuda_peak(prec, NULL) : sf_train_sgemm_peak(1.0);

  const int T = mc->n_ctx;
  const long bseq = cfg->batch_tokens / T, steps = (long)floor(cfg->tokens / (double)cfg->batch_tokens);
  int micro = 1;
  if (!gpu) {
    for (long d = 1; d <= bseq; d++)
      if (bseq % d == 0 && d * T <= MICRO_TOKENS) micro = (int)d;
  } else {
    /* the largest divisor of the batch that fits in the rows and in this process's memory budget */
    size_t budget = 0;
    int sharing = 1;
    if ((rc = sf_cuda_memory_budget(&budget, &sharing))) return rc;
    micro = 0;
    for (long d = 1; d <= bseq; d++)
      if (bseq % d == 0 && (d == 1 || d * T <= GPU_MICRO_TOKENS) && sf_cuda_gpt_bytes(mc, (int)d, prec) <= budget)
        micro = (int)d;
    if (!micro)
      return sf_fail(SF_ENOMEM, "the model needs %.1f GB of GPU memory for one sequence; %s leaves %.1f GB to %s",
                     (double)sf_cuda_gpt_bytes(mc, 1, prec) / 1e9, devname, (double)budget / 1e9,
                     sharing > 1 ? "each of the processes sharing it" : "a run");
  }
  long accum = bseq / micro, nval = cfg->val_tokens / T > 0 ? cfg->val_tokens / T : 1;
  /* Intermediate validations use a prefix of the set small enough that all of them together cost
   * at most ~10% of the training compute (a forward pass is a third of a step per token); the
   * final one always uses the whole set. */
  long nval_mid = (long)(0.1 * 3.0 * (double)steps * (double)bseq / (double)cfg->evals);
  if (nval_mid > nval) nval_mid = nval;
  if (nval_mid < 1) nval_mid = 1;
  long warmup = (long)ceil(cfg->warmup_frac * (double)steps);
  if (warmup > 200) warmup = 200;
  if (warmup < 1) warmup = 1;
  long log_every = steps / 100 > 1 ? steps / 100 : 1, npoints = (steps + log_every - 1) / log_every;
  long eval_every = log_every * (npoints / cfg->evals > 1 ? npoints / cfg->evals : 1);
  int alen = sf_source_answer_len(src);

  sf_gpt *g = NULL;
  engine eng = {NULL, NULL, NULL};
  char *cline = NULL;
  /* the same weights on both: initialised here, and copied to the GPU */
  rc = gpu ? sf_gpt_new_params(mc, cfg->seed, &g) : sf_gpt_new(mc, micro, cfg->seed, &g);
  if (rc) return rc;
  eng.g = g;
  if (gpu && !rc && (rc = sf_cuda_gpt_new(g, micro, prec, &eng.d))) {
    sf_gpt_free(g);
    return rc;
  }
  if (gpu && alen > 0 && !(eng.probs = malloc(sizeof(float) * (size_t)micro * T * mc->vocab))) {
    sf_cuda_gpt_free(eng.d);
    sf_gpt_free(g);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  int *tok = malloc(sizeof(int) * (size_t)bseq * T), *tgt = malloc(sizeof(int) * (size_t)bseq * T);
  double *curve = malloc(sizeof(double) * SF_TRAIN_CURVE_COLS * (size_t)(npoints + 1));
  if (!tok || !tgt || !curve) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  uint64_t rng[4];
  sf_rng_seed(rng, cfg->seed ^ 0xda7a5eedda7a5eedULL);

  const double step_flops = 3.0 * (double)bseq * sf_gpt_flops_forward(mc, T);
  double t_start = now(), t_wall0 = 0.0, t_train = 0.0, acc_loss = 0.0, tail_loss = 0.0, val = NAN, accuracy = NAN;
  long acc_n = 0, tail_n = 0, tail_from = steps - (steps + 9) / 10, step0 = 0;
  size_t np = 0;
  double every = cfg->checkpoint_every > 0 ? cfg->checkpoint_every : 60.0, last_ckpt = now();
  sf_ckpt_state st;
  memset(&st, 0, sizeof st);
  if (cfg->checkpoint) {
    sf_train_config ck = *cfg;
    ck.precision = prec;
    if (!(cline = sf_ckpt_config_line(&ck, threads_used, src))) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto done;
    }
    if (access(cfg->checkpoint, F_OK) == 0) {
      if ((rc = sf_ckpt_load(cfg->checkpoint, cline, &st, curve, (size_t)npoints + 1, g))) goto done;
      if (gpu && (rc = sf_cuda_gpt_upload(eng.d, g))) goto done;
      step0 = st.step;
      memcpy(rng, st.rng, sizeof rng);
      acc_loss = st.acc_loss;
      tail_loss = st.tail_loss;
      val = st.val;
      accuracy = st.accuracy;
      t_train = st.t_train;
      t_wall0 = st.t_wall; /* the earlier invocations' wall time, as t_train holds their steps' */
      acc_n = st.acc_n;
      tail_n = st.tail_n;
      np = st.np;
    }
  }
  for (long step = step0; step < steps; step++) {
    double t0 = now();
    sf_source_train_batch(src, rng, (int)bseq, T, tok, tgt);
    long count = 0;
    for (long i = 0; i < bseq * T; i++) count += tgt[i] >= 0;
    double loss = 0.0, norm = 0.0, lr = schedule(cfg, step, steps, warmup);
    float scale = count ? 1.0f / (float)count : 0.0f;
    if (gpu) {
      /* the whole step in one submission (model.cu: a CUDA graph), the update included: the GPU
       * applies this loop's clipping rule itself, and skips the update when the norm is not finite */
      if ((rc = sf_cuda_gpt_train_step(eng.d, tok, tgt, (int)accum, micro, T, scale, lr, step + 1, cfg->grad_clip,
                                       cfg->weight_decay, &loss, &norm)))
        goto done;
    } else {
      sf_gpt_zero_grad(g);
      for (long a = 0; a < accum; a++) {
        size_t o = (size_t)a * micro * T;
        loss += sf_gpt_forward(g, tok + o, tgt + o, micro, T);
        sf_gpt_backward(g, scale);
      }
      norm = grad_norm(sf_gpt_grads(g), sf_gpt_size(g));
    }
    loss = count ? loss / (double)count : 0.0;
    if (!isfinite(loss) || !isfinite(norm)) {
      rc = sf_fail(SF_ENUMERIC, "training diverged at step %ld of %ld (loss %g, gradient norm %g); try a lower --lr",
                   step + 1, steps, loss, norm);
      goto done;
    }
    if (!gpu) adamw(g, cfg, lr, step + 1, norm > cfg->grad_clip ? (float)(cfg->grad_clip / norm) : 1.0f);
    t_train += now() - t0;
    acc_loss += loss;
    acc_n++;
    if (step >= tail_from) {
      tail_loss += loss;
      tail_n++;
    }
    int last = step == steps - 1;
    if ((step + 1) % log_every == 0 || last) {
      double v = NAN;
      if ((step + 1) % eval_every == 0 || last) {
        if ((rc = evaluate(&eng, src, micro, T, last ? nval : nval_mid, alen, tok, tgt, &accuracy, &v))) goto done;
        val = v;
      }
      double *row = curve + SF_TRAIN_CURVE_COLS * np++;
      row[0] = (double)(step + 1);
      row[1] = (double)(step + 1) * (double)cfg->batch_tokens;
      row[2] = (double)(step + 1) * step_flops;
      row[3] = acc_loss / (double)acc_n;
      row[4] = v;
      acc_loss = 0.0;
      acc_n = 0;
    }
    /* a stop asked for (Ctrl-C) saves the checkpoint first: the steps since the last one are kept;
     * after the last step only the final validation is left, and the run ends */
    int stop = progress && progress(ctx, step + 1, steps, loss, now() - t_start) && step + 1 < steps;
    if (cfg->checkpoint && step + 1 < steps && (stop || now() - last_ckpt >= every)) {
      st = (sf_ckpt_state){step + 1, {rng[0], rng[1], rng[2], rng[3]}, acc_loss, tail_loss, val, accuracy, t_train,
                           t_wall0 + now() - t_start, acc_n, tail_n, np};
      if (gpu && (rc = sf_cuda_gpt_download(eng.d, g, 0))) goto done;
      if ((rc = sf_ckpt_save(cfg->checkpoint, cline, &st, curve, g))) goto done;
      last_ckpt = now();
    }
    if (stop) {
      rc = sf_fail(SF_EUSAGE, "interrupted at step %ld of %ld", step + 1, steps);
      goto done;
    }
  }
  res->cfg = *cfg;
  res->cfg.threads = threads_used;
  res->cfg.precision = prec;
  memcpy(res->device, devname, sizeof res->device);
  res->N = sf_gpt_nparams(mc);
  res->N_nonembed = sf_gpt_nparams_nonembed(mc);
  res->D = (double)steps * (double)cfg->batch_tokens;
  res->flops = (double)steps * step_flops;
  res->flops_6nd = 6.0 * res->N * res->D;
  res->train_loss = tail_n ? tail_loss / (double)tail_n : NAN;
  res->val_loss = val;
  res->val_bpb = sf_source_kind(src) == SF_DATA_CORPUS ? val / M_LN2 : NAN;
  res->accuracy = alen > 0 ? accuracy : NAN;
  res->entropy_rate = sf_source_entropy_rate(src);
  res->val_entropy = sf_source_val_entropy(src, T, nval);
  res->seconds = t_wall0 + now() - t_start;
  res->train_seconds = t_train;
  res->tokens_per_s = res->D / t_train;
  res->peak_flops = peak;
  res->mfu = res->flops / t_train / peak;
  res->steps = steps;
  res->micro_batch = micro;
  res->accum = accum;
  res->ncurve = np;
  res->curve = curve;
  curve = NULL;
done:
  free(cline);
  free(curve);
  free(tok);
  free(tgt);
  free(eng.probs);
  sf_cuda_gpt_free(eng.d);
  sf_gpt_free(g);
  return rc;
}
