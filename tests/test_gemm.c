/* The GEMM: every micro-kernel the CPU can run against the portable C
 * contract, and the whole GEMM (packing, blocking, threads) against a naive
 * triple loop, on sizes that are and are not multiples of the blocking. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "gemm/gemm.h"
#include "tensor.h"

static float *random_matrix(size_t count, uint64_t stream)
{
    float *m = tensor_alloc(count ? count : 1, sizeof(float));
    if (!m)
        exit(3);
    tensor_fill_random(m, count, 99, stream);
    return m;
}

/* C = A B (+ C) (+ bias), accumulating in double. */
static void naive_gemm(int64_t m, int64_t n, int64_t k, const float *a, const float *b,
                       const float *c_in, bool accumulate, const float *bias, double *c)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double sum = accumulate ? c_in[i * n + j] : bias ? bias[i] : 0.0;
            for (int64_t p = 0; p < k; p++)
                sum += (double)a[i * k + p] * b[p * n + j];
            c[i * n + j] = sum;
        }
}

/* float rounding of a length-k dot product of values in [-1, 1) */
static double gemm_bound(int64_t k)
{
    return 4.0 * FLT_EPSILON * (double)(k + 2);
}

static const char *store_name(int mode)
{
    return mode == 0 ? "C = AB" : mode == 1 ? "C += AB" : "C = AB + bias";
}

static void check_gemm_repeated(const struct gemm_kernel *kernel,
                                const struct gemm_blocking *blocking, int64_t m, int64_t n,
                                int64_t k, int mode, int threads, int repeats);

static void check_gemm(const struct gemm_kernel *kernel, const struct gemm_blocking *blocking,
                       int64_t m, int64_t n, int64_t k, int mode, int threads)
{
    check_gemm_repeated(kernel, blocking, m, n, k, mode, threads, 1);
}

/* repeats > 1 recomputes the same product, giving a race between threads
 * more chances to show */
static void check_gemm_repeated(const struct gemm_kernel *kernel,
                                const struct gemm_blocking *blocking, int64_t m, int64_t n,
                                int64_t k, int mode, int threads, int repeats)
{
    float *a = random_matrix((size_t)(m * k), 1), *b = random_matrix((size_t)(k * n), 2);
    float *c = random_matrix((size_t)(m * n), 3), *bias = random_matrix((size_t)m, 4);
    double *ref = malloc((size_t)(m * n) * sizeof *ref);
    if (!ref)
        exit(3);
    const bool accumulate = mode == 1;
    naive_gemm(m, n, k, a, b, c, accumulate, mode == 2 ? bias : NULL, ref);

    struct gemm_packed_a packed;
    int status = blocking ? gemm_pack_a_blocked(&packed, kernel, *blocking, m, k, a, k)
                          : gemm_pack_a(&packed, kernel, m, k, a, k);
    float *workspace = status == 0
                           ? tensor_alloc(gemm_workspace_floats(&packed, n, threads), sizeof(float))
                           : NULL;
    CHECK(workspace != NULL, "allocation");
    float *c_start = malloc((size_t)(m * n) * sizeof *c_start);
    if (!c_start)
        exit(3);
    memcpy(c_start, c, (size_t)(m * n) * sizeof *c);
    for (int repeat = 0; repeat < repeats && workspace; repeat++) {
        memcpy(c, c_start, (size_t)(m * n) * sizeof *c);
        gemm_compute(&packed, b, n, n, c, n, accumulate, mode == 2 ? bias : NULL, workspace,
                     threads);
        double worst = 0.0;
        int64_t at = 0;
        for (int64_t i = 0; i < m * n; i++) {
            double err = fabs(c[i] - ref[i]);
            if (!(err <= worst)) { /* NaN counts as worst */
                worst = isnan(err) ? INFINITY : err;
                at = i;
            }
        }
        CHECK(worst <= gemm_bound(k),
              "%s, M=%lld N=%lld K=%lld, %s, %d thread%s%s: worst error %.3e at (%lld, %lld): "
              "%.7g vs %.7g", kernel->name, (long long)m, (long long)n, (long long)k,
              store_name(mode), threads, threads == 1 ? "" : "s",
              blocking ? ", own blocking" : "", worst, (long long)(at / n), (long long)(at % n),
              (double)c[at], ref[at]);
    }
    free(workspace);
    free(c_start);
    gemm_packed_a_free(&packed);
    free(a);
    free(b);
    free(c);
    free(bias);
    free(ref);
}

