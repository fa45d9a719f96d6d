/* Measuring the machine: FP32 FMA peak and memory bandwidth, the roofs that
 * the efficiency column and the roofline are drawn against. */
#ifndef CONVBENCH_PROBE_H
#define CONVBENCH_PROBE_H

/* GFLOP/s of independent FMA chains (enough to hide FMA latency on two FMA
 * ports) on the widest ISA the CPU has, with threads OpenMP threads running
 * at once: the sum of each thread's best 0.2 ms chunk over 50 ms. */
double probe_peak_gflops(int threads);

/* GB/s of a STREAM-like triad (a = b + s * c, 12 bytes per element counted)
 * on arrays well beyond the last-level cache; best of a few passes. */
double probe_bandwidth_gbs(int threads);

#endif
