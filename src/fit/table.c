/* table.c: sf_fit_table, the fit pipeline on a table of runs: what `scalefit fit` and a report's
 * [fit] section share (contract in sf_fit.h). Steps, in the order they run:
 *
 *   setup()      columns, options, pinned and bounded parameters
 *   pick_rows()  where, complete values, values the law cannot take, the hold-out split
 *   make_starts()  the law's default grid, random starts in its box, or the caller's rows
 *   the fit and the bootstrap (fit.c), the held-out score, add_range() for the saved fit
 *   check_trust()  the warnings, returned as data: this file prints nothing
 *
 * The CLI and the report runner each used to carry a copy of this; the report's lacked the
 * bootstrap-interval checks, so the same data could be warned about in one and not the other.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_law.h>
#include <scalefit/sf_store.h>

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fit/internal.h"
#include "util/util.h"

/* ---- the law ---- */

/* A formula's names are found among the table's columns as --x and --y are (sf_table_resolve) */
static int table_column(void *ctx, const char *name, int exact, int *col) {
  const sf_table *t = ctx;
  if (exact) {
    *col = sf_table_find(t, name);
    return SF_OK;
  }
  return sf_table_resolve(t, name, col);
}

int sf_fit_law_for_table(const char *spec, const sf_table *t, const sf_law **law, sf_law **owned) {
  *law = NULL;
  *owned = NULL;
  if ((*law = sf_law_find(spec))) return SF_OK;
  if (!strpbrk(spec, "=+-*/^()")) {
    sf_near n;
    sf_near_init(&n, spec);
    for (size_t i = 0; i < sf_law_count(); i++) sf_near_add(&n, sf_law_at(i)->name);
    return sf_fail(SF_EINPUT,
                   "unknown law '%s'%s (see 'scalefit laws', or give a formula such as 'loss = E + A*C^-alpha')", spec,
                   sf_near_hint(&n));
  }
  int rc = sf_law_from_formula_with(spec, table_column, (void *)t, owned);
  if (rc) return rc;
  *law = *owned;
  return SF_OK;
}

void sf_fit_request_init(sf_fit_request *rq, const sf_law *law) {
  memset(rq, 0, sizeof *rq);
  rq->law = law;
  rq->loss = rq->space = -1;
  rq->delta = NAN;
  rq->holdout_above = NAN;
  rq->seed = 1;
  rq->level = 0.95;
  rq->opt_prefix = "";
}

void sf_fit_table_result_free(sf_fit_table_result *res) {
  if (!res) return;
  for (size_t v = 0; v < SF_LAW_MAXVAR; v++) free(res->xname[v]);
  for (size_t k = 0; k < SF_FIT_MAXRANGE; k++) free(res->range_name[k]);
  free(res->yname);
  free(res->sigma_name);
  free(res->role);
  free(res->samples);
  free(res->warnings);
  free(res->skip_note);
  for (size_t k = 0; k < res->n_skipped && res->skipped; k++) free(res->skipped[k].run);
  free(res->skipped);
  for (size_t k = 0; k < res->nskip_col; k++) free(res->skip_col[k]);
  memset(res, 0, sizeof *res);
}

/* ---- the data the fit sees ---- */

typedef struct picked {
  size_t n, nh;
  double *x[SF_LAW_MAXVAR], *lx[SF_LAW_MAXVAR], *y, *s; /* s: the fitted runs' sigma (NULL: none) */
  double *hx[SF_LAW_MAXVAR], *hlx[SF_LAW_MAXVAR], *hy;
  size_t ngiven;          /* the rows offered (rq->rows, else the table's), for "too few runs" */
  unsigned char *wout;    /* per table row: --where left it out (NULL: no where) */
} picked;

