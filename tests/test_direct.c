/* Every direct-blocked kernel set the CPU can run (not only the one dispatch
 * picks) against the reference and against the portable C set, on shapes
 * that take each of its paths: plain input read in place with edge masks
 * and through the band, blocked input in place (with edge masks where it
 * has padding) and through the band, stride
 * phases, output-block tiles of 1, 2 and 4 blocks with short tails, rows
 * cut into tiles with a short last one, the reduction in parts, rows
 * grouped per unit, weights larger than the L2 (run by output-block tile,
 * the whole reduction a tile), short rows two to a tile (at strides 1 and
 * 2, with the rows that read other tap rows alone), rows that read no
 * input, groups of whole
 * blocks, depthwise interior and edge tiles, the 3x3 stride-1 tiles of
 * two rows (a last row alone, padding on one side) and the edge function
 * (multipliers, wide padding). */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "direct/direct.h"
#include "reference.h"
#include "tensor.h"
#include "verify.h"

enum { ONLY_8 = 1, NONE = 2 };

struct shape {
    const char *what;
    int64_t batch, c_in, h, w, c_out, k, stride, pad, dilation, groups;
    bool bias;
    /* padding after the input where it differs from pad (-1: the same) */
    int64_t pad_end;
    /* the block sizes that can run it (ONLY_8: groups of 8 channels;
     * NONE: groups of 3, multiplier 3); 0: any */
    int blocks;
};

