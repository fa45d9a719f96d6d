/* AVX2 + FMA micro-kernel: a 6 x 16 tile of C in 12 ymm accumulators (6 rows
 * x 2 vectors), 2 ymm for the B row and one broadcast: 15 of 16 registers. */
#include <immintrin.h>

#include "gemm-ukernels.h"

#define MR 6

/* Writes the first m rows and n columns of a 6 x 16 tile held in two
 * vectors per row. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
store_tile(const __m256 *acc0, const __m256 *acc1, float *c, int64_t ldc, int m, int n,
           enum gemm_store store, const float *bias)
{
    if (n == 16) {
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            if (i >= m)
                break;
            float *row = c + i * ldc;
            __m256 r0 = acc0[i], r1 = acc1[i];
            if (store == GEMM_ACCUMULATE) {
                r0 = _mm256_add_ps(r0, _mm256_loadu_ps(row));
                r1 = _mm256_add_ps(r1, _mm256_loadu_ps(row + 8));
            } else if (store == GEMM_BIAS) {
                const __m256 bi = _mm256_broadcast_ss(bias + i);
                r0 = _mm256_add_ps(r0, bi);
                r1 = _mm256_add_ps(r1, bi);
            }
            _mm256_storeu_ps(row, r0);
            _mm256_storeu_ps(row + 8, r1);
        }
        return;
    }
    /* a partial tile: through a buffer (AVX2 has no cheap masked store) */
    float tile[MR][16];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
        _mm256_storeu_ps(tile[i], acc0[i]);
        _mm256_storeu_ps(tile[i] + 8, acc1[i]);
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float v = tile[i][j];
            if (store == GEMM_ACCUMULATE)
                v += c[i * ldc + j];
            else if (store == GEMM_BIAS)
                v += bias[i];
            c[i * ldc + j] = v;
        }
}

/* A tile of at most 8 columns (the short last panel of N = 49, 7x7
 * outputs: one column): only the B panel's first vector, with even and odd
 * k steps in separate accumulators so that 12 FMA chains still hide the
 * FMA latency. */
__attribute__((target("avx2,fma"))) static void
half_tile(int64_t k, const float *a, const float *b, float *c, int64_t ldc, int m, int n,
          enum gemm_store store, const float *bias)
{
    __m256 even[MR], odd[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++)
        even[i] = odd[i] = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 2 <= k; p += 2) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 16);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            even[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i), b0, even[i]);
            odd[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + MR + i), b1, odd[i]);
        }
        a += 2 * MR;
        b += 32;
    }
    if (p < k) {
        const __m256 b0 = _mm256_load_ps(b);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++)
            even[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i), b0, even[i]);
    }
    __m256 high[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
        even[i] = _mm256_add_ps(even[i], odd[i]);
        high[i] = _mm256_setzero_ps();
    }
    store_tile(even, high, c, ldc, m, n, store, bias);
}

__attribute__((target("avx2,fma"))) void sgemm_ukernel_6x16__avx2(
    int64_t k, const float *a, const float *b, float *c, int64_t ldc, int m, int n,
    enum gemm_store store, const float *bias)
{
    if (n <= 8) {
        half_tile(k, a, b, c, ldc, m, n, store, bias);
        return;
    }
    __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm256_setzero_ps();
        acc1[i] = _mm256_setzero_ps();
        /* the tile's rows of C, wanted after the k loop (prefetches of
         * rows past m are harmless: they never fault) */
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 15), _MM_HINT_T0);
    }
    for (int64_t p = 0; p < k; p++) {
        const __m256 b0 = _mm256_load_ps(b);
        const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
        for (int i = 0; i < MR; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + i);
            acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
        }
        a += MR;
        b += 16;
    }

    store_tile(acc0, acc1, c, ldc, m, n, store, bias);
}
