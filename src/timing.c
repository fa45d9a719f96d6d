#include "timing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "cpu.h"
#include "tensor.h"

double time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double process_cpu_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The threads a variant runs on, as far as there are CPUs for them. */
static int expected_threads(void)
{
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    const int threads = omp_get_max_threads();
    return online > 0 && online < threads ? (int)online : threads;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of n sorted values, interpolated between neighbours. */
static double quantile(const double *sorted, int n, double q)
{
    const double at = q * (n - 1);
    const int below = (int)at;
    if (below + 1 >= n)
        return sorted[n - 1];
    return sorted[below] + (at - below) * (sorted[below + 1] - sorted[below]);
}

/* Statistics of n per-run times in seconds (sorts them). */
static void timing_stats(double *seconds, int n, struct timing *result)
{
    qsort(seconds, (size_t)n, sizeof *seconds, compare_double);
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < n; i++)
        mean += seconds[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (seconds[i] - mean) * (seconds[i] - mean);
    var = n > 1 ? var / (n - 1) : 0.0;
    result->samples = n;
    result->min_us = 1e6 * seconds[0];
    result->median_us = 1e6 * (n % 2 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]));
    result->cv = mean > 0.0 ? sqrt(var) / mean : 0.0;
    const double q1 = quantile(seconds, n, 0.25), q3 = quantile(seconds, n, 0.75);
    result->spread = result->median_us > 0.0 ? 1e6 * (q3 - q1) / (1.349 * result->median_us) : 0.0;
}

/* A buffer well beyond the last-level cache, written before each cold sample
 * so that the layer's tensors and weights are no longer cached. */
static float *evict_buffer;
static size_t evict_count;

static int evict_caches(void)
{
    if (!evict_buffer) {
        evict_count = cpu_beyond_cache_bytes() / sizeof(float);
        evict_buffer = tensor_alloc(evict_count, sizeof(float));
        if (!evict_buffer)
            return -1;
    }
    static float value;
    value += 1.0f;
    tensor_fill(evict_buffer, evict_count, value);
    return 0;
}

void timing_release(void)
{
    free(evict_buffer);
    evict_buffer = NULL;
}

/* One round of samples, as the options ask. */
static enum conv_status time_round(const struct conv_variant *v, void *state, const float *in,
                                   float *out, double warm_seconds,
                                   const struct timing_options *options, struct timing *result)
{
    int batch = 1;
    if (!options->cold_cache && warm_seconds < TIMING_MIN_SAMPLE_SECONDS)
        batch = warm_seconds > 0.0 ? (int)ceil(TIMING_MIN_SAMPLE_SECONDS / warm_seconds) : 1000;
    if (batch > 1000)
        batch = 1000;

    double (*const now)(void) = options->clock ? options->clock : time_now;
    double (*const cpu_now)(void) = options->cpu_clock ? options->cpu_clock : process_cpu_time;
    int capacity = 64, n = 0;
    double *samples = malloc((size_t)capacity * sizeof *samples);
    if (!samples)
        return CONV_ERROR;

    const double start = now(), cpu_start = cpu_now();
    double timed = 0.0; /* seconds inside samples */
    for (;;) {
        if (options->cold_cache && evict_caches() != 0)
            goto fail;
        double t0 = now();
        for (int r = 0; r < batch; r++)
            if (v->run(state, in, out) != CONV_OK)
                goto fail;
        double t = now() - t0;
        timed += t;
        if (n == capacity) {
            double *grown = realloc(samples, 2 * (size_t)capacity * sizeof *samples);
            if (!grown)
                goto fail;
            samples = grown;
            capacity *= 2;
        }
        samples[n++] = t / batch;
        double elapsed = now() - start;
        if (options->stop && *options->stop)
            goto fail;
        if ((timed >= options->min_time && n >= options->reps) || elapsed >= options->max_time)
            break;
    }
    const double wall = now() - start;
    result->cpu_share = wall > 0.0 ? (cpu_now() - cpu_start) / (wall * expected_threads()) : 1.0;
    timing_stats(samples, n, result);
    result->runs_per_sample = batch;
    free(samples);
    return CONV_OK;

fail:
    free(samples);
    return CONV_ERROR;
}

static bool contended(const struct timing *t)
{
    return t->cpu_share < TIMING_MIN_CPU_SHARE;
}

static bool disturbed(const struct timing *t, double max_cv)
{
    return contended(t) || t->spread > max_cv;
}

/* A round that had its cores beats one that did not; among those that did,
 * the lower spread wins, and among those that did not, the larger share. */
static bool less_disturbed(const struct timing *a, const struct timing *b)
{
    if (contended(a) != contended(b))
        return !contended(a);
    return contended(a) ? a->cpu_share > b->cpu_share : a->spread < b->spread;
}

enum conv_status time_variant(const struct conv_variant *v, void *state, const float *in,
                              float *out, double warm_seconds,
                              const struct timing_options *options, struct timing *result)
{
    /* a round disturbed by another process is measured again, and the least
     * disturbed round kept */
    const int rounds = options->max_cv > 0.0 && options->max_rounds > 1 ? options->max_rounds : 1;
    struct timing best = {0};
    int done = 0;
    for (int r = 0; r < rounds; r++) {
        struct timing round;
        if (time_round(v, state, in, out, warm_seconds, options, &round) != CONV_OK)
            return CONV_ERROR;
        done++;
        if (r == 0 || less_disturbed(&round, &best))
            best = round;
        if (options->max_cv <= 0.0 || !disturbed(&best, options->max_cv))
            break;
    }
    *result = best;
    result->rounds = done;
    result->noisy = options->max_cv > 0.0 && disturbed(&best, options->max_cv);
    return CONV_OK;
}
