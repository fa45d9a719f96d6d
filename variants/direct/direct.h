/* Direct convolution on channel-blocked tensors (nChw16c on AVX-512, nChw8c
 * on AVX2 and in portable C): a vector holds one pixel's channels of a
 * block, so a regular layer's inner step is a broadcast of one input value
 * against the weights of whole output blocks, and a depthwise layer's is one
 * multiply of a pixel's channels by their taps.
 *
 * The kernels are tiles: a run of pixels along an output row (or two whole
 * short rows) times one to four output blocks (regular), or a run of pixels
 * of one block (depthwise), each compiled for its size so that the
 * accumulators stay in registers.
 * One file per kernel family and ISA (conv-tile__*.c, dw-tile__*.c), the
 * variant that drives them in direct.c. Exposed so that tests can run every
 * kernel set the CPU can, not only the one dispatch picks. */
#ifndef CONVBENCH_DIRECT_H
#define CONVBENCH_DIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "layer.h"
#include "variant.h"

/* Tiles of 1, 2 or 4 output blocks (index 0, 1, 2), up to DIRECT_P_MAX pixels. */
#define DIRECT_KB_CHOICES 3
#define DIRECT_P_MAX 14

/* Pixels at each end of a row that edge masks can cover. */
#define DIRECT_EDGE_PIXELS 2

static inline int direct_kb_of(int choice)
{
    return 1 << choice;
}

/* One tile of a regular (or grouped, or pointwise) convolution: P pixels
 * of one output row times KB output blocks, over the whole reduction. */
struct direct_conv_tile {
    /* the input row of tap row kh0, of the tile's first channel block
     * (blocked tiles) or channel (plain tiles); the first pixel's tap
     * column 0 is first_col floats from it (before it where that tap is
     * padding), tap column kw kw_offset[kw] further */
    const float *in;
    ptrdiff_t first_col;
    ptrdiff_t cb_stride;        /* to the next input channel block / channel */
    ptrdiff_t kh_stride;        /* from tap row kh to kh + 1 */
    const ptrdiff_t *kw_offset; /* kernel_w entries */
    /* edge tiles: the tap columns (bit kw) the first two and the last two
     * pixels read ([0]: the first, the last), the others being padding */
    uint64_t first_taps[DIRECT_EDGE_PIXELS], last_taps[DIRECT_EDGE_PIXELS];
    int64_t cb;                 /* channel blocks (blocked) or channels (plain) */
    int kh0, kh1;               /* the tap rows inside the input */
    int kernel_h, kernel_w;
    /* packed weights of the tile's blocks: [cb][kernel_h][kernel_w][c][KB][block],
     * c running over a block's channels (blocked) or one channel (plain) */
    const float *w;
    const float *bias; /* KB x block values, or NULL */
    /* tiles of two rows: from the first row's input to the second's */
    ptrdiff_t pair_stride;
    float *out;        /* the tile's first pixel in its first output block */
    ptrdiff_t out_block_stride;
    bool accumulate;   /* add to what out holds (a later part of the reduction) */
};
typedef void (*direct_conv_tile_fn)(const struct direct_conv_tile *t);

struct direct_conv_tiles {
    int p_max[DIRECT_KB_CHOICES];    /* the widest tile per choice of KB */
    /* [pixel stride 1 or 2][KB choice][P], for input blocked like the
     * output or plain NCHW (few channels): read unchecked, or (the edges
     * tables, for a row's first and last tile) with the first two and last
     * two pixels skipping the tap columns their masks leave out */
    direct_conv_tile_fn blocked[2][DIRECT_KB_CHOICES][DIRECT_P_MAX + 1];
    direct_conv_tile_fn blocked_edges[2][DIRECT_KB_CHOICES][DIRECT_P_MAX + 1];
    direct_conv_tile_fn plain[2][DIRECT_KB_CHOICES][DIRECT_P_MAX + 1];
    direct_conv_tile_fn plain_edges[2][DIRECT_KB_CHOICES][DIRECT_P_MAX + 1];
    /* blocked input, two whole output rows of P / 2 pixels (P even, NULL
     * for odd P): [pixel stride 1 or 2][KB choice][P], unchecked and with
     * each row's edge masks */
    direct_conv_tile_fn pairs[2][DIRECT_KB_CHOICES][DIRECT_P_MAX + 1];
    direct_conv_tile_fn pairs_edges[2][DIRECT_KB_CHOICES][DIRECT_P_MAX + 1];
};

