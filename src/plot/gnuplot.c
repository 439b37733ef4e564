/* gnuplot.c: a chart description becomes a gnuplot script, and gnuplot turns it into a file.
 *
 * The script is self-contained (the data sit in datablocks, `$d0 << EOD`), so a user who keeps
 * it with --script can edit it and run `gnuplot chart.gp` to redraw the same chart. Its output
 * name is a variable with a default (`sf_output`), which lets the renderer run the very same
 * script into a temporary file and rename that into place: a failed run never leaves a
 * half-drawn chart under the final name.
 *
 * Sections: the script (terminal, style, datablocks, one block per panel), then running it.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>
#include <scalefit/sf_version.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot/plot.h"

extern char **environ;

int sf_plot_format_of(const char *path, sf_plot_format *fmt) {
  if (sf_ext_is(path, ".png")) *fmt = SF_PLOT_PNG;
  else if (sf_ext_is(path, ".svg")) *fmt = SF_PLOT_SVG;
  else if (sf_ext_is(path, ".pdf")) *fmt = SF_PLOT_PDF;
  else
    return sf_fail(SF_EUSAGE, "cannot tell the chart format of '%s' (use .png, .svg or .pdf)", path);
  return SF_OK;
}

char *sf_plot_script_path(const char *output) {
  size_t stem = strlen(output) - strlen(sf_path_ext(output));
  return sf_asprintf("%.*s.gp", (int)stem, output);
}

/* ---------------------------------------------------------------- the script */

/* The base font size: 13 on a 900-pixel-wide chart, in proportion for other widths, within
 * 9..20. Sizes in the script are "PNG sizes"; the look below maps them to each terminal. */
static double font_pt(const sf_chart *c) {
  double pt = 13.0 * (double)c->width / 900.0;
  return pt < 9 ? 9 : pt > 20 ? 20 : pt;
}

/* Per-terminal factors that make one chart look the same in PNG, SVG and PDF. gnuplot's
 * terminals disagree on what a font size, a point size and a line width are; measured on
 * gnuplot 5.4 with each output rasterised to 900 pixels across (PDF 6 in wide): a 20-point
 * label is 224 px wide in pngcairo, 169 in svg, 234 in pdfcairo; a size-10 point 61, 100 and
 * 126 px; a width-10 line 20, 40 and 53 px. PNG is the reference. A legend's rows: gnuplot's svg
 * terminal spaces them 1.5 font sizes apart, so at the font above a row was 29.7 px where
 * pngcairo's is 23 (the frontier chart's 5-entry legend 148 px tall against 116): the legend
 * covered curves in a browser that the layout (sized on PNG) had kept clear, so a boxed legend
 * in svg gets 23/29.7 of the spacing (one below the plot keeps it: its gap to the x label is set
 * in rows), and 3 characters less width: svg's estimate of a character is wider than the text a
 * browser draws (the same box 338 px wide against 304; the longest entry still ends 20 px inside
 * it in Chromium's DejaVu Sans). */
typedef struct look {
  double font, point, line, key, keyw;
  double vchar; /* the terminal's line of text (gnuplot's margins are counted in it) against pngcairo's */
} look;

static look look_of(sf_plot_format fmt) {
  switch (fmt) {
  case SF_PLOT_SVG: return (look){224.0 / 169, 61.0 / 100, 20.0 / 40, 23.0 / 29.7, -3, 29.7 / 23};
  case SF_PLOT_PDF: return (look){224.0 / 234, 61.0 / 126, 20.0 / 53, 1, 0, 1};
  default: return (look){1, 1, 1, 1, 0, 1};
  }
}

static void terminal(sf_buf *b, const sf_chart *c, sf_plot_format fmt) {
  double pt = font_pt(c) * look_of(fmt).font;
  switch (fmt) {
  case SF_PLOT_PNG:
    sf_buf_printf(b, "set terminal pngcairo enhanced font 'DejaVu Sans,%.1f' size %d,%d background rgb 'white'\n",
                  pt, c->width, c->height);
    break;
  case SF_PLOT_SVG:
    /* the name is written into the SVG for the viewer to resolve: a generic family always does */
    sf_buf_printf(b, "set terminal svg enhanced font 'sans-serif,%.1f' size %d,%d background rgb 'white'\n", pt,
                  c->width, c->height);
    break;
  case SF_PLOT_PDF:
    /* 150 pixels to the inch: a 900 x 600 chart is 6 x 4 in, a page-width figure */
    sf_buf_printf(b, "set terminal pdfcairo enhanced font 'DejaVu Sans,%.1f' size %.2fin,%.2fin\n", pt,
                  c->width / 150.0, c->height / 150.0);
    break;
  }
}

/* Look shared by every panel (written again after each panel's `reset`). */
static void style(sf_buf *b, const look *lk) {
  sf_buf_printf(b,
                "set encoding utf8\n"
                "set border 3 lw %.2f lc rgb '#404040'\n"
                "set tics nomirror out scale 0.6,0.3 textcolor rgb '#202020'\n"
                "set grid xtics ytics mxtics mytics back lt 1 lw %.2f lc rgb '#dedede', lt 1 lw %.2f lc rgb '#efefef'\n",
                lk->line, lk->line, 0.5 * lk->line);
  sf_buf_add(b,
             "set key noautotitle samplen 2 spacing 1.15 opaque box lc rgb '#d0d0d0'\n"
             "set style fill solid 1 noborder\n"
             /* viridis without its last, palest stops: points stay visible on white */
             "set palette defined (0 '#440154', 1 '#482878', 2 '#3E4A89', 3 '#31688E', 4 '#26828E', "
             "5 '#1F9E89', 6 '#35B779', 7 '#6DCD59', 8 '#B4DE2C')\n"
             "set colorbox vertical user origin graph 1.03, graph 0 size graph 0.03, graph 1\n");
}

/* A file name as a single-quoted gnuplot string: quotes doubled, nothing else touched (a path
 * is not enhanced text). */
static void quote_path(sf_buf *b, const char *path) {
  sf_buf_addc(b, '\'');
  for (const char *c = path; *c; c++) {
    if (*c == '\'') sf_buf_addc(b, '\'');
    sf_buf_addc(b, *c);
  }
  sf_buf_addc(b, '\'');
}

static void num(sf_buf *b, double v) { sf_buf_printf(b, "%.12g", v); }

/* One datablock per data series; rows a log axis cannot show are left out of points and break
 * lines and bands (a blank line). Returns 1 if any row was written. */
