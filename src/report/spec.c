/* spec.c: the report spec parser (format in docs/REPORT.md).
 *
 * INI-like: `[section]` or `[section NAME]`, `key = value`, `#` or `;` comments on their own
 * line, blank lines. The parser is strict on purpose: an unknown section or key, a key given
 * twice, a value that does not parse or a reference to something undefined is an error naming
 * the file and the line, because a typo that is silently ignored gives a report that looks
 * right and is not. Nothing here fits or reads data; it only checks that the data file exists.
 * The lines are split by the INI reader that sweep files share (src/util/ini.c).
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_report.h>
#include <scalefit/sf_version.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ini.h"
#include "util/util.h"

typedef enum { SEC_NONE, SEC_REPORT, SEC_DATA, SEC_FIT, SEC_FORECAST, SEC_COST, SEC_TURN, SEC_CHART } sec_kind;

static const struct {
  const char *name;
  sec_kind kind;
  int named; /* 0 no name, 1 name required, 2 optional */
  const char *keys;
} sections[] = {
    {"report", SEC_REPORT, 0, "title, description"},
    {"data", SEC_DATA, 0, "file, table, where"},
    {"fit", SEC_FIT, 1, "law, x, y, sigma, absolute_sigma, loss, delta, space, bootstrap, seed, holdout, holdout_above, fix"},
    {"forecast", SEC_FORECAST, 0, "fits, budgets, targets, published"},
    {"cost", SEC_COST, 1, "gpu, precision, peak_tflops, mfu, gpus, price"},
    {"turn", SEC_TURN, 2, "x, y, chance, max, holdout, bootstrap, seed, tol"},
    {"chart", SEC_CHART, 1, "kind, fit, turn, x, y, color_by, title, linear_y"},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

typedef struct parser {
  const char *origin;
  size_t line;
  size_t sec_line; /* of the current section's header */
  sf_spec *s;
  sec_kind cur;
  size_t cur_idx;
  int seen_section[NSECTIONS];
} parser;

static int perr(const parser *p, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(const parser *p, size_t line, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sf_fail(SF_EINPUT, "%s:%zu: %s", p->origin, line, msg);
}

static char *trim(char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

static int valid_name(const char *s) {
  if (!*s || strlen(s) > 64) return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.') return 0;
  return 1;
}

/* ---- values ---- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_double_desc(const void *a, const void *b) { return cmp_double(b, a); }

static int val_number(const parser *p, const char *key, const char *v, double *out) {
  return sf_ini_number(p->origin, p->line, key, v, out);
}

static int val_long(const parser *p, const char *key, const char *v, long lo, long hi, long *out) {
  return sf_ini_long(p->origin, p->line, key, v, lo, hi, out);
}

static int val_bool(const parser *p, const char *key, const char *v, int *out) {
  if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) *out = 1;
  else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) *out = 0;
  else return perr(p, p->line, "%s: expected yes or no, got '%s'", key, v);
  return SF_OK;
}

static int val_string(const parser *p, const char *v, char **dst) {
  free(*dst);
  *dst = sf_strdup(v);
  return *dst ? SF_OK : sf_fail(SF_ENOMEM, "%s:%zu: out of memory", p->origin, p->line);
}

/* A list of numbers: "1e22, 1e23" or a log-spaced range "1e20:1e24:5" (or both, comma-separated). */
static int val_numbers(const parser *p, const char *key, const char *v, double *out, size_t *n) {
  char buf[2048];
  snprintf(buf, sizeof buf, "%s", v);
  *n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    tok = trim(tok);
    char *c1 = strchr(tok, ':');
    if (c1) {
      char *c2 = strchr(c1 + 1, ':');
      double lo, hi;
      long k = 0;
      if (!c2) return perr(p, p->line, "%s: a range is LO:HI:COUNT, got '%s'", key, tok);
      *c1 = *c2 = 0;
      if (!sf_parse_double(tok, &lo) || !sf_parse_double(c1 + 1, &hi) || !(lo > 0) || !(hi > lo))
        return perr(p, p->line, "%s: a range needs 0 < LO < HI, got '%s:%s'", key, tok, c1 + 1);
      if (val_long(p, key, trim(c2 + 1), 2, SF_SPEC_MAXLIST, &k)) return SF_EINPUT;
      if (*n + (size_t)k > SF_SPEC_MAXLIST) return perr(p, p->line, "%s: more than %d values", key, SF_SPEC_MAXLIST);
      /* as `--compute LO:HI:COUNT`: in decades, the ends exactly as given */
      sf_logspace(lo, hi, (size_t)k, out + *n);
      *n += (size_t)k;
    } else {
      double x;
      if (!sf_parse_double(tok, &x)) return perr(p, p->line, "%s: expected numbers, got '%s'", key, tok);
      if (*n == SF_SPEC_MAXLIST) return perr(p, p->line, "%s: more than %d values", key, SF_SPEC_MAXLIST);
      out[(*n)++] = x;
    }
  }
  if (*n == 0) return perr(p, p->line, "%s: expected at least one value", key);
  return SF_OK;
}

static int val_names(const parser *p, const char *key, const char *v, char **out, size_t *n) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", v);
  *n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    tok = trim(tok);
    if (!valid_name(tok)) return perr(p, p->line, "%s: '%s' is not a name ([A-Za-z0-9_.-]+)", key, tok);
    if (*n == SF_SPEC_MAXLIST) return perr(p, p->line, "%s: more than %d names", key, SF_SPEC_MAXLIST);
    for (size_t i = 0; i < *n; i++)
      if (!strcmp(out[i], tok)) return perr(p, p->line, "%s: '%s' is listed twice", key, tok);
    if (!(out[*n] = sf_strdup(tok))) return sf_fail(SF_ENOMEM, "out of memory");
    (*n)++;
  }
  if (*n == 0) return perr(p, p->line, "%s: expected at least one name", key);
  return SF_OK;
}

