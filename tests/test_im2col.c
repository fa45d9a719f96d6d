/* The im2col packers: the AVX-512 and AVX2 ones (where the CPU has them)
 * must produce exactly the portable one's panels, 32 and 16 wide, and the
 * portable one exactly the definition (the input element each tap sees, 0
 * in the padding), on shapes with row-crossing panels, padding, strides,
 * dilation and ragged last panels. */
#include <stdlib.h>

#include "check.h"
#include "im2col_pack.h"
#include "tensor.h"

/* C, H, W, K, stride, pad, dilation */
static const int64_t shapes[][7] = {
    {3, 14, 14, 3, 1, 1, 1}, {2, 7, 7, 3, 1, 1, 1},   {4, 28, 28, 3, 2, 1, 1},
    {2, 56, 56, 3, 1, 1, 1}, {3, 15, 13, 5, 2, 2, 1}, {2, 12, 40, 3, 1, 2, 2},
    {1, 9, 9, 7, 3, 3, 1},   {2, 33, 70, 3, 1, 0, 1}, {3, 224, 37, 7, 2, 3, 1},
    {2, 5, 3, 3, 1, 2, 1},   {2, 20, 90, 3, 2, 1, 1}, {2, 17, 75, 3, 2, 2, 2},
    {2, 11, 11, 3, 2, 1, 1}, {1, 6, 6, 3, 1, 1, 1},   {2, 9, 4, 3, 1, 1, 1},
    {12, 14, 14, 3, 1, 1, 1}, {12, 15, 15, 3, 2, 1, 1}, {8, 56, 56, 3, 1, 1, 1},
    {5, 7, 7, 3, 1, 1, 1},   {5, 12, 40, 3, 1, 2, 2}, {4, 9, 4, 5, 1, 2, 1},
    {5, 6, 9, 3, 1, 0, 1},   {4, 3, 35, 3, 1, 1, 1},  {4, 8, 8, 7, 1, 3, 1},
};

/* C, H, W, Kh, Kw, Ph, Pw at stride 1: kernels and padding that differ
 * between the axes (outputs as wide as the input but fewer rows, 1x7 and
 * 7x1 kernels); numbered after the shapes above */
static const int64_t apart[][7] = {
    {8, 10, 21, 3, 3, 0, 1}, {6, 9, 20, 1, 7, 0, 3}, {6, 12, 10, 7, 1, 3, 0},
    {5, 11, 9, 5, 3, 1, 1},
};

static float definition(const struct conv_layer *l, const float *in, int64_t k, int64_t n)
{
    const int64_t taps = l->kernel_h * l->kernel_w;
    const int64_t c = k / taps, kh = k % taps / l->kernel_w, kw = k % l->kernel_w;
    const int64_t oh = n / l->w_out, ow = n % l->w_out;
    const int64_t ih = oh * l->stride_h - l->pad_h + kh * l->dilation_h;
    const int64_t iw = ow * l->stride_w - l->pad_w + kw * l->dilation_w;
    if (ih < 0 || ih >= l->h_in || iw < 0 || iw >= l->w_in)
        return 0.0f;
    return in[(c * l->h_in + ih) * l->w_in + iw];
}

