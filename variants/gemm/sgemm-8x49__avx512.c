/* AVX-512 micro-kernel for a full 32-column panel of B together with the
 * short panel after it (1 to 17 columns): 8 x (32 + 16) in 24 accumulators,
 * and a 17th column along the 8 rows of A. Run on their own, the short
 * panel's tiles would take a broadcast of A per FMA, and the load ports,
 * not the FMAs, would set their pace (a 17-column panel cost nearly as much
 * as a full one); here each broadcast feeds three FMAs. N = 49 (7x7
 * outputs) is 32 + 17, N = 196 (14x14) ends in 32 + 4. */
#include <immintrin.h>

#include "gemm-ukernels.h"

/* The whole kernel, with or without the 17th column (a constant in each
 * instance, so that the accumulators stay in registers). */
__attribute__((target("avx512f"), always_inline)) static inline void
tail_kernel(int64_t k, const float *a, const float *b, const float *b_next, float *c,
            int64_t ldc, int m, int n_tail, enum gemm_store store, const float *bias,
            const bool column)
{
    __m512 acc0[8], acc1[8], acc2[8], last = _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        acc0[i] = acc1[i] = acc2[i] = _mm512_setzero_ps();
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 32), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 48), _MM_HINT_T0);
    }
    for (int64_t p = 0; p < k; p++) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        const __m512 b2 = _mm512_load_ps(b_next);
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++) {
            const __m512 ai = _mm512_set1_ps(a[i]);
            acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
            acc2[i] = _mm512_fmadd_ps(ai, b2, acc2[i]);
        }
        if (column)
            last = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(0x00ff, a), _mm512_set1_ps(b_next[16]),
                                   last);
        a += 8;
        b += 32;
        b_next += 32;
    }
    float col[16];
    _mm512_storeu_ps(col, last);

    /* columns 32 .. 32 + n_tail: a vector masked to 16 of them, and the
     * 17th from the column accumulator */
    const __mmask16 mask2 = n_tail >= 16 ? 0xffff : (__mmask16)((1u << n_tail) - 1);
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        if (i >= m)
            break;
        float *row = c + i * ldc;
        __m512 r0 = acc0[i], r1 = acc1[i], r2 = acc2[i];
        float r3 = col[i];
        if (store == GEMM_ACCUMULATE) {
            r0 = _mm512_add_ps(r0, _mm512_loadu_ps(row));
            r1 = _mm512_add_ps(r1, _mm512_loadu_ps(row + 16));
            r2 = _mm512_add_ps(r2, _mm512_maskz_loadu_ps(mask2, row + 32));
            if (column)
                r3 += row[48];
        } else if (store == GEMM_BIAS) {
            const __m512 bi = _mm512_set1_ps(bias[i]);
            r0 = _mm512_add_ps(r0, bi);
            r1 = _mm512_add_ps(r1, bi);
            r2 = _mm512_add_ps(r2, bi);
            r3 += bias[i];
        }
        _mm512_storeu_ps(row, r0);
        _mm512_storeu_ps(row + 16, r1);
        _mm512_mask_storeu_ps(row + 32, mask2, r2);
        if (column)
            row[48] = r3;
    }
}

__attribute__((target("avx512f"))) void
sgemm_ukernel_8x49__avx512(int64_t k, const float *a, const float *b, const float *b_next,
                           float *c, int64_t ldc, int m, int n_tail, enum gemm_store store,
                           const float *bias)
{
    if (n_tail > 16)
        tail_kernel(k, a, b, b_next, c, ldc, m, n_tail, store, bias, true);
    else
        tail_kernel(k, a, b, b_next, c, ldc, m, n_tail, store, bias, false);
}
