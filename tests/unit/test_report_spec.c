/* test_report_spec.c: the report spec parser (src/report/spec.c). A full spec parses into the
 * values it states (ranges expanded to the right log-spaced numbers, defaults filled in), and
 * every error names the spec file and the line at fault, with the message a user needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_report.h>
#include <scalefit/sf_version.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_test.h"

static sf_spec *parse_ok(const char *text) {
  sf_spec *s = NULL;
  int rc = sf_spec_parse(text, strlen(text), "dir/my-spec.ini", &s);
  if (rc) fprintf(stderr, "unexpected error: %s\n", sf_errmsg());
  assert_int_equal(rc, SF_OK);
  assert_non_null(s);
  return s;
}

static void test_full_spec(void **state) {
  (void)state;
  const char *text =
      "# a comment\n"
      "; another\n"
      "\n"
      "[report]\n"
      "title = My report\n"
      "[data]\n"
      "file = @datasets/models.csv\n"
      "where = N > 1e9\n"
      "[fit chin]\n"
      "law = chinchilla\n"
      "loss = huber\n"
      "delta = 1e-3\n"
      "bootstrap = 50\n"
      "seed = 7\n"
      "holdout = 0.1\n"
      "fix = E = 1.69, alpha=0.34\n"
      "[fit c]\n"
      "law = power\n"
      "x = C\n"
      "sigma = loss_sd\n"
      "absolute_sigma = true\n"
      "[forecast]\n"
      "budgets = 1e20:1e24:5, 3e25\n"
      "targets = 2.0, 1.9\n"
      "published = llama3_Dopt\n"
      "[cost h100]\n"
      "gpu = h100\n"
      "gpus = 1024\n"
      "price = 2.5\n"
      "[turn]\n"
      "y = mmlu\n"
      "[chart loss]\n"
      "kind = scaling\n"
      "fit = chin\n"
      "linear_y = yes\n"
      "[chart t]\n"
      "kind = turn\n";
  sf_spec *s = parse_ok(text);
  assert_string_equal(s->name, "my-spec");
  assert_string_equal(s->title, "My report");
  assert_string_equal(s->data_file_given, "@datasets/models.csv");
  char want[4096];
  snprintf(want, sizeof want, "%s/models.csv", sf_datadir());
  assert_string_equal(s->data_file, want);
  /* every key's line, looked up by its section's header; a key not given answers the header */
  assert_int_equal(s->data_header_line, 6);
  assert_int_equal(sf_spec_key_line(s, 6, "file"), 7);
  assert_int_equal(sf_spec_key_line(s, 6, "where"), 8);
  assert_int_equal(sf_spec_key_line(s, 6, "table"), 6);
  assert_string_equal(s->where, "N > 1e9");
  assert_int_equal(s->nfit, 2);
  assert_string_equal(s->fit[0].name, "chin");
  assert_int_equal(s->fit[0].line, 9);
  assert_int_equal(sf_spec_key_line(s, s->fit[0].line, "law"), 10);
  assert_int_equal(sf_spec_key_line(s, s->fit[0].line, "fix"), 16);
  assert_int_equal(sf_spec_key_line(s, s->fit[1].line, "x"), 19);  /* [fit c]'s x, not another section's */
  assert_int_equal(sf_spec_key_line(s, s->fit[0].line, "x"), 9);
  assert_int_equal(sf_spec_key_line(s, s->forecast_line, "published"), 25);
  assert_int_equal(sf_spec_key_line(s, s->chart[0].line, "linear_y"), 35);
  assert_string_equal(s->fit[0].loss, "huber");
  assert_rel(s->fit[0].delta, 1e-3, 1e-15);
  assert_int_equal(s->fit[0].bootstrap, 50);
  assert_int_equal(s->fit[0].seed, 7);
  assert_rel(s->fit[0].holdout, 0.1, 1e-15);
  assert_int_equal(s->fit[0].nfix, 2);
  assert_string_equal(s->fit[0].fix_name[0], "E");
  assert_rel(s->fit[0].fix_value[0], 1.69, 1e-15);
  assert_string_equal(s->fit[0].fix_name[1], "alpha");
  assert_rel(s->fit[0].fix_value[1], 0.34, 1e-15);
  /* defaults */
  assert_int_equal(s->fit[1].seed, 1);
  assert_int_equal(s->fit[1].bootstrap, 0);
  assert_true(isnan(s->fit[1].delta));
  assert_true(isnan(s->fit[1].holdout_above));
  assert_null(s->fit[0].sigma);
  assert_false(s->fit[0].absolute_sigma);
  assert_string_equal(s->fit[1].sigma, "loss_sd");
  assert_true(s->fit[1].absolute_sigma);
  /* 1e20:1e24:5 is one value per decade, then the listed one */
  assert_int_equal(s->nbudget, 6);
  for (int i = 0; i < 5; i++) assert_rel(s->budget[i], pow(10, 20 + i), 1e-12);
  assert_rel(s->budget[5], 3e25, 1e-15);
  assert_int_equal(s->ntarget, 2);
  assert_rel(s->target[1], 1.9, 1e-15);
  assert_int_equal(s->npublished, 1);
  assert_string_equal(s->published[0], "llama3_Dopt");
  assert_int_equal(s->ncost, 1);
  assert_rel(s->cost[0].mfu, 0.4, 1e-15); /* default */
  assert_rel(s->cost[0].gpus, 1024, 0);
  assert_true(isnan(s->cost[0].peak_tflops));
  assert_int_equal(s->nturn, 1);
  assert_string_equal(s->turn[0].name, "turn");
  assert_rel(s->turn[0].chance, 0.25, 0);
  assert_rel(s->turn[0].max, 1, 0);
  assert_int_equal(s->nchart, 2);
  assert_true(s->chart[0].linear_y);
  assert_string_equal(s->chart[1].kind, "turn");
  sf_spec_free(s);
}

