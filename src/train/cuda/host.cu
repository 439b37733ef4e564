/* host.cu: one layer at a time on host arrays (gpu.h's sf_cuda_host_*), so that the tests can hold
 * every kernel against its CPU reference from plain C: copy in, poison what the kernel overwrites
 * with NaN (all bits set), run exactly the device function the model runs, copy out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train/cuda/common.cuh"
#include "train/cuda/gpu.h"
#include "train/cuda/plan.h"

/* The device buffers of one call, freed together. */
typedef struct dev {
  void *p[24];
  int n;
  int rc;
  sfk_ctx x;
  int have_x;
} dev;

static void *dalloc(dev *d, size_t bytes) {
  if (d->rc) return NULL;
  if (d->n == 24) {
    d->rc = sf_fail(SF_EINTERNAL, "cuda: too many buffers");
    return NULL;
  }
  void *p = NULL;
  cudaError_t e = cudaMalloc(&p, bytes ? bytes : 4);
  if (e != cudaSuccess) {
    d->rc = sf_cuda_fail(e, "cudaMalloc");
    return NULL;
  }
  d->p[d->n++] = p;
  return p;
}

/* a device copy of host[bytes] */
static void *up(dev *d, const void *host, size_t bytes) {
  void *p = dalloc(d, bytes);
  if (!p) return NULL;
  cudaError_t e = cudaMemcpy(p, host, bytes, cudaMemcpyHostToDevice);
  if (e != cudaSuccess) d->rc = sf_cuda_fail(e, "cudaMemcpy (to the device)");
  return d->rc ? NULL : p;
}

/* bytes of all bits set: NaN as floats (0xffffffff) and as bf16 (0xffff) */
static void *poison(dev *d, size_t bytes) {
  void *p = dalloc(d, bytes);
  if (!p) return NULL;
  cudaError_t e = cudaMemset(p, 0xff, bytes);
  if (e != cudaSuccess) d->rc = sf_cuda_fail(e, "cudaMemset");
  return d->rc ? NULL : p;
}

static float *poisoned(dev *d, size_t n) { return (float *)poison(d, sizeof(float) * n); }

static void down(dev *d, void *host, const void *p, size_t bytes) {
  if (d->rc) return;
  cudaError_t e = cudaMemcpy(host, p, bytes, cudaMemcpyDeviceToHost);
  if (e != cudaSuccess) d->rc = sf_cuda_fail(e, "cudaMemcpy (to the host)");
}

static void ctx(dev *d, sf_precision p, size_t n16, size_t nones) {
  if (d->rc) return;
  d->have_x = 1;
  d->rc = sfk_ctx_init(&d->x, p, n16, nones);
}

static int finish(dev *d) {
  if (!d->rc) {
    cudaError_t e = cudaDeviceSynchronize();
    if (e != cudaSuccess) d->rc = sf_cuda_fail(e, "cudaDeviceSynchronize");
  }
  if (d->have_x) sfk_ctx_free(&d->x);
  for (int i = 0; i < d->n; i++) cudaFree(d->p[i]);
  return d->rc;
}

/* N rows of V floats from host into a device matrix whose rows are ld >= V apart, the padding
 * poisoned (the model's logits: sf_vocab_ld) */
static float *up_rows(dev *d, const float *host, int N, int V, int ld) {
  float *p = poisoned(d, (size_t)N * ld);
  if (!p) return NULL;
  cudaError_t e = cudaMemcpy2D(p, sizeof(float) * ld, host, sizeof(float) * V, sizeof(float) * V, N,
                               cudaMemcpyHostToDevice);
  if (e != cudaSuccess) d->rc = sf_cuda_fail(e, "cudaMemcpy2D (to the device)");
  return d->rc ? NULL : p;
}

/* the N rows of V floats back, after checking that the padding is still poison (never written) */
static void down_rows(dev *d, float *host, const float *p, int N, int V, int ld) {
  float *all = d->rc ? NULL : (float *)malloc(sizeof(float) * ((size_t)N * ld + 1));
  if (!d->rc && !all) d->rc = sf_fail(SF_ENOMEM, "out of memory");
  down(d, all, p, sizeof(float) * (size_t)N * ld);
  for (int n = 0; !d->rc && n < N; n++) {
    memcpy(host + (size_t)n * V, all + (size_t)n * ld, sizeof(float) * V);
    for (int v = V; v < ld; v++) {
      uint32_t bits;
      memcpy(&bits, &all[(size_t)n * ld + v], sizeof bits);
      if (bits != 0xffffffffu) d->rc = sf_fail(SF_EINTERNAL, "cuda: padding column %d of row %d written", v, n);
    }
  }
  free(all);
}

