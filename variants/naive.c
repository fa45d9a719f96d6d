/* naive: the textbook direct convolution, one output element at a time, in
 * float. It does every stride, padding, dilation and group count, and is the
 * floor every other variant is measured against. Parallel over batch x output
 * channels. */
#include <stdlib.h>

#include "tensor.h"
#include "variant.h"

struct naive_state {
    struct conv_layer layer;
    const float *weights;
    const float *bias;
    int threads;
};

static enum conv_status naive_plan(const struct conv_layer *l, const float *weights,
                                   const float *bias, int threads, void **state,
                                   const char **why)
{
    struct naive_state *s = conv_state_alloc(sizeof *s, why);
    if (!s)
        return CONV_ERROR;
    *s = (struct naive_state){*l, weights, bias, threads};
    *state = s;
    return CONV_OK;
}

static enum conv_status naive_run(void *state, const float *in, float *out)
{
    const struct naive_state *s = state;
    const struct conv_layer *l = &s->layer;
    const int64_t c_in_group = l->c_in / l->groups, c_out_group = l->c_out / l->groups;
    const int64_t planes = l->batch * l->c_out;

    #pragma omp parallel for num_threads(s->threads) schedule(dynamic)
    for (int64_t plane = 0; plane < planes; plane++) {
        const int64_t n = plane / l->c_out, co = plane % l->c_out;
        const int64_t first_ci = (co / c_out_group) * c_in_group;
        const float *w = s->weights + co * c_in_group * l->kernel_h * l->kernel_w;
        float *y = out + plane * l->h_out * l->w_out;
        for (int64_t oh = 0; oh < l->h_out; oh++) {
            for (int64_t ow = 0; ow < l->w_out; ow++) {
                float sum = s->bias ? s->bias[co] : 0.0f;
                for (int64_t ci = 0; ci < c_in_group; ci++) {
                    const float *x = in + ((n * l->c_in) + first_ci + ci) * l->h_in * l->w_in;
                    for (int64_t kh = 0; kh < l->kernel_h; kh++) {
                        const int64_t ih = oh * l->stride_h - l->pad_h + kh * l->dilation_h;
                        if (ih < 0 || ih >= l->h_in)
                            continue;
                        for (int64_t kw = 0; kw < l->kernel_w; kw++) {
                            const int64_t iw = ow * l->stride_w - l->pad_w + kw * l->dilation_w;
                            if (iw < 0 || iw >= l->w_in)
                                continue;
                            sum += x[ih * l->w_in + iw] *
                                   w[(ci * l->kernel_h + kh) * l->kernel_w + kw];
                        }
                    }
                }
                y[oh * l->w_out + ow] = sum;
            }
        }
    }
    return CONV_OK;
}

static size_t naive_memory(const struct conv_layer *l, int threads)
{
    (void)l, (void)threads;
    return tensor_held_bytes(sizeof(struct naive_state));
}

const struct conv_variant variant_naive = {
    .name = "naive",
    .summary = "direct loops over NCHW, one output at a time; every shape",
    .tolerance = 16.0,
    .supports = conv_supports_every_shape, .plan = naive_plan, .run = naive_run, .destroy = free,
    .memory = naive_memory,
};
