/* cublas.cpp (tests/cudaemu): the emulator's libcublas.so.13, the functions the trainer opens
 * with dlopen (src/train/cuda/kernels.cu, sfk_cublas_load), with cuBLAS's signatures and
 * column-major semantics, on the emulated device's memory (host memory).
 *
 * Arguments are validated as cuBLAS documents (m, n, k >= 0, leading dimensions at least the rows
 * of the operand as stored, supported type combinations): a wrong one is CUBLAS_STATUS_INVALID_VALUE
 * (or _NOT_SUPPORTED), as on the GPU. Beyond cuBLAS, every operand's extent over the whole batch
 * must lie inside one cudaMalloc allocation (the runtime's sf_cudaemu_check_range, found with
 * dlsym in the executable) and C must not overlap A or B; otherwise a message on stderr and
 * CUBLAS_STATUS_EXECUTION_FAILED, where the GPU would read or write out of bounds.
 *
 * Numerics: fp32 products in fp32 with a fixed summation order (k ascending; cuBLAS's order
 * differs, so results agree to rounding, not to the bit); CUBLAS_COMPUTE_32F_FAST_TF32 rounds each
 * fp32 input to TF32 (10 mantissa bits, to nearest, ties away from zero as cvt.rna.tf32.f32) first;
 * bf16 inputs are used as stored; accumulation in fp32. beta == 0 does not read C (NaN there stays
 * out of the result), as cuBLAS.
 *
 * Streams: a call on the handle's stream (cublasSetStream) while that stream captures is checked
 * now and recorded (the runtime's sf_cudaemu_capture), with alpha and beta read now, as cuBLAS
 * reads host scalars at the call; it runs at each replay of the graph. Workspace: a call captured
 * while the handle has no workspace of its own (cublasSetWorkspace; cublasSetStream resets it to
 * the library's pool, as cuBLAS documents) is refused, CUBLAS_STATUS_NOT_SUPPORTED, and the capture
 * invalidated: stricter than cuBLAS, which would take memory from its pool inside the capture (a new
 * workspace per captured graph); the trainer's contract (model.cu) is its own workspace, set after
 * the stream.
 */
#include "cublas_v2.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#define SF_EMU_EXPORT extern "C" __attribute__((visibility("default")))

struct cublasContext {
  unsigned magic;
  cublasMath_t math;
  cudaStream_t stream;
  int own_ws; /* cublasSetWorkspace gave one (of any size, 0 too: none used) since the last
               * cublasSetStream; 0: the library's pool */
};
enum { MAGIC = 0x5cf1b1a5u };

typedef int (*range_fn)(const void *, size_t, char *, size_t);
static range_fn range_check; /* the runtime's, when the executable exports it */
typedef int (*capture_fn)(const char *, cudaStream_t, void (*)(void *), void *, void (*)(void *));
static capture_fn capture; /* the runtime's sf_cudaemu_capture, likewise */
typedef int (*capturing_fn)(cudaStream_t);
static capturing_fn capturing; /* the runtime's sf_cudaemu_capturing */
typedef void (*invalidate_fn)(void);
static invalidate_fn invalidate; /* the runtime's sf_cudaemu_capture_invalidate */

/* Runs c (a heap copy of a call, which this takes) now, or records it when the handle's stream
 * captures: CUBLAS_STATUS_EXECUTION_FAILED when the runtime refuses the stream. */
