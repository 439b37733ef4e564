/* runtime.cpp (tests/cudaemu): the CUDA emulator's runtime: one emulated device, device memory as
 * checked host memory, and kernel launches.
 *
 * A launch runs its blocks one after another on the calling thread. A block's threads are
 * cooperative fibers, each on its own stack, switched by a few instructions of assembly (x86-64)
 * or swapcontext elsewhere. Threads run in line, each until it finishes or waits at a barrier
 * (__syncthreads: all threads of the block; __shfl_xor_sync, __syncwarp and the WMMA operations: the
 * mask's lanes of its warp); the last to arrive at a barrier puts the others back in line. A thread that finishes hands its stack to
 * the next one that has not started, so a kernel without barriers runs without switching. When
 * the line is empty and threads still wait, it is a deadlock (some threads exited, or took another
 * barrier): the emulator says which kernel, block and threads, and aborts, as the GPU would hang.
 *
 * The order of the threads in line changes from block to block and launch to launch (forward,
 * reversed, shuffled), and the blocks run backwards every other launch (SF_CUDAEMU_ORDER fixes
 * one order), so that a kernel whose result depends on the order its threads or blocks run in, a
 * missing barrier, gives results that differ from the CPU's or between runs, which the tests see.
 *
 * Environment: SF_CUDAEMU_DEVICES (devices reported, default 1; 0 emulates a machine without a
 * GPU), SF_CUDAEMU_MEMORY_MB (device memory, default 4096), SF_CUDAEMU_ORDER (mixed, forward,
 * reverse, shuffle).
 */
#include "cuda_runtime.h"
#include "cuda_bf16.h"
#include "mma.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define SF_EMU_ASAN 1
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#else
#define SF_EMU_ASAN 0
#endif

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

/* ==================================== the device ==================================== */

static int env_int(const char *name, int fallback) {
  const char *s = getenv(name);
  if (!s || !*s) return fallback;
  char *end;
  long v = strtol(s, &end, 10);
  return *end || v < 0 || v > 1 << 30 ? fallback : (int)v;
}

/* Devices this process sees. As with the real runtime, the first call of a process initialises CUDA,
 * and a child forked after that cannot use it: every call there fails with
 * cudaErrorInitializationError (CUDA does not survive fork), which is what sweep --jobs must avoid. */
static pid_t init_pid;
static int forked_after_init(void) {
  pid_t me = getpid();
  if (!init_pid) init_pid = me;
  return init_pid != me;
}

static int ndevices(void) { return env_int("SF_CUDAEMU_DEVICES", 1); }

static size_t total_memory(void) { return (size_t)env_int("SF_CUDAEMU_MEMORY_MB", 4096) << 20; }

static thread_local cudaError_t last_error = cudaSuccess;
static thread_local int current_device = 0;

static cudaError_t fail(cudaError_t e) {
  last_error = e;
  return e;
}

/* The stream capture under way on this thread (cudaStreamBeginCapture .. EndCapture), if any. A
 * call that a capture forbids (a synchronising copy, an allocation, waiting for the device, work
 * on the legacy stream) fails with the runtime's error and invalidates the capture, whose end
 * then fails: as the real runtime does in the global and thread-local modes.
 * Made by another thread, the same calls invalidate every capture under way (and succeed
 * themselves): CUDA invalidates the captures on a device that another thread synchronises, even in
 * the thread-local mode, which the trainer's threads must therefore keep apart (model.cu). */
struct capture_op;
struct capture_state {
  cudaStream_t stream; /* NULL: no capture */
  std::atomic<int> invalid;
  std::vector<std::shared_ptr<capture_op>> *ops;
};
static thread_local capture_state cap;
static std::mutex captures_lock;
static std::vector<capture_state *> captures; /* every thread's capture under way */

/* call (a device-synchronising call) from a thread that captures nothing: the others' captures end */
static void invalidate_others(const char *call) {
  std::lock_guard<std::mutex> g(captures_lock);
  for (capture_state *c : captures)
    if (c != &cap && !c->invalid.exchange(1))
      fprintf(stderr, "cudaemu: %s in one thread while another captures stream %p: the capture is invalidated\n", call,
              (void *)c->stream);
}

static cudaError_t capture_forbids(const char *call) {
  if (!cap.stream) {
    invalidate_others(call);
    return cudaSuccess;
  }
  fprintf(stderr, "cudaemu: %s while a stream capture is under way: not permitted (the capture is invalidated)\n",
          call);
  cap.invalid = 1;
  return fail(cudaErrorStreamCaptureUnsupported);
}

extern "C" {

cudaError_t cudaGetDeviceCount(int *count) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  int n = ndevices();
  *count = n;
  return n ? cudaSuccess : fail(cudaErrorNoDevice);
}

cudaError_t cudaSetDevice(int dev) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (dev < 0 || dev >= ndevices()) return fail(cudaErrorInvalidDevice);
  current_device = dev;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int *dev) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (!ndevices()) return fail(cudaErrorNoDevice);
  *dev = current_device;
  return cudaSuccess;
}

enum { EMU_SMS = 132, EMU_CLOCK_KHZ = 1980000 };

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int dev) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (dev < 0 || dev >= ndevices()) return fail(cudaErrorInvalidDevice);
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "scalefit CUDA emulator");
  p->totalGlobalMem = total_memory();
  p->major = 9;
  p->minor = 0;
  p->multiProcessorCount = EMU_SMS;
  p->maxThreadsPerBlock = 1024;
  p->warpSize = 32;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int dev) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (dev < 0 || dev >= ndevices()) return fail(cudaErrorInvalidDevice);
  switch (attr) {
  case cudaDevAttrMaxThreadsPerBlock: *value = 1024; return cudaSuccess;
  case cudaDevAttrClockRate: *value = EMU_CLOCK_KHZ; return cudaSuccess;
  case cudaDevAttrMultiProcessorCount: *value = EMU_SMS; return cudaSuccess;
  }
  return fail(cudaErrorInvalidValue);
}

const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
  case cudaSuccess: return "no error";
  case cudaErrorInvalidValue: return "invalid argument";
  case cudaErrorMemoryAllocation: return "out of memory";
  case cudaErrorInitializationError: return "initialization error";
  case cudaErrorInvalidConfiguration: return "invalid configuration argument";
  case cudaErrorInvalidPitchValue: return "invalid pitch argument";
  case cudaErrorInvalidDevicePointer: return "invalid device pointer";
  case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
  case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
  case cudaErrorNoDevice: return "no CUDA-capable device is detected";
  case cudaErrorInvalidDevice: return "invalid device ordinal";
  case cudaErrorLaunchFailure: return "unspecified launch failure";
  case cudaErrorInvalidResourceHandle: return "invalid resource handle";
  case cudaErrorIllegalState: return "the operation cannot be performed in the present state";
  case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
  case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
  case cudaErrorStreamCaptureImplicit:
    return "operation would make the legacy stream depend on a capturing blocking stream";
  }
  return "unrecognized error code";
}