static int datablock(sf_buf *b, const sf_panel *p, const sf_series *s, size_t id) {
  int any = 0;
  sf_buf_printf(b, "$d%zu << EOD\n", id);
  for (size_t r = 0; r < s->n; r++) {
    double x = s->x[r];
    int ok;
    if (s->kind == SF_SERIES_BAND)
      ok = sf_plot_row_ok(p, x, s->lo[r]) && sf_plot_row_ok(p, x, s->hi[r]);
    else
      ok = sf_plot_row_ok(p, x, s->y[r]) && (!s->z || isfinite(s->z[r])) &&
           (!s->z || !p->cb.log || s->z[r] > 0);
    if (!ok) {
      if (s->kind != SF_SERIES_POINTS) sf_buf_addc(b, '\n');
      continue;
    }
    any = 1;
    num(b, x);
    sf_buf_addc(b, ' ');
    num(b, s->kind == SF_SERIES_BAND ? s->lo[r] : s->y[r]);
    if (s->kind == SF_SERIES_BAND) {
      sf_buf_addc(b, ' ');
      num(b, s->hi[r]);
    } else if (s->lo) {
      /* an error bar: without finite ends none (both at y); a lower end a log axis cannot show
       * runs off the bottom of the plot */
      double lo = s->lo[r], hi = s->hi[r];
      if (!isfinite(lo) || !isfinite(hi)) lo = hi = s->y[r];
      if (p->y.log && !(lo > 0)) lo = s->y[r] * 1e-12;
      sf_buf_addc(b, ' ');
      num(b, lo);
      sf_buf_addc(b, ' ');
      num(b, hi);
    }
    if (s->kind != SF_SERIES_BAND && s->z) {
      sf_buf_addc(b, ' ');
      num(b, s->z[r]);
    }
    sf_buf_addc(b, '\n');
  }
  sf_buf_add(b, "EOD\n");
  return any;
}

/* "set xtics ('0.2' 0.2, ...)": the ticks of t, labelled as t says. */
static void ticks_list(sf_buf *b, const char *n, const sf_ticks *t) {
  sf_buf_printf(b, "set format %s '%%g'\nset %stics (", n, n);
  for (size_t i = 0; i < t->n; i++) {
    sf_buf_printf(b, "%s'%s' ", i ? ", " : "", t->label[i]);
    num(b, t->at[i]);
  }
  sf_buf_add(b, ")\n");
}

/* The range, ticks and label of an axis of p, whose plot area is plot_w x plot_h pixels in font
 * size em. */
static void axis(sf_buf *b, const sf_panel *p, int which, double plot_w, double plot_h, double em) {
  const sf_axis *a = which == SF_AXIS_X ? &p->x : which == SF_AXIS_Y ? &p->y : &p->cb;
  const char *n = which == SF_AXIS_X ? "x" : which == SF_AXIS_Y ? "y" : "cb";
  double lo, hi;
  sf_plot_axis_range(p, which, &lo, &hi);
  if (a->label[0] || a->unit[0]) {
    sf_buf_printf(b, "set %slabel ", n);
    sf_plot_quote_axis(b, a);
    sf_buf_addc(b, '\n');
  }
  sf_buf_printf(b, "set %srange [", n);
  num(b, lo);
  sf_buf_addc(b, ':');
  num(b, hi);
  sf_buf_add(b, "]\n");
  if (!a->log) {
    /* gnuplot's own linear ticks crowd a small panel and leave up to a step bare at an end */
    sf_ticks t;
    sf_plot_linear_ticks(lo, hi, which == SF_AXIS_X ? plot_w : plot_h, em, which != SF_AXIS_X, &t);
    if (t.n == 0) return;
    ticks_list(b, n, &t);
    return;
  }
  sf_buf_printf(b, "set logscale %s 10\n", n);
  sf_ticks t;
  sf_plot_log_ticks(lo, hi, &t);
  if (t.pow10) {
    /* a log axis with only an increment puts its ticks at min * incr^k, not at powers of ten:
     * give the first power of ten inside the range as the start */
    sf_buf_printf(b, "set format %s '10^{%%T}'\nset %stics %.0e, %g\nset m%stics %s\n", n, n,
                  pow(10, ceil(log10(lo) - 1e-9)), t.step, n, t.step > 10 ? "1" : "10");
    return;
  }
  ticks_list(b, n, &t);
  if (which != SF_AXIS_CB) sf_buf_printf(b, "set m%stics 10\n", n);
}

/* The widest tick label of p's axis `which` in characters as printed (enhanced-text markup and
 * UTF-8 continuation bytes not counted); powers of ten as 10 and the exponent. */
static int tick_label_chars(const sf_panel *p, int which, double plot_h, double em) {
  const sf_axis *a = which == SF_AXIS_Y ? &p->y : &p->cb;
  double lo, hi;
  sf_plot_axis_range(p, which, &lo, &hi);
  sf_ticks t;
  if (a->log) sf_plot_log_ticks(lo, hi, &t);
  else sf_plot_linear_ticks(lo, hi, plot_h, em, 1, &t);
  if (t.pow10) {
    if (which == SF_AXIS_CB) return 5;
    char e0[16], e1[16];
    int n0 = snprintf(e0, sizeof e0, "%d", (int)ceil(log10(lo) - 1e-9)),
        n1 = snprintf(e1, sizeof e1, "%d", (int)floor(log10(hi) + 1e-9));
    return 2 + (n0 > n1 ? n0 : n1);
  }
  int w = 0;
  for (size_t i = 0; i < t.n; i++) {
    int k = 0;
    for (const unsigned char *c = (const unsigned char *)t.label[i]; *c; c++)
      if ((*c & 0xC0) != 0x80 && *c != '{' && *c != '}' && *c != '^') k++;
    if (k > w) w = k;
  }
  return w ? w : 6;
}

/* The width of p's plot area in a panel panel_w pixels wide: gnuplot's margins are about 4 font
 * sizes on the left (the y label, gaps) plus a character width (0.83 font sizes in pngcairo) for
 * each character of the widest y tick label, and 2.7 on the right; measured (GPVAL_TERM_XMIN,
 * XMAX) on the bootstrap chart's 3 x 3 grid at font 14.4: 215 px of a 333 px panel with y labels
 * of 2 characters, 191 with 4, and on a 900 px chart at font 13: 780 with 3. One estimate for
 * every panel (the panel less 9 font sizes: 204 px) was 13 px too wide under labels like -0.6,
 * and the x tick labels chosen for it overprinted. A colour bar takes 5 font sizes more. */
/* Stacked panels set their left margin themselves (at screen): 4 font sizes and the tick labels', as
 * gnuplot's own in pngcairo, and STACK_EXTRA more, since gnuplot's SVG terminal places the y label a
 * font size further left than pngcairo's (its tick labels estimated wider): at 4 the SVG frontier's
 * y label was cut at the canvas's left edge in a browser (gnuplot's own margin kept it whole). */
