/* h5.c: run tables in HDF5 files (many named tables per file; layout in docs/FORMAT.md).
 *
 *   /                      attrs format = "scalefit-runs", format_version = 1
 *   /tables/<name>/        attrs description, created_by, nrows
 *       columns/<col>      1-D, nrows each: run, family, source, notes (fixed-length UTF-8), then
 *                          one float64 per numeric column with attr units (NaN = missing)
 *       derived/<col>      uint8, nrows: 1 where columns/<col> was derived (only if any)
 *       curves/offsets     int64, nrows+1 (CSR); curves/<name> float64 with attr units
 *   /fits/, anything else  reserved or foreign: readers ignore it, writers copy it over
 *
 * Writes never touch the original: a new file is built beside it (kept tables and other root
 * objects copied with H5Ocopy, which also drops the space of replaced tables), closed, synced
 * and renamed over the original. HDF5's own error printing is silenced and its error stack is
 * turned into one scalefit message naming the file and dataset.
 *
 * Damaged files: libhdf5 1.10 crashes on some damaged structures (global heap, fractal heap),
 * so the writer uses none of them (fixed-length strings, compact links) and checksums all the
 * rest (1.8 format metadata, Fletcher-32 on data); test_damaged_files holds it to that.
 */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>
#include <scalefit/sf_version.h>

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define SF_H5_FORMAT "scalefit-runs"
#define SF_H5_VERSION 1

static const char *const text_fields[4] = {"run", "family", "source", "notes"};

/* ---- errors ---- */

static void quiet(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  H5Eclear2(H5E_DEFAULT);
}

static herr_t innermost(unsigned n, const H5E_error2_t *e, void *data) {
  if (n == 0 && e->desc) snprintf(data, 256, "%s", e->desc);
  return 0;
}

/* sf_fail with HDF5's innermost reason appended, when it has one. */
static int h5_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int h5_fail(int code, const char *fmt, ...) {
  char msg[768], why[256] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, why);
  H5Eclear2(H5E_DEFAULT);
  if (why[0]) return sf_fail(code, "%s (hdf5: %s)", msg, why);
  return sf_fail(code, "%s", msg);
}

static int oom(void) { return sf_fail(SF_ENOMEM, "out of memory"); }

static void close_id(hid_t *id) {
  if (*id < 0) return;
  switch (H5Iget_type(*id)) {
  case H5I_FILE: H5Fclose(*id); break;
  case H5I_GROUP: H5Gclose(*id); break;
  case H5I_DATASET: H5Dclose(*id); break;
  case H5I_DATATYPE: H5Tclose(*id); break;
  case H5I_DATASPACE: H5Sclose(*id); break;
  case H5I_ATTR: H5Aclose(*id); break;
  case H5I_GENPROP_LST: H5Pclose(*id); break;
  default: H5Oclose(*id); break;
  }
  *id = -1;
}

/* ---- small readers and writers ---- */

