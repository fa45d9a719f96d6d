#include "gemm.h"

#include <omp.h>

#include "phases.h"
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "gemm-ukernels.h"
#include "tensor.h"

#if defined(__x86_64__)
static const struct gemm_kernel kernel_avx512 = {"12x32__avx512", CPU_ISA_AVX512, 12, 32,
                                                 sgemm_ukernel_12x32__avx512, NULL,
                                                 sgemm_narrow, NULL};
static const struct gemm_kernel kernel_avx512_8 = {"8x32__avx512", CPU_ISA_AVX512, 8, 32,
                                                   sgemm_ukernel_8x32__avx512,
                                                   sgemm_ukernel_8x49__avx512, sgemm_narrow,
                                                   sgemm_skinny_8__avx512};
static const struct gemm_kernel kernel_avx2 = {"6x16__avx2", CPU_ISA_AVX2_FMA, 6, 16,
                                               sgemm_ukernel_6x16__avx2, NULL, NULL, NULL};
#endif
static const struct gemm_kernel kernel_c = {"4x16__c", CPU_ISA_GENERIC, 4, 16,
                                            sgemm_ukernel_4x16__c, NULL, sgemm_narrow, NULL};

const struct gemm_kernel *const gemm_kernels[] = {
#if defined(__x86_64__)
    &kernel_avx512,
    &kernel_avx512_8,
    &kernel_avx2,
#endif
    &kernel_c,
};
const size_t gemm_kernel_count = sizeof gemm_kernels / sizeof gemm_kernels[0];

static const struct gemm_kernel *gemm_kernel_best(void)
{
    for (size_t i = 0; i < gemm_kernel_count; i++)
        if (cpu_has_isa(gemm_kernels[i]->isa))
            return gemm_kernels[i];
    return &kernel_c;
}

const struct gemm_kernel *gemm_kernel_for_m(int64_t m)
{
    const struct gemm_kernel *best = gemm_kernel_best();
    int64_t best_padded = (m + best->mr - 1) / best->mr * best->mr;
    for (size_t i = 0; i < gemm_kernel_count; i++) {
        const struct gemm_kernel *k = gemm_kernels[i];
        int64_t padded = (m + k->mr - 1) / k->mr * k->mr;
        if (k->isa == best->isa && (padded < best_padded ||
                                    (padded == best_padded && k->mr > best->mr))) {
            best = k;
            best_padded = padded;
        }
    }
    return best;
}

static int64_t round_down(int64_t x, int64_t multiple)
{
    return x / multiple * multiple;
}

