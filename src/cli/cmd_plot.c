/* cmd_plot.c: `scalefit plot KIND INPUT [options] -o FILE`, a chart from a run file or a fit.
 *
 * The command is a thin layer: it loads the input (sf_data_load, or a saved fit with
 * sf_fitfile_read), fits first where --law is given (by running `scalefit fit` itself into a
 * temporary fit file, so the defaults are exactly fit's), asks the library for the chart of the
 * kind (sf_plot_<kind>, which builds a description and does no drawing), and renders it
 * (sf_chart_render: a gnuplot script run into a temporary file, renamed into place).
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_plot.h>
#include <scalefit/sf_store.h>
#include <scalefit/sf_version.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

static const char *out_path, *x_col, *y_col, *color_by, *title, *table_name, *fit_path, *law_arg, *where_arg,
    *edges_arg, *laws_csv, *range_arg, *sigma_col, *loss_arg, *delta_arg;
static long width, height, bins, boot_k;
static double extrapolate_to, chance, maxv, holdout_frac, holdout_above;
static int keep_script, linear_y;

static const cli_opt opts[] = {
    {"output", 'o', CLI_STRING, &out_path, "FILE", "chart file: .png, .svg or .pdf (default plots/INPUT-KIND.png)"},
    {"x", 0, CLI_STRING, &x_col, "COL", "x column (scaling: C, N, D or any numeric column; curves: tokens, flops)"},
    {"y", 0, CLI_STRING, &y_col, "COL", "y column (default loss; turn: the capability, e.g. mmlu)"},
    {"color-by", 0, CLI_STRING, &color_by, "WHAT", "family (default), none, or a numeric column such as N"},
    {"title", 0, CLI_STRING, &title, "TEXT", "chart title (default: table and what is plotted)"},
    {"table", 't', CLI_STRING, &table_name, "NAME", "table of an HDF5 file with several"},
    {"width", 0, CLI_INT, &width, "PX", "width in pixels (default 900; PDF: 150 pixels to the inch)"},
    {"height", 0, CLI_INT, &height, "PX", "height in pixels (default 600)"},
    {"linear-y", 0, CLI_FLAG, &linear_y, NULL, "linear y axis (default log)"},
    {"script", 0, CLI_FLAG, &keep_script, NULL, "keep the gnuplot script (FILE with .gp) to tweak and rerun"},
    {"fit", 'f', CLI_STRING, &fit_path, "FIT.json", "a saved fit (scalefit fit -o FIT.json) to draw"},
    {"law", 'l', CLI_STRING, &law_arg, "LAW", "fit this law first, with scalefit fit's defaults"},
    {"bootstrap", 'b', CLI_INT, &boot_k, "K", "with --law: bootstrap resamples (bootstrap kind: default 100)"},
    {"holdout", 0, CLI_DOUBLE, &holdout_frac, "FRAC", "with --law: hold out the top compute budgets nearest FRAC of the runs (as fit)"},
    {"holdout-above", 0, CLI_DOUBLE, &holdout_above, "C", "with --law: hold out the runs above this compute"},
    {"where", 'w', CLI_STRING, &where_arg, "EXPR",
     "with --law: fit the runs where EXPR holds (as fit --where); without a fit: draw only those runs"},
    {"sigma", 0, CLI_STRING, &sigma_col, "COL",
     "scaling: error bars +-1 sd from COL; with --law: a weighted fit (fit --sigma COL)"},
    {"loss", 0, CLI_STRING, &loss_arg, "l2|huber", "with --law: the fit's loss (as fit --loss)"},
    {"delta", 0, CLI_STRING, &delta_arg, "D", "with --law: the Huber threshold (as fit --delta; with --sigma in sigmas)"},
    {"extrapolate-to", 0, CLI_DOUBLE, &extrapolate_to, "X", "scaling, turn: draw the laws out to this x"},
    {"chance", 0, CLI_DOUBLE, &chance, "P", "turn: the metric's chance level (default 0.25; 0: generated answers)"},
    {"max", 0, CLI_DOUBLE, &maxv, "M", "turn: the metric's maximum (default 1)"},
    {"bins", 0, CLI_INT, &bins, "K", "isoflop: K equal bins in log C (default: split where C jumps)"},
    {"edges", 0, CLI_STRING, &edges_arg, "C1,C2,..", "isoflop: explicit bin edges in C"},
    {"range", 0, CLI_STRING, &range_arg, "LO:HI", "frontier: the compute range (default: the data's, x 1e4)"},
    {"laws", 0, CLI_STRING, &laws_csv, "CSV", "frontier: published laws (default: the shipped laws.csv)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "plot",
    "scalefit plot KIND INPUT [--fit FIT.json | --law LAW] [-o FILE] [--x COL] [--y COL] [options]",
    "draw a chart of runs, fits and forecasts with gnuplot",
    "kinds:\n"
    "  scaling    a metric against compute (or N, D) on log-log axes, runs coloured by family\n"
    "             or by a column; with --fit/--law the fitted law, its dashed extrapolation\n"
    "             (--extrapolate-to) with its band, held-out runs ringed\n"
    "  curves     training curves of the runs: loss against tokens (or --x flops)\n"
    "  turn       a capability (--y mmlu) against C: growth laws, sigmoid, inflection, verdict\n"
    "  frontier   compute-optimal N and D against C from a fit (INPUT FIT.json, or data --law),\n"
    "             with the published laws overlaid\n"
    "  residuals  a fit's residuals against C (--x fitted: the fitted value)\n"
    "  bootstrap  a fit's bootstrap refits: histograms and the most correlated pairs\n"
    "  isoflop    loss against N per compute bin, each bin's parabola and minimum\n"
    "\n"
    "The format follows the extension of FILE: .png, .svg or .pdf. Charts are drawn by gnuplot\n"
    "(Debian package gnuplot-nox); --script keeps the generated script, data included, so that\n"
    "'gnuplot FILE.gp' redraws the chart after an edit.\n"
    "example: scalefit plot scaling runs.csv --fit fit.json -o plots/loss.svg",
    opts, 2, 2};

typedef int (*kind_fn)(const sf_table *, const sf_plot_opts *, sf_chart **);

static const char *const kinds[] = {"scaling", "curves", "turn", "frontier", "residuals", "bootstrap", "isoflop"};

/* "plots/INPUT-KIND.png" from the input's base name without extension. */
static char *default_output(const char *input, const char *kind) {
  const char *base = strrchr(input, '/');
  base = base ? base + 1 : input;
  size_t stem = strlen(base) - strlen(sf_path_ext(base));
  return sf_asprintf("plots/%.*s-%s.png", (int)stem, base, kind);
}

