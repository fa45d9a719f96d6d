/* The result model and its analysis, on hand-made rows: a CSV written from
 * the column table loads back to the same rows; the loader names the record
 * and column of a bad field; and the grid's fastest variants, geometric
 * means, block and network totals are what the rows make them by hand. */
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "analysis.h"
#include "check.h"
#include "crossover.h"
#include "resultset.h"

static struct result_row make_row(const char *layer, const char *block, int64_t repeat,
                                  int64_t groups, const char *variant, int threads,
                                  double median_us)
{
    struct result_row r = {.threads = threads, .status = ROW_OK, .reorder_us = -1.0};
    snprintf(r.config, sizeof r.config, "net");
    snprintf(r.variant, sizeof r.variant, "%s", variant);
    struct conv_layer *l = &r.layer;
    *l = (struct conv_layer){.repeat = repeat, .batch = 1, .c_in = 8, .h_in = 10, .w_in = 10,
                             .c_out = 8, .kernel_h = 3, .kernel_w = 3, .stride_h = 1,
                             .stride_w = 1, .pad_h = 1, .pad_w = 1, .pad_bottom = 1,
                             .pad_right = 1, .dilation_h = 1, .dilation_w = 1, .groups = groups};
    snprintf(l->name, sizeof l->name, "%s", layer);
    snprintf(l->block, sizeof l->block, "%s", block);
    CHECK(layer_derive(l) == NULL, "the test layer %s is valid", layer);
    r.cost = layer_cost(l);
    if (median_us > 0.0) {
        r.timed = true;
        r.timing = (struct timing){.samples = 5, .runs_per_sample = 1, .min_us = median_us * 0.9,
                                   .median_us = median_us, .cv = 0.01, .rounds = 1};
        r.verified = true;
        r.check.max_rel_err = 1e-7;
        r.check.max_abs_err = 2e-6;
        r.peak_gflops = 100.0;
        row_set_speed(&r, 0.0);
    } else {
        r.status = ROW_UNSUPPORTED;
        snprintf(r.note, sizeof r.note, "no, because \"reasons\", with a comma");
    }
    return r;
}

static void add(struct result_set *set, struct result_row row)
{
    CHECK(result_set_add(set, &row) == 0, "result_set_add");
}

/* Writes text to a temporary file and returns its path (static). */
static const char *temp_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/convbench-test-results-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void check_round_trip(const struct result_set *set)
{
    char path[] = "/tmp/convbench-test-results-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    FILE *f = fdopen(fd, "w");
    result_write_header(f);
    for (size_t i = 0; i < set->count; i++)
        result_write_row(f, &set->rows[i]);
    fclose(f);
    struct result_set loaded;
    char error[512];
    CHECK(result_set_load(path, &loaded, error, sizeof error) == 0, "load: %s", error);
    CHECK_INT(loaded.count, set->count, "rows loaded");
    for (size_t i = 0; i < loaded.count && i < set->count; i++) {
        const struct result_row *a = &set->rows[i], *b = &loaded.rows[i];
        CHECK_STR(b->config, a->config, "config");
        CHECK_STR(b->layer.name, a->layer.name, "layer");
        CHECK_STR(b->layer.block, a->layer.block, "block");
        CHECK_STR(b->variant, a->variant, "variant");
        CHECK_STR(b->note, a->note, "note (quoted in the CSV)");
        CHECK_INT(b->threads, a->threads, "threads");
        CHECK_INT(b->status, a->status, "status");
        CHECK_INT(b->timed, a->timed, "timed");
        CHECK_INT(b->layer.groups, a->layer.groups, "groups");
        CHECK_INT(b->layer.repeat, a->layer.repeat, "repeat");
        CHECK_INT(b->cost.macs, a->cost.macs, "macs");
        CHECK(fabs(b->timing.median_us - a->timing.median_us) < 1e-3, "median %g vs %g",
              b->timing.median_us, a->timing.median_us);
        CHECK(fabs(b->gflops - a->gflops) < 1e-3, "gflops %g vs %g", b->gflops, a->gflops);
        CHECK(b->bound == a->bound, "bound %d vs %d", b->bound, a->bound);
        CHECK(fabs(b->roof_us - a->roof_us) < 1e-3, "roof_us %g vs %g", b->roof_us, a->roof_us);
        CHECK(fabs(b->roof_fraction - a->roof_fraction) < 1e-4, "roof_fraction %g vs %g",
              b->roof_fraction, a->roof_fraction);
        CHECK(row_measured(b) == row_measured(a), "measured");
    }
    result_set_free(&loaded);
    unlink(path);
}

