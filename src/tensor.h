/* fp32 buffers: allocation aligned for any SIMD width, seeded fills. */
#ifndef CONVBENCH_TENSOR_H
#define CONVBENCH_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define TENSOR_ALIGNMENT 64

/* NULL on failure (or when count * size overflows). Free with free(). */
void *tensor_alloc(size_t count, size_t element_size);

/* Uniform in [-1, 1), element i a function of (seed, stream, i) only, so a
 * tensor is the same whatever the thread count. */
void tensor_fill_random(float *data, size_t count, uint64_t seed, uint64_t stream);

void tensor_fill(float *data, size_t count, float value);

#endif
