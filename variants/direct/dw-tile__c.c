/* The depthwise tiles in portable C: up to 4 pixels of a block. */

#include "vec-c.h"

#define P_MAX_DW 4
#define DW_TILES_NAME direct_dw_tiles__c
#include "dw-tile.inc.h"
