/* oneDNN (Intel's deep learning primitives, 2.x C API) as three variants:
 *
 *   onednn           plain NCHW / (G)OIHW memory, as every other variant sees
 *                    it: what a user calling oneDNN on NCHW tensors gets.
 *   onednn-blocked   format_tag::any: oneDNN picks its own layout (blocked
 *                    nChw16c and the like); input and output reorders happen
 *                    in load_input / store_output, outside the timed run.
 *   onednn-winograd  algorithm convolution_winograd with any layouts; oneDNN
 *                    2.x offers it on AVX-512 cores for 3x3 stride-1 layers
 *                    and declines the rest (the row is then unsupported).
 *
 * Primitive creation and the weight reorder are in plan. oneDNN runs on the
 * same OpenMP runtime as the harness and takes its thread count from
 * omp_set_num_threads, which the harness sets before plan and run. */
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "phases.h"
#include "variant.h"

enum onednn_mode { ONEDNN_PLAIN, ONEDNN_BLOCKED, ONEDNN_WINOGRAD };

struct onednn_state {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t conv;
    /* the convolution's own memories; for plain, src and dst get the
     * caller's pointers at each run */
    dnnl_memory_t src, weights, bias, dst;
    /* blocked modes: NCHW views of the caller's tensors and the reorders */
    dnnl_memory_t user_src, user_dst;
    dnnl_primitive_t src_reorder, dst_reorder;
    enum onednn_mode mode;
    char impl[160];
    char layout_in[64], layout_out[64]; /* the memory formats the primitive chose */
};

/* Leaves the enclosing function through `fail` with *why set. */
#define DNNL_TRY(call)                                                   \
    do {                                                                 \
        dnnl_status_t status_ = (call);                                  \
        if (status_ != dnnl_success) {                                   \
            snprintf(error_text, sizeof error_text, "%s: %s", #call,     \
                     dnnl_status2str(status_));                          \
            goto fail;                                                   \
        }                                                                \
    } while (0)

/* Why a plan failed: plan hands the pointer out, so it has to outlive the call. */
static _Thread_local char error_text[256];

static void onednn_destroy(void *state)
{
    struct onednn_state *s = state;
    if (!s)
        return;
    dnnl_primitive_destroy(s->conv);
    dnnl_primitive_destroy(s->src_reorder);
    dnnl_primitive_destroy(s->dst_reorder);
    dnnl_memory_destroy(s->src);
    dnnl_memory_destroy(s->weights);
    dnnl_memory_destroy(s->bias);
    dnnl_memory_destroy(s->dst);
    dnnl_memory_destroy(s->user_src);
    dnnl_memory_destroy(s->user_dst);
    dnnl_stream_destroy(s->stream);
    dnnl_engine_destroy(s->engine);
    free(s);
}

/* oneDNN 2.6 has Winograd kernels for AVX-512 cores (avx512_core) only; on
 * any other CPU, or under DNNL_MAX_CPU_ISA below it, every shape is declined
 * here with that reason rather than in plan with a vaguer one. */
static bool winograd_on_this_cpu(void)
{
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
}

static enum conv_status winograd_supports(const struct conv_layer *l, const char **why)
{
    if (!winograd_on_this_cpu()) {
        *why = "oneDNN's Winograd needs an AVX-512 core (avx512_core); this CPU has none";
        return CONV_UNSUPPORTED;
    }
    if (l->kernel_h != 3 || l->kernel_w != 3 || l->stride_h != 1 || l->stride_w != 1 ||
        l->dilation_h != 1 || l->dilation_w != 1) {
        *why = "oneDNN's Winograd does 3x3 stride-1 undilated layers only";
        return CONV_UNSUPPORTED;
    }
    return CONV_OK;
}

/* A memory format's name as oneDNN's tags spell them ("aBcd16b": dims a-d
 * outermost first by stride, a blocked one in capitals, then its inner
 * blocks: 16 channels innermost), its plain ones as "nchw" and "nhwc". */
