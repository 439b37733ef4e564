/* charts.c: a report's charts, built with the chart layer (sf_plot.h) from the results run.c
 * computed, rendered to SVG by gnuplot into the report folder, and read back to be inlined in
 * index.html. Each kind is the chart layer's (src/plot/kind_*.c) fed with what run.c computed:
 *   scaling    sf_plot_scaling, or sf_plot_scaling_fit with the fit's held-out runs and the
 *              extrapolation drawn to the spec's largest budget
 *   turn       sf_plot_turn with bands from sf_turn_resample
 *   frontier   sf_plot_frontier for a fit (with the shipped published laws); a spec with only
 *              published laws gets their allocations drawn here (no fit to band)
 *   residuals, bootstrap, isoflop   the chart layer's kinds of the same names
 * Inlining: gnuplot's SVG uses fixed ids (gpPt0, gnuplot_canvas); each chart's ids get a prefix so
 * several charts in one page never resolve each other's references.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>
#include <scalefit/sf_version.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define NGRID 48

static double max_budget(const rp_state *st) {
  double m = NAN;
  for (size_t i = 0; i < st->spec->nbudget; i++) m = isnan(m) || st->spec->budget[i] > m ? st->spec->budget[i] : m;
  return m;
}

static const rp_fit *find_fit(const rp_state *st, const char *name) {
  for (size_t i = 0; name && i < st->nfits; i++)
    if (!strcmp(st->fits[i].spec->name, name)) return &st->fits[i];
  return NULL;
}

/* A chart that failed: at the line of its x, y or color_by when that names no column of the runs
 * (the drawing's message says which column), else at its header. */
static int chart_fail(const rp_state *st, const sf_spec_chart *cs, int rc) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", sf_errmsg());
  size_t at = cs->line;
  const char *key[3] = {"x", "y", "color_by"}, *val[3] = {cs->x, cs->y, cs->color_by};
  for (int k = 0; k < 3 && at == cs->line && st->table; k++) {
    int c;
    if (k == 2 && val[k] && (!strcmp(val[k], "family") || !strcmp(val[k], "none"))) continue; /* not columns */
    if (val[k] && (sf_table_resolve(st->table, val[k], &c) != SF_OK || c < 0))
      at = sf_spec_key_line(st->spec, cs->line, key[k]);
  }
  /* what the spec asked for and the chart layer refused is bad input here, never a usage error (exit 1) */
  return rp_fail(st, at, rc == SF_EUSAGE ? SF_EINPUT : rc, "[chart %s]: %s", cs->name, msg);
}

/* The fit's curve: solid over [lo, hi], dashed with a band over [hi, end]. */
static int chart_scaling(rp_state *st, const sf_spec_chart *cs, sf_chart **out, sf_buf *note) {
  const rp_fit *f = find_fit(st, cs->fit);
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.x = cs->x ? cs->x : "C";
  o.y = cs->y ? cs->y : f ? f->fr.yname : "loss";
  o.color_by = cs->color_by;
  o.title = cs->title;
  o.linear_y = cs->linear_y;
  int rc;
  unsigned char *held = NULL;
  if (f) {
    /* an x the fit's curve cannot be drawn against, said at the x line in the spec's words (the
     * chart layer's message asks for the command's --x); names as the chart layer reads them */
    int c = -1;
    size_t at = sf_spec_key_line(st->spec, cs->line, "x");
    if ((rc = sf_table_resolve(st->table, o.x, &c)) != SF_OK) /* a name two columns answer to */
      return rp_fail(st, at, rc == SF_EUSAGE ? SF_EINPUT : rc, "[chart %s]: %s", cs->name, sf_errmsg());
    if (c < 0) {
      char *names = sf_table_column_names(st->table);
      rc = rp_fail(st, at, SF_EINPUT, "[chart %s]: column '%s' is not in table '%s' ('%s'); it has: %s", cs->name, o.x,
                   st->table->name, st->spec->data_file_given, names ? names : "?");
      free(names);
      return rc;
    }
    const char *xn = st->table->cols[c].name;
    const sf_fitfile *ff = f->ff;
    if (ff->nvar == 1 && strcmp(ff->vars[0], xn))
      return rp_fail(st, at, SF_EINPUT, "[chart %s]: [fit %s] is a law of %s and cannot be drawn against '%s': give x = %s",
                     cs->name, cs->fit, ff->vars[0], o.x, ff->vars[0]);
    if (ff->alloc == SF_ALLOC_ND && strcmp(xn, "C"))
      return rp_fail(st, at, SF_EINPUT, "[chart %s]: [fit %s] is a law of %s and %s and cannot be drawn against '%s' alone: "
                     "give x = C (its compute-optimal frontier) or leave x out", cs->name, cs->fit, ff->vars[ff->var_N],
                     ff->vars[ff->var_D], o.x);
    /* held-out runs ringed; the extrapolation runs to the largest budget when there is one */
    if (!(held = calloc(st->table->nrows + 1, 1))) return sf_fail(SF_ENOMEM, "out of memory");
    for (size_t r = 0; r < st->table->nrows; r++) held[r] = f->fr.role[r] == 2;
    o.heldout = held;
    double end = max_budget(st), lo, hi;
    if (!strcmp(o.x, "C") && !isnan(end) && sf_fitfile_range(f->ff, "C", &lo, &hi) && end > hi) o.extrapolate_to = end;
    rc = sf_plot_scaling_fit(st->table, f->ff, &o, out);
  } else {
    rc = sf_plot_scaling(st->table, &o, out);
  }
  free(held);
  if (rc) return chart_fail(st, cs, rc);
  if ((*out)->skipped)
    sf_buf_printf(note, "%zu run%s without %s or %s left out%s%s.", (*out)->skipped, sf_plural((*out)->skipped), o.x, o.y,
                  (*out)->left_out ? ": " : "", (*out)->left_out ? (*out)->left_out : "");
  return SF_OK;
}

