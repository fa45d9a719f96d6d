/* What the CPU offers, read once; kernels are chosen from it at run time. */
#ifndef CONVBENCH_CPU_H
#define CONVBENCH_CPU_H

#include <stdbool.h>
#include <stddef.h>

enum cpu_isa {
    CPU_ISA_GENERIC,    /* portable C */
    CPU_ISA_AVX2_FMA,   /* AVX2 + FMA3 */
    CPU_ISA_AVX512,     /* AVX-512 F (+ the BW/DQ/VL of every AVX-512 server core) */
};

/* Whether the CPU (and the build) can run code for isa, and the environment
 * variable CONVBENCH_ISA (generic, avx2, avx512), when set, allows it. */
bool cpu_has_isa(enum cpu_isa isa);

/* The widest ISA cpu_has_isa allows. */
enum cpu_isa cpu_best_isa(void);
const char *cpu_isa_name(enum cpu_isa isa);

/* Bytes of the data or unified cache of that level (1, 2, 3) seen by one
 * core, from sysfs; where a machine has no sysfs cache tree, from glibc's
 * sysconf, with the L3 capped at CPU_L3_FALLBACK_MAX; 0 when unknown.
 * (sysconf reports the L3 of the whole package on some AMD parts, twelve
 * times what one core reaches, and 508 MiB in a 2-vCPU Firecracker guest on
 * an EPYC whose cores reach 32 MiB.) */
#define CPU_L3_FALLBACK_MAX ((size_t)32 << 20)
size_t cpu_cache_size(int level);

/* A buffer size well beyond the last-level cache: 4 x L3, at least 64 MiB
 * (for the bandwidth probe and for evicting the caches). */
size_t cpu_beyond_cache_bytes(void);

/* "AMD EPYC ..." from /proc/cpuinfo, or "unknown". */
void cpu_model_name(char *out, size_t size);

#endif
