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
 *   syncwarp   __syncwarp is a real barrier among a warp's lanes (a reversal within the warp is right
 *              with it, wrong without it); a lane with another mask, or one that never comes, is
 *              reported
 *   wmma       16x16x16 and tiled 32x32x32 bf16 products (every row/col-major pair, ldm > 16,
 *              accumulator loaded and stored in both layouts) equal a CPU reference exactly (small
 *              integers); the element mapping is a permutation, not the hardware's, and changes
 *              between launches and fragment kinds; uniform scaling and a same-type element-wise
 *              product (a row-scale matrix as a mask) are right; a stored tile read by other lanes
 *              without __syncwarp is stale; a misaligned tile, a bad ldm, a tile beyond its
 *              allocation, lanes with different pointers, and a lane that skips mma_sync stop the
 *              program with a message naming the kernel
 *   mma16816   mma.m16n8k16 (bf16, fp32) and ldmatrix (.x4, .x2, .trans) with the hardware's
 *              layouts, checked against the PTX ISA's tables restated here: a product of small
 *              integers placed by the tables equals the host's exactly, and so does one whose A
 *              operand is two accumulator tiles packed to bf16; every register of every lane of
 *              ldmatrix holds the 16-bit codes the table names (and x4 gives the A operand's
 *              layout), and is stale where another lane wrote the row without __syncwarp; the flash
 *              forward's operand recipes (B from k-major rows without .trans, from n-major rows with
 *              it) give exact products; a lane that skips ldmatrix or the product is the deadlock
 *              report; a row not 16-byte aligned, a row in device memory, lanes at different shapes
 *              abort naming the kernel, block and thread
 *   cublas     GemmEx / GemmStridedBatchedEx against a double-precision reference for every
 *              transpose pair, fp32 / TF32 / bf16; TF32 drops the 13 low mantissa bits; GEMV; wrong
 *              leading dimensions are CUBLAS_STATUS_INVALID_VALUE, an operand beyond its
 *              allocation CUBLAS_STATUS_EXECUTION_FAILED
 *   capture    between cudaStreamBeginCapture and EndCapture a launch, a memset and a GEMM on the
 *              capturing stream are recorded, not run; each replay of the graph runs them again and
 *              reads device memory as it is then; a synchronising copy, an allocation, a stream
 *              synchronisation and a legacy-stream launch during a capture fail and invalidate it;
 *              cuBLAS's workspace must be aligned device memory, and set after the stream (which
 *              drops it) for a GEMM to be captured; an allocation in another thread
 *              invalidates the capture, that thread's wait for its own stream does not
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
#include <mma.h>

#include "train/cuda/mma16816.cuh"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#define LAUNCH(kernel, grid, block) sf_emu_launch(#kernel, kernel, grid, block)
#define LAUNCH_ON(kernel, grid, block, stream) sf_emu_launch(#kernel, kernel, grid, block, stream)

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

__global__ void k_syncwarp_mask(float *x) {
  x[threadIdx.x] = 1.0f;
  __syncwarp(threadIdx.x == 5 ? 0xfffffffeu : 0xffffffffu); /* lane 5's mask lacks lane 0 */
}

__global__ void k_syncwarp_exit(float *x) {
  if (threadIdx.x == 40) return;
  __syncwarp();
  x[threadIdx.x] = 1.0f;
}

/* a tile load at A + offset with leading dimension ldm, mma, store; lane `skip` skips the mma and
 * exits (skip_to_store 0) or goes on to the store */
