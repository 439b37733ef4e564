/* cmd_turn.c: `scalefit turn DATA --x C --y mmlu`, the sigmoid question: fit two growth laws
 * (loglinear, power) and a sigmoid (floor at chance, ceiling <= max) to a capability against
 * compute, compare them (AICc, BIC, held-out error on the largest runs), bound the sigmoid's
 * inflection by the bootstrap, and say only what the data supports. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_store.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/forecast_cli.h"

static const char *xcol, *ycol, *table, *output, *where;
static double chance, maxv, tol;
static long holdout, bootstrap, seed;
static int json;

static const cli_opt opts[] = {
    {"x", 0, CLI_STRING, &xcol, "COL", "the compute column (default C)"},
    {"y", 0, CLI_STRING, &ycol, "COL", "the capability column, e.g. mmlu (required)"},
    {"chance", 0, CLI_DOUBLE, &chance, "P", "the metric's chance level, the sigmoid's floor (default 0.25; 0: generated answers)"},
    {"max", 0, CLI_DOUBLE, &maxv, "M", "the metric's maximum, bound on the sigmoid's ceiling (default 1)"},
    {"holdout", 0, CLI_INT, &holdout, "K", "hold out the K largest runs for the extrapolation check (n/5, at most n-6; whole budgets)"},
    {"bootstrap", 0, CLI_INT, &bootstrap, "K", "resamples for the inflection interval (default 200; under 2: no verdict)"},
    {"seed", 0, CLI_INT, &seed, "S", "bootstrap seed (default 1)"},
    {"tol", 0, CLI_DOUBLE, &tol, "T", "the extrapolations part where they differ by more than T (0.05)"},
    {"where", 'w', CLI_STRING, &where, "EXPR", "keep the runs where EXPR holds, e.g. 'C < 1e25' (as fit --where)"},
    {"table", 't', CLI_STRING, &table, "NAME", "HDF5 table (default: the file's only table)"},
    {"json", 0, CLI_FLAG, &json, NULL, "machine-readable output"},
    {"output", 'o', CLI_STRING, &output, "FILE", "also save the JSON result to FILE"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "turn", "scalefit turn DATA --y COL [--x C] [--chance P] [--max M] [options]",
    "does capability growth turn into a sigmoid? (growth laws vs sigmoid)",
    "The laws are ranked by AICc, the small-sample AIC (AIC + 2k(k+1)/(n-k-1)): the table gives AIC,\n"
    "AICc, BIC and Akaike weights from AICc, the deltas are the sigmoid's AICc and BIC minus the\n"
    "better growth law's (by AICc). Saturation is called 'supported' only when the sigmoid beats\n"
    "that law on both AICc and BIC by at least 2 AND its inflection's bootstrap interval lies within\n"
    "half a decade of the data; otherwise the verdict says how far the data rule an inflection out,\n"
    "or that it lies at the smallest runs or below them (the rise from chance not observed).\n"
    "(AICc charges the sigmoid's third parameter more than BIC up to 18 runs, BIC more from 19.)\n"
    "--where EXPR keeps the runs where EXPR holds, as fit --where does (the runs it leaves out are\n"
    "counted, not analysed). Runs without both values are skipped.\n"
    "A chance level the data contradict is refused (exit 2):\n"
    "more than a tenth of the runs (and at least 3) scoring more than a tenth of (max - chance)\n"
    "below it. One that looks too low is warned about: fewer than 3 runs within a tenth of\n"
    "(max - chance) of it, and the lowest score and more than a tenth of the runs (at least 3)\n"
    "within a tenth of (max - c) of a common chance level c = max/2, max/3, max/4, max/5 above it\n"
    "(a binary task under 0.25).",
    opts, 1, 1};

static void json_law(sf_json *j, const sf_turn_law *L, const sf_turn_result *r, int is_sigmoid) {
  sf_json_begin_object(j, L->name);
  sf_json_string(j, "formula", L->formula);
  sf_json_bool(j, "ok", L->ok);
  sf_json_begin_object(j, "params");
  for (size_t k = 0; k < L->np; k++) sf_json_number(j, L->param_names[k], L->params[k]);
  sf_json_end_object(j);
  sf_json_int(j, "k", (long long)L->k);
  sf_json_number(j, "rss", L->rss);
  sf_json_number(j, "aic", L->aic);
  sf_json_number(j, "aicc", L->aicc);
  sf_json_number(j, "bic", L->bic);
  sf_json_number(j, "akaike_weight", L->weight);
  sf_json_number(j, "holdout_error", L->holdout_error);
  if (is_sigmoid && r->inflection_identified) {
    sf_json_begin_object(j, "inflection");
    sf_json_number(j, "value", r->inflection);
    sf_json_number(j, "lo", r->inflection_lo);
    sf_json_number(j, "hi", r->inflection_hi);
    sf_json_end_object(j);
  } else {
    sf_json_null(j, "inflection");
  }
  sf_json_end_object(j);
}

int cmd_turn(int argc, char **argv) {
  xcol = "C";
  ycol = table = output = where = NULL;
  chance = 0.25;
  maxv = 1;
  tol = 0.05;
  holdout = 0;
  bootstrap = 200;
  seed = 1;
  json = 0;
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  if (!ycol) {
    cli_error("turn: which capability? give --y COL (e.g. --y mmlu)");
    return SF_EUSAGE;
  }
  if (holdout < 0 || bootstrap < 0 || !(tol > 0)) {
    cli_error("turn: --holdout and --bootstrap must be >= 0 and --tol > 0");
    return SF_EUSAGE;
  }
  if (!(maxv > chance) || chance < 0) {
    cli_error("turn: --chance (%g) must be >= 0 and below --max (%g)", chance, maxv);
    return SF_EUSAGE;
  }
  sf_table *t = NULL;
  rc = sf_data_load(args[0], table, &t);
  if (rc != SF_OK) return cli_fail_lib(rc);
  /* --where first, as fit selects its runs: the rows it leaves out are not this analysis's data */
  size_t n_where = 0;
  if (where) {
    unsigned char *keep = NULL;
    if ((rc = sf_where_rows(t, where, "--", args[0], NULL, &keep, &n_where)) == SF_OK) rc = sf_table_keep_rows(t, keep);
    free(keep);
    if (rc != SF_OK) {
      sf_table_free(t);
      return cli_fail_lib(rc);
    }
  }
  int cx, cy;
  if ((rc = sf_table_resolve(t, xcol, &cx)) != SF_OK || (rc = sf_table_resolve(t, ycol, &cy)) != SF_OK) {
    sf_table_free(t);
    return cli_fail_lib(rc); /* a name two columns answer to */
  }
  if (cx < 0 || cy < 0) {
    char *names = sf_table_column_names(t);
    cli_error("turn: column '%s' not found in '%s' (it has %s)", cx < 0 ? xcol : ycol, args[0], names ? names : "?");
    free(names);
    sf_table_free(t);
    return SF_EINPUT;
  }
  /* the columns' own names from here on (--y GSM8K is the column gsm8k) */
  xcol = t->cols[cx].name;
  const char *xunit = t->cols[cx].unit;
  ycol = t->cols[cy].name;
  /* the rows as a report's [turn] takes them: missing values skipped, x <= 0 and y outside [0, max] refused */
  double *x, *y;
  size_t n, skipped;
  if ((rc = sf_turn_rows(t, cx, cy, maxv, &x, &y, &n, &skipped)) != SF_OK ||
      (rc = sf_turn_enough(t, cx, cy, n)) != SF_OK) { /* too few: how many there were, and which lacked a value */
    if (rc == SF_EINPUT && n_where) sf_fail_context("turn: '%s' (--where left out %zu): ", args[0], n_where);
    else if (rc == SF_EINPUT) sf_fail_context("turn: '%s': ", args[0]);
    free(x), free(y); /* NULL when sf_turn_rows failed */
    sf_table_free(t);
    return cli_fail_lib(rc);
  }
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  o.opt_prefix = "--"; /* messages name --chance */
  o.chance = chance;
  o.max = maxv;
  o.holdout = (size_t)holdout;
  o.bootstrap = (size_t)bootstrap;
  o.seed = (unsigned long long)seed;
  o.tol = tol;
  sf_turn_result res;
  rc = sf_turn(x, y, n, &o, &res);
  free(x), free(y);
  if (rc != SF_OK) {
    if (rc == SF_EINPUT) sf_fail_context("turn: '%s', %s against %s: ", args[0], ycol, xcol);
    sf_table_free(t);
    return cli_fail_lib(rc);
  }
  sf_buf out;
  sf_buf_init(&out);
  sf_json j;
  sf_json_init(&j, &out, 1);
  sf_json_begin_object(&j, NULL);
  sf_json_string(&j, "format", "scalefit-turn");
  sf_json_int(&j, "version", 1);
  sf_json_string(&j, "data", args[0]);
  sf_json_string(&j, "x", xcol);
  sf_json_string(&j, "y", ycol);
  sf_json_string(&j, "where", where); /* null without --where */
  sf_json_int(&j, "n_where", (long long)n_where);
  sf_json_int(&j, "n", (long long)res.n);
  sf_json_int(&j, "n_holdout", (long long)res.n_holdout);
  sf_json_int(&j, "n_below_chance", (long long)res.n_below_chance);
  sf_json_number(&j, "chance", chance);
  sf_json_number(&j, "max", maxv);
  sf_json_begin_array(&j, "x_range");
  sf_json_number(&j, NULL, res.xmin);
  sf_json_number(&j, NULL, res.xmax);
  sf_json_end_array(&j);
  sf_json_begin_object(&j, "laws");
  for (int l = 0; l < SF_TURN_NLAWS; l++) json_law(&j, &res.law[l], &res, l == SF_TURN_SIGMOID);
  sf_json_end_object(&j);
  sf_json_string(&j, "best_growth_law", res.law[res.best_growth].name);
  sf_json_number(&j, "delta_aic", res.delta_aic);
  sf_json_number(&j, "delta_aicc", res.delta_aicc);
  sf_json_number(&j, "delta_bic", res.delta_bic);
  if (res.inflection_identified) {
    sf_json_begin_object(&j, "inflection");
    sf_json_number(&j, "value", res.inflection);
    sf_json_number(&j, "lo", res.inflection_lo);
    sf_json_number(&j, "hi", res.inflection_hi);
    sf_json_end_object(&j);
  } else {
    sf_json_null(&j, "inflection");
  }
  sf_json_int(&j, "bootstrap_ok", (long long)res.boot_ok);
  sf_json_number(&j, "tol", tol);
  sf_json_number(&j, "diverge_x", res.diverge_x);
  if (res.chance_warning[0]) {
    sf_json_begin_object(&j, "chance_too_low");
    sf_json_number(&j, "lowest", res.lowest);
    sf_json_int(&j, "n_near_chance", (long long)res.n_near_chance);
    sf_json_number(&j, "suggested_chance", res.chance_suggest);
    sf_json_int(&j, "n_near_suggested", (long long)res.n_near_suggest);
    sf_json_string(&j, "warning", res.chance_warning);
    sf_json_end_object(&j);
  } else {
    sf_json_null(&j, "chance_too_low");
  }
  sf_json_bool(&j, "saturation_supported", res.saturation_supported);
  sf_json_string(&j, "verdict", res.verdict);
  sf_json_end_object(&j);
  if (res.chance_warning[0]) cli_warn("turn: '%s', %s: %s", args[0], ycol, res.chance_warning);
  if (!json) {
    sf_turn_text tx;
    sf_turn_describe(&res, &o, xcol, xunit, &tx);
    printf("%s against %s: %zu runs (", ycol, xcol, res.n);
    if (where) printf("%zu excluded by --where, ", n_where);
    printf("%zu skipped without both), %s; %zu held out\n", skipped, tx.range, res.n_holdout);
    for (size_t k = 0; k < tx.nnote; k++) printf("note: %s\n", tx.note[k]);
    printf("\n  %-10s %9s %9s %9s %9s %12s %13s\n", "law", "rss", "AIC", "AICc", "BIC", "AICc weight", "holdout RMSE");
    /* rss and held-out RMSE at one precision down each column (%.4g read 0.171 over 0.4008) */
    sf_numcol crss, chold;
    sf_turn_cols(&res, &crss, &chold);
    for (int l = 0; l < SF_TURN_NLAWS; l++) {
      const sf_turn_law *L = &res.law[l];
      if (!L->ok) {
        printf("  %-10s (fit failed)\n", L->name);
        continue;
      }
      char c1[48], c2[48];
      sf_numcol_fmt(&crss, c1, sizeof c1, L->rss);
      sf_numcol_fmt(&chold, c2, sizeof c2, L->holdout_error);
      printf("  %-10s %9s %9.2f %9.2f %9.2f %12.3f %13s\n", L->name, c1, L->aic, L->aicc, L->bic, L->weight, c2);
    }
    for (size_t k = 0; k < tx.nline; k++) printf("%s  %s\n", k ? "" : "\n", tx.line[k]);
    printf("\nverdict: %s\n", res.verdict);
  }
  if (json || output) rc = fc_emit_json(&out, output, json);
  sf_buf_free(&out);
  sf_table_free(t);
  return rc;
}
