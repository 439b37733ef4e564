/* forecast_cli.c: shared plumbing of predict, optimal and target (see forecast_cli.h). */
#include "cli/forecast_cli.h"

#include <scalefit/sf_error.h>
#include <scalefit/sf_version.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fc_cost_init(fc_cost *c) {
  memset(c, 0, sizeof *c);
  c->peak_flops = NAN;
  c->mfu = NAN;
  c->gpus = NAN;
  c->price = NAN;
}

int fc_cost_setup(fc_cost *c) {
  /* the values are checked whether or not a peak is given: without one, --mfu 0 or --gpus 0 only
   * warned that no cost was computed (exit 0), and the same option line was refused once --gpu was
   * added */
  if (!isnan(c->mfu) && !(c->mfu > 0 && c->mfu <= 1)) {
    cli_error("--mfu must be in (0, 1], got %g (a fraction: 0.4 for 40%%)", c->mfu);
    return SF_EUSAGE;
  }
  if (!isnan(c->gpus) && !(c->gpus >= 1 && c->gpus == floor(c->gpus) && isfinite(c->gpus))) {
    cli_error("--gpus must be a whole number of accelerators, at least 1, got %g", c->gpus);
    return SF_EUSAGE;
  }
  if (!isnan(c->price) && !(c->price >= 0 && isfinite(c->price))) {
    cli_error("--price-per-hour must be >= 0, got %g", c->price);
    return SF_EUSAGE;
  }
  if (c->precision && !c->gpu && isnan(c->peak_flops)) {
    /* the precision's name, against the table's own list: a stand-in accelerator with every peak */
    sf_accel any = {.name = "", .tflops = {1, 1, 1, 1}};
    double peak;
    if (sf_accel_peak(&any, c->precision, &peak) != SF_OK) return cli_fail_lib(SF_EUSAGE);
  }
  int any = c->gpu || !isnan(c->peak_flops);
  if (!any) {
    if (!isnan(c->mfu) || !isnan(c->gpus) || !isnan(c->price) || c->precision)
      cli_warn("--mfu, --gpus, --price-per-hour and --precision need --gpu or --peak-tflops; no cost computed");
    return SF_OK;
  }
  if (c->gpu && !isnan(c->peak_flops)) {
    cli_error("give either --gpu or --peak-tflops, not both");
    return SF_EUSAGE;
  }
  /* a peak given is already the peak at the precision trained in: --precision would be ignored */
  if (c->precision && !isnan(c->peak_flops)) {
    cli_error("--precision picks a peak from --gpu's table; with --peak-tflops give the peak at that precision "
              "instead (%g TFLOP/s was given)", c->peak_flops);
    return SF_EUSAGE;
  }
  if (isnan(c->mfu)) {
    c->mfu = 0.4;
    c->mfu_default = 1;
  }
  if (!isnan(c->peak_flops)) {
    if (!(c->peak_flops > 0) || !isfinite(c->peak_flops)) {
      cli_error("--peak-tflops must be a positive number of TFLOP/s, got %g", c->peak_flops);
      return SF_EUSAGE;
    }
    c->peak_flops *= 1e12;
    snprintf(c->gpu_name, sizeof c->gpu_name, "%s", "(--peak-tflops)");
  } else {
    char *path = sf_asprintf("%s/accelerators.csv", sf_datadir());
    sf_accel_table *t = NULL;
    int rc = path ? sf_accel_load(path, &t) : SF_ENOMEM;
    free(path);
    if (rc != SF_OK) return cli_fail_lib(rc);
    const sf_accel *a = sf_accel_find(t, c->gpu);
    if (!a) {
      char *names = sf_accel_names(t);
      cli_error("unknown GPU '%s' (known: %s; or give --peak-tflops)", c->gpu, names ? names : "");
      free(names);
      sf_accel_free(t);
      return SF_EUSAGE;
    }
    rc = sf_accel_peak(a, c->precision ? c->precision : "bf16", &c->peak_flops);
    snprintf(c->gpu_name, sizeof c->gpu_name, "%s", a->name);
    sf_accel_free(t);
    /* an unknown precision, or none in the table for this GPU: either way another option value
     * fixes it, so a usage error like the other cost options (the library says EINPUT for the
     * latter, which is right for a report spec file) */
    if (rc != SF_OK) {
      cli_fail_lib(rc);
      return rc == SF_ENOMEM ? rc : SF_EUSAGE;
    }
  }
  c->enabled = 1;
  return SF_OK;
}

