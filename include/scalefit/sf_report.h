/* sf_report.h: batch forecast reports from spec files (`scalefit report SPEC... -o DIR`).
 *
 * The last stage of the pipeline (store -> fit -> forecast -> plot -> report). A spec is a small
 * INI-like text file (docs/REPORT.md) naming the data, the laws to fit, the forecasts, cost
 * scenarios, a turn analysis and the charts. Two steps, both here:
 *
 *   sf_spec_read / sf_spec_parse   text -> sf_spec, every error as "FILE:LINE: message"
 *   sf_report_run                  sf_spec -> DIR/<spec name>/{index.html, report.md, report.json,
 *                                  chart SVGs}, built in a temporary folder beside it and renamed
 *                                  into place, so a spec that fails leaves nothing half-written
 *
 * sf_report_run calls the library (sf_data_load, sf_fit_*, sf_forecast_*, sf_turn, sf_chart_*),
 * never a subprocess other than gnuplot for the charts. It keeps its state on the stack and the
 * heap of one call; the CLI runs specs in parallel as separate processes.
 *
 * Runtime failures (a law that does not fit, a column that is missing) are reported with the
 * spec file and the line of the section or key that asked for the failing step.
 */
#ifndef SF_REPORT_H
#define SF_REPORT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_SPEC_MAXLIST 64 /* budgets, targets, published laws per list */
#define SF_SPEC_MAXFIX 12

typedef struct sf_spec_keyline {
  size_t section;             /* the line of its section's header */
  char key[16];               /* every known key is shorter */
  size_t line;
} sf_spec_keyline;

typedef struct sf_spec_fit {
  char *name;
  size_t line;                /* of the [fit NAME] header */
  char *law;                  /* catalogue name or a formula */
  char *x, *y;                /* "N,D" / "loss"; NULL: the law's */
  char *sigma;                /* column of per-run standard deviations of y; NULL: unweighted */
  int absolute_sigma;         /* the sigmas as exact (`fit --absolute-sigma`) */
  char *loss, *space;         /* NULL: the law's */
  double delta;               /* NaN: the law's */
  long bootstrap;             /* 0: none */
  long seed;                  /* default 1 */
  double holdout;             /* fraction in [0, 1); 0 none */
  double holdout_above;       /* NaN: none */
  size_t nfix;
  char *fix_name[SF_SPEC_MAXFIX];
  double fix_value[SF_SPEC_MAXFIX];
} sf_spec_fit;

typedef struct sf_spec_cost {
  char *name;
  size_t line;
  char *gpu, *precision;      /* gpu NULL: peak given */
  double peak_tflops;         /* NaN unless given instead of gpu */
  double mfu, gpus, price;    /* mfu default 0.4; gpus, price NaN when absent */
} sf_spec_cost;

typedef struct sf_spec_turn {
  char *name;
  size_t line;
  char *x, *y;                /* default "C"; y required */
  double chance, max;         /* defaults 0.25, 1 */
  long bootstrap;             /* default 200 */
  long seed;
  long holdout;               /* the largest runs held out (0: n/5), as `scalefit turn --holdout` */
  double tol;                 /* the extrapolations part beyond this difference (default 0.05, --tol) */
} sf_spec_turn;

typedef struct sf_spec_chart {
  char *name;
  size_t line;
  char *kind;                 /* scaling | frontier | turn */
  char *fit;                  /* [fit NAME] it draws (scaling, frontier) */
  char *turn;                 /* [turn NAME] it draws (turn; default the only one) */
  char *x, *y, *color_by, *title;
  int linear_y;
} sf_spec_chart;