cudaError_t cudaGetLastError(void) {
  cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError(void) { return last_error; }

/* kernels run to completion at their launch: nothing is pending */
cudaError_t cudaDeviceSynchronize(void) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (cudaError_t e = capture_forbids("cudaDeviceSynchronize")) return e;
  return ndevices() ? cudaSuccess : fail(cudaErrorNoDevice);
}

} /* extern "C" */

/* ==================================== device memory ====================================
 * Every allocation is a malloc'd block of exactly the bytes asked for (so AddressSanitizer sees its
 * bounds), filled with 0xff bytes (a NaN in every float), as fresh GPU memory holds garbage. The
 * registry checks that copies and memsets stay inside one allocation. */

static std::mutex mem_lock;
static std::map<uintptr_t, size_t> allocations; /* start -> bytes */
static size_t allocated = 0;

/* 1 if [p, p + bytes) lies inside one allocation (always for bytes 0) */
static int inside(const void *p, size_t bytes, uintptr_t *start, size_t *size) {
  uintptr_t a = (uintptr_t)p;
  auto it = allocations.upper_bound(a);
  if (it == allocations.begin()) return 0;
  --it;
  if (start) *start = it->first;
  if (size) *size = it->second;
  return a >= it->first && a - it->first <= it->second && bytes <= it->second - (a - it->first);
}

/* For the emulated cuBLAS (found with dlsym): 1 if [p, p + bytes) is inside one allocation; else 0
 * and a description of where it falls in why[n]. */
extern "C" __attribute__((visibility("default"))) int sf_cudaemu_check_range(const void *p, size_t bytes, char *why,
                                                                            size_t n) {
  std::lock_guard<std::mutex> g(mem_lock);
  uintptr_t s = 0;
  size_t sz = 0;
  if (!bytes || inside(p, bytes, &s, &sz)) return 1;
  if (why && n) {
    if (sz && (uintptr_t)p >= s && (uintptr_t)p - s < sz)
      snprintf(why, n, "bytes %zu..%zu of an allocation of %zu bytes", (size_t)((uintptr_t)p - s),
               (size_t)((uintptr_t)p - s) + bytes, sz);
    else snprintf(why, n, "%zu bytes at %p, not in any cudaMalloc allocation", bytes, p);
  }
  return 0;
}

void sf_emu_check_arg(const char *name, int index, const void *p) {
  if (!p) return;
  std::lock_guard<std::mutex> g(mem_lock);
  if (inside(p, 0, NULL, NULL)) return;
  fprintf(stderr,
          "cudaemu: kernel '%s': argument %d (%p) points outside every cudaMalloc allocation (a host pointer? on a "
          "GPU: an illegal address)\n",
          name, index + 1, p);
  abort();
}

static cudaError_t range_error(const char *call, const char *what, const void *p, size_t bytes) {
  char why[160];
  if (!sf_cudaemu_check_range(p, bytes, why, sizeof why)) {
    fprintf(stderr, "cudaemu: %s: the %s range is %s\n", call, what, why);
    return fail(cudaErrorInvalidValue);
  }
  return cudaSuccess;
}

extern "C" {

cudaError_t cudaMalloc(void **p, size_t bytes) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  *p = NULL;
  if (cudaError_t e = capture_forbids("cudaMalloc")) return e;
  if (!ndevices()) return fail(cudaErrorNoDevice);
  if (!bytes) return cudaSuccess;
  std::lock_guard<std::mutex> g(mem_lock);
  if (bytes > total_memory() - allocated) return fail(cudaErrorMemoryAllocation);
  void *q = NULL;
  if (posix_memalign(&q, 256, bytes) != 0) return fail(cudaErrorMemoryAllocation);
  memset(q, 0xff, bytes);
  allocations[(uintptr_t)q] = bytes;
  allocated += bytes;
  *p = q;
  return cudaSuccess;
}

cudaError_t cudaFree(void *p) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (cudaError_t e = capture_forbids("cudaFree")) return e;
  if (!p) return cudaSuccess;
  std::lock_guard<std::mutex> g(mem_lock);
  auto it = allocations.find((uintptr_t)p);
  if (it == allocations.end()) {
    fprintf(stderr, "cudaemu: cudaFree(%p): not the start of a cudaMalloc allocation\n", p);
    return fail(cudaErrorInvalidValue);
  }
  allocated -= it->second;
  allocations.erase(it);
  free(p);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (!ndevices()) return fail(cudaErrorNoDevice);
  std::lock_guard<std::mutex> g(mem_lock);
  *total_bytes = total_memory();
  *free_bytes = *total_bytes - allocated;
  return cudaSuccess;
}

/* the copy itself, checked (cudaMemcpy, cudaMemcpyAsync) */
static cudaError_t copy(const char *call, void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (cudaError_t e = capture_forbids("cudaMemcpy")) return e;
  return copy("cudaMemcpy", dst, src, bytes, kind);
}

static cudaError_t copy(const char *call, void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  if (!bytes) return cudaSuccess;
  int dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  int src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind == cudaMemcpyDefault) {
    std::lock_guard<std::mutex> g(mem_lock);
    dst_dev = inside(dst, 1, NULL, NULL);
    src_dev = inside(src, 1, NULL, NULL);
  } else if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) {
    return fail(cudaErrorInvalidMemcpyDirection);
  }
  cudaError_t e;
  if (dst_dev && (e = range_error(call, "destination", dst, bytes))) return e;
  if (src_dev && (e = range_error(call, "source", src, bytes))) return e;
  memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpy2D(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height,
                         cudaMemcpyKind kind) {
  if (width > dpitch || width > spitch) return fail(cudaErrorInvalidPitchValue);
  for (size_t r = 0; r < height; r++) { /* row by row: each row's range checked as cudaMemcpy checks it */
    cudaError_t e = cudaMemcpy((char *)dst + r * dpitch, (const char *)src + r * spitch, width, kind);
    if (e) return e;
  }
  return cudaSuccess;
}

cudaError_t cudaMemset(void *p, int value, size_t bytes) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (cudaError_t e = capture_forbids("cudaMemset")) return e;
  if (!bytes) return cudaSuccess;
  cudaError_t e = range_error("cudaMemset", "destination", p, bytes);
  if (e) return e;
  memset(p, value, bytes);
  return cudaSuccess;
}

} /* extern "C" */

/* ==================================== fibers ==================================== */

