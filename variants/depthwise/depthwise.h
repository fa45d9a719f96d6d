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
 * of whole NCHW tensors; weights are C_out x Kh x Kw, bias may be NULL.
 * The caller provides what the kernels need besides: work->zeros holds
 * depthwise_zeros_floats(l) zeros, read in place of input rows that lie in
 * the padding; work->band is depthwise_band_floats(l) floats of the calling
 * thread's own, of any contents, where a kernel may copy padded input rows.
 * Allocated once in plan, so nothing is allocated in the timed run. */
struct depthwise_work {
    const float *zeros;
    float *band;
};

typedef void (*depthwise_planes_fn)(const struct conv_layer *l, const float *in,
                                    const float *weights, const float *bias, float *out,
                                    int64_t p0, int64_t p1, int64_t oh0, int64_t oh1,
                                    const struct depthwise_work *work);

size_t depthwise_zeros_floats(const struct conv_layer *l);
/* The largest band any kernel needs on l. */
size_t depthwise_band_floats(const struct conv_layer *l);

struct depthwise_kernel {
    const char *name;
    enum cpu_isa isa;
    depthwise_planes_fn planes;
    /* floats of the band the kernel needs per thread on l; NULL: none */
    size_t (*band_floats)(const struct conv_layer *l);
};

/* planes__{avx512,avx2,c}.c */
extern const struct depthwise_kernel depthwise_kernel__avx512, depthwise_kernel__avx2,
    depthwise_kernel__c;

extern const struct depthwise_kernel *const depthwise_kernels[];
extern const size_t depthwise_kernel_count;

#endif
