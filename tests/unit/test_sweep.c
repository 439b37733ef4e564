/* test_sweep.c: sweep files, presets and plans (sf_sweep.h).
 *
 *   lists      sizes with and without heads, budgets, and every malformed item refused
 *   files      a full file read back field by field; every bad-file message with its FILE:LINE
 *   presets    the shipped tiny.ini gives exactly the runs of the old built-in preset; default.ini
 *              is a valid 12-16 run sweep at context 128 on the corpus
 *   plans      the union of grids (a shared run once), cheapest first, FLOPs against the closed
 *              form of sf_train.h computed here, isoFLOP token rounding (whole batches, within one
 *              batch below the budget), done/todo against a run table, the MPI threads cap; two budgets
 *              that train the same whole batches (one run under two names) refused
 *   files      per-run checkpoint paths; cleanup removes only dead writers' temporaries
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>
#include <scalefit/sf_sweep.h>
#include <scalefit/sf_version.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sf_test.h"
#include "util/util.h"

/* ---- lists ---- */

static void test_sizes(void **state) {
  (void)state;
  int sz[SF_SWEEP_MAXLIST][3];
  size_t n;
  assert_int_equal(sf_sweep_parse_sizes(" 2x64, 4x256:4 ,3x128", sz, &n), SF_OK);
  assert_int_equal(n, 3);
  int want[3][3] = {{2, 64, 1}, {4, 256, 4}, {3, 128, 2}}; /* heads: 1 below d 128, else d/64 */
  for (size_t i = 0; i < 3; i++)
    for (int k = 0; k < 3; k++) assert_int_equal(sz[i][k], want[i][k]);
  const char *bad[] = {"2x", "x64", "2x64:", "2x64:0", "2y64", "0x64", "2x64x3", "2 x 64", "-2x64", "2x64:2:1", "", " , "};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(sf_sweep_parse_sizes(bad[i], sz, &n), SF_EINPUT);
    assert_non_null(strstr(sf_errmsg(), !*bad[i] ? "at least one" : strchr(bad[i], ',') ? "an empty item" : "is not LAYERSxD_MODEL"));
  }
  double b[SF_SWEEP_MAXLIST];
  assert_int_equal(sf_sweep_parse_budgets("1e5, 300000,2.5e6", b, &n), SF_OK);
  assert_int_equal(n, 3);
  assert_rel(b[1], 3e5, 0);
  assert_rel(b[2], 2.5e6, 0);
  const char *badb[] = {"0", "-1e5", "1e5,abc", "nan", "inf"};
  for (size_t i = 0; i < sizeof badb / sizeof badb[0]; i++)
    assert_int_equal(sf_sweep_parse_budgets(badb[i], b, &n), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "'inf' is not a positive number"));
  /* a list longer than 4 kB is read whole (it was cut: the last budget 400000 read as 40000) */
  char longlist[5000];
  snprintf(longlist, sizeof longlist, "1e5,%4100s400000", "");
  assert_int_equal(sf_sweep_parse_budgets(longlist, b, &n), SF_OK);
  assert_int_equal(n, 2);
  assert_rel(b[1], 4e5, 0);
  snprintf(longlist, sizeof longlist, "2x64,%4100s4x256", "");
  assert_int_equal(sf_sweep_parse_sizes(longlist, sz, &n), SF_OK);
  assert_int_equal(n, 2);
  assert_int_equal(sz[1][1], 256);
}

/* ---- files ---- */

static const char *full =
    "# a sweep with everything\n"
    "\n"
    "[sweep]\n"
    "description = two grids on a Markov chain\n"
    "context = 32\n"
    "batch = 512\n"
    "lr = 2e-3\n"
    "seed = 7\n"
    "threads = 1\n"
    "evals = 2\n"
    "val_tokens = 1024\n"
    "\n"
    "[data]\n"
    "source = markov\n"
    "markov_vocab = 32\n"
    "markov_order = 1\n"
    "markov_alpha = 0.5\n"
    "markov_seed = 3\n"
    "\n"
    "; token budgets\n"
    "[grid small]\n"
    "sizes = 1x16, 1x32\n"
    "tokens = 20480\n"
    "[grid more]\n"
    "sizes = 1x32\n"
    "tokens = 20480, 40960\n"
    "[grid]\n"
    "sizes = 2x32\n"
    "flops = 2e9\n";

