/* test_util.c: the JSON writer, atomic files, number parsing, error messages and spelling hints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <scalefit/sf_error.h>

#include "sf_test.h"
#include "util/util.h"

static void test_json_nesting_and_escapes(void **state) {
  (void)state;
  sf_buf b;
  sf_buf_init(&b);
  sf_json j;
  sf_json_init(&j, &b, 0);
  sf_json_begin_object(&j, NULL);
  sf_json_string(&j, "law", "chin\"chilla\n");
  sf_json_number(&j, "E", 1.5);
  sf_json_number(&j, "nan", NAN);
  sf_json_begin_array(&j, "xs");
  sf_json_int(&j, NULL, 1);
  sf_json_int(&j, NULL, 2);
  sf_json_end_array(&j);
  sf_json_begin_array(&j, "empty");
  sf_json_end_array(&j);
  sf_json_bool(&j, "ok", 1);
  sf_json_end_object(&j);
  assert_string_equal(sf_buf_str(&b),
                      "{\"law\":\"chin\\\"chilla\\n\",\"E\":1.5,\"nan\":null,\"xs\":[1,2],\"empty\":[],\"ok\":true}");
  sf_buf_free(&b);
}

static void test_parse_double(void **state) {
  (void)state;
  double v = 0;
  assert_true(sf_parse_double(" 1e21 ", &v));
  assert_rel(v, 1e21, 1e-15);
  assert_true(sf_parse_double("-3.5", &v));
  assert_rel(v, -3.5, 1e-15);
  assert_false(sf_parse_double("", &v));
  assert_false(sf_parse_double("nan", &v));
  assert_false(sf_parse_double("inf", &v));
  assert_false(sf_parse_double("1e999", &v));
  assert_false(sf_parse_double("12abc", &v));
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  if (d) closedir(d);
  return n;
}

static void test_atomic_commit_and_abort(void **state) {
  (void)state;
  const char *dir = sf_test_tmpdir();
  char path[256];
  snprintf(path, sizeof path, "%s/out.txt", dir);
  sf_atomic a;
  assert_int_equal(sf_atomic_open(&a, path), SF_OK);
  fputs("partial", a.fp);
  sf_atomic_abort(&a);
  assert_false(sf_file_exists(path));
  assert_int_equal(count_entries(dir), 0);
  assert_int_equal(sf_write_file_atomic(path, "done\n", 5), SF_OK);
  FILE *f = fopen(path, "r");
  char line[16] = {0};
  assert_non_null(f);
  assert_non_null(fgets(line, sizeof line, f));
  fclose(f);
  assert_string_equal(line, "done\n");
  assert_int_equal(count_entries(dir), 1);
  /* an unwritable place fails with SF_EIO and a message naming the path */
  assert_int_equal(sf_write_file_atomic("/nonexistent-dir/x.txt", "x", 1), SF_EIO);
  assert_non_null(strstr(sf_errmsg(), "/nonexistent-dir/x.txt"));
  remove(path);
}

/* A run file reached through a symbolic link: sf_atomic_open writes its temporary file beside the
 * link's target, so that is where a killed writer leaves it, and where sf_atomic_remove_stale must
 * look (it looked beside the link, and the stale file stayed for ever). A writer still alive keeps
 * its file. */
static void test_atomic_stale_through_link(void **state) {
  (void)state;
  const char *dir = sf_test_tmpdir();
  char real_dir[256], target[300], link[300], tmp_written[400], stale[400], live[400];
  snprintf(real_dir, sizeof real_dir, "%s/real", dir);
  assert_int_equal(mkdir(real_dir, 0755), 0);
  snprintf(target, sizeof target, "%s/run.h5", real_dir);
  snprintf(link, sizeof link, "%s/link.h5", dir);
  assert_int_equal(sf_write_file_atomic(target, "x", 1), SF_OK);
  assert_int_equal(symlink("real/run.h5", link), 0);
  /* where a writer through the link puts its temporary file */
  sf_atomic a;
  assert_int_equal(sf_atomic_open(&a, link), SF_OK);
  snprintf(tmp_written, sizeof tmp_written, "%s", a.tmp);
  sf_atomic_abort(&a);
  assert_int_equal(strncmp(tmp_written, target, strlen(target)), 0);
  /* a pid that is gone: a child that has exited and been reaped */
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) _exit(0);
  assert_int_equal(waitpid(child, NULL, 0), child);
  snprintf(stale, sizeof stale, "%s.tmp.%ld.0", target, (long)child);
  snprintf(live, sizeof live, "%s.tmp.%ld.7", target, (long)getpid());
  assert_int_equal(sf_write_file_atomic(stale, "half", 4), SF_OK);
  assert_int_equal(sf_write_file_atomic(live, "half", 4), SF_OK);
  sf_atomic_remove_stale(link);
  assert_false(sf_file_exists(stale));
  assert_true(sf_file_exists(live));
  assert_true(sf_file_exists(target));
  remove(live);
  remove(target);
  remove(link);
  rmdir(real_dir);
}

