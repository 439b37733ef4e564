/* cmd_report.c: `scalefit report SPEC... -o DIR [-j N]`, batch forecast reports from spec files
 * (docs/REPORT.md). Each spec runs in its own child process (fork), at most N at a time, so specs
 * are isolated from each other: one that fails, or even crashes, is reported with its message and
 * the others still run. The parent collects each child's one-line status through a pipe, writes
 * DIR/index.html linking every report, and exits non-zero if any spec failed.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_report.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

static const char *out_dir;
static long jobs, threads_arg;

static const cli_opt opts[] = {
    {"output", 'o', CLI_STRING, &out_dir, "DIR", "write the reports under DIR (DIR/<spec name>/, DIR/index.html)"},
    {"jobs", 'j', CLI_INT, &jobs, "N", "run up to N specs at once (default 1)"},
    {"threads", 0, CLI_INT, &threads_arg, "T", "threads per fit (default 1 with -j > 1, else all cores)"},
    {NULL, 0, 0, NULL, NULL, NULL},
};

static const cli_cmd cmd = {
    "report", "scalefit report SPEC... -o DIR [-j N]",
    "batch forecast reports (HTML, Markdown, JSON) from spec files",
    "Each SPEC (an INI-like file, see docs/REPORT.md and examples/*.ini) gives the folder DIR/<name>/\n"
    "with index.html (self-contained, charts inline), report.md and report.json; DIR/index.html links\n"
    "them all. A spec that fails is reported as FILE:LINE: message and leaves no folder; the others\n"
    "still run, and the exit code is then that of the first failure. When every spec fails, nothing\n"
    "is written (no DIR/index.html). Two specs with the same file name are refused (exit 1).\n"
    "Each finished spec prints one line counted [k/n]; on a terminal a status line shows the specs\n"
    "running, the elapsed time and an ETA.",
    opts, 1, 4096};

typedef struct job {
  const char *spec;
  pid_t pid;
  int fd;
  sf_buf msg;
  int done, rc;
  char *name;
  size_t warnings;
} job;

/* The child: parse, run, and send "RC\tNAME\tWARNINGS\tSTATUS" to the parent. */
static _Noreturn void child(const char *spec, int fd, const sf_report_ctx *ctx) {
  sf_spec *s = NULL;
  char *summary = NULL;
  int rc = sf_spec_read(spec, &s);
  size_t nwarn = 0;
  if (!rc) rc = sf_report_run(s, out_dir, ctx, &summary, &nwarn);
  sf_buf b;
  sf_buf_init(&b);
  sf_buf_printf(&b, "%d\t%s\t%zu\t%s", rc, s ? s->name : "", nwarn, rc ? sf_errmsg() : summary ? summary : "");
  ssize_t off = 0;
  while (off < (ssize_t)b.len) {
    ssize_t w = write(fd, b.s + off, b.len - (size_t)off);
    if (w <= 0) break;
    off += w;
  }
  sf_buf_free(&b);
  free(summary);
  sf_spec_free(s);
  close(fd);
  exit(rc >= 0 && rc < 126 ? rc : 6); /* exit, not _exit: leak checkers report at exit */
}

