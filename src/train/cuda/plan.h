/* plan.h: the index arithmetic of the GPU trainer, in plain C that both nvcc (kernels.cu) and the C
 * tests compile, so that the parts most easily got wrong (the column-major arguments of every cuBLAS
 * product, and the maps between row layout and head-major layout) are checked on the CPU by
 * tests/unit/test_train_cuda.c, which replays them with a reference column-major GEMM, on any
 * machine, GPU or not.
 *
 * cuBLAS's GEMM (column-major): C[m x n] = alpha * op(A)[m x k] . op(B)[k x n] + beta * C, where
 * element (i, j) of a column-major matrix X with leading dimension ld is X[i + j*ld]; op(X) = X, or
 * X^T when the flag is set; batched: matrix b of each operand starts b * stride elements in.
 * A row-major R x K array (leading dimension K) is, read column-major, its K x R transpose. Every
 * plan below states the row-major product it computes and follows from that rule.
 */
#ifndef SF_TRAIN_CUDA_PLAN_H
#define SF_TRAIN_CUDA_PLAN_H

#include <stddef.h>

#ifdef __CUDACC__
#define SF_HD __host__ __device__
#else
#define SF_HD
#endif

typedef struct sf_gemm_plan {
  int transA, transB; /* op(A) = A^T when set */
  int m, n, k;
  int lda, ldb, ldc;
  long long sA, sB, sC; /* element strides between batches */
  int batch;            /* 1: one product */
  float alpha, beta;
  size_t nA, nB;        /* elements of A and B over the whole batch (what a bf16 copy must hold) */
} sf_gemm_plan;

static inline sf_gemm_plan sf_plan(int tA, int tB, int m, int n, int k, int lda, int ldb, int ldc, long long sA,
                                   long long sB, long long sC, int batch, float alpha, float beta, size_t nA,
                                   size_t nB) {
  sf_gemm_plan p = {tA, tB, m, n, k, lda, ldb, ldc, sA, sB, sC, batch, alpha, beta, nA, nB};
  return p;
}

/* ---- linear layers: inp [N, C], w [OC, C], out [N, OC] with rows ldo >= OC apart ----
 * ldo > OC pads the output's rows: the language-model head's logits have rows of the vocabulary
 * rounded up (sf_vocab_ld), because tensor-core GEMMs need 16-byte aligned rows and GPT-2's
 * vocabulary (50257) is odd: unpadded, cuBLAS falls back to kernels three times slower (measured on
 * an H100). The padding columns are never read or written. */

/* out = inp . w^T: column-major out^T (OC x N, ld ldo) = op_T(w read as C x OC, ld C) . (inp read as
 * C x N, ld C). A = w, B = inp. */
static inline sf_gemm_plan sf_plan_linear_forward(int N, int C, int OC, int ldo) {
  return sf_plan(1, 0, OC, N, C, C, C, ldo, 0, 0, 0, 1, 1.0f, 0.0f, (size_t)OC * C, (size_t)N * C);
}
/* dinp [N, C] = dout . w: column-major dinp^T (C x N, ld C) = (w read as C x OC, ld C)
 * . (dout read as OC x N, ld ldo). A = w, B = dout. */
static inline sf_gemm_plan sf_plan_linear_dinp(int N, int C, int OC, int ldo) {
  return sf_plan(0, 0, C, N, OC, C, ldo, C, 0, 0, 0, 1, 1.0f, 0.0f, (size_t)OC * C, (size_t)N * ldo);
}
/* dw [OC, C] += dout^T . inp: column-major dw^T (C x OC, ld C) = (inp read as C x N, ld C)
 * . op_T(dout read as OC x N, ld ldo). A = inp, B = dout, beta 1 (accumulate). */
static inline sf_gemm_plan sf_plan_linear_dw(int N, int C, int OC, int ldo) {
  return sf_plan(0, 1, C, OC, N, C, ldo, C, 0, 0, 0, 1, 1.0f, 1.0f, (size_t)N * C, (size_t)N * ldo);
}
/* The row length of the logits for a vocabulary of V: V rounded up to 64 (16-byte rows in fp32 and
 * bf16, and whole 128-byte lines in bf16). */
static inline int sf_vocab_ld(int V) { return (V + 63) / 64 * 64; }

/* ---- attention, per head (b, h) over B*NH heads: Q, K, V, dY, dQ, dK, dV are row-major [T, hs]
 * matrices, stride T*hs apart in head-major buffers; S, P, dP, dS row-major [T, T] (query row t,
 * key column j), stride T*T apart ---- */

