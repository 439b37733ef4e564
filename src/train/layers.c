/* layers.c: forward and backward of each GPT layer (contracts in layers.h).
 *
 * Where the time goes: the weight products (24*C^2 multiply-adds per token per layer) run in
 * OpenBLAS's sgemm over all B*T rows at once; attention's per-head products (T*T*hs) are too small
 * and too many for sgemm calls from inside a parallel region (OpenBLAS's pthread build must not be
 * called from OpenMP threads), so they use the small register-tiled kernel below, one (batch, head)
 * per OpenMP iteration, forward and backward. Softmax and GELU use a polynomial exp that the
 * compiler vectorises, because libm's expf in those loops would cost as much as the products.
 */
#include "train/layers.h"

#include <gsl/gsl_cblas.h>
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#else
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_max_threads(void) { return 1; }
#endif

/* ---------------------------------------------------------------------------------------------
 * exp: Cody-Waite range reduction x = n*ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r
 * (Cephes' coefficients), and 2^n built in the exponent bits. Branch-free so loops vectorise.
 * ------------------------------------------------------------------------------------------- */
static inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  /* round to nearest by adding and removing 1.5 * 2^23 (no floorf call, so the loop vectorises) */
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  union { float f; int i; } u;
  u.i = ((int)n + 127) << 23;
  return p * u.f;
}

float sf_expf(float x) { return fast_exp(x); }

/* max of p[0..n): eight running maxima, a shape both GCC and Clang turn into vector code without
 * -ffast-math (an OpenMP max reduction vectorises under GCC only). */
static inline float row_max(const float *p, int n) {
  float m[8];
  for (int k = 0; k < 8; k++) m[k] = -INFINITY;
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) m[k] = p[j + k] > m[k] ? p[j + k] : m[k];
  for (; j < n; j++) m[0] = p[j] > m[0] ? p[j] : m[0];
  float mx = m[0];
  for (int k = 1; k < 8; k++) mx = m[k] > mx ? m[k] : mx;
  return mx;
}

/* ---------------------------------------------------------------------------------------------
 * encoder
 * ------------------------------------------------------------------------------------------- */
void sf_encoder_forward(float *out, const int *inp, const float *wte, const float *wpe, int B, int T, int C) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < B * T; n++) {
    const float *e = wte + (size_t)inp[n] * C, *p = wpe + (size_t)(n % T) * C;
    float *o = out + (size_t)n * C;
    for (int c = 0; c < C; c++) o[c] = e[c] + p[c];
  }
}

/* Tokens repeat, so a scatter over rows would race; each thread owns a block of columns instead
 * and walks all rows, which keeps the sums in row order for any thread count. */