#define STACK_EXTRA 1.3
static double plot_width(const sf_panel *p, double panel_w, double plot_h, double em, int stack_chars) {
  int chars = tick_label_chars(p, SF_AXIS_Y, plot_h, em);
  double w = panel_w - 6.7 * em - 0.85 * em * (chars > stack_chars ? chars : stack_chars) - (stack_chars ? STACK_EXTRA * em : 0);
  for (size_t i = 0; i < p->nseries; i++)
    if (p->series[i]->z) return w - 5 * em;
  return w;
}

static const char *color_of(int c, const char *fallback) { return c >= 0 ? sf_palette[c % SF_PALETTE_SIZE] : fallback; }

/* The canvas in PNG pixels and the base font size: what the layout estimates (legend box,
 * title room) are made in. The look makes every terminal match these proportions. */
typedef struct canvas {
  double w, h, em;
} canvas;

static canvas canvas_of(const sf_chart *c) { return (canvas){(double)c->width, (double)c->height, font_pt(c)}; }

/* The most characters of running text in font size font_px that fit across 95% of a canvas
 * w wide (at least 10: a narrow chart still gets words on a line). */
static size_t wrap_chars(double w, double font_px) {
  double k = 0.95 * w / (SF_TEXT_W * font_px);
  return k < 10 ? 10 : (size_t)k;
}

/* gnuplot's line of text in pngcairo, in font sizes: the unit of its automatic margins. */
#define GP_LINE 1.54

/* The height of panel p's plot area in a chart of `rows` rows of panels whose title and subtitle
 * take ntl and nsl lines: the panel's share of the canvas less gnuplot's margins, which it counts
 * in lines of text (svg's are 29% taller than pngcairo's and pdfcairo's): 3.5 below (x tick labels
 * and x label), 1 above, 3 with the panel's own title. The figure's title takes a line for each
 * of its lines over stacked panels (multiplot's title); over a single panel, what its labels take
 * down to the top margin set under them (as the panel loop places them). Measured on the axis
 * frames gnuplot 5.4 draws (GPVAL_TERM_YMIN..YMAX) at fonts 9 to 20: within 2 px for single
 * panels with and without a title, the frontier chart's stacked panels, the bootstrap chart's grid
 * with and without panel titles, in PNG, SVG and PDF. The estimate it replaced, the share less 5
 * font sizes, left out a panel's title and svg's taller lines (the frontier chart's panels: 361 px
 * estimated, 300 drawn in PNG, 256 in SVG), and a legend placed on that room touched the curves. */
static double plot_height(const sf_chart *c, const sf_panel *p, size_t rows, size_t ntl, size_t nsl, canvas cv,
                          const look *lk) {
  double line = GP_LINE * cv.em * lk->vchar, top;
  if (c->npanels > 1) {
    double title = c->title[0] ? (double)(ntl + (c->subtitle[0] ? nsl : 0)) * line : 0;
    return (cv.h - title) / (double)rows - (p->title[0] ? 3 : 1) * line - 3.5 * line;
  }
  if (c->title[0])
    top = 3.1 * cv.em + 1.45 * (cv.em + 2) * (double)(ntl - 1) +
          (c->subtitle[0] ? (1.55 + 1.3 * (double)(nsl - 1)) * cv.em : 0);
  else
    top = line;
  return cv.h - top - 3.5 * line;
}

/* n bytes of text quoted as sf_plot_quote does. */
static void quote_n(sf_buf *b, const char *text, size_t n) {
  char *t = sf_asprintf("%.*s", (int)n, text);
  if (!t) {
    b->oom = 1;
    return;
  }
  sf_plot_quote(b, t);
  free(t);
}

/* Extra height of a legend below the plot, in rows: a gap between the x axis's label and the
 * first entry. gnuplot spends about 1.9 font sizes on a row. */
#define KEY_GAP 0.5

/* Columns and rows of a legend below the plot: as many columns as fit across the panel. */
static void key_grid(const sf_panel *p, double panel_w, double em, size_t *cols, size_t *rows) {
  size_t maxlen, n = sf_plot_legend_entries(p, &maxlen);
  if (n > 12) em *= 0.85; /* a long legend in a smaller font (see key()) */
  /* gnuplot spaces the columns wider than the text: sample, gap and a generous character width */
  double entry_w = ((double)maxlen + 8) * 0.75 * em;
  size_t k = (size_t)(0.92 * panel_w / entry_w);
  if (k < 1) k = 1;
  if (k > n) k = n;
  *cols = k;
  *rows = k ? (n + k - 1) / k : 0;
}

static void key(sf_buf *b, sf_legend_pos pos, const sf_panel *p, double panel_w, double em, const look *lk) {
  switch (pos) {
  case SF_LEGEND_NONE:
  case SF_LEGEND_AUTO: sf_buf_add(b, "unset key\n"); break;
  /* a boxed legend's rows as far apart in every format as in PNG, which the layout sizes them on */
  case SF_LEGEND_TOP_LEFT:
    sf_buf_printf(b, "set key inside top left Left reverse spacing %.3g width %g\n", 1.15 * lk->key, lk->keyw);
    break;
  case SF_LEGEND_TOP_RIGHT:
    sf_buf_printf(b, "set key inside top right Right noreverse spacing %.3g width %g\n", 1.15 * lk->key, lk->keyw);
    break;
  case SF_LEGEND_BOTTOM_LEFT:
    sf_buf_printf(b, "set key inside bottom left Left reverse spacing %.3g width %g\n", 1.15 * lk->key, lk->keyw);
    break;
  case SF_LEGEND_BOTTOM_RIGHT:
    sf_buf_printf(b, "set key inside bottom right Right noreverse spacing %.3g width %g\n", 1.15 * lk->key, lk->keyw);
    break;
  case SF_LEGEND_OUTSIDE_RIGHT:
    sf_buf_printf(b, "set key outside right top vertical Left reverse spacing %.3g width %g\n", 1.15 * lk->key, lk->keyw);
    break;
  case SF_LEGEND_BELOW: {
    size_t cols, rows;
    key_grid(p, panel_w, em, &cols, &rows);
    /* no box: gnuplot's box for a key below runs over the x label and off the canvas; half a
     * row more height: without it the first entry touches the x axis's label */
    sf_buf_printf(b,
                  "set key below center horizontal Left reverse maxcols %zu maxrows %zu nobox noopaque width -2 "
                  "height %.1f",
                  cols, rows, KEY_GAP);
    if (sf_plot_legend_entries(p, NULL) > 12) sf_buf_printf(b, " font ',%.1f'", 0.85 * em * lk->font);
    sf_buf_addc(b, '\n');
    break;
  }
  }
}

