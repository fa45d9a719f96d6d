#include "crossover.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* An item as a sweep writes it into a name: no '_', and a number (or
 * sizes, 64x56x56) or one of the words a key takes. */
static bool sweep_item(const char *item)
{
    static const char *const words[] = {"same", "depthwise", "true", "false", "yes", "no",
                                        "on", "off"};
    if (!*item || strchr(item, '_'))
        return false;
    if (*item >= '0' && *item <= '9')
        return true;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcmp(item, words[i]) == 0)
            return true;
    return false;
}

bool crossover_split(const char *name, char *row, char *column)
{
    for (const char *at = strrchr(name, '_'); at && at > name;) {
        const size_t key = config_sweep_key_length(at + 1);
        if (key && sweep_item(at + 1 + key)) {
            const size_t row_length = (size_t)(at - name);
            if (row_length > LAYER_NAME_MAX || strlen(at + 1) > LAYER_NAME_MAX)
                return false;
            memcpy(row, name, row_length);
            row[row_length] = '\0';
            strcpy(column, at + 1);
            return true;
        }
        /* the previous '_' (a key such as pad_end holds one) */
        do
            at--;
        while (at > name && *at != '_');
    }
    return false;
}

/* The index of name in names[0 .. *count), added at the end when absent;
 * -1 when out of memory. */
static int intern(char ***names, size_t *count, const char *name)
{
    for (size_t i = 0; i < *count; i++)
        if (strcmp((*names)[i], name) == 0)
            return (int)i;
    char **grown = realloc(*names, (*count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    *names = grown;
    if (!(grown[*count] = strdup(name)))
        return -1;
    return (int)(*count)++;
}

int crossover_map_build(const struct result_grid *g, size_t thread, struct crossover_map *m)
{
    *m = (struct crossover_map){0};
    int *row_of = malloc((g->layer_count ? g->layer_count : 1) * sizeof *row_of);
    int *column_of = malloc((g->layer_count ? g->layer_count : 1) * sizeof *column_of);
    if (!row_of || !column_of)
        goto fail;
    int64_t batch = 0;
    for (size_t l = 0; l < g->layer_count; l++) {
        char row[LAYER_NAME_MAX + 1], column[LAYER_NAME_MAX + 1];
        const struct conv_layer *layer = &g->layers[l]->layer;
        row_of[l] = column_of[l] = -1;
        if (!crossover_split(layer->name, row, column) || (batch && layer->batch != batch))
            continue;
        batch = layer->batch;
        if ((row_of[l] = intern(&m->row_names, &m->rows, row)) < 0 ||
            (column_of[l] = intern(&m->column_names, &m->columns, column)) < 0)
            goto fail;
    }
    if (m->rows) {
        m->cells = malloc(m->rows * m->columns * sizeof *m->cells);
        if (!m->cells)
            goto fail;
        for (size_t c = 0; c < m->rows * m->columns; c++)
            m->cells[c] = (struct crossover_cell){.layer = -1, .winner = -1, .runner_up = -1};
    }
    for (size_t l = 0; l < g->layer_count; l++) {
        if (row_of[l] < 0)
            continue;
        struct crossover_cell *cell = &m->cells[(size_t)row_of[l] * m->columns + column_of[l]];
        cell->layer = (int)l;
        double best = 0.0, second = 0.0;
        for (size_t v = 0; v < g->variant_count; v++) {
            const struct result_row *r = grid_measured(g, l, thread, v);
            if (!r)
                continue;
            const double t = r->timing.median_us;
            if (cell->winner < 0 || t < best) {
                cell->runner_up = cell->winner, second = best;
                cell->winner = (int)v, best = t;
            } else if (cell->runner_up < 0 || t < second) {
                cell->runner_up = (int)v, second = t;
            }
        }
        cell->speedup = cell->runner_up >= 0 && best > 0.0 ? second / best : 0.0;
    }
    free(row_of);
    free(column_of);
    return 0;
fail:
    free(row_of);
    free(column_of);
    crossover_map_free(m);
    return -1;
}

void crossover_map_free(struct crossover_map *m)
{
    for (size_t i = 0; i < m->rows; i++)
        free(m->row_names[i]);
    for (size_t i = 0; i < m->columns; i++)
        free(m->column_names[i]);
    free(m->row_names);
    free(m->column_names);
    free(m->cells);
    *m = (struct crossover_map){0};
}
