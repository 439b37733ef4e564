/* cmd_sweep.c: `scalefit sweep`, many training runs into one HDF5 run file.
 *
 * The sweep comes from a sweep file, a shipped preset (datasets/sweeps/NAME.ini) or --sizes with
 * --tokens/--flops; sf_sweep.h turns it into a plan (the union of its grids, cheapest first, the
 * runs already in the file marked done). This file checks everything before the first run, then
 * trains the runs one after another (or hands them to sweep_mpi.c under mpirun, or to the forked
 * workers of sweep_jobs.c with --jobs K), appending each
 * finished run atomically (sf_train_store_append), so a rerun of the same command skips the runs
 * already in the file. The run in progress keeps its own checkpoint (FILE.h5.ckpt.d/RUN.ckpt), so
 * a sweep killed at any moment (even SIGKILL) loses at most the steps since that run's last
 * checkpoint. The progress display (an updating line on a terminal, plain lines in a log) is here
 * too, for both loops.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_store.h>
#include <scalefit/sf_sweep.h>
#include <scalefit/sf_train.h>
#include <scalefit/sf_version.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep_cli.h"
#include "cli/train_cli.h"
#include "util/util.h"

#define UNSET TRAIN_UNSET /* an integer option not given: the file's value (or the default) stands */

static const char *preset = NULL, *sizes = NULL, *budgets = NULL, *computes = NULL;
static train_data_opts dopt = {TRAIN_DATA_OPTS_UNSET};
static train_device_opts devopt;
static const char *output = NULL, *table = NULL;
static long jobs = 1;
static long context = UNSET, batch = UNSET, threads = UNSET, seed = UNSET, evals = UNSET, val_tokens = UNSET;
static double lr = NAN, peak = NAN, ckpt_every = NAN; /* NaN: not given */
static int dry_run = 0, quiet = 0;

