/* im2col-gemm: the convolution lowered to GEMM (lowering.h) on convbench's
 * own packed, register-blocked GEMM (gemm/). The weights of each group are
 * packed into the micro-kernel's panels once, in plan; the bias is added as
 * the GEMM writes its first K-block back.
 *
 * The im2col columns are never stored whole: the GEMM packs B one KC x NR
 * panel at a time anyway, so the panel is filled straight from the input
 * through the im2col index map (pack_b_im2col). The only column storage is
 * the GEMM's packed B block (KC x NC, sized to a share of L3), and the pass
 * that would write and re-read a full column matrix, K times the input, is
 * gone. A 1x1, stride-1, unpadded layer packs B from the input as a plain
 * matrix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"
#include "lowering.h"
#include "tensor.h"
#include "variant.h"

/* Where tap k = (c, kh, kw) of the reduction reads, precomputed in plan so
 * that packing needs no division per row. */
struct im2col_tap {
    int64_t plane;  /* c * H * W */
    int64_t row;    /* kh * Dh - Ph: ih = oh * Sh + row */
    int64_t column; /* kw * Dw - Pw: iw = ow * Sw + column */
    int64_t ow_lo, ow_hi; /* the outputs whose iw is inside the input */
};

struct im2col_gemm_state {
    struct lowering lowering;
    struct gemm_packed_a *weights; /* one per group */
    const float *bias;
    struct im2col_tap *taps;       /* per reduction index, for B packing */
    float *workspace;              /* B packing, one slice per column buffer */
    size_t workspace_floats;
    char description[96];
};

static void im2col_gemm_destroy(void *state)
{
    struct im2col_gemm_state *s = state;
    if (!s)
        return;
    if (s->weights)
        for (int64_t g = 0; g < s->lowering.layer.groups; g++)
            gemm_packed_a_free(&s->weights[g]);
    free(s->weights);
    free(s->taps);
    free(s->workspace);
    lowering_free(&s->lowering);
    free(s);
}

static enum conv_status im2col_gemm_plan(const struct conv_layer *l, const float *weights,
                                         const float *bias, int threads, void **state,
                                         const char **why)
{
    struct im2col_gemm_state *s = calloc(1, sizeof *s);
    if (!s || lowering_plan(&s->lowering, l, threads, false) != 0)
        goto fail;
    const struct lowering *lw = &s->lowering;
    const struct gemm_kernel *kernel = gemm_kernel_for_m(lw->m);
    s->weights = calloc((size_t)l->groups, sizeof *s->weights);
    if (!s->weights)
        goto fail;
    for (int64_t g = 0; g < l->groups; g++)
        if (gemm_pack_a(&s->weights[g], kernel, lw->m, lw->k, weights + g * lw->m * lw->k,
                        lw->k) != 0)
            goto fail;
    s->taps = malloc((size_t)lw->k * sizeof *s->taps);
    if (!s->taps)
        goto fail;
    for (int64_t k = 0; k < lw->k; k++) {
        const int64_t taps = l->kernel_h * l->kernel_w, kh = k % taps / l->kernel_w,
                      kw = k % l->kernel_w, S = l->stride_w;
        struct im2col_tap *t = &s->taps[k];
        t->plane = k / taps * l->h_in * l->w_in;
        t->row = kh * l->dilation_h - l->pad_h;
        t->column = kw * l->dilation_w - l->pad_w;
        t->ow_lo = t->column >= 0 ? 0 : (-t->column + S - 1) / S;
        t->ow_hi = l->w_in - t->column <= 0 ? 0 : (l->w_in - t->column - 1) / S + 1;
        if (t->ow_hi > l->w_out)
            t->ow_hi = l->w_out;
    }
    s->workspace_floats = gemm_workspace_floats(&s->weights[0], lw->n);
    s->workspace = tensor_alloc(s->workspace_floats * (size_t)lw->buffers, sizeof(float));
    if (!s->workspace)
        goto fail;
    s->bias = bias;
    snprintf(s->description, sizeof s->description, "sgemm %s, %s%s", kernel->name,
             lw->direct ? "input as B (no im2col)" : "im2col in B packing",
             lw->parallel_groups ? ", groups in parallel" : "");
    *state = s;
    return CONV_OK;
fail:
    im2col_gemm_destroy(s);
    *why = "out of memory";
    return CONV_ERROR;
}

struct im2col_source {
    const struct conv_layer *layer;
    const struct im2col_tap *taps;
    const float *in; /* the group's first input channel */
};

/* B[k][n] = the input element tap k sees at output position n = (oh, ow), 0
 * in the padding: columns n0 .. n0 + cols of rows k0 .. k0 + kc, packed
 * k-major into an nr-wide panel. */
static void pack_b_im2col(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols,
                          int nr, float *panel)
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
            if (nr == 32) /* a fixed size compiles to two vector moves */
                memcpy(dst, from, 32 * sizeof(float));
            else
                memcpy(dst, from, (size_t)nr * sizeof(float));
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

static int group_gemm(void *context, int64_t group, const float *b, int64_t ldb, int64_t n,
                      float *c, int64_t ldc, int thread, int threads)
{
    const struct im2col_gemm_state *s = context;
    const struct gemm_packed_a *a = &s->weights[group];
    const float *bias = s->bias ? s->bias + group * a->m : NULL;
    float *workspace = s->workspace + (size_t)thread * s->workspace_floats;
    if (s->lowering.direct) {
        gemm_compute(a, b, ldb, n, c, ldc, false, bias, workspace, threads);
    } else {
        const struct im2col_source im2col = {&s->lowering.layer, s->taps, b};
        const struct gemm_b_source source = {pack_b_im2col, &im2col};
        gemm_compute_source(a, &source, n, c, ldc, false, bias, workspace, threads);
    }
    return 0;
}

static enum conv_status im2col_gemm_run(void *state, const float *in, float *out)
{
    struct im2col_gemm_state *s = state;
    return lowering_run(&s->lowering, in, out, group_gemm, s) == 0 ? CONV_OK : CONV_ERROR;
}

static const char *im2col_gemm_describe(void *state)
{
    return ((struct im2col_gemm_state *)state)->description;
}

static size_t im2col_gemm_memory(const struct conv_layer *l, int threads)
{
    struct lowering lw;
    lowering_layout(&lw, l, threads, false);
    const struct gemm_kernel *kernel = gemm_kernel_for_m(lw.m);
    const struct gemm_blocking b = gemm_blocking_for(kernel);
    const int64_t m_padded = (lw.m + kernel->mr - 1) / kernel->mr * kernel->mr;
    const int64_t n = lw.n < b.nc ? lw.n : b.nc;
    const size_t weights = (size_t)(l->groups * m_padded * lw.k) * sizeof(float);
    const size_t workspace = (size_t)lw.buffers * (size_t)(b.kc * ((n + kernel->nr - 1) /
                                                                   kernel->nr * kernel->nr)) *
                             sizeof(float);
    return weights + workspace + (size_t)lw.k * sizeof(struct im2col_tap);
}

const struct conv_variant variant_im2col_gemm = {
    .name = "im2col-gemm",
    .summary = "im2col packed straight into the B panels of convbench's SIMD GEMM (the input "
               "itself for 1x1 stride 1), one GEMM per group; every shape",
    .tolerance = 16.0,
    .supports = conv_supports_every_shape,
    .plan = im2col_gemm_plan,
    .run = im2col_gemm_run,
    .destroy = im2col_gemm_destroy,
    .describe = im2col_gemm_describe,
    .memory = im2col_gemm_memory,
};
