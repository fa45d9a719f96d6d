/* ONNX import against files nobody here wrote: the conformance models of
 * Debian's libonnx-testdata. Each Conv model must import as one layer of
 * the test's output shape, and every variant, fed the test's own input and
 * weight tensors, must reproduce its output_0.pb; the other convolution
 * kinds must be listed as not benchmarked, with a reason.
 *
 * usage: test_onnx DATA_DIR (the testdata's data/ directory) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model.h"
#include "onnx.pb-c.h"
#include "reference.h"
#include "tensor.h"
#include "variant.h"
#include "verify.h"

struct tensor {
    float *data;
    size_t count;
    int rank;
    int64_t dims[8];
};

static bool tensor_from_proto(const Onnx__TensorProto *t, struct tensor *out)
{
    size_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++)
        n *= (size_t)t->dims[i];
    if (!t->has_data_type || t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
        t->n_dims > 8 || (t->has_raw_data ? t->raw_data.len != 4 * n : t->n_float_data != n))
        return false;
    out->data = malloc(4 * n + 4);
    if (!out->data)
        return false;
    memcpy(out->data, t->has_raw_data ? (const void *)t->raw_data.data : t->float_data, 4 * n);
    out->count = n;
    out->rank = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++)
        out->dims[i] = t->dims[i];
    return true;
}

/* The bytes of a file, mapped; NULL when it cannot be read. */
static void *map_file(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return NULL;
    void *data = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    *size = (size_t)st.st_size;
    return data == MAP_FAILED ? NULL : data;
}

static bool read_tensor_file(const char *path, struct tensor *out)
{
    size_t size;
    void *data = map_file(path, &size);
    if (!data)
        return false;
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, size, data);
    munmap(data, size);
    bool ok = t && tensor_from_proto(t, out);
    if (t)
        onnx__tensor_proto__free_unpacked(t, NULL);
    return ok;
}

/* The value of a graph input of the test: input_<i>.pb of the data set
 * when it is there, else the initializer of that name. */
