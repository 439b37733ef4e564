/* data_markov.c: a random order-k Markov chain whose entropy rate is known exactly, so that the
 * irreducible loss E fitted on runs trained on it can be checked against the truth.
 *
 * The state is the last k tokens (V^k states); each state's next-token distribution is drawn from
 * a symmetric Dirichlet(alpha) with the chain's own seed. The stationary law pi over states comes
 * from power iteration (the rows are strictly positive, so the chain is ergodic and it converges),
 * and the entropy rate is H = sum_s pi(s) * H(P(s, .)) nats/token.
 *
 * Each sequence starts in a state drawn from pi, and the first k-1 predictions (which lack the
 * full k tokens of context) are masked, so a perfect model's expected loss is exactly H. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/internal.h"

int sf_markov_open(sf_source *s, int V, int k, double alpha, uint64_t seed) {
  if (V < 2 || V > 65536) return sf_fail(SF_EINPUT, "markov vocabulary %d is out of range (2..65536)", V);
  if (k < 1 || k > 8) return sf_fail(SF_EINPUT, "markov order %d is out of range (1..8)", k);
  if (!(alpha > 0.0) || !isfinite(alpha)) return sf_fail(SF_EINPUT, "markov alpha %g must be positive", alpha);
  double states = pow((double)V, (double)k);
  if (states * V > 5e7) return sf_fail(SF_EINPUT, "markov chain of vocabulary %d and order %d is too large", V, k);
  size_t S = (size_t)states;
  s->vocab = V;
  s->order = k;
  s->nstates = S;
  s->cum = malloc(sizeof(double) * S * (size_t)V);
  s->stat = malloc(sizeof(double) * S);
  double *next = malloc(sizeof(double) * S), *P = malloc(sizeof(double) * S * (size_t)V);
  if (!s->cum || !s->stat || !next || !P) {
    free(next);
    free(P);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  uint64_t rng[4];
  sf_rng_seed(rng, seed);
  for (size_t st = 0; st < S; st++) {
    double *p = P + st * V, sum = 0.0;
    for (int c = 0; c < V; c++) sum += (p[c] = sf_rng_gamma(rng, alpha));
    if (!(sum > 0.0)) { /* every draw underflowed: possible only for absurdly small alpha */
      free(next);
      free(P);
      return sf_fail(SF_ENUMERIC, "markov alpha %g is too small (a transition row underflowed)", alpha);
    }
    for (int c = 0; c < V; c++) p[c] /= sum;
  }
  /* power iteration: state st = (..., a, b) moves to (..., b, c) = (st * V + c) mod S */
  for (size_t st = 0; st < S; st++) s->stat[st] = 1.0 / (double)S;
  int converged = 0;
  for (int it = 0; it < 100000 && !converged; it++) {
    memset(next, 0, sizeof(double) * S);
    for (size_t st = 0; st < S; st++) {
      const double *p = P + st * V;
      size_t base = (st * (size_t)V) % S;
      for (int c = 0; c < V; c++) next[base + (size_t)c] += s->stat[st] * p[c];
    }
    double diff = 0.0, tot = 0.0;
    for (size_t st = 0; st < S; st++) tot += next[st];
    for (size_t st = 0; st < S; st++) {
      next[st] /= tot;
      diff += fabs(next[st] - s->stat[st]);
      s->stat[st] = next[st];
    }
    converged = diff < 1e-14;
  }
  if (!converged) {
    free(next);
    free(P);
    return sf_fail(SF_ENUMERIC, "markov chain's stationary distribution did not converge");
  }
  double H = 0.0;
  for (size_t st = 0; st < S; st++) {
    const double *p = P + st * V;
    double h = 0.0, c = 0.0;
    for (int j = 0; j < V; j++) {
      if (p[j] > 0.0) h -= p[j] * log(p[j]);
      s->cum[st * V + j] = (c += p[j]);
    }
    s->cum[st * V + V - 1] = 1.0;
    H += s->stat[st] * h;
  }
  /* stat becomes cumulative too, for sampling the start state */
  double c = 0.0;
  for (size_t st = 0; st < S; st++) s->stat[st] = (c += s->stat[st]);
  s->stat[S - 1] = 1.0;
  s->entropy = H;
  s->val_seed = seed ^ 0x5eed5eed5eed5eedULL;
  snprintf(s->desc, sizeof s->desc, "markov vocab %d order %d alpha %g seed %llu, entropy rate %.6f nats/token", V, k,
           alpha, (unsigned long long)seed, H);
  free(next);
  free(P);
  return SF_OK;
}

/* first index with cum[i] > u (cum ascending, cum[n-1] == 1 > u) */
static size_t search(const double *cum, size_t n, double u) {
  size_t lo = 0, hi = n - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cum[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

void sf_markov_sequence(const sf_source *s, uint64_t rng[4], int T, int *tokens, int *targets) {
  size_t S = s->nstates, V = (size_t)s->vocab, st = search(s->stat, S, sf_rng_uniform(rng));
  int k = s->order;
  /* unpack the start state into its k tokens, oldest first */
  int first[8];
  size_t x = st;
  for (int i = k - 1; i >= 0; i--) {
    first[i] = (int)(x % V);
    x /= V;
  }
  for (int t = 0; t <= T; t++) {
    int tok;
    if (t < k) tok = first[t];
    else {
      tok = (int)search(s->cum + st * V, V, sf_rng_uniform(rng));
      st = (st * V + (size_t)tok) % S;
    }
    if (t < T) tokens[t] = tok;
    if (t > 0) targets[t - 1] = (t - 1 >= k - 1) ? tok : -1;
  }
}

double sf_markov_logloss(const sf_source *s, const int *tokens, const int *targets, int T) {
  size_t S = s->nstates, V = (size_t)s->vocab;
  int k = s->order;
  double sum = 0.0;
  for (int t = k - 1; t < T; t++) {
    if (targets[t] < 0) continue;
    /* the state before target t is tokens t-k+1..t, oldest first */
    size_t st = 0;
    for (int i = t - k + 1; i <= t; i++) st = (st * V + (size_t)tokens[i]) % S;
    const double *cum = s->cum + st * V;
    size_t j = (size_t)targets[t];
    sum -= log(cum[j] - (j ? cum[j - 1] : 0.0));
  }
  return sum;
}