void sf_encoder_backward(float *dwte, float *dwpe, const float *dout, const int *inp, int B, int T, int C) {
#pragma omp parallel
  {
    int nth = 1, tid = 0;
#ifdef _OPENMP
    nth = omp_get_num_threads();
    tid = omp_get_thread_num();
#endif
    int c0 = (int)((long)C * tid / nth), c1 = (int)((long)C * (tid + 1) / nth);
    for (int n = 0; n < B * T; n++) {
      const float *d = dout + (size_t)n * C;
      float *e = dwte + (size_t)inp[n] * C, *p = dwpe + (size_t)(n % T) * C;
      for (int c = c0; c < c1; c++) {
        e[c] += d[c];
        p[c] += d[c];
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * layernorm
 * ------------------------------------------------------------------------------------------- */
void sf_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                          const float *b, int N, int C) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float *x = inp + (size_t)n * C;
    float m = 0.0f, v = 0.0f;
#pragma omp simd reduction(+ : m)
    for (int c = 0; c < C; c++) m += x[c];
    m /= (float)C;
#pragma omp simd reduction(+ : v)
    for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
    float s = 1.0f / sqrtf(v / (float)C + 1e-5f);
    float *o = out + (size_t)n * C;
    for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * w[c] + b[c];
    mean[n] = m;
    rstd[n] = s;
  }
}

void sf_layernorm_backward(float *dinp, float *dw, float *db, float *scratch, const float *dout,
                           const float *inp, const float *w, const float *mean, const float *rstd,
                           int N, int C) {
  int maxth = omp_get_max_threads();
  memset(scratch, 0, sizeof(float) * 2 * (size_t)C * (size_t)maxth);
#pragma omp parallel
  {
    int nth = 1, tid = 0;
#ifdef _OPENMP
    nth = omp_get_num_threads();
    tid = omp_get_thread_num();
#endif
    float *pdw = scratch + (size_t)tid * 2 * C, *pdb = pdw + C;
    int n0 = (int)((long)N * tid / nth), n1 = (int)((long)N * (tid + 1) / nth);
    for (int n = n0; n < n1; n++) {
      const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
      float m = mean[n], s = rstd[n];
      float dm = 0.0f, dnm = 0.0f;
#pragma omp simd reduction(+ : dm, dnm)
      for (int c = 0; c < C; c++) {
        float norm = (x[c] - m) * s, dn = w[c] * d[c];
        dm += dn;
        dnm += dn * norm;
      }
      dm /= (float)C;
      dnm /= (float)C;
      float *di = dinp + (size_t)n * C;
      for (int c = 0; c < C; c++) {
        float norm = (x[c] - m) * s, dn = w[c] * d[c];
        pdb[c] += d[c];
        pdw[c] += norm * d[c];
        di[c] += (dn - dm - norm * dnm) * s;
      }
    }
  }
  for (int t = 0; t < maxth; t++) {
    const float *pdw = scratch + (size_t)t * 2 * C, *pdb = pdw + C;
    for (int c = 0; c < C; c++) {
      dw[c] += pdw[c];
      db[c] += pdb[c];
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * matmul: the weight products, all rows at once through sgemm
 * ------------------------------------------------------------------------------------------- */
/* Each product is cut into fixed blocks of the output, and each block is one single-threaded sgemm
 * call handed to whichever OpenMP thread is free (schedule(dynamic)):
 *  - one thread pool (OpenMP's) for the whole trainer, because OpenBLAS's pthread workers spin for
 *    a while after each call and, on a machine with few cores, steal them from the OpenMP loops
 *    that follow (a 25x slowdown measured on tiny layers with both pools at 2 threads);
 *  - dynamic blocks keep both cores busy when another process takes part of one, where an equal
 *    static split leaves one thread waiting at the barrier (20% of the time measured);
 *  - block boundaries do not depend on the threads and no output element is shared, so the
 *    results are bit-identical whichever thread computes which block. */
extern void openblas_set_num_threads(int) __attribute__((weak)); /* absent with GSL's reference CBLAS */

static void blas_single_thread(void) {
  if (openblas_set_num_threads) openblas_set_num_threads(1);
}

enum { ROW_BLOCK = 256, DW_ROWS = 64, DW_COLS = 256 };

void sf_matmul_forward(float *out, const float *inp, const float *w, const float *bias, int N, int C, int OC) {
  blas_single_thread();
  int nb = (N + ROW_BLOCK - 1) / ROW_BLOCK;
#pragma omp parallel for schedule(dynamic, 1)
  for (int blk = 0; blk < nb; blk++) {
    int n0 = blk * ROW_BLOCK, n1 = n0 + ROW_BLOCK < N ? n0 + ROW_BLOCK : N;
    float beta = 0.0f;
    if (bias) {
      for (int n = n0; n < n1; n++) memcpy(out + (size_t)n * OC, bias, sizeof(float) * (size_t)OC);
      beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n1 - n0, OC, C, 1.0f, inp + (size_t)n0 * C, C, w, C, beta,
                out + (size_t)n0 * OC, OC);
  }
}

void sf_matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                        const float *w, int N, int C, int OC) {
  blas_single_thread();
  int nb = dinp ? (N + ROW_BLOCK - 1) / ROW_BLOCK : 0;
  int nbo = (OC + DW_ROWS - 1) / DW_ROWS, nbc = (C + DW_COLS - 1) / DW_COLS;
#pragma omp parallel for schedule(dynamic, 1)
  for (int blk = 0; blk < nb + nbo * nbc; blk++) {
    if (blk < nb) { /* dinp rows n0..n1 = dout[n0..n1, :] . w */
      int n0 = blk * ROW_BLOCK, n1 = n0 + ROW_BLOCK < N ? n0 + ROW_BLOCK : N;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n1 - n0, C, OC, 1.0f, dout + (size_t)n0 * OC, OC, w, C,
                  0.0f, dinp + (size_t)n0 * C, C);
      continue;
    }
    /* dw[o0..o1, c0..c1] += dout[:, o0..o1]^T . inp[:, c0..c1]; dbias[o0..o1] with the first column block */
    int t = blk - nb, bo = t / nbc, bc = t % nbc;
    int o0 = bo * DW_ROWS, o1 = o0 + DW_ROWS < OC ? o0 + DW_ROWS : OC;
    int c0 = bc * DW_COLS, c1 = c0 + DW_COLS < C ? c0 + DW_COLS : C;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o1 - o0, c1 - c0, N, 1.0f, dout + o0, OC, inp + c0, C, 1.0f,
                dw + (size_t)o0 * C + c0, C);
    if (dbias && bc == 0)
      for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * OC;
        for (int o = o0; o < o1; o++) dbias[o] += d[o];
      }
  }
}

