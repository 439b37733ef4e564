/* cmd_train.c: `scalefit train`, one training run of the CPU trainer (sf_train.h), reported as
 * text or JSON and optionally saved as a run record. Everything that can be wrong with the
 * request (model shape, budget, data, output path) is checked before the first step. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_store.h>
#include <scalefit/sf_train.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/train_cli.h"
#include "util/util.h"

/* options whose default depends on others are TRAIN_UNSET (NaN) until given: a value given is checked
 * as given, never taken for "the default" (--lr 0 once trained at the default rate) */
static long layers = 2, d_model = 64, heads = TRAIN_UNSET, context = 128, batch = TRAIN_UNSET, threads = 0;
static long evals = TRAIN_UNSET, val_tokens = TRAIN_UNSET, seed = 1;
static double tokens = NAN, lr = NAN, peak = NAN, ckpt_every = NAN;
static const char *output = NULL, *table = NULL, *run_name = NULL;
static train_data_opts dopt = {.data = "corpus", TRAIN_DATA_OPTS_UNSET};
static train_device_opts devopt;
static const char *checkpoint = NULL;
static int json = 0, quiet = 0;

static const cli_opt opts[] = {
    {"layers", 0, CLI_INT, &layers, "N", "transformer blocks (default 2)"},
    {"d-model", 0, CLI_INT, &d_model, "C", "model width (default 64)"},
    {"heads", 0, CLI_INT, &heads, "H", "attention heads (default d-model/64, at least 1)"},
    {"context", 0, CLI_INT, &context, "T", "context length in tokens (default 128)"},
    {"batch", 0, CLI_INT, &batch, "TOKENS", "tokens per optimiser step, a multiple of T (default 16*T)"},
    {"tokens", 0, CLI_DOUBLE, &tokens, "D", "training budget in tokens, rounded down to whole batches (default 20 per parameter)"},
    {"lr", 0, CLI_DOUBLE, &lr, "RATE", "peak learning rate (default 3e-3*min(1,sqrt(128/C)))"},
    TRAIN_DATA_OPTS(dopt),
    TRAIN_DEVICE_OPTS(devopt),
    {"seed", 0, CLI_INT, &seed, "S", "weights and data order (default 1)"},
    {"threads", 0, CLI_INT, &threads, "N", "threads (default or 0: 1 below d-model 128, else all cores; more than the cores: warned, not capped)"},
    {"evals", 0, CLI_INT, &evals, "N", "validations during the run (default 10)"},
    {"val-tokens", 0, CLI_INT, &val_tokens, "N", "validation tokens, in whole sequences of the context (default 16384)"},
    {"peak", 0, CLI_DOUBLE, &peak, "GFLOPS", "sgemm peak for MFU (default: measured, about 1 s)"},
    {"output", 'o', CLI_STRING, &output, "FILE", "append the run to a run file (.h5) or save its record (.json)"},
    {"table", 0, CLI_STRING, &table, "NAME", "table of the .h5 run file (default runs)"},
    {"name", 0, CLI_STRING, &run_name, "RUN", "the run's name in the run file (default from its config)"},
    {"checkpoint", 0, CLI_STRING, &checkpoint, "FILE", "save the state there (and resume from it); removed at the end"},
    {"checkpoint-every", 0, CLI_DOUBLE, &ckpt_every, "SECONDS", "checkpoint interval (default 60)"},
    {"json", 0, CLI_FLAG, &json, NULL, "print the run record as JSON on stdout (fields and units: docs/TRAIN.md)"},
    {"quiet", 'q', CLI_FLAG, &quiet, NULL, "no progress display"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "train",
    "scalefit train [--layers N] [--d-model C] [--heads H] [--context T] [--tokens D] [--data KIND] [-o FILE] [--json]",
    "Train a small GPT (byte-level for text) on the CPU or a GPU and report loss, FLOPs and throughput.",
    "Data: 'corpus' is the plain text of Debian's " SF_CORPUS_PACKAGE " package (apt-get install\n"
    SF_CORPUS_PACKAGE "), byte-level, fixed 95/5 split; 'markov' a random Markov chain whose exact\n"
    "entropy rate is reported (the irreducible loss); 'addition' multi-digit sums with exact-match\n"
    "accuracy. The learning rate warms up over 10% of the steps (at most 200) and decays by cosine\n"
    "to 10% over the run's own budget. FLOPs are counted exactly (matrix products, attention\n"
    "included, forward and backward); MFU is against the sgemm peak measured in this process, or on\n"
    "a GPU (--device cuda) against its dense peak for the precision (docs/TRAIN.md).",
    opts,
    0,
    0,
};

typedef struct progress {
  int tty;
  double last;
  long every;
  int quiet;
  long step, steps; /* where the run stands */
} progress;

static int on_step(void *ctx, long step, long steps, double loss, double secs) {
  progress *p = ctx;
  p->step = step;
  p->steps = steps;
  if (p->quiet) return train_interrupted() != 0;
  char eta[32], el[32];
  cli_fmt_time(eta, sizeof eta, secs / (double)step * (double)(steps - step));
  cli_fmt_time(el, sizeof el, secs);
  if (p->tty) {
    if (step < steps && secs - p->last < 0.1) return 0;
    p->last = secs;
    int width = 30, fill = (int)((double)width * (double)step / (double)steps);
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %3.0f%% step %ld/%ld loss %.4f %s ETA %s   ", bar, 100.0 * (double)step / (double)steps,
            step, steps, loss, el, eta);
    if (step == steps) fputc('\n', stderr);
  } else if (step % p->every == 0 || step == steps) {
    fprintf(stderr, "step %ld/%ld loss %.4f elapsed %s eta %s\n", step, steps, loss, el, eta);
  }
  return train_interrupted() != 0; /* Ctrl-C with a checkpoint: stop after this step, saving it */
}