__global__ void k_wmma_bad(float *C, const __nv_bfloat16 *A, int offset, int ldm, int skip, int skip_to_store,
                           int lane_offset) {
  using namespace nvcuda;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::col_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::fill_fragment(acc, 0.0f);
  wmma::fill_fragment(b, 1.0f);
  int o = offset + (threadIdx.x == 7 ? lane_offset : 0);
  wmma::load_matrix_sync(a, A + o, (unsigned)ldm);
  if ((int)threadIdx.x == skip && !skip_to_store) return;
  if ((int)threadIdx.x != skip) wmma::mma_sync(acc, a, b, acc);
  wmma::store_matrix_sync(C, acc, 16, wmma::mem_row_major);
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

static int child_mma(const char *name);

static int child(const char *name) {
  if (strncmp(name, "mma ", 4) == 0) return child_mma(name);
  float *x;
  if (cudaMalloc((void **)&x, sizeof(float) * 64) != cudaSuccess) return 3;
  if (strcmp(name, "host pointer") == 0) {
    static float host[64];
    LAUNCH(k_early_exit, dim3(1), dim3(64))(host);
  }
  if (strcmp(name, "k_early_exit") == 0) LAUNCH(k_early_exit, dim3(2), dim3(64))(x);
  if (strcmp(name, "k_half_warp_shuffle") == 0) LAUNCH(k_half_warp_shuffle, dim3(2), dim3(64))(x);
  if (strcmp(name, "k_syncwarp_mask") == 0) LAUNCH(k_syncwarp_mask, dim3(1), dim3(32))(x);
  if (strcmp(name, "k_syncwarp_exit") == 0) LAUNCH(k_syncwarp_exit, dim3(1), dim3(64))(x);
  if (strncmp(name, "wmma ", 5) == 0) {
    __nv_bfloat16 *A; /* 16 x 24 bf16: a 16 x 16 tile with ldm 16 or 24 fits, one starting 16 on does not */
    float *C;
    if (cudaMalloc((void **)&A, 2 * 16 * 24) != cudaSuccess || cudaMalloc((void **)&C, 4 * 256) != cudaSuccess) return 3;
    int off = 0, ldm = 16, skip = -1, to_store = 0, lane_off = 0;
    if (strcmp(name, "wmma misaligned") == 0) off = 8;   /* 16 bytes on */
    if (strcmp(name, "wmma ldm") == 0) ldm = 12;         /* not a multiple of 8 */
    if (strcmp(name, "wmma range") == 0) off = 16, ldm = 24; /* 16 + 15 * 24 + 16 > 384 elements */
    if (strcmp(name, "wmma skip") == 0) skip = 3;
    if (strcmp(name, "wmma skip to store") == 0) skip = 3, to_store = 1;
    if (strcmp(name, "wmma lanes differ") == 0) lane_off = 16;
    LAUNCH(k_wmma_bad, dim3(1), dim3(32))(C, A, off, ldm, skip, to_store, lane_off);
  }
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
  /* __syncwarp: a lane with another mask; a lane that exits instead */
  e = run_child("k_syncwarp_mask", &aborted);
  printf("%s", e.c_str());
  assert_true(aborted);
  assert_non_null(strstr(e.c_str(), "kernel 'k_syncwarp_mask'"));
  assert_non_null(strstr(e.c_str(), "__syncwarp mask 0x"));
  assert_non_null(strstr(e.c_str(), "which wait for it at __syncwarp with mask 0x"));
  e = run_child("k_syncwarp_exit", &aborted);
  printf("%s", e.c_str());
  assert_true(aborted);
  assert_non_null(strstr(e.c_str(), "deadlock: 31 of 64 threads"));
  assert_non_null(strstr(e.c_str(), "threads 32..39 at __syncwarp (mask 0xffffffff)"));
  assert_non_null(strstr(e.c_str(), "threads 40..40 exited"));
  /* WMMA: the hardware's constraints, and a lane that skips the collective mma */
  const char *cases[][2] = {
      {"wmma misaligned", "wmma::load_matrix_sync (matrix_a col_major) at 0x"},
      {"wmma misaligned", "is not 256-bit (32-byte) aligned"},
      {"wmma ldm", "ldm 12 is not a multiple of 8 (__nv_bfloat16 elements)"},
      {"wmma range", "reads bytes 32..784 of an allocation of 768 bytes"},
      {"wmma lanes differ", "thread 7: wmma::load_matrix_sync with arguments (pointer, ldm, layout, fragment type) other"},
      {"wmma skip", "deadlock: 31 of 32 threads"},
      {"wmma skip", "threads 3..3 exited"},
      {"wmma skip", "at wmma::mma_sync (mask 0xffffffff)"},
      {"wmma skip to store", "thread 3: wmma::store_matrix_sync, while lanes 0x"},
      {"wmma skip to store", "of its warp wait at wmma::mma_sync with the same mask 0xffffffff"},
  };
  for (auto &c : cases) {
    e = run_child(c[0], &aborted);
    printf("%s", e.c_str());
    assert_true(aborted);
    assert_non_null(strstr(e.c_str(), "kernel 'k_wmma_bad', block (0, 0, 0): "));
    assert_non_null(strstr(e.c_str(), c[1]));
  }
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
  /* cudaMemcpy2D: 2 rows of 3 floats from rows 4 apart into rows 3 apart, and back padded */
  float src[8] = {1, 2, 3, -1, 4, 5, 6, -1}, dst[8];
  for (float &v : dst) v = 0;
  assert_int_equal(cudaMemcpy2D(d, 3 * sizeof(float), src, 4 * sizeof(float), 3 * sizeof(float), 2,
                                cudaMemcpyHostToDevice), cudaSuccess);
  assert_int_equal(cudaMemcpy2D(dst, 4 * sizeof(float), d, 3 * sizeof(float), 3 * sizeof(float), 2,
                                cudaMemcpyDeviceToHost), cudaSuccess);
  for (int i = 0; i < 8; i++) assert_true(dst[i] == (i % 4 == 3 ? 0.0f : src[i]));
  assert_int_equal(cudaMemcpy2D(dst, 2 * sizeof(float), d, 3 * sizeof(float), 3 * sizeof(float), 2,
                                cudaMemcpyDeviceToHost), cudaErrorInvalidPitchValue);
  assert_int_equal(cudaMemcpy2D(d, 6 * sizeof(float), src, 4 * sizeof(float), 3 * sizeof(float), 2,
                                cudaMemcpyHostToDevice), cudaErrorInvalidValue); /* row 2 ends past d's 8 */
  assert_int_equal(cudaGetLastError(), cudaErrorInvalidValue);
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
  /* a bf16 output (bf16 operands, fp32 compute): the fp32 result with beta's C read from bf16,
   * rounded to nearest even; fp32 operands with a bf16 output are not a combination cuBLAS has */
  {
    __nv_bfloat16 *C16 = dev_bf16(C, (size_t)ld * ld);
    std::vector<float> c0((size_t)ld * ld), r((size_t)ld * ld);
    for (size_t e = 0; e < c0.size(); e++) c0[e] = __bfloat162float(C16[e]);
    r = c0;
    ref_gemm(0, 1, m, n, k, alpha, A, ld, B, ld, beta, r.data(), ld, 2);
    assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_T, m, n, k, &alpha, A16, CUDA_R_16BF, ld, B16,
                                  CUDA_R_16BF, ld, &beta, C16, CUDA_R_16BF, ld, CUBLAS_COMPUTE_32F,
                                  CUBLAS_GEMM_DEFAULT),
                     CUBLAS_STATUS_SUCCESS);
    int exact = 0;
    for (int j = 0; j < ld; j++)
      for (int i = 0; i < ld; i++) {
        size_t e = (size_t)(i + j * ld);
        float got = __bfloat162float(C16[e]);
        if (i >= m || j >= n) {
          assert_true(got == c0[e] || (std::isnan(got) && std::isnan(c0[e]))); /* outside: untouched */
          continue;
        }
        /* within half a bf16 unit (2^-9 relative) of the fp32 result, and exactly its rounding
         * wherever the reference is not within 1e-5 of a tie */
        assert_true(fabsf(got - r[e]) <= fabsf(r[e]) / 256.0f + 1e-6f);
        exact += got == __bfloat162float(__float2bfloat16(r[e]));
      }
    assert_true(exact >= m * n - 2);
    assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, A, CUDA_R_32F, ld, B, CUDA_R_32F, ld,
                                  &beta, C16, CUDA_R_16BF, ld, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                     CUBLAS_STATUS_NOT_SUPPORTED);
    /* the output's extent is counted in bf16 elements: C of exactly (n - 1) ld + m of them fits */
    __nv_bfloat16 *Cx;
    assert_int_equal(cudaMalloc((void **)&Cx, 2 * (size_t)((n - 1) * ld + m)), cudaSuccess);
    assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_T, m, n, k, &alpha, A16, CUDA_R_16BF, ld, B16,
                                  CUDA_R_16BF, ld, &zero, Cx, CUDA_R_16BF, ld, CUBLAS_COMPUTE_32F,
                                  CUBLAS_GEMM_DEFAULT),
                     CUBLAS_STATUS_SUCCESS);
    assert_int_equal(cudaFree(Cx), cudaSuccess);
    assert_int_equal(cudaFree(C16), cudaSuccess);
  }
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

/* ---- syncwarp ---- */

__global__ void k_warp_reverse(float *out, const float *in, int sync) {
  __shared__ __align__(32) float sh[64];
  int t = threadIdx.x;
  sh[t] = in[t];
  if (sync) __syncwarp();
  out[t] = sh[t / 32 * 32 + 31 - t % 32];
}

__global__ void __launch_bounds__(64, 2) k_syncwarp_halves(float *__restrict__ x) {
  /* lanes 0..15 and 16..31 meet separately, one half after the other */
  int t = threadIdx.x, lane = t % 32;
  unsigned half = lane < 16 ? 0x0000ffffu : 0xffff0000u;
  if (lane >= 16) __syncwarp(half);
  x[t] = (float)t;
  if (lane < 16) __syncwarp(half);
  __syncwarp(); /* the halves meet: each reads the other's value */
  float v = x[t] + x[t ^ 16];
  __syncwarp();
  x[t] = v;
}

