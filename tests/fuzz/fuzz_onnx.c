/* Fuzz target for the ONNX reader: protobuf-c's decoding, then the graph
 * walk from bytes to checked layers, the --summary table and the INI
 * export. Whatever the bytes, the reader either fails with a message that
 * names the file, or gives layers that layer_derive accepts, names an INI
 * section allows, and totals that fit. Built by scripts/fuzz with clang's
 * libFuzzer; tests/fuzz/replay.c feeds it the corpus in the normal build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool valid_name(const char *name)
{
    if (!name[0] || strlen(name) > LAYER_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if (!layer_name_char(*c))
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink && !(sink = fopen("/dev/null", "w")))
        abort();
    struct network net;
    char error[CONFIG_ERROR_MAX];
    if (onnx_parse_buffer("fuzz.onnx", data, size, 2, &net, error) != 0) {
        if (strncmp(error, "fuzz.onnx: ", 11) != 0)
            abort(); /* every error names the file */
        return 0;
    }
    int64_t total = 0;
    for (size_t i = 0; i < net.layer_count; i++) {
        struct conv_layer copy = net.layers[i];
        if (layer_derive(&copy) != NULL || copy.h_out != net.layers[i].h_out ||
            copy.w_out != net.layers[i].w_out || !valid_name(net.layers[i].name))
            abort();
        const struct layer_cost c = layer_cost(&net.layers[i]);
        if (c.macs_nopad > c.macs || c.params <= 0 ||
            __builtin_add_overflow(total, c.flops * net.layers[i].repeat, &total))
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(net.layers[i].name, net.layers[j].name) == 0)
                abort(); /* names are unique */
    }
    for (size_t i = 0; i < net.skipped_count; i++)
        if (!valid_name(net.skipped[i].name) || !net.skipped[i].reason[0])
            abort();
    print_cost_summary(sink, "fuzz.onnx", &net, NULL);
    write_ini(sink, "fuzz.onnx", &net, NULL, error, sizeof error);
    network_free(&net);
    return 0;
}
