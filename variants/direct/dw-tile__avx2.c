/* The depthwise tiles in AVX2 + FMA: up to 12 pixels of a block. */
#if defined(__x86_64__)
#include "vec-avx2.h"

#define P_MAX_DW 12
#define DW_TILES_NAME direct_dw_tiles__avx2
#include "dw-tile.inc.h"
#endif
