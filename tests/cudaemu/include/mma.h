/* mma.h (tests/cudaemu): the part of CUDA's warp matrix API (nvcuda::wmma) that a tensor-core kernel
 * of the trainer may use, emulated: shape 16 x 16 x 16 only, matrix_a / matrix_b of __nv_bfloat16
 * (row_major or col_major), accumulator of float; fill_fragment, load_matrix_sync,
 * store_matrix_sync, mma_sync (runtime.cpp).
 *
 * Strict where the hardware is: load, store and mma are warp-collective (all 32 lanes, the same
 * pointer, ldm and layout; a missing lane is a deadlock report), tiles 256-bit aligned, ldm a
 * multiple of 8 (bf16) or 4 (float), device-memory tiles inside their allocation. Which lane holds
 * which element in x[] is unspecified in CUDA; here it is a permutation drawn per launch and per
 * fragment kind, deliberately not the hardware's: only element-wise work on fragments (the same
 * operation on every x[i], or x[i] of two fragments of the same type together) gives right results.
 */
#ifndef SF_CUDAEMU_MMA_H
#define SF_CUDAEMU_MMA_H

#include "cuda_bf16.h"
#include "cuda_runtime.h"

/* fragment kinds, each with its own element mapping */
enum { SF_WMMA_A_ROW, SF_WMMA_A_COL, SF_WMMA_B_ROW, SF_WMMA_B_COL, SF_WMMA_ACC, SF_WMMA_KINDS };

/* runtime.cpp: x holds 8 elements of 2 (bf16) or 4 (float, accumulator) bytes */
void sf_emu_wmma_load(int kind, void *x, const void *p, unsigned ldm, int col_major);
void sf_emu_wmma_store(float *p, const float *x, unsigned ldm, int col_major);
void sf_emu_wmma_mma(float *d, int ka, const __nv_bfloat16 *a, int kb, const __nv_bfloat16 *b, const float *c);

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <class T, int Kind> struct sf_frag_base {
  enum { num_elements = 8 }; /* 256 elements over 32 lanes */
  static constexpr int sf_kind = Kind;
  T x[num_elements];
};

/* only the specialisations below exist: any other shape or type does not compile */
template <class Use, int M, int N, int K, class T, class Layout = void> class fragment;
template <> class fragment<matrix_a, 16, 16, 16, __nv_bfloat16, row_major>
    : public sf_frag_base<__nv_bfloat16, SF_WMMA_A_ROW> {};
template <> class fragment<matrix_a, 16, 16, 16, __nv_bfloat16, col_major>
    : public sf_frag_base<__nv_bfloat16, SF_WMMA_A_COL> {};
template <> class fragment<matrix_b, 16, 16, 16, __nv_bfloat16, row_major>
    : public sf_frag_base<__nv_bfloat16, SF_WMMA_B_ROW> {};
template <> class fragment<matrix_b, 16, 16, 16, __nv_bfloat16, col_major>
    : public sf_frag_base<__nv_bfloat16, SF_WMMA_B_COL> {};
template <> class fragment<accumulator, 16, 16, 16, float> : public sf_frag_base<float, SF_WMMA_ACC> {};

/* not collective: every element of the lane's part (a number for a bf16 fragment rounds to bf16) */
template <class Use, int M, int N, int K, class T, class Layout, class V>
inline void fill_fragment(fragment<Use, M, N, K, T, Layout> &f, const V &v) {
  T t;
  if constexpr (std::is_same<T, __nv_bfloat16>::value && !std::is_same<V, __nv_bfloat16>::value)
    t = __float2bfloat16((float)v);
  else t = (T)v;
  for (int i = 0; i < f.num_elements; i++) f.x[i] = t;
}

template <class Use, class Layout>
inline void load_matrix_sync(fragment<Use, 16, 16, 16, __nv_bfloat16, Layout> &f, const __nv_bfloat16 *p,
                             unsigned ldm) {
  sf_emu_wmma_load(f.sf_kind, f.x, p, ldm, std::is_same<Layout, col_major>::value);
}

inline void load_matrix_sync(fragment<accumulator, 16, 16, 16, float> &f, const float *p, unsigned ldm,
                             layout_t layout) {
  sf_emu_wmma_load(f.sf_kind, f.x, p, ldm, layout == mem_col_major);
}

inline void store_matrix_sync(float *p, const fragment<accumulator, 16, 16, 16, float> &f, unsigned ldm,
                              layout_t layout) {
  sf_emu_wmma_store(p, f.x, ldm, layout == mem_col_major);
}

/* d = a b + c in fp32; d may be c */
template <class LA, class LB>
inline void mma_sync(fragment<accumulator, 16, 16, 16, float> &d, const fragment<matrix_a, 16, 16, 16, __nv_bfloat16, LA> &a,
                     const fragment<matrix_b, 16, 16, 16, __nv_bfloat16, LB> &b,
                     const fragment<accumulator, 16, 16, 16, float> &c) {
  sf_emu_wmma_mma(d.x, a.sf_kind, a.x, b.sf_kind, b.x, c.x);
}

} /* namespace wmma */
} /* namespace nvcuda */

#endif