void fc_cost_of(const fc_cost *c, double C, sf_cost *out) {
  out->gpu_hours = out->days = out->dollars = NAN;
  if (!c->enabled || !(C > 0) || !isfinite(C)) return;
  sf_cost_in in = {C, c->peak_flops, c->mfu, c->gpus, c->price};
  if (sf_cost_compute(&in, out) != SF_OK) out->gpu_hours = out->days = out->dollars = NAN;
}

void fc_cost_json_model(const fc_cost *c, sf_json *j) {
  if (!c->enabled) return;
  sf_json_begin_object(j, "cost_model");
  sf_json_string(j, "gpu", c->gpu_name);
  sf_json_string(j, "precision", c->gpu ? (c->precision ? c->precision : "bf16") : NULL);
  sf_json_number(j, "peak_flops", c->peak_flops);
  sf_json_number(j, "mfu", c->mfu);
  sf_json_bool(j, "mfu_default", c->mfu_default);
  sf_json_number(j, "gpus", c->gpus);
  sf_json_number(j, "price_per_hour", c->price);
  sf_json_end_object(j);
}

void fc_cost_json(const fc_cost *c, sf_json *j, double C) {
  if (!c->enabled) return;
  sf_cost k;
  fc_cost_of(c, C, &k);
  sf_json_number(j, "gpu_hours", k.gpu_hours);
  sf_json_number(j, "days", k.days);
  sf_json_number(j, "dollars", k.dollars);
}

void fc_cost_header(const fc_cost *c) {
  if (!c->enabled) return;
  printf("cost: %s at %.4g TFLOP/s peak, MFU %.3g%s", c->gpu_name, c->peak_flops / 1e12, c->mfu,
         c->mfu_default ? " (default; set --mfu)" : "");
  if (!isnan(c->gpus)) printf(", %.0f in parallel", c->gpus);
  if (!isnan(c->price)) printf(", $%.4g per accelerator-hour", c->price);
  printf("\n");
}

void fc_cost_text(const fc_cost *c, double C) {
  if (!c->enabled) return;
  sf_cost k;
  fc_cost_of(c, C, &k);
  char h[32];
  fc_fmt(h, sizeof h, k.gpu_hours);
  printf("    cost: %s accelerator-hours", h);
  if (!isnan(k.days)) {
    sf_fmt_ratio(h, sizeof h, k.days);
    printf(", %s days", h);
  }
  if (!isnan(k.dollars)) {
    fc_fmt(h, sizeof h, k.dollars);
    printf(", $%s", h);
  }
  printf("\n");
}

int fc_load(char **args, size_t nargs, const char *published, const char *cmd, sf_fitfile **out) {
  *out = NULL;
  int rc;
  if (published && nargs) {
    cli_error("%s: give a FIT file or --published, not both", cmd);
    return SF_EUSAGE;
  }
  if (!published && !nargs) {
    cli_error("%s: which fit? give FIT.json (from 'scalefit fit -o') or --published ID", cmd);
    return SF_EUSAGE;
  }
  if (published) {
    char *path = sf_asprintf("%s/laws.csv", sf_datadir());
    rc = path ? sf_fitfile_published(path, published, out) : SF_ENOMEM;
    free(path);
  } else {
    rc = sf_fitfile_read(args[0], out);
  }
  return rc == SF_OK ? SF_OK : cli_fail_lib(rc);
}

