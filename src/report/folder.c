/* folder.c: the file-system chores of a report: making the output folder, removing a report
 * folder (flat: files only), reading a chart back, and formatting numbers for tables. */
#include <scalefit/sf_error.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"

int rp_mkdir_p(const char *dir) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0777) && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(buf, 0777) && errno != EEXIST) return -1;
  struct stat sb;
  if (stat(buf, &sb) || !S_ISDIR(sb.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

int rp_remove_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *p = sf_asprintf("%s/%s", dir, e->d_name);
    if (p) unlink(p);
    free(p);
  }
  closedir(d);
  return rmdir(dir);
}

/* A run killed while it built report NAME (Ctrl-C, SIGKILL, a crash; cleanup code cannot run
 * then) leaves OUTDIR/.NAME.tmp.PID, half-built, and perhaps OUTDIR/.NAME.old.PID, the report before
 * it, moved aside for the rename into place. Nothing else would ever remove them: once PID is gone,
 * the half-built folder is removed, and a report found only moved aside goes back into place. */
void rp_remove_stale(const char *outdir, const char *name) {
  DIR *d = opendir(outdir);
  size_t nl = strlen(name);
  for (struct dirent *e; d && (e = readdir(d));) {
    const char *n = e->d_name;
    if (n[0] != '.' || strncmp(n + 1, name, nl) || (strncmp(n + 1 + nl, ".tmp.", 5) && strncmp(n + 1 + nl, ".old.", 5)))
      continue;
    char *end;
    long pid = strtol(n + nl + 6, &end, 10);
    if (pid <= 0 || *end || !sf_process_gone(pid)) continue;
    char *p = sf_asprintf("%s/%s", outdir, n), *final = sf_asprintf("%s/%s", outdir, name);
    struct stat sb;
    if (p && final && n[nl + 2] == 'o' && stat(final, &sb) != 0 && errno == ENOENT && rename(p, final) == 0) {
      /* put back */
    } else if (p) {
      rp_remove_tree(p);
    }
    free(p);
    free(final);
  }
  if (d) closedir(d);
}