static hid_t utf8_vlen(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* Fixed-length, NUL-padded UTF-8 (h5py gives bytes: .decode()), not variable-length: those
 * live in the global heap, which has no checksum and which libhdf5 1.10 crashes on when damaged
 * (see write_strings). An empty string is stored as one NUL byte (HDF5 sizes must be > 0). */
static int attr_write_str(hid_t obj, const char *name, const char *value) {
  size_t n = strlen(value);
  hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a = -1;
  char *buf = calloc(n ? n : 1, 1);
  if (buf) memcpy(buf, value, n);
  int ok = buf && t >= 0 && s >= 0 && H5Tset_size(t, n ? n : 1) >= 0 && H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0 &&
           H5Tset_cset(t, H5T_CSET_UTF8) >= 0 && (a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
           H5Awrite(a, t, buf) >= 0;
  free(buf);
  close_id(&a);
  close_id(&s);
  close_id(&t);
  return ok ? 0 : -1;
}

static int attr_write_i64(hid_t obj, const char *name, long long v) {
  hid_t s = H5Screate(H5S_SCALAR), a = -1;
  int ok = s >= 0 && (a = H5Acreate2(obj, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
           H5Awrite(a, H5T_NATIVE_LLONG, &v) >= 0;
  close_id(&a);
  close_id(&s);
  return ok ? 0 : -1;
}

/* Reads a scalar string attribute (variable or fixed length). 1 found, 0 absent, -1 wrong type. */
static int attr_read_str(hid_t obj, const char *name, char **out) {
  *out = NULL;
  if (H5Aexists(obj, name) <= 0) return 0;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT), ft = -1, mt = -1, sp = -1;
  int rc = -1;
  if (a < 0 || (ft = H5Aget_type(a)) < 0 || H5Tget_class(ft) != H5T_STRING) goto done;
  if ((sp = H5Aget_space(a)) < 0 || H5Sget_simple_extent_npoints(sp) != 1) goto done;
  if (H5Tis_variable_str(ft) > 0) {
    char *s = NULL;
    if ((mt = utf8_vlen()) < 0 || H5Aread(a, mt, &s) < 0) goto done;
    *out = sf_strdup(s ? s : "");
    H5free_memory(s);
  } else {
    size_t n = H5Tget_size(ft);
    char *s = calloc(n + 1, 1);
    if (!s || (mt = H5Tcopy(ft)) < 0 || H5Aread(a, mt, s) < 0) {
      free(s);
      goto done;
    }
    *out = s;
  }
  rc = *out ? 1 : -1;
done:
  close_id(&mt);
  close_id(&sp);
  close_id(&ft);
  close_id(&a);
  return rc;
}

static int attr_read_ll(hid_t obj, const char *name, long long *v) {
  if (H5Aexists(obj, name) <= 0) return 0;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT), ft = -1;
  int rc = -1;
  if (a >= 0 && (ft = H5Aget_type(a)) >= 0 && H5Tget_class(ft) == H5T_INTEGER &&
      H5Aread(a, H5T_NATIVE_LLONG, v) >= 0)
    rc = 1;
  close_id(&ft);
  close_id(&a);
  return rc;
}

static hid_t group_create_n(hid_t parent, const char *name, size_t nlinks) {
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  if (gcpl < 0) return -1;
  /* Sizing the header for the links to come: grown one link at a time, libhdf5 spent 17 s on
   * a table of 2000 columns. */
  if (nlinks > 8) H5Pset_est_link_info(gcpl, nlinks > 65535 ? 65535 : (unsigned)nlinks, 16);
  /* Creation order is tracked so columns read back in the order they were written. Links stay
   * in the (checksummed) object header however many columns there are: "dense" storage keeps
   * them in a fractal heap without checksums, and libhdf5 1.10 crashes on a damaged one. */
  H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  H5Pset_link_phase_change(gcpl, 65535, 65535);
  hid_t g = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  return g;
}

static hid_t group_create(hid_t parent, const char *name) { return group_create_n(parent, name, 0); }

static hid_t dataset_create(hid_t g, const char *name, hid_t type, size_t n) {
  hsize_t dims[1] = {n};
  hid_t sp = H5Screate_simple(1, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), d = -1;
  if (sp >= 0 && dcpl >= 0) {
    /* Data is chunked so that it can carry a Fletcher-32 checksum: a damaged value fails to
     * read instead of reading wrong. Long datasets (curves) are also compressed. */
    if (n > 0) {
      hsize_t chunk[1] = {n < 65536 ? n : 65536};
      H5Pset_chunk(dcpl, 1, chunk);
      if (n >= 4096 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 4);
      }
      H5Pset_fletcher32(dcpl);
    }
    d = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  }
  close_id(&dcpl);
  close_id(&sp);
  return d;
}

static int write_doubles(hid_t g, const char *name, const double *v, size_t n, const char *units) {
  hid_t d = dataset_create(g, name, H5T_IEEE_F64LE, n);
  int ok = d >= 0 && (n == 0 || H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) &&
           (!units || attr_write_str(d, "units", units) == 0);
  close_id(&d);
  return ok ? 0 : -1;
}

/* Text is written as fixed-length, NUL-padded UTF-8 of the longest value's width. Not variable
 * length: those live in HDF5's global heap, and libhdf5 1.10 crashes (H5HG_read) on a damaged
 * heap; fixed-length data has no heap, compresses well, and reads in h5py with .asstr(). */
static int write_strings(hid_t g, const char *name, char *const *v, size_t n) {
  size_t w = 1;
  for (size_t i = 0; i < n; i++) {
    size_t k = strlen(v[i]);
    w = k > w ? k : w;
  }
  if (n && w > SIZE_MAX / n) return -1;
  char *buf = calloc(n ? n : 1, w);
  hid_t t = H5Tcopy(H5T_C_S1), d = -1;
  int ok = buf && t >= 0 && H5Tset_size(t, w) >= 0 && H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0 &&
           H5Tset_cset(t, H5T_CSET_UTF8) >= 0;
  for (size_t i = 0; ok && i < n; i++) memcpy(buf + i * w, v[i], strlen(v[i]));
  ok = ok && (d = dataset_create(g, name, t, n)) >= 0 &&
       (n == 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  free(buf);
  close_id(&d);
  close_id(&t);
  return ok ? 0 : -1;
}

/* ---- opening a scalefit file ---- */

/* What a file that is not HDF5 is instead: a directory, empty, or (often) a CSV given a .h5 name. */
static int not_hdf5(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return sf_fail(SF_EINPUT, "'%s' is a directory, not an HDF5 file", path);
  if (stat(path, &st) == 0 && st.st_size == 0) return sf_fail(SF_EINPUT, "'%s' is empty, not an HDF5 file", path);
  char head[256] = "";
  FILE *fp = fopen(path, "rb");
  size_t n = fp ? fread(head, 1, sizeof head - 1, fp) : 0;
  if (fp) fclose(fp);
  head[n] = '\0';
  size_t line = strcspn(head, "\r\n");
  int text = n > 0 && strlen(head) == n;
  for (size_t i = 0; text && i < line; i++) text = (unsigned char)head[i] >= 0x20 || head[i] == '\t';
  if (text && memchr(head, ',', line))
    return sf_fail(SF_EINPUT, "'%s' is not an HDF5 file: it looks like CSV ('%.*s'); give it a .csv name to read it "
                   "as CSV", path, (int)(line < 60 ? line : 60), head);
  return sf_fail(SF_EINPUT, "'%s' is not an HDF5 file", path);
}

/* 1 when HDF5's error stack says the file is locked (open for writing in another program). */
static herr_t find_lock(unsigned n, const H5E_error2_t *e, void *data) {
  (void)n;
  if (e->desc && strstr(e->desc, "unable to lock file")) *(int *)data = 1;
  return 0;
}

/* pandas' DataFrame.to_hdf writes PyTables files: their keys are groups with a pandas_type. */
typedef struct pandas_keys {
  char list[200];
  int n;
} pandas_keys;

static herr_t find_pandas(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  pandas_keys *k = data;
  if (H5Aexists_by_name(g, name, "pandas_type", H5P_DEFAULT) > 0) {
    size_t used = strlen(k->list);
    if (used + strlen(name) + 8 < sizeof k->list)
      snprintf(k->list + used, sizeof k->list - used, "%s'%s'", k->n ? ", " : "", name);
    k->n++;
  }
  H5Eclear2(H5E_DEFAULT);
  return 0;
}

static int foreign_hdf5(const char *path, hid_t f) {
  if (H5Aexists(f, "PYTABLES_FORMAT_VERSION") <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return sf_fail(SF_EINPUT, "'%s' is an HDF5 file but not a scalefit run file (no 'format' attribute on '/'; "
                   "see docs/FORMAT.md)", path);
  }
  pandas_keys k = {"", 0};
  H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, find_pandas, &k);
  H5Eclear2(H5E_DEFAULT);
  if (!k.n)
    return sf_fail(SF_EINPUT, "'%s' is a PyTables file, not a scalefit run file: write the runs as CSV and "
                   "'scalefit import' them, or write the layout of docs/FORMAT.md with h5py", path);
  const char *key = k.n == 1 ? k.list : "'KEY'";
  /* The path as a Python literal, so the printed line runs as it is whatever the file's name. */
  char lit[2 * 4096 + 3], *o = lit;
  *o++ = '\'';
  for (const char *c = path; *c && o < lit + sizeof lit - 3; c++) {
    if (*c == '\'' || *c == '\\') *o++ = '\\';
    *o++ = *c;
  }
  *o++ = '\'', *o = '\0';
  /* to_csv keeps the index: run names are often it (df.set_index("run")), and index=False dropped
   * them without a word; the default index 0, 1, 2 is an unnamed first column import drops. */
  return sf_fail(SF_EINPUT, "'%s' was written by pandas (DataFrame.to_hdf, PyTables format; key%s %s), which "
                 "scalefit does not read: convert it with pandas.read_hdf(%s, %s).to_csv('runs.csv') and "
                 "'scalefit import runs.csv -o runs.h5'", path, k.n == 1 ? "" : "s", k.list, lit, key);
}

static int open_ours(const char *path, unsigned mode, hid_t *fid) {
  *fid = -1;
  quiet();
  if (access(path, R_OK) != 0) return sf_fail(SF_EINPUT, "cannot open '%s': %s", path, strerror(errno));
  if (sf_is_dir(path)) return sf_fail(SF_EINPUT, "'%s' is a directory, not an HDF5 file", path);
  htri_t is = H5Fis_hdf5(path);
  if (is <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return not_hdf5(path);
  }
  hid_t f = H5Fopen(path, mode, H5P_DEFAULT);
  if (f < 0) {
    int locked = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find_lock, &locked);
    /* HDF5 1.10 locks a file open for writing; without a word the error read as corruption. */
    if (locked) {
      H5Eclear2(H5E_DEFAULT);
      return sf_fail(SF_EINPUT, "cannot open '%s': it is open for writing in another program (HDF5 file lock); "
                     "close it there (h5py: f.close()) and retry, or set HDF5_USE_FILE_LOCKING=FALSE to read it "
                     "anyway", path);
    }
    return h5_fail(SF_EINPUT, "cannot open '%s' as HDF5 (truncated or corrupt?)", path);
  }
  char *fmt = NULL;
  long long ver = 0;
  int a = attr_read_str(f, "format", &fmt);
  int rc = SF_OK;
  if (a == 0)
    rc = foreign_hdf5(path, f);
  else if (a < 0 || strcmp(fmt, SF_H5_FORMAT) != 0)
    rc = sf_fail(SF_EINPUT, "'%s' has format '%s', expected '" SF_H5_FORMAT "'", path, fmt ? fmt : "?");
  else if (attr_read_ll(f, "format_version", &ver) != 1)
    rc = sf_fail(SF_EINPUT, "'%s': attribute 'format_version' on '/' is missing or not an integer", path);
  else if (ver > SF_H5_VERSION || ver < 1)
    rc = sf_fail(SF_EINPUT, "'%s' has format_version %lld; this scalefit reads version %d", path, ver, SF_H5_VERSION);
  free(fmt);
  if (rc) {
    H5Fclose(f);
    return rc;
  }
  *fid = f;
  return SF_OK;
}

