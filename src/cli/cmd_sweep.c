/* cmd_sweep.c: `scalefit sweep`, a grid of model sizes x token budgets trained one after another
 * into one HDF5 run file (sf_train_store_append). Each finished run is appended atomically, and a
 * rerun of the same command skips the runs already in the file (matched by sf_train_run_name);
 * the run in progress keeps a checkpoint beside the file (FILE.h5.ckpt), so a sweep killed at any
 * moment (even SIGKILL) loses at most the steps since that run's last checkpoint. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>
#include <scalefit/sf_train.h>

#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/train_cli.h"
#include "util/util.h"

static const char *preset = NULL, *sizes = NULL, *budgets = NULL, *computes = NULL;
static train_data_opts dopt = {.data = "corpus"};
static train_device_opts devopt;
static const char *output = NULL, *table = NULL;
static long context = 0, batch = 0, threads = 0, seed = 1, evals = 0, val_tokens = 0;
static double lr = 0, peak = 0, ckpt_every = 0;
static int dry_run = 0, quiet = 0;

static const cli_opt opts[] = {
    {"preset", 0, CLI_STRING, &preset, "NAME", "tiny (a handful of runs, about a minute on 2 cores)"},
    {"sizes", 0, CLI_STRING, &sizes, "LIST", "model sizes LAYERSxD_MODEL[:HEADS], comma-separated (2x64,4x128)"},
    {"tokens", 0, CLI_STRING, &budgets, "LIST", "token budgets, comma-separated (1e5,3e5)"},
    {"flops", 0, CLI_STRING, &computes, "LIST", "isoFLOP: compute budgets instead of --tokens; each size gets D = C/(3F/T)"},
    {"context", 0, CLI_INT, &context, "T", "context length (default 128; tiny: 64)"},
    {"batch", 0, CLI_INT, &batch, "TOKENS", "tokens per step (default 16*T)"},
    {"lr", 0, CLI_DOUBLE, &lr, "RATE", "peak learning rate (default by size, see 'scalefit train --help')"},
    TRAIN_DATA_OPTS(dopt),
    TRAIN_DEVICE_OPTS(devopt),
    {"seed", 0, CLI_INT, &seed, "S", "weights and data order of every run (default 1)"},
    {"threads", 0, CLI_INT, &threads, "N", "threads per run (default 1 below d-model 128, else all)"},
    {"evals", 0, CLI_INT, &evals, "N", "validations during each run (default 10)"},
    {"val-tokens", 0, CLI_INT, &val_tokens, "N", "validation tokens (default 16384)"},
    {"peak", 0, CLI_DOUBLE, &peak, "GFLOPS", "sgemm peak for MFU (default: measured once, about 1 s)"},
    {"output", 'o', CLI_STRING, &output, "FILE", "the run file (.h5), created or resumed"},
    {"checkpoint-every", 0, CLI_DOUBLE, &ckpt_every, "SECONDS", "checkpoint interval of the run in progress (default 60)"},
    {"table", 0, CLI_STRING, &table, "NAME", "table in the run file (default runs)"},
    {"dry-run", 'n', CLI_FLAG, &dry_run, NULL, "list the runs (done or to do) and their FLOPs, train nothing"},
    {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress lines"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "sweep",
    "scalefit sweep (--preset NAME | --sizes LIST --tokens LIST) -o FILE.h5 [--data KIND] [options]",
    "Train a grid of model sizes x token budgets into one run file; rerunning resumes.",
    "Every run is appended to the run file as soon as it finishes (atomically: the file is never\n"
    "left half-written), so an interrupted sweep, even one killed with SIGKILL, resumes by running\n"
    "the same command again: runs already in the file are skipped, and the one in progress continues\n"
    "from its checkpoint (FILE.h5.ckpt, written every minute and removed when the run is recorded).\n"
    "Runs go from the cheapest to the most expensive. With --flops, every size trains for each compute\n"
    "budget C the tokens D that the exact FLOP count allows (about C/(6N)), rounded down to whole\n"
    "batches: isoFLOP profiles. Presets:\n"
    "  tiny   sizes 2x32,2x64,4x64, budgets 1e5,6e5 tokens, context 64 (6 runs, about a minute)",
    opts,
    0,
    0,
};

typedef struct point {
  sf_train_config c;
  char *name;
  double flops;
  int done;
} point;

static int cmp_flops(const void *a, const void *b) {
  double x = ((const point *)a)->flops, y = ((const point *)b)->flops;
  return (x > y) - (x < y);
}

static int parse_sizes(const char *list, int (*out)[3], size_t *n, size_t cap) {
  const char *p = list;
  *n = 0;
  while (*p) {
    int L = 0, C = 0, H = 0, used = 0;
    if (*n == cap) return sf_fail(SF_EUSAGE, "--sizes: more than %zu sizes", cap);
    if (sscanf(p, "%dx%d%n", &L, &C, &used) != 2 || L < 1 || C < 1)
      return sf_fail(SF_EUSAGE, "--sizes: '%s' is not LAYERSxD_MODEL[:HEADS] (e.g. 2x64)", p);
    p += used;
    if (*p == ':') {
      int u2 = 0;
      if (sscanf(p + 1, "%d%n", &H, &u2) != 1 || H < 1) return sf_fail(SF_EUSAGE, "--sizes: bad heads in '%s'", list);
      p += 1 + u2;
    }
    out[*n][0] = L;
    out[*n][1] = C;
    out[*n][2] = H ? H : (C >= 128 ? C / 64 : 1);
    (*n)++;
    if (*p == ',') p++;
    else if (*p) return sf_fail(SF_EUSAGE, "--sizes: unexpected '%s' in '%s'", p, list);
  }
  return *n ? SF_OK : sf_fail(SF_EUSAGE, "--sizes is empty");
}

static int parse_budgets(const char *opt, const char *list, double *out, size_t *n, size_t cap) {
  char *copy = sf_strdup(list), *save = NULL;
  if (!copy) return sf_fail(SF_ENOMEM, "out of memory");
  *n = 0;
  int rc = SF_OK;
  for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
    double v;
    if (*n == cap) rc = sf_fail(SF_EUSAGE, "--%s: more than %zu budgets", opt, cap);
    else if (!sf_parse_double(tok, &v) || !(v > 0)) rc = sf_fail(SF_EUSAGE, "--%s: '%s' is not a positive number", opt, tok);
    else out[(*n)++] = v;
  }
  free(copy);
  if (!rc && !*n) rc = sf_fail(SF_EUSAGE, "--%s is empty", opt);
  return rc;
}

static int has_run(const sf_table *t, const char *name) {
  for (size_t i = 0; t && i < t->nrows; i++)
    if (strcmp(t->run[i], name) == 0) return 1;
  return 0;
}

/* Temporary files "<path>.tmp.<pid>.<n>" of writers killed while writing (SIGKILL cannot be
 * cleaned up after): removed when their process is gone. */
