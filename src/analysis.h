/* What the closing summary, --compare and the charts compute from a result
 * set, computed in one place: the grid of rows by layer, thread count and
 * variant; the fastest variant of a layer; geometric means of time ratios;
 * blocks; network times. Only verified, timed rows (row_measured) count. */
#ifndef CONVBENCH_ANALYSIS_H
#define CONVBENCH_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>

#include "resultset.h"

struct result_grid {
    size_t layer_count, thread_count, variant_count;
    const struct result_row **layers; /* per layer (config, name, batch): its first row */
    int *threads;                     /* thread counts, in first-seen order */
    const char **variants;            /* variant names, in first-seen order */
    bool *peer;                       /* per variant: another library's; set by the caller */
    const struct result_row **cells;  /* [layer][thread][variant], NULL where no row */
};

/* The grid of count rows, in the order they came. -1 when out of memory. */
int result_grid_build(struct result_grid *grid, const struct result_row *rows, size_t count);
void result_grid_free(struct result_grid *grid);

const struct result_row *grid_cell(const struct result_grid *grid, size_t layer, size_t thread,
                                   size_t variant);
/* The cell when it is verified and timed, else NULL. */
const struct result_row *grid_measured(const struct result_grid *grid, size_t layer,
                                       size_t thread, size_t variant);

/* The index of a thread count or a variant, or -1. */
int grid_thread_index(const struct result_grid *grid, int threads);
int grid_variant_index(const struct result_grid *grid, const char *variant);

/* The fastest measured variant of a layer (among non-peers when own_only),
 * or -1. */
int grid_fastest(const struct result_grid *grid, size_t layer, size_t thread, bool own_only);

/* Variant indices that stand for the fastest measured variant of each
 * layer, and the fastest of convbench's own. */
enum { GRID_FASTEST = -1, GRID_FASTEST_OWN = -2 };

/* The measured row of a layer under variant (an index, GRID_FASTEST or
 * GRID_FASTEST_OWN), or NULL. */
const struct result_row *grid_pick(const struct result_grid *grid, size_t layer, size_t thread,
                                   int variant);

/* The median time of grid_pick's row; 0 when there is none. */
double grid_time_us(const struct result_grid *grid, size_t layer, size_t thread, int variant);

/* The geometric mean of time(base) / time(variant) over the layers both
 * measured at that thread count; *compared gets their number (0: returns 0). */
double grid_speed(const struct result_grid *grid, size_t thread, size_t variant, size_t base,
                  size_t *compared);

/* The geometric mean over layers of time(variant at thread base) /
 * time(variant at thread), on the layers measured at both. */
double grid_thread_speedup(const struct result_grid *grid, size_t variant, size_t base,
                           size_t thread, size_t *compared);

/* A sum over layers of repeat x median time, and the MACs (x repeat) of
 * those layers. */
struct grid_total {
    double time_us, macs, flops;
    size_t layers;   /* layers summed over */
    size_t measured; /* of them, those with a time */
};

/* The layers that belong to the block of layer member (the layers of its
 * config sharing its block tag), under variant (as for grid_pick). */
struct grid_total grid_block_total(const struct result_grid *grid, size_t member, size_t thread,
                                   int variant);
/* Whether layer is the first of its block (and in one). */
bool grid_block_first(const struct result_grid *grid, size_t layer);

/* Every layer under variant (as for grid_pick). */
struct grid_total grid_network_total(const struct result_grid *grid, size_t thread, int variant);
/* The layers run at batch under variant. */
struct grid_total grid_batch_total(const struct result_grid *grid, size_t thread, int variant,
                                   int64_t batch);
/* The distinct batch sizes of the grid's layers, ascending; returns how
 * many, or max + 1 when there are more than max. */
size_t grid_batches(const struct result_grid *grid, int64_t *batches, size_t max);

/* A family of forms of one layer, as configs/separable.ini names them in
 * one config: <prefix>_regular, grouped forms <prefix>_gG, and a
 * depthwise-separable block <prefix>_dw + <prefix>_pw. Each form has its
 * MAC saving and measured speed-up over the regular layer, both from the
 * fastest measured variant of each layer. */
