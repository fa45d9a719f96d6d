/* The body of the regular convolution tiles (see direct.h), for one ISA.
 * The including file defines VEC, LANES (lanes), TARGET (a function
 * attribute), V_ZERO(), V_LOAD(p), V_STORE(p, v), V_SET1(x),
 * V_FMA(a, b, acc) (acc + a * b), V_ADD(a, b), the widest tiles P_MAX_KB1, P_MAX_KB2,
 * P_MAX_KB4 (even numbers from 2 to 14) and TILES_NAME.
 *
 * A tile keeps P x KB accumulators in registers; each reduction step loads
 * the KB weight vectors of one input channel and broadcasts that channel's
 * value at each of the P pixels: P x KB FMAs against P broadcasts and KB
 * loads. Its independent chains cover the FMA latency when P x KB >= 8. */
#include <stdbool.h>

#include "direct.h"
#include "tiles.inc.h"

/* Reduction steps ahead whose weights a tile prefetches into the L1. Where
 * a tile takes the whole reduction its weights stream from the L2, and the
 * hardware prefetcher alone leaves the FMAs waiting on them; where they
 * already sit in the L1 the prefetch is a load slot the FMAs do not need. */
#define W_PREFETCH_STEPS 4

/* cper: channels per input block (LANES for blocked input, 1 for plain).
 * The P pixels are rows of W (W = P: one row; W = P / 2: two whole output
 * rows, the second's input pair_stride floats after the first's, its
 * output right after the first's). Pixels of a row are S blocks (blocked)
 * or S floats (plain) apart, S a constant so that every pixel's offset is
 * one. With masks, each row's first two and last two pixels skip the tap
 * columns their masks leave out (a few branches per tap column and
 * channel, not per FMA). */
static inline __attribute__((always_inline)) TARGET void
conv_tile(const struct direct_conv_tile *t, const int cper, const int S, const int KB,
          const int P, const int W, const bool masks)
{
    const ptrdiff_t step = (ptrdiff_t)S * cper;
    VEC acc[DIRECT_P_MAX][4];
#pragma GCC unroll 4
    for (int k = 0; k < KB; k++) {
        const VEC b = t->bias ? V_LOAD(t->bias + k * LANES) : V_ZERO();
#pragma GCC unroll 16
        for (int p = 0; p < P; p++)
            acc[p][k] = t->accumulate ? V_LOAD(t->out + k * t->out_block_stride + p * LANES) : b;
    }
    const ptrdiff_t tap_floats = (ptrdiff_t)cper * KB * LANES;
    const ptrdiff_t row_floats = t->kernel_w * tap_floats;
    for (int64_t cb = 0; cb < t->cb; cb++) {
        const float *in_cb = t->in + cb * t->cb_stride;
        const float *w_cb = t->w + cb * t->kernel_h * row_floats;
        for (int kh = t->kh0; kh < t->kh1; kh++) {
            const float *in_row = in_cb + (kh - t->kh0) * t->kh_stride;
            const float *w = w_cb + kh * row_floats;
            for (int kw = 0; kw < t->kernel_w; kw++) {
                const ptrdiff_t x = t->first_col + t->kw_offset[kw];
                /* whether pixels 0, 1, P - 1, P - 2 read tap column kw */
                const bool f0 = !masks || kw >= 64 || t->first_taps[0] >> kw & 1,
                           f1 = !masks || kw >= 64 || t->first_taps[1] >> kw & 1,
                           l0 = !masks || kw >= 64 || t->last_taps[0] >> kw & 1,
                           l1 = !masks || kw >= 64 || t->last_taps[1] >> kw & 1;
                for (int c = 0; c < cper; c++) {
                    VEC wv[4];
#pragma GCC unroll 4
                    for (int k = 0; k < KB; k++) {
                        __builtin_prefetch(w + (W_PREFETCH_STEPS * KB + k) * LANES, 0, 3);
                        wv[k] = V_LOAD(w + k * LANES);
                    }
#pragma GCC unroll 16
                    for (int p = 0; p < P; p++) {
                        const int j = p % W; /* the pixel's place in its row */
                        if ((j == 0 && !f0) || (j == 1 && !f1) || (j == W - 1 && !l0) ||
                            (j == W - 2 && !l1))
                            continue;
                        const VEC xv =
                            V_SET1(in_row[x + p / W * t->pair_stride + j * step + c]);
#pragma GCC unroll 4
                        for (int k = 0; k < KB; k++)
                            acc[p][k] = V_FMA(wv[k], xv, acc[p][k]);
                    }
                    w += KB * LANES;
                }
            }
        }
    }
#pragma GCC unroll 4
    for (int k = 0; k < KB; k++)
#pragma GCC unroll 16
        for (int p = 0; p < P; p++)
            V_STORE(t->out + k * t->out_block_stride + p * LANES, acc[p][k]);
}

