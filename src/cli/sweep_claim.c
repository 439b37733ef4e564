/* sweep_claim.c: claims on runs, so that sweeps started at once on one run file (a second terminal,
 * a second machine on a shared filesystem) split the runs instead of each training all of them.
 *
 * Before a sweep process trains a run (the serial loop, the parent of --jobs workers, rank 0 under
 * MPI: whoever hands the runs out, in sweep_next_run) it creates "<runfile>.ckpt.d/<run>.claim"
 * with O_CREAT|O_EXCL, holding "HOST PID UNIXTIME". Another sweep that finds the file leaves the
 * run for the end of its own list; when it comes back, a run whose claim is gone was recorded (and is
 * skipped) or given up (and is claimed and trained), and a claim that is stale is taken over: its
 * process is gone from this host, or it has not been refreshed for CLAIM_STALE_S (a machine lost;
 * the process that trains the run touches it every CLAIM_REFRESH_S, from its step callback). The
 * run resumes from its checkpoint, which the claim sits beside.
 *
 * Taking over rewrites the stale file in place under an flock on it, after reading it again under
 * that lock, so that two sweeps finding one stale claim do not both take it: the second reads the
 * first's fresh claim. A claim is released (removed, if it is still this process's) once its run is
 * recorded, and all the process holds when the sweep ends, on success, error or a first Ctrl-C; a
 * process killed outright leaves claims that the next sweep finds stale by its pid.
 */
#define _GNU_SOURCE
#include <scalefit/sf_error.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sweep_cli.h"
#include "util/util.h"

enum { CLAIM_STALE_S = 600, CLAIM_REFRESH_S = 60 };

static char *claim_path(const char *runfile, const char *run) { return sf_asprintf("%s.ckpt.d/%s.claim", runfile, run); }

static const char *host(void) {
  static char h[256];
  if (!h[0] && (gethostname(h, sizeof h - 1) != 0 || !h[0])) snprintf(h, sizeof h, "localhost");
  for (char *p = h; *p; p++)
    if (*p == ' ' || *p == '\n') *p = '_';
  return h;
}

/* The claim in fd (opened on path): who holds it, and whether that holder is gone. */
typedef struct claim_info {
  char host[256];
  long pid;
  long age; /* seconds since it was last refreshed */
  int ours, stale;
} claim_info;

static void claim_read(int fd, claim_info *c) {
  memset(c, 0, sizeof *c);
  char buf[400];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = 0;
  long t = 0;
  int got = sscanf(buf, "%255s %ld %ld", c->host, &c->pid, &t) == 3 && c->pid > 0;
  struct stat st;
  c->age = fstat(fd, &st) == 0 ? (long)(time(NULL) - st.st_mtime) : 0;
  int here = got && strcmp(c->host, host()) == 0;
  c->ours = here && c->pid == (long)getpid();
  /* a file not yet written by its creator is fresh, not stale */
  c->stale = !c->ours && ((here && sf_process_gone(c->pid)) || c->age > CLAIM_STALE_S);
}

static int claim_write(int fd) {
  char line[400];
  int n = snprintf(line, sizeof line, "%s %ld %ld\n", host(), (long)getpid(), (long)time(NULL));
  return ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)n, 0) == n ? 0 : -1;
}

/* Opens and locks the claim at path, NULL-safe: the fd, or -1 when there is none (ENOENT) or it
 * was replaced while we waited for the lock (then *again is set). */
static int claim_lock(const char *path, int *again) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  int r;
  while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
  }
  struct stat a, b;
  if (r == 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) return fd;
  close(fd);
  *again = 1;
  return -1;
}

