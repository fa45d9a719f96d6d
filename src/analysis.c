#include "analysis.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Layers are found by (config, name, batch) through an open-addressing
 * table of layer indices, so that a sweep of many layers builds in linear
 * time. */
static uint64_t layer_hash(const struct result_row *r)
{
    uint64_t h = 1469598103934665603u;
    for (const char *s = r->config; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    h = (h ^ '/') * 1099511628211u;
    for (const char *s = r->layer.name; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (h ^ (uint64_t)r->layer.batch) * 1099511628211u;
}

static bool same_layer(const struct result_row *a, const struct result_row *b)
{
    return a->layer.batch == b->layer.batch && strcmp(a->layer.name, b->layer.name) == 0 &&
           strcmp(a->config, b->config) == 0;
}

static int intern_thread(struct result_grid *g, int threads, size_t capacity)
{
    for (size_t t = 0; t < g->thread_count; t++)
        if (g->threads[t] == threads)
            return (int)t;
    if (g->thread_count == capacity)
        return -1;
    g->threads[g->thread_count] = threads;
    return (int)g->thread_count++;
}

static int intern_variant(struct result_grid *g, const char *name, size_t capacity)
{
    for (size_t v = 0; v < g->variant_count; v++)
        if (strcmp(g->variants[v], name) == 0)
            return (int)v;
    if (g->variant_count == capacity)
        return -1;
    g->variants[g->variant_count] = name;
    return (int)g->variant_count++;
}

int result_grid_build(struct result_grid *g, const struct result_row *rows, size_t count)
{
    *g = (struct result_grid){0};
    const size_t n = count ? count : 1;
    size_t slots = 16;
    while (slots < 2 * n)
        slots *= 2;
    size_t *table = malloc(slots * sizeof *table);        /* layer index + 1; 0 empty */
    size_t *row_layer = malloc(n * sizeof *row_layer);
    int *row_thread = malloc(n * sizeof *row_thread), *row_variant = malloc(n * sizeof *row_variant);
    g->layers = malloc(n * sizeof *g->layers);
    g->threads = malloc(n * sizeof *g->threads);
    g->variants = malloc(n * sizeof *g->variants);
    int status = -1;
    if (!table || !row_layer || !row_thread || !row_variant || !g->layers || !g->threads ||
        !g->variants)
        goto done;
    memset(table, 0, slots * sizeof *table);

    for (size_t i = 0; i < count; i++) {
        const struct result_row *r = &rows[i];
        size_t slot = (size_t)layer_hash(r) & (slots - 1);
        while (table[slot] && !same_layer(g->layers[table[slot] - 1], r))
            slot = (slot + 1) & (slots - 1);
        if (!table[slot]) {
            g->layers[g->layer_count++] = r;
            table[slot] = g->layer_count;
        }
        row_layer[i] = table[slot] - 1;
        row_thread[i] = intern_thread(g, r->threads, n);
        row_variant[i] = intern_variant(g, r->variant, n);
    }
    const size_t cells = g->layer_count * g->thread_count * g->variant_count;
    g->cells = calloc(cells ? cells : 1, sizeof *g->cells);
    g->peer = calloc(g->variant_count ? g->variant_count : 1, sizeof *g->peer);
    if (!g->cells || !g->peer)
        goto done;
    for (size_t i = 0; i < count; i++)
        g->cells[(row_layer[i] * g->thread_count + (size_t)row_thread[i]) * g->variant_count +
                 (size_t)row_variant[i]] = &rows[i];
    status = 0;
done:
    free(table);
    free(row_layer);
    free(row_thread);
    free(row_variant);
    if (status != 0)
        result_grid_free(g);
    return status;
}

void result_grid_free(struct result_grid *g)
{
    free(g->layers);
    free(g->threads);
    free(g->variants);
    free(g->peer);
    free(g->cells);
    *g = (struct result_grid){0};
}

const struct result_row *grid_cell(const struct result_grid *g, size_t layer, size_t thread,
                                   size_t variant)
{
    return g->cells[(layer * g->thread_count + thread) * g->variant_count + variant];
}

const struct result_row *grid_measured(const struct result_grid *g, size_t layer, size_t thread,
                                       size_t variant)
{
    const struct result_row *r = grid_cell(g, layer, thread, variant);
    return r && row_measured(r) ? r : NULL;
}

int grid_thread_index(const struct result_grid *g, int threads)
{
    for (size_t t = 0; t < g->thread_count; t++)
        if (g->threads[t] == threads)
            return (int)t;
    return -1;
}

int grid_variant_index(const struct result_grid *g, const char *variant)
{
    for (size_t v = 0; v < g->variant_count; v++)
        if (strcmp(g->variants[v], variant) == 0)
            return (int)v;
    return -1;
}

int grid_fastest(const struct result_grid *g, size_t layer, size_t thread, bool own_only)
{
    int best = -1;
    double best_us = 0.0;
    for (size_t v = 0; v < g->variant_count; v++) {
        const struct result_row *r = grid_measured(g, layer, thread, v);
        if (!r || (own_only && g->peer[v]))
            continue;
        if (best < 0 || r->timing.median_us < best_us) {
            best = (int)v;
            best_us = r->timing.median_us;
        }
    }
    return best;
}

const struct result_row *grid_pick(const struct result_grid *g, size_t layer, size_t thread,
                                   int variant)
{
    if (variant < 0)
        variant = grid_fastest(g, layer, thread, variant == GRID_FASTEST_OWN);
    return variant >= 0 ? grid_measured(g, layer, thread, (size_t)variant) : NULL;
}

double grid_time_us(const struct result_grid *g, size_t layer, size_t thread, int variant)
{
    const struct result_row *r = grid_pick(g, layer, thread, variant);
    return r ? r->timing.median_us : 0.0;
}

/* The geometric mean over layers of time(thread a, variant a) / time(thread
 * b, variant b), on the layers measured at both. */
static double geomean_ratio(const struct result_grid *g, size_t thread_a, size_t variant_a,
                            size_t thread_b, size_t variant_b, size_t *compared)
{
    double log_sum = 0.0;
    size_t n = 0;
    for (size_t l = 0; l < g->layer_count; l++) {
        const struct result_row *a = grid_measured(g, l, thread_a, variant_a),
                                *b = grid_measured(g, l, thread_b, variant_b);
        if (a && b) {
            log_sum += log(a->timing.median_us / b->timing.median_us);
            n++;
        }
    }
    *compared = n;
    return n ? exp(log_sum / (double)n) : 0.0;
}

double grid_speed(const struct result_grid *g, size_t thread, size_t variant, size_t base,
                  size_t *compared)
{
    return geomean_ratio(g, thread, base, thread, variant, compared);
}

double grid_thread_speedup(const struct result_grid *g, size_t variant, size_t base,
                           size_t thread, size_t *compared)
{
    return geomean_ratio(g, base, variant, thread, variant, compared);
}

static void add_layer(struct grid_total *t, const struct result_grid *g, size_t layer,
                      size_t thread, int variant)
{
    const struct result_row *first = g->layers[layer];
    const double repeat = (double)first->layer.repeat;
    t->layers++;
    t->macs += repeat * (double)first->cost.macs;
    const struct result_row *r = grid_pick(g, layer, thread, variant);
    if (r) {
        t->measured++;
        t->time_us += repeat * r->timing.median_us;
        t->flops += repeat * (double)r->cost.flops;
    }
}

/* Whether layers a and b are in one block: the same tag in one config, at
 * one batch. */
static bool same_block(const struct result_row *a, const struct result_row *b)
{
    return a->layer.block[0] && strcmp(a->layer.block, b->layer.block) == 0 &&
           strcmp(a->config, b->config) == 0 && a->layer.batch == b->layer.batch;
}

bool grid_block_first(const struct result_grid *g, size_t layer)
{
    if (!g->layers[layer]->layer.block[0])
        return false;
    for (size_t j = 0; j < layer; j++)
        if (same_block(g->layers[j], g->layers[layer]))
            return false;
    return true;
}

struct grid_total grid_block_total(const struct result_grid *g, size_t member, size_t thread,
                                   int variant)
{
    struct grid_total t = {0};
    for (size_t j = 0; j < g->layer_count; j++)
        if (same_block(g->layers[j], g->layers[member]))
            add_layer(&t, g, j, thread, variant);
    return t;
}

struct grid_total grid_network_total(const struct result_grid *g, size_t thread, int variant)
{
    struct grid_total t = {0};
    for (size_t l = 0; l < g->layer_count; l++)
        add_layer(&t, g, l, thread, variant);
    return t;
}

struct grid_total grid_batch_total(const struct result_grid *g, size_t thread, int variant,
                                   int64_t batch)
{
    struct grid_total t = {0};
    for (size_t l = 0; l < g->layer_count; l++)
        if (g->layers[l]->layer.batch == batch)
            add_layer(&t, g, l, thread, variant);
    return t;
}

size_t grid_batches(const struct result_grid *g, int64_t *batches, size_t max)
{
    size_t n = 0;
    for (size_t l = 0; l < g->layer_count; l++) {
        const int64_t b = g->layers[l]->layer.batch;
        size_t at = 0;
        while (at < n && batches[at] < b)
            at++;
        if (at < n && batches[at] == b)
            continue;
        if (n == max)
            return max + 1; /* one more distinct size than there is room for */
        memmove(batches + at + 1, batches + at, (n - at) * sizeof *batches);
        batches[at] = b;
        n++;
    }
    return n;
}

void result_set_impls(const struct result_set *set, const char *variant, char *list, size_t size)
{
    for (size_t i = 0; i < set->count; i++) {
        const char *impl = set->rows[i].impl;
        if (!impl[0] || strcmp(set->rows[i].variant, variant) != 0)
            continue;
        const size_t n = strlen(impl);
        bool listed = false;
        for (const char *p = list; !listed && (p = strstr(p, impl)); p++)
            listed = (p == list || p[-1] == ' ') && (p[n] == ';' || p[n] == '\0');
        if (!listed) {
            const size_t used = strlen(list);
            snprintf(list + used, size - used, "%s%s", used ? "; " : "", impl);
        }
    }
}

const char *layout_family_name(enum layout_family family)
{
    static const char *const names[LAYOUT_FAMILIES] = {
        [LAYOUT_NCHW] = "nchw", [LAYOUT_NHWC] = "nhwc", [LAYOUT_BLOCKED] = "blocked"};
    return names[family];
}

enum layout_family layout_family_of(const char *layout)
{
    if (!*layout || strcmp(layout, "nchw") == 0)
        return LAYOUT_NCHW;
    return strcmp(layout, "nhwc") == 0 ? LAYOUT_NHWC : LAYOUT_BLOCKED;
}

/* What converting costs: out of a row's layout back to NCHW, and from NCHW
 * into a row's input layout (0 for NCHW, and where it was not measured). */
static double convert_out_us(const struct result_row *r)
{
    return layout_family_of(r->layout_out) != LAYOUT_NCHW && r->reorder_out_us > 0.0
               ? r->reorder_out_us
               : 0.0;
}

static double convert_in_us(const struct result_row *r)
{
    return layout_family_of(r->layout_in) != LAYOUT_NCHW && r->reorder_in_us > 0.0
               ? r->reorder_in_us
               : 0.0;
}

/* A layout's name, with oneDNN's tags for the channel-blocked layouts
 * written as direct-blocked writes them (aBcd16b is nChw16c: N, C/16, H, W,
 * 16 channels, the last block zero-padded). */
static const char *layout_canonical(const char *layout)
{
    if (strcmp(layout, "aBcd16b") == 0)
        return "nChw16c";
    if (strcmp(layout, "aBcd8b") == 0)
        return "nChw8c";
    return layout;
}

/* The conversion between consecutive rows a (NULL: the network's NCHW
 * input) and b (NULL: its NCHW output). */
static double transition_us(const struct result_row *a, const struct result_row *b)
{
    const char *from = a ? (a->layout_out[0] ? a->layout_out : "nchw") : "nchw";
    const char *to = b ? (b->layout_in[0] ? b->layout_in : "nchw") : "nchw";
    if (strcmp(layout_canonical(from), layout_canonical(to)) == 0)
        return 0.0;
    return (a ? convert_out_us(a) : 0.0) + (b ? convert_in_us(b) : 0.0);
}

static bool schedule_allows(const struct result_grid *g, const struct result_row *r,
                            size_t variant, int family, bool own_only)
{
    return r && (!own_only || !g->peer[variant]) &&
           (family == SCHEDULE_ANY || (int)layout_family_of(r->layout_out) == family);
}

bool grid_is_chain(const struct result_grid *g)
{
    for (size_t l = 1; l < g->layer_count; l++) {
        const struct conv_layer *a = &g->layers[l - 1]->layer, *b = &g->layers[l]->layer;
        if (b->c_in != a->c_out || b->batch != a->batch)
            return false;
    }
    return g->layer_count > 1;
}

int grid_schedule(const struct result_grid *g, size_t thread, int family, bool own_only,
                  struct schedule *out)
{
    const size_t L = g->layer_count, V = g->variant_count;
    /* best[l][v]: the least time through layer l ending on variant v; from
     * [l][v]: the variant before it on that path (-1: none) */
    const size_t cells = L * V > 0 ? L * V : 1;
    double *best = malloc(cells * sizeof *best);
    int *from = malloc(cells * sizeof *from);
    if (!best || !from) {
        free(best);
        free(from);
        return -1;
    }
    out->complete = L > 0;
    for (size_t l = 0; l < L; l++) {
        bool any = false;
        for (size_t v = 0; v < V; v++) {
            const struct result_row *r = grid_measured(g, l, thread, v);
            best[l * V + v] = INFINITY;
            from[l * V + v] = -1;
            if (!schedule_allows(g, r, v, family, own_only))
                continue;
            const double own = r->timing.median_us * (double)r->layer.repeat;
            if (l == 0) {
                best[v] = own + transition_us(NULL, r);
            } else {
                for (size_t p = 0; p < V; p++) {
                    if (!isfinite(best[(l - 1) * V + p]))
                        continue;
                    const double t = best[(l - 1) * V + p] + own +
                                     transition_us(grid_measured(g, l - 1, thread, p), r);
                    if (t < best[l * V + v])
                        best[l * V + v] = t, from[l * V + v] = (int)p;
                }
            }
            any |= isfinite(best[l * V + v]);
        }
        out->complete &= any;
    }
    out->time_us = out->convert_us = 0.0;
    out->conversions = 0;
    if (out->complete) {
        int v = -1;
        double t = INFINITY;
        for (size_t c = 0; c < V; c++) {
            const double end = best[(L - 1) * V + c] +
                               transition_us(grid_measured(g, L - 1, thread, c), NULL);
            if (end < t)
                t = end, v = (int)c;
        }
        out->time_us = t;
        /* back along the path: the choices and the conversions on it */
        const struct result_row *next = NULL;
        for (size_t l = L; l-- > 0;) {
            const struct result_row *r = grid_measured(g, l, thread, (size_t)v);
            const double step = transition_us(r, next);
            out->convert_us += step;
            out->conversions += step > 0.0;
            if (out->choice)
                out->choice[l] = v;
            next = r;
            v = from[l * V + (size_t)v];
        }
        const double first = transition_us(NULL, next);
        out->convert_us += first;
        out->conversions += first > 0.0;
    }
    free(best);
    free(from);
    return 0;
}

int grid_layout_schedules(const struct result_grid *g, size_t thread,
                          struct layout_schedule out[LAYOUT_SCHEDULES], int *choices)
{
    bool other = false;
    for (size_t l = 0; l < g->layer_count; l++)
        for (size_t v = 0; v < g->variant_count; v++) {
            const struct result_row *r = grid_measured(g, l, thread, v);
            other |= r && layout_family_of(r->layout_out) != LAYOUT_NCHW;
        }
    if (!other || !grid_is_chain(g))
        return 0;
    int n = 0;
    for (int k = 0; k < LAYOUT_SCHEDULES; k++) {
        const bool mixed = k >= LAYOUT_FAMILIES, own = k == LAYOUT_FAMILIES;
        struct layout_schedule *s = &out[n];
        *s = (struct layout_schedule){.mixed = mixed};
        if (mixed && choices)
            s->plan.choice = choices + (own ? 0 : g->layer_count);
        if (grid_schedule(g, thread, mixed ? SCHEDULE_ANY : k, own, &s->plan) != 0)
            return -1;
        if (!s->plan.complete)
            continue;
        if (mixed)
            snprintf(s->name, sizeof s->name, "best mixed, %s", own ? "own" : "all");
        else
            snprintf(s->name, sizeof s->name, "all in %s",
                     layout_family_name((enum layout_family)k));
        n++;
    }
    return n;
}

double row_outside_kernel(const struct result_row *r)
{
    if (!r->phased || !(r->phase_wall_us > 0.0))
        return -1.0;
    double main = 0.0;
    for (int p = 0; p < PHASE_COUNT; p++)
        main += phase_is_kernel((enum phase)p) ? r->phase_us[p] : 0.0;
    const double aside = 1.0 - main / r->phase_wall_us;
    return aside > 0.0 ? aside : 0.0;
}

/* A row's time outside its main kernel, from its phases, at its median. */
static double overhead_us(const struct result_row *r)
{
    const double share = row_outside_kernel(r);
    return share > 0.0 ? share * r->timing.median_us : 0.0;
}

/* A form of the regular layer reg made of members (a layer, or a block's
 * layers): its saving, speed-up and their decomposition (struct grid_form). */
static struct grid_form decompose(const char *name, const struct result_row *reg,
                                  const struct result_row *const *members, int count)
{
    struct grid_form f = {.name = name};
    double macs = 0.0, memory = 0.0, overhead = 0.0;
    for (int i = 0; i < count; i++) {
        macs += (double)members[i]->cost.macs;
        f.time_us += members[i]->timing.median_us;
        memory += members[i]->memory_us;
        overhead += overhead_us(members[i]);
    }
    f.saving = (double)reg->cost.macs / macs;
    f.speedup = reg->timing.median_us / f.time_us;
    f.rate = f.speedup / f.saving;
    f.ideal_us = reg->timing.median_us / f.saving;
    f.excess_us = f.time_us > f.ideal_us ? f.time_us - f.ideal_us : 0.0;
    const double beyond = memory - f.ideal_us;
    f.memory_us = beyond <= 0.0 ? 0.0 : beyond < f.excess_us ? beyond : f.excess_us;
    const double left = f.excess_us - f.memory_us;
    /* the ideal form keeps the regular layer's own overhead, scaled down */
    overhead -= overhead_us(reg) / f.saving;
    f.overhead_us = overhead <= 0.0 ? 0.0 : overhead < left ? overhead : left;
    f.kernel_us = left - f.overhead_us;
    return f;
}

void grid_separable_families(const struct result_grid *g, size_t thread, int which,
                             void (*each)(const struct grid_family *family, void *context),
                             void *context)
{
    for (size_t k = 0; k < g->layer_count; k++) {
        const char *config = g->layers[k]->config, *layer = g->layers[k]->layer.name;
        const char *suffix = strstr(layer, "_regular");
        const struct result_row *reg = grid_pick(g, k, thread, which);
        if (!suffix || suffix[8] || !reg)
            continue;
        struct grid_family family = {.regular = k, .prefix_length = (int)(suffix - layer),
                                     .regular_us = reg->timing.median_us};
        const size_t prefix = (size_t)family.prefix_length;
        const struct result_row *block[2];
        int block_members = 0, block_measured = 0;
        for (size_t j = 0; j < g->layer_count; j++) {
            const char *name = g->layers[j]->layer.name;
            if (j == k || strcmp(g->layers[j]->config, config) != 0 ||
                strncmp(name, layer, prefix) != 0 || name[prefix] != '_')
                continue;
            const struct result_row *p = grid_pick(g, j, thread, which);
            const char *form = name + prefix + 1;
            if (form[0] == 'g' && form[1] >= '0' && form[1] <= '9') {
                if (p && family.form_count < GRID_FORMS_MAX - 1)
                    family.forms[family.form_count++] = decompose(form, reg, &p, 1);
            } else if (strcmp(form, "dw") == 0 || strcmp(form, "pw") == 0) {
                block_members++;
                if (p && block_measured < 2)
                    block[block_measured++] = p;
            }
        }
        if (block_members == 2 && block_measured == 2)
            family.forms[family.form_count++] = decompose("dw+pw", reg, block, 2);
        each(&family, context);
    }
}