static sf_sweep *parse_ok(const char *text) {
  sf_sweep *s = NULL;
  int rc = sf_sweep_parse(text, strlen(text), "dir/t.ini", &s);
  if (rc) fprintf(stderr, "unexpected: %s\n", sf_errmsg());
  assert_int_equal(rc, SF_OK);
  return s;
}

static void test_file(void **state) {
  (void)state;
  char buf[4096];
  snprintf(buf, sizeof buf, "\xEF\xBB\xBF%s", full); /* a byte-order mark first is fine */
  sf_sweep *s = parse_ok(buf);
  assert_string_equal(s->description, "two grids on a Markov chain");
  assert_int_equal(s->context, 32);
  assert_int_equal(s->batch, 512);
  assert_rel(s->lr, 2e-3, 0);
  assert_int_equal(s->seed, 7);
  assert_int_equal(s->threads, 1);
  assert_int_equal(s->evals, 2);
  assert_int_equal(s->val_tokens, 1024);
  assert_int_equal(s->data.kind, SF_DATA_MARKOV);
  assert_int_equal(s->data.markov_vocab, 32);
  assert_int_equal(s->data.markov_order, 1);
  assert_rel(s->data.markov_alpha, 0.5, 0);
  assert_int_equal(s->data.markov_seed, 3);
  assert_int_equal(s->ngrids, 3);
  assert_string_equal(s->grids[0].name, "small");
  assert_string_equal(s->grids[1].name, "more");
  assert_string_equal(s->grids[2].name, "");
  assert_int_equal(s->grids[0].line, 21);
  assert_int_equal(s->grids[1].nbudgets, 2);
  assert_int_equal(s->grids[2].isoflop, 1);
  assert_int_equal(s->grids[0].isoflop, 0);
  sf_sweep_free(s);

  /* defaults, and corpus_dir relative to the file's folder */
  s = parse_ok("[data]\ncorpus_dir = text\n[grid]\nsizes = 2x64\ntokens = 1e5\n");
  assert_int_equal(s->data.kind, SF_DATA_CORPUS);
  assert_string_equal(s->data.corpus_dir, "dir/text");
  assert_int_equal(s->seed, 1);
  assert_int_equal(s->context, 0);
  assert_null(s->description);
  sf_sweep_free(s);
  s = parse_ok("[data]\ncorpus_dir = /abs\n[grid]\nsizes = 2x64\ntokens = 1e5\n");
  assert_string_equal(s->data.corpus_dir, "/abs");
  sf_sweep_free(s);
}