/* A saved CSV with one field changed: the loader's message. */
static void check_bad_field(const struct result_set *set, const char *column, const char *value,
                            const char *want)
{
    char path[] = "/tmp/convbench-test-results-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    result_write_header(f);
    result_write_row(f, &set->rows[0]);
    fclose(f);
    /* the same file with the field replaced, by column name */
    struct result_set loaded;
    char error[512], header[2048], row[4096], rebuilt[8192] = "";
    f = fopen(path, "r");
    CHECK(fgets(header, sizeof header, f) && fgets(row, sizeof row, f), "read back");
    fclose(f);
    int index = 0, at = -1;
    for (char *p = header, *comma; p; p = comma ? comma + 1 : NULL, index++) {
        comma = strchr(p, ',');
        if ((size_t)(comma ? comma - p : (long)strcspn(p, "\n")) == strlen(column) &&
            strncmp(p, column, strlen(column)) == 0)
            at = index;
    }
    CHECK(at >= 0, "column %s in the header", column);
    index = 0;
    strcat(rebuilt, header);
    for (char *p = row, *comma; p; p = comma ? comma + 1 : NULL, index++) {
        comma = strchr(p, ',');
        if (index)
            strcat(rebuilt, ",");
        if (index == at)
            strcat(rebuilt, value);
        else
            strncat(rebuilt, p, comma ? (size_t)(comma - p) : strcspn(p, "\n"));
    }
    strcat(rebuilt, "\n");
    unlink(path);
    const char *bad = temp_file(rebuilt);
    CHECK(result_set_load(bad, &loaded, error, sizeof error) != 0, "%s = %s loads", column, value);
    CHECK(strstr(error, want) != NULL, "%s = %s:\n  got  '%s'\n  want '%s'", column, value, error,
          want);
    unlink(bad);
}

struct family_seen {
    int families, forms;
    char first_form[16];
    double g4_speedup, g4_saving, block_speedup;
};

static void note_family(const struct grid_family *family, void *context)
{
    struct family_seen *seen = context;
    seen->families++;
    seen->forms += (int)family->form_count;
    if (family->form_count)
        snprintf(seen->first_form, sizeof seen->first_form, "%s", family->forms[0].name);
    for (size_t i = 0; i < family->form_count; i++) {
        if (strcmp(family->forms[i].name, "g4") == 0) {
            seen->g4_speedup = family->forms[i].speedup;
            seen->g4_saving = family->forms[i].saving;
        } else if (strcmp(family->forms[i].name, "dw+pw") == 0)
            seen->block_speedup = family->forms[i].speedup;
    }
}

/* The crossover map: names split where a sweep joined them, and each
 * point's fastest variant and its speed over the runner-up by hand. */
