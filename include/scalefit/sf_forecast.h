/* sf_forecast.h: what a fitted law predicts, with its uncertainty, and what it costs.
 *
 * The forecast stage sits after the fitter (store -> fit -> forecast -> plot/report). Its input
 * is a fitted law: a saved fit file (`scalefit fit -o FIT.json`, format in notes/FITFILE.md) or a
 * published law from datasets/laws.csv, both loaded into an sf_fitfile. From it:
 *
 *   sf_forecast_eval     the law at one point, with its gradient w.r.t. the natural parameters
 *   sf_forecast_band     any derived quantity (a prediction, an optimum, a target compute) with a
 *                        band: percentiles over the bootstrap refits when the fit has them, else
 *                        the delta method with the fit's covariance
 *   sf_optimal           compute-optimal N and D under C = 6ND (or with the attention term)
 *   sf_target            the compute at which the (optimally allocated) law reaches a value
 *   sf_next              the run(s) to train next so that a forecast's band narrows most
 *   sf_turn_*            growth laws against a sigmoid for a capability metric ("turn"), and the
 *                        bands of its curves from refits on resampled runs
 *   sf_accel_*           the accelerator table, for costs (arithmetic in sf_cost.h)
 *
 * Everything here except the two loaders (sf_fitfile_read, sf_fitfile_published) and
 * sf_accel_load is free of I/O and never prints; warnings are returned as data.
 */
#ifndef SF_FORECAST_H
#define SF_FORECAST_H

#include <stddef.h>

#include <scalefit/sf_law.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- fitted laws ---- */

#define SF_FITFILE_VERSION 1
#define SF_FITFILE_MAXRANGE 8

/* What `optimal` can do with a law (decided from its variables and output when loaded). */
typedef enum sf_allockind {
  SF_ALLOC_NONE = 0, /* no allocation: a law of one variable that is not N_opt / D_opt */
  SF_ALLOC_ND,       /* a law of N and D: minimise it along C = flops(N, D) */
  SF_ALLOC_DOPT,     /* a published D_opt(C) law: D from the law, N from the budget */
  SF_ALLOC_NOPT      /* a published N_opt(C) law: N from the law, D from the budget */
} sf_allockind;

typedef struct sf_fitrange {
  char *name;
  double lo, hi;
} sf_fitrange;

typedef struct sf_fitfile {
  const sf_law *law;  /* catalogue law, or `owned` for a user formula */
  sf_law *owned;
  char *law_name;     /* "chinchilla", or "formula" (what to show a reader: sf_law_label(law)) */
  char *origin;       /* file path, or "laws.csv:ID" */
  char *output;       /* what the law predicts: the fit's y column ("loss", "mmlu") or "D_opt" */
  char *sigma;        /* the fit's sigma column (a weighted fit); NULL: unweighted, or an older file */
  int absolute_sigma; /* its covariance takes the sigmas as exact (not scaled by chi2/dof) */
  size_t nvar;
  char *vars[SF_LAW_MAXVAR]; /* data columns bound to the law's variables, in law order */
  int var_N, var_D, var_C;   /* index in vars of N, D, C, or -1 */
  sf_allockind alloc;
  size_t np;                          /* = law->np */
  double params[SF_LAW_MAXPAR];       /* natural, law order */
  int fixed[SF_LAW_MAXPAR];
  int has_cov;
  double cov[SF_LAW_MAXPAR * SF_LAW_MAXPAR]; /* natural, law order; NaN entries allowed */
  size_t K;                           /* usable bootstrap rows (rows with a NaN dropped) */
  size_t bootstrap_failed;            /* rows dropped or reported failed */
  double *samples;                    /* K x np, natural, law order */
  double ci_level;                    /* 0.95 unless the file says otherwise */
  size_t nrange;
  sf_fitrange range[SF_FITFILE_MAXRANGE]; /* data ranges per column ("N", "D", "C", "loss") */
  int fraction; /* the output is a fraction in [0, 1] (an accuracy): the sigmoid law, or an output other
                   than loss whose fitted values all lie in [0, 1]; its delta-method band is taken on
                   the logit (added session 11, forecast branch) */
  /* Added 2026 (nextrun branch, session 13), for sf_next: how the fit was made */
  sf_space space;   /* residual space: the file's "space", else the law's default */
  sf_loss loss;     /* the file's "loss", else the law's default */
  double resid_var; /* the residual variance the covariance was scaled by: rss / (n_points - n_free) for an
                       unweighted fit; for a weighted one the factor chi2/dof on each run's sigma^2 (in the
                       residual space), 1 with absolute_sigma. NaN when the file does not say (hand-written,
                       published laws) */
  /* Added 2026 (skipinfo branch, session 15): the runs the fit left out, data.n_where and data.n_skipped
   * (for a missing value; data.skipped names them); 0 in files from before, which did not say */
  size_t n_where, n_skipped;
} sf_fitfile;

/* Reads a saved fit. SF_EINPUT naming the file and what is wrong: not JSON, format is not
 * "scalefit-fit", a version other than SF_FITFILE_VERSION, an unknown law (listing the
 * catalogue), a formula that does not parse, a missing or non-numeric parameter, a covariance or
 * bootstrap matrix of the wrong shape. */