/* n values of host rounded to bf16 on the device (sfk_to_bf16: the model's rounding) */
static __nv_bfloat16 *up16(dev *d, const float *host, size_t n) {
  float *f = (float *)up(d, host, sizeof(float) * n);
  __nv_bfloat16 *p = (__nv_bfloat16 *)dalloc(d, sizeof(__nv_bfloat16) * n);
  if (!d->rc) d->rc = sfk_to_bf16(p, f, n);
  return d->rc ? NULL : p;
}

static __nv_bfloat16 *poisoned16(dev *d, size_t n) { return (__nv_bfloat16 *)poison(d, sizeof(__nv_bfloat16) * n); }

/* n bf16 values back as floats (exact: bf16 is the top half of an fp32) */
static void down16(dev *d, float *host, const __nv_bfloat16 *p, size_t n) {
  uint16_t *h = d->rc ? NULL : (uint16_t *)malloc(sizeof(uint16_t) * (n ? n : 1));
  if (!d->rc && !h) d->rc = sf_fail(SF_ENOMEM, "out of memory");
  down(d, h, p, sizeof(uint16_t) * n);
  for (size_t i = 0; !d->rc && i < n; i++) {
    uint32_t bits = (uint32_t)h[i] << 16;
    memcpy(&host[i], &bits, sizeof bits);
  }
  free(h);
}

static size_t max3(size_t a, size_t b, size_t c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }

#define F(n) (sizeof(float) * (size_t)(n))
#define RUN(call)                                                                                    \
  do {                                                                                               \
    if (!D.rc) D.rc = (call);                                                                        \
  } while (0)

int sf_cuda_host_encoder_forward(float *out, const int *inp, const float *wte, const float *wpe, int B, int T, int C,
                                 int V) {
  dev D = {};
  size_t N = (size_t)B * T;
  int *di = (int *)up(&D, inp, sizeof(int) * N);
  float *dwte = (float *)up(&D, wte, F((size_t)V * C)), *dwpe = (float *)up(&D, wpe, F((size_t)T * C));
  float *dout = poisoned(&D, N * C);
  RUN(sfk_encoder_forward(dout, di, dwte, dwpe, B, T, C));
  down(&D, out, dout, F(N * C));
  return finish(&D);
}

int sf_cuda_host_encoder_backward(float *dwte, float *dwpe, const float *dout, const int *inp, int B, int T, int C,
                                  int V) {
  dev D = {};
  int N = B * T;
  int *count = (int *)malloc(sizeof(int) * (size_t)V), *uid = (int *)malloc(sizeof(int) * (size_t)N);
  int *off = (int *)malloc(sizeof(int) * ((size_t)N + 1)), *pos = (int *)malloc(sizeof(int) * (size_t)N);
  if (!count || !uid || !off || !pos) D.rc = sf_fail(SF_ENOMEM, "out of memory");
  int nu = D.rc ? 0 : sfk_encoder_buckets(inp, N, V, count, uid, off, pos);
  int *du = (int *)up(&D, uid, sizeof(int) * (size_t)(nu ? nu : 1)), *dof = (int *)up(&D, off, sizeof(int) * (size_t)(nu + 1));
  int *dp = (int *)up(&D, pos, sizeof(int) * (size_t)N);
  float *dd = (float *)up(&D, dout, F((size_t)N * C));
  float *gwte = (float *)up(&D, dwte, F((size_t)V * C)), *gwpe = (float *)up(&D, dwpe, F((size_t)T * C));
  int *dnu = (int *)up(&D, &nu, sizeof nu);
  /* a grid for N ids, as a captured step launches it: the blocks past nu must leave */
  RUN(sfk_encoder_backward(gwte, gwpe, dd, dnu, du, dof, dp, N, B, T, C));
  down(&D, dwte, gwte, F((size_t)V * C));
  down(&D, dwpe, gwpe, F((size_t)T * C));
  free(count);
  free(uid);
  free(off);
  free(pos);
  return finish(&D);
}

