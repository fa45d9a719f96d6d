/* The GEMM for one or two columns of B, on the packed A panels of any
 * kernel with MR of 4, 8 or 12, compiled for AVX-512, AVX2 and plain x86-64
 * (target_clones picks one at load time). */
#include <string.h>

#include "gemm-ukernels.h"

/* A product with one or two columns (a fully connected layer: N = 1) would
 * fill NR-wide panels mostly with padding; it runs as matrix-vector products
 * on the packed A panels instead, vectorized along each panel's MR rows. It
 * reads all of A per call, so beyond two columns the padded panels win. */
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
__attribute__((target_clones("avx512f", "avx2", "default"))) void
sgemm_narrow(const struct gemm_packed_a *a, int64_t k0, int64_t k1, const float *b, int64_t ldb,
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