int sf_fitfile_read(const char *path, sf_fitfile **out);
/* The same from a parsed JSON value; origin names it in messages. */
struct sf_jval;
int sf_fitfile_from_json(const struct sf_jval *root, const char *origin, sf_fitfile **out);

/* Everything a saved fit holds: the one writer of the format (sf_fitfile_to_json) takes it, so that
 * `scalefit fit -o` and reports cannot drift apart. Pointers are borrowed. */
#define SF_FITRECORD_MAXRANGE 8
typedef struct sf_fitrecord {
  const sf_law *law;            /* a catalogue law, or a formula law (name "formula", its text as formula) */
  const char *const *xname;     /* law->nvar input columns */
  const char *yname;
  const char *sigma;            /* the column of per-run standard deviations; NULL: unweighted */
  const struct sf_fit_opts *opts;
  const struct sf_fit_result *res;
  size_t K, nfailed;            /* bootstrap resamples (0: none) and failed refits */
  const double *samples;        /* K x np natural parameters */
  const double *ci_lo, *ci_hi;  /* np each, when K > 0 */
  double ci_level;
  long long seed;
  double boot_seconds;
  const char *warnings;         /* one per line, "" or NULL for none */
  const char *data_file, *table, *where;
  size_t n_rows;                /* rows fitted plus held out */
  size_t nrange;                /* [min, max] over the fitted runs, per column */
  const char *range_name[SF_FITRECORD_MAXRANGE];
  double range_lo[SF_FITRECORD_MAXRANGE], range_hi[SF_FITRECORD_MAXRANGE];
  size_t n_holdout;             /* held-out runs (0: none) */
  const char *holdout_by;       /* column the largest runs were chosen by */
  double holdout_fraction, holdout_threshold; /* one of them, the other NaN */
  size_t holdout_budgets;       /* with a fraction: the top budgets it held out (added 2026, holdout branch) */
  double holdout_rmse, holdout_maxabs, holdout_mean_rel;
  /* the runs left out: by where (a count), for a missing value (every one: row, run, the needed columns
   * it lacks, bits of skip_col). Added 2026 (skipinfo branch, session 15), additive */
  size_t n_where, n_skipped;
  const struct sf_fit_skip *skipped;
  size_t nskip_col;
  char *const *skip_col;
} sf_fitrecord;

/* Fills rec from a fit of sf_fit_table (all but data_file, table and where, which say where the
 * caller's table came from: set them after). rec borrows from fit. */
struct sf_fit_table_result;
void sf_fitrecord_from_fit(sf_fitrecord *rec, const struct sf_fit_table_result *fit);

/* The saved-fit JSON (format scalefit-fit, docs/FIT.md) of rec, malloc'd; NULL when out of memory. */
char *sf_fitfile_to_json(const sf_fitrecord *rec, int pretty);
/* A published law: row `id` of laws_csv (datasets/laws.csv). Catalogue names are taken from its
 * `law` column; `power0` rows there mean y = A*C^alpha with the exponent's own sign, which is the
 * catalogue's power0 (y = A*x^-alpha) with alpha negated. Kaplan's one-variable laws (kaplan_n,
 * kaplan_d, kaplan_c: y = (Xc/X)^alphaX) load as power0 of X with A = Xc^alphaX. The loaded law
 * always takes C in FLOP: a row whose c_unit is PF-day (8.64e19 FLOP) has the unit folded into
 * its prefactor. No covariance, no bootstrap, no data range. SF_EINPUT for an unknown id (listing
 * them), a law missing from the catalogue, a parameter the row does not give (Hoffmann's Table 2
 * exponents have no prefactor), or an unknown c_unit (naming the line). */
int sf_fitfile_published(const char *laws_csv, const char *id, sf_fitfile **out);
void sf_fitfile_free(sf_fitfile *ff); /* NULL-safe */
/* Range of column name in the fit's data; 0 if unknown. */
int sf_fitfile_range(const sf_fitfile *ff, const char *name, double *lo, double *hi);
/* The index in ff->vars of the variable a user's name means: spelled exactly, else but for letter
 * case, else N, D or C under another spelling of the store's header rule (`params` for N). -1 if
 * none. */
int sf_fitfile_var_index(const sf_fitfile *ff, const char *name);
/* The fit's variables as messages name them ("N, D, U"), into buf (cap chars); returns buf. Added 2026
 * (datacon branch, session 13), additive. */
const char *sf_fitfile_vars_text(const sf_fitfile *ff, char *buf, size_t cap);
/* How far outside the fit's data the point lies: the largest, over the named columns with a
 * known range, of log10(v/hi) or log10(lo/v) (0 inside). NaN when no column has a range. */
double sf_fitfile_decades_beyond(const sf_fitfile *ff, const char *const *names, const double *v, size_t n);
/* The same from log10 of the values (a compute 6ND past a double's range still has a finite log):
 * log10v[k] - log10(hi) or log10(lo) - log10v[k]; a NaN or infinite log10v[k] is skipped. */
double sf_fitfile_decades_beyond_log10(const sf_fitfile *ff, const char *const *names, const double *log10v, size_t n);
/* The same for an allocation: N, D and C (optimal, target). */
double sf_fitfile_decades_beyond_ndc(const sf_fitfile *ff, double N, double D, double C);

