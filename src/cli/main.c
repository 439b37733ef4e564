/* main.c: `scalefit COMMAND [ARGS]`, git-style dispatch to one cmd_<name>() per subcommand. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_version.h>

#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

/* The order here is the order of `scalefit --help`: data, then fitting, forecasts, output. */
static const command commands[] = {
    {"import", cmd_import, "import CSV files of runs into an HDF5 run file"},
    {"export", cmd_export, "write a table of runs as CSV"},
    {"info", cmd_info, "describe the runs in a CSV or HDF5 file"},
    {"train", cmd_train, "train a small GPT on the CPU or a GPU and record the run"},
    {"sweep", cmd_sweep, "train a grid of sizes x budgets into a run file (resumable)"},
    {"laws", cmd_laws, "list the scaling laws that fit knows"},
    {"fit", cmd_fit, "fit a scaling law to runs, with uncertainty"},
    {"predict", cmd_predict, "predict a fitted law at new points, with a band"},
    {"optimal", cmd_optimal, "compute-optimal model size and tokens for a budget"},
    {"target", cmd_target, "the compute (and N, D) needed to reach a target loss"},
    {"next", cmd_next, "propose the next run(s) to train to narrow a forecast"},
    {"turn", cmd_turn, "does capability growth turn into a sigmoid? (growth laws vs sigmoid)"},
    {"plot", cmd_plot, "draw a chart of runs with gnuplot"},
    {"report", cmd_report, "batch forecast reports (HTML, Markdown, JSON) from spec files"},
    {NULL, NULL, NULL},
};

static void print_help(FILE *out) {
  fprintf(out,
          "usage: scalefit [--version] [--help] COMMAND [ARGS]\n\n"
          "scalefit fits scaling laws to training runs, forecasts what larger runs reach and cost,\n"
          "and draws charts and reports. Data is HDF5 (.h5) or CSV (.csv).\n\ncommands:\n");
  for (size_t i = 0; commands[i].name; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out,
          "\n'scalefit COMMAND --help' shows a command's options.\n"
          "exit codes: 0 ok, 1 usage, 2 bad input, 3 numerical failure, 4 output or GPU error,\n"
          "            5 out of memory (host or GPU), 6 internal error\n");
}

static const command *find(const char *name) {
  for (size_t i = 0; commands[i].name; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

static void not_a_command(const char *name) {
  sf_near n;
  sf_near_init(&n, name);
  for (size_t i = 0; commands[i].name; i++) sf_near_add(&n, commands[i].name);
  cli_error("'%s' is not a scalefit command%s (see 'scalefit --help')", name, sf_near_hint(&n));
}

int main(int argc, char **argv) {
  /* GSL's default handler aborts; every GSL status is checked where it is returned. */
  gsl_set_error_handler_off();
  if (argc < 2) {
    print_help(stderr);
    return SF_EUSAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
    print_help(stdout);
    return SF_OK;
  }
  if (strcmp(name, "--version") == 0) {
    printf("scalefit %s\n", sf_version());
    return SF_OK;
  }
  if (strcmp(name, "help") == 0) {
    if (argc < 3) {
      print_help(stdout);
      return SF_OK;
    }
    const command *c = find(argv[2]);
    if (!c) {
      not_a_command(argv[2]);
      return SF_EUSAGE;
    }
    char *hargv[] = {argv[2], "--help", NULL};
    return c->run(2, hargv);
  }
  const command *c = find(name);
  if (!c) {
    not_a_command(name);
    return SF_EUSAGE;
  }
  return c->run(argc - 1, argv + 1);
}
