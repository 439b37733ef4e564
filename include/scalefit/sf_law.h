/* sf_law.h: the law catalogue (what a scaling law is to the fitter) and the expression language.
 *
 * A law maps nvar input columns x (N and D, or C, or any metric column) to a prediction f of one
 * output column y, through np parameters. The fitter never sees the natural parameters directly:
 * it works on INTERNAL parameters theta (e.g. e = log E for a positive scale, as in Hoffmann et
 * al.'s log-sum-exp form), and each parameter states how natural and internal relate
 * (sf_transform). A law's eval function returns f at every point and, when asked, the exact
 * gradient df/dtheta (never finite differences).
 *
 * Adding a law is one `const sf_law` in src/law/catalogue.c (name, formula text, variables,
 * parameters with transforms, eval, default starts) plus one line in its table.
 *
 * User-defined laws come from a formula (`loss = E + A*N^-alpha + B*D^-beta`): identifiers that
 * are columns of the data are variables, the others are parameters; gradients come from
 * forward-mode differentiation of the parsed expression. The same parser reads selections
 * (`loss < 3.7 and N > 1e8`) for `--where`.
 */
#ifndef SF_LAW_H
#define SF_LAW_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_LAW_MAXVAR 4
#define SF_LAW_MAXPAR 12

/* How a natural parameter p relates to the internal one theta the optimiser moves. */
typedef enum sf_transform {
  SF_TR_IDENTITY = 0, /* p = theta */
  SF_TR_EXP,          /* p = exp(theta): p > 0 */
  SF_TR_LOGISTIC,     /* p = lo + (hi - lo) / (1 + exp(-theta)): lo < p < hi */
  SF_TR_LOWER         /* p = lo + exp(theta): p > lo */
} sf_transform;

typedef struct sf_param {
  const char *name;     /* natural name, e.g. "E" */
  const char *internal; /* internal name, e.g. "e" (= name for SF_TR_IDENTITY) */
  sf_transform tr;
  double lo, hi;        /* used by SF_TR_LOGISTIC (both) and SF_TR_LOWER (lo) */
} sf_param;

double sf_param_natural(const sf_param *p, double theta);  /* internal -> natural */
double sf_param_dnatural(const sf_param *p, double theta); /* d natural / d internal */
/* natural -> internal; NaN when p is outside the transform's range */
double sf_param_internal(const sf_param *p, double natural);
/* the same, but a value at the closed end of the range (a fit that ran to its bound and saved it,
 * e.g. a sigmoid's lo = 0) maps a rounding error inside instead of NaN */
double sf_param_internal_closed(const sf_param *p, double natural);

typedef enum sf_space { SF_SPACE_LOG = 0, SF_SPACE_LINEAR = 1 } sf_space;
typedef enum sf_loss { SF_LOSS_L2 = 0, SF_LOSS_HUBER = 1 } sf_loss;

/* The data a law is evaluated on: n points, nvar input columns, and their natural logs
 * (precomputed once per data set because most laws are power laws; NaN where x <= 0). */
typedef struct sf_law_data {
  size_t n, nvar;
  const double *x[SF_LAW_MAXVAR];
  const double *lx[SF_LAW_MAXVAR];
} sf_law_data;

typedef struct sf_law sf_law;

/* f[i] for i < d->n at internal parameters theta; if J != NULL also
 * J[j*n + i] = df_i / dtheta_j (column-major: one contiguous column per parameter, so the
 * loops over points vectorise). Returns 0, or nonzero where the model is undefined there
 * (the optimiser then treats the point in parameter space as infinitely bad). `scratch` is
 * law->nscratch doubles of caller-owned memory (no allocation in the hot loop). */
typedef int (*sf_law_eval_fn)(const sf_law *law, const sf_law_data *d, const double *theta, double *f,
                              double *J, double *scratch);

/* Default starting points (internal parameters, row-major nstarts x np) for data d with
 * outputs y. With out == NULL returns the count only (d and y may then be NULL); otherwise
 * writes at most cap rows and returns the count written. */
typedef size_t (*sf_law_starts_fn)(const sf_law *law, const sf_law_data *d, const double *y, double *out,
                                   size_t cap);

/* Whether natural parameters fitted to the runs d are a degenerate case of the law: a limit that
 * the runs do not determine as a whole (bnsl: its break beyond every run, a step between runs of
 * one x, a break sharpened into a kink no run is near enough to shape), or a free parameter no run
 * bears on (datacon: R*_D without a run that repeats data). fixed[j] nonzero marks a parameter
 * pinned by the caller (--fix; NULL: none is), which the runs need not determine. Returns 1 and
 * writes one line saying why to why (cap chars), else 0; 0 where a parameter is not finite (the
 * fit's own warnings say so). fixed added 2026 (diverge branch, session 14). */
typedef int (*sf_law_degenerate_fn)(const sf_law *law, const sf_law_data *d, const double *params,
                                    const int *fixed, char *why, size_t cap);

