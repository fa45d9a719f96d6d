#include "gemm.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "gemm-ukernels.h"
#include "tensor.h"

#if defined(__x86_64__)
static const struct gemm_kernel kernel_avx512 = {"12x32__avx512", CPU_ISA_AVX512, 12, 32,
                                                 sgemm_ukernel_12x32__avx512, NULL};
static const struct gemm_kernel kernel_avx512_8 = {"8x32__avx512", CPU_ISA_AVX512, 8, 32,
                                                   sgemm_ukernel_8x32__avx512,
                                                   sgemm_ukernel_8x49__avx512};
static const struct gemm_kernel kernel_avx2 = {"6x16__avx2", CPU_ISA_AVX2_FMA, 6, 16,
                                               sgemm_ukernel_6x16__avx2, NULL};
#endif
static const struct gemm_kernel kernel_c = {"4x16__c", CPU_ISA_GENERIC, 4, 16,
                                            sgemm_ukernel_4x16__c, NULL};

const struct gemm_kernel *const gemm_kernels[] = {
#if defined(__x86_64__)
    &kernel_avx512,
    &kernel_avx512_8,
    &kernel_avx2,
#endif
    &kernel_c,
};
const size_t gemm_kernel_count = sizeof gemm_kernels / sizeof gemm_kernels[0];

const struct gemm_kernel *gemm_kernel_best(void)
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

struct gemm_blocking gemm_blocking_for(const struct gemm_kernel *kernel)
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

/* A product with one or two columns (a fully connected layer: N = 1) would
 * fill NR-wide panels mostly with padding; it runs as matrix-vector products
 * on the packed A panels instead, vectorized along each panel's MR rows. It
 * reads all of A per call, so beyond two columns the padded panels win. */
#define GEMM_NARROW_N 2

/* One MR-row panel against NC columns of B (MR a multiple of 4, NC <= 2, both
 * constants in each instance): each 4-row slice of the panel is loaded once
 * per k and used for every column. With one or two columns there would be
 * too few independent FMA chains to hide FMA latency, so k is split into
 * partial sums as well (PARTS chains per column). */
typedef float narrow_v4 __attribute__((vector_size(16)));

__attribute__((always_inline)) static inline void
narrow_panel(const struct gemm_packed_a *a, int64_t k0, int64_t k1, int64_t row, const float *b,
             int64_t ldb, float *acc, const int MR, const int NC)
{
    enum { MAX_V = 3, MAX_NC = 2, MAX_PARTS = 4 };
    const int V = MR / 4, PARTS = NC == 1 ? 4 : NC == 2 ? 2 : 1;
    const int64_t kc = a->blocking.kc;
    narrow_v4 part[MAX_PARTS][MAX_NC][MAX_V];
    for (int q = 0; q < PARTS; q++)
        for (int j = 0; j < NC; j++)
            for (int v = 0; v < V; v++)
                part[q][j][v] = (narrow_v4){0, 0, 0, 0};
    for (int64_t pc = k0; pc < k1; pc += kc) {
        const int64_t kc_cur = a->k - pc < kc ? a->k - pc : kc;
        const float *panel = a->data + pc * a->m_padded + row * kc_cur;
        const float *bk = b + (pc - k0) * ldb;
        int64_t p = 0;
        for (; p + PARTS <= kc_cur; p += PARTS)
            for (int q = 0; q < PARTS; q++) {
                narrow_v4 x[MAX_V];
                for (int v = 0; v < V; v++)
                    memcpy(&x[v], panel + (p + q) * MR + 4 * v, sizeof x[v]);
                for (int j = 0; j < NC; j++) {
                    const float bv = bk[(p + q) * ldb + j];
                    for (int v = 0; v < V; v++)
                        part[q][j][v] += x[v] * bv;
                }
            }
        for (; p < kc_cur; p++) {
            narrow_v4 x[MAX_V];
            for (int v = 0; v < V; v++)
                memcpy(&x[v], panel + p * MR + 4 * v, sizeof x[v]);
            for (int j = 0; j < NC; j++)
                for (int v = 0; v < V; v++)
                    part[0][j][v] += x[v] * bk[p * ldb + j];
        }
    }
    /* acc[j * 16 + r]: column j, row r of the panel */
    for (int j = 0; j < NC; j++)
        for (int v = 0; v < V; v++) {
            narrow_v4 sum = part[0][j][v];
            for (int q = 1; q < PARTS; q++)
                sum += part[q][j][v];
            for (int i = 0; i < 4; i++)
                acc[j * 16 + 4 * v + i] = sum[i];
        }
}

