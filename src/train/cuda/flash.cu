/* flash.cu: causal self-attention in bf16 on tensor cores without the T x T matrix (the attention
 * of the bf16 precision when the head size allows it; contracts in common.cuh).
 *
 * Why: the cuBLAS path (kernels.cu) writes scores and probabilities of every (query, key) pair to
 * memory in fp32, converts them to bf16 for each product, and computes the masked half too. At
 * GPT-2-small shapes (context 1024) that traffic costs about as much as all the model's matrix
 * products, and the T x T buffers bound the micro-batch. Here each block keeps its tiles in shared
 * memory: FlashAttention-2's schedule (Dao 2023), written with the WMMA API (16x16x16 bf16 tiles,
 * fp32 accumulators), for head sizes 16..128 in steps of 16.
 *
 *   forward  one block per 64 queries of one (batch, head), a warp per 16 of them; over the key
 *            tiles up to the diagonal: S = Q K^T (tensor cores), the online softmax in fp32 (running
 *            max m, sum l, the output rescaled), O += P V with P rounded to bf16. Keeps
 *            lse = m + log l per query for the backward.
 *   backward P recomputed from lse. dK, dV: a block per 64 keys over the query tiles at or after
 *            them; dQ: a block per 64 queries over the key tiles up to them. Two kernels rather than
 *            one with atomic adds to dQ, so every sum runs in a fixed order: deterministic.
 *            D = rowsum(dO * O) (= sum_j P dP) is computed first, from the forward's fp32 output.
 *
 * Operands and rounding are those of the cuBLAS path in bf16: Q, K, V, dO, P and dS are rounded to
 * bf16, every product accumulates in fp32, the softmax is fp32. Only the places where P is rounded
 * differ (here before the division by l), which the tests bound against the CPU layer.
 *
 * The fragments' element order is unspecified by CUDA: per-row factors (the rescaling by
 * exp(m_old - m_new), the final 1/l) are applied by loading a 16x16 tile of them as a fragment of
 * the same type, whose element i then sits at the same (row, column) as the accumulator's. Rows
 * and columns of scores are handled in shared memory, never through fragment positions.
 *
 * A second forward, k_flash_forward_mma, keeps the softmax in registers on mma.sync.m16n8k16, whose
 * register layout PTX defines (mma16816.cuh; its section below says how). Same inputs and outputs,
 * so either backward follows. SCALEFIT_FLASH_FORWARD=mma selects it (sf_cuda_set_flash_forward in
 * code); the WMMA one stays the default until the two are compared on a GPU (docs/TRAIN.md).
 *
 * A second backward, k_flash_backward_kv_mma and k_flash_backward_q_mma, likewise on mma.sync: the
 * same two kernels and fixed order of every sum (deterministic), with the recomputed P, dP and dS
 * in registers, packed to bf16 from the accumulators as the next product's operand (its section
 * below). SCALEFIT_FLASH_BACKWARD=mma selects it (sf_cuda_set_flash_backward in code), after either
 * forward; the WMMA pair stays the default until the two are compared on a GPU (not yet done).
 *
 * Head-major bf16 copies are padded to Tp = T rounded up to 64 rows with zeros: keys past T are
 * masked by causality for every real query, and zero V rows keep 0 * V finite; outputs of padded
 * queries are computed and not stored.
 */
#include <math.h>
#include <mma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/cuda/common.cuh"
#include "train/cuda/gpu.h"
#include "train/cuda/mma16816.cuh"

using namespace nvcuda;

enum { FL_ROWS = 64, FL_TILE = 32, FL_THREADS = 128 };

/* Leading dimensions of the shared-memory tiles, padded so that consecutive rows start 16 bytes
 * (4 banks) apart: with rows of 64 or 128 bytes every row of a fragment load or store falls in the
 * same banks (an 8-way conflict measured on an H100). SLD: fp32 scores (16 x FL_TILE); PLD: bf16
 * P and dS (16 x FL_TILE); RLD: the 16 x 16 tile of row factors; kld(hs): bf16 rows of q, k, v, dO.
 * Each keeps WMMA's rules: ldm a multiple of 8 bf16 or 4 floats, tiles starting 32-byte aligned. */
enum { SLD = FL_TILE + 4, PLD = FL_TILE + 8, RLD = 16 + 4 };
#define KLD(HS) ((HS) + 8)
/* The lanes of a warp own the rows of a 16 x 32 score tile in pairs, 16 columns each; lane (r, c0)
 * visits its columns starting at r (mod 16), so the 32 lanes of one step touch 32 different banks. */
#define ROT(c, r) (((c) + (r)) & 15)

typedef wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> frag_a;
typedef wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> frag_b;
typedef wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> frag_bt; /* B = X^T */
typedef wmma::fragment<wmma::accumulator, 16, 16, 16, float> frag_c;

int sfk_flash_supported(int C, int NH) {
  if (NH < 1 || C % NH) return 0;
  int hs = C / NH;
  return hs % 16 == 0 && hs >= 16 && hs <= 128;
}

int sfk_flash_tpad(int T) { return (T + FL_ROWS - 1) / FL_ROWS * FL_ROWS; }

static unsigned grid_for(size_t n) {
  size_t b = (n + 255) / 256;
  if (b < 1) b = 1;
  if (b > (1u << 20)) b = 1u << 20;
  return (unsigned)b;
}

/* ---- copies in and out of the head-major layout ---- */

/* 8 bf16 values, one 16-byte access (read as what they are: no type punning through uint4) */
struct __align__(16) fl_bf8 {
  __nv_bfloat16 v[8];
};

/* qkv [B*T, 3C] fp32, or qkv16 in bf16 when not NULL (+ bias [3C] when not NULL, in fp32) -> qkvh
 * [3][B][NH][Tp][hs] bf16, rows t >= T zero. A thread converts 8 consecutive values of a row (hs is
 * a multiple of 16): the index arithmetic, 64-bit divisions, is done once per 8, and 8 bf16 values
 * are one 16-byte load (their offset is a multiple of 8). */
__global__ void k_flash_pack(__nv_bfloat16 *qkvh, const float *qkv, const __nv_bfloat16 *qkv16, const float *bias,
                             int B, int T, int Tp, int C, int NH) {
  int hs = C / NH, u8 = hs / 8;
  size_t per = (size_t)B * NH * Tp * u8, n = 3 * per;
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    size_t which = i / per, r = i % per;
    int d = (int)(r % u8) * 8;
    size_t row = r / u8; /* (b*NH + h)*Tp + t */
    int t = (int)(row % Tp), bh = (int)(row / Tp), b = bh / NH, h = bh % NH;
    size_t col = which * C + (size_t)h * hs + d;
    const size_t at = ((size_t)b * T + t) * 3 * C + col;
    float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (t < T) {
      if (qkv16) {
        fl_bf8 u = *(const fl_bf8 *)(qkv16 + at);
        for (int k = 0; k < 8; k++) v[k] = __bfloat162float(u.v[k]);
      } else {
        for (int k = 0; k < 8; k++) v[k] = qkv[at + k];
      }
      if (bias)
        for (int k = 0; k < 8; k++) v[k] += bias[col + k];
    }
    __nv_bfloat16 *dst = qkvh + i * 8;
    for (int k = 0; k < 8; k++) dst[k] = __float2bfloat16(v[k]);
  }
}

/* One warp per row (b, h, t < Tp): doh [B][NH][Tp][hs] = bf16(dout's head h), zero for t >= T;
 * dsum[row] = sum_d dout * out (fp32, a fixed order), 0 for t >= T. dout16, out16: the same in bf16,
 * read instead of dout, out when not NULL. */
