/* buf.c: growable strings and the small string/path helpers of util.h. */
#include "util/util.h"

#include <scalefit/sf_error.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void sf_buf_init(sf_buf *b) { memset(b, 0, sizeof *b); }

void sf_buf_free(sf_buf *b) {
  free(b->s);
  sf_buf_init(b);
}

void sf_buf_clear(sf_buf *b) {
  b->len = 0;
  if (b->s) b->s[0] = '\0';
}

static int grow(sf_buf *b, size_t extra) {
  if (b->oom) return 0;
  if (b->len + extra + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  char *s = realloc(b->s, cap);
  if (!s) {
    b->oom = 1;
    return 0;
  }
  b->s = s;
  b->cap = cap;
  return 1;
}

void sf_buf_addn(sf_buf *b, const char *s, size_t n) {
  if (!grow(b, n)) return;
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sf_buf_add(sf_buf *b, const char *s) { sf_buf_addn(b, s, strlen(s)); }
void sf_buf_addc(sf_buf *b, char c) { sf_buf_addn(b, &c, 1); }

void sf_buf_vprintf(sf_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0 || !grow(b, (size_t)n)) return;
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

void sf_buf_printf(sf_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sf_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

const char *sf_buf_str(const sf_buf *b) { return b->s ? b->s : ""; }

char *sf_buf_take(sf_buf *b) {
  char *s = b->s ? b->s : sf_strdup("");
  sf_buf_init(b);
  return s;
}

char *sf_strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

char *sf_asprintf(const char *fmt, ...) {
  sf_buf b;
  sf_buf_init(&b);
  va_list ap;
  va_start(ap, fmt);
  sf_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  if (b.oom) {
    sf_buf_free(&b);
    return NULL;
  }
  return sf_buf_take(&b);
}

const char *sf_path_ext(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(path, '.');
  if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1)) return "";
  return dot;
}

int sf_ext_is(const char *path, const char *ext) { return strcasecmp(sf_path_ext(path), ext) == 0; }

int sf_file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

int sf_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int sf_strcaseeq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

int sf_read_file(const char *path, int code, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) return sf_fail(code, "cannot open '%s': %s", path, strerror(errno));
  sf_buf b;
  sf_buf_init(&b);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) sf_buf_addn(&b, chunk, n);
  int err = ferror(fp) ? errno : 0;
  fclose(fp);
  if (err || b.oom) {
    sf_buf_free(&b);
    return err ? sf_fail(code, "cannot read '%s': %s", path, strerror(err))
               : sf_fail(SF_ENOMEM, "out of memory reading '%s'", path);
  }
  *len = b.len;
  *text = b.s ? sf_buf_take(&b) : sf_strdup("");
  return *text ? SF_OK : sf_fail(SF_ENOMEM, "out of memory reading '%s'", path);
}

int sf_parse_double(const char *s, double *out) {
  if (!s) return 0;
  while (isspace((unsigned char)*s)) s++;
  if (!*s) return 0;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (end == s) return 0;
  while (isspace((unsigned char)*end)) end++;
  if (*end) return 0;
  if (!isfinite(v)) return 0; /* "nan", "inf" and overflow to inf are not data */
  if (errno == ERANGE && v != 0.0) return 0;
  *out = v;
  return 1;
}

/* The double nearest 10^k, as the literal "1eK" reads (pow(10, 23) is 1.0000000000000001e+23,
 * one ulp above the literal 1e23). */
static double pow10_nearest(int k) {
  char lit[16];
  snprintf(lit, sizeof lit, "1e%d", k);
  return strtod(lit, NULL);
}

void sf_logspace(double lo, double hi, size_t n, double *out) {
  if (n == 0) return;
  /* steps in decades; a point a whole number of decades from lo is lo times that power of ten,
   * rounded once, so 1e21:1e25:5 gives exactly the literals 1e21 ... 1e25 (exp(log(1e21)) is
   * 9.999999999999983e+20); the ends are lo and hi as given */
  double a = log10(lo), step = n > 1 ? (log10(hi) - a) / (double)(n - 1) : 0;
  for (size_t i = 1; i + 1 < n; i++) {
    double t = step * (double)i, k = round(t);
    out[i] = fabs(t - k) < 1e-9 && fabs(k) < 300 ? lo * pow10_nearest((int)k) : pow(10, a + t);
  }
  out[0] = lo;
  if (n > 1) out[n - 1] = hi;
}
