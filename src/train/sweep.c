/* sweep.c: sweep files, presets and plans (sf_sweep.h), what `scalefit sweep` trains.
 *
 * The file is read by the INI line reader of src/util/ini.c (shared with report specs); this file
 * gives its three sections their meaning: [sweep] settings, [data] the source and its options,
 * [grid NAME] the sizes and budgets. As in report specs, the parser is strict: an unknown key or
 * an option of another data source is an error naming the line, since a typo that is ignored
 * trains a sweep that looks right and is not, for hours.
 *
 * Sections:
 *   1. lists (sizes, budgets)   2. the file   3. presets   4. the plan   5. files beside the run file
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>
#include <scalefit/sf_sweep.h>
#include <scalefit/sf_version.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "train/internal.h"
#include "util/ini.h"
#include "util/util.h"

/* ============================== 1. lists ============================== */

static char *trim(char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

/* "2x64" or "4x256:4": digits only, each part in 1..100000. */
static int parse_size(const char *tok, int out[3]) {
  long v[3] = {0, 0, 0};
  const char *c = tok;
  for (int k = 0; k < 3; k++) {
    if (!isdigit((unsigned char)*c)) return 0;
    char *e;
    v[k] = strtol(c, &e, 10);
    if (v[k] < 1 || v[k] > 100000) return 0;
    c = e;
    if (k == 0 && *c++ != 'x') return 0;
    if (k == 1 && *c != ':') break;
    if (k == 1) c++;
  }
  if (*c) return 0;
  out[0] = (int)v[0];
  out[1] = (int)v[1];
  out[2] = v[2] ? (int)v[2] : (v[1] >= 128 ? (int)v[1] / 64 : 1);
  return 1;
}

/* The lists are split in a copy of their own length: a fixed buffer once cut a --tokens list of over
 * 4 kB (padded, or generated) silently, its last budget 400000 read as 40000. */
/* A list with an empty item ("2x64,,4x128", a comma at either end): strtok_r would skip it, and a
 * value deleted by mistake would go unnoticed in a parser that is strict on everything else. */
static int empty_item(const char *list) {
  int blank = 1; /* nothing but spaces since the last comma */
  for (const char *c = list; *c; c++) {
    if (*c == ',') {
      if (blank) return 1;
      blank = 1;
    } else if (*c != ' ' && *c != '\t') blank = 0;
  }
  return blank && strchr(list, ',') != NULL;
}

int sf_sweep_parse_sizes(const char *list, int (*out)[3], size_t *n) {
  *n = 0;
  if (empty_item(list)) return sf_fail(SF_EINPUT, "an empty item in '%s' (two commas, or one at an end)", list);
  char *buf = sf_strdup(list);
  if (!buf) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = SF_OK;
  *n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); !rc && tok; tok = strtok_r(NULL, ",", &save)) {
    tok = trim(tok);
    if (*n == SF_SWEEP_MAXLIST) rc = sf_fail(SF_EINPUT, "more than %d sizes", SF_SWEEP_MAXLIST);
    else if (!parse_size(tok, out[*n]))
      rc = sf_fail(SF_EINPUT, "'%s' is not LAYERSxD_MODEL[:HEADS] (e.g. 2x64 or 4x256:4)", tok);
    else (*n)++;
  }
  free(buf);
  if (rc) return rc;
  return *n ? SF_OK : sf_fail(SF_EINPUT, "expected at least one size (e.g. 2x64, 4x128)");
}