#if defined(__x86_64__)
/* Saves the callee-saved registers on the current stack, stores the stack pointer in *save and
 * continues on the stack `to` (as saved by an earlier switch, or made by run_fiber). The FP control
 * words (MXCSR, x87) are not switched: nothing in the emulator or the kernels changes them. */
extern "C" void sf_emu_switch(void **save, void *to);
__asm__(".text\n"
        ".globl sf_emu_switch\n"
        ".hidden sf_emu_switch\n"
        ".type sf_emu_switch,@function\n"
        "sf_emu_switch:\n"
        "  pushq %rbp\n"
        "  pushq %rbx\n"
        "  pushq %r12\n"
        "  pushq %r13\n"
        "  pushq %r14\n"
        "  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n"
        "  popq %r14\n"
        "  popq %r13\n"
        "  popq %r12\n"
        "  popq %rbx\n"
        "  popq %rbp\n"
        "  ret\n"
        ".size sf_emu_switch, .-sf_emu_switch\n");
#endif

namespace {

enum fstate { F_NEW, F_RUNNABLE, F_WAIT_BLOCK, F_WAIT_WARP, F_DONE };

/* a thread of the block, or the scheduler's own context */
struct fiber {
  uint3 tid;
  int lin; /* linear index in the block: warp lin / 32, lane lin % 32 */
  fstate state;
  unsigned wmask;  /* the mask of the warp barrier it waits at */
  const char *wop; /* and that barrier's name (__shfl_xor_sync, __syncwarp, wmma::mma_sync, ...) */
  char *stack;
#if defined(__x86_64__)
  void *sp;
#else
  ucontext_t uc;
#endif
  void *asan_fake;
};

/* lanes of a warp waiting at one warp barrier (a warp may have several, with disjoint masks) */
struct wgroup {
  unsigned arrived;       /* lanes waiting */
  unsigned mask;          /* the mask the first of them gave */
  const char *op;         /* the barrier they wait at */
  unsigned char args[32]; /* and the arguments the first gave, which every lane must repeat */
  size_t nargs;
};

struct warp {
  int ngroups;
  wgroup g[32];
  uint64_t in[32], out[32]; /* a shuffle's values: deposited, and received (set by the last lane) */
  int src[32];              /* the lane each lane reads in a shuffle */
  void *lanes[32];          /* each lane's data for a collective (sf_emu_warp_sync) */
};

struct scheduler {
  const char *name;
  void (*entry)(void *);
  void *ctx;
  int nthreads, nwarps;
  std::vector<fiber> f;
  std::vector<warp> w;
  std::vector<int> order; /* the block's threads in this launch's order */
  int mode;               /* this block's thread order: 0 forward, 1 reverse, 2 shuffled */
  std::vector<int> q;     /* ring of runnable threads */
  size_t qhead, qlen;
  std::vector<char *> free_stacks;
  char *zombie; /* the stack of a thread that just exited, reused once nothing runs on it */
  int cur;      /* the running thread; -1: the scheduler */
  int at_block_barrier, done;
  unsigned long launch; /* this launch's number: seeds the WMMA fragment mappings */
  fiber sched;
  int from_sched; /* the last switch left the scheduler */
  const void *sched_bottom;
  size_t sched_size;
};

scheduler S = {};

/* SF_CUDAEMU_STATS=1: per kernel, launches, threads run and waits at barriers, printed at exit */
struct kstats {
  unsigned long long launches, threads, waits;
};
std::map<std::string, kstats> *stats;
kstats *kst;
kstats no_stats;

void print_stats() {
  fprintf(stderr, "cudaemu: %-28s %10s %14s %14s\n", "kernel", "launches", "threads", "barrier waits");
  for (auto &e : *stats)
    fprintf(stderr, "cudaemu: %-28s %10llu %14llu %14llu\n", e.first.c_str(), e.second.launches, e.second.threads,
            e.second.waits);
}
std::mutex launch_lock;
unsigned long launches;

/* Fiber stacks: big enough for the kernels' frames and a message. With AddressSanitizer (frames
 * several times larger), separate mappings with a guard page below each. Otherwise 16 KiB each from
 * one arena on huge pages, so that switching among a block's threads does not miss the TLB at every
 * switch (a third of the time of a wait at a barrier), with a canary at the bottom of each, checked
 * whenever a thread finishes on it. */
const size_t STACK_BYTES = SF_EMU_ASAN ? 256 * 1024 : 16 * 1024;
const size_t ARENA_STACKS = 1100; /* a block's 1024 threads, and spares */
const uint64_t CANARY = 0x5cf1c0de5cf1c0deull;

[[noreturn]] void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "cudaemu: kernel '%s', block (%u, %u, %u): ", S.name, blockIdx.x, blockIdx.y, blockIdx.z);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  abort();
}

char *new_stack() {
  char *s = NULL;
#if !SF_EMU_ASAN
  static char *arena;
  static size_t used;
  const size_t huge = 2u << 20;
  if (!arena) {
    size_t bytes = ARENA_STACKS * STACK_BYTES;
    void *m = mmap(NULL, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
      arena = (char *)(((uintptr_t)m + huge - 1) & ~(uintptr_t)(huge - 1));
      madvise(arena, bytes, MADV_HUGEPAGE); /* advice: without huge pages it still works */
    } else {
      used = ARENA_STACKS;
    }
  }
  if (used < ARENA_STACKS) s = arena + used++ * STACK_BYTES;
#endif
  if (!s) {
    long page = sysconf(_SC_PAGESIZE);
    void *m = mmap(NULL, STACK_BYTES + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      fprintf(stderr, "cudaemu: cannot map a fiber stack: %s\n", strerror(errno));
      abort();
    }
    mprotect(m, (size_t)page, PROT_NONE); /* a guard page below the stack: an overflow faults */
    s = (char *)m + page;
  }
  for (int k = 0; k < 8; k++) memcpy(s + 8 * k, &CANARY, 8);
  return s;
}

/* a stack a thread finished on: its canary intact */
void check_stack(const char *s) {
  for (int k = 0; k < 8; k++)
    if (memcmp(s + 8 * k, &CANARY, 8) != 0) die("a thread overflowed its fiber stack of %zu bytes", STACK_BYTES);
}

char *get_stack() {
  if (!S.free_stacks.empty()) {
    char *s = S.free_stacks.back();
    S.free_stacks.pop_back();
#if SF_EMU_ASAN
    /* the frames that never returned (fiber_main, run_next of the thread that exited last on it) left
     * poisoned shadow at the top; every deeper frame returned, unpoisoning its own */
    ASAN_UNPOISON_MEMORY_REGION(s + STACK_BYTES - 16384, 16384);
#endif
    return s;
  }
  return new_stack();
}