static void remove_stale_temps(const char *path) {
  char *pattern = sf_asprintf("%s.tmp.*", path);
  glob_t gl;
  if (pattern && glob(pattern, GLOB_NOSORT, NULL, &gl) == 0) {
    size_t skip = strlen(path) + 5;
    for (size_t i = 0; i < gl.gl_pathc; i++) {
      long pid = strtol(gl.gl_pathv[i] + skip, NULL, 10);
      if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) remove(gl.gl_pathv[i]);
    }
    globfree(&gl);
  }
  free(pattern);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cmd_sweep(int argc, char **argv) {
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  if (preset) {
    if (strcmp(preset, "tiny") != 0) {
      cli_error("sweep: unknown preset '%s' (presets: tiny)", preset);
      return SF_EUSAGE;
    }
    if (!sizes) sizes = "2x32,2x64,4x64";
    if (!budgets) budgets = "1e5,6e5";
    if (!context) context = 64;
  }
  if (!sizes || !budgets == !computes) {
    cli_error("sweep: give --preset, or --sizes and one of --tokens, --flops");
    return SF_EUSAGE;
  }
  if (!output) {
    cli_error("sweep: the run file is missing (-o FILE.h5)");
    return SF_EUSAGE;
  }
  if (!sf_ext_is(output, ".h5") && !sf_ext_is(output, ".hdf5")) {
    cli_error("sweep: output '%s' must be a run file ending in .h5", output);
    return SF_EUSAGE;
  }
  if (!table) table = "runs";
  if (!context) context = 128;
  if (context < 1 || context > 65536 || batch < 0 || threads < 0 || seed < 0 || evals < 0 || val_tokens < 0 ||
      lr < 0 || peak < 0 || ckpt_every < 0) {
    cli_error("sweep: numeric options must be positive (and --context at least 1)");
    return SF_EINPUT;
  }
  int sz[64][3];
  double bud[64];
  size_t nsz = 0, nbud = 0;
  if ((rc = parse_sizes(sizes, sz, &nsz, 64)) || (rc = parse_budgets(budgets ? "tokens" : "flops", budgets ? budgets : computes, bud, &nbud, 64)))
    return cli_fail_lib(rc);

  sf_source_spec spec;
  if ((rc = train_data_spec("sweep", &dopt, &spec))) return rc;

  /* everything is checked before the first run: output, data, every configuration */
  sf_table *done = NULL;
  if ((rc = sf_train_store_check(output, table, &done))) return cli_fail_lib(rc);
  sf_source *src = NULL;
  if ((rc = sf_source_open(&spec, &src))) {
    sf_table_free(done);
    return cli_fail_lib(rc);
  }
  size_t np = nsz * nbud, ntodo = 0;
  point *pts = calloc(np, sizeof *pts);
  if (!pts) rc = sf_fail(SF_ENOMEM, "out of memory");
  double todo_flops = 0;
  for (size_t i = 0; !rc && i < np; i++) {
    point *p = &pts[i];
    const int *s = sz[i / nbud];
    p->c.model = (sf_gpt_config){s[0], s[1], s[2], (int)context, sf_source_vocab(src)};
    p->c.tokens = bud[i % nbud];
    p->c.batch_tokens = batch ? batch : 16 * context;
    if (computes) { /* isoFLOP: the whole batches that fit in the compute budget */
      double per_batch = 3.0 * (double)(p->c.batch_tokens / context) * sf_gpt_flops_forward(&p->c.model, (int)context);
      p->c.tokens = floor(bud[i % nbud] / per_batch) * (double)p->c.batch_tokens;
      if (p->c.tokens < (double)p->c.batch_tokens) {
        rc = sf_fail(SF_EINPUT, "compute budget %g is less than one batch of size %dx%d (%.3g FLOP)", bud[i % nbud], s[0],
                     s[1], per_batch);
        break;
      }
    }
    p->c.lr = lr;
    p->c.weight_decay = -1;
    p->c.val_tokens = val_tokens;
    p->c.evals = (int)evals;
    p->c.seed = (uint64_t)seed;
    p->c.threads = (int)threads;
    p->c.device = train_device("sweep", &devopt);
    p->c.precision = train_precision("sweep", &devopt);
    if ((rc = sf_train_resolve(&p->c)) || (rc = sf_source_check_context(src, (int)context))) {
      sf_fail_context("size %dx%d, budget %g: ", s[0], s[1], bud[i % nbud]);
      break;
    }
    p->flops = 3.0 * floor(p->c.tokens / (double)p->c.batch_tokens) * (double)(p->c.batch_tokens / context) *
               sf_gpt_flops_forward(&p->c.model, (int)context);
    if (!(p->name = sf_train_run_name(&p->c, src))) rc = sf_fail(SF_ENOMEM, "out of memory");
    else if (!(p->done = has_run(done, p->name))) {
      ntodo++;
      todo_flops += p->flops;
    }
  }
  if (!rc) qsort(pts, np, sizeof *pts, cmp_flops);

  if (!rc && dry_run) {
    for (size_t i = 0; i < np; i++) {
      char f[32];
      cli_fmt_count(f, sizeof f, pts[i].flops);
      printf("%-5s %-40s N %-10.0f C %s\n", pts[i].done ? "done" : "todo", pts[i].name,
             sf_gpt_nparams(&pts[i].c.model), f);
    }
  } else if (!rc) {
    if (!quiet)
      fprintf(stderr, "sweep: %zu runs, %zu already in '%s', %zu to train (%s)\n", np, np - ntodo, output, ntodo,
              sf_source_describe(src));
    /* the sgemm peak, measured once per thread count the runs use (MFU is against the peak of the
     * threads a run has) */
    double pk_by[65] = {0};
    double t0 = 0, flops_done = 0;
    char *ckpt = sf_asprintf("%s.ckpt", output);
    if (!ckpt) rc = sf_fail(SF_ENOMEM, "out of memory");
    remove_stale_temps(output);
    if (ckpt) remove_stale_temps(ckpt);
    size_t k = 0;
    for (size_t i = 0; !rc && i < np; i++) {
      if (pts[i].done) continue;
      int th = pts[i].c.threads;
      double pk = peak > 0 ? peak * 1e9 : (th <= 64 ? pk_by[th] : 0);
      if (pk == 0 && pts[i].c.device == SF_DEVICE_CPU) {
        sf_train_set_threads(th);
        pk = sf_train_sgemm_peak(1.0);
        if (th <= 64) pk_by[th] = pk;
      }
      if (k == 0) t0 = now();
      pts[i].c.peak_flops = pk;
      /* one checkpoint beside the run file, for the run in progress; a leftover of another run
       * (the grid was changed since) is dropped */
      pts[i].c.checkpoint = ckpt;
      pts[i].c.checkpoint_every = ckpt_every;
      if (!sf_train_checkpoint_matches(ckpt, &pts[i].c)) sf_train_checkpoint_remove(ckpt);
      sf_train_result r;
      if ((rc = sf_train_run(&pts[i].c, src, NULL, NULL, &r))) {
        sf_fail_context("run '%s': ", pts[i].name);
        break;
      }
      rc = sf_train_store_append(output, table, &r, src, pts[i].name);
      if (!rc) sf_train_checkpoint_remove(ckpt);
      k++;
      flops_done += pts[i].flops;
      if (!rc && !quiet) {
        char eta[32];
        double el = now() - t0, left = el / flops_done * (todo_flops - flops_done);
        if (left < 60) snprintf(eta, sizeof eta, "%.0fs", left);
        else snprintf(eta, sizeof eta, "%dm%02ds", (int)(left / 60), (int)fmod(left, 60));
        fprintf(stderr, "[%zu/%zu] %s: val_loss %.4f, %.1f s, MFU %.0f%%, ETA %s\n", k, ntodo, pts[i].name, r.val_loss,
                r.seconds, 100 * r.mfu, eta);
      }
      sf_train_result_free(&r);
    }
    free(ckpt);
    if (!rc && !quiet) fprintf(stderr, "sweep: '%s' table '%s' holds all %zu runs\n", output, table, np);
  }
  for (size_t i = 0; pts && i < np; i++) free(pts[i].name);
  free(pts);
  sf_table_free(done);
  sf_source_free(src);
  return rc ? cli_fail_lib(rc) : SF_OK;
}
