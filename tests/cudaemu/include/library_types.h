/* library_types.h (tests/cudaemu): the data types of cuBLAS's *Ex functions (CUDA's values). */
#ifndef SF_CUDAEMU_LIBRARY_TYPES_H
#define SF_CUDAEMU_LIBRARY_TYPES_H

typedef enum cudaDataType_t {
  CUDA_R_32F = 0,
  CUDA_R_64F = 1,
  CUDA_R_16F = 2,
  CUDA_C_32F = 4,
  CUDA_R_16BF = 14
} cudaDataType;
typedef cudaDataType cudaDataType_t;

#endif
