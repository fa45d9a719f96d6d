/* Lane masks of 16-float AVX-512 vectors, for the Winograd tile kernels. */
#ifndef CONVBENCH_WINOGRAD_LANES_AVX512_H
#define CONVBENCH_WINOGRAD_LANES_AVX512_H

#include <immintrin.h>
#include <stdint.h>

/* The first n of 16 lanes (none for n <= 0). */
__attribute__((target("avx512f"))) static inline __mmask16 first_lanes(int64_t n)
{
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* Lanes lo .. hi of 16 (none where hi <= lo). */
__attribute__((target("avx512f"))) static inline __mmask16 lane_range(int64_t lo, int64_t hi)
{
    return (__mmask16)(first_lanes(hi) & ~first_lanes(lo));
}

#endif
