/* forecast_cli.h: what the forecast subcommands (predict, optimal, target) share: loading the
 * fitted law (a FIT.json or --published ID), the cost options, number ranges, the attention
 * shape, and printing bands. The numbers themselves come from sf_forecast.h. */
#ifndef SF_FORECAST_CLI_H
#define SF_FORECAST_CLI_H

#include <scalefit/sf_cost.h>
#include <scalefit/sf_forecast.h>

#include "cli/cli.h"
#include "util/util.h"

/* ---- cost options (one struct per command, filled by the option table) ---- */
typedef struct fc_cost {
  const char *gpu, *precision;
  double peak_flops; /* TFLOP/s given by --peak-tflops, or resolved from --gpu (FLOP/s after setup) */
  double mfu, gpus, price;
  int enabled;       /* --gpu or --peak-tflops given */
  char gpu_name[128];
  int mfu_default;
} fc_cost;

#define FC_COST_OPTS(c)                                                                                             \
  {"gpu", 0, CLI_STRING, &(c).gpu, "NAME", "cost on this accelerator (a100, h100, b200, tpu-v4, ...)"},            \
      {"precision", 0, CLI_STRING, &(c).precision, "P", "bf16 (default), fp16, tf32 or fp32 peak of --gpu"},      \
      {"peak-tflops", 0, CLI_DOUBLE, &(c).peak_flops, "TFLOPS", "peak per accelerator in TFLOP/s, instead of --gpu"}, \
      {"peak-flops", 0, CLI_DOUBLE, &(c).peak_flops, "TFLOPS", NULL}, /* its name before the spec's peak_tflops */ \
      {"mfu", 0, CLI_DOUBLE, &(c).mfu, "F", "model FLOPs utilisation in (0, 1] (default 0.4)"},                     \
      {"gpus", 0, CLI_DOUBLE, &(c).gpus, "K", "accelerators in parallel, for wall-clock days"},                     \
      {"price-per-hour", 0, CLI_DOUBLE, &(c).price, "USD", "price per accelerator-hour, for dollars"}

void fc_cost_init(fc_cost *c);
/* Validates and resolves --gpu against the shipped table; returns an exit code (0 ok). */
int fc_cost_setup(fc_cost *c);
/* Cost of C FLOP; the figures are NaN when cost is not enabled. */
void fc_cost_of(const fc_cost *c, double C, sf_cost *out);
void fc_cost_json_model(const fc_cost *c, sf_json *j);          /* "cost_model": {...} */
void fc_cost_json(const fc_cost *c, sf_json *j, double C);      /* gpu_hours, days, dollars keys */
void fc_cost_text(const fc_cost *c, double C);                   /* one indented line */
void fc_cost_header(const fc_cost *c);                           /* the assumptions, once */

/* ---- the law ---- */
/* args/nargs from cli_parse; exactly one of a FIT.json argument or --published. */
int fc_load(char **args, size_t nargs, const char *published, const char *cmd, sf_fitfile **out);
/* "band: 95% bootstrap percentiles (K refits)" on stdout; ff2: the second stage of a two-stage
 * forecast (predict --then), else NULL */
void fc_band_note(const sf_fitfile *ff, const sf_fitfile *ff2);
const char *fc_band_kind(sf_bandkind k);
void fc_json_fit(sf_json *j, const sf_fitfile *ff, const sf_fitfile *ff2); /* "fit": {...}, "band", "ci_level" */
void fc_json_band(sf_json *j, const char *key, const sf_band *b);

/* The bands of a command's output that leave out their own value (sf_band_excludes_value): fc_excl_see
 * counts b under the name what ("loss", "N at C=1e+21") and keeps the first as an example;
 * fc_excl_warn warns on stderr when any did. */
typedef struct fc_excl {
  size_t n;
  char example[160];
} fc_excl;
void fc_excl_see(fc_excl *e, const char *what, const sf_band *b);
void fc_excl_warn(const fc_excl *e);

/* ---- numbers ---- */
/* "1e21" -> one value; "1e20:1e26:13" -> 13 log-spaced values. Returns count or -1 (message printed). */
long fc_parse_range(const char *cmd, const char *opt, const char *spec, double *v, size_t cap);
/* "N=70e9,D=1.4e12" -> x in the law's order, given[k] = 1 for each variable named (given may
 * leave some unset: predict fills them from --grid). An empty item, a variable named twice, one
 * the law lacks (C for a law of N and D: budget_hint says what to use instead, the value follows it) or a value not a
 * positive finite number is refused with a message naming cmd; SF_EUSAGE. */
int fc_parse_point(const char *cmd, const sf_fitfile *ff, const char *spec, double *x, int *given,
                   const char *budget_hint);
/* "LAYERS:CTX:DMODEL" -> attention shape; 0 ok, SF_EUSAGE with message. */
int fc_parse_attention(const char *cmd, const char *spec, sf_alloc_opts *o);
/* Number for a table cell: 1.94 / 65.2B / 3.8e+25 */
void fc_fmt(char *buf, size_t n, double v);
/* Writes the JSON buffer to stdout and, if path, atomically to a file. Returns an exit code. */
int fc_emit_json(sf_buf *b, const char *path, int to_stdout);

#endif
