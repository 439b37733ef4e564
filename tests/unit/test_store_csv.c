/* test_store_csv.c: the CSV reader and writer: quoting, BOM, CRLF, empty cells, skipped
 * decoration columns, every bad-input error (code, line, column), lossless round trips, the
 * Chinchilla file, and the fuzz corpus replayed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include "sf_test.h"

static char *input(const char *name) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", SF_TEST_INPUTS, name);
  return path;
}

static sf_table *mem(const char *text) {
  sf_table *t = NULL;
  int rc = sf_csv_read_mem(text, strlen(text), "mem.csv", &t);
  if (rc) print_error("%s\n", sf_errmsg());
  assert_int_equal(rc, SF_OK);
  return t;
}

/* Reads text, expects SF_EINPUT and a message containing every needle. */
static void expect_bad(const char *text, size_t len, const char *const *needles) {
  sf_table *t = (sf_table *)1;
  int rc = sf_csv_read_mem(text, len, "bad.csv", &t);
  if (rc != SF_EINPUT) print_error("expected SF_EINPUT for %.60s, got %d (%s)\n", text, rc, sf_errmsg());
  assert_int_equal(rc, SF_EINPUT);
  assert_null(t);
  for (const char *const *n = needles; *n; n++) {
    if (!strstr(sf_errmsg(), *n)) print_error("message '%s' lacks '%s'\n", sf_errmsg(), *n);
    assert_non_null(strstr(sf_errmsg(), *n));
  }
}

static void test_valid_mixed(void **state) {
  (void)state;
  sf_table *t = NULL;
  assert_int_equal(sf_csv_read(input("valid_mixed.csv"), &t), SF_OK);
  assert_string_equal(t->name, "valid_mixed");
  assert_int_equal(t->nrows, 3);
  assert_int_equal(t->ncols, 4); /* N, D, loss, mmlu */
  assert_string_equal(t->cols[0].name, "N");
  assert_string_equal(t->cols[1].name, "D");
  assert_string_equal(t->cols[2].name, "loss");
  assert_string_equal(t->cols[3].name, "mmlu");
  assert_string_equal(t->cols[3].unit, "fraction");
  assert_string_equal(t->run[1], "r2");
  assert_string_equal(t->notes[0], "first\nrun");
  assert_string_equal(t->notes[1], "");
  assert_rel(sf_table_get(t, 2, "N"), 4e8, 0);
  assert_true(isnan(sf_table_get(t, 1, "D")));
  assert_true(isnan(sf_table_get(t, 1, "mmlu")));
  assert_rel(sf_table_get(t, 2, "mmlu"), 0.31, 0);
  assert_int_equal(t->nskipped, 0);
  sf_table_free(t);
}

static void test_bom_crlf_quotes_scales(void **state) {
  (void)state;
  sf_table *t = NULL;
  assert_int_equal(sf_csv_read(input("bom_crlf.csv"), &t), SF_OK);
  assert_int_equal(t->nrows, 2);
  assert_string_equal(t->run[0], "llama, 7b");
  assert_string_equal(t->run[1], "say \"hi\"");
  assert_string_equal(t->family[0], "Llama");
  assert_rel(sf_table_get(t, 0, "N"), 7e9, 1e-15);
  assert_rel(sf_table_get(t, 0, "D"), 2e12, 1e-15);
  assert_rel(sf_table_get(t, 1, "N"), 5e8, 1e-15);
  assert_true(isnan(sf_table_get(t, 1, "D")));
  assert_rel(sf_table_get(t, 1, "loss"), 3.25, 0);
  sf_table_free(t);
}

