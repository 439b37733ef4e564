/* run.c: running one report spec (sf_report_run): data, fits, forecasts, costs, turn analyses,
 * then the charts (charts.c) and the files (write.c), all into a temporary folder that is
 * renamed into place only when everything succeeded.
 *
 * The fits are `scalefit fit`'s own (sf_fit_table: the same selection rules, starts, bootstrap,
 * held-out scoring and trust warnings); each fit is then written in the saved-fit format and read
 * back through sf_fitfile_from_json, so forecasts here see exactly what `scalefit optimal
 * FIT.json` would.
 */
#include <scalefit/sf_cost.h>
#include <scalefit/sf_error.h>
#include <scalefit/sf_law.h>
#include <scalefit/sf_version.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"

int rp_fail(const rp_state *st, size_t line, int code, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (line) return sf_fail(code, "%s:%zu: %s", st->spec->path, line, msg);
  return sf_fail(code, "%s: %s", st->spec->path, msg);
}

/* The line of one key of the section headed on line section (its header when the key was not
 * given): a failure about a key's value points at the key. */
static size_t key_line(const rp_state *st, size_t section, const char *key) {
  return sf_spec_key_line(st->spec, section, key);
}

const char *rp_source_name(const rp_state *st, int fit) {
  return fit >= 0 ? st->fits[fit].spec->name : st->spec->published[-1 - fit];
}
const sf_fitfile *rp_source_ff(const rp_state *st, int fit) {
  return fit >= 0 ? st->fits[fit].ff : st->pub[-1 - fit];
}

/* ---- data ---- */

static int select_rows(rp_state *st) {
  const sf_spec *s = st->spec;
  sf_table *t = NULL;
  int rc = sf_data_load(s->data_file, s->table, &t);
  if (rc) {
    /* a table the file does not hold is the `table` line's fault */
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", sf_errmsg());
    if (s->table && sf_data_has_table(s->data_file, s->table) == 0)
      return rp_fail(st, key_line(st, s->data_header_line, "table"), SF_EINPUT, "%s", msg);
    return rp_fail(st, key_line(st, s->data_header_line, "file"), rc, "%s", msg);
  }
  st->n_loaded = t->nrows;
  if (s->where) {
    /* the selection `fit --where` makes, by the same call (names as --x reads them, docs/FORMAT.md:
     * 'params > 1e8' is N; a comparison with a missing value false); a failure is the where line's */
    unsigned char *keep = NULL;
    rc = sf_where_rows(t, s->where, "", s->data_file_given, NULL, &keep, &st->n_where);
    if (rc) {
      rc = rp_fail(st, key_line(st, s->data_header_line, "where"), rc, "%s", sf_errmsg());
      goto out;
    }
    /* each selected run keeps its row of the file, for the messages and saved fits that name it */
    rc = sf_table_keep_rows(t, keep);
    free(keep);
    if (rc) goto out;
    if (t->nrows == 0) {
      rc = rp_fail(st, key_line(st, s->data_header_line, "where"), SF_EINPUT, "no run of '%s' is left after where '%s'",
                   s->data_file_given, s->where);
      goto out;
    }
  } else if (t->nrows == 0) {
    rc = rp_fail(st, key_line(st, s->data_header_line, "file"), SF_EINPUT, "'%s' has no runs", s->data_file_given);
    goto out;
  }
  st->table = t;
  t = NULL;
out:
  sf_table_free(t);
  return rc;
}

/* ---- fits ---- */

