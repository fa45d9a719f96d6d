#include "tensor.h"

#include <malloc.h>
#include <stdlib.h>

void *tensor_alloc(size_t count, size_t element_size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, element_size, &bytes) || bytes > SIZE_MAX - TENSOR_ALIGNMENT)
        return NULL;
    /* aligned_alloc wants a multiple of the alignment */
    bytes = (bytes + TENSOR_ALIGNMENT - 1) / TENSOR_ALIGNMENT * TENSOR_ALIGNMENT;
    return aligned_alloc(TENSOR_ALIGNMENT, bytes ? bytes : TENSOR_ALIGNMENT);
}

void *array_grow(void *items, size_t *capacity, size_t count, size_t size, size_t first)
{
    if (count < *capacity)
        return items;
    size_t grown_capacity = *capacity ? 2 * *capacity : first, bytes;
    if (__builtin_mul_overflow(grown_capacity, size, &bytes))
        return NULL;
    void *grown = realloc(items, bytes);
    if (grown)
        *capacity = grown_capacity;
    return grown;
}

void tensor_keep_heap(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

/* splitmix64's output function: a good 64-bit mix of a counter. */
static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

void tensor_fill_random(float *data, size_t count, uint64_t seed, uint64_t stream)
{
    const uint64_t key = mix64(seed ^ mix64(stream));
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++) {
        /* 24 random bits -> a float in [-1, 1) with no rounding */
        uint64_t bits = mix64(key + i) >> 40;
        data[i] = (float)bits * (1.0f / 8388608.0f) - 1.0f;
    }
}

void tensor_fill(float *data, size_t count, float value)
{
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < count; i++)
        data[i] = value;
}
