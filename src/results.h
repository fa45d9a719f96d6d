/* Result rows, the CSV they are written to (docs/DESIGN.md "Results"), and the
 * .meta file beside it. Files are written under a temporary name and renamed
 * into place only when complete, so a failed run never leaves a half-written
 * result nor destroys an earlier one. */
#ifndef CONVBENCH_RESULTS_H
#define CONVBENCH_RESULTS_H

#include <stdbool.h>
#include <stdio.h>

#include "layer.h"
#include "timing.h"
#include "verify.h"

enum row_status { ROW_OK, ROW_MISMATCH, ROW_UNSUPPORTED, ROW_ERROR };

struct result_row {
    const char *config;
    const struct conv_layer *layer;
    struct layer_cost cost;
    const char *variant;
    int threads;
    enum row_status status;
    bool verified;                 /* check holds a comparison */
    struct verify_result check;
    bool timed;                    /* timing holds samples */
    struct timing timing;
    double peak_gflops;            /* 0 when not measured */
    double reorder_us;             /* untimed layout conversions; < 0 when none */
    char impl[160];                /* the implementation a library chose, if any */
    char note[256];                /* why unsupported / error / mismatch */
};

const char *row_status_name(enum row_status status);

/* GFLOP/s from the median time and the nominal flops; 0 when untimed. */
double row_gflops(const struct result_row *row);

struct csv_sink {
    FILE *file;
    char *path;      /* final name, NULL for stdout */
    char *temp_path; /* where rows go until commit */
    size_t rows;
};

/* Opens path ("-" = stdout) and writes the header. On failure returns -1
 * with a message in error. */
int csv_sink_open(struct csv_sink *sink, const char *path, char *error, size_t error_size);
int csv_sink_write(struct csv_sink *sink, const struct result_row *row);
/* Flushes and renames the file into place (to final_path when not NULL,
 * instead of the path it was opened with). */
int csv_sink_commit(struct csv_sink *sink, const char *final_path, char *error,
                    size_t error_size);
/* Drops the temporary file; an existing result is left untouched. */
void csv_sink_abort(struct csv_sink *sink);

/* The .meta path beside a CSV path: "x.csv" -> "x.meta", else "x.meta" appended. */
char *meta_path_for(const char *csv_path);

/* Writes "key = value" lines atomically; lines is NUL-separated "key = value". */
int meta_write(const char *path, const char *const *lines, size_t count, char *error,
               size_t error_size);

/* Writes one field, quoted by libcsv only when it needs quoting. */
void csv_put_field(FILE *file, const char *text, bool last);

#endif
