/* sf_plot.h: charts. A chart is described in memory (figure, panels, series), then rendered by
 * writing a gnuplot script with the data embedded as datablocks and running gnuplot on it.
 *
 * Two layers:
 *
 *   1. The chart description (sf_chart, sf_panel, sf_series) and its renderer. A figure has a
 *      title and subtitle, a size, and one or more panels; a panel has x and y axes (label,
 *      unit, log or linear, optional fixed range), an optional colour bar, a legend position and
 *      series: points (one colour, or coloured by a continuous value on the colour bar), lines,
 *      dashed lines, bands (filled between lo and hi, semi-transparent), vertical markers with a
 *      label, shaded x-regions with a label, and text labels. All text is plain text: the
 *      renderer escapes gnuplot's enhanced-text characters, so a family called "own_sweep" keeps
 *      its underscore. The renderer owns the look: a palette after Okabe-Ito (colour-blind safe, each colour >= 3:1 on white) with
 *      a distinct point shape per colour, viridis for colour bars, light grid lines, powers of
 *      ten as 10^k on log axes spanning two decades or more (1-2-5 ticks on narrower ones), axis
 *      ranges padded around the data, and a legend placed where it covers no data (an empty
 *      corner if there is one, else outside the plot).
 *
 *   2. Chart kinds: one function each, building a description from scalefit's data. A kind only
 *      arranges data; it never fits. Kinds that need only the run store are here now:
 *        sf_plot_scaling  a metric against C, N or D on log-log axes, runs as points coloured by
 *                         family (a legend entry each) or by a numeric column (colour bar)
 *        sf_plot_curves   training curves: loss (or another curve column) against tokens or FLOPs
 *
 * The fitted kinds (end of this header) take a fit file or a turn analysis, one file each:
 *   - scaling with a fit (kind_fit.c): sf_plot_scaling()'s points, then the fitted law as a line
 *     over the fitted range, its dashed extrapolation, one band under both, the held-out runs
 *     ringed as their own series and the end of the fitted range as a vertical marker;
 *   - isoflop: per compute bin a points series and its parabola in the bin's colour (or on a
 *     colour bar beyond eight bins), the interior minima as one ringed series;
 *   - frontier: two stacked panels (N* and D* against C), the fit as a line with a band, the
 *     published laws as dashed lines;
 *   - turn: growth laws and sigmoid as lines with bands, the inflection as a vertical marker and
 *     its interval as a shaded x-region, the region where the laws part another;
 *   - residuals: residual against C with a zero line (linear y), one points series per family;
 *   - bootstrap: a histogram panel per parameter (a step line over a band) and scatter panels
 *     for the most correlated pairs such as A-alpha.
 * None of these needs a new series kind; the renderer and its tests stay as they are.
 *
 * Nothing here prints. Failures return a status (sf_error.h) with a message naming the file.
 */
#ifndef SF_PLOT_H
#define SF_PLOT_H

#include <stddef.h>

#include <scalefit/sf_forecast.h>
#include <scalefit/sf_store.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- chart description */

typedef enum sf_series_kind {
  SF_SERIES_POINTS,  /* x, y (and z when coloured by a continuous value) */
  SF_SERIES_LINE,    /* x, y joined in order; a non-finite value breaks the line */
  SF_SERIES_DASHED,  /* the same, dashed (extrapolations, published laws) */
  SF_SERIES_BAND,    /* x, lo, hi: filled between lo and hi, semi-transparent, drawn behind */
  SF_SERIES_VLINE,   /* a vertical line at x0 with a label at its top */
  SF_SERIES_XREGION, /* the x-range [x0, x1] shaded over the full height, with a label */
  SF_SERIES_LABEL    /* text at (x0, y0) in data coordinates */
} sf_series_kind;

enum { SF_COLOR_AUTO = -1 }; /* sf_series.color: the next palette colour not taken */
#define SF_PALETTE_SIZE 10

