#include "meta.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build_info.h"
#include "cpu.h"
#include "results.h"
#include "tensor.h"

static void meta_append(struct meta_lines *m, char *line)
{
    if (!line) {
        m->failed = true;
        return;
    }
    char **lines = array_grow(m->lines, &m->capacity, m->count, sizeof *lines, 32);
    if (!lines) {
        free(line);
        m->failed = true;
        return;
    }
    m->lines = lines;
    m->lines[m->count++] = line;
}

void meta_add(struct meta_lines *m, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int length = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    size_t prefix = strlen(key) + 3;
    char *line = length < 0 ? NULL : malloc(prefix + (size_t)length + 1);
    if (line) {
        snprintf(line, prefix + 1, "%s = ", key);
        va_start(ap, fmt);
        vsnprintf(line + prefix, (size_t)length + 1, fmt, ap);
        va_end(ap);
    }
    meta_append(m, line);
}

/* "key = a b c": the strings joined by spaces */
static void meta_add_joined(struct meta_lines *m, const char *key, size_t count,
                            const char *(*item)(const void *, size_t), const void *items)
{
    size_t size = strlen(key) + 4;
    for (size_t i = 0; i < count; i++)
        size += strlen(item(items, i)) + 1;
    char *line = malloc(size);
    if (line) {
        char *end = line + sprintf(line, "%s =", key);
        for (size_t i = 0; i < count; i++)
            end += sprintf(end, " %s", item(items, i));
    }
    meta_append(m, line);
}

static const char *argv_item(const void *items, size_t i)
{
    return ((char *const *)items)[i];
}

void meta_free(struct meta_lines *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->lines[i]);
    free(m->lines);
    *m = (struct meta_lines){0};
}

void meta_describe_run(struct meta_lines *m, const struct bench_options *o, double bandwidth,
                       int argc, char **argv, size_t config_count,
                       const char *(*config_path)(const void *configs, size_t i),
                       const void *configs)
{
    char text[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    meta_add(m, "date", "%s", text);
    meta_add(m, "convbench_version", "%s", CONVBENCH_VERSION);
    meta_add(m, "git_revision", "%s", CONVBENCH_REVISION);
    cpu_model_name(text, sizeof text);
    meta_add(m, "cpu_model", "%s", text);
    meta_add(m, "cores", "%d", omp_get_num_procs());
    meta_add(m, "isa", "%s", cpu_isa_name(cpu_best_isa()));
    meta_add(m, "compiler", "%s", CONVBENCH_COMPILER);
    meta_add(m, "compiler_flags", "%s", CONVBENCH_CFLAGS);
    meta_add(m, "libcsv_version", "%s", CONVBENCH_LIBCSV_VERSION);
    meta_add(m, "inih_version", "%s", CONVBENCH_INIH_VERSION);
    if (CONVBENCH_ONEDNN_VERSION[0])
        meta_add(m, "onednn_version", "%s", CONVBENCH_ONEDNN_VERSION);
    meta_add_joined(m, "configs", config_count, config_path, configs);
    meta_add_joined(m, "command", (size_t)argc, argv_item, argv);
    meta_add(m, "seed", "%" PRIu64, o->seed);
    meta_add(m, "mode", "%s", o->verify_only ? "verify-only" : "timed");
    meta_add(m, "min_time_s", "%g", o->timing.min_time);
    meta_add(m, "max_time_s", "%g", o->timing.max_time);
    meta_add(m, "reps", "%d", o->timing.reps);
    meta_add(m, "max_cv", "%g", o->timing.max_cv);
    meta_add(m, "max_rounds", "%d", o->timing.max_rounds);
    meta_add(m, "cold_cache", "%s", o->timing.cold_cache ? "true" : "false");
    for (size_t i = 0; i < o->thread_count; i++) {
        char key[64];
        snprintf(key, sizeof key, "peak_gflops_%dt", o->threads[i]);
        if (o->peak_gflops)
            meta_add(m, key, "%.1f", o->peak_gflops[i]);
    }
    if (bandwidth > 0.0)
        meta_add(m, "bandwidth_gbs", "%.1f", bandwidth);
}


int meta_read_lines(const char *csv_path,
                    void (*each)(const char *key, const char *value, void *context),
                    void *context)
{
    char *path = meta_path_for(csv_path);
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return -1;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *equals = strstr(line, " = ");
        if (!equals)
            continue;
        *equals = '\0';
        each(line, equals + 3, context);
    }
    fclose(f);
    return 0;
}

double meta_read_number(const char *csv_path, const char *key)
{
    char *path = meta_path_for(csv_path);
    FILE *f = path ? fopen(path, "r") : NULL;
    double value = NAN;
    char line[512];
    const size_t length = strlen(key);
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, length) != 0 || strncmp(line + length, " = ", 3) != 0)
            continue;
        char *end;
        const double v = strtod(line + length + 3, &end);
        value = end != line + length + 3 ? v : NAN;
    }
    if (f)
        fclose(f);
    free(path);
    return value;
}