static void test_crossover(void)
{
    static const struct {
        const char *name, *row, *column; /* row NULL: not a sweep point */
    } names[] = {
        {"c3_in64x56x56_out16", "c3_in64x56x56", "out16"},
        {"g64_groupsdepthwise", "g64", "groupsdepthwise"},
        {"s_pad_end0x1", "s", "pad_end0x1"},
        {"s_padsame", "s", "padsame"},
        {"b_biastrue", "b", "biastrue"},
        {"conv_out", NULL, NULL},      /* no item */
        {"conv1_2", NULL, NULL},       /* no key */
        {"out16", NULL, NULL},         /* no section */
        {"x_groupsfour", NULL, NULL},  /* not an item a key takes */
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char row[LAYER_NAME_MAX + 1] = "", column[LAYER_NAME_MAX + 1] = "";
        const bool split = crossover_split(names[i].name, row, column);
        CHECK(split == (names[i].row != NULL), "%s: split %d", names[i].name, split);
        if (split && names[i].row) {
            CHECK_STR(row, names[i].row, names[i].name);
            CHECK_STR(column, names[i].column, names[i].name);
        }
    }

    /* rows g8 and g16, columns groups1 and groups2; one point without a
     * measured row, one with a single variant; a layer outside the sweep */
    static const struct {
        const char *layer, *variant;
        int64_t groups;
        double us; /* 0: unsupported */
    } rows[] = {
        {"first", "a", 1, 5.0},        {"g8_groups1", "a", 1, 30.0},
        {"g8_groups1", "b", 1, 20.0},  {"g8_groups1", "c", 1, 50.0},
        {"g8_groups2", "a", 2, 10.0},  {"g8_groups2", "b", 2, 25.0},
        {"g16_groups1", "a", 1, 0.0},  {"g16_groups2", "c", 2, 8.0},
    };
    struct result_set set = {0};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        add(&set, make_row(rows[i].layer, "", 1, rows[i].groups, rows[i].variant, 1, rows[i].us));
    struct result_grid g;
    CHECK(result_grid_build(&g, set.rows, set.count) == 0, "crossover grid");
    struct crossover_map m;
    CHECK(crossover_map_build(&g, 0, &m) == 0, "crossover map");
    CHECK_INT(m.rows, 2, "map rows");
    CHECK_INT(m.columns, 2, "map columns");
    if (m.rows == 2 && m.columns == 2) {
        CHECK_STR(m.row_names[1], "g16", "second row");
        CHECK_STR(m.column_names[1], "groups2", "second column");
        const struct crossover_cell *c = crossover_at(&m, 0, 0);
        CHECK_STR(g.variants[c->winner], "b", "g8_groups1 winner");
        CHECK_STR(g.variants[c->runner_up], "a", "g8_groups1 runner-up");
        CHECK(fabs(c->speedup - 1.5) < 1e-12, "g8_groups1: 30 / 20 (%g)", c->speedup);
        c = crossover_at(&m, 0, 1);
        CHECK_STR(g.variants[c->winner], "a", "g8_groups2 winner");
        CHECK(fabs(c->speedup - 2.5) < 1e-12, "g8_groups2: 25 / 10 (%g)", c->speedup);
        c = crossover_at(&m, 1, 0);
        CHECK(c->layer >= 0 && c->winner < 0, "g16_groups1: a point with no measured row");
        c = crossover_at(&m, 1, 1);
        CHECK(c->winner >= 0 && c->runner_up < 0 && c->speedup == 0.0,
              "g16_groups2: one variant, no runner-up");
    }
    crossover_map_free(&m);
    result_grid_free(&g);
    result_set_free(&set);
}

/* The speed-up taken apart (struct grid_form), worked by hand: regular
 * 400 us with 100 us outside its kernel; its g4 form 200 us, 80 us outside
 * its kernel, 130 us of minimum traffic at the bandwidth. Saving 4, speed-up
 * 2, rate 0.5; ideal 400 / 4 = 100, excess 100: memory 130 - 100 = 30,
 * overhead 80 - 100 / 4 = 55, kernel the 15 left. */
static void capture_form(const struct grid_family *family, void *context)
{
    if (family->form_count)
        *(struct grid_form *)context = family->forms[0];
}