/* Names of the links in a group, in creation order when the group tracks it, else by name.
 * One H5Literate pass: asking for each name by index made libhdf5 rebuild and sort the
 * group's whole link table per call, so a table of 8000 columns took 18 s to open. */
typedef struct names_acc {
  char **v;
  size_t n, cap;
  int oom;
} names_acc;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g;
  (void)info;
  names_acc *a = data;
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 16;
    char **v = realloc(a->v, cap * sizeof *v);
    if (!v) return a->oom = 1, -1;
    a->v = v;
    a->cap = cap;
  }
  if (!(a->v[a->n] = sf_strdup(name))) return a->oom = 1, -1;
  a->n++;
  return 0;
}

static int link_names(hid_t g, char ***names, size_t *n) {
  *names = NULL;
  *n = 0;
  names_acc a = {NULL, 0, 0, 0};
  hsize_t at = 0;
  herr_t r = H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, &at, collect_name, &a);
  if (r < 0 && !a.oom && a.n == 0) { /* the group does not track creation order */
    H5Eclear2(H5E_DEFAULT);
    at = 0;
    r = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &at, collect_name, &a);
  }
  if (r < 0) {
    int rc = a.oom ? -2 : -1;
    sf_h5_free_list(a.v, a.n);
    return rc;
  }
  *names = a.v;
  *n = a.n;
  return 0;
}

void sf_h5_free_list(char **names, size_t n) {
  if (!names) return;
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

static int list_tables(hid_t f, const char *path, char ***names, size_t *n) {
  *names = NULL;
  *n = 0;
  htri_t has = H5Lexists(f, "tables", H5P_DEFAULT);
  if (has <= 0) return SF_OK;
  hid_t g = H5Gopen2(f, "tables", H5P_DEFAULT);
  if (g < 0) return h5_fail(SF_EINPUT, "'%s': '/tables' is not a group", path);
  int r = link_names(g, names, n);
  H5Gclose(g);
  if (r == -2) return oom();
  if (r < 0) return h5_fail(SF_EINPUT, "'%s': cannot list '/tables'", path);
  return SF_OK;
}

int sf_h5_list(const char *path, char ***names, size_t *n) {
  hid_t f;
  *names = NULL;
  *n = 0;
  int rc = open_ours(path, H5F_ACC_RDONLY, &f);
  if (rc) return rc;
  rc = list_tables(f, path, names, n);
  H5Fclose(f);
  return rc;
}

int sf_h5_sniff(const char *path) {
  quiet();
  htri_t r = H5Fis_hdf5(path);
  H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

/* ---- reading ---- */

typedef struct rd {
  const char *path;
  const char *gpath; /* "/tables/<name>" */
  size_t limit;      /* the file's size: no string in it can be longer */
  hid_t dapl;        /* dataset access: external raw files looked for beside the run file */
} rd;

/* HDF5 allocates each variable-length string at the length the file claims; in a corrupt file
 * that can be gigabytes. Refusing anything longer than the file makes such reads fail at once. */
static void *bounded_alloc(size_t size, void *info) {
  return size > *(const size_t *)info ? NULL : malloc(size ? size : 1);
}
static void bounded_free(void *p, void *info) {
  (void)info;
  free(p);
}

/* Whether a dataset's external raw files (h5py: external=[("runs.bin", 0, size)]) are all in dir
 * ("" the current directory) and long enough: 1 yes; 0 one is missing; -1 one is shorter than
 * the dataset needs (HDF5 would read the part missing as zeros). why names the first one wrong. */
static int external_found(hid_t dcpl, int count, hsize_t need, const char *dir, char *why, size_t wn) {
  for (int i = 0; i < count; i++) {
    char nm[4096] = "", full[8192];
    off_t off = 0;
    hsize_t size = 0;
    if (H5Pget_external(dcpl, (unsigned)i, sizeof nm, nm, &off, &size) < 0) return 0;
    int here = nm[0] == '/' || !dir[0];
    snprintf(full, sizeof full, "%s%s%s", here ? "" : dir, here ? "" : "/", nm);
    hsize_t take = size < need ? size : need;
    need -= take;
    struct stat st;
    if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
      snprintf(why, wn, "'%.400s' is missing", full);
      return 0;
    }
    if (take && (hsize_t)st.st_size < (hsize_t)off + take) {
      snprintf(why, wn, "'%.400s' holds %lld bytes where %llu from byte %lld are needed (truncated?)", full,
               (long long)st.st_size, (unsigned long long)take, (long long)off);
      return -1;
    }
  }
  return 1;
}

/* External raw storage names its files relative to a directory that HDF5 takes to be the
 * current one, so a run file written with its .bin beside it did not read from another folder.
 * The files are looked for beside the run file (the dataset is opened with HDF5's ${ORIGIN}
 * prefix), then, as before, in the current directory (where h5py puts them when the file is
 * written from elsewhere: *d is reopened so). HDF5_EXTFILE_PREFIX, when set, decides instead. */
static int external_storage(const rd *c, hid_t g, const char *sub, const char *name, hid_t *d) {
  hid_t dcpl = H5Dget_create_plist(*d), sp = H5Dget_space(*d), ft = H5Dget_type(*d);
  int count = dcpl >= 0 ? H5Pget_external_count(dcpl) : 0, rc = SF_OK;
  const char *env = getenv("HDF5_EXTFILE_PREFIX");
  if (count > 0 && !(env && env[0])) {
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : 0;
    hsize_t need = (hsize_t)(np > 0 ? np : 0) * (ft >= 0 ? H5Tget_size(ft) : 0);
    char file[4096] = "", beside_why[600] = "", cwd_why[600] = "";
    H5Fget_name(*d, file, sizeof file); /* the file holding the dataset: an external link's target */
    char *slash = strrchr(file, '/');
    if (slash) *slash = '\0';
    const char *dir = slash ? (file[0] ? file : "/") : "";
    int beside = external_found(dcpl, count, need, dir, beside_why, sizeof beside_why);
    int cwd = beside == 1 || !dir[0] ? beside : external_found(dcpl, count, need, "", cwd_why, sizeof cwd_why);
    if (beside != 1) close_id(d);
    if (beside != 1 && cwd == 1) {
      if ((*d = H5Dopen2(g, name, H5P_DEFAULT)) < 0)
        rc = h5_fail(SF_EINPUT, "'%s': cannot open dataset '%s/%s/%s'", c->path, c->gpath, sub, name);
    } else if (beside != 1 && dir[0]) {
      rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/%s/%s' keeps its values in external files: beside the run file, %s; "
                   "in the current directory, %s", c->path, c->gpath, sub, name, beside_why, cwd_why);
    } else if (beside != 1) {
      rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/%s/%s' keeps its values in external files, and %s", c->path,
                   c->gpath, sub, name, beside_why);
    }
  }
  H5Eclear2(H5E_DEFAULT);
  close_id(&ft);
  close_id(&sp);
  close_id(&dcpl);
  return rc;
}

/* Opens dataset name in g and checks it holds one value per row: 1-D of length n (n == SIZE_MAX:
 * any length, set). A 2-D dataset with one side 1 is a column too: pandas users write
 * f["columns/loss"] = df[["loss"]].values, shape (n, 1), and its row-major data is the column's. */
