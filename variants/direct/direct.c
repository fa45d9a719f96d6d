/* direct-blocked: convbench's own direct convolution on channel-blocked
 * tensors (see direct.h for the tiles).
 *
 *   - Tensors are N x ceil(C / B) x H x W x B (nChw16c, nChw8c), channels
 *     past C zero. A layer with fewer input channels than a block (an RGB
 *     first layer) reads plain NCHW instead of wasting most of each vector.
 *     load_input and store_output convert from and to NCHW, untimed and
 *     reported.
 *   - Regular, pointwise and grouped layers (group widths multiples of B):
 *     output rows are cut into tiles of P pixels x KB output blocks, P and
 *     KB chosen in plan from the row length; rows no wider than half a
 *     tile go two to a tile where both read the same tap rows. The tiles
 *     read the input in place at strides 1 and 2 where the padding reaches
 *     only a row's first and last two pixels, which skip those taps by
 *     mask; input read with a larger stride or wider padding is first
 *     copied, by each thread into a band of its own (in the timed run),
 *     with zero columns for the padding and the columns of a stride split
 *     by phase, so that every tile reads consecutive pixels. A stride-1
 *     pointwise layer is one long row per image.
 *   - Weights that fit the L2: the reduction runs in parts whose weights
 *     stay in L1 while a work unit's tiles go by, and rows of 8 pixels or
 *     fewer are grouped so that a part's weights serve several rows.
 *     Larger weights: each output-block tile's weights stay in the L2
 *     while every row goes by, and a tile takes the whole reduction.
 *   - Depthwise layers: one block of channels per vector, so no lane waits
 *     on a narrow plane; interior tiles unchecked, a row's first and last
 *     two pixels skipping their padded taps by mask, wider padding and
 *     channel multipliers through a function that checks every tap.
 *   - Weights are packed once in plan, in the order the tiles read them.
 *   - OpenMP over (image, row group, output-block tile) for regular
 *     layers, or (output-block tile, image, row group) where the weights
 *     are larger than the L2; (image, block, rows) for depthwise ones; each
 *     thread a contiguous run so that rows and weights stay in its caches. */
#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "direct.h"
#include "phases.h"
#include "tensor.h"

const struct direct_kernel direct_kernel__avx512 = {
    "avx512", CPU_ISA_AVX512, 16, "nChw16c", &direct_conv_tiles__avx512, &direct_dw_tiles__avx512,
};
const struct direct_kernel direct_kernel__avx2 = {
    "avx2", CPU_ISA_AVX2_FMA, 8, "nChw8c", &direct_conv_tiles__avx2, &direct_dw_tiles__avx2,
};
const struct direct_kernel direct_kernel__c = {
    "c", CPU_ISA_GENERIC, 8, "nChw8c", &direct_conv_tiles__c, &direct_dw_tiles__c,
};

const struct direct_kernel *const direct_kernels[] = {
#if defined(__x86_64__)
    &direct_kernel__avx512, &direct_kernel__avx2,
#endif
    &direct_kernel__c};
const size_t direct_kernel_count = sizeof direct_kernels / sizeof direct_kernels[0];

/* The widest kernel set the CPU runs (the last, portable C, runs anywhere). */
static const struct direct_kernel *pick_kernel(void)
{
    const struct direct_kernel *const *k = direct_kernels;
    while (!cpu_has_isa((*k)->isa))
        k++;
    return *k;
}

/* ---- planning arithmetic (plan and memory share it) -------------------- */

/* KB output blocks from kb0 on, reading input blocks (or channels) from cb0 on. */
struct ko_tile {
    int64_t kb0, cb0;
    int choice; /* KB = direct_kb_of(choice) */
    size_t w_offset;
};

struct geometry {
    struct conv_layer run;  /* the layer as the tiles see it (pointwise rows flattened) */
    int block;
    bool depthwise, plain; /* plain: NCHW input, one channel per reduction step */
    int64_t cb_in, cb_out; /* blocks of input and output channels */
    int64_t cper;          /* channels per input step: block or 1 */
    int64_t steps;         /* input blocks (or channels) a tile reduces over */
    int64_t steps_in;      /* input blocks (or channels) in all */
    /* regular layers */
    int64_t group_blocks; /* output blocks per group */
    int kb_choice;        /* the widest tile's KB (direct_kb_of) */
    int64_t ko_tiles, row_tiles;
    int64_t chunk;        /* input blocks (or channels) per part of the reduction */
    /* output rows per work unit, and the input rows they read (the band's
     * rows per input block) */
    int64_t group_rows, row_groups, rows_in;
    bool ko_major;        /* units by output-block tile, then row group */
    bool row_pairs;       /* rows of a group reading the same tap rows go two a tile */
    int pixels;           /* P */
    bool band;       /* rows copied into per-thread bands: padded, phase-split */
    int64_t band_w;  /* columns per phase of a band row */
    size_t band_row; /* floats of one band row (all phases) */
    uint64_t phases_read; /* the column phases some tap reads (bit phase) */
    size_t band_floats;
    /* the output columns [edge_lo, edge_hi) whose taps all fall inside
     * the input; with edge_masks, only the first and the last two columns
     * reach into the padding, reading the taps (bit kw) of their masks,
     * and each of them is within two pixels of its tile's end */
    int64_t edge_lo, edge_hi;
    bool edge_masks;
    uint64_t first_taps[DIRECT_EDGE_PIXELS], last_taps[DIRECT_EDGE_PIXELS];
    /* depthwise layers: output rows per work unit; dw3: 3x3 tiles (stride
     * 1 or 2) of up to DIRECT_DW3_ROWS rows */
    int64_t chunk_rows, chunks;
    bool dw3;
    size_t weight_floats;
};

/* The KB of the output-block tile that starts at block b of a group. */
static int tile_choice(const struct geometry *g, int64_t b)
{
    int c = g->kb_choice;
    while (direct_kb_of(c) > g->group_blocks - b)
        c--;
    return c;
}

/* Input rows that rows consecutive output rows read, padding included. */
static int64_t rows_needed(const struct conv_layer *r, int64_t rows)
{
    return (rows - 1) * r->stride_h + (r->kernel_h - 1) * r->dilation_h + 1;
}