/* Published allocation laws alone (a spec without a fit of its own), over the spec's budgets. */
static int chart_frontier_published(rp_state *st, const sf_spec_chart *cs, sf_chart **out) {
  double lo = NAN, end = max_budget(st);
  for (size_t i = 0; i < st->spec->nbudget; i++) lo = isnan(lo) || st->spec->budget[i] < lo ? st->spec->budget[i] : lo;
  if (isnan(lo)) lo = 1e20, end = 1e26;
  if (!(end > lo * 10)) end = lo * 10;
  sf_chart *c = sf_chart_new(cs->title ? cs->title : "Compute-optimal allocation of published laws");
  if (!c) return sf_errcode();
  *out = c;
  /* panels stacked, so long law names fit in one legend in the corner the rising lines leave empty */
  c->width = 900, c->height = 900, c->ncols = 1;
  sf_panel *pn = sf_chart_add_panel(c, "Parameters N*");
  sf_panel *pd = sf_chart_add_panel(c, "Tokens D*");
  if (!pn || !pd) return sf_errcode();
  pn->legend = SF_LEGEND_TOP_LEFT;
  pd->legend = SF_LEGEND_NONE;
  sf_axis_set(&pn->x, "Training compute C", "FLOP", 1);
  sf_axis_set(&pd->x, "Training compute C", "FLOP", 1);
  sf_axis_set(&pn->y, "Parameters", "", 1);
  sf_axis_set(&pd->y, "Tokens", "", 1);
  double x[NGRID];
  sf_logspace(lo, end, NGRID, x);
  size_t drawn = 0;
  double nmax = 0;
  for (size_t k = 0; k < st->spec->npublished; k++) {
    const sf_fitfile *pf = st->pub[k];
    if (pf->alloc == SF_ALLOC_NONE) continue;
    double pn_[NGRID], pd_[NGRID], px[NGRID];
    size_t q = 0;
    for (size_t i = 0; i < NGRID; i++) {
      sf_optimum o;
      sf_alloc_opts ao = {0};
      if (sf_optimal(pf, pf->params, x[i], &ao, &o) == SF_OK && o.N > 0 && o.D > 0) {
        px[q] = x[i], pn_[q] = o.N, pd_[q++] = o.D;
      }
    }
    sf_error_clear();
    if (q < 2) continue;
    /* a law that gives only D* (Llama 3's) or only N* speaks for its own panel: the other
     * quantity would be C/(6 x it), the C = 6ND convention's, not the paper's. It keeps its place
     * in the one legend (the N panel's), saying where it is drawn */
    const char *name = sf_plot_law_name(st->spec->published[k]);
    int in_n = pf->alloc != SF_ALLOC_DOPT, in_d = pf->alloc != SF_ALLOC_NOPT;
    char key[200];
    snprintf(key, sizeof key, "%s%s", name, in_n ? "" : ", D* only (lower panel)");
    sf_series *a = in_n ? sf_panel_add_line(pn, key, q, px, pn_, 0) : sf_panel_add_key(pn, key, 0);
    if (!a) return sf_errcode();
    int color = sf_palette_apart(drawn++); /* in palette order the 2nd and 5th were near hues */
    a->color = color;
    a->size = 1.5;
    if (in_d) {
      sf_series *b = sf_panel_add_line(pd, name, q, px, pd_, 0);
      if (!b) return sf_errcode();
      b->color = color;
      b->size = 1.5;
    }
    if (in_n)
      for (size_t i = 0; i < q; i++) nmax = fmax(nmax, pn_[i]);
  }
  if (pn->nseries == 0)
    return rp_fail(st, cs->line, SF_EINPUT, "[chart %s]: nothing to draw: give fit = NAME or published allocation laws",
                   cs->name);
  pn->y.max = nmax * 100; /* two decades of headroom: the legend sits above the lines */
  return SF_OK;
}

