/* The micro-kernels, one file each, named sgemm-MRxNR__ISA.c, and the
 * few-column kernels (sgemm-narrow.c, sgemm-skinny-8__avx512.c). */
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

void sgemm_narrow(const struct gemm_packed_a *a, int64_t k0, int64_t k1, const float *b,
                  int64_t ldb, int64_t n, float *c, int64_t ldc, bool accumulate,
                  const float *bias, int threads);
void sgemm_skinny_8__avx512(const struct gemm_packed_a *a, int64_t pc, int64_t kc_cur,
                            const float *b, int64_t ldb, int64_t n, float *c, int64_t ldc,
                            bool accumulate, const float *bias, int threads);

#endif
