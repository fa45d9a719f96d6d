#include "verify.h"

#include <float.h>
#include <math.h>

double verify_bound(const struct conv_layer *l, double tolerance)
{
    double reduction = (double)(l->c_in / l->groups) * (double)(l->kernel_h * l->kernel_w);
    return tolerance * FLT_EPSILON * sqrt(reduction);
}

struct verify_result verify_output(const float *out, const double *ref, size_t count,
                                   double bound)
{
    struct verify_result r = {.bound = bound};
    double max_ref = 0.0;
    bool all_zero = true;
    size_t first_not_finite = 0;

    for (size_t i = 0; i < count; i++) {
        double x = out[i];
        if (fabs(ref[i]) > max_ref)
            max_ref = fabs(ref[i]);
        if (!isfinite(x)) {
            if (r.not_finite++ == 0)
                first_not_finite = i;
            continue;
        }
        all_zero &= x == 0.0;
        double err = fabs(x - ref[i]);
        if (err > r.max_abs_err || i == 0) {
            r.max_abs_err = err;
            r.worst_index = i;
        }
    }
    r.max_rel_err = max_ref > 0.0 ? r.max_abs_err / max_ref : r.max_abs_err;

    if (r.not_finite) {
        r.verdict = VERIFY_NOT_FINITE;
        r.worst_index = first_not_finite;
        r.max_abs_err = r.max_rel_err = INFINITY;
    } else if (all_zero && max_ref > 0.0) {
        r.verdict = VERIFY_ALL_ZERO;
    } else if (r.max_rel_err > bound) {
        r.verdict = VERIFY_OVER_TOLERANCE;
    } else {
        r.verdict = VERIFY_OK;
    }
    if (count) {
        r.worst_value = out[r.worst_index];
        r.worst_reference = ref[r.worst_index];
    }
    return r;
}

const char *verify_verdict_text(enum verify_verdict verdict)
{
    static const char *const texts[] = {
        [VERIFY_OK] = "within tolerance",
        [VERIFY_OVER_TOLERANCE] = "error over tolerance",
        [VERIFY_NOT_FINITE] = "NaN or infinity in the output",
        [VERIFY_ALL_ZERO] = "the output is all zero",
    };
    return (unsigned)verdict < sizeof texts / sizeof *texts ? texts[verdict] : "?";
}