/* Markers, regions and labels are gnuplot objects set before the plot command. */
static void decorations(sf_buf *b, const sf_panel *p, const int *colors, const look *lk, double ymax, double plot_w,
                        double plot_h, double em) {
  double xlo, xhi;
  sf_plot_axis_range(p, SF_AXIS_X, &xlo, &xhi);
  for (size_t i = 0; i < p->nseries; i++) {
    const sf_series *s = p->series[i];
    /* what a log axis cannot show is left out (gnuplot would stop on it) */
    if (p->x.log && s->kind == SF_SERIES_VLINE && !(s->x0 > 0)) continue;
    if (p->x.log && s->kind == SF_SERIES_XREGION && !(s->x1 > 0)) continue;
    if (s->kind == SF_SERIES_LABEL && !sf_plot_row_ok(p, s->x0, s->y0)) continue;
    switch (s->kind) {
    case SF_SERIES_VLINE:
      sf_buf_add(b, "set arrow from first ");
      num(b, s->x0);
      sf_buf_add(b, ", graph 0 to first ");
      num(b, s->x0);
      sf_buf_printf(b, ", graph 1 nohead back lw %.2f dt (6,4) lc rgb '%s'\n", 1.5 * lk->line,
                    color_of(colors[i], "#555555"));
      if (s->title[0]) {
        /* beside the line, where it covers no run, line or other label (at the top if it can).
         * pngcairo centres the turned text on its anchor, svg puts its baseline half a character
         * right of it: 0.7 characters to the left ran the letters into the line in PNG (their
         * edge on its first pixel column; 3 px off it in SVG); 1.2 leaves 5 px and 9 px, as the
         * right side's 1.6 leaves 10 and 12 */
        double top;
        int right;
        sf_plot_vline_label(p, i, ymax, plot_w, plot_h, em, &top, &right);
        sf_buf_add(b, "set label ");
        sf_plot_quote(b, s->title);
        sf_buf_add(b, " at first ");
        num(b, s->x0);
        sf_buf_printf(b, ", graph %.4g rotate by 90 right offset character %s,0 front textcolor rgb '%s'\n", top,
                      right ? "1.6" : "-1.2", color_of(colors[i], "#404040"));
      }
      break;
    case SF_SERIES_XREGION: {
      double x0 = p->x.log && !(s->x0 > 0) ? xlo : s->x0;
      sf_buf_add(b, "set object rectangle from first ");
      num(b, x0);
      sf_buf_add(b, ", graph 0 to first ");
      num(b, s->x1);
      sf_buf_printf(b, ", graph 1 behind fillcolor rgb '%s' fillstyle transparent solid 0.12 noborder\n",
                    color_of(colors[i], "#808080"));
      if (s->title[0]) {
        /* at the top of the region, or lower where a curve or a run would cross it */
        double u, v;
        sf_plot_region_label(p, i, ymax, plot_w, plot_h, em, &u, &v);
        sf_buf_add(b, "set label ");
        sf_plot_quote(b, s->title);
        sf_buf_printf(b, " at graph %.4g, graph %.4g center front textcolor rgb '%s'\n", u, v,
                      color_of(colors[i], "#404040"));
      }
      break;
    }
    case SF_SERIES_LABEL:
      sf_buf_add(b, "set label ");
      sf_plot_quote(b, s->title);
      sf_buf_add(b, " at first ");
      num(b, s->x0);
      sf_buf_add(b, ", first ");
      num(b, s->y0);
      sf_buf_printf(b, " left offset character 0.6,0 front textcolor rgb '%s'\n", color_of(colors[i], "#202020"));
      break;
    default: break;
    }
  }
}

/* One plot clause per data series: bands first so they never hide points or lines. */
static void plot_command(sf_buf *b, const sf_panel *p, const int *colors, const size_t *ids, const int *has_rows,
                         const look *lk) {
  int first = 1;
  /* points read best large when few, smaller when many overlap */
  size_t npoints = 0;
  for (size_t i = 0; i < p->nseries; i++)
    if (p->series[i]->kind == SF_SERIES_POINTS) npoints += p->series[i]->n;
  double ps = (npoints <= 60 ? 1.5 : npoints <= 300 ? 1.2 : 0.9) * lk->point, lw = 2.0 * lk->line;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < p->nseries; i++) {
      const sf_series *s = p->series[i];
      if (s->kind == SF_SERIES_VLINE || s->kind == SF_SERIES_XREGION || s->kind == SF_SERIES_LABEL) continue;
      /* a legend entry alone (sf_panel_add_key): gnuplot's keyentry, a sample and no data */
      int key_only = s->n == 0 &&
                     (s->kind == SF_SERIES_LINE || s->kind == SF_SERIES_DASHED || s->kind == SF_SERIES_BAND) &&
                     s->title[0];
      /* a region's legend entry goes with the other entries alone, after the data's */
      if ((s->kind == SF_SERIES_BAND && !key_only) != (pass == 0) || (!has_rows[i] && !key_only)) continue;
      sf_buf_add(b, first ? "plot " : ", \\\n     ");
      first = 0;
      const char *col = color_of(colors[i], "#000000");
      int c = colors[i] < 0 ? 0 : colors[i];
      if (key_only) sf_buf_add(b, "keyentry");
      else sf_buf_printf(b, "$d%zu using 1:2", ids[i]);
      switch (s->kind) {
      case SF_SERIES_POINTS:
        if (s->lo) {
          /* error bars: x y lo hi [z], each point drawn with its bar */
          if (s->z) sf_buf_printf(b, ":3:4:5 with yerrorbars pt 7 ps %.2f lw %.2f lc palette", ps * s->size, lk->line);
          else
            sf_buf_printf(b, ":3:4 with yerrorbars pt %d ps %.2f lw %.2f lc rgb '%s'",
                          sf_point_types[(c + c / SF_PALETTE_SIZE) % SF_PALETTE_SIZE], ps * s->size, lk->line, col);
        } else if (s->z) sf_buf_printf(b, ":3 with points pt 7 ps %.2f lc palette", ps * s->size);
        else
          sf_buf_printf(b, " with points pt %d ps %.2f lc rgb '%s'", sf_point_types[(c + c / SF_PALETTE_SIZE) % SF_PALETTE_SIZE],
                        ps * s->size, col);
        break;
      case SF_SERIES_LINE:
      case SF_SERIES_DASHED:
        if (s->z) sf_buf_printf(b, ":3 with lines lw %.2f lc palette", lw * s->size);
        else sf_buf_printf(b, " with lines lw %.2f lc rgb '%s'", lw * s->size, col);
        if (s->kind == SF_SERIES_DASHED) sf_buf_add(b, " dt (8,5)");
        break;
      case SF_SERIES_BAND:
        if (key_only) /* a region's entry: its shade (set object rectangle's, below) */
          sf_buf_printf(b, " with boxes fillcolor rgb '%s' fillstyle transparent solid 0.12 border rgb '%s'",
                        color_of(colors[i], "#808080"), color_of(colors[i], "#808080"));
        else
          sf_buf_printf(b, ":3 with filledcurves fillcolor rgb '%s' fillstyle transparent solid 0.22 noborder", col);
        break;
      default: break;
      }
      if (s->title[0]) {
        sf_buf_add(b, " title ");
        sf_plot_quote(b, s->title);
      } else {
        sf_buf_add(b, " notitle");
      }
    }
  }
  if (first) sf_buf_add(b, "plot NaN notitle");
  sf_buf_addc(b, '\n');
}

