/* Winograd's tile gathers and scatters on AVX2, 8 tiles at a time where
 * whole vectors fit; the plain loops of tiles__c.c do the rest. */
#include "winograd.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* dst[u] = src[m u] (m = 2 or 4) from u on, 8 at a time, for as long as
 * the loads stay within the floats the tiles read (up to src[m (u_end -
 * 1)]); returns where it stopped, for the caller to finish. */
__attribute__((target("avx2"))) static int64_t
strided_copy_avx2(const float *src, float *dst, int64_t u, int64_t u_end, int m)
{
    /* 8 tiles load 8 m floats, m - 1 past the last one read: stop a tile early */
    for (; u + 9 <= u_end; u += 8) {
        const float *p = src + m * u;
        /* 0x88 keeps lanes 0 and 2 of each source per 128-bit lane */
        if (m == 2) {
            const __m256 even = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0x88);
            _mm256_storeu_ps(dst + u, _mm256_castpd_ps(_mm256_permute4x64_pd(
                                          _mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0))));
            continue;
        }
        const __m256 e01 = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0x88);
        const __m256 e23 = _mm256_shuffle_ps(_mm256_loadu_ps(p + 16), _mm256_loadu_ps(p + 24), 0x88);
        /* floats 0 8 16 24 | 4 12 20 28 */
        const __m256 fourth = _mm256_shuffle_ps(e01, e23, 0x88);
        _mm256_storeu_ps(dst + u, _mm256_permutevar8x32_ps(
                                      fourth, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    }
    return u;
}

/* dst[m u + j] = y[j * y_stride + u] for whole groups of 8 tiles (u_end a
 * multiple of 8), in registers: without it each output element is a store
 * of its own, m floats from the last. */
__attribute__((target("avx2"))) static void
interleave_avx2(const float *y, int64_t y_stride, float *dst, int64_t u_end, int m)
{
    for (int64_t u = 0; u < u_end; u += 8) {
        float *p = dst + m * u;
        /* y_j holds value j of tiles u .. u + 7 */
        const __m256 y0 = _mm256_loadu_ps(y + u), y1 = _mm256_loadu_ps(y + y_stride + u);
        /* 128-bit lanes: tiles 0, 1 | 4, 5 (t0) and 2, 3 | 6, 7 (t1), m = 2 */
        const __m256 t0 = _mm256_unpacklo_ps(y0, y1), t1 = _mm256_unpackhi_ps(y0, y1);
        if (m == 2) {
            _mm256_storeu_ps(p, _mm256_permute2f128_ps(t0, t1, 0x20));
            _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(t0, t1, 0x31));
            continue;
        }
        const __m256 y2 = _mm256_loadu_ps(y + 2 * y_stride + u),
                     y3 = _mm256_loadu_ps(y + 3 * y_stride + u);
        const __m256 t2 = _mm256_unpacklo_ps(y2, y3), t3 = _mm256_unpackhi_ps(y2, y3);
        /* r_k, 128-bit lane L: the 4 values of tile 4L + k */
        const __m256 r0 = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(t0),
                                                              _mm256_castps_pd(t2)));
        const __m256 r1 = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(t0),
                                                              _mm256_castps_pd(t2)));
        const __m256 r2 = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(t1),
                                                              _mm256_castps_pd(t3)));
        const __m256 r3 = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(t1),
                                                              _mm256_castps_pd(t3)));
        _mm256_storeu_ps(p, _mm256_permute2f128_ps(r0, r1, 0x20));
        _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(r2, r3, 0x20));
        _mm256_storeu_ps(p + 16, _mm256_permute2f128_ps(r0, r1, 0x31));
        _mm256_storeu_ps(p + 24, _mm256_permute2f128_ps(r2, r3, 0x31));
    }
}

static void row_avx2(const float *src, float *dst, int64_t lo, int64_t hi, int64_t run, int m)
{
    for (int64_t u = 0; u < lo; u++)
        dst[u] = 0.0f;
    winograd_row_from(src, dst, strided_copy_avx2(src, dst, lo, hi, m), hi, run, m);
}

void winograd_gather_run__avx2(const struct conv_layer *l, const float *plane, int a, int m,
                               int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt)
{
    winograd_gather_run_with(l, plane, a, m, th, tw0, run, d, nt, row_avx2);
}

int64_t winograd_interleave__avx2(const float *y, int64_t y_stride, float *dst, int64_t inside,
                                  int m)
{
    const int64_t whole = inside / 8 * 8;
    interleave_avx2(y, y_stride, dst, whole, m);
    return whole;
}
#endif
