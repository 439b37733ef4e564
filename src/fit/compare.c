/* compare.c: several laws fitted to the same runs and ranked by AIC and BIC (sf_fit_compare,
 * contract in sf_fit.h), and the criteria every fit and comparison shares (sf_fit_criteria,
 * sf_fit_ic_compare; `turn` ranks its growth laws with them too).
 *
 * A comparison is one sf_fit_table per law from one request. What makes the criteria comparable
 * is checked before anything is fitted: the same input and output columns (hence the same runs
 * after where, missing values and the hold-out), the same residual space and least squares, the
 * same sigma. A law that fails numerically is reported as failed and the others are still ranked.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_fit.h>
#include <scalefit/sf_law.h>
#include <scalefit/sf_store.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---- the criteria ---- */

void sf_fit_criteria(size_t n, double chi2, size_t k, double *aic, double *bic) {
  double nn = (double)n, kk = (double)k;
  *aic = nn * log(chi2 / nn) + 2 * kk;
  *bic = nn * log(chi2 / nn) + kk * log(nn);
}

double sf_fit_aicc(size_t n, size_t k, double aic) {
  if (n <= k + 1 || !isfinite(aic)) return NAN; /* never a division by zero or by a negative count */
  double kk = (double)k;
  return aic + 2 * kk * (kk + 1) / ((double)n - kk - 1);
}

int sf_fit_ic_compare(const double *ic, size_t m, double *delta, double *weight) {
  int best = -1;
  for (size_t i = 0; i < m; i++)
    if (isfinite(ic[i]) && (best < 0 || ic[i] < ic[best])) best = (int)i;
  double sum = 0;
  for (size_t i = 0; i < m; i++) {
    double d = best >= 0 && isfinite(ic[i]) ? ic[i] - ic[best] : NAN;
    if (delta) delta[i] = d;
    sum += isfinite(d) ? exp(-d / 2) : 0; /* the best contributes 1: the sum is never 0 */
  }
  if (weight)
    for (size_t i = 0; i < m; i++) {
      double d = best >= 0 && isfinite(ic[i]) ? ic[i] - ic[best] : NAN;
      weight[i] = isfinite(d) ? exp(-d / 2) / sum : 0;
    }
  return best;
}

/* ---- the comparison ---- */

const char *sf_fit_degenerate(const sf_fit_table_result *f) {
  static const sf_fit_warnkind order[] = {SF_FITWARN_NOT_FINITE, SF_FITWARN_DEGENERATE, SF_FITWARN_NOT_CONVERGED};
  for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
    for (size_t k = 0; k < f->nwarn; k++)
      if (f->warn[k].kind == order[o]) return f->warn[k].text;
  return NULL;
}

void sf_fit_compare_result_free(sf_fit_compare_result *res) {
  if (!res) return;
  for (size_t i = 0; i < res->m; i++) {
    if (res->fit) sf_fit_table_result_free(&res->fit[i]);
    if (res->error) free(res->error[i]);
  }
  free(res->fit), free(res->rc), free(res->error);
  free(res->delta_aic), free(res->delta_bic), free(res->delta_aicc), free(res->weight);
  memset(res, 0, sizeof *res);
}

/* A law as messages name it: its catalogue name, or a formula's text */
static const char *label(const sf_law *law) { return sf_law_label(law); }

/* The columns law would fit under rq, as sf_fit_table's setup finds them (--x for a catalogue
 * law, a formula's own names, else the law's defaults), sorted; -1 for a name that finds no
 * column, which sf_fit_table then reports in its own words. */
