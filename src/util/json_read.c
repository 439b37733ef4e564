/* json_read.c: a small recursive-descent JSON parser for reading saved fits and forecasts.
 *
 * Strict RFC 8259 except that a top-level value may be followed by whitespace only. Numbers are
 * parsed with strtod after validating the JSON number grammar, so "01", "1.", ".5" and "NaN" are
 * rejected as in the standard. Errors carry line and column. */
#include "util/util.h"

#include <scalefit/sf_error.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  const char *s, *end, *origin;
  const char *p;
  int depth;
} parser;

static int perr(parser *ps, const char *what) {
  size_t line = 1, col = 1;
  for (const char *q = ps->s; q < ps->p && q < ps->end; q++) {
    if (*q == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return sf_fail(SF_EINPUT, "'%s' line %zu column %zu: %s", ps->origin, line, col, what);
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static int parse_value(parser *ps, sf_jval *v);

static int hex4(parser *ps, unsigned *out) {
  if (ps->end - ps->p < 4) return perr(ps, "truncated \\u escape");
  unsigned u = 0;
  for (int i = 0; i < 4; i++) {
    char c = ps->p[i];
    u <<= 4;
    if (c >= '0' && c <= '9') u |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') u |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') u |= (unsigned)(c - 'A' + 10);
    else return perr(ps, "bad hex digit in \\u escape");
  }
  ps->p += 4;
  *out = u;
  return SF_OK;
}

static void put_utf8(sf_buf *b, unsigned cp) {
  if (cp < 0x80) {
    sf_buf_addc(b, (char)cp);
  } else if (cp < 0x800) {
    sf_buf_addc(b, (char)(0xC0 | (cp >> 6)));
    sf_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    sf_buf_addc(b, (char)(0xE0 | (cp >> 12)));
    sf_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    sf_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
  } else {
    sf_buf_addc(b, (char)(0xF0 | (cp >> 18)));
    sf_buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
    sf_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
    sf_buf_addc(b, (char)(0x80 | (cp & 0x3F)));
  }
}

static int parse_string(parser *ps, char **out) {
  sf_buf b;
  sf_buf_init(&b);
  ps->p++; /* opening quote */
  for (;;) {
    if (ps->p >= ps->end) {
      sf_buf_free(&b);
      return perr(ps, "unterminated string");
    }
    unsigned char c = (unsigned char)*ps->p;
    if (c == '"') {
      ps->p++;
      break;
    }
    if (c < 0x20) {
      sf_buf_free(&b);
      return perr(ps, "control character in string");
    }
    if (c != '\\') {
      sf_buf_addc(&b, (char)c);
      ps->p++;
      continue;
    }
    ps->p++;
    if (ps->p >= ps->end) {
      sf_buf_free(&b);
      return perr(ps, "unterminated string");
    }
    char e = *ps->p++;
    unsigned cp, lo;
    switch (e) {
    case '"': sf_buf_addc(&b, '"'); break;
    case '\\': sf_buf_addc(&b, '\\'); break;
    case '/': sf_buf_addc(&b, '/'); break;
    case 'b': sf_buf_addc(&b, '\b'); break;
    case 'f': sf_buf_addc(&b, '\f'); break;
    case 'n': sf_buf_addc(&b, '\n'); break;
    case 'r': sf_buf_addc(&b, '\r'); break;
    case 't': sf_buf_addc(&b, '\t'); break;
    case 'u':
      if (hex4(ps, &cp)) {
        sf_buf_free(&b);
        return SF_EINPUT;
      }
      if (cp >= 0xD800 && cp < 0xDC00) {
        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
          sf_buf_free(&b);
          return perr(ps, "unpaired surrogate in \\u escape");
        }
        ps->p += 2;
        if (hex4(ps, &lo)) {
          sf_buf_free(&b);
          return SF_EINPUT;
        }
        if (lo < 0xDC00 || lo > 0xDFFF) {
          sf_buf_free(&b);
          return perr(ps, "unpaired surrogate in \\u escape");
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        sf_buf_free(&b);
        return perr(ps, "unpaired surrogate in \\u escape");
      }
      if (cp == 0) {
        sf_buf_free(&b);
        return perr(ps, "NUL character in string");
      }
      put_utf8(&b, cp);
      break;
    default: sf_buf_free(&b); return perr(ps, "bad escape in string");
    }
  }
  if (b.oom) {
    sf_buf_free(&b);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  *out = sf_buf_take(&b);
  return *out ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
}

static int parse_number(parser *ps, sf_jval *v) {
  const char *q = ps->p;
  if (q < ps->end && *q == '-') q++;
  if (q >= ps->end) return perr(ps, "bad number");
  if (*q == '0') {
    q++;
  } else if (*q >= '1' && *q <= '9') {
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  } else {
    return perr(ps, "bad number");
  }
  if (q < ps->end && *q == '.') {
    q++;
    if (q >= ps->end || *q < '0' || *q > '9') return perr(ps, "bad number: digits must follow '.'");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < ps->end && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < ps->end && (*q == '+' || *q == '-')) q++;
    if (q >= ps->end || *q < '0' || *q > '9') return perr(ps, "bad number: digits must follow the exponent");
    while (q < ps->end && *q >= '0' && *q <= '9') q++;
  }
  char tmp[64];
  size_t n = (size_t)(q - ps->p);
  if (n >= sizeof tmp) return perr(ps, "number too long");
  memcpy(tmp, ps->p, n);
  tmp[n] = '\0';
  v->type = SF_JNUM;
  v->num = strtod(tmp, NULL);
  if (!isfinite(v->num)) return perr(ps, "number out of range");
  ps->p = q;
  return SF_OK;
}

static int literal(parser *ps, const char *word, sf_jval *v, sf_jtype t, double num) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return perr(ps, "unexpected character");
  ps->p += n;
  v->type = t;
  v->num = num;
  return SF_OK;
}

/* Appends a zeroed element to a container, growing it geometrically (cap kept in *cap). */
static sf_jval *push(sf_jval *c, size_t *cap, int with_key) {
  if (c->n == *cap) {
    size_t nc = *cap ? 2 * *cap : 4;
    sf_jval *items = realloc(c->items, nc * sizeof *items);
    if (!items) return NULL;
    c->items = items;
    if (with_key) {
      char **keys = realloc(c->keys, nc * sizeof *keys);
      if (!keys) return NULL;
      c->keys = keys;
    }
    *cap = nc;
  }
  sf_jval *e = &c->items[c->n];
  memset(e, 0, sizeof *e);
  return e;
}

static int parse_container(parser *ps, sf_jval *v, int is_obj) {
  char close = is_obj ? '}' : ']';
  v->type = is_obj ? SF_JOBJ : SF_JARR;
  if (++ps->depth > SF_JSON_MAX_DEPTH) return perr(ps, "nesting too deep");
  ps->p++;
  skip_ws(ps);
  size_t cap = 0;
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    ps->depth--;
    return SF_OK;
  }
  for (;;) {
    skip_ws(ps);
    char *key = NULL;
    if (is_obj) {
      if (ps->p >= ps->end || *ps->p != '"') return perr(ps, "expected a string key");
      int rc = parse_string(ps, &key);
      if (rc) return rc;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        free(key);
        return perr(ps, "expected ':' after key");
      }
      ps->p++;
    }
    sf_jval *e = push(v, &cap, is_obj);
    if (!e) {
      free(key);
      return sf_fail(SF_ENOMEM, "out of memory");
    }
    if (is_obj) v->keys[v->n] = key;
    v->n++; /* counted before parsing so that sf_jfree frees a half-built element */
    int rc = parse_value(ps, e);
    if (rc) return rc;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      ps->depth--;
      return SF_OK;
    }
    return perr(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static int parse_value(parser *ps, sf_jval *v) {
  skip_ws(ps);
  if (ps->p >= ps->end) return perr(ps, "unexpected end of input");
  switch (*ps->p) {
  case '{': return parse_container(ps, v, 1);
  case '[': return parse_container(ps, v, 0);
  case '"': v->type = SF_JSTR; return parse_string(ps, &v->str);
  case 't': return literal(ps, "true", v, SF_JBOOL, 1);
  case 'f': return literal(ps, "false", v, SF_JBOOL, 0);
  case 'n': return literal(ps, "null", v, SF_JNULL, NAN);
  default: return parse_number(ps, v);
  }
}

static void free_inner(sf_jval *v) {
  if (v->type == SF_JSTR) free(v->str);
  if (v->type == SF_JARR || v->type == SF_JOBJ) {
    for (size_t i = 0; i < v->n; i++) {
      free_inner(&v->items[i]);
      if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
  }
}

void sf_jfree(sf_jval *v) {
  if (!v) return;
  free_inner(v);
  free(v);
}

int sf_jparse(const char *text, size_t len, const char *origin, sf_jval **out) {
  *out = NULL;
  parser ps = {.s = text, .end = text + len, .origin = origin ? origin : "json", .p = text};
  sf_jval *v = calloc(1, sizeof *v);
  if (!v) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = parse_value(&ps, v);
  if (!rc) {
    skip_ws(&ps);
    if (ps.p != ps.end) rc = perr(&ps, "unexpected text after the JSON value");
  }
  if (rc) {
    sf_jfree(v);
    return rc;
  }
  *out = v;
  return SF_OK;
}

int sf_jparse_file(const char *path, sf_jval **out) {
  *out = NULL;
  char *text;
  size_t len;
  int rc = sf_read_file(path, SF_EINPUT, &text, &len);
  if (rc) return rc;
  rc = sf_jparse(text, len, path, out);
  free(text);
  return rc;
}

const sf_jval *sf_jget(const sf_jval *obj, const char *key) {
  if (!obj || obj->type != SF_JOBJ) return NULL;
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

const sf_jval *sf_jat(const sf_jval *arr, size_t i) {
  if (!arr || (arr->type != SF_JARR && arr->type != SF_JOBJ) || i >= arr->n) return NULL;
  return &arr->items[i];
}

double sf_jnum(const sf_jval *v, double fallback) {
  if (v && v->type == SF_JNUM) return v->num;
  if (v && v->type == SF_JNULL) return NAN;
  return fallback;
}

const char *sf_jstr(const sf_jval *v, const char *fallback) {
  return v && v->type == SF_JSTR ? v->str : fallback;
}
