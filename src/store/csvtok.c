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
  sf_buf_free(&p->arena);
  free(p->f);
  free(p->r);
}

static int push_field(sf_csvtok *p, size_t off, size_t line, int quoted) {
  if (p->nf == p->capf) {
    size_t cap = p->capf ? 2 * p->capf : 64;
    sf_csvtok_field *f = realloc(p->f, cap * sizeof *f);
    if (!f) return sf_fail(SF_ENOMEM, "out of memory");
    p->f = f;
    p->capf = cap;
  }
  p->f[p->nf++] = (sf_csvtok_field){off, line, quoted};
  return SF_OK;
}

static int push_record(sf_csvtok *p, size_t first, size_t n, size_t line) {
  if (p->nr == p->capr) {
    size_t cap = p->capr ? 2 * p->capr : 64;
    sf_csvtok_record *r = realloc(p->r, cap * sizeof *r);
    if (!r) return sf_fail(SF_ENOMEM, "out of memory");
    p->r = r;
    p->capr = cap;
  }
  p->r[p->nr++] = (sf_csvtok_record){first, n, line};
  return SF_OK;
}

int sf_csvtok_split(const char *s, size_t len, const char *origin, sf_csvtok *p) {
  size_t pos = 0, line = 1;
  if (len >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF) pos = 3;
  sf_buf_addc(&p->arena, '\0'); /* offset 0 is never a field, so arena.s is allocated */
  while (pos < len) {
    size_t first = p->nf, rec_line = line;
    for (;;) {
      size_t off = p->arena.len, fline = line;
      int quoted = 0;
      /* Spaces around a field are not part of it (", " separators are common in hand-written
       * files); inside quotes they are kept. */
      size_t lead = pos;
      while (lead < len && (s[lead] == ' ' || s[lead] == '\t')) lead++;
      if (lead < len && s[lead] == '"') pos = lead;
      if (pos < len && s[pos] == '"') {
        quoted = 1;
        pos++;
        for (;;) {
          if (pos >= len)
            return sf_fail(SF_EINPUT, "'%s' line %zu, column %zu: quoted field is not closed before the end of the file",
                           origin, fline, p->nf - first + 1);
          char c = s[pos];
          if (c == '"') {
            if (pos + 1 < len && s[pos + 1] == '"') {
              sf_buf_addc(&p->arena, '"');
              pos += 2;
              continue;
            }
            pos++;
            break;
          }
          if (c == '\0')
            return sf_fail(SF_EINPUT, "'%s' line %zu: NUL byte (is this a text file?)", origin, line);
          if (c == '\n' || (c == '\r' && !(pos + 1 < len && s[pos + 1] == '\n'))) line++;
          sf_buf_addc(&p->arena, c);
          pos++;
        }
        while (pos < len && (s[pos] == ' ' || s[pos] == '\t')) pos++;
        if (pos < len && s[pos] != ',' && s[pos] != '\n' && s[pos] != '\r')
          return sf_fail(SF_EINPUT, "'%s' line %zu, column %zu: unexpected '%c' after a closing quote", origin, line,
                         p->nf - first + 1, isprint((unsigned char)s[pos]) ? s[pos] : '?');
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
        sf_buf_addn(&p->arena, s + a, b - a);
      }
      sf_buf_addc(&p->arena, '\0');
      if (p->arena.oom) return sf_fail(SF_ENOMEM, "out of memory");
      int rc = push_field(p, off, fline, quoted);
      if (rc) return rc;
      if (pos < len && s[pos] == ',') {
        pos++;
        continue;
      }
      if (pos < len && s[pos] == '\r') pos++;
      if (pos < len && s[pos] == '\n') pos++;
      line++;
      break;
    }
    size_t n = p->nf - first;
    if (n == 1 && !p->f[first].quoted && p->arena.s[p->f[first].off] == '\0') {
      p->nf = first; /* blank line */
      continue;
    }
    int rc = push_record(p, first, n, rec_line);
    if (rc) return rc;
  }
  return SF_OK;
}

