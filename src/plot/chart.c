/* chart.c: building and freeing the in-memory chart description of sf_plot.h.
 *
 * Everything is copied in, so a kind can build series from temporary arrays. Panels and series
 * are held by pointer, so a pointer handed out stays valid while more are added.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>
#include <scalefit/sf_store.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static char *dup_or_empty(const char *s) { return sf_strdup(s ? s : ""); }

static void axis_init(sf_axis *a) {
  a->label = NULL;
  a->unit = NULL;
  a->log = 0;
  a->min = NAN;
  a->max = NAN;
}

static void axis_free(sf_axis *a) {
  free(a->label);
  free(a->unit);
}

int sf_axis_set(sf_axis *a, const char *label, const char *unit, int log) {
  char *l = dup_or_empty(label), *u = dup_or_empty(unit);
  if (!l || !u) {
    free(l);
    free(u);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  axis_free(a);
  a->label = l;
  a->unit = u;
  a->log = log != 0;
  return SF_OK;
}

static void series_free(sf_series *s) {
  if (!s) return;
  free(s->title);
  free(s->x);
  free(s->y);
  free(s->lo);
  free(s->hi);
  free(s->z);
  free(s);
}

static void panel_free(sf_panel *p) {
  if (!p) return;
  free(p->title);
  axis_free(&p->x);
  axis_free(&p->y);
  axis_free(&p->cb);
  for (size_t i = 0; i < p->nseries; i++) series_free(p->series[i]);
  free(p->series);
  free(p);
}

sf_chart *sf_chart_new(const char *title) {
  sf_chart *c = calloc(1, sizeof *c);
  if (!c || !(c->title = dup_or_empty(title)) || !(c->subtitle = dup_or_empty(""))) {
    sf_chart_free(c);
    sf_fail(SF_ENOMEM, "out of memory");
    return NULL;
  }
  c->width = 900;
  c->height = 600;
  c->grow = 1;
  return c;
}

void sf_chart_free(sf_chart *c) {
  if (!c) return;
  free(c->title);
  free(c->subtitle);
  free(c->left_out);
  for (size_t i = 0; i < c->npanels; i++) panel_free(c->panels[i]);
  free(c->panels);
  free(c);
}

/* A count alone ("3 runs without x or y left out") gave a reader of a 500-run chart nothing to look
 * for; named as sf_fit_list_rows names a fit's skipped runs. */
int sf_chart_left_out(sf_chart *c, const sf_table *t, const unsigned char *drawn) {
  sf_buf b;
  sf_buf_init(&b);
  size_t n = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    if (drawn[r]) continue;
    if (n < 5) {
      if (t->run[r][0]) sf_buf_printf(&b, "%s'%s' (row %zu)", n ? ", " : "", t->run[r], sf_table_row_number(t, r));
      else sf_buf_printf(&b, "%srow %zu", n ? ", " : "", sf_table_row_number(t, r));
    }
    n++;
  }
  if (n > 5) sf_buf_printf(&b, " and %zu more", n - 5);
  free(c->left_out);
  c->left_out = NULL;
  c->skipped = n;
  if (b.oom) {
    sf_buf_free(&b);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  if (n) c->left_out = sf_buf_take(&b);
  sf_buf_free(&b);
  return SF_OK;
}

int sf_chart_set_subtitle(sf_chart *c, const char *subtitle) {
  char *s = dup_or_empty(subtitle);
  if (!s) return sf_fail(SF_ENOMEM, "out of memory");
  free(c->subtitle);
  c->subtitle = s;
  return SF_OK;
}

/* Grows an array of pointers by one slot; 0 on OOM. */
static int grow(void ***items, size_t n, size_t *cap) {
  if (n < *cap) return 1;
  size_t nc = *cap ? 2 * *cap : 8;
  void **p = realloc(*items, nc * sizeof *p);
  if (!p) return 0;
  *items = p;
  *cap = nc;
  return 1;
}

sf_panel *sf_chart_add_panel(sf_chart *c, const char *title) {
  sf_panel *p = calloc(1, sizeof *p);
  if (!p) goto oom;
  axis_init(&p->x);
  axis_init(&p->y);
  axis_init(&p->cb);
  p->legend = SF_LEGEND_AUTO;
  if (!(p->title = dup_or_empty(title)) || sf_axis_set(&p->x, "", "", 0) || sf_axis_set(&p->y, "", "", 0) ||
      sf_axis_set(&p->cb, "", "", 0))
    goto oom;
  void **items = (void **)c->panels;
  if (!grow(&items, c->npanels, &c->cap)) goto oom;
  c->panels = (sf_panel **)items;
  c->panels[c->npanels++] = p;
  return p;
oom:
  panel_free(p);
  sf_fail(SF_ENOMEM, "out of memory");
  return NULL;
}

static double *copy_array(const double *v, size_t n) {
  double *d = malloc(n * sizeof *d);
  if (d) memcpy(d, v, n * sizeof *d);
  return d;
}