static int in_range(const char *name, long v, long lo, long hi) { return train_in_range("train", name, v, lo, hi); }

/* An option given must lie in its range; one not given becomes 0, the library's "default". */
static int given_in_range(const char *name, long *v, long lo, long hi) {
  if (!in_range(name, *v, lo, hi)) return 0;
  if (*v == TRAIN_UNSET) *v = 0;
  return 1;
}

static int given_positive(const char *name, double *v) {
  if (isnan(*v)) {
    *v = 0;
    return 1;
  }
  if (*v > 0 && isfinite(*v)) return 1;
  cli_error("train: --%s %g must be a positive number", name, *v);
  return 0;
}

static int is_h5(const char *path) { return sf_ext_is(path, ".h5") || sf_ext_is(path, ".hdf5"); }

/* Can we write the output? Checked before training so that a typo does not cost the run. */
static int check_output(const char *path) {
  if (is_h5(path)) return sf_train_store_check(path, table, NULL);
  if (!sf_ext_is(path, ".json"))
    return sf_fail(SF_EUSAGE, "output '%s' must end in .h5 (run file) or .json (record)", path);
  sf_atomic a;
  int rc = sf_atomic_open(&a, path);
  if (rc) return rc;
  sf_atomic_abort(&a);
  return SF_OK;
}

/* A run file names each run once (sweeps resume by name): refuse before training, not after. */
static int check_new_run(const char *path, const sf_train_config *c, const sf_source *src) {
  sf_table *t = NULL;
  char *name = run_name ? sf_strdup(run_name) : sf_train_run_name(c, src);
  int rc = name ? sf_train_store_check(path, table, &t) : sf_fail(SF_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && t && i < t->nrows; i++)
    if (strcmp(t->run[i], name) == 0)
      rc = sf_fail(SF_EINPUT, "run '%s' is already in '%s': give it another --name, or use another --table", name,
                   path);
  sf_table_free(t);
  free(name);
  return rc;
}

