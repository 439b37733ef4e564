/* atomic.c: outputs are written to a temporary file beside the target and renamed into place,
 * so an interrupted or failed command never leaves a half-written file under the final name. */
#include "util/util.h"

#include <scalefit/sf_error.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *sf_temp_path_beside(const char *path) {
  static atomic_uint counter;
  unsigned n = atomic_fetch_add(&counter, 1u);
  return sf_asprintf("%s.tmp.%ld.%u", path, (long)getpid(), n);
}

/* The file a write to path replaces: path with its symbolic links followed (a dangling one too, so
 * the file is created where the link points). Renaming over the link itself put the new file in its
 * place and left the file it pointed at unchanged: "import -o link.h5" updated neither. NULL with
 * errno set on a loop of links or no memory. */
static char *link_target(const char *path) {
  char *p = sf_strdup(path);
  for (int hops = 0; p; hops++) {
    struct stat sb;
    if (lstat(p, &sb) != 0 || !S_ISLNK(sb.st_mode)) return p;
    if (hops == 40) break;
    char buf[4096];
    ssize_t n = readlink(p, buf, sizeof buf - 1);
    if (n < 0) return p;
    buf[n] = '\0';
    const char *slash = strrchr(p, '/');
    char *next = buf[0] == '/' || !slash ? sf_strdup(buf) : sf_asprintf("%.*s%s", (int)(slash - p) + 1, p, buf);
    free(p);
    p = next;
  }
  errno = p ? ELOOP : ENOMEM;
  free(p);
  return NULL;
}

int sf_atomic_open(sf_atomic *a, const char *path) {
  memset(a, 0, sizeof *a);
  if (sf_is_dir(path)) return sf_fail(SF_EIO, "cannot write '%s': it is a directory", path);
  a->path = link_target(path);
  if (!a->path && errno == ELOOP) return sf_fail(SF_EIO, "cannot write '%s': %s", path, strerror(ELOOP));
  a->tmp = a->path ? sf_temp_path_beside(a->path) : NULL;
  if (!a->path || !a->tmp) {
    free(a->path);
    free(a->tmp);
    return sf_fail(SF_ENOMEM, "out of memory");
  }
  int fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0 || !(a->fp = fdopen(fd, "w"))) {
    int e = errno;
    if (fd >= 0) close(fd);
    free(a->path);
    free(a->tmp);
    memset(a, 0, sizeof *a);
    return sf_fail(SF_EIO, "cannot write '%s': %s", path, strerror(e));
  }
  return SF_OK;
}

void sf_atomic_abort(sf_atomic *a) {
  if (a->fp) fclose(a->fp);
  if (a->tmp) unlink(a->tmp);
  free(a->path);
  free(a->tmp);
  memset(a, 0, sizeof *a);
}

int sf_atomic_commit(sf_atomic *a) {
  int rc = SF_OK;
  if (fflush(a->fp) != 0 || ferror(a->fp) || fsync(fileno(a->fp)) != 0) {
    rc = sf_fail(SF_EIO, "cannot write '%s': %s", a->path, strerror(errno));
  }
  if (fclose(a->fp) != 0 && rc == SF_OK) rc = sf_fail(SF_EIO, "cannot write '%s': %s", a->path, strerror(errno));
  a->fp = NULL;
  if (rc == SF_OK && rename(a->tmp, a->path) != 0)
    rc = sf_fail(SF_EIO, "cannot rename into '%s': %s", a->path, strerror(errno));
  if (rc != SF_OK) unlink(a->tmp);
  free(a->path);
  free(a->tmp);
  memset(a, 0, sizeof *a);
  return rc;
}

int sf_output_probe(const char *path) {
  if (sf_is_dir(path)) return sf_fail(SF_EIO, "cannot write '%s': it is a directory", path);
  sf_atomic a;
  int rc = sf_atomic_open(&a, path);
  if (rc == SF_OK) sf_atomic_abort(&a);
  return rc;
}

int sf_write_file_atomic(const char *path, const char *data, size_t len) {
  sf_atomic a;
  int rc = sf_atomic_open(&a, path);
  if (rc) return rc;
  if (len && fwrite(data, 1, len, a.fp) != len) {
    sf_atomic_abort(&a);
    return sf_fail(SF_EIO, "cannot write '%s': %s", path, strerror(errno));
  }
  return sf_atomic_commit(&a);
}

/* 1 when process pid will write nothing more: it does not exist, or it is a zombie (killed, not yet
 * reaped: the ranks of an mpirun that was itself killed are orphans that linger so until init reaps
 * them). A pid on another machine (a shared folder under MPI) looks alive, so its files are kept. */
int sf_process_gone(long pid) {
  if (kill((pid_t)pid, 0) != 0) return errno == ESRCH;
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *end = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold spaces and parentheses */
  return end && end[1] == ' ' && end[2] == 'Z';
}

/* In folder dir ("" for the current one, else ending in '/'), removes the entries
 * "<base>.tmp.<pid>.<n>" (any base when base is NULL: the last ".tmp." of the name) whose writer
 * is gone. */
static void remove_stale_in(const char *dir, const char *base) {
  size_t bl = base ? strlen(base) : 0;
  DIR *d = opendir(*dir ? dir : ".");
  for (struct dirent *e; d && (e = readdir(d));) {
    const char *tmp = NULL;
    if (base) {
      if (strncmp(e->d_name, base, bl) == 0 && strncmp(e->d_name + bl, ".tmp.", 5) == 0) tmp = e->d_name + bl;
    } else {
      for (const char *q = e->d_name; (q = strstr(q, ".tmp.")); q++) tmp = q;
    }
    if (!tmp) continue;
    char *end;
    long pid = strtol(tmp + 5, &end, 10);
    if (pid <= 0 || *end != '.' || !sf_process_gone(pid)) continue;
    char *t = sf_asprintf("%s%s", dir, e->d_name);
    if (t) remove(t);
    free(t);
  }
  if (d) closedir(d);
}

static void remove_stale_beside(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? sf_asprintf("%.*s", (int)(slash - path) + 1, path) : sf_strdup("");
  if (dir) remove_stale_in(dir, slash ? slash + 1 : path);
  free(dir);
}

/* Beside the file sf_atomic_open writes, the link's target when path is a symbolic link (it looked
 * only beside the link, where no temporary file is made); beside the link too, where a scalefit
 * from before links were followed left them. */
void sf_atomic_remove_stale(const char *path) {
  char *target = link_target(path);
  if (target && strcmp(target, path) != 0) remove_stale_beside(target);
  free(target);
  remove_stale_beside(path);
}

void sf_atomic_remove_stale_dir(const char *dir) {
  char *d = sf_asprintf("%s/", dir);
  if (d) remove_stale_in(d, NULL);
  free(d);
}