static void layout_name(const dnnl_memory_desc_t *md, char *name, size_t size)
{
    if (md->format_kind != dnnl_blocked || md->ndims > DNNL_MAX_NDIMS) {
        snprintf(name, size, "%s", dnnl_fmt_kind2str(md->format_kind));
        return;
    }
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    int order[DNNL_MAX_NDIMS];
    for (int d = 0; d < md->ndims; d++) {
        int at = d;
        while (at > 0 && b->strides[order[at - 1]] < b->strides[d]) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = d;
    }
    char tag[64];
    int used = 0;
    for (int i = 0; i < md->ndims; i++) {
        bool blocked = false;
        for (int k = 0; k < b->inner_nblks; k++)
            blocked |= b->inner_idxs[k] == order[i];
        tag[used++] = (char)((blocked ? 'A' : 'a') + order[i]);
    }
    for (int k = 0; k < b->inner_nblks && used < (int)sizeof tag - 24; k++)
        used += snprintf(tag + used, sizeof tag - (size_t)used, "%lld%c",
                         (long long)b->inner_blks[k], (char)('a' + b->inner_idxs[k]));
    tag[used] = '\0';
    snprintf(name, size, "%s", strcmp(tag, "abcd") == 0   ? "nchw"
                               : strcmp(tag, "acdb") == 0 ? "nhwc"
                                                          : tag);
}

/* Reorders src_md memory at data into dst (both on engine), then waits. */
static dnnl_status_t reorder_into(struct onednn_state *s, const dnnl_memory_desc_t *src_md,
                                  const void *data, dnnl_memory_t dst)
{
    const dnnl_memory_desc_t *dst_md;
    dnnl_memory_t src = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_status_t st = dnnl_memory_get_memory_desc(dst, &dst_md);
    if (st == dnnl_success)
        st = dnnl_memory_create(&src, src_md, s->engine, (void *)data);
    if (st == dnnl_success)
        st = dnnl_reorder_primitive_desc_create(&pd, src_md, s->engine, dst_md, s->engine, NULL);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&reorder, pd);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
        st = dnnl_primitive_execute(reorder, s->stream, 2, args);
    }
    if (st == dnnl_success)
        st = dnnl_stream_wait(s->stream);
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(src);
    return st;
}

