/* plot.h: internals of the chart layer shared by the renderer, the kinds and the unit tests.
 *
 *   layout.c   decisions a renderer makes from the data alone: axis ranges, tick marks on log
 *              axes, where the legend goes, how colours are assigned, text quoting
 *   gnuplot.c  the gnuplot script and running gnuplot
 *   chart.c    building the description (public API)
 *   kind_*.c   one chart kind each (public API)
 */
#ifndef SF_PLOT_INTERNAL_H
#define SF_PLOT_INTERNAL_H

#include <scalefit/sf_plot.h>

#include <stddef.h>

#include "util/util.h"

/* Okabe & Ito's (2008) colours, darkened or replaced where faint on white, and two more, in the
 * order series take them, and a point shape per colour so that groups stay apart in grey-scale
 * print too. */
extern const char *const sf_palette[SF_PALETTE_SIZE];
extern const int sf_point_types[SF_PALETTE_SIZE];

enum { SF_AXIS_X = 0, SF_AXIS_Y = 1, SF_AXIS_CB = 2 };

/* A series colour that draws points in palette colour `color` with the point shape of palette
 * slot `shape` (e.g. black, 6, as a triangle down, 3): the renderer draws colour c in
 * sf_palette[c % SF_PALETTE_SIZE] with shape sf_point_types[(c + c / SF_PALETTE_SIZE) % SF_PALETTE_SIZE]. */
static inline int sf_color_with_shape(int color, int shape) {
  return color + SF_PALETTE_SIZE * ((shape - color + SF_PALETTE_SIZE) % SF_PALETTE_SIZE);
}

/* Whether (x, y) can be drawn on p's axes: finite and positive on a log axis. */
int sf_plot_row_ok(const sf_panel *p, double x, double y);

/* The range of an axis of p: the fixed min/max where given, else the data's range padded by
 * 4% of its width (in log space on a log axis) on each side; the colour bar is not padded.
 * Returns 1 if any data set the range, 0 if it is a default ([1, 10]). */
int sf_plot_axis_range(const sf_panel *p, int axis, double *lo, double *hi);

/* Tick marks of a log axis over [lo, hi]. With two or more powers of ten inside, pow10 is set
 * and ticks are every `step` (a power of ten) labelled 10^k by gnuplot's format "10^{%T}";
 * otherwise explicit ticks at 1-2-5 (or 1..9, or 1-1.5-2-3-4-5-6-8) multiples of a power of ten,
 * or at even linear steps on a very narrow range, with their labels, a tick within a quarter of
 * the axis of each end (else one at the end itself). */
#define SF_MAX_TICKS 16
typedef struct sf_ticks {
  int pow10;
  double step;
  size_t n;
  double at[SF_MAX_TICKS];
  char label[SF_MAX_TICKS][32];
} sf_ticks;
void sf_plot_log_ticks(double lo, double hi, sf_ticks *t);

/* Tick marks of a linear axis over [lo, hi], len_px pixels long (vertical: a y axis or colour
 * bar) in font size font_px, with their labels: even steps of 1, 2 or 5 times a power of ten, the
 * sparsest of at most 5 intervals (6 vertically; coarser where long labels would overprint) or one
 * of the next two finer steps whose labels keep clear of each other, so that a tick lies within a
 * fifth of the axis of each end; where none does, a tick of its own at the bare end (rounded
 * inwards) unless its label would overprint its neighbour's. */
void sf_plot_linear_ticks(double lo, double hi, double len_px, double font_px, int vertical, sf_ticks *t);

/* The palette index of every series of p, in order (colors[p->nseries]): explicit colours as
 * given, SF_COLOR_AUTO series take the lowest index no explicit or earlier series holds. */
void sf_plot_assign_colors(const sf_panel *p, int *colors);

/* Where the legend of p goes when p->legend is SF_LEGEND_AUTO (else p->legend): the first
 * corner (top right, top left, bottom left, bottom right) whose legend box would cover no
 * point, line, band, marker or label; else outside right, or below when there is a colour bar
 * or the entries are long or many; without may_go_outside (panels side by side, which must
 * keep equal sizes) the corner that covers the least. plot_w and plot_h are the plot area in
 * pixels, font_px the base font size. SF_LEGEND_NONE when no series has a legend entry. */
sf_legend_pos sf_plot_legend_place(const sf_panel *p, double plot_w, double plot_h, double font_px,
                                   int may_go_outside);

/* For a legend in a top corner (pos) that would cover a line, band or point of p: the top of
 * the y axis (data units) that lifts every such sample below the legend box, so the plot makes
 * room instead of hiding data; NaN when nothing lies under it, when p's y axis has a fixed
 * maximum, or when the data would be squeezed into less than a third of the height. */
double sf_plot_legend_top(const sf_panel *p, sf_legend_pos pos, double plot_w, double plot_h, double font_px);