#define CONV_TILE_FN(mode, cper_s, KB, P)                                                 \
    static TARGET void conv_##mode##_##KB##_##P(const struct direct_conv_tile *t)        \
    {                                                                                     \
        conv_tile(t, CONV_CPER_##cper_s, CONV_S_##cper_s, KB, P, P, CONV_MASKS_##cper_s); \
    }
/* two rows of P / 2 pixels */
#define CONV_PAIR_FN(mode, cper_s, KB, P)                                                     \
    static TARGET void conv_pair_##mode##_##KB##_##P(const struct direct_conv_tile *t)       \
    {                                                                                         \
        conv_tile(t, CONV_CPER_##cper_s, CONV_S_##cper_s, KB, P, P / 2, CONV_MASKS_##cper_s); \
    }
#define CONV_PAIR_ENTRY(mode, cper_s, KB, P) [P] = conv_pair_##mode##_##KB##_##P,
#define CONV_TILE_ENTRY(mode, cper_s, KB, P) [P] = conv_##mode##_##KB##_##P,
/* the channels per step, the pixel stride and the masks of each mode */
#define CONV_CPER_blocked1 LANES
#define CONV_S_blocked1 1
#define CONV_MASKS_blocked1 false
#define CONV_CPER_blocked2 LANES
#define CONV_S_blocked2 2
#define CONV_MASKS_blocked2 false
#define CONV_CPER_blocked1_edges LANES
#define CONV_S_blocked1_edges 1
#define CONV_MASKS_blocked1_edges true
#define CONV_CPER_blocked2_edges LANES
#define CONV_S_blocked2_edges 2
#define CONV_MASKS_blocked2_edges true
#define CONV_CPER_plain1 1
#define CONV_S_plain1 1
#define CONV_MASKS_plain1 false
#define CONV_CPER_plain2 1
#define CONV_S_plain2 2
#define CONV_MASKS_plain2 false
#define CONV_CPER_plain1_edges 1
#define CONV_S_plain1_edges 1
#define CONV_MASKS_plain1_edges true
#define CONV_CPER_plain2_edges 1
#define CONV_S_plain2_edges 2
#define CONV_MASKS_plain2_edges true

#define CONV_TILES(mode)                                    \
    DIRECT_PS(P_MAX_KB1, CONV_TILE_FN, mode, mode, 1)       \
    DIRECT_PS(P_MAX_KB2, CONV_TILE_FN, mode, mode, 2)       \
    DIRECT_PS(P_MAX_KB4, CONV_TILE_FN, mode, mode, 4)
#define CONV_TABLE(mode)                                        \
    {{DIRECT_PS(P_MAX_KB1, CONV_TILE_ENTRY, mode, mode, 1)},    \
     {DIRECT_PS(P_MAX_KB2, CONV_TILE_ENTRY, mode, mode, 2)},    \
     {DIRECT_PS(P_MAX_KB4, CONV_TILE_ENTRY, mode, mode, 4)}}

#define CONV_PAIRS(mode)                                    \
    DIRECT_EVEN_PS(P_MAX_KB1, CONV_PAIR_FN, mode, mode, 1)  \
    DIRECT_EVEN_PS(P_MAX_KB2, CONV_PAIR_FN, mode, mode, 2)  \
    DIRECT_EVEN_PS(P_MAX_KB4, CONV_PAIR_FN, mode, mode, 4)
#define CONV_PAIR_TABLE(mode)                                        \
    {{DIRECT_EVEN_PS(P_MAX_KB1, CONV_PAIR_ENTRY, mode, mode, 1)},    \
     {DIRECT_EVEN_PS(P_MAX_KB2, CONV_PAIR_ENTRY, mode, mode, 2)},    \
     {DIRECT_EVEN_PS(P_MAX_KB4, CONV_PAIR_ENTRY, mode, mode, 4)}}

CONV_TILES(blocked1)
CONV_TILES(blocked2)
CONV_PAIRS(blocked1)
CONV_PAIRS(blocked2)
CONV_PAIRS(blocked1_edges)
CONV_PAIRS(blocked2_edges)
CONV_TILES(blocked1_edges)
CONV_TILES(blocked2_edges)
CONV_TILES(plain1)
CONV_TILES(plain2)
CONV_TILES(plain1_edges)
CONV_TILES(plain2_edges)

const struct direct_conv_tiles TILES_NAME = {
    .p_max = {P_MAX_KB1, P_MAX_KB2, P_MAX_KB4},
    .blocked = {CONV_TABLE(blocked1), CONV_TABLE(blocked2)},
    .blocked_edges = {CONV_TABLE(blocked1_edges), CONV_TABLE(blocked2_edges)},
    .pairs = {CONV_PAIR_TABLE(blocked1), CONV_PAIR_TABLE(blocked2)},
    .pairs_edges = {CONV_PAIR_TABLE(blocked1_edges), CONV_PAIR_TABLE(blocked2_edges)},
    .plain = {CONV_TABLE(plain1), CONV_TABLE(plain2)},
    .plain_edges = {CONV_TABLE(plain1_edges), CONV_TABLE(plain2_edges)},
};
