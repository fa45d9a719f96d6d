/* The depthwise kernel on AVX-512: masked loads at the borders, dense 3x3
 * in blocks of rows (two rows per vector on narrow planes), 3x3 and 5x5
 * compiled with their sizes as constants. */
#include <stdbool.h>

#include "planes.h"

#if defined(__x86_64__)
#include <immintrin.h>

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
 * is one of them shifted by a lane. A last block shorter than R is
 * computed as the R rows that end the band: its first rows are written
 * twice, with the same values. (Long: one register-blocked loop nest, kept
 * whole so that the accumulators stay in registers.) */
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
/* A block of R rows where R is below MOST; from R = MOST on, the cases fall
 * through to the default, MOST rows. */
#define DW3X3_ROWS_CASE(S, NV, R, MOST)                                                      \
    case R:                                                                                  \
        if (R < MOST) {                                                                      \
            DW3X3_CALL(S, NV, R);                                                            \
        }                                                                                    \
        __attribute__((fallthrough));
#define DW3X3_ROWS_UP_TO(S, NV, MOST)                                                        \
    switch (dw3x3_block_rows(oh1 - oh0, MOST)) {                                             \
        DW3X3_ROWS_CASE(S, NV, 1, MOST)                                                      \
        DW3X3_ROWS_CASE(S, NV, 2, MOST)                                                      \
        DW3X3_ROWS_CASE(S, NV, 3, MOST)                                                      \
        DW3X3_ROWS_CASE(S, NV, 4, MOST)                                                      \
        DW3X3_ROWS_CASE(S, NV, 5, MOST)                                                      \
        DW3X3_ROWS_CASE(S, NV, 6, MOST)                                                      \
        DW3X3_ROWS_CASE(S, NV, 7, MOST)                                                      \
    default: DW3X3_CALL(S, NV, MOST);                                                        \
    }

#define DW3X3_WIDTHS(S)                                                                   \
    switch ((l->w_out + 15) / 16) {                                                      \
    case 1: DW3X3_ROWS_UP_TO(S, 1, 8)                                                     \
    case 2: DW3X3_ROWS_UP_TO(S, 2, 4)                                                     \
    case 3: DW3X3_ROWS_UP_TO(S, 3, 4)                                                     \
    case 4: DW3X3_ROWS_UP_TO(S, 4, 4)                                                     \
    case 5: DW3X3_ROWS_UP_TO(S, 5, 2)                                                     \
    case 6: DW3X3_ROWS_UP_TO(S, 6, 2)                                                     \
    case 7: DW3X3_ROWS_UP_TO(S, 7, 2)                                                     \
    case 8: DW3X3_ROWS_UP_TO(S, 8, 2)                                                     \
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

const struct depthwise_kernel depthwise_kernel__avx512 = {"avx512", CPU_ISA_AVX512,
                                                          depthwise_planes_avx512, NULL};
#endif
