/* ini.h: the INI dialect of scalefit's own files (report specs, sweep files), read line by line.
 *
 * `[section]` or `[section NAME]` alone on a line, `key = value`, `#` or `;` comments on their own
 * line, blank lines, an optional UTF-8 byte-order mark. The reader only splits lines and catches
 * what is wrong whatever the file means (a malformed line, a key given twice in one section, NUL
 * bytes, lines over 4000 characters); the caller's callbacks give the sections and keys their
 * meaning. Every message is "ORIGIN:LINE: what was expected", the form editors jump to.
 */
#ifndef SF_UTIL_INI_H
#define SF_UTIL_INI_H

#include <stddef.h>

typedef struct sf_ini_handler {
  /* "[grid small]": name "grid", arg "small" ("" when absent). Both may be modified. */
  int (*section)(void *ctx, size_t line, char *name, char *arg);
  /* "key = value", trimmed, key non-empty. in_section is 0 for a key before any section. */
  int (*key)(void *ctx, size_t line, int in_section, const char *section, char *key, char *value);
} sf_ini_handler;

/* Calls the handler for each section header and key of text, stopping at the first non-zero
 * return (passed on). SF_EINPUT "ORIGIN:LINE: ..." for lines that are not INI. */
int sf_ini_parse(const char *text, size_t len, const char *origin, const sf_ini_handler *h, void *ctx);

/* Reads path (at most 1 MiB) into *text (caller frees; NUL-terminated) and *len. what names the
 * kind of file in messages ("spec", "sweep file"). SF_EINPUT "PATH: cannot open WHAT: ...". */
int sf_ini_slurp(const char *path, const char *what, char **text, size_t *len);

/* SF_EINPUT "ORIGIN:LINE: MESSAGE". */
int sf_ini_fail(const char *origin, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Values: each fails with "ORIGIN:LINE: KEY: expected ..., got 'V'". */
int sf_ini_long(const char *origin, size_t line, const char *key, const char *v, long lo, long hi, long *out);
int sf_ini_number(const char *origin, size_t line, const char *key, const char *v, double *out);

#endif
