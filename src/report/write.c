/* write.c: a report's three files from the computed state: report.json (everything, machine-
 * readable, each fit in the saved-fit format), report.md (the tables, charts linked) and
 * index.html (self-contained: CSS in the page, charts inline as SVG, no external resource).
 * Each file is written atomically; the batch index page (sf_report_index) lives here too.
 */
#include <scalefit/sf_cost.h>
#include <scalefit/sf_error.h>
#include <scalefit/sf_version.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

char *sf_html_escape(const char *s) {
  sf_buf b;
  sf_buf_init(&b);
  for (; s && *s; s++) switch (*s) {
    case '&': sf_buf_add(&b, "&amp;"); break;
    case '<': sf_buf_add(&b, "&lt;"); break;
    case '>': sf_buf_add(&b, "&gt;"); break;
    case '"': sf_buf_add(&b, "&quot;"); break;
    case '\'': sf_buf_add(&b, "&#39;"); break;
    default: sf_buf_addc(&b, *s);
    }
  if (b.oom) {
    sf_buf_free(&b);
    return NULL;
  }
  return b.s ? sf_buf_take(&b) : sf_strdup("");
}

/* ---- small emitters shared by the Markdown and HTML writers ---- */

typedef struct out {
  sf_buf *b;
  int html;
  size_t nwarn;    /* warnings shown so far: the page's anchors warn-1, warn-2, ... */
  sf_buf *warns;   /* when set, each warning's text, NUL-terminated (the counting pass) */
} out;

/* Markdown: text as written. Every character that can open markup (emphasis, code, links,
 * inline HTML, entities, table cells, GitHub's strikethrough and math) is backslash-escaped,
 * which CommonMark renders as the character itself: a title "loss < 2 for <b>" or a formula
 * "A*N^-alpha + B*D^-beta" would otherwise lose its "<b>" to HTML or turn into italics. At the
 * start of a paragraph also what would make it a list, a heading underline or a numbered item. */
static void md_esc(sf_buf *b, const char *s, int block_start) {
  if (!s) return;
  if (block_start) {
    if (*s == '-' || *s == '+' || *s == '=') sf_buf_addc(b, '\\');
    const char *d = s;
    while (*d >= '0' && *d <= '9') d++;
    if (d > s && (*d == '.' || *d == ')')) { /* "3. x" would be an ordered list */
      sf_buf_addn(b, s, (size_t)(d - s));
      sf_buf_addc(b, '\\');
      s = d;
    }
  }
  for (; *s; s++) {
    if (strchr("\\`*_[]<>&|#~$", *s)) sf_buf_addc(b, '\\');
    sf_buf_addc(b, *s);
  }
}

static void esc(out *o, const char *s) {
  if (!o->html) {
    md_esc(o->b, s, 0);
    return;
  }
  char *e = sf_html_escape(s);
  sf_buf_add(o->b, e ? e : "");
  free(e);
}

static void heading(out *o, int level, const char *text) {
  if (o->html) {
    sf_buf_printf(o->b, "<h%d>", level);
    esc(o, text);
    sf_buf_printf(o->b, "</h%d>\n", level);
  } else {
    for (int i = 0; i < level; i++) sf_buf_addc(o->b, '#');
    sf_buf_addc(o->b, ' ');
    md_esc(o->b, text, 0);
    sf_buf_add(o->b, "\n\n");
  }
}

