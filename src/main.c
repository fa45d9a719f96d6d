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

#include "bench.h"
#include "compare.h"
#include "plotdata.h"
#include "build_info.h"
#include "config.h"
#include "cpu.h"
#include "probe.h"
#include "report.h"
#include "results.h"
#include "variant.h"

enum exit_code { EXIT_OK = 0, EXIT_MISMATCH = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3 };

/* SIGINT / SIGTERM: the first asks the run to stop after the row under way
 * (the rows finished are kept); a second ends the process at once, removing
 * the temporary result file. Only async-signal-safe calls in the handler. */
static volatile sig_atomic_t stop_signal;
static char temp_result_path[4096];

static void on_signal(int sig)
{
    if (stop_signal) {
        if (temp_result_path[0])
            unlink(temp_result_path);
        _exit(128 + sig);
    }
    stop_signal = sig;
}

static void install_signal_handlers(void)
{
    struct sigaction action = {0};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

/* "x.csv" -> "x.partial.csv" (else ".partial" appended): where an
 * interrupted run leaves its rows, so that x.csv keeps the last full run. */
static char *partial_path_for(const char *path)
{
    size_t length = strlen(path);
    char *partial = malloc(length + 16);
    if (!partial)
        return NULL;
    if (length > 4 && strcmp(path + length - 4, ".csv") == 0)
        snprintf(partial, length + 16, "%.*s.partial.csv", (int)(length - 4), path);
    else
        snprintf(partial, length + 16, "%s.partial", path);
    return partial;
}

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
    "      --max-memory=BYTES a layer x variant needing more (tensors, packed weights,\n"
    "                         workspaces; e.g. 512M, 4G) gives an error row instead\n"
    "                         (default: half the physical memory, %s)\n"
    "      --baseline=NAME    the variant the closing summary compares against\n"
    "                         (default: onednn-blocked when it runs, else the first)\n"
    "      --summary          print each config's cost table (params, MACs, memory); no runs\n"
    "      --verify-only      run and check each variant once; no timing\n"
    "      --list-variants    list the variants built, with their limits\n"
    "      --peak-gflops=LIST the FP32 peak per --threads entry, instead of measuring it\n"
    "                         (for reports comparable across runs)\n"
    "      --no-plot          do not draw the charts (drawn with gnuplot after a timed run\n"
    "                         that writes a file: <output>-*.png and .svg)\n"
    "      --compare OLD.csv NEW.csv\n"
    "                         per-row time ratio of two results, geometric mean, and the\n"
    "                         changes beyond the runs' noise; no run\n"
    "      --plot-data=DIR RESULT.csv\n"
    "                         write the tables scripts/plot draws from; no run\n"
    "  -q, --quiet            no progress line (shown on stderr only when it is a terminal)\n"
    "  -h, --help             this text\n"
    "      --version          version and build\n"
    "\n"
    "Exit status: 0 all rows ok or unsupported, 1 a verification mismatch, 2 bad usage\n"
    "or config (no result is written), 3 a runtime failure (error rows), 130 / 143\n"
    "interrupted by SIGINT / SIGTERM: the rows finished go to <output>.partial.csv and\n"
    "an earlier <output>.csv is left as it was; a second signal stops at once.\n";

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

/* --peak-gflops=LIST: one GFLOP/s figure per --threads entry. */
static int parse_peaks(const char *text, double *peaks, size_t count)
{
    size_t n = 0;
    const char *p = text;
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

/* After a run: scripts/plot draws the charts beside the CSV, when gnuplot is
 * installed. The script is found beside the binary (build/convbench ->
 * scripts/plot) or in the source tree the binary was built from. */
static void draw_plots(const char *csv_path, bool quiet)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        if (!quiet)
            fprintf(stderr, "convbench: gnuplot is not installed: no plots (scripts/plot "
                    "draws them later)\n");
        return;
    }
    char script[4200] = "", exe[4000] = "", dir[4000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        memcpy(dir, exe, (size_t)n + 1);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            snprintf(script, sizeof script, "%s/../scripts/plot", dir);
        }
    }
    if (!script[0] || access(script, X_OK) != 0)
        snprintf(script, sizeof script, "%s/scripts/plot", CONVBENCH_SOURCE_DIR);
    if (access(script, X_OK) != 0) {
        fprintf(stderr, "convbench: no scripts/plot found: no plots\n");
        return;
    }
    /* the child writes the chart paths to the same stdout: what this
     * process printed goes first, also when stdout is a file */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("CONVBENCH", exe[0] ? exe : "convbench", 0);
        execl(script, script, csv_path, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        fprintf(stderr, "convbench: scripts/plot %s failed; the results are unaffected\n",
                csv_path);
}

