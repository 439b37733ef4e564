/* csv.c: CSV in and out of sf_table (one table per file).
 *
 * Reading is two passes over the bytes held in memory: the shared tokenizer (csvtok.c, also under
 * the forecast stage's reference tables) cuts the text in place into records and fields (RFC 4180
 * quoting, with a UTF-8 BOM, CRLF, lone CR, blank lines and spaces around fields tolerated), then
 * build() interprets the header through sf_header_canonical(), decides which columns are
 * numeric, and fills the table, failing with SF_EINPUT and "'file' line L, column J ('header')"
 * at the first bad cell. A column none of whose cells is a number (e.g. "color") is skipped and
 * listed in t->skipped rather than failing, because published CSVs carry such decoration.
 *
 * Writing emits canonical headers, the fewest digits that read back to the same double, and a
 * "derived" column listing the derived values of each row, so CSV -> table -> CSV is lossless.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/csvtok.h"
#include "util/util.h"

/* ---- pass 2: header, column kinds, values ---- */

typedef struct colinfo {
  char *name, *unit;
  double scale;
  enum sf_field_kind kind;
  int skip;  /* no numeric cell: left out of the table */
  int boolean; /* every non-empty cell a bool word (pandas' True/False): read as 0/1 */
  int dropped; /* pandas' unnamed row-number index: left out without a word */
  int index; /* column in the table, numeric columns only */
  int probe, any_text, any_number, all_bool; /* deciding skip and boolean: what its cells hold */
} colinfo;

static int is_blank(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  return *s == '\0';
}

/* What a numeric cell holds. Only decimal notation counts: strtod's hex floats and "infinity"
 * spellings are not data. */
enum cell { CELL_EMPTY, CELL_NUMBER, CELL_NONFINITE, CELL_RANGE, CELL_TEXT };

