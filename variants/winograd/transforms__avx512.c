/* Winograd's generic transforms and small_k_m on AVX-512 (vectors of 16 floats). */
#include "winograd.h"

#if defined(__x86_64__)
#define LANES 16
#define ISA avx512
#define ISA_TARGET __attribute__((target("avx512f")))
#include "transforms.inc.h"
#endif
