#include "plotdata.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "meta.h"

#define PLOT_BATCHES_MAX 64

/* What the charts show: the grid at the largest thread count, and the
 * variants that have a measured row there (the others would only be empty
 * columns). */
struct view {
    const struct result_set *set;
    struct result_grid grid;
    size_t top;        /* grid index of the largest thread count */
    int *shown;        /* grid indices of the variants shown */
    size_t shown_count;
    int64_t batches[PLOT_BATCHES_MAX]; /* the distinct batch sizes, ascending */
    size_t batch_count; /* at most PLOT_BATCHES_MAX (more are not drawn) */
};

static const enum layer_kind kind_order[] = {LAYER_REGULAR, LAYER_GROUPED, LAYER_DEPTHWISE,
                                             LAYER_POINTWISE};
#define KIND_COUNT 4

static int view_build(struct view *w, const struct result_set *set)
{
    *w = (struct view){.set = set};
    if (result_grid_build(&w->grid, set->rows, set->count) != 0)
        return -1;
    const struct result_grid *g = &w->grid;
    for (size_t t = 1; t < g->thread_count; t++)
        if (g->threads[t] > g->threads[w->top])
            w->top = t;
    w->shown = malloc((g->variant_count ? g->variant_count : 1) * sizeof *w->shown);
    if (!w->shown)
        return -1;
    for (size_t v = 0; v < g->variant_count; v++) {
        bool any = false;
        for (size_t l = 0; l < g->layer_count && !any; l++)
            any = grid_measured(g, l, w->top, v) != NULL;
        if (any)
            w->shown[w->shown_count++] = (int)v;
    }
    w->batch_count = grid_batches(g, w->batches, PLOT_BATCHES_MAX);
    if (w->batch_count > PLOT_BATCHES_MAX)
        w->batch_count = PLOT_BATCHES_MAX;
    return 0;
}

