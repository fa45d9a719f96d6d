/* The depthwise kernel in portable C: each output row accumulated tap by
 * tap over the outputs whose input column is inside the row. */
#include "planes.h"

/* ---- portable C --------------------------------------------------------- */

static void depthwise_rows_c(const struct conv_layer *l, const float *x, const float *w,
                             float bias, float *y, int64_t oh0, int64_t oh1)
{
    const int64_t W = l->w_in, Q = l->w_out;
    for (int64_t oh = oh0; oh < oh1; oh++) {
        float *out = y + oh * Q;
        for (int64_t ow = 0; ow < Q; ow++)
            out[ow] = bias;
        for (int64_t kh = 0; kh < l->kernel_h; kh++) {
            const int64_t ih = oh * l->stride_h - l->pad_h + kh * l->dilation_h;
            if (ih < 0 || ih >= l->h_in)
                continue;
            const float *row = x + ih * W;
            for (int64_t kw = 0; kw < l->kernel_w; kw++) {
                const float wv = w[kh * l->kernel_w + kw];
                const int64_t offset = kw * l->dilation_w - l->pad_w;
                /* outputs whose input column is inside the row */
                int64_t lo, hi;
                layer_inside_range(offset, l->stride_w, W, Q, &lo, &hi);
                for (int64_t ow = lo; ow < hi; ow++)
                    out[ow] += wv * row[ow * l->stride_w + offset];
            }
        }
    }
}

static void depthwise_planes_c(const struct conv_layer *l, const float *in,
                               const float *weights, const float *bias, float *out, int64_t p0,
                               int64_t p1, int64_t oh0, int64_t oh1,
                               const struct depthwise_work *work)
{
    (void)work;
    for_each_plane(l, in, weights, bias, out, p0, p1, oh0, oh1, depthwise_rows_c);
}

const struct depthwise_kernel depthwise_kernel__c = {"c", CPU_ISA_GENERIC, depthwise_planes_c,
                                                     NULL};
