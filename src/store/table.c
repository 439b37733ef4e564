/* table.c: the in-memory run table (sf_table) that every reader fills and every command reads.
 *
 * Storage is column-major: one double array per column plus four string arrays (run, family,
 * source, notes), all grown together to cap_rows by add_row. The CSV and HDF5 modules build
 * tables only through these functions, so the invariants (no NULL strings, one derived flag per
 * value, unique column names) hold everywhere. Derivation of C and D and the value checks live
 * here too, because they are about what a table means, not about a file format.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ---- names ---- */

int sf_table_valid_name(const char *name) {
  if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
  for (const char *p = name; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
          c == '-'))
      return 0;
  }
  return 1;
}

char *sf_table_name_from_path(const char *path) {
  const char *base = path ? strrchr(path, '/') : NULL;
  base = base ? base + 1 : (path ? path : "");
  const char *dot = strrchr(base, '.');
  size_t n = dot ? (size_t)(dot - base) : strlen(base);
  char *s = malloc(n + 5);
  if (!s) return NULL;
  for (size_t i = 0; i < n; i++) {
    char c = base[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
             c == '-';
    s[i] = ok ? c : '_';
  }
  s[n] = '\0';
  if (!sf_table_valid_name(s)) strcpy(s, "runs");
  return s;
}

/* Column names become HDF5 link names and CSV headers: no '/', no control characters, not
 * empty, not starting with '.', and not one of the text fields stored beside them. */
static int valid_column_name(const char *name) {
  static const char *const reserved[] = {"run", "family", "source", "notes", "derived"};
  if (!name || !*name || name[0] == '.') return 0;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == ',' || *p == '"' || *p == '[' || *p == ']') return 0;
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (strcmp(name, reserved[i]) == 0) return 0;
  return 1;
}

static int oom(void) { return sf_fail(SF_ENOMEM, "out of memory"); }

static int replace_str(char **dst, const char *src) {
  char *s = sf_strdup(src ? src : "");
  if (!s) return oom();
  free(*dst);
  *dst = s;
  return SF_OK;
}

int sf_table_set_name(sf_table *t, const char *name) {
  if (!sf_table_valid_name(name))
    return sf_fail(SF_EUSAGE, "invalid table name '%s' (use letters, digits, '_', '.', '-')", name ? name : "");
  return replace_str(&t->name, name);
}

int sf_table_set_description(sf_table *t, const char *text) { return replace_str(&t->description, text); }

/* ---- life cycle ---- */

sf_table *sf_table_new(const char *name) {
  sf_table *t = calloc(1, sizeof *t);
  if (!t) {
    oom();
    return NULL;
  }
  t->name = sf_strdup(name && *name ? name : "runs");
  t->description = sf_strdup("");
  t->origin = sf_strdup("");
  if (!t->name || !t->description || !t->origin) {
    sf_table_free(t);
    oom();
    return NULL;
  }
  if (!sf_table_valid_name(t->name)) {
    sf_fail(SF_EUSAGE, "invalid table name '%s' (use letters, digits, '_', '.', '-')", name);
    sf_table_free(t);
    return NULL;
  }
  return t;
}

