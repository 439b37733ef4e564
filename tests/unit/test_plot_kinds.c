/* test_plot_kinds.c: the chart kinds that need only the run store (scaling, curves): which
 * series they build from a table, with which values, axes, colours and legend entries, what
 * they leave out and how they fail; then both rendered by gnuplot from a run file (skipped
 * without gnuplot).
 *
 * SF_WRITE_FIXTURE=PATH makes test_curves_file also write its curve table to PATH: that is how
 * tests/inputs/curves.h5 (used by tests/e2e/plot_curves.sh) was made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_plot.h>
#include <scalefit/sf_store.h>

#include "sf_test.h"

static const char runs_csv[] = "run,family,N,D,loss\n"
                               "a1,A,1e8,2e9,3.0\n"
                               "a2,A,1e9,2e10,2.5\n"
                               "b1,B,3e8,6e9,2.8\n"
                               "b2,B,,1e10,2.7\n" /* no N: no C, left out */
                               "x1,,1e10,2e11,2.1\n"
                               "a3,A,3e9,6e10,2.3\n";

static sf_table *runs(void) {
  sf_table *t = NULL;
  int rc = sf_csv_read_mem(runs_csv, strlen(runs_csv), "runs.csv", &t);
  if (rc) print_error("%s\n", sf_errmsg());
  assert_int_equal(rc, SF_OK);
  assert_int_equal(sf_table_derive(t), SF_OK);
  return t;
}

static void test_scaling_by_family(void **state) {
  (void)state;
  sf_table *t = runs();
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_scaling(t, NULL, &c), SF_OK);
  assert_int_equal(c->npanels, 1);
  sf_panel *p = c->panels[0];
  /* families in order of first appearance, runs without one under "(no family)" */
  assert_int_equal(p->nseries, 3);
  assert_string_equal(p->series[0]->title, "A");
  assert_string_equal(p->series[1]->title, "B");
  assert_string_equal(p->series[2]->title, "(no family)");
  assert_int_equal(p->series[0]->kind, SF_SERIES_POINTS);
  /* A: a1, a2, a3 with C = 6ND */
  assert_int_equal(p->series[0]->n, 3);
  assert_rel(p->series[0]->x[0], 6 * 1e8 * 2e9, 1e-15);
  assert_rel(p->series[0]->x[2], 6 * 3e9 * 6e10, 1e-15);
  assert_rel(p->series[0]->y[1], 2.5, 1e-15);
  assert_null(p->series[0]->z);
  assert_int_equal(p->series[1]->n, 1); /* b2 has no C */
  assert_int_equal(c->skipped, 1);
  /* log-log axes with the store's units */
  assert_true(p->x.log && p->y.log);
  assert_string_equal(p->x.label, "Training compute C");
  assert_string_equal(p->x.unit, "FLOP");
  assert_string_equal(p->y.label, "Loss");
  assert_string_equal(c->title, "runs: Loss against training compute C");
  assert_string_equal(c->subtitle, "5 runs in 3 families; 1 left out (C, loss missing or not positive)");
  sf_chart_free(c);
  sf_table_free(t);
}

static void test_scaling_by_column(void **state) {
  (void)state;
  sf_table *t = runs();
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.x = "N";
  o.color_by = "N";
  o.linear_y = 1;
  o.title = "my chart";
  o.width = 1200;
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_scaling(t, &o, &c), SF_OK);
  sf_panel *p = c->panels[0];
  assert_int_equal(p->nseries, 1);
  sf_series *s = p->series[0];
  assert_int_equal(s->n, 5); /* b2 has no N */
  assert_non_null(s->z);
  for (size_t i = 0; i < s->n; i++) assert_rel(s->z[i], s->x[i], 1e-15); /* coloured by x itself */
  assert_string_equal(s->title, "");
  /* N spans 1e8..1e10, a factor of 100: log colour bar */
  assert_true(p->cb.log);
  assert_string_equal(p->cb.label, "Model size N");
  assert_string_equal(p->cb.unit, "parameters");
  assert_false(p->y.log);
  assert_string_equal(c->title, "my chart");
  assert_int_equal(c->width, 1200);
  assert_int_equal(c->height, 600);
  sf_chart_free(c);

  o.color_by = "none";
  assert_int_equal(sf_plot_scaling(t, &o, &c), SF_OK);
  assert_int_equal(c->panels[0]->nseries, 1);
  assert_null(c->panels[0]->series[0]->z);
  /* b2 lacks N; only N's axis is a log axis, so only N must be positive (the subtitle once said
   * "N, loss missing or not positive", as if a negative loss could not be drawn on the linear y) */
  assert_non_null(strstr(c->subtitle, "; 1 left out (N, loss missing, or N not positive)"));
  sf_chart_free(c);
  sf_table_free(t);
}