static int is_json(const char *path) {
  const char *e = sf_path_ext(path);
  return e && (strcmp(e, ".json") == 0 || strcmp(e, ".JSON") == 0);
}

/* Runs `scalefit fit DATA --law LAW ... -o TMP` with its table output silenced; *path is the
 * temporary fit file (the caller unlinks and frees it). TMP is made in $TMPDIR (else /tmp), so
 * that a caller (a test run beside others) can give the command a folder of its own. */
static int fit_first(const char *data, const char *kind, char **path) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  char *tmpl = sf_asprintf("%s/scalefit-plot-fit-XXXXXX.json", dir);
  if (!tmpl) return sf_fail(SF_ENOMEM, "out of memory");
  int fd = mkstemps(tmpl, 5);
  if (fd < 0) {
    int rc = sf_fail(SF_EIO, "cannot create a temporary fit file in '%s' (TMPDIR): %s", dir, strerror(errno));
    free(tmpl);
    return rc;
  }
  close(fd);
  char kbuf[32], hbuf[64], abuf[64];
  const char *argv[32];
  int argc = 0;
  argv[argc++] = "fit";
  argv[argc++] = data;
  argv[argc++] = "--law";
  argv[argc++] = law_arg;
  argv[argc++] = "-o";
  argv[argc++] = tmpl;
  long k = boot_k > 0 ? boot_k : strcmp(kind, "bootstrap") == 0 ? 100 : 0;
  if (k) {
    snprintf(kbuf, sizeof kbuf, "%ld", k);
    argv[argc++] = "--bootstrap";
    argv[argc++] = kbuf;
  }
  if (holdout_frac > 0) {
    snprintf(hbuf, sizeof hbuf, "%.17g", holdout_frac);
    argv[argc++] = "--holdout";
    argv[argc++] = hbuf;
  }
  if (isfinite(holdout_above)) {
    snprintf(abuf, sizeof abuf, "%.17g", holdout_above);
    argv[argc++] = "--holdout-above";
    argv[argc++] = abuf;
  }
  if (where_arg) argv[argc++] = "--where", argv[argc++] = where_arg;
  if (table_name) argv[argc++] = "--table", argv[argc++] = table_name;
  if (y_col && strcmp(kind, "turn") != 0) argv[argc++] = "--y", argv[argc++] = y_col;
  if (sigma_col) argv[argc++] = "--sigma", argv[argc++] = sigma_col;
  if (loss_arg) argv[argc++] = "--loss", argv[argc++] = loss_arg;
  if (delta_arg) argv[argc++] = "--delta", argv[argc++] = delta_arg;
  argv[argc] = NULL;
  /* fit prints its table on stdout; the chart command prints only what it wrote */
  fflush(stdout);
  int saved = dup(STDOUT_FILENO), devnull = open("/dev/null", O_WRONLY);
  if (saved >= 0 && devnull >= 0) dup2(devnull, STDOUT_FILENO);
  int rc = cmd_fit(argc, (char **)argv);
  fflush(stdout);
  if (saved >= 0) dup2(saved, STDOUT_FILENO), close(saved);
  if (devnull >= 0) close(devnull);
  if (rc) {
    unlink(tmpl);
    free(tmpl);
    return sf_fail(rc, "plot: fitting law '%s' to '%s' failed (see above)", law_arg, data);
  }
  *path = tmpl;
  return SF_OK;
}

