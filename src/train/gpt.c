/* gpt.c: the model. Owns one allocation for parameters, gradients and AdamW moments, one for
 * activations and one for per-thread scratch; strings the layers of layers.c into a forward and a
 * backward pass; counts parameters and FLOPs (formulas in sf_train.h).
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/internal.h"
#include "train/layers.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- counts ---- */

int sf_gpt_config_check(const sf_gpt_config *c) {
  if (c->n_layer < 1 || c->n_layer > 1024) return sf_fail(SF_EINPUT, "layers %d is out of range (1..1024)", c->n_layer);
  if (c->d_model < 1 || c->d_model > 65536)
    return sf_fail(SF_EINPUT, "d_model %d is out of range (1..65536)", c->d_model);
  if (c->n_head < 1) return sf_fail(SF_EINPUT, "heads %d must be at least 1", c->n_head);
  if (c->d_model % c->n_head)
    return sf_fail(SF_EINPUT, "d_model %d is not divisible by heads %d", c->d_model, c->n_head);
  if (c->n_ctx < 1 || c->n_ctx > 65536) return sf_fail(SF_EINPUT, "context %d is out of range (1..65536)", c->n_ctx);
  if (c->vocab < 2 || c->vocab > 65536) return sf_fail(SF_EINPUT, "vocabulary %d is out of range (2..65536)", c->vocab);
  return SF_OK;
}

double sf_gpt_nparams(const sf_gpt_config *c) {
  double C = c->d_model, L = c->n_layer;
  return (double)c->vocab * C + (double)c->n_ctx * C + L * (12.0 * C * C + 13.0 * C) + 2.0 * C;
}

double sf_gpt_nparams_nonembed(const sf_gpt_config *c) {
  double C = c->d_model, L = c->n_layer;
  return L * (12.0 * C * C + 13.0 * C) + 2.0 * C;
}

double sf_gpt_flops_forward(const sf_gpt_config *c, int T) {
  double C = c->d_model, L = c->n_layer, V = c->vocab, t = T;
  return t * (24.0 * L * C * C + 2.0 * C * V) + 2.0 * L * C * t * (t + 1.0);
}

/* ---- layout ---- */

enum { P_WTE, P_WPE, P_LN1W, P_LN1B, P_QKVW, P_QKVB, P_PROJW, P_PROJB, P_LN2W, P_LN2B,
       P_FCW, P_FCB, P_FCPW, P_FCPB, P_LNFW, P_LNFB, NPT };

static const char *const tensor_names[NPT] = {
    "wte", "wpe", "h.ln1_w", "h.ln1_b", "h.qkv_w", "h.qkv_b", "h.proj_w", "h.proj_b", "h.ln2_w", "h.ln2_b",
    "h.fc_w", "h.fc_b", "h.fcproj_w", "h.fcproj_b", "lnf_w", "lnf_b"};
static const int tensor_decays[NPT] = {1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0};

static void tensor_sizes(const sf_gpt_config *c, size_t sz[NPT]) {
  size_t C = (size_t)c->d_model, L = (size_t)c->n_layer;
  sz[P_WTE] = (size_t)c->vocab * C;
  sz[P_WPE] = (size_t)c->n_ctx * C;
  sz[P_LN1W] = sz[P_LN1B] = L * C;
  sz[P_QKVW] = L * 3 * C * C;
  sz[P_QKVB] = L * 3 * C;
  sz[P_PROJW] = L * C * C;
  sz[P_PROJB] = L * C;
  sz[P_LN2W] = sz[P_LN2B] = L * C;
  sz[P_FCW] = L * 4 * C * C;
  sz[P_FCB] = L * 4 * C;
  sz[P_FCPW] = L * 4 * C * C;
  sz[P_FCPB] = L * C;
  sz[P_LNFW] = sz[P_LNFB] = C;
}

typedef struct acts {
  float *encoded, *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *att, *res2, *ln2, *ln2_mean, *ln2_rstd, *fch,
      *fch_gelu, *res3, *lnf, *lnf_mean, *lnf_rstd, *probs, *losses, *tmp;
  /* gradients of activations: only one layer's worth, reused going down */
  float *dres, *dln, *dqkv, *datty, *dfch;
} acts;

struct sf_gpt {
  sf_gpt_config c;
  int max_B;
  size_t n, off[NPT], sz[NPT];
  float *mem; /* params | grads | m | v */
  float *params, *grads, *m, *v;
  float *actmem;
  acts a;
  float *scratch;   /* per thread: max(2C, attention scratch) floats */
  size_t scratch_per;
  int nthreads;     /* threads the scratch was sized for */
  int *tokens, *targets;
  int B, T;         /* of the last forward */
};

