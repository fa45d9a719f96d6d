/* Portable C micro-kernel, 4 x 16: the micro-kernel contract written as
 * plain loops, for CPUs without AVX2 or AVX-512 (CONVBENCH_ISA=generic).
 * tests/test_gemm.c holds it, like the SIMD ones, to a product computed in
 * double. */
#include "gemm-ukernels.h"

#define MR 4
#define NR 16

void sgemm_ukernel_4x16__c(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                           int m, int n, enum gemm_store store, const float *bias)
{
    float acc[MR][NR] = {{0}};
    for (int64_t p = 0; p < k; p++) {
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i][j] += a[i] * b[j];
        a += MR;
        b += NR;
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float v = acc[i][j];
            if (store == GEMM_ACCUMULATE)
                v += c[i * ldc + j];
            else if (store == GEMM_BIAS)
                v += bias[i];
            c[i * ldc + j] = v;
        }
}