/* Which rows of t the fit held out (1) or did not see through its --where (2), as `scalefit fit`
 * chose them: the fit file records --where, --holdout and --holdout-above, and the runs are those
 * of t (read from data, named in messages) with every column the law needs. *mask is NULL when
 * the fit held nothing out. */
static int fit_mask(const sf_table *t, const char *data, const char *fitfile, const sf_fitfile *ff,
                    unsigned char **mask) {
  *mask = NULL;
  sf_jval *root = NULL;
  int rc = sf_jparse_file(fitfile, &root);
  if (rc) return rc;
  /* the selection sits in "data", the hold-out rule in "holdout" (docs/FIT.md) */
  const sf_jval *sel = sf_jget(root, "data"), *ho = sf_jget(root, "holdout");
  const char *where = sf_jstr(sf_jget(sel, "where"), NULL);
  double frac = sf_jnum(sf_jget(ho, "fraction"), 0), above = sf_jnum(sf_jget(ho, "threshold"), NAN);
  if (!where && !(frac > 0) && !isfinite(above)) {
    sf_jfree(root);
    return SF_OK;
  }
  size_t nr = t->nrows;
  unsigned char *m = calloc(nr + 1, 1), *wkeep = NULL;
  double *keys = malloc((nr + 1) * sizeof *keys);
  int cols[SF_LAW_MAXVAR], yc = sf_table_find(t, ff->output), cC = sf_table_find(t, "C");
  if (!m || !keys) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t v = 0; v < ff->nvar; v++)
    if ((cols[v] = sf_table_find(t, ff->vars[v])) < 0) goto done; /* the kind will say which column */
  if (yc < 0) goto done;
  /* the runs the fit's --where kept, by fit's own call (names as the fit read them: 'params > 1e8'
   * is N); a where these data cannot answer is not this fit's data */
  if (where && (rc = sf_where_rows(t, where, "--", data,
                                   "the fit was not made from these runs: plot it with the file it was fitted on",
                                   &wkeep, NULL))) {
    sf_fail_context("fit '%s': ", fitfile);
    goto done;
  }
  size_t nsel = 0;
  for (size_t r = 0; r < nr; r++) {
    int ok = isfinite(t->cols[yc].v[r]);
    for (size_t v = 0; v < ff->nvar; v++) ok = ok && isfinite(t->cols[cols[v]].v[r]);
    /* a hold-out needs the key too: the fit skipped a run without its C */
    if ((frac > 0 || isfinite(above)) && !isfinite(cC >= 0 ? t->cols[cC].v[r] : t->cols[cols[0]].v[r])) ok = 0;
    if (!ok) continue;
    if (wkeep && !wkeep[r]) {
      m[r] = 2;
      continue;
    }
    keys[nsel++] = cC >= 0 ? t->cols[cC].v[r] : t->cols[cols[0]].v[r];
  }
  double cut = INFINITY; /* held out: keys >= cut with a fraction (the fit's own rule, whole budgets), > cut with a threshold */
  int at_cut = frac > 0;
  if (frac > 0) cut = sf_fit_holdout_from(keys, nsel, frac);
  else if (isfinite(above)) cut = above;
  for (size_t r = 0; r < nr; r++) {
    if (m[r]) continue;
    double key = cC >= 0 ? t->cols[cC].v[r] : t->cols[cols[0]].v[r];
    if (key > cut || (at_cut && key == cut)) m[r] = 1;
  }
