#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_info.h"
#include "cpu.h"
#include "signals.h"

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

static const char usage_text[] =
    "Usage: convbench [OPTIONS] [CONFIG.ini | MODEL.onnx ...]\n"
    "Runs each conv layer of the configs through every variant, checks the outputs\n"
    "against a double-precision reference, times them, and writes one CSV row per\n"
    "layer x variant x thread count. With no config it runs the seed's examples.\n"
    "An ONNX model (told by its content) gives a layer per 2-D Conv, and per Gemm or\n"
    "MatMul with a constant weight (a 1x1 conv); --summary lists what is not run.\n"
    "A layer key given a comma list (out = 16,32,64) sweeps: one layer per point of\n"
    "the product of the lists (docs/DESIGN.md, \"Config format\").\n"
    "\n"
    "  -v, --variants=LIST    comma list of variants (default: every one built;\n"
    "                         see --list-variants)\n"
    "  -t, --threads=LIST     comma list of OpenMP thread counts, e.g. 1,2\n"
    "                         (default: all %d cores)\n"
    "  -o, --output=FILE      CSV to write (default results/<config>.csv, one per config;\n"
    "                         with FILE every config goes into it; '-' = standard output).\n"
    "                         A .meta file is written beside it, and <output>-phases.csv\n"
    "                         when a variant reports phases; a device or FIFO is\n"
    "                         written in place, a symlink's target is written.\n"
    "  -l, --layers=GLOB      only layers whose name matches GLOB (fnmatch, e.g. 'conv*')\n"
    "      --min-time=SEC     time each layer and variant for at least SEC (default 0.1) ...\n"
    "      --reps=N           ... and at least N samples (default 5) ...\n"
    "      --max-time=SEC     ... unless SEC have passed (default 2); at least one sample\n"
    "      --max-cv=X         a row whose samples' spread (their CV estimated from the\n"
    "                         quartiles, time_spread) is above X is measured again, up\n"
    "                         to 3 rounds, keeping the steadiest; one still above is\n"
    "                         marked 'noisy' in its note (default 0.1; 0: one round)\n"
    "      --cold-cache       evict the caches before each sample\n"
    "      --seed=N           seed of the random inputs and weights (default 1)\n"
    "      --max-memory=BYTES a layer x variant needing more (tensors, packed weights,\n"
    "                         workspaces; e.g. 512M, 4G) gives an error row instead\n"
    "                         (default: half the physical memory, %s)\n"
    "      --baseline=NAME    the variant the closing summary compares against\n"
    "                         (default: onednn-blocked when it runs, else the first)\n"
    "      --batch=LIST       comma list of batch sizes: every layer runs at each (the\n"
    "                         summary once per batch), e.g. 1,8,32 (default: the\n"
    "                         config's; an ONNX model's symbolic batch dimension is 1)\n"
    "      --summary          print each config's cost table (params, MACs, memory), and\n"
    "                         the nodes of a model that are not benchmarked; no runs\n"
    "      --export-ini       print the layers of each config or model as an INI config\n"
    "                         (that reads back to the same layers and costs); no runs\n"
    "      --verify-only      run and check each variant once; no timing\n"
    "      --list-variants    list the variants built, with their limits\n"
    "      --peak-gflops=LIST the FP32 peak per --threads entry, instead of measuring it\n"
    "                         (for reports comparable across runs)\n"
    "      --no-plot          do not draw the charts (drawn with gnuplot after a timed run\n"
    "                         that writes a file: <output>-*.png and .svg, and the report\n"
    "                         page <output>.html with the summary and every chart)\n"
    "      --compare OLD.csv NEW.csv\n"
    "                         per-row time ratio of two results, geometric mean, and the\n"
    "                         changes beyond the runs' noise; no run\n"
    "      --plot=PREFIX RESULT.csv\n"
    "                         draw the charts of a saved result to PREFIX-*.png and .svg\n"
    "                         and its report page PREFIX.html (what scripts/plot\n"
    "                         RESULT.csv does); no run\n"
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

/* Prints "convbench: MESSAGE" and the --help hint, exits 2. */
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

/* Calls take(item, count so far, context) for each item of a comma list
 * (checked for empty items); returns the count. */
static size_t for_each_item(const char *option, const char *text,
                            void (*take)(const char *item, size_t count, void *context),
                            void *context)
{
    check_list(option, text);
    char *copy = strdup(text);
    if (!copy)
        usage_error("out of memory");
    size_t count = 0;
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save))
        take(item, count++, context);
    free(copy);
    return count;
}

