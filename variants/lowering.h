/* Lowering a convolution to GEMM (im2col, as Caffe does it), shared by the
 * im2col variants. Per image and group, output channel block g is
 *
 *   C_g (M x N) = W_g (M x K) * columns (K x N),
 *   M = C_out/G, K = C_in/G * Kh * Kw, N = H_out * W_out,
 *
 * where row (c, kh, kw) of columns holds, for every output position, the
 * input element that tap sees (0 in the padding). The columns are built for
 * a band of output rows at a time, so that the buffer stays within a few MiB
 * (a share of L3) rather than K times the input. A 1x1, stride-1, unpadded
 * layer needs no columns: its input already is the K x N matrix. */
#ifndef CONVBENCH_LOWERING_H
#define CONVBENCH_LOWERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layer.h"
#include "variant.h"

/* The GEMM of one band: C (M x n, leading dimension ldc) = W_group * B (K x n,
 * leading dimension ldb) + bias. thread indexes per-thread scratch; threads
 * is how many threads the call may use (1 inside a parallel loop). */
typedef void (*lowered_gemm_fn)(void *context, int64_t group, const float *b, int64_t ldb,
                                int64_t n, float *c, int64_t ldc, int thread, int threads);

struct lowering {
    struct conv_layer layer;
    int threads;
    int64_t m, k, n;          /* per group: C_out/G, C_in/G * Kh * Kw, H_out * W_out */
    int64_t band_rows;        /* output rows per band of columns */
    bool direct;              /* 1x1, stride 1, no padding: B is the input */
    bool columns_built;       /* false: the callback lowers the input itself */
    bool parallel_groups;     /* one group per thread, single-threaded GEMMs */
    int buffers;              /* column buffers: one per thread in parallel_groups */
    float *columns;           /* buffers x k x band_rows * W_out */
    size_t buffer_floats;
    lowered_gemm_fn gemm;     /* set by the variant after lowering_plan */
    char description[96];     /* the variant's describe() */
};

/* Columns stay under this many bytes per buffer (or one output row's worth). */
#define LOWERING_COLUMN_BYTES ((size_t)8 << 20)

/* With columns false no column buffer is made: the callback gets the
 * group's input (b = its first channel, ldb = 0, n = H_out * W_out) and
 * does the lowering itself, as im2col-gemm does inside its B packing. */
int lowering_plan(struct lowering *lw, const struct conv_layer *l, int threads, bool columns);

/* What lowering_plan decides, without allocating (for memory estimates);
 * returns the bytes of column buffers it would allocate. */
size_t lowering_layout(struct lowering *lw, const struct conv_layer *l, int threads,
                       bool columns);
/* Runs the layer with lw->gemm on each band, passing it context. */
void lowering_run(const struct lowering *lw, const float *in, float *out, void *context);

/* run() and describe() of a variant whose state begins with its struct
 * lowering; the state is the GEMM's context. */
enum conv_status lowering_variant_run(void *state, const float *in, float *out);
const char *lowering_variant_describe(void *state);
void lowering_free(struct lowering *lw);


#endif
