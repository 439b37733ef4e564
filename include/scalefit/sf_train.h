/* sf_train.h: the trainer, a small GPT trained from scratch to make fresh scaling data, on the CPU
 * or (built with CUDA, docs/TRAIN.md) on an NVIDIA GPU: the same model, initialisation, data and
 * optimiser on both (sf_train_config.device).
 *
 * Three parts, used in this order by `scalefit train` and `scalefit sweep`:
 *
 *   model    sf_gpt: a decoder-only transformer (token + learned position embeddings, pre-LayerNorm
 *            blocks of causal multi-head attention and a 4x GELU MLP, final LayerNorm, output tied
 *            to the token embedding), fp32, forward and backward in C with OpenMP and CBLAS.
 *            Deterministic for a seed and a thread count.
 *   data     sf_source: byte-level text from a Debian package, a random order-k Markov chain with
 *            an exactly known entropy rate, or multi-digit addition with exact-match accuracy.
 *   trainer  sf_train_run: AdamW, linear warm-up then cosine decay to 10% of the peak over the
 *            run's own token budget, gradient clipping, batch size in tokens; measures loss,
 *            FLOPs, throughput and MFU into an sf_train_result.
 *
 * Parameter count (tied output, so the LM head adds nothing): with V vocabulary, T context,
 * C = d_model, L layers,
 *   N           = V*C + T*C + L*(12*C^2 + 13*C) + 2*C
 *   N_nonembed  = N - V*C - T*C                       (Kaplan et al. 2020's N)
 * FLOPs are the multiply-adds of every matrix product actually needed, times 2: per sequence of
 * T tokens, forward
 *   F = T*(24*L*C^2 + 2*C*V) + 2*L*C*T*(T+1)          (attention's QK^T and PV, causal half)
 * and backward 2F (gradients of both operands of every product), so a training step costs 3F per
 * sequence. Element-wise work (LayerNorm, softmax, GELU, AdamW: O(N + T*C) per token) is not
 * counted, as in Kaplan's and Hoffmann's counts; 6*N*D is reported beside it.
 */
#ifndef SF_TRAIN_H
#define SF_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ============================== model ============================== */

typedef struct sf_gpt_config {
  int n_layer; /* L >= 1 */
  int d_model; /* C >= 1, divisible by n_head */
  int n_head;  /* NH >= 1 */
  int n_ctx;   /* T, the context length, >= 1 */
  int vocab;   /* V, 2..65536 */
} sf_gpt_config;

/* SF_OK, or SF_EINPUT naming the bad field ("d_model 100 is not divisible by heads 3"). */
int sf_gpt_config_check(const sf_gpt_config *c);
double sf_gpt_nparams(const sf_gpt_config *c);
double sf_gpt_nparams_nonembed(const sf_gpt_config *c);
/* FLOPs of one forward pass over one sequence of T tokens (formula above); a training step on B
 * sequences costs 3 * B * sf_gpt_flops_forward(c, T). */
double sf_gpt_flops_forward(const sf_gpt_config *c, int T);

typedef struct sf_gpt sf_gpt;

/* Allocates parameters, gradients, AdamW moments and activations for up to max_B sequences of
 * n_ctx tokens, in a handful of allocations made here and never in the training loop, and
 * initialises the weights GPT-2's way from seed (normal, std 0.02; residual projections
 * 0.02/sqrt(2L); LayerNorm gains 1, biases 0). SF_EINPUT for a bad config, SF_ENOMEM. */
int sf_gpt_new(const sf_gpt_config *c, int max_B, uint64_t seed, sf_gpt **out);
void sf_gpt_free(sf_gpt *g); /* NULL-safe */
const sf_gpt_config *sf_gpt_cfg(const sf_gpt *g);
size_t sf_gpt_size(const sf_gpt *g); /* number of parameters (floats) */
float *sf_gpt_params(sf_gpt *g);     /* all parameters, one array of sf_gpt_size() floats */
float *sf_gpt_grads(sf_gpt *g);      /* their gradients, same layout */

/* The parameter tensors in their order in params: name ("wte", "h.qkv_w", ...), offset, size, and
 * whether AdamW decays it (matrices and embeddings yes, biases and LayerNorm no). i < ntensors. */
