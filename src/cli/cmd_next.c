/* cmd_next.c: `scalefit next FIT --at C=1e24 --max-compute 1e20`, the run(s) to train next so that
 * the forecast at a target narrows most: candidates over the run's budget (and, for laws of N and
 * D, its split), each scored by the band width its run would remove (sf_next: Sherman-Morrison
 * on the fit's covariance), per FLOP or in total, the best K picked greedily. */
#include <scalefit/sf_error.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/forecast_cli.h"
#include "util/util.h"

static const char *at, *compute, *published, *output, *rank;
static int json;
static double max_compute, min_compute, beyond, run_sd;
static long count, budgets, splits;
static fc_cost cost;

static const cli_opt opts[] = {
    {"at", 0, CLI_STRING, &at, "V=X,...", "the target: a point beyond the data, e.g. C=1e24 or N=70e9,D=1.4e12"},
    {"compute", 'C', CLI_STRING, &compute, "C", "the target: the compute-optimal point of budget C (laws of N, D)"},
    {"max-compute", 0, CLI_DOUBLE, &max_compute, "C", "the largest budget of a proposed run, FLOP (required)"},
    {"min-compute", 0, CLI_DOUBLE, &min_compute, "C", "the smallest (default: the fit's smallest run)"},
    {"count", 'k', CLI_INT, &count, "K", "propose K runs, each chosen as if the ones before were run (1)"},
    {"rank", 0, CLI_STRING, &rank, "R", "total: band width removed (default); per-flop: removed per FLOP"},
    {"run-sd", 0, CLI_DOUBLE, &run_sd, "S", "the new run's std of y (default: the fit's residual scale)"},
    {"budgets", 0, CLI_INT, &budgets, "K", "log-spaced budgets from the smallest to --max-compute (13)"},
    {"splits", 0, CLI_INT, &splits, "K", "laws of N, D: splits of each budget between N and D (25)"},
    {"beyond", 0, CLI_DOUBLE, &beyond, "X", "laws of N, D: decades beyond the data's N and D a run may lie (1)"},
    {"published", 0, CLI_STRING, &published, "ID", "a published law (has no covariance: refused, says why)"},
    FC_COST_OPTS(cost),
    {"json", 0, CLI_FLAG, &json, NULL, "machine-readable output"},
    {"output", 'o', CLI_STRING, &output, "FILE", "also save the JSON result to FILE"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "next", "scalefit next FIT.json --at V=X[,V=X]|--compute C --max-compute C [options]",
    "propose the next run(s) to train to narrow a forecast",
    "The target's band is the delta method with the fit's covariance S (a bootstrap in the fit is\n"
    "not used: the update needs a covariance). A run at x whose residual (in the fit's space: log\n"
    "or linear) has gradient g and variance s2 changes S to S - (Sg)(Sg)'/(s2 + g'Sg)\n"
    "(Sherman-Morrison), so the target's variance h'Sh falls by (h'Sg)^2/(s2 + g'Sg). Candidates:\n"
    "--budgets budgets, log-spaced from the fit's smallest run to --max-compute, and for laws of N\n"
    "and D --splits values of N along each budget's C = 6ND, with N and D within --beyond decades\n"
    "of the data. Ranked by band width removed (--rank total, the default: the most one run within\n"
    "--max-compute can do) or per FLOP (--rank per-flop; the smallest runs win whenever they help\n"
    "at all, as a run's gain grows far slower than its cost); with\n"
    "--count K each pick is made as if the ones before it had been run (the same run may come\n"
    "back: another seed). s2 is the fit's residual variance rss/(n - k), or from --run-sd (y's\n"
    "units; required for a fit weighted by --sigma, where it is the run's sigma, scaled by\n"
    "chi2/dof as every run's is unless the fit took the sigmas as absolute).\n"
    "Assumed: the linearisation (the run lands on the fitted law and the optimum does not move),\n"
    "the law is right beyond the data, the residual variance is unchanged by the run, and, for a\n"
    "huber fit, least squares' covariance at the huber optimum, which the fit saves, describes it\n"
    "(the fit warns when it does not). Read the figures as what one run is expected to buy, not\n"
    "a promise.",
    opts, 0, 1};

/* "N=70e9,D=1.4e12" into x (law order), every variable given once */
static int parse_point(const sf_fitfile *ff, const char *spec, double *x) {
  int given[SF_LAW_MAXVAR];
  int rc = fc_parse_point("next", ff, spec, x, given, "for the optimum of a budget use --compute");
  for (size_t k = 0; !rc && k < ff->nvar; k++)
    if (!given[k]) {
      cli_error("next: --at '%s' does not give %s", spec, ff->vars[k]);
      rc = SF_EUSAGE;
    }
  return rc;
}

/* "N = 70B, D = 1.4T" */
static void fmt_point(const sf_fitfile *ff, const double *x, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < ff->nvar && used < n; k++) {
    char v[32];
    if ((int)k == ff->var_C) sf_fmt_compute(v, sizeof v, x[k]); /* compute in e-notation, as everywhere */
    else sf_fmt_value(v, sizeof v, x[k]);
    used += (size_t)snprintf(buf + used, n - used, "%s%s = %s", k ? ", " : "", ff->vars[k], v);
  }
}

