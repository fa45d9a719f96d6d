/* The cost model against figures worked out by others (the seed's PyTorch
 * output, the MobileNet paper, torchvision's parameter counts) and by hand. */
#include <stdlib.h>

#include "check.h"
#include "config.h"
#include "report.h"

static const char *configs_dir;

static struct network load(const char *name)
{
    char path[1024], error[CONFIG_ERROR_MAX];
    struct network net = {0};
    snprintf(path, sizeof path, "%s/%s", configs_dir, name);
    if (config_parse_file(path, &net, error) != 0) {
        fprintf(stderr, "%s\n", error);
        exit(1);
    }
    return net;
}

static const struct conv_layer *find(const struct network *net, const char *name)
{
    for (size_t i = 0; i < net->layer_count; i++)
        if (strcmp(net->layers[i].name, name) == 0)
            return &net->layers[i];
    fprintf(stderr, "no layer %s\n", name);
    exit(1);
}

static void totals(const struct network *net, int64_t *params, int64_t *macs)
{
    *params = *macs = 0;
    for (size_t i = 0; i < net->layer_count; i++) {
        struct layer_cost c = layer_cost(&net->layers[i]);
        *params += net->layers[i].repeat * c.params;
        *macs += net->layers[i].repeat * c.macs;
    }
}

static void test_seed(void)
{
    struct network net = load("seed.ini");
    struct layer_cost regular = layer_cost(find(&net, "regular"));
    struct layer_cost grouped = layer_cost(find(&net, "grouped"));
    struct layer_cost dw = layer_cost(find(&net, "separable_dw"));
    struct layer_cost pw = layer_cost(find(&net, "separable_pw"));
    CHECK_INT(regular.params, 162, "regular params");
    CHECK_INT(regular.macs, 663552, "regular MACs");
    CHECK_INT(grouped.params, 54, "grouped params");
    CHECK_INT(grouped.macs, 221184, "grouped MACs");
    CHECK_INT(dw.params + pw.params, 72, "depthwise-separable params");
    CHECK_INT(dw.macs + pw.macs, 294912, "depthwise-separable MACs");
    CHECK_INT(regular.flops, 2 * 663552, "flops = 2 x MACs");
    CHECK_INT(regular.bytes, 4 * (6 * 64 * 64 + 162 + 3 * 64 * 64), "minimum bytes");
    CHECK(layer_kind(find(&net, "regular")) == LAYER_REGULAR, "regular kind");
    CHECK(layer_kind(find(&net, "grouped")) == LAYER_GROUPED, "grouped kind");
    CHECK(layer_kind(find(&net, "separable_dw")) == LAYER_DEPTHWISE, "depthwise kind");
    CHECK(layer_kind(find(&net, "separable_pw")) == LAYER_POINTWISE, "pointwise kind");

    /* torchsummary's memory lines for the regular example alone */
    bool only_regular[16] = {false};
    for (size_t i = 0; i < net.layer_count; i++)
        only_regular[i] = strcmp(net.layers[i].name, "regular") == 0;
    struct memory_estimate m = network_memory(net.layers, only_regular, net.layer_count);
    char text[4][16];
    snprintf(text[0], 16, "%.2f", m.input_mb);
    snprintf(text[1], 16, "%.2f", m.forward_mb);
    snprintf(text[2], 16, "%.2f", m.params_mb);
    snprintf(text[3], 16, "%.2f", m.total_mb);
    CHECK_STR(text[0], "0.09", "Input size (MB)");
    CHECK_STR(text[1], "0.09", "Forward/backward pass size (MB)");
    CHECK_STR(text[2], "0.00", "Params size (MB)");
    CHECK_STR(text[3], "0.19", "Estimated Total Size (MB)");

    /* dilation 2 on the seed's input: 64 + 2 - 2 * 2 - 1 + 1 = 62 */
    const struct conv_layer *dilated = find(&net, "dilated");
    CHECK_INT(dilated->h_out, 62, "dilated output height");
    CHECK_INT(dilated->w_out, 62, "dilated output width");
    CHECK_INT(layer_output_extent(64, 3, 1, 1, 1, 2), 62, "output extent with dilation 2");
    network_free(&net);
}

static void test_networks(void)
{
    int64_t params, macs;
    struct network net = load("mobilenet.ini");
    totals(&net, &params, &macs);
    CHECK_INT(params, 4210088, "MobileNet v1 params");
    CHECK_INT(macs, 568740352, "MobileNet v1 MACs");
    CHECK_INT(net.layer_count, 28, "MobileNet v1: 27 conv layers and the classifier");
    network_free(&net);

    net = load("vgg16.ini");
    totals(&net, &params, &macs);
    CHECK_INT(params, 138357544, "VGG-16 params (torchvision)");
    network_free(&net);

    net = load("resnet18.ini");
    totals(&net, &params, &macs);
    CHECK_INT(params, 11689512 - 9600, "ResNet-18 params (torchvision, less batch norm)");
    network_free(&net);
}

