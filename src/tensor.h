/* fp32 buffers: allocation aligned for any SIMD width, seeded fills. */
#ifndef CONVBENCH_TENSOR_H
#define CONVBENCH_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define TENSOR_ALIGNMENT 64

/* NULL on failure (or when count * size overflows). Free with free(). */
void *tensor_alloc(size_t count, size_t element_size);

/* free() on each argument (pointers of any type, NULL included). */
#define FREE_ALL(...)                                                                    \
    do {                                                                                 \
        void *free_all_[] = {__VA_ARGS__};                                               \
        for (size_t free_i_ = 0; free_i_ < sizeof free_all_ / sizeof *free_all_; free_i_++) \
            free(free_all_[free_i_]);                                                    \
    } while (0)

/* items (an array of *capacity elements of size bytes, count of them used)
 * with room for one more: doubled by realloc when full, from `first`
 * elements. NULL when memory runs out; items is then left as it was. */
void *array_grow(void *items, size_t *capacity, size_t count, size_t size, size_t first);

/* The bytes an allocation of size bytes may hold, malloc's bookkeeping and
 * tensor_alloc's rounding included: the unit of the variants' memory()
 * estimates, one term per allocation their plan makes. */
static inline size_t tensor_held_bytes(size_t bytes)
{
    const size_t padded =
        (bytes + TENSOR_ALIGNMENT - 1) / TENSOR_ALIGNMENT * TENSOR_ALIGNMENT + 2 * TENSOR_ALIGNMENT;
    /* a large block may come from mmap, in whole pages */
    return bytes < ((size_t)64 << 10) ? padded : (padded + 4095) / 4096 * 4096;
}

/* Makes allocations of up to 32 MiB come from the heap, and freed memory
 * stay there, instead of a fresh mapping for each: on a virtual machine a
 * freshly mapped buffer can be slower to compute on than memory the heap
 * held before, which made a variant's time depend on what the process ran
 * before it. Called once, before the first plan. */
void tensor_keep_heap(void);

/* Uniform in [-1, 1), element i a function of (seed, stream, i) only, so a
 * tensor is the same whatever the thread count. */
void tensor_fill_random(float *data, size_t count, uint64_t seed, uint64_t stream);

void tensor_fill(float *data, size_t count, float value);

#endif