size_t sf_gpt_ntensors(void);
void sf_gpt_tensor(const sf_gpt *g, size_t i, const char **name, size_t *offset, size_t *size, int *decay);

/* Forward pass on B <= max_B sequences of T <= n_ctx tokens. tokens and targets are B*T ids
 * (row-major, sequence by sequence); a target < 0 is masked (no loss, no gradient). Returns the
 * SUM of the cross-entropy losses (nats) over unmasked targets. The probabilities stay available
 * (sf_gpt_probs) and the activations for one sf_gpt_backward. */
double sf_gpt_forward(sf_gpt *g, const int *tokens, const int *targets, int B, int T);
const float *sf_gpt_probs(const sf_gpt *g); /* [B*T, V] after forward (overwritten by backward) */
void sf_gpt_zero_grad(sf_gpt *g);
/* Adds the gradient of scale * (summed loss of the last forward) to the gradients: scale =
 * 1/(targets in the whole batch) gives the batch mean over micro-batches. */
void sf_gpt_backward(sf_gpt *g, float scale);

/* ============================== data ============================== */

typedef enum { SF_DATA_CORPUS, SF_DATA_MARKOV, SF_DATA_ADDITION } sf_data_kind;

/* The corpus: the reStructuredText sources of Python's documentation, from the Debian package
 * below (12 MB of English prose with code, 497 files). Files are read in byte order of their paths
 * and every 20th file (index % 20 == 10) is the validation split: a fixed split of ~5%. */
#define SF_CORPUS_PACKAGE "python3.11-doc"
#define SF_CORPUS_DIR "/usr/share/doc/python3.11/html/_sources"

typedef struct sf_source_spec {
  sf_data_kind kind;
  const char *corpus_dir; /* NULL: SF_CORPUS_DIR (the package's) */
  int markov_vocab;       /* 0: 64 */
  int markov_order;       /* 0: 2 */
  double markov_alpha;    /* Dirichlet concentration of each transition row; 0: 0.1 */
  uint64_t markov_seed;   /* the chain itself (not the training seed); 0: 1 */
  int add_digits;         /* digits per operand; 0: 3 */
} sf_source_spec;

typedef struct sf_source sf_source;

/* SF_EINPUT with a clear message when the corpus is missing (naming the package to install) or a
 * parameter is out of range; SF_ENOMEM. */
int sf_source_open(const sf_source_spec *spec, sf_source **out);
void sf_source_free(sf_source *s);
sf_data_kind sf_source_kind(const sf_source *s);
int sf_source_vocab(const sf_source *s);
/* One line for run records: "python3.11-doc 3.11.2-6+deb12u9, 11.9 MB train, 0.6 MB val, byte-level",
 * "markov vocab 64 order 2 alpha 0.1 seed 1, entropy rate 2.3585 nats", "addition 3 digits". */
const char *sf_source_describe(const sf_source *s);
const char *sf_source_name(const sf_source *s); /* "corpus", "markov", "addition" */
/* The exact entropy rate (nats/token) of the Markov source; NaN for the others. */
double sf_source_entropy_rate(const sf_source *s);
/* The loss (nats/token) of the Markov chain itself on the first nseq validation sequences of T
 * tokens: what a perfect model scores on exactly the validation tokens a run is measured on. It
 * differs from the entropy rate by sampling noise (about 1/sqrt(tokens)), an offset every run on
 * that validation set shares. NaN for the other sources (or on OOM). */
double sf_source_val_entropy(const sf_source *s, int T, long nseq);
/* Addition: answer tokens per problem (the digits of the reversed sum); 0 otherwise. */
int sf_source_answer_len(const sf_source *s);
/* Bytes of the corpus splits (0 for synthetic sources). */
size_t sf_source_train_size(const sf_source *s);
size_t sf_source_val_size(const sf_source *s);

/* SF_OK if sequences of T tokens can be drawn (the corpus's validation split holds one; an addition
 * problem fits in T), SF_EINPUT saying why not. */
int sf_source_check_context(const sf_source *s, int T);

/* B sequences of T tokens and their targets (next tokens, or -1 where masked), drawn with the
 * caller's RNG state rng[4] (seed it with sf_rng_seed). */
