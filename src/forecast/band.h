/* band.h: the delta-method band of one figure, shared by every forecast that has a variance and no
 * bootstrap (predict.c: predictions, optima, targets; twostage.c: the intermediate loss), so that
 * the same loss gets the same band whichever command asks for it. Internal to src/forecast.
 */
#ifndef SF_FORECAST_BAND_H
#define SF_FORECAST_BAND_H

#include <scalefit/sf_forecast.h>

/* Sets b->lo, b->hi and b->kind = SF_BAND_DELTA from b->value and its variance var at normal
 * quantile z: on the logarithm of a positive value, value * exp(-+z*sd/value), so the band never
 * crosses zero; value -+ z*sd otherwise. Leaves b untouched if var is negative or NaN or the value
 * is not finite. */
void sf_band_delta(sf_band *b, double var, double z);
/* The band of a law's own prediction (predict, and the second stage of predict --then): for a
 * fraction (ff->fraction: an accuracy) with a value inside (0, 1) on its logit, logistic(logit(v)
 * -+ z*sd/(v(1-v))), so that it never leaves (0, 1), as the log band never crosses 0; otherwise
 * sf_band_delta. Both are the linear band to first order. */
void sf_band_delta_output(const sf_fitfile *ff, sf_band *b, double var, double z);

#endif