struct list_context {
    const char *text; /* the whole option value, for messages */
    void *out;
};

static void take_thread_count(const char *item, size_t count, void *context)
{
    const struct list_context *c = context;
    int *threads = c->out;
    if (count == MAX_THREAD_COUNTS)
        usage_error("--threads: at most %d thread counts", MAX_THREAD_COUNTS);
    const int n = (int)parse_whole("threads", item, 1, 1024);
    for (size_t i = 0; i < count; i++)
        if (threads[i] == n)
            usage_error("--threads=%s: %d is given twice", c->text, n);
    threads[count] = n;
}

static size_t parse_threads(const char *text, int *threads)
{
    struct list_context context = {text, threads};
    return for_each_item("threads", text, take_thread_count, &context);
}

static void take_batch(const char *item, size_t count, void *context)
{
    const struct list_context *c = context;
    int64_t *batches = c->out;
    if (count == MAX_BATCH_SIZES)
        usage_error("--batch: at most %d batch sizes", MAX_BATCH_SIZES);
    const int64_t n = parse_whole("batch", item, 1, LAYER_MAX_EXTENT);
    for (size_t i = 0; i < count; i++)
        if (batches[i] == n)
            usage_error("--batch=%s: %lld is given twice", c->text, (long long)n);
    batches[count] = n;
}

static void take_variant(const char *item, size_t count, void *context)
{
    const struct list_context *c = context;
    const struct conv_variant **out = c->out;
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
            usage_error("--variants=%s: %s is given twice", c->text, item);
    if (count == CONV_VARIANTS_MAX)
        usage_error("--variants: at most %d variants", CONV_VARIANTS_MAX);
    out[count] = v;
}

static size_t parse_variants(const char *text, const struct conv_variant **out)
{
    struct list_context context = {text, out};
    return for_each_item("variants", text, take_variant, &context);
}

static void list_variants(void)
{
    for (size_t i = 0; i < conv_variant_count; i++)
        printf("%-18s %s (tolerance %g x eps x sqrt(reduction))\n", conv_variants[i]->name,
               conv_variants[i]->summary, conv_variants[i]->tolerance);
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

static size_t parse_max_memory(const char *text)
{
    const size_t bytes = parse_bytes(text);
    if (!bytes)
        usage_error("--max-memory=%s: expected a size in bytes, e.g. 512M or 4G", text);
    const size_t physical = physical_memory();
    if (physical && bytes > physical)
        usage_error("--max-memory=%s is more than this machine's memory (%.1f GiB)", text,
                    (double)physical / (1 << 30));
    return bytes;
}

static double parse_max_cv(const char *text)
{
    char *end;
    errno = 0;
    const double cv = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(cv) || cv < 0.0)
        usage_error("--max-cv=%s: expected a relative spread >= 0, e.g. 0.1", text);
    return cv;
}

static void print_help(void)
{
    char memory[32];
    snprintf(memory, sizeof memory, "%.1f GiB", (double)default_max_memory() / (1 << 30));
    printf(usage_text, omp_get_num_procs(), memory);
}

/* After the options: the inputs each mode takes, the defaults (every variant
 * built, every core), the baseline and the peaks given. */
static void finish(struct cli *cli, const char *baseline_name, const char *peak_text)
{
    switch (cli->mode) {
    case CLI_COMPARE:
        if (cli->input_count != 2)
            usage_error("--compare takes two result files: --compare OLD.csv NEW.csv");
        return;
    case CLI_PLOT_DATA:
        if (cli->input_count != 1)
            usage_error("--plot-data=DIR takes one result file");
        return;
    case CLI_PLOT:
        if (cli->input_count != 1 || !cli->plot_target[0])
            usage_error("--plot=PREFIX takes a non-empty prefix and one result file");
        return;
    default:
        break;
    }
    if (cli->batch_count > 1 && cli->mode != CLI_RUN)
        usage_error("--batch with --summary or --export-ini takes one batch size, not a list");
    if (!cli->variant_count)
        for (; cli->variant_count < conv_variant_count; cli->variant_count++)
            cli->variants[cli->variant_count] = conv_variants[cli->variant_count];
    if (!cli->thread_count)
        cli->threads[cli->thread_count++] = omp_get_num_procs();
    if (!baseline_name) {
        /* oneDNN in its own layout is the peer to beat, when it runs */
        for (size_t i = 0; i < cli->variant_count; i++)
            if (strcmp(cli->variants[i]->name, "onednn-blocked") == 0)
                cli->baseline = i;
    } else {
        for (cli->baseline = 0; cli->baseline < cli->variant_count; cli->baseline++)
            if (strcmp(cli->variants[cli->baseline]->name, baseline_name) == 0)
                break;
        if (cli->baseline == cli->variant_count)
            usage_error("--baseline=%s is not among the variants run", baseline_name);
    }
    if (peak_text) {
        if (parse_peaks(peak_text, cli->peaks, cli->thread_count) != 0)
            exit(EXIT_USAGE);
        cli->peaks_given = true;
    }
}

