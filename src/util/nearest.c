/* nearest.c: "did you mean" hints for misspelt names (commands, options, laws, columns). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

/* Edit distance with a swap of neighbours counting as one edit ("lwa" is one from "law"), case
 * ignored: the slips a user makes at a keyboard. Names longer than SF_NEAR_MAX are never near. */
static size_t distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > SF_NEAR_MAX || m > SF_NEAR_MAX) return (size_t)-1;
  size_t d[SF_NEAR_MAX + 1][SF_NEAR_MAX + 1];
  for (size_t i = 0; i <= n; i++) d[i][0] = i;
  for (size_t j = 0; j <= m; j++) d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      int ai = tolower((unsigned char)a[i - 1]), bj = tolower((unsigned char)b[j - 1]);
      size_t best = d[i - 1][j - 1] + (ai != bj);
      if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) == bj &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[n][m];
}

void sf_near_init(sf_near *n, const char *word) {
  memset(n, 0, sizeof *n);
  n->word = word;
  n->best = (size_t)-1;
}

static void keep(const char **list, size_t *count, const char *cand) {
  for (size_t i = 0; i < *count && i < SF_NEAR_SHOWN; i++)
    if (strcmp(list[i], cand) == 0) return; /* a table can list a name twice (aliases) */
  if (*count < SF_NEAR_SHOWN) list[*count] = cand;
  (*count)++;
}

void sf_near_add(sf_near *n, const char *cand) {
  if (!cand || !*cand || !n->word) return;
  size_t len = strlen(n->word), d = distance(n->word, cand);
  /* a third of the word may be wrong, at least one letter: "los" finds "loss", "x" finds no "lr" */
  size_t limit = len / 3 > 1 ? len / 3 : 1;
  if (d <= limit) {
    if (d < n->best) {
      n->best = d;
      n->nclose = 0;
    }
    if (d == n->best) keep(n->close, &n->nclose, cand);
  }
  if (len >= 3 && strncasecmp(cand, n->word, len) == 0 && strlen(cand) > len && strlen(cand) <= SF_NEAR_MAX)
    keep(n->prefix, &n->nprefix, cand);
}

void sf_near_add_list(sf_near *n, const char *list) {
  snprintf(n->words, sizeof n->words, "%s", list);
  char *save = NULL;
  for (char *w = strtok_r(n->words, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) sf_near_add(n, w);
}

const char *sf_near_hint(sf_near *n) {
  const char **list = n->nclose ? n->close : n->prefix;
  size_t count = n->nclose ? n->nclose : n->nprefix;
  if (!count) return "";
  sf_buf b;
  sf_buf_init(&b);
  sf_buf_add(&b, " (did you mean ");
  size_t shown = count < SF_NEAR_SHOWN ? count : SF_NEAR_SHOWN;
  for (size_t i = 0; i < shown; i++) {
    if (i) sf_buf_add(&b, i + 1 == shown && count <= SF_NEAR_SHOWN ? " or " : ", ");
    sf_buf_printf(&b, "'%s'", list[i]);
  }
  if (count > SF_NEAR_SHOWN) sf_buf_printf(&b, " or %zu other%s", count - SF_NEAR_SHOWN, sf_plural(count - SF_NEAR_SHOWN));
  sf_buf_add(&b, "?)");
  snprintf(n->hint, sizeof n->hint, "%s", b.oom ? "" : sf_buf_str(&b));
  sf_buf_free(&b);
  return n->hint;
}