/* A range gives the values `--compute LO:HI:COUNT` gives: whole decades exactly as written (the
 * spec once stored 1e21:1e25:5 as 9.999999999999983e+20, 1.0000000000000029e+22, ...), steps
 * in between evenly spaced in log10, the ends exactly LO and HI even when not decades. */
static void test_range_values(void **state) {
  (void)state;
  sf_spec *s = parse_ok("[forecast]\npublished = llama3_Dopt\nbudgets = 1e21:1e25:5, 2e21:6e23:3, 1e20:1e21:3\n");
  /* ascending, and 1e21, an end of two ranges, once: 11 written, 10 listed (they were listed as written,
   * 1e21 twice) */
  assert_int_equal(s->nbudget, 10);
  assert_int_equal(s->nbudget_merged, 1);
  assert_true(s->budget_merged == 1e21);
  assert_true(s->budget[0] == 1e20);
  assert_rel(s->budget[1], 3.1622776601683795e20, 1e-15); /* 10^20.5 */
  const double decades[5] = {1e21, 1e22, 1e23, 1e24, 1e25}; /* the compiler's reading of the literals */
  assert_true(s->budget[2] == decades[0] && s->budget[3] == 2e21 && s->budget[4] == decades[1]);
  assert_rel(s->budget[5], sqrt(2e21 * 6e23), 1e-14); /* the geometric mean */
  assert_true(s->budget[6] == decades[2] && s->budget[7] == 6e23 && s->budget[8] == decades[3] && s->budget[9] == decades[4]);
  sf_spec_free(s);
  /* a list before and after a range: sorted, the repeated 1e22 once */
  s = parse_ok("[forecast]\npublished = llama3_Dopt\nbudgets = 1e24, 1e21:1e23:3, 3e22, 1e22\n");
  const double want[5] = {1e21, 1e22, 3e22, 1e23, 1e24};
  assert_int_equal(s->nbudget, 5);
  for (int i = 0; i < 5; i++) assert_true(s->budget[i] == want[i]);
  assert_int_equal(s->nbudget_merged, 1);
  sf_spec_free(s);
}

