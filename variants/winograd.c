/* Winograd minimal filtering for 3x3, stride-1 convolution (Lavin & Gray,
 * "Fast Algorithms for Convolutional Neural Networks", CVPR 2016): an m x m
 * output tile from an a x a input tile (a = m + 2) with a^2 multiplications
 * per input/output channel pair instead of 9 m^2, so 2.25x fewer for
 * F(2x2,3x3) and 4x fewer for F(4x4,3x3):
 *
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A
 *
 * with g the 3x3 filter, d the input tile, (.) the elementwise product, and
 * summed over input channels before the output transform. Summing over input
 * channels turns the a^2 elementwise products into a^2 GEMMs:
 *
 *   M[xi] (C_out x tiles) = U[xi] (C_out x C_in) * V[xi] (C_in x tiles)
 *
 * for each tile element xi, run on convbench's GEMM (gemm/).
 *
 * F(2x2,3x3), interpolation points 0, 1, -1 (and infinity):
 *   B^T = [1  0 -1  0]   G = [ 1    0    0 ]   A^T = [1 1  1  0]
 *         [0  1  1  0]       [1/2  1/2  1/2]         [0 1 -1 -1]
 *         [0 -1  1  0]       [1/2 -1/2  1/2]
 *         [0  1  0 -1]       [ 0    0    1 ]
 *
 * F(4x4,3x3), interpolation points 0, 1, -1, 2, -2 (and infinity):
 *   B^T = [4  0 -5  0  1  0]   G = [ 1/4     0     0  ]   A^T = [1 1  1 1  1 0]
 *         [0 -4 -4  1  1  0]       [-1/6  -1/6  -1/6 ]         [0 1 -1 2 -2 0]
 *         [0  4 -4 -1  1  0]       [-1/6   1/6  -1/6 ]         [0 1  1 4  4 0]
 *         [0 -2 -1  2  1  0]       [1/24  1/12   1/6 ]         [0 1 -1 8 -8 1]
 *         [0  2 -1 -2  1  0]       [1/24 -1/12   1/6 ]
 *         [0  4  0 -5  0  1]       [  0     0     1  ]
 *
 * The larger tile saves more multiplications but its transforms have larger
 * coefficients (up to 8 in A^T, 5 in B^T), so rounding grows. Tolerances are
 * set from measurement: over every 3x3 layer of vgg16, resnet18 and
 * separable.ini with seeds 1-3, the worst max_rel_err / (FLT_EPSILON *
 * sqrt(reduction)) was 0.52 for F(2x2,3x3) and 12.3 for F(4x4,3x3) (on a
 * depthwise layer, reduction 9), against 0.57 for im2col-gemm; the declared
 * tolerances, 8 and 48, leave a margin of about 4x and still reject one
 * element off by 0.1% of the output range (tests/test_variants.c).
 *
 * Layout of the work: the weights are transformed and packed once in plan.
 * Where the transformed weights U are small (at most an eighth of L3: up to
 * 128 channels), each thread takes blocks of NR tiles (one B panel of the
 * micro-kernel) through all three phases alone: V is written in the panel
 * layout the micro-kernel reads and stays in L2, and M is formed MR output
 * channels at a time and stays in L1; every block reads U again. Otherwise
 * a run cuts the output into batches of tiles sized so that the transformed
 * input V and the products M of a batch stay in cache (L3) between the three
 * phases. The threads share each batch phase by phase: input channels, then
 * tile elements (one single-threaded GEMM each), then output channels. With
 * at most WINO_SMALL_K input channels there are no GEMMs and no batches:
 * each thread takes blocks of 32 tiles through all three phases alone, M
 * formed per output channel and transformed at once, all in L1. The
 * transforms run across the tiles of a batch (tiles are the innermost,
 * contiguous index), which the compiler vectorizes; they are compiled for
 * AVX-512, AVX2 and plain x86-64 and picked at run time, and F(4x4,3x3)'s
 * have AVX-512 versions with B^T and A^T factored, which also read the
 * input rows and write the output rows themselves, 16 tiles at a time, with
 * no tile buffer in between. Otherwise, on AVX-512, input tiles are gathered
 * and output tiles scattered 16 at a time (a partial vector at the end of a
 * tile row); on AVX2 8 at a time. */
#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu.h"
#include "gemm/gemm.h"
#include "tensor.h"
#include "variant.h"

#define MAX_ALPHA 6
/* Up to this many input channels (per group) M is computed inside the
 * output transform instead of by GEMMs, WINO_SMALL_K_TILES tiles at a time
 * (a multiple of the transforms' 16 lanes). */
#define WINO_SMALL_K 4
#define WINO_SMALL_K_TILES 32

static const float bt_2x3[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const float g_2x3[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
static const float at_2x3[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

static const float bt_4x3[6][6] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
static const double g_4x3[6][3] = {
    {1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1},
};
static const float at_4x3[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1},
};

struct winograd_form {
    int m, alpha;            /* output tile m x m, input tile alpha x alpha */
    double g[MAX_ALPHA][3];  /* alpha x 3 (B^T and A^T are used as constants, per form) */
};

struct winograd_state {
    struct conv_layer layer;
    const struct winograd_form *form;
    enum cpu_isa isa;                  /* of the transforms, gathers and scatters */
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

/* ---- transforms, vectorized across the tiles of a batch ------------------ */

/* Tiles are a batch's innermost, contiguous index; transforms take
 * WINO_LANES of them at a time (a batch's tile count is padded to it). The
 * generic transforms and small_k_m are compiled once per ISA, on GCC
 * vectors of that ISA's register width (winograd-lanes.inc.h): wider ones
 * are lowered through the stack. */
#define WINO_LANES 16

#define LANES 4
#define ISA portable
#define ISA_TARGET
#include "winograd-lanes.inc.h"

#if defined(__x86_64__)
#define LANES 8
#define ISA avx2
#define ISA_TARGET __attribute__((target("avx2,fma")))
#include "winograd-lanes.inc.h"

#define LANES 16
#define ISA avx512
#define ISA_TARGET __attribute__((target("avx512f")))
#include "winograd-lanes.inc.h"
#endif

#if defined(__x86_64__)
/* F(4x4,3x3) on AVX-512, B^T and A^T factored into shared sums and
 * differences with FMAs (the generic code above multiplies and adds every
 * nonzero coefficient on its own, and ISO C does not let the compiler fuse
 * them): 14 operations per B^T x and 10 per A^T x, against 22 and 18
 * coefficients. */
__attribute__((target("avx512f"), always_inline)) static inline void
bt_4x3_avx512(const __m512 x[6], __m512 y[6])
{
    const __m512 four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f),
                 two = _mm512_set1_ps(2.0f);
    const __m512 d31 = _mm512_sub_ps(x[3], x[1]), d42 = _mm512_sub_ps(x[4], x[2]);
    y[0] = _mm512_fmadd_ps(four, x[0], _mm512_fnmadd_ps(five, x[2], x[4]));
    y[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(x[1], x[2]), _mm512_add_ps(x[3], x[4]));
    y[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(x[1], x[2]), _mm512_sub_ps(x[4], x[3]));
    y[3] = _mm512_fmadd_ps(two, d31, d42);
    y[4] = _mm512_fnmadd_ps(two, d31, d42);
    y[5] = _mm512_fmadd_ps(four, x[1], _mm512_fnmadd_ps(five, x[3], x[5]));
}

__attribute__((target("avx512f"), always_inline)) static inline void
at_4x3_avx512(const __m512 x[6], __m512 y[4])
{
    const __m512 a = _mm512_add_ps(x[1], x[2]), b = _mm512_sub_ps(x[1], x[2]),
                 c = _mm512_add_ps(x[3], x[4]), e = _mm512_sub_ps(x[3], x[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(x[0], a), c);
    y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), e, b);
    y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a);
    y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), e, b), x[5]);
}

/* Y = T X T' for a 6 x 6 tile X (x[k][j], 16 tiles per vector), T = B^T
 * (forward: Y is 6 x 6, y[i * 6 + j]) or A^T (Y is 4 x 4, y[i * 4 + j]). */