__global__ void k_flash_prep(__nv_bfloat16 *doh, float *dsum, const float *dout, const __nv_bfloat16 *dout16,
                             const float *out, const __nv_bfloat16 *out16, int B, int T, int Tp, int C, int NH) {
  int hs = C / NH, lane = threadIdx.x % 32;
  size_t row = (size_t)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  if (row >= (size_t)B * NH * Tp) return;
  int t = (int)(row % Tp), bh = (int)(row / Tp), b = bh / NH, h = bh % NH;
  float s = 0.0f;
  for (int d = lane; d < hs; d += 32) {
    float g = 0.0f;
    if (t < T) {
      size_t at = ((size_t)b * T + t) * C + (size_t)h * hs + d;
      g = dout16 ? __bfloat162float(dout16[at]) : dout[at];
      s += g * (out16 ? __bfloat162float(out16[at]) : out[at]);
    }
    doh[row * hs + d] = __float2bfloat16(g);
  }
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  if (lane == 0) dsum[row] = s;
}

/* The warp's 16 x hs result (KD fragments) into rows r0.. of the row-major fp32 matrix dst with
 * leading dimension ld (rows >= limit left alone) when dst is not NULL, and rounded to bf16 into
 * dst16 (same layout) when it is not NULL. stage: 16*16 floats of the warp's. */
template <int KD>
__device__ void store_rows(float *dst, __nv_bfloat16 *dst16, size_t ld, int r0, int limit, frag_c (&acc)[KD],
                           float *stage) {
  /* half a warp per row, two rows a step: each store writes two runs of 64 contiguous bytes */
  int lane = threadIdx.x % 32, rr = lane / 16, c = lane % 16;
  for (int kd = 0; kd < KD; kd++) {
    wmma::store_matrix_sync(stage, acc[kd], 16, wmma::mem_row_major);
    __syncwarp();
    for (int r = rr; r < 16; r += 2) {
      if (r0 + r >= limit) break;
      size_t at = (size_t)(r0 + r) * ld + kd * 16 + c;
      float v = stage[r * 16 + c];
      if (dst) dst[at] = v;
      if (dst16) dst16[at] = __float2bfloat16(v);
    }
    __syncwarp();
  }
}

/* acc[kd] *= f(row) for the lane's row r = lane / 2 (both lanes of a row pass the same f). */
template <int KD>
__device__ void scale_rows(frag_c (&acc)[KD], float f, float *stage) {
  int lane = threadIdx.x % 32, r = lane / 2, c0 = (lane % 2) * 8;
  for (int c = 0; c < 8; c++) stage[r * RLD + c0 + ((c + r) & 7)] = f; /* rotated: fewer bank conflicts */
  __syncwarp();
  frag_c fr;
  wmma::load_matrix_sync(fr, stage, RLD, wmma::mem_row_major);
  for (int kd = 0; kd < KD; kd++)
    for (int e = 0; e < fr.num_elements; e++) acc[kd].x[e] *= fr.x[e];
  __syncwarp();
}

/* rows x HS bf16 values from global src (contiguous rows) into shared dst (rows KLD(HS) apart) by
 * the block's threads, 16 bytes a copy (HS a multiple of 16; both 16-byte aligned: tiles start at
 * multiples of 16 rows) */
template <int HS>
__device__ void copy_tile(__nv_bfloat16 *dst, const __nv_bfloat16 *src, int rows) {
  constexpr int U = HS / 8; /* 16-byte units a row */
  const uint4 *s = (const uint4 *)src;
  for (int i = threadIdx.x; i < rows * U; i += blockDim.x)
    *(uint4 *)(dst + (i / U) * KLD(HS) + (i % U) * 8) = s[i];
}

/* dst [16 x FL_TILE] (fp32, row-major, ld SLD) = A X^T: A the warp's 16 x hs rows (KD fragments),
 * X a FL_TILE x hs tile in shared memory (row-major, ld KLD). */
template <int KD>
__device__ void tile_scores(float *dst, const frag_a (&a)[KD], const __nv_bfloat16 *xs) {
  constexpr int HS = 16 * KD;
  for (int nb = 0; nb < FL_TILE / 16; nb++) {
    frag_c s;
    wmma::fill_fragment(s, 0.0f);
    for (int kd = 0; kd < KD; kd++) {
      frag_bt xb;
      wmma::load_matrix_sync(xb, xs + nb * 16 * KLD(HS) + kd * 16, KLD(HS));
      wmma::mma_sync(s, a[kd], xb, s);
    }
    wmma::store_matrix_sync(dst + nb * 16, s, SLD, wmma::mem_row_major);
  }
}

/* acc (16 x hs) += P Y: P a 16 x FL_TILE bf16 matrix (row-major, shared, ld PLD), Y a FL_TILE x hs
 * tile (row-major, shared, ld KLD). */
template <int KD>
__device__ void tile_accumulate(frag_c (&acc)[KD], const __nv_bfloat16 *p, const __nv_bfloat16 *ys) {
  constexpr int HS = 16 * KD;
  for (int kb = 0; kb < FL_TILE / 16; kb++) {
    frag_a pa;
    wmma::load_matrix_sync(pa, p + kb * 16, PLD);
    for (int kd = 0; kd < KD; kd++) {
      frag_b yb;
      wmma::load_matrix_sync(yb, ys + kb * 16 * KLD(HS) + kd * 16, KLD(HS));
      wmma::mma_sync(acc[kd], pa, yb, acc[kd]);
    }
  }
}

template <int KD>
__device__ void scale_all(frag_c (&acc)[KD], float f) {
  for (int kd = 0; kd < KD; kd++)
    for (int e = 0; e < acc[kd].num_elements; e++) acc[kd].x[e] *= f;
}

/* A block's head (blockIdx.x = b NH + h) and where its q, k, v start in the head-major buffer
 * k_flash_pack writes (q, then k, then v, each [B, NH, Tp, HS]). */
struct fl_head {
  int bh, b, h;
  const __nv_bfloat16 *Q, *K, *V;
};
template <int HS>
__device__ __forceinline__ fl_head fl_head_of(const __nv_bfloat16 *qkvh, int B, int Tp, int NH) {
  const int bh = blockIdx.x;
  const size_t per = (size_t)B * NH * Tp * HS;
  const __nv_bfloat16 *Q = qkvh + (size_t)bh * Tp * HS;
  return {bh, bh / NH, bh % NH, Q, Q + per, Q + 2 * per};
}

/* The first of a query block's FL_ROWS queries: the longest rows (the last queries) first, so that
 * blocks start roughly in index order. */
__device__ __forceinline__ int fl_first_query() { return (int)(gridDim.y - 1 - blockIdx.y) * FL_ROWS; }

/* ---- forward ---- */

