/* cuda_bf16.h (tests/cudaemu): __nv_bfloat16 and its conversions, as the hardware does them:
 * float -> bf16 rounds to nearest even (a NaN stays a NaN), bf16 -> float is exact. */
#ifndef SF_CUDAEMU_CUDA_BF16_H
#define SF_CUDAEMU_CUDA_BF16_H

#include <stdint.h>
#include <string.h>

#include "cuda_runtime.h"

struct __nv_bfloat16 {
  uint16_t x; /* the upper half of a float's bits */
};

inline __nv_bfloat16 __float2bfloat16(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  __nv_bfloat16 b;
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    b.x = (uint16_t)((u >> 16) | 0x0040u); /* NaN: keep the sign, stay quiet */
    return b;
  }
  u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest, ties to even (overflow gives infinity) */
  b.x = (uint16_t)(u >> 16);
  return b;
}

inline float __bfloat162float(__nv_bfloat16 b) {
  uint32_t u = (uint32_t)b.x << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

#endif
