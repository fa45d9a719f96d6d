/* Depthwise convolution kernels (groups = C_in, C_out = multiplier * C_in),
 * one per ISA, each computing a band of output rows of one channel plane.
 * Exposed so that tests can run every kernel the CPU can, not only the one
 * dispatch picks. */
#ifndef CONVBENCH_DEPTHWISE_H
#define CONVBENCH_DEPTHWISE_H

#include <stddef.h>

#include "cpu.h"
#include "layer.h"

/* Output rows [oh0, oh1) of output planes [p0, p1) (plane = n * C_out + c)
 * of whole NCHW tensors; weights are C_out x Kh x Kw, bias may be NULL;
 * zeros holds depthwise_zeros_floats(l) zeros, read in place of input rows
 * that lie in the padding. */
typedef void (*depthwise_planes_fn)(const struct conv_layer *l, const float *in,
                                    const float *weights, const float *bias, float *out,
                                    int64_t p0, int64_t p1, int64_t oh0, int64_t oh1,
                                    const float *zeros);

size_t depthwise_zeros_floats(const struct conv_layer *l);

struct depthwise_kernel {
    const char *name;
    enum cpu_isa isa;
    depthwise_planes_fn planes;
};

extern const struct depthwise_kernel *const depthwise_kernels[];
extern const size_t depthwise_kernel_count;

#endif
