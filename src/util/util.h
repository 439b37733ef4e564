/* util.h: small internal helpers shared by every stage (not part of the public API).
 *
 *   sf_buf     growable string, for building messages, JSON and scripts
 *   sf_json_*  a streaming JSON writer into an sf_buf (commas and escaping handled here)
 *   sf_atomic  write-to-temporary-then-rename, so no command leaves a half-written file
 *   sf_strdup, sf_asprintf, path helpers
 */
#ifndef SF_UTIL_H
#define SF_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* ---- growable string ---- */
typedef struct sf_buf {
  char *s;    /* always NUL-terminated once anything was appended; NULL when empty */
  size_t len;
  size_t cap;
  int oom;    /* set when an allocation failed; later appends are ignored */
} sf_buf;

void sf_buf_init(sf_buf *b);
void sf_buf_free(sf_buf *b);
void sf_buf_clear(sf_buf *b);
void sf_buf_add(sf_buf *b, const char *s);
void sf_buf_addn(sf_buf *b, const char *s, size_t n);
void sf_buf_addc(sf_buf *b, char c);
void sf_buf_printf(sf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sf_buf_vprintf(sf_buf *b, const char *fmt, va_list ap);
const char *sf_buf_str(const sf_buf *b); /* "" when empty */
char *sf_buf_take(sf_buf *b);            /* caller frees; buffer is left empty */

/* ---- JSON writer ----
 * sf_json_begin_object(&j, NULL) at top level or inside an array; with a key inside an object.
 * Numbers that are not finite are written as null (JSON has no NaN). */
#define SF_JSON_MAX_DEPTH 32
typedef struct sf_json {
  sf_buf *out;
  int depth;
  int first[SF_JSON_MAX_DEPTH]; /* 1 until the container at this depth has an element */
  int pretty;
} sf_json;

void sf_json_init(sf_json *j, sf_buf *out, int pretty);
void sf_json_begin_object(sf_json *j, const char *key);
void sf_json_end_object(sf_json *j);
void sf_json_begin_array(sf_json *j, const char *key);
void sf_json_end_array(sf_json *j);
void sf_json_string(sf_json *j, const char *key, const char *value); /* NULL value -> null */
void sf_json_number(sf_json *j, const char *key, double value);
void sf_json_int(sf_json *j, const char *key, long long value);
void sf_json_bool(sf_json *j, const char *key, int value);
void sf_json_null(sf_json *j, const char *key);
void sf_json_escape(sf_buf *b, const char *s); /* appends "s" quoted and escaped */

/* ---- JSON reader ----
 * A small DOM parser (RFC 8259; numbers as double; \u escapes to UTF-8, surrogate pairs joined).
 * Used to read saved fits and forecasts back. Depth is limited to SF_JSON_MAX_DEPTH. */
typedef enum { SF_JNULL, SF_JBOOL, SF_JNUM, SF_JSTR, SF_JARR, SF_JOBJ } sf_jtype;
typedef struct sf_jval {
  sf_jtype type;
  double num;            /* SF_JNUM; SF_JBOOL: 0 or 1 */
  char *str;             /* SF_JSTR */
  size_t n;              /* SF_JARR, SF_JOBJ: element count */
  struct sf_jval *items; /* n elements */
  char **keys;           /* SF_JOBJ: n keys */
} sf_jval;

/* Parses text[0..len). On error returns SF_EINPUT with "'origin' line L column C: what". */
int sf_jparse(const char *text, size_t len, const char *origin, sf_jval **out);
int sf_jparse_file(const char *path, sf_jval **out);
void sf_jfree(sf_jval *v); /* NULL-safe */
const sf_jval *sf_jget(const sf_jval *obj, const char *key); /* NULL if absent or not an object */
const sf_jval *sf_jat(const sf_jval *arr, size_t i);         /* NULL if out of range */
double sf_jnum(const sf_jval *v, double fallback);           /* number (null -> NaN), else fallback */
const char *sf_jstr(const sf_jval *v, const char *fallback);

/* ---- atomic output files ----
 * sf_atomic_open creates "<path>.tmp.XXXXXX" beside path; sf_atomic_commit flushes, fsyncs and
 * renames it over path; sf_atomic_abort removes it. Exactly one of commit/abort must follow. */
typedef struct sf_atomic {
  FILE *fp;
  char *path;
  char *tmp;
} sf_atomic;

int sf_atomic_open(sf_atomic *a, const char *path);       /* SF_OK or SF_EIO */
int sf_atomic_commit(sf_atomic *a);                       /* SF_OK or SF_EIO; tmp removed on error */
void sf_atomic_abort(sf_atomic *a);
char *sf_temp_path_beside(const char *path);              /* "<path>.tmp.<pid>.<n>", caller frees */
/* Removes the temporaries of path ("<path>.tmp.<pid>.<n>") whose writer is gone: one killed while
 * writing (SIGKILL cannot be cleaned up after) left it, and nothing will rename or remove it. A
 * symbolic link is followed, as sf_atomic_open follows it (the temporaries lie beside its target). */
void sf_atomic_remove_stale(const char *path);
void sf_atomic_remove_stale_dir(const char *dir);                /* the same for any file in dir */
int sf_process_gone(long pid); /* 1: no such process on this machine, or a zombie: it writes nothing more */
int sf_write_file_atomic(const char *path, const char *data, size_t len);
/* Fails now, with the message the write would give, where path cannot be written (a missing or
 * read-only folder, a directory named as the file): for commands that compute for minutes (a
 * bootstrap) before they write. Creates and removes a temporary file beside path. */
int sf_output_probe(const char *path);

/* ---- strings and paths ---- */
char *sf_strdup(const char *s);                            /* NULL-safe; NULL on OOM */
char *sf_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *sf_path_ext(const char *path);                 /* ".csv" or "" (no dot) */
int sf_ext_is(const char *path, const char *ext);          /* case-insensitive, ext with dot */
int sf_file_exists(const char *path);
/* 1 if path is a directory (an output named like a file, "-o runs.h5", can be one: said as such,
 * not as "not an HDF5 file" or "cannot rename into"). */
int sf_is_dir(const char *path);
int sf_strcaseeq(const char *a, const char *b);
/* The whole file at path into *text (NUL-terminated, caller frees; *len bytes, NULs included).
 * Failing to open or read it is an error of the given code (SF_EINPUT for a user's file, SF_EIO
 * for one scalefit wrote), "cannot open 'path': why"; SF_ENOMEM when out of memory. */
int sf_read_file(const char *path, int code, char **text, size_t *len);

/* "" for a count of one, "s" for any other (0 included): "%zu run%s", n, sf_plural(n). Messages
 * that print a count next to its noun use it, so none says "1 runs". */
static inline const char *sf_plural(size_t n) { return n == 1 ? "" : "s"; }

/* v in the first of %.15g, %.16g, %.17g that strtod reads back as v ("0.1", not
 * "0.10000000000000001"): the fewest digits when 15 suffice, not always beyond (2^-24 takes 17 where
 * 16 would do: %.16g rounds its exact tie to even, which reads back as another double). n of at least 32 holds any double. */
void sf_fmt_double(char *buf, size_t n, double v);
/* Parses a whole string as a finite double ("1e21", "  3.5 "). Returns 1 on success. */
int sf_parse_double(const char *s, double *out);

/* n >= 1 values from lo to hi (both > 0) evenly spaced in decades, the ends exactly lo and hi:
 * the one range rule of `--compute LO:HI:COUNT` and a report spec's `budgets = LO:HI:COUNT`. */
void sf_logspace(double lo, double hi, size_t n, double *out);

/* ---- spelling hints ----
 * "did you mean" for a name that matched nothing: sf_near_init(&n, word), sf_near_add(&n, cand) for
 * each name that would have matched, then sf_near_hint(&n) is "" or " (did you mean 'loss'?)" to
 * append to the message. Near means the fewest edits (case ignored, a swap of neighbours one edit),
 * at most a third of the word; failing that, names the word begins ("hoffmann2022" ->
 * 'hoffmann2022_approach3', ...). Candidates are not copied: they must outlive the hint. */
#define SF_NEAR_MAX 63
#define SF_NEAR_SHOWN 3
typedef struct sf_near {
  const char *word;
  size_t best, nclose, nprefix;
  const char *close[SF_NEAR_SHOWN], *prefix[SF_NEAR_SHOWN];
  char hint[3 * (SF_NEAR_MAX + 5) + 64];
  char words[512]; /* sf_near_add_list's copy of its list */
} sf_near;
void sf_near_init(sf_near *n, const char *word);
void sf_near_add(sf_near *n, const char *cand);
/* Each name of a list written "a, b, c" (the "known: ..." of a message), copied into n: one list per n. */
void sf_near_add_list(sf_near *n, const char *list);
const char *sf_near_hint(sf_near *n); /* valid until n goes */

#endif