static bool graph_tensor(const Onnx__GraphProto *g, const char *dir, const char *name,
                         struct tensor *out)
{
    for (size_t i = 0; i < g->n_input; i++) {
        if (strcmp(g->input[i]->name, name) != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%zu.pb", dir, i);
        if (access(path, R_OK) == 0)
            return read_tensor_file(path, out);
    }
    for (size_t i = 0; i < g->n_initializer; i++)
        if (strcmp(g->initializer[i]->name, name) == 0)
            return tensor_from_proto(g->initializer[i], out);
    return false;
}

static const Onnx__NodeProto *only_conv(const Onnx__GraphProto *g)
{
    const Onnx__NodeProto *conv = NULL;
    for (size_t i = 0; i < g->n_node; i++)
        if (strcmp(g->node[i]->op_type, "Conv") == 0) {
            if (conv)
                return NULL;
            conv = g->node[i];
        }
    return conv;
}

static void run_variants(const char *what, const struct conv_layer *l, const struct tensor *x,
                         const struct tensor *w, const struct tensor *b,
                         const struct tensor *expected, int *checked)
{
    /* the double reference against the file's output first (computed in
     * float, so held to a float variant's tolerance): it is what every
     * variant is held to in a run */
    double *ref = tensor_alloc(expected->count, sizeof(double));
    float *out = tensor_alloc(expected->count, sizeof(float));
    if (!ref || !out)
        exit(3);
    reference_conv(l, x->data, w->data, b ? b->data : NULL, ref);
    double *want = tensor_alloc(expected->count, sizeof(double));
    for (size_t i = 0; i < expected->count; i++)
        want[i] = expected->data[i];
    for (size_t i = 0; i < expected->count; i++)
        out[i] = (float)ref[i];
    struct verify_result r = verify_output(out, want, expected->count, verify_bound(l, 16.0));
    CHECK(r.verdict == VERIFY_OK, "%s: the reference differs from output_0.pb: %s, element %zu "
          "is %.7g, the file says %.7g", what, verify_verdict_text(r.verdict), r.worst_index,
          (double)r.worst_value, r.worst_reference);

    for (size_t vi = 0; vi < conv_variant_count; vi++) {
        const struct conv_variant *v = conv_variants[vi];
        const char *why = NULL;
        if (v->supports(l, &why) != CONV_OK)
            continue;
        void *state = NULL;
        enum conv_status st = v->plan(l, w->data, b ? b->data : NULL, 2, &state, &why);
        if (st == CONV_UNSUPPORTED)
            continue;
        CHECK(st == CONV_OK, "%s: %s plan: %s", what, v->name, why ? why : "?");
        if (st != CONV_OK)
            continue;
        tensor_fill(out, expected->count, NAN);
        CHECK(variant_execute(v, state, x->data, out) == CONV_OK, "%s: %s run", what, v->name);
        r = verify_output(out, want, expected->count, verify_bound(l, v->tolerance));
        CHECK(r.verdict == VERIFY_OK,
              "%s: %s differs from output_0.pb: %s, max_rel_err %.3e > %.3e; element %zu is "
              "%.7g, the file says %.7g", what, v->name, verify_verdict_text(r.verdict),
              r.max_rel_err, r.bound, r.worst_index, (double)r.worst_value, r.worst_reference);
        v->destroy(state);
        (*checked)++;
    }
    free(ref);
    free(out);
    free(want);
}

/* Loads dir/model.onnx into net (path filled) and checks that it has `layers`
 * layers; false when it does not load. */
static bool load_model(const char *dir, char path[1024], struct network *net, size_t layers)
{
    snprintf(path, 1024, "%s/model.onnx", dir);
    char error[CONFIG_ERROR_MAX];
    int status = model_load(path, 0, net, error);
    CHECK(status == 0, "%s: %s", strrchr(dir, '/') + 1, error);
    if (status == 0)
        CHECK(net->layer_count == layers, "%s: %zu layers, want %zu", strrchr(dir, '/') + 1,
              net->layer_count, layers);
    return status == 0;
}

/* A Conv model: one layer of the output's shape, reproduced by each variant. */
static void test_conv_model(const char *dir)
{
    char path[1024];
    struct network net;
    if (!load_model(dir, path, &net, 1))
        return;
    const char *what = strrchr(dir, '/') + 1;
    size_t size;
    void *bytes = map_file(path, &size);
    Onnx__ModelProto *m = bytes ? onnx__model_proto__unpack(NULL, size, bytes) : NULL;
    if (bytes)
        munmap(bytes, size);
    const Onnx__NodeProto *conv = m ? only_conv(m->graph) : NULL;
    struct tensor x = {0}, w = {0}, b = {0}, expected = {0};
    snprintf(path, sizeof path, "%s/test_data_set_0/output_0.pb", dir);
    bool read = conv && graph_tensor(m->graph, dir, conv->input[0], &x) &&
                graph_tensor(m->graph, dir, conv->input[1], &w) &&
                (conv->n_input < 3 || !conv->input[2][0] ||
                 graph_tensor(m->graph, dir, conv->input[2], &b)) &&
                read_tensor_file(path, &expected);
    CHECK(read, "%s: the test's tensors cannot be read", what);
    if (read && net.layer_count == 1) {
        const struct conv_layer *l = &net.layers[0];
        /* the shape ONNX's own output has */
        CHECK(expected.rank == 4 && expected.dims[0] == l->batch &&
                  expected.dims[1] == l->c_out && expected.dims[2] == l->h_out &&
                  expected.dims[3] == l->w_out,
              "%s: imported as %lldx%lldx%lldx%lld, output_0.pb is %lldx%lldx%lldx%lld", what,
              (long long)l->batch, (long long)l->c_out, (long long)l->h_out,
              (long long)l->w_out, (long long)expected.dims[0], (long long)expected.dims[1],
              (long long)expected.dims[2], (long long)expected.dims[3]);
        CHECK((size_t)layer_input_elements(l) == x.count, "%s: input elements", what);
        CHECK((size_t)layer_weight_elements(l) == w.count, "%s: weight elements", what);
        CHECK(l->bias == (b.data != NULL), "%s: bias", what);
        if (expected.count == (size_t)layer_output_elements(l) &&
            (size_t)layer_input_elements(l) == x.count &&
            (size_t)layer_weight_elements(l) == w.count) {
            int checked = 0;
            run_variants(what, l, &x, &w, b.data ? &b : NULL, &expected, &checked);
            printf("%s: %lldx%lldx%lld -> %lldx%lldx%lld, kernel %lldx%lld, stride %lldx%lld, "
                   "pad %lldx%lld / %lldx%lld: %d variants agree with output_0.pb\n",
                   what, (long long)l->c_in, (long long)l->h_in, (long long)l->w_in,
                   (long long)l->c_out, (long long)l->h_out, (long long)l->w_out,
                   (long long)l->kernel_h, (long long)l->kernel_w, (long long)l->stride_h,
                   (long long)l->stride_w, (long long)l->pad_h, (long long)l->pad_w,
                   (long long)l->pad_bottom, (long long)l->pad_right, checked);
            CHECK(checked >= 3, "%s: only %d variants ran", what, checked);
        }
    }
    free(x.data);
    free(w.data);
    free(b.data);
    free(expected.data);
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    network_free(&net);
}

/* A model of another convolution kind: loads, benchmarks nothing, and
 * lists its node with a reason. */
static void test_listed_model(const char *dir, const char *op, const char *reason_part)
{
    char path[1024];
    struct network net;
    if (!load_model(dir, path, &net, 0))
        return;
    CHECK_INT(net.skipped_count, 1, "nodes listed as not benchmarked");
    if (net.skipped_count == 1) {
        const char *what = strrchr(dir, '/') + 1;
        CHECK_STR(net.skipped[0].op, op, what);
        CHECK(strstr(net.skipped[0].reason, reason_part) != NULL, "%s: reason '%s' lacks '%s'",
              what, net.skipped[0].reason, reason_part);
    }
    network_free(&net);
}

static bool starts_with(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The test directories of one folder whose name starts with one of the
 * prefixes, sorted. */
static size_t list_tests(const char *folder, const char *const *prefixes, char **names,
                         size_t most)
{
    DIR *d = opendir(folder);
    if (!d)
        return 0;
    size_t count = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && count < most;)
        for (const char *const *p = prefixes; *p; p++)
            if (starts_with(e->d_name, *p)) {
                names[count++] = strdup(e->d_name);
                break;
            }
    closedir(d);
    qsort(names, count, sizeof *names, by_name);
    return count;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_onnx LIBONNX_TESTDATA_DIR\n");
        return 2;
    }
    char folder[1024], dir[2048];
    char *names[256];
    int convs = 0, listed = 0;

