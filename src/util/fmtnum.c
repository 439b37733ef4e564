/* fmtnum.c: v as the first of %.15g, %.16g, %.17g that reads back to exactly v (the fewest digits
 * when 15 suffice; see util.h), as export writes CSV and report.json its numbers.
 *
 * The rule (kept byte for byte from the loop it replaces): the first of %.15g, %.16g, %.17g whose
 * text strtod reads back as v. Starting at 15 loses nothing: a double whose shortest form has at
 * most 15 digits prints with exactly those digits under %.15g (DBL_DIG is 15 and %g drops trailing
 * zeros), and %.15g keeps integers below 1e15 plain (7000000000).
 *
 * The loop cost three correctly rounded printfs and three strtods for a value that needs 17 digits
 * (most measured losses): 70% of `export`'s time on a 1.3M-row table (perf). Here the digits of v
 * come exactly from 128-bit integer arithmetic (v from about 1e-6 to 1e38; elsewhere one printf of
 * the 17 correctly rounded digits); the 15- and 16-digit candidates are rounded from them, and
 * checked with one exact double operation (m * 10^e, m and 10^e both exact, rounds once, as strtod
 * does), else strtod. Where a shortcut could differ from the loop (an exact half way, whose tie
 * printf breaks, zero, infinities), the loop runs. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static void fmt_loop(char *buf, size_t n, double v) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) return;
  }
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Writes what printf's %.{p}g writes for the value 0.d[0..p) * 10^(x+1) (d[0] not '0'), sign in
 * front when neg: %e style when x < -4 or x >= p, else %f style; trailing zeros and a bare '.'
 * dropped. buf holds at least 32 bytes. */
static void put_g(char *buf, int neg, const char *d, int p, int x) {
  int k = p;
  while (k > 1 && d[k - 1] == '0') k--;
  char *o = buf;
  if (neg) *o++ = '-';
  if (x < -4 || x >= p) {
    *o++ = d[0];
    if (k > 1) {
      *o++ = '.';
      memcpy(o, d + 1, (size_t)(k - 1));
      o += k - 1;
    }
    *o++ = 'e';
    *o++ = x < 0 ? '-' : '+';
    int ax = x < 0 ? -x : x;
    if (ax >= 100) *o++ = (char)('0' + ax / 100);
    *o++ = (char)('0' + ax / 10 % 10);
    *o++ = (char)('0' + ax % 10);
  } else if (x >= 0) {
    for (int i = 0; i <= x; i++) *o++ = i < k ? d[i] : '0';
    if (k > x + 1) {
      *o++ = '.';
      memcpy(o, d + x + 1, (size_t)(k - x - 1));
      o += k - x - 1;
    }
  } else {
    *o++ = '0';
    *o++ = '.';
    for (int i = 0; i < -x - 1; i++) *o++ = '0';
    memcpy(o, d, (size_t)k);
    o += k;
  }
  *o = '\0';
}

/* 1 when the decimal m * 10^e (m < 2^53) reads back as exactly a, decided by one correctly rounded
 * operation; -1 when that cannot decide it (then strtod must). */
static int reads_back(uint64_t m, int e, double a) {
  if (m > (UINT64_C(1) << 53) || e > 22 || e < -22) return -1;
  double r = e >= 0 ? (double)m * pow10_exact[e] : (double)m / pow10_exact[-e];
  return r == a;
}

typedef unsigned __int128 u128;

/* The first 17 significant digits of a (finite, > 0), cut not rounded, as n in [10^16, 10^17), with
 * a = n.rest * 10^(x - 16), and where rest lies against one half: *half is -1 below, 0 at, 1 above;
 * *zero is 1 when rest is 0. Exact in 128-bit integers for a from about 1e-6 to 1e38 (a = f * 2^k,
 * scaled by 10^s); 0 when a is out of that reach. */
static int exact17(double a, uint64_t *n, int *x, int *half, int *zero) {
  int e2;
  double fr = frexp(a, &e2);
  uint64_t f = (uint64_t)ldexp(fr, 53);
  int k = e2 - 53;
  int xe = (int)floor(log10(a));
  for (int tries = 0; tries < 3; tries++) {
    int s = 16 - xe;
    u128 q, rem, den;
    if (k >= 0) {
      if (k > 74 || s < -38 || s > 0) return 0;
      u128 A = (u128)f << k, P = 1;
      for (int i = 0; i < -s; i++) P *= 10;
      q = A / P, rem = A % P, den = P;
    } else {
      if (-k > 127 || s < 0 || s > 22) return 0;
      u128 P = 1;
      for (int i = 0; i < s; i++) P *= 10;
      u128 num = f * P;
      den = (u128)1 << -k;
      q = num >> -k, rem = num & (den - 1);
    }
    if (q >= (u128)100000000000000000ULL) {
      xe++;
      continue;
    }
    if (q < (u128)10000000000000000ULL) {
      xe--;
      continue;
    }
    *n = (uint64_t)q;
    *x = xe;
    u128 twice = rem << 1; /* rem < den <= 2^127 */
    *half = twice < den ? -1 : twice > den;
    *zero = rem == 0;
    return 1;
  }
  return 0;
}

