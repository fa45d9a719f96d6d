/* depthwise: a depthwise convolution that is bound by memory traffic, not by
 * loop overhead. A depthwise 3x3 does 9 MACs per output element, so what
 * matters is touching each byte once and keeping the vector units fed:
 *
 *   - vectors run along the output width; each output row is accumulated in
 *     registers (up to 8 vectors at a time) from its Kh input rows, which are
 *     in L1 while the row is computed;
 *   - borders cost no per-element branch: an input row outside the image is
 *     skipped as a whole, and a vector reaching past the left or right edge
 *     is loaded with a lane mask that reads zeros for the padding (AVX-512
 *     masked loads do not touch masked-off lanes); on AVX2, where a mask is
 *     built in vectors, the rows a band reads are first copied into a
 *     zero-padded buffer instead, and every tap is a plain load;
 *   - stride 2 loads two vectors and keeps the even lanes (AVX2: the copied
 *     rows are split into even and odd columns); other strides gather;
 *     dilation only moves the offsets;
 *   - 3x3 and 5x5 are compiled with their sizes as constants (unrolled tap
 *     loops), other kernel sizes take the generic loop;
 *   - dense 3x3 (the MobileNet case) computes blocks of output rows from
 *     input rows loaded once for the whole block, and puts two output rows
 *     in one vector when a plane is at most 8 wide;
 *   - AVX-512, AVX2 and portable C kernels, chosen at start-up;
 *   - OpenMP over batch x channels, and over bands of rows as well when there
 *     are too few planes to keep every thread busy. */
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>

#include "depthwise.h"
#include "tensor.h"
#include "variant.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* ---- portable C --------------------------------------------------------- */

static void depthwise_rows_c(const struct conv_layer *l, const float *x, const float *w,
                             float bias, float *y, int64_t oh0, int64_t oh1)
{
    const int64_t W = l->w_in, Q = l->w_out;
    for (int64_t oh = oh0; oh < oh1; oh++) {
        float *out = y + oh * Q;
        for (int64_t ow = 0; ow < Q; ow++)
            out[ow] = bias;
        for (int64_t kh = 0; kh < l->kernel_h; kh++) {
            const int64_t ih = oh * l->stride_h - l->pad_h + kh * l->dilation_h;
            if (ih < 0 || ih >= l->h_in)
                continue;
            const float *row = x + ih * W;
            for (int64_t kw = 0; kw < l->kernel_w; kw++) {
                const float wv = w[kh * l->kernel_w + kw];
                const int64_t offset = kw * l->dilation_w - l->pad_w;
                /* outputs whose input column is inside the row */
                int64_t lo, hi;
                layer_inside_range(offset, l->stride_w, W, Q, &lo, &hi);
                for (int64_t ow = lo; ow < hi; ow++)
                    out[ow] += wv * row[ow * l->stride_w + offset];
            }
        }
    }
}

/* The planes of a run in order: batch index and output channel advance
 * without a division per plane. */
struct plane_walk {
    int64_t n, co;
};

static inline struct plane_walk plane_walk_at(const struct conv_layer *l, int64_t plane)
{
    return (struct plane_walk){plane / l->c_out, plane % l->c_out};
}

static inline void plane_walk_next(const struct conv_layer *l, struct plane_walk *p)
{
    if (++p->co == l->c_out) {
        p->co = 0;
        p->n++;
    }
}

/* the input plane that output plane p reads */
static inline const float *plane_walk_input(const struct conv_layer *l, const float *in,
                                            struct plane_walk p)
{
    const int64_t ci = l->c_out == l->c_in ? p.co : p.co / (l->c_out / l->c_in);
    return in + (p.n * l->c_in + ci) * l->h_in * l->w_in;
}

/* Planes p0 .. p1 (batch x output channel) through a row kernel. */
static inline void for_each_plane(const struct conv_layer *l, const float *in,
                                  const float *weights, const float *bias, float *out,
                                  int64_t p0, int64_t p1, int64_t oh0, int64_t oh1,
                                  void (*rows)(const struct conv_layer *, const float *,
                                               const float *, float, float *, int64_t, int64_t))
{
    const int64_t taps = l->kernel_h * l->kernel_w;
    struct plane_walk walk = plane_walk_at(l, p0);
    for (int64_t plane = p0; plane < p1; plane++, plane_walk_next(l, &walk))
        rows(l, plane_walk_input(l, in, walk), weights + walk.co * taps,
             bias ? bias[walk.co] : 0.0f, out + plane * l->h_out * l->w_out, oh0, oh1);
}