static void para(out *o, const char *text, const char *cls) {
  int is_warn = cls && !strcmp(cls, "warn");
  if (is_warn) {
    o->nwarn++;
    if (o->warns) sf_buf_addn(o->warns, text, strlen(text) + 1);
  }
  if (o->html && is_warn) {
    /* an anchor per warning: the page's list of them and the batch index link here */
    sf_buf_printf(o->b, "<p class=\"warn\" id=\"warn-%zu\">", o->nwarn);
    esc(o, text);
    sf_buf_add(o->b, "</p>\n");
  } else if (o->html) {
    sf_buf_printf(o->b, "<p%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    esc(o, text);
    sf_buf_add(o->b, "</p>\n");
  } else {
    /* a warning is a quote, a verdict bold (the page sets both apart): a Markdown reader must not
     * read them as one more line of figures */
    int warn = cls && !strcmp(cls, "warn"), verdict = cls && !strcmp(cls, "verdict");
    if (warn) sf_buf_add(o->b, "> **warning:** ");
    if (verdict) sf_buf_add(o->b, "**");
    md_esc(o->b, text, !warn && !verdict);
    sf_buf_add(o->b, verdict ? "**\n\n" : "\n\n");
  }
}

/* align: one letter a column for Markdown's delimiter row, 'l' for text (a law, a formula, a
 * source), 'r' for figures; HTML right-aligns each cell that starts like a figure instead. */
static void table_begin(out *o, const char *const *cols, size_t n, const char *align) {
  if (o->html) {
    sf_buf_add(o->b, "<div class=\"scroll\"><table>\n<thead><tr>");
    for (size_t i = 0; i < n; i++) {
      sf_buf_add(o->b, "<th>");
      esc(o, cols[i]);
      sf_buf_add(o->b, "</th>");
    }
    sf_buf_add(o->b, "</tr></thead>\n<tbody>\n");
  } else {
    sf_buf_add(o->b, "|");
    for (size_t i = 0; i < n; i++) {
      sf_buf_addc(o->b, ' ');
      md_esc(o->b, cols[i], 0);
      sf_buf_add(o->b, " |");
    }
    sf_buf_add(o->b, "\n|");
    for (size_t i = 0; i < n; i++) sf_buf_add(o->b, align[i] == 'r' ? "---:|" : "---|");
    sf_buf_add(o->b, "\n");
  }
}

/* A figure's cell on the page: it may break only before its band ("1.25e+21" over "[1.77e+05, 3.50e+90]"),
 * every other space is a no-break one. A row of three e-notation bands once needed 1465 px (the Targets
 * table scrolled sideways at 1280 px); a value is never split, and a band stays whole. */
static void num_cell(out *o, const char *c) {
  char *e = sf_html_escape(c);
  for (const char *q = e ? e : ""; *q; q++) {
    if (*q != ' ') sf_buf_addc(o->b, *q);
    else if (q[1] == '[') sf_buf_addc(o->b, ' ');
    else sf_buf_add(o->b, "&nbsp;");
  }
  free(e);
}

/* A text cell on the page: a name may break after '_', '-', '.' or '/' before a letter (a 55-character fit name held its
 * column at 430 px: a table's column is as wide as its longest unbreakable word); a word never elsewhere. */
static void text_cell(out *o, const char *c) {
  char *e = sf_html_escape(c);
  for (const char *q = e ? e : ""; *q; q++) {
    sf_buf_addc(o->b, *q);
    if (strchr("_-./", *q) && isalpha((unsigned char)q[1])) sf_buf_add(o->b, "<wbr>"); /* "loss 0.076" stays */
  }
  free(e);
}

static void table_row(out *o, const char *const *cells, size_t n) {
  sf_buf_add(o->b, o->html ? "<tr>" : "|");
  for (size_t i = 0; i < n; i++) {
    if (o->html) {
      const char *c = cells[i];
      int num = c && c[0] && (strchr("0123456789-+$[", c[0]) || !strncmp(c, "never", 5));
      sf_buf_add(o->b, num ? "<td class=\"num\">" : "<td>");
      if (num) num_cell(o, c);
      else text_cell(o, c);
      sf_buf_add(o->b, "</td>");
    } else {
      sf_buf_add(o->b, " ");
      esc(o, cells[i]);
      sf_buf_add(o->b, " |");
    }
  }
  sf_buf_add(o->b, o->html ? "</tr>\n" : "\n");
}

static void table_end(out *o) { sf_buf_add(o->b, o->html ? "</tbody></table></div>\n" : "\n"); }

/* the CLI's display rules (sf_fmt_compute, sf_fmtcol over a table's column): a report shows each
 * figure as `scalefit optimal` and `target` print it */

static const char *band_kind(sf_bandkind k) {
  return k == SF_BAND_BOOTSTRAP ? "bootstrap" : k == SF_BAND_DELTA ? "delta method" : "none";
}

/* Forecasts more than this many decades beyond a fit's data are warned about: the default of
 * `scalefit optimal`, `predict` and `target` (--warn-decades 1), with their words. */
#define RP_WARN_DECADES 1.0

/* The warning under one source's forecast table, if any of its rows lay far out; resets the count. */
static void far_para(out *o, int kind, size_t *far, double *worst) {
  if (*far) {
    char w[400];
    sf_far_warning(w, sizeof w, kind == RP_PREDICT ? SF_FAR_PREDICT : SF_FAR_OPTIMAL, *far, RP_WARN_DECADES, *worst);
    para(o, w, "warn");
  }
  *far = 0, *worst = 0;
}

/* Bootstrap bands of a source's forecast table that leave out their own value (sf_band_excludes_value),
 * warned about under the table as the CLI warns; the first is kept as the example. */
typedef struct excl_count {
  size_t n;
  char example[160];
} excl_count;

/* what: the figure ("N*"), C: the budget of its row (NaN: none, a target's) */
static void excl_see(excl_count *e, const char *what, double C, const sf_band *b) {
  if (!sf_band_excludes_value(b)) return;
  if (e->n++) return;
  if (isnan(C)) snprintf(e->example, sizeof e->example, "%s = %.4g, band [%.4g, %.4g]", what, b->value, b->lo, b->hi);
  else snprintf(e->example, sizeof e->example, "%s at C=%.4g = %.4g, band [%.4g, %.4g]", what, C, b->value, b->lo, b->hi);
}

/* The warning under a table (prefix: what it is about, or NULL), if any band left its value out; resets the count. */
static void excl_para(out *o, const char *prefix, excl_count *e) {
  if (e->n) {
    char w[600], buf[1700];
    sf_band_excludes_warning(w, sizeof w, e->n, e->example);
    if (prefix) snprintf(buf, sizeof buf, "%s: %s", prefix, w);
    para(o, prefix ? buf : w, "warn");
  }
  e->n = 0;
}

/* ---- the body, in either language ---- */

static void body(rp_state *st, out *o) {
  const sf_spec *s = st->spec;
  char buf[1024], c1[160], c2[256], c3[160], c4[160], c5[160], c6[200];
  /* data */
  if (st->table) {
    heading(o, 2, "Data");
    snprintf(buf, sizeof buf, "%zu run%s from '%s' (table '%s')%s%s%s; %zu excluded by the selection.", st->table->nrows,
             sf_plural(st->table->nrows),
             s->data_file_given, st->table->name, s->where ? ", where '" : "", s->where ? s->where : "",
             s->where ? "'" : "", st->n_where);
    para(o, buf, NULL);
  }
  /* fits */
  for (size_t i = 0; i < st->nfits; i++) {
    const rp_fit *f = &st->fits[i];
    const sf_fit_result *r = &f->fr.fit;
    /* a fit named for its law ([fit chinchilla], law = chinchilla) is not named twice */
    if (strcmp(f->spec->name, sf_law_label(f->law)) == 0) snprintf(buf, sizeof buf, "Fit: %s", f->spec->name);
    else snprintf(buf, sizeof buf, "Fit '%s': %s", f->spec->name, sf_law_label(f->law));
    heading(o, 2, buf);
    sf_buf xs;
    sf_buf_init(&xs);
    for (size_t v = 0; v < f->law->nvar; v++) sf_buf_printf(&xs, "%s%s", v ? ", " : "", f->fr.xname[v]);
    char lossd[64];
    if (f->fr.opts.loss == SF_LOSS_HUBER) snprintf(lossd, sizeof lossd, "Huber loss (delta %g)", f->fr.opts.delta);
    else snprintf(lossd, sizeof lossd, "L2 loss");
    snprintf(buf, sizeof buf, "%s: %s against %s; %zu runs fitted, %s on %s residuals; %zu start%s, %zu in the "
             "best basin; RMSE %.4g, AIC %.2f, BIC %.2f.", f->owned ? f->spec->law : f->law->formula, f->fr.yname,
             sf_buf_str(&xs), r->n, lossd, f->fr.opts.space == SF_SPACE_LOG ? "log" : "linear", r->nstarts,
             sf_plural(r->nstarts), r->best_basin,
             r->rmse, r->aic, r->bic);
    sf_buf_free(&xs);
    para(o, buf, NULL);
    if (f->fr.n_skipped) { /* named as `scalefit fit` names them: a count alone leaves nothing to look for */
      snprintf(buf, sizeof buf, "%zu run%s skipped for a missing value (%s).", f->fr.n_skipped,
               sf_plural(f->fr.n_skipped), f->fr.skip_note ? f->fr.skip_note : "a column the fit needs");
      para(o, buf, NULL);
    }
    if (f->fr.sigma_name) {
      snprintf(buf, sizeof buf, "Weighted by %s, the runs' standard deviations of %s%s: chi-square %.4g for %g degrees "
               "of freedom (chi-square/dof %.3g); the standard errors %s.", f->fr.sigma_name, f->fr.yname,
               f->fr.opts.space == SF_SPACE_LOG ? " (residuals in units of sigma/y, the delta method)" : "",
               r->chi2, r->dof, r->chi2 / r->dof,
               f->fr.opts.absolute_sigma ? "take them as exact (absolute sigma)" : "are scaled by chi-square/dof");
      para(o, buf, NULL);
    }
    char cihdr[64];
    snprintf(cihdr, sizeof cihdr, f->fr.K ? "95%% bootstrap interval (%zu resamples)" : "95%% interval", f->fr.K);
    const char *cols[] = {"parameter", "value", "standard error", f->fr.K ? cihdr : "95% interval (1.96 SE)"};
    table_begin(o, cols, 4, "lrrr");
    unsigned scales = 0; /* the scales the standard error's intervals were taken on, other than linear */
    for (size_t j = 0; j < f->law->np; j++) {
      double lo = NAN, hi = NAN;
      if (!f->fr.opts.fixed[j] && f->fr.K) {
        /* an end within rounding of the parameter's bound reads as the bound, as `scalefit fit` prints it: the
         * refits that run off to E = 0 stop at E = 1e-63 or so, which the table showed as it was */
        double blo, bhi;
        sf_fit_param_bounds(f->law, &f->fr.opts, j, &blo, &bhi);
        lo = sf_fit_snap_to_bound(f->fr.ci_lo[j], blo, bhi, r->params[j]);
        hi = sf_fit_snap_to_bound(f->fr.ci_hi[j], blo, bhi, r->params[j]);
      } else if (!f->fr.opts.fixed[j] && isfinite(r->stderr_[j])) {
        /* on the parameter's unbounded scale, as `scalefit fit` prints it: a positive A read [-1940.9, 8612.1] */
        sf_wald_scale sc = sf_fit_wald_interval(f->law, &f->fr.opts, j, r->params[j], r->stderr_[j], 1.96, &lo, &hi);
        if (sc != SF_WALD_LINEAR) scales |= 1u << sc;
      }
      /* value, standard error and interval in one style (sf_fmt_param_value) */
      sf_fmt_param_value(c1, sizeof c1, r->params[j], f->fr.opts.fixed[j] ? NAN : r->stderr_[j], lo, hi);
      if (f->fr.opts.fixed[j]) snprintf(c2, sizeof c2, "fixed");
      else if (!sf_fmt_like(c2, sizeof c2, r->stderr_[j], c1)) snprintf(c2, sizeof c2, "%.3g", r->stderr_[j]);
      if (isnan(lo) || isnan(hi)) snprintf(c3, sizeof c3, "-");
      else sf_fmt_param_interval(c3, sizeof c3, c1, lo, hi);
      const char *cells[] = {f->law->par[j].name, c1, c2, c3};
      table_row(o, cells, 4);
    }
    table_end(o);
    if (scales) { /* which scale each interval is on: a reader expects v +- 1.96 se, and gets it only for a free sign */
      char sc[400];
      sf_fit_wald_scales(f->law, &f->fr.opts, r->params, r->stderr_, sc, sizeof sc);
      snprintf(buf, sizeof buf, "Each interval is the value ± 1.96 standard errors on the scale on which the parameter "
               "is unbounded, mapped back, so that it stays within the parameter's range: %s (docs/FIT.md).", sc);
      para(o, buf, NULL);
    }
    if (f->fr.n_holdout) {
      char held[160];
      snprintf(buf, sizeof buf, "Held out: %s, the largest by compute, were left out of the fit and predicted: "
               "RMSE %.4g (%s residuals), max |error| %.4g, mean relative error %.2f%%.",
               sf_fit_holdout_text(&f->fr, held, sizeof held), f->fr.holdout_rmse,
               f->fr.opts.space == SF_SPACE_LOG ? "log" : "linear", f->fr.holdout_maxabs, 100 * f->fr.holdout_mean_rel);
      para(o, buf, NULL);
    }
    for (size_t k = 0; k < f->fr.nwarn; k++) para(o, f->fr.warn[k].text, "warn");
  }
  /* forecasts: one table per law */
  if (st->nfc) {
    heading(o, 2, "Forecasts");
    int any_fit = 0;
    for (size_t i = 0; i < st->nfc; i++) any_fit |= st->fc[i].fit >= 0;
    para(o, any_fit ? "For each budget C, the compute-optimal parameters N* and tokens D* under C = 6ND and the value "
                      "the law predicts there. Bands are 95% intervals: percentiles over the bootstrap refits where the "
                      "fit has them, else the delta method; published laws come without. 'Beyond data' is how many "
                      "decades the point lies outside the fit's data."
                    : "For each budget C, the compute-optimal parameters N* and tokens D* under C = 6ND and, for laws "
                      "of N and D, the loss they predict there. Published laws come without uncertainty.",
         NULL);
    if (s->nbudget_merged) {
      char c[32];
      sf_fmt_compute(c, sizeof c, s->budget_merged);
      snprintf(buf, sizeof buf, "Budgets are listed ascending, each once: %zu written more than once (%s%s) %s once.",
               s->nbudget_merged, c, s->nbudget_merged > 1 ? ", ..." : "", s->nbudget_merged > 1 ? "are listed" : "is listed");
      para(o, buf, NULL);
    }
    size_t far = 0; /* the source's budgets far beyond its data, warned about as the CLI does */
    double worst = 0;
    excl_count excl = {0};
    sf_fmtcol ncol = {0}, dcol = {0}, vcol = {0}; /* one style per column of the source's table, as optimal's */
    for (size_t i = 0; i < st->nfc; i++) {
      const rp_fc *x = &st->fc[i];
      const sf_fitfile *ff = rp_source_ff(st, x->fit);
      if (i == 0 || st->fc[i - 1].fit != x->fit) {
        ncol = dcol = vcol = (sf_fmtcol){0};
        for (size_t k = i; k < st->nfc && st->fc[k].fit == x->fit; k++) {
          sf_fmtcol_see_band(&ncol, st->fc[k].N.value, st->fc[k].N.lo, st->fc[k].N.hi);
          sf_fmtcol_see_band(&dcol, st->fc[k].D.value, st->fc[k].D.lo, st->fc[k].D.hi);
          sf_fmtcol_see_band(&vcol, st->fc[k].value.value, st->fc[k].value.lo, st->fc[k].value.hi);
        }
        if (i) {
          table_end(o);
          far_para(o, st->fc[i - 1].kind, &far, &worst);
          excl_para(o, NULL, &excl);
        }
        snprintf(buf, sizeof buf, "%s", rp_source_name(st, x->fit));
        heading(o, 3, buf);
        if (x->fit >= 0) {
          snprintf(buf, sizeof buf, "%s (fitted here).", ff->law->formula);
        } else if ((ff->alloc == SF_ALLOC_DOPT || ff->alloc == SF_ALLOC_NOPT) && ff->np == 2) {
          /* stored as the catalogue's power0, A*x^-alpha with alpha negated: show the published form */
          /* the law gives one of N* and D*: the other is C = 6ND's, said (the frontier chart draws only
           * the published one) */
          int dopt = ff->alloc == SF_ALLOC_DOPT;
          snprintf(buf, sizeof buf, "%s = %.4g * C^%.4g (published: %s); %s = C / (6 %s), from C = 6ND.", ff->output,
                   ff->params[0], -ff->params[1], ff->origin, dopt ? "N*" : "D*", dopt ? "D*" : "N*");
        } else {
          sf_buf pb;
          sf_buf_init(&pb);
          for (size_t k = 0; k < ff->np; k++)
            sf_buf_printf(&pb, "%s%s = %.6g", k ? ", " : "", ff->law->par[k].name, ff->params[k]);
          snprintf(buf, sizeof buf, "%s with %s (published: %s).", ff->law->formula, sf_buf_str(&pb), ff->origin);
          sf_buf_free(&pb);
        }
        para(o, buf, "law");
        char vh[64];
        snprintf(vh, sizeof vh, "%s", ff->output);
        /* a published N_opt/D_opt law predicts no loss, and published laws have no data range */
        const char *cols[6] = {"budget C (FLOP)", "N*", "D*", "tokens/param"};
        size_t nc = 4;
        if (x->kind == RP_PREDICT) cols[1] = vh, nc = 2;
        else if (ff->alloc == SF_ALLOC_ND) cols[nc++] = vh;
        if (x->fit >= 0) cols[nc++] = "beyond data";
        table_begin(o, cols, nc, "rrrrrr");
      }
      sf_fmt_compute(c1, sizeof c1, x->C);
      sf_fmtcol_band(&ncol, c2, sizeof c2, x->N.value, x->N.lo, x->N.hi);
      sf_fmtcol_band(&dcol, c3, sizeof c3, x->D.value, x->D.lo, x->D.hi);
      sf_fmt_ratio_band(c4, sizeof c4, x->tpp.value, x->tpp.lo, x->tpp.hi);
      sf_fmtcol_band(&vcol, c6, sizeof c6, x->value.value, x->value.lo, x->value.hi);
      if (isnan(x->beyond)) snprintf(c5, sizeof c5, "-");
      else snprintf(c5, sizeof c5, "%.1f dec", x->beyond);
      const char *cells[6] = {c1, c2, c3, c4};
      size_t nc = 4;
      if (x->kind == RP_PREDICT) cells[1] = c6, nc = 2;
      else if (ff->alloc == SF_ALLOC_ND) cells[nc++] = c6;
      if (x->fit >= 0) cells[nc++] = c5;
      table_row(o, cells, nc);
      excl_see(&excl, x->kind == RP_PREDICT ? ff->output : "N*", x->C, &x->N);
      if (x->kind != RP_PREDICT) {
        excl_see(&excl, "D*", x->C, &x->D), excl_see(&excl, "tokens/param", x->C, &x->tpp);
        excl_see(&excl, ff->output, x->C, &x->value);
      }
      if (x->beyond > RP_WARN_DECADES) {
        far++;
        if (x->beyond > worst) worst = x->beyond;
      }
    }
    table_end(o);
    far_para(o, st->fc[st->nfc - 1].kind, &far, &worst);
    excl_para(o, NULL, &excl);
  }
  if (st->ntg) {
    heading(o, 2, "Targets");
    para(o, "The smallest compute at which the compute-optimally allocated law reaches the target. 'Reachable' is the "
         "share of bootstrap refits that reach it at all; 'beyond data' how many decades that budget lies outside "
         "the fit's data.", NULL);
    if (s->ntarget_merged) { /* as the budgets' note: the targets are listed in the order of their compute */
      int up = 0, down = 0; /* a law that rises with compute lists its targets from the lowest up */
      for (size_t i = 0; i < st->ntg; i++) up |= st->tg[i].rising, down |= !st->tg[i].rising;
      snprintf(buf, sizeof buf, "Targets are listed %s, each once: %zu written more than once (%g%s) %s once.",
               !up ? "from the highest (the least compute) down"
               : !down ? "from the lowest (the least compute) up, as the law rises with compute"
                       : "in the order of the compute each law takes (a loss from the highest down, a metric that rises "
                         "with compute from the lowest up)",
               s->ntarget_merged, s->target_merged, s->ntarget_merged > 1 ? ", ..." : "",
               s->ntarget_merged > 1 ? "are listed" : "is listed");
      para(o, buf, NULL);
    }
    const char *cols[] = {"law", "target", "compute C (FLOP)", "N", "D", "reachable", "beyond data"};
    /* the compute column holds `target`'s verdict (text) for a target not reached above the bottom: Markdown
     * aligns it left then, as the page does a cell that is not a figure */
    int verdicts = 0;
    for (size_t i = 0; i < st->ntg; i++) verdicts |= st->tg[i].reached != 1;
    table_begin(o, cols, 7, verdicts ? "lllrrrr" : "llrrrrr");
    sf_fmtcol ncol = {0}, dcol = {0};
    for (size_t i = 0; i < st->ntg; i++)
      if (st->tg[i].reached == 1) {
        sf_fmtcol_see_band(&ncol, st->tg[i].N.value, st->tg[i].N.lo, st->tg[i].N.hi);
        sf_fmtcol_see_band(&dcol, st->tg[i].D.value, st->tg[i].D.lo, st->tg[i].D.hi);
      }
    for (size_t i = 0; i < st->ntg; i++) {
      const rp_target *x = &st->tg[i];
      snprintf(c1, sizeof c1, "%s %g", rp_source_ff(st, x->fit)->output, x->target);
      /* unreached: `scalefit target`'s words (a power law without a floor is slow, not floored) */
      if (x->reached != 1) {
        sf_optimum bottom = {.C = x->bottom_C}; /* reached at the bottom of the search: its budget */
        sf_target_verdict(rp_source_ff(st, x->fit), x->target, x->reached, &bottom, c2, sizeof c2);
      }
      else sf_fmt_band(c2, sizeof c2, x->C.value, x->C.lo, x->C.hi, sf_fmt_compute);
      sf_fmtcol_band(&ncol, c3, sizeof c3, x->N.value, x->N.lo, x->N.hi);
      sf_fmtcol_band(&dcol, c4, sizeof c4, x->D.value, x->D.lo, x->D.hi);
      if (isnan(x->prob)) snprintf(c5, sizeof c5, "-");
      else snprintf(c5, sizeof c5, "%.3f", x->prob); /* as `scalefit target` prints it */
      if (isnan(x->beyond)) snprintf(c6, sizeof c6, "-");
      else snprintf(c6, sizeof c6, "%.1f dec", x->beyond);
      const char *cells[] = {rp_source_name(st, x->fit), c1, c2, x->reached == 1 ? c3 : "-", x->reached == 1 ? c4 : "-", c5,
                             c6};
      table_row(o, cells, 7);
    }
    table_end(o);
    /* `scalefit target`'s note: a band over fewer refits than the fit has says so */
    for (size_t i = 0; i < st->ntg; i++) {
      const rp_target *x = &st->tg[i];
      if (x->reached != 1 || !x->unsolved) continue;
      const sf_fitfile *ff = rp_source_ff(st, x->fit);
      char tail[64];
      if (x->C.n_ok >= 2) snprintf(tail, sizeof tail, "the band is over the other %zu", x->C.n_ok);
      else snprintf(tail, sizeof tail, "too few are left for a band");
      snprintf(buf, sizeof buf, "%s, %s %g: %zu of %zu refits could not be solved for the target (met already at the "
               "lowest budget their law can be evaluated at, or failed); %s.", rp_source_name(st, x->fit), ff->output,
               x->target, x->unsolved, ff->K, tail);
      para(o, buf, NULL);
    }
    for (size_t i = 0; i < st->ntg; i++) {
      const rp_target *x = &st->tg[i];
      if (x->reached != 1 || !x->clipped) continue;
      snprintf(buf, sizeof buf, "%s, %s %g: %s", rp_source_name(st, x->fit), rp_source_ff(st, x->fit)->output, x->target,
               SF_TARGET_CLIP_NOTE);
      para(o, buf, NULL);
    }
    for (size_t i = 0; i < st->ntg; i++) {
      const rp_target *x = &st->tg[i];
      if (x->reached != 1 || !(x->beyond > RP_WARN_DECADES)) continue;
      char w[400];
      sf_far_warning(w, sizeof w, SF_FAR_TARGET, 1, RP_WARN_DECADES, x->beyond);
      snprintf(buf, sizeof buf, "%s, %s %g: %s", rp_source_name(st, x->fit), rp_source_ff(st, x->fit)->output,
               x->target, w);
      para(o, buf, "warn");
    }
    for (size_t i = 0; i < st->ntg; i++) {
      const rp_target *x = &st->tg[i];
      if (x->reached != 1) continue;
      excl_count e = {0};
      excl_see(&e, "C", NAN, &x->C), excl_see(&e, "N", NAN, &x->N), excl_see(&e, "D", NAN, &x->D);
      snprintf(buf, sizeof buf, "%s, %s %g", rp_source_name(st, x->fit), rp_source_ff(st, x->fit)->output, x->target);
      excl_para(o, buf, &e);
    }
  }
  /* costs */
  if (s->ncost && (st->nfc || st->ntg)) {
    heading(o, 2, "Costs");
    for (size_t k = 0; k < s->ncost; k++) {
      const rp_cost *cc = &st->costs[k];
      /* a peak given as peak_tflops names no accelerator and no precision: it read "0.068 TFLOP/s accelerator,
       * 0.068 TFLOP/s peak (bf16)", the figure twice and a precision that was never chosen */
      if (cc->spec->gpu)
        snprintf(buf, sizeof buf, "Scenario '%s': %s, %.4g TFLOP/s peak (%s), MFU %.3g%s", cc->spec->name, cc->gpu,
                 cc->peak / 1e12, cc->spec->precision ? cc->spec->precision : "bf16", cc->spec->mfu,
                 isnan(cc->spec->gpus) ? "" : ", ");
      else
        snprintf(buf, sizeof buf, "Scenario '%s': an accelerator of %.4g TFLOP/s peak (peak_tflops), MFU %.3g%s",
                 cc->spec->name, cc->peak / 1e12, cc->spec->mfu, isnan(cc->spec->gpus) ? "" : ", ");
      if (!isnan(cc->spec->gpus)) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%.0f in parallel", cc->spec->gpus);
      if (!isnan(cc->spec->price))
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ", $%.3g per accelerator-hour", cc->spec->price);
      snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ". Accelerator-hours = C / (peak x MFU) / 3600.");
      para(o, buf, NULL);
      /* the "what" column only when targets add rows beside the budgets */
      int what_col = 0;
      for (size_t i = 0; i < st->ntg; i++) what_col |= st->tg[i].reached == 1;
      const char *cols[] = {"compute C (FLOP)", "what", "accelerator-hours", "days", "dollars"};
      const char *cols2[] = {"budget C (FLOP)", "accelerator-hours", "days", "dollars"};
      if (what_col) table_begin(o, cols, 5, "rlrrr");
      else table_begin(o, cols2, 4, "rrrr");
      /* budgets once each (the cost depends on C alone), then each reachable target */
      size_t nrow = s->nbudget + st->ntg;
      for (size_t i = 0; i < nrow; i++) {
        double C;
        char what[200];
        if (i < s->nbudget) {
          C = s->budget[i];
          snprintf(what, sizeof what, "budget");
        } else {
          const rp_target *x = &st->tg[i - s->nbudget];
          if (x->reached != 1) continue;
          C = x->C.value;
          snprintf(what, sizeof what, "%s reaches %s %g", rp_source_name(st, x->fit), rp_source_ff(st, x->fit)->output,
                   x->target);
        }
        sf_cost_in in = {C, cc->peak, cc->spec->mfu, cc->spec->gpus, cc->spec->price};
        sf_cost k2;
        if (sf_cost_compute(&in, &k2)) {
          sf_error_clear();
          continue;
        }
        sf_fmt_compute(c5, sizeof c5, C);
        sf_fmt_value(c1, sizeof c1, k2.gpu_hours);
        sf_fmt_ratio(c2, sizeof c2, k2.days);
        if (isnan(k2.dollars)) snprintf(c3, sizeof c3, "-");
        else {
          c3[0] = '$';
          sf_fmt_value(c3 + 1, sizeof c3 - 1, k2.dollars);
        }
        const char *cells[] = {c5, what, c1, c2, c3};
        const char *cells2[] = {c5, c1, c2, c3};
        if (what_col) table_row(o, cells, 5);
        else table_row(o, cells2, 4);
      }
      table_end(o);
    }
  }
  /* turn */
  for (size_t i = 0; i < s->nturn; i++) {
    const rp_turn *tu = &st->turns[i];
    const sf_turn_result *r = &tu->res;
    snprintf(buf, sizeof buf, "Turn '%s': %s against %s", tu->spec->name, tu->spec->y, tu->x);
    heading(o, 2, buf);
    /* everything `scalefit turn` prints, in its words (sf_turn_describe): a report never says less */
    sf_turn_text tx;
    sf_turn_describe(r, &tu->opts, tu->x, tu->xunit, &tx);
    snprintf(buf, sizeof buf, "%zu runs with both values (%zu skipped without both), %s, chance %g, maximum %g; the "
             "%zu largest held out for the extrapolation check.", r->n, tu->skipped, tx.range, tu->spec->chance,
             tu->spec->max, r->n_holdout);
    para(o, buf, NULL);
    for (size_t k = 0; k < tx.nnote; k++) {
      snprintf(buf, sizeof buf, "Note: %s.", tx.note[k]);
      para(o, buf, NULL);
    }
    para(o, r->verdict, "verdict");
    if (r->chance_warning[0]) para(o, r->chance_warning, "warn");
    /* ranked by AICc as `scalefit turn` ranks them, AIC still shown */
    const char *cols[] = {"law", "formula", "parameters", "RSS", "AIC", "AICc", "BIC", "AICc weight", "held-out RMSE"};
    table_begin(o, cols, 9, "lllrrrrrr");
    sf_numcol crss, chold; /* one precision down each column, as `scalefit turn` prints them */
    sf_turn_cols(r, &crss, &chold);
    for (int l = 0; l < SF_TURN_NLAWS; l++) {
      const sf_turn_law *L = &r->law[l];
      sf_buf ps;
      sf_buf_init(&ps);
      for (size_t k = 0; k < L->np; k++) sf_buf_printf(&ps, "%s%s %.4g", k ? ", " : "", L->param_names[k], L->params[k]);
      sf_numcol_fmt(&crss, c4, sizeof c4, L->rss);
      snprintf(c1, sizeof c1, "%.2f", L->aic);
      snprintf(c2, sizeof c2, "%.2f", L->bic);
      sf_numcol_fmt(&chold, c3, sizeof c3, L->holdout_error);
      snprintf(c5, sizeof c5, "%.2f", L->aicc);
      snprintf(c6, sizeof c6, "%.3f", L->weight);
      const char *cells[] = {L->name, L->formula, L->ok ? sf_buf_str(&ps) : "-", L->ok ? c4 : "fit failed",
                             L->ok ? c1 : "-", L->ok ? c5 : "-", L->ok ? c2 : "-", L->ok ? c6 : "-", L->ok ? c3 : "-"};
      table_row(o, cells, 9);
      sf_buf_free(&ps);
    }
    table_end(o);
    for (size_t k = 0; k < tx.nline; k++) {
      /* "sigmoid: floor ..." reads as a sentence in a report: capitalised, with a full stop */
      snprintf(buf, sizeof buf, "%c%s.", toupper((unsigned char)tx.line[k][0]), tx.line[k] + 1);
      para(o, buf, NULL);
    }
  }
}

