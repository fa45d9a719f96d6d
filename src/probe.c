#include "probe.h"

#include <stdint.h>
#include <stdlib.h>

#include "cpu.h"
#include "tensor.h"
#include "timing.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* Each kernel runs `chains` independent FMA dependency chains, enough to
 * cover FMA latency x FMA ports on current cores (4 cycles x 2 ports), and
 * returns the flops done. The result is folded into a sink so that the loop
 * cannot be removed. */
static volatile float probe_sink;

#define REPEAT8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define REPEAT12(X) REPEAT8(X) X(8) X(9) X(10) X(11)
#define REPEAT16(X) REPEAT12(X) X(12) X(13) X(14) X(15)

/* One kernel per vector type: `chains` accumulators of `lanes` floats, each
 * stepped by an FMA (a plain multiply-add in the portable kernel). */
#define FMA_CHAINS(name, attr, vec, set1, fmadd, add, reduce, repeat, chains, lanes)               \
    attr static double name(int64_t iterations)                                                     \
    {                                                                                               \
        const vec a = set1(0.999999f), b = set1(1e-7f);                                             \
        repeat(FMA_DECLARE_##name)                                                                  \
        for (int64_t it = 0; it < iterations; it++) {                                               \
            repeat(FMA_STEP_##name)                                                                 \
        }                                                                                           \
        vec sum = set1(0.0f);                                                                       \
        repeat(FMA_FOLD_##name)                                                                     \
        probe_sink = reduce(sum);                                                                   \
        return (double)iterations * (chains) * (lanes)*2;                                           \
    }

#define SCALAR_SET1(x) (x)
#define SCALAR_FMA(x, y, z) ((x) * (y) + (z))
#define SCALAR_ADD(x, y) ((x) + (y))
#define SCALAR_REDUCE(x) (x)
#define FMA_DECLARE_fma_chains_generic(i) float acc##i = (float)(i);
#define FMA_STEP_fma_chains_generic(i) acc##i = SCALAR_FMA(acc##i, a, b);
#define FMA_FOLD_fma_chains_generic(i) sum = SCALAR_ADD(sum, acc##i);
FMA_CHAINS(fma_chains_generic, , float, SCALAR_SET1, SCALAR_FMA, SCALAR_ADD, SCALAR_REDUCE, REPEAT8,
           8, 1)

#if defined(__x86_64__)
#define FMA_DECLARE_fma_chains_avx512(i) __m512 acc##i = _mm512_set1_ps((float)(i));
#define FMA_STEP_fma_chains_avx512(i) acc##i = _mm512_fmadd_ps(acc##i, a, b);
#define FMA_FOLD_fma_chains_avx512(i) sum = _mm512_add_ps(sum, acc##i);
FMA_CHAINS(fma_chains_avx512, __attribute__((target("avx512f"))), __m512, _mm512_set1_ps,
           _mm512_fmadd_ps, _mm512_add_ps, _mm512_reduce_add_ps, REPEAT16, 16, 16)

__attribute__((target("avx2,fma"))) static float reduce_avx2(__m256 v)
{
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    return lanes[0] + lanes[7];
}
#define FMA_DECLARE_fma_chains_avx2(i) __m256 acc##i = _mm256_set1_ps((float)(i));
#define FMA_STEP_fma_chains_avx2(i) acc##i = _mm256_fmadd_ps(acc##i, a, b);
#define FMA_FOLD_fma_chains_avx2(i) sum = _mm256_add_ps(sum, acc##i);
FMA_CHAINS(fma_chains_avx2, __attribute__((target("avx2,fma"))), __m256, _mm256_set1_ps,
           _mm256_fmadd_ps, _mm256_add_ps, reduce_avx2, REPEAT12, 12, 8)
#endif

static double fma_chains(enum cpu_isa isa, int64_t iterations)
{
    switch (isa) {
#if defined(__x86_64__)
    case CPU_ISA_AVX512: return fma_chains_avx512(iterations);
    case CPU_ISA_AVX2_FMA: return fma_chains_avx2(iterations);
#endif
    default: return fma_chains_generic(iterations);
    }
}

/* The best GFLOP/s one thread reaches in short chunks of FMA chains over
 * about `seconds` of its own time. Timing each chunk on its own thread (not
 * the whole team's wall time) keeps a thread that the OS parks for a while,
 * on a shared machine, from dragging every thread's figure down. */
static double thread_peak(enum cpu_isa isa, double seconds)
{
    /* chunks of about 0.2 ms, sized from a first short one */
    int64_t iterations = 256;
    double t0 = time_now();
    double flops = fma_chains(isa, iterations);
    double dt = time_now() - t0;
    if (dt > 0.0)
        iterations = (int64_t)(2e-4 / dt * (double)iterations) + 1;
    double best = 0.0;
    const double start = time_now();
    do {
        t0 = time_now();
        flops = fma_chains(isa, iterations);
        dt = time_now() - t0;
        if (dt > 0.0 && flops / dt > best)
            best = flops / dt;
    } while (time_now() - start < seconds);
    return best * 1e-9;
}

double probe_peak_gflops(int threads)
{
    const enum cpu_isa isa = cpu_best_isa();
    double total = 0.0;
    /* every thread at once (they share power and clock budgets), each
     * timing itself; the peak is the sum */
    #pragma omp parallel num_threads(threads) reduction(+ : total)
    total += thread_peak(isa, 0.05);
    return total;
}

size_t probe_bandwidth_array_bytes(size_t beyond_cache)
{
    const size_t cap = (size_t)128 << 20;
    return beyond_cache < cap ? beyond_cache : cap;
}

size_t probe_bandwidth_bytes(void)
{
    return 3 * probe_bandwidth_array_bytes(cpu_beyond_cache_bytes());
}

double probe_bandwidth_gbs(int threads, const volatile sig_atomic_t *stop)
{
    const size_t n = probe_bandwidth_array_bytes(cpu_beyond_cache_bytes()) / sizeof(float);
    float *a = tensor_alloc(n, sizeof *a), *b = tensor_alloc(n, sizeof *b),
          *c = tensor_alloc(n, sizeof *c);
    double best = -1.0;
    if (a && b && c) {
        best = 0.0;
        /* first touch from the threads that will use the pages */
        #pragma omp parallel for num_threads(threads) schedule(static)
        for (size_t i = 0; i < n; i++) {
            a[i] = 0.0f;
            b[i] = 1.0f;
            c[i] = 2.0f;
        }
        for (int pass = 0; pass < 5 && !(stop && *stop); pass++) {
            const float s = 0.5f + (float)pass;
            double t0 = time_now();
            #pragma omp parallel for num_threads(threads) schedule(static)
            for (size_t i = 0; i < n; i++)
                a[i] = b[i] + s * c[i];
            double seconds = time_now() - t0;
            double gbs = 3.0 * (double)n * sizeof(float) / seconds * 1e-9;
            if (gbs > best)
                best = gbs;
        }
        probe_sink = a[n / 2];
    }
    free(a);
    free(b);
    free(c);
    return best;
}