static int open_1d(const rd *c, hid_t g, const char *sub, const char *name, size_t *n, hid_t *d) {
  *d = H5Dopen2(g, name, c->dapl);
  if (*d < 0) return h5_fail(SF_EINPUT, "'%s': cannot open dataset '%s/%s/%s'", c->path, c->gpath, sub, name);
  int rc = external_storage(c, g, sub, name, d);
  if (rc) return rc;
  hid_t sp = H5Dget_space(*d);
  hsize_t dims[H5S_MAX_RANK] = {0};
  int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
  if (rank > 0) H5Sget_simple_extent_dims(sp, dims, NULL);
  close_id(&sp);
  if (rank == 2 && (dims[0] == 1 || dims[1] == 1)) {
    dims[0] *= dims[1];
    rank = 1;
  }
  if (rank >= 2) {
    char shape[160] = "";
    size_t used = 0;
    for (int i = 0; i < rank && used + 24 < sizeof shape; i++)
      used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
    close_id(d);
    return sf_fail(SF_EINPUT, "'%s': dataset '%s/%s/%s' has shape (%s), expected a single column: 1-D (n,), or "
                   "2-D (n, 1) or (1, n); write one dataset per column", c->path, c->gpath, sub, name, shape);
  }
  if (rank != 1) {
    close_id(d);
    return sf_fail(SF_EINPUT, "'%s': dataset '%s/%s/%s' has %d dimensions, expected 1", c->path, c->gpath, sub, name,
                   rank);
  }
  if (*n == SIZE_MAX) *n = (size_t)dims[0];
  else if (dims[0] != *n) {
    close_id(d);
    const char *why = strcmp(sub, "curves") != 0 ? "one per run"
                      : strcmp(name, "offsets") == 0 ? "runs + 1"
                                                     : "the last value of curves/offsets";
    return sf_fail(SF_EINPUT, "'%s': dataset '%s/%s/%s' has %llu values, expected %zu (%s)", c->path, c->gpath,
                   sub, name, (unsigned long long)dims[0], *n, why);
  }
  return SF_OK;
}

/* After a failed read: if the dataset uses a filter this libhdf5 lacks (h5py's lzf, or blosc,
 * zstd, bitshuffle from hdf5plugin), say so; HDF5 itself blames its plugin directory. */
static int read_fail(const rd *c, hid_t d, const char *sub, const char *name) {
  hid_t dcpl = H5Dget_create_plist(d);
  int nf = dcpl >= 0 ? H5Pget_nfilters(dcpl) : 0;
  for (int i = 0; i < nf; i++) {
    unsigned flags = 0, conf = 0;
    size_t ne = 0;
    char fname[64] = "";
    H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ne, NULL, sizeof fname, fname, &conf);
    if (id >= 0 && H5Zfilter_avail(id) <= 0) {
      close_id(&dcpl);
      H5Eclear2(H5E_DEFAULT);
      const char *known = id == 32000 ? "lzf" : id == 32001 ? "blosc" : id == 32008 ? "bitshuffle"
                        : id == 32015 ? "zstd" : fname[0] ? fname : "unknown";
      return sf_fail(SF_EINPUT, "'%s': cannot read dataset '%s/%s/%s': it is compressed with the %s filter (HDF5 "
                     "filter %d), which this scalefit's libhdf5 does not have; rewrite it with gzip "
                     "(h5py: compression=\"gzip\") or without compression", c->path, c->gpath, sub, name, known,
                     (int)id);
    }
  }
  close_id(&dcpl);
  return h5_fail(SF_EINPUT, "'%s': cannot read dataset '%s/%s/%s'", c->path, c->gpath, sub, name);
}

/* 1 if d holds numpy bools as h5py writes them: an enum whose members are FALSE and TRUE. */
static int is_bool(hid_t d) {
  hid_t ft = H5Dget_type(d);
  int yes = ft >= 0 && H5Tget_class(ft) == H5T_ENUM && H5Tget_nmembers(ft) == 2;
  for (unsigned i = 0; yes && i < 2; i++) {
    char *m = H5Tget_member_name(ft, i);
    yes = m && (strcmp(m, "FALSE") == 0 || strcmp(m, "TRUE") == 0);
    H5free_memory(m);
  }
  close_id(&ft);
  H5Eclear2(H5E_DEFAULT);
  return yes;
}

/* Reads the n values of d as doubles: integers and floats as numpy widens them, bools (an enum,
 * which HDF5 converts to no number) as 0 and 1, through an enum of the same names. */
static int read_numbers(const rd *c, hid_t d, const char *sub, const char *name, double *buf, size_t n) {
  hid_t ft = H5Dget_type(d);
  H5T_class_t cl = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
  close_id(&ft);
  if (cl == H5T_ENUM && is_bool(d)) {
    signed char *b = malloc(n ? n : 1), no = 0, yes = 1;
    hid_t mt = H5Tenum_create(H5T_NATIVE_SCHAR);
    int ok = b && mt >= 0 && H5Tenum_insert(mt, "FALSE", &no) >= 0 && H5Tenum_insert(mt, "TRUE", &yes) >= 0;
    int rc = ok ? SF_OK : oom();
    /* A stored value that is neither member converts to -1 (all bits set). */
    if (ok && n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, b) < 0) rc = read_fail(c, d, sub, name);
    for (size_t r = 0; r < n && !rc; r++) {
      if (b[r] != 0 && b[r] != 1)
        rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/%s/%s' (bool) holds a value that is neither FALSE nor TRUE at "
                     "%s %zu", c->path, c->gpath, sub, name, strcmp(sub, "curves") == 0 ? "index" : "row",
                     strcmp(sub, "curves") == 0 ? r : r + 1);
      else buf[r] = b[r];
    }
    close_id(&mt);
    free(b);
    return rc;
  }
  if (cl != H5T_FLOAT && cl != H5T_INTEGER)
    return sf_fail(SF_EINPUT, "'%s': dataset '%s/%s/%s' is not numeric (expected float64)", c->path, c->gpath, sub,
                   name);
  if (n && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) return read_fail(c, d, sub, name);
  return SF_OK;
}

/* A variable-length string is stored as (length, heap address, heap index); HDF5 trusts the
 * length and, in a corrupt file, allocates and clears gigabytes before failing. For contiguous
 * datasets, read those triples straight from the file and refuse lengths longer than the file.
 * Returns 0 when sane or not checkable (chunked data, unusual sizes), -1 when corrupt. */
static int vlen_lengths_sane(const rd *c, hid_t d, size_t n) {
  haddr_t off = H5Dget_offset(d);
  H5Eclear2(H5E_DEFAULT);
  if (off == HADDR_UNDEF || n == 0) return 0;
  hid_t fid = H5Iget_file_id(d), fcpl = fid >= 0 ? H5Fget_create_plist(fid) : -1;
  size_t sa = 0, sl = 0;
  hsize_t ub = 0;
  int ok = fcpl >= 0 && H5Pget_sizes(fcpl, &sa, &sl) >= 0 && H5Pget_userblock(fcpl, &ub) >= 0;
  close_id(&fcpl);
  close_id(&fid);
  size_t w = 4 + sa + 4;
  if (!ok || sa == 0 || sa > 8 || H5Dget_storage_size(d) != (hsize_t)n * w) return 0;
  FILE *fp = fopen(c->path, "rb");
  if (!fp) return 0;
  unsigned char *buf = malloc(n * w);
  int rc = 0;
  if (buf && fseeko(fp, (off_t)(off + ub), SEEK_SET) == 0 && fread(buf, w, n, fp) == n) {
    for (size_t i = 0; i < n && !rc; i++) {
      const unsigned char *e = buf + i * w;
      uint32_t len = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
      if (len > c->limit) rc = -1;
    }
  }
  free(buf);
  fclose(fp);
  return rc;
}

