/* Comparing a variant's output with the reference (docs/DESIGN.md "Verification").
 *
 * max_rel_err = max |x - ref| / max |ref|, one global scale, so that a layer
 * whose outputs cross zero is not failed on its smallest elements. The bound
 * is tolerance * FLT_EPSILON * sqrt(reduction length): the rounding error of
 * a float dot product of length n, measured against the size of the result,
 * grows like sqrt(n) for random data. A NaN or infinity anywhere, or an
 * all-zero output where the reference is not, fails whatever the bound. */
#ifndef CONVBENCH_VERIFY_H
#define CONVBENCH_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layer.h"

enum verify_verdict {
    VERIFY_OK,
    VERIFY_OVER_TOLERANCE,
    VERIFY_NOT_FINITE,
    VERIFY_ALL_ZERO,
};

struct verify_result {
    enum verify_verdict verdict;
    double max_abs_err, max_rel_err;
    double bound;        /* the max_rel_err accepted */
    size_t worst_index;  /* the element with the largest error, or the first NaN */
    size_t not_finite;   /* how many elements are NaN or infinite */
    float worst_value;
    double worst_reference;
};

/* The max_rel_err accepted for a variant of that tolerance on layer l. */
double verify_bound(const struct conv_layer *l, double tolerance);

struct verify_result verify_output(const float *out, const double *ref, size_t count,
                                   double bound);

const char *verify_verdict_text(enum verify_verdict verdict);

#endif
