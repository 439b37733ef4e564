/* cmd_fit.c: `scalefit fit DATA --law LAW ...`, a scaling law fitted to runs, with its
 * uncertainty. The CLI layer over sf_fit_table (sf_fit.h), which picks the columns and rows,
 * builds the starts, fits, bootstraps and judges trust exactly as a report's [fit] does: this file
 * parses the options into an sf_fit_request (reading a --grid file), prints the result as a table
 * or JSON with the warnings on stderr, and saves everything the forecast, plot and report
 * commands need (-o FIT.json: law, formula, variables, parameters, covariance, bootstrap samples,
 * data file and selection), so that they never refit.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_law.h>
#include <scalefit/sf_store.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

static const char *law_arg, *x_arg, *y_arg, *sigma_arg, *loss_arg, *space_arg, *grid_arg, *where_arg, *out_path, *table_name;
static double delta_arg, holdout_frac, holdout_above, level;
static long boot_k, seed_arg, threads_arg;
static int json, absolute_sigma;
static cli_list fix_list, bound_list;

static const cli_opt opts[] = {
    {"law", 'l', CLI_STRING, &law_arg, "LAW", "a law of 'scalefit laws', or a formula 'loss = E + A*N^-alpha'"},
    {"x", 0, CLI_STRING, &x_arg, "COL[,COL]", "input columns (default: the law's, e.g. N,D or C)"},
    {"y", 0, CLI_STRING, &y_arg, "COL", "output column (default: the law's, e.g. loss)"},
    {"sigma", 0, CLI_STRING, &sigma_arg, "COL", "per-run standard deviations of the output (its units): weighted fit"},
    {"absolute-sigma", 0, CLI_FLAG, &absolute_sigma, NULL, "take the sigmas as exact: errors not scaled by chi2/dof"},
    {"loss", 0, CLI_STRING, &loss_arg, "l2|huber", "loss on the residuals (default: the law's)"},
    {"delta", 0, CLI_DOUBLE, &delta_arg, "D", "Huber threshold (default 1e-3; in units of sigma with --sigma)"},
    {"space", 0, CLI_STRING, &space_arg, "log|linear", "residuals log(f) - log(y) or f - y (default: the law's)"},
    {"grid", 0, CLI_STRING, &grid_arg, "SPEC", "starts: default, random:K, or a FILE of natural parameter rows"},
    {"bootstrap", 'b', CLI_INT, &boot_k, "K", "K bootstrap resamples, each with the full multi-start"},
    {"seed", 0, CLI_INT, &seed_arg, "S", "seed of the bootstrap and random starts (default 1)"},
    {"level", 0, CLI_DOUBLE, &level, "P", "confidence level of the bootstrap intervals (default 0.95)"},
    {"holdout", 0, CLI_DOUBLE, &holdout_frac, "FRAC", "fit without the largest FRAC of runs (by C) and score them"},
    {"holdout-above", 0, CLI_DOUBLE, &holdout_above, "C", "fit without the runs above this compute and score them"},
    {"where", 'w', CLI_STRING, &where_arg, "EXPR", "keep the runs where EXPR holds, e.g. 'loss < 3.7 and N > 1e8'"},
    {"fix", 0, CLI_LIST, &fix_list, "NAME=VALUE", "pin a parameter (repeatable)"},
    {"bound", 0, CLI_LIST, &bound_list, "NAME=LO:HI", "keep a parameter inside (LO, HI) (repeatable)"},
    {"threads", 'j', CLI_INT, &threads_arg, "T", "threads (default: all cores)"},
    {"table", 't', CLI_STRING, &table_name, "NAME", "table of an HDF5 file with several"},
    {"json", 0, CLI_FLAG, &json, NULL, "machine-readable output on stdout"},
    {"output", 'o', CLI_STRING, &out_path, "FIT.json", "save the fit for forecast, plot and report"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "fit",
    "scalefit fit DATA --law LAW [--x COL] [--y COL] [--sigma COL [--absolute-sigma]] [--loss l2|huber]\n"
    "                    [--delta D] [--space log|linear] [--grid default|random:K|FILE] [--bootstrap K] [--seed S]\n"
    "                    [--holdout FRAC|--holdout-above C] [--where EXPR] [--fix NAME=VALUE] [--bound NAME=LO:HI]\n"
    "                    [--threads T] [--json] [-o FIT.json]",
    "fit a scaling law to runs, with standard errors and bootstrap intervals",
    "Every start of the grid is optimised and the best objective wins (ties to the first start), so\n"
    "results do not depend on --threads. The bootstrap resamples runs (each with its sigma) with\n"
    "replacement and repeats the full multi-start on each resample, showing its progress on a\n"
    "terminal. Exit codes: 2 bad input, 3 the fit failed numerically.\n"
    "\n"
    "--sigma COL weights each run by its standard deviation (scipy's curve_fit(sigma=...)): the\n"
    "residual is (f - y)/sigma in linear space and (log f - log y)/(sigma/y) in log space (the delta\n"
    "method: sigma/y is the standard deviation of log y). With huber loss, delta is in units of sigma\n"
    "and must be given. The standard errors are scaled by chi-square/dof (the sigmas are relative)\n"
    "unless --absolute-sigma; the summary prints chi-square/dof. A fitted run whose sigma is missing,\n"
    "not finite or <= 0 is an error (leave it out with --where); held-out runs are scored unweighted.",
    opts,
    1,
    1};

/* ---- starts ---- */