static int run_fit(rp_state *st, rp_fit *f) {
  const sf_spec_fit *sp = f->spec;
  const sf_table *t = st->table;
  int rc = sf_fit_law_for_table(sp->law, t, &f->law, &f->owned);
  if (rc) return rp_fail(st, key_line(st, sp->line, "law"), rc, "[fit %s]: %s", sp->name, sf_errmsg());
  sf_fit_request rq;
  sf_fit_request_init(&rq, f->law);
  rq.x = sp->x;
  rq.y = sp->y;
  rq.sigma = sp->sigma;
  rq.absolute_sigma = sp->absolute_sigma;
  if (sp->loss) rq.loss = !strcmp(sp->loss, "huber") ? SF_LOSS_HUBER : SF_LOSS_L2;
  if (sp->space) rq.space = !strcmp(sp->space, "log") ? SF_SPACE_LOG : SF_SPACE_LINEAR;
  rq.delta = sp->delta;
  rq.holdout = sp->holdout;
  rq.holdout_above = sp->holdout > 0 ? NAN : sp->holdout_above;
  rq.nfix = sp->nfix;
  rq.fix_name = (const char *const *)sp->fix_name;
  rq.fix_value = sp->fix_value;
  rq.bootstrap = sp->bootstrap > 0 ? (size_t)sp->bootstrap : 0;
  rq.seed = (unsigned long long)sp->seed;
  rq.threads = st->ctx ? st->ctx->threads : 0;
  rq.data_name = st->spec->data_file_given;
  /* the rows were selected by [data] where already (st->table) */
  if ((rc = sf_fit_table(t, &rq, &f->fr))) {
    /* a spec asking for what the law or data cannot give is bad input, not a usage error */
    int code = rc == SF_EUSAGE ? SF_EINPUT : rc;
    /* at the key the failure is about (x, sigma, fix, ...), the law for a fit that failed, else the header */
    size_t at = f->fr.opt ? key_line(st, sp->line, f->fr.opt)
                : f->fr.stage == SF_FITSTAGE_FIT ? key_line(st, sp->line, "law") : sp->line;
    if (f->fr.stage == SF_FITSTAGE_BOOTSTRAP)
      return rp_fail(st, key_line(st, sp->line, "bootstrap"), code, "[fit %s]: bootstrap failed: %s", sp->name,
                     sf_errmsg());
    /* too few runs: the fit sees only what [data] where left (st->table), so it cannot say that
     * the where took the others; the report can, at the where's line */
    if (f->fr.opt && !strcmp(f->fr.opt, "runs") && st->spec->where && st->n_where)
      return rp_fail(st, key_line(st, st->spec->data_header_line, "where"), code,
                     "[fit %s]: %s; [data] where left out %zu", sp->name, sf_errmsg(), st->n_where);
    /* a failed fit's message names the law already ("law '...' cannot be evaluated ...") */
    return rp_fail(st, at, code, "[fit %s]: %s", sp->name, sf_errmsg());
  }
  /* a parameter that ran off to infinity: a numerical failure of this fit, at its law line, as
   * a law that fails to fit is (the saved form's reader would call it bad input) */
  if ((rc = sf_fit_diverged(&f->fr, &rq)))
    return rp_fail(st, key_line(st, sp->line, "law"), rc, "[fit %s]: %s", sp->name, sf_errmsg());
  sf_fitrecord rec;
  sf_fitrecord_from_fit(&rec, &f->fr);
  rec.data_file = st->spec->data_file_given;
  rec.table = t->name;
  rec.where = st->spec->where;
  if (!(f->json = sf_fitfile_to_json(&rec, 0))) return sf_fail(SF_ENOMEM, "out of memory");
  /* read back as `scalefit optimal FIT.json` would, so forecasts see exactly the saved fit */
  sf_jval *root = NULL;
  char origin[256];
  snprintf(origin, sizeof origin, "[fit %s]", sp->name);
  if ((rc = sf_jparse(f->json, strlen(f->json), origin, &root)) == SF_OK) rc = sf_fitfile_from_json(root, origin, &f->ff);
  sf_jfree(root);
  if (rc) rc = rp_fail(st, sp->line, rc, "%s", sf_errmsg()); /* the message names [fit NAME] as its origin */
  return rc;
}

/* ---- forecasts ---- */

typedef struct opt_ctx {
  const sf_fitfile *ff;
  double C;
  sf_alloc_opts ao;
} opt_ctx;