#define GRID_FORMS_MAX 16
struct grid_form {
    const char *name; /* "g2", ..., or "dw+pw" */
    double saving, speedup;
    /* The speed-up taken apart: speedup = saving x rate, rate the form's
     * GFLOP/s over the regular layer's. At the regular layer's rate the form
     * would take ideal_us (regular time / saving); its time beyond that,
     * excess_us, splits into memory_us (what even the full measured
     * bandwidth could not avoid: the form's bytes / bandwidth beyond
     * ideal_us), overhead_us (its variants' time outside their main kernel,
     * from their phases: packing, transforms, edge tiles, waiting, beyond
     * the regular layer's own overhead / saving), and
     * kernel_us (the rest: the main kernel itself running slower on the
     * smaller shape). All but rate are in us; the parts are 0 where the
     * bandwidth or the phases are unknown, and kernel_us takes it all. */
    double rate, time_us, ideal_us, excess_us, memory_us, overhead_us, kernel_us;
};
struct grid_family {
    size_t regular;    /* the layer index of <prefix>_regular */
    double regular_us; /* its fastest time */
    int prefix_length; /* of its name */
    size_t form_count;
    struct grid_form forms[GRID_FORMS_MAX]; /* grouped forms, then the block */
};

/* Calls each(family, context) for every family whose regular layer is
 * measured at that thread count, in layer order, each layer on its pick
 * among variants (GRID_FASTEST or GRID_FASTEST_OWN); forms not measured (a
 * block with a member not measured) are left out. */
void grid_separable_families(const struct result_grid *grid, size_t thread, int which,
                             void (*each)(const struct grid_family *family, void *context),
                             void *context);

/* Which layout a network should run in. Layers are taken in the grid's
 * order as a chain (each feeds the next), each on one of its measured rows;
 * a row reads layout_in and writes layout_out. Between consecutive layers
 * whose layouts differ the tensor is converted: back to NCHW with the
 * earlier row's measured reorder_out_us (none when it writes NCHW), then on
 * with the later row's reorder_in_us (none when it reads NCHW); so a
 * conversion between two layouts that are not NCHW is costed as the two
 * measured conversions through NCHW. The network starts and ends in NCHW.
 * A layer's time is its median x repeat. */
enum layout_family { LAYOUT_NCHW, LAYOUT_NHWC, LAYOUT_BLOCKED, LAYOUT_FAMILIES };
const char *layout_family_name(enum layout_family family);
enum layout_family layout_family_of(const char *layout);

/* Whether the grid's layers can form a chain: each takes as many channels
 * as the one before gives, at one batch (pooling between them may change
 * the spatial size). A sweep or a set of separate layers is not one. */
bool grid_is_chain(const struct result_grid *grid);

#define SCHEDULE_ANY (-1)
struct schedule {
    bool complete;     /* every layer had a row to choose */
    double time_us;    /* layers and conversions */
    double convert_us; /* of it, conversions */
    size_t conversions;
    int *choice;       /* per grid layer: the variant chosen (the caller's array) */
};

/* The fastest schedule over the rows of variants allowed (own_only: not
 * peers) whose layout_out is in family (SCHEDULE_ANY: any, the best mixed
 * schedule), by dynamic programming over the chain. choice, if not NULL,
 * gets layer_count entries. -1 when out of memory. */
int grid_schedule(const struct result_grid *grid, size_t thread, int family, bool own_only,
                  struct schedule *out);

/* The schedules the summary and the layouts chart show: every layer in
 * each layout family (over all variants), then the best mixed schedule over
 * convbench's own variants and over all. */
#define LAYOUT_SCHEDULES (LAYOUT_FAMILIES + 2)
struct layout_schedule {
    char name[32];     /* "all in nhwc", "best mixed, own" */
    bool mixed;
    struct schedule plan; /* choice set only for the mixed ones */
};

/* Fills out with the complete schedules, in that order, and returns how
 * many; 0 when no row writes another layout than NCHW or the layers do not
 * chain, -1 when out of memory. choices, when not NULL, holds 2 x
 * layer_count entries: the two mixed schedules' choices. */
int grid_layout_schedules(const struct result_grid *grid, size_t thread,
                          struct layout_schedule out[LAYOUT_SCHEDULES], int *choices);

/* The share of a row's instrumented run outside its main kernel (full
 * micro-tiles, Winograd's products, a library's compute): packing,
 * transforms, edge tiles, waiting; -1 when it has no phases. */
double row_outside_kernel(const struct result_row *row);

/* Adds to the "; "-separated list the implementations (impl) the rows of
 * variant name that the list does not hold yet. */
void result_set_impls(const struct result_set *set, const char *variant, char *list,
                      size_t size);

#endif