/* Rows of natural parameter values from a file ('#' comments, blank lines, commas or spaces),
 * checked against the law here so that a bad value is reported with its line. */
static int read_grid_file(const char *path, const sf_law *law, double **out, size_t *ns) {
  FILE *fp = fopen(path, "r");
  if (!fp) return sf_fail(SF_EINPUT, "cannot open grid file '%s'", path);
  size_t cap = 64, n = 0, line_no = 0;
  double *g = malloc(cap * law->np * sizeof *g);
  char line[4096];
  int rc = g ? SF_OK : SF_ENOMEM;
  while (!rc && fgets(line, sizeof line, fp)) {
    line_no++;
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '#' || *s == '\n' || *s == '\r' || !*s) continue;
    if (n == cap) {
      double *ng = realloc(g, 2 * cap * law->np * sizeof *g);
      if (!ng) {
        rc = SF_ENOMEM;
        break;
      }
      g = ng;
      cap *= 2;
    }
    size_t j = 0;
    for (char *tok = strtok(s, ", \t\r\n"); tok; tok = strtok(NULL, ", \t\r\n"), j++) {
      double v;
      if (j >= law->np || !sf_parse_double(tok, &v)) {
        rc = sf_fail(SF_EINPUT, "'%s' line %zu: expected %zu numbers (%s%s...), got '%s'", path, line_no, law->np,
                     law->par[0].name, law->np > 1 ? ", " : "", tok);
        break;
      }
      if (!isfinite(sf_param_internal(&law->par[j], v))) {
        rc = sf_fail(SF_EINPUT, "'%s' line %zu: %s = %g is outside the parameter's range", path, line_no,
                     law->par[j].name, v);
        break;
      }
      g[n * law->np + j] = v;
    }
    if (!rc && j != law->np)
      rc = sf_fail(SF_EINPUT, "'%s' line %zu: expected %zu numbers, got %zu", path, line_no, law->np, j);
    n++;
  }
  fclose(fp);
  if (rc == SF_ENOMEM) sf_fail(SF_ENOMEM, "out of memory reading '%s'", path);
  if (!rc && n == 0) rc = sf_fail(SF_EINPUT, "grid file '%s' has no rows", path);
  if (rc) {
    free(g);
    return rc;
  }
  *out = g;
  *ns = n;
  return SF_OK;
}