done:
  free(wkeep);
  free(keys);
  sf_jfree(root);
  if (rc) free(m);
  else *mask = m;
  return rc;
}

/* "1e18,1e19,1e20" -> values (at most cap). Returns the count, or 0 with the message set. */
static size_t parse_list(const char *spec, const char *opt, double *v, size_t cap) {
  size_t n = 0;
  const char *s = spec;
  while (*s) {
    const char *comma = strchr(s, ',');
    size_t len = comma ? (size_t)(comma - s) : strlen(s);
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), s);
    if (n == cap || !sf_parse_double(buf, &v[n])) {
      sf_fail(SF_EUSAGE, "%s '%s': expected up to %zu numbers separated by commas", opt, spec, cap);
      return 0;
    }
    n++;
    s += len + (comma ? 1 : 0);
  }
  return n;
}

/* --sigma COL of the scaling chart: every run drawn that a fit would weigh (with a fit, its fitted
 * runs: mask 0) needs a standard deviation that is finite and > 0, as `fit --sigma` requires of
 * its runs; a missing one would silently draw the run without its bar. y is the column drawn. */
static int check_sigma(const sf_table *t, const char *input, const char *y, const unsigned char *mask) {
  int cs = sf_table_lookup(t, sigma_col), cx = sf_table_lookup(t, x_col ? x_col : "C"), cy = sf_table_lookup(t, y);
  if (cs < 0 || cx < 0 || cy < 0) return SF_OK; /* the chart names the missing column */
  for (size_t r = 0; r < t->nrows; r++) {
    double x = t->cols[cx].v[r], yv = t->cols[cy].v[r], sg = t->cols[cs].v[r];
    if (!(x > 0) || !isfinite(x) || !isfinite(yv) || (!linear_y && !(yv > 0))) continue; /* not drawn */
    if (mask && mask[r]) continue; /* held out or left out by the fit's --where: not weighed */
    if (sg > 0 && isfinite(sg)) continue;
    char val[48];
    snprintf(val, sizeof val, isnan(sg) ? "is missing" : "= %g", sg);
    return sf_fail(SF_EINPUT, "run '%s' (row %zu of '%s'): %s %s, but --sigma needs a standard deviation that is "
                   "finite and > 0 (%s)", t->run[r], r + 1, input, t->cols[cs].name, val,
                   fit_path ? "give it one, or draw without --sigma" : "give it one, or leave such runs out of the table");
  }
  return SF_OK;
}