/* p with its legend entries shortened to cap characters (sf_plot_shorten), or p itself when none
 * is longer: a shallow copy whose series are copies sharing the data. NULL when out of memory. */
static void legend_fitted_free(const sf_panel *q, const sf_panel *p);

static const sf_panel *legend_fitted(const sf_panel *p, size_t cap) {
  size_t maxlen;
  if (!sf_plot_legend_entries(p, &maxlen) || maxlen <= cap) return p;
  sf_panel *q = malloc(sizeof *q);
  sf_series **sp = calloc(p->nseries + 1, sizeof *sp), *ss = calloc(p->nseries + 1, sizeof *ss);
  if (!q || !sp || !ss) {
    free(q);
    free(sp);
    free(ss);
    return NULL;
  }
  *q = *p;
  q->series = sp;
  q->cap = p->nseries;
  for (size_t i = 0; i < p->nseries; i++) ss[i] = *p->series[i], sp[i] = &ss[i];
  /* titles are p's until replaced: legend_fitted_free frees only the replaced ones */
  for (size_t i = 0; i < p->nseries; i++) {
    const sf_series *s = p->series[i];
    if (s->kind == SF_SERIES_VLINE || s->kind == SF_SERIES_XREGION || s->kind == SF_SERIES_LABEL) continue;
    sf_buf t;
    sf_buf_init(&t);
    sf_plot_shorten(s->title, cap, &t);
    char *title = t.oom ? NULL : sf_buf_take(&t);
    sf_buf_free(&t);
    if (!title) {
      legend_fitted_free(q, p);
      return NULL;
    }
    ss[i].title = title;
  }
  /* names that differ only in the middle shorten to one text (two identical legend entries):
   * each of them is shortened again around the first character where its name parts from those
   * it was confused with; those still alike (they part further on) go round again */
  size_t *at = malloc(p->nseries * sizeof *at);
  if (!at) {
    legend_fitted_free(q, p);
    return NULL;
  }
  for (size_t round = 0; round < p->nseries; round++) {
    int again = 0;
    for (size_t i = 0; i < p->nseries; i++) {
      at[i] = (size_t)-1;
      for (size_t j = 0; j < p->nseries; j++) {
        const char *a = p->series[i]->title, *b = p->series[j]->title;
        if (j == i || strcmp(ss[i].title, ss[j].title) != 0 || strcmp(a, b) == 0) continue;
        size_t k = 0, chars = 0; /* the characters the two names share from the start */
        for (; a[k] && a[k] == b[k]; k++) chars += ((unsigned char)a[k] & 0xC0) != 0x80;
        if (chars && ((unsigned char)a[k] & 0xC0) == 0x80) chars--; /* they part inside a character */
        if (chars < at[i]) at[i] = chars;
      }
    }
    for (size_t i = 0; i < p->nseries; i++) {
      if (at[i] == (size_t)-1) continue;
      sf_buf t;
      sf_buf_init(&t);
      sf_plot_shorten_around(p->series[i]->title, cap, at[i], &t);
      char *title = t.oom ? NULL : sf_buf_take(&t);
      sf_buf_free(&t);
      if (!title) {
        free(at);
        legend_fitted_free(q, p);
        return NULL;
      }
      if (strcmp(title, ss[i].title) != 0) again = 1;
      if (ss[i].title != p->series[i]->title) free(ss[i].title);
      ss[i].title = title;
    }
    if (!again) break;
  }
  free(at);
  return q;
}

static void legend_fitted_free(const sf_panel *q, const sf_panel *p) {
  if (!q || q == p) return;
  for (size_t i = 0; i < q->nseries; i++)
    if (q->series[i]->title != p->series[i]->title) free(q->series[i]->title);
  free(q->series[0]);
  free(q->series);
  free((sf_panel *)q);
}

static void free_panels(const sf_chart *c, const sf_panel **panels) {
  for (size_t k = 0; panels && k < c->npanels; k++) legend_fitted_free(panels[k], c->panels[k]);
  free(panels);
}