typedef struct sf_spec {
  char *path;                 /* the spec file as given */
  char *name;                 /* its base name without extension: the report folder */
  char *title, *description;
  char *data_file;            /* resolved path */
  char *data_file_given;      /* as written in the spec */
  size_t data_header_line;    /* of the [data] header */
  char *table, *where;
  size_t nfit;
  sf_spec_fit *fit;
  /* [forecast] */
  size_t forecast_line;       /* of the [forecast] header */
  size_t nbudget, ntarget, npublished, nffits;
  double budget[SF_SPEC_MAXLIST]; /* ascending, each once */
  size_t nbudget_merged;      /* budgets written more than once (overlapping ranges), listed once */
  double budget_merged;       /* the first of them */
  double target[SF_SPEC_MAXLIST]; /* descending (compute ascending), each once */
  size_t ntarget_merged;      /* targets written more than once, listed once */
  double target_merged;       /* the first of them */
  char *published[SF_SPEC_MAXLIST]; /* laws.csv ids */
  char *ffits[SF_SPEC_MAXLIST];     /* fits to forecast from (default: every fit that allocates) */
  size_t ncost;
  sf_spec_cost *cost;
  size_t nturn;
  sf_spec_turn *turn;
  size_t nchart;
  sf_spec_chart *chart;
  size_t nkeyline;            /* where each key was given: see sf_spec_key_line */
  sf_spec_keyline *keyline;
} sf_spec;

/* The line of key in the section whose header is on line section (a section's .line,
 * data_header_line, forecast_line); section itself when the key was not given, since then the
 * section's default is what is at fault. A message about a key's value points here. */
size_t sf_spec_key_line(const sf_spec *s, size_t section, const char *key);

/* Parses spec text; origin names the file in messages and anchors relative data paths (they
 * are relative to the spec's folder; "@datasets/NAME" is the shipped datasets folder). Errors
 * (SF_EINPUT, message "ORIGIN:LINE: what"): a line that is not a section, key = value, comment
 * or blank; an unknown section or key (the message lists the known ones); a bad value; a key
 * given twice; duplicate names; a data file that does not exist; references to fits, turns or
 * published laws that are not defined; a spec with no [data] file (unless it only forecasts
 * published laws). */
int sf_spec_parse(const char *text, size_t len, const char *origin, sf_spec **out);
int sf_spec_read(const char *path, sf_spec **out);
void sf_spec_free(sf_spec *s); /* NULL-safe */
/* The report folder a spec file gets: its base name without the extension, characters outside
 * [A-Za-z0-9_.-] as '_' ("index" becomes "index_"); the same as sf_spec's name, known without
 * reading the file, so a batch can refuse two specs that would write one folder. Caller frees;
 * NULL when out of memory. */
char *sf_spec_folder_name(const char *path);

typedef struct sf_report_ctx {
  const char *command_line; /* the exact command, shown in the report */
  const char *gnuplot;      /* NULL: "gnuplot" on PATH */
  int threads;              /* for fits and bootstraps; 0: OpenMP's default */
} sf_report_ctx;

/* Runs the spec and writes outdir/<spec name>/ (replacing an earlier report of that name only
 * when the new one is complete). *summary (malloc'ed, may be NULL) receives a one-line status
 * for the index page ("3 fits, 12 forecasts, 2 charts"), *nwarnings (may be NULL) how
 * many warnings the page shows (anchors warn-1 ... on it). Errors carry "SPEC:LINE: what". */
int sf_report_run(const sf_spec *s, const char *outdir, const sf_report_ctx *ctx, char **summary, size_t *nwarnings);

/* One entry of the index page of a batch. */
typedef struct sf_report_entry {
  const char *spec;    /* spec path */
  const char *name;    /* report folder name, NULL if the spec did not parse */
  int ok;
  const char *status;  /* summary line when ok, the error message otherwise */
  size_t warnings;     /* when ok: the warnings the report shows, linked from the index */
} sf_report_entry;

/* Writes outdir/index.html linking each report, atomically. */
int sf_report_index(const char *outdir, const sf_report_entry *e, size_t n, const char *command_line);

/* Escapes text for HTML (&, <, >, ", ') into a malloc'ed string; NULL on OOM. */
char *sf_html_escape(const char *s);

#ifdef __cplusplus
}
#endif
#endif
