/* The config parser: every bad config in the corpus gives exactly the error
 * listed for it in expected.txt; every shipped config parses; the built-in
 * seed examples are configs/seed.ini. */
#include <dirent.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "config.h"

static void test_corpus(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/expected.txt", dir);
    FILE *list = fopen(path, "r");
    CHECK(list != NULL, "cannot open %s", path);
    if (!list)
        return;

    int cases = 0;
    char line[1024];
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        /* "FILE:LINE: message": the file is what precedes the first ':' */
        const char *colon = strchr(line, ':');
        CHECK(colon != NULL, "malformed line in expected.txt: %s", line);
        if (!colon)
            continue;
        char file[256], want[1300], error[CONFIG_ERROR_MAX];
        snprintf(file, sizeof file, "%.*s", (int)(colon - line), line);
        snprintf(path, sizeof path, "%s/%s", dir, file);
        snprintf(want, sizeof want, "%s/%s", dir, line);
        struct network net = {0};
        int status = config_parse_file(path, &net, error);
        CHECK(status != 0, "%s was accepted", file);
        if (status == 0)
            network_free(&net);
        else
            CHECK_STR(error, want, file);
        cases++;
    }
    fclose(list);
    CHECK(cases >= 20, "the corpus has %d bad configs, want at least 20", cases);
    printf("bad-config corpus: %d cases\n", cases);

    /* and every .ini in the corpus is listed */
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    while (d && (e = readdir(d)))
        files += strlen(e->d_name) > 4 && strcmp(e->d_name + strlen(e->d_name) - 4, ".ini") == 0;
    if (d)
        closedir(d);
    CHECK_INT(files, cases, "bad configs in the directory vs listed in expected.txt");
}

static void test_shipped(const char *dir)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL, "cannot open %s", dir);
    if (!d)
        return;
    struct dirent *e;
    int parsed = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".ini") != 0)
            continue;
        char path[1024], error[CONFIG_ERROR_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct network net;
        int status = config_parse_file(path, &net, error);
        CHECK(status == 0, "%s", error);
        if (status == 0) {
            CHECK(net.layer_count > 0, "%s has no layers", path);
            network_free(&net);
        }
        parsed++;
    }
    closedir(d);
    CHECK(parsed >= 4, "only %d configs shipped", parsed);
    printf("shipped configs: %d parsed\n", parsed);
}

static void test_builtin_seed(const char *dir)
{
    char path[1024], error[CONFIG_ERROR_MAX];
    struct network file, builtin;
    snprintf(path, sizeof path, "%s/seed.ini", dir);
    if (config_parse_file(path, &file, error) != 0 || config_builtin_seed(&builtin, error) != 0) {
        CHECK(0, "%s", error);
        return;
    }
    CHECK_INT(builtin.layer_count, file.layer_count, "built-in seed layers");
    CHECK_STR(builtin.name, "seed", "built-in seed config name");
    for (size_t i = 0; i < file.layer_count && i < builtin.layer_count; i++) {
        const struct conv_layer *a = &file.layers[i], *b = &builtin.layers[i];
        CHECK_STR(b->name, a->name, "layer name");
        CHECK_STR(b->block, a->block, "layer block");
        const int64_t fa[] = {a->batch, a->c_in, a->h_in, a->w_in, a->c_out, a->h_out,
                              a->w_out, a->kernel_h, a->kernel_w, a->stride_h, a->stride_w,
                              a->pad_h, a->pad_w, a->dilation_h, a->dilation_w, a->groups,
                              a->bias, a->repeat};
        const int64_t fb[] = {b->batch, b->c_in, b->h_in, b->w_in, b->c_out, b->h_out,
                              b->w_out, b->kernel_h, b->kernel_w, b->stride_h, b->stride_w,
                              b->pad_h, b->pad_w, b->dilation_h, b->dilation_w, b->groups,
                              b->bias, b->repeat};
        for (size_t k = 0; k < sizeof fa / sizeof *fa; k++)
            CHECK(fa[k] == fb[k], "layer %s field %zu: file %" PRId64 ", built-in %" PRId64,
                  a->name, k, fa[k], fb[k]);
    }
    network_free(&file);
    network_free(&builtin);
}

