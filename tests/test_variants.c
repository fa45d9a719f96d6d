/* Every variant listed in variants/variants.inc against the reference on a
 * set of edge shapes and on adversarial inputs (large values, zero weights,
 * constant planes, a NaN), and the checker against outputs that are wrong in
 * one element, hold a NaN, or are all zero. Large values that cancel to a
 * small output are left out: no fp32 kernel meets a bound relative to the
 * output there. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "build_config.h"
#include "check.h"
#include "reference.h"
#include "tensor.h"
#include "variant.h"
#include "verify.h"

#if HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

struct shape {
    const char *what;
    int64_t batch, c_in, h, w, c_out, kh, kw, sh, sw, ph, pw, dh, dw, groups;
    bool bias;
    /* padding after the input where it differs from ph, pw */
    bool pad_end;
    int64_t pb, pr;
};

/* batch, C_in, H, W, C_out, Kh, Kw, Sh, Sw, Ph, Pw, Dh, Dw, G, bias[, true, Pb, Pr] */
static const struct shape edge_shapes[] = {
    {"batch 2, H != W, 3x3 pad 1", 2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, false, false, 0, 0},
    {"1x1", 1, 16, 10, 10, 24, 1, 1, 1, 1, 0, 0, 1, 1, 1, false, false, 0, 0},
    {"1x1 stride 2", 1, 8, 9, 9, 12, 1, 1, 2, 2, 0, 0, 1, 1, 1, false, false, 0, 0},
    {"5x5 pad 2", 1, 4, 11, 13, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1, true, false, 0, 0},
    {"7x7 stride 2 pad 3", 1, 3, 17, 17, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1, false, false, 0, 0},
    {"3x3 pad 0", 1, 5, 9, 9, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1, false, false, 0, 0},
    {"3x3 pad 2", 1, 5, 6, 8, 4, 3, 3, 1, 1, 2, 2, 1, 1, 1, true, false, 0, 0},
    {"3x3 dilation 2", 1, 6, 12, 12, 6, 3, 3, 1, 1, 2, 2, 2, 2, 1, false, false, 0, 0},
    {"groups 2", 1, 8, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2, false, false, 0, 0},
    {"groups of 8 channels", 1, 32, 7, 9, 32, 3, 3, 1, 1, 1, 1, 1, 1, 4, true, false, 0, 0},
    {"groups of 3 channels", 2, 6, 7, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, false, false, 0, 0},
    {"depthwise 3x3 stride 2", 2, 12, 11, 11, 12, 3, 3, 2, 2, 1, 1, 1, 1, 12, true, false, 0, 0},
    {"depthwise multiplier 2", 1, 8, 10, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, 8, false, false, 0, 0},
    {"channels not a multiple of 16", 1, 17, 6, 6, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, 0, 0},
    {"1x1 spatial", 1, 32, 1, 1, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1, true, false, 0, 0},
    {"3x3 on 1x1 spatial, pad 1", 1, 4, 1, 1, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, false, false, 0, 0},
    {"3x3 on 2x2, reduction over several K-blocks", 1, 64, 2, 2, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1,
     true, false, 0, 0},
    /* few output positions, many output channels (narrow B for the GEMMs) */
    {"96 outputs on 7x7, 3x3", 2, 40, 7, 7, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, 0, 0},
    {"3x3 on rows 150 wide (runs of 16 tiles and more)", 1, 3, 9, 150, 5, 3, 3, 1, 1, 1, 1, 1, 1,
     1, false, false, 0, 0},
    {"3x3 on rows 150 wide, 8 channels (through the GEMMs)", 1, 8, 6, 150, 12, 3, 3, 1, 1, 1, 1,
     1, 1, 1, true, false, 0, 0},
    {"3x3 pad 2, groups 2, batch 2, 89 wide (Winograd tile blocks across tile rows)", 2, 12, 9,
     89, 10, 3, 3, 1, 1, 2, 2, 1, 1, 2, true, false, 0, 0},
    {"1x1, 72 outputs on 5x9", 1, 300, 5, 9, 72, 1, 1, 1, 1, 0, 0, 1, 1, 1, false, false, 0, 0},
    {"groups 2, 128 outputs on 6x6, stride 2", 1, 64, 12, 12, 128, 3, 3, 2, 2, 1, 1, 1, 1, 2,
     true, false, 0, 0},
    {"1x7 kernel, stride 2x1", 1, 4, 8, 12, 4, 1, 7, 2, 1, 0, 3, 1, 1, 1, false, false, 0, 0},
    {"3x3 pad 0x1: outputs as wide as the input, fewer rows", 1, 8, 10, 21, 8, 3, 3, 1, 1, 0, 1,
     1, 1, 1, true, false, 0, 0},
    {"large reduction 3x3x256", 1, 256, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, false, false, 0, 0},
    /* depthwise-specific */
    {"depthwise 5x5 dilation 2", 1, 6, 13, 15, 6, 5, 5, 1, 1, 4, 4, 2, 2, 6, true, false, 0, 0},
    {"depthwise stride 2 on odd sizes", 1, 5, 15, 17, 5, 3, 3, 2, 2, 1, 1, 1, 1, 5, false, false, 0, 0},
    {"depthwise width below a vector", 1, 4, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, true, false, 0, 0},
    {"depthwise width a vector plus one", 2, 3, 4, 17, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, false, false, 0, 0},
    {"depthwise width two AVX2 vectors plus one", 1, 3, 4, 17, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3, false, false, 0, 0},
    {"depthwise 3x3 wide (generic pass)", 1, 2, 5, 150, 2, 3, 3, 1, 1, 1, 1, 1, 1, 2, true, false, 0, 0},
    {"depthwise 3x3 stride 2 wide", 1, 2, 6, 261, 2, 3, 3, 2, 2, 1, 1, 1, 1, 2, false, false, 0, 0},
    {"depthwise 7x7 stride 3 pad 3", 1, 3, 11, 19, 3, 7, 7, 3, 3, 3, 3, 1, 1, 3, true, false, 0, 0},
    {"depthwise 3x3 pad 0", 1, 4, 9, 33, 4, 3, 3, 1, 1, 0, 0, 1, 1, 4, false, false, 0, 0},
    {"depthwise 5x5 stride 2 pad 2", 1, 4, 12, 40, 4, 5, 5, 2, 2, 2, 2, 1, 1, 4, false, false, 0, 0},
    /* enough channels for 16 at a time, and some left over */
    {"depthwise 3x3, 37 channels, 9x11", 2, 37, 9, 11, 37, 3, 3, 1, 1, 1, 1, 1, 1, 37, true, false, 0, 0},
    {"depthwise 3x3 stride 2, 32 channels, 15x13", 1, 32, 15, 13, 32, 3, 3, 2, 2, 1, 1, 1, 1, 32,
     false, false, 0, 0},
    {"depthwise 5x5 dilation 2, 16 channels, 20x18", 1, 16, 20, 18, 16, 5, 5, 1, 1, 4, 4, 2, 2,
     16, true, false, 0, 0},
    {"depthwise 3x3 pad 0, 48 channels, 7x7", 1, 48, 7, 7, 48, 3, 3, 1, 1, 0, 0, 1, 1, 48, false, false, 0, 0},
    /* padding that differs between the begin and the end of an axis (ONNX
     * pads; SAME_UPPER at stride 2 pads only after, SAME_LOWER only before) */
    {"3x3 stride 2, SAME_UPPER (pad 0 before, 1 after)", 1, 8, 12, 12, 16, 3, 3, 2, 2, 0, 0, 1, 1,
     1, true, true, 1, 1},
    {"3x3 stride 2, SAME_LOWER (pad 1 before, 0 after)", 2, 5, 10, 9, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1,
     false, true, 0, 0},
    {"3x3 pad 1x0 before, 2x3 after", 1, 16, 9, 14, 12, 3, 3, 1, 1, 1, 0, 1, 1, 1, true, true, 2,
     3},
    {"3x3 pad 0x2 before, 1x0 after, 150 wide", 1, 8, 6, 150, 12, 3, 3, 1, 1, 0, 2, 1, 1, 1, false,
     true, 1, 0},
    {"1x1 pad 0 before, 1 after", 1, 16, 7, 7, 8, 1, 1, 1, 1, 0, 0, 1, 1, 1, true, true, 1, 1},
    {"5x5 groups 2, pad 1 before, 3 after", 1, 8, 11, 10, 8, 5, 5, 1, 1, 1, 1, 1, 1, 2, false, true,
     3, 3},
    {"depthwise 3x3 stride 2, SAME_UPPER, 32 channels", 1, 32, 14, 14, 32, 3, 3, 2, 2, 0, 0, 1, 1,
     32, true, true, 1, 1},
    {"depthwise 3x3 stride 2, SAME_UPPER, 40 wide", 1, 3, 9, 40, 3, 3, 3, 2, 2, 0, 0, 1, 1, 3,
     false, true, 1, 1},
    {"depthwise 3x3 pad 2 before, 0 after, 37 wide", 1, 4, 8, 37, 4, 3, 3, 1, 1, 2, 2, 1, 1, 4,
     true, true, 0, 0},
    {"depthwise 5x5 pad 0x1 before, 3x4 after, 48 channels", 1, 48, 9, 21, 48, 5, 5, 1, 1, 0, 1,
     1, 1, 48, false, true, 3, 4},
};