#define NARROW_COLUMNS(MR)                                                                 \
    switch (n) {                                                                           \
    case 1: narrow_panel(a, k0, k1, row, b, ldb, acc, MR, 1); break;                       \
    case 2: narrow_panel(a, k0, k1, row, b, ldb, acc, MR, 2); break;                       \
    default: narrow_panel(a, k0, k1, row, b, ldb, acc, MR, 2); break;                      \
    }

/* C (+)= A[:, k0:k1] B for n <= GEMM_NARROW_N columns; k0 and k1 on K-block
 * boundaries of the packed A; B holds rows k0 .. k1. */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void
gemm_narrow(const struct gemm_packed_a *a, int64_t k0, int64_t k1, const float *b, int64_t ldb,
            int64_t n, float *c, int64_t ldc, bool accumulate, const float *bias, int threads)
{
    const int mr = a->kernel->mr;
    const int64_t m = a->m;
    const int64_t panels = a->m_padded / mr;
    #pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t ip = 0; ip < panels; ip++) {
        const int64_t row = ip * mr, rows = m - row < mr ? m - row : mr;
        float acc[GEMM_NARROW_N * 16];
        switch (mr) {
        case 4: NARROW_COLUMNS(4) break;
        case 8: NARROW_COLUMNS(8) break;
        default: NARROW_COLUMNS(12) break;
        }
        for (int64_t j = 0; j < n; j++)
            for (int64_t r = 0; r < rows; r++) {
                float *out = c + (row + r) * ldc + j;
                *out = acc[j * 16 + r] + (accumulate ? *out : bias ? bias[row + r] : 0.0f);
            }
    }
}

static bool narrow(const struct gemm_packed_a *a, int64_t n)
{
    const int mr = a->kernel->mr;
    return n <= GEMM_NARROW_N && (mr == 4 || mr == 8 || mr == 12);
}

/* Products with a few more columns (Winograd's tile-element GEMMs on a 7x7
 * image have 4) would use a quarter of each 16-lane vector of a 32-wide
 * panel. With 8-row A panels (the AVX-512 8x32 kernel's) one vector holds
 * two k steps of a panel instead, 8 rows each, against a vector of the
 * matching column of B: b[k][j] in its low 8 lanes, b[k + 1][j] in its high
 * 8, expanded once per K-block. Every lane does useful work, each A panel
 * is read once, in order, and the two halves are added at the end. */
#define GEMM_SKINNY_N 4
/* How far ahead (floats) the skinny path prefetches A: 4 KiB. On ResNet-18's
 * 7x7 layer under F(4x4,3x3) (36 products of 512 x 512 by 4 columns, A
 * read once from memory) 256 and 512 floats gained less, none 10-20% less. */
#define SKINNY_PF 1024

