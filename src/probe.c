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

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static double fma_chains_avx512(int64_t iterations)
{
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
#define DECLARE(i) __m512 acc##i = _mm512_set1_ps((float)(i));
#define STEP(i) acc##i = _mm512_fmadd_ps(acc##i, a, b);
#define FOLD(i) sum = _mm512_add_ps(sum, acc##i);
    REPEAT16(DECLARE)
    for (int64_t it = 0; it < iterations; it++) {
        REPEAT16(STEP)
    }
    __m512 sum = _mm512_setzero_ps();
    REPEAT16(FOLD)
    probe_sink = _mm512_reduce_add_ps(sum);
    return (double)iterations * 16 * 16 * 2;
#undef DECLARE
#undef STEP
#undef FOLD
}

__attribute__((target("avx2,fma"))) static double fma_chains_avx2(int64_t iterations)
{
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
#define DECLARE(i) __m256 acc##i = _mm256_set1_ps((float)(i));
#define STEP(i) acc##i = _mm256_fmadd_ps(acc##i, a, b);
#define FOLD(i) sum = _mm256_add_ps(sum, acc##i);
    REPEAT12(DECLARE)
    for (int64_t it = 0; it < iterations; it++) {
        REPEAT12(STEP)
    }
    __m256 sum = _mm256_setzero_ps();
    REPEAT12(FOLD)
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    probe_sink = lanes[0] + lanes[7];
    return (double)iterations * 12 * 8 * 2;
#undef DECLARE
#undef STEP
#undef FOLD
}
#endif

static double fma_chains_generic(int64_t iterations)
{
    const float a = 0.999999f, b = 1e-7f;
#define DECLARE(i) float acc##i = (float)(i);
#define STEP(i) acc##i = acc##i * a + b;
#define FOLD(i) sum += acc##i;
    REPEAT8(DECLARE)
    for (int64_t it = 0; it < iterations; it++) {
        REPEAT8(STEP)
    }
    float sum = 0.0f;
    REPEAT8(FOLD)
    probe_sink = sum;
    return (double)iterations * 8 * 2;
#undef DECLARE
#undef STEP
#undef FOLD
}

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
