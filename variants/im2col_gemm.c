/* im2col-gemm: the convolution lowered to GEMM (lowering.h) on convbench's
 * own packed, register-blocked GEMM (gemm/). The weights of each group are
 * packed into the micro-kernel's panels once, in plan; the bias is added as
 * the GEMM writes its first K-block back.
 *
 * The im2col columns are never stored whole: the GEMM packs B one KC x NR
 * panel at a time anyway, so the panel is filled straight from the input
 * through the im2col index map (im2col_pack.c). The only column storage is
 * the GEMM's packed B block (KC x NC, sized to a share of L3), and the pass
 * that would write and re-read a full column matrix, K times the input, is
 * gone. A 1x1, stride-1, unpadded layer packs B from the input as a plain
 * matrix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/gemm.h"
#include "im2col_pack.h"
#include "lowering.h"
#include "tensor.h"
#include "variant.h"

/* The lowering comes first: it is the state lowering_variant_run and
 * lowering_variant_describe see. */
struct im2col_gemm_state {
    struct lowering lowering;
    struct gemm_packed_a *weights; /* one per group */
    const float *bias;
    struct im2col_tap *taps;       /* per reduction index, for B packing */
    void (*pack)(const void *, int64_t, int64_t, int64_t, int64_t, int, float *);
    float *workspace;              /* B packing, one slice per column buffer */
    size_t workspace_floats;
};
_Static_assert(offsetof(struct im2col_gemm_state, lowering) == 0, "the lowering comes first");

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

static void group_gemm(void *context, int64_t group, const float *b, int64_t ldb, int64_t n,
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
        const struct gemm_b_source source = {s->pack, &im2col};
        gemm_compute_source(a, &source, n, c, ldc, false, bias, workspace, threads);
    }
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
        if (gemm_pack_a_for(&s->weights[g], kernel, lw->m, lw->n, lw->k,
                            weights + g * lw->m * lw->k, lw->k) != 0)
            goto fail;
    s->taps = im2col_taps(l);
    if (!s->taps)
        goto fail;
    s->pack = im2col_pack_avx512_usable(l, kernel->nr) ? im2col_pack_avx512
              : im2col_pack_avx2_usable(l, kernel->nr)   ? im2col_pack_avx2
                                                         : im2col_pack;
    s->workspace_floats =
        gemm_workspace_floats(&s->weights[0], lw->n, lw->parallel_groups ? 1 : lw->threads);
    s->workspace = tensor_alloc(s->workspace_floats * (size_t)lw->buffers, sizeof(float));
    if (!s->workspace)
        goto fail;
    s->bias = bias;
    s->lowering.gemm = group_gemm;
    snprintf(s->lowering.description, sizeof s->lowering.description,
             "sgemm %s, %s%s", kernel->name,
             lw->direct ? "input as B (no im2col)" : "im2col in B packing",
             lw->parallel_groups ? ", groups in parallel" : "");
    *state = s;
    return CONV_OK;
fail:
    im2col_gemm_destroy(s);
    *why = "out of memory";
    return CONV_ERROR;
}

/* What im2col_gemm_plan allocates, from the same layout and sizes. */
static size_t im2col_gemm_memory(const struct conv_layer *l, int threads)
{
    struct lowering lw;
    lowering_layout(&lw, l, threads, false);
    const struct gemm_kernel *kernel = gemm_kernel_for_m(lw.m);
    const struct gemm_blocking b = gemm_blocking_for_shape(kernel, lw.m, lw.n, lw.k);
    const size_t workspace_floats =
        gemm_workspace_floats_for(kernel, b, lw.m, lw.n, lw.k, lw.parallel_groups ? 1 : lw.threads);
    return tensor_held_bytes(sizeof(struct im2col_gemm_state)) +
           tensor_held_bytes((size_t)l->groups * sizeof(struct gemm_packed_a)) +
           (size_t)l->groups * tensor_held_bytes(gemm_packed_a_bytes(kernel, lw.m, lw.k)) +
           tensor_held_bytes((size_t)lw.k * sizeof(struct im2col_tap)) +
           tensor_held_bytes(workspace_floats * (size_t)lw.buffers * sizeof(float));
}

const struct conv_variant variant_im2col_gemm = {
    .name = "im2col-gemm",
    .summary = "im2col packed straight into the B panels of convbench's SIMD GEMM (the input "
               "itself for 1x1 stride 1), one GEMM per group; every shape",
    .phases = true, .tolerance = 16.0,
    .supports = conv_supports_every_shape, .plan = im2col_gemm_plan,
    .run = lowering_variant_run, .destroy = im2col_gemm_destroy,
    .describe = lowering_variant_describe, .memory = im2col_gemm_memory,
};
