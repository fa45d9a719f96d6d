#include "layer.h"

#include <stddef.h>

bool layer_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

enum layer_kind layer_kind(const struct conv_layer *l)
{
    if (l->groups > 1 && l->groups == l->c_in)
        return LAYER_DEPTHWISE;
    if (l->groups > 1)
        return LAYER_GROUPED;
    if (l->kernel_h == 1 && l->kernel_w == 1)
        return LAYER_POINTWISE;
    return LAYER_REGULAR;
}

const char *layer_kind_name(enum layer_kind kind)
{
    static const char *const names[] = {[LAYER_POINTWISE] = "pointwise",
                                        [LAYER_REGULAR] = "regular",
                                        [LAYER_GROUPED] = "grouped",
                                        [LAYER_DEPTHWISE] = "depthwise"};
    return (unsigned)kind < sizeof names / sizeof *names ? names[kind] : "?";
}

int64_t layer_output_extent(int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin,
                            int64_t pad_end, int64_t dilation)
{
    /* H_out = floor((H + P_top + P_bottom - D(K-1) - 1) / S) + 1; the
     * numerator may be negative, where C's division would round towards
     * zero, not down. */
    int64_t span = in + pad_begin + pad_end - dilation * (kernel - 1) - 1;
    if (span < 0)
        return 0;
    return span / stride + 1;
}

bool layer_pad_asymmetric(const struct conv_layer *l)
{
    return l->pad_bottom != l->pad_h || l->pad_right != l->pad_w;
}

void layer_inside_range(int64_t first, int64_t stride, int64_t limit, int64_t count, int64_t *lo,
                        int64_t *hi)
{
    int64_t l = first >= 0 ? 0 : (-first + stride - 1) / stride;
    int64_t h = limit - first <= 0 ? 0 : (limit - first - 1) / stride + 1;
    if (h > count)
        h = count;
    if (l > h)
        l = h;
    *lo = l;
    *hi = h;
}

/* Taps of a kernel axis that land inside the input, summed over every output
 * position of that axis (pad is the padding before the input). */
static int64_t layer_valid_taps(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                int64_t pad, int64_t dilation)
{
    int64_t taps = 0;
    for (int64_t o = 0; o < out; o++) {
        /* taps k in [0, kernel) with 0 <= first + k * dilation < in */
        int64_t first = o * stride - pad;
        int64_t k_lo = first >= 0 ? 0 : (-first + dilation - 1) / dilation;
        int64_t k_hi = first > in - 1 ? -1 : (in - 1 - first) / dilation;
        if (k_hi > kernel - 1)
            k_hi = kernel - 1;
        if (k_hi >= k_lo)
            taps += k_hi - k_lo + 1;
    }
    return taps;
}

/* a * b * c ... with overflow detection: returns false on overflow. */
static bool mul_checked(int64_t *product, int count, const int64_t *factors)
{
    int64_t p = 1;
    for (int i = 0; i < count; i++)
        if (__builtin_mul_overflow(p, factors[i], &p))
            return false;
    *product = p;
    return true;
}

#define MUL_CHECKED(out, ...) \
    mul_checked((out), (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), \
                (int64_t[]){__VA_ARGS__})

const char *layer_derive(struct conv_layer *l)
{
    /* Every size is bounded by the parser (LAYER_MAX_EXTENT), so the extent
     * arithmetic below cannot overflow. */
    l->h_out = layer_output_extent(l->h_in, l->kernel_h, l->stride_h, l->pad_h, l->pad_bottom,
                                   l->dilation_h);
    l->w_out = layer_output_extent(l->w_in, l->kernel_w, l->stride_w, l->pad_w, l->pad_right,
                                   l->dilation_w);
    if (l->h_out < 1 || l->w_out < 1)
        return "the output would be empty";

    int64_t in, weights, out, macs, repeat_macs;
    if (!MUL_CHECKED(&in, l->batch, l->c_in, l->h_in, l->w_in) ||
        in > LAYER_MAX_TENSOR_ELEMENTS)
        return "the input tensor holds more than 2^36 elements";
    if (!MUL_CHECKED(&out, l->batch, l->c_out, l->h_out, l->w_out) ||
        out > LAYER_MAX_TENSOR_ELEMENTS)
        return "the output tensor holds more than 2^36 elements";
    if (!MUL_CHECKED(&weights, l->c_out, l->c_in / l->groups, l->kernel_h, l->kernel_w) ||
        weights > LAYER_MAX_TENSOR_ELEMENTS)
        return "the weights hold more than 2^36 elements";
    /* 2 * macs * repeat must fit too: totals and flops are built from it. */
    if (!MUL_CHECKED(&macs, out, l->c_in / l->groups, l->kernel_h, l->kernel_w, 2) ||
        !MUL_CHECKED(&repeat_macs, macs, l->repeat))
        return "its MAC count overflows 64 bits";
    /* macs_nopad <= macs and bytes <= 12 * 2^36: both fit once the above do. */
    return NULL;
}

int64_t layer_input_elements(const struct conv_layer *l)
{
    return l->batch * l->c_in * l->h_in * l->w_in;
}

int64_t layer_weight_elements(const struct conv_layer *l)
{
    return l->c_out * (l->c_in / l->groups) * l->kernel_h * l->kernel_w;
}

int64_t layer_output_elements(const struct conv_layer *l)
{
    return l->batch * l->c_out * l->h_out * l->w_out;
}

struct layer_cost layer_cost(const struct conv_layer *l)
{
    struct layer_cost c;
    int64_t per_output = (l->c_in / l->groups) * l->kernel_h * l->kernel_w;
    c.params = layer_weight_elements(l) + (l->bias ? l->c_out : 0);
    c.macs = layer_output_elements(l) * per_output;
    /* Validity of a tap is separable: a tap (kh, kw) at output (oh, ow) is
     * inside the input exactly when its row and its column are. */
    int64_t taps_h = layer_valid_taps(l->h_in, l->h_out, l->kernel_h, l->stride_h, l->pad_h,
                                      l->dilation_h);
    int64_t taps_w = layer_valid_taps(l->w_in, l->w_out, l->kernel_w, l->stride_w, l->pad_w,
                                      l->dilation_w);
    c.macs_nopad = l->batch * l->c_out * (l->c_in / l->groups) * taps_h * taps_w;
    c.flops = 2 * c.macs;
    c.bytes = 4 * (layer_input_elements(l) + layer_weight_elements(l) + layer_output_elements(l));
    c.intensity = (double)c.flops / (double)c.bytes;
    return c;
}
