/* The depthwise kernel on AVX2: at strides 1 and 2 the rows a band reads
 * are first copied into a zero-padded band (split into even and odd columns
 * at stride 2), so that every tap is a plain load; other strides read in
 * place. */
#include <stdbool.h>
#include <string.h>

#include "planes.h"
#include "tensor.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* 8 input values for outputs ow0 .. ow0 + 7 at stride 1 or 2, 0 outside
 * the row; maskload does not touch masked-off lanes. */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256
load_taps8(const float *row, int64_t i0, int64_t W, int64_t S)
{
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    if (S == 1) {
        if (i0 >= 0 && i0 + 8 <= W)
            return _mm256_loadu_ps(row + i0);
        const __m256i index = _mm256_add_epi32(lanes, _mm256_set1_epi32((int)i0));
        const __m256i inside = _mm256_andnot_si256(
            _mm256_cmpgt_epi32(_mm256_setzero_si256(), index),
            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)W), index));
        return _mm256_maskload_ps(row + i0, inside);
    }
    const __m256i index = _mm256_add_epi32(_mm256_set1_epi32((int)i0),
                                           _mm256_mullo_epi32(lanes, _mm256_set1_epi32((int)S)));
    const __m256i inside =
        _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), index),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)W), index));
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), row, index, _mm256_castsi256_ps(inside),
                                    4);
}