void reap() {
  if (S.zombie) {
    check_stack(S.zombie);
    S.free_stacks.push_back(S.zombie);
    S.zombie = NULL;
  }
}

void push(int i) {
  size_t k = S.qhead + S.qlen++;
  S.q[k < (size_t)S.nthreads ? k : k - (size_t)S.nthreads] = i;
}

extern "C" void fiber_main(void);

/* a fresh thread's stack, made to start in fiber_main */
void prepare(fiber &x) {
  x.stack = get_stack();
#if defined(__x86_64__)
  /* a frame for sf_emu_switch to return from into fiber_main, as if called: 6 saved registers
   * (r15 .. rbp), fiber_main's address, a null return address above it */
  uintptr_t top = ((uintptr_t)x.stack + STACK_BYTES) & ~(uintptr_t)15;
  uint64_t *sp = (uint64_t *)(top - 64);
  for (int k = 0; k < 6; k++) sp[k] = 0;
  sp[6] = (uint64_t)(uintptr_t)&fiber_main;
  sp[7] = 0;
  x.sp = sp;
#else
  getcontext(&x.uc);
  x.uc.uc_stack.ss_sp = x.stack;
  x.uc.uc_stack.ss_size = STACK_BYTES;
  x.uc.uc_link = NULL;
  makecontext(&x.uc, (void (*)(void))fiber_main, 0);
#endif
}

/* Leaves `from` (waiting, or for good when exiting) for the next runnable thread, or for the
 * scheduler when none is left; returns when something switches back to `from`. */
void run_next(fiber &from, int exiting) {
  fiber *to = &S.sched;
  S.cur = -1;
  if (S.qlen) {
    int i = S.q[S.qhead];
    if (++S.qhead == (size_t)S.nthreads) S.qhead = 0;
    S.qlen--;
    to = &S.f[(size_t)i];
    if (to->state == F_NEW) prepare(*to);
    to->state = F_RUNNABLE;
    S.cur = i;
    threadIdx = to->tid;
    if (to == &from) return; /* it was next in line itself */
  }
  S.from_sched = &from == &S.sched;
  kst->waits += !exiting && !S.from_sched;
#if SF_EMU_ASAN
  __sanitizer_start_switch_fiber(exiting ? NULL : &from.asan_fake, to == &S.sched ? S.sched_bottom : to->stack,
                                 to == &S.sched ? S.sched_size : STACK_BYTES);
#else
  (void)exiting;
#endif
#if defined(__x86_64__)
  sf_emu_switch(&from.sp, to->sp);
#else
  swapcontext(&from.uc, &to->uc);
#endif
#if SF_EMU_ASAN
  __sanitizer_finish_switch_fiber(from.asan_fake, NULL, NULL);
#endif
  reap();
}

/* A stack's life: it starts a thread; when the thread finishes and the next in line has not started
 * yet, that one runs here too, with no switch (so a kernel without barriers switches once per
 * block); otherwise the stack is left for reuse and the next thread resumed. */
extern "C" void fiber_main(void) {
#if SF_EMU_ASAN
  const void *bottom;
  size_t size;
  __sanitizer_finish_switch_fiber(NULL, &bottom, &size);
  if (S.from_sched) { /* learn the scheduler's stack, to switch back to it */
    S.sched_bottom = bottom;
    S.sched_size = size;
  }
#endif
  reap();
  for (;;) {
    S.entry(S.ctx);
    fiber &me = S.f[(size_t)S.cur];
    me.state = F_DONE;
    S.done++;
    if (S.qlen && S.f[(size_t)S.q[S.qhead]].state == F_NEW) {
      int i = S.q[S.qhead];
      if (++S.qhead == (size_t)S.nthreads) S.qhead = 0;
      S.qlen--;
      fiber &x = S.f[(size_t)i];
      check_stack(me.stack);
      x.stack = me.stack;
      me.stack = NULL;
      x.state = F_RUNNABLE;
      S.cur = i;
      threadIdx = x.tid;
      continue;
    }
    S.zombie = me.stack;
    me.stack = NULL;
    run_next(me, 1);
    abort(); /* not reached: a finished thread is never resumed */
  }
}

const char *state_name(fstate s) {
  switch (s) {
  case F_NEW:
  case F_RUNNABLE: return "runnable";
  case F_WAIT_BLOCK: return "at __syncthreads";
  case F_WAIT_WARP: return "at a warp barrier";
  case F_DONE: return "exited";
  }
  return "?";
}

/* Nothing can run, threads still wait: say who waits where, then abort. */
[[noreturn]] void deadlock() {
  char buf[2048];
  size_t o = 0;
  buf[0] = 0;
  for (int t = 0; t < S.nthreads && o < sizeof buf - 100;) {
    int u = t;
    const fiber &x = S.f[(size_t)t];
    while (u + 1 < S.nthreads && S.f[(size_t)u + 1].state == x.state && S.f[(size_t)u + 1].wmask == x.wmask &&
           S.f[(size_t)u + 1].wop == x.wop)
      u++;
    if (x.state == F_WAIT_WARP)
      o += (size_t)snprintf(buf + o, sizeof buf - o, "\n  threads %d..%d at %s (mask 0x%08x)", t, u, x.wop, x.wmask);
    else o += (size_t)snprintf(buf + o, sizeof buf - o, "\n  threads %d..%d %s", t, u, state_name(x.state));
    t = u + 1;
  }
  die("deadlock: %d of %d threads wait at a barrier that the others will never reach (on a GPU: a hang "
      "or undefined behaviour):%s",
      S.nthreads - S.done, S.nthreads, buf);
}

void run_block() {
  S.done = 0;
  S.at_block_barrier = 0;
  for (int t = 0; t < S.nthreads; t++) {
    fiber &x = S.f[(size_t)t];
    x.state = F_NEW;
    x.wmask = 0;
    x.wop = NULL;
  }
  for (warp &w : S.w) w.ngroups = 0;
  S.qhead = 0;
  S.qlen = 0;
  for (int t : S.order) push(t);
  run_next(S.sched, 0); /* back when no thread can run */
  if (S.done != S.nthreads) deadlock();
}

/* The thread order: SF_CUDAEMU_ORDER fixes one for every block (0 forward, 1 reverse, 2 shuffle);
 * by default (-1) it changes from block to block and from launch to launch. */
int order_mode(void) {
  static int m = -2;
  if (m == -2) {
    const char *e = getenv("SF_CUDAEMU_ORDER");
    m = !e ? -1 : !strcmp(e, "forward") ? 0 : !strcmp(e, "reverse") ? 1 : !strcmp(e, "shuffle") ? 2 : -1;
  }
  return m;
}