static struct conv_layer layer_of(const struct shape *s)
{
    struct conv_layer l = {.repeat = 1, .batch = s->batch, .c_in = s->c_in, .h_in = s->h,
                           .w_in = s->w, .c_out = s->c_out, .kernel_h = s->kh,
                           .kernel_w = s->kw, .stride_h = s->sh, .stride_w = s->sw,
                           .pad_h = s->ph, .pad_w = s->pw,
                           .pad_bottom = s->pad_end ? s->pb : s->ph,
                           .pad_right = s->pad_end ? s->pr : s->pw, .dilation_h = s->dh,
                           .dilation_w = s->dw, .groups = s->groups, .bias = s->bias};
    snprintf(l.name, sizeof l.name, "edge");
    const char *why = layer_derive(&l);
    if (why) {
        fprintf(stderr, "bad test shape %s: %s\n", s->what, why);
        exit(2);
    }
    return l;
}

struct tensors {
    float *in, *weights, *bias, *out;
    double *ref;
    size_t out_count;
};

static struct tensors make_tensors(const struct conv_layer *l, uint64_t seed)
{
    struct tensors t;
    size_t in = (size_t)layer_input_elements(l), w = (size_t)layer_weight_elements(l);
    t.out_count = (size_t)layer_output_elements(l);
    t.in = tensor_alloc(in, sizeof(float));
    t.weights = tensor_alloc(w, sizeof(float));
    t.bias = l->bias ? tensor_alloc((size_t)l->c_out, sizeof(float)) : NULL;
    t.out = tensor_alloc(t.out_count, sizeof(float));
    t.ref = tensor_alloc(t.out_count, sizeof(double));
    if (!t.in || !t.weights || (l->bias && !t.bias) || !t.out || !t.ref)
        exit(3);
    tensor_fill_random(t.in, in, seed, 0);
    tensor_fill_random(t.weights, w, seed, 1);
    if (t.bias)
        tensor_fill_random(t.bias, (size_t)l->c_out, seed, 2);
    reference_conv(l, t.in, t.weights, t.bias, t.ref);
    return t;
}

