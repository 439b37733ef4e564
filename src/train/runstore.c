/* runstore.c: a finished run as a row of the run store (sf_store.h), and the append of one run to
 * an HDF5 run file that sweeps rely on for resuming: read the table, add the row, write the whole
 * file atomically (sf_h5_write builds it beside the target and renames), so a run is either in
 * the file or not, never half. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>
#include <scalefit/sf_train.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

char *sf_train_run_name(const sf_train_config *c, const sf_source *src) {
  return sf_asprintf("%s-L%d-d%d-h%d-T%d-D%.0f-s%llu", sf_source_name(src), c->model.n_layer, c->model.d_model,
                     c->model.n_head, c->model.n_ctx, c->tokens, (unsigned long long)c->seed);
}

int sf_train_result_to_table(const sf_train_result *r, const sf_source *src, const char *run_name, sf_table *t) {
  char *family = NULL, *source = NULL, *notes = NULL;
  int rc = sf_train_result_text(r, src, &family, &source, &notes);
  if (rc) return rc;
  long row = sf_table_add_row(t, run_name, family, source, notes);
  free(family);
  free(source);
  free(notes);
  if (row < 0) return (int)-row;
  static const struct { const char *name, *unit; } cols[] = {
      {"N", "parameters"},       {"D", "tokens"},        {"C", "FLOP"},           {"loss", "nats/token"},
      {"N_nonembed", "parameters"}, {"flops_6nd", "FLOP"}, {"train_loss", "nats/token"}, {"val_bpb", "bits/byte"},
      {"accuracy", "fraction"},  {"entropy_rate", "nats/token"}, {"val_entropy", "nats/token"}, {"tokens_per_s", "tokens/s"}, {"mfu", "fraction"},
      {"seconds", "s"}};
  double v[] = {r->N,        r->D,          r->flops,    r->val_loss,     r->N_nonembed, r->flops_6nd, r->train_loss,
                r->val_bpb,  r->accuracy,   r->entropy_rate, r->val_entropy, r->tokens_per_s, r->mfu,     r->seconds};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    int c = sf_table_add_column(t, cols[i].name, cols[i].unit);
    if (c < 0) return -c;
    if ((rc = sf_table_set(t, (size_t)row, cols[i].name, v[i]))) return rc;
  }
  if (t->ncurve == 0 &&
      (rc = sf_table_set_curve_columns(t, SF_TRAIN_CURVE_COLS, sf_train_curve_names, sf_train_curve_units)))
    return rc;
  if (t->ncurve != SF_TRAIN_CURVE_COLS || strcmp(t->curve_name[0], sf_train_curve_names[0]) != 0)
    return sf_fail(SF_EINPUT, "table '%s' has training curves of another layout", t->name);
  return sf_table_set_curve(t, (size_t)row, r->ncurve, r->curve);
}

/* Writers of one run file (a sweep, `train -o`, a second sweep started by mistake) take turns
 * through an exclusive flock on "<path>.lock" around read-modify-rename, so none loses another's
 * run. The holder removes the lock file when done; a waiter that then acquires the removed file
 * notices (its inode no longer the path's) and tries again, so two holders never coexist. */