static void test_error_context(void **state) {
  (void)state;
  assert_int_equal(sf_fail(SF_EINPUT, "line %d: bad", 3), SF_EINPUT);
  assert_int_equal(sf_fail_context("'a.csv' "), SF_EINPUT);
  assert_string_equal(sf_errmsg(), "'a.csv' line 3: bad");
  assert_int_equal(sf_errcode(), SF_EINPUT);
}

/* The reader reads back what the writer wrote, numbers bit for bit (%.17g). */
static void test_json_round_trip(void **state) {
  (void)state;
  sf_buf b;
  sf_buf_init(&b);
  sf_json j;
  sf_json_init(&j, &b, 1);
  sf_json_begin_object(&j, NULL);
  sf_json_string(&j, "law", "chinchilla \"A3\"\t\u00e9");
  sf_json_begin_object(&j, "params");
  sf_json_number(&j, "E", 1.8172);
  sf_json_number(&j, "alpha", 0.1 + 0.2);
  sf_json_end_object(&j);
  sf_json_begin_array(&j, "ci");
  sf_json_number(&j, NULL, -1e-300);
  sf_json_null(&j, NULL);
  sf_json_bool(&j, NULL, 0);
  sf_json_end_array(&j);
  sf_json_end_object(&j);
  sf_jval *v = NULL;
  assert_int_equal(sf_jparse(sf_buf_str(&b), b.len, "mem", &v), SF_OK);
  assert_string_equal(sf_jstr(sf_jget(v, "law"), ""), "chinchilla \"A3\"\t\u00e9");
  const sf_jval *params = sf_jget(v, "params");
  assert_true(sf_jnum(sf_jget(params, "E"), 0) == 1.8172);
  assert_true(sf_jnum(sf_jget(params, "alpha"), 0) == 0.1 + 0.2);
  const sf_jval *ci = sf_jget(v, "ci");
  assert_int_equal(ci->n, 3);
  assert_true(sf_jnum(sf_jat(ci, 0), 0) == -1e-300);
  /* each number in the fewest digits that give it back ("E": 1.8172, not 1.8172000000000001),
   * all 17 where they are needed (0.1 + 0.2 is 0.30000000000000004, not 0.3) */
  assert_non_null(strstr(sf_buf_str(&b), "\"E\": 1.8172,"));
  assert_non_null(strstr(sf_buf_str(&b), "\"alpha\": 0.30000000000000004\n"));
  assert_non_null(strstr(sf_buf_str(&b), "-1e-300,"));
  assert_true(isnan(sf_jnum(sf_jat(ci, 1), 0)));
  assert_int_equal(sf_jat(ci, 2)->type, SF_JBOOL);
  assert_null(sf_jat(ci, 3));
  assert_null(sf_jget(v, "missing"));
  sf_jfree(v);
  sf_buf_free(&b);
}

static void test_json_unicode_escapes(void **state) {
  (void)state;
  const char *text = "[\"\\u00e9\\ud83d\\ude00/\\/\"]";
  sf_jval *v = NULL;
  assert_int_equal(sf_jparse(text, strlen(text), "mem", &v), SF_OK);
  assert_string_equal(sf_jstr(sf_jat(v, 0), ""), "\xc3\xa9\xf0\x9f\x98\x80//");
  sf_jfree(v);
}