static void depthwise_planes_c(const struct conv_layer *l, const float *in,
                               const float *weights, const float *bias, float *out, int64_t p0,
                               int64_t p1, int64_t oh0, int64_t oh1,
                               const struct depthwise_work *work)
{
    (void)work;
    for_each_plane(l, in, weights, bias, out, p0, p1, oh0, oh1, depthwise_rows_c);
}

#if defined(__x86_64__)

/* ---- AVX-512 ------------------------------------------------------------ */

/* Lanes j of a 16-lane window starting at input column i0 (stride 1) that
 * fall inside [0, W). */
__attribute__((target("avx512f"), always_inline)) static inline __mmask16
window_mask16(int64_t i0, int64_t W)
{
    int64_t lo = i0 < 0 ? -i0 : 0, hi = W - i0;
    if (hi > 16)
        hi = 16;
    if (hi <= lo)
        return 0;
    return (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

/* Permute indices that pick every other lane of a 32-lane pair of vectors,
 * starting at lane `first` (0: the even columns, 1: the odd ones). */
__attribute__((target("avx512f"), always_inline)) static inline __m512i
every_other_lane(int first)
{
    return _mm512_add_epi32(_mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6,
                                             4, 2, 0),
                            _mm512_set1_epi32(first));
}

/* 16 input values for outputs ow0 .. ow0 + 15: row[i0 + j * S], 0 outside
 * the row. */
__attribute__((target("avx512f"), always_inline)) static inline __m512
load_taps16(const float *row, int64_t i0, int64_t W, int64_t S)
{
    if (S == 1) {
        if (i0 >= 0 && i0 + 16 <= W)
            return _mm512_loadu_ps(row + i0);
        return _mm512_maskz_loadu_ps(window_mask16(i0, W), row + i0);
    }
    if (S == 2) {
        const __m512i even = every_other_lane(0);
        __m512 a, b;
        if (i0 >= 0 && i0 + 32 <= W) {
            a = _mm512_loadu_ps(row + i0);
            b = _mm512_loadu_ps(row + i0 + 16);
        } else {
            a = _mm512_maskz_loadu_ps(window_mask16(i0, W), row + i0);
            b = _mm512_maskz_loadu_ps(window_mask16(i0 + 16, W), row + i0 + 16);
        }
        return _mm512_permutex2var_ps(a, even, b);
    }
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i index = _mm512_add_epi32(_mm512_set1_epi32((int)i0),
                                           _mm512_mullo_epi32(lanes, _mm512_set1_epi32((int)S)));
    const __mmask16 inside =
        _mm512_cmpge_epi32_mask(index, _mm512_setzero_si512()) &
        _mm512_cmplt_epi32_mask(index, _mm512_set1_epi32((int)W));
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, index, row, 4);
}

/* Lanes n .. n + 15 of the 32 lanes lo:hi (lo first): a vector shifted by
 * n lanes, filled from its neighbour. */
__attribute__((target("avx512f"), always_inline)) static inline __m512
shift_in(__m512 hi, __m512 lo, const int n)
{
    return _mm512_castsi512_ps(
        _mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), n));
}

#define DW_VECTORS 8 /* output vectors kept in registers per pass */
#define DW_ROWS_MAX 8 /* output rows per block in the 3x3 path */
#define DW_MAX_MASKS 1024 /* Kw x vectors: precomputed load masks per call */

/* Loads for strides 1 and 2 use lane masks that depend only on the kernel
 * column and the vector, not on the row: they are computed once per call
 * (mask[kw * vectors + v]; stride 2 needs a second for the upper half).
 * NV > 0 compiles the row for exactly NV vectors (no per-vector test; the
 * masks can live in mask registers); NV = 0 walks any width in passes of
 * DW_VECTORS. */
