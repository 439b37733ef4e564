/* sf_fit.h: fitting a law to data: robust multi-start optimisation, uncertainty, statistics.
 *
 * The numerical core of `scalefit fit`, free of I/O: it takes arrays (an sf_law_data and y) and
 * returns numbers. Usage, GSL-style:
 *
 *   sf_fit_opts o;  sf_fit_opts_default(&o, law);   // loss, delta, space from the law
 *   sf_fit_workspace *w = sf_fit_alloc(law, n, &o);  // all allocation happens here
 *   sf_fit_run(w, &data, y, sigma, NULL, starts, nstarts, &res);      // sigma may be NULL
 *   sf_fit_bootstrap(w, &data, y, sigma, NULL, starts, nstarts, K, seed, samples, NULL, &nfail);
 *   sf_fit_free(w);
 *
 * Residuals are r = log f - log y (SF_SPACE_LOG, the default for losses) or r = f - y. The
 * objective is SUMMED over points, never averaged: sum w_i r_i^2 (l2) or sum w_i huber_delta(r_i)
 * with huber(r) = r^2/2 for |r| <= delta, delta (|r| - delta/2) beyond (Hoffmann et al.;
 * averaging makes stopping rules end early, Besiroglu et al. 2024). Stopping rules are scaled to
 * the objective's own size, not to 1.
 *
 * Uncertainties (scipy's curve_fit(sigma=...)): with sigma, per point standard deviations of y in
 * y's units, each residual is divided by its own scale before the loss: (f - y)/sigma_i in linear
 * space, (log f - log y)/(sigma_i/y_i) in log space (the delta method: sigma/y is the standard
 * deviation of log y). Huber's delta is then in units of sigma. The covariance is scaled by
 * chi2/dof unless opts.absolute_sigma. The weights are frequency weights (a bootstrap's counts):
 * a point of weight 2 counts as two points, in the objective and in the degrees of freedom.
 *
 * Multi-start: every start is optimised to a loose stopping rule scaled to the objective (as a
 * scipy user's L-BFGS-B would), or until it is clearly heading for a worse basin (opts.abandon),
 * then the best few distinct results are polished to a tight one;
 * the best objective wins, ties going to the lower start index, so the result does not depend
 * on the number of threads. Huber fits use GSL's BFGS2 with analytic gradients, l2 fits GSL's
 * trust-region least squares (Levenberg-Marquardt).
 */
#ifndef SF_FIT_H
#define SF_FIT_H

#include <stddef.h>

#include <scalefit/sf_law.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_fit_opts {
  sf_loss loss;
  double delta;      /* Huber threshold (in the residual's space) */
  sf_space space;
  int threads;       /* OpenMP threads; 0 = OpenMP's default */
  size_t max_iter;   /* per start for the l2 (trust-region) solver (default 2000) */
  /* Per parameter (catalogue order): pinned to a natural value, or bounded lo < p < hi (natural
   * values; the optimiser sees a logistic reparametrisation, so bounds are never clamped). */
  int fixed[SF_LAW_MAXPAR];
  double fix_value[SF_LAW_MAXPAR];
  int bounded[SF_LAW_MAXPAR];
  double lo[SF_LAW_MAXPAR], hi[SF_LAW_MAXPAR];
  double basin_rtol; /* a start is in the best basin if its explored objective is within this
                        relative tolerance of the best (default 1e-2) and its parameters ... */
  double basin_ptol; /* ... |theta - theta_best| <= ptol (1 + |theta_best|) each (default 0.1) */
  double abandon;    /* a start whose objective is still above abandon x the best known and whose
                        progress has slowed is given up early (default 3; 0 = run every start
                        to its stopping rule, the plain multi-start) */
  /* sf_fit_bootstrap calls progress(progress_ctx, done, K) after each resample, one call at a
   * time (from whichever thread finished it), done rising from 1 to K; NULL: none */
  void (*progress)(void *ctx, size_t done, size_t total);
  void *progress_ctx;
  int absolute_sigma; /* the covariance is (J^T W J)^-1 with the sigmas taken as the residuals'
                         standard deviations (scipy's absolute_sigma=True); 0: scaled by chi2/dof,
                         the sigmas are relative (default). Without sigma, W = 1. */
} sf_fit_opts;

void sf_fit_opts_default(sf_fit_opts *o, const sf_law *law);

