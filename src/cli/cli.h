/* cli.h: the command-line layer. main.c dispatches to one cmd_<name>() per subcommand
 * (one file each); every subcommand declares its options in a table that both the parser and
 * its --help read, so the help cannot drift from the behaviour.
 *
 * Exit codes are the library's status codes (sf_error.h): 0 ok, 1 usage, 2 bad input,
 * 3 numerical failure, 4 output error or a failed CUDA call, 5 out of memory (host or GPU), 6 internal error.
 */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Only a CLI_LIST may be given more than once (each use adds an item); a flag given twice is simply
 * set; any other option given twice is a usage error naming both values (cli_parse). */
typedef enum {
  CLI_FLAG,   /* int, set to 1 */
  CLI_STRING, /* const char *; once */
  CLI_DOUBLE, /* double; once */
  CLI_INT,    /* long; once */
  CLI_LIST    /* cli_list, repeatable (also splits nothing: each use adds one item) */
} cli_opt_type;

typedef struct cli_list {
  const char *item[64];
  size_t n;
} cli_list;

typedef struct cli_opt {
  const char *name;    /* long name without dashes, e.g. "output" */
  char short_name;     /* 'o', or 0 */
  cli_opt_type type;
  void *dst;
  const char *metavar; /* e.g. "FILE"; NULL for flags */
  const char *help;    /* NULL: a former name that still works, after the option it became (same dst):
                        * left out of --help and of the hints, and counted as that option when repeated */
} cli_opt;

typedef struct cli_cmd {
  const char *name;     /* "import" */
  const char *usage;    /* "scalefit import FILE.csv -o FILE.h5 [--table NAME]" */
  const char *summary;  /* one line for `scalefit --help` */
  const char *details;  /* paragraphs after the options, or NULL */
  const cli_opt *opts;  /* terminated by an entry with name == NULL */
  size_t min_args, max_args; /* positional arguments */
} cli_cmd;

enum { CLI_PARSED = 0, CLI_HELP_SHOWN = -1 };

/* Parses argv[1..argc) against cmd's options; positional arguments are gathered into
 * args/nargs (pointing into argv). Returns CLI_PARSED, CLI_HELP_SHOWN (--help was printed on
 * stdout), or SF_EUSAGE after printing what was wrong (an unknown option, a missing or bad value,
 * an option other than a list or flag given twice). "--" ends the options. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, char ***args, size_t *nargs);
void cli_print_usage(const cli_cmd *cmd, FILE *out);

/* Messages on stderr in git's style: "scalefit: error: column 'loss' missing in 'a.csv'". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints sf_errmsg() as an error and returns its code: `return cli_fail_lib(rc);`. */
int cli_fail_lib(int rc);

/* Durations for progress lines: 42 -> "42s", 185 -> "3m05s", 7300 -> "2h01m"; NaN or < 0 -> "?". */
void cli_fmt_time(char *buf, size_t n, double seconds);
/* A monotonic clock in seconds (for elapsed times and ETAs). */
double cli_now(void);

/* Subcommand entry points (one file each, src/cli/cmd_<name>.c); each returns the exit code. */
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_laws(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_optimal(int argc, char **argv);
int cmd_target(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_turn(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