/* ---- paths ---- */

static char *resolve_data(const char *origin, const char *given) {
  if (!strncmp(given, "@datasets/", 10)) return sf_asprintf("%s/%s", sf_datadir(), given + 10);
  if (given[0] == '/') return sf_strdup(given);
  const char *slash = strrchr(origin, '/');
  if (!slash) return sf_strdup(given);
  return sf_asprintf("%.*s/%s", (int)(slash - origin), origin, given);
}

static char *spec_name(const char *origin) {
  const char *b = strrchr(origin, '/');
  b = b ? b + 1 : origin;
  const char *dot = strrchr(b, '.');
  size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
  char *s = malloc(n + 1);
  if (!s) return NULL;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)b[i];
    s[i] = isalnum(c) || c == '-' || c == '_' || c == '.' ? (char)c : '_';
  }
  s[n] = 0;
  if (!n || !strcmp(s, "index")) { /* "index" would collide with the batch's index.html */
    free(s);
    return sf_strdup(n ? "index_" : "report");
  }
  return s;
}

char *sf_spec_folder_name(const char *path) { return spec_name(path); }

/* ---- sections ---- */

static void *grow(void *arr, size_t n, size_t size) {
  void *a = realloc(arr, (n + 1) * size);
  if (a) memset((char *)a + n * size, 0, size);
  return a;
}

