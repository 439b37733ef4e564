/* model.cu: the GPT on the GPU (gpu.h): device memory, the forward and backward passes strung
 * together exactly as gpt.c strings the CPU layers, AdamW and the gradient norm, the device probe
 * and the table of dense peaks that MFU is measured against.
 *
 * Memory: parameters | gradients | moment 1 | moment 2 in one allocation with the host layout
 * (offsets from sf_gpt_tensor), a bf16 copy of the parameters in bf16 (refreshed after every
 * upload and optimiser step), and one allocation of activations for max_B sequences: per layer
 * what the backward needs (as gpt.c keeps: LayerNorm outputs and statistics, head-major q/k/v,
 * attention probabilities, attention output, residuals, MLP pre- and post-GELU), plus one layer's
 * worth of gradient buffers reused going down. With flash attention (bf16, flash.cu) the bf16 q/k/v
 * and one log-normaliser per query take the place of the fp32 q/k/v and the T x T probabilities; in
 * bf16 the products' inputs are also kept in bf16 (act16_values), and what only bf16 products and
 * kernels read lives there alone: LayerNorm outputs, the MLP's activations and gradient, the
 * residual stream's gradient (a copy), a training step's logits (in the staging buffer).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mutex>

#include "train/cuda/common.cuh"
#include "train/cuda/gpu.h"
#include "train/cuda/plan.h"
extern "C" {
#include "train/internal.h" /* sf_gpt_moment1/2: C declarations */
}

/* the order of sf_gpt_tensor (gpt.c); checked by name when a model is made */
enum { P_WTE, P_WPE, P_LN1W, P_LN1B, P_QKVW, P_QKVB, P_PROJW, P_PROJB, P_LN2W, P_LN2B,
       P_FCW, P_FCB, P_FCPW, P_FCPB, P_LNFW, P_LNFB, NPT };
static const char *const tensor_names[NPT] = {
    "wte", "wpe", "h.ln1_w", "h.ln1_b", "h.qkv_w", "h.qkv_b", "h.proj_w", "h.proj_b", "h.ln2_w", "h.ln2_b",
    "h.fc_w", "h.fc_b", "h.fcproj_w", "h.fcproj_b", "lnf_w", "lnf_b"};

/* A function that keeps its first failure in `int rc`: a failed CUDA call becomes rc (its message
 * recorded by sf_cuda_fail) unless rc holds an earlier failure, which stays. The call is made either
 * way. Evaluates to the new rc. */
static int cu_keep(int rc, cudaError_t e, const char *call) {
  return rc || e == cudaSuccess ? rc : sf_cuda_fail(e, call);
}
#define CU_KEEP(call) (rc = cu_keep(rc, (call), #call))

/* ---- device ---- */

int sf_cuda_built(void) { return 1; }

/* this thread's place among the processes or threads sharing the GPUs (sf_cuda_use): the device is
 * per thread in CUDA's runtime, and `sweep --jobs` runs GPU workers as threads */
static thread_local int use_slot = 0, use_procs = 1;
static int use_count = 0;

void sf_cuda_use(int slot, int nprocs) {
  use_procs = nprocs > 0 ? nprocs : 1;
  use_slot = slot >= 0 ? slot % use_procs : 0;
}

int sf_cuda_probe(char *name, size_t n) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess)
    return sf_fail(SF_EINPUT, "no CUDA device (cudaGetDeviceCount: %s%s)", cudaGetErrorString(e),
                   e == cudaErrorInsufficientDriver ? "; is the NVIDIA driver installed?" : "");
  if (count < 1) return sf_fail(SF_EINPUT, "no CUDA device (cudaGetDeviceCount: 0 devices)");
  use_count = count;
  int dev = use_slot % count;
  cudaDeviceProp p;
  if ((e = cudaSetDevice(dev)) != cudaSuccess || (e = cudaGetDeviceProperties(&p, dev)) != cudaSuccess)
    return sf_fail(SF_EINPUT, "no usable CUDA device %d of %d (%s)", dev, count, cudaGetErrorString(e));
  if (name && n) snprintf(name, n, "%s", p.name);
  return sfk_cublas_load();
}

int sf_cuda_count(void) { return use_count; }

int sf_cuda_cublas_check(void) { return sfk_cublas_load(); }

/* A graph capture (step_capture) and the calls that may synchronise the device (allocations and
 * frees, cuBLAS handles, plain copies and memsets) exclude each other across the threads of the
 * process: CUDA invalidates a capture when another thread synchronises the device it captures on,
 * and sweep --jobs runs GPU workers as threads. Stream-ordered work (launches, asynchronous copies,
 * a thread's wait for its own stream) needs no lock. */
static std::mutex device_lock;

int sf_cuda_meminfo(size_t *free_bytes, size_t *total_bytes) {
  std::lock_guard<std::mutex> hold(device_lock);
  CU(cudaMemGetInfo(free_bytes, total_bytes));
  return SF_OK;
}

int sf_cuda_memory_budget(size_t *bytes, int *sharing) {
  size_t free_b = 0, total_b = 0;
  int rc = sf_cuda_meminfo(&free_b, &total_b);
  if (rc) return rc;
  int share = sf_gpu_sharing(use_slot, use_procs, use_count);
  /* processes starting together all see the whole memory free: each keeps to its share */
  double b = 0.9 * (double)free_b, fair = 0.9 * (double)total_b / share;
  *bytes = (size_t)(b < fair ? b : fair);
  if (sharing) *sharing = share;
  return SF_OK;
}

/* Dense (no structured sparsity) peaks in TFLOP/s from NVIDIA's data sheets: FP32 (CUDA cores),
 * TF32 tensor, BF16 tensor. The sheets print the tensor figures "with sparsity": the dense figure
 * is half of that. Names as cudaGetDeviceProperties reports them; more specific names first. */
static const struct {
  const char *match, *basis;
  double fp32, tf32, bf16;
} peaks[] = {
    {"H200 NVL", "NVIDIA H200 NVL data sheet (dense)", 60.0, 417.5, 835.5},
    {"H200", "NVIDIA H200 SXM data sheet (dense)", 67.0, 494.7, 989.4},
    {"H100 NVL", "NVIDIA H100 NVL data sheet (dense)", 60.0, 417.5, 835.5},
    {"H100 PCIe", "NVIDIA H100 PCIe data sheet (dense)", 51.0, 378.0, 756.0},
    {"H100", "NVIDIA H100 SXM5 data sheet (dense)", 67.0, 494.7, 989.4},
    {"A100", "NVIDIA A100 data sheet (dense)", 19.5, 156.0, 312.0},
};

double sf_cuda_peak_for(const char *name, int major, int minor, int sms, int clock_khz, sf_precision p,
                        const char **basis) {
  for (size_t i = 0; i < sizeof peaks / sizeof peaks[0]; i++) {
    if (!strstr(name, peaks[i].match)) continue;
    if (basis) *basis = peaks[i].basis;
    double t = p == SF_PREC_BF16 ? peaks[i].bf16 : p == SF_PREC_TF32 ? peaks[i].tf32 : peaks[i].fp32;
    return t * 1e12;
  }
  /* Another GPU: SMs x boost clock x FLOP per clock per SM of its architecture (dense):
   *   fp32   2 x FP32 lanes: 64 lanes on 8.0 (A100), 128 on 8.6, 8.9, 9.0, 10.x, 12.x
   *   bf16   tensor cores: 2048 on 8.0, 1024 on 8.6/8.9 (A10, L40S), 4096 on 9.0, 8192 on 10.x
   *   tf32   half of bf16
   * (these reproduce the data sheets: A100 108 SMs x 1.41 GHz x 2048 = 312 TFLOP/s bf16). Older or
   * unknown architectures: the fp32 rate for every precision. */
  double fp32 = major == 8 && minor == 0 ? 128 : 256, bf16;
  if (major == 8 && minor == 0) bf16 = 2048;
  else if (major == 8) bf16 = 1024;
  else if (major == 9) bf16 = 4096;
  else if (major == 10) bf16 = 8192;
  else if (major == 12) bf16 = 1024;
  else bf16 = fp32 = 128;
  double per = p == SF_PREC_BF16 ? bf16 : p == SF_PREC_TF32 ? (bf16 > fp32 ? bf16 / 2 : fp32) : fp32;
  if (basis) *basis = "SMs x clock x per-SM throughput of the compute capability (no table entry)";
  return (double)sms * (double)clock_khz * 1e3 * per;
}

