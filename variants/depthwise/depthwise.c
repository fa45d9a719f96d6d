/* depthwise: a depthwise convolution that is bound by memory traffic, not by
 * loop overhead. A depthwise 3x3 does 9 MACs per output element, so what
 * matters is touching each byte once and keeping the vector units fed:
 *
 *   - vectors run along the output width; each output row is accumulated in
 *     registers (up to 8 vectors at a time) from its Kh input rows, which are
 *     in L1 while the row is computed;
 *   - borders cost no per-element branch: an input row outside the image is
 *     skipped as a whole, and a vector reaching past the left or right edge
 *     is loaded with a lane mask that reads zeros for the padding (AVX-512
 *     masked loads do not touch masked-off lanes); on AVX2, where a mask is
 *     built in vectors, the rows a band reads are first copied into a
 *     zero-padded buffer instead, and every tap is a plain load;
 *   - stride 2 loads two vectors and keeps the even lanes (AVX2: the copied
 *     rows are split into even and odd columns); other strides gather;
 *     dilation only moves the offsets;
 *   - 3x3 and 5x5 are compiled with their sizes as constants (unrolled tap
 *     loops), other kernel sizes take the generic loop;
 *   - dense 3x3 (the MobileNet case) computes blocks of output rows from
 *     input rows loaded once for the whole block, and puts two output rows
 *     in one vector when a plane is at most 8 wide;
 *   - AVX-512, AVX2 and portable C kernels, one file each (planes__*.c),
 *     picked once in plan from depthwise_kernels[];
 *   - OpenMP over batch x channels, and over bands of rows as well when there
 *     are too few planes to keep every thread busy. */
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>

#include "depthwise.h"
#include "tensor.h"
#include "variant.h"

/* Widest first: plan takes the first the CPU can run. */
const struct depthwise_kernel *const depthwise_kernels[] = {
#if defined(__x86_64__)
    &depthwise_kernel__avx512,
    &depthwise_kernel__avx2,
#endif
    &depthwise_kernel__c,
};
const size_t depthwise_kernel_count = sizeof depthwise_kernels / sizeof depthwise_kernels[0];

/* ---- the variant -------------------------------------------------------- */

size_t depthwise_zeros_floats(const struct conv_layer *l)
{
    /* a padded row, with room for a stride-2 pair of vectors past its end */
    return (size_t)(l->w_in + l->pad_w + l->pad_right + 64);
}

size_t depthwise_band_floats(const struct conv_layer *l)
{
    size_t most = 0;
    for (size_t i = 0; i < depthwise_kernel_count; i++) {
        const struct depthwise_kernel *k = depthwise_kernels[i];
        const size_t floats = k->band_floats ? k->band_floats(l) : 0;
        if (floats > most)
            most = floats;
    }
    return most;
}

struct depthwise_state {
    struct conv_layer layer;
    const float *weights, *bias;
    const struct depthwise_kernel *kernel;
    int threads;
    int64_t bands;       /* row bands per plane */
    float *zeros;        /* a row of zeros, for rows in the padding */
    float *bands_memory; /* threads x band_floats, one band per thread */
    size_t band_floats;
};

/* The band per thread the kernel dispatch picked needs (only the AVX2
 * kernel copies rows into one). */
static size_t band_floats_for(const struct conv_layer *l, const struct depthwise_kernel *k)
{
    return k->band_floats ? k->band_floats(l) : 0;
}

static const struct depthwise_kernel *pick_kernel(void)
{
    for (size_t i = 0; i < depthwise_kernel_count; i++)
        if (cpu_has_isa(depthwise_kernels[i]->isa))
            return depthwise_kernels[i];
    return NULL;
}

static void depthwise_destroy(void *state)
{
    struct depthwise_state *s = state;
    if (s) {
        free(s->zeros);
        free(s->bands_memory);
    }
    free(s);
}

static enum conv_status depthwise_supports(const struct conv_layer *l, const char **why)
{
    if (l->groups != l->c_in || l->groups < 2) {
        *why = "depthwise layers only (groups = input channels)";
        return CONV_UNSUPPORTED;
    }
    return CONV_OK;
}