static void free_strv(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* ---- row texts ----
 * Most rows' family, source and notes are "" or one of a few names: each row held its own malloc'd
 * copy (about 32 bytes each, 4 a row), most of a large table's memory. Every empty text is now
 * empty_text, and a family, source or notes text is shared through t->shared (up to
 * SF_TABLE_MAX_SHARED distinct ones, more only by sf_table_fill_text); run names stay per row.
 * Writable so that a stray write of the terminator cannot fault; nothing frees it. */
static char empty_text[1];

static int is_shared(const sf_table *t, const char *s) {
  if (s == empty_text) return 1;
  for (size_t i = 0; i < t->nshared; i++)
    if (s == t->shared[i]) return 1;
  return 0;
}

static void free_text(const sf_table *t, char *s) {
  if (!is_shared(t, s)) free(s);
}

static char *find_shared(const sf_table *t, const char *s) {
  for (size_t i = 0; i < t->nshared; i++)
    if (strcmp(t->shared[i], s) == 0) return t->shared[i];
  return NULL;
}

/* Adds the malloc'd s to t's shared texts; SF_ENOMEM leaves s to the caller. */
static int add_shared(sf_table *t, char *s) {
  char **v = realloc(t->shared, (t->nshared + 1) * sizeof *v);
  if (!v) return SF_ENOMEM;
  t->shared = v;
  v[t->nshared++] = s;
  return SF_OK;
}

/* The text a row keeps for s (malloc'd, taken over): "" and a text t already shares are shared (s
 * freed); outside run (share 0) a new text is shared while there is room. */
static char *keep_text(sf_table *t, char *s, int share) {
  if (!s[0]) {
    free(s);
    return empty_text;
  }
  if (!share) return s;
  char *k = find_shared(t, s);
  if (k) {
    free(s);
    return k;
  }
  if (t->nshared < SF_TABLE_MAX_SHARED) add_shared(t, s); /* on failure s stays the row's own */
  return s;
}

/* keep_text for a copy of s; NULL on OOM. */
static char *copy_text(sf_table *t, const char *s, int share) {
  if (!s || !s[0]) return empty_text;
  if (share) {
    char *k = find_shared(t, s);
    if (k) return k;
  }
  char *c = sf_strdup(s);
  return c ? keep_text(t, c, share) : NULL;
}

int sf_table_take_text(sf_table *t, char **field, size_t row, char *s) {
  if (!s) return oom();
  char *k = keep_text(t, s, field != t->run);
  free_text(t, field[row]);
  field[row] = k;
  return SF_OK;
}

int sf_table_fill_text(sf_table *t, char **field, const char *text) {
  size_t r = 0;
  while (r < t->nrows && field[r][0]) r++;
  if (r == t->nrows) return SF_OK;
  char *k = text[0] ? find_shared(t, text) : empty_text;
  if (!k) {
    if (!(k = sf_strdup(text))) return oom();
    if (add_shared(t, k)) {
      free(k);
      return oom();
    }
  }
  for (; r < t->nrows; r++)
    if (!field[r][0]) {
      free_text(t, field[r]);
      field[r] = k;
    }
  return SF_OK;
}

/* Frees the strings of field (one of t's four texts) that t does not share, and the array. */
static void free_texts(const sf_table *t, char **field) {
  if (!field) return;
  for (size_t i = 0; i < t->nrows; i++) free_text(t, field[i]);
  free(field);
}

void sf_table_free(sf_table *t) {
  if (!t) return;
  free(t->data_row);
  free(t->name);
  free(t->description);
  free(t->origin);
  free_texts(t, t->run);
  free_texts(t, t->family);
  free_texts(t, t->source);
  free_texts(t, t->notes);
  free_strv(t->shared, t->nshared);
  for (size_t c = 0; c < t->ncols; c++) {
    free(t->cols[c].name);
    free(t->cols[c].unit);
    free(t->cols[c].v);
    free(t->cols[c].derived);
  }
  free(t->cols);
  free_strv(t->curve_name, t->ncurve);
  free_strv(t->curve_unit, t->ncurve);
  if (t->curve)
    for (size_t r = 0; r < t->nrows; r++) free(t->curve[r]);
  free(t->curve);
  free(t->curve_len);
  free_strv(t->skipped, t->nskipped);
  free(t);
}

/* ---- columns and rows ---- */

int sf_table_find(const sf_table *t, const char *name) {
  for (size_t c = 0; c < t->ncols; c++)
    if (strcmp(t->cols[c].name, name) == 0) return (int)c;
  return -1;
}

int sf_table_resolve(const sf_table *t, const char *name, int *col) {
  *col = sf_table_find(t, name ? name : "");
  if (*col >= 0 || !name) return SF_OK;
  /* candidates: the name its header would have become (docs/FORMAT.md: --y GSM8K is the column
   * "gsm8k", --x params is N), and every column spelled the same but for letter case (a run file
   * written by another program may hold "Acc"); two different ones are an error, never a guess */
  int cand[8], nc = 0;
  char canon[128];
  if (sf_header_column(name, canon, sizeof canon)) {
    int k = sf_table_find(t, canon);
    if (k >= 0) cand[nc++] = k;
  }
  size_t nall = nc;
  for (size_t c = 0; c < t->ncols; c++)
    if (sf_strcaseeq(t->cols[c].name, name) && (nc == 0 || cand[0] != (int)c)) {
      if (nc < (int)(sizeof cand / sizeof cand[0])) cand[nc++] = (int)c;
      nall++;
    }
  if (nc == 1) *col = cand[0];
  if (nc <= 1) return SF_OK;
  sf_buf b;
  sf_buf_init(&b);
  for (int i = 0; i < nc; i++) sf_buf_printf(&b, "%s'%s'", i == 0 ? "" : i + 1 < nc ? ", " : " or ", t->cols[cand[i]].name);
  if (nall > (size_t)nc) sf_buf_printf(&b, " (and %zu more)", nall - (size_t)nc);
  int rc = b.oom ? sf_fail(SF_ENOMEM, "out of memory")
                 : sf_fail(SF_EINPUT, "column '%s' is ambiguous in table '%s': it could be %s (give the exact name)",
                           name, t->name, b.s);
  sf_buf_free(&b);
  return rc;
}

int sf_table_lookup(const sf_table *t, const char *name) {
  int k;
  if (sf_table_resolve(t, name, &k) != SF_OK) {
    sf_error_clear();
    return -1;
  }
  return k;
}

char *sf_table_column_names(const sf_table *t) {
  sf_buf b;
  sf_buf_init(&b);
  for (size_t c = 0; c < t->ncols; c++) sf_buf_printf(&b, "%s%s", c ? ", " : "", t->cols[c].name);
  if (!t->ncols) sf_buf_add(&b, "none");
  if (b.oom) {
    sf_buf_free(&b);
    return NULL;
  }
  return b.s;
}

/* The canonical columns have fixed units whatever the caller passes. */
static const char *fixed_unit(const char *name) {
  if (strcmp(name, "N") == 0) return "parameters";
  if (strcmp(name, "D") == 0 || strcmp(name, "U") == 0) return "tokens";
  if (strcmp(name, "C") == 0) return "FLOP";
  if (strcmp(name, "loss") == 0) return "nats/token";
  return NULL;
}

int sf_table_add_column(sf_table *t, const char *name, const char *unit) {
  int k = sf_table_find(t, name ? name : "");
  if (k >= 0) return k;
  if (!valid_column_name(name))
    return -sf_fail(SF_EUSAGE, "invalid column name '%s' in table '%s'", name ? name : "", t->name);
  if (t->ncols >= INT32_MAX) return -sf_fail(SF_EUSAGE, "too many columns in table '%s'", t->name);
  const char *fu = fixed_unit(name);
  sf_column *cols = realloc(t->cols, (t->ncols + 1) * sizeof *cols);
  if (!cols) return -oom();
  t->cols = cols;
  sf_column *c = &cols[t->ncols];
  memset(c, 0, sizeof *c);
  size_t cap = t->cap_rows ? t->cap_rows : 1;
  c->name = sf_strdup(name);
  c->unit = sf_strdup(fu ? fu : unit ? unit : "");
  c->v = malloc(cap * sizeof *c->v);
  c->derived = calloc(cap, 1);
  if (!c->name || !c->unit || !c->v || !c->derived) {
    free(c->name);
    free(c->unit);
    free(c->v);
    free(c->derived);
    return -oom();
  }
  for (size_t r = 0; r < t->nrows; r++) c->v[r] = NAN;
  t->ncols++;
  return (int)(t->ncols - 1);
}

/* Grows every per-row array to hold at least want rows. */
static int reserve_rows(sf_table *t, size_t want) {
  if (want <= t->cap_rows) return SF_OK;
  size_t cap = t->cap_rows ? t->cap_rows : 16;
  while (cap < want) cap *= 2;
  char ***strv[] = {&t->run, &t->family, &t->source, &t->notes};
  for (size_t i = 0; i < 4; i++) {
    char **p = realloc(*strv[i], cap * sizeof *p);
    if (!p) return oom();
    *strv[i] = p;
  }
  for (size_t c = 0; c < t->ncols; c++) {
    double *v = realloc(t->cols[c].v, cap * sizeof *v);
    if (!v) return oom();
    t->cols[c].v = v;
    unsigned char *d = realloc(t->cols[c].derived, cap);
    if (!d) return oom();
    t->cols[c].derived = d;
  }
  size_t *cl = realloc(t->curve_len, cap * sizeof *cl);
  if (!cl) return oom();
  t->curve_len = cl;
  double **cv = realloc(t->curve, cap * sizeof *cv);
  if (!cv) return oom();
  t->curve = cv;
  t->cap_rows = cap;
  return SF_OK;
}

long sf_table_add_row(sf_table *t, const char *run, const char *family, const char *source, const char *notes) {
  int rc = reserve_rows(t, t->nrows + 1);
  if (rc) return -rc;
  size_t r = t->nrows;
  char *s[4] = {copy_text(t, run, 0), copy_text(t, family, 1), copy_text(t, source, 1), copy_text(t, notes, 1)};
  if (!s[0] || !s[1] || !s[2] || !s[3]) {
    for (int i = 0; i < 4; i++)
      if (s[i]) free_text(t, s[i]);
    return -oom();
  }
  t->run[r] = s[0];
  t->family[r] = s[1];
  t->source[r] = s[2];
  t->notes[r] = s[3];
  for (size_t c = 0; c < t->ncols; c++) {
    t->cols[c].v[r] = NAN;
    t->cols[c].derived[r] = 0;
  }
  t->curve_len[r] = 0;
  t->curve[r] = NULL;
  t->nrows++;
  return (long)r;
}

double sf_table_get(const sf_table *t, size_t row, const char *col) {
  int c = sf_table_find(t, col);
  if (c < 0 || row >= t->nrows) return NAN;
  return t->cols[c].v[row];
}

int sf_table_set(sf_table *t, size_t row, const char *col, double v) {
  if (row >= t->nrows) return sf_fail(SF_EUSAGE, "row %zu out of range in table '%s' (%zu rows)", row, t->name, t->nrows);
  int c = sf_table_add_column(t, col, NULL);
  if (c < 0) return -c;
  t->cols[c].v[row] = v;
  t->cols[c].derived[row] = 0;
  return SF_OK;
}

size_t sf_table_count_derived(const sf_table *t, int col) {
  size_t n = 0;
  if (col < 0 || (size_t)col >= t->ncols || !t->cols[col].derived) return 0;
  for (size_t r = 0; r < t->nrows; r++) n += t->cols[col].derived[r] != 0;
  return n;
}

/* ---- curves ---- */

int sf_table_set_curve_columns(sf_table *t, size_t ncurve, const char *const *names, const char *const *units) {
  if (t->ncurve) return sf_fail(SF_EUSAGE, "table '%s' already has curve columns", t->name);
  if (ncurve == 0) return SF_OK;
  for (size_t i = 0; i < ncurve; i++) {
    if (!names[i] || !*names[i] || strchr(names[i], '/') || names[i][0] == '.' || strcmp(names[i], "offsets") == 0)
      return sf_fail(SF_EUSAGE, "invalid curve column name '%s' in table '%s'", names[i] ? names[i] : "", t->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(names[i], names[j]) == 0)
        return sf_fail(SF_EUSAGE, "duplicate curve column '%s' in table '%s'", names[i], t->name);
  }
  char **nm = calloc(ncurve, sizeof *nm), **un = calloc(ncurve, sizeof *un);
  int bad = !nm || !un;
  for (size_t i = 0; !bad && i < ncurve; i++) {
    nm[i] = sf_strdup(names[i]);
    un[i] = sf_strdup(units && units[i] ? units[i] : "");
    bad = !nm[i] || !un[i];
  }
  if (bad) {
    free_strv(nm, ncurve);
    free_strv(un, ncurve);
    return oom();
  }
  t->curve_name = nm;
  t->curve_unit = un;
  t->ncurve = ncurve;
  return SF_OK;
}

int sf_table_set_curve(sf_table *t, size_t row, size_t npoints, const double *data) {
  if (row >= t->nrows) return sf_fail(SF_EUSAGE, "row %zu out of range in table '%s'", row, t->name);
  if (npoints && !t->ncurve) return sf_fail(SF_EUSAGE, "table '%s' has no curve columns", t->name);
  double *copy = NULL;
  if (npoints) {
    if (npoints > SIZE_MAX / sizeof(double) / t->ncurve) return oom();
    copy = malloc(npoints * t->ncurve * sizeof *copy);
    if (!copy) return oom();
    memcpy(copy, data, npoints * t->ncurve * sizeof *copy);
  }
  free(t->curve[row]);
  t->curve[row] = copy;
  t->curve_len[row] = npoints;
  return SF_OK;
}

/* ---- derivation and checks ---- */

int sf_table_derive(sf_table *t) {
  int n = sf_table_find(t, "N"), d = sf_table_find(t, "D"), c = sf_table_find(t, "C");
  if (n < 0) return SF_OK; /* both rules need N */
  int need_c = 0, need_d = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    double vn = t->cols[n].v[r], vd = d >= 0 ? t->cols[d].v[r] : NAN, vc = c >= 0 ? t->cols[c].v[r] : NAN;
    if (isnan(vn)) continue;
    if (isnan(vc) && !isnan(vd)) need_c = 1;
    if (isnan(vd) && !isnan(vc)) need_d = 1;
  }
  if (need_c && c < 0) {
    c = sf_table_add_column(t, "C", NULL);
    if (c < 0) return -c;
  }
  if (need_d && d < 0) {
    d = sf_table_add_column(t, "D", NULL);
    if (d < 0) return -d;
  }
  for (size_t r = 0; r < t->nrows; r++) {
    double vn = t->cols[n].v[r], vd = d >= 0 ? t->cols[d].v[r] : NAN, vc = c >= 0 ? t->cols[c].v[r] : NAN;
    if (isnan(vn)) continue;
    if (isnan(vc) && !isnan(vd)) {
      t->cols[c].v[r] = 6.0 * vn * vd;
      t->cols[c].derived[r] = 1;
    } else if (isnan(vd) && !isnan(vc)) {
      t->cols[d].v[r] = vc / (6.0 * vn);
      t->cols[d].derived[r] = 1;
    }
  }
  return SF_OK;
}