/* ---------------------------------------------------------------------------------------------
 * attention's small products: C = A . B over an 8 x 16 register tile, with the causal structure
 * expressed as per-row-tile limits on the columns or on the inner index.
 *
 * Every output is one chain of fused multiply-adds over the inner index in increasing order,
 * starting from zero, whichever tile computes it. Products with an exact zero (P and dS hold zeros
 * above the diagonal) leave a sum unchanged, so the limits below may include some of them.
 * Operands are read where they lie: A row-major or transposed (A[i,k] at A[k*lda + i]), B
 * row-major or transposed, straight from the qkv and gradient rows, so no head is copied out or
 * transposed on its own.
 * ------------------------------------------------------------------------------------------- */
enum { MR = 8, NR = 16 };
enum mm_mode {
  MM_CAUSAL_COLS, /* only columns j < i0 + MR are needed for row tile i0 (scores: j <= i) */
  MM_K_LOWER,     /* A is lower-triangular: inner index k < i0 + MR for row tile i0 */
  MM_K_FROM_ROW   /* A^T is lower-triangular (A[i,k] = 0 for k < i): inner index k >= i0 for row tile i0 */
};

/* 8 floats in a 256-bit register (GCC/Clang vector extension), loadable from any float address.
 * Written out because the compiler does not keep a 4x16 accumulator array in registers by itself. */
typedef float v8 __attribute__((vector_size(32), aligned(4)));

/* C[8,16] = sum_{k0 <= k < k1} A[:,k] B[k,:], A[r,k] at A[r*sr + k*sk]. Eight rows: sixteen
 * independent accumulators keep both FMA pipes busy through their latency (four rows, eight
 * accumulators, ran the products at a third of the core's peak); AVX-512 has the 32 registers. */
