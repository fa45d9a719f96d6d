/* Layer sets from INI files (docs/DESIGN.md "Config format"), parsed with inih. */
#ifndef CONVBENCH_CONFIG_H
#define CONVBENCH_CONFIG_H

#include <stddef.h>
#include <sys/stat.h>

#include "layer.h"

#define CONFIG_ERROR_MAX 1024
/* The largest config file read: generous (a 10,000-layer config is about
 * 1 MiB), and it keeps a wrong file from being read whole. */
#define CONFIG_MAX_BYTES (16 << 20)
/* The most layers a config may hold once its sweeps are expanded. */
#define CONFIG_MAX_LAYERS 10000

/* A node of a model that is not benchmarked, and why (ONNX input). */
struct skipped_node {
    char name[LAYER_NAME_MAX + 1];
    char op[32];
    char reason[160];
};

struct network {
    char name[LAYER_NAME_MAX + 1]; /* the file's base name without .ini or .onnx */
    char title[LAYER_NAME_MAX + 1]; /* [network] name, or the file name */
    struct conv_layer *layers;
    size_t layer_count;
    struct skipped_node *skipped; /* convolutions and products not benchmarked */
    size_t skipped_count;
    char note[256]; /* how the input was read, e.g. a symbolic batch taken as 1; or "" */
};

/* Reads and validates a config. On failure returns -1 and fills error with
 * "PATH:LINE: problem" (or "PATH: problem" when no line applies). Only a
 * regular file of at most CONFIG_MAX_BYTES is read; the first problem ends
 * the parse. */
int config_parse_file(const char *path, struct network *net, char error[CONFIG_ERROR_MAX]);

/* A network's name from its file: the base name without .ini or .onnx,
 * cut to size - 1 characters. */
void network_base_name(const char *path, char *out, size_t size);

/* Opens path for reading when it is a regular file, else fails with a
 * message naming what it is (a FIFO is never opened, so never blocks):
 * returns the descriptor and fills st, or -1 with the message in error. */
int config_open(const char *path, struct stat *st, char error[CONFIG_ERROR_MAX]);

/* Sets every layer's batch, then checks the layers and the network's
 * totals again: returns -1 with "PATH: [layer]: problem" in error when a
 * layer or a total no longer fits. */
int network_set_batch(const char *path, struct network *net, int64_t batch,
                      char error[CONFIG_ERROR_MAX]);

/* The same on text in memory; path only names it in messages. */
int config_parse_string(const char *path, const char *text, struct network *net,
                        char error[CONFIG_ERROR_MAX]);

/* The length of the key a sweep may take (in, out, kernel, ...) that text
 * starts with, the longest that fits (pad_end before pad); 0 for none. */
size_t config_sweep_key_length(const char *text);

/* The seed's examples, used when no config is given. */
int config_builtin_seed(struct network *net, char error[CONFIG_ERROR_MAX]);

void network_free(struct network *net);

#endif