static enum conv_status depthwise_plan(const struct conv_layer *l, const float *weights,
                                       const float *bias, int threads, void **state,
                                       const char **why)
{
    struct depthwise_state *s = conv_state_alloc(sizeof *s, why);
    if (!s)
        return CONV_ERROR;
    *s = (struct depthwise_state){*l, weights, bias, pick_kernel(), threads, 1, NULL, NULL, 0};
    s->band_floats = band_floats_for(l, s->kernel);
    s->zeros = tensor_alloc(depthwise_zeros_floats(l), sizeof(float));
    if (s->band_floats)
        s->bands_memory = tensor_alloc(s->band_floats * (size_t)threads, sizeof(float));
    if (!s->zeros || (s->band_floats && !s->bands_memory)) {
        depthwise_destroy(s);
        *why = "out of memory";
        return CONV_ERROR;
    }
    tensor_fill(s->zeros, depthwise_zeros_floats(l), 0.0f);
    /* enough work items to balance the threads */
    const int64_t planes = l->batch * l->c_out;
    if (planes < 4 * threads) {
        s->bands = (4 * threads + planes - 1) / planes;
        if (s->bands > l->h_out)
            s->bands = l->h_out;
    }
    *state = s;
    return CONV_OK;
}

/* The calling thread's band (NULL when the kernel needs none). */
static float *thread_band(const struct depthwise_state *s)
{
    return s->bands_memory ? s->bands_memory + s->band_floats * (size_t)omp_get_thread_num()
                           : NULL;
}

static enum conv_status depthwise_run(void *state, const float *in, float *out)
{
    const struct depthwise_state *s = state;
    const struct conv_layer *l = &s->layer;
    const int64_t planes = l->batch * l->c_out;

    if (s->bands == 1) {
        /* each thread a contiguous run of planes */
        #pragma omp parallel num_threads(s->threads)
        {
            const int64_t t = omp_get_thread_num(), team = omp_get_num_threads();
            const struct depthwise_work work = {s->zeros, thread_band(s)};
            s->kernel->planes(l, in, s->weights, s->bias, out, planes * t / team,
                              planes * (t + 1) / team, 0, l->h_out, &work);
        }
        return CONV_OK;
    }
    /* few planes: bands of rows as well */
    #pragma omp parallel for num_threads(s->threads) schedule(static)
    for (int64_t unit = 0; unit < planes * s->bands; unit++) {
        const int64_t plane = unit / s->bands, band = unit % s->bands;
        const struct depthwise_work work = {s->zeros, thread_band(s)};
        s->kernel->planes(l, in, s->weights, s->bias, out, plane, plane + 1,
                          l->h_out * band / s->bands, l->h_out * (band + 1) / s->bands,
                          &work);
    }
    return CONV_OK;
}

static const char *depthwise_describe(void *state)
{
    return ((struct depthwise_state *)state)->kernel->name;
}

/* What depthwise_plan allocates: the state, the zeros, the bands. */
static size_t depthwise_memory(const struct conv_layer *l, int threads)
{
    const size_t band_floats = band_floats_for(l, pick_kernel());
    return tensor_held_bytes(sizeof(struct depthwise_state)) +
           tensor_held_bytes(depthwise_zeros_floats(l) * sizeof(float)) +
           (band_floats ? tensor_held_bytes(band_floats * (size_t)threads * sizeof(float)) : 0);
}

const struct conv_variant variant_depthwise = {
    .name = "depthwise",
    .summary = "depthwise convolution vectorized along the width (AVX-512/AVX2/C), masked "
               "borders; groups = C_in only, any multiplier, kernel, stride, dilation",
    .tolerance = 16.0,
    .supports = depthwise_supports, .plan = depthwise_plan, .run = depthwise_run,
    .destroy = depthwise_destroy,
    .describe = depthwise_describe, .memory = depthwise_memory,
};

