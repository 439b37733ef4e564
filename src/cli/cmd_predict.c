/* cmd_predict.c: `scalefit predict FIT --at N=70e9,D=1.4e12 [--grid C=1e20:1e26:13]`, the fitted
 * law at new points with a band (bootstrap percentiles, or the delta method), how far each point
 * lies beyond the fit's data, and the training cost where the point has a compute figure. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/forecast_cli.h"

#define MAXPTS 1024

static cli_list at;
static const char *grid, *published, *attention, *output, *then;
static int json;
static double warn_decades;
static fc_cost cost;

static const cli_opt opts[] = {
    {"at", 0, CLI_LIST, &at, "V=X,...", "a point, e.g. C=1e25 or N=70e9,D=1.4e12 (repeatable)"},
    {"grid", 0, CLI_STRING, &grid, "V=LO:HI:K", "K log-spaced values of one variable (the others from one --at; X:X:1 one)"},
    {"published", 0, CLI_STRING, &published, "ID", "a published law from datasets/laws.csv instead of FIT"},
    {"then", 0, CLI_STRING, &then, "FIT2", "two-stage: feed the prediction into FIT2 (e.g. loss -> accuracy)"},
    {"attention", 0, CLI_STRING, &attention, "L:CTX:DM", "count attention FLOPs (layers:context:d_model) in C"},
    {"warn-decades", 0, CLI_DOUBLE, &warn_decades, "X", "warn beyond this many decades outside the data (1)"},
    FC_COST_OPTS(cost),
    {"json", 0, CLI_FLAG, &json, NULL, "machine-readable output"},
    {"output", 'o', CLI_STRING, &output, "FILE", "also save the JSON result to FILE"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "predict", "scalefit predict FIT.json|--published ID --at V=X[,V=X] [--grid V=LO:HI:K] [options]",
    "predict a fitted law at new points, with a band", 
    "The band is the fit's bootstrap (percentiles of the refitted laws' predictions) when the fit\n"
    "file has samples, otherwise the delta method with its covariance. 'decades beyond' is how far\n"
    "the point lies outside the range of the data the law was fitted on. Cost (--gpu or\n"
    "--peak-tflops) needs a compute figure: C itself, or 6ND (+ attention) for laws of N and D.\n"
    "With --then FIT2 (Llama 3's two-stage method) the prediction is fed into FIT2, a law of one\n"
    "variable (e.g. a sigmoid of loss fitted on models' loss and accuracy); the band pairs the two\n"
    "fits' bootstrap samples when both have them, else adds both stages' delta-method variances.\n"
    "'beyond data' then has two parts: the point against FIT's data, and the first stage's\n"
    "value (e.g. the loss) against the values FIT2 was fitted on (a warning when outside).\n"
    "Delta-method bands are taken on the logarithm of a positive figure (a loss) and on the logit\n"
    "of a fraction (an accuracy: a sigmoid fit, or an output other than loss whose fitted values\n"
    "lie in [0, 1]), so that neither leaves its range; in both stages alike.",
    opts, 0, 1};

/* C given to a law of N and D: a budget is optimal's question */
#define BUDGET_HINT "for a compute budget use scalefit optimal --compute"