static void test_scaling_errors(void **state) {
  (void)state;
  sf_table *t = runs();
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  sf_chart *c = (sf_chart *)&o; /* must come back NULL */
  o.y = "mmlu";
  assert_int_equal(sf_plot_scaling(t, &o, &c), SF_EINPUT);
  assert_null(c);
  assert_non_null(strstr(sf_errmsg(), "column 'mmlu' is not in table 'runs' ('runs.csv'); it has: N, D, loss, C"));
  o.y = NULL;
  o.color_by = "colour";
  assert_int_equal(sf_plot_scaling(t, &o, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "cannot colour by 'colour'"));
  /* nothing drawable: every loss made non-positive is left out on a log axis */
  o.color_by = NULL;
  for (size_t r = 0; r < t->nrows; r++) sf_table_set(t, r, "loss", NAN);
  assert_int_equal(sf_plot_scaling(t, &o, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "no run in table 'runs' has both 'C' and 'loss'"));
  sf_table_free(t);
}

/* Three runs of two sweeps with curves loss(tokens) = 2 + 400/N^0.34 + 400/tokens^0.28 at 30
 * log-spaced points from 1e6 tokens to 20 tokens per parameter; flops = 6 N tokens. */
static sf_table *curves_table(void) {
  sf_table *t = sf_table_new("sweep");
  assert_non_null(t);
  static const char *names[] = {"step", "tokens", "flops", "loss"}, *units[] = {"", "tokens", "FLOP", "nats/token"};
  assert_int_equal(sf_table_set_curve_columns(t, 4, names, units), SF_OK);
  static const struct {
    const char *run, *family;
    double N;
  } spec[] = {{"s1", "sweep-a", 1e6}, {"s2", "sweep-a", 4e6}, {"t1", "sweep-b", 2e6}, {"u1", "sweep-a", 1.6e7}};
  for (size_t i = 0; i < 4; i++) {
    long r = sf_table_add_row(t, spec[i].run, spec[i].family, "test", "");
    assert_true(r >= 0);
    double N = spec[i].N, D = 20 * N;
    sf_table_set(t, (size_t)r, "N", N);
    sf_table_set(t, (size_t)r, "D", D);
    double data[30 * 4];
    for (int k = 0; k < 30; k++) {
      double tok = 1e6 * pow(D / 1e6, k / 29.0);
      data[k * 4 + 0] = k * 100;
      data[k * 4 + 1] = tok;
      data[k * 4 + 2] = 6 * N * tok;
      data[k * 4 + 3] = 2 + 400 / pow(N, 0.34) + 400 / pow(tok, 0.28);
    }
    if (i < 3) assert_int_equal(sf_table_set_curve(t, (size_t)r, 30, data), SF_OK); /* u1: no curve */
  }
  assert_int_equal(sf_table_derive(t), SF_OK);
  return t;
}

static void test_curves(void **state) {
  (void)state;
  sf_table *t = curves_table();
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_curves(t, NULL, &c), SF_OK);
  sf_panel *p = c->panels[0];
  assert_int_equal(p->nseries, 3); /* u1 has no curve */
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(p->series[i]->kind, SF_SERIES_LINE);
    assert_int_equal(p->series[i]->n, 30);
  }
  /* one legend entry per family; runs of a family share its colour */
  assert_string_equal(p->series[0]->title, "sweep-a");
  assert_string_equal(p->series[1]->title, "");
  assert_string_equal(p->series[2]->title, "sweep-b");
  assert_int_equal(p->series[0]->color, 0);
  assert_int_equal(p->series[1]->color, 0);
  assert_int_equal(p->series[2]->color, 1);
  /* x is tokens by default; s2's last point: 20 tokens per parameter */
  assert_rel(p->series[1]->x[29], 20 * 4e6, 1e-12);
  assert_rel(p->series[1]->y[0], 2 + 400 / pow(4e6, 0.34) + 400 / pow(1e6, 0.28), 1e-12);
  assert_string_equal(p->x.label, "Training tokens seen");
  assert_string_equal(p->y.unit, "nats/token");
  assert_string_equal(c->title, "sweep: training curves");
  assert_string_equal(c->subtitle, "3 runs with training curves");
  sf_chart_free(c);

  /* against FLOPs, coloured by N: a log colour bar (N spans 1e6..4e6 only: linear) */
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.x = "flops";
  o.color_by = "N";
  assert_int_equal(sf_plot_curves(t, &o, &c), SF_OK);
  p = c->panels[0];
  assert_rel(p->series[0]->x[29], 6 * 1e6 * 20e6, 1e-12);
  assert_non_null(p->series[0]->z);
  assert_rel(p->series[2]->z[5], 2e6, 1e-15);
  assert_false(p->cb.log);
  assert_string_equal(p->series[0]->title, "");
  sf_chart_free(c);

  o.x = "time";
  assert_int_equal(sf_plot_curves(t, &o, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "curve column 'time' is not in table 'sweep'; it has: step, tokens, flops, loss"));
  sf_table_free(t);

  /* a table without curves */
  t = NULL;
  assert_int_equal(sf_csv_read_mem(runs_csv, strlen(runs_csv), "runs.csv", &t), SF_OK);
  assert_int_equal(sf_plot_curves(t, NULL, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "table 'runs' ('runs.csv') has no training curves"));
  sf_table_free(t);
}

