/* json.c: a streaming JSON writer; every --json output and saved fit goes through it. */
#include "util/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void sf_json_init(sf_json *j, sf_buf *out, int pretty) {
  j->out = out;
  j->depth = 0;
  j->first[0] = 1;
  j->pretty = pretty;
}

void sf_json_escape(sf_buf *b, const char *s) {
  sf_buf_addc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': sf_buf_add(b, "\\\""); break;
    case '\\': sf_buf_add(b, "\\\\"); break;
    case '\n': sf_buf_add(b, "\\n"); break;
    case '\r': sf_buf_add(b, "\\r"); break;
    case '\t': sf_buf_add(b, "\\t"); break;
    default:
      if (*p < 0x20) sf_buf_printf(b, "\\u%04x", *p);
      else sf_buf_addc(b, (char)*p);
    }
  }
  sf_buf_addc(b, '"');
}

static void indent(sf_json *j) {
  if (!j->pretty) return;
  sf_buf_addc(j->out, '\n');
  for (int i = 0; i < j->depth; i++) sf_buf_add(j->out, "  ");
}

/* Comma, newline and key before a value. */
static void prefix(sf_json *j, const char *key) {
  if (j->depth > 0) {
    if (!j->first[j->depth]) sf_buf_addc(j->out, ',');
    j->first[j->depth] = 0;
    indent(j);
  }
  if (key) {
    sf_json_escape(j->out, key);
    sf_buf_add(j->out, j->pretty ? ": " : ":");
  }
}

static void open_container(sf_json *j, const char *key, char c) {
  prefix(j, key);
  sf_buf_addc(j->out, c);
  if (j->depth + 1 < SF_JSON_MAX_DEPTH) j->depth++;
  j->first[j->depth] = 1;
}

static void close_container(sf_json *j, char c) {
  int empty = j->first[j->depth];
  if (j->depth > 0) j->depth--;
  if (!empty) indent(j);
  sf_buf_addc(j->out, c);
  if (j->depth == 0 && j->pretty) sf_buf_addc(j->out, '\n');
}

void sf_json_begin_object(sf_json *j, const char *key) { open_container(j, key, '{'); }
void sf_json_end_object(sf_json *j) { close_container(j, '}'); }
void sf_json_begin_array(sf_json *j, const char *key) { open_container(j, key, '['); }
void sf_json_end_array(sf_json *j) { close_container(j, ']'); }

void sf_json_string(sf_json *j, const char *key, const char *value) {
  prefix(j, key);
  if (value) sf_json_escape(j->out, value);
  else sf_buf_add(j->out, "null");
}

void sf_json_number(sf_json *j, const char *key, double value) {
  prefix(j, key);
  if (!isfinite(value)) {
    sf_buf_add(j->out, "null");
    return;
  }
  /* the first of %.15g, %.16g, %.17g that reads back to the same double, as export writes CSV: a --holdout 0.2
   * or a target 2.4 read "0.20000000000000001" and "2.3999999999999999" under %.17g */
  char num[32];
  sf_fmt_double(num, sizeof num, value);
  sf_buf_add(j->out, num);
}

void sf_json_int(sf_json *j, const char *key, long long value) {
  prefix(j, key);
  sf_buf_printf(j->out, "%lld", value);
}

void sf_json_bool(sf_json *j, const char *key, int value) {
  prefix(j, key);
  sf_buf_add(j->out, value ? "true" : "false");
}

void sf_json_null(sf_json *j, const char *key) {
  prefix(j, key);
  sf_buf_add(j->out, "null");
}