static double beyond_of(const sf_fitfile *ff, const double *x) {
  if (ff->alloc == SF_ALLOC_ND)
    return sf_fitfile_decades_beyond_ndc(ff, x[ff->var_N], x[ff->var_D], 6 * x[ff->var_N] * x[ff->var_D]);
  return sf_fitfile_decades_beyond(ff, (const char *const *)ff->vars, x, ff->nvar);
}

static void json_point(sf_json *j, const sf_fitfile *ff, const double *x) {
  sf_json_begin_object(j, "at");
  for (size_t k = 0; k < ff->nvar; k++) sf_json_number(j, ff->vars[k], x[k]);
  sf_json_end_object(j);
}

/* A band's width in the style of its value as printed (ref): the value's decimal places, or its
 * mantissa places in e-notation; 3 significant digits where ref has a unit ("46.9B"). */
static void width_like(char *buf, size_t n, double w, const char *ref) {
  if (!sf_fmt_like(buf, n, w, ref)) sf_fmt_sig(buf, n, w, 3);
}

int cmd_next(int argc, char **argv) {
  at = compute = published = output = rank = NULL;
  json = 0;
  max_compute = min_compute = run_sd = NAN;
  beyond = 1;
  count = 1;
  budgets = 13;
  splits = 25;
  fc_cost_init(&cost);
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  if (!at == !compute) {
    cli_error("next: which forecast? give one target, --at V=X (e.g. --at C=1e24) or --compute C");
    return SF_EUSAGE;
  }
  if (isnan(max_compute)) {
    cli_error("next: how large may a run be? give --max-compute C (FLOP), e.g. --max-compute 1e20");
    return SF_EUSAGE;
  }
  sf_next_opts no;
  sf_next_opts_default(&no);
  no.max_compute = max_compute;
  no.min_compute = min_compute;
  no.run_sd = run_sd;
  no.beyond = beyond;
  if (count < 1 || count > SF_NEXT_MAXPICK) {
    cli_error("next: --count must be 1 to %d, got %ld", SF_NEXT_MAXPICK, count);
    return SF_EUSAGE;
  }
  if (budgets < 1 || splits < 1 || budgets > 1000 || splits > 1000) {
    cli_error("next: --budgets and --splits must be 1 to 1000, got %ld and %ld", budgets, splits);
    return SF_EUSAGE;
  }
  no.count = (size_t)count;
  no.n_budgets = (size_t)budgets;
  no.n_splits = (size_t)splits;
  /* total by default: per FLOP, the smallest budget on the grid wins almost always, which
   * answers no question a user asks */
  if (!rank || strcmp(rank, "total") == 0) no.rank = SF_NEXT_TOTAL;
  else if (strcmp(rank, "per-flop") == 0) no.rank = SF_NEXT_PER_FLOP;
  else {
    cli_error("next: --rank must be per-flop or total, got '%s'", rank);
    return SF_EUSAGE;
  }
  double Ct = NAN;
  if (compute) {
    double v[1];
    if (fc_parse_range("next", "--compute", compute, v, 1) != 1) return SF_EUSAGE;
    Ct = v[0];
  }
  if ((rc = fc_cost_setup(&cost)) != SF_OK) return rc;
  sf_fitfile *ff;
  if ((rc = fc_load(args, nargs, published, "next", &ff)) != SF_OK) return rc;

  double x[SF_LAW_MAXVAR] = {0};
  sf_optimum opt = {0};
  if (at) {
    rc = parse_point(ff, at, x);
  } else if (ff->alloc == SF_ALLOC_ND) {
    sf_alloc_opts ao = {0};
    rc = sf_optimal(ff, ff->params, Ct, &ao, &opt);
    if (rc != SF_OK) cli_fail_lib(rc);
    x[ff->var_N] = opt.N;
    x[ff->var_D] = opt.D;
  } else if (ff->nvar == 1 && ff->var_C == 0) {
    x[0] = Ct;
  } else {
    cli_error("next: --compute needs a law of N and D, or of C; law '%s' takes %s (give --at)", sf_law_label(ff->law),
              ff->vars[0]);
    rc = SF_EUSAGE;
  }
  /* the library's words for these name no option: said here with the option that fixes them */
  if (rc == SF_OK && isnan(run_sd) && ff->has_cov && (ff->alloc == SF_ALLOC_ND || (ff->nvar == 1 && ff->var_C == 0))) {
    if (ff->sigma) {
      cli_error("next: '%s' is a fit weighted by '%s': give --run-sd S, the new run's %s (its standard deviation of "
                "%s), since runs differ in it", ff->origin, ff->sigma, ff->sigma, ff->output);
      rc = SF_EUSAGE;
    } else if (!(ff->resid_var > 0)) {
      cli_error("next: '%s' does not give its residual variance (rss, n_points and n_free; a fit file written by "
                "hand?): give --run-sd S, the new run's standard deviation of %s", ff->origin, ff->output);
      rc = SF_EINPUT;
    }
  }
  sf_next_result r;
  if (rc == SF_OK && (rc = sf_next(ff, x, &no, &r)) != SF_OK) cli_fail_lib(rc);
  if (rc != SF_OK) {
    sf_fitfile_free(ff);
    return rc;
  }

  double tb = beyond_of(ff, x), tsd = sqrt(r.target_var);
  int lawND = ff->alloc == SF_ALLOC_ND;
  double Cmin = r.min_compute, Cmax = max_compute;

  sf_buf out;
  sf_buf_init(&out);
  sf_json j;
  sf_json_init(&j, &out, 1);
  sf_json_begin_object(&j, NULL);
  /* the band here is always the delta method: the fit's header as predict writes it, but saying so */
  sf_fitfile shown = *ff;
  shown.K = 0;
  fc_json_fit(&j, &shown, NULL);
  fc_cost_json_model(&cost, &j);
  sf_json_string(&j, "space", ff->space == SF_SPACE_LOG ? "log" : "linear");
  sf_json_string(&j, "loss", ff->loss == SF_LOSS_HUBER ? "huber" : "l2");
  sf_json_begin_object(&j, "target");
  json_point(&j, ff, x);
  if (compute) sf_json_number(&j, "compute", Ct);
  sf_json_number(&j, "value", r.target.value);
  sf_json_number(&j, "lo", r.target.lo);
  sf_json_number(&j, "hi", r.target.hi);
  sf_json_number(&j, "sd", tsd);
  sf_json_number(&j, "width", r.target.hi - r.target.lo);
  sf_json_number(&j, "decades_beyond", tb);
  sf_json_end_object(&j);
  sf_json_string(&j, "rank", no.rank == SF_NEXT_TOTAL ? "total" : "per-flop");
  sf_json_number(&j, "run_sd", run_sd);
  sf_json_number(&j, "residual_variance", ff->resid_var);
  sf_json_int(&j, "candidates", (long long)r.n_candidates);
  sf_json_number(&j, "min_compute", Cmin);
  sf_json_number(&j, "max_compute", Cmax);
  sf_json_begin_array(&j, "picks");
  for (size_t p = 0; p < r.npick; p++) {
    const sf_next_pick *pk = &r.pick[p];
    sf_json_begin_object(&j, NULL);
    json_point(&j, ff, pk->x);
    sf_json_number(&j, "N", pk->N);
    sf_json_number(&j, "D", pk->D);
    sf_json_number(&j, "C", pk->C);
    sf_json_number(&j, "y", pk->y);
    sf_json_number(&j, "residual_variance", pk->s2);
    sf_json_number(&j, "sd_before", sqrt(pk->var_before));
    sf_json_number(&j, "sd_after", sqrt(pk->var_after));
    fc_json_band(&j, "before", &pk->before);
    fc_json_band(&j, "after", &pk->after);
    sf_json_number(&j, "width_before", pk->before.hi - pk->before.lo);
    sf_json_number(&j, "width_after", pk->after.hi - pk->after.lo);
    sf_json_number(&j, "reduction", pk->reduction);
    sf_json_number(&j, "reduction_per_flop", pk->per_flop);
    sf_json_number(&j, "decades_beyond", beyond_of(ff, pk->x));
    fc_cost_json(&cost, &j, pk->C);
    sf_json_end_object(&j);
  }
  sf_json_end_array(&j);
  sf_json_end_object(&j);

  if (!json) {
    char pt[200], band[120], c1[32], c2[32];
    printf("law '%s' (%s", sf_law_label(ff->law), ff->output);
    if (ff->sigma) printf(", weighted by %s%s", ff->sigma, ff->absolute_sigma ? ", absolute" : "");
    printf(") from '%s'; band: %.0f%% delta method (covariance%s)\n", ff->origin, 100 * ff->ci_level,
           ff->K >= 2 ? "; the fit's bootstrap is not used" : "");
    fmt_point(ff, x, pt, sizeof pt);
    sf_fmt_band(band, sizeof band, r.target.value, r.target.lo, r.target.hi, sf_fmt_value);
    /* a width at the target's places, as its band: "1.959 [1.941, 1.977], width 0.036" (%.3g read
     * 0.0356, a digit the band does not have); the summary's widths the same */
    char tv[120], w0s[48], w1s[48];
    snprintf(tv, sizeof tv, "%s", band);
    tv[strcspn(tv, " ")] = '\0';
    width_like(w0s, sizeof w0s, r.target.hi - r.target.lo, tv);
    if (compute && lawND) {
      sf_fmt_compute(c1, sizeof c1, Ct);
      printf("target: %s at the optimum of C = %s FLOP (%s) = %s, width %s", ff->output, c1, pt, band, w0s);
    } else {
      printf("target: %s at %s = %s, width %s", ff->output, pt, band, w0s);
    }
    printf(", %.1f decades beyond the data\n", tb);
    sf_fmt_compute(c1, sizeof c1, Cmin);
    sf_fmt_compute(c2, sizeof c2, Cmax);
    printf("candidates: %zu run%s, C from %s to %s FLOP", r.n_candidates, sf_plural(r.n_candidates), c1, c2);
    if (lawND) printf(", N and D within %g decade%s of the data", beyond, beyond == 1 ? "" : "s");
    printf("; ranked by band width removed %s\n", no.rank == SF_NEXT_TOTAL ? "in total" : "per FLOP");
    if (isnan(run_sd))
      printf("a run's residual: sd %.3g in %s%s (the fit's rss/(n - k))%s\n", sqrt(ff->resid_var),
             ff->space == SF_SPACE_LOG ? "log " : "", ff->output,
             ff->loss == SF_LOSS_HUBER ? "; a huber fit: least squares' formula" : "");
    else
      printf("a run's residual: sd %g in %s%s%s\n", run_sd, ff->output,
             ff->space == SF_SPACE_LOG ? " (divided by the run's prediction in log space)" : "",
             ff->sigma && !ff->absolute_sigma ? ", scaled by chi2/dof as the fit's sigmas" : "");
    fc_cost_header(&cost);
    printf("%3s %10s", "#", "C");
    if (lawND) printf(" %10s %10s", "N", "D");
    printf(" %10s %26s %18s %14s %12s\n", ff->output, "band after", "width removed", "per EFLOP", "beyond data");
    /* one style per column: C in e-notation, N and D in k/M/B/T unless one of the column reaches 1e15 */
    sf_fmtcol ncol = {0}, dcol = {0}, ycol = {0};
    for (size_t p = 0; p < r.npick; p++) {
      sf_fmtcol_see(&ncol, r.pick[p].N), sf_fmtcol_see(&dcol, r.pick[p].D);
      sf_fmtcol_see(&ycol, r.pick[p].y), sf_fmtcol_see(&ycol, r.pick[p].after.lo), sf_fmtcol_see(&ycol, r.pick[p].after.hi);
    }
    for (size_t p = 0; p < r.npick; p++) {
      const sf_next_pick *pk = &r.pick[p];
      char c[32], n[32], d[32], y[32], lo[32], hi[32], after[80], rem[48];
      sf_fmt_compute(c, sizeof c, pk->C);
      sf_fmtcol_fmt(&ycol, y, sizeof y, pk->y);
      sf_fmtcol_fmt(&ycol, lo, sizeof lo, pk->after.lo);
      sf_fmtcol_fmt(&ycol, hi, sizeof hi, pk->after.hi);
      snprintf(after, sizeof after, "[%s, %s]", lo, hi);
      double wb = pk->before.hi - pk->before.lo;
      /* the width removed and the per-EFLOP column at 3 digits with zeros kept: "1.1e-05" under "7.68e-05" */
      char red[32], pf[32];
      sf_fmt_sig(red, sizeof red, pk->reduction, 3);
      sf_fmt_sig(pf, sizeof pf, pk->per_flop * 1e18, 3);
      snprintf(rem, sizeof rem, "%s (%.1f%%)", red, wb > 0 ? 100 * pk->reduction / wb : 0.0);
      printf("%3zu %10s", p + 1, c);
      if (lawND) {
        sf_fmtcol_fmt(&ncol, n, sizeof n, pk->N);
        sf_fmtcol_fmt(&dcol, d, sizeof d, pk->D);
        printf(" %10s %10s", n, d);
      }
      printf(" %10s %26s %18s %14s %8.1f dec\n", y, after, rem, pf, beyond_of(ff, pk->x));
      fc_cost_text(&cost, pk->C);
    }
    if (r.npick > 1) {
      const sf_next_pick *last = &r.pick[r.npick - 1];
      double w0 = r.target.hi - r.target.lo, w1 = last->after.hi - last->after.lo;
      width_like(w1s, sizeof w1s, w1, tv);
      printf("all %zu runs: width %s -> %s (%.1f%% narrower)\n", r.npick, w0s, w1s,
             w0 > 0 ? 100 * (w0 - w1) / w0 : 0.0);
    }
  }
  if (json || output) rc = fc_emit_json(&out, output, json);
  sf_buf_free(&out);
  sf_fitfile_free(ff);
  return rc;
}
