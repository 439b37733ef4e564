/* fitfile.c: loading fitted laws for the forecast commands.
 *
 * Two sources end up in the same sf_fitfile: a saved fit (`scalefit fit -o FIT.json`, version 1
 * of the format in notes/FITFILE.md) and a published law (a row of datasets/laws.csv). The file
 * lists parameters in its own `param_order`; everything here is remapped to the law's order by
 * name, so a catalogue that later reorders or a formula whose identifiers appear in another
 * order still loads correctly. Every check names the file and the key at fault.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_store.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/csvrec.h"
#include "util/util.h"

void sf_fitfile_free(sf_fitfile *ff) {
  if (!ff) return;
  sf_law_free(ff->owned);
  free(ff->law_name);
  free(ff->origin);
  free(ff->output);
  free(ff->sigma);
  for (size_t k = 0; k < SF_LAW_MAXVAR; k++) free(ff->vars[k]);
  free(ff->samples);
  for (size_t k = 0; k < ff->nrange; k++) free(ff->range[k].name);
  free(ff);
}

static sf_fitfile *fitfile_new(const char *origin) {
  sf_fitfile *ff = calloc(1, sizeof *ff);
  if (!ff) return NULL;
  ff->origin = sf_strdup(origin);
  ff->ci_level = 0.95;
  ff->var_N = ff->var_D = ff->var_C = -1;
  if (!ff->origin) {
    free(ff);
    return NULL;
  }
  return ff;
}

static char *catalogue_names(void) {
  sf_buf b;
  sf_buf_init(&b);
  for (size_t i = 0; i < sf_law_count(); i++) sf_buf_printf(&b, "%s%s", i ? ", " : "", sf_law_at(i)->name);
  return sf_buf_take(&b);
}

static int unknown_law(const char *origin, const char *name) {
  char *names = catalogue_names();
  int rc = sf_fail(SF_EINPUT, "'%s': unknown law '%s' (the catalogue has: %s)", origin, name, names ? names : "");
  free(names);
  return rc;
}

/* The canonical column a variable names by the store's header rule (docs/FORMAT.md: `Params`,
 * `Tokens`, `Compute`, `model_size` are N, D, C), as 'N', 'D', 'C', or 0. A scaled spelling
 * ("Params (B)") is not N in parameters and names none; a one-letter name only itself, as in
 * formulas (docs/FIT.md: `c` is a parameter beside the column C). */
static char canonical_ndc(const char *var) {
  if (var[0] && !var[1]) return strchr("NDC", var[0]) ? var[0] : 0;
  char nm[2];
  return sf_header_column(var, nm, sizeof nm) && strchr("NDC", nm[0]) ? nm[0] : 0;
}

/* Binds variables, decides what `optimal` can do. vars may be NULL (the law's defaults). */
static int bind_vars(sf_fitfile *ff, const char *const *vars, size_t nvar) {
  const sf_law *law = ff->law;
  if (vars && nvar != law->nvar)
    return sf_fail(SF_EINPUT, "'%s': 'vars' has %zu names but law '%s' takes %zu variables", ff->origin, nvar,
                   sf_law_label(law), law->nvar);
  ff->nvar = law->nvar;
  for (size_t k = 0; k < law->nvar; k++) {
    ff->vars[k] = sf_strdup(vars ? vars[k] : law->vars[k]);
    if (!ff->vars[k]) return sf_fail(SF_ENOMEM, "out of memory");
  }
  /* N, D and C by the rule the store reads headers with, so that a formula written with the
   * data's own spelling (`Params`, `Tokens`, `Compute`) gets allocation and cost like N, D, C;
   * two variables naming the same column (N and params) bind neither: no guess */
  int *slot[3] = {&ff->var_N, &ff->var_D, &ff->var_C};
  for (int q = 0; q < 3; q++) {
    int found = -1, count = 0;
    for (size_t k = 0; k < law->nvar; k++)
      if (canonical_ndc(ff->vars[k]) == "NDC"[q]) found = (int)k, count++;
    *slot[q] = count == 1 ? found : -1;
  }
  ff->alloc = SF_ALLOC_NONE;
  if (ff->var_N >= 0 && ff->var_D >= 0 && ff->nvar == 2) ff->alloc = SF_ALLOC_ND;
  else if (ff->nvar == 1 && ff->var_C == 0 && ff->output && strcmp(ff->output, "D_opt") == 0)
    ff->alloc = SF_ALLOC_DOPT;
  else if (ff->nvar == 1 && ff->var_C == 0 && ff->output && strcmp(ff->output, "N_opt") == 0)
    ff->alloc = SF_ALLOC_NOPT;
  ff->np = law->np;
  return SF_OK;
}

/* ---- saved fit files ---- */

static int get_num(const sf_jval *v, double *out) {
  if (!v || v->type != SF_JNUM) return 0;
  *out = v->num;
  return 1;
}

/* A JSON number or null (NaN); 0 for anything else. */
static int get_num_or_null(const sf_jval *v, double *out) {
  if (v && v->type == SF_JNULL) {
    *out = NAN;
    return 1;
  }
  return get_num(v, out);
}

/* An optional key present with the wrong type is an error, never skipped: a hand-edited
 * "ci_level": "0.9" or "bootstrap": [...] silently ignored gives other bands than the file says.
 * null stands for absent (the writer emits null for a value it does not have). */
static const char *const jtype_names[] = {"null", "true or false", "a number", "a string", "an array", "an object"};

static int check_type(const sf_jval *v, sf_jtype want, const char *origin, const char *key) {
  if (!v || v->type == want || v->type == SF_JNULL) return SF_OK;
  return sf_fail(SF_EINPUT, "'%s': '%s' must be %s, not %s", origin, key, jtype_names[want], jtype_names[v->type]);
}

