/* fuzz_csvrec.c: libFuzzer target for the reference tables' record reader (accelerators,
 * published laws, costs): the store's shared CSV tokenizer (store/csvtok.c, also behind
 * fuzz_csv's run tables) and the record index built on it. Every field of every record is read,
 * so an index that points outside the tokenizer's arena is caught under ASan. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "forecast/csvrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sf_csvrec *c = NULL;
  if (sf_csvrec_parse((const char *)data, size, "fuzz", &c) == 0) {
    size_t total = 0;
    (void)sf_csvrec_col(c, "name");
    for (size_t r = 0; r < c->nrec; r++)
      for (size_t k = 0; k <= c->nfield[r]; k++) total += strlen(sf_csvrec_get(c, r, (int)k)); /* k == n: "" */
    if (total > size) __builtin_trap(); /* fields are pieces of the input, never longer in all */
    sf_csvrec_free(c);
  }
  return 0;
}