static void test_relative_path_and_name(void **state) {
  (void)state;
  /* a data path is relative to the spec's folder; the report is named after the file */
  const char *dir = sf_test_tmpdir();
  char data[4096], spec[4096];
  snprintf(data, sizeof data, "%s/runs.csv", dir);
  FILE *fp = fopen(data, "w");
  assert_non_null(fp);
  fputs("run,N,D,loss\na,1e8,2e9,3.1\n", fp);
  fclose(fp);
  snprintf(spec, sizeof spec, "%s/Study 1.ini", dir);
  fp = fopen(spec, "w");
  assert_non_null(fp);
  fputs("[data]\nfile = runs.csv\n[fit a]\nlaw = chinchilla\n", fp);
  fclose(fp);
  sf_spec *s = NULL;
  assert_int_equal(sf_spec_read(spec, &s), SF_OK);
  assert_string_equal(s->data_file, data);
  assert_string_equal(s->name, "Study_1");
  sf_spec_free(s);
  /* a missing spec */
  snprintf(spec, sizeof spec, "%s/nope.ini", dir);
  assert_int_equal(sf_spec_read(spec, &s), SF_EINPUT);
  assert_null(s);
  assert_non_null(strstr(sf_errmsg(), "nope.ini: cannot open spec"));
}

