/* mma16816.cuh: the warp-level tensor-core operations whose register layouts the PTX ISA defines,
 * for kernels that keep their tiles in registers (flash.cu's register-resident forward and
 * backward): the bf16 product mma.sync.m16n8k16 (fp32 accumulators) and ldmatrix (8 x 8 tiles of
 * 16-bit values from shared memory into registers, the operands' layouts). Inline PTX under nvcc (sm_80 and later); in
 * the CUDA emulator (SF_CUDA_EMU, tests/cudaemu/mma16816.cpp) warp-collective calls with exactly
 * these layouts, which the emulator's tests check element by element.
 *
 * Why not WMMA: its fragment layout is unspecified (the emulator randomises it on purpose), so
 * per-row work on a product (softmax's max and sum) must go through shared memory. Here the
 * layout is the contract. With g = lane / 4 (the lane's group, "quad") and t = lane % 4:
 *
 *   A (16 x 16, row-major), 4 registers of two bf16 each (the lower-indexed element in the low 16
 *     bits): a[0] = A[g][2t, 2t+1], a[1] = A[g+8][2t, 2t+1], a[2] = A[g][2t+8, 2t+9],
 *     a[3] = A[g+8][2t+8, 2t+9]
 *   B (16 x 8, k x n), 2 registers: b[0] = B[2t, 2t+1][g], b[1] = B[2t+8, 2t+9][g]
 *   C, D (16 x 8, fp32), 4 floats: c[0], c[1] = C[g][2t, 2t+1], c[2], c[3] = C[g+8][2t, 2t+1]
 *
 * So the four lanes of a quad hold one row pair of the result (rows g and g + 8), and two
 * accumulator tiles side by side (columns 0..7 and 8..15) are, packed to bf16, exactly one A
 * fragment of the next product: (c0 of tile 0, c2 of tile 0, c0 of tile 1, c2 of tile 1) as
 * (a[0], a[1], a[2], a[3]) with each register the pair (c[0], c[1]) or (c[2], c[3]).
 *
 * ldmatrix .x4: lane 8j + r gives the address of row r of 8 x 8 matrix j (8 contiguous 16-bit
 * values, 16-byte aligned, in shared memory); register j of lane l receives row l / 4, elements
 * 2 (l % 4) and 2 (l % 4) + 1 of matrix j. .trans delivers the transpose: elements (2 (l % 4), l / 4)
 * and (2 (l % 4) + 1, l / 4). .x2 takes addresses from lanes 0..15 and fills registers 0 and 1.
 * Every operation here is warp-collective: all 32 lanes call it together (convergent code only).
 */
#ifndef SF_TRAIN_CUDA_MMA16816_CUH
#define SF_TRAIN_CUDA_MMA16816_CUH

#include <cuda_bf16.h>
#include <stdint.h>

/* Loops over register arrays must be unrolled (an array indexed at run time lives in local
 * memory); the emulator's compiler has no such pragma and needs none. */
#ifdef SF_CUDA_EMU
#define SFK_UNROLL
#else
#define SFK_UNROLL _Pragma("unroll")
#endif

#ifdef SF_CUDA_EMU
/* tests/cudaemu/mma16816.cpp: n matrices (1, 2 or 4), transposed or not; p the lane's row */
void sf_emu_mma16816(float *d, const uint32_t *a, const uint32_t *b, const float *c);
void sf_emu_ldmatrix(uint32_t *r, int n, int trans, const void *p);
#endif

/* d = a b + c (d may be c) */
__device__ __forceinline__ void sfk_mma16816(float d[4], const uint32_t a[4], const uint32_t b[2], const float c[4]) {
#ifdef SF_CUDA_EMU
  sf_emu_mma16816(d, a, b, c);
#else
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%10, %11, %12, %13};\n"
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]),
                 "f"(c[3]));
#endif
}

#ifndef SF_CUDA_EMU
__device__ __forceinline__ uint32_t sfk_smem_addr(const void *p) {
  return (uint32_t)__cvta_generic_to_shared(p);
}
#endif

/* r[0..3] = four 8 x 8 matrices; p: this lane's row (see above) */
__device__ __forceinline__ void sfk_ldmatrix_x4(uint32_t r[4], const void *p) {
#ifdef SF_CUDA_EMU
  sf_emu_ldmatrix(r, 4, 0, p);
#else
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sfk_smem_addr(p)));
#endif
}

__device__ __forceinline__ void sfk_ldmatrix_x4_trans(uint32_t r[4], const void *p) {
#ifdef SF_CUDA_EMU
  sf_emu_ldmatrix(r, 4, 1, p);
#else
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sfk_smem_addr(p)));
#endif
}

/* two matrices: addresses from lanes 0..15 (the others' are ignored) */
__device__ __forceinline__ void sfk_ldmatrix_x2(uint32_t r[2], const void *p) {
#ifdef SF_CUDA_EMU
  sf_emu_ldmatrix(r, 2, 0, p);
#else
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(sfk_smem_addr(p)));
#endif
}

__device__ __forceinline__ void sfk_ldmatrix_x2_trans(uint32_t r[2], const void *p) {
#ifdef SF_CUDA_EMU
  sf_emu_ldmatrix(r, 2, 1, p);
#else
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(sfk_smem_addr(p)));
#endif
}

/* two floats rounded to bf16 (nearest even) in one register, lo in the low 16 bits: an operand pair */
__device__ __forceinline__ uint32_t sfk_pack_bf16x2(float lo, float hi) {
#ifdef SF_CUDA_EMU
  return (uint32_t)__float2bfloat16(lo).x | (uint32_t)__float2bfloat16(hi).x << 16;
#else
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t *>(&v);
#endif
}

#endif
