#include "bench.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "crossover.h"
#include "reference.h"
#include "tensor.h"

/* The tensors of one layer, shared by every variant and thread count. */
struct layer_data {
    float *in, *weights, *bias, *out;
    double *reference;
};

static void layer_data_free(struct layer_data *d)
{
    FREE_ALL(d->in, d->weights, d->bias, d->out, d->reference);
    *d = (struct layer_data){0};
}

/* Bytes of the tensors a layer needs: input, weights, bias, output, and the
 * double-precision reference output. */
static size_t layer_data_bytes(const struct conv_layer *l)
{
    return 4 * (size_t)(layer_input_elements(l) + layer_weight_elements(l) +
                        (l->bias ? l->c_out : 0) + layer_output_elements(l)) +
           8 * (size_t)layer_output_elements(l);
}

static int layer_data_init(struct layer_data *d, const struct conv_layer *l, uint64_t seed,
                           uint64_t layer_index)
{
    const size_t in = (size_t)layer_input_elements(l), w = (size_t)layer_weight_elements(l),
                 out = (size_t)layer_output_elements(l);
    *d = (struct layer_data){
        .in = tensor_alloc(in, sizeof(float)),
        .weights = tensor_alloc(w, sizeof(float)),
        .bias = l->bias ? tensor_alloc((size_t)l->c_out, sizeof(float)) : NULL,
        .out = tensor_alloc(out, sizeof(float)),
        .reference = tensor_alloc(out, sizeof(double)),
    };
    if (!d->in || !d->weights || (l->bias && !d->bias) || !d->out || !d->reference) {
        layer_data_free(d);
        return -1;
    }
    /* streams by position in the file, so that --layers does not change data */
    tensor_fill_random(d->in, in, seed, 4 * layer_index);
    tensor_fill_random(d->weights, w, seed, 4 * layer_index + 1);
    if (d->bias)
        tensor_fill_random(d->bias, (size_t)l->c_out, seed, 4 * layer_index + 2);
    reference_conv(l, d->in, d->weights, d->bias, d->reference);
    return 0;
}

static void describe_mismatch(const struct conv_layer *l, const struct verify_result *r,
                              char *note, size_t size)
{
    size_t i = r->worst_index;
    int64_t w = (int64_t)i % l->w_out, h = (int64_t)i / l->w_out % l->h_out,
            c = (int64_t)i / (l->w_out * l->h_out) % l->c_out,
            n = (int64_t)i / (l->w_out * l->h_out * l->c_out);
    if (r->verdict == VERIFY_NOT_FINITE)
        snprintf(note, size, "%zu elements NaN or infinite, first at [%" PRId64 ",%" PRId64
                 ",%" PRId64 ",%" PRId64 "]", r->not_finite, n, c, h, w);
    else
        snprintf(note, size, "%s: max_rel_err %.3e (bound %.3e); worst at [%" PRId64
                 ",%" PRId64 ",%" PRId64 ",%" PRId64 "]: %.7g, reference %.7g",
                 verify_verdict_text(r->verdict), r->max_rel_err, r->bound, n, c, h, w,
                 (double)r->worst_value, r->worst_reference);
}

/* Microseconds of the input and of the output layout conversion, each the
 * best of three, into row (reorder_us is their sum). */
static void time_reorders(const struct conv_variant *v, void *state, const struct layer_data *d,
                          struct result_row *row)
{
    double in = 0.0, out = 0.0;
    for (int i = 0; i < 3; i++) {
        const double t0 = time_now();
        v->load_input(state, d->in);
        const double t1 = time_now();
        v->store_output(state, d->out);
        const double t2 = time_now();
        in = i == 0 || t1 - t0 < in ? t1 - t0 : in;
        out = i == 0 || t2 - t1 < out ? t2 - t1 : out;
    }
    row->reorder_in_us = 1e6 * in;
    row->reorder_out_us = 1e6 * out;
    row->reorder_us = row->reorder_in_us + row->reorder_out_us;
}

/* The instrumented run after the timed samples (src/phases.h): as many
 * runs as make 20 ms, at least one; row->phased stays false when the
 * variant marks no phase. */
