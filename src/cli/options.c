/* options.c: the shared option parser and --help printer, and the CLI's message functions. */
#include "cli/cli.h"

#include <scalefit/sf_error.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

static void vmsg(const char *kind, const char *fmt, va_list ap) {
  fprintf(stderr, "scalefit: %s: ", kind);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg("error", fmt, ap);
  va_end(ap);
}

void cli_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg("warning", fmt, ap);
  va_end(ap);
}

void cli_note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg("note", fmt, ap);
  va_end(ap);
}

int cli_fail_lib(int rc) {
  const char *m = sf_errmsg();
  cli_error("%s", *m ? m : sf_status_name(rc));
  return rc;
}

void cli_fmt_time(char *buf, size_t n, double s) {
  if (!isfinite(s) || s < 0) snprintf(buf, n, "?");
  else if (s < 60) snprintf(buf, n, "%.0fs", s);
  else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
  else snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_print_usage(const cli_cmd *cmd, FILE *out) {
  fprintf(out, "usage: %s\n\n%s\n", cmd->usage, cmd->summary);
  if (cmd->opts && cmd->opts[0].name) fprintf(out, "\noptions:\n");
  for (const cli_opt *o = cmd->opts; o && o->name; o++) {
    if (!o->help) continue; /* a former name kept working (cli.h), not offered */
    char left[96];
    int k = 0;
    if (o->short_name) k = snprintf(left, sizeof left, "-%c, --%s", o->short_name, o->name);
    else k = snprintf(left, sizeof left, "    --%s", o->name);
    if (o->metavar && k > 0 && (size_t)k < sizeof left) snprintf(left + k, sizeof left - (size_t)k, " %s", o->metavar);
    fprintf(out, "  %-28s %s\n", left, o->help);
  }
  fprintf(out, "  %-28s %s\n", "-h, --help", "show this help and exit");
  if (cmd->details) fprintf(out, "\n%s\n", cmd->details);
}

static const cli_opt *find_long(const cli_cmd *cmd, const char *name, size_t len) {
  for (const cli_opt *o = cmd->opts; o && o->name; o++)
    if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) return o;
  return NULL;
}

static const cli_opt *find_short(const cli_cmd *cmd, char c) {
  for (const cli_opt *o = cmd->opts; o && o->name; o++)
    if (o->short_name == c) return o;
  return NULL;
}

static int store(const cli_cmd *cmd, const cli_opt *o, const char *spelled, const char *val) {
  char *end;
  switch (o->type) {
  case CLI_FLAG: *(int *)o->dst = 1; return SF_OK;
  case CLI_STRING: *(const char **)o->dst = val; return SF_OK;
  case CLI_LIST: {
    cli_list *l = o->dst;
    if (l->n >= sizeof l->item / sizeof l->item[0]) {
      cli_error("%s: too many %s options", cmd->name, spelled);
      return SF_EUSAGE;
    }
    l->item[l->n++] = val;
    return SF_OK;
  }
  case CLI_DOUBLE: {
    double v;
    if (!sf_parse_double(val, &v)) {
      cli_error("%s: option %s expects a number, got '%s'", cmd->name, spelled, val);
      return SF_EUSAGE;
    }
    *(double *)o->dst = v;
    return SF_OK;
  }
  case CLI_INT: {
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end) {
      cli_error("%s: option %s expects an integer, got '%s'", cmd->name, spelled, val);
      return SF_EUSAGE;
    }
    *(long *)o->dst = v;
    return SF_OK;
  }
  }
  return SF_EINTERNAL;
}

/* The most options a table may hold: the parser remembers each one's first value. */
#define CLI_MAXOPTS 64

int cli_parse(const cli_cmd *cmd, int argc, char **argv, char ***args, size_t *nargs) {
  char **pos = argv; /* positional arguments are compacted in place, into argv itself */
  size_t np = 0;
  int only_args = 0;
  /* a plain option's first value, to refuse a second: `--gpu h100 --gpu a100` kept a100 in silence */
  const char *first[CLI_MAXOPTS] = {0};
  size_t nopts = 0;
  while (cmd->opts && cmd->opts[nopts].name) nopts++;
  if (nopts > CLI_MAXOPTS) {
    cli_error("%s: %zu options, more than the parser's %d", cmd->name, nopts, CLI_MAXOPTS);
    return SF_EINTERNAL;
  }
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (only_args || a[0] != '-' || a[1] == '\0') {
      pos[np++] = a;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_args = 1;
      continue;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      cli_print_usage(cmd, stdout);
      return CLI_HELP_SHOWN;
    }
    const cli_opt *o;
    const char *val = NULL;
    char spelled[80];
    if (a[1] == '-') {
      const char *eq = strchr(a + 2, '=');
      size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
      o = find_long(cmd, a + 2, len);
      snprintf(spelled, sizeof spelled, "--%.*s", (int)len, a + 2);
      if (eq) val = eq + 1;
    } else {
      o = find_short(cmd, a[1]);
      snprintf(spelled, sizeof spelled, "-%c", a[1]);
      if (a[2]) val = a + 2;
    }
    if (!o) {
      /* a negative number is a positional argument, not an option */
      double dummy;
      if (sf_parse_double(a, &dummy)) {
        pos[np++] = a;
        continue;
      }
      sf_near n;
      sf_near_init(&n, spelled);
      char longs[64][48]; /* the hint names options as typed, "--law" */
      size_t nl = 0;
      for (const cli_opt *k = cmd->opts; k && k->name && nl < 64; k++) {
        if (!k->help) continue;
        snprintf(longs[nl], sizeof longs[nl], "--%s", k->name);
        sf_near_add(&n, longs[nl++]);
      }
      const char *hint = sf_near_hint(&n);
      cli_error("%s: unknown option '%s'%s (see 'scalefit %s --help')", cmd->name, spelled, hint, cmd->name);
      return SF_EUSAGE;
    }
    if (o->type == CLI_FLAG) {
      if (val) {
        cli_error("%s: option %s takes no value", cmd->name, spelled);
        return SF_EUSAGE;
      }
    } else if (!val) {
      if (i + 1 >= argc) {
        cli_error("%s: option %s needs a value (%s)", cmd->name, spelled, o->metavar ? o->metavar : "VALUE");
        return SF_EUSAGE;
      }
      val = argv[++i];
    }
    /* A list adds up and a flag set twice is still set; any other option holds one value, and a
     * second (even the same again) is refused rather than one of them silently winning. */
    if (o->type != CLI_LIST && o->type != CLI_FLAG) {
      const cli_opt *c = o; /* a former name and the option it became are one option */
      if (!o->help)
        for (const cli_opt *k = cmd->opts; k->name; k++)
          if (k->dst == o->dst && k->help) {
            c = k;
            break;
          }
      size_t k = (size_t)(c - cmd->opts);
      if (first[k]) {
        cli_error("%s: --%s given twice ('%s', then '%s'): give it once", cmd->name, c->name, first[k], val);
        return SF_EUSAGE;
      }
      first[k] = val;
    }
    int rc = store(cmd, o, spelled, val);
    if (rc) return rc;
  }
  if (np < cmd->min_args || np > cmd->max_args) {
    if (np < cmd->min_args) cli_error("%s: missing argument", cmd->name);
    else cli_error("%s: too many arguments ('%s')", cmd->name, pos[cmd->max_args]);
    fprintf(stderr, "usage: %s\n", cmd->usage);
    return SF_EUSAGE;
  }
  *args = pos;
  *nargs = np;
  return CLI_PARSED;
}
