/* internal.h: what the fit's files share and the public header does not promise. */
#ifndef SF_FIT_INTERNAL_H
#define SF_FIT_INTERNAL_H

#include <scalefit/sf_store.h>

#include "util/util.h"

/* Appends the rows r with pick[r] set (and, with col >= 0, no value in column col) to b, as
 * messages name rows: "'r7' (row 7)", or "row 12" for a run without a name; at most max of them,
 * then " and K more". Returns how many rows matched. */
size_t sf_fit_list_rows(sf_buf *b, const sf_table *t, const unsigned char *pick, int col, size_t max);

#endif
