/* A file written whole or not at all: written under a temporary name beside
 * it and renamed into place, so that a reader never sees half of it and a
 * failure leaves an earlier file as it was. (The CSV and its .meta have
 * their own pair commit in results.c.) */
#ifndef CONVBENCH_ATOMICFILE_H
#define CONVBENCH_ATOMICFILE_H

#include <stddef.h>
#include <stdio.h>

struct atomic_file {
    FILE *file;
    char *temp;
    const char *path;
};

/* Opens a temporary file beside path for writing; -1 with the reason in
 * error. */
int atomic_open(struct atomic_file *a, const char *path, char *error, size_t error_size);

/* Flushes and renames it to path (keep false: removes it instead); -1 with
 * the reason in error when a write or the rename failed. */
int atomic_close(struct atomic_file *a, int keep, char *error, size_t error_size);

#endif
