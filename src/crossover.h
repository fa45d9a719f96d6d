/* Which variant wins where, over the points of sweeps (docs/DESIGN.md
 * "Config format"). A sweep names each layer <section>_<key><item>..., and
 * that name is all a saved CSV keeps of it, so the map is built from names:
 * a point's row is its name up to its last swept key, its column that key
 * and item. With one swept key per section, the sections are the rows. */
#ifndef CONVBENCH_CROSSOVER_H
#define CONVBENCH_CROSSOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis.h"

struct crossover_cell {
    int layer;      /* grid layer index, or -1 when no layer is at this point */
    int winner;     /* fastest measured variant (grid index), or -1 */
    int runner_up;  /* the next fastest, or -1 */
    double speedup; /* runner-up time / winner time; 0 without a runner-up */
};

struct crossover_map {
    size_t rows, columns;
    char **row_names, **column_names; /* in the order the points first come */
    struct crossover_cell *cells;     /* [row][column] */
};

/* Splits a sweep point's name into row and column (each at least
 * LAYER_NAME_MAX + 1 bytes); false when the name is not one a sweep makes. */
bool crossover_split(const char *name, char *row, char *column);

/* The map of the grid's sweep points at one thread count, over the layers at
 * the batch of the first point (a --batch=LIST run holds each point once per
 * batch). rows is 0 when no layer is a sweep point. -1 when out of memory. */
int crossover_map_build(const struct result_grid *grid, size_t thread,
                        struct crossover_map *map);
void crossover_map_free(struct crossover_map *map);

static inline const struct crossover_cell *crossover_at(const struct crossover_map *map,
                                                        size_t row, size_t column)
{
    return &map->cells[row * map->columns + column];
}

#endif
