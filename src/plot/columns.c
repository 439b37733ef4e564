/* columns.c: how the run store's columns appear on chart axes, and the column look-ups and
 * messages the chart kinds share. */
#include <scalefit/sf_error.h>

#include <string.h>

#include "plot/plot.h"

static const struct {
  const char *name, *label, *unit;
} known[] = {
    {"N", "Model size N", "parameters"},
    {"D", "Training data D", "tokens"},
    {"C", "Training compute C", "FLOP"},
    {"loss", "Loss", "nats/token"},
    /* curve columns */
    {"tokens", "Training tokens seen", "tokens"},
    {"flops", "Compute spent", "FLOP"},
    {"step", "Optimizer step", ""},
};

int sf_plot_column_axis(sf_axis *a, const char *name, const char *unit, int log) {
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(known[i].name, name) == 0)
      return sf_axis_set(a, known[i].label, unit && unit[0] ? unit : known[i].unit, log);
  return sf_axis_set(a, name, unit, log);
}

int sf_plot_find_column(const sf_table *t, const char *name) {
  return sf_table_lookup(t, name); /* as a header would be read: --y MMLU is the column mmlu */
}

int sf_plot_find_curve_column(const sf_table *t, const char *name) {
  for (size_t i = 0; i < t->ncurve; i++)
    if (strcmp(t->curve_name[i], name) == 0) return (int)i;
  return -1;
}

int sf_plot_missing_column(const sf_table *t, const char *name, int curve) {
  int c, rc = curve ? SF_OK : sf_table_resolve(t, name, &c);
  if (rc != SF_OK) return rc; /* not missing: two columns answer to the name */
  sf_buf b;
  sf_buf_init(&b);
  size_t n = curve ? t->ncurve : t->ncols;
  for (size_t i = 0; i < n; i++) {
    if (i) sf_buf_add(&b, ", ");
    sf_buf_add(&b, curve ? t->curve_name[i] : t->cols[i].name);
  }
  const char *origin = t->origin && t->origin[0] ? t->origin : NULL;
  rc = sf_fail(SF_EINPUT, "%scolumn '%s' is not in table '%s'%s%s%s; it has: %s", curve ? "curve " : "", name,
                   t->name ? t->name : "", origin ? " ('" : "", origin ? origin : "", origin ? "')" : "",
                   n ? sf_buf_str(&b) : "(none)");
  sf_buf_free(&b);
  return rc;
}
