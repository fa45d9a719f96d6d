/* The result model: one row per layer x thread count x variant, filled by
 * the runner or loaded from a saved CSV, and the column table from which the
 * CSV header, the row writer and the by-name reader all come (docs/DESIGN.md
 * "CSV columns"). A column is one entry of that table. */
#ifndef CONVBENCH_RESULTSET_H
#define CONVBENCH_RESULTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "layer.h"
#include "phases.h"
#include "timing.h"
#include "verify.h"

enum row_status { ROW_OK, ROW_MISMATCH, ROW_UNSUPPORTED, ROW_ERROR };

/* What sets a layer's least time on the machine (the roofline): its FLOPs at
 * the FMA peak, or its minimum traffic at the memory bandwidth. */
enum row_bound { BOUND_UNKNOWN, BOUND_COMPUTE, BOUND_MEMORY };

#define RESULT_NAME_MAX 63 /* config and variant names */

struct result_row {
    char config[RESULT_NAME_MAX + 1];
    struct conv_layer layer;
    struct layer_cost cost;        /* of layer */
    char variant[RESULT_NAME_MAX + 1];
    int threads;
    enum row_status status;
    bool verified;                 /* check holds a comparison */
    struct verify_result check;
    bool timed;                    /* timing holds samples */
    struct timing timing;
    double gflops;                 /* flops / median time; 0 when untimed */
    double peak_gflops;            /* 0 when not measured */
    double efficiency;             /* gflops / peak_gflops; 0 when either is missing */
    enum row_bound bound;          /* unknown without a peak and a bandwidth */
    double roof_us;                /* max(flops / peak, bytes / bandwidth); 0 when unknown */
    double roof_fraction;          /* roof_us / median time; 0 when either is missing */
    double memory_us;              /* bytes / bandwidth; 0 when the bandwidth is unknown */
    double reorder_us;             /* untimed layout conversions; < 0 when none */
    double reorder_in_us, reorder_out_us; /* its two parts: NCHW in, back to NCHW */
    char layout_in[64], layout_out[64];   /* what run reads and writes; "" when unknown */
    char impl[160];                /* the implementation a library chose, if any */
    /* where the time went (src/phases.h), from the instrumented run after
     * the timed samples: per phase, and that run's wall time per run; a
     * variant without phase marks has phased false */
    bool phased;
    double phase_us[PHASE_COUNT];
    double phase_wall_us;
    char note[256];                /* why unsupported / error / mismatch / noisy */
};

struct result_set {
    struct result_row *rows;
    size_t count, capacity;
};

const char *row_status_name(enum row_status status);

/* Sets gflops and efficiency from the timing, the flops and the peak, and
 * the bound, roof_us and roof_fraction from those and bandwidth_gbs (0: not
 * measured). */
void row_set_speed(struct result_row *row, double bandwidth_gbs);

const char *row_bound_name(enum row_bound bound);

/* Whether the row is verified and timed: the rows charts and ratios use. */
bool row_measured(const struct result_row *row);

/* Appends a copy of row; -1 when out of memory. */
int result_set_add(struct result_set *set, const struct result_row *row);
void result_set_free(struct result_set *set);

/* The CSV header line, and one row as a CSV line (text fields quoted only
 * when they need it). */
void result_write_header(FILE *file);
void result_write_row(FILE *file, const struct result_row *row);

/* The phases table beside a result (<name>-phases.csv): a header, then per
 * phased row one line per phase it spent time in, and "other" (the
 * instrumented run's wall time not in any phase): config, layer, variant,
 * threads, batch, phase, time_us, share (of that wall time). Returns the
 * lines written. */
void result_write_phases_header(FILE *file);
size_t result_write_phases(FILE *file, const struct result_row *row);

/* Attaches the phases table at path to the rows of set it names (config,
 * layer, variant, threads, batch). Returns the rows given phases, or -1
 * with a message in error when the file is there but malformed; a missing
 * file gives 0. */
int result_set_load_phases(struct result_set *set, const char *path, char *error,
                           size_t error_size);

/* Loads a saved result: columns are found by name (so a CSV written before
 * a column was added still loads), every field is checked, and the cost
 * columns are computed again from the shape. On failure returns -1 with a
 * message naming the file, and the record and column, in error. */
int result_set_load(const char *path, struct result_set *set, char *error, size_t error_size);

#endif
