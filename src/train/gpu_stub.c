/* gpu_stub.c: the GPU trainer's interface (cuda/gpu.h) in a library built without CUDA: every
 * entry point fails with the same clear message, so `--device cuda` is an error, never a crash.
 * With CUDA (SF_HAVE_CUDA), the .cu files of src/train/cuda define these and this file compiles to nothing. */
#ifndef SF_HAVE_CUDA
#include <scalefit/sf_error.h>

#include "train/cuda/gpu.h"

#define NO_CUDA() sf_fail(SF_EINPUT, "this scalefit was built without CUDA (nvcc was not found at build time, or -DSCALEFIT_CUDA=OFF)")

int sf_cuda_built(void) { return 0; }
void sf_cuda_use(int slot, int nprocs) {
  (void)slot;
  (void)nprocs;
}
int sf_cuda_probe(char *name, size_t n) {
  if (name && n) name[0] = '\0';
  return NO_CUDA();
}
int sf_cuda_count(void) { return 0; }
int sf_cuda_cublas_check(void) { return NO_CUDA(); }
int sf_cuda_meminfo(size_t *free_bytes, size_t *total_bytes) {
  *free_bytes = *total_bytes = 0;
  return NO_CUDA();
}
int sf_cuda_memory_budget(size_t *bytes, int *sharing) {
  *bytes = 0;
  if (sharing) *sharing = 1;
  return NO_CUDA();
}
double sf_cuda_peak(sf_precision p, const char **basis) {
  if (basis) *basis = "no CUDA";
  return 0.0;
}
double sf_cuda_peak_for(const char *name, int major, int minor, int sms, int clock_khz, sf_precision p,
                        const char **basis) {
  if (basis) *basis = "no CUDA";
  return 0.0;
}
int sf_cuda_gemm_peak(sf_precision p, int n, double seconds, double *flops) {
  *flops = 0;
  return NO_CUDA();
}
int sf_cuda_set_attention(sf_cuda_attention mode) {
  (void)mode;
  return SF_OK;
}
int sf_cuda_flash(const sf_gpt_config *c, sf_precision p) { return 0; }
int sf_cuda_set_flash_forward(sf_cuda_flash_forward k) {
  (void)k;
  return SF_OK;
}
int sf_cuda_set_flash_backward(sf_cuda_flash_backward k) {
  (void)k;
  return SF_OK;
}
size_t sf_cuda_gpt_bytes(const sf_gpt_config *c, int B, sf_precision p) { return 0; }
int sf_cuda_gpt_new(const sf_gpt *host, int max_B, sf_precision p, sf_cuda_gpt **out) {
  *out = NULL;
  return NO_CUDA();
}
void sf_cuda_gpt_free(sf_cuda_gpt *d) { (void)d; }
int sf_cuda_gpt_upload(sf_cuda_gpt *d, sf_gpt *host) { return NO_CUDA(); }
int sf_cuda_gpt_download(sf_cuda_gpt *d, sf_gpt *host, int grads) { return NO_CUDA(); }
int sf_cuda_gpt_forward(sf_cuda_gpt *d, const int *tokens, const int *targets, int B, int T, double *loss) {
  return NO_CUDA();
}
int sf_cuda_gpt_forward_train(sf_cuda_gpt *d, const int *tokens, const int *targets, int B, int T, float scale,
                              double *loss) {
  return NO_CUDA();
}
int sf_cuda_gpt_probs(sf_cuda_gpt *d, float *host) { return NO_CUDA(); }
int sf_cuda_gpt_zero_grad(sf_cuda_gpt *d) { return NO_CUDA(); }
int sf_cuda_gpt_backward(sf_cuda_gpt *d, float scale) { return NO_CUDA(); }
int sf_cuda_gpt_grad_norm(sf_cuda_gpt *d, double *norm) { return NO_CUDA(); }
int sf_cuda_gpt_adamw(sf_cuda_gpt *d, double lr, long t, float gscale, double wd) { return NO_CUDA(); }
int sf_cuda_gpt_train_step(sf_cuda_gpt *d, const int *tokens, const int *targets, int accum, int B, int T,
                           float scale, double lr, long t, double clip, double wd, double *loss, double *norm) {
  return NO_CUDA();
}

