/* internal.h: what the trainer's files share and the public header does not promise. */
#ifndef SF_TRAIN_INTERNAL_H
#define SF_TRAIN_INTERNAL_H

#include <scalefit/sf_train.h>

/* AdamW's first and second moments, same layout as the parameters (allocated with the model). */
float *sf_gpt_moment1(sf_gpt *g);
float *sf_gpt_moment2(sf_gpt *g);

/* The model's parameters (initialised exactly as sf_gpt_new does for seed), gradients and AdamW
 * moments, without activations: sf_gpt_forward must not be called on it. The GPU trainer keeps
 * its host copy of the weights this way (initialisation and checkpoints). */
int sf_gpt_new_params(const sf_gpt_config *c, uint64_t seed, sf_gpt **out);

/* Removes the run file's "<path>.lock" if a writer killed while holding it left it (runstore.c). */
void sf_train_store_unlock_stale(const char *path);

/* Random normal (Box-Muller) from the trainer's RNG. */
double sf_rng_normal(uint64_t rng[4]);

/* ---- data sources: one struct, three kinds (data.c dispatches, data_<kind>.c fill) ---- */
struct sf_source {
  sf_data_kind kind;
  int vocab;
  char name[16];
  char desc[256];
  /* corpus: bytes of the two splits */
  unsigned char *train, *val;
  size_t ntrain, nval;
  /* markov: S = V^order states; cum[S*V] cumulative transition rows; stat[S] stationary law */
  int order;
  size_t nstates;
  double *cum, *stat;
  double entropy;
  uint64_t val_seed;
  /* addition */
  int digits;
};

int sf_corpus_open(sf_source *s, const char *dir);
void sf_corpus_batch(const unsigned char *text, size_t n, const size_t *offsets, int B, int T, int *tokens,
                     int *targets);
int sf_markov_open(sf_source *s, int vocab, int order, double alpha, uint64_t seed);
void sf_markov_sequence(const sf_source *s, uint64_t rng[4], int T, int *tokens, int *targets);
/* Summed -log P(target | state) under the chain itself over the unmasked targets of one sequence. */
double sf_markov_logloss(const sf_source *s, const int *tokens, const int *targets, int T);
int sf_addition_open(sf_source *s, int digits);
void sf_addition_sequence(const sf_source *s, uint64_t rng[4], int validation, int T, int *tokens, int *targets);
int sf_addition_problem_len(const sf_source *s);

/* Gamma(a) variate (Marsaglia and Tsang; a < 1 by the boost a+1, U^(1/a)). */
double sf_rng_gamma(uint64_t rng[4], double a);

#endif
