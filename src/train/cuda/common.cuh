/* common.cuh: what the CUDA trainer's .cu files share (internal): error checks, the context of
 * the matrix products, and the layer operations on DEVICE pointers that kernels.cu defines and
 * model.cu (the training model) and host.cu (the tests' host-array wrappers) call.
 *
 * Layout contract (the same as layers.h, everything row-major fp32):
 *   N = B*T rows (tokens), C model width, OC output width, NH heads, hs = C/NH;
 *   activations [N, C]; a weight w [OC, C] (out = inp . w^T + bias); qkv [N, 3C] holds q, k, v
 *   side by side, head h in columns h*hs .. h*hs+hs-1 of each third; att [B, NH, T, T] holds the
 *   softmax probabilities of query row t over key column j (0 for j > t).
 * Internally attention works on "head-major" copies [B, NH, T, hs] (one contiguous T x hs matrix
 * per (b, h)), so that cuBLAS's strided-batched GEMM can take all B*NH heads in one call.
 *
 * cuBLAS is column-major: a row-major X[R, K] (leading dimension K) is, to cuBLAS, the
 * column-major K x R matrix X^T with ld K. Every GEMM's arguments come from a plan in plan.h, which
 * states its row-major meaning and derives the arguments from that rule; the tests replay the plans
 * on the CPU with a reference column-major GEMM.
 *
 * Gradient conventions (layers.h): weight and bias gradients ACCUMULATE (+=); matmul and attention
 * overwrite their input gradients; layernorm adds to its input gradient.
 *
 * Every function returns SF_OK or an sf_fail status. Kernels, memsets and cuBLAS go to one stream,
 * SFK_STREAM (the per-thread default stream), so all work is ordered without explicit syncs; a
 * plain cudaMemcpy (legacy stream) waits for it, and the first synchronising call reports any
 * asynchronous kernel fault. One stream that is not the legacy one is what lets model.cu capture a
 * whole training step as a CUDA graph.
 */
#ifndef SF_TRAIN_CUDA_COMMON_CUH
#define SF_TRAIN_CUDA_COMMON_CUH

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

/* Opens libcublas (dlopen, once per process) and finds the functions the trainer uses; SF_EINPUT
 * saying what is missing. Everything below that uses cuBLAS calls it first (sfk_ctx_init). */
int sfk_cublas_load(void);

/* A failed CUDA call becomes sf_fail("cuda: <call>: <error string>"): SF_ENOMEM when the device is
 * out of memory, SF_EIO otherwise (the device is unusable or the call was wrong). */
int sf_cuda_fail(cudaError_t e, const char *call);
int sf_cublas_fail(cublasStatus_t s, const char *call);