static void test_accepted_forms(void)
{
    const char *text =
        "; every form the format allows\n"
        "[network]\nname = forms\nbatch = 2\ninput = 4x10x12\n"
        "[a]                ; comment after a section\n"
        "out = 8   ; inline comment\nkernel = 3x1\nstride = 2x1\npad = 1x0\n"
        "dilation = 1\ngroups = 2\nbias = yes\nblock = b-1.x\nrepeat = 3\npad_end = 2x1\n"
        "[b]\nout = 8\nkernel = 5\npad = same\ndilation = 2\ngroups = depthwise\n";
    struct network net;
    char error[CONFIG_ERROR_MAX];
    int status = config_parse_string("forms.ini", text, &net, error);
    CHECK(status == 0, "%s", error);
    if (status != 0)
        return;
    const struct conv_layer *a = &net.layers[0], *b = &net.layers[1];
    CHECK_STR(net.title, "forms", "[network] name");
    CHECK_STR(net.name, "forms", "file name");
    CHECK_INT(a->batch, 2, "batch");
    CHECK_INT(a->c_in, 4, "a: channels from [network] input");
    CHECK_INT(a->kernel_h * 10 + a->kernel_w, 31, "a: kernel 3x1");
    CHECK_INT(a->stride_h * 10 + a->stride_w, 21, "a: stride 2x1");
    CHECK_INT(a->pad_h * 10 + a->pad_w, 10, "a: pad 1x0");
    CHECK_INT(a->pad_bottom * 10 + a->pad_right, 21, "a: pad_end 2x1");
    CHECK_INT(a->h_out, 6, "a: (10 + 1 + 2 - 3) / 2 + 1");
    CHECK_INT(a->w_out, 13, "a: (12 + 0 + 1 - 1) / 1 + 1");
    CHECK_INT(a->groups, 2, "a: groups");
    CHECK(a->bias, "a: bias = yes");
    CHECK_STR(a->block, "b-1.x", "a: block");
    CHECK_INT(a->repeat, 3, "a: repeat");
    CHECK_INT(b->c_in, 8, "b: input is a's output");
    CHECK_INT(b->pad_bottom * 100 + b->pad_right, 404, "b: pad = same pads both ends");
    CHECK_INT(b->groups, 8, "b: groups = depthwise");
    CHECK_INT(b->pad_h, 4, "b: pad = same for 5x5 dilation 2");
    CHECK_INT(b->h_out, 6, "b: same size");
    CHECK_INT(b->w_out, 13, "b: same size");
    network_free(&net);
}

/* Sweeps: a section with comma lists becomes the Cartesian product of its
 * lists, the key given first varying slowest, each point named after its
 * values and fed by the layer before the section. */
static void test_sweeps(void)
{
    const char *text =
        "[network]\ninput = 8x10x10\nbatch = 2\n"
        "[base]\nout = 8\nkernel = 1\n"
        "[s]\nout = 16, 32\nkernel = 1\ngroups = 1,2,8\n"
        "[u]\nin = 4x6x6\ngroups = 1,2\nout = 4\nkernel = 3\npad = 0,same\n";
    static const struct {
        const char *name;
        int64_t c_in, c_out, groups, h_out;
    } want[] = {
        {"base", 8, 8, 1, 10},
        {"s_out16_groups1", 8, 16, 1, 10}, {"s_out16_groups2", 8, 16, 2, 10},
        {"s_out16_groups8", 8, 16, 8, 10}, {"s_out32_groups1", 8, 32, 1, 10},
        {"s_out32_groups2", 8, 32, 2, 10}, {"s_out32_groups8", 8, 32, 8, 10},
        {"u_groups1_pad0", 4, 4, 1, 4},    {"u_groups1_padsame", 4, 4, 1, 6},
        {"u_groups2_pad0", 4, 4, 2, 4},    {"u_groups2_padsame", 4, 4, 2, 6},
    };
    const size_t count = sizeof want / sizeof *want;
    struct network net;
    char error[CONFIG_ERROR_MAX];
    const int status = config_parse_string("sweep.ini", text, &net, error);
    CHECK(status == 0, "%s", error);
    if (status != 0)
        return;
    CHECK_INT(net.layer_count, count, "layers of the product");
    for (size_t i = 0; i < count && i < net.layer_count; i++) {
        const struct conv_layer *l = &net.layers[i];
        CHECK_STR(l->name, want[i].name, "point name");
        CHECK_INT(l->c_in, want[i].c_in, want[i].name);
        CHECK_INT(l->c_out, want[i].c_out, want[i].name);
        CHECK_INT(l->groups, want[i].groups, want[i].name);
        CHECK_INT(l->h_out, want[i].h_out, want[i].name);
        CHECK_INT(l->batch, 2, "batch of a point");
    }
    network_free(&net);

    /* 10,000 layers is the most, and parses */
    const char *ten = "0,1,2,3,4,5,6,7,8,9";
    const char *ten_from_1 = "1,2,3,4,5,6,7,8,9,10";
    char big[512];
    snprintf(big, sizeof big, "[big]\nin = 1x40x40\nkernel = 1\nout = %s\nstride = %s\n"
             "dilation = %s\npad = %s\n", ten_from_1, ten_from_1, ten_from_1, ten);
    const int big_status = config_parse_string("big.ini", big, &net, error);
    CHECK(big_status == 0, "%s", error);
    if (big_status == 0) {
        CHECK_INT(net.layer_count, CONFIG_MAX_LAYERS, "layers of a 10^4 sweep");
        CHECK_STR(net.layers[net.layer_count - 1].name, "big_out10_stride10_dilation10_pad9",
                  "the last point's name");
        network_free(&net);
    }
}

