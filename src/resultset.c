#include "resultset.h"

#include <unistd.h>

#include <csv.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "tensor.h"

const char *row_status_name(enum row_status status)
{
    switch (status) {
    case ROW_OK: return "ok";
    case ROW_MISMATCH: return "mismatch";
    case ROW_UNSUPPORTED: return "unsupported";
    case ROW_ERROR: return "error";
    }
    return "error";
}

void row_set_speed(struct result_row *row, double bandwidth_gbs)
{
    row->gflops = row->timed && row->timing.median_us > 0.0
                      ? (double)row->cost.flops / (row->timing.median_us * 1e3)
                      : 0.0;
    row->efficiency = row->peak_gflops > 0.0 ? row->gflops / row->peak_gflops : 0.0;
    row->bound = BOUND_UNKNOWN;
    row->roof_us = row->roof_fraction = row->memory_us = 0.0;
    if (!(row->peak_gflops > 0.0) || !(bandwidth_gbs > 0.0))
        return;
    /* GFLOP/s and GB/s: 1e3 per microsecond */
    const double compute_us = (double)row->cost.flops / (row->peak_gflops * 1e3),
                 memory_us = (double)row->cost.bytes / (bandwidth_gbs * 1e3);
    row->memory_us = memory_us;
    row->bound = compute_us >= memory_us ? BOUND_COMPUTE : BOUND_MEMORY;
    row->roof_us = compute_us >= memory_us ? compute_us : memory_us;
    if (row->timed && row->timing.median_us > 0.0)
        row->roof_fraction = row->roof_us / row->timing.median_us;
}

const char *row_bound_name(enum row_bound bound)
{
    return bound == BOUND_COMPUTE ? "compute" : bound == BOUND_MEMORY ? "memory" : "";
}

bool row_measured(const struct result_row *row)
{
    return row->status == ROW_OK && row->timed && row->timing.median_us > 0.0;
}

int result_set_add(struct result_set *set, const struct result_row *row)
{
    struct result_row *grown =
        array_grow(set->rows, &set->capacity, set->count, sizeof *grown, 64);
    if (!grown)
        return -1;
    set->rows = grown;
    set->rows[set->count++] = *row;
    return 0;
}

void result_set_free(struct result_set *set)
{
    free(set->rows);
    *set = (struct result_set){0};
}

/* Writing fields */

/* a text field, quoted by libcsv only when it needs quoting */
static void put_text(FILE *file, const char *text)
{
    if (strpbrk(text, ",\"\r\n") || (text[0] == ' ') ||
        (text[0] && text[strlen(text) - 1] == ' '))
        csv_fwrite(file, text, strlen(text));
    else
        fputs(text, file);
}

static void put_int(FILE *file, int64_t value)
{
    fprintf(file, "%" PRId64, value);
}

/* a number, or an empty field when there is none */
static void put_real(FILE *file, bool present, const char *format, double value)
{
    if (present)
        fprintf(file, format, value);
}

/* Reading fields: each returns NULL, or what is wrong with the text */

static const char *get_int(const char *text, int64_t *value, int64_t min)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno || v < min || v > LAYER_MAX_EXTENT * LAYER_MAX_EXTENT)
        return min > 0 ? "is not a positive integer" : "is not an integer of at least 0";
    *value = v;
    return NULL;
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

/* An optional decimal: empty leaves *present false. */
static const char *get_real(const char *text, bool *present, double *value, bool positive)
{
    if (!*text) {
        if (present)
            *present = false;
        return NULL;
    }
    double v;
    if (!parse_decimal(text, &v) || (positive ? !(v > 0.0) : v < 0.0))
        return positive ? "is not a positive decimal number"
                        : "is not a decimal number of at least 0";
    *value = v;
    if (present)
        *present = true;
    return NULL;
}

static const char *get_text(const char *text, char *out, size_t size)
{
    if (strlen(text) >= size)
        return "is too long";
    memcpy(out, text, strlen(text) + 1);
    return NULL;
}

static const char *get_name(const char *text, char *out, size_t size)
{
    if (!*text)
        return "is empty";
    return get_text(text, out, size);
}