static void test_parsing_edge_cases(void **state) {
  (void)state;
  /* lone CR line ends, blank lines, no final newline, spaces around numbers, empty last field */
  sf_table *t = mem("run,N,loss\r\ra,1e9, 2.5 \r\n\n\nb,2e9,\nc,,3");
  assert_int_equal(t->nrows, 3);
  assert_rel(sf_table_get(t, 0, "loss"), 2.5, 0);
  assert_true(isnan(sf_table_get(t, 1, "loss")));
  assert_true(isnan(sf_table_get(t, 2, "N")));
  assert_rel(sf_table_get(t, 2, "loss"), 3, 0);
  sf_table_free(t);
  /* quoted numbers, quoted empty run, commas and CRLF inside quotes */
  t = mem("run,notes,N\n\"\",\"a,b\r\nc\",\"1e9\"\n");
  assert_string_equal(t->run[0], "");
  assert_string_equal(t->notes[0], "a,b\r\nc");
  assert_rel(sf_table_get(t, 0, "N"), 1e9, 0);
  sf_table_free(t);
  /* spaces around fields are dropped, inside quotes kept */
  t = mem("run , N\n \"a, b \" , 1\n\t c d ,2\n");
  assert_string_equal(t->run[0], "a, b ");
  assert_string_equal(t->run[1], "c d");
  assert_rel(sf_table_get(t, 1, "N"), 2, 0);
  sf_table_free(t);
  /* a text column that is not a known text field, with no number in it, is skipped */
  t = mem("x,color,Model Size,hex_color,loss\n1,#fff,1e9,#fff,3\n2,,2e9,#000,2.9\n");
  assert_int_equal(t->nskipped, 2);
  assert_string_equal(t->skipped[0], "color");
  assert_string_equal(t->skipped[1], "hex_color");
  assert_int_equal(t->ncols, 3);
  assert_int_equal(sf_table_find(t, "color"), -1);
  sf_table *u = sf_table_copy(t);
  assert_int_equal(u->nskipped, 2);
  assert_string_equal(u->skipped[1], "hex_color");
  sf_table_free(u);
  sf_table_free(t);
  /* trailing columns without a name or a value, as spreadsheets save them, are dropped; rows may
   * carry their empty cells or not */
  t = mem("run,N,loss,,\r\na,1e9,2.5,,\r\nb,2e9,2.4\r\n");
  assert_int_equal(t->nrows, 2);
  assert_int_equal(t->ncols, 2);
  assert_rel(sf_table_get(t, 1, "loss"), 2.4, 0);
  sf_table_free(t);
  /* an all-empty column is kept (all missing) */
  t = mem("N,mmlu\n1,\n2,\n");
  assert_int_equal(t->ncols, 2);
  sf_table_free(t);
  /* the derived column restores flags */
  t = mem("run,N,D,C,derived\na,1,2,12,C\nb,1,2,12,\nc,1,2,12, C ; D \n");
  int c = sf_table_find(t, "C"), d = sf_table_find(t, "D");
  assert_int_equal(t->cols[c].derived[0], 1);
  assert_int_equal(t->cols[c].derived[1], 0);
  assert_int_equal(t->cols[d].derived[2], 1);
  sf_table_free(t);
}

static void test_bad_files(void **state) {
  (void)state;
  static const struct {
    const char *file;
    const char *needles[4];
  } cases[] = {
      {"ragged.csv", {"ragged.csv' line 3", "3 fields, expected 4", NULL}},
      {"nonnumeric.csv", {"nonnumeric.csv' line 3, column 4 ('loss')", "'abc' is not a number", NULL}},
      {"nan.csv", {"nan.csv' line 3, column 4 ('loss')", "'nan' is not allowed", NULL}},
      {"inf.csv", {"inf.csv' line 3, column 2 ('N')", "'inf' is not allowed", NULL}},
      {"negative.csv", {"negative.csv' line 3, column 3 ('D')", "not positive", NULL}},
      {"zero.csv", {"zero.csv' line 3, column 2 ('N')", "not positive", NULL}},
      {"dupheader.csv", {"dupheader.csv' line 1", "duplicate column 'N' (columns 2 and 5)", NULL}},
      {"dupalias.csv", {"dupalias.csv' line 1", "'params' (2) and 'Model Size' (5) both mean 'N'", NULL}},
      {"emptyheader.csv", {"emptyheader.csv' line 1, column 3", "empty header", NULL}},
      {"empty.csv", {"empty.csv' is empty", NULL}},
      {"headeronly.csv", {"headeronly.csv' has a header but no rows", NULL}},
      {"unclosed.csv", {"unclosed.csv' line 2, column 1", "not closed", NULL}},
      {"overflow.csv", {"overflow.csv' line 2, column 3 ('D')", "out of range", NULL}},
      {"badmetric.csv", {"badmetric.csv' line 3, column 2 ('mmlu')", "'0.6x' is not a number", NULL}},
      {"does-not-exist.csv", {"cannot open", "does-not-exist.csv", "No such file", NULL}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sf_table *t = (sf_table *)1;
    int rc = sf_csv_read(input(cases[i].file), &t);
    if (rc != SF_EINPUT) print_error("%s: rc %d (%s)\n", cases[i].file, rc, sf_errmsg());
    assert_int_equal(rc, SF_EINPUT);
    assert_null(t);
    for (const char *const *n = cases[i].needles; *n; n++) {
      if (!strstr(sf_errmsg(), *n)) print_error("%s: message '%s' lacks '%s'\n", cases[i].file, sf_errmsg(), *n);
      assert_non_null(strstr(sf_errmsg(), *n));
    }
  }
  /* a directory is not a CSV */
  sf_table *t = NULL;
  assert_int_equal(sf_csv_read(SF_TEST_INPUTS, &t), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "cannot read"));
}

