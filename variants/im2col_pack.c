#include "im2col_pack.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu.h"

struct im2col_tap *im2col_taps(const struct conv_layer *l)
{
    const int64_t taps = l->kernel_h * l->kernel_w, count = l->c_in / l->groups * taps;
    struct im2col_tap *table = malloc((size_t)count * sizeof *table);
    if (!table)
        return NULL;
    for (int64_t k = 0; k < count; k++) {
        const int64_t kh = k % taps / l->kernel_w, kw = k % l->kernel_w, S = l->stride_w;
        struct im2col_tap *t = &table[k];
        t->plane = k / taps * l->h_in * l->w_in;
        t->row = kh * l->dilation_h - l->pad_h;
        t->column = kw * l->dilation_w - l->pad_w;
        layer_inside_range(t->column, S, l->w_in, l->w_out, &t->ow_lo, &t->ow_hi);
        t->offset = t->plane + t->row * l->w_in + t->column;
    }
    return table;
}

/* B[k][n] = the input element tap k sees at output position n = (oh, ow), 0
 * in the padding: columns n0 .. n0 + cols of rows k0 .. k0 + kc, packed
 * k-major into an nr-wide panel. */
void im2col_pack(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols, int nr,
                 float *panel)
{
    const struct im2col_source *src = context;
    const struct conv_layer *l = src->layer;
    const int64_t H = l->h_in, W = l->w_in, Q = l->w_out, S = l->stride_w;
    const int64_t oh0 = n0 / Q, ow0 = n0 % Q;
    for (int64_t p = 0; p < kc; p++) {
        const struct im2col_tap *tap = &src->taps[k0 + p];
        const float *plane = src->in + tap->plane;
        float *dst = panel + p * nr;
        const int64_t ih0 = oh0 * l->stride_h + tap->row;
        if (S == 1 && cols == nr && ow0 + nr <= Q && ow0 >= tap->ow_lo &&
            ow0 + nr <= tap->ow_hi && ih0 >= 0 && ih0 < H) {
            /* the common case: the whole panel row is inside one input row */
            const float *from = plane + ih0 * W + tap->column + ow0;
            /* a fixed size compiles to a few vector moves, a variable one
             * to a call into libc per panel row. The 16-wide panels of
             * AVX2 ask for the same row two panels on, as the AVX-512
             * packer does: a panel's taps read rows of up to KC planes,
             * more streams than the hardware prefetchers follow; without
             * the prefetch, a fixed-size copy alone is slower than libc's */
            if (nr == 32) {
                memcpy(dst, from, 32 * sizeof(float));
            } else if (nr == 16) {
                __builtin_prefetch(from + 32);
                memcpy(dst, from, 16 * sizeof(float));
            } else {
                memcpy(dst, from, (size_t)nr * sizeof(float));
            }
            continue;
        }
        int64_t j = 0, oh = oh0, ow = ow0;
        while (j < cols) {
            const int64_t seg = cols - j < Q - ow ? cols - j : Q - ow;
            const int64_t ih = oh * l->stride_h + tap->row;
            float *out = dst + j - ow; /* out[t] for t in [ow, ow + seg) */
            int64_t t = ow;
            if (ih >= 0 && ih < H) {
                const float *in_row = plane + ih * W + tap->column;
                const int64_t lo = tap->ow_lo > ow ? tap->ow_lo : ow;
                const int64_t hi = tap->ow_hi < ow + seg ? tap->ow_hi : ow + seg;
                for (; t < lo; t++)
                    out[t] = 0.0f;
                if (S == 1)
                    for (; t < hi; t++)
                        out[t] = in_row[t];
                else
                    for (; t < hi; t++)
                        out[t] = in_row[t * S];
            }
            for (; t < ow + seg; t++)
                out[t] = 0.0f;
            j += seg;
            oh++;
            ow = 0;
        }
        for (; j < nr; j++)
            dst[j] = 0.0f;
    }
}


#if defined(__x86_64__)
bool im2col_pack_avx512_usable(const struct conv_layer *l, int nr)
{
    /* 32-bit gather indices within one plane */
    return nr == 32 && cpu_has_isa(CPU_ISA_AVX512) && l->h_in * l->w_in < (INT64_C(1) << 31) &&
           l->h_out * l->w_out < (INT64_C(1) << 31);
}

