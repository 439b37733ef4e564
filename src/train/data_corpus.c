/* data_corpus.c: byte-level natural text from a Debian package (SF_CORPUS_PACKAGE).
 *
 * Every regular file under the directory is read, in byte order of the paths so the corpus does
 * not depend on the file system's listing order; file i goes to the validation split when
 * i % 20 == 10 (a fixed ~5% split by whole documents, so no window straddles the two). The
 * package's version comes from dpkg-query and is part of the source's description, which every
 * run records. Tokens are bytes: vocabulary 256, and a token is a byte, so bits per token are
 * bits per byte. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "train/internal.h"
#include "util/util.h"

typedef struct paths {
  char **p;
  size_t n, cap;
} paths;

static int collect(paths *ps, const char *dir, int depth) {
  if (depth > 32) return sf_fail(SF_EINPUT, "corpus directory '%s' is nested too deeply", dir);
  DIR *d = opendir(dir);
  if (!d) return sf_fail(SF_EINPUT, "cannot read corpus directory '%s': %s", dir, strerror(errno));
  int rc = SF_OK;
  for (struct dirent *e; rc == SF_OK && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    char *path = sf_asprintf("%s/%s", dir, e->d_name);
    struct stat st;
    if (!path) rc = sf_fail(SF_ENOMEM, "out of memory");
    else if (stat(path, &st) != 0) free(path); /* a dangling link: not text */
    else if (S_ISDIR(st.st_mode)) {
      rc = collect(ps, path, depth + 1);
      free(path);
    } else if (S_ISREG(st.st_mode)) {
      if (ps->n == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 256;
        char **np = realloc(ps->p, cap * sizeof *np);
        if (!np) {
          free(path);
          rc = sf_fail(SF_ENOMEM, "out of memory");
          break;
        }
        ps->p = np;
        ps->cap = cap;
      }
      ps->p[ps->n++] = path;
    } else {
      free(path);
    }
  }
  closedir(d);
  return rc;
}

static int cmp_path(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int append_file(const char *path, unsigned char **buf, size_t *n, size_t *cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return sf_fail(SF_EINPUT, "cannot read corpus file '%s': %s", path, strerror(errno));
  for (;;) {
    if (*cap - *n < 65536) {
      size_t nc = *cap ? 2 * *cap : (size_t)1 << 20;
      unsigned char *nb = realloc(*buf, nc);
      if (!nb) {
        fclose(f);
        return sf_fail(SF_ENOMEM, "out of memory");
      }
      *buf = nb;
      *cap = nc;
    }
    size_t got = fread(*buf + *n, 1, *cap - *n, f);
    *n += got;
    if (got == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  return bad ? sf_fail(SF_EINPUT, "cannot read corpus file '%s'", path) : SF_OK;
}

static void package_version(char *out, size_t n) {
  snprintf(out, n, "unknown version");
  FILE *p = popen("dpkg-query -W -f='${Version}' " SF_CORPUS_PACKAGE " 2>/dev/null", "r");
  if (!p) return;
  char buf[64];
  size_t got = fread(buf, 1, sizeof buf - 1, p);
  buf[got] = '\0';
  if (pclose(p) == 0 && got > 0) snprintf(out, n, "%s", buf);
}

int sf_corpus_open(sf_source *s, const char *dir) {
  struct stat st;
  int is_default = strcmp(dir, SF_CORPUS_DIR) == 0;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (is_default)
      return sf_fail(SF_EINPUT,
                     "corpus '%s' not found: install the Debian package '" SF_CORPUS_PACKAGE
                     "' (apt-get install " SF_CORPUS_PACKAGE ")",
                     dir);
    if (stat(dir, &st) == 0)
      return sf_fail(SF_EINPUT, "corpus directory '%s' is a file: give the folder that holds the text files", dir);
    return sf_fail(SF_EINPUT, "corpus directory '%s' not found (%s)", dir, strerror(errno));
  }
  paths ps = {0};
  int rc = collect(&ps, dir, 0);
  if (rc == SF_OK) qsort(ps.p, ps.n, sizeof *ps.p, cmp_path);
  size_t capt = 0, capv = 0, nfiles = ps.n;
  for (size_t i = 0; rc == SF_OK && i < ps.n; i++) {
    if (i % 20 == 10) rc = append_file(ps.p[i], &s->val, &s->nval, &capv);
    else rc = append_file(ps.p[i], &s->train, &s->ntrain, &capt);
  }
  for (size_t i = 0; i < ps.n; i++) free(ps.p[i]);
  free(ps.p);
  if (rc) return rc;
  if (s->ntrain < 4096 || s->nval < 1024)
    return sf_fail(SF_EINPUT, "corpus '%s' is too small (%zu file%s, %zu bytes; need at least 21 files and 5 kB)", dir,
                   nfiles, nfiles == 1 ? "" : "s", s->ntrain + s->nval);
  s->vocab = 256;
  char version[96];
  if (is_default) package_version(version, sizeof version);
  snprintf(s->desc, sizeof s->desc, "%s%s%s (%s), %zu files, %.2f MB train, %.2f MB val, byte-level",
           is_default ? SF_CORPUS_PACKAGE " " : "", is_default ? version : "", is_default ? "" : "directory", dir,
           nfiles, (double)s->ntrain / 1e6, (double)s->nval / 1e6);
  return SF_OK;
}

void sf_corpus_batch(const unsigned char *text, size_t n, const size_t *offsets, int B, int T, int *tokens,
                     int *targets) {
  (void)n;
  for (int b = 0; b < B; b++) {
    const unsigned char *t = text + offsets[b];
    for (int i = 0; i < T; i++) {
      tokens[(size_t)b * T + i] = t[i];
      targets[(size_t)b * T + i] = t[i + 1];
    }
  }
}