double sf_cuda_peak(sf_precision p, const char **basis) {
  int dev = 0, clk = 0;
  cudaDeviceProp d;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&d, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, dev) != cudaSuccess)
    return 0.0;
  return sf_cuda_peak_for(d.name, d.major, d.minor, d.multiProcessorCount, clk, p, basis);
}

/* ---- layout ---- */

/* cuBLAS's workspace (sfk_ctx_workspace): its default size on Hopper */
#define CUBLAS_WORKSPACE ((size_t)32 << 20)

/* The float buffers of the activations, in allocation order. */
enum { A_ENC, A_LN1, A_LN1M, A_LN1R, A_QKVH, A_ATTY, A_ATT, A_RES2, A_LN2, A_LN2M, A_LN2R, A_FCH, A_FCG, A_RES3,
       A_LNF, A_LNFM, A_LNFR, A_PROBS, A_LOSS, A_TMP, A_QKV, A_YH, A_DRES, A_DLN, A_DATTY, A_DFCH, A_DQKVH, A_DPRE,
       NA };

/* Which attention a model of config c runs in precision p: flash.cu's in bf16 when the head size
 * allows it (sfk_flash_supported), unless sf_cuda_set_attention says otherwise; the cuBLAS path
 * (kernels.cu) in every other case. */
static sf_cuda_attention attn_mode = SF_ATTN_AUTO;
static int attn_set = 0; /* set in code; until then SCALEFIT_ATTENTION=cublas chooses (train.c checks its value) */

int sf_cuda_set_attention(sf_cuda_attention mode) {
  if (mode != SF_ATTN_AUTO && mode != SF_ATTN_MATMUL && mode != SF_ATTN_FLASH)
    return sf_fail(SF_EINTERNAL, "cuda: attention mode %d", (int)mode);
  attn_mode = mode;
  attn_set = 1;
  return SF_OK;
}

int sf_cuda_flash(const sf_gpt_config *c, sf_precision p) {
  const char *e = attn_set ? NULL : getenv("SCALEFIT_ATTENTION");
  sf_cuda_attention mode = attn_set ? attn_mode : e && !strcmp(e, "cublas") ? SF_ATTN_MATMUL : SF_ATTN_AUTO;
  return mode != SF_ATTN_MATMUL && p == SF_PREC_BF16 && sfk_flash_supported(c->d_model, c->n_head);
}

/* floats that hold n bf16 values, rounded up to 64 floats (256 bytes: every buffer stays aligned) */
static size_t bf16_floats(size_t n) { return (n + 127) / 128 * 64; }

/* Sizes in floats, each rounded up to 64 (WMMA reads 32-byte aligned tiles). With flash attention,
 * A_QKVH holds the bf16 head-major q, k, v per layer, A_ATT the log-normalisers (lse) per layer,
 * A_DPRE the bf16 head-major dout then its row sums D, and A_YH, A_DQKVH, A_ATTY, A_QKV, A_DATTY are
 * unused (attention's inputs, outputs and their gradients are bf16: act16 and staging). In bf16 the
 * LayerNorm outputs and the MLP's activations and gradient live in act16 only (act16_values):
 * A_LN1, A_LN2, A_LNF, A_FCH, A_FCG and A_DFCH are empty (their pointers NULL). */
static void act_sizes(const sf_gpt_config *c, int B, int flash, int bf16, size_t sz[NA]) {
  size_t C = (size_t)c->d_model, L = (size_t)c->n_layer, T = (size_t)c->n_ctx, V = (size_t)sf_vocab_ld(c->vocab);
  size_t NH = (size_t)c->n_head, N = (size_t)B * T, NC = N * C, ATT = (size_t)B * NH * T * T;
  size_t s[NA] = {NC,     L * NC, L * N,  L * N,  3 * L * NC, L * NC, L * ATT, L * NC, L * NC, L * N,
                  L * N,  4 * L * NC, 4 * L * NC, L * NC, NC, N, N, (N > C ? N : C) * V, N, NC,
                  3 * NC, NC,     NC,     NC,     NC,     4 * NC, 3 * NC, ATT};
  if (flash) {
    size_t rows = (size_t)B * NH * (size_t)sfk_flash_tpad(c->n_ctx), hrows = rows * (C / NH);
    s[A_QKVH] = L * bf16_floats(3 * hrows);
    s[A_ATT] = L * rows;
    s[A_DPRE] = bf16_floats(hrows) + rows;
    s[A_YH] = s[A_DQKVH] = 0;
  }
  if (bf16) s[A_LN1] = s[A_LN2] = s[A_LNF] = s[A_FCH] = s[A_FCG] = s[A_DFCH] = 0;
  if (flash) s[A_ATTY] = s[A_QKV] = s[A_DATTY] = 0; /* flash attention's inputs and outputs are bf16 */
  for (int i = 0; i < NA; i++) sz[i] = (s[i] + 63) / 64 * 64;
}

/* values each bf16 staging buffer holds: the largest operand that is converted on the fly */
static size_t staging(const sf_gpt_config *c, int B, int flash) {
  size_t C = (size_t)c->d_model, N = (size_t)B * c->n_ctx, T = (size_t)c->n_ctx;
  size_t m = 4 * N * C;
  size_t logits = N * (size_t)sf_vocab_ld(c->vocab); /* padded rows */
  if (logits > m) m = logits;
  if (!flash && (size_t)B * c->n_head * T * T > m) m = (size_t)B * c->n_head * T * T;
  return m;
}

/* bf16 values of act16 for B sequences: per layer the inputs of the four linear layers (ln1, the
 * attention's output, ln2: N x C each; GELU's output: N x 4C) and the fc product's output (GELU's
 * input without its bias: N x 4C), then lnf's (N x C), then two gradients of one layer at a time:
 * the residual stream's (N x C, written by the LayerNorm backward passes, read by the proj and
 * fcproj products) and GELU's output's (N x 4C). Written by their producers, read by the products
 * and by the backward, so nothing is converted twice and the MLP never goes through fp32 memory. */
enum { A16_LAYER = 11, A16_TAIL = 6 }; /* N x C blocks: per layer, then lnf and the two gradients */
static size_t act16_values(const sf_gpt_config *c, int B) {
  size_t NC = (size_t)B * c->n_ctx * c->d_model;
  return (A16_LAYER * (size_t)c->n_layer + A16_TAIL) * NC;
}

static size_t nparams(const sf_gpt_config *c) {
  return (size_t)(sf_gpt_nparams(c) + 0.5);
}