static int64_t clamp(int64_t x, int64_t lo, int64_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static struct gemm_blocking gemm_blocking_for(const struct gemm_kernel *kernel)
{
    size_t l1 = cpu_cache_size(1), l2 = cpu_cache_size(2), l3 = cpu_cache_size(3);
    if (!l1)
        l1 = 32 << 10;
    if (!l2)
        l2 = 256 << 10;
    if (!l3)
        l3 = 8 << 20;
    struct gemm_blocking b;
    /* half of L1 for the B micro-panel, the rest for A's stream and C */
    b.kc = clamp(round_down((int64_t)(l1 / 2) / (kernel->nr * 4), 8), 64, 512);
    /* half of L2 for the A block */
    b.mc = clamp(round_down((int64_t)(l2 / 2) / (b.kc * 4), kernel->mr), kernel->mr, 4096);
    /* a quarter of L3 for the B block, which every core reads */
    b.nc = clamp(round_down((int64_t)(l3 / 4) / (b.kc * 4), kernel->nr), kernel->nr, 16384);
    return b;
}

int gemm_pack_a(struct gemm_packed_a *packed, const struct gemm_kernel *kernel, int64_t m,
                int64_t k, const float *a, int64_t lda)
{
    return gemm_pack_a_blocked(packed, kernel, gemm_blocking_for(kernel), m, k, a, lda);
}

int gemm_pack_a_blocked(struct gemm_packed_a *packed, const struct gemm_kernel *kernel,
                        struct gemm_blocking blocking, int64_t m, int64_t k, const float *a,
                        int64_t lda)
{
    *packed = (struct gemm_packed_a){
        .kernel = kernel, .blocking = blocking, .m = m, .k = k,
        .m_padded = (m + kernel->mr - 1) / kernel->mr * kernel->mr,
    };
    const int mr = kernel->mr;
    packed->data = tensor_alloc((size_t)(packed->m_padded * k), sizeof(float));
    if (!packed->data)
        return -1;
    const int64_t kc = packed->blocking.kc;
    /* K-blocks of kc; in each, MR-row panels stored k-major (MR values per
     * k step), rows past m zero */
    for (int64_t pc = 0; pc < k; pc += kc) {
        const int64_t kc_cur = k - pc < kc ? k - pc : kc;
        float *block = packed->data + pc * packed->m_padded;
        for (int64_t ir = 0; ir < packed->m_padded; ir += mr) {
            float *panel = block + ir * kc_cur;
            for (int64_t p = 0; p < kc_cur; p++)
                for (int r = 0; r < mr; r++)
                    panel[p * mr + r] = ir + r < m ? a[(ir + r) * lda + pc + p] : 0.0f;
        }
    }
    return 0;
}

size_t gemm_packed_a_bytes(const struct gemm_kernel *kernel, int64_t m, int64_t k)
{
    return (size_t)((m + kernel->mr - 1) / kernel->mr * kernel->mr * k) * sizeof(float);
}

void gemm_packed_a_free(struct gemm_packed_a *packed)
{
    free(packed->data);
    packed->data = NULL;
}

/* How gemm_compute_source shares out the work of one N-block among the
 * team:
 *   OWN_PANELS  wide B: each thread packs a run of B panels and computes
 *               every tile of them;
 *   SPLIT_K     narrow B with a long K: each thread takes a run of K,
 *               packs only its rows of B and computes every tile of C over
 *               them, into C (thread 0) or a partial C of its own; the
 *               partials are added in at the end. No B is packed twice and
 *               there is one barrier in all; a C too large for L2 is done
 *               a run of B panels at a time;
 *   OWN_ROWS    narrow B, shorter K: each thread packs all of the block's
 *               B panels into its own copy and computes its run of A
 *               panels (rows of C) against them. Splitting narrow B by
 *               panels instead would have two threads writing the same
 *               rows, and where a row's length is not a whole number of
 *               cache lines they pass the lines they share back and forth
 *               at every K-block;
 *   SHARED      fewer A panels than threads: B packed together, tiles
 *               split evenly, barriers between K-blocks. */
enum gemm_split { OWN_PANELS, SPLIT_K, OWN_ROWS, SHARED };

static enum gemm_split split_for(const struct gemm_kernel *kernel, struct gemm_blocking b,
                                 int64_t m, int64_t n, int64_t k, int threads)
{
    const int64_t nr = kernel->nr, mr = kernel->mr;
    const int64_t n_panels = ((n < b.nc ? n : b.nc) + nr - 1) / nr;
    /* the fewest A panels in any M-block (the last one is the shortest) */
    const int64_t last_mc = m - (m - 1) / b.mc * b.mc;
    if (threads == 1 || n_panels >= 4 * threads)
        return OWN_PANELS;
    /* two K-blocks or more for each thread (with less, the B packing saved
     * does not repay a partial C per thread), one N-block */
    if (k >= 2 * b.kc * threads && n <= b.nc)
        return SPLIT_K;
    return (last_mc + mr - 1) / mr >= threads ? OWN_ROWS : SHARED;
}

size_t gemm_workspace_floats_for(const struct gemm_kernel *kernel, struct gemm_blocking b,
                                 int64_t m, int64_t n, int64_t k, int threads)
{
    const int64_t nr = kernel->nr;
    int64_t nc = n < b.nc ? n : b.nc;
    const size_t block = (size_t)(b.kc * ((nc + nr - 1) / nr * nr));
    switch (split_for(kernel, b, m, n, k, threads)) {
    case SPLIT_K: return (block + (size_t)(m * n)) * (size_t)threads;
    case OWN_ROWS: return block * (size_t)threads;
    default: return block;
    }
}

size_t gemm_workspace_floats(const struct gemm_packed_a *a, int64_t n, int threads)
{
    return gemm_workspace_floats_for(a->kernel, a->blocking, a->m, n, a->k, threads);
}

struct matrix {
    const float *data;
    int64_t ld;
};

/* One NR-column panel of a row-major matrix B. */
static void pack_b_matrix(const void *context, int64_t k0, int64_t kc_cur, int64_t n0,
                          int64_t n, int nr, float *panel)
{
    const struct matrix *m = context;
    const float *b = m->data + k0 * m->ld + n0;
    const int64_t ldb = m->ld;
    if (n == nr) {
        for (int64_t p = 0; p < kc_cur; p++)
            memcpy(panel + p * nr, b + p * ldb, (size_t)nr * sizeof(float));
        return;
    }
    for (int64_t p = 0; p < kc_cur; p++) {
        memcpy(panel + p * nr, b + p * ldb, (size_t)n * sizeof(float));
        memset(panel + p * nr + n, 0, (size_t)(nr - n) * sizeof(float));
    }
}

static bool narrow(const struct gemm_packed_a *a, int64_t n)
{
    return n <= GEMM_NARROW_N && a->kernel->narrow;
}

static bool skinny(const struct gemm_packed_a *a, int64_t n)
{
    return n > GEMM_NARROW_N && n <= GEMM_SKINNY_N && a->kernel->skinny;
}

struct gemm_blocking gemm_blocking_for_shape(const struct gemm_kernel *kernel, int64_t m,
                                             int64_t n, int64_t k)
{
    struct gemm_blocking b = gemm_blocking_for(kernel);
    /* a K of up to three K-blocks is taken in one: C is written once
     * instead of read back and rewritten per K-block, and B is packed in
     * one pass; the micro-panel of B then streams from L2, and the A block
     * keeps its share of L2. Not for the few-column paths, which stream A
     * in K-block order. */
    if (k > b.kc && k <= 3 * b.kc && n > GEMM_SKINNY_N) {
        b.mc = b.mc * b.kc / k;
        if (b.mc < kernel->mr)
            b.mc = kernel->mr;
        b.kc = k;
    }
    /* M-blocks of even size: a short last one would leave fewer A panels
     * than threads in it */
    const int64_t mr = kernel->mr, blocks = (m + b.mc - 1) / b.mc;
    b.mc = ((m + blocks - 1) / blocks + mr - 1) / mr * mr;
    return b;
}

int gemm_pack_a_for(struct gemm_packed_a *packed, const struct gemm_kernel *kernel, int64_t m,
                    int64_t n, int64_t k, const float *a, int64_t lda)
{
    return gemm_pack_a_blocked(packed, kernel, gemm_blocking_for_shape(kernel, m, n, k), m, k,
                               a, lda);
}

void gemm_compute(const struct gemm_packed_a *a, const float *b, int64_t ldb, int64_t n,
                  float *c, int64_t ldc, bool accumulate, const float *bias, float *workspace,
                  int threads)
{
    if (narrow(a, n) || skinny(a, n)) {
        /* B as it is; the kernels run their own team of threads */
        const uint64_t t0 = phases_active ? phase_ticks() : 0;
        if (narrow(a, n))
            a->kernel->narrow(a, 0, a->k, b, ldb, n, c, ldc, accumulate, bias, threads);
        else {
            /* one K-block at a time, so that A is read in the order it is
             * stored; C (n columns) collects the partial sums */
            const int64_t kc = a->blocking.kc;
            for (int64_t pc = 0; pc < a->k; pc += kc)
                a->kernel->skinny(a, pc, a->k - pc < kc ? a->k - pc : kc, b + pc * ldb, ldb, n,
                                  c, ldc, pc > 0 || accumulate, pc == 0 ? bias : NULL, threads);
        }
        if (phases_active)
            phase_add(PHASE_MICRO_KERNEL, phase_ticks() - t0, threads);
        return;
    }
    const struct matrix matrix = {b, ldb};
    const struct gemm_b_source source = {pack_b_matrix, &matrix};
    gemm_compute_source(a, &source, n, c, ldc, accumulate, bias, workspace, threads);
}

/* One micro-tile; in an instrumented run its time goes to the micro-kernel
 * phase, or to the edge tiles' when M or N cuts it short. */
static inline void tile(const struct gemm_kernel *kernel, int64_t k, const float *a,
                        const float *b, float *c, int64_t ldc, int rows, int cols,
                        enum gemm_store store, const float *bias)
{
    if (!phases_active) {
        kernel->ukernel(k, a, b, c, ldc, rows, cols, store, bias);
        return;
    }
    const uint64_t t0 = phase_ticks();
    kernel->ukernel(k, a, b, c, ldc, rows, cols, store, bias);
    phase_add(rows < kernel->mr || cols < kernel->nr ? PHASE_EDGE_TILES : PHASE_MICRO_KERNEL,
              phase_ticks() - t0, 1);
}

/* Packs B's panel (k0, kc, n0, cols) from its source; timed as packing in
 * an instrumented run. team: threads running while this thread waits for
 * the packing (1 inside a parallel region). */
static inline void pack_b(const struct gemm_b_source *b, int64_t k0, int64_t kc, int64_t n0,
                          int64_t cols, int nr, float *panel)
{
    if (!phases_active) {
        b->pack(b->context, k0, kc, n0, cols, nr, panel);
        return;
    }
    const uint64_t t0 = phase_ticks();
    b->pack(b->context, k0, kc, n0, cols, nr, panel);
    phase_add(PHASE_PACK_B, phase_ticks() - t0, 1);
}

/* Panel jp of the current (pc, jc) block of B, into its place in the block.
 * Panels sit kc (not kc_cur) apart, so that a panel keeps its place in every
 * K-block: a thread packing its panels of the next K-block never writes
 * where another thread still reads the last one. */
static void pack_panel(const struct gemm_b_source *b, int64_t pc, int64_t kc_cur, int64_t kc,
                       int64_t jc, int64_t nc_cur, int64_t jp, int nr, float *block)
{
    const int64_t col = jp * nr;
    const int64_t cols = nc_cur - col < nr ? nc_cur - col : nr;
    pack_b(b, pc, kc_cur, jc + col, cols, nr, block + jp * nr * kc);
}

/* Whether B panels jp0 .. jp1 of a block of n columns end in a short panel
 * that the kernel's tail form takes together with the one before it. */
static bool tail_pair(const struct gemm_kernel *kernel, int64_t jp0, int64_t jp1, int64_t n)
{
    const int64_t nr = kernel->nr, last = n - (jp1 - 1) * nr;
    return kernel->tail && jp1 - jp0 >= 2 && jp1 * nr >= n && last <= GEMM_TAIL_MAX;
}

/* k steps of the tiles of rows row0 .. row1 (A panels of a_block, MR x
 * a_pitch floats apart) against B panels jp0 .. jp1 of b_block (NR x kc
 * floats apart; the block's columns 0 .. n are C's columns from c), B
 * panel major: each B micro-panel stays in L1 while the A panels stream
 * past it. A short last panel goes with the panel before it into the
 * kernel's tail form, when it has one. */
static void run_tiles(const struct gemm_kernel *kernel, int64_t k, int64_t a_pitch, int64_t kc,
                      const float *a_block, const float *b_block, int64_t row0, int64_t row1,
                      int64_t m, int64_t jp0, int64_t jp1, int64_t n, float *c, int64_t ldc,
                      enum gemm_store store, const float *bias)
{
    const int mr = kernel->mr, nr = kernel->nr;
    const bool pair = tail_pair(kernel, jp0, jp1, n);
    const int64_t single_end = pair ? jp1 - 2 : jp1;
    for (int64_t jp = jp0; jp < single_end; jp++) {
        const int64_t col = jp * nr, cols = n - col < nr ? n - col : nr;
        for (int64_t row = row0; row < row1; row += mr)
            tile(kernel, k, a_block + row * a_pitch, b_block + jp * nr * kc, c + row * ldc + col,
                 ldc, (int)(m - row < mr ? m - row : mr), (int)cols, store,
                 bias ? bias + row : NULL);
    }
    if (pair) {
        const int64_t jp = jp1 - 2, col = jp * nr;
        const uint64_t t0 = phases_active ? phase_ticks() : 0;
        for (int64_t row = row0; row < row1; row += mr)
            kernel->tail(k, a_block + row * a_pitch, b_block + jp * nr * kc,
                         b_block + (jp + 1) * nr * kc, c + row * ldc + col, ldc,
                         (int)(m - row < mr ? m - row : mr), (int)(n - col - nr), store,
                         bias ? bias + row : NULL);
        if (phases_active)
            phase_add(PHASE_EDGE_TILES, phase_ticks() - t0, 1);
    }
}

/* SPLIT_K (see split_for: threads > 1, n <= nc, k >= 2 * threads * kc).
 * Thread t's run of K is cut where it crosses A's K-blocks; each piece
 * starts p0 steps into its K-block's panels. */
static void gemm_split_k(const struct gemm_packed_a *a, const struct gemm_b_source *b,
                         int64_t n, float *c, int64_t ldc, bool accumulate, const float *bias,
                         float *workspace, int threads)
{
    const struct gemm_kernel *kernel = a->kernel;
    const int mr = kernel->mr, nr = kernel->nr;
    const int64_t m = a->m, k = a->k, kc = a->blocking.kc, mc = a->blocking.mc;
    const int64_t n_panels = (n + nr - 1) / nr;
    const size_t block = (size_t)(kc * n_panels * nr);
    /* B panels per pass over a thread's run of K: every K-block updates
     * the pass's columns of C, which should stay in L2 beside the A block
     * (half of L2); A is read once per pass. */
    int64_t chunk = mc * kc / 2 / (m * nr);
    if (chunk < 1)
        chunk = 1;
    #pragma omp parallel num_threads(threads)
    {
        const int thread = omp_get_thread_num(), team = omp_get_num_threads();
        float *b_block = workspace + (size_t)thread * block;
        float *partial = workspace + (size_t)team * block;
        /* thread 0 writes C as asked, the others their partial C (m x n) */
        float *out = thread == 0 ? c : partial + (size_t)(thread - 1) * (size_t)(m * n);
        const int64_t ldo = thread == 0 ? ldc : n;
        const enum gemm_store first = thread > 0 ? GEMM_STORE
                                      : accumulate ? GEMM_ACCUMULATE
                                      : bias       ? GEMM_BIAS
                                                   : GEMM_STORE;
        const int64_t k0 = k * thread / team, k1 = k * (thread + 1) / team;
        /* passes over runs of chunk B panels */
        for (int64_t j0 = 0, j1; j0 < n_panels; j0 = j1) {
            j1 = n_panels - j0 < chunk ? n_panels : j0 + chunk;
            /* a short last panel is not left to a pass of its own */
            if (j1 == n_panels - 1 && tail_pair(kernel, j0, n_panels, n))
                j1 = n_panels;
            for (int64_t pc = k0 / kc * kc; pc < k1; pc += kc) {
                const int64_t kc_cur = k - pc < kc ? k - pc : kc;
                const int64_t p0 = pc > k0 ? 0 : k0 - pc;
                const int64_t len = (pc + kc_cur < k1 ? pc + kc_cur : k1) - pc - p0;
                const enum gemm_store store = pc + p0 == k0 ? first : GEMM_ACCUMULATE;
                for (int64_t jp = j0; jp < j1; jp++) {
                    const int64_t col = jp * nr, cols = n - col < nr ? n - col : nr;
                    pack_b(b, pc + p0, len, col, cols, nr, b_block + jp * nr * kc);
                }
                const float *a_block = a->data + pc * a->m_padded + p0 * mr;
                /* M-blocks of mc: the packed A block stays in L2 */
                for (int64_t ic = 0; ic < m; ic += mc)
                    run_tiles(kernel, len, kc_cur, kc, a_block, b_block, ic,
                              m - ic < mc ? m : ic + mc,
                              m, j0, j1, n, out, ldo, store, thread == 0 ? bias : NULL);
            }
        }
        /* every partial is complete; each thread adds them into its share
         * of C's rows */
        #pragma omp barrier
        for (int64_t r = m * thread / team; r < m * (thread + 1) / team; r++)
            for (int t = 1; t < team; t++) {
                const float *from = partial + (size_t)(t - 1) * (size_t)(m * n) + r * n;
                float *to = c + r * ldc;
                for (int64_t j = 0; j < n; j++)
                    to[j] += from[j];
            }
    }
}

/* Of count panels, the ones thread (of team) takes: its own share when
 * own, else all. */
static void share(int64_t count, bool own, int thread, int team, int64_t *begin, int64_t *end)
{
    *begin = own ? count * thread / team : 0;
    *end = own ? count * (thread + 1) / team : count;
}

/* (Long: the loop nest over N-, K- and M-blocks, with its work splits, is
 * one parallel region, so that the threads meet only where they share B.) */
void gemm_compute_source(const struct gemm_packed_a *a, const struct gemm_b_source *b,
                         int64_t n, float *c, int64_t ldc, bool accumulate, const float *bias,
                         float *workspace, int threads)
{
    const struct gemm_kernel *kernel = a->kernel;
    const int mr = kernel->mr, nr = kernel->nr;
    const int64_t m = a->m, k = a->k, kc = a->blocking.kc, mc = a->blocking.mc,
                  nc = a->blocking.nc;

    if (narrow(a, n) || skinny(a, n)) {
        /* the source packs its few columns one K-block at a time */
        for (int64_t pc = 0; pc < k; pc += kc) {
            const int64_t kc_cur = k - pc < kc ? k - pc : kc;
            pack_b(b, pc, kc_cur, 0, n, nr, workspace);
            const uint64_t t0 = phases_active ? phase_ticks() : 0;
            if (skinny(a, n))
                kernel->skinny(a, pc, kc_cur, workspace, nr, n, c, ldc, pc > 0 || accumulate,
                               pc == 0 ? bias : NULL, threads);
            else
                kernel->narrow(a, pc, pc + kc_cur, workspace, nr, n, c, ldc,
                               pc > 0 || accumulate, pc == 0 ? bias : NULL, threads);
            /* the narrow and skinny kernels run their own team of threads */
            if (phases_active)
                phase_add(PHASE_MICRO_KERNEL, phase_ticks() - t0, threads);
        }
        return;
    }
    const enum gemm_split split = split_for(kernel, a->blocking, m, n, k, threads);
    const int64_t n_panels_max = ((n < nc ? n : nc) + nr - 1) / nr;

    if (split == OWN_PANELS && k <= kc && a->m_padded <= mc) {
        /* one K-block and all of packed A in the L2 share of an M-block
         * (the first layers of a network, pointwise layers with few input
         * channels, and with a merged K the 64-channel 3x3 layers): each
         * thread packs its B panels, over all of N, one at a time and runs
         * A past each at once, while the panel is still in L1 (in L2 for a
         * merged K), instead of packing a whole N-block first and reading
         * it back; and no barrier between N-blocks. With several K-blocks
         * the usual order is kept: this one gains nothing there. */
        const int64_t n_panels = (n + nr - 1) / nr;
        #pragma omp parallel num_threads(threads) if (threads > 1)
        {
            const int thread = omp_get_thread_num(), team = omp_get_num_threads();
            /* two panels per thread (OWN_PANELS: the block has room for
             * four, or one thread) */
            float *panel = workspace + (size_t)(2 * thread) * (size_t)(kc * nr);
            const enum gemm_store store = accumulate ? GEMM_ACCUMULATE
                                          : bias     ? GEMM_BIAS
                                                     : GEMM_STORE;
            const int64_t jp0 = n_panels * thread / team, jp1 = n_panels * (thread + 1) / team;
            /* the last two panels go together when the kernel has a tail form */
            const int64_t paired = tail_pair(kernel, jp0, jp1, n) ? jp1 - 2 : jp1;
            for (int64_t jp = jp0, count; jp < jp1; jp += count) {
                count = jp == paired ? 2 : 1;
                const int64_t col = jp * nr, cols = n - col < count * nr ? n - col : count * nr;
                for (int64_t q = 0; q < count; q++)
                    pack_b(b, 0, k, col + q * nr, cols - q * nr < nr ? cols - q * nr : nr, nr,
                           panel + q * kc * nr);
                run_tiles(kernel, k, k, kc, a->data, panel, 0, m, m, 0, count, cols, c + col,
                          ldc, store, bias);
            }
        }
        return;
    }

    if (split == SPLIT_K) {
        gemm_split_k(a, b, n, c, ldc, accumulate, bias, workspace, threads);
        return;
    }

    #pragma omp parallel num_threads(threads) if (threads > 1)
    {
        const int thread = omp_get_thread_num(), team = omp_get_num_threads();
        /* one (pc, jc) block of B at a time; OWN_ROWS: one per thread */
        float *b_block = split == OWN_ROWS ? workspace + (size_t)thread * (size_t)kc *
                                                             (size_t)(n_panels_max * nr)
                                           : workspace;
        /* N-blocks of nc: the packed B block stays in L3 */
        for (int64_t jc = 0; jc < n; jc += nc) {
            const int64_t nc_cur = n - jc < nc ? n - jc : nc;
            const int64_t n_panels = (nc_cur + nr - 1) / nr;
            int64_t jp_begin, jp_end;
            share(n_panels, split == OWN_PANELS, thread, team, &jp_begin, &jp_end);
            /* K-blocks of kc: one B micro-panel stays in L1 */
            for (int64_t pc = 0; pc < k; pc += kc) {
                const int64_t kc_cur = k - pc < kc ? k - pc : kc;
                const enum gemm_store store = pc > 0 || accumulate ? GEMM_ACCUMULATE
                                              : bias               ? GEMM_BIAS
                                                                   : GEMM_STORE;
                if (split == SHARED) {
                    #pragma omp for schedule(static)
                    for (int64_t jp = 0; jp < n_panels; jp++)
                        pack_panel(b, pc, kc_cur, kc, jc, nc_cur, jp, nr, b_block);
                    /* (the loop's barrier: B is packed before anyone reads it) */
                } else {
                    for (int64_t jp = jp_begin; jp < jp_end; jp++)
                        pack_panel(b, pc, kc_cur, kc, jc, nc_cur, jp, nr, b_block);
                }
                const float *a_block = a->data + pc * a->m_padded;
                /* M-blocks of mc: the packed A block stays in L2 */
                for (int64_t ic = 0; ic < m; ic += mc) {
                    const int64_t mc_cur = m - ic < mc ? m - ic : mc;
                    const int64_t m_panels = (mc_cur + mr - 1) / mr;
                    int64_t ip_begin, ip_end;
                    share(m_panels, split == OWN_ROWS, thread, team, &ip_begin, &ip_end);
                    if (split != SHARED) {
                        run_tiles(kernel, kc_cur, kc_cur, kc, a_block, b_block,
                                  ic + ip_begin * mr, ic + ip_end * mr, m, jp_begin, jp_end,
                                  nc_cur, c + jc, ldc, store, bias);
                        continue;
                    }
                    const int64_t ip_count = ip_end - ip_begin;
                    const int64_t tiles = (jp_end - jp_begin) * ip_count;
                    /* SHARED: the micro-tiles split evenly, B panel major */
                    const int64_t t_begin = tiles * thread / team;
                    const int64_t t_end = tiles * (thread + 1) / team;
                    for (int64_t t = t_begin; t < t_end; t++) {
                        const int64_t jp = jp_begin + t / ip_count,
                                      ip = ip_begin + t % ip_count;
                        const int64_t row = ic + ip * mr, col = jp * nr;
                        const int64_t rows = m - row < mr ? m - row : mr;
                        const int64_t cols = nc_cur - col < nr ? nc_cur - col : nr;
                        tile(kernel, kc_cur, a_block + row * kc_cur, b_block + jp * nr * kc,
                             c + row * ldc + jc + col, ldc, (int)rows, (int)cols, store,
                             bias ? bias + row : NULL);
                    }
                }
                /* shared panels: every tile is done before B is repacked */
                if (split == SHARED) {
                    #pragma omp barrier
                }
            }
            /* own panels: the next N-block may split its panels otherwise */
            if (split == OWN_PANELS && jc + nc < n) {
                #pragma omp barrier
            }
        }
    }
}

void gemm_compute_panels(const struct gemm_packed_a *a, const float *b, int64_t n, float *c,
                         int64_t ldc)
{
    const struct gemm_kernel *kernel = a->kernel;
    const int64_t m = a->m, k = a->k, kc = a->blocking.kc, mc = a->blocking.mc;
    /* the first panel alone is a K x NR matrix */
    if (narrow(a, n) || skinny(a, n)) {
        gemm_compute(a, b, kernel->nr, n, c, ldc, false, NULL, NULL, 1);
        return;
    }
    const int64_t n_panels = (n + kernel->nr - 1) / kernel->nr;
    /* K-blocks of kc: a KC x NR piece of a panel stays in L1 */
    for (int64_t pc = 0; pc < k; pc += kc) {
        const int64_t kc_cur = k - pc < kc ? k - pc : kc;
        const float *a_block = a->data + pc * a->m_padded;
        /* M-blocks of mc: the packed A block stays in L2 */
        for (int64_t ic = 0; ic < m; ic += mc)
            run_tiles(kernel, kc_cur, kc_cur, k, a_block, b + pc * kernel->nr, ic,
                      m - ic < mc ? m : ic + mc, m, 0, n_panels, n, c, ldc,
                      pc > 0 ? GEMM_ACCUMULATE : GEMM_STORE, NULL);
    }
}