__attribute__((target("avx512f"), always_inline)) static inline void
rows_avx512(const struct conv_layer *l, const float *x, const float *w, float bias, float *y,
            int64_t oh0, int64_t oh1, const int64_t KH, const int64_t KW, const int64_t S,
            const int NV)
{
    const int64_t W = l->w_in, Q = l->w_out, Dh = l->dilation_h, Dw = l->dilation_w;
    const int64_t vectors = NV ? NV : (Q + 15) / 16;
    const bool masked = (S == 1 || S == 2) && KW * vectors <= DW_MAX_MASKS;
    __mmask16 low[masked ? KW * vectors : 1], high[masked ? KW * vectors : 1];
    if (masked)
        for (int64_t kw = 0; kw < KW; kw++)
            for (int64_t v = 0; v < vectors; v++) {
                const int64_t i0 = v * 16 * S + kw * Dw - l->pad_w;
                low[kw * vectors + v] = window_mask16(i0, W);
                high[kw * vectors + v] = window_mask16(i0 + 16, W);
            }
    const __mmask16 last = (__mmask16)((1u << (Q - (vectors - 1) * 16)) - 1);
    const __m512i even = every_other_lane(0);

    /* narrow rows: several output rows at once, so that the FMA chains of
     * the accumulators are independent (one 3x3 row alone is 9 dependent
     * FMAs, latency-bound) */
    const int ROWS = NV > 0 && NV < DW_VECTORS ? DW_VECTORS / NV : 1;
    for (int64_t oh = oh0; oh < oh1; oh += ROWS) {
        const int rows = oh1 - oh < ROWS ? (int)(oh1 - oh) : ROWS;
        for (int64_t v0 = 0; v0 < vectors; v0 += DW_VECTORS) {
            const int64_t nv = NV ? NV : vectors - v0 < DW_VECTORS ? vectors - v0 : DW_VECTORS;
            __m512 acc[DW_VECTORS];
#pragma GCC unroll 8
            for (int v = 0; v < DW_VECTORS; v++)
                acc[v] = _mm512_set1_ps(bias);
#pragma GCC unroll 8
            for (int r = 0; r < ROWS; r++) {
                if (r >= rows)
                    break;
                __m512 *racc = acc + r * nv;
                for (int64_t kh = 0; kh < KH; kh++) {
                    const int64_t ih = (oh + r) * l->stride_h - l->pad_h + kh * Dh;
                    if (ih < 0 || ih >= l->h_in)
                        continue; /* the whole row is padding */
                    const float *row = x + ih * W;
                    for (int64_t kw = 0; kw < KW; kw++) {
                        const __m512 wv = _mm512_set1_ps(w[kh * KW + kw]);
                        const int64_t offset = kw * Dw - l->pad_w;
                        const __mmask16 *lo = low + kw * vectors + v0,
                                        *hi = high + kw * vectors + v0;
#pragma GCC unroll 8
                        for (int v = 0; v < DW_VECTORS; v++) {
                            if (v >= nv)
                                break;
                            const int64_t i0 = (v0 + v) * 16 * S + offset;
                            __m512 taps;
                            if (masked && S == 1)
                                taps = _mm512_maskz_loadu_ps(lo[v], row + i0);
                            else if (masked && S == 2)
                                taps = _mm512_permutex2var_ps(
                                    _mm512_maskz_loadu_ps(lo[v], row + i0), even,
                                    _mm512_maskz_loadu_ps(hi[v], row + i0 + 16));
                            else
                                taps = load_taps16(row, i0, W, S);
                            racc[v] = _mm512_fmadd_ps(taps, wv, racc[v]);
                        }
                    }
                }
            }
#pragma GCC unroll 8
            for (int r = 0; r < ROWS; r++) {
                if (r >= rows)
                    break;
                float *out = y + (oh + r) * Q;
#pragma GCC unroll 8
                for (int v = 0; v < DW_VECTORS; v++) {
                    if (v >= nv)
                        break;
                    const int64_t ow = (v0 + v) * 16;
                    if (v0 + v == vectors - 1)
                        _mm512_mask_storeu_ps(out + ow, last, acc[r * nv + v]);
                    else
                        _mm512_storeu_ps(out + ow, acc[r * nv + v]);
                }
            }
        }
    }
}

/* 3x3, dilation 1, stride 1 or 2: the tight loop. R output rows are computed
 * together, so each input row is loaded once for all the output rows it
 * feeds (3 of them at stride 1, 2 at stride 2) and the R x NV accumulators
 * are independent FMA chains. A row outside the image points at a row of
 * zeros (no branch per row); the nine weights stay in registers; the column
 * masks are computed once. Stride 1 loads each input row once, as the
 * centre taps, and makes the left and right taps by shifting a lane in from
 * the neighbouring vector (one load and two shifts instead of three loads,
 * two of them straddling cache lines). Stride 2 splits each input vector
 * pair into its even and odd columns, which are two of the taps; the third
 * is one of them shifted by a lane. A
 * last block shorter than R is computed as the R rows that end the band:
 * its first rows are written twice, with the same values. */