/* A reorder primitive between two memories, kept for repeated use. */
static dnnl_status_t make_reorder(struct onednn_state *s, dnnl_memory_t from, dnnl_memory_t to,
                                  dnnl_primitive_t *reorder)
{
    const dnnl_memory_desc_t *from_md, *to_md;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = dnnl_memory_get_memory_desc(from, &from_md);
    if (st == dnnl_success)
        st = dnnl_memory_get_memory_desc(to, &to_md);
    if (st == dnnl_success)
        st = dnnl_reorder_primitive_desc_create(&pd, from_md, s->engine, to_md, s->engine, NULL);
    if (st == dnnl_success)
        st = dnnl_primitive_create(reorder, pd);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

/* The f32 descriptors of a convolution's input and output (tag `activations`)
 * and weights (tag `weight_tag`, of rank 4, or 5 with groups). */
static dnnl_status_t convolution_mds(dnnl_memory_desc_t *src, dnnl_memory_desc_t *dst,
                                     dnnl_memory_desc_t *weights, const dnnl_dims_t src_dims,
                                     const dnnl_dims_t dst_dims, int weight_rank,
                                     const dnnl_dim_t *weight_dims, dnnl_format_tag_t activations,
                                     dnnl_format_tag_t weight_tag)
{
    dnnl_status_t status = dnnl_memory_desc_init_by_tag(src, 4, src_dims, dnnl_f32, activations);
    if (status == dnnl_success)
        status = dnnl_memory_desc_init_by_tag(dst, 4, dst_dims, dnnl_f32, activations);
    if (status == dnnl_success)
        status = dnnl_memory_desc_init_by_tag(weights, weight_rank, weight_dims, dnnl_f32,
                                              weight_tag);
    return status;
}

/* A primitive for the mode, its memories and the weights reordered into
 * them. (Long: oneDNN's C API takes a descriptor, a primitive and a memory
 * per tensor, each of which can fail with its own message.) */
static enum conv_status plan_mode(enum onednn_mode mode, const struct conv_layer *l,
                                  const float *weights, const float *bias, void **state,
                                  const char **why)
{
    dnnl_primitive_desc_t pd = NULL;
    struct onednn_state *s = calloc(1, sizeof *s);
    enum conv_status failure = CONV_ERROR;
    if (!s) {
        *why = "out of memory";
        return CONV_ERROR;
    }
    s->mode = mode;
    DNNL_TRY(dnnl_engine_create(&s->engine, dnnl_cpu, 0));
    DNNL_TRY(dnnl_stream_create(&s->stream, s->engine, dnnl_stream_default_flags));

    const bool grouped = l->groups > 1;
    const dnnl_dims_t src_dims = {l->batch, l->c_in, l->h_in, l->w_in};
    const dnnl_dims_t dst_dims = {l->batch, l->c_out, l->h_out, l->w_out};
    /* grouped weights are 5-D: groups, outputs and inputs per group, kernel */
    const int weight_rank = grouped ? 5 : 4;
    const dnnl_dims_t weight_dims_plain = {l->c_out, l->c_in, l->kernel_h, l->kernel_w};
    const dnnl_dims_t weight_dims_grouped = {l->groups, l->c_out / l->groups,
                                             l->c_in / l->groups, l->kernel_h, l->kernel_w};
    const dnnl_dim_t *weight_dims = grouped ? weight_dims_grouped : weight_dims_plain;
    const dnnl_dims_t bias_dims = {l->c_out};
    /* oneDNN counts dilation from 0 (dense); convbench from 1 */
    const dnnl_dims_t strides = {l->stride_h, l->stride_w};
    const dnnl_dims_t dilates = {l->dilation_h - 1, l->dilation_w - 1};
    const dnnl_dims_t pad_l = {l->pad_h, l->pad_w};
    /* the right padding that gives exactly our output size */
    const dnnl_dims_t pad_r = {
        (l->h_out - 1) * l->stride_h + (l->kernel_h - 1) * l->dilation_h + 1 - l->h_in - l->pad_h,
        (l->w_out - 1) * l->stride_w + (l->kernel_w - 1) * l->dilation_w + 1 - l->w_in - l->pad_w,
    };

    dnnl_memory_desc_t user_src_md, user_weights_md, user_dst_md, bias_md;
    dnnl_memory_desc_t src_md, weights_md, dst_md;
    DNNL_TRY(convolution_mds(&user_src_md, &user_dst_md, &user_weights_md, src_dims, dst_dims,
                             weight_rank, weight_dims, dnnl_nchw,
                             grouped ? dnnl_goihw : dnnl_oihw));
    DNNL_TRY(dnnl_memory_desc_init_by_tag(&bias_md, 1, bias_dims, dnnl_f32, dnnl_x));
    if (mode == ONEDNN_PLAIN) {
        src_md = user_src_md;
        dst_md = user_dst_md;
        weights_md = user_weights_md;
    } else {
        DNNL_TRY(convolution_mds(&src_md, &dst_md, &weights_md, src_dims, dst_dims, weight_rank,
                                 weight_dims, dnnl_format_tag_any, dnnl_format_tag_any));
    }

    dnnl_convolution_desc_t desc;
    const dnnl_alg_kind_t alg =
        mode == ONEDNN_WINOGRAD ? dnnl_convolution_winograd : dnnl_convolution_direct;
    DNNL_TRY(dnnl_dilated_convolution_forward_desc_init(
        &desc, dnnl_forward_inference, alg, &src_md, &weights_md, l->bias ? &bias_md : NULL,
        &dst_md, strides, dilates, pad_l, pad_r));
    dnnl_status_t created = dnnl_primitive_desc_create(&pd, &desc, NULL, s->engine, NULL);
    if (created == dnnl_unimplemented) {
        const dnnl_version_t *v = dnnl_version();
        snprintf(error_text, sizeof error_text,
                 "oneDNN %d.%d.%d declined: no %s implementation for this shape on this CPU",
                 v->major, v->minor, v->patch,
                 mode == ONEDNN_WINOGRAD ? "Winograd" : "direct");
        failure = CONV_UNSUPPORTED;
        goto fail;
    }
    DNNL_TRY(created);
    const char *impl = NULL;
    DNNL_TRY(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    snprintf(s->impl, sizeof s->impl, "%s", impl ? impl : "?");
    DNNL_TRY(dnnl_primitive_create(&s->conv, pd));

    /* weights (and bias) into the layout the primitive chose, once */
    const dnnl_memory_desc_t *conv_src_md = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *conv_weights_md =
        dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *conv_dst_md = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    layout_name(conv_src_md, s->layout_in, sizeof s->layout_in);
    layout_name(conv_dst_md, s->layout_out, sizeof s->layout_out);
    DNNL_TRY(dnnl_memory_create(&s->weights, conv_weights_md, s->engine, DNNL_MEMORY_ALLOCATE));
    DNNL_TRY(reorder_into(s, &user_weights_md, weights, s->weights));
    if (l->bias) {
        DNNL_TRY(dnnl_memory_create(&s->bias, &bias_md, s->engine, DNNL_MEMORY_ALLOCATE));
        DNNL_TRY(reorder_into(s, &bias_md, bias, s->bias));
    }

    if (mode == ONEDNN_PLAIN) {
        DNNL_TRY(dnnl_memory_create(&s->src, conv_src_md, s->engine, DNNL_MEMORY_NONE));
        DNNL_TRY(dnnl_memory_create(&s->dst, conv_dst_md, s->engine, DNNL_MEMORY_NONE));
    } else {
        DNNL_TRY(dnnl_memory_create(&s->src, conv_src_md, s->engine, DNNL_MEMORY_ALLOCATE));
        DNNL_TRY(dnnl_memory_create(&s->dst, conv_dst_md, s->engine, DNNL_MEMORY_ALLOCATE));
        DNNL_TRY(dnnl_memory_create(&s->user_src, &user_src_md, s->engine, DNNL_MEMORY_NONE));
        DNNL_TRY(dnnl_memory_create(&s->user_dst, &user_dst_md, s->engine, DNNL_MEMORY_NONE));
        DNNL_TRY(make_reorder(s, s->user_src, s->src, &s->src_reorder));
        DNNL_TRY(make_reorder(s, s->dst, s->user_dst, &s->dst_reorder));
    }
    dnnl_primitive_desc_destroy(pd);
    *state = s;
    return CONV_OK;

fail:
    dnnl_primitive_desc_destroy(pd);
    onednn_destroy(s);
    *why = error_text;
    return failure;
}

static enum conv_status execute_conv(struct onednn_state *s)
{
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, s->src}, {DNNL_ARG_WEIGHTS, s->weights}, {DNNL_ARG_DST, s->dst},
        {DNNL_ARG_BIAS, s->bias},
    };
    int count = s->bias ? 4 : 3;
    if (dnnl_primitive_execute(s->conv, s->stream, count, args) != dnnl_success ||
        dnnl_stream_wait(s->stream) != dnnl_success)
        return CONV_ERROR;
    return CONV_OK;
}