__attribute__((target("avx512f"), always_inline)) static inline void
transform_4x3_avx512(__m512 x[6][6], bool forward, __m512 *y)
{
    const int r = forward ? 6 : 4;
    __m512 tmp[6][6]; /* tmp[i][j] = (T X)[i][j] */
    for (int j = 0; j < 6; j++) {
        __m512 col[6], t[6];
        for (int k = 0; k < 6; k++)
            col[k] = x[k][j];
        if (forward)
            bt_4x3_avx512(col, t);
        else
            at_4x3_avx512(col, t);
        for (int i = 0; i < r; i++)
            tmp[i][j] = t[i];
    }
    for (int i = 0; i < r; i++) {
        __m512 row[6];
        if (forward)
            bt_4x3_avx512(tmp[i], row);
        else
            at_4x3_avx512(tmp[i], row);
        for (int j = 0; j < r; j++)
            y[i * r + j] = row[j];
    }
}

/* x[k][j] = the 16 lanes at src + (6 k + j) stride. */
__attribute__((target("avx512f"), always_inline)) static inline void
load_6x6_avx512(const float *src, int64_t stride, __m512 x[6][6])
{
    for (int k = 0; k < 6; k++)
        for (int j = 0; j < 6; j++)
            x[k][j] = _mm512_loadu_ps(src + (k * 6 + j) * stride);
}

/* input_transform_alpha for F(4x4,3x3) (the output transform is
 * transform_scatter_4x3_avx512's). */
__attribute__((target("avx512f"))) static void
input_transform_4x3_avx512(const float *restrict d, float *restrict out, int64_t out_stride,
                           int64_t n, int64_t stride)
{
    for (int64_t x0 = 0; x0 < n; x0 += WINO_LANES) {
        __m512 x[6][6], y[36];
        load_6x6_avx512(d + x0, stride, x);
        transform_4x3_avx512(x, true, y);
        for (int xi = 0; xi < 36; xi++)
            _mm512_storeu_ps(out + xi * out_stride + x0, y[xi]);
    }
}
#endif

/* The transforms and small_k_m of the ISA a plan chose (cpu_best_isa). */
static void input_transform(enum cpu_isa isa, int alpha, const float *restrict d,
                            float *restrict out, int64_t out_stride, int64_t n, int64_t stride)
{
    switch (isa) {
#if defined(__x86_64__)
    case CPU_ISA_AVX512:
        if (alpha == 6)
            input_transform_4x3_avx512(d, out, out_stride, n, stride);
        else
            input_transform_avx512(alpha, d, out, out_stride, n, stride);
        return;
    case CPU_ISA_AVX2_FMA: input_transform_avx2(alpha, d, out, out_stride, n, stride); return;
#endif
    default: input_transform_portable(alpha, d, out, out_stride, n, stride); return;
    }
}

static void output_transform(enum cpu_isa isa, int m, const float *restrict mt,
                             int64_t mt_stride, float *restrict out, int64_t n, int64_t stride,
                             float bias)
{
    switch (isa) {
#if defined(__x86_64__)
    case CPU_ISA_AVX512: output_transform_avx512(m, mt, mt_stride, out, n, stride, bias); return;
    case CPU_ISA_AVX2_FMA:
        output_transform_avx2(m, mt, mt_stride, out, n, stride, bias);
        return;
#endif
    default: output_transform_portable(m, mt, mt_stride, out, n, stride, bias); return;
    }
}

static void small_k_m(enum cpu_isa isa, const float *restrict u_co, const float *restrict V,
                      int64_t c_in, int a2, float *restrict mt)
{
    switch (isa) {
#if defined(__x86_64__)
    case CPU_ISA_AVX512: small_k_m_avx512(u_co, V, c_in, a2, mt); return;
    case CPU_ISA_AVX2_FMA: small_k_m_avx2(u_co, V, c_in, a2, mt); return;
#endif
    default: small_k_m_portable(u_co, V, c_in, a2, mt); return;
    }
}

/* ---- the variant ---------------------------------------------------------- */

static struct winograd_form form_2x3, form_4x3;

static void forms_init(void)
{
    static bool done;
    #pragma omp critical(winograd_forms)
    if (!done) {
        form_2x3 = (struct winograd_form){2, 4, {{0}}};
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 3; k++)
                form_2x3.g[i][k] = g_2x3[i][k];
        form_4x3 = (struct winograd_form){4, 6, {{0}}};
        for (int i = 0; i < 6; i++)
            for (int k = 0; k < 3; k++)
                form_4x3.g[i][k] = g_4x3[i][k];
        done = true;
    }
}

static enum conv_status winograd_supports(const struct conv_layer *l, const char **why)
{
    if (l->kernel_h != 3 || l->kernel_w != 3) {
        *why = "Winograd F(m x m, 3x3) does 3x3 kernels only";
        return CONV_UNSUPPORTED;
    }
    if (l->stride_h != 1 || l->stride_w != 1 || l->dilation_h != 1 || l->dilation_w != 1) {
        *why = "Winograd F(m x m, 3x3) does stride 1, dilation 1 only";
        return CONV_UNSUPPORTED;
    }
    return CONV_OK;
}

/* V, of a block or a batch of nt tiles, is held as the micro-kernel reads B:
 * V[xi][panel][ci][NR], a^2 GEMM operands of nt / NR panels each, so that
 * no GEMM packs B. This is the number of floats from one tile element's
 * operand to the next: 16 of padding keep them off multiples of 4 KiB
 * apart, where the input transform's a^2 stores would all fall in one L1
 * set. */
static int64_t vb_stride(int64_t c_in, int64_t nt)
{
    return c_in * nt + 16;
}

/* Per-thread scratch: one gathered tile set and one output tile set
 * (alpha^2 x nt each at most), then in blocks the block's V and M, or with
 * few input channels the thread's own V (alpha^2 x c_in x nt). */
static size_t thread_floats(const struct winograd_state *s)
{
    const size_t a2 = (size_t)(s->form->alpha * s->form->alpha);
    if (s->blocks)
        return 2 * a2 * (size_t)s->batch_tiles +
               a2 * (size_t)vb_stride(s->c_in, s->batch_tiles) +
               a2 * (size_t)(s->kernel->mr * s->batch_tiles);
    const size_t own_v = s->small_k ? a2 * (size_t)(s->c_in * s->batch_tiles) : 0;
    return 2 * a2 * (size_t)s->batch_tiles + own_v;
}

/* Shared by the threads: a batch's V (a^2 x vb_stride) and M (a^2 x c_out x
 * nt); nothing with few input channels or in blocks. */
static size_t shared_floats(const struct winograd_state *s)
{
    const size_t a2 = (size_t)(s->form->alpha * s->form->alpha);
    return s->small_k || s->blocks ? 0
                                   : a2 * (size_t)vb_stride(s->c_in, s->batch_tiles) +
                                         a2 * (size_t)(s->c_out * s->batch_tiles);
}

/* Tiles per batch: V and M of a batch within half of L3 (they are shared by
 * the threads, and the GEMMs of a batch want as many tiles as they can get,
 * so the budget is as large as L3 allows, at least 4 MiB), a multiple of
 * the GEMM's NR, and no more than the image needs. */
static int64_t batch_tiles(const struct winograd_form *f, int64_t c_in, int64_t c_out,
                           int64_t tiles, int nr)
{
    const int64_t per_tile = (int64_t)f->alpha * f->alpha * (c_in + c_out) * 4;
    size_t budget = cpu_cache_size(3) / 2;
    if (budget < ((size_t)4 << 20))
        budget = (size_t)4 << 20;
    int64_t nt = (int64_t)budget / per_tile;
    nt = nt / nr * nr;
    if (nt < nr)
        nt = nr;
    const int64_t needed = (tiles + nr - 1) / nr * nr;
    return nt < needed ? nt : needed;
}

/* How many input planes ahead blocks_run prefetches a block's pieces. */
#define WINO_BLOCKS_PF 2

