#include "lowering.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

size_t lowering_layout(struct lowering *lw, const struct conv_layer *l, int threads,
                       bool columns)
{
    *lw = (struct lowering){.layer = *l, .threads = threads};
    lw->m = l->c_out / l->groups;
    lw->k = l->c_in / l->groups * l->kernel_h * l->kernel_w;
    lw->n = l->h_out * l->w_out;
    lw->direct = l->kernel_h == 1 && l->kernel_w == 1 && l->stride_h == 1 && l->stride_w == 1 &&
                 l->pad_h == 0 && l->pad_w == 0 && l->pad_bottom == 0 && l->pad_right == 0;
    /* many groups: one per thread, each GEMM on one thread; otherwise every
     * thread works inside each group's GEMM */
    const int64_t units = l->batch * l->groups;
    lw->parallel_groups = threads > 1 && l->groups > 1 &&
                          (units % threads == 0 || units >= 4 * threads);
    lw->buffers = lw->parallel_groups ? threads : 1;
    lw->band_rows = l->h_out;
    lw->columns_built = columns && !lw->direct;
    if (!lw->columns_built)
        return 0;

    const size_t row_bytes = (size_t)(lw->k * l->w_out) * sizeof(float);
    lw->band_rows = (int64_t)(LOWERING_COLUMN_BYTES / row_bytes);
    if (lw->band_rows < 1)
        lw->band_rows = 1;
    if (lw->band_rows > l->h_out)
        lw->band_rows = l->h_out;
    lw->buffer_floats = (size_t)(lw->k * lw->band_rows * l->w_out);
    /* keep each buffer on its own cache lines */
    lw->buffer_floats = (lw->buffer_floats + 15) / 16 * 16;
    return lw->buffer_floats * (size_t)lw->buffers * sizeof(float);
}

int lowering_plan(struct lowering *lw, const struct conv_layer *l, int threads, bool columns)
{
    if (lowering_layout(lw, l, threads, columns) == 0)
        return 0;
    lw->columns = tensor_alloc(lw->buffer_floats * (size_t)lw->buffers, sizeof(float));
    return lw->columns ? 0 : -1;
}

void lowering_free(struct lowering *lw)
{
    free(lw->columns);
    lw->columns = NULL;
}

/* One row (c, kh, kw) of the columns for output rows [oh0, oh1). */
static void im2col_row(const struct conv_layer *l, const float *plane, int64_t kh, int64_t kw,
                       int64_t oh0, int64_t oh1, float *row)
{
    const int64_t W = l->w_in, Q = l->w_out, S = l->stride_w;
    const int64_t offset = kw * l->dilation_w - l->pad_w; /* iw = ow * S + offset */
    /* outputs whose tap lands inside the row: ow_lo <= ow < ow_hi */
    int64_t ow_lo, ow_hi;
    layer_inside_range(offset, S, W, Q, &ow_lo, &ow_hi);

    for (int64_t oh = oh0; oh < oh1; oh++, row += Q) {
        const int64_t ih = oh * l->stride_h - l->pad_h + kh * l->dilation_h;
        if (ih < 0 || ih >= l->h_in) {
            memset(row, 0, (size_t)Q * sizeof(float));
            continue;
        }
        const float *src = plane + ih * W + offset;
        memset(row, 0, (size_t)ow_lo * sizeof(float));
        if (S == 1)
            memcpy(row + ow_lo, src + ow_lo, (size_t)(ow_hi - ow_lo) * sizeof(float));
        else
            for (int64_t ow = ow_lo; ow < ow_hi; ow++)
                row[ow] = src[ow * S];
        memset(row + ow_hi, 0, (size_t)(Q - ow_hi) * sizeof(float));
    }
}

/* Columns for output rows [oh0, oh1) of one image and group: in points at the
 * group's first input channel; columns is K x ((oh1 - oh0) * W_out). */
static void im2col_band(const struct conv_layer *l, const float *in, int64_t oh0, int64_t oh1,
                        float *columns, int threads)
{
    const int64_t taps = l->kernel_h * l->kernel_w;
    const int64_t rows = l->c_in / l->groups * taps;
    const int64_t width = (oh1 - oh0) * l->w_out;
    #pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const int64_t c = r / taps, kh = r % taps / l->kernel_w, kw = r % l->kernel_w;
        im2col_row(l, in + c * l->h_in * l->w_in, kh, kw, oh0, oh1, columns + r * width);
    }
}

/* Image n, group g: bands of output rows, columns then GEMM. */
static void run_group(const struct lowering *lw, const float *in, float *out, int64_t n,
                     int64_t g, lowered_gemm_fn gemm, void *context, int thread, int threads)
{
    const struct conv_layer *l = &lw->layer;
    const float *in_g = in + (n * l->c_in + g * (l->c_in / l->groups)) * l->h_in * l->w_in;
    float *out_g = out + (n * l->c_out + g * lw->m) * lw->n;
    if (lw->direct) {
        gemm(context, g, in_g, lw->n, lw->n, out_g, lw->n, thread, threads);
        return;
    }
    if (!lw->columns_built) {
        gemm(context, g, in_g, 0, lw->n, out_g, lw->n, thread, threads);
        return;
    }
    float *columns = lw->columns + (size_t)thread * lw->buffer_floats;
    for (int64_t oh0 = 0; oh0 < l->h_out; oh0 += lw->band_rows) {
        const int64_t oh1 = oh0 + lw->band_rows < l->h_out ? oh0 + lw->band_rows : l->h_out;
        const int64_t width = (oh1 - oh0) * l->w_out;
        im2col_band(l, in_g, oh0, oh1, columns, threads);
        gemm(context, g, columns, width, width, out_g + oh0 * l->w_out, lw->n, thread, threads);
    }
}

void lowering_run(const struct lowering *lw, const float *in, float *out, void *context)
{
    const lowered_gemm_fn gemm = lw->gemm;
    const struct conv_layer *l = &lw->layer;
    const int64_t units = l->batch * l->groups;
    if (lw->parallel_groups) {
        #pragma omp parallel for num_threads(lw->threads) schedule(dynamic)
        for (int64_t u = 0; u < units; u++)
            run_group(lw, in, out, u / l->groups, u % l->groups, gemm, context,
                      omp_get_thread_num(), 1);
    } else {
        for (int64_t u = 0; u < units; u++)
            run_group(lw, in, out, u / l->groups, u % l->groups, gemm, context, 0, lw->threads);
    }
}

enum conv_status lowering_variant_run(void *state, const float *in, float *out)
{
    lowering_run(state, in, out, state);
    return CONV_OK;
}

const char *lowering_variant_describe(void *state)
{
    return ((struct lowering *)state)->description;
}
