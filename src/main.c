/* convbench: the command line (docs/DESIGN.md "Command line"). */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
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

#include "bench.h"
#include "build_info.h"
#include "config.h"
#include "cpu.h"
#include "probe.h"
#include "report.h"
#include "results.h"
#include "variant.h"

enum exit_code { EXIT_OK = 0, EXIT_MISMATCH = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

#define MAX_THREAD_COUNTS 16

static const char usage_text[] =
    "Usage: convbench [OPTIONS] [CONFIG.ini ...]\n"
    "Runs each conv layer of the configs through every variant, checks the outputs\n"
    "against a double-precision reference, times them, and writes one CSV row per\n"
    "layer x variant x thread count. With no config it runs the seed's examples.\n"
    "\n"
    "  -v, --variants=LIST    comma list of variants (default: every one built;\n"
    "                         see --list-variants)\n"
    "  -t, --threads=LIST     comma list of OpenMP thread counts, e.g. 1,2\n"
    "                         (default: all %d cores)\n"
    "  -o, --output=FILE      CSV to write (default results/<config>.csv, one per config;\n"
    "                         with FILE every config goes into it; '-' = standard output).\n"
    "                         A .meta file is written beside it.\n"
    "  -l, --layers=GLOB      only layers whose name matches GLOB (fnmatch, e.g. 'conv*')\n"
    "      --min-time=SEC     time each layer and variant for at least SEC (default 0.1) ...\n"
    "      --reps=N           ... and at least N samples (default 5) ...\n"
    "      --max-time=SEC     ... unless SEC have passed (default 2); at least one sample\n"
    "      --cold-cache       evict the caches before each sample\n"
    "      --seed=N           seed of the random inputs and weights (default 1)\n"
    "      --baseline=NAME    the variant the closing summary compares against\n"
    "                         (default: onednn-blocked when it runs, else the first)\n"
    "      --summary          print each config's cost table (params, MACs, memory); no runs\n"
    "      --verify-only      run and check each variant once; no timing\n"
    "      --list-variants    list the variants built, with their limits\n"
    "  -q, --quiet            no progress line (shown on stderr only when it is a terminal)\n"
    "  -h, --help             this text\n"
    "      --version          version and build\n"
    "\n"
    "Exit status: 0 all rows ok or unsupported, 1 a verification mismatch, 2 bad usage\n"
    "or config (no result is written), 3 a runtime failure (error rows).\n";

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

static size_t parse_threads(const char *text, int *threads)
{
    size_t count = 0;
    char *copy = strdup(text);
    if (!copy)
        usage_error("out of memory");
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        if (count == MAX_THREAD_COUNTS)
            usage_error("--threads: at most %d thread counts", MAX_THREAD_COUNTS);
        threads[count++] = (int)parse_whole("threads", item, 1, 1024);
    }
    free(copy);
    if (!count)
        usage_error("--threads=%s: expected a comma list of thread counts, e.g. 1,2", text);
    return count;
}

static size_t parse_variants(const char *text, const struct conv_variant **out)
{
    size_t count = 0;
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
        bool listed = false;
        for (size_t i = 0; i < count; i++)
            listed |= out[i] == v;
        if (!listed)
            out[count++] = v;
    }
    free(copy);
    if (!count)
        usage_error("--variants=%s: expected a comma list of variant names", text);
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

/* "key = value" lines of the .meta file */
struct meta_lines {
    char *lines[64];
    size_t count;
};

static void meta_add(struct meta_lines *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void meta_add(struct meta_lines *m, const char *key, const char *fmt, ...)
{
    if (m->count == sizeof m->lines / sizeof *m->lines)
        return;
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    size_t size = strlen(key) + strlen(value) + 4;
    char *line = malloc(size);
    if (!line)
        return;
    snprintf(line, size, "%s = %s", key, value);
    m->lines[m->count++] = line;
}

static void meta_free(struct meta_lines *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->lines[i]);
    m->count = 0;
}