static void measure_phases(const struct conv_variant *v, void *state,
                           const struct layer_data *d, int threads, struct result_row *row)
{
    const double run_seconds = 1e-6 * row->timing.median_us;
    int runs = run_seconds > 0.0 ? (int)ceil(0.02 / run_seconds) : 1;
    runs = runs < 1 ? 1 : runs > 1000 ? 1000 : runs;
    phases_start();
    const double t0 = time_now();
    enum conv_status ran = CONV_OK;
    for (int r = 0; r < runs && ran == CONV_OK; r++)
        ran = v->run(state, d->in, d->out);
    const double wall = time_now() - t0;
    phases_stop(threads, runs, row->phase_us);
    double tracked = 0.0;
    for (int p = 0; p < PHASE_COUNT; p++)
        tracked += row->phase_us[p];
    row->phased = ran == CONV_OK && tracked > 0.0;
    row->phase_wall_us = 1e6 * wall / runs;
}

/* The checked run, on an output where an unwritten element is a NaN; it is
 * also the warm-up before timing (its run time in *warm_seconds). False, with
 * the row's status and note set, when it fails or its output is wrong. */
static bool checked_run(const struct conv_variant *v, void *state, const struct conv_layer *l,
                        const struct layer_data *d, struct result_row *row,
                        double *warm_seconds)
{
    const size_t out_count = (size_t)layer_output_elements(l);
    tensor_fill(d->out, out_count, NAN);
    enum conv_status ran = v->load_input ? v->load_input(state, d->in) : CONV_OK;
    if (ran == CONV_OK) {
        double t0 = time_now();
        ran = v->run(state, d->in, d->out);
        *warm_seconds = time_now() - t0;
    }
    if (ran == CONV_OK && v->store_output)
        ran = v->store_output(state, d->out);
    if (ran != CONV_OK) {
        row->status = ROW_ERROR;
        snprintf(row->note, sizeof row->note, "run failed");
        return false;
    }
    row->verified = true;
    row->check = verify_output(d->out, d->reference, out_count, verify_bound(l, v->tolerance));
    if (row->check.verdict != VERIFY_OK) {
        row->status = ROW_MISMATCH;
        describe_mismatch(l, &row->check, row->note, sizeof row->note);
        return false; /* the time of a wrong answer means nothing */
    }
    return true;
}

/* Plans, checks and times one variant; fills row (status, note, check, timing).
 * Returns false when a stop request cut it short. */
static bool run_variant(const struct bench_options *options, const struct conv_variant *v,
                        const struct conv_layer *l, const struct layer_data *d, int threads,
                        struct result_row *row)
{
    const char *why = NULL;
    void *state = NULL;
    bool finished = true;

    if (v->supports(l, &why) != CONV_OK) {
        row->status = ROW_UNSUPPORTED;
        snprintf(row->note, sizeof row->note, "%s", why ? why : "unsupported shape");
        return true;
    }
    const size_t needed = layer_data_bytes(l) + (v->memory ? v->memory(l, threads) : 0);
    if (needed > options->max_memory) {
        row->status = ROW_ERROR;
        snprintf(row->note, sizeof row->note,
                 "needs about %zu bytes (tensors %zu + %s's own %zu), above --max-memory=%zu",
                 needed, layer_data_bytes(l), v->name, needed - layer_data_bytes(l),
                 options->max_memory);
        return true;
    }
    enum conv_status planned = v->plan(l, d->weights, d->bias, threads, &state, &why);
    if (planned != CONV_OK) {
        row->status = planned == CONV_UNSUPPORTED ? ROW_UNSUPPORTED : ROW_ERROR;
        snprintf(row->note, sizeof row->note, "plan failed: %s", why ? why : "no reason given");
        return true;
    }

    if (v->describe)
        snprintf(row->impl, sizeof row->impl, "%s", v->describe(state));
    const char *layout_in = "nchw", *layout_out = "nchw";
    if (v->layouts)
        v->layouts(state, &layout_in, &layout_out);
    snprintf(row->layout_in, sizeof row->layout_in, "%s", layout_in);
    snprintf(row->layout_out, sizeof row->layout_out, "%s", layout_out);

