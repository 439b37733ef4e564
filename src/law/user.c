/* user.c: laws from a formula typed by the user ("loss = E + A*N^-alpha + B*D^-beta").
 *
 * The formula is parsed once (expr.c); identifiers that are data columns become variables, the
 * others parameters, with identity transforms (internal = natural). eval runs the node array
 * bottom-up carrying, for every node, its value and its gradient with respect to all parameters
 * (forward-mode differentiation with dual numbers): exact derivatives at about (1 + np) times
 * the cost of a plain evaluation, with no symbolic algebra. The node buffers live in the
 * caller's scratch, so evaluation allocates nothing.
 */
#include "law/expr.h"

#include <scalefit/sf_error.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct user_impl {
  sf_expr *expr;
  char *formula, *y;
  char label[SF_LAW_MAXLABEL + 1]; /* the formula for messages (sf_law_label) */
  char *names[SF_LAW_MAXVAR + SF_LAW_MAXPAR];
  int kind[256]; /* per identifier: 0..nvar-1 variable, nvar+j parameter j */
  unsigned char *dep; /* per node: depends on a parameter */
} user_impl;

static int user_eval(const sf_law *law, const sf_law_data *d, const double *th, double *f, double *J,
                     double *scratch) {
  const user_impl *u = law->impl;
  const sf_expr *e = u->expr;
  const size_t np = law->np, nv = law->nvar, nn = e->nnode, stride = np + 1;
  for (size_t i = 0; i < d->n; i++) {
    for (size_t k = 0; k < nn; k++) {
      const en_node *nd = &e->node[k];
      double *r = scratch + k * stride, *rg = r + 1;
      const double *A = nd->a >= 0 ? scratch + (size_t)nd->a * stride : NULL;
      const double *B = nd->b >= 0 ? scratch + (size_t)nd->b * stride : NULL;
      const int grad = J && u->dep[k];
      double a = A ? A[0] : 0, b = B ? B[0] : 0;
      switch (nd->op) {
      case EN_NUM:
        r[0] = nd->num;
        break;
      case EN_ID: {
        int kd = u->kind[nd->id];
        if (kd < (int)nv) {
          r[0] = d->x[kd][i];
        } else {
          r[0] = th[kd - (int)nv];
          if (J) {
            memset(rg, 0, np * sizeof *rg);
            rg[kd - (int)nv] = 1;
          }
        }
        break;
      }
      case EN_NEG:
        r[0] = -a;
        if (grad) for (size_t j = 0; j < np; j++) rg[j] = -A[1 + j];
        break;
      case EN_ADD:
      case EN_SUB: {
        double s = nd->op == EN_ADD ? 1 : -1;
        r[0] = a + s * b;
        if (grad)
          for (size_t j = 0; j < np; j++)
            rg[j] = (u->dep[nd->a] ? A[1 + j] : 0) + s * (u->dep[nd->b] ? B[1 + j] : 0);
        break;
      }
      case EN_MUL:
        r[0] = a * b;
        if (grad)
          for (size_t j = 0; j < np; j++)
            rg[j] = (u->dep[nd->a] ? A[1 + j] * b : 0) + (u->dep[nd->b] ? a * B[1 + j] : 0);
        break;
      case EN_DIV:
        r[0] = a / b;
        if (grad)
          for (size_t j = 0; j < np; j++)
            rg[j] = ((u->dep[nd->a] ? A[1 + j] : 0) - r[0] * (u->dep[nd->b] ? B[1 + j] : 0)) / b;
        break;
      case EN_POW: {
        double v = pow(a, b);
        r[0] = v;
        if (grad) {
          /* d(a^b) = b a^(b-1) da + a^b log(a) db; the log term only where b varies */
          double ca = u->dep[nd->a] ? (a != 0 ? b * v / a : b * pow(a, b - 1)) : 0;
          double cb = 0;
          if (u->dep[nd->b]) {
            if (!(a > 0)) return 1;
            cb = v * log(a);
          }
          for (size_t j = 0; j < np; j++)
            rg[j] = (u->dep[nd->a] ? ca * A[1 + j] : 0) + (u->dep[nd->b] ? cb * B[1 + j] : 0);
        }
        break;
      }
      case EN_EXP:
        r[0] = exp(a);
        if (grad) for (size_t j = 0; j < np; j++) rg[j] = r[0] * A[1 + j];
        break;
      case EN_LOG:
      case EN_LOG10: {
        if (!(a > 0)) return 1;
        double c = nd->op == EN_LOG ? 1 : 1 / log(10.0);
        r[0] = log(a) * c;
        if (grad) for (size_t j = 0; j < np; j++) rg[j] = c * A[1 + j] / a;
        break;
      }
      case EN_SQRT:
        if (!(a >= 0)) return 1;
        r[0] = sqrt(a);
        if (grad) {
          if (!(a > 0)) return 1;
          for (size_t j = 0; j < np; j++) rg[j] = A[1 + j] / (2 * r[0]);
        }
        break;
      default:
        return 1; /* comparisons never reach a law: parsed with logical = 0 */
      }
      if (!isfinite(r[0])) return 1;
    }
    const double *root = scratch + (nn - 1) * stride;
    f[i] = root[0];
    if (J)
      for (size_t j = 0; j < np; j++) J[j * d->n + i] = u->dep[nn - 1] ? root[1 + j] : 0;
  }
  return 0;
}

