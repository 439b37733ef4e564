/* cost.c: accelerator-hours, wall-clock days and dollars of a run, from its FLOPs. */
#include <scalefit/sf_cost.h>
#include <scalefit/sf_error.h>

#include <math.h>

int sf_cost_compute(const sf_cost_in *in, sf_cost *out) {
  if (!(in->flops > 0) || !isfinite(in->flops))
    return sf_fail(SF_EUSAGE, "compute must be a positive number of FLOP, got %g", in->flops);
  if (!(in->peak_flops > 0) || !isfinite(in->peak_flops))
    return sf_fail(SF_EUSAGE, "peak FLOP/s must be positive, got %g", in->peak_flops);
  if (!(in->mfu > 0 && in->mfu <= 1))
    return sf_fail(SF_EUSAGE, "mfu must be in (0, 1], got %g (a fraction: 0.4 for 40%%)", in->mfu);
  if (!isnan(in->gpus) && !(in->gpus >= 1 && isfinite(in->gpus)))
    return sf_fail(SF_EUSAGE, "the number of GPUs must be at least 1, got %g", in->gpus);
  if (!isnan(in->price_per_hour) && !(in->price_per_hour >= 0 && isfinite(in->price_per_hour)))
    return sf_fail(SF_EUSAGE, "the price per GPU-hour must be >= 0, got %g", in->price_per_hour);
  double gpu_seconds = in->flops / (in->peak_flops * in->mfu);
  out->gpu_hours = gpu_seconds / 3600.0;
  out->days = isnan(in->gpus) ? NAN : gpu_seconds / in->gpus / 86400.0;
  out->dollars = isnan(in->price_per_hour) ? NAN : out->gpu_hours * in->price_per_hour;
  return SF_OK;
}

double sf_cost_implied_mfu(double flops, double peak_flops, double gpu_hours) {
  return flops / (peak_flops * gpu_hours * 3600.0);
}

double sf_flops_train(double n_params, double tokens, double n_layer, double n_ctx, double d_model) {
  double per_token = 6.0 * n_params;
  if (n_layer > 0) per_token += 6.0 * n_layer * n_ctx * d_model;
  return per_token * tokens;
}

double sf_flops_train_log10(double n_params, double tokens, double n_layer, double n_ctx, double d_model) {
  if (!(n_params > 0) || !(tokens > 0)) return NAN;
  /* 6 (N + n_layer n_ctx d_model) D: the factor 6 outside, so that only an N past a double's range
   * could overflow the sum */
  double per_token6 = n_params;
  if (n_layer > 0) per_token6 += n_layer * n_ctx * d_model;
  return log10(6.0) + log10(per_token6) + log10(tokens);
}