static void picked_free(picked *p) {
  for (size_t v = 0; v < SF_LAW_MAXVAR; v++) free(p->x[v]), free(p->lx[v]), free(p->hx[v]), free(p->hlx[v]);
  free(p->y), free(p->s), free(p->hy);
  free(p->wout);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct job {
  const sf_table *t;
  const sf_fit_request *rq;
  sf_fit_table_result *res;
  const char *data, *pre; /* the data and the option prefix, for messages */
  int cx[SF_LAW_MAXVAR], cy, ckey, csig; /* csig: the sigma column, -1 for none */
} job;

void sf_fit_param_bounds(const sf_law *law, const sf_fit_opts *o, size_t j, double *lo, double *hi) {
  int logi = law->par[j].tr == SF_TR_LOGISTIC;
  *lo = o->bounded[j] ? o->lo[j] : logi ? law->par[j].lo : law->par[j].tr == SF_TR_EXP ? 0 : -INFINITY;
  *hi = o->bounded[j] ? o->hi[j] : logi ? law->par[j].hi : INFINITY;
}

double sf_fit_snap_to_bound(double v, double lo, double hi, double value) {
  double span = isfinite(lo) && isfinite(hi) ? hi - lo : fabs(value) + 1;
  if (isfinite(lo) && v - lo <= 1e-6 * span) return lo;
  if (isfinite(hi) && hi - v <= 1e-6 * span) return hi;
  return v;
}

sf_wald_scale sf_fit_wald_interval(const sf_law *law, const sf_fit_opts *o, size_t j, double v, double se, double z,
                                   double *lo, double *hi) {
  double a, b;
  sf_fit_param_bounds(law, o, j, &a, &b);
  if (!o->bounded[j] && law->par[j].tr == SF_TR_LOWER) a = law->par[j].lo; /* p = lo + exp(theta) */
  sf_wald_scale sc = isfinite(a) && isfinite(b) ? SF_WALD_LOGIT : isfinite(a) ? SF_WALD_LOG
                     : isfinite(b)              ? SF_WALD_LOG_UPPER : SF_WALD_LINEAR;
  *lo = *hi = NAN;
  if (o->fixed[j] || !isfinite(se) || !isfinite(v) || !(v > a) || !(v < b)) return sc;
  switch (sc) {
  case SF_WALD_LINEAR: *lo = v - z * se, *hi = v + z * se; break;
  case SF_WALD_LOG: { /* d log(v - a) = se / (v - a) */
    double s = se / (v - a);
    *lo = a + (v - a) * exp(-z * s), *hi = a + (v - a) * exp(z * s);
    break;
  }
  case SF_WALD_LOG_UPPER: {
    double s = se / (b - v);
    *lo = b - (b - v) * exp(z * s), *hi = b - (b - v) * exp(-z * s);
    break;
  }
  case SF_WALD_LOGIT: { /* d logit(u) = du / (u (1 - u)), u = (v - a) / (b - a) */
    double u = (v - a) / (b - a), L = log(u / (1 - u)), s = se / ((b - a) * u * (1 - u));
    *lo = a + (b - a) / (1 + exp(-(L - z * s))), *hi = a + (b - a) / (1 + exp(-(L + z * s)));
    break;
  }
  }
  return sc;
}

const char *sf_wald_scale_name(sf_wald_scale s) {
  return s == SF_WALD_LOG ? "log" : s == SF_WALD_LOG_UPPER ? "log(hi - p)" : s == SF_WALD_LOGIT ? "logit" : "linear";
}

int sf_fit_wald_scales(const sf_law *law, const sf_fit_opts *o, const double *params, const double *se, char *buf,
                       size_t n) {
  size_t m = 0;
  int nonlinear = 0;
  if (n) buf[0] = 0;
  for (int sc = SF_WALD_LOG; ; sc = sc == SF_WALD_LOGIT ? SF_WALD_LINEAR : sc + 1) { /* linear last */
    int first = 1;
    for (size_t k = 0; k < law->np; k++) {
      double a, b;
      if (o->fixed[k] || (int)sf_fit_wald_interval(law, o, k, params[k], se[k], 1.96, &a, &b) != sc) continue;
      nonlinear |= sc != SF_WALD_LINEAR;
      if (m < n)
        m += (size_t)snprintf(buf + m, n - m, "%s%s%s%s", first ? (m ? "; " : "") : ", ",
                              first ? sf_wald_scale_name((sf_wald_scale)sc) : "", first ? " for " : "", law->par[k].name);
      first = 0;
    }
    if (sc == SF_WALD_LINEAR) break;
  }
  return nonlinear;
}

/* Is v on a bound (within sf_fit_snap_to_bound's tolerance)? */
static int at_bound(double v, double lo, double hi, double value) {
  return v == lo || v == hi || sf_fit_snap_to_bound(v, lo, hi, value) != v;
}

/* The held-out runs are whole budgets from the top: the number of them whose runs come closest to
 * FRAC m (ties: the fewer runs), at least one and never every one. A budget is the largest key left
 * and every key within 0.1% below it: one isoFLOP budget's runs differ in C by the rounding of D to
 * whole batches (0.05% in the own sweep, whose --holdout 0.2 held out 3 of its top budget's 5 runs)
 * or, where C is derived as 6ND, by the digits a tracker exports D with; budgets of a sweep lie far
 * further apart. Before, the ceil(FRAC m) largest runs and every run tied with the smallest of them
 * were held out: on a walkthrough's 34 runs whose top budget had 16, --holdout 0.2 held out 16 (47%).
 * Runs of distinct compute are budgets of one run each: round(FRAC m) of them, halves down. */
double sf_fit_holdout_pick(double *keys, size_t m, double frac, size_t *nheld, size_t *nbudget, size_t *nbudgets) {
  size_t dummy[3];
  nheld = nheld ? nheld : &dummy[0], nbudget = nbudget ? nbudget : &dummy[1], nbudgets = nbudgets ? nbudgets : &dummy[2];
  *nheld = *nbudget = *nbudgets = 0;
  if (!m || !(frac > 0)) return INFINITY;
  qsort(keys, m, sizeof *keys, cmp_double);
  double want = frac * (double)m, cut = INFINITY, best = INFINITY;
  size_t i = m; /* keys[i..m) are the budgets counted so far */
  while (i > 0) {
    double lim = keys[i - 1] - 1e-3 * fabs(keys[i - 1]);
    size_t j = i - 1;
    while (j > 0 && keys[j - 1] >= lim) j--;
    ++*nbudgets;
    /* the top budgets down to this one, unless they are all: closer than any fewer (a difference
     * of a rounding, 0.07 * 100 being 7.000000000000001, is a tie, and a tie goes to the fewer) */
    double d = fabs((double)(m - j) - want);
    if (j > 0 && (*nbudget == 0 || d < best - 1e-9 * (want + 1))) {
      *nbudget = *nbudgets, *nheld = m - j, cut = keys[j], best = d;
    }
    i = j;
  }
  return cut; /* INFINITY with one budget in all: holding it out would leave nothing to fit */
}

const char *sf_fit_holdout_text(const sf_fit_table_result *res, char *buf, size_t n) {
  size_t nh = res->n_holdout;
  double want = res->holdout * (double)res->holdout_of;
  if (!isfinite(res->holdout) || !res->holdout_budgets || fabs((double)nh - want) <= 1e-9 * (want + 1))
    snprintf(buf, n, "%zu run%s", nh, sf_plural(nh));
  else if (res->holdout_budgets == nh) /* runs of distinct compute: the ask rounded */
    snprintf(buf, n, "%zu of %zu runs (the %zu largest by %s; %g asked for %.3g)", nh, res->holdout_of, nh,
             res->holdout_by, res->holdout, want);
  else if (res->holdout_budgets == 1)
    snprintf(buf, n, "%zu of %zu runs (the top budget of %s; %g asked for %.3g)", nh, res->holdout_of,
             res->holdout_by, res->holdout, want);
  else
    snprintf(buf, n, "%zu of %zu runs (the top %zu budgets of %s; %g asked for %.3g)", nh, res->holdout_of,
             res->holdout_budgets, res->holdout_by, res->holdout, want);
  return buf;
}

double sf_fit_holdout_from(double *keys, size_t m, double frac) {
  return sf_fit_holdout_pick(keys, m, frac, NULL, NULL, NULL);
}

size_t sf_fit_list_rows(sf_buf *b, const sf_table *t, const unsigned char *pick, int col, size_t max) {
  size_t n = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    if (!pick[r] || (col >= 0 && isfinite(t->cols[col].v[r]))) continue;
    if (n < max) {
      if (t->run[r][0]) sf_buf_printf(b, "%s'%s' (row %zu)", n ? ", " : "", t->run[r], sf_table_row_number(t, r));
      else sf_buf_printf(b, "%srow %zu", n ? ", " : "", sf_table_row_number(t, r));
    }
    n++;
  }
  if (n > max) sf_buf_printf(b, " and %zu more", n - max);
  return n;
}

/* The runs skipped for a missing value, by column: "no value of U: 'r7' (row 7), row 12; no value
 * of loss: ...", at most 5 named per column. A count alone left a user of a 500-row tracker export
 * nothing to search for. skip[r]: row r was skipped; cols: the columns the fit needs (repeats
 * ignored). */
static int skip_note(const sf_table *t, const unsigned char *skip, const int *cols, size_t ncol, char **out) {
  sf_buf b;
  sf_buf_init(&b);
  for (size_t k = 0; k < ncol; k++) {
    int seen = 0;
    for (size_t j = 0; j < k; j++) seen |= cols[j] == cols[k];
    if (seen) continue;
    size_t at = b.len;
    sf_buf_printf(&b, "%sno value of %s: ", at ? "; " : "", t->cols[cols[k]].name);
    if (!sf_fit_list_rows(&b, t, skip, cols[k], 5) && !b.oom) b.len = at, b.s[at] = '\0';
  }
  *out = b.oom ? NULL : sf_buf_take(&b);
  sf_buf_free(&b);
  return *out ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
}