typedef struct sf_fit_result {
  size_t n;           /* points (rows with weight > 0) */
  size_t np, nfree;   /* parameters, of which free (not fixed) */
  double theta[SF_LAW_MAXPAR];  /* internal parameters at the optimum */
  double params[SF_LAW_MAXPAR]; /* natural parameters */
  double stderr_[SF_LAW_MAXPAR]; /* natural; 0 for fixed, NaN where not identifiable */
  double cov[SF_LAW_MAXPAR * SF_LAW_MAXPAR]; /* natural, np x np row-major, (J^T W J)^-1 scaled by chi2/dof
                                                unless opts.absolute_sigma (NaN: singular) */
  double objective;   /* the minimised objective (summed) */
  double rss;         /* sum w r^2 at the optimum (fitted space, not divided by sigma) */
  double chi2, dof;   /* sum w (r/s)^2 with s the residual's sigma (= rss without sigma); n - nfree */
  double rmse;        /* sqrt(rss / n): unweighted, in the fitted space */
  double aic, bic;    /* n log(chi2/n) + 2k, n log(chi2/n) + k log n, k = nfree (Gaussian residuals
                         with a common scale fitted; without sigma chi2 = rss) */
  double aicc;        /* aic + 2k(k+1)/(n-k-1), the small-sample AIC (sf_fit_aicc); NaN when n <= k+1 */
  double rcond;       /* reciprocal condition number of the residual Jacobian (internal params) */
  size_t nbeyond;     /* huber: points whose |residual| exceeds delta at the optimum (0 for l2) */
  int converged;      /* the best start met the convergence test */
  size_t nstarts;      /* distinct starts run: rows of the grid that differ only in fixed parameters run once */
  size_t nconverged, best_basin; /* of those distinct starts */
  size_t best_start;   /* the winner's row in the caller's starts (its first row if repeated) */
  size_t nabandoned;  /* starts given up early, heading for a worse basin (opts.abandon) */
  size_t iterations;  /* total over all starts */
  size_t evaluations; /* objective evaluations, total over all starts */
  double seconds;     /* wall time of sf_fit_run */
} sf_fit_result;

typedef struct sf_fit_workspace sf_fit_workspace;

/* Workspace for fits of law on up to nmax points with the given options (copied). NULL on
 * failure (message set): bad options (fix/bound on a parameter, bound lo >= hi, ...). */
sf_fit_workspace *sf_fit_alloc(const sf_law *law, size_t nmax, const sf_fit_opts *opts);
void sf_fit_free(sf_fit_workspace *w);

/* Checks data against the law and the options: at least nfree + 1 points, finite values, x > 0
 * where the law takes logs, y > 0 in log space, weights >= 0, sigma finite and > 0 (where given
 * and the weight is > 0). SF_EINPUT naming the row. */
int sf_fit_check(const sf_fit_workspace *w, const sf_law_data *d, const double *y, const double *sigma,
                 const double *weights);

/* Fits from nstarts starting points (row-major, internal parameters, np per row; fixed
 * parameters' columns are ignored, and rows that start the optimiser from the same point run once). sigma (d->n standard deviations of y, in y's units) may be
 * NULL (unweighted), weights too (all 1). SF_ENUMERIC when no start gives a finite objective; a
 * best start that did not converge is reported in res->converged. */
int sf_fit_run(sf_fit_workspace *w, const sf_law_data *d, const double *y, const double *sigma,
               const double *weights, const double *starts, size_t nstarts, sf_fit_result *res);

/* Natural parameters of K bootstrap refits: resample the points with replacement, each with its
 * sigma (resample k draws from its own RNG stream seeded by (seed, k), so results do not depend
 * on threads) and run the full multi-start on each. samples is K x np row-major; a resample whose fit fails is
 * a row of NaN, counted in *nfailed. objectives (K, may be NULL) receives each best objective.
 * Threads work on different resamples; each resample's multi-start runs serially in one. */
int sf_fit_bootstrap(sf_fit_workspace *w, const sf_law_data *d, const double *y, const double *sigma,
                     const double *weights, const double *starts, size_t nstarts, size_t K, unsigned long long seed,
                     double *samples, double *objectives, size_t *nfailed);

/* How often each of n points is drawn in resample k of a bootstrap with this seed (count[n]):
 * what sf_fit_bootstrap fits, exposed so that a resample can be checked or reproduced. */
void sf_fit_resample_counts(size_t n, unsigned long long seed, size_t k, size_t *count);

/* Percentile interval [lo, hi] at level (0.95) of column j of K x np samples, ignoring NaN rows.
 * SF_ENUMERIC if fewer than 2 finite values. */