/* Reads a string dataset of n elements into out[0..n) (strdup'ed, "" for NULL). */
static int read_strings(const rd *c, hid_t d, const char *name, char **out, size_t n) {
  hid_t ft = H5Dget_type(d), mt = -1, sp = -1;
  int rc = SF_OK;
  if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
    close_id(&ft);
    return sf_fail(SF_EINPUT, "'%s': dataset '%s/columns/%s' is not a string dataset", c->path, c->gpath, name);
  }
  if (n == 0) goto done;
  if (H5Tis_variable_str(ft) > 0) {
    if (vlen_lengths_sane(c, d, n) < 0) {
      rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/columns/%s' is corrupt (string longer than the file)", c->path,
                   c->gpath, name);
      goto done;
    }
    char **v = calloc(n, sizeof *v);
    if (!v || (mt = utf8_vlen()) < 0) {
      free(v);
      rc = oom();
      goto done;
    }
    hid_t dx = H5Pcreate(H5P_DATASET_XFER);
    if (dx < 0 || H5Pset_vlen_mem_manager(dx, bounded_alloc, (void *)&c->limit, bounded_free, NULL) < 0) {
      close_id(&dx);
      free(v);
      rc = oom();
      goto done;
    }
    if (H5Dread(d, mt, H5S_ALL, H5S_ALL, dx, v) < 0) {
      close_id(&dx);
      free(v);
      rc = read_fail(c, d, "columns", name);
      goto done;
    }
    for (size_t i = 0; i < n && !rc; i++)
      if (!(out[i] = sf_strdup(v[i] ? v[i] : ""))) rc = oom();
    sp = H5Dget_space(d);
    H5Dvlen_reclaim(mt, sp, dx, v);
    close_id(&dx);
    free(v);
  } else {
    size_t w = H5Tget_size(ft);
    if (w == 0 || n > SIZE_MAX / w) {
      rc = oom();
      goto done;
    }
    char *buf = malloc(n * w);
    if (!buf || (mt = H5Tcopy(ft)) < 0) {
      free(buf);
      rc = oom();
      goto done;
    }
    H5Tset_strpad(mt, H5T_STR_NULLPAD);
    if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
      free(buf);
      rc = read_fail(c, d, "columns", name);
      goto done;
    }
    for (size_t i = 0; i < n && !rc; i++) {
      const char *s = buf + i * w;
      size_t len = strnlen(s, w);
      if (!(out[i] = malloc(len + 1))) rc = oom();
      else {
        memcpy(out[i], s, len);
        out[i][len] = '\0';
      }
    }
    free(buf);
  }
done:
  close_id(&sp);
  close_id(&mt);
  close_id(&ft);
  return rc;
}

static int is_text_field(const char *name) {
  for (int i = 0; i < 4; i++)
    if (strcmp(name, text_fields[i]) == 0) return i;
  return -1;
}

/* The units attribute of dataset <sub>/<name>; a units attribute that is not one string (an
 * integer, an array) is bad input, not the out-of-memory it was once reported as. */
static int read_units(const rd *c, hid_t d, const char *sub, const char *name, char **unit) {
  int a = attr_read_str(d, "units", unit);
  if (a < 0)
    return h5_fail(SF_EINPUT, "'%s': attribute 'units' of dataset '%s/%s/%s' is not a string (see docs/FORMAT.md)",
                   c->path, c->gpath, sub, name);
  if (a == 0) *unit = sf_strdup("");
  return *unit ? SF_OK : oom();
}

/* 1 if columns/<name> is a dataset, 0 if another kind of object, -1 (message set) if it cannot
 * be opened: a damaged object must fail the read, never silently drop a column. */
static int is_dataset(const rd *c, hid_t g, const char *name) {
  hid_t o = H5Oopen(g, name, H5P_DEFAULT);
  if (o < 0) {
    h5_fail(SF_EINPUT, "'%s': cannot open '%s/columns/%s' (corrupt file?)", c->path, c->gpath, name);
    return -1;
  }
  int isd = H5Iget_type(o) == H5I_DATASET;
  H5Oclose(o);
  return isd;
}

/* Reads columns/ into t (rows created first with empty text). */
static int read_columns(const rd *c, hid_t tg, sf_table *t, long long nrows_attr) {
  hid_t g = H5Gopen2(tg, "columns", H5P_DEFAULT), d = -1;
  if (g < 0) return h5_fail(SF_EINPUT, "'%s': table '%s' has no 'columns' group", c->path, c->gpath);
  char **names = NULL;
  size_t nn = 0, n = nrows_attr >= 0 ? (size_t)nrows_attr : SIZE_MAX;
  int rc = SF_OK, lr = link_names(g, &names, &nn);
  if (lr) {
    rc = lr == -2 ? oom() : h5_fail(SF_EINPUT, "'%s': cannot list '%s/columns'", c->path, c->gpath);
    goto done;
  }
  /* The number of runs: the nrows attribute, else the length of the first dataset. Every
   * length is checked before any row is allocated, so a corrupt nrows cannot cost memory. */
  size_t nds = 0;
  for (size_t i = 0; i < nn; i++) {
    int isd = is_dataset(c, g, names[i]);
    if (isd < 0) {
      rc = SF_EINPUT;
      goto done;
    }
    if (isd && (rc = open_1d(c, g, "columns", names[i], &n, &d))) goto done;
    close_id(&d);
    nds += (size_t)isd;
  }
  if (nds == 0 && n != SIZE_MAX && n != 0) {
    rc = sf_fail(SF_EINPUT, "'%s': '%s' says nrows = %zu but '%s/columns' holds no datasets", c->path, c->gpath, n,
                 c->gpath);
    goto done;
  }
  if (n == SIZE_MAX) n = 0;
  for (size_t r = 0; r < n; r++) {
    long k = sf_table_add_row(t, NULL, NULL, NULL, NULL);
    if (k < 0) {
      rc = (int)-k;
      goto done;
    }
  }
  for (size_t i = 0; i < nn; i++) {
    if (is_dataset(c, g, names[i]) == 0) continue; /* groups inside columns/ are not ours: ignored */
    size_t len = n;
    if ((rc = open_1d(c, g, "columns", names[i], &len, &d))) goto done;
    int tf = is_text_field(names[i]);
    hid_t ft = H5Dget_type(d);
    int is_str = ft >= 0 && H5Tget_class(ft) == H5T_STRING;
    close_id(&ft);
    if (tf >= 0) {
      char ***dst[4] = {&t->run, &t->family, &t->source, &t->notes};
      char **tmp = calloc(n ? n : 1, sizeof *tmp);
      if (!tmp) {
        rc = oom();
        goto done;
      }
      rc = read_strings(c, d, names[i], tmp, n);
      for (size_t r = 0; r < n; r++) {
        if (rc) free(tmp[r]);
        else rc = sf_table_take_text(t, *dst[tf], r, tmp[r]); /* takes tmp[r], also on failure */
      }
      free(tmp);
      if (rc) goto done;
    } else if (is_str) {
      rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/columns/%s' holds strings; only run, family, source and notes may "
                   "(see docs/FORMAT.md)", c->path, c->gpath, names[i]);
      goto done;
    } else {
      /* A bool is a metric's 0/1 (converged, has_eval), but no model size, token count, compute or loss. */
      static const char *const quantity[4][2] = {
          {"N", "parameters"}, {"D", "tokens"}, {"C", "FLOP"}, {"loss", "nats/token"}};
      for (int q = 0; q < 4; q++)
        if (strcmp(names[i], quantity[q][0]) == 0 && is_bool(d)) {
          rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/columns/%s' holds bools (True/False); %s must be a positive "
                       "number in %s (only metrics may be bools, read as 0 and 1)", c->path, c->gpath, names[i],
                       names[i], quantity[q][1]);
          goto done;
        }
      char *unit = NULL;
      if ((rc = read_units(c, d, "columns", names[i], &unit))) goto done;
      int k = sf_table_add_column(t, names[i], unit);
      if (k < 0) {
        free(unit);
        sf_fail_context("'%s': dataset '%s/columns/%s': ", c->path, c->gpath, names[i]);
        rc = SF_EINPUT;
        goto done;
      }
      /* N, D, C and loss have fixed units: a file that says otherwise (loss in bits, N in
       * billions) would otherwise be read as if it were in them, silently wrong by 1.44x or 1e9. */
      if (unit[0] && strcmp(unit, t->cols[k].unit) != 0) {
        rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/columns/%s' has units '%s', expected '%s' (convert the values "
                     "before writing, or leave the attribute out; see docs/FORMAT.md)", c->path, c->gpath, names[i],
                     unit, t->cols[k].unit);
        free(unit);
        goto done;
      }
      free(unit);
      if ((rc = read_numbers(c, d, "columns", names[i], t->cols[k].v, n))) goto done;
    }
    close_id(&d);
  }