template <class Call> static cublasStatus_t submit(const char *what, cublasHandle_t h, Call *c) {
  if (!h->own_ws && capturing && capturing(h->stream)) {
    fprintf(stderr, "cudaemu: %s captured without a workspace of the handle's own (cublasSetWorkspace, after "
            "cublasSetStream, which resets it): cuBLAS would allocate inside the capture (the capture is "
            "invalidated)\n", what);
    if (invalidate) invalidate();
    delete c;
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  int mode = capture ? capture(what, h->stream, &Call::run, c, &Call::destroy) : 0;
  if (mode == 1) return CUBLAS_STATUS_SUCCESS;
  if (mode == 0) Call::run(c);
  delete c;
  return mode == 0 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

static int valid(cublasHandle_t h) { return h && h->magic == MAGIC; }

SF_EMU_EXPORT cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  cublasContext *c = (cublasContext *)malloc(sizeof *c);
  if (!c) return CUBLAS_STATUS_ALLOC_FAILED;
  c->magic = MAGIC;
  c->math = CUBLAS_DEFAULT_MATH;
  c->stream = NULL;
  c->own_ws = 0;
  if (!capturing) capturing = (capturing_fn)dlsym(RTLD_DEFAULT, "sf_cudaemu_capturing");
  if (!invalidate) invalidate = (invalidate_fn)dlsym(RTLD_DEFAULT, "sf_cudaemu_capture_invalidate");
  if (!range_check) range_check = (range_fn)dlsym(RTLD_DEFAULT, "sf_cudaemu_check_range");
  if (!capture) capture = (capture_fn)dlsym(RTLD_DEFAULT, "sf_cudaemu_capture");
  *handle = c;
  return CUBLAS_STATUS_SUCCESS;
}

SF_EMU_EXPORT cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->magic = 0;
  free(handle);
  return CUBLAS_STATUS_SUCCESS;
}

SF_EMU_EXPORT cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  unsigned m = (unsigned)mode & ~16u; /* CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION */
  if (m > 3) return CUBLAS_STATUS_INVALID_VALUE;
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

SF_EMU_EXPORT cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  handle->own_ws = 0; /* as cuBLAS: a new stream drops the workspace set before it (back to the pool) */
  return CUBLAS_STATUS_SUCCESS;
}

SF_EMU_EXPORT cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t bytes) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (bytes && (!workspace || (uintptr_t)workspace % 256)) return CUBLAS_STATUS_INVALID_VALUE;
  char why[160];
  if (bytes && range_check && !range_check(workspace, bytes, why, sizeof why)) {
    fprintf(stderr, "cudaemu: cublasSetWorkspace: the workspace's %zu bytes are %s\n", bytes, why);
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  handle->own_ws = 1;
  return CUBLAS_STATUS_SUCCESS;
}

SF_EMU_EXPORT const char *cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
  case CUBLAS_STATUS_SUCCESS: return "the operation completed successfully";
  case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
  case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
  case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
  case CUBLAS_STATUS_ARCH_MISMATCH: return "an absent device architectural feature is required";
  case CUBLAS_STATUS_MAPPING_ERROR: return "an access to GPU memory space failed";
  case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
  case CUBLAS_STATUS_INTERNAL_ERROR: return "an internal operation failed";
  case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
  case CUBLAS_STATUS_LICENSE_ERROR: return "an error was detected when checking the current licensing";
  }
  return "unknown error";
}

/* ---- checks ---- */

/* One operand of rows x cols (as stored, column-major, leading dimension ld) at base, esz bytes an
 * element, batch matrices stride elements apart: each inside one allocation. */
static int extent_ok(const char *call, const char *what, const void *base, size_t esz, long long rows,
                     long long cols, long long ld, long long stride, int batch) {
  if (rows <= 0 || cols <= 0 || !range_check) return 1;
  size_t bytes = (size_t)((cols - 1) * ld + rows) * esz;
  for (int b = 0; b < batch; b++) {
    const char *p = (const char *)base + (long long)b * stride * (long long)esz;
    char why[160];
    if (!range_check(p, bytes, why, sizeof why)) {
      fprintf(stderr,
              "cudaemu: %s: operand %s (%lld x %lld, ld %lld, stride %lld) of batch %d of %d: its %zu bytes are %s\n",
              call, what, rows, cols, ld, stride, b, batch, bytes, why);
      return 0;
    }
    if (!stride) break;
  }
  return 1;
}

/* [first byte, last byte + 1) of an operand over the batch */
static void span(const void *base, size_t esz, long long rows, long long cols, long long ld, long long stride,
                 int batch, const char **lo, const char **hi) {
  long long first = 0, last = (cols - 1) * ld + rows; /* elements */
  if (batch > 1) {
    if (stride < 0) first += (batch - 1) * stride;
    else last += (batch - 1) * stride;
  }
  *lo = (const char *)base + first * (long long)esz;
  *hi = (const char *)base + last * (long long)esz;
}