int sf_cuda_host_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                                   const float *b, int N, int C) {
  dev D = {};
  size_t NC = (size_t)N * C;
  float *di = (float *)up(&D, inp, F(NC)), *dw = (float *)up(&D, w, F(C)), *db = (float *)up(&D, b, F(C));
  float *o = poisoned(&D, NC), *m = poisoned(&D, (size_t)N), *r = poisoned(&D, (size_t)N);
  RUN(sfk_layernorm_forward(o, NULL, m, r, di, dw, db, N, C));
  down(&D, out, o, F(NC));
  down(&D, mean, m, F(N));
  down(&D, rstd, r, F(N));
  return finish(&D);
}

int sf_cuda_host_residual_layernorm(float *res, float *out, float *mean, float *rstd, const float *a, const float *b,
                                    const float *bias, const float *w, const float *lb, int N, int C) {
  dev D = {};
  size_t NC = (size_t)N * C;
  float *da = (float *)up(&D, a, F(NC)), *db = (float *)up(&D, b, F(NC)), *dbias = (float *)up(&D, bias, F(C));
  float *dw = (float *)up(&D, w, F(C)), *dlb = (float *)up(&D, lb, F(C));
  float *r = poisoned(&D, NC), *o = poisoned(&D, NC), *m = poisoned(&D, (size_t)N), *s = poisoned(&D, (size_t)N);
  RUN(sfk_residual_layernorm(r, da, db, dbias, o, NULL, m, s, dw, dlb, N, C));
  down(&D, res, r, F(NC));
  down(&D, out, o, F(NC));
  down(&D, mean, m, F(N));
  down(&D, rstd, s, F(N));
  return finish(&D);
}

int sf_cuda_host_layernorm_backward(float *dinp, float *dinp16, float *dsum, float *dw, float *db, const float *dout,
                                    const float *inp, const float *w, const float *mean, const float *rstd, int N,
                                    int C) {
  dev D = {};
  size_t NC = (size_t)N * C;
  ctx(&D, SF_PREC_FP32, 0, (size_t)N);
  float *gi = (float *)up(&D, dinp, F(NC)), *gw = (float *)up(&D, dw, F(C)), *gb = (float *)up(&D, db, F(C));
  float *dd = (float *)up(&D, dout, F(NC)), *x = (float *)up(&D, inp, F(NC)), *ww = (float *)up(&D, w, F(C));
  float *m = (float *)up(&D, mean, F(N)), *r = (float *)up(&D, rstd, F(N)), *tmp = poisoned(&D, NC);
  __nv_bfloat16 *g16 = dinp16 ? poisoned16(&D, NC) : NULL;
  float *gs = dsum ? (float *)up(&D, dsum, F(C)) : NULL;
  RUN(sfk_layernorm_backward(&D.x, gi, g16, gs, gw, gb, tmp, dd, x, ww, m, r, N, C));
  if (dinp16) down16(&D, dinp16, g16, NC);
  if (dsum) down(&D, dsum, gs, F(C));
  down(&D, dinp, gi, F(NC));
  down(&D, dw, gw, F(C));
  down(&D, db, gb, F(C));
  return finish(&D);
}

int sf_cuda_host_matmul_forward(sf_precision p, float *out, const float *inp, const float *w, const float *bias, int N,
                                int C, int OC) {
  dev D = {};
  ctx(&D, p, max3((size_t)N * C, (size_t)OC * C, 1), (size_t)N);
  float *di = (float *)up(&D, inp, F((size_t)N * C)), *dw = (float *)up(&D, w, F((size_t)OC * C));
  float *dbias = bias ? (float *)up(&D, bias, F(OC)) : NULL, *o = poisoned(&D, (size_t)N * OC);
  RUN(sfk_matmul_forward(&D.x, o, di, NULL, dw, NULL, dbias, N, C, OC, OC));
  down(&D, out, o, F((size_t)N * OC));
  return finish(&D);
}

