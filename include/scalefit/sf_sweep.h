/* sf_sweep.h: sweeps, the plans that `scalefit sweep` trains: which runs, in which order, which
 * are already done.
 *
 * A sweep is settings shared by its runs (data source, context, batch, learning rate, seed,
 * threads, validation) and one or more grids, each sizes x token budgets or sizes x compute
 * budgets (isoFLOP: every size trains the whole batches its budget allows, D ~ C/(6N)). It comes
 * from a sweep file (an INI file, format in docs/TRAIN.md; shipped presets in datasets/sweeps/)
 * or is built from command-line lists. The plan is the union of the grids' runs (a run that two
 * grids share appears once, recognised by sf_train_run_name), each resolved by
 * sf_train_resolve, cheapest first; runs already in a run file are marked done. Nothing here
 * trains, prints or writes the run file: that is the CLI's loop over the plan.
 *
 * Messages of a bad file are "FILE:LINE: what was expected" (SF_EINPUT), and a plan that cannot
 * be built names the grid's line, so that every mistake surfaces before the first run.
 */
#ifndef SF_SWEEP_H
#define SF_SWEEP_H

#include <stddef.h>

#include <scalefit/sf_train.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_SWEEP_MAXLIST 64 /* sizes, and budgets, per grid */

typedef struct sf_sweep_grid {
  char *name;    /* "[grid NAME]"'s NAME, "" when unnamed */
  size_t line;   /* its header's line in the file; 0 when built from lists */
  int isoflop;   /* budgets are compute (FLOP) rather than tokens */
  size_t nsizes; /* model sizes: layers, d_model, heads */
  int sizes[SF_SWEEP_MAXLIST][3];
  size_t nbudgets;
  double budgets[SF_SWEEP_MAXLIST];
} sf_sweep_grid;

typedef struct sf_sweep {
  char *path;          /* the file it was read from, NULL when built from lists */
  char *description;   /* [sweep] description, NULL if none */
  sf_source_spec data; /* data.corpus_dir is owned (freed by sf_sweep_free) */
  long context;        /* tokens per sequence; 0: 128 */
  long batch;          /* tokens per step, a multiple of context; 0: 16 sequences */
  double lr;           /* peak learning rate; 0: by size (sf_train.h) */
  long seed;           /* weights and data order of every run (default 1) */
  long threads;        /* per run; 0: by size (sf_train.h) */
  long evals;          /* validations during a run; 0: 10 */
  long val_tokens;     /* validation tokens; 0: 16384 */
  size_t ngrids;
  sf_sweep_grid *grids;
} sf_sweep;

/* An empty sweep with the defaults above (data corpus, seed 1) and no grid. SF_ENOMEM. */
int sf_sweep_new(sf_sweep **out);
void sf_sweep_free(sf_sweep *s); /* NULL-safe */
/* Parses a sweep file's text; origin names it in messages and relative corpus_dir paths are
 * resolved against origin's folder. SF_EINPUT "ORIGIN:LINE: ..." for anything wrong: an unknown
 * section or key, a key twice, a value out of range, a grid without sizes or budgets (or with
 * both tokens and flops), a data option of another source, no grid at all. */
int sf_sweep_parse(const char *text, size_t len, const char *origin, sf_sweep **out);
int sf_sweep_read(const char *path, sf_sweep **out);

/* The list syntaxes of files and flags. Sizes "2x64, 4x128:2" (LAYERSxD_MODEL[:HEADS]; heads
 * default to d_model/64 from d_model 128 up, else 1); budgets "1e5, 3e5" (positive numbers).
 * SF_EINPUT with the offending item quoted and no prefix (callers add theirs). */
int sf_sweep_parse_sizes(const char *list, int (*out)[3], size_t *n);
int sf_sweep_parse_budgets(const char *list, double *out, size_t *n);
/* Appends a grid made from the two lists (line 0, unnamed). SF_EINPUT prefixed "--sizes: " or
 * "--tokens: " / "--flops: ", SF_ENOMEM. */