/* The warning for forecasts far beyond the fit's data, one text for the CLI and the report: far
 * of the points (budgets for SF_FAR_OPTIMAL, points for SF_FAR_PREDICT; a single target for
 * SF_FAR_TARGET, far ignored) lie more than limit decades out, the farthest worst. */
enum { SF_FAR_OPTIMAL, SF_FAR_PREDICT, SF_FAR_TARGET };
void sf_far_warning(char *buf, size_t n, int kind, size_t far, double limit, double worst);

/* How a forecast's figures are displayed, one rule per quantity for the CLI and the report alike
 * (a report must never show a number differently from the command that computes it):
 *   sf_fmt_value  N, D, losses, accelerator-hours, dollars: from 1e4 on 3 significant
 *                 digits with k, M, B, T (174k, 46.9B, 40.0B, 1.00e+22 from 1e15); below, 4
 *                 significant digits (a loss 1.678, 2.150); "inf", "-inf"; NaN "-"
 *   sf_fmt_ratio  tokens per parameter and days: 3 significant digits, whole from 100 on (55.3,
 *                 124, 1.77, 0.00714, 10.0, 1235); NaN "-"
 *   sf_fmt_band   "V [LO, HI]" with either rule, "V" alone when the band is NaN; an end printed as a
 *                 plain decimal (or in e-notation) as V is takes V's decimal places: "2.150 [2.134,
 *                 2.167]", "14.2 [10.0, 18.0]", "124 [75, 231]"; an end with a unit keeps its own
 *   sf_fmt_count  parameters and tokens of a training run (train's lines): below 1e4 a whole
 *                 number (512, 4848; under 1 as sf_fmt_value), from 1e4 on as sf_fmt_value
 * and compute and columns of counts by sf_fmt_compute and sf_fmtcol below. Significant digits are
 * always all shown: trailing zeros are kept (2.150, not 2.15; 40.0k, not 40k) so that a value, its
 * band and a column read at one precision (%g dropped them: "1.94 [1.9, 1.983]"). */
void sf_fmt_value(char *buf, size_t n, double v);
void sf_fmt_count(char *buf, size_t n, double v);
void sf_fmt_ratio(char *buf, size_t n, double v);
/* Compute in FLOP, wherever it is shown: 3 significant digits in e-notation at every size, zeros
 * kept (1.00e+13, 3.16e+21, 1.00e+22: %.3g's "1e+21" stood over "3.16e+21"), NaN "-".
 * sf_fmt_value's k/M/B/T stop at 1e15, so a column of budgets read "10T, 100T, 1e+15": two styles
 * in one column; FLOP budgets are read in e-notation in the field.
 * Added 2026 (skipinfo branch, session 15). */
void sf_fmt_compute(char *buf, size_t n, double v);
/* One style per column of counts and values (N, D, a loss, their bands), by what the column holds:
 *   a value from 1e15 on   every figure in e-notation, 3 significant digits (%.2e: 1.20e+15 and
 *                          1.00e+00 alike), so that "800T" never stands over "1.2e+15" and a band's
 *                          clipped end never reads "4.87e+14 [1.000, inf]"
 *   else one from 1e4 on   every figure at 3 significant digits, k/M/B/T from 1e3 on (7.72k over
 *                          174k, [4.57k, 17.2k]: sf_fmt_value's "7721" stood over "174k"), below
 *                          1e3 plain (1.00, 512)
 *   else                   at one precision down the column as sf_numcol's (4 digits): the largest
 *                          fixes the decimal places (1.119, 0.735, 0.493 where sf_fmt_value gave
 *                          1.119, 0.7354, 0.4928)
 * NaN "-", "inf", "-inf". See every value first (sf_fmtcol_see), then format (sf_fmtcol_fmt); {0} is
 * an empty column.
 * Added 2026 (skipinfo branch, session 15); units from 1e3 and e-notation throughout, session 16. */
typedef struct sf_fmtcol {
  int sci, units;
  double amax, amin; /* largest, smallest nonzero |v| seen below 1e4 (0 if none) */
} sf_fmtcol;
void sf_fmtcol_see(sf_fmtcol *c, double v);
void sf_fmtcol_fmt(const sf_fmtcol *c, char *buf, size_t n, double v);
/* The same for bands ("V [LO, HI]" as sf_fmt_band): see each (value and ends), then format. */
void sf_fmtcol_see_band(sf_fmtcol *c, double v, double lo, double hi);
void sf_fmtcol_band(const sf_fmtcol *c, char *buf, size_t n, double v, double lo, double hi);
void sf_fmt_band(char *buf, size_t n, double v, double lo, double hi, void (*fmt)(char *, size_t, double));
/* v to digits significant digits in %g's notation, trailing zeros kept (2.150, 14.20, 1.00e+22);
 * NaN "-", "inf", "-inf". */
void sf_fmt_sig(char *buf, size_t n, double v, int digits);
/* v in the style of ref as printed: ref a plain decimal, v with as many decimal places; ref in
 * e-notation, v in e-notation with as many mantissa places. Returns 0 (buf untouched) when ref is
 * neither (a unit suffix, "-", "inf") or v is not finite. One style for a value and its standard
 * error and interval (fit's parameter table). */