static void free_tensors(struct tensors *t)
{
    FREE_ALL(t->in, t->weights, t->bias, t->out, t->ref);
}

/* oneDNN's own word on whether it has Winograd kernels here (2.6: only for
 * avx512_core), asked independently of the variant's supports(). */
static bool onednn_has_winograd(void)
{
#if HAVE_ONEDNN
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
#else
    return false;
#endif
}

static void test_variant_on_shapes(const struct conv_variant *v, int threads)
{
    int checked = 0, unsupported = 0;
    for (size_t i = 0; i < sizeof edge_shapes / sizeof *edge_shapes; i++) {
        const struct shape *s = &edge_shapes[i];
        struct conv_layer l = layer_of(s);
        const char *why = NULL;
        if (v->supports(&l, &why) != CONV_OK) {
            CHECK(why != NULL && *why, "%s says unsupported for '%s' without a reason",
                  v->name, s->what);
            printf("  %s: '%s' unsupported (%s)\n", v->name, s->what, why ? why : "?");
            unsupported++;
            continue;
        }
        struct tensors t = make_tensors(&l, 42 + i);
        void *state = NULL;
        enum conv_status st = v->plan(&l, t.weights, t.bias, threads, &state, &why);
        if (st == CONV_UNSUPPORTED) {
            /* a library may decline a shape only it can judge (oneDNN) */
            CHECK(why != NULL && *why, "%s plan declined '%s' without a reason", v->name,
                  s->what);
            printf("  %s: '%s' declined in plan (%s)\n", v->name, s->what, why ? why : "?");
            unsupported++;
            free_tensors(&t);
            continue;
        }
        CHECK(st == CONV_OK, "%s plan on '%s': %s", v->name, s->what, why ? why : "?");
        if (st == CONV_OK) {
            /* twice: a second run on a reused state must give the same answer */
            for (int run = 0; run < 2; run++) {
                tensor_fill(t.out, t.out_count, NAN);
                st = variant_execute(v, state, t.in, t.out);
                CHECK(st == CONV_OK, "%s run on '%s'", v->name, s->what);
                struct verify_result r = verify_output(t.out, t.ref, t.out_count,
                                                       verify_bound(&l, v->tolerance));
                CHECK(r.verdict == VERIFY_OK,
                      "%s, %d threads, '%s' (run %d): %s, max_rel_err %.3e > %.3e; element %zu "
                      "is %.7g, reference %.7g", v->name, threads, s->what, run + 1,
                      verify_verdict_text(r.verdict), r.max_rel_err, r.bound, r.worst_index,
                      (double)r.worst_value, r.worst_reference);
            }
            v->destroy(state);
            checked++;
        }
        free_tensors(&t);
    }
    printf("%s, %d thread%s: %d shapes agree with the reference, %d unsupported\n", v->name,
           threads, threads == 1 ? "" : "s", checked, unsupported);
    if (strcmp(v->name, "onednn-winograd") == 0 && !onednn_has_winograd()) {
        /* nothing to compare; what can still fail is declining cleanly,
         * with a reason, for every shape */
        printf("  %s: oneDNN has no Winograd kernels for this CPU; all %d shapes declined\n",
               v->name, unsupported);
        CHECK(checked == 0, "%s ran on a CPU oneDNN has no Winograd kernels for", v->name);
        return;
    }
    CHECK(checked > 0, "%s supports none of the edge shapes", v->name);
}

