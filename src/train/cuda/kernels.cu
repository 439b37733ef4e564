/* kernels.cu: the GPU trainer's layers on device pointers (contracts in common.cuh): small, plain
 * kernels for everything that is not a matrix product, and cuBLAS for every product (the linear
 * layers, and attention's QK^T and PV as strided-batched GEMMs over all heads at once).
 *
 * The kernels favour obvious correctness over speed: grid-stride loops over elements, one warp per
 * row for row operations (LayerNorm, attention softmax), one block per row for the cross-entropy
 * (vocabularies up to 65536). No kernel uses atomics, and every reduction runs in a fixed order,
 * so a run is deterministic on a given GPU. Numerics follow layers.c line by line (same formulas,
 * same epsilon), so the CPU layer is the reference for each kernel in tests/unit/test_train_cuda.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/cuda/common.cuh"
#include "train/cuda/plan.h"

/* ==================================== cuBLAS, loaded when first needed ====================================
 * libcublas is opened with dlopen the first time a GPU run starts, not linked: a CPU run never
 * loads it (its library constructors open more libraries at load time, which memory checkers flag
 * in the dynamic loader on every start), and the binary runs where cuBLAS is not installed. The
 * signatures below are checked against cublas_v2.h at compile time (unevaluated, so no link
 * dependency). */
#include <dlfcn.h>
#include <pthread.h>