template <int KD>
__global__ void __launch_bounds__(FL_THREADS)
    k_flash_forward(float *out, __nv_bfloat16 *out16, float *lse, const __nv_bfloat16 *qkvh, int B, int T, int Tp,
                    int C, int NH, float scale) {
  constexpr int HS = 16 * KD, BK = FL_TILE;
  __shared__ __align__(32) __nv_bfloat16 Ks[BK * KLD(HS)], Vs[BK * KLD(HS)];
  __shared__ __align__(32) float Ss[4][16 * SLD];
  __shared__ __align__(32) __nv_bfloat16 Ps[4][16 * PLD];
  __shared__ __align__(32) float Rs[4][16 * RLD];
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane / 2, c0 = (lane % 2) * 16;
  const auto [bh, b, h, Q, K, V] = fl_head_of<HS>(qkvh, B, Tp, NH);
  const int q0 = fl_first_query(), qw = q0 + 16 * w, i = qw + r;

  frag_a qf[KD];
  frag_c of[KD];
  for (int kd = 0; kd < KD; kd++) {
    wmma::load_matrix_sync(qf[kd], Q + (size_t)qw * HS + kd * 16, HS);
    wmma::fill_fragment(of[kd], 0.0f);
  }
  float m = -INFINITY, l = 0.0f; /* the lane's row; both lanes of a row keep the same */
  const int nkt = (q0 + FL_ROWS) / BK;
  for (int kt = 0; kt < nkt; kt++) {
    const int k0 = kt * BK;
    __syncthreads(); /* every warp is done with the previous tile */
    copy_tile<HS>(Ks, K + (size_t)k0 * HS, BK);
    copy_tile<HS>(Vs, V + (size_t)k0 * HS, BK);
    __syncthreads();
    if (k0 > qw + 15) continue; /* the whole tile is above this warp's queries (k0 <= qw otherwise) */
    tile_scores<KD>(Ss[w], qf, Ks);
    __syncwarp();
    /* online softmax over the lane's 16 columns of row r; key k0 <= qw <= i is never masked */
    float sv[16], mx = -INFINITY;
    for (int c = 0; c < 16; c++) {
      int col = c0 + ROT(c, r), j = k0 + col;
      sv[c] = j <= i ? Ss[w][r * SLD + col] * scale : -INFINITY;
      mx = fmaxf(mx, sv[c]);
    }
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    float mnew = fmaxf(m, mx), alpha = expf(m - mnew), sum = 0.0f;
    for (int c = 0; c < 16; c++) {
      float p = expf(sv[c] - mnew);
      sum += p;
      Ps[w][r * PLD + c0 + ROT(c, r)] = __float2bfloat16(p);
    }
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    l = l * alpha + sum;
    m = mnew;
    scale_rows<KD>(of, alpha, Rs[w]);
    tile_accumulate<KD>(of, Ps[w], Vs);
    __syncwarp();
  }
  scale_rows<KD>(of, 1.0f / l, Rs[w]);
  size_t o = (size_t)b * T * C + (size_t)h * HS;
  store_rows<KD>(out ? out + o : NULL, out16 ? out16 + o : NULL, (size_t)C, qw, T, of, Rs[w]);
  if (lane % 2 == 0) lse[(size_t)bh * Tp + i] = m + logf(l);
}

/* ---- forward, register-resident (mma.sync; SCALEFIT_FLASH_FORWARD=mma) ----
 *
 * FlashAttention-2's forward on mma.m16n8k16 (mma16816.cuh), whose register layouts the PTX ISA
 * defines, so the softmax never leaves the registers: a warp owns 16 queries; S = Q K^T lands in
 * accumulators where lane (g, t) of quad g holds rows g and g + 8, two columns of every 8; the row
 * max and sum are reduced among the quad's 4 lanes with two shuffles (the sum only once, at the end:
 * every lane rescales its partial sum by the quad's common factor); P is packed to bf16 straight
 * from the accumulators into the A operand of P V (two 8-key tiles make one 16-key fragment).
 * Operands come from shared memory by ldmatrix: Q once, K without transpose (S = Q K^T needs K^T
 * as the k-major B operand, which rows of K are), V with .trans. The softmax runs in base 2:
 * scores scaled by scale * log2(e), exp2f, lse converted back to natural log for the backward.
 *
 * Tiles: 64 queries a block (4 warps), BK keys a step (64 for head sizes up to 64, else 32, to keep
 * the accumulators, S and Q in registers); K and V copied into shared memory by 16-byte vector
 * loads (PF: the next tile's issued before the products on this one; SCALEFIT_FLASH_FORWARD=mma, or
 * mma-noprefetch without), rows KLD(hs) apart: 16 bytes mod 128 between consecutive rows, so the 8
 * rows of every ldmatrix matrix fall in 8 different 16-byte bank groups (no conflict), and so do the
 * copies. Same inputs, outputs and contract as k_flash_forward. */

/* an fp32 pair and a bf16 pair, stored in one access each */
struct __align__(8) fl_f2 {
  float x, y;
};
struct __align__(4) fl_bf2 {
  __nv_bfloat16 x, y;
};

/* Two 8-column accumulator tiles (16 x 8 each, columns 8 apart) rounded to bf16 as one 16 x 16 A
 * operand: mma.m16n8k16's accumulator layout is its A layout's half, so no shuffle is needed. */
__device__ __forceinline__ void fl_acc_to_a(uint32_t a[4], const float (&lo)[4], const float (&hi)[4]) {
  a[0] = sfk_pack_bf16x2(lo[0], lo[1]);
  a[1] = sfk_pack_bf16x2(lo[2], lo[3]);
  a[2] = sfk_pack_bf16x2(hi[0], hi[1]);
  a[3] = sfk_pack_bf16x2(hi[2], hi[3]);
}

/* The row and column each lane addresses in an ldmatrix.x4 of a 16 x 16 block at (row, col) =
 * (ar, ac): the matrices in the order rows 0-7 | 8-15 first, then columns 8-15, which is an A
 * operand and, with .trans, two 8-column B operands (V's, dO's). (kr, kc) takes columns 8-15
 * first: two B operands of 8 rows each, from a tile stored by rows (K^T's, Q^T's). */
struct fl_lanes {
  int ar, ac, kr, kc;
};
__device__ __forceinline__ fl_lanes fl_ldm_lanes(int lane) {
  return {(lane & 7) + (lane & 8), (lane >> 4) * 8, (lane & 7) + (lane >> 4) * 8, lane & 8};
}

/* acc (16 x 8 NO) += S X: S the warp's 16 x 8 NS score-shaped accumulators rounded to bf16 (A
 * operands, 16 columns a step), X the 8 NS x 8 NO rows in shared memory (LD apart) as B operands by
 * ldmatrix .trans from each lane's offset xo (its row and column in a 16 x 16 block). Only the
 * 16-column groups kk in [lo, hi) are taken: the others are zeros (causality). Sums in kk, then
 * d2, order. */
template <int NS, int NO, int LD>
__device__ __forceinline__ void fl_mma_acc(float (&acc)[NO][4], const float (&sc)[NS][4], const __nv_bfloat16 *X,
                                           int xo, int lo, int hi) {
  SFK_UNROLL
  for (int kk = 0; kk < NS / 2; kk++) {
    if (kk < lo || kk >= hi) continue; /* warp-uniform */
    uint32_t a[4];
    fl_acc_to_a(a, sc[2 * kk], sc[2 * kk + 1]);
    SFK_UNROLL
    for (int d2 = 0; d2 < NO / 2; d2++) {
      uint32_t xb[4];
      sfk_ldmatrix_x4_trans(xb, X + 16 * kk * LD + d2 * 16 + xo);
      sfk_mma16816(acc[2 * d2], a, xb, acc[2 * d2]);
      sfk_mma16816(acc[2 * d2 + 1], a, xb + 2, acc[2 * d2 + 1]);
    }
  }
}

/* A warp's 16 x 8 NO accumulators times a factor per row, into rows r0 .. r0 + 15 (those < T) of a
 * row-major matrix at base with rows ld apart: fp32 at dst and/or bf16 at dst16 (each when not
 * NULL). Lane (g, t) holds rows r0 + g and r0 + g + 8 (factors f[0], f[1]), columns 2t and 2t + 1
 * of every 8: one 8-byte (4-byte in bf16) store per pair. */
template <int NO>
__device__ __forceinline__ void fl_store_rows(float *dst, __nv_bfloat16 *dst16, size_t base, size_t ld, int r0, int T,
                                              const float (&acc)[NO][4], const float (&f)[2]) {
  const int g = threadIdx.x % 32 / 4, t = threadIdx.x % 4;
  SFK_UNROLL
  for (int r = 0; r < 2; r++) {
    int i = r0 + g + 8 * r;
    if (i >= T) continue;
    size_t at = base + (size_t)i * ld + 2 * t;
    SFK_UNROLL
    for (int d = 0; d < NO; d++) {
      fl_f2 v = {acc[d][2 * r] * f[r], acc[d][2 * r + 1] * f[r]};
      if (dst) *(fl_f2 *)(dst + at + 8 * d) = v;
      if (dst16) *(fl_bf2 *)(dst16 + at + 8 * d) = fl_bf2{__float2bfloat16(v.x), __float2bfloat16(v.y)};
    }
  }
}

