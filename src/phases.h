/* Where a variant's time goes (docs/DESIGN.md "Phases"): variants mark the
 * parts of their run (packing, micro-kernel, transforms, ...), and an extra,
 * instrumented run after the timed samples adds up each part's time. The
 * marks cost one predictable branch while no instrumented run is under way,
 * so the timed samples run the code as it is.
 *
 * Accounting: each thread adds the time it spends in a phase to its own
 * accumulator; a phase's time is the sum over threads divided by the thread
 * count, i.e. the wall time it would take if the threads shared it evenly.
 * What no phase covers (barriers, waiting on a slower thread, loop
 * overhead) is "other": the instrumented wall time less the phases. A phase
 * begun while another is open on the same thread counts for the outer one
 * (Winograd's products run the GEMM, whose own marks then add nothing). A
 * mark around a parallel region opened from one thread counts its wall time
 * once per thread of the region (phase_add's team). */
#ifndef CONVBENCH_PHASES_H
#define CONVBENCH_PHASES_H

#include <stdbool.h>
#include <stdint.h>

enum phase {
    PHASE_PACK_B,           /* B into the GEMM's panels (im2col, or a copy) */
    PHASE_MICRO_KERNEL,     /* full MR x NR tiles */
    PHASE_EDGE_TILES,       /* tiles cut short by M or N */
    PHASE_INPUT_TRANSFORM,  /* Winograd: gather and B^T d B */
    PHASE_PRODUCTS,         /* Winograd: the element-wise products (GEMMs) */
    PHASE_OUTPUT_TRANSFORM, /* Winograd: A^T M A and the scatter */
    PHASE_COMPUTE,          /* a library's whole primitive */
    PHASE_COUNT
};

const char *phase_name(enum phase phase);

/* Whether a phase is a variant's main work (full micro-tiles, Winograd's
 * products, a library's primitive); the others are overhead around it:
 * packing, transforms, edge tiles. */
bool phase_is_kernel(enum phase phase);

extern bool phases_active;

/* A tick count for phase_add: the time-stamp counter where there is one. */
static inline uint64_t phase_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#else
    extern uint64_t phase_ticks_portable(void);
    return phase_ticks_portable();
#endif
}

/* Adds ticks to phase on the calling thread, team times (see above); does
 * nothing inside an open phase. */
void phase_add(enum phase phase, uint64_t ticks, int team);

/* Opens and closes a phase on the calling thread; a phase opened inside
 * another adds nothing. */
void phase_begin(enum phase phase);
void phase_end(void);

#define PHASE_BEGIN(phase)          \
    do {                            \
        if (phases_active)          \
            phase_begin(phase);     \
    } while (0)
#define PHASE_END()                 \
    do {                            \
        if (phases_active)          \
            phase_end();            \
    } while (0)

/* An instrumented measurement: phases_start clears the accumulators and
 * turns the marks on; phases_stop turns them off and gives each phase's
 * time in microseconds (summed over threads / threads), per run of runs. */
void phases_start(void);
void phases_stop(int threads, int runs, double us[PHASE_COUNT]);

#endif