#define CU(call)                                                                                     \
  do {                                                                                               \
    cudaError_t cu_e_ = (call);                                                                      \
    if (cu_e_ != cudaSuccess) return sf_cuda_fail(cu_e_, #call);                                     \
  } while (0)
#define CB(call)                                                                                     \
  do {                                                                                               \
    cublasStatus_t cb_s_ = (call);                                                                   \
    if (cb_s_ != CUBLAS_STATUS_SUCCESS) return sf_cublas_fail(cb_s_, #call);                         \
  } while (0)
/* After every kernel launch: a bad launch configuration is reported here, a fault in the kernel at
 * the next synchronising call. */
#define LAUNCHED(name)                                                                               \
  do {                                                                                               \
    cudaError_t cu_e_ = cudaGetLastError();                                                          \
    if (cu_e_ != cudaSuccess) return sf_cuda_fail(cu_e_, "launch of " #name);                        \
  } while (0)

/* Every kernel launch: SFK_LAUNCH(kernel, grid, block)(args...) is kernel<<<grid, block, 0,
 * SFK_STREAM>>>(args...) under nvcc. Built by tests/cudaemu (SF_CUDA_EMU: the .cu files compiled as C++ against a CPU
 * emulation of CUDA, for the tests), it runs the grid on the host instead (tests/cudaemu/README.md). */
#define SFK_STREAM cudaStreamPerThread
#ifdef SF_CUDA_EMU
#define SFK_LAUNCH(kernel, grid, block) sf_emu_launch(#kernel, kernel, grid, block, SFK_STREAM)
#else
#define SFK_LAUNCH(kernel, grid, block) kernel<<<grid, block, 0, SFK_STREAM>>>
#endif

/* Loops over register arrays must be unrolled (an array indexed at run time lives in local
 * memory); the emulator's compiler has no such pragma and needs none. */
#ifndef SFK_UNROLL
#ifdef SF_CUDA_EMU
#define SFK_UNROLL
#else
#define SFK_UNROLL _Pragma("unroll")
#endif
#endif

/* What the products need: the cuBLAS handle, the precision, and bf16 staging buffers. In bf16 both
 * operands of every product are converted into a16 / b16 (n16 values each) just before the GEMM,
 * unless the caller has them in bf16; ones[nones] is a vector of 1.0f for column sums (bias and
 * LayerNorm gradients) as GEMVs, ones16 the same in bf16 (bf16 only) for column sums of bf16
 * gradients. */
typedef struct sfk_ctx {
  cublasHandle_t h;
  sf_precision prec;       /* SF_PREC_FP32, SF_PREC_TF32 or SF_PREC_BF16 */
  __nv_bfloat16 *a16, *b16; /* bf16 only; n16 values each */
  size_t n16;
  float *ones;
  __nv_bfloat16 *ones16;
  size_t nones;
  void *ws; /* cuBLAS's workspace when sfk_ctx_workspace gave it one */
} sfk_ctx;

/* Creates the handle (math mode: default, so fp32 is IEEE fp32; TF32 is asked per call) and the
 * buffers for products of up to n16 operand values and column sums over up to nones rows. */
int sfk_ctx_init(sfk_ctx *x, sf_precision p, size_t n16, size_t nones);
/* Gives cuBLAS a workspace of its own (bytes, freed with the context): a graph capture then never
 * has cuBLAS allocate (model.cu). */
int sfk_ctx_workspace(sfk_ctx *x, size_t bytes);
void sfk_ctx_free(sfk_ctx *x);

/* ---- element-wise and row kernels (kernels.cu); shapes as in layers.h ---- */
int sfk_fill(float *x, size_t n, float v);
int sfk_to_bf16(__nv_bfloat16 *out, const float *in, size_t n);
int sfk_bf16_round(float *x, size_t n); /* x = float(bf16(x)), for the tests */
int sfk_encoder_forward(float *out, const int *inp, const float *wte, const float *wpe, int B, int T, int C);
/* dwte += per token the sum of its rows of dout; the tokens come sorted into buckets by the host
 * (sfk_encoder_buckets): *nu distinct ids uid[u], whose rows are pos[off[u] .. off[u+1]) in
 * increasing order, so every sum runs in row order with no atomics (deterministic). nu is device
 * memory, read by the kernel (a captured step's count changes from step to step); maxu >= *nu
 * sizes the grid. dwpe[T, C] += sum over the batch. */
int sfk_encoder_backward(float *dwte, float *dwpe, const float *dout, const int *nu, const int *uid, const int *off,
                         const int *pos, int maxu, int B, int T, int C);
/* Host side of the buckets: inp[N] ids < V into uid[<=N], off[<=N+1], pos[N]; returns nu. count[V] is
 * scratch. */
int sfk_encoder_buckets(const int *inp, int N, int V, int *count, int *uid, int *off, int *pos);
/* Kernels with an out16 (dinp16, dlogits16) argument also write their result rounded to bf16
 * there when it is not NULL: the operand of the next bf16 product, converted by its producer instead
 * of a separate pass (the same rounding, so the same bits). LayerNorm's forward takes a NULL fp32
 * out when out16 is given: in bf16 only the copy is read (the products take it, the backward passes
 * read their inputs, not these outputs). */
int sfk_layernorm_forward(float *out, __nv_bfloat16 *out16, float *mean, float *rstd, const float *inp,
                          const float *w, const float *b, int N, int C);
/* res = a + (b + bias) (sfk_residual_forward over rows of C), then the LayerNorm of res into out /
 * out16, mean, rstd (sfk_layernorm_forward), in one pass: the same values, res read back never. */
int sfk_residual_layernorm(float *res, const float *a, const float *b, const float *bias, float *out,
                           __nv_bfloat16 *out16, float *mean, float *rstd, const float *w, const float *lb, int N,
                           int C);
/* tmp [N, C] is scratch (per-block partial sums of dw and db, or per-row terms of dw summed by a
 * GEMV for rows wider than 1024 or fewer than 3 rows). dinp16 not NULL: the new dinp
 * also rounded to bf16 there (the residual stream's gradient, which two products read next).
 * dsum [C] not NULL: dsum += the new dinp's column sums, in the same pass (the bias gradient of
 * the product whose output was added to the residual stream that this LayerNorm read). */
int sfk_layernorm_backward(sfk_ctx *x, float *dinp, __nv_bfloat16 *dinp16, float *dsum, float *dw, float *db,
                           float *tmp, const float *dout, const float *inp, const float *w, const float *mean,
                           const float *rstd, int N, int C);
/* GELU in fp32 and tf32 runs. bias [OC] not NULL: inp (rows of OC) += bias first, in place: a linear
 * layer's bias, fused here. dinp may be dout. */
int sfk_gelu_forward(float *out, float *inp, const float *bias, int OC, size_t n);
int sfk_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);
/* The bf16 MLP's GELU: inp16 is the fc product's output without its bias; both passes add
 * bias[OC] as they read it (x = inp16 + bias, fp32) and round their result to bf16.
 * out16 = gelu(x); dinp16 = gelu'(x) * dout16 (dinp16 may be dout16). n a multiple of OC. */
int sfk_gelu_forward16(__nv_bfloat16 *out16, const __nv_bfloat16 *inp16, const float *bias, int OC, size_t n);
/* dbias [OC] not NULL: dbias += dinp's column sums (of the fp32 values), summed in the pass through
 * per-block partials in part (part_n floats: the more, the more row blocks; fewer than OC: a
 * bf16 GEMM sums the rounded values after the pass, through x's bf16 ones). */
int sfk_gelu_backward16(sfk_ctx *x, __nv_bfloat16 *dinp16, const __nv_bfloat16 *inp16, const float *bias,
                        const __nv_bfloat16 *dout16, int OC, size_t n, float *dbias, float *part, size_t part_n);
/* out = a + (b + bias), the bias [OC] over rows of OC (b's layer's, fused here) when not NULL */
int sfk_residual_forward(float *out, const float *a, const float *b, const float *bias, int OC, size_t n);
/* Cross-entropy over logits [N, V] whose rows are ld >= V apart (sf_vocab_ld; every buffer below
 * has that layout; the padding columns are neither read nor written).
 * logits -> probabilities in place; losses[N] (0 where masked). */
int sfk_crossentropy_forward(float *probs, float *losses, const int *targets, int N, int V, int ld);
/* The forward and backward in one (fp32 and tf32 runs): logits -> losses[N] and the gradient of
 * *scale * (summed loss) with respect to the logits, in place. scale is device memory
 * (sfk_scalars.scale), read by the kernel. */
int sfk_crossentropy_fused(float *logits, float *losses, const int *targets, const float *scale, int N, int V,
                           int ld);
/* The same on bf16 logits (the training forward in bf16), in place: z16 [N, ld] (ld a multiple of 8,
 * z16 16-byte aligned) holds the logits in and the bf16 gradient out, padding columns zeroed. */
int sfk_crossentropy_fused16(__nv_bfloat16 *z16, float *losses, const int *targets, const float *scale, int N, int V,
                             int ld);
/* dlogits (fp32) may be NULL when dlogits16 is not: only the bf16 copy is written */
int sfk_crossentropy_backward(float *dlogits, __nv_bfloat16 *dlogits16, const float *probs, const int *targets,
                              float scale, int N, int V, int ld);
/* AdamW, train.c's update element by element (fp32, the same expression order, so the same bits),
 * over tensors laid end to end: tensor k is elements [off[k], off[k+1]) of p, g, m, v, with
 * off[0] = 0 and off non-decreasing; weight decay wd where bit k of decay is set, 0 elsewhere.
 * Passed by value to the kernel (one launch for all tensors). */
enum { SFK_ADAMW_TENSORS = 32 };
typedef struct sfk_adamw_layout {
  int n;                             /* tensors, 1..SFK_ADAMW_TENSORS */
  uint32_t decay;                    /* bit k: tensor k decays */
  size_t off[SFK_ADAMW_TENSORS + 1]; /* n + 1 boundaries; elements updated: off[n] */
} sfk_adamw_layout;
/* The scalars of a training step in device memory, which the kernels read when they run: a step
 * captured as a CUDA graph (model.cu) then takes each step's values without being captured again.
 * The host sets scale, lr, c1, c2, wd and clip; sfk_clip sets norm and gscale (or the host sets
 * gscale itself). */
typedef struct sfk_scalars {
  float scale;          /* of the summed loss's gradient (1 / the step's valid targets) */
  float lr, c1, c2, wd; /* AdamW's rate, bias corrections 1 / (1 - beta^t), decay */
  float gscale;         /* the gradients' factor (clipping); NaN: the norm was not finite, no update */
  double clip, norm;    /* the clipping threshold; the global gradient norm */
} sfk_scalars;
/* One step over every tensor of t in one launch with the scalars s (device memory). p16 NULL, or the
 * bf16 copy of p: it gets bf16(p[i]) of each updated weight in the same pass. */
int sfk_adamw_all(float *p, __nv_bfloat16 *p16, const float *g, float *m, float *v, const sfk_adamw_layout *t,
                  const sfk_scalars *s);
/* Per-block partial sums of squares (double) of x[n] into part[SFK_NORM_BLOCKS]. */
enum { SFK_NORM_BLOCKS = 256 };
int sfk_sumsq_partials(double *part, const float *x, size_t n);
/* s->norm = the square root of the partials' sum (in block order, double, as the host sums them);
 * s->gscale = clip / norm when norm > clip, else 1 (train.c's rule), NaN when norm is not finite. */
int sfk_clip(sfk_scalars *s, const double *part);

/* ---- products (kernels.cu) ----
 * w16, inp16, dout16 are bf16 copies of w, inp, dout, used in bf16 only (ignored otherwise) and
 * converted on the fly when NULL. out and dout have rows ldo >= OC apart (plan.h); a bias needs
 * ldo == OC. */
int sfk_matmul_forward(sfk_ctx *x, float *out, const float *inp, const __nv_bfloat16 *inp16, const float *w,
                       const __nv_bfloat16 *w16, const float *bias, int N, int C, int OC, int ldo);
/* bf16 only: the same product from bf16 operands into a bf16 output (no bias), rounded once */
int sfk_matmul_forward16(sfk_ctx *x, __nv_bfloat16 *out16, const __nv_bfloat16 *inp16, const __nv_bfloat16 *w16,
                         int N, int C, int OC, int ldo);
/* The head's backward in bf16 over the padded vocabulary (kernels.cu says how). */
int sfk_lmhead_backward16(sfk_ctx *x, float *dinp, float *dw, float *scratch, const __nv_bfloat16 *dout16,
                          const __nv_bfloat16 *inp16, const __nv_bfloat16 *w16, int N, int C, int V, int Vp);
/* dinp may be NULL: then dinp16 gets it in bf16 (bf16 only) when not NULL, else it is not computed;
 * dbias may be NULL; dout may be NULL in bf16 when dout16 is given (dbias then sums dout16). */
int sfk_matmul_backward(sfk_ctx *x, float *dinp, __nv_bfloat16 *dinp16, float *dw, float *dbias, const float *dout,
                        const __nv_bfloat16 *dout16, const float *inp, const __nv_bfloat16 *inp16, const float *w,
                        const __nv_bfloat16 *w16, int N, int C, int OC, int ldo);

/* Attention. Forward: qkv [N, 3C] -> out [N, C]; keeps qkvh [3, B, NH, T, hs] (head-major q, k, v)
 * and att [B, NH, T, T] for the backward; yh [B, NH, T, hs] is scratch. */
int sfk_attention_forward(sfk_ctx *x, float *out, float *att, float *qkvh, float *yh, const float *qkv, int B, int T,
                          int C, int NH);
/* Backward: dout [N, C] -> dqkv [N, 3C] (overwritten). Scratch: dyh [B, NH, T, hs],
 * dqkvh [3, B, NH, T, hs], dpre [B, NH, T, T]. */
int sfk_attention_backward(sfk_ctx *x, float *dqkv, const float *dout, const float *qkvh, const float *att, float *dyh,
                           float *dqkvh, float *dpre, int B, int T, int C, int NH);

/* ---- flash attention (flash.cu): bf16 on tensor cores, no T x T buffer ----
 * For head sizes hs = C / NH of 16..128 in steps of 16 (sfk_flash_supported). Tp = sfk_flash_tpad(T)
 * (T rounded up to 64). Every pointer 32-byte aligned (WMMA's rule for the tiles read from global).
 * Forward: qkv [N, 3C] fp32, or qkv16 in bf16 (16-byte aligned) when not NULL, plus bias [3C] when
 * not NULL (the qkv layer's bias, added here in fp32 rather than in a pass of its own) -> out [N, C]
 * fp32 and/or out16 in bf16 (either may be NULL, not both); keeps for the backward qkvh [3, B, NH,
 * Tp, hs] (bf16 head-major q, k, v; rows t >= T zero) and lse [B, NH, Tp] (log of each query's
 * softmax normaliser, scores scaled). Backward: dout [N, C] and the forward's out (each fp32, or in
 * bf16 from dout16 / out16 when not NULL) -> dqkv [N, 3C] fp32 and/or dqkv16 in bf16 (overwritten;
 * either may be NULL, not both); scratch doh [B, NH, Tp, hs] bf16 and dsum [B, NH, Tp]. */
int sfk_flash_supported(int C, int NH);
int sfk_flash_tpad(int T);
int sfk_flash_forward(float *out, __nv_bfloat16 *out16, __nv_bfloat16 *qkvh, float *lse, const float *qkv,
                      const __nv_bfloat16 *qkv16, const float *bias, int B, int T, int C, int NH);
int sfk_flash_backward(float *dqkv, __nv_bfloat16 *dqkv16, const float *dout, const __nv_bfloat16 *dout16,
                       const float *out, const __nv_bfloat16 *out16, const __nv_bfloat16 *qkvh, const float *lse,
                       __nv_bfloat16 *doh, float *dsum, int B, int T, int C, int NH);

#endif
