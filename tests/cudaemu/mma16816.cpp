/* mma16816.cpp (tests/cudaemu): the emulator's side of src/train/cuda/mma16816.cuh, the PTX
 * operations whose register layouts are architectural: mma.sync.aligned.m16n8k16.row.col with bf16
 * operands and fp32 accumulators, and ldmatrix.sync.aligned.m8n8 (.x1/.x2/.x4, .trans) of 16-bit
 * values.
 *
 * Unlike WMMA (runtime.cpp), whose element mapping the emulator randomises because CUDA leaves it
 * unspecified, these use exactly the hardware's layout (the PTX ISA's fragment tables, restated in
 * mma16816.cuh): a kernel relies on it, so a kernel right here is right on a GPU as far as layouts
 * go. test_cudaemu checks every lane's registers against an independent statement of the tables.
 *
 * Both are warp-collective on the runtime's warp meetings (sf_emu_warp_sync): all 32 lanes must
 * arrive at the same operation, else the deadlock report or an abort. ldmatrix: each addressing lane
 * reads its 16-byte row when it arrives (so a row written by another lane without __syncwarp or
 * __syncthreads since may be read stale, as on a GPU); the row must be 16-byte aligned and in shared
 * memory (not a cudaMalloc allocation), else an abort naming the kernel, block and thread. The
 * product: fp32, bf16 products exact, k ascending from c (the hardware's summation order and
 * intermediate precision are not modelled).
 */
#include "cuda_bf16.h"
#include "cuda_runtime.h"

#include <stdint.h>
#include <string.h>

#include "train/cuda/mma16816.cuh"

/* runtime.cpp: the calling thread's fault, "cudaemu: kernel 'K', block (x, y, z): thread N: ...", abort */
[[noreturn]] void sf_emu_thread_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* runtime.cpp: 1 if [p, p + bytes) lies inside one cudaMalloc allocation */
extern "C" int sf_cudaemu_check_range(const void *p, size_t bytes, char *why, size_t n);

namespace {

inline float bf16_lo(uint32_t r) { return __bfloat162float(__nv_bfloat16{(uint16_t)(r & 0xffffu)}); }
inline float bf16_hi(uint32_t r) { return __bfloat162float(__nv_bfloat16{(uint16_t)(r >> 16)}); }

struct mma_lane {
  float *d;
  const uint32_t *a, *b;
  const float *c;
};

/* run by the last lane to arrive, the others waiting: gathers A, B, C from the lanes' registers by
 * the tables, D = A B + C, scatters D */
void mma_all(void *const *lanes) {
  float A[16][16], B[16][8], C[16][8];
  for (int l = 0; l < 32; l++) {
    const mma_lane *x = (const mma_lane *)lanes[l];
    int g = l / 4, t = l % 4;
    for (int h = 0; h < 2; h++) { /* h: the upper 8 columns of A, rows of B */
      A[g][2 * t + 8 * h] = bf16_lo(x->a[2 * h]);
      A[g][2 * t + 8 * h + 1] = bf16_hi(x->a[2 * h]);
      A[g + 8][2 * t + 8 * h] = bf16_lo(x->a[2 * h + 1]);
      A[g + 8][2 * t + 8 * h + 1] = bf16_hi(x->a[2 * h + 1]);
      B[2 * t + 8 * h][g] = bf16_lo(x->b[h]);
      B[2 * t + 8 * h + 1][g] = bf16_hi(x->b[h]);
    }
    C[g][2 * t] = x->c[0];
    C[g][2 * t + 1] = x->c[1];
    C[g + 8][2 * t] = x->c[2];
    C[g + 8][2 * t + 1] = x->c[3];
  }
  float D[16][8];
  for (int r = 0; r < 16; r++)
    for (int n = 0; n < 8; n++) {
      float s = C[r][n];
      for (int k = 0; k < 16; k++) s += A[r][k] * B[k][n];
      D[r][n] = s;
    }
  for (int l = 0; l < 32; l++) { /* after every read: d may be c */
    const mma_lane *x = (const mma_lane *)lanes[l];
    int g = l / 4, t = l % 4;
    x->d[0] = D[g][2 * t];
    x->d[1] = D[g][2 * t + 1];
    x->d[2] = D[g + 8][2 * t];
    x->d[3] = D[g + 8][2 * t + 1];
  }
}

struct ld_lane {
  uint32_t *r;
  uint16_t row[8]; /* the row this lane addressed (lanes < 8 n), read when it arrived */
  int n, trans;
};

void ldmatrix_all(void *const *lanes) {
  const ld_lane *l0 = (const ld_lane *)lanes[0];
  for (int l = 0; l < 32; l++) {
    const ld_lane *x = (const ld_lane *)lanes[l];
    int r = l / 4, c = 2 * (l % 4);
    for (int j = 0; j < l0->n; j++) {
      uint16_t lo, hi;
      if (!l0->trans) { /* row r, columns c, c + 1 of matrix j: lane 8j + r's row */
        const ld_lane *src = (const ld_lane *)lanes[8 * j + r];
        lo = src->row[c];
        hi = src->row[c + 1];
      } else { /* (c, r) and (c + 1, r): column r of rows c, c + 1 */
        lo = ((const ld_lane *)lanes[8 * j + c])->row[r];
        hi = ((const ld_lane *)lanes[8 * j + c + 1])->row[r];
      }
      x->r[j] = (uint32_t)lo | (uint32_t)hi << 16;
    }
  }
}

} /* namespace */

void sf_emu_mma16816(float *d, const uint32_t *a, const uint32_t *b, const float *c) {
  mma_lane mine = {d, a, b, c};
  sf_emu_warp_sync("mma.sync.aligned.m16n8k16", 0xffffffffu, NULL, 0, &mine, mma_all);
}

void sf_emu_ldmatrix(uint32_t *r, int n, int trans, const void *p) {
  static const char *const names[2][3] = {
      {"ldmatrix.m8n8.x1", "ldmatrix.m8n8.x2", "ldmatrix.m8n8.x4"},
      {"ldmatrix.m8n8.x1.trans", "ldmatrix.m8n8.x2.trans", "ldmatrix.m8n8.x4.trans"}};
  const char *op = names[trans ? 1 : 0][n == 4 ? 2 : n == 2 ? 1 : 0];
  int lane = (int)((threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)) % 32);
  ld_lane mine = {};
  mine.r = r;
  mine.n = n == 4 ? 4 : n == 2 ? 2 : 1;
  mine.trans = trans != 0;
  if (lane < 8 * mine.n) { /* an addressing lane: its row, checked as the hardware requires */
    if ((uintptr_t)p % 16)
      sf_emu_thread_die("%s: row address %p is not 16-byte aligned", op, p);
    if (sf_cudaemu_check_range(p, 1, NULL, 0))
      sf_emu_thread_die("%s: row address %p is in a cudaMalloc allocation, not in shared memory", op, p);
    memcpy(mine.row, p, sizeof mine.row);
  }
  sf_emu_warp_sync(op, 0xffffffffu, NULL, 0, &mine, ldmatrix_all);
}