    double warm_seconds = 0.0;
    if (!checked_run(v, state, l, d, row, &warm_seconds))
        goto done;
    row->status = ROW_OK;
    if (!options->verify_only) {
        if (time_variant(v, state, d->in, d->out, warm_seconds, &options->timing,
                         &row->timing) != CONV_OK) {
            finished = !(options->timing.stop && *options->timing.stop);
            row->status = ROW_ERROR;
            snprintf(row->note, sizeof row->note, "a timed run failed");
        } else {
            row->timed = true;
            if (row->timing.noisy && row->timing.cpu_share < TIMING_MIN_CPU_SHARE)
                snprintf(row->note, sizeof row->note,
                         "noisy: cpu share %.2f after %d rounds (another process ran)",
                         row->timing.cpu_share, row->timing.rounds);
            else if (row->timing.noisy)
                snprintf(row->note, sizeof row->note, "noisy: spread %.2f after %d rounds",
                         row->timing.spread, row->timing.rounds);
        }
        if (row->timed && v->phases)
            measure_phases(v, state, d, threads, row);
        if (v->load_input && row->timed)
            time_reorders(v, state, d, row);
    }
done:
    v->destroy(state);
    return finished;
}

static void show_progress(const struct bench_options *options, size_t done, size_t total,
                          const struct conv_layer *l, const char *variant, int threads)
{
    if (!options->progress)
        return;
    if (done == total) {
        fputs("\r\033[K", stderr);
        return;
    }
    fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s, %d thread%s", done + 1, total, l->name, variant,
            threads, threads == 1 ? "" : "s");
    fflush(stderr);
}

int bench_network(const struct bench_options *options, struct bench_run *run,
                  struct csv_sink *sink)
{
    const struct network *net = run->net;
    size_t total = 0, done = 0;
    run->first_row = run->results->count;
    run->row_count = 0;
    for (size_t i = 0; i < net->layer_count; i++)
        total += run->selected[i] ? options->thread_count * options->variant_count : 0;

    for (size_t li = 0; li < net->layer_count; li++) {
        if (!run->selected[li])
            continue;
        const struct conv_layer *l = &net->layers[li];
        if (options->timing.stop && *options->timing.stop)
            return 1;
        struct layer_data data = {0};
        omp_set_num_threads(options->threads[options->thread_count - 1]);
        const bool fits = layer_data_bytes(l) <= options->max_memory;
        const bool have_data = fits && layer_data_init(&data, l, options->seed, li) == 0;

        for (size_t ti = 0; ti < options->thread_count; ti++) {
            const int threads = options->threads[ti];
            /* oneDNN and any other OpenMP user take the count from here */
            omp_set_num_threads(threads);
            for (size_t vi = 0; vi < options->variant_count; vi++) {
                const struct conv_variant *v = options->variants[vi];
                show_progress(options, done++, total, l, v->name, threads);
                struct result_row row = {
                    .layer = *l, .cost = layer_cost(l), .threads = threads,
                    .peak_gflops = options->peak_gflops ? options->peak_gflops[ti] : 0.0,
                    .reorder_us = -1.0, .reorder_in_us = -1.0, .reorder_out_us = -1.0,
                };
                snprintf(row.config, sizeof row.config, "%s", net->name);
                snprintf(row.variant, sizeof row.variant, "%s", v->name);
                if (have_data) {
                    if (!run_variant(options, v, l, &data, threads, &row)) {
                        layer_data_free(&data);
                        show_progress(options, total, total, NULL, NULL, 0);
                        return 1;
                    }
                } else {
                    row.status = ROW_ERROR;
                    snprintf(row.note, sizeof row.note,
                             fits ? "cannot allocate the layer's tensors (%zu bytes)"
                                  : "the layer's tensors need %zu bytes, above --max-memory",
                             layer_data_bytes(l));
                }
                if (row.status == ROW_MISMATCH || row.status == ROW_ERROR) {
                    if (options->progress)
                        fputs("\r\033[K", stderr);
                    fprintf(stderr, "convbench: %s: %s/%s, %s, %d thread%s: %s\n",
                            row_status_name(row.status), net->name, l->name, v->name, threads,
                            threads == 1 ? "" : "s", row.note);
                }
                row_set_speed(&row, options->bandwidth_gbs);
                run->mismatches += row.status == ROW_MISMATCH;
                run->errors += row.status == ROW_ERROR;
                run->noisy += row.timed && row.timing.noisy;
                const bool kept = result_set_add(run->results, &row) == 0;
                run->row_count += kept;
                if (!kept || csv_sink_write(sink, &row) != 0) {
                    layer_data_free(&data);
                    return -1;
                }
                /* a stop request ends the run after the row under way, in
                 * --verify-only runs too */
                if (options->timing.stop && *options->timing.stop) {
                    layer_data_free(&data);
                    show_progress(options, total, total, NULL, NULL, 0);
                    return 1;
                }
            }
        }
        layer_data_free(&data);
    }
    show_progress(options, total, total, NULL, NULL, 0);
    return 0;
}