int sf_fmt_like(char *buf, size_t n, double v, const char *ref);
/* One precision for a column of plain figures (turn's rss and held-out RMSE): every value at the
 * decimal places that give the largest |v| `digits` significant digits (0.1710, 0.4008, 0.0927
 * where %.4g gave 0.171, 0.4008, 0.09273); e-notation with digits - 1 mantissa places throughout
 * when the largest needs it under %g or a nonzero value would keep fewer than 2 significant digits.
 * NaN "-", "inf", "-inf". See every value first (sf_numcol_see), then format (sf_numcol_fmt). */
typedef struct sf_numcol {
  int digits;
  double amax, amin; /* largest |v|, smallest nonzero |v| (0 if none) */
} sf_numcol;
void sf_numcol_init(sf_numcol *c, int digits);
void sf_numcol_see(sf_numcol *c, double v);
void sf_numcol_fmt(const sf_numcol *c, char *buf, size_t n, double v);
/* Tokens per parameter and its band, "V [LO, HI]" (V alone when the band is NaN), every figure by
 * sf_fmt_ratio: 3 significant digits, whole from 100 on (55.3 [29.9, 151], 2.17 [0.0847, 456]). A
 * ratio's band spans decades, so its ends keep their own digits: at the value's places (sf_fmt_band)
 * they read 2.17 [0.08, 456.06], and at one precision down the column the figures of the own sweep
 * (1.6 to 227) all went to e-notation. */
void sf_fmt_ratio_band(char *buf, size_t n, double v, double lo, double hi);
/* A parameter's value as the parameter tables (fit's, the report's) print it, so that its standard
 * error se and interval [lo, hi] (NaN if none) can take its style by sf_fmt_like: %.6g, or %.5e for
 * all of them when one of the four needs e-notation at 6 digits ("9015.54" beside "2.82e+03"). */
void sf_fmt_param_value(char *buf, size_t n, double v, double se, double lo, double hi);
/* "[LO, HI]" in the style of ref (sf_fmt_like), each end %.6g where ref has none. */
void sf_fmt_param_interval(char *buf, size_t n, const char *ref, double lo, double hi);

/* ---- evaluation and bands ---- */

/* The law at natural params, at point x (law->nvar values). grad (law->np, may be NULL)
 * receives df/dparam (natural), by the chain rule through the law's exact internal gradient.
 * SF_ENUMERIC if a parameter lies outside its transform's range or the law is undefined there. */
int sf_forecast_eval(const sf_law *law, const double *params, const double *x, double *f, double *grad);

typedef enum sf_bandkind { SF_BAND_NONE = 0, SF_BAND_BOOTSTRAP, SF_BAND_DELTA } sf_bandkind;

typedef struct sf_band {
  double value, lo, hi; /* lo/hi NaN without a band; +-inf where the quantity is unbounded */
  sf_bandkind kind;
  size_t n_ok;          /* bootstrap rows the quantity could be computed for */
} sf_band;

/* 1 when b is a bootstrap band that leaves out its own value: the fit's point estimate lies outside
 * the percentile interval of the refits' values (a relative slack of 1e-9 for rounding). It happens
 * when the refits land far from the fit, which is not identified by its runs or is a law that does
 * not describe them (a tiny sweep's chinchilla fit: loss 1.37 [1.46, 2.25]); the band then says
 * little about where the figure lies. 0 for a delta band (it is centred on the value) or no band. */
int sf_band_excludes_value(const sf_band *b);
/* The warning predict, optimal, target and the report give when count of the figures they show
 * have such a band; example: one of them as shown ("loss 1.37 [1.46, 2.25]"), or NULL. */
void sf_band_excludes_warning(char *buf, size_t n, size_t count, const char *example);

/* A quantity derived from natural parameters: writes nout values (may be +-inf, e.g. a
 * compute that is never reached) and returns SF_OK, or a status where it cannot be computed. */
typedef int (*sf_derived_fn)(const double *params, void *ctx, double *out);

/* Bands for the nout values of fn: the value at ff->params; with a bootstrap (K >= 2), the
 * ff->ci_level percentile interval over the samples fn succeeds on; else, with a covariance, the
 * delta method with sd^2 = g' Cov g, g the central-difference gradient w.r.t. free natural
 * parameters: value * exp(-+z*sd/value) for a positive value (the band of its logarithm, never
 * crossing zero), value -+ z*sd otherwise. nout <= 8. Fails only if fn fails at the point
 * estimate. */
int sf_forecast_band(const sf_fitfile *ff, sf_derived_fn fn, void *ctx, size_t nout, sf_band *out);

/* The law's prediction at x with its band (delta method with the exact gradient when there is
 * no bootstrap: on the logit of a prediction in (0, 1) when ff->fraction, so that an accuracy's band
 * stays inside (0, 1); otherwise on the logarithm of a positive prediction as in sf_forecast_band). */
int sf_forecast_predict(const sf_fitfile *ff, const double *x, sf_band *out);

/* Two-stage forecast (Llama 3's method): stage 1 maps x (its variables, e.g. C) to an
 * intermediate (loss or NLL), stage 2, a law of one variable, maps that to the final metric
 * (accuracy). mid receives stage 1's value and band, out the composed value and band. Bands: with
 * bootstraps in both fits, percentiles over paired samples (row k of each; min(K1, K2) pairs);
 * otherwise the delta method with the stages independent, var = g2'S2 g2 + (df2/dmid)^2 g1'S1 g1,
 * each figure banded as sf_forecast_predict bands it (mid, a loss, on its logarithm; the metric on
 * its logit when s2->fraction, else as mid).
 * SF_EUSAGE if stage 2 is not a law of one variable. */
