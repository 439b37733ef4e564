/* group.c: one law fitted separately to each group of runs (a family, a data mix, a tokenizer)
 * and once to them all, with the test of whether the groups share the law (sf_fit_by, contract
 * in sf_fit.h).
 *
 * Every fit is an sf_fit_table on the same table, restricted to a group's rows (sf_fit_request's
 * rows: a group of a text field cannot be written as a where), so that where, missing values,
 * sigma and the trust warnings behave exactly as in a single fit. The criteria are those every
 * comparison uses (sf_fit_criteria, sf_fit_ic_compare, compare.c): the separate model is one
 * model with k parameters per group, fitted to the same runs in the same space and loss.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_law.h>
#include <scalefit/sf_store.h>

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit/internal.h"
#include "util/util.h"

void sf_fit_group_result_free(sf_fit_group_result *res) {
  if (!res) return;
  for (size_t g = 0; g < res->ngroup; g++) {
    if (res->label) free(res->label[g]);
    if (res->fit) sf_fit_table_result_free(&res->fit[g]);
  }
  for (size_t g = 0; g < res->nskip; g++)
    if (res->skip_label) free(res->skip_label[g]);
  free(res->label), free(res->fit), free(res->skip_label), free(res->skip_n);
  sf_fit_table_result_free(&res->pooled);
  free(res->by), free(res->no_test), free(res->no_z), free(res->nolabel_note);
  memset(res, 0, sizeof *res);
}

typedef struct group {
  char *label;
  double v;          /* numeric column: the value (sorts the groups) */
  size_t nfit, nheld;
} group;

static int cmp_text(const void *a, const void *b) {
  return strcmp(((const group *)a)->label, ((const group *)b)->label);
}

static int cmp_value(const void *a, const void *b) {
  double x = ((const group *)a)->v, y = ((const group *)b)->v;
  return (x > y) - (x < y);
}

/* A number as the fewest digits that read back to it: 0.5 and 0.50000000000000011 are two groups
 * and must read as two labels */
static char *number_label(double v) {
  char buf[40];
  if (v == floor(v) && fabs(v) < 1e15) return sf_asprintf("%.0f", v); /* a vocabulary of 32000, not 3.2e+04 */
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  return sf_strdup(buf);
}

/* The column `by` names: a text field as a CSV header would name it ("family", "Model Family"),
 * else a numeric column as --x finds it. *text is the field's strings, or NULL and *col. */
static int by_column(const sf_table *t, const char *by, char ***text, int *col, char **name, const char *pre,
                     const char *data) {
  char *canon = NULL, *unit = NULL;
  double scale;
  enum sf_field_kind kind;
  *text = NULL;
  *col = -1;
  if (sf_table_find(t, by) < 0 && sf_header_canonical(by, &canon, &unit, &scale, &kind) == SF_OK &&
      kind != SF_FIELD_NUMERIC && kind != SF_FIELD_DERIVED) {
    *text = kind == SF_FIELD_RUN ? t->run : kind == SF_FIELD_FAMILY ? t->family : kind == SF_FIELD_SOURCE ? t->source
                                                                                                          : t->notes;
    *name = canon;
    free(unit);
    return *name ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
  }
  free(canon), free(unit);
  sf_error_clear(); /* a name no header has ("a/b") is still looked up among the columns */
  int c = sf_table_find(t, by), rc;
  if (c < 0 && (rc = sf_table_resolve(t, by, &c))) {
    sf_fail_context("%sby: ", pre);
    return rc;
  }
  if (c < 0) {
    char *names = sf_table_column_names(t);
    sf_near n;
    sf_near_init(&n, by);
    static const char *const textcols[] = {"run", "family", "source", "notes"};
    for (size_t k = 0; k < 4; k++) sf_near_add(&n, textcols[k]);
    for (size_t k = 0; k < t->ncols; k++) sf_near_add(&n, t->cols[k].name);
    rc = sf_fail(SF_EINPUT, "%sby: '%s' is not a column of '%s'%s (it has run, family, source, notes, %s)", pre, by,
                 data, sf_near_hint(&n), names ? names : "?");
    free(names);
    return rc;
  }
  *col = c;
  *name = sf_strdup(t->cols[c].name);
  return *name ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
}

static int has_warning(const sf_fit_table_result *f, sf_fit_warnkind kind) {
  for (size_t k = 0; k < f->nwarn; k++)
    if (f->warn[k].kind == kind) return 1;
  return 0;
}