bool im2col_pack_avx2_usable(const struct conv_layer *l, int nr)
{
    (void)l;
    return nr == 16 && cpu_has_isa(CPU_ISA_AVX2_FMA);
}

/* Lanes j .. j + len of a panel: outputs ow .. ow + len of output row oh. */
struct segment {
    int64_t j, len, oh, ow;
};

/* What a tap reads of a segment: the lanes (at stride 2, the floats of the
 * two loads per vector of which the even ones are kept) and where lane 0
 * would read, from its plane; no lanes when it reads only padding. */
struct run {
    int64_t offset;
    uint64_t lanes;
};

static inline struct run segment_run(const struct conv_layer *l, const struct im2col_tap *tap,
                                     const struct segment *seg)
{
    const int64_t ih = seg->oh * l->stride_h + tap->row;
    const int64_t lo = tap->ow_lo > seg->ow ? tap->ow_lo : seg->ow;
    const int64_t end = seg->ow + seg->len;
    const int64_t hi = tap->ow_hi < end ? tap->ow_hi : end;
    /* lanes a .. b of the panel: outputs lo .. hi */
    const int64_t a = seg->j + lo - seg->ow, b = seg->j + hi - seg->ow;
    struct run r = {ih * l->w_in + tap->column + l->stride_w * (seg->ow - seg->j), 0};
    if (ih < 0 || ih >= l->h_in || hi <= lo)
        return r;
    if (l->stride_w == 1)
        r.lanes = ((UINT64_C(1) << b) - 1) & ~((UINT64_C(1) << a) - 1);
    else /* floats 2a .. 2b - 2 of the 2 nr loaded */
        r.lanes = ((UINT64_C(1) << (2 * b - 1)) - 1) & ~((UINT64_C(1) << (2 * a)) - 1);
    return r;
}

/* A panel's runs of consecutive columns (at stride 1 or 2, outputs at least
 * 5 wide), and what each kernel position (the taps of channel 0) reads of
 * each, worked out once when the panel has enough taps to repay it: one per
 * position when every tap needs its runs (stride 2, or a panel that crosses
 * output rows, so no tap is a plain copy), four otherwise (a table pays on
 * large strided kernels and costs a little on small stride-1 ones). No
 * segments: the panel is gathered. */
enum { SEGMENTS_MAX = 8, POSITIONS_MAX = 49 }; /* 32 lanes cross 8 rows of 5 */
struct panel_runs {
    struct segment seg[SEGMENTS_MAX];
    int segments;
    bool tabulated;
    int64_t positions;
    struct run table[POSITIONS_MAX][SEGMENTS_MAX];
};

static void panel_runs_init(struct panel_runs *pr, const struct im2col_source *src, int64_t kc,
                            int64_t n0, int64_t cols)
{
    const struct conv_layer *l = src->layer;
    const int64_t Q = l->w_out, S = l->stride_w;
    pr->segments = 0;
    if ((S == 1 || S == 2) && Q >= 5)
        for (int64_t j = 0, oh = n0 / Q, ow = n0 % Q; j < cols;
             j += pr->seg[pr->segments++].len, oh++, ow = 0)
            pr->seg[pr->segments] =
                (struct segment){j, cols - j < Q - ow ? cols - j : Q - ow, oh, ow};
    pr->positions = l->kernel_h * l->kernel_w;
    const bool every_tap = S == 2 || pr->segments > 1;
    pr->tabulated = pr->segments && pr->positions <= POSITIONS_MAX &&
                    kc >= (every_tap ? 1 : 4) * pr->positions;
    if (pr->tabulated)
        for (int64_t kk = 0; kk < pr->positions; kk++)
            for (int g = 0; g < pr->segments; g++)
                pr->table[kk][g] = segment_run(l, &src->taps[kk], &pr->seg[g]);
}