static const cli_opt opts[] = {
    {"preset", 0, CLI_STRING, &preset, "NAME", "a shipped sweep file (listed below)"},
    {"sizes", 0, CLI_STRING, &sizes, "LIST", "model sizes LAYERSxD_MODEL[:HEADS], comma-separated (2x64,4x128)"},
    {"tokens", 0, CLI_STRING, &budgets, "LIST", "token budgets, comma-separated (1e5,3e5); each trains its whole batches"},
    {"flops", 0, CLI_STRING, &computes, "LIST", "isoFLOP: compute budgets instead of --tokens; each size gets D = C/(3F/T)"},
    {"context", 0, CLI_INT, &context, "T", "context length (default 128)"},
    {"batch", 0, CLI_INT, &batch, "TOKENS", "tokens per step (default 16*T)"},
    {"lr", 0, CLI_DOUBLE, &lr, "RATE", "peak learning rate (default by size, see 'scalefit train --help')"},
    TRAIN_DATA_OPTS(dopt),
    TRAIN_DEVICE_OPTS(devopt),
    {"seed", 0, CLI_INT, &seed, "S", "weights and data order of every run (default 1)"},
    {"threads", 0, CLI_INT, &threads, "N", "threads per run (default or 0: 1 below d-model 128, else all; with --jobs K or under MPI at most cores/K; more than the cores: warned, not capped)"},
    {"jobs", 'j', CLI_INT, &jobs, "K", "train K runs at a time in K workers: processes, threads on a GPU (default 1)"},
    {"evals", 0, CLI_INT, &evals, "N", "validations during each run (default 10)"},
    {"val-tokens", 0, CLI_INT, &val_tokens, "N", "validation tokens, in whole sequences of the context (default 16384)"},
    {"peak", 0, CLI_DOUBLE, &peak, "GFLOPS", "sgemm peak for MFU (default: measured once, about 1 s)"},
    {"output", 'o', CLI_STRING, &output, "FILE", "the run file (.h5), created or resumed"},
    {"checkpoint-every", 0, CLI_DOUBLE, &ckpt_every, "SECONDS", "checkpoint interval of a run in progress (default 60)"},
    {"table", 0, CLI_STRING, &table, "NAME", "table in the run file (default runs)"},
    {"dry-run", 'n', CLI_FLAG, &dry_run, NULL, "list the runs (done or to do) and their FLOPs, train nothing"},
    {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress display"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "sweep",
    "scalefit sweep (FILE.ini | --preset NAME | --sizes LIST (--tokens | --flops) LIST) -o FILE.h5 [options]",
    "Train grids of model sizes x budgets into one run file; rerunning resumes; spreads over MPI ranks.",
    "A sweep file (format in docs/TRAIN.md) holds the settings ([sweep], [data]) and one or more\n"
    "[grid] sections of sizes x token budgets (tokens = ...) or sizes x compute budgets (flops = ...,\n"
    "isoFLOP: each size trains the whole batches its budget allows, about C/(6N) tokens); the runs of\n"
    "all grids are trained once each, cheapest first. Options given on the command line override the\n"
    "file's settings; its grids cannot be changed by flags (--sizes, --tokens, --flops need no file).\n"
    "\n"
    "Every run is appended to the run file as soon as it finishes (atomically: the file is never\n"
    "left half-written), so an interrupted sweep, even one killed with SIGKILL, resumes by running\n"
    "the same command again: runs already in the file are skipped, and a run in progress continues\n"
    "from its checkpoint (FILE.h5.ckpt.d/RUN.ckpt, written every minute, removed once recorded).\n"
    "A run in the file recorded with another batch, learning rate, --val-tokens, --evals or data\n"
    "than this sweep's stops it before it starts (exit 2): give it another run file or --table.\n"
    "Sweeps started at once on one run file (or on several machines sharing it) split its runs:\n"
    "each claims a run before training it (FILE.h5.ckpt.d/RUN.claim) and leaves the runs others\n"
    "claimed for the end, then skips them once recorded, or takes over a claim whose process is\n"
    "gone (or silent for 10 minutes). --dry-run shows the claims.\n"
    "\n"
    "With --jobs K (-j K), K workers share the runs on this machine, most expensive first,\n"
    "each taking the next when free; a run's threads default to cores/K (at least 1), and the parent\n"
    "alone writes the run file. A failed or killed worker stops the sweep once the others finish\n"
    "their runs; the same command run again trains what is missing. Ctrl-C stops each worker's run\n"
    "after its step, with its checkpoint, and exits 130, as without --jobs. With --device cuda the workers\n"
    "are threads of one process, each on its own CUDA stream, sharing the GPUs (worker k on GPU k\n"
    "mod count), so that small runs keep a GPU busy: they run at once without NVIDIA's MPS. Not\n"
    "under mpirun.\n"
    "\n"
    "Under MPI (mpirun -np K scalefit sweep ...), the ranks share the runs, most expensive first,\n"
    "each asking for the next when free; rank 0 trains too and alone writes the run file. With\n"
    "--device cuda, the ranks of a machine share its GPUs (local rank k on GPU k mod count).",
    opts,
    0,
    1,
};

/* ============================== progress ============================== */

void progress_start(sweep_progress *p, const sf_sweep_plan *plan, int mode, int ranks) {
  memset(p, 0, sizeof *p);
  p->mode = mode;
  p->ranks = ranks;
  p->unit = "rank";
  p->total = plan->nruns - plan->ndone;
  p->work = plan->flops_todo;
  p->plan_flops = plan->flops_total;
  p->plan_done = plan->flops_total - plan->flops_todo;
  p->t0 = p->last_line = cli_now();
  p->last_draw = -1;
  /* a shorter interval for logs watched closely (and for the tests); 0: a line after every step.
   * A bad value is said once, by the process that shows progress (not with -q, not MPI ranks > 0). */
  const char *e = getenv("SCALEFIT_LOG_EVERY");
  double v;
  p->log_every = 30;
  if (e && *e) {
    if (sf_parse_double(e, &v) && v >= 0) p->log_every = v;
    else if (mode) fprintf(stderr, "warning: SCALEFIT_LOG_EVERY='%s' is not a number of seconds; using 30\n", e);
  }
}

/* FLOPs trained in this invocation so far: finished runs, and the steps of the runs in progress. */
static double work_now(const sweep_progress *p) {
  double w = p->work_done;
  for (int k = 0; k < SWEEP_SLOTS; k++) {
    const progress_slot *c = &p->slot[k];
    if (c->run && c->steps > 0) w += c->flops * (double)(c->step - c->step0) / (double)c->steps;
  }
  return w;
}

/* FLOPs of the runs in progress that earlier invocations trained (resumed from checkpoints). */
static double resumed(const sweep_progress *p) {
  double w = 0;
  for (int k = 0; k < SWEEP_SLOTS; k++) {
    const progress_slot *c = &p->slot[k];
    if (c->run && c->steps > 0) w += c->flops * (double)c->step0 / (double)c->steps;
  }
  return w;
}

/* ETA from the FLOP rate of this invocation; a resumed run's earlier steps are not in the rate, nor
 * the sgemm peak's measurement (a second, once: it made the first runs' ETA 10 to 20 times too long). */
static double eta(const sweep_progress *p) {
  double w = work_now(p), el = cli_now() - p->t0 - p->aside;
  if (w <= 0 || el <= 0) return NAN;
  double left = p->work - w - resumed(p);
  return left > 0 ? left * el / w : 0;
}

static double percent(const sweep_progress *p) {
  return p->plan_flops > 0 ? 100.0 * (p->plan_done + work_now(p) + resumed(p)) / p->plan_flops : 100.0;
}

static void draw(sweep_progress *p) {
  char line[512], e[32];
  cli_fmt_time(e, sizeof e, eta(p));
  int n = snprintf(line, sizeof line, "sweep [%zu/%zu run%s%s%s%s] %3.0f%% ETA %s", p->finished, p->total,
                   train_s((double)p->total), p->ranks > 1 ? ", all " : "", p->ranks > 1 ? p->unit : "", p->ranks > 1 ? "s" : "", percent(p), e);
  const progress_slot *shown = NULL;
  int busy = 0;
  for (int k = 0; k < SWEEP_SLOTS; k++)
    if (p->slot[k].run && busy++ == 0) shown = &p->slot[k];
  if (shown && n > 0 && (size_t)n < sizeof line)
    n += snprintf(line + n, sizeof line - (size_t)n, " | %s step %ld/%ld", shown->run, shown->step, shown->steps);
  if (busy > 1 && n > 0 && (size_t)n < sizeof line) snprintf(line + n, sizeof line - (size_t)n, " (+%d more)", busy - 1);
  struct winsize ws;
  size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col - 1 : 100;
  if (width < sizeof line) line[width] = 0;
  fprintf(stderr, "\r%s\033[K", line);
  fflush(stderr);
}

void progress_clear(sweep_progress *p) {
  if (p->mode == 1 && p->last_draw >= 0) {
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
    p->last_draw = -1;
  }
}

void progress_step(sweep_progress *p, int slot, const char *run, double run_flops, long step, long steps) {
  if (slot >= 0 && slot < SWEEP_SLOTS) {
    progress_slot *c = &p->slot[slot];
    if (c->run != run) /* a new run: the first step seen is where it (re)starts */
      *c = (progress_slot){run, run_flops, step - 1, step, steps};
    c->step = step;
    c->steps = steps;
  }
  double t = cli_now();
  if (p->mode == 1 && (p->last_draw < 0 || t - p->last_draw >= 0.2)) {
    draw(p);
    p->last_draw = t;
  } else if (p->mode == 2 && t - p->last_line >= p->log_every) { /* a sign of life in logs of long runs */
    char e[32];
    cli_fmt_time(e, sizeof e, eta(p));
    fprintf(stderr, "sweep: %s step %ld/%ld, %.0f%% of the sweep, ETA %s\n", run, step, steps, percent(p), e);
    p->last_line = t;
  }
}

void progress_run_skipped(sweep_progress *p, double run_flops) {
  if (p->total) p->total--;
  p->work -= run_flops;
  p->plan_done += run_flops;
}

void progress_drop(sweep_progress *p, int slot) {
  if (slot >= 0 && slot < SWEEP_SLOTS) p->slot[slot].run = NULL;
}

void progress_run_done(sweep_progress *p, const char *run, double run_flops, const sf_train_result *r, int rank) {
  for (int k = 0; k < SWEEP_SLOTS; k++)
    if (p->slot[k].run == run) p->slot[k].run = NULL;
  p->finished++;
  p->work_done += run_flops;
  if (p->mode) {
    /* on a terminal too: the updating line alone never showed a finished run's loss */
    char e[32], where[32] = "";
    cli_fmt_time(e, sizeof e, eta(p));
    if (rank >= 0) snprintf(where, sizeof where, " (%s %d)", p->unit, rank);
    if (p->mode == 1) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "[%zu/%zu] %s%s: val_loss %.4f, %.1f s, MFU %.0f%%, ETA %s\n", p->finished, p->total, run, where,
            r->val_loss, r->seconds, 100 * r->mfu, e);
    p->last_line = cli_now();
  }
  if (p->mode == 1) {
    draw(p);
    p->last_draw = cli_now();
  }
}