/* A new series of p with the given arrays copied (any may be NULL), or NULL on failure. */
static sf_series *add_series(sf_panel *p, sf_series_kind kind, const char *title, size_t n, const double *x,
                             const double *y, const double *lo, const double *hi) {
  sf_series *s = calloc(1, sizeof *s);
  if (!s) goto oom;
  s->kind = kind;
  s->n = n;
  s->color = SF_COLOR_AUTO;
  s->size = 1.0;
  s->x0 = s->x1 = s->y0 = NAN;
  if (!(s->title = dup_or_empty(title))) goto oom;
  if ((x && !(s->x = copy_array(x, n))) || (y && !(s->y = copy_array(y, n))) ||
      (lo && !(s->lo = copy_array(lo, n))) || (hi && !(s->hi = copy_array(hi, n))))
    goto oom;
  void **items = (void **)p->series;
  if (!grow(&items, p->nseries, &p->cap)) goto oom;
  p->series = (sf_series **)items;
  p->series[p->nseries++] = s;
  return s;
oom:
  series_free(s);
  sf_fail(SF_ENOMEM, "out of memory");
  return NULL;
}

static int need_rows(size_t n, const void *x, const void *y, const char *what) {
  if (n == 0 || !x || !y) {
    sf_fail(SF_EUSAGE, "a %s series needs at least one row of data", what);
    return 0;
  }
  return 1;
}

sf_series *sf_panel_add_points(sf_panel *p, const char *title, size_t n, const double *x, const double *y) {
  if (!need_rows(n, x, y, "points")) return NULL;
  return add_series(p, SF_SERIES_POINTS, title, n, x, y, NULL, NULL);
}

sf_series *sf_panel_add_line(sf_panel *p, const char *title, size_t n, const double *x, const double *y,
                             int dashed) {
  if (!need_rows(n, x, y, "line")) return NULL;
  return add_series(p, dashed ? SF_SERIES_DASHED : SF_SERIES_LINE, title, n, x, y, NULL, NULL);
}

sf_series *sf_panel_add_key(sf_panel *p, const char *title, int dashed) {
  if (!title || !title[0]) {
    sf_fail(SF_EUSAGE, "a legend entry needs a title");
    return NULL;
  }
  return add_series(p, dashed ? SF_SERIES_DASHED : SF_SERIES_LINE, title, 0, NULL, NULL, NULL, NULL);
}

sf_series *sf_panel_add_key_shade(sf_panel *p, const char *title) {
  if (!title || !title[0]) {
    sf_fail(SF_EUSAGE, "a legend entry needs a title");
    return NULL;
  }
  return add_series(p, SF_SERIES_BAND, title, 0, NULL, NULL, NULL, NULL);
}

sf_series *sf_panel_add_band(sf_panel *p, const char *title, size_t n, const double *x, const double *lo,
                             const double *hi) {
  if (!need_rows(n, x, lo, "band") || !need_rows(n, x, hi, "band")) return NULL;
  return add_series(p, SF_SERIES_BAND, title, n, x, NULL, lo, hi);
}

sf_series *sf_panel_add_vline(sf_panel *p, const char *label, double x) {
  if (!isfinite(x)) {
    sf_fail(SF_EUSAGE, "a vertical marker needs a finite x, got %g", x);
    return NULL;
  }
  sf_series *s = add_series(p, SF_SERIES_VLINE, label, 0, NULL, NULL, NULL, NULL);
  if (s) s->x0 = x;
  return s;
}

sf_series *sf_panel_add_xregion(sf_panel *p, const char *label, double x0, double x1) {
  if (!isfinite(x0) || !isfinite(x1) || !(x0 < x1)) {
    sf_fail(SF_EUSAGE, "a shaded region needs finite x0 < x1, got [%g, %g]", x0, x1);
    return NULL;
  }
  sf_series *s = add_series(p, SF_SERIES_XREGION, label, 0, NULL, NULL, NULL, NULL);
  if (s) {
    s->x0 = x0;
    s->x1 = x1;
  }
  return s;
}

sf_series *sf_panel_add_label(sf_panel *p, const char *text, double x, double y) {
  if (!isfinite(x) || !isfinite(y)) {
    sf_fail(SF_EUSAGE, "a text label needs finite coordinates, got (%g, %g)", x, y);
    return NULL;
  }
  sf_series *s = add_series(p, SF_SERIES_LABEL, text, 0, NULL, NULL, NULL, NULL);
  if (s) {
    s->x0 = x;
    s->y0 = y;
  }
  return s;
}

int sf_series_color_by(sf_panel *p, sf_series *s, const double *z, const char *label, const char *unit, int log) {
  if (s->kind != SF_SERIES_POINTS && s->kind != SF_SERIES_LINE && s->kind != SF_SERIES_DASHED)
    return sf_fail(SF_EUSAGE, "only points and lines can be coloured by a value");
  double *zz = copy_array(z, s->n);
  if (!zz) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = sf_axis_set(&p->cb, label, unit, log);
  if (rc) {
    free(zz);
    return rc;
  }
  free(s->z);
  s->z = zz;
  return SF_OK;
}

int sf_series_error_bars(sf_series *s, const double *lo, const double *hi) {
  if (s->kind != SF_SERIES_POINTS) return sf_fail(SF_EUSAGE, "only points can have error bars");
  double *l = copy_array(lo, s->n), *h = copy_array(hi, s->n);
  if (!l || !h) {
    free(l);
    free(h);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  free(s->lo);
  free(s->hi);
  s->lo = l;
  s->hi = h;
  return SF_OK;
}