static void write_charts(rp_state *st, out *o) {
  const sf_spec *s = st->spec;
  if (!s->nchart) return;
  heading(o, 2, "Charts");
  for (size_t i = 0; i < s->nchart; i++) {
    const rp_chart *ch = &st->charts[i];
    if (o->html) {
      sf_buf_add(o->b, "<figure>\n");
      sf_buf_add(o->b, ch->svg);
      /* the caption names the chart by its drawn title (the spec's name and kind alone, "isoflop
       * (isoflop)", say little), as the inline SVG's <title> does for a screen reader */
      sf_buf_add(o->b, "\n<figcaption>");
      if (ch->title && ch->title[0]) {
        esc(o, ch->title);
        sf_buf_add(o->b, " · ");
      }
      sf_buf_add(o->b, "[chart ");
      esc(o, ch->spec->name);
      sf_buf_add(o->b, "], ");
      esc(o, ch->spec->kind);
      sf_buf_add(o->b, " · <a href=\"");
      esc(o, ch->file);
      sf_buf_add(o->b, "\">SVG file</a>");
      if (ch->note) {
        sf_buf_add(o->b, " · ");
        esc(o, ch->note);
      }
      sf_buf_add(o->b, "</figcaption>\n</figure>\n");
    } else {
      /* the alt text is what the chart shows: its title */
      sf_buf_add(o->b, "![");
      md_esc(o->b, ch->title && ch->title[0] ? ch->title : ch->spec->name, 0);
      sf_buf_printf(o->b, "](%s)\n\n", ch->file); /* chart-NAME.svg: NAME is [A-Za-z0-9_.-]+ */
      if (ch->note) {
        md_esc(o->b, ch->note, 1);
        sf_buf_add(o->b, "\n\n");
      }
    }
  }
}