int sf_cuda_host_matmul_backward(sf_precision p, float *dinp, float *dw, float *dbias, const float *dout,
                                 const float *inp, const float *w, int N, int C, int OC) {
  dev D = {};
  ctx(&D, p, max3((size_t)N * C, (size_t)OC * C, (size_t)N * OC), (size_t)N);
  float *dd = (float *)up(&D, dout, F((size_t)N * OC)), *x = (float *)up(&D, inp, F((size_t)N * C));
  float *ww = (float *)up(&D, w, F((size_t)OC * C)), *gw = (float *)up(&D, dw, F((size_t)OC * C));
  float *gb = dbias ? (float *)up(&D, dbias, F(OC)) : NULL, *gi = dinp ? poisoned(&D, (size_t)N * C) : NULL;
  RUN(sfk_matmul_backward(&D.x, gi, NULL, gw, gb, dd, NULL, x, NULL, ww, NULL, N, C, OC, OC));
  if (dinp) down(&D, dinp, gi, F((size_t)N * C));
  down(&D, dw, gw, F((size_t)OC * C));
  if (dbias) down(&D, dbias, gb, F(OC));
  return finish(&D);
}

int sf_cuda_host_matmul16(float *out, float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                          const float *w, int N, int C, int OC) {
  dev D = {};
  size_t NC = (size_t)N * C, NO = (size_t)N * OC, OCC = (size_t)OC * C;
  ctx(&D, SF_PREC_BF16, max3(NC, OCC, NO), (size_t)N);
  __nv_bfloat16 *x = up16(&D, inp, NC), *ww = up16(&D, w, OCC), *dd = up16(&D, dout, NO);
  __nv_bfloat16 *o = poisoned16(&D, NO), *gi = poisoned16(&D, NC);
  float *gw = (float *)up(&D, dw, F(OCC)), *gb = (float *)up(&D, dbias, F(OC));
  RUN(sfk_matmul_forward16(&D.x, o, x, ww, N, C, OC, OC));
  /* the bf16 MLP's backward: dout only in bf16 (dbias from it), dinp out in bf16 */
  RUN(sfk_matmul_backward(&D.x, NULL, gi, gw, gb, NULL, dd, NULL, x, NULL, ww, N, C, OC, OC));
  down16(&D, out, o, NO);
  down16(&D, dinp, gi, NC);
  down(&D, dw, gw, F(OCC));
  down(&D, dbias, gb, F(OC));
  return finish(&D);
}

int sf_cuda_host_gelu16(float *out, float *dinp, float *dbias, const float *inp, const float *bias, const float *dout,
                        int OC, size_t n) {
  dev D = {};
  __nv_bfloat16 *x = up16(&D, inp, n), *dd = up16(&D, dout, n), *o = poisoned16(&D, n), *g = poisoned16(&D, n);
  float *b = (float *)up(&D, bias, F(OC));
  /* the model's scratch for the bias sums: [N, C] floats for rows of OC = 4 C */
  float *db = dbias ? (float *)up(&D, dbias, F(OC)) : NULL, *part = dbias ? poisoned(&D, n / 4) : NULL;
  ctx(&D, SF_PREC_BF16, 0, n / (size_t)OC);
  RUN(sfk_gelu_forward16(o, x, b, OC, n));
  RUN(sfk_gelu_backward16(&D.x, g, x, b, dd, OC, n, db, part, n / 4));
  down16(&D, out, o, n);
  down16(&D, dinp, g, n);
  if (dbias) down(&D, dbias, db, F(OC));
  return finish(&D);
}

int sf_cuda_host_attention_forward(sf_precision p, float *out, float *att, const float *qkv, int B, int T, int C,
                                   int NH) {
  dev D = {};
  size_t NC = (size_t)B * T * C, ATT = (size_t)B * NH * T * T;
  ctx(&D, p, max3(NC, ATT, 1), 1);
  float *dq = (float *)up(&D, qkv, F(3 * NC)), *o = poisoned(&D, NC), *a = poisoned(&D, ATT);
  float *qkvh = poisoned(&D, 3 * NC), *yh = poisoned(&D, NC);
  RUN(sfk_attention_forward(&D.x, o, a, qkvh, yh, dq, B, T, C, NH));
  down(&D, out, o, F(NC));
  down(&D, att, a, F(ATT));
  return finish(&D);
}