static float tf32(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u) return x; /* infinity, NaN */
  u = (u + 0x1000u) & ~0x1fffu;                   /* 13 bits dropped, to nearest, ties away */
  memcpy(&x, &u, sizeof x);
  return x;
}

static float load(const void *p, cudaDataType t, long long i, int round_tf32) {
  if (t == CUDA_R_16BF) {
    uint32_t u = (uint32_t)((const uint16_t *)p)[i] << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
  }
  float f = ((const float *)p)[i];
  return round_tf32 ? tf32(f) : f;
}

/* fp32 to bf16, to nearest even (NaN kept a NaN), as cuBLAS rounds a bf16 output */
static uint16_t to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* C (ld ldc) = al * a . b + be * C for dense column-major a (m x k), b (k x n); acc[m] scratch. C is
 * fp32, or bf16 when c16 (the sum in fp32, C read and the result written rounded, as cuBLAS does
 * for a bf16 output with fp32 compute). The operands' extents were checked before: not
 * instrumented in the sanitizer build, for speed. */
__attribute__((no_sanitize("address", "undefined"))) static void product(const float *a, const float *b, float *acc,
                                                                          void *C, int c16, long long m, long long n,
                                                                          long long k, long long ldc, float al,
                                                                          float be) {
  for (long long j = 0; j < n; j++) {
    for (long long i = 0; i < m; i++) acc[i] = 0.0f;
    for (long long p = 0; p < k; p++) {
      const float bv = b[p + j * k], *ap = a + p * m;
      for (long long i = 0; i < m; i++) acc[i] += ap[i] * bv;
    }
    if (c16) {
      uint16_t *cj = (uint16_t *)C + j * ldc;
      for (long long i = 0; i < m; i++) {
        float c = al * acc[i];
        if (be != 0.0f) c += be * load(cj, CUDA_R_16BF, i, 0);
        cj[i] = to_bf16(c);
      }
      continue;
    }
    float *cj = (float *)C + j * ldc;
    if (be == 0.0f)
      for (long long i = 0; i < m; i++) cj[i] = al * acc[i];
    else
      for (long long i = 0; i < m; i++) cj[i] = al * acc[i] + be * cj[i];
  }
}

/* a checked GEMM, its scalars read: run now or at each replay */
struct gemm_call;
static void gemm_run(const gemm_call &g);
struct gemm_call {
  cublasOperation_t ta, tb;
  int m, n, k;
  float al;
  const void *A;
  cudaDataType Atype;
  int lda;
  long long sA;
  const void *B;
  cudaDataType Btype;
  int ldb;
  long long sB;
  float be;
  void *C;
  int c16; /* C is bf16 (else fp32) */
  int ldc;
  long long sC;
  int batch, tf32;
  static void run(void *c) { gemm_run(*static_cast<gemm_call *>(c)); }
  static void destroy(void *c) { delete static_cast<gemm_call *>(c); }
};