/* --fix NAME=VALUE and --bound NAME=LO:HI into the request's lists (names are checked there). */
static int parse_fix_bound(const char **fix_name, double *fix_value, const char **bound_name, double *lo, double *hi) {
  for (size_t i = 0; i < fix_list.n; i++) {
    const char *spec = fix_list.item[i], *eq = strchr(spec, '=');
    if (!eq) return sf_fail(SF_EUSAGE, "--fix '%s': expected NAME=VALUE", spec);
    fix_name[i] = sf_asprintf("%.*s", (int)(eq - spec), spec);
    if (!fix_name[i]) return sf_fail(SF_ENOMEM, "out of memory");
    if (!sf_parse_double(eq + 1, &fix_value[i])) return sf_fail(SF_EUSAGE, "--fix '%s': '%s' is not a number", spec, eq + 1);
  }
  for (size_t i = 0; i < bound_list.n; i++) {
    const char *spec = bound_list.item[i], *eq = strchr(spec, '=');
    if (!eq) return sf_fail(SF_EUSAGE, "--bound '%s': expected NAME=LO:HI", spec);
    bound_name[i] = sf_asprintf("%.*s", (int)(eq - spec), spec);
    if (!bound_name[i]) return sf_fail(SF_ENOMEM, "out of memory");
    const char *colon = strchr(eq + 1, ':');
    char lo_s[64];
    if (!colon) return sf_fail(SF_EUSAGE, "--bound '%s': expected NAME=LO:HI", spec);
    snprintf(lo_s, sizeof lo_s, "%.*s", (int)(colon - eq - 1), eq + 1);
    if (!sf_parse_double(lo_s, &lo[i]) || !sf_parse_double(colon + 1, &hi[i]))
      return sf_fail(SF_EUSAGE, "--bound '%s': LO and HI must be numbers", spec);
  }
  return SF_OK;
}

/* ---- output ---- */

/* The fit in the saved-fit format: the same object for --json and -o. */
static char *fit_json(const sf_fit_table_result *fr, const sf_table *t, const char *path, int pretty) {
  sf_fitrecord rec;
  sf_fitrecord_from_fit(&rec, fr);
  rec.data_file = path;
  rec.table = table_name ? table_name : t->name;
  rec.where = where_arg;
  return sf_fitfile_to_json(&rec, pretty);
}

static void print_table(const sf_fit_table_result *fr, const char *path) {
  const sf_law *law = fr->law;
  const sf_fit_result *r = &fr->fit;
  const sf_fit_opts *o = &fr->opts;
  printf("law %s: %s\n", law->name, law->formula);
  printf("fitted %zu runs of '%s' (%s", r->n, path, o->loss == SF_LOSS_HUBER ? "huber" : "l2");
  if (o->loss == SF_LOSS_HUBER) printf(" delta %g", o->delta);
  printf(" on %s residuals", o->space == SF_SPACE_LOG ? "log" : "linear");
  if (fr->sigma_name)
    printf(" in units of %s%s%s", o->space == SF_SPACE_LOG ? "sigma/y, sigma from " : "", fr->sigma_name,
           o->absolute_sigma ? ", absolute" : "");
  if (fr->n_where) printf("; %zu excluded by --where", fr->n_where);
  if (fr->n_skipped) printf("; %zu with missing values skipped", fr->n_skipped);
  printf(")\n%zu starts: %zu converged, %zu abandoned heading for worse basins, %zu in the best basin; %.3f s\n\n",
         r->nstarts, r->nconverged, r->nabandoned, r->best_basin, r->seconds);
  printf("  %-10s %14s %12s", "param", "value", "stderr");
  if (fr->K) printf("   %g%% bootstrap interval (%zu resamples, %.1f s)", 100 * fr->level, fr->K, fr->boot_seconds);
  printf("\n");
  for (size_t j = 0; j < law->np; j++) {
    printf("  %-10s %14.6g %12.4g", law->par[j].name, r->params[j], r->stderr_[j]);
    if (o->fixed[j]) printf("   (fixed)");
    else if (fr->K) { /* an end within rounding of the parameter's bound reads as the bound */
      double blo, bhi;
      sf_fit_param_bounds(law, o, j, &blo, &bhi);
      printf("   [%.6g, %.6g]", sf_fit_snap_to_bound(fr->ci_lo[j], blo, bhi, r->params[j]),
             sf_fit_snap_to_bound(fr->ci_hi[j], blo, bhi, r->params[j]));
    }
    printf("\n");
  }
  printf("\nobjective %.8g  RMSE %.4g  AIC %.2f  BIC %.2f  rcond %.2g\n", r->objective, r->rmse, r->aic, r->bic,
         r->rcond);
  if (fr->sigma_name)
    printf("chi-square %.6g / dof %g = %.4g (standard errors %s)\n", r->chi2, r->dof, r->chi2 / r->dof,
           o->absolute_sigma ? "from the sigmas as given, not scaled" : "scaled by it: the sigmas are relative");
  if (fr->n_holdout)
    printf("held out %zu run%s: RMSE %.4g, max |residual| %.4g, mean relative error %.3g%%\n", fr->n_holdout,
           fr->n_holdout == 1 ? "" : "s", fr->holdout_rmse, fr->holdout_maxabs, 100 * fr->holdout_mean_rel);
}