/* The runs of tap (kernel position kk): from the table, or worked out into now. */
static inline const struct run *panel_runs_of(const struct panel_runs *pr,
                                              const struct conv_layer *l,
                                              const struct im2col_tap *tap, int64_t kk,
                                              struct run *now)
{
    if (pr->tabulated)
        return pr->table[kk];
    for (int g = 0; g < pr->segments; g++)
        now[g] = segment_run(l, tap, &pr->seg[g]);
    return now;
}

/* At stride 1 with outputs as wide as the input, output position n = oh W +
 * ow sees input element n + tap->offset of the tap's plane run together
 * (rows one after another), wherever it sees one at all: a panel row is
 * one unaligned 32-float window of the input, whatever output rows the
 * panel crosses, with the lanes that see padding (or past the last column)
 * masked off. Which lanes those are depends only on the kernel position:
 * lanes by input row inside (per kh) and by input column inside (per kw),
 * worked out per output-row segment of the panel and combined per
 * position. */
enum { FLAT_KERNEL_MAX = 8 }; /* per axis: the masks live in fixed arrays */

static bool flat_usable(const struct conv_layer *l, int64_t kc)
{
    /* the masks are worked out once per panel: with fewer than four
     * channels' worth of taps the other paths' copies are cheaper */
    return l->stride_h == 1 && l->stride_w == 1 && l->w_out == l->w_in &&
           l->kernel_h <= FLAT_KERNEL_MAX && l->kernel_w <= FLAT_KERNEL_MAX &&
           kc >= 4 * l->kernel_h * l->kernel_w;
}

static void flat_masks(const struct conv_layer *l, int64_t n0, int64_t cols, uint32_t *masks)
{
    const int64_t H = l->h_in, W = l->w_in, Kh = l->kernel_h, Kw = l->kernel_w;
    uint32_t rows[FLAT_KERNEL_MAX] = {0}, columns[FLAT_KERNEL_MAX] = {0};
    /* segments: lanes j .. j + len, output row oh, columns ow .. ow + len */
    for (int64_t j = 0, oh = n0 / W, ow = n0 % W, len; j < cols; j += len, oh++, ow = 0) {
        len = cols - j < W - ow ? cols - j : W - ow;
        const uint64_t lanes = ((UINT64_C(1) << len) - 1) << j;
        for (int64_t kh = 0; kh < Kh; kh++) {
            const int64_t ih = oh + kh * l->dilation_h - l->pad_h;
            if (ih >= 0 && ih < H)
                rows[kh] |= (uint32_t)lanes;
        }
        for (int64_t kw = 0; kw < Kw; kw++) {
            /* iw = ow + dx inside for ow in [-dx, W - dx) */
            const int64_t dx = kw * l->dilation_w - l->pad_w;
            const int64_t lo = ow > -dx ? ow : -dx, hi = ow + len < W - dx ? ow + len : W - dx;
            if (lo < hi)
                columns[kw] |= (uint32_t)(((UINT64_C(1) << (hi - lo)) - 1) << (j + lo - ow));
        }
    }
    for (int64_t kh = 0; kh < Kh; kh++)
        for (int64_t kw = 0; kw < Kw; kw++)
            masks[kh * Kw + kw] = rows[kh] & columns[kw];
}

/* Panels inside one input row are copied (two vector moves). At stride 1
 * the others are a few runs of consecutive columns, one per output row the
 * panel crosses (its segments, found once per panel): each run is a masked
 * load into its lanes, the mask also cutting off the padding, so the panel
 * is built from two or three loads per tap (stride 2 loads twice the
 * columns and keeps the even ones). Other strides (and outputs narrower
 * than 5, with many segments per panel) gather 16 columns at a
 * time, with the row and column of each lane worked out once per panel and
 * the edges as lane masks. (Long: the load paths share the panel loop and
 * its prefetches.) */
