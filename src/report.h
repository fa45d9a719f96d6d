/* Human-readable tables: the per-config cost summary (--summary), shaped
 * after torchsummary's, and number formatting shared by the reports. */
#ifndef CONVBENCH_REPORT_H
#define CONVBENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

/* 1234567 -> "1,234,567" */
const char *format_thousands(int64_t value, char buffer[32]);

/* torchsummary's memory lines, in MB of 2^20 bytes. */
struct memory_estimate {
    double input_mb;   /* the first layer's input */
    double forward_mb; /* forward/backward pass: 2 x every output */
    double params_mb;
    double total_mb;
};

struct memory_estimate network_memory(const struct conv_layer *layers, const bool *selected,
                                      size_t count);

/* The cost table of the selected layers (all when selected is NULL). */
void print_cost_summary(FILE *out, const char *path, const struct network *net,
                        const bool *selected);

/* The selected layers as an INI config that reads back to the same layers
 * and costs (--export-ini). The format has one batch per network: returns
 * -1 with a message in error when the layers' batches differ. */
int write_ini(FILE *out, const char *path, const struct network *net, const bool *selected,
              char *error, size_t error_size);

#endif