template <int KD, bool PF>
__global__ void __launch_bounds__(FL_THREADS)
    k_flash_forward_mma(float *out, __nv_bfloat16 *out16, float *lse, const __nv_bfloat16 *qkvh, int B, int T,
                        int Tp, int C, int NH, float scale_log2) {
  constexpr int HS = 16 * KD, BK = HS <= 64 ? 64 : 32, LD = KLD(HS), NS = BK / 8, NO = HS / 8;
  /* K then V tiles; before the first, the block's 64 rows of Q (2 BK >= 64) */
  __shared__ __align__(128) __nv_bfloat16 sm[2 * BK * LD];
  __nv_bfloat16 *Ks = sm, *Vs = sm + BK * LD;
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const auto [bh, b, h, Q, K, V] = fl_head_of<HS>(qkvh, B, Tp, NH);
  const int q0 = fl_first_query(), qw = q0 + 16 * w;
  const auto [ar, ac, kr, kc] = fl_ldm_lanes(lane); /* Q's A operand, V's .trans and K^T's B operands */

  /* PF: the next K and V tiles wait in registers (16-byte units, U a row, the thread's every
   * FL_THREADS-th) while the warps compute on the current one, so that their global loads overlap
   * the products instead of stalling the block between its two barriers; at the price of UT
   * 16-byte registers each (at head size 64: about 160 registers a thread instead of 110, 3 blocks
   * an SM instead of 4). Which wins is for a GPU to tell (docs/TRAIN.md). */
  constexpr int U = HS / 8, UT = PF ? (BK * U + FL_THREADS - 1) / FL_THREADS : 1;
  uint4 kn[UT], vn[UT];
  const uint4 *Kg = (const uint4 *)K, *Vg = (const uint4 *)V;
  if constexpr (PF) {
    SFK_UNROLL
    for (int u = 0; u < UT; u++) {
      int x = threadIdx.x + u * FL_THREADS;
      if (x < BK * U) kn[u] = Kg[x], vn[u] = Vg[x];
    }
  }
  copy_tile<HS>(sm, Q + (size_t)q0 * HS, FL_ROWS);
  __syncthreads();
  uint32_t qa[KD][4];
  SFK_UNROLL
  for (int kd = 0; kd < KD; kd++) sfk_ldmatrix_x4(qa[kd], sm + (16 * w + ar) * LD + kd * 16 + ac);

  float o[NO][4];
  SFK_UNROLL
  for (int d = 0; d < NO; d++) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.0f;
  /* rows g and g + 8: running max (base 2) and this lane's part of the sum */
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
  const int last = qw + 15; /* the warp's last query */
  const int nkt = (q0 + FL_ROWS) / BK;
  for (int kt = 0; kt < nkt; kt++) {
    const int k0 = kt * BK;
    __syncthreads(); /* every warp is done with the previous tile (or with Q) */
    if constexpr (PF) {
      SFK_UNROLL
      for (int u = 0; u < UT; u++) {
        int x = threadIdx.x + u * FL_THREADS;
        if (x < BK * U) {
          *(uint4 *)(Ks + (x / U) * LD + (x % U) * 8) = kn[u];
          *(uint4 *)(Vs + (x / U) * LD + (x % U) * 8) = vn[u];
        }
      }
      __syncthreads();
      if (kt + 1 < nkt) {
        SFK_UNROLL
        for (int u = 0; u < UT; u++) {
          int x = threadIdx.x + u * FL_THREADS;
          if (x < BK * U) kn[u] = Kg[(size_t)(k0 + BK) * U + x], vn[u] = Vg[(size_t)(k0 + BK) * U + x];
        }
      }
    } else {
      copy_tile<HS>(Ks, K + (size_t)k0 * HS, BK);
      copy_tile<HS>(Vs, V + (size_t)k0 * HS, BK);
      __syncthreads();
    }
    if (k0 > last) continue; /* the whole tile is above this warp's queries (k0 <= qw otherwise) */
    float s[NS][4];
    SFK_UNROLL
    for (int n = 0; n < NS; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
    SFK_UNROLL
    for (int n2 = 0; n2 < NS / 2; n2++) {
      if (k0 + 16 * n2 > last) break; /* keys after every query of the warp (warp-uniform) */
      SFK_UNROLL
      for (int kd = 0; kd < KD; kd++) {
        uint32_t kb[4];
        sfk_ldmatrix_x4(kb, Ks + (16 * n2 + kr) * LD + kd * 16 + kc);
        sfk_mma16816(s[2 * n2], qa[kd], kb, s[2 * n2]);
        sfk_mma16816(s[2 * n2 + 1], qa[kd], kb + 2, s[2 * n2 + 1]);
      }
    }
    /* scale to base 2, mask above the diagonal (key j > query i) where the tile reaches past qw;
     * key k0 <= qw is never masked, so every row keeps a finite maximum */
    const bool diag = k0 + BK - 1 > qw;
    float mx[2] = {-INFINITY, -INFINITY};
    SFK_UNROLL
    for (int n = 0; n < NS; n++)
      SFK_UNROLL
      for (int e = 0; e < 4; e++) {
        int j = k0 + 8 * n + 2 * t + (e & 1), i = qw + g + 8 * (e >> 1);
        float v = s[n][e] * scale_log2;
        s[n][e] = diag && j > i ? -INFINITY : v;
        mx[e >> 1] = fmaxf(mx[e >> 1], s[n][e]);
      }
    float alpha[2];
    SFK_UNROLL
    for (int r = 0; r < 2; r++) {
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
      float mnew = fmaxf(m[r], mx[r]);
      alpha[r] = exp2f(m[r] - mnew); /* 0 at the first tile (m = -inf) */
      m[r] = mnew;
      l[r] *= alpha[r];
    }
    SFK_UNROLL
    for (int n = 0; n < NS; n++)
      SFK_UNROLL
      for (int e = 0; e < 4; e++) {
        float p = exp2f(s[n][e] - m[e >> 1]);
        l[e >> 1] += p;
        s[n][e] = p;
      }
    SFK_UNROLL
    for (int d = 0; d < NO; d++) {
      o[d][0] *= alpha[0], o[d][1] *= alpha[0];
      o[d][2] *= alpha[1], o[d][3] *= alpha[1];
    }
    /* O += P V, 16 keys a step: P rounded to bf16 as the A operand, V^T's B operands by .trans;
     * key groups after the warp's last query skipped (P is 0 there) */
    fl_mma_acc<NS, NO, LD>(o, s, Vs, ar * LD + ac, 0, (last - k0) / 16 + 1);
  }
  /* the quad's sums; out = O / l for rows < T; lse = ln 2 (m + log2 l) for every row (padded ones
   * too: the backward reads them, and must find them finite) */
  float inv[2];
  SFK_UNROLL
  for (int r = 0; r < 2; r++) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    inv[r] = 1.0f / l[r];
    int i = qw + g + 8 * r;
    if (t == 0) lse[(size_t)bh * Tp + i] = (m[r] + log2f(l[r])) * 0.69314718055994531f;
  }
  fl_store_rows<NO>(out, out16, (size_t)b * T * C + (size_t)h * HS, (size_t)C, qw, T, o, inv);
}

/* ---- backward ---- */