/* Each malformed text fails with SF_EINPUT and a message naming the line and column. */
static void test_json_errors(void **state) {
  (void)state;
  static const struct { const char *text, *where, *what; } cases[] = {
      {"{\"a\": 1,}", "line 1 column 9", "expected a string key"},
      {"[1, 2", "line 1 column 6", "expected ',' or ']'"},
      {"{\n  \"a\" 1}", "line 2 column 7", "expected ':'"},
      {"[01]", "line 1 column 3", "expected ',' or ']'"},
      {"[1.]", "line 1 column 2", "digits must follow '.'"},
      {"[NaN]", "line 1 column 2", "bad number"},
      {"\"abc", "line 1 column 5", "unterminated string"},
      {"\"\\ud800\"", "line 1 column 8", "unpaired surrogate"},
      {"[1] x", "line 1 column 5", "unexpected text"},
      {"", "line 1 column 1", "unexpected end"},
      {"[1e999]", "line 1 column 2", "out of range"},
      {"\"a\tb\"", "line 1 column 3", "control character"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sf_jval *v = (sf_jval *)1;
    assert_int_equal(sf_jparse(cases[i].text, strlen(cases[i].text), "f.json", &v), SF_EINPUT);
    assert_null(v);
    if (!strstr(sf_errmsg(), cases[i].where) || !strstr(sf_errmsg(), cases[i].what) ||
        !strstr(sf_errmsg(), "'f.json'")) {
      print_error("case %zu: message '%s' lacks '%s' or '%s'\n", i, sf_errmsg(), cases[i].where, cases[i].what);
      fail();
    }
  }
  char deep[200];
  memset(deep, '[', sizeof deep);
  assert_int_equal(sf_jparse(deep, sizeof deep, "deep", &(sf_jval *){NULL}), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "nesting too deep"));
}

/* The hint of word among cands (NULL-terminated); the expectations are edit distances counted by hand. */
static const char *near_hint(sf_near *n, const char *word, const char *const *cands) {
  sf_near_init(n, word);
  for (; *cands; cands++) sf_near_add(n, *cands);
  return sf_near_hint(n);
}

static void test_spelling_hints(void **state) {
  (void)state;
  sf_near n;
  static const char *const opts[] = {"--law", "--loss", "--output", "--where", "--by", NULL};
  /* a swap of neighbours is one edit: "--lwa" is 1 from "--law", 2 from "--loss" */
  assert_string_equal(near_hint(&n, "--lwa", opts), " (did you mean '--law'?)");
  /* one deletion from "--where" */
  assert_string_equal(near_hint(&n, "--were", opts), " (did you mean '--where'?)");
  static const char *const cols[] = {"N", "D", "C", "loss", "lr", NULL};
  assert_string_equal(near_hint(&n, "los", cols), " (did you mean 'loss'?)");
  assert_string_equal(near_hint(&n, "LOSS", cols), " (did you mean 'loss'?)"); /* case ignored */
  /* "x" is one substitution from each one-letter name: a tie lists them, in the order given */
  assert_string_equal(near_hint(&n, "x", cols), " (did you mean 'N', 'D' or 'C'?)");
  /* "lrate" is 3 edits from "lr": more than a third of five letters, so nothing */
  assert_string_equal(near_hint(&n, "lrate", cols), "");
  static const char *const laws[] = {"h2022_a3", "h2022_a3_u", "h2022_a1_N", "h2022_a1_D", "k2020", NULL};
  /* no name within a third of "h2022" (5 letters, 1 edit); four begin with it: three shown */
  assert_string_equal(near_hint(&n, "h2022", laws), " (did you mean 'h2022_a3', 'h2022_a3_u', 'h2022_a1_N' or 1 other?)");
  /* a list as messages write it ("known: a, b, c") */
  sf_near_init(&n, "colour");
  sf_near_add_list(&n, "title, color_by, color, x");
  assert_string_equal(sf_near_hint(&n), " (did you mean 'color'?)");
  /* a name the table lists twice (an alias) is offered once */
  static const char *const twice[] = {"power", "power", NULL};
  assert_string_equal(near_hint(&n, "powr", twice), " (did you mean 'power'?)");
  /* names longer than SF_NEAR_MAX are never near, not even as a name the word begins */
  char longname[SF_NEAR_MAX + 2];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  const char *const big[] = {longname, NULL};
  assert_string_equal(near_hint(&n, "aaaa", big), "");
  longname[SF_NEAR_MAX] = 0; /* at the limit it is */
  assert_string_equal(near_hint(&n, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", big),
                      " (did you mean 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'?)");
}

/* The first of %.15g, %.16g, %.17g that reads back: what export and report.json wrote before the
 * formatter had its shortcuts, computed here with printf and strtod alone. */
static void fmt_reference(char *buf, size_t n, double v) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) return;
  }
}

static uint64_t fmt_rng = 88172645463325252ULL;
static uint64_t fmt_next(void) {
  fmt_rng ^= fmt_rng << 13, fmt_rng ^= fmt_rng >> 7, fmt_rng ^= fmt_rng << 17;
  return fmt_rng;
}

