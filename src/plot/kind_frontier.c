/* kind_frontier.c: the `frontier` chart, compute-optimal model size N* and training tokens D*
 * against compute from a fitted law of N and D, with bands, and the published allocation laws
 * of datasets/laws.csv overlaid.
 *
 * N* and D* and their bands come from sf_optimal through sf_forecast_band (bootstrap percentiles
 * or the delta method), the same numbers `scalefit optimal` prints. Published laws speak for the
 * panel they were published for: Kaplan's N_opt only for N (its C, in PF-days, converted by the loader),
 * Llama 3's and DeepSeek's D_opt only for D. DeepSeek's M_opt is non-embedding FLOPs per token, not
 * parameters, and is left out (docs/PLOT.md).
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

const sf_plot_published sf_plot_published_laws[] = {
    {"hoffmann2022_approach3", "Hoffmann 2022 (appr. 3)", 3},
    {"epoch2024_replication", "Epoch 2024", 3},
    {"kaplan2020_Nopt", "Kaplan 2020", 1},
    {"llama3_Dopt", "Llama 3", 2},
    {"deepseek2024_Dopt", "DeepSeek 2024 (C = MD)", 2},
};
const size_t sf_plot_npublished = sizeof sf_plot_published_laws / sizeof sf_plot_published_laws[0];

/* the allocation laws of datasets/laws.csv, named as their papers are cited (its `source` column) */
static const struct {
  const char *id, *name;
} law_names[] = {
    {"kaplan2020_Nopt", "Kaplan 2020"},
    {"kaplan2020_Dopt", "Kaplan 2020"},
    {"kaplan2020_LND", "Kaplan 2020, L(N, D)"},
    {"hoffmann2022_approach1_Nopt", "Hoffmann 2022 (appr. 1)"},
    {"hoffmann2022_approach1_Dopt", "Hoffmann 2022 (appr. 1)"},
    {"hoffmann2022_approach2_Nopt", "Hoffmann 2022 (appr. 2)"},
    {"hoffmann2022_approach2_Dopt", "Hoffmann 2022 (appr. 2)"},
    {"hoffmann2022_approach3", "Hoffmann 2022 (appr. 3)"},
    {"hoffmann2022_approach3_unrounded", "Hoffmann 2022 (appr. 3, unrounded)"},
    {"hoffmann2022_approach3_Nopt", "Hoffmann 2022 (appr. 3, exponent)"},
    {"hoffmann2022_approach3_Dopt", "Hoffmann 2022 (appr. 3, exponent)"},
    {"epoch2024_replication", "Epoch 2024 (Chinchilla replication)"},
    {"llama3_Dopt", "Llama 3 (2024)"},
    {"deepseek2024_Mopt", "DeepSeek 2024 (C = MD)"},
    {"deepseek2024_Dopt", "DeepSeek 2024 (C = MD)"},
    {"muennighoff2023", "Muennighoff 2023"},
};

const char *sf_plot_law_name(const char *id) {
  for (size_t i = 0; id && i < sizeof law_names / sizeof law_names[0]; i++)
    if (strcmp(law_names[i].id, id) == 0) return law_names[i].name;
  return id;
}

enum { FRONTIER_POINTS = 80, FRONTIER_GRID = FRONTIER_POINTS + 2 };

typedef struct opt_ctx {
  const sf_fitfile *ff;
  double C;
} opt_ctx;

static int opt_fn(const double *params, void *vctx, double *out) {
  opt_ctx *c = vctx;
  sf_optimum o;
  int rc = sf_optimal(c->ff, params, c->C, NULL, &o);
  if (rc) return rc;
  out[0] = o.N;
  out[1] = o.D;
  return SF_OK;
}