int sf_sweep_parse_budgets(const char *list, double *out, size_t *n) {
  *n = 0;
  if (empty_item(list)) return sf_fail(SF_EINPUT, "an empty item in '%s' (two commas, or one at an end)", list);
  char *buf = sf_strdup(list);
  if (!buf) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = SF_OK;
  *n = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); !rc && tok; tok = strtok_r(NULL, ",", &save)) {
    tok = trim(tok);
    double v;
    if (*n == SF_SWEEP_MAXLIST) rc = sf_fail(SF_EINPUT, "more than %d budgets", SF_SWEEP_MAXLIST);
    else if (!sf_parse_double(tok, &v) || !(v > 0) || !isfinite(v))
      rc = sf_fail(SF_EINPUT, "'%s' is not a positive number", tok);
    else out[(*n)++] = v;
  }
  free(buf);
  if (rc) return rc;
  return *n ? SF_OK : sf_fail(SF_EINPUT, "expected at least one budget (e.g. 1e5, 3e5)");
}

int sf_sweep_new(sf_sweep **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return sf_fail(SF_ENOMEM, "out of memory");
  (*out)->data.kind = SF_DATA_CORPUS;
  (*out)->seed = 1;
  return SF_OK;
}

void sf_sweep_free(sf_sweep *s) {
  if (!s) return;
  free(s->path);
  free(s->description);
  free((char *)s->data.corpus_dir);
  for (size_t i = 0; i < s->ngrids; i++) free(s->grids[i].name);
  free(s->grids);
  free(s);
}

static sf_sweep_grid *new_grid(sf_sweep *s, const char *name, size_t line) {
  sf_sweep_grid *g = realloc(s->grids, (s->ngrids + 1) * sizeof *g);
  if (!g) return NULL;
  s->grids = g;
  g = &s->grids[s->ngrids];
  memset(g, 0, sizeof *g);
  if (!(g->name = sf_strdup(name))) return NULL;
  g->line = line;
  s->ngrids++;
  return g;
}

int sf_sweep_add_grid(sf_sweep *s, const char *sizes, const char *budgets, int isoflop) {
  sf_sweep_grid *g = new_grid(s, "", 0);
  if (!g) return sf_fail(SF_ENOMEM, "out of memory");
  g->isoflop = isoflop;
  if (sf_sweep_parse_sizes(sizes, g->sizes, &g->nsizes)) return sf_fail_context("--sizes: ");
  if (sf_sweep_parse_budgets(budgets, g->budgets, &g->nbudgets))
    return sf_fail_context("--%s: ", isoflop ? "flops" : "tokens");
  return SF_OK;
}

/* ============================== 2. the file ============================== */

enum { SEC_NONE, SEC_SWEEP, SEC_DATA, SEC_GRID };
/* data options, each valid for one source only */
enum { OPT_CORPUS_DIR, OPT_MARKOV_VOCAB, OPT_MARKOV_ORDER, OPT_MARKOV_ALPHA, OPT_MARKOV_SEED, OPT_DIGITS, NOPT };
static const struct {
  const char *key;
  sf_data_kind kind;
} data_opts[NOPT] = {{"corpus_dir", SF_DATA_CORPUS}, {"markov_vocab", SF_DATA_MARKOV}, {"markov_order", SF_DATA_MARKOV},
                     {"markov_alpha", SF_DATA_MARKOV}, {"markov_seed", SF_DATA_MARKOV}, {"digits", SF_DATA_ADDITION}};
static const char *const kind_names[] = {"corpus", "markov", "addition"};

typedef struct parser {
  const char *origin;
  sf_sweep *s;
  int cur, seen_sweep, seen_data;
  size_t line;                /* the last line read */
  size_t opt_line[NOPT];      /* line of each data option given */
  size_t batch_line, context_line;
  size_t sizes_line, budget_line; /* of the current grid */
} parser;

#define FAIL(...) sf_ini_fail(p->origin, line, __VA_ARGS__)

/* A grid is complete when its section ends (at the next header or the end of the file). */
static int close_grid(parser *p) {
  if (p->cur != SEC_GRID) return SF_OK;
  sf_sweep_grid *g = &p->s->grids[p->s->ngrids - 1];
  size_t line = g->line;
  const char *sp = *g->name ? " " : "";
  if (!g->nsizes) return FAIL("[grid%s%s] needs sizes = LAYERSxD_MODEL, ... (e.g. sizes = 2x64, 4x128)", sp, g->name);
  if (!g->nbudgets)
    return FAIL("[grid%s%s] needs tokens = BUDGETS (token budgets) or flops = BUDGETS (isoFLOP compute budgets)", sp,
                g->name);
  return SF_OK;
}