const sf_gpt_config *sf_gpt_cfg(const sf_gpt *g) { return &g->c; }
size_t sf_gpt_size(const sf_gpt *g) { return g->n; }
float *sf_gpt_params(sf_gpt *g) { return g->params; }
float *sf_gpt_grads(sf_gpt *g) { return g->grads; }
float *sf_gpt_moment1(sf_gpt *g) { return g->m; }
float *sf_gpt_moment2(sf_gpt *g) { return g->v; }
const float *sf_gpt_probs(const sf_gpt *g) { return g->a.probs; }
size_t sf_gpt_ntensors(void) { return NPT; }

void sf_gpt_tensor(const sf_gpt *g, size_t i, const char **name, size_t *offset, size_t *size, int *decay) {
  if (name) *name = tensor_names[i];
  if (offset) *offset = g->off[i];
  if (size) *size = g->sz[i];
  if (decay) *decay = tensor_decays[i];
}

static int max_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/* max_B 0: parameters, gradients and moments only (sf_gpt_new_params) */
static int gpt_new(const sf_gpt_config *c, int max_B, uint64_t seed, sf_gpt **out) {
  *out = NULL;
  int rc = sf_gpt_config_check(c);
  if (rc) return rc;
  sf_gpt *g = calloc(1, sizeof *g);
  if (!g) return sf_fail(SF_ENOMEM, "out of memory");
  g->c = *c;
  g->max_B = max_B;
  tensor_sizes(c, g->sz);
  for (int i = 0; i < NPT; i++) {
    g->off[i] = g->n;
    g->n += g->sz[i];
  }
  size_t C = (size_t)c->d_model, L = (size_t)c->n_layer, T = (size_t)c->n_ctx, V = (size_t)c->vocab;
  size_t NH = (size_t)c->n_head, N = (size_t)max_B * T;
  size_t asz[25] = {N * C,     L * N * C, L * N,     L * N, 3 * L * N * C, L * N * C,
                    L * (size_t)max_B * NH * T * T,  L * N * C, L * N * C, L * N, L * N,
                    4 * L * N * C, 4 * L * N * C, L * N * C, N * C, N, N, N * V, N, N * C,
                    N * C,     N * C,     3 * N * C, N * C, 4 * N * C};
  size_t atotal = 0;
  for (int i = 0; i < 25; i++) atotal += max_B ? asz[i] : 0;
  g->nthreads = max_threads();
  size_t hs = C / NH, att_s = sf_attention_scratch((int)T, (int)hs);
  g->scratch_per = att_s > 2 * C ? att_s : 2 * C;
  g->mem = malloc(sizeof(float) * 4 * g->n);
  if (max_B) {
    g->actmem = malloc(sizeof(float) * atotal);
    g->scratch = malloc(sizeof(float) * g->scratch_per * (size_t)g->nthreads);
    g->tokens = malloc(sizeof(int) * N);
    g->targets = malloc(sizeof(int) * N);
  }
  if (!g->mem || (max_B && (!g->actmem || !g->scratch || !g->tokens || !g->targets))) {
    sf_gpt_free(g);
    return sf_fail(SF_ENOMEM, "out of memory for a model of %.3g parameters and %zu activations", (double)g->n,
                   atotal);
  }
  g->params = g->mem;
  g->grads = g->mem + g->n;
  g->m = g->mem + 2 * g->n;
  g->v = g->mem + 3 * g->n;
  memset(g->grads, 0, sizeof(float) * 3 * g->n);
  float **ap[25] = {&g->a.encoded, &g->a.ln1,  &g->a.ln1_mean, &g->a.ln1_rstd, &g->a.qkv,      &g->a.atty,
                    &g->a.att,     &g->a.res2, &g->a.ln2,      &g->a.ln2_mean, &g->a.ln2_rstd, &g->a.fch,
                    &g->a.fch_gelu, &g->a.res3, &g->a.lnf,     &g->a.lnf_mean, &g->a.lnf_rstd, &g->a.probs,
                    &g->a.losses, &g->a.tmp,  &g->a.dres,     &g->a.dln,      &g->a.dqkv,     &g->a.datty,
                    &g->a.dfch};
  float *p = g->actmem;
  for (int i = 0; i < 25 && max_B; i++) {
    *ap[i] = p;
    p += asz[i];
  }

  /* GPT-2 initialisation; one RNG stream in parameter order, so the weights depend on seed only */
  uint64_t rng[4];
  sf_rng_seed(rng, seed);
  double resid_std = 0.02 / sqrt(2.0 * (double)L);
  for (int i = 0; i < NPT; i++) {
    float *w = g->params + g->off[i];
    if (i == P_LN1W || i == P_LN2W || i == P_LNFW) {
      for (size_t k = 0; k < g->sz[i]; k++) w[k] = 1.0f;
    } else if (!tensor_decays[i]) {
      memset(w, 0, sizeof(float) * g->sz[i]);
    } else {
      double std = (i == P_PROJW || i == P_FCPW) ? resid_std : 0.02;
      for (size_t k = 0; k < g->sz[i]; k++) w[k] = (float)(std * sf_rng_normal(rng));
    }
  }
  *out = g;
  return SF_OK;
}