/* Blocks of channels, rounded up. */
static int64_t blocks(int64_t channels, int block)
{
    return (channels + block - 1) / block;
}

/* Rows of the band (padded, phase-split) of a layer's input rows. */
static void plan_band(const struct conv_layer *r, struct geometry *g)
{
    g->phases_read = 0;
    for (int64_t kw = 0; kw < r->kernel_w; kw++)
        if (kw * r->dilation_w % r->stride_w < 64)
            g->phases_read |= UINT64_C(1) << (kw * r->dilation_w % r->stride_w);
    const int64_t padded = r->pad_w + r->w_in + r->pad_right;
    g->band_w = (padded + r->stride_w - 1) / r->stride_w;
    g->band_row = (size_t)(r->stride_w * g->band_w * g->cper);
}

/* Row tile i of a row of w pixels in tiles of P: its first pixel and its
 * width (the last tile takes what is left; tiles never overlap, since
 * regular tiles add to what an earlier part of the reduction stored). */
static int64_t tile_span(int64_t i, int64_t P, int64_t w, int *width)
{
    *width = (int)(w - i * P < P ? w - i * P : P);
    return i * P;
}

/* The output columns [edge_lo, edge_hi) whose taps all fall inside the
 * input, the taps (bit kw) the first and the last two columns read, and
 * whether the row's tiles (row_tiles of `pixels`) can cover the rest with
 * masks. */
static void plan_edges(const struct conv_layer *l, struct geometry *g)
{
    const int64_t S = l->stride_w, reach = (l->kernel_w - 1) * l->dilation_w, W = l->w_out;
    g->edge_lo = (l->pad_w + S - 1) / S;
    g->edge_hi = l->w_in - 1 - reach + l->pad_w < 0 ? 0 : (l->w_in - 1 - reach + l->pad_w) / S + 1;
    if (g->edge_hi > W)
        g->edge_hi = W;
    if (g->edge_lo > g->edge_hi)
        g->edge_lo = g->edge_hi;
    for (int j = 0; j < DIRECT_EDGE_PIXELS; j++) {
        g->first_taps[j] = g->last_taps[j] = 0;
        for (int64_t kw = 0; kw < l->kernel_w && kw < 64; kw++) {
            const int64_t first = j * S + kw * l->dilation_w - l->pad_w,
                          last = (W - 1 - j) * S + kw * l->dilation_w - l->pad_w;
            g->first_taps[j] |= (uint64_t)(first >= 0 && first < l->w_in) << kw;
            g->last_taps[j] |= (uint64_t)(last >= 0 && last < l->w_in) << kw;
        }
    }
    /* masks apply to the first tile's first two pixels and the last tile's
     * last two: every column that reaches into the padding must be one of
     * those, in every tile that covers it */
    g->edge_masks = l->kernel_w <= 64;
    for (int64_t i = 0; i < g->row_tiles && g->edge_masks; i++) {
        int P;
        const int64_t ow = tile_span(i, g->pixels, W, &P);
        for (int64_t p = 0; p < P; p++) {
            const int64_t c = ow + p;
            if (c >= g->edge_lo && c < g->edge_hi)
                continue;
            const bool first = ow == 0 && p < DIRECT_EDGE_PIXELS && c < g->edge_lo,
                       last = ow + P == W && P - 1 - p < DIRECT_EDGE_PIXELS && c >= g->edge_hi;
            g->edge_masks &= first || last;
        }
    }
}

/* The masks for the tile of P pixels at ow: the row's where it holds its
 * first or last pixels, else every tap. */
static void tile_masks(const struct geometry *g, int64_t ow, int P, int64_t w, uint64_t *first,
                       uint64_t *last)
{
    for (int j = 0; j < DIRECT_EDGE_PIXELS; j++) {
        first[j] = ow == 0 && g->edge_masks ? g->first_taps[j] : UINT64_MAX;
        last[j] = ow + P == w && g->edge_masks ? g->last_taps[j] : UINT64_MAX;
    }
}

/* Depthwise: the edges, and units enough for the threads. */
static void plan_depthwise(const struct conv_layer *l, const struct direct_kernel *k,
                           int threads, struct geometry *g)
{
    g->cper = g->block;
    g->dw3 = k->dw->p3_max > 0 && l->c_out == l->c_in && l->kernel_h == 3 && l->kernel_w == 3 &&
             l->stride_h == l->stride_w && l->stride_w <= 2 && l->dilation_h == 1 &&
             l->dilation_w == 1 && l->pad_h <= 1 && l->pad_w <= 1 && l->pad_bottom <= 1 &&
             l->pad_right <= 1;
    const int p_max = g->dw3 ? k->dw->p3_max : k->dw->p_max;
    g->row_tiles = (l->w_out + p_max - 1) / p_max;
    g->pixels = (int)((l->w_out + g->row_tiles - 1) / g->row_tiles);
    plan_edges(l, g);
    if (l->c_out != l->c_in) {
        /* the edge function spreads the lanes */
        g->edge_lo = g->edge_hi = l->w_out;
        g->edge_masks = false;
    }
    const int64_t planes = l->batch * g->cb_out, want = 4 * (int64_t)threads;
    g->chunks = 1;
    while (planes * g->chunks < want && g->chunks < l->h_out)
        g->chunks++;
    g->chunk_rows = (l->h_out + g->chunks - 1) / g->chunks;
    if (g->dw3) /* whole tiles of rows */
        g->chunk_rows = (g->chunk_rows + DIRECT_DW3_ROWS - 1) / DIRECT_DW3_ROWS * DIRECT_DW3_ROWS;
    g->chunks = (l->h_out + g->chunk_rows - 1) / g->chunk_rows;
}