/* dK, dV of 64 keys (a warp per 16) of one (b, h), over the query tiles at or after them. */
template <int KD>
__global__ void __launch_bounds__(FL_THREADS)
    k_flash_backward_kv(float *dqkv, __nv_bfloat16 *dqkv16, const __nv_bfloat16 *qkvh, const __nv_bfloat16 *doh,
                        const float *lse, const float *dsum, int B, int T, int Tp, int C, int NH, float scale) {
  constexpr int HS = 16 * KD, BQ = FL_TILE;
  __shared__ __align__(32) __nv_bfloat16 Qs[BQ * KLD(HS)], dOs[BQ * KLD(HS)];
  __shared__ float Ls[BQ], Ds[BQ];
  __shared__ __align__(32) float Sf[4][16 * SLD];
  __shared__ __align__(32) __nv_bfloat16 Pb[4][16 * PLD], dSb[4][16 * PLD];
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane / 2, c0 = (lane % 2) * 16;
  const auto [bh, b, h, Q, K, V] = fl_head_of<HS>(qkvh, B, Tp, NH);
  /* the first keys, which the most queries see, first */
  const int k0 = blockIdx.y * FL_ROWS, kw = k0 + 16 * w, j = kw + r;
  const __nv_bfloat16 *dO = doh + (size_t)bh * Tp * HS;

  frag_a kf[KD], vf[KD];
  frag_c dk[KD], dv[KD];
  for (int kd = 0; kd < KD; kd++) {
    wmma::load_matrix_sync(kf[kd], K + (size_t)kw * HS + kd * 16, HS);
    wmma::load_matrix_sync(vf[kd], V + (size_t)kw * HS + kd * 16, HS);
    wmma::fill_fragment(dk[kd], 0.0f);
    wmma::fill_fragment(dv[kd], 0.0f);
  }
  const int nqt = (T + BQ - 1) / BQ;
  for (int qt = k0 / BQ; qt < nqt; qt++) {
    const int q0 = qt * BQ;
    __syncthreads();
    copy_tile<HS>(Qs, Q + (size_t)q0 * HS, BQ);
    copy_tile<HS>(dOs, dO + (size_t)q0 * HS, BQ);
    for (int t = threadIdx.x; t < BQ; t += blockDim.x) {
      Ls[t] = lse[(size_t)bh * Tp + q0 + t];
      Ds[t] = dsum[(size_t)bh * Tp + q0 + t];
    }
    __syncthreads();
    if (q0 + BQ <= kw) continue; /* every query of the tile precedes this warp's keys */
    tile_scores<KD>(Sf[w], kf, Qs); /* S^T = K Q^T (16 keys x BQ queries) */
    __syncwarp();
    float pv[16];
    for (int c = 0; c < 16; c++) {
      int col = c0 + ROT(c, r), q = q0 + col;
      pv[c] = j <= q ? expf(Sf[w][r * SLD + col] * scale - Ls[col]) : 0.0f;
      Pb[w][r * PLD + col] = __float2bfloat16(pv[c]);
    }
    __syncwarp();
    tile_accumulate<KD>(dv, Pb[w], dOs); /* dV += P^T dO */
    tile_scores<KD>(Sf[w], vf, dOs);     /* dP^T = V dO^T */
    __syncwarp();
    /* dS^T = P^T (dP^T - D) */
    for (int c = 0; c < 16; c++) {
      int col = c0 + ROT(c, r);
      dSb[w][r * PLD + col] = __float2bfloat16(pv[c] * (Sf[w][r * SLD + col] - Ds[col]));
    }
    __syncwarp();
    tile_accumulate<KD>(dk, dSb[w], Qs); /* dK += dS^T Q (scaled once at the end) */
  }
  scale_all<KD>(dk, scale);
  size_t o = (size_t)b * T * 3 * C + (size_t)h * HS;
  store_rows<KD>(dqkv ? dqkv + o + C : NULL, dqkv16 ? dqkv16 + o + C : NULL, (size_t)3 * C, kw, T, dk, Sf[w]);
  store_rows<KD>(dqkv ? dqkv + o + 2 * C : NULL, dqkv16 ? dqkv16 + o + 2 * C : NULL, (size_t)3 * C, kw, T, dv,
                 Sf[w]);
}

/* dQ of 64 queries (a warp per 16) of one (b, h), over the key tiles up to them. */
template <int KD>
__global__ void __launch_bounds__(FL_THREADS)
    k_flash_backward_q(float *dqkv, __nv_bfloat16 *dqkv16, const __nv_bfloat16 *qkvh, const __nv_bfloat16 *doh,
                       const float *lse, const float *dsum, int B, int T, int Tp, int C, int NH, float scale) {
  constexpr int HS = 16 * KD, BK = FL_TILE;
  __shared__ __align__(32) __nv_bfloat16 Ks[BK * KLD(HS)], Vs[BK * KLD(HS)];
  __shared__ __align__(32) float Sf[4][16 * SLD];
  __shared__ __align__(32) __nv_bfloat16 dSb[4][16 * PLD];
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32, r = lane / 2, c0 = (lane % 2) * 16;
  const auto [bh, b, h, Q, K, V] = fl_head_of<HS>(qkvh, B, Tp, NH);
  const int q0 = fl_first_query(), qw = q0 + 16 * w, i = qw + r;
  const __nv_bfloat16 *dO = doh + (size_t)bh * Tp * HS;
  const float li = lse[(size_t)bh * Tp + i], di = dsum[(size_t)bh * Tp + i];

  frag_a qf[KD], of[KD];
  frag_c dq[KD];
  for (int kd = 0; kd < KD; kd++) {
    wmma::load_matrix_sync(qf[kd], Q + (size_t)qw * HS + kd * 16, HS);
    wmma::load_matrix_sync(of[kd], dO + (size_t)qw * HS + kd * 16, HS);
    wmma::fill_fragment(dq[kd], 0.0f);
  }
  const int nkt = (q0 + FL_ROWS) / BK;
  for (int kt = 0; kt < nkt; kt++) {
    const int k0 = kt * BK;
    __syncthreads();
    copy_tile<HS>(Ks, K + (size_t)k0 * HS, BK);
    copy_tile<HS>(Vs, V + (size_t)k0 * HS, BK);
    __syncthreads();
    if (k0 > qw + 15) continue;
    tile_scores<KD>(Sf[w], qf, Ks); /* S = Q K^T */
    __syncwarp();
    float pv[16];
    for (int c = 0; c < 16; c++) {
      int col = c0 + ROT(c, r), jj = k0 + col;
      pv[c] = jj <= i ? expf(Sf[w][r * SLD + col] * scale - li) : 0.0f;
    }
    __syncwarp();
    tile_scores<KD>(Sf[w], of, Vs); /* dP = dO V^T */
    __syncwarp();
    for (int c = 0; c < 16; c++) {
      int col = c0 + ROT(c, r);
      dSb[w][r * PLD + col] = __float2bfloat16(pv[c] * (Sf[w][r * SLD + col] - di));
    }
    __syncwarp();
    tile_accumulate<KD>(dq, dSb[w], Ks); /* dQ += dS K */
  }
  scale_all<KD>(dq, scale);
  size_t o = (size_t)b * T * 3 * C + (size_t)h * HS;
  store_rows<KD>(dqkv ? dqkv + o : NULL, dqkv16 ? dqkv16 + o : NULL, (size_t)3 * C, qw, T, dq, Sf[w]);
}