static int open_section(parser *p, const char *hdr, const char *name) {
  size_t k;
  for (k = 0; k < NSECTIONS; k++)
    if (!strcmp(hdr, sections[k].name)) break;
  if (k == NSECTIONS) {
    sf_near n; /* as a misspelt key gets one */
    sf_near_init(&n, hdr);
    for (k = 0; k < NSECTIONS; k++) sf_near_add(&n, sections[k].name);
    return perr(p, p->line, "unknown section [%s]%s (known: report, data, fit NAME, forecast, cost NAME, turn, chart NAME)",
                hdr, sf_near_hint(&n));
  }
  if (sections[k].named == 0 && name && *name)
    return perr(p, p->line, "section [%s] takes no name, got '%s'", hdr, name);
  if (sections[k].named == 1 && (!name || !*name))
    return perr(p, p->line, "section [%s] needs a name: [%s NAME]", hdr, hdr);
  if (name && *name && !valid_name(name)) return perr(p, p->line, "section name '%s' is not [A-Za-z0-9_.-]+", name);
  if (sections[k].named == 0 && p->seen_section[k]) return perr(p, p->line, "section [%s] given twice", hdr);
  p->seen_section[k] = 1;
  p->cur = sections[k].kind;
  sf_spec *s = p->s;
  const char *nm = name && *name ? name : hdr;
#define ADD_NAMED(arr, count, type)                                                                       \
  do {                                                                                                    \
    for (size_t i = 0; i < s->count; i++)                                                                 \
      if (!strcmp(s->arr[i].name, nm))                                                                    \
        return name && *name ? perr(p, p->line, "duplicate name: [%s %s] is already defined on line %zu", hdr, nm,  \
                                    s->arr[i].line)                                                         \
                             : perr(p, p->line, "a second [%s] without a name (line %zu already takes the name '%s'): "    \
                                    "give each [%s NAME] a name", hdr, s->arr[i].line, nm, hdr);           \
    type *a = grow(s->arr, s->count, sizeof *a);                                                          \
    if (!a) return sf_fail(SF_ENOMEM, "out of memory");                                                   \
    s->arr = a;                                                                                           \
    p->cur_idx = s->count++;                                                                              \
    s->arr[p->cur_idx].line = p->line;                                                                    \
    if (!(s->arr[p->cur_idx].name = sf_strdup(nm))) return sf_fail(SF_ENOMEM, "out of memory");          \
  } while (0)
  switch (p->cur) {
  case SEC_FIT:
    ADD_NAMED(fit, nfit, sf_spec_fit);
    s->fit[p->cur_idx].delta = NAN;
    s->fit[p->cur_idx].seed = 1;
    s->fit[p->cur_idx].holdout_above = NAN;
    break;
  case SEC_COST:
    ADD_NAMED(cost, ncost, sf_spec_cost);
    s->cost[p->cur_idx].mfu = 0.4;
    s->cost[p->cur_idx].gpus = s->cost[p->cur_idx].price = s->cost[p->cur_idx].peak_tflops = NAN;
    break;
  case SEC_TURN:
    ADD_NAMED(turn, nturn, sf_spec_turn);
    s->turn[p->cur_idx].chance = 0.25;
    s->turn[p->cur_idx].max = 1;
    s->turn[p->cur_idx].bootstrap = 200;
    s->turn[p->cur_idx].seed = 1;
    s->turn[p->cur_idx].tol = 0.05;
    break;
  case SEC_CHART:
    ADD_NAMED(chart, nchart, sf_spec_chart);
    break;
  case SEC_FORECAST:
    s->forecast_line = p->line;
    break;
  case SEC_DATA:
    s->data_header_line = p->line;
    break;
  default:
    break;
  }
#undef ADD_NAMED
  return SF_OK;
}

static const char *section_keys(sec_kind k) {
  for (size_t i = 0; i < NSECTIONS; i++)
    if (sections[i].kind == k) return sections[i].keys;
  return "";
}
static const char *section_name(sec_kind k) {
  for (size_t i = 0; i < NSECTIONS; i++)
    if (sections[i].kind == k) return sections[i].name;
  return "";
}

static int unknown_key(const parser *p, const char *key) {
  sf_near n;
  sf_near_init(&n, key);
  sf_near_add_list(&n, section_keys(p->cur));
  return perr(p, p->line, "unknown key '%s' in [%s]%s (known: %s)", key, section_name(p->cur), sf_near_hint(&n),
              section_keys(p->cur));
}

