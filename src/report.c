#include "report.h"

#include <inttypes.h>
#include <string.h>

const char *format_thousands(int64_t value, char buffer[32])
{
    char digits[32];
    int length = snprintf(digits, sizeof digits, "%" PRId64, value < 0 ? -value : value);
    char *p = buffer;
    if (value < 0)
        *p++ = '-';
    for (int i = 0; i < length; i++) {
        if (i > 0 && (length - i) % 3 == 0)
            *p++ = ',';
        *p++ = digits[i];
    }
    *p = '\0';
    return buffer;
}

static const double megabyte = 1024.0 * 1024.0;

struct memory_estimate network_memory(const struct conv_layer *layers, const bool *selected,
                                      size_t count)
{
    struct memory_estimate m = {0};
    bool first = true;
    double outputs = 0.0, params = 0.0;
    for (size_t i = 0; i < count; i++) {
        if (selected && !selected[i])
            continue;
        const struct conv_layer *l = &layers[i];
        if (first)
            m.input_mb = 4.0 * (double)layer_input_elements(l) / megabyte;
        first = false;
        outputs += (double)l->repeat * (double)layer_output_elements(l);
        params += (double)l->repeat * (double)layer_cost(l).params;
    }
    m.forward_mb = 2.0 * 4.0 * outputs / megabyte;
    m.params_mb = 4.0 * params / megabyte;
    m.total_mb = m.input_mb + m.forward_mb + m.params_mb;
    return m;
}

static void rule(FILE *out, char c, int name_width)
{
    for (int i = 0; i < 76 + name_width; i++)
        fputc(c, out);
    fputc('\n', out);
}

/* (Long: the table's header, rows, totals and the memory lines, printed in
 * the order they appear.) */
void print_cost_summary(FILE *out, const char *path, const struct network *net,
                        const bool *selected)
{
    char a[32], b[32];
    int64_t total_params = 0, total_macs = 0, total_nopad = 0;
    size_t shown = 0;
    for (size_t i = 0; i < net->layer_count; i++) {
        if (selected && !selected[i])
            continue;
        const struct layer_cost c = layer_cost(&net->layers[i]);
        total_params += net->layers[i].repeat * c.params;
        total_macs += net->layers[i].repeat * c.macs;
        total_nopad += net->layers[i].repeat * c.macs_nopad;
        shown++;
    }

    /* the name column fits the longest name (ONNX node names run long) */
    int width = 20;
    for (size_t i = 0; i < net->layer_count; i++)
        if ((!selected || selected[i]) && (int)strlen(net->layers[i].name) > width)
            width = (int)strlen(net->layers[i].name);
    fprintf(out, "%s (%s): %zu layer%s\n", path, net->title, shown, shown == 1 ? "" : "s");
    rule(out, '-', width);
    fprintf(out, "%-*s %-10s %-22s %4s %13s %17s %6s\n", width, "Layer", "Kind",
            "Output Shape", "x", "Param #", "MACs", "MACs%");
    rule(out, '=', width);
    for (size_t i = 0; i < net->layer_count; i++) {
        if (selected && !selected[i])
            continue;
        const struct conv_layer *l = &net->layers[i];
        const struct layer_cost c = layer_cost(l);
        char shape[64];
        snprintf(shape, sizeof shape, "[%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 "]",
                 l->batch, l->c_out, l->h_out, l->w_out);
        fprintf(out, "%-*s %-10s %-22s %4" PRId64 " %13s %17s %5.1f%%\n", width, l->name,
                layer_kind_name(layer_kind(l)), shape, l->repeat, format_thousands(c.params, a),
                format_thousands(c.macs, b),
                total_macs ? 100.0 * (double)(l->repeat * c.macs) / (double)total_macs : 0.0);
    }
    rule(out, '=', width);
    fprintf(out, "Total params: %s\n", format_thousands(total_params, a));
    fprintf(out, "Total MACs: %s\n", format_thousands(total_macs, a));
    fprintf(out, "Total MACs without padded taps: %s\n", format_thousands(total_nopad, a));
    fprintf(out, "Total FLOPs (2 x MACs): %s\n", format_thousands(2 * total_macs, a));
    rule(out, '-', width);
    const struct memory_estimate m = network_memory(net->layers, selected, net->layer_count);
    fprintf(out, "Input size (MB): %.2f\n", m.input_mb);
    fprintf(out, "Forward/backward pass size (MB): %.2f\n", m.forward_mb);
    fprintf(out, "Params size (MB): %.2f\n", m.params_mb);
    fprintf(out, "Estimated Total Size (MB): %.2f\n", m.total_mb);
    rule(out, '-', width);

    /* blocks: layers sharing a tag, summed, in order of first appearance */
    bool header = false;
    for (size_t i = 0; i < net->layer_count; i++) {
        const struct conv_layer *l = &net->layers[i];
        if ((selected && !selected[i]) || !l->block[0])
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = (!selected || selected[j]) && strcmp(net->layers[j].block, l->block) == 0;
        if (seen)
            continue;
        int64_t params = 0, macs = 0;
        size_t members = 0;
        for (size_t j = i; j < net->layer_count; j++) {
            if ((selected && !selected[j]) || strcmp(net->layers[j].block, l->block) != 0)
                continue;
            const struct layer_cost c = layer_cost(&net->layers[j]);
            params += net->layers[j].repeat * c.params;
            macs += net->layers[j].repeat * c.macs;
            members++;
        }
        if (!header) {
            fprintf(out, "%-20s %-10s %-22s %4s %13s %17s\n", "Block", "", "", "", "Param #",
                    "MACs");
            header = true;
        }
        char count[32];
        snprintf(count, sizeof count, "%zu layers", members);
        fprintf(out, "%-20s %-10s %-22s %4s %13s %17s\n", l->block, count, "", "",
                format_thousands(params, a), format_thousands(macs, b));
    }
    if (header)
        rule(out, '-', width);

    if (net->note[0])
        fprintf(out, "Note: %s\n", net->note);
    if (net->skipped_count) {
        fprintf(out, "Not benchmarked: %zu node%s\n", net->skipped_count,
                net->skipped_count == 1 ? "" : "s");
        for (size_t i = 0; i < net->skipped_count; i++)
            fprintf(out, "  %-20s %-14s %s\n", net->skipped[i].name, net->skipped[i].op,
                    net->skipped[i].reason);
    }
    if (net->note[0] || net->skipped_count)
        rule(out, '-', width);
}