int sf_plot_frontier(const sf_fitfile *ff, const sf_fitfile *const *pub, size_t npub, double cmin, double cmax,
                     const sf_plot_opts *o, sf_chart **out) {
  sf_plot_opts defaults;
  if (!o) {
    sf_plot_opts_init(&defaults);
    o = &defaults;
  }
  *out = NULL;
  if (ff->alloc != SF_ALLOC_ND)
    return sf_fail(SF_EUSAGE, "law '%s' of '%s' is not a law of N and D: it has no compute-optimal allocation",
                   sf_law_label(ff->law), ff->origin);
  if (!(cmin > 0) || !(cmax > cmin)) {
    double lo, hi;
    if (sf_fitfile_range(ff, "C", &lo, &hi)) cmin = lo, cmax = hi * 1e4;
    else cmin = 1e18, cmax = 1e26;
  }
  char title[200];
  snprintf(title, sizeof title, "Compute-optimal allocation: %s fit against published laws", sf_law_label(ff->law));
  sf_chart *c = sf_chart_new(o->title ? o->title : title);
  if (!c) return sf_errcode();
  if (o->width > 0) c->width = o->width;
  c->height = o->height > 0 ? o->height : 900;
  if (!(o->width > 0)) c->width = 900;
  c->ncols = 1; /* stacked: each panel keeps the chart's width, so its legend finds a free corner */
  sf_panel *pn = sf_chart_add_panel(c, "Parameters N*"), *pd = pn ? sf_chart_add_panel(c, "Training tokens D*") : NULL;
  int rc = pn && pd ? SF_OK : sf_errcode();
  if (!rc) rc = sf_plot_column_axis(&pn->x, "C", "FLOP", 1);
  if (!rc) rc = sf_plot_column_axis(&pd->x, "C", "FLOP", 1);
  if (!rc) rc = sf_axis_set(&pn->y, "Compute-optimal parameters N*", "", 1);
  if (!rc) rc = sf_axis_set(&pd->y, "Compute-optimal tokens D*", "", 1);
  if (rc) goto fail;

  /* the grid: log-spaced, with the smallest and the largest fitted run's C on it, where the fit's
   * line turns from dashed (extrapolation) to solid and back, as on the scaling chart */
  double rlo = 0, rhi = 0;
  int ranged = sf_fitfile_range(ff, "C", &rlo, &rhi) && rlo > 0 && rhi >= rlo;
  double x[FRONTIER_GRID], n[FRONTIER_GRID], nlo[FRONTIER_GRID], nhi[FRONTIER_GRID];
  double d[FRONTIER_GRID], dlo[FRONTIER_GRID], dhi[FRONTIER_GRID];
  size_t nx = 0;
  for (size_t i = 0; i < FRONTIER_POINTS; i++) {
    double xi = pow(10, log10(cmin) + (log10(cmax) - log10(cmin)) * (double)i / (FRONTIER_POINTS - 1));
    for (int e = 0; e < 2 && ranged; e++) {
      double edge = e ? rhi : rlo;
      if (edge > cmin && edge < cmax && edge < xi && (nx == 0 || x[nx - 1] < edge)) x[nx++] = edge;
    }
    if (nx == 0 || xi > x[nx - 1]) x[nx++] = xi;
  }
  int band = 0;
  for (size_t i = 0; i < nx; i++) {
    opt_ctx ctx = {ff, x[i]};
    sf_band b[2];
    if (sf_forecast_band(ff, opt_fn, &ctx, 2, b) != SF_OK) {
      sf_error_clear();
      n[i] = nlo[i] = nhi[i] = d[i] = dlo[i] = dhi[i] = NAN;
      continue;
    }
    n[i] = b[0].value, nlo[i] = b[0].lo, nhi[i] = b[0].hi;
    d[i] = b[1].value, dlo[i] = b[1].lo, dhi[i] = b[1].hi;
    if (b[0].kind != SF_BAND_NONE) band = (int)b[0].kind;
    /* a delta-method band can reach below zero: clip to the log axis */
    if (nlo[i] <= 0) nlo[i] = n[i] / 1e3;
    if (dlo[i] <= 0) dlo[i] = d[i] / 1e3;
  }
  char fl[160], bl[120];
  snprintf(fl, sizeof fl, "this fit");
  snprintf(bl, sizeof bl, "its %g%% band", 100 * ff->ci_level);
  /* solid over the fitted runs' compute, dashed outside it (NaN breaks a line) */
  double in[2][FRONTIER_GRID], out_[2][FRONTIER_GRID];
  int any_in = 0, any_out = 0;
  for (size_t i = 0; i < nx; i++) {
    int inside = !ranged || (x[i] >= rlo && x[i] <= rhi), edge = ranged && (x[i] == rlo || x[i] == rhi);
    for (int k = 0; k < 2; k++) {
      double v = k ? d[i] : n[i];
      in[k][i] = inside ? v : NAN;
      out_[k][i] = !inside || edge ? v : NAN;
    }
    any_in |= inside;
    any_out |= !inside;
  }
  sf_series *s;
  for (int k = 0; k < 2; k++) {
    sf_panel *p = k ? pd : pn;
    if (band) {
      if (!(s = sf_panel_add_band(p, bl, nx, x, k ? dlo : nlo, k ? dhi : nhi))) goto fail_errcode;
      s->color = 6;
    }
    if (any_in) {
      if (!(s = sf_panel_add_line(p, fl, nx, x, in[k], 0))) goto fail_errcode;
      s->color = 6;
    }
    if (any_out) {
      /* named once, in the N panel: a seventh entry made the D panel's legend too tall to lift
       * the y axis above the curves under it */
      const char *el = k ? "" : any_in ? "extrapolation" : "this fit (extrapolated)";
      if (!(s = sf_panel_add_line(p, el, nx, x, out_[k], 1))) goto fail_errcode;
      s->color = 6;
    }
  }
  for (size_t j = 0; j < npub && j < sf_plot_npublished; j++) {
    const sf_fitfile *pf = pub ? pub[j] : NULL;
    const sf_plot_published *pl = &sf_plot_published_laws[j];
    if (!pf) continue;
    double pn_[FRONTIER_GRID], pd_[FRONTIER_GRID];
    for (size_t i = 0; i < nx; i++) {
      sf_optimum op;
      pn_[i] = pd_[i] = NAN;
      if (pf->alloc == SF_ALLOC_NOPT || pf->alloc == SF_ALLOC_DOPT) {
        double v; /* the loader gives every published law C in FLOP (laws.csv's c_unit) */
        if (sf_forecast_eval(pf->law, pf->params, &x[i], &v, NULL) != SF_OK) {
          sf_error_clear();
          continue;
        }
        if (pf->alloc == SF_ALLOC_NOPT) pn_[i] = v;
        else pd_[i] = v;
      } else if (sf_optimal(pf, pf->params, x[i], NULL, &op) == SF_OK) {
        pn_[i] = op.N, pd_[i] = op.D;
      } else {
        sf_error_clear();
      }
    }
    for (int k = 0; k < 2; k++) {
      if (!(pl->panels & (1 << k))) continue;
      if (!(s = sf_panel_add_line(k ? pd : pn, pl->label, nx, x, k ? pd_ : pn_, 1))) goto fail_errcode;
      s->color = sf_palette_apart(j); /* j % 6 gave Epoch 2024 and DeepSeek 2024 near hues */
    }
  }
  /* beyond the fit's data the frontier is an extrapolation: the scaling chart's marker where it
   * starts, unlabelled (the legend pinned top left is where its label would run) and named in the
   * subtitle */
  int marked = ranged && rhi > cmin && rhi < cmax;
  if (marked && (!sf_panel_add_vline(pn, "", rhi) || !sf_panel_add_vline(pd, "", rhi))) goto fail_errcode;
  /* every curve rises from bottom left to top right: top left is the emptiest corner (where a
   * curve flatter than the diagonal runs under it, the renderer raises the y axis to make room) */
  pn->legend = SF_LEGEND_TOP_LEFT;
  pd->legend = SF_LEGEND_TOP_LEFT;
  char sub[240];
  snprintf(sub, sizeof sub, "law %s, C = 6ND; %s%s", sf_law_label(ff->law),
           band == SF_BAND_BOOTSTRAP ? "band: bootstrap percentiles of the fit"
           : band                    ? "band: delta method"
                                     : "no band (the fit has no uncertainty)",
           marked ? "; dotted line: end of fitted runs" : "");
  if ((rc = sf_chart_set_subtitle(c, sub))) goto fail;
  *out = c;
  return SF_OK;
fail_errcode:
  rc = sf_errcode();
fail:
  sf_chart_free(c);
  return rc;
}
