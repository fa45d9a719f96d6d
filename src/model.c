#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "build_config.h"
#if HAVE_ONNX
#include "onnx.h"
#endif

/* Whether bytes, the start of a file, begin like a serialized ONNX
 * ModelProto: the tag of one of its fields, and a control byte among the
 * first 16 (protobuf lengths and varints) that no text config holds. */
static bool model_looks_like_onnx(const unsigned char *bytes, size_t count)
{
    /* ModelProto's fields: ir_version (1, varint), producer_name (2),
     * producer_version (3), domain (4), model_version (5, varint),
     * doc_string (6), graph (7), opset_import (8), metadata_props (14);
     * exporters write them in field order, ir_version first */
    static const unsigned char tags[] = {0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72};
    if (count < 2 || !memchr(tags, bytes[0], sizeof tags))
        return false;
    for (size_t i = 1; i < count && i < 16; i++)
        if (bytes[i] < 0x20 && bytes[i] != '\t' && bytes[i] != '\n' && bytes[i] != '\r')
            return true;
    return false;
}

static bool named_onnx(const char *path)
{
    size_t length = strlen(path);
    return length > 5 && strcmp(path + length - 5, ".onnx") == 0;
}

static int load_onnx(const char *path, int fd, const struct stat *st, int64_t batch,
                     struct network *net, char error[CONFIG_ERROR_MAX])
{
#if HAVE_ONNX
    if (st->st_size == 0) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: an empty file, not an ONNX model", path);
        return -1;
    }
    /* mapped, not read: protobuf-c's copy of the tensors is the only one */
    void *data = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: cannot map the model: %s", path,
                 strerror(errno));
        return -1;
    }
    int status = onnx_parse_buffer(path, data, (size_t)st->st_size, batch > 0 ? batch : 1, net,
                                   error);
    munmap(data, (size_t)st->st_size);
    return status;
#else
    (void)fd;
    (void)st;
    (void)batch;
    (void)net;
    snprintf(error, CONFIG_ERROR_MAX,
             "%.512s: an ONNX model, and this convbench was built without ONNX support "
             "(-Donnx=disabled, or protobuf-c missing)", path);
    return -1;
#endif
}

int model_load(const char *path, int64_t batch, struct network *net,
               char error[CONFIG_ERROR_MAX])
{
    struct stat st;
    int fd = config_open(path, &st, error);
    if (fd < 0)
        return -1;
    unsigned char head[16];
    ssize_t got;
    do
        got = pread(fd, head, sizeof head, 0);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        snprintf(error, CONFIG_ERROR_MAX, "%.512s: read error: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    int status;
    if (model_looks_like_onnx(head, (size_t)got) || named_onnx(path)) {
        status = load_onnx(path, fd, &st, batch, net, error);
        close(fd);
    } else {
        close(fd);
        status = config_parse_file(path, net, error);
    }
    if (status == 0 && batch > 0 && network_set_batch(path, net, batch, error) != 0) {
        network_free(net);
        return -1;
    }
    return status;
}