/* S = scale * Q K^T: column-major S^T (T x T, ld T) = op_T(K read as hs x T, ld hs)
 * . (Q read as hs x T, ld hs). A = K, B = Q. The same plan with scale 1 gives dP = dY V^T
 * (A = V, B = dY). */
static inline sf_gemm_plan sf_plan_att_scores(int B, int T, int C, int NH, float scale) {
  int hs = C / NH;
  size_t nq = (size_t)B * T * C;
  return sf_plan(1, 0, T, T, hs, hs, hs, T, (long long)T * hs, (long long)T * hs, (long long)T * T, B * NH, scale,
                 0.0f, nq, nq);
}
/* Y = P V: column-major Y^T (hs x T, ld hs) = (V read as hs x T, ld hs) . (P read as T x T, ld T,
 * which is P^T). A = V, B = P. With scale: dQ = scale dS K (A = K, B = dS). */
static inline sf_gemm_plan sf_plan_att_pv(int B, int T, int C, int NH, float scale) {
  int hs = C / NH;
  return sf_plan(0, 0, hs, T, T, hs, T, hs, (long long)T * hs, (long long)T * T, (long long)T * hs, B * NH, scale,
                 0.0f, (size_t)B * T * C, (size_t)B * NH * T * T);
}
/* dV = P^T dY: column-major dV^T (hs x T, ld hs) = (dY read as hs x T, ld hs) . op_T(P read as
 * P^T, ld T) = dY^T P. A = dY, B = P. With scale: dK = scale dS^T Q (A = Q, B = dS). */
static inline sf_gemm_plan sf_plan_att_pt(int B, int T, int C, int NH, float scale) {
  int hs = C / NH;
  return sf_plan(0, 1, hs, T, T, hs, T, hs, (long long)T * hs, (long long)T * T, (long long)T * hs, B * NH, scale,
                 0.0f, (size_t)B * T * C, (size_t)B * NH * T * T);
}

/* ---- layouts ----
 * Head-major element i of a [B, NH, T, hs] buffer is (b, h, t, d); in the row layout [N, width] it is
 * row b*T + t, column offset + h*hs + d. qkv rows are 3C wide with q, k, v at offsets 0, C, 2C; the
 * attention output rows are C wide at offset 0. Returns the row-layout index. */
SF_HD static inline size_t sf_head_to_row(size_t i, int B, int T, int C, int NH, int width, int offset) {
  size_t hs = (size_t)(C / NH);
  size_t d = i % hs, t = (i / hs) % (size_t)T, h = (i / (hs * (size_t)T)) % (size_t)NH;
  size_t b = i / (hs * (size_t)T * (size_t)NH);
  (void)B;
  return (b * (size_t)T + t) * (size_t)width + (size_t)offset + h * hs + d;
}

/* The embedding's backward without atomics: the host sorts the rows of a batch by token, inp[N]
 * (ids < V) into nu distinct ids uid[u] whose rows are pos[off[u] .. off[u+1]), increasing; each
 * token's gradient is then one ordered sum. count[V] is scratch. Returns nu. */
static inline int sf_encoder_buckets(const int *inp, int N, int V, int *count, int *uid, int *off, int *pos) {
  for (int v = 0; v < V; v++) count[v] = 0;
  for (int n = 0; n < N; n++) count[inp[n]]++;
  int nu = 0, o = 0;
  for (int v = 0; v < V; v++) {
    if (!count[v]) continue;
    uid[nu] = v;
    off[nu] = o;
    o += count[v];
    count[v] = off[nu]; /* now the next free slot of token v */
    nu++;
  }
  off[nu] = o;
  for (int n = 0; n < N; n++) pos[count[inp[n]]++] = n; /* n increasing: each bucket in row order */
  return nu;
}

/* Processes sharing GPUs (sf_cuda_use): process `slot` of nprocs trains on device slot % count,
 * which the processes slot % count, slot % count + count, ... share. Returns how many they are. */
static inline int sf_gpu_sharing(int slot, int nprocs, int count) {
  if (nprocs < 1) nprocs = 1;
  if (count < 1) count = 1;
  int dev = (slot < 0 ? 0 : slot) % nprocs % count;
  int share = nprocs / count + (dev < nprocs % count ? 1 : 0);
  return share < 1 ? 1 : share;
}

#endif
