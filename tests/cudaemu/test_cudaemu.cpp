/* test_cudaemu.cpp: the CUDA emulator itself (tests/cudaemu), so that a trainer test that passes on
 * it means something. Kernels written as CUDA code, compiled against the emulator's headers.
 *
 *   launch     grid and block indices cover every thread once (3-D grids and blocks); a bad
 *              configuration runs nothing and is the next cudaGetLastError, once
 *   barrier    __syncthreads is a real barrier: a shared-memory reversal is right with it, and
 *              wrong without it in at least one of the thread orders the launches cycle through
 *   shuffle    __shfl_xor_sync butterflies give every lane the warp's sum; width 16 sums halves
 *   deadlock   a thread that exits before a __syncthreads the others wait at stops the program
 *              with a message naming the kernel (checked in a child process); so does a host
 *              pointer given to a kernel
 *   fork       a child forked after CUDA was initialised cannot use it, as with the real runtime
 *   memory     cudaMalloc fills with NaN; copies and memsets outside an allocation, and cudaFree of
 *              a pointer that is not one, are errors
 *   bf16       round to nearest even, NaN kept, exact back
 *   cublas     GemmEx / GemmStridedBatchedEx against a double-precision reference for every
 *              transpose pair, fp32 / TF32 / bf16; TF32 drops the 13 low mantissa bits; GEMV; wrong
 *              leading dimensions are CUBLAS_STATUS_INVALID_VALUE, an operand beyond its
 *              allocation CUBLAS_STATUS_EXECUTION_FAILED
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
extern "C" {
#include <cmocka.h>
}

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <string>
#include <vector>

#define LAUNCH(kernel, grid, block) sf_emu_launch(#kernel, kernel, grid, block)

/* ---- launch ---- */

__global__ void k_ids(int *out, int *count) {
  unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  unsigned id = b * blockDim.x * blockDim.y * blockDim.z + t;
  out[id] = (int)id;
  count[id]++;
}

static void test_launch(void **state) {
  (void)state;
  dim3 grid(3, 2, 2), block(8, 4, 2);
  int n = 3 * 2 * 2 * 8 * 4 * 2;
  int *out, *count;
  assert_int_equal(cudaMalloc((void **)&out, sizeof(int) * n), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&count, sizeof(int) * n), cudaSuccess);
  assert_int_equal(cudaMemset(count, 0, sizeof(int) * n), cudaSuccess);
  LAUNCH(k_ids, grid, block)(out, count);
  assert_int_equal(cudaGetLastError(), cudaSuccess);
  for (int i = 0; i < n; i++) {
    assert_int_equal(out[i], i);
    assert_int_equal(count[i], 1);
  }
  /* the hardware's limits: no thread runs */
  dim3 bad_blocks[] = {dim3(0), dim3(1025), dim3(32, 33), dim3(1, 1, 65)};
  for (dim3 b : bad_blocks) {
    LAUNCH(k_ids, dim3(1), b)(out, count);
    assert_int_equal(cudaGetLastError(), cudaErrorInvalidConfiguration);
    assert_int_equal(cudaGetLastError(), cudaSuccess); /* read once, then cleared */
  }
  LAUNCH(k_ids, dim3(0), dim3(32))(out, count);
  assert_int_equal(cudaGetLastError(), cudaErrorInvalidConfiguration);
  LAUNCH(k_ids, dim3(1, 65536), dim3(32))(out, count);
  assert_int_equal(cudaGetLastError(), cudaErrorInvalidConfiguration);
  for (int i = 0; i < n; i++) assert_int_equal(count[i], 1);
  assert_string_equal(cudaGetErrorString(cudaErrorInvalidConfiguration), "invalid configuration argument");
  cudaFree(out);
  cudaFree(count);
}

/* ---- barrier ---- */

enum { RB = 256 };

__global__ void k_reverse(float *out, const float *in) {
  __shared__ float sh[RB];
  int t = threadIdx.x;
  sh[t] = in[blockIdx.x * RB + t];
  __syncthreads();
  out[blockIdx.x * RB + t] = sh[RB - 1 - t];
}

__global__ void k_reverse_racy(float *out, const float *in) {
  __shared__ float sh[RB];
  int t = threadIdx.x;
  sh[t] = in[blockIdx.x * RB + t];
  /* no barrier: a thread may read its partner's slot before the partner wrote it */
  out[blockIdx.x * RB + t] = sh[RB - 1 - t];
}

