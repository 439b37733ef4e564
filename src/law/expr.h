/* expr.h: the parsed form of an sf_expr, shared by the parser (expr.c) and user-defined laws
 * (user.c), which differentiate it in forward mode.
 *
 * Nodes are stored in the order the parser creates them, so every node's operands come before
 * it: evaluating the array front to back is a valid bottom-up evaluation, and the last node is
 * the root. No recursion is needed to evaluate.
 */
#ifndef SF_LAW_EXPR_H
#define SF_LAW_EXPR_H

#include <scalefit/sf_law.h>

typedef enum en_op {
  EN_NUM, EN_ID, EN_NEG, EN_ADD, EN_SUB, EN_MUL, EN_DIV, EN_POW, EN_EXP, EN_LOG, EN_LOG10, EN_SQRT,
  EN_LT, EN_LE, EN_GT, EN_GE, EN_EQ, EN_NE, EN_AND, EN_OR, EN_NOT
} en_op;

typedef struct en_node {
  en_op op;
  int a, b;   /* operand node indices (-1 if none) */
  double num; /* EN_NUM */
  int id;     /* EN_ID: identifier index */
} en_node;

struct sf_expr {
  en_node *node;
  size_t nnode, cap;
  char **ident;
  size_t nident;
  double *val; /* nnode values for sf_expr_eval (not thread-safe by design: --where runs once) */
};

/* sf_expr_parse of src + start, with src the whole text for messages: they quote src and count
 * the error's column from its first character (a formula's right-hand side is parsed inside the
 * formula the user typed, so that "column 35" is the 35th character of what was typed). */
int sf_expr_parse_from(const char *src, size_t start, int logical, sf_expr **out);

#endif