/* ============================== one run ============================== */

double sweep_peak(sweep_ctx *x, int th) {
  if (x->peak > 0) return x->peak;
  int kept = th >= 0 && th <= SWEEP_MAX_THREADS;
  if (kept && x->peak_by[th] > 0) return x->peak_by[th];
  sf_train_set_threads(th);
  double t = cli_now(), pk = sf_train_sgemm_peak(1.0);
  x->prog.aside += cli_now() - t;
  if (kept) x->peak_by[th] = pk;
  if (x->say_peak) { /* said: it takes a second, and MFU is against it */
    char on[32] = "all cores";
    if (th > 0) snprintf(on, sizeof on, "%d thread%s", th, train_s(th));
    if (x->prog.mode == 1) fprintf(stderr, "\r\033[K"); /* a lazy measurement may interrupt the updating line */
    fprintf(stderr, "sweep: sgemm peak on %s: %.1f GFLOP/s, measured once for every run on %s (their MFU)\n", on,
            pk / 1e9, on);
  }
  return pk;
}

int sweep_peaks_missing(const sweep_ctx *x) {
  if (x->peak > 0) return 0;
  for (size_t i = 0; i < x->plan.nruns; i++) {
    const sf_sweep_run *r = &x->plan.runs[i];
    int th = r->cfg.threads;
    if (!r->done && r->cfg.device == SF_DEVICE_CPU && th >= 0 && th <= SWEEP_MAX_THREADS && !(x->peak_by[th] > 0))
      return 1;
  }
  return 0;
}

void sweep_measure_peaks(sweep_ctx *x) {
  for (size_t i = 0; x->peak == 0 && i < x->plan.nruns; i++)
    if (!x->plan.runs[i].done && x->plan.runs[i].cfg.device == SF_DEVICE_CPU) sweep_peak(x, x->plan.runs[i].cfg.threads);
}

int sweep_train(sweep_ctx *x, size_t i, sf_train_progress_fn fn, void *fn_ctx, sf_train_result *r) {
  sf_sweep_run *run = &x->plan.runs[i];
  char *ckpt = sf_sweep_checkpoint_path(x->output, run->name);
  if (!ckpt) return sf_fail(SF_ENOMEM, "out of memory");
  sf_train_config c = run->cfg;
  /* a GPU run's MFU is against its GPU's dense peak (looked up by the GPU trainer), not the CPU's */
  c.peak_flops = c.device == SF_DEVICE_CPU ? sweep_peak(x, c.threads) : x->peak;
  c.checkpoint = ckpt;
  c.checkpoint_every = x->ckpt_every;
  /* a leftover of the same run with other settings (threads, batch, ...) cannot be continued */
  if (!sf_train_checkpoint_matches(ckpt, &c, x->src)) sf_train_checkpoint_remove(ckpt);
  sweep_claim_keeper k; /* the run's claim touched every minute, from whichever process trains it */
  sweep_claim_keep_start(&k, x, i, fn, fn_ctx);
  int rc = sf_train_run(&c, x->src, sweep_claim_keep_step, &k, r);
  sweep_claim_keep_end(&k);
  if (rc) sf_fail_context("run '%s': ", run->name);
  else r->cfg.checkpoint = NULL; /* freed below */
  free(ckpt);
  return rc;
}

