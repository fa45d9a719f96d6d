/* A minimal assertion layer for the C tests: every failed check prints where
 * and what, the test goes on, and main returns the failure count. */
#ifndef CONVBENCH_TEST_CHECK_H
#define CONVBENCH_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

static inline int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