static void sources(rp_state *st, out *o) {
  char c1[32];
  if (!st->table) return;
  para(o, "Where the runs come from:", NULL);
    /* sources of the runs */
    const char *cols[] = {"source", "runs"};
    table_begin(o, cols, 2, "lr");
    const sf_table *t = st->table;
    unsigned char *done = calloc(t->nrows + 1, 1);
    for (size_t r = 0; done && r < t->nrows; r++) {
      if (done[r]) continue;
      size_t cnt = 0;
      for (size_t q = r; q < t->nrows; q++)
        if (!done[q] && !strcmp(t->source[q], t->source[r])) done[q] = 1, cnt++;
      snprintf(c1, sizeof c1, "%zu", cnt);
      const char *cells[] = {t->source[r][0] ? t->source[r] : "(no source given)", c1};
      table_row(o, cells, 2);
    }
    free(done);
    table_end(o);
}

static void provenance(rp_state *st, out *o) {
  char buf[4096];
  heading(o, 2, "Provenance");
  /* the data file as the spec gives it, and where that resolved to only when it is another path: an
   * absolute path was shown twice, "x.h5 (x.h5)" */
  const char *given = st->spec->data_file_given, *resolved = st->spec->data_file;
  int both = resolved && given && strcmp(given, resolved) != 0;
  snprintf(buf, sizeof buf, "Spec: %s. Command: %s. scalefit %s, %s.", st->spec->path,
           st->ctx && st->ctx->command_line ? st->ctx->command_line : "(library call)", sf_version(), st->started);
  if (resolved)
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " Data: %s%s%s%s.", given ? given : resolved,
             both ? " (" : "", both ? resolved : "", both ? ")" : "");
  if (o->html) {
    sf_buf_add(o->b, "<dl class=\"prov\"><dt>spec</dt><dd><code>");
    esc(o, st->spec->path);
    sf_buf_add(o->b, "</code></dd><dt>command</dt><dd><code>");
    esc(o, st->ctx && st->ctx->command_line ? st->ctx->command_line : "(library call)");
    sf_buf_add(o->b, "</code></dd><dt>version</dt><dd>scalefit ");
    esc(o, sf_version());
    sf_buf_add(o->b, "</dd><dt>written</dt><dd>");
    esc(o, st->started);
    if (resolved) {
      sf_buf_add(o->b, "</dd><dt>data</dt><dd><code>");
      esc(o, given ? given : resolved);
      sf_buf_add(o->b, "</code>");
      if (both) {
        sf_buf_add(o->b, " (");
        esc(o, resolved);
        sf_buf_add(o->b, ")");
      }
    }
    sf_buf_add(o->b, "</dd></dl>\n");
  } else {
    para(o, buf, NULL);
  }
  sources(st, o);
}

