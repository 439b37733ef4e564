/* expr.c: a small recursive-descent parser for formulas and selections, and a scalar evaluator.
 *
 * Grammar (lowest precedence first):
 *   or   := and ('or' and)*              -- logical forms only
 *   and  := not ('and' not)*
 *   not  := 'not' not | cmp
 *   cmp  := sum (('<'|'<='|'>'|'>='|'=='|'!=') sum)?
 *   sum  := term (('+'|'-') term)*
 *   term := unary (('*'|'/') unary)*
 *   unary:= ('-'|'+') unary | pow
 *   pow  := primary (('^'|'**') unary)?  -- right-associative, so N^-alpha and 2^3^2 read as usual
 *   primary := NUMBER | IDENT | FUNC '(' or ')' | '(' or ')'     FUNC in exp log log10 sqrt
 * Identifiers are [A-Za-z_][A-Za-z0-9_]*; -x^2 is -(x^2) as in mathematics.
 */
#include "law/expr.h"

#include <scalefit/sf_error.h>

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200
#define MAX_NODES 100000

typedef struct parser {
  const char *src, *p;
  int logical, depth;
  sf_expr *e;
  int rc;
} parser;

static int perr(parser *ps, const char *what) {
  if (ps->rc) return -1;
  /* the column as the user counts it: in characters (a UTF-8 name is one per letter, not per
   * byte) from the first of the text typed, which for a formula is the left of its '=' */
  size_t pos = 1;
  for (const char *q = ps->src; q < ps->p; q++) pos += ((unsigned char)*q & 0xC0) != 0x80;
  const char *more = strlen(ps->src) > 80 ? "..." : ""; /* long input: quote its start only */
  if (*ps->p)
    ps->rc = sf_fail(SF_EINPUT, "cannot parse '%.80s%s': %s at column %zu ('%.10s')", ps->src, more, what, pos, ps->p);
  else ps->rc = sf_fail(SF_EINPUT, "cannot parse '%.80s%s': %s at the end", ps->src, more, what);
  return -1;
}

static void skip_ws(parser *ps) {
  while (isspace((unsigned char)*ps->p)) ps->p++;
}

static int add_node(parser *ps, en_op op, int a, int b, double num, int id) {
  sf_expr *e = ps->e;
  if (e->nnode == e->cap) {
    if (e->cap >= MAX_NODES) return perr(ps, "expression too long");
    size_t cap = e->cap ? 2 * e->cap : 16;
    en_node *n = realloc(e->node, cap * sizeof *n);
    if (!n) {
      ps->rc = sf_fail(SF_ENOMEM, "out of memory parsing '%s'", ps->src);
      return -1;
    }
    e->node = n;
    e->cap = cap;
  }
  e->node[e->nnode] = (en_node){op, a, b, num, id};
  return (int)e->nnode++;
}

static int intern(parser *ps, const char *s, size_t len) {
  sf_expr *e = ps->e;
  for (size_t k = 0; k < e->nident; k++)
    if (strlen(e->ident[k]) == len && strncmp(e->ident[k], s, len) == 0) return (int)k;
  char **v = realloc(e->ident, (e->nident + 1) * sizeof *v);
  char *c = malloc(len + 1);
  if (!v || !c) {
    if (v) e->ident = v;
    free(c);
    ps->rc = sf_fail(SF_ENOMEM, "out of memory parsing '%s'", ps->src);
    return -1;
  }
  memcpy(c, s, len);
  c[len] = '\0';
  e->ident = v;
  e->ident[e->nident] = c;
  return (int)e->nident++;
}

/* Consumes keyword kw if it stands alone (not the prefix of a longer identifier). */
static int keyword(parser *ps, const char *kw) {
  size_t n = strlen(kw);
  if (strncmp(ps->p, kw, n) == 0 && !isalnum((unsigned char)ps->p[n]) && ps->p[n] != '_') {
    ps->p += n;
    return 1;
  }
  return 0;
}

static int p_or(parser *ps);
static int p_unary(parser *ps);