static void plan_geometry(const struct conv_layer *l, const struct direct_kernel *k, int threads,
                          struct geometry *g)
{
    const int B = k->block;
    *g = (struct geometry){.run = *l, .block = B};
    g->depthwise = l->groups == l->c_in && l->groups > 1;
    g->plain = l->groups == 1 && l->c_in < B;
    g->cb_in = blocks(l->c_in, B);
    g->cb_out = blocks(l->c_out, B);
    const int64_t taps = l->kernel_h * l->kernel_w;
    if (g->depthwise) {
        g->weight_floats = (size_t)(g->cb_out * taps * B);
        plan_depthwise(l, k, threads, g);
        return;
    }
    struct conv_layer *r = &g->run;
    if (taps == 1 && l->stride_h == 1 && l->stride_w == 1 && !l->pad_h && !l->pad_w &&
        !l->pad_bottom && !l->pad_right) {
        /* a pointwise layer maps each pixel on its own: one row per image */
        r->w_in = r->w_out = l->h_in * l->w_in;
        r->h_in = r->h_out = 1;
    }
    g->cper = g->plain ? 1 : B;
    g->steps_in = g->plain ? l->c_in : g->cb_in;
    g->steps = g->plain ? l->c_in : l->groups == 1 ? g->cb_in : l->c_in / l->groups / B;
    g->group_blocks = l->groups == 1 ? g->cb_out : l->c_out / l->groups / B;
    /* KB: two blocks where the row gives enough pixels for the FMA
     * latency; four on short rows (7x7 planes, 1x1 classifiers), and on
     * plain input with a short reduction (an RGB 3x3 layer: 27 steps a
     * tile), where loading the input and storing the output weigh more than
     * the FMAs and each broadcast then serves four blocks */
    const bool short_plain = g->plain && l->c_in * l->kernel_h * l->kernel_w <= 32 &&
                             k->conv->p_max[2] >= 6; /* not AVX2's 2-pixel four-block tiles */
    g->kb_choice = g->group_blocks >= 2 ? 1 : 0;
    if (g->group_blocks >= 4 && (r->w_out < 7 || short_plain))
        g->kb_choice = 2;
    const int p_max = k->conv->p_max[g->kb_choice];
    g->row_tiles = (r->w_out + p_max - 1) / p_max;
    g->pixels = (int)((r->w_out + g->row_tiles - 1) / g->row_tiles);
    /* a group's last tile takes the widest KB its remaining blocks fill */
    int64_t tiles = 0;
    for (int64_t b = 0; b < g->group_blocks; tiles++)
        b += direct_kb_of(tile_choice(g, b));
    g->ko_tiles = tiles * l->groups;
    g->weight_floats = (size_t)(g->cb_out * B) * (size_t)(g->steps * g->cper * taps);
    /* the input is read in place where its stride along the row is 1 or 2
     * (the tiles' constant pixel strides) and its padding, if any, reaches
     * only a row's first and last two pixels (the edge tiles mask them) */
    plan_edges(r, g);
    g->band = r->stride_w > 2 || ((r->pad_w > 0 || r->pad_right > 0) && !g->edge_masks);
    const size_t l1 = cpu_cache_size(1) ? cpu_cache_size(1) : (size_t)32 << 10;
    const size_t l2 = cpu_cache_size(2) ? cpu_cache_size(2) : (size_t)512 << 10;
    /* Weights beyond the L2 would stream from farther out for every row
     * group if the units ran row by row: the units then run output-block
     * tile by tile, each tile's weights staying in the L2 while its rows go
     * by, one row a unit (short rows that pair: a group of them), and a
     * tile takes the whole reduction (a part's weights in the L1 would have
     * no other tile to serve). A band is filled per row group, so banded
     * layers keep the row order. */
    g->ko_major = !g->band && g->weight_floats * sizeof(float) > l2;
    /* Rows no wider than half the widest tile (the 7x7 planes of a
     * network's last stage) go two to a tile where both read the same tap
     * rows, so that each weight vector serves twice the pixels. */
    g->row_pairs = !g->band && !g->plain && g->row_tiles == 1 && r->h_out > 1 &&
                   2 * r->w_out <= k->conv->p_max[g->kb_choice];
    /* Output rows per work unit, in row order. A short row (7x7 planes) is
     * one tile that would stream its weights from L2 for a few pixels: a
     * unit then takes up to 8 rows, whose input stays within half the L2
     * while one part of the reduction's weights serves them all. Longer
     * rows keep one row per unit, whose input stays in the nearer caches
     * while the output-block tiles go by. */
    const size_t row_bytes = (size_t)((r->pad_w + r->w_in + r->pad_right) * g->cper *
                                      g->steps_in) * sizeof(float);
    g->group_rows = 1;
    while ((!g->ko_major || g->row_pairs) && r->w_out <= 8 && g->group_rows < r->h_out &&
           g->group_rows < 8 &&
           (size_t)rows_needed(r, g->group_rows + 1) * row_bytes <= l2 / 2 &&
           l->batch * ((r->h_out + g->group_rows) / (g->group_rows + 1)) * g->ko_tiles >=
               2 * (int64_t)threads)
        g->group_rows++;
    /* as many rows in each group as the groups need, so that they are even */
    g->row_groups = (r->h_out + g->group_rows - 1) / g->group_rows;
    g->group_rows = (r->h_out + g->row_groups - 1) / g->row_groups;
    g->rows_in = rows_needed(r, g->group_rows);
    /* in row order, the weights of one part of the reduction fill at most
     * half the L1; with a single tile per unit there is nothing to share
     * them with */
    const size_t step_bytes = (size_t)(l->kernel_h * l->kernel_w * g->cper * B) *
                              (size_t)direct_kb_of(g->kb_choice) * sizeof(float);
    g->chunk = !g->ko_major && g->group_rows * g->row_tiles > 1 ? (int64_t)(l1 / 2 / step_bytes)
                                                                 : g->steps;
    if (g->chunk < 1)
        g->chunk = 1;
    if (g->chunk > g->steps)
        g->chunk = g->steps;
    if (g->band) {
        plan_band(r, g);
        g->band_floats = g->band_row * (size_t)(g->rows_in * g->steps_in);
    }
}

/* ---- the variant -------------------------------------------------------- */

