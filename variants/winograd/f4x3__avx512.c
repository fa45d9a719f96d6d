/* F(4x4,3x3) on AVX-512: B^T and A^T factored, and fused with the tile
 * gather, the scatter and small_k's M so that no tile passes through a
 * buffer. Along a run of tiles on one tile row, lane u of a row's window
 * (c0 + 4 u + j) is its tile's column j: rows are loaded once as five
 * vectors and split into the four phases of 4 by permutes. */
#include "winograd.h"

#if defined(__x86_64__)
#include "lanes-avx512.h"

/* B^T and A^T of F(4x4,3x3) factored into shared sums and differences with
 * FMAs (the generic transforms multiply and add every nonzero coefficient
 * on their own, and ISO C does not let the compiler fuse them): 14
 * operations per B^T x and 10 per A^T x, against 22 and 18 coefficients. */
__attribute__((target("avx512f"), always_inline)) static inline void
bt_4x3_avx512(const __m512 x[6], __m512 y[6])
{
    const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f),
                 two = _mm512_set1_ps(2.0f);
    const __m512 d31 = _mm512_sub_ps(x[3], x[1]), d42 = _mm512_sub_ps(x[4], x[2]);
    y[0] = _mm512_fmadd_ps(four, x[0], _mm512_fnmadd_ps(five, x[2], x[4]));
    y[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(x[1], x[2]), _mm512_add_ps(x[3], x[4]));
    y[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(x[1], x[2]), _mm512_sub_ps(x[4], x[3]));
    y[3] = _mm512_fmadd_ps(two, d31, d42);
    y[4] = _mm512_fnmadd_ps(two, d31, d42);
    y[5] = _mm512_fmadd_ps(four, x[1], _mm512_fnmadd_ps(five, x[3], x[5]));
}

__attribute__((target("avx512f"), always_inline)) static inline void
at_4x3_avx512(const __m512 x[6], __m512 y[4])
{
    const __m512 a = _mm512_add_ps(x[1], x[2]), b = _mm512_sub_ps(x[1], x[2]),
                 c = _mm512_add_ps(x[3], x[4]), e = _mm512_sub_ps(x[3], x[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(x[0], a), c);
    y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), e, b);
    y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a);
    y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), e, b), x[5]);
}

/* Y = T X T' for a 6 x 6 tile X (x[k][j], 16 tiles per vector), T = B^T
 * (forward: Y is 6 x 6, y[i * 6 + j]) or A^T (Y is 4 x 4, y[i * 4 + j]). */
__attribute__((target("avx512f"), always_inline)) static inline void
transform_4x3_avx512(__m512 x[6][6], bool forward, __m512 *y)
{
    const int r = forward ? 6 : 4;
    __m512 tmp[6][6]; /* tmp[i][j] = (T X)[i][j] */
    for (int j = 0; j < 6; j++) {
        __m512 col[6], t[6];
        for (int k = 0; k < 6; k++)
            col[k] = x[k][j];
        if (forward)
            bt_4x3_avx512(col, t);
        else
            at_4x3_avx512(col, t);
        for (int i = 0; i < r; i++)
            tmp[i][j] = t[i];
    }
    for (int i = 0; i < r; i++) {
        __m512 row[6];
        if (forward)
            bt_4x3_avx512(tmp[i], row);
        else
            at_4x3_avx512(tmp[i], row);
        for (int j = 0; j < r; j++)
            y[i * r + j] = row[j];
    }
}

/* x[k][j] = the 16 lanes at src + (6 k + j) stride. */
__attribute__((target("avx512f"), always_inline)) static inline void
load_6x6_avx512(const float *src, int64_t stride, __m512 x[6][6])
{
    for (int k = 0; k < 6; k++)
        for (int j = 0; j < 6; j++)
            x[k][j] = _mm512_loadu_ps(src + (k * 6 + j) * stride);
}

/* The input transform alone, for small_k's blocks (the output transform is
 * in the fused kernels below). */
__attribute__((target("avx512f"))) void
winograd_input_transform_4x3__avx512(int alpha, const float *restrict d, float *restrict out,
                                     int64_t out_stride, int64_t n, int64_t stride)
{
    (void)alpha;
    for (int64_t x0 = 0; x0 < n; x0 += WINO_LANES) {
        __m512 x[6][6], y[36];
        load_6x6_avx512(d + x0, stride, x);
        transform_4x3_avx512(x, true, y);
        for (int xi = 0; xi < 36; xi++)
            _mm512_storeu_ps(out + xi * out_stride + x0, y[xi]);
    }
}

