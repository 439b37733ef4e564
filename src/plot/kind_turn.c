/* kind_turn.c: the `turn` chart, a capability against compute with the two growth laws and the
 * sigmoid of a turn analysis (sf_turn), the inflection and where the extrapolations part ways.
 *
 * The analysis is done by the forecast stage; this only draws its result: the three laws are
 * evaluated with their fitted parameters (sf_forecast_eval on the catalogue laws loglinear, power0
 * and sigmoid), the inflection's bootstrap interval is a shaded x-region, and the region beyond
 * res->diverge_x (where the best growth law and the sigmoid differ by more than the tolerance)
 * another. The verdict becomes the subtitle. The y axis is linear: accuracies are fractions.
 *
 * Bands: sf_turn reports parameters, not their uncertainty, so the bands come from refits of the
 * same analysis on resampled runs, made and turned into percentile intervals of the refitted
 * curves by the forecast stage (sf_turn_resample, sf_turn_band); this file only draws them.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

enum { TURN_POINTS = 120, TURN_NARROW_PX = 700 };

static const char *const catalogue_names[SF_TURN_NLAWS] = {"loglinear", "power0", "sigmoid"};
static const char *const legend_names[SF_TURN_NLAWS] = {"log-linear growth", "power-law growth", "sigmoid"};

/* The x in [a, b] where the law crosses bound (its value fa at a on one side of bound, at b on the
 * other), by bisection in log x: where a line is cut at the plot's edge it ends on the edge. */
static double crossing(const sf_law *law, const double *params, double a, double fa, double b, double bound) {
  double la = log(a), lb = log(b);
  int below = fa < bound;
  for (int it = 0; it < 60; it++) {
    double lm = 0.5 * (la + lb), xm = exp(lm), fm;
    if (sf_forecast_eval(law, params, &xm, &fm, NULL) != SF_OK) {
      sf_error_clear();
      break;
    }
    if ((fm < bound) == below) la = lm;
    else lb = lm;
  }
  return exp(0.5 * (la + lb));
}

/* One part of a law's grid (n points) cut to [lo, hi]: the stretches inside, each ended exactly
 * where the law leaves the range, appended to bx/by (one per stretch: start[], len[], *ns). */
static void clip_part(const sf_law *law, const double *params, size_t n, const double *x, const double *y, double lo,
                      double hi, double *bx, double *by, size_t *nb, size_t *start, size_t *len, size_t *ns) {
  size_t m = 0, s0 = *nb;
  int open = 0;
#define SF_PUT(X, Y) (bx[*nb] = (X), by[*nb] = (Y), ++*nb, ++m)
#define SF_CLOSE()                                                                                                     \
  do {                                                                                                                 \
    if (open && m >= 2) start[*ns] = s0, len[*ns] = m, ++*ns;                                                          \
    else *nb = s0;                                                                                                     \
    open = 0, m = 0, s0 = *nb;                                                                                         \
  } while (0)
  for (size_t i = 0; i < n; i++) {
    int in = y[i] >= lo && y[i] <= hi; /* a NaN is out: the line breaks there */
    if (i > 0 && isfinite(y[i - 1]) && isfinite(y[i])) {
      int was = y[i - 1] >= lo && y[i - 1] <= hi;
      if (!was) {
        /* entering (or crossing the whole range in one step): from the edge it comes through */
        double eb = y[i - 1] > hi ? hi : lo;
        if (in || (y[i] > hi) != (y[i - 1] > hi)) {
          SF_CLOSE();
          open = 1;
          SF_PUT(crossing(law, params, x[i - 1], y[i - 1], x[i], eb), eb);
        }
        if (!in && open) {
          double ee = y[i] > hi ? hi : lo;
          SF_PUT(crossing(law, params, x[i - 1], y[i - 1], x[i], ee), ee);
          SF_CLOSE();
        }
      } else if (!in) {
        double ee = y[i] > hi ? hi : lo;
        SF_PUT(crossing(law, params, x[i - 1], y[i - 1], x[i], ee), ee);
        SF_CLOSE();
      }
    }
    if (in) {
      if (!open) {
        SF_CLOSE();
        open = 1;
      }
      SF_PUT(x[i], y[i]);
    } else if (!isfinite(y[i])) {
      SF_CLOSE();
    }
  }
  SF_CLOSE();
#undef SF_PUT
#undef SF_CLOSE
}

