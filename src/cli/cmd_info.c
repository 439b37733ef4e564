/* cmd_info.c: `scalefit info FILE [--table NAME] [--json]`, what a run file holds: per table the
 * runs, each column with its unit, how many values are present, their range and how many were
 * derived, and the families and sources with their counts. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>
#include <scalefit/sf_store.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

static const char *table_name;
static int json;

static const cli_opt opts[] = {
    {"table", 't', CLI_STRING, &table_name, "NAME", "only this table (default: all tables of the file)"},
    {"json", 0, CLI_FLAG, &json, NULL, "machine-readable output"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {"info", "scalefit info FILE [--table NAME] [--json]",
                            "describe the runs in a CSV or HDF5 file", NULL, opts, 1, 1};

typedef struct group {
  const char *s;
  size_t first, count; /* row of first appearance, number of rows */
} group;

typedef struct tally {
  group *g;
  size_t n;
} tally;

static int by_text(const void *a, const void *b) {
  const group *x = a, *y = b;
  int c = strcmp(x->s, y->s);
  return c ? c : (x->first > y->first) - (x->first < y->first);
}

static int by_first(const void *a, const void *b) {
  const group *x = a, *y = b;
  return (x->first > y->first) - (x->first < y->first);
}

/* Distinct values of v[0..n) with their counts, in order of first appearance ("" skipped).
 * Sorting keeps this O(n log n) even when every run has its own source. */
static int tally_of(char **v, size_t n, tally *t) {
  t->n = 0;
  t->g = malloc((n + 1) * sizeof *t->g);
  if (!t->g) return SF_ENOMEM;
  size_t m = 0;
  for (size_t r = 0; r < n; r++)
    if (v[r][0]) t->g[m++] = (group){v[r], r, 1};
  qsort(t->g, m, sizeof *t->g, by_text);
  for (size_t i = 0; i < m; i++) {
    if (t->n && strcmp(t->g[t->n - 1].s, t->g[i].s) == 0) t->g[t->n - 1].count++;
    else t->g[t->n++] = t->g[i]; /* the first of its run after sorting: its first row */
  }
  qsort(t->g, t->n, sizeof *t->g, by_first);
  return SF_OK;
}

static void tally_free(tally *t) { free(t->g); }

static void col_stats(const sf_table *t, size_t c, size_t *count, double *lo, double *hi) {
  *count = 0;
  *lo = NAN;
  *hi = NAN;
  for (size_t r = 0; r < t->nrows; r++) {
    double v = t->cols[c].v[r];
    if (isnan(v)) continue;
    if (!(*count)++ || v < *lo) *lo = v;
    if (*count == 1 || v > *hi) *hi = v;
  }
}

/* By the column's unit, not its name (N_nonembed, in parameters, read '6592' to '3.968e+05' beside N's
 * '12.7k' to '446k'): counts (parameters, tokens) as every command shows a column of N or D
 * (sf_fmtcol over min and max: both in e-notation when one reaches 1e15, where k/M/B/T stop, else
 * both from 1e3 on in k/M/B/T when one reaches 1e4: '6.59k' to '397k');
 * compute (FLOP) in e-notation, as every command shows it (C read "999B" to "10T" beside
 * flops_6nd's "8.863e+11"); other columns (loss, accuracies, years) as plain numbers. */
static void fmt_range(char *slo, char *shi, size_t n, const sf_column *col, double lo, double hi) {
  const char *u = col->unit ? col->unit : "";
  if (!strcmp(u, "FLOP")) {
    sf_fmt_compute(slo, n, lo);
    sf_fmt_compute(shi, n, hi);
  } else if (!strcmp(u, "parameters") || !strcmp(u, "tokens")) {
    sf_fmtcol fc = {0};
    sf_fmtcol_see(&fc, lo);
    sf_fmtcol_see(&fc, hi);
    sf_fmtcol_fmt(&fc, slo, n, lo);
    sf_fmtcol_fmt(&fc, shi, n, hi);
  } else {
    if (isnan(lo)) snprintf(slo, n, "-");
    else snprintf(slo, n, "%.4g", lo);
    if (isnan(hi)) snprintf(shi, n, "-");
    else snprintf(shi, n, "%.4g", hi);
  }
}