static void test_syncwarp(void **state) {
  (void)state;
  float *in, *out;
  assert_int_equal(cudaMalloc((void **)&in, sizeof(float) * 64), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&out, sizeof(float) * 64), cudaSuccess);
  int wrong_launches = 0;
  for (int launch = 0; launch < 6; launch++) {
    for (int i = 0; i < 64; i++) in[i] = (float)(i + 100 * launch);
    LAUNCH(k_warp_reverse, dim3(1), dim3(64))(out, in, 1);
    assert_int_equal(cudaGetLastError(), cudaSuccess);
    for (int i = 0; i < 64; i++) assert_true(out[i] == in[i / 32 * 32 + 31 - i % 32]);
    for (int i = 0; i < 64; i++) in[i] = (float)(i + 100 * launch + 50); /* not what shared memory holds */
    LAUNCH(k_warp_reverse, dim3(1), dim3(64))(out, in, 0);
    int wrong = 0;
    for (int i = 0; i < 64; i++) wrong += out[i] != in[i / 32 * 32 + 31 - i % 32];
    wrong_launches += wrong > 0;
  }
  printf("the warp reversal without __syncwarp was wrong in %d of 6 launches\n", wrong_launches);
  assert_true(wrong_launches >= 3);
  for (int rep = 0; rep < 3; rep++) {
    LAUNCH(k_syncwarp_halves, dim3(1), dim3(64))(out);
    for (int i = 0; i < 64; i++) assert_true(out[i] == (float)(i + (i ^ 16)));
  }
  cudaFree(in);
  cudaFree(out);
}

/* ---- wmma ---- */

using namespace nvcuda;

/* C (n x n, row-major, ldc) = A B + C0 with one warp per 16 x 16 tile of C: A is n x n in layout LA
 * with leading dimension lda, B in LB with ldb, C0 read in layout lc, the result written in ls */
template <class LA, class LB>
__global__ void k_wmma_gemm(float *C, const __nv_bfloat16 *A, const __nv_bfloat16 *B, const float *C0, int n, int lda,
                            int ldb, int ldc, int lc, int ls) {
  int w = threadIdx.x / 32, tiles = n / 16;
  int ti = w / tiles, tj = w % tiles;
  const int acol = std::is_same<LA, wmma::col_major>::value, bcol = std::is_same<LB, wmma::col_major>::value;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, LA> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, LB> b;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::layout_t lin = lc ? wmma::mem_col_major : wmma::mem_row_major;
  wmma::layout_t lout = ls ? wmma::mem_col_major : wmma::mem_row_major;
  /* element (r, c) of a matrix with leading dimension ld, in either layout */
  auto at = [](int col_major, int r, int c, int ld) { return col_major ? (size_t)c * ld + r : (size_t)r * ld + c; };
  wmma::load_matrix_sync(acc, C0 + at(lc, ti * 16, tj * 16, ldc), (unsigned)ldc, lin);
  for (int k = 0; k < n; k += 16) {
    wmma::load_matrix_sync(a, A + at(acol, ti * 16, k, lda), (unsigned)lda);
    wmma::load_matrix_sync(b, B + at(bcol, k, tj * 16, ldb), (unsigned)ldb);
    wmma::mma_sync(acc, a, b, acc);
  }
  wmma::store_matrix_sync(C + at(ls, ti * 16, tj * 16, ldc), acc, (unsigned)ldc, lout);
}

template <class LA, class LB> static void gemm_case(int n, int lda, int ldb, int ldc, int lc, int ls) {
  const int acol = std::is_same<LA, wmma::col_major>::value, bcol = std::is_same<LB, wmma::col_major>::value;
  std::vector<float> a((size_t)n * lda), b((size_t)n * ldb), c0((size_t)n * ldc);
  for (size_t i = 0; i < a.size(); i++) a[i] = (float)((int)(i * 7 % 9) - 4);
  for (size_t i = 0; i < b.size(); i++) b[i] = (float)((int)(i * 5 % 7) - 3);
  for (size_t i = 0; i < c0.size(); i++) c0[i] = (float)((int)(i * 3 % 11) - 5);
  __nv_bfloat16 *A = dev_bf16(a.data(), a.size()), *B = dev_bf16(b.data(), b.size());
  float *C0, *C;
  assert_int_equal(cudaMalloc((void **)&C0, sizeof(float) * c0.size()), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&C, sizeof(float) * c0.size()), cudaSuccess);
  memcpy(C0, c0.data(), sizeof(float) * c0.size());
  int nw = (n / 16) * (n / 16);
  sf_emu_launch("k_wmma_gemm", k_wmma_gemm<LA, LB>, dim3(1), dim3(32 * nw))(C, A, B, C0, n, lda, ldb, ldc, lc, ls);
  assert_int_equal(cudaGetLastError(), cudaSuccess);
  auto at = [](int col_major, int r, int c, int ld) { return col_major ? (size_t)c * ld + r : (size_t)r * ld + c; };
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = c0[at(lc, i, j, ldc)];
      for (int k = 0; k < n; k++) s += (double)a[at(acol, i, k, lda)] * b[at(bcol, k, j, ldb)];
      assert_true(C[at(ls, i, j, ldc)] == (float)s);
    }
  cudaFree(A);
  cudaFree(B);
  cudaFree(C0);
  cudaFree(C);
}

/* each lane writes which element of the tile it holds in x[i]: the tile holds its own index */
__global__ void k_wmma_map(float *acc_map, float *a_map, float *b_map, const float *idx, const __nv_bfloat16 *idx16) {
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> b;
  wmma::load_matrix_sync(acc, idx, 16, wmma::mem_row_major);
  wmma::load_matrix_sync(a, idx16, 16);
  wmma::load_matrix_sync(b, idx16, 16);
  int lane = threadIdx.x;
  for (int i = 0; i < acc.num_elements; i++) {
    acc_map[lane * 8 + i] = acc.x[i];
    a_map[lane * 8 + i] = __bfloat162float(a.x[i]);
    b_map[lane * 8 + i] = __bfloat162float(b.x[i]);
  }
}

/* out = s * in (uniform scaling), in row-major, out column-major */
__global__ void k_wmma_scale(float *out, const float *in, float s, int ld) {
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::load_matrix_sync(acc, in, (unsigned)ld, wmma::mem_row_major);
  for (int i = 0; i < acc.num_elements; i++) acc.x[i] *= s;
  wmma::store_matrix_sync(out, acc, (unsigned)ld, wmma::mem_col_major);
}

/* out = in with row r scaled by scale[r]: the mask is a tile whose row r holds scale[r] everywhere,
 * loaded into a fragment of the same type, multiplied element by element */