/* the order of the threads of block b of launch k: S.order, S.mode */
void make_order(int n, unsigned long k, unsigned long long b) {
  int m = order_mode() >= 0 ? order_mode() : (int)((k + b) % 3);
  if ((size_t)n != S.order.size() || m != S.mode || m == 2) {
    S.order.resize((size_t)n);
    for (int i = 0; i < n; i++) S.order[(size_t)i] = m == 1 ? n - 1 - i : i;
  }
  if (m == 2) { /* a permutation of its own for every block */
    uint64_t r = 0x9e3779b97f4a7c15ull * (k + 1) ^ (b + 1) * 0xbf58476d1ce4e5b9ull;
    for (int i = n - 1; i > 0; i--) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      int j = (int)(r % (uint64_t)(i + 1));
      int t = S.order[(size_t)i];
      S.order[(size_t)i] = S.order[(size_t)j];
      S.order[(size_t)j] = t;
    }
  }
  S.mode = m;
}

fiber &current(const char *what) {
  if (S.cur < 0 || (size_t)S.cur >= S.f.size()) {
    fprintf(stderr, "cudaemu: %s called outside a kernel\n", what);
    abort();
  }
  return S.f[(size_t)S.cur];
}

} /* namespace */

/* ==================================== device functions ==================================== */

/* The last thread to arrive opens the barrier and goes on, the others in line behind it; in a
 * shuffled block it takes its place in the line too (so that which thread runs first after a
 * barrier is not always the last to arrive). */
void __syncthreads(void) {
  fiber &me = current("__syncthreads");
  me.state = F_WAIT_BLOCK;
  if (++S.at_block_barrier == S.nthreads) {
    for (int t : S.order)
      if (S.f[(size_t)t].state == F_WAIT_BLOCK && (S.mode == 2 || t != me.lin)) {
        S.f[(size_t)t].state = F_RUNNABLE;
        push(t);
      }
    S.at_block_barrier = 0;
    if (S.mode != 2) {
      me.state = F_RUNNABLE;
      return;
    }
  }
  run_next(me, 0);
}

namespace {

/* A lane arriving at warp barrier `op` with mask: the mask must name its own lane and only lanes its
 * warp has. It joins the lanes waiting with the same mask, which must wait at the same operation with
 * the same arguments, or starts a group of its own. Groups with different masks may wait at once
 * (lanes 0..15 at __syncwarp(0xffff), 16..31 at __syncwarp(0xffffffff) are fine: the first group
 * completes, then joins the second), but a lane that another group waits for while that group holds
 * lanes this one waits for closes a cycle: a certain deadlock, reported at once. Other mismatches
 * end as the deadlock report when nothing can run. Returns the lane's group. */
__attribute__((always_inline)) inline wgroup &warp_enter(fiber &me, warp &w, const char *op, unsigned mask, const void *args, size_t nargs) {
  int lane = me.lin % 32, base = me.lin / 32 * 32;
  int lanes = S.nthreads - base < 32 ? S.nthreads - base : 32;
  if (!(mask >> lane & 1u)) die("thread %d: %s mask 0x%08x lacks its own lane %d", me.lin, op, mask, lane);
  if (lanes < 32 && mask >> lanes)
    die("thread %d: %s mask 0x%08x names lanes that its warp (of %d threads) lacks", me.lin, op, mask, lanes);
  if (nargs > sizeof(((wgroup *)0)->args)) die("thread %d: %s: %zu bytes of arguments (the emulator's bug)", me.lin, op, nargs);
  wgroup *mine = NULL;
  for (int k = 0; k < w.ngroups; k++) {
    wgroup &g = w.g[k];
    if (g.mask == mask) {
      if (g.op != op && strcmp(g.op, op) != 0)
        die("thread %d: %s, while lanes 0x%08x of its warp wait at %s with the same mask 0x%08x (every lane of the "
            "mask must reach the same warp operation)",
            me.lin, op, g.arrived, g.op, mask);
      if (g.nargs != nargs || (nargs && memcmp(g.args, args, nargs) != 0))
        die("thread %d: %s with arguments (pointer, ldm, layout, fragment type) other than its warp's other lanes "
            "gave: they must be the same in every lane",
            me.lin, op);
      mine = &g;
    } else if ((g.mask >> lane & 1u) && (g.arrived & mask)) {
      die("thread %d: %s mask 0x%08x waits for lanes 0x%08x, which wait for it at %s with mask 0x%08x (every lane "
          "of a mask must call with that mask)",
          me.lin, op, mask, g.arrived & mask, g.op, g.mask);
    }
  }
  if (mine) return *mine;
  wgroup &g = w.g[w.ngroups++]; /* at most 32: every group holds a lane, no lane is in two */
  g.arrived = 0;
  g.op = op;
  g.mask = mask;
  g.nargs = nargs;
  if (nargs) memcpy(g.args, args, nargs);
  return g;
}

/* 1 if the calling lane is the last its group waits for */
inline int warp_last(const wgroup &g, int lane) { return (g.arrived | 1u << lane) == g.mask; }

/* The lane waits until the last lane of its group arrives; the last goes on at once, the others in
 * line behind it, and the group is gone. */
__attribute__((always_inline)) inline void warp_arrive(fiber &me, warp &w, wgroup &g, const char *op) {
  int lane = me.lin % 32, base = me.lin / 32 * 32;
  int lanes = S.nthreads - base < 32 ? S.nthreads - base : 32;
  unsigned mask = g.mask;
  g.arrived |= 1u << lane;
  if (g.arrived == mask) {
    for (int k = 0; k < lanes; k++) {
      int l = S.mode ? lanes - 1 - k : k;
      if (l != lane && (mask >> l & 1u)) {
        S.f[(size_t)(base + l)].state = F_RUNNABLE;
        S.f[(size_t)(base + l)].wmask = 0;
        S.f[(size_t)(base + l)].wop = NULL;
        push(base + l);
      }
    }
    if (&g != &w.g[--w.ngroups]) g = w.g[w.ngroups];
  } else {
    me.state = F_WAIT_WARP;
    me.wmask = mask;
    me.wop = op;
    run_next(me, 0);
  }
}

} /* namespace */

uint64_t sf_emu_shfl_xor(unsigned mask, uint64_t bits, int lane_mask, int width) {
  const char *op = "__shfl_xor_sync";
  fiber &me = current(op);
  int lane = me.lin % 32;
  if (width < 1 || width > 32 || (width & (width - 1)))
    die("thread %d: __shfl_xor_sync width %d is not a power of 2 up to 32", me.lin, width);
  warp &w = S.w[(size_t)(me.lin / 32)];
  wgroup &g = warp_enter(me, w, op, mask, NULL, 0);
  int src = lane ^ lane_mask;
  if (src / width != lane / width) src = lane; /* outside the segment: own value, as the hardware */
  if (!(mask >> src & 1u))
    die("thread %d: __shfl_xor_sync reads lane %d, which is not in mask 0x%08x", me.lin, src, mask);
  w.in[lane] = bits;
  w.src[lane] = src;
  /* the last lane hands out every lane's value: out[l] stays until lane l has read it, since it
   * cannot join another exchange before */
  if (warp_last(g, lane))
    for (int l = 0; l < 32; l++)
      if (mask >> l & 1u) w.out[l] = w.in[w.src[l]];
  warp_arrive(me, w, g, op);
  return w.out[lane];
}

