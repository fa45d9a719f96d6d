#include "phases.h"

#include <string.h>
#include <time.h>

#include <omp.h>

bool phases_active;

/* Per thread: the accumulators, and the phase open on it. A cache line
 * apiece and more, so that threads never share one. */
#define PHASE_THREADS_MAX 256
struct phase_thread {
    uint64_t ticks[PHASE_COUNT];
    uint64_t since;
    int depth;
    enum phase open;
} __attribute__((aligned(128)));
static struct phase_thread threads_state[PHASE_THREADS_MAX];

static const char *const names[PHASE_COUNT] = {
    [PHASE_PACK_B] = "pack B",
    [PHASE_MICRO_KERNEL] = "micro-kernel",
    [PHASE_EDGE_TILES] = "edge tiles",
    [PHASE_INPUT_TRANSFORM] = "input transform",
    [PHASE_PRODUCTS] = "element-wise products",
    [PHASE_OUTPUT_TRANSFORM] = "output transform",
    [PHASE_COMPUTE] = "compute",
};

const char *phase_name(enum phase phase)
{
    return names[phase];
}

bool phase_is_kernel(enum phase phase)
{
    return phase == PHASE_MICRO_KERNEL || phase == PHASE_PRODUCTS || phase == PHASE_COMPUTE;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t phase_ticks_portable(void)
{
    return (uint64_t)(seconds_now() * 1e9);
}

/* The calling thread's accumulators. Threads numbered beyond the table
 * (more than PHASE_THREADS_MAX) share its last entry, and may then lose an
 * update to one another: the phases of such runs are approximate. */
static struct phase_thread *mine(void)
{
    const int t = omp_get_thread_num();
    return &threads_state[t < PHASE_THREADS_MAX ? t : PHASE_THREADS_MAX - 1];
}

void phase_add(enum phase phase, uint64_t ticks, int team)
{
    if (!phases_active)
        return;
    struct phase_thread *s = mine();
    if (s->depth == 0)
        s->ticks[phase] += ticks * (uint64_t)(team > 0 ? team : 1);
}

void phase_begin(enum phase phase)
{
    struct phase_thread *s = mine();
    if (s->depth++ == 0) {
        s->open = phase;
        s->since = phase_ticks();
    }
}

void phase_end(void)
{
    struct phase_thread *s = mine();
    if (s->depth > 0 && --s->depth == 0)
        s->ticks[s->open] += phase_ticks() - s->since;
}

/* Seconds per tick, measured against the monotonic clock over 10 ms once. */
static double seconds_per_tick(void)
{
    static double per_tick;
    if (per_tick == 0.0) {
        const double t0 = seconds_now();
        const uint64_t k0 = phase_ticks();
        double t1;
        do
            t1 = seconds_now();
        while (t1 - t0 < 0.01);
        const uint64_t k1 = phase_ticks();
        per_tick = k1 > k0 ? (t1 - t0) / (double)(k1 - k0) : 1e-9;
    }
    return per_tick;
}

void phases_start(void)
{
    seconds_per_tick();
    memset(threads_state, 0, sizeof threads_state);
    phases_active = true;
}

void phases_stop(int threads, int runs, double us[PHASE_COUNT])
{
    phases_active = false;
    const double scale = 1e6 * seconds_per_tick() / (double)(threads > 0 ? threads : 1) /
                         (double)(runs > 0 ? runs : 1);
    for (int p = 0; p < PHASE_COUNT; p++) {
        uint64_t sum = 0;
        for (int t = 0; t < PHASE_THREADS_MAX; t++)
            sum += threads_state[t].ticks[p];
        us[p] = (double)sum * scale;
    }
}
