/* test_store_table.c: the in-memory run table: building, names, derivation of C and D against
 * the closed forms, value checks, copy and append, header aliases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include "sf_test.h"

static char *sf_strdup_test(const char *s) {
  char *c = malloc(strlen(s) + 1);
  return c ? strcpy(c, s) : NULL;
}

static void test_build_and_query(void **state) {
  (void)state;
  sf_table *t = sf_table_new("runs");
  assert_non_null(t);
  for (int i = 0; i < 100; i++) { /* past the first reallocation */
    long r = sf_table_add_row(t, "r", NULL, "paper", NULL);
    assert_int_equal(r, i);
    assert_int_equal(sf_table_set(t, (size_t)r, "N", 1e6 * (i + 1)), SF_OK);
    if (i == 50) assert_int_equal(sf_table_set(t, (size_t)r, "mmlu", 0.5), SF_OK);
  }
  assert_int_equal(t->nrows, 100);
  assert_int_equal(t->ncols, 2);
  assert_string_equal(t->cols[0].unit, "parameters");
  assert_string_equal(t->family[3], "");
  assert_string_equal(t->source[3], "paper");
  assert_rel(sf_table_get(t, 99, "N"), 1e8, 0);
  assert_true(isnan(sf_table_get(t, 49, "mmlu"))); /* a column added later is NaN before */
  assert_rel(sf_table_get(t, 50, "mmlu"), 0.5, 0);
  assert_true(isnan(sf_table_get(t, 0, "nope")));
  assert_int_equal(sf_table_find(t, "mmlu"), 1);
  assert_int_equal(sf_table_add_column(t, "mmlu", "x"), 1); /* existing index */
  /* Units of the four key columns are fixed whatever the caller says. */
  int k = sf_table_add_column(t, "loss", "bits");
  assert_true(k >= 0);
  assert_string_equal(t->cols[k].unit, "nats/token");
  /* Names that would break HDF5 or CSV are refused. */
  assert_true(sf_table_add_column(t, "a/b", "") < 0);
  assert_int_equal(sf_errcode(), SF_EUSAGE);
  assert_true(sf_table_add_column(t, "run", "") < 0);
  assert_true(sf_table_add_column(t, "", "") < 0);
  assert_int_equal(sf_table_set(t, 100, "N", 1), SF_EUSAGE);
  sf_table_free(t);
  sf_table_free(NULL);
}

static void test_names(void **state) {
  (void)state;
  assert_true(sf_table_valid_name("chinchilla_2022.v1-a"));
  assert_false(sf_table_valid_name(""));
  assert_false(sf_table_valid_name("a b"));
  assert_false(sf_table_valid_name("a/b"));
  assert_false(sf_table_valid_name(".."));
  assert_false(sf_table_valid_name(NULL));
  char *s = sf_table_name_from_path("/data/My Runs (v2).csv");
  assert_string_equal(s, "My_Runs__v2_");
  free(s);
  s = sf_table_name_from_path("dir.x/runs");
  assert_string_equal(s, "runs");
  free(s);
  s = sf_table_name_from_path("/tmp/.csv");
  assert_string_equal(s, "runs");
  free(s);
  sf_table *t = sf_table_new("ok");
  assert_int_equal(sf_table_set_name(t, "bad name"), SF_EUSAGE);
  assert_string_equal(t->name, "ok");
  assert_int_equal(sf_table_set_name(t, "good"), SF_OK);
  assert_string_equal(t->name, "good");
  sf_table_free(t);
  assert_null(sf_table_new("no/slash"));
}

