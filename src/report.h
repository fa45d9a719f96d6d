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

#endif