int sf_fit_percentile(const double *samples, size_t K, size_t np, size_t j, double level, double *lo, double *hi);

/* The points of y above f: residuals in the chosen space for a set of natural parameters
 * (used for held-out scoring). r[i] for i < d->n. SF_ENUMERIC if the law cannot be evaluated. */
int sf_fit_residuals(const sf_law *law, const sf_law_data *d, const double *y, sf_space space,
                     const double *params, double *r);

/* Information criteria of a least-squares fit with a Gaussian scale profiled out: n points,
 * chi2 the (weighted) sum of squared residuals (the rss without sigma), k free parameters:
 * aic = n log(chi2/n) + 2k, bic = n log(chi2/n) + k log n. One formula for every fit and every
 * comparison (sf_fit_run, turn, sf_fit_compare), so that their numbers can be set side by side. */
void sf_fit_criteria(size_t n, double chi2, size_t k, double *aic, double *bic);

/* The small-sample AIC (Hurvich & Tsai 1989; Burnham & Anderson 2002, who advise it whenever
 * n/k < 40, i.e. for every sweep of tens of runs): aic + 2k(k+1)/(n-k-1), the same likelihood with
 * a penalty that grows without bound as n approaches k + 1. NaN where it is undefined (n <= k + 1,
 * the penalty's limit is +inf) or aic is not finite. Added 2026 (aicc branch, session 12). */
double sf_fit_aicc(size_t n, size_t k, double aic);

/* Compares m values of one criterion (AICc, AIC or BIC; NaN for a model that could not be fitted):
 * delta[i] = ic[i] - min (NaN where ic[i] is not finite), weight[i] = exp(-delta[i]/2) over
 * their sum (Akaike weights; 0 where ic[i] is not finite); either output may be NULL. Returns the
 * index of the smallest, the first on ties, or -1 when none is finite. */
int sf_fit_ic_compare(const double *ic, size_t m, double *delta, double *weight);

/* ---- the whole pipeline on a table: sf_fit_table ----
 *
 * What `scalefit fit` and a report's [fit] section both do, in one call, so that they cannot
 * drift apart: pick the columns, select the rows (where, complete values), hold out the largest
 * runs, build the starts, fit, bootstrap, score the held-out runs and judge whether the result
 * can be trusted. The trust warnings come back as data (sf_fit_warning); the caller prints them.
 *
 *   const sf_law *law; sf_law *owned;
 *   sf_fit_law_for_table("chinchilla", table, &law, &owned);
 *   sf_fit_request rq;  sf_fit_request_init(&rq, law);  rq.bootstrap = 200;
 *   sf_fit_table_result r;
 *   if (sf_fit_table(table, &rq, &r) == SF_OK) ... r.fit.params, r.warn[k].text ...
 *   sf_fit_table_result_free(&r);  sf_law_free(owned);
 *
 * Rows, in table order: a row failing rq.where is left out (n_where); a row without a finite
 * value in every column the fit needs (the law's inputs and output, and with a hold-out the
 * column the runs are ranked by: C, else the first input) is skipped (n_skipped). A kept row
 * whose input is <= 0 for a law that takes logs, or a fitted row whose output is <= 0 with
 * residuals in log space, is an error naming the run (SF_EINPUT), not silently dropped; so is a
 * fitted row whose sigma is missing, not finite or <= 0 (held-out runs are scored unweighted and
 * need none), where rq.where can leave such runs out. With sigma and huber loss the delta must
 * be given (in units of sigma: the law's default is in the residual's own units). The
 * hold-out keeps the top budgets by C (else the first input) out of the fit, as many as come
 * closest to holdout * n runs (sf_fit_holdout_pick), or the runs above holdout_above; they are
 * scored with the fitted parameters. Like every call
 * here that reaches GSL, it expects the program to have called gsl_set_error_handler_off(). */

/* A law by catalogue name or as a formula over t's columns ("loss = E + A*C^-alpha"): *law is
 * the catalogue's entry, or *owned (the caller frees it with sf_law_free). SF_EINPUT for an
 * unknown name (pointing to `scalefit laws`) or a formula that does not parse. */
