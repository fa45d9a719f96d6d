#include "atomicfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int atomic_open(struct atomic_file *a, const char *path, char *error, size_t error_size)
{
    *a = (struct atomic_file){.path = path};
    const size_t length = strlen(path) + 16;
    a->temp = malloc(length);
    if (!a->temp) {
        snprintf(error, error_size, "%s: out of memory", path);
        return -1;
    }
    snprintf(a->temp, length, "%s.XXXXXX", path);
    const int fd = mkstemp(a->temp);
    if (fd >= 0 && fchmod(fd, 0644) == 0)
        a->file = fdopen(fd, "w");
    if (!a->file) {
        snprintf(error, error_size, "%s: cannot write: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(a->temp);
        }
        free(a->temp);
        a->temp = NULL;
        return -1;
    }
    return 0;
}

int atomic_close(struct atomic_file *a, int keep, char *error, size_t error_size)
{
    int status = 0;
    if (keep && (fflush(a->file) != 0 || ferror(a->file))) {
        snprintf(error, error_size, "%s: cannot write: %s", a->path, strerror(errno));
        status = -1;
    }
    if (fclose(a->file) != 0 && keep && status == 0) {
        snprintf(error, error_size, "%s: cannot write: %s", a->path, strerror(errno));
        status = -1;
    }
    if (keep && status == 0 && rename(a->temp, a->path) != 0) {
        snprintf(error, error_size, "%s: cannot write: %s", a->path, strerror(errno));
        status = -1;
    }
    if (!keep || status != 0)
        unlink(a->temp);
    free(a->temp);
    *a = (struct atomic_file){0};
    return status;
}