/* Where the label of the marker line p->series[i] (SF_SERIES_VLINE) goes: its text runs down
 * from *v1 (a fraction of the plot's height), left of the line or, with *right, right of it.
 * The top is tried first, then the bottom, then places below the top: the first that covers no
 * point, line or other label (a region's label at the top, a run's label), else the least
 * covering. ymax: the y axis's top when lifted for a legend (sf_plot_legend_top), else NaN. */
void sf_plot_vline_label(const sf_panel *p, size_t i, double ymax, double plot_w, double plot_h, double font_px,
                         double *v1, int *right);

/* Where the label of the shaded region p->series[i] (SF_SERIES_XREGION) goes: centred at (*u, *v), as
 * fractions of the plot's width and height. Horizontally at the middle of the region's visible part,
 * moved in so the text stays inside the plot; vertically the top (0.96) first, then lower: the first
 * place where it crosses no point, line, marker line outside the region or earlier region's label,
 * nor a band; else the first that crosses only bands; else the least crossing. A label at the top
 * always once crossed the turn chart's growth law where it rose through the "laws differ" region.
 * ymax as for sf_plot_vline_label. */
void sf_plot_region_label(const sf_panel *p, size_t i, double ymax, double plot_w, double plot_h, double font_px,
                          double *u, double *v);

/* Legend metrics in units of the base font size, generous enough for every terminal (measured
 * key boxes: 1.77 font sizes per entry in pngcairo, and in svg and pdfcairo, whose rows the
 * renderer spaces as pngcairo's; about 0.8 per character). Rows were 2.2 when svg's were 2.3:
 * once they matched, 2.2 made the frontier chart's 6-entry legend 189 px tall where gnuplot
 * draws 139, too tall to make room for under its 256-px-high panel, so it went over the curves. */
#define SF_CHAR_W 0.85
#define SF_LINE_H 1.8

/* The width of an average character of running text (titles) in units of the font size: measured
 * on mixed text in pngcairo at 0.65, which the look carries to svg and pdfcairo. */
#define SF_TEXT_W 0.7

/* text broken at spaces (and tabs, newlines) into lines of at most max_chars characters (UTF-8
 * characters; a longer word has a line of its own), written to out with '\n' between them; the
 * number of lines (1 for an empty text). Never inside parentheses that fit on a line: "(1 run)"
 * stays whole. */
size_t sf_plot_wrap(const char *text, size_t max_chars, sf_buf *out);

/* The most characters a legend entry may have on a plot plot_w pixels wide in font size font_px:
 * what one column of a legend below the plot holds (at least 12). A longer entry made gnuplot
 * warn "difficulty fitting plot titles into key" and run the legend off the canvas. */
size_t sf_plot_legend_cap(double plot_w, double font_px);

/* text, or, when it has more than max_chars characters (UTF-8), its first and last characters
 * with an ellipsis (U+2026) between, max_chars in all (fewer where a space or underscore next to
 * the ellipsis is dropped), appended to out; the characters written. */
size_t sf_plot_shorten(const char *text, size_t max_chars, sf_buf *out);

/* text shortened to max_chars characters as sf_plot_shorten does, but keeping character `at`
 * (counted in characters) in view: a third of the room, from the word before it, between the
 * start and the end, with an ellipsis on each side of it (one where it joins the start or the
 * end). Names that differ only in the middle (lr_3e-4 / lr_1e-3 of one long sweep name) thus
 * stay apart; the characters written. */
size_t sf_plot_shorten_around(const char *text, size_t max_chars, size_t at, sf_buf *out);

/* Legend entries of p and the length of the longest (in characters). */
size_t sf_plot_legend_entries(const sf_panel *p, size_t *maxlen);

/* Appends text as a single-quoted gnuplot string for enhanced text: gnuplot's enhanced-text
 * characters are escaped so they print as themselves, quotes doubled, newlines become spaces. */
void sf_plot_quote(sf_buf *b, const char *text);

/* Axis label "label (unit)" (or "label" when unit is empty), quoted as sf_plot_quote does. */
void sf_plot_quote_axis(sf_buf *b, const sf_axis *a);

/* ---- shared by the kinds (columns.c) ---- */

/* The axis text for a table column: "C" -> "Training compute C" with its unit, "N" ->
 * "Parameters N", "tokens" (a curve column) -> "Tokens seen", others as named. */
int sf_plot_column_axis(sf_axis *a, const char *name, const char *unit, int log);
/* Index of a numeric column / curve column of t by name, or -1. */
int sf_plot_find_column(const sf_table *t, const char *name);
int sf_plot_find_curve_column(const sf_table *t, const char *name);
/* SF_EINPUT: "column 'x' is not in table 't' ('file'); it has: a, b, c" (curve: curve columns). */
int sf_plot_missing_column(const sf_table *t, const char *name, int curve);

#endif