/* Writes the p-digit rounding of the 17 cut digits n (exponent x, rest as exact17 says) as %.{p}g
 * would, and returns the p-digit integer and its exponent; 0 where the rounding is exactly half way
 * (printf's tie rule is left to printf). */
static int round_to(uint64_t n, int x, int half, int zero, int p, uint64_t *qp, int *xp) {
  uint64_t unit = 1;
  for (int i = p; i < 17; i++) unit *= 10;
  uint64_t q = n / unit, r = n % unit;
  int up;
  if (p == 17) {
    if (half == 0) return 0;
    up = half > 0;
  } else {
    uint64_t h = unit / 2;
    if (r == h && zero) return 0;
    up = r > h || (r == h && !zero);
  }
  uint64_t top = 1;
  for (int i = 0; i < p; i++) top *= 10;
  q += (uint64_t)up;
  if (q == top) q /= 10, x++;
  *qp = q;
  *xp = x;
  return 1;
}

static void digits_of(uint64_t q, int p, char *d) {
  for (int i = p - 1; i >= 0; i--) d[i] = (char)('0' + q % 10), q /= 10;
}

void sf_fmt_double(char *buf, size_t n, double v) {
  if (n < 32 || v == 0 || !isfinite(v)) {
    fmt_loop(buf, n, v);
    return;
  }
  int neg = signbit(v) != 0;
  double a = fabs(v);
  /* An integer below 1e15 prints plain under %.15g, and reads back. */
  if (a < 1e15 && a == (double)(int64_t)a) {
    char tmp[24];
    int len = snprintf(tmp, sizeof tmp, "%lld", (long long)(int64_t)a);
    put_g(buf, neg, tmp, len, len - 1);
    return;
  }
  uint64_t n17;
  int x17, hcmp, zero;
  if (exact17(a, &n17, &x17, &hcmp, &zero)) {
    for (int p = 15; p <= 17; p++) {
      uint64_t q;
      int px;
      char dp[17];
      if (!round_to(n17, x17, hcmp, zero, p, &q, &px)) break; /* half way: printf decides */
      digits_of(q, p, dp);
      put_g(buf, neg, dp, p, px);
      if (p == 17) return; /* 17 digits always read back */
      int ok = reads_back(q, px - (p - 1), a);
      if (ok < 0) ok = strtod(buf, NULL) == v;
      if (ok) return;
    }
    fmt_loop(buf, n, v);
    return;
  }
  /* "d.dddddddddddddddde[+-]XX": the 17 correctly rounded digits of %.17g, and their exponent. */
  char e17[40];
  snprintf(e17, sizeof e17, "%.16e", a);
  char d17[17];
  d17[0] = e17[0];
  memcpy(d17 + 1, e17 + 2, 16);
  int x = atoi(e17 + 19);
  for (int p = 15; p <= 16; p++) {
    /* Rounding the 17 digits again rounds v itself the same way, except where the dropped digits
     * read exactly half ("5", "50"): v may have been just below or above it. */
    const char *drop = d17 + p;
    int half = drop[0] == '5' && (p == 16 || drop[1] == '0');
    if (half) {
      fmt_loop(buf, n, v);
      return;
    }
    uint64_t m = 0;
    for (int i = 0; i < p; i++) m = m * 10 + (uint64_t)(d17[i] - '0');
    int px = x;
    if (drop[0] >= '5') {
      m++;
      uint64_t top = 1;
      for (int i = 0; i < p; i++) top *= 10;
      if (m == top) m /= 10, px++;
    }
    char dp[17];
    for (int i = p - 1; i >= 0; i--) dp[i] = (char)('0' + m % 10), m /= 10;
    for (int i = 0; i < p; i++) m = m * 10 + (uint64_t)(dp[i] - '0');
    put_g(buf, neg, dp, p, px);
    int ok = reads_back(m, px - (p - 1), a);
    if (ok < 0) ok = strtod(buf, NULL) == v;
    if (ok) return;
  }
  put_g(buf, neg, d17, 17, x);
}