int sf_chart_script(const sf_chart *c, const char *output, char **script) {
  sf_plot_format fmt;
  int rc = sf_plot_format_of(output, &fmt);
  if (rc) return rc;
  if (c->npanels == 0) return sf_fail(SF_EUSAGE, "chart '%s' has no panel", c->title);
  if (c->width < 100 || c->height < 100 || c->width > 10000 || c->height > 10000)
    return sf_fail(SF_EUSAGE, "chart size %dx%d is out of range (100 to 10000 pixels each way)", c->width,
                   c->height);

  size_t total = 0;
  for (size_t k = 0; k < c->npanels; k++) total += c->panels[k]->nseries;
  sf_legend_pos *pos = NULL;
  const sf_panel **panels = NULL; /* c's panels, legend entries shortened to fit */
  double *ytop = NULL; /* per panel: a raised top of the y axis, or NaN */
  double *phs = NULL;  /* per panel: the height of its plot area (plot_height) */
  size_t *ids = calloc(total + 1, sizeof *ids);
  int *colors = calloc(total + 1, sizeof *colors), *has_rows = calloc(total + 1, sizeof *has_rows);
  sf_buf b, tl, sl; /* the script; the title's and subtitle's lines */
  sf_buf_init(&b);
  sf_buf_init(&tl);
  sf_buf_init(&sl);
  int multi = c->npanels > 1;
  if (!ids || !colors || !has_rows) goto oom;

  sf_buf_printf(&b, "# %s\n# drawn by scalefit %s; redraw with: gnuplot THIS_FILE.gp (the data are below)\n",
                c->title[0] ? c->title : "chart", sf_version());
  sf_buf_add(&b, "if (!exists('sf_output')) sf_output = ");
  quote_path(&b, output);
  sf_buf_addc(&b, '\n');
  size_t cols = c->ncols ? c->ncols : (c->npanels <= 3 ? c->npanels : 3);
  size_t rows = (c->npanels + cols - 1) / cols;
  canvas cv = canvas_of(c);
  look lk = look_of(fmt);
  /* the plot area of one panel: its share of the canvas less room for tick labels, axis labels
   * and titles (estimates; gnuplot lays out the rest) */
  /* a title or subtitle wider than the canvas is wrapped at spaces: gnuplot would cut it at both
   * edges */
  size_t ntl = sf_plot_wrap(c->title, wrap_chars(cv.w, cv.em + 2), &tl);
  size_t nsl = sf_plot_wrap(c->subtitle, wrap_chars(cv.w, multi ? 0.8 * cv.em : cv.em), &sl);
  if (tl.oom || sl.oom) goto oom;
  double panel_w = cv.w / (double)cols;
  /* legends first: one that goes below a single panel may make the canvas taller */
  pos = calloc(c->npanels, sizeof *pos);
  ytop = calloc(c->npanels, sizeof *ytop);
  phs = calloc(c->npanels, sizeof *phs);
  panels = calloc(c->npanels, sizeof *panels);
  if (!pos || !ytop || !phs || !panels) goto oom;
  for (size_t k = 0; k < c->npanels; k++) phs[k] = plot_height(c, c->panels[k], rows, ntl, nsl, cv, &lk);
  /* panels stacked in one column share their x axis: each one's left margin as wide as the widest
   * y tick labels among them, so that their plot areas line up (gnuplot's own margins put the
   * frontier's D* panel, labelled up to 10^10, 11 px right of the N* panel's, labelled to 10^9) */
  int stack_chars = 0;
  for (size_t k = 0; multi && cols == 1 && k < c->npanels; k++) {
    int ch = tick_label_chars(c->panels[k], SF_AXIS_Y, phs[k], cv.em);
    stack_chars = ch > stack_chars ? ch : stack_chars;
  }
  for (size_t k = 0; k < c->npanels; k++) {
    /* an entry too long for a column of a legend below the plot is shortened in its middle:
     * gnuplot would warn "difficulty fitting plot titles into key" and run it off the canvas */
    const sf_panel *p = c->panels[k];
    if (!(panels[k] = legend_fitted(p, sf_plot_legend_cap(plot_width(p, panel_w, phs[k], cv.em, stack_chars), cv.em))))
      goto oom;
  }
  sf_chart sized = *c;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t k = 0; k < c->npanels; k++) {
      const sf_panel *p = panels[k];
      double ph = phs[k], pw = plot_width(p, panel_w, ph, cv.em, stack_chars);
      pos[k] = sf_plot_legend_place(p, pw, ph, cv.em, c->npanels == 1);
      /* a legend pinned to a top corner, or the least crowded one of stacked panels, may sit on
       * data: the y axis then grows upwards to make room for it */
      ytop[k] = sf_plot_legend_top(p, pos[k], pw, ph, cv.em);
      if (pos[k] == SF_LEGEND_BELOW && c->npanels == 1 && c->grow) {
        size_t cols_key, rows_key;
        key_grid(p, panel_w, cv.em, &cols_key, &rows_key);
        /* the canvas grows by the legend's rows beyond the first, which fits in the usual margin,
         * and by the gap above it */
        double key_em = sf_plot_legend_entries(p, NULL) > 12 ? 0.85 * cv.em : cv.em;
        double extra = ((rows_key > 1 ? (double)(rows_key - 1) : 0) + KEY_GAP) * 1.9 * key_em;
        sized.height = c->height + (int)ceil(extra);
      }
    }
    /* a y axis raised for its legend may take wider tick labels (the frontier's D* panel up to
     * 10^10): stacked panels then take the wider margin, and their legends are placed again for it */
    int grown = stack_chars;
    for (size_t k = 0; multi && cols == 1 && k < c->npanels; k++) {
      sf_panel lifted = *panels[k];
      if (isfinite(ytop[k])) lifted.y.max = ytop[k];
      int ch = tick_label_chars(&lifted, SF_AXIS_Y, phs[k], cv.em);
      grown = ch > grown ? ch : grown;
    }
    if (grown == stack_chars) break;
    stack_chars = grown;
  }
  terminal(&b, &sized, fmt);
  cv = canvas_of(&sized); /* title positions are fractions of the final canvas */
  sf_buf_add(&b, "set output sf_output\n\n");

  /* datablocks, numbered across panels */
  size_t id = 0;
  for (size_t k = 0, at = 0; k < c->npanels; k++) {
    const sf_panel *p = panels[k];
    for (size_t i = 0; i < p->nseries; i++, at++) {
      const sf_series *s = p->series[i];
      if (s->kind == SF_SERIES_VLINE || s->kind == SF_SERIES_XREGION || s->kind == SF_SERIES_LABEL) continue;
      if (s->n == 0) continue; /* a legend entry alone: no data */
      /* the name in full, where the legend may have shortened it */
      const char *name = c->panels[k]->series[i]->title;
      sf_buf_printf(&b, "# %s\n", name[0] ? name : "(no legend entry)");
      ids[at] = id;
      has_rows[at] = datablock(&b, p, s, id++);
    }
  }

  if (multi) {
    sf_buf_add(&b, "\nset multiplot");
    sf_buf_printf(&b, " layout %zu,%zu", rows, cols);
    if (c->title[0]) {
      sf_buf_add(&b, " title ");
      const char *t = sf_buf_str(&tl), *e;
      for (int first = 1;; first = 0, t = e + 1) {
        e = strchr(t, '\n');
        if (!first) sf_buf_add(&b, ".\"\\n\".");
        quote_n(&b, t, e ? (size_t)(e - t) : strlen(t));
        if (!e) break;
      }
      /* each subtitle line in its own smaller-font group: enhanced text ends a group at a line break */
      t = sf_buf_str(&sl);
      for (; c->subtitle[0]; t = e + 1) {
        e = strchr(t, '\n');
        sf_buf_printf(&b, ".\"\\n\".'{/*0.8 '.");
        quote_n(&b, t, e ? (size_t)(e - t) : strlen(t));
        sf_buf_add(&b, ".'}'");
        if (!e) break;
      }
    }
    sf_buf_addc(&b, '\n');
  }
  for (size_t k = 0, at = 0; k < c->npanels; k++) {
    const sf_panel *p = panels[k];
    sf_buf_printf(&b, "\n# ---- panel %zu\n", k + 1);
    if (multi) sf_buf_add(&b, "reset\n");
    style(&b, &lk);
    if (multi && p->title[0]) {
      sf_buf_add(&b, "set title ");
      sf_plot_quote(&b, p->title);
      sf_buf_addc(&b, '\n');
    } else if (!multi && c->title[0]) {
      /* the figure's title centred on the canvas, not on the plot area: a legend or colour bar
       * beside the plot would push a plot-centred title off the edge */
      double y = 1 - 1.5 * cv.em / cv.h;
      const char *t = sf_buf_str(&tl), *e;
      for (size_t i = 0;; i++, t = e + 1, y -= 1.45 * (cv.em + 2) / cv.h) {
        e = strchr(t, '\n');
        sf_buf_printf(&b, "set label %zu ", 1001 + i);
        quote_n(&b, t, e ? (size_t)(e - t) : strlen(t));
        sf_buf_printf(&b, " at screen 0.5, screen %.4f center front font ',%.1f'\n", y, (cv.em + 2) * lk.font);
        if (!e) break;
      }
      t = sf_buf_str(&sl);
      for (size_t i = 0; c->subtitle[0]; i++, t = e + 1) {
        e = strchr(t, '\n');
        y -= (i ? 1.3 : 1.55) * cv.em / cv.h;
        sf_buf_printf(&b, "set label %zu ", 1101 + i);
        quote_n(&b, t, e ? (size_t)(e - t) : strlen(t));
        sf_buf_printf(&b, " at screen 0.5, screen %.4f center front textcolor rgb '#404040'\n", y);
        if (!e) break;
      }
      /* the plot starts a line below the last title line, whatever the terminal's metrics */
      double top = y - 1.6 * cv.em / cv.h;
      sf_buf_printf(&b, "set tmargin at screen %.4f\n", top);
    }
    int has_cb = 0;
    for (size_t i = 0; i < p->nseries; i++)
      if (p->series[i]->z) has_cb = 1;
    double ph = phs[k], plot_w = plot_width(p, panel_w, ph, cv.em, stack_chars);
    /* stacked panels: the left margin plot_width allows for (4 font sizes, and 0.85 for each
     * character of the widest tick label among them), the same for each */
    if (stack_chars)
      sf_buf_printf(&b, "set lmargin at screen %.4f\n", (4 + STACK_EXTRA + 0.85 * stack_chars) * cv.em / cv.w);
    /* what the layout (legend, labels, ticks) was made for: a reader who edits the script sees it */
    sf_buf_printf(&b, "# plot area estimated %.0f x %.0f px\n", plot_w, ph);
    axis(&b, p, SF_AXIS_X, plot_w, ph, cv.em);
    if (isfinite(ytop[k])) {
      sf_panel lifted = *p;
      lifted.y.max = ytop[k];
      axis(&b, &lifted, SF_AXIS_Y, plot_w, ph, cv.em);
    } else {
      axis(&b, p, SF_AXIS_Y, plot_w, ph, cv.em);
    }
    if (has_cb) {
      axis(&b, p, SF_AXIS_CB, plot_w, ph, cv.em);
      /* room right of the plot for the colour bar, its tick labels and its label */
      sf_buf_printf(&b, "set rmargin %d\n", 9 + tick_label_chars(p, SF_AXIS_CB, ph, cv.em));
    } else {
      sf_buf_add(&b, "unset colorbox\n");
    }
    sf_plot_assign_colors(p, colors + at);
    key(&b, pos[k], p, panel_w, cv.em, &lk);
    decorations(&b, p, colors + at, &lk, ytop[k], plot_w, ph, cv.em);
    plot_command(&b, p, colors + at, ids + at, has_rows + at, &lk);
    at += p->nseries;
  }
  if (multi) sf_buf_add(&b, "unset multiplot\n");
  sf_buf_add(&b, "unset output\n");
  if (b.oom) goto oom;
  free_panels(c, panels);
  free(pos);
  free(ytop);
  free(phs);
  free(ids);
  free(colors);
  free(has_rows);
  sf_buf_free(&tl);
  sf_buf_free(&sl);
  *script = sf_buf_take(&b);
  return SF_OK;