static void test_bad_memory(void **state) {
  (void)state;
  expect_bad("run,N\na,1\x00\n", 11, (const char *const[]){"line 2", "NUL byte", NULL});
  const char *s1 = "run,N\n\"a\"x,1\n";
  expect_bad(s1, strlen(s1), (const char *const[]){"line 2, column 1", "after a closing quote", NULL});
  const char *s2 = "run,N,loss\na,1e9,0x10\n";
  expect_bad(s2, strlen(s2), (const char *const[]){"line 2, column 3", "'0x10' is not a number", NULL});
  const char *s3 = "N (1e300)\n1e10\n";
  expect_bad(s3, strlen(s3), (const char *const[]){"line 2, column 1", "out of range once scaled", NULL});
  const char *s4 = "Model Size,loss\nbig,2.0\n"; /* text in a key column is an error, not skipped */
  expect_bad(s4, strlen(s4), (const char *const[]){"line 2, column 1 ('Model Size')", "'big' is not a number", NULL});
  /* headers that differ only in case name both spellings (once only 'Loss', the second) */
  const char *s4b = "run,loss,N,Loss\na,3,1e9,3\n";
  expect_bad(s4b, strlen(s4b), (const char *const[]){"line 1", "'loss' (column 2) and 'Loss' (column 4)",
                                                      "only in letter case", NULL});
  /* a size written as papers write it: the suffix is not read, the message says where a scale goes:
   * 125 under 'params (M)'; under a header that has one, the number that header wants (1.3e9 / 1e6) */
  const char *s4c = "run,params,loss\na,125M,3.1\n";
  expect_bad(s4c, strlen(s4c), (const char *const[]){"line 2, column 2 ('params')", "'125M' is not a number",
                                                      "not read", "125 under the header 'params (M)'", NULL});
  const char *s4d = "run,params (M),loss\na,125,3.1\nb,1.3B,2.9\n";
  expect_bad(s4d, strlen(s4d), (const char *const[]){"line 3, column 2 ('params (M)')", "'1.3B' is not a number",
                                                      "already multiplies", "write 1300", NULL});
  const char *s4e = "run,N,loss\na,300k,3.1\n";
  expect_bad(s4e, strlen(s4e), (const char *const[]){"'300k' is not a number", "300 under the header 'N (K)'", NULL});
  const char *s4f = "run,N,loss\na,12MB,3.1\n"; /* not a scale letter alone: no advice on scales */
  expect_bad(s4f, strlen(s4f), (const char *const[]){"'12MB' is not a number", NULL});
  assert_null(strstr(sf_errmsg(), "header"));
  const char *s5 = "run,N,derived\na,1,C\n";
  expect_bad(s5, strlen(s5), (const char *const[]){"line 2, column 3 ('derived')", "'C' is not a numeric column", NULL});
  const char *s6 = "run,N,C,derived\na,1,,C\n";
  expect_bad(s6, strlen(s6), (const char *const[]){"'C' is not a value", NULL});
  const char *s7 = "\n\n\n";
  expect_bad(s7, strlen(s7), (const char *const[]){"is empty", NULL});
  const char *s8 = "loss [bits]\n1\n";
  expect_bad(s8, strlen(s8), (const char *const[]){"line 1, column 1", "unit of 'loss' is nats/token", NULL});
  const char *s9 = "run,N\n\"multi\nline\nstart,1\n";
  expect_bad(s9, strlen(s9), (const char *const[]){"line 2, column 1", "not closed", NULL});
  const char *s10 = "run,N\n\"a\nb\",1\nc,-1\n"; /* line numbers count newlines inside quotes */
  expect_bad(s10, strlen(s10), (const char *const[]){"line 4, column 2", NULL});
  /* Found by fuzz_csv: a header normalising to a reserved name was an SF_EUSAGE from deep
   * inside sf_table_add_column instead of a clean SF_EINPUT. */
  const char *s11 = "run,???????1?,???derived,N,fu\372z.csvD\351C\na,C,1,2,12\204";
  expect_bad(s11, strlen(s11), (const char *const[]){"line 1, column 3", "'???derived'", NULL});
  const char *s12 = "N,D\n1e-400,1\n"; /* underflow to zero is out of range, not 0 */
  expect_bad(s12, strlen(s12), (const char *const[]){"line 2, column 1", "out of range", NULL});
  /* Another separator: a semicolon file (Excel where the decimal mark is a comma) imported as one
   * skipped text column, runs without values and exit 0; with decimal commas it failed with
   * "2 fields, expected 1". Both say what the separator is now; so does a tab-separated one. */
  const char *s13 = "run;N;D;loss\na;1e6;2e7;3.1\n";
  expect_bad(s13, strlen(s13), (const char *const[]){"line 1", "one field holding semicolons", "separated by commas", NULL});
  const char *s14 = "run;N;loss\na;1000000;3,1\n";
  expect_bad(s14, strlen(s14), (const char *const[]){"line 1", "one field holding semicolons", NULL});
  /* a value under a trailing empty header is still an error */
  const char *s16 = "run,N,loss,\na,1e6,3.1,7\n";
  expect_bad(s16, strlen(s16), (const char *const[]){"line 1, column 4", "empty header", NULL});
  const char *s17 = "run,N,loss,,\na,1e6,3.1,,\nb,1e6,3\n,\n";
  expect_bad(s17, strlen(s17), (const char *const[]){"line 4: 2 fields, expected 5", NULL});
  const char *s15 = "run\tN\tloss\na\t1e6\t3.1\n";
  expect_bad(s15, strlen(s15), (const char *const[]){"line 1", "one field holding tabs", NULL});
  /* an unnamed first column that is not pandas' default index (0, 1, 2, ...) is kept an error */
  const char *s18 = ",run,N\n5,a,1e6\n6,b,2e6\n";
  expect_bad(s18, strlen(s18), (const char *const[]){"line 1, column 1", "empty header", "to_csv(index=False)", NULL});
  /* R's NA, Excel's #N/A, SQL's NULL: the message says how to write a missing value */
  const char *s20 = "run,N,mmlu\na,1e6,0.5\nb,1e6,#N/A\n";
  expect_bad(s20, strlen(s20), (const char *const[]){"line 3, column 3 ('mmlu')", "'#N/A' is not a number (leave the "
                                                      "cell empty for a missing value)", NULL});
  const char *s21 = "run,N,loss\na,1e6,NA\n";
  expect_bad(s21, strlen(s21), (const char *const[]){"'NA' is not a number (leave the cell empty", NULL});
  const char *s19 = ",run,N\n0,a,1e6\n2,b,2e6\n";
  expect_bad(s19, strlen(s19), (const char *const[]){"line 1, column 1", "index.name", NULL});
  /* A byte order mark past the one a file may start with: two at the start made 'run' a text
   * column skipped with a note (the runs lost their names); one inside a header made 'N' a
   * metric without a unit. The message shows the name as it looks. */
  const char *s22 = "\xEF\xBB\xBF\xEF\xBB\xBFrun,N,D,loss\na,1e6,1e9,2\n";
  expect_bad(s22, strlen(s22), (const char *const[]){"line 1, column 1 ('run')", "byte order mark (U+FEFF) at byte 1",
                                                      NULL});
  const char *s23 = "run,\xEF\xBB\xBFN,lo\xEF\xBB\xBFss\na,1e6,2\n";
  expect_bad(s23, strlen(s23), (const char *const[]){"line 1, column 2 ('N')", "byte order mark", NULL});
  const char *s24 = "run,N,lo\xEF\xBB\xBFss\na,1e6,2\n";
  expect_bad(s24, strlen(s24), (const char *const[]){"line 1, column 3 ('loss')", "at byte 3", NULL});
  /* the one at the start is no part of the name */
  const char *ok = "\xEF\xBB\xBFrun,N\na,1e6\n";
  sf_table *t = NULL;
  assert_int_equal(sf_csv_read_mem(ok, strlen(ok), "ok.csv", &t), SF_OK);
  assert_int_equal(t->nskipped, 0);
  assert_string_equal(t->run[0], "a");
  sf_table_free(t);
}