/* The column table. Each column writes its field from a row and, unless it
 * is computed from the shape (kind and the costs), reads it back into one.
 * GFLOP/s and efficiency are read as written: recomputed from the median
 * as the CSV rounds it, they could differ in their last digit. */

struct column {
    const char *name;
    void (*put)(FILE *file, const struct result_row *row);
    const char *(*get)(struct result_row *row, const char *text); /* NULL: computed */
    bool optional; /* a saved result may lack it (written before it existed) */
};

#define TEXT_COLUMN(column, field, getter)                                                  \
    static void put_##column(FILE *f, const struct result_row *r)                           \
    {                                                                                       \
        put_text(f, r->field);                                                              \
    }                                                                                       \
    static const char *get_##column(struct result_row *r, const char *text)                 \
    {                                                                                       \
        return getter(text, r->field, sizeof r->field);                                     \
    }
TEXT_COLUMN(config, config, get_name)
TEXT_COLUMN(layer, layer.name, get_name)
TEXT_COLUMN(block, layer.block, get_text)
TEXT_COLUMN(variant, variant, get_name)
TEXT_COLUMN(note, note, get_text)
TEXT_COLUMN(impl, impl, get_text)
TEXT_COLUMN(layout_in, layout_in, get_text)
TEXT_COLUMN(layout_out, layout_out, get_text)

#define SHAPE_COLUMN(field, min)                                                            \
    static void put_##field(FILE *f, const struct result_row *r)                            \
    {                                                                                       \
        put_int(f, r->layer.field);                                                         \
    }                                                                                       \
    static const char *get_##field(struct result_row *r, const char *text)                  \
    {                                                                                       \
        return get_int(text, &r->layer.field, min);                                         \
    }
SHAPE_COLUMN(repeat, 1)
SHAPE_COLUMN(batch, 1)
SHAPE_COLUMN(c_in, 1)
SHAPE_COLUMN(h_in, 1)
SHAPE_COLUMN(w_in, 1)
SHAPE_COLUMN(c_out, 1)
SHAPE_COLUMN(h_out, 1)
SHAPE_COLUMN(w_out, 1)
SHAPE_COLUMN(kernel_h, 1)
SHAPE_COLUMN(kernel_w, 1)
SHAPE_COLUMN(stride_h, 1)
SHAPE_COLUMN(stride_w, 1)
SHAPE_COLUMN(pad_h, 0)
SHAPE_COLUMN(pad_w, 0)
SHAPE_COLUMN(pad_bottom, 0)
SHAPE_COLUMN(pad_right, 0)
SHAPE_COLUMN(dilation_h, 1)
SHAPE_COLUMN(dilation_w, 1)
SHAPE_COLUMN(groups, 1)

#define COST_COLUMN(field)                                                                  \
    static void put_##field(FILE *f, const struct result_row *r)                            \
    {                                                                                       \
        put_int(f, r->cost.field);                                                          \
    }
COST_COLUMN(params)
COST_COLUMN(macs)
COST_COLUMN(macs_nopad)
COST_COLUMN(flops)
COST_COLUMN(bytes)

static void put_kind(FILE *f, const struct result_row *r)
{
    put_text(f, layer_kind_name(layer_kind(&r->layer)));
}

static void put_bias(FILE *f, const struct result_row *r)
{
    put_text(f, r->layer.bias ? "true" : "false");
}

static const char *get_bias(struct result_row *r, const char *text)
{
    if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
        return "is not true or false";
    r->layer.bias = text[0] == 't';
    return NULL;
}

static void put_threads(FILE *f, const struct result_row *r)
{
    put_int(f, r->threads);
}

static const char *get_threads(struct result_row *r, const char *text)
{
    int64_t v = 0;
    const char *wrong = get_int(text, &v, 1);
    if (!wrong && v > 4096)
        wrong = "is more than 4096 threads";
    r->threads = (int)v;
    return wrong;
}

static void put_reps(FILE *f, const struct result_row *r)
{
    put_int(f, r->timed ? r->timing.samples : 0);
}

static const char *get_reps(struct result_row *r, const char *text)
{
    int64_t v = 0;
    const char *wrong = get_int(text, &v, 0);
    if (!wrong && v > INT32_MAX)
        wrong = "is too large";
    r->timing.samples = (int)v;
    return wrong;
}