const char *fc_band_kind(sf_bandkind k) {
  return k == SF_BAND_BOOTSTRAP ? "bootstrap" : k == SF_BAND_DELTA ? "delta" : "none";
}

/* Refits behind the band of a forecast from ff, or from ff then ff2 (two-stage): the stages'
 * bootstrap rows are paired, so a two-stage band is a bootstrap only when both fits have one, and
 * otherwise the delta method with both stages' covariances (sf_forecast_twostage). */
static size_t band_refits(const sf_fitfile *ff, const sf_fitfile *ff2) {
  size_t K = ff2 && ff2->K < ff->K ? ff2->K : ff->K;
  return K >= 2 ? K : 0;
}

static int band_has_cov(const sf_fitfile *ff, const sf_fitfile *ff2) {
  return ff->has_cov || (ff2 && ff2->has_cov);
}

/* "law 'power' (loss, weighted by loss_sd, absolute) from 'fit.json'; " */
static void law_note(const sf_fitfile *ff) {
  printf("law '%s' (%s", sf_law_label(ff->law), ff->output);
  if (ff->sigma) printf(", weighted by %s%s", ff->sigma, ff->absolute_sigma ? ", absolute" : "");
  printf(") from '%s'; ", ff->origin);
}

void fc_band_note(const sf_fitfile *ff, const sf_fitfile *ff2) {
  law_note(ff);
  if (ff2) printf("then "), law_note(ff2);
  size_t K = band_refits(ff, ff2);
  if (K) {
    printf("band: %.0f%% bootstrap percentiles over %zu %srefits\n", 100 * ff->ci_level, K, ff2 ? "paired " : "");
  } else if (band_has_cov(ff, ff2)) {
    printf("band: %.0f%% delta method (covariance", 100 * ff->ci_level);
    if (!ff2) printf("; no bootstrap in the fit)\n");
    else if (ff->K >= 2 || ff2->K >= 2) /* one stage's refits cannot be paired with nothing */
      printf("s of both stages; '%s' has no bootstrap, so the other stage's is not used)\n",
             ff->K >= 2 ? ff2->origin : ff->origin);
    else printf("s of both stages)\n");
  } else if (strncmp(ff->origin, "laws.csv:", 9) == 0 && !ff2) {
    printf("no band (published constants come without uncertainty)\n");
  } else {
    /* a covariance saved as nulls is a singular fit's (rcond near 0), not a file written without one:
     * "has no covariance" sent the user looking for a missing key; the bootstrap is what gives a band */
    printf("no band (the fit%s no bootstrap samples, and no covariance or an undefined one, as a singular fit "
           "saves it: refit with --bootstrap K)\n", ff2 ? "s have" : " has");
  }
}

void fc_json_fit(sf_json *j, const sf_fitfile *ff, const sf_fitfile *ff2) {
  sf_json_string(j, "format", "scalefit-forecast");
  sf_json_int(j, "version", 1);
  sf_json_string(j, "scalefit_version", sf_version());
  sf_json_begin_object(j, "fit");
  sf_json_string(j, "source", ff->origin);
  sf_json_string(j, "law", ff->law->name);
  sf_json_string(j, "output", ff->output);
  if (ff->sigma) {
    sf_json_string(j, "sigma", ff->sigma);
    sf_json_bool(j, "absolute_sigma", ff->absolute_sigma);
  }
  sf_json_begin_object(j, "params");
  for (size_t k = 0; k < ff->np; k++) sf_json_number(j, ff->law->par[k].name, ff->params[k]);
  sf_json_end_object(j);
  sf_json_end_object(j);
  size_t K = band_refits(ff, ff2);
  sf_json_string(j, "band", K ? "bootstrap" : band_has_cov(ff, ff2) ? "delta" : "none");
  sf_json_number(j, "ci_level", ff->ci_level);
  if (K) sf_json_int(j, "bootstrap_samples", (long long)K);
}