/* pandas' DataFrame.to_csv() without index=False, the most common CSV from Python: the header
 * starts with ',' and every row with its row number. That column is dropped; it was refused as
 * an empty header. */
static void test_pandas_index(void **state) {
  (void)state;
  sf_table *t = mem(",run,family,N,D,loss\n0,a,Qwen\xc2\xb7" "2,1e6,2e7,4.0\n1,b,Llama,2e6,4e7,\n");
  assert_int_equal(t->nrows, 2);
  assert_int_equal(t->ncols, 3);
  assert_string_equal(t->cols[0].name, "N");
  assert_string_equal(t->run[1], "b");
  assert_string_equal(t->family[0], "Qwen\xc2\xb7" "2");
  assert_rel(sf_table_get(t, 1, "D"), 4e7, 0);
  assert_true(isnan(sf_table_get(t, 1, "loss")));
  sf_table_free(t);
}

/* pandas' to_csv writes a bool column as True/False (R as TRUE/FALSE): a column whose every
 * non-empty cell is such a word is a 0/1 metric, as the same column read from h5py is. A key
 * column of bools, or bool words mixed with numbers, stays an error. */
static void test_bool_columns(void **state) {
  (void)state;
  sf_table *t = mem("run,N,loss,passed,flag\na,1e6,4.0,True,TRUE\nb,2e6,3.5,False,\nc,4e6,3.1,true,false\n");
  assert_int_equal(t->nskipped, 0);
  assert_int_equal(t->ncols, 4);
  assert_rel(sf_table_get(t, 0, "passed"), 1, 0);
  assert_rel(sf_table_get(t, 1, "passed"), 0, 0);
  assert_rel(sf_table_get(t, 2, "passed"), 1, 0);
  assert_rel(sf_table_get(t, 0, "flag"), 1, 0);
  assert_true(isnan(sf_table_get(t, 1, "flag")));
  assert_rel(sf_table_get(t, 2, "flag"), 0, 0);
  sf_table_free(t);

  const char *mixed = "N,loss,passed\n1e6,4.0,True\n2e6,3.5,0.5\n";
  expect_bad(mixed, strlen(mixed), (const char *const[]){"line 2", "'passed'", "'True' is not a number", NULL});
  const char *key = "N,loss\nTrue,4.0\n";
  expect_bad(key, strlen(key), (const char *const[]){"line 2", "'N'", "'True' is not a number", NULL});
}