static int column_width(const struct conv_variant *v)
{
    int n = (int)strlen(v->name);
    return n < 11 ? 11 : n;
}

/* The summary's view of a run: the grid of its rows, and per option
 * variant its column in the grid (-1 when it has no row). */
struct summary {
    const struct bench_options *options;
    const struct network *net;
    char label[LAYER_NAME_MAX + 32]; /* the network's name, and the batch of a batch sweep */
    struct result_grid grid;
    int column[CONV_VARIANTS_MAX];
    size_t selected; /* layers selected for the run */
};

static void print_header_cells(FILE *out, const struct summary *s)
{
    for (size_t vi = 0; vi < s->options->variant_count; vi++)
        fprintf(out, " %*s", column_width(s->options->variants[vi]),
                s->options->variants[vi]->name);
}

static const char *thread_label(int threads)
{
    return threads == 1 ? "" : "s";
}

/* Per layer: its kind and MACs, then each variant's median time in us, or
 * why there is none. */
static void print_layer_table(FILE *out, const struct summary *s, size_t ti)
{
    const struct result_grid *g = &s->grid;
    fprintf(out, "\n%s, %d thread%s: median time per layer, us\n", s->label, g->threads[ti],
            thread_label(g->threads[ti]));
    fprintf(out, "  %-18s %-10s %9s", "layer", "kind", "MMACs");
    print_header_cells(out, s);
    fputc('\n', out);
    for (size_t li = 0; li < g->layer_count; li++) {
        const struct result_row *first = g->layers[li];
        fprintf(out, "  %-18s %-10s %9.2f", first->layer.name,
                layer_kind_name(layer_kind(&first->layer)), (double)first->cost.macs * 1e-6);
        for (size_t vi = 0; vi < s->options->variant_count; vi++) {
            const struct result_row *r =
                s->column[vi] >= 0 ? grid_cell(g, li, ti, (size_t)s->column[vi]) : NULL;
            char cell[32];
            if (!r)
                snprintf(cell, sizeof cell, "-");
            else if (r->timed)
                snprintf(cell, sizeof cell, "%.1f", r->timing.median_us);
            else if (r->status == ROW_OK)
                snprintf(cell, sizeof cell, "ok");
            else
                snprintf(cell, sizeof cell, "%s", row_status_name(r->status));
            fprintf(out, " %*s", column_width(s->options->variants[vi]), cell);
        }
        fputc('\n', out);
    }
}

/* Depthwise layers do 9 MACs per output: their speed is a bandwidth, the
 * minimum traffic (the bytes column) over the median time. */
static void print_depthwise_bandwidth(FILE *out, const struct summary *s, size_t ti)
{
    const struct result_grid *g = &s->grid;
    bool any = false;
    for (size_t li = 0; li < g->layer_count && !any; li++)
        any = layer_kind(&g->layers[li]->layer) == LAYER_DEPTHWISE;
    if (!any)
        return;
    fprintf(out, "\n%s, %d thread%s: depthwise layers, achieved GB/s (minimum traffic / median "
            "time)\n", s->label, g->threads[ti], thread_label(g->threads[ti]));
    if (s->options->bandwidth_gbs > 0.0)
        fprintf(out, "  (measured memory bandwidth: %.1f GB/s; above it, the layer ran from "
                "cache)\n", s->options->bandwidth_gbs);
    fprintf(out, "  %-18s %9s", "layer", "MB");
    print_header_cells(out, s);
    fputc('\n', out);
    for (size_t li = 0; li < g->layer_count; li++) {
        const struct result_row *first = g->layers[li];
        if (layer_kind(&first->layer) != LAYER_DEPTHWISE)
            continue;
        const double bytes = (double)first->cost.bytes;
        fprintf(out, "  %-18s %9.2f", first->layer.name, bytes * 1e-6);
        for (size_t vi = 0; vi < s->options->variant_count; vi++) {
            const double us = s->column[vi] >= 0 ? grid_time_us(g, li, ti, s->column[vi]) : 0.0;
            char cell[32] = "-";
            if (us > 0.0)
                snprintf(cell, sizeof cell, "%.1f", bytes / (us * 1e3));
            fprintf(out, " %*s", column_width(s->options->variants[vi]), cell);
        }
        fputc('\n', out);
    }
}

