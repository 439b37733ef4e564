/* sweep_jobs.c: `scalefit sweep --jobs K`, the runs of one sweep trained K at a time on this
 * machine by workers, without MPI (cmd_sweep.c calls it for K > 1): forked processes for CPU runs,
 * threads of this process for GPU runs.
 *
 * Why threads on a GPU: processes sharing a GPU get time slices of it unless NVIDIA's MPS daemon
 * runs (on an H100, 4 processes trained the default sweep 2x slower than 1), while the threads of
 * one process each launch on their own stream (the per-thread default stream, src/train/cuda), and
 * the GPU runs streams of one process at once. Each thread picks its GPU (worker k on GPU k mod
 * count); the runs share the data source, which training only reads. The protocol below is the
 * same for both kinds of worker.
 *
 * It is sweep_mpi.c's scheme with fork() and pipes instead of ranks. Every worker is a copy of the
 * parent made after all the setup checks, so it holds the same plan and data source and a run is
 * named by its index. Scheduling is dynamic: the parent hands the next run (most expensive first,
 * so that unequal runs even out) to whichever worker is free, over that worker's task pipe;
 * closing the pipe tells the worker to exit. Workers train with sweep_train (each run keeps its own
 * checkpoint, as in the serial loop) and report over their report pipe: step progress (at most ten
 * times a second), then the finished run's record or its failure.
 *
 * Who writes: the parent alone, as rank 0 does under MPI. A worker sends the finished run as a
 * record (sweep_result_pack, the code the MPI ranks use) and the parent appends it with
 * sweep_record, so the run file has one writer, and the parent's progress display sees every run
 * finish. The parent trains nothing: it sleeps in poll() between messages, leaving the cores to
 * the workers.
 *
 * Failures, as under MPI: a run that fails is reported with the worker and the run's name, no new
 * runs are handed out, the other workers finish their current runs (recorded as usual), and the
 * command exits with the failure's code. A worker killed by a signal is reported the same way
 * ("worker N (run 'X') was killed by signal 9"). The run file holds finished runs only and runs in
 * progress have checkpoints, so running the same command again trains only what is missing. A
 * worker exits when the parent dies (PR_SET_PDEATHSIG, SIGKILL), so a killed parent leaves no
 * trainer running.
 *
 * Ctrl-C (or SIGTERM) stops the sweep as it stops the serial loop: each run in progress stops after
 * its step, saving its checkpoint, and the parent says where they stopped and exits 130. The
 * terminal sends SIGINT to the whole process group; a worker process takes it (or the parent's
 * SIGUSR1, sent when the parent alone was signalled) as "stop after this step" and reports
 * MSG_STOP; a worker thread is told through its halt flag. The parent hands out no more runs and
 * waits for every worker. A second Ctrl-C ends the parent at once (train_signals_catch), and every
 * worker with it (PR_SET_PDEATHSIG), losing the steps since the last checkpoints.
 *
 * libgomp's thread pool does not survive fork(): a child whose parent ever ran a parallel region
 * hangs in its own first one. The parent therefore never trains nor measures; the sgemm peaks are
 * measured once, before the workers start, by a short-lived child of their own (sweep_jobs_peaks).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <scalefit/sf_error.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep_cli.h"

enum { MSG_STEP = 1, MSG_DONE, MSG_FAIL, MSG_STOP };
enum { MAX_MSG = 1 << 30 }; /* a message longer than this is a broken pipe, not a run record */

typedef struct msg_head {
  int type, idx; /* MSG_*, the run */
  long a, b;     /* MSG_STEP and MSG_STOP: step, steps (0, 0: stopped before training); MSG_FAIL: the status */
  size_t len;    /* bytes that follow: MSG_DONE the record, MSG_FAIL the message */
} msg_head;

