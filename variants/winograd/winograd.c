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
 * formed per output channel and transformed at once, all in L1. The three
 * strategies are functions the plan chooses (batches_run, blocks_run,
 * small_k_run).
 *
 * The transforms run across the tiles of a batch (tiles are the innermost,
 * contiguous index), which the compiler vectorizes; they are compiled for
 * AVX-512, AVX2 and plain C (transforms__*.c), and F(4x4,3x3)'s have
 * AVX-512 versions with B^T and A^T factored, which also read the input
 * rows and write the output rows themselves, 16 tiles at a time, with no
 * tile buffer in between (f4x3__avx512.c). Otherwise input tiles are
 * gathered and output tiles scattered 16 at a time on AVX-512, 8 on AVX2
 * (tiles__*.c). The plan picks one ISA's kernels into a table
 * (winograd_kernels_for). */
#include <omp.h>

#include "phases.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"
#include "winograd.h"

static const float g_2x3[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
static const double g_4x3[6][3] = {
    {1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1},
};

/* ---- tiles in and out, and the kernel tables --------------------------- */

/* Input tiles t0 .. t0 + n of one channel plane, gathered alpha x alpha x n
 * (tile innermost), zero outside the image: a run of tiles along one tile
 * row at a time, with the image edges found once per run, not per element. */
static void gather_tiles(const struct winograd_state *s, const float *plane, int64_t t0,
                         int64_t n, float *d, int64_t nt)
{
    for (int64_t x = 0, tile = t0; x < n;) {
        const int64_t th = tile / s->tiles_w, tw0 = tile % s->tiles_w;
        const int64_t run = n - x < s->tiles_w - tw0 ? n - x : s->tiles_w - tw0;
        s->k->gather_run(&s->layer, plane, s->form->alpha, s->form->m, th, tw0, run, d + x, nt);
        x += run;
        tile += run;
    }
}

/* Output tiles t0 .. t0 + n of one channel plane from y (m x m elements,
 * each a row of tiles nt apart), clipped at the bottom and right edges, a
 * run along a tile row at a time; the ISA's interleave writes the tiles
 * whose m columns are all inside the row where it has whole vectors. */
static void scatter_tiles(const struct winograd_state *s, const float *y, int64_t nt, int64_t t0,
                          int64_t n, float *plane)
{
    const struct conv_layer *l = &s->layer;
    const int m = s->form->m;
    const int64_t Q = l->w_out;
    for (int64_t x = 0, tile = t0; x < n;) {
        const int64_t th = tile / s->tiles_w, tw0 = tile % s->tiles_w;
        const int64_t run = n - x < s->tiles_w - tw0 ? n - x : s->tiles_w - tw0;
        const int64_t fit = (Q - tw0 * m) / m, inside = fit < run ? fit : run;
        for (int i = 0; i < m && th * m + i < l->h_out; i++) {
            float *row = plane + (th * m + i) * Q + tw0 * m;
            const int64_t u0 = s->k->interleave(y + i * m * nt + x, nt, row, inside, m);
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

/* The unfused kernels: a gather, then the transform; the transform, then a
 * scatter; small_k's M, then the output transform. */
static void gather_then_transform(const struct winograd_state *s, const float *plane,
                                  int64_t t0, int64_t n, float *v, int64_t v_stride, float *d,
                                  int64_t nt)
{
    gather_tiles(s, plane, t0, n, d, nt);
    s->k->input_transform(s->form->alpha, d, v, v_stride, n, nt);
}

static void transform_then_scatter(const struct winograd_state *s, const float *mt,
                                   int64_t mt_stride, int64_t t0, int64_t n, float bias,
                                   float *plane, float *y, int64_t nt)
{
    s->k->output_transform(s->form->m, mt, mt_stride, y, n, nt, bias);
    scatter_tiles(s, y, nt, t0, n, plane);
}

static void small_k_then_transform(const struct winograd_state *s, const float *u_co,
                                   const float *V, float *mt, float *y, int64_t n, float bias)
{
    enum { BLOCK = WINO_SMALL_K_TILES };
    s->k->small_k_m(u_co, V, s->c_in, s->form->alpha * s->form->alpha, mt);
    s->k->output_transform(s->form->m, mt, BLOCK, y, n, BLOCK, bias);
}

#define UNFUSED(isa)                                                                           \
    .gather_transform = gather_then_transform, .transform_scatter = transform_then_scatter,     \
    .small_k_output = small_k_then_transform,                                                   \
    .input_transform = winograd_input_transform__##isa,                                        \
    .output_transform = winograd_output_transform__##isa,                                      \
    .small_k_m = winograd_small_k_m__##isa, .gather_run = winograd_gather_run__##isa,          \
    .interleave = winograd_interleave__##isa

static const struct winograd_kernels kernels_c = {.isa = "generic", UNFUSED(c)};
#if defined(__x86_64__)
static const struct winograd_kernels kernels_avx2 = {.isa = "avx2", UNFUSED(avx2)};
static const struct winograd_kernels kernels_avx512 = {.isa = "avx512", UNFUSED(avx512)};
static const struct winograd_kernels kernels_4x3_avx512 = {
    .isa = "avx512",
    .gather_transform = winograd_gather_transform_4x3__avx512,
    .transform_scatter = winograd_transform_scatter_4x3__avx512,
    .small_k_output = winograd_small_k_output_4x3__avx512,
    .input_transform = winograd_input_transform_4x3__avx512,
    .output_transform = winograd_output_transform__avx512,
    .small_k_m = winograd_small_k_m__avx512,
    .gather_run = winograd_gather_run__avx512,
    .interleave = winograd_interleave__avx512,
};
#endif

/* The kernels of the widest ISA the CPU (and CONVBENCH_ISA) allows. */
static const struct winograd_kernels *winograd_kernels_for(const struct winograd_form *f)
{
#if defined(__x86_64__)
    if (cpu_has_isa(CPU_ISA_AVX512))
        return f->m == 4 ? &kernels_4x3_avx512 : &kernels_avx512;
    if (cpu_has_isa(CPU_ISA_AVX2_FMA))
        return &kernels_avx2;
#endif
    (void)f;
    return &kernels_c;
}

/* ---- the plan ----------------------------------------------------------- */

/* The run strategies, below. */
static void batches_run(const struct winograd_state *s, const float *in, float *out);
static void blocks_run(const struct winograd_state *s, const float *in, float *out);
static void small_k_run(const struct winograd_state *s, const float *in, float *out);

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
    *s = (struct winograd_state){.layer = *l, .form = f, .k = winograd_kernels_for(f),
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
    s->strategy = s->small_k ? small_k_run : s->blocks ? blocks_run : batches_run;
}

/* The plan: U = G g G^T for every weight, packed for the GEMMs (or kept
 * unpacked with few input channels), and the workspace. (Long: the weight
 * transform and its three packings are one loop over the groups.) */
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
    const char *isa = s->k->isa;
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

/* ---- the run ------------------------------------------------------------ */

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
    PHASE_BEGIN(PHASE_INPUT_TRANSFORM);
    for (int64_t ci = 0; ci < s->c_in; ci++) {
        const float *plane = in + ((n_image * l->c_in) + g * s->c_in + ci) * l->h_in * l->w_in;
        gather_tiles(s, plane, t0, n, d, BLOCK);
        s->k->input_transform(f->alpha, d, V + ci * BLOCK, s->c_in * BLOCK, n, BLOCK);
        /* M is formed on whole blocks: tiles past n are zeros */
        if (n < BLOCK)
            for (int xi = 0; xi < a2; xi++)
                memset(V + ((int64_t)xi * s->c_in + ci) * BLOCK + n, 0,
                       (size_t)(BLOCK - n) * sizeof *V);
    }
    PHASE_END();
    /* the products are formed inside the output transform, and count there */
    PHASE_BEGIN(PHASE_OUTPUT_TRANSFORM);
    float *mt = d;
    for (int64_t co = 0; co < s->c_out; co++) {
        const int64_t channel = g * s->c_out + co;
        const float *u_co = s->u_small + (g * s->c_out + co) * a2 * s->c_in;
        const float bias = s->bias ? s->bias[channel] : 0.0f;
        s->k->small_k_output(s, u_co, V, mt, y, n, bias);
        scatter_tiles(s, y, BLOCK, t0, n,
                      out + (n_image * l->c_out + channel) * l->h_out * l->w_out);
    }
    PHASE_END();
}

/* One block of T = NR tiles (t0 .. t0 + n) through all three phases, by one
 * thread: V (a^2 B panels of c_in x T, vb_stride apart) is written by the
 * input transform straight in the layout the micro-kernel reads, so B is
 * never packed; then, MR output channels at a time, the a^2 products of U's
 * A panels with V fill M (a^2 x MR x T, in L1) and the output transform
 * takes it from there. V stays in L2, and M never leaves L1. */
static void block_run(const struct winograd_state *s, const float *in, float *out,
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
    PHASE_BEGIN(PHASE_INPUT_TRANSFORM);
    for (int64_t ci = 0; ci < s->c_in; ci++) {
        const float *plane = planes + ci * plane_size;
        if (ci + WINO_BLOCKS_PF < s->c_in)
            for (int64_t k = 0; k < spans; k++)
                for (int64_t e = 0; e < span_len[k] + 15; e += 16)
                    __builtin_prefetch(plane + WINO_BLOCKS_PF * plane_size + span_at[k] +
                                       (e < span_len[k] ? e : span_len[k] - 1));
        s->k->gather_transform(s, plane, t0, n, vb + ci * T, vs, d, T);
    }
    PHASE_END();
    for (int64_t co0 = 0; co0 < s->c_out; co0 += mr) {
        const int rows = s->c_out - co0 < mr ? (int)(s->c_out - co0) : mr;
        PHASE_BEGIN(PHASE_PRODUCTS);
        for (int xi = 0; xi < a2; xi++)
            kernel->ukernel(s->c_in, s->u[g * a2 + xi].data + co0 * s->c_in, vb + xi * vs,
                            mb + (int64_t)xi * mr * T, T, rows, (int)n, GEMM_STORE, NULL);
        PHASE_END();
        PHASE_BEGIN(PHASE_OUTPUT_TRANSFORM);
        for (int r = 0; r < rows; r++) {
            const int64_t channel = g * s->c_out + co0 + r;
            s->k->transform_scatter(s, mb + r * T, mr * T, t0, n,
                                    s->bias ? s->bias[channel] : 0.0f,
                                    out + (n_image * l->c_out + channel) * l->h_out * l->w_out,
                                    y, T);
        }
        PHASE_END();
    }
}

/* Per-thread tile blocks through all three phases (see block_run). */
static void blocks_run(const struct winograd_state *s, const float *in, float *out)
{
    const struct conv_layer *l = &s->layer;
    const int a2 = s->form->alpha * s->form->alpha;
    const int64_t nt = s->batch_tiles, vs = vb_stride(s->c_in, nt);
    float *scratch = s->workspace + shared_floats(s);
    #pragma omp parallel num_threads(s->threads)
    {
        float *mine = scratch + (size_t)omp_get_thread_num() * thread_floats(s);
        float *d = mine, *y = mine + a2 * nt, *vb = mine + 2 * a2 * nt, *mb = vb + a2 * vs;
        const int64_t per_plane = (s->tiles + nt - 1) / nt;
        const int64_t count = l->batch * l->groups * per_plane;
        #pragma omp for schedule(dynamic)
        for (int64_t b = 0; b < count; b++) {
            const int64_t n_image = b / (l->groups * per_plane), g = b / per_plane % l->groups,
                          t0 = b % per_plane * nt;
            block_run(s, in, out, n_image, g, t0, s->tiles - t0 < nt ? s->tiles - t0 : nt, d, y,
                      vb, mb);
        }
    }
}

/* Few input channels: blocks of WINO_SMALL_K_TILES tiles, a thread each
 * (see small_k_block). */
static void small_k_run(const struct winograd_state *s, const float *in, float *out)
{
    const struct conv_layer *l = &s->layer;
    const int a2 = s->form->alpha * s->form->alpha;
    const int64_t nt = s->batch_tiles;
    float *scratch = s->workspace + shared_floats(s);
    #pragma omp parallel num_threads(s->threads)
    {
        float *mine = scratch + (size_t)omp_get_thread_num() * thread_floats(s);
        float *d = mine, *y = mine + a2 * nt, *own_v = mine + 2 * a2 * nt;
        for (int64_t n = 0; n < l->batch; n++)
            for (int64_t g = 0; g < l->groups; g++) {
                #pragma omp for schedule(static)
                for (int64_t t0 = 0; t0 < s->tiles; t0 += nt)
                    small_k_block(s, in, n, g, t0, s->tiles - t0 < nt ? s->tiles - t0 : nt,
                                  own_v, d, y, out);
            }
    }
}

/* Batches of tiles shared by the threads phase by phase: V = B^T d B per
 * input channel, M[xi] = U[xi] V[xi] one GEMM per tile element, Y = A^T M A
 * per output channel. */
static void batches_run(const struct winograd_state *s, const float *in, float *out)
{
    const struct conv_layer *l = &s->layer;
    const int a2 = s->form->alpha * s->form->alpha;
    const int64_t nt = s->batch_tiles, vs = vb_stride(s->c_in, nt), nr = s->kernel->nr;
    float *V = s->workspace, *M = V + (size_t)(a2 * vs);
    float *scratch = s->workspace + shared_floats(s);
    #pragma omp parallel num_threads(s->threads)
    {
        float *mine = scratch + (size_t)omp_get_thread_num() * thread_floats(s);
        float *d = mine, *y = mine + a2 * nt;
        for (int64_t n = 0; n < l->batch; n++)
            for (int64_t g = 0; g < l->groups; g++)
                for (int64_t t0 = 0; t0 < s->tiles; t0 += nt) {
                    const int64_t count = s->tiles - t0 < nt ? s->tiles - t0 : nt;
                    /* a B panel of tiles at a time */
                    #pragma omp for schedule(static)
                    for (int64_t ci = 0; ci < s->c_in; ci++) {
                        const float *plane =
                            in + ((n * l->c_in) + g * s->c_in + ci) * l->h_in * l->w_in;
                        PHASE_BEGIN(PHASE_INPUT_TRANSFORM);
                        for (int64_t j0 = 0; j0 < count; j0 += nr) {
                            const int64_t cols = count - j0 < nr ? count - j0 : nr;
                            s->k->gather_transform(s, plane, t0 + j0, cols,
                                                   V + j0 * s->c_in + ci * nr, vs, d, nr);
                        }
                        PHASE_END();
                    }
                    #pragma omp for schedule(dynamic)
                    for (int xi = 0; xi < a2; xi++) {
                        PHASE_BEGIN(PHASE_PRODUCTS);
                        gemm_compute_panels(&s->u[g * a2 + xi], V + (size_t)xi * vs, count,
                                            M + (size_t)xi * s->c_out * nt, nt);
                        PHASE_END();
                    }
                    #pragma omp for schedule(static)
                    for (int64_t co = 0; co < s->c_out; co++) {
                        const int64_t channel = g * s->c_out + co;
                        PHASE_BEGIN(PHASE_OUTPUT_TRANSFORM);
                        s->k->transform_scatter(
                            s, M + co * nt, s->c_out * nt, t0, count,
                            s->bias ? s->bias[channel] : 0.0f,
                            out + (n * l->c_out + channel) * l->h_out * l->w_out, y, nt);
                        PHASE_END();
                    }
                }
    }
}

static enum conv_status winograd_run(void *state, const float *in, float *out)
{
    const struct winograd_state *s = state;
    s->strategy(s, in, out);
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

/* The two forms' descriptors differ in name, text and tolerance only. */
#define WINOGRAD_VARIANT(form, variant_name, text, tol)                                       \
    const struct conv_variant variant_winograd_##form = {                                    \
        .name = variant_name, .summary = text, .phases = true, .tolerance = tol,              \
        .supports = winograd_supports, .plan = plan_##form, .run = winograd_run,              \
        .destroy = winograd_destroy, .describe = winograd_describe, .memory = memory_##form,  \
    }

WINOGRAD_VARIANT(2x3, "winograd-2x3",
                 "Winograd F(2x2,3x3) on convbench's GEMM (16 GEMMs, 2.25x fewer "
                 "multiplications); 3x3, stride 1, dilation 1",
                 8.0);
WINOGRAD_VARIANT(4x3, "winograd-4x3",
                 "Winograd F(4x4,3x3) on convbench's GEMM (36 GEMMs, 4x fewer multiplications); "
                 "3x3, stride 1, dilation 1",
                 48.0);