void sf_source_train_batch(sf_source *s, uint64_t rng[4], int B, int T, int *tokens, int *targets);
/* The fixed validation set: sequence i (0, 1, ...) is the same for every run with the same T. */
void sf_source_val_batch(const sf_source *s, size_t first, int B, int T, int *tokens, int *targets);

/* xoshiro256** seeded through splitmix64: the one RNG of the trainer. */
void sf_rng_seed(uint64_t rng[4], uint64_t seed);
uint64_t sf_rng_next(uint64_t rng[4]);
double sf_rng_uniform(uint64_t rng[4]); /* [0, 1) */

/* ============================== trainer ============================== */

/* Where a run computes, and in what precision. The CPU trainer is fp32 only. On a GPU the matrix
 * products run in cuBLAS: fp32 (IEEE), tf32 (TF32 tensor cores: fp32 operands rounded to a 10-bit
 * mantissa, fp32 accumulation) or bf16 (bf16 copies of both operands, fp32 accumulation and fp32
 * master weights, optimiser and element-wise layers); everything else is fp32 on both. */
typedef enum { SF_DEVICE_CPU = 0, SF_DEVICE_CUDA = 1 } sf_device;
typedef enum { SF_PREC_DEFAULT = 0, SF_PREC_FP32, SF_PREC_TF32, SF_PREC_BF16 } sf_precision;
const char *sf_device_name(sf_device d);       /* "cpu", "cuda"; "?" otherwise */
const char *sf_precision_name(sf_precision p); /* "fp32", "tf32", "bf16"; "default"; "?" */
/* Name to value; SF_EINPUT ("device 'gpu' is not one of cpu, cuda") for an unknown name. */
int sf_device_parse(const char *name, sf_device *out);
int sf_precision_parse(const char *name, sf_precision *out);
/* SF_OK if runs can use device d, with a name for it in name[n] ("cpu", or the GPU's name from
 * cudaGetDeviceProperties); else SF_EINPUT: "this scalefit was built without CUDA (nvcc was not
 * found at build time)" or "no CUDA device (cudaGetDeviceCount: <CUDA's reason>)". */
int sf_train_device_check(sf_device d, char *name, size_t n);
/* For processes or threads that share the machine's GPUs (a sweep's --jobs workers, the MPI ranks
 * of one node): the calling thread is number slot of nprocs, trains on GPU slot % (number of GPUs),
 * and sizes its runs' micro-batches within its share of that GPU's memory. Per thread; call before
 * the thread's first GPU run; nothing for CPU runs. Default: 0 of 1. */
void sf_train_set_gpu(int slot, int nprocs);
/* GPUs found by the last successful sf_train_device_check(SF_DEVICE_CUDA), 0 before one. */
int sf_train_gpus(void);
/* 1 if an MPS control daemon (nvidia-cuda-mps-control -d) appears to run: its pipe "control" in
 * $CUDA_MPS_PIPE_DIRECTORY, else in /tmp/nvidia-mps, is a FIFO. Processes that share a GPU without
 * MPS take turns on it (the driver time-slices between their contexts) instead of running at once:
 * on an H100, 4 sweep workers on one GPU were 2x slower than one at a time without MPS, 3x faster
 * with it (docs/TRAIN.md). */
int sf_train_mps_active(void);

/* Defaults by size (sf_train_defaults), documented here because they are part of the results:
 *   lr            3e-3 * min(1, sqrt(128 / d_model))  (3e-3 at d 128, 2.1e-3 at 256, 1.5e-3 at 512)
 *   batch_tokens  16 sequences of n_ctx tokens
 *   warm-up       10% of the steps, at most 200 steps
 *   schedule      cosine from lr to 0.1*lr over exactly the run's steps (budget / batch)
 *   AdamW         beta1 0.9, beta2 0.95, eps 1e-8, weight decay 0.1 on matrices and embeddings
 *   clipping      global gradient norm 1.0
 *   validation    16384 tokens of the fixed validation set at the end; 10 times during the run on a
 *                 prefix of it, sized so that these cost at most ~10% of the training compute */