static const char css[] =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1d232a;"
    "background:#fff;margin:0}\n"
    "main{max-width:1040px;margin:0 auto;padding:24px 28px 64px;overflow-wrap:break-word}\n"
    "h1{font-size:28px;margin:8px 0 4px}h2{font-size:20px;margin:36px 0 8px;padding-bottom:4px;"
    "border-bottom:1px solid #dde3ea}\n"
    "p.lead{color:#4a5561;margin-top:0}p.warn{background:#fff6e5;border-left:4px solid #e69f00;padding:6px 10px}\n"
    "p.warnlist{color:#8a5a00;font-weight:600}p.warnlist a{margin-left:4px}a.warn{color:#8a5a00;font-weight:600}\n"
    "p.law{color:#4a5561;margin:0 0 4px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}\n"
    "h3{font-size:16px;margin:20px 0 2px}p.verdict{background:#eef6fb;border-left:4px solid #0072b2;padding:6px 10px;font-weight:600}\n"
    "div.scroll{overflow-x:auto}table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}\n"
    "th,td{padding:5px 12px;border-bottom:1px solid #e6eaef;text-align:left;vertical-align:top}\n"
    "th{background:#f4f6f8;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "figure{margin:16px 0 28px}figure svg{max-width:100%;height:auto;display:block;border:1px solid #e6eaef}\n"
    "figcaption{color:#4a5561;font-size:13px;margin-top:4px}code{font-size:13px;background:#f4f6f8;padding:1px 4px}\n"
    "dl.prov{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}dl.prov dt{font-weight:600}"
    "dl.prov dd{margin:0;word-break:break-all}\n"
    "nav a{margin-right:14px}footer{margin-top:40px;color:#6b7682;font-size:13px}\n";

static void html_head(sf_buf *b, const char *title) {
  char *t = sf_html_escape(title);
  sf_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n"
                   "<style>\n%s</style>\n</head>\n<body>\n<main>\n", t ? t : "", css);
  free(t);
}