int cmd_train(int argc, char **argv) {
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  sf_source_spec spec;
  if ((rc = train_data_spec("train", &dopt, &spec)) || (rc = train_data_given_check("train", &dopt, dopt.data)))
    return rc;
  if ((rc = train_device_check("train", &devopt))) return rc;
  if (!in_range("layers", layers, 1, 1024) || !in_range("d-model", d_model, 1, 65536) ||
      !given_in_range("heads", &heads, 1, 65536) || !in_range("context", context, 1, 65536) ||
      !given_in_range("batch", &batch, 1, 1L << 40) || !in_range("threads", threads, 0, 4096) ||
      !given_in_range("evals", &evals, 1, 100000) || !given_in_range("val-tokens", &val_tokens, 1, 1L << 40) ||
      !in_range("seed", seed, 0, 1L << 62) || !given_positive("tokens", &tokens) || !given_positive("lr", &lr) ||
      !given_positive("peak", &peak) || !given_positive("checkpoint-every", &ckpt_every))
    return SF_EINPUT;
  if (lr >= 1) {
    cli_error("train: --lr %g is not a learning rate in (0, 1)", lr);
    return SF_EINPUT;
  }
  if (run_name) { /* a run file names each run once and by name: a blank one names nothing */
    int visible = 0;
    for (const char *k = run_name; *k; k++) {
      if ((unsigned char)*k < 0x20 || *k == 0x7f) {
        cli_error("train: --name '%s' holds a control character (a tab or a line break); a run's name is one line",
                  run_name);
        return SF_EINPUT;
      }
      visible |= *k != ' ';
    }
    if (!visible) {
      cli_error("train: --name '%s' is blank: give the run a name, or leave --name out for the default", run_name);
      return SF_EINPUT;
    }
  }
  if (output && (rc = check_output(output))) return cli_fail_lib(rc);
  if (checkpoint) { /* its folder too: the first checkpoint comes a minute into the run */
    sf_atomic a;
    if ((rc = sf_atomic_open(&a, checkpoint))) return cli_fail_lib(rc);
    sf_atomic_abort(&a);
  }
  /* a run killed while writing its checkpoint (up to gigabytes) or its record left a temporary that
   * nothing else removes */
  if (checkpoint) sf_atomic_remove_stale(checkpoint);
  if (output) sf_atomic_remove_stale(output);

  sf_source *src = NULL;
  if ((rc = sf_source_open(&spec, &src))) return cli_fail_lib(rc);

  sf_train_config c;
  memset(&c, 0, sizeof c);
  c.model.n_layer = (int)layers;
  c.model.d_model = (int)d_model;
  c.model.n_head = heads ? (int)heads : (d_model >= 128 ? (int)(d_model / 64) : 1);
  c.model.n_ctx = (int)context;
  c.model.vocab = sf_source_vocab(src);
  c.tokens = tokens > 0 ? tokens : 20.0 * sf_gpt_nparams(&c.model);
  c.batch_tokens = batch;
  if (tokens == 0 && batch == 0) /* the default budget, rounded up to whole default batches */
    c.tokens = ceil(c.tokens / (16.0 * (double)context)) * 16.0 * (double)context;
  c.lr = lr;
  c.weight_decay = -1;
  c.val_tokens = val_tokens;
  c.evals = (int)evals;
  c.seed = (uint64_t)seed;
  c.threads = (int)threads;
  c.peak_flops = peak * 1e9;
  c.checkpoint = checkpoint;
  c.checkpoint_every = ckpt_every;
  c.device = train_device("train", &devopt);
  c.precision = train_precision("train", &devopt);
  if ((rc = sf_train_resolve(&c)) || (rc = sf_source_check_context(src, c.model.n_ctx)) ||
      (output && is_h5(output) && (rc = check_new_run(output, &c, src)))) {
    sf_source_free(src);
    return cli_fail_lib(rc);
  }

  if (threads > 0 && c.device == SF_DEVICE_CPU) train_threads_warn("train", threads, train_cores(), NULL);
  progress pr = {isatty(STDERR_FILENO), -1.0, 1, 0, 0, 0};
  long steps = (long)floor(c.tokens / (double)c.batch_tokens);
  pr.every = steps / 10 > 1 ? steps / 10 : 1;
  if ((double)steps * (double)c.batch_tokens != c.tokens) /* not progress: -q keeps it */
    cli_note("train: %s %.0f is not a whole number of batches of %ld tokens: the run trains %.0f (the record's D "
             "and C); its default name keeps %.0f", tokens > 0 ? "--tokens" : "the default budget", c.tokens,
             c.batch_tokens, (double)steps * (double)c.batch_tokens, c.tokens);
  if (!quiet) {
    char n[32], d[32];
    sf_fmt_count(n, sizeof n, sf_gpt_nparams(&c.model));
    sf_fmt_count(d, sizeof d, (double)steps * (double)c.batch_tokens);
    fprintf(stderr, "train: %s parameters (%d layer%s, d_model %d, %d head%s, context %d), %s tokens in %ld step%s, %s\n",
            n, c.model.n_layer, train_s(c.model.n_layer), c.model.d_model, c.model.n_head, train_s(c.model.n_head),
            c.model.n_ctx, d, steps, train_s((double)steps), sf_source_describe(src));
  }
  sf_train_result r;
  pr.quiet = quiet;
  /* with a checkpoint, Ctrl-C saves it at the step and says so; it once lost the steps since the last */
  if (checkpoint) train_signals_catch();
  rc = sf_train_run(&c, src, quiet && !checkpoint ? NULL : on_step, &pr, &r);
  if (checkpoint) train_signals_release();
  if (rc) {
    sf_source_free(src);
    if (!train_interrupted()) return cli_fail_lib(rc);
    if (pr.tty && !quiet) fputc('\n', stderr);
    cli_error("train: interrupted at step %ld of %ld: checkpoint '%s' keeps its steps: the same command continues the "
              "run", pr.step, pr.steps, checkpoint);
    train_end_by_signal();
    return 128 + train_interrupted();
  }
  sf_buf b;
  sf_buf_init(&b);
  sf_train_result_json(&r, src, &b, 1);
  if (b.oom) rc = sf_fail(SF_ENOMEM, "out of memory");
  if (!rc && output && is_h5(output)) {
    char *name = run_name ? sf_strdup(run_name) : sf_train_run_name(&c, src);
    rc = name ? sf_train_store_append(output, table, &r, src, name) : sf_fail(SF_ENOMEM, "out of memory");
    free(name);
  } else if (!rc && output) {
    rc = sf_write_file_atomic(output, sf_buf_str(&b), b.len);
  }
  if (!rc && json) fputs(sf_buf_str(&b), stdout);
  if (!rc && !json) {
    char n[32], f[32], f6[32];
    sf_fmt_count(n, sizeof n, r.N);
    sf_fmt_compute(f, sizeof f, r.flops); /* compute in e-notation, as every command shows it */
    sf_fmt_compute(f6, sizeof f6, r.flops_6nd);
    printf("N %s (non-embedding %.0f), D %.0f tokens, C %s FLOP (6ND %s)\n", n, r.N_nonembed, r.D, f, f6);
    printf("val_loss %.4f nats/token", r.val_loss);
    if (isfinite(r.val_bpb)) printf(", %.4f bits/byte", r.val_bpb);
    if (isfinite(r.entropy_rate)) printf(", entropy rate %.4f", r.entropy_rate);
    if (isfinite(r.accuracy)) printf(", accuracy %.4f", r.accuracy);
    if (r.cfg.device == SF_DEVICE_CUDA)
      printf("\n%.0f tokens/s, MFU %.1f%% of %.1f TFLOP/s (%s dense peak of %s), %.1f s\n", r.tokens_per_s,
             100.0 * r.mfu, r.peak_flops / 1e12, sf_precision_name(r.cfg.precision), r.device, r.seconds);
    else
      printf("\n%.0f tokens/s, MFU %.1f%% of %.1f GFLOP/s, %.1f s\n", r.tokens_per_s, 100.0 * r.mfu, r.peak_flops / 1e9,
             r.seconds);
  }
  if (r.mfu > 1 && peak > 0) /* a peak given by hand that this run beat cannot be the machine's */
    cli_warn("train: MFU %.0f%% is above 100%%: --peak %g GFLOP/s is below what this run achieved", 100.0 * r.mfu, peak);
  if (!rc) sf_train_checkpoint_remove(checkpoint); /* the run is recorded: its state is no longer needed */
  sf_buf_free(&b);
  sf_train_result_free(&r);
  sf_source_free(src);
  return rc ? cli_fail_lib(rc) : SF_OK;
}
