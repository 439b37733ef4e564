/* csvrec.c: the record view behind the accelerator, published-law and cost tables (see csvrec.h):
 * the store's tokenizer cuts the text, this indexes its records by row and column. */
#include "forecast/csvrec.h"

#include <scalefit/sf_error.h>

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void sf_csvrec_free(sf_csvrec *c) {
  if (!c) return;
  if (c->field) free(c->field[0]);
  free(c->field);
  free(c->nfield);
  free(c->line);
  free(c->origin);
  sf_csvtok_free(&c->tok);
  free(c);
}

int sf_csvrec_read(const char *path, sf_csvrec **out) {
  *out = NULL;
  char *text = NULL;
  size_t len = 0;
  int rc = sf_read_file(path, SF_EINPUT, &text, &len);
  if (!rc) rc = sf_csvrec_parse(text, len, path, out);
  free(text);
  return rc;
}

int sf_csvrec_parse(const char *s, size_t len, const char *origin, sf_csvrec **out) {
  *out = NULL;
  sf_csvrec *c = calloc(1, sizeof *c);
  if (!c) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = sf_csvtok_split(s, len, origin, &c->tok);
  if (rc) {
    sf_csvrec_free(c);
    return rc;
  }
  const sf_csvtok *t = &c->tok;
  if (t->nr == 0) {
    sf_csvrec_free(c);
    return sf_fail(SF_EINPUT, "'%s' is empty (expected a header line)", origin);
  }
  c->origin = sf_strdup(origin);
  c->field = malloc(t->nr * sizeof *c->field);
  c->nfield = malloc(t->nr * sizeof *c->nfield);
  c->line = malloc(t->nr * sizeof *c->line);
  char **all = c->field ? malloc(t->nf * sizeof *all) : NULL; /* every record has a field */
  if (c->field) c->field[0] = all;
  if (!c->origin || !all || !c->nfield || !c->line) {
    sf_csvrec_free(c);
    return sf_fail(SF_ENOMEM, "out of memory reading '%s'", origin);
  }
  for (size_t r = 0, k = 0; r < t->nr; k += t->r[r].n, r++) {
    c->field[r] = all + k;
    sf_csvtok_cells(t, r, (const char **)c->field[r]);
    c->nfield[r] = t->r[r].n;
    c->line[r] = t->r[r].line;
  }
  c->nrec = t->nr;
  *out = c;
  return SF_OK;
}

int sf_csvrec_col(const sf_csvrec *c, const char *name) {
  for (size_t k = 0; c->nrec && k < c->nfield[0]; k++)
    if (sf_strcaseeq(c->field[0][k], name)) return (int)k;
  return -1;
}

const char *sf_csvrec_get(const sf_csvrec *c, size_t r, int k) {
  if (r >= c->nrec || k < 0 || (size_t)k >= c->nfield[r]) return "";
  return c->field[r][k];
}