int sf_forecast_twostage(const sf_fitfile *s1, const sf_fitfile *s2, const double *x, sf_band *mid, sf_band *out);

/* Percentile (type 7, linear between order statistics) of v[0..n) at q in [0, 1]; v is sorted
 * in place. +-inf values sort to the ends. NaN if n == 0. */
double sf_percentile_sorted(double *v, size_t n, double q);

/* ---- compute-optimal allocation ---- */

typedef struct sf_alloc_opts {
  /* Attention term of sf_flops_train: 0 layers = plain C = 6ND. The shape is held fixed while
   * N varies (a stated simplification: per-token attention FLOPs 6*n_layer*n_ctx*d_model). */
  double n_layer, n_ctx, d_model;
  int numeric; /* force the 1-D numeric minimisation even where a closed form exists */
} sf_alloc_opts;

typedef struct sf_optimum {
  double C, N, D, tokens_per_param;
  double loss; /* the law at (N, D); NaN for published N_opt / D_opt laws */
} sf_optimum;

/* Chinchilla's closed form (no attention term): with G = (alpha A / (beta B))^(1/(alpha+beta)),
 * N = G (C/6)^(beta/(alpha+beta)), D = (C/6)/N. params in catalogue order E, A, B, alpha, beta. */
void sf_optimal_chinchilla(const double *params, double C, double *N, double *D);

/* Compute-optimal allocation of budget C under the fitted law with the given parameters
 * (ff supplies the law and which variables are N and D). Laws of N and D: chinchilla in closed
 * form, others by a log-spaced scan over N in [1, C/6] followed by Brent's method on log N
 * (SF_ENUMERIC "no interior optimum" when the minimum sits on the edge of the scan).
 * SF_EUSAGE for a law with no allocation (see sf_allockind). */
int sf_optimal(const sf_fitfile *ff, const double *params, double C, const sf_alloc_opts *o, sf_optimum *out);

/* ---- target: the compute that reaches a value ---- */

/* The law's value at budget C: at the optimal allocation for laws of N and D, or the law itself
 * for a law of C alone. SF_EUSAGE for laws of other variables or published allocation laws. */
int sf_value_at_compute(const sf_fitfile *ff, const double *params, double C, const sf_alloc_opts *o,
                        double *value, sf_optimum *opt);

#define SF_TARGET_CMIN 1e10
#define SF_TARGET_CMAX 1e40
/* The lowest budget sf_target steps down to: one parameter trained on one token */
#define SF_TARGET_CFLOOR 6.0

/* The bottom of sf_target's scan: SF_TARGET_CMIN, or 1000 tokens' worth of the attention FLOPs
 * per token where o counts them (a smaller budget trains no model of that shape). */
double sf_target_cmin(const sf_alloc_opts *o);

/* The smallest budget at which the value reaches target (falls to it for a decreasing law, rises
 * to it for an increasing one): scan of log C over [sf_target_cmin(o), SF_TARGET_CMAX], then
 * Brent's root finder. Where the target is met at the scan's bottom already, the search steps
 * down (half a decade at a time) until it is not, and solves there. *reached = 0 and opt->C = +inf
 * when it is never reached below SF_TARGET_CMAX; *reached = -1 and opt->C = the lowest budget
 * evaluated when it is met there already and no smaller budget can be evaluated (the law or its
 * minimiser fails below it) or SF_TARGET_CFLOOR was reached. */
int sf_target(const sf_fitfile *ff, const double *params, double target, const sf_alloc_opts *o,
              sf_optimum *opt, int *reached);

/* The floor of sf_target's search at params: SF_TARGET_CFLOOR for a law of C alone; for a law of N
 * and D, the smallest budget whose optimum trains at least one parameter on at least one token (or
 * SF_TARGET_CFLOOR if larger). A target met there already is *reached = -1 at that budget. */
double sf_target_floor(const sf_fitfile *ff, const double *params, const sf_alloc_opts *o);
/* A delta-method band of a target's C, N and D (b[0..2], as `scalefit target` derives them) reaches
 * below the search's floor where the target lies near it (loss 20 of the default sweep's chinchilla:
 * N = 7.6 [0.026, 2197]): lifts C's lower end to sf_target_floor and N's and D's to 1, and returns 1
 * when it did (the caller says so). A bootstrap band is left alone: each refit is solved above its
 * own floor. */
int sf_target_clip_band(const sf_fitfile *ff, const sf_alloc_opts *o, sf_band b[3]);
/* What `scalefit target` and the report say when sf_target_clip_band clipped */
#define SF_TARGET_CLIP_NOTE                                                                                    \
  "the delta-method band reaches below the floor of the search, so its lower ends are clipped there: C at " \
  "the smallest budget whose optimum trains one parameter on one token, N and D at 1"


