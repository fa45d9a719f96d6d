/* AVX-512 micro-kernel, 8 x 32: 16 accumulators; M tiles of 8 fit the channel
 * counts of real networks (multiples of 8) with no padded rows. */
#define MR 8
#define UKERNEL sgemm_ukernel_8x32__avx512
#include "sgemm-avx512.inc.h"
