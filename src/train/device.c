/* device.c: where a run computes (cpu, cuda) and in what precision (fp32, tf32, bf16): names, parsing
 * and the check that a device can be used, shared by the trainer, its records and the CLI. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "train/cuda/gpu.h"

const char *sf_device_name(sf_device d) { return d == SF_DEVICE_CPU ? "cpu" : d == SF_DEVICE_CUDA ? "cuda" : "?"; }

const char *sf_precision_name(sf_precision p) {
  switch (p) {
  case SF_PREC_DEFAULT: return "default";
  case SF_PREC_FP32: return "fp32";
  case SF_PREC_TF32: return "tf32";
  case SF_PREC_BF16: return "bf16";
  }
  return "?";
}

int sf_device_parse(const char *name, sf_device *out) {
  if (strcmp(name, "cpu") == 0) *out = SF_DEVICE_CPU;
  else if (strcmp(name, "cuda") == 0) *out = SF_DEVICE_CUDA;
  else return sf_fail(SF_EINPUT, "device '%s' is not one of cpu, cuda", name);
  return SF_OK;
}

int sf_precision_parse(const char *name, sf_precision *out) {
  if (strcmp(name, "fp32") == 0) *out = SF_PREC_FP32;
  else if (strcmp(name, "tf32") == 0) *out = SF_PREC_TF32;
  else if (strcmp(name, "bf16") == 0) *out = SF_PREC_BF16;
  else return sf_fail(SF_EINPUT, "precision '%s' is not one of fp32, tf32, bf16", name);
  return SF_OK;
}

int sf_train_device_check(sf_device d, char *name, size_t n) {
  if (d == SF_DEVICE_CPU) {
    if (name && n) snprintf(name, n, "cpu");
    return SF_OK;
  }
  if (d != SF_DEVICE_CUDA) return sf_fail(SF_EINPUT, "device %d is not one of cpu, cuda", (int)d);
  return sf_cuda_probe(name, n);
}

void sf_train_set_gpu(int slot, int nprocs) { sf_cuda_use(slot, nprocs); }

int sf_train_gpus(void) { return sf_cuda_count(); }

int sf_train_mps_active(void) {
  const char *dir = getenv("CUDA_MPS_PIPE_DIRECTORY");
  char path[4096];
  if (snprintf(path, sizeof path, "%s/control", dir && *dir ? dir : "/tmp/nvidia-mps") >= (int)sizeof path) return 0;
  struct stat st;
  return stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}