/* 512 deterministic pseudo-random starts, each parameter log-uniform in [1e-2, 1e3]: user laws
 * carry no hints about their scales, so cover the usual range of scaling-law constants. */
static size_t user_starts(const sf_law *law, const sf_law_data *d, const double *y, double *out, size_t cap) {
  const size_t K = 512;
  if (!out) return K;
  unsigned long long s = 0x9E3779B97F4A7C15ull;
  size_t k = 0;
  for (; k < K && k < cap; k++)
    for (size_t j = 0; j < law->np; j++) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17; /* xorshift64 */
      double u = (double)(s >> 11) * 0x1.0p-53;
      out[k * law->np + j] = pow(10.0, -2 + 5 * u);
    }
  if (k > 0) /* the first start is all ones */
    for (size_t j = 0; j < law->np; j++) out[j] = 1;
  return k;
}

void sf_law_free(sf_law *law) {
  if (!law || !law->impl) return;
  user_impl *u = law->impl;
  sf_expr_free(u->expr);
  free(u->formula);
  free(u->y);
  for (size_t k = 0; k < SF_LAW_MAXVAR + SF_LAW_MAXPAR; k++) free(u->names[k]);
  free(u->dep);
  free(u);
  free(law);
}

/* Position of the '=' that separates "y = expr" (not part of ==, <=, >=, !=), or NULL. */
static const char *find_assign(const char *s) {
  for (const char *p = s; *p; p++)
    if (*p == '=' && p[1] != '=' && (p == s || !strchr("<>=!", p[-1]))) return p;
  return NULL;
}

/* sf_law_from_formula's columns: a list, exact names only */
typedef struct col_list {
  const char *const *columns;
  size_t ncol;
} col_list;

static int list_column(void *ctx, const char *name, int exact, int *col) {
  const col_list *l = ctx;
  *col = -1;
  for (size_t c = 0; exact && c < l->ncol; c++)
    if (strcmp(l->columns[c], name) == 0) *col = (int)c;
  return SF_OK;
}

int sf_law_from_formula(const char *formula, const char *const *columns, size_t ncol, sf_law **out) {
  col_list l = {columns, ncol};
  return sf_law_from_formula_with(formula, list_column, &l, out);
}

