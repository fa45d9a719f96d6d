/* Winograd's generic transforms and small_k_m on AVX2 (vectors of 8 floats). */
#include "winograd.h"

#if defined(__x86_64__)
#define LANES 8
#define ISA avx2
#define ISA_TARGET __attribute__((target("avx2,fma")))
#include "transforms.inc.h"
#endif