#if defined(__x86_64__)
__attribute__((target("avx512f"), always_inline)) static inline void
skinny_panel(const float *panel, int64_t kc_cur, const __m512 *bx, int64_t row0, int64_t m,
             float *c, int64_t ldc, bool accumulate, const float *bias, const int N)
{
    /* whole pairs of k steps; an odd K-block ends in a half pair, loaded
     * under a mask (the 8 floats after it belong to the next panel) */
    const int64_t pairs = kc_cur / 2;
    /* two sets of accumulators (even and odd pairs): 2N independent chains */
    __m512 acc[2][GEMM_SKINNY_N];
#pragma GCC unroll 4
    for (int j = 0; j < N; j++)
        acc[0][j] = acc[1][j] = _mm512_setzero_ps();
    int64_t q = 0;
    for (; q + 2 <= pairs; q += 2) {
        /* A streams from memory (Winograd's transformed weights for a few
         * tiles, read once per run): ask for it well ahead */
        _mm_prefetch((const char *)(panel + q * 16 + SKINNY_PF), _MM_HINT_T0);
        _mm_prefetch((const char *)(panel + q * 16 + SKINNY_PF + 16), _MM_HINT_T0);
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const __m512 x = _mm512_loadu_ps(panel + (q + h) * 16);
#pragma GCC unroll 4
            for (int j = 0; j < N; j++)
                acc[h][j] = _mm512_fmadd_ps(x, bx[(q + h) * N + j], acc[h][j]);
        }
    }
    for (; q < (kc_cur + 1) / 2; q++) {
        const __m512 x = _mm512_maskz_loadu_ps(2 * q + 1 < kc_cur ? 0xffff : 0x00ff,
                                               panel + q * 16);
#pragma GCC unroll 4
        for (int j = 0; j < N; j++)
            acc[0][j] = _mm512_fmadd_ps(x, bx[q * N + j], acc[0][j]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < N; j++) {
        const __m512 both = _mm512_add_ps(acc[0][j], acc[1][j]);
        float sum[8];
        _mm256_storeu_ps(sum, _mm256_add_ps(_mm512_castps512_ps256(both),
                                            _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                                _mm512_castps_pd(both), 1))));
        for (int r = 0; r < 8 && row0 + r < m; r++) {
            float *out = c + (row0 + r) * ldc + j;
            *out = sum[r] + (accumulate ? *out : bias ? bias[row0 + r] : 0.0f);
        }
    }
}

/* k steps per expansion of B (even): the expanded rows, 24 KB with four
 * columns, stay in L1 while the A panels stream past them (at 64 KB they
 * would not) */
enum { SKINNY_STEPS_MAX = 192 };

/* C (+)= A[:, pc + p0 : pc + p0 + len] B for GEMM_NARROW_N < n <=
 * GEMM_SKINNY_N columns with 8-row A panels; pc on a K-block boundary, p0
 * even; B holds rows pc + p0 .. pc + p0 + len. */
__attribute__((target("avx512f"))) static void
skinny_part(const struct gemm_packed_a *a, int64_t pc, int64_t kc_cur, int64_t p0, int64_t len,
            const float *b, int64_t ldb, int64_t n, float *c, int64_t ldc, bool accumulate,
            const float *bias, int threads)
{
    const int64_t pairs = (len + 1) / 2;
    /* bx[q * n + j]: b[2q][j] in the low 8 lanes, b[2q + 1][j] (or 0 past
     * the part) in the high 8 */
    __m512 bx[SKINNY_STEPS_MAX / 2 * GEMM_SKINNY_N];
    for (int64_t q = 0; q < pairs; q++)
        for (int64_t j = 0; j < n; j++) {
            const float lo = b[2 * q * ldb + j], hi = 2 * q + 1 < len ? b[(2 * q + 1) * ldb + j] : 0.0f;
            bx[q * n + j] = _mm512_castpd_ps(_mm512_insertf64x4(
                _mm512_castps_pd(_mm512_set1_ps(lo)), _mm256_castps_pd(_mm256_set1_ps(hi)), 1));
        }
    const float *block = a->data + pc * a->m_padded + p0 * 8;
    const int64_t panels = a->m_padded / 8;
    #pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t ip = 0; ip < panels; ip++) {
        const float *panel = block + ip * 8 * kc_cur;
        switch (n) {
        case 3: skinny_panel(panel, len, bx, ip * 8, a->m, c, ldc, accumulate, bias, 3); break;
        default: skinny_panel(panel, len, bx, ip * 8, a->m, c, ldc, accumulate, bias, 4); break;
        }
    }
}

/* The same for a whole K-block (B holds rows pc .. pc + kc_cur), in parts
 * of at most SKINNY_STEPS_MAX steps. */