static void test_derive(void **state) {
  (void)state;
  sf_table *t = sf_table_new("d");
  /* row 0: N, D -> C = 6ND; row 1: N, C -> D = C/(6N); row 2: all given; row 3: only N. */
  double N[4] = {7e9, 70e9, 1e9, 2e9}, D[4] = {2e12, NAN, 2e10, NAN}, C[4] = {NAN, 5.88e23, 1e20, NAN};
  for (size_t r = 0; r < 4; r++) {
    sf_table_add_row(t, NULL, NULL, NULL, NULL);
    sf_table_set(t, r, "N", N[r]);
    sf_table_set(t, r, "D", D[r]);
    sf_table_set(t, r, "C", C[r]);
  }
  assert_int_equal(sf_table_derive(t), SF_OK);
  int c = sf_table_find(t, "C"), d = sf_table_find(t, "D");
  assert_rel(t->cols[c].v[0], 8.4e22, 1e-15);
  assert_int_equal(t->cols[c].derived[0], 1);
  assert_rel(t->cols[d].v[1], 1.4e12, 1e-15); /* Chinchilla: 5.88e23 / (6 * 70e9) = 1.4T */
  assert_int_equal(t->cols[d].derived[1], 1);
  assert_rel(t->cols[c].v[2], 1e20, 0); /* given values are left alone, even if != 6ND */
  assert_int_equal(t->cols[c].derived[2] + t->cols[d].derived[2], 0);
  assert_true(isnan(t->cols[c].v[3]) && isnan(t->cols[d].v[3]));
  assert_int_equal(sf_table_count_derived(t, c), 1);
  assert_int_equal(sf_table_count_derived(t, d), 1);
  /* Idempotent. */
  assert_int_equal(sf_table_derive(t), SF_OK);
  assert_int_equal(sf_table_count_derived(t, c) + sf_table_count_derived(t, d), 2);
  /* Setting a value by hand clears its flag. */
  sf_table_set(t, 0, "C", 8e22);
  assert_int_equal(t->cols[c].derived[0], 0);
  sf_table_free(t);

  /* The D column is added only when something can be derived. */
  t = sf_table_new("nd");
  sf_table_add_row(t, NULL, NULL, NULL, NULL);
  sf_table_set(t, 0, "N", 1e9);
  sf_table_set(t, 0, "loss", 3.0);
  assert_int_equal(sf_table_derive(t), SF_OK);
  assert_int_equal(t->ncols, 2);
  sf_table_set(t, 0, "C", 6e18);
  assert_int_equal(sf_table_derive(t), SF_OK);
  assert_int_equal(t->ncols, 4);
  assert_rel(sf_table_get(t, 0, "D"), 1e9, 1e-15);
  sf_table_free(t);
}

static void test_check(void **state) {
  (void)state;
  sf_table *t = sf_table_new("chk");
  sf_table_add_row(t, "big", NULL, NULL, NULL);
  sf_table_add_row(t, "", NULL, NULL, NULL);
  sf_table_set(t, 0, "N", 1e9);
  sf_table_set(t, 1, "N", NAN); /* missing is fine */
  sf_table_set(t, 0, "mmlu", -0.5); /* metrics may be negative */
  assert_int_equal(sf_table_check(t), SF_OK);
  sf_table_set(t, 1, "loss", 0.0);
  assert_int_equal(sf_table_check(t), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "row 2"));
  assert_non_null(strstr(sf_errmsg(), "'loss'"));
  sf_table_set(t, 1, "loss", 2.0);
  sf_table_set(t, 0, "mmlu", INFINITY);
  assert_int_equal(sf_table_check(t), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "run 'big' (row 1)"));
  assert_non_null(strstr(sf_errmsg(), "finite"));
  sf_table_free(t);
}

