#include "bench.h"

#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "tensor.h"

struct bench_record *bench_record_at(const struct bench_options *options,
                                     const struct bench_run *run, size_t layer,
                                     size_t thread, size_t variant)
{
    return &run->records[(layer * options->thread_count + thread) * options->variant_count +
                         variant];
}

/* The tensors of one layer, shared by every variant and thread count. */
struct layer_data {
    float *in, *weights, *bias, *out;
    double *reference;
};

static void layer_data_free(struct layer_data *d)
{
    free(d->in);
    free(d->weights);
    free(d->bias);
    free(d->out);
    free(d->reference);
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

/* Seconds of one input and one output layout conversion (best of three). */
static double time_reorders(const struct conv_variant *v, void *state,
                            const struct layer_data *d)
{
    double best = 0.0;
    for (int i = 0; i < 3; i++) {
        double t0 = time_now();
        v->load_input(state, d->in);
        v->store_output(state, d->out);
        double t = time_now() - t0;
        if (i == 0 || t < best)
            best = t;
    }
    return best;
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

    /* the checked run, on an output where an unwritten element is a NaN; it
     * is also the warm-up before timing */
    const size_t out_count = (size_t)layer_output_elements(l);
    tensor_fill(d->out, out_count, NAN);
    double warm_seconds = 0.0;
    enum conv_status ran = v->load_input ? v->load_input(state, d->in) : CONV_OK;
    if (ran == CONV_OK) {
        double t0 = time_now();
        ran = v->run(state, d->in, d->out);
        warm_seconds = time_now() - t0;
    }
    if (ran == CONV_OK && v->store_output)
        ran = v->store_output(state, d->out);
    if (ran != CONV_OK) {
        row->status = ROW_ERROR;
        snprintf(row->note, sizeof row->note, "run failed");
        goto done;
    }
    row->verified = true;
    row->check = verify_output(d->out, d->reference, out_count, verify_bound(l, v->tolerance));
    if (row->check.verdict != VERIFY_OK) {
        row->status = ROW_MISMATCH;
        describe_mismatch(l, &row->check, row->note, sizeof row->note);
        goto done; /* the time of a wrong answer means nothing */
    }
    row->status = ROW_OK;
    if (!options->verify_only) {
        if (time_variant(v, state, d->in, d->out, warm_seconds, &options->timing,
                         &row->timing) != CONV_OK) {
            finished = !(options->timing.stop && *options->timing.stop);
            row->status = ROW_ERROR;
            snprintf(row->note, sizeof row->note, "a timed run failed");
        } else {
            row->timed = true;
            if (row->timing.noisy)
                snprintf(row->note, sizeof row->note, "noisy: cv %.2f after %d rounds",
                         row->timing.cv, row->timing.rounds);
        }
        if (v->load_input && row->timed)
            row->reorder_us = 1e6 * time_reorders(v, state, d);
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

/* Adds impl to the "; "-separated list unless it is there already. */
static void note_impl(char *list, size_t size, const char *impl)
{
    for (const char *p = list; (p = strstr(p, impl)); p++) {
        size_t n = strlen(impl);
        if ((p == list || p[-1] == ' ') && (p[n] == ';' || p[n] == '\0'))
            return;
    }
    size_t used = strlen(list);
    snprintf(list + used, size - used, "%s%s", used ? "; " : "", impl);
}

int bench_network(const struct bench_options *options, struct bench_run *run,
                  struct csv_sink *sink)
{
    const struct network *net = run->net;
    size_t total = 0, done = 0;
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
                    .config = net->name, .layer = l, .cost = layer_cost(l),
                    .variant = v->name, .threads = threads,
                    .peak_gflops = options->peak_gflops ? options->peak_gflops[ti] : 0.0,
                    .reorder_us = -1.0,
                };
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
                if (row.impl[0] && run->impls)
                    note_impl(run->impls[vi], sizeof run->impls[vi], row.impl);
                run->mismatches += row.status == ROW_MISMATCH;
                run->errors += row.status == ROW_ERROR;
                run->noisy += row.timed && row.timing.noisy;
                *bench_record_at(options, run, li, ti, vi) = (struct bench_record){
                    .ran = true, .status = row.status, .timed = row.timed,
                    .median_us = row.timing.median_us};
                if (csv_sink_write(sink, &row) != 0) {
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

/* Per layer: its kind and MACs, then each variant's median time in us, or
 * why there is none. */
static void print_layer_table(FILE *out, const struct bench_options *options,
                              const struct bench_run *run, size_t ti)
{
    const struct network *net = run->net;
    fprintf(out, "\n%s, %d thread%s: median time per layer, us\n", net->name,
            options->threads[ti], options->threads[ti] == 1 ? "" : "s");
    fprintf(out, "  %-18s %-10s %9s", "layer", "kind", "MMACs");
    for (size_t vi = 0; vi < options->variant_count; vi++)
        fprintf(out, " %*s", column_width(options->variants[vi]), options->variants[vi]->name);
    fputc('\n', out);
    for (size_t li = 0; li < net->layer_count; li++) {
        if (!run->selected[li])
            continue;
        const struct conv_layer *l = &net->layers[li];
        fprintf(out, "  %-18s %-10s %9.2f", l->name, layer_kind_name(layer_kind(l)),
                (double)layer_cost(l).macs * 1e-6);
        for (size_t vi = 0; vi < options->variant_count; vi++) {
            const struct bench_record *r = bench_record_at(options, run, li, ti, vi);
            char cell[32];
            if (!r->ran)
                snprintf(cell, sizeof cell, "-");
            else if (r->timed)
                snprintf(cell, sizeof cell, "%.1f", r->median_us);
            else if (r->status == ROW_OK)
                snprintf(cell, sizeof cell, "ok");
            else
                snprintf(cell, sizeof cell, "%s", row_status_name(r->status));
            fprintf(out, " %*s", column_width(options->variants[vi]), cell);
        }
        fputc('\n', out);
    }
}

/* Depthwise layers do 9 MACs per output: their speed is a bandwidth, the
 * minimum traffic (the bytes column) over the median time. */
static void print_depthwise_bandwidth(FILE *out, const struct bench_options *options,
                                      const struct bench_run *run, size_t ti)
{
    const struct network *net = run->net;
    bool any = false;
    for (size_t li = 0; li < net->layer_count && !any; li++)
        any = run->selected[li] && layer_kind(&net->layers[li]) == LAYER_DEPTHWISE;
    if (!any)
        return;
    fprintf(out, "\n%s, %d thread%s: depthwise layers, achieved GB/s (minimum traffic / median "
            "time)\n", net->name, options->threads[ti], options->threads[ti] == 1 ? "" : "s");
    if (options->bandwidth_gbs > 0.0)
        fprintf(out, "  (measured memory bandwidth: %.1f GB/s; above it, the layer ran from "
                "cache)\n", options->bandwidth_gbs);
    fprintf(out, "  %-18s %9s", "layer", "MB");
    for (size_t vi = 0; vi < options->variant_count; vi++)
        fprintf(out, " %*s", column_width(options->variants[vi]), options->variants[vi]->name);
    fputc('\n', out);
    for (size_t li = 0; li < net->layer_count; li++) {
        const struct conv_layer *l = &net->layers[li];
        if (!run->selected[li] || layer_kind(l) != LAYER_DEPTHWISE)
            continue;
        const double bytes = (double)layer_cost(l).bytes;
        fprintf(out, "  %-18s %9.2f", l->name, bytes * 1e-6);
        for (size_t vi = 0; vi < options->variant_count; vi++) {
            const struct bench_record *r = bench_record_at(options, run, li, ti, vi);
            char cell[32] = "-";
            if (r->timed && r->median_us > 0.0)
                snprintf(cell, sizeof cell, "%.1f", bytes / (r->median_us * 1e3));
            fprintf(out, " %*s", column_width(options->variants[vi]), cell);
        }
        fputc('\n', out);
    }
}

/* The fastest timed variant of a layer (among convbench's own when
 * own_only), or -1. */
static int fastest_variant(const struct bench_options *options, const struct bench_run *run,
                           size_t li, size_t ti, bool own_only)
{
    int best = -1;
    for (size_t vi = 0; vi < options->variant_count; vi++) {
        const struct bench_record *r = bench_record_at(options, run, li, ti, vi);
        if (!r->timed || (own_only && options->variants[vi]->peer))
            continue;
        if (best < 0 || r->median_us < bench_record_at(options, run, li, ti, (size_t)best)->median_us)
            best = (int)vi;
    }
    return best;
}

/* Layers sharing a block tag as one unit: summed MACs, and per variant the
 * summed time (median x repeat) when it timed every member. */
static void print_blocks(FILE *out, const struct bench_options *options,
                         const struct bench_run *run, size_t ti)
{
    const struct network *net = run->net;
    bool header = false;
    for (size_t li = 0; li < net->layer_count; li++) {
        const struct conv_layer *l = &net->layers[li];
        if (!run->selected[li] || !l->block[0])
            continue;
        bool seen = false;
        for (size_t j = 0; j < li && !seen; j++)
            seen = run->selected[j] && strcmp(net->layers[j].block, l->block) == 0;
        if (seen)
            continue;
        if (!header) {
            fprintf(out, "\n%s, %d thread%s: blocks (layers sharing a block tag), summed time, "
                    "us\n", net->name, options->threads[ti], options->threads[ti] == 1 ? "" : "s");
            fprintf(out, "  %-18s %-10s %9s", "block", "layers", "MMACs");
            for (size_t vi = 0; vi < options->variant_count; vi++)
                fprintf(out, " %*s", column_width(options->variants[vi]),
                        options->variants[vi]->name);
            fprintf(out, " %11s\n", "fastest");
            header = true;
        }
        double macs = 0.0, best = 0.0;
        int members = 0;
        bool best_complete = true;
        for (size_t j = li; j < net->layer_count; j++) {
            if (!run->selected[j] || strcmp(net->layers[j].block, l->block) != 0)
                continue;
            members++;
            macs += (double)net->layers[j].repeat * (double)layer_cost(&net->layers[j]).macs;
            int f = fastest_variant(options, run, j, ti, false);
            if (f < 0)
                best_complete = false;
            else
                best += (double)net->layers[j].repeat *
                        bench_record_at(options, run, j, ti, (size_t)f)->median_us;
        }
        char count[16];
        snprintf(count, sizeof count, "%d", members);
        fprintf(out, "  %-18s %-10s %9.2f", l->block, count, macs * 1e-6);
        for (size_t vi = 0; vi < options->variant_count; vi++) {
            double time = 0.0;
            bool complete = true;
            for (size_t j = li; j < net->layer_count; j++) {
                if (!run->selected[j] || strcmp(net->layers[j].block, l->block) != 0)
                    continue;
                const struct bench_record *r = bench_record_at(options, run, j, ti, vi);
                if (!r->timed)
                    complete = false;
                else
                    time += (double)net->layers[j].repeat * r->median_us;
            }
            char cell[32] = "-";
            if (complete)
                snprintf(cell, sizeof cell, "%.1f", time);
            fprintf(out, " %*s", column_width(options->variants[vi]), cell);
        }
        char cell[32] = "-";
        if (best_complete)
            snprintf(cell, sizeof cell, "%.1f", best);
        fprintf(out, " %11s\n", cell);
    }
}

/* Which algorithm for which layer: each layer on its fastest verified
 * variant, once among convbench's own variants and once among all. */
static void print_best_of(FILE *out, const struct bench_options *options,
                          const struct bench_run *run, size_t ti)
{
    const struct network *net = run->net;
    bool any_peer = false;
    for (size_t vi = 0; vi < options->variant_count; vi++)
        any_peer |= options->variants[vi]->peer;
    fprintf(out, "\n%s, %d thread%s: best-of schedule (each layer on its fastest verified "
            "variant), us\n", net->name, options->threads[ti], options->threads[ti] == 1 ? "" : "s");
    fprintf(out, "  %-18s %-18s %10s", "layer", "fastest own", "time");
    if (any_peer)
        fprintf(out, "   %-18s %10s", "fastest of all", "time");
    fputc('\n', out);
    double own_total = 0.0, all_total = 0.0;
    bool own_complete = true, all_complete = true;
    for (size_t li = 0; li < net->layer_count; li++) {
        if (!run->selected[li])
            continue;
        const double repeat = (double)net->layers[li].repeat;
        const int own = fastest_variant(options, run, li, ti, true);
        const int all = fastest_variant(options, run, li, ti, false);
        fprintf(out, "  %-18s", net->layers[li].name);
        if (own >= 0) {
            const double t = bench_record_at(options, run, li, ti, (size_t)own)->median_us;
            fprintf(out, " %-18s %10.1f", options->variants[own]->name, t);
            own_total += repeat * t;
        } else {
            fprintf(out, " %-18s %10s", "-", "-");
            own_complete = false;
        }
        if (any_peer) {
            if (all >= 0) {
                const double t = bench_record_at(options, run, li, ti, (size_t)all)->median_us;
                fprintf(out, "   %-18s %10.1f", options->variants[all]->name, t);
                all_total += repeat * t;
            } else {
                fprintf(out, "   %-18s %10s", "-", "-");
                all_complete = false;
            }
        }
        fputc('\n', out);
    }
    char own_cell[32] = "-", all_cell[32] = "-";
    if (own_complete)
        snprintf(own_cell, sizeof own_cell, "%.1f", own_total);
    if (all_complete)
        snprintf(all_cell, sizeof all_cell, "%.1f", all_total);
    fprintf(out, "  %-18s %-18s %10s", "network (x repeat)", "", own_cell);
    if (any_peer)
        fprintf(out, "   %-18s %10s", "", all_cell);
    fputc('\n', out);
}

void bench_print_summary(FILE *out, const struct bench_options *options,
                         const struct bench_run *run, size_t baseline)
{
    const struct network *net = run->net;
    size_t selected = 0;
    for (size_t li = 0; li < net->layer_count; li++)
        selected += run->selected[li];

    for (size_t ti = 0; ti < options->thread_count; ti++) {
        print_layer_table(out, options, run, ti);
        print_depthwise_bandwidth(out, options, run, ti);
        print_blocks(out, options, run, ti);
        print_best_of(out, options, run, ti);
        fprintf(out, "\n%s, %d thread%s: speed against %s (geometric mean of time ratios "
                "over the layers both ran; >1 is faster)\n", net->name, options->threads[ti],
                options->threads[ti] == 1 ? "" : "s", options->variants[baseline]->name);
        fprintf(out, "  %-20s %8s %10s %18s\n", "variant", "layers", "speed", "network time ms");
        for (size_t vi = 0; vi < options->variant_count; vi++) {
            double log_sum = 0.0, network_us = 0.0;
            size_t compared = 0, timed = 0;
            for (size_t li = 0; li < net->layer_count; li++) {
                if (!run->selected[li])
                    continue;
                const struct bench_record *r = bench_record_at(options, run, li, ti, vi);
                const struct bench_record *b = bench_record_at(options, run, li, ti, baseline);
                if (!r->timed)
                    continue;
                timed++;
                network_us += (double)net->layers[li].repeat * r->median_us;
                if (b->timed) {
                    log_sum += log(b->median_us / r->median_us);
                    compared++;
                }
            }
            char layers[32], speed[32], time[48];
            snprintf(layers, sizeof layers, "%zu/%zu", timed, selected);
            if (compared)
                snprintf(speed, sizeof speed, "%.2fx", exp(log_sum / (double)compared));
            else
                snprintf(speed, sizeof speed, "-");
            if (timed == selected)
                snprintf(time, sizeof time, "%.3f", network_us * 1e-3);
            else
                snprintf(time, sizeof time, "- (%zu layers missing)", selected - timed);
            fprintf(out, "  %-20s %8s %10s %18s\n", options->variants[vi]->name, layers, speed,
                    time);
        }
    }
    if (run->noisy)
        fprintf(out, "\n%zu timed row%s stayed noisy (CV above --max-cv=%g after %d rounds; "
                "'noisy' in their note): rerun with nothing else on the machine\n",
                run->noisy, run->noisy == 1 ? "" : "s", options->timing.max_cv,
                options->timing.max_rounds);
}
