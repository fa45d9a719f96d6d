/* xnnpack: XNNPACK's f32 convolution on NHWC tensors, the peer that computes
 * in the layout mobile inference runtimes use. Weights go to XNNPACK's
 * GOHWI order in plan, where the operator packs them; the input's NCHW ->
 * NHWC and the output's NHWC -> NCHW conversions are load_input and
 * store_output, untimed and reported (reorder_us), as for onednn-blocked.
 * XNNPACK runs on a pthreadpool of the plan's thread count, not on OpenMP. */
#include <math.h>
#include <pthreadpool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#include "tensor.h"
#include "variant.h"

struct xnnpack_state {
    struct conv_layer layer;
    xnn_operator_t op;
    pthreadpool_t pool;
    float *in, *out; /* NHWC */
    char impl[96];
};

static void xnnpack_destroy(void *state)
{
    struct xnnpack_state *s = state;
    if (!s)
        return;
    if (s->op)
        xnn_delete_operator(s->op);
    if (s->pool)
        pthreadpool_destroy(s->pool);
    free(s->in);
    free(s->out);
    free(s);
}

static bool xnnpack_ready(void)
{
    static int status = -1;
    #pragma omp critical(xnnpack_initialize)
    if (status < 0)
        status = xnn_initialize(NULL) == xnn_status_success;
    return status == 1;
}

/* The plan: OIHW weights to GOHWI (per output channel: its taps, input
 * channels innermost), the operator created on them, set up once on the
 * state's own NHWC buffers. */
static enum conv_status xnnpack_plan(const struct conv_layer *l, const float *weights,
                                     const float *bias, int threads, void **state,
                                     const char **why)
{
    if (!xnnpack_ready()) {
        *why = "XNNPACK could not initialize (unsupported CPU)";
        return CONV_ERROR;
    }
    struct xnnpack_state *s = calloc(1, sizeof *s);
    const int64_t ci = l->c_in / l->groups, taps = l->kernel_h * l->kernel_w;
    float *gohwi = tensor_alloc((size_t)layer_weight_elements(l), sizeof(float));
    if (s) {
        s->layer = *l;
        s->in = tensor_alloc((size_t)layer_input_elements(l), sizeof(float));
        s->out = tensor_alloc((size_t)layer_output_elements(l), sizeof(float));
        s->pool = pthreadpool_create((size_t)threads);
    }
    if (!s || !gohwi || !s->in || !s->out || !s->pool) {
        free(gohwi);
        xnnpack_destroy(s);
        *why = "out of memory";
        return CONV_ERROR;
    }
    for (int64_t o = 0; o < l->c_out; o++)
        for (int64_t i = 0; i < ci; i++)
            for (int64_t t = 0; t < taps; t++)
                gohwi[(o * taps + t) * ci + i] = weights[(o * ci + i) * taps + t];
    const enum xnn_status created = xnn_create_convolution2d_nhwc_f32(
        (uint32_t)l->pad_h, (uint32_t)l->pad_right, (uint32_t)l->pad_bottom, (uint32_t)l->pad_w,
        (uint32_t)l->kernel_h, (uint32_t)l->kernel_w, (uint32_t)l->stride_h,
        (uint32_t)l->stride_w, (uint32_t)l->dilation_h, (uint32_t)l->dilation_w,
        (uint32_t)l->groups, (size_t)ci, (size_t)(l->c_out / l->groups), (size_t)l->c_in,
        (size_t)l->c_out, gohwi, bias, -INFINITY, INFINITY, 0, &s->op);
    free(gohwi);
    if (created != xnn_status_success ||
        xnn_setup_convolution2d_nhwc_f32(s->op, (size_t)l->batch, (size_t)l->h_in,
                                         (size_t)l->w_in, s->in, s->out, s->pool) !=
            xnn_status_success) {
        xnnpack_destroy(s);
        *why = created == xnn_status_unsupported_parameter ? "XNNPACK does not take this shape"
                                                           : "XNNPACK could not set up the layer";
        return created == xnn_status_unsupported_parameter ? CONV_UNSUPPORTED : CONV_ERROR;
    }
    snprintf(s->impl, sizeof s->impl, "XNNPACK f32 convolution, NHWC, pthreadpool of %zu",
             pthreadpool_get_threads_count(s->pool));
    *state = s;
    return CONV_OK;
}

