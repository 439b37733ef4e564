/* csvtok.h: the one CSV tokenizer (internal): text -> records of fields, for the run store's CSV
 * reader (csv.c) and the forecast stage's reference tables (forecast/csvrec.c: accelerators,
 * published laws, costs).
 *
 * RFC 4180 quoting (doubled quotes inside), a UTF-8 BOM, CRLF, lone CR and LF line ends; spaces
 * and tabs around an unquoted field, or around a quoted one, are not part of it (", " separators
 * are common in hand-written files; inside quotes they are kept); a line holding nothing but
 * blanks is skipped. Failures are SF_EINPUT with "'ORIGIN' line L, column J: what": an
 * unterminated quote (naming where it opened), text after a closing quote, a NUL byte.
 *
 * The fields are cut in place: each one's text (quotes undone) is moved down over the bytes it
 * came from and NUL-terminated where its separator was, so the text of a file costs its own size
 * once, and a record is one entry (where its first field starts, how many, its line) rather than
 * one per cell: a 1.3M-row CSV of 7 columns peaked at 5.7x its size with a copy of the text and a
 * 24-byte entry per cell. The fields of a record lie one after another, each after the previous
 * one's NUL; sf_csvtok_cells walks them. A field's line is its record's plus the line breaks in
 * the fields before it (a quoted field keeps its breaks as they were, CRLF, CR or LF).
 */
#ifndef SF_STORE_CSVTOK_H
#define SF_STORE_CSVTOK_H

#include <stddef.h>
#include <string.h>

#include "util/util.h"

typedef struct sf_csvtok_record {
  size_t off;  /* its first field at text + off; field k + 1 right after field k's NUL */
  size_t n;    /* fields, at least 1 */
  size_t line; /* line where the record starts */
} sf_csvtok_record;

typedef struct sf_csvtok {
  char *text; /* owned: the bytes, cut into NUL-terminated fields */
  sf_csvtok_record *r;
  size_t nr, capr;
  size_t nf;   /* fields in all records */
  size_t maxn; /* fields in the longest record */
} sf_csvtok;

/* Splits a copy of s[0..len) into p (zeroed by the caller, freed with sf_csvtok_free even on
 * failure); origin names the text in messages. */
int sf_csvtok_split(const char *s, size_t len, const char *origin, sf_csvtok *p);
/* The same without the copy: p takes s, which must be malloc'd with len + 1 bytes, and frees it
 * in sf_csvtok_free (also when this fails). */
int sf_csvtok_split_own(char *s, size_t len, const char *origin, sf_csvtok *p);
void sf_csvtok_free(sf_csvtok *p);

/* cell[0 .. p->r[r].n) = the fields of record r, in order. */
void sf_csvtok_cells(const sf_csvtok *p, size_t r, const char **cell);
/* The line where field k of record r starts, from cell as sf_csvtok_cells filled it. */
size_t sf_csvtok_line(const sf_csvtok *p, size_t r, const char *const *cell, size_t k);

/* Text of field k of record r (k < p->r[r].n): walks the fields before it. */
static inline const char *sf_csvtok_text(const sf_csvtok *p, size_t r, size_t k) {
  const char *s = p->text + p->r[r].off;
  while (k--) s += strlen(s) + 1;
  return s;
}

#endif
