/* csvtok.c: the one CSV tokenizer, text -> records of fields (contract in csvtok.h). The run
 * store's reader (csv.c) interprets the records as a table of runs; the forecast stage's record
 * reader (forecast/csvrec.c) hands them to the accelerator, published-law and cost tables.
 */
#include "store/csvtok.h"

#include <scalefit/sf_error.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sf_csvtok_free(sf_csvtok *p) {
  free(p->text);
  free(p->r);
  memset(p, 0, sizeof *p);
}

static int push_record(sf_csvtok *p, size_t off, size_t n, size_t line) {
  if (p->nr == p->capr) {
    size_t cap = p->capr ? 2 * p->capr : 64;
    sf_csvtok_record *r = realloc(p->r, cap * sizeof *r);
    if (!r) return sf_fail(SF_ENOMEM, "out of memory");
    p->r = r;
    p->capr = cap;
  }
  p->r[p->nr++] = (sf_csvtok_record){off, n, line};
  p->nf += n;
  if (n > p->maxn) p->maxn = n;
  return SF_OK;
}

/* Cuts s[0..len) in place. Writing at w never overtakes reading at pos: a field's text is never
 * longer than the bytes it came from, and its NUL goes where its separator (or, for the last field
 * of a file without a final line end, s[len]) was, after the separator has been read. */
static int split(char *s, size_t len, const char *origin, sf_csvtok *p) {
  size_t pos = 0, w = 0, line = 1;
  if (len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) pos = 3;
  while (pos < len) {
    size_t rec_off = w, rec_line = line, n = 0;
    int first_quoted = 0;
    for (;;) {
      int quoted = 0;
      /* Spaces around a field are not part of it (", " separators are common in hand-written
       * files); inside quotes they are kept. */
      size_t lead = pos;
      while (lead < len && (s[lead] == ' ' || s[lead] == '\t')) lead++;
      if (lead < len && s[lead] == '"') pos = lead;
      if (pos < len && s[pos] == '"') {
        size_t fline = line;
        quoted = 1;
        pos++;
        for (;;) {
          if (pos >= len)
            return sf_fail(SF_EINPUT, "'%s' line %zu, column %zu: quoted field is not closed before the end of the file",
                           origin, fline, n + 1);
          char c = s[pos];
          if (c == '"') {
            if (pos + 1 < len && s[pos + 1] == '"') {
              s[w++] = '"';
              pos += 2;
              continue;
            }
            pos++;
            break;
          }
          if (c == '\0')
            return sf_fail(SF_EINPUT, "'%s' line %zu: NUL byte (is this a text file?)", origin, line);
          if (c == '\n' || (c == '\r' && !(pos + 1 < len && s[pos + 1] == '\n'))) line++;
          s[w++] = c;
          pos++;
        }
        while (pos < len && (s[pos] == ' ' || s[pos] == '\t')) pos++;
        if (pos < len && s[pos] != ',' && s[pos] != '\n' && s[pos] != '\r')
          return sf_fail(SF_EINPUT, "'%s' line %zu, column %zu: unexpected '%c' after a closing quote", origin, line,
                         n + 1, isprint((unsigned char)s[pos]) ? s[pos] : '?');
      } else {
        size_t start = pos;
        while (pos < len && s[pos] != ',' && s[pos] != '\n' && s[pos] != '\r') {
          if (s[pos] == '\0')
            return sf_fail(SF_EINPUT, "'%s' line %zu: NUL byte (is this a text file?)", origin, line);
          pos++;
        }
        size_t a = start, b = pos;
        while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
        memmove(s + w, s + a, b - a);
        w += b - a;
      }
      if (n == 0) first_quoted = quoted;
      n++;
      char sep = pos < len ? s[pos] : '\0';
      s[w++] = '\0';
      if (sep == ',') {
        pos++;
        continue;
      }
      if (sep == '\r' || sep == '\n') pos++;
      if (sep == '\r' && pos < len && s[pos] == '\n') pos++;
      line++;
      break;
    }
    if (n == 1 && !first_quoted && s[rec_off] == '\0') {
      w = rec_off; /* blank line */
      continue;
    }
    int rc = push_record(p, rec_off, n, rec_line);
    if (rc) return rc;
  }
  return SF_OK;
}

int sf_csvtok_split_own(char *s, size_t len, const char *origin, sf_csvtok *p) {
  p->text = s;
  s[len] = '\0'; /* an empty text is still a string */
  return split(s, len, origin, p);
}

int sf_csvtok_split(const char *s, size_t len, const char *origin, sf_csvtok *p) {
  char *copy = malloc(len + 1);
  if (!copy) return sf_fail(SF_ENOMEM, "out of memory");
  if (len) memcpy(copy, s, len);
  return sf_csvtok_split_own(copy, len, origin, p);
}

void sf_csvtok_cells(const sf_csvtok *p, size_t r, const char **cell) {
  const char *s = p->text + p->r[r].off;
  for (size_t k = 0; k < p->r[r].n; k++) {
    cell[k] = s;
    s += strlen(s) + 1;
  }
}

size_t sf_csvtok_line(const sf_csvtok *p, size_t r, const char *const *cell, size_t k) {
  size_t line = p->r[r].line;
  for (size_t i = 0; i < k; i++)
    for (const char *c = cell[i]; *c; c++)
      if (*c == '\n' || (*c == '\r' && c[1] != '\n')) line++;
  return line;
}
