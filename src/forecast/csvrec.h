/* csvrec.h: records of fields from the shipped reference tables (accelerators, published laws,
 * costs), whose text columns (names, aliases, formulas, sources) the run store's numeric CSV
 * reader skips by design. Internal to src/forecast. The text is cut by the store's tokenizer
 * (store/csvtok.h: quoting, BOM, line ends, blank lines, and "'file' line L, column J" in its
 * errors), so both readers accept the same files and report the same way; this only gives the
 * records a by-name view for tables that are not runs.
 */
#ifndef SF_FORECAST_CSVREC_H
#define SF_FORECAST_CSVREC_H

#include <stddef.h>

#include "store/csvtok.h"

typedef struct sf_csvrec {
  size_t nrec;     /* records, the header included */
  size_t *nfield;  /* per record */
  char ***field;   /* field[r][k], NUL-terminated text in tok.text */
  size_t *line;    /* line where record r starts */
  char *origin;
  sf_csvtok tok;   /* owns the text */
} sf_csvrec;

/* Reads path; SF_EINPUT naming the file (and the line and column of a malformed field). */
int sf_csvrec_read(const char *path, sf_csvrec **out);
/* The same on text[0..len) held in memory; origin names it in messages. */
int sf_csvrec_parse(const char *text, size_t len, const char *origin, sf_csvrec **out);
void sf_csvrec_free(sf_csvrec *c);
/* Column index of header name (case-insensitive) in record 0, or -1. */
int sf_csvrec_col(const sf_csvrec *c, const char *name);
/* Field k of record r, or "" when the record is shorter. */
const char *sf_csvrec_get(const sf_csvrec *c, size_t r, int k);

#endif
