/* The regular convolution tiles in AVX-512: up to 14 pixels x 1 block,
 * 14 x 2, 6 x 4. */
#if defined(__x86_64__)
#include "vec-avx512.h"

#define P_MAX_KB1 14
#define P_MAX_KB2 14
#define P_MAX_KB4 6
#define TILES_NAME direct_conv_tiles__avx512
#include "conv-tile.inc.h"
#endif
