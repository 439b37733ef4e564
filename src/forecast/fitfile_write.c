/* fitfile_write.c: the one writer of the saved-fit format (docs/FIT.md), read back by
 * fitfile.c. `scalefit fit -o` and the report runner both fit with sf_fit_table, fill an
 * sf_fitrecord from its result (sf_fitrecord_from_fit) and call sf_fitfile_to_json. */
#include <scalefit/sf_fit.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_version.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

static void params_object(sf_json *j, const char *key, const sf_law *law, const double *v) {
  sf_json_begin_object(j, key);
  for (size_t k = 0; k < law->np; k++) sf_json_number(j, law->par[k].name, v[k]);
  sf_json_end_object(j);
}

static void pair(sf_json *j, const char *key, double lo, double hi) {
  sf_json_begin_array(j, key);
  sf_json_number(j, NULL, lo);
  sf_json_number(j, NULL, hi);
  sf_json_end_array(j);
}

void sf_fitrecord_from_fit(sf_fitrecord *rec, const sf_fit_table_result *f) {
  memset(rec, 0, sizeof *rec);
  rec->law = f->law;
  rec->xname = (const char *const *)f->xname;
  rec->yname = f->yname;
  rec->sigma = f->sigma_name;
  rec->opts = &f->opts;
  rec->res = &f->fit;
  rec->K = f->K;
  rec->nfailed = f->nfailed;
  rec->samples = f->samples;
  rec->ci_lo = f->ci_lo;
  rec->ci_hi = f->ci_hi;
  rec->ci_level = f->level;
  rec->seed = (long long)f->seed;
  rec->boot_seconds = f->boot_seconds;
  rec->warnings = f->warnings;
  rec->n_rows = f->n_rows;
  for (size_t k = 0; k < f->nrange && k < SF_FITRECORD_MAXRANGE; k++) {
    rec->range_name[k] = f->range_name[k];
    rec->range_lo[k] = f->range_lo[k];
    rec->range_hi[k] = f->range_hi[k];
    rec->nrange = k + 1;
  }
  rec->n_holdout = f->n_holdout;
  rec->holdout_by = f->holdout_by;
  rec->holdout_fraction = f->holdout;
  rec->holdout_budgets = f->holdout_budgets;
  rec->holdout_threshold = f->holdout_above;
  rec->holdout_rmse = f->holdout_rmse;
  rec->holdout_maxabs = f->holdout_maxabs;
  rec->holdout_mean_rel = f->holdout_mean_rel;
  rec->n_where = f->n_where;
  rec->n_skipped = f->n_skipped;
  rec->skipped = f->skipped;
  rec->nskip_col = f->nskip_col;
  rec->skip_col = f->skip_col;
}

/* data.skipped: each run skipped for a missing value, {"run", "row", "missing": [columns]}; "run" is
 * null in a file without run names */
static void skipped_json(sf_json *j, const char *key, const sf_fit_skip *s, size_t n, char *const *col,
                         size_t ncol) {
  sf_json_begin_array(j, key);
  for (size_t k = 0; k < n && s; k++) {
    sf_json_begin_object(j, NULL);
    if (s[k].run && s[k].run[0]) sf_json_string(j, "run", s[k].run);
    else sf_json_null(j, "run");
    sf_json_int(j, "row", (long long)s[k].row);
    sf_json_begin_array(j, "missing");
    for (size_t c = 0; c < ncol; c++)
      if (s[k].missing & 1u << c) sf_json_string(j, NULL, col[c]);
    sf_json_end_array(j);
    sf_json_end_object(j);
  }
  sf_json_end_array(j);
}