/* Whether a layer runs in per-thread tile blocks (see blocks_run): when its
 * transformed weights (per group) take at most an eighth of L3, since every
 * block reads all of them again, and there are tiles enough for a block per
 * thread. Past that share, a block's re-reading of U costs more than the
 * batches' V and M shared through L3. */
static bool use_blocks(const struct winograd_form *f, int64_t c_in, int64_t c_out,
                       int64_t tiles, int nr, int threads)
{
    size_t l3 = cpu_cache_size(3);
    if (!l3)
        l3 = (size_t)8 << 20;
    const size_t u_bytes = (size_t)(f->alpha * f->alpha * c_in * c_out) * sizeof(float);
    return c_in > WINO_SMALL_K && u_bytes <= l3 / 8 && tiles >= (int64_t)threads * nr;
}

static void winograd_destroy(void *state)
{
    struct winograd_state *s = state;
    if (!s)
        return;
    if (s->u) {
        const int64_t count = s->layer.groups * s->form->alpha * s->form->alpha;
        for (int64_t i = 0; i < count; i++)
            gemm_packed_a_free(&s->u[i]);
    }
    free(s->u);
    free(s->u_small);
    free(s->workspace);
    free(s);
}

/* What plan_form decides before it allocates: tiles, strategy (few input
 * channels, tile blocks or batches), batch size and workspace. memory_form
 * sizes its estimate from the same decisions. */
static void layout(struct winograd_state *s, const struct winograd_form *f,
                   const struct conv_layer *l, int threads)
{
    *s = (struct winograd_state){.layer = *l, .form = f, .isa = cpu_best_isa(),
                                 .threads = threads};
    s->c_in = l->c_in / l->groups;
    s->c_out = l->c_out / l->groups;
    s->tiles_h = (l->h_out + f->m - 1) / f->m;
    s->tiles_w = (l->w_out + f->m - 1) / f->m;
    s->tiles = s->tiles_h * s->tiles_w;
    s->kernel = gemm_kernel_for_m(s->c_out);
    /* few input channels: no GEMMs, so no packed U and no M */
    s->small_k = s->c_in <= WINO_SMALL_K;
    /* otherwise, when U is small: each thread takes blocks of tiles through
     * all three phases alone */
    s->blocks = !s->small_k && use_blocks(f, s->c_in, s->c_out, s->tiles, s->kernel->nr, threads);
    s->batch_tiles = s->small_k ? WINO_SMALL_K_TILES
                     : s->blocks ? s->kernel->nr
                                 : batch_tiles(f, s->c_in, s->c_out, s->tiles, s->kernel->nr);
    s->workspace_floats = shared_floats(s) + (size_t)threads * thread_floats(s);
}

static enum conv_status plan_form(const struct winograd_form *f, const struct conv_layer *l,
                                  const float *weights, const float *bias, int threads,
                                  void **state, const char **why)
{
    struct winograd_state *s = calloc(1, sizeof *s);
    float *u = NULL;
    if (!s)
        goto fail;
    const int a = f->alpha, a2 = a * a;
    layout(s, f, l, threads);
    s->bias = bias;
    const struct gemm_kernel *kernel = s->kernel;
    const bool small_k = s->small_k;

    /* U[g][xi] = (G g G^T)[xi] for every (co, ci) of group g, in double */
    s->u = calloc((size_t)(l->groups * a2), sizeof *s->u);
    u = malloc((size_t)(a2 * s->c_out * s->c_in) * sizeof *u);
    if (small_k)
        s->u_small = malloc((size_t)(l->groups * s->c_out * a2 * s->c_in) * sizeof *s->u_small);
    if (!s->u || !u || (small_k && !s->u_small))
        goto fail;
    for (int64_t g = 0; g < l->groups; g++) {
        for (int64_t co = 0; co < s->c_out; co++)
            for (int64_t ci = 0; ci < s->c_in; ci++) {
                const float *w = weights + ((g * s->c_out + co) * s->c_in + ci) * 9;
                double gg[MAX_ALPHA][3];
                for (int i = 0; i < a; i++)
                    for (int j = 0; j < 3; j++)
                        gg[i][j] = f->g[i][0] * w[j] + f->g[i][1] * w[3 + j] +
                                   f->g[i][2] * w[6 + j];
                for (int i = 0; i < a; i++)
                    for (int j = 0; j < a; j++)
                        u[((int64_t)(i * a + j) * s->c_out + co) * s->c_in + ci] =
                            (float)(gg[i][0] * f->g[j][0] + gg[i][1] * f->g[j][1] +
                                    gg[i][2] * f->g[j][2]);
            }
        if (s->blocks) {
            /* one K-block of all c_in: a kernel call per tile element */
            const struct gemm_blocking one = {.kc = s->c_in, .mc = s->c_out, .nc = kernel->nr};
            for (int xi = 0; xi < a2; xi++)
                if (gemm_pack_a_blocked(&s->u[g * a2 + xi], kernel, one, s->c_out, s->c_in,
                                        u + (int64_t)xi * s->c_out * s->c_in, s->c_in) != 0)
                    goto fail;
        } else if (!small_k) {
            for (int xi = 0; xi < a2; xi++)
                if (gemm_pack_a_for(&s->u[g * a2 + xi], kernel, s->c_out,
                                    s->tiles < s->batch_tiles ? s->tiles : s->batch_tiles,
                                    s->c_in, u + (int64_t)xi * s->c_out * s->c_in,
                                    s->c_in) != 0)
                    goto fail;
        } else {
            for (int64_t co = 0; co < s->c_out; co++)
                for (int xi = 0; xi < a2; xi++)
                    for (int64_t ci = 0; ci < s->c_in; ci++)
                        s->u_small[((g * s->c_out + co) * a2 + xi) * s->c_in + ci] =
                            u[((int64_t)xi * s->c_out + co) * s->c_in + ci];
        }
    }
    free(u);
    u = NULL;

    s->workspace = tensor_alloc(s->workspace_floats, sizeof(float));
    if (!s->workspace)
        goto fail;
    /* a last block's lanes past its tiles are transformed too: zeros at first */
    tensor_fill(s->workspace, s->workspace_floats, 0.0f);
    const char *isa = cpu_isa_name(s->isa);
    if (small_k)
        snprintf(s->description, sizeof s->description,
                 "F(%dx%d,3x3), no GEMMs (M in the output transform), %s transforms", f->m, f->m,
                 isa);
    else if (s->blocks)
        snprintf(s->description, sizeof s->description,
                 "F(%dx%d,3x3), %d products on sgemm %s per block of %lld tiles, %s transforms",
                 f->m, f->m, a2, kernel->name, (long long)s->batch_tiles, isa);
    else
        snprintf(s->description, sizeof s->description,
                 "F(%dx%d,3x3), %d GEMMs on sgemm %s, batches of %lld tiles, %s transforms",
                 f->m, f->m, a2, kernel->name, (long long)s->batch_tiles, isa);
    *state = s;
    return CONV_OK;
fail:
    free(u);
    winograd_destroy(s);
    *why = "out of memory";
    return CONV_ERROR;
}

