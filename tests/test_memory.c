/* memory() covers what plan and run allocate: every allocation made by
 * convbench's own code in this test goes through counting wrappers
 * (-Wl,--wrap), and for each of convbench's own variants on a set of layers
 * the peak of the bytes held while it plans, runs and is destroyed must stay
 * within what its memory() said beforehand, and nothing may stay held after
 * destroy. Peers (oneDNN, OpenBLAS) allocate inside their libraries, which
 * the wrappers do not see; they are left out. */
#include <malloc.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"
#include "tensor.h"
#include "variant.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_aligned_alloc(size_t alignment, size_t size);
int __real_posix_memalign(void **p, size_t alignment, size_t size);
void __real_free(void *p);

static atomic_size_t held, peak;
static atomic_bool counting;

static void count_in(void *p)
{
    if (!p || !atomic_load(&counting))
        return;
    const size_t now = atomic_fetch_add(&held, malloc_usable_size(p)) + malloc_usable_size(p);
    size_t high = atomic_load(&peak);
    while (now > high && !atomic_compare_exchange_weak(&peak, &high, now))
        ;
}

static void count_out(void *p)
{
    if (p && atomic_load(&counting))
        atomic_fetch_sub(&held, malloc_usable_size(p));
}

void *__wrap_malloc(size_t size)
{
    void *p = __real_malloc(size);
    count_in(p);
    return p;
}

void *__wrap_calloc(size_t count, size_t size)
{
    void *p = __real_calloc(count, size);
    count_in(p);
    return p;
}

void *__wrap_realloc(void *old, size_t size)
{
    count_out(old);
    void *p = __real_realloc(old, size);
    count_in(p ? p : old);
    return p;
}

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    void *p = __real_aligned_alloc(alignment, size);
    count_in(p);
    return p;
}

int __wrap_posix_memalign(void **p, size_t alignment, size_t size)
{
    int status = __real_posix_memalign(p, alignment, size);
    if (status == 0)
        count_in(*p);
    return status;
}

void __wrap_free(void *p)
{
    count_out(p);
    __real_free(p);
}

static struct conv_layer make_layer(const char *name, int64_t batch, int64_t c_in, int64_t hw,
                                    int64_t c_out, int64_t kernel, int64_t stride, int64_t groups)
{
    struct conv_layer l = {
        .repeat = 1, .batch = batch, .c_in = c_in, .h_in = hw, .w_in = hw, .c_out = c_out,
        .kernel_h = kernel, .kernel_w = kernel, .stride_h = stride, .stride_w = stride,
        .pad_h = kernel / 2, .pad_w = kernel / 2, .pad_bottom = kernel / 2,
        .pad_right = kernel / 2, .dilation_h = 1, .dilation_w = 1, .groups = groups, .bias = true,
    };
    snprintf(l.name, sizeof l.name, "%s", name);
    CHECK(layer_derive(&l) == NULL, "layer %s is valid", name);
    return l;
}

/* Plans, runs and destroys v on l; checks the peak held against memory(). */
static void check_variant(const struct conv_variant *v, const struct conv_layer *l, int threads)
{
    const char *why = NULL;
    if (v->supports(l, &why) != CONV_OK)
        return;
    const size_t in_count = (size_t)layer_input_elements(l),
                 w_count = (size_t)layer_weight_elements(l),
                 out_count = (size_t)layer_output_elements(l);
    float *in = tensor_alloc(in_count, sizeof(float)), *w = tensor_alloc(w_count, sizeof(float)),
          *bias = tensor_alloc((size_t)l->c_out, sizeof(float)),
          *out = tensor_alloc(out_count, sizeof(float));
    CHECK(in && w && bias && out, "tensors");
    tensor_fill_random(in, in_count, 7, 0);
    tensor_fill_random(w, w_count, 7, 1);
    tensor_fill_random(bias, (size_t)l->c_out, 7, 2);
    const size_t estimate = v->memory ? v->memory(l, threads) : 0;

    omp_set_num_threads(threads);
    atomic_store(&held, 0);
    atomic_store(&peak, 0);
    atomic_store(&counting, true);
    void *state = NULL;
    enum conv_status status = v->plan(l, w, bias, threads, &state, &why);
    if (status == CONV_OK) {
        status = variant_execute(v, state, in, out);
        v->destroy(state);
    }
    atomic_store(&counting, false);
    CHECK(status == CONV_OK, "%s on %s, %d threads: plan or run failed (%s)", v->name, l->name,
          threads, why ? why : "no reason");
    const size_t top = atomic_load(&peak), left = atomic_load(&held);
    CHECK(top <= estimate, "%s on %s, %d threads: held %zu bytes at most, memory() said %zu",
          v->name, l->name, threads, top, estimate);
    /* from the same arithmetic as plan: not far above either (the slack
     * is malloc's rounding, a page per large block) */
    CHECK(estimate <= top + top / 8 + 8192,
          "%s on %s, %d threads: memory() said %zu, far above the %zu bytes held", v->name,
          l->name, threads, estimate, top);
    CHECK(left == 0, "%s on %s, %d threads: %zu bytes still held after destroy", v->name,
          l->name, threads, left);
    free(in);
    free(w);
    free(bias);
    free(out);
}

int main(int argc, char **argv)
{
    /* "--only NAME": one variant alone */
    const char *only = argc == 3 && strcmp(argv[1], "--only") == 0 ? argv[2] : NULL;
    if (argc > 1 && !only) {
        fprintf(stderr, "usage: test_memory [--only NAME]\n");
        return 2;
    }
    const struct conv_layer layers[] = {
        make_layer("regular3x3", 1, 64, 28, 64, 3, 1, 1),
        make_layer("regular3x3_batch3", 3, 32, 20, 48, 3, 1, 1),
        make_layer("few_inputs", 1, 3, 56, 32, 3, 1, 1),
        make_layer("strided", 1, 32, 29, 64, 3, 2, 1),
        make_layer("pointwise", 2, 96, 14, 160, 1, 1, 1),
        make_layer("grouped", 1, 64, 16, 64, 3, 1, 4),
        make_layer("depthwise", 1, 96, 28, 96, 3, 1, 96),
        make_layer("depthwise_s2", 2, 64, 33, 64, 3, 2, 64),
        make_layer("depthwise5x5", 1, 40, 19, 40, 5, 1, 40),
        make_layer("odd_sizes", 1, 13, 11, 19, 3, 1, 1),
        make_layer("large_kernel", 1, 8, 24, 8, 7, 1, 1),
    };
    size_t checked = 0;
    for (size_t vi = 0; vi < conv_variant_count; vi++) {
        const struct conv_variant *v = conv_variants[vi];
        if (v->peer || (only && strcmp(v->name, only) != 0))
            continue;
        checked++;
        for (size_t li = 0; li < sizeof layers / sizeof *layers; li++)
            for (int threads = 1; threads <= 2; threads++)
                check_variant(v, &layers[li], threads);
    }
    CHECK(checked > 0, "no variant named %s", only ? only : "(any)");
    return check_report("memory() covers plan and run");
}
