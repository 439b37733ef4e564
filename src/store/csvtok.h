/* csvtok.h: the one CSV tokenizer (internal): text -> records of fields, for the run store's CSV
 * reader (csv.c) and the forecast stage's reference tables (forecast/csvrec.c: accelerators,
 * published laws, costs).
 *
 * RFC 4180 quoting (doubled quotes inside), a UTF-8 BOM, CRLF, lone CR and LF line ends; spaces
 * and tabs around an unquoted field, or around a quoted one, are not part of it (", " separators
 * are common in hand-written files; inside quotes they are kept); a line holding nothing but
 * blanks is skipped. Failures are SF_EINPUT with "'ORIGIN' line L, column J: what": an
 * unterminated quote (naming where it opened), text after a closing quote, a NUL byte. Every
 * field and record carries the line it starts on, so the readers above can name a bad cell the
 * same way. Fields are NUL-terminated in one arena owned by the sf_csvtok.
 */
#ifndef SF_STORE_CSVTOK_H
#define SF_STORE_CSVTOK_H

#include <stddef.h>

#include "util/util.h"

typedef struct sf_csvtok_field {
  size_t off;  /* text at arena.s + off, NUL-terminated */
  size_t line; /* line where the field starts */
  int quoted;
} sf_csvtok_field;

typedef struct sf_csvtok_record {
  size_t first, n; /* fields f[first .. first + n) */
  size_t line;     /* line where the record starts */
} sf_csvtok_record;

typedef struct sf_csvtok {
  sf_buf arena;
  sf_csvtok_field *f;
  size_t nf, capf;
  sf_csvtok_record *r;
  size_t nr, capr;
} sf_csvtok;

/* Splits s[0..len) into p (zeroed by the caller, freed with sf_csvtok_free even on failure);
 * origin names the text in messages. */
int sf_csvtok_split(const char *s, size_t len, const char *origin, sf_csvtok *p);
void sf_csvtok_free(sf_csvtok *p);

/* Text of field k of record r (k < p->r[r].n). */
static inline char *sf_csvtok_text(const sf_csvtok *p, size_t r, size_t k) {
  return p->arena.s + p->f[p->r[r].first + k].off;
}


#endif
