#include "plotdata.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "results.h"

/* One result row, as the plots need it. */
struct point {
    const char *config, *layer, *kind, *block, *variant;
    int threads;
    double macs, flops, bytes, time_us, gflops, efficiency, peak;
    int repeat;
    bool ok; /* verified and timed */
};

struct data {
    struct point *points;
    size_t count;
    const char **variants; /* in first-seen order */
    size_t variant_count;
    const char **layers;   /* "config/layer" keys, in first-seen order */
    size_t layer_count;
    int top_threads;       /* the largest thread count in the file */
    int threads[16];
    size_t thread_count;
};

static const char *const kinds[] = {"regular", "grouped", "depthwise", "pointwise"};
#define KIND_COUNT 4

static double number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    return end != s && !*end ? v : NAN;
}

static double number_prefix(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    return end != s ? v : NAN;
}

static size_t intern(const char ***list, size_t *count, const char *s)
{
    for (size_t i = 0; i < *count; i++)
        if (strcmp((*list)[i], s) == 0)
            return i;
    const char **grown = realloc(*list, (*count + 1) * sizeof *grown);
    if (!grown)
        return (size_t)-1;
    *list = grown;
    (*list)[*count] = s;
    return (*count)++;
}

static int load(const char *path, struct csv_table *t, struct data *d)
{
    char error[512];
    if (csv_table_read(path, t, error, sizeof error) != 0) {
        fprintf(stderr, "convbench: %s\n", error);
        return -1;
    }
    static const char *const names[] = {"config", "layer", "kind", "block", "variant",
                                        "threads", "macs", "flops", "bytes", "time_median_us",
                                        "gflops", "efficiency", "peak_gflops", "repeat",
                                        "status"};
    enum { N = sizeof names / sizeof *names };
    int col[N];
    for (int c = 0; c < N; c++)
        if ((col[c] = csv_table_column(t, names[c])) < 0) {
            fprintf(stderr, "convbench: %s: not a convbench result (no column '%s')\n", path,
                    names[c]);
            return -1;
        }
    d->points = calloc(t->row_count ? t->row_count : 1, sizeof *d->points);
    if (!d->points)
        return -1;
    for (size_t i = 0; i < t->row_count; i++) {
        char **r = t->rows[i];
        struct point *p = &d->points[d->count++];
        *p = (struct point){
            .config = r[col[0]], .layer = r[col[1]], .kind = r[col[2]], .block = r[col[3]],
            .variant = r[col[4]], .threads = atoi(r[col[5]]), .macs = number(r[col[6]]),
            .flops = number(r[col[7]]), .bytes = number(r[col[8]]),
            .time_us = number(r[col[9]]), .gflops = number(r[col[10]]),
            .efficiency = number(r[col[11]]), .peak = number(r[col[12]]),
            .repeat = atoi(r[col[13]]),
        };
        p->ok = strcmp(r[col[14]], "ok") == 0 && p->time_us > 0.0;
        intern(&d->variants, &d->variant_count, p->variant);
        bool seen = false;
        for (size_t k = 0; k < d->thread_count; k++)
            seen |= d->threads[k] == p->threads;
        if (!seen && d->thread_count < 16)
            d->threads[d->thread_count++] = p->threads;
        if (p->threads > d->top_threads)
            d->top_threads = p->threads;
    }
    /* variants with no verified, timed row at the top thread count would
     * only be empty columns: leave them out of the charts */
    size_t kept = 0;
    for (size_t v = 0; v < d->variant_count; v++) {
        bool any = false;
        for (size_t i = 0; i < d->count && !any; i++)
            any = d->points[i].ok && d->points[i].threads == d->top_threads &&
                  strcmp(d->points[i].variant, d->variants[v]) == 0;
        if (any)
            d->variants[kept++] = d->variants[v];
    }
    d->variant_count = kept;
    /* layer keys point into a buffer per row: config and layer joined */
    for (size_t i = 0; i < d->count; i++) {
        struct point *p = &d->points[i];
        bool seen = false;
        for (size_t k = 0; k < d->layer_count && !seen; k++) {
            const char *key = d->layers[k];
            size_t cl = strlen(p->config);
            seen = strncmp(key, p->config, cl) == 0 && key[cl] == '/' &&
                   strcmp(key + cl + 1, p->layer) == 0;
        }
        if (!seen) {
            size_t size = strlen(p->config) + strlen(p->layer) + 2;
            char *key = malloc(size);
            if (!key)
                return -1;
            snprintf(key, size, "%s/%s", p->config, p->layer);
            intern(&d->layers, &d->layer_count, key);
        }
    }
    return 0;
}