static void test_bad_files(void **state) {
  (void)state;
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"", "t.ini:1: no [grid] section"},
      {"[sweep]\ncontext = 64\n", "t.ini:2: no [grid] section"},
      {"context = 64\n", "t.ini:1: key 'context' before any section"},
      {"[sweeps]\n", "t.ini:1: unknown section [sweeps] (known: sweep, data, grid NAME)"},
      {"[sweep x]\n", "t.ini:1: section [sweep] takes no name, got 'x'"},
      {"[sweep]\n[sweep]\n", "t.ini:2: section [sweep] given twice"},
      {"[data]\n\n[data]\n", "t.ini:3: section [data] given twice"},
      {"[sweep\n", "t.ini:1: a section header is [name] or [name NAME] alone on its line"},
      {"[sweep] x\n", "t.ini:1: a section header is"},
      {"[sweep]\ncontext\n", "t.ini:2: expected 'key = value'"},
      {"[sweep]\n= 3\n", "t.ini:2: missing key before '='"},
      {"[sweep]\ncontext =\n", "t.ini:2: context: empty value"},
      {"[sweep]\ncontext = 64\ncontext = 32\n", "t.ini:3: key 'context' given twice in [sweep]"},
      {"[sweep]\nctx = 64\n", "t.ini:2: unknown key 'ctx' in [sweep] (known: description, context, batch, lr"},
      /* a misspelt key gets the one meant (a swap in 'context', a letter short of 'sizes' and 'markov_order') */
      {"[sweep]\ncontxet = 64\n", "t.ini:2: unknown key 'contxet' in [sweep] (did you mean 'context'?) (known: "},
      {"[grid]\nsize = 2x64\n", "t.ini:2: unknown key 'size' in [grid] (did you mean 'sizes'?) (known: sizes, "},
      {"[data]\nmarkov_ordr = 2\n", "t.ini:2: unknown key 'markov_ordr' in [data] (did you mean 'markov_order'?)"},
      {"[sweep]\ncontext = 0\n", "t.ini:2: context: expected a whole number in [1, 65536], got '0'"},
      {"[sweep]\ncontext = 64k\n", "t.ini:2: context: expected a whole number"},
      {"[sweep]\nbatch = -5\n", "t.ini:2: batch: expected a whole number"},
      {"[sweep]\nlr = fast\n", "t.ini:2: lr: expected a number, got 'fast'"},
      {"[sweep]\nlr = 2\n", "t.ini:2: lr: expected a learning rate in (0, 1), got '2'"},
      {"[sweep]\nseed = -1\n", "t.ini:2: seed: expected a whole number"},
      {"[sweep]\nthreads = 5000\n", "t.ini:2: threads: expected a whole number in [0, 1024]"},
      {"[sweep]\nevals = 0\n", "t.ini:2: evals: expected a whole number in [1, 10000]"},
      {"[sweep]\nval_tokens = x\n", "t.ini:2: val_tokens: expected a whole number"},
      {"[data]\nsource = wiki\n", "t.ini:2: source: expected corpus, markov or addition, got 'wiki'"},
      {"[data]\nkind = markov\n", "t.ini:2: unknown key 'kind' in [data] (known: source, corpus_dir"},
      {"[data]\nsource = markov\nmarkov_order = 9\n", "t.ini:3: markov_order: expected a whole number in [1, 8]"},
      {"[data]\nsource = markov\nmarkov_vocab = 1\n", "t.ini:3: markov_vocab: expected a whole number in [2, 65536]"},
      {"[data]\nsource = markov\nmarkov_alpha = 0\n", "t.ini:3: markov_alpha: expected a Dirichlet concentration > 0"},
      {"[data]\nsource = addition\ndigits = 10\n", "t.ini:3: digits: expected a whole number in [1, 9]"},
      {"[data]\nsource = markov\nmarkov_seed = 0\n", "t.ini:3: markov_seed: expected a whole number in [1, "},
      {"[data]\nmarkov_order = 2\n[grid]\nsizes = 2x64\ntokens = 1e5\n",
       "t.ini:2: markov_order applies to source markov only, and this sweep's source is corpus"},
      {"[data]\ndigits = 2\nsource = markov\n[grid]\nsizes = 2x64\ntokens = 1e5\n",
       "t.ini:2: digits applies to source addition only, and this sweep's source is markov"},
      {"[grid]\nsizes = 2x64\n", "t.ini:1: [grid] needs tokens = BUDGETS (token budgets) or flops = BUDGETS"},
      {"[grid a]\ntokens = 1e5\n[sweep]\n", "t.ini:1: [grid a] needs sizes = LAYERSxD_MODEL"},
      {"[grid a]\nsizes = 2x64\ntokens = 1e5\n[grid b]\n", "t.ini:4: [grid b] needs sizes"},
      {"[grid a]\nsizes = 2x64\ntokens = 1e5\n\n[grid a]\n", "t.ini:5: duplicate name: [grid a] is already defined on line 1"},
      {"[grid a/b]\n", "t.ini:1: grid name 'a/b' is not [A-Za-z0-9_.-]+"},
      {"[grid]\nsizes = 2x64\ntokens = 1e5\nflops = 1e12\n",
       "t.ini:4: flops: a grid has tokens (token budgets) or flops (compute budgets), not both"},
      {"[grid]\nsizes = 2x64, 2xx\n", "t.ini:2: sizes: '2xx' is not LAYERSxD_MODEL[:HEADS]"},
      /* an empty item is refused, not skipped: a value deleted by mistake */
      {"[grid]\nsizes = 2x64,\n", "t.ini:2: sizes: an empty item in '2x64,' (two commas, or one at an end)"},
      {"[grid]\nsizes = 2x64, ,4x128\n", "t.ini:2: sizes: an empty item in '2x64, ,4x128'"},
      {"[grid]\nsizes = 2x64\ntokens = ,1e5\n", "t.ini:3: tokens: an empty item in ',1e5'"},
      {"[grid]\nsizes = 2x64\ntokens = 1e5, -3\n", "t.ini:3: tokens: '-3' is not a positive number"},
      {"[grid]\nsizes = 2x64\nflops = many\n", "t.ini:3: flops: 'many' is not a positive number"},
      {"[grid]\nsizes = 2x64\nlr = 1e-3\n", "t.ini:3: unknown key 'lr' in [grid] (known: sizes, tokens, flops)"},
      {"[sweep]\ncontext = 64\nbatch = 1000\n[grid]\nsizes = 2x64\ntokens = 1e5\n",
       "t.ini:3: batch: 1000 tokens is not a whole number of sequences of context 64"},
      {"[sweep]\nbatch = 1000\n[grid]\nsizes = 2x64\ntokens = 1e5\n",
       "t.ini:2: batch: 1000 tokens is not a whole number of sequences of context 128"},
      {"[sweep]\ncontext = 1\x00\n", "t.ini:2: NUL byte"},
      {"[sweep]\n\xEF\xBB\xBF\n", "t.ini:2: expected 'key = value'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sf_sweep *s = (sf_sweep *)1;
    size_t len = strlen(cases[i].text);
    if (strstr(cases[i].want, "NUL")) len += 2; /* the text goes on past its NUL */
    int rc = sf_sweep_parse(cases[i].text, len, "t.ini", &s);
    if (rc != SF_EINPUT || !strstr(sf_errmsg(), cases[i].want))
      fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, sf_errmsg(), cases[i].want);
    assert_null(s);
  }
  sf_sweep *s;
  char long_line[5000]; /* line 2 is longer than the reader takes */
  memset(long_line, ' ', sizeof long_line);
  memcpy(long_line, "[sweep]\n# ", 10);
  assert_int_equal(sf_sweep_parse(long_line, sizeof long_line, "t.ini", &s), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "t.ini:2: line longer than 4000 characters"));
  assert_int_equal(sf_sweep_read("/nonexistent/x.ini", &s), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "/nonexistent/x.ini: cannot open sweep file"));
}

