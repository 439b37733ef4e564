/* columns.c: what a CSV header means. Maps the many spellings found in papers and spreadsheets
 * ("Model Size (B)", "Training FLOP", "FLOPs (1E21)", "ARC-C [fraction]") onto scalefit's
 * canonical columns (N, D, C, loss, and U for unique tokens), text fields (run, family, source, notes, derived) or a
 * metric with a normalised lower-case name, plus a scale factor and a unit. docs/FORMAT.md
 * documents the same table; keep the two in step.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

typedef struct alias {
  const char *key; /* lower case, without spaces, '_' and '-' */
  const char *name;
  enum sf_field_kind kind;
} alias;

static const alias aliases[] = {
    {"n", "N", SF_FIELD_NUMERIC},          {"params", "N", SF_FIELD_NUMERIC},
    {"parameters", "N", SF_FIELD_NUMERIC}, {"modelsize", "N", SF_FIELD_NUMERIC},
    {"nparams", "N", SF_FIELD_NUMERIC},    {"numparams", "N", SF_FIELD_NUMERIC},
    {"size", "N", SF_FIELD_NUMERIC},

    {"d", "D", SF_FIELD_NUMERIC},          {"tokens", "D", SF_FIELD_NUMERIC},
    {"trainingtokens", "D", SF_FIELD_NUMERIC}, {"datasetsize", "D", SF_FIELD_NUMERIC},
    {"data", "D", SF_FIELD_NUMERIC},       {"pretrainingdatasize", "D", SF_FIELD_NUMERIC},
    {"ntokens", "D", SF_FIELD_NUMERIC},

    /* unique tokens of a run that repeats its data (D/U epochs; the datacon law) */
    {"u", "U", SF_FIELD_NUMERIC},          {"uniquetokens", "U", SF_FIELD_NUMERIC},
    {"nuniquetokens", "U", SF_FIELD_NUMERIC}, {"uniquedata", "U", SF_FIELD_NUMERIC},

    {"c", "C", SF_FIELD_NUMERIC},          {"compute", "C", SF_FIELD_NUMERIC},
    {"flops", "C", SF_FIELD_NUMERIC},      {"flop", "C", SF_FIELD_NUMERIC},
    {"trainingflop", "C", SF_FIELD_NUMERIC}, {"trainingflops", "C", SF_FIELD_NUMERIC},
    {"trainingcompute", "C", SF_FIELD_NUMERIC},

    {"loss", "loss", SF_FIELD_NUMERIC},    {"finalloss", "loss", SF_FIELD_NUMERIC},
    {"valloss", "loss", SF_FIELD_NUMERIC}, {"validationloss", "loss", SF_FIELD_NUMERIC},

    {"run", "run", SF_FIELD_RUN},          {"name", "run", SF_FIELD_RUN},
    {"model", "run", SF_FIELD_RUN},
    {"family", "family", SF_FIELD_FAMILY}, {"modelfamily", "family", SF_FIELD_FAMILY},
    {"source", "source", SF_FIELD_SOURCE}, {"reference", "source", SF_FIELD_SOURCE},
    {"citation", "source", SF_FIELD_SOURCE},
    {"notes", "notes", SF_FIELD_NOTES},    {"note", "notes", SF_FIELD_NOTES},
    {"comment", "notes", SF_FIELD_NOTES},  {"comments", "notes", SF_FIELD_NOTES},
    {"derived", "derived", SF_FIELD_DERIVED},
};

static const char *fixed_unit(const char *name) {
  if (strcmp(name, "N") == 0) return "parameters";
  if (strcmp(name, "D") == 0 || strcmp(name, "U") == 0) return "tokens";
  if (strcmp(name, "C") == 0) return "FLOP";
  if (strcmp(name, "loss") == 0) return "nats/token";
  return NULL;
}

/* Scale words inside parentheses; anything else in parentheses stays part of the name. */
static int parse_scale(const char *s, size_t n, double *scale) {
  if (n == 1) {
    switch (toupper((unsigned char)s[0])) {
    case 'K': *scale = 1e3; return 1;
    case 'M': *scale = 1e6; return 1;
    case 'B': case 'G': *scale = 1e9; return 1;
    case 'T': *scale = 1e12; return 1;
    }
    return 0;
  }
  /* 1Ennn, 1e+nn, 1e-nn: a power of ten */
  if (n < 3 || n > 6 || s[0] != '1' || (s[1] != 'e' && s[1] != 'E')) return 0;
  size_t i = 2;
  int neg = 0;
  if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
  if (i >= n) return 0;
  int e = 0;
  for (; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return 0;
    e = e * 10 + (s[i] - '0');
  }
  if (e > 300) return 0;
  *scale = pow(10.0, neg ? -e : e);
  return 1;
}

static size_t trim(const char **s, size_t n) {
  while (n && isspace((unsigned char)(*s)[0])) (*s)++, n--;
  while (n && isspace((unsigned char)(*s)[n - 1])) n--;
  return n;
}