static int opt_fn(const double *params, void *vctx, double *out) {
  const opt_ctx *c = vctx;
  sf_optimum o;
  int rc = sf_optimal(c->ff, params, c->C, &c->ao, &o);
  if (rc) return rc;
  out[0] = o.N, out[1] = o.D, out[2] = o.tokens_per_param, out[3] = o.loss;
  return SF_OK;
}

static int pred_fn(const double *params, void *vctx, double *out) {
  const opt_ctx *c = vctx;
  return sf_forecast_eval(c->ff->law, params, &c->C, out, NULL);
}

typedef struct tg_ctx {
  const sf_fitfile *ff;
  double target;
  sf_alloc_opts ao;
} tg_ctx;

static int tg_fn(const double *params, void *vctx, double *out) {
  const tg_ctx *c = vctx;
  sf_optimum o;
  int reached;
  int rc = sf_target(c->ff, params, c->target, &c->ao, &o, &reached);
  if (rc) return rc;
  /* as `scalefit target`: a refit met already at the lowest budget its law can be evaluated at has
   * only a bound, which would clamp the band's lower end; left out */
  if (reached == -1) out[0] = out[1] = out[2] = NAN;
  else out[0] = o.C, out[1] = o.N, out[2] = o.D;
  return SF_OK;
}

static const sf_band no_band = {NAN, NAN, NAN, SF_BAND_NONE, 0};

/* Which forecasts a source supports: 1 allocation, 2 a law of C alone, 0 none. */
static int source_kind(const sf_fitfile *ff) {
  if (ff->alloc != SF_ALLOC_NONE) return 1;
  if (ff->nvar == 1 && ff->var_C == 0) return 2;
  return 0;
}

static int add_fc(rp_state *st, const rp_fc *x) {
  if (st->nfc == st->capfc) {
    size_t cap = st->capfc ? 2 * st->capfc : 32;
    rp_fc *a = realloc(st->fc, cap * sizeof *a);
    if (!a) return sf_fail(SF_ENOMEM, "out of memory");
    st->fc = a, st->capfc = cap;
  }
  st->fc[st->nfc++] = *x;
  return SF_OK;
}

static int add_tg(rp_state *st, const rp_target *x) {
  if (st->ntg == st->captg) {
    size_t cap = st->captg ? 2 * st->captg : 16;
    rp_target *a = realloc(st->tg, cap * sizeof *a);
    if (!a) return sf_fail(SF_ENOMEM, "out of memory");
    st->tg = a, st->captg = cap;
  }
  st->tg[st->ntg++] = *x;
  return SF_OK;
}