__attribute__((target("avx2,fma"), always_inline)) static inline void
rows_avx2(const struct conv_layer *l, const float *x, const float *w, float bias, float *y,
          int64_t oh0, int64_t oh1, const int64_t KH, const int64_t KW, const int64_t S)
{
    const int64_t W = l->w_in, Q = l->w_out;
    const int64_t vectors = (Q + 7) / 8;
    for (int64_t oh = oh0; oh < oh1; oh++) {
        float *out = y + oh * Q;
        for (int64_t v0 = 0; v0 < vectors; v0 += DW_VECTORS) {
            const int64_t nv = vectors - v0 < DW_VECTORS ? vectors - v0 : DW_VECTORS;
            __m256 acc[DW_VECTORS];
#pragma GCC unroll 8
            for (int v = 0; v < DW_VECTORS; v++)
                acc[v] = _mm256_set1_ps(bias);
            for (int64_t kh = 0; kh < KH; kh++) {
                const int64_t ih = oh * l->stride_h - l->pad_h + kh * l->dilation_h;
                if (ih < 0 || ih >= l->h_in)
                    continue;
                const float *row = x + ih * W;
                for (int64_t kw = 0; kw < KW; kw++) {
                    const __m256 wv = _mm256_set1_ps(w[kh * KW + kw]);
                    const int64_t offset = kw * l->dilation_w - l->pad_w;
#pragma GCC unroll 8
                    for (int v = 0; v < DW_VECTORS; v++)
                        if (v < nv)
                            acc[v] = _mm256_fmadd_ps(
                                load_taps8(row, (v0 + v) * 8 * S + offset, W, S), wv, acc[v]);
                }
            }
#pragma GCC unroll 8
            for (int v = 0; v < DW_VECTORS; v++) {
                if (v < nv) {
                    const int64_t ow = (v0 + v) * 8;
                    if (ow + 8 <= Q) {
                        _mm256_storeu_ps(out + ow, acc[v]);
                    } else {
                        float lanes[8];
                        _mm256_storeu_ps(lanes, acc[v]);
                        for (int64_t j = 0; j < Q - ow; j++)
                            out[ow + j] = lanes[j];
                    }
                }
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static void
rows_generic_avx2(const struct conv_layer *l, const float *x, const float *w, float bias,
                  float *y, int64_t oh0, int64_t oh1)
{
    const int64_t K = l->kernel_h == l->kernel_w ? l->kernel_h : 0, S = l->stride_w;
    if (K == 3 && S == 1)
        rows_avx2(l, x, w, bias, y, oh0, oh1, 3, 3, 1);
    else if (K == 3 && S == 2)
        rows_avx2(l, x, w, bias, y, oh0, oh1, 3, 3, 2);
    else if (K == 5 && S == 1)
        rows_avx2(l, x, w, bias, y, oh0, oh1, 5, 5, 1);
    else
        rows_avx2(l, x, w, bias, y, oh0, oh1, l->kernel_h, l->kernel_w, S);
}

/* At stride 1 and 2 the AVX2 kernel first copies the input rows a band
 * reads into a buffer, with the padding as zeros and, at stride 2, each row
 * split into its even and odd columns, so that every tap of every output
 * vector is one plain load. Reading the input in place would take a mask
 * built in vectors per tap at each edge and a gather per tap at stride 2. */
struct padded_band {
    float *data;
    int64_t first;   /* the input row of data's row 0 (negative in the padding) */
    int64_t rows;
    int64_t pitch;   /* floats the taps read per row; at stride 2 per half (even, odd) */
    int64_t span;    /* floats per row: at least pitch (2 pitch at stride 2) and the
                      * padded row as written */
};

static struct padded_band padded_band_for(const struct conv_layer *l, int64_t oh0, int64_t oh1)
{
    const int64_t S = l->stride_w, vectors = (l->w_out + 7) / 8;
    const int64_t reach = (l->kernel_w - 1) * l->dilation_w;
    /* the taps of the 8 vectors' lanes read up to 8 vectors + reach (at
     * stride 2 in each half: 8 vectors + reach / 2, rounding up); at stride
     * 1 a row is written in whole vectors, past its W columns */
    const int64_t pitch = S == 2 ? (8 * vectors + (reach + 1) / 2 + 7) / 8 * 8
                                 : (8 * vectors + reach + 7) / 8 * 8;
    const int64_t written = l->pad_w + (l->w_in + 7) / 8 * 8;
    int64_t span = S == 2 ? 2 * pitch : pitch;
    if (span < written)
        span = (written + 7) / 8 * 8;
    struct padded_band b = {NULL, oh0 * l->stride_h - l->pad_h,
                            (oh1 - 1 - oh0) * l->stride_h + (l->kernel_h - 1) * l->dilation_h + 1,
                            pitch, span};
    return b;
}

/* Input plane x into the band: row r is input row first + r, column c of
 * it (padded: c - pad_w of the input) at c, or at stride 2 at c / 2 of the
 * even or odd half. The band starts out zero, and only vectors that hold
 * columns of the image are written: the padding, and the rows outside the
 * image, stay zero from plane to plane. */
__attribute__((target("avx2,fma"))) static void
pad_band_avx2(const struct conv_layer *l, const float *x, const struct padded_band *b)
{
    const int64_t W = l->w_in, P = l->pad_w, S = l->stride_w;
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(W % 8)), lanes);
    const int64_t r0 = b->first < 0 ? -b->first : 0;
    const int64_t r1 = l->h_in - b->first < b->rows ? l->h_in - b->first : b->rows;
    for (int64_t r = r0; r < r1; r++) {
        float *dst = b->data + r * b->span;
        const float *src = x + (b->first + r) * W;
        if (S == 1) {
            /* whole vectors: the masked tail writes zeros past W */
            int64_t j = 0;
            for (; j + 8 <= W; j += 8)
                _mm256_storeu_ps(dst + P + j, _mm256_loadu_ps(src + j));
            if (j < W)
                _mm256_storeu_ps(dst + P + j, _mm256_maskload_ps(src + j, tail));
            continue;
        }
        /* stride 2: padded columns 2k .. 2k + 16 (input columns c .. c + 16)
         * make 8 even ones at dst[k] and 8 odd ones at dst[pitch + k]; the
         * vectors that reach past an edge are loaded under a mask */
        for (int64_t k = 0; k < b->pitch && 2 * k - P < W; k += 8) {
            const int64_t c = 2 * k - P;
            __m256 v[2];
            for (int h = 0; h < 2; h++) {
                const int64_t from = c + 8 * h;
                if (from >= 0 && from + 8 <= W) {
                    v[h] = _mm256_loadu_ps(src + from);
                } else {
                    const __m256i column = _mm256_add_epi32(_mm256_set1_epi32((int)from), lanes);
                    const __m256i inside = _mm256_andnot_si256(
                        _mm256_cmpgt_epi32(_mm256_setzero_si256(), column),
                        _mm256_cmpgt_epi32(_mm256_set1_epi32((int)W), column));
                    v[h] = _mm256_maskload_ps(src + from, inside);
                }
            }
            const __m256 even = _mm256_shuffle_ps(v[0], v[1], 0x88),
                         odd = _mm256_shuffle_ps(v[0], v[1], 0xdd);
            _mm256_storeu_ps(dst + k, _mm256_castpd_ps(_mm256_permute4x64_pd(
                                          _mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0))));
            _mm256_storeu_ps(dst + b->pitch + k,
                             _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(odd),
                                                                    _MM_SHUFFLE(3, 1, 2, 0))));
        }
    }
}

/* NV output vectors of one row (columns ow .. ow + 8 NV, the last vector
 * cut at Q) from the band rows from `row` on; NV, KH, KW and S constants in
 * each instance. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
vectors_padded_avx2(const struct conv_layer *l, const struct padded_band *b, const float *row,
                    const float *w, float bias, float *out, int64_t ow, bool spill,
                    const int NV, const int64_t KH, const int64_t KW, const int64_t S)
{
    const int64_t Q = l->w_out;
    /* a last vector that would reach past Q ends at Q instead, overlapping
     * the one before it; a row narrower than a vector is stored whole when
     * spill says that what it overwrites past Q is written later by this
     * same call, else lane by lane */
    int64_t at[DW_VECTORS];
    for (int v = 0; v < NV; v++)
        at[v] = 8 * v;
    const bool cut = ow + 8 * NV > Q;
    if (cut && Q >= 8)
        at[NV - 1] = Q - 8 - ow;
    __m256 acc[DW_VECTORS];
    for (int v = 0; v < NV; v++)
        acc[v] = _mm256_set1_ps(bias);
    for (int64_t kh = 0; kh < KH; kh++) {
        const float *r = row + kh * l->dilation_h * b->span;
        for (int64_t kw = 0; kw < KW; kw++) {
            const __m256 wv = _mm256_set1_ps(w[kh * KW + kw]);
            const int64_t c = kw * l->dilation_w;
            /* stride 2: column 2 ow + c is in the half of c's parity */
            const float *from = S == 1 ? r + c : r + (c & 1) * b->pitch + (c >> 1);
            for (int v = 0; v < NV; v++)
                acc[v] = _mm256_fmadd_ps(_mm256_loadu_ps(from + at[v]), wv, acc[v]);
        }
    }
    if (!cut || Q >= 8 || spill) {
        for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(out + ow + at[v], acc[v]);
        return;
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, acc[0]);
    for (int64_t j = 0; j < Q; j++)
        out[j] = lanes[j];
}

