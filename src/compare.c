#include "compare.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"

/* The columns a comparison needs. */
enum { COL_CONFIG, COL_LAYER, COL_VARIANT, COL_THREADS, COL_MEDIAN, COL_CV, COL_STATUS,
       COL_COUNT };
static const char *const needed[COL_COUNT] = {"config", "layer", "variant", "threads",
                                              "time_median_us", "time_cv", "status"};

static int load(const char *path, struct csv_table *t, int columns[COL_COUNT])
{
    char error[512];
    if (csv_table_read(path, t, error, sizeof error) != 0) {
        fprintf(stderr, "convbench: %s\n", error);
        return -1;
    }
    for (int c = 0; c < COL_COUNT; c++) {
        columns[c] = csv_table_column(t, needed[c]);
        if (columns[c] < 0) {
            fprintf(stderr, "convbench: %s: not a convbench result (no column '%s')\n", path,
                    needed[c]);
            csv_table_free(t);
            return -1;
        }
    }
    return 0;
}

/* A plain decimal number ("12.5", "1e3"): no hex, inf or nan, finite, and
 * normal unless zero. */
static bool parse_decimal(const char *text, double *value)
{
    if (!*text || strspn(text, "0123456789.eE+-") != strlen(text))
        return false;
    char *end;
    errno = 0;
    *value = strtod(text, &end);
    return !*end && errno == 0 && isfinite(*value) &&
           (*value == 0.0 || fabs(*value) >= DBL_MIN);
}

/* One side of a comparison: the table, its columns, and its rows sorted by
 * key (config, layer, variant, threads). */
struct side {
    const char *path;
    struct csv_table table;
    int columns[COL_COUNT];
    size_t *order;
};

static const struct side *sorting_side;

static int compare_keys(char **a, const int ca[COL_COUNT], char **b, const int cb[COL_COUNT])
{
    const int keys[] = {COL_CONFIG, COL_LAYER, COL_VARIANT, COL_THREADS};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        int c = strcmp(a[ca[keys[k]]], b[cb[keys[k]]]);
        if (c)
            return c;
    }
    return 0;
}

static int compare_rows(const void *a, const void *b)
{
    const struct side *s = sorting_side;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = compare_keys(s->table.rows[i], s->columns, s->table.rows[j], s->columns);
    return c ? c : (i > j) - (i < j);
}

/* Loads a side; every row's key must be unique, and the median and CV of
 * every ok row a plain positive decimal. */
static int load_side(struct side *s)
{
    if (load(s->path, &s->table, s->columns) != 0)
        return -1;
    const struct csv_table *t = &s->table;
    s->order = malloc((t->row_count ? t->row_count : 1) * sizeof *s->order);
    if (!s->order) {
        fprintf(stderr, "convbench: %s: out of memory\n", s->path);
        return -1;
    }
    for (size_t i = 0; i < t->row_count; i++) {
        s->order[i] = i;
        char **row = t->rows[i];
        double median, cv;
        if (strcmp(row[s->columns[COL_STATUS]], "ok") != 0 || !row[s->columns[COL_MEDIAN]][0])
            continue;
        if (!parse_decimal(row[s->columns[COL_MEDIAN]], &median) || !(median > 0.0)) {
            fprintf(stderr, "convbench: %s: record %zu: time_median_us = '%s' is not a positive "
                    "decimal number\n", s->path, i + 2, row[s->columns[COL_MEDIAN]]);
            return -1;
        }
        if (row[s->columns[COL_CV]][0] &&
            (!parse_decimal(row[s->columns[COL_CV]], &cv) || cv < 0.0)) {
            fprintf(stderr, "convbench: %s: record %zu: time_cv = '%s' is not a decimal number "
                    "of at least 0\n", s->path, i + 2, row[s->columns[COL_CV]]);
            return -1;
        }
    }
    sorting_side = s;
    qsort(s->order, t->row_count, sizeof *s->order, compare_rows);
    for (size_t k = 1; k < t->row_count; k++) {
        char **a = t->rows[s->order[k - 1]], **b = t->rows[s->order[k]];
        if (compare_keys(a, s->columns, b, s->columns) == 0) {
            fprintf(stderr, "convbench: %s: record %zu repeats record %zu (config %s, layer %s, "
                    "variant %s, threads %s)\n", s->path, s->order[k] + 2, s->order[k - 1] + 2,
                    b[s->columns[COL_CONFIG]], b[s->columns[COL_LAYER]],
                    b[s->columns[COL_VARIANT]], b[s->columns[COL_THREADS]]);
            return -1;
        }
    }
    return 0;
}