int cmd_predict(int argc, char **argv) {
  memset(&at, 0, sizeof at);
  grid = published = attention = output = then = NULL;
  json = 0;
  warn_decades = 1;
  fc_cost_init(&cost);
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  sf_alloc_opts ao = {0};
  if ((rc = fc_parse_attention("predict", attention, &ao)) != SF_OK) return rc;
  if (!at.n && !grid) {
    cli_error("predict: where? give --at V=X (e.g. --at C=1e25) or --grid V=LO:HI:K");
    return SF_EUSAGE;
  }
  if ((rc = fc_cost_setup(&cost)) != SF_OK) return rc;
  sf_fitfile *ff;
  if ((rc = fc_load(args, nargs, published, "predict", &ff)) != SF_OK) return rc;

  if (cost.enabled && ff->var_C < 0 && !(ff->var_N >= 0 && ff->var_D >= 0)) {
    /* it printed the cost header and then no cost at all */
    cli_warn("predict: law '%s' of %s has no compute figure (C, or N and D for 6ND): no cost computed", sf_law_label(ff->law),
             ff->vars[0]);
    cost.enabled = 0;
  }
  sf_fitfile *ff2 = NULL;
  if (then) {
    rc = sf_fitfile_read(then, &ff2);
    if (rc == SF_OK && ff2->nvar != 1) {
      cli_error("predict: --then '%s' must be a law of one variable (the first stage's %s), not of %zu", then,
                ff->output, ff2->nvar);
      rc = SF_EINPUT;
    } else if (rc != SF_OK) {
      cli_fail_lib(rc);
    }
    if (rc != SF_OK) {
      sf_fitfile_free(ff2);
      sf_fitfile_free(ff);
      return rc;
    }
    char c1[16], c2[16];
    sf_header_column(ff->output, c1, sizeof c1); /* "val_loss" is loss, "Compute" C */
    sf_header_column(ff2->vars[0], c2, sizeof c2);
    if (!strcmp(c1, "loss") && (!strcmp(c2, "N") || !strcmp(c2, "D") || !strcmp(c2, "C"))) {
      /* a loss fed to a law of compute or size gives a number with no meaning: refused, not warned */
      cli_error("predict: --then '%s' is a law of %s, but the first stage predicts %s: the second stage must take "
                "the first's output (e.g. a law of loss)", then, ff2->vars[0], ff->output);
      sf_fitfile_free(ff2);
      sf_fitfile_free(ff);
      return SF_EINPUT;
    }
    if (strcmp(ff2->vars[0], ff->output) != 0 && (strcmp(c1, c2) != 0 || !*c1))
      cli_warn("predict: --then '%s' is a law of '%s' but the first stage predicts '%s'", then, ff2->vars[0],
               ff->output);
  }
  static double pts[MAXPTS][SF_LAW_MAXVAR];
  size_t npts = 0;
  int given[SF_LAW_MAXVAR];
  for (size_t i = 0; i < at.n && rc == SF_OK; i++) {
    rc = fc_parse_point("predict", ff, at.item[i], pts[npts], given, BUDGET_HINT);
    if (rc == SF_OK && !grid)
      for (size_t k = 0; k < ff->nvar; k++)
        if (!given[k]) {
          cli_error("predict: --at '%s' does not give %s", at.item[i], ff->vars[k]);
          rc = SF_EUSAGE;
          break;
        }
    npts++;
  }
  if (rc == SF_OK && grid && at.n > 1) {
    /* the grid sweeps one variable and takes the others from one --at; a second --at used to be
     * dropped in silence */
    cli_error("predict: --grid takes the other variables from one --at, got %zu (run predict once per --at)", at.n);
    rc = SF_EUSAGE;
  }
  if (rc == SF_OK && grid) {
    /* the grid replaces the --at point: its variable swept, the others from the --at */
    double base[SF_LAW_MAXVAR] = {0};
    int have[SF_LAW_MAXVAR] = {0};
    if (npts) {
      memcpy(base, pts[0], sizeof base);
      fc_parse_point("predict", ff, at.item[0], base, have, BUDGET_HINT);
    }
    char var[64];
    const char *eq = strchr(grid, '=');
    int k = -1;
    if (eq && (size_t)(eq - grid) < sizeof var) {
      memcpy(var, grid, (size_t)(eq - grid));
      var[eq - grid] = '\0';
      k = sf_fitfile_var_index(ff, var);
    }
    if (k < 0) {
      cli_error("predict: --grid expects V=LO:HI:K with V a variable of law '%s', got '%s'", sf_law_label(ff->law), grid);
      rc = SF_EUSAGE;
    }
    for (size_t i = 0; rc == SF_OK && i < ff->nvar; i++)
      if ((int)i != k && !have[i]) {
        cli_error("predict: the grid over %s needs %s from --at", ff->vars[k], ff->vars[i]);
        rc = SF_EUSAGE;
      }
    double v[MAXPTS];
    long n = rc == SF_OK ? fc_parse_range("predict", "--grid", eq + 1, v, MAXPTS) : 0;
    if (n < 0) rc = SF_EUSAGE;
    npts = 0;
    for (long i = 0; rc == SF_OK && i < n; i++) {
      memcpy(pts[npts], base, sizeof base);
      pts[npts++][k] = v[i];
    }
  }
  if (rc != SF_OK) {
    sf_fitfile_free(ff2);
    sf_fitfile_free(ff);
    return rc;
  }

  /* every point is computed before anything is printed: a point where a law is undefined used
   * to leave the header and the rows before it on stdout, a half table under a non-zero exit */
  typedef struct pred_row {
    sf_band b, mid;
    double C, beyond, beyond2; /* beyond2: stage 1's value against the range FIT2 was fitted on */
    double log10_C;            /* where 6ND overflows a double (C = inf): its log10, else NaN */
  } pred_row;
  pred_row *row = malloc((npts ? npts : 1) * sizeof *row);
  if (!row) {
    cli_error("out of memory");
    sf_fitfile_free(ff2);
    sf_fitfile_free(ff);
    return SF_ENOMEM;
  }
  size_t far = 0, far2 = 0;
  double worst = 0, worst2 = 0;
  double lo2 = NAN, hi2 = NAN;
  if (ff2) sf_fitfile_range(ff2, ff2->vars[0], &lo2, &hi2);
  for (size_t i = 0; i < npts; i++) {
    const double *x = pts[i];
    pred_row *r = &row[i];
    rc = ff2 ? sf_forecast_twostage(ff, ff2, x, &r->mid, &r->b) : sf_forecast_predict(ff, x, &r->b);
    if (rc != SF_OK) {
      cli_fail_lib(rc);
      free(row);
      sf_fitfile_free(ff2);
      sf_fitfile_free(ff);
      return rc;
    }
    /* the compute of this point, where it has one */
    double C = NAN, lC = NAN;
    if (ff->var_C >= 0) C = x[ff->var_C];
    else if (ff->var_N >= 0 && ff->var_D >= 0) {
      C = sf_flops_train(x[ff->var_N], x[ff->var_D], ao.n_layer, ao.n_ctx, ao.d_model);
      lC = sf_flops_train_log10(x[ff->var_N], x[ff->var_D], ao.n_layer, ao.n_ctx, ao.d_model);
    }
    /* the decades in log space: 6ND of N = D = 1e300 is inf as a double, and was "inf decades" */
    const char *names[SF_LAW_MAXVAR + 1];
    double lvals[SF_LAW_MAXVAR + 1];
    size_t nn = 0;
    for (size_t k = 0; k < ff->nvar; k++) {
      names[nn] = ff->vars[k];
      lvals[nn++] = x[k] > 0 ? log10(x[k]) : NAN;
    }
    if (ff->var_C < 0 && !isnan(lC)) {
      names[nn] = "C";
      lvals[nn++] = lC;
    }
    r->C = C;
    r->log10_C = isfinite(C) ? NAN : lC;
    r->beyond = sf_fitfile_decades_beyond_log10(ff, names, lvals, nn);
    if (r->beyond > warn_decades) {
      far++;
      if (r->beyond > worst) worst = r->beyond;
    }
    /* the second stage extrapolates too when stage 1's value (a loss) lies outside the values it
     * was fitted on: the data of stage 1 say nothing about that */
    r->beyond2 = ff2 ? sf_fitfile_decades_beyond(ff2, (const char *const *)&ff2->vars[0], &r->mid.value, 1) : NAN;
    if (r->beyond2 > 0) {
      far2++;
      if (r->beyond2 > worst2) worst2 = r->beyond2;
    }
  }

  sf_buf out;
  sf_buf_init(&out);
  sf_json j;
  sf_json_init(&j, &out, 1);
  sf_json_begin_object(&j, NULL);
  fc_json_fit(&j, ff, ff2);
  fc_cost_json_model(&cost, &j);
  if (ff2) {
    sf_json_begin_object(&j, "stage2");
    sf_json_string(&j, "source", ff2->origin);
    sf_json_string(&j, "law", ff2->law->name);
    sf_json_string(&j, "output", ff2->output);
    sf_json_end_object(&j);
  }
  fc_excl excl = {0};
  sf_json_begin_array(&j, "predictions");
  /* one style per column (sf_fmtcol): compute always in e-notation, a count in k/M/B/T unless one of
   * its column reaches 1e15; it once read "100T" over "1e+15" */
  sf_fmtcol xcol[SF_LAW_MAXVAR] = {{0}}, vcol = {0};
  for (size_t i = 0; i < npts; i++) {
    for (size_t k = 0; k < ff->nvar; k++) sf_fmtcol_see(&xcol[k], pts[i][k]);
    sf_fmtcol_see(&vcol, row[i].b.value), sf_fmtcol_see(&vcol, row[i].b.lo), sf_fmtcol_see(&vcol, row[i].b.hi);
    if (ff2) sf_fmtcol_see(&vcol, row[i].mid.value);
  }
  if (!json) {
    fc_band_note(ff, ff2);
    fc_cost_header(&cost);
    for (size_t k = 0; k < ff->nvar; k++) printf("%10s ", ff->vars[k]);
    if (ff2) printf("%12s ", ff->output);
    printf("%12s %12s %12s  %s\n", ff2 ? ff2->output : ff->output, "lo", "hi",
           ff2 ? "beyond data (stage 1; stage 2)" : "beyond data");
  }
  for (size_t i = 0; i < npts; i++) {
    const double *x = pts[i];
    const sf_band b = row[i].b, mid = row[i].mid;
    double C = row[i].C, beyond = row[i].beyond;
    sf_json_begin_object(&j, NULL);
    sf_json_begin_object(&j, "inputs");
    for (size_t k = 0; k < ff->nvar; k++) sf_json_number(&j, ff->vars[k], x[k]);
    sf_json_end_object(&j);
    if (!isnan(C)) sf_json_number(&j, "C", C);
    if (!isnan(row[i].log10_C)) sf_json_number(&j, "log10_C", row[i].log10_C);
    if (ff2) fc_json_band(&j, "stage1", &mid);
    sf_json_number(&j, "value", b.value);
    sf_json_number(&j, "lo", b.lo);
    sf_json_number(&j, "hi", b.hi);
    if (b.kind == SF_BAND_BOOTSTRAP) sf_json_bool(&j, "band_excludes_value", sf_band_excludes_value(&b));
    {
      char what[128];
      int len = snprintf(what, sizeof what, "%s at", ff2 ? ff2->output : ff->output);
      for (size_t k = 0; k < ff->nvar && len > 0 && (size_t)len < sizeof what; k++)
        len += snprintf(what + len, sizeof what - len, "%s%s=%.4g", k ? "," : " ", ff->vars[k], x[k]);
      if (ff2) fc_excl_see(&excl, ff->output, &mid);
      fc_excl_see(&excl, what, &b);
    }
    sf_json_number(&j, "decades_beyond", beyond);
    if (ff2) sf_json_number(&j, "stage2_decades_beyond", row[i].beyond2);
    fc_cost_json(&cost, &j, C);
    sf_json_end_object(&j);
    if (!json) {
      char s[32];
      for (size_t k = 0; k < ff->nvar; k++) {
        if ((int)k == ff->var_C) sf_fmt_compute(s, sizeof s, x[k]);
        else sf_fmtcol_fmt(&xcol[k], s, sizeof s, x[k]);
        printf("%10s ", s);
      }
      /* the display rule of optimal, target and the report (sf_fmt_value: a loss to 4 digits, no
       * band a dash, never "nan"); the unrounded numbers are in --json, for reading by machine */
      char v[32], lo[32], hi[32];
      if (ff2) {
        sf_fmtcol_fmt(&vcol, v, sizeof v, mid.value);
        printf("%12s ", v);
      }
      sf_fmtcol_fmt(&vcol, v, sizeof v, b.value);
      sf_fmtcol_fmt(&vcol, lo, sizeof lo, b.lo);
      sf_fmtcol_fmt(&vcol, hi, sizeof hi, b.hi);
      printf("%12s %12s %12s  ", v, lo, hi);
      if (isnan(beyond)) printf("(no data range)");
      else if (beyond == 0) printf("inside");
      else printf("%.1f decades", beyond);
      double b2 = row[i].beyond2;
      if (!ff2) printf("\n");
      else if (isnan(b2)) printf("; (no %s range)\n", ff2->vars[0]);
      else if (b2 == 0) printf("; inside\n");
      else printf("; %s %.4g outside [%.4g, %.4g] (%.2g decades)\n", ff2->vars[0], mid.value, lo2, hi2, b2);
      if (!isnan(row[i].log10_C)) {
        if (cost.enabled) printf("    cost: none: C = 6ND = 10^%.2f FLOP is beyond a double's range\n", row[i].log10_C);
      } else if (!isnan(C)) fc_cost_text(&cost, C);
    }
  }
  sf_json_end_array(&j);
  sf_json_end_object(&j);
  free(row);
  if (far) {
    char w[400];
    sf_far_warning(w, sizeof w, SF_FAR_PREDICT, far, warn_decades, worst);
    cli_warn("%s", w);
  }
  if (far2)
    cli_warn("%zu point%s put%s %s outside the range '%s' was fitted on (%.4g to %.4g; up to %.2g decades out): the "
             "second stage is an extrapolation there, whatever the first stage's data",
             far2, far2 > 1 ? "s" : "", far2 > 1 ? "" : "s", ff->output, then, lo2, hi2, worst2);
  fc_excl_warn(&excl);
  if (json || output) rc = fc_emit_json(&out, output, json);
  sf_buf_free(&out);
  sf_fitfile_free(ff2);
  sf_fitfile_free(ff);
  return rc;
}