/* Output rows oh0 .. oh1 of a plane from its padded band. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
rows_padded_avx2(const struct conv_layer *l, const struct padded_band *b, const float *w,
                 float bias, float *y, int64_t oh0, int64_t oh1, bool last_plane,
                 const int64_t KH, const int64_t KW, const int64_t S)
{
    const int64_t Q = l->w_out, vectors = (Q + 7) / 8;
    for (int64_t oh = oh0; oh < oh1; oh++) {
        float *out = y + oh * Q;
        /* a whole vector stored at the row writes 8 - Q floats past it:
         * the band's next rows, or the next plane's when this call does
         * whole planes, written later by this call */
        const int64_t later = (oh1 - 1 - oh) * Q +
                              (!last_plane && oh0 == 0 && oh1 == l->h_out ? l->h_out * Q : 0);
        const bool spill = later >= 8 - Q;
        const float *band = b->data + (oh * l->stride_h - l->pad_h - b->first) * b->span;
        for (int64_t v0 = 0; v0 < vectors; v0 += DW_VECTORS) {
            const float *row = band + 8 * v0;
            switch (vectors - v0 < DW_VECTORS ? vectors - v0 : DW_VECTORS) {
#define DW_AVX2_CASE(NV)                                                                   \
    case NV: vectors_padded_avx2(l, b, row, w, bias, out, 8 * v0, spill, NV, KH, KW, S); break;
            DW_AVX2_CASE(1) DW_AVX2_CASE(2) DW_AVX2_CASE(3) DW_AVX2_CASE(4)
            DW_AVX2_CASE(5) DW_AVX2_CASE(6) DW_AVX2_CASE(7) DW_AVX2_CASE(8)
#undef DW_AVX2_CASE
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static void
depthwise_planes_avx2(const struct conv_layer *l, const float *in, const float *weights,
                      const float *bias, float *out, int64_t p0, int64_t p1, int64_t oh0,
                      int64_t oh1, const struct depthwise_work *work)
{
    const int64_t S = l->stride_w;
    if (S != 1 && S != 2) {
        /* other strides: taps read in place */
        for_each_plane(l, in, weights, bias, out, p0, p1, oh0, oh1, rows_generic_avx2);
        return;
    }
    /* the band's padding must read as zeros; its rows are copied per plane */
    struct padded_band b = padded_band_for(l, oh0, oh1);
    tensor_fill(work->band, (size_t)(b.rows * b.span), 0.0f);
    b.data = work->band;
    const int64_t taps = l->kernel_h * l->kernel_w;
    const bool k3 = l->kernel_h == 3 && l->kernel_w == 3;
    struct plane_walk walk = plane_walk_at(l, p0);
    for (int64_t plane = p0; plane < p1; plane++, plane_walk_next(l, &walk)) {
        pad_band_avx2(l, plane_walk_input(l, in, walk), &b);
        const float *w = weights + walk.co * taps;
        const float bv = bias ? bias[walk.co] : 0.0f;
        float *y = out + plane * l->h_out * l->w_out;
        const bool last = plane + 1 == p1;
        if (k3 && S == 1)
            rows_padded_avx2(l, &b, w, bv, y, oh0, oh1, last, 3, 3, 1);
        else if (k3)
            rows_padded_avx2(l, &b, w, bv, y, oh0, oh1, last, 3, 3, 2);
        else
            rows_padded_avx2(l, &b, w, bv, y, oh0, oh1, last, l->kernel_h, l->kernel_w, S);
    }
}

/* The band of all the output rows, the largest, at strides 1 and 2. */
static size_t band_floats_avx2(const struct conv_layer *l)
{
    if (l->stride_w != 1 && l->stride_w != 2)
        return 0;
    const struct padded_band b = padded_band_for(l, 0, l->h_out);
    return (size_t)(b.rows * b.span);
}

const struct depthwise_kernel depthwise_kernel__avx2 = {"avx2", CPU_ISA_AVX2_FMA,
                                                        depthwise_planes_avx2, band_floats_avx2};
#endif