/* The palette colour of the k-th of a chart's lines that must stay apart (published laws on the
 * frontier): in palette order the fifth, dark orange, drew next to the second, vermillion (Epoch
 * 2024 and DeepSeek 2024). This order takes each next colour as far (CIEDE2000) from those before
 * and from black, the fit's colour, as the palette allows: the first six lie >= 27 apart. */
int sf_palette_apart(size_t k);

typedef struct sf_series {
  sf_series_kind kind;
  char *title;       /* legend entry for data series, text for markers and labels; "" for none */
  size_t n;          /* rows of x, y, lo, hi, z */
  double *x, *y;     /* y is NULL for bands */
  double *lo, *hi;   /* bands; points: the ends of each one's error bar (NULL: none; a
                        non-finite end: no bar for that point) */
  double *z;         /* points or lines coloured by a continuous value (colour bar); else NULL */
  double x0, x1, y0; /* markers, regions, labels */
  int color;         /* palette index or SF_COLOR_AUTO; series may share a colour on purpose */
  double size;       /* point size or line width relative to the default (1) */
} sf_series;

typedef struct sf_axis {
  char *label; /* "Training compute C" */
  char *unit;  /* "FLOP"; "" for none; shown as "label (unit)" */
  int log;     /* log10 scale */
  double min, max; /* fixed range, or NaN: from the data, padded */
} sf_axis;

typedef enum sf_legend_pos {
  SF_LEGEND_AUTO = 0, /* an empty corner inside the plot if there is one, else outside */
  SF_LEGEND_NONE,
  SF_LEGEND_TOP_LEFT,
  SF_LEGEND_TOP_RIGHT,
  SF_LEGEND_BOTTOM_LEFT,
  SF_LEGEND_BOTTOM_RIGHT,
  SF_LEGEND_OUTSIDE_RIGHT,
  SF_LEGEND_BELOW
} sf_legend_pos;

typedef struct sf_panel {
  char *title;  /* "" for none */
  sf_axis x, y;
  sf_axis cb;   /* colour bar, used when a series has z */
  sf_legend_pos legend;
  sf_series **series; /* nseries; pointers stay valid while the chart lives */
  size_t nseries, cap;
} sf_panel;

typedef struct sf_chart {
  char *title, *subtitle; /* "" for none */
  int width, height;      /* pixels (PDF: 100 px to the inch); defaults 900 x 600 */
  size_t ncols;           /* panels per row (0: all panels in one row up to 3, then wrapping) */
  sf_panel **panels;
  size_t npanels, cap;
  int grow;       /* 1 (default): a single-panel chart grows taller to fit a legend that goes
                     below the plot, so many groups do not squeeze it; 0 keeps the size */
  size_t skipped; /* rows a kind left out (missing or non-positive values on a log axis) */
  char *left_out; /* with skipped: the first five of them by name, as `fit` names the runs it skips:
                     "'r7' (row 7), row 12 and 3 more" (row: 1-based in the table); NULL when none.
                     Added 2026 (skipinfo branch, session 15), additive */
} sf_chart;

/* Building. Every function copies what it is given. Functions returning a pointer return NULL
 * with the message set (SF_ENOMEM, or SF_EUSAGE for misuse such as n == 0 or x0 > x1). */
sf_chart *sf_chart_new(const char *title);
void sf_chart_free(sf_chart *c); /* NULL-safe */
int sf_chart_set_subtitle(sf_chart *c, const char *subtitle);
/* Sets c->skipped to the rows of t with drawn[r] == 0 and c->left_out to the first five by name (see
 * above). SF_ENOMEM only. Added 2026 (skipinfo branch, session 15). */
int sf_chart_left_out(sf_chart *c, const sf_table *t, const unsigned char *drawn);
sf_panel *sf_chart_add_panel(sf_chart *c, const char *title);
int sf_axis_set(sf_axis *a, const char *label, const char *unit, int log);

