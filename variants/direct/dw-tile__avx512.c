/* The depthwise tiles in AVX-512: up to 14 pixels of a block. */
#if defined(__x86_64__)
#include "vec-avx512.h"

#define P_MAX_DW 14
/* 2 rows x 10 pixels: 20 accumulators, 9 weights and the input vector */
#define P_MAX_DW3 10
#define DW_TILES_NAME direct_dw_tiles__avx512
#include "dw-tile.inc.h"
#endif
