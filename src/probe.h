/* Measuring the machine: FP32 FMA peak and memory bandwidth, the roofs that
 * the efficiency column and the roofline are drawn against. */
#ifndef CONVBENCH_PROBE_H
#define CONVBENCH_PROBE_H

#include <signal.h>
#include <stddef.h>

/* GFLOP/s of independent FMA chains (enough to hide FMA latency on two FMA
 * ports) on the widest ISA the CPU has, with threads OpenMP threads running
 * at once: the sum of each thread's best 0.2 ms chunk over 50 ms. */
double probe_peak_gflops(int threads);

/* GB/s of a STREAM-like triad (a = b + s * c, 12 bytes per element counted)
 * on three arrays well beyond the last-level cache; best of a few passes,
 * stopped early when *stop is set (stop may be NULL). Returns -1 when the
 * arrays cannot be allocated. */
double probe_bandwidth_gbs(int threads, const volatile sig_atomic_t *stop);

/* Bytes of one of the triad's arrays for a cache-exceeding size: that size,
 * capped at 128 MiB (a guest may report a last-level cache of hundreds of
 * MiB; larger arrays give the same figure, more slowly). */
size_t probe_bandwidth_array_bytes(size_t beyond_cache);

/* Bytes the bandwidth probe allocates on this machine (three arrays). */
size_t probe_bandwidth_bytes(void);

#endif