struct direct_state {
    struct conv_layer layer; /* as given */
    struct geometry g;
    const struct direct_kernel *k;
    int threads;
    float *in_buf;  /* blocked input (NULL for plain input: the caller's is read) */
    float *out_buf; /* blocked output */
    float *weights, *bias;
    struct ko_tile *tiles;
    ptrdiff_t *kw_offset;
    float *bands; /* threads x band_floats, one band per thread */
    char describe[128];
};

static void direct_destroy(void *state)
{
    struct direct_state *s = state;
    if (s)
        FREE_ALL(s->in_buf, s->out_buf, s->weights, s->bias, s->tiles, s->kw_offset, s->bands);
    free(s);
}

static _Thread_local char why_text[128];

static enum conv_status supports_with(const struct direct_kernel *k, const struct conv_layer *l,
                                      const char **why)
{
    const int B = k->block;
    if (l->groups == 1)
        return CONV_OK;
    if (l->groups == l->c_in) {
        const int64_t m = l->c_out / l->c_in;
        if (B % m == 0)
            return CONV_OK;
        snprintf(why_text, sizeof why_text,
                 "depthwise multiplier %lld does not divide the %d-channel block",
                 (long long)m, B);
        *why = why_text;
        return CONV_UNSUPPORTED;
    }
    const int64_t gi = l->c_in / l->groups, go = l->c_out / l->groups;
    if (gi % B == 0 && go % B == 0)
        return CONV_OK;
    snprintf(why_text, sizeof why_text,
             "groups of %lld in and %lld out channels are not whole %d-channel blocks",
             (long long)gi, (long long)go, B);
    *why = why_text;
    return CONV_UNSUPPORTED;
}

static enum conv_status direct_supports(const struct conv_layer *l, const char **why)
{
    return supports_with(pick_kernel(), l, why);
}

/* Regular weights (C_out x C_in/G x Kh x Kw) into the tiles' order. */
static void pack_regular(struct direct_state *s, const float *w)
{
    const struct conv_layer *l = &s->layer;
    const struct geometry *g = &s->g;
    const int B = g->block;
    const int64_t gi = l->c_in / l->groups, Kh = l->kernel_h, Kw = l->kernel_w;
    for (int64_t t = 0; t < g->ko_tiles; t++) {
        const struct ko_tile *tile = &s->tiles[t];
        const int KB = direct_kb_of(tile->choice);
        float *dst = s->weights + tile->w_offset;
        for (int64_t step = 0; step < g->steps; step++)
            for (int64_t kh = 0; kh < Kh; kh++)
                for (int64_t kw = 0; kw < Kw; kw++)
                    for (int64_t c = 0; c < g->cper; c++)
                        for (int kb = 0; kb < KB; kb++)
                            for (int lane = 0; lane < B; lane++) {
                                const int64_t co = (tile->kb0 + kb) * B + lane;
                                /* the channel within the group */
                                const int64_t ci = step * g->cper + c;
                                *dst++ = co < l->c_out && ci < gi
                                             ? w[((co * gi + ci) * Kh + kh) * Kw + kw]
                                             : 0.0f;
                            }
    }
}

static void plan_tiles(struct direct_state *s)
{
    const struct conv_layer *l = &s->layer;
    const struct geometry *g = &s->g;
    const int B = g->block;
    const int64_t group_steps = l->groups == 1 ? 0 : g->steps;
    const size_t tap_floats = (size_t)(g->steps * g->cper * l->kernel_h * l->kernel_w);
    size_t offset = 0;
    int64_t n = 0;
    for (int64_t grp = 0; grp < l->groups; grp++)
        for (int64_t b = 0; b < g->group_blocks;) {
            const int c = tile_choice(g, b);
            s->tiles[n++] =
                (struct ko_tile){grp * g->group_blocks + b, grp * group_steps, c, offset};
            offset += (size_t)(direct_kb_of(c) * B) * tap_floats;
            b += direct_kb_of(c);
        }
}

static void pack_depthwise(struct direct_state *s, const float *w)
{
    const struct conv_layer *l = &s->layer;
    const int B = s->g.block;
    const int64_t taps = l->kernel_h * l->kernel_w;
    for (int64_t ob = 0; ob < s->g.cb_out; ob++)
        for (int64_t t = 0; t < taps; t++)
            for (int lane = 0; lane < B; lane++) {
                const int64_t co = ob * B + lane;
                s->weights[(ob * taps + t) * B + lane] = co < l->c_out ? w[co * taps + t] : 0.0f;
            }
}

enum conv_status direct_plan_with(const struct direct_kernel *k, const struct conv_layer *l,
                                  const float *weights, const float *bias, int threads,
                                  void **state, const char **why)
{
    enum conv_status supported = supports_with(k, l, why);
    if (supported != CONV_OK)
        return supported;
    struct direct_state *s = calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->layer = *l;
    s->k = k;
    s->threads = threads;
    plan_geometry(l, k, threads, &s->g);
    const struct geometry *g = &s->g;
    const int B = k->block;
    const size_t out_floats = (size_t)(l->batch * g->cb_out * l->h_out * l->w_out * B);
    s->out_buf = tensor_alloc(out_floats, sizeof(float));
    s->weights = tensor_alloc(g->weight_floats, sizeof(float));
    s->bias = tensor_alloc((size_t)(g->cb_out * B), sizeof(float));
    if (!s->out_buf || !s->weights || !s->bias)
        goto oom;
    for (int64_t c = 0; c < g->cb_out * B; c++)
        s->bias[c] = bias && c < l->c_out ? bias[c] : 0.0f;
    if (!g->plain) {
        const size_t in_floats = (size_t)(l->batch * g->cb_in * l->h_in * l->w_in * B);
        s->in_buf = tensor_alloc(in_floats, sizeof(float));
        if (!s->in_buf)
            goto oom;
        tensor_fill(s->in_buf, in_floats, 0.0f);
    }
    if (g->depthwise) {
        pack_depthwise(s, weights);
    } else {
        s->tiles = malloc((size_t)g->ko_tiles * sizeof *s->tiles);
        s->kw_offset = malloc((size_t)l->kernel_w * sizeof *s->kw_offset);
        if (!s->tiles || !s->kw_offset)
            goto oom;
        plan_tiles(s);
        pack_regular(s, weights);
        /* tap column kw from column 0: in the band, its phase and position */
        const struct conv_layer *r = &g->run;
        for (int64_t kw = 0; kw < r->kernel_w; kw++) {
            const int64_t x = kw * r->dilation_w;
            s->kw_offset[kw] = (ptrdiff_t)(g->cper * (g->band ? x % r->stride_w * g->band_w +
                                                                   x / r->stride_w
                                                              : x));
        }
    }
    if (g->band_floats) {
        /* zeroed once: the runs write only the columns inside the input */
        s->bands = tensor_alloc(g->band_floats * (size_t)threads, sizeof(float));
        if (!s->bands)
            goto oom;
        tensor_fill(s->bands, g->band_floats * (size_t)threads, 0.0f);
    }
    if (g->dw3)
        snprintf(s->describe, sizeof s->describe,
                 "%s depthwise, 3x3 tiles of %d rows x %d pixels", k->name, DIRECT_DW3_ROWS,
                 g->pixels);
    else if (g->depthwise)
        snprintf(s->describe, sizeof s->describe, "%s depthwise, %d-pixel tiles", k->name,
                 g->pixels);
    else
        snprintf(s->describe, sizeof s->describe,
                 "%s %s, %dx%d tiles, %lld rows x %lld blocks per part%s%s%s", k->name,
                 g->plain ? "plain-input" : "blocked", g->pixels, direct_kb_of(g->kb_choice),
                 (long long)g->group_rows, (long long)g->chunk, g->band ? ", band" : "",
                 g->ko_major ? ", by output-block tile" : "",
                 g->row_pairs ? ", rows in pairs" : "");
    *state = s;
    return CONV_OK;
oom:
    direct_destroy(s);
    *why = "out of memory";
    return CONV_ERROR;
}