static void pair(FILE *out, const char *key, int64_t a, int64_t b)
{
    if (a == b)
        fprintf(out, "%s = %" PRId64 "\n", key, a);
    else
        fprintf(out, "%s = %" PRId64 "x%" PRId64 "\n", key, a, b);
}

int write_ini(FILE *out, const char *path, const struct network *net, const bool *selected,
              char *error, size_t error_size)
{
    const struct conv_layer *first = NULL;
    for (size_t i = 0; i < net->layer_count; i++) {
        const struct conv_layer *l = &net->layers[i];
        if (selected && !selected[i])
            continue;
        if (!first)
            first = l;
        if (l->batch != first->batch) {
            snprintf(error, error_size,
                     "%s: layers '%s' (batch %" PRId64 ") and '%s' (batch %" PRId64 ") differ in "
                     "batch, and an INI config has one batch for the network",
                     path, first->name, first->batch, l->name, l->batch);
            return -1;
        }
    }
    fprintf(out, "; the layers of %s\n", path);
    if (net->note[0])
        fprintf(out, "; %s\n", net->note);
    for (size_t i = 0; i < net->skipped_count; i++)
        fprintf(out, "; not benchmarked: %s (%s): %s\n", net->skipped[i].name,
                net->skipped[i].op, net->skipped[i].reason);
    fprintf(out, "[network]\nname = %s\nbatch = %" PRId64 "\n", net->title,
            first ? first->batch : 1);
    for (size_t i = 0; i < net->layer_count; i++) {
        const struct conv_layer *l = &net->layers[i];
        if (selected && !selected[i])
            continue;
        fprintf(out, "\n[%s]\nin = %" PRId64 "x%" PRId64 "x%" PRId64 "\nout = %" PRId64 "\n",
                l->name, l->c_in, l->h_in, l->w_in, l->c_out);
        pair(out, "kernel", l->kernel_h, l->kernel_w);
        pair(out, "stride", l->stride_h, l->stride_w);
        pair(out, "pad", l->pad_h, l->pad_w);
        if (layer_pad_asymmetric(l))
            pair(out, "pad_end", l->pad_bottom, l->pad_right);
        pair(out, "dilation", l->dilation_h, l->dilation_w);
        fprintf(out, "groups = %" PRId64 "\nbias = %s\n", l->groups, l->bias ? "true" : "false");
        if (l->block[0])
            fprintf(out, "block = %s\n", l->block);
        if (l->repeat != 1)
            fprintf(out, "repeat = %" PRId64 "\n", l->repeat);
    }
    return 0;
}
