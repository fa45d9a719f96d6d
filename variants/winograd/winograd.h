/* Winograd F(2x2,3x3) and F(4x4,3x3): what the variant (winograd.c) and its
 * tile kernels, one file per kernel family and ISA, share. The plan picks
 * the kernels of one ISA and form into a struct winograd_kernels and a run
 * strategy; nothing in the run path asks which ISA it is on. */
#ifndef CONVBENCH_WINOGRAD_H
#define CONVBENCH_WINOGRAD_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"
#include "gemm/gemm.h"
#include "layer.h"
#include "variant.h"

#define MAX_ALPHA 6
/* At most this many input channels per group: no GEMMs (small_k_run) */
#define WINO_SMALL_K 4
/* tiles of one small_k block */
#define WINO_SMALL_K_TILES 32
/* Tiles are a batch's innermost, contiguous index; transforms take
 * WINO_LANES of them at a time (a batch's tile count is padded to it). */
#define WINO_LANES 16

struct winograd_form {
    int m, alpha;            /* output tile m x m, input tile alpha x alpha */
    double g[MAX_ALPHA][3];  /* alpha x 3 (B^T and A^T are used as constants, per form) */
};

struct winograd_state;

/* The kernels of one ISA and form. The first three are what the run
 * strategies call; where an ISA has no fused version they are the generic
 * compositions of the pieces below. */
struct winograd_kernels {
    const char *isa; /* for the impl column */
    /* V = B^T d B for tiles t0 .. t0 + n (n <= nt) of one input plane, tile
     * element xi at v + xi * v_stride; d is scratch of alpha^2 x nt */
    void (*gather_transform)(const struct winograd_state *s, const float *plane, int64_t t0,
                             int64_t n, float *v, int64_t v_stride, float *d, int64_t nt);
    /* Y = A^T M A + bias for tiles t0 .. t0 + n of one output plane, M's
     * element xi at mt + xi * mt_stride, written into the plane; y is
     * scratch of m^2 x nt */
    void (*transform_scatter)(const struct winograd_state *s, const float *mt,
                              int64_t mt_stride, int64_t t0, int64_t n, float bias,
                              float *plane, float *y, int64_t nt);
    /* few input channels: y (m^2 x WINO_SMALL_K_TILES) of one output
     * channel from V and its U; mt is scratch of alpha^2 x the same */
    void (*small_k_output)(const struct winograd_state *s, const float *u_co, const float *V,
                           float *mt, float *y, int64_t n, float bias);

    /* out = B^T d B (d: alpha^2 rows of tiles stride apart; out's rows
     * out_stride apart), n tiles rounded up to WINO_LANES */
    void (*input_transform)(int alpha, const float *d, float *out, int64_t out_stride,
                            int64_t n, int64_t stride);
    /* out = A^T mt A + bias (m^2 rows of tiles stride apart) */
    void (*output_transform)(int m, const float *mt, int64_t mt_stride, float *out, int64_t n,
                             int64_t stride, float bias);
    /* mt[xi] = sum over ci of U[xi][co][ci] V[xi][ci] for one block */
    void (*small_k_m)(const float *u_co, const float *V, int64_t c_in, int a2, float *mt);
    /* the input tiles of one run along tile row th from column tile tw0,
     * gathered alpha x alpha x run (rows nt apart), zero outside the image */
    void (*gather_run)(const struct conv_layer *l, const float *plane, int a, int m, int64_t th,
                       int64_t tw0, int64_t run, float *d, int64_t nt);
    /* dst[m u + j] = y[j * y_stride + u] for the first of `inside` tiles it
     * takes whole vectors of; returns how many it wrote */
    int64_t (*interleave)(const float *y, int64_t y_stride, float *dst, int64_t inside, int m);
};

