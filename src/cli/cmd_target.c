/* cmd_target.c: `scalefit target FIT --value 1.9`, the compute (and N, D at the optimum) at which
 * the law reaches a target value, with a band; a target below the fitted irreducible loss gets a
 * plain answer and the bootstrap's probability that it is reachable at all. */
#include <scalefit/sf_error.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/forecast_cli.h"

static const char *published, *attention, *output;
static int json;
static double value, warn_decades;
static fc_cost cost;

static const cli_opt opts[] = {
    {"value", 'v', CLI_DOUBLE, &value, "Y", "the target (a loss, or a metric for a law of C)"},
    {"published", 0, CLI_STRING, &published, "ID", "a published law from datasets/laws.csv instead of FIT"},
    {"attention", 0, CLI_STRING, &attention, "L:CTX:DM", "count attention FLOPs per token (shape held fixed)"},
    {"warn-decades", 0, CLI_DOUBLE, &warn_decades, "X", "warn beyond this many decades outside the data (1)"},
    FC_COST_OPTS(cost),
    {"json", 0, CLI_FLAG, &json, NULL, "machine-readable output"},
    {"output", 'o', CLI_STRING, &output, "FILE", "also save the JSON result to FILE"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "target", "scalefit target FIT.json|--published ID --value Y [options]",
    "the compute (and N, D) needed to reach a target loss",
    "For a law of N and D the budget is allocated optimally (as 'scalefit optimal') and the\n"
    "smallest budget whose optimum reaches the target is found (scan of log C from 1e10, or 1000\n"
    "tokens of --attention's FLOPs per token if more, to 1e40, then Brent's root finder; a target\n"
    "met at the bottom already is searched for below it, down to 6 FLOP). For a law of C alone\n"
    "the law itself is inverted. The band holds the bootstrap refits' budgets, each solved the\n"
    "same way; refits that never reach the target make its upper end unbounded, and refits that\n"
    "cannot be solved (met at the lowest budget their law can be evaluated at) are left out and\n"
    "counted.",
    opts, 0, 1};

typedef struct tgt_ctx {
  const sf_fitfile *ff;
  const sf_alloc_opts *ao;
} tgt_ctx;

static int tgt_fn(const double *params, void *vctx, double *out) {
  const tgt_ctx *c = vctx;
  sf_optimum o;
  int reached;
  int rc = sf_target(c->ff, params, value, c->ao, &o, &reached);
  if (rc != SF_OK) return rc;
  /* a refit met already at the lowest budget its law can be evaluated at has no answer, only a
   * bound: kept as that budget it clamped the band's lower end, so it is left out and counted */
  out[0] = reached == -1 ? NAN : o.C;
  out[1] = reached == -1 ? NAN : o.N;
  out[2] = reached == -1 ? NAN : o.D;
  return SF_OK;
}

int cmd_target(int argc, char **argv) {
  published = attention = output = NULL;
  json = 0;
  value = NAN;
  warn_decades = 1;
  fc_cost_init(&cost);
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  sf_alloc_opts ao = {0};
  if ((rc = fc_parse_attention("target", attention, &ao)) != SF_OK) return rc;
  if (isnan(value)) {
    cli_error("target: which target? give --value Y (e.g. --value 1.9)");
    return SF_EUSAGE;
  }
  if ((rc = fc_cost_setup(&cost)) != SF_OK) return rc;
  sf_fitfile *ff;
  if ((rc = fc_load(args, nargs, published, "target", &ff)) != SF_OK) return rc;
  if (!(ff->alloc == SF_ALLOC_ND || (ff->nvar == 1 && ff->var_C == 0 && ff->alloc == SF_ALLOC_NONE))) {
    char vars[256];
    cli_error("target: law '%s' predicts '%s' from %s; a target compute needs a law of C, or of N and D",
              sf_law_label(ff->law), ff->output, sf_fitfile_vars_text(ff, vars, sizeof vars));
    sf_fitfile_free(ff);
    return SF_EINPUT;
  }
  sf_optimum opt;
  int reached;
  rc = sf_target(ff, ff->params, value, &ao, &opt, &reached);
  if (rc != SF_OK) {
    sf_fitfile_free(ff);
    return cli_fail_lib(rc);
  }
  tgt_ctx ctx = {ff, &ao};
  sf_band b[3];
  rc = sf_forecast_band(ff, tgt_fn, &ctx, 3, b);
  if (rc != SF_OK) {
    sf_fitfile_free(ff);
    return cli_fail_lib(rc);
  }
  double prob = sf_target_prob_reachable(ff, value, &ao);
  /* refits with no budget: unsolvable below the lowest budget their law can be evaluated at, or failed */
  size_t unsolved = sf_target_unsolved(ff, &b[0]);
  /* a delta band below one parameter, one token (N = 0.003 [1.6e-08, 544] for a loss of 200) is clipped */
  int clipped = reached == 1 && sf_target_clip_band(ff, &ao, b);
  /* met already at the bottom of the search: a bound, not a forecast, and the text prints no band. The refits
   * solved are only those that disagree with that verdict (the rest are unsolved): --json gave their band */
  if (reached == -1)
    for (int k = 0; k < 3; k++) b[k] = (sf_band){NAN, NAN, NAN, SF_BAND_NONE, b[k].n_ok};
  int jE = sf_law_param_index(ff->law, "E");
  char verdict[256];
  sf_target_verdict(ff, value, reached, &opt, verdict, sizeof verdict);

  double beyond = reached == 1 ? sf_fitfile_decades_beyond_ndc(ff, opt.N, opt.D, opt.C) : NAN;

  sf_buf out;
  sf_buf_init(&out);
  sf_json j;
  sf_json_init(&j, &out, 1);
  sf_json_begin_object(&j, NULL);
  fc_json_fit(&j, ff, NULL);
  fc_cost_json_model(&cost, &j);
  sf_json_number(&j, "target", value);
  sf_json_bool(&j, "reachable", reached != 0);
  sf_json_string(&j, "verdict", verdict);
  sf_json_number(&j, "prob_reachable", prob);
  sf_band Eb; /* the irreducible loss the verdict compares the target with */
  if (sf_target_floor_band(ff, &Eb)) fc_json_band(&j, "E", &Eb);
  fc_json_band(&j, "C", &b[0]);
  fc_json_band(&j, "N", &b[1]);
  fc_json_band(&j, "D", &b[2]);
  if (ff->K >= 2) sf_json_int(&j, "refits_unsolved", (long long)unsolved);
  if (reached == 1) sf_json_bool(&j, "band_clipped_at_floor", clipped);
  sf_json_number(&j, "decades_beyond", beyond);
  if (reached == 1) fc_cost_json(&cost, &j, opt.C);
  sf_json_end_object(&j);
  if (!json) {
    fc_band_note(ff, NULL);
    printf("target %s = %g: %s\n", ff->output, value, verdict);
    if (!isnan(prob))
      printf("probability the target is reachable at all (bootstrap%s): %.3f\n",
             jE >= 0 ? ", fraction of refits with E below it" : "", prob);
    if (reached == 1) {
      /* each figure as the report's cell shows it (sf_fmt_band): without a band (published
       * constants, a fit with neither bootstrap nor covariance) the value alone, not "[-, -]" */
      char c[120];
      /* compute in e-notation; a count's band in one style (it read "800T [200T, 3e+15]") */
      sf_fmt_band(c, sizeof c, b[0].value, b[0].lo, b[0].hi, sf_fmt_compute);
      printf("  C = %s FLOP\n", c);
      if (!isnan(b[1].value)) {
        sf_fmtcol nc = {0}, dc = {0};
        sf_fmtcol_see_band(&nc, b[1].value, b[1].lo, b[1].hi);
        sf_fmtcol_see_band(&dc, b[2].value, b[2].lo, b[2].hi);
        sf_fmtcol_band(&nc, c, sizeof c, b[1].value, b[1].lo, b[1].hi);
        printf("  N = %s\n", c);
        sf_fmtcol_band(&dc, c, sizeof c, b[2].value, b[2].lo, b[2].hi);
        printf("  D = %s\n", c);
      }
      if (unsolved) {
        char tail[64];
        if (b[0].n_ok >= 2) snprintf(tail, sizeof tail, "the band is over the other %zu", b[0].n_ok);
        else snprintf(tail, sizeof tail, "too few are left for a band");
        printf("  (%zu of %zu refits could not be solved for the target: met already at the lowest budget their "
               "law can be evaluated at, or failed; %s)\n", unsolved, ff->K, tail);
      }
      if (clipped) printf("  (%s)\n", SF_TARGET_CLIP_NOTE);
      if (!isnan(beyond)) printf("  %.1f decades beyond the fit's data\n", beyond);
      fc_cost_header(&cost);
      fc_cost_text(&cost, opt.C);
    }
  }
  if (reached != 1 && cost.enabled)
    cli_warn("target: %s: no budget, so no cost computed", reached == -1 ? "reached at the bottom of the search" : "never reached");
  if (reached == 1 && beyond > warn_decades) {
    char w[400];
    sf_far_warning(w, sizeof w, SF_FAR_TARGET, 1, warn_decades, beyond);
    cli_warn("%s", w);
  }
  if (reached == 1) {
    fc_excl excl = {0};
    fc_excl_see(&excl, "C", &b[0]), fc_excl_see(&excl, "N", &b[1]), fc_excl_see(&excl, "D", &b[2]);
    fc_excl_warn(&excl);
  }
  if (json || output) rc = fc_emit_json(&out, output, json);
  sf_buf_free(&out);
  sf_fitfile_free(ff);
  return rc;
}