__global__ void k_wmma_rowscale(float *out, const float *in, const float *scale) {
  __shared__ __align__(32) float rows[16 * 16];
  for (int e = (int)threadIdx.x; e < 256; e += 32) rows[e] = scale[e / 16];
  __syncwarp();
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc, mask;
  wmma::load_matrix_sync(acc, in, 16, wmma::mem_row_major);
  wmma::load_matrix_sync(mask, rows, 16, wmma::mem_row_major);
  for (int i = 0; i < acc.num_elements; i++) acc.x[i] *= mask.x[i];
  wmma::store_matrix_sync(out, acc, 16, wmma::mem_row_major);
}

/* stores a tile to shared memory, then every lane reads element `lane` of it: right only with a
 * __syncwarp between (another lane's elements are written when that lane goes on) */
__global__ void k_wmma_store_read(float *out, const float *in, int sync) {
  __shared__ __align__(32) float sh[256];
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
  wmma::load_matrix_sync(acc, in, 16, wmma::mem_row_major);
  wmma::store_matrix_sync(sh, acc, 16, wmma::mem_row_major);
  if (sync) __syncwarp();
  for (int e = (int)threadIdx.x; e < 256; e += 32) out[e] = sh[e];
}

static int is_permutation(const float *m) {
  std::vector<int> seen(256, 0);
  for (int i = 0; i < 256; i++) {
    if (!(m[i] >= 0 && m[i] < 256 && m[i] == (float)(int)m[i]) || seen[(size_t)m[i]]++) return 0;
  }
  return 1;
}

static void test_wmma(void **state) {
  (void)state;
  /* products: one tile and 2 x 2 tiles (four warps), every layout pair, leading dimensions > 16 */
  gemm_case<wmma::row_major, wmma::row_major>(16, 24, 32, 20, 0, 0);
  gemm_case<wmma::row_major, wmma::col_major>(16, 16, 24, 16, 1, 0);
  gemm_case<wmma::col_major, wmma::row_major>(16, 40, 16, 28, 0, 1);
  gemm_case<wmma::col_major, wmma::col_major>(16, 24, 24, 24, 1, 1);
  gemm_case<wmma::row_major, wmma::row_major>(32, 40, 48, 36, 0, 0);
  gemm_case<wmma::row_major, wmma::col_major>(32, 32, 40, 40, 1, 0);
  gemm_case<wmma::col_major, wmma::row_major>(32, 48, 32, 32, 0, 1);
  gemm_case<wmma::col_major, wmma::col_major>(32, 40, 56, 44, 1, 1);

  /* the mapping: a permutation of the tile, not the hardware's (sm_80's m16n16k16 fp32 accumulator:
   * lane l holds rows l/4 and l/4 + 8, columns 2(l%4) + {0, 1} and + 8), not the identity, different
   * for matrix_a, matrix_b and the accumulator, and different in the next launch */
  float *idx, *maps;
  assert_int_equal(cudaMalloc((void **)&idx, sizeof(float) * 256), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&maps, sizeof(float) * 256 * 6), cudaSuccess);
  for (int i = 0; i < 256; i++) idx[i] = (float)i;
  __nv_bfloat16 *idx16 = dev_bf16(idx, 256);
  LAUNCH(k_wmma_map, dim3(1), dim3(32))(maps, maps + 256, maps + 512, idx, idx16);
  LAUNCH(k_wmma_map, dim3(1), dim3(32))(maps + 768, maps + 1024, maps + 1280, idx, idx16);
  for (int m = 0; m < 6; m++) assert_true(is_permutation(maps + 256 * m));
  int same_hw = 0, same_id = 0, same_ab = 0, same_aacc = 0, same_next = 0;
  for (int l = 0; l < 32; l++)
    for (int i = 0; i < 8; i++) {
      int hw_r = l / 4 + 8 * (i / 2 % 2), hw_c = 2 * (l % 4) + i % 2 + 8 * (i / 4);
      same_hw += maps[l * 8 + i] == (float)(hw_r * 16 + hw_c);
      same_id += maps[l * 8 + i] == (float)(l * 8 + i);
      same_ab += maps[256 + l * 8 + i] == maps[512 + l * 8 + i];
      same_aacc += maps[256 + l * 8 + i] == maps[l * 8 + i];
      same_next += maps[l * 8 + i] == maps[768 + l * 8 + i];
    }
  printf("wmma mapping: elements where the hardware's, the identity, matrix_b, the accumulator, the next launch "
         "agree with it: %d %d %d %d %d of 256\n",
         same_hw, same_id, same_ab, same_aacc, same_next);
  assert_true(same_hw < 16 && same_id < 16 && same_ab < 16 && same_aacc < 16 && same_next < 16);

  /* uniform scaling, row-major in, column-major out, ld 20 */
  const int ld = 20;
  float *in, *out, *scale;
  assert_int_equal(cudaMalloc((void **)&in, sizeof(float) * 16 * ld), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&out, sizeof(float) * 16 * ld), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&scale, sizeof(float) * 16), cudaSuccess);
  for (int i = 0; i < 16 * ld; i++) in[i] = (float)(i % 37) - 18.5f;
  LAUNCH(k_wmma_scale, dim3(1), dim3(32))(out, in, 0.25f, ld);
  for (int r = 0; r < 16; r++)
    for (int c = 0; c < 16; c++) assert_true(out[c * ld + r] == 0.25f * in[r * ld + c]);
  /* same-type element-wise product: per-row scaling */
  for (int r = 0; r < 16; r++) scale[r] = (float)(r + 1) * 0.5f;
  LAUNCH(k_wmma_rowscale, dim3(1), dim3(32))(out, in, scale);
  for (int r = 0; r < 16; r++)
    for (int c = 0; c < 16; c++) assert_true(out[r * 16 + c] == scale[r] * in[r * 16 + c]);

  /* a stored tile read by other lanes: right after __syncwarp, stale without */
  int wrong_launches = 0;
  for (int launch = 0; launch < 4; launch++) {
    for (int i = 0; i < 256; i++) in[i] = (float)(i + 1000 * launch);
    LAUNCH(k_wmma_store_read, dim3(1), dim3(32))(out, in, 1);
    for (int i = 0; i < 256; i++) assert_true(out[i] == in[i]);
    for (int i = 0; i < 256; i++) in[i] = (float)(i + 1000 * launch + 500);
    LAUNCH(k_wmma_store_read, dim3(1), dim3(32))(out, in, 0);
    int wrong = 0;
    for (int i = 0; i < 256; i++) wrong += out[i] != in[i];
    wrong_launches += wrong > 0;
  }
  printf("a stored tile read without __syncwarp was stale in %d of 4 launches\n", wrong_launches);
  assert_int_equal(wrong_launches, 4);
  for (void *p : {(void *)idx, (void *)maps, (void *)idx16, (void *)in, (void *)out, (void *)scale})
    assert_int_equal(cudaFree(p), cudaSuccess);
}