static int set_key(parser *p, const char *key, const char *v) {
  sf_spec *s = p->s;
  if (!*v) return perr(p, p->line, "%s: empty value", key);
  switch (p->cur) {
  case SEC_REPORT:
    if (!strcmp(key, "title")) return val_string(p, v, &s->title);
    if (!strcmp(key, "description")) return val_string(p, v, &s->description);
    return unknown_key(p, key);
  case SEC_DATA:
    if (!strcmp(key, "file")) {
      if (val_string(p, v, &s->data_file_given)) return SF_ENOMEM;
      free(s->data_file);
      if (!(s->data_file = resolve_data(p->origin, v))) return sf_fail(SF_ENOMEM, "out of memory");
      if (!sf_file_exists(s->data_file))
        return perr(p, p->line, "data file '%s' not found (looked for '%s'; paths are relative to the spec's folder, "
                    "'@datasets/NAME' is scalefit's shipped data)", v, s->data_file);
      return SF_OK;
    }
    if (!strcmp(key, "table")) return val_string(p, v, &s->table);
    if (!strcmp(key, "where")) return val_string(p, v, &s->where);
    return unknown_key(p, key);
  case SEC_FIT: {
    sf_spec_fit *f = &s->fit[p->cur_idx];
    if (!strcmp(key, "law")) return val_string(p, v, &f->law);
    if (!strcmp(key, "x")) return val_string(p, v, &f->x);
    if (!strcmp(key, "y")) return val_string(p, v, &f->y);
    if (!strcmp(key, "sigma")) return val_string(p, v, &f->sigma);
    if (!strcmp(key, "absolute_sigma")) return val_bool(p, key, v, &f->absolute_sigma);
    if (!strcmp(key, "loss")) {
      if (strcmp(v, "l2") && strcmp(v, "huber")) return perr(p, p->line, "loss: expected l2 or huber, got '%s'", v);
      return val_string(p, v, &f->loss);
    }
    if (!strcmp(key, "space")) {
      if (strcmp(v, "log") && strcmp(v, "linear"))
        return perr(p, p->line, "space: expected log or linear, got '%s'", v);
      return val_string(p, v, &f->space);
    }
    if (!strcmp(key, "delta")) {
      if (val_number(p, key, v, &f->delta)) return SF_EINPUT;
      if (!(f->delta > 0)) return perr(p, p->line, "delta: must be > 0, got '%s'", v);
      return SF_OK;
    }
    if (!strcmp(key, "bootstrap")) return val_long(p, key, v, 0, 100000, &f->bootstrap);
    if (!strcmp(key, "seed")) return val_long(p, key, v, 0, 2147483647L, &f->seed);
    if (!strcmp(key, "holdout")) {
      if (val_number(p, key, v, &f->holdout)) return SF_EINPUT;
      if (!(f->holdout >= 0 && f->holdout < 1))
        return perr(p, p->line, "holdout: a fraction in [0, 1) of the largest runs, got '%s'", v);
      return SF_OK;
    }
    if (!strcmp(key, "holdout_above")) {
      if (val_number(p, key, v, &f->holdout_above)) return SF_EINPUT;
      if (!(f->holdout_above > 0)) return perr(p, p->line, "holdout_above: a compute > 0, got '%s'", v);
      return SF_OK;
    }
    if (!strcmp(key, "fix")) { /* "E = 1.69, alpha = 0.34" -> NAME=VALUE pairs */
      char buf[1024];
      snprintf(buf, sizeof buf, "%s", v);
      for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) return perr(p, p->line, "fix: expected NAME=VALUE, got '%s'", trim(tok));
        *eq = 0;
        char *nm = trim(tok), *val = trim(eq + 1);
        double x;
        if (!*nm || !sf_parse_double(val, &x)) return perr(p, p->line, "fix: expected NAME=VALUE, got '%s=%s'", nm, val);
        if (f->nfix == SF_SPEC_MAXFIX) return perr(p, p->line, "fix: too many parameters");
        if (!(f->fix_name[f->nfix] = sf_strdup(nm))) return sf_fail(SF_ENOMEM, "out of memory");
        f->fix_value[f->nfix++] = x;
      }
      return SF_OK;
    }
    return unknown_key(p, key);
  }
  case SEC_FORECAST:
    if (!strcmp(key, "budgets")) {
      if (val_numbers(p, key, v, s->budget, &s->nbudget)) return SF_EINPUT;
      for (size_t i = 0; i < s->nbudget; i++)
        if (!(s->budget[i] > 0)) return perr(p, p->line, "budgets: compute must be > 0 FLOP, got %g", s->budget[i]);
      /* every table lists them ascending, however written (a list after a range read 1e21 ... 1e25, 1e22).
       * A budget written twice, as ranges that share an end (1e20:1e21:3, 1e21:1e25:5) write it, is one
       * row: two identical rows would read as two results; the page says how many were merged */
      qsort(s->budget, s->nbudget, sizeof *s->budget, cmp_double);
      size_t n = 0;
      for (size_t i = 0; i < s->nbudget; i++) {
        if (n && s->budget[i] == s->budget[n - 1]) {
          if (!s->nbudget_merged++) s->budget_merged = s->budget[i];
          continue;
        }
        s->budget[n++] = s->budget[i];
      }
      s->nbudget = n;
      return SF_OK;
    }
    if (!strcmp(key, "targets")) {
      if (val_numbers(p, key, v, s->target, &s->ntarget)) return SF_EINPUT;
      for (size_t i = 0; i < s->ntarget; i++)
        if (!(s->target[i] > 0)) return perr(p, p->line, "targets: values must be > 0, got %g", s->target[i]);
      /* as budgets are: each once, and in the order of the compute they take, the easiest (the highest
       * loss) first, so that compute grows down the Targets table as it does down the Forecasts one;
       * in spec order "2.0, 2.2, 2.1" read as three unrelated rows, and "2.1, 2.1" as two results */
      qsort(s->target, s->ntarget, sizeof *s->target, cmp_double_desc);
      size_t n = 0;
      for (size_t i = 0; i < s->ntarget; i++) {
        if (n && s->target[i] == s->target[n - 1]) {
          if (!s->ntarget_merged++) s->target_merged = s->target[i];
          continue;
        }
        s->target[n++] = s->target[i];
      }
      s->ntarget = n;
      return SF_OK;
    }
    if (!strcmp(key, "published")) return val_names(p, key, v, s->published, &s->npublished);
    if (!strcmp(key, "fits")) return val_names(p, key, v, s->ffits, &s->nffits);
    return unknown_key(p, key);
  case SEC_COST: {
    sf_spec_cost *c = &s->cost[p->cur_idx];
    if (!strcmp(key, "gpu")) return val_string(p, v, &c->gpu);
    if (!strcmp(key, "precision")) {
      if (strcmp(v, "bf16") && strcmp(v, "fp16") && strcmp(v, "tf32") && strcmp(v, "fp32"))
        return perr(p, p->line, "precision: expected bf16, fp16, tf32 or fp32, got '%s'", v);
      return val_string(p, v, &c->precision);
    }
    if (!strcmp(key, "peak_tflops")) {
      if (val_number(p, key, v, &c->peak_tflops)) return SF_EINPUT;
      if (!(c->peak_tflops > 0)) return perr(p, p->line, "peak_tflops: must be > 0, got '%s'", v);
      return SF_OK;
    }
    if (!strcmp(key, "mfu")) {
      if (val_number(p, key, v, &c->mfu)) return SF_EINPUT;
      if (!(c->mfu > 0 && c->mfu <= 1)) return perr(p, p->line, "mfu: a fraction in (0, 1] (0.4 for 40%%), got '%s'", v);
      return SF_OK;
    }
    if (!strcmp(key, "gpus")) {
      if (val_number(p, key, v, &c->gpus)) return SF_EINPUT;
      /* whole, as `--gpus` takes it: the page prints the count with %.0f */
      if (!(c->gpus >= 1) || c->gpus != floor(c->gpus))
        return perr(p, p->line, "gpus: a whole number of accelerators, at least 1, got '%s'", v);
      return SF_OK;
    }
    if (!strcmp(key, "price")) {
      if (val_number(p, key, v, &c->price)) return SF_EINPUT;
      if (!(c->price >= 0)) return perr(p, p->line, "price: dollars per accelerator-hour >= 0, got '%s'", v);
      return SF_OK;
    }
    return unknown_key(p, key);
  }
  case SEC_TURN: {
    sf_spec_turn *t = &s->turn[p->cur_idx];
    if (!strcmp(key, "x")) return val_string(p, v, &t->x);
    if (!strcmp(key, "y")) return val_string(p, v, &t->y);
    if (!strcmp(key, "chance")) return val_number(p, key, v, &t->chance);
    if (!strcmp(key, "max")) return val_number(p, key, v, &t->max);
    if (!strcmp(key, "bootstrap")) return val_long(p, key, v, 0, 100000, &t->bootstrap);
    if (!strcmp(key, "seed")) return val_long(p, key, v, 0, 2147483647L, &t->seed);
    if (!strcmp(key, "holdout")) return val_long(p, key, v, 0, 1000000000L, &t->holdout);
    if (!strcmp(key, "tol")) {
      if (val_number(p, key, v, &t->tol)) return SF_EINPUT;
      if (!(t->tol > 0)) return perr(p, p->line, "tol: expected a difference > 0, got '%s'", v);
      return SF_OK;
    }
    return unknown_key(p, key);
  }
  case SEC_CHART: {
    sf_spec_chart *c = &s->chart[p->cur_idx];
    if (!strcmp(key, "kind")) {
      static const char *const kinds[] = {"scaling", "frontier", "turn", "residuals", "bootstrap", "isoflop"};
      int ok = 0;
      for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) ok |= !strcmp(v, kinds[k]);
      if (!ok)
        return perr(p, p->line, "kind: expected scaling, frontier, turn, residuals, bootstrap or isoflop, got '%s'", v);
      return val_string(p, v, &c->kind);
    }
    if (!strcmp(key, "fit")) return val_string(p, v, &c->fit);
    if (!strcmp(key, "turn")) return val_string(p, v, &c->turn);
    if (!strcmp(key, "x")) return val_string(p, v, &c->x);
    if (!strcmp(key, "y")) return val_string(p, v, &c->y);
    if (!strcmp(key, "color_by")) return val_string(p, v, &c->color_by);
    if (!strcmp(key, "title")) return val_string(p, v, &c->title);
    if (!strcmp(key, "linear_y")) return val_bool(p, key, v, &c->linear_y);
    return unknown_key(p, key);
  }
  case SEC_NONE:
    break;
  }
  return perr(p, p->line, "key '%s' before any section (start with [report] or [data])", key);
}