/* The gather and the input transform in one: V for tiles t0 .. t0 + n of
 * one plane, written as input_transform writes it (v + xi * v_stride +
 * tile), 16 tiles at a time and never through a buffer (d is not used). Along a run of tiles on one tile row, lane u of a row's window
 * (c0 + 4 u + j, j < 6) is its tile's column j: each input row is loaded
 * once as five vectors, split into the four phases of 4 by two rounds of
 * permutes, and columns 4 and 5 are phases 0 and 1 a lane on. The row is
 * transformed at once (X B), then each column (B^T (X B)). A group of 16
 * that spans tile rows takes each run under its lanes' mask; lanes past n
 * are zero. */
__attribute__((target("avx512f"))) void
winograd_gather_transform_4x3__avx512(const struct winograd_state *s, const float *plane,
                                      int64_t t0, int64_t n, float *out, int64_t out_stride,
                                      float *d, int64_t nt)
{
    (void)d, (void)nt;
    const struct conv_layer *l = &s->layer;
    const int64_t W = l->w_in, H = l->h_in, tiles_w = s->tiles_w;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4,
                                          2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5,
                                         3, 1);
    const __m512i next0 = _mm512_set_epi32(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                                           1);
    const __m512i next1 = _mm512_set_epi32(17, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                                           1);
    for (int64_t x0 = 0; x0 < n; x0 += 16) {
        const int64_t lanes = n - x0 < 16 ? n - x0 : 16;
        __m512 r[6][6]; /* r[i][j] = (X B)[i][j] */
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                r[i][j] = _mm512_setzero_ps();
        for (int64_t k = 0, tile = t0 + x0; k < lanes;) {
            const int64_t th = tile / tiles_w, tw = tile % tiles_w;
            const int64_t run = lanes - k < tiles_w - tw ? lanes - k : tiles_w - tw;
            /* window element e is column c0 + e; lanes k .. k + run read
             * e from 4 k to 4 (k + run) + 1, those inside the image */
            const int64_t c0 = (tw - k) * 4 - l->pad_w;
            int64_t e_lo = 4 * k, e_hi = 4 * (k + run) + 2;
            if (e_lo < -c0)
                e_lo = -c0;
            if (e_hi > W - c0)
                e_hi = W - c0;
            __mmask16 load[5];
            for (int v = 0; v < 5; v++)
                load[v] = lane_range(e_lo - 16 * v, e_hi - 16 * v);
            const __mmask16 keep = lane_range(k, k + run);
            for (int i = 0; i < 6; i++) {
                const int64_t ih = th * 4 - l->pad_h + i;
                if (ih < 0 || ih >= H)
                    continue;
                const float *row = plane + ih * W + c0;
                __m512 v[5];
                for (int q = 0; q < 5; q++)
                    v[q] = _mm512_maskz_loadu_ps(load[q], row + 16 * q);
                const __m512 a0 = _mm512_permutex2var_ps(v[0], even, v[1]),
                             a1 = _mm512_permutex2var_ps(v[0], odd, v[1]),
                             a2 = _mm512_permutex2var_ps(v[2], even, v[3]),
                             a3 = _mm512_permutex2var_ps(v[2], odd, v[3]);
                __m512 p[6], t[6];
                p[0] = _mm512_permutex2var_ps(a0, even, a2);
                p[1] = _mm512_permutex2var_ps(a1, even, a3);
                p[2] = _mm512_permutex2var_ps(a0, odd, a2);
                p[3] = _mm512_permutex2var_ps(a1, odd, a3);
                p[4] = _mm512_permutex2var_ps(p[0], next0, v[4]);
                p[5] = _mm512_permutex2var_ps(p[1], next1, v[4]);
                bt_4x3_avx512(p, t);
                for (int j = 0; j < 6; j++)
                    r[i][j] = _mm512_mask_mov_ps(r[i][j], keep, t[j]);
            }
            k += run;
            tile += run;
        }
        for (int j = 0; j < 6; j++) {
            __m512 col[6], y[6];
            for (int i = 0; i < 6; i++)
                col[i] = r[i][j];
            bt_4x3_avx512(col, y);
            for (int i = 0; i < 6; i++)
                _mm512_storeu_ps(out + (i * 6 + j) * out_stride + x0, y[i]);
        }
    }
}

/* The output transform and the scatter in one: Y = A^T M A (+ bias) for
 * tiles t0 .. t0 + n of one output plane, M read as output_transform reads
 * it (mt + xi * mt_stride + tile), 16 tiles at a time and never through a
 * buffer (y is not used). Each output row of a run of tiles is the four
 * columns of Y interleaved by two rounds of permutes, stored under a mask
 * that keeps the run's lanes and the image's columns (the inverse of the
 * gather's window). */