/* 1 when another writer of the run file (a second sweep on it) has recorded run i since the plan
 * was made, as this sweep would have; SF_EINPUT (negative) when its record says it was trained
 * otherwise (sf_sweep_plan_mark_done's message); 0 when it is not there, or the file does not read. */
static int recorded_meanwhile(sweep_ctx *x, size_t i) {
  sf_table *t = NULL;
  if (sf_train_store_read(x->output, x->table, &t) != SF_OK) {
    sf_error_clear();
    return 0;
  }
  sf_sweep_run one = x->plan.runs[i];
  sf_sweep_plan p = {.nruns = 1, .runs = &one};
  int rc = t ? sf_sweep_plan_mark_done(&p, t, x->src) : SF_OK;
  sf_table_free(t);
  if (rc) return -rc;
  return one.done;
}

int sweep_skip_recorded(sweep_ctx *x, size_t i) {
  int there = recorded_meanwhile(x, i);
  if (there < 0) return -sf_fail_context("sweep: '%s' table '%s': ", x->output, x->table ? x->table : "runs");
  if (there) {
    progress_clear(&x->prog);
    cli_note("sweep: run '%s' was recorded meanwhile by another writer of '%s': skipped", x->plan.runs[i].name,
             x->output);
    progress_run_skipped(&x->prog, x->plan.runs[i].flops);
  }
  return there;
}

/* Run i for this process: 1 claimed and not recorded; 0 another sweep holds it (left for later) or
 * it was recorded meanwhile (skipped); -1 on an error (said, *failed set). Claimed before the look
 * at the run file: a claim given up after its run was recorded is then seen recorded. */
static int hand_out(sweep_ctx *x, size_t i, int *failed) {
  int c = x->claim ? sweep_claim(x, i) : 1, there = 0;
  if (c > 0 && (there = sweep_skip_recorded(x, i)) != 0) sweep_claim_release(x, i);
  if (c < 0 || there < 0) {
    progress_clear(&x->prog);
    cli_error("%s", sf_errmsg());
    *failed = c < 0 ? -c : -there;
    return -1;
  }
  if (c == 0) {
    if (x->claim[i] != SWEEP_CLAIM_OTHER) {
      progress_clear(&x->prog);
      cli_note("sweep: run '%s' is being trained by another sweep (its claim: %s.ckpt.d/%s.claim): left for the end",
               x->plan.runs[i].name, x->output, x->plan.runs[i].name);
    }
    x->claim[i] = SWEEP_CLAIM_OTHER;
    return 0;
  }
  if (there) {
    x->claim[i] = SWEEP_CLAIM_SKIPPED;
    return 0;
  }
  return 1;
}

long sweep_next_run(sweep_ctx *x, const size_t *order, size_t norder, size_t *next, int *failed) {
  while (!*failed && *next < norder) {
    size_t i = order[(*next)++];
    if (hand_out(x, i, failed) > 0) return (long)i;
  }
  if (*failed || !x->claim) return -1;
  /* the runs other sweeps held: at most once a second, each a claim file to read */
  int left = 0;
  double t = cli_now();
  for (size_t k = 0; k < norder; k++) left += x->claim[order[k]] == SWEEP_CLAIM_OTHER;
  if (!left) return -1;
  if (t - x->claim_looked < 1) return SWEEP_WAIT;
  x->claim_looked = t;
  left = 0;
  for (size_t k = 0; !*failed && k < norder; k++) {
    size_t i = order[k];
    if (x->claim[i] != SWEEP_CLAIM_OTHER) continue;
    int h = hand_out(x, i, failed);
    if (h > 0) return (long)i;
    left += h == 0 && x->claim[i] == SWEEP_CLAIM_OTHER;
  }
  if (*failed || !left) return -1;
  if (!x->claim_said_wait) {
    progress_clear(&x->prog);
    cli_note("sweep: waiting for another sweep to finish the %d run%s it trains (or to give %s up)", left,
             train_s(left), left == 1 ? "it" : "them");
    x->claim_said_wait = 1;
  }
  return SWEEP_WAIT;
}

int sweep_record(sweep_ctx *x, size_t i, const sf_train_result *r) {
  const char *name = x->plan.runs[i].name;
  int rc = sf_train_store_append(x->output, x->table, r, x->src, name);
  if (rc) {
    char *msg = sf_strdup(sf_errmsg());
    int there = rc == SF_EINPUT ? recorded_meanwhile(x, i) : 0;
    if (there <= 0) {
      if (!there && msg) sf_fail(rc, "%s", msg); /* the append's own message */
      free(msg);
      return sf_fail_context("recording run '%s': ", name);
    }
    free(msg);
    /* both trained it, from the same seed: the other's record stands, and this sweep goes on */
    progress_clear(&x->prog);
    cli_note("sweep: run '%s' was recorded meanwhile by another writer of '%s'; its record is kept", name, x->output);
  }
  char *ckpt = sf_sweep_checkpoint_path(x->output, x->plan.runs[i].name);
  if (ckpt) sf_train_checkpoint_remove(ckpt);
  free(ckpt);
  sweep_claim_release(x, i);
  return SF_OK;
}

/* A run record as bytes: the run's index, the sf_train_result, its curve. The MPI ranks and the
 * --jobs workers run the same binary, so the struct travels as it is (its pointers are dropped). */