static void view_free(struct view *w)
{
    result_grid_free(&w->grid);
    free(w->shown);
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

static void write_variant_header(FILE *f, const char *first, const struct view *w)
{
    fprintf(f, "%s", first);
    for (size_t i = 0; i < w->shown_count; i++)
        fprintf(f, " %s", w->grid.variants[w->shown[i]]);
    fputc('\n', f);
}

/* layers.dat: per layer, GFLOP/s of each variant (top thread count). */
static void write_layers(FILE *f, const struct view *w)
{
    write_variant_header(f, "layer", w);
    for (size_t l = 0; l < w->grid.layer_count; l++) {
        const struct conv_layer *layer = &w->grid.layers[l]->layer;
        /* a batch sweep holds each layer once per batch */
        if (w->batch_count > 1)
            fprintf(f, "%s@%lld", layer->name, (long long)layer->batch);
        else
            fprintf(f, "%s", layer->name);
        for (size_t i = 0; i < w->shown_count; i++) {
            const struct result_row *r = grid_measured(&w->grid, l, w->top, (size_t)w->shown[i]);
            if (r)
                fprintf(f, " %.3f", r->gflops);
            else
                fprintf(f, " NaN");
        }
        fputc('\n', f);
    }
}

/* The mean efficiency over the layers of a kind (kind < KIND_COUNT) or over
 * the depthwise-separable blocks (a block: its summed flops over its summed
 * time), of variant (or of each layer's fastest); NaN when there is none. */
static double mean_efficiency(const struct view *w, int kind, int variant)
{
    const struct result_grid *g = &w->grid;
    double sum = 0.0;
    int n = 0;
    for (size_t l = 0; l < g->layer_count; l++) {
        const struct result_row *r = grid_pick(g, l, w->top, variant);
        if (!r || !(r->peak_gflops > 0.0))
            continue;
        if (kind < KIND_COUNT) {
            if (layer_kind(&r->layer) == kind_order[kind]) {
                sum += r->efficiency;
                n++;
            }
        } else if (r->layer.block[0] && layer_kind(&r->layer) == LAYER_DEPTHWISE) {
            const struct grid_total t = grid_block_total(g, l, w->top, variant);
            if (t.measured == t.layers && t.time_us > 0.0) {
                sum += t.flops / (t.time_us * 1e3) / r->peak_gflops;
                n++;
            }
        }
    }
    return n ? sum / n : NAN;
}

/* kinds.dat: mean efficiency per kind (and per depthwise-separable block),
 * for the fastest variant of each layer and for each variant. */
static void write_kinds(FILE *f, const struct view *w)
{
    write_variant_header(f, "kind fastest", w);
    for (int kind = 0; kind <= KIND_COUNT; kind++) {
        fprintf(f, "%s", kind < KIND_COUNT ? layer_kind_name(kind_order[kind]) : "separable-block");
        for (int i = -1; i < (int)w->shown_count; i++) {
            const double e = mean_efficiency(w, kind, i < 0 ? GRID_FASTEST : w->shown[i]);
            fprintf(f, isnan(e) ? " NaN" : " %.4f", e);
        }
        fputc('\n', f);
    }
}

/* points.dat: MACs, time and GFLOP/s of every measured row (top thread
 * count), one gnuplot index block per kind. roofline uses the same rows. */
static void write_points(FILE *f, const struct view *w, char *present, size_t size)
{
    const int top = w->grid.threads[w->top];
    present[0] = '\0';
    for (int kind = 0; kind < KIND_COUNT; kind++) {
        fprintf(f, "# %s\nmacs time_us gflops intensity variant layer\n",
                layer_kind_name(kind_order[kind]));
        int n = 0;
        for (size_t i = 0; i < w->set->count; i++) {
            const struct result_row *r = &w->set->rows[i];
            if (!row_measured(r) || r->threads != top || layer_kind(&r->layer) != kind_order[kind])
                continue;
            fprintf(f, "%.0f %.3f %.3f %.4f %s %s\n", (double)r->cost.macs, r->timing.median_us,
                    r->gflops, (double)r->cost.flops / (double)r->cost.bytes, r->variant,
                    r->layer.name);
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

/* separable.dat: each form of each family (grid_separable_families) with
 * its MAC saving and measured speed-up; names gets the families' prefixes. */
struct separable_out {
    FILE *file;
    const struct result_grid *grid;
    char *names;
    size_t size;
    int families, rows;
};

static void write_family(const struct grid_family *family, void *context)
{
    struct separable_out *o = context;
    const char *layer = o->grid->layers[family->regular]->layer.name;
    o->families++;
    snprintf(o->names + strlen(o->names), o->size - strlen(o->names), "%s%.*s",
             o->names[0] ? " " : "", family->prefix_length, layer);
    for (size_t i = 0; i < family->form_count; i++) {
        const struct grid_form *form = &family->forms[i];
        fprintf(o->file, "%.*s %d %s %.3f %.3f\n", family->prefix_length, layer, o->families,
                form->name, form->saving, form->speedup);
        o->rows++;
    }
}

static int write_separable(FILE *f, const struct view *w, char *names, size_t size)
{
    names[0] = '\0';
    fprintf(f, "family index form saving speedup\n");
    struct separable_out out = {f, &w->grid, names, size, 0, 0};
    grid_separable_families(&w->grid, w->top, write_family, &out);
    return out.rows;
}

static int compare_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* threads.dat: per thread count, each variant's geometric-mean speed-up
 * over the smallest thread count, on the layers measured at both. */
static void write_threads(FILE *f, const struct view *w)
{
    const struct result_grid *g = &w->grid;
    write_variant_header(f, "threads", w);
    int sorted[64];
    const size_t n = g->thread_count < 64 ? g->thread_count : 64;
    memcpy(sorted, g->threads, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_int);
    const size_t base = (size_t)grid_thread_index(g, sorted[0]);
    for (size_t t = 0; t < n; t++) {
        fprintf(f, "%d", sorted[t]);
        for (size_t i = 0; i < w->shown_count; i++) {
            size_t compared;
            const double speedup = grid_thread_speedup(
                g, (size_t)w->shown[i], base, (size_t)grid_thread_index(g, sorted[t]), &compared);
            fprintf(f, compared ? " %.3f" : " NaN", speedup);
        }
        fputc('\n', f);
    }
}

/* A variant's throughput over every layer run at batch b, in images per
 * second (NaN unless each of them was timed). */
static double throughput(const struct view *w, int variant, int64_t b)
{
    const struct grid_total t = grid_batch_total(&w->grid, w->top, variant, b);
    return t.layers && t.measured == t.layers && t.time_us > 0.0 ? (double)b * 1e6 / t.time_us
                                                                 : NAN;
}

/* batch.dat: per batch size, the images per second through every layer of
 * the best-of schedule and of each variant that ran every layer at some
 * batch (returns how many); title gets the chart's finding. */
static int write_batches(FILE *f, const struct view *w, char *title, size_t size)
{
    enum { COLUMNS_MAX = 64 }; /* series a chart can tell apart, and more */
    int columns[COLUMNS_MAX], n = 0;
    columns[n++] = GRID_FASTEST;
    for (size_t i = 0; i < w->shown_count && n < COLUMNS_MAX; i++) {
        bool complete = false;
        for (size_t b = 0; b < w->batch_count && !complete; b++)
            complete = !isnan(throughput(w, w->shown[i], w->batches[b]));
        if (complete)
            columns[n++] = w->shown[i];
    }
    fprintf(f, "batch best-of");
    for (int c = 1; c < n; c++)
        fprintf(f, " %s", w->grid.variants[columns[c]]);
    fputc('\n', f);
    for (size_t b = 0; b < w->batch_count; b++) {
        fprintf(f, "%lld", (long long)w->batches[b]);
        for (int c = 0; c < n; c++) {
            const double ips = throughput(w, columns[c], w->batches[b]);
            fprintf(f, isnan(ips) ? " NaN" : " %.2f", ips);
        }
        fputc('\n', f);
    }
    title[0] = '\0';
    if (w->batch_count < 2)
        return n - 1;
    const int64_t first = w->batches[0], last = w->batches[w->batch_count - 1];
    const double low = throughput(w, GRID_FASTEST, first), high = throughput(w, GRID_FASTEST, last);
    if (isnan(low) || isnan(high))
        snprintf(title, size, "images per second against the batch size");
    else
        snprintf(title, size, "batch %lld runs %.2fx the images per second of batch %lld "
                 "(best-of: %.0f against %.0f)", (long long)last, high / low, (long long)first,
                 high, low);
    return n - 1;
}

/* params.gp: what the chart scripts need besides the tables. */
static void write_params(FILE *f, const struct view *w, double bandwidth, int separable_rows,
                         const char *kinds_present, const char *families,
                         const char *batch_title, int batch_variants)
{
    const int top = w->grid.threads[w->top];
    double peak = NAN;
    /* the GFLOP/s chart's log axis starts at 1, or at the power of ten
     * below the slowest layer when one runs under 1 GFLOP/s (a naive loop
     * in a sanitizer build) */
    double gflops_floor = 1.0;
    for (size_t i = 0; i < w->set->count; i++) {
        const struct result_row *r = &w->set->rows[i];
        if (r->threads != top)
            continue;
        if (r->peak_gflops > 0.0)
            peak = r->peak_gflops;
        if (row_measured(r) && r->gflops > 0.0 && r->gflops < gflops_floor)
            gflops_floor = pow(10.0, floor(log10(r->gflops)));
    }
    fprintf(f, "threads = %d\nthread_counts = %zu\nvariants = %zu\nlayers = %zu\n"
            "separable_rows = %d\n", top, w->grid.thread_count, w->shown_count,
            w->grid.layer_count, separable_rows);
    fprintf(f, isnan(peak) ? "peak = NaN\n" : "peak = %.3f\n", peak);
    fprintf(f, "gflops_floor = %g\n", gflops_floor);
    fprintf(f, isnan(bandwidth) ? "bandwidth = NaN\n" : "bandwidth = %.3f\n", bandwidth);
    fprintf(f, "config = \"%s\"\nkinds_present = \"%s\"\nfamilies = \"%s\"\n",
            w->set->rows[0].config, kinds_present, families);
    fprintf(f, "batch_sizes = %zu\nbatch_variants = %d\nbatch_title = \"%s\"\n",
            w->batch_count, batch_variants, batch_title);
}

int plot_data_write_set(const struct result_set *set, double bandwidth, const char *dir,
                        int *separable_rows, int *thread_counts, int *batch_sizes)
{
    struct view w;
    int status = -1;
    if (view_build(&w, set) != 0) {
        fprintf(stderr, "convbench: out of memory for the plot data\n");
        goto done;
    }
    char kinds_present[32], families[512], batch_title[256];
    FILE *f;
    if (!(f = open_in(dir, "layers.dat")))
        goto done;
    write_layers(f, &w);
    fclose(f);
    if (!(f = open_in(dir, "kinds.dat")))
        goto done;
    write_kinds(f, &w);
    fclose(f);
    if (!(f = open_in(dir, "points.dat")))
        goto done;
    write_points(f, &w, kinds_present, sizeof kinds_present);
    fclose(f);
    if (!(f = open_in(dir, "separable.dat")))
        goto done;
    *separable_rows = write_separable(f, &w, families, sizeof families);
    fclose(f);
    if (!(f = open_in(dir, "threads.dat")))
        goto done;
    write_threads(f, &w);
    fclose(f);
    if (!(f = open_in(dir, "batch.dat")))
        goto done;
    const int batch_variants = write_batches(f, &w, batch_title, sizeof batch_title);
    fclose(f);
    if (!(f = open_in(dir, "params.gp")))
        goto done;
    write_params(f, &w, bandwidth, *separable_rows, kinds_present, families, batch_title,
                 batch_variants);
    fclose(f);
    *thread_counts = (int)w.grid.thread_count;
    *batch_sizes = (int)w.batch_count;
    status = 0;
done:
    view_free(&w);
    return status;
}

int plot_data_load(const char *csv_path, struct result_set *set, double *bandwidth)
{
    char error[512];
    if (result_set_load(csv_path, set, error, sizeof error) != 0) {
        fprintf(stderr, "convbench: %s\n", error);
        return -1;
    }
    if (!set->count) {
        fprintf(stderr, "convbench: %s: no rows to plot\n", csv_path);
        result_set_free(set);
        return -1;
    }
    *bandwidth = meta_read_number(csv_path, "bandwidth_gbs");
    return 0;
}

int plot_data_write(const char *csv_path, const char *dir)
{
    struct result_set set;
    double bandwidth;
    if (plot_data_load(csv_path, &set, &bandwidth) != 0)
        return 2;
    int separable_rows, thread_counts, batch_sizes;
    const int status = plot_data_write_set(&set, bandwidth, dir, &separable_rows, &thread_counts,
                                           &batch_sizes);
    result_set_free(&set);
    return status == 0 ? 0 : 2;
}
