/* Single-precision GEMM, C = A * B (+ C) (+ row bias), row-major, as loops
 * around a register-blocked micro-kernel with A and B packed into contiguous
 * panels (the structure of BLIS and GotoBLAS).
 *
 * A (M x K) is packed once, ahead of time: convolution weights do not change
 * between runs. B (K x N) is packed block by block inside gemm_compute.
 * Micro-kernels exist per ISA; gemm_kernel_for_m() picks among the widest
 * the CPU runs, and every one the CPU runs can be chosen explicitly (tests
 * do). */
#ifndef CONVBENCH_GEMM_H
#define CONVBENCH_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

/* What the micro-kernel does with the MR x NR tile it computed. */
enum gemm_store {
    GEMM_STORE,      /* C = AB */
    GEMM_ACCUMULATE, /* C += AB */
    GEMM_BIAS,       /* C = AB + bias[row] */
};

/* Computes an MR x NR tile from k steps of packed A (MR values per step) and
 * packed B (NR values per step); writes its first m rows and n columns. */
typedef void (*gemm_ukernel_fn)(int64_t k, const float *a, const float *b, float *c,
                                int64_t ldc, int m, int n, enum gemm_store store,
                                const float *bias);

/* The same for a full panel of B and the 1 to GEMM_TAIL_MAX columns of the
 * next (b_next, panel layout as b): an MR x (NR + n_tail) tile, written for
 * its first m rows and NR + n_tail columns. */
#define GEMM_TAIL_MAX 17
typedef void (*gemm_ukernel_tail_fn)(int64_t k, const float *a, const float *b,
                                     const float *b_next, float *c, int64_t ldc, int m,
                                     int n_tail, enum gemm_store store, const float *bias);

struct gemm_packed_a;

/* Products with few columns of B run on the packed A panels without packing
 * B: C (+)= A[:, k0:k1] B with B holding rows k0 .. k1 (k0 and k1 on A's
 * K-block boundaries) for n <= GEMM_NARROW_N ... */
#define GEMM_NARROW_N 2
typedef void (*gemm_narrow_fn)(const struct gemm_packed_a *a, int64_t k0, int64_t k1,
                               const float *b, int64_t ldb, int64_t n, float *c, int64_t ldc,
                               bool accumulate, const float *bias, int threads);
/* ... and for GEMM_NARROW_N < n <= GEMM_SKINNY_N, one K-block (pc, kc_cur)
 * at a time. */
#define GEMM_SKINNY_N 4
typedef void (*gemm_skinny_fn)(const struct gemm_packed_a *a, int64_t pc, int64_t kc_cur,
                               const float *b, int64_t ldb, int64_t n, float *c, int64_t ldc,
                               bool accumulate, const float *bias, int threads);

struct gemm_kernel {
    const char *name;
    enum cpu_isa isa;
    int mr, nr;
    gemm_ukernel_fn ukernel;
    gemm_ukernel_tail_fn tail; /* NULL: a short last panel runs on its own */
    gemm_narrow_fn narrow;     /* NULL: one or two columns go through ukernel */
    gemm_skinny_fn skinny;     /* NULL: three or four columns go through ukernel */
};

/* Cache blocking, derived from the cache sizes for one kernel:
 *   kc  K-block: a KC x NR micro-panel of B stays in L1 while the A panels
 *       stream past it;
 *   mc  M-block: an MC x KC block of packed A stays in L2;
 *   nc  N-block: a KC x NC block of packed B stays in (a share of) L3. */
struct gemm_blocking {
    int64_t kc, mc, nc;
};

/* Every kernel built, widest first; those whose ISA the CPU lacks are listed
 * but must not be called (cpu_has_isa tells). */
extern const struct gemm_kernel *const gemm_kernels[];
extern const size_t gemm_kernel_count;

/* Among the kernels of the best ISA, the one that pads M the least (ties go
 * to the taller tile, which loads less per FMA). */