/* A real-valued column: written (in format) when present, an expression
 * of the row r, holds; read back into field, setting the flag mark points
 * to (NULL: none) when the text holds a value; positive: must be above 0. */
#define REAL_COLUMN(column, present, format, field, mark, positive)                        \
    static void put_##column(FILE *f, const struct result_row *r)                           \
    {                                                                                       \
        put_real(f, present, format, r->field);                                             \
    }                                                                                       \
    static const char *get_##column(struct result_row *r, const char *text)                 \
    {                                                                                       \
        return get_real(text, mark, &r->field, positive);                                   \
    }

REAL_COLUMN(time_min_us, r->timed, "%.3f", timing.min_us, NULL, true)
REAL_COLUMN(time_median_us, r->timed, "%.3f", timing.median_us, &r->timed, true)
REAL_COLUMN(time_cv, r->timed, "%.4f", timing.cv, NULL, false)
REAL_COLUMN(gflops, r->timed, "%.3f", gflops, NULL, false)
REAL_COLUMN(peak_gflops, r->peak_gflops > 0.0, "%.1f", peak_gflops, NULL, true)
REAL_COLUMN(efficiency, r->timed && r->peak_gflops > 0.0, "%.4f", efficiency, NULL, false)
REAL_COLUMN(max_abs_err, r->verified, "%.3e", check.max_abs_err, NULL, false)
REAL_COLUMN(max_rel_err, r->verified, "%.3e", check.max_rel_err, &r->verified, false)

static void put_status(FILE *f, const struct result_row *r)
{
    put_text(f, row_status_name(r->status));
}

static const char *get_status(struct result_row *r, const char *text)
{
    for (enum row_status s = ROW_OK; s <= ROW_ERROR; s++)
        if (strcmp(text, row_status_name(s)) == 0) {
            r->status = s;
            return NULL;
        }
    return "is not ok, mismatch, unsupported or error";
}

static void put_bound(FILE *f, const struct result_row *r)
{
    fputs(row_bound_name(r->bound), f);
}

static const char *get_bound(struct result_row *r, const char *text)
{
    r->bound = BOUND_UNKNOWN;
    if (strcmp(text, "compute") == 0)
        r->bound = BOUND_COMPUTE;
    else if (strcmp(text, "memory") == 0)
        r->bound = BOUND_MEMORY;
    else if (*text)
        return "is not compute, memory or empty";
    return NULL;
}

REAL_COLUMN(roof_us, r->roof_us > 0.0, "%.3f", roof_us, NULL, false)
REAL_COLUMN(roof_fraction, r->roof_fraction > 0.0, "%.4f", roof_fraction, NULL, false)

static void put_reorder_us(FILE *f, const struct result_row *r)
{
    put_real(f, r->reorder_us >= 0.0, "%.3f", r->reorder_us);
}

static const char *get_reorder_us(struct result_row *r, const char *text)
{
    r->reorder_us = -1.0;
    return get_real(text, NULL, &r->reorder_us, false);
}

REAL_COLUMN(time_spread, r->timed && r->timing.spread >= 0.0, "%.4f", timing.spread, NULL,
            false)
REAL_COLUMN(reorder_in_us, r->reorder_in_us >= 0.0, "%.3f", reorder_in_us, NULL, false)
REAL_COLUMN(reorder_out_us, r->reorder_out_us >= 0.0, "%.3f", reorder_out_us, NULL, false)

REAL_COLUMN(cpu_share, r->timed && r->timing.cpu_share >= 0.0, "%.3f", timing.cpu_share, NULL,
            false)

void result_write_phases_header(FILE *file)
{
    fputs("config,layer,variant,threads,batch,phase,time_us,share\n", file);
}

static void put_phase(FILE *f, const struct result_row *r, const char *phase, double us)
{
    put_text(f, r->config);
    fputc(',', f);
    put_text(f, r->layer.name);
    fputc(',', f);
    put_text(f, r->variant);
    fprintf(f, ",%d,%lld,", r->threads, (long long)r->layer.batch);
    put_text(f, phase);
    fprintf(f, ",%.3f,%.4f\n", us, r->phase_wall_us > 0.0 ? us / r->phase_wall_us : 0.0);
}

