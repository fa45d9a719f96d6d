/* A layer set from a path: an INI config (src/config.h) or an ONNX model
 * (src/onnx.h), told apart by the file's content. */
#ifndef CONVBENCH_MODEL_H
#define CONVBENCH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Reads path as an ONNX model when its content (or its .onnx name) says so,
 * else as an INI config. batch > 0 sets every layer's batch (and an ONNX
 * model's symbolic batch dimension); 0 keeps the file's, a symbolic one
 * taken as 1. On failure returns -1 with the message in error. */
int model_load(const char *path, int64_t batch, struct network *net,
               char error[CONFIG_ERROR_MAX]);

#endif