static enum cell parse_cell(const char *s, double *v) {
  while (*s && isspace((unsigned char)*s)) s++;
  if (!*s) return CELL_EMPTY;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  const char *e = end;
  while (*e && isspace((unsigned char)*e)) e++;
  if (end == s || *e) return CELL_TEXT;
  for (const char *q = s; q < end; q++)
    if (!(isdigit((unsigned char)*q) || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-'))
      return isnan(x) || isinf(x) ? CELL_NONFINITE : CELL_TEXT;
  /* Overflow, or underflow all the way to zero; subnormal results are kept (they are exact). */
  if (!isfinite(x) || (errno == ERANGE && x == 0.0)) return CELL_RANGE;
  *v = x;
  return CELL_NUMBER;
}

/* How R, Excel, SQL exports and hand-made files spell a missing value; scalefit's spelling is an
 * empty cell, and the error says so instead of a bare "not a number". */
static int missing_spelling(const char *s) {
  static const char *const words[] = {"NA", "N/A", "#N/A", "NULL", "None", "nil", "-", "--", "?", "missing"};
  while (*s && isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0) return 1;
  return 0;
}

/* "125M", "1.3B", "300k", "7 b": a number and one of the scale letters a header takes in
 * parentheses ("params (M)"), which a cell does not. *num gets the number, *mult the letter's
 * factor, *letter the letter in upper case. Returns 1 if s is such a cell. */
static int scale_suffix(const char *s, double *num, double *mult, char *letter) {
  while (*s && isspace((unsigned char)*s)) s++;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  if (end == s || errno || !isfinite(x) || !isdigit((unsigned char)end[-1])) return 0; /* "0x", "inf" */
  while (*end == ' ' || *end == '\t') end++;
  char c = (char)toupper((unsigned char)*end);
  if (!c || !strchr("KMBGT", c)) return 0;
  for (const char *r = end + 1; *r; r++)
    if (!isspace((unsigned char)*r)) return 0;
  *num = x;
  *mult = c == 'K' ? 1e3 : c == 'M' ? 1e6 : c == 'T' ? 1e12 : 1e9;
  *letter = c;
  return 1;
}

/* pandas' to_csv spells a bool column True/False, R TRUE/FALSE: *v gets 1 or 0. */
static int bool_word(const char *s, double *v) {
  while (*s && isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  if (n == 4 && strncasecmp(s, "true", 4) == 0) return *v = 1, 1;
  if (n == 5 && strncasecmp(s, "false", 5) == 0) return *v = 0, 1;
  return 0;
}

/* Where s stops being UTF-8: the offset of the first byte that does not start or continue a valid
 * sequence (overlong forms, surrogates and code points past U+10FFFF included), or -1. Text goes
 * into HDF5 labelled UTF-8; a Latin-1 'é' (0xE9) passed through made run files whose strings
 * h5py's .asstr() cannot decode (UnicodeDecodeError in FORMAT.md's own recipe). */
static long utf8_bad(const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; u[i];) {
    unsigned c = u[i], n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
    if (n == 9) return (long)i;
    unsigned lo = 0x80, hi = 0xBF; /* the second byte's range, narrower after E0, ED, F0, F4 */
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    for (unsigned k = 1; k <= n; k++)
      if (u[i + k] < (k == 1 ? lo : 0x80) || u[i + k] > (k == 1 ? hi : 0xBF)) return (long)i;
    i += n + 1;
  }
  return -1;
}

/* Fails naming the header cell hd when it holds a byte order mark (U+FEFF, EF BB BF). The
 * tokenizer drops one at the start of the file; a second there (a tool that adds one to a file
 * that had one) or one inside a header made the invisible character part of the name: 'run'
 * became a text column skipped with a note, 'N' a metric 'N' with no unit. Refused rather than
 * stripped, as a letter that is not UTF-8 is: the file is not what its writer meant, and a
 * name read differently from what the eye sees would be worse than stopping. */
static int check_bom(const char *origin, size_t line, size_t col, const char *hd) {
  static const char bom[] = "\xEF\xBB\xBF";
  const char *at = strstr(hd, bom);
  if (!at) return SF_OK;
  sf_buf clean; /* the name as it looks, for the message */
  sf_buf_init(&clean);
  for (const char *s = hd; *s;)
    if (strncmp(s, bom, 3) == 0) s += 3;
    else sf_buf_addc(&clean, *s++);
  int rc = sf_fail(SF_EINPUT, "'%s' line %zu, column %zu ('%s'): the header holds a byte order mark (U+FEFF) at byte "
                   "%zu, an invisible character that would become part of the name (a file may start with one, no "
                   "more; remove the others: sed -i '1s/\\xEF\\xBB\\xBF//g' FILE)",
                   origin, line, col, clean.oom ? "?" : sf_buf_str(&clean), (size_t)(at - hd) + 1);
  sf_buf_free(&clean);
  return rc;
}

/* Fails naming the cell when text is not UTF-8. */
static int check_utf8(const char *origin, size_t line, size_t col, const char *hd, const char *text) {
  long at = utf8_bad(text);
  if (at < 0) return SF_OK;
  return sf_fail(SF_EINPUT, "'%s' line %zu, column %zu%s%s%s: byte 0x%02X at byte %ld of the cell is not UTF-8 (save the file "
                 "as UTF-8; from Latin-1: iconv -f latin1 -t utf-8)", origin, line, col, hd ? " ('" : "",
                 hd ? hd : "", hd ? "')" : "", (unsigned)(unsigned char)text[at], at + 1);
}

static int is_key_column(const char *name) {
  return strcmp(name, "N") == 0 || strcmp(name, "D") == 0 || strcmp(name, "C") == 0 || strcmp(name, "loss") == 0 ||
         strcmp(name, "U") == 0;
}

static void free_cols(colinfo *ci, size_t n) {
  for (size_t j = 0; ci && j < n; j++) {
    free(ci[j].name);
    free(ci[j].unit);
  }
  free(ci);
}

/* The table in p, read row by row: each record's cells are found by walking its fields once
 * (csvtok.h), and a cell's line is counted only for a message. */
static int build(const sf_csvtok *p, const char *origin, sf_table **out) {
  if (p->nr == 0) return sf_fail(SF_EINPUT, "'%s' is empty (expected a header line and rows)", origin);
  const sf_csvtok_record *h = &p->r[0];
  if (p->nr == 1) return sf_fail(SF_EINPUT, "'%s' has a header but no rows", origin);
  const char **hdr = malloc(2 * p->maxn * sizeof *hdr), **cell = hdr + p->maxn;
  if (!hdr) return sf_fail(SF_ENOMEM, "out of memory");
  sf_csvtok_cells(p, 0, hdr);
  size_t nc = h->n;
  /* A header that is one field holding semicolons or tabs is another separator (Excel writes ';'
   * where the decimal mark is a comma): read as one text column, it was skipped and the file
   * imported as runs without a value, or failed on a row's commas with "N fields, expected 1". */
  if (nc == 1) {
    const char *hd = hdr[0];
    char sep = strchr(hd, ';') ? ';' : strchr(hd, '\t') ? '\t' : 0;
    if (sep) {
      free(hdr);
      return sf_fail(SF_EINPUT, "'%s' line %zu: the header is one field holding %s ('%.60s'): fields must be "
                     "separated by commas (convert the file to comma-separated CSV, with '.' as the decimal mark)",
                     origin, h->line, sep == ';' ? "semicolons" : "tabs", hd);
    }
  }
  /* Spreadsheets save trailing columns without a name and without a value ("a,b,,"): dropped, as
   * long as every cell under them is empty; a value under an empty header stays an error. */
  while (nc > 1 && is_blank(hdr[nc - 1])) {
    int empty = 1;
    for (size_t r = 1; r < p->nr && empty; r++)
      if (p->r[r].n >= nc && !is_blank(sf_csvtok_text(p, r, nc - 1))) empty = 0;
    if (!empty) break;
    nc--;
  }
  colinfo *ci = calloc(nc, sizeof *ci);
  if (!ci) {
    free(hdr);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  int rc = SF_OK;
  sf_table *t = NULL;
  /* pandas' to_csv() writes the row index first, under an empty header (",run,N,..."): with
   * the default index (0, 1, 2, ... in every row) it holds nothing and is dropped. Any other
   * unnamed first column may mean something, and stays an error that says what to do. */
  int index_col = nc > 1 && is_blank(hdr[0]), default_index = index_col;
  for (size_t r = 1; r < p->nr && default_index; r++) {
    char want[32];
    snprintf(want, sizeof want, "%zu", r - 1);
    default_index = strcmp(p->text + p->r[r].off, want) == 0;
  }

  for (size_t j = 0; j < nc; j++) {
    const char *hd = hdr[j];
    size_t line = sf_csvtok_line(p, 0, hdr, j);
    if (j == 0 && default_index) {
      ci[0].dropped = 1;
      if (!(ci[0].name = sf_strdup("")) || !(ci[0].unit = sf_strdup(""))) {
        rc = sf_fail(SF_ENOMEM, "out of memory");
        goto done;
      }
      continue;
    }
    if ((rc = check_utf8(origin, line, j + 1, NULL, hd)) || (rc = check_bom(origin, line, j + 1, hd))) goto done;
    if (is_blank(hd)) {
      rc = sf_fail(SF_EINPUT, "'%s' line %zu, column %zu: empty header (every column needs a name%s)", origin, line, j + 1,
                    j == 0 && index_col ? "; if it is the index pandas writes, write the file with "
                   "to_csv(index=False), or name the index: df.index.name = 'run'" : "");
      goto done;
    }
    rc = sf_header_canonical(hd, &ci[j].name, &ci[j].unit, &ci[j].scale, &ci[j].kind);
    if (rc) {
      sf_fail_context("'%s' line %zu, column %zu: ", origin, line, j + 1);
      goto done;
    }
    for (size_t i = 0; i < j; i++) {
      const char *hi = hdr[i];
      if (strcmp(ci[i].name, ci[j].name) == 0) {
        if (strcmp(hi, hd) == 0)
          rc = sf_fail(SF_EINPUT, "'%s' line %zu: duplicate column '%s' (columns %zu and %zu)", origin, line, hd,
                       i + 1, j + 1);
        else if (strcasecmp(hi, hd) == 0) /* "loss" and "Loss": naming one would hide the other */
          rc = sf_fail(SF_EINPUT, "'%s' line %zu: duplicate column: '%s' (column %zu) and '%s' (column %zu) differ "
                       "only in letter case", origin, line, hi, i + 1, hd, j + 1);
        else
          rc = sf_fail(SF_EINPUT, "'%s' line %zu: columns '%s' (%zu) and '%s' (%zu) both mean '%s'", origin, line,
                       hi, i + 1, hd, j + 1, ci[j].name);
        goto done;
      }
    }
  }

  for (size_t r = 1; r < p->nr; r++)
    if (p->r[r].n != h->n && p->r[r].n != nc) {
      rc = sf_fail(SF_EINPUT, "'%s' line %zu: %zu fields, expected %zu as in the header", origin, p->r[r].line,
                   p->r[r].n, h->n);
      goto done;
    }

  /* A column with text in every non-empty cell is decoration (e.g. "color"), unless it is one
   * of the columns the laws need: there, text is an error reported below like any bad cell. A
   * column of bool words only is a 0/1 metric, as h5py's bools are (h5.c). */
  size_t nskip = 0, ncand = 0;
  for (size_t j = 0; j < nc; j++) {
    ci[j].probe = !ci[j].dropped && ci[j].kind == SF_FIELD_NUMERIC && !is_key_column(ci[j].name);
    ci[j].all_bool = 1;
    ncand += (size_t)ci[j].probe;
  }
  for (size_t r = 1; r < p->nr && ncand; r++) {
    sf_csvtok_cells(p, r, cell);
    for (size_t j = 0; j < nc; j++) {
      if (!ci[j].probe) continue;
      double v;
      enum cell c = parse_cell(cell[j], &v);
      if (c == CELL_TEXT) ci[j].any_text = 1, ci[j].all_bool &= bool_word(cell[j], &v);
      else if (c != CELL_EMPTY) ci[j].any_number = 1;
    }
  }
  for (size_t j = 0; j < nc; j++) {
    ci[j].boolean = ci[j].any_text && !ci[j].any_number && ci[j].all_bool;
    ci[j].skip = ci[j].any_text && !ci[j].any_number && !ci[j].all_bool;
    nskip += (size_t)ci[j].skip;
  }

  char *tname = sf_table_name_from_path(origin);
  t = tname ? sf_table_new(tname) : NULL;
  free(tname);
  if (!t || !(free(t->origin), t->origin = sf_strdup(origin))) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto done;
  }
  if (nskip) {
    t->skipped = calloc(nskip, sizeof *t->skipped);
    if (!t->skipped) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto done;
    }
    for (size_t j = 0; j < nc; j++)
      if (ci[j].skip) {
        if (!(t->skipped[t->nskipped] = sf_strdup(hdr[j]))) {
          rc = sf_fail(SF_ENOMEM, "out of memory");
          goto done;
        }
        t->nskipped++;
      }
  }
  int text_col[6] = {-1, -1, -1, -1, -1, -1}; /* by sf_field_kind */
  for (size_t j = 0; j < nc; j++) {
    if (ci[j].dropped) continue;
    if (ci[j].kind != SF_FIELD_NUMERIC) {
      text_col[ci[j].kind] = (int)j;
      continue;
    }
    if (ci[j].skip) continue;
    ci[j].index = sf_table_add_column(t, ci[j].name, ci[j].unit);
    if (ci[j].index < 0) {
      rc = -ci[j].index;
      goto done;
    }
  }
  int derived_col = -1;
  for (size_t j = 0; j < nc; j++)
    if (!ci[j].dropped && ci[j].kind == SF_FIELD_DERIVED) derived_col = (int)j;

  for (size_t r = 1; r < p->nr; r++) {
    sf_csvtok_cells(p, r, cell);
    const char *txt[5];
    for (int k = 1; k < 5; k++) {
      txt[k] = "";
      if (text_col[k] < 0) continue;
      size_t j = (size_t)text_col[k];
      txt[k] = cell[j];
      if (utf8_bad(txt[k]) >= 0 && (rc = check_utf8(origin, sf_csvtok_line(p, r, cell, j), j + 1, hdr[j], txt[k])))
        goto done;
    }
    long row = sf_table_add_row(t, txt[SF_FIELD_RUN], txt[SF_FIELD_FAMILY], txt[SF_FIELD_SOURCE], txt[SF_FIELD_NOTES]);
    if (row < 0) {
      rc = (int)-row;
      goto done;
    }
    for (size_t j = 0; j < nc; j++) {
      if (ci[j].dropped || ci[j].kind != SF_FIELD_NUMERIC || ci[j].skip) continue;
      const char *c = cell[j], *hd = hdr[j];
      double v = NAN;
      switch (parse_cell(c, &v)) {
      case CELL_EMPTY: v = NAN; break;
      case CELL_NUMBER:
        v *= ci[j].scale;
        if (!isfinite(v)) {
          rc = sf_fail(SF_EINPUT, "'%s' line %zu, column %zu ('%s'): '%s' is out of range once scaled", origin,
                       sf_csvtok_line(p, r, cell, j), j + 1, hd, c);
          goto done;
        }
        if (is_key_column(ci[j].name) && !(v > 0)) {
          rc = sf_fail(SF_EINPUT, "'%s' line %zu, column %zu ('%s'): %s is not positive (%s must be > 0)", origin,
                       sf_csvtok_line(p, r, cell, j), j + 1, hd, c, ci[j].name);
          goto done;
        }
        break;
      case CELL_NONFINITE:
        rc = sf_fail(SF_EINPUT, "'%s' line %zu, column %zu ('%s'): '%s' is not allowed (leave the cell empty for a "
                     "missing value)", origin, sf_csvtok_line(p, r, cell, j), j + 1, hd, c);
        goto done;
      case CELL_RANGE:
        rc = sf_fail(SF_EINPUT, "'%s' line %zu, column %zu ('%s'): '%s' is out of range", origin,
                     sf_csvtok_line(p, r, cell, j), j + 1, hd, c);
        goto done;
      case CELL_TEXT:
        if (ci[j].boolean && bool_word(c, &v)) break;
        {
          /* "125M" is how papers write sizes; say where scalefit takes the M (docs/FORMAT.md) */
          char hint[320] = "";
          double x, mult;
          char letter;
          if (missing_spelling(c))
            snprintf(hint, sizeof hint, " (leave the cell empty for a missing value)");
          else if (scale_suffix(c, &x, &mult, &letter) && ci[j].scale != 1)
            snprintf(hint, sizeof hint, ": a suffix in a cell is not read, and the header's scale already multiplies "
                     "every value of the column by %g: write %.10g", ci[j].scale, x * mult / ci[j].scale);
          else if (scale_suffix(c, &x, &mult, &letter))
            snprintf(hint, sizeof hint, ": a suffix in a cell is not read; put the scale in the header and the number "
                     "alone in the cell: %.10g under the header '%s (%c)' (a scale in parentheses multiplies every "
                     "value of the column; docs/FORMAT.md)", x, hd, letter);
          rc = sf_fail(SF_EINPUT, "'%s' line %zu, column %zu ('%s'): '%s' is not a number%s", origin,
                       sf_csvtok_line(p, r, cell, j), j + 1, hd, c, hint);
        }
        goto done;
      }
      t->cols[ci[j].index].v[row] = v;
    }
    if (derived_col >= 0) {
      const char *s = cell[derived_col];
      while (*s) {
        const char *e = strchr(s, ';');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        const char *w = s;
        while (n && isspace((unsigned char)*w)) w++, n--;
        while (n && isspace((unsigned char)w[n - 1])) n--;
        if (n) {
          int k = -1;
          for (size_t c = 0; c < t->ncols; c++)
            if (strlen(t->cols[c].name) == n && strncmp(t->cols[c].name, w, n) == 0) k = (int)c;
          if (k < 0 || isnan(t->cols[k].v[row])) {
            rc = sf_fail(SF_EINPUT, "'%s' line %zu, column %zu ('derived'): '%.*s' is not %s of this row", origin,
                         sf_csvtok_line(p, r, cell, (size_t)derived_col), (size_t)derived_col + 1, (int)n, w, k < 0 ? "a numeric column" : "a value");
            goto done;
          }
          t->cols[k].derived[row] = 1;
        }
        s = e ? e + 1 : s + strlen(s);
      }
    }
  }
done:
  free_cols(ci, nc);
  free(hdr);
  if (rc) {
    sf_table_free(t);
    return rc;
  }
  *out = t;
  return SF_OK;
}

int sf_csv_read_mem(const char *data, size_t len, const char *origin, sf_table **out) {
  *out = NULL;
  sf_csvtok p;
  memset(&p, 0, sizeof p);
  if (!origin) origin = "<memory>";
  int rc = sf_csvtok_split(data, len, origin, &p);
  if (!rc) rc = build(&p, origin, out);
  sf_csvtok_free(&p);
  return rc;
}

/* The file's bytes are cut in place, not copied (csvtok.h), and freed before the caller goes on
 * to write the table elsewhere. */
int sf_csv_read(const char *path, sf_table **out) {
  *out = NULL;
  char *text = NULL;
  size_t len = 0;
  int rc = sf_read_file(path, SF_EINPUT, &text, &len);
  if (rc) return rc;
  sf_csvtok p;
  memset(&p, 0, sizeof p);
  rc = sf_csvtok_split_own(text, len, path, &p);
  if (!rc) rc = build(&p, path, out);
  sf_csvtok_free(&p);
  return rc;
}

/* ---- writing ---- */

static void put_text(FILE *fp, const char *s, int lone) {
  size_t n = strlen(s);
  int quote = (lone && n == 0) || strpbrk(s, ",\"\r\n") != NULL ||
              (n && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1])));
  if (!quote) {
    fputs(s, fp);
    return;
  }
  fputc('"', fp);
  for (; *s; s++) {
    if (*s == '"') fputc('"', fp);
    fputc(*s, fp);
  }
  fputc('"', fp);
}