size_t result_write_phases(FILE *f, const struct result_row *r)
{
    if (!r->phased)
        return 0;
    size_t lines = 0;
    double tracked = 0.0;
    for (int p = 0; p < PHASE_COUNT; p++) {
        if (r->phase_us[p] <= 0.0)
            continue;
        put_phase(f, r, phase_name((enum phase)p), r->phase_us[p]);
        tracked += r->phase_us[p];
        lines++;
    }
    put_phase(f, r, "other", r->phase_wall_us > tracked ? r->phase_wall_us - tracked : 0.0);
    return lines + 1;
}

static int phase_by_name(const char *name)
{
    for (int p = 0; p < PHASE_COUNT; p++)
        if (strcmp(phase_name((enum phase)p), name) == 0)
            return p;
    return strcmp(name, "other") == 0 ? PHASE_COUNT : -1;
}

int result_set_load_phases(struct result_set *set, const char *path, char *error,
                           size_t error_size)
{
    if (access(path, F_OK) != 0)
        return 0;
    struct csv_table t;
    if (csv_table_read(path, &t, error, error_size) != 0)
        return -1;
    static const char *const names[] = {"config", "layer", "variant", "threads", "batch",
                                        "phase", "time_us"};
    int at[7];
    for (int c = 0; c < 7; c++)
        if ((at[c] = csv_table_column(&t, names[c])) < 0) {
            snprintf(error, error_size, "%s: no column '%s'", path, names[c]);
            csv_table_free(&t);
            return -1;
        }
    int given = 0;
    for (size_t i = 0; i < t.row_count; i++) {
        char **f = t.rows[i];
        const int phase = phase_by_name(f[at[5]]);
        char *end;
        const double us = strtod(f[at[6]], &end);
        if (phase < 0 || *end || !(us >= 0.0)) {
            snprintf(error, error_size, "%s: record %zu: phase '%s' or time '%s' is not one "
                     "convbench writes", path, i + 2, f[at[5]], f[at[6]]);
            csv_table_free(&t);
            return -1;
        }
        for (size_t r = 0; r < set->count; r++) {
            struct result_row *row = &set->rows[r];
            if (strcmp(row->config, f[at[0]]) != 0 || strcmp(row->layer.name, f[at[1]]) != 0 ||
                strcmp(row->variant, f[at[2]]) != 0 || row->threads != atoi(f[at[3]]) ||
                row->layer.batch != atoll(f[at[4]]))
                continue;
            if (!row->phased) {
                row->phased = true;
                row->phase_wall_us = 0.0;
                given++;
            }
            /* the wall time is the phases and "other" together */
            if (phase < PHASE_COUNT)
                row->phase_us[phase] = us;
            row->phase_wall_us += us;
            break;
        }
    }
    csv_table_free(&t);
    return given;
}

#define COLUMN(name) {#name, put_##name, get_##name, false}
#define COMPUTED(name) {#name, put_##name, NULL, false}
#define OPTIONAL(name) {#name, put_##name, get_##name, true}

static const struct column columns[] = {
    COLUMN(config),         COLUMN(layer),          COMPUTED(kind),         COLUMN(block),
    COLUMN(repeat),         COLUMN(batch),          COLUMN(c_in),           COLUMN(h_in),
    COLUMN(w_in),           COLUMN(c_out),          COLUMN(h_out),          COLUMN(w_out),
    COLUMN(kernel_h),       COLUMN(kernel_w),       COLUMN(stride_h),       COLUMN(stride_w),
    COLUMN(pad_h),          COLUMN(pad_w),          COLUMN(dilation_h),     COLUMN(dilation_w),
    COLUMN(groups),         COLUMN(bias),           COMPUTED(params),       COMPUTED(macs),
    COMPUTED(macs_nopad),   COMPUTED(flops),        COMPUTED(bytes),        COLUMN(variant),
    COLUMN(threads),        COLUMN(reps),           COLUMN(time_min_us),    COLUMN(time_median_us),
    COLUMN(time_cv),        COLUMN(gflops),         COLUMN(peak_gflops),    COLUMN(efficiency),
    COLUMN(max_abs_err),    COLUMN(max_rel_err),    COLUMN(status),         OPTIONAL(note),
    OPTIONAL(reorder_us),   OPTIONAL(impl),         OPTIONAL(pad_bottom),   OPTIONAL(pad_right),
    OPTIONAL(bound),        OPTIONAL(roof_us),      OPTIONAL(roof_fraction),
    OPTIONAL(time_spread),  OPTIONAL(cpu_share),      OPTIONAL(layout_in),    OPTIONAL(layout_out),
    OPTIONAL(reorder_in_us), OPTIONAL(reorder_out_us),
};
enum { COLUMN_COUNT = sizeof columns / sizeof *columns };