typedef cublasStatus_t (*fn_create)(cublasHandle_t *);
typedef cublasStatus_t (*fn_destroy)(cublasHandle_t);
typedef cublasStatus_t (*fn_setmath)(cublasHandle_t, cublasMath_t);
typedef cublasStatus_t (*fn_setstream)(cublasHandle_t, cudaStream_t);
typedef cublasStatus_t (*fn_setworkspace)(cublasHandle_t, void *, size_t);
typedef const char *(*fn_status)(cublasStatus_t);
typedef cublasStatus_t (*fn_gemmex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void *,
                                    const void *, cudaDataType, int, const void *, cudaDataType, int, const void *,
                                    void *, cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
typedef cublasStatus_t (*fn_gemmsbex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                      const void *, const void *, cudaDataType, int, long long int, const void *,
                                      cudaDataType, int, long long int, const void *, void *, cudaDataType, int,
                                      long long int, int, cublasComputeType_t, cublasGemmAlgo_t);
typedef cublasStatus_t (*fn_sgemv)(cublasHandle_t, cublasOperation_t, int, int, const float *, const float *, int,
                                   const float *, int, const float *, float *, int);
static_assert(sizeof(static_cast<fn_create>(&cublasCreate)) > 0, "cublasCreate's signature");
static_assert(sizeof(static_cast<fn_destroy>(&cublasDestroy)) > 0, "cublasDestroy's signature");
static_assert(sizeof(static_cast<fn_setmath>(&cublasSetMathMode)) > 0, "cublasSetMathMode's signature");
static_assert(sizeof(static_cast<fn_setstream>(&cublasSetStream)) > 0, "cublasSetStream's signature");
static_assert(sizeof(static_cast<fn_setworkspace>(&cublasSetWorkspace)) > 0, "cublasSetWorkspace's signature");
static_assert(sizeof(static_cast<fn_status>(&cublasGetStatusString)) > 0, "cublasGetStatusString's signature");
static_assert(sizeof(static_cast<fn_gemmex>(&cublasGemmEx)) > 0, "cublasGemmEx's signature");
static_assert(sizeof(static_cast<fn_gemmsbex>(&cublasGemmStridedBatchedEx)) > 0, "cublasGemmStridedBatchedEx's signature");
static_assert(sizeof(static_cast<fn_sgemv>(&cublasSgemv)) > 0, "cublasSgemv's signature");

static struct {
  fn_create create;
  fn_destroy destroy;
  fn_setmath setmath;
  fn_setstream setstream;
  fn_setworkspace setworkspace;
  fn_status status;
  fn_gemmex gemmex;
  fn_gemmsbex gemmsbex;
  fn_sgemv sgemv;
  int loaded;
} cb;
static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;

#define SF_STR2(x) #x
#define SF_STR(x) SF_STR2(x)
#define CUBLAS_SONAME "libcublas.so." SF_STR(CUBLAS_VER_MAJOR)

int sfk_cublas_load(void) {
  pthread_mutex_lock(&cb_lock);
  int rc = SF_OK;
  if (!cb.loaded) {
    void *h = dlopen(CUBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
#ifdef SF_CUBLAS_DIR /* the toolkit's library folder at build time, when the loader's path lacks it */
    if (!h) h = dlopen(SF_CUBLAS_DIR "/" CUBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
#endif
    if (!h) {
      const char *why = dlerror();
      rc = sf_fail(SF_EINPUT, "cannot load cuBLAS (%s): %s", CUBLAS_SONAME, why ? why : "not found");
    } else {
      static const char *const names[] = {"cublasCreate_v2", "cublasDestroy_v2", "cublasSetMathMode",
                                          "cublasGetStatusString", "cublasGemmEx", "cublasGemmStridedBatchedEx",
                                          "cublasSgemv_v2", "cublasSetStream_v2", "cublasSetWorkspace_v2"};
      enum { NF = sizeof names / sizeof *names };
      void *f[NF];
      for (int i = 0; i < NF && !rc; i++)
        if (!(f[i] = dlsym(h, names[i]))) rc = sf_fail(SF_EINPUT, "cuBLAS (%s) lacks %s", CUBLAS_SONAME, names[i]);
      if (!rc) {
        cb.create = (fn_create)f[0];
        cb.destroy = (fn_destroy)f[1];
        cb.setmath = (fn_setmath)f[2];
        cb.status = (fn_status)f[3];
        cb.gemmex = (fn_gemmex)f[4];
        cb.gemmsbex = (fn_gemmsbex)f[5];
        cb.sgemv = (fn_sgemv)f[6];
        cb.setstream = (fn_setstream)f[7];
        cb.setworkspace = (fn_setworkspace)f[8];
        cb.loaded = 1;
      }
    }
  }
  pthread_mutex_unlock(&cb_lock);
  return rc;
}

/* ==================================== errors and context ==================================== */

int sf_cuda_fail(cudaError_t e, const char *call) {
  return sf_fail(e == cudaErrorMemoryAllocation ? SF_ENOMEM : SF_EIO, "cuda: %s: %s", call, cudaGetErrorString(e));
}

int sf_cublas_fail(cublasStatus_t s, const char *call) {
  char code[32];
  snprintf(code, sizeof code, "status %d", (int)s);
  return sf_fail(s == CUBLAS_STATUS_ALLOC_FAILED ? SF_ENOMEM : SF_EIO, "cublas: %s: %s", call,
                 cb.loaded ? cb.status(s) : code);
}

int sfk_ctx_init(sfk_ctx *x, sf_precision p, size_t n16, size_t nones) {
  memset(x, 0, sizeof *x);
  x->prec = p;
  int rc = sfk_cublas_load();
  if (rc) return rc;
  CB(cb.create(&x->h));
  /* default math: fp32 GEMMs are IEEE fp32; TF32 is requested per call by the compute type */
  CB(cb.setmath(x->h, CUBLAS_DEFAULT_MATH));
  CB(cb.setstream(x->h, SFK_STREAM));
  if (p == SF_PREC_BF16 && n16) {
    CU(cudaMalloc((void **)&x->a16, sizeof(__nv_bfloat16) * n16));
    CU(cudaMalloc((void **)&x->b16, sizeof(__nv_bfloat16) * n16));
    x->n16 = n16;
  }
  if (nones) {
    CU(cudaMalloc((void **)&x->ones, sizeof(float) * nones));
    x->nones = nones;
    if ((rc = sfk_fill(x->ones, nones, 1.0f))) return rc;
    if (p == SF_PREC_BF16) {
      CU(cudaMalloc((void **)&x->ones16, sizeof(__nv_bfloat16) * nones));
      if ((rc = sfk_to_bf16(x->ones16, x->ones, nones))) return rc;
    }
  }
  return SF_OK;
}

int sfk_ctx_workspace(sfk_ctx *x, size_t bytes) {
  CU(cudaMalloc(&x->ws, bytes));
  CB(cb.setworkspace(x->h, x->ws, bytes));
  return SF_OK;
}

void sfk_ctx_free(sfk_ctx *x) {
  if (x->h && cb.loaded) cb.destroy(x->h);
  cudaFree(x->ws);
  cudaFree(x->a16);
  cudaFree(x->b16);
  cudaFree(x->ones);
  cudaFree(x->ones16);
  memset(x, 0, sizeof *x);
}

/* ==================================== launch helpers ==================================== */

/* SUM_BLOCKS bounds the row blocks whose partial column sums a pass writes (the LayerNorm backward's
 * and GELU's backward bias sums), which one more kernel adds in order. */
enum { TPB = 256, WARPS_PER_BLOCK = TPB / 32, SUM_BLOCKS = 256 };

/* Blocks for a grid-stride loop over n elements (any n: the loop covers what the grid does not). */
static unsigned grid_for(size_t n) {
  size_t b = (n + TPB - 1) / TPB;
  if (b < 1) b = 1;
  if (b > (1u << 20)) b = 1u << 20;
  return (unsigned)b;
}

/* Blocks for one warp per row. */
static unsigned grid_rows(size_t rows) { return (unsigned)((rows + WARPS_PER_BLOCK - 1) / WARPS_PER_BLOCK); }

#define GRID_STRIDE(i, n) \
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

/* y[C] += column sums of a row-major [N, C] matrix with rows ld apart: to cuBLAS that matrix is
 * C x N (ld ld), and y = 1 * A * ones(N) + 1 * y is one GEMV. */
static int colsum_add(sfk_ctx *x, float *y, const float *a, int N, int C, int ld) {
  if ((size_t)N > x->nones) return sf_fail(SF_EINTERNAL, "cuda: column sum over %d rows, ones sized for %zu", N, x->nones);
  const float one = 1.0f;
  CB(cb.sgemv(x->h, CUBLAS_OP_N, C, N, &one, a, ld, x->ones, 1, &one, y, 1));
  return SF_OK;
}

/* y[C] += column sums of a row-major bf16 [N, C] matrix (rows ld apart), in fp32: the same product
 * with the bf16 ones, as a GEMM (GEMV has no bf16 form). */
static int colsum_add16(sfk_ctx *x, float *y, const __nv_bfloat16 *a, int N, int C, int ld) {
  if ((size_t)N > x->nones || !x->ones16)
    return sf_fail(SF_EINTERNAL, "cuda: bf16 column sum over %d rows, ones sized for %zu", N, x->ones16 ? x->nones : 0);
  const float one = 1.0f;
  CB(cb.gemmex(x->h, CUBLAS_OP_N, CUBLAS_OP_N, C, 1, N, &one, a, CUDA_R_16BF, ld, x->ones16, CUDA_R_16BF, N, &one, y,
               CUDA_R_32F, C, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  return SF_OK;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/* Sum (or max) over a block of TPB threads; every thread gets the result. sh holds WARPS_PER_BLOCK
 * floats. Ends with a barrier, so sh can be reused right after. */
__device__ float block_sum(float v, float *sh) {
  int lane = threadIdx.x % 32, w = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0) sh[w] = v;
  __syncthreads();
  float t = 0.0f;
  for (int i = 0; i < WARPS_PER_BLOCK; i++) t += sh[i]; /* fixed order: deterministic */
  __syncthreads();
  return t;
}

__device__ float block_max(float v, float *sh) {
  int lane = threadIdx.x % 32, w = threadIdx.x / 32;
  v = warp_max(v);
  if (lane == 0) sh[w] = v;
  __syncthreads();
  float t = -INFINITY;
  for (int i = 0; i < WARPS_PER_BLOCK; i++) t = fmaxf(t, sh[i]);
  __syncthreads();
  return t;
}

/* ==================================== element-wise ==================================== */

__global__ void k_fill(float *x, size_t n, float v) {
  GRID_STRIDE(i, n) x[i] = v;
}

int sfk_fill(float *x, size_t n, float v) {
  if (!n) return SF_OK;
  SFK_LAUNCH(k_fill, grid_for(n), TPB)(x, n, v);
  LAUNCHED(k_fill);
  return SF_OK;
}

__global__ void k_to_bf16(__nv_bfloat16 *out, const float *in, size_t n) {
  GRID_STRIDE(i, n) out[i] = __float2bfloat16(in[i]); /* round to nearest even */
}

int sfk_to_bf16(__nv_bfloat16 *out, const float *in, size_t n) {
  if (!n) return SF_OK;
  SFK_LAUNCH(k_to_bf16, grid_for(n), TPB)(out, in, n);
  LAUNCHED(k_to_bf16);
  return SF_OK;
}

__global__ void k_bf16_round(float *x, size_t n) {
  GRID_STRIDE(i, n) x[i] = __bfloat162float(__float2bfloat16(x[i]));
}

int sfk_bf16_round(float *x, size_t n) {
  if (!n) return SF_OK;
  SFK_LAUNCH(k_bf16_round, grid_for(n), TPB)(x, n);
  LAUNCHED(k_bf16_round);
  return SF_OK;
}

/* GELU, tanh form, written as layers.c writes it: tanh(u) = 1 - 2 / (1 + e^{2u}) */
#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */

/* The column, in rows of OC, of this thread's element in a GRID_STRIDE loop: one 64-bit division per
 * thread, then additions (a division per element costs more than these kernels' memory traffic). */
struct col_walk {
  unsigned c, step, oc;
  __device__ explicit col_walk(unsigned OC)
      : c((unsigned)(((size_t)blockIdx.x * blockDim.x + threadIdx.x) % OC)),
        step((unsigned)((size_t)gridDim.x * blockDim.x % OC)), oc(OC) {}
  __device__ void next() {
    c += step;
    if (c >= oc) c -= oc;
  }
};

__device__ __forceinline__ float gelu_of(float x) {
  float u = GELU_K * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + (1.0f - 2.0f / (1.0f + expf(2.0f * u))));
}

__device__ __forceinline__ float gelu_grad(float x) {
  float u = GELU_K * (x + 0.044715f * x * x * x), th = 1.0f - 2.0f / (1.0f + expf(2.0f * u));
  return 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
}

/* fp32 and tf32 runs. bias not NULL: inp[i] += bias[column] first (the fc layer's bias, added here
 * instead of in a pass of its own; inp is what the backward reads) */
__global__ void k_gelu_forward(float *out, float *inp, const float *bias, unsigned OC, size_t n) {
  col_walk col(OC);
  GRID_STRIDE(i, n) {
    float x = inp[i];
    if (bias) {
      x += bias[col.c];
      inp[i] = x;
      col.next();
    }
    out[i] = gelu_of(x);
  }
}

/* dinp may be dout: each thread reads its element before writing it */
__global__ void k_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
  GRID_STRIDE(i, n) dinp[i] = dout[i] * gelu_grad(inp[i]);
}

int sfk_gelu_forward(float *out, float *inp, const float *bias, int OC, size_t n) {
  if (!n) return SF_OK;
  if (OC < 1) return sf_fail(SF_EINTERNAL, "cuda: gelu over rows of %d", OC);
  SFK_LAUNCH(k_gelu_forward, grid_for(n), TPB)(out, inp, bias, (unsigned)OC, n);
  LAUNCHED(k_gelu_forward);
  return SF_OK;
}

int sfk_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
  if (!n) return SF_OK;
  SFK_LAUNCH(k_gelu_backward, grid_for(n), TPB)(dinp, inp, dout, n);
  LAUNCHED(k_gelu_backward);
  return SF_OK;
}

/* The bf16 MLP (model.cu in bf16): the fc product's output inp16 is kept in bf16 without its bias,
 * which both passes add as they read it (x = inp16 + bias[column], in fp32), so the pre-activation
 * is never rewritten. Each thread takes U consecutive values of a row (OC a multiple of U): 16-byte
 * accesses when U is 8. */
template <int U> struct __align__(2 * U) bf16_vec {
  __nv_bfloat16 v[U];
};

template <int U>
__global__ void k_gelu_forward16(__nv_bfloat16 *out16, const __nv_bfloat16 *inp16, const float *bias, unsigned OC,
                                 size_t units) {
  col_walk col(OC / U);
  GRID_STRIDE(i, units) {
    bf16_vec<U> x = ((const bf16_vec<U> *)inp16)[i], y;
    for (int k = 0; k < U; k++) y.v[k] = __float2bfloat16(gelu_of(__bfloat162float(x.v[k]) + bias[col.c * U + k]));
    ((bf16_vec<U> *)out16)[i] = y;
    col.next();
  }
}

/* dinp16 = bf16(gelu'(inp16 + bias) * dout16); may be dout16 (each unit read before it is written) */
template <int U>
__global__ void k_gelu_backward16(__nv_bfloat16 *dinp16, const __nv_bfloat16 *inp16, const float *bias,
                                  const __nv_bfloat16 *dout16, unsigned OC, size_t units) {
  col_walk col(OC / U);
  GRID_STRIDE(i, units) {
    bf16_vec<U> x = ((const bf16_vec<U> *)inp16)[i], d = ((const bf16_vec<U> *)dout16)[i], y;
    for (int k = 0; k < U; k++)
      y.v[k] = __float2bfloat16(__bfloat162float(d.v[k]) * gelu_grad(__bfloat162float(x.v[k]) + bias[col.c * U + k]));
    ((bf16_vec<U> *)dinp16)[i] = y;
    col.next();
  }
}

/* The same with fc's bias gradient summed in the pass: dbias += the column sums of dinp (of the fp32
 * values, before rounding; the fc product's dw then reads the rounded ones). Block (g, b) takes
 * the rows [g R, g R + R) and a block of units of the row: thread (tx, ty) the unit b blockDim.x +
 * tx of rows g R + ty, + blockDim.y, ..., with the unit's bias in registers; the block adds its
 * threads' sums over ty in order into part[g][OC], and k_colsum_parts adds the G partials in
 * order: deterministic, no atomics, no second read of dinp16. */
template <int U>
__global__ void __launch_bounds__(TPB)
    k_gelu_backward16_sums(__nv_bfloat16 *dinp16, const __nv_bfloat16 *inp16, const float *bias,
                           const __nv_bfloat16 *dout16, float *part, unsigned units, int N, int R) {
  __shared__ float sh[TPB * U];
  const unsigned tx = threadIdx.x, ty = threadIdx.y, u = blockIdx.y * blockDim.x + tx, OC = units * U;
  float acc[U], b[U];
  SFK_UNROLL
  for (int k = 0; k < U; k++) acc[k] = 0.0f, b[k] = u < units ? bias[u * U + k] : 0.0f;
  if (u < units) {
    const int r1 = (int)blockIdx.x * R + R < N ? (int)blockIdx.x * R + R : N;
    for (int n = (int)blockIdx.x * R + (int)ty; n < r1; n += (int)blockDim.y) {
      const size_t i = (size_t)n * units + u;
      bf16_vec<U> x = ((const bf16_vec<U> *)inp16)[i], d = ((const bf16_vec<U> *)dout16)[i], y;
      SFK_UNROLL
      for (int k = 0; k < U; k++) {
        float v = __bfloat162float(d.v[k]) * gelu_grad(__bfloat162float(x.v[k]) + b[k]);
        acc[k] += v;
        y.v[k] = __float2bfloat16(v);
      }
      ((bf16_vec<U> *)dinp16)[i] = y;
    }
  }
  SFK_UNROLL
  for (int k = 0; k < U; k++) sh[(ty * blockDim.x + tx) * U + k] = acc[k];
  __syncthreads();
  if (ty == 0 && u < units) {
    SFK_UNROLL
    for (int k = 0; k < U; k++) {
      float t = 0.0f;
      for (unsigned j = 0; j < blockDim.y; j++) t += sh[(j * blockDim.x + tx) * U + k];
      part[(size_t)blockIdx.x * OC + u * U + k] = t;
    }
  }
}

/* y[c] += sum over g of part[g][c] (G partials of OC), g in order */
__global__ void k_colsum_parts(float *y, const float *part, int G, unsigned OC) {
  GRID_STRIDE(c, (size_t)OC) {
    float t = 0.0f;
    for (int g = 0; g < G; g++) t += part[(size_t)g * OC + c];
    y[c] += t;
  }
}

/* 16-byte units when rows hold whole ones and the buffers start on 16 bytes, else one value a thread */
static int gelu16_wide(unsigned OC, const void *a, const void *b, const void *c) {
  return OC % 8 == 0 && ((uintptr_t)a | (uintptr_t)b | (uintptr_t)c) % 16 == 0;
}

int sfk_gelu_forward16(__nv_bfloat16 *out16, const __nv_bfloat16 *inp16, const float *bias, int OC, size_t n) {
  if (!n) return SF_OK;
  if (OC < 1 || n % (size_t)OC) return sf_fail(SF_EINTERNAL, "cuda: gelu over %zu values in rows of %d", n, OC);
  if (gelu16_wide((unsigned)OC, out16, inp16, inp16))
    SFK_LAUNCH(k_gelu_forward16<8>, grid_for(n / 8), TPB)(out16, inp16, bias, (unsigned)OC, n / 8);
  else
    SFK_LAUNCH(k_gelu_forward16<1>, grid_for(n), TPB)(out16, inp16, bias, (unsigned)OC, n);
  LAUNCHED(k_gelu_forward16);
  return SF_OK;
}

int sfk_gelu_backward16(sfk_ctx *x, __nv_bfloat16 *dinp16, const __nv_bfloat16 *inp16, const float *bias,
                        const __nv_bfloat16 *dout16, int OC, size_t n, float *dbias, float *part, size_t part_n) {
  if (!n) return SF_OK;
  if (OC < 1 || n % (size_t)OC) return sf_fail(SF_EINTERNAL, "cuda: gelu over %zu values in rows of %d", n, OC);
  const int N = (int)(n / (size_t)OC), wide = gelu16_wide((unsigned)OC, dinp16, inp16, dout16);
  const unsigned units = wide ? (unsigned)OC / 8 : (unsigned)OC;
  /* blocks of 32 to 128 units across and TPB / that many rows at a time; up to SUM_BLOCKS row
   * blocks, as many partials as part holds */
  const unsigned bx = units >= 128 ? 128 : (units + 31) / 32 * 32, by = TPB / bx;
  size_t G = ((size_t)N + by - 1) / by;
  if (G > SUM_BLOCKS) G = SUM_BLOCKS;
  if (dbias && part && G > part_n / (size_t)OC) G = part_n / (size_t)OC;
  if (dbias && part && G >= 1) {
    const int R = (int)(((size_t)N + G - 1) / G);
    G = ((size_t)N + R - 1) / R; /* no block without rows */
    const dim3 grid((unsigned)G, (units + bx - 1) / bx), block(bx, by);
    if (wide)
      SFK_LAUNCH(k_gelu_backward16_sums<8>, grid, block)(dinp16, inp16, bias, dout16, part, units, N, R);
    else
      SFK_LAUNCH(k_gelu_backward16_sums<1>, grid, block)(dinp16, inp16, bias, dout16, part, units, N, R);
    LAUNCHED(k_gelu_backward16_sums);
    SFK_LAUNCH(k_colsum_parts, grid_for((size_t)OC), TPB)(dbias, part, (int)G, (unsigned)OC);
    LAUNCHED(k_colsum_parts);
    return SF_OK;
  }
  if (wide)
    SFK_LAUNCH(k_gelu_backward16<8>, grid_for(n / 8), TPB)(dinp16, inp16, bias, dout16, (unsigned)OC, n / 8);
  else
    SFK_LAUNCH(k_gelu_backward16<1>, grid_for(n), TPB)(dinp16, inp16, bias, dout16, (unsigned)OC, n);
  LAUNCHED(k_gelu_backward16);
  /* too little scratch for one row block's partials (fewer than 4 rows in the model): a GEMM sums */
  return dbias ? colsum_add16(x, dbias, dinp16, N, OC, OC) : SF_OK;
}

/* out = a + b, + bias[column] when bias is not NULL (b's layer's bias, added in this pass) */
__global__ void k_residual(float *out, const float *a, const float *b, const float *bias, unsigned OC, size_t n) {
  col_walk col(OC);
  GRID_STRIDE(i, n) {
    float y = b[i];
    if (bias) {
      y += bias[col.c]; /* (a + (b + bias)): the CPU's order, the bias added to the product first */
      col.next();
    }
    out[i] = a[i] + y;
  }
}

int sfk_residual_forward(float *out, const float *a, const float *b, const float *bias, int OC, size_t n) {
  if (!n) return SF_OK;
  if (OC < 1) return sf_fail(SF_EINTERNAL, "cuda: residual over rows of %d", OC);
  SFK_LAUNCH(k_residual, grid_for(n), TPB)(out, a, b, bias, (unsigned)OC, n);
  LAUNCHED(k_residual);
  return SF_OK;
}

/* out[n, o] += bias[o] over rows of OC (n elements in all) */
__global__ void k_add_bias(float *out, const float *bias, unsigned OC, size_t n) {
  col_walk col(OC);
  GRID_STRIDE(i, n) {
    out[i] += bias[col.c];
    col.next();
  }
}

/* ==================================== encoder ==================================== */

/* out[n, c] = wte[inp[n], c] + wpe[n % T, c] */
__global__ void k_encoder_forward(float *out, const int *inp, const float *wte, const float *wpe, int T, int C,
                                  size_t NC) {
  GRID_STRIDE(i, NC) {
    size_t n = i / (size_t)C, c = i % (size_t)C;
    out[i] = wte[(size_t)inp[n] * C + c] + wpe[(n % (size_t)T) * C + c];
  }
}

int sfk_encoder_forward(float *out, const int *inp, const float *wte, const float *wpe, int B, int T, int C) {
  size_t NC = (size_t)B * T * C;
  if (!NC) return SF_OK;
  SFK_LAUNCH(k_encoder_forward, grid_for(NC), TPB)(out, inp, wte, wpe, T, C, NC);
  LAUNCHED(k_encoder_forward);
  return SF_OK;
}

int sfk_encoder_buckets(const int *inp, int N, int V, int *count, int *uid, int *off, int *pos) {
  return sf_encoder_buckets(inp, N, V, count, uid, off, pos);
}

/* grid (maxu, ceil(C / TPB)): block u < *nu, thread column c sums the rows of token uid[u] in order */
__global__ void k_encoder_backward_wte(float *dwte, const float *dout, const int *nu, const int *uid, const int *off,
                                       const int *pos, int C) {
  int u = blockIdx.x, c = blockIdx.y * blockDim.x + threadIdx.x;
  if (u >= *nu || c >= C) return;
  float s = 0.0f;
  for (int k = off[u]; k < off[u + 1]; k++) s += dout[(size_t)pos[k] * C + c];
  dwte[(size_t)uid[u] * C + c] += s;
}

/* thread (t, c): dwpe[t, c] += sum over b of dout[b*T + t, c] */
__global__ void k_encoder_backward_wpe(float *dwpe, const float *dout, int B, int T, int C) {
  GRID_STRIDE(i, (size_t)T * C) {
    size_t t = i / (size_t)C, c = i % (size_t)C;
    float s = 0.0f;
    for (int b = 0; b < B; b++) s += dout[((size_t)b * T + t) * C + c];
    dwpe[i] += s;
  }
}

int sfk_encoder_backward(float *dwte, float *dwpe, const float *dout, const int *nu, const int *uid, const int *off,
                         const int *pos, int maxu, int B, int T, int C) {
  if (maxu > 0) {
    dim3 grid((unsigned)maxu, (unsigned)((C + TPB - 1) / TPB));
    SFK_LAUNCH(k_encoder_backward_wte, grid, TPB)(dwte, dout, nu, uid, off, pos, C);
    LAUNCHED(k_encoder_backward_wte);
  }
  SFK_LAUNCH(k_encoder_backward_wpe, grid_for((size_t)T * C), TPB)(dwpe, dout, B, T, C);
  LAUNCHED(k_encoder_backward_wpe);
  return SF_OK;
}

/* ==================================== layernorm ==================================== */

/* One warp per row n: mean, variance (two passes, as layers.c), out = (x - m) * s * w + b. */
__global__ void k_layernorm_forward(float *out, __nv_bfloat16 *out16, float *mean, float *rstd, const float *inp,
                                    const float *w, const float *b, int N, int C) {
  int n = blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (n >= N) return; /* whole warps leave together: n is the same for the 32 lanes */
  const float *x = inp + (size_t)n * C;
  float m = 0.0f;
  for (int c = lane; c < C; c += 32) m += x[c];
  m = warp_sum(m) / (float)C;
  float v = 0.0f;
  for (int c = lane; c < C; c += 32) v += (x[c] - m) * (x[c] - m);
  v = warp_sum(v);
  float s = 1.0f / sqrtf(v / (float)C + 1e-5f);
  for (int c = lane; c < C; c += 32) {
    float y = (x[c] - m) * s * w[c] + b[c];
    if (out) out[(size_t)n * C + c] = y;
    if (out16) out16[(size_t)n * C + c] = __float2bfloat16(y);
  }
  if (lane == 0) {
    mean[n] = m;
    rstd[n] = s;
  }
}

int sfk_layernorm_forward(float *out, __nv_bfloat16 *out16, float *mean, float *rstd, const float *inp,
                          const float *w, const float *b, int N, int C) {
  if (N <= 0) return SF_OK;
  if (!out && !out16) return sf_fail(SF_EINTERNAL, "cuda: layernorm with no output");
  SFK_LAUNCH(k_layernorm_forward, grid_rows((size_t)N), TPB)(out, out16, mean, rstd, inp, w, b, N, C);
  LAUNCHED(k_layernorm_forward);
  return SF_OK;
}

/* Rows of up to 32 LN_CPL_MAX columns are held in registers by the kernels below. */
enum { LN_CPL_MAX = 32 };
/* Runs F(k) for the smallest instantiated k >= cpl (columns a lane; cpl <= LN_CPL_MAX) */
#define LN_CPL_DISPATCH(cpl, F)                                                                      \
  do {                                                                                               \
    if ((cpl) <= 2) F(2);                                                                            \
    else if ((cpl) <= 4) F(4);                                                                       \
    else if ((cpl) <= 8) F(8);                                                                       \
    else if ((cpl) <= 16) F(16);                                                                     \
    else if ((cpl) <= 24) F(24);                                                                     \
    else F(32);                                                                                      \
  } while (0)

/* The residual sum and the LayerNorm that reads it, one warp per row with the row in registers
 * (C <= 32 CPL): res = a + (b + bias) (k_residual's order), written once and not read back, then
 * k_layernorm_forward's statistics and output in its order of operations: the two kernels' values
 * with 2 of their 7 row-sized memory accesses fewer. */
template <int CPL>
__global__ void __launch_bounds__(TPB)
    k_residual_layernorm(float *res, const float *a, const float *b, const float *bias, float *out,
                         __nv_bfloat16 *out16, float *mean, float *rstd, const float *w, const float *lb, int N,
                         int C) {
  int n = blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (n >= N) return;
  const size_t row = (size_t)n * C;
  float x[CPL], m = 0.0f;
  SFK_UNROLL
  for (int k = 0; k < CPL; k++) {
    int c = lane + 32 * k;
    x[k] = 0.0f;
    if (c < C) {
      float y = b[row + c];
      if (bias) y += bias[c];
      x[k] = a[row + c] + y;
      res[row + c] = x[k];
      m += x[k];
    }
  }
  m = warp_sum(m) / (float)C;
  float v = 0.0f;
  SFK_UNROLL
  for (int k = 0; k < CPL; k++)
    if (lane + 32 * k < C) v += (x[k] - m) * (x[k] - m);
  v = warp_sum(v);
  float s = 1.0f / sqrtf(v / (float)C + 1e-5f);
  SFK_UNROLL
  for (int k = 0; k < CPL; k++) {
    int c = lane + 32 * k;
    if (c < C) {
      float y = (x[k] - m) * s * w[c] + lb[c];
      if (out) out[row + c] = y;
      if (out16) out16[row + c] = __float2bfloat16(y);
    }
  }
  if (lane == 0) {
    mean[n] = m;
    rstd[n] = s;
  }
}

int sfk_residual_layernorm(float *res, const float *a, const float *b, const float *bias, float *out,
                           __nv_bfloat16 *out16, float *mean, float *rstd, const float *w, const float *lb, int N,
                           int C) {
  if (N <= 0) return SF_OK;
  if (!out && !out16) return sf_fail(SF_EINTERNAL, "cuda: layernorm with no output");
  const int cpl = (C + 31) / 32;
  if (cpl > LN_CPL_MAX) { /* wider rows: the two kernels */
    int rc = sfk_residual_forward(res, a, b, bias, C, (size_t)N * C);
    return rc ? rc : sfk_layernorm_forward(out, out16, mean, rstd, res, w, lb, N, C);
  }
#define RLN(k)                                                                                       \
  SFK_LAUNCH(k_residual_layernorm<k>, grid_rows((size_t)N), TPB)(res, a, b, bias, out, out16, mean, rstd, w, lb, N, C)
  LN_CPL_DISPATCH(cpl, RLN);
#undef RLN
  LAUNCHED(k_residual_layernorm);
  return SF_OK;
}

/* One warp per row: dinp[n] += (dn - mean(dn) - norm * mean(dn * norm)) * s with dn = w * dout;
 * tmp[n, c] = norm * dout, whose column sums (a GEMV) are dw's increments. For rows wider than
 * k_layernorm_backward_sums takes, or fewer than 3 rows. */
__global__ void k_layernorm_backward(float *dinp, __nv_bfloat16 *dinp16, float *tmp, const float *dout,
                                     const float *inp, const float *w, const float *mean, const float *rstd, int N,
                                     int C) {
  int n = blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (n >= N) return;
  const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
  float m = mean[n], s = rstd[n], dm = 0.0f, dnm = 0.0f;
  for (int c = lane; c < C; c += 32) {
    float norm = (x[c] - m) * s, dn = w[c] * d[c];
    dm += dn;
    dnm += dn * norm;
  }
  dm = warp_sum(dm) / (float)C;
  dnm = warp_sum(dnm) / (float)C;
  float *di = dinp + (size_t)n * C, *tm = tmp + (size_t)n * C;
  for (int c = lane; c < C; c += 32) {
    float norm = (x[c] - m) * s, dn = w[c] * d[c];
    tm[c] = norm * d[c];
    float v = di[c] + (dn - dm - norm * dnm) * s;
    di[c] = v;
    if (dinp16) dinp16[(size_t)n * C + c] = __float2bfloat16(v);
  }
}

/* The same with dw's and db's column sums taken in the pass (up to LN_CPL_MAX * 32 columns): no
 * per-row terms written and read back, no second read of dout. Block g of G takes rows
 * [g R, g R + R), a warp every WARPS_PER_BLOCK-th of them, each lane its columns lane + 32 k in
 * registers (the row's x and dout are read once); the block sums its warps in order into
 * part[g] = (dw's partial [C], db's [C], and with S the new dinp's [C]), and k_layernorm_parts
 * adds the G partials in order: deterministic, for a given N and C, on any GPU. S = 3 sums dinp's
 * columns too (the bias gradient of the product whose output joined the residual stream here),
 * S = 2 not. */
template <int CPL, int S>
__global__ void __launch_bounds__(TPB)
    k_layernorm_backward_sums(float *dinp, __nv_bfloat16 *dinp16, float *part, const float *dout, const float *inp,
                              const float *w, const float *mean, const float *rstd, int N, int C, int R) {
  __shared__ float sh[WARPS_PER_BLOCK][32];
  const int lane = threadIdx.x % 32, wp = threadIdx.x / 32;
  float adw[CPL], adb[CPL], ads[S == 3 ? CPL : 1];
  SFK_UNROLL
  for (int k = 0; k < CPL; k++) adw[k] = adb[k] = ads[S == 3 ? k : 0] = 0.0f;
  const int r0 = blockIdx.x * R, r1 = r0 + R < N ? r0 + R : N;
  for (int n = r0 + wp; n < r1; n += WARPS_PER_BLOCK) {
    const float *x = inp + (size_t)n * C, *d = dout + (size_t)n * C;
    const float m = mean[n], s = rstd[n];
    float xv[CPL], dv[CPL], dm = 0.0f, dnm = 0.0f;
    SFK_UNROLL
    for (int k = 0; k < CPL; k++) {
      int c = lane + 32 * k;
      xv[k] = c < C ? x[c] : 0.0f;
      dv[k] = c < C ? d[c] : 0.0f;
      float norm = (xv[k] - m) * s, dn = c < C ? w[c] * dv[k] : 0.0f;
      dm += dn;
      dnm += dn * norm;
    }
    dm = warp_sum(dm) / (float)C;
    dnm = warp_sum(dnm) / (float)C;
    float *di = dinp + (size_t)n * C;
    SFK_UNROLL
    for (int k = 0; k < CPL; k++) {
      int c = lane + 32 * k;
      if (c < C) {
        float norm = (xv[k] - m) * s, dn = w[c] * dv[k];
        adw[k] += norm * dv[k];
        adb[k] += dv[k];
        float v = di[c] + (dn - dm - norm * dnm) * s;
        di[c] = v;
        if (S == 3) ads[S == 3 ? k : 0] += v;
        if (dinp16) dinp16[(size_t)n * C + c] = __float2bfloat16(v);
      }
    }
  }
  float *pw = part + (size_t)blockIdx.x * S * C;
  SFK_UNROLL
  for (int k = 0; k < CPL; k++) {
    int c = lane + 32 * k;
    for (int which = 0; which < S; which++) {
      sh[wp][lane] = which == 0 ? adw[k] : which == 1 ? adb[k] : ads[S == 3 ? k : 0];
      __syncthreads();
      if (wp == 0 && c < C) {
        float t = 0.0f;
        for (int i = 0; i < WARPS_PER_BLOCK; i++) t += sh[i][lane];
        pw[(size_t)which * C + c] = t;
      }
      __syncthreads();
    }
  }
}

/* dw[c] += sum over g of part[g][c], db[c] += sum of part[g][C + c], and with S = 3
 * ds[c] += sum of part[g][2 C + c], g in order */
__global__ void k_layernorm_parts(float *dw, float *db, float *ds, const float *part, int G, int C, int S) {
  GRID_STRIDE(c, (size_t)S * C) {
    float t = 0.0f;
    for (int g = 0; g < G; g++) t += part[(size_t)g * S * C + c];
    if ((int)c < C) dw[c] += t;
    else if ((int)c < 2 * C) db[c - C] += t;
    else ds[c - 2 * C] += t;
  }
}

int sfk_layernorm_backward(sfk_ctx *x, float *dinp, __nv_bfloat16 *dinp16, float *dsum, float *dw, float *db,
                           float *tmp, const float *dout, const float *inp, const float *w, const float *mean,
                           const float *rstd, int N, int C) {
  if (N <= 0) return SF_OK;
  /* G blocks of R rows, G partials of S C floats in tmp: 3 G C <= N C from N = 3 rows on */
  const int G0 = (N + WARPS_PER_BLOCK - 1) / WARPS_PER_BLOCK < SUM_BLOCKS ? (N + WARPS_PER_BLOCK - 1) / WARPS_PER_BLOCK
                                                                          : SUM_BLOCKS;
  const int R = (N + G0 - 1) / G0, G = (N + R - 1) / R, cpl = (C + 31) / 32, S = dsum ? 3 : 2;
  if (N >= 3 && cpl <= LN_CPL_MAX) {
#define LNB(k)                                                                                                     \
  do {                                                                                                             \
    if (dsum) SFK_LAUNCH((k_layernorm_backward_sums<k, 3>), G, TPB)(dinp, dinp16, tmp, dout, inp, w, mean, rstd, N, C, R); \
    else SFK_LAUNCH((k_layernorm_backward_sums<k, 2>), G, TPB)(dinp, dinp16, tmp, dout, inp, w, mean, rstd, N, C, R);      \
  } while (0)
    LN_CPL_DISPATCH(cpl, LNB);
#undef LNB
    LAUNCHED(k_layernorm_backward_sums);
    SFK_LAUNCH(k_layernorm_parts, grid_for((size_t)S * C), TPB)(dw, db, dsum, tmp, G, C, S);
    LAUNCHED(k_layernorm_parts);
    return SF_OK;
  }
  SFK_LAUNCH(k_layernorm_backward, grid_rows((size_t)N), TPB)(dinp, dinp16, tmp, dout, inp, w, mean, rstd, N, C);
  LAUNCHED(k_layernorm_backward);
  int rc = colsum_add(x, dw, tmp, N, C, C);
  if (!rc) rc = colsum_add(x, db, dout, N, C, C);
  return rc || !dsum ? rc : colsum_add(x, dsum, dinp, N, C, C);
}

/* ==================================== cross-entropy ==================================== */

/* One block per row n of logits [N, V] (rows ld apart): losses[n] = log(sum) - (z_t - max) (exact where p
 * underflows, as layers.c), 0 where masked. Two passes over the row: the maximum and the sum of
 * exp(z - max) together (each thread keeps its own running pair, rescaled when its maximum grows,
 * then the block combines them), then the output:
 *   grad 0: the probabilities, in place;
 *   grad 1: the loss's gradient scale * (p - onehot(t)) (0 rows where masked), in place:
 *           cross-entropy's backward fused into its forward, so the probabilities are never written
 *           and read back (bf16 runs: k_crossentropy_fused16). */
__global__ void k_crossentropy_forward(float *p, float *losses, const int *targets, int V, int ld,
                                       const float *dscale) {
  __shared__ float sh[WARPS_PER_BLOCK];
  const int grad = dscale != NULL;
  const float scale = grad ? *dscale : 0.0f;
  size_t n = blockIdx.x;
  p += n * (size_t)ld;
  int t = targets[n];
  float m = -INFINITY, s = 0.0f;
  for (int v = threadIdx.x; v < V; v += blockDim.x) {
    float z = p[v];
    if (z > m) {
      s = s * expf(m - z) + 1.0f; /* expf(-inf) = 0 on the first element */
      m = z;
    } else {
      s += expf(z - m);
    }
  }
  float mx = block_max(m, sh);
  float sum = block_sum(m == -INFINITY ? 0.0f : s * expf(m - mx), sh);
  float zt = t >= 0 ? p[t] - mx : 0.0f; /* read by every thread before the barrier below */
  __syncthreads();
  float inv = 1.0f / sum;
  for (int v = threadIdx.x; v < V; v += blockDim.x) {
    float q = expf(p[v] - mx) * inv;
    if (grad) {
      float d = 0.0f;
      if (t >= 0) {
        d = scale * q;
        if (v == t) d -= scale;
      }
      p[v] = d;
    } else {
      p[v] = q;
    }
  }
  if (threadIdx.x == 0) losses[n] = t >= 0 ? logf(sum) - zt : 0.0f;
}

int sfk_crossentropy_forward(float *probs, float *losses, const int *targets, int N, int V, int ld) {
  if (N <= 0) return SF_OK;
  SFK_LAUNCH(k_crossentropy_forward, (unsigned)N, TPB)(probs, losses, targets, V, ld, (const float *)NULL);
  LAUNCHED(k_crossentropy_forward);
  return SF_OK;
}

int sfk_crossentropy_fused(float *logits, float *losses, const int *targets, const float *scale, int N, int V,
                           int ld) {
  if (N <= 0) return SF_OK;
  if (!scale) return sf_fail(SF_EINTERNAL, "cuda: cross-entropy's gradient without its scale");
  SFK_LAUNCH(k_crossentropy_forward, (unsigned)N, TPB)(logits, losses, targets, V, ld, scale);
  LAUNCHED(k_crossentropy_forward);
  return SF_OK;
}

/* The fused forward and backward on bf16 logits (the training forward in bf16: the head's product
 * writes its logits in bf16, half the bytes of fp32 both ways), in place: z16 [N, ld] in, the
 * gradient out, padding columns zeroed. A block per row, of up to CE16_THREADS: at GPT-2's
 * vocabulary 2 rows an SM, whose 2 x 100 KB stay in the L2 cache between the two passes (blocks of
 * 256 would keep 8 rows an SM, more than L2 holds across 132 SMs); a small vocabulary gets a block
 * of as many warps as its row needs (one for up to 256 columns), not 32 mostly idle ones. The rows
 * start 16-byte aligned (ld a multiple of 64, sf_vocab_ld), so each thread reads 8 values at a
 * time. */
enum { CE16_THREADS = 1024, CE16_WARPS = CE16_THREADS / 32 };
__global__ void __launch_bounds__(CE16_THREADS)
    k_crossentropy_fused16(__nv_bfloat16 *z16, float *losses, const int *targets, int V, int ld, const float *dscale) {
  __shared__ float sh[CE16_WARPS];
  const float scale = *dscale;
  const size_t n = blockIdx.x;
  z16 += n * (size_t)ld;
  const int t = targets[n], lane = threadIdx.x % 32, w = threadIdx.x / 32, nw = blockDim.x / 32;
  const int stride = blockDim.x * 8;
  float m = -INFINITY, s = 0.0f;
  for (int v0 = threadIdx.x * 8; v0 < V; v0 += stride) {
    bf16_vec<8> u = *(const bf16_vec<8> *)(z16 + v0);
    for (int k = 0; k < 8 && v0 + k < V; k++) {
      float z = __bfloat162float(u.v[k]);
      if (z > m) {
        s = s * expf(m - z) + 1.0f; /* expf(-inf) = 0 on the first element */
        m = z;
      } else {
        s += expf(z - m);
      }
    }
  }
  /* the block's maximum, then its sum, each in a fixed order (deterministic) */
  float mx = warp_max(m);
  if (lane == 0) sh[w] = mx;
  __syncthreads();
  mx = -INFINITY;
  for (int i = 0; i < nw; i++) mx = fmaxf(mx, sh[i]);
  __syncthreads();
  float sum = warp_sum(m == -INFINITY ? 0.0f : s * expf(m - mx));
  if (lane == 0) sh[w] = sum;
  __syncthreads();
  sum = 0.0f;
  for (int i = 0; i < nw; i++) sum += sh[i];
  const float zt = t >= 0 ? __bfloat162float(z16[t]) - mx : 0.0f; /* read before the row is overwritten */
  __syncthreads();
  const float inv = 1.0f / sum;
  for (int v0 = threadIdx.x * 8; v0 < ld; v0 += stride) {
    bf16_vec<8> u = *(const bf16_vec<8> *)(z16 + v0);
    for (int k = 0; k < 8; k++) {
      int v = v0 + k;
      float d = 0.0f;
      if (v < V && t >= 0) {
        d = scale * (expf(__bfloat162float(u.v[k]) - mx) * inv);
        if (v == t) d -= scale;
      }
      u.v[k] = __float2bfloat16(d);
    }
    *(bf16_vec<8> *)(z16 + v0) = u;
  }
  if (threadIdx.x == 0) losses[n] = t >= 0 ? logf(sum) - zt : 0.0f;
}

int sfk_crossentropy_fused16(__nv_bfloat16 *z16, float *losses, const int *targets, const float *scale, int N, int V,
                             int ld) {
  if (N <= 0) return SF_OK;
  if (!scale) return sf_fail(SF_EINTERNAL, "cuda: cross-entropy's gradient without its scale");
  if (ld % 8 || ld < V || (uintptr_t)z16 % 16)
    return sf_fail(SF_EINTERNAL, "cuda: bf16 logits in rows of %d for a vocabulary of %d", ld, V);
  /* whole warps covering the row 8 values a thread, at most CE16_THREADS: fixed by ld alone */
  unsigned threads = (unsigned)((ld / 8 + 31) / 32 * 32);
  if (threads > CE16_THREADS) threads = CE16_THREADS;
  SFK_LAUNCH(k_crossentropy_fused16, (unsigned)N, threads)(z16, losses, targets, V, ld, scale);
  LAUNCHED(k_crossentropy_fused16);
  return SF_OK;
}

/* dlogits = scale * p - scale * onehot(target), 0 rows where masked; in place over probs allowed;
 * into dlogits (fp32) and/or dlogits16 (bf16), whichever is not NULL; rows ld apart in all three;
 * the bf16 rows' padding gets zeros (as the fused kernel's) */
__global__ void k_crossentropy_backward(float *dlogits, __nv_bfloat16 *dlogits16, const float *probs,
                                        const int *targets, float scale, size_t NL, int V, int ld) {
  GRID_STRIDE(at, NL) {
    size_t n = at / (size_t)ld;
    int v = (int)(at % (size_t)ld), t = targets[n];
    if (v >= V) {
      if (dlogits16) dlogits16[at] = __float2bfloat16(0.0f);
      continue;
    }
    float d = 0.0f;
    if (t >= 0) {
      d = scale * probs[at];
      if (v == t) d -= scale;
    }
    if (dlogits) dlogits[at] = d;
    if (dlogits16) dlogits16[at] = __float2bfloat16(d);
  }
}

int sfk_crossentropy_backward(float *dlogits, __nv_bfloat16 *dlogits16, const float *probs, const int *targets,
                              float scale, int N, int V, int ld) {
  size_t NL = (size_t)N * ld;
  if (!NL || V < 1) return SF_OK;
  SFK_LAUNCH(k_crossentropy_backward, grid_for(NL), TPB)(dlogits, dlogits16, probs, targets, scale, NL, V, ld);
  LAUNCHED(k_crossentropy_backward);
  return SF_OK;
}

/* ==================================== optimiser ==================================== */

/* train.c's AdamW, element by element (fp32, same expression order), and the bf16 copy of the new
 * weight. Each element finds its tensor (for the decay) by walking the boundaries: a thread's
 * grid-stride loop only goes forward, so each thread walks them at most once in all. */
__global__ void k_adamw(float *p, __nv_bfloat16 *p16, const float *g, float *m, float *v, sfk_adamw_layout t,
                        const sfk_scalars *s) {
  const float b1 = 0.9f, b2 = 0.95f, eps = 1e-8f;
  const float lr = s->lr, c1 = s->c1, c2 = s->c2, wd = s->wd, gscale = s->gscale;
  if (isnan(gscale)) return; /* sfk_clip: the gradient is not finite; the host reports it */
  int k = 0;
  GRID_STRIDE(i, t.off[t.n]) {
    while (i >= t.off[k + 1]) k++; /* i < off[n]: stops at k < n */
    float wdk = (t.decay >> k) & 1u ? wd : 0.0f;
    float gi = g[i] * gscale;
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * ((mi * c1) / (sqrtf(vi * c2) + eps) + wdk * p[i]);
    if (p16) p16[i] = __float2bfloat16(p[i]); /* round to nearest even, as sfk_to_bf16 */
  }
}

int sfk_adamw_all(float *p, __nv_bfloat16 *p16, const float *g, float *m, float *v, const sfk_adamw_layout *t,
                  const sfk_scalars *s) {
  if (t->n < 1 || t->n > SFK_ADAMW_TENSORS || t->off[0] != 0)
    return sf_fail(SF_EINTERNAL, "cuda: adamw over %d tensors from element %zu", t->n, t->n >= 1 ? t->off[0] : 0);
  for (int k = 0; k < t->n; k++)
    if (t->off[k + 1] < t->off[k])
      return sf_fail(SF_EINTERNAL, "cuda: adamw tensor %d ends (%zu) before it starts (%zu)", k, t->off[k + 1],
                     t->off[k]);
  size_t n = t->off[t->n];
  if (!n) return SF_OK;
  SFK_LAUNCH(k_adamw, grid_for(n), TPB)(p, p16, g, m, v, *t, s);
  LAUNCHED(k_adamw);
  return SF_OK;
}

/* SFK_NORM_BLOCKS blocks, each a fixed strided share of x: part[block] = its sum of squares in
 * double (tree in shared memory, fixed order). The host adds the partials in block order. */
__global__ void k_sumsq(double *part, const float *x, size_t n) {
  __shared__ double sh[TPB];
  double s = 0.0;
  GRID_STRIDE(i, n) s += (double)x[i] * (double)x[i];
  sh[threadIdx.x] = s;
  __syncthreads();
  for (int w = TPB / 2; w > 0; w >>= 1) {
    if ((int)threadIdx.x < w) sh[threadIdx.x] += sh[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) part[blockIdx.x] = sh[0];
}

int sfk_sumsq_partials(double *part, const float *x, size_t n) {
  SFK_LAUNCH(k_sumsq, SFK_NORM_BLOCKS, TPB)(part, x, n);
  LAUNCHED(k_sumsq);
  return SF_OK;
}

/* One thread: the host's sum of the partials (block order, double), its square root, and
 * train.c's clipping factor from it (the same expression, so the same bits). */
__global__ void k_clip(sfk_scalars *s, const double *part) {
  double sum = 0.0;
  for (int i = 0; i < SFK_NORM_BLOCKS; i++) sum += part[i];
  double norm = sqrt(sum);
  s->norm = norm;
  s->gscale = !isfinite(norm) ? NAN : norm > s->clip ? (float)(s->clip / norm) : 1.0f;
}

int sfk_clip(sfk_scalars *s, const double *part) {
  SFK_LAUNCH(k_clip, 1, 1)(s, part);
  LAUNCHED(k_clip);
  return SF_OK;
}

/* ==================================== products ==================================== */

/* One GEMM in the context's precision, as planned (plan.h says what each plan computes and why its
 * column-major arguments are right; the tests replay every plan on the CPU).
 * fp32: IEEE fp32 (CUBLAS_COMPUTE_32F). tf32: the same fp32 operands on TF32 tensor cores
 * (CUBLAS_COMPUTE_32F_FAST_TF32). bf16: A and B are converted into the context's a16 / b16 unless
 * the caller passes them converted (A16 / B16: the weights' bf16 copy, or an operand converted
 * once for two products); the product accumulates in fp32 and Cm is fp32, or bf16 with c16 (bf16
 * only: the result rounded once, by cuBLAS, for a consumer that reads bf16). */
static int gemm_to(sfk_ctx *x, sf_gemm_plan p, const float *A, const __nv_bfloat16 *A16, const float *Bm,
                   const __nv_bfloat16 *B16, void *Cm, int c16) {
  if (c16 && x->prec != SF_PREC_BF16) return sf_fail(SF_EINTERNAL, "cuda: a bf16 product output outside bf16");
  const void *a = A, *b = Bm;
  cudaDataType_t ta = CUDA_R_32F, tb = CUDA_R_32F;
  cublasComputeType_t ct = x->prec == SF_PREC_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  if (x->prec == SF_PREC_BF16) {
    if (!A16) {
      if (p.nA > x->n16) return sf_fail(SF_EINTERNAL, "cuda: bf16 operand of %zu values, staging holds %zu", p.nA, x->n16);
      int rc = sfk_to_bf16(x->a16, A, p.nA);
      if (rc) return rc;
      A16 = x->a16;
    }
    if (!B16) {
      if (p.nB > x->n16) return sf_fail(SF_EINTERNAL, "cuda: bf16 operand of %zu values, staging holds %zu", p.nB, x->n16);
      int rc = sfk_to_bf16(x->b16, Bm, p.nB);
      if (rc) return rc;
      B16 = x->b16;
    }
    a = A16;
    b = B16;
    ta = tb = CUDA_R_16BF;
  }
  cublasOperation_t oa = p.transA ? CUBLAS_OP_T : CUBLAS_OP_N, ob = p.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  cudaDataType_t tc = c16 ? CUDA_R_16BF : CUDA_R_32F;
  if (p.batch == 1)
    CB(cb.gemmex(x->h, oa, ob, p.m, p.n, p.k, &p.alpha, a, ta, p.lda, b, tb, p.ldb, &p.beta, Cm, tc, p.ldc, ct,
                 CUBLAS_GEMM_DEFAULT));
  else
    CB(cb.gemmsbex(x->h, oa, ob, p.m, p.n, p.k, &p.alpha, a, ta, p.lda, p.sA, b, tb, p.ldb, p.sB, &p.beta, Cm, tc,
                   p.ldc, p.sC, p.batch, ct, CUBLAS_GEMM_DEFAULT));
  return SF_OK;
}

static int gemm(sfk_ctx *x, sf_gemm_plan p, const float *A, const __nv_bfloat16 *A16, const float *Bm,
                const __nv_bfloat16 *B16, float *Cm) {
  return gemm_to(x, p, A, A16, Bm, B16, Cm, 0);
}

/* out[N, OC] (rows ldo apart) = inp[N, C] . w[OC, C]^T (+ bias): sf_plan_linear_forward, then the
 * bias row added. */
int sfk_matmul_forward(sfk_ctx *x, float *out, const float *inp, const __nv_bfloat16 *inp16, const float *w,
                       const __nv_bfloat16 *w16, const float *bias, int N, int C, int OC, int ldo) {
  if (N <= 0) return SF_OK;
  int rc = gemm(x, sf_plan_linear_forward(N, C, OC, ldo), w, w16, inp, inp16, out);
  if (rc || !bias) return rc;
  if (ldo != OC) return sf_fail(SF_EINTERNAL, "cuda: a bias over rows of %d padded to %d", OC, ldo);
  size_t n = (size_t)N * OC;
  SFK_LAUNCH(k_add_bias, grid_for(n), TPB)(out, bias, (unsigned)OC, n);
  LAUNCHED(k_add_bias);
  return SF_OK;
}

int sfk_matmul_forward16(sfk_ctx *x, __nv_bfloat16 *out16, const __nv_bfloat16 *inp16, const __nv_bfloat16 *w16,
                         int N, int C, int OC, int ldo) {
  if (N <= 0) return SF_OK;
  if (!inp16 || !w16) return sf_fail(SF_EINTERNAL, "cuda: a bf16 product without its bf16 operands");
  return gemm_to(x, sf_plan_linear_forward(N, C, OC, ldo), NULL, w16, NULL, inp16, out16, 1);
}

/* dinp[N, C] = dout . w (sf_plan_linear_dinp); dw[OC, C] += dout^T . inp (sf_plan_linear_dw);
 * dbias[OC] += column sums of dout (GEMV with ones). In bf16, dout is converted once, into b16,
 * unless given converted (it is operand B of both products; operand A, w unless its copy w16 is
 * given, then inp unless inp16 is, goes to a16). */
int sfk_matmul_backward(sfk_ctx *x, float *dinp, __nv_bfloat16 *dinp16, float *dw, float *dbias, const float *dout,
                        const __nv_bfloat16 *dout16, const float *inp, const __nv_bfloat16 *inp16, const float *w,
                        const __nv_bfloat16 *w16, int N, int C, int OC, int ldo) {
  if (N <= 0) return SF_OK;
  int rc = SF_OK;
  size_t ndout = (size_t)N * ldo;
  if (x->prec != SF_PREC_BF16) dout16 = inp16 = NULL;
  if (!dout && !dout16) return sf_fail(SF_EINTERNAL, "cuda: a product's backward without its output gradient");
  if (x->prec == SF_PREC_BF16 && !dout16) {
    if (ndout > x->n16) return sf_fail(SF_EINTERNAL, "cuda: bf16 operand of %zu values, staging holds %zu", ndout, x->n16);
    if ((rc = sfk_to_bf16(x->b16, dout, ndout))) return rc;
    dout16 = x->b16;
  }
  if (dinp && (rc = gemm(x, sf_plan_linear_dinp(N, C, OC, ldo), w, w16, dout, dout16, dinp))) return rc;
  if (!dinp && dinp16 && (rc = gemm_to(x, sf_plan_linear_dinp(N, C, OC, ldo), w, w16, dout, dout16, dinp16, 1)))
    return rc;
  if ((rc = gemm(x, sf_plan_linear_dw(N, C, OC, ldo), inp, inp16, dout, dout16, dw))) return rc;
  if (!dbias) return SF_OK;
  return dout ? colsum_add(x, dbias, dout, N, OC, ldo) : colsum_add16(x, dbias, dout16, N, OC, ldo);
}

/* The language-model head's backward in bf16 over the padded vocabulary Vp (model.cu): w16 has Vp
 * readable rows (those past V finite), dout16 [N, Vp] zeros past V. dinp = dout . w (exact: the
 * padding adds 0 * finite terms); dw's Vp rows go to scratch [Vp, C], whose first V rows are then
 * added to dw [V, C] (dw has no room for the padding rows). */
int sfk_lmhead_backward16(sfk_ctx *x, float *dinp, float *dw, float *scratch, const __nv_bfloat16 *dout16,
                          const __nv_bfloat16 *inp16, const __nv_bfloat16 *w16, int N, int C, int V, int Vp) {
  if (N <= 0) return SF_OK;
  if (x->prec != SF_PREC_BF16 || !dout16 || !inp16 || !w16 || Vp < V)
    return sf_fail(SF_EINTERNAL, "cuda: the head's bf16 backward needs bf16 operands and Vp >= V");
  int rc = gemm(x, sf_plan_linear_dinp(N, C, Vp, Vp), NULL, w16, NULL, dout16, dinp);
  sf_gemm_plan p = sf_plan_linear_dw(N, C, Vp, Vp);
  p.beta = 0.0f; /* scratch is overwritten */
  if (!rc) rc = gemm(x, p, NULL, inp16, NULL, dout16, scratch);
  /* dw += the first V rows (dw = dw + scratch: the element-wise sum, in place) */
  return rc ? rc : sfk_residual_forward(dw, dw, scratch, NULL, 1, (size_t)V * C);
}

/* ==================================== attention ==================================== */

/* qkv [N, 3C] <-> qkvh [3][B][NH][T][hs]: element i = (which, b, h, t, d) of the head-major copy is
 * row b*T + t, column which*C + h*hs + d of qkv (sf_head_to_row). inverse = 0: qkv -> qkvh;
 * 1: qkvh -> qkv (the gradient: dqkvh -> dqkv). */
__global__ void k_split_heads(float *qkvh, float *qkv, int B, int T, int C, int NH, int inverse) {
  size_t NC = (size_t)B * T * C;
  GRID_STRIDE(i, 3 * NC) {
    size_t which = i / NC, src = sf_head_to_row(i % NC, B, T, C, NH, 3 * C, (int)which * C);
    if (inverse) qkv[src] = qkvh[i];
    else qkvh[i] = qkv[src];
  }
}

/* yh [B][NH][T][hs] <-> y [N, C]: element (b, h, t, d) is row b*T + t, column h*hs + d.
 * to_rows = 1: yh -> y (the attention output); 0: y -> yh (its gradient on the way back). */
__global__ void k_merge_heads(float *y, float *yh, int B, int T, int C, int NH, int to_rows) {
  size_t NC = (size_t)B * T * C;
  GRID_STRIDE(i, NC) {
    size_t dst = sf_head_to_row(i, B, T, C, NH, C, 0);
    if (to_rows) y[dst] = yh[i];
    else yh[i] = y[dst];
  }
}

/* One warp per row r of att [B*NH*T, T] (query t = r % T): the scaled scores S (already scaled by
 * the GEMM) become the causal softmax over keys j <= t, and 0 above the diagonal. */
__global__ void k_softmax_causal_forward(float *att, size_t rows, int T) {
  size_t r = (size_t)blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (r >= rows) return;
  int t = (int)(r % (size_t)T);
  float *s = att + r * (size_t)T;
  float mx = -INFINITY;
  for (int j = lane; j <= t; j += 32) mx = fmaxf(mx, s[j]);
  mx = warp_max(mx);
  float sum = 0.0f;
  for (int j = lane; j <= t; j += 32) sum += expf(s[j] - mx);
  sum = warp_sum(sum);
  float inv = 1.0f / sum;
  for (int j = lane; j < T; j += 32) s[j] = j <= t ? expf(s[j] - mx) * inv : 0.0f;
}

/* One warp per row: dS[j] = P[j] * (dP[j] - sum_k P[k] dP[k]) for j <= t, else 0 (in place on dP). */
__global__ void k_softmax_causal_backward(float *dp, const float *att, size_t rows, int T) {
  size_t r = (size_t)blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32;
  int lane = threadIdx.x % 32;
  if (r >= rows) return;
  int t = (int)(r % (size_t)T);
  const float *p = att + r * (size_t)T;
  float *d = dp + r * (size_t)T;
  float dot = 0.0f;
  for (int j = lane; j <= t; j += 32) dot += p[j] * d[j];
  dot = warp_sum(dot);
  for (int j = lane; j < T; j += 32) d[j] = j <= t ? p[j] * (d[j] - dot) : 0.0f;
}

/* Per head: S = scale Q K^T (sf_plan_att_scores, A = K, B = Q); P = causal softmax(S) in place;
 * Y = P V (sf_plan_att_pv, A = V, B = P); then Y's heads back into rows. */
int sfk_attention_forward(sfk_ctx *x, float *out, float *att, float *qkvh, float *yh, const float *qkv, int B, int T,
                          int C, int NH) {
  if (B <= 0) return SF_OK;
  size_t NC = (size_t)B * T * C;
  const float *q = qkvh, *k = qkvh + NC, *v = qkvh + 2 * NC;
  float scale = 1.0f / sqrtf((float)(C / NH));
  SFK_LAUNCH(k_split_heads, grid_for(3 * NC), TPB)(qkvh, (float *)qkv, B, T, C, NH, 0);
  LAUNCHED(k_split_heads);
  int rc = gemm(x, sf_plan_att_scores(B, T, C, NH, scale), k, NULL, q, NULL, att);
  if (rc) return rc;
  size_t rows = (size_t)B * NH * T;
  SFK_LAUNCH(k_softmax_causal_forward, grid_rows(rows), TPB)(att, rows, T);
  LAUNCHED(k_softmax_causal_forward);
  if ((rc = gemm(x, sf_plan_att_pv(B, T, C, NH, 1.0f), v, NULL, att, NULL, yh))) return rc;
  SFK_LAUNCH(k_merge_heads, grid_for(NC), TPB)(out, yh, B, T, C, NH, 1);
  LAUNCHED(k_merge_heads);
  return SF_OK;
}

/* Per head, from dY (dout's heads):
 *   dP = dY V^T        sf_plan_att_scores (scale 1), A = V, B = dY
 *   dV = P^T dY        sf_plan_att_pt (scale 1),     A = dY, B = P
 *   dS = softmax backward of dP (in place)
 *   dQ = scale dS K    sf_plan_att_pv (scale),       A = K, B = dS
 *   dK = scale dS^T Q  sf_plan_att_pt (scale),       A = Q, B = dS
 * then dqkvh back into dqkv's rows. */
int sfk_attention_backward(sfk_ctx *x, float *dqkv, const float *dout, const float *qkvh, const float *att, float *dyh,
                           float *dqkvh, float *dpre, int B, int T, int C, int NH) {
  if (B <= 0) return SF_OK;
  size_t NC = (size_t)B * T * C;
  const float *q = qkvh, *k = qkvh + NC, *v = qkvh + 2 * NC;
  float *dq = dqkvh, *dk = dqkvh + NC, *dv = dqkvh + 2 * NC;
  float scale = 1.0f / sqrtf((float)(C / NH));
  SFK_LAUNCH(k_merge_heads, grid_for(NC), TPB)((float *)dout, dyh, B, T, C, NH, 0);
  LAUNCHED(k_merge_heads);
  int rc;
  if ((rc = gemm(x, sf_plan_att_scores(B, T, C, NH, 1.0f), v, NULL, dyh, NULL, dpre))) return rc;
  if ((rc = gemm(x, sf_plan_att_pt(B, T, C, NH, 1.0f), dyh, NULL, att, NULL, dv))) return rc;
  size_t rows = (size_t)B * NH * T;
  SFK_LAUNCH(k_softmax_causal_backward, grid_rows(rows), TPB)(dpre, att, rows, T);
  LAUNCHED(k_softmax_causal_backward);
  if ((rc = gemm(x, sf_plan_att_pv(B, T, C, NH, scale), k, NULL, dpre, NULL, dq))) return rc;
  if ((rc = gemm(x, sf_plan_att_pt(B, T, C, NH, scale), q, NULL, dpre, NULL, dk))) return rc;
  SFK_LAUNCH(k_split_heads, grid_for(3 * NC), TPB)(dqkvh, dqkv, B, T, C, NH, 1);
  LAUNCHED(k_split_heads);
  return SF_OK;
}