/* ---- backward, register-resident (mma.sync; SCALEFIT_FLASH_BACKWARD=mma) ----
 *
 * The two backward kernels above on mma.m16n8k16 (mma16816.cuh), as k_flash_forward_mma is the
 * forward: every score tile is an accumulator whose layout PTX defines, so P, dP and dS stay in
 * registers and P and dS are packed to bf16 straight from the accumulators as the A operand of
 * the next product (two 8-column tiles make one 16-wide fragment). P is recomputed in base 2 from
 * lse (converted once: lse log2(e)) as exp2f(s scale log2(e) - lse log2(e)).
 *
 *   kv  a block per 64 keys (a warp per 16), the block's K and V rows in shared memory for the
 *       whole loop, over query tiles of BQ rows at or after them (Q, dO, lse, D copied per tile):
 *       S^T = K Q^T (K's rows as A, Q's rows as B without transpose, as K in the forward),
 *       P^T = exp(S^T scale - lse) with lse per column, dV += P^T dO (dO as B by ldmatrix .trans,
 *       as V in the forward), dP^T = V dO^T (dO's rows as B), dS^T = P^T (dP^T - D),
 *       dK += dS^T Q (Q by .trans). BQ = 64 up to head size 64, 32 up to 112, 16 at 128: the
 *       accumulators of dK, dV, S^T and dP^T in registers, K, V, Q and dO within the 48 KiB of
 *       static shared memory.
 *   q   a block per 64 queries (a warp per 16), Q and dO as A operands in registers for the whole
 *       loop (through shared memory once), over key tiles of BK rows up to them (K, V per tile):
 *       S = Q K^T, P = exp(S scale - lse) with lse per row (two a lane), dP = dO V^T,
 *       dS = P (dP - D), dQ += dS K (K by .trans). BK as the forward's: 64 up to head size 64,
 *       else 32.
 *
 * Each accumulator sums its products in a fixed order (tiles in index order, the head dimension
 * ascending), no atomics: deterministic, as the WMMA pair. Skipped work is only what causality
 * zeroes: 16-row groups of a tile wholly on the far side of the diagonal from the warp's rows. */

#define FLB_BQ(HS) ((HS) <= 64 ? 64 : (HS) <= 112 ? 32 : 16)
#define FL_LOG2E 1.4426950408889634f

template <int KD>
__global__ void __launch_bounds__(FL_THREADS)
    k_flash_backward_kv_mma(float *dqkv, __nv_bfloat16 *dqkv16, const __nv_bfloat16 *qkvh, const __nv_bfloat16 *doh,
                            const float *lse, const float *dsum, int B, int T, int Tp, int C, int NH, float scale,
                            float scale_log2) {
  constexpr int HS = 16 * KD, BQ = FLB_BQ(HS), LD = KLD(HS), NS = BQ / 8, NO = HS / 8;
  __shared__ __align__(128) __nv_bfloat16 Ks[FL_ROWS * LD], Vs[FL_ROWS * LD], Qs[BQ * LD], dOs[BQ * LD];
  __shared__ float Ls[BQ], Ds[BQ];
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const auto [bh, b, h, Q, K, V] = fl_head_of<HS>(qkvh, B, Tp, NH);
  /* the first keys, which the most queries see, first */
  const int k0 = blockIdx.y * FL_ROWS, kw = k0 + 16 * w;
  const __nv_bfloat16 *dO = doh + (size_t)bh * Tp * HS;
  const auto [ar, ac, kr, kc] = fl_ldm_lanes(lane);
  const __nv_bfloat16 *Kw = Ks + (16 * w + ar) * LD + ac, *Vw = Vs + (16 * w + ar) * LD + ac;

  copy_tile<HS>(Ks, K + (size_t)k0 * HS, FL_ROWS);
  copy_tile<HS>(Vs, V + (size_t)k0 * HS, FL_ROWS);
  float dk[NO][4], dv[NO][4];
  SFK_UNROLL
  for (int d = 0; d < NO; d++)
    SFK_UNROLL
    for (int e = 0; e < 4; e++) dk[d][e] = dv[d][e] = 0.0f;
  const int nqt = (T + BQ - 1) / BQ;
  for (int qt = k0 / BQ; qt < nqt; qt++) {
    const int q0 = qt * BQ;
    __syncthreads(); /* every warp is done with the previous tile */
    copy_tile<HS>(Qs, Q + (size_t)q0 * HS, BQ);
    copy_tile<HS>(dOs, dO + (size_t)q0 * HS, BQ);
    for (int x = threadIdx.x; x < BQ; x += blockDim.x) {
      Ls[x] = lse[(size_t)bh * Tp + q0 + x] * FL_LOG2E;
      Ds[x] = dsum[(size_t)bh * Tp + q0 + x];
    }
    __syncthreads();
    if (q0 + BQ <= kw) continue; /* every query of the tile precedes this warp's keys */
    /* S^T = K Q^T and dP^T = V dO^T (16 keys x BQ queries); 16-query groups before the warp's
     * first key are skipped (their P is 0) */
    float s[NS][4], dp[NS][4];
    SFK_UNROLL
    for (int n = 0; n < NS; n++)
      SFK_UNROLL
      for (int e = 0; e < 4; e++) s[n][e] = dp[n][e] = 0.0f;
    SFK_UNROLL
    for (int kd = 0; kd < KD; kd++) {
      uint32_t ka[4], va[4];
      sfk_ldmatrix_x4(ka, Kw + kd * 16);
      sfk_ldmatrix_x4(va, Vw + kd * 16);
      SFK_UNROLL
      for (int n2 = 0; n2 < NS / 2; n2++) {
        if (q0 + 16 * n2 + 15 < kw) continue; /* warp-uniform */
        uint32_t qb[4], ob[4];
        sfk_ldmatrix_x4(qb, Qs + (16 * n2 + kr) * LD + kd * 16 + kc);
        sfk_ldmatrix_x4(ob, dOs + (16 * n2 + kr) * LD + kd * 16 + kc);
        sfk_mma16816(s[2 * n2], ka, qb, s[2 * n2]);
        sfk_mma16816(s[2 * n2 + 1], ka, qb + 2, s[2 * n2 + 1]);
        sfk_mma16816(dp[2 * n2], va, ob, dp[2 * n2]);
        sfk_mma16816(dp[2 * n2 + 1], va, ob + 2, dp[2 * n2 + 1]);
      }
    }
    /* P^T (0 where key j > query i), then dS^T = P^T (dP^T - D) in dp; the lane's columns are
     * queries q0 + 8n + 2t (+1), its rows keys kw + g (+8) */
    SFK_UNROLL
    for (int n = 0; n < NS; n++)
      SFK_UNROLL
      for (int e = 0; e < 4; e++) {
        int c = 8 * n + 2 * t + (e & 1), i = q0 + c, j = kw + g + 8 * (e >> 1);
        float p = j > i ? 0.0f : exp2f(s[n][e] * scale_log2 - Ls[c]);
        s[n][e] = p;
        dp[n][e] = p * (dp[n][e] - Ds[c]);
      }
    /* dV += P^T dO and dK += dS^T Q, 16 queries a step: P^T and dS^T rounded to bf16 as A
     * operands, dO's and Q's B operands by .trans; query groups wholly before the warp's first key
     * skipped (P^T and dS^T are 0 there) */
    const int lo = q0 + 15 >= kw ? 0 : (kw - q0 - 15 + 15) / 16;
    fl_mma_acc<NS, NO, LD>(dv, s, dOs, ar * LD + ac, lo, NS / 2);
    fl_mma_acc<NS, NO, LD>(dk, dp, Qs, ar * LD + ac, lo, NS / 2);
  }
  /* rows kw + g (+8) < T: dK (scaled once here) and dV into their thirds of dqkv's rows */
  const size_t base = (size_t)b * T * 3 * C + (size_t)h * HS;
  const float fk[2] = {scale, scale}, fv[2] = {1.0f, 1.0f};
  fl_store_rows<NO>(dqkv, dqkv16, base + C, (size_t)3 * C, kw, T, dk, fk);
  fl_store_rows<NO>(dqkv, dqkv16, base + 2 * C, (size_t)3 * C, kw, T, dv, fv);
}