static int p_primary(parser *ps) {
  skip_ws(ps);
  const char *s = ps->p;
  if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]))) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v)) return perr(ps, "bad number");
    ps->p = end;
    return add_node(ps, EN_NUM, -1, -1, v, -1);
  }
  if (isalpha((unsigned char)*s) || *s == '_') {
    const char *t = s;
    while (isalnum((unsigned char)*t) || *t == '_') t++;
    size_t len = (size_t)(t - s);
    static const struct { const char *name; en_op op; } funcs[] = {
        {"exp", EN_EXP}, {"log", EN_LOG}, {"ln", EN_LOG}, {"log10", EN_LOG10}, {"sqrt", EN_SQRT}};
    const char *q = t;
    while (isspace((unsigned char)*q)) q++;
    if (*q == '(') {
      for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
        if (strlen(funcs[i].name) == len && strncmp(funcs[i].name, s, len) == 0) {
          ps->p = q + 1;
          int a = p_or(ps);
          if (a < 0) return -1;
          skip_ws(ps);
          if (*ps->p != ')') return perr(ps, "expected ')'");
          ps->p++;
          return add_node(ps, funcs[i].op, a, -1, 0, -1);
        }
      }
      ps->p = s;
      return perr(ps, "unknown function (known: exp, log, log10, sqrt)");
    }
    if ((len == 3 && strncmp(s, "and", 3) == 0) || (len == 2 && strncmp(s, "or", 2) == 0) ||
        (len == 3 && strncmp(s, "not", 3) == 0))
      return perr(ps, "expected a value");
    ps->p = t;
    int id = intern(ps, s, len);
    if (id < 0) return -1;
    return add_node(ps, EN_ID, -1, -1, 0, id);
  }
  if (*s == '(') {
    ps->p++;
    int a = p_or(ps);
    if (a < 0) return -1;
    skip_ws(ps);
    if (*ps->p != ')') return perr(ps, "expected ')'");
    ps->p++;
    return a;
  }
  return perr(ps, *s ? "expected a number, a name or '('" : "expected a value");
}

static int p_pow(parser *ps) {
  int a = p_primary(ps);
  if (a < 0) return -1;
  skip_ws(ps);
  if (*ps->p == '^' || (ps->p[0] == '*' && ps->p[1] == '*')) {
    ps->p += *ps->p == '^' ? 1 : 2;
    int b = p_unary(ps);
    if (b < 0) return -1;
    return add_node(ps, EN_POW, a, b, 0, -1);
  }
  return a;
}

static int p_unary(parser *ps) {
  if (++ps->depth > MAX_DEPTH) return perr(ps, "expression nested too deeply");
  skip_ws(ps);
  int r;
  if (*ps->p == '-' || *ps->p == '+') {
    int neg = *ps->p == '-';
    ps->p++;
    int a = p_unary(ps);
    r = a < 0 ? -1 : neg ? add_node(ps, EN_NEG, a, -1, 0, -1) : a;
  } else {
    r = p_pow(ps);
  }
  ps->depth--;
  return r;
}

static int p_term(parser *ps) {
  int a = p_unary(ps);
  while (a >= 0) {
    skip_ws(ps);
    char c = *ps->p;
    if ((c != '*' && c != '/') || ps->p[1] == '*') break;
    ps->p++;
    int b = p_unary(ps);
    if (b < 0) return -1;
    a = add_node(ps, c == '*' ? EN_MUL : EN_DIV, a, b, 0, -1);
  }
  return a;
}

static int p_sum(parser *ps) {
  int a = p_term(ps);
  while (a >= 0) {
    skip_ws(ps);
    char c = *ps->p;
    if (c != '+' && c != '-') break;
    ps->p++;
    int b = p_term(ps);
    if (b < 0) return -1;
    a = add_node(ps, c == '+' ? EN_ADD : EN_SUB, a, b, 0, -1);
  }
  return a;
}

static int p_cmp(parser *ps) {
  int a = p_sum(ps);
  if (a < 0 || !ps->logical) return a;
  skip_ws(ps);
  static const struct { const char *tok; en_op op; } ops[] = {
      {"<=", EN_LE}, {">=", EN_GE}, {"==", EN_EQ}, {"!=", EN_NE}, {"<", EN_LT}, {">", EN_GT}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t n = strlen(ops[i].tok);
    if (strncmp(ps->p, ops[i].tok, n) == 0) {
      ps->p += n;
      int b = p_sum(ps);
      if (b < 0) return -1;
      return add_node(ps, ops[i].op, a, b, 0, -1);
    }
  }
  return a;
}

static int p_not(parser *ps) {
  skip_ws(ps);
  if (ps->logical && keyword(ps, "not")) {
    if (++ps->depth > MAX_DEPTH) return perr(ps, "expression nested too deeply");
    int a = p_not(ps);
    ps->depth--;
    return a < 0 ? -1 : add_node(ps, EN_NOT, a, -1, 0, -1);
  }
  return p_cmp(ps);
}

static int p_and(parser *ps) {
  int a = p_not(ps);
  while (a >= 0 && ps->logical) {
    skip_ws(ps);
    if (!keyword(ps, "and")) break;
    int b = p_not(ps);
    if (b < 0) return -1;
    a = add_node(ps, EN_AND, a, b, 0, -1);
  }
  return a;
}

