/* The interface every convolution implementation offers (docs/DESIGN.md "Variant
 * interface"). Tensors are NCHW fp32; weights are OIHW with I = C_in / groups,
 * the output channels of group g being [g * C_out/G, (g + 1) * C_out/G). */
#ifndef CONVBENCH_VARIANT_H
#define CONVBENCH_VARIANT_H

#include <stdbool.h>
#include <stddef.h>

#include "layer.h"

enum conv_status {
    CONV_OK = 0,
    CONV_UNSUPPORTED, /* a valid shape this variant does not do: not an error */
    CONV_ERROR,       /* a failure: allocation, a library refusing, ... */
};

struct conv_variant {
    const char *name;    /* as given to --variants */
    const char *summary; /* one line for --list-variants, limits included */
    /* A peer from another library (oneDNN, OpenBLAS), as opposed to one of
     * convbench's own implementations: the closing summary's best-of
     * schedule is given once over convbench's own and once over all. */
    bool peer;
    /* Marks where its run's time goes (src/phases.h): the harness then
     * measures the phases in an extra run after the timed samples. */
    bool phases;
    /* Accepted error, as a multiple of FLT_EPSILON * sqrt(reduction length),
     * relative to the largest reference magnitude (see src/verify.h). */
    double tolerance;
    /* CONV_UNSUPPORTED with *why set for shapes it cannot do. */
    enum conv_status (*supports)(const struct conv_layer *l, const char **why);
    /* Untimed: weight transforms, packing, workspace. The weights and bias
     * stay valid until destroy. On failure *why may say what went wrong. */
    enum conv_status (*plan)(const struct conv_layer *l, const float *weights,
                             const float *bias, int threads, void **state, const char **why);
    /* Timed: in is N x C_in x H x W, out is N x C_out x H_out x W_out. */
    enum conv_status (*run)(void *state, const float *in, float *out);
    void (*destroy)(void *state);

    /* Optional (NULL for most). A variant that computes in a layout of its
     * own (oneDNN's blocked formats) converts the NCHW input into its buffers
     * in load_input and its result back to NCHW in store_output; run then
     * works on those buffers and ignores in and out. Both are untimed, as in
     * oneDNN's own benchmark; the harness reports their time apart
     * (reorder_us), so a blocked time is never mistaken for an NCHW time. */
    enum conv_status (*load_input)(void *state, const float *in);
    enum conv_status (*store_output)(void *state, float *out);
    /* Optional: the layouts run reads and writes (load_input converts into
     * the first, store_output from the second), e.g. "nhwc" or oneDNN's
     * "aBcd16b"; NULL: "nchw" both. */
    void (*layouts)(void *state, const char **in, const char **out);
    /* Optional: the implementation a plan chose, e.g. "brgconv:avx512_core". */
    const char *(*describe)(void *state);
    /* Optional: bytes plan and run allocate beyond the harness's tensors
     * (packed weights, workspaces), an estimate from above; checked against
     * --max-memory before plan. NULL means none worth counting. */
    size_t (*memory)(const struct conv_layer *l, int threads);
};

/* The most variants a run takes (--variants). */
#define CONV_VARIANTS_MAX 64

/* Every variant built, in variants.inc order. */
extern const struct conv_variant *const conv_variants[];
extern const size_t conv_variant_count;

const struct conv_variant *variant_find(const char *name);

/* A zeroed state of `bytes` for a plan, or NULL with *why set. */
void *conv_state_alloc(size_t bytes, const char **why);

/* supports() of a variant that does every valid shape. */
enum conv_status conv_supports_every_shape(const struct conv_layer *l, const char **why);

/* One complete NCHW-in, NCHW-out execution: load_input, run, store_output. */
enum conv_status variant_execute(const struct conv_variant *v, void *state, const float *in,
                                 float *out);

#endif