struct sf_table;
int sf_fit_law_for_table(const char *spec, const struct sf_table *t, const sf_law **law, sf_law **owned);
/* The --holdout FRAC rule, shared with the charts that mark held-out runs: sorts keys[0..m) (the
 * compute of the selected runs) and returns the smallest key held out; runs with a key >= it are
 * held out. Whole budgets go, from the top: a budget is the largest key left and every key within
 * 0.1% below it (an isoFLOP budget's runs differ in C by the rounding of D), and the held-out ones
 * are the top budgets whose run count is closest to FRAC m (ties: the fewer runs), at least one and
 * never every one; INFINITY when none is (every run in one budget, or FRAC 0). sf_fit_holdout_pick
 * also says how many runs (*nheld) and budgets (*nbudget) that holds out, of how many budgets
 * (*nbudgets); any may be NULL. Changed 2026 (holdout branch, session 14): before, the ceil(FRAC m)
 * largest runs and every run tied with them, which took 16 of 34 runs for 0.2 where the top budget
 * had 16; sf_fit_holdout_pick added. */
double sf_fit_holdout_from(double *keys, size_t m, double frac);
double sf_fit_holdout_pick(double *keys, size_t m, double frac, size_t *nheld, size_t *nbudget, size_t *nbudgets);

/* Where parameter j's estimates can pile up under options o: the user's bound, else its
 * transform's own (0 below a positive parameter, (lo, hi) for a logistic one), else -inf/+inf.
 * sf_fit_snap_to_bound(v, ...) is that bound when v lies within 1e-6 of the span of it (an
 * interval's end of 2.8e-63 for a positive E reads 0), else v. */
void sf_fit_param_bounds(const sf_law *law, const sf_fit_opts *o, size_t j, double *lo, double *hi);
double sf_fit_snap_to_bound(double v, double lo, double hi, double value);

/* The standard error's interval of parameter j, value v +- z se (z 1.96 for 95%), taken on the scale on
 * which the parameter is unbounded and mapped back: log(v - lo) for a parameter bounded below (E, A, alpha
 * of Chinchilla, lo 0: v exp(+-z se / v)), log(hi - v) above, logit((v - lo) / (hi - lo)) between two
 * bounds, v itself for none (a formula's parameters). The ends stay within the bounds; the plain
 * v +- z se gave a positive A the interval [-1940.9, 8612.1]. Returns the scale; the ends are NaN
 * for a fixed parameter, a standard error that is not finite or a value on (or beyond) its bound. */
typedef enum { SF_WALD_LINEAR = 0, SF_WALD_LOG, SF_WALD_LOG_UPPER, SF_WALD_LOGIT } sf_wald_scale;
sf_wald_scale sf_fit_wald_interval(const sf_law *law, const sf_fit_opts *o, size_t j, double v, double se, double z,
                                   double *lo, double *hi);
const char *sf_wald_scale_name(sf_wald_scale s); /* "linear", "log", "log(hi - p)", "logit" */
/* "log for E, A, B; linear for alpha, beta": each free parameter's scale, grouped; returns 1 when some
 * interval is not linear (the text then says which), else 0. */
int sf_fit_wald_scales(const sf_law *law, const sf_fit_opts *o, const double *params, const double *se, char *buf,
                       size_t n);

/* The rows of t where expr (a --where, sf_expr_parse logical) holds, selected as sf_fit_table's
 * where selects them: names resolved as --x and --y are (sf_table_resolve: 'params > 1e8' is N), a
 * comparison with a missing value false. *keep gets t->nrows flags (1: kept; the caller frees it),
 * *nout (NULL: not wanted) the count left out. Errors name the option (pre: "--" on a command line,
 * "" elsewhere) and data (the file, for messages): a bad expression, an unknown column with its
 * near names, a text field (with text_hint, the advice; NULL: select its runs in a file of their
 * own). Added 2026 (turn2 branch, session 15), additive: the selection fit,
 * turn and plot share. */
int sf_where_rows(const struct sf_table *t, const char *expr, const char *pre, const char *data, const char *text_hint,
                  unsigned char **keep, size_t *nout);