int sf_header_canonical(const char *header, char **name, char **unit, double *scale, enum sf_field_kind *kind) {
  const char *h = header ? header : "";
  size_t n = trim(&h, strlen(h));
  const char *unit_s = NULL, *scale_s = NULL;
  size_t unit_n = 0, scale_n = 0;
  double sc = 1.0;
  *name = *unit = NULL;
  /* Peel "[unit]" and "(scale)" suffixes off the end, in either order, at most one of each. */
  for (int pass = 0; pass < 2 && n; pass++) {
    char last = h[n - 1];
    if (last == ']' && !unit_s) {
      size_t i = n - 1;
      while (i > 0 && h[i - 1] != '[') i--;
      if (i == 0) break;
      unit_s = h + i;
      unit_n = n - 1 - i;
      n = i - 1;
    } else if (last == ')' && !scale_s) {
      size_t i = n - 1;
      while (i > 0 && h[i - 1] != '(') i--;
      if (i == 0) break;
      const char *in = h + i;
      size_t in_n = trim(&in, n - 1 - i);
      double s;
      if (in_n == 1 && in[0] == '%' && !unit_s) { /* "Accuracy (%)" is a unit, not a scale */
        unit_s = in;
        unit_n = 1;
      } else if (parse_scale(in, in_n, &s)) {
        sc = s;
      } else {
        break; /* "(smoothed)": part of the name */
      }
      scale_s = in;
      scale_n = in_n;
      n = i - 1;
    } else {
      break;
    }
    while (n && isspace((unsigned char)h[n - 1])) n--;
  }
  (void)scale_n;
  if (unit_s) unit_n = trim(&unit_s, unit_n);
  if (n == 0) return sf_fail(SF_EINPUT, "header '%s' has no name", header ? header : "");

  /* Alias key: lower case without spaces, '_' and '-'. */
  char *key = malloc(n + 1);
  if (!key) return sf_fail(SF_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = h[i];
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    key[k++] = (char)tolower((unsigned char)c);
  }
  key[k] = '\0';
  const alias *a = NULL;
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcmp(aliases[i].key, key) == 0) a = &aliases[i];
  free(key);

  char *nm = NULL;
  if (a) {
    if (a->kind != SF_FIELD_NUMERIC && (unit_s || sc != 1.0))
      return sf_fail(SF_EINPUT, "header '%s': text column '%s' takes no scale or unit", header, a->name);
    const char *fu = fixed_unit(a->name);
    if (fu && unit_s && !(unit_n == strlen(fu) && strncasecmp(unit_s, fu, unit_n) == 0))
      return sf_fail(SF_EINPUT, "header '%s': the unit of '%s' is %s (use a scale such as (B) instead)", header,
                     a->name, fu);
    nm = sf_strdup(a->name);
    *unit = sf_strdup(fu ? fu : "");
    *kind = a->kind;
  } else {
    /* Metric: lower case, runs of other characters become one '_', none at either end. */
    nm = malloc(n + 1);
    if (!nm) return sf_fail(SF_ENOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)h[i];
      if (isalnum(c)) nm[m++] = (char)tolower(c);
      else if (c >= 0x80) nm[m++] = (char)c; /* keep UTF-8 letters as they are */
      else if (m && nm[m - 1] != '_') nm[m++] = '_';
    }
    while (m && nm[m - 1] == '_') m--;
    nm[m] = '\0';
    if (m == 0) {
      free(nm);
      return sf_fail(SF_EINPUT, "header '%s' has no letters or digits to name a column", header);
    }
    /* "#params" or "?derived?" would become a metric named like a known column: refuse rather
     * than guess which was meant (and never shadow N, D, C, loss or a text field). */
    const alias *clash = NULL;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
      const char *x = aliases[i].key, *y = nm;
      while (*x || *y) {
        while (*y == '_') y++;
        if (*x != *y) break;
        if (*x) x++, y++;
      }
      if (!*x && !*y) clash = &aliases[i];
    }
    if (clash) {
      int rc = sf_fail(SF_EINPUT, "header '%s' would be a metric named '%s', which means '%s' (rename the column)",
                       header, nm, clash->name);
      free(nm);
      return rc;
    }
    *unit = unit_s ? malloc(unit_n + 1) : sf_strdup("");
    if (*unit && unit_s) {
      memcpy(*unit, unit_s, unit_n);
      (*unit)[unit_n] = '\0';
    }
    *kind = SF_FIELD_NUMERIC;
  }
  if (!nm || !*unit) {
    free(nm);
    free(*unit);
    *unit = NULL;
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  *name = nm;
  *scale = sc;
  return SF_OK;
}

int sf_header_column(const char *name, char *out, size_t n) {
  char *nm = NULL, *unit = NULL;
  double scale;
  enum sf_field_kind kind;
  int ok = sf_header_canonical(name, &nm, &unit, &scale, &kind) == SF_OK && kind == SF_FIELD_NUMERIC && scale == 1 &&
           strlen(nm) < n;
  if (!ok) sf_error_clear(); /* a name that is no header at all is simply no column */
  snprintf(out, n, "%s", ok ? nm : "");
  free(nm);
  free(unit);
  return ok;
}

int sf_header_text_field(const char *name) {
  char *nm = NULL, *unit = NULL;
  double scale;
  enum sf_field_kind kind;
  int text = sf_header_canonical(name, &nm, &unit, &scale, &kind) == SF_OK && kind != SF_FIELD_NUMERIC &&
             kind != SF_FIELD_DERIVED;
  sf_error_clear();
  free(nm);
  free(unit);
  return text;
}