int sf_law_from_formula_with(const char *formula, sf_formula_column_fn column, void *ctx, sf_law **out) {
  *out = NULL;
  sf_law *law = calloc(1, sizeof *law);
  user_impl *u = calloc(1, sizeof *u);
  if (!law || !u) {
    free(law);
    free(u);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  law->impl = u;
  int rc = SF_OK;
  u->formula = strdup(formula);
  if (!u->formula) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  const char *eq = find_assign(formula);
  size_t rhs = 0;
  if (eq) {
    const char *a = formula, *b = eq;
    while (*a == ' ' || *a == '\t') a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    int ok = b > a && (b[-1] != '.');
    for (const char *p = a; ok && p < b; p++)
      ok = (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (p > a && *p >= '0' && *p <= '9'));
    if (!ok) {
      rc = sf_fail(SF_EINPUT, "cannot parse '%s': the left of '=' must be the name of the output column", formula);
      goto fail;
    }
    u->y = strndup(a, (size_t)(b - a));
    rhs = (size_t)(eq + 1 - formula);
  } else {
    u->y = strdup("loss");
  }
  if (!u->y) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  /* the right-hand side parsed inside the whole formula, so that an error quotes what was typed
   * and its column counts from the formula's first character, not from after the '=' */
  if ((rc = sf_expr_parse_from(formula, rhs, 0, &u->expr))) goto fail;
  const sf_expr *e = u->expr;
  if (e->nident > 256) {
    rc = sf_fail(SF_EINPUT, "formula '%s' has too many names", formula);
    goto fail;
  }
  /* Which names are columns. The exact spelling first; then, as --x, --y and --where find
   * columns, any letter case or a header's spelling (MMLU for mmlu, Loss for loss), but never
   * for a one-letter name (c beside a column C is the usual name of an offset: 'loss = a*N^-b + c')
   * nor for a column the formula also names exactly (then the other spelling is a parameter). */
  int col[256], exact[256];
  for (size_t k = 0; k < e->nident; k++)
    if ((rc = column(ctx, e->ident[k], 1, &exact[k]))) goto fail;
  for (size_t k = 0; k < e->nident; k++) {
    col[k] = exact[k];
    if (col[k] >= 0 || strlen(e->ident[k]) < 2) continue;
    int c;
    if ((rc = column(ctx, e->ident[k], 0, &c))) {
      sf_fail_context("formula '%s': ", formula);
      goto fail;
    }
    for (size_t i = 0; c >= 0 && i < e->nident; i++)
      if (exact[i] == c) c = -1; /* named exactly elsewhere: this spelling is a parameter */
    for (size_t i = 0; c >= 0 && i < k; i++)
      if (col[i] == c) {
        rc = sf_fail(SF_EINPUT, "formula '%s' names one column as '%s' and as '%s' (write it one way)", formula,
                     e->ident[i], e->ident[k]);
        goto fail;
      }
    col[k] = c;
  }
  size_t nv = 0, np = 0;
  for (size_t k = 0; k < e->nident; k++) {
    if (col[k] >= 0) nv++;
    else np++;
  }
  if (nv == 0) {
    rc = sf_fail(SF_EINPUT, "formula '%s' names no column of the data (it must use at least one, e.g. N, D or C)",
                 formula);
    goto fail;
  }
  if (np == 0) {
    rc = sf_fail(SF_EINPUT, "formula '%s' has no parameter to fit (every name is a column)", formula);
    goto fail;
  }
  if (nv > SF_LAW_MAXVAR || np > SF_LAW_MAXPAR) {
    rc = sf_fail(SF_EINPUT, "formula '%s' has %zu variables and %zu parameters (at most %d and %d)", formula, nv, np,
                 SF_LAW_MAXVAR, SF_LAW_MAXPAR);
    goto fail;
  }
  size_t iv = 0, ip = 0;
  for (size_t k = 0; k < e->nident; k++) {
    int is_col = col[k] >= 0;
    char *name = strdup(e->ident[k]);
    if (!name) {
      rc = sf_fail(SF_ENOMEM, "out of memory");
      goto fail;
    }
    if (is_col) {
      u->names[iv] = name;
      law->vars[iv] = name;
      u->kind[k] = (int)iv++;
    } else {
      u->names[SF_LAW_MAXVAR + ip] = name;
      law->par[ip] = (sf_param){name, name, SF_TR_IDENTITY, 0, 0};
      u->kind[k] = (int)(nv + ip++);
    }
  }
  u->dep = calloc(e->nnode, 1);
  if (!u->dep) {
    rc = sf_fail(SF_ENOMEM, "out of memory");
    goto fail;
  }
  for (size_t k = 0; k < e->nnode; k++) {
    const en_node *nd = &e->node[k];
    u->dep[k] = (nd->op == EN_ID && u->kind[nd->id] >= (int)nv) || (nd->a >= 0 && u->dep[nd->a]) ||
                (nd->b >= 0 && u->dep[nd->b]);
  }
  law->name = "formula";
  law->formula = u->formula;
  /* a long formula keeps its start (the output and first terms) and its end, so the user still
   * recognises which of several it is */
  size_t len = strlen(u->formula);
  if (len <= SF_LAW_MAXLABEL) {
    snprintf(u->label, sizeof u->label, "%s", u->formula);
  } else {
    int head = (SF_LAW_MAXLABEL - 3) / 2, tail = SF_LAW_MAXLABEL - 3 - head;
    snprintf(u->label, sizeof u->label, "%.*s...%s", head, u->formula, u->formula + len - (size_t)tail);
  }
  law->label = u->label;
  law->summary = "user-defined formula";
  law->nvar = nv;
  law->y = u->y;
  law->space = SF_SPACE_LOG;
  law->loss = SF_LOSS_L2;
  law->delta = 1e-3;
  law->x_positive = 0;
  law->np = np;
  law->eval = user_eval;
  law->starts = user_starts;
  law->nscratch = e->nnode * (np + 1);
  *out = law;
  return SF_OK;
fail:
  sf_law_free(law);
  return rc;
}