static const struct shape shapes[] = {
    /* plain input (fewer channels than a block) */
    {"RGB 3x3 stride 2 pad 1 (plain, masks, in place)", 1, 3, 23, 23, 32, 3, 2, 1, 1, 1, true, -1, 0},
    {"RGB 3x3 stride 1 pad 1, batch 2 (plain, masks)", 2, 3, 9, 30, 20, 3, 1, 1, 1, 1, false, -1, 0},
    {"RGB 7x7 stride 2 pad 3 (plain, two masked pixels)", 1, 3, 21, 33, 16, 7, 2, 3, 1, 1, true,
     -1, 0},
    {"RGB 3x3 pad 1, 64 outputs (plain, four-block tiles, in place)", 1, 3, 10, 30, 64, 3, 1,
     1, 1, 1, true, -1, 0},
    {"RGB 5x5 stride 1 pad 4 (plain, band)", 1, 3, 8, 12, 8, 5, 1, 4, 1, 1, false, -1, 0},
    {"plain 1x1 (one long row)", 1, 5, 6, 7, 24, 1, 1, 0, 1, 1, true, -1, 0},
    /* blocked input */
    {"channels not a multiple of the block", 1, 17, 6, 6, 33, 3, 1, 1, 1, 1, true, -1, 0},
    {"3x3 pad 0 (no band)", 1, 32, 9, 20, 48, 3, 1, 0, 1, 1, false, -1, 0},
    {"3x3 stride 2, odd sizes (in place)", 2, 24, 15, 17, 40, 3, 2, 1, 1, 1, true, -1, 0},
    {"3x3 stride 3 dilation 2 (band)", 1, 16, 19, 23, 16, 3, 3, 2, 2, 1, false, -1, 0},
    {"3x3 dilation 2 pad 2", 1, 20, 12, 12, 24, 3, 1, 2, 2, 1, true, -1, 0},
    {"pointwise (one long row)", 2, 40, 7, 7, 72, 1, 1, 0, 1, 1, true, -1, 0},
    {"pointwise stride 2 (in place)", 1, 32, 13, 13, 64, 1, 2, 0, 1, 1, false, -1, 0},
    {"1x1 spatial, four-block tiles", 1, 64, 1, 1, 100, 1, 1, 0, 1, 1, true, -1, 0},
    {"3x3 on 1x1 spatial, pad 1", 1, 32, 1, 1, 40, 3, 1, 1, 1, 1, false, -1, 0},
    {"5x5 rows of 3, four-block tiles", 1, 16, 3, 3, 80, 5, 1, 2, 1, 1, true, -1, 0},
    {"rows of 29 (a short last tile, in place)", 1, 16, 5, 29, 16, 3, 1, 1, 1, 1, false, -1, 0},
    {"5x5 pad 2 in place (edge tiles, two masked pixels)", 1, 16, 7, 32, 32, 5, 1, 2, 1, 1,
     true, -1, 0},
    {"7x7 pad 3 (a third pixel in the padding: band)", 1, 16, 9, 20, 16, 7, 1, 3, 1, 1, false,
     -1, 0},
    {"48 channels on rows of 20 (the reduction in parts)", 1, 48, 6, 20, 32, 3, 1, 1, 1, 1, true,
     -1, 0},
    {"64 channels on 5x5 (rows grouped, reduction in parts)", 2, 64, 5, 5, 64, 3, 1, 1, 1, 1,
     true, -1, 0},
    {"rows that read no input", 1, 16, 2, 6, 32, 3, 1, 3, 1, 1, true, -1, 0},
    {"weights beyond the L2, stride 2 (by output-block tile)", 2, 256, 5, 6, 528, 3, 2, 1, 1, 1,
     true, -1, 0},
    {"7x7 pad 1, rows in pairs where they read the same tap rows", 1, 32, 7, 7, 48, 3, 1, 1, 1, 1,
     true, -1, 0},
    {"3x3 stride 2 to 7x7, rows in pairs", 2, 24, 13, 14, 32, 3, 2, 1, 1, 1, false, -1, 0},
    {"rows of 3, pad 1, rows in pairs", 1, 16, 6, 3, 16, 3, 1, 1, 1, 1, true, -1, 0},
    {"rows of 2, pointwise stride 2, rows in pairs", 1, 16, 9, 3, 24, 1, 2, 0, 1, 1, true, -1,
     0},
    {"padding after differs", 1, 16, 9, 14, 24, 3, 2, 0, 1, 1, true, 1, 0},
    /* groups */
    {"groups of 16", 2, 64, 8, 9, 64, 3, 1, 1, 1, 4, true, -1, 0},
    {"groups of 8", 1, 32, 7, 7, 32, 3, 1, 1, 1, 4, false, -1, ONLY_8},
    {"groups of 3", 1, 6, 6, 6, 6, 3, 1, 1, 1, 2, false, -1, NONE},
    /* depthwise */
    {"depthwise 3x3 pad 1", 2, 20, 14, 14, 20, 3, 1, 1, 1, 20, true, -1, 0},
    {"depthwise 3x3 stride 2 pad 1, odd", 1, 32, 15, 17, 32, 3, 2, 1, 1, 32, false, -1, 0},
    {"depthwise 5x5 pad 2 (two masked pixels)", 1, 16, 9, 31, 16, 5, 1, 2, 1, 16, true, -1, 0},
    {"depthwise 7x7 pad 3 (edge function)", 1, 16, 8, 20, 16, 7, 1, 3, 1, 16, false, -1, 0},
    {"depthwise stride 3 dilation 2", 1, 16, 17, 19, 16, 3, 3, 2, 2, 16, true, -1, 0},
    {"depthwise 1x1 spatial", 1, 48, 1, 1, 48, 3, 1, 1, 1, 48, true, -1, 0},
    {"depthwise 3x3 pad 0, odd rows (a last row alone)", 1, 32, 9, 23, 32, 3, 1, 0, 1, 32,
     false, -1, 0},
    {"depthwise 3x3 pad 1 before, 0 after", 1, 16, 8, 12, 16, 3, 1, 1, 1, 16, true, 0, 0},
    {"depthwise multiplier 2", 1, 8, 10, 10, 16, 3, 1, 1, 1, 8, false, -1, 0},
    {"depthwise multiplier 3", 1, 4, 6, 6, 12, 3, 1, 1, 1, 4, false, -1, NONE},
    {"depthwise on rows of 29 (a short last tile)", 1, 16, 6, 29, 16, 3, 1, 1, 1, 16, true, -1, 0},
};