/* Curves as the trainer records them (train_loss every step, val_loss only at evaluations, NaN
 * between): with no 'loss' curve the default is val_loss, and each curve is the evaluated
 * points joined (a NaN handed to gnuplot breaks the line: the curves came out as specks). */
static void test_curves_trainer(void **state) {
  (void)state;
  sf_table *t = sf_table_new("runs");
  assert_non_null(t);
  static const char *names[] = {"step", "tokens", "flops", "train_loss", "val_loss"},
                    *units[] = {"", "tokens", "FLOP", "nats/token", "nats/token"};
  assert_int_equal(sf_table_set_curve_columns(t, 5, names, units), SF_OK);
  long r = sf_table_add_row(t, "r1", "own", "test", "");
  assert_true(r >= 0);
  sf_table_set(t, (size_t)r, "N", 1e5);
  sf_table_set(t, (size_t)r, "D", 2e6);
  double data[40 * 5];
  for (int k = 0; k < 40; k++) {
    data[k * 5 + 0] = k; /* step 0 cannot go on a log axis */
    data[k * 5 + 1] = 5e4 * (k + 1);
    data[k * 5 + 2] = 6e5 * 5e4 * (k + 1);
    data[k * 5 + 3] = 3 + 1.0 / (k + 1);
    data[k * 5 + 4] = k % 10 == 9 ? 2 + 1.0 / (k + 1) : NAN; /* evaluated at k = 9, 19, 29, 39 */
  }
  assert_int_equal(sf_table_set_curve(t, (size_t)r, 40, data), SF_OK);
  assert_int_equal(sf_table_derive(t), SF_OK);
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_curves(t, NULL, &c), SF_OK);
  sf_series *s = c->panels[0]->series[0];
  assert_string_equal(c->panels[0]->y.label, "val_loss");
  assert_int_equal(s->n, 4);
  for (size_t i = 0; i < 4; i++) {
    assert_rel(s->x[i], 5e4 * (10.0 * i + 10), 1e-15);
    assert_rel(s->y[i], 2 + 1.0 / (10.0 * i + 10), 1e-15);
  }
  sf_chart_free(c);

  /* against steps: step 0 is left out of the log axis, the other 39 points drawn */
  sf_plot_opts o;
  sf_plot_opts_init(&o);
  o.x = "step";
  o.y = "train_loss";
  assert_int_equal(sf_plot_curves(t, &o, &c), SF_OK);
  s = c->panels[0]->series[0];
  assert_int_equal(s->n, 39);
  assert_rel(s->x[0], 1, 0);
  assert_rel(s->y[0], 3.5, 1e-15);
  sf_chart_free(c);

  /* a curve column with no value at all: an error naming it, not an empty chart */
  for (int k = 0; k < 40; k++) data[k * 5 + 4] = NAN;
  assert_int_equal(sf_table_set_curve(t, (size_t)r, 40, data), SF_OK);
  assert_int_equal(sf_plot_curves(t, NULL, &c), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "has a curve with values of 'tokens' and 'val_loss'"));
  sf_table_free(t);
}

/* Curves through an HDF5 run file and gnuplot: the SVG has the three runs as paths in the
 * families' colours and the two legend entries. */
static void test_curves_file(void **state) {
  (void)state;
  sf_table *t = curves_table();
  char h5[512], svg[512];
  snprintf(h5, sizeof h5, "%s/curves.h5", sf_test_tmpdir());
  snprintf(svg, sizeof svg, "%s/curves.svg", sf_test_tmpdir());
  assert_int_equal(sf_h5_write(h5, t, 0), SF_OK);
  const char *fixture = getenv("SF_WRITE_FIXTURE");
  if (fixture && *fixture) assert_int_equal(sf_h5_write(fixture, t, SF_H5_REPLACE), SF_OK);
  sf_table_free(t);
  if (!sf_test_have("gnuplot")) skip();
  assert_int_equal(sf_data_load(h5, NULL, &t), SF_OK);
  sf_chart *c = NULL;
  assert_int_equal(sf_plot_curves(t, NULL, &c), SF_OK);
  assert_int_equal(sf_chart_render(c, svg, NULL), SF_OK);
  size_t n;
  char *d = sf_test_slurp(svg, &n);
  assert_non_null(d);
  assert_non_null(strstr(d, ">sweep-a</tspan>"));
  assert_non_null(strstr(d, ">sweep-b</tspan>"));
  assert_non_null(strstr(d, ">Training tokens seen (tokens)</tspan>"));
  free(d);
  sf_chart_free(c);
  sf_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scaling_by_family), cmocka_unit_test(test_scaling_by_column),
      cmocka_unit_test(test_scaling_errors),    cmocka_unit_test(test_curves),
      cmocka_unit_test(test_curves_file),       cmocka_unit_test(test_curves_trainer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