/* A summed time, or "-" when a layer it sums over has none. */
static void total_cell(char *cell, size_t size, const struct grid_total *t)
{
    if (t->measured == t->layers)
        snprintf(cell, size, "%.1f", t->time_us);
    else
        snprintf(cell, size, "-");
}

/* Layers sharing a block tag as one unit: summed MACs, and per variant the
 * summed time (median x repeat) when it timed every member. */
static void print_blocks(FILE *out, const struct summary *s, size_t ti)
{
    const struct result_grid *g = &s->grid;
    bool header = false;
    for (size_t li = 0; li < g->layer_count; li++) {
        if (!grid_block_first(g, li))
            continue;
        if (!header) {
            fprintf(out, "\n%s, %d thread%s: blocks (layers sharing a block tag), summed time, "
                    "us\n", s->label, g->threads[ti], thread_label(g->threads[ti]));
            fprintf(out, "  %-18s %-10s %9s", "block", "layers", "MMACs");
            print_header_cells(out, s);
            fprintf(out, " %11s\n", "fastest");
            header = true;
        }
        const struct grid_total fastest = grid_block_total(g, li, ti, GRID_FASTEST);
        char count[16], cell[32];
        snprintf(count, sizeof count, "%zu", fastest.layers);
        fprintf(out, "  %-18s %-10s %9.2f", g->layers[li]->layer.block, count,
                fastest.macs * 1e-6);
        for (size_t vi = 0; vi < s->options->variant_count; vi++) {
            snprintf(cell, sizeof cell, "-");
            if (s->column[vi] >= 0) {
                const struct grid_total t = grid_block_total(g, li, ti, s->column[vi]);
                total_cell(cell, sizeof cell, &t);
            }
            fprintf(out, " %*s", column_width(s->options->variants[vi]), cell);
        }
        total_cell(cell, sizeof cell, &fastest);
        fprintf(out, " %11s\n", cell);
    }
}

/* The speed-up of each grouped and depthwise-separable form taken apart
 * (struct grid_form): speed-up = MAC saving x rate, and the form's time
 * beyond regular time / saving split into memory, overhead and kernel. */
struct decomposition_out {
    FILE *out;
    const struct summary *s;
    size_t ti;
    bool header;
};

static void print_family(const struct grid_family *family, void *context)
{
    struct decomposition_out *d = context;
    const struct result_grid *g = &d->s->grid;
    if (!d->header) {
        fprintf(d->out, "\n%s, %d thread%s: the speed-up of each form taken apart (the "
                "fastest of convbench's own variants, whose phases are known): speed-up = MAC saving x rate (GFLOP/s over the regular layer's); "
                "the time beyond regular / saving is memory (bytes / bandwidth beyond it), "
                "overhead (phases outside the main kernel) and kernel (the rest)\n",
                d->s->label, g->threads[d->ti], thread_label(g->threads[d->ti]));
        fprintf(d->out, "  %-22s %8s %8s %7s %10s %10s %8s %9s %7s\n", "form", "saving",
                "speed-up", "rate", "time us", "excess us", "memory", "overhead", "kernel");
        d->header = true;
    }
    const char *regular = g->layers[family->regular]->layer.name;
    for (size_t f = 0; f < family->form_count; f++) {
        const struct grid_form *form = &family->forms[f];
        char name[64];
        snprintf(name, sizeof name, "%.*s_%s", family->prefix_length, regular, form->name);
        const double excess = form->excess_us > 0.0 ? form->excess_us : 1.0;
        fprintf(d->out, "  %-22s %7.2fx %7.2fx %7.2f %10.1f %10.1f %7.0f%% %8.0f%% %6.0f%%\n",
                name, form->saving, form->speedup, form->rate, form->time_us, form->excess_us,
                100.0 * form->memory_us / excess, 100.0 * form->overhead_us / excess,
                100.0 * form->kernel_us / excess);
    }
}

static void print_decomposition(FILE *out, const struct summary *s, size_t ti)
{
    struct decomposition_out d = {.out = out, .s = s, .ti = ti};
    grid_separable_families(&s->grid, ti, GRID_FASTEST_OWN, print_family, &d);
}