/* The same runs, every one, for a file to carry (res->skipped, res->skip_col): a saved fit or a
 * report.json that only said how many were skipped left a reader with the text output to search. */
static int skip_list(const sf_table *t, const unsigned char *skip, const int *cols, size_t ncol,
                     sf_fit_table_result *res) {
  int col[SF_LAW_MAXVAR + 2];
  for (size_t k = 0; k < ncol; k++) {
    int seen = 0;
    for (size_t j = 0; j < k; j++) seen |= cols[j] == cols[k];
    if (seen) continue;
    col[res->nskip_col] = cols[k];
    if (!(res->skip_col[res->nskip_col++] = sf_strdup(t->cols[cols[k]].name))) return sf_fail(SF_ENOMEM, "out of memory");
  }
  if (!(res->skipped = calloc(res->n_skipped ? res->n_skipped : 1, sizeof *res->skipped)))
    return sf_fail(SF_ENOMEM, "out of memory");
  size_t m = 0;
  for (size_t r = 0; r < t->nrows && m < res->n_skipped; r++) {
    if (!skip[r]) continue;
    sf_fit_skip *s = &res->skipped[m++];
    s->row = sf_table_row_number(t, r);
    if (!(s->run = sf_strdup(t->run[r]))) return sf_fail(SF_ENOMEM, "out of memory");
    for (size_t k = 0; k < res->nskip_col; k++)
      if (!isfinite(t->cols[col[k]].v[r])) s->missing |= 1u << k;
  }
  return SF_OK;
}

int sf_where_rows(const sf_table *t, const char *expr, const char *pre, const char *data, const char *text_hint,
                  unsigned char **keep, size_t *nout) {
  *keep = NULL;
  if (nout) *nout = 0;
  if (!pre) pre = "";
  sf_expr *where = NULL;
  int *wcol = NULL, rc;
  unsigned char *k1 = NULL;
  if ((rc = sf_expr_parse(expr, 1, &where))) {
    sf_fail_context("%swhere: ", pre);
    goto out;
  }
  size_t ni = sf_expr_nidents(where);
  if (ni > 256) {
    rc = sf_fail(SF_EUSAGE, "%swhere: more than 256 column names", pre);
    goto out;
  }
  if (!(wcol = malloc((ni + 1) * sizeof *wcol)) || !(k1 = calloc(t->nrows + 1, 1))) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto out;
  }
  /* columns as --x and --y find them (exact, as a header would be read, any letter case):
   * 'n > 1e8' is N, as --x n is */
  for (size_t k = 0; k < ni; k++) {
    if ((rc = sf_table_resolve(t, sf_expr_ident(where, k), &wcol[k]))) {
      sf_fail_context("%swhere: ", pre);
      goto out;
    }
    if (wcol[k] < 0) {
      char *names = sf_table_column_names(t);
      if (sf_header_text_field(sf_expr_ident(where, k)))
        rc = sf_fail(SF_EINPUT, "%swhere: '%s' is a text field, and %swhere compares numbers (columns of '%s': %s); %s",
                     pre, sf_expr_ident(where, k), pre, data, names ? names : "?",
                     text_hint ? text_hint : "select its runs in a file of their own");
      else {
        sf_near n;
        sf_near_init(&n, sf_expr_ident(where, k));
        for (size_t c = 0; c < t->ncols; c++) sf_near_add(&n, t->cols[c].name);
        rc = sf_fail(SF_EINPUT, "%swhere: '%s' is not a column of '%s'%s (it has %s)", pre, sf_expr_ident(where, k),
                     data, sf_near_hint(&n), names ? names : "?");
      }
      free(names);
      goto out;
    }
  }
  for (size_t r = 0; r < t->nrows; r++) {
    double vals[256];
    for (size_t k = 0; k < ni; k++) vals[k] = t->cols[wcol[k]].v[r];
    /* a comparison with a missing value is false: the run is left out, as fit leaves it */
    k1[r] = sf_expr_eval(where, vals) != 0;
    if (!k1[r] && nout) ++*nout;
  }
  *keep = k1;
  k1 = NULL;
out:
  sf_expr_free(where);
  free(wcol);
  free(k1);
  return rc;
}

