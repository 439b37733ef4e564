/* gpu.h: the CUDA trainer's C interface (internal). train.c drives the GPU model through it with
 * the same loop as the CPU model; the unit tests and bench/bench_train_cuda.c use it too.
 *
 * Built from the .cu files of src/train/cuda when CMake finds nvcc (SF_HAVE_CUDA); otherwise
 * src/train/gpu_stub.c provides every function, failing with "this scalefit was built without
 * CUDA". Nothing here needs a GPU at link time: without one, sf_cuda_probe says why and every
 * other call fails the same way, never crashes.
 *
 * Device model (model.cu): the parameters, gradients and AdamW moments live on the GPU in one
 * allocation with exactly the host layout (sf_gpt_tensor offsets), so a checkpoint is the host
 * file format: download into a host sf_gpt, save; load, upload. Activations are kept for one
 * micro-batch of up to max_B sequences, laid out like gpt.c's, plus the buffers attention and
 * bf16 need (model.cu says which).
 *
 * Every function returns SF_OK or the status of sf_fail: "cuda: <call>: <CUDA's error string>"
 * (SF_EIO; SF_ENOMEM when the GPU is out of memory) or "cublas: <call>: <status string>".
 */
#ifndef SF_TRAIN_GPU_H
#define SF_TRAIN_GPU_H

#include <stddef.h>
#include <stdint.h>

#include <scalefit/sf_train.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if this library was built with CUDA. */
int sf_cuda_built(void);
/* Which GPU the calling thread trains on when several processes or threads share the machine's GPUs
 * (sweep --jobs workers, the MPI ranks of a node): slot % device count picks the device, so K of
 * them spread over the GPUs, and a run plans its memory within its share of that device
 * (sf_cuda_memory_budget). Per thread, as CUDA's current device is. Call before sf_cuda_probe;
 * touches no CUDA state. Default: slot 0 of 1. */
void sf_cuda_use(int slot, int nprocs);
/* SF_OK and the name of this process's device (above) in name[n] if a CUDA device is usable, else
 * SF_EINPUT with the reason (see sf_train_device_check). Makes that device current for the
 * calling thread (the CUDA runtime binds devices per host thread): the trainer probes, then makes
 * every CUDA call, from the thread that calls sf_train_run. */
int sf_cuda_probe(char *name, size_t n);
/* CUDA devices the last successful sf_cuda_probe found (0 before one) */
int sf_cuda_count(void);
/* SF_OK if cuBLAS can be opened (dlopen, at the first GPU run) with every function the trainer
 * calls; SF_EINPUT saying what is missing. Needs no GPU. */
int sf_cuda_cublas_check(void);
/* Free and total memory of the current device, bytes. */
int sf_cuda_meminfo(size_t *free_bytes, size_t *total_bytes);
/* Bytes of the current device a run may plan with: 90% of the free memory, and no more than 90% of
 * this process's share of the total, total / *sharing, where *sharing (may be NULL) counts the
 * processes of sf_cuda_use that land on this device (processes started together all see the
 * memory free). After sf_cuda_probe. */
int sf_cuda_memory_budget(size_t *bytes, int *sharing);

/* The current device's dense peak (FLOP/s) for the matrix products in precision p (fp32, tf32,
 * bf16), from the table in model.cu (A100, H100 SXM/PCIe, H200 by name, with their published
 * dense figures) or, for another GPU, SMs x clock x per-SM throughput of its compute capability.
 * *basis (may be NULL) receives a static description of where the figure comes from. 0 without
 * a device. */
double sf_cuda_peak(sf_precision p, const char **basis);
/* The measured peak: FLOP/s of the trainer's own product (sfk_matmul_forward, as a linear layer
 * with n inputs, n outputs and n rows) in precision p on random n x n operands, repeated for about
 * `seconds` after one warm-up product: the peer that the trainer's MFU is read against, beside the
 * data-sheet figure of sf_cuda_peak (8192 gives a GPU's practical peak). */
int sf_cuda_gemm_peak(sf_precision p, int n, double seconds, double *flops);
/* The same from a device's description alone (for the tests): name, compute capability
 * major.minor, SM count and boost clock in kHz (as cudaDeviceProp has them). */
double sf_cuda_peak_for(const char *name, int major, int minor, int sms, int clock_khz, sf_precision p,
                        const char **basis);