static enum conv_status onednn_run(void *state, const float *in, float *out)
{
    struct onednn_state *s = state;
    if (s->mode == ONEDNN_PLAIN &&
        (dnnl_memory_set_data_handle(s->src, (void *)in) != dnnl_success ||
         dnnl_memory_set_data_handle(s->dst, out) != dnnl_success))
        return CONV_ERROR;
    /* the primitive runs its own team of threads */
    const uint64_t t0 = phases_active ? phase_ticks() : 0;
    const enum conv_status status = execute_conv(s);
    if (phases_active)
        phase_add(PHASE_COMPUTE, phase_ticks() - t0, omp_get_max_threads());
    return status;
}

static enum conv_status run_reorder(struct onednn_state *s, dnnl_primitive_t reorder,
                                    dnnl_memory_t from, dnnl_memory_t to)
{
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    if (dnnl_primitive_execute(reorder, s->stream, 2, args) != dnnl_success ||
        dnnl_stream_wait(s->stream) != dnnl_success)
        return CONV_ERROR;
    return CONV_OK;
}

static enum conv_status blocked_load_input(void *state, const float *in)
{
    struct onednn_state *s = state;
    if (dnnl_memory_set_data_handle(s->user_src, (void *)in) != dnnl_success)
        return CONV_ERROR;
    return run_reorder(s, s->src_reorder, s->user_src, s->src);
}