static int on_section(void *ctx, size_t line, char *name, char *arg) {
  parser *p = ctx;
  p->line = line;
  int rc = close_grid(p);
  if (rc) return rc;
  if (!strcmp(name, "grid")) {
    if (*arg && !sf_table_valid_name(arg)) return FAIL("grid name '%s' is not [A-Za-z0-9_.-]+", arg);
    for (size_t i = 0; *arg && i < p->s->ngrids; i++)
      if (!strcmp(p->s->grids[i].name, arg))
        return FAIL("duplicate name: [grid %s] is already defined on line %zu", arg, p->s->grids[i].line);
    if (!new_grid(p->s, arg, line)) return sf_fail(SF_ENOMEM, "out of memory");
    p->cur = SEC_GRID;
    p->sizes_line = p->budget_line = 0;
    return SF_OK;
  }
  int *seen;
  if (!strcmp(name, "sweep")) p->cur = SEC_SWEEP, seen = &p->seen_sweep;
  else if (!strcmp(name, "data")) p->cur = SEC_DATA, seen = &p->seen_data;
  else return FAIL("unknown section [%s] (known: sweep, data, grid NAME)", name);
  if (*arg) return FAIL("section [%s] takes no name, got '%s'", name, arg);
  if (*seen) return FAIL("section [%s] given twice", name);
  *seen = 1;
  return SF_OK;
}

/* "unknown key" with the section's keys, and the one the user most likely meant. */
static int unknown_key(const parser *p, size_t line, const char *section, const char *key, const char *known) {
  sf_near n;
  sf_near_init(&n, key);
  sf_near_add_list(&n, known);
  return FAIL("unknown key '%s' in [%s]%s (known: %s)", key, section, sf_near_hint(&n), known);
}

static int key_long(const parser *p, size_t line, const char *key, const char *v, long lo, long hi, long *out) {
  return sf_ini_long(p->origin, line, key, v, lo, hi, out);
}