static const char *row_label(const sf_table *t, size_t r, char *buf, size_t n) {
  if (t->run[r][0]) snprintf(buf, n, "run '%s' (row %zu)", t->run[r], r + 1);
  else snprintf(buf, n, "row %zu", r + 1);
  return buf;
}

int sf_table_check(const sf_table *t) {
  char lab[160];
  const char *where = t->origin && *t->origin ? t->origin : t->name;
  for (size_t c = 0; c < t->ncols; c++) {
    const sf_column *col = &t->cols[c];
    int positive = fixed_unit(col->name) != NULL;
    for (size_t r = 0; r < t->nrows; r++) {
      double v = col->v[r];
      if (isnan(v)) continue;
      const char *how = col->derived && col->derived[r] ? " (derived from the other two of N, D, C)" : "";
      if (!isfinite(v))
        return sf_fail(SF_EINPUT, "'%s' %s: column '%s' is %g%s, expected a finite number", where,
                       row_label(t, r, lab, sizeof lab), col->name, v, how);
      if (positive && !(v > 0))
        return sf_fail(SF_EINPUT, "'%s' %s: column '%s' is %g%s, expected a positive number", where,
                       row_label(t, r, lab, sizeof lab), col->name, v, how);
    }
  }
  for (size_t r = 0; r < t->nrows && t->ncurve; r++)
    for (size_t i = 0; i < t->curve_len[r] * t->ncurve; i++) {
      double v = t->curve[r][i];
      if (!isnan(v) && !isfinite(v))
        return sf_fail(SF_EINPUT, "'%s' %s: curve column '%s' point %zu is %g, expected a finite number", where,
                       row_label(t, r, lab, sizeof lab), t->curve_name[i % t->ncurve], i / t->ncurve + 1, v);
    }
  return SF_OK;
}

