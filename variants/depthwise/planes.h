/* What the depthwise kernels share: walking the planes of a run. */
#ifndef CONVBENCH_DEPTHWISE_PLANES_H
#define CONVBENCH_DEPTHWISE_PLANES_H

#include "depthwise.h"

#define DW_VECTORS 8 /* output vectors kept in registers per pass */

/* The planes of a run in order: batch index and output channel advance
 * without a division per plane. */
struct plane_walk {
    int64_t n, co;
};

static inline struct plane_walk plane_walk_at(const struct conv_layer *l, int64_t plane)
{
    return (struct plane_walk){plane / l->c_out, plane % l->c_out};
}

static inline void plane_walk_next(const struct conv_layer *l, struct plane_walk *p)
{
    if (++p->co == l->c_out) {
        p->co = 0;
        p->n++;
    }
}

/* the input plane that output plane p reads */
static inline const float *plane_walk_input(const struct conv_layer *l, const float *in,
                                            struct plane_walk p)
{
    const int64_t ci = l->c_out == l->c_in ? p.co : p.co / (l->c_out / l->c_in);
    return in + (p.n * l->c_in + ci) * l->h_in * l->w_in;
}

/* Planes p0 .. p1 (batch x output channel) through a row kernel. */
static inline void for_each_plane(const struct conv_layer *l, const float *in,
                                  const float *weights, const float *bias, float *out,
                                  int64_t p0, int64_t p1, int64_t oh0, int64_t oh1,
                                  void (*rows)(const struct conv_layer *, const float *,
                                               const float *, float, float *, int64_t, int64_t))
{
    const int64_t taps = l->kernel_h * l->kernel_w;
    struct plane_walk walk = plane_walk_at(l, p0);
    for (int64_t plane = p0; plane < p1; plane++, plane_walk_next(l, &walk))
        rows(l, plane_walk_input(l, in, walk), weights + walk.co * taps,
             bias ? bias[walk.co] : 0.0f, out + plane * l->h_out * l->w_out, oh0, oh1);
}

#endif
