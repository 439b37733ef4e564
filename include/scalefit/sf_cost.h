/* sf_cost.h: what a training run costs, from its compute.
 *
 * The arithmetic is the one the field uses: a run of C FLOP on accelerators of peak P FLOP/s at
 * model FLOPs utilisation MFU takes C / (P * MFU) accelerator-seconds. Wall-clock time divides
 * that by the number of accelerators; dollars multiply the accelerator-hours by the price per
 * accelerator-hour. C itself is 6*N*D (forward and backward of a dense transformer), optionally
 * plus the attention term 6*n_layer*n_ctx*d_model per token that 6ND leaves out.
 *
 * Peaks are dense (not 2:4-sparse) tensor-core figures for the chosen precision, from the
 * shipped table datasets/accelerators.csv.
 */
#ifndef SF_COST_H
#define SF_COST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_cost_in {
  double flops;          /* training compute C, FLOP (> 0) */
  double peak_flops;     /* per accelerator, FLOP/s (> 0) */
  double mfu;            /* in (0, 1] */
  double gpus;           /* accelerators in parallel (>= 1), or NaN: wall time not computed */
  double price_per_hour; /* per accelerator-hour in dollars (>= 0), or NaN: no dollars */
} sf_cost_in;

typedef struct sf_cost {
  double gpu_hours; /* accelerator-hours */
  double days;      /* wall-clock days with `gpus` accelerators (NaN without gpus) */
  double dollars;   /* NaN without a price */
} sf_cost;

/* Validates the inputs (SF_EUSAGE naming the bad one: "mfu must be in (0, 1], got 1.5") and fills out. */
int sf_cost_compute(const sf_cost_in *in, sf_cost *out);

/* The MFU that a published run implies: C / (peak * gpu_hours * 3600). */
double sf_cost_implied_mfu(double flops, double peak_flops, double gpu_hours);

/* Training FLOPs of a dense decoder: 6*N*D, plus 6*n_layer*n_ctx*d_model*D for attention
 * scores and values when n_layer > 0 (Kaplan et al. 2020, Table 1, forward pass doubled twice). */
double sf_flops_train(double n_params, double tokens, double n_layer, double n_ctx, double d_model);
/* log10 of the same, computed in log space: finite where the FLOPs themselves overflow a double
 * (N = D = 1e300 gives 600.78); NaN unless n_params, tokens > 0. */
double sf_flops_train_log10(double n_params, double tokens, double n_layer, double n_ctx, double d_model);

#ifdef __cplusplus
}
#endif
#endif