done:
  close_id(&d);
  close_id(&g);
  sf_h5_free_list(names, nn);
  return rc;
}

static int read_derived(const rd *c, hid_t tg, sf_table *t) {
  if (H5Lexists(tg, "derived", H5P_DEFAULT) <= 0) return SF_OK;
  hid_t g = H5Gopen2(tg, "derived", H5P_DEFAULT), d = -1;
  if (g < 0) return h5_fail(SF_EINPUT, "'%s': '%s/derived' is not a group", c->path, c->gpath);
  char **names = NULL;
  size_t nn = 0;
  int rc = SF_OK, lr = link_names(g, &names, &nn);
  if (lr) rc = lr == -2 ? oom() : h5_fail(SF_EINPUT, "'%s': cannot list '%s/derived'", c->path, c->gpath);
  for (size_t i = 0; i < nn && !rc; i++) {
    int k = sf_table_find(t, names[i]);
    if (k < 0) {
      rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/derived/%s' has no numeric column '%s/columns/%s'", c->path,
                   c->gpath, names[i], c->gpath, names[i]);
      break;
    }
    size_t n = t->nrows;
    if ((rc = open_1d(c, g, "derived", names[i], &n, &d))) break;
    /* Read as doubles: a flag of 0.5 or NaN (numpy arrays are float by default) would have
     * become 0 or 1 in the conversion to bytes; only 0 and 1 mean something. */
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) rc = oom();
    if (!rc) rc = read_numbers(c, d, "derived", names[i], v, n);
    for (size_t r = 0; r < n && !rc; r++) {
      if (v[r] != 0 && v[r] != 1)
        rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/derived/%s' holds %g at row %zu, expected 0 or 1", c->path,
                     c->gpath, names[i], v[r], r + 1);
      else t->cols[k].derived[r] = v[r] == 1;
    }
    free(v);
    close_id(&d);
  }
  close_id(&g);
  sf_h5_free_list(names, nn);
  return rc;
}

static int read_curves(const rd *c, hid_t tg, sf_table *t) {
  if (H5Lexists(tg, "curves", H5P_DEFAULT) <= 0) return SF_OK;
  hid_t g = H5Gopen2(tg, "curves", H5P_DEFAULT), d = -1;
  if (g < 0) return h5_fail(SF_EINPUT, "'%s': '%s/curves' is not a group", c->path, c->gpath);
  char **names = NULL, **units = NULL, **cn = NULL;
  size_t nn = 0, nc = 0, total = 0;
  int64_t *off = NULL;
  double **vals = NULL;
  int rc = SF_OK, lr = link_names(g, &names, &nn);
  if (lr) {
    rc = lr == -2 ? oom() : h5_fail(SF_EINPUT, "'%s': cannot list '%s/curves'", c->path, c->gpath);
    goto done;
  }
  size_t n1 = t->nrows + 1;
  off = malloc(n1 * sizeof *off);
  cn = calloc(nn + 1, sizeof *cn);
  units = calloc(nn + 1, sizeof *units);
  vals = calloc(nn + 1, sizeof *vals);
  if (!off || !cn || !units || !vals) {
    rc = oom();
    goto done;
  }
  if (H5Lexists(g, "offsets", H5P_DEFAULT) <= 0) {
    rc = sf_fail(SF_EINPUT, "'%s': '%s/curves' has no 'offsets' dataset", c->path, c->gpath);
    goto done;
  }
  if ((rc = open_1d(c, g, "curves", "offsets", &n1, &d))) goto done;
  {
    /* Read as doubles and checked, so that float offsets with a fraction (1.5) fail instead of
     * being truncated into a different split of the points between runs. */
    double *dv = malloc(n1 * sizeof *dv);
    if (!dv) {
      rc = oom();
      goto done;
    }
    if (is_bool(d))
      rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/curves/offsets' holds bools (True/False), expected whole numbers "
                   "(run r's points are [offsets[r], offsets[r+1]))", c->path, c->gpath);
    else rc = read_numbers(c, d, "curves", "offsets", dv, n1);
    for (size_t r = 0; r < n1 && !rc; r++) {
      if (!(dv[r] >= 0 && dv[r] <= 9007199254740992.0 && dv[r] == floor(dv[r])))
        rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/curves/offsets' holds %g at index %zu, expected a whole number "
                     "from 0 to 2^53", c->path, c->gpath, dv[r], r);
      else off[r] = (int64_t)dv[r];
    }
    free(dv);
    if (rc) goto done;
  }
  close_id(&d);
  for (size_t r = 0; r < t->nrows; r++)
    if (off[0] != 0 || off[r + 1] < off[r]) {
      rc = sf_fail(SF_EINPUT, "'%s': dataset '%s/curves/offsets' must start at 0 and never decrease (row %zu)",
                   c->path, c->gpath, r + 1);
      goto done;
    }
  total = (size_t)off[t->nrows];
  for (size_t i = 0; i < nn; i++) {
    if (strcmp(names[i], "offsets") == 0) continue;
    size_t len = total;
    if ((rc = open_1d(c, g, "curves", names[i], &len, &d))) goto done;
    if ((rc = read_units(c, d, "curves", names[i], &units[nc]))) goto done;
    cn[nc] = names[i];
    vals[nc] = malloc((total ? total : 1) * sizeof(double));
    if (!vals[nc]) {
      rc = oom();
      goto done;
    }
    nc++;
    if ((rc = read_numbers(c, d, "curves", names[i], vals[nc - 1], total))) goto done;
    close_id(&d);
  }
  if (nc == 0) goto done;
  if ((rc = sf_table_set_curve_columns(t, nc, (const char *const *)cn, (const char *const *)units))) goto done;
  for (size_t r = 0; r < t->nrows && !rc; r++) {
    size_t np = (size_t)(off[r + 1] - off[r]);
    if (!np) continue;
    double *m = malloc(np * nc * sizeof *m);
    if (!m) {
      rc = oom();
      break;
    }
    for (size_t p = 0; p < np; p++)
      for (size_t j = 0; j < nc; j++) m[p * nc + j] = vals[j][(size_t)off[r] + p];
    rc = sf_table_set_curve(t, r, np, m);
    free(m);
  }
