/* checkpoint.c: a run's state on disk, so that a long run killed at any moment resumes where its
 * last checkpoint left it. The file holds a text header (magic and the configuration as one line,
 * which is how a checkpoint of another configuration is recognised and named in the message),
 * then the loop's counters, the data RNG, the curve so far, and the parameters with AdamW's two
 * moments, and last a 64-bit FNV-1a-style hash of everything after the header, so that a damaged file
 * (a flipped bit in a weight would otherwise resume silently) is refused. It is written atomically
 * (temporary file, fsync, rename). Same machine and build only: numbers are stored in native byte
 * order. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_train.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "train/checkpoint.h"
#include "train/internal.h"
#include "util/util.h"

static const char magic[] = "scalefit-checkpoint 3\n", magic_stem[] = "scalefit-checkpoint ";

/* FNV-1a's step over the payload's 64-bit words (then its last bytes), block by block as it is
 * written or read: a word at a time, so that hashing GPT-2 small's 1.5 GB of weights and moments
 * costs a fraction of a second, not seconds, every checkpoint */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, b + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
  }
  for (; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
  return h;
}
#define FNV_BASIS 0xcbf29ce484222325ULL

static int put(FILE *f, uint64_t *h, const void *p, size_t size, size_t n) {
  *h = fnv(*h, p, size * n);
  return fwrite(p, size, n, f) == n;
}

static int get(FILE *f, uint64_t *h, void *p, size_t size, size_t n) {
  if (fread(p, size, n, f) != n) return 0;
  *h = fnv(*h, p, size * n);
  return 1;
}

/* A CPU run's results depend on its thread count, a GPU run's on its precision (not on the host's
 * threads): the line ends with what the run depends on, so a CPU checkpoint never resumes a GPU run
 * or the other way round, and the refusal names both. The data's description comes last: the
 * weights of a run on one Markov chain (or corpus folder) must not continue on another of the same
 * vocabulary, and a sweep's run names do not hold the chain's parameters. */
