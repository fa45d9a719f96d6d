/* Timing one variant on one layer (docs/DESIGN.md "Timing"). */
#ifndef CONVBENCH_TIMING_H
#define CONVBENCH_TIMING_H

#include <signal.h>
#include <stdbool.h>

#include "variant.h"

struct timing_options {
    double min_time;  /* seconds of samples wanted ... */
    int reps;         /* ... and at least this many samples ... */
    double max_time;  /* ... unless this many seconds have passed */
    bool cold_cache;  /* evict the caches before each sample */
    /* a round of samples whose CV is above max_cv is measured again, up to
     * max_rounds rounds, and the steadiest round kept; max_cv 0: one round */
    double max_cv;
    int max_rounds;
    /* set (by a signal handler) to stop: sampling ends early with CONV_ERROR */
    const volatile sig_atomic_t *stop;
    /* the clock samples are read from, in seconds; NULL: time_now */
    double (*clock)(void);
};

struct timing {
    int samples;         /* timed samples taken */
    int runs_per_sample; /* runs batched into one sample (short layers) */
    double min_us, median_us;
    double cv;           /* standard deviation / mean of the samples */
    int rounds;          /* rounds of samples measured */
    bool noisy;          /* the kept round's CV is still above max_cv */
};

/* A sample should last at least this long; shorter runs are batched. */
#define TIMING_MIN_SAMPLE_SECONDS 50e-6

double time_now(void);

/* Times v->run(state, in, out). warm_seconds is the duration of one untimed
 * run made just before (the verification run, which also warms the caches).
 * Rounds follow the noise check of options (max_cv, max_rounds). Returns
 * CONV_ERROR if a run fails. */
enum conv_status time_variant(const struct conv_variant *v, void *state, const float *in,
                              float *out, double warm_seconds,
                              const struct timing_options *options, struct timing *result);

void timing_release(void); /* frees the cache-eviction buffer */

#endif