int sf_plot_turn(const double *x, const double *y, size_t n, const char *xname, const char *yname,
                 const sf_turn_result *res, const sf_turn_opts *to, const double *boot, size_t nboot,
                 const sf_plot_opts *o, sf_chart **out) {
  sf_plot_opts defaults;
  if (!o) {
    sf_plot_opts_init(&defaults);
    o = &defaults;
  }
  *out = NULL;
  if (n == 0) return sf_fail(SF_EUSAGE, "turn chart: no runs");
  /* the title in words: the metric as the user named it, the run store's columns as what they are */
  const char *xwords = !strcmp(xname, "C") ? "training compute" : !strcmp(xname, "N") ? "model size"
                       : !strcmp(xname, "D")                   ? "training data"
                                                               : xname;
  char title[200];
  snprintf(title, sizeof title, "Does the growth of %s with %s turn into a sigmoid?", yname, xwords);
  sf_chart *c = sf_chart_new(o->title ? o->title : title);
  if (!c) return sf_errcode();
  if (o->width > 0) c->width = o->width;
  if (o->height > 0) c->height = o->height;
  sf_panel *p = sf_chart_add_panel(c, "");
  int rc = p ? SF_OK : sf_errcode();
  if (!rc) rc = sf_plot_column_axis(&p->x, xname, strcmp(xname, "C") == 0 ? "FLOP" : "", 1);
  if (!rc) rc = sf_plot_column_axis(&p->y, yname, "", 0);
  if (rc) goto fail;
  p->y.min = to ? to->chance - 0.05 * (to->max - to->chance) : NAN;
  p->y.max = to ? to->max : NAN;
  if (p->y.min < 0) p->y.min = 0;

  double xmin = INFINITY, xmax = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (x[i] < xmin) xmin = x[i];
    if (x[i] > xmax) xmax = x[i];
  }
  double xend = o->extrapolate_to > 0 ? o->extrapolate_to : 10 * xmax, xbeg = xmin / 2;
  if (isfinite(res->diverge_x) && res->diverge_x * 3 > xend) xend = res->diverge_x * 3;

  /* shaded regions first: they sit behind everything. The inflection's interval is labelled for
   * both (the line at its centre then goes bare): a label of the line's own ran down from under
   * the region's, and the two read as one caption. */
  int shaded = res->inflection_identified && isfinite(res->inflection_lo) && res->inflection_hi > res->inflection_lo;
  /* on a narrow chart the regions' labels, a third of the plot wide, find no place clear of the
   * runs, laws and bands (at 500 px both sat on them): they go to the legend, saying which shade */
  int narrow = c->width < TURN_NARROW_PX;
  char rl[80], il[120] = "", dl[120] = "";
  if (shaded) {
    snprintf(rl, sizeof rl, "inflection, %g%% interval", 100 * (to ? to->level : 0.95));
    if (narrow) snprintf(il, sizeof il, "inflection (dotted), %g%% interval (shaded)", 100 * (to ? to->level : 0.95));
    if (!sf_panel_add_xregion(p, narrow ? "" : rl, res->inflection_lo, res->inflection_hi)) goto fail_errcode;
  }
  if (isfinite(res->diverge_x)) {
    /* beyond diverge_x the better growth law and the sigmoid forecast values more than tol apart */
    if (to) snprintf(rl, sizeof rl, "laws differ by > %g", to->tol);
    else snprintf(rl, sizeof rl, "laws differ");
    if (narrow) snprintf(dl, sizeof dl, "%s (shaded, right)", rl); /* the region runs to the right edge */
    if (!sf_panel_add_xregion(p, narrow ? "" : rl, res->diverge_x, xend)) goto fail_errcode;
  }
  sf_series *s = sf_panel_add_points(p, "models", n, x, y);
  if (!s) goto fail_errcode;
  s->color = sf_color_with_shape(6, 0); /* black, as a filled circle */

  /* the grid: TURN_POINTS log-spaced from xbeg to xend, with the smallest and the largest run's x
   * as points of their own, so that the solid part of each law ends exactly at the data */
  double cx[TURN_POINTS + 2], cy[TURN_POINTS + 2];
  size_t k = 0;
  for (size_t i = 0; i < TURN_POINTS; i++)
    cx[k++] = pow(10, log10(xbeg) + (log10(xend) - log10(xbeg)) * (double)i / (TURN_POINTS - 1));
  const double ends[2] = {xmin, xmax};
  for (int e = 0; e < 2; e++) {
    if (!(ends[e] > xbeg && ends[e] < xend)) continue;
    size_t at = 0;
    while (at < k && cx[at] < ends[e]) at++;
    if (at < k && cx[at] == ends[e]) continue;
    memmove(cx + at + 1, cx + at, (k - at) * sizeof *cx);
    cx[at] = ends[e];
    k++;
  }
  /* the data's stretch of the grid: [i0, i1], drawn solid; below and beyond it dashed */
  size_t i0 = 0, i1 = k;
  while (i0 < k && cx[i0] < xmin) i0++;
  while (i1 > 0 && cx[i1 - 1] > xmax) i1--;
  const int law_color[SF_TURN_NLAWS] = {0, 4, 1}; /* blue, orange, vermillion */
  int any_dashed = 0; /* a law drawn below or beyond the runs: the legend says what the dashes mean */
  for (int l = 0; l < SF_TURN_NLAWS; l++) {
    const sf_turn_law *L = &res->law[l];
    const sf_law *law = sf_law_find(catalogue_names[l]);
    if (!L->ok || !law) continue;
    for (size_t i = 0; i < k; i++) {
      double xi = cx[i], f;
      if (sf_forecast_eval(law, L->params, &xi, &f, NULL) != SF_OK) {
        sf_error_clear();
        f = NAN;
      }
      cy[i] = f;
    }
    if (boot && nboot >= 2 && (l == SF_TURN_SIGMOID || l == res->best_growth)) {
      double lo[TURN_POINTS + 2], hi[TURN_POINTS + 2], level = to ? to->level : 0.95;
      if (sf_turn_band(l, boot, nboot, level, cx, k, lo, hi) == SF_OK) {
        /* held to the plot's [chance, max] as the lines are: the part beyond is off the chart */
        if (to)
          for (size_t i = 0; i < k; i++) {
            lo[i] = fmin(fmax(lo[i], to->chance), to->max);
            hi[i] = fmin(fmax(hi[i], to->chance), to->max);
          }
        char bl[120];
        snprintf(bl, sizeof bl, "%s, %g%% band", legend_names[l], 100 * level);
        if (!(s = sf_panel_add_band(p, bl, k, cx, lo, hi))) goto fail_errcode;
        s->color = law_color[l];
      } else {
        sf_error_clear();
      }
    }
    char label[160];
    snprintf(label, sizeof label, "%s (AICc %.1f%s)", legend_names[l], L->aicc,
             l != SF_TURN_SIGMOID && l == res->best_growth ? ", better growth law" : "");
    /* below the smallest run and beyond the largest the laws are extrapolations: dashed. Each part
     * is cut to [chance, max] (0 without options), ending where the law leaves it: a growth law
     * ran on through the top of the plot. The label goes to the solid part's first stretch (the
     * first stretch drawn where the data's stretch has none) */
    double bx[3 * 3 * (TURN_POINTS + 2)], by[3 * 3 * (TURN_POINTS + 2)];
    size_t nb = 0, st[3 * (TURN_POINTS + 2)], ln[3 * (TURN_POINTS + 2)], ns = 0, first_solid = (size_t)-1;
    int dashed[3 * (TURN_POINTS + 2)];
    const double ylo = to ? to->chance : 0, yhi = to ? to->max : INFINITY;
    int solid = i1 > i0 + 1;
    const size_t from[3] = {0, i0, i1 ? i1 - 1 : 0}, to_[3] = {i0 + 1, i1, k};
    for (int part = 0; part < 3; part++) {
      size_t a = from[part], b = to_[part] < k ? to_[part] : k, ns0 = ns;
      if (part == 0 && !(i0 > 0)) continue; /* nothing below the data */
      if (part == 1 && !solid) continue;
      if (part == 2 && !(i1 < k)) continue; /* nothing beyond it */
      if (b < a + 2) continue;
      clip_part(law, L->params, b - a, cx + a, cy + a, ylo, yhi, bx, by, &nb, st, ln, &ns);
      for (size_t j = ns0; j < ns; j++) dashed[j] = part != 1;
      if (part == 1 && ns > ns0) first_solid = ns0;
    }
    for (size_t j = 0; j < ns; j++) {
      int lab = first_solid != (size_t)-1 ? j == first_solid : j == 0;
      if (!(s = sf_panel_add_line(p, lab ? label : "", ln[j], bx + st[j], by + st[j], dashed[j]))) goto fail_errcode;
      s->color = law_color[l];
      any_dashed |= dashed[j];
    }
  }
  /* the laws' own entries show them solid; dashed, they are extrapolations, which a reader of the
   * chart alone could not tell (the scaling chart's fit has its "extrapolation" entry) */
  if (any_dashed) {
    if (!(s = sf_panel_add_key(p, "dashed: the laws outside the models' range", 1))) goto fail_errcode;
    s->color = 6;
  }
  if (to) {
    double hx[2] = {xbeg, xend}, hy[2] = {to->chance, to->chance};
    char cl[64];
    snprintf(cl, sizeof cl, "chance (%g)", to->chance);
    if (!(s = sf_panel_add_line(p, cl, 2, hx, hy, 1))) goto fail_errcode;
    s->color = 6;
    s->size = 0.5;
  }
  if (res->inflection_identified && isfinite(res->inflection)) {
    if (!sf_panel_add_vline(p, shaded ? "" : "inflection", res->inflection)) goto fail_errcode;
  }
  if ((il[0] && !sf_panel_add_key_shade(p, il)) || (dl[0] && !sf_panel_add_key_shade(p, dl))) goto fail_errcode;
  char sub[320];
  /* the chart's form of the verdict (the text output keeps the full one): a subtitle of 3 lines
   * squeezed the plot */
  snprintf(sub, sizeof sub, "%s", res->verdict_chart[0] ? res->verdict_chart : res->verdict);
  (void)nboot;
  if ((rc = sf_chart_set_subtitle(c, sub))) goto fail;
  *out = c;
  return SF_OK;
fail_errcode:
  rc = sf_errcode();
fail:
  sf_chart_free(c);
  return rc;
}