#if defined(__x86_64__)
/* The first n of 16 lanes (none for n <= 0). */
__attribute__((target("avx512f"))) static inline __mmask16 first_lanes(int64_t n)
{
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

/* dst[u] = src[m u] for u from u to u_end (m = 2 or 4), 16 at a time: two or
 * four loads and the lanes picked by permutes. The loads are masked to the
 * floats the tiles read, so nothing past src[m (u_end - 1)] is touched;
 * the last vector is a partial one (image rows of 56 or 28 have 14 or 7
 * tiles of 4). */
__attribute__((target("avx512f"), always_inline)) static inline void
strided_copy_avx512(const float *src, float *dst, int64_t u, int64_t u_end, int m)
{
    if (m == 2) {
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6,
                                              4, 2, 0);
        for (; u < u_end; u += 16) {
            const int64_t count = u_end - u, need = 2 * (count < 16 ? count : 16) - 1;
            const float *p = src + 2 * u;
            const __m512 lo = _mm512_maskz_loadu_ps(first_lanes(need), p),
                         hi = _mm512_maskz_loadu_ps(first_lanes(need - 16), p + 16);
            _mm512_mask_storeu_ps(dst + u, first_lanes(count),
                                  _mm512_permutex2var_ps(lo, even, hi));
        }
        return;
    }
    /* every fourth of 32 lanes into lanes 0-7; two of those make 16 */
    const __m512i fourth = _mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 28, 24, 20, 16, 12, 8, 4, 0);
    for (; u < u_end; u += 16) {
        const int64_t count = u_end - u, need = 4 * (count < 16 ? count : 16) - 3;
        const float *p = src + 4 * u;
        const __m512 lo = _mm512_permutex2var_ps(
            _mm512_maskz_loadu_ps(first_lanes(need), p), fourth,
            _mm512_maskz_loadu_ps(first_lanes(need - 16), p + 16));
        const __m512 hi = _mm512_permutex2var_ps(
            _mm512_maskz_loadu_ps(first_lanes(need - 32), p + 32), fourth,
            _mm512_maskz_loadu_ps(first_lanes(need - 48), p + 48));
        _mm512_mask_storeu_ps(dst + u, first_lanes(count),
                              _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(1, 0, 1, 0)));
    }
}

/* dst[u] = 0 for u from u to u_end. */
__attribute__((target("avx512f"), always_inline)) static inline void
zero_avx512(float *dst, int64_t u, int64_t u_end)
{
    for (; u < u_end; u += 16)
        _mm512_mask_storeu_ps(dst + u, first_lanes(u_end - u), _mm512_setzero_ps());
}

/* Lanes lo .. hi of 16 (none where hi <= lo). */
__attribute__((target("avx512f"))) static inline __mmask16 lane_range(int64_t lo, int64_t hi)
{
    return (__mmask16)(first_lanes(hi) & ~first_lanes(lo));
}

/* gather_tiles and the F(4x4,3x3) input transform in one, on AVX-512: V for
 * tiles t0 .. t0 + n of one plane, written as input_transform writes it
 * (out + xi * out_stride + tile), 16 tiles at a time and never through a
 * buffer. Along a run of tiles on one tile row, lane u of a row's window
 * (c0 + 4 u + j, j < 6) is its tile's column j: each input row is loaded
 * once as five vectors, split into the four phases of 4 by two rounds of
 * permutes, and columns 4 and 5 are phases 0 and 1 a lane on. The row is
 * transformed at once (X B), then each column (B^T (X B)). A group of 16
 * that spans tile rows takes each run under its lanes' mask; lanes past n
 * are zero. */
__attribute__((target("avx512f"))) static void
gather_transform_4x3_avx512(const struct winograd_state *s, const float *plane, int64_t t0,
                            int64_t n, float *out, int64_t out_stride)
{
    const struct conv_layer *l = &s->layer;
    const int64_t W = l->w_in, H = l->h_in, tiles_w = s->tiles_w;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4,
                                          2, 0);
    const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5,
                                         3, 1);
    const __m512i next0 = _mm512_set_epi32(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                                           1);
    const __m512i next1 = _mm512_set_epi32(17, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
                                           1);
    for (int64_t x0 = 0; x0 < n; x0 += 16) {
        const int64_t lanes = n - x0 < 16 ? n - x0 : 16;
        __m512 r[6][6]; /* r[i][j] = (X B)[i][j] */
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                r[i][j] = _mm512_setzero_ps();
        for (int64_t k = 0, tile = t0 + x0; k < lanes;) {
            const int64_t th = tile / tiles_w, tw = tile % tiles_w;
            const int64_t run = lanes - k < tiles_w - tw ? lanes - k : tiles_w - tw;
            /* window element e is column c0 + e; lanes k .. k + run read
             * e from 4 k to 4 (k + run) + 1, those inside the image */
            const int64_t c0 = (tw - k) * 4 - l->pad_w;
            int64_t e_lo = 4 * k, e_hi = 4 * (k + run) + 2;
            if (e_lo < -c0)
                e_lo = -c0;
            if (e_hi > W - c0)
                e_hi = W - c0;
            __mmask16 load[5];
            for (int v = 0; v < 5; v++)
                load[v] = lane_range(e_lo - 16 * v, e_hi - 16 * v);
            const __mmask16 keep = lane_range(k, k + run);
            for (int i = 0; i < 6; i++) {
                const int64_t ih = th * 4 - l->pad_h + i;
                if (ih < 0 || ih >= H)
                    continue;
                const float *row = plane + ih * W + c0;
                __m512 v[5];
                for (int q = 0; q < 5; q++)
                    v[q] = _mm512_maskz_loadu_ps(load[q], row + 16 * q);
                const __m512 a0 = _mm512_permutex2var_ps(v[0], even, v[1]),
                             a1 = _mm512_permutex2var_ps(v[0], odd, v[1]),
                             a2 = _mm512_permutex2var_ps(v[2], even, v[3]),
                             a3 = _mm512_permutex2var_ps(v[2], odd, v[3]);
                __m512 p[6], t[6];
                p[0] = _mm512_permutex2var_ps(a0, even, a2);
                p[1] = _mm512_permutex2var_ps(a1, even, a3);
                p[2] = _mm512_permutex2var_ps(a0, odd, a2);
                p[3] = _mm512_permutex2var_ps(a1, odd, a3);
                p[4] = _mm512_permutex2var_ps(p[0], next0, v[4]);
                p[5] = _mm512_permutex2var_ps(p[1], next1, v[4]);
                bt_4x3_avx512(p, t);
                for (int j = 0; j < 6; j++)
                    r[i][j] = _mm512_mask_mov_ps(r[i][j], keep, t[j]);
            }
            k += run;
            tile += run;
        }
        for (int j = 0; j < 6; j++) {
            __m512 col[6], y[6];
            for (int i = 0; i < 6; i++)
                col[i] = r[i][j];
            bt_4x3_avx512(col, y);
            for (int i = 0; i < 6; i++)
                _mm512_storeu_ps(out + (i * 6 + j) * out_stride + x0, y[i]);
        }
    }
}

/* The F(4x4,3x3) output transform and scatter_tiles in one, on AVX-512: Y
 * = A^T M A (+ bias) for tiles t0 .. t0 + n of one output plane, M read as
 * output_transform reads it (mt + xi * mt_stride + tile), 16 tiles at a time
 * and never through a buffer. Each output row of a run of tiles is the four
 * columns of Y interleaved by two rounds of permutes, stored under a mask
 * that keeps the run's lanes and the image's columns (the inverse of
 * gather_transform_4x3_avx512's window). */