/* "cost": each scenario's accelerator-hours, days and dollars at compute C (a budget or a reached
 * target), the figures of the page's cost tables */
static void json_costs(sf_json *j, const rp_state *st, double C) {
  const sf_spec *s = st->spec;
  if (!s->ncost) return;
  sf_json_begin_object(j, "cost");
  for (size_t k = 0; k < s->ncost; k++) {
    sf_cost_in in = {C, st->costs[k].peak, s->cost[k].mfu, s->cost[k].gpus, s->cost[k].price};
    sf_cost cst;
    if (sf_cost_compute(&in, &cst)) {
      sf_error_clear();
      continue;
    }
    sf_json_begin_object(j, s->cost[k].name);
    sf_json_number(j, "gpu_hours", cst.gpu_hours);
    sf_json_number(j, "days", cst.days);
    sf_json_number(j, "dollars", cst.dollars);
    sf_json_end_object(j);
  }
  sf_json_end_object(j);
}

static void write_json(rp_state *st, sf_buf *b) {
  const sf_spec *s = st->spec;
  sf_json j;
  sf_json_init(&j, b, 1);
  sf_json_begin_object(&j, NULL);
  sf_json_string(&j, "format", "scalefit-report");
  sf_json_int(&j, "version", 1);
  sf_json_string(&j, "scalefit_version", sf_version());
  sf_json_string(&j, "spec", s->path);
  sf_json_string(&j, "name", s->name);
  sf_json_string(&j, "title", s->title ? s->title : s->name);
  sf_json_string(&j, "command", st->ctx ? st->ctx->command_line : NULL);
  sf_json_string(&j, "written", st->started);
  if (s->nbudget) { /* ascending, each once: the forecasts' and the cost tables' rows */
    sf_json_begin_array(&j, "budgets");
    for (size_t i = 0; i < s->nbudget; i++) sf_json_number(&j, NULL, s->budget[i]);
    sf_json_end_array(&j);
    sf_json_int(&j, "budgets_merged", (long long)s->nbudget_merged);
  }
  if (s->ntarget) { /* descending (compute ascending), each once: the targets' rows */
    sf_json_begin_array(&j, "target_values");
    for (size_t i = 0; i < s->ntarget; i++) sf_json_number(&j, NULL, s->target[i]);
    sf_json_end_array(&j);
    sf_json_int(&j, "targets_merged", (long long)s->ntarget_merged);
  }
  /* every warning the page shows, in its order and words (the index counts them) */
  sf_json_begin_array(&j, "warnings");
  for (size_t k = 0, off = 0; k < st->nwarnings && off < st->warnings.len; k++) {
    sf_json_string(&j, NULL, st->warnings.s + off);
    off += strlen(st->warnings.s + off) + 1;
  }
  sf_json_end_array(&j);
  if (st->table) {
    sf_json_begin_object(&j, "data");
    sf_json_string(&j, "file", s->data_file_given);
    sf_json_string(&j, "path", s->data_file);
    sf_json_string(&j, "table", st->table->name);
    sf_json_string(&j, "where", s->where);
    sf_json_int(&j, "n_loaded", (long long)st->n_loaded);
    sf_json_int(&j, "n_selected", (long long)st->table->nrows);
    sf_json_begin_array(&j, "runs");
    for (size_t r = 0; r < st->table->nrows; r++) {
      sf_json_begin_object(&j, NULL);
      sf_json_string(&j, "run", st->table->run[r]);
      sf_json_string(&j, "family", st->table->family[r]);
      sf_json_string(&j, "source", st->table->source[r]);
      sf_json_end_object(&j);
    }
    sf_json_end_array(&j);
    sf_json_end_object(&j);
  }
  sf_json_begin_object(&j, "fits");
  for (size_t i = 0; i < st->nfits; i++) {
    /* the saved-fit JSON, spliced in as it is */
    if (j.depth > 0) {
      if (!j.first[j.depth]) sf_buf_addc(b, ',');
      j.first[j.depth] = 0;
      sf_buf_add(b, "\n  ");
    }
    sf_json_escape(b, st->fits[i].spec->name);
    sf_buf_add(b, ": ");
    sf_buf_add(b, st->fits[i].json);
  }
  sf_json_end_object(&j);
  /* the published laws' constants, as the page prints them beside their forecasts and laws.csv
   * gives them (an N_opt/D_opt law as OUTPUT = A * C^alpha, not the catalogue's stored A*x^-alpha) */
  sf_json_begin_object(&j, "published");
  for (size_t i = 0; i < s->npublished; i++) {
    const sf_fitfile *ff = st->pub[i];
    int opt = (ff->alloc == SF_ALLOC_DOPT || ff->alloc == SF_ALLOC_NOPT) && ff->np == 2;
    sf_json_begin_object(&j, s->published[i]);
    sf_json_string(&j, "source", ff->origin);
    sf_json_string(&j, "output", ff->output);
    if (opt) {
      char f[96];
      snprintf(f, sizeof f, "%s = A * C^alpha", ff->output);
      sf_json_string(&j, "formula", f);
    } else {
      sf_json_string(&j, "formula", ff->law->formula);
    }
    sf_json_begin_object(&j, "params");
    for (size_t k = 0; k < ff->np; k++)
      sf_json_number(&j, ff->law->par[k].name, opt && k == 1 ? -ff->params[k] : ff->params[k]);
    sf_json_end_object(&j);
    sf_json_end_object(&j);
  }
  sf_json_end_object(&j);
  sf_json_begin_array(&j, "forecasts");
  for (size_t i = 0; i < st->nfc; i++) {
    const rp_fc *x = &st->fc[i];
    sf_json_begin_object(&j, NULL);
    sf_json_string(&j, "law", rp_source_name(st, x->fit));
    sf_json_string(&j, "from", x->fit >= 0 ? "fit" : "published");
    sf_json_number(&j, "C", x->C);
    const sf_band *bs[4] = {&x->N, &x->D, &x->tpp, &x->value};
    const char *names[4] = {"N", "D", "tokens_per_param", "value"};
    for (int k = 0; k < 4; k++) {
      sf_json_begin_object(&j, names[k]);
      sf_json_number(&j, "value", bs[k]->value);
      sf_json_number(&j, "lo", bs[k]->lo);
      sf_json_number(&j, "hi", bs[k]->hi);
      sf_json_string(&j, "band", band_kind(bs[k]->kind));
      if (bs[k]->kind == SF_BAND_BOOTSTRAP) sf_json_bool(&j, "band_excludes_value", sf_band_excludes_value(bs[k]));
      sf_json_end_object(&j);
    }
    sf_json_string(&j, "output", rp_source_ff(st, x->fit)->output);
    sf_json_number(&j, "decades_beyond", x->beyond);
    json_costs(&j, st, x->C);
    sf_json_end_object(&j);
  }
  sf_json_end_array(&j);
  sf_json_begin_array(&j, "targets");
  for (size_t i = 0; i < st->ntg; i++) {
    const rp_target *x = &st->tg[i];
    sf_json_begin_object(&j, NULL);
    sf_json_string(&j, "law", rp_source_name(st, x->fit));
    sf_json_number(&j, "target", x->target);
    sf_json_int(&j, "reached", x->reached);
    { /* `scalefit target --json`'s sentence: for a target met already, the budget it names is no forecast */
      char v[512];
      sf_optimum at = {.C = x->reached == -1 ? x->bottom_C : x->C.value};
      sf_target_verdict(rp_source_ff(st, x->fit), x->target, x->reached, &at, v, sizeof v);
      sf_json_string(&j, "verdict", v);
    }
    const sf_band *bs[3] = {&x->C, &x->N, &x->D};
    const char *names[3] = {"C", "N", "D"};
    for (int k = 0; k < 3; k++) {
      sf_json_begin_object(&j, names[k]);
      sf_json_number(&j, "value", bs[k]->value);
      sf_json_number(&j, "lo", bs[k]->lo);
      sf_json_number(&j, "hi", bs[k]->hi);
      if (bs[k]->kind == SF_BAND_BOOTSTRAP) sf_json_bool(&j, "band_excludes_value", sf_band_excludes_value(bs[k]));
      sf_json_end_object(&j);
    }
    if (x->reached == 1) sf_json_bool(&j, "band_clipped_at_floor", x->clipped);
    sf_json_number(&j, "prob_reachable", x->prob);
    /* as `scalefit target --json`: only for a fit with bootstrap refits */
    if (rp_source_ff(st, x->fit)->K >= 2) sf_json_int(&j, "refits_unsolved", (long long)x->unsolved);
    sf_json_number(&j, "decades_beyond", x->beyond);
    /* the rows the page's cost tables give a reached target */
    if (x->reached == 1) json_costs(&j, st, x->C.value);
    sf_json_end_object(&j);
  }
  sf_json_end_array(&j);
  sf_json_begin_array(&j, "cost_scenarios");
  for (size_t k = 0; k < s->ncost; k++) {
    sf_json_begin_object(&j, NULL);
    sf_json_string(&j, "name", s->cost[k].name);
    sf_json_string(&j, "gpu", st->costs[k].gpu);
    sf_json_number(&j, "peak_flops", st->costs[k].peak);
    sf_json_number(&j, "mfu", s->cost[k].mfu);
    sf_json_number(&j, "gpus", s->cost[k].gpus);
    sf_json_number(&j, "price_per_hour", s->cost[k].price);
    sf_json_end_object(&j);
  }
  sf_json_end_array(&j);
  sf_json_begin_array(&j, "turns");
  for (size_t i = 0; i < s->nturn; i++) {
    const rp_turn *tu = &st->turns[i];
    const sf_turn_result *r = &tu->res;
    sf_json_begin_object(&j, NULL);
    sf_json_string(&j, "name", tu->spec->name);
    sf_json_string(&j, "x", tu->x);
    sf_json_string(&j, "y", tu->spec->y);
    /* the fields of `scalefit turn --json` (there under the same names), plus the words it prints */
    sf_json_int(&j, "n", (long long)r->n);
    sf_json_int(&j, "n_skipped", (long long)tu->skipped);
    sf_json_int(&j, "n_holdout", (long long)r->n_holdout);
    sf_json_int(&j, "holdout_asked", (long long)tu->opts.holdout);
    sf_json_int(&j, "n_below_chance", (long long)r->n_below_chance);
    sf_json_number(&j, "chance", tu->opts.chance);
    sf_json_number(&j, "max", tu->opts.max);
    sf_json_begin_array(&j, "x_range");
    sf_json_number(&j, NULL, r->xmin);
    sf_json_number(&j, NULL, r->xmax);
    sf_json_end_array(&j);
    sf_json_int(&j, "bootstrap", (long long)tu->opts.bootstrap);
    sf_json_int(&j, "bootstrap_ok", (long long)r->boot_ok);
    sf_json_number(&j, "tol", tu->opts.tol);
    sf_json_begin_object(&j, "laws");
    for (int l = 0; l < SF_TURN_NLAWS; l++) {
      const sf_turn_law *L = &r->law[l];
      sf_json_begin_object(&j, L->name);
      sf_json_string(&j, "formula", L->formula);
      sf_json_begin_object(&j, "params");
      for (size_t k = 0; k < L->np; k++) sf_json_number(&j, L->param_names[k], L->params[k]);
      sf_json_end_object(&j);
      sf_json_int(&j, "k", (long long)L->k);
      sf_json_number(&j, "rss", L->rss);
      sf_json_number(&j, "aic", L->aic);
      sf_json_number(&j, "aicc", L->aicc);
      sf_json_number(&j, "bic", L->bic);
      sf_json_number(&j, "akaike_weight", L->weight);
      sf_json_number(&j, "holdout_rmse", L->holdout_error);
      sf_json_bool(&j, "ok", L->ok);
      sf_json_end_object(&j);
    }
    sf_json_end_object(&j);
    sf_json_number(&j, "inflection", r->inflection);
    sf_json_number(&j, "inflection_lo", r->inflection_lo);
    sf_json_number(&j, "inflection_hi", r->inflection_hi);
    sf_json_number(&j, "diverge_x", r->diverge_x);
    sf_json_string(&j, "best_growth_law", r->law[r->best_growth].name);
    sf_json_number(&j, "delta_aic", r->delta_aic);
    sf_json_number(&j, "delta_aicc", r->delta_aicc);
    sf_json_number(&j, "delta_bic", r->delta_bic);
    sf_json_bool(&j, "saturation_supported", r->saturation_supported);
    sf_json_string(&j, "verdict", r->verdict);
    if (r->chance_warning[0]) sf_json_string(&j, "chance_warning", r->chance_warning);
    else sf_json_null(&j, "chance_warning");
    sf_turn_text tx;
    sf_turn_describe(r, &tu->opts, tu->x, tu->xunit, &tx);
    sf_json_begin_array(&j, "notes");
    for (size_t k = 0; k < tx.nnote; k++) sf_json_string(&j, NULL, tx.note[k]);
    sf_json_end_array(&j);
    sf_json_begin_array(&j, "lines");
    for (size_t k = 0; k < tx.nline; k++) sf_json_string(&j, NULL, tx.line[k]);
    sf_json_end_array(&j);
    sf_json_end_object(&j);
  }
  sf_json_end_array(&j);
  sf_json_begin_array(&j, "charts");
  for (size_t i = 0; i < s->nchart; i++) {
    sf_json_begin_object(&j, NULL);
    sf_json_string(&j, "name", s->chart[i].name);
    sf_json_string(&j, "kind", s->chart[i].kind);
    sf_json_string(&j, "title", st->charts[i].title);
    sf_json_string(&j, "file", st->charts[i].file);
    sf_json_string(&j, "note", st->charts[i].note);
    sf_json_end_object(&j);
  }
  sf_json_end_array(&j);
  sf_json_end_object(&j);
  sf_buf_addc(b, '\n');
}

