/* ONNX models as layer sets (docs/DESIGN.md "ONNX models"): every 2-D Conv
 * is a layer, Gemm and MatMul with a constant 2-D weight a 1x1 conv on
 * C x 1 x 1, and the input shape of each is derived by walking the graph. */
#ifndef CONVBENCH_ONNX_H
#define CONVBENCH_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Reads the serialized ModelProto of size bytes at data. batch is what a
 * symbolic batch dimension (the first of a graph input) stands for. path
 * names the model in messages. On failure returns -1 with "PATH: node 'N'
 * (Op): problem" (or "PATH: problem") in error. */
int onnx_parse_buffer(const char *path, const void *data, size_t size, int64_t batch,
                      struct network *net, char error[CONFIG_ERROR_MAX]);

#endif