static int forecast_source(rp_state *st, int src) {
  const sf_spec *s = st->spec;
  const sf_fitfile *ff = rp_source_ff(st, src);
  int kind = source_kind(ff);
  size_t line = s->forecast_line;
  if (!kind) {
    if (src < 0 || s->nffits)
      return rp_fail(st, key_line(st, line, src < 0 ? "published" : "fits"), SF_EINPUT, "[forecast]: '%s' predicts %s from %s; forecasts need a law of N and D, a "
                     "published N_opt/D_opt law, or a law of C", rp_source_name(st, src), ff->output, ff->vars[0]);
    return SF_OK; /* a fit of something else (e.g. mmlu against N) is simply not forecast */
  }
  for (size_t i = 0; i < s->nbudget; i++) {
    rp_fc x;
    memset(&x, 0, sizeof x);
    x.fit = src, x.C = s->budget[i];
    x.N = x.D = x.tpp = x.value = no_band;
    opt_ctx c = {.ff = ff, .C = s->budget[i]};
    int rc;
    if (kind == 1) {
      sf_band b[4];
      x.kind = RP_OPT;
      rc = sf_forecast_band(ff, opt_fn, &c, 4, b);
      if (!rc) x.N = b[0], x.D = b[1], x.tpp = b[2], x.value = b[3];
      if (!rc) x.beyond = sf_fitfile_decades_beyond_ndc(ff, x.N.value, x.D.value, x.C);
    } else {
      x.kind = RP_PREDICT;
      rc = sf_forecast_band(ff, pred_fn, &c, 1, &x.value);
      const char *names[1] = {"C"};
      x.beyond = sf_fitfile_decades_beyond(ff, names, &x.C, 1);
    }
    if (rc)
      return rp_fail(st, key_line(st, line, "budgets"), rc, "[forecast]: '%s' at budget %g FLOP: %s", rp_source_name(st, src), s->budget[i],
                     sf_errmsg());
    if ((rc = add_fc(st, &x))) return rc;
  }
  if (ff->alloc == SF_ALLOC_DOPT || ff->alloc == SF_ALLOC_NOPT) return SF_OK; /* no loss to reach */
  /* the spec's targets are descending: the order of the compute they take for a loss, which falls with
   * compute. A law that rises with it (an accuracy against C) reaches the lowest first, and took them
   * highest first, so the compute needed fell down its Targets rows; its direction is sf_target's,
   * read off the values at both ends of the search */
  int rising = 0;
  if (s->ntarget > 1) {
    sf_alloc_opts ao;
    memset(&ao, 0, sizeof ao);
    double v0, v1;
    sf_optimum ends;
    if (sf_value_at_compute(ff, ff->params, sf_target_cmin(&ao), &ao, &v0, &ends) == SF_OK &&
        sf_value_at_compute(ff, ff->params, SF_TARGET_CMAX, &ao, &v1, &ends) == SF_OK)
      rising = v1 > v0;
    else
      sf_error_clear(); /* sf_target below meets the same failure and reports it with the target */
  }
  for (size_t k = 0; k < s->ntarget; k++) {
    size_t i = rising ? s->ntarget - 1 - k : k;
    rp_target x;
    memset(&x, 0, sizeof x);
    x.fit = src, x.target = s->target[i], x.rising = rising;
    x.C = x.N = x.D = no_band;
    tg_ctx c = {.ff = ff, .target = s->target[i]};
    sf_optimum o;
    int rc = sf_target(ff, ff->params, x.target, &c.ao, &o, &x.reached);
    if (!rc) {
      sf_band b[3];
      rc = sf_forecast_band(ff, tg_fn, &c, 3, b);
      if (!rc) x.C = b[0], x.N = b[1], x.D = b[2], x.unsolved = sf_target_unsolved(ff, &b[0]);
      /* met already at the bottom of the search: no forecast, so no band, as `scalefit target` prints none. The
       * refits left would be those that disagree with the verdict (the others are unsolved, left out): a band
       * over them alone reads as an interval around a budget that is only a bound */
      if (!rc && x.reached == -1) x.bottom_C = o.C, x.C = x.N = x.D = no_band;
      if (!rc && x.reached == 1) { /* as `scalefit target`: no band below one parameter, one token */
        b[0] = x.C, b[1] = x.N, b[2] = x.D;
        x.clipped = sf_target_clip_band(ff, &c.ao, b);
        x.C = b[0], x.N = b[1], x.D = b[2];
      }
    }
    if (rc)
      return rp_fail(st, key_line(st, line, "targets"), rc, "[forecast]: '%s' target %g: %s", rp_source_name(st, src), x.target, sf_errmsg());
    x.prob = sf_target_prob_reachable(ff, x.target, &c.ao);
    /* as `scalefit target` says it: a target reached only far beyond the data is an extrapolation */
    x.beyond = x.reached == 1 ? sf_fitfile_decades_beyond_ndc(ff, o.N, o.D, o.C) : NAN;
    if ((rc = add_tg(st, &x))) return rc;
  }
  return SF_OK;
}

