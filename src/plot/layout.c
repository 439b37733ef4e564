/* layout.c: what the renderer decides from the data before it writes a line of gnuplot.
 *
 * gnuplot's own choices are poor for scaling-law charts in three places, so they are made here,
 * where they can be tested without gnuplot:
 *   - ranges: gnuplot extends a log axis to whole decades, squeezing a loss axis of 1.9..5 into
 *     the bottom third of 1..10; we pad the data's range by a few percent instead;
 *   - ticks: on a log axis narrower than two decades gnuplot labels one tick or none; we write
 *     1-2-5 ticks there and powers of ten (10^k) only where two or more decades show; on a
 *     linear axis its even steps can leave almost a step bare at an end;
 *   - the legend: gnuplot puts it top right whatever lies there; we look for an empty corner.
 */
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const sf_palette[SF_PALETTE_SIZE] = {
    "#0072B2", /* blue */
    "#D55E00", /* vermillion */
    "#009E73", /* bluish green */
    "#CC79A7", /* reddish purple */
    "#A87400", /* dark orange: Okabe-Ito's #E69F00 has a contrast of 2.2 on white */
    "#1A8C9C", /* teal, in place of sky blue (#56B4E9, 2.3 on white; darkened it is the blue) */
    "#000000", /* black */
    "#6B7000", /* olive, in place of yellow (#F0E442, 1.3 on white: an open square vanished) */
    "#882255", /* wine */
    "#6A3FA0", /* violet */
};

/* filled circle, square, triangle up, triangle down, diamond, pentagon, then open circle and
 * open square for black and olive (black's ring marks held-out runs), and filled shapes again for
 * the last two, told apart by colour */
const int sf_point_types[SF_PALETTE_SIZE] = {7, 5, 9, 11, 13, 15, 6, 4, 9, 13};

int sf_palette_apart(size_t k) {
  /* blue, vermillion, green, reddish purple (the palette's first four, the least distance 37), then
   * olive, wine, violet, teal, dark orange: each about the farthest from all before it and black (6);
   * olive before wine (27.6 and 28.5 from the nearest) as wine is the darker, nearer black, the fit's
   * dashed extrapolation that DeepSeek 2024's line crosses on the frontier */
  static const int order[SF_PALETTE_SIZE - 1] = {0, 1, 2, 3, 7, 8, 9, 5, 4};
  return order[k % (SF_PALETTE_SIZE - 1)];
}

int sf_plot_row_ok(const sf_panel *p, double x, double y) {
  if (!isfinite(x) || !isfinite(y)) return 0;
  if (p->x.log && !(x > 0)) return 0;
  if (p->y.log && !(y > 0)) return 0;
  return 1;
}

typedef struct extent {
  double lo, hi;
  int any;
} extent;

static void extend(extent *e, double v, int log) {
  if (!isfinite(v) || (log && !(v > 0))) return;
  if (!e->any || v < e->lo) e->lo = v;
  if (!e->any || v > e->hi) e->hi = v;
  e->any = 1;
}

int sf_plot_axis_range(const sf_panel *p, int axis, double *lo, double *hi) {
  const sf_axis *a = axis == SF_AXIS_X ? &p->x : axis == SF_AXIS_Y ? &p->y : &p->cb;
  extent e = {0, 0, 0};
  for (size_t i = 0; i < p->nseries; i++) {
    const sf_series *s = p->series[i];
    switch (s->kind) {
    case SF_SERIES_POINTS:
    case SF_SERIES_LINE:
    case SF_SERIES_DASHED:
      for (size_t r = 0; r < s->n; r++) {
        if (!sf_plot_row_ok(p, s->x[r], s->y[r])) continue;
        if (axis == SF_AXIS_X) extend(&e, s->x[r], a->log);
        else if (axis == SF_AXIS_Y) {
          extend(&e, s->y[r], a->log);
          /* error bars (points): their ends, where the axis can show them */
          if (s->lo) extend(&e, s->lo[r], a->log);
          if (s->hi) extend(&e, s->hi[r], a->log);
        } else if (s->z) extend(&e, s->z[r], a->log);
      }
      break;
    case SF_SERIES_BAND:
      if (axis == SF_AXIS_CB) break;
      for (size_t r = 0; r < s->n; r++) {
        if (!sf_plot_row_ok(p, s->x[r], s->lo[r]) || !sf_plot_row_ok(p, s->x[r], s->hi[r])) continue;
        if (axis == SF_AXIS_X) extend(&e, s->x[r], a->log);
        else {
          extend(&e, s->lo[r], a->log);
          extend(&e, s->hi[r], a->log);
        }
      }
      break;
    case SF_SERIES_VLINE:
      if (axis == SF_AXIS_X) extend(&e, s->x0, a->log);
      break;
    case SF_SERIES_XREGION:
      /* a region may run off the data (e.g. "beyond the fitted range"); it does not widen x */
      break;
    case SF_SERIES_LABEL:
      if (axis == SF_AXIS_X) extend(&e, s->x0, a->log);
      else if (axis == SF_AXIS_Y) extend(&e, s->y0, a->log);
      break;
    }
  }
  int from_data = e.any;
  if (!e.any) {
    e.lo = 1;
    e.hi = 10;
  }
  if (e.lo == e.hi) { /* one value: a range around it */
    if (a->log) {
      e.lo /= 2;
      e.hi *= 2;
    } else {
      double d = e.lo != 0 ? fabs(e.lo) * 0.1 : 1;
      e.lo -= d;
      e.hi += d;
    }
  } else if (axis != SF_AXIS_CB && from_data) {
    if (a->log) {
      double l0 = log10(e.lo), l1 = log10(e.hi), pad = 0.04 * (l1 - l0);
      e.lo = pow(10, l0 - pad);
      e.hi = pow(10, l1 + pad);
    } else {
      double pad = 0.04 * (e.hi - e.lo);
      e.lo -= pad;
      e.hi += pad;
    }
  }
  if (a->log && from_data && axis != SF_AXIS_CB && e.lo < e.hi) {
    /* pull an end out to a round value (m * 10^k) just beyond it, so that a tick labels it */
    double span = log10(e.hi / e.lo), unit = pow(10, floor(log10(e.lo)));
    double below = floor(e.lo / unit * (1 + 1e-12)) * unit;
    if (below > 0 && log10(e.lo / below) < 0.05 * span) e.lo = below;
    unit = pow(10, floor(log10(e.hi)));
    double above = ceil(e.hi / unit * (1 - 1e-12)) * unit;
    if (log10(above / e.hi) < 0.05 * span) e.hi = above;
  }
  if (isfinite(a->min) && (!a->log || a->min > 0)) e.lo = a->min;
  if (isfinite(a->max) && (!a->log || a->max > 0)) e.hi = a->max;
  *lo = e.lo;
  *hi = e.hi;
  return from_data;
}