int sf_gpt_new(const sf_gpt_config *c, int max_B, uint64_t seed, sf_gpt **out) {
  *out = NULL;
  if (max_B < 1) return sf_fail(SF_EINPUT, "batch of %d sequences must be at least 1", max_B);
  return gpt_new(c, max_B, seed, out);
}

int sf_gpt_new_params(const sf_gpt_config *c, uint64_t seed, sf_gpt **out) { return gpt_new(c, 0, seed, out); }

void sf_gpt_free(sf_gpt *g) {
  if (!g) return;
  free(g->mem);
  free(g->actmem);
  free(g->scratch);
  free(g->tokens);
  free(g->targets);
  free(g);
}

void sf_gpt_zero_grad(sf_gpt *g) { memset(g->grads, 0, sizeof(float) * g->n); }

/* The per-thread scratch was sized for the threads at creation; never run with more. */
static void cap_threads(const sf_gpt *g) {
#ifdef _OPENMP
  if (omp_get_max_threads() > g->nthreads) omp_set_num_threads(g->nthreads);
#else
  (void)g;
#endif
}

#define PT(base, i) ((base) + g->off[i])

double sf_gpt_forward(sf_gpt *g, const int *tokens, const int *targets, int B, int T) {
  cap_threads(g);
  const int C = g->c.d_model, L = g->c.n_layer, NH = g->c.n_head, V = g->c.vocab;
  const int N = B * T;
  const size_t NC = (size_t)N * C;
  acts *a = &g->a;
  const float *P = g->params;
  if (B < 1 || B > g->max_B || T < 1 || T > g->c.n_ctx) return NAN; /* contract broken by the caller */
  g->B = B;
  g->T = T;
  memcpy(g->tokens, tokens, sizeof(int) * (size_t)N);
  memcpy(g->targets, targets, sizeof(int) * (size_t)N);

  sf_encoder_forward(a->encoded, tokens, PT(P, P_WTE), PT(P, P_WPE), B, T, C);
  for (int l = 0; l < L; l++) {
    const float *res = l == 0 ? a->encoded : a->res3 + (size_t)(l - 1) * NC;
    float *ln1 = a->ln1 + l * NC, *qkv = a->qkv + 3 * l * NC, *atty = a->atty + l * NC;
    float *att = a->att + (size_t)l * B * NH * T * T, *res2 = a->res2 + l * NC, *ln2 = a->ln2 + l * NC;
    float *fch = a->fch + 4 * l * NC, *fcg = a->fch_gelu + 4 * l * NC, *res3 = a->res3 + l * NC;
    size_t lc = (size_t)l * C;
    sf_layernorm_forward(ln1, a->ln1_mean + (size_t)l * N, a->ln1_rstd + (size_t)l * N, res, PT(P, P_LN1W) + lc,
                         PT(P, P_LN1B) + lc, N, C);
    sf_matmul_forward(qkv, ln1, PT(P, P_QKVW) + lc * 3 * C, PT(P, P_QKVB) + 3 * lc, N, C, 3 * C);
    sf_attention_forward(atty, att, qkv, g->scratch, B, T, C, NH);
    sf_matmul_forward(a->tmp, atty, PT(P, P_PROJW) + lc * C, PT(P, P_PROJB) + lc, N, C, C);
    sf_residual_forward(res2, res, a->tmp, NC);
    sf_layernorm_forward(ln2, a->ln2_mean + (size_t)l * N, a->ln2_rstd + (size_t)l * N, res2, PT(P, P_LN2W) + lc,
                         PT(P, P_LN2B) + lc, N, C);
    sf_matmul_forward(fch, ln2, PT(P, P_FCW) + lc * 4 * C, PT(P, P_FCB) + 4 * lc, N, C, 4 * C);
    sf_gelu_forward(fcg, fch, 4 * NC);
    sf_matmul_forward(a->tmp, fcg, PT(P, P_FCPW) + lc * 4 * C, PT(P, P_FCPB) + lc, N, 4 * C, C);
    sf_residual_forward(res3, res2, a->tmp, NC);
  }
  const float *last = a->res3 + (size_t)(L - 1) * NC;
  sf_layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, last, PT(P, P_LNFW), PT(P, P_LNFB), N, C);
  sf_matmul_forward(a->probs, a->lnf, PT(P, P_WTE), NULL, N, C, V);
  return sf_crossentropy_forward(a->probs, a->losses, targets, N, V);
}

