/* A minimal assertion layer for the C tests: every failed check prints where
 * and what, the test goes on, and main returns the failure count. */
#ifndef CONVBENCH_TEST_CHECK_H
#define CONVBENCH_TEST_CHECK_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpu.h"

static int check_failures;
static int check_count;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        check_count++;                                                    \
        if (!(cond)) {                                                    \
            check_failures++;                                             \
            fprintf(stderr, "%s:%d: FAILED %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

#define CHECK_INT(actual, expected, what)                                            \
    CHECK((int64_t)(actual) == (int64_t)(expected), "%s: got %" PRId64 ", want %" PRId64, \
          what, (int64_t)(actual), (int64_t)(expected))

#define CHECK_STR(actual, expected, what) \
    CHECK(strcmp((actual), (expected)) == 0, "%s:\n  got  '%s'\n  want '%s'", what, actual, expected)

/* Whether the CPU runs a kernel of this ISA; says SKIP with what and why when
 * not, so that a kernel left untested shows in the test's output. */
static inline bool check_cpu_runs(const char *what, const char *name, enum cpu_isa isa)
{
    if (cpu_has_isa(isa))
        return true;
    printf("SKIP %s %s: this CPU lacks %s\n", what, name, cpu_isa_name(isa));
    return false;
}

/* Runs the statement that follows once for each kernel k of table[0..count)
 * that the CPU runs, counting them in `runs`; the others say SKIP. The
 * kernels' structs have `name` and `isa`. */
#define FOR_EACH_RUNNABLE(k, table, count, what, runs)                                     \
    for (size_t k##_index = 0; k##_index < (count); k##_index++)                          \
        for (__typeof__(*(table)[0]) *k = (table)[k##_index];                             \
             k && check_cpu_runs(what, k->name, k->isa) && ++(runs); k = NULL)

static inline int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
