/* The vector operations of the direct tiles on AVX-512: 16 channels per zmm. */
#include <immintrin.h>

#define VEC __m512
#define LANES 16
#define TARGET __attribute__((target("avx512f")))
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_SET1(x) _mm512_set1_ps(x)
#define V_FMA(a, b, acc) _mm512_fmadd_ps(a, b, acc)
#define V_ADD(a, b) _mm512_add_ps(a, b)