/* ---- capture ---- */

__global__ void k_add(float *x, const float *inc) { x[threadIdx.x] += *inc; }

static void test_capture(void **state) {
  (void)state;
  const cudaStream_t s = cudaStreamPerThread;
  enum { M = 4, N = 3, K = 5 };
  float *x, *inc, *A, *B, *C, *z;
  assert_int_equal(cudaMalloc((void **)&x, sizeof(float) * 32), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&inc, sizeof(float)), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&A, sizeof(float) * M * K), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&B, sizeof(float) * K * N), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&C, sizeof(float) * M * N), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&z, sizeof(float) * 8), cudaSuccess);
  assert_int_equal(cudaMemset(x, 0, sizeof(float) * 32), cudaSuccess);
  float one = 1.0f, ha[M * K], hb[K * N], want[M * N];
  for (int i = 0; i < M * K; i++) ha[i] = (float)(i % 7 - 3);
  for (int i = 0; i < K * N; i++) hb[i] = (float)(i % 5 - 2);
  ref_gemm(0, 0, M, N, K, 1.0f, ha, M, hb, K, 0.0f, want, M, 0);
  assert_int_equal(cudaMemcpy(inc, &one, sizeof one, cudaMemcpyHostToDevice), cudaSuccess);
  assert_int_equal(cudaMemcpy(A, ha, sizeof ha, cudaMemcpyHostToDevice), cudaSuccess);
  assert_int_equal(cudaMemcpy(B, hb, sizeof hb, cudaMemcpyHostToDevice), cudaSuccess);
  cublasHandle_t h;
  assert_int_equal(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  assert_int_equal(cublasSetStream(h, s), CUBLAS_STATUS_SUCCESS);
  void *ws;
  assert_int_equal(cudaMalloc(&ws, 4096), cudaSuccess);
  assert_int_equal(cublasSetWorkspace(h, (char *)ws + 8, 256), CUBLAS_STATUS_INVALID_VALUE); /* not 256-aligned */
  assert_int_equal(cublasSetWorkspace(h, ws, 8192), CUBLAS_STATUS_INVALID_VALUE);           /* beyond it */
  assert_int_equal(cublasSetWorkspace(h, ws, 4096), CUBLAS_STATUS_SUCCESS);

  /* recorded, not run: a launch, a memset and a GEMM on the capturing stream */
  assert_int_equal(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  LAUNCH_ON(k_add, dim3(1), dim3(32), s)(x, inc);
  assert_int_equal(cudaGetLastError(), cudaSuccess);
  assert_int_equal(cudaMemsetAsync(z, 0, sizeof(float) * 8, s), cudaSuccess);
  float zero = 0.0f;
  assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, M, N, K, &one, A, CUDA_R_32F, M, B, CUDA_R_32F, K, &zero,
                                C, CUDA_R_32F, M, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                   CUBLAS_STATUS_SUCCESS);
  cudaGraph_t g;
  assert_int_equal(cudaStreamEndCapture(s, &g), cudaSuccess);
  cudaGraphExec_t e;
  assert_int_equal(cudaGraphInstantiate(&e, g, 0), cudaSuccess);
  assert_int_equal(cudaGraphDestroy(g), cudaSuccess); /* the instance keeps what it needs */
  assert_true(x[0] == 0.0f && std::isnan(z[0]) && std::isnan(C[0]));

  /* every replay runs it all again, and reads what the memory holds then (the pointers were fixed) */
  const float incs[3] = {1.0f, 2.0f, 5.0f};
  for (float v : incs) {
    assert_int_equal(cudaMemcpy(inc, &v, sizeof v, cudaMemcpyHostToDevice), cudaSuccess);
    assert_int_equal(cudaGraphLaunch(e, s), cudaSuccess);
  }
  assert_int_equal(cudaStreamSynchronize(s), cudaSuccess);
  for (int i = 0; i < 32; i++) assert_true(x[i] == 8.0f);
  for (int i = 0; i < 8; i++) assert_true(z[i] == 0.0f);
  for (int i = 0; i < M * N; i++) assert_true(C[i] == want[i]);
  assert_int_equal(cudaGraphExecDestroy(e), cudaSuccess);

  /* what a capture forbids fails, and its end then fails: a synchronising copy; legacy-stream work */
  assert_int_equal(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  assert_int_equal(cudaMemcpy(inc, &one, sizeof one, cudaMemcpyHostToDevice), cudaErrorStreamCaptureUnsupported);
  assert_int_equal(cudaStreamEndCapture(s, &g), cudaErrorStreamCaptureInvalidated);
  assert_null(g);
  (void)cudaGetLastError();
  assert_int_equal(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  LAUNCH(k_add, dim3(1), dim3(32))(x, inc); /* the legacy stream */
  assert_int_equal(cudaGetLastError(), cudaErrorStreamCaptureImplicit);
  void *q;
  assert_int_equal(cudaMalloc(&q, 16), cudaErrorStreamCaptureUnsupported);
  assert_int_equal(cudaStreamSynchronize(s), cudaErrorStreamCaptureUnsupported);
  assert_int_equal(cudaStreamEndCapture(s, &g), cudaErrorStreamCaptureInvalidated);
  for (int i = 0; i < 32; i++) assert_true(x[i] == 8.0f); /* the refused launch did not run */
  /* no capture on the legacy stream; no end without a beginning; all is usable afterwards */
  assert_int_equal(cudaStreamBeginCapture(0, cudaStreamCaptureModeThreadLocal), cudaErrorStreamCaptureUnsupported);
  assert_int_equal(cudaStreamEndCapture(s, &g), cudaErrorIllegalState);
  (void)cudaGetLastError();
  assert_int_equal(cudaMemcpy(inc, &one, sizeof one, cudaMemcpyHostToDevice), cudaSuccess);
  LAUNCH_ON(k_add, dim3(1), dim3(32), s)(x, inc);
  assert_int_equal(cudaGetLastError(), cudaSuccess);
  assert_true(x[0] == 9.0f);
  /* cublasSetStream drops the workspace set before it: a GEMM captured then is refused and ends the
   * capture (cuBLAS would allocate inside it); set after the stream, the workspace takes it again */
  assert_int_equal(cublasSetStream(h, s), CUBLAS_STATUS_SUCCESS);
  for (int own = 0; own < 2; own++) {
    if (own) assert_int_equal(cublasSetWorkspace(h, ws, 4096), CUBLAS_STATUS_SUCCESS);
    assert_int_equal(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), cudaSuccess);
    assert_int_equal(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, M, N, K, &one, A, CUDA_R_32F, M, B, CUDA_R_32F, K,
                                  &zero, C, CUDA_R_32F, M, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                     own ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_SUPPORTED);
    assert_int_equal(cudaStreamEndCapture(s, &g), own ? cudaSuccess : cudaErrorStreamCaptureInvalidated);
    if (g) assert_int_equal(cudaGraphDestroy(g), cudaSuccess);
    (void)cudaGetLastError();
  }
  assert_int_equal(cublasDestroy(h), CUBLAS_STATUS_SUCCESS);
  float *bufs[] = {x, inc, A, B, C, z};
  for (float *b : bufs) assert_int_equal(cudaFree(b), cudaSuccess);
  assert_int_equal(cudaFree(ws), cudaSuccess);

  /* another thread that synchronises the device ends this thread's capture (as CUDA does, whatever
   * the mode); one that waits for its own stream does not */
  for (int sync_device = 0; sync_device < 2; sync_device++) {
    assert_int_equal(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), cudaSuccess);
    std::thread other([sync_device] {
      void *p = NULL;
      if (sync_device) {
        assert_int_equal(cudaMalloc(&p, 64), cudaSuccess);
        assert_int_equal(cudaFree(p), cudaSuccess);
      } else {
        assert_int_equal(cudaStreamSynchronize(cudaStreamPerThread), cudaSuccess);
      }
    });
    other.join();
    assert_int_equal(cudaStreamEndCapture(s, &g), sync_device ? cudaErrorStreamCaptureInvalidated : cudaSuccess);
    if (g) assert_int_equal(cudaGraphDestroy(g), cudaSuccess);
    (void)cudaGetLastError();
  }
}

