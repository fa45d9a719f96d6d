/* The machine probe returns a positive FMA peak and memory bandwidth, and
 * the peak grows with the threads it is given (bounded by the cores). */
#include <omp.h>

#include "check.h"
#include "probe.h"

int main(void)
{
    const double one = probe_peak_gflops(1);
    CHECK(one > 0.1, "1-thread FMA peak %.3f GFLOP/s", one);
    const double bandwidth = probe_bandwidth_gbs(1);
    CHECK(bandwidth > 0.1, "bandwidth %.3f GB/s", bandwidth);
    printf("probe: %.1f GFLOP/s on 1 thread, %.1f GB/s\n", one, bandwidth);
    if (omp_get_num_procs() > 1) {
        const double two = probe_peak_gflops(2);
        printf("probe: %.1f GFLOP/s on 2 threads\n", two);
        /* loose: a shared machine may steal one core for a while */
        CHECK(two > 0.5 * one, "2-thread peak %.1f below half the 1-thread %.1f", two, one);
    }
    return check_report("probe");
}
