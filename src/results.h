/* The result files: where -o sends a run's rows, the CSV sink they are
 * written to as they finish (src/resultset.h has the rows and the columns),
 * and the .meta committed with it. Files are written under a temporary name
 * and renamed into place only when complete, so a failed run never leaves a
 * half-written result nor destroys an earlier one, and the path -o names is
 * written through, never replaced by something else (see output_resolve). */
#ifndef CONVBENCH_RESULTS_H
#define CONVBENCH_RESULTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "resultset.h"

/* Where -o sends the result. */
enum output_kind {
    OUTPUT_STDOUT, /* "-" */
    OUTPUT_FILE,   /* a regular file, created or replaced whole, with a .meta beside it */
    OUTPUT_STREAM, /* an existing device, FIFO or socket: written in place, no .meta */
};

struct output_target {
    enum output_kind kind;
    char *path; /* FILE: the file itself, symlinks resolved; STREAM: the path given */
};

/* Decides where the result for path goes, before anything runs: "-" is
 * standard output; a symlink is followed to its target (created when
 * missing); an existing path that is not a regular file or a directory is
 * written in place. An empty path, a directory, or a file in a directory
 * that does not exist is bad usage: returns -1 with the message in error. */
int output_resolve(const char *path, struct output_target *target, char *error,
                   size_t error_size);
void output_free(struct output_target *target);

/* The result being written. Rows go to "<path>.convbench-<pid>-XXXXXX" beside
 * the final file, and reach it as they are finished; the commit writes the
 * .meta the same way, syncs both and then renames both, so that a CSV and
 * its .meta are replaced together or not at all. The .meta's csv_rows and
 * csv_bytes name the CSV it belongs to. The lock is held while a row is
 * written or the files are committed, so that the signal thread can save
 * the finished rows at any other moment. */
struct csv_sink {
    pthread_mutex_t lock;
    enum output_kind kind;
    FILE *file;
    char *path;         /* FILE: the final name */
    char *temp_path;    /* FILE: where rows go until the commit */
    char *partial_path; /* FILE: where an interrupted run's rows go */
    char *meta_lines;   /* '\n'-terminated "key = value" lines for an interrupted run */
    size_t rows;
    bool writing;       /* rows may still be written (not committed nor aborted) */
};

/* Opens the target and writes the header. A FILE target first removes the
 * temporary files that runs into the same path left when they were killed
 * (their process is gone), saying so on stderr. On failure returns -1 with
 * a message in error. */
int csv_sink_open(struct csv_sink *sink, const struct output_target *target, char *error,
                  size_t error_size);
int csv_sink_write(struct csv_sink *sink, const struct result_row *row);
/* The .meta lines an interrupted run's rows get if the run must stop at
 * once (csv_sink_save_partial); copied. */
int csv_sink_set_meta(struct csv_sink *sink, const char *const *lines, size_t count);
/* Completes a FILE result as a pair: the CSV and a .meta of the given lines
 * (plus csv_rows and csv_bytes), both written and synced, then both renamed
 * into place: to "<name>.partial.csv" and ".partial.meta" when partial. On
 * a failure neither earlier file is touched. Other targets are flushed. */
int csv_sink_commit(struct csv_sink *sink, bool partial, const char *const *meta_lines,
                    size_t meta_count, char *error, size_t error_size);
/* Drops the temporary file; an existing result is left untouched. */
void csv_sink_abort(struct csv_sink *sink);
/* For the signal thread, on a second signal: moves the rows finished so far
 * to the partial result with the meta lines set by csv_sink_set_meta, and
 * says so on stderr. Leaves the sink locked: the process is about to end. */
void csv_sink_save_partial(struct csv_sink *sink, int first_signal);

/* "x.csv" -> "x.partial.csv" (else ".partial" appended). */
char *partial_path_for(const char *path);

/* A file beside a result: its path without ".csv", then suffix ("x.csv",
 * "-phases.csv" -> "x-phases.csv"); malloc'd, NULL when out of memory. */
char *path_beside(const char *csv_path, const char *suffix);

/* The .meta path beside a CSV path: "x.csv" -> "x.meta", else "x.meta" appended. */
char *meta_path_for(const char *csv_path);

#endif