/* Selects rows, splits off the held-out ones (res->role) and copies their columns into p. */
static int pick_rows(job *jb, picked *p) {
  const sf_table *t = jb->t;
  const sf_fit_request *rq = jb->rq;
  sf_fit_table_result *res = jb->res;
  const sf_law *law = rq->law;
  const size_t nr = t->nrows, nv = law->nvar;
  int holding = rq->holdout > 0 || isfinite(rq->holdout_above);
  if (!(res->role = calloc(nr ? nr : 1, 1))) return sf_fail(SF_ENOMEM, "out of memory");
  unsigned char *role = res->role;
  unsigned char *wkeep = NULL; /* per row: where holds (NULL: no where) */
  int rc = SF_OK;
  double *keys = NULL;
  unsigned char *skip = calloc(nr ? nr : 1, 1);
  if (!skip) return sf_fail(SF_ENOMEM, "out of memory");
  if (rq->where) {
    /* res->opt: as in setup, which field of the request a failure here is about */
    res->opt = "where";
    const char *hint = "fit each family with --by family, or one from a file of its runs";
    if ((rc = sf_where_rows(t, rq->where, jb->pre, jb->data, hint, &wkeep, NULL))) goto out;
    res->opt = NULL;
  }
  size_t nsel = 0;
  if (wkeep && !(p->wout = calloc(nr ? nr : 1, 1))) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t r = 0; r < nr; r++) {
    if (rq->rows && !rq->rows[r]) continue;
    p->ngiven++;
    if (wkeep && !wkeep[r]) {
      res->n_where++;
      p->wout[r] = 1;
      continue;
    }
    int complete = isfinite(t->cols[jb->cy].v[r]) && (!holding || isfinite(t->cols[jb->ckey].v[r]));
    for (size_t v = 0; v < nv; v++) complete = complete && isfinite(t->cols[jb->cx[v]].v[r]);
    if (!complete) {
      res->n_skipped++;
      skip[r] = 1;
      continue;
    }
    for (size_t v = 0; v < nv; v++) {
      double x = t->cols[jb->cx[v]].v[r];
      if (law->x_positive && !(x > 0)) {
        rc = sf_fail(SF_EINPUT, "run '%s' (row %zu of '%s'): %s = %g, but law '%s' takes its log (values must be > 0)",
                     t->run[r], sf_table_row_number(t, r), jb->data, t->cols[jb->cx[v]].name, x, sf_law_label(law));
        res->opt = rq->x ? "x" : "law";
        goto out;
      }
    }
    if (law->domain) {
      double xs[SF_LAW_MAXVAR];
      char why[256];
      for (size_t v = 0; v < nv; v++) xs[v] = t->cols[jb->cx[v]].v[r];
      if (law->domain(law, xs, why, sizeof why)) {
        rc = sf_fail(SF_EINPUT, "run '%s' (row %zu of '%s'): law '%s' %s", t->run[r], sf_table_row_number(t, r), jb->data,
                     sf_law_label(law), why);
        res->opt = rq->x ? "x" : "law";
        goto out;
      }
    }
    role[r] = 1;
    nsel++;
  }
  if (res->n_skipped) {
    int need[SF_LAW_MAXVAR + 2];
    size_t nneed = 0;
    for (size_t v = 0; v < nv; v++) need[nneed++] = jb->cx[v];
    need[nneed++] = jb->cy;
    if (holding) need[nneed++] = jb->ckey;
    if ((rc = skip_note(t, skip, need, nneed, &res->skip_note)) || (rc = skip_list(t, skip, need, nneed, res)))
      goto out;
  }
  /* held out: the largest runs by compute (C, else the first input); the runs at the cut too
   * with a fraction (whole budgets, sf_fit_holdout_pick), only those above it with a threshold */
  double cut = INFINITY;
  int at_cut = 0;
  if (rq->holdout > 0) {
    if (!(keys = malloc((nsel ? nsel : 1) * sizeof *keys))) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto out;
    }
    size_t m = 0;
    for (size_t r = 0; r < nr; r++)
      if (role[r]) keys[m++] = t->cols[jb->ckey].v[r];
    cut = sf_fit_holdout_pick(keys, m, rq->holdout, NULL, &res->holdout_budgets, &res->budgets);
    res->holdout_of = m;
    at_cut = 1;
  } else if (isfinite(rq->holdout_above)) {
    cut = rq->holdout_above;
  }
  for (size_t r = 0; r < nr; r++) {
    if (role[r] && (t->cols[jb->ckey].v[r] > cut || (at_cut && t->cols[jb->ckey].v[r] == cut))) role[r] = 2;
    p->n += role[r] == 1, p->nh += role[r] == 2;
  }
  for (size_t v = 0; v < nv; v++) {
    p->x[v] = malloc((p->n + 1) * sizeof(double));
    p->lx[v] = malloc((p->n + 1) * sizeof(double));
    p->hx[v] = malloc((p->nh + 1) * sizeof(double));
    p->hlx[v] = malloc((p->nh + 1) * sizeof(double));
    if (!p->x[v] || !p->lx[v] || !p->hx[v] || !p->hlx[v]) rc = SF_ENOMEM;
  }
  p->y = malloc((p->n + 1) * sizeof(double));
  p->hy = malloc((p->nh + 1) * sizeof(double));
  if (jb->csig >= 0 && !(p->s = malloc((p->n + 1) * sizeof(double)))) rc = SF_ENOMEM;
  if (rc || !p->y || !p->hy) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto out;
  }
  size_t i = 0, h = 0;
  for (size_t r = 0; r < nr; r++) {
    if (!role[r]) continue;
    int held = role[r] == 2;
    size_t k = held ? h++ : i++;
    for (size_t v = 0; v < nv; v++) {
      double x = t->cols[jb->cx[v]].v[r];
      (held ? p->hx : p->x)[v][k] = x;
      (held ? p->hlx : p->lx)[v][k] = x > 0 ? log(x) : NAN;
    }
    double y = t->cols[jb->cy].v[r];
    (held ? p->hy : p->y)[k] = y;
    if (law->y_fraction && !(y >= 0 && y <= 1)) { /* 87 for 87%: the fit would end at a bound, k infinite */
      rc = sf_fail(SF_EINPUT, "run '%s' (row %zu of '%s'): %s = %g, but law '%s' models fractions in [0, 1] "
                   "(give an accuracy of 87%% as 0.87)", t->run[r], sf_table_row_number(t, r), jb->data, res->yname, y, sf_law_label(law));
      res->opt = rq->y ? "y" : "law";
      goto out;
    }
    if (res->opts.space == SF_SPACE_LOG && !(y > 0)) { /* held out too: its log residual is scored */
      rc = sf_fail(SF_EINPUT, "run '%s' (row %zu of '%s'): %s = %g, but residuals are in log space (values must be > 0; "
                   "try %sspace linear)", t->run[r], sf_table_row_number(t, r), jb->data, res->yname, y, jb->pre);
      res->opt = rq->y ? "y" : "law";
      goto out;
    }
    if (jb->csig >= 0 && !held) { /* held-out runs are scored unweighted: their sigma is not used */
      double sg = t->cols[jb->csig].v[r];
      p->s[k] = sg;
      /* never skipped as a missing value is: a run without its sigma would silently leave the fit */
      if (!(sg > 0 && isfinite(sg))) {
        char val[48];
        snprintf(val, sizeof val, isnan(sg) ? "is missing" : "= %g", sg);
        rc = sf_fail(SF_EINPUT, "run '%s' (row %zu of '%s'): %s %s, but %ssigma needs a standard deviation that is "
                     "finite and > 0 (leave such runs out with %swhere)", t->run[r], sf_table_row_number(t, r), jb->data, res->sigma_name,
                     val, jb->pre, jb->pre);
        res->opt = "sigma";
        goto out;
      }
    }
  }
  res->n_rows = p->n + p->nh;
out:
  free(skip);
  free(keys);
  free(wkeep);
  return rc;
}

/* Records [min, max] of column c (-1: the column called name) over the fitted rows under name
 * (skipped when absent or never finite). A formula's variable is recorded under its own name,
 * which is what a saved fit's vars hold, even where it found its column in another case. */
