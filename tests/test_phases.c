/* Phases (src/phases.h): on a fixed layer, on one thread, the phases of each
 * variant that marks them add up to within 10% of the median time of the
 * same variant's uninstrumented runs (a tolerance on a ratio of two medians,
 * measured in alternation so that load on the machine moves both alike, and
 * measured again when a burst of load moved one more than the other);
 * the phases each variant is expected to show are there; and with no
 * instrumented run under way the marks add nothing. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "check.h"
#include "phases.h"
#include "tensor.h"
#include "timing.h"
#include "variant.h"

enum { ROUNDS = 15, RUNS = 4, ATTEMPTS = 3 };

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int n)
{
    qsort(values, (size_t)n, sizeof *values, compare_double);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

static void check_variant(const char *name, const struct conv_layer *l, const float *in,
                          float *out, const float *weights, const enum phase *expected,
                          int expected_count)
{
    const struct conv_variant *v = variant_find(name);
    if (!v)
        return; /* a peer left out of the build: the variants test says so */
    CHECK(v->phases, "%s marks no phases", name);
    void *state = NULL;
    const char *why = NULL;
    CHECK(v->plan(l, weights, NULL, 1, &state, &why) == CONV_OK, "%s: plan: %s", name,
          why ? why : "?");
    if (!state)
        return;
    if (v->load_input)
        v->load_input(state, in);
    double plain[ROUNDS], phased[ROUNDS], us[PHASE_COUNT], sums[PHASE_COUNT] = {0};
    /* a ratio outside the bound is measured again, up to ATTEMPTS times:
     * load on the shared machine can move one median more than the other,
     * as the harness measures a noisy row again */
    double ratio = 0.0;
    for (int attempt = 0; attempt < ATTEMPTS && !(ratio > 0.9 && ratio < 1.1); attempt++) {
        for (int r = 0; r < ROUNDS; r++) {
            double t0 = time_now();
            for (int i = 0; i < RUNS; i++)
                v->run(state, in, out);
            plain[r] = (time_now() - t0) / RUNS;
            phases_start();
            for (int i = 0; i < RUNS; i++)
                v->run(state, in, out);
            phases_stop(1, RUNS, us);
            phased[r] = 0.0;
            for (int p = 0; p < PHASE_COUNT; p++) {
                phased[r] += 1e-6 * us[p];
                sums[p] += us[p];
            }
        }
        ratio = median(phased, ROUNDS) / median(plain, ROUNDS);
        printf("%s: the phases add up to %.3f of the uninstrumented median\n", name, ratio);
    }
    CHECK(ratio > 0.9 && ratio < 1.1,
          "%s: the phases add up to %.3f of an uninstrumented run's median", name, ratio);
    for (int e = 0; e < expected_count; e++)
        CHECK(sums[expected[e]] > 0.0, "%s: no time in phase '%s'", name,
              phase_name(expected[e]));

    /* no instrumented run: a run adds nothing to the accumulators */
    phases_stop(1, 1, us);
    double before = 0.0, after = 0.0;
    for (int p = 0; p < PHASE_COUNT; p++)
        before += us[p];
    v->run(state, in, out);
    phases_stop(1, 1, us);
    for (int p = 0; p < PHASE_COUNT; p++)
        after += us[p];
    CHECK(after == before, "%s: a run outside the instrumented one adds to the phases", name);
    v->destroy(state);
}

int main(void)
{
    omp_set_num_threads(1);
    /* 64 -> 64 channels, 3x3 on 28x28: every phase of each variant has work */
    struct conv_layer l = {.batch = 1, .c_in = 64, .h_in = 28, .w_in = 28, .c_out = 64,
                           .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                           .pad_h = 1, .pad_w = 1, .pad_bottom = 1, .pad_right = 1,
                           .dilation_h = 1, .dilation_w = 1, .groups = 1, .repeat = 1};
    snprintf(l.name, sizeof l.name, "fixed");
    CHECK(layer_derive(&l) == NULL, "the fixed layer");
    const size_t n_in = (size_t)(l.c_in * l.h_in * l.w_in), n_out = (size_t)(l.c_out * 28 * 28),
                 n_w = (size_t)(l.c_out * l.c_in * 9);
    float *in = tensor_alloc(n_in, sizeof *in), *out = tensor_alloc(n_out, sizeof *out),
          *w = tensor_alloc(n_w, sizeof *w);
    CHECK(in && out && w, "out of memory");
    if (!in || !out || !w)
        return check_report("phases");
    tensor_fill_random(in, n_in, 1, 0);
    tensor_fill_random(w, n_w, 1, 1);

    static const enum phase gemm[] = {PHASE_PACK_B, PHASE_MICRO_KERNEL, PHASE_EDGE_TILES};
    static const enum phase wino[] = {PHASE_INPUT_TRANSFORM, PHASE_PRODUCTS,
                                      PHASE_OUTPUT_TRANSFORM};
    static const enum phase library[] = {PHASE_COMPUTE};
    check_variant("im2col-gemm", &l, in, out, w, gemm, 2);
    check_variant("winograd-2x3", &l, in, out, w, wino, 3);
    check_variant("winograd-4x3", &l, in, out, w, wino, 3);
    /* direct-blocked reads this layer's input in place; with padding that
     * reaches a third pixel (dilation 3, pad 3) it copies rows into its
     * band first */
    static const enum phase direct_in_place[] = {PHASE_MICRO_KERNEL};
    check_variant("direct-blocked", &l, in, out, w, direct_in_place, 1);
    struct conv_layer banded = l;
    banded.dilation_h = banded.dilation_w = 3;
    banded.pad_h = banded.pad_w = banded.pad_bottom = banded.pad_right = 3;
    CHECK(layer_derive(&banded) == NULL && banded.h_out == l.h_out && banded.w_out == l.w_out,
          "the dilated layer");
    check_variant("direct-blocked", &banded, in, out, w, gemm, 2);
    check_variant("onednn-blocked", &l, in, out, w, library, 1);
    free(in);
    free(out);
    free(w);
    return check_report("phases");
}