/* One mode per command line: --summary, --export-ini, --compare, --plot and
 * --plot-data exclude each other. */
static void mode(struct cli *cli, enum cli_mode mode)
{
    static const char *const names[] = {"", "--summary", "--export-ini", "--compare", "--plot",
                                        "--plot-data"};
    if (cli->mode != CLI_RUN && cli->mode != mode)
        usage_error("%s and %s exclude each other", names[cli->mode], names[mode]);
    cli->mode = mode;
}

/* One case per option: long, but each case is a line or two. */
void cli_parse(int argc, char **argv, struct cli *cli)
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

    *cli = (struct cli){
        .bench = {.timing = {.min_time = 0.1, .reps = 5, .max_time = 2.0, .max_cv = 0.1,
                             .max_rounds = 3, .stop = &signals_stop},
                  .seed = 1, .max_memory = default_max_memory()},
        .plot = true,
    };
    struct bench_options *options = &cli->bench;
    const char *baseline_name = NULL, *peak_text = NULL;

    opterr = 0; /* our own messages */
    int c;
    while ((c = getopt_long(argc, argv, ":v:t:o:l:qh", long_options, NULL)) != -1) {
        switch (c) {
        case 'v': cli->variant_count = parse_variants(optarg, cli->variants); break;
        case 't': cli->thread_count = parse_threads(optarg, cli->threads); break;
        case 'o': cli->output = optarg; break;
        case 'l': cli->glob = optarg; break;
        case OPT_MIN_TIME: options->timing.min_time = parse_seconds("min-time", optarg, 0, true); break;
        case OPT_MAX_TIME: options->timing.max_time = parse_seconds("max-time", optarg, 0, false); break;
        case OPT_REPS: options->timing.reps = (int)parse_whole("reps", optarg, 1, 1000000); break;
        case OPT_COLD_CACHE: options->timing.cold_cache = true; break;
        case OPT_SEED: options->seed = (uint64_t)parse_whole("seed", optarg, 0, INT64_MAX); break;
        case OPT_BASELINE: baseline_name = optarg; break;
        case OPT_COMPARE: mode(cli, CLI_COMPARE); break;
        case OPT_PLOT_DATA: mode(cli, CLI_PLOT_DATA), cli->plot_target = optarg; break;
        case OPT_PLOT: mode(cli, CLI_PLOT), cli->plot_target = optarg; break;
        case OPT_NO_PLOT: cli->plot = false; break;
        case OPT_PEAK: peak_text = optarg; break;
        case OPT_MAX_MEMORY: options->max_memory = parse_max_memory(optarg); break;
        case OPT_SUMMARY: mode(cli, CLI_SUMMARY); break;
        case OPT_BATCH: {
            struct list_context context = {optarg, cli->batches};
            cli->batch_count = for_each_item("batch", optarg, take_batch, &context);
            break;
        }
        case OPT_EXPORT_INI: mode(cli, CLI_EXPORT_INI); break;
        case OPT_MAX_CV: options->timing.max_cv = parse_max_cv(optarg); break;
        case OPT_VERIFY_ONLY: options->verify_only = true; break;
        case OPT_LIST_VARIANTS: list_variants(); exit(EXIT_OK);
        case 'q': cli->quiet = true; break;
        case 'h': print_help(); exit(EXIT_OK);
        case OPT_VERSION:
            printf("convbench %s (%s), %s, kernels for %s\n", CONVBENCH_VERSION,
                   CONVBENCH_REVISION, CONVBENCH_COMPILER, cpu_isa_name(cpu_best_isa()));
            exit(EXIT_OK);
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

    cli->inputs = argv + optind;
    cli->input_count = (size_t)(argc - optind);
    finish(cli, baseline_name, peak_text);
    options->variants = cli->variants;
    options->variant_count = cli->variant_count;
    options->threads = cli->threads;
    options->thread_count = cli->thread_count;
    options->progress = !cli->quiet && isatty(STDERR_FILENO);
}