/* The turn chart: the analysis (sf_turn) on the input's x and y, then its chart. */
static int build_turn(const sf_table *t, const char *input, const sf_plot_opts *po, sf_chart **chart) {
  const char *xn = x_col ? x_col : "C", *yn = y_col;
  if (!yn) return sf_fail(SF_EUSAGE, "plot turn: which capability? give --y COL (e.g. --y mmlu)");
  if (!(maxv > chance) || chance < 0) return sf_fail(SF_EUSAGE, "plot turn: --chance must be >= 0 and below --max");
  int cx, cy, lrc; /* a name two columns answer to is an error of its own, not "not found" */
  if ((lrc = sf_table_resolve(t, xn, &cx)) != SF_OK || (lrc = sf_table_resolve(t, yn, &cy)) != SF_OK) return lrc;
  if (cx < 0 || cy < 0) {
    char *names = sf_table_column_names(t);
    int rc = sf_fail(SF_EINPUT, "column '%s' not found in '%s' (it has %s)", cx < 0 ? xn : yn, input,
                     names ? names : "?");
    free(names);
    return rc;
  }
  xn = t->cols[cx].name; /* the column's own name on the chart (--y GSM8K is gsm8k) */
  yn = t->cols[cy].name;
  double *x = malloc((t->nrows + 1) * sizeof *x), *y = malloc((t->nrows + 1) * sizeof *y);
  if (!x || !y) {
    free(x), free(y);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  size_t n = 0;
  int rc = SF_OK;
  for (size_t r = 0; r < t->nrows && !rc; r++) {
    double xv = t->cols[cx].v[r], yv = t->cols[cy].v[r];
    if (isnan(xv) || isnan(yv)) continue;
    if (!(yv >= 0 && yv <= maxv))
      rc = sf_fail(SF_EINPUT, "'%s' run '%s': %s = %g is outside [0, %g] (a metric in percent: --max 100 --chance 25)",
                   input, t->run[r], yn, yv, maxv);
    x[n] = xv;
    y[n++] = yv;
  }
  sf_turn_opts to;
  sf_turn_opts_default(&to);
  to.opt_prefix = "--"; /* messages name --chance */
  to.chance = chance;
  to.max = maxv;
  sf_turn_result res;
  if (!rc && (rc = sf_turn_enough(t, cx, cy, n))) /* too few: how many there were, and which lacked a value */
    sf_fail_context("plot turn: '%s': ", input);
  if (!rc) rc = sf_turn(x, y, n, &to, &res);
  if (!rc && res.chance_warning[0]) cli_warn("plot turn: '%s', %s: %s", input, yn, res.chance_warning);
  /* the laws' bands: the same analysis on 100 resamples of the runs */
  enum { TURN_BOOT = 100 };
  double *boot = rc ? NULL : malloc(TURN_BOOT * SF_TURN_NLAWS * 4 * sizeof *boot);
  if (!rc && !boot) rc = sf_fail(SF_ENOMEM, "out of memory");
  if (!rc) rc = sf_turn_resample(x, y, n, &to, TURN_BOOT, 1, boot);
  if (!rc) rc = sf_plot_turn(x, y, n, xn, yn, &res, &to, boot, TURN_BOOT, po, chart);
  free(boot);
  if (!rc && t->nrows > n) {
    /* named, as the other kinds name theirs */
    unsigned char *drawn = calloc(t->nrows + 1, 1);
    if (!drawn) rc = sf_fail(SF_ENOMEM, "out of memory");
    for (size_t r = 0; r < t->nrows && drawn; r++) drawn[r] = !isnan(t->cols[cx].v[r]) && !isnan(t->cols[cy].v[r]);
    if (!rc) rc = sf_chart_left_out(*chart, t, drawn);
    free(drawn);
  }
  free(x);
  free(y);
  return rc;
}

/* The published laws of the frontier chart, loaded from csv; a law the table lacks is left out
 * with a note. */
static int load_published(const char *csv, sf_fitfile **pub) {
  for (size_t i = 0; i < sf_plot_npublished; i++) {
    pub[i] = NULL;
    if (sf_fitfile_published(csv, sf_plot_published_laws[i].id, &pub[i]) != SF_OK) {
      cli_note("published law '%s' left out: %s", sf_plot_published_laws[i].id, sf_errmsg());
      sf_error_clear();
    }
  }
  return SF_OK;
}

int cmd_plot(int argc, char **argv) {
  out_path = x_col = y_col = color_by = title = table_name = fit_path = law_arg = where_arg = edges_arg = NULL;
  laws_csv = range_arg = sigma_col = loss_arg = delta_arg = NULL;
  width = height = bins = boot_k = 0;
  extrapolate_to = 0, chance = 0.25, maxv = 1, holdout_frac = 0, holdout_above = NAN;
  keep_script = linear_y = 0;
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  const char *kind = args[0], *input = args[1];

  int known = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) known |= strcmp(kinds[i], kind) == 0;
  if (!known) {
    cli_error("plot: unknown kind '%s' (kinds: scaling, curves, turn, frontier, residuals, bootstrap, isoflop)", kind);
    return SF_EUSAGE;
  }
  if ((width && (width < 100 || width > 10000)) || (height && (height < 100 || height > 10000))) {
    cli_error("plot: --width and --height must be 100 to 10000 pixels");
    return SF_EUSAGE;
  }
  if (fit_path && law_arg) {
    cli_error("plot: give --fit or --law, not both");
    return SF_EUSAGE;
  }
  if (bins < 0 || bins > SF_ISOFLOP_MAXBINS || boot_k < 0 || holdout_frac < 0 || holdout_frac >= 1) {
    cli_error("plot: bad option value (--bins 1..%d, --bootstrap >= 0, --holdout in [0, 1))", SF_ISOFLOP_MAXBINS);
    return SF_EUSAGE;
  }
  int needs_fit = !strcmp(kind, "frontier") || !strcmp(kind, "residuals") || !strcmp(kind, "bootstrap");
  int fit_input = (!strcmp(kind, "frontier") || !strcmp(kind, "bootstrap")) && is_json(input) && !fit_path && !law_arg;
  if (needs_fit && !fit_input && !fit_path && !law_arg) {
    cli_error("plot: kind '%s' needs a fit: give --fit FIT.json or --law LAW%s", kind,
              strcmp(kind, "residuals") ? " (or a FIT.json as INPUT)" : "");
    return SF_EUSAGE;
  }
  if ((fit_path || law_arg) && (!strcmp(kind, "curves") || !strcmp(kind, "turn") || !strcmp(kind, "isoflop"))) {
    cli_error("plot: kind '%s' takes no --fit or --law", kind);
    return SF_EUSAGE;
  }
  /* --sigma draws error bars (scaling) and weighs a fit made first (--law); a chart of a saved fit
   * other than scaling shows what that fit did, weighted or not */
  if ((loss_arg || delta_arg) && !law_arg) {
    cli_error("plot: --loss and --delta go to the fit --law makes first; give --law LAW");
    return SF_EUSAGE;
  }
  /* a saved fit chose its runs with its own --where (recorded in the file, drawn as excluded) */
  if (where_arg && (fit_path || fit_input)) {
    cli_error("plot: --where selects the runs of the fit --law makes, or the runs drawn without a fit; the saved fit "
              "'%s' was made on the runs its own --where kept (scalefit fit --where EXPR -o FIT.json)",
              fit_path ? fit_path : input);
    return SF_EUSAGE;
  }
  if (sigma_col && (!strcmp(kind, "curves") || !strcmp(kind, "turn") || !strcmp(kind, "isoflop"))) {
    cli_error("plot: kind '%s' takes no --sigma", kind);
    return SF_EUSAGE;
  }
  if (sigma_col && needs_fit && !law_arg) {
    cli_error("plot: kind '%s' takes --sigma only with --law LAW (the fit it makes first is weighted); a saved "
              "fit is drawn as it was made (scalefit fit --sigma COL weighs it)", kind);
    return SF_EUSAGE;
  }

  char *def_out = NULL;
  if (!out_path) {
    if (!(def_out = default_output(input, kind))) return cli_fail_lib(sf_fail(SF_ENOMEM, "out of memory"));
    out_path = def_out;
  }
  sf_plot_format fmt;
  if ((rc = sf_plot_format_of(out_path, &fmt))) {
    free(def_out);
    return cli_fail_lib(rc);
  }
  /* a chart that cannot be written is said before --law fits (with --bootstrap, for minutes) */
  if (!def_out && (rc = sf_output_probe(out_path))) return cli_fail_lib(rc);

  sf_table *t = NULL;
  sf_chart *chart = NULL;
  sf_fitfile *ff = NULL, *pub[16] = {0};
  char *script = NULL, *tmp_fit = NULL, *csv = NULL;
  unsigned char *mask = NULL;
  double edges[SF_ISOFLOP_MAXBINS + 1];
  sf_render_opts ro = {NULL, NULL, NULL};
  sf_plot_opts po;
  sf_plot_opts_init(&po);
  po.x = x_col;
  po.y = y_col;
  po.color_by = color_by;
  po.title = title;
  po.linear_y = linear_y;
  po.width = (int)width;
  po.height = (int)height;
  po.extrapolate_to = extrapolate_to;
  po.bins = (size_t)bins;
  if (!strcmp(kind, "scaling")) po.sigma = sigma_col;
  if (edges_arg) {
    if (!(po.nedges = parse_list(edges_arg, "--edges", edges, SF_ISOFLOP_MAXBINS + 1))) {
      rc = sf_errcode();
      goto fail;
    }
    po.edges = edges;
  }

  if (!fit_input && (rc = sf_data_load(input, table_name, &t))) goto fail;
  /* without a fit, --where selects the runs drawn as fit --where selects the runs fitted (with
   * --law the fit does it, and the chart shows the runs it left out as such) */
  size_t n_loaded = t ? t->nrows : 0, n_where = 0;
  if (where_arg && !law_arg && t) {
    unsigned char *keep = NULL;
    if ((rc = sf_where_rows(t, where_arg, "--", input, NULL, &keep, &n_where)) == SF_OK) rc = sf_table_keep_rows(t, keep);
    free(keep);
    if (!rc && t->nrows == 0)
      rc = sf_fail(SF_EINPUT, "--where '%s' left out all %zu runs of '%s'", where_arg, n_loaded, input);
    if (rc) goto fail;
  }
  if (law_arg && (rc = fit_first(input, kind, &tmp_fit))) goto fail;
  const char *fitfile = fit_input ? input : tmp_fit ? tmp_fit : fit_path;
  if (fitfile) {
    if ((rc = sf_fitfile_read(fitfile, &ff))) goto fail;
    if (t && (rc = fit_mask(t, input, fitfile, ff, &mask))) goto fail;
    po.heldout = mask;
    sf_jval *root = NULL;
    if (sf_jparse_file(fitfile, &root) == SF_OK) po.linear_space = !strcmp(sf_jstr(sf_jget(root, "space"), ""), "linear");
    else sf_error_clear();
    sf_jfree(root);
  }

  if (!strcmp(kind, "scaling")) {
    if (sigma_col && (rc = check_sigma(t, input, y_col ? y_col : ff ? ff->output : "loss", mask))) goto fail;
    rc = ff ? sf_plot_scaling_fit(t, ff, &po, &chart) : sf_plot_scaling(t, &po, &chart);
  } else if (!strcmp(kind, "curves")) {
    rc = sf_plot_curves(t, &po, &chart);
  } else if (!strcmp(kind, "turn")) {
    rc = build_turn(t, input, &po, &chart);
  } else if (!strcmp(kind, "residuals")) {
    rc = sf_plot_residuals(t, ff, &po, &chart);
  } else if (!strcmp(kind, "bootstrap")) {
    rc = sf_plot_bootstrap(ff, &po, &chart);
  } else if (!strcmp(kind, "isoflop")) {
    sf_isoflop_result ir;
    rc = sf_plot_isoflop(t, &po, &chart, &ir);
    for (size_t k = 0; !rc && k < ir.nbins; k++)
      if (ir.bin[k].n && !ir.bin[k].interior) {
        char cs[32]; /* as the chart's subtitle and legend name the bin */
        sf_fmt_compute(cs, sizeof cs, ir.bin[k].c_mid);
        cli_note("compute bin C = %s (%zu run%s): %s", cs, ir.bin[k].n, ir.bin[k].n == 1 ? "" : "s",
                 ir.bin[k].fitted ? "no interior minimum (the parabola's vertex is outside the bin's model sizes)"
                                  : "too few distinct model sizes for a parabola");
      }
  } else { /* frontier */
    double cmin = 0, cmax = 0;
    if (range_arg) {
      char lo[64] = "", hi[64] = "";
      const char *colon = strchr(range_arg, ':');
      if (colon) {
        snprintf(lo, sizeof lo, "%.*s", (int)(colon - range_arg), range_arg);
        snprintf(hi, sizeof hi, "%s", colon + 1);
      }
      sf_error_clear();
      if (!colon || !sf_parse_double(lo, &cmin) || !sf_parse_double(hi, &cmax) || !(cmin > 0) ||
          !(cmax > cmin)) {
        rc = sf_fail(SF_EUSAGE, "--range '%s': expected LO:HI with 0 < LO < HI, e.g. 1e18:1e26", range_arg);
        goto fail;
      }
    } else if (t) {
      int cc = sf_table_find(t, "C");
      for (size_t r = 0; cc >= 0 && r < t->nrows; r++) {
        double C = t->cols[cc].v[r];
        if (!(C > 0)) continue;
        if (cmin == 0 || C < cmin) cmin = C;
        if (C > cmax) cmax = C;
      }
      cmax *= 1e4;
    }
    if (!(csv = laws_csv ? sf_strdup(laws_csv) : sf_asprintf("%s/laws.csv", sf_datadir()))) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto fail;
    }
    load_published(csv, pub);
    rc = sf_plot_frontier(ff, (const sf_fitfile *const *)pub, sf_plot_npublished, cmin, cmax, &po, &chart);
  }
  if (rc) goto fail;

  /* the default folder is made on demand; a folder the user named must exist */
  if (def_out && mkdir("plots", 0777) != 0 && errno != EEXIST) {
    rc = sf_fail(SF_EIO, "cannot create folder 'plots': %s", strerror(errno));
    goto fail;
  }
  if (keep_script && !(script = sf_plot_script_path(out_path))) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  ro.script_path = script;
  if ((rc = sf_chart_render(chart, out_path, &ro))) goto fail;

  if (ro.warnings) {
    /* gnuplot drew the chart but had something to say: pass it on, one line at a time */
    for (char *line = strtok(ro.warnings, "\n"); line; line = strtok(NULL, "\n"))
      if (*line) cli_warn("gnuplot, drawing '%s': %s", out_path, line);
  }
  if (n_where)
    cli_note("%zu of %zu run%s in '%s' excluded by --where", n_where, n_loaded, sf_plural(n_loaded), input);
  if (chart->skipped && t)
    cli_note("%zu of %zu run%s in '%s' left out of the chart (values missing, or not positive on a log axis)%s%s",
             chart->skipped, t->nrows, sf_plural(t->nrows), input, chart->left_out ? ": " : "",
             chart->left_out ? chart->left_out : "");
  printf("wrote %s%s%s\n", out_path, script ? " and " : "", script ? script : "");
  rc = SF_OK;
  goto done;
fail:
  rc = cli_fail_lib(rc);
done:
  free(ro.warnings);
  sf_chart_free(chart);
  sf_table_free(t);
  sf_fitfile_free(ff);
  for (size_t i = 0; i < 16; i++) sf_fitfile_free(pub[i]);
  if (tmp_fit) unlink(tmp_fit);
  free(tmp_fit);
  free(csv);
  free(mask);
  free(script);
  free(def_out);
  return rc;
}