int sf_cuda_host_encoder_forward(float *out, const int *inp, const float *wte, const float *wpe, int B, int T, int C,
                                 int V) {
  return NO_CUDA();
}
int sf_cuda_host_encoder_backward(float *dwte, float *dwpe, const float *dout, const int *inp, int B, int T, int C,
                                  int V) {
  return NO_CUDA();
}
int sf_cuda_host_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                                   const float *b, int N, int C) {
  return NO_CUDA();
}
int sf_cuda_host_layernorm_backward(float *dinp, float *dinp16, float *dsum, float *dw, float *db, const float *dout,
                                    const float *inp, const float *w, const float *mean, const float *rstd, int N,
                                    int C) {
  return NO_CUDA();
}
int sf_cuda_host_residual_layernorm(float *res, float *out, float *mean, float *rstd, const float *a, const float *b,
                                    const float *bias, const float *w, const float *lb, int N, int C) {
  return NO_CUDA();
}
int sf_cuda_host_matmul16(float *out, float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                          const float *w, int N, int C, int OC) {
  return NO_CUDA();
}
int sf_cuda_host_gelu16(float *out, float *dinp, float *dbias, const float *inp, const float *bias, const float *dout,
                        int OC, size_t n) {
  return NO_CUDA();
}
int sf_cuda_host_matmul_forward(sf_precision p, float *out, const float *inp, const float *w, const float *bias, int N,
                                int C, int OC) {
  return NO_CUDA();
}
int sf_cuda_host_matmul_backward(sf_precision p, float *dinp, float *dw, float *dbias, const float *dout,
                                 const float *inp, const float *w, int N, int C, int OC) {
  return NO_CUDA();
}
int sf_cuda_host_attention_forward(sf_precision p, float *out, float *att, const float *qkv, int B, int T, int C,
                                   int NH) {
  return NO_CUDA();
}
int sf_cuda_host_attention_backward(sf_precision p, float *dqkv, const float *dout, const float *qkv, int B, int T,
                                    int C, int NH) {
  return NO_CUDA();
}
int sf_cuda_host_flash_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH) {
  return NO_CUDA();
}
int sf_cuda_host_flash_backward(float *dqkv, const float *dout, const float *qkv, int B, int T, int C, int NH) {
  return NO_CUDA();
}
int sf_cuda_host_flash_backward16(float *dqkv, const float *dout, const float *qkv, int B, int T, int C, int NH) {
  return NO_CUDA();
}
int sf_cuda_host_gelu_forward(float *out, const float *inp, size_t n) { return NO_CUDA(); }
int sf_cuda_host_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) { return NO_CUDA(); }
int sf_cuda_host_residual_forward(float *out, const float *a, const float *b, size_t n) { return NO_CUDA(); }
int sf_cuda_host_crossentropy_forward(float *probs_inout, float *losses, const int *targets, int N, int V,
                                      double *total) {
  return NO_CUDA();
}
int sf_cuda_host_crossentropy_fused(float *dlogits, int bf16, float *losses, const float *logits, const int *targets,
                                    float scale, int N, int V) {
  return NO_CUDA();
}
int sf_cuda_host_crossentropy_backward(float *dlogits, const float *probs, const int *targets, float scale, int N,
                                       int V) {
  return NO_CUDA();
}
int sf_cuda_host_adamw(float *p, uint16_t *p16, const float *g, float *m, float *v, const size_t *off, const int *decay,
                       int ntensors, float lr, float c1, float c2, float wd, float gscale) {
  return NO_CUDA();
}
int sf_cuda_host_sumsq(const float *x, size_t n, double *out) { return NO_CUDA(); }
int sf_cuda_host_grad_clip(const float *x, size_t n, double clip, double *norm, float *gscale) { return NO_CUDA(); }
int sf_cuda_host_bf16_round(float *x, size_t n) { return NO_CUDA(); }
#else
typedef int sf_gpu_stub_unused; /* ISO C wants a translation unit to declare something */
#endif
