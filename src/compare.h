/* convbench --compare OLD.csv NEW.csv: the per-row time ratio of two runs,
 * matched by config, layer, variant and threads. */
#ifndef CONVBENCH_COMPARE_H
#define CONVBENCH_COMPARE_H

#include <stdio.h>

/* Prints the comparison to out. Returns 0, or 2 (with a message on stderr)
 * when a file cannot be read, is not a convbench result, or the two share
 * no timed row. */
int compare_results(const char *old_path, const char *new_path, FILE *out);

#endif