static void tables_equal(const sf_table *a, const sf_table *b) {
  assert_int_equal(a->nrows, b->nrows);
  assert_int_equal(a->ncols, b->ncols);
  for (size_t c = 0; c < a->ncols; c++) {
    assert_string_equal(a->cols[c].name, b->cols[c].name);
    assert_string_equal(a->cols[c].unit, b->cols[c].unit);
    for (size_t r = 0; r < a->nrows; r++) {
      double x = a->cols[c].v[r], y = b->cols[c].v[r];
      if (!(isnan(x) && isnan(y))) assert_memory_equal(&x, &y, sizeof x); /* bit for bit */
      assert_int_equal(a->cols[c].derived[r], b->cols[c].derived[r]);
    }
  }
  for (size_t r = 0; r < a->nrows; r++) {
    assert_string_equal(a->run[r], b->run[r]);
    assert_string_equal(a->family[r], b->family[r]);
    assert_string_equal(a->source[r], b->source[r]);
    assert_string_equal(a->notes[r], b->notes[r]);
  }
}

/* Significant digits of a number as printed: "6651600000" and "6.6516e+09" both have 5. */
static int sig_digits(const char *s) {
  char d[64];
  int n = 0;
  for (; *s && *s != 'e' && *s != 'E'; s++)
    if (*s >= '0' && *s <= '9' && n < 63) d[n++] = *s;
  int a = 0;
  while (a < n && d[a] == '0') a++;
  while (n > a && d[n - 1] == '0') n--;
  return n - a;
}

static sf_table *round_trip(const sf_table *t, const char *name, char **bytes, size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", sf_test_tmpdir(), name);
  assert_int_equal(sf_csv_write(t, path), SF_OK);
  *bytes = sf_test_slurp(path, len);
  sf_table *u = NULL;
  int rc = sf_csv_read(path, &u);
  if (rc) print_error("%s\n", sf_errmsg());
  assert_int_equal(rc, SF_OK);
  return u;
}

