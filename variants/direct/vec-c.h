/* The vector operations of the direct tiles in portable C: 8 channels in a
 * GNU C vector, which the compiler maps onto whatever the target has. */
#include <string.h>

typedef float direct_vec8 __attribute__((vector_size(32)));

#define VEC direct_vec8
#define LANES 8
#define TARGET
#define V_ZERO() ((direct_vec8){0})
#define V_LOAD(p)                          \
    ({                                     \
        direct_vec8 v_;                    \
        memcpy(&v_, (p), sizeof v_);       \
        v_;                                \
    })
#define V_STORE(p, v)                      \
    do {                                   \
        const direct_vec8 s_ = (v);        \
        memcpy((p), &s_, sizeof s_);       \
    } while (0)
#define V_SET1(x) ((direct_vec8){0} + (x))
#define V_FMA(a, b, acc) ((acc) + (a) * (b))
#define V_ADD(a, b) ((a) + (b))