static int any_text(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (v[i][0]) return 1;
  return 0;
}

/* The header export writes for column c: its name, with " [unit]" for a metric with a unit. */
static char *column_header(const sf_column *col) {
  return col->unit[0] && !is_key_column(col->name) ? sf_asprintf("%s [%s]", col->name, col->unit) : sf_strdup(col->name);
}

/* Fails, before anything is written, where a column's header would not read back as that column. A
 * table from HDF5 may hold names that the CSV reader takes by alias: a metric 'Notes' came back as
 * the notes text, 'params' or 'size (B)' as N (scaled by 1e9), and 'Acc' beside 'acc' or 'params'
 * beside 'N' made a CSV that import refused. A name that only changes case or spelling ('Acc',
 * 'my metric' as 'acc', 'my_metric') is kept: it reads back as the same column under its CSV name. */
static int check_headers(const sf_table *t) {
  char **canon = calloc(t->ncols + 1, sizeof *canon);
  if (!canon) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = SF_OK;
  for (size_t c = 0; c < t->ncols && !rc; c++) {
    const sf_column *col = &t->cols[c];
    char *h = column_header(col), *unit = NULL;
    double scale = 1;
    enum sf_field_kind kind = SF_FIELD_NUMERIC;
    if (!h) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      break;
    }
    int bad = sf_header_canonical(h, &canon[c], &unit, &scale, &kind) != SF_OK;
    if (bad) sf_error_clear();
    const char *what = bad ? "is not a header the CSV reader takes"
                       : kind != SF_FIELD_NUMERIC ? "would read back as the text field"
                       : scale != 1 ? "would read back scaled, as"
                       : (is_key_column(canon[c]) || is_key_column(col->name)) && strcmp(canon[c], col->name) != 0
                           ? "would read back as the column"
                       : !is_key_column(col->name) && strcmp(unit, col->unit) != 0 ? "would read back with the unit"
                       : NULL;
    const char *got = bad ? NULL : strstr(what ? what : "", "unit") ? unit : canon[c];
    if (what)
      rc = sf_fail(SF_EINPUT, "'%s' table '%s': column '%s' cannot be written to CSV: its header '%s' %s%s%s%s (CSV "
                   "headers are matched by alias, docs/FORMAT.md; rename the column in the HDF5 file)", t->origin,
                   t->name, col->name, h, what, got ? " '" : "", got ? got : "", got ? "'" : "");
    for (size_t k = 0; k < c && !rc; k++)
      if (strcasecmp(canon[k], canon[c]) == 0)
        rc = sf_fail(SF_EINPUT, "'%s' table '%s': columns '%s' and '%s' cannot both be written to CSV: their headers "
                     "read back as the same column, '%s' (rename one in the HDF5 file)", t->origin, t->name,
                     t->cols[k].name, col->name, canon[c]);
    free(h);
    free(unit);
  }
  for (size_t c = 0; c < t->ncols; c++) free(canon[c]);
  free(canon);
  return rc;
}