void sf_emu_warp_sync(const char *op, unsigned mask, const void *args, size_t nargs, void *mine,
                      void (*last)(void *const *lanes)) {
  fiber &me = current(op);
  int lane = me.lin % 32;
  warp &w = S.w[(size_t)(me.lin / 32)];
  wgroup &g = warp_enter(me, w, op, mask, args, nargs);
  w.lanes[lane] = mine;
  if (last && warp_last(g, lane)) last(w.lanes);
  warp_arrive(me, w, g, op);
}

/* ==================================== WMMA (mma.h) ====================================
 * A fragment's x[i] in lane l holds element map[l * 8 + i] (row * 16 + col) of the 16 x 16 tile: a
 * permutation drawn afresh for every launch and every fragment kind, so not the hardware's, and a
 * kernel that assumes any mapping gets wrong results, while fragments of one kind share theirs
 * within a launch (element-wise work between them is right). */

namespace {

const char *const wmma_kind_name[SF_WMMA_KINDS] = {"matrix_a row_major", "matrix_a col_major", "matrix_b row_major",
                                                   "matrix_b col_major", "accumulator"};

const uint8_t *wmma_map(int kind) {
  static uint8_t maps[SF_WMMA_KINDS][256];
  static unsigned long made[SF_WMMA_KINDS]; /* the launch number + 1 each was drawn for */
  if (made[kind] != S.launch + 1) {
    uint8_t *m = maps[kind];
    for (int i = 0; i < 256; i++) m[i] = (uint8_t)i;
    uint64_t r = 0x9e3779b97f4a7c15ull * (S.launch + 1) ^ (uint64_t)(kind + 1) * 0xd6e8feb86659fd93ull;
    for (int i = 255; i > 0; i--) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      int j = (int)(r % (uint64_t)(i + 1));
      uint8_t t = m[i];
      m[i] = m[j];
      m[j] = t;
    }
    made[kind] = S.launch + 1;
  }
  return maps[kind];
}

/* what every lane of a WMMA load or store must give alike (no padding: compared as bytes) */
struct wmma_args {
  uint64_t p;
  uint32_t ldm;
  int32_t kind;
  int32_t col_major; /* the memory layout */
  int32_t zero;
};

/* The hardware's constraints on a load or store of the 16 x 16 tile at p: p 256-bit aligned, ldm a
 * multiple of 8 (bf16) or 4 (float) elements (16 bytes either way), and, where p is in device memory,
 * the tile inside that allocation. Shared and local memory (not cudaMalloc'd) are left to
 * AddressSanitizer. A store with ldm < 16 would write elements over each other. */
void wmma_check(fiber &me, const char *op, int kind, const void *p, unsigned ldm, int store) {
  size_t es = kind == SF_WMMA_ACC ? 4 : 2;
  const char *tname = es == 4 ? "float" : "__nv_bfloat16";
  if ((uintptr_t)p % 32)
    die("thread %d: %s (%s) at %p: the pointer is not 256-bit (32-byte) aligned", me.lin, op, wmma_kind_name[kind], p);
  if (ldm % (es == 4 ? 4u : 8u))
    die("thread %d: %s (%s): ldm %u is not a multiple of %u (%s elements)", me.lin, op, wmma_kind_name[kind], ldm,
        es == 4 ? 4u : 8u, tname);
  if (store && ldm < 16) die("thread %d: %s: ldm %u is below 16, the tile's rows overlap", me.lin, op, ldm);
  size_t bytes = (15 * (size_t)ldm + 16) * es;
  std::lock_guard<std::mutex> g(mem_lock);
  uintptr_t a = (uintptr_t)p;
  auto it = allocations.upper_bound(a);
  if (it == allocations.begin()) return;
  --it;
  if (a - it->first >= it->second) return; /* not device memory */
  if (bytes > it->second - (a - it->first))
    die("thread %d: %s (%s, ldm %u) %s bytes %zu..%zu of an allocation of %zu bytes", me.lin, op, wmma_kind_name[kind],
        ldm, store ? "writes" : "reads", (size_t)(a - it->first), (size_t)(a - it->first) + bytes, it->second);
}

/* element (r, c) of the tile at p in memory */
inline size_t wmma_offset(int pos, unsigned ldm, int col_major) {
  int r = pos / 16, c = pos % 16;
  return col_major ? (size_t)c * ldm + (size_t)r : (size_t)r * ldm + (size_t)c;
}

struct mma_lane {
  float *d;
  const __nv_bfloat16 *a, *b;
  const float *c;
  int ka, kb;
};

/* run by the last lane to reach mma_sync, the others waiting: D = A B + C over the warp's fragments,
 * in fp32 (bf16 products are exact there), k ascending */
void mma_all(void *const *lanes) {
  const mma_lane *l0 = (const mma_lane *)lanes[0];
  const uint8_t *ma = wmma_map(l0->ka), *mb = wmma_map(l0->kb), *mc = wmma_map(SF_WMMA_ACC);
  float A[256], B[256], C[256];
  for (int l = 0; l < 32; l++) {
    const mma_lane *x = (const mma_lane *)lanes[l];
    for (int i = 0; i < 8; i++) {
      A[ma[l * 8 + i]] = __bfloat162float(x->a[i]);
      B[mb[l * 8 + i]] = __bfloat162float(x->b[i]);
      C[mc[l * 8 + i]] = x->c[i];
    }
  }
  float D[256];
  for (int r = 0; r < 16; r++)
    for (int c = 0; c < 16; c++) {
      float s = C[r * 16 + c];
      for (int k = 0; k < 16; k++) s += A[r * 16 + k] * B[k * 16 + c];
      D[r * 16 + c] = s;
    }
  for (int l = 0; l < 32; l++) {
    const mma_lane *x = (const mma_lane *)lanes[l];
    for (int i = 0; i < 8; i++) x->d[i] = D[mc[l * 8 + i]];
  }
}

} /* namespace */

/* A lane reads its own elements when it calls (so memory another lane wrote without a __syncwarp or
 * __syncthreads since may be read stale), then waits for the warp. */
