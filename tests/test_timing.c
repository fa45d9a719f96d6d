/* The noise check of time_variant, on a stand-in variant that advances a
 * clock of its own by set amounts, so that what is asserted is the logic
 * (rounds, the steadiest round kept, the noisy mark), never a speed or the
 * machine's load. */
#include "check.h"
#include "timing.h"

static int calls;
static int erratic_calls; /* the first this many calls alternate 20 us and 3 ms */
static double fake_seconds;

static double fake_clock(void)
{
    return fake_seconds;
}

static enum conv_status stand_in_run(void *state, const float *in, float *out)
{
    (void)state, (void)in, (void)out;
    const int n = calls++;
    fake_seconds += 1e-6 * (n < erratic_calls ? (n % 2 ? 3000 : 20) : 1000);
    return CONV_OK;
}

static struct timing measure(int erratic, double max_cv)
{
    const struct conv_variant v = {.name = "stand-in", .run = stand_in_run};
    /* five samples a round, one run each (the warm run "took" a second) */
    const struct timing_options options = {.min_time = 0.0, .reps = 5, .max_time = 60.0,
                                           .max_cv = max_cv, .max_rounds = 3,
                                           .clock = fake_clock};
    struct timing t = {0};
    calls = 0;
    erratic_calls = erratic;
    CHECK(time_variant(&v, NULL, NULL, NULL, 1.0, &options, &t) == CONV_OK, "time_variant");
    CHECK_INT(t.samples, 5, "samples per round");
    return t;
}

int main(void)
{
    /* always erratic: three rounds, then marked noisy with the CV kept */
    struct timing t = measure(1000, 0.05);
    CHECK_INT(t.rounds, 3, "rounds of an erratic run");
    CHECK(t.noisy && t.cv > 0.05, "an erratic run is not marked noisy (cv %.3f)", t.cv);

    /* erratic for the first round only: the second, steady, round is kept */
    t = measure(5, 0.5);
    CHECK_INT(t.rounds, 2, "rounds when the second is steady");
    CHECK(!t.noisy && t.cv <= 0.5, "the steady round is not the one kept (cv %.3f)", t.cv);
    CHECK(t.median_us > 500.0, "the kept round's median is the 1 ms one (%.1f us)", t.median_us);

    /* max_cv 0: one round whatever the noise, never marked */
    t = measure(1000, 0.0);
    CHECK_INT(t.rounds, 1, "rounds with the check off");
    CHECK(!t.noisy, "marked noisy with the check off");
    timing_release();
    return check_report("timing noise check");
}
