/* convbench: the command line (docs/DESIGN.md "Command line"). */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sys/wait.h>

#include "analysis.h"
#include "bench.h"
#include "charts.h"
#include "compare.h"
#include "plotdata.h"
#include "build_info.h"
#include "config.h"
#include "meta.h"
#include "model.h"
#include "cpu.h"
#include "probe.h"
#include "report.h"
#include "results.h"
#include "signals.h"
#include "variant.h"

enum exit_code { EXIT_OK = 0, EXIT_MISMATCH = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

/* "512M", "2G", "1048576": bytes; 0 on a malformed size. */
static size_t parse_bytes(const char *text)
{
    char *end;
    errno = 0;
    if (!(*text >= '0' && *text <= '9'))
        return 0;
    unsigned long long v = strtoull(text, &end, 10);
    unsigned shift = 0;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || errno || v == 0 || v > (SIZE_MAX >> shift))
        return 0;
    return (size_t)v << shift;
}

#define MAX_THREAD_COUNTS 16

static const char usage_text[] =
    "Usage: convbench [OPTIONS] [CONFIG.ini | MODEL.onnx ...]\n"
    "Runs each conv layer of the configs through every variant, checks the outputs\n"
    "against a double-precision reference, times them, and writes one CSV row per\n"
    "layer x variant x thread count. With no config it runs the seed's examples.\n"
    "An ONNX model (told by its content) gives a layer per 2-D Conv, and per Gemm or\n"
    "MatMul with a constant weight (a 1x1 conv); --summary lists what is not run.\n"
    "\n"
    "  -v, --variants=LIST    comma list of variants (default: every one built;\n"
    "                         see --list-variants)\n"
    "  -t, --threads=LIST     comma list of OpenMP thread counts, e.g. 1,2\n"
    "                         (default: all %d cores)\n"
    "  -o, --output=FILE      CSV to write (default results/<config>.csv, one per config;\n"
    "                         with FILE every config goes into it; '-' = standard output).\n"
    "                         A .meta file is written beside it; a device or FIFO is\n"
    "                         written in place, a symlink's target is written.\n"
    "  -l, --layers=GLOB      only layers whose name matches GLOB (fnmatch, e.g. 'conv*')\n"
    "      --min-time=SEC     time each layer and variant for at least SEC (default 0.1) ...\n"
    "      --reps=N           ... and at least N samples (default 5) ...\n"
    "      --max-time=SEC     ... unless SEC have passed (default 2); at least one sample\n"
    "      --max-cv=X         a row whose samples' CV is above X is measured again, up to\n"
    "                         3 rounds, keeping the steadiest; one still above is marked\n"
    "                         'noisy' in its note (default 0.05; 0: one round)\n"
    "      --cold-cache       evict the caches before each sample\n"
    "      --seed=N           seed of the random inputs and weights (default 1)\n"
    "      --max-memory=BYTES a layer x variant needing more (tensors, packed weights,\n"
    "                         workspaces; e.g. 512M, 4G) gives an error row instead\n"
    "                         (default: half the physical memory, %s)\n"
    "      --baseline=NAME    the variant the closing summary compares against\n"
    "                         (default: onednn-blocked when it runs, else the first)\n"
    "      --batch=N          run every layer at batch N (default: the config's; an ONNX\n"
    "                         model's symbolic batch dimension is taken as 1)\n"
    "      --summary          print each config's cost table (params, MACs, memory), and\n"
    "                         the nodes of a model that are not benchmarked; no runs\n"
    "      --export-ini       print the layers of each config or model as an INI config\n"
    "                         (that reads back to the same layers and costs); no runs\n"
    "      --verify-only      run and check each variant once; no timing\n"
    "      --list-variants    list the variants built, with their limits\n"
    "      --peak-gflops=LIST the FP32 peak per --threads entry, instead of measuring it\n"
    "                         (for reports comparable across runs)\n"
    "      --no-plot          do not draw the charts (drawn with gnuplot after a timed run\n"
    "                         that writes a file: <output>-*.png and .svg)\n"
    "      --compare OLD.csv NEW.csv\n"
    "                         per-row time ratio of two results, geometric mean, and the\n"
    "                         changes beyond the runs' noise; no run\n"
    "      --plot=PREFIX RESULT.csv\n"
    "                         draw the charts of a saved result to PREFIX-*.png and .svg\n"
    "                         (what scripts/plot RESULT.csv does); no run\n"
    "      --plot-data=DIR RESULT.csv\n"
    "                         write only the tables the charts are drawn from; no run\n"
    "  -q, --quiet            no progress line (shown on stderr only when it is a terminal)\n"
    "  -h, --help             this text\n"
    "      --version          version and build\n"
    "\n"
    "Exit status: 0 all rows ok or unsupported, 1 a verification mismatch, 2 bad usage\n"
    "or config (no result is written), 3 a runtime failure (error rows), 130 / 143\n"
    "interrupted by SIGINT / SIGTERM: the rows finished go to <output>.partial.csv and\n"
    "an earlier <output>.csv is left as it was; a second signal does not wait for the\n"
    "row under way (the finished rows are kept).\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("convbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'convbench --help'.\n", stderr);
    exit(EXIT_USAGE);
}