typedef struct sf_fit_request {
  const sf_law *law;
  const char *x;            /* input columns, separated by ',' or spaces; NULL: the law's (formulas: must be NULL) */
  const char *y;            /* output column; NULL: the law's */
  const char *sigma;        /* column of per-run standard deviations of the output, in its units
                               (e.g. the std of the loss over seeds); NULL: unweighted */
  int absolute_sigma;       /* with sigma: sf_fit_opts.absolute_sigma (not without one) */
  int loss;                 /* -1: the law's, else an sf_loss */
  int space;                /* -1: the law's, else an sf_space */
  double delta;             /* Huber threshold; NaN: the default */
  const char *where;        /* row selection (sf_expr_parse logical); NULL: every row */
  const unsigned char *rows; /* t->nrows flags: only rows with rows[r] != 0 are considered, before
                               where (the others are not counted anywhere); NULL: every row. What
                               sf_fit_by fits each group with: a group of a text field is no where.
                               Added 2026 (byfit branch, session 12), additive. */
  double holdout;           /* fraction in [0, 1) of the largest runs held out; 0: none */
  double holdout_above;     /* or: runs above this key value held out; NaN: none (not both) */
  size_t nfix;              /* parameters pinned: fix_name[k] = fix_value[k] (natural) */
  const char *const *fix_name;
  const double *fix_value;
  size_t nbound;            /* parameters bounded: bound_lo[k] < bound_name[k] < bound_hi[k] */
  const char *const *bound_name;
  const double *bound_lo, *bound_hi;
  const double *starts;     /* nstarts rows of law->np natural values; NULL: the law's default grid */
  size_t nstarts;
  size_t random_starts;     /* with starts NULL and > 0: this many uniform in the default grid's box
                               (internal parameters), drawn from seed */
  size_t bootstrap;         /* resamples, each with the full multi-start; 0: none */
  unsigned long long seed;  /* bootstrap and random starts (default 1) */
  double level;             /* bootstrap interval level (default 0.95) */
  int threads;              /* 0: OpenMP's default */
  const char *data_name;    /* the data in messages (NULL: the table's origin) */
  const char *opt_prefix;   /* how messages name the request's fields as options: "--" gives
                               "--where: ...", "" (default) gives "where: ..." */
  void (*progress)(void *ctx, size_t done, size_t total); /* the bootstrap's (sf_fit_opts); NULL: none */
  void *progress_ctx;
} sf_fit_request;

/* Defaults: everything the law's, no selection, no hold-out, the default grid, no bootstrap,
 * seed 1, level 0.95. */
void sf_fit_request_init(sf_fit_request *rq, const sf_law *law);

typedef enum sf_fit_warnkind {
  SF_FITWARN_HOLDOUT_UNSCORED, /* held-out runs cannot be evaluated with the fitted law */
  SF_FITWARN_HOLDOUT_EMPTY,    /* a hold-out was asked for but no run is above the threshold */
  SF_FITWARN_NOT_CONVERGED,    /* the best start did not meet the convergence test */
  SF_FITWARN_ILL_CONDITIONED,  /* rcond < 1e-8 */
  SF_FITWARN_NOT_FINITE,       /* a free parameter is not finite */
  SF_FITWARN_NO_STDERR,        /* its standard error is undefined */
  SF_FITWARN_POOR_STDERR,      /* its standard error exceeds its magnitude */
  SF_FITWARN_CI_UNDEFINED,     /* its bootstrap interval is undefined */
  SF_FITWARN_CI_AT_BOUND,      /* its bootstrap interval touches the parameter's bound */
  SF_FITWARN_CI_WIDE,          /* a positive parameter's interval spans more than 6 decades */
  SF_FITWARN_BOOT_FAILED,      /* some bootstrap refits failed and were left out */
  SF_FITWARN_HUBER_STDERR,     /* huber: most residuals beyond delta, the standard errors are least squares' */
  SF_FITWARN_AT_BOUND,         /* the estimate sits on its --bound (or a logistic law range's end) */
  SF_FITWARN_CHI2,             /* absolute sigma: chi2/dof is improbable (p < 0.001 either way) */
  SF_FITWARN_DEGENERATE        /* the law says its optimum is a degenerate case (sf_law.degenerate) */
} sf_fit_warnkind;

typedef struct sf_fit_warning {
  sf_fit_warnkind kind;
  int param;                /* the parameter it is about (law order), or -1 */
  char text[256];           /* one line, git-style: "parameter 'E' is poorly identified: ..." */
} sf_fit_warning;

#define SF_FIT_MAXWARN (7 + 2 * SF_LAW_MAXPAR)
#define SF_FIT_MAXRANGE 8

/* Which step a failed sf_fit_table stopped at, so that a caller can point at what asked for it. */
typedef enum sf_fit_stage {
  SF_FITSTAGE_SETUP = 0,    /* columns, options, pinned and bounded parameters, starts */
  SF_FITSTAGE_DATA,         /* the rows: where, values a law cannot take, too few runs */
  SF_FITSTAGE_FIT,          /* the multi-start fit itself (numerical failure) */
  SF_FITSTAGE_BOOTSTRAP
} sf_fit_stage;