static int write_full(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* 1: all n bytes; 0: end of file (the writer is gone) or an error before all of them. */
static int read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

static void reap(pid_t pid, int *status) {
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

int sweep_jobs_cores(void) { return train_cores(); }

int sweep_jobs_peaks(sweep_ctx *x) {
  if (!sweep_peaks_missing(x)) return SF_OK;
  int fd[2];
  if (pipe(fd)) return sf_fail(SF_EIO, "cannot make a pipe: %s", strerror(errno));
  fflush(NULL); /* nothing buffered is written twice */
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(fd[0]);
    close(fd[1]);
    return sf_fail(SF_EIO, "cannot fork: %s", strerror(e));
  }
  if (pid == 0) {
    close(fd[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sweep_measure_peaks(x);
    _exit(write_full(fd[1], x->peak_by, sizeof x->peak_by) ? 1 : 0);
  }
  close(fd[1]);
  double by[SWEEP_MAX_THREADS + 1];
  int got = read_full(fd[0], by, sizeof by), st = 0;
  close(fd[0]);
  reap(pid, &st);
  if (!got || !WIFEXITED(st) || WEXITSTATUS(st))
    return sf_fail(SF_EINTERNAL, "the process measuring the sgemm peak failed (status %d)", st);
  memcpy(x->peak_by, by, sizeof by);
  return SF_OK;
}

void sweep_gpu_share_warn(long procs, const char *who) {
  int gpus = sf_train_gpus();
  if (gpus < 1 || procs <= gpus || sf_train_mps_active()) return;
  cli_warn("sweep: %ld %s share %d GPU%s without MPS, so they take turns on %s rather than run at once (on an "
           "H100, 4 processes ran the default sweep 2x slower than 1, and 3x faster under MPS); start MPS first "
           "(nvidia-cuda-mps-control -d), or run %d at a time",
           procs, who, gpus, gpus > 1 ? "s" : "", gpus > 1 ? "them" : "it", gpus);
}

/* ============================== a worker ============================== */

typedef struct worker_cb {
  int fd, idx;
  double last;        /* when the last step was reported */
  pid_t parent;       /* a process: its parent; 0 for a thread */
  atomic_int *halt;   /* a thread: set when the parent stops it */
  long step, steps;   /* where the run stands */
} worker_cb;

/* A worker process asked to stop (Ctrl-C reaching the process group, or the parent's SIGUSR1 when
 * the parent alone was signalled): its run stops after the step, saving its checkpoint, and it
 * exits. Any number of these is one stop: a second Ctrl-C ends the parent, and the worker with it
 * (PR_SET_PDEATHSIG). */
static volatile sig_atomic_t worker_stop;
static void on_stop(int sig) {
  (void)sig;
  worker_stop = 1;
}

static int stopping(const worker_cb *w) { return w->parent ? worker_stop != 0 : atomic_load(w->halt) != 0; }

static int worker_step(void *ctx, long step, long steps, double loss, double seconds) {
  worker_cb *w = ctx;
  w->step = step;
  w->steps = steps;
  if (w->parent && getppid() != w->parent) return 1; /* the parent died: stop (the checkpoint stays) */
  if (stopping(w)) return 1;
  double t = cli_now();
  if (step != 1 && step != steps && t - w->last < 0.1) return 0;
  w->last = t;
  msg_head h = {MSG_STEP, w->idx, step, steps, 0};
  return write_full(w->fd, &h, sizeof h) ? 1 : 0;
}

/* Trains what the task pipe hands out until it closes, then closes both pipes. */
static void worker_loop(sweep_ctx *x, int task, int report, pid_t parent, atomic_int *halt) {
  for (;;) {
    int idx;
    if (!read_full(task, &idx, sizeof idx) || idx < 0 || (size_t)idx >= x->plan.nruns) break;
    worker_cb cb = {report, idx, -1e30, parent, halt, 0, 0};
    sf_train_result r;
    int rc = stopping(&cb) ? SF_EUSAGE : sweep_train(x, (size_t)idx, worker_step, &cb, &r);
    if (rc && stopping(&cb)) { /* asked to stop: the run's checkpoint keeps its steps */
      msg_head h = {MSG_STOP, idx, cb.step, cb.steps, 0};
      write_full(report, &h, sizeof h);
      break;
    }
    char *buf = NULL;
    size_t n = 0;
    if (!rc) {
      rc = sweep_result_pack(idx, &r, &buf, &n);
      sf_train_result_free(&r);
    }
    msg_head h = {rc ? MSG_FAIL : MSG_DONE, idx, rc, 0, n};
    const char *msg = *sf_errmsg() ? sf_errmsg() : sf_status_name(rc);
    if (rc) h.len = strlen(msg) + 1;
    int ok = !write_full(report, &h, sizeof h) && !write_full(report, rc ? msg : buf, h.len);
    free(buf);
    if (!ok) break;
  }
  close(task);
  close(report);
}

/* A worker process: never returns. */
static void worker_main(sweep_ctx *x, int task, int report, pid_t parent) {
  worker_loop(x, task, report, parent, NULL);
  _exit(0); /* not exit(): the parent's atexit handlers (HDF5's) are not the worker's to run */
}

/* A worker thread: its GPU, then the loop. */
typedef struct thread_arg {
  sweep_ctx *x;
  int k, nw, task, report;
  atomic_int *halt;
} thread_arg;

static void *worker_thread(void *p) {
  thread_arg *a = p;
  sf_train_set_gpu(a->k, a->nw); /* this thread's: worker k on GPU k mod count */
  worker_loop(a->x, a->task, a->report, 0, a->halt);
  free(a);
  return NULL;
}

/* ============================== the parent ============================== */

typedef struct worker {
  pid_t pid;        /* a process; -1 once reaped, 0 for a thread */
  pthread_t th;     /* a thread, while `joinable` */
  int joinable;
  atomic_int halt;  /* a thread: stop at the next step */
  int task, report; /* the parent's ends: run indices out, messages in; -1 once closed */
  long run;         /* the run it trains, -1 none */
  int waiting;      /* idle: the runs left are other sweeps' (SWEEP_WAIT); asked again later */
} worker;

typedef struct sched {
  sweep_ctx *x;
  worker *w;
  int nw;
  size_t *order, norder, next; /* the runs to hand out, most expensive first */
  int failed;                   /* the first failure's status: no new runs after it */
  int stopping;                 /* Ctrl-C: no new runs, the workers told to stop after their step */
  sweep_stops stops;            /* where the runs in progress stopped, for the message */
} sched;

static void fail(sched *s, int rc, int k, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail(sched *s, int rc, int k, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  progress_clear(&s->x->prog);
  if (k >= 0) cli_error("sweep: worker %d%s", k + 1, msg);
  else cli_error("sweep%s", msg);
  if (!s->failed) s->failed = rc;
}

/* Kills worker k at once (a broken pipe, or the parent cannot go on), or tells a thread to stop at
 * its next step; gone() reaps or joins it. */
static void stop(sched *s, int k) {
  if (s->w[k].pid > 0) kill(s->w[k].pid, SIGKILL); /* never kill(-1, ...) */
  atomic_store(&s->w[k].halt, 1);
}

/* The next run to worker k, or the end: closing its task pipe tells it to exit. */
static void give(sched *s, int k) {
  worker *w = &s->w[k];
  w->run = -1;
  w->waiting = 0;
  if (w->task < 0) return;
  long next = s->stopping ? -1 : sweep_next_run(s->x, s->order, s->norder, &s->next, &s->failed);
  if (next == SWEEP_WAIT) { /* idle until another sweep's run is recorded or given up */
    w->waiting = 1;
    return;
  }
  if (next < 0) {
    close(w->task);
    w->task = -1;
    return;
  }
  int idx = (int)next;
  w->run = idx;
  if (write_full(w->task, &idx, sizeof idx)) { /* it died: its report pipe's end of file tells how */
    close(w->task);
    w->task = -1;
  }
}

/* Worker k's report pipe ended: it exited, which is expected only when idle and told to stop. */
static void gone(sched *s, int k) {
  worker *w = &s->w[k];
  int st = 0;
  close(w->report);
  w->report = -1;
  if (w->task >= 0) close(w->task);
  w->task = -1;
  if (w->joinable) { /* its pipes are closed: it stops at its next step or read */
    atomic_store(&w->halt, 1);
    pthread_join(w->th, NULL);
    w->joinable = 0;
  } else if (w->pid > 0) {
    reap(w->pid, &st);
  }
  w->pid = -1;
  progress_drop(&s->x->prog, k);
  const char *name = w->run >= 0 ? s->x->plan.runs[w->run].name : NULL;
  char run[512] = "";
  if (name) snprintf(run, sizeof run, " (run '%s')", name);
  if (WIFSIGNALED(st)) fail(s, SF_EINTERNAL, k, "%s was killed by signal %d", run, WTERMSIG(st));
  else if (name || !WIFEXITED(st) || WEXITSTATUS(st))
    fail(s, SF_EINTERNAL, k, "%s ended unexpectedly (exit status %d)", run, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  w->run = -1;
}

/* Reads one message from worker k and acts on it. */
static void serve(sched *s, int k) {
  worker *w = &s->w[k];
  msg_head h;
  if (!read_full(w->report, &h, sizeof h)) {
    gone(s, k);
    return;
  }
  if (h.idx < 0 || h.idx != w->run || h.len > MAX_MSG ||
      (h.type != MSG_STEP && h.type != MSG_DONE && h.type != MSG_FAIL && h.type != MSG_STOP)) {
    fail(s, SF_EINTERNAL, k, ": a message of type %d on run %d makes no sense (it trains run %ld)", h.type, h.idx, w->run);
    stop(s, k);
    gone(s, k);
    return;
  }
  const sf_sweep_run *run = &s->x->plan.runs[h.idx];
  if (h.type == MSG_STEP) {
    progress_step(&s->x->prog, k, run->name, run->flops, h.a, h.b);
    return;
  }
  if (h.type == MSG_STOP) { /* it exits next: its end of file is expected, with no run */
    progress_drop(&s->x->prog, k);
    sweep_stops_add(&s->stops, h.a, h.b, run->name);
    give(s, k); /* closes its task pipe: it is stopping */
    return;
  }
  char *buf = malloc(h.len + 1);
  if (!buf) {
    fail(s, SF_ENOMEM, k, ": out of memory receiving run '%s'", run->name);
    stop(s, k);
    gone(s, k);
    return;
  }
  if (!read_full(w->report, buf, h.len)) {
    free(buf);
    gone(s, k);
    return;
  }
  buf[h.len] = 0;
  progress_drop(&s->x->prog, k);
  if (h.type == MSG_FAIL) {
    fail(s, (int)h.a > 0 ? (int)h.a : SF_EINTERNAL, k, ": %s", buf);
  } else {
    sf_train_result r;
    int idx, rc = sweep_result_unpack(s->x, buf, h.len, &idx, &r);
    if (!rc && idx != h.idx) rc = sf_fail(SF_EINTERNAL, "run record %d arrived as run %d", idx, h.idx);
    if (!rc) rc = sweep_record(s->x, (size_t)idx, &r);
    if (rc) fail(s, rc, k, ": %s", *sf_errmsg() ? sf_errmsg() : sf_status_name(rc));
    else progress_run_done(&s->x->prog, run->name, run->flops, &r, k + 1);
    sf_train_result_free(&r);
  }
  free(buf);
  give(s, k);
}

/* Ctrl-C (or SIGTERM) reached the parent: no new runs; each worker's run stops after its step,
 * saving its checkpoint (a worker process may have had the signal already, from the terminal's
 * process group: a second stop is the same stop); idle workers are told to exit. */
static void interrupt(sched *s) {
  s->stopping = 1;
  for (int k = 0; k < s->nw; k++) {
    worker *w = &s->w[k];
    if (w->report < 0) continue;
    if (w->run < 0) give(s, k);
    else if (w->pid > 0) kill(w->pid, SIGUSR1);
    else atomic_store(&w->halt, 1);
  }
}

/* Worker k as a thread of this process on the pipes' ends t (task) and r (report). */
static int start_thread(sched *s, int k, int nw, int t, int r) {
  worker *w = &s->w[k];
  thread_arg *a = malloc(sizeof *a);
  if (!a) return sf_fail(SF_ENOMEM, "out of memory");
  *a = (thread_arg){s->x, k, nw, t, r, &w->halt};
  int e = pthread_create(&w->th, NULL, worker_thread, a);
  if (e) {
    free(a);
    return sf_fail(SF_EIO, "cannot start a thread: %s", strerror(e));
  }
  w->joinable = 1;
  return SF_OK;
}

int sweep_jobs_run(sweep_ctx *x, int jobs, int threads) {
  sched s = {.x = x};
  if (!(s.order = malloc((x->plan.nruns + 1) * sizeof *s.order))) return sf_fail(SF_ENOMEM, "out of memory");
  for (size_t i = x->plan.nruns; i-- > 0;)
    if (!x->plan.runs[i].done) s.order[s.norder++] = i;
  int nw = jobs < 1 ? 1 : (size_t)jobs > s.norder ? (int)s.norder : jobs;
  if (nw > 0 && !(s.w = calloc((size_t)nw, sizeof *s.w))) {
    free(s.order);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  /* a worker that dies makes writes to its task pipe fail (EPIPE) rather than kill the parent */
  struct sigaction ign = {.sa_handler = SIG_IGN}, old;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, &old);
  train_signals_catch(); /* the first Ctrl-C stops the workers after their step, a second ends all */
  pid_t self = getpid();
  fflush(NULL); /* nothing buffered is written twice */
  for (int k = 0; k < nw && !train_interrupted(); k++) {
    int t[2], r[2] = {-1, -1};
    if (pipe(t) || pipe(r)) {
      int e = errno;
      if (r[0] < 0) close(t[0]), close(t[1]);
      fail(&s, SF_EIO, k, ": cannot make a pipe: %s", strerror(e));
      break;
    }
    if (threads) {
      atomic_init(&s.w[k].halt, 0);
      if (start_thread(&s, k, nw, t[0], r[1])) {
        fail(&s, SF_EIO, k, ": %s", sf_errmsg());
        close(t[0]), close(t[1]), close(r[0]), close(r[1]);
        break;
      }
      s.w[k].pid = 0;
      s.w[k].task = t[1];
      s.w[k].report = r[0];
      s.w[k].run = -1;
      s.nw = k + 1;
      continue;
    }
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != self) _exit(1); /* the parent died before prctl */
      sigaction(SIGPIPE, &old, NULL);
      struct sigaction on = {.sa_handler = on_stop}, cur;
      sigemptyset(&on.sa_mask);
      sigaction(SIGUSR1, &on, NULL);
      for (int sig = SIGINT; sig; sig = sig == SIGINT ? SIGTERM : 0) /* ignored before (nohup): stays so */
        if (sigaction(sig, NULL, &cur) == 0 && cur.sa_handler != SIG_IGN) sigaction(sig, &on, NULL);
      close(t[1]);
      close(r[0]);
      for (int j = 0; j < k; j++) { /* the other workers' pipes: their ends must close with the parent's */
        if (s.w[j].task >= 0) close(s.w[j].task);
        close(s.w[j].report);
      }
      sf_train_set_gpu(k, nw); /* GPU runs: worker k on GPU k mod count */
      worker_main(x, t[0], r[1], self);
    }
    close(t[0]);
    close(r[1]);
    if (pid < 0) {
      int e = errno;
      close(t[1]);
      close(r[0]);
      fail(&s, SF_EIO, k, ": cannot fork: %s", strerror(e));
      break;
    }
    s.w[k].pid = pid;
    s.w[k].task = t[1];
    s.w[k].report = r[0];
    s.w[k].run = -1;
    s.nw = k + 1;
  }
  for (int k = 0; k < s.nw; k++) give(&s, k);

  struct pollfd *pf = malloc((size_t)(s.nw + 1) * sizeof *pf);
  int *who = malloc((size_t)(s.nw + 1) * sizeof *who);
  if (!pf || !who) { /* cannot wait for the workers: stop them */
    fail(&s, SF_ENOMEM, -1, ": out of memory");
    for (int k = 0; k < s.nw; k++) stop(&s, k);
  }
  for (;;) {
    int n = 0;
    for (int k = 0; k < s.nw; k++)
      if (s.w[k].report >= 0) {
        if (pf) pf[n] = (struct pollfd){.fd = s.w[k].report, .events = POLLIN};
        if (who) who[n] = k;
        n++;
      }
    if (!n) break;
    if (!pf || !who) { /* read each to its end */
      for (int k = 0; k < s.nw; k++)
        if (s.w[k].report >= 0) serve(&s, k);
      continue;
    }
    /* woken at least 4 times a second: a Ctrl-C seen by a worker thread, workers waiting for runs */
    int got = poll(pf, (nfds_t)n, 250);
    if (train_interrupted() && !s.stopping) interrupt(&s);
    for (int k = 0; k < s.nw; k++)
      if (s.w[k].waiting) give(&s, k);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(&s, SF_EINTERNAL, -1, ": poll: %s", strerror(errno));
      for (int k = 0; k < s.nw; k++)
        if (s.w[k].report >= 0) {
          stop(&s, k);
          gone(&s, k); /* reaps it */
        }
      continue;
    }
    for (int i = 0; i < n; i++)
      if (pf[i].revents && s.w[who[i]].report >= 0) serve(&s, who[i]);
  }
  free(pf);
  free(who);
  sigaction(SIGPIPE, &old, NULL);
  if (train_interrupted() && !s.failed) { /* said here, as the serial loop says it */
    sweep_say_interrupted(x, &s.stops);
    s.failed = SWEEP_INTERRUPTED;
  }
  train_signals_release();
  free(s.w);
  free(s.order);
  return s.failed;
}