int sf_fitfile_from_json(const sf_jval *root, const char *origin, sf_fitfile **out) {
  *out = NULL;
  if (!root || root->type != SF_JOBJ) return sf_fail(SF_EINPUT, "'%s' is not a scalefit fit file (not a JSON object)", origin);
  const char *format = sf_jstr(sf_jget(root, "format"), NULL);
  if (!format || strcmp(format, "scalefit-fit") != 0)
    return sf_fail(SF_EINPUT, "'%s' is not a scalefit fit file (format '%s', expected 'scalefit-fit')", origin,
                   format ? format : "(none)");
  double version;
  if (check_type(sf_jget(root, "version"), SF_JNUM, origin, "version") != SF_OK) return SF_EINPUT;
  if (!get_num(sf_jget(root, "version"), &version))
    return sf_fail(SF_EINPUT, "'%s': fit file has no 'version'", origin);
  if (version != SF_FITFILE_VERSION)
    return sf_fail(SF_EINPUT, "'%s': fit file version %g is not supported (this scalefit reads version %d)", origin,
                   version, SF_FITFILE_VERSION);
  const char *law_name = sf_jstr(sf_jget(root, "law"), NULL);
  if (check_type(sf_jget(root, "law"), SF_JSTR, origin, "law") != SF_OK) return SF_EINPUT;
  if (!law_name) return sf_fail(SF_EINPUT, "'%s': fit file has no 'law'", origin);
  /* the optional keys this reader uses, each of one type when present */
  static const struct {
    const char *key;
    sf_jtype type;
  } optional[] = {{"y", SF_JSTR},     {"formula", SF_JSTR}, {"fixed", SF_JOBJ},
                  {"bootstrap", SF_JOBJ}, {"ci_level", SF_JNUM}, {"data", SF_JOBJ}};
  for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++)
    if (check_type(sf_jget(root, optional[k].key), optional[k].type, origin, optional[k].key) != SF_OK)
      return SF_EINPUT;
  if (check_type(sf_jget(sf_jget(root, "data"), "range"), SF_JOBJ, origin, "data.range") != SF_OK ||
      check_type(sf_jget(sf_jget(root, "data"), "n_where"), SF_JNUM, origin, "data.n_where") != SF_OK ||
      check_type(sf_jget(sf_jget(root, "data"), "n_skipped"), SF_JNUM, origin, "data.n_skipped") != SF_OK ||
      check_type(sf_jget(sf_jget(root, "data"), "skipped"), SF_JARR, origin, "data.skipped") != SF_OK ||
      check_type(sf_jget(sf_jget(root, "bootstrap"), "failed"), SF_JNUM, origin, "bootstrap.failed") != SF_OK)
    return SF_EINPUT;

  sf_fitfile *ff = fitfile_new(origin);
  if (!ff) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = SF_OK;
  ff->law_name = sf_strdup(law_name);
  ff->output = sf_strdup(sf_jstr(sf_jget(root, "y"), ""));
  /* a weighted fit's sigma column; absent in unweighted fits and in files from before them */
  const sf_jval *jsg = sf_jget(root, "sigma"), *ja = sf_jget(root, "absolute_sigma");
  if (jsg && jsg->type != SF_JNULL) {
    const char *sg = sf_jstr(jsg, NULL);
    if (!sg || !*sg) {
      rc = sf_fail(SF_EINPUT, "'%s': 'sigma' must be the name of the fit's sigma column", origin);
      goto fail;
    }
    if (!(ff->sigma = sf_strdup(sg))) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto fail;
    }
  }
  if (ja && ja->type != SF_JBOOL) {
    rc = sf_fail(SF_EINPUT, "'%s': 'absolute_sigma' must be true or false", origin);
    goto fail;
  }
  ff->absolute_sigma = ja && ja->num != 0;

  /* variables */
  const sf_jval *jv = sf_jget(root, "vars");
  const char *vars[SF_LAW_MAXVAR];
  size_t nvar = 0;
  if (jv) {
    if (jv->type != SF_JARR || jv->n == 0 || jv->n > SF_LAW_MAXVAR) {
      rc = sf_fail(SF_EINPUT, "'%s': 'vars' must be an array of 1 to %d column names", origin, SF_LAW_MAXVAR);
      goto fail;
    }
    for (size_t k = 0; k < jv->n; k++) {
      vars[k] = sf_jstr(sf_jat(jv, k), NULL);
      if (!vars[k]) {
        rc = sf_fail(SF_EINPUT, "'%s': 'vars' item %zu is not a string", origin, k + 1);
        goto fail;
      }
      for (size_t q = 0; q < k; q++)
        if (strcmp(vars[q], vars[k]) == 0) {
          rc = sf_fail(SF_EINPUT, "'%s': 'vars' names '%s' twice (items %zu and %zu)", origin, vars[k], q + 1, k + 1);
          goto fail;
        }
    }
    nvar = jv->n;
  }

  /* the law */
  if (strcmp(law_name, "formula") == 0) {
    const char *formula = sf_jstr(sf_jget(root, "formula"), NULL);
    if (!formula) {
      rc = sf_fail(SF_EINPUT, "'%s': law 'formula' needs the 'formula' text", origin);
      goto fail;
    }
    if (!nvar) {
      rc = sf_fail(SF_EINPUT, "'%s': law 'formula' needs 'vars' (the data columns of the formula)", origin);
      goto fail;
    }
    rc = sf_law_from_formula(formula, vars, nvar, &ff->owned);
    if (rc != SF_OK) {
      sf_fail_context("'%s': formula '%s': ", origin, formula);
      goto fail;
    }
    ff->law = ff->owned;
    /* the formula's own variable order may differ from the file's: take the law's */
    rc = bind_vars(ff, NULL, 0);
  } else {
    ff->law = sf_law_find(law_name);
    if (!ff->law) {
      rc = unknown_law(origin, law_name);
      goto fail;
    }
    rc = bind_vars(ff, nvar ? vars : NULL, nvar);
  }
  if (rc != SF_OK) goto fail;
  if (!ff->output[0]) {
    free(ff->output);
    ff->output = sf_strdup(ff->law->y);
  }
  const sf_law *law = ff->law;
  const size_t np = law->np;

  /* parameter order of the file -> law order */
  int map[SF_LAW_MAXPAR]; /* map[file column] = law index */
  const sf_jval *po = sf_jget(root, "param_order");
  size_t nfile = np;
  if (po) {
    if (po->type != SF_JARR || po->n != np) {
      rc = sf_fail(SF_EINPUT, "'%s': 'param_order' must list the %zu parameters of law '%s'", origin, np, sf_law_label(law));
      goto fail;
    }
    for (size_t k = 0; k < np; k++) {
      const char *name = sf_jstr(sf_jat(po, k), NULL);
      int j = name ? sf_law_param_index(law, name) : -1;
      if (j < 0) {
        rc = sf_fail(SF_EINPUT, "'%s': 'param_order' item %zu ('%s') is not a parameter of law '%s'", origin, k + 1,
                     name ? name : "?", sf_law_label(law));
        goto fail;
      }
      map[k] = j;
    }
  } else {
    for (size_t k = 0; k < np; k++) map[k] = (int)k;
  }
  for (size_t a = 0; a < np; a++)
    for (size_t b = a + 1; b < np; b++)
      if (map[a] == map[b]) {
        rc = sf_fail(SF_EINPUT, "'%s': 'param_order' names parameter '%s' twice", origin, law->par[map[a]].name);
        goto fail;
      }

  /* parameters (by natural name) */
  const sf_jval *jp = sf_jget(root, "params");
  if (!jp || jp->type != SF_JOBJ) {
    rc = sf_fail(SF_EINPUT, "'%s': fit file has no 'params' object", origin);
    goto fail;
  }
  for (size_t j = 0; j < np; j++) {
    double v;
    const sf_jval *pv = sf_jget(jp, law->par[j].name);
    if (pv && pv->type == SF_JNULL) {
      /* what `scalefit fit` writes for a parameter that ran off to infinity: the file is fine, the fit is not */
      rc = sf_fail(SF_EINPUT, "'%s': parameter '%s' of law '%s' has no finite value (null): the fit diverged (its "
                   "warnings say why; too few distinct compute budgets, say), so it forecasts nothing; refit on runs "
                   "that determine every parameter, or pin one with --fix", origin, law->par[j].name, sf_law_label(law));
      goto fail;
    }
    if (!get_num(pv, &v) || !isfinite(v)) {
      rc = sf_fail(SF_EINPUT, "'%s': parameter '%s' of law '%s' is missing from 'params' or not a number", origin,
                   law->par[j].name, sf_law_label(law));
      goto fail;
    }
    if (isnan(sf_param_internal_closed(&law->par[j], v))) {
      rc = sf_fail(SF_EINPUT, "'%s': parameter '%s' = %g is outside the range law '%s' allows", origin,
                   law->par[j].name, v, sf_law_label(law));
      goto fail;
    }
    ff->params[j] = v;
  }
  const sf_jval *jf = sf_jget(root, "fixed");
  if (jf && jf->type == SF_JOBJ)
    for (size_t k = 0; k < jf->n; k++) {
      int j = sf_law_param_index(law, jf->keys[k]);
      if (j < 0) {
        rc = sf_fail(SF_EINPUT, "'%s': 'fixed' names '%s', not a parameter of law '%s'", origin, jf->keys[k], sf_law_label(law));
        goto fail;
      }
      ff->fixed[j] = 1;
    }

  /* covariance, file order -> law order */
  const sf_jval *jc = sf_jget(root, "cov");
  if (jc && jc->type != SF_JNULL) {
    if (jc->type != SF_JARR || jc->n != nfile) {
      rc = sf_fail(SF_EINPUT, "'%s': 'cov' must be a %zu x %zu matrix", origin, np, np);
      goto fail;
    }
    for (size_t a = 0; a < nfile; a++) {
      const sf_jval *row = sf_jat(jc, a);
      if (!row || row->type != SF_JARR || row->n != nfile) {
        rc = sf_fail(SF_EINPUT, "'%s': 'cov' row %zu must have %zu numbers", origin, a + 1, np);
        goto fail;
      }
      for (size_t b = 0; b < nfile; b++) {
        double v;
        if (!get_num_or_null(sf_jat(row, b), &v)) {
          rc = sf_fail(SF_EINPUT, "'%s': 'cov' row %zu item %zu is not a number", origin, a + 1, b + 1);
          goto fail;
        }
        ff->cov[(size_t)map[a] * np + (size_t)map[b]] = v;
      }
    }
    /* a variance below 0 is no covariance (a hand edit): refused, not turned into a missing band */
    for (size_t a = 0; a < np; a++)
      if (ff->cov[a * np + a] < 0) {
        rc = sf_fail(SF_EINPUT, "'%s': 'cov' gives parameter '%s' a negative variance (%g)", origin, law->par[a].name,
                     ff->cov[a * np + a]);
        goto fail;
      }
    /* a fit whose J^T J was singular saves its covariance as nulls: that is no covariance */
    for (size_t a = 0; a < np && !ff->has_cov; a++)
      ff->has_cov = !ff->fixed[a] && !isnan(ff->cov[a * np + a]);
  }

  /* bootstrap samples */
  const sf_jval *jb = sf_jget(root, "bootstrap");
  if (jb && jb->type == SF_JOBJ) {
    const sf_jval *js = sf_jget(jb, "samples");
    double failed = 0;
    if (get_num(sf_jget(jb, "failed"), &failed) && failed > 0) ff->bootstrap_failed = (size_t)failed;
    if (js && js->type != SF_JARR) {
      rc = sf_fail(SF_EINPUT, "'%s': 'bootstrap.samples' must be an array of rows", origin);
      goto fail;
    }
    size_t K = js ? js->n : 0;
    ff->samples = K ? malloc(K * np * sizeof *ff->samples) : NULL;
    if (K && !ff->samples) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto fail;
    }
    for (size_t r = 0; r < K; r++) {
      const sf_jval *row = sf_jat(js, r);
      if (!row || row->type != SF_JARR || row->n != nfile) {
        rc = sf_fail(SF_EINPUT, "'%s': 'bootstrap.samples' row %zu must have %zu values (param_order)", origin, r + 1,
                     np);
        goto fail;
      }
      double *dst = ff->samples + ff->K * np;
      int usable = 1;
      for (size_t b = 0; b < nfile; b++) {
        double v;
        if (!get_num_or_null(sf_jat(row, b), &v)) {
          rc = sf_fail(SF_EINPUT, "'%s': 'bootstrap.samples' row %zu item %zu is not a number", origin, r + 1, b + 1);
          goto fail;
        }
        if (!isfinite(v)) usable = 0;
        dst[map[b]] = v;
      }
      if (usable) ff->K++;
      else ff->bootstrap_failed++;
    }
  }
  double level;
  if (get_num(sf_jget(root, "ci_level"), &level)) {
    if (!(level > 0 && level < 1)) {
      rc = sf_fail(SF_EINPUT, "'%s': 'ci_level' must be in (0, 1), got %g", origin, level);
      goto fail;
    }
    ff->ci_level = level;
  }

  /* data ranges */
  const sf_jval *jr = sf_jget(sf_jget(root, "data"), "range");
  if (jr && jr->type == SF_JOBJ)
    for (size_t k = 0; k < jr->n && ff->nrange < SF_FITFILE_MAXRANGE; k++) {
      const sf_jval *pair = &jr->items[k];
      double lo, hi;
      if (pair->type != SF_JARR || pair->n != 2 || !get_num(sf_jat(pair, 0), &lo) || !get_num(sf_jat(pair, 1), &hi) ||
          !(lo <= hi)) {
        rc = sf_fail(SF_EINPUT, "'%s': 'data.range.%s' must be [lo, hi] with lo <= hi", origin, jr->keys[k]);
        goto fail;
      }
      sf_fitrange *fr = &ff->range[ff->nrange++];
      fr->name = sf_strdup(jr->keys[k]);
      fr->lo = lo;
      fr->hi = hi;
    }
  /* the runs left out (files from before these keys: 0, not said); a count that is no whole number, or
   * a list longer than the count, is a hand edit gone wrong */
  const char *cnt[2] = {"n_where", "n_skipped"};
  size_t *to[2] = {&ff->n_where, &ff->n_skipped};
  for (int k = 0; k < 2; k++) {
    double v;
    if (!get_num(sf_jget(sf_jget(root, "data"), cnt[k]), &v)) continue;
    if (!(v >= 0 && v <= 1e15 && v == floor(v))) {
      rc = sf_fail(SF_EINPUT, "'%s': 'data.%s' must be a whole number of runs >= 0, got %g", origin, cnt[k], v);
      goto fail;
    }
    *to[k] = (size_t)v;
  }
  const sf_jval *jsk = sf_jget(sf_jget(root, "data"), "skipped");
  if (jsk && jsk->type == SF_JARR && jsk->n != ff->n_skipped) {
    rc = sf_fail(SF_EINPUT, "'%s': 'data.skipped' lists %zu run%s but 'data.n_skipped' is %zu", origin, jsk->n,
                 sf_plural(jsk->n), ff->n_skipped);
    goto fail;
  }
  if (!ff->law_name || !ff->output) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  /* the method, for the one-more-run update of sf_next; absent or null: the law's defaults, the
   * residual variance unknown */
  const char *space = sf_jstr(sf_jget(root, "space"), NULL), *loss = sf_jstr(sf_jget(root, "loss"), NULL);
  ff->space = space && strcmp(space, "linear") == 0 ? SF_SPACE_LINEAR : space && strcmp(space, "log") == 0 ? SF_SPACE_LOG
                                                                                                          : ff->law->space;
  ff->loss = loss && strcmp(loss, "huber") == 0 ? SF_LOSS_HUBER : loss && strcmp(loss, "l2") == 0 ? SF_LOSS_L2
                                                                                                 : ff->law->loss;
  double rss, npts, nfree, chi2, dof;
  ff->resid_var = NAN;
  if (ff->sigma) {
    if (ff->absolute_sigma) ff->resid_var = 1;
    else if (get_num(sf_jget(root, "chi2"), &chi2) && get_num(sf_jget(root, "dof"), &dof) && dof > 0 && chi2 >= 0)
      ff->resid_var = chi2 / dof;
  } else if (get_num(sf_jget(root, "rss"), &rss) && get_num(sf_jget(root, "n_points"), &npts) &&
             get_num(sf_jget(root, "n_free"), &nfree) && npts > nfree && rss >= 0) {
    ff->resid_var = rss / (npts - nfree);
  }
  double ylo, yhi;
  ff->fraction = ff->law->y_fraction ||
                 (strcmp(ff->output, "loss") != 0 && sf_fitfile_range(ff, ff->output, &ylo, &yhi) && ylo >= 0 && yhi <= 1);
  *out = ff;
  return SF_OK;