static int run_forecasts(rp_state *st) {
  const sf_spec *s = st->spec;
  int rc;
  if (s->npublished) {
    if (!(st->pub = calloc(s->npublished, sizeof *st->pub))) return sf_fail(SF_ENOMEM, "out of memory");
    char *laws = sf_asprintf("%s/laws.csv", sf_datadir());
    if (!laws) return sf_fail(SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->npublished; i++)
      if ((rc = sf_fitfile_published(laws, s->published[i], &st->pub[i]))) {
        free(laws);
        return rp_fail(st, key_line(st, s->forecast_line, "published"), rc, "[forecast] published: %s", sf_errmsg());
      }
    free(laws);
  }
  if (!s->nbudget && !s->ntarget) return SF_OK;
  for (size_t i = 0; i < st->nfits; i++) {
    int want = !s->nffits;
    for (size_t k = 0; k < s->nffits; k++) want |= !strcmp(s->ffits[k], st->fits[i].spec->name);
    if (want && (rc = forecast_source(st, (int)i))) return rc;
  }
  for (size_t i = 0; i < s->npublished; i++)
    if ((rc = forecast_source(st, -1 - (int)i))) return rc;
  if (!st->nfc && !st->ntg)
    return rp_fail(st, s->forecast_line, SF_EINPUT, "[forecast]: no fit here can forecast budgets or targets (they need a "
                   "law of N and D, or of C)");
  return SF_OK;
}

static int setup_costs(rp_state *st) {
  const sf_spec *s = st->spec;
  if (!s->ncost) return SF_OK;
  if (!(st->costs = calloc(s->ncost, sizeof *st->costs))) return sf_fail(SF_ENOMEM, "out of memory");
  sf_accel_table *t = NULL;
  for (size_t i = 0; i < s->ncost; i++) {
    const sf_spec_cost *c = &s->cost[i];
    rp_cost *rc_ = &st->costs[i];
    rc_->spec = c;
    if (!c->gpu) {
      rc_->peak = c->peak_tflops * 1e12;
      snprintf(rc_->gpu, sizeof rc_->gpu, "%.4g TFLOP/s accelerator", c->peak_tflops);
      continue;
    }
    int rc;
    if (!t) {
      char *path = sf_asprintf("%s/accelerators.csv", sf_datadir());
      rc = path ? sf_accel_load(path, &t) : SF_ENOMEM;
      free(path);
      if (rc) return rp_fail(st, c->line, rc, "[cost %s]: %s", c->name, sf_errmsg());
    }
    const sf_accel *a = sf_accel_find(t, c->gpu);
    if (!a) {
      char *names = sf_accel_names(t);
      rc = rp_fail(st, key_line(st, c->line, "gpu"), SF_EINPUT, "[cost %s]: unknown gpu '%s' (known: %s; or give peak_tflops)", c->name, c->gpu,
                   names ? names : "");
      free(names);
      sf_accel_free(t);
      return rc;
    }
    if ((rc = sf_accel_peak(a, c->precision ? c->precision : "bf16", &rc_->peak))) {
      rc = rp_fail(st, key_line(st, c->line, c->precision ? "precision" : "gpu"), rc, "[cost %s]: %s", c->name,
                   sf_errmsg());
      sf_accel_free(t);
      return rc;
    }
    snprintf(rc_->gpu, sizeof rc_->gpu, "%s", a->name);
  }
  sf_accel_free(t);
  return SF_OK;
}

/* ---- turn ---- */

