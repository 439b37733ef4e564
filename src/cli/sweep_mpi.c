/* sweep_mpi.c: `mpirun -np K scalefit sweep ...`, the runs of one sweep spread over MPI ranks.
 * Built only with MPI (SF_HAVE_MPI, CMake option SCALEFIT_MPI); without it, or started without a
 * launcher, cmd_sweep.c runs the serial loop.
 *
 * Every rank reads the same sweep and builds the same plan (sf_sweep_plan_build is
 * deterministic), so a run is named by its index. Scheduling is dynamic: a free rank asks rank 0
 * for the next run, most expensive first, so that unequal runs even out. Rank 0 alone writes the
 * run file: the others send each finished run record (the sf_train_result and its curve, as bytes:
 * the ranks run the same binary) and rank 0 appends it atomically, as the serial sweep does. Rank
 * 0 trains too, answering messages from its training progress callback after every optimiser
 * step, and when it has nothing to train it polls.
 *
 * Nothing here waits in a blocking MPI call: Open MPI's blocking receives and barriers spin a core
 * at 100%, which on a machine with as many ranks as cores would take a core from training. Every
 * wait is MPI_Test / MPI_Iprobe and a 2 ms sleep.
 *
 * A rank that dies takes the job down (mpirun aborts it); each run in progress has its own
 * checkpoint and each finished run is already in the file, so the same command run again (with
 * mpirun or without) trains only what is missing.
 *
 * Ctrl-C: Open MPI's mpirun (4.1) does not pass SIGINT on; it sends every rank SIGTERM, and SIGKILL
 * a few seconds later. Each rank catches SIGINT and SIGTERM (train_signals_catch) as the serial loop
 * does: its run stops after the step, saving its checkpoint; rank k tells rank 0 (TAG_STOP, with
 * the step) and asks for nothing more; rank 0 hands out no more runs, waits for the ranks, says
 * where they stopped, and every rank ends by its signal. A step longer than mpirun's grace period
 * is lost to its SIGKILL (the checkpoint before it stands).
 */
#ifdef SF_HAVE_MPI
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <mpi.h>

#include <scalefit/sf_error.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep_cli.h"

enum { TAG_ASK = 1, TAG_RESULT, TAG_FAIL, TAG_WORK, TAG_STEP, TAG_STOP };

static int saved_stderr = -1;

static void nap(void) {
  struct timespec ts = {0, 2000000};
  nanosleep(&ts, NULL);
}

static void wait_req(MPI_Request *r) {
  for (int done = 0;;) {
    MPI_Test(r, &done, MPI_STATUS_IGNORE);
    if (done) return;
    nap();
  }
}

int sweep_mpi_launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("PMI_SIZE");
}

int sweep_mpi_init(int *rank, int *ranks, int *node_ranks, int *threads_cap) {
  int provided;
  /* only the main thread calls MPI (the progress callback runs outside OpenMP regions) */
  if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    cli_error("sweep: MPI_Init failed");
    return SF_EIO;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, ranks);
  MPI_Comm node;
  int here = 1;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
    int local = 0;
    MPI_Comm_size(node, &here);
    MPI_Comm_rank(node, &local);
    sf_train_set_gpu(local, here); /* GPU runs: the node's rank k on its GPU k mod count */
    MPI_Comm_free(&node);
  }
  *node_ranks = here;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  int mine = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : (int)cores;
  /* the node's cores shared by its ranks, within the cores mpirun bound this rank to */
  int cap = (int)(cores / (here > 0 ? here : 1));
  if (cap > mine) cap = mine;
  *threads_cap = cap < 1 ? 1 : cap;
  /* the ranks read the same files and would print the same complaints: rank 0 speaks for all
   * until sweep_mpi_agree */
  if (*rank != 0) {
    saved_stderr = dup(STDERR_FILENO);
    int dn = open("/dev/null", O_WRONLY);
    if (dn >= 0) {
      dup2(dn, STDERR_FILENO);
      close(dn);
    }
  }
  return SF_OK;
}