static int on_key(void *ctx, size_t line, int in_section, const char *section, char *key, char *v) {
  parser *p = ctx;
  sf_sweep *s = p->s;
  p->line = line;
  if (!in_section) return FAIL("key '%s' before any section (start with [sweep], [data] or [grid NAME])", key);
  if (!*v) return FAIL("%s: empty value", key);
  switch (p->cur) {
  case SEC_SWEEP:
    if (!strcmp(key, "description")) {
      free(s->description);
      return (s->description = sf_strdup(v)) ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
    }
    if (!strcmp(key, "context")) {
      p->context_line = line;
      return key_long(p, line, key, v, 1, 65536, &s->context);
    }
    if (!strcmp(key, "batch")) {
      p->batch_line = line;
      return key_long(p, line, key, v, 1, 1L << 40, &s->batch);
    }
    if (!strcmp(key, "lr")) {
      if (sf_ini_number(p->origin, line, key, v, &s->lr)) return SF_EINPUT;
      if (!(s->lr > 0 && s->lr < 1)) return FAIL("lr: expected a learning rate in (0, 1), got '%s'", v);
      return SF_OK;
    }
    if (!strcmp(key, "seed")) return key_long(p, line, key, v, 0, 1L << 62, &s->seed);
    if (!strcmp(key, "threads")) return key_long(p, line, key, v, 0, 1024, &s->threads);
    if (!strcmp(key, "evals")) return key_long(p, line, key, v, 1, 10000, &s->evals);
    if (!strcmp(key, "val_tokens")) return key_long(p, line, key, v, 1, 1L << 32, &s->val_tokens);
    return unknown_key(p, line, "sweep", key, "description, context, batch, lr, seed, threads, evals, val_tokens");
  case SEC_DATA: {
    if (!strcmp(key, "source")) {
      for (int k = 0; k < 3; k++)
        if (!strcmp(v, kind_names[k])) {
          s->data.kind = (sf_data_kind)k;
          return SF_OK;
        }
      return FAIL("source: expected corpus, markov or addition, got '%s'", v);
    }
    int o;
    for (o = 0; o < NOPT; o++)
      if (!strcmp(key, data_opts[o].key)) break;
    if (o == NOPT)
      return unknown_key(p, line, "data", key,
                         "source, corpus_dir, markov_vocab, markov_order, markov_alpha, markov_seed, digits");
    p->opt_line[o] = line;
    long x;
    switch (o) {
    case OPT_CORPUS_DIR: {
      free((char *)s->data.corpus_dir);
      const char *slash = strrchr(p->origin, '/');
      s->data.corpus_dir = v[0] == '/' || !slash ? sf_strdup(v) : sf_asprintf("%.*s/%s", (int)(slash - p->origin), p->origin, v);
      return s->data.corpus_dir ? SF_OK : sf_fail(SF_ENOMEM, "out of memory");
    }
    case OPT_MARKOV_VOCAB:
      if (key_long(p, line, key, v, 2, 65536, &x)) return SF_EINPUT;
      s->data.markov_vocab = (int)x;
      return SF_OK;
    case OPT_MARKOV_ORDER:
      if (key_long(p, line, key, v, 1, 8, &x)) return SF_EINPUT;
      s->data.markov_order = (int)x;
      return SF_OK;
    case OPT_MARKOV_ALPHA:
      if (sf_ini_number(p->origin, line, key, v, &s->data.markov_alpha)) return SF_EINPUT;
      if (!(s->data.markov_alpha > 0) || !isfinite(s->data.markov_alpha))
        return FAIL("markov_alpha: expected a Dirichlet concentration > 0, got '%s'", v);
      return SF_OK;
    case OPT_MARKOV_SEED:
      if (key_long(p, line, key, v, 1, 1L << 62, &x)) return SF_EINPUT;
      s->data.markov_seed = (uint64_t)x;
      return SF_OK;
    default:
      if (key_long(p, line, key, v, 1, 9, &x)) return SF_EINPUT;
      s->data.add_digits = (int)x;
      return SF_OK;
    }
  }
  case SEC_GRID: {
    sf_sweep_grid *g = &s->grids[s->ngrids - 1];
    int rc;
    if (!strcmp(key, "sizes")) {
      p->sizes_line = line;
      if ((rc = sf_sweep_parse_sizes(v, g->sizes, &g->nsizes))) return sf_fail_context("%s:%zu: sizes: ", p->origin, line);
      return SF_OK;
    }
    if (!strcmp(key, "tokens") || !strcmp(key, "flops")) {
      int iso = key[0] == 'f';
      if (p->budget_line)
        return FAIL("%s: a grid has tokens (token budgets) or flops (compute budgets), not both; put the other in its "
                    "own [grid NAME]", key);
      p->budget_line = line;
      g->isoflop = iso;
      if ((rc = sf_sweep_parse_budgets(v, g->budgets, &g->nbudgets)))
        return sf_fail_context("%s:%zu: %s: ", p->origin, line, key);
      return SF_OK;
    }
    return unknown_key(p, line, "grid", key, "sizes, tokens, flops");
  }
  }
  (void)section;
  return FAIL("key '%s' outside a section", key);
}

