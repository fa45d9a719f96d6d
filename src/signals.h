/* SIGINT and SIGTERM, taken by one thread of their own.
 *
 * signals_start() blocks both signals in the calling thread before any other
 * thread exists (OpenMP's, oneDNN's and OpenBLAS's threads inherit the mask)
 * and starts a thread that waits for them with sigwait(). Being an ordinary
 * thread, it may lock the result file's mutex and rename files, which a
 * signal handler could not do safely while another thread writes a row.
 *
 * The first signal sets signals_stop: the run ends after the row under way
 * and keeps its rows. A second signal saves the finished rows of the sink
 * being written (csv_sink_save_partial) and exits at once with 128 + the
 * first signal. While a child process runs (gnuplot), a signal stops the
 * child's process group instead (SIGTERM, then SIGKILL 2 s on). */
#ifndef CONVBENCH_SIGNALS_H
#define CONVBENCH_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

#include "results.h"

/* 0 until the first SIGINT or SIGTERM, then its number. */
extern volatile sig_atomic_t signals_stop;

/* Returns 0, or -1 when the thread cannot be started. */
int signals_start(void);

/* The sink a second signal saves the finished rows of (NULL: none). */
void signals_watch_sink(struct csv_sink *sink);

/* Runs argv[0] (looked up in PATH when it has no slash) with argv as a
 * child in a process group of its own, with the default signal mask and
 * dispositions and /dev/null as its input, and waits for it; a signal
 * arriving meanwhile stops that group (SIGTERM, SIGKILL after 2 s), and
 * whatever is left of the group once the child has exited is killed. Returns the child's wait status, or -1 when it
 * could not be started. */
int signals_run_child(char *const argv[]);

#endif