/* ---- mma.m16n8k16 and ldmatrix (src/train/cuda/mma16816.cuh): the hardware's layouts ----
 * The tables as the PTX ISA states them, written here independently of mma16816.cpp: element i of
 * a lane's operand (two per 32-bit register, i even in the low half), g = lane / 4, t = lane % 4:
 *   A (16 x 16): row g + 8 * (i / 2 % 2), column 2t + i % 2 + 8 * (i / 4), i = 0..7
 *   B (16 x 8):  row 2t + i % 2 + 8 * (i / 2), column g, i = 0..3
 *   C, D:        row g + 8 * (i / 2), column 2t + i % 2, i = 0..3 (one float each) */
static __device__ __host__ int mma_a_row(int l, int i) { return l / 4 + 8 * (i / 2 % 2); }
static __device__ __host__ int mma_a_col(int l, int i) { return 2 * (l % 4) + i % 2 + 8 * (i / 4); }
static __device__ __host__ int mma_b_row(int l, int i) { return 2 * (l % 4) + i % 2 + 8 * (i / 2); }
static __device__ __host__ int mma_b_col(int l, int i) { return (void)i, l / 4; }
static __device__ __host__ int mma_c_row(int l, int i) { return l / 4 + 8 * (i / 2); }
static __device__ __host__ int mma_c_col(int l, int i) { return 2 * (l % 4) + i % 2; }

/* element i of n packed from x (row-major, ld) by the table's row and column functions */
template <int N>
static __device__ void mma_gather(uint32_t *reg, const float *x, int ld, int (*row)(int, int), int (*col)(int, int)) {
  int l = (int)threadIdx.x % 32;
  for (int i = 0; i < N; i += 2)
    reg[i / 2] = sfk_pack_bf16x2(x[row(l, i) * ld + col(l, i)], x[row(l, i + 1) * ld + col(l, i + 1)]);
}

/* D = A B + C (A 16 x 16, B 16 x 8, C 16 x 8 row-major), operands placed by the tables; then the
 * two accumulator tiles D0 = A B0, D1 = A B1 packed as the A operand of E = [D0 D1] B2 (the
 * conversion the flash forward makes from scores to probabilities) */
__global__ void k_mma_layout(float *D, float *E, const float *A, const float *B, const float *C, const float *B0,
                             const float *B1, const float *B2) {
  int l = (int)threadIdx.x;
  uint32_t a[4], b[2], b0[2], b1[2], b2[2];
  float c[4], d[4];
  mma_gather<8>(a, A, 16, mma_a_row, mma_a_col);
  mma_gather<4>(b, B, 8, mma_b_row, mma_b_col);
  for (int i = 0; i < 4; i++) c[i] = C[mma_c_row(l, i) * 8 + mma_c_col(l, i)];
  sfk_mma16816(d, a, b, c);
  for (int i = 0; i < 4; i++) D[mma_c_row(l, i) * 8 + mma_c_col(l, i)] = d[i];
  mma_gather<4>(b0, B0, 8, mma_b_row, mma_b_col);
  mma_gather<4>(b1, B1, 8, mma_b_row, mma_b_col);
  mma_gather<4>(b2, B2, 8, mma_b_row, mma_b_col);
  float zero[4] = {0, 0, 0, 0}, d0[4], d1[4], e[4];
  sfk_mma16816(d0, a, b0, zero);
  sfk_mma16816(d1, a, b1, zero);
  uint32_t p[4] = {sfk_pack_bf16x2(d0[0], d0[1]), sfk_pack_bf16x2(d0[2], d0[3]), sfk_pack_bf16x2(d1[0], d1[1]),
                   sfk_pack_bf16x2(d1[2], d1[3])};
  sfk_mma16816(e, p, b2, zero);
  for (int i = 0; i < 4; i++) E[mma_c_row(l, i) * 8 + mma_c_col(l, i)] = e[i];
}

/* ldmatrix of a 16 x 16 tile of 16-bit codes (row r, column c holds r * 16 + c) kept in shared
 * memory with rows 24 elements apart; lane l addresses row l % 8 of 8 x 8 matrix l / 8, matrix j at
 * rows 8 (j % 2), columns 8 (j / 2) (the A operand's order). Out: per lane, 4 registers of x4, of
 * x4.trans, 2 of x2, of x2.trans (lanes 16..31 give x2 a misaligned address, which it ignores). */
__global__ void k_ldmatrix(uint32_t *out, const __nv_bfloat16 *tile) {
  __shared__ __align__(16) __nv_bfloat16 sh[16 * 24];
  int l = (int)threadIdx.x;
  for (int e = l; e < 256; e += 32) sh[e / 16 * 24 + e % 16] = tile[e];
  __syncwarp();
  int j = l / 8, r = l % 8;
  const __nv_bfloat16 *row = sh + (8 * (j % 2) + r) * 24 + 8 * (j / 2);
  uint32_t x4[4], x4t[4], x2[2], x2t[2];
  sfk_ldmatrix_x4(x4, row);
  sfk_ldmatrix_x4_trans(x4t, row);
  sfk_ldmatrix_x2(x2, l < 16 ? row : row + 1);
  sfk_ldmatrix_x2_trans(x2t, l < 16 ? row : row + 1);
  for (int k = 0; k < 4; k++) out[l * 12 + k] = x4[k], out[l * 12 + 4 + k] = x4t[k];
  for (int k = 0; k < 2; k++) out[l * 12 + 8 + k] = x2[k], out[l * 12 + 10 + k] = x2t[k];
}