/* ---- cross-references, once the whole file is read ---- */

static int find_fit(const sf_spec *s, const char *name) {
  for (size_t i = 0; i < s->nfit; i++)
    if (!strcmp(s->fit[i].name, name)) return (int)i;
  return -1;
}

static int check_refs(parser *p) {
  sf_spec *s = p->s;
  /* a message about one key's value names that key's line; one about what a section lacks, its header */
#define KEYLINE(section, key) sf_spec_key_line(s, (section), (key))
  for (size_t i = 0; i < s->nfit; i++) {
    if (!s->fit[i].law) return perr(p, s->fit[i].line, "[fit %s] needs a law (e.g. law = chinchilla)", s->fit[i].name);
    if (s->fit[i].absolute_sigma && !s->fit[i].sigma)
      return perr(p, KEYLINE(s->fit[i].line, "absolute_sigma"), "[fit %s]: absolute_sigma needs sigma = COLUMN (the runs' standard deviations)",
                  s->fit[i].name);
    /* as `fit` refuses --holdout with --holdout-above (the run took one and dropped the other) */
    if (s->fit[i].holdout > 0 && !isnan(s->fit[i].holdout_above))
      return perr(p, KEYLINE(s->fit[i].line, "holdout_above"), "[fit %s]: give holdout or holdout_above, not both",
                  s->fit[i].name);
  }
  if (s->nfit && !s->data_file) return perr(p, s->fit[0].line, "[fit %s] needs data: add [data] with file = ...", s->fit[0].name);
  for (size_t i = 0; i < s->nturn; i++) {
    if (!s->turn[i].y) return perr(p, s->turn[i].line, "[turn %s] needs y (the capability column, e.g. y = mmlu)", s->turn[i].name);
    if (!(s->turn[i].max > s->turn[i].chance) || s->turn[i].chance < 0) {
      size_t at = KEYLINE(s->turn[i].line, "chance"); /* a default chance is refused by the max given */
      if (at == s->turn[i].line) at = KEYLINE(s->turn[i].line, "max");
      return perr(p, at, "[turn %s]: chance (%g) must be >= 0 and below max (%g)", s->turn[i].name, s->turn[i].chance,
                  s->turn[i].max);
    }
    if (!s->data_file) return perr(p, s->turn[i].line, "[turn %s] needs data: add [data] with file = ...", s->turn[i].name);
  }
  for (size_t i = 0; i < s->nffits; i++)
    if (find_fit(s, s->ffits[i]) < 0)
      return perr(p, KEYLINE(s->forecast_line, "fits"), "[forecast] fits: no [fit %s] in this spec", s->ffits[i]);
  if ((s->nbudget || s->ntarget) && !s->nfit && !s->npublished)
    return perr(p, KEYLINE(s->forecast_line, s->nbudget ? "budgets" : "targets"), "[forecast] has budgets or targets but nothing to forecast from: add a [fit NAME] "
                "or published = ID");
  if (s->npublished && !s->nbudget && !s->ntarget)
    return perr(p, KEYLINE(s->forecast_line, "published"), "[forecast] published laws need budgets or targets");
  for (size_t i = 0; i < s->ncost; i++) {
    sf_spec_cost *c = &s->cost[i];
    if (!c->gpu && isnan(c->peak_tflops))
      return perr(p, c->line, "[cost %s] needs gpu = NAME (a100, h100, ...) or peak_tflops = T", c->name);
    if (c->gpu && !isnan(c->peak_tflops))
      return perr(p, KEYLINE(c->line, "peak_tflops"), "[cost %s]: give gpu or peak_tflops, not both", c->name);
    /* as `optimal --peak-tflops --precision` is refused: a peak given is already the peak at the precision
       trained in, and a precision kept beside it would be silently ignored */
    if (c->precision && !isnan(c->peak_tflops)) {
      size_t pl = KEYLINE(c->line, "precision"), tl = KEYLINE(c->line, "peak_tflops");
      return perr(p, pl > tl ? pl : tl,
                  "[cost %s]: precision picks a peak from gpu's table; with peak_tflops (line %zu) give the peak at "
                  "that precision instead and drop precision (line %zu)", c->name, tl, pl);
    }
  }
  if (s->ncost && !s->nbudget && !s->ntarget)
    return perr(p, s->cost[0].line, "[cost %s]: costs are of forecast budgets or targets; add [forecast] budgets = ...",
                s->cost[0].name);
  for (size_t i = 0; i < s->nchart; i++) {
    sf_spec_chart *c = &s->chart[i];
    if (!c->kind)
      return perr(p, c->line, "[chart %s] needs a kind (scaling, frontier, turn, residuals, bootstrap or isoflop)", c->name);
    if (!strcmp(c->kind, "turn")) {
      if (c->fit) return perr(p, KEYLINE(c->line, "fit"), "[chart %s]: a turn chart draws a [turn], not a fit", c->name);
      if (!s->nturn) return perr(p, KEYLINE(c->line, "kind"), "[chart %s]: kind turn needs a [turn] section", c->name);
      if (!c->turn && s->nturn > 1)
        return perr(p, c->line, "[chart %s]: which turn analysis? give turn = NAME", c->name);
      int found = !c->turn;
      for (size_t k = 0; c->turn && k < s->nturn; k++) found |= !strcmp(s->turn[k].name, c->turn);
      if (!found) return perr(p, KEYLINE(c->line, "turn"), "[chart %s]: no [turn %s] in this spec", c->name, c->turn);
    } else {
      if (c->turn) return perr(p, KEYLINE(c->line, "turn"), "[chart %s]: turn = applies to kind turn only", c->name);
      if ((!strcmp(c->kind, "scaling") || !strcmp(c->kind, "isoflop")) && !s->data_file)
        return perr(p, KEYLINE(c->line, "kind"), "[chart %s]: kind %s draws runs; add [data] with file = ...", c->name,
                    c->kind);
      if ((!strcmp(c->kind, "residuals") || !strcmp(c->kind, "bootstrap")) && !c->fit)
        return perr(p, KEYLINE(c->line, "kind"), "[chart %s]: kind %s needs fit = NAME", c->name, c->kind);
      if (!strcmp(c->kind, "isoflop") && c->fit)
        return perr(p, KEYLINE(c->line, "fit"), "[chart %s]: an isoflop chart fits its own parabolas per bin; it takes no "
                    "fit", c->name);
      if (!c->fit && !strcmp(c->kind, "frontier") && !s->npublished)
        return perr(p, KEYLINE(c->line, "kind"), "[chart %s]: a frontier chart needs fit = NAME or [forecast] published "
                    "laws", c->name);
      if (c->fit && find_fit(s, c->fit) < 0)
        return perr(p, KEYLINE(c->line, "fit"), "[chart %s]: no [fit %s] in this spec", c->name, c->fit);
      /* said here in the spec's words; the chart layer would ask to "fit again with --bootstrap K" */
      if (c->fit && !strcmp(c->kind, "bootstrap") && s->fit[find_fit(s, c->fit)].bootstrap <= 0)
        return perr(p, KEYLINE(c->line, "fit"), "[chart %s]: a bootstrap chart draws the refits of [fit %s], which has "
                    "none: add bootstrap = K to [fit %s] (line %zu)", c->name, c->fit, c->fit,
                    s->fit[find_fit(s, c->fit)].line);
    }
  }
  if (!s->nfit && !s->nturn && !s->npublished && !s->nchart)
    return perr(p, p->line ? p->line : 1, "nothing to report: add a [fit NAME], [turn], [chart NAME] or [forecast] published = ID");
#undef KEYLINE
  return SF_OK;
}

