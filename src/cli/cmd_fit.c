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

static const char *law_arg, *x_arg, *y_arg, *sigma_arg, *loss_arg, *space_arg, *grid_arg, *where_arg, *out_path, *table_name,
    *by_arg;
static double delta_arg, holdout_frac, holdout_above, level;
static long boot_k, seed_arg, threads_arg;
static int json, absolute_sigma;
static cli_list fix_list, bound_list;

static const cli_opt opts[] = {
    {"law", 'l', CLI_STRING, &law_arg, "LAW[,LAW]", "a law of 'scalefit laws', or a formula 'loss = E + A*N^-alpha'; several: compare them"},
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
    {"holdout", 0, CLI_DOUBLE, &holdout_frac, "FRAC", "fit without the top compute budgets nearest FRAC of the runs, and score them"},
    {"holdout-above", 0, CLI_DOUBLE, &holdout_above, "C", "fit without the runs above this compute and score them"},
    {"where", 'w', CLI_STRING, &where_arg, "EXPR", "keep the runs where EXPR holds, e.g. 'loss < 3.7 and N > 1e8'"},
    {"by", 0, CLI_STRING, &by_arg, "COL", "fit each group of runs (each value of COL, e.g. family) and test if they share the law"},
    {"fix", 0, CLI_LIST, &fix_list, "NAME=VALUE", "pin a parameter (repeatable, or NAME=V,NAME=V)"},
    {"bound", 0, CLI_LIST, &bound_list, "NAME=LO:HI", "keep a parameter inside (LO, HI) (repeatable, or a list)"},
    {"threads", 'j', CLI_INT, &threads_arg, "T", "threads (default: all cores)"},
    {"table", 't', CLI_STRING, &table_name, "NAME", "table of an HDF5 file with several"},
    {"json", 0, CLI_FLAG, &json, NULL, "machine-readable output on stdout"},
    {"output", 'o', CLI_STRING, &out_path, "FIT.json", "save the fit for forecast, plot and report"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "fit",
    "scalefit fit DATA --law LAW[,LAW...] [--x COL] [--y COL] [--sigma COL [--absolute-sigma]] [--loss l2|huber]\n"
    "                    [--delta D] [--space log|linear] [--grid default|random:K|FILE] [--bootstrap K] [--seed S]\n"
    "                    [--holdout FRAC|--holdout-above C] [--where EXPR] [--fix NAME=VALUE] [--bound NAME=LO:HI]\n"
    "                    [--by COL] [--threads T] [--json] [-o FIT.json]",
    "fit a scaling law to runs, with standard errors and bootstrap intervals",
    "Every start of the grid is optimised and the best objective wins (ties to the first start), so\n"
    "results do not depend on --threads. The bootstrap resamples runs (each with its sigma) with\n"
    "replacement and repeats the full multi-start on each resample, showing its progress on a\n"
    "terminal. Exit codes: 2 bad input, 3 the fit failed numerically or diverged (a parameter ran\n"
    "off to infinity: the result is shown with its warnings, -o writes nothing).\n"
    "\n"
    "--sigma COL weights each run by its standard deviation (scipy's curve_fit(sigma=...)): the\n"
    "residual is (f - y)/sigma in linear space and (log f - log y)/(sigma/y) in log space (the delta\n"
    "method: sigma/y is the standard deviation of log y). With huber loss, delta is in units of sigma\n"
    "and must be given. The standard errors are scaled by chi-square/dof (the sigmas are relative)\n"
    "unless --absolute-sigma; the summary prints chi-square/dof. A fitted run whose sigma is missing,\n"
    "not finite or <= 0 is an error (leave it out with --where); held-out runs are scored unweighted.\n"
    "\n"
    "--law power,power0,bnsl compares laws: each is fitted to the same runs (the same --where, hold-out\n"
    "and --sigma) and a table gives k, n, objective, RMSE, AIC, AICc (small-sample AIC), BIC, dAICc,\n"
    "dBIC, Akaike weights from AICc and the held-out RMSE, then each law's parameters (--json: one\n"
    "object); '*' marks a degenerate fit (its criteria a limit's), with the reason: it is not ranked\n"
    "(no deltas, no weight, never best) and the weights are over the other laws. Commas\n"
    "outside parentheses separate laws (formulas have none). The laws must take the same inputs and\n"
    "output and share a residual space (else give --space) and least squares (huber is refused: AIC\n"
    "and BIC count a Gaussian likelihood). Not with -o, --bootstrap, --fix, --bound or --grid FILE:\n"
    "those are one law's; rerun the chosen law with them. A law that fails numerically is marked and\n"
    "the others still ranked; the exit status is then 3.\n"
    "\n"
    "--by COL fits the law separately to the runs of each value of COL (family, source, notes, run, or\n"
    "a numeric column of few values; groups sorted: text by bytes, numbers ascending) and to all of\n"
    "them together (pooled), then tests whether the groups share the law: pooled against separate\n"
    "fits (k parameters per group) by AIC and BIC and, for l2, the F-test of the extra sum of squares;\n"
    "with two groups, each parameter's difference in standard errors (z). Runs without a value of\n"
    "COL, and groups with no more runs than the law's free parameters, are left out of every fit (a\n"
    "note names them). A hold-out is the pooled one, each group scoring its own held-out runs. With\n"
    "huber loss the groups are fitted but not tested (--loss l2 for the test). Not with a list of\n"
    "laws or -o (a saved fit cannot name a group of a text column); --bootstrap runs per group. A group\n"
    "whose fit diverges is shown with the others, then named with the single fit's error: exit 3.",
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

/* How many NAME=... a --fix or --bound list holds: each use may give several, comma-separated
 * (`--fix E=1.69,alpha=0.34`), as a report spec's `fix` key does. */
static size_t count_items(const cli_list *l) {
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++)
    for (const char *s = l->item[i];; s++) {
      s += strcspn(s, ",");
      n++;
      if (!*s) break;
    }
  return n;
}

/* --fix NAME=VALUE and --bound NAME=LO:HI into the request's lists (names are checked there). */
static int parse_fix_bound(const char **fix_name, double *fix_value, const char **bound_name, double *lo, double *hi) {
  size_t k = 0;
  for (size_t i = 0; i < fix_list.n; i++)
    for (const char *s = fix_list.item[i];; s += strcspn(s, ",") + 1) {
      size_t len = strcspn(s, ",");
      char spec[256], *eq;
      snprintf(spec, sizeof spec, "%.*s", (int)len, s);
      if (!(eq = strchr(spec, '='))) return sf_fail(SF_EUSAGE, "--fix '%s': expected NAME=VALUE", spec);
      size_t j = k++;
      if (!(fix_name[j] = sf_asprintf("%.*s", (int)(eq - spec), spec))) return sf_fail(SF_ENOMEM, "out of memory");
      if (!sf_parse_double(eq + 1, &fix_value[j]))
        return sf_fail(SF_EUSAGE, "--fix '%s': '%s' is not a number", spec, eq + 1);
      if (!s[len]) break;
    }
  k = 0;
  for (size_t i = 0; i < bound_list.n; i++)
    for (const char *s = bound_list.item[i];; s += strcspn(s, ",") + 1) {
      size_t len = strcspn(s, ",");
      char spec[256], *eq, *colon;
      snprintf(spec, sizeof spec, "%.*s", (int)len, s);
      if (!(eq = strchr(spec, '=')) || !(colon = strchr(eq + 1, ':')))
        return sf_fail(SF_EUSAGE, "--bound '%s': expected NAME=LO:HI", spec);
      size_t j = k++;
      if (!(bound_name[j] = sf_asprintf("%.*s", (int)(eq - spec), spec))) return sf_fail(SF_ENOMEM, "out of memory");
      *colon = '\0';
      if (!sf_parse_double(eq + 1, &lo[j]) || !sf_parse_double(colon + 1, &hi[j])) {
        *colon = ':';
        return sf_fail(SF_EUSAGE, "--bound '%s': LO and HI must be numbers", spec);
      }
      if (!s[len]) break;
    }
  return SF_OK;
}

/* The request every law shares: the options as parsed (not --fix, --bound, a grid file or the
 * bootstrap's progress, which belong to one law's fit). */
static int make_request(sf_fit_request *rq, const sf_law *law, const char *path) {
  sf_fit_request_init(rq, law);
  rq->x = x_arg;
  rq->y = y_arg;
  rq->sigma = sigma_arg;
  rq->absolute_sigma = absolute_sigma;
  if (loss_arg) {
    if (!strcmp(loss_arg, "l2")) rq->loss = SF_LOSS_L2;
    else if (!strcmp(loss_arg, "huber")) rq->loss = SF_LOSS_HUBER;
    else return sf_fail(SF_EUSAGE, "--loss must be l2 or huber, got '%s'", loss_arg);
  }
  if (space_arg) {
    if (!strcmp(space_arg, "log")) rq->space = SF_SPACE_LOG;
    else if (!strcmp(space_arg, "linear")) rq->space = SF_SPACE_LINEAR;
    else return sf_fail(SF_EUSAGE, "--space must be log or linear, got '%s'", space_arg);
  }
  rq->delta = delta_arg;
  rq->where = where_arg;
  rq->holdout = holdout_frac;
  rq->holdout_above = holdout_above;
  rq->bootstrap = (size_t)boot_k;
  rq->seed = (unsigned long long)seed_arg;
  rq->level = level;
  rq->threads = (int)threads_arg;
  rq->data_name = path;
  rq->opt_prefix = "--";
  if (grid_arg && !strncmp(grid_arg, "random:", 7)) {
    char *end;
    long k = strtol(grid_arg + 7, &end, 10);
    if (*end || k <= 0 || k > 10000000) return sf_fail(SF_EUSAGE, "--grid random:K needs a count K > 0, got '%s'", grid_arg);
    rq->random_starts = (size_t)k;
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
  printf(")\n%zu start%s: %zu converged, %zu abandoned heading for worse basins, %zu in the best basin; %.3f s\n\n",
         r->nstarts, sf_plural(r->nstarts), r->nconverged, r->nabandoned, r->best_basin, r->seconds);
  printf("  %-10s %14s %12s", "param", "value", "stderr");
  if (fr->K) printf("   %g%% bootstrap interval (%zu resamples, %.1f s)", 100 * fr->level, fr->K, fr->boot_seconds);
  else printf("   95%% interval (1.96 stderr)");
  printf("\n");
  for (size_t j = 0; j < law->np; j++) {
    /* the standard error and the interval in the value's style (its decimal places, or e-notation):
     * "9015.54" once stood beside "2.82e+03" */
    char pv[48], ps[48], pl[100];
    double lo = NAN, hi = NAN, blo, bhi;
    if (!o->fixed[j] && fr->K) { /* an end within rounding of the parameter's bound reads as the bound */
      sf_fit_param_bounds(law, o, j, &blo, &bhi);
      lo = sf_fit_snap_to_bound(fr->ci_lo[j], blo, bhi, r->params[j]);
      hi = sf_fit_snap_to_bound(fr->ci_hi[j], blo, bhi, r->params[j]);
    } else if (!o->fixed[j]) /* on the parameter's unbounded scale: never a negative end for a positive A */
      sf_fit_wald_interval(law, o, j, r->params[j], r->stderr_[j], 1.96, &lo, &hi);
    sf_fmt_param_value(pv, sizeof pv, r->params[j], r->stderr_[j], lo, hi);
    if (!sf_fmt_like(ps, sizeof ps, r->stderr_[j], pv)) snprintf(ps, sizeof ps, "%.4g", r->stderr_[j]);
    printf("  %-10s %14s %12s", law->par[j].name, pv, ps);
    if (o->fixed[j]) printf("   (fixed)");
    else if (fr->K || (!isnan(lo) && !isnan(hi))) {
      sf_fmt_param_interval(pl, sizeof pl, pv, lo, hi);
      printf("   %s", pl);
    } else printf("   -"); /* no standard error, or a value on its bound */
    printf("\n");
  }
  char sc[400];
  if (!fr->K && sf_fit_wald_scales(law, o, r->params, r->stderr_, sc, sizeof sc))
    printf("intervals: value +- 1.96 stderr on the scale on which each parameter is unbounded, mapped back: %s\n", sc);
  printf("\nobjective %.8g  RMSE %.4g  AIC %.2f  BIC %.2f  rcond %.2g\n", r->objective, r->rmse, r->aic, r->bic,
         r->rcond);
  if (fr->sigma_name)
    printf("chi-square %.6g / dof %g = %.4g (standard errors %s)\n", r->chi2, r->dof, r->chi2 / r->dof,
           o->absolute_sigma ? "from the sigmas as given, not scaled" : "scaled by it: the sigmas are relative");
  char held[160];
  if (fr->n_holdout)
    printf("held out %s: RMSE %.4g, max |residual| %.4g, mean relative error %.3g%%\n",
           sf_fit_holdout_text(fr, held, sizeof held), fr->holdout_rmse, fr->holdout_maxabs, 100 * fr->holdout_mean_rel);
}

/* The runs a fit skipped for a missing value, named by column and run (sf_fit_table_result's
 * skip_note): a count alone gave a user of a 500-row export nothing to look for. */
static void note_skipped(const sf_fit_table_result *f) {
  if (f->n_skipped)
    cli_note("%zu run%s skipped, %s", f->n_skipped, sf_plural(f->n_skipped),
             f->skip_note ? f->skip_note : "without a value for every column the fit needs");
}

/* ---- several laws: --law power,power0,bnsl ---- */

/* Splits a --law list at its commas outside parentheses (the formula grammar has no commas, and
 * a function of several arguments would keep its commas inside its parentheses), trimming blanks:
 * item[0..*n) point into buf, which the caller frees. */
static int split_laws(const char *spec, char **buf, char **item, size_t *n) {
  *n = 0;
  if (!(*buf = sf_strdup(spec))) return sf_fail(SF_ENOMEM, "out of memory");
  int depth = 0;
  char *start = *buf;
  for (char *p = *buf;; p++) {
    if (*p == '(') depth++;
    else if (*p == ')' && depth > 0) depth--;
    else if ((*p == ',' && depth == 0) || !*p) {
      int end = !*p;
      *p = '\0';
      while (*start == ' ' || *start == '\t') start++;
      for (char *e = p; e > start && (e[-1] == ' ' || e[-1] == '\t');) *--e = '\0';
      if (*n == SF_FIT_MAXCOMPARE)
        return sf_fail(SF_EUSAGE, "--law: at most %d laws at a time", SF_FIT_MAXCOMPARE);
      if (!*start && !(end && *n == 0)) /* a single law, even '', is the single fit's to judge */
        return sf_fail(SF_EUSAGE, "--law '%s': law %zu of the list is empty", spec, *n + 1);
      item[(*n)++] = start;
      if (end) break;
      start = p + 1;
    }
  }
  return SF_OK;
}

/* the same text but for blanks: 'loss = A*C^-a' and 'loss=A*C^-a' are one law */
static int same_spec(const char *a, const char *b) {
  for (;; a++, b++) {
    while (*a == ' ' || *a == '\t') a++;
    while (*b == ' ' || *b == '\t') b++;
    if (*a != *b) return 0;
    if (!*a) return 1;
  }
}

/* What the tables call law i: its catalogue name, or formulaK for the K-th formula listed */
static void law_label(char *out, size_t n, const sf_law *const *laws, size_t i) {
  if (strcmp(laws[i]->name, "formula") != 0) {
    snprintf(out, n, "%s", laws[i]->name);
    return;
  }
  size_t k = 1;
  for (size_t j = 0; j < i; j++) k += strcmp(laws[j]->name, "formula") == 0;
  snprintf(out, n, "formula%zu", k);
}

/* why the held-out runs have no score (the fit's warning), or NULL */
static const char *unscored(const sf_fit_table_result *f) {
  for (size_t k = 0; k < f->nwarn; k++)
    if (f->warn[k].kind == SF_FITWARN_HOLDOUT_UNSCORED) return f->warn[k].text;
  return f->n_holdout && !isfinite(f->holdout_rmse) ? "held-out runs cannot be scored" : NULL;
}

static const sf_fit_table_result *first_fitted(const sf_fit_compare_result *cr) {
  for (size_t i = 0; i < cr->m; i++)
    if (cr->rc[i] == SF_OK) return &cr->fit[i];
  return &cr->fit[0];
}

/* Prints and frees a JSON document a writer below returned (NULL: out of memory). */
static int put_json(char *text) {
  if (!text) return sf_fail(SF_ENOMEM, "out of memory");
  puts(text);
  free(text);
  return SF_OK;
}

/* The head both --law A,B and --by write: format, version and the data (n_rows < 0: left out). */
static void json_head(sf_json *j, const char *format, const sf_table *t, const char *path, long long n_rows) {
  sf_json_begin_object(j, NULL);
  sf_json_string(j, "format", format);
  sf_json_int(j, "version", 1);
  sf_json_begin_object(j, "data");
  sf_json_string(j, "file", path);
  sf_json_string(j, "table", table_name ? table_name : t->name);
  sf_json_string(j, "where", where_arg);
  if (n_rows >= 0) sf_json_int(j, "n_rows", n_rows);
  sf_json_end_object(j);
}

static void json_columns(sf_json *j, const sf_fit_table_result *f, sf_loss loss, sf_space space) {
  sf_json_begin_array(j, "vars");
  for (size_t v = 0; v < f->law->nvar; v++) sf_json_string(j, NULL, f->xname[v]);
  sf_json_end_array(j);
  sf_json_string(j, "y", f->yname);
  sf_json_string(j, "sigma", f->sigma_name);
  sf_json_string(j, "loss", loss == SF_LOSS_HUBER ? "huber" : "l2");
  sf_json_string(j, "space", space == SF_SPACE_LOG ? "log" : "linear");
}

/* One fit's size and criteria, as a law of a comparison and a group report them. */
static void json_fit_stats(sf_json *j, const sf_fit_table_result *f) {
  const sf_fit_result *r = &f->fit;
  sf_json_int(j, "k", (long long)r->nfree);
  sf_json_int(j, "n", (long long)r->n);
  sf_json_number(j, "objective", r->objective);
  sf_json_number(j, "rss", r->rss);
  if (f->sigma_name) sf_json_number(j, "chi2", r->chi2);
  sf_json_number(j, "rmse", r->rmse);
  sf_json_number(j, "aic", r->aic);
  sf_json_number(j, "aicc", r->aicc);
  sf_json_number(j, "bic", r->bic);
}

static void json_params(sf_json *j, const char *key, const sf_law *law, const double *v) {
  sf_json_begin_object(j, key);
  for (size_t p = 0; p < law->np; p++) sf_json_number(j, law->par[p].name, v[p]);
  sf_json_end_object(j);
}

/* The standard error's 95% interval on each parameter's unbounded scale, and that scale, as a saved
 * fit has them (wald_interval, wald_scale; docs/FIT.md): every fit mode carries them alike (a
 * comparison's laws and --by's groups had only params and stderr) */
static void json_wald(sf_json *j, const sf_fit_table_result *f) {
  const sf_law *law = f->law;
  const sf_fit_result *r = &f->fit;
  sf_wald_scale sc[SF_LAW_MAXPAR];
  sf_json_begin_object(j, "wald_interval");
  for (size_t p = 0; p < law->np; p++) {
    double lo, hi;
    sc[p] = sf_fit_wald_interval(law, &f->opts, p, r->params[p], r->stderr_[p], 1.96, &lo, &hi);
    sf_json_begin_array(j, law->par[p].name);
    sf_json_number(j, NULL, lo);
    sf_json_number(j, NULL, hi);
    sf_json_end_array(j);
  }
  sf_json_end_object(j);
  sf_json_begin_object(j, "wald_scale");
  for (size_t p = 0; p < law->np; p++) sf_json_string(j, law->par[p].name, sf_wald_scale_name(sc[p]));
  sf_json_end_object(j);
}

/* "  E [LO, HI]  A [LO, HI] ...": each free parameter's interval of json_wald, its ends in the
 * value's style as fit's table prints them; "-" for none (no standard error, a value on its bound) */
static void print_wald(const sf_fit_table_result *f) {
  const sf_law *law = f->law;
  const sf_fit_result *r = &f->fit;
  for (size_t p = 0; p < law->np; p++) {
    double lo, hi;
    char v[48], iv[100];
    if (f->opts.fixed[p]) {
      printf("  %s fixed", law->par[p].name);
      continue;
    }
    sf_fit_wald_interval(law, &f->opts, p, r->params[p], r->stderr_[p], 1.96, &lo, &hi);
    if (isnan(lo) || isnan(hi)) {
      printf("  %s -", law->par[p].name);
      continue;
    }
    sf_fmt_param_value(v, sizeof v, r->params[p], r->stderr_[p], lo, hi);
    sf_fmt_param_interval(iv, sizeof iv, v, lo, hi);
    printf("  %s %s", law->par[p].name, iv);
  }
  printf("\n");
}

#define WALD_NOTE "intervals: value +- 1.96 stderr on the scale on which each parameter is unbounded (log for a " \
                  "positive one, logit between bounds), mapped back; --json names each scale (wald_scale)"

static char *compare_json(const sf_fit_compare_result *cr, const sf_law *const *laws, const sf_table *t,
                          const char *path) {
  const sf_fit_table_result *f0 = first_fitted(cr);
  sf_buf out;
  sf_buf_init(&out);
  sf_json j;
  sf_json_init(&j, &out, 0);
  json_head(&j, "scalefit-compare", t, path, (long long)f0->n_rows);
  json_columns(&j, f0, cr->loss, cr->space);
  sf_json_bool(&j, "space_given", space_arg != NULL);
  sf_json_int(&j, "n_points", (long long)(f0->n_rows - f0->n_holdout));
  if (f0->n_holdout) {
    sf_json_begin_object(&j, "holdout");
    sf_json_string(&j, "by", f0->holdout_by);
    if (isfinite(f0->holdout)) sf_json_number(&j, "fraction", f0->holdout);
    if (isfinite(f0->holdout)) sf_json_int(&j, "budgets", (long long)f0->holdout_budgets);
    if (isfinite(f0->holdout_above)) sf_json_number(&j, "threshold", f0->holdout_above);
    sf_json_int(&j, "n_test", (long long)f0->n_holdout);
    sf_json_end_object(&j);
  } else {
    sf_json_null(&j, "holdout");
  }
  char lab[32];
  if (cr->best_aicc >= 0) law_label(lab, sizeof lab, laws, (size_t)cr->best_aicc);
  sf_json_string(&j, "best_aicc", cr->best_aicc >= 0 ? lab : NULL);
  if (cr->best_aic >= 0) law_label(lab, sizeof lab, laws, (size_t)cr->best_aic);
  sf_json_string(&j, "best_aic", cr->best_aic >= 0 ? lab : NULL);
  if (cr->best_bic >= 0) law_label(lab, sizeof lab, laws, (size_t)cr->best_bic);
  sf_json_string(&j, "best_bic", cr->best_bic >= 0 ? lab : NULL);
  sf_json_int(&j, "failed", (long long)cr->nfailed);
  sf_json_int(&j, "degenerate", (long long)cr->ndegenerate);
  sf_json_begin_array(&j, "laws");
  for (size_t i = 0; i < cr->m; i++) {
    const sf_fit_table_result *f = &cr->fit[i];
    const sf_fit_result *r = &f->fit;
    const sf_law *law = laws[i];
    law_label(lab, sizeof lab, laws, i);
    sf_json_begin_object(&j, NULL);
    sf_json_string(&j, "label", lab);
    sf_json_string(&j, "law", law->name);
    sf_json_string(&j, "formula", law->formula);
    sf_json_bool(&j, "ok", cr->rc[i] == SF_OK);
    if (cr->rc[i] != SF_OK) {
      sf_json_string(&j, "error", cr->error[i]);
      sf_json_end_object(&j);
      continue;
    }
    json_fit_stats(&j, f);
    sf_json_number(&j, "delta_aic", cr->delta_aic[i]);
    sf_json_number(&j, "delta_aicc", cr->delta_aicc[i]);
    sf_json_number(&j, "delta_bic", cr->delta_bic[i]);
    sf_json_number(&j, "akaike_weight", cr->weight[i]);
    if (f->n_holdout) sf_json_number(&j, "holdout_rmse", f->holdout_rmse);
    else sf_json_null(&j, "holdout_rmse");
    sf_json_bool(&j, "converged", r->converged);
    sf_json_bool(&j, "degenerate", sf_fit_degenerate(f) != NULL);
    sf_json_string(&j, "degenerate_reason", sf_fit_degenerate(f));
    json_params(&j, "params", law, r->params);
    json_params(&j, "stderr", law, r->stderr_);
    json_wald(&j, f);
    sf_json_begin_array(&j, "warnings");
    for (size_t k = 0; k < f->nwarn; k++) sf_json_string(&j, NULL, f->warn[k].text);
    sf_json_end_array(&j);
    sf_json_end_object(&j);
  }
  sf_json_end_array(&j);
  sf_json_end_object(&j);
  char *text = out.oom ? NULL : sf_buf_take(&out);
  sf_buf_free(&out);
  return text;
}

static void print_compare(const sf_fit_compare_result *cr, const sf_law *const *laws, const char *path) {
  const sf_fit_table_result *f0 = first_fitted(cr);
  printf("compared %zu laws on %zu runs of '%s': %s against ", cr->m, f0->n_rows - f0->n_holdout, path, f0->yname);
  for (size_t v = 0; v < f0->law->nvar; v++) printf("%s%s", v ? ", " : "", f0->xname[v]);
  printf(", l2 on %s residuals (%s)", cr->space == SF_SPACE_LOG ? "log" : "linear",
         space_arg ? "--space for every law" : "every law's default");
  if (f0->sigma_name)
    printf(", weighted by %s%s (AIC and BIC from chi-square)", cr->space == SF_SPACE_LOG ? "sigma/y, sigma from " : "",
           f0->sigma_name);
  if (f0->n_where) printf("; %zu excluded by --where", f0->n_where);
  if (f0->n_skipped) printf("; %zu with missing values skipped", f0->n_skipped);
  printf("\n");
  char held[160];
  if (f0->n_holdout)
    printf("held out %s, the largest by %s, and scored %s with each law's fit\n", sf_fit_holdout_text(f0, held, sizeof held),
           f0->holdout_by, f0->n_holdout == 1 ? "it" : "them");
  printf("\n  %-12s %3s %4s %13s %10s %10s %10s %10s %8s %8s %8s", "law", "k", "n", "objective", "RMSE", "AIC", "AICc",
         "BIC", "dAICc", "dBIC", "weight");
  if (f0->n_holdout) printf(" %13s", "holdout RMSE");
  printf("\n");
  char lab[40];
  size_t ndegen = 0, nnoaicc = 0, nunscored = 0;
  for (size_t i = 0; i < cr->m; i++) {
    const sf_fit_result *r = &cr->fit[i].fit;
    law_label(lab, sizeof lab, laws, i);
    if (cr->rc[i] != SF_OK) {
      printf("  %-12s fit failed: %s\n", lab, cr->error[i]);
      continue;
    }
    if (sf_fit_degenerate(&cr->fit[i])) strcat(lab, " *"), ndegen++;
    /* '-' where undefined (AICc with n <= k + 1) or not ranked (a degenerate fit: no deltas, no weight) */
    char aicc[16] = "-", daicc[16] = "-", dbic[16] = "-", weight[16] = "-";
    if (isfinite(r->aicc)) snprintf(aicc, sizeof aicc, "%.2f", r->aicc);
    else nnoaicc++;
    if (isfinite(cr->delta_aicc[i])) snprintf(daicc, sizeof daicc, "%.2f", cr->delta_aicc[i]);
    if (isfinite(cr->delta_bic[i])) snprintf(dbic, sizeof dbic, "%.2f", cr->delta_bic[i]);
    if (isfinite(cr->weight[i])) snprintf(weight, sizeof weight, "%.3f", cr->weight[i]);
    printf("  %-12s %3zu %4zu %13.8g %10.4g %10.2f %10s %10.2f %8s %8s %8s", lab, r->nfree, r->n, r->objective,
           r->rmse, r->aic, aicc, r->bic, daicc, dbic, weight);
    if (f0->n_holdout && unscored(&cr->fit[i])) printf(" %13s", "-"), nunscored++;
    else if (f0->n_holdout) printf(" %13.4g", cr->fit[i].holdout_rmse);
    printf("\n");
  }
  if (ndegen) {
    printf("  * a degenerate fit, its criteria those of a limit rather than an optimum: not ranked (no deltas, no "
           "weight)\n");
    for (size_t i = 0; i < cr->m; i++)
      if (cr->rc[i] == SF_OK && sf_fit_degenerate(&cr->fit[i]))
        law_label(lab, sizeof lab, laws, i), printf("    %s: %s\n", lab, sf_fit_degenerate(&cr->fit[i]));
  }
  if (nunscored) {
    printf("  holdout RMSE -: the fitted law cannot be evaluated at the held-out runs:\n");
    for (size_t i = 0; i < cr->m; i++)
      if (cr->rc[i] == SF_OK && unscored(&cr->fit[i]))
        law_label(lab, sizeof lab, laws, i), printf("    %s: %s\n", lab, unscored(&cr->fit[i]));
  }
  if (nnoaicc)
    printf("  AICc - : undefined with n <= k + 1 runs (its penalty 2k(k+1)/(n-k-1) has no finite value): no weight\n");
  if (cr->best_aic >= 0) {
    if (cr->best_aicc >= 0) {
      law_label(lab, sizeof lab, laws, (size_t)cr->best_aicc);
      printf("\nbest by AICc: %s (Akaike weight %.3f)", lab, cr->weight[cr->best_aicc]);
    } else {
      printf("\nbest by AICc: none (undefined for every %slaw)", cr->ndegenerate ? "ranked " : "");
    }
    law_label(lab, sizeof lab, laws, (size_t)cr->best_aic);
    printf("; by AIC: %s", lab);
    law_label(lab, sizeof lab, laws, (size_t)cr->best_bic);
    printf("; by BIC: %s\n", lab);
  } else if (cr->ndegenerate) {
    printf("\nbest: none; every law that fitted is degenerate, so none is ranked\n");
  }
  /* what a degenerate law's criterion would have said, so that a limit that fits far better (the
   * runs may want a break the law cannot place) is seen rather than hidden */
  if (cr->ndegenerate && cr->best_aic >= 0) {
    int by_aicc = cr->best_aicc >= 0, ref = by_aicc ? cr->best_aicc : cr->best_aic;
    char best[40];
    law_label(best, sizeof best, laws, (size_t)ref);
    printf("not ranked, degenerate:");
    size_t k = 0;
    for (size_t i = 0; i < cr->m; i++) {
      if (cr->rc[i] != SF_OK || !sf_fit_degenerate(&cr->fit[i])) continue;
      const sf_fit_result *r = &cr->fit[i].fit, *b = &cr->fit[ref].fit;
      double mine = by_aicc ? r->aicc : r->aic, theirs = by_aicc ? b->aicc : b->aic;
      law_label(lab, sizeof lab, laws, i);
      printf("%s %s", k++ ? ";" : "", lab);
      if (isfinite(mine))
        printf(" (its %s %.2f %s %s's, as a limit)", by_aicc ? "AICc" : "AIC", fabs(mine - theirs),
               mine < theirs ? "below" : "above", best);
    }
    printf("\n");
  }
  printf("\n");
  size_t nfitted = 0;
  for (size_t i = 0; i < cr->m; i++) {
    const sf_law *law = laws[i];
    law_label(lab, sizeof lab, laws, i);
    if (strcmp(law->name, "formula") == 0) printf("  %-12s %s\n  %-12s", lab, law->formula, "");
    else printf("  %-12s", lab);
    if (cr->rc[i] != SF_OK) {
      printf(" (fit failed)\n");
      continue;
    }
    const sf_fit_result *r = &cr->fit[i].fit;
    for (size_t p = 0; p < law->np; p++) {
      char v[48], se[48]; /* the standard error and the interval in the value's style, as fit's table */
      double lo = NAN, hi = NAN;
      if (!cr->fit[i].opts.fixed[p])
        sf_fit_wald_interval(law, &cr->fit[i].opts, p, r->params[p], r->stderr_[p], 1.96, &lo, &hi);
      sf_fmt_param_value(v, sizeof v, r->params[p], r->stderr_[p], lo, hi);
      if (!sf_fmt_like(se, sizeof se, r->stderr_[p], v)) snprintf(se, sizeof se, "%.3g", r->stderr_[p]);
      printf("%s%s %s (%s)", p ? "  " : " ", law->par[p].name, v, se);
    }
    printf("\n  %-12s 95%%:", "");
    print_wald(&cr->fit[i]);
    nfitted++;
  }
  if (nfitted) printf("  %s\n", WALD_NOTE);
}

/* `fit DATA --law A,B,...`: every law fitted to the same runs and ranked (sf_fit_compare) */
static int fit_compare(const char *path, char *const *item, size_t m) {
  if (out_path) {
    cli_error("fit: -o saves one law's fit: compare the laws, then rerun the chosen one alone (--law NAME -o %s)",
              out_path);
    return SF_EUSAGE;
  }
  if (grid_arg && strcmp(grid_arg, "default") != 0 && strncmp(grid_arg, "random:", 7) != 0) {
    cli_error("fit: --grid FILE holds one law's parameters: compare from the laws' own starts or --grid random:K");
    return SF_EUSAGE;
  }
  for (size_t i = 0; i < m; i++)
    for (size_t k = 0; k < i; k++)
      if (same_spec(item[i], item[k])) {
        cli_error("fit: --law '%s': '%s' is listed twice", law_arg, item[i]);
        return SF_EUSAGE;
      }
  sf_table *t = NULL;
  const sf_law *laws[SF_FIT_MAXCOMPARE];
  sf_law *owned[SF_FIT_MAXCOMPARE] = {NULL};
  sf_fit_compare_result cr;
  memset(&cr, 0, sizeof cr);
  int rc;
  if ((rc = sf_data_load(path, table_name, &t))) goto fail;
  for (size_t i = 0; i < m; i++)
    if ((rc = sf_fit_law_for_table(item[i], t, &laws[i], &owned[i]))) {
      sf_fail_context("--law (law %zu of the list): ", i + 1);
      goto fail;
    }
  sf_fit_request rq;
  if ((rc = make_request(&rq, NULL, path))) goto fail;
  rq.nfix = fix_list.n, rq.nbound = bound_list.n; /* refused by the comparison, with its reason */
  rc = sf_fit_compare(t, &rq, laws, m, &cr);
  if (rc && rc != SF_ENUMERIC) goto fail;
  int failed = rc;
  const sf_fit_table_result *f0 = first_fitted(&cr);
  note_skipped(f0);
  if (json) {
    if ((rc = put_json(compare_json(&cr, laws, t, path)))) goto fail;
  } else {
    print_compare(&cr, laws, path);
  }
  fflush(stdout);
  char lab[32];
  for (size_t i = 0; i < m; i++) {
    law_label(lab, sizeof lab, laws, i);
    /* the table's formulaK, with the formula itself: a warning alone must say which law it is about */
    int formula = strcmp(laws[i]->name, "formula") == 0;
    for (size_t k = 0; cr.rc[i] == SF_OK && k < cr.fit[i].nwarn; k++)
      cli_warn("%s%s%s%s: %s", lab, formula ? " ('" : "", formula ? sf_law_label(laws[i]) : "", formula ? "')" : "",
               cr.fit[i].warn[k].text);
  }
  /* the failed laws' message, kept from sf_fit_compare: the exit status says some did not fit */
  rc = failed ? cli_fail_lib(failed) : SF_OK;
  goto done;
fail:
  rc = cli_fail_lib(rc ? rc : SF_EINTERNAL);
done:
  sf_fit_compare_result_free(&cr);
  for (size_t i = 0; i < m; i++) sf_law_free(owned[i]);
  sf_table_free(t);
  return rc;
}

/* ---- one law per group: --by COL (sf_fit_by) ---- */

/* A group's fit, or the pooled one (key "pooled"), in the JSON of --by. With a hold-out a group
 * without held-out runs is expected: its 'no run was held out' warning is not repeated. */
static void group_json(sf_json *j, const char *key, const char *label, const sf_fit_table_result *f, int held) {
  const sf_law *law = f->law;
  const sf_fit_result *r = &f->fit;
  sf_json_begin_object(j, key);
  if (label) sf_json_string(j, "label", label);
  json_fit_stats(j, f);
  if (held) {
    sf_json_int(j, "n_holdout", (long long)f->n_holdout);
    if (f->n_holdout) sf_json_number(j, "holdout_rmse", f->holdout_rmse);
    else sf_json_null(j, "holdout_rmse");
  }
  sf_json_bool(j, "converged", r->converged);
  json_params(j, "params", law, r->params);
  json_params(j, "stderr", law, r->stderr_);
  json_wald(j, f);
  if (f->K) {
    sf_json_begin_object(j, "interval");
    for (size_t p = 0; p < law->np; p++) {
      sf_json_begin_array(j, law->par[p].name);
      sf_json_number(j, NULL, f->ci_lo[p]);
      sf_json_number(j, NULL, f->ci_hi[p]);
      sf_json_end_array(j);
    }
    sf_json_end_object(j);
  }
  sf_json_begin_array(j, "warnings");
  for (size_t k = 0; k < f->nwarn; k++)
    if (!(held && f->warn[k].kind == SF_FITWARN_HOLDOUT_EMPTY)) sf_json_string(j, NULL, f->warn[k].text);
  sf_json_end_array(j);
  sf_json_end_object(j);
}

static char *by_json(const sf_fit_group_result *gr, const sf_table *t, const char *path) {
  const sf_fit_table_result *p0 = &gr->pooled;
  const sf_law *law = p0->law;
  int held = p0->n_holdout > 0;
  sf_buf out;
  sf_buf_init(&out);
  sf_json j;
  sf_json_init(&j, &out, 0);
  json_head(&j, "scalefit-by", t, path, -1);
  sf_json_string(&j, "by", gr->by);
  sf_json_string(&j, "by_kind", gr->by_text ? "text" : "numeric");
  sf_json_string(&j, "law", law->name);
  sf_json_string(&j, "formula", law->formula);
  json_columns(&j, p0, p0->opts.loss, p0->opts.space);
  if (held) {
    sf_json_begin_object(&j, "holdout");
    sf_json_string(&j, "by", p0->holdout_by);
    sf_json_number(&j, "from", gr->holdout_cut);
    if (isfinite(p0->holdout)) sf_json_number(&j, "fraction", p0->holdout);
    if (isfinite(p0->holdout)) sf_json_int(&j, "budgets", (long long)p0->holdout_budgets);
    sf_json_int(&j, "n_test", (long long)p0->n_holdout);
    sf_json_number(&j, "rmse_pooled", p0->holdout_rmse);
    sf_json_number(&j, "rmse_separate", gr->holdout_rmse_sep);
    sf_json_end_object(&j);
  } else {
    sf_json_null(&j, "holdout");
  }
  sf_json_begin_array(&j, "groups");
  for (size_t g = 0; g < gr->ngroup; g++) group_json(&j, NULL, gr->label[g], &gr->fit[g], held);
  sf_json_end_array(&j);
  group_json(&j, "pooled", NULL, p0, held);
  sf_json_begin_array(&j, "skipped");
  for (size_t g = 0; g < gr->nskip; g++) {
    sf_json_begin_object(&j, NULL);
    sf_json_string(&j, "label", gr->skip_label[g]);
    sf_json_int(&j, "n", (long long)gr->skip_n[g]);
    sf_json_end_object(&j);
  }
  sf_json_end_array(&j);
  sf_json_int(&j, "n_without_value", (long long)gr->n_nolabel);
  sf_json_begin_object(&j, "test");
  sf_json_bool(&j, "applicable", gr->test);
  if (!gr->test) {
    sf_json_string(&j, "reason", gr->no_test);
  } else {
    sf_json_int(&j, "n", (long long)gr->n);
    sf_json_int(&j, "k_pooled", (long long)gr->k_pooled);
    sf_json_int(&j, "k_separate", (long long)gr->k_sep);
    sf_json_number(&j, "chi2_pooled", gr->chi2_pooled);
    sf_json_number(&j, "chi2_separate", gr->chi2_sep);
    sf_json_number(&j, "aic_pooled", gr->aic[0]);
    sf_json_number(&j, "aic_separate", gr->aic[1]);
    sf_json_number(&j, "bic_pooled", gr->bic[0]);
    sf_json_number(&j, "bic_separate", gr->bic[1]);
    sf_json_number(&j, "delta_aic_pooled", gr->delta_aic[0]);
    sf_json_number(&j, "delta_aic_separate", gr->delta_aic[1]);
    sf_json_number(&j, "aicc_pooled", gr->aicc[0]);
    sf_json_number(&j, "aicc_separate", gr->aicc[1]);
    sf_json_number(&j, "delta_aicc_pooled", gr->delta_aicc[0]);
    sf_json_number(&j, "delta_aicc_separate", gr->delta_aicc[1]);
    sf_json_number(&j, "delta_bic_pooled", gr->delta_bic[0]);
    sf_json_number(&j, "delta_bic_separate", gr->delta_bic[1]);
    sf_json_number(&j, "akaike_weight_pooled", gr->weight[0]);
    sf_json_number(&j, "akaike_weight_separate", gr->weight[1]);
    sf_json_number(&j, "F", gr->F);
    sf_json_number(&j, "df1", gr->df1);
    sf_json_number(&j, "df2", gr->df2);
    sf_json_number(&j, "p", gr->p);
  }
  sf_json_end_object(&j);
  if (gr->ngroup == 2 && gr->z_ok) {
    sf_json_begin_object(&j, "difference");
    for (size_t p = 0; p < law->np; p++) {
      sf_json_begin_object(&j, law->par[p].name);
      sf_json_number(&j, "diff", gr->fit[0].fit.params[p] - gr->fit[1].fit.params[p]);
      sf_json_number(&j, "z", gr->z[p]);
      sf_json_number(&j, "p", gr->z_p[p]);
      sf_json_end_object(&j);
    }
    sf_json_end_object(&j);
  } else {
    sf_json_null(&j, "difference");
  }
  sf_json_end_object(&j);
  char *text = out.oom ? NULL : sf_buf_take(&out);
  sf_buf_free(&out);
  return text;
}

/* one row of the --by table: the group, its runs, its fit's quality and each parameter (stderr) */
static void by_row(const char *label, int wlab, const sf_fit_table_result *f, int held) {
  const sf_law *law = f->law;
  const sf_fit_result *r = &f->fit;
  printf("  %-*s %5zu %10.4g", wlab, label, r->n, r->rmse);
  if (held) {
    if (f->n_holdout) printf(" %5zu %10.4g", f->n_holdout, f->holdout_rmse);
    else printf(" %5d %10s", 0, "-");
  }
  char cell[112];
  for (size_t p = 0; p < law->np; p++) {
    char v[48], se[48]; /* the standard error in the value's style, as fit's parameter table */
    sf_fmt_param_value(v, sizeof v, r->params[p], f->opts.fixed[p] ? NAN : r->stderr_[p], NAN, NAN);
    if (f->opts.fixed[p]) snprintf(cell, sizeof cell, "%s (fixed)", v);
    else {
      if (!sf_fmt_like(se, sizeof se, r->stderr_[p], v)) snprintf(se, sizeof se, "%.3g", r->stderr_[p]);
      snprintf(cell, sizeof cell, "%s (%s)", v, se);
    }
    printf("  %-25s", cell);
  }
  printf("\n");
}

static void print_by(const sf_fit_group_result *gr, const char *path) {
  const sf_fit_table_result *p0 = &gr->pooled;
  const sf_law *law = p0->law;
  const sf_fit_opts *o = &p0->opts;
  int held = p0->n_holdout > 0;
  printf("law %s: %s\n", law->name, law->formula);
  printf("fitted by %s: %zu groups of '%s' (%s ascending), %zu runs (%s", gr->by, gr->ngroup, path,
         gr->by_text ? "names" : "values", p0->fit.n, o->loss == SF_LOSS_HUBER ? "huber" : "l2");
  if (o->loss == SF_LOSS_HUBER) printf(" delta %g", o->delta);
  printf(" on %s residuals", o->space == SF_SPACE_LOG ? "log" : "linear");
  if (p0->sigma_name)
    printf(" in units of %s%s%s", o->space == SF_SPACE_LOG ? "sigma/y, sigma from " : "", p0->sigma_name,
           o->absolute_sigma ? ", absolute" : "");
  if (p0->n_where) printf("; %zu excluded by --where", p0->n_where);
  if (p0->n_skipped) printf("; %zu with missing values skipped", p0->n_skipped);
  printf(")\n");
  char heldtext[160];
  if (held)
    printf("held out %s with %s >= %g (the pooled hold-out), each scored by its group's fit\n",
           sf_fit_holdout_text(p0, heldtext, sizeof heldtext), p0->holdout_by, gr->holdout_cut);
  int wlab = 8;
  for (size_t g = 0; g < gr->ngroup; g++) {
    int l = (int)strlen(gr->label[g]);
    wlab = l > wlab ? (l < 32 ? l : 32) : wlab;
  }
  printf("\n  %-*s %5s %10s", wlab, gr->by, "n", "RMSE");
  if (held) printf(" %5s %10s", "held", "held RMSE");
  for (size_t p = 0; p < law->np; p++) printf("  %-25s", law->par[p].name);
  printf("\n");
  for (size_t g = 0; g < gr->ngroup; g++) by_row(gr->label[g], wlab, &gr->fit[g], held);
  by_row("(pooled)", wlab, p0, held);
  if (gr->ngroup == 2 && gr->z_ok) {
    char lab[80], cell[64];
    snprintf(lab, sizeof lab, "z");
    printf("  %-*s %5s %10s", wlab, lab, "", "");
    if (held) printf(" %5s %10s", "", "");
    for (size_t p = 0; p < law->np; p++) {
      if (isfinite(gr->z[p])) snprintf(cell, sizeof cell, "%+.3g (p %.2g)", gr->z[p], gr->z_p[p]);
      else snprintf(cell, sizeof cell, "-");
      printf("  %-25s", cell);
    }
    printf("\n  z: ('%s' - '%s') / sqrt(se1^2 + se2^2), p two-sided (normal)\n", gr->label[0], gr->label[1]);
  } else if (gr->ngroup == 2) {
    printf("  no z per parameter: %s\n", gr->no_z);
  }
  if (p0->K)
    for (size_t g = 0; g <= gr->ngroup; g++) {
      const sf_fit_table_result *f = g < gr->ngroup ? &gr->fit[g] : p0;
      printf("  %-*s %g%% bootstrap (%zu resamples):", wlab, g < gr->ngroup ? gr->label[g] : "(pooled)",
             100 * f->level, f->K);
      for (size_t p = 0; p < law->np; p++) {
        double blo, bhi;
        sf_fit_param_bounds(law, &f->opts, p, &blo, &bhi);
        if (f->opts.fixed[p]) printf("  %s fixed", law->par[p].name);
        else { /* the ends in the parameter's style, as fit's table */
          double lo = sf_fit_snap_to_bound(f->ci_lo[p], blo, bhi, f->fit.params[p]);
          double hi = sf_fit_snap_to_bound(f->ci_hi[p], blo, bhi, f->fit.params[p]);
          char v[48], iv[100];
          sf_fmt_param_value(v, sizeof v, f->fit.params[p], f->fit.stderr_[p], lo, hi);
          sf_fmt_param_interval(iv, sizeof iv, v, lo, hi);
          printf("  %s %s", law->par[p].name, iv);
        }
      }
      printf("\n");
    }
  if (!p0->K) { /* the standard errors' intervals, as fit's table gives them without a bootstrap */
    for (size_t g = 0; g <= gr->ngroup; g++) {
      printf("  %-*s 95%%:", wlab, g < gr->ngroup ? gr->label[g] : "(pooled)");
      print_wald(g < gr->ngroup ? &gr->fit[g] : p0);
    }
    printf("  %s\n", WALD_NOTE);
  }
  if (held)
    printf("\nheld-out RMSE: pooled fit %.4g, each group's own fit %.4g\n", p0->holdout_rmse, gr->holdout_rmse_sep);
  printf("\none law for every %s? pooled (k %zu) against separate fits (k %zu x %zu groups) on the same %zu runs\n",
         gr->by, gr->pooled.fit.nfree, gr->pooled.fit.nfree, gr->ngroup, gr->pooled.fit.n);
  if (!gr->test) {
    printf("  not tested: %s\n", gr->no_test);
    return;
  }
  const char *what = p0->sigma_name ? "chi-square" : "RSS";
  printf("  %-10s %4s %14s %10s %10s %10s %8s %8s %8s\n", "model", "k", what, "AIC", "AICc", "BIC", "dAICc", "dBIC",
         "weight");
  const char *name[2] = {"pooled", "separate"};
  size_t kk[2] = {gr->k_pooled, gr->k_sep};
  double chi[2] = {gr->chi2_pooled, gr->chi2_sep};
  /* AICc is defined for both: every group has more runs than parameters, so n - kG >= G >= 2 */
  for (int m = 0; m < 2; m++)
    printf("  %-10s %4zu %14.8g %10.2f %10.2f %10.2f %8.2f %8.2f %8.3f\n", name[m], kk[m], chi[m], gr->aic[m],
           gr->aicc[m], gr->bic[m], gr->delta_aicc[m], gr->delta_bic[m], gr->weight[m]);
  printf("  F = %.4g on (%g, %g) degrees of freedom, p = %.3g (extra sum of squares; exact for laws linear in their "
         "parameters, asymptotic otherwise)\n", gr->F, gr->df1, gr->df2, gr->p);
}

/* `fit DATA --law LAW --by COL`: the law per group, pooled, and the test (sf_fit_by) */
static int fit_by(const sf_table *t, const sf_fit_request *rq, const char *path) {
  sf_fit_group_result gr;
  int rc = sf_fit_by(t, rq, by_arg, &gr);
  if (rc) {
    sf_fit_group_result_free(&gr);
    return cli_fail_lib(rc);
  }
  if (gr.n_nolabel)
    cli_note("%zu run%s without a value of %s left out of every fit: %s", gr.n_nolabel, gr.n_nolabel == 1 ? "" : "s",
             gr.by, gr.nolabel_note ? gr.nolabel_note : "?");
  if (gr.nskip) { /* one line: a benchmark table can have a dozen families of one or two models */
    sf_buf b;
    sf_buf_init(&b);
    for (size_t g = 0; g < gr.nskip; g++) sf_buf_printf(&b, "%s'%s' (%zu)", g ? ", " : "", gr.skip_label[g], gr.skip_n[g]);
    cli_note("%zu group%s left out of every fit, with no more fitted runs than law '%s' has free parameters (%zu): %s",
             gr.nskip, gr.nskip == 1 ? "" : "s", sf_law_label(gr.pooled.law), gr.pooled.fit.nfree, b.oom ? "?" : sf_buf_str(&b));
    sf_buf_free(&b);
  }
  note_skipped(&gr.pooled);
  if (json) {
    if ((rc = put_json(by_json(&gr, t, path)))) {
      sf_fit_group_result_free(&gr);
      return cli_fail_lib(rc);
    }
  } else {
    print_by(&gr, path);
  }
  fflush(stdout);
  int held = gr.pooled.n_holdout > 0;
  for (size_t g = 0; g <= gr.ngroup; g++) {
    const sf_fit_table_result *f = g < gr.ngroup ? &gr.fit[g] : &gr.pooled;
    for (size_t k = 0; k < f->nwarn; k++)
      if (!(held && f->warn[k].kind == SF_FITWARN_HOLDOUT_EMPTY))
        cli_warn("%s%s%s: %s", g < gr.ngroup ? "group '" : "the pooled fit", g < gr.ngroup ? gr.label[g] : "",
                 g < gr.ngroup ? "'" : "", f->warn[k].text);
  }
  /* a group whose fit diverged (a parameter ran off to infinity) fails as a single fit of its runs
   * would, after every group is shown: the warning alone left `fit --by` exiting 0 */
  int diverged = SF_OK;
  for (size_t g = 0; g <= gr.ngroup; g++) {
    const sf_fit_table_result *f = g < gr.ngroup ? &gr.fit[g] : &gr.pooled;
    int drc = sf_fit_diverged(f, rq);
    if (!drc) continue;
    if (g < gr.ngroup) sf_fail_context("--by %s, group '%s': ", gr.by, gr.label[g]);
    else sf_fail_context("--by %s, the pooled fit: ", gr.by);
    diverged = cli_fail_lib(drc);
  }
  sf_fit_group_result_free(&gr);
  return diverged;
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
  law_arg = x_arg = y_arg = sigma_arg = loss_arg = space_arg = grid_arg = where_arg = out_path = table_name = by_arg = NULL;
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
  if (by_arg && out_path) {
    cli_error("fit: -o saves one fit, whose runs a data file and --where name, and --where cannot name a group of a "
              "text column: fit --by without -o, then save a group's fit from a file of its runs alone");
    return SF_EUSAGE;
  }
  /* before the fit, not after a bootstrap of minutes: the folder must exist and take a file */
  if (out_path && (rc = sf_output_probe(out_path))) return cli_fail_lib(rc);
  {
    char *buf, *item[SF_FIT_MAXCOMPARE];
    size_t m;
    if ((rc = split_laws(law_arg, &buf, item, &m))) {
      free(buf);
      return cli_fail_lib(rc);
    }
    if (m > 1 && by_arg) {
      free(buf);
      cli_error("fit: --by fits one law per group; compare laws (--law %s) without --by, or run --by once per law",
                law_arg);
      return SF_EUSAGE;
    }
    if (m > 1) {
      rc = fit_compare(path, item, m);
      free(buf);
      return rc;
    }
    free(buf);
  }
  sf_table *t = NULL;
  sf_law *user = NULL;
  double *grid = NULL;
  size_t ngrid = 0;
  size_t nfix = count_items(&fix_list), nbound = count_items(&bound_list);
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
  if ((rc = make_request(&rq, law, path))) goto fail;
  rq.nfix = nfix, rq.fix_name = fix_name, rq.fix_value = fix_value;
  rq.nbound = nbound, rq.bound_name = bound_name, rq.bound_lo = blo, rq.bound_hi = bhi;
  boot_progress bp = {cli_now(), 0, 0};
  if (isatty(STDERR_FILENO)) rq.progress = on_resample, rq.progress_ctx = &bp;
  if (grid_arg && strcmp(grid_arg, "default") != 0 && strncmp(grid_arg, "random:", 7) != 0) {
    if ((rc = read_grid_file(grid_arg, law, &grid, &ngrid))) goto fail;
    rq.starts = grid, rq.nstarts = ngrid;
  }
  if (by_arg) {
    rc = fit_by(t, &rq, path);
    goto done;
  }
  if ((rc = sf_fit_table(t, &rq, &fr))) goto fail;
  note_skipped(&fr);
  if (json) {
    if ((rc = put_json(fit_json(&fr, t, path, 0)))) goto fail;
  } else {
    print_table(&fr, path);
  }
  /* warnings on stderr either way (and in the JSON), after the result */
  fflush(stdout);
  for (size_t k = 0; k < fr.nwarn; k++) cli_warn("%s", fr.warn[k].text);
  /* a diverged fit is shown (its other parameters say what it ran to) but not saved: no command
   * could read it, and a script must not go on as if it had a fit */
  if ((rc = sf_fit_diverged(&fr, &rq))) {
    if (out_path) sf_fail_context("'%s' not written: ", out_path);
    goto fail;
  }
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
