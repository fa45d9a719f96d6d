/* AVX-512 micro-kernel, 12 x 32: 24 accumulators, 27 of the 32 zmm registers. */
#define MR 12
#define UKERNEL sgemm_ukernel_12x32__avx512
#include "sgemm-avx512.inc.h"