__attribute__((target("avx512f"))) void
im2col_pack_avx512(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols, int nr,
                   float *panel)
{
    const struct im2col_source *src = context;
    const struct conv_layer *l = src->layer;
    const int64_t H = l->h_in, W = l->w_in, Q = l->w_out, S = l->stride_w;
    const int64_t oh0 = n0 / Q, ow0 = n0 % Q;
    (void)nr; /* 32 */

    if (flat_usable(l, kc)) {
        const int64_t positions = l->kernel_h * l->kernel_w;
        uint32_t masks[FLAT_KERNEL_MAX * FLAT_KERNEL_MAX];
        flat_masks(l, n0, cols, masks);
        const uintptr_t at = (uintptr_t)(src->in + n0);
        for (int64_t p = 0, kk = k0 % positions; p < kc;
             p++, kk = kk + 1 == positions ? 0 : kk + 1) {
            /* addresses in integers: the window may start before the
             * input or end past it, in lanes the mask drops */
            const uintptr_t from =
                at + (uintptr_t)(src->taps[k0 + p].offset * (int64_t)sizeof(float));
            const uint32_t lanes = masks[kk];
            /* the same window two panels on, as for the copies below */
            _mm_prefetch((const char *)(from + 64 * sizeof(float)), _MM_HINT_T0);
            _mm_prefetch((const char *)(from + 80 * sizeof(float)), _MM_HINT_T0);
            _mm512_storeu_ps(panel + p * 32,
                             _mm512_maskz_loadu_ps((__mmask16)lanes, (const float *)from));
            _mm512_storeu_ps(panel + p * 32 + 16,
                             _mm512_maskz_loadu_ps((__mmask16)(lanes >> 16),
                                                   (const float *)(from + 16 * sizeof(float))));
        }
        return;
    }

    /* per lane: oh * Sh and ow * Sw of its output position */
    int32_t rows[32], columns[32];
    for (int64_t j = 0, oh = oh0, ow = ow0; j < 32; j++) {
        rows[j] = (int32_t)(oh * l->stride_h);
        columns[j] = (int32_t)(ow * S);
        if (++ow == Q) {
            ow = 0;
            oh++;
        }
    }
    const __m512i rows0 = _mm512_loadu_si512(rows), rows1 = _mm512_loadu_si512(rows + 16);
    const __m512i cols0 = _mm512_loadu_si512(columns), cols1 = _mm512_loadu_si512(columns + 16);
    const __m512i width = _mm512_set1_epi32((int)W), height = _mm512_set1_epi32((int)H);
    const __m512i base0 = _mm512_add_epi32(_mm512_mullo_epi32(rows0, width), cols0);
    const __m512i base1 = _mm512_add_epi32(_mm512_mullo_epi32(rows1, width), cols1);
    const __mmask16 live0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
    const __mmask16 live1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    const __m512i zero = _mm512_setzero_si512();

    struct panel_runs pr;
    panel_runs_init(&pr, src, kc, n0, cols);
    const int segments = pr.segments;

    for (int64_t p = 0, kk = k0 % pr.positions; p < kc;
         p++, kk = kk + 1 == pr.positions ? 0 : kk + 1) {
        const struct im2col_tap *tap = &src->taps[k0 + p];
        const float *plane = src->in + tap->plane;
        float *dst = panel + p * 32;
        const int64_t ih0 = oh0 * l->stride_h + tap->row;
        if (S == 1 && cols == 32 && ow0 + 32 <= Q && ow0 >= tap->ow_lo && ow0 + 32 <= tap->ow_hi &&
            ih0 >= 0 && ih0 < H) {
            const float *from = plane + ih0 * W + tap->column + ow0;
            /* the same row two panels on: a panel's taps read rows of up
             * to KC different planes, too many streams for the hardware
             * prefetchers */
            _mm_prefetch((const char *)(from + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(from + 80), _MM_HINT_T0);
            _mm512_storeu_ps(dst, _mm512_loadu_ps(from));
            _mm512_storeu_ps(dst + 16, _mm512_loadu_ps(from + 16));
            continue;
        }
        struct run now[SEGMENTS_MAX];
        const struct run *run = segments ? panel_runs_of(&pr, l, tap, kk, now) : NULL;
        if (segments && S == 2) {
            /* lane L of vector v reads from[2 L]: two loads of 16 per
             * vector, then their even lanes */
            __m512 e[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                           _mm512_setzero_ps()};
            for (int g = 0; g < segments; g++) {
                const uint64_t floats = run[g].lanes;
                const float *from = plane + run[g].offset;
                for (int q = 0; q < 4; q++)
                    if ((floats >> (16 * q)) & 0xffff)
                        e[q] = _mm512_mask_loadu_ps(e[q], (__mmask16)(floats >> (16 * q)),
                                                    from + 16 * q);
            }
            const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10,
                                                  8, 6, 4, 2, 0);
            _mm512_storeu_ps(dst, _mm512_permutex2var_ps(e[0], even, e[1]));
            _mm512_storeu_ps(dst + 16, _mm512_permutex2var_ps(e[2], even, e[3]));
            continue;
        }
        if (segments) {
            /* lane L reads from[L] */
            __m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();
            for (int g = 0; g < segments; g++) {
                const uint64_t lanes = run[g].lanes;
                const float *from = plane + run[g].offset;
                if (lanes & 0xffff)
                    v0 = _mm512_mask_loadu_ps(v0, (__mmask16)lanes, from);
                if (lanes >> 16)
                    v1 = _mm512_mask_loadu_ps(v1, (__mmask16)(lanes >> 16), from + 16);
            }
            _mm512_storeu_ps(dst, v0);
            _mm512_storeu_ps(dst + 16, v1);
            continue;
        }
        const __m512i row = _mm512_set1_epi32((int)tap->row);
        const __m512i col = _mm512_set1_epi32((int)tap->column);
        const __m512i offset = _mm512_set1_epi32((int)(tap->row * W + tap->column));
        for (int half = 0; half < 2; half++) {
            const __m512i ih = _mm512_add_epi32(half ? rows1 : rows0, row);
            const __m512i iw = _mm512_add_epi32(half ? cols1 : cols0, col);
            const __mmask16 inside =
                (half ? live1 : live0) & _mm512_cmpge_epi32_mask(ih, zero) &
                _mm512_cmplt_epi32_mask(ih, height) & _mm512_cmpge_epi32_mask(iw, zero) &
                _mm512_cmplt_epi32_mask(iw, width);
            const __m512i index = _mm512_add_epi32(half ? base1 : base0, offset);
            _mm512_storeu_ps(dst + 16 * half,
                             _mm512_mask_i32gather_ps(_mm512_setzero_ps(), inside, index, plane, 4));
        }
    }
}

