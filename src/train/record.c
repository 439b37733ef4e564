/* record.c: a finished run as a record: JSON for `scalefit train --json` and run files, and the
 * text fields (family, source, notes) that the run store keeps beside the numbers. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>
#include <scalefit/sf_version.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/cuda/gpu.h"
#include "util/util.h"

static void config_json(sf_json *j, const sf_train_result *r) {
  const sf_train_config *c = &r->cfg;
  sf_json_begin_object(j, "config");
  sf_json_int(j, "layers", c->model.n_layer);
  sf_json_int(j, "d_model", c->model.d_model);
  sf_json_int(j, "heads", c->model.n_head);
  sf_json_int(j, "context", c->model.n_ctx);
  sf_json_int(j, "vocab", c->model.vocab);
  sf_json_number(j, "tokens", c->tokens);
  sf_json_int(j, "batch_tokens", c->batch_tokens);
  sf_json_int(j, "micro_batch", r->micro_batch);
  sf_json_int(j, "accum", r->accum);
  sf_json_number(j, "lr", c->lr);
  sf_json_number(j, "warmup_frac", c->warmup_frac);
  sf_json_number(j, "min_lr_frac", c->min_lr_frac);
  sf_json_number(j, "weight_decay", c->weight_decay);
  sf_json_number(j, "grad_clip", c->grad_clip);
  sf_json_int(j, "val_tokens", c->val_tokens);
  sf_json_int(j, "evals", c->evals);
  sf_json_int(j, "threads", c->threads);
  sf_json_string(j, "device", sf_device_name(c->device));
  sf_json_string(j, "precision", sf_precision_name(c->precision));
  sf_json_end_object(j);
}

void sf_train_result_json(const sf_train_result *r, const sf_source *src, void *outbuf, int pretty) {
  sf_json j;
  sf_json_init(&j, outbuf, pretty);
  sf_json_begin_object(&j, NULL);
  sf_json_string(&j, "version", sf_version());
  sf_json_number(&j, "N", r->N);
  sf_json_number(&j, "N_nonembed", r->N_nonembed);
  sf_json_number(&j, "D", r->D);
  sf_json_number(&j, "flops", r->flops);
  sf_json_number(&j, "flops_6nd", r->flops_6nd);
  sf_json_number(&j, "train_loss", r->train_loss);
  sf_json_number(&j, "val_loss", r->val_loss);
  sf_json_number(&j, "val_bpb", r->val_bpb);
  sf_json_number(&j, "accuracy", r->accuracy);
  sf_json_number(&j, "entropy_rate", r->entropy_rate);
  sf_json_number(&j, "val_entropy", r->val_entropy);
  sf_json_number(&j, "tokens_per_s", r->tokens_per_s);
  sf_json_number(&j, "mfu", r->mfu);
  sf_json_number(&j, "peak_flops", r->peak_flops);
  sf_json_string(&j, "device", r->device[0] ? r->device : sf_device_name(r->cfg.device));
  sf_json_string(&j, "precision", sf_precision_name(r->cfg.precision));
  if (r->cfg.device == SF_DEVICE_CUDA) /* which attention ran (docs/TRAIN.md) */
    sf_json_string(&j, "attention", sf_cuda_flash(&r->cfg.model, r->cfg.precision) ? "flash" : "cublas");
  sf_json_number(&j, "seconds", r->seconds);
  sf_json_number(&j, "train_seconds", r->train_seconds);
  sf_json_int(&j, "steps", r->steps);
  sf_json_int(&j, "seed", (long long)r->cfg.seed);
  sf_json_begin_object(&j, "data");
  sf_json_string(&j, "kind", sf_source_name(src));
  sf_json_string(&j, "description", sf_source_describe(src));
  sf_json_end_object(&j);
  config_json(&j, r);
  sf_json_begin_object(&j, "curve");
  for (int c = 0; c < SF_TRAIN_CURVE_COLS; c++) {
    sf_json_begin_array(&j, sf_train_curve_names[c]);
    for (size_t i = 0; i < r->ncurve; i++) sf_json_number(&j, NULL, r->curve[i * SF_TRAIN_CURVE_COLS + (size_t)c]);
    sf_json_end_array(&j);
  }
  sf_json_end_object(&j);
  sf_json_end_object(&j);
  if (pretty) sf_buf_addc(outbuf, '\n');
}

int sf_train_result_text(const sf_train_result *r, const sf_source *src, char **family, char **source,
                         char **notes) {
  const sf_train_config *c = &r->cfg;
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  char date[16];
  strftime(date, sizeof date, "%Y-%m-%d", &tm);
  *family = sf_asprintf("own sweep %s", date);
  *source = sf_asprintf("scalefit train %s, data=%s", sf_version(), sf_source_describe(src));
  int gpu = c->device == SF_DEVICE_CUDA;
  /* the device's name in quotes: GPU names have spaces ("NVIDIA H100 80GB HBM3") */
  *notes = sf_asprintf("layers=%d d_model=%d heads=%d context=%d vocab=%d tokens=%.0f batch_tokens=%ld lr=%g "
                       "warmup_frac=%g min_lr_frac=%g weight_decay=%g grad_clip=%g val_tokens=%ld evals=%d threads=%d seed=%llu "
                       "device=%s precision=%s%s%s%s%s",
                       c->model.n_layer, c->model.d_model, c->model.n_head, c->model.n_ctx, c->model.vocab, c->tokens,
                       c->batch_tokens, c->lr, c->warmup_frac, c->min_lr_frac, c->weight_decay, c->grad_clip,
                       c->val_tokens, c->evals, c->threads, (unsigned long long)c->seed, sf_device_name(c->device),
                       sf_precision_name(c->precision), gpu ? " gpu=\"" : "", gpu ? r->device : "", gpu ? "\"" : "",
                       !gpu ? "" : sf_cuda_flash(&c->model, c->precision) ? " attention=flash" : " attention=cublas");
  if (!*family || !*source || !*notes) {
    free(*family);
    free(*source);
    free(*notes);
    *family = *source = *notes = NULL;
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  return SF_OK;
}