__attribute__((target("avx512f"), always_inline)) static inline void
planes3x3_avx512(const struct conv_layer *l, const float *in, const float *weights,
                 const float *bias, float *out, int64_t p0, int64_t p1, int64_t oh0, int64_t oh1,
                 const float *zeros, const int S, const int NV, const int R, const bool EDGES)
{
    const int64_t W = l->w_in, Q = l->w_out, P = l->pad_w;
    enum { IN_ROWS_MAX = 2 * DW_ROWS_MAX + 1 };
    const int in_rows = (R - 1) * S + 3;
    /* stride 1: columns of the centre taps c[v] (kw = 1) for v = -1 .. NV;
     * c[-1] and c[NV] only lend one lane each to the shifts */
    __mmask16 centre[DW_VECTORS + 2];
#pragma GCC unroll 10
    for (int v = -1; v <= NV; v++)
        centre[v + 1] = window_mask16(v * 16 + 1 - P, W);
    /* stride 2: vector pairs start at an even distance from the padded
     * edge, column c0, so that their even and odd lanes are taps of the
     * output; with odd padding c0 = 1 - P, which is column 0 (aligned) for
     * the usual P = 1. `next` is the one lane past the last pair. */
    const bool odd_pad = P & 1;
    const int64_t c0 = odd_pad - P;
    __mmask16 pair[2][DW_VECTORS];
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) {
        pair[0][v] = window_mask16(v * 32 + c0, W);
        pair[1][v] = window_mask16(v * 32 + 16 + c0, W);
    }
    const __mmask16 next = window_mask16(NV * 32 + c0, W) & 1;
    const __mmask16 last = (__mmask16)((1u << (Q - (NV - 1) * 16)) - 1);
    const __m512i even = every_other_lane(0), odd = every_other_lane(1);
    struct plane_walk walk = plane_walk_at(l, p0);
    for (int64_t plane = p0; plane < p1; plane++, plane_walk_next(l, &walk)) {
        const int64_t co = walk.co;
        const float *x = plane_walk_input(l, in, walk);
        const float *w = weights + co * 9;
        float *y = out + plane * l->h_out * Q;
        __m512 wv[9];
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++)
            wv[t] = _mm512_set1_ps(w[t]);
        const __m512 b = _mm512_set1_ps(bias ? bias[co] : 0.0f);
        for (int64_t oh_next = oh0; oh_next < oh1; oh_next += R) {
            const int64_t oh = oh_next + R <= oh1 ? oh_next : oh1 - R;
            const float *rows[IN_ROWS_MAX];
#pragma GCC unroll 17
            for (int j = 0; j < in_rows; j++) {
                const int64_t ih = oh * S - l->pad_h + j;
                rows[j] = (ih >= 0 && ih < l->h_in ? x + ih * W : zeros) - P;
            }
            __m512 acc[DW_ROWS_MAX][DW_VECTORS];
#pragma GCC unroll 8
            for (int r = 0; r < R; r++)
#pragma GCC unroll 8
                for (int v = 0; v < NV; v++)
                    acc[r][v] = b;
#pragma GCC unroll 17
            for (int j = 0; j < in_rows; j++) {
                /* stride 1: centre taps; stride 2: even and odd columns
                 * (ev[v], od[v + 1]: od[0] is the zero pair left of the row,
                 * ev[NV] the lane after it) */
                __m512 c[DW_VECTORS + 2], ev[DW_VECTORS + 1], od[DW_VECTORS + 1];
                if (S == 1) {
#pragma GCC unroll 10
                    for (int v = -1; v <= NV; v++)
                        c[v + 1] = (v < 0 || v == NV) && !EDGES
                                       ? _mm512_setzero_ps()
                                       : _mm512_maskz_loadu_ps(centre[v + 1], rows[j] + v * 16 + 1);
                } else {
                    const float *p = rows[j] + odd_pad;
#pragma GCC unroll 8
                    for (int v = 0; v < NV; v++) {
                        const __m512 lo = _mm512_maskz_loadu_ps(pair[0][v], p + v * 32),
                                     hi = _mm512_maskz_loadu_ps(pair[1][v], p + v * 32 + 16);
                        ev[v] = _mm512_permutex2var_ps(lo, even, hi);
                        od[v + 1] = _mm512_permutex2var_ps(lo, odd, hi);
                    }
                    od[0] = _mm512_setzero_ps();
                    if (!odd_pad)
                        ev[NV] = _mm512_maskz_loadu_ps(next, p + NV * 32);
                }
#pragma GCC unroll 8
                for (int v = 0; v < NV; v++) {
                    /* taps[kw]: the input columns ow * S + kw - P */
                    __m512 taps[3];
                    if (S == 1) {
                        taps[0] = shift_in(c[v + 1], c[v], 15);
                        taps[1] = c[v + 1];
                        taps[2] = shift_in(c[v + 2], c[v + 1], 1);
                    } else if (odd_pad) {
                        taps[0] = shift_in(od[v + 1], od[v], 15);
                        taps[1] = ev[v];
                        taps[2] = od[v + 1];
                    } else {
                        taps[0] = ev[v];
                        taps[1] = od[v + 1];
                        taps[2] = shift_in(ev[v + 1], ev[v], 1);
                    }
#pragma GCC unroll 8
                    for (int r = 0; r < R; r++) {
                        const int kh = j - r * S;
                        if (kh < 0 || kh > 2)
                            continue;
#pragma GCC unroll 3
                        for (int kw = 0; kw < 3; kw++)
                            acc[r][v] = _mm512_fmadd_ps(taps[kw], wv[kh * 3 + kw], acc[r][v]);
                    }
                }
            }
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                float *row_out = y + (oh + r) * Q;
#pragma GCC unroll 8
                for (int v = 0; v < NV; v++) {
                    if (v == NV - 1)
                        _mm512_mask_storeu_ps(row_out + v * 16, last, acc[r][v]);
                    else
                        _mm512_storeu_ps(row_out + v * 16, acc[r][v]);
                }
            }
        }
    }
}