static void test_barrier(void **state) {
  (void)state;
  const int nb = 4, n = nb * RB;
  float *in, *out;
  assert_int_equal(cudaMalloc((void **)&in, sizeof(float) * n), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&out, sizeof(float) * n), cudaSuccess);
  int wrong_launches = 0;
  for (int launch = 0; launch < 6; launch++) {
    for (int i = 0; i < n; i++) in[i] = (float)(i + 1000 * launch); /* new values every launch */
    LAUNCH(k_reverse, dim3(nb), dim3(RB))(out, in);
    assert_int_equal(cudaGetLastError(), cudaSuccess);
    for (int i = 0; i < n; i++) assert_true(out[i] == in[i / RB * RB + RB - 1 - i % RB]);
    LAUNCH(k_reverse_racy, dim3(nb), dim3(RB))(out, in);
    int wrong = 0;
    for (int i = 0; i < n; i++) wrong += out[i] != in[i / RB * RB + RB - 1 - i % RB];
    wrong_launches += wrong > 0;
  }
  printf("the kernel without its barrier was wrong in %d of 6 launches\n", wrong_launches);
  assert_true(wrong_launches >= 2);
  cudaFree(in);
  cudaFree(out);
}

/* ---- shuffle ---- */

__global__ void k_warp_sums(float *out, const float *in, int width) {
  float v = in[threadIdx.x];
  for (int o = width / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o, width);
  out[threadIdx.x] = v;
}

__global__ void k_shfl_double(double *out) {
  double v = (double)threadIdx.x + 0.25;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, v, 1);
}

static void test_shuffle(void **state) {
  (void)state;
  const int n = 96; /* three warps */
  float *in, *out;
  assert_int_equal(cudaMalloc((void **)&in, sizeof(float) * n), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&out, sizeof(float) * n), cudaSuccess);
  for (int i = 0; i < n; i++) in[i] = (float)(i * i % 17);
  for (int width = 32; width >= 16; width /= 2) {
    for (int rep = 0; rep < 3; rep++) { /* every thread order */
      LAUNCH(k_warp_sums, dim3(1), dim3(n))(out, in, width);
      assert_int_equal(cudaGetLastError(), cudaSuccess);
      for (int i = 0; i < n; i++) {
        float want = 0;
        for (int j = i / width * width; j < i / width * width + width; j++) want += in[j];
        assert_true(out[i] == want);
      }
    }
  }
  double *d;
  assert_int_equal(cudaMalloc((void **)&d, sizeof(double) * 32), cudaSuccess);
  LAUNCH(k_shfl_double, dim3(1), dim3(32))(d);
  for (int i = 0; i < 32; i++) assert_true(d[i] == (double)(i ^ 1) + 0.25);
  cudaFree(in);
  cudaFree(out);
  cudaFree(d);
}

/* ---- deadlock ---- */

__global__ void k_early_exit(float *x) {
  if (threadIdx.x == 5) return; /* leaves the others waiting below: a hang on a GPU */
  x[threadIdx.x] = 1.0f;
  __syncthreads();
  x[threadIdx.x] += 1.0f;
}

__global__ void k_half_warp_shuffle(float *x) {
  if (threadIdx.x < 16) x[threadIdx.x] = __shfl_xor_sync(0xffffffffu, x[threadIdx.x], 1);
}

/* runs kernel `name` in a fresh process (this program again: a forked child could not use CUDA,
 * test_fork); returns its stderr, and whether it died of SIGABRT in *aborted */
static std::string run_child(const char *name, int *aborted) {
  int fd[2];
  assert_int_equal(pipe(fd), 0);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fd[1], 2);
    close(fd[0]);
    execl("/proc/self/exe", "test_cudaemu", "--child", name, (char *)NULL);
    _exit(4);
  }
  close(fd[1]);
  std::string err;
  char buf[512];
  ssize_t r;
  while ((r = read(fd[0], buf, sizeof buf)) > 0) err.append(buf, (size_t)r);
  close(fd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  *aborted = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
  return err;
}

static int child(const char *name) {
  float *x;
  if (cudaMalloc((void **)&x, sizeof(float) * 64) != cudaSuccess) return 3;
  if (strcmp(name, "host pointer") == 0) {
    static float host[64];
    LAUNCH(k_early_exit, dim3(1), dim3(64))(host);
  }
  if (strcmp(name, "k_early_exit") == 0) LAUNCH(k_early_exit, dim3(2), dim3(64))(x);
  if (strcmp(name, "k_half_warp_shuffle") == 0) LAUNCH(k_half_warp_shuffle, dim3(2), dim3(64))(x);
  return 0;
}

