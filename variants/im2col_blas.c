/* im2col-blas: the same lowering as im2col-gemm (lowering.h), on OpenBLAS's
 * cblas_sgemm: what one would write by hand, and the yardstick for
 * convbench's own GEMM. Debian's OpenMP build of OpenBLAS shares the
 * harness's OpenMP runtime and thread count, and runs single-threaded when
 * called inside a parallel loop (groups in parallel). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "lowering.h"
#include "variant.h"

/* The lowering comes first: it is the state lowering_variant_run and
 * lowering_variant_describe see. */
struct im2col_blas_state {
    struct lowering lowering;
    const float *weights, *bias;
};
_Static_assert(offsetof(struct im2col_blas_state, lowering) == 0, "the lowering comes first");

static void im2col_blas_destroy(void *state)
{
    struct im2col_blas_state *s = state;
    if (!s)
        return;
    lowering_free(&s->lowering);
    free(s);
}

static void band_sgemm(void *context, int64_t group, const float *b, int64_t ldb, int64_t n,
                       float *c, int64_t ldc, int thread, int threads)
{
    (void)thread;
    (void)threads; /* OpenBLAS takes the OpenMP thread count itself */
    const struct im2col_blas_state *s = context;
    const int64_t m = s->lowering.m, k = s->lowering.k;
    float beta = 0.0f;
    if (s->bias) {
        /* BLAS has no bias: start C from it and accumulate */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++)
                c[i * ldc + j] = s->bias[group * m + i];
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)m, (blasint)n, (blasint)k,
                1.0f, s->weights + group * m * k, (blasint)k, b, (blasint)ldb, beta, c,
                (blasint)ldc);
}

static enum conv_status im2col_blas_plan(const struct conv_layer *l, const float *weights,
                                         const float *bias, int threads, void **state,
                                         const char **why)
{
    struct im2col_blas_state *s = calloc(1, sizeof *s);
    if (!s || lowering_plan(&s->lowering, l, threads, true) != 0) {
        im2col_blas_destroy(s);
        *why = "out of memory";
        return CONV_ERROR;
    }
    s->weights = weights;
    s->bias = bias;
    s->lowering.gemm = band_sgemm;
    snprintf(s->lowering.description, sizeof s->lowering.description,
             "OpenBLAS %s, %s", openblas_get_corename(),
             s->lowering.direct ? "input as B (no im2col)" : "im2col in bands");
    *state = s;
    return CONV_OK;
}

/* OpenBLAS maps a buffer of its own for each thread that runs a GEMM, and one
 * more for the caller (BUFFER_SIZE, 128 MiB on x86-64 since OpenBLAS 0.3.x:
 * the address space grows by that much at the first cblas_sgemm, and by as
 * much again per OpenMP thread). Only the part its blocking touches becomes
 * resident, but under an address-space limit it is all needed. */
#define OPENBLAS_BUFFER_BYTES ((size_t)128 << 20)

static size_t im2col_blas_memory(const struct conv_layer *l, int threads)
{
    struct lowering lw;
    return lowering_layout(&lw, l, threads, true) + (size_t)(threads + 1) * OPENBLAS_BUFFER_BYTES;
}

const struct conv_variant variant_im2col_blas = {
    .name = "im2col-blas",
    .summary = "the same im2col lowering on OpenBLAS cblas_sgemm; every shape",
    .peer = true, .tolerance = 16.0,
    .supports = conv_supports_every_shape, .plan = im2col_blas_plan,
    .run = lowering_variant_run, .destroy = im2col_blas_destroy,
    .describe = lowering_variant_describe, .memory = im2col_blas_memory,
};