static int p_or(parser *ps) {
  if (++ps->depth > MAX_DEPTH) return perr(ps, "expression nested too deeply");
  int a = p_and(ps);
  while (a >= 0 && ps->logical) {
    skip_ws(ps);
    if (!keyword(ps, "or")) break;
    int b = p_and(ps);
    if (b < 0) return -1;
    a = add_node(ps, EN_OR, a, b, 0, -1);
  }
  ps->depth--;
  return a;
}

int sf_expr_parse(const char *src, int logical, sf_expr **out) { return sf_expr_parse_from(src, 0, logical, out); }

int sf_expr_parse_from(const char *src, size_t start, int logical, sf_expr **out) {
  *out = NULL;
  sf_expr *e = calloc(1, sizeof *e);
  if (!e) return sf_fail(SF_ENOMEM, "out of memory");
  parser ps = {src, src + start, logical, 0, e, 0};
  int root = p_or(&ps);
  if (root >= 0) {
    skip_ws(&ps);
    if (*ps.p) {
      if (!logical && strchr("<>=!", *ps.p)) perr(&ps, "comparison not allowed here");
      else perr(&ps, "unexpected text");
    }
  }
  if (ps.rc || root < 0) {
    int rc = ps.rc ? ps.rc : sf_fail(SF_EINPUT, "cannot parse '%s'", src);
    sf_expr_free(e);
    return rc;
  }
  /* The root is the last node created (operands precede their parents); a parenthesised
   * sub-expression returned as root is also last, since nothing was created after it. */
  e->val = malloc(e->nnode * sizeof *e->val);
  if (!e->val) {
    sf_expr_free(e);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  *out = e;
  return SF_OK;
}

void sf_expr_free(sf_expr *e) {
  if (!e) return;
  for (size_t k = 0; k < e->nident; k++) free(e->ident[k]);
  free(e->ident);
  free(e->node);
  free(e->val);
  free(e);
}

size_t sf_expr_nidents(const sf_expr *e) { return e->nident; }
const char *sf_expr_ident(const sf_expr *e, size_t k) { return k < e->nident ? e->ident[k] : NULL; }

/* A missing value (NaN) makes a comparison unknown (NaN), as SQL's NULL does: 'not' keeps it
 * unknown, 'and' is false if either side is false, 'or' true if either is true, and an unknown
 * selection is false. With two-valued logic 'lr != 6e-4' and 'not (lr < 1)' kept the runs without
 * an lr, though a missing value is documented to compare false. */
static int known(double x) { return !isnan(x); }

double sf_expr_eval(const sf_expr *e, const double *values) {
  double *v = e->val;
  for (size_t k = 0; k < e->nnode; k++) {
    const en_node *n = &e->node[k];
    double a = n->a >= 0 ? v[n->a] : 0, b = n->b >= 0 ? v[n->b] : 0, r;
    switch (n->op) {
    case EN_NUM: r = n->num; break;
    case EN_ID: r = values[n->id]; break;
    case EN_NEG: r = -a; break;
    case EN_ADD: r = a + b; break;
    case EN_SUB: r = a - b; break;
    case EN_MUL: r = a * b; break;
    case EN_DIV: r = a / b; break;
    case EN_POW: r = pow(a, b); break;
    case EN_EXP: r = exp(a); break;
    case EN_LOG: r = log(a); break;
    case EN_LOG10: r = log10(a); break;
    case EN_SQRT: r = sqrt(a); break;
    case EN_LT: r = known(a) && known(b) ? a < b : NAN; break;
    case EN_LE: r = known(a) && known(b) ? a <= b : NAN; break;
    case EN_GT: r = known(a) && known(b) ? a > b : NAN; break;
    case EN_GE: r = known(a) && known(b) ? a >= b : NAN; break;
    case EN_EQ: r = known(a) && known(b) ? a == b : NAN; break;
    case EN_NE: r = known(a) && known(b) ? a != b : NAN; break;
    case EN_AND: r = (known(a) && a == 0) || (known(b) && b == 0) ? 0 : known(a) && known(b) ? 1 : NAN; break;
    case EN_OR: r = (known(a) && a != 0) || (known(b) && b != 0) ? 1 : known(a) && known(b) ? 0 : NAN; break;
    case EN_NOT: r = known(a) ? a == 0 : NAN; break;
    default: r = NAN;
    }
    v[k] = r;
  }
  if (!e->nnode) return NAN;
  en_op top = e->node[e->nnode - 1].op;
  double r = v[e->nnode - 1];
  return top >= EN_LT && top <= EN_NOT && isnan(r) ? 0 : r; /* an unknown selection is false */
}