/* One run a fit skipped for a missing value (sf_fit_table_result.skipped). Added 2026 (skipinfo
 * branch, session 15), additive. */
typedef struct sf_fit_skip {
  size_t row;        /* its 1-based data row */
  char *run;         /* its run name; "" when the table has none */
  unsigned missing;  /* bit k: no value of skip_col[k] of the result */
} sf_fit_skip;

typedef struct sf_fit_table_result {
  const sf_law *law;
  char *xname[SF_LAW_MAXVAR]; /* the input columns (law->nvar), by the table's names (--x c: "C") */
  char *yname;
  char *sigma_name;           /* the sigma column (the table's name); NULL: unweighted */
  sf_fit_opts opts;           /* as used (loss, space, delta, pinned, bounded, absolute_sigma) */
  sf_fit_result fit;
  sf_fit_stage stage;         /* on failure: where it stopped */
  const char *opt;            /* on a failure about one field of the request: its name ("law", "x", "y",
                                 "sigma", "absolute_sigma", "loss", "space", "delta", "fix", "bound", "holdout",
                                 "level", "where"): in setup, or a run's value of the x, y or sigma column
                                 (the law's own column: "law"), or too few runs left by the hold-out or
                                 where; "runs" for too few runs that neither left out; NULL otherwise.
                                 The data-stage cases added 2026 (wording branch, session 13) */
  size_t n_rows;              /* rows fitted plus held out */
  size_t n_where, n_skipped;  /* rows left out by where, rows without every value needed */
  char *skip_note;            /* with n_skipped: which, by column, "no value of U: 'r7' (row 7), row 12
                                 and 3 more; no value of loss: ..." (at most 5 named per column); else
                                 NULL. Added 2026 (holdout branch, session 14), additive */
  unsigned char *role;        /* per table row: 0 not used, 1 fitted, 2 held out */
  /* hold-out */
  const char *holdout_by;     /* "C" or xname[0]: the column the runs were ranked by */
  double holdout, holdout_above; /* as requested (holdout NaN when 0) */
  size_t n_holdout;
  size_t holdout_budgets, budgets; /* with holdout: the budgets held out, of how many (sf_fit_holdout_pick);
                                      0 otherwise. Added 2026 (holdout branch, session 14), additive */
  size_t holdout_of;          /* with holdout: the runs it was a fraction of (holdout * holdout_of runs asked) */
  double holdout_rmse, holdout_maxabs, holdout_mean_rel; /* NaN when they cannot be scored */
  /* bootstrap */
  size_t K, nfailed;
  double *samples;            /* K x np natural parameters (rows of NaN for failed refits) */
  double ci_lo[SF_LAW_MAXPAR], ci_hi[SF_LAW_MAXPAR]; /* level percentile intervals (NaN: undefined) */
  double level, boot_seconds;
  unsigned long long seed;
  /* [min, max] over the fitted runs of the inputs, the output, and N, D, C where present */
  size_t nrange;
  char *range_name[SF_FIT_MAXRANGE];
  double range_lo[SF_FIT_MAXRANGE], range_hi[SF_FIT_MAXRANGE];
  /* trust: warnings in the order found, and the same joined one per line ("" for none) */
  size_t nwarn;
  sf_fit_warning warn[SF_FIT_MAXWARN];
  char *warnings;
  /* the n_skipped runs skipped for a missing value, every one in row order (skip_note names only the
   * first few): for the saved fit and report.json. skip_col: the columns the fit needs, in the law's
   * order (inputs, output, the hold-out's key), each once. Added 2026 (skipinfo branch, session 15),
   * additive */
  sf_fit_skip *skipped;
  size_t nskip_col;
  char *skip_col[SF_LAW_MAXVAR + 2];
} sf_fit_table_result;

/* Runs the request on t (see above). Returns SF_OK, or the failure's status with the message
 * naming the data, the run or the option (with rq->opt_prefix) and res->stage saying which step
 * failed: SF_EUSAGE for a request that does not fit the law (input count, a parameter it does not
 * have, a bad option value), SF_EINPUT for data (missing column, unknown where column, a value
 * the law cannot take, too few runs), SF_ENUMERIC when no start fits. res is always
 * initialised; free it with sf_fit_table_result_free either way. Prints nothing. */
int sf_fit_table(const struct sf_table *t, const sf_fit_request *rq, sf_fit_table_result *res);
void sf_fit_table_result_free(sf_fit_table_result *res);