static size_t default_max_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 2 : (size_t)4 << 30;
}

static bool layer_selected(const char *glob, const char *name)
{
    return !glob || fnmatch(glob, name, 0) == 0;
}

int main(int argc, char **argv)
{
    enum { OPT_MIN_TIME = 256, OPT_MAX_TIME, OPT_REPS, OPT_COLD_CACHE, OPT_SEED, OPT_BASELINE,
           OPT_SUMMARY, OPT_VERIFY_ONLY, OPT_LIST_VARIANTS, OPT_VERSION, OPT_MAX_MEMORY,
           OPT_COMPARE, OPT_PLOT_DATA, OPT_NO_PLOT, OPT_PEAK };
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
        {"no-plot", no_argument, NULL, OPT_NO_PLOT},
        {"peak-gflops", required_argument, NULL, OPT_PEAK},
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
        .timing = {.min_time = 0.1, .reps = 5, .max_time = 2.0, .stop = &stop_signal},
        .seed = 1,
        .max_memory = default_max_memory(),
    };
    bool summary_only = false, quiet = false, compare = false, plot = true;
    const char *plot_data_dir = NULL, *peak_text = NULL;

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
        case OPT_NO_PLOT: plot = false; break;
        case OPT_PEAK: peak_text = optarg; break;
        case OPT_MAX_MEMORY:
            options.max_memory = parse_bytes(optarg);
            if (!options.max_memory)
                usage_error("--max-memory=%s: expected a size in bytes, e.g. 512M or 4G", optarg);
            break;
        case OPT_SUMMARY: summary_only = true; break;
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
        default:
            if (optopt && optopt < 256)
                usage_error("unknown option '-%c'", optopt);
            usage_error("unknown option '%s'", argv[optind - 1]);
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

    /* every config is read and checked before anything runs or is written */
    size_t config_count = argc > optind ? (size_t)(argc - optind) : 1;
    struct config_entry *configs = calloc(config_count, sizeof *configs);
    int exit_code = EXIT_OK;
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
            exit_code = EXIT_USAGE;
            goto done;
        }
        e->selected = calloc(e->net.layer_count, sizeof *e->selected);
        if (!e->selected) {
            fputs("convbench: out of memory\n", stderr);
            exit_code = EXIT_RUNTIME;
            goto done;
        }
        for (size_t li = 0; li < e->net.layer_count; li++) {
            e->selected[li] = layer_selected(glob, e->net.layers[li].name);
            e->selected_count += e->selected[li];
        }
        if (!e->selected_count) {
            fprintf(stderr, "convbench: %s: no layer matches --layers=%s\n", e->path, glob);
            exit_code = EXIT_USAGE;
            goto done;
        }
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
    options.variants = variants;
    options.variant_count = variant_count;
    options.threads = threads;
    options.thread_count = thread_count;
    options.progress = !quiet && isatty(STDERR_FILENO);
    install_signal_handlers();

    double peaks[MAX_THREAD_COUNTS], bandwidth = 0.0;
    if (peak_text && parse_peaks(peak_text, peaks, thread_count) != 0) {
        exit_code = EXIT_USAGE;
        goto done;
    }
    if (!options.verify_only) {
        int max_threads = 1;
        for (size_t i = 0; i < thread_count; i++) {
            if (!peak_text)
                peaks[i] = probe_peak_gflops(threads[i]);
            if (threads[i] > max_threads)
                max_threads = threads[i];
        }
        bandwidth = probe_bandwidth_gbs(max_threads);
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

    /* one output per config, or every config into --output */
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
            exit_code = EXIT_RUNTIME;
            goto done;
        }
        FILE *report = sink.path ? stdout : stderr; /* keep a CSV on stdout clean */
        if (sink.temp_path)
            snprintf(temp_result_path, sizeof temp_result_path, "%s", sink.temp_path);

        struct bench_run runs[config_count];
        size_t ran = first; /* runs[first .. ran) hold rows */
        bool interrupted = false;
        for (size_t i = first; i < last && !interrupted; i++) {
            struct config_entry *e = &configs[i];
            runs[i] = (struct bench_run){.net = &e->net, .selected = e->selected};
            runs[i].records = calloc(e->net.layer_count * thread_count * variant_count,
                                     sizeof *runs[i].records);
            runs[i].impls = calloc(variant_count, sizeof *runs[i].impls);
            int status = runs[i].records && runs[i].impls
                             ? bench_network(&options, &runs[i], &sink)
                             : -1;
            if (status < 0) {
                fprintf(stderr, "convbench: %s: cannot write the results: %s\n", path,
                        strerror(errno));
                csv_sink_abort(&sink);
                exit_code = EXIT_RUNTIME;
                goto done;
            }
            ran = i + 1;
            interrupted = status > 0;
        }

        /* an interrupted run keeps its rows apart from the last full result */
        char *partial = interrupted && sink.path ? partial_path_for(path) : NULL;
        const char *written = partial ? partial : path;
        const size_t rows = sink.rows;
        const bool to_stdout = sink.path == NULL;
        if (csv_sink_commit(&sink, partial, error, sizeof error) != 0) {
            fprintf(stderr, "convbench: %s\n", error);
            exit_code = EXIT_RUNTIME;
            goto done;
        }
        temp_result_path[0] = '\0';
        if (output == NULL || strcmp(output, "-") != 0) {
            char *meta_path = meta_path_for(written);
            struct meta_lines meta = {0};
            fill_meta(&meta, &options, bandwidth, argc, argv, &configs[first], last - first);
            if (interrupted)
                meta_add(&meta, "interrupted", "signal %d after %zu rows", (int)stop_signal, rows);
            for (size_t vi = 0; vi < variant_count; vi++) {
                char key[96], impls[1024] = "";
                for (size_t i = first; i < ran; i++)
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
        for (size_t i = first; i < ran; i++) {
            if (!options.verify_only)
                bench_print_summary(report, &options, &runs[i], baseline);
            if (runs[i].mismatches)
                exit_code = EXIT_MISMATCH;
            else if (runs[i].errors && exit_code == EXIT_OK)
                exit_code = EXIT_RUNTIME;
            free(runs[i].records);
            free(runs[i].impls);
        }
        if (interrupted) {
            fprintf(stderr, "convbench: interrupted by %s: the %zu rows finished are in %s%s%s\n",
                    stop_signal == SIGINT ? "SIGINT" : "SIGTERM", rows,
                    to_stdout ? "standard output" : written,
                    partial ? "; left untouched: " : "", partial ? path : "");
            free(partial);
            exit_code = 128 + stop_signal;
            break;
        }
        if (output == NULL || strcmp(output, "-") != 0) {
            fprintf(report, "%s: results in %s\n", configs[first].path, path);
            if (plot && !options.verify_only)
                draw_plots(path, quiet);
        }
    }
done:
    timing_release();
    for (size_t i = 0; i < config_count; i++) {
        network_free(&configs[i].net);
        free(configs[i].selected);
    }
    free(configs);
    return exit_code;
}