oom:
  free_panels(c, panels);
  free(pos);
  free(ytop);
  free(phs);
  free(ids);
  free(colors);
  free(has_rows);
  sf_buf_free(&tl);
  sf_buf_free(&sl);
  sf_buf_free(&b);
  return sf_fail(SF_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------- running gnuplot */

/* Runs `gnuplot -e "sf_output='tmp'" script` with stdout discarded and stderr collected. */
static int run_gnuplot(const char *prog, const char *script, const char *tmp_out, int *status, sf_buf *err) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return sf_fail(SF_EIO, "cannot run gnuplot: %s", strerror(errno));
  sf_buf assign;
  sf_buf_init(&assign);
  sf_buf_add(&assign, "sf_output=");
  quote_path(&assign, tmp_out);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  posix_spawn_file_actions_addclose(&fa, pipefd[1]);
  char *argv[] = {(char *)prog, "-e", (char *)sf_buf_str(&assign), (char *)script, NULL};
  pid_t pid;
  int e = assign.oom ? ENOMEM : posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  sf_buf_free(&assign);
  close(pipefd[1]);
  if (e != 0) {
    close(pipefd[0]);
    if (e == ENOENT)
      return sf_fail(SF_EIO,
                     "gnuplot not found ('%s'): charts need it; install the Debian package gnuplot-nox "
                     "(or gnuplot)",
                     prog);
    return sf_fail(SF_EIO, "cannot run '%s': %s", prog, strerror(e));
  }
  char chunk[4096];
  ssize_t n;
  while ((n = read(pipefd[0], chunk, sizeof chunk)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    sf_buf_addn(err, chunk, (size_t)n);
  }
  close(pipefd[0]);
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR) return sf_fail(SF_EIO, "cannot wait for gnuplot: %s", strerror(errno));
  }
  return SF_OK;
}

/* The first lines of gnuplot's stderr, on one line, for a message. */
static void first_lines(const char *s, char *out, size_t n) {
  size_t k = 0;
  int lines = 0;
  for (; *s && k + 1 < n && lines < 4; s++) {
    if (*s == '\n') {
      lines++;
      if (k && out[k - 1] != ' ') out[k++] = ' ';
      continue;
    }
    out[k++] = *s;
  }
  while (k && out[k - 1] == ' ') k--;
  out[k] = '\0';
}

/* gnuplot's SVG gives the legend of an opaque key (ours) a second <g id="gnuplot_plot_N">, the id
 * of the series it belongs to: an id twice is invalid SVG and, inlined, invalid HTML (the W3C
 * validator rejects every report with a legend). Each repeat of an id gets a suffix (_2, _3, ..)
 * in the file at path; nothing refers to these groups.
 * Its document <title> is "Gnuplot" (its `name` option takes only [A-Za-z0-9_]): that is the
 * name a screen reader announces for the chart, inline in a report too, and the tab's title of
 * the file opened alone. It becomes the chart's own title (XML-escaped) when it has one. */