/* Every packer on layer l (shape i of the tables), whole and in K-blocks. */
static int check_layer(struct conv_layer l, size_t i)
{
    if (layer_derive(&l)) {
        fprintf(stderr, "bad shape %zu\n", i);
        return 2;
    }
    const int64_t K = l.c_in * l.kernel_h * l.kernel_w, N = l.h_out * l.w_out;
    float *in = tensor_alloc((size_t)layer_input_elements(&l), 4);
    float *a = tensor_alloc((size_t)(K * 32), 4), *b = tensor_alloc((size_t)(K * 32), 4);
    struct im2col_tap *taps = im2col_taps(&l);
    if (!in || !a || !b || !taps)
        return 3;
    tensor_fill_random(in, (size_t)layer_input_elements(&l), 3, i);
    const struct im2col_source source = {&l, taps, in};
    /* each panel width with its SIMD packer */
    const struct {
        int nr;
        const char *name;
        bool usable;
        void (*pack)(const void *, int64_t, int64_t, int64_t, int64_t, int, float *);
    } widths[] = {
        {32, "avx512", im2col_pack_avx512_usable(&l, 32), im2col_pack_avx512},
        {16, "avx2", im2col_pack_avx2_usable(&l, 16), im2col_pack_avx2},
    };
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
        const int nr = widths[w].nr;
        int wrong = 0, differ = 0;
        for (int64_t n0 = 0; n0 < N; n0 += nr) {
            const int64_t cols = N - n0 < nr ? N - n0 : nr;
            im2col_pack(&source, 0, K, n0, cols, nr, a);
            for (int64_t k = 0; k < K; k++)
                for (int64_t j = 0; j < nr; j++)
                    wrong += a[k * nr + j] !=
                             (j < cols ? definition(&l, in, k, n0 + j) : 0.0f);
            if (!widths[w].usable)
                continue;
            widths[w].pack(&source, 0, K, n0, cols, nr, b);
            differ += memcmp(a, b, (size_t)(K * nr) * sizeof *a) != 0;
            /* in K-blocks, as the GEMM packs: blocks that start inside
             * a channel, short ones and ones long enough for the packer
             * to tabulate its kernel positions */
            for (int64_t kb = 7; kb <= 40; kb += 33) {
                for (int64_t k0 = 0; k0 < K; k0 += kb)
                    widths[w].pack(&source, k0, K - k0 < kb ? K - k0 : kb, n0, cols, nr,
                                   b + k0 * nr);
                differ += memcmp(a, b, (size_t)(K * nr) * sizeof *a) != 0;
            }
        }
        CHECK(wrong == 0, "portable packer, %d wide, shape %zu: %d elements differ from the "
              "definition", nr, i, wrong);
        CHECK(differ == 0, "%s packer, shape %zu: %d panels differ from the portable one",
              widths[w].name, i, differ);
    }
    free(in);
    free(a);
    free(b);
    free(taps);
    return 0;
}

/* A single-image layer of one output channel (the packers never read C_out). */
static struct conv_layer shape_layer(int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                                     int64_t stride, int64_t ph, int64_t pw, int64_t dilation)
{
    return (struct conv_layer){.repeat = 1, .batch = 1, .c_in = c, .h_in = h, .w_in = w,
                               .c_out = 1, .kernel_h = kh, .kernel_w = kw, .stride_h = stride,
                               .stride_w = stride, .pad_h = ph, .pad_w = pw, .pad_bottom = ph, .pad_right = pw,
                               .dilation_h = dilation, .dilation_w = dilation, .groups = 1};
}

int main(void)
{
    const size_t square = sizeof shapes / sizeof *shapes;
    for (size_t i = 0; i < square + sizeof apart / sizeof *apart; i++) {
        const int64_t *s = i < square ? shapes[i] : apart[i - square];
        const struct conv_layer l =
            i < square ? shape_layer(s[0], s[1], s[2], s[3], s[3], s[4], s[5], s[5], s[6])
                       : shape_layer(s[0], s[1], s[2], s[3], s[4], 1, s[5], s[6], 1);
        const int status = check_layer(l, i);
        if (status)
            return status;
    }
    const struct conv_layer one = {.h_in = 1, .w_in = 1, .h_out = 1, .w_out = 1};
    if (!im2col_pack_avx512_usable(&one, 32))
        printf("SKIP the AVX-512 packer: this CPU lacks avx512\n");
    if (!im2col_pack_avx2_usable(&one, 16))
        printf("SKIP the AVX2 packer: this CPU lacks avx2\n");
    return check_report("im2col packers");
}