static int store_lock(const char *path, char **lockpath) {
  *lockpath = sf_asprintf("%s.lock", path);
  if (!*lockpath) return sf_fail(SF_ENOMEM, "out of memory"), -1;
  for (;;) {
    int fd = open(*lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) break;
    int r;
    while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    struct stat a, b;
    if (r == 0 && fstat(fd, &a) == 0 && stat(*lockpath, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
      return fd;
    close(fd);
    if (r != 0) break;
  }
  sf_fail(SF_EIO, "cannot lock '%s': %s", *lockpath, strerror(errno));
  free(*lockpath);
  *lockpath = NULL;
  return -1;
}

static void store_unlock(int fd, char *lockpath) {
  unlink(lockpath);
  close(fd);
  free(lockpath);
}

/* A writer killed while holding the lock (SIGKILL, a machine lost) leaves "<path>.lock" behind; the
 * kernel released its flock when it died, so the next writer takes it at once, but a sweep with
 * nothing left to append would leave it for good. Removed here when no one holds it, as store_unlock
 * does (a writer waiting on it sees the inode gone and opens a new one); a live writer's is left. */
void sf_train_store_unlock_stale(const char *path) {
  char *lockpath = sf_asprintf("%s.lock", path);
  int fd = lockpath ? open(lockpath, O_RDWR | O_CLOEXEC) : -1;
  struct stat a, b;
  if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 && stat(lockpath, &b) == 0 &&
      a.st_ino == b.st_ino && a.st_dev == b.st_dev)
    unlink(lockpath);
  if (fd >= 0) close(fd);
  free(lockpath);
}

int sf_train_store_append(const char *path, const char *table, const sf_train_result *r, const sf_source *src,
                          const char *run_name) {
  if (!table) table = "runs";
  char *lockpath = NULL;
  int fd = store_lock(path, &lockpath);
  if (fd < 0) return sf_errcode() ? sf_errcode() : SF_ENOMEM;
  sf_table *t = NULL;
  int rc = SF_OK;
  if (access(path, F_OK) == 0) {
    char **names = NULL;
    size_t n = 0;
    if (!(rc = sf_h5_list(path, &names, &n))) {
      int found = 0;
      for (size_t i = 0; i < n; i++) found |= strcmp(names[i], table) == 0;
      sf_h5_free_list(names, n);
      rc = found ? sf_h5_read(path, table, &t) : SF_OK;
    }
  }
  if (!rc && !t && !(t = sf_table_new(table))) rc = sf_errcode() ? sf_errcode() : SF_ENOMEM;
  for (size_t i = 0; !rc && i < t->nrows; i++)
    if (strcmp(t->run[i], run_name) == 0)
      rc = sf_fail(SF_EINPUT, "run '%s' is already in table '%s' of '%s' (another process recorded it meanwhile)",
                   run_name, table, path);
  if (!rc) rc = sf_train_result_to_table(r, src, run_name, t);
  if (!rc) rc = sf_h5_write(path, t, SF_H5_REPLACE);
  sf_table_free(t);
  store_unlock(fd, lockpath);
  return rc;
}

int sf_train_store_check(const char *path, const char *table, sf_table **existing) {
  if (existing) *existing = NULL;
  if (table && !sf_table_valid_name(table)) return sf_fail(SF_EUSAGE, "table name '%s' is not [A-Za-z0-9_.-]+", table);
  sf_atomic probe;
  int rc = sf_atomic_open(&probe, path);
  if (rc) return rc;
  sf_atomic_abort(&probe);
  return sf_train_store_read(path, table, existing);
}

int sf_train_store_read(const char *path, const char *table, sf_table **existing) {
  if (existing) *existing = NULL;
  if (!table) table = "runs";
  if (!sf_table_valid_name(table)) return sf_fail(SF_EUSAGE, "table name '%s' is not [A-Za-z0-9_.-]+", table);
  int rc;
  if (access(path, F_OK) != 0) return SF_OK;
  char **names = NULL;
  size_t n = 0;
  if ((rc = sf_h5_list(path, &names, &n))) return sf_fail_context("cannot append to '%s': ", path);
  int found = 0;
  for (size_t i = 0; i < n; i++) found |= strcmp(names[i], table) == 0;
  sf_h5_free_list(names, n);
  if (!found) return SF_OK;
  sf_table *t = NULL;
  if ((rc = sf_h5_read(path, table, &t))) return rc;
  int ours = t->ncurve == SF_TRAIN_CURVE_COLS;
  for (size_t i = 0; ours && i < t->ncurve; i++) ours = strcmp(t->curve_name[i], sf_train_curve_names[i]) == 0;
  if (t->ncurve && !ours) {
    sf_table_free(t);
    return sf_fail(SF_EINPUT, "table '%s' in '%s' holds training curves of another layout: use another --table",
                   table, path);
  }
  if (existing) *existing = t;
  else sf_table_free(t);
  return SF_OK;
}