/* ---------------------------------------------------------------- ticks */

/* "2", "0.05", "300" where %g reads well, else "2×10^{21}" (enhanced text). */
static void tick_label(char *out, size_t n, double v) {
  double a = fabs(v);
  if (a == 0 || (a >= 1e-3 && a < 1e5)) {
    snprintf(out, n, "%.10g", v);
    return;
  }
  int k = (int)floor(log10(a) + 1e-9);
  double m = v / pow(10, k);
  if (fabs(m - 1) < 1e-9) snprintf(out, n, "10^{%d}", k);
  else snprintf(out, n, "%.6g×10^{%d}", m, k); /* 1.201×10^{18}: as many digits as the tick has */
}

/* Ticks at mantissa * 10^k inside [lo, hi]; returns how many (at most SF_MAX_TICKS). */
static size_t ticks_at(double lo, double hi, const double *mant, size_t nmant, double *at) {
  size_t n = 0;
  int k0 = (int)floor(log10(lo)) - 1, k1 = (int)ceil(log10(hi)) + 1;
  for (int k = k0; k <= k1; k++) {
    double p = pow(10, k);
    for (size_t i = 0; i < nmant; i++) {
      double v = mant[i] * p;
      if (v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) {
        if (n == SF_MAX_TICKS) return n + 1; /* too many: the caller takes a coarser set */
        at[n++] = v;
      }
    }
  }
  return n;
}

/* Even steps of 1, 2 or 5 times a power of ten giving about `target` ticks in [lo, hi]. */
static size_t linear_ticks(double lo, double hi, int target, double *at) {
  double raw = (hi - lo) / target, p = pow(10, floor(log10(raw))), step = p;
  if (raw / p > 5) step = 10 * p;
  else if (raw / p > 2) step = 5 * p;
  else if (raw / p > 1) step = 2 * p;
  size_t n = 0;
  for (double k = ceil(lo / step * (1 - 1e-12)); k * step <= hi * (1 + 1e-12); k++) {
    if (n == SF_MAX_TICKS) return n + 1;
    at[n++] = k * step;
  }
  return n;
}

/* v rounded to a multiple of unit towards the inside of an axis (dir 1: up, -1: down). */
static double round_in(double v, double unit, int dir) {
  double m = v / unit;
  m = dir > 0 ? ceil(m * (1 - 1e-12)) : floor(m * (1 + 1e-12));
  return m * unit;
}

