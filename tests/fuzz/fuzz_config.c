/* Fuzz target for the whole path from config bytes to validated layers and
 * their costs: parse (inih and our reader), validate, derive the cost model
 * and the summary's memory lines. Built by scripts/fuzz with clang's
 * libFuzzer; tests/fuzz/replay.c feeds it the corpus in the normal build. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct network net;
    char error[CONFIG_ERROR_MAX];
    if (config_parse_string("fuzz.ini", text, &net, error) == 0) {
        int64_t total_macs = 0;
        for (size_t i = 0; i < net.layer_count; i++) {
            const struct layer_cost c = layer_cost(&net.layers[i]);
            /* what layer_derive promised: costs that fit, with repeat */
            if (c.macs < 0 || c.macs_nopad > c.macs || c.flops != 2 * c.macs || c.params <= 0)
                abort();
            if (__builtin_add_overflow(total_macs, c.macs, &total_macs))
                total_macs = 0; /* totals over many layers may overflow; not a promise */
        }
        struct memory_estimate m = network_memory(net.layers, NULL, net.layer_count);
        if (!(m.total_mb >= 0.0))
            abort();
        network_free(&net);
    } else if (strncmp(error, "fuzz.ini:", 9) != 0) {
        abort(); /* every error names the file (and the line) */
    }
    free(text);
    return 0;
}
