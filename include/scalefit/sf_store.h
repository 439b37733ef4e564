/* sf_store.h: the run store, the in-memory table of training runs that every command reads.
 *
 * A table holds rows (runs) and named numeric columns with units. Four columns have fixed names
 * and units because the laws and forecasts depend on them:
 *   N     parameters        (model size; counts embeddings unless a note says otherwise)
 *   D     tokens            (training tokens)
 *   C     FLOP              (training compute)
 *   loss  nats/token        (final loss)
 * Any other column is a metric (mmlu, accuracy, nll, ...) with the unit it was given. Missing
 * values are NaN. Where C is missing and N, D are present, C = 6*N*D; where D is missing and
 * N, C are present, D = C/(6*N); sf_table_derive() fills these and flags them as derived.
 *
 * Each run also has text fields: run (its name), family (a group label such as "LLaMA" or
 * "own sweep 2026-11-23"), source (provenance: paper, table, file) and notes. A run may carry a
 * training curve: a small matrix whose columns (step, tokens, flops, loss, ...) are shared by
 * the whole table.
 *
 * Files: CSV (one table) and HDF5 (many named tables; layout in docs/FORMAT.md). Every reader
 * validates what it reads and fails with SF_EINPUT and a message naming the file and the line,
 * column or dataset; writers are atomic (temporary file, then rename).
 */
#ifndef SF_STORE_H
#define SF_STORE_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_column {
  char *name;             /* canonical name: "N", "D", "C", "loss", or a metric name */
  char *unit;             /* "parameters", "tokens", "FLOP", "nats/token", or as given ("" if none) */
  double *v;              /* nrows values, NaN where missing */
  unsigned char *derived; /* nrows flags, 1 where v was derived rather than given (never NULL in
                           * tables made by these functions; treat NULL as all 0) */
} sf_column;

typedef struct sf_table {
  char *name;        /* table name ([A-Za-z0-9_.-]+), e.g. "chinchilla" */
  char *description; /* free text, "" if none */
  char *origin;      /* the file it was read from, for messages ("" if built in memory) */
  size_t nrows, ncols;
  /* nrows each; never NULL, "" when empty. Rows may share one string (every empty field, a source
   * or family named once for many rows): never free or write one; replace it with sf_table_take_text. */
  char **run, **family, **source, **notes;
  sf_column *cols;                         /* ncols */
  /* Training curves: ncurve columns shared by all rows; row r has curve_len[r] points stored
   * row-major in curve[r] (curve_len[r] x ncurve), or curve_len[r] == 0 and curve[r] == NULL. */
  size_t ncurve;
  char **curve_name, **curve_unit;
  size_t *curve_len;
  double **curve;
  size_t cap_rows; /* allocation bookkeeping */
  /* Headers of the CSV columns the reader skipped because no cell was numeric (e.g. "color"),
   * so that `import` can say so. Set by sf_csv_read*, copied, never written to files. */
  char **skipped;
  size_t nskipped;
  /* Per row, its 1-based data row in the file read, where a caller copied a selection of that file's
   * rows into a new table (a report's [data] where); NULL: row r is r + 1. Set once the rows are in;
   * copied by sf_table_copy; messages and saved fits name rows by it (sf_table_row_number). Added
   * 2026 (skipinfo branch, session 15): a report with [data] where named the 10th run of the file
   * "row 1" */
  size_t *data_row;
  /* The strings rows share besides the common "" (at most SF_TABLE_MAX_SHARED): owned here, freed
   * once by sf_table_free. Added 2026 (exportfast branch, session 15): every row held its own copies,
   * three of them usually "", and import copied the source file's name into each, so a 1.3M-row table
   * took 4 allocations a row. */
  char **shared;
  size_t nshared;
} sf_table;
#define SF_TABLE_MAX_SHARED 16

/* The 1-based row of the file that row r of t came from (t->data_row, else r + 1). */
static inline size_t sf_table_row_number(const sf_table *t, size_t r) { return t->data_row ? t->data_row[r] : r + 1; }

/* ---- building and querying ----
 * Changes to the first contract (2026-11-23, store branch), all additive: sf_table.skipped,
 * sf_table_name_from_path, sf_table_set_description, sf_table_append, sf_table_count_derived,
 * SF_FIELD_DERIVED, sf_csv_write_fp, sf_h5_free_list, sf_h5_write_tables, sf_h5_sniff. */
sf_table *sf_table_new(const char *name);  /* name NULL or "": "runs"; NULL on OOM or a bad name */
void sf_table_free(sf_table *t);           /* NULL-safe */
sf_table *sf_table_copy(const sf_table *t); /* deep copy (curves, flags, skipped); NULL on OOM */
int sf_table_set_name(sf_table *t, const char *name); /* SF_EUSAGE if the name is not [A-Za-z0-9_.-]+ */
int sf_table_valid_name(const char *name);           /* 1 if [A-Za-z0-9_.-]+ (and not "." or "..") */
/* A valid table name made from a file path: base name without extension, every other character
 * replaced by '_' ("runs/My Runs.csv" -> "My_Runs"); "runs" if nothing is left. Caller frees. */
