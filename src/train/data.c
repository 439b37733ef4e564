/* data.c: the data sources' common face. sf_source_open builds one of the three kinds
 * (data_corpus.c, data_markov.c, data_addition.c) and the batch functions dispatch to them.
 * Every batch is drawn from the caller's RNG (training) or from the sequence index alone
 * (validation), so runs are reproducible and every run of a sweep sees the same validation set. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/internal.h"

int sf_source_open(const sf_source_spec *spec, sf_source **out) {
  *out = NULL;
  sf_source *s = calloc(1, sizeof *s);
  if (!s) return sf_fail(SF_ENOMEM, "out of memory");
  s->kind = spec->kind;
  s->entropy = NAN;
  int rc;
  switch (spec->kind) {
  case SF_DATA_CORPUS:
    snprintf(s->name, sizeof s->name, "corpus");
    rc = sf_corpus_open(s, spec->corpus_dir ? spec->corpus_dir : SF_CORPUS_DIR);
    break;
  case SF_DATA_MARKOV:
    snprintf(s->name, sizeof s->name, "markov");
    rc = sf_markov_open(s, spec->markov_vocab ? spec->markov_vocab : 64, spec->markov_order ? spec->markov_order : 2,
                        spec->markov_alpha > 0 ? spec->markov_alpha : 0.1, spec->markov_seed ? spec->markov_seed : 1);
    break;
  case SF_DATA_ADDITION:
    snprintf(s->name, sizeof s->name, "addition");
    rc = sf_addition_open(s, spec->add_digits ? spec->add_digits : 3);
    break;
  default: rc = sf_fail(SF_EUSAGE, "unknown data kind %d", (int)spec->kind);
  }
  if (rc) {
    sf_source_free(s);
    return rc;
  }
  *out = s;
  return SF_OK;
}

void sf_source_free(sf_source *s) {
  if (!s) return;
  free(s->train);
  free(s->val);
  free(s->cum);
  free(s->stat);
  free(s);
}

sf_data_kind sf_source_kind(const sf_source *s) { return s->kind; }
int sf_source_vocab(const sf_source *s) { return s->vocab; }
const char *sf_source_describe(const sf_source *s) { return s->desc; }
const char *sf_source_name(const sf_source *s) { return s->name; }
double sf_source_entropy_rate(const sf_source *s) { return s->entropy; }

double sf_source_val_entropy(const sf_source *s, int T, long nseq) {
  if (s->kind != SF_DATA_MARKOV || T < 1 || nseq < 1) return NAN;
  int *tok = malloc(sizeof(int) * 2 * (size_t)T);
  if (!tok) return NAN;
  double sum = 0.0;
  long count = 0;
  for (long i = 0; i < nseq; i++) {
    sf_source_val_batch(s, (size_t)i, 1, T, tok, tok + T);
    sum += sf_markov_logloss(s, tok, tok + T, T);
    for (int t = 0; t < T; t++) count += tok[T + t] >= 0;
  }
  free(tok);
  return count ? sum / (double)count : NAN;
}
int sf_source_answer_len(const sf_source *s) { return s->kind == SF_DATA_ADDITION ? s->digits + 1 : 0; }
size_t sf_source_train_size(const sf_source *s) { return s->ntrain; }
size_t sf_source_val_size(const sf_source *s) { return s->nval; }

int sf_source_check_context(const sf_source *s, int T) {
  if (T < 1) return sf_fail(SF_EINPUT, "context %d must be at least 1", T);
  if (s->kind == SF_DATA_CORPUS && (size_t)T + 1 >= s->nval)
    return sf_fail(SF_EINPUT, "context %d is longer than the corpus's validation split (%zu bytes)", T, s->nval);
  /* training windows start anywhere in [0, ntrain - T - 1]: a split of T bytes or fewer has none (the
   * validation split can be the larger one: a single large document at index 10) */
  if (s->kind == SF_DATA_CORPUS && (size_t)T + 1 >= s->ntrain)
    return sf_fail(SF_EINPUT, "context %d is longer than the corpus's training split (%zu bytes)", T, s->ntrain);
  /* the first order - 1 predictions of a sequence lack the chain's full context and are masked */
  if (s->kind == SF_DATA_MARKOV && T < s->order)
    return sf_fail(SF_EINPUT, "context %d masks every prediction of the order-%d markov chain (at least %d tokens)", T,
                   s->order, s->order);
  if (s->kind == SF_DATA_ADDITION && T < sf_addition_problem_len(s))
    return sf_fail(SF_EINPUT, "context %d is shorter than one %d-digit addition problem (%d tokens)", T, s->digits,
                   sf_addition_problem_len(s));
  return SF_OK;
}

void sf_source_train_batch(sf_source *s, uint64_t rng[4], int B, int T, int *tokens, int *targets) {
  for (int b = 0; b < B; b++) {
    int *tok = tokens + (size_t)b * T, *tgt = targets + (size_t)b * T;
    if (s->kind == SF_DATA_CORPUS) {
      size_t off = (size_t)(sf_rng_uniform(rng) * (double)(s->ntrain - (size_t)T));
      sf_corpus_batch(s->train, s->ntrain, &off, 1, T, tok, tgt);
    } else if (s->kind == SF_DATA_MARKOV) {
      sf_markov_sequence(s, rng, T, tok, tgt);
    } else {
      sf_addition_sequence(s, rng, 0, T, tok, tgt);
    }
  }
}

void sf_source_val_batch(const sf_source *s, size_t first, int B, int T, int *tokens, int *targets) {
  for (int b = 0; b < B; b++) {
    size_t i = first + (size_t)b;
    int *tok = tokens + (size_t)b * T, *tgt = targets + (size_t)b * T;
    if (s->kind == SF_DATA_CORPUS) {
      /* consecutive windows from the start of the split, wrapping round */
      size_t span = s->nval - (size_t)T, off = (i * (size_t)T) % span;
      sf_corpus_batch(s->val, s->nval, &off, 1, T, tok, tgt);
    } else {
      uint64_t rng[4];
      sf_rng_seed(rng, s->val_seed ^ (0x9e3779b97f4a7c15ULL * (i + 1)));
      if (s->kind == SF_DATA_MARKOV) sf_markov_sequence(s, rng, T, tok, tgt);
      else sf_addition_sequence(s, rng, 1, T, tok, tgt);
    }
  }
}