/* What sf_target's answer means, in words, for `scalefit target` and the report alike: "reached at
 * C = ...", "already reached at ... FLOP, ..." (opt->C, the lowest budget searched), "unreachable: ... at or below the fitted
 * irreducible loss E = ..." or "... beyond the sigmoid's ceiling hi = ...", else "not reached below
 * 1e+40 FLOP" (a law with no floor, e.g. power0, that is only slow). opt may be NULL unless
 * reached is 1 or -1. */
void sf_target_verdict(const sf_fitfile *ff, double target, int reached, const sf_optimum *opt, char *buf, size_t n);

/* The band of the law's irreducible term E (bootstrap percentiles or the delta method, as every
 * forecast's band): returns 1 with *b filled, or 0 when the law has no parameter E. */
int sf_target_floor_band(const sf_fitfile *ff, sf_band *b);

/* Fraction of the bootstrap samples for which target is reachable at all: E < target for a law
 * with an irreducible term E that falls towards it, otherwise a reach within SF_TARGET_CMAX. NaN
 * without a bootstrap. */
double sf_target_prob_reachable(const sf_fitfile *ff, double target, const sf_alloc_opts *o);

/* How many of ff's bootstrap refits the target's compute band C (sf_forecast_band over refits that
 * leave out one met already at the lowest budget its law can be evaluated at, as `scalefit target`
 * and the report do) could not be solved for: K - C->n_ok, also when too few are left for a band;
 * 0 without a bootstrap (K < 2). */
size_t sf_target_unsolved(const sf_fitfile *ff, const sf_band *C);

/* ---- next: which run to train to narrow a forecast ---- */

/* The forecast at a target point x_t has the delta-method variance v = h' S h (h = df/dparam at x_t,
 * S the fit's covariance). One more run at x, whose residual in the fit's space has variance s2 and
 * gradient g (df/dparam at x, divided by f in log space), adds g g' / s2 to S's inverse, so by
 * Sherman-Morrison S' = S - (S g)(S g)' / (s2 + g' S g) and v' = v - (h' S g)^2 / (s2 + g' S g).
 * Assumed: the linearisation (the run lands on the fitted law, the optimum does not move), the law
 * is right, the residual variance is unchanged by the run, and, for a huber fit, that least
 * squares' covariance (the one the fit saves) describes it. */

#define SF_NEXT_MAXPICK 16

typedef enum sf_next_rank {
  SF_NEXT_PER_FLOP = 0, /* band width removed per FLOP of the run */
  SF_NEXT_TOTAL = 1     /* band width removed, whatever the run costs (within max_compute) */
} sf_next_rank;

typedef struct sf_next_opts {
  double max_compute; /* the largest budget one run may take, FLOP (required) */
  double min_compute; /* the smallest; NaN: the fit's smallest run (its range of C, else 6 N D of the smallest) */
  size_t n_budgets;   /* budgets, log-spaced in [min_compute, max_compute] (13) */
  size_t n_splits;    /* laws of N and D: splits per budget, N log-spaced along C = 6ND (25) */
  double beyond;      /* laws of N and D: decades beyond the data's N and D a candidate may lie (1) */
  double run_sd;      /* the new run's standard deviation of y, y's units. NaN: the fit's residual scale
                         (unweighted fits only). For a weighted fit, required: its value of the sigma
                         column, scaled by chi2/dof as the fit scales every run's (not with absolute_sigma) */
  size_t count;       /* runs to propose, greedily: each after the ones before it are added (1) */
  sf_next_rank rank;
} sf_next_opts;

void sf_next_opts_default(sf_next_opts *o);

typedef struct sf_next_pick {
  double x[SF_LAW_MAXVAR];  /* the run, in the law's variables (ff->vars order) */
  double N, D, C;           /* N and D NaN for a law of C; C = 6ND for a law of N and D */
  double y;                 /* the law's prediction for the run */
  double s2;                /* the run's residual variance in the fit's residual space */
  double var_before, var_after; /* the target's variance before and after the run (the picks before it included) */
  sf_band before, after;    /* the target's band (delta method, as sf_forecast_predict bands it) */
  double reduction;         /* before.hi - before.lo - (after.hi - after.lo): the band width this run removes */
  double per_flop;          /* reduction / C */
} sf_next_pick;

typedef struct sf_next_result {
  double target_var;  /* the target's variance with the fit as it is */
  sf_band target;     /* its value and band */
  size_t n_candidates;
  double min_compute; /* the smallest budget of the grid (o->min_compute or the data's) */
  size_t npick;
  sf_next_pick pick[SF_NEXT_MAXPICK];
} sf_next_result;

/* The Sherman-Morrison step on cov (np x np, row-major, updated in place): g the new run's
 * residual gradient, s2 its residual variance; returns the variance of h' params after it
 * (h may be NULL: returns NaN). SF-free: no checks, the caller's g, h are finite. */
double sf_next_update(double *cov, size_t np, const double *g, const double *h, double s2);

/* Proposes o->count runs that most narrow the band of the fitted law's prediction at target
 * (law->nvar values, beyond the fit's data). Candidates: for a law of C, o->n_budgets budgets; for
 * a law of N and D, those budgets times o->n_splits values of N along C = 6ND, with N and D within
 * o->beyond decades of the data's ranges. The first pick is the best by o->rank; each next one is
 * chosen with the covariance updated by the picks before it (the same run may come back: a second
 * seed). SF_EINPUT, naming the file: no covariance, a NaN in it for a free parameter, a law that is
 * neither of C nor of N and D, no data ranges, no residual variance (rss, n_points, n_free) and no
 * run_sd. SF_EUSAGE: a target inside the data, max_compute below the smallest budget, a weighted
 * fit without run_sd, no candidate inside the ranges, an option out of its range. SF_ENUMERIC: the
 * law is undefined at the target. */
