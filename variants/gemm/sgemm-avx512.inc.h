/* The body of the AVX-512 micro-kernels: an MR x 32 tile of C in 2 * MR zmm
 * accumulators (MR rows x 2 vectors), 2 zmm for the B row and one broadcast
 * of A. Each k step is 2 * MR FMAs against MR broadcasts and 2 loads; the
 * independent accumulator chains cover FMA latency on two FMA ports. A
 * last panel of 16 or 17 columns computes one vector per row (and the 17th
 * column along the rows of A) instead of two.
 * Included by sgemm-MRx32__avx512.c with MR and UKERNEL defined. */
#include <immintrin.h>
/* How far ahead (floats) a panel of 16 columns or fewer prefetches A: such
 * a product does half the FMAs per A element, so a B of 16 columns
 * (Winograd's F(4x4,3x3) GEMMs on a 14x14 image) has A stream from memory
 * at the rate the FMAs take it. VGG-16 conv5_x: about 10% faster with it. */
#define NARROW_PF 1024

#include "gemm-ukernels.h"

__attribute__((target("avx512f"))) void UKERNEL(int64_t k, const float *a, const float *b,
                                                float *c, int64_t ldc, int m, int n,
                                                enum gemm_store store, const float *bias)
{
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
        /* the tile's rows of C, wanted after the k loop: on a wide C they
         * are far apart and would miss every cache (prefetches of rows
         * past m are harmless: they never fault) */
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 31), _MM_HINT_T0);
    }
    if (n <= 16) {
        /* a last panel of 16 columns or fewer (N = 196 ends in 4): the
         * right half of the tile is padding, so it is not computed */
        for (int64_t p = 0; p < k; p++) {
            _mm_prefetch((const char *)(a + NARROW_PF), _MM_HINT_T0);
            const __m512 b0 = _mm512_load_ps(b);
#pragma GCC unroll 16
            for (int i = 0; i < MR; i++)
                acc0[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b0, acc0[i]);
            a += MR;
            b += 32;
        }
    } else if (n == 17) {
        /* 17 columns (N = 49 is 32 + 17): the 17th is one more FMA per k,
         * along the MR rows of the A panel, instead of a second vector
         * per row that would be 15/16 padding */
        const __mmask16 rows = (__mmask16)((1u << MR) - 1);
        __m512 last = _mm512_setzero_ps();
        for (int64_t p = 0; p < k; p++) {
            const __m512 b0 = _mm512_load_ps(b);
#pragma GCC unroll 16
            for (int i = 0; i < MR; i++)
                acc0[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b0, acc0[i]);
            last = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(rows, a), _mm512_set1_ps(b[16]), last);
            a += MR;
            b += 32;
        }
        float column[16];
        _mm512_storeu_ps(column, last);
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++)
            acc1[i] = _mm512_set1_ps(column[i]);
    } else {
        for (int64_t p = 0; p < k; p++) {
            const __m512 b0 = _mm512_load_ps(b);
            const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
            for (int i = 0; i < MR; i++) {
                const __m512 ai = _mm512_set1_ps(a[i]);
                acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
                acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
            }
            a += MR;
            b += 32;
        }
    }

    /* columns past n are masked off; rows past m are not stored */
    const __mmask16 mask0 = n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1);
    const __mmask16 mask1 = n >= 32 ? 0xffff : n <= 16 ? 0 : (__mmask16)((1u << (n - 16)) - 1);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        if (i >= m)
            break;
        float *row = c + i * ldc;
        __m512 r0 = acc0[i], r1 = acc1[i];
        if (store == GEMM_ACCUMULATE) {
            r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(mask0, row));
            r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(mask1, row + 16));
        } else if (store == GEMM_BIAS) {
            const __m512 bi = _mm512_set1_ps(bias[i]);
            r0 = _mm512_add_ps(r0, bi);
            r1 = _mm512_add_ps(r1, bi);
        }
        _mm512_mask_storeu_ps(row, mask0, r0);
        _mm512_mask_storeu_ps(row + 16, mask1, r1);
    }
}