static size_t curve_points(const sf_table *t, size_t *runs) {
  size_t total = 0;
  *runs = 0;
  for (size_t r = 0; r < t->nrows && t->ncurve; r++) {
    total += t->curve_len[r];
    *runs += t->curve_len[r] > 0;
  }
  return total;
}

static void print_tally(const char *label, const tally *t) {
  enum { SHOWN = 30 }; /* --json lists them all */
  /* short tallies on one line; long ones (sources are citations with commas) one per line */
  size_t len = 0;
  for (size_t k = 0; k < t->n && k < SHOWN; k++) len += strlen(t->g[k].s) + 8;
  int lines = len > 100;
  printf("  %s:", label);
  if (!t->n) printf(" none");
  for (size_t k = 0; k < t->n && k < SHOWN; k++) {
    if (lines) printf("\n    %s (%zu)", t->g[k].s, t->g[k].count);
    else printf("%s %s (%zu)", k ? "," : "", t->g[k].s, t->g[k].count);
  }
  if (t->n > SHOWN) printf(lines ? "\n    and %zu more" : ", and %zu more", t->n - SHOWN);
  printf("\n");
}

/* Width on screen of UTF-8 text (a code point a column): "µs" is 2, not 3 bytes, so a unit or
 * column name with a non-ASCII letter no longer shifts the rest of its row. */