/* ---- plans ---- */

/* Forward FLOPs per sequence, the closed form of sf_train.h written out again here. */
static double fwd(double L, double C, double T, double V) { return T * (24 * L * C * C + 2 * C * V) + 2 * L * C * T * (T + 1); }

static sf_source *markov(int V) {
  sf_source_spec spec = {.kind = SF_DATA_MARKOV, .markov_vocab = V, .markov_order = 1, .markov_alpha = 0.5, .markov_seed = 3};
  sf_source *src = NULL;
  assert_int_equal(sf_source_open(&spec, &src), SF_OK);
  return src;
}

static void test_plan(void **state) {
  (void)state;
  sf_sweep *s = parse_ok(full);
  sf_source *src = markov(32);
  sf_sweep_plan p;
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_OK);
  /* small: 1x16, 1x32 at 20480; more: 1x32 at 20480 (shared: once) and 40960; iso: 2x32 */
  assert_int_equal(p.nruns, 4);
  double total = 0;
  for (size_t i = 0; i < p.nruns; i++) {
    const sf_train_config *c = &p.runs[i].cfg;
    double steps = floor(c->tokens / 512.0);
    double want = 3 * steps * 16 * fwd(c->model.n_layer, c->model.d_model, 32, 32);
    assert_rel(p.runs[i].flops, want, 1e-12);
    total += want;
    if (i) assert_true(p.runs[i - 1].flops <= p.runs[i].flops); /* cheapest first */
    assert_int_equal(c->batch_tokens, 512);
    assert_rel(c->lr, 2e-3, 0);
    assert_int_equal(c->seed, 7);
    assert_int_equal(c->evals, 2);
    assert_int_equal(c->val_tokens, 1024);
    assert_int_equal(c->threads, 1);
    assert_int_equal(p.runs[i].done, 0);
    for (size_t k = 0; k < i; k++) assert_string_not_equal(p.runs[k].name, p.runs[i].name);
  }
  assert_rel(p.flops_total, total, 1e-12);
  assert_rel(p.flops_todo, total, 1e-12);
  /* by FLOPs: 1x16 and 1x32 at 20480 tokens, the isoFLOP 2x32 (11776 tokens), 1x32 at 40960 */
  assert_string_equal(p.runs[0].name, "markov-L1-d16-h1-T32-D20480-s7");
  assert_string_equal(p.runs[1].name, "markov-L1-d32-h1-T32-D20480-s7");
  assert_string_equal(p.runs[3].name, "markov-L1-d32-h1-T32-D40960-s7");
  /* isoFLOP: 2e9 FLOP over 2x32 buys the whole batches below the budget */
  const sf_sweep_run *iso = &p.runs[2];
  double per_batch = 3 * 16 * fwd(2, 32, 32, 32);
  assert_rel(iso->cfg.tokens, floor(2e9 / per_batch) * 512, 0);
  assert_true(iso->flops <= 2e9 && iso->flops > 2e9 - per_batch);
  char want_name[64];
  snprintf(want_name, sizeof want_name, "markov-L2-d32-h1-T32-D%.0f-s7", iso->cfg.tokens);
  assert_string_equal(iso->name, want_name);

  /* done/todo against a run table */
  sf_table *t = sf_table_new("runs");
  assert_true(sf_table_add_row(t, "markov-L1-d32-h1-T32-D40960-s7", "", "", "") >= 0);
  assert_true(sf_table_add_row(t, "some-other-run", "", "", "") >= 0);
  assert_int_equal(sf_sweep_plan_mark_done(&p, t, src), SF_OK);
  assert_int_equal(p.ndone, 1);
  assert_int_equal(p.runs[3].done, 1);
  assert_rel(p.flops_todo, total - p.runs[3].flops, 1e-12);
  assert_int_equal(sf_sweep_plan_mark_done(&p, NULL, src), SF_OK);
  assert_int_equal(p.ndone, 0);
  sf_table_free(t);
  /* a row of the same name recorded with another batch, learning rate, schedule, validation set,
   * number of validations or data is refused, naming the difference: the run would be skipped though
   * never trained (or measured) this way; the same ones pass */
  char same[256], data[256];
  snprintf(same, sizeof same, "layers=1 d_model=32 heads=1 context=32 vocab=64 tokens=40960 batch_tokens=%ld lr=%g "
           "min_lr_frac=0.1 val_tokens=1024 evals=2 seed=7", p.runs[3].cfg.batch_tokens, p.runs[3].cfg.lr);
  snprintf(data, sizeof data, "scalefit train 0.1.0, data=%s", sf_source_describe(src));
  const struct { const char *source, *notes, *why; } rows[] = {
      {data, same, NULL},
      {data, "lr=0.002 batch_tokens=1024", "with a batch of 1024 tokens, and this sweep trains it with 512"},
      {data, "batch_tokens=512 lr=0.003", "with learning rate 0.003, and this sweep trains it with 0.002"},
      {"scalefit train 0.1.0, data=markov vocab 64 order 3 alpha 0.1 seed 1", same, "data markov vocab 64 order 3"},
      {data, "val_tokens=2048 evals=2", "with 2048 validation tokens, and this sweep measures it on 1024"},
      {data, "val_tokens=1024 evals=3", "with 3 validations, and this sweep makes 2"},
      {data, "val_tokens=1024 evals=2 warmup_frac=0.2", "with warm-up fraction 0.2, and this sweep trains it with 0.1"},
      {data, "val_tokens=1024 evals=2 min_lr_frac=0.5", "with final learning-rate fraction 0.5, and this sweep trains"},
      {data, "val_tokens=1024 evals=2 weight_decay=0", "with weight decay 0, and this sweep trains it with 0.1"},
      {data, "val_tokens=1024 evals=2 grad_clip=2", "with gradient clip 2, and this sweep trains it with 1"},
      /* written before val_tokens and evals were recorded: the defaults of that version, 16384 and 10 */
      {data, "batch_tokens=512", "with 16384 validation tokens, and this sweep measures it on 1024"},
      {data, "val_tokens=1024", "with 10 validations, and this sweep makes 2"},
      /* a row that scalefit did not write says nothing about what it lacks */
      {"", "batch_tokens=512", NULL},
  };
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
    t = sf_table_new("runs");
    assert_true(sf_table_add_row(t, "markov-L1-d32-h1-T32-D40960-s7", "", rows[k].source, rows[k].notes) >= 0);
    int rc = sf_sweep_plan_mark_done(&p, t, src);
    if (!rows[k].why) {
      assert_int_equal(rc, SF_OK);
      assert_int_equal(p.ndone, 1);
    } else {
      assert_int_equal(rc, SF_EINPUT);
      if (!strstr(sf_errmsg(), rows[k].why) || !strstr(sf_errmsg(), "would skip"))
        fail_msg("row %zu: %s", k, sf_errmsg());
    }
    sf_table_free(t);
  }
  sf_sweep_plan_free(&p);

  /* settings the file does not hold come from the caller's base config */
  sf_train_config base = {.grad_clip = 0.5, .warmup_frac = 0.2, .lr = 9e-3};
  assert_int_equal(sf_sweep_plan_build(s, src, &base, 0, &p), SF_OK);
  for (size_t i = 0; i < p.nruns; i++) {
    assert_rel(p.runs[i].cfg.grad_clip, 0.5, 0);
    assert_rel(p.runs[i].cfg.warmup_frac, 0.2, 0);
    assert_rel(p.runs[i].cfg.lr, 2e-3, 0); /* the sweep's own setting wins */
  }
  sf_sweep_plan_free(&p);

  /* MPI threads cap: only when the sweep leaves threads to the default */
  s->threads = 0;
  s->grids[0].sizes[0][1] = 128; /* 1x128: 2 heads, default threads all cores */
  s->grids[0].sizes[0][2] = 2;
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 1, &p), SF_OK);
  for (size_t i = 0; i < p.nruns; i++) assert_int_equal(p.runs[i].cfg.threads, 1);
  sf_sweep_plan_free(&p);
  s->threads = 2;
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 1, &p), SF_OK);
  for (size_t i = 0; i < p.nruns; i++) assert_int_equal(p.runs[i].cfg.threads, 2);
  sf_sweep_plan_free(&p);
  sf_sweep_free(s);

  /* impossible runs name the grid's line */
  s = parse_ok("[sweep]\ncontext = 32\n\n[grid big]\nsizes = 2x64\nflops = 1e6\n");
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "dir/t.ini:4: [grid big] size 2x64, budget 1e+06: compute budget 1e+06 is less "
                                      "than one batch"));
  sf_sweep_free(s);
  s = parse_ok("[grid]\nsizes = 2x60:7\ntokens = 1e6\n");
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "dir/t.ini:1: [grid] size 2x60, budget 1e+06: "));
  assert_non_null(strstr(sf_errmsg(), "divisible"));
  sf_sweep_free(s);
  s = parse_ok("[grid]\nsizes = 2x64\ntokens = 100\n");
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "smaller than one batch"));
  sf_sweep_free(s);
  /* grids from flags */
  assert_int_equal(sf_sweep_new(&s), SF_OK);
  assert_int_equal(sf_sweep_add_grid(s, "2x64", "1e5,x", 0), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "--tokens: 'x' is not a positive number"));
  assert_int_equal(sf_sweep_add_grid(s, "2x", "1e5", 1), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "--sizes: '2x' is not"));
  sf_sweep_free(s);
  sf_source_free(src);
}