/* Checks across sections, once the whole file is read. */
static int finish(parser *p) {
  int rc = close_grid(p);
  if (rc) return rc;
  sf_sweep *s = p->s;
  size_t line = p->line ? p->line : 1;
  if (!s->ngrids) return FAIL("no [grid] section: a sweep needs at least one (sizes = ..., and tokens = ... or flops = ...)");
  for (int o = 0; o < NOPT; o++)
    if (p->opt_line[o] && data_opts[o].kind != s->data.kind) {
      line = p->opt_line[o];
      return FAIL("%s applies to source %s only, and this sweep's source is %s", data_opts[o].key,
                  kind_names[data_opts[o].kind], kind_names[s->data.kind]);
    }
  long T = s->context ? s->context : 128;
  if (s->batch && s->batch % T) {
    line = p->batch_line;
    return FAIL("batch: %ld tokens is not a whole number of sequences of context %ld", s->batch, T);
  }
  return SF_OK;
}
#undef FAIL

int sf_sweep_parse(const char *text, size_t len, const char *origin, sf_sweep **out) {
  *out = NULL;
  sf_sweep *s = NULL;
  int rc = sf_sweep_new(&s);
  if (rc) return rc;
  if (!(s->path = sf_strdup(origin))) {
    sf_sweep_free(s);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  parser p = {.origin = origin, .s = s};
  static const sf_ini_handler h = {on_section, on_key};
  if (!(rc = sf_ini_parse(text, len, origin, &h, &p))) rc = finish(&p);
  if (rc) {
    sf_sweep_free(s);
    return rc;
  }
  *out = s;
  return SF_OK;
}

int sf_sweep_read(const char *path, sf_sweep **out) {
  *out = NULL;
  char *text;
  size_t len;
  int rc = sf_ini_slurp(path, "sweep file", &text, &len);
  if (rc) return rc;
  rc = sf_sweep_parse(text, len, path, out);
  free(text);
  return rc;
}

/* ============================== 3. presets ============================== */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int sf_sweep_presets(char ***names, size_t *n) {
  *names = NULL;
  *n = 0;
  char *dir = sf_asprintf("%s/sweeps", sf_datadir());
  if (!dir) return sf_fail(SF_ENOMEM, "out of memory");
  DIR *d = opendir(dir);
  free(dir);
  if (!d) return SF_OK;
  int rc = SF_OK;
  for (struct dirent *e; !rc && (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".ini")) continue;
    char **a = realloc(*names, (*n + 1) * sizeof *a);
    if (!a || !(a[*n] = sf_asprintf("%.*s", (int)(l - 4), e->d_name))) {
      if (a) *names = a;
      rc = sf_fail(SF_ENOMEM, "out of memory");
      break;
    }
    *names = a;
    (*n)++;
  }
  closedir(d);
  if (rc) {
    sf_sweep_free_names(*names, *n);
    *names = NULL;
    *n = 0;
    return rc;
  }
  if (*n) qsort(*names, *n, sizeof **names, cmp_str);
  return SF_OK;
}

void sf_sweep_free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

char *sf_sweep_preset_path(const char *name) {
  int ok = *name && strlen(name) < 64;
  for (const char *c = name; *c; c++) ok &= isalnum((unsigned char)*c) || *c == '_' || *c == '-';
  char *path = ok ? sf_asprintf("%s/sweeps/%s.ini", sf_datadir(), name) : NULL;
  if (path && sf_file_exists(path)) return path;
  free(path);
  char **names;
  size_t n;
  if (sf_sweep_presets(&names, &n)) return NULL;
  sf_buf b;
  sf_buf_init(&b);
  for (size_t i = 0; i < n; i++) sf_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
  sf_fail(SF_EUSAGE, "unknown preset '%s' (presets in '%s/sweeps': %s)", name, sf_datadir(), n ? sf_buf_str(&b) : "none");
  sf_buf_free(&b);
  sf_sweep_free_names(names, n);
  return NULL;
}

/* ============================== 4. the plan ============================== */

static int cmp_run(const void *a, const void *b) {
  const sf_sweep_run *x = a, *y = b;
  if (x->flops != y->flops) return (x->flops > y->flops) - (x->flops < y->flops);
  return strcmp(x->name, y->name);
}