static enum conv_status direct_plan(const struct conv_layer *l, const float *weights,
                                    const float *bias, int threads, void **state,
                                    const char **why)
{
    return direct_plan_with(pick_kernel(), l, weights, bias, threads, state, why);
}

/* ---- conversions -------------------------------------------------------- */

static enum conv_status direct_load_input(void *state, const float *in)
{
    const struct direct_state *s = state;
    const struct conv_layer *l = &s->layer;
    if (s->g.plain)
        return CONV_OK; /* the tiles read NCHW */
    const int B = s->g.block;
    const int64_t hw = l->h_in * l->w_in, cb_in = s->g.cb_in;
    #pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int64_t nb = 0; nb < l->batch * cb_in; nb++) {
        const int64_t n = nb / cb_in, c0 = nb % cb_in * B;
        float *dst = s->in_buf + nb * hw * B;
        for (int lane = 0; lane < B && c0 + lane < l->c_in; lane++) {
            const float *src = in + (n * l->c_in + c0 + lane) * hw;
            for (int64_t i = 0; i < hw; i++)
                dst[i * B + lane] = src[i];
        }
    }
    return CONV_OK;
}

static enum conv_status direct_store_output(void *state, float *out)
{
    const struct direct_state *s = state;
    const struct conv_layer *l = &s->layer;
    const int B = s->g.block;
    const int64_t hw = l->h_out * l->w_out, cb_out = s->g.cb_out;
    #pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int64_t nb = 0; nb < l->batch * cb_out; nb++) {
        const int64_t n = nb / cb_out, c0 = nb % cb_out * B;
        const float *src = s->out_buf + nb * hw * B;
        for (int lane = 0; lane < B && c0 + lane < l->c_out; lane++) {
            float *dst = out + (n * l->c_out + c0 + lane) * hw;
            for (int64_t i = 0; i < hw; i++)
                dst[i] = src[i * B + lane];
        }
    }
    return CONV_OK;
}

/* ---- the run ------------------------------------------------------------ */

/* An input row (w pixels of cper floats) into a band row: the pixel at
 * padded column x = iw + pad goes to phase x % S, position x / S, so that
 * the pixels a tap reads for consecutive outputs of stride S are adjacent.
 * Only the phases some tap reads (bits of `phases`; past 64, all) are
 * copied, and the padding columns are never written. */
static void copy_row(float *dst, const float *src, int64_t w, int64_t pad, int64_t S,
                     int64_t band_w, int64_t cper, uint64_t phases)
{
    if (S == 1) {
        memcpy(dst + pad * cper, src, (size_t)(w * cper) * sizeof(float));
        return;
    }
    for (int64_t phase = 0; phase < S; phase++) {
        if (phase < 64 && !(phases >> phase & 1))
            continue; /* no tap reads it */
        int64_t iw = ((phase - pad) % S + S) % S;
        float *d = dst + (phase * band_w + (iw + pad) / S) * cper;
        const float *from = src + iw * cper;
        const int64_t step = S * cper;
        switch (cper) {
        case 1:
            if (S == 2) /* a constant stride, which the compiler vectorizes */
                for (int64_t j = 0; j < (w - iw + 1) / 2; j++)
                    d[j] = from[2 * j];
            else
                for (; iw < w; iw += S, d++, from += step)
                    *d = *from;
            break;
        case 8:
            for (; iw < w; iw += S, d += 8, from += step)
                memcpy(d, from, 8 * sizeof(float));
            break;
        case 16:
            for (; iw < w; iw += S, d += 16, from += step)
                memcpy(d, from, 16 * sizeof(float));
            break;
        default:
            for (; iw < w; iw += S, d += cper, from += step)
                memcpy(d, from, (size_t)cper * sizeof(float));
        }
    }
}

/* Whether some tap row of some output row reads input row ih (a stride
 * larger than the kernel's reach skips rows). */
static bool row_is_read(const struct conv_layer *r, int64_t ih)
{
    for (int64_t kh = 0; kh < r->kernel_h; kh++) {
        const int64_t at = ih + r->pad_h - kh * r->dilation_h;
        if (at >= 0 && at % r->stride_h == 0 && at / r->stride_h < r->h_out)
            return true;
    }
    return false;
}

/* The input rows [ih_lo, ih_hi) of image n, every input block (or
 * channel), into the calling thread's band at their padded columns, split
 * by column phase. */