static int add_range(job *jb, const char *name, int c) {
  sf_fit_table_result *res = jb->res;
  const sf_table *t = jb->t;
  if (c < 0) c = sf_table_find(t, name);
  if (c < 0 || res->nrange >= SF_FIT_MAXRANGE) return SF_OK;
  for (size_t k = 0; k < res->nrange; k++)
    if (strcmp(res->range_name[k], name) == 0) return SF_OK;
  double lo = INFINITY, hi = -INFINITY;
  for (size_t r = 0; r < t->nrows; r++) {
    double v = t->cols[c].v[r];
    if (res->role[r] != 1 || !isfinite(v)) continue;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  if (lo > hi) return SF_OK;
  if (!(res->range_name[res->nrange] = sf_strdup(name))) return sf_fail(SF_ENOMEM, "out of memory");
  res->range_lo[res->nrange] = lo;
  res->range_hi[res->nrange++] = hi;
  return SF_OK;
}

/* ---- starts ---- */

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Internal-parameter rows: the caller's (natural, converted), the law's default grid, or random
 * ones uniform in the box the default grid spans. */
static int make_starts(const job *jb, const sf_law_data *d, const double *y, double **out, size_t *ns) {
  const sf_fit_request *rq = jb->rq;
  const sf_law *law = rq->law;
  const size_t np = law->np;
  if (rq->starts) {
    if (!rq->nstarts) return sf_fail(SF_EUSAGE, "no starts given");
    double *g = malloc(rq->nstarts * np * sizeof *g);
    if (!g) return sf_fail(SF_ENOMEM, "out of memory for %zu starts", rq->nstarts);
    for (size_t s = 0; s < rq->nstarts; s++)
      for (size_t j = 0; j < np; j++) {
        double v = rq->starts[s * np + j];
        g[s * np + j] = sf_param_internal(&law->par[j], v);
        if (!isfinite(g[s * np + j])) {
          free(g);
          return sf_fail(SF_EINPUT, "start %zu: %s = %g is outside the parameter's range", s + 1, law->par[j].name, v);
        }
      }
    *out = g;
    *ns = rq->nstarts;
    return SF_OK;
  }
  size_t nd = law->starts(law, d, y, NULL, 0);
  double *def = malloc((nd ? nd : 1) * np * sizeof *def);
  if (!def) return sf_fail(SF_ENOMEM, "out of memory");
  nd = law->starts(law, d, y, def, nd);
  if (!rq->random_starts) {
    *out = def;
    *ns = nd;
    return SF_OK;
  }
  double lo[SF_LAW_MAXPAR], hi[SF_LAW_MAXPAR];
  for (size_t j = 0; j < np; j++) {
    lo[j] = INFINITY, hi[j] = -INFINITY;
    for (size_t s = 0; s < nd; s++) {
      double v = def[s * np + j];
      lo[j] = v < lo[j] ? v : lo[j];
      hi[j] = v > hi[j] ? v : hi[j];
    }
    if (!(lo[j] < hi[j])) lo[j] -= 1, hi[j] += 1;
  }
  free(def);
  size_t k = rq->random_starts;
  double *r = k <= SIZE_MAX / sizeof *r / np ? malloc(k * np * sizeof *r) : NULL;
  if (!r) return sf_fail(SF_ENOMEM, "out of memory for %zu starts", k);
  uint64_t st = (uint64_t)rq->seed * 0x2545F4914F6CDD1Dull + 17;
  for (size_t s = 0; s < k; s++)
    for (size_t j = 0; j < np; j++) r[s * np + j] = lo[j] + (hi[j] - lo[j]) * (double)(splitmix(&st) >> 11) * 0x1.0p-53;
  *out = r;
  *ns = k;
  return SF_OK;
}

/* ---- columns and options ---- */

static int param_index(const job *jb, const char *name, const char *opt) {
  const sf_law *law = jb->rq->law;
  int j = sf_law_param_index(law, name);
  if (j >= 0) return j;
  sf_buf b;
  sf_buf_init(&b);
  for (size_t k = 0; k < law->np; k++) sf_buf_printf(&b, "%s%s", k ? ", " : "", law->par[k].name);
  sf_fail(SF_EUSAGE, "%s%s: law '%s' has no parameter '%s' (it has %s)", jb->pre, opt, sf_law_label(law), name, sf_buf_str(&b));
  sf_buf_free(&b);
  jb->res->opt = opt;
  return -1;
}

static int setup(job *jb) {
  const sf_table *t = jb->t;
  const sf_fit_request *rq = jb->rq;
  sf_fit_table_result *res = jb->res;
  const sf_law *law = rq->law;
  const char *pre = jb->pre;
  int formula = law->name && strcmp(law->name, "formula") == 0;
  /* res->opt: which field of the request a failure here is about, for a caller to point at */
  res->opt = "x";
  if (rq->x && formula)
    return sf_fail(SF_EUSAGE, "%sx does not apply to a formula: its column names are its variables", pre);
  if (rq->x) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", rq->x);
    size_t nx = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save), nx++)
      if (nx < SF_LAW_MAXVAR && !(res->xname[nx] = sf_strdup(tok))) return sf_fail(SF_ENOMEM, "out of memory");
    if (nx != law->nvar)
      return sf_fail(SF_EUSAGE, "%sx '%s': law '%s' takes %zu input column%s", pre, rq->x, sf_law_label(law), law->nvar,
                     law->nvar == 1 ? "" : "s");
  } else {
    for (size_t v = 0; v < law->nvar; v++)
      if (!(res->xname[v] = sf_strdup(law->vars[v]))) return sf_fail(SF_ENOMEM, "out of memory");
  }
  if (!(res->yname = sf_strdup(rq->y ? rq->y : law->y))) return sf_fail(SF_ENOMEM, "out of memory");
  /* a column is found as its header would be read (--y MMLU is the column mmlu), and is then
   * known by its own name (the fit file's variables and output; a formula's names stay its own) */
  for (size_t v = 0; v <= law->nvar; v++) {
    char **name = v < law->nvar ? &res->xname[v] : &res->yname;
    res->opt = v < law->nvar ? (rq->x ? "x" : "law") : (rq->y ? "y" : "law");
    int c, rrc = sf_table_resolve(t, *name, &c);
    if (rrc) return rrc;
    if (c < 0) {
      char *names = sf_table_column_names(t);
      if (v < law->nvar)
        sf_fail(SF_EINPUT, "column '%s' missing in '%s' (law '%s' needs it%s%sx; the table has %s)", *name, jb->data,
                sf_law_label(law), formula ? "" : "; choose another with ", formula ? "" : pre, names ? names : "?");
      else
        sf_fail(SF_EINPUT, "column '%s' missing in '%s' (the output of law '%s'; choose another with %sy; the table "
                "has %s)", *name, jb->data, sf_law_label(law), pre, names ? names : "?");
      free(names);
      return SF_EINPUT;
    }
    if (!formula && strcmp(*name, t->cols[c].name) != 0) { /* a formula keeps its own identifiers */
      char *own = sf_strdup(t->cols[c].name);
      if (!own) return sf_fail(SF_ENOMEM, "out of memory");
      free(*name);
      *name = own;
    }
    if (v < law->nvar) jb->cx[v] = c;
    else jb->cy = c;
  }
  jb->csig = -1;
  res->opt = "sigma";
  if (rq->sigma) {
    int c = sf_table_lookup(t, rq->sigma);
    if (c < 0) {
      char *names = sf_table_column_names(t);
      sf_fail(SF_EINPUT, "column '%s' missing in '%s' (%ssigma: the standard deviations of %s; the table has %s)",
              rq->sigma, jb->data, pre, res->yname, names ? names : "?");
      free(names);
      return SF_EINPUT;
    }
    if (c == jb->cy) return sf_fail(SF_EUSAGE, "%ssigma '%s' is the output column itself", pre, rq->sigma);
    if (!(res->sigma_name = sf_strdup(t->cols[c].name))) return sf_fail(SF_ENOMEM, "out of memory");
    jb->csig = c;
  } else if (rq->absolute_sigma) {
    res->opt = "absolute_sigma";
    return sf_fail(SF_EUSAGE, "%sabsolute-sigma needs %ssigma COL (the column of standard deviations)", pre, pre);
  }
  int cC = sf_table_find(t, "C");
  jb->ckey = cC >= 0 ? cC : jb->cx[0];
  res->holdout_by = cC >= 0 ? "C" : res->xname[0];
  /* options */
  sf_fit_opts *o = &res->opts;
  sf_fit_opts_default(o, law);
  o->progress = rq->progress;
  o->progress_ctx = rq->progress_ctx;
  if (rq->loss >= 0) {
    res->opt = "loss";
    if (rq->loss != SF_LOSS_L2 && rq->loss != SF_LOSS_HUBER) return sf_fail(SF_EUSAGE, "%sloss must be l2 or huber", pre);
    o->loss = (sf_loss)rq->loss;
  }
  if (rq->space >= 0) {
    res->opt = "space";
    if (rq->space != SF_SPACE_LOG && rq->space != SF_SPACE_LINEAR)
      return sf_fail(SF_EUSAGE, "%sspace must be log or linear", pre);
    o->space = (sf_space)rq->space;
  }
  if (!isnan(rq->delta)) {
    res->opt = "delta";
    if (!(rq->delta > 0) || !isfinite(rq->delta)) return sf_fail(SF_EUSAGE, "%sdelta must be > 0", pre);
    o->delta = rq->delta;
  }
  /* Huber on residuals in units of sigma is scipy's curve_fit(sigma=..., loss='huber',
   * f_scale=delta); but the law's default delta (1e-3 for Hoffmann et al.'s log-loss) is in the
   * residual's own units, and carried over it would make the fit least absolute deviations
   * without saying so. The user says what delta means. */
  if (rq->sigma && o->loss == SF_LOSS_HUBER && isnan(rq->delta)) {
    /* say where huber came from: the user's own loss option, or the law's default */
    char why[96];
    res->opt = rq->loss >= 0 ? "loss" : "sigma";
    if (rq->loss >= 0) snprintf(why, sizeof why, " %sloss%shuber", pre, *pre ? " " : " = ");
    else snprintf(why, sizeof why, " huber loss (law '%s' defaults to it)", sf_law_label(law));
    return sf_fail(SF_EUSAGE, "%ssigma with%s: give %sdelta in units of sigma "
                   "(1.345 keeps 95%% of least squares' efficiency with normal errors; the default %g is in units of "
                   "the %s residual) or use %sloss l2", pre, why, pre, law->delta,
                   o->space == SF_SPACE_LOG ? "log" : "linear", pre);
  }
  o->absolute_sigma = rq->sigma && rq->absolute_sigma;
  o->threads = rq->threads;
  for (size_t k = 0; k < rq->nfix; k++) {
    int j = param_index(jb, rq->fix_name[k], "fix");
    if (j < 0) return SF_EUSAGE;
    o->fixed[j] = 1;
    o->fix_value[j] = rq->fix_value[k];
  }
  for (size_t k = 0; k < rq->nbound; k++) {
    int j = param_index(jb, rq->bound_name[k], "bound");
    if (j < 0) return SF_EUSAGE;
    o->bounded[j] = 1;
    o->lo[j] = rq->bound_lo[k];
    o->hi[j] = rq->bound_hi[k];
  }
  res->opt = "holdout";
  if (!(rq->holdout >= 0 && rq->holdout < 1) || (rq->holdout > 0 && isfinite(rq->holdout_above)))
    return sf_fail(SF_EUSAGE, "%sholdout: a fraction in [0, 1), and not together with %sholdout-above", pre, pre);
  res->opt = "level";
  if (!(rq->level > 0 && rq->level < 1)) return sf_fail(SF_EUSAGE, "%slevel must be in (0, 1)", pre);
  res->opt = NULL;
  res->holdout = rq->holdout > 0 ? rq->holdout : NAN;
  res->holdout_above = rq->holdout > 0 ? NAN : rq->holdout_above;
  res->level = rq->level;
  res->seed = rq->seed;
  return SF_OK;
}