int sf_sweep_plan_build(const sf_sweep *s, const sf_source *src, const sf_train_config *base, int threads_cap,
                        sf_sweep_plan *out) {
  memset(out, 0, sizeof *out);
  const int T = (int)(s->context ? s->context : 128);
  size_t cap = 0;
  for (size_t g = 0; g < s->ngrids; g++) cap += s->grids[g].nsizes * s->grids[g].nbudgets;
  if (!cap) return sf_fail(SF_EINPUT, "the sweep has no runs");
  if (!(out->runs = calloc(cap, sizeof *out->runs))) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = sf_source_check_context(src, T);
  if (rc && s->path) sf_fail_context("%s: ", s->path);
  for (size_t gi = 0; !rc && gi < s->ngrids; gi++) {
    const sf_sweep_grid *g = &s->grids[gi];
    for (size_t k = 0; !rc && k < g->nsizes * g->nbudgets; k++) {
      const int *sz = g->sizes[k / g->nbudgets];
      double budget = g->budgets[k % g->nbudgets];
      sf_sweep_run *r = &out->runs[out->nruns];
      memset(r, 0, sizeof *r);
      sf_train_config *c = &r->cfg;
      if (base) *c = *base;
      c->model = (sf_gpt_config){sz[0], sz[1], sz[2], T, sf_source_vocab(src)};
      c->batch_tokens = s->batch ? s->batch : 16L * T;
      c->tokens = budget;
      if (g->isoflop) { /* the whole batches that fit in the compute budget */
        double per_batch = 3.0 * (double)(c->batch_tokens / T) * sf_gpt_flops_forward(&c->model, T);
        c->tokens = floor(budget / per_batch) * (double)c->batch_tokens;
        if (c->tokens < (double)c->batch_tokens) {
          rc = sf_fail(SF_EINPUT, "compute budget %g is less than one batch (%.3g FLOP)", budget, per_batch);
          goto fail;
        }
      }
      c->lr = s->lr;
      c->weight_decay = -1;
      c->val_tokens = s->val_tokens;
      c->evals = (int)s->evals;
      c->seed = (uint64_t)s->seed;
      c->threads = (int)s->threads;
      if ((rc = sf_train_resolve(c))) goto fail;
      if (!s->threads && threads_cap > 0 && (c->threads == 0 || c->threads > threads_cap)) c->threads = threads_cap;
      r->flops = 3.0 * floor(c->tokens / (double)c->batch_tokens) * (double)(c->batch_tokens / T) *
                 sf_gpt_flops_forward(&c->model, T);
      if (!(r->name = sf_train_run_name(c, src))) {
        rc = sf_fail(SF_ENOMEM, "out of memory");
        break;
      }
      int dup = 0; /* the union of the grids: a run two grids share is trained once */
      for (size_t i = 0; !dup && i < out->nruns; i++) dup = !strcmp(out->runs[i].name, r->name);
      if (dup) {
        free(r->name);
        r->name = NULL;
        continue;
      }
      /* A run trains whole batches, and its name holds the budget asked for: two budgets within one
       * batch of each other (--tokens 9000,10000 at 2048 a batch) would train the same run twice under
       * two names, two identical points of a fit. The other settings are the sweep's, the same for all. */
      const double steps = floor(c->tokens / (double)c->batch_tokens);
      for (size_t i = 0; i < out->nruns; i++) {
        const sf_train_config *o = &out->runs[i].cfg;
        if (o->model.n_layer != c->model.n_layer || o->model.d_model != c->model.d_model ||
            o->model.n_head != c->model.n_head || floor(o->tokens / (double)o->batch_tokens) != steps)
          continue;
        rc = sf_fail(SF_EINPUT,
                     "trains %.0f tokens (%.0f whole batch%s of %ld), as does run '%s' of this sweep: the same "
                     "run under two names; give budgets at least one batch (%ld tokens) apart",
                     steps * (double)c->batch_tokens, steps, steps == 1 ? "" : "es", c->batch_tokens, out->runs[i].name, c->batch_tokens);
        free(r->name);
        r->name = NULL;
        goto fail;
      }
      out->nruns++;
      out->flops_total += r->flops;
      continue;
    fail:
      if (s->path)
        sf_fail_context("%s:%zu: [grid%s%s] size %dx%d, budget %g: ", s->path, g->line, *g->name ? " " : "", g->name,
                        sz[0], sz[1], budget);
      else sf_fail_context("size %dx%d, budget %g: ", sz[0], sz[1], budget);
    }
  }
  if (rc) {
    sf_sweep_plan_free(out);
    return rc;
  }
  qsort(out->runs, out->nruns, sizeof *out->runs, cmp_run);
  out->flops_todo = out->flops_total;
  return SF_OK;
}

