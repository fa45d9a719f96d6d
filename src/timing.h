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
    /* a round of samples whose spread is above max_cv is measured again, up
     * to max_rounds rounds, and the steadiest round kept; max_cv 0: one round */
    double max_cv;
    int max_rounds;
    /* set (by a signal handler) to stop: sampling ends early with CONV_ERROR */
    const volatile sig_atomic_t *stop;
    /* the clock samples are read from, in seconds; NULL: time_now */
    double (*clock)(void);
    /* the CPU time of the whole process, in seconds; NULL: process_cpu_time */
    double (*cpu_clock)(void);
};

/* A round whose threads had their cores for less than this share of its
 * wall time shared them with another process (see struct timing). */
#define TIMING_MIN_CPU_SHARE 0.9

struct timing {
    int samples;         /* timed samples taken */
    int runs_per_sample; /* runs batched into one sample (short layers) */
    double min_us, median_us;
    double cv;           /* standard deviation / mean of the samples */
    /* The CV estimated from the quartiles: (Q3 - Q1) / (1.349 median), which
     * is the CV for normally distributed samples. One preempted sample 40x
     * the median moves the CV to 1 and the median not at all; it barely moves
     * the spread, so the noise check goes by the spread. */
    double spread;
    /* The process's CPU time over the round / (wall time x threads). OpenMP
     * threads spin between runs, so on cores of its own a round comes to
     * 0.97-1.0. Another process on one core takes its share, and a thread
     * that waits at a barrier for a preempted one turns every sample into a
     * scheduler time slice: then the samples can agree closely (no spread)
     * and still be many times slow, and only this share tells. */
    double cpu_share;
    int rounds;          /* rounds of samples measured */
    /* the kept round's spread is still above max_cv or its CPU share below
     * TIMING_MIN_CPU_SHARE */
    bool noisy;
};

/* A sample should last at least this long; shorter runs are batched. */
#define TIMING_MIN_SAMPLE_SECONDS 50e-6

double time_now(void);
double process_cpu_time(void);

/* Times v->run(state, in, out). warm_seconds is the duration of one untimed
 * run made just before (the verification run, which also warms the caches).
 * Rounds follow the noise check of options (max_cv, max_rounds): a round
 * with a spread above max_cv or a CPU share below TIMING_MIN_CPU_SHARE is
 * measured again, and the least disturbed round kept. The variant is taken
 * to run on omp_get_max_threads() threads (at most the CPUs online). Returns
 * CONV_ERROR if a run fails. */
enum conv_status time_variant(const struct conv_variant *v, void *state, const float *in,
                              float *out, double warm_seconds,
                              const struct timing_options *options, struct timing *result);

void timing_release(void); /* frees the cache-eviction buffer */

#endif
