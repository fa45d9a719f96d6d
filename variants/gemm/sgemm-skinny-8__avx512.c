/* The GEMM for 3 or 4 columns of B on the 8-row A panels of the AVX-512
 * 8x32 kernel. */
#include "gemm-ukernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* Products with a few more columns (Winograd's tile-element GEMMs on a 7x7
 * image have 4) would use a quarter of each 16-lane vector of a 32-wide
 * panel. With 8-row A panels (the AVX-512 8x32 kernel's) one vector holds
 * two k steps of a panel instead, 8 rows each, against a vector of the
 * matching column of B: b[k][j] in its low 8 lanes, b[k + 1][j] in its high
 * 8, expanded once per K-block. Every lane does useful work, each A panel
 * is read once, in order, and the two halves are added at the end. */
/* How far ahead (floats) the skinny path prefetches A: 4 KiB. On ResNet-18's
 * 7x7 layer under F(4x4,3x3) (36 products of 512 x 512 by 4 columns, A
 * read once from memory) 256 and 512 floats gained less, none 10-20% less. */
#define SKINNY_PF 1024

__attribute__((target("avx512f"), always_inline)) static inline void
skinny_panel(const float *panel, int64_t kc_cur, const __m512 *bx, int64_t row0, int64_t m,
             float *c, int64_t ldc, bool accumulate, const float *bias, const int N)
{
    /* whole pairs of k steps; an odd K-block ends in a half pair, loaded
     * under a mask (the 8 floats after it belong to the next panel) */
    const int64_t pairs = kc_cur / 2;
    /* two sets of accumulators (even and odd pairs): 2N independent chains */
    __m512 acc[2][GEMM_SKINNY_N];
#pragma GCC unroll 4
    for (int j = 0; j < N; j++)
        acc[0][j] = acc[1][j] = _mm512_setzero_ps();
    int64_t q = 0;
    for (; q + 2 <= pairs; q += 2) {
        /* A streams from memory (Winograd's transformed weights for a few
         * tiles, read once per run): ask for it well ahead */
        _mm_prefetch((const char *)(panel + q * 16 + SKINNY_PF), _MM_HINT_T0);
        _mm_prefetch((const char *)(panel + q * 16 + SKINNY_PF + 16), _MM_HINT_T0);
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const __m512 x = _mm512_loadu_ps(panel + (q + h) * 16);
#pragma GCC unroll 4
            for (int j = 0; j < N; j++)
                acc[h][j] = _mm512_fmadd_ps(x, bx[(q + h) * N + j], acc[h][j]);
        }
    }
    for (; q < (kc_cur + 1) / 2; q++) {
        const __m512 x = _mm512_maskz_loadu_ps(2 * q + 1 < kc_cur ? 0xffff : 0x00ff,
                                               panel + q * 16);
#pragma GCC unroll 4
        for (int j = 0; j < N; j++)
            acc[0][j] = _mm512_fmadd_ps(x, bx[q * N + j], acc[0][j]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < N; j++) {
        const __m512 both = _mm512_add_ps(acc[0][j], acc[1][j]);
        float sum[8];
        _mm256_storeu_ps(sum, _mm256_add_ps(_mm512_castps512_ps256(both),
                                            _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                                _mm512_castps_pd(both), 1))));
        for (int r = 0; r < 8 && row0 + r < m; r++) {
            float *out = c + (row0 + r) * ldc + j;
            *out = sum[r] + (accumulate ? *out : bias ? bias[row0 + r] : 0.0f);
        }
    }
}

/* k steps per expansion of B (even): the expanded rows, 24 KB with four
 * columns, stay in L1 while the A panels stream past them (at 64 KB they
 * would not) */
enum { SKINNY_STEPS_MAX = 192 };

/* C (+)= A[:, pc + p0 : pc + p0 + len] B for GEMM_NARROW_N < n <=
 * GEMM_SKINNY_N columns with 8-row A panels; pc on a K-block boundary, p0
 * even; B holds rows pc + p0 .. pc + p0 + len. */
__attribute__((target("avx512f"))) static void
skinny_part(const struct gemm_packed_a *a, int64_t pc, int64_t kc_cur, int64_t p0, int64_t len,
            const float *b, int64_t ldb, int64_t n, float *c, int64_t ldc, bool accumulate,
            const float *bias, int threads)
{
    const int64_t pairs = (len + 1) / 2;
    /* bx[q * n + j]: b[2q][j] in the low 8 lanes, b[2q + 1][j] (or 0 past
     * the part) in the high 8 */
    __m512 bx[SKINNY_STEPS_MAX / 2 * GEMM_SKINNY_N];
    for (int64_t q = 0; q < pairs; q++)
        for (int64_t j = 0; j < n; j++) {
            const float lo = b[2 * q * ldb + j], hi = 2 * q + 1 < len ? b[(2 * q + 1) * ldb + j] : 0.0f;
            bx[q * n + j] = _mm512_castpd_ps(_mm512_insertf64x4(
                _mm512_castps_pd(_mm512_set1_ps(lo)), _mm256_castps_pd(_mm256_set1_ps(hi)), 1));
        }
    const float *block = a->data + pc * a->m_padded + p0 * 8;
    const int64_t panels = a->m_padded / 8;
    #pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t ip = 0; ip < panels; ip++) {
        const float *panel = block + ip * 8 * kc_cur;
        switch (n) {
        case 3: skinny_panel(panel, len, bx, ip * 8, a->m, c, ldc, accumulate, bias, 3); break;
        default: skinny_panel(panel, len, bx, ip * 8, a->m, c, ldc, accumulate, bias, 4); break;
        }
    }
}

/* The same for a whole K-block (B holds rows pc .. pc + kc_cur), in parts
 * of at most SKINNY_STEPS_MAX steps. */
__attribute__((target("avx512f"))) void
sgemm_skinny_8__avx512(const struct gemm_packed_a *a, int64_t pc, int64_t kc_cur,
                       const float *b, int64_t ldb, int64_t n, float *c, int64_t ldc,
                       bool accumulate, const float *bias, int threads)
{
    for (int64_t p0 = 0; p0 < kc_cur; p0 += SKINNY_STEPS_MAX)
        skinny_part(a, pc, kc_cur, p0,
                    kc_cur - p0 < SKINNY_STEPS_MAX ? kc_cur - p0 : SKINNY_STEPS_MAX,
                    b + p0 * ldb, ldb, n, c, ldc, p0 > 0 || accumulate, p0 == 0 ? bias : NULL,
                    threads);
}
#endif