template <int KD>
__global__ void __launch_bounds__(FL_THREADS)
    k_flash_backward_q_mma(float *dqkv, __nv_bfloat16 *dqkv16, const __nv_bfloat16 *qkvh, const __nv_bfloat16 *doh,
                           const float *lse, const float *dsum, int B, int T, int Tp, int C, int NH, float scale,
                           float scale_log2) {
  constexpr int HS = 16 * KD, BK = HS <= 64 ? 64 : 32, LD = KLD(HS), NS = BK / 8, NO = HS / 8;
  /* K then V tiles; before the first, the block's 64 rows of Q, then of dO (2 BK >= 64) */
  __shared__ __align__(128) __nv_bfloat16 sm[2 * BK * LD];
  __nv_bfloat16 *Ks = sm, *Vs = sm + BK * LD;
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const auto [bh, b, h, Q, K, V] = fl_head_of<HS>(qkvh, B, Tp, NH);
  const int q0 = fl_first_query(), qw = q0 + 16 * w;
  const __nv_bfloat16 *dO = doh + (size_t)bh * Tp * HS;
  const auto [ar, ac, kr, kc] = fl_ldm_lanes(lane);

  uint32_t qa[KD][4], oa[KD][4];
  copy_tile<HS>(sm, Q + (size_t)q0 * HS, FL_ROWS);
  __syncthreads();
  SFK_UNROLL
  for (int kd = 0; kd < KD; kd++) sfk_ldmatrix_x4(qa[kd], sm + (16 * w + ar) * LD + kd * 16 + ac);
  __syncthreads();
  copy_tile<HS>(sm, dO + (size_t)q0 * HS, FL_ROWS);
  __syncthreads();
  SFK_UNROLL
  for (int kd = 0; kd < KD; kd++) sfk_ldmatrix_x4(oa[kd], sm + (16 * w + ar) * LD + kd * 16 + ac);
  /* rows qw + g and qw + g + 8: lse in base 2 and D */
  float l2[2], dd[2];
  SFK_UNROLL
  for (int r = 0; r < 2; r++) {
    l2[r] = lse[(size_t)bh * Tp + qw + g + 8 * r] * FL_LOG2E;
    dd[r] = dsum[(size_t)bh * Tp + qw + g + 8 * r];
  }
  float dq[NO][4];
  SFK_UNROLL
  for (int d = 0; d < NO; d++) dq[d][0] = dq[d][1] = dq[d][2] = dq[d][3] = 0.0f;
  const int last = qw + 15; /* the warp's last query */
  const int nkt = (q0 + FL_ROWS) / BK;
  for (int kt = 0; kt < nkt; kt++) {
    const int k0 = kt * BK;
    __syncthreads(); /* every warp is done with the previous tile (or with Q and dO) */
    copy_tile<HS>(Ks, K + (size_t)k0 * HS, BK);
    copy_tile<HS>(Vs, V + (size_t)k0 * HS, BK);
    __syncthreads();
    if (k0 > last) continue; /* the whole tile is after this warp's queries */
    /* S = Q K^T and dP = dO V^T (16 queries x BK keys); 16-key groups after the warp's last query
     * are skipped (their P is 0) */
    float s[NS][4], dp[NS][4];
    SFK_UNROLL
    for (int n = 0; n < NS; n++)
      SFK_UNROLL
      for (int e = 0; e < 4; e++) s[n][e] = dp[n][e] = 0.0f;
    SFK_UNROLL
    for (int n2 = 0; n2 < NS / 2; n2++) {
      if (k0 + 16 * n2 > last) break; /* warp-uniform */
      SFK_UNROLL
      for (int kd = 0; kd < KD; kd++) {
        uint32_t kb[4], vb[4];
        sfk_ldmatrix_x4(kb, Ks + (16 * n2 + kr) * LD + kd * 16 + kc);
        sfk_ldmatrix_x4(vb, Vs + (16 * n2 + kr) * LD + kd * 16 + kc);
        sfk_mma16816(s[2 * n2], qa[kd], kb, s[2 * n2]);
        sfk_mma16816(s[2 * n2 + 1], qa[kd], kb + 2, s[2 * n2 + 1]);
        sfk_mma16816(dp[2 * n2], oa[kd], vb, dp[2 * n2]);
        sfk_mma16816(dp[2 * n2 + 1], oa[kd], vb + 2, dp[2 * n2 + 1]);
      }
    }
    /* dS = P (dP - D) in dp, P = 0 where key j > query i; the lane's rows are queries qw + g (+8),
     * its columns keys k0 + 8n + 2t (+1) */
    SFK_UNROLL
    for (int n = 0; n < NS; n++)
      SFK_UNROLL
      for (int e = 0; e < 4; e++) {
        int j = k0 + 8 * n + 2 * t + (e & 1), i = qw + g + 8 * (e >> 1);
        float p = j > i ? 0.0f : exp2f(s[n][e] * scale_log2 - l2[e >> 1]);
        dp[n][e] = p * (dp[n][e] - dd[e >> 1]);
      }
    /* dQ += dS K, 16 keys a step: dS rounded to bf16 as the A operand, K's B operands by .trans;
     * key groups after the warp's last query skipped (dS is 0 there) */
    fl_mma_acc<NS, NO, LD>(dq, dp, Ks, ar * LD + ac, 0, (last - k0) / 16 + 1);
  }
  /* rows qw + g (+8) < T: dQ (scaled once here) into the first third of dqkv's rows */
  const float fq[2] = {scale, scale};
  fl_store_rows<NO>(dqkv, dqkv16, (size_t)b * T * 3 * C + (size_t)h * HS, (size_t)3 * C, qw, T, dq, fq);
}

/* ---- launches ---- */

/* Runs F<KD> for the head size hs = 16 KD (sfk_flash_supported). */
#define FL_DISPATCH(hs, F)                                                                           \
  switch ((hs) / 16) {                                                                               \
  case 1: F(1); break;                                                                               \
  case 2: F(2); break;                                                                               \
  case 3: F(3); break;                                                                               \
  case 4: F(4); break;                                                                               \
  case 5: F(5); break;                                                                               \
  case 6: F(6); break;                                                                               \
  case 7: F(7); break;                                                                               \
  case 8: F(8); break;                                                                               \
  }

static int unsupported(int C, int NH) {
  return sf_fail(SF_EINTERNAL, "cuda: flash attention of d_model %d over %d heads (head size must be 16..128, a "
                               "multiple of 16)", C, NH);
}

/* *idx: which of names[n] the environment variable var holds (0, the default, when it is unset or
 * empty); SF_EINPUT naming the variable, its value and the choices otherwise */
static int env_choice(const char *var, const char *const *names, int n, int *idx) {
  const char *e = getenv(var);
  *idx = 0;
  if (!e || !*e) return SF_OK;
  char list[128] = "";
  for (int i = 0; i < n; i++) {
    if (!strcmp(e, names[i])) {
      *idx = i;
      return SF_OK;
    }
    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
  }
  return sf_fail(SF_EINPUT, "%s '%s' is not one of %s", var, e, list);
}

/* Which forward runs: set in code (sf_cuda_set_flash_forward), else SCALEFIT_FLASH_FORWARD read at
 * every call (wmma when unset or empty, mma, mma-noprefetch). WMMA stays the default until the mma
 * kernels have been measured against it on a GPU (docs/TRAIN.md). */
static sf_cuda_flash_forward fwd_kind = SF_FLASH_FWD_ENV;

int sf_cuda_set_flash_forward(sf_cuda_flash_forward k) {
  if (k != SF_FLASH_FWD_ENV && k != SF_FLASH_FWD_WMMA && k != SF_FLASH_FWD_MMA && k != SF_FLASH_FWD_MMA_NOPREFETCH)
    return sf_fail(SF_EINTERNAL, "cuda: flash forward kind %d", (int)k);
  fwd_kind = k;
  return SF_OK;
}