int sf_next(const sf_fitfile *ff, const double *target, const sf_next_opts *o, sf_next_result *res);

/* ---- accelerators ---- */

typedef struct sf_accel {
  char *name, *aliases, *vendor;
  double tflops[4]; /* bf16, fp16, tf32, fp32 dense TFLOP/s; NaN where the table has no figure */
} sf_accel;

typedef struct sf_accel_table {
  size_t n;
  sf_accel *a;
  char *origin;
} sf_accel_table;

int sf_accel_load(const char *path, sf_accel_table **out); /* datasets/accelerators.csv */
void sf_accel_free(sf_accel_table *t);
/* By name or alias, case-insensitive ("A100", "h100-sxm", "TPU v4", "tpu-v4"); NULL if none. */
const sf_accel *sf_accel_find(const sf_accel_table *t, const char *name);
/* Known names for messages: "a100, a100-40gb, ..." (first alias, or the name). Caller frees. */
char *sf_accel_names(const sf_accel_table *t);
/* Peak FLOP/s at precision "bf16" | "fp16" | "tf32" | "fp32". SF_EUSAGE for another precision,
 * SF_EINPUT when the table has no figure for it (e.g. V100 bf16). */
int sf_accel_peak(const sf_accel *a, const char *precision, double *flops_per_s);

/* ---- turn: does growth turn into a sigmoid? ---- */

enum { SF_TURN_LOGLINEAR = 0, SF_TURN_POWER = 1, SF_TURN_SIGMOID = 2, SF_TURN_NLAWS = 3 };

typedef struct sf_turn_opts {
  double chance;     /* the sigmoid's floor (pinned); 0.25 for 4-way multiple choice */
  double max;        /* the metric's ceiling; the sigmoid's upper level is bounded by it */
  size_t holdout;    /* the largest-x runs held out for the extrapolation check (0: n/5, >= 2) */
  size_t bootstrap;  /* resamples for the inflection interval (default 200) */
  unsigned long long seed;
  double tol;        /* the extrapolations "part" where they differ by more than this (0.05) */
  double level;      /* interval level (0.95) */
  double delta_ic;   /* the margin the sigmoid must win by on both AICc and BIC (2) */
  int below_chance_ok; /* 1: do not refuse runs far below chance (the full data already passed) */
  const char *opt_prefix; /* how messages name the options: "--" gives "--chance 0" (the commands),
                             "" or NULL (default) "chance = 0" (a report spec's keys) */
} sf_turn_opts;

void sf_turn_opts_default(sf_turn_opts *o);

typedef struct sf_turn_law {
  const char *name;        /* "loglinear", "power", "sigmoid" */
  const char *formula;
  size_t k;                /* free parameters */
  double params[4];        /* natural, in the catalogue's order */
  const char *param_names[4];
  size_t np;
  double rss, aic, bic;    /* linear-space residuals, Gaussian AIC/BIC with k free parameters */
  double aicc;             /* the small-sample AIC (sf_fit_aicc), by which the laws are ranked */
  double weight;           /* Akaike weight by AICc among the fitted laws (sf_fit_ic_compare); 0 if failed */
  double holdout_error;    /* RMSE on the held-out largest runs, refit on the rest (NaN if none) */
  int ok;                  /* the fit converged to something finite */
} sf_turn_law;

typedef struct sf_turn_result {
  size_t n, n_holdout, n_below_chance;
  size_t n_holdout_asked;    /* the hold-out before whole budgets were kept together (!= n_holdout: moved) */
  double xmin, xmax;
  sf_turn_law law[SF_TURN_NLAWS];
  int best_growth;           /* SF_TURN_LOGLINEAR or SF_TURN_POWER, by AICc */
  double inflection, inflection_lo, inflection_hi; /* x of the sigmoid's midpoint, NaN if not identified */
  int inflection_identified;
  size_t boot_ok;            /* resamples whose sigmoid fit succeeded */
  double diverge_x;          /* smallest x >= xmax where the best growth law and the sigmoid differ by more
                                than tol (= xmax: apart already at the largest run; NaN: not below 1e30) */
  double delta_aic, delta_bic; /* sigmoid minus best growth law (negative favours the sigmoid) */
  double delta_aicc;         /* the same by AICc: what is printed and, with delta_bic, what the verdict reads */
  int saturation_supported;
  char verdict[256];
  /* a chance level that looks too low (a warning, not a refusal): fewer than 3 runs within a tenth of
   * (max - chance) of it, and the lowest score within a tenth of (max - c) of a common chance level
   * c = max/k (k = 2..5) above it, with at least 3 and more than a tenth of the runs that close to c.
   * chance_suggest is that c (the largest such), NaN when the chance level looks right */
  double chance_suggest;
  double lowest;             /* the lowest score */
  size_t n_near_chance;      /* runs within a tenth of (max - chance) of the chance level, or below it */
  size_t n_near_suggest;     /* runs within a tenth of (max - chance_suggest) of chance_suggest */
  char chance_warning[400];  /* that warning with its evidence and the --chance to try; "" if none */
  /* the verdict in a chart's subtitle: the same as verdict but shorter where that would wrap to a
   * third line at the default width (an inflection at the smallest runs). Added 2026 (turn2 branch,
   * session 15), additive */
  char verdict_chart[256];
} sf_turn_result;