int sweep_mpi_agree(int rc, sweep_ctx *x) {
  int rank, worst = rc, rc0 = rc;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Request rq;
  MPI_Iallreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &rq);
  wait_req(&rq);
  /* rank 0's own status: when it failed it has said why, and the other ranks, which read the same
   * files, failed the same way (every rank printed the same error, interleaved on one line) */
  MPI_Ibcast(&rc0, 1, MPI_INT, 0, MPI_COMM_WORLD, &rq);
  wait_req(&rq);
  if (saved_stderr >= 0) {
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    saved_stderr = -1;
  }
  if (worst) {
    if (rank == 0 && !rc) cli_error("sweep: another rank could not set up (status %d)", worst);
    if (rank != 0 && rc && !rc0) cli_error("sweep: rank %d: %s", rank, *sf_errmsg() ? sf_errmsg() : sf_status_name(rc));
    return worst;
  }
  /* one measurement of the sgemm peak per thread count, by rank 0 while the others sleep: ranks
   * measuring at once on shared cores would each see a fraction of it */
  if (x->peak == 0) {
    if (rank == 0) sweep_measure_peaks(x);
    MPI_Ibcast(x->peak_by, SWEEP_MAX_THREADS + 1, MPI_DOUBLE, 0, MPI_COMM_WORLD, &rq);
    wait_req(&rq);
  }
  return SF_OK;
}

void sweep_mpi_finalize(void) {
  /* MPI_Finalize synchronises the ranks by spinning: arrive together first, sleeping */
  MPI_Request rq;
  MPI_Ibarrier(MPI_COMM_WORLD, &rq);
  wait_req(&rq);
  MPI_Finalize();
}

/* ============================== rank 0 ============================== */

typedef struct master {
  sweep_ctx *x;
  size_t *order, norder, next; /* the runs to hand out, most expensive first */
  int active;                  /* ranks not yet told to stop */
  int failed;                  /* the first failure's code: no new runs after it */
  size_t mine;                 /* the run rank 0 trains */
  long step, steps;            /* where it stands */
  char *waiting;               /* by rank: asked for a run while only other sweeps' were left (SWEEP_WAIT) */
  int self_done;               /* rank 0 has nothing more to train */
  int stopping;                /* Ctrl-C (here or on a rank): no new runs */
  sweep_stops stops;           /* where the runs in progress stopped, for the message */
} master;

static long next_run(master *m) {
  if (train_interrupted()) m->stopping = 1;
  return m->stopping ? -1 : sweep_next_run(m->x, m->order, m->norder, &m->next, &m->failed);
}

static void stopped_at(master *m, long step, long steps, const char *run) {
  m->stopping = 1;
  sweep_stops_add(&m->stops, step, steps, run);
}

static void give_work(master *m, int dest) {
  long next = next_run(m);
  if (next == SWEEP_WAIT && m->waiting) { /* answered once another sweep's run is recorded or given up */
    m->waiting[dest] = 1;
    return;
  }
  int idx = next < 0 ? -1 : (int)next;
  if (m->waiting) m->waiting[dest] = 0;
  MPI_Send(&idx, 1, MPI_INT, dest, TAG_WORK, MPI_COMM_WORLD); /* one int goes eagerly: no wait */
  if (idx < 0) m->active--;
}

static void fail(master *m, int rc, int rank) {
  progress_clear(&m->x->prog);
  cli_error("sweep: rank %d: %s", rank, *sf_errmsg() ? sf_errmsg() : sf_status_name(rc));
  if (!m->failed) m->failed = rc;
}

static void on_result(master *m, int from, const char *buf, size_t n) {
  sf_train_result r;
  int idx, rc = sweep_result_unpack(m->x, buf, n, &idx, &r);
  if (rc) {
    fail(m, rc, from);
    return;
  }
  if ((rc = sweep_record(m->x, (size_t)idx, &r))) fail(m, rc, 0);
  else {
    const sf_sweep_run *run = &m->x->plan.runs[idx];
    progress_run_done(&m->x->prog, run->name, run->flops, &r, from);
  }
  sf_train_result_free(&r);
}