char *sf_fitfile_to_json(const sf_fitrecord *rec, int pretty) {
  const sf_law *law = rec->law;
  const sf_fit_result *r = rec->res;
  const sf_fit_opts *o = rec->opts;
  sf_buf b;
  sf_buf_init(&b);
  sf_json j;
  sf_json_init(&j, &b, pretty);
  sf_json_begin_object(&j, NULL);
  sf_json_string(&j, "format", "scalefit-fit");
  sf_json_int(&j, "version", SF_FITFILE_VERSION);
  sf_json_string(&j, "scalefit_version", sf_version());
  sf_json_string(&j, "law", law->name);
  sf_json_string(&j, "formula", law->formula);
  sf_json_begin_array(&j, "vars");
  for (size_t v = 0; v < law->nvar; v++) sf_json_string(&j, NULL, rec->xname[v]);
  sf_json_end_array(&j);
  sf_json_string(&j, "y", rec->yname);
  sf_json_string(&j, "space", o->space == SF_SPACE_LOG ? "log" : "linear");
  sf_json_string(&j, "loss", o->loss == SF_LOSS_HUBER ? "huber" : "l2");
  if (o->loss == SF_LOSS_HUBER) sf_json_number(&j, "delta", o->delta);
  if (rec->sigma) { /* absent in an unweighted fit (and in files written before weighted fits) */
    sf_json_string(&j, "sigma", rec->sigma);
    sf_json_bool(&j, "absolute_sigma", o->absolute_sigma);
  }
  sf_json_begin_array(&j, "param_order");
  for (size_t k = 0; k < law->np; k++) sf_json_string(&j, NULL, law->par[k].name);
  sf_json_end_array(&j);
  params_object(&j, "params", law, r->params);
  params_object(&j, "stderr", law, r->stderr_);
  /* the standard error's 95% interval, on the scale on which each parameter is unbounded (log for a
   * positive one): v +- 1.96 se gave a positive A [-1940.9, 8612.1]; docs/FIT.md */
  sf_json_begin_object(&j, "wald_interval");
  for (size_t k = 0; k < law->np; k++) {
    double lo, hi;
    sf_fit_wald_interval(law, o, k, r->params[k], r->stderr_[k], 1.96, &lo, &hi);
    pair(&j, law->par[k].name, lo, hi);
  }
  sf_json_end_object(&j);
  sf_json_begin_object(&j, "wald_scale");
  for (size_t k = 0; k < law->np; k++) {
    double lo, hi;
    sf_json_string(&j, law->par[k].name, sf_wald_scale_name(sf_fit_wald_interval(law, o, k, r->params[k], r->stderr_[k], 1.96, &lo, &hi)));
  }
  sf_json_end_object(&j);
  params_object(&j, "internal", law, r->theta);
  sf_json_begin_array(&j, "cov");
  for (size_t a = 0; a < law->np; a++) {
    sf_json_begin_array(&j, NULL);
    for (size_t c = 0; c < law->np; c++) sf_json_number(&j, NULL, r->cov[a * law->np + c]);
    sf_json_end_array(&j);
  }
  sf_json_end_array(&j);
  sf_json_begin_object(&j, "fixed");
  for (size_t k = 0; k < law->np; k++)
    if (o->fixed[k]) sf_json_number(&j, law->par[k].name, o->fix_value[k]);
  sf_json_end_object(&j);
  if (rec->K) {
    sf_json_number(&j, "ci_level", rec->ci_level);
    sf_json_begin_object(&j, "ci");
    for (size_t k = 0; k < law->np; k++) pair(&j, law->par[k].name, rec->ci_lo[k], rec->ci_hi[k]);
    sf_json_end_object(&j);
    sf_json_begin_object(&j, "bootstrap");
    sf_json_int(&j, "K", (long long)rec->K);
    sf_json_int(&j, "seed", rec->seed);
    sf_json_int(&j, "failed", (long long)rec->nfailed);
    sf_json_number(&j, "seconds", rec->boot_seconds);
    sf_json_begin_array(&j, "samples");
    for (size_t k = 0; k < rec->K; k++) {
      sf_json_begin_array(&j, NULL);
      for (size_t c = 0; c < law->np; c++) sf_json_number(&j, NULL, rec->samples[k * law->np + c]);
      sf_json_end_array(&j);
    }
    sf_json_end_array(&j);
    sf_json_end_object(&j);
  }
  sf_json_number(&j, "objective", r->objective);
  sf_json_int(&j, "n_points", (long long)r->n);
  sf_json_int(&j, "n_free", (long long)r->nfree);
  sf_json_number(&j, "rss", r->rss);
  sf_json_number(&j, "rmse", r->rmse);
  if (rec->sigma) {
    sf_json_number(&j, "chi2", r->chi2);
    sf_json_number(&j, "dof", r->dof);
  }
  sf_json_number(&j, "aic", r->aic);
  sf_json_number(&j, "aicc", r->aicc); /* null where undefined (n <= k + 1) */
  sf_json_number(&j, "bic", r->bic);
  sf_json_number(&j, "rcond", r->rcond);
  sf_json_bool(&j, "converged", r->converged);
  sf_json_int(&j, "starts", (long long)r->nstarts);
  sf_json_int(&j, "converged_starts", (long long)r->nconverged);
  sf_json_int(&j, "abandoned_starts", (long long)r->nabandoned);
  sf_json_int(&j, "best_basin_count", (long long)r->best_basin);
  sf_json_int(&j, "evaluations", (long long)r->evaluations);
  sf_json_number(&j, "seconds", r->seconds);
  sf_json_begin_array(&j, "warnings");
  for (const char *w = rec->warnings ? rec->warnings : ""; *w;) {
    const char *nl = strchr(w, '\n');
    size_t len = nl ? (size_t)(nl - w) : strlen(w);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)len, w);
    sf_json_string(&j, NULL, line);
    w += len + (nl != NULL);
  }
  sf_json_end_array(&j);
  sf_json_begin_object(&j, "data");
  sf_json_string(&j, "file", rec->data_file);
  sf_json_string(&j, "table", rec->table);
  sf_json_string(&j, "where", rec->where);
  sf_json_int(&j, "n_rows", (long long)rec->n_rows);
  sf_json_int(&j, "n_where", (long long)rec->n_where);
  sf_json_int(&j, "n_skipped", (long long)rec->n_skipped);
  skipped_json(&j, "skipped", rec->skipped, rec->n_skipped, rec->skip_col, rec->nskip_col);
  sf_json_begin_object(&j, "range");
  for (size_t k = 0; k < rec->nrange && k < SF_FITRECORD_MAXRANGE; k++)
    pair(&j, rec->range_name[k], rec->range_lo[k], rec->range_hi[k]);
  sf_json_end_object(&j);
  sf_json_end_object(&j);
  if (rec->n_holdout) {
    sf_json_begin_object(&j, "holdout");
    sf_json_string(&j, "by", rec->holdout_by);
    if (isfinite(rec->holdout_fraction)) sf_json_number(&j, "fraction", rec->holdout_fraction);
    if (isfinite(rec->holdout_fraction)) sf_json_int(&j, "budgets", (long long)rec->holdout_budgets);
    if (isfinite(rec->holdout_threshold)) sf_json_number(&j, "threshold", rec->holdout_threshold);
    sf_json_int(&j, "n_train", (long long)r->n);
    sf_json_int(&j, "n_test", (long long)rec->n_holdout);
    sf_json_number(&j, "rmse", rec->holdout_rmse);
    sf_json_number(&j, "max_abs_error", rec->holdout_maxabs);
    sf_json_number(&j, "mean_relative_error", rec->holdout_mean_rel);
    sf_json_end_object(&j);
  }
  sf_json_end_object(&j);
  if (b.oom) {
    sf_buf_free(&b);
    return NULL;
  }
  return sf_buf_take(&b);
}