sf_series *sf_panel_add_points(sf_panel *p, const char *title, size_t n, const double *x,
                               const double *y);
sf_series *sf_panel_add_line(sf_panel *p, const char *title, size_t n, const double *x,
                             const double *y, int dashed);
sf_series *sf_panel_add_band(sf_panel *p, const char *title, size_t n, const double *x,
                             const double *lo, const double *hi);
/* A legend entry alone: a line sample (dashed if dashed) and its title, no data (a line series of
 * no rows). Says what a style means where no one series does: the turn chart's dashes are every
 * law's extrapolation. */
sf_series *sf_panel_add_key(sf_panel *p, const char *title, int dashed);
/* A legend entry alone whose sample is a shaded x-region's grey: a region's label where it has no
 * room in the plot (the turn chart on a narrow chart). */
sf_series *sf_panel_add_key_shade(sf_panel *p, const char *title);
sf_series *sf_panel_add_vline(sf_panel *p, const char *label, double x);
sf_series *sf_panel_add_xregion(sf_panel *p, const char *label, double x0, double x1);
sf_series *sf_panel_add_label(sf_panel *p, const char *text, double x, double y);
/* Colours s (a points or line series of p) by z (s->n values) on p's colour bar, which gets
 * label, unit and a log scale if log. */
int sf_series_color_by(sf_panel *p, sf_series *s, const double *z, const char *label,
                       const char *unit, int log);

/* Gives the points series s vertical error bars from lo[i] to hi[i] (s->n each, copied); a bar
 * whose ends are not finite is left out, a lower end a log axis cannot show runs off the bottom. */
int sf_series_error_bars(sf_series *s, const double *lo, const double *hi);

/* ---------------------------------------------------------------- rendering */

typedef enum sf_plot_format { SF_PLOT_PNG, SF_PLOT_SVG, SF_PLOT_PDF } sf_plot_format;

/* The format for an output path by its extension (.png, .svg, .pdf, any case); SF_EUSAGE
 * naming the path otherwise. */
int sf_plot_format_of(const char *path, sf_plot_format *fmt);

/* The gnuplot script that draws c into output (its terminal chosen by output's extension).
 * The script sets `set output sf_output` where sf_output defaults to output and can be given
 * on gnuplot's command line (-e "sf_output='x.png'"). *script is malloc'ed; the caller frees. */
int sf_chart_script(const sf_chart *c, const char *output, char **script);

typedef struct sf_render_opts {
  const char *script_path; /* keep the script here (e.g. sf_plot_script_path(output)); NULL: a
                              temporary script removed after a successful run */
  const char *gnuplot;     /* the gnuplot program; NULL: "gnuplot" on PATH */
  char *warnings;          /* out: what gnuplot said on stderr in a successful run, one warning
                              a line, or NULL; without script_path, the temporary script's name
                              and line are left out, and a known warning says what it means for
                              the chart. The caller frees */
} sf_render_opts;

/* Writes the script, runs gnuplot on it and renames its output into place, so that output is
 * either the complete new chart or untouched. Errors: SF_EUSAGE (unknown extension), SF_EIO
 * (cannot write; gnuplot not installed: the message names the Debian package; gnuplot failed:
 * the message has gnuplot's error and the path of the script, which is then kept). opts may
 * be NULL. */
int sf_chart_render(const sf_chart *c, const char *output, sf_render_opts *opts);

/* "plots/loss.svg" -> "plots/loss.gp" (malloc'ed; NULL on OOM). */
char *sf_plot_script_path(const char *output);

/* ---------------------------------------------------------------- chart kinds */

