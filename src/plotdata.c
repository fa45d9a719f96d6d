#include "plotdata.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "crossover.h"
#include "meta.h"
#include "results.h"
#include "variant.h"

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
    struct result_grid *g = &w->grid;
    /* a saved result does not say which variants are peers: this build
     * knows those it has (a variant it does not know counts as convbench's) */
    for (size_t v = 0; v < g->variant_count; v++) {
        const struct conv_variant *known = variant_find(g->variants[v]);
        g->peer[v] = known && known->peer;
    }
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

/* The position of grid variant v among the shown ones (its colour in every
 * chart), or -1. */
static int shown_index(const struct view *w, int v)
{
    for (size_t i = 0; i < w->shown_count; i++)
        if (w->shown[i] == v)
            return (int)i;
    return -1;
}

/* points.dat: MACs, time and GFLOP/s of every measured row (top thread
 * count), one gnuplot index block per kind. roofline uses the same rows. */
static void write_points(FILE *f, const struct view *w, char *present, size_t size)
{
    const int top = w->grid.threads[w->top];
    present[0] = '\0';
    for (int kind = 0; kind < KIND_COUNT; kind++) {
        fprintf(f, "# %s\nmacs time_us gflops intensity variant layer shape\n",
                layer_kind_name(kind_order[kind]));
        int n = 0;
        for (size_t i = 0; i < w->set->count; i++) {
            const struct result_row *r = &w->set->rows[i];
            if (!row_measured(r) || r->threads != top || layer_kind(&r->layer) != kind_order[kind])
                continue;
            /* shape: the variant's place among those shown */
            fprintf(f, "%.0f %.3f %.3f %.4f %s %s %d\n", (double)r->cost.macs,
                    r->timing.median_us, r->gflops,
                    (double)r->cost.flops / (double)r->cost.bytes, r->variant, r->layer.name,
                    shown_index(w, grid_variant_index(&w->grid, r->variant)));
            n++;
        }
        if (!n) /* keep the index numbering: an empty block still needs a row */
            fprintf(f, "NaN NaN NaN NaN - - 0\n");
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
    grid_separable_families(&w->grid, w->top, GRID_FASTEST, write_family, &out);
    return out.rows;
}

/* decomposition.dat: per form (fastest of convbench's own variants), its
 * time as a percentage of its regular layer's, in four parts: the ideal
 * (regular time / MAC saving), memory, overhead and kernel (struct
 * grid_form); the totals over the forms give the chart's finding. */
struct decomposition_out {
    FILE *file;
    const struct result_grid *grid;
    int rows;
    double excess, memory, overhead, kernel;
};

static void write_decomposition_family(const struct grid_family *family, void *context)
{
    struct decomposition_out *o = context;
    const char *layer = o->grid->layers[family->regular]->layer.name;
    for (size_t i = 0; i < family->form_count; i++) {
        const struct grid_form *f = &family->forms[i];
        const double scale = 100.0 / family->regular_us;
        fprintf(o->file, "\"%.*s %s\" %.2f %.2f %.2f %.2f %.2f %.2f\n", family->prefix_length,
                layer, f->name, f->ideal_us * scale, f->memory_us * scale,
                f->overhead_us * scale, f->kernel_us * scale, f->saving, f->speedup);
        o->rows++;
        o->excess += f->excess_us;
        o->memory += f->memory_us;
        o->overhead += f->overhead_us;
        o->kernel += f->kernel_us;
    }
}

static int write_decomposition(FILE *f, const struct view *w, char *title, size_t size)
{
    fprintf(f, "form ideal memory overhead kernel saving speedup\n");
    struct decomposition_out out = {.file = f, .grid = &w->grid};
    grid_separable_families(&w->grid, w->top, GRID_FASTEST_OWN, write_decomposition_family,
                            &out);
    title[0] = '\0';
    if (out.rows && out.excess > 0.0)
        snprintf(title, size, "the forms' time beyond regular / MAC saving is %.0f%% overhead, "
                 "%.0f%% slower kernels, %.0f%% memory",
                 100.0 * out.overhead / out.excess, 100.0 * out.kernel / out.excess,
                 100.0 * out.memory / out.excess);
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

/* map.dat: per point of the sweeps (column, row), the fastest variant's
 * shown index (NaN where none), its speed over the runner-up and its
 * max_rel_err, and its name; map-error.dat: per shown variant (one gnuplot
 * index block each) every point's log10 max_rel_err. The row and column
 * names go to params.gp. Returns the points with a winner. */
static int write_map(FILE *f, const struct view *w, const struct crossover_map *m)
{
    int points = 0;
    fprintf(f, "column row winner speedup max_rel_err variant\n");
    for (size_t r = 0; r < m->rows; r++)
        for (size_t c = 0; c < m->columns; c++) {
            const struct crossover_cell *cell = crossover_at(m, r, c);
            const struct result_row *win =
                cell->winner >= 0 ? grid_measured(&w->grid, (size_t)cell->layer, w->top,
                                                  (size_t)cell->winner)
                                  : NULL;
            if (!win) {
                fprintf(f, "%zu %zu NaN NaN NaN -\n", c, r);
                continue;
            }
            fprintf(f, "%zu %zu %d %.3f %.3g %s\n", c, r, shown_index(w, cell->winner),
                    cell->speedup, win->check.max_rel_err, win->variant);
            points++;
        }
    return points;
}

static void write_map_errors(FILE *errors, const struct view *w, const struct crossover_map *m)
{
    for (size_t i = 0; i < w->shown_count; i++) {
        fprintf(errors, "# %s\ncolumn row log10_max_rel_err\n", w->grid.variants[w->shown[i]]);
        for (size_t r = 0; r < m->rows; r++)
            for (size_t c = 0; c < m->columns; c++) {
                const struct crossover_cell *cell = crossover_at(m, r, c);
                const struct result_row *row =
                    cell->layer >= 0 ? grid_cell(&w->grid, (size_t)cell->layer, w->top,
                                                 (size_t)w->shown[i])
                                     : NULL;
                /* verified rows only; an exact 0 sits at the axis floor */
                if (row && row->status == ROW_OK && row->verified)
                    fprintf(errors, "%zu %zu %.3f\n", c, r,
                            log10(row->check.max_rel_err > 1e-9 ? row->check.max_rel_err : 1e-9));
                else
                    fprintf(errors, "%zu %zu NaN\n", c, r);
            }
        fprintf(errors, "\n\n");
    }
}

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether a row's phases are drawn: it has them at the top thread count,
 * and they say more than one opaque "compute" (a library's primitive). */
static bool drawn_phases(const struct view *w, const struct result_row *r)
{
    if (!r->phased || r->threads != w->grid.threads[w->top] || !(r->phase_wall_us > 0.0))
        return false;
    for (int p = 0; p < PHASE_COUNT; p++)
        if (p != PHASE_COMPUTE && r->phase_us[p] > 0.0)
            return true;
    return false;
}

static double median_of(double *values, int n)
{
    qsort(values, (size_t)n, sizeof *values, compare_double);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/* A row's share of its instrumented run in phase p, PHASE_COUNT for "other". */
static double phase_share(const struct result_row *r, int p)
{
    if (p < PHASE_COUNT)
        return r->phase_us[p] / r->phase_wall_us;
    double tracked = 0.0;
    for (int q = 0; q < PHASE_COUNT; q++)
        tracked += r->phase_us[q];
    return r->phase_wall_us > tracked ? 1.0 - tracked / r->phase_wall_us : 0.0;
}

/* phases.dat: per drawn row (a bar each, named "layer variant"), the
 * percentage of its instrumented run in each phase any of them has, and in
 * none ("other"). title gets the finding: per variant, the part outside its
 * main kernel with the largest median share. Returns the bars. */
static int write_phases(FILE *f, const struct view *w, char *title, size_t size,
                        int *columns)
{
    bool used[PHASE_COUNT + 1] = {false};
    int bars = 0;
    used[PHASE_COUNT] = true; /* other */
    for (size_t i = 0; i < w->set->count; i++) {
        const struct result_row *r = &w->set->rows[i];
        if (!drawn_phases(w, r))
            continue;
        bars++;
        for (int p = 0; p < PHASE_COUNT; p++)
            used[p] |= r->phase_us[p] > 0.0;
    }
    fprintf(f, "bar");
    *columns = 1;
    for (int p = 0; p <= PHASE_COUNT; p++)
        if (used[p]) {
            fprintf(f, " \"%s\"", p < PHASE_COUNT ? phase_name((enum phase)p) : "other");
            ++*columns;
        }
    fputc('\n', f);
    double *shares = malloc((size_t)(bars ? bars : 1) * sizeof *shares);
    int used_title = snprintf(title, size, "largest part outside the kernel (median):");
    bool any = false;
    for (size_t vi = 0; vi < w->shown_count && shares; vi++) {
        const char *variant = w->grid.variants[w->shown[vi]];
        int n = 0;
        for (size_t i = 0; i < w->set->count; i++) {
            const struct result_row *r = &w->set->rows[i];
            if (!drawn_phases(w, r) || strcmp(r->variant, variant) != 0)
                continue;
            fprintf(f, "\"%s %s\"", r->layer.name, r->variant);
            for (int p = 0; p <= PHASE_COUNT; p++)
                if (used[p])
                    fprintf(f, " %.2f", 100.0 * phase_share(r, p));
            fputc('\n', f);
            n++;
        }
        int top = -1;
        double top_share = 0.0;
        for (int p = 0; p <= PHASE_COUNT && n; p++) {
            if (!used[p] || (p < PHASE_COUNT && phase_is_kernel((enum phase)p)))
                continue;
            int k = 0;
            for (size_t i = 0; i < w->set->count; i++)
                if (drawn_phases(w, &w->set->rows[i]) &&
                    strcmp(w->set->rows[i].variant, variant) == 0)
                    shares[k++] = phase_share(&w->set->rows[i], p);
            const double m = median_of(shares, k);
            if (top < 0 || m > top_share)
                top = p, top_share = m;
        }
        if (top >= 0 && used_title < (int)size) {
            used_title += snprintf(title + used_title, size - (size_t)used_title,
                                   "%s %s %s %.0f%%", any ? "," : "", variant,
                                   top < PHASE_COUNT ? phase_name((enum phase)top) : "other",
                                   100.0 * top_share);
            any = true;
        }
    }
    free(shares);
    if (!any)
        title[0] = '\0';
    return bars;
}

/* Appends ", NAME wins COUNT of TOTAL" for the (at most) three variants
 * with the most wins (indexed by their place among those shown), most
 * first; wins is used up. format has %s, %zu, %zu. */
static int list_top_wins(const struct view *w, size_t *wins, size_t total, const char *format,
                         char *t, int used, size_t size)
{
    for (int listed = 0; listed < 3; listed++) {
        size_t top = 0;
        for (size_t k = 1; k < w->shown_count && k < 64; k++)
            if (wins[k] > wins[top])
                top = k;
        if (!wins[top] || used >= (int)size)
            break;
        used += snprintf(t + used, size - (size_t)used, "%s", listed ? "," : "");
        if (used < (int)size)
            used += snprintf(t + used, size - (size_t)used, format,
                             w->grid.variants[w->shown[top]], wins[top], total);
        wins[top] = 0;
    }
    return used;
}

/* The map chart's title: how many points each variant wins, most first. */
static void map_title(const struct view *w, const struct crossover_map *m, char *title,
                      size_t size)
{
    size_t wins[64] = {0}, total = 0;
    for (size_t c = 0; c < m->rows * m->columns; c++) {
        const int k = m->cells[c].winner >= 0 ? shown_index(w, m->cells[c].winner) : -1;
        if (k >= 0 && k < 64)
            wins[k]++, total++;
    }
    title[0] = '\0';
    if (total)
        list_top_wins(w, wins, total, " %s wins %zu of %zu", title,
                      snprintf(title, size, "fastest variant per point:"), size);
}

/* Each chart's title states what it shows, computed from the data. */

/* gflops: which variant is fastest on how many layers, and the best rate. */
static void title_gflops(const struct view *w, const struct crossover_map *m, char *t,
                         size_t size)
{
    (void)m;
    size_t wins[64] = {0}, layers = 0;
    double best = 0.0;
    for (size_t l = 0; l < w->grid.layer_count; l++) {
        const int v = grid_fastest(&w->grid, l, w->top, false), k = shown_index(w, v);
        if (k < 0 || k >= 64)
            continue;
        wins[k]++, layers++;
        const struct result_row *r = grid_measured(&w->grid, l, w->top, (size_t)v);
        if (r->gflops > best)
            best = r->gflops;
    }
    int used = snprintf(t, size, "fastest per layer:");
    used = list_top_wins(w, wins, layers, " %s on %zu of %zu", t, used, size);
    if (used < (int)size && best > 0.0)
        snprintf(t + used, size - (size_t)used, "; best %.0f GFLOP/s", best);
}

/* efficiency: each kind's mean efficiency on its fastest variants. */
static void title_efficiency(const struct view *w, const struct crossover_map *m, char *t,
                             size_t size)
{
    (void)m;
    int used = snprintf(t, size, "the fastest variant per layer reaches");
    bool any = false;
    for (int kind = 0; kind <= KIND_COUNT && used < (int)size; kind++) {
        const double e = mean_efficiency(w, kind, GRID_FASTEST);
        if (isnan(e))
            continue;
        used += snprintf(t + used, size - (size_t)used, "%s %.0f%% (%s)", any ? "," : "",
                         100.0 * e,
                         kind < KIND_COUNT ? layer_kind_name(kind_order[kind]) : "separable");
        any = true;
    }
    if (used < (int)size)
        snprintf(t + used, size - (size_t)used, any ? " of the FMA peak" : " no measured peak");
}

/* time-vs-macs: the kind whose share of the time most exceeds its share of
 * the MACs (fastest variant per layer, x repeat). */
static void title_time(const struct view *w, const struct crossover_map *m, char *t,
                       size_t size)
{
    (void)m;
    double macs[KIND_COUNT] = {0}, time[KIND_COUNT] = {0}, all_macs = 0.0, all_time = 0.0;
    for (size_t l = 0; l < w->grid.layer_count; l++) {
        const struct result_row *r = grid_pick(&w->grid, l, w->top, GRID_FASTEST);
        if (!r)
            continue;
        for (int k = 0; k < KIND_COUNT; k++)
            if (layer_kind(&r->layer) == kind_order[k]) {
                macs[k] += (double)r->cost.macs * (double)r->layer.repeat;
                time[k] += r->timing.median_us * (double)r->layer.repeat;
            }
        all_macs += (double)r->cost.macs * (double)r->layer.repeat;
        all_time += r->timing.median_us * (double)r->layer.repeat;
    }
    int worst = -1;
    for (int k = 0; k < KIND_COUNT; k++)
        if (macs[k] > 0.0 && (worst < 0 || time[k] / macs[k] > time[worst] / macs[worst]))
            worst = k;
    if (worst < 0 || !(all_macs > 0.0) || !(all_time > 0.0))
        snprintf(t, size, "time against theoretical MACs");
    else
        snprintf(t, size, "%s layers hold %.1f%% of the MACs and take %.0f%% of the time "
                 "(fastest variant per layer)",
                 layer_kind_name(kind_order[worst]), 100.0 * macs[worst] / all_macs,
                 100.0 * time[worst] / all_time);
}

/* roofline: how many layers are memory-bound, and how close the fastest
 * runs come to their roof. */
static void title_roofline(const struct view *w, const struct crossover_map *m, char *t,
                           size_t size)
{
    (void)m;
    size_t memory = 0, layers = 0;
    double *fractions = malloc((w->grid.layer_count ? w->grid.layer_count : 1) * sizeof *fractions);
    for (size_t l = 0; l < w->grid.layer_count; l++) {
        const struct result_row *r = grid_pick(&w->grid, l, w->top, GRID_FASTEST);
        if (!r || r->bound == BOUND_UNKNOWN || !fractions)
            continue;
        memory += r->bound == BOUND_MEMORY;
        fractions[layers++] = r->roof_fraction;
    }
    if (!layers) {
        snprintf(t, size, "roofline (no measured peak and bandwidth)");
    } else {
        snprintf(t, size, "%zu of %zu layers are memory-bound; the fastest runs reach a median "
                 "%.0f%% of their roof", memory, layers,
                 100.0 * median_of(fractions, (int)layers));
    }
    free(fractions);
}

/* separable: the range of savings and of the speed-ups they bought. */
struct range {
    double saving_lo, saving_hi, speedup_lo, speedup_hi;
    int forms;
};

static void widen(const struct grid_family *family, void *context)
{
    struct range *r = context;
    for (size_t i = 0; i < family->form_count; i++, r->forms++) {
        const struct grid_form *f = &family->forms[i];
        if (!r->forms || f->saving < r->saving_lo)
            r->saving_lo = f->saving;
        if (!r->forms || f->saving > r->saving_hi)
            r->saving_hi = f->saving;
        if (!r->forms || f->speedup < r->speedup_lo)
            r->speedup_lo = f->speedup;
        if (!r->forms || f->speedup > r->speedup_hi)
            r->speedup_hi = f->speedup;
    }
}

static void title_separable(const struct view *w, const struct crossover_map *m, char *t,
                            size_t size)
{
    (void)m;
    struct range r = {0};
    grid_separable_families(&w->grid, w->top, GRID_FASTEST, widen, &r);
    if (r.forms)
        snprintf(t, size, "MAC savings of %.1f-%.0fx buy speed-ups of %.2f-%.1fx", r.saving_lo,
                 r.saving_hi, r.speedup_lo, r.speedup_hi);
    else
        t[0] = '\0';
}

/* threads: the range of speed-ups at the largest thread count. */
static void title_threads(const struct view *w, const struct crossover_map *m, char *t,
                          size_t size)
{
    (void)m;
    const struct result_grid *g = &w->grid;
    size_t low = 0;
    for (size_t i = 1; i < g->thread_count; i++)
        if (g->threads[i] < g->threads[low])
            low = i;
    double lo = 0.0, hi = 0.0;
    int n = 0;
    for (size_t i = 0; i < w->shown_count; i++) {
        size_t compared;
        const double s = grid_thread_speedup(g, (size_t)w->shown[i], low, w->top, &compared);
        if (!compared)
            continue;
        lo = n == 0 || s < lo ? s : lo;
        hi = n == 0 || s > hi ? s : hi;
        n++;
    }
    if (n && g->threads[w->top] != g->threads[low])
        snprintf(t, size, "at %d threads the variants run %.2f-%.2fx as fast as at %d "
                 "(geometric mean over layers)", g->threads[w->top], lo, hi, g->threads[low]);
    else
        snprintf(t, size, "speed-up over the smallest thread count");
}

/* map-error: the variant with the largest max_rel_err at any sweep point,
 * and the largest among the others. */
static void title_map_error(const struct view *w, const struct crossover_map *m, char *t,
                            size_t size)
{
    int worst = -1;
    double worst_err = 0.0, rest = 0.0;
    double per[64] = {0};
    for (size_t c = 0; c < m->rows * m->columns; c++) {
        if (m->cells[c].layer < 0)
            continue;
        for (size_t i = 0; i < w->shown_count && i < 64; i++) {
            const struct result_row *r =
                grid_cell(&w->grid, (size_t)m->cells[c].layer, w->top, (size_t)w->shown[i]);
            if (r && r->verified && r->check.max_rel_err > per[i])
                per[i] = r->check.max_rel_err;
        }
    }
    for (size_t i = 0; i < w->shown_count && i < 64; i++)
        if (per[i] > worst_err)
            worst = (int)i, worst_err = per[i];
    for (size_t i = 0; i < w->shown_count && i < 64; i++)
        if ((int)i != worst && per[i] > rest)
            rest = per[i];
    if (worst < 0)
        snprintf(t, size, "max_rel_err of each variant at each point of the sweeps");
    else
        snprintf(t, size, "%s has the largest max_rel_err, up to %.1e; the others stay under "
                 "%.1e (log10 colour scale)", w->grid.variants[w->shown[worst]], worst_err,
                 rest);
}

/* Names as one gnuplot string of words. */
static void write_words(FILE *f, const char *key, char *const *names, size_t count)
{
    fprintf(f, "%s = \"", key);
    for (size_t i = 0; i < count; i++)
        fprintf(f, "%s%s", i ? " " : "", names[i]);
    fprintf(f, "\"\n");
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

/* layouts.dat: the network time per layout family and for the best mixed
 * schedules (grid_schedule), split into layers and conversions, in ms;
 * title gets the finding. Returns the bars (none when every row is NCHW). */
static int write_layouts(FILE *f, const struct view *w, char *title, size_t size)
{
    struct layout_schedule schedules[LAYOUT_SCHEDULES];
    const int n = grid_layout_schedules(&w->grid, w->top, schedules, NULL);
    fprintf(f, "# schedule, layers ms, conversions ms\n");
    title[0] = '\0';
    double nchw = NAN;
    int best = -1;
    for (int k = 0; k < n; k++) {
        const struct layout_schedule *s = &schedules[k];
        fprintf(f, "\"%s\" %.4f %.4f\n", s->name, 1e-3 * (s->plan.time_us - s->plan.convert_us),
                1e-3 * s->plan.convert_us);
        if (strcmp(s->name, "all in nchw") == 0)
            nchw = s->plan.time_us;
        if (!s->mixed && (best < 0 || s->plan.time_us < schedules[best].plan.time_us))
            best = k;
    }
    if (best >= 0 && !isnan(nchw))
        snprintf(title, size, "fastest single layout: %s, %.2f ms (all in nchw: %.2f ms), "
                 "conversions included", schedules[best].name,
                 1e-3 * schedules[best].plan.time_us, 1e-3 * nchw);
    return n > 0 ? n : 0;
}

/* What the tables' writers find on the way, for params.gp and the counts. */
struct plot_context {
    struct view w;
    struct crossover_map map;
    double bandwidth;
    char kinds_present[32], families[512], batch_title[256], map_title[256],
        phases_title[256], decomposition_title[256], layouts_title[256];
    int batch_variants, phase_columns;
    struct plot_counts counts;
};

static void table_layers(FILE *f, struct plot_context *c)
{
    write_layers(f, &c->w);
}

static void table_kinds(FILE *f, struct plot_context *c)
{
    write_kinds(f, &c->w);
}

static void table_points(FILE *f, struct plot_context *c)
{
    write_points(f, &c->w, c->kinds_present, sizeof c->kinds_present);
}

static void table_separable(FILE *f, struct plot_context *c)
{
    c->counts.separable_rows = write_separable(f, &c->w, c->families, sizeof c->families);
}

static void table_threads(FILE *f, struct plot_context *c)
{
    write_threads(f, &c->w);
    c->counts.thread_counts = (int)c->w.grid.thread_count;
}

static void table_batches(FILE *f, struct plot_context *c)
{
    c->batch_variants = write_batches(f, &c->w, c->batch_title, sizeof c->batch_title);
    c->counts.batch_sizes = (int)c->w.batch_count;
}

static void table_map(FILE *f, struct plot_context *c)
{
    c->counts.map_points = write_map(f, &c->w, &c->map);
    map_title(&c->w, &c->map, c->map_title, sizeof c->map_title);
}

static void table_map_errors(FILE *f, struct plot_context *c)
{
    write_map_errors(f, &c->w, &c->map);
}

static void table_decomposition(FILE *f, struct plot_context *c)
{
    c->counts.decomposition_rows =
        write_decomposition(f, &c->w, c->decomposition_title, sizeof c->decomposition_title);
}

static void table_phases(FILE *f, struct plot_context *c)
{
    c->counts.phase_bars =
        write_phases(f, &c->w, c->phases_title, sizeof c->phases_title, &c->phase_columns);
}

static void table_layouts(FILE *f, struct plot_context *c)
{
    c->counts.layout_bars = write_layouts(f, &c->w, c->layouts_title, sizeof c->layouts_title);
}

/* params.gp, last: what the chart scripts need besides the tables. */
static void table_params(FILE *f, struct plot_context *c)
{
    static const struct {
        const char *key;
        void (*compute)(const struct view *, const struct crossover_map *, char *, size_t);
    } titles[] = {
        {"gflops_title", title_gflops},       {"efficiency_title", title_efficiency},
        {"time_title", title_time},           {"roofline_title", title_roofline},
        {"separable_title", title_separable}, {"threads_title", title_threads},
        {"map_error_title", title_map_error},
    };
    for (size_t i = 0; i < sizeof titles / sizeof *titles; i++) {
        char t[320];
        titles[i].compute(&c->w, &c->map, t, sizeof t);
        fprintf(f, "%s = \"%s\"\n", titles[i].key, t);
    }
    fprintf(f, "map_points = %d\nmap_title = \"%s\"\n", c->counts.map_points, c->map_title);
    fprintf(f, "phase_bars = %d\nphase_columns = %d\nphases_title = \"%s\"\n",
            c->counts.phase_bars, c->phase_columns, c->phases_title);
    fprintf(f, "decomposition_title = \"%s\"\n", c->decomposition_title);
    fprintf(f, "layouts_title = \"%s\"\nlayout_bars = %d\n", c->layouts_title,
            c->counts.layout_bars);
    write_words(f, "map_rows", c->map.row_names, c->map.rows);
    write_words(f, "map_columns", c->map.column_names, c->map.columns);
    fprintf(f, "variant_names = \"");
    for (size_t i = 0; i < c->w.shown_count; i++)
        fprintf(f, "%s%s", i ? " " : "", c->w.grid.variants[c->w.shown[i]]);
    fprintf(f, "\"\n");
    write_params(f, &c->w, c->bandwidth, c->counts.separable_rows, c->kinds_present,
                 c->families, c->batch_title, c->batch_variants);
}

int plot_data_write_set(const struct result_set *set, double bandwidth, const char *dir,
                        struct plot_counts *counts)
{
    static const struct {
        const char *file;
        void (*write)(FILE *, struct plot_context *);
    } tables[] = {
        {"layers.dat", table_layers},       {"kinds.dat", table_kinds},
        {"points.dat", table_points},       {"separable.dat", table_separable},
        {"threads.dat", table_threads},     {"batch.dat", table_batches},
        {"map.dat", table_map},             {"map-error.dat", table_map_errors},
        {"decomposition.dat", table_decomposition}, {"phases.dat", table_phases},
        {"layouts.dat", table_layouts},
        {"params.gp", table_params},
    };
    struct plot_context *c = calloc(1, sizeof *c);
    if (!c || view_build(&c->w, set) != 0 || crossover_map_build(&c->w.grid, c->w.top,
                                                                 &c->map) != 0) {
        fprintf(stderr, "convbench: out of memory for the plot data\n");
        if (c) {
            view_free(&c->w);
            free(c);
        }
        return -1;
    }
    c->bandwidth = bandwidth;
    int status = 0;
    for (size_t i = 0; i < sizeof tables / sizeof *tables && status == 0; i++) {
        FILE *f = open_in(dir, tables[i].file);
        if (!f) {
            status = -1;
            break;
        }
        tables[i].write(f, c);
        fclose(f);
    }
    *counts = c->counts;
    crossover_map_free(&c->map);
    view_free(&c->w);
    free(c);
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
    /* the minimum traffic's time is not a column: from the bandwidth */
    for (size_t i = 0; *bandwidth > 0.0 && i < set->count; i++)
        set->rows[i].memory_us = (double)set->rows[i].cost.bytes / (*bandwidth * 1e3);
    /* the phases table beside it, when the run wrote one */
    char *phases = path_beside(csv_path, "-phases.csv");
    if (phases && result_set_load_phases(set, phases, error, sizeof error) < 0)
        fprintf(stderr, "convbench: %s (the charts go on without phases)\n", error);
    free(phases);
    return 0;
}

int plot_data_write(const char *csv_path, const char *dir)
{
    struct result_set set;
    double bandwidth;
    if (plot_data_load(csv_path, &set, &bandwidth) != 0)
        return 2;
    struct plot_counts counts;
    const int status = plot_data_write_set(&set, bandwidth, dir, &counts);
    result_set_free(&set);
    return status == 0 ? 0 : 2;
}