size_t sf_cuda_gpt_bytes(const sf_gpt_config *c, int B, sf_precision p) {
  size_t sz[NA], fl = 4 * nparams(c), N = (size_t)B * c->n_ctx;
  int flash = sf_cuda_flash(c, p);
  act_sizes(c, B, flash, p == SF_PREC_BF16, sz);
  for (int i = 0; i < NA; i++) fl += sz[i];
  size_t bytes = sizeof(float) * (fl + N /* ones */) + sizeof(int) * (5 * N + 2) + sizeof(double) * SFK_NORM_BLOCKS;
  if (p == SF_PREC_BF16)
    bytes += sizeof(__nv_bfloat16) * (nparams(c) + (size_t)(sf_vocab_ld(c->vocab) - c->vocab) * c->d_model +
                                      2 * staging(c, B, flash) + act16_values(c, B) + N /* ones16 */);
  /* cuBLAS's workspace; then its handle and a whole step's inputs and losses (sf_cuda_gpt_train_step:
   * 28 bytes a token of the batch), roughly */
  return bytes + CUBLAS_WORKSPACE + (32u << 20);
}

struct sf_cuda_gpt {
  sf_gpt_config c;
  int max_B, B, T;
  size_t n, off[NPT], sz[NPT];
  int decay[NPT];
  int flash; /* attention by flash.cu (sf_cuda_flash) */
  int dlogits;   /* the last forward was a training one: the logits' gradient is ready (for dscale) */
  float dscale;
  sfk_ctx x;
  float *mem, *P, *G, *M, *Vm; /* params | grads | m | v */
  __nv_bfloat16 *P16;          /* bf16 copy of P (bf16 only) */
  __nv_bfloat16 *act16;        /* bf16 copies of the products' inputs, per layer (bf16 only; act16_values) */
  float *actmem, *a[NA];
  int *imem, *tok, *tgt, *uid, *off_b, *pos, *nu; /* device: tokens, targets, encoder buckets */
  double *part;
  sfk_scalars *sc; /* device: the step's scalars (the kernels read them) */
  /* sf_cuda_gpt_train_step: its inputs for `accum` micro-batches of B x T (step_in), in
   * page-locked host memory and on the device, the losses out, and the step's graph */
  int graphs;                 /* capture steps as CUDA graphs (SCALEFIT_CUDA_GRAPHS 1 or unset, not 0) */
  int s_accum, s_B, s_T;      /* the shape the buffers and the graph are for; 0: none yet */
  long s_steps;               /* steps run in this shape (the first runs eagerly: a warm-up) */
  int *s_in_h, *s_in_d;       /* step_in ints a micro-batch, s_accum of them */
  float *s_loss_h, *s_loss_d; /* s_accum * B * T losses */
  sfk_scalars *s_sc_h;
  cudaGraphExec_t s_exec;
  /* host scratch */
  int *htok, *hcount, *huid, *hoff, *hpos;
  float *hloss;
  double *hpart;
};

/* Copies on this thread's stream, not the legacy stream's cudaMemcpy, which would also wait for the
 * work of every other thread's stream (sweep --jobs runs GPU workers as threads). to_device: from
 * pageable memory the runtime stages the bytes before it returns, so the source may change at once;
 * to_host: waited for. */
static cudaError_t to_device(void *dst, const void *src, size_t bytes) {
  return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, SFK_STREAM);
}
static cudaError_t to_host(void *dst, const void *src, size_t bytes) {
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, SFK_STREAM);
  return e != cudaSuccess ? e : cudaStreamSynchronize(SFK_STREAM);
}

#define PT(base, i) ((base) + d->off[i])
#define W16(i) (d->P16 ? d->P16 + d->off[i] : NULL)

static int refresh_bf16(sf_cuda_gpt *d) { return d->P16 ? sfk_to_bf16(d->P16, d->P, d->n) : SF_OK; }

static void step_free(sf_cuda_gpt *d) {
  if (d->s_exec) cudaGraphExecDestroy(d->s_exec);
  cudaFreeHost(d->s_in_h);
  cudaFreeHost(d->s_loss_h);
  cudaFreeHost(d->s_sc_h);
  cudaFree(d->s_in_d);
  cudaFree(d->s_loss_d);
  d->s_exec = NULL;
  d->s_in_h = d->s_in_d = NULL;
  d->s_loss_h = d->s_loss_d = NULL;
  d->s_sc_h = NULL;
  d->s_accum = d->s_B = d->s_T = 0;
  d->s_steps = 0;
}

void sf_cuda_gpt_free(sf_cuda_gpt *d) {
  if (!d) return;
  std::lock_guard<std::mutex> hold(device_lock);
  step_free(d);
  cudaFree(d->sc);
  sfk_ctx_free(&d->x);
  cudaFree(d->mem);
  cudaFree(d->P16);
  cudaFree(d->act16);
  cudaFree(d->actmem);
  cudaFree(d->imem);
  cudaFree(d->part);
  free(d->htok);
  free(d->hcount);
  free(d->huid);
  free(d->hoff);
  free(d->hpos);
  free(d->hloss);
  free(d->hpart);
  free(d);
}