static void fill_band(const struct direct_state *s, const float *in, float *band, int64_t n,
                      int64_t ih_lo, int64_t ih_hi)
{
    const struct conv_layer *r = &s->g.run;
    const int64_t cper = s->g.cper, steps = s->g.steps_in, W = r->w_in;
    for (int64_t ih = ih_lo; ih < ih_hi; ih++) {
        if (!row_is_read(r, ih))
            continue;
        for (int64_t cb = 0; cb < steps; cb++)
            copy_row(band + (size_t)(cb * s->g.rows_in + ih - ih_lo) * s->g.band_row,
                     in + ((n * steps + cb) * r->h_in + ih) * W * cper, W, r->pad_w,
                     r->stride_w, s->g.band_w, cper, s->g.phases_read);
    }
}

/* The input rows output rows [oh0, oh1) read: [*lo, *hi). */
static void rows_read(const struct conv_layer *r, int64_t oh0, int64_t oh1, int64_t *lo,
                      int64_t *hi)
{
    *lo = oh0 * r->stride_h - r->pad_h;
    *hi = (oh1 - 1) * r->stride_h - r->pad_h + (r->kernel_h - 1) * r->dilation_h + 1;
    *lo = *lo < 0 ? 0 : *lo;
    *hi = *hi > r->h_in ? r->h_in : *hi;
    *hi = *hi < *lo ? *lo : *hi;
}

/* Two whole output rows (the second's output right after the first's) in
 * one tile of twice the row's pixels, as run_row takes one. */
static void run_pair(const struct direct_state *s, struct direct_conv_tile *tile,
                     const direct_conv_tile_fn *fns, const direct_conv_tile_fn *edge_fns,
                     float *out_row)
{
    const struct geometry *g = &s->g;
    const struct conv_layer *r = &g->run;
    const bool edge = g->edge_lo > 0 || g->edge_hi < r->w_out;
    tile->first_col = (ptrdiff_t)(-r->pad_w * g->cper);
    tile->out = out_row;
    if (edge)
        tile_masks(g, 0, (int)r->w_out, r->w_out, tile->first_taps, tile->last_taps);
    (edge ? edge_fns : fns)[2 * r->w_out](tile);
}

/* One output row's tiles: tile holds everything but where they read and
 * write along the row. */
static void run_row(const struct direct_state *s, struct direct_conv_tile *tile,
                    const direct_conv_tile_fn *fns, const direct_conv_tile_fn *edge_fns,
                    float *out_row)
{
    const struct geometry *g = &s->g;
    const struct conv_layer *r = &g->run;
    for (int64_t i = 0; i < g->row_tiles; i++) {
        int P;
        const int64_t ow = tile_span(i, g->pixels, r->w_out, &P);
        const bool edge =
            (ow == 0 && g->edge_lo > 0) || (ow + P == r->w_out && g->edge_hi < r->w_out);
        tile->first_col = (ptrdiff_t)((g->band ? ow : ow * r->stride_w - r->pad_w) * g->cper);
        tile->out = out_row + ow * g->block;
        if (edge) /* only the edge tiles read the masks */
            tile_masks(g, ow, P, r->w_out, tile->first_taps, tile->last_taps);
        (edge ? edge_fns : fns)[P](tile);
    }
}

static void run_regular(const struct direct_state *s, const float *in)
{
    const struct geometry *g = &s->g;
    const struct conv_layer *r = &g->run;
    const struct direct_conv_tiles *tiles = s->k->conv;
    const int B = g->block;
    const int64_t T = g->ko_tiles, groups = r->batch * g->row_groups, units = groups * T;
    const ptrdiff_t out_block = (ptrdiff_t)(r->h_out * r->w_out * B);
    /* where the tiles read: the band (rows_in rows per input block) or the
     * input itself */
    const int64_t row_floats = g->band ? (int64_t)g->band_row : r->w_in * g->cper;
    const int64_t block_rows = g->band ? g->rows_in : r->h_in;
    #pragma omp parallel num_threads(s->threads)
    {
        const int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
        const int64_t u0 = units * t / team, u1 = units * (t + 1) / team;
        float *band = g->band ? s->bands + g->band_floats * (size_t)t : NULL;
        int64_t band_of = -1; /* the row group the band holds */
        for (int64_t u = u0; u < u1; u++) {
            const int64_t group = g->ko_major ? u % groups : u / T, n = group / g->row_groups;
            const int64_t oh0 = group % g->row_groups * g->group_rows;
            const int64_t oh1 = oh0 + g->group_rows < r->h_out ? oh0 + g->group_rows : r->h_out;
            const struct ko_tile *kt = &s->tiles[g->ko_major ? u / groups : u % T];
            int64_t ih_lo, ih_hi;
            rows_read(r, oh0, oh1, &ih_lo, &ih_hi);
            const float *src;
            if (g->band) {
                if (band_of != group) {
                    PHASE_BEGIN(PHASE_PACK_B);
                    fill_band(s, in, band, n, ih_lo, ih_hi);
                    PHASE_END();
                    band_of = group;
                }
                src = band + kt->cb0 * block_rows * row_floats;
            } else {
                src = in + ((n * g->steps_in + kt->cb0) * r->h_in + ih_lo) * row_floats;
            }
            struct direct_conv_tile tile = {
                .cb_stride = (ptrdiff_t)(block_rows * row_floats),
                .kh_stride = (ptrdiff_t)(r->dilation_h * row_floats),
                .kw_offset = s->kw_offset,
                .kernel_h = (int)r->kernel_h,
                .kernel_w = (int)r->kernel_w,
                .bias = s->bias + kt->kb0 * B,
                .out_block_stride = out_block,
            };
            /* input read in place reaches into the padding only in the
             * edge tiles, which mask it */
            const int phase = g->band ? 0 : (int)r->stride_w - 1;
            const direct_conv_tile_fn *fns =
                g->plain ? tiles->plain[phase][kt->choice] : tiles->blocked[phase][kt->choice];
            const direct_conv_tile_fn *edge_fns =
                g->band    ? fns
                : g->plain ? tiles->plain_edges[phase][kt->choice]
                           : tiles->blocked_edges[phase][kt->choice];
            const direct_conv_tile_fn *pair_fns = tiles->pairs[phase][kt->choice],
                                      *pair_edge_fns = tiles->pairs_edges[phase][kt->choice];
            tile.pair_stride = (ptrdiff_t)(r->stride_h * row_floats);
            const size_t chunk_weights = (size_t)(r->kernel_h * r->kernel_w * g->cper * B) *
                                         (size_t)direct_kb_of(kt->choice);
            PHASE_BEGIN(PHASE_MICRO_KERNEL);
            /* the reduction in chunks whose weights stay in L1 while the
             * group's tiles go by; later chunks add to what the first stored */
            for (int64_t c0 = 0; c0 < g->steps; c0 += g->chunk) {
                tile.cb = g->steps - c0 < g->chunk ? g->steps - c0 : g->chunk;
                tile.w = s->weights + kt->w_offset + (size_t)c0 * chunk_weights;
                tile.accumulate = c0 > 0;
                for (int64_t oh = oh0, next; oh < oh1; oh = next) {
                    int64_t kh0, kh1;
                    layer_inside_range(oh * r->stride_h - r->pad_h, r->dilation_h, r->h_in,
                                       r->kernel_h, &kh0, &kh1);
                    tile.kh0 = (int)kh0;
                    tile.kh1 = (int)kh1;
                    /* the first row read (none: the tiles are their bias) */
                    const int64_t ih0 =
                        kh0 < kh1 ? oh * r->stride_h - r->pad_h + kh0 * r->dilation_h : ih_lo;
                    tile.in = src + c0 * tile.cb_stride + (ih0 - ih_lo) * row_floats;
                    float *out_row =
                        s->out_buf + ((n * g->cb_out + kt->kb0) * r->h_out + oh) * r->w_out * B;
                    next = oh + 1;
                    if (g->row_pairs && oh + 1 < oh1 && kh0 < kh1) {
                        int64_t k0, k1;
                        layer_inside_range((oh + 1) * r->stride_h - r->pad_h, r->dilation_h,
                                           r->h_in, r->kernel_h, &k0, &k1);
                        if (k0 == kh0 && k1 == kh1)
                            next = oh + 2;
                    }
                    if (next == oh + 2)
                        run_pair(s, &tile, pair_fns, pair_edge_fns, out_row);
                    else
                        run_row(s, &tile, fns, edge_fns, out_row);
                }
            }
            PHASE_END();
        }
    }
}

