/* accel.c: the accelerator table (datasets/accelerators.csv) for cost forecasts: names and
 * aliases as people type them, and dense peak FLOP/s per precision. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/csvrec.h"
#include "util/util.h"

static const char *const precisions[4] = {"bf16", "fp16", "tf32", "fp32"};

void sf_accel_free(sf_accel_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) {
    free(t->a[i].name);
    free(t->a[i].aliases);
    free(t->a[i].vendor);
  }
  free(t->a);
  free(t->origin);
  free(t);
}

int sf_accel_load(const char *path, sf_accel_table **out) {
  *out = NULL;
  sf_csvrec *c = NULL;
  int rc = sf_csvrec_read(path, &c);
  if (rc != SF_OK) return rc;
  int cname = sf_csvrec_col(c, "name"), calias = sf_csvrec_col(c, "aliases"), cvendor = sf_csvrec_col(c, "vendor");
  int cp[4];
  char col[32];
  for (int k = 0; k < 4; k++) {
    snprintf(col, sizeof col, "%s_tflops", precisions[k]);
    cp[k] = sf_csvrec_col(c, col);
  }
  if (cname < 0 || calias < 0 || cp[0] < 0) {
    rc = sf_fail(SF_EINPUT, "'%s' line 1: expected columns name, aliases, bf16_tflops, ...", path);
    sf_csvrec_free(c);
    return rc;
  }
  sf_accel_table *t = calloc(1, sizeof *t);
  if (t) t->a = calloc(c->nrec, sizeof *t->a);
  if (!t || !t->a) {
    free(t);
    sf_csvrec_free(c);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  t->origin = sf_strdup(path);
  for (size_t r = 1; r < c->nrec && rc == SF_OK; r++) {
    sf_accel *a = &t->a[t->n++];
    a->name = sf_strdup(sf_csvrec_get(c, r, cname));
    a->aliases = sf_strdup(sf_csvrec_get(c, r, calias));
    a->vendor = sf_strdup(sf_csvrec_get(c, r, cvendor));
    if (!a->name || !a->aliases || !a->vendor) rc = sf_fail(SF_ENOMEM, "out of memory");
    for (int k = 0; k < 4 && rc == SF_OK; k++) {
      const char *s = sf_csvrec_get(c, r, cp[k]);
      a->tflops[k] = NAN;
      if (!*s) continue;
      if (!sf_parse_double(s, &a->tflops[k]) || !(a->tflops[k] > 0))
        rc = sf_fail(SF_EINPUT, "'%s' line %zu: %s_tflops '%s' is not a positive number", path, c->line[r],
                     precisions[k], s);
    }
    if (rc == SF_OK && !a->name[0]) rc = sf_fail(SF_EINPUT, "'%s' line %zu: empty name", path, c->line[r]);
  }
  sf_csvrec_free(c);
  if (rc != SF_OK) {
    sf_accel_free(t);
    return rc;
  }
  *out = t;
  return SF_OK;
}

/* Case-insensitive equality that also treats ' ', '-' and '_' alike ("TPU v4" = "tpu-v4"). */
static int name_eq(const char *a, const char *b, size_t blen) {
  size_t i = 0;
  for (; a[i] && i < blen; i++) {
    int x = tolower((unsigned char)a[i]), y = tolower((unsigned char)b[i]);
    if (x == ' ' || x == '_') x = '-';
    if (y == ' ' || y == '_') y = '-';
    if (x != y) return 0;
  }
  return !a[i] && i == blen;
}

const sf_accel *sf_accel_find(const sf_accel_table *t, const char *name) {
  if (!name || !*name) return NULL;
  for (size_t i = 0; i < t->n; i++) {
    const sf_accel *a = &t->a[i];
    if (name_eq(name, a->name, strlen(a->name))) return a;
    const char *p = a->aliases;
    while (*p) {
      const char *end = strchr(p, ';');
      size_t len = end ? (size_t)(end - p) : strlen(p);
      if (len && name_eq(name, p, len)) return a;
      if (!end) break;
      p = end + 1;
    }
  }
  return NULL;
}

char *sf_accel_names(const sf_accel_table *t) {
  sf_buf b;
  sf_buf_init(&b);
  for (size_t i = 0; i < t->n; i++) {
    const char *al = t->a[i].aliases;
    size_t len = strcspn(al, ";");
    sf_buf_add(&b, i ? ", " : "");
    if (len) sf_buf_addn(&b, al, len);
    else sf_buf_add(&b, t->a[i].name);
  }
  return sf_buf_take(&b);
}

int sf_accel_peak(const sf_accel *a, const char *precision, double *flops_per_s) {
  for (int k = 0; k < 4; k++)
    if (sf_strcaseeq(precision, precisions[k])) {
      if (isnan(a->tflops[k])) {
        /* the precisions it has, in words both a command line and a report spec can use */
        char has[64] = "";
        for (int q = 0; q < 4; q++)
          if (!isnan(a->tflops[q]))
            snprintf(has + strlen(has), sizeof has - strlen(has), "%s%s", has[0] ? ", " : "", precisions[q]);
        return sf_fail(SF_EINPUT, "the accelerator table has no %s peak for '%s' (it lists %s)", precisions[k], a->name,
                       has[0] ? has : "none");
      }
      *flops_per_s = a->tflops[k] * 1e12;
      return SF_OK;
    }
  return sf_fail(SF_EUSAGE, "unknown precision '%s' (expected bf16, fp16, tf32 or fp32)", precision);
}