__attribute__((target("avx512f"))) static void
transform_scatter_4x3_avx512(const struct winograd_state *s, const float *mt,
                             int64_t mt_stride, int64_t t0, int64_t n, float bias, float *plane)
{
    const struct conv_layer *l = &s->layer;
    const int64_t Q = l->w_out, P = l->h_out, tiles_w = s->tiles_w;
    const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9,
                                        24, 8);
    const __m512 b = _mm512_set1_ps(bias);
    for (int64_t x0 = 0; x0 < n; x0 += 16) {
        const int64_t lanes = n - x0 < 16 ? n - x0 : 16;
        __m512 x[6][6], y[16];
        load_6x6_avx512(mt + x0, mt_stride, x);
        transform_4x3_avx512(x, false, y);
        for (int e = 0; e < 16; e++)
            y[e] = _mm512_add_ps(y[e], b);
        for (int64_t k = 0, tile = t0 + x0; k < lanes;) {
            const int64_t th = tile / tiles_w, tw = tile % tiles_w;
            const int64_t run = lanes - k < tiles_w - tw ? lanes - k : tiles_w - tw;
            /* window element e = 4 u + j is column c0 + e of lane u's tile */
            const int64_t c0 = (tw - k) * 4;
            const int64_t e_lo = 4 * k, e_hi = 4 * (k + run) < Q - c0 ? 4 * (k + run) : Q - c0;
            __mmask16 store[4];
            for (int q = 0; q < 4; q++)
                store[q] = lane_range(e_lo - 16 * q, e_hi - 16 * q);
            for (int i = 0; i < 4 && th * 4 + i < P; i++) {
                const __m512 *yi = y + 4 * i;
                /* (j = 0, 2) and (1, 3) pairs, then the pairs together */
                const __m512 b0 = _mm512_permutex2var_ps(yi[0], lo, yi[2]),
                             b1 = _mm512_permutex2var_ps(yi[0], hi, yi[2]),
                             b2 = _mm512_permutex2var_ps(yi[1], lo, yi[3]),
                             b3 = _mm512_permutex2var_ps(yi[1], hi, yi[3]);
                float *row = plane + (th * 4 + i) * Q + c0;
                _mm512_mask_storeu_ps(row, store[0], _mm512_permutex2var_ps(b0, lo, b2));
                _mm512_mask_storeu_ps(row + 16, store[1], _mm512_permutex2var_ps(b0, hi, b2));
                _mm512_mask_storeu_ps(row + 32, store[2], _mm512_permutex2var_ps(b1, lo, b3));
                _mm512_mask_storeu_ps(row + 48, store[3], _mm512_permutex2var_ps(b1, hi, b3));
            }
            k += run;
            tile += run;
        }
    }
}

/* gather_tiles' work on one run of tiles (along tile row th, from column
 * tile tw0) on AVX-512: the columns inside the image are found once per
 * kernel column j, not once per element of the tile. */
__attribute__((target("avx512f"))) static void
gather_run_avx512(const struct conv_layer *l, const float *plane, int a, int m, int64_t th,
                  int64_t tw0, int64_t run, float *d, int64_t nt)
{
    const int64_t W = l->w_in;
    int64_t lo[MAX_ALPHA], hi[MAX_ALPHA];
    for (int j = 0; j < a; j++)
        layer_inside_range(tw0 * m + j - l->pad_w, m, W, run, &lo[j], &hi[j]);
    for (int i = 0; i < a; i++) {
        const int64_t ih = th * m - l->pad_h + i;
        const bool inside = ih >= 0 && ih < l->h_in;
        for (int j = 0; j < a; j++) {
            float *dst = d + (i * a + j) * nt;
            if (!inside) {
                zero_avx512(dst, 0, run);
                continue;
            }
            zero_avx512(dst, 0, lo[j]);
            strided_copy_avx512(plane + ih * W + tw0 * m + j - l->pad_w, dst, lo[j], hi[j], m);
            zero_avx512(dst, hi[j] > lo[j] ? hi[j] : lo[j], run);
        }
    }
}

/* The inverse for one output row: dst[m u + j] = y[j * y_stride + u] for
 * j < m (2 or 4) and u < u_end, 16 tiles (16 m floats) at a time, the last
 * vector partial, by interleaving the m rows of y in registers. */
__attribute__((target("avx512f"))) static void
interleave_avx512(const float *y, int64_t y_stride, float *dst, int64_t u_end, int m)
{
    if (m == 2) {
        for (int64_t u = 0; u < u_end; u += 16) {
            const __mmask16 in = first_lanes(u_end - u);
            const __m512 y0 = _mm512_maskz_loadu_ps(in, y + u),
                         y1 = _mm512_maskz_loadu_ps(in, y + y_stride + u);
            /* 128-bit lane L: tiles 4L, 4L + 1 (lo) and 4L + 2, 4L + 3 (hi) */
            const __m512 lo = _mm512_unpacklo_ps(y0, y1), hi = _mm512_unpackhi_ps(y0, y1);
            const __m512 s0 = _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(1, 0, 1, 0));
            const __m512 s1 = _mm512_shuffle_f32x4(lo, hi, _MM_SHUFFLE(3, 2, 3, 2));
            const int64_t floats = 2 * (u_end - u);
            float *p = dst + 2 * u;
            _mm512_mask_storeu_ps(p, first_lanes(floats),
                                  _mm512_shuffle_f32x4(s0, s0, _MM_SHUFFLE(3, 1, 2, 0)));
            _mm512_mask_storeu_ps(p + 16, first_lanes(floats - 16),
                                  _mm512_shuffle_f32x4(s1, s1, _MM_SHUFFLE(3, 1, 2, 0)));
        }
        return;
    }
    for (int64_t u = 0; u < u_end; u += 16) {
        const __mmask16 in = first_lanes(u_end - u);
        const __m512 y0 = _mm512_maskz_loadu_ps(in, y + u),
                     y1 = _mm512_maskz_loadu_ps(in, y + y_stride + u),
                     y2 = _mm512_maskz_loadu_ps(in, y + 2 * y_stride + u),
                     y3 = _mm512_maskz_loadu_ps(in, y + 3 * y_stride + u);
        const __m512 t0 = _mm512_unpacklo_ps(y0, y1), t1 = _mm512_unpackhi_ps(y0, y1),
                     t2 = _mm512_unpacklo_ps(y2, y3), t3 = _mm512_unpackhi_ps(y2, y3);
        /* r_k, 128-bit lane L: the 4 values of tile 4L + k */
        const __m512 r0 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0),
                                                              _mm512_castps_pd(t2)));
        const __m512 r1 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0),
                                                              _mm512_castps_pd(t2)));
        const __m512 r2 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1),
                                                              _mm512_castps_pd(t3)));
        const __m512 r3 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1),
                                                              _mm512_castps_pd(t3)));
        /* a 4 x 4 transpose of 128-bit lanes: vector q holds tiles 4q .. 4q + 3 */
        const __m512 s0 = _mm512_shuffle_f32x4(r0, r1, _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 s1 = _mm512_shuffle_f32x4(r0, r1, _MM_SHUFFLE(3, 2, 3, 2));
        const __m512 s2 = _mm512_shuffle_f32x4(r2, r3, _MM_SHUFFLE(1, 0, 1, 0));
        const __m512 s3 = _mm512_shuffle_f32x4(r2, r3, _MM_SHUFFLE(3, 2, 3, 2));
        const int64_t floats = 4 * (u_end - u);
        float *p = dst + 4 * u;
        _mm512_mask_storeu_ps(p, first_lanes(floats),
                              _mm512_shuffle_f32x4(s0, s2, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm512_mask_storeu_ps(p + 16, first_lanes(floats - 16),
                              _mm512_shuffle_f32x4(s0, s2, _MM_SHUFFLE(3, 1, 3, 1)));
        _mm512_mask_storeu_ps(p + 32, first_lanes(floats - 32),
                              _mm512_shuffle_f32x4(s1, s3, _MM_SHUFFLE(2, 0, 2, 0)));
        _mm512_mask_storeu_ps(p + 48, first_lanes(floats - 48),
                              _mm512_shuffle_f32x4(s1, s3, _MM_SHUFFLE(3, 1, 3, 1)));
    }
}
#endif

#if defined(__x86_64__)
/* dst[u] = src[m u] (m = 2 or 4) from u on, 8 at a time, for as long as
 * the loads stay within the floats the tiles read (up to src[m (u_end -
 * 1)]); returns where it stopped, for the caller to finish. */
__attribute__((target("avx2"))) static int64_t
strided_copy_avx2(const float *src, float *dst, int64_t u, int64_t u_end, int m)
{
    /* 8 tiles load 8 m floats, m - 1 past the last one read: stop a tile early */
    for (; u + 9 <= u_end; u += 8) {
        const float *p = src + m * u;
        /* 0x88 keeps lanes 0 and 2 of each source per 128-bit lane */
        if (m == 2) {
            const __m256 even = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0x88);
            _mm256_storeu_ps(dst + u, _mm256_castpd_ps(_mm256_permute4x64_pd(
                                          _mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0))));
            continue;
        }
        const __m256 e01 = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), 0x88);
        const __m256 e23 = _mm256_shuffle_ps(_mm256_loadu_ps(p + 16), _mm256_loadu_ps(p + 24), 0x88);
        /* floats 0 8 16 24 | 4 12 20 28 */
        const __m256 fourth = _mm256_shuffle_ps(e01, e23, 0x88);
        _mm256_storeu_ps(dst + u, _mm256_permutevar8x32_ps(
                                      fourth, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    }
    return u;
}
#endif

