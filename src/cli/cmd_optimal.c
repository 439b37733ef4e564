/* cmd_optimal.c: `scalefit optimal FIT --compute C`, the compute-optimal model size N and tokens D
 * for one budget or a range under C = 6ND (or with the attention term), tokens per parameter and
 * the predicted loss, each with a band, and the training cost of the budget. */
#include <scalefit/sf_error.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/forecast_cli.h"

#define MAXC 1024

static const char *published, *attention, *output;
static cli_list compute;
static int json, numeric;
static double warn_decades;
static fc_cost cost;

static const cli_opt opts[] = {
    {"compute", 'C', CLI_LIST, &compute, "C|LO:HI:K",
     "budget in FLOP, a list A,B, or K log-spaced budgets (X:X:1 one); repeats add up, in order"},
    {"published", 0, CLI_STRING, &published, "ID", "a published law from datasets/laws.csv instead of FIT"},
    {"attention", 0, CLI_STRING, &attention, "L:CTX:DM",
     "count attention FLOPs 6*L*CTX*DM per token (shape held fixed)"},
    {"numeric", 0, CLI_FLAG, &numeric, NULL, "use the numeric minimiser even where a closed form exists"},
    {"warn-decades", 0, CLI_DOUBLE, &warn_decades, "X", "warn beyond this many decades outside the data (1)"},
    FC_COST_OPTS(cost),
    {"json", 0, CLI_FLAG, &json, NULL, "machine-readable output"},
    {"output", 'o', CLI_STRING, &output, "FILE", "also save the JSON result to FILE"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "optimal", "scalefit optimal FIT.json|--published ID --compute C|LO:HI:K [--compute ...] [options]",
    "compute-optimal model size and tokens for a budget",
    "Chinchilla's law uses the closed form N = G (C/6)^(beta/(alpha+beta)); other laws of N and D\n"
    "are minimised numerically along the budget (a log-spaced scan, then Brent's method), and a\n"
    "budget whose minimum runs off the scan is refused. Published N_opt / D_opt laws (e.g.\n"
    "--published llama3_Dopt) give one of N, D and the budget the other. Bands: bootstrap\n"
    "percentiles of the refits' optima, or the delta method.",
    opts, 0, 1};

typedef struct opt_ctx {
  const sf_fitfile *ff;
  double C;
  const sf_alloc_opts *ao;
} opt_ctx;

static int opt_fn(const double *params, void *vctx, double *out) {
  const opt_ctx *c = vctx;
  sf_optimum o;
  int rc = sf_optimal(c->ff, params, c->C, c->ao, &o);
  if (rc != SF_OK) return rc;
  out[0] = o.N;
  out[1] = o.D;
  out[2] = o.tokens_per_param;
  out[3] = o.loss;
  return SF_OK;
}

int cmd_optimal(int argc, char **argv) {
  published = attention = output = NULL;
  compute.n = 0;
  json = numeric = 0;
  warn_decades = 1;
  fc_cost_init(&cost);
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  sf_alloc_opts ao = {0};
  ao.numeric = numeric;
  if ((rc = fc_parse_attention("optimal", attention, &ao)) != SF_OK) return rc;
  if (!compute.n) {
    cli_error("optimal: which budget? give --compute C (FLOP), e.g. --compute 1e24");
    return SF_EUSAGE;
  }
  /* every --compute adds its budgets after the ones before, as --at does in predict: a repeat used
   * to replace the earlier ones in silence */
  double Cs[MAXC], one[MAXC];
  long nC = 0;
  for (size_t i = 0; i < compute.n; i++) {
    long n = fc_parse_range("optimal", "--compute", compute.item[i], one, MAXC);
    if (n < 0) return SF_EUSAGE;
    if (nC + n > MAXC) {
      cli_error("optimal: more than %d budgets in all from the --compute options (%ld with '%s')", MAXC, nC + n,
                compute.item[i]);
      return SF_EUSAGE;
    }
    memcpy(Cs + nC, one, (size_t)n * sizeof *one);
    nC += n;
  }
  if ((rc = fc_cost_setup(&cost)) != SF_OK) return rc;
  sf_fitfile *ff;
  if ((rc = fc_load(args, nargs, published, "optimal", &ff)) != SF_OK) return rc;
  if (ff->alloc == SF_ALLOC_NONE) {
    char vars[256];
    cli_error("optimal: law '%s' of %s predicts '%s'; compute-optimal allocation needs a law of N and D (or a "
              "published N_opt / D_opt law)",
              sf_law_label(ff->law), sf_fitfile_vars_text(ff, vars, sizeof vars), ff->output);
    sf_fitfile_free(ff);
    return SF_EINPUT;
  }

  /* every budget is computed before anything is printed: a budget that fails (a law flat to
   * rounding there, an optimum off the scan) used to leave the header and the rows before it on
   * stdout, a half table under a non-zero exit */
  typedef struct opt_row {
    sf_band b[4];
    double beyond;
  } opt_row;
  opt_row *row = malloc((size_t)nC * sizeof *row);
  if (!row) {
    sf_fitfile_free(ff);
    cli_error("out of memory");
    return SF_ENOMEM;
  }
  size_t far = 0;
  double worst = 0;
  for (long i = 0; i < nC; i++) {
    opt_ctx ctx = {ff, Cs[i], &ao};
    rc = sf_forecast_band(ff, opt_fn, &ctx, 4, row[i].b);
    if (rc != SF_OK) {
      cli_fail_lib(rc);
      free(row);
      sf_fitfile_free(ff);
      return rc;
    }
    const sf_band *b = row[i].b;
    double beyond = row[i].beyond = sf_fitfile_decades_beyond_ndc(ff, b[0].value, b[1].value, Cs[i]);
    if (beyond > warn_decades) {
      far++;
      if (beyond > worst) worst = beyond;
    }
  }

  sf_buf out;
  sf_buf_init(&out);
  sf_json j;
  sf_json_init(&j, &out, 1);
  sf_json_begin_object(&j, NULL);
  fc_json_fit(&j, ff, NULL);
  sf_json_string(&j, "method", ff->alloc != SF_ALLOC_ND ? "published allocation law"
                               : (!numeric && !attention && strcmp(ff->law->name, "chinchilla") == 0)
                                   ? "closed form"
                                   : "numeric (scan + Brent)");
  sf_json_string(&j, "flops", attention ? "6ND + 6*n_layer*n_ctx*d_model*D" : "6ND");
  fc_cost_json_model(&cost, &j);
  sf_json_begin_array(&j, "optima");
  /* one style per column: C in e-notation, N, D and the N band in k/M/B/T unless one of the column
   * reaches 1e15 (sf_fmtcol); the C column once read "10T, 100T, 1e+15". The loss and its band
   * lines at one precision, the report's cell "V [LO, HI]" (they read 1.119 over 0.7354, and
   * "[0.6650, 1.022]" under 0.7354) */
  sf_fmtcol ncol = {0}, dcol = {0}, bandcol = {0}, ycol = {0};
  for (long i = 0; i < nC; i++) {
    sf_fmtcol_see(&ncol, row[i].b[0].value), sf_fmtcol_see(&dcol, row[i].b[1].value);
    sf_fmtcol_see(&bandcol, row[i].b[0].lo), sf_fmtcol_see(&bandcol, row[i].b[0].hi);
    sf_fmtcol_see_band(&ycol, row[i].b[3].value, row[i].b[3].lo, row[i].b[3].hi);
  }
  /* tokens/param and its band by sf_fmt_ratio_band; it and the N band as wide as their widest cells */
  int wt = 22, wb = 14; /* as wide as the widest cell */
  for (long i = 0; i < nC; i++) {
    char tpp[112], lo[32], hi[32];
    sf_fmtcol_fmt(&bandcol, lo, sizeof lo, row[i].b[0].lo);
    sf_fmtcol_fmt(&bandcol, hi, sizeof hi, row[i].b[0].hi);
    if (!isnan(row[i].b[0].lo) && (int)(strlen(lo) + strlen(hi)) + 4 > wb) wb = (int)(strlen(lo) + strlen(hi)) + 4;
    sf_fmt_ratio_band(tpp, sizeof tpp, row[i].b[2].value, row[i].b[2].lo, row[i].b[2].hi);
    if ((int)strlen(tpp) > wt) wt = (int)strlen(tpp);
  }
  if (!json) {
    fc_band_note(ff, NULL);
    fc_cost_header(&cost);
    printf("%10s %10s %10s %*s %10s %*s %12s\n", "C", "N", "D", wt, "tokens/param", ff->alloc == SF_ALLOC_ND ? ff->output : "loss", wb, "N band", "beyond data");
  }
  fc_excl excl = {0};
  for (long i = 0; i < nC; i++) {
    const sf_band *b = row[i].b;
    double beyond = row[i].beyond;
    sf_json_begin_object(&j, NULL);
    sf_json_number(&j, "C", Cs[i]);
    fc_json_band(&j, "N", &b[0]);
    fc_json_band(&j, "D", &b[1]);
    fc_json_band(&j, "tokens_per_param", &b[2]);
    fc_json_band(&j, "loss", &b[3]);
    {
      static const char *const what[4] = {"N", "D", "tokens/param", NULL};
      char w[96];
      for (int o = 0; o < 4; o++) {
        snprintf(w, sizeof w, "%s at C=%.4g", what[o] ? what[o] : ff->output, Cs[i]);
        fc_excl_see(&excl, w, &b[o]);
      }
    }
    sf_json_number(&j, "decades_beyond", beyond);
    fc_cost_json(&cost, &j, Cs[i]);
    sf_json_end_object(&j);
    if (!json) {
      char c[32], n[32], d[32], lo[32], hi[32], band[80];
      sf_fmt_compute(c, sizeof c, Cs[i]);
      sf_fmtcol_fmt(&ncol, n, sizeof n, b[0].value);
      sf_fmtcol_fmt(&dcol, d, sizeof d, b[1].value);
      sf_fmtcol_fmt(&bandcol, lo, sizeof lo, b[0].lo);
      sf_fmtcol_fmt(&bandcol, hi, sizeof hi, b[0].hi);
      snprintf(band, sizeof band, isnan(b[0].lo) ? "-" : "[%s, %s]", lo, hi);
      char tpp[112];
      sf_fmt_ratio_band(tpp, sizeof tpp, b[2].value, b[2].lo, b[2].hi);
      char loss[32];
      sf_fmtcol_fmt(&ycol, loss, sizeof loss, b[3].value);
      printf("%10s %10s %10s %*s %10s %*s ", c, n, d, wt, tpp, loss, wb, band);
      if (isnan(beyond)) printf("%12s\n", "-");
      else printf("%9.1f dec\n", beyond);
      if (!isnan(b[3].lo)) {
        char vb[112]; /* "V [LO, HI]" as the report's cell: the band's ends at the value's places */
        sf_fmtcol_band(&ycol, vb, sizeof vb, b[3].value, b[3].lo, b[3].hi);
        const char *br = strchr(vb, '[');
        printf("    %s band %s\n", ff->output, br ? br : vb);
      }
      fc_cost_text(&cost, Cs[i]);
    }
  }
  sf_json_end_array(&j);
  sf_json_end_object(&j);
  free(row);
  if (far) {
    char w[400];
    sf_far_warning(w, sizeof w, SF_FAR_OPTIMAL, far, warn_decades, worst);
    cli_warn("%s", w);
  }
  fc_excl_warn(&excl);
  if (json || output) rc = fc_emit_json(&out, output, json);
  sf_buf_free(&out);
  sf_fitfile_free(ff);
  return rc;
}