/* 3x3 on narrow planes (two output rows fit one vector): a vector holds
 * output rows i and i + 1 side by side, as they lie in memory, so a 7-wide
 * plane fills 14 of 16 lanes instead of 7. Pairs are taken four at a time,
 * a group of 8 output rows. Each input row the group reads is loaded once,
 * as one vector starting at column -P (masked to the image; a row in the
 * padding is masked off entirely); the taps of a row pair are one
 * two-source permute of the two input rows they come from, for stride 1
 * and 2 alike. Rows of the group past the end of the band are computed
 * from whatever rows they read and not stored. */
static bool pairs3x3_fit(const struct conv_layer *l)
{
    return l->w_out * 2 <= 16 && (l->w_out - 1) * l->stride_w + 2 < 16;
}

__attribute__((target("avx512f"), always_inline)) static inline void
pairs3x3_avx512(const struct conv_layer *l, const float *in, const float *weights,
                const float *bias, float *out, int64_t p0, int64_t p1, int64_t oh0, int64_t oh1,
                const int S)
{
    const int64_t W = l->w_in, Q = l->w_out, P = l->pad_w;
    const __mmask16 columns = window_mask16(-P, W);
    __m512i index[3];
    for (int kw = 0; kw < 3; kw++) {
        int32_t lanes[16];
        for (int j = 0; j < 16; j++)
            lanes[j] = j < Q ? j * S + kw : j < 2 * Q ? 16 + (j - Q) * S + kw : 0;
        index[kw] = _mm512_loadu_si512(lanes);
    }
    enum { PAIRS = 4, IN_ROWS_MAX = (2 * PAIRS - 1) * 2 + 3 };
    const int in_rows = (2 * PAIRS - 1) * S + 3;
    for (int64_t base = oh0; base < oh1; base += 2 * PAIRS) {
        /* where the group's input rows are, the same for every plane: an
         * offset from the plane and the columns to load; and which lanes
         * of each pair are rows of the band */
        int64_t offset[IN_ROWS_MAX];
        __mmask16 mask[IN_ROWS_MAX], store[PAIRS];
#pragma GCC unroll 17
        for (int j = 0; j < in_rows; j++) {
            const int64_t ih = base * S - l->pad_h + j;
            const bool inside = ih >= 0 && ih < l->h_in;
            offset[j] = inside ? ih * W - P : 0;
            mask[j] = inside ? columns : 0;
        }
        for (int k = 0; k < PAIRS; k++) {
            const int64_t rows = oh1 - (base + 2 * k);
            store[k] = (__mmask16)((1u << (rows >= 2 ? 2 * Q : rows == 1 ? Q : 0)) - 1);
        }
        struct plane_walk walk = plane_walk_at(l, p0);
        for (int64_t plane = p0; plane < p1; plane++, plane_walk_next(l, &walk)) {
            const float *x = plane_walk_input(l, in, walk);
            const float *w = weights + walk.co * 9;
            float *y = out + (plane * l->h_out + base) * Q;
            __m512 wv[9];
#pragma GCC unroll 9
            for (int t = 0; t < 9; t++)
                wv[t] = _mm512_set1_ps(w[t]);
            __m512 row[IN_ROWS_MAX];
#pragma GCC unroll 17
            for (int j = 0; j < in_rows; j++)
                row[j] = _mm512_maskz_loadu_ps(mask[j], x + offset[j]);
            __m512 acc[PAIRS][2];
#pragma GCC unroll 4
            for (int k = 0; k < PAIRS; k++) {
                acc[k][0] = _mm512_set1_ps(bias ? bias[walk.co] : 0.0f);
                acc[k][1] = _mm512_setzero_ps();
            }
#pragma GCC unroll 4
            for (int k = 0; k < PAIRS; k++)
#pragma GCC unroll 3
                for (int kh = 0; kh < 3; kh++) {
                    const __m512 a = row[2 * k * S + kh], c = row[(2 * k + 1) * S + kh];
#pragma GCC unroll 3
                    for (int kw = 0; kw < 3; kw++)
                        acc[k][kw & 1] = _mm512_fmadd_ps(_mm512_permutex2var_ps(a, index[kw], c),
                                                         wv[kh * 3 + kw], acc[k][kw & 1]);
                }
#pragma GCC unroll 4
            for (int k = 0; k < PAIRS; k++)
                _mm512_mask_storeu_ps(y + 2 * k * Q, store[k], _mm512_add_ps(acc[k][0], acc[k][1]));
        }
    }
}