int sf_cuda_gpt_new(const sf_gpt *host, int max_B, sf_precision p, sf_cuda_gpt **out) {
  *out = NULL;
  std::unique_lock<std::mutex> hold(device_lock);
  if (max_B < 1) return sf_fail(SF_EINPUT, "batch of %d sequences must be at least 1", max_B);
  if (p != SF_PREC_FP32 && p != SF_PREC_TF32 && p != SF_PREC_BF16)
    return sf_fail(SF_EINPUT, "precision %d is not one of fp32, tf32, bf16", (int)p);
  sf_cuda_gpt *d = (sf_cuda_gpt *)calloc(1, sizeof *d);
  if (!d) return sf_fail(SF_ENOMEM, "out of memory");
  d->c = *sf_gpt_cfg(host);
  d->max_B = max_B;
  d->n = sf_gpt_size(host);
  int rc = SF_OK;
  for (int i = 0; i < NPT && !rc; i++) {
    const char *name;
    sf_gpt_tensor(host, (size_t)i, &name, &d->off[i], &d->sz[i], &d->decay[i]);
    if (strcmp(name, tensor_names[i]) != 0)
      rc = sf_fail(SF_EINTERNAL, "cuda: tensor %d is '%s', expected '%s'", i, name, tensor_names[i]);
  }
  if (!rc && sf_gpt_ntensors() != NPT) rc = sf_fail(SF_EINTERNAL, "cuda: the model has %zu tensors", sf_gpt_ntensors());
  size_t N = (size_t)max_B * d->c.n_ctx, V = (size_t)d->c.vocab, sz[NA], atotal = 0;
  size_t tail = (size_t)(sf_vocab_ld(d->c.vocab) - d->c.vocab) * d->c.d_model; /* wte16's padding rows */
  d->flash = sf_cuda_flash(&d->c, p);
  act_sizes(&d->c, max_B, d->flash, p == SF_PREC_BF16, sz);
  for (int i = 0; i < NA; i++) atotal += sz[i];
  {
    const char *e = getenv("SCALEFIT_CUDA_GRAPHS"); /* 1 (or unset, empty): graphs; 0: launch by launch */
    d->graphs = !(e && !strcmp(e, "0"));
    if (!rc && e && *e && strcmp(e, "0") && strcmp(e, "1"))
      rc = sf_fail(SF_EINPUT, "SCALEFIT_CUDA_GRAPHS '%s' is not one of 0, 1", e);
  }
  if (rc) goto fail;
  if ((rc = sfk_ctx_init(&d->x, p, p == SF_PREC_BF16 ? staging(&d->c, max_B, d->flash) : 0, N))) goto fail;
  if ((rc = sfk_ctx_workspace(&d->x, CUBLAS_WORKSPACE))) goto fail;
#define CUF(call)                                                                                    \
  do {                                                                                               \
    if (CU_KEEP(call)) goto fail; /* rc is 0 here */                                                 \
  } while (0)
  CUF(cudaMalloc((void **)&d->mem, sizeof(float) * 4 * d->n));
  /* in bf16 the head reads wte's copy as Vp rows (forward, model.cu): the rows past V are the next
   * tensors' bf16 values or, at the end, the zeroed tail, finite either way */
  if (p == SF_PREC_BF16) CUF(cudaMalloc((void **)&d->P16, sizeof(__nv_bfloat16) * (d->n + tail)));
  if (p == SF_PREC_BF16) CUF(cudaMemset(d->P16 + d->n, 0, sizeof(__nv_bfloat16) * tail));
  if (p == SF_PREC_BF16) CUF(cudaMalloc((void **)&d->act16, sizeof(__nv_bfloat16) * act16_values(&d->c, max_B)));
  CUF(cudaMalloc((void **)&d->actmem, sizeof(float) * atotal));
  CUF(cudaMalloc((void **)&d->imem, sizeof(int) * (5 * N + 2)));
  CUF(cudaMalloc((void **)&d->part, sizeof(double) * SFK_NORM_BLOCKS));
  CUF(cudaMalloc((void **)&d->sc, sizeof(sfk_scalars)));
  d->P = d->mem;
  d->G = d->mem + d->n;
  d->M = d->mem + 2 * d->n;
  d->Vm = d->mem + 3 * d->n;
  {
    float *q = d->actmem;
    for (int i = 0; i < NA; i++) {
      d->a[i] = sz[i] ? q : NULL;
      q += sz[i];
    }
  }
  d->tok = d->imem;
  d->tgt = d->imem + N;
  d->uid = d->imem + 2 * N;
  d->pos = d->imem + 3 * N;
  d->off_b = d->imem + 4 * N; /* N + 1 */
  d->nu = d->imem + 5 * N + 1;
  d->htok = (int *)malloc(sizeof(int) * N);
  d->hcount = (int *)malloc(sizeof(int) * V);
  d->huid = (int *)malloc(sizeof(int) * N);
  d->hoff = (int *)malloc(sizeof(int) * (N + 1));
  d->hpos = (int *)malloc(sizeof(int) * N);
  d->hloss = (float *)malloc(sizeof(float) * N);
  d->hpart = (double *)malloc(sizeof(double) * SFK_NORM_BLOCKS);
  if (!d->htok || !d->hcount || !d->huid || !d->hoff || !d->hpos || !d->hloss || !d->hpart) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  CUF(cudaMemset(d->G, 0, sizeof(float) * d->n));
  if ((rc = sf_cuda_gpt_upload(d, (sf_gpt *)host))) goto fail;
#undef CUF
  *out = d;
  return SF_OK;
fail:
  hold.unlock(); /* sf_cuda_gpt_free takes it */
  sf_cuda_gpt_free(d);
  return rc;
}

int sf_cuda_gpt_upload(sf_cuda_gpt *d, sf_gpt *host) {
  size_t b = sizeof(float) * d->n;
  CU(to_device(d->P, sf_gpt_params(host), b));
  CU(to_device(d->M, sf_gpt_moment1(host), b));
  CU(to_device(d->Vm, sf_gpt_moment2(host), b));
  return refresh_bf16(d);
}

int sf_cuda_gpt_download(sf_cuda_gpt *d, sf_gpt *host, int grads) {
  size_t b = sizeof(float) * d->n;
  CU(to_host(sf_gpt_params(host), d->P, b));
  CU(to_host(sf_gpt_moment1(host), d->M, b));
  CU(to_host(sf_gpt_moment2(host), d->Vm, b));
  if (grads) CU(to_host(sf_gpt_grads(host), d->G, b));
  return SF_OK;
}

/* ---- forward and backward: gpt.c's order, layer by layer ---- */

/* Flash attention's per-layer buffers for the current micro-batch (B, T): layer l's bf16 q, k, v
 * and its lse (act_sizes); FL_ROWS is the (b, h, padded t) row count. */
#define FL_ROWS ((size_t)B * NH * sfk_flash_tpad(T))
#define FL_QKVH(l) ((__nv_bfloat16 *)(a[A_QKVH] + (size_t)(l) * bf16_floats(3 * FL_ROWS * (C / NH))))
#define FL_LSE(l) (a[A_ATT] + (size_t)(l) * FL_ROWS)
/* act16's copies for the current micro-batch (act16_values), NULL outside bf16 */
#define A16(l, k) (d->act16 ? d->act16 + (size_t)(l) * A16_LAYER * NC + (size_t)(k) * NC : (__nv_bfloat16 *)NULL)
#define LN1_16(l) A16(l, 0)
#define ATTY16(l) A16(l, 1)
#define LN2_16(l) A16(l, 2)
#define FCG16(l) A16(l, 3) /* 4 NC */
#define FCH16(l) A16(l, 7) /* 4 NC */
#define LNF16 A16(L, 0)
#define DRES16 A16(L, 1)
#define DFCH16 A16(L, 2) /* 4 NC */
#define DATTY16 DFCH16     /* the attention output's gradient: the MLP's is spent by then (NC) */
/* an fp32 buffer that bf16 keeps in act16 only (act_sizes): NULL in bf16, p not evaluated */
#define F32(p) (d->act16 ? (float *)NULL : (p))

#define TRY(call)                                                                                    \
  do {                                                                                               \
    int rc_ = (call);                                                                                \
    if (rc_) return rc_;                                                                             \
  } while (0)

static int check_shape(const sf_cuda_gpt *d, int B, int T) {
  if (B < 1 || B > d->max_B || T < 1 || T > d->c.n_ctx)
    return sf_fail(SF_EINTERNAL, "cuda: forward of %d x %d tokens, model sized for %d x %d", B, T, d->max_B,
                   d->c.n_ctx);
  return SF_OK;
}

/* The forward on device tokens tok, targets tgt [B*T], losses into losses[B*T]; train: also the
 * logits' gradient, for a backward with the scale d->sc->scale. Only stream work: it can be
 * captured. */