void sf_plot_log_ticks(double lo, double hi, sf_ticks *t) {
  memset(t, 0, sizeof *t);
  int k0 = (int)ceil(log10(lo) - 1e-9), k1 = (int)floor(log10(hi) + 1e-9);
  int decades = k1 - k0 + 1;
  if (decades >= 2) {
    /* at most 8 labelled powers of ten: every 10^s for long ranges */
    int s = (decades + 7) / 8;
    t->pow10 = 1;
    t->step = pow(10, s);
    return;
  }
  /* Candidates, sparsest first: 1-2-5 and 1..9 times powers of ten, then even steps aiming at
   * about 5 and about 8 ticks, then the finer 1-1.5-2-3-4-5-6-8 (an axis of 6e17..2.4e18, one
   * compute widened 2x each way, or of 0.057..0.22, has only 1e18, 2e18 or 0.1, 0.2 in 1-2-5 and
   * a gap over 45% in 1..9). The first that labels the whole axis is taken: 3 to 10 ticks,
   * neither end more than a quarter of the axis from a tick, no gap over 45% of it. Without one,
   * the candidate whose widest gap is smallest, and an end it leaves bare gets a label of its own. */
  static const double m125[] = {1, 2, 5}, m19[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, mfine[] = {1, 1.5, 2, 3, 4, 5, 6, 8};
  enum { NCAND = 5 };
  double cand[NCAND][SF_MAX_TICKS], span = log10(hi / lo), best_gap = INFINITY;
  size_t ncand[NCAND], n = 0;
  ncand[0] = ticks_at(lo, hi, m125, 3, cand[0]);
  ncand[1] = ticks_at(lo, hi, m19, 9, cand[1]);
  ncand[2] = linear_ticks(lo, hi, 5, cand[2]);
  ncand[3] = linear_ticks(lo, hi, 8, cand[3]);
  ncand[4] = ticks_at(lo, hi, mfine, 8, cand[4]);
  double at[SF_MAX_TICKS];
  int good = 0;
  for (int k = 0; k < NCAND; k++) {
    size_t m = ncand[k];
    if (m < 2 || m > SF_MAX_TICKS) continue;
    double end_gap = fmax(log10(cand[k][0] / lo), log10(hi / cand[k][m - 1])) / span, gap = 0;
    for (size_t i = 1; i < m; i++) gap = fmax(gap, log10(cand[k][i] / cand[k][i - 1]) / span);
    good = m >= 3 && m <= 10 && end_gap <= 0.25 && gap <= 0.45;
    double worst = fmax(end_gap, gap);
    if (good || worst < best_gap) {
      best_gap = good ? -1 : worst;
      n = m;
      memcpy(at, cand[k], m * sizeof *at);
    }
    if (good) break;
  }
  if (!good) {
    /* an end more than a quarter of the axis from the nearest tick gets a tick at the end itself
     * (rounded inwards to a tenth of the axis's order of magnitude: 1.16..3.02 -> 1.2, 3), unless
     * that would crowd the tick next to it */
    double unit = pow(10, floor(log10(hi - lo)) - 1), end[2] = {round_in(lo, unit, 1), round_in(hi, unit, -1)};
    if (n == 0 || (log10(at[0] / lo) / span > 0.25 && log10(at[0] / end[0]) / span > 0.12 && n < SF_MAX_TICKS)) {
      memmove(at + 1, at, n * sizeof *at);
      at[0] = end[0];
      n++;
    }
    if (log10(hi / at[n - 1]) / span > 0.25 && log10(end[1] / at[n - 1]) / span > 0.12 && n < SF_MAX_TICKS)
      at[n++] = end[1];
  }
  t->n = n;
  for (size_t i = 0; i < n; i++) {
    t->at[i] = at[i];
    tick_label(t->label[i], sizeof t->label[i], at[i]);
  }
}

/* The width of a tick label as printed, in font sizes: DejaVu Sans's advance widths (a digit
 * 0.636 em, '-' 0.361, '.' 0.318) at pngcairo's 1.25 pixels a point, which the look carries to
 * svg and pdfcairo: a digit 0.8, a sign 0.45, a point 0.4, a letter or '×' about a digit
 * (a run of four zeros at size 14.4 is 46 px of ink). Counting a digit 0.64 made "-200" 20%
 * narrower than drawn, and the bootstrap chart's small panels printed "-200-150-100-50".
 * Enhanced-text markup and UTF-8 continuation bytes not counted. */
static double label_width(const char *s) {
  double w = 0;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if ((*c & 0xC0) != 0x80 && *c != '{' && *c != '}' && *c != '^')
      w += *c == '.' ? 0.4 : *c == '-' ? 0.45 : 0.8;
  return w;
}

/* Whether ticks at[0..n) with labels lab sit far enough apart on an axis of len_px pixels to be
 * read: on a vertical axis `line` font sizes apart, on a horizontal one half of each neighbour's
 * label plus `line` - 1.5 font sizes of space. Even steps want 2.5 (a line and a gap), a tick
 * added at an end only that the labels keep clear of each other (2.1: the plot area of a small
 * panel is smaller than estimated). */
static int ticks_fit(const double *at, char (*lab)[32], size_t n, double lo, double hi, double len_px,
                     double font_px, int vertical, double line) {
  for (size_t i = 1; i < n; i++) {
    double apart = (at[i] - at[i - 1]) / (hi - lo) * len_px;
    double need = vertical ? line : 0.5 * (label_width(lab[i]) + label_width(lab[i - 1])) + line - 1.5;
    if (apart < need * font_px) return 0;
  }
  return 1;
}

/* The ticks at k * step inside [lo, hi] with their labels; 0 when there would be more than
 * SF_MAX_TICKS. */
static size_t even_ticks(double lo, double hi, double step, double *at, char (*lab)[32]) {
  double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
  if (k1 - k0 + 1 > SF_MAX_TICKS) return 0;
  size_t n = 0;
  for (double k = k0; k <= k1; k++) {
    at[n] = k * step + 0.0; /* -0 is 0 */
    tick_label(lab[n], sizeof lab[n], at[n]);
    n++;
  }
  return n;
}

void sf_plot_linear_ticks(double lo, double hi, double len_px, double font_px, int vertical, sf_ticks *t) {
  memset(t, 0, sizeof *t);
  double w = hi - lo;
  if (!(w > 0) || !isfinite(w)) return;
  /* the sparsest 1-2-5 step with at most 5 intervals across (6 up: labels there stack, not sit
   * side by side) */
  double at[SF_MAX_TICKS];
  char lab[SF_MAX_TICKS][32];
  double most = vertical ? 6 : 5, e = floor(log10(w / most));
  static const double m125[] = {1, 2, 5};
  int mi = 0;
  while (w / (m125[mi] * pow(10, e)) > most) {
    if (++mi == 3) mi = 0, e++;
  }
  /* on a short axis long labels (-0.001775) would still overprint: coarser, while three ticks
   * remain */
  for (;;) {
    size_t m = even_ticks(lo, hi, m125[mi] * pow(10, e), at, lab);
    if (m < 3 || ticks_fit(at, lab, m, lo, hi, len_px, font_px, vertical, 2.1)) break;
    int mn = mi + 1;
    double en = e;
    if (mn == 3) mn = 0, en++;
    if (even_ticks(lo, hi, m125[mn] * pow(10, en), at, lab) < 2) break;
    mi = mn, e = en;
  }
  /* It leaves up to a whole step bare at an end (0.21..1 in steps of 0.2 labels nothing below
   * 0.4, the bottom 24%). The first of it and the next two finer steps that labels both ends
   * (a tick within END of the axis of each) and whose labels do not crowd is taken; without
   * one, the sparsest step and, at an end it leaves bare, a tick of its own rounded inwards. */
  const double END = 0.2;
  size_t n = 0;
  for (int k = 0; k < 3; k++) {
    int mk = mi - k, ek = (int)e;
    while (mk < 0) mk += 3, ek--;
    double step = m125[mk] * pow(10, ek);
    size_t m = even_ticks(lo, hi, step, at, lab);
    if (m < 2 || (k > 0 && !ticks_fit(at, lab, m, lo, hi, len_px, font_px, vertical, 2.5))) continue;
    if ((at[0] - lo) / w <= END && (hi - at[m - 1]) / w <= END) {
      n = m;
      break;
    }
  }
  if (n == 0) {
    double step = m125[mi] * pow(10, e);
    n = even_ticks(lo, hi, step, at, lab);
    /* an end more than END of the axis from its nearest tick gets a tick of its own, at the end
     * rounded inwards to the step's last digit (steps of 5 or 2: a whole number, 14 on 0..14.56),
     * else to one digit more: the first that lies within END of the end and leaves room for its
     * neighbour's label (if none does, the end stays as it was rather than have two labels
     * overprint) */
    double unit0 = pow(10, floor(log10(step) + 1e-9));
    for (int end = 0; end < 2 && n > 0 && n < SF_MAX_TICKS; end++) {
      double gap = end == 0 ? (at[0] - lo) / w : (hi - at[n - 1]) / w;
      if (gap <= END) continue;
      for (int f = 0; f < 2; f++) {
        double v = round_in(end == 0 ? lo : hi, f ? unit0 / 10 : unit0, end == 0 ? 1 : -1) + 0.0;
        if ((end == 0 ? v - lo : hi - v) / w > END) continue;
        double pair[2];
        char plab[2][32];
        pair[end == 0 ? 0 : 1] = v;
        pair[end == 0 ? 1 : 0] = end == 0 ? at[0] : at[n - 1];
        if (!(pair[1] > pair[0])) continue;
        tick_label(plab[0], sizeof plab[0], pair[0]);
        tick_label(plab[1], sizeof plab[1], pair[1]);
        if (!ticks_fit(pair, plab, 2, lo, hi, len_px, font_px, vertical, 2.1)) continue;
        if (end == 0) {
          memmove(at + 1, at, n * sizeof *at);
          memmove(lab + 1, lab, n * sizeof *lab);
          at[0] = v;
          memcpy(lab[0], plab[0], sizeof lab[0]);
        } else {
          at[n] = v;
          memcpy(lab[n], plab[1], sizeof lab[n]);
        }
        n++;
        break;
      }
    }
  }
  t->n = n;
  for (size_t i = 0; i < n; i++) {
    t->at[i] = at[i];
    memcpy(t->label[i], lab[i], sizeof t->label[i]);
  }
}

/* ---------------------------------------------------------------- colours */

void sf_plot_assign_colors(const sf_panel *p, int *colors) {
  unsigned char used[64] = {0};
  for (size_t i = 0; i < p->nseries; i++) {
    int c = p->series[i]->color;
    if (c >= 0 && c < 64) used[c] = 1;
  }
  int next = 0;
  for (size_t i = 0; i < p->nseries; i++) {
    const sf_series *s = p->series[i];
    if (s->color >= 0) {
      colors[i] = s->color;
      continue;
    }
    /* markers, regions, labels and a region's legend entry are grey unless given a colour; they
     * take no slot */
    if (s->kind == SF_SERIES_VLINE || s->kind == SF_SERIES_XREGION || s->kind == SF_SERIES_LABEL ||
        (s->kind == SF_SERIES_BAND && s->n == 0)) {
      colors[i] = SF_COLOR_AUTO;
      continue;
    }
    while (next < 64 && used[next]) next++;
    colors[i] = next < 64 ? next : (int)(i % SF_PALETTE_SIZE);
    if (next < 64) used[next] = 1;
  }
}

/* ---------------------------------------------------------------- legend */

size_t sf_plot_legend_entries(const sf_panel *p, size_t *maxlen) {
  size_t n = 0, len = 0;
  for (size_t i = 0; i < p->nseries; i++) {
    const sf_series *s = p->series[i];
    if (s->kind == SF_SERIES_VLINE || s->kind == SF_SERIES_XREGION || s->kind == SF_SERIES_LABEL) continue;
    if (!s->title[0]) continue;
    n++;
    /* count characters, not UTF-8 bytes */
    size_t chars = 0;
    for (const unsigned char *c = (const unsigned char *)s->title; *c; c++)
      if ((*c & 0xC0) != 0x80) chars++;
    if (chars > len) len = chars;
  }
  if (maxlen) *maxlen = len;
  return n;
}

typedef struct frame {
  double xlo, xhi, ylo, yhi; /* axis ranges, in log10 on log axes */
  int xlog, ylog;
} frame;

/* Position of (x, y) in the plot area as fractions in [0, 1] (outside when off the axes). */
static void to_unit(const frame *f, double x, double y, double *u, double *v) {
  if (f->xlog) x = log10(x);
  if (f->ylog) y = log10(y);
  *u = (x - f->xlo) / (f->xhi - f->xlo);
  *v = (y - f->ylo) / (f->yhi - f->ylo);
}

typedef struct box {
  double u0, u1, v0, v1;
  size_t hits;
} box;

static void hit_w(box *b, size_t nb, double u, double v, size_t weight) {
  for (size_t i = 0; i < nb; i++)
    if (u >= b[i].u0 && u <= b[i].u1 && v >= b[i].v0 && v <= b[i].v1) b[i].hits += weight;
}

static void hit(box *b, size_t nb, double u, double v) { hit_w(b, nb, u, v, 1); }

/* Marks the segment (u0,v0)-(u1,v1) in the boxes by sampling it; text weighs more than a thin
 * line, so that a legend that must cover something covers a line rather than words. */
static void hit_segment_w(box *b, size_t nb, double u0, double v0, double u1, double v1, size_t weight) {
  enum { STEPS = 24 };
  for (int k = 0; k <= STEPS; k++) {
    double t = (double)k / STEPS;
    hit_w(b, nb, u0 + t * (u1 - u0), v0 + t * (v1 - v0), weight);
  }
}

static void hit_segment(box *b, size_t nb, double u0, double v0, double u1, double v1) {
  hit_segment_w(b, nb, u0, v0, u1, v1, 1);
}

/* Marks the boxes under a series' points, lines and text label, the part of the crowding test that
 * the legend and a vertical line's label share (a point weighs point_w; a character of text spans
 * char_u of the plot's width). Returns 0 for the kinds it leaves to the caller. */
static int hit_marks(const sf_panel *p, const frame *f, const sf_series *s, box *b, size_t nb, size_t point_w,
                     double char_u) {
  double u, v, u1, v1;
  switch (s->kind) {
  case SF_SERIES_POINTS:
    for (size_t r = 0; r < s->n; r++) {
      if (!sf_plot_row_ok(p, s->x[r], s->y[r])) continue;
      to_unit(f, s->x[r], s->y[r], &u, &v);
      hit_w(b, nb, u, v, point_w);
      /* an error bar is a line */
      if (s->lo && s->hi && isfinite(s->lo[r]) && isfinite(s->hi[r])) {
        double lo = p->y.log && !(s->lo[r] > 0) ? NAN : s->lo[r];
        to_unit(f, s->x[r], isfinite(lo) ? lo : (f->ylog ? pow(10, f->ylo) : f->ylo), &u, &v);
        to_unit(f, s->x[r], s->hi[r], &u1, &v1);
        hit_segment(b, nb, u, v, u1, v1);
      }
    }
    return 1;
  case SF_SERIES_LINE:
  case SF_SERIES_DASHED:
    for (size_t r = 0; r + 1 < s->n; r++) {
      if (!sf_plot_row_ok(p, s->x[r], s->y[r]) || !sf_plot_row_ok(p, s->x[r + 1], s->y[r + 1])) continue;
      to_unit(f, s->x[r], s->y[r], &u, &v);
      to_unit(f, s->x[r + 1], s->y[r + 1], &u1, &v1);
      hit_segment(b, nb, u, v, u1, v1);
    }
    if (s->n == 1 && sf_plot_row_ok(p, s->x[0], s->y[0])) {
      to_unit(f, s->x[0], s->y[0], &u, &v);
      hit(b, nb, u, v);
    }
    return 1;
  case SF_SERIES_LABEL: /* the text runs right of its anchor */
    if (!sf_plot_row_ok(p, s->x0, s->y0)) return 1;
    to_unit(f, s->x0, s->y0, &u, &v);
    hit_segment_w(b, nb, u, v, u + (double)strlen(s->title) * char_u, v, 8);
    return 1;
  default: return 0;
  }
}

/* The frame of p as drawn, with the y axis's top at ymax when that is finite (a lifted axis). */
static void frame_of(const sf_panel *p, double ymax, frame *f) {
  sf_panel q = *p;
  if (isfinite(ymax)) q.y.max = ymax;
  sf_plot_axis_range(&q, SF_AXIS_X, &f->xlo, &f->xhi);
  sf_plot_axis_range(&q, SF_AXIS_Y, &f->ylo, &f->yhi);
  f->xlog = p->x.log;
  f->ylog = p->y.log;
  if (f->xlog) f->xlo = log10(f->xlo), f->xhi = log10(f->xhi);
  if (f->ylog) f->ylo = log10(f->ylo), f->yhi = log10(f->yhi);
}

/* The filled area of a band: vertical strokes between lo and hi at every x. */
static void hit_band(const sf_panel *p, const frame *f, const sf_series *s, box *b, size_t nb) {
  for (size_t r = 0; r < s->n; r++) {
    double u, v, u1, v1;
    if (!sf_plot_row_ok(p, s->x[r], s->lo[r]) || !sf_plot_row_ok(p, s->x[r], s->hi[r])) continue;
    to_unit(f, s->x[r], s->lo[r], &u, &v);
    to_unit(f, s->x[r], s->hi[r], &u1, &v1);
    hit_segment(b, nb, u, v, u1, v1);
  }
}

/* The region s's visible part [u0, u1] of the plot's width. */
static void region_span(const sf_panel *p, const frame *f, const sf_series *s, double *u0, double *u1) {
  double x0 = p->x.log && !(s->x0 > 0) ? pow(10, f->xlo) : s->x0, v;
  to_unit(f, x0, f->ylog ? pow(10, f->ylo) : f->ylo, u0, &v);
  to_unit(f, s->x1, f->ylog ? pow(10, f->ylo) : f->ylo, u1, &v);
  if (*u0 < 0) *u0 = 0;
  if (*u1 > 1) *u1 = 1;
}

void sf_plot_region_label(const sf_panel *p, size_t i, double ymax, double plot_w, double plot_h, double font_px,
                          double *u, double *v) {
  const sf_series *me = p->series[i];
  *u = 0.5, *v = 0.96;
  if (me->kind != SF_SERIES_XREGION || !me->title[0] || (p->x.log && !(me->x1 > 0))) return;
  frame f;
  frame_of(p, ymax, &f);
  /* running text's width, not the legends' generous one: that one put the label's right end a tenth
   * of the plot short of where the clamp meant it */
  double em_v = font_px / plot_h, u0, u1;
  double half = 0.5 * (double)strlen(me->title) * SF_TEXT_W * font_px / plot_w;
  region_span(p, &f, me, &u0, &u1);
  double uc = u0 < u1 ? (u0 + u1) / 2 : u0;
  /* a marker line inside the region is its own (the inflection in its interval): centred on the
   * region the label had the line through its middle ("inflection, 95|% interval"), so it starts
   * half a font size right of the line, or ends as far left of it where the right has no room */
  for (size_t j = 0; j < p->nseries; j++) {
    const sf_series *s = p->series[j];
    if (s->kind != SF_SERIES_VLINE || s->x0 < me->x0 || s->x0 > me->x1 || (p->x.log && !(s->x0 > 0))) continue;
    double a, b, gap = 0.5 * font_px / plot_w;
    to_unit(&f, s->x0, f.ylog ? pow(10, f.ylo) : f.ylo, &a, &b);
    if (a < 0 || a > 1) continue;
    uc = a + gap + half <= 0.99 ? a + gap + half : a - gap - half;
    break;
  }
  /* inside the plot: a label wider than what is left of the region reaches back over its edge */
  if (uc + half > 0.99) uc = 0.99 - half;
  if (uc - half < 0.01) uc = 0.01 + half;
  if (2 * half > 0.98) uc = 0.5;
  *u = uc;
  enum { NC = 48 };
  box hard[NC], soft[NC];
  double vs[NC];
  size_t nc = 0;
  for (double t = 0.96; t > 0.03 && nc < NC; t -= 0.02) {
    vs[nc] = t;
    hard[nc] = soft[nc] = (box){uc - half, uc + half, t - 0.9 * em_v, t + 0.9 * em_v, 0}; /* with a margin */
    nc++;
  }
  for (size_t j = 0; j < p->nseries; j++) {
    const sf_series *s = p->series[j];
    if (j == i || hit_marks(p, &f, s, hard, nc, 16, SF_CHAR_W * font_px / plot_w)) continue;
    double a, b;
    if (s->kind == SF_SERIES_BAND) {
      hit_band(p, &f, s, soft, nc);
    } else if (s->kind == SF_SERIES_VLINE && !(p->x.log && !(s->x0 > 0))) {
      /* a marker inside the region is its own (the inflection in its interval): the label sits on it */
      if (s->x0 >= me->x0 && s->x0 <= me->x1) continue;
      to_unit(&f, s->x0, f.ylog ? pow(10, f.ylo) : f.ylo, &a, &b);
      hit_segment(hard, nc, a, 0, a, 1);
    } else if (s->kind == SF_SERIES_XREGION && j < i && s->title[0] && !(p->x.log && !(s->x1 > 0))) {
      sf_plot_region_label(p, j, ymax, plot_w, plot_h, font_px, &a, &b);
      double h = 0.5 * (double)strlen(s->title) * SF_TEXT_W * font_px / plot_w;
      for (int k = -1; k <= 1; k++) hit_segment_w(hard, nc, a - h, b + 0.6 * k * em_v, a + h, b + 0.6 * k * em_v, 8);
    }
  }
  size_t best = 0, clear = nc;
  for (size_t k = 0; k < nc; k++) {
    if (hard[k].hits == 0 && soft[k].hits == 0) {
      *v = vs[k];
      return;
    }
    if (hard[k].hits == 0 && clear == nc) clear = k;
    if (hard[k].hits < hard[best].hits) best = k;
  }
  *v = vs[clear < nc ? clear : best];
}

void sf_plot_vline_label(const sf_panel *p, size_t i, double ymax, double plot_w, double plot_h, double font_px,
                         double *v1, int *right) {
  const sf_series *me = p->series[i];
  *v1 = 0.98, *right = 0;
  if (!me->title[0] || (p->x.log && !(me->x0 > 0))) return;
  frame f;
  frame_of(p, ymax, &f);
  double em_u = font_px / plot_w, em_v = font_px / plot_h, u, v;
  double len = (double)strlen(me->title) * SF_CHAR_W * font_px / plot_h;
  to_unit(&f, me->x0, f.ylog ? pow(10, f.ylo) : f.ylo, &u, &v);
  /* candidates: from the top (the usual place), from the bottom, then sliding down from the top;
   * each on the line's left, then its right. The first that covers nothing wins, else the least
   * covering one: points weigh most (a word over a run hides it), other labels next, lines least. */
  enum { NC = 64 };
  box b[NC];
  double top[NC];
  int side[NC];
  size_t nc = 0;
  double tops[NC / 2];
  size_t nt = 0;
  tops[nt++] = 0.98;
  if (len + 0.03 < 0.98) tops[nt++] = len + 0.03;
  for (double t = 0.94; t - len > 0.03 && nt < NC / 2; t -= 0.02) tops[nt++] = t;
  for (size_t k = 0; k < nt; k++)
    for (int r = 0; r < 2; r++) {
      top[nc] = tops[k], side[nc] = r;
      b[nc] = (box){r ? u - 0.3 * em_u : u - 2.0 * em_u, r ? u + 2.0 * em_u : u + 0.3 * em_u, tops[k] - len - 0.02,
                    tops[k] + 0.02, 0};
      nc++;
    }
  for (size_t j = 0; j < p->nseries; j++) {
    const sf_series *s = p->series[j];
    if (hit_marks(p, &f, s, b, nc, 16, SF_CHAR_W * font_px / plot_w)) continue;
    /* a region's label, where the renderer puts it */
    if (s->kind != SF_SERIES_XREGION || !s->title[0] || (p->x.log && !(s->x1 > 0))) continue;
    double u0, v0;
    sf_plot_region_label(p, j, ymax, plot_w, plot_h, font_px, &u0, &v0);
    double half = 0.5 * (double)strlen(s->title) * SF_CHAR_W * font_px / plot_w;
    for (int k = -1; k <= 1; k++) hit_segment_w(b, nc, u0 - half, v0 + 0.9 * k * em_v, u0 + half, v0 + 0.9 * k * em_v, 8);
  }
  size_t best = 0;
  for (size_t k = 0; k < nc; k++) {
    if (b[k].hits == 0) {
      best = k;
      break;
    }
    if (b[k].hits < b[best].hits) best = k;
  }
  *v1 = top[best], *right = side[best];
}

/* The legend box's width and height as shares of the plot area: a sample of about 4 characters,
 * the text, margins; rows 1.25 lines high. */
static void legend_box(size_t rows, size_t maxlen, double plot_w, double plot_h, double font_px, double *bw,
                       double *bh) {
  double char_w = SF_CHAR_W * font_px, line_h = SF_LINE_H * font_px;
  *bw = ((double)maxlen + 7) * char_w / plot_w;
  *bh = ((double)rows + 0.6) * line_h / plot_h;
}

sf_legend_pos sf_plot_legend_place(const sf_panel *p, double plot_w, double plot_h, double font_px,
                                   int may_go_outside) {
  size_t maxlen;
  size_t n = sf_plot_legend_entries(p, &maxlen);
  if (p->legend == SF_LEGEND_NONE || n == 0) return SF_LEGEND_NONE;
  if (p->legend != SF_LEGEND_AUTO) return p->legend;

  int has_cb = 0;
  for (size_t i = 0; i < p->nseries; i++)
    if (p->series[i]->z) has_cb = 1;

  double char_w = SF_CHAR_W * font_px, line_h = SF_LINE_H * font_px, bw, bh;
  legend_box(n, maxlen, plot_w, plot_h, font_px, &bw, &bh);
  if (bw < 0.9 && bh < 0.9) {
    frame f;
    frame_of(p, NAN, &f);
    /* a small margin around the box: a point just outside it still crowds it */
    double m = 0.015;
    box b[4] = {
        {1 - bw - m, 1.01, 1 - bh - m, 1.01, 0}, /* top right */
        {-0.01, bw + m, 1 - bh - m, 1.01, 0},    /* top left */
        {-0.01, bw + m, -0.01, bh + m, 0},       /* bottom left */
        {1 - bw - m, 1.01, -0.01, bh + m, 0},    /* bottom right */
    };
    static const sf_legend_pos pos[4] = {SF_LEGEND_TOP_RIGHT, SF_LEGEND_TOP_LEFT, SF_LEGEND_BOTTOM_LEFT,
                                         SF_LEGEND_BOTTOM_RIGHT};
    for (size_t i = 0; i < p->nseries; i++) {
      const sf_series *s = p->series[i];
      double u, v;
      if (hit_marks(p, &f, s, b, 4, 1, char_w / plot_w)) continue;
      switch (s->kind) {
      case SF_SERIES_BAND: hit_band(p, &f, s, b, 4); break;
      case SF_SERIES_VLINE:
        if (p->x.log && !(s->x0 > 0)) break;
        to_unit(&f, s->x0, f.ylog ? pow(10, f.ylo) : f.ylo, &u, &v);
        hit_segment(b, 4, u, 0, u, 1);
        /* its label runs down from where sf_plot_vline_label puts it, beside the line */
        if (s->title[0]) {
          double top;
          int right;
          sf_plot_vline_label(p, i, NAN, plot_w, plot_h, font_px, &top, &right);
          double lu = u + (right ? 0.5 : -0.5) * line_h / plot_w;
          hit_segment_w(b, 4, lu, top, lu, top - (double)strlen(s->title) * char_w / plot_h, 8);
        }
        break;
      case SF_SERIES_XREGION:
        /* a light shade behind the legend is fine, its label (where sf_plot_region_label puts it) is not */
        if (!s->title[0] || (p->x.log && !(s->x1 > 0))) break;
        {
          double half = 0.5 * (double)strlen(s->title) * char_w / plot_w;
          sf_plot_region_label(p, i, NAN, plot_w, plot_h, font_px, &u, &v);
          hit_segment_w(b, 4, u - half, v, u + half, v, 8);
        }
        break;
      default: break;
      }
    }
    size_t best = 0;
    for (size_t k = 0; k < 4; k++) {
      if (b[k].hits == 0) return pos[k];
      if (b[k].hits < b[best].hits) best = k;
    }
    /* side by side panels keep their sizes equal: the least crowded corner */
    if (!may_go_outside) return pos[best];
  }
  /* no empty corner: outside, right if the entries are short, fit in one column and no colour
   * bar is there; else below, in as many columns as fit */
  if (!has_cb && bw < 0.3 && bh < 0.95) return SF_LEGEND_OUTSIDE_RIGHT;
  return SF_LEGEND_BELOW;
}

double sf_plot_legend_top(const sf_panel *p, sf_legend_pos pos, double plot_w, double plot_h, double font_px) {
  if (pos != SF_LEGEND_TOP_LEFT && pos != SF_LEGEND_TOP_RIGHT) return NAN;
  if (isfinite(p->y.max)) return NAN;
  size_t maxlen, n = sf_plot_legend_entries(p, &maxlen);
  if (n == 0) return NAN;
  double m = 0.015, bw, bh;
  legend_box(n, maxlen, plot_w, plot_h, font_px, &bw, &bh);
  double room = 1 - bh - 2 * m; /* the share of the height left below the box */
  if (room < 1.0 / 3 || bw > 0.9) return NAN;
  double u0 = pos == SF_LEGEND_TOP_LEFT ? -0.01 : 1 - bw - m, u1 = pos == SF_LEGEND_TOP_LEFT ? bw + m : 1.01;
  frame f;
  frame_of(p, NAN, &f);
  /* the highest sample under the box's width */
  double vmax = -INFINITY;
  for (size_t i = 0; i < p->nseries; i++) {
    const sf_series *s = p->series[i];
    if (s->kind != SF_SERIES_POINTS && s->kind != SF_SERIES_LINE && s->kind != SF_SERIES_DASHED &&
        s->kind != SF_SERIES_BAND)
      continue;
    for (size_t r = 0; r < s->n; r++) {
      double y = s->kind == SF_SERIES_BAND ? s->hi[r] : s->y[r], u, v;
      if (!sf_plot_row_ok(p, s->x[r], y)) continue;
      to_unit(&f, s->x[r], y, &u, &v);
      if (u >= u0 && u <= u1 && v > vmax) vmax = v;
    }
  }
  if (!(vmax > room)) return NAN;
  /* stretch the axis so that vmax lands at `room`: its bottom stays, its top rises */
  double top = f.ylo + vmax * (f.yhi - f.ylo) / room;
  return f.ylog ? pow(10, top) : top;
}

/* ---------------------------------------------------------------- text */

static size_t utf8_chars(const char *s, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
  return k;
}

/* The word at s, n bytes, taken on to the end of the word that closes a parenthesis it opens, when
 * that comes before the end of the line and the whole fits on a line of max_chars: a count in
 * parentheses, "(1 run)", broken across two lines read as "(1" and "run)" (the isoflop chart's
 * subtitle at 1920 px). Spaces inside stay as they are. */
static size_t with_group(const char *s, size_t n, size_t max_chars) {
  int depth = 0;
  for (size_t i = 0; i < n; i++) depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
  if (depth <= 0) return n;
  for (size_t i = n; s[i] && s[i] != '\n' && s[i] != '\r'; i++) {
    depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
    if (depth > 0) continue;
    size_t end = i + 1 + strcspn(s + i + 1, " \t\n\r");
    return utf8_chars(s, end) <= max_chars ? end : n;
  }
  return n;
}

/* The words at s that go on one line when they fit: a word with its group (with_group), and the
 * words of "C = 1.3e+22 (1 run)" held together: a word and the group after it, either side of an
 * "=". Broken apart, "(1 run)" began a line of its own and "C =" ended one (the isoflop subtitle
 * at 1900 px). */
static size_t unit_len(const char *s, size_t max_chars) {
  size_t n = with_group(s, strcspn(s, " \t\n\r"), max_chars);
  for (;;) {
    size_t gap = strspn(s + n, " \t");
    const char *next = s + n + gap;
    if (!gap || !*next || *next == '\n' || *next == '\r') return n;
    int glue = *next == '(' || s[n - 1] == '=' || (*next == '=' && (next[1] == ' ' || next[1] == '\t'));
    if (!glue) return n;
    size_t end = (size_t)(next - s) + with_group(next, strcspn(next, " \t\n\r"), max_chars);
    if (utf8_chars(s, end) > max_chars) return n;
    n = end;
  }
}

size_t sf_plot_wrap(const char *text, size_t max_chars, sf_buf *out) {
  size_t lines = 1, line = 0; /* characters on the current line */
  for (const char *s = text ? text : "";;) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (!*s) break;
    size_t n = unit_len(s, max_chars), w = utf8_chars(s, n);
    if (line && line + 1 + w > max_chars) {
      sf_buf_addc(out, '\n');
      lines++, line = 0;
    } else if (line) {
      sf_buf_addc(out, ' ');
      line++;
    }
    sf_buf_addn(out, s, n);
    line += w, s += n;
  }
  return lines;
}

