/* The regular convolution tiles in AVX2 + FMA: up to 12 pixels x 1 block,
 * 6 x 2, 2 x 4. */
#if defined(__x86_64__)
#include "vec-avx2.h"

#define P_MAX_KB1 12
#define P_MAX_KB2 6
#define P_MAX_KB4 2
#define TILES_NAME direct_conv_tiles__avx2
#include "conv-tile.inc.h"
#endif