int sf_sweep_add_grid(sf_sweep *s, const char *sizes, const char *budgets, int isoflop);

/* ---- presets: sweep files shipped in <sf_datadir()>/sweeps/NAME.ini ---- */

/* The preset's path (caller frees), or NULL with SF_EUSAGE "unknown preset 'X' (presets: a, b)". */
char *sf_sweep_preset_path(const char *name);
/* The presets found, sorted (caller frees each and the array with sf_sweep_free_names). */
int sf_sweep_presets(char ***names, size_t *n);
void sf_sweep_free_names(char **names, size_t n);

/* ---- the plan ---- */

typedef struct sf_sweep_run {
  sf_train_config cfg; /* resolved; checkpoint and peak_flops left for the caller */
  char *name;          /* sf_train_run_name: the key in the run file */
  double flops;        /* exact training FLOPs */
  int done;            /* already in the run file (sf_sweep_plan_mark_done) */
} sf_sweep_run;

typedef struct sf_sweep_plan {
  size_t nruns, ndone;
  sf_sweep_run *runs;             /* cheapest first, ties by name: the same order on every machine */
  double flops_total, flops_todo; /* over all runs, and over those not done */
} sf_sweep_plan;

/* Builds the plan of s on src (whose vocabulary and name the runs take). Every run starts from
 * base (NULL: all zero, the defaults), so that settings a sweep file does not hold (the caller's,
 * e.g. a device) reach every run; the sweep's model, budget, batch, lr, seed, threads and
 * validation settings are then set over it and the run resolved (sf_train_resolve). threads_cap > 0
 * caps the threads of each run when s->threads is 0 (MPI ranks sharing a node); 0: no cap.
 * SF_EINPUT prefixed with the grid ("FILE:LINE: [grid NAME] size 2x64, budget 1e+06: ...") for an
 * impossible configuration, a compute budget below one batch, or a budget that trains the same whole
 * batches of the same size as another run of the plan (one training under two names: a run's name
 * holds the token budget asked for, its record the tokens trained); SF_ENOMEM. */
int sf_sweep_plan_build(const sf_sweep *s, const sf_source *src, const sf_train_config *base, int threads_cap,
                        sf_sweep_plan *out);
/* Marks done the runs whose names are rows of t (NULL: none) and updates ndone, flops_todo. A row
 * whose notes or source (sf_train_result_text) record another batch, learning rate, schedule
 * (warmup_frac, min_lr_frac, weight_decay, grad_clip), val_tokens, evals or other data (src, may be
 * NULL; the corpus by its files and sizes, not its folder) than the plan's run of that name is
 * SF_EINPUT saying which: a run's name does not hold them, and the run would be skipped though never
 * trained or measured this way. A row written by `scalefit train` without val_tokens or evals (0.1.0)
 * has that version's defaults, 16384 and 10. */
int sf_sweep_plan_mark_done(sf_sweep_plan *p, const struct sf_table *t, const struct sf_source *src);
void sf_sweep_plan_free(sf_sweep_plan *p);

/* ---- files beside the run file ---- */

/* Checkpoint of a run in progress: "<runfile>.ckpt.d/<run name>.ckpt", one per run, so that runs
 * trained at once (MPI ranks) each keep their own. Caller frees; NULL on OOM. */
char *sf_sweep_checkpoint_path(const char *runfile, const char *run_name);
/* Creates the checkpoint folder if needed. SF_EIO naming it. */
int sf_sweep_checkpoint_dir(const char *runfile);
/* Housekeeping before and after a sweep: removes temporary files ("<path>.tmp.<pid>.<n>") left
 * beside the run file and the checkpoints by writers killed mid-write (only those whose process
 * is gone), the run file's "<path>.lock" left by a writer killed while holding it (only when no
 * live writer holds it), the checkpoints of runs the plan has as done (p may be NULL), and the
 * checkpoint folder when it is empty. */
void sf_sweep_cleanup(const char *runfile, const sf_sweep_plan *p);

#ifdef __cplusplus
}
#endif
#endif