size_t sf_plot_legend_cap(double plot_w, double font_px) {
  /* a column of a legend below the plot: sample, gap and text at 0.75 font sizes a character
   * (as key_grid in gnuplot.c counts), across 92% of the plot's width */
  double k = 0.92 * plot_w / (0.75 * font_px) - 8;
  return k < 12 ? 12 : (size_t)k;
}

/* A character of a number as legends write them: digits and the decimal point. */
static int num_char(char c) { return (c >= '0' && c <= '9') || c == '.'; }

size_t sf_plot_shorten(const char *text, size_t max_chars, sf_buf *out) {
  const char *s = text ? text : "";
  size_t len = strlen(s), chars = utf8_chars(s, len);
  if (chars <= max_chars || max_chars < 3) {
    sf_buf_add(out, s);
    return chars;
  }
  /* the first and the last characters, the ellipsis between: sweeps' names share long starts
   * and differ at their ends (_v1, _seed3) */
  size_t keep = max_chars - 1, head = (keep + 1) / 2, tail = keep - head, i = 0, j = len;
  for (size_t k = 0; k < head; k++)
    do i++; while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80);
  for (size_t k = 0; k < tail; k++)
    do j--; while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80);
  /* no number cut by the ellipsis: "(AICc -…1.5, better growth law)" read as a value, where
   * the entry said -521.5; the number goes whole, on the side it was cut */
  while (i > 0 && i < len && num_char(s[i]) && (num_char(s[i - 1]) || s[i - 1] == '-')) i--;
  while (j > 0 && j < len && num_char(s[j - 1]) && num_char(s[j])) j++;
  /* no space or underscore next to the ellipsis: it reads as part of neither word */
  while (i > 1 && (s[i - 1] == ' ' || s[i - 1] == '_')) i--;
  while (j + 1 < len && (s[j] == ' ' || s[j] == '_')) j++;
  sf_buf_addn(out, s, i);
  sf_buf_add(out, "\xe2\x80\xa6"); /* U+2026 HORIZONTAL ELLIPSIS */
  sf_buf_add(out, s + j);
  return utf8_chars(s, i) + 1 + utf8_chars(s + j, len - j);
}

