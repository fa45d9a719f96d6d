/* The vector operations of the direct tiles on AVX2 + FMA: 8 channels per ymm. */
#include <immintrin.h>

#define VEC __m256
#define LANES 8
#define TARGET __attribute__((target("avx2,fma")))
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_SET1(x) _mm256_set1_ps(x)
#define V_FMA(a, b, acc) _mm256_fmadd_ps(a, b, acc)
#define V_ADD(a, b) _mm256_add_ps(a, b)