/* Answers every message waiting: requests for work, finished runs, failures. */
static void service(master *m) {
  for (;;) {
    int flag = 0, n = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return;
    MPI_Get_count(&st, MPI_BYTE, &n);
    char *buf = malloc((size_t)n + 1);
    if (!buf) { /* drop nothing: receive into a stack byte is impossible for a record; stop cleanly */
      fail(m, sf_fail(SF_ENOMEM, "out of memory receiving a run record"), 0);
      return;
    }
    MPI_Recv(buf, n, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    buf[n] = 0;
    if (st.MPI_TAG == TAG_STEP) { /* progress only: asks for nothing */
      long v[3];
      if ((size_t)n == sizeof v) {
        memcpy(v, buf, sizeof v);
        if (v[0] >= 0 && (size_t)v[0] < m->x->plan.nruns) {
          const sf_sweep_run *run = &m->x->plan.runs[v[0]];
          progress_step(&m->x->prog, st.MPI_SOURCE, run->name, run->flops, v[1], v[2]);
        }
      }
      free(buf);
      continue;
    }
    if (st.MPI_TAG == TAG_STOP) { /* the rank stopped by a signal: it asks for nothing more */
      long v[3];
      if ((size_t)n == sizeof v) {
        memcpy(v, buf, sizeof v);
        if (v[0] >= 0 && (size_t)v[0] < m->x->plan.nruns) stopped_at(m, v[1], v[2], m->x->plan.runs[v[0]].name);
      }
      progress_drop(&m->x->prog, st.MPI_SOURCE);
      m->active--;
      free(buf);
      continue;
    }
    if (st.MPI_TAG == TAG_RESULT) on_result(m, st.MPI_SOURCE, buf, (size_t)n);
    else if (st.MPI_TAG == TAG_FAIL && (size_t)n > sizeof(int)) {
      int rc;
      memcpy(&rc, buf, sizeof rc);
      sf_fail(rc, "%s", buf + sizeof rc);
      progress_drop(&m->x->prog, st.MPI_SOURCE);
      fail(m, rc, st.MPI_SOURCE);
    }
    free(buf);
    give_work(m, st.MPI_SOURCE); /* every other message asks for the next run */
  }
}

static int master_step(void *ctx, long step, long steps, double loss, double seconds) {
  master *m = ctx;
  service(m);
  const sf_sweep_run *run = &m->x->plan.runs[m->mine];
  progress_step(&m->x->prog, 0, run->name, run->flops, step, steps);
  m->step = step;
  m->steps = steps;
  return train_interrupted() != 0;
}

static int run_master(sweep_ctx *x, int ranks) {
  master m = {.x = x, .active = ranks - 1};
  if (!(m.order = malloc((x->plan.nruns + 1) * sizeof *m.order)) || !(m.waiting = calloc((size_t)ranks, 1)))
    m.failed = sf_fail(SF_ENOMEM, "out of memory");
  for (size_t i = x->plan.nruns; m.order && i-- > 0;)
    if (!x->plan.runs[i].done) m.order[m.norder++] = i;
  for (;;) {
    service(&m);
    for (int r = 1; m.waiting && r < ranks; r++)
      if (m.waiting[r]) give_work(&m, r);
    long idx = m.self_done ? -1 : next_run(&m);
    if (idx == -1) m.self_done = 1;
    if (idx >= 0) {
      sf_train_result r;
      memset(&r, 0, sizeof r);
      m.mine = (size_t)idx;
      m.step = m.steps = 0;
      int rc = sweep_train(x, m.mine, master_step, &m, &r);
      if (rc && train_interrupted()) { /* its checkpoint keeps the steps */
        sf_error_clear();
        progress_drop(&x->prog, 0);
        stopped_at(&m, m.step, m.steps, x->plan.runs[idx].name);
        m.self_done = 1;
        sf_train_result_free(&r);
        continue;
      }
      if (!rc && !(rc = sweep_record(x, m.mine, &r)))
        progress_run_done(&x->prog, x->plan.runs[idx].name, x->plan.runs[idx].flops, &r, 0);
      if (rc) fail(&m, rc, 0);
      sf_train_result_free(&r);
      continue;
    }
    if (m.self_done && m.active <= 0) break;
    nap();
  }
  free(m.waiting);
  free(m.order);
  if (m.stopping && !m.failed) { /* said as the serial loop says it */
    sweep_say_interrupted(x, &m.stops);
    return train_interrupted() ? SWEEP_INTERRUPTED : SF_OK;
  }
  return m.failed;
}

/* ============================== the other ranks ============================== */

static void send_wait(const void *buf, size_t n, int tag) {
  MPI_Request rq;
  MPI_Isend(buf, (int)n, MPI_BYTE, 0, tag, MPI_COMM_WORLD, &rq);
  wait_req(&rq);
}

/* Tells rank 0 that this rank's run failed (rank 0 prints it and stops handing out runs). */
static void send_fail(int rc) {
  char buf[sizeof rc + 1024];
  memcpy(buf, &rc, sizeof rc);
  snprintf(buf + sizeof rc, sizeof buf - sizeof rc, "%s", *sf_errmsg() ? sf_errmsg() : sf_status_name(rc));
  send_wait(buf, sizeof rc + strlen(buf + sizeof rc) + 1, TAG_FAIL);
}

/* A run's steps, sent to rank 0 for its progress display: at most four times a second, and only
 * when the last message has gone (a rank never waits for the display). */
typedef struct stepper {
  int idx, busy;
  double last;
  long msg[3]; /* run, step, steps */
  MPI_Request rq;
  long step, steps;
} stepper;

static int worker_step(void *ctx, long step, long steps, double loss, double seconds) {
  stepper *s = ctx;
  if (s->busy) {
    int done = 0;
    MPI_Test(&s->rq, &done, MPI_STATUS_IGNORE);
    if (!done) return 0;
    s->busy = 0;
  }
  double t = cli_now();
  s->step = step;
  s->steps = steps;
  if (train_interrupted()) return 1; /* stop after this step, saving the checkpoint */
  if (step != 1 && step != steps && t - s->last < 0.25) return 0;
  s->last = t;
  s->msg[0] = s->idx, s->msg[1] = step, s->msg[2] = steps;
  MPI_Isend(s->msg, (int)sizeof s->msg, MPI_BYTE, 0, TAG_STEP, MPI_COMM_WORLD, &s->rq);
  s->busy = 1;
  return 0;
}

static int run_worker(sweep_ctx *x) {
  int failed = SF_OK;
  char ask = 0;
  send_wait(&ask, 1, TAG_ASK);
  for (;;) {
    int idx = -1;
    MPI_Request rq;
    MPI_Irecv(&idx, 1, MPI_INT, 0, TAG_WORK, MPI_COMM_WORLD, &rq);
    wait_req(&rq);
    if (idx < 0 || (size_t)idx >= x->plan.nruns) break;
    sf_train_result r;
    stepper sp = {.idx = idx, .last = -1e30};
    int rc = sweep_train(x, (size_t)idx, worker_step, &sp, &r);
    if (sp.busy) wait_req(&sp.rq); /* the run's last step message goes before its result */
    if (rc && train_interrupted()) { /* stopped at the step, its checkpoint saved: no more runs */
      long v[3] = {idx, sp.step, sp.steps};
      send_wait(v, sizeof v, TAG_STOP);
      return SWEEP_INTERRUPTED;
    }
    if (rc) {
      send_fail(failed = rc);
      continue;
    }
    char *buf;
    size_t n;
    if (sweep_result_pack(idx, &r, &buf, &n)) {
      send_fail(failed = sf_fail(SF_ENOMEM, "out of memory sending run '%s'", x->plan.runs[idx].name));
    } else {
      send_wait(buf, n, TAG_RESULT);
      free(buf);
    }
    sf_train_result_free(&r);
  }
  return failed ? failed : train_interrupted() ? SWEEP_INTERRUPTED : SF_OK;
}

int sweep_mpi_run(sweep_ctx *x, int rank, int ranks) {
  train_signals_catch(); /* released by cmd_sweep's end by the signal (or at exit) */
  int rc = rank == 0 ? run_master(x, ranks) : run_worker(x);
  train_signals_release();
  return rc;
}
#endif
