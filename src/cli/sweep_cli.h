/* sweep_cli.h: what `scalefit sweep`'s serial loop (cmd_sweep.c), its MPI loop (sweep_mpi.c) and
 * its --jobs loop of workers (sweep_jobs.c) share: the sweep in progress, training and recording one run of the plan, and the progress
 * display (an updating line with ETA on a terminal, plain lines in a log). */
#ifndef SF_SWEEP_CLI_H
#define SF_SWEEP_CLI_H

#include <scalefit/sf_sweep.h>

#include <stddef.h>

#include "cli/train_cli.h"

enum { SWEEP_SLOTS = 64 }; /* runs in progress followed step by step (workers beyond: when done) */

typedef struct progress_slot {
  const char *run;          /* the run a worker (or this process) trains, NULL if none */
  double flops;             /* its FLOPs */
  long step0, step, steps;  /* first step seen (a resumed run starts late), current step, steps */
} progress_slot;

typedef struct sweep_progress {
  int mode;                 /* 0 quiet, 1 updating line (stderr is a terminal), 2 plain lines */
  size_t total, finished;   /* runs to train in this invocation, and trained so far */
  double work, work_done;   /* FLOPs to train in this invocation, and in finished runs */
  double plan_flops, plan_done; /* FLOPs of the whole plan, and of the runs done before */
  double t0, last_draw, last_line;
  double aside;             /* seconds since t0 spent measuring sgemm peaks: not training, not in the ETA's rate */
  double log_every;         /* seconds between plain "sign of life" lines: 30, or $SCALEFIT_LOG_EVERY */
  progress_slot slot[SWEEP_SLOTS]; /* by --jobs worker or MPI rank; 0 serial */
  int ranks;                /* MPI ranks or --jobs workers (1 serial) */
  const char *unit;         /* what ranks are: "rank" (MPI, the default) or "worker" (--jobs) */
} sweep_progress;

enum { SWEEP_MAX_THREADS = 1024 }; /* threads per run: --threads and `threads =` are refused above */

typedef struct sweep_ctx {
  const char *output, *table;
  sf_sweep_plan plan;
  sf_source *src;
  double peak;           /* --peak (FLOP/s), 0: measured */
  /* measured sgemm peak by thread count, 0 until measured: every count a run may have (0..1024, the
   * range of --threads and of cores/ranks capped by it), so that no run measures it again */
  double peak_by[SWEEP_MAX_THREADS + 1];
  int say_peak;          /* print each measurement (not -q, rank 0 only) */
  double ckpt_every;
  sweep_progress prog;
  unsigned char *claim;  /* by run: SWEEP_CLAIM_* (NULL: no claims, a dry run) */
  double claim_looked;   /* when the runs another sweep holds were last looked at (sweep_next_run) */
  int claim_said_wait;   /* "waiting for another sweep" said once */
} sweep_ctx;

/* What this process knows of a run's claim (sweep_claim.c): none, held by it, held by another sweep
 * (left for the end of the list), or out of the list (recorded meanwhile). */
enum { SWEEP_CLAIM_NONE, SWEEP_CLAIM_HELD, SWEEP_CLAIM_OTHER, SWEEP_CLAIM_SKIPPED };
/* sweep_next_run: the runs left are all being trained by other sweeps; ask again in a second. */
enum { SWEEP_WAIT = -2 };
/* A loop's status when Ctrl-C (SIGINT, SIGTERM) stopped it, said already; exit 128 + the signal. */
enum { SWEEP_INTERRUPTED = -130 };

/* The sgemm peak for runs on `threads` threads: --peak, else measured once per thread count. */
double sweep_peak(sweep_ctx *x, int threads);
/* 1 when a CPU run still to train has no peak for its thread count yet (and there is no --peak). */
int sweep_peaks_missing(const sweep_ctx *x);
/* Measures (sweep_peak) the peak of every thread count the CPU runs still to train need. */
void sweep_measure_peaks(sweep_ctx *x);
/* Trains run i of the plan with its own checkpoint (a leftover of another configuration is
 * dropped); fn is called after every step. sf_train_run's codes, the message naming the run. */
int sweep_train(sweep_ctx *x, size_t i, sf_train_progress_fn fn, void *fn_ctx, sf_train_result *r);
/* Before handing out run i: 1 when another writer of the run file (a second sweep on it) has
 * recorded it since the plan was made (said, and taken out of the progress's runs to train), 0 when
 * not, -code (the message set) when that record says it was trained otherwise. */
int sweep_skip_recorded(sweep_ctx *x, size_t i);
/* What the serial loop, --jobs and MPI hand out next: order[*next], claimed (sweep_claim) and not
 * recorded meanwhile (sweep_skip_recorded), *next moved beyond it. A run another sweep holds is left
 * for the end, then looked at again (at most once a second): trained if its claim was given up or
 * is stale, skipped if recorded. SWEEP_WAIT while only runs other sweeps train are left; -1 at the
 * end, or once *failed is set (by an earlier failure, or here: the message printed, its code stored). */
long sweep_next_run(sweep_ctx *x, const size_t *order, size_t norder, size_t *next, int *failed);
/* Claims run i for this process ("<runfile>.ckpt.d/<run>.claim", O_EXCL), or takes over a stale
 * claim (its process gone from this host, or not refreshed for 10 minutes; said): 1 claimed, 0 another
 * live sweep holds it, -code on an error (set). */