static void check_fmt(double v) {
  char got[40], want[40], p17[40];
  sf_fmt_double(got, sizeof got, v);
  fmt_reference(want, sizeof want, v);
  snprintf(p17, sizeof p17, "%.17g", v);
  if (strcmp(got, want) != 0 || strtod(got, NULL) != strtod(p17, NULL) ||
      (v == v && memcmp(&(double){strtod(got, NULL)}, &v, sizeof v) != 0)) {
    print_error("%a: got '%s', want '%s' (%%.17g '%s')\n", v, got, want, p17);
    fail();
  }
}

static void test_fmt_double(void **state) {
  (void)state;
  const struct {
    double v;
    const char *s;
  } hand[] = {
      {0.1, "0.1"}, {0.3, "0.3"}, {-0.0, "-0"}, {0.0, "0"}, {1e308, "1e+308"}, {-1e308, "-1e+308"},
      {1.0 / 3, "0.3333333333333333"}, {2.0 / 3, "0.6666666666666666"}, {1e-5, "1e-05"}, {1e-4, "0.0001"},
      {123456.5, "123456.5"}, {7e9, "7000000000"}, {1e15, "1e+15"}, {1e14, "100000000000000"},
      {999999999999999.0, "999999999999999"}, {9007199254740992.0, "9007199254740992"},
      {9007199254740991.0, "9007199254740991"}, {-9007199254740993.0, "-9007199254740992"},
      {1.7976931348623157e308, "1.7976931348623157e+308"}, {2.2250738585072014e-308, "2.2250738585072014e-308"},
      {4.9406564584124654e-324, "4.94065645841247e-324"}, {1e100, "1e+100"}, {1e-100, "1e-100"},
      {0.1 + 0.2, "0.30000000000000004"}, {100, "100"}, {-2.5, "-2.5"}, {1e22, "1e+22"}, {1e23, "1e+23"},
  };
  for (size_t i = 0; i < sizeof hand / sizeof hand[0]; i++) {
    char got[40];
    sf_fmt_double(got, sizeof got, hand[i].v);
    if (strcmp(got, hand[i].s) != 0) {
      print_error("%a: got '%s', want '%s'\n", hand[i].v, got, hand[i].s);
      fail();
    }
    check_fmt(hand[i].v);
  }
  /* Every integer up to 2^53 at the ends of each power of ten, and the subnormals' ends. */
  for (int e = 0; e <= 16; e++) {
    double p = pow(10, e);
    for (int d = -3; d <= 3; d++) check_fmt(p + d), check_fmt(-(p + d));
  }
  for (uint64_t m = 1; m < 64; m++) check_fmt(ldexp((double)m, -1074)), check_fmt(nextafter(DBL_MIN, 0) - ldexp((double)m, -1074));
  check_fmt(INFINITY), check_fmt(-INFINITY);
  for (int i = 0; i < 100000; i++) {
    /* any bit pattern (mostly 17 digits) */
    uint64_t bits = fmt_next();
    double v;
    memcpy(&v, &bits, sizeof v);
    if (!isnan(v)) check_fmt(v);
    /* decimals of 1 to 17 digits (15 and 16 take the shortcuts), and their neighbours */
    int nd = 1 + (int)(fmt_next() % 17);
    uint64_t m = fmt_next() % 100000000000000000ULL;
    uint64_t lim = 1;
    for (int k = 0; k < nd; k++) lim *= 10;
    char text[48];
    snprintf(text, sizeof text, "%llue%d", (unsigned long long)(m % lim), (int)(fmt_next() % 80) - 40);
    v = strtod(text, NULL);
    check_fmt(v), check_fmt(nextafter(v, 0)), check_fmt(nextafter(v, INFINITY));
    /* integers up to 2^53, and past it up to 2^64 (digits that end exactly half way) */
    check_fmt((double)(fmt_next() >> (11 + fmt_next() % 50)));
    check_fmt((double)(fmt_next() >> (fmt_next() % 11)));
    /* any mantissa from 1e-7 to 1e39, where the digits come from 128-bit integers */
    check_fmt(ldexp(1 + (double)(fmt_next() >> 12) / 4503599627370496.0, (int)(fmt_next() % 153) - 24));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_nesting_and_escapes),
      cmocka_unit_test(test_parse_double),
      cmocka_unit_test(test_atomic_commit_and_abort),
      cmocka_unit_test(test_atomic_stale_through_link),
      cmocka_unit_test(test_error_context),
      cmocka_unit_test(test_json_round_trip),
      cmocka_unit_test(test_json_unicode_escapes),
      cmocka_unit_test(test_json_errors),
      cmocka_unit_test(test_spelling_hints),
      cmocka_unit_test(test_fmt_double),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
