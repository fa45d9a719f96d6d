/* The command line parsed into one struct (docs/DESIGN.md "Command line"):
 * every value checked, a usage error exiting 2 with what is wrong. */
#ifndef CONVBENCH_OPTIONS_H
#define CONVBENCH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "variant.h"

enum exit_code { EXIT_OK = 0, EXIT_MISMATCH = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

#define MAX_THREAD_COUNTS 16
#define MAX_BATCH_SIZES 16

enum cli_mode {
    CLI_RUN,        /* run the configs (or --verify-only) */
    CLI_SUMMARY,    /* --summary */
    CLI_EXPORT_INI, /* --export-ini */
    CLI_COMPARE,    /* --compare OLD.csv NEW.csv */
    CLI_PLOT,       /* --plot=PREFIX RESULT.csv */
    CLI_PLOT_DATA,  /* --plot-data=DIR RESULT.csv */
};

struct cli {
    enum cli_mode mode;
    /* timing, seed, memory bound and --verify-only; its variant and thread
     * lists point into this struct once cli_parse returns */
    struct bench_options bench;
    const struct conv_variant *variants[CONV_VARIANTS_MAX];
    size_t variant_count;     /* default: every variant built */
    int threads[MAX_THREAD_COUNTS];
    size_t thread_count;      /* default: every core */
    size_t baseline;          /* index in variants */
    double peaks[MAX_THREAD_COUNTS];
    bool peaks_given;         /* --peak-gflops; else they are measured */
    const char *output;       /* -o, or NULL */
    const char *glob;         /* --layers, or NULL */
    const char *plot_target;  /* --plot's prefix or --plot-data's folder */
    int64_t batches[MAX_BATCH_SIZES]; /* --batch */
    size_t batch_count;       /* 0: the config's batch */
    bool quiet, plot;
    char **inputs;            /* the configs, models or result files */
    size_t input_count;
};

/* Parses argv into cli. --help, --version and --list-variants print and
 * exit 0; a usage error prints what is wrong and exits 2. */
void cli_parse(int argc, char **argv, struct cli *cli);

#endif