/* One execution of a plan, NCHW in and out (out NaN first), twice so that
 * a run that depends on what the run before left behind shows. */
static bool execute(const struct conv_variant *v, void *state, const float *in, float *out,
                    size_t out_n)
{
    for (int round = 0; round < 2; round++) {
        tensor_fill(out, out_n, NAN);
        if (variant_execute(v, state, in, out) != CONV_OK)
            return false;
    }
    return true;
}

extern const struct conv_variant variant_direct_blocked;

/* One shape's tensors and its reference output. */
struct case_data {
    struct conv_layer l;
    size_t out_n;
    float *in, *w, *bias, *out, *out_c;
    double *ref;
};

static bool case_make(const struct shape *sh, size_t i, struct case_data *d)
{
    struct conv_layer *l = &d->l;
    *d = (struct case_data){0};
    l->repeat = 1;
    l->batch = sh->batch;
    l->c_in = sh->c_in;
    l->c_out = sh->c_out;
    l->h_in = sh->h;
    l->w_in = sh->w;
    l->kernel_h = l->kernel_w = sh->k;
    l->stride_h = l->stride_w = sh->stride;
    l->pad_h = l->pad_w = sh->pad;
    l->pad_bottom = l->pad_right = sh->pad_end >= 0 ? sh->pad_end : sh->pad;
    l->dilation_h = l->dilation_w = sh->dilation;
    l->groups = sh->groups;
    l->bias = sh->bias;
    if (layer_derive(l)) {
        fprintf(stderr, "bad test shape '%s'\n", sh->what);
        return false;
    }
    const size_t in_n = (size_t)layer_input_elements(l), w_n = (size_t)layer_weight_elements(l);
    d->out_n = (size_t)layer_output_elements(l);
    d->in = tensor_alloc(in_n, 4);
    d->w = tensor_alloc(w_n, 4);
    d->bias = tensor_alloc((size_t)l->c_out, 4);
    d->out = tensor_alloc(d->out_n, 4);
    d->out_c = tensor_alloc(d->out_n, 4);
    d->ref = tensor_alloc(d->out_n, 8);
    if (!d->in || !d->w || !d->bias || !d->out || !d->out_c || !d->ref)
        return false;
    tensor_fill_random(d->in, in_n, 11, i);
    tensor_fill_random(d->w, w_n, 12, i);
    tensor_fill_random(d->bias, (size_t)l->c_out, 13, i);
    reference_conv(l, d->in, d->w, l->bias ? d->bias : NULL, d->ref);
    return true;
}

/* The portable C set on the same layer agrees with k's output as closely
 * as either agrees with the reference. */
static void check_against_c(const struct direct_kernel *k, const struct shape *sh,
                            struct case_data *d, int threads)
{
    const struct conv_variant *v = &variant_direct_blocked;
    void *state = NULL;
    const char *why = "";
    CHECK(direct_plan_with(direct_kernels[direct_kernel_count - 1], &d->l, d->w,
                           d->l.bias ? d->bias : NULL, threads, &state, &why) == CONV_OK,
          "c, '%s': plan says %s", sh->what, why);
    CHECK(execute(v, state, d->in, d->out_c, d->out_n), "c, '%s': run failed", sh->what);
    v->destroy(state);
    double worst = 0.0, scale = 0.0;
    for (size_t e = 0; e < d->out_n; e++) {
        const double diff = fabs((double)d->out[e] - (double)d->out_c[e]);
        worst = diff > worst || isnan(diff) ? diff : worst;
        scale = fabs(d->ref[e]) > scale ? fabs(d->ref[e]) : scale;
    }
    CHECK(worst <= verify_bound(&d->l, v->tolerance) * (scale > 0.0 ? scale : 1.0),
          "%s against c, '%s': differ by %.3e", k->name, sh->what, worst);
}

/* Kernel set k on one shape, at 1 and 2 threads; counts the plans that
 * put rows in pairs. */