static void test_decomposition(void)
{
    struct result_set set = {0};
    struct result_row reg = make_row("d_regular", "", 1, 1, "own", 1, 400.0);
    reg.phased = true;
    reg.phase_wall_us = 400.0;
    reg.phase_us[PHASE_MICRO_KERNEL] = 300.0;
    reg.phase_us[PHASE_PACK_B] = 100.0;
    struct result_row g4 = make_row("d_g4", "", 1, 4, "own", 1, 200.0);
    g4.phased = true;
    g4.phase_wall_us = 200.0;
    g4.phase_us[PHASE_MICRO_KERNEL] = 120.0;
    g4.phase_us[PHASE_PACK_B] = 50.0; /* and 30 us "other" */
    g4.memory_us = 130.0;
    add(&set, reg);
    add(&set, g4);
    struct result_grid g;
    CHECK(result_grid_build(&g, set.rows, set.count) == 0, "decomposition grid");
    struct grid_form f = {0};
    grid_separable_families(&g, 0, GRID_FASTEST, capture_form, &f);
    const double want[][2] = {{f.saving, 4.0},      {f.speedup, 2.0},      {f.rate, 0.5},
                              {f.ideal_us, 100.0},  {f.excess_us, 100.0},  {f.memory_us, 30.0},
                              {f.overhead_us, 55.0}, {f.kernel_us, 15.0}};
    static const char *const what[] = {"saving", "speed-up", "rate", "ideal", "excess",
                                       "memory", "overhead", "kernel"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        CHECK(fabs(want[i][0] - want[i][1]) < 1e-9, "decomposition %s: %g, want %g", what[i],
              want[i][0], want[i][1]);
    result_grid_free(&g);
    result_set_free(&set);
}

/* Which layout a network runs in, worked by hand on three chained layers
 * a, b, c with an NCHW variant "plain" (100, 100, 100 us) and an NHWC one
 * "fast" (70, 70, 70 us), whose conversions cost 20 us in and 25 us out per
 * layer:
 *   all NCHW: 300; all NHWC: 20 + 210 + 25 = 255 (converting pays);
 *   mixed with "fast" only on b: 200 + 70 + 20 + 25 = 315, worse.
 * Then with conversions of 60 and 60: all NHWC 330, so all NCHW (300) is
 * best and the mixed schedule stays in NCHW (converting does not pay). */
static void test_layouts(void)
{
    for (int round = 0; round < 2; round++) {
        const double in = round ? 60.0 : 20.0, out = round ? 60.0 : 25.0;
        struct result_set set = {0};
        const char *names[] = {"a", "b", "c"};
        for (int l = 0; l < 3; l++) {
            struct result_row plain = make_row(names[l], "", 1, 1, "plain", 1, 100.0);
            snprintf(plain.layout_in, sizeof plain.layout_in, "nchw");
            snprintf(plain.layout_out, sizeof plain.layout_out, "nchw");
            struct result_row fast = make_row(names[l], "", 1, 1, "fast", 1, 70.0);
            snprintf(fast.layout_in, sizeof fast.layout_in, "nhwc");
            snprintf(fast.layout_out, sizeof fast.layout_out, "nhwc");
            fast.reorder_in_us = in;
            fast.reorder_out_us = out;
            add(&set, plain);
            add(&set, fast);
        }
        struct result_grid g;
        CHECK(result_grid_build(&g, set.rows, set.count) == 0, "layout grid");
        CHECK(grid_is_chain(&g), "three layers of 8 channels each form a chain");
        int choice[3] = {-1, -1, -1};
        struct schedule nchw = {0}, nhwc = {0}, mixed = {.choice = choice};
        CHECK(grid_schedule(&g, 0, LAYOUT_NCHW, false, &nchw) == 0 &&
                  grid_schedule(&g, 0, LAYOUT_NHWC, false, &nhwc) == 0 &&
                  grid_schedule(&g, 0, SCHEDULE_ANY, false, &mixed) == 0,
              "schedules");
        CHECK(nchw.complete && fabs(nchw.time_us - 300.0) < 1e-9 && nchw.conversions == 0,
              "round %d: all NCHW %g (%zu conversions)", round, nchw.time_us, nchw.conversions);
        const double want_nhwc = in + 210.0 + out;
        CHECK(nhwc.complete && fabs(nhwc.time_us - want_nhwc) < 1e-9 && nhwc.conversions == 2 &&
                  fabs(nhwc.convert_us - (in + out)) < 1e-9,
              "round %d: all NHWC %g, want %g", round, nhwc.time_us, want_nhwc);
        const double want_mixed = round ? 300.0 : 255.0;
        const char *variant = round ? "plain" : "fast";
        CHECK(mixed.complete && fabs(mixed.time_us - want_mixed) < 1e-9,
              "round %d: best mixed %g, want %g", round, mixed.time_us, want_mixed);
        for (int l = 0; l < 3; l++)
            CHECK(choice[l] >= 0 && strcmp(g.variants[choice[l]], variant) == 0,
                  "round %d: layer %d on %s", round, l, choice[l] >= 0 ? g.variants[choice[l]] : "-");
        result_grid_free(&g);
        /* a layer taking other channels than the one before gives breaks it */
        set.rows[2].layer.c_in = 16;
        set.rows[3].layer.c_in = 16;
        CHECK(result_grid_build(&g, set.rows, set.count) == 0, "broken chain grid");
        CHECK(!grid_is_chain(&g), "b takes 16 channels after a gives 8: not a chain");
        result_grid_free(&g);
        result_set_free(&set);
    }
}

/* Two variants writing the same blocked layout under two names (oneDNN's
 * aBcd16b, direct-blocked's nChw16c) pass the tensor on with no
 * conversion: "own" takes 50 us on a and 100 on b, "lib" 100 and 50, each
 * converting 30 us in and 30 out. All on one variant: 30 + 150 + 30 = 210;
 * own on a then lib on b: 30 + 50 + 50 + 30 = 160, had the two names been
 * different layouts 220. */
static void test_layout_aliases(void)
{
    struct result_set set = {0};
    const char *names[] = {"a", "b"};
    for (int l = 0; l < 2; l++) {
        struct result_row own = make_row(names[l], "", 1, 1, "own", 1, l ? 100.0 : 50.0);
        struct result_row lib = make_row(names[l], "", 1, 1, "lib", 1, l ? 50.0 : 100.0);
        snprintf(own.layout_in, sizeof own.layout_in, "nChw16c");
        snprintf(own.layout_out, sizeof own.layout_out, "nChw16c");
        snprintf(lib.layout_in, sizeof lib.layout_in, "aBcd16b");
        snprintf(lib.layout_out, sizeof lib.layout_out, "aBcd16b");
        own.reorder_in_us = own.reorder_out_us = lib.reorder_in_us = lib.reorder_out_us = 30.0;
        add(&set, own);
        add(&set, lib);
    }
    struct result_grid g;
    CHECK(result_grid_build(&g, set.rows, set.count) == 0, "alias grid");
    int choice[2] = {-1, -1};
    struct schedule mixed = {.choice = choice};
    CHECK(grid_schedule(&g, 0, SCHEDULE_ANY, false, &mixed) == 0, "alias schedule");
    CHECK(mixed.complete && fabs(mixed.time_us - 160.0) < 1e-9 && mixed.conversions == 2,
          "own then lib through one blocked layout: %g with %zu conversions, want 160 with 2",
          mixed.time_us, mixed.conversions);
    CHECK(choice[0] >= 0 && choice[1] >= 0 && strcmp(g.variants[choice[0]], "own") == 0 &&
              strcmp(g.variants[choice[1]], "lib") == 0,
          "a on own, b on lib");
    result_grid_free(&g);
    result_set_free(&set);
}

/* The phases table: written from a row, loaded back onto the same row. */
static void test_phases_table(void)
{
    struct result_set set = {0};
    struct result_row r = make_row("conv", "", 1, 1, "fast", 2, 100.0);
    r.phased = true;
    r.phase_us[PHASE_PACK_B] = 10.0;
    r.phase_us[PHASE_MICRO_KERNEL] = 80.0;
    r.phase_wall_us = 95.0;
    add(&set, r);
    add(&set, make_row("conv", "", 1, 1, "slow", 2, 300.0));
    char path[64];
    snprintf(path, sizeof path, "/tmp/convbench-test-phases-XXXXXX");
    const int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(f != NULL, "a temporary file");
    if (!f)
        return;
    result_write_phases_header(f);
    CHECK_INT(result_write_phases(f, &set.rows[0]), 3, "lines of a phased row (2 + other)");
    CHECK_INT(result_write_phases(f, &set.rows[1]), 0, "lines of a row without phases");
    fclose(f);
    struct result_set loaded = {0};
    add(&loaded, make_row("conv", "", 1, 1, "fast", 2, 100.0));
    add(&loaded, make_row("conv", "", 1, 1, "slow", 2, 300.0));
    char error[512] = "";
    CHECK_INT(result_set_load_phases(&loaded, path, error, sizeof error), 1, "rows given phases");
    const struct result_row *back = &loaded.rows[0];
    CHECK(back->phased && fabs(back->phase_us[PHASE_PACK_B] - 10.0) < 1e-9 &&
              fabs(back->phase_us[PHASE_MICRO_KERNEL] - 80.0) < 1e-9 &&
              fabs(back->phase_wall_us - 95.0) < 1e-9,
          "the phases load back (wall %g)", back->phase_wall_us);
    CHECK(!loaded.rows[1].phased, "a row the table does not name stays without phases");
    unlink(path);
    result_set_free(&set);
    result_set_free(&loaded);
}

int main(void)
{
    test_crossover();
    test_phases_table();
    test_decomposition();
    test_layouts();
    test_layout_aliases();
    struct result_set set = {0};
    /* a regular layer: fast 100 us, slow 400 us, peer 50 us; threads 1 */
    add(&set, make_row("conv", "", 1, 1, "fast", 1, 100.0));
    add(&set, make_row("conv", "", 1, 1, "slow", 1, 400.0));
    add(&set, make_row("conv", "", 1, 1, "peer", 1, 50.0));
    /* a wrong answer's time is no time: never the fastest */
    struct result_row wrong = make_row("conv", "", 1, 1, "wrong", 1, 1.0);
    wrong.status = ROW_MISMATCH;
    add(&set, wrong);
    /* a block of two layers, repeated twice: dw and pw */
    add(&set, make_row("dw", "blk", 2, 8, "fast", 1, 30.0));
    add(&set, make_row("dw", "blk", 2, 8, "slow", 1, 10.0));
    add(&set, make_row("dw", "blk", 2, 8, "peer", 1, 0.0)); /* unsupported */
    add(&set, make_row("pw", "blk", 2, 1, "fast", 1, 20.0));
    add(&set, make_row("pw", "blk", 2, 1, "slow", 1, 80.0));
    add(&set, make_row("pw", "blk", 2, 1, "peer", 1, 40.0));
    /* the same at 2 threads, fast only, twice as fast */
    add(&set, make_row("conv", "", 1, 1, "fast", 2, 50.0));
    add(&set, make_row("dw", "blk", 2, 8, "fast", 2, 15.0));
    add(&set, make_row("pw", "blk", 2, 1, "fast", 2, 10.0));

    check_round_trip(&set);
    check_bad_field(&set, "time_median_us", "inf", "record 2: time_median_us = 'inf' is not a positive decimal number");
    check_bad_field(&set, "status", "fine", "record 2: status = 'fine' is not ok, mismatch");
    check_bad_field(&set, "groups", "0", "record 2: groups = '0' is not a positive integer");
    check_bad_field(&set, "h_out", "11", "h_out and w_out do not follow");
    check_bad_field(&set, "threads", "two", "record 2: threads = 'two'");

    struct result_grid g;
    CHECK(result_grid_build(&g, set.rows, set.count) == 0, "grid");
    CHECK_INT(g.layer_count, 3, "layers");
    CHECK_INT(g.thread_count, 2, "thread counts");
    CHECK_INT(g.variant_count, 4, "variants");
    const int fast = grid_variant_index(&g, "fast"), slow = grid_variant_index(&g, "slow"),
              peer = grid_variant_index(&g, "peer");
    g.peer[peer] = true;
    CHECK_INT(grid_fastest(&g, 0, 0, false), peer, "fastest of conv");
    CHECK_INT(grid_fastest(&g, 0, 0, true), fast, "fastest own of conv");
    CHECK_INT(grid_fastest(&g, 1, 0, false), slow, "fastest of dw (peer unsupported)");
    CHECK(grid_measured(&g, 1, 0, (size_t)peer) == NULL, "an unsupported row is not measured");

    /* speed of slow against fast: (100/400 * 30/10 * 20/80)^(1/3) */
    size_t compared;
    double speed = grid_speed(&g, 0, (size_t)slow, (size_t)fast, &compared);
    CHECK_INT(compared, 3, "layers compared");
    CHECK(fabs(speed - cbrt(0.25 * 3.0 * 0.25)) < 1e-12, "geometric mean %g", speed);
    speed = grid_speed(&g, 0, (size_t)peer, (size_t)fast, &compared);
    CHECK_INT(compared, 2, "layers the peer ran");
    CHECK(fabs(speed - sqrt(2.0 * 0.5)) < 1e-12, "peer's geometric mean %g", speed);

    /* the block: repeat 2 x (dw + pw) */
    CHECK(!grid_block_first(&g, 0) && grid_block_first(&g, 1) && !grid_block_first(&g, 2),
          "the block starts at dw");
    struct grid_total t = grid_block_total(&g, 1, 0, fast);
    CHECK_INT(t.layers, 2, "block layers");
    CHECK(t.measured == 2 && fabs(t.time_us - 2 * (30.0 + 20.0)) < 1e-9, "block time %g",
          t.time_us);
    const struct grid_total from_last = grid_block_total(&g, 2, 0, fast);
    CHECK(from_last.layers == 2 && from_last.time_us == 2 * (30.0 + 20.0),
          "the block's total from its last member");
    t = grid_block_total(&g, 1, 0, peer);
    CHECK_INT(t.measured, 1, "the peer's block is incomplete");
    t = grid_block_total(&g, 1, 0, GRID_FASTEST);
    CHECK(t.measured == 2 && fabs(t.time_us - 2 * (10.0 + 20.0)) < 1e-9, "fastest block %g",
          t.time_us);
    CHECK(fabs(t.macs - 2.0 * (double)(g.layers[1]->cost.macs + g.layers[2]->cost.macs)) < 1.0,
          "block MACs x repeat");

    /* network totals: each layer on its fastest, and on the fastest own */
    t = grid_network_total(&g, 0, GRID_FASTEST);
    CHECK(t.measured == 3 && fabs(t.time_us - (50.0 + 2 * 10.0 + 2 * 20.0)) < 1e-9,
          "best-of network %g", t.time_us);
    t = grid_network_total(&g, 0, GRID_FASTEST_OWN);
    CHECK(fabs(t.time_us - (100.0 + 2 * 10.0 + 2 * 20.0)) < 1e-9, "best-of own %g", t.time_us);

    /* two threads against one, variant fast: every layer 2x */
    speed = grid_thread_speedup(&g, (size_t)fast, 0, 1, &compared);
    CHECK(compared == 3 && fabs(speed - 2.0) < 1e-12, "thread speed-up %g", speed);
    speed = grid_thread_speedup(&g, (size_t)slow, 0, 1, &compared);
    CHECK_INT(compared, 0, "no layer of slow at 2 threads");

    /* the roofline bound, worked by hand at a 100 GFLOP/s peak and 10 GB/s:
     * the 3x3 layer (8 -> 8 channels on 10x10) does 115,200 FLOPs (1.152 us at
     * the peak) on 8,704 bytes (0.8704 us): compute-bound; its depthwise form
     * does 14,400 FLOPs (0.144 us) on 6,688 bytes (0.6688 us): memory-bound */
    struct result_row roof_regular = make_row("conv", "", 1, 1, "fast", 1, 2.304),
                      roof_depthwise = make_row("dw", "", 1, 8, "fast", 1, 1.3376);
    CHECK_INT(roof_regular.cost.flops, 115200, "3x3 FLOPs");
    CHECK_INT(roof_regular.cost.bytes, 8704, "3x3 bytes");
    CHECK_INT(roof_depthwise.cost.flops, 14400, "depthwise FLOPs");
    CHECK_INT(roof_depthwise.cost.bytes, 6688, "depthwise bytes");
    row_set_speed(&roof_regular, 10.0);
    row_set_speed(&roof_depthwise, 10.0);
    CHECK(roof_regular.bound == BOUND_COMPUTE, "the 3x3 layer is compute-bound");
    CHECK(fabs(roof_regular.roof_us - 1.152) < 1e-9, "3x3 roof_us %g", roof_regular.roof_us);
    CHECK(fabs(roof_regular.roof_fraction - 0.5) < 1e-9, "3x3 roof_fraction %g",
          roof_regular.roof_fraction);
    CHECK(roof_depthwise.bound == BOUND_MEMORY, "the depthwise layer is memory-bound");
    CHECK(fabs(roof_depthwise.roof_us - 0.6688) < 1e-9, "depthwise roof_us %g",
          roof_depthwise.roof_us);
    CHECK(fabs(roof_depthwise.roof_fraction - 0.5) < 1e-9, "depthwise roof_fraction %g",
          roof_depthwise.roof_fraction);
    /* without a bandwidth there is no bound */
    struct result_row no_bandwidth = roof_regular;
    row_set_speed(&no_bandwidth, 0.0);
    CHECK(no_bandwidth.bound == BOUND_UNKNOWN && no_bandwidth.roof_us == 0.0,
          "a bound without a bandwidth");
    struct result_set roofs = {0};
    add(&roofs, roof_regular);
    add(&roofs, roof_depthwise);
    check_round_trip(&roofs);
    result_set_free(&roofs);

    /* a separable family: regular 400 us, g4 (fastest 100 us), dw + pw */
    struct result_set fam = {0};
    add(&fam, make_row("f_regular", "", 1, 1, "fast", 1, 400.0));
    add(&fam, make_row("f_g4", "", 1, 4, "fast", 1, 150.0));
    add(&fam, make_row("f_g4", "", 1, 4, "slow", 1, 100.0));
    add(&fam, make_row("f_dw", "f", 1, 8, "fast", 1, 30.0));
    add(&fam, make_row("f_pw", "f", 1, 1, "fast", 1, 20.0));
    add(&fam, make_row("other_dw", "", 1, 8, "fast", 1, 5.0));
    struct result_grid fg;
    CHECK(result_grid_build(&fg, fam.rows, fam.count) == 0, "family grid");
    struct family_seen seen = {0};
    grid_separable_families(&fg, 0, GRID_FASTEST, note_family, &seen);
    CHECK_INT(seen.families, 1, "families");
    CHECK_INT(seen.forms, 2, "forms (g4, dw+pw)");
    CHECK_STR(seen.first_form, "g4", "the grouped form first");
    CHECK(fabs(seen.g4_speedup - 4.0) < 1e-12, "g4 speed-up from its fastest variant: %g",
          seen.g4_speedup);
    CHECK(fabs(seen.g4_saving - 4.0) < 1e-12, "g4 saves 4x the MACs: %g", seen.g4_saving);
    CHECK(fabs(seen.block_speedup - 400.0 / 50.0) < 1e-12, "dw+pw speed-up: %g",
          seen.block_speedup);
    result_grid_free(&fg);
    result_set_free(&fam);

    char impls[256] = "";
    /* the rows of fast name a, b, a, then none */
    const char *names[] = {"a", "b", "a", ""};
    for (size_t i = 0, n = 0; i < set.count; i++)
        if (strcmp(set.rows[i].variant, "fast") == 0 && n < 4)
            snprintf(set.rows[i].impl, sizeof set.rows[i].impl, "%s", names[n++]);
    result_set_impls(&set, "fast", impls, sizeof impls);
    CHECK_STR(impls, "a; b", "distinct implementations");

    result_grid_free(&g);
    result_set_free(&set);
    return check_report("result model");
}
