/* test_csvtok.c: the one CSV tokenizer (store/csvtok.c) under both readers: the run store's
 * (sf_csv_read_mem) and the reference tables' (sf_csvrec_parse) cut the same text into the same
 * fields and fail on the same malformed text with the same "'file' line L, column J" message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include "forecast/csvrec.h"
#include "sf_test.h"
#include "store/csvtok.h"

/* Fields and their lines, straight from the tokenizer: quotes, doubled quotes, a quoted line
 * break, blanks around fields, a blank-only line, CRLF and a lone CR. */
static void test_fields(void **state) {
  (void)state;
  const char *text = "\xEF\xBB\xBFrun , \"N\"\r\n\"a, \"\"b\"\"\nc\", 7 \r\n \t \nlast,1\rcr,2\n";
  sf_csvtok p;
  memset(&p, 0, sizeof p);
  assert_int_equal(sf_csvtok_split(text, strlen(text), "t.csv", &p), SF_OK);
  assert_int_equal(p.nr, 4);
  assert_string_equal(sf_csvtok_text(&p, 0, 0), "run");
  assert_string_equal(sf_csvtok_text(&p, 0, 1), "N");
  assert_string_equal(sf_csvtok_text(&p, 1, 0), "a, \"b\"\nc");
  assert_string_equal(sf_csvtok_text(&p, 1, 1), "7");
  assert_int_equal(p.r[1].line, 2);
  const char *cell[2];
  sf_csvtok_cells(&p, 1, cell);
  assert_int_equal(sf_csvtok_line(&p, 1, cell, 0), 2);
  assert_int_equal(sf_csvtok_line(&p, 1, cell, 1), 3); /* the second field starts after the quoted break */
  assert_int_equal(p.r[2].line, 5);                /* line 4 is blanks only */
  assert_string_equal(sf_csvtok_text(&p, 3, 0), "cr");
  assert_int_equal(p.r[3].line, 6);                /* a lone CR ends a line too */
  sf_csvtok_free(&p);
}

/* The same malformed text read as runs and as a reference table: the same message. */
static void test_same_errors(void **state) {
  (void)state;
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"run,N\n\"r1,5\n", "'x.csv' line 2, column 1: quoted field is not closed before the end of the file"},
      {"run,N\nr1,\"5\" 6\n", "'x.csv' line 2, column 2: unexpected '6' after a closing quote"},
      {"run,N\nr1,5\0\n", "'x.csv' line 2: NUL byte"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len = strlen(cases[i].text);
    if (i == 2) len = 12; /* through the NUL */
    sf_table *t = NULL;
    sf_csvrec *c = NULL;
    assert_int_equal(sf_csv_read_mem(cases[i].text, len, "x.csv", &t), SF_EINPUT);
    char store_msg[512];
    snprintf(store_msg, sizeof store_msg, "%s", sf_errmsg());
    assert_int_equal(sf_csvrec_parse(cases[i].text, len, "x.csv", &c), SF_EINPUT);
    assert_null(t);
    assert_null(c);
    assert_non_null(strstr(store_msg, cases[i].want));
    assert_string_equal(sf_errmsg(), store_msg);
  }
  /* and the same fields when it is well-formed */
  const char *ok = "name, aliases\n\"H100 SXM\" , \"h100,h100-sxm\"\n";
  sf_csvrec *c = NULL;
  assert_int_equal(sf_csvrec_parse(ok, strlen(ok), "a.csv", &c), SF_OK);
  assert_int_equal(sf_csvrec_col(c, "aliases"), 1);
  assert_string_equal(sf_csvrec_get(c, 1, 0), "H100 SXM");
  assert_string_equal(sf_csvrec_get(c, 1, 1), "h100,h100-sxm");
  sf_csvrec_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fields),
      cmocka_unit_test(test_same_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