/* Fits the three laws to (x[i], y[i]), i < n (x > 0), and judges saturation. The sigmoid's
 * floor is pinned at o->chance and its ceiling bounded to (chance, max]. SF_EINPUT if fewer
 * than SF_TURN_MINRUNS points, x <= 0, or y outside [0, max] (naming the point); SF_ENUMERIC if
 * no law fits. */
#define SF_TURN_MINRUNS 6 /* added 2026 (wording branch), so a caller can say where the runs went */
int sf_turn(const double *x, const double *y, size_t n, const sf_turn_opts *o, sf_turn_result *res);
/* 1 when sf_turn refuses y for its chance level: more than SF_TURN_BELOW_FRAC of the runs (and at
 * least 3) score SF_TURN_BELOW_DEPTH of (max - chance) below chance, unless o->below_chance_ok; *far
 * and *lowest receive the count and the lowest score. A report names its chance line then. Added
 * 2026 (report2 branch), additive. */
int sf_turn_far_below_chance(const double *y, size_t n, const sf_turn_opts *o, size_t *far, double *lowest);

/* The runs a turn analysis takes from a table, the same for `scalefit turn` and a report: rows
 * where column cx (compute) or cy (the metric) is missing (NaN) are skipped and counted in
 * *skipped; any other row must have a finite x > 0 and a y in [0, max], else SF_EINPUT naming
 * the run ("run 'X': C = 0 must be positive ..."), where the caller adds its file and context.
 * *x and *y are malloc'ed (free them); *n rows. */
struct sf_table;
int sf_turn_rows(const struct sf_table *t, int cx, int cy, double max, double **x, double **y, size_t *n,
                 size_t *skipped);
/* SF_OK when n (the rows sf_turn_rows took from t) is enough for sf_turn, else SF_EINPUT saying how
 * many runs t has, how many had both values, and naming the first five without a value of each
 * column ("turn needs at least 6 runs with both values, got 4 of 44; 40 lack a value (no value of C:
 * 'BERT-Base' (row 1), ...)"): sf_turn's own message gave a count alone. Added 2026 (skipinfo branch,
 * session 15). */
int sf_turn_enough(const struct sf_table *t, int cx, int cy, size_t n);

/* What `scalefit turn` says beside its table, in the words the CLI prints and a report shows:
 * range the span of the runs taken, "C from 4.02e+22 to 3.80e+25 FLOP" (the compute column's unit
 * after it, none where the column has none), note[] the remarks on the input (runs below chance, a
 * hold-out cut to what the runs allow or moved to keep a budget whole),
 * line[] the sigmoid's parameters, its inflection, where the extrapolations part, the deltas
 * ("" each when the sigmoid did not fit). o holds the options asked for; xname the compute
 * column, xunit its unit (NULL or "" for none). No trailing newlines. */
typedef struct sf_turn_text {
  char range[200];
  char note[3][200];
  size_t nnote;
  char line[4][300];
  size_t nline;
} sf_turn_text;
void sf_turn_describe(const sf_turn_result *r, const sf_turn_opts *o, const char *xname, const char *xunit,
                      sf_turn_text *t);

/* The columns of turn's law table that are not fixed-point by nature, rss and held-out RMSE, each
 * at one precision over the laws that fitted (sf_numcol, 4 digits): the CLI and a report alike. */
void sf_turn_cols(const sf_turn_result *r, sf_numcol *rss, sf_numcol *holdout);

/* Uncertainty bands for the three laws' curves (what the turn chart shades). sf_turn reports
 * parameters, not their spread, so the bands come from refits of the same analysis: the pairs
 * (x, y) resampled with replacement nboot times (GSL's mt19937 seeded with seed: deterministic)
 * and sf_turn run on each with o's options but its own bootstrap off. boot receives nboot rows
 * of SF_TURN_NLAWS x 4 natural parameters (law l's at [row * SF_TURN_NLAWS * 4 + l * 4], in its
 * catalogue order: loglinear, power0, sigmoid; unused slots NaN), a law's slots all NaN in a row
 * where it did not fit (a resample sf_turn rejects is a row of NaN, not a failure). SF_EUSAGE
 * for n == 0, SF_ENOMEM. */
int sf_turn_resample(const double *x, const double *y, size_t n, const sf_turn_opts *o, size_t nboot,
                     unsigned long long seed, double *boot);
/* The level (0.95) percentile interval [lo[i], hi[i]] of law l's curve at x[i], i < k, over the
 * boot rows of sf_turn_resample where law l fitted and is finite at x[i]; NaN at an x with fewer
 * than 2 such rows. SF_ENUMERIC when no x has 2 (lo, hi filled with NaN), SF_EUSAGE for l outside
 * [0, SF_TURN_NLAWS). */
int sf_turn_band(int l, const double *boot, size_t nboot, double level, const double *x, size_t k, double *lo,
                 double *hi);

#ifdef __cplusplus
}
#endif
#endif