typedef struct sf_plot_opts {
  const char *x;        /* x column; NULL: the kind's default (scaling "C", curves "tokens") */
  const char *y;        /* y column; NULL: "loss" */
  const char *color_by; /* "family", "none", or a numeric column (e.g. "N") for a colour bar;
                           NULL: "family" */
  const char *sigma;    /* scaling: a column of per-run standard deviations of y, drawn as error
                           bars y - sigma .. y + sigma (sf_plot_scaling_fit: the fit's own sigma
                           column when NULL); NULL: none */
  const char *title;    /* NULL: the kind's default (built from the table's name) */
  int linear_y;         /* linear y axis instead of log */
  int width, height;    /* 0: the chart's defaults */
  /* fitted kinds */
  double extrapolate_to;          /* scaling: x to draw the extrapolation to; 0: 100x the data's largest */
  const unsigned char *heldout;   /* scaling, residuals: per table row, 1 held out of the fit, 2 left out by
                                     its --where, 0 fitted; NULL: all fitted */
  int linear_space;               /* residuals: the fit's residuals are f - y (else log f - log y) */
  size_t bins;                    /* isoflop: equal-width bins in log10 C; 0: split where C jumps */
  const double *edges;            /* isoflop: explicit bin edges in C (nedges, increasing), or NULL */
  size_t nedges;
} sf_plot_opts;

void sf_plot_opts_init(sf_plot_opts *o);

/* Runs as points, y against x on log-log axes (x: "C", "N", "D" or any numeric column).
 * Rows missing x or y, or with a non-positive value on a log axis, are left out and counted
 * in (*out)->skipped. SF_EINPUT if a column is absent or no row is left. */
int sf_plot_scaling(const sf_table *t, const sf_plot_opts *o, sf_chart **out);

/* Each run's training curve as a line, y (a curve column, default "loss") against x (a curve
 * column, default "tokens", else "flops"/"step"), log-log unless linear_y. Colours by family (one
 * legend entry per family) or by a numeric column of the run (colour bar). SF_EINPUT if the
 * table has no curves or lacks the columns. */
int sf_plot_curves(const sf_table *t, const sf_plot_opts *o, sf_chart **out);

/* ---------------------------------------------------------------- fitted kinds
 * Each takes what the fitter or the forecast stage produced and only arranges it: curves and
 * bands come from sf_forecast.h (sf_forecast_band, sf_optimal, sf_value_at_compute), never from a
 * fit of its own (isoflop's per-bin parabola is the one exception: it is the chart's own
 * summary of a bin, not a scaling law). */

/* sf_plot_scaling's chart plus the fitted law of ff: a line over the fitted runs' x range, a
 * dashed extrapolation from there to o->extrapolate_to, a band (ff's bootstrap percentiles, else
 * the delta method) under both, the held-out runs (o->heldout) ringed as their own legend entry
 * and the end of the fitted range as a vertical marker; the runs of a weighted fit (ff->sigma, or
 * o->sigma) with error bars y -+ sigma. x must be a variable of a one-variable
 * law, or C for a law of N and D, drawn along its compute-optimal frontier L(N_opt(C), D_opt(C)).
 * SF_EUSAGE for any other x. */
int sf_plot_scaling_fit(const sf_table *t, const sf_fitfile *ff, const sf_plot_opts *o, sf_chart **out);

/* Growth laws and sigmoid of a turn analysis (res from sf_turn on x, y; to its options) against
 * x on a log axis: the runs, the three laws out to o->extrapolate_to (0: 10x the largest x), the
 * chance level, the inflection as a vertical marker with its interval shaded, the region where
 * the extrapolations part (beyond res->diverge_x) shaded, and the verdict as the subtitle. */
int sf_plot_turn(const double *x, const double *y, size_t n, const char *xname, const char *yname,
                 const sf_turn_result *res, const sf_turn_opts *to, const double *boot, size_t nboot,
                 const sf_plot_opts *o, sf_chart **out);
/* The bands of the turn chart come from boot (nboot rows of sf_turn_resample, sf_forecast.h;
 * NULL: no bands): the better growth law's and the sigmoid's to->level percentile intervals
 * (sf_turn_band) are shaded, so the bands are the spread of exactly the fits the chart draws. */