/* ---- the model on the GPU ---- */
typedef struct sf_cuda_gpt sf_cuda_gpt;

/* Attention: SF_ATTN_AUTO (the default) runs flash.cu's tensor-core flash attention in bf16 when
 * the head size is a multiple of 16 up to 128, and the cuBLAS path (materialising the T x T
 * probabilities) otherwise; SF_ATTN_MATMUL always the cuBLAS path (for comparisons: the benchmark
 * and the tests). SF_ATTN_FLASH is AUTO. Applies to models made after the call, process-wide. */
typedef enum { SF_ATTN_AUTO, SF_ATTN_MATMUL, SF_ATTN_FLASH } sf_cuda_attention;
int sf_cuda_set_attention(sf_cuda_attention mode);
/* 1 if a model of config c in precision p runs flash attention (under the current mode). */
int sf_cuda_flash(const sf_gpt_config *c, sf_precision p);
/* Which kernel runs flash attention's forward (flash.cu): SF_FLASH_FWD_ENV (the default) reads
 * SCALEFIT_FLASH_FORWARD at every forward, wmma (when unset), mma or mma-noprefetch, and fails with
 * SF_EINPUT naming any other value; SF_FLASH_FWD_WMMA the WMMA kernel (the default, measured on an
 * H100); SF_FLASH_FWD_MMA the register-resident mma.sync kernel, which loads the next key tile while
 * it computes on this one, and SF_FLASH_FWD_MMA_NOPREFETCH the same without (fewer registers, more
 * blocks an SM): neither yet measured on a GPU. All keep the same outputs for the same backward.
 * Process-wide, from the next forward on. */
typedef enum {
  SF_FLASH_FWD_ENV,
  SF_FLASH_FWD_WMMA,
  SF_FLASH_FWD_MMA,
  SF_FLASH_FWD_MMA_NOPREFETCH
} sf_cuda_flash_forward;
int sf_cuda_set_flash_forward(sf_cuda_flash_forward k);
/* Which kernels run flash attention's backward (flash.cu): SF_FLASH_BWD_ENV (the default) reads
 * SCALEFIT_FLASH_BACKWARD at every backward, wmma (when unset) or mma, and fails with SF_EINPUT
 * naming any other value; SF_FLASH_BWD_WMMA the WMMA kernels (the default, measured on an H100);
 * SF_FLASH_BWD_MMA the register-resident mma.sync kernels, not yet measured on a GPU. Either follows
 * either forward; both are deterministic. Process-wide, from the next backward on. */
typedef enum { SF_FLASH_BWD_ENV, SF_FLASH_BWD_WMMA, SF_FLASH_BWD_MMA } sf_cuda_flash_backward;
int sf_cuda_set_flash_backward(sf_cuda_flash_backward k);

/* Device bytes a model of config c needs with activations for B sequences of n_ctx tokens. */
size_t sf_cuda_gpt_bytes(const sf_gpt_config *c, int B, sf_precision p);
/* Allocates the device model for up to max_B sequences in precision p (fp32, tf32 or bf16) and
 * uploads host's parameters and moments (host: from sf_gpt_new or sf_gpt_new_params). */
int sf_cuda_gpt_new(const sf_gpt *host, int max_B, sf_precision p, sf_cuda_gpt **out);
void sf_cuda_gpt_free(sf_cuda_gpt *d); /* NULL-safe */
/* Copies host's parameters and both moments to the device (after a checkpoint load). */
int sf_cuda_gpt_upload(sf_cuda_gpt *d, sf_gpt *host);
/* Copies the device's parameters and both moments (and the gradients if grads) to host. */
int sf_cuda_gpt_download(sf_cuda_gpt *d, sf_gpt *host, int grads);

/* As sf_gpt_forward: tokens, targets are host arrays of B*T ids; *loss = summed cross-entropy. */
int sf_cuda_gpt_forward(sf_cuda_gpt *d, const int *tokens, const int *targets, int B, int T, double *loss);
/* As sf_cuda_gpt_forward, for a training step followed by sf_cuda_gpt_backward(d, scale): the
 * gradient of scale * loss at the logits is computed in the forward's last pass (cross-entropy's
 * forward and backward fused), so the probabilities are never stored (sf_cuda_gpt_probs refuses). */