static enum conv_status xnnpack_run(void *state, const float *in, float *out)
{
    (void)in, (void)out; /* the operator works on the state's NHWC buffers */
    struct xnnpack_state *s = state;
    return xnn_run_operator(s->op, s->pool) == xnn_status_success ? CONV_OK : CONV_ERROR;
}

/* Per image, the c x plane matrix "from" into its transpose "to" (or back),
 * in 32 x 32 tiles so that both sides stay in cache, the tiles shared by
 * the OpenMP threads (as oneDNN's reorders run on its threads). */
static void transpose_images(const float *from, float *to, int64_t batch, int64_t rows,
                             int64_t columns)
{
    enum { TILE = 32 };
    const int64_t row_tiles = (rows + TILE - 1) / TILE, column_tiles = (columns + TILE - 1) / TILE;
    #pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < batch; n++)
        for (int64_t t = 0; t < row_tiles * column_tiles; t++) {
            const int64_t r0 = t / column_tiles * TILE, c0 = t % column_tiles * TILE;
            const int64_t r1 = r0 + TILE < rows ? r0 + TILE : rows;
            const int64_t c1 = c0 + TILE < columns ? c0 + TILE : columns;
            const float *src = from + n * rows * columns;
            float *dst = to + n * rows * columns;
            for (int64_t r = r0; r < r1; r++)
                for (int64_t c = c0; c < c1; c++)
                    dst[c * rows + r] = src[r * columns + c];
        }
}

/* NCHW -> NHWC: per image, C x (H W) becomes (H W) x C. */
static enum conv_status xnnpack_load_input(void *state, const float *in)
{
    struct xnnpack_state *s = state;
    const struct conv_layer *l = &s->layer;
    transpose_images(in, s->in, l->batch, l->c_in, l->h_in * l->w_in);
    return CONV_OK;
}

static enum conv_status xnnpack_store_output(void *state, float *out)
{
    struct xnnpack_state *s = state;
    const struct conv_layer *l = &s->layer;
    transpose_images(s->out, out, l->batch, l->h_out * l->w_out, l->c_out);
    return CONV_OK;
}

static void xnnpack_layouts(void *state, const char **in, const char **out)
{
    (void)state;
    *in = *out = "nhwc";
}

static const char *xnnpack_describe(void *state)
{
    return ((struct xnnpack_state *)state)->impl;
}

/* The NHWC copies of input and output, and XNNPACK's packed weights (at
 * most the weights again, padded: counted twice) and its indirection
 * buffer (a pointer per output pixel and tap). */
static size_t xnnpack_memory(const struct conv_layer *l, int threads)
{
    (void)threads;
    const size_t tensors = (size_t)(layer_input_elements(l) + layer_output_elements(l)) *
                           sizeof(float);
    const size_t weights = 2 * (size_t)(layer_weight_elements(l) + l->c_out) * sizeof(float);
    const size_t indirection = (size_t)(l->batch * l->h_out * l->w_out * l->kernel_h *
                                        l->kernel_w) * sizeof(void *);
    return tensors + weights + indirection;
}

const struct conv_variant variant_xnnpack = {
    .name = "xnnpack",
    .summary = "XNNPACK's f32 convolution on NHWC (conversions untimed, reported as "
               "reorder_us), on a pthreadpool; every shape",
    .peer = true, .tolerance = 16.0,
    /* XNNPACK decides, in plan */
    .supports = conv_supports_every_shape, .plan = xnnpack_plan, .run = xnnpack_run,
    .destroy = xnnpack_destroy,
    .load_input = xnnpack_load_input, .store_output = xnnpack_store_output,
    .layouts = xnnpack_layouts,
    .describe = xnnpack_describe, .memory = xnnpack_memory,
};