#if defined(__x86_64__)
/* interleave_avx512's work on AVX2 for whole groups of 8 tiles (u_end a
 * multiple of 8; the caller writes the rest). Without it each output
 * element is a store of its own, m floats from the last: VGG-16 conv1_1
 * under F(4x4,3x3) spent two thirds of a run there. */
__attribute__((target("avx2"))) static void
interleave_avx2(const float *y, int64_t y_stride, float *dst, int64_t u_end, int m)
{
    for (int64_t u = 0; u < u_end; u += 8) {
        float *p = dst + m * u;
        /* y_j holds value j of tiles u .. u + 7 */
        const __m256 y0 = _mm256_loadu_ps(y + u), y1 = _mm256_loadu_ps(y + y_stride + u);
        /* 128-bit lanes: tiles 0, 1 | 4, 5 (t0) and 2, 3 | 6, 7 (t1), m = 2 */
        const __m256 t0 = _mm256_unpacklo_ps(y0, y1), t1 = _mm256_unpackhi_ps(y0, y1);
        if (m == 2) {
            _mm256_storeu_ps(p, _mm256_permute2f128_ps(t0, t1, 0x20));
            _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(t0, t1, 0x31));
            continue;
        }
        const __m256 y2 = _mm256_loadu_ps(y + 2 * y_stride + u),
                     y3 = _mm256_loadu_ps(y + 3 * y_stride + u);
        const __m256 t2 = _mm256_unpacklo_ps(y2, y3), t3 = _mm256_unpackhi_ps(y2, y3);
        /* r_k, 128-bit lane L: the 4 values of tile 4L + k */
        const __m256 r0 = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(t0),
                                                              _mm256_castps_pd(t2)));
        const __m256 r1 = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(t0),
                                                              _mm256_castps_pd(t2)));
        const __m256 r2 = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(t1),
                                                              _mm256_castps_pd(t3)));
        const __m256 r3 = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(t1),
                                                              _mm256_castps_pd(t3)));
        _mm256_storeu_ps(p, _mm256_permute2f128_ps(r0, r1, 0x20));
        _mm256_storeu_ps(p + 8, _mm256_permute2f128_ps(r2, r3, 0x20));
        _mm256_storeu_ps(p + 16, _mm256_permute2f128_ps(r0, r1, 0x31));
        _mm256_storeu_ps(p + 24, _mm256_permute2f128_ps(r2, r3, 0x31));
    }
}
#endif

/* Input tiles t0 .. t0 + n of one channel plane, gathered alpha x alpha x n
 * (tile innermost), zero outside the image: a run of tiles along one tile
 * row at a time, with the image edges found once per run, not per element
 * (on AVX-512 by gather_run_avx512, 16 tiles at a time; on AVX2 8 at a
 * time by strided_copy_avx2). */
static void gather_tiles(const struct winograd_state *s, const float *plane, int64_t t0,
                         int64_t n, float *d, int64_t nt)
{
    const struct conv_layer *l = &s->layer;
    const int a = s->form->alpha, m = s->form->m;
    const int64_t W = l->w_in;
#if defined(__x86_64__)
    const bool simd = s->isa == CPU_ISA_AVX512, avx2 = s->isa == CPU_ISA_AVX2_FMA;
#endif
    for (int64_t x = 0, tile = t0; x < n;) {
        const int64_t th = tile / s->tiles_w, tw0 = tile % s->tiles_w;
        const int64_t run = n - x < s->tiles_w - tw0 ? n - x : s->tiles_w - tw0;
#if defined(__x86_64__)
        if (simd) {
            gather_run_avx512(l, plane, a, m, th, tw0, run, d + x, nt);
            x += run;
            tile += run;
            continue;
        }
#endif
        /* tile tw0 + u reads column (tw0 + u) * m + j - pad_w: the tiles
         * that read inside the image, per kernel column */
        int64_t lo[MAX_ALPHA], hi[MAX_ALPHA];
        for (int j = 0; j < a; j++)
            layer_inside_range(tw0 * m + j - l->pad_w, m, W, run, &lo[j], &hi[j]);
        for (int i = 0; i < a; i++) {
            const int64_t ih = th * m - l->pad_h + i;
            const bool inside = ih >= 0 && ih < l->h_in;
            for (int j = 0; j < a; j++) {
                float *dst = d + (i * a + j) * nt + x;
                const int64_t u_lo = inside ? lo[j] : 0, u_hi = inside ? hi[j] : 0;
                int64_t u = 0;
                for (; u < u_lo; u++)
                    dst[u] = 0.0f;
                const float *src = plane + ih * W + tw0 * m + j - l->pad_w;
#if defined(__x86_64__)
                if (avx2)
                    u = strided_copy_avx2(src, dst, u, u_hi, m);
#endif
                for (; u < u_hi; u++)
                    dst[u] = src[u * m];
                for (; u < run; u++)
                    dst[u] = 0.0f;
            }
        }
        x += run;
        tile += run;
    }
}

/* Output tiles t0 .. t0 + n of one channel plane from y (m x m elements,
 * each a row of tiles nt apart), clipped at the bottom and right edges, a
 * run along a tile row at a time. */
static void scatter_tiles(const struct winograd_state *s, const float *y, int64_t nt, int64_t t0,
                          int64_t n, float *plane)
{
    const struct conv_layer *l = &s->layer;
    const int m = s->form->m;
    const int64_t Q = l->w_out;
#if defined(__x86_64__)
    const bool simd = s->isa == CPU_ISA_AVX512, avx2 = s->isa == CPU_ISA_AVX2_FMA;
#endif
    for (int64_t x = 0, tile = t0; x < n;) {
        const int64_t th = tile / s->tiles_w, tw0 = tile % s->tiles_w;
        const int64_t run = n - x < s->tiles_w - tw0 ? n - x : s->tiles_w - tw0;
        for (int i = 0; i < m && th * m + i < l->h_out; i++) {
            float *row = plane + (th * m + i) * Q + tw0 * m;
            int64_t u0 = 0;
#if defined(__x86_64__)
            /* tiles whose m columns are all inside the row, 16 (AVX-512)
             * or whole groups of 8 (AVX2) at a time */
            const int64_t fit = (Q - tw0 * m) / m, inside = fit < run ? fit : run;
            if (simd) {
                u0 = inside;
                interleave_avx512(y + i * m * nt + x, nt, row, u0, m);
            } else if (avx2) {
                u0 = inside / 8 * 8;
                interleave_avx2(y + i * m * nt + x, nt, row, u0, m);
            }
#endif
            for (int j = 0; j < m; j++) {
                const float *src = y + (i * m + j) * nt + x;
                /* tile tw0 + u writes column (tw0 + u) * m + j when inside */
                int64_t u_hi = (Q - tw0 * m - j + m - 1) / m;
                if (u_hi > run)
                    u_hi = run;
                for (int64_t u = u0; u < u_hi; u++)
                    row[u * m + j] = src[u];
            }
        }
        x += run;
        tile += run;
    }
}

#if defined(__x86_64__)
/* small_k_m and the F(4x4,3x3) output transform in one, on AVX-512: each
 * element of M is formed from V where the transform loads it, so M is
 * never stored; y as output_transform writes it, for all
 * WINO_SMALL_K_TILES tiles of the block. */