/* Rows [oh0, oh1) of a depthwise plane in the 3x3 tiles of up to
 * DIRECT_DW3_ROWS rows (t holds the block's plane, weights and bias). */
static void depthwise3x3_rows(const struct direct_state *s, struct direct_dw_tile *t,
                              float *out_plane, int64_t oh0, int64_t oh1)
{
    const struct conv_layer *l = &s->layer;
    const struct geometry *g = &s->g;
    const int64_t S = l->stride_w;
    t->h = l->h_in;
    for (int64_t oh = oh0; oh < oh1; oh += DIRECT_DW3_ROWS) {
        const int R = oh1 - oh < DIRECT_DW3_ROWS ? (int)(oh1 - oh) : DIRECT_DW3_ROWS;
        t->ih0 = oh * S - l->pad_h;
        for (int64_t i = 0; i < g->row_tiles; i++) {
            int P;
            const int64_t ow = tile_span(i, g->pixels, l->w_out, &P);
            t->iw0 = ow * S - l->pad_w;
            t->out = out_plane + (oh * l->w_out + ow) * g->block;
            s->k->dw->tiles3x3[S - 1][R][P](t);
        }
    }
}

/* Rows [oh0, oh1) of a depthwise plane in the tiles that take a tap at a
 * time, and the edge function where those cannot go (t holds the block's
 * plane, weights and bias). */
static void depthwise_tap_rows(const struct direct_state *s, struct direct_dw_tile *tp,
                               float *out_plane, int64_t oh0, int64_t oh1)
{
    const struct conv_layer *l = &s->layer;
    const struct geometry *g = &s->g;
    const struct direct_dw_tiles *dw = s->k->dw;
    const int B = g->block;
    const int64_t m = l->c_out / l->c_in, W = l->w_in, S = l->stride_w;
    const int cls = S == 1 ? DIRECT_DW_S1 : S == 2 ? DIRECT_DW_S2 : DIRECT_DW_ANY;
    struct direct_dw_tile t = *tp;
    for (int64_t oh = oh0, next; oh < oh1; oh = next) {
        int64_t kh0, kh1;
        t.ih0 = oh * l->stride_h - l->pad_h;
        layer_inside_range(t.ih0, l->dilation_h, l->h_in, l->kernel_h, &kh0, &kh1);
        t.kh0 = (int)kh0;
        t.kh1 = (int)kh1;
        float *out_row = out_plane + oh * l->w_out * B;
        if (m > 1) {
            t.out = out_row;
            t.iw0 = -l->pad_w;
            t.pixels = (int)l->w_out;
            dw->edge(&t);
            next = oh + 1;
            continue;
        }
        /* the rows from oh on that read the same tap rows: the tiles take
         * them in one call */
        for (next = oh + 1; next < oh1; next++) {
            int64_t k0, k1;
            layer_inside_range(next * l->stride_h - l->pad_h, l->dilation_h, l->h_in,
                               l->kernel_h, &k0, &k1);
            if (k0 != kh0 || k1 != kh1)
                break;
        }
        t.rows = (int)(next - oh);
        /* the first input row read (any row when none is) */
        const int64_t first = kh0 < kh1 ? t.ih0 + kh0 * l->dilation_h : 0;
        t.in = t.plane + first * W * B;
        if (g->edge_masks) {
            for (int64_t i = 0; i < g->row_tiles; i++) {
                int P;
                const int64_t ow = tile_span(i, g->pixels, l->w_out, &P);
                const bool edge = (ow == 0 && g->edge_lo > 0) ||
                                  (ow + P == l->w_out && g->edge_hi < l->w_out);
                t.first_col = (ptrdiff_t)((ow * S - l->pad_w) * B);
                t.out = out_row + ow * B;
                if (edge)
                    tile_masks(g, ow, P, l->w_out, t.first_taps, t.last_taps);
                (edge ? dw->edges : dw->interior)[cls][P](&t);
            }
            continue;
        }
        for (int64_t ow = g->edge_lo; ow < g->edge_hi;) {
            const int64_t p = g->edge_hi - ow < dw->p_max ? g->edge_hi - ow : dw->p_max;
            t.first_col = (ptrdiff_t)((ow * S - l->pad_w) * B);
            t.out = out_row + ow * B;
            dw->interior[cls][p](&t);
            ow += p;
        }
        /* the pixels whose taps reach into the padding, a row at a time */
        for (int64_t r = oh; r < next; r++) {
            t.ih0 = r * l->stride_h - l->pad_h;
            out_row = out_plane + r * l->w_out * B;
            if (g->edge_lo > 0) {
                t.out = out_row;
                t.iw0 = -l->pad_w;
                t.pixels = (int)g->edge_lo;
                dw->edge(&t);
            }
            if (g->edge_hi < l->w_out) {
                t.out = out_row + g->edge_hi * B;
                t.iw0 = g->edge_hi * S - l->pad_w;
                t.pixels = (int)(l->w_out - g->edge_hi);
                dw->edge(&t);
            }
        }
    }
}