static double parse_seconds(const char *option, const char *text, double min, bool inclusive)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(v) || v < min || (!inclusive && v == min))
        usage_error("--%s=%s: expected a number of seconds %s %g", option, text,
                    inclusive ? ">=" : ">", min);
    return v;
}

static int64_t parse_whole(const char *option, const char *text, int64_t min, int64_t max)
{
    char *end;
    errno = 0;
    if (!(*text >= '0' && *text <= '9'))
        usage_error("--%s=%s: expected a whole number from %" PRId64 " to %" PRId64, option,
                    text, min, max);
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno || v < (unsigned long long)min || v > (unsigned long long)max)
        usage_error("--%s=%s: expected a whole number from %" PRId64 " to %" PRId64, option,
                    text, min, max);
    return (int64_t)v;
}

/* A comma list with no empty item ("1,,2", "1,", ""): usage error otherwise. */
static void check_list(const char *option, const char *text)
{
    size_t length = strlen(text);
    if (!length || text[0] == ',' || text[length - 1] == ',' || strstr(text, ",,"))
        usage_error("--%s=%s: an empty item in the list", option, text);
}

static size_t parse_threads(const char *text, int *threads)
{
    size_t count = 0;
    check_list("threads", text);
    char *copy = strdup(text);
    if (!copy)
        usage_error("out of memory");
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        if (count == MAX_THREAD_COUNTS)
            usage_error("--threads: at most %d thread counts", MAX_THREAD_COUNTS);
        int n = (int)parse_whole("threads", item, 1, 1024);
        for (size_t i = 0; i < count; i++)
            if (threads[i] == n)
                usage_error("--threads=%s: %d is given twice", text, n);
        threads[count++] = n;
    }
    free(copy);
    return count;
}

static size_t parse_variants(const char *text, const struct conv_variant **out)
{
    size_t count = 0;
    check_list("variants", text);
    char *copy = strdup(text);
    if (!copy)
        usage_error("out of memory");
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        const struct conv_variant *v = variant_find(item);
        if (!v) {
            fprintf(stderr, "convbench: unknown variant '%s'; built:", item);
            for (size_t i = 0; i < conv_variant_count; i++)
                fprintf(stderr, " %s", conv_variants[i]->name);
            fputc('\n', stderr);
            exit(EXIT_USAGE);
        }
        for (size_t i = 0; i < count; i++)
            if (out[i] == v)
                usage_error("--variants=%s: %s is given twice", text, item);
        if (count == 64)
            usage_error("--variants: at most 64 variants");
        out[count++] = v;
    }
    free(copy);
    return count;
}

static void list_variants(void)
{
    for (size_t i = 0; i < conv_variant_count; i++)
        printf("%-18s %s (tolerance %g x eps x sqrt(reduction))\n", conv_variants[i]->name,
               conv_variants[i]->summary, conv_variants[i]->tolerance);
}

struct config_entry {
    const char *path;
    struct network net;
    bool *selected;
    size_t selected_count;
};

static const char *config_path_item(const void *items, size_t i)
{
    return ((const struct config_entry *)items)[i].path;
}