static void check_shape(const struct direct_kernel *k, const struct shape *sh,
                        struct case_data *d, int *paired)
{
    const struct conv_variant *v = &variant_direct_blocked;
    const bool expect_unsupported = sh->blocks == NONE || (sh->blocks == ONLY_8 && k->block != 8);
    for (int threads = 1; threads <= 2; threads++) {
        void *state = NULL;
        const char *why = "";
        const enum conv_status planned = direct_plan_with(
            k, &d->l, d->w, d->l.bias ? d->bias : NULL, threads, &state, &why);
        if (expect_unsupported) {
            CHECK(planned == CONV_UNSUPPORTED && why && *why,
                  "%s, '%s': planned (%d) where it is unsupported", k->name, sh->what,
                  (int)planned);
            if (planned == CONV_OK)
                v->destroy(state);
            continue;
        }
        CHECK(planned == CONV_OK, "%s, '%s': plan says %s", k->name, sh->what, why);
        if (planned != CONV_OK)
            continue;
        const char *lin = "", *lout = "";
        v->layouts(state, &lin, &lout);
        CHECK_STR(lout, k->layout, "output layout");
        CHECK_STR(lin, d->l.groups == 1 && d->l.c_in < k->block ? "nchw" : k->layout,
                  "input layout");
        /* the shapes that name their path take it */
        const bool band = strstr(v->describe(state), ", band") != NULL;
        const bool in_place = strstr(sh->what, "in place") || strstr(sh->what, "no band");
        CHECK(in_place || !strstr(sh->what, "band)") || band, "%s, '%s': no band (%s)", k->name,
              sh->what, v->describe(state));
        CHECK(!in_place || !band, "%s, '%s': through the band (%s)", k->name, sh->what,
              v->describe(state));
        /* weights larger than the L2 run by output-block tile */
        const size_t l2 = cpu_cache_size(2) ? cpu_cache_size(2) : (size_t)512 << 10;
        const bool by_tile = strstr(v->describe(state), "by output-block tile") != NULL;
        CHECK(!strstr(sh->what, "(by output-block tile)") ||
                  (size_t)layer_weight_elements(&d->l) * sizeof(float) <= l2 || by_tile,
              "%s, '%s': not by output-block tile (%s)", k->name, sh->what, v->describe(state));
        *paired += strstr(v->describe(state), ", rows in pairs") != NULL;
        CHECK(execute(v, state, d->in, d->out, d->out_n), "%s, '%s': run failed", k->name,
              sh->what);
        const struct verify_result r =
            verify_output(d->out, d->ref, d->out_n, verify_bound(&d->l, v->tolerance));
        CHECK(r.verdict == VERIFY_OK,
              "%s, '%s', %d thread(s): %s, max_rel_err %.3e, element %zu is %.7g, "
              "reference %.7g",
              k->name, sh->what, threads, verify_verdict_text(r.verdict), r.max_rel_err,
              r.worst_index, (double)r.worst_value, r.worst_reference);
        v->destroy(state);
        if (k != direct_kernels[direct_kernel_count - 1])
            check_against_c(k, sh, d, threads);
    }
}

int main(void)
{
    int sets = 0;
    FOR_EACH_RUNNABLE(k, direct_kernels, direct_kernel_count, "direct kernel set", sets) {
        size_t checked = 0;
        int paired = 0;
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            struct case_data d;
            if (!case_make(&shapes[i], i, &d))
                return 2;
            check_shape(k, &shapes[i], &d, &paired);
            FREE_ALL(d.in, d.w, d.bias, d.out, d.out_c, d.ref);
            checked++;
        }
        /* the shapes with short rows exercise each set's tiles of two rows */
        CHECK(paired > 0, "%s: no shape put rows in pairs", k->name);
        printf("direct kernel set %s (%s, %d-channel blocks): %zu shapes checked, %d plans "
               "with rows in pairs\n",
               k->name, k->layout, k->block, checked, paired);
    }
    CHECK(sets >= 1, "no direct kernel set could run");
    return check_report("direct kernels");
}
