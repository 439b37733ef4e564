/* twostage.c: compute -> loss -> accuracy, the two-stage forecast of the Llama 3 report (Sec. 3.2.1):
 * a scaling law gives the loss (or the NLL of the right answer) at a budget, and a sigmoid fitted on
 * models' (loss, accuracy) pairs turns it into the metric. The band has to carry both stages'
 * uncertainty: paired bootstrap samples when both fits have them, else the delta method with the
 * two fits independent. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_forecast.h>

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>

#include "forecast/band.h"

/* g' S g over free parameters; NaN without a covariance (treated as 0 by the caller). */
static double quad(const sf_fitfile *ff, const double *g) {
  if (!ff->has_cov) return 0;
  double v = 0;
  for (size_t a = 0; a < ff->np; a++)
    for (size_t b = 0; b < ff->np; b++) {
      if (ff->fixed[a] || ff->fixed[b] || g[a] == 0 || g[b] == 0) continue;
      v += g[a] * ff->cov[a * ff->np + b] * g[b];
    }
  return v;
}

int sf_forecast_twostage(const sf_fitfile *s1, const sf_fitfile *s2, const double *x, sf_band *mid, sf_band *out) {
  if (s2->nvar != 1)
    return sf_fail(SF_EUSAGE, "the second stage must be a law of one variable (the first stage's %s), not of %zu",
                   s1->output, s2->nvar);
  double g1[SF_LAW_MAXPAR], g2[SF_LAW_MAXPAR], m, f;
  int rc = sf_forecast_eval(s1->law, s1->params, x, &m, g1);
  if (rc != SF_OK) return rc;
  rc = sf_forecast_eval(s2->law, s2->params, &m, &f, g2);
  if (rc != SF_OK) return rc;
  *mid = (sf_band){m, NAN, NAN, SF_BAND_NONE, 0};
  *out = (sf_band){f, NAN, NAN, SF_BAND_NONE, 0};
  size_t K = s1->K < s2->K ? s1->K : s2->K;
  if (K >= 2) {
    double *vm = malloc(K * sizeof *vm), *vf = malloc(K * sizeof *vf);
    if (!vm || !vf) {
      free(vm), free(vf);
      return sf_fail(SF_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t k = 0; k < K; k++) {
      double mk, fk;
      if (sf_forecast_eval(s1->law, s1->samples + k * s1->np, x, &mk, NULL) != SF_OK) continue;
      if (sf_forecast_eval(s2->law, s2->samples + k * s2->np, &mk, &fk, NULL) != SF_OK) continue;
      vm[n] = mk;
      vf[n++] = fk;
    }
    double a = (1 - s1->ci_level) / 2;
    if (n >= 2) {
      mid->lo = sf_percentile_sorted(vm, n, a);
      mid->hi = sf_percentile_sorted(vm, n, 1 - a);
      out->lo = sf_percentile_sorted(vf, n, a);
      out->hi = sf_percentile_sorted(vf, n, 1 - a);
      mid->kind = out->kind = SF_BAND_BOOTSTRAP;
    }
    mid->n_ok = out->n_ok = n;
    free(vm), free(vf);
    return SF_OK;
  }
  if (!s1->has_cov && !s2->has_cov) return SF_OK;
  /* df2/dmid by a central difference (stage 2 is a law of one variable; any law works) */
  double h = 1e-6 * (fabs(m) > 0 ? fabs(m) : 1), mu = m + h, md = m - h, fu, fd;
  if (sf_forecast_eval(s2->law, s2->params, &mu, &fu, NULL) != SF_OK ||
      sf_forecast_eval(s2->law, s2->params, &md, &fd, NULL) != SF_OK)
    return SF_OK;
  double dfdm = (fu - fd) / (2 * h), v1 = quad(s1, g1), v2 = quad(s2, g2);
  double z = gsl_cdf_ugaussian_Pinv(0.5 + s1->ci_level / 2);
  if (s1->has_cov) sf_band_delta(mid, v1, z); /* the loss, banded as `predict` bands it */
  double v = v2 + dfdm * dfdm * v1;
  /* the metric banded as `predict` bands that fit's own prediction: an accuracy on its logit (the
   * linear band it had crossed 1 and 0 near the ends: 0.95 -+ 0.08), anything else as the loss */
  sf_band_delta_output(s2, out, v, z);
  return SF_OK;
}