int sweep_claim(sweep_ctx *x, size_t i) {
  const char *name = x->plan.runs[i].name;
  char *path = claim_path(x->output, name);
  if (!path) return -sf_fail(SF_ENOMEM, "out of memory");
  int rc = -SF_EIO;
  for (int tries = 0; tries < 8; tries++) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      int w = claim_write(fd);
      close(fd);
      if (w) {
        unlink(path);
        break;
      }
      rc = 1;
      goto out;
    }
    if (errno == ENOENT) { /* another sweep's housekeeping removed the empty checkpoint folder */
      if (sf_sweep_checkpoint_dir(x->output)) {
        rc = -sf_errcode();
        goto out;
      }
      continue;
    }
    if (errno != EEXIST) break;
    int again = 0;
    fd = claim_lock(path, &again);
    if (fd < 0) {
      if (again || errno == ENOENT) continue; /* released or replaced meanwhile: try again */
      break;
    }
    claim_info c;
    claim_read(fd, &c);
    if (c.ours || c.stale) {
      if (c.stale) {
        progress_clear(&x->prog);
        cli_note("sweep: run '%s': the claim of %s process %ld is stale (%s): taken over, the run resumes from its "
                 "checkpoint", name, c.host, c.pid, c.age > CLAIM_STALE_S ? "not refreshed for long" : "the process is gone");
      }
      rc = c.ours || !claim_write(fd) ? 1 : -SF_EIO;
      if (rc == 1) futimens(fd, NULL);
      close(fd);
      if (rc < 0) break;
      goto out;
    }
    close(fd);
    rc = 0;
    goto out;
  }
  rc = -sf_fail(SF_EIO, "cannot claim run '%s' in '%s': %s", name, path, strerror(errno ? errno : EIO));
out:
  free(path);
  if (rc == 1 && x->claim) x->claim[i] = SWEEP_CLAIM_HELD;
  return rc;
}

void sweep_claim_release(sweep_ctx *x, size_t i) {
  if (!x->claim || x->claim[i] != SWEEP_CLAIM_HELD) return;
  x->claim[i] = SWEEP_CLAIM_NONE;
  char *path = claim_path(x->output, x->plan.runs[i].name);
  int again = 0, fd = path ? claim_lock(path, &again) : -1;
  if (fd >= 0) {
    claim_info c;
    claim_read(fd, &c);
    if (c.ours) unlink(path); /* not a claim another sweep took over from this one */
    close(fd);
  }
  free(path);
}

void sweep_claims_release(sweep_ctx *x) {
  for (size_t i = 0; x->claim && i < x->plan.nruns; i++) sweep_claim_release(x, i);
}

int sweep_claim_describe(const char *runfile, const char *run, char *buf, size_t n) {
  char *path = claim_path(runfile, run);
  int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  free(path);
  if (fd < 0) return 0;
  claim_info c;
  claim_read(fd, &c);
  close(fd);
  snprintf(buf, n, "claimed by %s process %ld, refreshed %lds ago%s", c.host[0] ? c.host : "?", c.pid, c.age,
           c.stale ? ": stale, the next sweep takes it over" : "");
  return 1;
}

void sweep_claim_drop_stale(const char *runfile, const char *run) {
  char *path = claim_path(runfile, run);
  int again = 0, fd = path ? claim_lock(path, &again) : -1;
  if (fd >= 0) {
    claim_info c;
    claim_read(fd, &c);
    if (c.stale) unlink(path);
    close(fd);
  }
  free(path);
}

/* ---- refreshing, from the step callback of the process that trains the run ---- */

void sweep_claim_keep_start(sweep_claim_keeper *k, const sweep_ctx *x, size_t i, sf_train_progress_fn fn, void *ctx) {
  *k = (sweep_claim_keeper){fn, ctx, claim_path(x->output, x->plan.runs[i].name), cli_now()};
}

int sweep_claim_keep_step(void *ctx, long step, long steps, double loss, double seconds) {
  sweep_claim_keeper *k = ctx;
  double t = cli_now();
  if (k->path && t - k->last >= CLAIM_REFRESH_S) {
    utimensat(AT_FDCWD, k->path, NULL, 0); /* no file: nothing to refresh (it is never created here) */
    k->last = t;
  }
  return k->fn ? k->fn(k->ctx, step, steps, loss, seconds) : 0;
}

void sweep_claim_keep_end(sweep_claim_keeper *k) {
  free(k->path);
  k->path = NULL;
}