    snprintf(folder, sizeof folder, "%s/node", argv[1]);
    static const char *const node_prefixes[] = {"test_conv", "test_basic_conv", NULL};
    size_t count = list_tests(folder, node_prefixes, names, 256);
    for (size_t i = 0; i < count; i++) {
        snprintf(dir, sizeof dir, "%s/%s", folder, names[i]);
        if (starts_with(names[i], "test_convtranspose")) {
            test_listed_model(dir, "ConvTranspose", "transposed");
            listed++;
        } else if (strstr(names[i], "convinteger")) {
            test_listed_model(dir, "ConvInteger", "integer");
            listed++;
        } else {
            test_conv_model(dir);
            convs++;
        }
        free(names[i]);
    }
    snprintf(dir, sizeof dir, "%s/node/test_qlinearconv", argv[1]);
    test_listed_model(dir, "QLinearConv", "integer");
    listed++;

    snprintf(folder, sizeof folder, "%s/pytorch-converted", argv[1]);
    static const char *const torch_prefixes[] = {"test_Conv", NULL};
    count = list_tests(folder, torch_prefixes, names, 256);
    for (size_t i = 0; i < count; i++) {
        snprintf(dir, sizeof dir, "%s/%s", folder, names[i]);
        if (starts_with(names[i], "test_Conv2d")) {
            test_conv_model(dir);
            convs++;
        } else if (starts_with(names[i], "test_ConvTranspose")) {
            test_listed_model(dir, "ConvTranspose", "transposed");
            listed++;
        } else {
            test_listed_model(dir, "Conv", starts_with(names[i], "test_Conv1d") ? "1-D" : "3-D");
            listed++;
        }
        free(names[i]);
    }
    printf("%d conv models reproduced, %d models of other kinds listed\n", convs, listed);
    /* the data set shipped these; fewer means the directory is not it */
    CHECK(convs >= 15, "only %d conv models found under %s", convs, argv[1]);
    CHECK(listed >= 20, "only %d other models found under %s", listed, argv[1]);
    return check_report("onnx conformance models");
}