static const struct point *find(const struct data *d, const char *config, const char *layer,
                                const char *variant, int threads)
{
    for (size_t i = 0; i < d->count; i++) {
        const struct point *p = &d->points[i];
        if (p->threads == threads && strcmp(p->config, config) == 0 &&
            strcmp(p->layer, layer) == 0 && strcmp(p->variant, variant) == 0)
            return p;
    }
    return NULL;
}

/* The fastest verified row of a layer at a thread count, or NULL. */
static const struct point *fastest(const struct data *d, const char *config, const char *layer,
                                   int threads)
{
    const struct point *best = NULL;
    for (size_t i = 0; i < d->count; i++) {
        const struct point *p = &d->points[i];
        if (p->ok && p->threads == threads && strcmp(p->config, config) == 0 &&
            strcmp(p->layer, layer) == 0 && (!best || p->time_us < best->time_us))
            best = p;
    }
    return best;
}

static void split_key(const char *key, char *config, char *layer, size_t size)
{
    const char *slash = strchr(key, '/');
    snprintf(config, size, "%.*s", (int)(slash - key), key);
    snprintf(layer, size, "%s", slash + 1);
}

static FILE *open_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "convbench: %s: cannot write: %s\n", path, strerror(errno));
    return f;
}

/* layers.dat: per layer, GFLOP/s of each variant (top thread count). */
static void write_layers(FILE *f, const struct data *d)
{
    fprintf(f, "layer");
    for (size_t v = 0; v < d->variant_count; v++)
        fprintf(f, " %s", d->variants[v]);
    fputc('\n', f);
    for (size_t k = 0; k < d->layer_count; k++) {
        char config[256], layer[256];
        split_key(d->layers[k], config, layer, sizeof config);
        fprintf(f, "%s", layer);
        for (size_t v = 0; v < d->variant_count; v++) {
            const struct point *p = find(d, config, layer, d->variants[v], d->top_threads);
            if (p && p->ok)
                fprintf(f, " %.3f", p->gflops);
            else
                fprintf(f, " NaN");
        }
        fputc('\n', f);
    }
}

/* kinds.dat: mean efficiency per kind (and per depthwise-separable block), for
 * the fastest variant of each layer and for each variant. */
static void write_kinds(FILE *f, const struct data *d)
{
    fprintf(f, "kind fastest");
    for (size_t v = 0; v < d->variant_count; v++)
        fprintf(f, " %s", d->variants[v]);
    fputc('\n', f);
    for (int kind = 0; kind <= KIND_COUNT; kind++) {
        fprintf(f, "%s", kind < KIND_COUNT ? kinds[kind] : "separable-block");
        for (int v = -1; v < (int)d->variant_count; v++) {
            double sum = 0.0;
            int n = 0;
            for (size_t k = 0; k < d->layer_count; k++) {
                char config[256], layer[256];
                split_key(d->layers[k], config, layer, sizeof config);
                const struct point *p =
                    v < 0 ? fastest(d, config, layer, d->top_threads)
                          : find(d, config, layer, d->variants[v], d->top_threads);
                if (!p || !p->ok || !(p->peak > 0.0))
                    continue;
                if (kind < KIND_COUNT) {
                    if (strcmp(p->kind, kinds[kind]) != 0)
                        continue;
                    sum += p->efficiency;
                    n++;
                } else if (p->block[0] && strcmp(p->kind, "depthwise") == 0) {
                    /* a block: its summed flops over its summed time */
                    double flops = 0.0, time = 0.0;
                    bool complete = true;
                    for (size_t j = 0; j < d->layer_count; j++) {
                        char c2[256], l2[256];
                        split_key(d->layers[j], c2, l2, sizeof c2);
                        const struct point *q =
                            v < 0 ? fastest(d, c2, l2, d->top_threads)
                                  : find(d, c2, l2, d->variants[v], d->top_threads);
                        const struct point *any = find(d, c2, l2, p->variant, d->top_threads);
                        const char *block = q ? q->block : any ? any->block : "";
                        if (strcmp(c2, config) != 0 || strcmp(block, p->block) != 0)
                            continue;
                        if (!q || !q->ok) {
                            complete = false;
                            continue;
                        }
                        flops += q->flops;
                        time += q->time_us;
                    }
                    if (complete && time > 0.0) {
                        sum += flops / (time * 1e3) / p->peak;
                        n++;
                    }
                }
            }
            fprintf(f, n ? " %.4f" : " NaN", n ? sum / n : 0.0);
        }
        fputc('\n', f);
    }
}