int sweep_claim(sweep_ctx *x, size_t i);
/* Removes this process's claim on run i (not one another sweep took over); sweep_claims_release all. */
void sweep_claim_release(sweep_ctx *x, size_t i);
void sweep_claims_release(sweep_ctx *x);
/* For the dry run: 1 and "claimed by HOST process PID, ..." in buf when the run has a claim. */
int sweep_claim_describe(const char *runfile, const char *run, char *buf, size_t n);
/* Removes run's claim when it is stale (the run was recorded before its claimer was killed). */
void sweep_claim_drop_stale(const char *runfile, const char *run);
/* The step callback that keeps a run's claim fresh (touched every minute) around fn. */
typedef struct sweep_claim_keeper {
  sf_train_progress_fn fn;
  void *ctx;
  char *path;
  double last;
} sweep_claim_keeper;
void sweep_claim_keep_start(sweep_claim_keeper *k, const sweep_ctx *x, size_t i, sf_train_progress_fn fn, void *ctx);
int sweep_claim_keep_step(void *ctx, long step, long steps, double loss, double seconds);
void sweep_claim_keep_end(sweep_claim_keeper *k);
/* Where the runs in progress stopped on a Ctrl-C, for the one message the serial loop, --jobs and
 * MPI print (sweep_say_interrupted): the first three named, the rest counted. */
typedef struct sweep_stops {
  char at[600];
  int n;
} sweep_stops;
void sweep_stops_add(sweep_stops *s, long step, long steps, const char *run);
/* "sweep: interrupted at ...: K of N runs recorded in F; ... the same command resumes" (an error line). */
void sweep_say_interrupted(sweep_ctx *x, const sweep_stops *s);
/* Appends run i's result to the run file and removes its checkpoint; a run another writer recorded
 * meanwhile as this sweep would have is kept as theirs, with a note. */
int sweep_record(sweep_ctx *x, size_t i, const sf_train_result *r);

/* A run record as bytes (the run's index, its sf_train_result and curve) to send to the writer,
 * and back: unpack checks the sizes against the plan and allocates the curve (sf_train_result_free). */
int sweep_result_pack(int idx, const sf_train_result *r, char **buf, size_t *n);
int sweep_result_unpack(const sweep_ctx *x, const char *buf, size_t n, int *idx, sf_train_result *r);

void progress_start(sweep_progress *p, const sf_sweep_plan *plan, int mode, int ranks);
/* Step `step` of `steps` of run `run`, trained by worker `slot` (0 serial): every slot's steps count
 * in the percentage and the ETA; the updating line shows the lowest busy slot's run. */
void progress_step(sweep_progress *p, int slot, const char *run, double run_flops, long step, long steps);
/* A run finished (on rank or worker `rank`, -1 serial): counts it, and prints its line in plain mode. */
void progress_run_done(sweep_progress *p, const char *run, double run_flops, const sf_train_result *r, int rank);
/* A run another writer recorded before this sweep reached it: no longer among those to train. */
void progress_run_skipped(sweep_progress *p, double run_flops);
/* Worker `slot` stopped without finishing its run (failed or died): its steps no longer count. */
void progress_drop(sweep_progress *p, int slot);
void progress_clear(sweep_progress *p); /* erases the updating line (before printing anything else) */

/* --jobs K: the CPUs this process may run on (sched_getaffinity), at least 1. */
int sweep_jobs_cores(void);
/* Measures the sgemm peak of every thread count the runs to train need, in a short-lived child
 * process (the parent must not start OpenMP's thread pool: libgomp's pool does not survive fork,
 * and a worker's first parallel region would hang), and keeps them in x->peak_by. */
int sweep_jobs_peaks(sweep_ctx *x);
/* After a successful GPU check: a warning when procs processes (who: "workers", "ranks") would share
 * this machine's GPUs without MPS (sf_train_mps_active), which makes them take turns. */
void sweep_gpu_share_warn(long procs, const char *who);
/* The sweep on `jobs` workers (at most one per run to train): forked processes, or threads of this
 * process when `threads` (GPU runs: sweep_jobs.c says why). The parent hands out runs, most
 * expensive first, drives the progress display and alone records every result. Returns the first
 * failure's status; prints each failure (naming the worker and the run) itself. */
int sweep_jobs_run(sweep_ctx *x, int jobs, int threads);

#ifdef SF_HAVE_MPI
/* 1 when this process was started by mpirun (or another MPI launcher), 0 when alone. */
int sweep_mpi_launched(void);
/* MPI_Init and where this rank stands: rank, ranks, the ranks on this node, and the default threads
 * per run (cores of the node over the ranks on it, at least 1, within this process's CPU affinity). */
int sweep_mpi_init(int *rank, int *ranks, int *node_ranks, int *threads_cap);
/* Combines every rank's setup status (the worst wins) and rank 0's peaks; waits without spinning. */
int sweep_mpi_agree(int rc, sweep_ctx *x);
/* The distributed sweep: rank 0 hands out runs (most expensive first), records every result and
 * trains too; the others train what they are given. Returns this rank's status. */
int sweep_mpi_run(sweep_ctx *x, int rank, int ranks);
void sweep_mpi_finalize(void);
#endif

#endif