void sf_gpt_backward(sf_gpt *g, float scale) {
  cap_threads(g);
  const int C = g->c.d_model, L = g->c.n_layer, NH = g->c.n_head, V = g->c.vocab;
  const int B = g->B, T = g->T, N = B * T;
  const size_t NC = (size_t)N * C;
  acts *a = &g->a;
  const float *P = g->params;
  float *G = g->grads;

  /* LM head (tied to wte): dlogits in place over the probabilities */
  sf_crossentropy_backward(a->probs, a->probs, g->targets, scale, N, V);
  sf_matmul_backward(a->dln, PT(G, P_WTE), NULL, a->probs, a->lnf, PT(P, P_WTE), N, C, V);
  memset(a->dres, 0, sizeof(float) * NC);
  const float *last = a->res3 + (size_t)(L - 1) * NC;
  sf_layernorm_backward(a->dres, PT(G, P_LNFW), PT(G, P_LNFB), g->scratch, a->dln, last, PT(P, P_LNFW), a->lnf_mean,
                        a->lnf_rstd, N, C);
  for (int l = L - 1; l >= 0; l--) {
    const float *res = l == 0 ? a->encoded : a->res3 + (size_t)(l - 1) * NC;
    const float *ln1 = a->ln1 + l * NC, *qkv = a->qkv + 3 * l * NC, *atty = a->atty + l * NC;
    const float *att = a->att + (size_t)l * B * NH * T * T, *res2 = a->res2 + l * NC, *ln2 = a->ln2 + l * NC;
    const float *fch = a->fch + 4 * l * NC, *fcg = a->fch_gelu + 4 * l * NC;
    size_t lc = (size_t)l * C;
    /* res3 = res2 + fcproj(gelu(fc(ln2(res2)))): dres is the gradient of res3, and of res2's skip path */
    sf_matmul_backward(a->dfch, PT(G, P_FCPW) + lc * 4 * C, PT(G, P_FCPB) + lc, a->dres, fcg,
                       PT(P, P_FCPW) + lc * 4 * C, N, 4 * C, C);
    sf_gelu_backward(a->dfch, fch, a->dfch, 4 * NC);
    sf_matmul_backward(a->dln, PT(G, P_FCW) + lc * 4 * C, PT(G, P_FCB) + 4 * lc, a->dfch, ln2,
                       PT(P, P_FCW) + lc * 4 * C, N, C, 4 * C);
    sf_layernorm_backward(a->dres, PT(G, P_LN2W) + lc, PT(G, P_LN2B) + lc, g->scratch, a->dln, res2,
                          PT(P, P_LN2W) + lc, a->ln2_mean + (size_t)l * N, a->ln2_rstd + (size_t)l * N, N, C);
    /* res2 = res + proj(attention(qkv(ln1(res)))): dres is now the gradient of res2 */
    sf_matmul_backward(a->datty, PT(G, P_PROJW) + lc * C, PT(G, P_PROJB) + lc, a->dres, atty, PT(P, P_PROJW) + lc * C,
                       N, C, C);
    sf_attention_backward(a->dqkv, a->datty, qkv, att, g->scratch, B, T, C, NH);
    sf_matmul_backward(a->dln, PT(G, P_QKVW) + lc * 3 * C, PT(G, P_QKVB) + 3 * lc, a->dqkv, ln1,
                       PT(P, P_QKVW) + lc * 3 * C, N, C, 3 * C);
    sf_layernorm_backward(a->dres, PT(G, P_LN1W) + lc, PT(G, P_LN1B) + lc, g->scratch, a->dln, res,
                          PT(P, P_LN1W) + lc, a->ln1_mean + (size_t)l * N, a->ln1_rstd + (size_t)l * N, N, C);
  }
  sf_encoder_backward(PT(G, P_WTE), PT(G, P_WPE), a->dres, g->tokens, B, T, C);
}