static void gemm_skinny(const struct gemm_packed_a *a, int64_t pc, int64_t kc_cur,
                        const float *b, int64_t ldb, int64_t n, float *c, int64_t ldc,
                        bool accumulate, const float *bias, int threads)
{
    for (int64_t p0 = 0; p0 < kc_cur; p0 += SKINNY_STEPS_MAX)
        skinny_part(a, pc, kc_cur, p0,
                    kc_cur - p0 < SKINNY_STEPS_MAX ? kc_cur - p0 : SKINNY_STEPS_MAX,
                    b + p0 * ldb, ldb, n, c, ldc, p0 > 0 || accumulate, p0 == 0 ? bias : NULL,
                    threads);
}
#endif

static bool skinny(const struct gemm_packed_a *a, int64_t n)
{
#if defined(__x86_64__)
    return n > GEMM_NARROW_N && n <= GEMM_SKINNY_N && a->kernel->mr == 8 &&
           a->kernel->isa == CPU_ISA_AVX512;
#else
    (void)a;
    (void)n;
    return false;
#endif
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
    if (narrow(a, n)) {
        gemm_narrow(a, 0, a->k, b, ldb, n, c, ldc, accumulate, bias, threads);
        return;
    }
#if defined(__x86_64__)
    if (skinny(a, n)) {
        /* one K-block at a time, so that A is read in the order it is
         * stored; C (n columns) collects the partial sums */
        const int64_t kc = a->blocking.kc;
        for (int64_t pc = 0; pc < a->k; pc += kc)
            gemm_skinny(a, pc, a->k - pc < kc ? a->k - pc : kc, b + pc * ldb, ldb, n, c, ldc,
                        pc > 0 || accumulate, pc == 0 ? bias : NULL, threads);
        return;
    }
#endif
    const struct matrix matrix = {b, ldb};
    const struct gemm_b_source source = {pack_b_matrix, &matrix};
    gemm_compute_source(a, &source, n, c, ldc, accumulate, bias, workspace, threads);
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
    b->pack(b->context, pc, kc_cur, jc + col, cols, nr, block + jp * nr * kc);
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
            kernel->ukernel(k, a_block + row * a_pitch, b_block + jp * nr * kc,
                            c + row * ldc + col, ldc, (int)(m - row < mr ? m - row : mr),
                            (int)cols, store, bias ? bias + row : NULL);
    }
    if (pair) {
        const int64_t jp = jp1 - 2, col = jp * nr;
        for (int64_t row = row0; row < row1; row += mr)
            kernel->tail(k, a_block + row * a_pitch, b_block + jp * nr * kc,
                         b_block + (jp + 1) * nr * kc, c + row * ldc + col, ldc,
                         (int)(m - row < mr ? m - row : mr), (int)(n - col - nr), store,
                         bias ? bias + row : NULL);
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
                    b->pack(b->context, pc + p0, len, col, cols, nr, b_block + jp * nr * kc);
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
            b->pack(b->context, pc, kc_cur, 0, n, nr, workspace);
#if defined(__x86_64__)
            if (skinny(a, n)) {
                gemm_skinny(a, pc, kc_cur, workspace, nr, n, c, ldc, pc > 0 || accumulate,
                            pc == 0 ? bias : NULL, threads);
                continue;
            }
#endif
            gemm_narrow(a, pc, pc + kc_cur, workspace, nr, n, c, ldc, pc > 0 || accumulate,
                        pc == 0 ? bias : NULL, threads);
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
                    b->pack(b->context, 0, k, col + q * nr,
                            cols - q * nr < nr ? cols - q * nr : nr, nr, panel + q * kc * nr);
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
            const int64_t jp_begin = split == OWN_PANELS ? n_panels * thread / team : 0;
            const int64_t jp_end = split == OWN_PANELS ? n_panels * (thread + 1) / team
                                                       : n_panels;
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
                    const int64_t ip_begin = split == OWN_ROWS ? m_panels * thread / team : 0;
                    const int64_t ip_end = split == OWN_ROWS ? m_panels * (thread + 1) / team
                                                             : m_panels;
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
                        kernel->ukernel(kc_cur, a_block + row * kc_cur, b_block + jp * nr * kc,
                                        c + row * ldc + jc + col, ldc, (int)rows, (int)cols,
                                        store, bias ? bias + row : NULL);
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