/* gemm_compute_panels: B handed over in NR-column panels, with the columns
 * past n holding values of their own (they must not reach C). */
static void check_gemm_panels(const struct gemm_kernel *kernel,
                              const struct gemm_blocking *blocking, int64_t m, int64_t n,
                              int64_t k)
{
    const int64_t nr = kernel->nr, n_panels = (n + nr - 1) / nr;
    float *a = random_matrix((size_t)(m * k), 5), *b = random_matrix((size_t)(k * n), 6);
    float *panels = random_matrix((size_t)(n_panels * k * nr), 7);
    float *c = random_matrix((size_t)(m * n), 8);
    double *ref = malloc((size_t)(m * n) * sizeof *ref);
    if (!ref)
        exit(3);
    for (int64_t p = 0; p < k; p++)
        for (int64_t j = 0; j < n; j++)
            panels[((j / nr) * k + p) * nr + j % nr] = b[p * n + j];
    naive_gemm(m, n, k, a, b, NULL, false, NULL, ref);
    struct gemm_packed_a packed;
    const int status = blocking ? gemm_pack_a_blocked(&packed, kernel, *blocking, m, k, a, k)
                                : gemm_pack_a(&packed, kernel, m, k, a, k);
    CHECK(status == 0, "allocation");
    if (status == 0) {
        gemm_compute_panels(&packed, panels, n, c, n);
        double worst = 0.0;
        int64_t at = 0;
        for (int64_t i = 0; i < m * n; i++) {
            const double err = fabs(c[i] - ref[i]);
            if (!(err <= worst)) {
                worst = isnan(err) ? INFINITY : err;
                at = i;
            }
        }
        CHECK(worst <= gemm_bound(k),
              "%s, B in panels, M=%lld N=%lld K=%lld%s: worst error %.3e at (%lld, %lld)",
              kernel->name, (long long)m, (long long)n, (long long)k,
              blocking ? ", own blocking" : "", worst, (long long)(at / n), (long long)(at % n));
        gemm_packed_a_free(&packed);
    }
    free(a);
    free(b);
    free(panels);
    free(c);
    free(ref);
}

/* One micro-kernel call against the same call of the portable kernel's
 * contract, written out here. */
static void check_ukernel(const struct gemm_kernel *kernel)
{
    const int mr = kernel->mr, nr = kernel->nr;
    const int64_t k = 37, ldc = nr + 5;
    float *a = random_matrix((size_t)(mr * k), 5), *b = random_matrix((size_t)(nr * k), 6);
    float *c = random_matrix((size_t)(mr * ldc), 7), *bias = random_matrix((size_t)mr, 8);
    float *c0 = malloc((size_t)(mr * ldc) * sizeof *c0);
    if (!c0)
        exit(3);
    const int shapes[][2] = {{mr, nr}, {1, 1}, {mr - 1, nr - 1}, {mr, 1}, {1, nr}, {mr / 2, nr / 2 + 1}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int mode = 0; mode < 3; mode++) {
            const int m = shapes[s][0], n = shapes[s][1];
            memcpy(c0, c, (size_t)(mr * ldc) * sizeof *c0);
            kernel->ukernel(k, a, b, c, ldc, m, n, (enum gemm_store)mode, bias);
            int bad = 0;
            for (int i = 0; i < mr; i++)
                for (int j = 0; j < ldc; j++) {
                    double want = c0[i * ldc + j];
                    if (i < m && j < n) {
                        double sum = mode == 1 ? want : mode == 2 ? bias[i] : 0.0;
                        for (int64_t p = 0; p < k; p++)
                            sum += (double)a[p * mr + i] * b[p * nr + j];
                        want = sum;
                    }
                    /* outside the m x n corner nothing may change */
                    bad += !(fabs(c[i * ldc + j] - want) <= gemm_bound(k));
                }
            CHECK(bad == 0, "ukernel %s, m=%d n=%d, %s: %d elements wrong", kernel->name, m, n,
                  store_name(mode), bad);
            memcpy(c, c0, (size_t)(mr * ldc) * sizeof *c0);
        }
    free(a);
    free(b);
    free(c);
    free(c0);
    free(bias);
}