/* *k: the kernel (never SF_FLASH_FWD_ENV); SF_EINPUT for a SCALEFIT_FLASH_FORWARD it does not know */
static int forward_kind(sf_cuda_flash_forward *k) {
  static const char *const names[] = {"wmma", "mma", "mma-noprefetch"};
  static const sf_cuda_flash_forward kinds[] = {SF_FLASH_FWD_WMMA, SF_FLASH_FWD_MMA, SF_FLASH_FWD_MMA_NOPREFETCH};
  *k = fwd_kind;
  if (fwd_kind != SF_FLASH_FWD_ENV) return SF_OK;
  int i, rc = env_choice("SCALEFIT_FLASH_FORWARD", names, 3, &i);
  *k = kinds[i];
  return rc;
}

int sfk_flash_forward(float *out, __nv_bfloat16 *out16, __nv_bfloat16 *qkvh, float *lse, const float *qkv,
                      const __nv_bfloat16 *qkv16, const float *bias, int B, int T, int C, int NH) {
  if (B <= 0) return SF_OK;
  if (!sfk_flash_supported(C, NH)) return unsupported(C, NH);
  if ((!out && !out16) || (!qkv && !qkv16) || (uintptr_t)qkv16 % 16)
    return sf_fail(SF_EINTERNAL, "cuda: flash forward without an output or an input, or bf16 qkv not 16-byte aligned");
  sf_cuda_flash_forward kind;
  int rc = forward_kind(&kind);
  if (rc) return rc;
  const int Tp = sfk_flash_tpad(T), hs = C / NH;
  float scale = 1.0f / sqrtf((float)hs);
  SFK_LAUNCH(k_flash_pack, grid_for(3 * (size_t)B * NH * Tp * (hs / 8)), 256)(qkvh, qkv, qkv16, bias, B, T, Tp, C, NH);
  LAUNCHED(k_flash_pack);
  dim3 grid((unsigned)(B * NH), (unsigned)(Tp / FL_ROWS)); /* (b, h) on x: up to 2^31 - 1 */
  if (kind != SF_FLASH_FWD_WMMA) {
    float scale_log2 = scale * 1.4426950408889634f; /* exp(x scale) = exp2(x scale log2(e)) */
    if (kind == SF_FLASH_FWD_MMA) {
#define FWD(kd)                                                                                      \
  SFK_LAUNCH((k_flash_forward_mma<kd, true>), grid, FL_THREADS)(out, out16, lse, qkvh, B, T, Tp, C, NH, scale_log2)
      FL_DISPATCH(hs, FWD);
#undef FWD
    } else {
#define FWD(kd)                                                                                      \
  SFK_LAUNCH((k_flash_forward_mma<kd, false>), grid, FL_THREADS)(out, out16, lse, qkvh, B, T, Tp, C, NH, scale_log2)
      FL_DISPATCH(hs, FWD);
#undef FWD
    }
    LAUNCHED(k_flash_forward_mma);
    return SF_OK;
  }
#define FWD(kd) SFK_LAUNCH(k_flash_forward<kd>, grid, FL_THREADS)(out, out16, lse, qkvh, B, T, Tp, C, NH, scale)
  FL_DISPATCH(hs, FWD);
#undef FWD
  LAUNCHED(k_flash_forward);
  return SF_OK;
}

/* Which backward runs: set in code (sf_cuda_set_flash_backward), else SCALEFIT_FLASH_BACKWARD read
 * at every call (wmma when unset or empty, mma). WMMA stays the default until the two have been
 * measured against each other on a GPU (docs/TRAIN.md). */
static sf_cuda_flash_backward bwd_kind = SF_FLASH_BWD_ENV;

int sf_cuda_set_flash_backward(sf_cuda_flash_backward k) {
  if (k != SF_FLASH_BWD_ENV && k != SF_FLASH_BWD_WMMA && k != SF_FLASH_BWD_MMA)
    return sf_fail(SF_EINTERNAL, "cuda: flash backward kind %d", (int)k);
  bwd_kind = k;
  return SF_OK;
}

/* *k: the kernels (never SF_FLASH_BWD_ENV); SF_EINPUT for a SCALEFIT_FLASH_BACKWARD it does not know */
static int backward_kind(sf_cuda_flash_backward *k) {
  static const char *const names[] = {"wmma", "mma"};
  static const sf_cuda_flash_backward kinds[] = {SF_FLASH_BWD_WMMA, SF_FLASH_BWD_MMA};
  *k = bwd_kind;
  if (bwd_kind != SF_FLASH_BWD_ENV) return SF_OK;
  int i, rc = env_choice("SCALEFIT_FLASH_BACKWARD", names, 2, &i);
  *k = kinds[i];
  return rc;
}

int sfk_flash_backward(float *dqkv, __nv_bfloat16 *dqkv16, const float *dout, const __nv_bfloat16 *dout16,
                       const float *out, const __nv_bfloat16 *out16, const __nv_bfloat16 *qkvh, const float *lse,
                       __nv_bfloat16 *doh, float *dsum, int B, int T, int C, int NH) {
  if (B <= 0) return SF_OK;
  if (!sfk_flash_supported(C, NH)) return unsupported(C, NH);
  if ((!dqkv && !dqkv16) || (!dout && !dout16) || (!out && !out16))
    return sf_fail(SF_EINTERNAL, "cuda: flash backward without an output gradient, an input or its output");
  sf_cuda_flash_backward kind;
  int rc = backward_kind(&kind);
  if (rc) return rc;
  const int Tp = sfk_flash_tpad(T), hs = C / NH;
  float scale = 1.0f / sqrtf((float)hs);
  size_t rows = (size_t)B * NH * Tp;
  SFK_LAUNCH(k_flash_prep, (unsigned)((rows + 7) / 8), 256)(doh, dsum, dout, dout16, out, out16, B, T, Tp, C, NH);
  LAUNCHED(k_flash_prep);
  dim3 grid((unsigned)(B * NH), (unsigned)(Tp / FL_ROWS)); /* (b, h) on x: up to 2^31 - 1 */
  if (kind == SF_FLASH_BWD_MMA) {
    float scale_log2 = scale * FL_LOG2E;
#define BKV(kd)                                                                                      \
  SFK_LAUNCH(k_flash_backward_kv_mma<kd>, grid, FL_THREADS)(dqkv, dqkv16, qkvh, doh, lse, dsum, B, T, Tp, C, NH, \
                                                           scale, scale_log2)
    FL_DISPATCH(hs, BKV);
#undef BKV
    LAUNCHED(k_flash_backward_kv_mma);
#define BQ_(kd)                                                                                      \
  SFK_LAUNCH(k_flash_backward_q_mma<kd>, grid, FL_THREADS)(dqkv, dqkv16, qkvh, doh, lse, dsum, B, T, Tp, C, NH, \
                                                          scale, scale_log2)
    FL_DISPATCH(hs, BQ_);
#undef BQ_
    LAUNCHED(k_flash_backward_q_mma);
    return SF_OK;
  }
#define BKV(kd) SFK_LAUNCH(k_flash_backward_kv<kd>, grid, FL_THREADS)(dqkv, dqkv16, qkvh, doh, lse, dsum, B, T, Tp, C, NH, scale)
  FL_DISPATCH(hs, BKV);
#undef BKV
  LAUNCHED(k_flash_backward_kv);
#define BQ_(kd) SFK_LAUNCH(k_flash_backward_q<kd>, grid, FL_THREADS)(dqkv, dqkv16, qkvh, doh, lse, dsum, B, T, Tp, C, NH, scale)
  FL_DISPATCH(hs, BQ_);
#undef BQ_
  LAUNCHED(k_flash_backward_q);
  return SF_OK;
}
