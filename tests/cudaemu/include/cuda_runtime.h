/* cuda_runtime.h (tests/cudaemu): the small part of the CUDA runtime that src/train/cuda uses,
 * emulated on the CPU so that the GPU trainer's tests run on machines without a GPU. Placed first
 * on the include path of the emulated build (tests/cudaemu/CMakeLists.txt), in place of the
 * toolkit's header; README.md beside it says what is modelled and what is not.
 *
 * Kernels are ordinary C++ functions; SFK_LAUNCH (common.cuh) calls sf_emu_launch, which runs the
 * grid block after block on the calling thread, each block's threads as cooperative fibers
 * (runtime.cpp), so that __syncthreads, __syncwarp, __shfl_xor_sync and the WMMA operations of mma.h
 * are real barriers. Device memory is host
 * memory (malloc), so AddressSanitizer sees a kernel's out-of-bounds access.
 */
#ifndef SF_CUDAEMU_CUDA_RUNTIME_H
#define SF_CUDAEMU_CUDA_RUNTIME_H

#ifndef __cplusplus
#error "the CUDA emulator's headers are C++ (the .cu files are compiled with -x c++)"
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tuple>
#include <type_traits>
#include <utility>

/* ---- qualifiers: every function is a host function; __shared__ variables are static, which gives
 * one copy per kernel shared by the block's fibers (blocks run one at a time) ---- */
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
/* alignment as on the device (WMMA wants 256-bit aligned tiles: __shared__ __align__(32) float t[...]);
 * launch bounds only guide nvcc's register allocation; __restrict__ is g++'s own */
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

/* ---- built-in types and variables ---- */
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
/* the 16-byte vector type (vector_types.h), for 128-bit copies */
struct alignas(16) uint4 {
  unsigned x, y, z, w;
};
/* the running fiber's indices, set by the scheduler before every switch to a fiber */
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;
enum { warpSize = 32 };

/* ---- errors ---- */
typedef enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidPitchValue = 12,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorIllegalState = 401,
  cudaErrorLaunchFailure = 719,
  cudaErrorStreamCaptureUnsupported = 900,
  cudaErrorStreamCaptureInvalidated = 901,
  cudaErrorStreamCaptureImplicit = 906,
} cudaError_t;

/* Streams: the legacy default stream (0 or cudaStreamLegacy) and the per-thread default stream;
 * the emulator runs every operation at once, so streams only matter to graph capture. */
typedef struct CUstream_st *cudaStream_t;
#define cudaStreamLegacy ((cudaStream_t)0x1)
#define cudaStreamPerThread ((cudaStream_t)0x2)
typedef struct CUgraph_st *cudaGraph_t;
typedef struct CUgraphExec_st *cudaGraphExec_t;
typedef enum cudaStreamCaptureMode {
  cudaStreamCaptureModeGlobal = 0,
  cudaStreamCaptureModeThreadLocal = 1,
  cudaStreamCaptureModeRelaxed = 2,
} cudaStreamCaptureMode;

typedef enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
} cudaMemcpyKind;

typedef enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrClockRate = 13,
  cudaDevAttrMultiProcessorCount = 16,
} cudaDeviceAttr;

/* the fields the trainer reads (the real struct has many more) */
typedef struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major, minor;
  int multiProcessorCount;
  int maxThreadsPerBlock;
  int warpSize;
} cudaDeviceProp;

extern "C" {
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaSetDevice(int dev);
cudaError_t cudaGetDevice(int *dev);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int dev);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int dev);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
/* height rows of width bytes, dpitch and spitch bytes apart (each at least width) */
cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height,
                         cudaMemcpyKind kind);
cudaError_t cudaMemset(void *p, int value, size_t bytes);
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
cudaError_t cudaDeviceSynchronize(void);
const char *cudaGetErrorString(cudaError_t e);
/* page-locked host memory (malloc here; the copies below accept any host memory) */
cudaError_t cudaMallocHost(void **p, size_t bytes);
cudaError_t cudaFreeHost(void *p);
/* As cudaMemcpy and cudaMemset, ordered on stream s (run at once here) */
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s);
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s);
cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
/* Graphs by stream capture (runtime.cpp says what is recorded and what a capture forbids) */
cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *graph);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);
}

/* ---- device functions ---- */
void __syncthreads(void);

/* The warp exchange: every lane of mask (in the calling thread's warp) deposits bits, waits for
 * the others, and gets the bits of lane (own lane ^ lane_mask) within its segment of width lanes
 * (its own when that lane lies outside the segment, as the hardware does); runtime.cpp. */