static int run_turn(rp_state *st, rp_turn *tu) {
  const sf_spec_turn *sp = tu->spec;
  const sf_table *t = st->table;
  tu->x = sp->x ? sp->x : "C";
  int cx, cy, lrc; /* a name two columns answer to is an error of its own, not "missing" */
  if ((lrc = sf_table_resolve(t, tu->x, &cx)) != SF_OK)
    return rp_fail(st, key_line(st, sp->line, "x"), lrc, "[turn %s]: %s", sp->name, sf_errmsg());
  if ((lrc = sf_table_resolve(t, sp->y, &cy)) != SF_OK)
    return rp_fail(st, key_line(st, sp->line, "y"), lrc, "[turn %s]: %s", sp->name, sf_errmsg());
  if (cx < 0 || cy < 0) {
    char *names = sf_table_column_names(t);
    int rc = rp_fail(st, key_line(st, sp->line, cx < 0 ? "x" : "y"), SF_EINPUT, "[turn %s]: column '%s' missing in '%s' (it has %s)", sp->name,
                     cx < 0 ? tu->x : sp->y, st->spec->data_file_given, names ? names : "?");
    free(names);
    return rc;
  }
  tu->x = t->cols[cx].name;
  tu->xunit = t->cols[cx].unit;
  /* the rows as `scalefit turn` takes them, by the same call: missing values skipped (counted),
   * x <= 0 and y outside [0, max] refused with its words (the report once dropped x <= 0 silently) */
  int rc = sf_turn_rows(t, cx, cy, sp->max, &tu->xv, &tu->yv, &tu->n, &tu->skipped);
  if (rc == SF_EINPUT) {
    /* a refused value: at x's line when the first run refused has a compute <= 0 (the rule of
     * sf_turn_rows), else at y's */
    const char *key = "y";
    for (size_t r = 0; r < t->nrows; r++) {
      double a = t->cols[cx].v[r], b = t->cols[cy].v[r];
      if (isnan(a) || isnan(b)) continue;
      if (!(a > 0) || !isfinite(a)) key = "x";
      if (!(a > 0) || !isfinite(a) || !(b >= 0 && b <= sp->max)) break;
    }
    return rp_fail(st, key_line(st, sp->line, key), rc, "[turn %s]: '%s': %s", sp->name, st->spec->data_file_given,
                   sf_errmsg());
  }
  if (rc) return rp_fail(st, sp->line, rc, "[turn %s]: '%s': %s", sp->name, st->spec->data_file_given, sf_errmsg());
  /* too few runs, where [data] where took some: the where's line says why (turn sees its rows only) */
  if (tu->n < SF_TURN_MINRUNS && st->spec->where && st->n_where) {
    sf_turn_enough(t, cx, cy, tu->n); /* the message: how many, and which lacked a value */
    return rp_fail(st, key_line(st, st->spec->data_header_line, "where"), SF_EINPUT, "[turn %s]: %s; [data] where left out %zu",
                   sp->name, sf_errmsg(), st->n_where);
  }
  if ((rc = sf_turn_enough(t, cx, cy, tu->n)))
    return rp_fail(st, sp->line, rc, "[turn %s]: '%s': %s", sp->name, st->spec->data_file_given, sf_errmsg());
  sf_turn_opts o;
  sf_turn_opts_default(&o);
  o.chance = sp->chance;
  o.max = sp->max;
  o.bootstrap = (size_t)sp->bootstrap;
  o.seed = (unsigned long long)sp->seed;
  o.holdout = (size_t)sp->holdout;
  o.tol = sp->tol;
  tu->opts = o;
  rc = sf_turn(tu->xv, tu->yv, tu->n, &o, &tu->res);
  if (rc) {
    /* the runs far below the chance level: the chance line is the one to change (the header when it is the default) */
    size_t far;
    double lowest;
    size_t at = sf_turn_far_below_chance(tu->yv, tu->n, &o, &far, &lowest) ? key_line(st, sp->line, "chance") : sp->line;
    return rp_fail(st, at, rc, "[turn %s]: %s", sp->name, sf_errmsg());
  }
  return SF_OK;
}

/* ---- the whole report ---- */

static void state_free(rp_state *st) {
  for (size_t i = 0; i < st->nfits; i++) {
    rp_fit *f = &st->fits[i];
    sf_fit_table_result_free(&f->fr);
    free(f->json);
    sf_fitfile_free(f->ff);
    sf_law_free(f->owned);
  }
  free(st->fits);
  if (st->pub)
    for (size_t i = 0; i < st->spec->npublished; i++) sf_fitfile_free(st->pub[i]);
  free(st->pub);
  free(st->fc);
  free(st->tg);
  free(st->costs);
  if (st->turns)
    for (size_t i = 0; i < st->spec->nturn; i++) free(st->turns[i].xv), free(st->turns[i].yv);
  free(st->turns);
  if (st->charts)
    for (size_t i = 0; i < st->spec->nchart; i++) free(st->charts[i].file), free(st->charts[i].svg), free(st->charts[i].note), free(st->charts[i].title);
  free(st->charts);
  sf_buf_free(&st->notes);
  sf_buf_free(&st->warnings);
  sf_table_free(st->table);
  free(st->dir);
}

