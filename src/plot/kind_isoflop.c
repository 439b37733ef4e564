/* kind_isoflop.c: the `isoflop` chart, loss against model size for runs binned by compute, with
 * each bin's parabola in log10 N and its minimum (Hoffmann et al.'s approach 2).
 *
 * The parabola is the chart's own summary of a bin (three coefficients by least squares), not a
 * scaling law, so it is fitted here. A bin whose parabola opens downwards, or whose vertex lies
 * outside the model sizes the bin actually trained, has no interior minimum: its optimum is not
 * observed, and it is named in the subtitle instead of being drawn as a minimum (peers' users ask
 * for exactly this refusal). A bin with fewer than 3 model sizes (a budget with a single run) gets
 * no parabola: its runs are drawn and the subtitle says it was skipped.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

enum { PARABOLA_POINTS = 60 };

typedef struct run_pt {
  double lc, u, y, n;
  size_t row; /* in the table: to name the runs left out */
} run_pt;

static int by_lc(const void *a, const void *b) {
  double x = ((const run_pt *)a)->lc, y = ((const run_pt *)b)->lc;
  return (x > y) - (x < y);
}

/* Least squares y = a + b u + c u^2 over pts (centred on their mean u for conditioning).
 * Returns 0 when fewer than 3 distinct u or the normal equations are singular. */
static int parabola(const run_pt *pts, size_t n, double *a, double *b, double *c) {
  double um = 0;
  for (size_t i = 0; i < n; i++) um += pts[i].u;
  um /= (double)n;
  size_t distinct = 0;
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    while (j < i && fabs(pts[j].u - pts[i].u) > 1e-9) j++;
    distinct += j == i;
  }
  if (distinct < 3) return 0;
  double S[5] = {0}, T[3] = {0};
  for (size_t i = 0; i < n; i++) {
    double v = pts[i].u - um, p = 1;
    for (int k = 0; k < 5; k++) S[k] += p, p *= v;
    T[0] += pts[i].y, T[1] += pts[i].y * v, T[2] += pts[i].y * v * v;
  }
  /* [S0 S1 S2; S1 S2 S3; S2 S3 S4] [a b c]' = T, by Cramer's rule */
  double M[3][3] = {{S[0], S[1], S[2]}, {S[1], S[2], S[3]}, {S[2], S[3], S[4]}};
#define DET3(m) \
  (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + \
   m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]))
  double det = DET3(M);
  if (!(fabs(det) > 1e-12 * fabs(S[0] * S[2] * S[4]))) return 0;
  double r[3];
  for (int k = 0; k < 3; k++) {
    double Mk[3][3];
    memcpy(Mk, M, sizeof Mk);
    for (int i = 0; i < 3; i++) Mk[i][k] = T[i];
    r[k] = DET3(Mk) / det;
  }
#undef DET3
  /* back from v = u - um to u */
  *c = r[2];
  *b = r[1] - 2 * r[2] * um;
  *a = r[0] - r[1] * um + r[2] * um * um;
  return 1;
}

/* Colours series s (n rows) of p by the constant compute C on p's log colour bar. */
static int colour_by_c(sf_panel *p, sf_series *s, double C, size_t n) {
  double *z = malloc((n ? n : 1) * sizeof *z);
  if (!z) return sf_fail(SF_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) z[i] = C;
  int rc = sf_series_color_by(p, s, z, "Training compute C", "FLOP", 1);
  free(z);
  return rc;
}

