#include "cpu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CONVBENCH_ISA=generic|avx2|avx512 caps what cpu_has_isa reports, so that
 * the tests (and a curious user) can run every variant's lower-ISA paths
 * on a machine that would pick the widest. Read once. */
static int isa_limit(void)
{
    static _Atomic int limit = -1;
    int value = limit;
    if (value >= 0)
        return value;
    value = CPU_ISA_AVX512;
    const char *text = getenv("CONVBENCH_ISA");
    if (text && *text) {
        if (strcmp(text, "generic") == 0)
            value = CPU_ISA_GENERIC;
        else if (strcmp(text, "avx2") == 0)
            value = CPU_ISA_AVX2_FMA;
        else if (strcmp(text, "avx512") != 0)
            fprintf(stderr, "convbench: ignoring CONVBENCH_ISA=%s (generic, avx2 or avx512)\n",
                    text);
    }
    limit = value;
    return value;
}

bool cpu_has_isa(enum cpu_isa isa)
{
    if ((int)isa > isa_limit())
        return false;
    switch (isa) {
    case CPU_ISA_GENERIC: return true;
#if defined(__x86_64__) || defined(__i386__)
    case CPU_ISA_AVX2_FMA:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CPU_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
    default: return false;
#endif
    }
    return false;
}

enum cpu_isa cpu_best_isa(void)
{
    if (cpu_has_isa(CPU_ISA_AVX512))
        return CPU_ISA_AVX512;
    if (cpu_has_isa(CPU_ISA_AVX2_FMA))
        return CPU_ISA_AVX2_FMA;
    return CPU_ISA_GENERIC;
}

const char *cpu_isa_name(enum cpu_isa isa)
{
    static const char *const names[] = {
        [CPU_ISA_GENERIC] = "generic", [CPU_ISA_AVX2_FMA] = "avx2", [CPU_ISA_AVX512] = "avx512"};
    return (unsigned)isa < sizeof names / sizeof *names ? names[isa] : "?";
}

size_t cpu_cache_size(int level)
{
    for (int index = 0; index < 8; index++) {
        char path[96], text[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        int found = -1;
        if (fgets(text, sizeof text, f))
            found = atoi(text);
        fclose(f);
        if (found != level)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        f = fopen(path, "r");
        bool instruction = f && fgets(text, sizeof text, f) && strncmp(text, "Instruction", 11) == 0;
        if (f)
            fclose(f);
        if (instruction)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        f = fopen(path, "r");
        size_t bytes = 0;
        if (f && fgets(text, sizeof text, f)) {
            char *unit;
            bytes = strtoull(text, &unit, 10);
            if (*unit == 'K')
                bytes <<= 10;
            else if (*unit == 'M')
                bytes <<= 20;
        }
        if (f)
            fclose(f);
        if (bytes)
            return bytes;
    }
    /* no sysfs cache tree (some virtual machines): glibc's figure, from
     * CPUID, which a hypervisor fills in as it likes; its L3 is capped */
    long bytes = sysconf(level == 1 ? _SC_LEVEL1_DCACHE_SIZE
                         : level == 2 ? _SC_LEVEL2_CACHE_SIZE : _SC_LEVEL3_CACHE_SIZE);
    if (bytes <= 0)
        return 0;
    if (level == 3 && (size_t)bytes > CPU_L3_FALLBACK_MAX)
        return CPU_L3_FALLBACK_MAX;
    return (size_t)bytes;
}

size_t cpu_beyond_cache_bytes(void)
{
    size_t bytes = 4 * cpu_cache_size(3);
    return bytes < (size_t)64 << 20 ? (size_t)64 << 20 : bytes;
}

void cpu_model_name(char *out, size_t size)
{
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                snprintf(out, size, "%s", colon);
                out[strcspn(out, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}