int sf_cuda_host_attention_backward(sf_precision p, float *dqkv, const float *dout, const float *qkv, int B, int T,
                                    int C, int NH) {
  dev D = {};
  size_t NC = (size_t)B * T * C, ATT = (size_t)B * NH * T * T;
  ctx(&D, p, max3(NC, ATT, 1), 1);
  float *dq = (float *)up(&D, qkv, F(3 * NC)), *o = poisoned(&D, NC), *a = poisoned(&D, ATT);
  float *qkvh = poisoned(&D, 3 * NC), *yh = poisoned(&D, NC), *dd = (float *)up(&D, dout, F(NC));
  float *g = poisoned(&D, 3 * NC), *dyh = poisoned(&D, NC), *dqkvh = poisoned(&D, 3 * NC), *dpre = poisoned(&D, ATT);
  RUN(sfk_attention_forward(&D.x, o, a, qkvh, yh, dq, B, T, C, NH));
  RUN(sfk_attention_backward(&D.x, g, dd, qkvh, a, dyh, dqkvh, dpre, B, T, C, NH));
  down(&D, dqkv, g, F(3 * NC));
  return finish(&D);
}

int sf_cuda_host_flash_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH) {
  dev D = {};
  size_t NC = (size_t)B * T * C, rows = (size_t)B * NH * sfk_flash_tpad(T), hrows = rows * (C / NH);
  float *dq = (float *)up(&D, qkv, F(3 * NC)), *o = poisoned(&D, NC), *l = poisoned(&D, rows);
  __nv_bfloat16 *qkvh = (__nv_bfloat16 *)poisoned(&D, (3 * hrows + 1) / 2);
  RUN(sfk_flash_forward(o, NULL, qkvh, l, dq, NULL, NULL, B, T, C, NH));
  down(&D, out, o, F(NC));
  for (size_t bh = 0; !D.rc && bh < (size_t)B * NH; bh++) /* the rows t < T of each (b, h) */
    down(&D, lse + bh * T, l + bh * sfk_flash_tpad(T), F(T));
  return finish(&D);
}

int sf_cuda_host_flash_backward(float *dqkv, const float *dout, const float *qkv, int B, int T, int C, int NH) {
  dev D = {};
  size_t NC = (size_t)B * T * C, rows = (size_t)B * NH * sfk_flash_tpad(T), hrows = rows * (C / NH);
  float *dq = (float *)up(&D, qkv, F(3 * NC)), *o = poisoned(&D, NC), *l = poisoned(&D, rows);
  __nv_bfloat16 *qkvh = (__nv_bfloat16 *)poisoned(&D, (3 * hrows + 1) / 2);
  __nv_bfloat16 *doh = (__nv_bfloat16 *)poisoned(&D, (hrows + 1) / 2);
  float *dd = (float *)up(&D, dout, F(NC)), *g = poisoned(&D, 3 * NC), *dsum = poisoned(&D, rows);
  RUN(sfk_flash_forward(o, NULL, qkvh, l, dq, NULL, NULL, B, T, C, NH));
  RUN(sfk_flash_backward(g, NULL, dd, NULL, o, NULL, qkvh, l, doh, dsum, B, T, C, NH));
  down(&D, dqkv, g, F(3 * NC));
  return finish(&D);
}

int sf_cuda_host_flash_backward16(float *dqkv, const float *dout, const float *qkv, int B, int T, int C, int NH) {
  dev D = {};
  size_t NC = (size_t)B * T * C, rows = (size_t)B * NH * sfk_flash_tpad(T), hrows = rows * (C / NH);
  __nv_bfloat16 *q16 = up16(&D, qkv, 3 * NC), *o16 = poisoned16(&D, NC), *d16 = up16(&D, dout, NC);
  __nv_bfloat16 *qkvh = poisoned16(&D, 3 * hrows), *doh = poisoned16(&D, hrows), *g16 = poisoned16(&D, 3 * NC);
  float *l = poisoned(&D, rows), *dsum = poisoned(&D, rows);
  RUN(sfk_flash_forward(NULL, o16, qkvh, l, NULL, q16, NULL, B, T, C, NH));
  RUN(sfk_flash_backward(NULL, g16, NULL, d16, NULL, o16, qkvh, l, doh, dsum, B, T, C, NH));
  down16(&D, dqkv, g16, 3 * NC);
  return finish(&D);
}