/* Whether a fit sf_fit_table returned diverged: a free parameter ran off to infinity or NaN (a
 * step between two budgets: A = inf with alpha in the thousands), so the result forecasts
 * nothing and cannot be saved as a usable fit. Returns SF_OK when every free parameter is
 * finite, else SF_ENUMERIC with a message naming the law, the data (rq->data_name), each such
 * parameter and what to do, the options named as rq->opt_prefix says ("--fix" for the CLI, a
 * report's "fix" key). `fit` and a report's [fit] stop on it; a comparison (--law A,B) leaves
 * such a law unranked instead (sf_fit_degenerate). Added 2026 (diverge branch, session 14). */
int sf_fit_diverged(const sf_fit_table_result *res, const sf_fit_request *rq);

/* ---- several laws on the same runs: sf_fit_compare ----
 *
 * Fits each of m laws with sf_fit_table from one request (rq->law is ignored; everything else,
 * where, hold-out, sigma, loss, space, starts' kind, applies to every law) and ranks them by AIC
 * and BIC. Their criteria are comparable only between fits of the same runs, the same output, in
 * the same residual space with the same likelihood, so the call refuses (SF_EUSAGE, naming the
 * laws and their defaults) laws whose inputs, output, residual space or loss would differ: give
 * rq->space (a common space) or pick laws that agree. Huber loss is refused: its optimum is not a
 * maximum of the Gaussian likelihood that the criteria count. The Akaike weights and the "best"
 * law are by AICc (the sample sizes of scaling sweeps are far below Burnham & Anderson's n/k < 40,
 * under which plain AIC favours the law with more parameters); a law whose AICc is undefined
 * (n = k + 1: its penalty's limit is +inf) has weight 0, as that limit gives. A degenerate fit
 * (sf_fit_degenerate: its criteria those of a limit, not an optimum, and k not the parameters the
 * runs determine) is not ranked: its criteria are kept, its deltas and weight are NaN, it is never
 * a best, and the weights are over the other laws. Refused as well are the per-law requests a
 * comparison cannot share: fixed or bounded parameters, a caller's starts, a bootstrap.
 * With the same inputs, output and selection the runs picked are the same (checked).
 *
 * Returns SF_OK when every law fitted; SF_ENUMERIC when some could not (each such law has
 * rc[i] = SF_ENUMERIC and its message in error[i], the others are ranked without it; the message
 * names the failed laws); any other status when the request or the data are refused, with
 * nothing compared. res is always initialised; free it with sf_fit_compare_result_free. */
#define SF_FIT_MAXCOMPARE 16 /* laws in one comparison */

typedef struct sf_fit_compare_result {
  size_t m;
  sf_fit_table_result *fit;    /* m: each law's fit (its table result even where it failed) */
  int *rc;                     /* m: SF_OK, or SF_ENUMERIC for a law that could not be fitted */
  char **error;                /* m: that law's message, NULL where it fitted */
  double *delta_aic, *delta_bic; /* m: against the best ranked law (NaN for a failed or degenerate one) */
  double *delta_aicc;          /* m: against the smallest ranked AICc (NaN for a failed or degenerate law
                                  or an undefined AICc) */
  double *weight;              /* m: Akaike weights exp(-dAICc/2)/sum over the ranked laws with an AICc
                                  (0 for a failed law or an undefined AICc, NaN for a degenerate law) */
  int best_aic, best_bic;      /* indices, -1 when no law fitted or every one that did is degenerate */
  int best_aicc;               /* index, -1 when no ranked law has an AICc */
  size_t nfailed;
  size_t ndegenerate;          /* laws that fitted but were left out of the ranking as degenerate */
  sf_loss loss;                /* the common loss and space, as fitted */
  sf_space space;
} sf_fit_compare_result;

/* Why the fit's criteria describe a limit rather than an optimum, or NULL: a free parameter that
 * is not finite, the law's own verdict on its optimum (sf_law.degenerate: bnsl's break beyond the
 * runs, a step, a kink), a best start that did not converge; the first of these warnings, in
 * that order. sf_fit_compare does not rank such a fit. */
const char *sf_fit_degenerate(const sf_fit_table_result *f);

int sf_fit_compare(const struct sf_table *t, const sf_fit_request *rq, const sf_law *const *laws, size_t m,
                   sf_fit_compare_result *res);
void sf_fit_compare_result_free(sf_fit_compare_result *res);