static int forward_dev(sf_cuda_gpt *d, const int *tok, const int *tgt, float *losses, int B, int T, int train) {
  const int C = d->c.d_model, L = d->c.n_layer, NH = d->c.n_head, V = d->c.vocab, Vp = sf_vocab_ld(V), N = B * T;
  TRY(check_shape(d, B, T));
  const size_t NC = (size_t)N * C, ATT = (size_t)B * NH * T * T;
  float **a = d->a;
  sfk_ctx *x = &d->x;
  d->B = B;
  d->T = T;
  d->dlogits = 0;

  TRY(sfk_encoder_forward(a[A_ENC], tok, PT(d->P, P_WTE), PT(d->P, P_WPE), B, T, C));
  /* each residual sum is fused with the LayerNorm that reads it: layer 0's ln1 here, ln2 after the
   * attention, the next layer's ln1 (or lnf) after the MLP */
  TRY(sfk_layernorm_forward(F32(a[A_LN1]), LN1_16(0), a[A_LN1M], a[A_LN1R], a[A_ENC], PT(d->P, P_LN1W),
                            PT(d->P, P_LN1B), N, C));
  for (int l = 0; l < L; l++) {
    const float *res = l == 0 ? a[A_ENC] : a[A_RES3] + (size_t)(l - 1) * NC;
    /* qkvh, att: the cuBLAS attention's (flash attention lays A_QKVH and A_ATT out otherwise) */
    float *qkvh = d->flash ? NULL : a[A_QKVH] + 3 * l * NC, *att = d->flash ? NULL : a[A_ATT] + (size_t)l * ATT;
    float *ln1 = F32(a[A_LN1] + l * NC), *atty = d->flash ? NULL : a[A_ATTY] + l * NC, *res2 = a[A_RES2] + l * NC;
    float *ln2 = F32(a[A_LN2] + l * NC), *fch = F32(a[A_FCH] + 4 * l * NC), *fcg = F32(a[A_FCG] + 4 * l * NC);
    float *res3 = a[A_RES3] + l * NC;
    size_t lc = (size_t)l * C, ln = (size_t)l * N;
    const float *qkvb = PT(d->P, P_QKVB) + 3 * lc;
    if (d->flash) {
      /* flash attention (bf16 only) reads the qkv product's bf16 output (in the staging buffer, free
       * here) and adds qkv's bias as it packs q, k, v; its output is kept in bf16 only */
      TRY(sfk_matmul_forward16(x, x->b16, LN1_16(l), W16(P_QKVW) + lc * 3 * C, N, C, 3 * C, 3 * C));
      TRY(sfk_flash_forward(NULL, ATTY16(l), FL_QKVH(l), FL_LSE(l), NULL, x->b16, qkvb, B, T, C, NH));
    } else {
      TRY(sfk_matmul_forward(x, a[A_QKV], ln1, LN1_16(l), PT(d->P, P_QKVW) + lc * 3 * C,
                             W16(P_QKVW) ? W16(P_QKVW) + lc * 3 * C : NULL, qkvb, N, C, 3 * C, 3 * C));
      TRY(sfk_attention_forward(x, atty, att, qkvh, a[A_YH], a[A_QKV], B, T, C, NH));
      if (d->act16) TRY(sfk_to_bf16(ATTY16(l), atty, NC));
    }
    TRY(sfk_matmul_forward(x, a[A_TMP], atty, ATTY16(l), PT(d->P, P_PROJW) + lc * C, W16(P_PROJW) ? W16(P_PROJW) + lc * C : NULL,
                           NULL, N, C, C, C));
    /* the biases of proj, fc and fcproj are added by the pass that reads the product next */
    TRY(sfk_residual_layernorm(res2, res, a[A_TMP], PT(d->P, P_PROJB) + lc, ln2, LN2_16(l), a[A_LN2M] + ln,
                               a[A_LN2R] + ln, PT(d->P, P_LN2W) + lc, PT(d->P, P_LN2B) + lc, N, C));
    /* in bf16 the MLP's activations stay bf16: the fc product writes bf16, GELU adds fc's bias */
    if (d->act16) {
      TRY(sfk_matmul_forward16(x, FCH16(l), LN2_16(l), W16(P_FCW) + lc * 4 * C, N, C, 4 * C, 4 * C));
      TRY(sfk_gelu_forward16(FCG16(l), FCH16(l), PT(d->P, P_FCB) + 4 * lc, 4 * C, 4 * NC));
    } else {
      TRY(sfk_matmul_forward(x, fch, ln2, NULL, PT(d->P, P_FCW) + lc * 4 * C, NULL, NULL, N, C, 4 * C, 4 * C));
      TRY(sfk_gelu_forward(fcg, fch, PT(d->P, P_FCB) + 4 * lc, 4 * C, 4 * NC));
    }
    TRY(sfk_matmul_forward(x, a[A_TMP], fcg, FCG16(l), PT(d->P, P_FCPW) + lc * 4 * C,
                           W16(P_FCPW) ? W16(P_FCPW) + lc * 4 * C : NULL, NULL, N, 4 * C, C, C));
    if (l + 1 < L)
      TRY(sfk_residual_layernorm(res3, res2, a[A_TMP], PT(d->P, P_FCPB) + lc, F32(a[A_LN1] + (l + 1) * NC),
                                 LN1_16(l + 1), a[A_LN1M] + ln + N, a[A_LN1R] + ln + N, PT(d->P, P_LN1W) + lc + C,
                                 PT(d->P, P_LN1B) + lc + C, N, C));
    else
      TRY(sfk_residual_layernorm(res3, res2, a[A_TMP], PT(d->P, P_FCPB) + lc, F32(a[A_LNF]), LNF16, a[A_LNFM],
                                 a[A_LNFR], PT(d->P, P_LNFW), PT(d->P, P_LNFB), N, C));
  }
  /* The logits' rows are padded to Vp: aligned rows keep the head's products on fast kernels
   * (plan.h). In bf16 the product also runs over all Vp columns, since cuBLAS also picks its slow
   * kernels for an odd dimension (an H100 profile: 3x); the padding columns (wte16's next rows) are
   * never read. Training in bf16 writes the logits in bf16 into the staging buffer, where the
   * cross-entropy turns them into their gradient in place (the backward's operand): at GPT-2's
   * vocabulary the largest activation of the step, at half the bytes both ways. Evaluation keeps
   * fp32 logits, so validation losses and probabilities do not carry that rounding. */
  if (train && d->act16) {
    TRY(sfk_matmul_forward16(x, x->b16, LNF16, W16(P_WTE), N, C, Vp, Vp));
    TRY(sfk_crossentropy_fused16(x->b16, losses, tgt, &d->sc->scale, N, V, Vp));
  } else {
    TRY(sfk_matmul_forward(x, a[A_PROBS], a[A_LNF], LNF16, PT(d->P, P_WTE), W16(P_WTE), NULL, N, C,
                           d->act16 ? Vp : V, Vp));
    if (train) TRY(sfk_crossentropy_fused(a[A_PROBS], losses, tgt, &d->sc->scale, N, V, Vp));
    else TRY(sfk_crossentropy_forward(a[A_PROBS], losses, tgt, N, V, Vp));
  }
  d->dlogits = train;
  return SF_OK;
}

/* the sum of losses[N] in row order, as layers.c sums */
static double row_sum(const float *losses, int N) {
  double total = 0.0;
  for (int n = 0; n < N; n++) total += losses[n];
  return total;
}

/* train: also the logits' gradient for a backward with this scale (sf_cuda_gpt_forward_train) */
static int forward(sf_cuda_gpt *d, const int *tokens, const int *targets, int B, int T, int train, float scale,
                   double *loss) {
  TRY(check_shape(d, B, T));
  const int N = B * T;
  memcpy(d->htok, tokens, sizeof(int) * (size_t)N);
  CU(to_device(d->tok, tokens, sizeof(int) * (size_t)N));
  CU(to_device(d->tgt, targets, sizeof(int) * (size_t)N));
  if (train) CU(to_device(&d->sc->scale, &scale, sizeof scale));
  TRY(forward_dev(d, d->tok, d->tgt, d->a[A_LOSS], B, T, train));
  d->dscale = scale;
  CU(to_host(d->hloss, d->a[A_LOSS], sizeof(float) * (size_t)N));
  *loss = row_sum(d->hloss, N);
  return SF_OK;
}

int sf_cuda_gpt_forward(sf_cuda_gpt *d, const int *tokens, const int *targets, int B, int T, double *loss) {
  return forward(d, tokens, targets, B, T, 0, 0.0f, loss);
}

int sf_cuda_gpt_forward_train(sf_cuda_gpt *d, const int *tokens, const int *targets, int B, int T, float scale,
                              double *loss) {
  return forward(d, tokens, targets, B, T, 1, scale, loss);
}