int sf_fit_by(const sf_table *t, const sf_fit_request *rq, const char *by, sf_fit_group_result *res) {
  memset(res, 0, sizeof *res);
  res->holdout_cut = INFINITY;
  res->holdout_rmse_sep = res->F = res->df1 = res->df2 = res->p = NAN;
  const char *pre = rq->opt_prefix ? rq->opt_prefix : "";
  const char *data = rq->data_name ? rq->data_name : t->origin && t->origin[0] ? t->origin : t->name;
  const size_t nr = t->nrows;
  char **text;
  int col, rc;
  group *gs = NULL;
  long *gidx = NULL;
  unsigned char *mask = NULL;
  size_t ng = 0;
  if (!rq->law) return sf_fail(SF_EUSAGE, "sf_fit_by: no law");
  if ((rc = by_column(t, by, &text, &col, &res->by, pre, data))) return rc;
  res->by_text = text != NULL;

  /* the runs a single fit would take, with its hold-out: the groups are made of them */
  sf_fit_request q = *rq;
  q.bootstrap = 0, q.progress = NULL;
  if ((rc = sf_fit_table(t, &q, &res->pooled))) return rc;
  const unsigned char *role = res->pooled.role;
  gs = calloc(SF_FIT_MAXGROUP, sizeof *gs);
  gidx = malloc((nr ? nr : 1) * sizeof *gidx);
  mask = malloc(nr ? nr : 1);
  if (!gs || !gidx || !mask) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto out;
  }
  memset(mask, 0, nr);
  for (size_t r = 0; r < nr; r++) {
    gidx[r] = -1;
    if (!role[r]) continue;
    const char *s = text ? text[r] : NULL;
    double v = text ? NAN : t->cols[col].v[r];
    if (text ? !s || !*s : isnan(v)) {
      res->n_nolabel++;
      mask[r] = 1;
      continue;
    }
    size_t g = 0;
    while (g < ng && (text ? strcmp(gs[g].label, s) != 0 : gs[g].v != v)) g++;
    if (g == ng) {
      if (ng == SF_FIT_MAXGROUP) {
        rc = sf_fail(SF_EINPUT, "%sby %s: more than %d distinct values among the runs of '%s'; group by a label such as "
                     "family, or a column of few values", pre, res->by, SF_FIT_MAXGROUP, data);
        goto out;
      }
      gs[g].label = text ? sf_strdup(s) : number_label(v);
      gs[g].v = v;
      if (!gs[g].label) {
        rc = sf_fail(SF_ENOMEM, "out of memory");
        goto out;
      }
      ng++;
    }
    gs[g].nfit += role[r] == 1, gs[g].nheld += role[r] == 2;
  }
  if (res->n_nolabel) { /* named, as the runs skipped for a missing value are */
    sf_buf b;
    sf_buf_init(&b);
    sf_fit_list_rows(&b, t, mask, -1, 5);
    if (b.oom || !(res->nolabel_note = sf_buf_take(&b))) {
      sf_buf_free(&b);
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto out;
    }
    sf_buf_free(&b);
  }
  qsort(gs, ng, sizeof *gs, text ? cmp_text : cmp_value);
  for (size_t r = 0; r < nr; r++) { /* the group of each row, in sorted order */
    if (!role[r]) continue;
    const char *s = text ? text[r] : NULL;
    double v = text ? NAN : t->cols[col].v[r];
    for (size_t g = 0; g < ng; g++)
      if (text ? s && strcmp(gs[g].label, s) == 0 : gs[g].v == v) gidx[r] = (long)g;
  }

  /* groups too small for the law's free parameters are left out of every fit */
  const size_t k = res->pooled.fit.nfree;
  size_t nfitg = 0;
  for (size_t g = 0; g < ng; g++) nfitg += gs[g].nfit > k;
  res->label = calloc(nfitg + 1, sizeof *res->label);
  res->fit = calloc(nfitg + 1, sizeof *res->fit);
  res->skip_label = calloc(ng - nfitg + 1, sizeof *res->skip_label);
  res->skip_n = calloc(ng - nfitg + 1, sizeof *res->skip_n);
  if (!res->label || !res->fit || !res->skip_label || !res->skip_n) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto out;
  }
  long *newidx = calloc(ng + 1, sizeof *newidx);
  if (!newidx) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto out;
  }
  for (size_t g = 0; g < ng; g++) {
    if (gs[g].nfit > k) {
      newidx[g] = (long)res->ngroup;
      res->label[res->ngroup++] = gs[g].label;
    } else {
      newidx[g] = -1;
      res->skip_n[res->nskip] = gs[g].nfit;
      res->skip_label[res->nskip++] = gs[g].label;
    }
    gs[g].label = NULL;
  }
  for (size_t r = 0; r < nr; r++)
    if (gidx[r] >= 0) gidx[r] = newidx[gidx[r]];
  free(newidx);
  if (res->ngroup < 2) {
    sf_buf b;
    sf_buf_init(&b);
    for (size_t g = 0; g < res->nskip && g < 8; g++)
      sf_buf_printf(&b, "%s'%s' %zu", g ? ", " : "; too few: ", res->skip_label[g], res->skip_n[g]);
    if (res->nskip > 8) sf_buf_printf(&b, " and %zu more", res->nskip - 8);
    rc = sf_fail(SF_EINPUT, "%sby %s: %zu group%s of '%s' %s more fitted runs than law '%s' has free parameters (%zu)%s; "
                 "comparing groups needs at least 2", pre, res->by, res->ngroup, res->ngroup == 1 ? "" : "s", data,
                 res->ngroup == 1 ? "has" : "have", sf_law_label(rq->law), k, b.oom ? "" : sf_buf_str(&b));
    sf_buf_free(&b);
    goto out;
  }

  /* one hold-out for all: the runs the single fit held out (the largest of all groups), each
   * scored by its own group's fit. A threshold just below the smallest of them reproduces it. */
  sf_fit_request gq = *rq;
  gq.progress = NULL;
  if (res->pooled.n_holdout) {
    int ckey = -1;
    if ((rc = sf_table_resolve(t, res->pooled.holdout_by, &ckey)) || ckey < 0) {
      rc = rc ? rc : sf_fail(SF_EINTERNAL, "hold-out column '%s' not found", res->pooled.holdout_by);
      goto out;
    }
    for (size_t r = 0; r < nr; r++)
      if (role[r] == 2 && t->cols[ckey].v[r] < res->holdout_cut) res->holdout_cut = t->cols[ckey].v[r];
    gq.holdout = 0;
    gq.holdout_above = nextafter(res->holdout_cut, -INFINITY);
  }

  /* the pooled fit again when runs left it (no group, a group too small) or for its bootstrap */
  if (res->n_nolabel || res->nskip || rq->bootstrap) {
    for (size_t r = 0; r < nr; r++) mask[r] = gidx[r] >= 0;
    /* the rows the refit is not shown were left out by where or skipped all the same: keep saying so */
    size_t n_where = res->pooled.n_where, n_skipped = res->pooled.n_skipped;
    /* and the hold-out as asked (a fraction), which the refit takes as the threshold it came to */
    double frac = res->pooled.holdout;
    size_t hb = res->pooled.holdout_budgets, nb = res->pooled.budgets, hof = res->pooled.holdout_of;
    char *skipped = res->pooled.skip_note;
    res->pooled.skip_note = NULL;
    /* and which they were, for a saved fit: moved across as the note is */
    sf_fit_skip *skiplist = res->pooled.skipped;
    size_t nskip_col = res->pooled.nskip_col;
    char *skip_col[SF_LAW_MAXVAR + 2];
    memcpy(skip_col, res->pooled.skip_col, sizeof skip_col);
    res->pooled.skipped = NULL, res->pooled.nskip_col = 0;
    sf_fit_table_result_free(&res->pooled);
    role = NULL;
    q = gq;
    q.rows = mask;
    rc = sf_fit_table(t, &q, &res->pooled);
    /* the refit's own list first (it skips none: the mask left those rows out), freed while its count holds */
    for (size_t i = 0; i < res->pooled.n_skipped && res->pooled.skipped; i++) free(res->pooled.skipped[i].run);
    free(res->pooled.skipped);
    for (size_t i = 0; i < res->pooled.nskip_col; i++) free(res->pooled.skip_col[i]);
    res->pooled.skipped = skiplist, res->pooled.nskip_col = nskip_col;
    memcpy(res->pooled.skip_col, skip_col, sizeof skip_col);
    res->pooled.n_where = n_where, res->pooled.n_skipped = n_skipped;
    if (!rc && isfinite(frac)) {
      res->pooled.holdout = frac, res->pooled.holdout_above = NAN;
      res->pooled.holdout_budgets = hb, res->pooled.budgets = nb, res->pooled.holdout_of = hof;
    }
    free(res->pooled.skip_note);
    res->pooled.skip_note = skipped;
    if (rc) {
      sf_fail_context("%sby %s, the pooled fit: ", pre, res->by);
      goto out;
    }
  }
  size_t nsum = 0, nh = 0;
  double ssh = 0;
  for (size_t g = 0; g < res->ngroup; g++) {
    for (size_t r = 0; r < nr; r++) mask[r] = gidx[r] == (long)g;
    q = gq;
    q.rows = mask;
    if ((rc = sf_fit_table(t, &q, &res->fit[g]))) {
      sf_fail_context("%sby %s, group '%s': ", pre, res->by, res->label[g]);
      goto out;
    }
    nsum += res->fit[g].fit.n;
    nh += res->fit[g].n_holdout;
    if (res->fit[g].n_holdout) ssh += (double)res->fit[g].n_holdout * res->fit[g].holdout_rmse * res->fit[g].holdout_rmse;
  }
  if (nsum != res->pooled.fit.n || nh != res->pooled.n_holdout) { /* the same runs by construction */
    rc = sf_fail(SF_EINTERNAL, "%sby %s: the groups fitted %zu runs (%zu held out), the pooled fit %zu (%zu)", pre,
                 res->by, nsum, nh, res->pooled.fit.n, res->pooled.n_holdout);
    goto out;
  }
  if (nh) res->holdout_rmse_sep = sqrt(ssh / (double)nh); /* NaN if any group's could not be scored */

  /* pooled against separate: the same runs, space and sigma; least squares' likelihood only */
  res->n = nsum;
  res->k_pooled = k;
  res->chi2_pooled = res->pooled.fit.chi2;
  res->chi2_sep = 0;
  res->k_sep = 0;
  for (size_t g = 0; g < res->ngroup; g++) res->chi2_sep += res->fit[g].fit.chi2, res->k_sep += res->fit[g].fit.nfree;
  if (res->pooled.opts.loss == SF_LOSS_HUBER) {
    res->no_test = sf_asprintf("%s: AIC, BIC and the F-test count a Gaussian likelihood, which least squares maximises "
                               "and huber does not; pass %sloss l2 for the test", rq->loss == SF_LOSS_HUBER
                               ? "huber loss" : "huber loss (the law's default)", pre);
  } else {
    res->test = 1;
    sf_fit_criteria(res->n, res->chi2_pooled, res->k_pooled, &res->aic[0], &res->bic[0]);
    sf_fit_criteria(res->n, res->chi2_sep, res->k_sep, &res->aic[1], &res->bic[1]);
    for (int m = 0; m < 2; m++) res->aicc[m] = sf_fit_aicc(res->n, m ? res->k_sep : res->k_pooled, res->aic[m]);
    sf_fit_ic_compare(res->aicc, 2, res->delta_aicc, res->weight);
    sf_fit_ic_compare(res->aic, 2, res->delta_aic, NULL);
    sf_fit_ic_compare(res->bic, 2, res->delta_bic, NULL);
    res->df1 = (double)(res->k_sep - res->k_pooled);
    res->df2 = (double)(res->n - res->k_sep); /* > 0: every group has more runs than parameters */
    res->F = (res->chi2_pooled - res->chi2_sep) / res->df1 / (res->chi2_sep / res->df2);
    /* a pooled optimum a rounding below the separate ones' sum is no evidence of a difference */
    res->p = res->F > 0 ? gsl_cdf_fdist_Q(res->F, res->df1, res->df2) : isfinite(res->F) ? 1 : NAN;
  }
  if (res->ngroup == 2) {
    const sf_fit_result *a = &res->fit[0].fit, *b = &res->fit[1].fit;
    if (has_warning(&res->fit[0], SF_FITWARN_HUBER_STDERR) || has_warning(&res->fit[1], SF_FITWARN_HUBER_STDERR)) {
      res->no_z = sf_asprintf("most residuals lie beyond huber's delta, so the standard errors are least squares' "
                              "formula and too rough for a z: compare bootstrap intervals, or fit with %sloss l2", pre);
    } else {
      res->z_ok = 1;
      for (size_t j = 0; j < rq->law->np; j++) {
        double se = sqrt(a->stderr_[j] * a->stderr_[j] + b->stderr_[j] * b->stderr_[j]);
        res->z[j] = res->fit[0].opts.fixed[j] || !(se > 0) ? NAN : (a->params[j] - b->params[j]) / se;
        res->z_p[j] = isfinite(res->z[j]) ? 2 * gsl_cdf_ugaussian_Q(fabs(res->z[j])) : NAN;
      }
    }
  }
  rc = (res->test || res->no_test) && (res->ngroup != 2 || res->z_ok || res->no_z) ? SF_OK
                                                                                     : sf_fail(SF_ENOMEM, "out of memory");
out:
  for (size_t g = 0; gs && g < ng; g++) free(gs[g].label);
  free(gs), free(gidx), free(mask);
  return rc;
}