int sweep_result_pack(int idx, const sf_train_result *r, char **buf, size_t *n) {
  size_t curve = r->ncurve * SF_TRAIN_CURVE_COLS * sizeof(double);
  *n = sizeof idx + sizeof *r + curve;
  if (!(*buf = malloc(*n))) return sf_fail(SF_ENOMEM, "out of memory");
  memcpy(*buf, &idx, sizeof idx);
  memcpy(*buf + sizeof idx, r, sizeof *r);
  if (curve) memcpy(*buf + sizeof idx + sizeof *r, r->curve, curve);
  return SF_OK;
}

int sweep_result_unpack(const sweep_ctx *x, const char *buf, size_t n, int *idx, sf_train_result *r) {
  memset(r, 0, sizeof *r);
  if (n < sizeof *idx + sizeof *r) return sf_fail(SF_EINTERNAL, "a run record of %zu bytes is too short", n);
  memcpy(idx, buf, sizeof *idx);
  memcpy(r, buf + sizeof *idx, sizeof *r);
  r->cfg.checkpoint = NULL;
  r->curve = NULL;
  size_t curve = r->ncurve * SF_TRAIN_CURVE_COLS * sizeof(double);
  if (*idx < 0 || (size_t)*idx >= x->plan.nruns || r->ncurve > n || n != sizeof *idx + sizeof *r + curve) {
    r->ncurve = 0;
    return sf_fail(SF_EINTERNAL, "a run record of %zu bytes does not match its run %d", n, *idx);
  }
  if (!(r->curve = malloc(curve + 1))) {
    r->ncurve = 0;
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  memcpy(r->curve, buf + sizeof *idx + sizeof *r, curve);
  return SF_OK;
}

typedef struct serial_cb {
  sweep_progress *p;
  const sf_sweep_run *run;
  long step, steps; /* where the run stands */
} serial_cb;

/* Ctrl-C (or SIGTERM) in the serial loop (train_signals_catch): the run in progress stops after its
 * step, saving its checkpoint, and the sweep says how to resume; it once died silently, losing up to
 * a minute of the run. (--jobs does the same in each worker, sweep_jobs.c; MPI in each rank, sweep_mpi.c.) */

static int on_step(void *ctx, long step, long steps, double loss, double seconds) {
  serial_cb *s = ctx;
  s->step = step;
  s->steps = steps;
  progress_step(s->p, 0, s->run->name, s->run->flops, step, steps);
  return train_interrupted() != 0;
}

/* *said: the failure returned was printed already (by sweep_next_run) */
static int serial_sweep(sweep_ctx *x, int *said) {
  int rc = SF_OK;
  train_signals_catch();
  serial_cb cb = {&x->prog, NULL, 0, 0};
  size_t *order = malloc((x->plan.nruns + 1) * sizeof *order), norder = 0, next = 0;
  if (!order) rc = sf_fail(SF_ENOMEM, "out of memory");
  for (size_t i = 0; order && i < x->plan.nruns; i++) /* cheapest first, the plan's order */
    if (!x->plan.runs[i].done) order[norder++] = i;
  int failed = 0;
  while (!rc && !train_interrupted()) {
    long n = sweep_next_run(x, order, norder, &next, &failed);
    if (failed) {
      rc = failed;
      *said = 1;
      break;
    }
    if (n == SWEEP_WAIT) {
      struct timespec ts = {0, 200000000}; /* a signal ends it early */
      nanosleep(&ts, NULL);
      continue;
    }
    if (n < 0) break;
    size_t i = (size_t)n;
    cb = (serial_cb){&x->prog, &x->plan.runs[i], 0, 0};
    sf_train_result r;
    if ((rc = sweep_train(x, i, on_step, &cb, &r))) break;
    cb.run = NULL;
    if (!(rc = sweep_record(x, i, &r))) progress_run_done(&x->prog, x->plan.runs[i].name, x->plan.runs[i].flops, &r, -1);
    sf_train_result_free(&r);
  }
  free(order);
  if (train_interrupted() && (!rc || cb.run)) { /* said here, not as the run's error */
    sf_error_clear();
    sweep_stops st = {0};
    if (cb.run) sweep_stops_add(&st, cb.step, cb.steps, cb.run->name);
    sweep_say_interrupted(x, &st);
    rc = SWEEP_INTERRUPTED;
  }
  train_signals_release();
  return rc;
}

void sweep_stops_add(sweep_stops *s, long step, long steps, const char *run) {
  size_t n = strlen(s->at);
  if (steps > 0 && s->n++ < 3 && n < sizeof s->at)
    snprintf(s->at + n, sizeof s->at - n, "%sstep %ld of %ld of run '%s'", n ? ", " : "", step, steps, run);
}

void sweep_say_interrupted(sweep_ctx *x, const sweep_stops *s) {
  char where[700] = "between runs";
  if (s->n > 3) snprintf(where, sizeof where, "with %d runs in progress", s->n);
  else if (s->n) snprintf(where, sizeof where, "at %s", s->at);
  progress_clear(&x->prog);
  cli_error("sweep: interrupted %s: %zu of %zu run%s recorded in '%s'; %sthe same command resumes", where,
            x->prog.finished, x->prog.total, train_s((double)x->prog.total), x->output,
            s->n == 1 ? "its checkpoint keeps the run's steps: " : s->n ? "their checkpoints keep the runs' steps: " : "");
}

/* ============================== setting up ============================== */

static void list_presets(void) {
  char **names;
  size_t n;
  if (sf_sweep_presets(&names, &n)) return;
  printf("\nPresets (%s/sweeps/NAME.ini):\n", sf_datadir());
  for (size_t i = 0; i < n; i++) {
    char *path = sf_sweep_preset_path(names[i]);
    sf_sweep *s = NULL;
    if (path && sf_sweep_read(path, &s) == SF_OK) printf("  %-10s %s\n", names[i], s->description ? s->description : "");
    else printf("  %-10s (does not read: %s)\n", names[i], sf_errmsg());
    sf_sweep_free(s);
    free(path);
  }
  if (!n) printf("  none found\n");
  sf_sweep_free_names(names, n);
#ifdef SF_HAVE_MPI
  printf("\nMPI: built in (mpirun -np K scalefit sweep ...)\n");
#else
  printf("\nMPI: not built in (install libopenmpi-dev and rebuild for mpirun sweeps)\n");
#endif
}

/* The sweep from the file, the preset or the flags, with the command line's settings over the
 * file's. Prints its own messages. */
/* A data option given on the command line, else the sweep file's (0 there: not set, the default). */
static long given_or_file(long given, long file) { return given != UNSET ? given : file ? file : UNSET; }

static int make_sweep(const char *file, sf_sweep **out) {
  *out = NULL;
  int grid_flags = sizes || budgets || computes, rc;
  if (file && preset) {
    cli_error("sweep: give a sweep file or --preset, not both");
    return SF_EUSAGE;
  }
  sf_sweep *s = NULL;
  if (file || preset) {
    if (grid_flags) {
      cli_error("sweep: --sizes, --tokens and --flops make a grid without a sweep file; the grids of '%s' are edited "
                "in the file", file ? file : preset);
      return SF_EUSAGE;
    }
    char *path = file ? sf_strdup(file) : sf_sweep_preset_path(preset);
    if (!path) return cli_fail_lib(sf_errcode() ? sf_errcode() : SF_ENOMEM);
    rc = sf_sweep_read(path, &s);
    free(path);
    if (rc) return cli_fail_lib(rc);
  } else {
    if (!sizes || !budgets == !computes) {
      cli_error("sweep: give a sweep file, --preset NAME, or --sizes and one of --tokens, --flops");
      return SF_EUSAGE;
    }
    if ((rc = sf_sweep_new(&s)) || (rc = sf_sweep_add_grid(s, sizes, budgets ? budgets : computes, !budgets))) {
      sf_sweep_free(s);
      return cli_fail_lib(rc == SF_EINPUT ? SF_EUSAGE : rc);
    }
  }
  /* the command line over the file */
  if (!train_in_range("sweep", "context", context, 1, 65536) || !train_in_range("sweep", "batch", batch, 1, 1L << 40) ||
      !train_in_range("sweep", "threads", threads, 0, 1024) || !train_in_range("sweep", "seed", seed, 0, 1L << 62) ||
      !train_in_range("sweep", "evals", evals, 1, 10000) ||
      !train_in_range("sweep", "val-tokens", val_tokens, 1, 1L << 32)) {
    sf_sweep_free(s);
    return SF_EINPUT;
  }
  if (!isnan(lr) && !(lr > 0 && lr < 1)) {
    cli_error("sweep: --lr %g is not a learning rate in (0, 1)", lr);
    sf_sweep_free(s);
    return SF_EINPUT;
  }
  if (context != UNSET) s->context = context;
  if (batch != UNSET) s->batch = batch;
  if (threads != UNSET) s->threads = threads;
  if (seed != UNSET) s->seed = seed;
  if (evals != UNSET) s->evals = evals;
  if (val_tokens != UNSET) s->val_tokens = val_tokens;
  if (!isnan(lr)) s->lr = lr;
  long T = s->context ? s->context : 128;
  if (s->batch && s->batch % T) {
    cli_error("sweep: batch %ld tokens is not a whole number of sequences of context %ld", s->batch, T);
    sf_sweep_free(s);
    return SF_EINPUT;
  }
  static const char *const kinds[] = {"corpus", "markov", "addition"};
  train_data_opts d = {
      .data = dopt.data ? dopt.data : kinds[s->data.kind],
      .corpus_dir = dopt.corpus_dir ? dopt.corpus_dir : s->data.corpus_dir,
      .markov_vocab = given_or_file(dopt.markov_vocab, s->data.markov_vocab),
      .markov_order = given_or_file(dopt.markov_order, s->data.markov_order),
      .markov_seed = given_or_file(dopt.markov_seed, (long)s->data.markov_seed),
      .digits = given_or_file(dopt.digits, s->data.add_digits),
      .markov_alpha = !isnan(dopt.markov_alpha) ? dopt.markov_alpha : s->data.markov_alpha > 0 ? s->data.markov_alpha : NAN,
  };
  sf_source_spec spec;
  if ((rc = train_data_spec("sweep", &d, &spec)) || (rc = train_data_given_check("sweep", &dopt, d.data))) {
    sf_sweep_free(s);
    return rc;
  }
  char *dir = sf_strdup(spec.corpus_dir);
  if (spec.corpus_dir && !dir) {
    sf_sweep_free(s);
    return cli_fail_lib(sf_fail(SF_ENOMEM, "out of memory"));
  }
  free((char *)s->data.corpus_dir);
  s->data = spec;
  s->data.corpus_dir = dir;
  *out = s;
  return SF_OK;
}

/* Token budgets that are not whole batches train fewer tokens than asked (the run name keeps the
 * budget asked for, the record's D is what was trained): said once, each budget once. */
static void note_rounding(const sf_sweep_plan *p) {
  sf_buf b;
  sf_buf_init(&b);
  size_t nseen = 0;
  long per_batch = 0;
  for (size_t i = 0; i < p->nruns; i++) {
    const sf_train_config *c = &p->runs[i].cfg;
    double whole = floor(c->tokens / (double)c->batch_tokens) * (double)c->batch_tokens;
    size_t j = 0;
    while (j < i && p->runs[j].cfg.tokens != c->tokens) j++;
    if (whole == c->tokens || j < i) continue;
    per_batch = c->batch_tokens;
    if (nseen++ < 8) sf_buf_printf(&b, "%s%.0f trains %.0f", nseen > 1 ? ", " : "", c->tokens, whole);
  }
  if (nseen > 8) sf_buf_printf(&b, " (and %zu more)", nseen - 8);
  if (nseen && !b.oom)
    cli_note("sweep: a run trains whole batches of %ld tokens: token budget%s %s; run names keep the budget asked "
             "for, the run file's D and C are what was trained", per_batch, train_s((double)nseen), sf_buf_str(&b));
  sf_buf_free(&b);
}

/* The runs, done or to do; one another sweep trains says so (its claim). */
static void print_plan(const sf_sweep_plan *p, const char *runfile) {
  for (size_t i = 0; i < p->nruns; i++) {
    char f[32], th[16] = "all", claim[400] = "";
    sf_fmt_compute(f, sizeof f, p->runs[i].flops); /* compute in e-notation, as every command shows it */
    if (p->runs[i].cfg.threads > 0) snprintf(th, sizeof th, "%d", p->runs[i].cfg.threads);
    if (!p->runs[i].done && sweep_claim_describe(runfile, p->runs[i].name, claim + 2, sizeof claim - 2))
      memcpy(claim, "  ", 2);
    printf("%-5s %-40s N %-10.0f C %-8s threads %s%s\n", p->runs[i].done ? "done" : "todo", p->runs[i].name,
           sf_gpt_nparams(&p->runs[i].cfg.model), f, th, claim);
  }
}

int cmd_sweep(int argc, char **argv) {
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) {
    list_presets();
    return SF_OK;
  }
  if (rc) return rc;
  int rank = 0, ranks = 1, node_ranks = 1, threads_cap = 0, mpi = 0, said = 0;
#ifdef SF_HAVE_MPI
  if ((mpi = sweep_mpi_launched()) && (rc = sweep_mpi_init(&rank, &ranks, &node_ranks, &threads_cap))) return rc;
#endif
  sf_sweep *sw = NULL;
  sf_source *src = NULL;
  sf_table *done = NULL;
  sweep_ctx x;
  memset(&x, 0, sizeof x);
  x.output = output;
  x.table = table ? table : "runs";
  x.peak = isnan(peak) ? 0 : peak * 1e9;
  x.say_peak = !quiet && rank == 0;
  x.ckpt_every = isnan(ckpt_every) ? 0 : ckpt_every;

  sf_train_config base; /* what every run has beside the sweep's settings */
  memset(&base, 0, sizeof base);
  /* everything is checked before the first run: the device, the sweep, the output, the data, every run */
  /* refused on rank 0 alone, which speaks for all under MPI (sweep_mpi_agree stops every rank) */
  if (jobs < 1 || jobs > 1024 || (jobs > 1 && mpi)) {
    if (rank == 0) {
      if (jobs > 1 && jobs <= 1024) /* two schedulers of one sweep */
        cli_error("sweep: --jobs and mpirun both spread the runs over processes; give one of them");
      else cli_error("sweep: --jobs %ld is not a number of runs to train at a time (1..1024)", jobs);
      rc = SF_EUSAGE;
    }
    goto setup_done;
  }
  base.device = train_device("sweep", &devopt);
  base.precision = train_precision("sweep", &devopt);
  if ((int)base.device < 0 || (int)base.precision < 0) { /* said why */
    rc = SF_EINPUT;
    goto setup_done;
  }
  /* GPU runs with --jobs are threads of this process (sweep_jobs.c), which may start CUDA itself */
  if ((rc = train_device_check("sweep", &devopt))) goto setup_done;
  if (mpi && base.device == SF_DEVICE_CUDA) sweep_gpu_share_warn(node_ranks, "ranks on this node"); /* rank 0 speaks */
  if (jobs > 1) { /* the cores shared by the workers, as the ranks share them under MPI */
    threads_cap = sweep_jobs_cores() / (int)jobs;
    if (threads_cap < 1) threads_cap = 1;
  }
  if ((rc = make_sweep(nargs ? args[0] : NULL, &sw))) goto setup_done;
  if (!output) {
    cli_error("sweep: the run file is missing (-o FILE.h5)");
    rc = SF_EUSAGE;
  } else if (!sf_ext_is(output, ".h5") && !sf_ext_is(output, ".hdf5")) {
    cli_error("sweep: output '%s' must be a run file ending in .h5", output);
    rc = SF_EUSAGE;
  } else if (sf_is_dir(output)) { /* said as a write's error, as before the file was first only read */
    cli_error("cannot write '%s': it is a directory", output);
    rc = SF_EIO;
  } else if ((!isnan(peak) && !(peak > 0 && isfinite(peak))) ||
             (!isnan(ckpt_every) && !(ckpt_every > 0 && isfinite(ckpt_every)))) {
    cli_error("sweep: --peak and --checkpoint-every must be positive numbers");
    rc = SF_EINPUT;
  }
  if (rc) goto setup_done;
  /* read here; whether the folder takes a file is asked below, of a sweep with runs to train: a dry
   * run or a finished sweep on a read-only copy once stopped with exit 4 */
  if ((rank == 0 && (rc = sf_train_store_read(output, x.table, &done))) || (rc = sf_source_open(&sw->data, &src)) ||
      (rc = sf_sweep_plan_build(sw, src, &base, threads_cap, &x.plan))) {
    rc = rank == 0 || !mpi ? cli_fail_lib(rc) : rc;
    goto setup_done;
  }
  x.src = src;
  if ((rc = sf_sweep_plan_mark_done(&x.plan, done, src))) {
    sf_fail_context("sweep: '%s' table '%s': ", output, x.table ? x.table : "runs");
    rc = cli_fail_lib(rc);
    goto setup_done;
  }
  if (rank == 0 && !dry_run) {
    for (size_t i = 0; i < x.plan.nruns; i++) /* a claimer killed after recording its run */
      if (x.plan.runs[i].done) sweep_claim_drop_stale(output, x.plan.runs[i].name);
    sf_sweep_cleanup(output, &x.plan); /* leftovers of killed writers, checkpoints of recorded runs */
    if (x.plan.ndone < x.plan.nruns &&
        ((rc = sf_train_store_check(output, x.table, NULL)) || (rc = sf_sweep_checkpoint_dir(output))))
      cli_fail_lib(rc);
  }
setup_done:
#ifdef SF_HAVE_MPI
  if (mpi) rc = sweep_mpi_agree(rc, &x); /* every rank stops if any failed; rank 0's peaks for all */
#endif
  if (!rc && rank == 0) note_rounding(&x.plan); /* not progress: -q keeps it */
  if (!rc && rank == 0 && sw->threads > 0) { /* threads given (flag or file), beyond the cores a run has */
    char sharing[96] = "";
    if (jobs > 1) snprintf(sharing, sizeof sharing, " (%ld workers sharing %d core%s)", jobs, sweep_jobs_cores(),
                            train_s(sweep_jobs_cores()));
    if (mpi) snprintf(sharing, sizeof sharing, " (%d rank%s sharing this node)", node_ranks, train_s(node_ranks));
    train_threads_warn("sweep", sw->threads, threads_cap > 0 ? threads_cap : train_cores(), sharing);
  }
  if (!rc && dry_run) {
    if (rank == 0) print_plan(&x.plan, output);
  } else if (!rc && rank == 0 && !(x.claim = calloc(x.plan.nruns + 1, 1))) {
    rc = cli_fail_lib(sf_fail(SF_ENOMEM, "out of memory"));
  } else if (!rc) {
    int mode = quiet || rank != 0 ? 0 : isatty(STDERR_FILENO) ? 1 : 2;
    size_t todo = x.plan.nruns - x.plan.ndone;
    int workers = jobs > 1 ? (size_t)jobs < todo ? (int)jobs : (int)todo : 0;
    progress_start(&x.prog, &x.plan, mode, workers > 1 ? workers : ranks);
    if (workers) x.prog.unit = "worker";
    if (mode) {
      char on[48] = "";
      if (ranks > 1) snprintf(on, sizeof on, " on %d ranks", ranks);
      if (workers > 1) snprintf(on, sizeof on, " on %d workers", workers);
      fprintf(stderr, "sweep: %zu run%s, %zu already in '%s', %zu to train%s (%s)\n", x.plan.nruns,
              train_s((double)x.plan.nruns), x.plan.ndone, output,
              x.plan.nruns - x.plan.ndone, on, sf_source_describe(src));
    }
#ifdef SF_HAVE_MPI
    if (mpi) rc = sweep_mpi_run(&x, rank, ranks);
    else
#endif
    if (workers) { /* the sgemm peaks first, once, while nothing else runs */
      double t = cli_now();
      rc = sweep_jobs_peaks(&x);
      x.prog.aside += cli_now() - t;
      if (rc) cli_fail_lib(rc);
      else rc = sweep_jobs_run(&x, workers, base.device == SF_DEVICE_CUDA);
    } else
      rc = serial_sweep(&x, &said);
    progress_clear(&x.prog);
    /* under MPI and --jobs, each failure has been reported with its rank or worker; an interrupt by
     * the serial loop */
    if (rc && rc != SWEEP_INTERRUPTED && !mpi && !workers && !said) cli_fail_lib(rc);
    sweep_claims_release(&x); /* those of runs not recorded: a failure, an interrupt */
    if (rc && rc != SWEEP_INTERRUPTED && workers && mode)
      cli_note("sweep: recorded %zu of the %zu run%s to train; the same command again trains the rest", x.prog.finished,
               x.prog.total, train_s((double)x.prog.total));
    if (rank == 0) sf_sweep_cleanup(output, NULL);
    if (!rc && mode) {
      char t[32];
      cli_fmt_time(t, sizeof t, cli_now() - x.prog.t0);
      if (x.plan.nruns == 1) fprintf(stderr, "sweep: '%s' table '%s' holds its one run (%s)\n", output, x.table, t);
      else fprintf(stderr, "sweep: '%s' table '%s' holds all %zu runs (%s)\n", output, x.table, x.plan.nruns, t);
    }
  }
  free(x.claim);
  sf_sweep_plan_free(&x.plan);
  sf_table_free(done);
  sf_source_free(src);
  sf_sweep_free(sw);
#ifdef SF_HAVE_MPI
  if (mpi) sweep_mpi_finalize();
#endif
  if (rc == SWEEP_INTERRUPTED) { /* end by the signal, as a shell expects of Ctrl-C (a loop around it stops too) */
    train_end_by_signal();
    rc = 128 + train_interrupted();
  }
  return rc;
}
