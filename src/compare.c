#include "compare.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "resultset.h"

/* One side of a comparison: its rows, and their indices sorted by key
 * (config, layer, batch, variant, threads). */
struct side {
    const char *path;
    struct result_set set;
    size_t *order;
};

static int compare_keys(const struct result_row *a, const struct result_row *b)
{
    int c = strcmp(a->config, b->config);
    if (!c)
        c = strcmp(a->layer.name, b->layer.name);
    if (!c)
        c = (a->layer.batch > b->layer.batch) - (a->layer.batch < b->layer.batch);
    if (!c)
        c = strcmp(a->variant, b->variant);
    if (!c)
        c = (a->threads > b->threads) - (a->threads < b->threads);
    return c;
}

/* A row's relative noise: its spread, or its CV for a result written before
 * the time_spread column existed. */
static double row_noise(const struct result_row *r)
{
    return r->timing.spread >= 0.0 ? r->timing.spread : r->timing.cv;
}

static const struct side *sorting_side;

static int compare_rows(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const int c = compare_keys(&sorting_side->set.rows[i], &sorting_side->set.rows[j]);
    return c ? c : (i > j) - (i < j);
}

/* Loads a side (the loader checks every field); every row's key must be
 * unique. */
static int load_side(struct side *s)
{
    char error[512];
    if (result_set_load(s->path, &s->set, error, sizeof error) != 0) {
        fprintf(stderr, "convbench: %s\n", error);
        return -1;
    }
    const size_t n = s->set.count;
    s->order = malloc((n ? n : 1) * sizeof *s->order);
    if (!s->order) {
        fprintf(stderr, "convbench: %s: out of memory\n", s->path);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        s->order[i] = i;
    sorting_side = s;
    qsort(s->order, n, sizeof *s->order, compare_rows);
    for (size_t k = 1; k < n; k++) {
        const struct result_row *a = &s->set.rows[s->order[k - 1]], *b = &s->set.rows[s->order[k]];
        if (compare_keys(a, b) == 0) {
            /* record numbers count the header as record 1 */
            fprintf(stderr, "convbench: %s: record %zu repeats record %zu (config %s, layer %s, "
                    "variant %s, threads %d)\n", s->path, s->order[k] + 2, s->order[k - 1] + 2,
                    b->config, b->layer.name, b->variant, b->threads);
            return -1;
        }
    }
    return 0;
}

/* The row of s with the key of row (of the other side), or NULL. */
static const struct result_row *find_row(const struct side *s, const struct result_row *row)
{
    size_t lo = 0, hi = s->set.count;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const struct result_row *candidate = &s->set.rows[s->order[mid]];
        const int c = compare_keys(candidate, row);
        if (c == 0)
            return candidate;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void side_free(struct side *s)
{
    result_set_free(&s->set);
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

    fprintf(out, "%s -> %s: time ratio old/new per row (>1: the new run is faster); '*' marks "
            "a change beyond twice the runs' combined noise (time_spread, else time_cv)\n", old_path, new_path);
    fprintf(out, "  %-12s %-18s %-16s %7s %12s %12s %8s\n", "config", "layer", "variant",
            "threads", "old us", "new us", "ratio");
    double log_sum = 0.0;
    size_t matched = 0, changed = 0;
    for (size_t i = 0; i < new_side.set.count; i++) {
        const struct result_row *n = &new_side.set.rows[i];
        if (!row_measured(n))
            continue;
        const struct result_row *o = find_row(&old_side, n);
        if (!o || !row_measured(o))
            continue;
        const double ratio = o->timing.median_us / n->timing.median_us;
        const double noise = hypot(row_noise(o), row_noise(n));
        const bool significant = fabs(log(ratio)) > 2.0 * noise;
        fprintf(out, "  %-12s %-18s %-16s %7d %12.1f %12.1f %7.3fx%s\n", n->config,
                n->layer.name, n->variant, n->threads, o->timing.median_us, n->timing.median_us,
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