/* every lane writes the row that the next lane addresses (codes from salt on), then ldmatrix.x4:
 * right only with a __syncwarp between (a lane reads its row when it arrives) */
__global__ void k_ldmatrix_stale(uint32_t *out, int salt, int sync) {
  __shared__ __align__(16) __nv_bfloat16 sh[32 * 8];
  int l = (int)threadIdx.x, next = (l + 1) % 32;
  for (int c = 0; c < 8; c++) sh[next * 8 + c].x = (uint16_t)(salt + next * 8 + c);
  if (sync) __syncwarp();
  uint32_t r[4];
  sfk_ldmatrix_x4(r, sh + l * 8);
  for (int k = 0; k < 4; k++) out[l * 4 + k] = r[k];
}

/* The flash forward's two operand recipes on tiles in shared memory: S = Q X^T with X (8 keys x 16)
 * by ldmatrix.x2 (B = X^T, k-major: no transpose), O = P Y with Y (16 keys x 8) by ldmatrix.x2.trans;
 * Q and P by ldmatrix.x4 */
__global__ void k_ldmatrix_mma(float *S, float *O, const float *Q, const float *X, const float *P, const float *Y) {
  __shared__ __align__(16) __nv_bfloat16 q[16 * 24], x[8 * 24], p[16 * 24], y[16 * 16];
  int l = (int)threadIdx.x;
  for (int e = l; e < 256; e += 32) {
    q[e / 16 * 24 + e % 16] = __float2bfloat16(Q[e]);
    p[e / 16 * 24 + e % 16] = __float2bfloat16(P[e]);
  }
  for (int e = l; e < 128; e += 32) {
    x[e / 16 * 24 + e % 16] = __float2bfloat16(X[e]);
    y[e / 8 * 16 + e % 8] = __float2bfloat16(Y[e]);
  }
  __syncwarp();
  int j = l / 8, r = l % 8;
  uint32_t a[4], b[2], pa[4], yb[2];
  sfk_ldmatrix_x4(a, q + (8 * (j % 2) + r) * 24 + 8 * (j / 2));
  sfk_ldmatrix_x2(b, x + r * 24 + 8 * (j % 2));         /* lanes 0..7: dims 0..7, 8..15: dims 8..15 */
  sfk_ldmatrix_x4(pa, p + (8 * (j % 2) + r) * 24 + 8 * (j / 2));
  sfk_ldmatrix_x2_trans(yb, y + (8 * (j % 2) + r) * 16); /* lanes 0..7: keys 0..7, 8..15: keys 8..15 */
  float zero[4] = {0, 0, 0, 0}, s[4], o[4];
  sfk_mma16816(s, a, b, zero);
  sfk_mma16816(o, pa, yb, zero);
  for (int i = 0; i < 4; i++) {
    S[mma_c_row(l, i) * 8 + mma_c_col(l, i)] = s[i];
    O[mma_c_row(l, i) * 8 + mma_c_col(l, i)] = o[i];
  }
}

/* misuse: lane 3 leaves before the ldmatrix (skip 1) or the product (skip 2); lane `bad` gives a
 * row 8 bytes off, or (global) every lane a row in device memory; `mixed`: lanes 16..31 call .x2
 * where the others call .x4 */
__global__ void k_mma_bad(float *out, const __nv_bfloat16 *global, int skip, int bad, int use_global, int mixed) {
  __shared__ __align__(16) __nv_bfloat16 sh[16 * 24];
  int l = (int)threadIdx.x;
  for (int e = l; e < 16 * 24; e += 32) sh[e] = __float2bfloat16(1.0f);
  __syncwarp();
  if (l == 3 && skip == 1) return;
  const __nv_bfloat16 *row = use_global ? global + l % 16 * 8 : sh + l % 16 * 24 + l / 16 * 8;
  if (l == bad) row += 4;
  uint32_t a[4], b[2] = {0, 0};
  if (mixed && l >= 16) sfk_ldmatrix_x2(a, row);
  else sfk_ldmatrix_x4(a, row);
  float c[4] = {0, 0, 0, 0};
  if (l == 3 && skip == 2) return;
  sfk_mma16816(c, a, b, c);
  out[l] = c[0];
}

static int child_mma(const char *name) {
  float *out;
  __nv_bfloat16 *g;
  if (cudaMalloc((void **)&out, sizeof(float) * 32) != cudaSuccess || cudaMalloc((void **)&g, 2 * 256) != cudaSuccess)
    return 3;
  int skip = 0, bad = -1, use_global = 0, mixed = 0;
  if (strcmp(name, "mma skip ldmatrix") == 0) skip = 1;
  if (strcmp(name, "mma skip mma") == 0) skip = 2;
  if (strcmp(name, "mma misaligned") == 0) bad = 5;
  if (strcmp(name, "mma global") == 0) use_global = 1;
  if (strcmp(name, "mma mixed") == 0) mixed = 1;
  LAUNCH(k_mma_bad, dim3(1), dim3(32))(out, g, skip, bad, use_global, mixed);
  return 0;
}

static float *dev_floats(const std::vector<float> &v) {
  float *p;
  assert_int_equal(cudaMalloc((void **)&p, sizeof(float) * v.size()), cudaSuccess);
  memcpy(p, v.data(), sizeof(float) * v.size());
  return p;
}

/* small integers: every product and sum exact in fp32, every value exact in bf16 */
static std::vector<float> ints(size_t n, int mul, int mod) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = (float)((int)((i * (size_t)mul + 1) % (size_t)mod) - mod / 2);
  return v;
}