__attribute__((target("avx512f"))) void
winograd_transform_scatter_4x3__avx512(const struct winograd_state *s, const float *mt,
                                       int64_t mt_stride, int64_t t0, int64_t n, float bias,
                                       float *plane, float *y_scratch, int64_t nt)
{
    (void)y_scratch, (void)nt;
    const struct conv_layer *l = &s->layer;
    const int64_t Q = l->w_out, P = l->h_out, tiles_w = s->tiles_w;
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                        24, 8);
    const __m512 b = _mm512_set1_ps(bias);
    for (int64_t x0 = 0; x0 < n; x0 += 16) {
        const int64_t lanes = n - x0 < 16 ? n - x0 : 16;
        __m512 x[6][6], y[16];
        load_6x6_avx512(mt + x0, mt_stride, x);
        transform_4x3_avx512(x, false, y);
        for (int e = 0; e < 16; e++)
            y[e] = _mm512_add_ps(y[e], b);
        for (int64_t k = 0, tile = t0 + x0; k < lanes;) {
            const int64_t th = tile / tiles_w, tw = tile % tiles_w;
            const int64_t run = lanes - k < tiles_w - tw ? lanes - k : tiles_w - tw;
            /* window element e = 4 u + j is column c0 + e of lane u's tile */
            const int64_t c0 = (tw - k) * 4;
            const int64_t e_lo = 4 * k, e_hi = 4 * (k + run) < Q - c0 ? 4 * (k + run) : Q - c0;
            __mmask16 store[4];
            for (int q = 0; q < 4; q++)
                store[q] = lane_range(e_lo - 16 * q, e_hi - 16 * q);
            for (int i = 0; i < 4 && th * 4 + i < P; i++) {
                const __m512 *yi = y + 4 * i;
                /* (j = 0, 2) and (1, 3) pairs, then the pairs together */
                const __m512 b0 = _mm512_permutex2var_ps(yi[0], lo, yi[2]),
                             b1 = _mm512_permutex2var_ps(yi[0], hi, yi[2]),
                             b2 = _mm512_permutex2var_ps(yi[1], lo, yi[3]),
                             b3 = _mm512_permutex2var_ps(yi[1], hi, yi[3]);
                float *row = plane + (th * 4 + i) * Q + c0;
                _mm512_mask_storeu_ps(row, store[0], _mm512_permutex2var_ps(b0, lo, b2));
                _mm512_mask_storeu_ps(row + 16, store[1], _mm512_permutex2var_ps(b0, hi, b2));
                _mm512_mask_storeu_ps(row + 32, store[2], _mm512_permutex2var_ps(b1, lo, b3));
                _mm512_mask_storeu_ps(row + 48, store[3], _mm512_permutex2var_ps(b1, hi, b3));
            }
            k += run;
            tile += run;
        }
    }
}

/* small_k's M and the output transform in one: each element of M is formed
 * from V where the transform loads it, so M is never stored; y as
 * output_transform writes it, for all WINO_SMALL_K_TILES tiles of the
 * block. */
__attribute__((target("avx512f"), always_inline)) static inline void
small_k_output_4x3_c(const float *restrict u_co, const float *restrict V, const int c_in,
                     float *restrict y_out, float bias)
{
    enum { BLOCK = WINO_SMALL_K_TILES };
    const __m512 b = _mm512_set1_ps(bias);
    for (int x0 = 0; x0 < BLOCK; x0 += 16) {
        __m512 x[6][6], y[16];
        for (int xi = 0; xi < 36; xi++) {
            const float *v = V + xi * c_in * BLOCK + x0;
            __m512 acc = _mm512_mul_ps(_mm512_set1_ps(u_co[xi * c_in]), _mm512_loadu_ps(v));
            for (int ci = 1; ci < c_in; ci++)
                acc = _mm512_fmadd_ps(_mm512_set1_ps(u_co[xi * c_in + ci]),
                                      _mm512_loadu_ps(v + ci * BLOCK), acc);
            x[xi / 6][xi % 6] = acc;
        }
        transform_4x3_avx512(x, false, y);
        for (int e = 0; e < 16; e++)
            _mm512_storeu_ps(y_out + e * BLOCK + x0, _mm512_add_ps(y[e], b));
    }
}

__attribute__((target("avx512f"))) void
winograd_small_k_output_4x3__avx512(const struct winograd_state *s, const float *u_co,
                                    const float *V, float *mt, float *y, int64_t n, float bias)
{
    (void)mt, (void)n;
    switch (s->c_in) {
    case 1: small_k_output_4x3_c(u_co, V, 1, y, bias); break;
    case 2: small_k_output_4x3_c(u_co, V, 2, y, bias); break;
    case 3: small_k_output_4x3_c(u_co, V, 3, y, bias); break;
    default: small_k_output_4x3_c(u_co, V, WINO_SMALL_K, y, bias); break;
    }
}
#endif