void result_write_header(FILE *file)
{
    for (size_t c = 0; c < COLUMN_COUNT; c++)
        fprintf(file, "%s%c", columns[c].name, c + 1 < COLUMN_COUNT ? ',' : '\n');
}

void result_write_row(FILE *file, const struct result_row *row)
{
    for (size_t c = 0; c < COLUMN_COUNT; c++) {
        columns[c].put(file, row);
        fputc(c + 1 < COLUMN_COUNT ? ',' : '\n', file);
    }
}

/* Loading */

static size_t column_index(const char *name)
{
    size_t c = 0;
    while (c + 1 < COLUMN_COUNT && strcmp(columns[c].name, name) != 0)
        c++;
    return c;
}

/* Fills one row from a record; -1 with the message in error. where[c] is the
 * record's field of column c, or -1. */
static int load_row(const char *path, size_t record, char **fields, const int *where,
                    struct result_row *row, char *error, size_t error_size)
{
    *row = (struct result_row){.reorder_us = -1.0, .reorder_in_us = -1.0,
                               .reorder_out_us = -1.0,
                               .timing = {.spread = -1.0, .cpu_share = -1.0}};
    for (size_t c = 0; c < COLUMN_COUNT; c++) {
        if (!columns[c].get || where[c] < 0)
            continue;
        const char *text = fields[where[c]];
        const char *wrong = columns[c].get(row, text);
        if (wrong) {
            snprintf(error, error_size, "%s: record %zu: %s = '%.40s' %s", path, record,
                     columns[c].name, text, wrong);
            return -1;
        }
    }
    struct conv_layer *l = &row->layer;
    /* a result written before asymmetric padding: the end pads the begin */
    if (where[column_index("pad_bottom")] < 0)
        l->pad_bottom = l->pad_h;
    if (where[column_index("pad_right")] < 0)
        l->pad_right = l->pad_w;
    const int64_t h_out = l->h_out, w_out = l->w_out;
    const char *invalid = layer_derive(l);
    if (!invalid && (l->h_out != h_out || l->w_out != w_out))
        invalid = "h_out and w_out do not follow from the input, kernel, stride, padding and "
                  "dilation";
    if (invalid) {
        snprintf(error, error_size, "%s: record %zu: layer %s: %s", path, record, l->name,
                 invalid);
        return -1;
    }
    row->cost = layer_cost(l);
    return 0;
}

int result_set_load(const char *path, struct result_set *set, char *error, size_t error_size)
{
    *set = (struct result_set){0};
    struct csv_table table;
    if (csv_table_read(path, &table, error, error_size) != 0)
        return -1;
    int where[COLUMN_COUNT];
    int status = 0;
    for (size_t c = 0; c < COLUMN_COUNT && status == 0; c++) {
        where[c] = csv_table_column(&table, columns[c].name);
        if (where[c] < 0 && columns[c].get && !columns[c].optional) {
            snprintf(error, error_size, "%s: not a convbench result (no column '%s')", path,
                     columns[c].name);
            status = -1;
        }
    }
    for (size_t i = 0; i < table.row_count && status == 0; i++) {
        struct result_row row;
        status = load_row(path, i + 2, table.rows[i], where, &row, error, error_size);
        if (status == 0 && result_set_add(set, &row) != 0) {
            snprintf(error, error_size, "%s: out of memory", path);
            status = -1;
        }
    }
    csv_table_free(&table);
    if (status != 0)
        result_set_free(set);
    return status;
}