void sf_emu_wmma_load(int kind, void *x, const void *p, unsigned ldm, int col_major) {
  const char *op = "wmma::load_matrix_sync";
  fiber &me = current(op);
  wmma_check(me, op, kind, p, ldm, 0);
  size_t es = kind == SF_WMMA_ACC ? 4 : 2;
  const uint8_t *m = wmma_map(kind) + me.lin % 32 * 8;
  for (int i = 0; i < 8; i++) memcpy((char *)x + i * es, (const char *)p + wmma_offset(m[i], ldm, col_major) * es, es);
  wmma_args a = {(uint64_t)(uintptr_t)p, ldm, kind, col_major, 0};
  sf_emu_warp_sync(op, 0xffffffffu, &a, sizeof a, NULL, NULL);
}

/* The warp meets first; then each lane writes its own elements as it goes on (so another lane's
 * elements are not yet there without a __syncwarp or __syncthreads after the store). */
void sf_emu_wmma_store(float *p, const float *x, unsigned ldm, int col_major) {
  const char *op = "wmma::store_matrix_sync";
  fiber &me = current(op);
  wmma_check(me, op, SF_WMMA_ACC, p, ldm, 1);
  wmma_args a = {(uint64_t)(uintptr_t)p, ldm, SF_WMMA_ACC, col_major, 0};
  sf_emu_warp_sync(op, 0xffffffffu, &a, sizeof a, NULL, NULL);
  const uint8_t *m = wmma_map(SF_WMMA_ACC) + me.lin % 32 * 8;
  for (int i = 0; i < 8; i++) p[wmma_offset(m[i], ldm, col_major)] = x[i];
}

void sf_emu_wmma_mma(float *d, int ka, const __nv_bfloat16 *a, int kb, const __nv_bfloat16 *b, const float *c) {
  mma_lane mine = {d, a, b, c, ka, kb};
  int32_t kinds[2] = {ka, kb};
  sf_emu_warp_sync("wmma::mma_sync", 0xffffffffu, kinds, sizeof kinds, &mine, mma_all);
}

/* ==================================== launches ==================================== */

void sf_emu_run(const char *name, dim3 grid, dim3 block, void (*entry)(void *), void *ctx) {
  unsigned long long nt = (unsigned long long)block.x * block.y * block.z;
  if (forked_after_init()) {
    fail(cudaErrorInitializationError);
    return;
  }
  if (!ndevices()) {
    fail(cudaErrorNoDevice);
    return;
  }
  if (nt == 0 || nt > 1024 || block.x > 1024 || block.y > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 ||
      grid.z == 0 || grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) {
    fail(cudaErrorInvalidConfiguration);
    return;
  }
  std::lock_guard<std::mutex> g(launch_lock);
  S.name = name;
  S.entry = entry;
  S.ctx = ctx;
  S.nthreads = (int)nt;
  S.nwarps = (S.nthreads + 31) / 32;
  S.f.resize((size_t)S.nthreads);
  S.w.resize((size_t)S.nwarps);
  S.q.resize((size_t)S.nthreads);
  for (int t = 0; t < S.nthreads; t++) {
    fiber &x = S.f[(size_t)t];
    x.lin = t;
    x.tid.x = (unsigned)t % block.x;
    x.tid.y = (unsigned)t / block.x % block.y;
    x.tid.z = (unsigned)t / (block.x * block.y);
    x.stack = NULL;
    x.asan_fake = NULL;
  }
  unsigned long k = launches++;
  S.launch = k;
  S.mode = -1;
  if (!stats && getenv("SF_CUDAEMU_STATS")) {
    stats = new std::map<std::string, kstats>;
    atexit(print_stats);
  }
  kst = stats ? &(*stats)[name] : &no_stats;
  kst->launches++;
  kst->threads += nt * grid.x * grid.y * grid.z;
  gridDim = grid;
  blockDim = block;
  unsigned long long nb = (unsigned long long)grid.x * grid.y * grid.z;
  for (unsigned long long b = 0; b < nb; b++) {
    /* blocks backwards every other launch (all of them under a fixed order other than forward) */
    unsigned long long q = (order_mode() < 0 ? k % 2 : order_mode() != 0) ? nb - 1 - b : b;
    make_order(S.nthreads, k, b);
    blockIdx.x = (unsigned)(q % grid.x);
    blockIdx.y = (unsigned)(q / grid.x % grid.y);
    blockIdx.z = (unsigned)(q / ((unsigned long long)grid.x * grid.y));
    run_block();
  }
  S.cur = -1;
}

/* ==================================== streams and graphs ====================================
 * Every operation runs when it is called, so a stream only orders work that has already finished:
 * the asynchronous calls are their synchronous selves. Streams matter to capture: between
 * cudaStreamBeginCapture(s) and cudaStreamEndCapture(s), kernel launches, memsets and cuBLAS calls
 * on s are recorded, not run (their arguments checked and copied as at a real launch), and
 * cudaGraphLaunch runs the record again, in order, each time. What a capture forbids fails as
 * capture_forbids says: synchronising calls, allocations, a copy on the capturing stream (a copy
 * node: the trainer keeps its copies outside its graph, so the emulator does not record them), and
 * work on the legacy stream (cudaErrorStreamCaptureImplicit: it would wait for the capture). */

struct capture_op {
  const char *what;
  void (*run)(void *);
  void *ctx;
  void (*destroy)(void *);
  ~capture_op() {
    if (destroy) destroy(ctx);
  }
};
struct CUgraph_st {
  std::vector<std::shared_ptr<capture_op>> ops;
};
struct CUgraphExec_st {
  std::vector<std::shared_ptr<capture_op>> ops;
};

static int legacy(cudaStream_t s) { return s == NULL || s == cudaStreamLegacy; }

int sf_emu_stream_mode(const char *what, cudaStream_t s) {
  if (!legacy(s) && s != cudaStreamPerThread) {
    fprintf(stderr, "cudaemu: %s on stream %p: not a stream (the emulator knows 0, cudaStreamLegacy and "
            "cudaStreamPerThread)\n", what, (void *)s);
    fail(cudaErrorInvalidResourceHandle);
    return SF_EMU_REFUSED;
  }
  if (!cap.stream) {
    if (legacy(s)) invalidate_others(what); /* the legacy stream would wait for the capturing stream */
    return SF_EMU_NOW;
  }
  if (s == cap.stream) return SF_EMU_RECORD;
  if (legacy(s)) {
    fprintf(stderr, "cudaemu: %s on the legacy stream while stream %p captures: not permitted (the capture is "
            "invalidated)\n", what, (void *)cap.stream);
    cap.invalid = 1;
    fail(cudaErrorStreamCaptureImplicit);
    return SF_EMU_REFUSED;
  }
  return SF_EMU_NOW;
}