done:
  close_id(&d);
  close_id(&g);
  for (size_t j = 0; vals && j < nn + 1; j++) free(vals[j]);
  for (size_t j = 0; units && j < nn + 1; j++) free(units[j]);
  free(vals);
  free(units);
  free(cn);
  free(off);
  sf_h5_free_list(names, nn);
  return rc;
}

static void join_names(char *buf, size_t n, char **names, size_t k) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < k && used + 1 < n; i++) {
    int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
  if (k == 0) snprintf(buf, n, "none");
}

int sf_h5_read(const char *path, const char *table, sf_table **out) {
  *out = NULL;
  hid_t f, tg = -1;
  int rc = open_ours(path, H5F_ACC_RDONLY, &f);
  if (rc) return rc;
  char **names = NULL, list[512];
  size_t nn = 0;
  sf_table *t = NULL;
  char *gpath = NULL, *desc = NULL;
  if ((rc = list_tables(f, path, &names, &nn))) goto done;
  join_names(list, sizeof list, names, nn);
  if (!table) {
    if (nn != 1) {
      rc = nn ? sf_fail(SF_EINPUT, "'%s' has %zu tables (%s): choose one (--table; in a report spec, `table = NAME`)", path, nn, list)
              : sf_fail(SF_EINPUT, "'%s' has no tables", path);
      goto done;
    }
    table = names[0];
  } else {
    size_t i = 0;
    while (i < nn && strcmp(names[i], table) != 0) i++;
    if (i == nn) {
      rc = sf_fail(SF_EINPUT, "'%s' has no table '%s' (tables: %s)", path, table, list);
      goto done;
    }
  }
  if (!sf_table_valid_name(table)) {
    rc = sf_fail(SF_EINPUT, "'%s': table name '%s' is not valid in scalefit (use letters, digits, '_', '.', '-')",
                 path, table);
    goto done;
  }
  gpath = sf_asprintf("/tables/%s", table);
  t = sf_table_new(table);
  if (!gpath || !t || sf_table_set_description(t, "") || !(free(t->origin), t->origin = sf_strdup(path))) {
    rc = oom();
    goto done;
  }
  tg = H5Gopen2(f, gpath, H5P_DEFAULT);
  if (tg < 0) {
    rc = h5_fail(SF_EINPUT, "'%s': '%s' is not a group", path, gpath);
    goto done;
  }
  if (attr_read_str(tg, "description", &desc) > 0) {
    free(t->description);
    t->description = desc;
  }
  long long nrows = -1;
  int a = attr_read_ll(tg, "nrows", &nrows);
  if (a < 0 || (a == 1 && nrows < 0)) {
    rc = sf_fail(SF_EINPUT, "'%s': attribute 'nrows' of '%s' is not a non-negative integer", path, gpath);
    goto done;
  }
  struct stat st;
  rd c = {path, gpath, stat(path, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size : SIZE_MAX,
          H5Pcreate(H5P_DATASET_ACCESS)};
  if (c.dapl < 0 || H5Pset_efile_prefix(c.dapl, "${ORIGIN}") < 0) {
    close_id(&c.dapl);
    rc = h5_fail(SF_EINPUT, "'%s': cannot set up reading", path);
    goto done;
  }
  rc = read_columns(&c, tg, t, a == 1 ? nrows : -1);
  if (!rc) rc = read_derived(&c, tg, t);
  if (!rc) rc = read_curves(&c, tg, t);
  close_id(&c.dapl);
done:
  close_id(&tg);
  H5Fclose(f);
  sf_h5_free_list(names, nn);
  free(gpath);
  if (rc) {
    sf_table_free(t);
    return rc;
  }
  *out = t;
  return SF_OK;
}

/* ---- writing ---- */

static int write_table(hid_t f, const sf_table *t) {
  hid_t tables = -1, tg = -1, g = -1;
  int ok = 0;
  htri_t has = H5Lexists(f, "tables", H5P_DEFAULT);
  tables = has > 0 ? H5Gopen2(f, "tables", H5P_DEFAULT) : group_create(f, "tables");
  if (tables < 0 || (tg = group_create(tables, t->name)) < 0) goto done;
  char *by = sf_asprintf("scalefit %s", sf_version());
  int a = by ? attr_write_str(tg, "created_by", by) : -1;
  free(by);
  if (a < 0 || attr_write_str(tg, "description", t->description ? t->description : "") < 0 ||
      attr_write_i64(tg, "nrows", (long long)t->nrows) < 0)
    goto done;
  if ((g = group_create_n(tg, "columns", 4 + t->ncols)) < 0) goto done;
  char **const text[4] = {t->run, t->family, t->source, t->notes};
  for (int i = 0; i < 4; i++)
    if (write_strings(g, text_fields[i], text[i], t->nrows) < 0) goto done;
  for (size_t c = 0; c < t->ncols; c++)
    if (write_doubles(g, t->cols[c].name, t->cols[c].v, t->nrows, t->cols[c].unit) < 0) goto done;
  close_id(&g);
  int any = 0;
  for (size_t c = 0; c < t->ncols; c++) any |= sf_table_count_derived(t, (int)c) > 0;
  if (any) {
    if ((g = group_create(tg, "derived")) < 0) goto done;
    for (size_t c = 0; c < t->ncols; c++) {
      if (!sf_table_count_derived(t, (int)c)) continue;
      hid_t d = dataset_create(g, t->cols[c].name, H5T_STD_U8LE, t->nrows);
      int w = d >= 0 && H5Dwrite(d, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->cols[c].derived) >= 0;
      close_id(&d);
      if (!w) goto done;
    }
    close_id(&g);
  }
  if (t->ncurve) {
    if ((g = group_create(tg, "curves")) < 0) goto done;
    int64_t *off = malloc((t->nrows + 1) * sizeof *off);
    if (!off) goto done;
    off[0] = 0;
    for (size_t r = 0; r < t->nrows; r++) off[r + 1] = off[r] + (int64_t)t->curve_len[r];
    size_t total = (size_t)off[t->nrows];
    hid_t d = dataset_create(g, "offsets", H5T_STD_I64LE, t->nrows + 1);
    int w = d >= 0 && H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, off) >= 0;
    close_id(&d);
    double *col = w ? malloc((total ? total : 1) * sizeof *col) : NULL;
    w = col != NULL;
    for (size_t j = 0; w && j < t->ncurve; j++) {
      for (size_t r = 0; r < t->nrows; r++)
        for (size_t p = 0; p < t->curve_len[r]; p++) col[(size_t)off[r] + p] = t->curve[r][p * t->ncurve + j];
      w = write_doubles(g, t->curve_name[j], col, total, t->curve_unit[j]) == 0;
    }
    free(col);
    free(off);
    if (!w) goto done;
  }
  ok = 1;
done:
  close_id(&g);
  close_id(&tg);
  close_id(&tables);
  return ok ? 0 : -1;
}

/* Copies every root object of src except /tables, and src's tables not named in skip. */
static int copy_kept(hid_t src, hid_t dst, char **names, size_t nn, const sf_table *const *skip, size_t nskip) {
  char **root = NULL;
  size_t nr = 0;
  if (link_names(src, &root, &nr) < 0) return -1;
  int ok = 1;
  for (size_t i = 0; ok && i < nr; i++)
    if (strcmp(root[i], "tables") != 0)
      ok = H5Ocopy(src, root[i], dst, root[i], H5P_DEFAULT, H5P_DEFAULT) >= 0;
  sf_h5_free_list(root, nr);
  if (!ok) return -1;
  hid_t tables = -1;
  for (size_t i = 0; ok && i < nn; i++) {
    int replaced = 0;
    for (size_t k = 0; k < nskip; k++) replaced |= strcmp(skip[k]->name, names[i]) == 0;
    if (replaced) continue;
    if (tables < 0 && (tables = group_create(dst, "tables")) < 0) return -1;
    char *p = sf_asprintf("tables/%s", names[i]);
    ok = p && H5Ocopy(src, p, dst, p, H5P_DEFAULT, H5P_DEFAULT) >= 0;
    free(p);
  }
  close_id(&tables);
  return ok ? 0 : -1;
}