static inline void tile_full(int k0, int k1, const float *restrict A, size_t sr, size_t sk, const float *restrict B,
                             int ldb, float *restrict Cm, int ldc) {
  v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
  v8 c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0}, c60 = {0}, c61 = {0}, c70 = {0}, c71 = {0};
  const float *a1 = A + sr, *a2 = A + 2 * sr, *a3 = A + 3 * sr, *a4 = A + 4 * sr, *a5 = A + 5 * sr,
              *a6 = A + 6 * sr, *a7 = A + 7 * sr;
  for (int k = k0; k < k1; k++) {
    const float *b = B + (size_t)k * ldb;
    size_t o = (size_t)k * sk;
    v8 b0 = *(const v8 *)b, b1 = *(const v8 *)(b + 8);
    c00 += A[o] * b0;
    c01 += A[o] * b1;
    c10 += a1[o] * b0;
    c11 += a1[o] * b1;
    c20 += a2[o] * b0;
    c21 += a2[o] * b1;
    c30 += a3[o] * b0;
    c31 += a3[o] * b1;
    c40 += a4[o] * b0;
    c41 += a4[o] * b1;
    c50 += a5[o] * b0;
    c51 += a5[o] * b1;
    c60 += a6[o] * b0;
    c61 += a6[o] * b1;
    c70 += a7[o] * b0;
    c71 += a7[o] * b1;
  }
  v8 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  for (int r = 0; r < MR; r++) {
    *(v8 *)(Cm + (size_t)r * ldc) = acc[r][0];
    *(v8 *)(Cm + (size_t)r * ldc + 8) = acc[r][1];
  }
}

static void tile_edge(int mr, int nr, int k0, int k1, const float *A, size_t sr, size_t sk, const float *B, int ldb,
                      float *Cm, int ldc) {
  float acc[MR][NR];
  memset(acc, 0, sizeof acc);
  for (int k = k0; k < k1; k++) {
    const float *b = B + (size_t)k * ldb;
    for (int r = 0; r < mr; r++) {
      float a = A[r * sr + k * sk];
      for (int c = 0; c < nr; c++) acc[r][c] += a * b[c];
    }
  }
  for (int r = 0; r < mr; r++)
    for (int c = 0; c < nr; c++) Cm[(size_t)r * ldc + c] = acc[r][c];
}

/* One operand as it lies in memory: element [i,j] at p[i*ld + j], or at p[j*ld + i] when t. */
typedef struct operand {
  const float *p;
  int ld, t;
} operand;

/* C[M,N] = A[M,K] . (B[K,N] * bscale) (C row-major with leading dimension ldc), restricted by mode.
 * Each column tile of B (times bscale, a rounding of its own as if B had been scaled beforehand) is
 * first copied into pack ([K,16], zero-padded) so that the kernel streams it from L1 for every row
 * tile. */
