/* convbench --plot-data=DIR RESULT.csv: the tables scripts/plot draws from,
 * as whitespace-separated files gnuplot reads directly (gnuplot's own CSV
 * reading does not handle quoted fields). */
#ifndef CONVBENCH_PLOTDATA_H
#define CONVBENCH_PLOTDATA_H

/* Writes DIR/{layers,kinds,points,roofline,separable,threads}.dat and
 * DIR/params.gp. Returns 0, or 2 with a message on stderr. */
int plot_data_write(const char *csv_path, const char *dir);

#endif