/* Whether the stride-1 shifts take a lane from inside the image, left of
 * the first vector (column -P - 1) or right of the last (column
 * 16 NV + 1 - P): only where the left padding is 0, or the right padding is
 * too narrow to hold that column. */
static bool dw3x3_edges(const struct conv_layer *l, int NV)
{
    const int64_t P = l->pad_w, W = l->w_in;
    return P == 0 || NV * 16 + 1 - P < W;
}

/* Rows per block for a band of `rows` rows and at most `most` per block:
 * as many blocks as `most` requires, evened out, so that the overlapping
 * last block recomputes as few rows as it can (14 rows: two blocks of 7,
 * not 8 and 8). */
static int dw3x3_block_rows(int64_t rows, int most)
{
    const int64_t blocks = (rows + most - 1) / most;
    return (int)((rows + blocks - 1) / blocks);
}

/* Rows per block: enough independent accumulators to cover the FMA latency
 * (8 to 16 vectors), and no more rows than the band has. */
#define DW3X3_CALL(S, NV, R)                                                                  \
    if (S == 1 && dw3x3_edges(l, NV))                                                        \
        planes3x3_avx512(l, in, weights, bias, out, p0, p1, oh0, oh1, zeros, S, NV, R, true); \
    else                                                                                     \
        planes3x3_avx512(l, in, weights, bias, out, p0, p1, oh0, oh1, zeros, S, NV, R, false); \
    return
#define DW3X3_ROWS_UP_TO_2(S, NV)                                                             \
    switch (dw3x3_block_rows(oh1 - oh0, 2)) {                                                 \
    case 1: DW3X3_CALL(S, NV, 1);                                                            \
    default: DW3X3_CALL(S, NV, 2);                                                           \
    }
#define DW3X3_ROWS_UP_TO_4(S, NV)                                                             \
    switch (dw3x3_block_rows(oh1 - oh0, 4)) {                                                 \
    case 1: DW3X3_CALL(S, NV, 1);                                                            \
    case 2: DW3X3_CALL(S, NV, 2);                                                            \
    case 3: DW3X3_CALL(S, NV, 3);                                                            \
    default: DW3X3_CALL(S, NV, 4);                                                           \
    }
#define DW3X3_ROWS_UP_TO_8(S, NV)                                                             \
    switch (dw3x3_block_rows(oh1 - oh0, 8)) {                                                 \
    case 1: DW3X3_CALL(S, NV, 1);                                                            \
    case 2: DW3X3_CALL(S, NV, 2);                                                            \
    case 3: DW3X3_CALL(S, NV, 3);                                                            \
    case 4: DW3X3_CALL(S, NV, 4);                                                            \
    case 5: DW3X3_CALL(S, NV, 5);                                                            \
    case 6: DW3X3_CALL(S, NV, 6);                                                            \
    case 7: DW3X3_CALL(S, NV, 7);                                                            \
    default: DW3X3_CALL(S, NV, 8);                                                           \
    }

#define DW3X3_WIDTHS(S)                                                                   \
    switch ((l->w_out + 15) / 16) {                                                      \
    case 1: DW3X3_ROWS_UP_TO_8(S, 1)                                                     \
    case 2: DW3X3_ROWS_UP_TO_4(S, 2)                                                     \
    case 3: DW3X3_ROWS_UP_TO_4(S, 3)                                                     \
    case 4: DW3X3_ROWS_UP_TO_4(S, 4)                                                     \
    case 5: DW3X3_ROWS_UP_TO_2(S, 5)                                                     \
    case 6: DW3X3_ROWS_UP_TO_2(S, 6)                                                     \
    case 7: DW3X3_ROWS_UP_TO_2(S, 7)                                                     \
    case 8: DW3X3_ROWS_UP_TO_2(S, 8)                                                     \
    default: break;                                                                      \
    }

/* Exactly-sized instances for K x K kernels at stride S, widths up to 8
 * vectors (128 outputs): every loop bound is a constant. */