static void test_copy_and_append(void **state) {
  (void)state;
  sf_table *a = sf_table_new("a");
  const char *cn[2] = {"step", "loss"}, *cu[2] = {"", "nats/token"};
  assert_int_equal(sf_table_set_curve_columns(a, 2, cn, cu), SF_OK);
  sf_table_add_row(a, "r0", "fam", "src", "n");
  sf_table_set(a, 0, "N", 1e9);
  sf_table_set(a, 0, "D", 1e10);
  sf_table_derive(a);
  double curve[6] = {1, 5.0, 2, 4.0, 3, 3.5};
  assert_int_equal(sf_table_set_curve(a, 0, 3, curve), SF_OK);
  sf_table_set_description(a, "desc");
  sf_table *b = sf_table_copy(a);
  assert_non_null(b);
  assert_string_equal(b->description, "desc");
  assert_string_equal(b->notes[0], "n");
  assert_int_equal(b->curve_len[0], 3);
  assert_rel(b->curve[0][3], 4.0, 0);
  assert_true(b->curve[0] != a->curve[0]);
  assert_int_equal(b->cols[sf_table_find(b, "C")].derived[0], 1);
  /* append: columns by name, new ones added */
  sf_table *c = sf_table_new("c");
  sf_table_add_row(c, "x", NULL, NULL, NULL);
  sf_table_set(c, 0, "mmlu", 0.4);
  assert_int_equal(sf_table_append(b, c), SF_OK);
  assert_int_equal(b->nrows, 2);
  assert_rel(sf_table_get(b, 1, "mmlu"), 0.4, 0);
  assert_true(isnan(sf_table_get(b, 1, "N")));
  assert_true(isnan(sf_table_get(b, 0, "mmlu")));
  assert_int_equal(b->curve_len[1], 0);
  /* unit clash: nothing changes */
  sf_table *e = sf_table_new("e");
  sf_table_add_row(e, "y", NULL, NULL, NULL);
  sf_table_add_column(e, "mmlu", "percent");
  assert_int_equal(sf_table_append(b, e), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "'mmlu'"));
  /* the message names the files the two tables came from, both units, and what to change */
  free(b->origin), b->origin = strdup("first.csv");
  free(e->origin), e->origin = strdup("second.csv");
  assert_int_equal(sf_table_append(b, e), SF_EINPUT);
  assert_non_null(strstr(sf_errmsg(), "'first.csv'"));
  assert_non_null(strstr(sf_errmsg(), "'second.csv'"));
  assert_non_null(strstr(sf_errmsg(), "no unit"));
  assert_non_null(strstr(sf_errmsg(), "unit 'percent'"));
  assert_non_null(strstr(sf_errmsg(), "'mmlu [percent]'"));
  assert_int_equal(b->nrows, 2);
  sf_table_free(a);
  sf_table_free(b);
  sf_table_free(c);
  sf_table_free(e);
}

typedef struct hcase {
  const char *header, *name, *unit;
  double scale;
  enum sf_field_kind kind;
} hcase;