static void test_round_trip(void **state) {
  (void)state;
  sf_table *t = sf_table_new("rt");
  static const char *const runs[] = {"plain", "a,b", "say \"hi\"", " padded ", "multi\nline", "", "ünïcode"};
  static const double vals[] = {0.1, 1.0 / 3.0, 6795600349.289497, 9007199254740993.0, 1e-300, 2.5e-310, 1e300};
  for (size_t r = 0; r < 7; r++) {
    sf_table_add_row(t, runs[r], r % 2 ? "fam" : "", r == 3 ? "src, with comma" : "", r == 4 ? "x\r\ny" : "");
    sf_table_set(t, r, "N", fabs(vals[r]));
    sf_table_set(t, r, "mmlu", r == 2 ? NAN : -vals[r]);
    if (r < 3) sf_table_set(t, r, "D", 1e10 * (double)(r + 1));
  }
  sf_table_add_column(t, "acc", "fraction, of 1");
  sf_table_set(t, 0, "acc", 0.25);
  sf_table_derive(t); /* C = 6ND for rows 0-2, flagged */
  assert_int_equal(sf_table_count_derived(t, sf_table_find(t, "C")), 3);
  char *b1, *b2;
  size_t l1, l2;
  sf_table *u = round_trip(t, "rt1.csv", &b1, &l1);
  tables_equal(t, u);
  sf_table *v = round_trip(u, "rt2.csv", &b2, &l2);
  tables_equal(t, v);
  assert_int_equal(l1, l2);
  assert_memory_equal(b1, b2, l1); /* CSV -> table -> CSV is a fixed point */
  assert_non_null(strstr(b1, "0.1,")); /* shortest digits, not 0.10000000000000001 */
  assert_non_null(strstr(b1, "\"acc [fraction, of 1]\""));
  free(b1);
  free(b2);
  sf_table_free(u);
  sf_table_free(v);
  sf_table_free(t);

  /* random doubles over the whole exponent range survive bit for bit */
  t = sf_table_new("rnd");
  uint64_t s = 88172645463325252ull;
  for (size_t r = 0; r < 2000; r++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    double m = (double)(s >> 11) / 9007199254740992.0 + 0.5;
    sf_table_add_row(t, NULL, NULL, NULL, NULL);
    /* odd rows: short decimals (3.217e-5), even rows: full 53-bit mantissas */
    double x = r % 2 ? (double)(1 + s % 99999) * pow(10.0, (double)(s % 61) - 30.0) : ldexp(m, (int)(s % 1800) - 900);
    sf_table_set(t, r, "loss", x);
  }
  u = round_trip(t, "rt3.csv", &b1, &l1);
  tables_equal(t, u);
  /* each number has the fewest significant digits, checked against trying every precision */
  char *line = strchr(b1, '\n') + 1;
  for (size_t r = 0; r < t->nrows; r++) {
    char *comma = strchr(line, ','), *nl = strchr(line, '\n');
    *nl = '\0';
    double x = t->cols[0].v[r];
    char want[40];
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(want, sizeof want, "%.*g", prec, x);
      if (strtod(want, NULL) == x) break;
    }
    assert_true(strtod(comma + 1, NULL) == x);
    if (sig_digits(comma + 1) != sig_digits(want)) print_error("%s vs %s\n", comma + 1, want);
    assert_int_equal(sig_digits(comma + 1), sig_digits(want));
    line = nl + 1;
  }
  free(b1);
  sf_table_free(u);
  sf_table_free(t);

  /* a table with only empty run names must not turn into blank lines */
  t = sf_table_new("lone");
  sf_table_add_row(t, "", NULL, NULL, NULL);
  sf_table_add_row(t, "x", NULL, NULL, NULL);
  u = round_trip(t, "rt4.csv", &b1, &l1);
  tables_equal(t, u);
  free(b1);
  sf_table_free(u);
  sf_table_free(t);
}

static void test_write_failure_leaves_nothing(void **state) {
  (void)state;
  sf_table *t = sf_table_new("w");
  sf_table_add_row(t, "a", NULL, NULL, NULL);
  char path[4096];
  snprintf(path, sizeof path, "%s/no-such-dir/out.csv", sf_test_tmpdir());
  assert_int_equal(sf_csv_write(t, path), SF_EIO);
  assert_non_null(strstr(sf_errmsg(), "no-such-dir/out.csv"));
  sf_table_free(t);
}