/* The same for 16-wide panels (AVX2): a lane mask of a run becomes a
 * vector mask for vmaskmovps, which loads nothing (and faults on nothing)
 * where it is clear. Panels without segments (strides beyond 2, outputs
 * narrower than 5) take the portable path: AVX2's gathers are slow, and
 * no layer of the configs has such a panel in its hot loop. */
__attribute__((target("avx2"))) static inline __m256i lane_mask8(uint64_t bits)
{
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)(bits & 0xff)), bit), bit);
}

/* The same on AVX2, 8 columns at a time. (Long: as the AVX-512 one.) */
__attribute__((target("avx2"))) void
im2col_pack_avx2(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols, int nr,
                 float *panel)
{
    const struct im2col_source *src = context;
    const struct conv_layer *l = src->layer;
    const int64_t H = l->h_in, W = l->w_in, Q = l->w_out, S = l->stride_w;
    const int64_t oh0 = n0 / Q, ow0 = n0 % Q;
    (void)nr; /* 16 */

    if (flat_usable(l, kc)) {
        const int64_t positions = l->kernel_h * l->kernel_w;
        uint32_t masks[FLAT_KERNEL_MAX * FLAT_KERNEL_MAX];
        flat_masks(l, n0, cols, masks);
        __m256i lanes[FLAT_KERNEL_MAX * FLAT_KERNEL_MAX][2];
        for (int64_t kk = 0; kk < positions; kk++) {
            lanes[kk][0] = lane_mask8(masks[kk]);
            lanes[kk][1] = lane_mask8(masks[kk] >> 8);
        }
        const uintptr_t at = (uintptr_t)(src->in + n0);
        for (int64_t p = 0, kk = k0 % positions; p < kc;
             p++, kk = kk + 1 == positions ? 0 : kk + 1) {
            const uintptr_t from =
                at + (uintptr_t)(src->taps[k0 + p].offset * (int64_t)sizeof(float));
            _mm256_storeu_ps(panel + p * 16, _mm256_maskload_ps((const float *)from, lanes[kk][0]));
            _mm256_storeu_ps(panel + p * 16 + 8,
                             _mm256_maskload_ps((const float *)(from + 8 * sizeof(float)),
                                                lanes[kk][1]));
        }
        return;
    }

    struct panel_runs pr;
    panel_runs_init(&pr, src, kc, n0, cols);
    if (!pr.segments) {
        im2col_pack(context, k0, kc, n0, cols, 16, panel);
        return;
    }
    for (int64_t p = 0, kk = k0 % pr.positions; p < kc;
         p++, kk = kk + 1 == pr.positions ? 0 : kk + 1) {
        const struct im2col_tap *tap = &src->taps[k0 + p];
        const float *plane = src->in + tap->plane;
        float *dst = panel + p * 16;
        const int64_t ih0 = oh0 * l->stride_h + tap->row;
        if (S == 1 && cols == 16 && ow0 + 16 <= Q && ow0 >= tap->ow_lo && ow0 + 16 <= tap->ow_hi &&
            ih0 >= 0 && ih0 < H) {
            const float *from = plane + ih0 * W + tap->column + ow0;
            _mm_prefetch((const char *)(from + 32), _MM_HINT_T0); /* as im2col_pack */
            _mm256_storeu_ps(dst, _mm256_loadu_ps(from));
            _mm256_storeu_ps(dst + 8, _mm256_loadu_ps(from + 8));
            continue;
        }
        struct run now[SEGMENTS_MAX];
        const struct run *run = panel_runs_of(&pr, l, tap, kk, now);
        if (S == 2) {
            /* lane L reads from[2 L]: four loads of 8, then their even lanes */
            __m256 e[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                           _mm256_setzero_ps()};
            for (int g = 0; g < pr.segments; g++) {
                const uint64_t floats = run[g].lanes;
                const float *from = plane + run[g].offset;
                for (int q = 0; q < 4; q++)
                    if ((floats >> (8 * q)) & 0xff)
                        e[q] = _mm256_or_ps(e[q], _mm256_maskload_ps(from + 8 * q,
                                                                     lane_mask8(floats >> (8 * q))));
            }
            /* shuffle: a0 a2 b0 b2 | a4 a6 b4 b6; permute: a0 a2 a4 a6 b0 b2 b4 b6 */
            for (int h = 0; h < 2; h++) {
                const __m256 even = _mm256_shuffle_ps(e[2 * h], e[2 * h + 1], 0x88);
                _mm256_storeu_ps(dst + 8 * h, _mm256_castpd_ps(_mm256_permute4x64_pd(
                                                  _mm256_castps_pd(even), 0xd8)));
            }
            continue;
        }
        /* lane L reads from[L] */
        __m256 v0 = _mm256_setzero_ps(), v1 = _mm256_setzero_ps();
        for (int g = 0; g < pr.segments; g++) {
            const uint64_t lanes = run[g].lanes;
            const float *from = plane + run[g].offset;
            if (lanes & 0xff)
                v0 = _mm256_or_ps(v0, _mm256_maskload_ps(from, lane_mask8(lanes)));
            if ((lanes >> 8) & 0xff)
                v1 = _mm256_or_ps(v1, _mm256_maskload_ps(from + 8, lane_mask8(lanes >> 8)));
        }
        _mm256_storeu_ps(dst, v0);
        _mm256_storeu_ps(dst + 8, v1);
    }
}
#else
bool im2col_pack_avx512_usable(const struct conv_layer *l, int nr)
{
    (void)l;
    (void)nr;
    return false;
}

void im2col_pack_avx512(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols,
                        int nr, float *panel)
{
    im2col_pack(context, k0, kc, n0, cols, nr, panel);
}

bool im2col_pack_avx2_usable(const struct conv_layer *l, int nr)
{
    (void)l;
    (void)nr;
    return false;
}

void im2col_pack_avx2(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols,
                      int nr, float *panel)
{
    im2col_pack(context, k0, kc, n0, cols, nr, panel);
}
#endif
