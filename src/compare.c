#include "compare.h"

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

/* A timed, verified row: its median and CV; false otherwise (or malformed). */
static bool timed_row(char **row, const int columns[COL_COUNT], double *median, double *cv)
{
    if (strcmp(row[columns[COL_STATUS]], "ok") != 0 || !row[columns[COL_MEDIAN]][0])
        return false;
    char *end;
    *median = strtod(row[columns[COL_MEDIAN]], &end);
    if (*end || !(*median > 0.0))
        return false;
    *cv = strtod(row[columns[COL_CV]], &end);
    if (*end || !(*cv >= 0.0))
        *cv = 0.0;
    return true;
}

static bool same_key(char **a, const int ca[COL_COUNT], char **b, const int cb[COL_COUNT])
{
    const int keys[] = {COL_CONFIG, COL_LAYER, COL_VARIANT, COL_THREADS};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        if (strcmp(a[ca[keys[k]]], b[cb[keys[k]]]) != 0)
            return false;
    return true;
}

int compare_results(const char *old_path, const char *new_path, FILE *out)
{
    struct csv_table old_table, new_table;
    int oc[COL_COUNT], nc[COL_COUNT];
    if (load(old_path, &old_table, oc) != 0)
        return 2;
    if (load(new_path, &new_table, nc) != 0) {
        csv_table_free(&old_table);
        return 2;
    }

    fprintf(out, "%s -> %s: time ratio old/new per row (>1: the new run is faster); '*' marks "
            "a change beyond twice the runs' combined noise (time_cv)\n", old_path, new_path);
    fprintf(out, "  %-12s %-18s %-16s %7s %12s %12s %8s\n", "config", "layer", "variant",
            "threads", "old us", "new us", "ratio");
    double log_sum = 0.0;
    size_t matched = 0, changed = 0;
    for (size_t i = 0; i < new_table.row_count; i++) {
        char **n = new_table.rows[i];
        double n_median, n_cv;
        if (!timed_row(n, nc, &n_median, &n_cv))
            continue;
        for (size_t j = 0; j < old_table.row_count; j++) {
            char **o = old_table.rows[j];
            double o_median, o_cv;
            if (!same_key(o, oc, n, nc) || !timed_row(o, oc, &o_median, &o_cv))
                continue;
            const double ratio = o_median / n_median;
            const double noise = sqrt(o_cv * o_cv + n_cv * n_cv);
            const bool significant = fabs(log(ratio)) > 2.0 * noise;
            fprintf(out, "  %-12s %-18s %-16s %7s %12.1f %12.1f %7.3fx%s\n", n[nc[COL_CONFIG]],
                    n[nc[COL_LAYER]], n[nc[COL_VARIANT]], n[nc[COL_THREADS]], o_median,
                    n_median, ratio, significant ? " *" : "");
            log_sum += log(ratio);
            matched++;
            changed += significant;
            break;
        }
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
    csv_table_free(&old_table);
    csv_table_free(&new_table);
    return status;
}