struct winograd_state {
    struct conv_layer layer;
    const struct winograd_form *form;
    const struct winograd_kernels *k; /* the ISA's transforms, gathers and scatters */
    /* the run strategy: batches, tile blocks or few input channels */
    void (*strategy)(const struct winograd_state *s, const float *in, float *out);
    int threads;
    int64_t tiles_h, tiles_w, tiles;  /* per image */
    int64_t batch_tiles;               /* tiles per batch (a multiple of the GEMM's NR) */
    bool blocks;                       /* per-thread tile blocks (blocks_run) */
    bool small_k;                      /* few input channels: no GEMMs (small_k_run) */
    const struct gemm_kernel *kernel;  /* of the GEMMs on U */
    int64_t c_in, c_out;               /* per group */
    struct gemm_packed_a *u;           /* [group][xi] transformed, packed weights */
    float *u_small;                    /* few input channels: [group][co][xi][ci], unpacked */
    const float *bias;
    float *workspace;                  /* a batch's V and M, then per thread scratch */
    size_t workspace_floats;           /* in all */
    char description[112];             /* for the impl column */
};

/* transforms__{c,avx2,avx512}.c: the generic transforms on vectors of the
 * ISA's width */
#define WINOGRAD_TRANSFORMS(isa)                                                               \
    void winograd_input_transform__##isa(int alpha, const float *d, float *out,               \
                                         int64_t out_stride, int64_t n, int64_t stride);       \
    void winograd_output_transform__##isa(int m, const float *mt, int64_t mt_stride,           \
                                          float *out, int64_t n, int64_t stride, float bias);   \
    void winograd_small_k_m__##isa(const float *u_co, const float *V, int64_t c_in, int a2,    \
                                   float *mt);
WINOGRAD_TRANSFORMS(c)
WINOGRAD_TRANSFORMS(avx2)
WINOGRAD_TRANSFORMS(avx512)

/* tiles__c.c: the gather of one run, each of its rows filled by row:
 * dst[u] = src[m u] for lo <= u < hi, 0 for the rest of 0 .. run */
typedef void (*winograd_row_fn)(const float *src, float *dst, int64_t lo, int64_t hi,
                                int64_t run, int m);
void winograd_gather_run_with(const struct conv_layer *l, const float *plane, int a, int m,
                              int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt,
                              winograd_row_fn row);
void winograd_gather_run__c(const struct conv_layer *l, const float *plane, int a, int m,
                            int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt);
/* A row's end in plain C: dst[u] = src[m u] from u to hi, then zeros */
void winograd_row_from(const float *src, float *dst, int64_t u, int64_t hi, int64_t run, int m);
int64_t winograd_interleave__c(const float *y, int64_t y_stride, float *dst, int64_t inside,
                               int m);
/* tiles__avx2.c, tiles__avx512.c */
void winograd_gather_run__avx2(const struct conv_layer *l, const float *plane, int a, int m,
                               int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt);
int64_t winograd_interleave__avx2(const float *y, int64_t y_stride, float *dst, int64_t inside,
                                  int m);
void winograd_gather_run__avx512(const struct conv_layer *l, const float *plane, int a, int m,
                                 int64_t th, int64_t tw0, int64_t run, float *d, int64_t nt);
int64_t winograd_interleave__avx512(const float *y, int64_t y_stride, float *dst,
                                    int64_t inside, int m);

/* f4x3__avx512.c: F(4x4,3x3) on AVX-512 with B^T and A^T factored, fused
 * with the gather, the scatter and small_k's M */
void winograd_input_transform_4x3__avx512(int alpha, const float *d, float *out,
                                          int64_t out_stride, int64_t n, int64_t stride);
void winograd_gather_transform_4x3__avx512(const struct winograd_state *s, const float *plane,
                                           int64_t t0, int64_t n, float *v, int64_t v_stride,
                                           float *d, int64_t nt);
void winograd_transform_scatter_4x3__avx512(const struct winograd_state *s, const float *mt,
                                            int64_t mt_stride, int64_t t0, int64_t n,
                                            float bias, float *plane, float *y, int64_t nt);
void winograd_small_k_output_4x3__avx512(const struct winograd_state *s, const float *u_co,
                                         const float *V, float *mt, float *y, int64_t n,
                                         float bias);

#endif
