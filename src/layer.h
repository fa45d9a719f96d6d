/* One convolution layer: its shape, as read from an INI config or an ONNX
 * model, and the cost model derived from it (seed conventions, see
 * docs/DESIGN.md "Cost model"). */
#ifndef CONVBENCH_LAYER_H
#define CONVBENCH_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#define LAYER_NAME_MAX 48
/* Largest tensor a config may describe, in elements (256 GiB of fp32).
 * Anything above is a config error rather than an allocation failure. */
#define LAYER_MAX_TENSOR_ELEMENTS (INT64_C(1) << 36)
/* Largest value of any one size (channels, height, kernel, stride, ...),
 * which keeps every intermediate of the cost model inside 64 bits. */
#define LAYER_MAX_EXTENT (INT64_C(1) << 24)

enum layer_kind {
    LAYER_POINTWISE, /* 1x1, groups = 1 */
    LAYER_REGULAR,   /* groups = 1 */
    LAYER_GROUPED,   /* 1 < groups < C_in */
    LAYER_DEPTHWISE, /* groups = C_in (> 1) */
};

struct conv_layer {
    char name[LAYER_NAME_MAX + 1];
    char block[LAYER_NAME_MAX + 1]; /* "" when the layer is in no block */
    int64_t repeat;                 /* occurrences in the network */

    int64_t batch;
    int64_t c_in, h_in, w_in;
    int64_t c_out, h_out, w_out;
    int64_t kernel_h, kernel_w;
    int64_t stride_h, stride_w;
    int64_t pad_h, pad_w;           /* rows above, columns on the left */
    int64_t pad_bottom, pad_right;  /* rows below, columns on the right */
    int64_t dilation_h, dilation_w; /* 1 = dense kernel */
    int64_t groups;
    bool bias;
};

/* Cost of one occurrence of the layer (multiply by repeat for totals). */
struct layer_cost {
    int64_t params;
    int64_t macs;       /* every kernel tap, padded ones included (thop) */
    int64_t macs_nopad; /* only taps that land inside the input (benchdnn) */
    int64_t flops;      /* 2 * macs */
    int64_t bytes;      /* 4 * (input + weights + output elements) */
    double intensity;   /* flops / bytes */
};

/* Whether c may stand in a layer name, block tag or network name: letters,
 * digits, '_', '-' and '.' (what an INI section and a CSV field hold as is). */
bool layer_name_char(char c);

enum layer_kind layer_kind(const struct conv_layer *l);
const char *layer_kind_name(enum layer_kind kind);

/* Output extent along one axis padded by pad_begin before the input and
 * pad_end after it; below 1 when the kernel does not fit. */
int64_t layer_output_extent(int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin,
                            int64_t pad_end, int64_t dilation);

/* Whether the padding differs between the begin and the end of an axis. */
bool layer_pad_asymmetric(const struct conv_layer *l);

/* Fills h_out and w_out, then checks that every tensor and every cost fits:
 * returns NULL when the layer is valid, else a static description of what
 * does not fit. */
const char *layer_derive(struct conv_layer *l);

/* Costs of a layer that layer_derive accepted (they cannot overflow then). */
struct layer_cost layer_cost(const struct conv_layer *l);

int64_t layer_input_elements(const struct conv_layer *l);
int64_t layer_weight_elements(const struct conv_layer *l);
int64_t layer_output_elements(const struct conv_layer *l);

/* The positions u in [0, count) with 0 <= first + u * stride < limit, as the
 * range [*lo, *hi) (empty when *lo == *hi): the outputs along a row whose
 * tap reads inside the input, the rest being padding. */
void layer_inside_range(int64_t first, int64_t stride, int64_t limit, int64_t count, int64_t *lo,
                        int64_t *hi);

#endif