const struct gemm_kernel *gemm_kernel_for_m(int64_t m);

/* The blocking for an M x K matrix A to be multiplied by B of N columns:
 * the above, with a K of up to three K-blocks in one (where N is more than
 * a few columns), and M-blocks of even size. */
struct gemm_blocking gemm_blocking_for_shape(const struct gemm_kernel *kernel, int64_t m,
                                             int64_t n, int64_t k);

/* A packed once: K-blocks of KC, each holding ceil(M/MR) panels of KC x MR. */
struct gemm_packed_a {
    const struct gemm_kernel *kernel;
    struct gemm_blocking blocking;
    int64_t m, k, m_padded;
    float *data;
};

int gemm_pack_a(struct gemm_packed_a *packed, const struct gemm_kernel *kernel, int64_t m,
                int64_t k, const float *a, int64_t lda);
/* The same with the blocking for products with n columns of B
 * (gemm_blocking_for_shape). */
int gemm_pack_a_for(struct gemm_packed_a *packed, const struct gemm_kernel *kernel, int64_t m,
                    int64_t n, int64_t k, const float *a, int64_t lda);
/* The same with blocking chosen by the caller (tests use tiny blocks to
 * reach every block boundary with small matrices). */
int gemm_pack_a_blocked(struct gemm_packed_a *packed, const struct gemm_kernel *kernel,
                        struct gemm_blocking blocking, int64_t m, int64_t k, const float *a,
                        int64_t lda);
void gemm_packed_a_free(struct gemm_packed_a *packed);
/* The bytes of the data a packing of an m x k A allocates for kernel. */
size_t gemm_packed_a_bytes(const struct gemm_kernel *kernel, int64_t m, int64_t k);

/* Floats of workspace gemm_compute needs for packing B (and, when narrow B
 * is split along K, each extra thread's partial C), called with the same n
 * and threads. The second form answers before A is packed. */
size_t gemm_workspace_floats(const struct gemm_packed_a *a, int64_t n, int threads);
size_t gemm_workspace_floats_for(const struct gemm_kernel *kernel, struct gemm_blocking b,
                                 int64_t m, int64_t n, int64_t k, int threads);

/* C (M x N, leading dimension ldc) = A * B (+ C when accumulate) (+ bias[row]
 * when bias is not NULL and accumulate is false). B is K x N with leading
 * dimension ldb. threads > 1 opens one OpenMP parallel region; call with 1
 * from inside a parallel region (no nesting). */
void gemm_compute(const struct gemm_packed_a *a, const float *b, int64_t ldb, int64_t n,
                  float *c, int64_t ldc, bool accumulate, const float *bias, float *workspace,
                  int threads);

/* Where B comes from: pack fills one NR-column panel, kc x nr k-major,
 * with B[k0 + p][n0 + j] at panel[p * nr + j] for j < cols and 0 beyond.
 * A plain matrix is one source; a convolution's input read through the
 * im2col index map is another, which packs columns without materializing
 * them. */
struct gemm_b_source {
    void (*pack)(const void *context, int64_t k0, int64_t kc, int64_t n0, int64_t cols, int nr,
                 float *panel);
    const void *context;
};

/* gemm_compute with B from a source. */
void gemm_compute_source(const struct gemm_packed_a *a, const struct gemm_b_source *b,
                         int64_t n, float *c, int64_t ldc, bool accumulate, const float *bias,
                         float *workspace, int threads);

/* gemm_compute, single-threaded, on B already in panels: panel j (columns
 * j NR .. j NR + NR) holds all K rows, B[p][j NR + q] at b[(j K + p) NR + q],
 * with any values past column n (they are computed and not stored). A
 * caller that produces B can write it so and skip the packing. */
void gemm_compute_panels(const struct gemm_packed_a *a, const float *b, int64_t n, float *c,
                         int64_t ldc);

#endif