/* points.dat: MACs, time and GFLOP/s of every verified row (top thread
 * count), one gnuplot index block per kind. roofline uses the same rows. */
static void write_points(FILE *f, const struct data *d, char *present, size_t size)
{
    present[0] = '\0';
    for (int kind = 0; kind < KIND_COUNT; kind++) {
        fprintf(f, "# %s\nmacs time_us gflops intensity variant layer\n", kinds[kind]);
        int n = 0;
        for (size_t i = 0; i < d->count; i++) {
            const struct point *p = &d->points[i];
            if (!p->ok || p->threads != d->top_threads || strcmp(p->kind, kinds[kind]) != 0)
                continue;
            fprintf(f, "%.0f %.3f %.3f %.4f %s %s\n", p->macs, p->time_us, p->gflops,
                    p->flops / p->bytes, p->variant, p->layer);
            n++;
        }
        if (!n) /* keep the index numbering: an empty block still needs a row */
            fprintf(f, "NaN NaN NaN NaN - -\n");
        else
            snprintf(present + strlen(present), size - strlen(present), "%s%d",
                     present[0] ? " " : "", kind);
        fprintf(f, "\n\n");
    }
}

/* separable.dat: for families <prefix>_regular / <prefix>_gG / a block of
 * <prefix>_dw + <prefix>_pw, each form's MAC saving and measured speed-up
 * over the regular layer, both from the fastest verified variant per layer. */
static int write_separable(FILE *f, const struct data *d, char *names, size_t size)
{
    names[0] = '\0';
    fprintf(f, "family index form saving speedup\n");
    int rows = 0, families = 0;
    for (size_t k = 0; k < d->layer_count; k++) {
        char config[256], layer[256];
        split_key(d->layers[k], config, layer, sizeof config);
        const char *suffix = strstr(layer, "_regular");
        if (!suffix || suffix[8])
            continue;
        const size_t prefix = (size_t)(suffix - layer);
        const struct point *reg = fastest(d, config, layer, d->top_threads);
        if (!reg)
            continue;
        families++;
        snprintf(names + strlen(names), size - strlen(names), "%s%.*s", names[0] ? " " : "",
                 (int)prefix, layer);
        /* grouped forms, then the separable block */
        double block_macs = 0.0, block_time = 0.0;
        bool block_complete = true;
        int block_members = 0;
        for (size_t j = 0; j < d->layer_count; j++) {
            char c2[256], l2[256];
            split_key(d->layers[j], c2, l2, sizeof c2);
            if (strcmp(c2, config) != 0 || strncmp(l2, layer, prefix) != 0 ||
                l2[prefix] != '_' || j == k)
                continue;
            const struct point *p = fastest(d, c2, l2, d->top_threads);
            const char *form = l2 + prefix + 1;
            if (form[0] == 'g' && form[1] >= '0' && form[1] <= '9') {
                if (p) {
                    fprintf(f, "%.*s %d %s %.3f %.3f\n", (int)prefix, layer, families, form,
                            reg->macs / p->macs, reg->time_us / p->time_us);
                    rows++;
                }
            } else if (strcmp(form, "dw") == 0 || strcmp(form, "pw") == 0) {
                block_members++;
                if (!p) {
                    block_complete = false;
                    continue;
                }
                block_macs += p->macs;
                block_time += p->time_us;
            }
        }
        if (block_members == 2 && block_complete && block_time > 0.0) {
            fprintf(f, "%.*s %d dw+pw %.3f %.3f\n", (int)prefix, layer, families,
                    reg->macs / block_macs,
                    reg->time_us / block_time);
            rows++;
        }
    }
    return rows;
}

/* threads.dat: per thread count, each variant's geometric-mean speed-up
 * over the smallest thread count, on the layers timed at both. */