/* The value of key in a record's notes (space-separated key=value words, record.c) into v[n]; 0 when
 * the notes lack it (a row that scalefit did not write) */
static int note_value(const char *notes, const char *key, char *v, size_t n) {
  size_t kl = strlen(key);
  for (const char *w = notes; w && *w; w = strchr(w, ' '), w = w ? w + 1 : NULL)
    if (!strncmp(w, key, kl) && w[kl] == '=') {
      size_t len = strcspn(w + kl + 1, " ");
      snprintf(v, n, "%.*s", (int)len, w + kl + 1);
      return 1;
    }
  return 0;
}

/* What a row written by `scalefit train` without key was trained with: the default of the version
 * that wrote it. val_tokens and evals entered the notes after 0.1.0, whose defaults (16384, 10) are
 * the only ones these settings have had; NULL for a row that scalefit did not write (nothing to
 * compare) and for the settings that were always recorded. */
static const char *absent_default(const char *source, const char *key) {
  if (strncmp(source, "scalefit train ", 15)) return NULL;
  if (!strcmp(key, "val_tokens")) return "16384";
  if (!strcmp(key, "evals")) return "10";
  return NULL;
}

/* The corpus's description without its folder and package ("python3.11-doc 3.11.2 (/usr/share/...),
 * 497 files, 10.56 MB train, 0.49 MB val, byte-level" from ", 497 files"): the same text moved
 * elsewhere (a GPU machine's copy) is the same data, another corpus is not. */
static const char *corpus_tail(const char *desc) {
  const char *t = NULL;
  for (const char *c = strstr(desc, "), "); c; c = strstr(c + 1, "), ")) t = c + 1;
  return t ? t : desc;
}

/* Run r against row k of its name: what the name does not hold must agree where the row records it
 * (the batch, the learning rate and schedule, the validation set and evaluations, and the data), else
 * the run would be skipped as done although it was trained, or its loss measured, otherwise: a file
 * of losses on different validation sets. Not compared: threads, device and precision, which change
 * only the rounding (a sweep resumed on a GPU skips the CPU's runs). 1 and how they differ in why[n]
 * if not. */