int sf_cuda_host_gelu_forward(float *out, const float *inp, size_t n) {
  dev D = {};
  float *x = (float *)up(&D, inp, F(n)), *o = poisoned(&D, n);
  RUN(sfk_gelu_forward(o, x, NULL, 1, n));
  down(&D, out, o, F(n));
  return finish(&D);
}

int sf_cuda_host_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
  dev D = {};
  float *x = (float *)up(&D, inp, F(n)), *dd = (float *)up(&D, dout, F(n)), *o = poisoned(&D, n);
  RUN(sfk_gelu_backward(o, x, dd, n));
  down(&D, dinp, o, F(n));
  return finish(&D);
}

int sf_cuda_host_residual_forward(float *out, const float *a, const float *b, size_t n) {
  dev D = {};
  float *x = (float *)up(&D, a, F(n)), *y = (float *)up(&D, b, F(n)), *o = poisoned(&D, n);
  RUN(sfk_residual_forward(o, x, y, NULL, 1, n));
  down(&D, out, o, F(n));
  return finish(&D);
}

int sf_cuda_host_crossentropy_forward(float *probs_inout, float *losses, const int *targets, int N, int V,
                                      double *total) {
  dev D = {};
  int ld = sf_vocab_ld(V); /* the model's layout, padding included */
  float *p = up_rows(&D, probs_inout, N, V, ld), *l = poisoned(&D, (size_t)N);
  int *t = (int *)up(&D, targets, sizeof(int) * (size_t)N);
  RUN(sfk_crossentropy_forward(p, l, t, N, V, ld));
  down_rows(&D, probs_inout, p, N, V, ld);
  down(&D, losses, l, F(N));
  double s = 0.0;
  for (int n = 0; !D.rc && n < N; n++) s += losses[n];
  *total = s;
  return finish(&D);
}

int sf_cuda_host_crossentropy_backward(float *dlogits, const float *probs, const int *targets, float scale, int N,
                                       int V) {
  dev D = {};
  int ld = sf_vocab_ld(V);
  float *p = up_rows(&D, probs, N, V, ld), *o = poisoned(&D, (size_t)N * ld);
  int *t = (int *)up(&D, targets, sizeof(int) * (size_t)N);
  RUN(sfk_crossentropy_backward(o, NULL, p, t, scale, N, V, ld));
  down_rows(&D, dlogits, o, N, V, ld);
  return finish(&D);
}

int sf_cuda_host_crossentropy_fused(float *dlogits, int bf16, float *losses, const float *logits, const int *targets,
                                    float scale, int N, int V) {
  dev D = {};
  int ld = sf_vocab_ld(V);
  size_t NL = (size_t)N * ld;
  float *p = up_rows(&D, logits, N, V, ld), *l = poisoned(&D, (size_t)N);
  __nv_bfloat16 *d16 = bf16 ? poisoned16(&D, NL) : NULL;
  int *t = (int *)up(&D, targets, sizeof(int) * (size_t)N);
  float *dscale = (float *)up(&D, &scale, sizeof scale);
  if (bf16) {
    /* bf16 logits, in place: the poisoned rows get the logits' bf16 values, the padding stays NaN */
    for (int n = 0; !D.rc && n < N; n++) {
      RUN(sfk_to_bf16(d16 + (size_t)n * ld, p + (size_t)n * ld, (size_t)V));
    }
    RUN(sfk_crossentropy_fused16(d16, l, t, dscale, N, V, ld));
  } else {
    RUN(sfk_crossentropy_fused(p, l, t, dscale, N, V, ld));
  }
  down(&D, losses, l, F(N));
  if (!bf16) {
    down_rows(&D, dlogits, p, N, V, ld);
  } else {
    uint16_t *h = (uint16_t *)malloc(sizeof(uint16_t) * (NL ? NL : 1));
    if (!h && !D.rc) D.rc = sf_fail(SF_ENOMEM, "out of memory");
    down(&D, h, d16, sizeof(uint16_t) * NL);
    for (size_t i = 0; !D.rc && i < NL; i++) { /* bf16 is the top half of an fp32 */
      uint32_t bits = (uint32_t)h[i] << 16;
      if ((int)(i % ld) >= V) { /* zeros: the head's dinp product reads them */
        if (h[i] != 0) D.rc = sf_fail(SF_EINTERNAL, "cuda: padding of bf16 row %zu is not zero", i / ld);
        continue;
      }
      memcpy(&dlogits[i / ld * V + i % ld], &bits, sizeof bits);
    }
    free(h);
  }
  return finish(&D);
}

