/* Winograd's tile gathers and scatters on AVX-512, 16 tiles at a time: a
 * run of tiles along a tile row is read with strided copies (two or four
 * loads and permutes per vector) and written back by interleaving the m
 * rows of a tile row in registers, the last vector partial. */
#include "winograd.h"

#if defined(__x86_64__)
#include "lanes-avx512.h"

/* dst[u] = src[m u] for u from u to u_end (m = 2 or 4), 16 at a time: two or
 * four loads and the lanes picked by permutes. The loads are masked to the
 * floats the tiles read, so nothing past src[m (u_end - 1)] is touched;
 * the last vector is a partial one (image rows of 56 or 28 have 14 or 7
 * tiles of 4). */
__attribute__((target("avx512f"), always_inline)) static inline void
strided_copy_avx512(const float *src, float *dst, int64_t u, int64_t u_end, int m)
{
    if (m == 2) {
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6,
                                              4, 2, 0);
        for (; u < u_end; u += 16) {
            const int64_t count = u_end - u, need = 2 * (count < 16 ? count : 16) - 1;
            const float *p = src + 2 * u;
            const __m512 lo = _mm512_maskz_loadu_ps(first_lanes(need), p),
                         hi = _mm512_maskz_loadu_ps(first_lanes(need - 16), p + 16);
            _mm512_mask_storeu_ps(dst + u, first_lanes(count),
                                  _mm512_permutex2var_ps(lo, even, hi));
        }
        return;
    }
    /* every fourth of 32 lanes into lanes 0-7; two of those make 16 */
    const __m512i fourth = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 28, 24, 20, 16, 12, 8, 4, 0);
    for (; u < u_end; u += 16) {
        const int64_t count = u_end - u, need = 4 * (count < 16 ? count : 16) - 3;
        const float *p = src + 4 * u;
        const __m512 lo = _mm512_permutex2var_ps(
            _mm512_maskz_loadu_ps(first_lanes(need), p), fourth,
            _mm512_maskz_loadu_ps(first_lanes(need - 16), p + 16));
        const __m512 hi = _mm512_permutex2var_ps(
            _mm512_maskz_loadu_ps(first_lanes(need - 32), p + 32), fourth,
            _mm512_maskz_loadu_ps(first_lanes(need - 48), p + 48));
        _mm512_mask_storeu_ps(dst + u, first_lanes(count),
                              _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(1, 0, 1, 0)));
    }
}

/* dst[u] = 0 for u from u to u_end. */
__attribute__((target("avx512f"), always_inline)) static inline void
zero_avx512(float *dst, int64_t u, int64_t u_end)
{
    for (; u < u_end; u += 16)
        _mm512_mask_storeu_ps(dst + u, first_lanes(u_end - u), _mm512_setzero_ps());
}

__attribute__((target("avx512f"))) static void
row_avx512(const float *src, float *dst, int64_t lo, int64_t hi, int64_t run, int m)
{
    zero_avx512(dst, 0, lo);
    strided_copy_avx512(src, dst, lo, hi, m);
    zero_avx512(dst, hi > lo ? hi : lo, run);
}

void winograd_gather_run__avx512(const struct conv_layer *l, const float *plane, int a, int m,
                                 int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt)
{
    winograd_gather_run_with(l, plane, a, m, th, tw0, run, d, nt, row_avx512);
}

/* The inverse for one output row: dst[m u + j] = y[j * y_stride + u] for
 * j < m (2 or 4) and u < u_end, 16 tiles (16 m floats) at a time, the last
 * vector partial, by interleaving the m rows of y in registers. */
__attribute__((target("avx512f"))) static void
interleave_avx512(const float *y, int64_t y_stride, float *dst, int64_t u_end, int m)
{
    if (m == 2) {
        for (int64_t u = 0; u < u_end; u += 16) {
            const __mmask16 in = first_lanes(u_end - u);
            const __m512 y0 = _mm512_maskz_loadu_ps(in, y + u),
                         y1 = _mm512_maskz_loadu_ps(in, y + y_stride + u);
            /* 128-bit lane L: tiles 4L, 4L + 1 (lo) and 4L + 2, 4L + 3 (hi) */
            const __m512 lo = _mm512_unpacklo_ps(y0, y1), hi = _mm512_unpackhi_ps(y0, y1);
            const __m512 s0 = _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(1, 0, 1, 0));
            const __m512 s1 = _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(3, 2, 3, 2));
            const int64_t floats = 2 * (u_end - u);
            float *p = dst + 2 * u;
            _mm512_mask_storeu_ps(p, first_lanes(floats),
                                  _mm512_shuffle_f32x4(s0, s0, _MM_SHUFFLE(3, 1, 2, 0)));
            _mm512_mask_storeu_ps(p + 16, first_lanes(floats - 16),
                                  _mm512_shuffle_f32x4(s1, s1, _MM_SHUFFLE(3, 1, 2, 0)));
        }
        return;
    }
    for (int64_t u = 0; u < u_end; u += 16) {
        const __mmask16 in = first_lanes(u_end - u);
        const __m512 y0 = _mm512_maskz_loadu_ps(in, y + u),
                     y1 = _mm512_maskz_loadu_ps(in, y + y_stride + u),
                     y2 = _mm512_maskz_loadu_ps(in, y + 2 * y_stride + u),
                     y3 = _mm512_maskz_loadu_ps(in, y + 3 * y_stride + u);
        const __m512 t0 = _mm512_unpacklo_ps(y0, y1), t1 = _mm512_unpackhi_ps(y0, y1),
                     t2 = _mm512_unpacklo_ps(y2, y3), t3 = _mm512_unpackhi_ps(y2, y3);
        /* r_k, 128-bit lane L: the 4 values of tile 4L + k */
        const __m512 r0 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0),
                                                              _mm512_castps_pd(t2)));
        const __m512 r1 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0),
                                                              _mm512_castps_pd(t2)));
        const __m512 r2 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1),
                                                              _mm512_castps_pd(t3)));
        const __m512 r3 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1),
                                                              _mm512_castps_pd(t3)));
        /* a 4 x 4 transpose of 128-bit lanes: vector q holds tiles 4q .. 4q + 3 */
        const __m512 s0 = _mm512_shuffle_f32x4(r0, r1, _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 s1 = _mm512_shuffle_f32x4(r0, r1, _MM_SHUFFLE(3, 2, 3, 2));
        const __m512 s2 = _mm512_shuffle_f32x4(r2, r3, _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 s3 = _mm512_shuffle_f32x4(r2, r3, _MM_SHUFFLE(3, 2, 3, 2));
        const int64_t floats = 4 * (u_end - u);
        float *p = dst + 4 * u;
        _mm512_mask_storeu_ps(p, first_lanes(floats),
                              _mm512_shuffle_f32x4(s0, s2, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm512_mask_storeu_ps(p + 16, first_lanes(floats - 16),
                              _mm512_shuffle_f32x4(s0, s2, _MM_SHUFFLE(3, 1, 3, 1)));
        _mm512_mask_storeu_ps(p + 32, first_lanes(floats - 32),
                              _mm512_shuffle_f32x4(s1, s3, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm512_mask_storeu_ps(p + 48, first_lanes(floats - 48),
                              _mm512_shuffle_f32x4(s1, s3, _MM_SHUFFLE(3, 1, 3, 1)));
    }
}

__attribute__((target("avx512f"))) int64_t
winograd_interleave__avx512(const float *y, int64_t y_stride, float *dst, int64_t inside, int m)
{
    interleave_avx512(y, y_stride, dst, inside, m);
    return inside;
}
#endif