static void test_deadlock(void **state) {
  (void)state;
  int aborted = 0;
  std::string e = run_child("k_early_exit", &aborted);
  printf("%s", e.c_str());
  assert_true(aborted);
  assert_non_null(strstr(e.c_str(), "kernel 'k_early_exit'"));
  assert_non_null(strstr(e.c_str(), "deadlock: 63 of 64 threads"));
  assert_non_null(strstr(e.c_str(), "threads 5..5 exited"));
  e = run_child("k_half_warp_shuffle", &aborted);
  printf("%s", e.c_str());
  assert_true(aborted);
  assert_non_null(strstr(e.c_str(), "kernel 'k_half_warp_shuffle'"));
  assert_non_null(strstr(e.c_str(), "at __shfl_xor_sync (mask 0xffffffff)"));
  /* not a deadlock, but the same way out: a host pointer given to a kernel */
  e = run_child("host pointer", &aborted);
  printf("%s", e.c_str());
  assert_true(aborted);
  assert_non_null(strstr(e.c_str(), "kernel 'k_early_exit': argument 1"));
}

/* ---- memory ---- */

static void test_memory(void **state) {
  (void)state;
  float *d, h[8] = {0};
  assert_int_equal(cudaMalloc((void **)&d, sizeof(float) * 8), cudaSuccess);
  for (int i = 0; i < 8; i++) assert_true(std::isnan(d[i])); /* fresh memory holds garbage */
  assert_int_equal(cudaMemcpy(d, h, sizeof h, cudaMemcpyHostToDevice), cudaSuccess);
  assert_int_equal(cudaMemcpy(d + 1, h, sizeof h, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  assert_int_equal(cudaMemcpy(h, d + 4, sizeof h, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  assert_int_equal(cudaMemcpy(h, h + 1, sizeof(float), cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  assert_int_equal(cudaMemset(d + 7, 0, 2 * sizeof(float)), cudaErrorInvalidValue);
  assert_int_equal(cudaFree(d + 1), cudaErrorInvalidValue);
  size_t free_b, total_b, free_after;
  assert_int_equal(cudaMemGetInfo(&free_b, &total_b), cudaSuccess);
  assert_int_equal(cudaFree(d), cudaSuccess);
  assert_int_equal(cudaMemGetInfo(&free_after, &total_b), cudaSuccess);
  assert_int_equal(free_after - free_b, sizeof(float) * 8);
  void *big;
  assert_int_equal(cudaMalloc(&big, total_b + 1), cudaErrorMemoryAllocation);
  assert_int_equal(cudaGetLastError(), cudaErrorMemoryAllocation);
}

/* ---- bf16 ---- */

static float bits(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static void test_bf16(void **state) {
  (void)state;
  /* 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1); 1 + 3 * 2^-8 ties up to 1 + 2^-6 */
  assert_true(__bfloat162float(__float2bfloat16(1.0f + 1.0f / 256)) == 1.0f);
  assert_true(__bfloat162float(__float2bfloat16(1.0f + 3.0f / 256)) == 1.0f + 1.0f / 64);
  assert_true(__bfloat162float(__float2bfloat16(1.0f + 1.0f / 256 + 1.0f / 4096)) == 1.0f + 1.0f / 128);
  assert_true(__bfloat162float(__float2bfloat16(-2.5f)) == -2.5f);
  assert_true(std::isnan(__bfloat162float(__float2bfloat16(bits(0x7f800001u))))); /* NaN stays NaN */
  assert_true(std::isinf(__bfloat162float(__float2bfloat16(bits(0x7f7fffffu))))); /* FLT_MAX rounds up */
  assert_int_equal(sizeof(__nv_bfloat16), 2);
}

/* ---- cuBLAS ---- */

static float tf32(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  u = (u + 0x1000u) & ~0x1fffu;
  return bits(u);
}

/* C = alpha op(A) op(B) + beta C in double, column-major; element conversion as the precision does */
static void ref_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *A, int lda, const float *B, int ldb,
                     float beta, float *C, int ldc, int prec) {
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      double s = 0;
      for (int p = 0; p < k; p++) {
        float a = ta ? A[p + i * lda] : A[i + p * lda], b = tb ? B[j + p * ldb] : B[p + j * ldb];
        if (prec == 1) a = tf32(a), b = tf32(b);
        if (prec == 2) a = __bfloat162float(__float2bfloat16(a)), b = __bfloat162float(__float2bfloat16(b));
        s += (double)a * b;
      }
      C[i + j * ldc] = (float)(alpha * s + (beta != 0 ? beta * (double)C[i + j * ldc] : 0.0));
    }
}

static float *dev_random(size_t n, unsigned seed) {
  float *d;
  assert_int_equal(cudaMalloc((void **)&d, sizeof(float) * n), cudaSuccess);
  srand(seed);
  for (size_t i = 0; i < n; i++) d[i] = (float)rand() / RAND_MAX * 2 - 1;
  return d;
}

static __nv_bfloat16 *dev_bf16(const float *x, size_t n) {
  __nv_bfloat16 *d;
  assert_int_equal(cudaMalloc((void **)&d, 2 * n), cudaSuccess);
  for (size_t i = 0; i < n; i++) d[i] = __float2bfloat16(x[i]);
  return d;
}

static void test_cublas(void **state) {
  (void)state;
  cublasHandle_t h;
  assert_int_equal(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  const int m = 7, n = 5, k = 9, batch = 3, ld = 11;
  const long long s = (long long)ld * 11; /* per-batch stride of every operand */
  float *A = dev_random((size_t)s * batch, 1), *B = dev_random((size_t)s * batch, 2), *C = dev_random((size_t)s * batch, 3);
  __nv_bfloat16 *A16 = dev_bf16(A, (size_t)s * batch), *B16 = dev_bf16(B, (size_t)s * batch);
  std::vector<float> want((size_t)s * batch);
  const float alpha = 0.75f, beta = 0.5f;
  for (int prec = 0; prec < 3; prec++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        memcpy(want.data(), C, sizeof(float) * want.size());
        for (int q = 0; q < batch; q++)
          ref_gemm(ta, tb, m, n, k, alpha, A + q * s, ld, B + q * s, ld, beta, want.data() + q * s, ld, prec);
        const void *a = prec == 2 ? (const void *)A16 : A, *b = prec == 2 ? (const void *)B16 : B;
        cudaDataType t = prec == 2 ? CUDA_R_16BF : CUDA_R_32F;
        cublasComputeType_t ct = prec == 1 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
        cublasOperation_t oa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, ob = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
        assert_int_equal(cublasGemmStridedBatchedEx(h, oa, ob, m, n, k, &alpha, a, t, ld, s, b, t, ld, s, &beta, C,
                                                    CUDA_R_32F, ld, s, batch, ct, CUBLAS_GEMM_DEFAULT),
                         CUBLAS_STATUS_SUCCESS);
        for (int q = 0; q < batch; q++)
          for (int j = 0; j < ld; j++)
            for (int i = 0; i < ld; i++) {
              size_t e = (size_t)(q * s + i + j * ld);
              /* inside the m x n result: as the reference to fp32 rounding; outside: untouched */
              assert_true(fabsf(C[e] - want[e]) <= 1e-5f * (1 + fabsf(want[e])));
            }
        memcpy(C, want.data(), sizeof(float) * want.size()); /* exact state for the next case */
      }
  /* beta 0 never reads C: NaN there does not reach the result */
  for (int i = 0; i < ld * ld; i++) C[i] = NAN;
  const float zero = 0.0f;
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, A, CUDA_R_32F, ld, B, CUDA_R_32F, ld,
                                &zero, C, CUDA_R_32F, ld, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_SUCCESS);
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) assert_false(std::isnan(C[i + j * ld]));
  /* TF32 keeps 10 mantissa bits: (1 + 2^-12) * 1 is 1 in TF32, not in fp32 */
  float *x, *one, *y;
  assert_int_equal(cudaMalloc((void **)&x, 4), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&one, 4), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&y, 4), cudaSuccess);
  *x = 1.0f + 1.0f / 4096, *one = 1.0f;
  const float unit = 1.0f;
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &unit, x, CUDA_R_32F, 1, one, CUDA_R_32F, 1,
                                &zero, y, CUDA_R_32F, 1, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_SUCCESS);
  assert_true(*y == 1.0f);
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &unit, x, CUDA_R_32F, 1, one, CUDA_R_32F, 1,
                                &zero, y, CUDA_R_32F, 1, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_SUCCESS);
  assert_true(*y == 1.0f + 1.0f / 4096);
  /* argument checks as cuBLAS: lda below the rows of A as stored (m for N, k for T) */
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, A, CUDA_R_32F, m - 1, B, CUDA_R_32F, ld,
                                &beta, C, CUDA_R_32F, ld, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_INVALID_VALUE);
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, A, CUDA_R_32F, k - 1, B, CUDA_R_32F, ld,
                                &beta, C, CUDA_R_32F, ld, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_INVALID_VALUE);
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_T, m, n, k, &alpha, A, CUDA_R_32F, ld, B, CUDA_R_32F, n - 1,
                                &beta, C, CUDA_R_32F, ld, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_INVALID_VALUE);
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, A, CUDA_R_32F, ld, B, CUDA_R_32F, ld,
                                &beta, C, CUDA_R_32F, m - 1, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_INVALID_VALUE);
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, -1, n, k, &alpha, A, CUDA_R_32F, ld, B, CUDA_R_32F, ld,
                                &beta, C, CUDA_R_32F, ld, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_INVALID_VALUE);
  /* TF32 compute with bf16 inputs is not a combination cuBLAS has */
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, A16, CUDA_R_16BF, ld, B16, CUDA_R_16BF,
                                ld, &beta, C, CUDA_R_32F, ld, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_NOT_SUPPORTED);
  /* one batch too many: operand A runs past its allocation */
  assert_int_equal(cublasGemmStridedBatchedEx(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, A, CUDA_R_32F, ld, s, B,
                                              CUDA_R_32F, ld, 0, &beta, C, CUDA_R_32F, ld, 0, batch + 1,
                                              CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_EXECUTION_FAILED);
  /* GEMV: y = alpha A x + beta y and its transpose */
  float *v = dev_random(16, 4), *w = dev_random(16, 5);
  std::vector<float> w0(w, w + 16);
  assert_int_equal(cublasSgemv(h, CUBLAS_OP_N, m, k, &alpha, A, ld, v, 1, &beta, w, 1), CUBLAS_STATUS_SUCCESS);
  for (int i = 0; i < m; i++) {
    double t = 0;
    for (int p = 0; p < k; p++) t += (double)A[i + p * ld] * v[p];
    assert_true(fabs(w[i] - (alpha * t + beta * w0[(size_t)i])) < 1e-5);
  }
  memcpy(w, w0.data(), sizeof(float) * 16);
  assert_int_equal(cublasSgemv(h, CUBLAS_OP_T, m, k, &alpha, A, ld, v, 1, &beta, w, 1), CUBLAS_STATUS_SUCCESS);
  for (int p = 0; p < k; p++) {
    double t = 0;
    for (int i = 0; i < m; i++) t += (double)A[i + p * ld] * v[i];
    assert_true(fabs(w[p] - (alpha * t + beta * w0[(size_t)p])) < 1e-5);
  }
  assert_int_equal(cublasSgemv(h, CUBLAS_OP_N, m, k, &alpha, A, m - 1, v, 1, &beta, w, 1), CUBLAS_STATUS_INVALID_VALUE);
  assert_int_equal(cublasSgemv(h, CUBLAS_OP_N, 17, 1, &alpha, A, 17, v, 1, &beta, w, 1), CUBLAS_STATUS_EXECUTION_FAILED);
  assert_int_equal(cublasDestroy(h), CUBLAS_STATUS_SUCCESS);
  for (void *p : {(void *)A, (void *)B, (void *)C, (void *)A16, (void *)B16, (void *)x, (void *)one, (void *)y,
                  (void *)v, (void *)w})
    assert_int_equal(cudaFree(p), cudaSuccess);
}

/* ---- fork ---- */

static void test_fork(void **state) {
  (void)state;
  void *p;
  assert_int_equal(cudaMalloc(&p, 16), cudaSuccess); /* CUDA is initialised in this process */
  fflush(stdout);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int n = -1;
    void *q;
    int ok = cudaGetDeviceCount(&n) == cudaErrorInitializationError && cudaMalloc(&q, 16) == cudaErrorInitializationError &&
             cudaGetLastError() == cudaErrorInitializationError;
    _exit(ok ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  assert_int_equal(cudaFree(p), cudaSuccess); /* the parent is unaffected */
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--child") == 0) return child(argv[2]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fork),
      cmocka_unit_test(test_launch),   cmocka_unit_test(test_barrier), cmocka_unit_test(test_shuffle),
      cmocka_unit_test(test_deadlock), cmocka_unit_test(test_memory),  cmocka_unit_test(test_bf16),
      cmocka_unit_test(test_cublas),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