int sf_cuda_gpt_forward_train(sf_cuda_gpt *d, const int *tokens, const int *targets, int B, int T, float scale,
                              double *loss);
/* The probabilities of the last forward, [B*T, V], into a host array. */
int sf_cuda_gpt_probs(sf_cuda_gpt *d, float *host);
/* As sf_gpt_zero_grad / sf_gpt_backward (gradients accumulate over micro-batches). */
int sf_cuda_gpt_zero_grad(sf_cuda_gpt *d);
int sf_cuda_gpt_backward(sf_cuda_gpt *d, float scale);
/* The global gradient norm (sum of squares in double, in a fixed order: deterministic). */
int sf_cuda_gpt_grad_norm(sf_cuda_gpt *d, double *norm);
/* One AdamW step exactly as train.c's (beta 0.9/0.95, eps 1e-8, decoupled decay wd on the tensors
 * sf_gpt_tensor marks), gradients scaled by gscale (clipping); t counts steps from 1. In bf16,
 * refreshes the bf16 copy of the weights. */
int sf_cuda_gpt_adamw(sf_cuda_gpt *d, double lr, long t, float gscale, double wd);
/* A whole training step, as train.c's loop strings the calls above, in one submission: zeroed
 * gradients, forward and backward of accum micro-batches of B x T (tokens, targets: host arrays of
 * accum*B*T ids, micro-batch after micro-batch) with the loss's scale, the gradient norm, the
 * clipping factor (clip / norm above clip) and AdamW with rate lr at step t (from 1) and decay wd.
 * *loss = the summed cross-entropy (micro-batch sums added in order), *norm = the norm before
 * clipping. The same kernels with the same arguments as those calls, so the same bits; the
 * difference is that the update is done before the host sees loss and norm: a norm that is not
 * finite skips it (the caller stops), a loss that is not finite does not.
 * From the second step of a shape on, the step is a CUDA graph captured once and replayed (its
 * scalars in device memory): one launch instead of a hundred or more. SCALEFIT_CUDA_GRAPHS=0
 * runs every step launch by launch instead (for comparison). */
int sf_cuda_gpt_train_step(sf_cuda_gpt *d, const int *tokens, const int *targets, int accum, int B, int T,
                           float scale, double lr, long t, double clip, double wd, double *loss, double *norm);

/* ---- single layers on host arrays, for the tests ----
 * Each copies its inputs to the device, fills the outputs it overwrites with NaN first (so a
 * value the kernel forgets stays NaN), runs the kernel(s) the model runs, and copies the outputs
 * back. Outputs that accumulate (+=) are uploaded, so pass them initialised. Shapes and
 * conventions are those of layers.h; p is the precision of the products (fp32/tf32/bf16). */
int sf_cuda_host_encoder_forward(float *out, const int *inp, const float *wte, const float *wpe, int B, int T, int C,
                                 int V);
int sf_cuda_host_encoder_backward(float *dwte, float *dwpe, const float *dout, const int *inp, int B, int T, int C,
                                  int V);
int sf_cuda_host_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                                   const float *b, int N, int C);
/* res = a + (b + bias) over rows of C, then its LayerNorm (out, mean, rstd), in one pass */
int sf_cuda_host_residual_layernorm(float *res, float *out, float *mean, float *rstd, const float *a, const float *b,
                                    const float *bias, const float *w, const float *lb, int N, int C);
/* dinp16 not NULL: the new dinp as the kernel also rounds it to bf16 (the model's bf16 path);
 * dsum [C] not NULL: dsum += the new dinp's column sums (a bias gradient, summed in the pass) */
int sf_cuda_host_layernorm_backward(float *dinp, float *dinp16, float *dsum, float *dw, float *db, const float *dout,
                                    const float *inp, const float *w, const float *mean, const float *rstd, int N,
                                    int C);
int sf_cuda_host_matmul_forward(sf_precision p, float *out, const float *inp, const float *w, const float *bias, int N,
                                int C, int OC);
int sf_cuda_host_matmul_backward(sf_precision p, float *dinp, float *dw, float *dbias, const float *dout,
                                 const float *inp, const float *w, int N, int C, int OC);