static void collect(job *j, int status) {
  char chunk[4096];
  ssize_t n;
  while ((n = read(j->fd, chunk, sizeof chunk)) > 0) sf_buf_addn(&j->msg, chunk, (size_t)n);
  close(j->fd);
  j->done = 1;
  char *s = j->msg.s;
  char *t1 = s ? strchr(s, '\t') : NULL, *t2 = t1 ? strchr(t1 + 1, '\t') : NULL, *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
  if (!t3) {
    sf_buf_clear(&j->msg);
    if (WIFSIGNALED(status)) sf_buf_printf(&j->msg, "%s: crashed (signal %d)", j->spec, WTERMSIG(status));
    else sf_buf_printf(&j->msg, "%s: failed without a message (exit %d)", j->spec, WEXITSTATUS(status));
    j->rc = SF_EINTERNAL;
    return;
  }
  *t1 = *t2 = *t3 = 0;
  j->rc = atoi(s);
  j->warnings = (size_t)strtoul(t2 + 1, NULL, 10);
  /* a child that reported success but did not exit cleanly (a sanitizer or valgrind finding at
   * exit) fails the spec too */
  if (j->rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    sf_buf_clear(&j->msg);
    sf_buf_printf(&j->msg, "%s: the report was written but its process ended with %s %d", j->spec,
                  WIFSIGNALED(status) ? "signal" : "exit code", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    j->rc = SF_EINTERNAL;
    return;
  }
  j->name = t1[1] ? sf_strdup(t1 + 1) : NULL;
  memmove(s, t3 + 1, strlen(t3 + 1) + 1);
  j->msg.len = strlen(s);
}

/* Progress, as `sweep` shows it: on a terminal an updating status line on stderr (specs done and
 * running, elapsed time, ETA) from the start, so a batch of 60 is not silent until the first spec
 * ends; in a log nothing but the one line per finished spec, which carries its count ([k/n]). */
typedef struct report_progress {
  int tty;
  size_t total, finished;
  double t0, last_draw;
  int drawn;
} report_progress;

static void status_clear(report_progress *pg) {
  if (pg->tty && pg->drawn) {
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
    pg->drawn = 0;
  }
}

static void status_draw(report_progress *pg, const job *J, size_t n) {
  if (!pg->tty) return;
  char line[512], el[32], eta[32];
  double t = cli_now() - pg->t0;
  cli_fmt_time(el, sizeof el, t);
  /* specs differ in cost: the mean so far is the best guess for the rest */
  cli_fmt_time(eta, sizeof eta, pg->finished ? t / (double)pg->finished * (double)(pg->total - pg->finished) : NAN);
  size_t running = 0;
  for (size_t i = 0; i < n; i++) running += J[i].pid > 0 && !J[i].done;
  int k = snprintf(line, sizeof line, "report [%zu/%zu] %s elapsed, ETA %s", pg->finished, pg->total, el, eta);
  for (size_t i = 0, shown = 0; i < n && k > 0 && (size_t)k < sizeof line; i++)
    if (J[i].pid > 0 && !J[i].done) {
      if (shown++ == 0) k += snprintf(line + k, sizeof line - (size_t)k, " | %s", J[i].spec);
      else {
        k += snprintf(line + k, sizeof line - (size_t)k, " (+%zu more)", running - 1);
        break;
      }
    }
  struct winsize ws;
  size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col - 1 : 100;
  if (width < sizeof line) line[width] = 0;
  fprintf(stderr, "\r%s\033[K", line);
  fflush(stderr);
  pg->drawn = 1;
  pg->last_draw = cli_now();
}

/* dir and those of its parents that do not exist yet, deepest first (*out, caller frees each and
 * the array); their count. */
static size_t missing_dirs(const char *dir, char ***out) {
  char **made = NULL, *d = sf_strdup(dir);
  size_t n = 0;
  struct stat sb;
  while (d && *d && strcmp(d, ".") && strcmp(d, "/") && stat(d, &sb) != 0 && errno == ENOENT) {
    char **m = realloc(made, (n + 1) * sizeof *m);
    if (!m) break;
    made = m, made[n++] = d;
    char *slash = strrchr(d, '/');
    while (slash && slash > d && slash[1] == 0) *slash = 0, slash = strrchr(d, '/'); /* "a/b/" */
    d = slash && slash > d ? sf_asprintf("%.*s", (int)(slash - d), d) : NULL;
  }
  free(d); /* the first folder that exists (or NULL) */
  *out = made;
  return n;
}

int cmd_report(int argc, char **argv) {
  out_dir = NULL;
  jobs = 1, threads_arg = -1;
  /* the exact command line, for the reports' provenance (before cli_parse reorders argv) */
  sf_buf cl;
  sf_buf_init(&cl);
  sf_buf_add(&cl, "scalefit");
  for (int i = 0; i < argc; i++) { /* argv[0] is "report" */
    int plain = argv[i][0] != 0;
    for (const char *c = argv[i]; *c; c++)
      if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,@+", *c)) plain = 0;
    if (plain) sf_buf_printf(&cl, " %s", argv[i]);
    else {
      sf_buf_add(&cl, " '");
      for (const char *c = argv[i]; *c; c++) {
        if (*c == '\'') sf_buf_add(&cl, "'\\''");
        else sf_buf_addc(&cl, *c);
      }
      sf_buf_add(&cl, "'");
    }
  }
  char **args;
  size_t nargs;
  int rc = cli_parse(&cmd, argc, argv, &args, &nargs);
  if (rc == CLI_HELP_SHOWN || rc) {
    sf_buf_free(&cl);
    return rc == CLI_HELP_SHOWN ? SF_OK : rc;
  }
  if (!out_dir) {
    sf_buf_free(&cl);
    cli_error("report: where to? give -o DIR (e.g. -o reports)");
    return SF_EUSAGE;
  }
  if (jobs < 1 || jobs > 64) {
    sf_buf_free(&cl);
    cli_error("report: -j must be in 1..64, got %ld", jobs);
    return SF_EUSAGE;
  }
  sf_report_ctx ctx = {sf_buf_str(&cl), NULL, threads_arg >= 0 ? (int)threads_arg : jobs > 1 ? 1 : 0};
  job *J = calloc(nargs, sizeof *J);
  if (!J) {
    sf_buf_free(&cl);
    cli_error("out of memory");
    return SF_ENOMEM;
  }
  for (size_t i = 0; i < nargs; i++) J[i].spec = args[i], sf_buf_init(&J[i].msg);
  /* two specs of the same file name (a/x.ini, b/x.ini) would write the same folder, and which
   * report survived would depend on timing: refuse before anything runs */
  rc = SF_OK;
  for (size_t i = 0; i < nargs && !rc; i++)
    if (!(J[i].name = sf_spec_folder_name(J[i].spec))) rc = SF_ENOMEM;
  for (size_t i = 0; i < nargs && !rc; i++)
    for (size_t k = i + 1; k < nargs && !rc; k++)
      if (!strcmp(J[i].name, J[k].name)) {
        cli_error("report: '%s' and '%s' would both write '%s/%s'; rename one of them (the folder is the spec's "
                  "file name without its extension)", J[i].spec, J[k].spec, out_dir, J[i].name);
        rc = SF_EUSAGE;
      }
  for (size_t i = 0; i < nargs; i++) free(J[i].name), J[i].name = NULL;
  if (rc) {
    if (rc == SF_ENOMEM) cli_error("out of memory");
    for (size_t i = 0; i < nargs; i++) sf_buf_free(&J[i].msg);
    free(J);
    sf_buf_free(&cl);
    return rc;
  }
  /* the folders this batch creates: a batch that writes no report removes them again, so a
   * failed spec leaves nothing behind */
  char **made = NULL;
  size_t nmade = missing_dirs(out_dir, &made);
  fflush(stdout);
  fflush(stderr);
  size_t next = 0, running = 0, finished = 0;
  report_progress pg = {isatty(STDERR_FILENO), nargs, 0, cli_now(), 0, 0};
  while (finished < nargs) {
    while (running < (size_t)jobs && next < nargs) {
      job *j = &J[next++];
      int p[2];
      if (pipe(p)) {
        sf_buf_printf(&j->msg, "%s: cannot start: %s", j->spec, strerror(errno));
        j->rc = SF_EINTERNAL, j->done = 1, finished++;
        pg.finished = finished;
        status_clear(&pg);
        cli_error("[%zu/%zu] %s", finished, nargs, sf_buf_str(&j->msg));
        continue;
      }
      pid_t pid = fork();
      if (pid == 0) {
        /* the child needs none of the parent's jobs: it frees them, or its leak check at exit
         * (which an -O0 build can miss, finding J's address left on the stack) reports them */
        const char *spec = j->spec;
        close(p[0]);
        for (size_t k = 0; k < nargs; k++) {
          if (J[k].pid > 0 && !J[k].done) close(J[k].fd);
          sf_buf_free(&J[k].msg), free(J[k].name);
        }
        free(J);
        for (size_t k = 0; k < nmade; k++) free(made[k]);
        free(made);
        child(spec, p[1], &ctx);
      }
      close(p[1]);
      if (pid < 0) {
        close(p[0]);
        sf_buf_printf(&j->msg, "%s: cannot start: %s", j->spec, strerror(errno));
        j->rc = SF_EINTERNAL, j->done = 1, finished++;
        pg.finished = finished;
        status_clear(&pg);
        cli_error("[%zu/%zu] %s", finished, nargs, sf_buf_str(&j->msg));
        continue;
      }
      j->pid = pid, j->fd = p[0];
      running++;
    }
    if (!running) continue;
    int status;
    /* on a terminal the status line ticks while the specs run; in a log the wait just blocks */
    if (pg.tty && (!pg.drawn || cli_now() - pg.last_draw >= 1)) status_draw(&pg, J, nargs);
    pid_t pid = waitpid(-1, &status, pg.tty ? WNOHANG : 0);
    if (pid == 0) {
      struct timespec nap = {0, 100 * 1000 * 1000};
      nanosleep(&nap, NULL);
      continue;
    }
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t i = 0; i < nargs; i++)
      if (J[i].pid == pid && !J[i].done) {
        collect(&J[i], status);
        running--, finished++;
        pg.finished = finished;
        status_clear(&pg);
        if (J[i].rc) cli_error("[%zu/%zu] %s", finished, nargs, sf_buf_str(&J[i].msg));
        else
          /* a report with warnings says so where the batch is read, here and on the index */
          printf("[%zu/%zu] %s -> %s/%s/index.html (%s%s%.0zu%s)\n", finished, nargs, J[i].spec, out_dir,
                 J[i].name ? J[i].name : "?", sf_buf_str(&J[i].msg), J[i].warnings ? "; " : "", J[i].warnings,
                 J[i].warnings == 1 ? " warning" : J[i].warnings ? " warnings" : "");
        fflush(stdout);
      }
  }
  status_clear(&pg);
  sf_report_entry *E = calloc(nargs, sizeof *E);
  size_t ok = 0;
  int first_rc = 0;
  for (size_t i = 0; i < nargs; i++) {
    ok += J[i].rc == 0;
    if (J[i].rc && !first_rc) first_rc = J[i].rc;
    if (E) E[i] = (sf_report_entry){J[i].spec, J[i].name, J[i].rc == 0, sf_buf_str(&J[i].msg), J[i].warnings};
  }
  int irc = SF_OK;
  struct stat sb;
  /* the index only beside at least one report: a batch in which every spec failed writes
   * nothing (an index of failures alone would replace one that links earlier reports) */
  if (ok && E && stat(out_dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    irc = sf_report_index(out_dir, E, nargs, sf_buf_str(&cl));
    if (irc) cli_error("%s", sf_errmsg());
  }
  if (!ok)
    for (size_t i = 0; i < nmade; i++) rmdir(made[i]); /* deepest first; a folder not empty stays */
  for (size_t i = 0; i < nmade; i++) free(made[i]);
  free(made);
  printf("%zu report%s written, %zu failed\n", ok, ok == 1 ? "" : "s", nargs - ok);
  free(E);
  for (size_t i = 0; i < nargs; i++) sf_buf_free(&J[i].msg), free(J[i].name);
  free(J);
  sf_buf_free(&cl);
  if (first_rc) return first_rc;
  return irc;
}
