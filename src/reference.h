/* The reference convolution every variant is checked against: the definition
 * written out directly, accumulating in double. Deliberately not the timed
 * naive variant, and deliberately simple. */
#ifndef CONVBENCH_REFERENCE_H
#define CONVBENCH_REFERENCE_H

#include "layer.h"

/* out has layer_output_elements(l) doubles; bias may be NULL. */
void reference_conv(const struct conv_layer *l, const float *in, const float *weights,
                    const float *bias, double *out);

#endif