void fc_json_band(sf_json *j, const char *key, const sf_band *b) {
  sf_json_begin_object(j, key);
  sf_json_number(j, "value", b->value);
  /* an unbounded end (a target never reached by some refits) is written as null */
  sf_json_number(j, "lo", b->lo);
  sf_json_number(j, "hi", b->hi);
  /* a bootstrap band that leaves out the point estimate is not to be trusted (stderr says why) */
  if (b->kind == SF_BAND_BOOTSTRAP) sf_json_bool(j, "band_excludes_value", sf_band_excludes_value(b));
  sf_json_end_object(j);
}

void fc_excl_see(fc_excl *e, const char *what, const sf_band *b) {
  if (!sf_band_excludes_value(b)) return;
  if (!e->n++) snprintf(e->example, sizeof e->example, "%s = %.4g, band [%.4g, %.4g]", what, b->value, b->lo, b->hi);
}

void fc_excl_warn(const fc_excl *e) {
  if (!e->n) return;
  char w[600];
  sf_band_excludes_warning(w, sizeof w, e->n, e->example);
  cli_warn("%s", w);
}

/* fc_parse_range on buf, a writable copy of spec (spec is what the messages quote) */
static long parse_range(const char *cmd, const char *opt, const char *spec, char *buf, double *v, size_t cap) {
  if (strchr(buf, ',')) { /* a list: 8.4e23,6.3e24,3.8e25 */
    /* split by hand: strtok would pass over an empty item (1e21,,1e22 or a trailing comma) in silence */
    size_t n = 0;
    for (char *tok = buf, *next; tok; tok = next) {
      if ((next = strchr(tok, ','))) *next++ = '\0';
      if (!*tok) {
        cli_error("%s: empty item in the %s list '%s'", cmd, opt, spec);
        return -1;
      }
      if (n == cap || !sf_parse_double(tok, &v[n]) || !(v[n] > 0)) {
        cli_error("%s: %s expects positive numbers separated by commas (at most %zu), got '%s'", cmd, opt, cap, spec);
        return -1;
      }
      n++;
    }
    return (long)n;
  }
  char *c1 = strchr(buf, ':');
  if (!c1) {
    if (!sf_parse_double(buf, &v[0]) || !(v[0] > 0)) {
      cli_error("%s: %s expects a positive number, a list A,B,C or LO:HI:COUNT, got '%s'", cmd, opt, spec);
      return -1;
    }
    return 1;
  }
  *c1 = '\0';
  char *c2 = strchr(c1 + 1, ':');
  double lo, hi, cnt;
  if (c2) *c2 = '\0';
  int ok = c2 && sf_parse_double(buf, &lo) && sf_parse_double(c1 + 1, &hi) && sf_parse_double(c2 + 1, &cnt) && lo > 0;
  /* one point is X:X:1 (a script's grid that shrank to one value); a range needs two or more */
  if (ok && cnt == 1 && hi == lo && isfinite(lo)) {
    v[0] = lo;
    return 1;
  }
  if (!ok || !(hi > lo) || cnt != floor(cnt) || cnt < 2 || cnt > (double)cap) {
    cli_error("%s: %s expects LO:HI:COUNT with 0 < LO < HI and 2 <= COUNT <= %zu, or X:X:1 for one value, got '%s'",
              cmd, opt, cap, spec);
    return -1;
  }
  size_t n = (size_t)cnt;
  sf_logspace(lo, hi, n, v); /* the report spec's ranges use the same rule */
  return (long)n;
}

long fc_parse_range(const char *cmd, const char *opt, const char *spec, double *v, size_t cap) {
  /* a copy of the whole spec: a fixed buffer cut a long list short, and its last item with it */
  char *buf = sf_strdup(spec);
  if (!buf) {
    cli_error("out of memory");
    return -1;
  }
  long n = parse_range(cmd, opt, spec, buf, v, cap);
  free(buf);
  return n;
}