int sf_plot_isoflop(const sf_table *t, const sf_plot_opts *o, sf_chart **out, sf_isoflop_result *res) {
  sf_plot_opts defaults;
  if (!o) {
    sf_plot_opts_init(&defaults);
    o = &defaults;
  }
  *out = NULL;
  const char *yname = o->y ? o->y : "loss";
  int cc = sf_plot_find_column(t, "C"), nc = sf_plot_find_column(t, "N"), yc = sf_plot_find_column(t, yname);
  if (cc < 0) return sf_plot_missing_column(t, "C", 0);
  if (nc < 0) return sf_plot_missing_column(t, "N", 0);
  if (yc < 0) return sf_plot_missing_column(t, yname, 0);
  for (size_t k = 1; k < o->nedges; k++)
    if (!(o->edges[k] > o->edges[k - 1] && o->edges[k - 1] > 0))
      return sf_fail(SF_EUSAGE, "isoflop bin edges must be positive and increasing");
  if (o->edges && (o->nedges < 2 || o->nedges - 1 > SF_ISOFLOP_MAXBINS))
    return sf_fail(SF_EUSAGE, "isoflop: give 2 to %d bin edges", SF_ISOFLOP_MAXBINS + 1);
  if (o->bins > SF_ISOFLOP_MAXBINS) return sf_fail(SF_EUSAGE, "isoflop: at most %d bins", SF_ISOFLOP_MAXBINS);

  run_pt *pts = malloc((t->nrows + 1) * sizeof *pts);
  size_t *bin_of = malloc((t->nrows + 1) * sizeof *bin_of);
  sf_isoflop_result R;
  memset(&R, 0, sizeof R);
  sf_chart *c = NULL;
  int rc = SF_OK;
  if (!pts || !bin_of) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  size_t n = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    double C = t->cols[cc].v[r], N = t->cols[nc].v[r], y = t->cols[yc].v[r];
    if (!(C > 0 && N > 0 && isfinite(y) && (o->linear_y || y > 0))) continue;
    pts[n++] = (run_pt){log10(C), log10(N), y, N, r};
  }
  if (n == 0) {
    rc = sf_fail(SF_EINPUT, "no run in table '%s' has C, N and '%s'", t->name ? t->name : "", yname);
    goto done;
  }
  qsort(pts, n, sizeof *pts, by_lc);
  /* bins */
  if (o->edges) {
    R.nbins = o->nedges - 1;
    for (size_t i = 0; i < n; i++) {
      bin_of[i] = SIZE_MAX;
      for (size_t k = 0; k + 1 < o->nedges; k++)
        if (pts[i].lc >= log10(o->edges[k]) && (pts[i].lc < log10(o->edges[k + 1]) ||
                                                (k + 2 == o->nedges && pts[i].lc <= log10(o->edges[k + 1]))))
          bin_of[i] = k;
    }
  } else if (o->bins > 0) {
    R.nbins = o->bins;
    double lo = pts[0].lc, hi = pts[n - 1].lc, w = (hi - lo) / (double)o->bins;
    for (size_t i = 0; i < n; i++) {
      size_t k = w > 0 ? (size_t)((pts[i].lc - lo) / w) : 0;
      bin_of[i] = k >= o->bins ? o->bins - 1 : k;
    }
  } else {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
      if (i > 0 && pts[i].lc - pts[i - 1].lc > 0.15 && k + 1 < SF_ISOFLOP_MAXBINS) k++;
      bin_of[i] = k;
    }
    R.nbins = k + 1;
    /* runs not trained on a few budgets (C spread evenly): a bin wider than half a decade is
     * no isoFLOP profile; fall back to equal bins of about a third of a decade */
    int wide = 0;
    for (size_t i = 0, first = 0; i < n; i++) {
      if (i > 0 && bin_of[i] != bin_of[i - 1]) first = i;
      if (pts[i].lc - pts[first].lc > 0.5) wide = 1;
    }
    if (wide) {
      double lo = pts[0].lc, hi = pts[n - 1].lc;
      size_t K = (size_t)ceil((hi - lo) / 0.34);
      if (K < 1) K = 1;
      if (K > SF_ISOFLOP_MAXBINS) K = SF_ISOFLOP_MAXBINS;
      double w = (hi - lo) / (double)K;
      for (size_t i = 0; i < n; i++) {
        size_t b = w > 0 ? (size_t)((pts[i].lc - lo) / w) : 0;
        bin_of[i] = b >= K ? K - 1 : b;
      }
      R.nbins = K;
    }
  }
  size_t nout = 0;
  for (size_t i = 0; i < n; i++) nout += bin_of[i] == SIZE_MAX;

  char title[200];
  snprintf(title, sizeof title, "%s: isoFLOP profiles", t->name && t->name[0] ? t->name : "runs");
  if (!(c = sf_chart_new(o->title ? o->title : title))) goto fail_errcode;
  if (o->width > 0) c->width = o->width;
  if (o->height > 0) c->height = o->height;
  sf_panel *p = sf_chart_add_panel(c, "");
  if (!p) goto fail_errcode;
  if ((rc = sf_plot_column_axis(&p->x, "N", t->cols[nc].unit, 1))) goto done;
  if ((rc = sf_plot_column_axis(&p->y, yname, t->cols[yc].unit, !o->linear_y))) goto done;
  {
    unsigned char *drawn = calloc(t->nrows + 1, 1);
    if (!drawn) rc = sf_fail(SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && drawn; i++) drawn[pts[i].row] = bin_of[i] != SIZE_MAX;
    if (!rc) rc = sf_chart_left_out(c, t, drawn);
    free(drawn);
    if (rc) goto done;
  }

  run_pt *bp = malloc((n + 1) * sizeof *bp);
  double *bx = malloc((n + 1) * sizeof *bx), *by = malloc((n + 1) * sizeof *by);
  if (!bp || !bx || !by) {
    free(bp), free(bx), free(by);
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  /* more bins than palette colours: colour by compute on a colour bar instead of a legend */
  size_t used = 0;
  for (size_t k = 0; k < R.nbins; k++) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += bin_of[i] == k;
    used += m > 0;
  }
  int bar = used > SF_PALETTE_SIZE;
  char noint[200] = "", nofit[200] = "";
  size_t nnoint = 0, nnofit = 0, shown = 0;
  for (size_t k = 0; k < R.nbins && !rc; k++) {
    sf_isoflop_bin *B = &R.bin[k];
    size_t m = 0;
    double slc = 0;
    B->c_lo = INFINITY, B->c_hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
      if (bin_of[i] == k) {
        bp[m] = pts[i];
        bx[m] = pts[i].n;
        by[m++] = pts[i].y;
        slc += pts[i].lc;
        double C = pow(10, pts[i].lc);
        B->c_lo = C < B->c_lo ? C : B->c_lo;
        B->c_hi = C > B->c_hi ? C : B->c_hi;
      }
    B->n = m;
    B->n_opt = B->y_min = NAN;
    if (m == 0) continue;
    B->c_mid = pow(10, slc / (double)m);
    /* the bin's compute as every command prints compute (sf_fmt_compute, "2.05e+19"): %.1e named
     * it "2.1e19" here, "2.1e+18" in the subtitle, where `scalefit optimal` says 2.05e+19 */
    char cs[32], label[64];
    sf_fmt_compute(cs, sizeof cs, B->c_mid);
    snprintf(label, sizeof label, "C = %s", cs);
    int color = (int)(shown % SF_PALETTE_SIZE);
    shown++;
    sf_series *s = sf_panel_add_points(p, bar ? "" : label, m, bx, by);
    if (!s) goto fail_bins;
    s->color = color;
    if (bar && (rc = colour_by_c(p, s, B->c_mid, m))) goto fail_bins_rc;
    B->fitted = parabola(bp, m, &B->a, &B->b, &B->c);
    if (!B->fitted) { /* its runs are drawn, but it has no profile: said, as a bin without a minimum is */
      nnofit++;
      size_t len = strlen(nofit);
      if (len < sizeof nofit - 40)
        snprintf(nofit + len, sizeof nofit - len, "%s%s (%zu run%s)", nnofit > 1 ? ", " : "", cs, m,
                 m == 1 ? "" : "s");
      continue;
    }
    double ulo = INFINITY, uhi = -INFINITY;
    for (size_t i = 0; i < m; i++) ulo = bp[i].u < ulo ? bp[i].u : ulo, uhi = bp[i].u > uhi ? bp[i].u : uhi;
    double px[PARABOLA_POINTS], py[PARABOLA_POINTS];
    for (size_t i = 0; i < PARABOLA_POINTS; i++) {
      double u = ulo + (uhi - ulo) * (double)i / (PARABOLA_POINTS - 1);
      px[i] = pow(10, u);
      py[i] = B->a + B->b * u + B->c * u * u;
    }
    if (!(s = sf_panel_add_line(p, "", PARABOLA_POINTS, px, py, 0))) goto fail_bins;
    s->color = color;
    if (bar && (rc = colour_by_c(p, s, B->c_mid, PARABOLA_POINTS))) goto fail_bins_rc;
    s->size = 0.7;
    double uv = B->c > 0 ? -B->b / (2 * B->c) : NAN;
    B->interior = B->c > 0 && uv > ulo && uv < uhi;
    if (B->interior) {
      B->n_opt = pow(10, uv);
      B->y_min = B->a + B->b * uv + B->c * uv * uv;
    } else {
      nnoint++;
      size_t len = strlen(noint);
      if (len < sizeof noint - 20) snprintf(noint + len, sizeof noint - len, "%s%s", nnoint > 1 ? ", " : "", cs);
    }
  }
  /* the minima: one series, a legend entry, drawn over the bins */
  size_t nm = 0;
  for (size_t k = 0; k < R.nbins; k++)
    if (R.bin[k].interior) bx[nm] = R.bin[k].n_opt, by[nm++] = R.bin[k].y_min;
  if (nm) {
    sf_series *s = sf_panel_add_points(p, "minimum of each bin", nm, bx, by);
    if (!s) goto fail_bins;
    s->color = 6;
    s->size = 2.0;
    sf_series *l = sf_panel_add_line(p, "", nm, bx, by, 1);
    if (!l) goto fail_bins;
    l->color = 6;
    l->size = 0.5;
  }
  free(bp), free(bx), free(by);
  char sub[800]; /* room for both lists of bins in full (200 each) */
  int len = snprintf(sub, sizeof sub, "%zu run%s in %zu compute bin%s; parabolas in log N", n - nout,
                     n - nout == 1 ? "" : "s", R.nbins, R.nbins == 1 ? "" : "s");
  if (nnoint)
    len += snprintf(sub + len, sizeof sub - (size_t)len, "; no interior minimum at C = %s", noint);
  if (nnofit)
    len += snprintf(sub + len, sizeof sub - (size_t)len, "; skipped, under 3 model sizes: C = %s", nofit);
  if (c->skipped)
    snprintf(sub + len, sizeof sub - (size_t)len, "; %zu run%s left out", c->skipped, c->skipped == 1 ? "" : "s");
  rc = sf_chart_set_subtitle(c, sub);
  goto done;
fail_bins:
  rc = sf_errcode();
fail_bins_rc:
  free(bp), free(bx), free(by);
  goto done;
fail_errcode:
  rc = sf_errcode();
done:
  free(pts);
  free(bin_of);
  if (rc) {
    sf_chart_free(c);
  } else {
    *out = c;
    if (res) *res = R;
  }
  return rc;
}