static void mm(enum mm_mode mode, int M, int N, int K, operand A, operand B, float bscale, float *Cm, int ldc,
               float *restrict pack) {
  float buf[MR * NR];
  size_t sr = A.t ? 1 : (size_t)A.ld, sk = A.t ? (size_t)A.ld : 1;
  for (int j0 = 0; j0 < N; j0 += NR) {
    int nr = N - j0 < NR ? N - j0 : NR;
    if (B.t) {
      for (int c = 0; c < nr; c++) {
        const float *src = B.p + (size_t)(j0 + c) * B.ld;
        for (int k = 0; k < K; k++) pack[(size_t)k * NR + c] = src[k] * bscale;
      }
      for (int k = 0; k < K; k++)
        for (int c = nr; c < NR; c++) pack[(size_t)k * NR + c] = 0.0f;
    } else {
      for (int k = 0; k < K; k++) {
        const float *src = B.p + (size_t)k * B.ld + j0;
        float *dst = pack + (size_t)k * NR;
        for (int c = 0; c < nr; c++) dst[c] = src[c] * bscale;
        for (int c = nr; c < NR; c++) dst[c] = 0.0f;
      }
    }
    /* scores: row tile i0 needs column j0 only if some row i in it has i >= j0 */
    int istart = mode == MM_CAUSAL_COLS ? (j0 / MR) * MR : 0;
    for (int i0 = istart; i0 < M; i0 += MR) {
      int mr = M - i0 < MR ? M - i0 : MR, nc = nr;
      if (mode == MM_CAUSAL_COLS && i0 + mr - j0 < nc) nc = i0 + mr - j0;
      int k0 = mode == MM_K_FROM_ROW ? i0 : 0, k1 = K;
      if (mode == MM_K_LOWER && i0 + mr < K) k1 = i0 + mr;
      const float *a = A.p + (size_t)i0 * sr;
      float *c = Cm + (size_t)i0 * ldc + j0;
      if (mr == MR && nc == NR) {
        tile_full(k0, k1, a, sr, sk, pack, NR, c, ldc);
      } else if (mr == MR) {
        tile_full(k0, k1, a, sr, sk, pack, NR, buf, NR);
        for (int r = 0; r < MR; r++)
          for (int e = 0; e < nc; e++) c[(size_t)r * ldc + e] = buf[r * NR + e];
      } else {
        tile_edge(mr, nc, k0, k1, a, sr, sk, pack, NR, c, ldc);
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * attention
 * ------------------------------------------------------------------------------------------- */
/* per thread: one [T,T] (dS), one [T,hs] (q scaled; dq before its scale), and the packing buffer of
 * mm ([K,16] with K = T or hs) */
size_t sf_attention_scratch(int T, int hs) {
  return (size_t)T * T + (size_t)T * hs + (size_t)(T > hs ? T : hs) * NR;
}

void sf_attention_forward(float *out, float *att, const float *qkv, float *scratch, int B, int T, int C, int NH) {
  int hs = C / NH;
  float scale = 1.0f / sqrtf((float)hs);
  size_t per = sf_attention_scratch(T, hs), tt = (size_t)T * T;
#pragma omp parallel for schedule(dynamic, 1) /* each (b, h) whole on one thread: any order is exact */
  for (int bh = 0; bh < B * NH; bh++) {
    int b = bh / NH, h = bh % NH;
    float *s = scratch + per * (size_t)omp_get_thread_num();
    float *q = s + tt, *pack = q + (size_t)T * hs;
    const float *x = qkv + (size_t)b * T * 3 * C + (size_t)h * hs; /* this head's q; k at +C, v at +2C */
    for (int t = 0; t < T; t++) {
      const float *row = x + (size_t)t * 3 * C;
      float *qr = q + (size_t)t * hs;
      for (int d = 0; d < hs; d++) qr[d] = row[d] * scale;
    }
    float *P = att + (size_t)bh * tt;
    /* S = (q * scale) . k^T */
    mm(MM_CAUSAL_COLS, T, T, hs, (operand){q, hs, 0}, (operand){x + C, 3 * C, 1}, 1.0f, P, T, pack);
    for (int i = 0; i < T; i++) {
      float *p = P + (size_t)i * T;
      float mx = row_max(p, i + 1), sum = 0.0f;
#pragma omp simd reduction(+ : sum)
      for (int j = 0; j <= i; j++) {
        p[j] = fast_exp(p[j] - mx);
        sum += p[j];
      }
      float inv = 1.0f / sum;
      for (int j = 0; j <= i; j++) p[j] *= inv;
      for (int j = i + 1; j < T; j++) p[j] = 0.0f;
    }
    /* out = P . v, written into this head's columns */
    mm(MM_K_LOWER, T, hs, T, (operand){P, T, 0}, (operand){x + 2 * C, 3 * C, 0}, 1.0f,
       out + (size_t)b * T * C + (size_t)h * hs, C, pack);
  }
}

void sf_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att, float *scratch,
                           int B, int T, int C, int NH) {
  int hs = C / NH;
  float scale = 1.0f / sqrtf((float)hs);
  size_t per = sf_attention_scratch(T, hs), tt = (size_t)T * T;
#pragma omp parallel for schedule(dynamic, 1) /* each (b, h) whole on one thread: any order is exact */
  for (int bh = 0; bh < B * NH; bh++) {
    int b = bh / NH, h = bh % NH;
    float *s = scratch + per * (size_t)omp_get_thread_num();
    float *dS = s, *r = s + tt, *pack = r + (size_t)T * hs;
    const float *x = qkv + (size_t)b * T * 3 * C + (size_t)h * hs;
    const float *dO = dout + (size_t)b * T * C + (size_t)h * hs;
    const float *P = att + (size_t)bh * tt;
    /* dP = dO . v^T, then the softmax's backward in place: dS = P * (dP - sum_j P dP) */
    mm(MM_CAUSAL_COLS, T, T, hs, (operand){dO, C, 0}, (operand){x + 2 * C, 3 * C, 1}, 1.0f, dS, T, pack);
    for (int i = 0; i < T; i++) {
      const float *p = P + (size_t)i * T;
      float *d = dS + (size_t)i * T;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (int j = 0; j <= i; j++) dot += p[j] * d[j];
      for (int j = 0; j <= i; j++) d[j] = p[j] * (d[j] - dot);
      for (int j = i + 1; j < T; j++) d[j] = 0.0f;
    }
    float *dx = dqkv + (size_t)b * T * 3 * C + (size_t)h * hs;
    /* dq = dS . k * scale (the scale was folded into q on the way in) */
    mm(MM_K_LOWER, T, hs, T, (operand){dS, T, 0}, (operand){x + C, 3 * C, 0}, 1.0f, r, hs, pack);
    for (int t = 0; t < T; t++) {
      float *o = dx + (size_t)t * 3 * C;
      const float *ri = r + (size_t)t * hs;
      for (int e = 0; e < hs; e++) o[e] = ri[e] * scale;
    }
    /* dk = dS^T . (q * scale) and dv = P^T . dO: the T x T matrices are read transposed, four
     * adjacent columns of one row at a time; row t needs the rows i >= t of dS and P only */
    mm(MM_K_FROM_ROW, T, hs, T, (operand){dS, T, 1}, (operand){x, 3 * C, 0}, scale, dx + C, 3 * C, pack);
    mm(MM_K_FROM_ROW, T, hs, T, (operand){P, T, 1}, (operand){dO, C, 0}, 1.0f, dx + 2 * C, 3 * C, pack);
  }
}

/* ---------------------------------------------------------------------------------------------
 * GELU (tanh form), with tanh(u) = 1 - 2 / (1 + e^{2u})
 * ------------------------------------------------------------------------------------------- */
#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */

void sf_gelu_forward(float *out, const float *inp, size_t n) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) {
    float x = inp[i], u = GELU_K * (x + 0.044715f * x * x * x);
    float th = 1.0f - 2.0f / (1.0f + fast_exp(2.0f * u));
    out[i] = 0.5f * x * (1.0f + th);
  }
}

void sf_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) {
    float x = inp[i], u = GELU_K * (x + 0.044715f * x * x * x);
    float th = 1.0f - 2.0f / (1.0f + fast_exp(2.0f * u));
    float g = 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
    dinp[i] = dout[i] * g;
  }
}

