/* Packing im2col columns straight into GEMM B panels (gemm.h's
 * gemm_b_source): B[k][n] is the input element that reduction index
 * k = (c, kh, kw) sees at output position n = (oh, ow), 0 in the padding.
 * A portable packer, an AVX-512 one that builds the panels that cross
 * output rows or image edges from masked loads (one per panel row at
 * stride 1 with W_out = W, one per output row crossed at strides 1 and 2)
 * or gathers, and an AVX2 one that does the same with masked loads. */
#ifndef CONVBENCH_IM2COL_PACK_H
#define CONVBENCH_IM2COL_PACK_H

#include <stdbool.h>
#include <stdint.h>

#include "layer.h"

/* Where tap k reads, precomputed so that packing needs no division per row. */
struct im2col_tap {
    int64_t plane;        /* c * H * W */
    int64_t row;          /* kh * Dh - Ph: ih = oh * Sh + row */
    int64_t column;       /* kw * Dw - Pw: iw = ow * Sw + column */
    int64_t ow_lo, ow_hi; /* the outputs whose iw is inside the input */
    int64_t offset;       /* plane + row * W + column: at stride 1 with W_out = W, output
                             n reads input element n + offset, where it is inside */
};

/* The table for the C_in/G * Kh * Kw reduction indices of a layer (malloc'd). */
struct im2col_tap *im2col_taps(const struct conv_layer *l);

struct im2col_source {
    const struct conv_layer *layer;
    const struct im2col_tap *taps;
    const float *in; /* the group's first input channel */
};

/* Columns n0 .. n0 + cols of rows k0 .. k0 + kc, packed k-major into an
 * nr-wide panel (context: a struct im2col_source). */
void im2col_pack(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols, int nr,
                 float *panel);

/* The same for nr = 32 on AVX-512 CPUs, when im2col_pack_avx512_usable. */
void im2col_pack_avx512(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols,
                        int nr, float *panel);
bool im2col_pack_avx512_usable(const struct conv_layer *l, int nr);

/* The same for nr = 16 on AVX2 CPUs, when im2col_pack_avx2_usable. */
void im2col_pack_avx2(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols,
                      int nr, float *panel);
bool im2col_pack_avx2_usable(const struct conv_layer *l, int nr);

#endif
