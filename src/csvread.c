#include "csvread.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct reader {
    struct csv_table *table;
    char **record; /* fields of the record being read */
    size_t fields, capacity;
    size_t records;
    int failed;    /* 1: out of memory, 2: a record with the wrong column count */
    size_t bad_record;
    size_t bad_fields;
};

static void on_field(void *data, size_t size, void *context)
{
    struct reader *r = context;
    if (r->failed)
        return;
    if (r->fields == r->capacity) {
        size_t capacity = r->capacity ? 2 * r->capacity : 64;
        char **grown = realloc(r->record, capacity * sizeof *grown);
        if (!grown) {
            r->failed = 1;
            return;
        }
        r->record = grown;
        r->capacity = capacity;
    }
    char *field = malloc(size + 1);
    if (!field) {
        r->failed = 1;
        return;
    }
    if (size)
        memcpy(field, data, size);
    field[size] = '\0';
    r->record[r->fields++] = field;
}

static void drop_record(struct reader *r)
{
    for (size_t i = 0; i < r->fields; i++)
        free(r->record[i]);
    r->fields = 0;
}

static void on_record(int terminator, void *context)
{
    (void)terminator;
    struct reader *r = context;
    struct csv_table *t = r->table;
    r->records++;
    if (r->failed) {
        drop_record(r);
        return;
    }
    if (!t->header) {
        t->header = r->record;
        t->columns = r->fields;
        r->record = NULL;
        r->fields = r->capacity = 0;
        return;
    }
    if (r->fields != t->columns) {
        r->failed = 2;
        r->bad_record = r->records;
        r->bad_fields = r->fields;
        drop_record(r);
        return;
    }
    char ***rows = realloc(t->rows, (t->row_count + 1) * sizeof *rows);
    char **row = malloc(t->columns * sizeof *row);
    if (rows)
        t->rows = rows;
    if (!rows || !row) {
        free(row);
        drop_record(r);
        r->failed = 1;
        return;
    }
    memcpy(row, r->record, t->columns * sizeof *row);
    t->rows[t->row_count++] = row;
    r->fields = 0;
}

int csv_table_read(const char *path, struct csv_table *table, char *error, size_t error_size)
{
    *table = (struct csv_table){0};
    struct stat st;
    if (stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) ||
                                 S_ISBLK(st.st_mode))) {
        snprintf(error, error_size, "%s: is a %s, not a result file", path,
                 S_ISDIR(st.st_mode) ? "directory" : "device");
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(error, error_size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct csv_parser parser;
    struct reader r = {.table = table};
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fclose(f);
        snprintf(error, error_size, "%s: out of memory", path);
        return -1;
    }
    char buffer[65536];
    size_t got, total = 0;
    int status = 0;
    while ((got = fread(buffer, 1, sizeof buffer, f)) > 0) {
        /* a pipe is read too, but not without end */
        if ((total += got) > CSV_TABLE_MAX_BYTES) {
            snprintf(error, error_size, "%s: more than %d MiB, not a convbench result", path,
                     CSV_TABLE_MAX_BYTES >> 20);
            status = -1;
            break;
        }
        if (csv_parse(&parser, buffer, got, on_field, on_record, &r) != got) {
            snprintf(error, error_size, "%s: not a valid CSV file (record %zu: %s)", path,
                     r.records + 1, csv_strerror(csv_error(&parser)));
            status = -1;
            break;
        }
    }
    if (status == 0 && csv_fini(&parser, on_field, on_record, &r) != 0) {
        snprintf(error, error_size, "%s: not a valid CSV file (it ends inside a quoted field)",
                 path);
        status = -1;
    }
    csv_free(&parser);
    fclose(f);
    drop_record(&r);
    free(r.record);
    if (status == 0 && r.failed == 1) {
        snprintf(error, error_size, "%s: out of memory", path);
        status = -1;
    } else if (status == 0 && r.failed == 2) {
        snprintf(error, error_size, "%s: record %zu has %zu fields, the header %zu", path,
                 r.bad_record, r.bad_fields, table->columns);
        status = -1;
    } else if (status == 0 && !table->header) {
        snprintf(error, error_size, "%s: empty, not a convbench result", path);
        status = -1;
    }
    if (status != 0)
        csv_table_free(table);
    return status;
}

void csv_table_free(struct csv_table *table)
{
    if (table->header)
        for (size_t c = 0; c < table->columns; c++)
            free(table->header[c]);
    free(table->header);
    for (size_t i = 0; i < table->row_count; i++) {
        for (size_t c = 0; c < table->columns; c++)
            free(table->rows[i][c]);
        free(table->rows[i]);
    }
    free(table->rows);
    *table = (struct csv_table){0};
}

int csv_table_column(const struct csv_table *table, const char *name)
{
    for (size_t c = 0; c < table->columns; c++)
        if (strcmp(table->header[c], name) == 0)
            return (int)c;
    return -1;
}