/* ---- one law per group of runs: sf_fit_by ----
 *
 * Fits rq->law separately to the runs of each value of column `by` (a text field, family, source,
 * notes or run, named as a CSV header would name it, or a numeric column), and once to all those
 * runs together (pooled), then tests whether the groups share the law. Added 2026 (byfit branch,
 * session 12), additive.
 *
 * Runs are selected as sf_fit_table selects them (where, complete values, the hold-out); a
 * selected run without a value of `by` ("" or NaN) belongs to no group and is left out of every
 * fit (n_nolabel). Groups are sorted: text by bytes (strcmp), numbers ascending. A group with no
 * more fitted runs than the law has free parameters cannot be fitted: it is skipped (skip_label,
 * skip_n) and its runs are left out of the pooled fit too, so that the pooled and separate fits
 * see the same runs. A hold-out is decided once, on the pooled selection (--holdout FRAC: the
 * largest runs of all groups), and each group's held-out runs are scored with its own fit.
 *
 * The test (l2 only; with huber, test is 0 and no_test says why): pooled (k free parameters)
 * against separate fits (k per group, kk = k G), on the same n runs, by AIC, AICc and BIC
 * (sf_fit_criteria and sf_fit_aicc with the summed chi-square; weights by sf_fit_ic_compare over
 * AICc, as sf_fit_compare weighs: the separate model's k G parameters are many for n) and by the F-test
 * of the extra sum of squares, F = ((chi2_pooled - chi2_sep)/(kk - k)) / (chi2_sep/(n - kk)) on
 * (kk - k, n - kk) degrees of freedom (exact for laws linear in their parameters, asymptotic
 * otherwise). With exactly two groups, z[j] = (p1 - p2)/sqrt(se1^2 + se2^2) per free parameter
 * (NaN where a standard error is undefined; not computed, z_ok 0, when a huber fit warned that its
 * standard errors are rough). Refuses (SF_EINPUT) an unknown column, more than SF_FIT_MAXGROUP
 * groups, fewer than 2 groups that can be fitted. res is always initialised; free it with
 * sf_fit_group_result_free either way. */
#define SF_FIT_MAXGROUP 64

typedef struct sf_fit_group_result {
  char *by;                     /* the column as the table names it ("family", "vocab") */
  int by_text;                  /* a text field rather than a numeric column */
  size_t ngroup;
  char **label;                 /* ngroup, sorted */
  sf_fit_table_result *fit;     /* ngroup */
  sf_fit_table_result pooled;   /* the runs of every fitted group */
  size_t nskip;                 /* groups too small to fit */
  char **skip_label;
  size_t *skip_n;               /* their fitted runs */
  size_t n_nolabel;             /* selected runs without a value of by, left out */
  char *nolabel_note;           /* with n_nolabel: which, "'r3' (row 3), row 9 and 2 more" (at most 5
                                   named); else NULL. Added 2026 (holdout branch, session 14), additive */
  double holdout_cut;           /* runs with key >= this are held out (INFINITY: none) */
  double holdout_rmse_sep;      /* every held-out run scored by its group's fit (NaN: none or unscored) */
  int test;                     /* 1: the test below was computed */
  char *no_test;                /* else why not */
  size_t n, k_pooled, k_sep;
  double chi2_pooled, chi2_sep;
  double aic[2], aicc[2], bic[2];  /* [0] pooled, [1] separate; aicc NaN when n <= k+1 */
  double delta_aic[2], delta_aicc[2], delta_bic[2];
  double weight[2];               /* Akaike weights by AICc, as the comparison of laws weighs */
  double F, df1, df2, p;
  int z_ok;                     /* two groups and z computed */
  char *no_z;                   /* why not, when two groups */
  double z[SF_LAW_MAXPAR], z_p[SF_LAW_MAXPAR]; /* two-sided normal p of z */
} sf_fit_group_result;

int sf_fit_by(const struct sf_table *t, const sf_fit_request *rq, const char *by, sf_fit_group_result *res);

/* The held-out runs as `fit` and a report say them, into buf: "8 runs", or where a --holdout FRAC
 * held out other than FRAC n runs (whole budgets), "7 of 34 runs (the top 2 budgets of C; 0.2
 * asked for 6.8)", "3 of 34 runs (the top budget of C; ...)", "8 of 34 runs (the 8 largest by C; ...)". Returns buf. Added 2026 (holdout branch, session 14). */
const char *sf_fit_holdout_text(const sf_fit_table_result *res, char *buf, size_t n);
void sf_fit_group_result_free(sf_fit_group_result *res);

#ifdef __cplusplus
}
#endif
#endif
