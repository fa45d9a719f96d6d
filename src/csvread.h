/* Reading a results CSV back (for --compare and the plot data), with
 * libcsv's parser: quoted fields, embedded commas and newlines. */
#ifndef CONVBENCH_CSVREAD_H
#define CONVBENCH_CSVREAD_H

#include <stddef.h>

struct csv_table {
    char **header;
    size_t columns;
    char ***rows; /* rows[i][column], NUL-terminated strings */
    size_t row_count;
};

/* The largest result read: a sweep of 10,000 layers x 10 variants x 4
 * thread counts is about 200 MiB. */
#define CSV_TABLE_MAX_BYTES (1 << 30)

/* Reads path; every row must have the header's column count. Directories
 * and devices are refused, and nothing past CSV_TABLE_MAX_BYTES is read. On
 * failure returns -1 with a message naming the file (and the record) in
 * error. */
int csv_table_read(const char *path, struct csv_table *table, char *error, size_t error_size);
void csv_table_free(struct csv_table *table);

/* The index of a column, or -1. */
int csv_table_column(const struct csv_table *table, const char *name);

#endif
