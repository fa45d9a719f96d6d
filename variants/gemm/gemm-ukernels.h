/* The micro-kernels, one file each, named sgemm-MRxNR__ISA.c. */
#ifndef CONVBENCH_GEMM_UKERNELS_H
#define CONVBENCH_GEMM_UKERNELS_H

#include "gemm.h"

void sgemm_ukernel_12x32__avx512(int64_t k, const float *a, const float *b, float *c,
                                 int64_t ldc, int m, int n, enum gemm_store store,
                                 const float *bias);
void sgemm_ukernel_8x32__avx512(int64_t k, const float *a, const float *b, float *c,
                                int64_t ldc, int m, int n, enum gemm_store store,
                                const float *bias);
void sgemm_ukernel_8x49__avx512(int64_t k, const float *a, const float *b, const float *b_next,
                                float *c, int64_t ldc, int m, int n_tail, enum gemm_store store,
                                const float *bias);
void sgemm_ukernel_6x16__avx2(int64_t k, const float *a, const float *b, float *c,
                              int64_t ldc, int m, int n, enum gemm_store store,
                              const float *bias);
void sgemm_ukernel_4x16__c(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                           int m, int n, enum gemm_store store, const float *bias);

#endif