int sf_cuda_gpt_probs(sf_cuda_gpt *d, float *host) {
  if (d->dlogits) return sf_fail(SF_EINTERNAL, "cuda: no probabilities after a training forward");
  size_t N = (size_t)d->B * d->T, V = (size_t)d->c.vocab, Vp = (size_t)sf_vocab_ld(d->c.vocab);
  /* the V columns of each padded row */
  CU(cudaMemcpy2DAsync(host, sizeof(float) * V, d->a[A_PROBS], sizeof(float) * Vp, sizeof(float) * V, N,
                       cudaMemcpyDeviceToHost, SFK_STREAM));
  CU(cudaStreamSynchronize(SFK_STREAM));
  return SF_OK;
}

int sf_cuda_gpt_zero_grad(sf_cuda_gpt *d) {
  CU(cudaMemsetAsync(d->G, 0, sizeof(float) * d->n, SFK_STREAM));
  return SF_OK;
}

/* The backward of the last forward_dev, with the encoder's buckets on the device (nu, uid, off, pos;
 * maxu >= *nu sizes the grid): gradients accumulate into G. Only stream work: it can be captured. */
static int backward_dev(sf_cuda_gpt *d, float scale, const int *nu, const int *uid, const int *off, const int *pos,
                        int maxu) {
  const int C = d->c.d_model, L = d->c.n_layer, NH = d->c.n_head, V = d->c.vocab, Vp = sf_vocab_ld(V);
  const int B = d->B, T = d->T, N = B * T;
  const size_t NC = (size_t)N * C, ATT = (size_t)B * NH * T * T;
  float **a = d->a, *G = d->G;
  const float *P = d->P;
  sfk_ctx *x = &d->x;
  if (B < 1) return sf_fail(SF_EINTERNAL, "cuda: backward without a forward");

  /* In bf16 the gradients that feed products are written in bf16 by their producers, into the
   * staging buffer b16 that matmul_backward would convert them into (cross-entropy, GELU, flash
   * attention); the fp32 copies remain where a bias's column sums need them. */
  __nv_bfloat16 *g16 = d->act16 ? x->b16 : NULL;
  /* LM head (tied to wte): dlogits in place over the probabilities (fp32), or in bf16 only; a
   * training forward has computed them already */
  if (!d->dlogits) TRY(sfk_crossentropy_backward(g16 ? NULL : a[A_PROBS], g16, a[A_PROBS], d->tgt, scale, N, V, Vp));
  if (g16 && Vp != V) /* over the Vp columns too; the logits' buffer is free now: the scratch of wte's gradient */
    TRY(sfk_lmhead_backward16(x, a[A_DLN], PT(G, P_WTE), a[A_PROBS], g16, LNF16, W16(P_WTE), N, C, V, Vp));
  else
    TRY(sfk_matmul_backward(x, a[A_DLN], NULL, PT(G, P_WTE), NULL, g16 ? NULL : a[A_PROBS], g16, a[A_LNF], LNF16,
                            PT(P, P_WTE), W16(P_WTE), N, C, V, Vp));
  CU(cudaMemsetAsync(a[A_DRES], 0, sizeof(float) * NC, SFK_STREAM));
  const float *last = a[A_RES3] + (size_t)(L - 1) * NC;
  /* in bf16 the LayerNorm passes also leave the residual stream's gradient in bf16 (DRES16): the
   * operand of the proj and fcproj products, never converted. Each also sums the gradient it
   * leaves into the bias gradient of the product whose output joined the stream there (the last
   * fcproj's here, proj's after ln2, the previous layer's fcproj after ln1), so those products'
   * backward sum no bias. */
  TRY(sfk_layernorm_backward(x, a[A_DRES], DRES16, PT(G, P_FCPB) + (size_t)(L - 1) * C, PT(G, P_LNFW), PT(G, P_LNFB),
                             a[A_TMP], a[A_DLN], last, PT(P, P_LNFW), a[A_LNFM], a[A_LNFR], N, C));
  for (int l = L - 1; l >= 0; l--) {
    const float *res = l == 0 ? a[A_ENC] : a[A_RES3] + (size_t)(l - 1) * NC;
    const float *qkvh = d->flash ? NULL : a[A_QKVH] + 3 * l * NC, *att = d->flash ? NULL : a[A_ATT] + (size_t)l * ATT;
    const float *ln1 = F32(a[A_LN1] + l * NC), *atty = d->flash ? NULL : a[A_ATTY] + l * NC;
    const float *res2 = a[A_RES2] + l * NC;
    const float *ln2 = F32(a[A_LN2] + l * NC);
    const float *fch = F32(a[A_FCH] + 4 * l * NC), *fcg = F32(a[A_FCG] + 4 * l * NC);
    size_t lc = (size_t)l * C, ln = (size_t)l * N;
    /* res3 = res2 + fcproj(gelu(fc(ln2(res2)))): dres is the gradient of res3, and of res2's skip path */
    if (d->act16) {
      /* bf16: GELU's output gradient comes out of the product in bf16; GELU's backward reads it and
       * fc's bf16 output, writes the fc product's operand (g16) and sums its columns, fc's bias
       * gradient, in the same pass (partials in A_TMP, free until the LayerNorm backward) */
      TRY(sfk_matmul_backward(x, NULL, DFCH16, PT(G, P_FCPW) + lc * 4 * C, NULL, a[A_DRES], DRES16,
                              NULL, FCG16(l), PT(P, P_FCPW) + lc * 4 * C, W16(P_FCPW) + lc * 4 * C, N, 4 * C, C, C));
      TRY(sfk_gelu_backward16(x, g16, FCH16(l), PT(P, P_FCB) + 4 * lc, DFCH16, 4 * C, 4 * NC, PT(G, P_FCB) + 4 * lc,
                              a[A_TMP], NC));
      TRY(sfk_matmul_backward(x, a[A_DLN], NULL, PT(G, P_FCW) + lc * 4 * C, NULL, NULL, g16, NULL,
                              LN2_16(l), PT(P, P_FCW) + lc * 4 * C, W16(P_FCW) + lc * 4 * C, N, C, 4 * C, 4 * C));
    } else {
      TRY(sfk_matmul_backward(x, a[A_DFCH], NULL, PT(G, P_FCPW) + lc * 4 * C, NULL, a[A_DRES], NULL,
                              fcg, NULL, PT(P, P_FCPW) + lc * 4 * C, NULL, N, 4 * C, C, C));
      TRY(sfk_gelu_backward(a[A_DFCH], fch, a[A_DFCH], 4 * NC));
      TRY(sfk_matmul_backward(x, a[A_DLN], NULL, PT(G, P_FCW) + lc * 4 * C, PT(G, P_FCB) + 4 * lc, a[A_DFCH], NULL,
                              ln2, NULL, PT(P, P_FCW) + lc * 4 * C, NULL, N, C, 4 * C, 4 * C));
    }
    TRY(sfk_layernorm_backward(x, a[A_DRES], DRES16, PT(G, P_PROJB) + lc, PT(G, P_LN2W) + lc, PT(G, P_LN2B) + lc,
                               a[A_TMP], a[A_DLN], res2, PT(P, P_LN2W) + lc, a[A_LN2M] + ln, a[A_LN2R] + ln, N, C));
    /* res2 = res + proj(attention(qkv(ln1(res)))): dres is now the gradient of res2 */
    if (d->flash) {
      /* bf16 in and out: the attention output's gradient comes out of the product in bf16, flash
       * attention reads it and its bf16 output, and writes dqkv in bf16 only (g16), the qkv
       * product's operand, whose column sums are qkv's bias gradient */
      TRY(sfk_matmul_backward(x, NULL, DATTY16, PT(G, P_PROJW) + lc * C, NULL, a[A_DRES], DRES16, NULL,
                              ATTY16(l), PT(P, P_PROJW) + lc * C, W16(P_PROJW) + lc * C, N, C, C, C));
      TRY(sfk_flash_backward(NULL, g16, NULL, DATTY16, NULL, ATTY16(l), FL_QKVH(l), FL_LSE(l),
                             (__nv_bfloat16 *)a[A_DPRE], a[A_DPRE] + bf16_floats(FL_ROWS * (C / NH)), B, T, C, NH));
      TRY(sfk_matmul_backward(x, a[A_DLN], NULL, PT(G, P_QKVW) + lc * 3 * C, PT(G, P_QKVB) + 3 * lc, NULL, g16, NULL,
                              LN1_16(l), PT(P, P_QKVW) + lc * 3 * C, W16(P_QKVW) + lc * 3 * C, N, C, 3 * C, 3 * C));
    } else {
      TRY(sfk_matmul_backward(x, a[A_DATTY], NULL, PT(G, P_PROJW) + lc * C, NULL, a[A_DRES], DRES16,
                              atty, ATTY16(l), PT(P, P_PROJW) + lc * C, W16(P_PROJW) ? W16(P_PROJW) + lc * C : NULL,
                              N, C, C, C));
      TRY(sfk_attention_backward(x, a[A_QKV], a[A_DATTY], qkvh, att, a[A_YH], a[A_DQKVH], a[A_DPRE], B, T, C, NH));
      TRY(sfk_matmul_backward(x, a[A_DLN], NULL, PT(G, P_QKVW) + lc * 3 * C, PT(G, P_QKVB) + 3 * lc, a[A_QKV], NULL,
                              ln1, LN1_16(l), PT(P, P_QKVW) + lc * 3 * C, W16(P_QKVW) ? W16(P_QKVW) + lc * 3 * C : NULL,
                              N, C, 3 * C, 3 * C));
    }
    TRY(sfk_layernorm_backward(x, a[A_DRES], l > 0 ? DRES16 : NULL, l > 0 ? PT(G, P_FCPB) + lc - C : NULL,
                               PT(G, P_LN1W) + lc, PT(G, P_LN1B) + lc, a[A_TMP], a[A_DLN], res, PT(P, P_LN1W) + lc,
                               a[A_LN1M] + ln, a[A_LN1R] + ln, N, C));
  }
  TRY(sfk_encoder_backward(PT(G, P_WTE), PT(G, P_WPE), a[A_DRES], nu, uid, off, pos, maxu, B, T, C));
  return SF_OK;
}

