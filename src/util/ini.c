/* ini.c: the line reader behind scalefit's INI files (ini.h); report specs and sweep files give
 * the sections and keys their meaning through callbacks. */
#include "util/ini.h"

#include <scalefit/sf_error.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

int sf_ini_fail(const char *origin, size_t line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sf_fail(SF_EINPUT, "%s:%zu: %s", origin, line, msg);
}

static char *trim(char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

int sf_ini_parse(const char *text, size_t len, const char *origin, const sf_ini_handler *h, void *ctx) {
  char section[4096] = "", seen[64][32];
  size_t nseen = 0, line = 0, pos = 0;
  int in_section = 0, rc = SF_OK;
  while (!rc && pos < len) {
    size_t e = pos;
    while (e < len && text[e] != '\n') e++;
    line++;
    size_t n = e - pos;
    if (n > 4000) return sf_ini_fail(origin, line, "line longer than 4000 characters");
    char buf[4096];
    memcpy(buf, text + pos, n);
    buf[n] = 0;
    pos = e + 1;
    if (memchr(buf, 0, n)) return sf_ini_fail(origin, line, "NUL byte in the file (not a text file?)");
    char *l = trim(buf);
    if (line == 1 && (unsigned char)l[0] == 0xEF && (unsigned char)l[1] == 0xBB && (unsigned char)l[2] == 0xBF)
      l = trim(l + 3); /* UTF-8 byte-order mark */
    if (!*l || *l == '#' || *l == ';') continue;
    if (*l == '[') {
      char *close = strchr(l, ']');
      if (!close || trim(close + 1)[0])
        return sf_ini_fail(origin, line, "a section header is [name] or [name NAME] alone on its line, got '%s'", l);
      *close = 0;
      char *name = trim(l + 1), *arg = name + strcspn(name, " \t");
      if (*arg) *arg++ = 0;
      arg = trim(arg);
      snprintf(section, sizeof section, "%s", name);
      in_section = 1;
      nseen = 0;
      rc = h->section(ctx, line, name, arg);
      continue;
    }
    char *eq = strchr(l, '=');
    if (!eq) return sf_ini_fail(origin, line, "expected 'key = value', a [section] or a # comment, got '%s'", l);
    *eq = 0;
    char *key = trim(l), *val = trim(eq + 1);
    if (!*key) return sf_ini_fail(origin, line, "missing key before '='");
    if (in_section) {
      for (size_t i = 0; i < nseen; i++)
        if (!strcmp(seen[i], key)) return sf_ini_fail(origin, line, "key '%s' given twice in [%s]", key, section);
      if (nseen < 64) snprintf(seen[nseen++], sizeof seen[0], "%s", key);
    }
    rc = h->key(ctx, line, in_section, section, key, val);
  }
  return rc;
}

int sf_ini_slurp(const char *path, const char *what, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) return sf_fail(SF_EINPUT, "%s: cannot open %s: %s", path, what, strerror(errno));
  sf_buf b;
  sf_buf_init(&b);
  char chunk[8192];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
    sf_buf_addn(&b, chunk, n);
    if (b.len > (1u << 20)) break;
  }
  int bad = ferror(fp);
  fclose(fp);
  int rc = SF_OK;
  if (bad) rc = sf_fail(SF_EINPUT, "%s: cannot read %s (a folder?)", path, what);
  else if (b.oom) rc = sf_fail(SF_ENOMEM, "out of memory reading '%s'", path);
  else if (b.len > (1u << 20)) rc = sf_fail(SF_EINPUT, "%s: %s larger than 1 MiB", path, what);
  if (rc) {
    sf_buf_free(&b);
    return rc;
  }
  *len = b.len;
  *text = sf_buf_take(&b);
  if (!*text && !(*text = sf_strdup(""))) return sf_fail(SF_ENOMEM, "out of memory");
  return SF_OK;
}

int sf_ini_long(const char *origin, size_t line, const char *key, const char *v, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (!*v || *end || errno || x < lo || x > hi)
    return sf_ini_fail(origin, line, "%s: expected a whole number in [%ld, %ld], got '%s'", key, lo, hi, v);
  *out = x;
  return SF_OK;
}

int sf_ini_number(const char *origin, size_t line, const char *key, const char *v, double *out) {
  if (!sf_parse_double(v, out)) return sf_ini_fail(origin, line, "%s: expected a number, got '%s'", key, v);
  return SF_OK;
}