char *sf_table_name_from_path(const char *path);
int sf_table_set_description(sf_table *t, const char *text);

/* Adds a column (all NaN) and returns its index, or the existing index if a column of that
 * name exists; a negative status on failure (-SF_EUSAGE for a name that is empty, starts with
 * '.', holds '/', ',', '"', '[', ']' or a control character, or is a text field: run, family,
 * source, notes, derived). N, D, C and loss get their fixed units whatever unit says. */
int sf_table_add_column(sf_table *t, const char *name, const char *unit);
int sf_table_find(const sf_table *t, const char *name); /* index or -1 */
/* A column named by a user (--x, --y, a spec file): its exact name, else the name a CSV header
 * so spelled becomes (aliases, case, "ARC-C" -> "arc_c"; docs/FORMAT.md). Index or -1.
 * Added 2026 (forecast2 branch), additive. */
int sf_table_lookup(const sf_table *t, const char *name);
/* The same with ambiguity reported: *col is the column's index, or -1 when nothing matches
 * (SF_OK); the name is tried exactly, then as a header would be read, then regardless of letter
 * case, and SF_EINPUT names the candidates when these give two different columns ("acc" in a
 * table with "Acc" and "ACC"). sf_table_lookup gives -1 for an ambiguous name.
 * Added 2026 (forecast branch, session 11), additive. */
int sf_table_resolve(const sf_table *t, const char *name, int *col);
/* "N, D, C, loss, mmlu": the column names for a message ("none" if none); caller frees, NULL on OOM. */
char *sf_table_column_names(const sf_table *t);

/* Appends a row (all values NaN) and returns its index, or a negative status on failure. The texts
 * are copied (an empty one, or one that another row of t already shares, is shared instead). */
long sf_table_add_row(sf_table *t, const char *run, const char *family, const char *source,
                      const char *notes);
/* field is one of t->run, t->family, t->source, t->notes. sf_table_take_text puts the malloc'd s in
 * field[row] (t owns it from then on, also on failure), freeing the old text unless it was shared;
 * "" and, outside run, a text another row shares, are shared instead of kept. sf_table_fill_text
 * sets every empty field[r] to one copy of text, shared by those rows. SF_OK or SF_ENOMEM (then the
 * field is unchanged). Added 2026 (exportfast branch, session 15), additive. */
int sf_table_take_text(sf_table *t, char **field, size_t row, char *s);
int sf_table_fill_text(sf_table *t, char **field, const char *text);
double sf_table_get(const sf_table *t, size_t row, const char *col); /* NaN if no such column */
/* Adds the column if needed; clears the row's derived flag. */
int sf_table_set(sf_table *t, size_t row, const char *col, double v);

/* Declares the curve columns (once, before any sf_table_set_curve). */
int sf_table_set_curve_columns(sf_table *t, size_t ncurve, const char *const *names,
                               const char *const *units);
/* Copies npoints x ncurve values (row-major) as row's curve, replacing any previous one. */
int sf_table_set_curve(sf_table *t, size_t row, size_t npoints, const double *data);

/* Fills C = 6ND and D = C/(6N) where missing and flags them derived. Adds the column C or D
 * only when at least one value can be derived. Idempotent. */
int sf_table_derive(sf_table *t);

/* Appends src's rows to dst (columns matched by name and added where dst lacks them; a column
 * present in both must have the same unit, else SF_EINPUT naming both units and the files the
 * tables were read from, their origin, and nothing changes). Curves are appended when both
 * tables have the same curve columns (or dst has none yet). Derived flags are kept. */
/* Keeps the rows r with keep[r] != 0 (in order) and drops the others; each kept row remembers its
 * row of the file (data_row), so messages still name it. SF_ENOMEM leaves t as it was. Added 2026
 * (turn2 branch, session 15), additive. */
int sf_table_keep_rows(sf_table *t, const unsigned char *keep);
int sf_table_append(sf_table *dst, const sf_table *src);
size_t sf_table_count_derived(const sf_table *t, int col); /* rows flagged derived */

/* Checks that every present N, D, C and loss is finite and > 0 and every other value (curves
 * too) finite; SF_EINPUT naming the file or table, the run and the column otherwise. */
int sf_table_check(const sf_table *t);