/* Inputs beside uniform random, where a kernel's shortcuts show: each
 * changes the tensors of a fresh set (given the layer's seed) in place. */
enum adversary { LARGE, ZERO_WEIGHTS, CONSTANT_PLANES, NAN_INPUT, ADVERSARY_COUNT };
static const char *const adversary_names[] = {
    "values scaled by 1e3 (products near 1e6)", "zero weights (the output is the bias)",
    "constant input planes (only the borders differ)", "one NaN in the input"};

static void make_adversarial(struct tensors *t, const struct conv_layer *l, enum adversary a)
{
    const size_t in = (size_t)layer_input_elements(l), w = (size_t)layer_weight_elements(l),
                 plane = (size_t)(l->h_in * l->w_in);
    switch (a) {
    case LARGE:
        for (size_t i = 0; i < in; i++)
            t->in[i] *= 1e3f;
        for (size_t i = 0; i < w; i++)
            t->weights[i] *= 1e3f;
        break;
    case ZERO_WEIGHTS:
        tensor_fill(t->weights, w, 0.0f);
        break;
    case CONSTANT_PLANES:
        for (size_t i = 0; i < in; i++)
            t->in[i] = 0.25f + (float)(i / plane % 7) * 0.125f;
        break;
    case NAN_INPUT:
        t->in[in / 2] = NAN;
        break;
    case ADVERSARY_COUNT:
        break;
    }
    reference_conv(l, t->in, t->weights, t->bias, t->ref);
}

/* Every variant on the adversarial inputs, two shapes each kind can run: a
 * NaN must come out as a NaN (a mismatch for the harness); the others must
 * agree with the reference as random data does. */
