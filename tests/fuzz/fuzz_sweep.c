/* fuzz_sweep.c: libFuzzer target for the sweep file parser (src/train/sweep.c, on src/util/ini.c).
 * Any input must either parse into a sweep that satisfies the invariants below or fail with
 * SF_EINPUT and a message that starts with the file's name and a line number ("fuzz.ini:LINE: ");
 * never a crash, leak or undefined behaviour (the build adds ASan and UBSan).
 *
 *   CC=clang cmake -S . -B build-fuzz -DSCALEFIT_FUZZ=ON -DSCALEFIT_NATIVE=OFF -DSCALEFIT_TESTS=ON
 *   cmake --build build-fuzz --target fuzz_sweep
 *   ./build-fuzz/tests/fuzz_sweep -max_total_time=60 tests/fuzz/corpus_sweep
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_sweep.h>

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sf_sweep *s = NULL;
  int rc = sf_sweep_parse((const char *)data, size, "fuzz.ini", &s);
  if (rc != SF_OK) {
    const char *m = sf_errmsg();
    if (rc != SF_EINPUT || s || strncmp(m, "fuzz.ini:", 9) || !isdigit((unsigned char)m[9])) abort();
    return 0;
  }
  /* invariants of an accepted sweep */
  if (!s || !s->ngrids || s->context < 0 || s->context > 65536 || s->batch < 0 || s->seed < 0) abort();
  if (s->batch && s->batch % (s->context ? s->context : 128)) abort();
  if (s->lr != 0 && !(s->lr > 0 && s->lr < 1)) abort();
  for (size_t g = 0; g < s->ngrids; g++) {
    const sf_sweep_grid *gr = &s->grids[g];
    if (!gr->nsizes || !gr->nbudgets || gr->nsizes > SF_SWEEP_MAXLIST || gr->nbudgets > SF_SWEEP_MAXLIST) abort();
    for (size_t i = 0; i < gr->nsizes; i++)
      if (gr->sizes[i][0] < 1 || gr->sizes[i][1] < 1 || gr->sizes[i][2] < 1) abort();
    for (size_t i = 0; i < gr->nbudgets; i++)
      if (!(gr->budgets[i] > 0) || !isfinite(gr->budgets[i])) abort();
    for (size_t k = g + 1; gr->name[0] && k < s->ngrids; k++)
      if (!strcmp(gr->name, s->grids[k].name)) abort();
  }
  sf_sweep_free(s);
  return 0;
}
