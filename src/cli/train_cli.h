/* train_cli.h: the data-source and device options that `scalefit train` and `scalefit sweep` share,
 * so that both accept, check and describe them the same way. */
#ifndef SF_TRAIN_CLI_H
#define SF_TRAIN_CLI_H

#include <scalefit/sf_train.h>

#include <limits.h>
#include <math.h>

#include "cli/cli.h"

/* An integer option not given (the file's value, else the library's default, stands); markov_alpha
 * not given is NaN. A value given is checked as given: --markov-seed 0 is refused, never read as
 * "the default", which would train seed 1's chain under another name. */
#define TRAIN_UNSET LONG_MIN

typedef struct train_data_opts {
  const char *data, *corpus_dir;
  long markov_vocab, markov_order, markov_seed, digits;
  double markov_alpha;
} train_data_opts;

#define TRAIN_DATA_OPTS_UNSET                                                                                    \
  .markov_vocab = TRAIN_UNSET, .markov_order = TRAIN_UNSET, .markov_seed = TRAIN_UNSET, .digits = TRAIN_UNSET,   \
  .markov_alpha = NAN

#define TRAIN_DATA_OPTS(d)                                                                                       \
  {"data", 0, CLI_STRING, &(d).data, "KIND", "corpus, markov or addition (default corpus)"},                     \
  {"corpus-dir", 0, CLI_STRING, &(d).corpus_dir, "DIR", "text directory (default the " SF_CORPUS_PACKAGE " package's)"}, \
  {"markov-vocab", 0, CLI_INT, &(d).markov_vocab, "V", "markov: vocabulary (default 64)"},                       \
  {"markov-order", 0, CLI_INT, &(d).markov_order, "K", "markov: order (default 2)"},                            \
  {"markov-alpha", 0, CLI_DOUBLE, &(d).markov_alpha, "A", "markov: Dirichlet concentration (default 0.1)"},     \
  {"markov-seed", 0, CLI_INT, &(d).markov_seed, "S", "markov: the chain's seed (default 1)"},                   \
  {"digits", 0, CLI_INT, &(d).digits, "N", "addition: digits per operand (default 3)"}

typedef struct train_device_opts {
  const char *device, *precision; /* NULL: cpu; the device's default precision */
} train_device_opts;

#define TRAIN_DEVICE_OPTS(o)                                                                                     \
  {"device", 0, CLI_STRING, &(o).device, "DEV", "cpu, or cuda for the current NVIDIA GPU (default cpu)"},       \
  {"precision", 0, CLI_STRING, &(o).precision, "P", "products in fp32, tf32 or bf16 (default fp32; cuda: bf16)"}

/* The options' values for sf_train_config. An unknown name prints "CMD: --device 'gpu' is not one of
 * cpu, cuda" and gives an invalid value, which sf_train_resolve then refuses. */
sf_device train_device(const char *cmd, const train_device_opts *o);
sf_precision train_precision(const char *cmd, const train_device_opts *o);
/* Both options checked at once, the device's availability included: SF_OK, or the status after
 * printing "CMD: --device cuda: no CUDA device (cudaGetDeviceCount: ...)". */
int train_device_check(const char *cmd, const train_device_opts *o);

/* Checks the options given (printing "CMD: --markov-order 100 is out of range (1..8)") and fills
 * spec, where an option not given is 0, the library's default.
 * SF_EUSAGE for an unknown --data kind, SF_EINPUT for a value out of range. */
int train_data_spec(const char *cmd, const train_data_opts *d, sf_source_spec *spec);

/* Refuses a data option given on the command line that belongs to another source than kind (corpus,
 * markov, addition): 'train --markov-order 1' without --data markov trained on the corpus. Prints
 * "CMD: --markov-order applies to --data markov, and the data is corpus"; SF_OK or SF_EUSAGE. */
int train_data_given_check(const char *cmd, const train_data_opts *given, const char *kind);

/* 1 if lo <= v <= hi or v is TRAIN_UNSET (not given), else prints "CMD: --NAME V is out of range
 * (LO..HI)" and returns 0. */
int train_in_range(const char *cmd, const char *name, long v, long lo, long hi);

/* The CPUs this process may run on (sched_getaffinity, what nproc prints), at least 1. */
int train_cores(void);
/* Warns (never caps) when a run's threads exceed the cores it has: "CMD: 1000 threads per run[SHARING] is
 * more than the 2 cores each run has: ...". sharing: NULL, or e.g. " (2 workers sharing 2 cores)". */
void train_threads_warn(const char *cmd, long threads, int cores, const char *sharing);
/* Ctrl-C (SIGINT) and SIGTERM while training one run at a time (train --checkpoint, the serial
 * sweep): the first sets train_interrupted() to the signal, which the progress callback returns so
 * that the run stops after its step, saving its checkpoint; a second ends the process at once (a
 * wait for another writer's lock, say). Signals ignored at the start (nohup, a script's background
 * jobs) stay ignored. train_signals_release restores what was there; train_end_by_signal then ends
 * the process by the signal caught, as a shell expects of Ctrl-C (exit status 130). */
void train_signals_catch(void);
void train_signals_release(void);
int train_interrupted(void);
void train_end_by_signal(void);
/* "s" after a count other than 1, for messages ("1 run", "2 runs"). */
static inline const char *train_s(double n) { return n == 1 ? "" : "s"; }

#endif
