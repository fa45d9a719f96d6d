/* Winograd's generic transforms and small_k_m in plain C (GCC vectors of 4 floats). */
#include "winograd.h"

#define LANES 4
#define ISA c
#define ISA_TARGET
#include "transforms.inc.h"