/* Canonical column for a CSV header (aliases and scale suffixes, see docs/FORMAT.md):
 * "Model Size" -> N, "Training FLOP" -> C, "Model Size (B)" -> N scaled by 1e9,
 * "FLOPs (1E21)" -> C scaled by 1e21, "MMLU" -> mmlu, "ARC-C [fraction]" -> arc_c with unit
 * "fraction". *kind is SF_FIELD_NUMERIC, or one of the text fields. Returns SF_OK (caller frees
 * *name and *unit) or SF_EINPUT (nothing allocated): no name, a unit on N/D/C/loss other than
 * theirs, a scale or unit on a text field, or a metric whose name would be a known column's
 * ("#params" -> "params"). */
/* SF_FIELD_DERIVED is the "derived" column written by sf_csv_write: per row, the names of the
 * columns whose value there was derived, separated by ';' (e.g. "D" or "C;D"), so a CSV round
 * trip keeps the derived flags. */
enum sf_field_kind { SF_FIELD_NUMERIC, SF_FIELD_RUN, SF_FIELD_FAMILY, SF_FIELD_SOURCE, SF_FIELD_NOTES,
                     SF_FIELD_DERIVED };
int sf_header_canonical(const char *header, char **name, char **unit, double *scale,
                        enum sf_field_kind *kind);
/* The numeric column a name means by the same rule, unscaled ("Compute" -> "C", "GSM8K" ->
 * "gsm8k"; "Model Size (B)" names no column in its units): 1 and the name in out[n], or 0 and
 * out "" for a name that is no header (no error is left set). For matching names a user types
 * (--x, --where, --at, formula variables) against columns. */
int sf_header_column(const char *name, char *out, size_t n);
/* 1 when a CSV header so spelled is a text field (run, family, source, notes: "Model Family"),
 * which a --where cannot compare; else 0 (no error is left set). */
int sf_header_text_field(const char *name);

/* ---- CSV ----
 * One table per file; the table is named after the file (sf_table_name_from_path(origin)).
 * The readers do not derive or check values beyond what the CSV format needs (numbers finite,
 * N/D/C/loss > 0); sf_data_load does both. Curves and the description are not part of CSV:
 * the writers leave them out. Numbers are written with the fewest digits (at most 17) that read
 * back to the same double, so CSV -> table -> CSV is lossless. Numbers are parsed and printed
 * with the C library in the current locale: a program that calls setlocale() with a ','
 * decimal separator must switch LC_NUMERIC back to "C" around these calls (the CLI never
 * changes the locale). */
int sf_csv_read(const char *path, sf_table **out);
int sf_csv_read_mem(const char *data, size_t len, const char *origin, sf_table **out);
int sf_csv_write(const sf_table *t, const char *path); /* atomic */
int sf_csv_write_fp(const sf_table *t, FILE *fp);      /* e.g. stdout; SF_EIO on a write error */

/* ---- HDF5 ---- */
int sf_h5_list(const char *path, char ***names, size_t *n); /* caller frees names and array */
void sf_h5_free_list(char **names, size_t n);
/* table NULL: the file's only table (SF_EINPUT listing the names if there are several).
 * SF_EINPUT for a missing file, a file that is not HDF5 or is truncated/corrupt, an HDF5 file
 * without format = "scalefit-runs", a missing table (the message lists those there are), or a
 * dataset of the wrong type or length. Does not derive or check values (sf_data_load does). */
int sf_h5_read(const char *path, const char *table, sf_table **out);
enum { SF_H5_REPLACE = 1 }; /* replace a table of the same name instead of failing */
/* Adds t (under t->name) to the file, creating it if needed; other tables and other root
 * groups (/fits) are kept. Atomic: builds a new file beside path and renames it over path; on
 * any failure the original is untouched and no temporary file remains. SF_EINPUT if the table
 * exists (without SF_H5_REPLACE) or path is not a scalefit HDF5 file; SF_EIO if writing fails. */
int sf_h5_write(const char *path, const sf_table *t, int flags);
/* The same for n tables at once (all or none are written); their names must differ. */
int sf_h5_write_tables(const char *path, const sf_table *const *t, size_t n, int flags);
/* 1 if the file starts with the HDF5 signature, 0 if not (or unreadable). */
int sf_h5_sniff(const char *path);

/* ---- any data file ---- */
/* Loads a .csv or .h5/.hdf5 file (by extension, else by content); table selects one HDF5
 * table (NULL: the only one; for a CSV, a non-NULL table must equal the CSV's own name).
 * Derives C and D and checks values. */
int sf_data_load(const char *path, const char *table, sf_table **out);
/* Whether the file holds a table of that name, as sf_data_load would look for it: 1 yes, 0 no (a
 * CSV named otherwise, an HDF5 file without it), -1 when the file cannot be read or listed (the
 * message then says why). For a caller that asks, after a failed load, whether its table was at
 * fault: copy the load's message first. Added 2026 (wording branch, session 13), additive. */
int sf_data_has_table(const char *path, const char *table);

#ifdef __cplusplus
}
#endif
#endif