__attribute__((target("avx512f"), always_inline)) static inline void
small_k_output_4x3_c(const float *restrict u_co, const float *restrict V, const int c_in,
                     float *restrict y_out, float bias)
{
    enum { BLOCK = WINO_SMALL_K_TILES };
    const __m512 b = _mm512_set1_ps(bias);
    for (int x0 = 0; x0 < BLOCK; x0 += 16) {
        __m512 x[6][6], y[16];
        for (int xi = 0; xi < 36; xi++) {
            const float *v = V + xi * c_in * BLOCK + x0;
            __m512 acc = _mm512_mul_ps(_mm512_set1_ps(u_co[xi * c_in]), _mm512_loadu_ps(v));
            for (int ci = 1; ci < c_in; ci++)
                acc = _mm512_fmadd_ps(_mm512_set1_ps(u_co[xi * c_in + ci]),
                                      _mm512_loadu_ps(v + ci * BLOCK), acc);
            x[xi / 6][xi % 6] = acc;
        }
        transform_4x3_avx512(x, false, y);
        for (int e = 0; e < 16; e++)
            _mm512_storeu_ps(y_out + e * BLOCK + x0, _mm512_add_ps(y[e], b));
    }
}

__attribute__((target("avx512f"))) static void
small_k_output_4x3_avx512(const float *restrict u_co, const float *restrict V, int64_t c_in,
                          float *restrict y, float bias)
{
    switch (c_in) {
    case 1: small_k_output_4x3_c(u_co, V, 1, y, bias); break;
    case 2: small_k_output_4x3_c(u_co, V, 2, y, bias); break;
    case 3: small_k_output_4x3_c(u_co, V, 3, y, bias); break;
    default: small_k_output_4x3_c(u_co, V, WINO_SMALL_K, y, bias); break;
    }
}
#endif

/* With at most WINO_SMALL_K input channels the a^2 GEMMs are a few FMAs per
 * element of M, less than writing M out and reading it back. So a thread
 * takes a block of WINO_SMALL_K_TILES tiles (t0 .. t0 + n) through all three
 * phases alone: the block's input tiles are gathered into d and transformed
 * into V (a^2 x c_in x block, tiles past n zero), then channel by channel M
 * goes through mt (a^2 x block) and y (m^2 x block) to the output;
 * everything stays in L1. d doubles as mt. On
 * AVX-512, F(4x4,3x3) forms M inside its output transform and skips mt. */
static void small_k_block(const struct winograd_state *s, const float *in, int64_t n_image,
                          int64_t g, int64_t t0, int64_t n, float *V, float *d, float *y,
                          float *out)
{
    enum { BLOCK = WINO_SMALL_K_TILES };
    const struct conv_layer *l = &s->layer;
    const struct winograd_form *f = s->form;
    const int a2 = f->alpha * f->alpha;
    for (int64_t ci = 0; ci < s->c_in; ci++) {
        const float *plane = in + ((n_image * l->c_in) + g * s->c_in + ci) * l->h_in * l->w_in;
        gather_tiles(s, plane, t0, n, d, BLOCK);
        input_transform(s->isa, f->alpha, d, V + ci * BLOCK, s->c_in * BLOCK, n, BLOCK);
        /* M is formed on whole blocks: tiles past n are zeros */
        if (n < BLOCK)
            for (int xi = 0; xi < a2; xi++)
                memset(V + ((int64_t)xi * s->c_in + ci) * BLOCK + n, 0,
                       (size_t)(BLOCK - n) * sizeof *V);
    }
    float *mt = d;
#if defined(__x86_64__)
    const bool fused = f->m == 4 && s->isa == CPU_ISA_AVX512;
#endif
    for (int64_t co = 0; co < s->c_out; co++) {
        const int64_t channel = g * s->c_out + co;
        const float *u_co = s->u_small + (g * s->c_out + co) * a2 * s->c_in;
        const float bias = s->bias ? s->bias[channel] : 0.0f;
#if defined(__x86_64__)
        if (fused)
            small_k_output_4x3_avx512(u_co, V, s->c_in, y, bias);
        else
#endif
        {
            small_k_m(s->isa, u_co, V, s->c_in, a2, mt);
            output_transform(s->isa, f->m, mt, BLOCK, y, n, BLOCK, bias);
        }
        scatter_tiles(s, y, BLOCK, t0, n,
                      out + (n_image * l->c_out + channel) * l->h_out * l->w_out);
    }
}

/* One block of T = NR tiles (t0 .. t0 + n) through all three phases, by one
 * thread: V (a^2 B panels of c_in x T, vb_stride apart) is written by the
 * input transform straight in the layout the micro-kernel reads, so B is
 * never packed; then, MR output channels at a time, the a^2 products of U's
 * A panels with V fill M (a^2 x MR x T, in L1) and the output transform
 * takes it from there. V stays in L2, and M never leaves L1. */
static void blocks_run(const struct winograd_state *s, const float *in, float *out,
                       int64_t n_image, int64_t g, int64_t t0, int64_t n, float *d, float *y,
                       float *vb, float *mb)
{
    const struct conv_layer *l = &s->layer;
    const struct winograd_form *f = s->form;
    const int a2 = f->alpha * f->alpha;
    const struct gemm_kernel *kernel = s->u[g * a2].kernel;
    const int mr = kernel->mr;
    const int64_t T = s->batch_tiles, vs = vb_stride(s->c_in, T);
    /* The block reads a few short pieces of every input plane, too short
     * for the hardware prefetchers to follow: they are prefetched
     * WINO_BLOCKS_PF planes ahead. Within one tile row the block reads a
     * rows of m n + a - m columns; across tile rows, whole rows. */
    const int64_t W = l->w_in, plane_size = l->h_in * W;
    int64_t span_at[MAX_ALPHA], span_len[MAX_ALPHA], spans = 0;
    {
        const int64_t th0 = t0 / s->tiles_w, th1 = (t0 + n - 1) / s->tiles_w;
        const int64_t r0 = th0 * f->m - l->pad_h, r1 = th1 * f->m - l->pad_h + f->alpha;
        const int64_t lo = r0 < 0 ? 0 : r0, hi = r1 > l->h_in ? l->h_in : r1;
        if (th0 == th1) {
            const int64_t tw0 = t0 % s->tiles_w;
            int64_t c0 = tw0 * f->m - l->pad_w, c1 = (tw0 + n) * f->m - l->pad_w + f->alpha - f->m;
            c0 = c0 < 0 ? 0 : c0;
            c1 = c1 > W ? W : c1;
            for (int64_t r = lo; r < hi && c1 > c0; r++) {
                span_at[spans] = r * W + c0;
                span_len[spans++] = c1 - c0;
            }
        } else if (hi > lo) {
            span_at[0] = lo * W;
            span_len[spans++] = (hi - lo) * W;
        }
    }
    const float *planes = in + (n_image * l->c_in + g * s->c_in) * plane_size;
    for (int64_t ci = 0; ci < s->c_in; ci++) {
        const float *plane = planes + ci * plane_size;
        if (ci + WINO_BLOCKS_PF < s->c_in)
            for (int64_t k = 0; k < spans; k++)
                for (int64_t e = 0; e < span_len[k] + 15; e += 16)
                    __builtin_prefetch(plane + WINO_BLOCKS_PF * plane_size + span_at[k] +
                                       (e < span_len[k] ? e : span_len[k] - 1));
#if defined(__x86_64__)
        if (f->m == 4 && s->isa == CPU_ISA_AVX512) {
            gather_transform_4x3_avx512(s, plane, t0, n, vb + ci * T, vs);
            continue;
        }
#endif
        gather_tiles(s, plane, t0, n, d, T);
        input_transform(s->isa, f->alpha, d, vb + ci * T, vs, n, T);
    }
    for (int64_t co0 = 0; co0 < s->c_out; co0 += mr) {
        const int rows = s->c_out - co0 < mr ? (int)(s->c_out - co0) : mr;
        for (int xi = 0; xi < a2; xi++)
            kernel->ukernel(s->c_in, s->u[g * a2 + xi].data + co0 * s->c_in, vb + xi * vs,
                            mb + (int64_t)xi * mr * T, T, rows, (int)n, GEMM_STORE, NULL);
        for (int r = 0; r < rows; r++) {
            const int64_t channel = g * s->c_out + co0 + r;
#if defined(__x86_64__)
            if (f->m == 4 && s->isa == CPU_ISA_AVX512) {
                transform_scatter_4x3_avx512(
                    s, mb + r * T, mr * T, t0, n, s->bias ? s->bias[channel] : 0.0f,
                    out + (n_image * l->c_out + channel) * l->h_out * l->w_out);
                continue;
            }
#endif
            output_transform(s->isa, f->m, mb + r * T, mr * T, y, n, T,
                             s->bias ? s->bias[channel] : 0.0f);
            scatter_tiles(s, y, T, t0, n,
                          out + (n_image * l->c_out + channel) * l->h_out * l->w_out);
        }
    }
}