/* Runs train whole batches (512 tokens here: 16 sequences of 32) and are named by the budget asked
 * for: two budgets within one batch of each other would be the same training under two names. */
static void test_plan_same_training(void **state) {
  (void)state;
  sf_source *src = markov(64);
  sf_sweep_plan p;
  /* 9000 and 9100 tokens are both 17 batches: 17 * 512 = 8704 tokens */
  sf_sweep *s = parse_ok("[sweep]\ncontext = 32\n[grid]\nsizes = 1x16, 1x32\ntokens = 9000, 9100\n");
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_EINPUT);
  if (!strstr(sf_errmsg(), "dir/t.ini:3: [grid] size 1x16, budget 9100: trains 8704 tokens (17 whole batches of 512), "
                           "as does run 'markov-L1-d16-h1-T32-D9000-s1' of this sweep: the same run under two names"))
    fail_msg("%s", sf_errmsg());
  sf_sweep_free(s);
  /* 9300 tokens are 18 batches: two runs */
  s = parse_ok("[sweep]\ncontext = 32\n[grid]\nsizes = 1x16\ntokens = 9000, 9300\n");
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_OK);
  assert_int_equal(p.nruns, 2);
  sf_sweep_plan_free(&p);
  sf_sweep_free(s);
  /* across grids: an isoFLOP budget of 17.5 batches of 2x32 trains the 17 batches that --tokens 9000 does */
  char text[256];
  snprintf(text, sizeof text, "[sweep]\ncontext = 32\n[grid a]\nsizes = 2x32\ntokens = 9000\n[grid b]\nsizes = 2x32\n"
           "flops = %.17g\n", 17.5 * 3 * 16 * fwd(2, 32, 32, 64));
  s = parse_ok(text);
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_EINPUT);
  if (!strstr(sf_errmsg(), "dir/t.ini:6: [grid b] size 2x32, budget ") ||
      !strstr(sf_errmsg(), "trains 8704 tokens (17 whole batches of 512), as does run 'markov-L2-d32-h1-T32-D9000-s1'"))
    fail_msg("%s", sf_errmsg());
  sf_sweep_free(s);
  sf_source_free(src);
}