/* The chart layer's fitted kinds: frontier (with the shipped published laws), residuals,
 * bootstrap, isoflop. */
static int chart_fitted(rp_state *st, const sf_spec_chart *cs, sf_chart **out) {
  const rp_fit *f = find_fit(st, cs->fit);
  /* the fit line chose a law without an allocation: say so there */
  if (!strcmp(cs->kind, "frontier") && f->ff->alloc != SF_ALLOC_ND)
    return rp_fail(st, sf_spec_key_line(st->spec, cs->line, "fit"), SF_EINPUT,
                   "[chart %s]: a frontier chart draws the compute-optimal N* and D* of a law of N and D; [fit %s] is "
                   "law '%s' of %s", cs->name, cs->fit, sf_law_label(f->ff->law),
                   f->ff->nvar == 1 ? f->ff->vars[0] : "other inputs");
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.x = cs->x;
  o.y = cs->y ? cs->y : f ? f->fr.yname : NULL;
  o.color_by = cs->color_by;
  o.title = cs->title;
  o.linear_y = cs->linear_y;
  int rc = SF_OK;
  unsigned char *held = NULL;
  if (f) {
    if (!(held = calloc(st->table->nrows + 1, 1))) return sf_fail(SF_ENOMEM, "out of memory");
    for (size_t r = 0; r < st->table->nrows; r++) held[r] = f->fr.role[r] == 2;
    o.heldout = held;
    o.linear_space = f->fr.opts.space == SF_SPACE_LINEAR;
  }
  if (!strcmp(cs->kind, "frontier")) {
    sf_fitfile *pub[16] = {NULL};
    size_t npub = sf_plot_npublished < 16 ? sf_plot_npublished : 16;
    char *csv = sf_asprintf("%s/laws.csv", sf_datadir());
    for (size_t i = 0; csv && i < npub; i++)
      if (sf_fitfile_published(csv, sf_plot_published_laws[i].id, &pub[i])) pub[i] = NULL, sf_error_clear();
    free(csv);
    double lo, hi, end = max_budget(st), cmin = 0, cmax = 0;
    if (sf_fitfile_range(f->ff, "C", &lo, &hi) && !isnan(end)) cmin = lo, cmax = end > hi * 100 ? end : hi * 100;
    rc = sf_plot_frontier(f->ff, (const sf_fitfile *const *)pub, npub, cmin, cmax, &o, out);
    for (size_t i = 0; i < npub; i++) sf_fitfile_free(pub[i]);
  } else if (!strcmp(cs->kind, "residuals")) {
    rc = sf_plot_residuals(st->table, f->ff, &o, out);
  } else if (!strcmp(cs->kind, "bootstrap")) {
    rc = sf_plot_bootstrap(f->ff, &o, out);
  } else {
    rc = sf_plot_isoflop(st->table, &o, out, NULL);
  }
  free(held);
  if (rc) return chart_fail(st, cs, rc);
  return SF_OK;
}