int main(void)
{
    static const int64_t sizes[] = {1, 2, 15, 17, 63, 64, 65, 255, 257};
    /* skinny and fat shapes, as convolutions produce them */
    static const int64_t shapes[][3] = {
        {1, 257, 65}, {257, 1, 17}, {3, 1000, 5}, {1000, 3, 9}, {64, 3136, 27},
        {16, 49, 1024}, {96, 7, 300}, {5, 5, 1},
        /* 3 to 8 columns (Winograd on 7x7 images has 4; up to 4 take two
         * k steps per vector): rows past m, an odd last K-block */
        {40, 4, 300}, {27, 8, 1000}, {57, 3, 401}, {16, 6, 50}, {72, 5, 9}, {8, 7, 193},
        /* one K-block, A in L2, wide B: panel by panel, a ragged last one */
        {20, 1031, 100},
        /* narrow B split along K between two threads, at k = 501: inside a
         * K-block, at an odd step */
        {30, 40, 1002},
    };
    /* A packed for 49 columns of B with K = 575: one K-block of 575 (up to
     * three are merged), odd; run with 49 columns and with 5 and 4 (a last
     * batch of Winograd tiles may be that short; 4 columns expand B 192
     * steps at a time), in every mode */
    static const int64_t merged[][3] = {{45, 49, 575}, {40, 5, 575}, {40, 4, 575}};
    int kernels = 0;
    FOR_EACH_RUNNABLE(kernel, gemm_kernels, gemm_kernel_count, "kernel", kernels) {
        check_ukernel(kernel);
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            for (int mode = 0; mode < 3; mode++)
                check_gemm(kernel, NULL, sizes[i], sizes[i], sizes[i], mode, 1 + (int)(i % 2));
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            for (int threads = 1; threads <= 2; threads++)
                check_gemm(kernel, NULL, shapes[i][0], shapes[i][1], shapes[i][2],
                           (int)(i % 3), threads);
        for (size_t i = 0; i < sizeof merged / sizeof *merged; i++) {
            const struct gemm_blocking shaped =
                gemm_blocking_for_shape(kernel, merged[i][0], 49, merged[i][2]);
            for (int mode = 0; mode < 3; mode++)
                check_gemm(kernel, &shaped, merged[i][0], merged[i][1], merged[i][2], mode,
                           1 + mode % 2);
        }
        /* tiny blocks: many K-, M- and N-blocks, ragged last ones; with N
         * wide enough that each thread owns its own panels */
        const struct gemm_blocking tiny = {8, 2 * kernel->mr, 9 * kernel->nr};
        for (int threads = 1; threads <= 2; threads++)
            for (int mode = 0; mode < 3; mode++) {
                check_gemm(kernel, &tiny, 37, 3 * tiny.nc + 5, 45, mode, threads);
                check_gemm(kernel, &tiny, 5 * kernel->mr + 3, 2 * kernel->nr + 1, 17, mode,
                           threads);
                check_gemm(kernel, &tiny, 3 * kernel->mr + 5, 4, 45, mode, threads);
                /* split along K, over two M-blocks, in passes of one panel */
                check_gemm(kernel, &tiny, 2 * kernel->mr + 1, 3, 45, mode, threads);
                check_gemm(kernel, &tiny, 2 * kernel->mr + 1, 2 * kernel->nr + 5, 45, mode,
                           threads);
            }
        /* B in panels: one or two columns, 3 to 4, a short last panel
         * (the tail form), ragged K- and M-blocks */
        check_gemm_panels(kernel, NULL, 16, 2, 50);
        check_gemm_panels(kernel, NULL, 40, 4, 300);
        check_gemm_panels(kernel, NULL, 64, 196, 256);
        const struct gemm_blocking shaped49 = gemm_blocking_for_shape(kernel, 45, 49, 575);
        check_gemm_panels(kernel, &shaped49, 45, 49, 575);
        check_gemm_panels(kernel, &tiny, 2 * kernel->mr + 3, 3 * kernel->nr + 7, 45);
        /* threads owning their B panels across ragged K-blocks */
        for (int mode = 0; mode < 3; mode++)
            check_gemm_repeated(kernel, NULL, 255, 255, 255, mode, 2, 32);
        check_gemm_repeated(kernel, &tiny, 2 * kernel->mr + 1, 8 * kernel->nr + 3, 45, 1, 2, 64);
        printf("kernel %s (%dx%d): checked\n", kernel->name, kernel->mr, kernel->nr);
    }
    CHECK(kernels >= 1, "no kernel could run");
    return check_report("gemm");
}