static struct conv_layer make_layer(int64_t c_in, int64_t h, int64_t w, int64_t c_out,
                                    int64_t k, int64_t stride, int64_t pad, int64_t dilation)
{
    struct conv_layer l = {.repeat = 1, .batch = 1, .c_in = c_in, .h_in = h, .w_in = w,
                           .c_out = c_out, .kernel_h = k, .kernel_w = k, .stride_h = stride,
                           .stride_w = stride, .pad_h = pad, .pad_w = pad, .pad_bottom = pad, .pad_right = pad,
                           .dilation_h = dilation, .dilation_w = dilation, .groups = 1};
    const char *why = layer_derive(&l);
    CHECK(why == NULL, "layer_derive refused a valid layer: %s", why);
    return l;
}

static void test_macs_nopad(void)
{
    /* 3x3 input, 3x3 kernel, pad 1: along each axis the outputs 0, 1, 2 see
     * 2, 3 and 2 taps inside the input, so 7 x 7 = 49 of the 81 MACs. */
    struct conv_layer l = make_layer(1, 3, 3, 1, 3, 1, 1, 1);
    struct layer_cost c = layer_cost(&l);
    CHECK_INT(c.macs, 81, "padded 3x3: macs");
    CHECK_INT(c.macs_nopad, 49, "padded 3x3: macs_nopad");

    /* 5 wide, kernel 3, stride 2, pad 1: outputs start at -1, 1, 3 and see
     * 2, 3, 2 taps; 2 input and 3 output channels multiply both axes' 7s. */
    l = make_layer(2, 5, 5, 3, 3, 2, 1, 1);
    c = layer_cost(&l);
    CHECK_INT(l.h_out, 3, "stride 2 output");
    CHECK_INT(c.macs, 3 * 3 * 3 * 2 * 9, "stride 2 macs");
    CHECK_INT(c.macs_nopad, 3 * 2 * 7 * 7, "stride 2 macs_nopad");

    /* 4 wide, kernel 3, dilation 2, pad 2: 4 outputs, taps at first + 0, 2,
     * 4 with first = -2, -1, 0, 1: two of three inside each time. */
    l = make_layer(1, 4, 4, 1, 3, 1, 2, 2);
    c = layer_cost(&l);
    CHECK_INT(l.h_out, 4, "dilated output");
    CHECK_INT(c.macs_nopad, 8 * 8, "dilated macs_nopad");

    /* SAME_UPPER at stride 2 on 8: pad 0 before and 1 after, 4 outputs
     * starting at 0, 2, 4, 6; the last sees 2 of its 3 taps */
    l = make_layer(2, 8, 8, 3, 3, 2, 0, 1);
    l.pad_bottom = l.pad_right = 1;
    CHECK(layer_derive(&l) == NULL, "SAME_UPPER layer");
    c = layer_cost(&l);
    CHECK_INT(l.h_out * 10 + l.w_out, 44, "pad 0 before, 1 after: 4x4 outputs");
    CHECK_INT(c.macs, 3 * 16 * 2 * 9, "asymmetric macs");
    CHECK_INT(c.macs_nopad, 3 * 2 * 11 * 11, "asymmetric macs_nopad");

    /* unpadded: every tap is inside */
    l = make_layer(3, 9, 7, 4, 3, 1, 0, 1);
    c = layer_cost(&l);
    CHECK_INT(c.macs_nopad, c.macs, "unpadded macs_nopad = macs");
}

static void test_limits(void)
{
    struct conv_layer l = {.repeat = 1, .batch = 1, .c_in = 1, .h_in = 1, .w_in = 1,
                           .c_out = 1024, .kernel_h = 8192, .kernel_w = 8192, .stride_h = 1,
                           .stride_w = 1, .pad_h = 8191, .pad_w = 8191, .pad_bottom = 8191, .pad_right = 8191, .dilation_h = 1,
                           .dilation_w = 1, .groups = 1};
    CHECK(layer_derive(&l) != NULL, "2^63 MACs must be refused");
    l = (struct conv_layer){.repeat = 1, .batch = 1, .c_in = 3, .h_in = 4, .w_in = 4,
                            .c_out = 1, .kernel_h = 5, .kernel_w = 5, .stride_h = 1,
                            .stride_w = 1, .dilation_h = 1, .dilation_w = 1, .groups = 1};
    CHECK(layer_derive(&l) != NULL, "an empty output must be refused");

    char buffer[32];
    CHECK_STR(format_thousands(568740352, buffer), "568,740,352", "thousands");
    CHECK_STR(format_thousands(162, buffer), "162", "thousands, short");
    CHECK_STR(format_thousands(-1000, buffer), "-1,000", "thousands, negative");
}

int main(int argc, char **argv)
{
    configs_dir = argc > 1 ? argv[1] : "configs";
    test_seed();
    test_networks();
    test_macs_nopad();
    test_limits();
    return check_report("cost model");
}
