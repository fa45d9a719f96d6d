/* Layer sets from INI files (docs/DESIGN.md "Config format"), parsed with inih. */
#ifndef CONVBENCH_CONFIG_H
#define CONVBENCH_CONFIG_H

#include <stddef.h>

#include "layer.h"

#define CONFIG_ERROR_MAX 1024
/* The largest config file read: generous (a 10,000-layer config is about
 * 1 MiB), and it keeps a wrong file from being read whole. */
#define CONFIG_MAX_BYTES (16 << 20)

struct network {
    char name[LAYER_NAME_MAX + 1]; /* the file's base name without .ini */
    char title[LAYER_NAME_MAX + 1]; /* [network] name, or the file name */
    struct conv_layer *layers;
    size_t layer_count;
};

/* Reads and validates a config. On failure returns -1 and fills error with
 * "PATH:LINE: problem" (or "PATH: problem" when no line applies). Only a
 * regular file of at most CONFIG_MAX_BYTES is read; the first problem ends
 * the parse. */
int config_parse_file(const char *path, struct network *net, char error[CONFIG_ERROR_MAX]);

/* The same on the size bytes of text (which has room for one more, a NUL
 * written after them): a NUL byte among them is an error naming its line. */
int config_parse_buffer(const char *path, char *text, size_t size, struct network *net,
                        char error[CONFIG_ERROR_MAX]);

/* The same on text in memory; path only names it in messages. */
int config_parse_string(const char *path, const char *text, struct network *net,
                        char error[CONFIG_ERROR_MAX]);

/* The seed's examples, used when no config is given. */
int config_builtin_seed(struct network *net, char error[CONFIG_ERROR_MAX]);

void network_free(struct network *net);

#endif