/* One layer's entry of the best-of schedule: the variant and its time. */
static void print_pick(FILE *out, const struct summary *s, size_t li, size_t ti, int which,
                       const char *gap)
{
    const struct result_grid *g = &s->grid;
    const int v = which < 0 ? grid_fastest(g, li, ti, which == GRID_FASTEST_OWN) : which;
    if (v >= 0)
        fprintf(out, "%s%-18s %10.1f", gap, g->variants[v], grid_time_us(g, li, ti, v));
    else
        fprintf(out, "%s%-18s %10s", gap, "-", "-");
}

/* Which algorithm for which layer: each layer on its fastest verified
 * variant, once among convbench's own variants and once among all. */
static void print_best_of(FILE *out, const struct summary *s, size_t ti)
{
    const struct result_grid *g = &s->grid;
    bool any_peer = false;
    for (size_t vi = 0; vi < s->options->variant_count; vi++)
        any_peer |= s->options->variants[vi]->peer;
    fprintf(out, "\n%s, %d thread%s: best-of schedule (each layer on its fastest verified "
            "variant), us\n", s->label, g->threads[ti], thread_label(g->threads[ti]));
    fprintf(out, "  %-18s %-18s %10s", "layer", "fastest own", "time");
    if (any_peer)
        fprintf(out, "   %-18s %10s", "fastest of all", "time");
    fputc('\n', out);
    for (size_t li = 0; li < g->layer_count; li++) {
        fprintf(out, "  %-18s", g->layers[li]->layer.name);
        print_pick(out, s, li, ti, GRID_FASTEST_OWN, " ");
        if (any_peer)
            print_pick(out, s, li, ti, GRID_FASTEST, "   ");
        fputc('\n', out);
    }
    char own[32], all[32];
    const struct grid_total own_total = grid_network_total(g, ti, GRID_FASTEST_OWN),
                            all_total = grid_network_total(g, ti, GRID_FASTEST);
    total_cell(own, sizeof own, &own_total);
    total_cell(all, sizeof all, &all_total);
    if (g->layer_count < s->selected)
        snprintf(own, sizeof own, "-"), snprintf(all, sizeof all, "-");
    fprintf(out, "  %-18s %-18s %10s", "network (x repeat)", "", own);
    if (any_peer)
        fprintf(out, "   %-18s %10s", "", all);
    fputc('\n', out);
}

/* Which layout the network should run in (grid_schedule): per layout, every
 * layer on its fastest variant writing that layout, conversions included;
 * then the best mixed schedule, over convbench's own variants and over all,
 * with the layers where it changes layout. */
static void print_layouts(FILE *out, const struct summary *s, size_t ti)
{
    const struct result_grid *g = &s->grid;
    struct layout_schedule schedules[LAYOUT_SCHEDULES];
    int *choices = malloc((2 * g->layer_count + 1) * sizeof *choices);
    const int n = choices ? grid_layout_schedules(g, ti, schedules, choices) : -1;
    if (n <= 0) {
        free(choices);
        return;
    }
    fprintf(out, "\n%s, %d thread%s: which layout the network should run in (layers as a "
            "chain, from NCHW to NCHW; a change of layout pays the measured conversions, "
            "through NCHW between two others; 'all in' a layout: every layer on the fastest of "
            "all variants writing it), us\n", s->label, g->threads[ti],
            thread_label(g->threads[ti]));
    fprintf(out, "  %-28s %12s %12s %12s\n", "layout", "network", "conversions",
            "converting");
    for (int k = 0; k < n; k++) {
        const struct schedule *plan = &schedules[k].plan;
        fprintf(out, "  %-28s %12.1f %12zu %12.1f\n", schedules[k].name, plan->time_us,
                plan->conversions, plan->convert_us);
        if (!schedules[k].mixed)
            continue;
        fprintf(out, "    ");
        for (size_t li = 0; li < g->layer_count; li++) {
            const struct result_row *r = grid_measured(g, li, ti, (size_t)plan->choice[li]);
            fprintf(out, "%s%s:%s", li % 4 ? " " : "", r->layer.name, r->variant);
            if (li + 1 < g->layer_count && li % 4 == 3)
                fprintf(out, "\n    ");
        }
        fputc('\n', out);
    }
    free(choices);
}

/* Per layer, the fastest of convbench's own variants against the baseline:
 * with the same nominal MACs the time ratio is the GFLOP/s ratio; beside it
 * each one's share outside its main kernel (phases) and the layer's bound. */