int sf_cuda_host_adamw(float *p, uint16_t *p16, const float *g, float *m, float *v, const size_t *off, const int *decay,
                       int ntensors, float lr, float c1, float c2, float wd, float gscale) {
  if (ntensors < 1 || ntensors > SFK_ADAMW_TENSORS)
    return sf_fail(SF_EINTERNAL, "cuda: adamw over %d tensors (1 to %d)", ntensors, (int)SFK_ADAMW_TENSORS);
  sfk_adamw_layout t;
  memset(&t, 0, sizeof t);
  t.n = ntensors;
  for (int k = 0; k <= ntensors; k++) t.off[k] = off[k];
  for (int k = 0; k < ntensors; k++)
    if (decay[k]) t.decay |= 1u << k;
  size_t n = off[ntensors];
  dev D = {};
  float *dp = (float *)up(&D, p, F(n)), *dg = (float *)up(&D, g, F(n));
  float *dm = (float *)up(&D, m, F(n)), *dv = (float *)up(&D, v, F(n));
  __nv_bfloat16 *d16 = NULL;
  if (p16 && (d16 = (__nv_bfloat16 *)dalloc(&D, sizeof(uint16_t) * n))) {
    cudaError_t e = cudaMemset(d16, 0xff, sizeof(uint16_t) * n); /* NaN: what the kernel must overwrite */
    if (e != cudaSuccess) D.rc = sf_cuda_fail(e, "cudaMemset");
  }
  sfk_scalars sc;
  memset(&sc, 0, sizeof sc);
  sc.lr = lr;
  sc.c1 = c1;
  sc.c2 = c2;
  sc.wd = wd;
  sc.gscale = gscale;
  sfk_scalars *ds = (sfk_scalars *)up(&D, &sc, sizeof sc);
  RUN(sfk_adamw_all(dp, d16, dg, dm, dv, &t, ds));
  down(&D, p, dp, F(n));
  down(&D, m, dm, F(n));
  down(&D, v, dv, F(n));
  if (p16) down(&D, p16, d16, sizeof(uint16_t) * n);
  return finish(&D);
}

int sf_cuda_host_sumsq(const float *x, size_t n, double *out) {
  dev D = {};
  float *dx = (float *)up(&D, x, F(n));
  double *part = (double *)dalloc(&D, sizeof(double) * SFK_NORM_BLOCKS), hp[SFK_NORM_BLOCKS];
  RUN(sfk_sumsq_partials(part, dx, n));
  down(&D, hp, part, sizeof hp);
  double s = 0.0;
  for (int i = 0; !D.rc && i < SFK_NORM_BLOCKS; i++) s += hp[i];
  *out = s;
  return finish(&D);
}

int sf_cuda_host_grad_clip(const float *x, size_t n, double clip, double *norm, float *gscale) {
  dev D = {};
  sfk_scalars sc;
  memset(&sc, 0xff, sizeof sc); /* NaN: what sfk_clip must write */
  sc.clip = clip;
  float *dx = (float *)up(&D, x, F(n));
  double *part = (double *)dalloc(&D, sizeof(double) * SFK_NORM_BLOCKS);
  sfk_scalars *ds = (sfk_scalars *)up(&D, &sc, sizeof sc);
  RUN(sfk_sumsq_partials(part, dx, n));
  RUN(sfk_clip(ds, part));
  down(&D, &sc, ds, sizeof sc);
  *norm = sc.norm;
  *gscale = sc.gscale;
  return finish(&D);
}

int sf_cuda_host_bf16_round(float *x, size_t n) {
  dev D = {};
  float *dx = (float *)up(&D, x, F(n));
  RUN(sfk_bf16_round(dx, n));
  down(&D, x, dx, F(n));
  return finish(&D);
}
