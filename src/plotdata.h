/* The tables the charts are drawn from (the gnuplot scripts in
 * scripts/plots), written from a
 * result set as whitespace-separated files gnuplot reads directly
 * (gnuplot's own CSV reading does not handle quoted fields). */
#ifndef CONVBENCH_PLOTDATA_H
#define CONVBENCH_PLOTDATA_H

#include "resultset.h"

/* What decides which charts are drawn. */
struct plot_counts {
    int separable_rows; /* forms of the separable families */
    int thread_counts;
    int batch_sizes;
    int map_points;     /* sweep points with a fastest variant */
    int phase_bars;     /* rows with phases at the top thread count */
    int decomposition_rows; /* forms whose speed-up is taken apart */
    int layout_bars;    /* schedules in the layouts chart (0: every row NCHW) */
};

/* Writes DIR/{layers,kinds,points,separable,threads,batch,map,map-error,
 * decomposition,phases,layouts}.dat
 * and DIR/params.gp for the rows of set (at least one); bandwidth_gbs is
 * NaN when unknown. Fills counts. Returns 0, or -1 with a message on
 * stderr. */
int plot_data_write_set(const struct result_set *set, double bandwidth_gbs, const char *dir,
                        struct plot_counts *counts);

/* Loads a saved result and the bandwidth its .meta gives (NaN when none);
 * -1 with a message on stderr, also when it has no rows. */
int plot_data_load(const char *csv_path, struct result_set *set, double *bandwidth_gbs);

/* convbench --plot-data=DIR RESULT.csv. Returns 0, or 2 with a message on
 * stderr. */
int plot_data_write(const char *csv_path, const char *dir);

#endif
