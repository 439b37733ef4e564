/* train_cli.c: the data-source and device options shared by `scalefit train` and `scalefit sweep`. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "cli/train_cli.h"

#include <scalefit/sf_error.h>

#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

int train_in_range(const char *cmd, const char *name, long v, long lo, long hi) {
  if (v == TRAIN_UNSET || (v >= lo && v <= hi)) return 1;
  cli_error("%s: --%s %ld is out of range (%ld..%ld)", cmd, name, v, lo, hi);
  return 0;
}

int train_data_spec(const char *cmd, const train_data_opts *d, sf_source_spec *spec) {
  memset(spec, 0, sizeof *spec);
  if (strcmp(d->data, "corpus") == 0) spec->kind = SF_DATA_CORPUS;
  else if (strcmp(d->data, "markov") == 0) spec->kind = SF_DATA_MARKOV;
  else if (strcmp(d->data, "addition") == 0) spec->kind = SF_DATA_ADDITION;
  else {
    cli_error("%s: --data '%s' is not one of corpus, markov, addition", cmd, d->data);
    return SF_EUSAGE;
  }
  /* the library's own ranges (data_markov.c, data_addition.c), so that the error names the option */
  if (!train_in_range(cmd, "markov-vocab", d->markov_vocab, 2, 65536) ||
      !train_in_range(cmd, "markov-order", d->markov_order, 1, 8) ||
      !train_in_range(cmd, "markov-seed", d->markov_seed, 1, 1L << 62) || !train_in_range(cmd, "digits", d->digits, 1, 9))
    return SF_EINPUT;
  if (!isnan(d->markov_alpha) && !(d->markov_alpha > 0 && isfinite(d->markov_alpha))) {
    cli_error("%s: --markov-alpha %g is not a Dirichlet concentration (a number > 0)", cmd, d->markov_alpha);
    return SF_EINPUT;
  }
  spec->corpus_dir = d->corpus_dir;
  spec->markov_vocab = d->markov_vocab == TRAIN_UNSET ? 0 : (int)d->markov_vocab;
  spec->markov_order = d->markov_order == TRAIN_UNSET ? 0 : (int)d->markov_order;
  spec->markov_alpha = isnan(d->markov_alpha) ? 0 : d->markov_alpha;
  spec->markov_seed = d->markov_seed == TRAIN_UNSET ? 0 : (uint64_t)d->markov_seed;
  spec->add_digits = d->digits == TRAIN_UNSET ? 0 : (int)d->digits;
  return SF_OK;
}

int train_data_given_check(const char *cmd, const train_data_opts *g, const char *kind) {
  const struct {
    const char *name, *kind;
    int given;
  } o[] = {{"corpus-dir", "corpus", g->corpus_dir != NULL},
           {"markov-vocab", "markov", g->markov_vocab != TRAIN_UNSET},
           {"markov-order", "markov", g->markov_order != TRAIN_UNSET},
           {"markov-alpha", "markov", !isnan(g->markov_alpha)},
           {"markov-seed", "markov", g->markov_seed != TRAIN_UNSET},
           {"digits", "addition", g->digits != TRAIN_UNSET}};
  for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
    if (o[i].given && strcmp(o[i].kind, kind)) {
      cli_error("%s: --%s applies to --data %s, and the data is %s", cmd, o[i].name, o[i].kind, kind);
      return SF_EUSAGE;
    }
  return SF_OK;
}

sf_device train_device(const char *cmd, const train_device_opts *o) {
  sf_device d = SF_DEVICE_CPU;
  if (o->device && sf_device_parse(o->device, &d)) {
    cli_error("%s: --%s", cmd, sf_errmsg());
    return (sf_device)-1;
  }
  return d;
}

sf_precision train_precision(const char *cmd, const train_device_opts *o) {
  sf_precision p = SF_PREC_DEFAULT;
  if (o->precision && sf_precision_parse(o->precision, &p)) {
    cli_error("%s: --%s", cmd, sf_errmsg());
    return (sf_precision)-1;
  }
  return p;
}

int train_device_check(const char *cmd, const train_device_opts *o) {
  sf_device d = train_device(cmd, o);
  sf_precision p = train_precision(cmd, o);
  if ((int)d < 0 || (int)p < 0) return SF_EINPUT;
  if (d == SF_DEVICE_CPU && p != SF_PREC_DEFAULT && p != SF_PREC_FP32) {
    cli_error("%s: --precision %s needs --device cuda (the CPU trainer computes in fp32)", cmd, sf_precision_name(p));
    return SF_EINPUT;
  }
  int rc = sf_train_device_check(d, NULL, 0);
  if (rc) cli_error("%s: --device %s: %s", cmd, sf_device_name(d), sf_errmsg());
  return rc;
}

int train_cores(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

/* OpenMP tools do what OMP_NUM_THREADS asks even beyond the cores, and so does the trainer: a run's
 * sums depend on its thread count (the record and the checkpoint hold it), so capping would train
 * another run than the one asked for, and differently on every machine. Oversubscribed threads take
 * turns on the cores (1000 threads on 2 cores: 35 times slower on a tiny model): said, not capped. */
void train_threads_warn(const char *cmd, long threads, int cores, const char *sharing) {
  if (threads <= cores) return;
  cli_warn("%s: %ld threads per run%s is more than the %d core%s each run has: the threads take turns on them, "
           "which slows training down (the run still trains with %ld threads, as its record says)",
           cmd, threads, sharing ? sharing : "", cores, cores == 1 ? "" : "s", threads);
}

static volatile sig_atomic_t caught;
static struct sigaction old_int, old_term;

static void on_signal(int sig) {
  if (caught) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
  caught = sig;
}

void train_signals_catch(void) {
  struct sigaction on = {.sa_handler = on_signal};
  sigemptyset(&on.sa_mask);
  sigaction(SIGINT, NULL, &old_int);
  sigaction(SIGTERM, NULL, &old_term);
  if (old_int.sa_handler != SIG_IGN) sigaction(SIGINT, &on, NULL);
  if (old_term.sa_handler != SIG_IGN) sigaction(SIGTERM, &on, NULL);
}

void train_signals_release(void) {
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
}

int train_interrupted(void) { return caught; }

void train_end_by_signal(void) {
  if (!caught) return;
  signal(caught, SIG_DFL);
  raise(caught);
}