int sf_cuda_gpt_backward(sf_cuda_gpt *d, float scale) {
  const int N = d->B * d->T;
  if (d->B < 1) return sf_fail(SF_EINTERNAL, "cuda: backward without a forward");
  if (d->dlogits && d->dscale != scale)
    return sf_fail(SF_EINTERNAL, "cuda: backward with scale %g after a training forward for %g", (double)scale,
                   (double)d->dscale);
  int nu = sfk_encoder_buckets(d->htok, N, d->c.vocab, d->hcount, d->huid, d->hoff, d->hpos);
  CU(to_device(d->uid, d->huid, sizeof(int) * (size_t)nu));
  CU(to_device(d->off_b, d->hoff, sizeof(int) * (size_t)(nu + 1)));
  CU(to_device(d->pos, d->hpos, sizeof(int) * (size_t)N));
  CU(to_device(d->nu, &nu, sizeof nu));
  return backward_dev(d, scale, d->nu, d->uid, d->off_b, d->pos, nu);
}

int sf_cuda_gpt_grad_norm(sf_cuda_gpt *d, double *norm) {
  TRY(sfk_sumsq_partials(d->part, d->G, d->n));
  CU(to_host(d->hpart, d->part, sizeof(double) * SFK_NORM_BLOCKS));
  double s = 0.0;
  for (int i = 0; i < SFK_NORM_BLOCKS; i++) s += d->hpart[i];
  *norm = sqrt(s);
  return SF_OK;
}

/* the bias corrections exactly as train.c computes them (float betas, pow in double) */
static void bias_corrections(long t, float *c1, float *c2) {
  const float b1 = 0.9f, b2 = 0.95f;
  *c1 = (float)(1.0 / (1.0 - pow(b1, (double)t)));
  *c2 = (float)(1.0 / (1.0 - pow(b2, (double)t)));
}

/* AdamW with the scalars in d->sc: one launch for all tensors (laid end to end, as gpt.c lays
 * them), the bf16 copy in the same pass */
static int adamw_dev(sf_cuda_gpt *d) {
  static_assert((int)NPT <= (int)SFK_ADAMW_TENSORS, "sfk_adamw_layout holds every tensor");
  sfk_adamw_layout lay;
  memset(&lay, 0, sizeof lay);
  lay.n = NPT;
  for (int k = 0; k < NPT; k++) {
    if (d->off[k] != lay.off[k])
      return sf_fail(SF_EINTERNAL, "cuda: tensor %d starts at %zu, not %zu", k, d->off[k], lay.off[k]);
    lay.off[k + 1] = d->off[k] + d->sz[k];
    if (d->decay[k]) lay.decay |= 1u << k;
  }
  if (lay.off[NPT] != d->n)
    return sf_fail(SF_EINTERNAL, "cuda: the tensors hold %zu of %zu parameters", lay.off[NPT], d->n);
  return sfk_adamw_all(d->P, d->P16, d->G, d->M, d->Vm, &lay, d->sc);
}

int sf_cuda_gpt_adamw(sf_cuda_gpt *d, double lr, long t, float gscale, double wd) {
  sfk_scalars sc;
  memset(&sc, 0, sizeof sc);
  sc.lr = (float)lr;
  bias_corrections(t, &sc.c1, &sc.c2);
  sc.wd = (float)wd;
  sc.gscale = gscale;
  CU(to_device(d->sc, &sc, sizeof sc));
  return adamw_dev(d);
}

/* ---- a whole training step in one submission ----
 * The inputs of micro-batch a (step_in ints each, at s_in + a * step_in): tokens [N], targets [N],
 * the encoder's buckets (uid [N], off [N + 1], pos [N]) and their count nu. */
static size_t step_in(int N) { return 5 * (size_t)N + 2; }
#define S_TOK(p, N) (p)
#define S_TGT(p, N) ((p) + (N))
#define S_UID(p, N) ((p) + 2 * (size_t)(N))
#define S_POS(p, N) ((p) + 3 * (size_t)(N))
#define S_OFF(p, N) ((p) + 4 * (size_t)(N)) /* N + 1 */
#define S_NU(p, N) ((p) + 5 * (size_t)(N) + 1)

/* Buffers for steps of accum x B x T; a new shape drops the old buffers and graph. */
static int step_buffers(sf_cuda_gpt *d, int accum, int B, int T) {
  if (d->s_accum == accum && d->s_B == B && d->s_T == T) return SF_OK;
  std::lock_guard<std::mutex> hold(device_lock);
  step_free(d);
  size_t N = (size_t)B * T, ints = step_in((int)N) * accum, losses = N * accum;
  CU(cudaMallocHost((void **)&d->s_in_h, sizeof(int) * ints));
  CU(cudaMallocHost((void **)&d->s_loss_h, sizeof(float) * losses));
  CU(cudaMallocHost((void **)&d->s_sc_h, sizeof(sfk_scalars)));
  CU(cudaMalloc((void **)&d->s_in_d, sizeof(int) * ints));
  CU(cudaMalloc((void **)&d->s_loss_d, sizeof(float) * losses));
  d->s_accum = accum;
  d->s_B = B;
  d->s_T = T;
  return SF_OK;
}

/* The step's stream work, from the inputs already on the device: zeroed gradients, every
 * micro-batch's forward and backward, the norm and clipping factor (sfk_clip), AdamW. */