/* ---- presets ---- */

static void test_presets(void **state) {
  (void)state;
  char **names;
  size_t n;
  assert_int_equal(sf_sweep_presets(&names, &n), SF_OK);
  int tiny = 0, def = 0;
  for (size_t i = 0; i < n; i++) tiny |= !strcmp(names[i], "tiny"), def |= !strcmp(names[i], "default");
  assert_true(tiny && def);
  sf_sweep_free_names(names, n);
  assert_null(sf_sweep_preset_path("nope"));
  assert_int_equal(sf_errcode(), SF_EUSAGE);
  assert_non_null(strstr(sf_errmsg(), "unknown preset 'nope'"));
  assert_non_null(strstr(sf_errmsg(), "default, tiny"));
  assert_null(sf_sweep_preset_path("../tiny"));

  char *path = sf_sweep_preset_path("tiny");
  assert_non_null(path);
  sf_sweep *s;
  assert_int_equal(sf_sweep_read(path, &s), SF_OK);
  free(path);
  assert_int_equal(s->data.kind, SF_DATA_CORPUS);
  /* the runs of the built-in preset it replaces: sizes 2x32,2x64,4x64 x 1e5,6e5 tokens, context 64 */
  static const char *const want[] = {"L2-d32-h1-T64-D100000-s1", "L2-d64-h1-T64-D100000-s1",
                                     "L2-d32-h1-T64-D600000-s1", "L4-d64-h1-T64-D100000-s1",
                                     "L2-d64-h1-T64-D600000-s1", "L4-d64-h1-T64-D600000-s1"};
  sf_source *src = markov(256); /* same vocabulary as the corpus: the runs differ only in the data name */
  sf_sweep_plan p;
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_OK);
  assert_int_equal(p.nruns, 6);
  for (size_t i = 0; i < 6; i++) {
    char name[64];
    snprintf(name, sizeof name, "markov-%s", want[i]);
    assert_string_equal(p.runs[i].name, name);
  }
  sf_sweep_plan_free(&p);
  sf_sweep_free(s);

  path = sf_sweep_preset_path("default");
  assert_int_equal(sf_sweep_read(path, &s), SF_OK);
  free(path);
  assert_int_equal(s->data.kind, SF_DATA_CORPUS);
  assert_int_equal(s->context, 128);
  assert_int_equal(sf_sweep_plan_build(s, src, NULL, 0, &p), SF_OK);
  assert_true(p.nruns >= 12 && p.nruns <= 16);
  printf("default preset: %zu runs, %.3g FLOP in all\n", p.nruns, p.flops_total);
  sf_sweep_plan_free(&p);
  sf_sweep_free(s);
  sf_source_free(src);
}