static void print_pairs(FILE *out, const struct summary *s, size_t ti, size_t baseline)
{
    const struct result_grid *g = &s->grid;
    const int b = s->column[baseline];
    if (b < 0 || !s->options->variants[baseline]->peer)
        return;
    bool header = false;
    for (size_t li = 0; li < g->layer_count; li++) {
        const int a = grid_fastest(g, li, ti, true);
        const struct result_row *own = a >= 0 ? grid_measured(g, li, ti, (size_t)a) : NULL,
                                *peer = grid_measured(g, li, ti, (size_t)b);
        if (!own || !peer)
            continue;
        if (!header) {
            fprintf(out, "\n%s, %d thread%s: the fastest own variant against %s per layer "
                    "(same MACs: time ratio = GFLOP/s ratio; outside = share of the time outside "
                    "the main kernel, from the phases)\n", s->label, g->threads[ti],
                    thread_label(g->threads[ti]), g->variants[b]);
            fprintf(out, "  %-18s %-16s %9s %9s %8s %8s %8s\n", "layer", "own", "own us",
                    "speed", "outside", "peer out", "bound");
            header = true;
        }
        char outside[16] = "-", peer_outside[16] = "-";
        if (row_outside_kernel(own) >= 0.0)
            snprintf(outside, sizeof outside, "%.0f%%", 100.0 * row_outside_kernel(own));
        if (row_outside_kernel(peer) >= 0.0)
            snprintf(peer_outside, sizeof peer_outside, "%.0f%%", 100.0 * row_outside_kernel(peer));
        fprintf(out, "  %-18s %-16s %9.1f %8.2fx %8s %8s %8s\n", own->layer.name, own->variant,
                own->timing.median_us, peer->timing.median_us / own->timing.median_us, outside,
                peer_outside, row_bound_name(own->bound));
    }
}

/* The layers furthest from their roofline bound: the fastest variant's
 * roof_fraction (the least time the peak and the bandwidth allow, over the
 * median), lowest first. */
#define FURTHEST_SHOWN 5
static void print_furthest(FILE *out, const struct summary *s, size_t ti)
{
    const struct result_grid *g = &s->grid;
    const struct result_row *rows[FURTHEST_SHOWN];
    size_t n = 0;
    for (size_t li = 0; li < g->layer_count; li++) {
        const struct result_row *r = grid_pick(g, li, ti, GRID_FASTEST);
        if (!r || !(r->roof_fraction > 0.0))
            continue;
        /* insertion into the lowest FURTHEST_SHOWN, kept sorted */
        size_t at = n < FURTHEST_SHOWN ? n++ : FURTHEST_SHOWN;
        while (at > 0 && rows[at - 1]->roof_fraction > r->roof_fraction) {
            if (at < FURTHEST_SHOWN)
                rows[at] = rows[at - 1];
            at--;
        }
        if (at < FURTHEST_SHOWN)
            rows[at] = r;
    }
    if (!n)
        return;
    fprintf(out, "\n%s, %d thread%s: layers furthest from their roofline bound (fastest "
            "variant; roof = max(FLOPs / peak, bytes / bandwidth))\n", s->label,
            g->threads[ti], thread_label(g->threads[ti]));
    fprintf(out, "  %-18s %-18s %-8s %10s %10s %9s\n", "layer", "variant", "bound", "roof us",
            "median us", "of roof");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-18s %-18s %-8s %10.1f %10.1f %8.1f%%\n", rows[i]->layer.name,
                rows[i]->variant, row_bound_name(rows[i]->bound), rows[i]->roof_us,
                rows[i]->timing.median_us, 100.0 * rows[i]->roof_fraction);
}

/* Over the points of the sweeps, the fastest variant and its speed over the
 * runner-up (the map chart as a table). */