char *sf_ckpt_config_line(const sf_train_config *c, int threads, const sf_source *src) {
  char tail[64];
  if (c->device == SF_DEVICE_CUDA)
    snprintf(tail, sizeof tail, "device=cuda precision=%s", sf_precision_name(c->precision));
  else
    snprintf(tail, sizeof tail, "threads=%d", threads);
  char *line = sf_asprintf("layers=%d d_model=%d heads=%d context=%d vocab=%d tokens=%.17g batch_tokens=%ld lr=%.17g "
                           "warmup_frac=%.17g min_lr_frac=%.17g weight_decay=%.17g grad_clip=%.17g val_tokens=%ld "
                           "evals=%d seed=%llu %s data=%s",
                           c->model.n_layer, c->model.d_model, c->model.n_head, c->model.n_ctx, c->model.vocab,
                           c->tokens, c->batch_tokens, c->lr, c->warmup_frac, c->min_lr_frac, c->weight_decay,
                           c->grad_clip, c->val_tokens, c->evals, (unsigned long long)c->seed, tail,
                           sf_source_describe(src));
  /* the header is one line: a corpus folder's name may hold a newline */
  for (char *p = line; p && *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  return line;
}

/* Makes path's folder again if it is gone; 1 if it made it. A sweep removes its checkpoint folder
 * when it finds it empty, and so does a second sweep on the same run file, which finds it empty
 * while a run of the first has not yet written its first checkpoint: the first's next checkpoint
 * would fail, and end that sweep. (`scalefit train` checks its --checkpoint folder before training.) */
static int remake_dir(const char *path) {
  char *dir = sf_strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
  int made = 0;
  if (slash && slash != dir) {
    *slash = 0;
    made = mkdir(dir, 0777) == 0;
  }
  free(dir);
  return made;
}

int sf_ckpt_save(const char *path, const char *config, const sf_ckpt_state *st, const double *curve, sf_gpt *g) {
  sf_atomic a;
  int rc;
  /* a few tries: the other sweep may remove the folder again between our mkdir and open */
  for (int tries = 0; (rc = sf_atomic_open(&a, path)) && tries < 3 && remake_dir(path); tries++) sf_error_clear();
  if (rc) return rc;
  size_t n = sf_gpt_size(g);
  uint64_t h = FNV_BASIS;
  int ok = fputs(magic, a.fp) >= 0 && fprintf(a.fp, "%s\n", config) > 0 && put(a.fp, &h, st, sizeof *st, 1) &&
           put(a.fp, &h, curve, sizeof(double) * SF_TRAIN_CURVE_COLS, st->np) &&
           put(a.fp, &h, sf_gpt_params(g), sizeof(float), n) && put(a.fp, &h, sf_gpt_moment1(g), sizeof(float), n) &&
           put(a.fp, &h, sf_gpt_moment2(g), sizeof(float), n) && fwrite(&h, sizeof h, 1, a.fp) == 1;
  if (!ok) {
    sf_atomic_abort(&a);
    return sf_fail(SF_EIO, "cannot write checkpoint '%s'", path);
  }
  return sf_atomic_commit(&a);
}

/* Reads the header; *line is the stored configuration (caller frees). */
static int read_header(FILE *f, const char *path, char **line) {
  char buf[sizeof magic];
  if (!fgets(buf, sizeof buf, f) || strncmp(buf, magic_stem, sizeof magic_stem - 1) != 0)
    return sf_fail(SF_EINPUT, "'%s' is not a scalefit checkpoint", path);
  if (strcmp(buf, magic) != 0)
    return sf_fail(SF_EINPUT, "checkpoint '%s' is of another format (%.*s, this scalefit writes %.*s): delete it to start "
                   "the run afresh", path, (int)strcspn(buf, "\n"), buf, (int)strcspn(magic, "\n"), magic);
  sf_buf b;
  sf_buf_init(&b);
  for (int ch; (ch = fgetc(f)) != EOF && ch != '\n';) sf_buf_addc(&b, (char)ch);
  *line = sf_buf_take(&b);
  return *line ? SF_OK : sf_fail(SF_EINPUT, "checkpoint '%s' is truncated", path);
}

int sf_ckpt_load(const char *path, const char *config, sf_ckpt_state *st, double *curve, size_t maxpoints,
                 sf_gpt *g) {
  FILE *f = fopen(path, "rb");
  if (!f) return sf_fail(SF_EINPUT, "cannot read checkpoint '%s': %s", path, strerror(errno));
  char *line = NULL;
  int rc = read_header(f, path, &line);
  if (!rc && strcmp(line, config) != 0)
    rc = sf_fail(SF_EINPUT, "checkpoint '%s' is from another configuration (%s) than this run (%s)", path, line,
                 config);
  size_t n = sf_gpt_size(g);
  uint64_t h = FNV_BASIS, stored = 0;
  if (!rc && (!get(f, &h, st, sizeof *st, 1) || st->np > maxpoints ||
              !get(f, &h, curve, sizeof(double) * SF_TRAIN_CURVE_COLS, st->np) ||
              !get(f, &h, sf_gpt_params(g), sizeof(float), n) || !get(f, &h, sf_gpt_moment1(g), sizeof(float), n) ||
              !get(f, &h, sf_gpt_moment2(g), sizeof(float), n) || fread(&stored, sizeof stored, 1, f) != 1 ||
              fgetc(f) != EOF))
    rc = sf_fail(SF_EINPUT, "checkpoint '%s' is truncated or of another size", path);
  if (!rc && stored != h)
    rc = sf_fail(SF_EINPUT, "checkpoint '%s' is damaged (its checksum does not match its contents): delete it to start "
                 "the run afresh", path);
  free(line);
  fclose(f);
  return rc;
}

int sf_train_checkpoint_matches(const char *path, const sf_train_config *c, const sf_source *src) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  char *line = NULL, *want = sf_ckpt_config_line(c, c->threads, src);
  int rc = read_header(f, path, &line);
  int same = !rc && want && strcmp(line, want) == 0;
  sf_error_clear();
  free(line);
  free(want);
  fclose(f);
  return same;
}

void sf_train_checkpoint_remove(const char *path) {
  if (path) unlink(path);
}
