/* The machine probe: a positive, finite FMA peak on one and two threads and
 * a positive bandwidth; the bandwidth arrays stay bounded whatever cache
 * size the machine reports; the probe says so when it cannot allocate, and
 * stops when asked. Speeds themselves are not asserted: they are
 * measurements, and a shared machine moves them. */
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <sys/resource.h>

#include "check.h"
#include "probe.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifndef UNDER_ASAN
/* The current address space, in bytes (VmSize). */
static size_t address_space(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib << 10;
}
#endif

int main(void)
{
    const double one = probe_peak_gflops(1);
    CHECK(one > 0.1 && isfinite(one), "1-thread FMA peak %.3f GFLOP/s", one);
    const double bandwidth = probe_bandwidth_gbs(1, NULL);
    CHECK(bandwidth > 0.1 && isfinite(bandwidth), "bandwidth %.3f GB/s", bandwidth);
    printf("probe: %.1f GFLOP/s on 1 thread, %.1f GB/s\n", one, bandwidth);
    if (omp_get_num_procs() > 1) {
        const double two = probe_peak_gflops(2);
        printf("probe: %.1f GFLOP/s on 2 threads\n", two);
        CHECK(two > 0.1 && isfinite(two), "2-thread FMA peak %.3f GFLOP/s", two);
    }

    /* a guest that reports a 480 MiB L3 (4x = 1920 MiB) gets 128 MiB arrays */
    CHECK_INT(probe_bandwidth_array_bytes((size_t)1920 << 20), (size_t)128 << 20,
              "array bytes for a 480 MiB L3");
    CHECK_INT(probe_bandwidth_array_bytes((size_t)64 << 20), (size_t)64 << 20,
              "array bytes for a 16 MiB L3");
    CHECK(probe_bandwidth_bytes() <= (size_t)384 << 20, "the probe allocates %zu bytes",
          probe_bandwidth_bytes());

    /* asked to stop, it makes no pass */
    volatile sig_atomic_t stop = 1;
    CHECK(probe_bandwidth_gbs(1, &stop) == 0.0, "a stopped probe measured something");

#ifdef UNDER_ASAN
    puts("probe: the allocation failure is not checked under AddressSanitizer, whose shadow "
         "memory an address-space limit breaks");
#else
    /* with room for less than its arrays, it fails loudly instead of
     * reporting 0 GB/s */
    struct rlimit old, tight;
    getrlimit(RLIMIT_AS, &old);
    tight = old;
    tight.rlim_cur = address_space() + probe_bandwidth_bytes() / 2;
    if (setrlimit(RLIMIT_AS, &tight) == 0) {
        const double starved = probe_bandwidth_gbs(1, NULL);
        setrlimit(RLIMIT_AS, &old);
        CHECK(starved < 0.0, "without room for its arrays the probe returned %.3f", starved);
    } else {
        CHECK(0, "cannot set an address-space limit");
    }
#endif
    return check_report("probe");
}