static void print_map(FILE *out, const struct summary *s, size_t ti)
{
    struct crossover_map m;
    if (crossover_map_build(&s->grid, ti, &m) != 0 || m.rows * m.columns < 2) {
        crossover_map_free(&m);
        return;
    }
    fprintf(out, "\n%s, %d thread%s: fastest variant at each point of the sweeps, and its "
            "speed over the runner-up\n", s->label, s->grid.threads[ti],
            thread_label(s->grid.threads[ti]));
    fprintf(out, "  %-24s", "");
    for (size_t c = 0; c < m.columns; c++)
        fprintf(out, " %-22s", m.column_names[c]);
    fputc('\n', out);
    for (size_t r = 0; r < m.rows; r++) {
        fprintf(out, "  %-24s", m.row_names[r]);
        for (size_t c = 0; c < m.columns; c++) {
            const struct crossover_cell *cell = crossover_at(&m, r, c);
            char text[48] = "-";
            if (cell->winner >= 0 && cell->runner_up >= 0)
                snprintf(text, sizeof text, "%s %.2fx", s->grid.variants[cell->winner],
                         cell->speedup);
            else if (cell->winner >= 0)
                snprintf(text, sizeof text, "%s", s->grid.variants[cell->winner]);
            fprintf(out, " %-22s", text);
        }
        fputc('\n', out);
    }
    crossover_map_free(&m);
}

/* Per variant: the geometric mean of the baseline's time over its time,
 * and the network time when every selected layer was timed. */
static void print_speeds(FILE *out, const struct summary *s, size_t ti, size_t baseline)
{
    const struct result_grid *g = &s->grid;
    const struct bench_options *options = s->options;
    fprintf(out, "\n%s, %d thread%s: speed against %s (geometric mean of time ratios "
            "over the layers both ran; >1 is faster)\n", s->label, g->threads[ti],
            thread_label(g->threads[ti]), options->variants[baseline]->name);
    fprintf(out, "  %-20s %8s %10s %18s\n", "variant", "layers", "speed", "network time ms");
    for (size_t vi = 0; vi < options->variant_count; vi++) {
        const int v = s->column[vi], b = s->column[baseline];
        struct grid_total total = {0};
        size_t compared = 0;
        double speed = 0.0;
        if (v >= 0) {
            total = grid_network_total(g, ti, v);
            if (b >= 0)
                speed = grid_speed(g, ti, (size_t)v, (size_t)b, &compared);
        }
        char layers[32], speed_text[32] = "-", time[48];
        snprintf(layers, sizeof layers, "%zu/%zu", total.measured, s->selected);
        if (compared)
            snprintf(speed_text, sizeof speed_text, "%.2fx", speed);
        if (total.measured == s->selected)
            snprintf(time, sizeof time, "%.3f", total.time_us * 1e-3);
        else
            snprintf(time, sizeof time, "- (%zu layers missing)", s->selected - total.measured);
        fprintf(out, "  %-20s %8s %10s %18s\n", options->variants[vi]->name, layers, speed_text,
                time);
    }
}

void bench_print_summary(FILE *out, const struct bench_options *options,
                         const struct bench_run *run, size_t baseline)
{
    struct summary s = {.options = options, .net = run->net};
    if (run->batch)
        snprintf(s.label, sizeof s.label, "%s at batch %lld", run->net->name,
                 (long long)run->batch);
    else
        snprintf(s.label, sizeof s.label, "%s", run->net->name);
    for (size_t li = 0; li < run->net->layer_count; li++)
        s.selected += run->selected[li];
    if (result_grid_build(&s.grid, run->results->rows + run->first_row, run->row_count) != 0) {
        fprintf(stderr, "convbench: out of memory for the summary of %s\n", run->net->name);
        return;
    }
    for (size_t vi = 0; vi < options->variant_count; vi++) {
        s.column[vi] = grid_variant_index(&s.grid, options->variants[vi]->name);
        if (s.column[vi] >= 0)
            s.grid.peer[s.column[vi]] = options->variants[vi]->peer;
    }
    for (size_t ti = 0; ti < s.grid.thread_count; ti++) {
        print_layer_table(out, &s, ti);
        print_depthwise_bandwidth(out, &s, ti);
        print_blocks(out, &s, ti);
        print_decomposition(out, &s, ti);
        print_best_of(out, &s, ti);
        print_layouts(out, &s, ti);
        print_map(out, &s, ti);
        print_furthest(out, &s, ti);
        print_pairs(out, &s, ti, baseline);
        print_speeds(out, &s, ti, baseline);
    }
    if (run->noisy)
        fprintf(out, "\n%zu timed row%s stayed noisy after %d rounds (time_spread above "
                "--max-cv=%g, or cpu_share below %g: another process ran; 'noisy' in their "
                "note): rerun with nothing else on the machine\n",
                run->noisy, run->noisy == 1 ? "" : "s", options->timing.max_rounds,
                options->timing.max_cv, TIMING_MIN_CPU_SHARE);
    result_grid_free(&s.grid);
}