/* ---- the file ---- */

static int on_section(void *ctx, size_t line, char *name, char *arg) {
  parser *p = ctx;
  p->line = p->sec_line = line;
  return open_section(p, name, arg);
}

static int on_key(void *ctx, size_t line, int in_section, const char *section, char *key, char *val) {
  parser *p = ctx;
  p->line = line;
  if (!in_section) return perr(p, line, "key '%s' before any section (start with [report] or [data])", key);
  int rc = set_key(p, key, val);
  if (rc) return rc;
  /* known keys only (set_key refused the rest), so each fits the record */
  sf_spec *s = p->s;
  sf_spec_keyline *a = grow(s->keyline, s->nkeyline, sizeof *a);
  if (!a) return sf_fail(SF_ENOMEM, "out of memory");
  s->keyline = a;
  a[s->nkeyline].section = p->sec_line;
  snprintf(a[s->nkeyline].key, sizeof a[s->nkeyline].key, "%s", key);
  a[s->nkeyline++].line = line;
  return SF_OK;
}

size_t sf_spec_key_line(const sf_spec *s, size_t section, const char *key) {
  for (size_t i = 0; i < s->nkeyline; i++)
    if (s->keyline[i].section == section && !strcmp(s->keyline[i].key, key)) return s->keyline[i].line;
  return section;
}