void sf_residual_forward(float *out, const float *a, const float *b, size_t n) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/* ---------------------------------------------------------------------------------------------
 * softmax cross-entropy
 * ------------------------------------------------------------------------------------------- */
double sf_crossentropy_forward(float *probs, float *losses, const int *targets, int N, int V) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    float *p = probs + (size_t)n * V;
    float mx = row_max(p, V), sum = 0.0f;
    float zt = targets[n] >= 0 ? p[targets[n]] - mx : 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int v = 0; v < V; v++) {
      p[v] = fast_exp(p[v] - mx);
      sum += p[v];
    }
    float inv = 1.0f / sum;
    for (int v = 0; v < V; v++) p[v] *= inv;
    /* -log softmax from the logits directly: exact even where p underflows */
    losses[n] = targets[n] >= 0 ? logf(sum) - zt : 0.0f;
  }
  double total = 0.0; /* summed in row order, so the total does not depend on the threads */
  for (int n = 0; n < N; n++) total += losses[n];
  return total;
}

void sf_crossentropy_backward(float *dlogits, const float *probs, const int *targets, float scale, int N, int V) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float *p = probs + (size_t)n * V;
    float *d = dlogits + (size_t)n * V;
    if (targets[n] < 0) {
      for (int v = 0; v < V; v++) d[v] = 0.0f;
      continue;
    }
    for (int v = 0; v < V; v++) d[v] = scale * p[v];
    d[targets[n]] -= scale;
  }
}