static int chart_turn(rp_state *st, const sf_spec_chart *cs, sf_chart **out) {
  const rp_turn *tu = &st->turns[0];
  for (size_t i = 0; cs->turn && i < st->spec->nturn; i++)
    if (!strcmp(st->turns[i].spec->name, cs->turn)) tu = &st->turns[i];
  enum { TURN_BOOT = 100 }; /* refits for the bands (the forecast stage's resampling) */
  double *boot = malloc(TURN_BOOT * SF_TURN_NLAWS * 4 * sizeof *boot);
  if (!boot) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = sf_turn_resample(tu->xv, tu->yv, tu->n, &tu->opts, TURN_BOOT, (unsigned long long)tu->spec->seed, boot);
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.title = cs->title;
  if (!rc) rc = sf_plot_turn(tu->xv, tu->yv, tu->n, tu->x, tu->spec->y, &tu->res, &tu->opts, boot, TURN_BOOT, &o, out);
  free(boot);
  if (rc) return chart_fail(st, cs, rc);
  return SF_OK;
}

/* Prefixes every id and reference to one so several SVGs can share a page. */
static char *inline_svg(const char *svg, size_t k) {
  const char *start = strstr(svg, "<svg");
  if (!start) return NULL;
  sf_buf b;
  sf_buf_init(&b);
  char pre[32];
  snprintf(pre, sizeof pre, "sfc%zu_", k);
  static const char *const pats[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};
  for (const char *s = start; *s;) {
    size_t hit = 0;
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
      if (!strncmp(s, pats[i], strlen(pats[i]))) hit = strlen(pats[i]);
    if (hit && (s == start || s[-1] == ' ' || s[-1] == ':' || s[-1] == '\t' || s[-1] == '\n' || s[0] == 'u')) {
      sf_buf_addn(&b, s, hit);
      sf_buf_add(&b, pre);
      s += hit;
    } else {
      sf_buf_addc(&b, *s++);
    }
  }
  if (b.oom) {
    sf_buf_free(&b);
    return NULL;
  }
  return sf_buf_take(&b);
}

int rp_charts(rp_state *st) {
  const sf_spec *s = st->spec;
  if (!s->nchart) return SF_OK;
  if (!(st->charts = calloc(s->nchart, sizeof *st->charts))) return sf_fail(SF_ENOMEM, "out of memory");
  for (size_t i = 0; i < s->nchart; i++) {
    const sf_spec_chart *cs = &s->chart[i];
    rp_chart *ch = &st->charts[i];
    ch->spec = cs;
    sf_chart *c = NULL;
    sf_buf note;
    sf_buf_init(&note);
    int rc;
    if (!strcmp(cs->kind, "scaling")) rc = chart_scaling(st, cs, &c, &note);
    else if (!strcmp(cs->kind, "turn")) rc = chart_turn(st, cs, &c);
    else if (!strcmp(cs->kind, "frontier") && !cs->fit) rc = chart_frontier_published(st, cs, &c);
    else rc = chart_fitted(st, cs, &c);
    if (!rc && c && cs->title && cs->title[0] && strcmp(c->title, cs->title)) {
      free(c->title);
      c->title = sf_strdup(cs->title);
    }
    char *path = NULL;
    if (!rc && !(ch->title = sf_strdup(c->title ? c->title : ""))) rc = sf_fail(SF_ENOMEM, "out of memory");
    if (!rc) {
      ch->file = sf_asprintf("chart-%s.svg", cs->name);
      path = ch->file ? sf_asprintf("%s/%s", st->dir, ch->file) : NULL;
      if (!path) rc = sf_fail(SF_ENOMEM, "out of memory");
    }
    if (!rc) {
      sf_render_opts ro = {NULL, st->ctx ? st->ctx->gnuplot : NULL, NULL};
      rc = sf_chart_render(c, path, &ro);
      free(ro.warnings);
      if (rc) rc = rp_fail(st, cs->line, rc, "[chart %s]: %s", cs->name, sf_errmsg());
    }
    char *text = NULL;
    size_t len;
    if (!rc && !(rc = sf_read_file(path, SF_EIO, &text, &len))) {
      ch->svg = inline_svg(text, i);
      if (!ch->svg) rc = rp_fail(st, cs->line, SF_EINTERNAL, "[chart %s]: gnuplot wrote no SVG", cs->name);
    }
    free(text);
    free(path);
    sf_chart_free(c);
    if (!rc && note.len) ch->note = sf_buf_take(&note);
    sf_buf_free(&note);
    if (rc) return rc;
  }
  return SF_OK;
}