/* A run of output pixels of one channel block of a depthwise layer. */
struct direct_dw_tile {
    /* tiles: the input row of tap row kh0; the first pixel's tap column 0
     * at first_col floats from it (before it where that tap is padding),
     * tap rows row_stride floats apart, tap columns kw_stride, consecutive
     * pixels stride_w blocks apart */
    const float *in;
    ptrdiff_t first_col, row_stride, kw_stride;
    int kh0, kh1; /* the tap rows inside the input, the same for each row */
    /* tiles: `rows` output rows, out_rows floats apart in the output and
     * in_rows in the input */
    int rows;
    ptrdiff_t in_rows, out_rows;
    int kernel_w;
    /* the block's taps, [kernel_h][kernel_w][block]; wt_row = kernel_w x block */
    const float *wt;
    ptrdiff_t wt_row;
    /* edge tiles: the tap columns (bit kw) the first two and the last two
     * pixels read, as for the plain regular tiles */
    uint64_t first_taps[DIRECT_EDGE_PIXELS], last_taps[DIRECT_EDGE_PIXELS];
    const float *bias; /* block values, or NULL */
    float *out;        /* the first pixel */
    int64_t stride_w;
    /* the edge function: `pixels` pixels of the plane (w pixels a row), tap
     * (0, 0) of the first at (ih0, iw0), padding included; with channel
     * multiplier m, lane j of the output block reads lane lane0 + j / m of
     * the input */
    const float *plane;
    int64_t w, ih0, iw0;
    int64_t dilation_h, dilation_w;
    int pixels, multiplier, lane0;
    /* the 3x3 tiles at stride S: R output rows of P pixels from input
     * rows ih0 .. ih0 + (R - 1) S + 2 and columns iw0 .. iw0 + (P - 1) S + 2
     * of the plane (h rows), those outside it read as zeros; out and
     * out_rows as for the tiles */
    int64_t h;
};
typedef void (*direct_dw_tile_fn)(const struct direct_dw_tile *t);

/* Output rows a 3x3 depthwise tile takes at most. */
#define DIRECT_DW3_ROWS 2

/* Interior tiles are compiled for pixel strides 1 and 2 and for any. */
enum { DIRECT_DW_S1, DIRECT_DW_S2, DIRECT_DW_ANY, DIRECT_DW_STRIDES };

struct direct_dw_tiles {
    int p_max;
    /* [stride class][P]: every tap of every pixel inside the input */
    direct_dw_tile_fn interior[DIRECT_DW_STRIDES][DIRECT_P_MAX + 1];
    /* the same where the first and the last two pixels skip the tap
     * columns their masks leave out (at most 64 columns) */
    direct_dw_tile_fn edges[DIRECT_DW_STRIDES][DIRECT_P_MAX + 1];
    /* any pixels: taps outside the input skipped, any multiplier */
    direct_dw_tile_fn edge;
    /* 3x3, stride 1 or 2, undilated, padding of at most 1: [stride - 1][R][P]
     * for R output rows of P pixels (R from 1 to DIRECT_DW3_ROWS, P up to
     * p3_max), each input vector loaded once for every output it feeds, the
     * nine weights held in registers; p3_max 0 where the ISA has no such
     * tiles */
    int p3_max;
    direct_dw_tile_fn tiles3x3[2][DIRECT_DW3_ROWS + 1][DIRECT_P_MAX + 1];
};

/* conv-tile__{avx512,avx2,c}.c, dw-tile__{avx512,avx2,c}.c */
extern const struct direct_conv_tiles direct_conv_tiles__avx512, direct_conv_tiles__avx2,
    direct_conv_tiles__c;
extern const struct direct_dw_tiles direct_dw_tiles__avx512, direct_dw_tiles__avx2,
    direct_dw_tiles__c;

struct direct_kernel {
    const char *name;
    enum cpu_isa isa;
    int block;
    const char *layout; /* the blocked layout's name, e.g. "nChw16c" */
    const struct direct_conv_tiles *conv;
    const struct direct_dw_tiles *dw;
};

/* Every kernel set built, widest first; those whose ISA the CPU lacks are
 * listed but must not be used (cpu_has_isa tells). */
extern const struct direct_kernel *const direct_kernels[];
extern const size_t direct_kernel_count;

/* The variant's plan with a given kernel set (tests run each). */
enum conv_status direct_plan_with(const struct direct_kernel *k, const struct conv_layer *l,
                                  const float *weights, const float *bias, int threads,
                                  void **state, const char **why);

#endif
