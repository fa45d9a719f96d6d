/* Running the selected layers through the selected variants: verification,
 * timing, one result row per layer x thread count x variant. */
#ifndef CONVBENCH_BENCH_H
#define CONVBENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "results.h"
#include "timing.h"
#include "variant.h"

struct bench_options {
    const struct conv_variant **variants;
    size_t variant_count;
    const int *threads;
    size_t thread_count;
    const double *peak_gflops; /* per thread count; 0 = not measured */
    double bandwidth_gbs;      /* measured memory bandwidth; 0 = not measured */
    struct timing_options timing;
    uint64_t seed;
    bool verify_only;
    bool progress;             /* a progress line on stderr */
    size_t max_memory;         /* bytes a layer x variant may need; larger ones are errors */
};

struct bench_run {
    const struct network *net;
    const bool *selected;          /* per layer */
    struct result_set *results;    /* where the rows go, in the order they finish */
    size_t first_row, row_count;   /* this run's rows in results */
    size_t mismatches, errors;
    size_t noisy;                  /* timed rows the noise check marked */
    int64_t batch;                 /* the batch of a --batch=LIST run (named in the summary), or 0 */
};

/* Runs every selected layer of net; rows go to run->results and to sink as
 * they finish. Returns -1 when a row cannot be kept or written, 1 when options->timing.stop was set
 * (the row under way is dropped; those before it are in the sink), else 0. */
int bench_network(const struct bench_options *options, struct bench_run *run,
                  struct csv_sink *sink);

/* The closing summary: per thread count and variant, the geometric mean of
 * baseline time / variant time over the layers both ran, and the network
 * time (median x repeat, summed over layers). */
void bench_print_summary(FILE *out, const struct bench_options *options,
                         const struct bench_run *run, size_t baseline);

#endif