static void test_chinchilla(void **state) {
  (void)state;
  const char *path = sf_test_shared("chinchilla_svg_extracted.csv");
  if (!path) skip();
  sf_table *t = NULL;
  assert_int_equal(sf_data_load(path, NULL, &t), SF_OK);
  assert_int_equal(t->nrows, 245);
  assert_int_equal(t->nskipped, 2);
  assert_string_equal(t->skipped[0], "color");
  /* First row, from the file: Model Size 6795600349.289497, Training FLOP 9.993852799709755e+18. */
  assert_rel(sf_table_get(t, 0, "N"), 6795600349.289497, 0);
  assert_rel(sf_table_get(t, 0, "C"), 9.993852799709755e+18, 0);
  assert_rel(sf_table_get(t, 0, "loss"), 5.005581996196243, 0);
  assert_rel(sf_table_get(t, 0, "D"), 9.993852799709755e+18 / (6 * 6795600349.289497), 1e-15);
  int d = sf_table_find(t, "D");
  assert_int_equal(sf_table_count_derived(t, d), 245);
  assert_string_equal(t->cols[d].unit, "tokens");
  sf_table_free(t);
}

static void test_data_load_csv(void **state) {
  (void)state;
  sf_table *t = NULL;
  assert_int_equal(sf_data_load(input("valid_mixed.csv"), NULL, &t), SF_OK);
  assert_rel(sf_table_get(t, 0, "C"), 6 * 1e8 * 2e9, 1e-15);
  sf_table_free(t);
  assert_int_equal(sf_data_load(input("valid_mixed.csv"), "valid_mixed", &t), SF_OK);
  sf_table_free(t);
  assert_int_equal(sf_data_load(input("valid_mixed.csv"), "other", &t), SF_EINPUT);
  assert_null(t);
  /* no extension: sniffed as not HDF5, read as CSV */
  char path[4096];
  snprintf(path, sizeof path, "%s/runs_csv_noext", sf_test_tmpdir());
  size_t len;
  char *text = sf_test_slurp(input("valid_mixed.csv"), &len);
  FILE *fp = fopen(path, "wb");
  fwrite(text, 1, len, fp);
  fclose(fp);
  free(text);
  assert_int_equal(sf_data_load(path, NULL, &t), SF_OK);
  assert_int_equal(t->nrows, 3);
  assert_string_equal(t->name, "runs_csv_noext");
  sf_table_free(t);
  /* 6ND overflowing is reported as such */
  snprintf(path, sizeof path, "%s/ovf.csv", sf_test_tmpdir());
  fp = fopen(path, "w");
  fputs("run,N,D\nhuge,1e200,1e200\n", fp);
  fclose(fp);
  assert_int_equal(sf_data_load(path, NULL, &t), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "run 'huge' (row 1): column 'C' is inf (derived"));
  assert_int_equal(sf_data_load(input("nope.h5"), NULL, &t), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "nope.h5"));
}

/* Every file of the fuzz corpus reads without crashing; each either parses or fails cleanly. */
static void test_fuzz_corpus(void **state) {
  (void)state;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/../fuzz/corpus_csv", SF_TEST_INPUTS);
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    char *s = sf_test_slurp(path, &len);
    assert_non_null(s);
    sf_table *t = NULL;
    int rc = sf_csv_read_mem(s, len, e->d_name, &t);
    assert_true(rc == SF_OK || rc == SF_EINPUT);
    assert_true((rc == SF_OK) == (t != NULL));
    assert_true(rc == SF_OK || strstr(sf_errmsg(), e->d_name));
    sf_table_free(t);
    free(s);
    n++;
  }
  closedir(d);
  assert_true(n >= 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_mixed),
      cmocka_unit_test(test_bom_crlf_quotes_scales),
      cmocka_unit_test(test_parsing_edge_cases),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_bad_memory),
      cmocka_unit_test(test_pandas_index),
      cmocka_unit_test(test_bool_columns),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_write_failure_leaves_nothing),
      cmocka_unit_test(test_chinchilla),
      cmocka_unit_test(test_data_load_csv),
      cmocka_unit_test(test_fuzz_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