int sf_report_run(const sf_spec *s, const char *outdir, const sf_report_ctx *ctx, char **summary, size_t *nwarnings) {
  if (summary) *summary = NULL;
  if (nwarnings) *nwarnings = 0;
  rp_state st;
  memset(&st, 0, sizeof st);
  st.spec = s;
  st.ctx = ctx;
  sf_buf_init(&st.notes);
  sf_buf_init(&st.warnings);
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(st.started, sizeof st.started, "%Y-%m-%d %H:%M:%S UTC", &tmv);
  int rc = SF_OK;
  char *final = NULL, *old = NULL;
  if (rp_mkdir_p(outdir)) {
    rc = rp_fail(&st, 0, SF_EIO, "cannot create output folder '%s': %s", outdir, strerror(errno));
    goto out;
  }
  final = sf_asprintf("%s/%s", outdir, s->name);
  st.dir = sf_asprintf("%s/.%s.tmp.%ld", outdir, s->name, (long)getpid());
  old = sf_asprintf("%s/.%s.old.%ld", outdir, s->name, (long)getpid());
  if (!final || !st.dir || !old) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto out;
  }
  rp_remove_tree(st.dir);
  rp_remove_stale(outdir, s->name);
  if (mkdir(st.dir, 0777)) {
    rc = rp_fail(&st, 0, SF_EIO, "cannot write in output folder '%s': %s", outdir, strerror(errno));
    goto out;
  }
  if (s->data_file && (rc = select_rows(&st))) goto fail;
  if (s->nfit && !(st.fits = calloc(s->nfit, sizeof *st.fits))) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < s->nfit; i++) {
    st.fits[i].spec = &s->fit[i];
    st.nfits = i + 1;
    if ((rc = run_fit(&st, &st.fits[i]))) goto fail;
  }
  if ((rc = run_forecasts(&st)) || (rc = setup_costs(&st))) goto fail;
  if (s->nturn && !(st.turns = calloc(s->nturn, sizeof *st.turns))) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < s->nturn; i++) {
    st.turns[i].spec = &s->turn[i];
    if ((rc = run_turn(&st, &st.turns[i]))) goto fail;
  }
  if ((rc = rp_charts(&st)) || (rc = rp_write(&st))) goto fail;
  /* into place: an earlier report of the same name is moved aside first and removed after */
  int had_old = rename(final, old) == 0;
  if (rename(st.dir, final)) {
    rc = rp_fail(&st, 0, SF_EIO, "cannot rename '%s' to '%s': %s", st.dir, final, strerror(errno));
    if (had_old) rename(old, final);
    goto fail;
  }
  if (had_old) rp_remove_tree(old);
  if (nwarnings) *nwarnings = st.nwarnings;
  if (summary) {
    sf_buf sb;
    sf_buf_init(&sb);
    size_t counts[5] = {st.nfits, st.nfc, st.ntg, s->nturn, s->nchart};
    const char *what[5][2] = {{"fit", "fits"}, {"forecast", "forecasts"}, {"target", "targets"},
                              {"turn analysis", "turn analyses"}, {"chart", "charts"}};
    for (int k = 0; k < 5; k++)
      if (counts[k]) sf_buf_printf(&sb, "%s%zu %s", sb.len ? ", " : "", counts[k], what[k][counts[k] != 1]);
    *summary = sb.oom ? NULL : sf_buf_take(&sb);
    sf_buf_free(&sb);
  }
  goto out;
fail:
  rp_remove_tree(st.dir);
out:
  free(final);
  free(old);
  state_free(&st);
  return rc;
}