/* Every error: the text, and what the message must say (file and line first). */
static const struct {
  const char *text, *want;
} bad[] = {
    {"[report]\ntitle = x\n[bogus]\n", "s.ini:3: unknown section [bogus]"},
    /* a misspelt section gets the "did you mean" a misspelt key gets */
    {"[report]\ntitle = x\n[dat]\nfile = a.csv\n", "s.ini:3: unknown section [dat] (did you mean 'data'?) (known: report, data,"},
    {"[Forecast]\n", "s.ini:1: unknown section [Forecast] (did you mean 'forecast'?)"},
    {"[report]\ncolour = red\n", "s.ini:2: unknown key 'colour' in [report] (known: title, description)"},
    {"[data]\nfile = @datasets/models.csv\ntable = a\ntable = b\n", "s.ini:4: key 'table' given twice in [data]"},
    {"[data]\nfile = no/such.csv\n", "s.ini:2: data file 'no/such.csv' not found"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\n[fit a]\nlaw = power\n",
     "s.ini:5: duplicate name: [fit a] is already defined on line 3"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\ndelta = -1\n", "s.ini:5: delta: must be > 0"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\ndelta = abc\n", "s.ini:5: delta: expected a number, got 'abc'"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\nloss = cauchy\n", "s.ini:5: loss: expected l2 or huber"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\nbootstrap = 1.5\n",
     "s.ini:5: bootstrap: expected a whole number in [0, 100000], got '1.5'"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\nholdout = 1\n", "s.ini:5: holdout: a fraction in [0, 1)"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\nfix = E\n", "s.ini:5: fix: expected NAME=VALUE, got 'E'"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nx = C\n", "s.ini:3: [fit a] needs a law"},
    /* a message about a key's value names the key's line, not its section's header */
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\n# weighted\n\nabsolute_sigma = yes\n",
     "s.ini:7: [fit a]: absolute_sigma needs sigma = COLUMN"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\nsigma = sd\nabsolute_sigma = maybe\n",
     "s.ini:6: absolute_sigma: expected yes or no, got 'maybe'"},
    {"[fit]\nlaw = power\n", "s.ini:1: section [fit] needs a name: [fit NAME]"},
    {"[report x]\n", "s.ini:1: section [report] takes no name, got 'x'"},
    {"[report]\n[report]\n", "s.ini:2: section [report] given twice"},
    {"[fit a b]\n", "s.ini:1: section name 'a b' is not [A-Za-z0-9_.-]+"},
    {"title = x\n", "s.ini:1: key 'title' before any section"},
    {"[report]\njust words\n", "s.ini:2: expected 'key = value', a [section] or a # comment, got 'just words'"},
    {"[report]\n= x\n", "s.ini:2: missing key before '='"},
    {"[report]\ntitle =\n", "s.ini:2: title: empty value"},
    {"[report\n", "s.ini:1: a section header is [name] or [name NAME] alone on its line"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22:1e20:3\n", "s.ini:3: budgets: a range needs 0 < LO < HI"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e20:1e22\n", "s.ini:3: budgets: a range is LO:HI:COUNT"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e20:1e22:1000\n",
     "s.ini:3: budgets: expected a whole number in [2, 64], got '1000'"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = -5\n", "s.ini:3: budgets: compute must be > 0 FLOP"},
    {"[forecast]\npublished = llama3_Dopt, llama3_Dopt\nbudgets = 1e22\n", "s.ini:2: published: 'llama3_Dopt' is listed twice"},
    {"[forecast]\npublished = a b\nbudgets = 1e22\n", "s.ini:2: published: 'a b' is not a name"},
    {"[forecast]\n# from the paper\npublished = llama3_Dopt\n", "s.ini:3: [forecast] published laws need budgets or targets"},
    {"[forecast]\n\nbudgets = 1e22\n", "s.ini:3: [forecast] has budgets or targets but nothing to forecast from"},
    {"[forecast]\n\ntargets = 2\n", "s.ini:3: [forecast] has budgets or targets but nothing to forecast from"},
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\n[forecast]\nbudgets = 1e22\nfits = b\n",
     "s.ini:7: [forecast] fits: no [fit b] in this spec"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost x]\nmfu = 0.4\n", "s.ini:4: [cost x] needs gpu = NAME"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost x]\ngpu = h100\nmfu = 40\n",
     "s.ini:6: mfu: a fraction in (0, 1] (0.4 for 40%), got '40'"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost x]\ngpu = h100\ngpus = 0\n",
     "s.ini:6: gpus: a whole number of accelerators, at least 1, got '0'"},
    /* 1.5 accelerators: `--gpus` refuses it, and the page printed it as "2 in parallel" beside days of 1.5 */
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost x]\ngpu = h100\ngpus = 1.5\n",
     "s.ini:6: gpus: a whole number of accelerators, at least 1, got '1.5'"},
    /* `fit` refuses --holdout with --holdout-above; the spec took holdout and dropped holdout_above */
    {"[data]\nfile = @datasets/models.csv\n[fit a]\nlaw = power\nholdout = 0.2\nholdout_above = 1e22\n",
     "s.ini:6: [fit a]: give holdout or holdout_above, not both"},
    /* a bootstrap chart of a fit without refits: said at parse time in the spec's words (it failed at
     * run time asking to "fit again with --bootstrap K") */
    {"[data]\nfile = @datasets/models.csv\n[fit f]\nlaw = power\n[chart a]\nkind = bootstrap\nfit = f\n",
     "s.ini:7: [chart a]: a bootstrap chart draws the refits of [fit f], which has none: add bootstrap = K to [fit f] (line 3)"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost x]\ngpu = h100\nprecision = int4\n",
     "s.ini:6: precision: expected bf16, fp16, tf32 or fp32"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost x]\ngpu = h100\nmfu = 0.5\npeak_tflops = 100\n",
     "s.ini:7: [cost x]: give gpu or peak_tflops, not both"},
    /* `optimal --peak-tflops 100 --precision fp32` is refused; the spec silently dropped precision */
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost x]\nprecision = fp32\nmfu = 0.5\npeak_tflops = 100\n",
     "s.ini:7: [cost x]: precision picks a peak from gpu's table; with peak_tflops (line 7) give the peak at that precision "
     "instead and drop precision (line 5)"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[cost x]\npeak_tflops = 100\nprecision = fp16\n",
     "s.ini:6: [cost x]: precision picks a peak from gpu's table; with peak_tflops (line 5)"},
    {"[data]\nfile = @datasets/models.csv\n[turn]\nx = C\n", "s.ini:3: [turn turn] needs y"},
    {"[data]\nfile = @datasets/models.csv\n[turn]\ny = mmlu\nx = C\n\nchance = 2\n",
     "s.ini:7: [turn turn]: chance (2) must be >= 0 and below max (1)"},
    {"[data]\nfile = @datasets/models.csv\n[turn]\ny = mmlu\nx = C\nmax = 0.2\n",
     "s.ini:6: [turn turn]: chance (0.25) must be >= 0 and below max (0.2)"},
    {"[turn]\ny = mmlu\n", "s.ini:1: [turn turn] needs data"},
    {"[data]\nfile = @datasets/models.csv\n[chart a]\nfit = x\n", "s.ini:3: [chart a] needs a kind"},
    {"[data]\nfile = @datasets/models.csv\n[chart a]\nkind = pie\n", "s.ini:4: kind: expected scaling, frontier, turn, residuals, bootstrap or isoflop, got 'pie'"},
    {"[data]\nfile = @datasets/models.csv\n[chart a]\ntitle = r\nkind = residuals\n",
     "s.ini:5: [chart a]: kind residuals needs fit = NAME"},
    {"[data]\nfile = @datasets/models.csv\n[fit f]\nlaw = power\n[chart a]\nkind = isoflop\ntitle = i\nfit = f\n",
     "s.ini:8: [chart a]: an isoflop chart fits its own parabolas per bin"},
    {"[forecast]\npublished = llama3_Dopt\nbudgets = 1e22\n[chart a]\ntitle = i\nkind = isoflop\n",
     "s.ini:6: [chart a]: kind isoflop draws runs; add [data]"},
    {"[data]\nfile = @datasets/models.csv\n[chart a]\nkind = scaling\ntitle = s\nfit = nope\n",
     "s.ini:6: [chart a]: no [fit nope] in this spec"},
    {"[data]\nfile = @datasets/models.csv\n[chart a]\ntitle = t\nkind = turn\n", "s.ini:5: [chart a]: kind turn needs a [turn] section"},
    {"[data]\nfile = @datasets/models.csv\n[turn]\ny = mmlu\n[chart a]\nkind = turn\nfit = f\n",
     "s.ini:7: [chart a]: a turn chart draws a [turn], not a fit"},
    {"[data]\nfile = @datasets/models.csv\n[turn]\ny = mmlu\n[chart a]\nkind = turn\ntitle = t\nturn = other\n",
     "s.ini:8: [chart a]: no [turn other] in this spec"},
    {"[data]\nfile = @datasets/models.csv\n[turn]\ny = mmlu\n[chart a]\nkind = scaling\ntitle = t\nturn = turn\n",
     "s.ini:8: [chart a]: turn = applies to kind turn only"},
    {"[data]\nfile = @datasets/models.csv\n[chart a]\ntitle = f\nkind = frontier\n",
     "s.ini:5: [chart a]: a frontier chart needs fit = NAME"},
    /* what a section lacks is said at its header */
    {"[data]\nfile = @datasets/models.csv\n[turn]\ny = mmlu\n[turn b]\ny = mmlu\n[chart a]\nkind = turn\n",
     "s.ini:7: [chart a]: which turn analysis? give turn = NAME"},
    {"[data]\nfile = @datasets/models.csv\n[chart a]\nkind = scaling\nlinear_y = maybe\n", "s.ini:5: linear_y: expected yes or no"},
    {"[report]\ntitle = nothing\n", "s.ini:2: nothing to report"},
    {"", "s.ini:1: nothing to report"},
};