/* ---- trust ---- */

static void warn(sf_fit_table_result *res, sf_fit_warnkind kind, int param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void warn(sf_fit_table_result *res, sf_fit_warnkind kind, int param, const char *fmt, ...) {
  if (res->nwarn == SF_FIT_MAXWARN) return; /* cannot happen: at most 7 + 2 per parameter */
  sf_fit_warning *w = &res->warn[res->nwarn++];
  w->kind = kind;
  w->param = param;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->text, sizeof w->text, fmt, ap);
  va_end(ap);
}

static void check_trust(sf_fit_table_result *res, const sf_fit_request *rq) {
  const sf_law *law = res->law;
  const sf_fit_result *r = &res->fit;
  const sf_fit_opts *o = &res->opts;
  if (!r->converged)
    warn(res, SF_FITWARN_NOT_CONVERGED, -1,
         "the best start did not meet the convergence test (objective %.6g): treat the parameters as approximate",
         r->objective);
  if (isfinite(r->rcond) && r->rcond < 1e-8)
    warn(res, SF_FITWARN_ILL_CONDITIONED, -1,
         "the fit is ill-conditioned (rcond %.2g): some parameters trade off against each other", r->rcond);
  for (size_t j = 0; j < law->np; j++) {
    if (o->fixed[j]) continue;
    const char *name = law->par[j].name;
    double p = r->params[j], se = r->stderr_[j];
    /* on a bound the optimum lies beyond it: the value is the bound's, and the standard error
     * (from the Jacobian, as if the parameter were free) describes neither */
    double blo, bhi;
    sf_fit_param_bounds(law, o, j, &blo, &bhi);
    if (!isfinite(p)) warn(res, SF_FITWARN_NOT_FINITE, (int)j, "parameter '%s' is not finite (%g)", name, p);
    else if (at_bound(p, blo, bhi, p))
      warn(res, SF_FITWARN_AT_BOUND, (int)j,
           "parameter '%s' = %.6g is at its bound (%g:%g): the data put its optimum beyond, and its standard "
           "error does not apply", name, p, blo, bhi);
    else if (!isfinite(se))
      warn(res, SF_FITWARN_NO_STDERR, (int)j, "parameter '%s' is not identifiable: its standard error is undefined", name);
    else if (se > fabs(p))
      warn(res, SF_FITWARN_POOR_STDERR, (int)j,
           "parameter '%s' is poorly identified: standard error %.3g exceeds its value %.3g", name, se, p);
    if (!res->K) continue;
    double lo = res->ci_lo[j], hi = res->ci_hi[j];
    if (!isfinite(lo) || !isfinite(hi))
      warn(res, SF_FITWARN_CI_UNDEFINED, (int)j, "bootstrap interval of '%s' is undefined", name);
    else if (at_bound(lo, blo, bhi, p) || at_bound(hi, blo, bhi, p))
      warn(res, SF_FITWARN_CI_AT_BOUND, (int)j,
           "bootstrap interval of '%s' [%.4g, %.4g] touches its bound: not identifiable within it", name,
           sf_fit_snap_to_bound(lo, blo, bhi, p), sf_fit_snap_to_bound(hi, blo, bhi, p));
    else if (law->par[j].tr == SF_TR_EXP && lo > 0 && hi / lo > 1e6)
      warn(res, SF_FITWARN_CI_WIDE, (int)j, "bootstrap interval of '%s' spans %.0f orders of magnitude: not identifiable",
           name, log10(hi / lo));
  }
  if (res->nfailed)
    warn(res, SF_FITWARN_BOOT_FAILED, -1, "%zu of %zu bootstrap fits failed and were left out", res->nfailed, res->K);
  /* Beyond delta a point's pull is capped (the fit leans towards least absolute deviations), and
   * the least-squares covariance says nothing about such a fit's sampling error; Huber's sandwich
   * would divide by the share of points inside delta, which is then near zero. */
  /* With sigmas taken as exact, chi2 follows a chi-square distribution of dof degrees of freedom
   * (normal errors, l2): one far in either tail says the sigmas do not describe the scatter, and
   * the standard errors, not rescaled, inherit that. */
  if (res->sigma_name && o->absolute_sigma && r->dof > 0 && isfinite(r->chi2)) {
    double pu = gsl_cdf_chisq_Q(r->chi2, r->dof), pl = gsl_cdf_chisq_P(r->chi2, r->dof);
    if (pu < 1e-3 || pl < 1e-3)
      warn(res, SF_FITWARN_CHI2, -1,
           "chi-square/dof = %.3g (%.4g / %g) is improbable if '%s' were the runs' standard deviations (p = %.2g): "
           "they %s the scatter, and the absolute standard errors are too %s; without absolute sigma they are "
           "scaled by chi-square/dof", r->chi2 / r->dof, r->chi2, r->dof, res->sigma_name, pu < pl ? pu : pl,
           pu < 1e-3 ? "understate" : "overstate", pu < 1e-3 ? "small" : "large");
  }
  if (o->loss == SF_LOSS_HUBER && r->n && 2 * r->nbeyond > r->n)
    warn(res, SF_FITWARN_HUBER_STDERR, -1,
         "huber loss: %zu of %zu residuals exceed delta %g, so the standard errors (least squares' formula) are "
         "rough: %s",
         r->nbeyond, r->n, o->delta,
         res->K ? "read the bootstrap intervals"
         /* the option as the caller's user gives it: a report spec's key, the command's flag */
         : rq->opt_prefix && !strcmp(rq->opt_prefix, "--") ? "use --bootstrap for intervals"
                                                           : "use bootstrap refits for intervals (bootstrap = K)");
}

