/* sf_error.h: status codes and the last error message.
 *
 * Every library function that can fail returns an int status: SF_OK (0) or one of the codes
 * below, which are also the CLI's exit codes. The failing function records a one-line message
 * (lower-case, no final full stop, naming the file, line, column or dataset at fault) that
 * sf_errmsg() returns until the next failure in the same thread.
 */
#ifndef SF_ERROR_H
#define SF_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum sf_status {
  SF_OK = 0,
  SF_EUSAGE = 1,    /* bad command line or API misuse */
  SF_EINPUT = 2,    /* bad input: file missing, malformed, wrong layout, invalid values */
  SF_ENUMERIC = 3,  /* numerical failure: no convergence, singular problem, non-finite result */
  SF_EIO = 4,       /* cannot write an output (permissions, disk full), or a CUDA call failed */
  SF_ENOMEM = 5,    /* out of memory */
  SF_EINTERNAL = 6  /* a bug in scalefit */
};

/* Records a printf-style message for this thread and returns code, so that failure sites
 * read `return sf_fail(SF_EINPUT, "'%s' line %zu: ...", path, line);`. */
int sf_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the current message with more context ("while reading 'x': " + old message),
 * keeping its code; returns the code. */
int sf_fail_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

const char *sf_errmsg(void);     /* last message of this thread ("" if none) */
int sf_errcode(void);            /* code of the last failure of this thread */
void sf_error_clear(void);
const char *sf_status_name(int code); /* "bad input", "numerical failure", ... */

#ifdef __cplusplus
}
#endif
#endif