/* The bf16 MLP's products: inp, w, dout rounded to bf16 as uploaded; out = inp . w^T written in
 * bf16 by the product; dinp = dout . w in bf16; dw += dout^T . inp and dbias += the column sums of
 * the bf16 dout, in fp32. */
int sf_cuda_host_matmul16(float *out, float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
                          const float *w, int N, int C, int OC);
/* The bf16 MLP's GELU on inp and dout rounded to bf16 (n values in rows of OC): out = gelu(inp +
 * bias), dinp = gelu'(inp + bias) * dout, both rounded to bf16; dbias not NULL: dbias += dinp's
 * column sums, summed in the backward's pass with n / 4 floats of scratch (the model's; with fewer
 * than 4 rows too little, and a GEMM sums them after it). */
int sf_cuda_host_gelu16(float *out, float *dinp, float *dbias, const float *inp, const float *bias, const float *dout,
                        int OC, size_t n);
/* att[B,NH,T,T] as the CPU's (probabilities, 0 above the diagonal). */
int sf_cuda_host_attention_forward(sf_precision p, float *out, float *att, const float *qkv, int B, int T, int C,
                                   int NH);
/* Runs the forward on the device first (for its saved tensors), then the backward. */
int sf_cuda_host_attention_backward(sf_precision p, float *dqkv, const float *dout, const float *qkv, int B, int T,
                                    int C, int NH);
/* Flash attention (flash.cu, bf16; sfk_flash_supported shapes): out [N, C] and lse [B, NH, T], the
 * log of each query's softmax normaliser over its scaled scores. The backward runs the forward on
 * the device first, then the backward. */
int sf_cuda_host_flash_forward(float *out, float *lse, const float *qkv, int B, int T, int C, int NH);
int sf_cuda_host_flash_backward(float *dqkv, const float *dout, const float *qkv, int B, int T, int C, int NH);
/* The same as the bf16 model runs it: qkv and dout rounded to bf16 in, the forward's output kept in
 * bf16 only, dqkv written in bf16 only (returned as floats). */
int sf_cuda_host_flash_backward16(float *dqkv, const float *dout, const float *qkv, int B, int T, int C, int NH);
int sf_cuda_host_gelu_forward(float *out, const float *inp, size_t n);
int sf_cuda_host_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n);
int sf_cuda_host_residual_forward(float *out, const float *a, const float *b, size_t n);
/* logits in, probabilities out (in place), losses[N], *total their sum. */
int sf_cuda_host_crossentropy_forward(float *probs_inout, float *losses, const int *targets, int N, int V,
                                      double *total);
/* Forward and backward in one (the training step's): losses[N] and dlogits = scale * (p - onehot),
 * in fp32 (bf16 0), or from the logits rounded to bf16 and in bf16 over them (bf16 1: the bf16
 * training forward's; returned as floats). */
int sf_cuda_host_crossentropy_fused(float *dlogits, int bf16, float *losses, const float *logits, const int *targets,
                                    float scale, int N, int V);
int sf_cuda_host_crossentropy_backward(float *dlogits, const float *probs, const int *targets, float scale, int N,
                                       int V);
/* AdamW in one launch, as the model runs it, on ntensors tensors laid end to end in p, g, m, v (tensor
 * k: elements off[k] .. off[k+1] - 1, off[0] = 0; p, m, v updated in place): the update of train.c
 * with bias corrections c1 = 1/(1-0.9^t), c2 = 1/(1-0.95^t), weight decay wd where decay[k], 0
 * elsewhere. p16 NULL, or off[ntensors] values: the bf16 bits of the updated p. */
int sf_cuda_host_adamw(float *p, uint16_t *p16, const float *g, float *m, float *v, const size_t *off, const int *decay,
                       int ntensors, float lr, float c1, float c2, float wd, float gscale);
/* Sum of squares of x[n], in double. */
int sf_cuda_host_sumsq(const float *x, size_t n, double *out);
/* The model's clipping on the device: *norm = the norm of x[n] (sf_cuda_gpt_grad_norm's sum),
 * *gscale = clip / norm when norm > clip, else 1; NaN when the norm is not finite. */
int sf_cuda_host_grad_clip(const float *x, size_t n, double clip, double *norm, float *gscale);
/* Rounds x[n] to bf16 and back, in place (what the bf16 products see). */
int sf_cuda_host_bf16_round(float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