/* ---- copy and append ---- */

sf_table *sf_table_copy(const sf_table *t) {
  sf_table *u = sf_table_new(t->name);
  if (!u) return NULL;
  if (sf_table_set_description(u, t->description) || replace_str(&u->origin, t->origin) ||
      sf_table_append(u, t)) {
    sf_table_free(u);
    return NULL;
  }
  if (t->data_row) {
    if (!(u->data_row = malloc((t->nrows ? t->nrows : 1) * sizeof *u->data_row))) goto fail;
    memcpy(u->data_row, t->data_row, t->nrows * sizeof *u->data_row);
  }
  if (t->nskipped) {
    u->skipped = calloc(t->nskipped, sizeof *u->skipped);
    if (!u->skipped) goto fail;
    u->nskipped = t->nskipped;
    for (size_t i = 0; i < t->nskipped; i++)
      if (!(u->skipped[i] = sf_strdup(t->skipped[i]))) goto fail;
  }
  return u;
fail:
  sf_table_free(u);
  oom();
  return NULL;
}

int sf_table_keep_rows(sf_table *t, const unsigned char *keep) {
  size_t *dr = t->data_row;
  if (!dr) {
    if (!(dr = malloc((t->nrows ? t->nrows : 1) * sizeof *dr))) return oom();
    for (size_t r = 0; r < t->nrows; r++) dr[r] = r + 1;
  }
  size_t m = 0;
  for (size_t r = 0; r < t->nrows; r++) {
    if (!keep[r]) {
      free_text(t, t->run[r]), free_text(t, t->family[r]), free_text(t, t->source[r]), free_text(t, t->notes[r]);
      free(t->curve[r]);
      continue;
    }
    t->run[m] = t->run[r], t->family[m] = t->family[r], t->source[m] = t->source[r], t->notes[m] = t->notes[r];
    t->curve[m] = t->curve[r], t->curve_len[m] = t->curve_len[r];
    dr[m] = dr[r];
    for (size_t c = 0; c < t->ncols; c++) {
      t->cols[c].v[m] = t->cols[c].v[r];
      t->cols[c].derived[m] = t->cols[c].derived[r];
    }
    m++;
  }
  t->data_row = dr;
  t->nrows = m;
  return SF_OK;
}

