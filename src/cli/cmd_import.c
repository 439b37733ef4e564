/* cmd_import.c: `scalefit import FILE.csv... -o FILE.h5`, CSV files into tables of an HDF5 run
 * file. Each input goes through sf_data_load (so values are derived and checked exactly as any
 * other command would see them); all tables are written in one atomic write, so a failure
 * leaves the output as it was. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

static const char *out_path, *table_name, *family, *source;
static int replace;

static const cli_opt opts[] = {
    {"output", 'o', CLI_STRING, &out_path, "FILE.h5", "HDF5 file to create or add to (required)"},
    {"table", 't', CLI_STRING, &table_name, "NAME", "table name (default: the CSV's base name; with several "
                                                    "CSVs, one table of all)"},
    {"replace", 0, CLI_FLAG, &replace, NULL, "replace tables of the same name instead of failing"},
    {"family", 0, CLI_STRING, &family, "NAME", "family of runs that have none in the CSV"},
    {"source", 0, CLI_STRING, &source, "TEXT", "source of runs that have none (default: the CSV's file name)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "import",
    "scalefit import FILE.csv... -o FILE.h5 [--table NAME] [--replace] [--family NAME] [--source TEXT]",
    "import CSV files of runs into an HDF5 run file",
    "Headers are matched by alias (e.g. 'Model Size (B)' is N in billions); see docs/FORMAT.md.\n"
    "Missing C is derived as 6ND and missing D as C/(6N), flagged as derived.\n"
    "An HDF5 input gives all its tables, curves included. Other tables of FILE.h5 are kept.",
    opts, 1, 64};

/* With --table, where each column of the combined table first came from ("'a.csv'", or "'x.h5'
 * (table 'runs')"), so that a unit clash names both inputs: it named the table being built, which
 * no file is called. from[c] for c >= *n is set to what. */
static int note_columns(const sf_table *t, char ***from, size_t *n, const char *what) {
  if (t->ncols <= *n) return SF_OK;
  char **f = realloc(*from, t->ncols * sizeof *f);
  if (!f) return sf_fail(SF_ENOMEM, "out of memory");
  *from = f;
  for (; *n < t->ncols; (*n)++)
    if (!(f[*n] = sf_strdup(what))) return sf_fail(SF_ENOMEM, "out of memory");
  return SF_OK;
}

/* A column of t whose unit differs from the same column's in the combined table: the error names
 * the input each came from, the column and both units. */
static int check_units(const sf_table *all, char **from, const sf_table *t, const char *what) {
  for (size_t c = 0; c < t->ncols; c++) {
    int k = sf_table_find(all, t->cols[c].name);
    if (k < 0 || strcmp(all->cols[k].unit, t->cols[c].unit) == 0) continue;
    const char *u0 = all->cols[k].unit, *u1 = t->cols[c].unit;
    cli_error("import: column '%s' has %s%s%s in %s but %s%s%s in %s: the table made with --table %s holds one unit a "
              "column (give it the same unit in both, e.g. '%s [%s]')", t->cols[c].name, *u0 ? "unit '" : "no unit",
              u0, *u0 ? "'" : "", from[k], *u1 ? "unit '" : "no unit", u1, *u1 ? "'" : "", what, table_name,
              t->cols[c].name, *u1 ? u1 : u0);
    return SF_EINPUT;
  }
  return SF_OK;
}