typedef struct sf_train_config {
  sf_gpt_config model;
  double tokens;       /* training budget D (tokens); steps = floor(tokens / batch_tokens) */
  long batch_tokens;   /* tokens per optimiser step, a multiple of n_ctx; 0: default */
  double lr;           /* peak learning rate; 0: default */
  double warmup_frac;  /* 0: default */
  double min_lr_frac;  /* final lr / peak; 0: 0.1 */
  double weight_decay; /* < 0: default 0.1 */
  double grad_clip;    /* 0: 1.0 */
  long val_tokens;     /* 0: 16384 */
  int evals;           /* validations during the run (plus the final one); 0: 10 */
  uint64_t seed;       /* weights and data order */
  int threads;         /* OpenMP threads (OpenBLAS runs one per OpenMP thread); 0: 1 below d_model 128,
                          where the layers are too small to split (8x slower with 2 threads measured
                          on a shared 2-core machine), else all cores */
  double peak_flops;   /* the machine's measured sgemm peak (FLOP/s) for MFU; 0: measure */
  const char *checkpoint;  /* NULL, or a file to save the run's state in every checkpoint_every
                              seconds (atomically) and to resume from if it exists */
  double checkpoint_every; /* seconds; 0: 60 */
  sf_device device;        /* SF_DEVICE_CPU (0) or SF_DEVICE_CUDA (the current CUDA device) */
  sf_precision precision;  /* 0: fp32 on the CPU (its only one), bf16 on a GPU */
} sf_train_config;

/* Fills the zero fields with the defaults above (given model and tokens) and checks everything:
 * SF_EINPUT for an impossible model, a batch that is not a multiple of n_ctx, a budget smaller than
 * one batch, a bad learning rate, a precision the device does not have. It touches no device:
 * whether a GPU is there is sf_train_device_check's question (and sf_train_run's, which asks it
 * again), so that a process can plan GPU runs and then fork workers that use the GPU (a child
 * cannot use the CUDA its parent started). */
int sf_train_resolve(sf_train_config *c);

/* The columns of sf_train_result.curve, in order. */
#define SF_TRAIN_CURVE_COLS 5
extern const char *const sf_train_curve_names[SF_TRAIN_CURVE_COLS]; /* step tokens flops train_loss val_loss */
extern const char *const sf_train_curve_units[SF_TRAIN_CURVE_COLS];

typedef struct sf_train_result {
  double N, N_nonembed;  /* parameters, total and without embeddings */
  double D;              /* tokens trained on (steps * batch_tokens) */
  double flops;          /* exact training FLOPs (3F per sequence per step) */
  double flops_6nd;      /* 6 * N * D for comparison */
  double train_loss;     /* mean over the last 10% of steps (nats/token) */
  double val_loss;       /* final, nats/token */
  double val_bpb;        /* val_loss / ln 2: bits per byte for the corpus, NaN for synthetic data */
  double accuracy;       /* addition: exact-match fraction of validation problems; NaN otherwise */
  double entropy_rate;   /* markov: exact entropy rate (nats/token); NaN otherwise */
  double val_entropy;    /* markov: the chain's own loss on the final validation tokens
                            (sf_source_val_entropy); NaN otherwise */
  double seconds;        /* wall time of the whole run, validation included */
  double train_seconds;  /* wall time of the optimiser steps alone */
  double tokens_per_s;   /* D / train_seconds */
  double mfu;            /* flops / train_seconds / peak_flops */
  double peak_flops;     /* the peak used: the CPU's measured sgemm peak, or the GPU's dense peak for
                            the run's precision (docs/TRAIN.md has the table and its sources) */
  char device[128];      /* "cpu", or the GPU's name ("NVIDIA H100 80GB HBM3") */
  long steps, micro_batch, accum; /* optimiser steps; sequences per micro-batch; micro-batches per step */
  sf_train_config cfg;   /* resolved configuration (cfg.device, cfg.precision: how it ran) */
  size_t ncurve;         /* curve points */
  double *curve;         /* ncurve x SF_TRAIN_CURVE_COLS, row-major; val_loss NaN between validations
                            (intermediate ones on a prefix of the validation set, the last on all) */
} sf_train_result;

/* Called after every optimiser step (for progress bars); may be NULL. A non-zero return stops the
 * run (sf_train_run returns SF_EUSAGE, "interrupted"), after saving its checkpoint at that step if
 * it has one. */
typedef int (*sf_train_progress_fn)(void *ctx, long step, long steps, double train_loss, double seconds);