static void test_mma16816(void **state) {
  (void)state;
  /* the product, and accumulators reused as the next A operand, against the host */
  std::vector<float> a = ints(256, 7, 9), b = ints(128, 5, 7), c = ints(128, 3, 11), b0 = ints(128, 11, 5),
                     b1 = ints(128, 13, 7), b2 = ints(128, 17, 5);
  float *A = dev_floats(a), *B = dev_floats(b), *C = dev_floats(c), *B0 = dev_floats(b0), *B1 = dev_floats(b1),
        *B2 = dev_floats(b2), *D, *E;
  assert_int_equal(cudaMalloc((void **)&D, sizeof(float) * 128), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&E, sizeof(float) * 128), cudaSuccess);
  LAUNCH(k_mma_layout, dim3(1), dim3(32))(D, E, A, B, C, B0, B1, B2);
  assert_int_equal(cudaGetLastError(), cudaSuccess);
  float d01[16][16];
  for (int r = 0; r < 16; r++)
    for (int n = 0; n < 8; n++) {
      double s = c[r * 8 + n], s0 = 0, s1 = 0;
      for (int k = 0; k < 16; k++) {
        s += (double)a[r * 16 + k] * b[k * 8 + n];
        s0 += (double)a[r * 16 + k] * b0[k * 8 + n];
        s1 += (double)a[r * 16 + k] * b1[k * 8 + n];
      }
      assert_true(D[r * 8 + n] == (float)s);
      assert_true(fabs(s0) <= 256 && fabs(s1) <= 256); /* exact in bf16 */
      d01[r][n] = (float)s0, d01[r][n + 8] = (float)s1;
    }
  for (int r = 0; r < 16; r++)
    for (int n = 0; n < 8; n++) {
      double s = 0;
      for (int k = 0; k < 16; k++) s += (double)d01[r][k] * b2[k * 8 + n];
      assert_true(E[r * 8 + n] == (float)s);
    }

  /* ldmatrix, register by register, against the table: register j of lane l holds (row l / 4,
   * columns 2 (l % 4), + 1) of matrix j, or with .trans (rows 2 (l % 4), + 1, column l / 4) */
  __nv_bfloat16 *tile;
  uint32_t *out;
  assert_int_equal(cudaMalloc((void **)&tile, 2 * 256), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&out, 4 * 32 * 12), cudaSuccess);
  for (int e = 0; e < 256; e++) tile[e].x = (uint16_t)e; /* codes, not numbers: ldmatrix moves bits */
  LAUNCH(k_ldmatrix, dim3(1), dim3(32))(out, tile);
  assert_int_equal(cudaGetLastError(), cudaSuccess);
  for (int l = 0; l < 32; l++)
    for (int j = 0; j < 4; j++) {
      int r0 = 8 * (j % 2), c0 = 8 * (j / 2), rr = l / 4, cc = 2 * (l % 4);
      uint32_t want = (uint32_t)((r0 + rr) * 16 + c0 + cc) | (uint32_t)((r0 + rr) * 16 + c0 + cc + 1) << 16;
      uint32_t want_t = (uint32_t)((r0 + cc) * 16 + c0 + rr) | (uint32_t)((r0 + cc + 1) * 16 + c0 + rr) << 16;
      assert_int_equal(out[l * 12 + j], want);
      assert_int_equal(out[l * 12 + 4 + j], want_t);
      if (j < 2) {
        assert_int_equal(out[l * 12 + 8 + j], want);
        assert_int_equal(out[l * 12 + 10 + j], want_t);
      }
      /* and x4 in this order is the A operand: its elements 2j, 2j + 1 where the mma table puts them */
      for (int h = 0; h < 2; h++)
        assert_int_equal(out[l * 12 + j] >> (16 * h) & 0xffffu,
                         (uint32_t)(mma_a_row(l, 2 * j + h) * 16 + mma_a_col(l, 2 * j + h)));
    }

  /* rows written by other lanes: right after __syncwarp, stale without (in every thread order) */
  for (int launch = 0; launch < 3; launch++)
    for (int sync = 1; sync >= 0; sync--) {
      int salt = 1000 * (2 * launch + sync); /* shared memory keeps the last launch's rows */
      for (int e = 0; e < 32 * 12; e++) out[e] = 0xdeadbeefu;
      LAUNCH(k_ldmatrix_stale, dim3(1), dim3(32))(out, salt, sync);
      int wrong = 0;
      for (int l = 0; l < 32; l++)
        for (int j = 0; j < 4; j++) {
          uint32_t e = (uint32_t)(salt + (8 * j + l / 4) * 8 + 2 * (l % 4));
          wrong += out[l * 4 + j] != (e | (e + 1) << 16);
        }
      if (sync) assert_int_equal(wrong, 0);
      else assert_true(wrong > 0);
    }

  /* the flash forward's operand recipes: S = Q X^T, O = P Y through ldmatrix, exact */
  std::vector<float> q = ints(256, 7, 9), x = ints(128, 5, 7), p = ints(256, 3, 5), y = ints(128, 11, 9);
  float *Q = dev_floats(q), *X = dev_floats(x), *P = dev_floats(p), *Y = dev_floats(y), *S, *O;
  assert_int_equal(cudaMalloc((void **)&S, sizeof(float) * 128), cudaSuccess);
  assert_int_equal(cudaMalloc((void **)&O, sizeof(float) * 128), cudaSuccess);
  LAUNCH(k_ldmatrix_mma, dim3(1), dim3(32))(S, O, Q, X, P, Y);
  assert_int_equal(cudaGetLastError(), cudaSuccess);
  for (int r = 0; r < 16; r++)
    for (int n = 0; n < 8; n++) {
      double s = 0, o = 0;
      for (int k = 0; k < 16; k++) {
        s += (double)q[r * 16 + k] * x[n * 16 + k];
        o += (double)p[r * 16 + k] * y[k * 8 + n];
      }
      assert_true(S[r * 8 + n] == (float)s);
      assert_true(O[r * 8 + n] == (float)o);
    }
  for (void *v : {(void *)A, (void *)B, (void *)C, (void *)B0, (void *)B1, (void *)B2, (void *)D, (void *)E,
                  (void *)tile, (void *)out, (void *)Q, (void *)X, (void *)P, (void *)Y, (void *)S, (void *)O})
    assert_int_equal(cudaFree(v), cudaSuccess);

  /* misuse, in child processes: a lane that skips the product, a misaligned row, a row in device
   * memory, lanes at different ldmatrix shapes */
  const char *cases[][2] = {
      {"mma skip ldmatrix", "deadlock: 31 of 32 threads"},
      {"mma skip ldmatrix", "threads 3..3 exited"},
      {"mma skip ldmatrix", "at ldmatrix.m8n8.x4 (mask 0xffffffff)"},
      {"mma skip mma", "deadlock: 31 of 32 threads"},
      {"mma skip mma", "threads 3..3 exited"},
      {"mma skip mma", "at mma.sync.aligned.m16n8k16 (mask 0xffffffff)"},
      {"mma misaligned", "thread 5: ldmatrix.m8n8.x4: row address 0x"},
      {"mma misaligned", "is not 16-byte aligned"},
      {"mma global", "thread "},
      {"mma global", "is in a cudaMalloc allocation, not in shared memory"},
      {"mma mixed", "ldmatrix.m8n8."},
      {"mma mixed", "with the same mask 0xffffffff"},
  };
  int aborted = 0;
  for (auto &k : cases) {
    std::string e = run_child(k[0], &aborted);
    printf("%s", e.c_str());
    assert_true(aborted);
    assert_non_null(strstr(e.c_str(), "kernel 'k_mma_bad', block (0, 0, 0): "));
    assert_non_null(strstr(e.c_str(), k[1]));
  }
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
      cmocka_unit_test(test_cublas),   cmocka_unit_test(test_syncwarp), cmocka_unit_test(test_wmma),
      cmocka_unit_test(test_capture),
      cmocka_unit_test(test_mma16816),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