static void test_header_aliases(void **state) {
  (void)state;
  static const hcase cases[] = {
      {"N", "N", "parameters", 1, SF_FIELD_NUMERIC},
      {"params", "N", "parameters", 1, SF_FIELD_NUMERIC},
      {"Parameters", "N", "parameters", 1, SF_FIELD_NUMERIC},
      {"Model Size", "N", "parameters", 1, SF_FIELD_NUMERIC},
      {"model_size", "N", "parameters", 1, SF_FIELD_NUMERIC},
      {"n_params", "N", "parameters", 1, SF_FIELD_NUMERIC},
      {"num-params", "N", "parameters", 1, SF_FIELD_NUMERIC},
      {"size", "N", "parameters", 1, SF_FIELD_NUMERIC},
      {"Model Size (B)", "N", "parameters", 1e9, SF_FIELD_NUMERIC},
      {"params (M)", "N", "parameters", 1e6, SF_FIELD_NUMERIC},
      {"N (K)", "N", "parameters", 1e3, SF_FIELD_NUMERIC},
      {"D", "D", "tokens", 1, SF_FIELD_NUMERIC},
      {"tokens", "D", "tokens", 1, SF_FIELD_NUMERIC},
      {"Training Tokens", "D", "tokens", 1, SF_FIELD_NUMERIC},
      {"dataset size", "D", "tokens", 1, SF_FIELD_NUMERIC},
      {"data", "D", "tokens", 1, SF_FIELD_NUMERIC},
      {"Pretraining Data Size (T)", "D", "tokens", 1e12, SF_FIELD_NUMERIC},
      {"n_tokens", "D", "tokens", 1, SF_FIELD_NUMERIC},
      {"C", "C", "FLOP", 1, SF_FIELD_NUMERIC},
      {"compute", "C", "FLOP", 1, SF_FIELD_NUMERIC},
      {"FLOPs", "C", "FLOP", 1, SF_FIELD_NUMERIC},
      {"flop", "C", "FLOP", 1, SF_FIELD_NUMERIC},
      {"Training FLOP", "C", "FLOP", 1, SF_FIELD_NUMERIC},
      {"training flops", "C", "FLOP", 1, SF_FIELD_NUMERIC},
      {"Training Compute", "C", "FLOP", 1, SF_FIELD_NUMERIC},
      {"FLOPs (1E21)", "C", "FLOP", 1e21, SF_FIELD_NUMERIC},
      {"C (1e+18) [FLOP]", "C", "FLOP", 1e18, SF_FIELD_NUMERIC},
      {"loss", "loss", "nats/token", 1, SF_FIELD_NUMERIC},
      {"Final Loss", "loss", "nats/token", 1, SF_FIELD_NUMERIC},
      {"val_loss", "loss", "nats/token", 1, SF_FIELD_NUMERIC},
      {"Validation Loss", "loss", "nats/token", 1, SF_FIELD_NUMERIC},
      {"run", "run", "", 1, SF_FIELD_RUN},
      {"Name", "run", "", 1, SF_FIELD_RUN},
      {"Model", "run", "", 1, SF_FIELD_RUN},
      {"family", "family", "", 1, SF_FIELD_FAMILY},
      {"Model Family", "family", "", 1, SF_FIELD_FAMILY},
      {"source", "source", "", 1, SF_FIELD_SOURCE},
      {"Reference", "source", "", 1, SF_FIELD_SOURCE},
      {"citation", "source", "", 1, SF_FIELD_SOURCE},
      {"notes", "notes", "", 1, SF_FIELD_NOTES},
      {"Note", "notes", "", 1, SF_FIELD_NOTES},
      {"comment", "notes", "", 1, SF_FIELD_NOTES},
      {"Comments", "notes", "", 1, SF_FIELD_NOTES},
      {"derived", "derived", "", 1, SF_FIELD_DERIVED},
      {"MMLU", "mmlu", "", 1, SF_FIELD_NUMERIC},
      {"ARC-C", "arc_c", "", 1, SF_FIELD_NUMERIC},
      {"ARC-C [fraction]", "arc_c", "fraction", 1, SF_FIELD_NUMERIC},
      {"mmlu_shots", "mmlu_shots", "", 1, SF_FIELD_NUMERIC},
      {"  HellaSwag  ", "hellaswag", "", 1, SF_FIELD_NUMERIC},
      {"Accuracy (%)", "accuracy", "%", 1, SF_FIELD_NUMERIC},
      {"loss (smoothed)", "loss_smoothed", "", 1, SF_FIELD_NUMERIC},
      {"tokens/s (K)", "tokens_s", "", 1e3, SF_FIELD_NUMERIC},
      {"x", "x", "", 1, SF_FIELD_NUMERIC},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *name = NULL, *unit = NULL;
    double scale = 0;
    enum sf_field_kind kind = SF_FIELD_NOTES;
    int rc = sf_header_canonical(cases[i].header, &name, &unit, &scale, &kind);
    if (rc) print_error("header '%s': %s\n", cases[i].header, sf_errmsg());
    assert_int_equal(rc, SF_OK);
    if (strcmp(name, cases[i].name) || strcmp(unit, cases[i].unit))
      print_error("header '%s' -> '%s' [%s]\n", cases[i].header, name, unit);
    assert_string_equal(name, cases[i].name);
    assert_string_equal(unit, cases[i].unit);
    assert_rel(scale, cases[i].scale, 1e-15);
    assert_int_equal(kind, cases[i].kind);
    free(name);
    free(unit);
  }
  /* The last ones normalise to a known column's name (found by fuzzing: "???derived"). */
  static const char *const bad[] = {"",        "   ",        "(B)",          "---",     "loss [bits]", "run (B)",
                                    "N [tokens]", "???derived", "#params",   "?run?",   "val_loss!"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *name = NULL, *unit = NULL;
    double scale;
    enum sf_field_kind kind;
    assert_int_equal(sf_header_canonical(bad[i], &name, &unit, &scale, &kind), SF_EINPUT);
    assert_null(name);
    assert_null(unit);
  }
}

