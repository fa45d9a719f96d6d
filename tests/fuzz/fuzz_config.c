/* Fuzz target for the whole path from config bytes to validated layers and
 * their costs: parse (inih and our reader), validate, derive the cost model,
 * print the --summary table. Every input goes through both entry points:
 * config_parse_string on the text, and config_parse_file on a memory file
 * holding the same bytes (NUL bytes included), and the two must agree.
 * Built by scripts/fuzz with clang's libFuzzer; tests/fuzz/replay.c feeds
 * it the corpus in the normal build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* what layer_derive and validate promised: costs and totals that fit */
static void check_network(const struct network *net, FILE *sink)
{
    int64_t total_flops = 0;
    for (size_t i = 0; i < net->layer_count; i++) {
        const struct layer_cost c = layer_cost(&net->layers[i]);
        if (c.macs < 0 || c.macs_nopad > c.macs || c.flops != 2 * c.macs || c.params <= 0)
            abort();
        if (__builtin_mul_overflow(c.flops, net->layers[i].repeat, &(int64_t){0}) ||
            __builtin_add_overflow(total_flops, c.flops * net->layers[i].repeat, &total_flops))
            abort();
    }
    struct memory_estimate m = network_memory(net->layers, NULL, net->layer_count);
    if (!(m.total_mb >= 0.0))
        abort();
    print_cost_summary(sink, "fuzz.ini", net, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    static int memory_file = -1;
    static char memory_path[64];
    if (!sink)
        sink = fopen("/dev/null", "w");
    if (memory_file < 0) {
        memory_file = memfd_create("fuzz.ini", 0);
        snprintf(memory_path, sizeof memory_path, "/proc/self/fd/%d", memory_file);
    }
    if (!sink || memory_file < 0)
        abort();

    /* the file entry point, on the bytes as they are */
    if (ftruncate(memory_file, 0) != 0 || pwrite(memory_file, data, size, 0) != (ssize_t)size)
        abort();
    struct network from_file;
    char file_error[CONFIG_ERROR_MAX];
    const int file_status = config_parse_file(memory_path, &from_file, file_error);
    if (file_status == 0) {
        check_network(&from_file, sink);
        network_free(&from_file);
    } else if (strncmp(file_error, memory_path, strlen(memory_path)) != 0) {
        abort(); /* every error names the file */
    }

    /* the string entry point, which ends at the first NUL */
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct network net;
    char error[CONFIG_ERROR_MAX];
    const int status = config_parse_string("fuzz.ini", text, &net, error);
    if (status == 0) {
        check_network(&net, sink);
        network_free(&net);
    } else if (strncmp(error, "fuzz.ini:", 9) != 0) {
        abort(); /* every error names the file (and the line) */
    }
    /* without a NUL byte both entry points read the same text: the same
     * verdict, and the same message after the file name */
    if (!memchr(data, '\0', size)) {
        if ((status == 0) != (file_status == 0))
            abort();
        if (status != 0 && strcmp(error + strlen("fuzz.ini"),
                                  file_error + strlen(memory_path)) != 0)
            abort();
    } else if (file_status == 0) {
        abort(); /* a NUL byte is always an error */
    }
    free(text);
    return 0;
}