static int law_columns(const sf_table *t, const sf_fit_request *rq, const sf_law *law, int *cx, size_t *nx, int *cy) {
  int formula = strcmp(law->name, "formula") == 0;
  const char *names[SF_LAW_MAXVAR];
  char buf[512];
  size_t n = 0;
  if (rq->x && !formula) {
    snprintf(buf, sizeof buf, "%s", rq->x);
    for (char *save = NULL, *tok = strtok_r(buf, ", \t", &save); tok && n < SF_LAW_MAXVAR;
         tok = strtok_r(NULL, ", \t", &save))
      names[n++] = tok;
  } else {
    for (size_t v = 0; v < law->nvar; v++) names[n++] = law->vars[v];
  }
  for (size_t v = 0; v < n; v++) {
    int c = sf_table_find(t, names[v]);
    if (c < 0) {
      int rc = sf_table_resolve(t, names[v], &c);
      if (rc) return rc;
    }
    cx[v] = c;
  }
  for (size_t a = 1; a < n; a++) /* as a set: 'loss = E + B*D^-b + A*N^-a' takes N, D as chinchilla does */
    for (size_t b = a; b > 0 && cx[b - 1] > cx[b]; b--) {
      int tmp = cx[b];
      cx[b] = cx[b - 1];
      cx[b - 1] = tmp;
    }
  *nx = n;
  const char *y = rq->y ? rq->y : law->y;
  int c = sf_table_find(t, y);
  if (c < 0) {
    int rc = sf_table_resolve(t, y, &c);
    if (rc) return rc;
  }
  *cy = c;
  return SF_OK;
}

/* "power (C), chinchilla (N, D)": each law with what describe() says of it */
static char *list_laws(const sf_law *const *laws, size_t m, void (*describe)(sf_buf *, size_t, void *), void *ctx) {
  sf_buf b;
  sf_buf_init(&b);
  for (size_t i = 0; i < m; i++) {
    sf_buf_printf(&b, "%s'%s' (", i ? ", " : "", label(laws[i]));
    describe(&b, i, ctx);
    sf_buf_add(&b, ")");
  }
  char *s = b.oom ? NULL : sf_buf_take(&b);
  sf_buf_free(&b);
  return s;
}

typedef struct cols_ctx {
  const sf_table *t;
  int (*cx)[SF_LAW_MAXVAR];
  size_t *nx;
  int *cy;
  int output; /* describe the output column rather than the inputs */
} cols_ctx;

static void describe_cols(sf_buf *b, size_t i, void *vctx) {
  cols_ctx *c = vctx;
  if (c->output) {
    sf_buf_add(b, c->cy[i] >= 0 ? c->t->cols[c->cy[i]].name : "?");
    return;
  }
  for (size_t v = 0; v < c->nx[i]; v++)
    sf_buf_printf(b, "%s%s", v ? ", " : "", c->cx[i][v] >= 0 ? c->t->cols[c->cx[i][v]].name : "?");
}

static void describe_space(sf_buf *b, size_t i, void *ctx) {
  const sf_law *const *laws = ctx;
  sf_buf_add(b, laws[i]->space == SF_SPACE_LOG ? "log" : "linear");
}

static void describe_loss(sf_buf *b, size_t i, void *ctx) {
  const sf_law *const *laws = ctx;
  sf_buf_add(b, laws[i]->loss == SF_LOSS_HUBER ? "huber" : "l2");
}

/* Refuses what would make the laws' criteria incomparable or what one request cannot carry to
 * every law (see sf_fit.h); sets res->loss and res->space. */