fail:
  sf_fitfile_free(ff);
  return rc;
}

int sf_fitfile_read(const char *path, sf_fitfile **out) {
  *out = NULL;
  sf_jval *root = NULL;
  int rc = sf_jparse_file(path, &root);
  if (rc != SF_OK) return rc;
  rc = sf_fitfile_from_json(root, path, out);
  sf_jfree(root);
  return rc;
}

/* ---- published laws ---- */

/* "alpha=0.53;A=0.29" -> value of name; 0 if absent. */
static int param_in(const char *list, const char *name, double *v) {
  size_t nl = strlen(name);
  const char *p = list;
  while (p && *p) {
    while (*p == ' ' || *p == ';') p++;
    const char *eq = strchr(p, '=');
    const char *end = strchr(p, ';');
    if (!end) end = p + strlen(p);
    if (eq && eq < end && (size_t)(eq - p) == nl && strncmp(p, name, nl) == 0) {
      char num[64];
      size_t len = (size_t)(end - eq - 1);
      if (len >= sizeof num) return 0;
      memcpy(num, eq + 1, len);
      num[len] = '\0';
      return sf_parse_double(num, v);
    }
    p = end;
  }
  return 0;
}

/* FLOP in a petaflop/s-day, Kaplan et al. 2020's unit of compute. */
#define PF_DAY 8.64e19