/* Depthwise rows [oh0, oh1) of output block ob of image n. */
static void depthwise_rows(const struct direct_state *s, int64_t n, int64_t ob,
                           int64_t oh0, int64_t oh1)
{
    const struct conv_layer *l = &s->layer;
    const struct geometry *g = &s->g;
    const int B = g->block;
    const int64_t m = l->c_out / l->c_in, W = l->w_in, S = l->stride_w;
    const int64_t taps = l->kernel_h * l->kernel_w;
    const float *plane = s->in_buf + (n * g->cb_in + ob / m) * l->h_in * W * B;
    float *out_plane = s->out_buf + (n * g->cb_out + ob) * l->h_out * l->w_out * B;
    struct direct_dw_tile t = {
        .kw_stride = (ptrdiff_t)(l->dilation_w * B),
        .kernel_w = (int)l->kernel_w,
        .wt = s->weights + ob * taps * B,
        .wt_row = (ptrdiff_t)(l->kernel_w * B),
        .bias = s->bias + ob * B,
        .plane = plane,
        .w = W,
        .stride_w = S,
        .dilation_h = l->dilation_h,
        .dilation_w = l->dilation_w,
        .multiplier = (int)m,
        .lane0 = (int)(ob % m * (B / m)),
    };
    t.in_rows = (ptrdiff_t)(l->stride_h * W * B);
    t.out_rows = (ptrdiff_t)(l->w_out * B);
    t.row_stride = (ptrdiff_t)(l->dilation_h * W * B);
    if (g->dw3)
        depthwise3x3_rows(s, &t, out_plane, oh0, oh1);
    else
        depthwise_tap_rows(s, &t, out_plane, oh0, oh1);
}

static void run_depthwise(const struct direct_state *s)
{
    const struct geometry *g = &s->g;
    const int64_t chunks = g->chunks, units = s->layer.batch * g->cb_out * chunks;
    #pragma omp parallel num_threads(s->threads)
    {
        #pragma omp for schedule(static)
        for (int64_t u = 0; u < units; u++) {
            const int64_t plane = u / chunks, oh0 = u % chunks * g->chunk_rows;
            const int64_t oh1 = oh0 + g->chunk_rows < s->layer.h_out ? oh0 + g->chunk_rows
                                                                     : s->layer.h_out;
            depthwise_rows(s, plane / g->cb_out, plane % g->cb_out, oh0, oh1);
        }
    }
}

static enum conv_status direct_run(void *state, const float *in, float *out)
{
    (void)out;
    const struct direct_state *s = state;
    if (s->g.depthwise)
        run_depthwise(s);
    else
        run_regular(s, s->g.plain ? in : s->in_buf);
    return CONV_OK;
}

static void direct_layouts(void *state, const char **in, const char **out)
{
    const struct direct_state *s = state;
    *in = s->g.plain ? "nchw" : s->k->layout;
    *out = s->k->layout;
}

static const char *direct_describe(void *state)
{
    return ((struct direct_state *)state)->describe;
}

/* What plan allocates, from the same planning arithmetic. */
static size_t direct_memory(const struct conv_layer *l, int threads)
{
    const struct direct_kernel *k = pick_kernel();
    struct geometry g;
    plan_geometry(l, k, threads, &g);
    const size_t B = (size_t)k->block, f = sizeof(float);
    size_t bytes = tensor_held_bytes(sizeof(struct direct_state)) +
                   tensor_held_bytes((size_t)(l->batch * g.cb_out * l->h_out * l->w_out) * B * f) +
                   tensor_held_bytes(g.weight_floats * f) +
                   tensor_held_bytes((size_t)g.cb_out * B * f);
    if (!g.plain)
        bytes += tensor_held_bytes((size_t)(l->batch * g.cb_in * l->h_in * l->w_in) * B * f);
    if (!g.depthwise)
        bytes += tensor_held_bytes((size_t)g.ko_tiles * sizeof(struct ko_tile)) +
                 tensor_held_bytes((size_t)l->kernel_w * sizeof(ptrdiff_t));
    if (g.band_floats)
        bytes += tensor_held_bytes(g.band_floats * (size_t)threads * f);
    return bytes;
}

const struct conv_variant variant_direct_blocked = {
    .name = "direct-blocked",
    .summary = "direct convolution on channel-blocked tensors (nChw16c on AVX-512, nChw8c "
               "on AVX2 and C), register tiles of pixels x output blocks; groups only of whole "
               "blocks, depthwise multipliers that divide a block",
    .phases = true, .tolerance = 16.0,
    .supports = direct_supports, .plan = direct_plan, .run = direct_run, .destroy = direct_destroy,
    .load_input = direct_load_input, .store_output = direct_store_output, .layouts = direct_layouts,
    .describe = direct_describe, .memory = direct_memory,
};