static enum conv_status blocked_store_output(void *state, float *out)
{
    struct onednn_state *s = state;
    if (dnnl_memory_set_data_handle(s->user_dst, out) != dnnl_success)
        return CONV_ERROR;
    return run_reorder(s, s->dst_reorder, s->dst, s->user_dst);
}

static const char *onednn_describe(void *state)
{
    return ((struct onednn_state *)state)->impl;
}

static void onednn_layouts(void *state, const char **in, const char **out)
{
    const struct onednn_state *s = state;
    *in = s->layout_in;
    *out = s->layout_out;
}

#define ONEDNN_PLAN(mode_name, mode)                                                       \
    static enum conv_status plan_##mode_name(const struct conv_layer *l, const float *w,  \
                                             const float *b, int threads, void **state,   \
                                             const char **why)                            \
    {                                                                                      \
        (void)threads; /* oneDNN follows omp_set_num_threads */                            \
        return plan_mode(mode, l, w, b, state, why);                                       \
    }
ONEDNN_PLAN(plain, ONEDNN_PLAIN)
ONEDNN_PLAN(blocked, ONEDNN_BLOCKED)
ONEDNN_PLAN(winograd, ONEDNN_WINOGRAD)

/* oneDNN's own scratchpads are not visible before primitive creation: count
 * the weight copy, the blocked copies of input and output, and as much
 * again for scratch. */
static size_t onednn_memory(const struct conv_layer *l, int threads)
{
    (void)threads;
    const size_t weights = (size_t)layer_weight_elements(l) * sizeof(float);
    const size_t tensors = (size_t)(layer_input_elements(l) + layer_output_elements(l)) *
                           sizeof(float);
    return 2 * (weights + tensors);
}

/* The three oneDNN variants differ in the primitive plan asks for, what they
 * support (oneDNN decides in plan, beyond Winograd's shape limits) and whether
 * their memory is blocked (conversions untimed). Tolerance: Winograd's worst
 * measured is 1.7 (see winograd/winograd.c for the method). */
#define ONEDNN_VARIANT(variant, name_, summary_, supports_, plan_, ...)                   \
    const struct conv_variant variant = {                                               \
        .name = name_, .summary = summary_,                                             \
        .peer = true, .phases = true, .tolerance = 16.0,                                \
        .supports = supports_, .plan = plan_, .run = onednn_run, .destroy = onednn_destroy, \
        .layouts = onednn_layouts, .describe = onednn_describe, .memory = onednn_memory, \
        __VA_ARGS__                                                                     \
    }
#define ONEDNN_CONVERSIONS .load_input = blocked_load_input, .store_output = blocked_store_output

ONEDNN_VARIANT(variant_onednn, "onednn",
               "oneDNN direct convolution on plain NCHW/OIHW memory; every shape",
               conv_supports_every_shape, plan_plain);
ONEDNN_VARIANT(variant_onednn_blocked, "onednn-blocked",
               "oneDNN direct convolution in the layout it prefers (conversions untimed, "
               "reported in reorder_in_us and reorder_out_us); every shape",
               conv_supports_every_shape, plan_blocked, ONEDNN_CONVERSIONS);
ONEDNN_VARIANT(variant_onednn_winograd, "onednn-winograd",
               "oneDNN Winograd in its own layout (conversions untimed); 3x3 stride 1, "
               "undilated, where oneDNN offers it (AVX-512)",
               winograd_supports, plan_winograd, ONEDNN_CONVERSIONS);