int sf_h5_write(const char *path, const sf_table *t, int flags) { return sf_h5_write_tables(path, &t, 1, flags); }

/* ---- the file image ----
 * A run file is built in memory (HDF5's core driver, no backing store) and its bytes written by
 * sf_atomic. HDF5 cannot survive a failed write of its own: when H5Fclose fails to flush (a full
 * disk), the file stays half-closed inside the library and its exit handler crashes on it. In
 * memory nothing can fail but an allocation, and a full disk becomes an ordinary write error. The
 * core driver allocates its buffer through these callbacks; the one it frees at close holds the
 * finished file, and is kept instead. */
typedef struct image {
  void *buf;   /* the driver's current buffer */
  size_t size; /* its allocated size: the file rounded up to the driver's increment */
  void *done;  /* the buffer handed back at close: the finished file */
  size_t done_size;
} image;

static void *image_malloc(size_t n, H5FD_file_image_op_t op, void *udata) {
  (void)op;
  image *im = udata;
  void *p = malloc(n ? n : 1);
  if (p) im->buf = p, im->size = n;
  return p;
}

static void *image_memcpy(void *dst, const void *src, size_t n, H5FD_file_image_op_t op, void *udata) {
  (void)op, (void)udata;
  return memcpy(dst, src, n);
}

static void *image_realloc(void *p, size_t n, H5FD_file_image_op_t op, void *udata) {
  (void)op;
  image *im = udata;
  void *q = realloc(p, n ? n : 1);
  if (q) im->buf = q, im->size = n;
  return q;
}

static herr_t image_free(void *p, H5FD_file_image_op_t op, void *udata) {
  image *im = udata;
  if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE && p && p == im->buf) {
    im->done = p, im->done_size = im->size;
    im->buf = NULL;
  } else {
    free(p);
  }
  return 0;
}

/* The callbacks share one udata: the driver copies it with the property list, but every copy
 * must reach the same image. */
static void *image_udata_copy(void *udata) { return udata; }
static herr_t image_udata_free(void *udata) {
  (void)udata;
  return 0;
}

/* The file's length: the buffer is rounded up to the driver's increment, the superblock (version
 * 2, as H5F_LIBVER_V18 writes it: signature, version, offset and length sizes, flags, then base,
 * extension, end-of-file and root addresses) says where the file ends. */
static size_t image_length(const image *im) {
  const unsigned char *b = im->done;
  if (im->done_size < 48 || memcmp(b, "\x89HDF\r\n\x1a\n", 8) != 0 || b[8] != 2 || b[9] != 8) return im->done_size;
  uint64_t eof = 0;
  for (int k = 7; k >= 0; k--) eof = eof << 8 | b[28 + k];
  return eof > 0 && eof <= im->done_size ? (size_t)eof : im->done_size;
}

int sf_h5_write_tables(const char *path, const sf_table *const *t, size_t n, int flags) {
  quiet();
  for (size_t i = 0; i < n; i++) {
    if (!sf_table_valid_name(t[i]->name))
      return sf_fail(SF_EUSAGE, "invalid table name '%s' (use letters, digits, '_', '.', '-')", t[i]->name);
    for (size_t j = 0; j < i; j++)
      if (strcmp(t[i]->name, t[j]->name) == 0)
        return sf_fail(SF_EUSAGE, "two tables named '%s' in one write to '%s'", t[i]->name, path);
  }
  hid_t src = -1, dst = -1, fcpl = -1, fapl = -1;
  char **names = NULL, *tmp = NULL;
  size_t nn = 0;
  int rc = SF_OK;
  image im = {0};
  if (sf_is_dir(path)) return sf_fail(SF_EIO, "cannot write '%s': it is a directory", path);
  if (access(path, F_OK) == 0) {
    if ((rc = open_ours(path, H5F_ACC_RDONLY, &src))) {
      sf_fail_context("cannot add to '%s': ", path);
      goto done;
    }
    if ((rc = list_tables(src, path, &names, &nn))) goto done;
    for (size_t i = 0; i < n && !(flags & SF_H5_REPLACE); i++)
      for (size_t j = 0; j < nn; j++)
        if (strcmp(names[j], t[i]->name) == 0) {
          rc = sf_fail(SF_EINPUT, "'%s' already has a table '%s' (use --replace to overwrite it, or --table to "
                       "choose another name)", path, t[i]->name);
          goto done;
        }
  }
  if (!(tmp = sf_temp_path_beside(path))) {
    rc = oom();
    goto done;
  }
  fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (fcpl >= 0) {
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_link_phase_change(fcpl, 65535, 65535);
  }
  /* The 1.8 file format: every metadata block (superblock, object headers, heaps, B-trees)
   * carries a checksum, so a damaged file fails cleanly instead of being parsed; HDF5 1.8 and
   * later (h5py included) read it. */
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5FD_file_image_callbacks_t cb = {image_malloc, image_memcpy,     image_realloc, image_free,
                                    image_udata_copy, image_udata_free, &im};
  if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0 ||
      H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0 || H5Pset_file_image_callbacks(fapl, &cb) < 0) {
    rc = h5_fail(SF_EIO, "cannot write '%s'", path);
    goto done;
  }
  /* In memory: the name only labels the file in HDF5's messages. */
  dst = H5Fcreate(tmp, H5F_ACC_EXCL, fcpl, fapl);
  if (dst < 0) {
    rc = h5_fail(SF_EIO, "cannot write '%s'", path);
    goto done;
  }
  if (attr_write_str(dst, "format", SF_H5_FORMAT) < 0 || attr_write_i64(dst, "format_version", SF_H5_VERSION) < 0) {
    rc = h5_fail(SF_EIO, "cannot write '%s'", path);
    goto done;
  }
  if (src >= 0 && copy_kept(src, dst, names, nn, t, n) < 0) {
    rc = h5_fail(SF_EIO, "cannot write '%s': copying its other tables failed", path);
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    if (write_table(dst, t[i]) < 0) {
      rc = h5_fail(SF_EIO, "cannot write table '%s' to '%s'", t[i]->name, path);
      goto done;
    }
  herr_t cl = H5Fclose(dst);
  dst = -1;
  if (cl < 0 || !im.done) {
    rc = cl < 0 ? h5_fail(SF_EIO, "cannot write '%s'", path) : oom();
    goto done;
  }
  struct stat st;
  int keep_mode = src >= 0 && stat(path, &st) == 0;
  close_id(&src); /* before the rename: the original is still open for reading */
  sf_atomic a;
  if ((rc = sf_atomic_open(&a, path))) goto done;
  if (keep_mode) fchmod(fileno(a.fp), st.st_mode & 07777); /* a private file stays private */
  size_t len = image_length(&im);
  if (fwrite(im.done, 1, len, a.fp) != len) {
    rc = sf_fail(SF_EIO, "cannot write '%s': %s", path, strerror(errno));
    sf_atomic_abort(&a);
    goto done;
  }
  rc = sf_atomic_commit(&a);
done:
  close_id(&dst);
  close_id(&src);
  close_id(&fcpl);
  close_id(&fapl);
  free(im.done);
  free(tmp);
  sf_h5_free_list(names, nn);
  return rc;
}