static int u8width(const char *s) {
  int n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* printf's %-*s pads bytes; this pads to a width on screen. */
static int pad(int width, const char *s) { return width + (int)strlen(s) - u8width(s); }

static int show_text(const sf_table *t, const char *path) {
  printf("table '%s' in '%s': %zu run%s\n", t->name, path, t->nrows, t->nrows == 1 ? "" : "s");
  if (t->description[0]) printf("  %s\n", t->description);
  int wn = 6, wu = 4; /* widths of the name and unit columns */
  for (size_t c = 0; c < t->ncols; c++) {
    int a = u8width(t->cols[c].name), b = u8width(t->cols[c].unit);
    wn = a > wn ? a : wn;
    wu = b > wu ? b : wu;
  }
  printf("  %-*s  %-*s %7s %10s %10s %8s\n", wn, "column", wu, "unit", "values", "min", "max", "derived");
  for (size_t c = 0; c < t->ncols; c++) {
    size_t n;
    double lo, hi;
    char slo[32], shi[32], sd[32] = "";
    col_stats(t, c, &n, &lo, &hi);
    fmt_range(slo, shi, sizeof slo, &t->cols[c], lo, hi);
    size_t nd = sf_table_count_derived(t, (int)c);
    if (nd) snprintf(sd, sizeof sd, "%zu", nd);
    const char *unit = t->cols[c].unit[0] ? t->cols[c].unit : "-";
    printf("  %-*s  %-*s %7zu %10s %10s %8s\n", pad(wn, t->cols[c].name), t->cols[c].name, pad(wu, unit), unit, n, slo,
           shi, sd);
  }
  tally fam, src;
  int rc = tally_of(t->family, t->nrows, &fam);
  if (!rc) rc = tally_of(t->source, t->nrows, &src);
  if (rc) {
    tally_free(&fam);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  print_tally("families", &fam);
  print_tally("sources", &src);
  /* A CSV column with no number in it is left out of the table; import says so, and so must
   * info, or the column silently is not there. */
  for (size_t k = 0; k < t->nskipped; k++)
    printf("%s'%s'%s", k ? ", " : "  skipped (no number in any cell): ", t->skipped[k],
           k + 1 == t->nskipped ? "\n" : "");
  tally_free(&fam);
  tally_free(&src);
  size_t runs, pts = curve_points(t, &runs);
  if (t->ncurve) {
    printf("  curves: %zu point%s over %zu run%s; columns", pts, pts == 1 ? "" : "s", runs, runs == 1 ? "" : "s");
    for (size_t j = 0; j < t->ncurve; j++)
      printf("%s %s%s%s%s", j ? "," : "", t->curve_name[j], t->curve_unit[j][0] ? " [" : "", t->curve_unit[j],
             t->curve_unit[j][0] ? "]" : "");
    printf("\n");
  }
  return SF_OK;
}

static int show_json(sf_json *j, const sf_table *t) {
  sf_json_begin_object(j, NULL);
  sf_json_string(j, "name", t->name);
  sf_json_string(j, "description", t->description);
  sf_json_int(j, "rows", (long long)t->nrows);
  sf_json_begin_array(j, "columns");
  for (size_t c = 0; c < t->ncols; c++) {
    size_t n;
    double lo, hi;
    col_stats(t, c, &n, &lo, &hi);
    sf_json_begin_object(j, NULL);
    sf_json_string(j, "name", t->cols[c].name);
    sf_json_string(j, "unit", t->cols[c].unit);
    sf_json_int(j, "count", (long long)n);
    sf_json_number(j, "min", lo);
    sf_json_number(j, "max", hi);
    sf_json_int(j, "derived", (long long)sf_table_count_derived(t, (int)c));
    sf_json_end_object(j);
  }
  sf_json_end_array(j);
  char **const fields[2] = {t->family, t->source};
  const char *keys[2] = {"families", "sources"};
  for (int f = 0; f < 2; f++) {
    tally ty;
    if (tally_of(fields[f], t->nrows, &ty)) {
      tally_free(&ty);
      return sf_fail(SF_ENOMEM, "out of memory");
    }
    sf_json_begin_array(j, keys[f]);
    for (size_t k = 0; k < ty.n; k++) {
      sf_json_begin_object(j, NULL);
      sf_json_string(j, "name", ty.g[k].s);
      sf_json_int(j, "count", (long long)ty.g[k].count);
      sf_json_end_object(j);
    }
    sf_json_end_array(j);
    tally_free(&ty);
  }
  size_t runs, pts = curve_points(t, &runs);
  sf_json_begin_object(j, "curves");
  sf_json_begin_array(j, "columns");
  for (size_t k = 0; k < t->ncurve; k++) {
    sf_json_begin_object(j, NULL);
    sf_json_string(j, "name", t->curve_name[k]);
    sf_json_string(j, "unit", t->curve_unit[k]);
    sf_json_end_object(j);
  }
  sf_json_end_array(j);
  sf_json_int(j, "runs", (long long)runs);
  sf_json_int(j, "points", (long long)pts);
  sf_json_end_object(j);
  sf_json_end_object(j);
  return SF_OK;
}

int cmd_info(int argc, char **argv) {
  table_name = NULL;
  json = 0;
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  const char *path = args[0];
  char **names = NULL;
  size_t nn = 0;
  int all_h5 = !table_name && !sf_ext_is(path, ".csv") &&
               (sf_ext_is(path, ".h5") || sf_ext_is(path, ".hdf5") || sf_h5_sniff(path));
  if (all_h5 && (rc = sf_h5_list(path, &names, &nn))) return cli_fail_lib(rc);
  size_t count = all_h5 ? nn : 1;
  sf_table **t = calloc(count + 1, sizeof *t);
  if (!t) {
    sf_h5_free_list(names, nn);
    return cli_fail_lib(sf_fail(SF_ENOMEM, "out of memory"));
  }
  for (size_t i = 0; i < count && !rc; i++) rc = sf_data_load(path, all_h5 ? names[i] : table_name, &t[i]);
  if (rc) rc = cli_fail_lib(rc);
  else if (json) {
    sf_buf b;
    sf_buf_init(&b);
    sf_json j;
    sf_json_init(&j, &b, 1);
    sf_json_begin_object(&j, NULL);
    sf_json_string(&j, "file", path);
    sf_json_begin_array(&j, "tables");
    for (size_t i = 0; i < count && !rc; i++) rc = show_json(&j, t[i]);
    sf_json_end_array(&j);
    sf_json_end_object(&j);
    if (!rc) printf("%s\n", sf_buf_str(&b));
    else rc = cli_fail_lib(rc);
    sf_buf_free(&b);
  } else {
    if (count == 0) printf("'%s' has no tables\n", path);
    for (size_t i = 0; i < count && !rc; i++) {
      if (i) printf("\n");
      rc = show_text(t[i], path);
    }
    if (rc) rc = cli_fail_lib(rc);
  }
  for (size_t i = 0; i < count; i++) sf_table_free(t[i]);
  free(t);
  sf_h5_free_list(names, nn);
  return rc;
}