static cublasStatus_t gemm(const char *call, cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                           int n, int k, const void *alpha, const void *A, cudaDataType Atype, int lda, long long sA,
                           const void *B, cudaDataType Btype, int ldb, long long sB, const void *beta, void *C,
                           cudaDataType Ctype, int ldc, long long sC, int batch, cublasComputeType_t ct) {
  if (!valid(h)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (ta < CUBLAS_OP_N || ta > CUBLAS_OP_C || tb < CUBLAS_OP_N || tb > CUBLAS_OP_C) return CUBLAS_STATUS_INVALID_VALUE;
  if (m < 0 || n < 0 || k < 0 || batch < 0 || !alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
  long long ra = ta == CUBLAS_OP_N ? m : k, ca = ta == CUBLAS_OP_N ? k : m;
  long long rb = tb == CUBLAS_OP_N ? k : n, cb = tb == CUBLAS_OP_N ? n : k;
  if (lda < (ra > 1 ? ra : 1) || ldb < (rb > 1 ? rb : 1) || ldc < (m > 1 ? m : 1)) return CUBLAS_STATUS_INVALID_VALUE;
  /* the combinations the trainer uses, as cuBLAS's table of GemmEx types allows them */
  if (Atype != Btype || (Ctype != CUDA_R_32F && !(Ctype == CUDA_R_16BF && Atype == CUDA_R_16BF)))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  if (Atype == CUDA_R_32F) {
    if (ct != CUBLAS_COMPUTE_32F && ct != CUBLAS_COMPUTE_32F_PEDANTIC && ct != CUBLAS_COMPUTE_32F_FAST_TF32)
      return CUBLAS_STATUS_NOT_SUPPORTED;
  } else if (Atype == CUDA_R_16BF) {
    if (ct != CUBLAS_COMPUTE_32F && ct != CUBLAS_COMPUTE_32F_PEDANTIC) return CUBLAS_STATUS_NOT_SUPPORTED;
  } else {
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  if (!m || !n || !batch) return CUBLAS_STATUS_SUCCESS;
  size_t ea = Atype == CUDA_R_16BF ? 2 : 4, ec = Ctype == CUDA_R_16BF ? 2 : 4;
  if (!extent_ok(call, "A", A, ea, ra, ca, lda, sA, batch) || !extent_ok(call, "B", B, ea, rb, cb, ldb, sB, batch) ||
      !extent_ok(call, "C", C, ec, m, n, ldc, sC, batch))
    return CUBLAS_STATUS_EXECUTION_FAILED;
  {
    const char *c0, *c1, *x0, *x1;
    span(C, ec, m, n, ldc, sC, batch, &c0, &c1);
    if (k > 0) {
      span(A, ea, ra, ca, lda, sA, batch, &x0, &x1);
      int overlap_a = c0 < x1 && x0 < c1;
      span(B, ea, rb, cb, ldb, sB, batch, &x0, &x1);
      int overlap_b = c0 < x1 && x0 < c1;
      if (overlap_a || overlap_b) {
        fprintf(stderr, "cudaemu: %s: the output C overlaps operand %s (cuBLAS needs them apart)\n", call,
                overlap_a ? "A" : "B");
        return CUBLAS_STATUS_EXECUTION_FAILED;
      }
    }
  }
  return submit(call, h, new gemm_call{ta, tb, m, n, k, *(const float *)alpha, A, Atype, lda, sA, B, Btype, ldb, sB,
                                       *(const float *)beta, C, Ctype == CUDA_R_16BF, ldc, sC, batch,
                                       ct == CUBLAS_COMPUTE_32F_FAST_TF32});
}

static void gemm_run(const gemm_call &g) {
  const cublasOperation_t ta = g.ta, tb = g.tb;
  const long long m = g.m, n = g.n, k = g.k, lda = g.lda, ldb = g.ldb, ldc = g.ldc, sA = g.sA, sB = g.sB, sC = g.sC;
  const cudaDataType Atype = g.Atype, Btype = g.Btype;
  const void *A = g.A, *B = g.B;
  void *C = g.C;
  const int batch = g.batch, round_tf32 = g.tf32;
  const float al = g.al, be = g.be;
  const size_t ea = Atype == CUDA_R_16BF ? 2 : 4;
  static thread_local std::vector<float> a, b, acc;
  a.resize((size_t)m * (size_t)k);
  b.resize((size_t)k * (size_t)n);
  acc.resize((size_t)m);
  for (int q = 0; q < batch; q++) {
    const char *Aq = (const char *)A + q * sA * (long long)ea, *Bq = (const char *)B + q * sB * (long long)ea;
    void *Cq = (char *)C + q * sC * (long long)(g.c16 ? 2 : 4);
    /* op(A) as a dense m x k, op(B) as a dense k x n, column-major */
    for (long long p = 0; p < k; p++)
      for (long long i = 0; i < m; i++)
        a[(size_t)(i + p * m)] = load(Aq, Atype, ta == CUBLAS_OP_N ? i + p * lda : p + i * lda, round_tf32);
    for (long long j = 0; j < n; j++)
      for (long long p = 0; p < k; p++)
        b[(size_t)(p + j * k)] = load(Bq, Btype, tb == CUBLAS_OP_N ? p + j * ldb : j + p * ldb, round_tf32);
    product(a.data(), b.data(), acc.data(), Cq, g.c16, m, n, k, ldc, al, be);
  }
}

SF_EMU_EXPORT cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                          int m, int n, int k, const void *alpha, const void *A, cudaDataType Atype,
                                          int lda, const void *B, cudaDataType Btype, int ldb, const void *beta,
                                          void *C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType,
                                          cublasGemmAlgo_t algo) {
  (void)algo;
  return gemm("cublasGemmEx", handle, transa, transb, m, n, k, alpha, A, Atype, lda, 0, B, Btype, ldb, 0, beta, C,
              Ctype, ldc, 0, 1, computeType);
}

SF_EMU_EXPORT cublasStatus_t cublasGemmStridedBatchedEx(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k, const void *alpha,
    const void *A, cudaDataType Atype, int lda, long long int strideA, const void *B, cudaDataType Btype, int ldb,
    long long int strideB, const void *beta, void *C, cudaDataType Ctype, int ldc, long long int strideC,
    int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
  (void)algo;
  return gemm("cublasGemmStridedBatchedEx", handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B, Btype,
              ldb, strideB, beta, C, Ctype, ldc, strideC, batchCount, computeType);
}

/* y = alpha op(A) x + beta y, A m x n column-major; checked, then run now or at each replay */
struct gemv_call;
static void gemv_run(const gemv_call &g);
struct gemv_call {
  cublasOperation_t trans;
  int m, n;
  float al;
  const float *A;
  int lda;
  const float *x;
  int incx;
  float be;
  float *y;
  int incy;
  static void run(void *c) { gemv_run(*static_cast<gemv_call *>(c)); }
  static void destroy(void *c) { delete static_cast<gemv_call *>(c); }
};

SF_EMU_EXPORT cublasStatus_t cublasSgemv_v2(cublasHandle_t handle, cublasOperation_t trans, int m, int n,
                                            const float *alpha, const float *A, int lda, const float *x, int incx,
                                            const float *beta, float *y, int incy) {
  if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (trans < CUBLAS_OP_N || trans > CUBLAS_OP_C || m < 0 || n < 0 || lda < (m > 1 ? m : 1) || !incx || !incy ||
      !alpha || !beta)
    return CUBLAS_STATUS_INVALID_VALUE;
  if (!m || !n) return CUBLAS_STATUS_SUCCESS;
  long long nx = trans == CUBLAS_OP_N ? n : m, ny = trans == CUBLAS_OP_N ? m : n;
  long long ax = incx < 0 ? -incx : incx, ay = incy < 0 ? -incy : incy;
  if (!extent_ok("cublasSgemv", "A", A, 4, m, n, lda, 0, 1) || !extent_ok("cublasSgemv", "x", x, 4, 1, nx, ax, 0, 1) ||
      !extent_ok("cublasSgemv", "y", y, 4, 1, ny, ay, 0, 1))
    return CUBLAS_STATUS_EXECUTION_FAILED;
  return submit("cublasSgemv", handle, new gemv_call{trans, m, n, *alpha, A, lda, x, incx, *beta, y, incy});
}

static void gemv_run(const gemv_call &g) {
  const cublasOperation_t trans = g.trans;
  const long long m = g.m, n = g.n, lda = g.lda;
  const int incx = g.incx, incy = g.incy;
  const float *A = g.A, *x = g.x, al = g.al, be = g.be;
  float *y = g.y;
  long long nx = trans == CUBLAS_OP_N ? n : m, ny = trans == CUBLAS_OP_N ? m : n;
  long long ax = incx < 0 ? -incx : incx, ay = incy < 0 ? -incy : incy;
  /* element i of a vector with increment inc (negative: from the end, as BLAS) */
#define VX(i) x[incx > 0 ? (i) * incx : (nx - 1 - (i)) * ax]
#define VY(i) y[incy > 0 ? (i) * incy : (ny - 1 - (i)) * ay]
  for (long long i = 0; i < ny; i++) {
    float s = 0.0f;
    for (long long j = 0; j < nx; j++) s += (trans == CUBLAS_OP_N ? A[i + j * lda] : A[j + i * lda]) * VX(j);
    VY(i) = be == 0.0f ? al * s : al * s + be * VY(i);
  }
#undef VX
#undef VY
}
