/* report.h: what the report stage's files share (internal). run.c computes a report's results
 * (fits, forecasts, costs, turn analyses) into an rp_state; charts.c draws them with the chart
 * layer; write.c turns the state into report.json, report.md and index.html; folder.c builds the
 * report folder beside its final place and renames it in. */
#ifndef SF_REPORT_INTERNAL_H
#define SF_REPORT_INTERNAL_H

#include <scalefit/sf_fit.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_report.h>
#include <scalefit/sf_store.h>

#include "util/util.h"

typedef struct rp_fit {
  const sf_spec_fit *spec;
  const sf_law *law;
  sf_law *owned;
  sf_fit_table_result fr; /* the fit as `scalefit fit` makes it: columns (xname, yname), options,
                             result, bootstrap, role per row of the selected table (0 unused,
                             1 fitted, 2 held out), hold-out scores, warnings */
  char *json;          /* the fit in the saved-fit format (notes/FITFILE.md) */
  sf_fitfile *ff;
} rp_fit;

enum { RP_OPT, RP_PREDICT };

typedef struct rp_fc {
  int fit;            /* index into fits, or -1 - published index */
  int kind;           /* RP_OPT: allocation; RP_PREDICT: law of C alone */
  double C;
  sf_band N, D, tpp, value;
  double beyond;      /* decades beyond the fit's data, NaN unknown */
} rp_fc;

typedef struct rp_target {
  int fit;
  double target;
  int reached;        /* 1, 0 never (C = inf), -1 already at the smallest budget */
  sf_band C, N, D;
  double prob;        /* fraction of bootstrap refits that can reach it; NaN without */
  double beyond;      /* decades the reaching budget (its N, D, C) lies outside the fit's data; NaN if none */
  size_t unsolved;    /* bootstrap refits left out of the band: not solvable for the target (sf_target_unsolved) */
  int clipped;        /* the delta band's lower ends lifted to the search's floor (sf_target_clip_band) */
  double bottom_C;    /* reached == -1: the bottom of the search, where the verdict says it is met already */
  int rising;         /* the law rises with compute (an accuracy): its targets are listed from the lowest up */
} rp_target;

typedef struct rp_cost {
  const sf_spec_cost *spec;
  char gpu[128];
  double peak; /* FLOP/s */
} rp_cost;

typedef struct rp_turn {
  const sf_spec_turn *spec;
  const char *x;
  const char *xunit; /* x's unit ("FLOP" for C; "" for none): the turn text names it */
  sf_turn_opts opts;
  sf_turn_result res;
  size_t n, skipped;  /* runs taken; runs without both values */
  double *xv, *yv;
} rp_turn;

typedef struct rp_chart {
  const sf_spec_chart *spec;
  char *file;   /* "chart-NAME.svg" inside the report folder */
  char *svg;    /* the file's text, ready to inline */
  char *note;   /* what was left out, or NULL */
  char *title;  /* the title drawn on the chart (the spec's or the chart layer's): caption, alt text */
} rp_chart;

typedef struct rp_state {
  const sf_spec *spec;
  const sf_report_ctx *ctx;
  char *dir;            /* the temporary report folder */
  sf_table *table;      /* the selected runs (after where) */
  size_t n_loaded, n_where;
  rp_fit *fits;
  size_t nfits;
  sf_fitfile **pub;     /* spec->npublished */
  rp_fc *fc;
  size_t nfc, capfc;
  rp_target *tg;
  size_t ntg, captg;
  rp_cost *costs;
  rp_turn *turns;
  rp_chart *charts;
  sf_buf notes;         /* report-wide remarks, one per line */
  sf_buf warnings;      /* the page's warnings, as it shows them, each ending in a NUL (rp_write) */
  size_t nwarnings;
  char started[32];     /* UTC time stamp */
} rp_state;

/* The name of a forecast source: the fit's name or the published id. */
const char *rp_source_name(const rp_state *st, int fit);
const sf_fitfile *rp_source_ff(const rp_state *st, int fit);
/* An sf_fail with "SPEC:LINE: " in front. */
int rp_fail(const rp_state *st, size_t line, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

int rp_charts(rp_state *st);  /* charts.c */
int rp_write(rp_state *st);   /* write.c: report.json, report.md, index.html into st->dir */
/* folder.c */
int rp_mkdir_p(const char *dir);
int rp_remove_tree(const char *dir); /* a report folder: files only, one level */
void rp_remove_stale(const char *outdir, const char *name); /* what a killed run of report name left */

#endif
