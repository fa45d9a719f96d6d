/* Every depthwise kernel the CPU can run (not only the one dispatch picks)
 * against the reference, on the shapes that exercise its paths: masked
 * edges, stride 1, 2 and 3, dilation, multipliers, widths around one and
 * several vectors, and bands of rows. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "depthwise/depthwise.h"
#include "reference.h"
#include "tensor.h"
#include "verify.h"

/* C, H, W, multiplier, K, stride, pad, dilation, bias[, 1, pad after
 * (rows), pad after (columns)] where the padding after the input differs */
static const int64_t shapes[][12] = {
    {4, 9, 14, 1, 3, 1, 1, 1, 1},   {3, 8, 16, 1, 3, 1, 1, 1, 0},  {3, 8, 17, 2, 3, 1, 1, 1, 1},
    {5, 15, 17, 1, 3, 2, 1, 1, 0},  {2, 7, 5, 1, 3, 1, 1, 1, 1},   {2, 6, 33, 1, 3, 2, 1, 1, 0},
    {2, 5, 150, 1, 3, 1, 1, 1, 0},  {2, 6, 261, 1, 3, 2, 1, 1, 1}, {3, 13, 15, 1, 5, 1, 4, 2, 1},
    {3, 12, 40, 1, 5, 2, 2, 1, 0},  {2, 11, 19, 1, 7, 3, 3, 1, 1}, {4, 9, 33, 1, 3, 1, 0, 1, 0},
    {2, 10, 20, 3, 5, 1, 2, 1, 1},  {2, 9, 9, 1, 3, 1, 2, 1, 0},   {1, 3, 3, 1, 3, 1, 1, 1, 1},
    /* the 3x3 path's row blocks (R = 8, 4, 2 by width) with a short last
     * block, and its row pairs on planes up to 8 wide */
    {3, 19, 14, 1, 3, 1, 1, 1, 1}, {2, 23, 40, 1, 3, 1, 1, 1, 0}, {2, 13, 100, 1, 3, 1, 1, 1, 1},
    {3, 7, 7, 2, 3, 1, 1, 1, 1},   {2, 14, 14, 1, 3, 2, 1, 1, 1}, {2, 9, 8, 1, 3, 1, 1, 1, 0},
    {2, 11, 15, 1, 3, 2, 1, 1, 0}, {2, 6, 6, 1, 3, 1, 0, 1, 1},   {3, 2, 5, 1, 3, 1, 1, 1, 0},
    /* the shifted taps: stride 1 with pad 2 on a wide row and on a row of
     * whole vectors; stride 2 with pads 0 to 3 (even and odd) */
    {2, 8, 40, 1, 3, 1, 2, 1, 1},  {2, 10, 32, 1, 3, 1, 1, 1, 1}, {2, 9, 70, 1, 3, 2, 2, 1, 0},
    {2, 9, 67, 1, 3, 2, 0, 1, 1},  {2, 8, 50, 1, 3, 2, 3, 1, 0},
    /* stride 1 without padding on a row of whole vectors: both shifts
     * take a lane from inside the image */
    {2, 7, 34, 1, 3, 1, 0, 1, 1},
    /* padding that differs before and after: SAME_UPPER and SAME_LOWER at
     * stride 2, and wider padding on one side at stride 1 */
    {3, 14, 14, 1, 3, 2, 0, 1, 1, 1, 1, 1}, {2, 9, 40, 1, 3, 2, 0, 1, 0, 1, 1, 1},
    {2, 10, 33, 1, 3, 2, 1, 1, 1, 1, 0, 0}, {2, 8, 37, 1, 3, 1, 2, 1, 0, 1, 0, 0},
    {2, 8, 32, 1, 3, 1, 0, 1, 1, 1, 2, 2},  {2, 9, 21, 1, 5, 1, 1, 1, 0, 1, 3, 4},
    {2, 12, 70, 1, 3, 1, 1, 1, 1, 1, 0, 3}, {3, 11, 19, 2, 5, 2, 2, 1, 1, 1, 0, 1},
};