int cmd_import(int argc, char **argv) {
  out_path = table_name = family = source = NULL;
  replace = 0;
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN) return SF_OK;
  if (rc) return rc;
  if (!out_path) {
    cli_error("import: -o FILE.h5 is required");
    return SF_EUSAGE;
  }
  if (table_name && !sf_table_valid_name(table_name)) {
    cli_error("import: invalid table name '%s' (use letters, digits, '_', '.', '-')", table_name);
    return SF_EUSAGE;
  }
  sf_table *tables[64] = {0};
  size_t nt = 0;
  /* An HDF5 input gives every table it holds, each under its own name, as several CSVs give
   * several tables: a file of two tables was refused with "choose one (--table ...)", and import's
   * --table, which names the table made, could not choose. */
  char **h5names = NULL, **from = NULL;
  size_t nh5 = 0, h5next = 0, nfrom = 0;
  char what[1024];
  for (size_t i = 0; i < nargs && !rc; i++) {
    sf_table *t;
    if (h5next == 0 && sf_h5_sniff(args[i])) {
      if ((rc = sf_h5_list(args[i], &h5names, &nh5))) {
        rc = cli_fail_lib(rc);
        break;
      }
    }
    if (h5next < nh5) snprintf(what, sizeof what, "'%s' (table '%s')", args[i], h5names[h5next]);
    else snprintf(what, sizeof what, "'%s'", args[i]);
    rc = sf_data_load(args[i], h5next < nh5 ? h5names[h5next] : NULL, &t);
    if (++h5next < nh5)
      i--; /* the same file again, for its next table */
    else
      sf_h5_free_list(h5names, nh5), h5names = NULL, nh5 = h5next = 0;
    if (rc) {
      rc = cli_fail_lib(rc);
      break;
    }
    if (t->nskipped) {
      sf_buf b;
      sf_buf_init(&b);
      for (size_t k = 0; k < t->nskipped; k++) sf_buf_printf(&b, "%s'%s'", k ? ", " : "", t->skipped[k]);
      cli_note("'%s': skipped non-numeric column%s %s", args[i], t->nskipped > 1 ? "s" : "", sf_buf_str(&b));
      sf_buf_free(&b);
    }
    const char *base = strrchr(args[i], '/');
    /* One copy of the source (and --family) for every row that has none. */
    if ((rc = sf_table_fill_text(t, t->source, source ? source : base ? base + 1 : args[i])) ||
        (family && (rc = sf_table_fill_text(t, t->family, family)))) {
      sf_table_free(t);
      rc = cli_fail_lib(rc);
      break;
    }
    if (table_name && nt == 1) {
      if (!(rc = check_units(tables[0], from, t, what)) &&
          ((rc = sf_table_append(tables[0], t)) || (rc = note_columns(tables[0], &from, &nfrom, what))))
        rc = cli_fail_lib(rc);
      sf_table_free(t);
      continue;
    }
    if (table_name && (rc = sf_table_set_name(t, table_name))) {
      sf_table_free(t);
      rc = cli_fail_lib(rc);
      break;
    }
    for (size_t k = 0; k < nt && !rc; k++)
      if (strcmp(tables[k]->name, t->name) == 0) {
        cli_error("import: '%s' and an earlier file both make table '%s' (import them separately with --table)",
                  args[i], t->name);
        rc = SF_EUSAGE;
      }
    if (!rc && nt == sizeof tables / sizeof tables[0]) {
      cli_error("import: more than %zu tables in one import (import them in several)", nt);
      rc = SF_EUSAGE;
    }
    if (rc) {
      sf_table_free(t);
      break;
    }
    tables[nt++] = t;
    if (table_name && (rc = note_columns(t, &from, &nfrom, what))) rc = cli_fail_lib(rc);
  }
  sf_h5_free_list(h5names, nh5);
  for (size_t c = 0; c < nfrom; c++) free(from[c]);
  free(from);
  if (!rc) {
    rc = sf_h5_write_tables(out_path, (const sf_table *const *)tables, nt, replace ? SF_H5_REPLACE : 0);
    if (rc) rc = cli_fail_lib(rc);
  }
  for (size_t k = 0; !rc && k < nt; k++) {
    const sf_table *t = tables[k];
    sf_buf cols;
    sf_buf_init(&cols);
    for (size_t c = 0; c < t->ncols; c++) sf_buf_printf(&cols, "%s%s", c ? ", " : "", t->cols[c].name);
    printf("imported %zu run%s into table '%s' of '%s' (columns: %s)\n", t->nrows, t->nrows == 1 ? "" : "s", t->name, out_path,
           sf_buf_str(&cols));
    sf_buf_free(&cols);
    for (size_t c = 0; c < t->ncols; c++) {
      size_t nd = sf_table_count_derived(t, (int)c);
      if (nd)
        cli_note("table '%s': %s derived for %zu of %zu run%s (%s)", t->name, t->cols[c].name, nd, t->nrows, sf_plural(t->nrows),
                 strcmp(t->cols[c].name, "C") == 0 ? "C = 6ND" : "D = C/(6N)");
    }
  }
  for (size_t k = 0; k < nt; k++) sf_table_free(tables[k]);
  return rc;
}
