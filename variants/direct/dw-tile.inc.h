/* The body of the depthwise tiles (see direct.h), for one ISA; the
 * including file defines what conv-tile.inc.h lists, with P_MAX_DW for the
 * widest tile, DW_TILES_NAME, and P_MAX_DW3 where it has the 3x3 tiles.
 *
 * A tile is P pixels of one channel block in each of `rows` output rows that
 * read the same tap rows: per tap one weight vector and P input vectors, P
 * FMAs. Interior tiles read every tap unchecked, compiled for pixel strides
 * 1 and 2 and for any; edge tiles let their first two and last two pixels
 * skip the tap columns that fall in the padding (a few branches per tap
 * column, the same for every row); the edge function takes one pixel at a
 * time, skips the taps that fall in the padding, and spreads input lanes
 * over output lanes for a multiplier. The 3x3 tiles (stride 1 or 2) take two
 * rows and load each input vector once for all the outputs it feeds. */
#include <stdbool.h>
#include <stdint.h>

#include "direct.h"
#include "tiles.inc.h"

/* `rows` output rows of P pixels. */
static inline __attribute__((always_inline)) TARGET void
dw_tile(const struct direct_dw_tile *t, const int S, const int P, const bool edges)
{
    const ptrdiff_t step = (S ? S : t->stride_w) * LANES;
    /* the tap columns pixels 0, 1, P - 2 and P - 1 read (bit kw) */
    const uint64_t f0 = edges ? t->first_taps[0] : UINT64_MAX,
                   f1 = edges ? t->first_taps[1] : UINT64_MAX,
                   l0 = edges ? t->last_taps[0] : UINT64_MAX,
                   l1 = edges ? t->last_taps[1] : UINT64_MAX;
    const VEC b = t->bias ? V_LOAD(t->bias) : V_ZERO();
    for (int r = 0; r < t->rows; r++) {
        const float *in = t->in + r * t->in_rows;
        VEC acc[DIRECT_P_MAX];
#pragma GCC unroll 16
        for (int p = 0; p < P; p++)
            acc[p] = b;
        for (int kh = t->kh0; kh < t->kh1; kh++) {
            const float *row = in + (kh - t->kh0) * t->row_stride;
            const float *wt = t->wt + kh * t->wt_row;
            for (int kw = 0; kw < t->kernel_w; kw++) {
                const VEC wv = V_LOAD(wt + kw * LANES);
                const ptrdiff_t x = t->first_col + kw * t->kw_stride;
#pragma GCC unroll 16
                for (int p = 0; p < P; p++) {
                    if ((p == 0 && !(f0 >> kw & 1)) || (p == 1 && !(f1 >> kw & 1)) ||
                        (p == P - 1 && !(l0 >> kw & 1)) || (p == P - 2 && !(l1 >> kw & 1)))
                        continue;
                    acc[p] = V_FMA(V_LOAD(row + x + p * step), wv, acc[p]);
                }
            }
        }
        float *out = t->out + r * t->out_rows;
#pragma GCC unroll 16
        for (int p = 0; p < P; p++)
            V_STORE(out + p * LANES, acc[p]);
    }
}

static TARGET void dw_edge(const struct direct_dw_tile *t)
{
    const int m = t->multiplier;
    for (int p = 0; p < t->pixels; p++) {
        /* two chains, alternating taps, halve the FMA latency */
        VEC acc0 = t->bias ? V_LOAD(t->bias) : V_ZERO(), acc1 = V_ZERO();
        const int64_t iw_p = t->iw0 + p * t->stride_w;
        int taps = 0;
        for (int kh = t->kh0; kh < t->kh1; kh++) {
            const float *row = t->plane + (t->ih0 + kh * t->dilation_h) * t->w * LANES;
            for (int kw = 0; kw < t->kernel_w; kw++) {
                const int64_t iw = iw_p + kw * t->dilation_w;
                if (iw < 0 || iw >= t->w)
                    continue;
                const float *x = row + iw * LANES;
                VEC xv;
                if (m == 1) {
                    xv = V_LOAD(x);
                } else {
                    float spread[LANES];
                    for (int j = 0; j < LANES; j++)
                        spread[j] = x[t->lane0 + j / m];
                    xv = V_LOAD(spread);
                }
                const VEC wv = V_LOAD(t->wt + ((ptrdiff_t)kh * t->kernel_w + kw) * LANES);
                if (taps++ & 1)
                    acc1 = V_FMA(xv, wv, acc1);
                else
                    acc0 = V_FMA(xv, wv, acc0);
            }
        }
        V_STORE(t->out + p * LANES, V_ADD(acc0, acc1));
    }
}

/* R rows of P pixels of a 3x3 layer at stride S (1 or 2): each input vector
 * is loaded once and feeds every output whose window holds it (up to 9 FMAs
 * at stride 1, 4 at stride 2); input rows and columns outside the plane
 * read as zeros. */