static void fill_meta(struct meta_lines *m, const struct bench_options *o, double bandwidth,
                      int argc, char **argv, const struct config_entry *configs,
                      size_t config_count)
{
    char text[512];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    meta_add(m, "date", "%s", text);
    meta_add(m, "convbench_version", "%s", CONVBENCH_VERSION);
    meta_add(m, "git_revision", "%s", CONVBENCH_REVISION);
    cpu_model_name(text, sizeof text);
    meta_add(m, "cpu_model", "%s", text);
    meta_add(m, "cores", "%d", omp_get_num_procs());
    meta_add(m, "isa", "%s", cpu_isa_name(cpu_best_isa()));
    meta_add(m, "compiler", "%s", CONVBENCH_COMPILER);
    meta_add(m, "compiler_flags", "%s", CONVBENCH_CFLAGS);
    meta_add(m, "libcsv_version", "%s", CONVBENCH_LIBCSV_VERSION);
    meta_add(m, "inih_version", "%s", CONVBENCH_INIH_VERSION);
    if (CONVBENCH_ONEDNN_VERSION[0])
        meta_add(m, "onednn_version", "%s", CONVBENCH_ONEDNN_VERSION);
    text[0] = '\0';
    for (size_t i = 0; i < config_count; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", i ? " " : "",
                 configs[i].path);
    meta_add(m, "configs", "%s", text);
    text[0] = '\0';
    for (int i = 0; i < argc; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", i ? " " : "", argv[i]);
    meta_add(m, "command", "%s", text);
    meta_add(m, "seed", "%" PRIu64, o->seed);
    meta_add(m, "mode", "%s", o->verify_only ? "verify-only" : "timed");
    meta_add(m, "min_time_s", "%g", o->timing.min_time);
    meta_add(m, "max_time_s", "%g", o->timing.max_time);
    meta_add(m, "reps", "%d", o->timing.reps);
    meta_add(m, "cold_cache", "%s", o->timing.cold_cache ? "true" : "false");
    for (size_t i = 0; i < o->thread_count; i++) {
        char key[64];
        snprintf(key, sizeof key, "peak_gflops_%dt", o->threads[i]);
        if (o->peak_gflops)
            meta_add(m, key, "%.1f", o->peak_gflops[i]);
    }
    if (bandwidth > 0.0)
        meta_add(m, "bandwidth_gbs", "%.1f", bandwidth);
}

static bool layer_selected(const char *glob, const char *name)
{
    return !glob || fnmatch(glob, name, 0) == 0;
}

int main(int argc, char **argv)
{
    enum { OPT_MIN_TIME = 256, OPT_MAX_TIME, OPT_REPS, OPT_COLD_CACHE, OPT_SEED, OPT_BASELINE,
           OPT_SUMMARY, OPT_VERIFY_ONLY, OPT_LIST_VARIANTS, OPT_VERSION };
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
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"summary", no_argument, NULL, OPT_SUMMARY},
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
        .timing = {.min_time = 0.1, .reps = 5, .max_time = 2.0},
        .seed = 1,
    };
    bool summary_only = false, quiet = false;

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
        case OPT_SUMMARY: summary_only = true; break;
        case OPT_VERIFY_ONLY: options.verify_only = true; break;
        case OPT_LIST_VARIANTS: list_variants(); return EXIT_OK;
        case 'q': quiet = true; break;
        case 'h': printf(usage_text, omp_get_num_procs()); return EXIT_OK;
        case OPT_VERSION:
            printf("convbench %s (%s), %s, kernels for %s\n", CONVBENCH_VERSION,
                   CONVBENCH_REVISION, CONVBENCH_COMPILER, cpu_isa_name(cpu_best_isa()));
            return EXIT_OK;
        case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt && optopt < 256)
                usage_error("unknown option '-%c'", optopt);
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }

    /* every config is read and checked before anything runs or is written */
    size_t config_count = argc > optind ? (size_t)(argc - optind) : 1;
    struct config_entry *configs = calloc(config_count, sizeof *configs);
    if (!configs) {
        fputs("convbench: out of memory\n", stderr);
        return EXIT_RUNTIME;
    }
    for (size_t i = 0; i < config_count; i++) {
        char error[CONFIG_ERROR_MAX];
        struct config_entry *e = &configs[i];
        int status;
        if (argc > optind) {
            e->path = argv[optind + (int)i];
            status = config_parse_file(e->path, &e->net, error);
        } else {
            e->path = "seed";
            status = config_builtin_seed(&e->net, error);
        }
        if (status != 0) {
            fprintf(stderr, "%s\n", error);
            return EXIT_USAGE;
        }
        e->selected = calloc(e->net.layer_count, sizeof *e->selected);
        if (!e->selected) {
            fputs("convbench: out of memory\n", stderr);
            return EXIT_RUNTIME;
        }
        for (size_t li = 0; li < e->net.layer_count; li++) {
            e->selected[li] = layer_selected(glob, e->net.layers[li].name);
            e->selected_count += e->selected[li];
        }
        if (!e->selected_count) {
            fprintf(stderr, "convbench: %s: no layer matches --layers=%s\n", e->path, glob);
            return EXIT_USAGE;
        }
    }

    if (summary_only) {
        for (size_t i = 0; i < config_count; i++) {
            if (i)
                putchar('\n');
            print_cost_summary(stdout, configs[i].path, &configs[i].net, configs[i].selected);
        }
        return EXIT_OK;
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
    options.variants = variants;
    options.variant_count = variant_count;
    options.threads = threads;
    options.thread_count = thread_count;
    options.progress = !quiet && isatty(STDERR_FILENO);

    double peaks[MAX_THREAD_COUNTS], bandwidth = 0.0;
    if (!options.verify_only) {
        int max_threads = 1;
        for (size_t i = 0; i < thread_count; i++) {
            peaks[i] = probe_peak_gflops(threads[i]);
            if (threads[i] > max_threads)
                max_threads = threads[i];
        }
        bandwidth = probe_bandwidth_gbs(max_threads);
        options.peak_gflops = peaks;
        options.bandwidth_gbs = bandwidth;
        if (!quiet) {
            fprintf(stderr, "convbench: measured FP32 FMA peak (%s):", cpu_isa_name(cpu_best_isa()));
            for (size_t i = 0; i < thread_count; i++)
                fprintf(stderr, " %.1f GFLOP/s on %d thread%s%s", peaks[i], threads[i],
                        threads[i] == 1 ? "" : "s", i + 1 < thread_count ? "," : "");
            fprintf(stderr, "; memory bandwidth %.1f GB/s\n", bandwidth);
        }
    }

    /* one output per config, or every config into --output */
    int exit_code = EXIT_OK;
    size_t groups = output ? 1 : config_count;
    for (size_t g = 0; g < groups; g++) {
        size_t first = output ? 0 : g, last = output ? config_count : g + 1;
        char default_path[LAYER_NAME_MAX + 32];
        const char *path = output;
        if (!path) {
            mkdir("results", 0777);
            snprintf(default_path, sizeof default_path, "results/%s.csv", configs[g].net.name);
            path = default_path;
        }
        char error[512];
        struct csv_sink sink;
        if (csv_sink_open(&sink, path, error, sizeof error) != 0) {
            fprintf(stderr, "convbench: %s\n", error);
            return EXIT_RUNTIME;
        }
        FILE *report = sink.path ? stdout : stderr; /* keep a CSV on stdout clean */

        struct bench_run runs[config_count];
        for (size_t i = first; i < last; i++) {
            struct config_entry *e = &configs[i];
            runs[i] = (struct bench_run){.net = &e->net, .selected = e->selected};
            runs[i].records = calloc(e->net.layer_count * thread_count * variant_count,
                                     sizeof *runs[i].records);
            runs[i].impls = calloc(variant_count, sizeof *runs[i].impls);
            if (!runs[i].records || !runs[i].impls || bench_network(&options, &runs[i], &sink) != 0) {
                fprintf(stderr, "convbench: %s: cannot write the results: %s\n", path,
                        strerror(errno));
                csv_sink_abort(&sink);
                return EXIT_RUNTIME;
            }
        }
        if (csv_sink_commit(&sink, error, sizeof error) != 0) {
            fprintf(stderr, "convbench: %s\n", error);
            return EXIT_RUNTIME;
        }
        if (output == NULL || strcmp(output, "-") != 0) {
            char *meta_path = meta_path_for(path);
            struct meta_lines meta = {0};
            fill_meta(&meta, &options, bandwidth, argc, argv, &configs[first], last - first);
            for (size_t vi = 0; vi < variant_count; vi++) {
                char key[96], impls[1024] = "";
                for (size_t i = first; i < last; i++)
                    if (runs[i].impls[vi][0])
                        snprintf(impls + strlen(impls), sizeof impls - strlen(impls), "%s%s",
                                 impls[0] ? "; " : "", runs[i].impls[vi]);
                snprintf(key, sizeof key, "impl.%s", variants[vi]->name);
                if (impls[0])
                    meta_add(&meta, key, "%s", impls);
            }
            if (!meta_path || meta_write(meta_path, (const char *const *)meta.lines, meta.count,
                                         error, sizeof error) != 0) {
                fprintf(stderr, "convbench: %s\n", meta_path ? error : "out of memory");
                exit_code = EXIT_RUNTIME;
            }
            meta_free(&meta);
            free(meta_path);
        }
        for (size_t i = first; i < last; i++) {
            if (!options.verify_only)
                bench_print_summary(report, &options, &runs[i], baseline);
            if (runs[i].mismatches)
                exit_code = EXIT_MISMATCH;
            else if (runs[i].errors && exit_code == EXIT_OK)
                exit_code = EXIT_RUNTIME;
            free(runs[i].records);
            free(runs[i].impls);
        }
        if (output == NULL || strcmp(output, "-") != 0)
            fprintf(report, "%s: results in %s\n", configs[first].path, path);
    }
    timing_release();
    for (size_t i = 0; i < config_count; i++) {
        network_free(&configs[i].net);
        free(configs[i].selected);
    }
    free(configs);
    return exit_code;
}