static void test_errors(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sf_spec *s = NULL;
    int rc = sf_spec_parse(bad[i].text, strlen(bad[i].text), "s.ini", &s);
    if (rc != SF_EINPUT || s || strncmp(sf_errmsg(), bad[i].want, strlen(bad[i].want)) != 0) {
      fprintf(stderr, "case %zu:\n%s\nwant: %s\ngot (%d): %s\n", i, bad[i].text, bad[i].want, rc, sf_errmsg());
      fail();
    }
  }
}

static void test_binary_and_long_lines(void **state) {
  (void)state;
  const char nul[] = "[report]\ntitle = a\0b\n";
  sf_spec *s = NULL;
  assert_int_equal(sf_spec_parse(nul, sizeof nul - 1, "s.ini", &s), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "s.ini:2: NUL byte"));
  char *lng = malloc(6000);
  assert_non_null(lng);
  memcpy(lng, "[report]\ntitle = ", 17);
  memset(lng + 17, 'x', 5000);
  assert_int_equal(sf_spec_parse(lng, 5017, "s.ini", &s), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "s.ini:2: line longer than 4000 characters"));
  free(lng);
  /* a byte-order mark and CRLF line ends are fine */
  const char *crlf = "\xEF\xBB\xBF[forecast]\r\npublished = llama3_Dopt\r\nbudgets = 1e22\r\n";
  assert_int_equal(sf_spec_parse(crlf, strlen(crlf), "s.ini", &s), SF_OK);
  assert_int_equal(s->nbudget, 1);
  sf_spec_free(s);
}

static void test_html_escape(void **state) {
  (void)state;
  char *e = sf_html_escape("<a href=\"x\">'&'</a>");
  assert_string_equal(e, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_spec),
      cmocka_unit_test(test_range_values),
      cmocka_unit_test(test_relative_path_and_name),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_binary_and_long_lines),
      cmocka_unit_test(test_html_escape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