static enum conv_status winograd_run(void *state, const float *in, float *out)
{
    const struct winograd_state *s = state;
    const struct conv_layer *l = &s->layer;
    const struct winograd_form *f = s->form;
    const int a2 = f->alpha * f->alpha;
    const int64_t nt = s->batch_tiles;
    /* shared (none with few input channels): V, then M */
    const int64_t vs = vb_stride(s->c_in, nt), nr = s->u_small ? 0 : s->u[0].kernel->nr;
    float *V = s->workspace;
    float *M = s->u_small ? NULL : V + (size_t)(a2 * vs);
    float *scratch = s->workspace + shared_floats(s);

    #pragma omp parallel num_threads(s->threads)
    {
        float *mine = scratch + (size_t)omp_get_thread_num() * thread_floats(s);
        float *d = mine, *y = mine + a2 * nt;
        if (s->blocks) {
            float *vb = mine + 2 * a2 * nt, *mb = vb + a2 * vs;
            const int64_t per_plane = (s->tiles + nt - 1) / nt;
            const int64_t count = l->batch * l->groups * per_plane;
            #pragma omp for schedule(dynamic)
            for (int64_t b = 0; b < count; b++) {
                const int64_t n_image = b / (l->groups * per_plane),
                              g = b / per_plane % l->groups, t0 = b % per_plane * nt;
                blocks_run(s, in, out, n_image, g, t0, s->tiles - t0 < nt ? s->tiles - t0 : nt,
                           d, y, vb, mb);
            }
        } else {
            for (int64_t n = 0; n < l->batch; n++)
                for (int64_t g = 0; g < l->groups; g++) {
                    if (s->u_small) {
                        float *own_v = mine + 2 * a2 * nt;
                        #pragma omp for schedule(static)
                        for (int64_t t0 = 0; t0 < s->tiles; t0 += nt)
                            small_k_block(s, in, n, g, t0, s->tiles - t0 < nt ? s->tiles - t0 : nt,
                                          own_v, d, y, out);
                        continue;
                    }
                    for (int64_t t0 = 0; t0 < s->tiles; t0 += nt) {
                        const int64_t count = s->tiles - t0 < nt ? s->tiles - t0 : nt;
                        /* V = B^T d B, per input channel, a B panel of tiles
                         * at a time */
                        #pragma omp for schedule(static)
                        for (int64_t ci = 0; ci < s->c_in; ci++) {
                            const float *plane =
                                in + ((n * l->c_in) + g * s->c_in + ci) * l->h_in * l->w_in;
                            for (int64_t j0 = 0; j0 < count; j0 += nr) {
                                const int64_t cols = count - j0 < nr ? count - j0 : nr;
                                float *v = V + j0 * s->c_in + ci * nr;
#if defined(__x86_64__)
                                if (f->m == 4 && s->isa == CPU_ISA_AVX512) {
                                    gather_transform_4x3_avx512(s, plane, t0 + j0, cols, v, vs);
                                    continue;
                                }
#endif
                                gather_tiles(s, plane, t0 + j0, cols, d, nr);
                                input_transform(s->isa, f->alpha, d, v, vs, cols, nr);
                            }
                        }
                        /* M[xi] = U[xi] V[xi]: one GEMM per tile element */
                        #pragma omp for schedule(dynamic)
                        for (int xi = 0; xi < a2; xi++)
                            gemm_compute_panels(&s->u[g * a2 + xi], V + (size_t)xi * vs, count,
                                                M + (size_t)xi * s->c_out * nt, nt);
                        /* Y = A^T M A (+ bias), per output channel */
                        #pragma omp for schedule(static)
                        for (int64_t co = 0; co < s->c_out; co++) {
                            const int64_t channel = g * s->c_out + co;
#if defined(__x86_64__)
                            if (f->m == 4 && s->isa == CPU_ISA_AVX512) {
                                transform_scatter_4x3_avx512(
                                    s, M + co * nt, s->c_out * nt, t0, count,
                                    s->bias ? s->bias[channel] : 0.0f,
                                    out + (n * l->c_out + channel) * l->h_out * l->w_out);
                                continue;
                            }
#endif
                            output_transform(s->isa, f->m, M + co * nt, s->c_out * nt, y, count, nt,
                                             s->bias ? s->bias[channel] : 0.0f);
                            scatter_tiles(s, y, nt, t0, count,
                                          out + (n * l->c_out + channel) * l->h_out * l->w_out);
                        }
                    }
                }
        }
    }
    return CONV_OK;
}

static const char *winograd_describe(void *state)
{
    return ((const struct winograd_state *)state)->description;
}

/* What plan_form holds at most, from the same layout: the state and U
 * (packed, or unpacked with few input channels), with either the unpacked
 * copy U is made from (freed once packed) or the workspace (allocated
 * after). */
static size_t memory_form(const struct winograd_form *f, const struct conv_layer *l,
                          int threads)
{
    struct winograd_state s;
    layout(&s, f, l, threads);
    const size_t a2 = (size_t)(f->alpha * f->alpha), groups = (size_t)l->groups;
    const size_t u_floats = a2 * (size_t)(s.c_out * s.c_in);
    const size_t u = s.small_k ? tensor_held_bytes(groups * u_floats * sizeof(float))
                               : groups * a2 *
                                     tensor_held_bytes(gemm_packed_a_bytes(s.kernel, s.c_out,
                                                                           s.c_in));
    const size_t copy = tensor_held_bytes(u_floats * sizeof(float)),
                 workspace = tensor_held_bytes(s.workspace_floats * sizeof(float));
    return tensor_held_bytes(sizeof s) +
           tensor_held_bytes(groups * a2 * sizeof(struct gemm_packed_a)) + u +
           (copy > workspace ? copy : workspace);
}

static enum conv_status plan_2x3(const struct conv_layer *l, const float *w, const float *b,
                                 int threads, void **state, const char **why)
{
    forms_init();
    return plan_form(&form_2x3, l, w, b, threads, state, why);
}

static enum conv_status plan_4x3(const struct conv_layer *l, const float *w, const float *b,
                                 int threads, void **state, const char **why)
{
    forms_init();
    return plan_form(&form_4x3, l, w, b, threads, state, why);
}

static size_t memory_2x3(const struct conv_layer *l, int threads)
{
    forms_init();
    return memory_form(&form_2x3, l, threads);
}

static size_t memory_4x3(const struct conv_layer *l, int threads)
{
    forms_init();
    return memory_form(&form_4x3, l, threads);
}

const struct conv_variant variant_winograd_2x3 = {
    .name = "winograd-2x3",
    .summary = "Winograd F(2x2,3x3) on convbench's GEMM (16 GEMMs, 2.25x fewer multiplications); "
               "3x3, stride 1, dilation 1",
    .tolerance = 8.0,
    .supports = winograd_supports,
    .plan = plan_2x3,
    .run = winograd_run,
    .destroy = winograd_destroy,
    .describe = winograd_describe,
    .memory = memory_2x3,
};

const struct conv_variant variant_winograd_4x3 = {
    .name = "winograd-4x3",
    .summary = "Winograd F(4x4,3x3) on convbench's GEMM (36 GEMMs, 4x fewer multiplications); "
               "3x3, stride 1, dilation 1",
    .tolerance = 48.0,
    .supports = winograd_supports,
    .plan = plan_4x3,
    .run = winograd_run,
    .destroy = winograd_destroy,
    .describe = winograd_describe,
    .memory = memory_4x3,
};