static int svg_tidy(const char *path, const char *title) {
  char *s;
  size_t n;
  int rc = sf_read_file(path, SF_EIO, &s, &n);
  if (rc) return rc;
  sf_buf out;
  sf_buf_init(&out);
  static const char gp_title[] = "<title>Gnuplot</title>";
  const char *tt = title && title[0] ? strstr(s, gp_title) : NULL;
  const char **seen = NULL;
  size_t *seenlen = NULL, nseen = 0, cap = 0;
  int dup = tt != NULL, oom = 0; /* dup: the file changes */
  const char *p = s;
  if (tt) {
    sf_buf_addn(&out, s, (size_t)(tt - s));
    sf_buf_add(&out, "<title>");
    for (const char *t = title; *t; t++) switch (*t) {
      case '&': sf_buf_add(&out, "&amp;"); break;
      case '<': sf_buf_add(&out, "&lt;"); break;
      case '>': sf_buf_add(&out, "&gt;"); break;
      default: sf_buf_addc(&out, *t);
      }
    sf_buf_add(&out, "</title>");
    p = tt + strlen(gp_title);
  }
  for (const char *q = p; !oom && (q = strstr(q, "id=")); q += 3) {
    if (q == s || (q[-1] != ' ' && q[-1] != '\t') || (q[3] != '"' && q[3] != '\'')) continue;
    const char *v = q + 4, *e = strchr(v, q[3]);
    if (!e) break;
    size_t len = (size_t)(e - v), times = 0;
    for (size_t i = 0; i < nseen; i++) times += seenlen[i] == len && !memcmp(seen[i], v, len);
    sf_buf_addn(&out, p, (size_t)(e - p));
    p = e;
    if (times) sf_buf_printf(&out, "_%zu", times + 1), dup = 1;
    if (nseen == cap) {
      cap = cap ? 2 * cap : 64;
      const char **ns = realloc(seen, cap * sizeof *ns);
      if (ns) seen = ns;
      size_t *nl = ns ? realloc(seenlen, cap * sizeof *nl) : NULL;
      if (nl) seenlen = nl;
      if (!nl) {
        oom = 1;
        break;
      }
    }
    seen[nseen] = v, seenlen[nseen++] = len;
  }
  sf_buf_add(&out, p);
  free(seen);
  free(seenlen);
  if (oom || out.oom) rc = sf_fail(SF_ENOMEM, "out of memory");
  else if (dup) rc = sf_write_file_atomic(path, out.s, out.len);
  free(s);
  sf_buf_free(&out);
  return rc;
}

/* gnuplot's warnings from a successful run, one a line, made readable: they name the script and a
 * line in it ("x.png.tmp.PID.0.gp" line 57: warning: Warning - ...), which means nothing once the
 * temporary script is gone, so without a kept script (kept 0) that part goes; the ones we know get
 * what they mean for the chart. NULL when out of memory. */
static char *tidy_warnings(const char *err, const char *script_path, int kept) {
  static const struct {
    const char *says, *means;
  } known[] = {
      {"difficulty fitting plot titles into key", "the legend's entries are too long for the chart; some may be cut off"},
  };
  sf_buf b, prefix;
  sf_buf_init(&b);
  sf_buf_init(&prefix);
  sf_buf_printf(&prefix, "\"%s\" line ", script_path);
  for (const char *line = err; *line;) {
    size_t n = strcspn(line, "\n");
    char *l = sf_asprintf("%.*s", (int)n, line);
    line += n + (line[n] == '\n');
    if (!l) {
      b.oom = 1;
      break;
    }
    const char *t = l;
    if (!kept && !prefix.oom && !strncmp(t, sf_buf_str(&prefix), prefix.len)) {
      const char *colon = strstr(t + prefix.len, ": ");
      if (colon) t = colon + 2;
    }
    if (!kept) {
      if (!strncmp(t, "warning: ", 9)) t += 9;
      if (!strncmp(t, "Warning - ", 10)) t += 10;
    }
    if (*t) {
      sf_buf_add(&b, t);
      for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (strstr(t, known[k].says)) sf_buf_printf(&b, " (%s)", known[k].means);
      sf_buf_addc(&b, '\n');
    }
    free(l);
  }
  sf_buf_free(&prefix);
  if (b.oom) {
    sf_buf_free(&b);
    return NULL;
  }
  return b.len ? sf_buf_take(&b) : NULL;
}

int sf_chart_render(const sf_chart *c, const char *output, sf_render_opts *opts) {
  sf_render_opts none = {NULL, NULL, NULL};
  if (!opts) opts = &none;
  opts->warnings = NULL;
  char *script = NULL, *script_path = NULL, *tmp_out = NULL;
  int rc = sf_chart_script(c, output, &script);
  if (rc) return rc;
  /* a folder that is missing or read-only: say so about the chart, not about a temporary file */
  const char *slash = strrchr(output, '/');
  char *dir = slash ? sf_asprintf("%.*s", (int)(slash - output) + (slash == output), output) : sf_strdup(".");
  if (!dir) {
    free(script);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  int writable = access(dir, W_OK) == 0, e = errno;
  free(dir);
  if (writable && sf_is_dir(output)) {
    free(script);
    return sf_fail(SF_EIO, "cannot write '%s': it is a directory", output);
  }
  if (!writable) {
    free(script);
    return sf_fail(SF_EIO, "cannot write '%s': %s", output, strerror(e));
  }
  int keep = opts->script_path != NULL;
  if (keep) {
    script_path = sf_strdup(opts->script_path);
  } else {
    char *t = sf_temp_path_beside(output);
    script_path = t ? sf_asprintf("%s.gp", t) : NULL;
    free(t);
  }
  tmp_out = sf_temp_path_beside(output);
  if (!script_path || !tmp_out) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  rc = sf_write_file_atomic(script_path, script, strlen(script));
  if (rc) goto done;

  sf_buf err;
  sf_buf_init(&err);
  int status = 0;
  rc = run_gnuplot(opts->gnuplot ? opts->gnuplot : "gnuplot", script_path, tmp_out, &status, &err);
  struct stat st;
  if (rc == SF_OK && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
    char msg[600];
    first_lines(sf_buf_str(&err), msg, sizeof msg);
    if (!keep) {
      /* keep the failing script where the user can find it */
      char *kept = sf_plot_script_path(output);
      if (kept && rename(script_path, kept) == 0) {
        free(script_path);
        script_path = kept;
      } else {
        free(kept);
      }
      keep = 1;
    }
    if (WIFEXITED(status))
      rc = sf_fail(SF_EIO, "gnuplot failed on '%s' (exit %d): %s", script_path, WEXITSTATUS(status),
                   msg[0] ? msg : "no message");
    else
      rc = sf_fail(SF_EIO, "gnuplot failed on '%s' (killed by signal %d)", script_path, WTERMSIG(status));
  } else if (rc == SF_OK && (stat(tmp_out, &st) != 0 || st.st_size == 0)) {
    rc = sf_fail(SF_EIO, "gnuplot wrote nothing for '%s' (script '%s')", output, script_path);
  } else if (rc == SF_OK && sf_ext_is(output, ".svg") && (rc = svg_tidy(tmp_out, c->title))) {
    /* the message is svg_tidy's */
  } else if (rc == SF_OK && rename(tmp_out, output) != 0) {
    rc = sf_fail(SF_EIO, "cannot rename into '%s': %s", output, strerror(errno));
  }
  if (rc == SF_OK && err.len) opts->warnings = tidy_warnings(sf_buf_str(&err), script_path, keep);
  sf_buf_free(&err);
  if (rc != SF_OK) unlink(tmp_out);
  if (!keep) unlink(script_path);
done:
  free(script);
  free(script_path);
  free(tmp_out);
  return rc;
}