/* Whether one point's inputs x[0..nvar) (natural values, in the order of law->vars) lie outside the
 * law's domain beyond what x_positive says (datacon: unique tokens U above the tokens D trained on).
 * Returns 1 and writes why (cap chars) to follow "law 'NAME' " ("needs U <= D ..., got ..."), else 0.
 * The fitter, the table loader and the forecasts refuse such a point with it, naming its run and
 * file where they know them. */
typedef int (*sf_law_domain_fn)(const sf_law *law, const double *x, char *why, size_t cap);

struct sf_law {
  const char *name;    /* "chinchilla" */
  const char *formula; /* "L = E + A/N^alpha + B/D^beta" */
  const char *summary; /* one line: where it comes from */
  size_t nvar;
  const char *vars[SF_LAW_MAXVAR]; /* default input columns, e.g. {"N", "D"} */
  const char *y;                   /* default output column, e.g. "loss" */
  sf_space space;                  /* default residual space */
  sf_loss loss;                    /* default loss */
  double delta;                    /* default Huber delta */
  int x_positive;                  /* inputs must be > 0 (logs are taken) */
  int y_fraction;                  /* outputs are fractions in [0, 1] (the law cannot leave (0, 1)) */
  size_t np;
  sf_param par[SF_LAW_MAXPAR];
  sf_law_eval_fn eval;
  sf_law_starts_fn starts;
  size_t nscratch;                 /* doubles of scratch eval needs (0 for built-ins) */
  void *impl;                      /* private state of user-defined laws (NULL for built-ins) */
  sf_law_degenerate_fn degenerate; /* optional (NULL: never degenerate); added 2026, aicc branch */
  const char *label;               /* how messages name it (NULL: name); see sf_law_label. Added 2026 (msgs
                                      branch, session 12), additive */
  sf_law_domain_fn domain;         /* optional (NULL: any x that x_positive allows); added 2026 (datacon
                                      branch, session 13), additive */
};

/* ---- the catalogue ---- */
size_t sf_law_count(void);
const sf_law *sf_law_at(size_t i);
const sf_law *sf_law_find(const char *name); /* NULL if no law has that name */
int sf_law_param_index(const sf_law *law, const char *name); /* by natural or internal name; -1 */
/* The law as an error or warning names it: a catalogue law by its name, a formula by its text as
 * typed (every formula's name is "formula", which tells the user nothing), shortened in the middle
 * with "..." past SF_LAW_MAXLABEL characters. Tables that need a short label keep their own. */
#define SF_LAW_MAXLABEL 60
const char *sf_law_label(const sf_law *law);

/* ---- expressions ---- */
typedef struct sf_expr sf_expr;

/* Parses an arithmetic expression (+ - * / ^, unary minus, parentheses, numbers, identifiers,
 * exp log log10 sqrt) with, if `logical` is set, comparisons (< <= > >= == !=) and
 * and/or/not. SF_EINPUT with the position of the error otherwise. */
int sf_expr_parse(const char *src, int logical, sf_expr **out);
void sf_expr_free(sf_expr *e);
size_t sf_expr_nidents(const sf_expr *e);            /* distinct identifiers, in order of appearance */
const char *sf_expr_ident(const sf_expr *e, size_t k);
/* Evaluates with identifier k bound to values[k]; comparisons give 1 or 0. */
double sf_expr_eval(const sf_expr *e, const double *values);

/* A law from a formula "y = expr" or "expr" (y defaults to "loss"). Identifiers found in
 * columns[0..ncol) are variables, the others parameters (identity transforms, start 1).
 * SF_EINPUT if the formula does not parse, names no variable or no parameter, or has too many.
 * Free with sf_law_free. */
int sf_law_from_formula(const char *formula, const char *const *columns, size_t ncol, sf_law **out);
/* How sf_law_from_formula_with tells a column from a parameter: *col receives the index of the
 * column that name denotes (any numbering the caller likes), -1 for none; exact = 1 asks about the
 * exact spelling only, 0 about any spelling the caller accepts for a column (sf_table_resolve's).
 * Another status (an ambiguous name) fails the formula with that message. */
typedef int (*sf_formula_column_fn)(void *ctx, const char *name, int exact, int *col);
/* The same with columns decided by column(): a name spelled exactly as a column is a variable;
 * a name of two or more characters that column() accepts otherwise is one too, unless the formula
 * also names that column exactly (then it is a parameter); a one-letter name must be exact ('c'
 * beside a column C is a parameter). Added 2026 (forecast branch, session 11), additive. */
int sf_law_from_formula_with(const char *formula, sf_formula_column_fn column, void *ctx, sf_law **out);
void sf_law_free(sf_law *law); /* for laws from sf_law_from_formula; NULL-safe, no-op on built-ins */

#ifdef __cplusplus
}
#endif
#endif