#define DW_WIDTHS(K, S)                                                                   \
    switch ((l->w_out + 15) / 16) {                                                      \
    case 1: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 1); return;                 \
    case 2: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 2); return;                 \
    case 3: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 3); return;                 \
    case 4: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 4); return;                 \
    case 5: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 5); return;                 \
    case 6: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 6); return;                 \
    case 7: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 7); return;                 \
    case 8: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 8); return;                 \
    default: rows_avx512(l, x, w, bias, y, oh0, oh1, K, K, S, 0); return;                \
    }

__attribute__((target("avx512f"))) static void
rows_generic_avx512(const struct conv_layer *l, const float *x, const float *w, float bias,
                    float *y, int64_t oh0, int64_t oh1)
{
    /* constant sizes for the common cases, so the tap loops unroll */
    const int64_t K = l->kernel_h == l->kernel_w ? l->kernel_h : 0, S = l->stride_w;
    if (K == 3 && S == 1)
        DW_WIDTHS(3, 1)
    if (K == 3 && S == 2)
        DW_WIDTHS(3, 2)
    if (K == 5 && S == 1)
        DW_WIDTHS(5, 1)
    if (K == 5 && S == 2)
        DW_WIDTHS(5, 2)
    rows_avx512(l, x, w, bias, y, oh0, oh1, l->kernel_h, l->kernel_w, S, 0);
}

__attribute__((target("avx512f"))) static void
depthwise_planes_avx512(const struct conv_layer *l, const float *in, const float *weights,
                        const float *bias, float *out, int64_t p0, int64_t p1, int64_t oh0,
                        int64_t oh1, const struct depthwise_work *work)
{
    const float *zeros = work->zeros;
    const int64_t S = l->stride_w;
    const bool dense3x3 = l->kernel_h == 3 && l->kernel_w == 3 && l->dilation_h == 1 &&
                          l->dilation_w == 1 && l->stride_h == S;
    if (dense3x3 && (S == 1 || S == 2) && pairs3x3_fit(l)) {
        if (S == 1)
            pairs3x3_avx512(l, in, weights, bias, out, p0, p1, oh0, oh1, 1);
        else
            pairs3x3_avx512(l, in, weights, bias, out, p0, p1, oh0, oh1, 2);
        return;
    }
    if (dense3x3 && S == 1)
        DW3X3_WIDTHS(1)
    if (dense3x3 && S == 2)
        DW3X3_WIDTHS(2)
    for_each_plane(l, in, weights, bias, out, p0, p1, oh0, oh1, rows_generic_avx512);
}

/* ---- AVX2 --------------------------------------------------------------- */

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

static const struct depthwise_kernel kernel_avx512 = {"avx512", CPU_ISA_AVX512,
                                                      depthwise_planes_avx512};
static const struct depthwise_kernel kernel_avx2 = {"avx2", CPU_ISA_AVX2_FMA,
                                                    depthwise_planes_avx2};
#endif

static const struct depthwise_kernel kernel_c = {"c", CPU_ISA_GENERIC, depthwise_planes_c};

const struct depthwise_kernel *const depthwise_kernels[] = {
#if defined(__x86_64__)
    &kernel_avx512,
    &kernel_avx2,
#endif
    &kernel_c,
};
const size_t depthwise_kernel_count = sizeof depthwise_kernels / sizeof depthwise_kernels[0];

/* ---- the variant -------------------------------------------------------- */

size_t depthwise_zeros_floats(const struct conv_layer *l)
{
    /* a padded row, with room for a stride-2 pair of vectors past its end */
    return (size_t)(l->w_in + l->pad_w + l->pad_right + 64);
}

size_t depthwise_band_floats(const struct conv_layer *l)
{
#if defined(__x86_64__)
    /* the AVX2 kernel's padded band at strides 1 and 2; a band of all the
     * output rows is the largest */
    if (l->stride_w == 1 || l->stride_w == 2) {
        const struct padded_band b = padded_band_for(l, 0, l->h_out);
        return (size_t)(b.rows * b.span);
    }
#else
    (void)l;
#endif
    return 0;
}

struct depthwise_state {
    struct conv_layer layer;
    const float *weights, *bias;
    const struct depthwise_kernel *kernel;
    int threads;
    int64_t bands;       /* row bands per plane */
    float *zeros;        /* a row of zeros, for rows in the padding */
    float *bands_memory; /* threads x band_floats, one band per thread */
    size_t band_floats;
};

/* What plan allocates: the zeros, and a band per thread for the kernel
 * dispatch picked (only the AVX2 kernel copies rows into one). */