void sf_emu_record(const char *what, void (*run)(void *), void *ctx, void (*destroy)(void *)) {
  auto op = std::make_shared<capture_op>();
  op->what = what;
  op->run = run;
  op->ctx = ctx;
  op->destroy = destroy;
  cap.ops->push_back(op);
}

/* For the emulated cuBLAS (found with dlsym): where a call on stream s goes (sf_emu_stream_mode);
 * when SF_EMU_RECORD, run(ctx) has been recorded (and the graph owns ctx). */
extern "C" __attribute__((visibility("default"))) int sf_cudaemu_capture(const char *what, cudaStream_t s,
                                                                        void (*run)(void *), void *ctx,
                                                                        void (*destroy)(void *)) {
  int mode = sf_emu_stream_mode(what, s);
  if (mode == SF_EMU_RECORD) sf_emu_record(what, run, ctx, destroy);
  return mode;
}

/* For the emulated cuBLAS: 1 when a call on stream s now would be recorded (s is this thread's
 * capturing stream); and a call the capture cannot take: the capture invalidated, as the runtime's
 * own refusals leave it (its end then fails). */
extern "C" __attribute__((visibility("default"))) int sf_cudaemu_capturing(cudaStream_t s) {
  return cap.stream && s == cap.stream;
}
extern "C" __attribute__((visibility("default"))) void sf_cudaemu_capture_invalidate(void) { cap.invalid = 1; }

namespace {
struct memset_op {
  void *p;
  int value;
  size_t bytes;
  static void run(void *m) {
    memset_op *x = static_cast<memset_op *>(m);
    memset(x->p, x->value, x->bytes);
  }
  static void destroy(void *m) { delete static_cast<memset_op *>(m); }
};
} /* namespace */

extern "C" {

cudaError_t cudaMallocHost(void **p, size_t bytes) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  *p = NULL;
  if (cudaError_t e = capture_forbids("cudaMallocHost")) return e;
  if (!ndevices()) return fail(cudaErrorNoDevice);
  if (bytes && !(*p = malloc(bytes))) return fail(cudaErrorMemoryAllocation);
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void *p) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (cudaError_t e = capture_forbids("cudaFreeHost")) return e;
  free(p);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  int mode = sf_emu_stream_mode("cudaMemcpyAsync", s);
  if (mode == SF_EMU_REFUSED) return last_error;
  if (mode == SF_EMU_RECORD) return capture_forbids("cudaMemcpyAsync on the capturing stream (not emulated)");
  return copy("cudaMemcpyAsync", dst, src, bytes, kind);
}

cudaError_t cudaMemcpy2DAsync(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t s) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  int mode = sf_emu_stream_mode("cudaMemcpy2DAsync", s);
  if (mode == SF_EMU_REFUSED) return last_error;
  if (mode == SF_EMU_RECORD) return capture_forbids("cudaMemcpy2DAsync on the capturing stream (not emulated)");
  if (width > dpitch || width > spitch) return fail(cudaErrorInvalidPitchValue);
  for (size_t r = 0; r < height; r++) { /* row by row, each checked as cudaMemcpy checks it */
    cudaError_t e = copy("cudaMemcpy2DAsync", (char *)dst + r * dpitch, (const char *)src + r * spitch, width, kind);
    if (e) return e;
  }
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (!bytes) return cudaSuccess;
  cudaError_t e = range_error("cudaMemsetAsync", "destination", p, bytes);
  if (e) return e;
  int mode = sf_emu_stream_mode("cudaMemsetAsync", s);
  if (mode == SF_EMU_REFUSED) return last_error;
  if (mode == SF_EMU_RECORD) sf_emu_record("cudaMemsetAsync", &memset_op::run, new memset_op{p, value, bytes}, &memset_op::destroy);
  else memset(p, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (sf_emu_stream_mode("cudaStreamSynchronize", s) == SF_EMU_REFUSED) return last_error;
  if (cap.stream && (s == cap.stream || legacy(s))) return capture_forbids("cudaStreamSynchronize");
  return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (legacy(s)) {
    fprintf(stderr, "cudaemu: cudaStreamBeginCapture on the legacy stream: not permitted\n");
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  if (sf_emu_stream_mode("cudaStreamBeginCapture", s) == SF_EMU_REFUSED) return last_error;
  if (cap.stream) {
    fprintf(stderr, "cudaemu: cudaStreamBeginCapture while stream %p already captures\n", (void *)cap.stream);
    return fail(cudaErrorIllegalState);
  }
  if (mode != cudaStreamCaptureModeGlobal && mode != cudaStreamCaptureModeThreadLocal &&
      mode != cudaStreamCaptureModeRelaxed)
    return fail(cudaErrorInvalidValue);
  cap.stream = s;
  cap.invalid = 0;
  cap.ops = new std::vector<std::shared_ptr<capture_op>>;
  std::lock_guard<std::mutex> g(captures_lock);
  captures.push_back(&cap);
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *graph) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  *graph = NULL;
  if (!cap.stream || s != cap.stream) {
    fprintf(stderr, "cudaemu: cudaStreamEndCapture on stream %p, which is not capturing\n", (void *)s);
    return fail(cudaErrorIllegalState);
  }
  std::vector<std::shared_ptr<capture_op>> *ops = cap.ops;
  {
    std::lock_guard<std::mutex> g(captures_lock);
    for (size_t i = 0; i < captures.size(); i++)
      if (captures[i] == &cap) captures.erase(captures.begin() + (long)i--);
  }
  int invalid = cap.invalid;
  cap.stream = NULL;
  cap.ops = NULL;
  if (invalid) {
    delete ops;
    return fail(cudaErrorStreamCaptureInvalidated);
  }
  *graph = new CUgraph_st{std::move(*ops)};
  delete ops;
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  *exec = NULL;
  if (!graph || flags) return fail(cudaErrorInvalidValue);
  *exec = new CUgraphExec_st{graph->ops};
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
  if (forked_after_init()) return fail(cudaErrorInitializationError);
  if (!exec) return fail(cudaErrorInvalidValue);
  int mode = sf_emu_stream_mode("cudaGraphLaunch", s);
  if (mode == SF_EMU_REFUSED) return last_error;
  if (mode == SF_EMU_RECORD) return capture_forbids("cudaGraphLaunch on the capturing stream (not emulated)");
  for (auto &op : exec->ops) op->run(op->ctx);
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}

} /* extern "C" */

/* ============================ for the emulator's other parts (mma16816.cpp) ============================ */

/* The calling thread's fault: "cudaemu: kernel 'K', block (x, y, z): thread N: <message>", then abort. */
[[noreturn]] void sf_emu_thread_die(const char *fmt, ...) {
  fiber &me = current("a device function");
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  die("thread %d: %s", me.lin, msg);
}
