/* load.c: sf_data_load, the one entry point every command uses to read runs, whatever the file
 * type: picks the reader by extension (.csv, .h5/.hdf5) or, failing that, by the HDF5
 * signature, then derives C and D and checks every value, so commands see only clean tables. */
#include <scalefit/sf_error.h>
#include <scalefit/sf_store.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

/* HDF5 by extension, else by its signature, unless the name says CSV. */
static int is_h5(const char *path) {
  return sf_ext_is(path, ".h5") || sf_ext_is(path, ".hdf5") || (!sf_ext_is(path, ".csv") && sf_h5_sniff(path));
}

int sf_data_has_table(const char *path, const char *table) {
  if (access(path, R_OK) != 0) return -1;
  if (!is_h5(path)) {
    char *name = sf_table_name_from_path(path);
    int has = name ? strcmp(name, table) == 0 : -1;
    free(name);
    return has;
  }
  char **names = NULL;
  size_t n = 0;
  if (sf_h5_list(path, &names, &n) != SF_OK) return -1;
  int has = 0;
  for (size_t i = 0; i < n; i++) has |= strcmp(names[i], table) == 0;
  sf_h5_free_list(names, n);
  return has;
}

int sf_data_load(const char *path, const char *table, sf_table **out) {
  *out = NULL;
  if (access(path, R_OK) != 0) return sf_fail(SF_EINPUT, "cannot open '%s': %s", path, strerror(errno));
  int h5 = is_h5(path);
  sf_table *t = NULL;
  int rc = h5 ? sf_h5_read(path, table, &t) : sf_csv_read(path, &t);
  if (rc) return rc;
  if (!h5 && table && strcmp(table, t->name) != 0) {
    /* bad input, as an HDF5 file without the table is: the option is fine, the file lacks it */
    rc = sf_fail(SF_EINPUT, "'%s' is a CSV file holding one table, '%s', not '%s'", path, t->name, table);
  } else if (!(rc = sf_table_check(t)) && !(rc = sf_table_derive(t))) {
    /* Checked before deriving, so a bad D is reported as D and not as the C made from it;
     * and after, because 6ND can overflow. */
    rc = sf_table_check(t);
  }
  if (rc) {
    sf_table_free(t);
    return rc;
  }
  *out = t;
  return SF_OK;
}