/* --peak-gflops=LIST: one GFLOP/s figure per --threads entry. */
static int parse_peaks(const char *text, double *peaks, size_t count)
{
    size_t n = 0;
    const char *p = text;
    size_t length = strlen(text);
    if (!length || text[0] == ',' || text[length - 1] == ',' || strstr(text, ",,")) {
        fprintf(stderr, "convbench: --peak-gflops=%s: an empty item in the list\n"
                "Try 'convbench --help'.\n", text);
        return -1;
    }
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(v > 0.0) || !isfinite(v) || n == count || (*end && *end != ',')) {
            fprintf(stderr, "convbench: --peak-gflops=%s: expected %zu positive number%s, one "
                    "per --threads entry\nTry 'convbench --help'.\n", text, count,
                    count == 1 ? "" : "s");
            return -1;
        }
        peaks[n++] = v;
        p = *end ? end + 1 : end;
    }
    if (n != count) {
        fprintf(stderr, "convbench: --peak-gflops=%s: expected %zu number%s, one per --threads "
                "entry\nTry 'convbench --help'.\n", text, count, count == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

/* The charts of a result: from the rows in memory after a run, or from a
 * saved CSV (--plot), to PREFIX-CHART.png and .svg, each named on stdout. */
static int draw_charts(const struct result_set *results, double bandwidth, const char *csv_path,
                       const char *prefix, bool quiet)
{
    if (!charts_available()) {
        if (!quiet)
            fprintf(stderr, "convbench: gnuplot is not installed: no charts (scripts/plot %s "
                    "draws them later)\n", csv_path);
        return EXIT_RUNTIME;
    }
    char derived[4096];
    if (!prefix) {
        const size_t length = strlen(csv_path);
        snprintf(derived, sizeof derived, "%.*s", (int)(length > 4 && strcmp(csv_path + length -
                 4, ".csv") == 0 ? length - 4 : length), csv_path);
        prefix = derived;
    }
    fflush(NULL); /* the summary comes before the chart paths */
    switch (charts_draw(results, bandwidth > 0.0 ? bandwidth : NAN, prefix, stdout)) {
    case CHARTS_OK:
        return EXIT_OK;
    case CHARTS_INTERRUPTED:
        fprintf(stderr, "convbench: interrupted while drawing the charts of %s: some may be "
                "missing (scripts/plot %s draws them)\n", csv_path, csv_path);
        return 128 + signals_stop;
    case CHARTS_FAILED:
        break;
    }
    fprintf(stderr, "convbench: the charts of %s are incomplete; the results are unaffected\n",
            csv_path);
    return EXIT_RUNTIME;
}

/* --plot=PREFIX RESULT.csv */
static int plot_saved(const char *csv_path, const char *prefix)
{
    struct result_set results;
    double bandwidth;
    if (plot_data_load(csv_path, &results, &bandwidth) != 0)
        return EXIT_USAGE;
    if (signals_start() != 0) {
        fputs("convbench: cannot start the signal thread\n", stderr);
        result_set_free(&results);
        return EXIT_RUNTIME;
    }
    const int status = draw_charts(&results, bandwidth, csv_path, prefix, false);
    result_set_free(&results);
    return status;
}

static size_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 0;
}

static size_t default_max_memory(void)
{
    const size_t physical = physical_memory();
    return physical ? physical / 2 : (size_t)4 << 30;
}

static bool layer_selected(const char *glob, const char *name)
{
    return !glob || fnmatch(glob, name, 0) == 0;
}

/* What a run needs besides the options of the bench itself. */
struct run_plan {
    struct bench_options *options;
    struct config_entry *configs;
    size_t config_count;
    int argc;
    char **argv;
    size_t baseline;
    double bandwidth;
    bool quiet, plot;
};

/* Runs configs [first, last) into one result file and commits it with its
 * .meta; prints the summaries and draws the charts. Returns the exit status
 * so far and sets *stopped when a signal ended the run. */
static int run_group(const struct run_plan *plan, size_t first, size_t last,
                     const struct output_target *target, bool *stopped)
{
    const struct bench_options *options = plan->options;
    char error[512];
    struct csv_sink sink;
    if (csv_sink_open(&sink, target, error, sizeof error) != 0) {
        fprintf(stderr, "convbench: %s\n", error);
        return EXIT_RUNTIME;
    }
    signals_watch_sink(&sink);
    const bool file = target->kind == OUTPUT_FILE;
    FILE *report = target->kind == OUTPUT_STDOUT ? stderr : stdout; /* a CSV on stdout stays clean */
    struct meta_lines meta = {0};
    meta_describe_run(&meta, options, plan->bandwidth, plan->argc, plan->argv, last - first,
                      config_path_item, &plan->configs[first]);
    if (meta.failed ||
        (file && csv_sink_set_meta(&sink, (const char *const *)meta.lines, meta.count) != 0)) {
        fprintf(stderr, "convbench: cannot allocate the .meta lines\n");
        csv_sink_abort(&sink);
        signals_watch_sink(NULL);
        pthread_mutex_destroy(&sink.lock);
        meta_free(&meta);
        return EXIT_RUNTIME;
    }

    int exit_code = EXIT_OK;
    struct result_set results = {0};
    struct bench_run runs[last - first];
    size_t ran = 0; /* runs[0 .. ran) hold rows */
    bool interrupted = false, failed = false;
    for (size_t i = first; i < last && !interrupted; i++) {
        struct config_entry *e = &plan->configs[i];
        struct bench_run *run = &runs[ran];
        *run = (struct bench_run){.net = &e->net, .selected = e->selected, .results = &results};
        ran++;
        int status = bench_network(options, run, &sink);
        if (status < 0) {
            fprintf(stderr, "convbench: %s: cannot write the results: %s\n",
                    target->path ? target->path : "standard output", strerror(errno));
            failed = true;
            break;
        }
        interrupted = status > 0;
    }

    const size_t rows = sink.rows;
    if (failed) {
        csv_sink_abort(&sink);
        exit_code = EXIT_RUNTIME;
    } else {
        /* an interrupted run keeps its rows apart from the last full result */
        if (interrupted)
            meta_add(&meta, "interrupted", "%s after %zu rows",
                     signals_stop == SIGINT ? "SIGINT" : "SIGTERM", rows);
        for (size_t vi = 0; vi < options->variant_count; vi++) {
            /* what each variant ran on: the distinct implementations its rows name */
            char impls[1024] = "";
            result_set_impls(&results, options->variants[vi]->name, impls, sizeof impls);
            if (!impls[0])
                continue;
            char key[96];
            snprintf(key, sizeof key, "impl.%s", options->variants[vi]->name);
            meta_add(&meta, key, "%s", impls);
        }
        if (meta.failed) {
            snprintf(error, sizeof error, "cannot allocate the .meta lines");
            csv_sink_abort(&sink);
            fprintf(stderr, "convbench: %s\n", error);
            exit_code = EXIT_RUNTIME;
            failed = true;
        } else
        if (csv_sink_commit(&sink, interrupted, (const char *const *)meta.lines, meta.count,
                            error, sizeof error) != 0) {
            fprintf(stderr, "convbench: %s\n", error);
            exit_code = EXIT_RUNTIME;
            failed = true;
        }
    }
    signals_watch_sink(NULL);
    pthread_mutex_destroy(&sink.lock);
    meta_free(&meta);

    const char *written = file ? target->path : NULL;
    char *partial = interrupted && file ? partial_path_for(target->path) : NULL;
    if (partial)
        written = partial;
    for (size_t i = 0; i < ran; i++) {
        if (!failed && !options->verify_only)
            bench_print_summary(report, options, &runs[i], plan->baseline);
        if (runs[i].mismatches)
            exit_code = EXIT_MISMATCH;
        else if (runs[i].errors && exit_code == EXIT_OK)
            exit_code = EXIT_RUNTIME;
    }
    if (!failed && interrupted) {
        fprintf(stderr, "convbench: interrupted by %s: the %zu rows finished are in %s%s%s\n",
                signals_stop == SIGINT ? "SIGINT" : "SIGTERM", rows,
                written ? written : target->kind == OUTPUT_STDOUT ? "standard output"
                                                                   : target->path,
                partial ? "; left untouched: " : "", partial ? target->path : "");
    } else if (!failed && file) {
        fprintf(report, "%s: results in %s\n", plan->configs[first].path, target->path);
        if (plan->plot && !options->verify_only && !signals_stop && results.count)
            draw_charts(&results, plan->bandwidth, target->path, NULL, plan->quiet);
    }
    free(partial);
    result_set_free(&results);
    if (signals_stop) {
        *stopped = true;
        if (!interrupted && !failed)
            fprintf(stderr, "convbench: interrupted by %s after the run had finished: the "
                    "results are complete\n", signals_stop == SIGINT ? "SIGINT" : "SIGTERM");
        exit_code = 128 + signals_stop;
    }
    return exit_code;
}

/* The long option a "--name=value" argument names, when that option takes
 * no value; NULL otherwise. */
static const char *option_without_value(const struct option *options, const char *arg)
{
    if (strncmp(arg, "--", 2) != 0 || !strchr(arg, '='))
        return NULL;
    size_t length = (size_t)(strchr(arg, '=') - arg) - 2;
    const struct option *found = NULL;
    for (const struct option *o = options; o->name; o++) {
        if (strncmp(o->name, arg + 2, length) != 0)
            continue;
        if (strlen(o->name) == length) {
            found = o;
            break;
        }
        found = found ? NULL : o; /* an abbreviation must name one option */
    }
    return found && found->has_arg == no_argument ? found->name : NULL;
}

/* One output per config (results/<name>.csv), or every config into -o: each
 * resolved before anything runs, so that a bad path is bad usage. */
static int resolve_outputs(const char *output, const struct config_entry *configs,
                           size_t config_count, struct output_target *targets)
{
    char error[512];
    if (output)
        return output_resolve(output, &targets[0], error, sizeof error) == 0 ? 0
               : (fprintf(stderr, "convbench: %s\nTry 'convbench --help'.\n", error), -1);
    mkdir("results", 0777);
    for (size_t g = 0; g < config_count; g++) {
        char path[LAYER_NAME_MAX + 32];
        snprintf(path, sizeof path, "results/%s.csv", configs[g].net.name);
        if (output_resolve(path, &targets[g], error, sizeof error) != 0) {
            fprintf(stderr, "convbench: %s\n", error);
            return -1;
        }
        for (size_t h = 0; h < g; h++) {
            if (targets[h].path && targets[g].path &&
                strcmp(targets[h].path, targets[g].path) == 0) {
                fprintf(stderr, "convbench: %s and %s would both write %s: rename one, or "
                        "give -o FILE to put every config into one file\n", configs[h].path,
                        configs[g].path, path);
                return -1;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    enum { OPT_MIN_TIME = 256, OPT_MAX_TIME, OPT_REPS, OPT_COLD_CACHE, OPT_SEED, OPT_BASELINE,
           OPT_SUMMARY, OPT_VERIFY_ONLY, OPT_LIST_VARIANTS, OPT_VERSION, OPT_MAX_MEMORY,
           OPT_COMPARE, OPT_PLOT_DATA, OPT_PLOT, OPT_NO_PLOT, OPT_PEAK, OPT_BATCH, OPT_EXPORT_INI, OPT_MAX_CV };
    static const struct option long_options[] = {
        {"variants", required_argument, NULL, 'v'},
        {"threads", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {"layers", required_argument, NULL, 'l'},
        {"min-time", required_argument, NULL, OPT_MIN_TIME},
        {"max-time", required_argument, NULL, OPT_MAX_TIME},
        {"reps", required_argument, NULL, OPT_REPS},
        {"cold-cache", no_argument, NULL, OPT_COLD_CACHE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
        {"compare", no_argument, NULL, OPT_COMPARE},
        {"plot-data", required_argument, NULL, OPT_PLOT_DATA},
        {"plot", required_argument, NULL, OPT_PLOT},
        {"no-plot", no_argument, NULL, OPT_NO_PLOT},
        {"peak-gflops", required_argument, NULL, OPT_PEAK},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"summary", no_argument, NULL, OPT_SUMMARY},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"max-cv", required_argument, NULL, OPT_MAX_CV},
        {"export-ini", no_argument, NULL, OPT_EXPORT_INI},
        {"verify-only", no_argument, NULL, OPT_VERIFY_ONLY},
        {"list-variants", no_argument, NULL, OPT_LIST_VARIANTS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };

    const struct conv_variant *variants[64];
    size_t variant_count = 0;
    int threads[MAX_THREAD_COUNTS];
    size_t thread_count = 0;
    const char *output = NULL, *glob = NULL, *baseline_name = NULL;
    struct bench_options options = {
        .timing = {.min_time = 0.1, .reps = 5, .max_time = 2.0, .max_cv = 0.05,
                   .max_rounds = 3, .stop = &signals_stop},
        .seed = 1,
        .max_memory = default_max_memory(),
    };
    bool summary_only = false, quiet = false, compare = false, plot = true, export_ini = false;
    int64_t batch = 0;
    const char *plot_data_dir = NULL, *plot_prefix = NULL, *peak_text = NULL;

    opterr = 0; /* our own messages */
    int c;
    while ((c = getopt_long(argc, argv, ":v:t:o:l:qh", long_options, NULL)) != -1) {
        switch (c) {
        case 'v': variant_count = parse_variants(optarg, variants); break;
        case 't': thread_count = parse_threads(optarg, threads); break;
        case 'o': output = optarg; break;
        case 'l': glob = optarg; break;
        case OPT_MIN_TIME: options.timing.min_time = parse_seconds("min-time", optarg, 0, true); break;
        case OPT_MAX_TIME: options.timing.max_time = parse_seconds("max-time", optarg, 0, false); break;
        case OPT_REPS: options.timing.reps = (int)parse_whole("reps", optarg, 1, 1000000); break;
        case OPT_COLD_CACHE: options.timing.cold_cache = true; break;
        case OPT_SEED: options.seed = (uint64_t)parse_whole("seed", optarg, 0, INT64_MAX); break;
        case OPT_BASELINE: baseline_name = optarg; break;
        case OPT_COMPARE: compare = true; break;
        case OPT_PLOT_DATA: plot_data_dir = optarg; break;
        case OPT_PLOT: plot_prefix = optarg; break;
        case OPT_NO_PLOT: plot = false; break;
        case OPT_PEAK: peak_text = optarg; break;
        case OPT_MAX_MEMORY: {
            options.max_memory = parse_bytes(optarg);
            if (!options.max_memory)
                usage_error("--max-memory=%s: expected a size in bytes, e.g. 512M or 4G", optarg);
            const size_t physical = physical_memory();
            if (physical && options.max_memory > physical)
                usage_error("--max-memory=%s is more than this machine's memory (%.1f GiB)",
                            optarg, (double)physical / (1 << 30));
            break;
        }
        case OPT_SUMMARY: summary_only = true; break;
        case OPT_BATCH: batch = parse_whole("batch", optarg, 1, LAYER_MAX_EXTENT); break;
        case OPT_EXPORT_INI: export_ini = true; break;
        case OPT_MAX_CV: {
            char *end;
            errno = 0;
            options.timing.max_cv = strtod(optarg, &end);
            if (end == optarg || *end || errno || !isfinite(options.timing.max_cv) ||
                options.timing.max_cv < 0.0)
                usage_error("--max-cv=%s: expected a coefficient of variation >= 0, e.g. 0.05",
                            optarg);
            break;
        }
        case OPT_VERIFY_ONLY: options.verify_only = true; break;
        case OPT_LIST_VARIANTS: list_variants(); return EXIT_OK;
        case 'q': quiet = true; break;
        case 'h': {
            char memory[32];
            snprintf(memory, sizeof memory, "%.1f GiB", (double)default_max_memory() / (1 << 30));
            printf(usage_text, omp_get_num_procs(), memory);
            return EXIT_OK;
        }
        case OPT_VERSION:
            printf("convbench %s (%s), %s, kernels for %s\n", CONVBENCH_VERSION,
                   CONVBENCH_REVISION, CONVBENCH_COMPILER, cpu_isa_name(cpu_best_isa()));
            return EXIT_OK;
        case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
        default: {
            const char *name = option_without_value(long_options, argv[optind - 1]);
            if (name)
                usage_error("option '--%s' takes no value", name);
            if (optopt && optopt < 256 && argv[optind - 1][1] != '-')
                usage_error("unknown option '-%c'", optopt);
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
        }
    }

    if (compare) {
        if (argc - optind != 2)
            usage_error("--compare takes two result files: --compare OLD.csv NEW.csv");
        return compare_results(argv[optind], argv[optind + 1], stdout);
    }
    if (plot_data_dir) {
        if (argc - optind != 1)
            usage_error("--plot-data=DIR takes one result file");
        return plot_data_write(argv[optind], plot_data_dir);
    }
    if (plot_prefix) {
        if (argc - optind != 1 || !plot_prefix[0])
            usage_error("--plot=PREFIX takes a non-empty prefix and one result file");
        return plot_saved(argv[optind], plot_prefix);
    }

    /* every config is read and checked before anything runs or is written */
    size_t config_count = argc > optind ? (size_t)(argc - optind) : 1;
    struct config_entry *configs = calloc(config_count, sizeof *configs);
    struct output_target *targets = calloc(config_count, sizeof *targets);
    int exit_code = EXIT_OK;
    if (!configs || !targets) {
        fputs("convbench: out of memory\n", stderr);
        free(configs);
        free(targets);
        return EXIT_RUNTIME;
    }
    for (size_t i = 0; i < config_count; i++) {
        char error[CONFIG_ERROR_MAX];
        struct config_entry *e = &configs[i];
        int status;
        if (argc > optind) {
            e->path = argv[optind + (int)i];
            status = model_load(e->path, batch, &e->net, error);
        } else {
            e->path = "seed";
            status = config_builtin_seed(&e->net, error);
            if (status == 0 && batch)
                status = network_set_batch(e->path, &e->net, batch, error);
        }
        if (status != 0) {
            fprintf(stderr, "%s\n", error);
            exit_code = EXIT_USAGE;
            goto done;
        }
        if (!summary_only && !export_ini) {
            /* what the run will not show: how a model was read, what it leaves out */
            if (e->net.note[0])
                fprintf(stderr, "convbench: %s: %s\n", e->path, e->net.note);
            if (e->net.skipped_count && e->net.layer_count)
                fprintf(stderr, "convbench: %s: %zu node%s not benchmarked (--summary lists "
                        "them)\n", e->path, e->net.skipped_count,
                        e->net.skipped_count == 1 ? " is" : "s are");
        }
        if (!e->net.layer_count && !summary_only && !export_ini) {
            fprintf(stderr, "convbench: %s: nothing to benchmark: %zu node%s not benchmarked "
                    "(--summary lists them)\n", e->path, e->net.skipped_count,
                    e->net.skipped_count == 1 ? " is" : "s are");
            exit_code = EXIT_USAGE;
            goto done;
        }
        e->selected = calloc(e->net.layer_count + 1, sizeof *e->selected);
        if (!e->selected) {
            fputs("convbench: out of memory\n", stderr);
            exit_code = EXIT_RUNTIME;
            goto done;
        }
        for (size_t li = 0; li < e->net.layer_count; li++) {
            e->selected[li] = layer_selected(glob, e->net.layers[li].name);
            e->selected_count += e->selected[li];
        }
        if (!e->selected_count && e->net.layer_count) {
            fprintf(stderr, "convbench: %s: no layer matches --layers=%s\n", e->path, glob);
            exit_code = EXIT_USAGE;
            goto done;
        }
    }

    if (export_ini) {
        for (size_t i = 0; i < config_count; i++) {
            char error[CONFIG_ERROR_MAX];
            if (i)
                putchar('\n');
            if (write_ini(stdout, configs[i].path, &configs[i].net, configs[i].selected, error,
                          sizeof error) != 0) {
                fprintf(stderr, "convbench: %s\n", error);
                exit_code = EXIT_USAGE;
                goto done;
            }
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "convbench: --export-ini: cannot write: %s\n", strerror(errno));
            exit_code = EXIT_RUNTIME;
        }
        goto done;
    }
    if (summary_only) {
        for (size_t i = 0; i < config_count; i++) {
            if (i)
                putchar('\n');
            print_cost_summary(stdout, configs[i].path, &configs[i].net, configs[i].selected);
        }
        exit_code = EXIT_OK;
        goto done;
    }

    if (!variant_count)
        for (; variant_count < conv_variant_count; variant_count++)
            variants[variant_count] = conv_variants[variant_count];
    if (!thread_count)
        threads[thread_count++] = omp_get_num_procs();
    size_t baseline = 0;
    if (!baseline_name) {
        /* oneDNN in its own layout is the peer to beat, when it runs */
        for (size_t i = 0; i < variant_count; i++)
            if (strcmp(variants[i]->name, "onednn-blocked") == 0)
                baseline = i;
    } else {
        for (baseline = 0; baseline < variant_count; baseline++)
            if (strcmp(variants[baseline]->name, baseline_name) == 0)
                break;
        if (baseline == variant_count)
            usage_error("--baseline=%s is not among the variants run", baseline_name);
    }
    double peaks[MAX_THREAD_COUNTS], bandwidth = 0.0;
    if (peak_text && parse_peaks(peak_text, peaks, thread_count) != 0) {
        exit_code = EXIT_USAGE;
        goto done;
    }
    if (resolve_outputs(output, configs, config_count, targets) != 0) {
        exit_code = EXIT_USAGE;
        goto done;
    }
    options.variants = variants;
    options.variant_count = variant_count;
    options.threads = threads;
    options.thread_count = thread_count;
    options.progress = !quiet && isatty(STDERR_FILENO);
    /* before the first OpenMP region: every thread made later inherits the
     * blocked signals, and only the signal thread takes them */
    if (signals_start() != 0) {
        fputs("convbench: cannot start the signal thread\n", stderr);
        exit_code = EXIT_RUNTIME;
        goto done;
    }

    if (!options.verify_only) {
        int max_threads = 1;
        for (size_t i = 0; i < thread_count && !signals_stop; i++) {
            if (!peak_text)
                peaks[i] = probe_peak_gflops(threads[i]);
            if (threads[i] > max_threads)
                max_threads = threads[i];
        }
        if (!signals_stop && (bandwidth = probe_bandwidth_gbs(max_threads, &signals_stop)) < 0.0) {
            fprintf(stderr, "convbench: the memory bandwidth probe cannot allocate its %zu MiB "
                    "of arrays\n", probe_bandwidth_bytes() >> 20);
            exit_code = EXIT_RUNTIME;
            goto done;
        }
        if (signals_stop) {
            fprintf(stderr, "convbench: interrupted by %s while measuring the machine: no row "
                    "was written\n", signals_stop == SIGINT ? "SIGINT" : "SIGTERM");
            exit_code = 128 + signals_stop;
            goto done;
        }
        options.peak_gflops = peaks;
        options.bandwidth_gbs = bandwidth;
        if (!quiet) {
            fprintf(stderr, "convbench: %s FP32 FMA peak (%s):", peak_text ? "given" : "measured",
                    cpu_isa_name(cpu_best_isa()));
            for (size_t i = 0; i < thread_count; i++)
                fprintf(stderr, " %.1f GFLOP/s on %d thread%s%s", peaks[i], threads[i],
                        threads[i] == 1 ? "" : "s", i + 1 < thread_count ? "," : "");
            fprintf(stderr, "; memory bandwidth %.1f GB/s\n", bandwidth);
        }
    }

    const struct run_plan plan = {
        .options = &options, .configs = configs, .config_count = config_count, .argc = argc,
        .argv = argv, .baseline = baseline, .bandwidth = bandwidth, .quiet = quiet, .plot = plot,
    };
    const size_t groups = output ? 1 : config_count;
    for (size_t g = 0; g < groups; g++) {
        bool stopped = false;
        int status = output ? run_group(&plan, 0, config_count, &targets[0], &stopped)
                            : run_group(&plan, g, g + 1, &targets[g], &stopped);
        /* a mismatch outranks a runtime error; a signal outranks both */
        if (stopped || status == EXIT_USAGE || status == EXIT_MISMATCH ||
            (status == EXIT_RUNTIME && exit_code == EXIT_OK))
            exit_code = status;
        if (stopped || status == EXIT_USAGE)
            break;
    }
done:
    timing_release();
    for (size_t i = 0; i < config_count; i++) {
        network_free(&configs[i].net);
        free(configs[i].selected);
        output_free(&targets[i]);
    }
    free(configs);
    free(targets);
    return exit_code;
}
