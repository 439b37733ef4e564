/* checkpoint.h: the training loop's state as saved in a checkpoint (internal; checkpoint.c). */
#ifndef SF_TRAIN_CHECKPOINT_H
#define SF_TRAIN_CHECKPOINT_H

#include <scalefit/sf_train.h>

typedef struct sf_ckpt_state {
  long step; /* optimiser steps done */
  uint64_t rng[4];
  double acc_loss, tail_loss, val, accuracy, t_train;
  double t_wall; /* wall time of the run so far (its seconds), validations included */
  long acc_n, tail_n;
  size_t np; /* curve points so far */
} sf_ckpt_state;

/* The configuration as one line; threads is the count the run uses, src the data it trains on.
 * Caller frees; NULL on OOM. */
char *sf_ckpt_config_line(const sf_train_config *c, int threads, const sf_source *src);
int sf_ckpt_save(const char *path, const char *config, const sf_ckpt_state *st, const double *curve, sf_gpt *g);
int sf_ckpt_load(const char *path, const char *config, sf_ckpt_state *st, double *curve, size_t maxpoints,
                 sf_gpt *g);

#endif