/* A published allocation law overlaid on the frontier chart. */
typedef struct sf_plot_published {
  const char *id;     /* row of datasets/laws.csv */
  const char *label;  /* legend text */
  int panels;         /* 1: N panel, 2: D panel, 3: both */
} sf_plot_published;
extern const sf_plot_published sf_plot_published_laws[];
extern const size_t sf_plot_npublished;

/* A legend name for a law of datasets/laws.csv by its id ("Hoffmann 2022 (appr. 3, unrounded)" for
 * hoffmann2022_approach3_unrounded): the paper's first author or team and year, and what tells the
 * law apart from others of the same paper; an id it does not know comes back as it is. */
const char *sf_plot_law_name(const char *id);

/* Compute-optimal N and D against C from ff (a law of N and D) with bands, over [cmin, cmax]
 * (cmin <= 0: from ff's data range or 1e18 to 1e26), in two panels; pub[i] (npub, may be NULL)
 * the published laws of sf_plot_published_laws[i] loaded by the caller (NULL: left out) as
 * dashed lines in the panels they speak for. */
int sf_plot_frontier(const sf_fitfile *ff, const sf_fitfile *const *pub, size_t npub, double cmin, double cmax,
                     const sf_plot_opts *o, sf_chart **out);

/* Residuals of ff on t's runs (log f - log y, or f - y with o->linear_space) against o->x
 * (C by default, or "fitted" for the fitted value), one points series per family, held-out runs
 * ringed, a zero line. Rows without the law's inputs are left out and counted. A weighted fit
 * (ff->sigma): each residual divided by its standard deviation (sigma, or sigma/y in log space),
 * a band at +-1 and chi^2/dof in the subtitle; rows without a positive sigma left out and counted;
 * SF_EINPUT when t lacks the sigma column. */
int sf_plot_residuals(const sf_table *t, const sf_fitfile *ff, const sf_plot_opts *o, sf_chart **out);

/* Bootstrap distributions of ff's free parameters: a histogram panel each, and scatter panels
 * for the most correlated pairs (up to three, titled with Pearson's r). SF_EINPUT without at
 * least 2 bootstrap samples. */
int sf_plot_bootstrap(const sf_fitfile *ff, const sf_plot_opts *o, sf_chart **out);

/* IsoFLOP bins: y against N for runs binned by log10 C. */
typedef struct sf_isoflop_bin {
  double c_lo, c_hi, c_mid; /* the bin's C range (of its runs) and geometric mean */
  size_t n;                 /* runs in the bin */
  int fitted;               /* a parabola was fitted (>= 3 distinct N) */
  double a, b, c;           /* y = a + b u + c u^2, u = log10 N */
  int interior;             /* the parabola opens upwards and its vertex lies inside the bin's N range */
  double n_opt, y_min;      /* the vertex, when interior */
} sf_isoflop_bin;
#define SF_ISOFLOP_MAXBINS 24
typedef struct sf_isoflop_result {
  size_t nbins;
  sf_isoflop_bin bin[SF_ISOFLOP_MAXBINS];
} sf_isoflop_result;

/* The isoflop chart: per bin the runs, the parabola (least squares in u = log10 N) and, when
 * interior, its minimum as a marked point with a label; bins without an interior minimum, and
 * bins skipped for fewer than 3 model sizes (no parabola), are named in the subtitle, not drawn
 * as minima. res (may be NULL) receives the bins. Bins: o->edges,
 * else o->bins equal widths in log10 C, else a new bin wherever sorted log10 C jumps by more than
 * 0.15 (runs trained on a few budgets), or, if that leaves a bin wider than half a decade (C
 * spread evenly), equal bins about a third of a decade wide (up to SF_ISOFLOP_MAXBINS). */
int sf_plot_isoflop(const sf_table *t, const sf_plot_opts *o, sf_chart **out, sf_isoflop_result *res);

#ifdef __cplusplus
}
#endif
#endif