uint64_t sf_emu_shfl_xor(unsigned mask, uint64_t bits, int lane_mask, int width);

template <class T> inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "__shfl_xor_sync of a type wider than 8 bytes");
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof v);
  bits = sf_emu_shfl_xor(mask, bits, lane_mask, width);
  T out;
  memcpy(&out, &bits, sizeof out);
  return out;
}

/* A warp collective: every lane of mask (in the calling thread's warp) must call it with the same op,
 * mask and argument bytes (args, nargs <= 32), else an abort saying which differed; a lane that never
 * comes is a deadlock report. Each lane leaves `mine`; the last to arrive calls last(lanes) (lanes[l]:
 * lane l's `mine`) before any lane goes on. runtime.cpp; mma.h builds WMMA on it. */
void sf_emu_warp_sync(const char *op, unsigned mask, const void *args, size_t nargs, void *mine,
                      void (*last)(void *const *lanes));

/* a barrier among the mask's lanes of the calling warp (each must call it with the same mask) */
inline void __syncwarp(unsigned mask = 0xffffffffu) { sf_emu_warp_sync("__syncwarp", mask, NULL, 0, NULL, NULL); }

/* ---- launches ---- */

/* Runs grid x block threads of entry(ctx) and returns; a bad configuration runs nothing and
 * becomes the next cudaGetLastError (cudaErrorInvalidConfiguration), as a real launch does. */
void sf_emu_run(const char *name, dim3 grid, dim3 block, void (*entry)(void *), void *ctx);
/* What becomes of an operation on stream s (what names it in messages): SF_EMU_NOW runs it,
 * SF_EMU_RECORD adds it to the capture under way on s (sf_emu_record), SF_EMU_REFUSED drops it
 * (the error is the next cudaGetLastError and the capture is invalidated: legacy-stream work while
 * a stream captures, or an invalid stream). */
enum { SF_EMU_NOW = 0, SF_EMU_RECORD = 1, SF_EMU_REFUSED = -1 };
int sf_emu_stream_mode(const char *what, cudaStream_t s);
/* Appends run(ctx) to the capture under way; the graph owns ctx and calls destroy(ctx) when the
 * last graph holding it goes. */
void sf_emu_record(const char *what, void (*run)(void *), void *ctx, void (*destroy)(void *));
/* A pointer argument of a launch must be NULL or point into (or just past) a cudaMalloc allocation:
 * a host pointer given to a kernel is an illegal address on a GPU. Otherwise a message and abort. */
void sf_emu_check_arg(const char *name, int index, const void *p);

template <class... P> struct sf_emu_launcher {
  const char *name;
  void (*fn)(P...);
  dim3 grid, block;
  cudaStream_t stream;
  /* the arguments are converted to the kernel's parameter types and copied, as at a real launch */
  struct call {
    void (*fn)(P...);
    std::tuple<P...> args;
    static void entry(void *c) {
      call *k = static_cast<call *>(c);
      std::apply(k->fn, k->args);
    }
  };
  template <class... A> void operator()(A &&...a) const {
    static_assert(sizeof...(A) == sizeof...(P), "kernel launched with the wrong number of arguments");
    call k{fn, std::tuple<P...>(std::forward<A>(a)...)};
    check(k.args, std::index_sequence_for<P...>{});
    int mode = sf_emu_stream_mode(name, stream);
    if (mode == SF_EMU_NOW) sf_emu_run(name, grid, block, &call::entry, &k);
    else if (mode == SF_EMU_RECORD) sf_emu_record(name, &recorded::run, new recorded{name, grid, block, k}, &recorded::destroy);
  }
  /* a captured launch: its arguments as converted at the capture, run again at every replay */
  struct recorded {
    const char *name;
    dim3 grid, block;
    call k;
    static void run(void *r) {
      recorded *x = static_cast<recorded *>(r);
      sf_emu_run(x->name, x->grid, x->block, &call::entry, &x->k);
    }
    static void destroy(void *r) { delete static_cast<recorded *>(r); }
  };
  template <size_t... I> void check(const std::tuple<P...> &t, std::index_sequence<I...>) const {
    (check_one((int)I, std::get<I>(t)), ...);
  }
  template <class T> void check_one(int i, const T &v) const {
    if constexpr (std::is_pointer<T>::value) sf_emu_check_arg(name, i, (const void *)v);
  }
};

template <class... P> inline sf_emu_launcher<P...> sf_emu_launch(const char *name, void (*fn)(P...), dim3 grid,
                                                                  dim3 block, cudaStream_t stream = 0) {
  return sf_emu_launcher<P...>{name, fn, grid, block, stream};
}

#endif