/* A parameter that ran off to infinity is no estimate: the optimum is a limit the law only
 * approaches (on two budgets of the own sweep, power's A = inf with alpha ~ 2900: a step
 * between them). The warning alone left `fit` exiting 0 with a saved fit nothing could read. */
int sf_fit_diverged(const sf_fit_table_result *res, const sf_fit_request *rq) {
  const sf_law *law = res->law;
  const sf_fit_result *r = &res->fit;
  char bad[256] = "", rest[256] = "";
  size_t nbad = 0, at = 0, rat = 0;
  for (size_t j = 0; j < law->np; j++) {
    int off = !res->opts.fixed[j] && !isfinite(r->params[j]);
    char *b = off ? bad : rest;
    size_t *a = off ? &at : &rat;
    if (*a < sizeof bad)
      *a += (size_t)snprintf(b + *a, sizeof bad - *a, "%s'%s' = %.4g", *a ? ", " : "", law->par[j].name, r->params[j]);
    nbad += (size_t)off;
  }
  if (!nbad) return SF_OK;
  const char *pre = rq->opt_prefix ? rq->opt_prefix : "";
  int cli = strcmp(pre, "--") == 0;
  return sf_fail(SF_ENUMERIC,
                 "law '%s' diverged on %zu run%s of '%s': parameter%s %s%s%s%s, so the fit "
                 "forecasts nothing: the runs do not determine %s (too few distinct budgets, or a limit the law "
                 "only approaches); %s, fit runs over more budgets, or try a law with fewer parameters",
                 sf_law_label(law), r->n, sf_plural(r->n), rq->data_name ? rq->data_name : "the data", sf_plural(nbad),
                 bad, rat ? " (the others: " : "", rest, rat ? ")" : "", nbad == 1 ? "it" : "them",
                 cli ? "pin or bound a parameter (--fix NAME=VALUE, --bound NAME=LO:HI)"
                     : "pin a parameter (its fix key: NAME = VALUE)");
}