static int check_comparable(const sf_table *t, const sf_fit_request *rq, const sf_law *const *laws, size_t m,
                            sf_fit_compare_result *res) {
  const char *pre = rq->opt_prefix ? rq->opt_prefix : "";
  if (m < 2) return sf_fail(SF_EUSAGE, "a comparison needs at least 2 laws, got %zu", m);
  if (rq->nfix || rq->nbound)
    return sf_fail(SF_EUSAGE, "%s%s applies to one law's parameters: fit the laws one at a time to pin or bound "
                   "them", pre, rq->nfix ? "fix" : "bound");
  if (rq->starts) return sf_fail(SF_EUSAGE, "starts given as parameter rows fit one law: compare with the laws' own "
                                 "starts or random ones");
  if (rq->bootstrap)
    return sf_fail(SF_EUSAGE, "%sbootstrap gives one law's intervals: compare first, then rerun the chosen law with "
                   "%sbootstrap", pre, pre);
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < i; j++)
      if (laws[i] == laws[j]) return sf_fail(SF_EUSAGE, "law '%s' is listed twice", label(laws[i]));
  /* inputs and output: the same columns, so the same runs and the same y */
  int cx[SF_FIT_MAXCOMPARE][SF_LAW_MAXVAR], cy[SF_FIT_MAXCOMPARE];
  size_t nx[SF_FIT_MAXCOMPARE];
  if (m > SF_FIT_MAXCOMPARE) return sf_fail(SF_EUSAGE, "at most %d laws at a time, got %zu", SF_FIT_MAXCOMPARE, m);
  int same_x = 1, same_y = 1;
  for (size_t i = 0; i < m; i++) {
    int rc = law_columns(t, rq, laws[i], cx[i], &nx[i], &cy[i]);
    if (rc) return rc;
    same_y = same_y && cy[i] == cy[0];
    same_x = same_x && nx[i] == nx[0] && memcmp(cx[i], cx[0], nx[0] * sizeof(int)) == 0;
  }
  cols_ctx cc = {t, cx, nx, cy, 0};
  if (!same_x) {
    char *s = list_laws(laws, m, describe_cols, &cc);
    sf_fail(SF_EUSAGE, "the laws take different inputs: %s; criteria compare fits of the same runs with the same "
            "inputs: compare laws of the same columns (%sx COL sets them for laws of one input)", s ? s : "?", pre);
    free(s);
    return SF_EUSAGE;
  }
  if (!same_y) {
    cc.output = 1;
    char *s = list_laws(laws, m, describe_cols, &cc);
    sf_fail(SF_EUSAGE, "the laws model different outputs: %s; give %sy COL to fit them all to one", s ? s : "?", pre);
    free(s);
    return SF_EUSAGE;
  }
  /* one residual space and least squares for all: the likelihood the criteria count */
  int same_space = 1;
  for (size_t i = 1; i < m; i++) same_space = same_space && laws[i]->space == laws[0]->space;
  if (rq->space < 0 && !same_space) {
    char *s = list_laws(laws, m, describe_space, (void *)laws);
    sf_fail(SF_EUSAGE, "the laws fit residuals in different spaces by default: %s; AIC and BIC compare fits of the "
            "same y in one space: give %sspace log or %sspace linear to fit them all in it", s ? s : "?", pre, pre);
    free(s);
    return SF_EUSAGE;
  }
  res->space = rq->space >= 0 ? (sf_space)rq->space : laws[0]->space;
  int huber = 0;
  for (size_t i = 0; i < m && rq->loss < 0; i++) huber = huber || laws[i]->loss == SF_LOSS_HUBER;
  if (rq->loss == SF_LOSS_HUBER)
    return sf_fail(SF_EUSAGE, "%sloss huber: AIC and BIC count a Gaussian likelihood, which least squares maximises "
                   "and huber does not: compare with %sloss l2 (and fit the chosen law with huber alone)", pre, pre);
  if (huber) {
    char *s = list_laws(laws, m, describe_loss, (void *)laws);
    sf_fail(SF_EUSAGE, "AIC and BIC count a Gaussian likelihood, which least squares maximises and huber does not "
            "(the laws' defaults: %s): compare with %sloss l2", s ? s : "?", pre);
    free(s);
    return SF_EUSAGE;
  }
  res->loss = SF_LOSS_L2;
  return SF_OK;
}