/* ---- files beside the run file ---- */

static void touch(const char *path) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
}

static void test_cleanup(void **state) {
  (void)state;
  const char *run = sf_test_path("runs.h5");
  char *c = sf_sweep_checkpoint_path(run, "markov-L1-d16-h1-T32-D20480-s7");
  char want[4096];
  snprintf(want, sizeof want, "%s.ckpt.d/markov-L1-d16-h1-T32-D20480-s7.ckpt", run);
  assert_string_equal(c, want);
  assert_int_equal(sf_sweep_checkpoint_dir(run), SF_OK);
  assert_int_equal(sf_sweep_checkpoint_dir(run), SF_OK); /* again: already there */
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, NULL, 0);
  char tmp_dead[4096], tmp_live[4096], ck_dead[4096], other[4096];
  snprintf(tmp_dead, sizeof tmp_dead, "%s.tmp.%ld.0", run, (long)dead);
  snprintf(tmp_live, sizeof tmp_live, "%s.tmp.%ld.0", run, (long)getpid());
  snprintf(ck_dead, sizeof ck_dead, "%s.tmp.%ld.3", c, (long)dead);
  snprintf(other, sizeof other, "%s.ckpt.d/another-run.ckpt", run);
  touch(tmp_dead), touch(tmp_live), touch(ck_dead), touch(c), touch(other);
  sf_sweep_plan p = {0};
  sf_sweep_run r = {.name = "markov-L1-d16-h1-T32-D20480-s7", .done = 1};
  p.runs = &r;
  p.nruns = 1;
  sf_sweep_cleanup(run, &p);
  assert_false(sf_file_exists(tmp_dead));
  assert_true(sf_file_exists(tmp_live)); /* its writer is alive (this process) */
  assert_false(sf_file_exists(ck_dead));
  assert_false(sf_file_exists(c));      /* the run is done */
  assert_true(sf_file_exists(other));   /* a run in progress keeps its checkpoint, and so the folder stays */
  remove(other);
  remove(tmp_live);
  sf_sweep_cleanup(run, NULL);
  snprintf(want, sizeof want, "%s.ckpt.d", run);
  struct stat st;
  assert_int_not_equal(stat(want, &st), 0); /* empty: removed */
  free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes),   cmocka_unit_test(test_file),    cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_plan),    cmocka_unit_test(test_plan_same_training), cmocka_unit_test(test_presets),
      cmocka_unit_test(test_cleanup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