/* ---- the command ---- */

/* The bootstrap's progress on a terminal (4000 resamples of the 4500-start grid take minutes):
 * one line redrawn at most 4 times a second, shown once the bootstrap has run a second, erased
 * at the end so that the results follow as without it. Called one at a time (sf_fit_opts). */
typedef struct boot_progress {
  double t0, last;
  int shown;
} boot_progress;

static void on_resample(void *ctx, size_t done, size_t total) {
  boot_progress *p = ctx;
  double now = cli_now(), el = now - p->t0;
  if (done == total) {
    if (p->shown) fputs("\r\033[K", stderr);
    return;
  }
  if (el < 1 || now - p->last < 0.25) return;
  p->last = now;
  p->shown = 1;
  char e[32], eta[32];
  cli_fmt_time(e, sizeof e, el);
  cli_fmt_time(eta, sizeof eta, el / (double)done * (double)(total - done));
  fprintf(stderr, "\rbootstrap: %zu/%zu resamples, %s, ETA %s ", done, total, e, eta);
}

int cmd_fit(int argc, char **argv) {
  law_arg = x_arg = y_arg = sigma_arg = loss_arg = space_arg = grid_arg = where_arg = out_path = table_name = NULL;
  delta_arg = NAN, holdout_frac = 0, holdout_above = NAN, level = 0.95;
  boot_k = 0, seed_arg = 1, threads_arg = 0, json = 0, absolute_sigma = 0;
  memset(&fix_list, 0, sizeof fix_list);
  memset(&bound_list, 0, sizeof bound_list);
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  if (!law_arg) {
    cli_error("fit: which law? give --law NAME (see 'scalefit laws') or --law 'loss = FORMULA'");
    return SF_EUSAGE;
  }
  if (boot_k < 0 || boot_k > 1000000 || threads_arg < 0 || !(level > 0 && level < 1) ||
      holdout_frac < 0 || holdout_frac >= 1 || (holdout_frac > 0 && isfinite(holdout_above))) {
    cli_error("fit: bad option value (--bootstrap 0..1e6, --threads >= 0, --level in (0,1), --holdout in [0,1), "
              "not both --holdout and --holdout-above)");
    return SF_EUSAGE;
  }
  const char *path = args[0];
  sf_table *t = NULL;
  sf_law *user = NULL;
  double *grid = NULL;
  size_t ngrid = 0;
  size_t nfix = fix_list.n, nbound = bound_list.n;
  const char **fix_name = calloc(nfix + 1, sizeof *fix_name), **bound_name = calloc(nbound + 1, sizeof *bound_name);
  double *fix_value = calloc(nfix + 1, sizeof *fix_value), *blo = calloc(nbound + 1, sizeof *blo),
         *bhi = calloc(nbound + 1, sizeof *bhi);
  sf_fit_table_result fr;
  memset(&fr, 0, sizeof fr);
  if (!fix_name || !bound_name || !fix_value || !blo || !bhi) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  if ((rc = parse_fix_bound(fix_name, fix_value, bound_name, blo, bhi))) goto fail;
  if ((rc = sf_data_load(path, table_name, &t))) goto fail;
  const sf_law *law;
  if ((rc = sf_fit_law_for_table(law_arg, t, &law, &user))) goto fail;
  sf_fit_request rq;
  sf_fit_request_init(&rq, law);
  rq.x = x_arg;
  rq.y = y_arg;
  rq.sigma = sigma_arg;
  rq.absolute_sigma = absolute_sigma;
  if (loss_arg) {
    if (!strcmp(loss_arg, "l2")) rq.loss = SF_LOSS_L2;
    else if (!strcmp(loss_arg, "huber")) rq.loss = SF_LOSS_HUBER;
    else {
      rc = sf_fail(SF_EUSAGE, "--loss must be l2 or huber, got '%s'", loss_arg);
      goto fail;
    }
  }
  if (space_arg) {
    if (!strcmp(space_arg, "log")) rq.space = SF_SPACE_LOG;
    else if (!strcmp(space_arg, "linear")) rq.space = SF_SPACE_LINEAR;
    else {
      rc = sf_fail(SF_EUSAGE, "--space must be log or linear, got '%s'", space_arg);
      goto fail;
    }
  }
  rq.delta = delta_arg;
  rq.where = where_arg;
  rq.holdout = holdout_frac;
  rq.holdout_above = holdout_above;
  rq.nfix = nfix, rq.fix_name = fix_name, rq.fix_value = fix_value;
  rq.nbound = nbound, rq.bound_name = bound_name, rq.bound_lo = blo, rq.bound_hi = bhi;
  rq.bootstrap = (size_t)boot_k;
  rq.seed = (unsigned long long)seed_arg;
  rq.level = level;
  rq.threads = (int)threads_arg;
  rq.data_name = path;
  rq.opt_prefix = "--";
  boot_progress bp = {cli_now(), 0, 0};
  if (isatty(STDERR_FILENO)) rq.progress = on_resample, rq.progress_ctx = &bp;
  const char *g = grid_arg ? grid_arg : "default";
  if (!strncmp(g, "random:", 7)) {
    char *end;
    long k = strtol(g + 7, &end, 10);
    if (*end || k <= 0 || k > 10000000) {
      rc = sf_fail(SF_EUSAGE, "--grid random:K needs a count K > 0, got '%s'", g);
      goto fail;
    }
    rq.random_starts = (size_t)k;
  } else if (strcmp(g, "default") != 0) {
    if ((rc = read_grid_file(g, law, &grid, &ngrid))) goto fail;
    rq.starts = grid, rq.nstarts = ngrid;
  }
  if ((rc = sf_fit_table(t, &rq, &fr))) goto fail;
  if (fr.n_skipped) cli_note("%zu runs without a value for every column the fit needs were skipped", fr.n_skipped);
  if (json) {
    char *text = fit_json(&fr, t, path, 0);
    if (!text) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto fail;
    }
    puts(text);
    free(text);
  } else {
    print_table(&fr, path);
  }
  /* warnings on stderr either way (and in the JSON), after the result */
  fflush(stdout);
  for (size_t k = 0; k < fr.nwarn; k++) cli_warn("%s", fr.warn[k].text);
  if (out_path) {
    char *text = fit_json(&fr, t, path, 1);
    rc = text ? sf_write_file_atomic(out_path, text, strlen(text)) : sf_fail(SF_ENOMEM, "out of memory writing '%s'", out_path);
    free(text);
    if (rc) goto fail;
  }
  rc = SF_OK;
  goto done;
fail:
  rc = cli_fail_lib(rc ? rc : SF_EINTERNAL);
done:
  sf_fit_table_result_free(&fr);
  for (size_t i = 0; fix_name && i < nfix; i++) free((char *)fix_name[i]);
  for (size_t i = 0; bound_name && i < nbound; i++) free((char *)bound_name[i]);
  free(fix_name), free(fix_value), free(bound_name), free(blo), free(bhi);
  free(grid);
  sf_law_free(user);
  sf_table_free(t);
  return rc;
}