/* The row of s with the key of row (of the other side), or NULL. */
static char **find_row(const struct side *s, char **row, const int columns[COL_COUNT])
{
    size_t lo = 0, hi = s->table.row_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        char **candidate = s->table.rows[s->order[mid]];
        int c = compare_keys(candidate, s->columns, row, columns);
        if (c == 0)
            return candidate;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A timed, verified row: its median and CV (validated by load_side). */
static bool timed_row(char **row, const int columns[COL_COUNT], double *median, double *cv)
{
    if (strcmp(row[columns[COL_STATUS]], "ok") != 0 || !row[columns[COL_MEDIAN]][0])
        return false;
    *median = strtod(row[columns[COL_MEDIAN]], NULL);
    *cv = row[columns[COL_CV]][0] ? strtod(row[columns[COL_CV]], NULL) : 0.0;
    return true;
}

static void side_free(struct side *s)
{
    csv_table_free(&s->table);
    free(s->order);
}

int compare_results(const char *old_path, const char *new_path, FILE *out)
{
    struct side old_side = {.path = old_path}, new_side = {.path = new_path};
    if (load_side(&old_side) != 0 || load_side(&new_side) != 0) {
        side_free(&old_side);
        side_free(&new_side);
        return 2;
    }
    const int *nc = new_side.columns, *oc = old_side.columns;

    fprintf(out, "%s -> %s: time ratio old/new per row (>1: the new run is faster); '*' marks "
            "a change beyond twice the runs' combined noise (time_cv)\n", old_path, new_path);
    fprintf(out, "  %-12s %-18s %-16s %7s %12s %12s %8s\n", "config", "layer", "variant",
            "threads", "old us", "new us", "ratio");
    double log_sum = 0.0;
    size_t matched = 0, changed = 0;
    for (size_t i = 0; i < new_side.table.row_count; i++) {
        char **n = new_side.table.rows[i];
        double n_median, n_cv, o_median, o_cv;
        if (!timed_row(n, nc, &n_median, &n_cv))
            continue;
        char **o = find_row(&old_side, n, nc);
        if (!o || !timed_row(o, oc, &o_median, &o_cv))
            continue;
        const double ratio = o_median / n_median;
        const double noise = sqrt(o_cv * o_cv + n_cv * n_cv);
        const bool significant = fabs(log(ratio)) > 2.0 * noise;
        fprintf(out, "  %-12s %-18s %-16s %7s %12.1f %12.1f %7.3fx%s\n", n[nc[COL_CONFIG]],
                n[nc[COL_LAYER]], n[nc[COL_VARIANT]], n[nc[COL_THREADS]], o_median, n_median,
                ratio, significant ? " *" : "");
        log_sum += log(ratio);
        matched++;
        changed += significant;
    }
    int status = 0;
    if (!matched) {
        fprintf(stderr, "convbench: %s and %s share no timed row (same config, layer, variant "
                "and threads)\n", old_path, new_path);
        status = 2;
    } else {
        fprintf(out, "geometric mean over %zu rows: %.3fx; %zu beyond the noise\n", matched,
                exp(log_sum / (double)matched), changed);
    }
    side_free(&old_side);
    side_free(&new_side);
    return status;
}