/* Rows share "" and repeated family/source/notes texts (one allocation, not one a row); every way a
 * row's text is replaced or dropped frees what the row owned and nothing shared (the sanitizer build
 * checks that no string is freed twice or leaked). */
static void test_shared_texts(void **state) {
  (void)state;
  sf_table *t = sf_table_new("runs");
  assert_non_null(t);
  char name[32], note[32];
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "r%d", i);
    snprintf(note, sizeof note, "note %d", i);
    assert_int_equal(sf_table_add_row(t, name, i % 2 ? NULL : "gpt", NULL, i < 30 ? note : ""), i);
  }
  assert_ptr_equal(t->family[0], t->family[38]);
  assert_ptr_equal(t->source[0], t->source[39]);
  assert_ptr_equal(t->family[1], t->notes[35]); /* the one "" */
  assert_ptr_not_equal(t->run[0], t->run[2]);
  assert_string_equal(t->notes[29], "note 29");
  assert_string_equal(t->family[38], "gpt");
  assert_int_equal(sf_table_take_text(t, t->family, 1, sf_strdup_test("llama")), SF_OK);
  assert_int_equal(sf_table_take_text(t, t->family, 0, sf_strdup_test("")), SF_OK);
  assert_int_equal(sf_table_take_text(t, t->notes, 29, sf_strdup_test("gpt")), SF_OK);
  assert_int_equal(sf_table_take_text(t, t->run, 0, sf_strdup_test("first")), SF_OK);
  assert_int_equal(sf_table_take_text(t, t->run, 2, sf_strdup_test("")), SF_OK);
  assert_string_equal(t->family[1], "llama");
  assert_string_equal(t->family[0], "");
  assert_ptr_equal(t->notes[29], t->family[2]);
  assert_string_equal(t->run[0], "first");
  assert_string_equal(t->run[2], "");
  assert_int_equal(sf_table_fill_text(t, t->source, "paper.csv"), SF_OK);
  assert_int_equal(sf_table_fill_text(t, t->family, "gpt"), SF_OK);
  for (int i = 0; i < 40; i++) {
    assert_string_equal(t->source[i], "paper.csv");
    assert_ptr_equal(t->source[i], t->source[0]);
    assert_string_equal(t->family[i], i == 1 ? "llama" : "gpt");
  }
  assert_int_equal(sf_table_fill_text(t, t->notes, "none"), SF_OK);
  assert_string_equal(t->notes[39], "none");
  unsigned char keep[40];
  for (int i = 0; i < 40; i++) keep[i] = i % 3 == 0;
  assert_int_equal(sf_table_keep_rows(t, keep), SF_OK);
  assert_int_equal(t->nrows, 14);
  assert_string_equal(t->run[1], "r3");
  assert_string_equal(t->notes[13], "none");
  sf_table *u = sf_table_copy(t);
  assert_non_null(u);
  assert_int_equal(sf_table_append(u, t), SF_OK);
  assert_int_equal(u->nrows, 28);
  assert_string_equal(u->run[14], "first");
  assert_string_equal(u->source[27], "paper.csv");
  assert_ptr_equal(u->source[27], u->source[0]);
  assert_string_equal(u->notes[14 + 3], "note 9");
  sf_table_free(t);
  for (size_t i = 0; i < u->nrows; i++) assert_string_equal(u->family[i], "gpt"); /* t's shared texts are gone */
  sf_table_free(u);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build_and_query), cmocka_unit_test(test_names),
      cmocka_unit_test(test_derive),          cmocka_unit_test(test_check),
      cmocka_unit_test(test_copy_and_append), cmocka_unit_test(test_header_aliases),
      cmocka_unit_test(test_shared_texts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