static int emit(rp_state *st, const char *name, sf_buf *b) {
  if (b->oom) return sf_fail(SF_ENOMEM, "out of memory writing %s", name);
  char *path = sf_asprintf("%s/%s", st->dir, name);
  if (!path) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = sf_write_file_atomic(path, sf_buf_str(b), b->len);
  free(path);
  if (rc) return rp_fail(st, 0, rc, "%s", sf_errmsg());
  return SF_OK;
}

/* The warnings under the title: how many, each linked (HTML) or numbered in the text (Markdown). A
 * reader of a long page, or of the batch index, learns there are some before scrolling past them. */
static void warn_list(const rp_state *st, out *o) {
  if (!st->nwarnings) return;
  if (o->html) {
    sf_buf_printf(o->b, "<p class=\"warnlist\" id=\"warnings\">%zu warning%s below:", st->nwarnings,
                  st->nwarnings == 1 ? "" : "s");
    for (size_t k = 1; k <= st->nwarnings; k++) sf_buf_printf(o->b, " <a href=\"#warn-%zu\">%zu</a>", k, k);
    sf_buf_add(o->b, "</p>\n");
  } else {
    sf_buf_printf(o->b, "**%zu warning%s below** (quoted, each starting with **warning:**)\n\n", st->nwarnings,
                  st->nwarnings == 1 ? "" : "s");
  }
}