int fc_parse_point(const char *cmd, const sf_fitfile *ff, const char *spec, double *x, int *given,
                   const char *budget_hint) {
  char buf[512];
  if (strlen(spec) >= sizeof buf) {
    cli_error("%s: --at '%.40s...' is longer than %zu characters", cmd, spec, sizeof buf - 1);
    return SF_EUSAGE;
  }
  snprintf(buf, sizeof buf, "%s", spec);
  for (size_t k = 0; k < ff->nvar; k++) given[k] = 0;
  /* items split by hand: strtok passed over "N=1e9,,D=1e10" and the last of two N's won, in silence */
  for (char *tok = buf, *next; tok; tok = next) {
    if ((next = strchr(tok, ','))) *next++ = '\0';
    if (!*tok) {
      cli_error("%s: empty item in --at '%s'", cmd, spec);
      return SF_EUSAGE;
    }
    char *eq = strchr(tok, '=');
    if (!eq) {
      cli_error("%s: '%s' in --at '%s' is not VAR=VALUE", cmd, tok, spec);
      return SF_EUSAGE;
    }
    *eq = '\0';
    int k = sf_fitfile_var_index(ff, tok); /* N=, n=, params= alike, as the store reads headers */
    if (k < 0) {
      if (sf_strcaseeq(tok, "C") && ff->alloc == SF_ALLOC_ND) {
        cli_error("%s: law '%s' is a law of N and D; %s %s", cmd, sf_law_label(ff->law),
                  budget_hint, eq + 1);
      } else {
        char vars[256] = "";
        for (size_t v = 0; v < ff->nvar; v++)
          snprintf(vars + strlen(vars), sizeof vars - strlen(vars), "%s%s", v ? ", " : "", ff->vars[v]);
        cli_error("%s: '%s' is not a variable of law '%s' (it takes %s)", cmd, tok, sf_law_label(ff->law), vars);
      }
      return SF_EUSAGE;
    }
    if (given[k]) {
      cli_error("%s: %s is given twice in --at '%s'", cmd, ff->vars[k], spec);
      return SF_EUSAGE;
    }
    if (!sf_parse_double(eq + 1, &x[k]) || !(x[k] > 0) || !isfinite(x[k])) {
      cli_error("%s: %s must be a positive number, got '%s'", cmd, tok, eq + 1);
      return SF_EUSAGE;
    }
    given[k] = 1;
  }
  return SF_OK;
}

int fc_parse_attention(const char *cmd, const char *spec, sf_alloc_opts *o) {
  if (!spec) return SF_OK;
  double L, ctx, d;
  char buf[128];
  snprintf(buf, sizeof buf, "%s", spec);
  char *a = strchr(buf, ':'), *b = a ? strchr(a + 1, ':') : NULL;
  if (a) *a = '\0';
  if (b) *b = '\0';
  if (!a || !b || !sf_parse_double(buf, &L) || !sf_parse_double(a + 1, &ctx) || !sf_parse_double(b + 1, &d) ||
      !(L >= 1) || !(ctx >= 1) || !(d >= 1)) {
    cli_error("%s: --attention expects LAYERS:CTX:DMODEL (e.g. 80:2048:8192), got '%s'", cmd, spec);
    return SF_EUSAGE;
  }
  o->n_layer = L;
  o->n_ctx = ctx;
  o->d_model = d;
  return SF_OK;
}

/* the library's rule, which a report's tables use too */
void fc_fmt(char *buf, size_t n, double v) { sf_fmt_value(buf, n, v); }

int fc_emit_json(sf_buf *b, const char *path, int to_stdout) {
  sf_buf_add(b, "\n");
  if (b->oom) {
    cli_error("out of memory");
    return SF_ENOMEM;
  }
  if (path) {
    int rc = sf_write_file_atomic(path, b->s, b->len);
    if (rc != SF_OK) return cli_fail_lib(rc);
  }
  if (to_stdout) fputs(sf_buf_str(b), stdout);
  return SF_OK;
}