/* "'runs.csv' (table 'runs')", or "table 'runs' (built in memory)" for a table read from no file. */
static void where_of(const sf_table *t, char *buf, size_t n) {
  if (t->origin && *t->origin) snprintf(buf, n, "'%s' (table '%s')", t->origin, t->name);
  else snprintf(buf, n, "table '%s' (built in memory)", t->name);
}

int sf_table_append(sf_table *dst, const sf_table *src) {
  if (src->ncurve) {
    int same = dst->ncurve == src->ncurve;
    for (size_t i = 0; same && i < src->ncurve; i++) same = strcmp(dst->curve_name[i], src->curve_name[i]) == 0;
    if (!dst->ncurve) {
      int rc = sf_table_set_curve_columns(dst, src->ncurve, (const char *const *)src->curve_name,
                                          (const char *const *)src->curve_unit);
      if (rc) return rc;
    } else if (!same) {
      return sf_fail(SF_EINPUT, "tables '%s' and '%s' have different curve columns", dst->name, src->name);
    }
  }
  /* Map src's columns onto dst's before adding any row, so a unit clash changes nothing. The message
   * names the files the tables were read from (a table name alone, often "runs" for both, gave the
   * user nothing to open) and what to change there. */
  for (size_t c = 0; c < src->ncols; c++) {
    int k = sf_table_find(dst, src->cols[c].name);
    if (k < 0 || strcmp(dst->cols[k].unit, src->cols[c].unit) == 0) continue;
    const char *u0 = dst->cols[k].unit, *u1 = src->cols[c].unit, *name = src->cols[c].name;
    char w0[600], w1[600];
    where_of(dst, w0, sizeof w0);
    where_of(src, w1, sizeof w1);
    return sf_fail(SF_EINPUT, "column '%s' has %s%s%s in %s but %s%s%s in %s: a table holds one unit a column (give "
                   "it the same unit in both, e.g. the header '%s [%s]', or rename it in one)", name,
                   *u0 ? "unit '" : "no unit", u0, *u0 ? "'" : "", w0, *u1 ? "unit '" : "no unit", u1, *u1 ? "'" : "",
                   w1, name, *u1 ? u1 : u0);
  }
  int *map = malloc((src->ncols + 1) * sizeof *map);
  if (!map) return oom();
  for (size_t c = 0; c < src->ncols; c++) {
    map[c] = sf_table_add_column(dst, src->cols[c].name, src->cols[c].unit);
    if (map[c] < 0) {
      int rc = -map[c];
      free(map);
      return rc;
    }
  }
  int rc = reserve_rows(dst, dst->nrows + src->nrows);
  for (size_t r = 0; rc == SF_OK && r < src->nrows; r++) {
    long k = sf_table_add_row(dst, src->run[r], src->family[r], src->source[r], src->notes[r]);
    if (k < 0) {
      rc = (int)-k;
      break;
    }
    for (size_t c = 0; c < src->ncols; c++) {
      dst->cols[map[c]].v[k] = src->cols[c].v[r];
      dst->cols[map[c]].derived[k] = src->cols[c].derived ? src->cols[c].derived[r] : 0;
    }
    if (src->ncurve && src->curve_len[r]) rc = sf_table_set_curve(dst, (size_t)k, src->curve_len[r], src->curve[r]);
  }
  free(map);
  return rc;
}
