/* Drawing the charts of a result with gnuplot: the plot data of the result
 * set goes to a temporary directory, then one gnuplot per chart and format
 * runs the chart's script (scripts/plots/CHART.gp) into PREFIX-CHART.png and
 * PREFIX-CHART.svg. Each gnuplot runs through signals_run_child: a signal
 * meanwhile reaches it, and no chart is started after one. */
#ifndef CONVBENCH_CHARTS_H
#define CONVBENCH_CHARTS_H

#include <stdio.h>

#include "resultset.h"

enum charts_status { CHARTS_OK, CHARTS_FAILED, CHARTS_INTERRUPTED };

/* Draws the charts of set (at least one row); bandwidth_gbs is NaN when
 * unknown. Each file drawn is named on a line of list. On a failure the
 * message is on stderr. */
enum charts_status charts_draw(const struct result_set *set, double bandwidth_gbs,
                               const char *prefix, FILE *list);

/* Whether gnuplot is on PATH. */
bool charts_available(void);

#endif