int sf_csv_write_fp(const sf_table *t, FILE *fp) {
  int rc = check_headers(t);
  if (rc) return rc;
  int has_family = any_text(t->family, t->nrows), has_source = any_text(t->source, t->nrows),
      has_notes = any_text(t->notes, t->nrows), has_derived = 0;
  for (size_t c = 0; c < t->ncols; c++) has_derived |= sf_table_count_derived(t, (int)c) > 0;
  /* A row with one empty field would read back as a blank line: then that field is quoted. */
  int lone = !has_family && !has_source && !has_notes && !has_derived && t->ncols == 0;
  fputs("run", fp);
  if (has_family) fputs(",family", fp);
  if (has_source) fputs(",source", fp);
  if (has_notes) fputs(",notes", fp);
  for (size_t c = 0; c < t->ncols; c++) {
    const sf_column *col = &t->cols[c];
    fputc(',', fp);
    char *h = column_header(col);
    if (!h) return sf_fail(SF_ENOMEM, "out of memory");
    put_text(fp, h, 0);
    free(h);
  }
  if (has_derived) fputs(",derived", fp);
  fputc('\n', fp);
  char num[40];
  for (size_t r = 0; r < t->nrows; r++) {
    put_text(fp, t->run[r], lone);
    if (has_family) fputc(',', fp), put_text(fp, t->family[r], 0);
    if (has_source) fputc(',', fp), put_text(fp, t->source[r], 0);
    if (has_notes) fputc(',', fp), put_text(fp, t->notes[r], 0);
    for (size_t c = 0; c < t->ncols; c++) {
      fputc(',', fp);
      double v = t->cols[c].v[r];
      if (!isnan(v)) {
        sf_fmt_double(num, sizeof num, v);
        fputs(num, fp);
      }
    }
    if (has_derived) {
      fputc(',', fp);
      int first = 1;
      for (size_t c = 0; c < t->ncols; c++)
        if (t->cols[c].derived && t->cols[c].derived[r]) {
          if (!first) fputc(';', fp);
          fputs(t->cols[c].name, fp);
          first = 0;
        }
    }
    fputc('\n', fp);
  }
  if (fflush(fp) != 0 || ferror(fp)) return sf_fail(SF_EIO, "cannot write CSV: %s", strerror(errno));
  return SF_OK;
}

int sf_csv_write(const sf_table *t, const char *path) {
  sf_atomic a;
  int rc = sf_atomic_open(&a, path);
  if (rc) return rc;
  rc = sf_csv_write_fp(t, a.fp);
  if (rc) {
    sf_atomic_abort(&a);
    return rc == SF_EIO ? sf_fail(SF_EIO, "cannot write '%s': %s", path, strerror(errno)) : rc;
  }
  return sf_atomic_commit(&a);
}