int sf_fit_compare(const sf_table *t, const sf_fit_request *rq, const sf_law *const *laws, size_t m,
                   sf_fit_compare_result *res) {
  memset(res, 0, sizeof *res);
  res->best_aic = res->best_bic = res->best_aicc = -1;
  int rc = check_comparable(t, rq, laws, m, res);
  if (rc) return rc;
  res->fit = calloc(m, sizeof *res->fit);
  res->rc = calloc(m, sizeof *res->rc);
  res->error = calloc(m, sizeof *res->error);
  res->delta_aic = calloc(m, sizeof *res->delta_aic);
  res->delta_bic = calloc(m, sizeof *res->delta_bic);
  res->delta_aicc = calloc(m, sizeof *res->delta_aicc);
  res->weight = calloc(m, sizeof *res->weight);
  double *aic = calloc(m, sizeof *aic), *bic = calloc(m, sizeof *bic), *aicc = calloc(m, sizeof *aicc);
  if (!res->fit || !res->rc || !res->error || !res->delta_aic || !res->delta_bic || !res->delta_aicc || !res->weight ||
      !aic || !bic || !aicc) {
    free(aic), free(bic), free(aicc);
    sf_fit_compare_result_free(res);
    res->best_aic = res->best_bic = res->best_aicc = -1;
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  res->m = m;
  sf_buf failed;
  sf_buf_init(&failed);
  for (size_t i = 0; i < m; i++) {
    sf_fit_request q = *rq;
    q.law = laws[i];
    if (strcmp(laws[i]->name, "formula") == 0) q.x = NULL; /* its names are its inputs (checked the same above) */
    rc = sf_fit_table(t, &q, &res->fit[i]);
    aic[i] = bic[i] = aicc[i] = NAN;
    if (rc == SF_ENUMERIC) { /* this law, not the data: the others are still compared */
      res->rc[i] = rc;
      res->error[i] = sf_strdup(sf_errmsg());
      sf_buf_printf(&failed, "%s'%s'", res->nfailed ? ", " : "", label(laws[i]));
      res->nfailed++;
      sf_error_clear();
      continue;
    }
    if (rc) {
      sf_fail_context("law '%s': ", label(laws[i]));
      goto out;
    }
    /* the same columns and selection pick the same runs; a difference would be a bug here */
    if (i > 0 && res->fit[0].role && t->nrows && memcmp(res->fit[i].role, res->fit[0].role, t->nrows) != 0) {
      rc = sf_fail(SF_EINTERNAL, "law '%s' was fitted to other runs than law '%s'", label(laws[i]), label(laws[0]));
      goto out;
    }
    /* a degenerate fit is not ranked: its likelihood is a limit's (a step through two runs, a
     * kink no run shapes) and its k counts parameters the runs do not determine, so a weight
     * would call a limit the model to prefer (Chinchilla's runs: bnsl's kink took weight 1.000) */
    if (sf_fit_degenerate(&res->fit[i])) {
      res->ndegenerate++;
      continue;
    }
    aic[i] = res->fit[i].fit.aic;
    bic[i] = res->fit[i].fit.bic;
    aicc[i] = res->fit[i].fit.aicc;
  }
  /* weights by AICc: with tens of runs and up to 6 parameters, plain AIC's 2k under-penalises the
   * law with more of them (bnsl's k = 6 on 15 runs: AICc adds 84/8 = 10.5, AIC nothing) */
  res->best_aicc = sf_fit_ic_compare(aicc, m, res->delta_aicc, res->weight);
  res->best_aic = sf_fit_ic_compare(aic, m, res->delta_aic, NULL);
  res->best_bic = sf_fit_ic_compare(bic, m, res->delta_bic, NULL);
  for (size_t i = 0; i < m; i++)
    if (res->rc[i] == SF_OK && sf_fit_degenerate(&res->fit[i])) res->weight[i] = NAN; /* not weighed, not 0 */
  rc = SF_OK;
  if (res->nfailed)
    rc = sf_fail(SF_ENUMERIC, "%zu of %zu laws could not be fitted: %s", res->nfailed, m,
                 failed.oom ? "?" : sf_buf_str(&failed));
out:
  sf_buf_free(&failed);
  free(aic), free(bic), free(aicc);
  return rc;
}