static int differs(const sf_sweep_run *r, const sf_table *t, size_t k, const sf_source *src, char *why, size_t n) {
  const sf_train_config *c = &r->cfg;
  struct {
    const char *key, *what;
    char want[48];
  } s[] = {{"batch_tokens", "a batch of %s tokens, and this sweep trains it with %s", ""},
           {"lr", "learning rate %s, and this sweep trains it with %s", ""},
           {"warmup_frac", "warm-up fraction %s, and this sweep trains it with %s", ""},
           {"min_lr_frac", "final learning-rate fraction %s, and this sweep trains it with %s", ""},
           {"weight_decay", "weight decay %s, and this sweep trains it with %s", ""},
           {"grad_clip", "gradient clip %s, and this sweep trains it with %s", ""},
           {"val_tokens", "%s validation tokens, and this sweep measures it on %s", ""},
           {"evals", "%s validations, and this sweep makes %s", ""}};
  snprintf(s[0].want, sizeof s[0].want, "%ld", c->batch_tokens);
  snprintf(s[1].want, sizeof s[1].want, "%g", c->lr);
  snprintf(s[2].want, sizeof s[2].want, "%g", c->warmup_frac);
  snprintf(s[3].want, sizeof s[3].want, "%g", c->min_lr_frac);
  snprintf(s[4].want, sizeof s[4].want, "%g", c->weight_decay);
  snprintf(s[5].want, sizeof s[5].want, "%g", c->grad_clip);
  snprintf(s[6].want, sizeof s[6].want, "%ld", c->val_tokens);
  snprintf(s[7].want, sizeof s[7].want, "%d", c->evals);
  for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
    char got[64];
    const char *dflt = absent_default(t->source[k], s[i].key);
    if (!note_value(t->notes[k], s[i].key, got, sizeof got)) {
      if (!dflt) continue;
      snprintf(got, sizeof got, "%s", dflt);
    }
    if (strcmp(got, s[i].want)) return snprintf(why, n, s[i].what, got, s[i].want), 1;
  }
  /* markov and addition data are described by their parameters alone; the corpus by its folder too,
   * which may move: its files and sizes are compared */
  const char *data = strstr(t->source[k], "data=");
  if (!src || !data) return 0;
  const char *want = sf_source_describe(src), *got = data + 5;
  if (sf_source_kind(src) == SF_DATA_CORPUS ? strcmp(corpus_tail(got), corpus_tail(want)) : strcmp(got, want))
    return snprintf(why, n, "data %s, and this sweep trains it on %s", got, want), 1;
  return 0;
}

int sf_sweep_plan_mark_done(sf_sweep_plan *p, const sf_table *t, const sf_source *src) {
  p->ndone = 0;
  p->flops_todo = 0;
  for (size_t i = 0; i < p->nruns; i++) {
    sf_sweep_run *r = &p->runs[i];
    r->done = 0;
    for (size_t k = 0; t && !r->done && k < t->nrows; k++) {
      if (strcmp(t->run[k], r->name)) continue;
      char why[512];
      if (differs(r, t, k, src, why, sizeof why))
        return sf_fail(SF_EINPUT,
                       "run '%s' is recorded with %s; its name does not say so, and the sweep would skip it as done: "
                       "give this sweep another run file or table",
                       r->name, why);
      r->done = 1;
    }
    if (r->done) p->ndone++;
    else p->flops_todo += r->flops;
  }
  return SF_OK;
}

void sf_sweep_plan_free(sf_sweep_plan *p) {
  for (size_t i = 0; p->runs && i < p->nruns; i++) free(p->runs[i].name);
  free(p->runs);
  memset(p, 0, sizeof *p);
}

/* ============================== 5. files beside the run file ============================== */

char *sf_sweep_checkpoint_path(const char *runfile, const char *run_name) {
  return sf_asprintf("%s.ckpt.d/%s.ckpt", runfile, run_name);
}

int sf_sweep_checkpoint_dir(const char *runfile) {
  char *dir = sf_asprintf("%s.ckpt.d", runfile);
  if (!dir) return sf_fail(SF_ENOMEM, "out of memory");
  int rc = SF_OK;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) rc = sf_fail(SF_EIO, "cannot create the checkpoint folder '%s': %s", dir, strerror(errno));
  free(dir);
  return rc;
}

void sf_sweep_cleanup(const char *runfile, const sf_sweep_plan *p) {
  /* temporaries of writers killed while writing (SIGKILL cannot be cleaned up after) */
  char *dir = sf_asprintf("%s.ckpt.d", runfile);
  sf_atomic_remove_stale(runfile);
  sf_train_store_unlock_stale(runfile);
  if (dir) sf_atomic_remove_stale_dir(dir);
  for (size_t i = 0; p && i < p->nruns; i++)
    if (p->runs[i].done) {
      char *c = sf_sweep_checkpoint_path(runfile, p->runs[i].name);
      if (c) sf_train_checkpoint_remove(c);
      free(c);
    }
  if (dir) rmdir(dir); /* fails, as it should, unless empty */
  free(dir);
}