int main(void)
{
    int kernels = 0;
    FOR_EACH_RUNNABLE(kernel, depthwise_kernels, depthwise_kernel_count, "depthwise kernel",
                      kernels) {
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            const int64_t *s = shapes[i];
            struct conv_layer l = {.repeat = 1, .batch = 2, .c_in = s[0], .h_in = s[1],
                                   .w_in = s[2], .c_out = s[0] * s[3], .kernel_h = s[4],
                                   .kernel_w = s[4], .stride_h = s[5], .stride_w = s[5],
                                   .pad_h = s[6], .pad_w = s[6],
                                   .pad_bottom = s[9] ? s[10] : s[6],
                                   .pad_right = s[9] ? s[11] : s[6], .dilation_h = s[7],
                                   .dilation_w = s[7], .groups = s[0], .bias = s[8]};
            if (layer_derive(&l)) {
                fprintf(stderr, "bad test shape %zu\n", i);
                return 2;
            }
            const size_t in_n = (size_t)layer_input_elements(&l),
                         w_n = (size_t)layer_weight_elements(&l),
                         out_n = (size_t)layer_output_elements(&l);
            float *in = tensor_alloc(in_n, 4), *w = tensor_alloc(w_n, 4),
                  *bias = tensor_alloc((size_t)l.c_out, 4), *out = tensor_alloc(out_n, 4),
                  *zeros = tensor_alloc(depthwise_zeros_floats(&l), 4);
            /* the band a kernel may copy rows into starts out as NaN: a
             * kernel that relies on what an earlier call left there fails */
            const size_t band_n = depthwise_band_floats(&l) + 1;
            float *band = tensor_alloc(band_n, 4);
            double *ref = tensor_alloc(out_n, 8);
            if (!in || !w || !bias || !out || !zeros || !band || !ref)
                return 3;
            const struct depthwise_work work = {zeros, band};
            tensor_fill_random(in, in_n, 5, i);
            tensor_fill_random(w, w_n, 6, i);
            tensor_fill_random(bias, (size_t)l.c_out, 7, i);
            tensor_fill(zeros, depthwise_zeros_floats(&l), 0.0f);
            const float *b = l.bias ? bias : NULL;
            reference_conv(&l, in, w, b, ref);

            /* whole planes at once, then planes in bands of rows */
            for (int banded = 0; banded < 2; banded++) {
                tensor_fill(out, out_n, NAN);
                const int64_t planes = l.batch * l.c_out;
                if (!banded) {
                    tensor_fill(band, band_n, NAN);
                    kernel->planes(&l, in, w, b, out, 0, planes, 0, l.h_out, &work);
                } else {
                    /* a band writes its own rows only: everything after it,
                     * up to the end of the next plane, is still NaN */
                    const int64_t Q = l.w_out, plane_size = l.h_out * Q;
                    for (int64_t p = 0; p < planes; p++)
                        for (int64_t r = 0; r < l.h_out; r += 2) {
                            const int64_t r1 = r + 2 < l.h_out ? r + 2 : l.h_out;
                            tensor_fill(band, band_n, NAN);
                            kernel->planes(&l, in, w, b, out, p, p + 1, r, r1, &work);
                            const int64_t after = p * plane_size + r1 * Q,
                                          end = (p + 2) * plane_size < (int64_t)out_n
                                                    ? (p + 2) * plane_size
                                                    : (int64_t)out_n;
                            int64_t written = 0;
                            for (int64_t e = after; e < end; e++)
                                written += !isnan(out[e]);
                            CHECK(written == 0,
                                  "%s, shape %zu: band %lld-%lld of plane %lld wrote %lld "
                                  "elements after it",
                                  kernel->name, i, (long long)r, (long long)r1, (long long)p,
                                  (long long)written);
                        }
                }
                struct verify_result r = verify_output(out, ref, out_n, verify_bound(&l, 16.0));
                CHECK(r.verdict == VERIFY_OK,
                      "%s, shape %zu (C=%lld %lldx%lld m=%lld K=%lld S=%lld P=%lld D=%lld)%s: %s, "
                      "max_rel_err %.3e, element %zu is %.7g, reference %.7g",
                      kernel->name, i, (long long)s[0], (long long)s[1], (long long)s[2],
                      (long long)s[3], (long long)s[4], (long long)s[5], (long long)s[6],
                      (long long)s[7], banded ? " in bands" : "", verify_verdict_text(r.verdict),
                      r.max_rel_err, r.worst_index, (double)r.worst_value, r.worst_reference);
            }
            free(in);
            free(w);
            free(bias);
            free(out);
            free(zeros);
            free(band);
            free(ref);
        }
        printf("depthwise kernel %s: %zu shapes checked\n", kernel->name,
               sizeof shapes / sizeof *shapes);
    }
    CHECK(kernels >= 1, "no depthwise kernel could run");
    return check_report("depthwise kernels");
}