/* Trains one model on src. cfg must have been resolved; its vocab must match the source's.
 * With cfg->checkpoint set and the file present, the run continues from it and ends exactly as
 * the uninterrupted run would have (same weights, data order, curve, losses; only the times
 * differ); a checkpoint of another configuration, thread count or data is SF_EINPUT, naming both.
 * SF_ENUMERIC when the loss turns non-finite; SF_ENOMEM; SF_EIO when a checkpoint cannot be
 * written. res is filled (free with sf_train_result_free) on SF_OK. The checkpoint file is left
 * in place: remove it (sf_train_checkpoint_remove) once the run is recorded. */
int sf_train_run(const sf_train_config *cfg, sf_source *src, sf_train_progress_fn progress, void *ctx,
                 sf_train_result *res);
void sf_train_result_free(sf_train_result *r);

/* 1 if path holds a checkpoint of exactly this (resolved) configuration on this data, 0 if not or
 * absent. */
int sf_train_checkpoint_matches(const char *path, const sf_train_config *c, const sf_source *src);
void sf_train_checkpoint_remove(const char *path);

/* The run record as JSON (one object: measurements, config, seed, data, curve as columns) appended
 * to *out (an sf_buf from src/util/util.h, passed as void* to keep this header self-contained). */
void sf_train_result_json(const sf_train_result *r, const sf_source *src, void *out, int pretty);
/* The record's text fields as the run store wants them: family "own sweep YYYY-MM-DD" (UTC),
 * source "scalefit train <version>, data=<description>", notes "layers=.. d_model=.. ... seed=..".
 * Each is malloc'd (caller frees); SF_ENOMEM. */
int sf_train_result_text(const sf_train_result *r, const sf_source *src, char **family, char **source,
                         char **notes);

/* ---- the run store (sf_store.h) ----
 * A run is one row: N, D, C (the exact FLOPs) and loss (final validation loss, nats/token), the
 * metrics N_nonembed, flops_6nd, train_loss, val_bpb, accuracy, entropy_rate, val_entropy, tokens_per_s, mfu,
 * seconds (NaN where they do not apply), the text fields of sf_train_result_text, and the
 * training curve (columns sf_train_curve_names). The run's name identifies it in a sweep. */
struct sf_table;
/* "corpus-L2-d64-h1-T128-D1000000-s1": data, layers, d_model, heads, context, requested budget and
 * seed, the key by which a sweep recognises a run it has already done. Caller frees; NULL on OOM. */
char *sf_train_run_name(const sf_train_config *c, const sf_source *src);
int sf_train_result_to_table(const sf_train_result *r, const sf_source *src, const char *run_name,
                             struct sf_table *t);
/* Appends the run to table `table` (NULL: "runs") of the HDF5 run file at path, creating either if
 * needed. Atomic: the file is rewritten beside itself and renamed, so a kill at any moment leaves
 * either the old file or the new one. SF_EINPUT if path is not a scalefit run file, SF_EIO. */
int sf_train_store_append(const char *path, const char *table, const sf_train_result *r, const sf_source *src,
                          const char *run_name);
/* Before training: SF_OK if runs can be appended to table (NULL: "runs") of path, which may not
 * exist yet; SF_EINPUT if path is not a scalefit run file or the table's curves have another
 * layout; SF_EIO if its directory takes no file. *existing (may be NULL) receives the table as it
 * is (NULL if absent; caller frees with sf_table_free). */
int sf_train_store_check(const char *path, const char *table, struct sf_table **existing);
/* sf_train_store_check without asking that path's folder take a file: for reading what a run file
 * holds (a dry run, a sweep with nothing left to train, on a read-only copy). */
int sf_train_store_read(const char *path, const char *table, struct sf_table **existing);

/* Sets the OpenMP and OpenBLAS thread counts (0: all cores). */
void sf_train_set_threads(int threads);
/* The machine's sgemm peak (FLOP/s, fp32): the best of a few square and thin products in this
 * process with the current threads, threaded both by OpenBLAS itself and by rows split over OpenMP
 * threads (as the layers do); about `seconds` in all. */
double sf_train_sgemm_peak(double seconds);

#ifdef __cplusplus
}
#endif
#endif