/* The byte offset of character k (UTF-8) of s, len bytes long. */
static size_t char_offset(const char *s, size_t len, size_t k) {
  size_t i = 0;
  for (; k && i < len; k--)
    do i++; while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80);
  return i;
}

size_t sf_plot_shorten_around(const char *text, size_t max_chars, size_t at, sf_buf *out) {
  const char *s = text ? text : "";
  size_t len = strlen(s), n = utf8_chars(s, len);
  if (n <= max_chars || max_chars < 12 || at >= n) return sf_plot_shorten(text, max_chars, out);
  /* a third of the room shows where the names differ: from the word before character `at` (a
   * word starts after _ - space / .), as "lr_3e-4" for a difference at its 3 */
  size_t room = max_chars - 2, wl = room / 3, h = room / 3, t = room - wl - h;
  size_t a = at > wl / 3 ? at - wl / 3 : 0;
  for (size_t k = a > 0 ? a : 1; k <= at; k++) {
    char c = s[char_offset(s, len, k - 1)];
    if (c == '_' || c == '-' || c == ' ' || c == '/' || c == '.') {
      a = k;
      break;
    }
  }
  /* pieces [0, k0) … [k1, k2) … [k3, n): one ellipsis where the window joins the start or the end */
  size_t k0, k1, k2, k3;
  if (a + wl + 1 + room / 3 <= max_chars) { /* the start runs on through the window */
    k0 = k1 = k2 = a + wl;
    k3 = n - (max_chars - 1 - k0);
  } else if ((n - a) + 1 + room / 3 <= max_chars) { /* the window runs on to the end */
    k3 = k1 = k2 = a;
    k0 = max_chars - 1 - (n - a);
  } else {
    k0 = h, k1 = a, k2 = a + wl, k3 = n - t;
  }
  size_t b0 = char_offset(s, len, k0), b1 = char_offset(s, len, k1), b2 = char_offset(s, len, k2),
         b3 = char_offset(s, len, k3);
  sf_buf_addn(out, s, b0);
  sf_buf_add(out, "\xe2\x80\xa6");
  if (k1 < k2) {
    sf_buf_addn(out, s + b1, b2 - b1);
    sf_buf_add(out, "\xe2\x80\xa6");
  }
  sf_buf_add(out, s + b3);
  return k0 + 1 + (k1 < k2 ? k2 - k1 + 1 : 0) + (n - k3);
}

void sf_plot_quote(sf_buf *b, const char *text) {
  sf_buf_addc(b, '\'');
  for (const char *c = text ? text : ""; *c; c++) {
    switch (*c) {
    case '\'': sf_buf_add(b, "''"); break;
    case '\n':
    case '\r':
    case '\t': sf_buf_addc(b, ' '); break;
    case '^': case '_': case '@': case '&': case '~': case '{': case '}': case '\\':
      /* in a single-quoted string the backslash reaches the enhanced-text parser, which then
       * prints the next character as itself */
      sf_buf_addc(b, '\\');
      sf_buf_addc(b, *c);
      break;
    default: sf_buf_addc(b, *c);
    }
  }
  sf_buf_addc(b, '\'');
}

void sf_plot_quote_axis(sf_buf *b, const sf_axis *a) {
  sf_buf s;
  sf_buf_init(&s);
  sf_buf_add(&s, a->label ? a->label : "");
  if (a->unit && a->unit[0]) sf_buf_printf(&s, " (%s)", a->unit);
  sf_plot_quote(b, sf_buf_str(&s));
  if (s.oom) b->oom = 1;
  sf_buf_free(&s);
}