static int step_body(sf_cuda_gpt *d) {
  const int B = d->s_B, T = d->s_T, N = B * T, V = d->c.vocab, maxu = N < V ? N : V;
  CU(cudaMemsetAsync(d->G, 0, sizeof(float) * d->n, SFK_STREAM));
  for (int a = 0; a < d->s_accum; a++) {
    const int *in = d->s_in_d + (size_t)a * step_in(N);
    TRY(forward_dev(d, S_TOK(in, N), S_TGT(in, N), d->s_loss_d + (size_t)a * N, B, T, 1));
    TRY(backward_dev(d, 0.0f, S_NU(in, N), S_UID(in, N), S_OFF(in, N), S_POS(in, N), maxu));
  }
  TRY(sfk_sumsq_partials(d->part, d->G, d->n));
  TRY(sfk_clip(d->sc, d->part));
  return adamw_dev(d);
}

/* Captures step_body as a graph and instantiates it into d->s_exec; a failure inside ends the
 * capture before it returns. */
static int step_capture(sf_cuda_gpt *d) {
  std::lock_guard<std::mutex> hold(device_lock);
  CU(cudaStreamBeginCapture(SFK_STREAM, cudaStreamCaptureModeThreadLocal));
  int rc = step_body(d);
  cudaGraph_t g = NULL;
  cudaError_t e = cudaStreamEndCapture(SFK_STREAM, &g);
  if (!rc && e != cudaSuccess) rc = sf_cuda_fail(e, "cudaStreamEndCapture");
  if (!rc) CU_KEEP(cudaGraphInstantiate(&d->s_exec, g, 0));
  if (g) cudaGraphDestroy(g);
  if (rc)
    sf_fail_context("capturing a training step as a CUDA graph (SCALEFIT_CUDA_GRAPHS=0 runs it launch by launch): ");
  return rc;
}

int sf_cuda_gpt_train_step(sf_cuda_gpt *d, const int *tokens, const int *targets, int accum, int B, int T,
                           float scale, double lr, long t, double clip, double wd, double *loss, double *norm) {
  TRY(check_shape(d, B, T));
  if (accum < 1) return sf_fail(SF_EINTERNAL, "cuda: a step of %d micro-batches", accum);
  TRY(step_buffers(d, accum, B, T));
  const int N = B * T;
  for (int a = 0; a < accum; a++) {
    int *in = d->s_in_h + (size_t)a * step_in(N);
    const int *tok = tokens + (size_t)a * N;
    memcpy(S_TOK(in, N), tok, sizeof(int) * (size_t)N);
    memcpy(S_TGT(in, N), targets + (size_t)a * N, sizeof(int) * (size_t)N);
    *S_NU(in, N) = sfk_encoder_buckets(tok, N, d->c.vocab, d->hcount, S_UID(in, N), S_OFF(in, N), S_POS(in, N));
  }
  sfk_scalars *sc = d->s_sc_h;
  memset(sc, 0, sizeof *sc);
  sc->scale = scale;
  sc->lr = (float)lr;
  bias_corrections(t, &sc->c1, &sc->c2);
  sc->wd = (float)wd;
  sc->clip = clip;
  CU(cudaMemcpyAsync(d->s_in_d, d->s_in_h, sizeof(int) * step_in(N) * accum, cudaMemcpyHostToDevice, SFK_STREAM));
  CU(cudaMemcpyAsync(d->sc, sc, sizeof *sc, cudaMemcpyHostToDevice, SFK_STREAM));
  /* the first step of a shape runs eagerly: libraries finish their lazy set-up outside a capture */
  if (!d->graphs || d->s_steps == 0) TRY(step_body(d));
  else {
    if (!d->s_exec) TRY(step_capture(d));
    CU(cudaGraphLaunch(d->s_exec, SFK_STREAM));
  }
  d->s_steps++;
  /* what forward_dev leaves on the host, which a replayed graph does not run: the shape of the last
   * forward, and its logits turned into their gradient (no probabilities to copy) */
  d->B = B;
  d->T = T;
  d->dlogits = 1;
  CU(cudaMemcpyAsync(d->s_loss_h, d->s_loss_d, sizeof(float) * (size_t)N * accum, cudaMemcpyDeviceToHost,
                     SFK_STREAM));
  CU(cudaMemcpyAsync(sc, d->sc, sizeof *sc, cudaMemcpyDeviceToHost, SFK_STREAM));
  CU(cudaStreamSynchronize(SFK_STREAM));
  double total = 0.0; /* micro-batch by micro-batch, as train.c adds them */
  for (int a = 0; a < accum; a++) total += row_sum(d->s_loss_h + (size_t)a * N, N);
  *loss = total;
  *norm = sc->norm;
  return SF_OK;
}

/* ---- the measured peak: the trainer's own product on large square matrices ---- */

int sf_cuda_gemm_peak(sf_precision p, int n, double seconds, double *flops) {
  *flops = 0;
  if (n < 1) return sf_fail(SF_EINPUT, "a %d x %d product measures nothing", n, n);
  size_t nn = (size_t)n * n;
  float *h = (float *)malloc(sizeof(float) * nn), *a = NULL, *w = NULL, *out = NULL;
  __nv_bfloat16 *w16 = NULL, *a16 = NULL; /* bf16: both operands converted once, as the trainer has them */
  sfk_ctx x;
  memset(&x, 0, sizeof x);
  int rc = h ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
  /* random operands: constant or zero ones run faster than real data on some GPUs (less toggling) */
  uint64_t r = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; !rc && i < nn; i++) {
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    h[i] = (float)((double)(r >> 11) / 9007199254740992.0 - 0.5);
  }
  if (!rc) rc = sfk_ctx_init(&x, p, p == SF_PREC_BF16 ? nn : 0, 0);
  CU_KEEP(cudaMalloc((void **)&a, sizeof(float) * nn));
  CU_KEEP(cudaMalloc((void **)&w, sizeof(float) * nn));
  CU_KEEP(cudaMalloc((void **)&out, sizeof(float) * nn));
  if (p == SF_PREC_BF16) CU_KEEP(cudaMalloc((void **)&w16, sizeof(__nv_bfloat16) * nn));
  if (p == SF_PREC_BF16) CU_KEEP(cudaMalloc((void **)&a16, sizeof(__nv_bfloat16) * nn));
  CU_KEEP(to_device(a, h, sizeof(float) * nn));
  CU_KEEP(to_device(w, h, sizeof(float) * nn));
  if (!rc && w16) rc = sfk_to_bf16(w16, w, nn);
  if (!rc && a16) rc = sfk_to_bf16(a16, a, nn);
  /* warm-up (cuBLAS picks its kernel), then as many products as fit in `seconds` */
  if (!rc) rc = sfk_matmul_forward(&x, out, a, a16, w, w16, NULL, n, n, n, n);
  CU_KEEP(cudaDeviceSynchronize());
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  double t = 0;
  long reps = 0;
  for (long batch = 1; !rc && t < seconds; batch *= 2) {
    for (long k = 0; !rc && k < batch; k++) rc = sfk_matmul_forward(&x, out, a, a16, w, w16, NULL, n, n, n, n);
    CU_KEEP(cudaDeviceSynchronize());
    reps += batch;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    t = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  }
  if (!rc) *flops = 2.0 * (double)n * (double)n * (double)n * (double)reps / t;
  sfk_ctx_free(&x);
  cudaFree(a);
  cudaFree(w);
  cudaFree(out);
  cudaFree(w16);
  cudaFree(a16);
  free(h);
  return rc;
}