/* A byte order mark before the first line changes nothing. */
static void test_byte_order_mark(void)
{
    const char *plain = "[network]\ninput = 3x8x8\n[a]\nout = 4\nkernel = 3\n";
    char marked[128];
    snprintf(marked, sizeof marked, "\xEF\xBB\xBF%s", plain);
    struct network a, b;
    char error[CONFIG_ERROR_MAX];
    int status = config_parse_string("bom.ini", marked, &a, error);
    CHECK(status == 0, "a config starting with a UTF-8 BOM: %s", error);
    if (status != 0)
        return;
    if (config_parse_string("plain.ini", plain, &b, error) == 0) {
        CHECK_INT(a.layer_count, b.layer_count, "layers with and without a BOM");
        CHECK_INT(a.layers[0].h_out, b.layers[0].h_out, "h_out with and without a BOM");
        network_free(&b);
    }
    network_free(&a);
}

/* n one-line-per-key sections "[lK]" chained on one input, and a repeat of
 * the first section at the end when duplicate */
static char *many_sections(size_t n, bool duplicate)
{
    const size_t size = 64 + n * 40;
    char *text = malloc(size), *p = text;
    if (!text)
        return NULL;
    p += sprintf(p, "[network]\ninput = 2x4x4\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "[l%zu]\nout = 2\nkernel = 1\n", i);
    if (duplicate)
        p += sprintf(p, "[l0]\nout = 2\nkernel = 1\n");
    return text;
}

/* CPU seconds to parse n sections, best of two */
static double parse_seconds(size_t n)
{
    char *text = many_sections(n, false);
    double best = 1e9;
    for (int rep = 0; rep < 2 && text; rep++) {
        struct network net;
        char error[CONFIG_ERROR_MAX];
        clock_t t0 = clock();
        int status = config_parse_string("many.ini", text, &net, error);
        double seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
        CHECK(status == 0, "%zu sections: %s", n, error);
        if (status == 0) {
            CHECK_INT(net.layer_count, n, "sections parsed");
            network_free(&net);
        }
        if (seconds < best)
            best = seconds;
    }
    free(text);
    return best;
}

/* Finding a repeated section is a hash look-up: parsing 8x the sections
 * costs about 8x, where a search of the earlier sections would cost 64x (a
 * tolerance on a ratio of CPU times, which another process on the machine
 * hardly moves; both sizes are large enough that caches do not decide it),
 * and the repeat at the end of 100,000 sections is still found. */
static void test_many_sections(void)
{
    const double small = parse_seconds(40000), large = parse_seconds(320000);
    printf("parse: 40,000 sections %.3f s, 320,000 sections %.3f s of CPU (%.1fx)\n", small,
           large, large / small);
    CHECK(large < 24.0 * small + 0.05, "320,000 sections took %.3f s, 40,000 %.3f s: %.1fx "
          "for 8x the sections", large, small, large / small);

    char *text = many_sections(100000, true);
    struct network net;
    char error[CONFIG_ERROR_MAX];
    if (text && config_parse_string("many.ini", text, &net, error) == 0) {
        CHECK(0, "a repeated section among 100,000 was accepted");
        network_free(&net);
    } else if (text) {
        CHECK_STR(error, "many.ini:300003: section [l0] appears twice (first at line 3)",
                  "the repeated section");
    }
    free(text);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_config BAD_CONFIG_DIR CONFIG_DIR\n");
        return 2;
    }
    test_corpus(argv[1]);
    test_shipped(argv[2]);
    test_builtin_seed(argv[2]);
    test_accepted_forms();
    test_byte_order_mark();
    test_sweeps();
    test_many_sections();
    return check_report("config parser");
}