static size_t band_floats_for(const struct conv_layer *l, const struct depthwise_kernel *k)
{
    return k->isa == CPU_ISA_AVX2_FMA ? depthwise_band_floats(l) : 0;
}

static const struct depthwise_kernel *pick_kernel(void)
{
    for (size_t i = 0; i < depthwise_kernel_count; i++)
        if (cpu_has_isa(depthwise_kernels[i]->isa))
            return depthwise_kernels[i];
    return NULL;
}

static void depthwise_destroy(void *state)
{
    struct depthwise_state *s = state;
    if (s) {
        free(s->zeros);
        free(s->bands_memory);
    }
    free(s);
}

static enum conv_status depthwise_supports(const struct conv_layer *l, const char **why)
{
    if (l->groups != l->c_in || l->groups < 2) {
        *why = "depthwise layers only (groups = input channels)";
        return CONV_UNSUPPORTED;
    }
    return CONV_OK;
}

static enum conv_status depthwise_plan(const struct conv_layer *l, const float *weights,
                                       const float *bias, int threads, void **state,
                                       const char **why)
{
    struct depthwise_state *s = malloc(sizeof *s);
    if (!s) {
        *why = "out of memory";
        return CONV_ERROR;
    }
    *s = (struct depthwise_state){*l, weights, bias, pick_kernel(), threads, 1, NULL, NULL, 0};
    s->band_floats = band_floats_for(l, s->kernel);
    s->zeros = tensor_alloc(depthwise_zeros_floats(l), sizeof(float));
    if (s->band_floats)
        s->bands_memory = tensor_alloc(s->band_floats * (size_t)threads, sizeof(float));
    if (!s->zeros || (s->band_floats && !s->bands_memory)) {
        depthwise_destroy(s);
        *why = "out of memory";
        return CONV_ERROR;
    }
    tensor_fill(s->zeros, depthwise_zeros_floats(l), 0.0f);
    /* enough work items to balance the threads */
    const int64_t planes = l->batch * l->c_out;
    if (planes < 4 * threads) {
        s->bands = (4 * threads + planes - 1) / planes;
        if (s->bands > l->h_out)
            s->bands = l->h_out;
    }
    *state = s;
    return CONV_OK;
}

/* The calling thread's band (NULL when the kernel needs none). */
static float *thread_band(const struct depthwise_state *s)
{
    return s->bands_memory ? s->bands_memory + s->band_floats * (size_t)omp_get_thread_num()
                           : NULL;
}

static enum conv_status depthwise_run(void *state, const float *in, float *out)
{
    const struct depthwise_state *s = state;
    const struct conv_layer *l = &s->layer;
    const int64_t planes = l->batch * l->c_out;

    if (s->bands == 1) {
        /* each thread a contiguous run of planes */
        #pragma omp parallel num_threads(s->threads)
        {
            const int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
            const struct depthwise_work work = {s->zeros, thread_band(s)};
            s->kernel->planes(l, in, s->weights, s->bias, out, planes * t / team,
                              planes * (t + 1) / team, 0, l->h_out, &work);
        }
        return CONV_OK;
    }
    /* few planes: bands of rows as well */
    #pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int64_t unit = 0; unit < planes * s->bands; unit++) {
        const int64_t plane = unit / s->bands, band = unit % s->bands;
        const struct depthwise_work work = {s->zeros, thread_band(s)};
        s->kernel->planes(l, in, s->weights, s->bias, out, plane, plane + 1,
                          l->h_out * band / s->bands, l->h_out * (band + 1) / s->bands,
                          &work);
    }
    return CONV_OK;
}

static const char *depthwise_describe(void *state)
{
    return ((struct depthwise_state *)state)->kernel->name;
}

/* What depthwise_plan allocates: the state, the zeros, the bands. */
static size_t depthwise_memory(const struct conv_layer *l, int threads)
{
    const size_t band_floats = band_floats_for(l, pick_kernel());
    return tensor_held_bytes(sizeof(struct depthwise_state)) +
           tensor_held_bytes(depthwise_zeros_floats(l) * sizeof(float)) +
           (band_floats ? tensor_held_bytes(band_floats * (size_t)threads * sizeof(float)) : 0);
}

const struct conv_variant variant_depthwise = {
    .name = "depthwise",
    .summary = "depthwise convolution vectorized along the width (AVX-512/AVX2/C), masked "
               "borders; groups = C_in only, any multiplier, kernel, stride, dilation",
    .tolerance = 16.0,
    .supports = depthwise_supports,
    .plan = depthwise_plan,
    .run = depthwise_run,
    .destroy = depthwise_destroy,
    .describe = depthwise_describe,
    .memory = depthwise_memory,
};