static inline __attribute__((always_inline)) TARGET void
dw3x3_tile(const struct direct_dw_tile *t, const int S, const int R, const int P)
{
    VEC wv[3][3], acc[DIRECT_DW3_ROWS][DIRECT_P_MAX];
#pragma GCC unroll 3
    for (int kh = 0; kh < 3; kh++)
#pragma GCC unroll 3
        for (int kw = 0; kw < 3; kw++)
            wv[kh][kw] = V_LOAD(t->wt + (kh * 3 + kw) * LANES);
    const VEC b = t->bias ? V_LOAD(t->bias) : V_ZERO();
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int p = 0; p < P; p++)
            acc[r][p] = b;
    /* the first and the last input column, the only ones that can fall
     * outside the plane (padding of at most 1) */
    const int cols = (P - 1) * S + 3;
    const bool left = t->iw0 >= 0, right = t->iw0 + cols - 1 < t->w;
#pragma GCC unroll 5
    for (int i = 0; i < (R - 1) * S + 3; i++) {
        const int64_t ih = t->ih0 + i;
        if (ih < 0 || ih >= t->h)
            continue;
        const float *row = t->plane + (ih * t->w + t->iw0) * LANES;
#pragma GCC unroll 32
        for (int j = 0; j < cols; j++) {
            if ((j == 0 && !left) || (j == cols - 1 && !right))
                continue;
            const VEC x = V_LOAD(row + j * LANES);
#pragma GCC unroll 3
            for (int kh = 0; kh < 3; kh++) {
                const int r = (i - kh) / S;
                if (i < kh || (i - kh) % S || r >= R)
                    continue;
#pragma GCC unroll 3
                for (int kw = 0; kw < 3; kw++) {
                    const int p = (j - kw) / S;
                    if (j >= kw && (j - kw) % S == 0 && p < P)
                        acc[r][p] = V_FMA(x, wv[kh][kw], acc[r][p]);
                }
            }
        }
    }
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int p = 0; p < P; p++)
            V_STORE(t->out + r * t->out_rows + p * LANES, acc[r][p]);
}

#define DW_TILE_FN(edges, name, S, P)                                  \
    static TARGET void dw_##name##_##P(const struct direct_dw_tile *t) \
    {                                                                   \
        dw_tile(t, S, P, edges);                                        \
    }
#define DW_TILE_ENTRY(edges, name, S, P) [P] = dw_##name##_##P,

DIRECT_PS(P_MAX_DW, DW_TILE_FN, false, s1, 1)
DIRECT_PS(P_MAX_DW, DW_TILE_FN, false, s2, 2)
DIRECT_PS(P_MAX_DW, DW_TILE_FN, false, any, 0)
DIRECT_PS(P_MAX_DW, DW_TILE_FN, true, edges_s1, 1)
DIRECT_PS(P_MAX_DW, DW_TILE_FN, true, edges_s2, 2)
DIRECT_PS(P_MAX_DW, DW_TILE_FN, true, edges_any, 0)

#if defined(P_MAX_DW3)
#define DW3_TILE_FN(S, name, R, P)                                         \
    static TARGET void dw3_##name##_##P(const struct direct_dw_tile *t) \
    {                                                                   \
        dw3x3_tile(t, S, R, P);                                         \
    }
#define DW3_TILE_ENTRY(S, name, R, P) [P] = dw3_##name##_##P,
DIRECT_PS(P_MAX_DW3, DW3_TILE_FN, 1, s1r1, 1)
DIRECT_PS(P_MAX_DW3, DW3_TILE_FN, 1, s1r2, 2)
DIRECT_PS(P_MAX_DW3, DW3_TILE_FN, 2, s2r1, 1)
DIRECT_PS(P_MAX_DW3, DW3_TILE_FN, 2, s2r2, 2)
#endif

const struct direct_dw_tiles DW_TILES_NAME = {
    .p_max = P_MAX_DW,
    .interior = {[DIRECT_DW_S1] = {DIRECT_PS(P_MAX_DW, DW_TILE_ENTRY, , s1, 1)},
                 [DIRECT_DW_S2] = {DIRECT_PS(P_MAX_DW, DW_TILE_ENTRY, , s2, 2)},
                 [DIRECT_DW_ANY] = {DIRECT_PS(P_MAX_DW, DW_TILE_ENTRY, , any, 0)}},
    .edges = {[DIRECT_DW_S1] = {DIRECT_PS(P_MAX_DW, DW_TILE_ENTRY, , edges_s1, 1)},
              [DIRECT_DW_S2] = {DIRECT_PS(P_MAX_DW, DW_TILE_ENTRY, , edges_s2, 2)},
              [DIRECT_DW_ANY] = {DIRECT_PS(P_MAX_DW, DW_TILE_ENTRY, , edges_any, 0)}},
    .edge = dw_edge,
#if defined(P_MAX_DW3)
    .p3_max = P_MAX_DW3,
    .tiles3x3 = {{[1] = {DIRECT_PS(P_MAX_DW3, DW3_TILE_ENTRY, 1, s1r1, 1)},
                  [2] = {DIRECT_PS(P_MAX_DW3, DW3_TILE_ENTRY, 1, s1r2, 2)}},
                 {[1] = {DIRECT_PS(P_MAX_DW3, DW3_TILE_ENTRY, 2, s2r1, 1)},
                  [2] = {DIRECT_PS(P_MAX_DW3, DW3_TILE_ENTRY, 2, s2r2, 2)}}},
#endif
};