int sf_spec_parse(const char *text, size_t len, const char *origin, sf_spec **out) {
  *out = NULL;
  sf_spec *s = calloc(1, sizeof *s);
  if (!s) return sf_fail(SF_ENOMEM, "out of memory");
  parser p;
  memset(&p, 0, sizeof p);
  p.origin = origin;
  p.s = s;
  int rc = SF_OK;
  if (!(s->path = sf_strdup(origin)) || !(s->name = spec_name(origin))) rc = sf_fail(SF_ENOMEM, "out of memory");
  static const sf_ini_handler h = {on_section, on_key};
  if (!rc) rc = sf_ini_parse(text, len, origin, &h, &p);
  if (!rc) { /* whole-file checks name the last line */
    p.line = 0;
    for (size_t i = 0; i < len; i++) p.line += text[i] == '\n';
    if (len && text[len - 1] != '\n') p.line++;
    rc = check_refs(&p);
  }
  if (rc) {
    sf_spec_free(s);
    return rc;
  }
  *out = s;
  return SF_OK;
}

int sf_spec_read(const char *path, sf_spec **out) {
  *out = NULL;
  char *text;
  size_t len;
  int rc = sf_ini_slurp(path, "spec", &text, &len);
  if (rc) return rc;
  rc = sf_spec_parse(text, len, path, out);
  free(text);
  return rc;
}