static void test_adversarial(const struct conv_variant *v)
{
    static const struct shape shapes[] = {
        {"3x3 pad 1, bias", 1, 16, 9, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, 0, 0},
        /* no bias: zero weights make an all-zero output, which is right here */
        {"depthwise 3x3 pad 1", 1, 16, 9, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16, false, false, 0, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        struct conv_layer l = layer_of(&shapes[i]);
        const char *why = NULL;
        if (v->supports(&l, &why) != CONV_OK)
            continue;
        for (enum adversary a = 0; a < ADVERSARY_COUNT; a++) {
            struct tensors t = make_tensors(&l, 99 + i);
            make_adversarial(&t, &l, a);
            void *state = NULL;
            enum conv_status st = v->plan(&l, t.weights, t.bias, 2, &state, &why);
            if (st == CONV_OK) {
                tensor_fill(t.out, t.out_count, -1.0f);
                st = variant_execute(v, state, t.in, t.out);
                v->destroy(state);
            }
            if (st == CONV_UNSUPPORTED) {
                free_tensors(&t);
                continue;
            }
            CHECK(st == CONV_OK, "%s on %s, %s: plan or run failed", v->name, shapes[i].what,
                  adversary_names[a]);
            const struct verify_result r =
                verify_output(t.out, t.ref, t.out_count, verify_bound(&l, v->tolerance));
            if (a == NAN_INPUT)
                CHECK(r.verdict == VERIFY_NOT_FINITE,
                      "%s on %s: a NaN in the input came out as %s (the NaN was lost)",
                      v->name, shapes[i].what, verify_verdict_text(r.verdict));
            else
                CHECK(r.verdict == VERIFY_OK, "%s on %s, %s: %s, max_rel_err %.3e > %.3e",
                      v->name, shapes[i].what, adversary_names[a],
                      verify_verdict_text(r.verdict), r.max_rel_err, r.bound);
            free_tensors(&t);
        }
    }
}

/* The checker must reject each kind of wrong output at the bound a variant of
 * that tolerance is held to. */
static void test_checker(double tolerance)
{
    const struct shape s = {"checker", 1, 64, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, 0, 0};
    struct conv_layer l = layer_of(&s);
    struct tensors t = make_tensors(&l, 7);
    const double bound = verify_bound(&l, tolerance);
    double max_ref = 0.0;
    for (size_t i = 0; i < t.out_count; i++)
        max_ref = fmax(max_ref, fabs(t.ref[i]));

    for (size_t i = 0; i < t.out_count; i++)
        t.out[i] = (float)t.ref[i];
    struct verify_result r = verify_output(t.out, t.ref, t.out_count, bound);
    CHECK(r.verdict == VERIFY_OK, "the rounded reference itself fails: %s, %.3e",
          verify_verdict_text(r.verdict), r.max_rel_err);

    /* one element off by 0.1% of the largest output */
    const size_t victim = t.out_count / 3;
    t.out[victim] += (float)(1e-3 * max_ref);
    r = verify_output(t.out, t.ref, t.out_count, bound);
    CHECK(r.verdict == VERIFY_OVER_TOLERANCE, "one wrong element passed at tolerance %g: %s",
          tolerance, verify_verdict_text(r.verdict));
    CHECK_INT(r.worst_index, victim, "the wrong element is the one reported");
    t.out[victim] = (float)t.ref[victim];

    /* one element never written (the NaN the harness fills outputs with) */
    t.out[t.out_count - 1] = NAN;
    r = verify_output(t.out, t.ref, t.out_count, bound);
    CHECK(r.verdict == VERIFY_NOT_FINITE, "a NaN passed: %s", verify_verdict_text(r.verdict));
    CHECK_INT(r.worst_index, t.out_count - 1, "the NaN is the one reported");
    t.out[t.out_count - 1] = INFINITY;
    r = verify_output(t.out, t.ref, t.out_count, bound);
    CHECK(r.verdict == VERIFY_NOT_FINITE, "an infinity passed");

    /* an all-zero output */
    tensor_fill(t.out, t.out_count, 0.0f);
    r = verify_output(t.out, t.ref, t.out_count, bound);
    CHECK(r.verdict == VERIFY_ALL_ZERO, "an all-zero output passed: %s",
          verify_verdict_text(r.verdict));
    free_tensors(&t);
}

/* --require a,b,c: only check that those variants are built. */
static int require_variants(const char *list)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *name = strtok_r(copy, ",", &save); name;
         name = strtok_r(NULL, ",", &save))
        CHECK(variant_find(name) != NULL, "variant %s is not built", name);
    return check_report("required variants");
}

/* Arguments: "--require a,b,c" checks only that those variants are built;
 * "--only NAME" runs the tests of one variant alone. */
int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--require") == 0)
        return require_variants(argv[2]);
    const char *only = argc == 3 && strcmp(argv[1], "--only") == 0 ? argv[2] : NULL;
    if (argc > 1 && !only) {
        fprintf(stderr, "usage: test_variants [--only NAME | --require A,B,...]\n");
        return 2;
    }
    if (only && !variant_find(only)) {
        fprintf(stderr, "test_variants: no variant %s is built\n", only);
        return 2;
    }
    for (size_t i = 0; i < conv_variant_count; i++) {
        const struct conv_variant *v = conv_variants[i];
        if (only && strcmp(v->name, only) != 0)
            continue;
        test_checker(v->tolerance);
        for (int threads = 1; threads <= 2; threads++)
            test_variant_on_shapes(v, threads);
        test_adversarial(v);
    }
    return check_report("variants");
}
