/* The .meta file beside a result CSV: "key = value" lines that say on what
 * machine, with which build and options the rows were measured
 * (docs/DESIGN.md "Results"). Made here and read back here; results.c
 * commits it together with its CSV. */
#ifndef CONVBENCH_META_H
#define CONVBENCH_META_H

#include <stdbool.h>
#include <stddef.h>

#include "bench.h"

/* Lines, each allocated to its full length (config paths and the command
 * line have no length limit); a line that cannot be allocated sets failed,
 * and the run stops before committing. */
struct meta_lines {
    char **lines;
    size_t count, capacity;
    bool failed;
};

void meta_add(struct meta_lines *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void meta_free(struct meta_lines *m);

/* The lines of a run: date, machine, build, configs, command line, options,
 * the peaks and the bandwidth measured. config_path(configs, i) names the
 * i-th of config_count configs. */
void meta_describe_run(struct meta_lines *m, const struct bench_options *options,
                       double bandwidth_gbs, int argc, char **argv, size_t config_count,
                       const char *(*config_path)(const void *configs, size_t i),
                       const void *configs);

/* The number a key has in the .meta beside csv_path, or NaN when the file,
 * the key or a number is missing. */
double meta_read_number(const char *csv_path, const char *key);

/* Calls each(key, value, context) for every "key = value" line of the .meta
 * beside csv_path, in order (a line longer than 4 KiB is cut). Returns -1
 * when there is no such file. */
int meta_read_lines(const char *csv_path,
                    void (*each)(const char *key, const char *value, void *context),
                    void *context);

#endif