/* ---- the pipeline ---- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void score_holdout(sf_fit_table_result *res, const picked *p, double *r) {
  const sf_law *law = res->law;
  sf_law_data hd = {.n = p->nh, .nvar = law->nvar};
  for (size_t v = 0; v < law->nvar; v++) hd.x[v] = p->hx[v], hd.lx[v] = p->hlx[v];
  res->n_holdout = p->nh;
  if (sf_fit_residuals(law, &hd, p->hy, res->opts.space, res->fit.params, r)) {
    warn(res, SF_FITWARN_HOLDOUT_UNSCORED, -1, "held-out runs cannot be scored: %s", sf_errmsg());
    sf_error_clear();
    res->holdout_rmse = res->holdout_maxabs = res->holdout_mean_rel = NAN;
    return;
  }
  double ss = 0, mx = 0, rel = 0;
  for (size_t i = 0; i < p->nh; i++) {
    ss += r[i] * r[i];
    mx = fabs(r[i]) > mx ? fabs(r[i]) : mx;
    rel += res->opts.space == SF_SPACE_LOG ? fabs(expm1(r[i])) : fabs(r[i] / p->hy[i]);
  }
  res->holdout_rmse = sqrt(ss / (double)p->nh);
  res->holdout_maxabs = mx;
  res->holdout_mean_rel = rel / (double)p->nh;
}

int sf_fit_table(const sf_table *t, const sf_fit_request *rq, sf_fit_table_result *res) {
  memset(res, 0, sizeof *res);
  res->holdout_rmse = res->holdout_maxabs = res->holdout_mean_rel = NAN;
  res->boot_seconds = NAN;
  res->stage = SF_FITSTAGE_SETUP;
  if (!rq->law) return sf_fail(SF_EUSAGE, "sf_fit_table: no law");
  const sf_law *law = rq->law;
  res->law = law;
  job jb = {.t = t, .rq = rq, .res = res, .csig = -1};
  jb.data = rq->data_name ? rq->data_name : t->origin && t->origin[0] ? t->origin : t->name;
  jb.pre = rq->opt_prefix ? rq->opt_prefix : "";
  picked pk;
  memset(&pk, 0, sizeof pk);
  double *starts = NULL, *hr = NULL;
  sf_fit_workspace *w = NULL;
  int rc = setup(&jb);
  if (rc) goto out;
  res->stage = SF_FITSTAGE_DATA;
  if ((rc = pick_rows(&jb, &pk))) goto out;
  for (size_t v = 0; v < law->nvar && !rc; v++) rc = add_range(&jb, res->xname[v], jb.cx[v]);
  rc = rc ? rc : add_range(&jb, res->yname, jb.cy);
  const char *more[3] = {"N", "D", "C"};
  for (size_t k = 0; k < 3 && !rc; k++) rc = add_range(&jb, more[k], -1);
  if (rc) goto out;
  size_t nfree = 0;
  for (size_t j = 0; j < law->np; j++) nfree += !res->opts.fixed[j];
  if (pk.n <= nfree) {
    /* say where the runs went, naming a few of each (the selection, missing values), and the hold-out: a
     * count alone sent the user to a note printed before it, or to none (the error came first) */
    sf_buf why;
    sf_buf_init(&why);
    if (res->n_where) {
      sf_buf_printf(&why, "; %swhere left out %zu (", jb.pre, res->n_where);
      sf_fit_list_rows(&why, t, pk.wout, -1, 5);
      sf_buf_add(&why, ")");
    }
    if (res->n_skipped)
      sf_buf_printf(&why, "; %zu %s a value (%s)", res->n_skipped, res->n_skipped == 1 ? "lacks" : "lack",
                    res->skip_note ? res->skip_note : "a column the fit needs");
    if (pk.nh) sf_buf_printf(&why, "; %zu %s held out", pk.nh, pk.nh == 1 ? "is" : "are");
    char of[48] = "";
    if (pk.ngiven != pk.n + pk.nh) snprintf(of, sizeof of, " of %zu", pk.ngiven);
    rc = sf_fail(SF_EINPUT, "%zu run%s%s left to fit in '%s' but law '%s' has %zu free parameter%s: need at least %zu%s",
                 pk.n, sf_plural(pk.n), of, jb.data, sf_law_label(law), nfree, sf_plural(nfree), nfree + 1,
                 why.oom ? "" : sf_buf_str(&why));
    sf_buf_free(&why);
    /* the hold-out or the where that took the runs; "runs" when neither did (the data are short,
     * or a caller selected them beforehand: a report's [data] where) */
    res->opt = pk.nh ? "holdout" : res->n_where ? "where" : "runs";
    goto out;
  }
  sf_law_data d = {.n = pk.n, .nvar = law->nvar};
  for (size_t v = 0; v < law->nvar; v++) d.x[v] = pk.x[v], d.lx[v] = pk.lx[v];
  res->stage = SF_FITSTAGE_SETUP;
  size_t ns = 0;
  if ((rc = make_starts(&jb, &d, pk.y, &starts, &ns))) goto out;
  if (!(w = sf_fit_alloc(law, pk.n, &res->opts))) {
    rc = sf_errcode();
    goto out;
  }
  res->stage = SF_FITSTAGE_DATA;
  if ((rc = sf_fit_check(w, &d, pk.y, pk.s, NULL))) goto out;
  res->stage = SF_FITSTAGE_FIT;
  if ((rc = sf_fit_run(w, &d, pk.y, pk.s, NULL, starts, ns, &res->fit))) goto out;
  if (rq->bootstrap > 0) {
    res->stage = SF_FITSTAGE_BOOTSTRAP;
    res->K = rq->bootstrap;
    if (res->K > SIZE_MAX / sizeof(double) / law->np || !(res->samples = malloc(res->K * law->np * sizeof(double)))) {
      rc = sf_fail(SF_ENOMEM, "out of memory for %zu bootstrap samples", res->K);
      goto out;
    }
    double t0 = now_seconds();
    if ((rc = sf_fit_bootstrap(w, &d, pk.y, pk.s, NULL, starts, ns, res->K, rq->seed, res->samples, NULL, &res->nfailed)))
      goto out;
    res->boot_seconds = now_seconds() - t0;
    for (size_t j = 0; j < law->np; j++)
      if (sf_fit_percentile(res->samples, res->K, law->np, j, rq->level, &res->ci_lo[j], &res->ci_hi[j])) {
        res->ci_lo[j] = res->ci_hi[j] = NAN;
        sf_error_clear();
      }
  }
  if (pk.nh) {
    if (!(hr = malloc(pk.nh * sizeof *hr))) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto out;
    }
    score_holdout(res, &pk, hr);
  } else if (rq->holdout > 0 || isfinite(rq->holdout_above)) {
    if (rq->holdout > 0)
      warn(res, SF_FITWARN_HOLDOUT_EMPTY, -1, "no run was held out: every run is of one budget of %s (within 0.1%%), "
           "and a hold-out leaves at least one budget to fit", res->holdout_by);
    else
      warn(res, SF_FITWARN_HOLDOUT_EMPTY, -1, "no run was held out (none above the threshold)");
  }
  check_trust(res, rq);
  char why[sizeof res->warn[0].text];
  if (law->degenerate && law->degenerate(law, &d, res->fit.params, res->opts.fixed, why, sizeof why))
    warn(res, SF_FITWARN_DEGENERATE, -1, "%s", why);
  sf_buf b;
  sf_buf_init(&b);
  for (size_t k = 0; k < res->nwarn; k++) sf_buf_printf(&b, "%s\n", res->warn[k].text);
  res->warnings = b.oom ? NULL : sf_buf_take(&b);
  sf_buf_free(&b);
  rc = res->warnings ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
out:
  free(hr);
  sf_fit_free(w);
  free(starts);
  picked_free(&pk);
  return rc;
}