/* Kaplan et al. 2020's one-variable laws L = (Xc/X)^alphaX, loaded as the catalogue's power0 of X. */
typedef struct kaplan1 {
  const char *law, *var, *xc, *alpha;
} kaplan1;
static const kaplan1 kaplan1_laws[] = {
    {"kaplan_n", "N", "Nc", "alphaN"},
    {"kaplan_d", "D", "Dc", "alphaD"},
    {"kaplan_c", "C", "Cc", "alphaC"},
};

int sf_fitfile_published(const char *laws_csv, const char *id, sf_fitfile **out) {
  *out = NULL;
  sf_csvrec *c = NULL;
  int rc = sf_csvrec_read(laws_csv, &c);
  if (rc != SF_OK) return rc;
  int cid = sf_csvrec_col(c, "id"), claw = sf_csvrec_col(c, "law"), cout = sf_csvrec_col(c, "output"),
      cpar = sf_csvrec_col(c, "params"), cunit = sf_csvrec_col(c, "c_unit");
  if (cid < 0 || claw < 0 || cout < 0 || cpar < 0) {
    rc = sf_fail(SF_EINPUT, "'%s' line 1: expected columns id, law, output, params", laws_csv);
    sf_csvrec_free(c);
    return rc;
  }
  size_t row = 0;
  for (size_t r = 1; r < c->nrec && !row; r++)
    if (strcmp(sf_csvrec_get(c, r, cid), id) == 0) row = r;
  if (!row) {
    sf_buf b;
    sf_buf_init(&b);
    sf_near n;
    sf_near_init(&n, id);
    for (size_t r = 1; r < c->nrec; r++) {
      sf_buf_printf(&b, "%s%s", r > 1 ? ", " : "", sf_csvrec_get(c, r, cid));
      sf_near_add(&n, sf_csvrec_get(c, r, cid));
    }
    rc = sf_fail(SF_EINPUT, "no published law '%s' in '%s'%s (known: %s)", id, laws_csv, sf_near_hint(&n),
                 sf_buf_str(&b));
    sf_buf_free(&b);
    sf_csvrec_free(c);
    return rc;
  }
  char origin[512];
  snprintf(origin, sizeof origin, "laws.csv:%s", id);
  const char *law_name = sf_csvrec_get(c, row, claw), *plist = sf_csvrec_get(c, row, cpar);
  const char *unit = cunit >= 0 ? sf_csvrec_get(c, row, cunit) : "";
  double cs = 1.0; /* FLOP per unit of the law's C */
  if (strcmp(unit, "PF-day") == 0) cs = PF_DAY;
  else if (*unit && strcmp(unit, "FLOP") != 0) {
    rc = sf_fail(SF_EINPUT, "'%s' line %zu: c_unit '%s' of published law '%s' is not one of FLOP, PF-day", laws_csv,
                 c->line[row], unit, id);
    sf_csvrec_free(c);
    return rc;
  }
  const kaplan1 *k1 = NULL;
  for (size_t i = 0; i < sizeof kaplan1_laws / sizeof kaplan1_laws[0]; i++)
    if (strcmp(law_name, kaplan1_laws[i].law) == 0) k1 = &kaplan1_laws[i];
  sf_fitfile *ff = fitfile_new(origin);
  if (!ff) {
    sf_csvrec_free(c);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  ff->law_name = sf_strdup(k1 ? "power0" : law_name);
  ff->output = sf_strdup(sf_csvrec_get(c, row, cout));
  ff->law = sf_law_find(k1 ? "power0" : law_name);
  if (!ff->law) {
    rc = sf_fail(SF_EINPUT, "published law '%s' uses law '%s', which the catalogue does not have", id, law_name);
    goto done;
  }
  ff->space = ff->law->space;
  ff->loss = ff->law->loss;
  ff->resid_var = NAN; /* published constants come without their residuals */
  const char *k1var = k1 ? k1->var : NULL;
  rc = bind_vars(ff, k1 ? &k1var : NULL, k1 ? 1 : 0);
  if (rc != SF_OK) goto done;
  if (cs != 1.0 && ff->var_C < 0) {
    rc = sf_fail(SF_EINPUT, "'%s' line %zu: published law '%s' has c_unit %s but no variable C", laws_csv,
                 c->line[row], id, unit);
    goto done;
  }
  if (k1) { /* (Xc/X)^a = (Xc * scale)^a * X^-a, X in the catalogue's units */
    double xc, a;
    const char *miss = !param_in(plist, k1->xc, &xc) ? k1->xc : !param_in(plist, k1->alpha, &a) ? k1->alpha : NULL;
    if (miss) {
      rc = sf_fail(SF_EINPUT, "'%s' line %zu: published law '%s' does not give parameter '%s' (params: %s)", laws_csv,
                   c->line[row], id, miss, plist);
      goto done;
    }
    ff->params[0] = pow(xc * (ff->var_C == 0 ? cs : 1.0), a);
    ff->params[1] = a;
  } else {
    int negate_alpha = strcmp(law_name, "power0") == 0; /* laws.csv: A*C^alpha; catalogue: A*x^-alpha */
    for (size_t j = 0; j < ff->law->np; j++) {
      const char *pname = ff->law->par[j].name;
      double v;
      if (!param_in(plist, pname, &v)) {
        /* Hoffmann's Table 2 gives only the exponents: say so, these rows are for reading, not forecasting */
        rc = sf_fail(SF_EINPUT, "'%s' line %zu: published law '%s' does not give parameter '%s' (params: %s)%s",
                     laws_csv, c->line[row], id, pname, plist,
                     param_in(plist, "alpha", &v) && strcmp(pname, "A") == 0
                         ? "; only its exponent was published, so it cannot forecast (epoch2024_replication or "
                           "hoffmann2022_approach3 can)"
                         : "");
        goto done;
      }
      if (negate_alpha && strcmp(pname, "alpha") == 0) v = -v;
      ff->params[j] = v;
    }
    /* C in the law's units is C_FLOP / cs: A * (C / cs)^-alpha = (A * cs^alpha) * C^-alpha */
    if (cs != 1.0) {
      if (!negate_alpha) {
        rc = sf_fail(SF_EINPUT, "'%s' line %zu: c_unit %s is supported for power0 and kaplan_c laws, not '%s'",
                     laws_csv, c->line[row], unit, law_name);
        goto done;
      }
      ff->params[0] *= pow(cs, ff->params[1]);
    }
  }
  if (!ff->law_name || !ff->output) rc = sf_fail(SF_ENOMEM, "out of memory");
done:
  sf_csvrec_free(c);
  if (rc != SF_OK) {
    sf_fitfile_free(ff);
    return rc;
  }
  *out = ff;
  return SF_OK;
}

/* ---- data ranges ---- */

int sf_fitfile_range(const sf_fitfile *ff, const char *name, double *lo, double *hi) {
  for (size_t k = 0; k < ff->nrange; k++)
    if (strcmp(ff->range[k].name, name) == 0) {
      *lo = ff->range[k].lo;
      *hi = ff->range[k].hi;
      return 1;
    }
  /* N, D, C under another spelling of the same column (a range saved as "Params") */
  char c = canonical_ndc(name);
  for (size_t k = 0; c && k < ff->nrange; k++)
    if (canonical_ndc(ff->range[k].name) == c) {
      *lo = ff->range[k].lo;
      *hi = ff->range[k].hi;
      return 1;
    }
  return 0;
}

const char *sf_fitfile_vars_text(const sf_fitfile *ff, char *buf, size_t cap) {
  size_t used = 0;
  if (cap) buf[0] = '\0';
  for (size_t k = 0; k < ff->nvar && used < cap; k++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", k ? ", " : "", ff->vars[k]);
  return buf;
}

int sf_fitfile_var_index(const sf_fitfile *ff, const char *name) {
  for (size_t i = 0; i < ff->nvar; i++)
    if (strcmp(ff->vars[i], name) == 0) return (int)i;
  for (size_t i = 0; i < ff->nvar; i++)
    if (sf_strcaseeq(ff->vars[i], name)) return (int)i;
  switch (canonical_ndc(name)) {
  case 'N': return ff->var_N;
  case 'D': return ff->var_D;
  case 'C': return ff->var_C;
  }
  return -1;
}

double sf_fitfile_decades_beyond_log10(const sf_fitfile *ff, const char *const *names, const double *log10v,
                                       size_t n) {
  double worst = NAN;
  for (size_t k = 0; k < n; k++) {
    double lo, hi;
    if (!sf_fitfile_range(ff, names[k], &lo, &hi) || !isfinite(log10v[k]) || !(lo > 0)) continue;
    /* in log space: v / hi of N = D = 1e300 against a compute range is 6e600 / hi, inf as a double */
    double d = 0;
    if (log10v[k] > log10(hi)) d = log10v[k] - log10(hi);
    else if (log10v[k] < log10(lo)) d = log10(lo) - log10v[k];
    if (isnan(worst) || d > worst) worst = d;
  }
  return worst;
}

double sf_fitfile_decades_beyond(const sf_fitfile *ff, const char *const *names, const double *v, size_t n) {
  double worst = NAN;
  for (size_t k = 0; k < n; k++) {
    double lv = v[k] > 0 ? log10(v[k]) : NAN;
    double d = sf_fitfile_decades_beyond_log10(ff, names + k, &lv, 1);
    if (isnan(worst) || d > worst) worst = d;
  }
  return worst;
}

void sf_far_warning(char *buf, size_t n, int kind, size_t far, double limit, double worst) {
  const char *s = far > 1 ? "s" : "", *ds = limit == 1 ? "" : "s";
  if (kind == SF_FAR_TARGET)
    snprintf(buf, n, "the target needs a budget %.1f decades beyond the fit's data: an extrapolation of the law's form",
             worst);
  else if (kind == SF_FAR_OPTIMAL)
    snprintf(buf, n, "%zu budget%s put the optimum more than %g decade%s beyond the fit's data (up to %.1f): the "
             "allocation there is an extrapolation of the law's form", far, s, limit, ds, worst);
  else
    snprintf(buf, n, "%zu point%s lie%s more than %g decade%s beyond the fit's data (up to %.1f): an extrapolation "
             "that far rests on the law's form; read the band as a lower bound on the uncertainty",
             far, s, far > 1 ? "" : "s", limit, ds, worst);
}

void sf_fmt_sig(char *buf, size_t n, double v, int digits) {
  if (isnan(v)) {
    snprintf(buf, n, "-");
    return;
  }
  if (isinf(v)) {
    snprintf(buf, n, v > 0 ? "inf" : "-inf");
    return;
  }
  /* %g picks the notation but drops trailing zeros ("2.15" for 2.150): keep its choice, then print
   * every one of the digits */
  char r[48];
  snprintf(r, sizeof r, "%.*g", digits, v);
  if (strchr(r, 'e')) {
    snprintf(buf, n, "%.*e", digits - 1, v);
    return;
  }
  double a = fabs(strtod(r, NULL));
  int dec = a > 0 ? digits - 1 - (int)floor(log10(a) + 1e-9) : digits - 1;
  snprintf(buf, n, "%.*f", dec < 0 ? 0 : dec, v);
}

/* The style of a figure as printed: 'f' a plain decimal (dec places), 'e' e-notation (dec mantissa
 * places), 0 anything else (a unit suffix, "-", "inf"). */
static int fmt_style(const char *s, int *dec) {
  const char *p = s + (*s == '-');
  if (!(*p >= '0' && *p <= '9')) return 0;
  while (*p >= '0' && *p <= '9') p++;
  *dec = 0;
  if (*p == '.') {
    const char *q = ++p;
    while (*p >= '0' && *p <= '9') p++;
    *dec = (int)(p - q);
  }
  if (!*p) return 'f';
  if (*p == 'e' && (p[1] == '+' || p[1] == '-')) {
    for (p += 2; *p >= '0' && *p <= '9'; p++) {}
    if (!*p) return 'e';
  }
  return 0;
}

int sf_fmt_like(char *buf, size_t n, double v, const char *ref) {
  int dec, st = fmt_style(ref, &dec);
  if (!st || !isfinite(v)) return 0;
  snprintf(buf, n, st == 'f' ? "%.*f" : "%.*e", dec, v);
  return 1;
}

void sf_numcol_init(sf_numcol *c, int digits) {
  c->digits = digits;
  c->amax = c->amin = 0;
}

void sf_numcol_see(sf_numcol *c, double v) {
  if (!isfinite(v)) return;
  double a = fabs(v);
  if (a > c->amax) c->amax = a;
  if (a > 0 && (c->amin == 0 || a < c->amin)) c->amin = a;
}

void sf_numcol_fmt(const sf_numcol *c, char *buf, size_t n, double v) {
  if (!isfinite(v)) {
    sf_fmt_sig(buf, n, v, c->digits);
    return;
  }
  if (c->amax == 0) {
    snprintf(buf, n, "%.*f", c->digits - 1, v);
    return;
  }
  char r[48];
  snprintf(r, sizeof r, "%.*g", c->digits, c->amax); /* rounded as shown: 9.9996 is 10.00 */
  int sci = strchr(r, 'e') != NULL, dec = 0;
  if (!sci) {
    dec = c->digits - 1 - (int)floor(log10(strtod(r, NULL)) + 1e-9);
    if (dec < 0) dec = 0;
    /* the smallest keeps dec + floor(log10(amin)) + 1 significant digits at those places */
    if (c->amin > 0 && dec + (int)floor(log10(c->amin) + 1e-9) + 1 < 2) sci = 1;
  }
  if (sci) snprintf(buf, n, "%.*e", c->digits - 1, v);
  else snprintf(buf, n, "%.*f", dec, v);
}

void sf_fmt_param_value(char *buf, size_t n, double v, double se, double lo, double hi) {
  /* %.6g of each; if one of them needs e-notation (an interval to 2.2e+09 beside 6419.51), all of
   * it is in e-notation, else all at the value's decimal places */
  const double x[4] = {v, se, lo, hi};
  char r[48];
  for (int k = 0; k < 4; k++) {
    snprintf(r, sizeof r, "%.6g", x[k]);
    if (isfinite(x[k]) && strchr(r, 'e')) {
      snprintf(buf, n, "%.5e", v);
      return;
    }
  }
  snprintf(buf, n, "%.6g", v);
}

void sf_fmt_param_interval(char *buf, size_t n, const char *ref, double lo, double hi) {
  char a[48], b[48];
  if (!sf_fmt_like(a, sizeof a, lo, ref)) snprintf(a, sizeof a, "%.6g", lo);
  if (!sf_fmt_like(b, sizeof b, hi, ref)) snprintf(b, sizeof b, "%.6g", hi);
  snprintf(buf, n, "[%s, %s]", a, b);
}

/* v (finite) at 3 significant digits with k, M, B or T from 1e3 on (chosen after rounding to the
 * digits shown: 999.7e9 is "1.00T", not "1e+03B"), e-notation from 1e15 on, below 1e3 plain */
static void fmt_units(char *buf, size_t n, double v) {
  static const struct { double scale; const char *suffix; } units[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}};
  char r[40];
  snprintf(r, sizeof r, "%.3g", v);
  double rv = strtod(r, NULL), a = fabs(rv);
  for (size_t i = 0; a < 1e15 && i < sizeof units / sizeof units[0]; i++)
    if (a >= units[i].scale) {
      char m[40];
      sf_fmt_sig(m, sizeof m, rv / units[i].scale, 3);
      snprintf(buf, n, "%s%s", m, units[i].suffix);
      return;
    }
  sf_fmt_sig(buf, n, v, 3);
}

void sf_fmt_value(char *buf, size_t n, double v) {
  if (!isfinite(v)) {
    sf_fmt_sig(buf, n, v, 4);
    return;
  }
  char r[40];
  snprintf(r, sizeof r, "%.4g", v);
  if (fabs(strtod(r, NULL)) < 1e4) { /* 9999.7 rounds to 1e+04: a count from there on */
    sf_fmt_sig(buf, n, v, 4);
    return;
  }
  fmt_units(buf, n, v);
}

void sf_fmt_count(char *buf, size_t n, double v) {
  /* a parameter or a token is not counted in tenths: "512 tokens", never "512.0" */
  if (isfinite(v) && fabs(v) >= 1 && fabs(v) < 9999.5) snprintf(buf, n, "%.0f", v);
  else sf_fmt_value(buf, n, v);
}

void sf_fmt_compute(char *buf, size_t n, double v) {
  if (isnan(v)) snprintf(buf, n, "-");
  else if (isinf(v)) snprintf(buf, n, v > 0 ? "inf" : "-inf");
  else snprintf(buf, n, "%.2e", v); /* zeros kept: %.3g's "1e+21" stood over "3.16e+21" */
}

void sf_fmtcol_see(sf_fmtcol *c, double v) {
  if (!isfinite(v)) return;
  char r[40];
  snprintf(r, sizeof r, "%.3g", v); /* rounded as shown: 999.7T is 1e+15 */
  if (fabs(strtod(r, NULL)) >= 1e15) c->sci = 1;
  snprintf(r, sizeof r, "%.4g", v); /* sf_fmt_value's plain range, as it rounds */
  if (fabs(strtod(r, NULL)) >= 1e4) c->units = 1;
  else {
    sf_numcol nc = {4, c->amax, c->amin};
    sf_numcol_see(&nc, v);
    c->amax = nc.amax, c->amin = nc.amin;
  }
}

void sf_fmtcol_fmt(const sf_fmtcol *c, char *buf, size_t n, double v) {
  if (!isfinite(v)) sf_fmt_value(buf, n, v);
  else if (c->sci) snprintf(buf, n, "%.2e", v); /* every figure, 1 too: "4.87e+14 [1.000, inf]" mixed two */
  else if (c->units) fmt_units(buf, n, v); /* "7.72k" over "174k", where sf_fmt_value gave "7721" */
  else if (c->amax > 0) {
    /* the places of the column's largest: 4 digits for each read 1.119 over 0.7354 */
    const sf_numcol nc = {4, c->amax, c->amin};
    sf_numcol_fmt(&nc, buf, n, v);
  } else sf_fmt_value(buf, n, v);
}

void sf_fmt_ratio(char *buf, size_t n, double v) {
  if (isnan(v)) {
    snprintf(buf, n, "-");
    return;
  }
  char r[40];
  snprintf(r, sizeof r, "%.3g", v);
  /* 124.35 tokens per parameter is "124", not "1.24e+02"; 1234.6 days "1235" */
  if (isfinite(v) && fabs(strtod(r, NULL)) >= 100) snprintf(buf, n, "%.0f", v);
  else sf_fmt_sig(buf, n, v, 3);
}

/* "V [LO, HI]" from V as printed: an end printed in V's style (a plain decimal, or e-notation) is
 * reprinted with V's decimal places, so that "2.150 [2.134, 2.167]" never reads "2.15 [2.134, 2.167]"
 * nor "14.2 [10, 18]"; an end in another style (a unit suffix, inf) keeps its own. In e-notation
 * (a formatter that drops zeros, as %.3g does: "2e+23 [1.1e+23, 2.8e+23]") all three take the most
 * mantissa places any of them has, so that no end loses a digit it was printed with. */
static void band_join(char *buf, size_t n, double v, const char *a, double lo, const char *b, double hi,
                      const char *c) {
  char va[48], lb[48], hb[48];
  int dec, d2;
  int sa = fmt_style(a, &dec);
  snprintf(va, sizeof va, "%s", a);
  if (sa == 'e') {
    if (fmt_style(b, &d2) == 'e' && d2 > dec) dec = d2;
    if (fmt_style(c, &d2) == 'e' && d2 > dec) dec = d2;
    snprintf(va, sizeof va, "%.*e", dec, v);
  }
  if (!sa || fmt_style(b, &d2) != sa || !sf_fmt_like(lb, sizeof lb, lo, va)) snprintf(lb, sizeof lb, "%s", b);
  if (!sa || fmt_style(c, &d2) != sa || !sf_fmt_like(hb, sizeof hb, hi, va)) snprintf(hb, sizeof hb, "%s", c);
  snprintf(buf, n, "%s [%s, %s]", va, lb, hb);
}

void sf_fmt_band(char *buf, size_t n, double v, double lo, double hi, void (*fmt)(char *, size_t, double)) {
  char a[48], b[48], c[48];
  fmt(a, sizeof a, v);
  if (isnan(lo) || isnan(hi)) {
    snprintf(buf, n, "%s", a);
    return;
  }
  fmt(b, sizeof b, lo);
  fmt(c, sizeof c, hi);
  band_join(buf, n, v, a, lo, b, hi, c);
}

void sf_fmtcol_band(const sf_fmtcol *col, char *buf, size_t n, double v, double lo, double hi) {
  char a[48], b[48], c[48];
  sf_fmtcol_fmt(col, a, sizeof a, v);
  if (isnan(lo) || isnan(hi)) {
    snprintf(buf, n, "%s", a);
    return;
  }
  sf_fmtcol_fmt(col, b, sizeof b, lo);
  sf_fmtcol_fmt(col, c, sizeof c, hi);
  band_join(buf, n, v, a, lo, b, hi, c);
}

void sf_fmt_ratio_band(char *buf, size_t n, double v, double lo, double hi) {
  char a[48], b[48], c[48];
  sf_fmt_ratio(a, sizeof a, v);
  if (isnan(lo) || isnan(hi)) {
    snprintf(buf, n, "%s", a);
    return;
  }
  sf_fmt_ratio(b, sizeof b, lo);
  sf_fmt_ratio(c, sizeof c, hi);
  snprintf(buf, n, "%s [%s, %s]", a, b, c);
}

void sf_fmtcol_see_band(sf_fmtcol *col, double v, double lo, double hi) {
  sf_fmtcol_see(col, v), sf_fmtcol_see(col, lo), sf_fmtcol_see(col, hi);
}

double sf_fitfile_decades_beyond_ndc(const sf_fitfile *ff, double N, double D, double C) {
  static const char *const names[3] = {"N", "D", "C"};
  const double v[3] = {N, D, C};
  return sf_fitfile_decades_beyond(ff, names, v, 3);
}
