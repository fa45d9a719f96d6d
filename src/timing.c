#include "timing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "tensor.h"

double time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
    int capacity = 64, n = 0;
    double *samples = malloc((size_t)capacity * sizeof *samples);
    if (!samples)
        return CONV_ERROR;

    const double start = now();
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
    timing_stats(samples, n, result);
    result->runs_per_sample = batch;
    free(samples);
    return CONV_OK;

fail:
    free(samples);
    return CONV_ERROR;
}

enum conv_status time_variant(const struct conv_variant *v, void *state, const float *in,
                              float *out, double warm_seconds,
                              const struct timing_options *options, struct timing *result)
{
    /* a round disturbed by another process (a CV far above a steady
     * round's) is measured again; the steadiest round is kept */
    const int rounds = options->max_cv > 0.0 && options->max_rounds > 1 ? options->max_rounds : 1;
    struct timing best = {0};
    int done = 0;
    for (int r = 0; r < rounds; r++) {
        struct timing round;
        if (time_round(v, state, in, out, warm_seconds, options, &round) != CONV_OK)
            return CONV_ERROR;
        done++;
        if (r == 0 || round.cv < best.cv)
            best = round;
        if (options->max_cv <= 0.0 || best.cv <= options->max_cv)
            break;
    }
    *result = best;
    result->rounds = done;
    result->noisy = options->max_cv > 0.0 && best.cv > options->max_cv;
    return CONV_OK;
}