static void write_threads(FILE *f, const struct data *d)
{
    int base = d->threads[0];
    for (size_t t = 0; t < d->thread_count; t++)
        if (d->threads[t] < base)
            base = d->threads[t];
    fprintf(f, "threads");
    for (size_t v = 0; v < d->variant_count; v++)
        fprintf(f, " %s", d->variants[v]);
    fputc('\n', f);
    /* ascending thread counts */
    int sorted[16];
    size_t n = d->thread_count;
    memcpy(sorted, d->threads, n * sizeof *sorted);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (size_t t = 0; t < n; t++) {
        fprintf(f, "%d", sorted[t]);
        for (size_t v = 0; v < d->variant_count; v++) {
            double log_sum = 0.0;
            int count = 0;
            for (size_t k = 0; k < d->layer_count; k++) {
                char config[256], layer[256];
                split_key(d->layers[k], config, layer, sizeof config);
                const struct point *a = find(d, config, layer, d->variants[v], base);
                const struct point *b = find(d, config, layer, d->variants[v], sorted[t]);
                if (a && b && a->ok && b->ok) {
                    log_sum += log(a->time_us / b->time_us);
                    count++;
                }
            }
            fprintf(f, count ? " %.3f" : " NaN", count ? exp(log_sum / count) : 0.0);
        }
        fputc('\n', f);
    }
}

/* bandwidth_gbs from the .meta beside the CSV, or NaN. */
static double meta_bandwidth(const char *csv_path)
{
    char *path = meta_path_for(csv_path);
    FILE *f = path ? fopen(path, "r") : NULL;
    double bandwidth = NAN;
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "bandwidth_gbs = ", 16) == 0)
            bandwidth = number_prefix(line + 16);
    if (f)
        fclose(f);
    free(path);
    return bandwidth;
}

int plot_data_write(const char *csv_path, const char *dir)
{
    struct csv_table table;
    struct data d = {0};
    int status = 2;
    if (load(csv_path, &table, &d) != 0)
        goto done;
    if (!d.count) {
        fprintf(stderr, "convbench: %s: no rows to plot\n", csv_path);
        goto done;
    }
    double peak = NAN;
    /* the GFLOP/s chart's log axis starts at 1, or at the power of ten
     * below the slowest layer when one runs under 1 GFLOP/s (a naive loop
     * in a sanitizer build) */
    double gflops_floor = 1.0;
    for (size_t i = 0; i < d.count; i++) {
        const struct point *p = &d.points[i];
        if (p->threads != d.top_threads)
            continue;
        if (p->peak > 0.0)
            peak = p->peak;
        if (p->ok && p->gflops > 0.0 && p->gflops < gflops_floor)
            gflops_floor = pow(10.0, floor(log10(p->gflops)));
    }

    FILE *f;
    if (!(f = open_in(dir, "layers.dat")))
        goto done;
    write_layers(f, &d);
    fclose(f);
    if (!(f = open_in(dir, "kinds.dat")))
        goto done;
    write_kinds(f, &d);
    fclose(f);
    if (!(f = open_in(dir, "points.dat")))
        goto done;
    char kinds_present[32];
    write_points(f, &d, kinds_present, sizeof kinds_present);
    fclose(f);
    if (!(f = open_in(dir, "separable.dat")))
        goto done;
    char families[512];
    int separable_rows = write_separable(f, &d, families, sizeof families);
    fclose(f);
    if (!(f = open_in(dir, "threads.dat")))
        goto done;
    write_threads(f, &d);
    fclose(f);
    if (!(f = open_in(dir, "params.gp")))
        goto done;
    fprintf(f, "threads = %d\nthread_counts = %zu\nvariants = %zu\nlayers = %zu\n"
            "separable_rows = %d\n", d.top_threads, d.thread_count, d.variant_count,
            d.layer_count, separable_rows);
    fprintf(f, isnan(peak) ? "peak = NaN\n" : "peak = %.3f\n", peak);
    fprintf(f, "gflops_floor = %g\n", gflops_floor);
    const double bandwidth = meta_bandwidth(csv_path);
    fprintf(f, isnan(bandwidth) ? "bandwidth = NaN\n" : "bandwidth = %.3f\n", bandwidth);
    fprintf(f, "config = \"%s\"\nkinds_present = \"%s\"\nfamilies = \"%s\"\n",
            d.points[0].config, kinds_present, families);
    fclose(f);
    status = 0;
done:
    for (size_t i = 0; i < d.layer_count; i++)
        free((char *)d.layers[i]);
    free(d.layers);
    free(d.variants);
    free(d.points);
    csv_table_free(&table);
    return status;
}