int rp_write(rp_state *st) {
  const sf_spec *s = st->spec;
  const char *title = s->title ? s->title : s->name;
  sf_buf b;
  sf_buf_init(&b);
  { /* a counting pass over the body: the warnings are listed under the title and in report.json */
    out w = {.b = &b, .html = 1, .warns = &st->warnings};
    sf_buf_clear(&st->warnings);
    body(st, &w);
    st->nwarnings = w.nwarn;
    sf_buf_clear(&b);
  }
  write_json(st, &b);
  int rc = emit(st, "report.json", &b);
  /* Markdown */
  sf_buf_clear(&b);
  out md = {.b = &b, .html = 0};
  if (!rc) {
    heading(&md, 1, title);
    if (s->description) para(&md, s->description, NULL);
    sf_buf_add(&b, "Files: [index.html](index.html) · [report.json](report.json)\n\n");
    warn_list(st, &md);
    body(st, &md);
    write_charts(st, &md);
    provenance(st, &md);
    rc = emit(st, "report.md", &b);
  }
  /* HTML */
  sf_buf_clear(&b);
  out h = {.b = &b, .html = 1};
  if (!rc) {
    html_head(&b, title);
    sf_buf_add(&b, "<nav><a href=\"../index.html\">all reports</a><a href=\"report.md\">report.md</a>"
                   "<a href=\"report.json\">report.json</a></nav>\n");
    heading(&h, 1, title);
    if (s->description) para(&h, s->description, "lead");
    warn_list(st, &h);
    body(st, &h);
    write_charts(st, &h);
    provenance(st, &h);
    sf_buf_add(&b, "</main>\n</body>\n</html>\n");
    rc = emit(st, "index.html", &b);
  }
  sf_buf_free(&b);
  return rc;
}

int sf_report_index(const char *outdir, const sf_report_entry *e, size_t n, const char *command_line) {
  sf_buf b;
  sf_buf_init(&b);
  html_head(&b, "scalefit reports");
  size_t ok = 0;
  for (size_t i = 0; i < n; i++) ok += e[i].ok;
  sf_buf_printf(&b, "<h1>scalefit reports</h1>\n<p class=\"lead\">%zu report%s written, %zu failed.</p>\n", ok,
                ok == 1 ? "" : "s", n - ok);
  sf_buf_add(&b, "<div class=\"scroll\"><table>\n<thead><tr><th>report</th><th>spec</th><th>status</th></tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < n; i++) {
    /* a spec that failed while being read has no name from its run: the folder name it would have
     * had, unlinked, as a spec that failed while running shows it (the one read "-", the other its name) */
    char *fallback = e[i].name ? NULL : sf_spec_folder_name(e[i].spec);
    const char *nm = e[i].name ? e[i].name : fallback ? fallback : "-";
    char *spec = sf_html_escape(e[i].spec), *name = sf_html_escape(nm), *status = sf_html_escape(e[i].status ? e[i].status : "");
    free(fallback);
    if (e[i].ok) sf_buf_printf(&b, "<tr><td><a href=\"%s/index.html\">%s</a></td>", name ? name : "", name ? name : "");
    else sf_buf_printf(&b, "<tr><td>%s</td>", name ? name : "");
    sf_buf_printf(&b, "<td><code>%s</code></td>", spec ? spec : "");
    /* "ok" or "ok, 2 warnings" (linked to the report's list of them), then what it holds */
    if (!e[i].ok) sf_buf_printf(&b, "<td style=\"color:#b2182b\">failed: %s</td></tr>\n", status ? status : "");
    else if (!e[i].warnings) sf_buf_printf(&b, "<td>ok: %s</td></tr>\n", status ? status : "");
    else
      sf_buf_printf(&b, "<td>ok, <a class=\"warn\" href=\"%s/index.html#warnings\">%zu warning%s</a>: %s</td></tr>\n",
                    name ? name : "", e[i].warnings, e[i].warnings == 1 ? "" : "s", status ? status : "");
    free(spec), free(name), free(status);
  }
  char *cmd = sf_html_escape(command_line ? command_line : "");
  sf_buf_printf(&b, "</tbody></table></div>\n<footer>scalefit %s · <code>%s</code></footer>\n</main>\n</body>\n</html>\n",
                sf_version(), cmd ? cmd : "");
  free(cmd);
  int rc;
  if (b.oom) rc = sf_fail(SF_ENOMEM, "out of memory");
  else {
    char *path = sf_asprintf("%s/index.html", outdir);
    rc = path ? sf_write_file_atomic(path, sf_buf_str(&b), b.len) : SF_ENOMEM;
    free(path);
  }
  sf_buf_free(&b);
  return rc;
}