void sf_spec_free(sf_spec *s) {
  if (!s) return;
  free(s->path);
  free(s->name);
  free(s->title);
  free(s->description);
  free(s->data_file);
  free(s->data_file_given);
  free(s->table);
  free(s->where);
  for (size_t i = 0; i < s->nfit; i++) {
    sf_spec_fit *f = &s->fit[i];
    free(f->name), free(f->law), free(f->x), free(f->y), free(f->sigma), free(f->loss), free(f->space);
    for (size_t k = 0; k < f->nfix; k++) free(f->fix_name[k]);
  }
  free(s->fit);
  for (size_t i = 0; i < s->npublished; i++) free(s->published[i]);
  for (size_t i = 0; i < s->nffits; i++) free(s->ffits[i]);
  for (size_t i = 0; i < s->ncost; i++) free(s->cost[i].name), free(s->cost[i].gpu), free(s->cost[i].precision);
  free(s->cost);
  for (size_t i = 0; i < s->nturn; i++) free(s->turn[i].name), free(s->turn[i].x), free(s->turn[i].y);
  free(s->turn);
  for (size_t i = 0; i < s->nchart; i++) {
    sf_spec_chart *c = &s->chart[i];
    free(c->name), free(c->kind), free(c->fit), free(c->turn), free(c->x), free(c->y), free(c->color_by), free(c->title);
  }
  free(s->chart);
  free(s->keyline);
  free(s);
}
