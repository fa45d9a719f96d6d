/* The regular convolution tiles in portable C: up to 4 pixels x 1 block,
 * 4 x 2, 2 x 4. */
#include "vec-c.h"

#define P_MAX_KB1 4
#define P_MAX_KB2 4
#define P_MAX_KB4 2
#define TILES_NAME direct_conv_tiles__c
#include "conv-tile.inc.h"
