/* The noise check of time_variant, on a stand-in variant that advances a
 * wall clock and a CPU clock of its own by set amounts, so that what is
 * asserted is the logic (rounds, the least disturbed round kept, the noisy
 * mark, the spread and the CPU share), never a speed or the machine's load. */
#include <math.h>

#include <omp.h>

#include "check.h"
#include "timing.h"

/* What the stand-in's runs take, per call: the first `disturbed` calls follow
 * `pattern`, the later ones take 1 ms on cores of their own. */
enum pattern {
    STEADY,       /* 1 ms */
    ERRATIC,      /* 20 us and 3 ms in turn */
    ONE_OUTLIER,  /* 1 ms, one call in five 40 ms */
    TIME_SLICED,  /* 4 ms each, every one alike, with the CPUs half the time */
};

static enum pattern pattern;
static int calls, disturbed;
static double wall_seconds, cpu_seconds;

static double fake_clock(void)
{
    return wall_seconds;
}

static double fake_cpu_clock(void)
{
    return cpu_seconds;
}

static enum conv_status stand_in_run(void *state, const float *in, float *out)
{
    (void)state, (void)in, (void)out;
    const int n = calls++;
    const enum pattern now = n < disturbed ? pattern : STEADY;
    double us = 1000.0, share = 1.0;
    switch (now) {
    case STEADY: break;
    case ERRATIC: us = n % 2 ? 3000.0 : 20.0; break;
    case ONE_OUTLIER: us = n % 5 == 2 ? 40000.0 : 1000.0; break;
    case TIME_SLICED: us = 4000.0, share = 0.5; break;
    }
    wall_seconds += 1e-6 * us;
    /* the process's CPU time: every thread busy for its share of the wall */
    cpu_seconds += 1e-6 * us * share * omp_get_max_threads();
    return CONV_OK;
}

static struct timing measure(enum pattern p, int disturbed_calls, double max_cv)
{
    const struct conv_variant v = {.name = "stand-in", .run = stand_in_run};
    /* five samples a round, one run each (the warm run "took" a second) */
    const struct timing_options options = {.min_time = 0.0, .reps = 5, .max_time = 60.0,
                                           .max_cv = max_cv, .max_rounds = 3,
                                           .clock = fake_clock, .cpu_clock = fake_cpu_clock};
    struct timing t = {0};
    pattern = p;
    calls = 0;
    disturbed = disturbed_calls;
    CHECK(time_variant(&v, NULL, NULL, NULL, 1.0, &options, &t) == CONV_OK, "time_variant");
    CHECK_INT(t.samples, 5, "samples per round");
    return t;
}

int main(void)
{
    /* always erratic: three rounds, then marked noisy with the spread kept */
    struct timing t = measure(ERRATIC, 1000, 0.1);
    CHECK_INT(t.rounds, 3, "rounds of an erratic run");
    CHECK(t.noisy && t.spread > 0.1, "an erratic run is not marked noisy (spread %.3f)",
          t.spread);

    /* erratic for the first round only: the second, steady, round is kept */
    t = measure(ERRATIC, 5, 0.1);
    CHECK_INT(t.rounds, 2, "rounds when the second is steady");
    CHECK(!t.noisy && t.spread <= 0.1, "the steady round is not the one kept (spread %.3f)",
          t.spread);
    CHECK(t.median_us > 500.0, "the kept round's median is the 1 ms one (%.1f us)", t.median_us);

    /* one preempted sample in five, 40x the rest: the CV goes far above the
     * threshold, the median and the spread do not move, and one round does */
    t = measure(ONE_OUTLIER, 1000, 0.1);
    CHECK(t.cv > 1.0, "the outlier's CV (%.3f)", t.cv);
    CHECK(t.spread < 1e-9, "the outlier moves the spread (%.3g)", t.spread);
    CHECK(fabs(t.median_us - 1000.0) < 1e-6, "the outlier moves the median (%.3f us)",
          t.median_us);
    CHECK_INT(t.rounds, 1, "rounds with one outlier");
    CHECK(!t.noisy, "one outlier marks the row noisy");

    /* every sample one time slice, alike, with the cores half the time: no
     * spread, but the CPU share gives the contention away */
    t = measure(TIME_SLICED, 1000, 0.1);
    CHECK(t.spread < 1e-9, "time-sliced samples have no spread (%.3g)", t.spread);
    CHECK(fabs(t.cpu_share - 0.5) < 1e-6, "CPU share of a contended round (%.3f)", t.cpu_share);
    CHECK_INT(t.rounds, 3, "rounds of a contended run");
    CHECK(t.noisy, "a contended run is not marked noisy");

    /* contended for the first round only: the round with its cores is kept */
    t = measure(TIME_SLICED, 5, 0.1);
    CHECK_INT(t.rounds, 2, "rounds when the second has its cores");
    CHECK(!t.noisy && fabs(t.cpu_share - 1.0) < 1e-6,
          "the uncontended round is not the one kept (share %.3f)", t.cpu_share);
    CHECK(fabs(t.median_us - 1000.0) < 1e-6, "the kept round's median (%.1f us)", t.median_us);

    /* max_cv 0: one round whatever the noise, never marked */
    t = measure(ERRATIC, 1000, 0.0);
    CHECK_INT(t.rounds, 1, "rounds with the check off");
    CHECK(!t.noisy, "marked noisy with the check off");
    t = measure(TIME_SLICED, 1000, 0.0);
    CHECK(!t.noisy, "contention marked with the check off");
    timing_release();
    return check_report("timing noise check");
}
