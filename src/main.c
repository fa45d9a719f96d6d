/* convbench: the command line's modes wired to the modules that do them
 * (docs/DESIGN.md "Command line"). */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis.h"
#include "bench.h"
#include "atomicfile.h"
#include "charts.h"
#include "html.h"
#include "compare.h"
#include "config.h"
#include "cpu.h"
#include "meta.h"
#include "model.h"
#include "options.h"
#include "plotdata.h"
#include "probe.h"
#include "report.h"
#include "results.h"
#include "signals.h"
#include "tensor.h"
#include "timing.h"

static const char *signal_name(void)
{
    return signals_stop == SIGINT ? "SIGINT" : "SIGTERM";
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

/* The report page PREFIX.html: the machine, the summary (NULL for a saved
 * result) and the SVG charts among the files drawn (one per line of drawn). */
static int write_report(const struct result_set *results, const char *csv_path,
                        const char *prefix, const char *summary, char *drawn)
{
    char *charts[64];
    size_t count = 0;
    for (char *line = strtok(drawn, "\n"); line && count < 64; line = strtok(NULL, "\n")) {
        const size_t n = strlen(line);
        if (n > 4 && strcmp(line + n - 4, ".svg") == 0)
            charts[count++] = line;
    }
    char title[512] = "";
    for (size_t i = 0; i < results->count; i++) {
        const char *config = results->rows[i].config;
        const char *at = strstr(title, config);
        const size_t n = strlen(config);
        if (at && (at == title || at[-1] == ' ') && (at[n] == ',' || at[n] == '\0'))
            continue; /* named already */
        const size_t used = strlen(title);
        snprintf(title + used, sizeof title - used, "%s%s", used ? ", " : "", config);
    }
    char path[4096], error[512];
    if (snprintf(path, sizeof path, "%s.html", prefix) >= (int)sizeof path) {
        fprintf(stderr, "convbench: %s.html: the path is too long\n", prefix);
        return EXIT_RUNTIME;
    }
    const struct html_report report = {.title = title, .csv_path = csv_path, .summary = summary,
                                       .prefix = prefix, .charts = charts, .chart_count = count};
    if (html_report_write(path, &report, error, sizeof error) != 0) {
        fprintf(stderr, "convbench: %s\n", error);
        return EXIT_RUNTIME;
    }
    printf("%s\n", path);
    return EXIT_OK;
}

/* draw_charts once the prefix is known. */
static int draw_and_report(const struct result_set *results, double bandwidth,
                           const char *csv_path, const char *prefix, const char *summary)
{
    fflush(NULL); /* the summary comes before the chart paths */
    char *drawn = NULL;
    size_t drawn_size = 0;
    FILE *list = open_memstream(&drawn, &drawn_size);
    if (!list) {
        fprintf(stderr, "convbench: out of memory for the chart list\n");
        return EXIT_RUNTIME;
    }
    const enum charts_status status =
        charts_draw(results, bandwidth > 0.0 ? bandwidth : NAN, prefix, list);
    fclose(list);
    fputs(drawn, stdout);
    int exit_code = EXIT_OK;
    if (status == CHARTS_OK)
        exit_code = write_report(results, csv_path, prefix, summary, drawn);
    free(drawn);
    switch (status) {
    case CHARTS_OK:
        return exit_code;
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

/* The charts of a result: from the rows in memory after a run, or from a
 * saved CSV (--plot), to PREFIX-CHART.png and .svg, each named on stdout,
 * and the report page PREFIX.html with them and the summary (NULL for a
 * saved result). */
static int draw_charts(const struct result_set *results, double bandwidth, const char *csv_path,
                       const char *prefix, bool quiet, const char *summary)
{
    if (!charts_available()) {
        /* after a run, the charts can be drawn later; --plot has no later */
        if (!quiet && prefix)
            fprintf(stderr, "convbench: gnuplot is not installed: no charts\n");
        else if (!quiet)
            fprintf(stderr, "convbench: gnuplot is not installed: no charts (scripts/plot %s "
                    "draws them once it is)\n", csv_path);
        return EXIT_RUNTIME;
    }
    char *derived = prefix ? NULL : path_beside(csv_path, "");
    if (!prefix && !derived) {
        fputs("convbench: out of memory\n", stderr);
        return EXIT_RUNTIME;
    }
    const int status = draw_and_report(results, bandwidth, csv_path, prefix ? prefix : derived,
                                       summary);
    free(derived);
    return status;
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
    const int status = draw_charts(&results, bandwidth, csv_path, prefix, false, NULL);
    result_set_free(&results);
    return status;
}

static bool layer_selected(const char *glob, const char *name)
{
    return !glob || fnmatch(glob, name, 0) == 0;
}

/* What a run needs besides the options of the bench itself. */
/* What a run needs besides the options of the bench itself. */
struct run_plan {
    const struct cli *cli;
    struct config_entry *configs;
    int argc;
    char **argv;
    double bandwidth;
};

/* Runs configs [first, last) into sink and results; runs[0 .. *ran) get
 * their rows. Returns -1 when a row cannot be written, 1 when a signal
 * stopped the run, else 0. */
static int run_configs(const struct run_plan *plan, size_t first, size_t last,
                       struct csv_sink *sink, struct result_set *results, struct bench_run *runs,
                       size_t *ran)
{
    const struct cli *cli = plan->cli;
    const size_t batches = cli->batch_count ? cli->batch_count : 1;
    for (size_t i = first; i < last; i++) {
        struct config_entry *e = &plan->configs[i];
        for (size_t b = 0; b < batches; b++) {
            char error[CONFIG_ERROR_MAX];
            if (cli->batch_count > 1 &&
                network_set_batch(e->path, &e->net, cli->batches[b], error) != 0) {
                fprintf(stderr, "%s\n", error); /* checked when loaded: not reached */
                return -1;
            }
            struct bench_run *run = &runs[(*ran)++];
            *run = (struct bench_run){.net = &e->net, .selected = e->selected, .results = results,
                                      .batch = cli->batch_count > 1 ? cli->batches[b] : 0};
            const int status = bench_network(&cli->bench, run, sink);
            if (status != 0)
                return status;
        }
    }
    return 0;
}

/* Commits the rows of a group with its .meta (to the partial names when
 * interrupted); -1 with the message printed when that fails. */
static int commit_group(const struct bench_options *options, struct csv_sink *sink,
                        struct meta_lines *meta, const struct result_set *results,
                        bool interrupted)
{
    /* an interrupted run keeps its rows apart from the last full result */
    if (interrupted)
        meta_add(meta, "interrupted", "%s after %zu rows", signal_name(), sink->rows);
    for (size_t vi = 0; vi < options->variant_count; vi++) {
        /* what each variant ran on: the distinct implementations its rows name */
        char impls[1024] = "";
        result_set_impls(results, options->variants[vi]->name, impls, sizeof impls);
        if (!impls[0])
            continue;
        char key[96];
        snprintf(key, sizeof key, "impl.%s", options->variants[vi]->name);
        meta_add(meta, key, "%s", impls);
    }
    char error[512];
    if (meta->failed) {
        csv_sink_abort(sink);
        fprintf(stderr, "convbench: cannot allocate the .meta lines\n");
        return -1;
    }
    if (csv_sink_commit(sink, interrupted, (const char *const *)meta->lines, meta->count, error,
                        sizeof error) != 0) {
        fprintf(stderr, "convbench: %s\n", error);
        return -1;
    }
    return 0;
}

/* <base>-phases.csv beside the result, when any row has phases; returns
 * EXIT_OK, or EXIT_RUNTIME with the reason on stderr. */
static int write_phases(const struct result_set *results, const char *csv_path)
{
    size_t phased = 0;
    for (size_t i = 0; i < results->count; i++)
        phased += results->rows[i].phased;
    if (!phased)
        return EXIT_OK;
    char error[512];
    char *path = path_beside(csv_path, "-phases.csv");
    if (!path) {
        fputs("convbench: out of memory\n", stderr);
        return EXIT_RUNTIME;
    }
    struct atomic_file table;
    int status = EXIT_OK;
    if (atomic_open(&table, path, error, sizeof error) == 0) {
        result_write_phases_header(table.file);
        for (size_t i = 0; i < results->count; i++)
            result_write_phases(table.file, &results->rows[i]);
        if (atomic_close(&table, 1, error, sizeof error) != 0)
            status = EXIT_RUNTIME;
    } else {
        status = EXIT_RUNTIME;
    }
    if (status != EXIT_OK)
        fprintf(stderr, "convbench: %s\n", error);
    free(path);
    return status;
}

/* After a group is committed: its summaries, where its rows went, its
 * charts; returns the exit status its rows make. */
static int report_group(const struct run_plan *plan, size_t first, const struct bench_run *runs,
                        size_t ran, const struct result_set *results,
                        const struct output_target *target, bool interrupted, size_t rows)
{
    const struct cli *cli = plan->cli;
    FILE *report = target->kind == OUTPUT_STDOUT ? stderr : stdout; /* a CSV on stdout stays clean */
    int exit_code = EXIT_OK;
    /* the summary is printed, and kept for the report page */
    char *summary = NULL;
    size_t summary_size = 0;
    FILE *capture = open_memstream(&summary, &summary_size);
    for (size_t i = 0; i < ran; i++) {
        if (!cli->bench.verify_only)
            bench_print_summary(capture ? capture : report, &cli->bench, &runs[i],
                                cli->baseline);
        if (runs[i].mismatches)
            exit_code = EXIT_MISMATCH;
        else if (runs[i].errors && exit_code == EXIT_OK)
            exit_code = EXIT_RUNTIME;
    }
    if (capture) {
        fclose(capture);
        fputs(summary, report);
    }
    const bool file = target->kind == OUTPUT_FILE;
    if (interrupted) {
        char *partial = file ? partial_path_for(target->path) : NULL;
        fprintf(stderr, "convbench: interrupted by %s: the %zu rows finished are in %s%s%s\n",
                signal_name(), rows,
                partial ? partial : target->kind == OUTPUT_STDOUT ? "standard output"
                                                                  : target->path,
                partial ? "; left untouched: " : "", partial ? target->path : "");
        free(partial);
    } else if (file) {
        fprintf(report, "%s: results in %s\n", plan->configs[first].path, target->path);
        if (write_phases(results, target->path) != EXIT_OK && exit_code == EXIT_OK)
            exit_code = EXIT_RUNTIME;
        if (cli->plot && !cli->bench.verify_only && !signals_stop && results->count)
            draw_charts(results, plan->bandwidth, target->path, NULL, cli->quiet, summary);
    }
    free(summary);
    return exit_code;
}

/* Runs configs [first, last) into one result file and commits it with its
 * .meta; prints the summaries and draws the charts. Returns the exit status
 * so far and sets *stopped when a signal ended the run. */
static int run_group(const struct run_plan *plan, size_t first, size_t last,
                     const struct output_target *target, bool *stopped)
{
    const struct bench_options *options = &plan->cli->bench;
    char error[512];
    struct csv_sink sink;
    if (csv_sink_open(&sink, target, error, sizeof error) != 0) {
        fprintf(stderr, "convbench: %s\n", error);
        return EXIT_RUNTIME;
    }
    signals_watch_sink(&sink);
    struct meta_lines meta = {0};
    meta_describe_run(&meta, options, plan->bandwidth, plan->argc, plan->argv, last - first,
                      config_path_item, &plan->configs[first]);
    bool failed = false;
    if (meta.failed || (target->kind == OUTPUT_FILE &&
                        csv_sink_set_meta(&sink, (const char *const *)meta.lines, meta.count))) {
        fprintf(stderr, "convbench: cannot allocate the .meta lines\n");
        csv_sink_abort(&sink);
        failed = true;
    }
    struct result_set results = {0};
    struct bench_run runs[(last - first) * (plan->cli->batch_count ? plan->cli->batch_count : 1)];
    size_t ran = 0;
    const int status = failed ? -1 : run_configs(plan, first, last, &sink, &results, runs, &ran);
    if (!failed && status < 0) {
        fprintf(stderr, "convbench: %s: cannot write the results: %s\n",
                target->path ? target->path : "standard output", strerror(errno));
        csv_sink_abort(&sink);
        failed = true;
    }
    const size_t rows = sink.rows;
    if (!failed && commit_group(options, &sink, &meta, &results, status > 0) != 0)
        failed = true;
    signals_watch_sink(NULL);
    pthread_mutex_destroy(&sink.lock);
    meta_free(&meta);
    int exit_code = EXIT_RUNTIME;
    if (!failed)
        exit_code = report_group(plan, first, runs, ran, &results, target, status > 0, rows);
    else
        for (size_t i = 0; i < ran; i++) /* a mismatch outranks the failure */
            if (runs[i].mismatches)
                exit_code = EXIT_MISMATCH;
    result_set_free(&results);
    if (signals_stop) {
        *stopped = true;
        if (status == 0 && !failed)
            fprintf(stderr, "convbench: interrupted by %s after the run had finished: the "
                    "results are complete\n", signal_name());
        exit_code = 128 + signals_stop;
    }
    return exit_code;
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


/* The b-th batch size of --batch, or 0 (the config's) when none was given. */
static int64_t batch_at(const struct cli *cli, size_t b)
{
    return b < cli->batch_count ? cli->batches[b] : 0;
}

/* Reads and checks every config before anything runs or is written, and
 * selects its layers. Returns EXIT_OK or the exit status of the failure. */
static int load_configs(const struct cli *cli, struct config_entry *configs, size_t count)
{
    const bool run = cli->mode == CLI_RUN;
    for (size_t i = 0; i < count; i++) {
        char error[CONFIG_ERROR_MAX];
        struct config_entry *e = &configs[i];
        int status;
        if (cli->input_count) {
            e->path = cli->inputs[i];
            status = model_load(e->path, batch_at(cli, 0), &e->net, error);
        } else {
            e->path = "seed";
            status = config_builtin_seed(&e->net, error);
        }
        /* every batch of the list fits every layer, checked before anything runs;
         * the first is left set */
        for (size_t b = cli->batch_count; status == 0 && b-- > 0;)
            status = network_set_batch(e->path, &e->net, cli->batches[b], error);
        if (status != 0) {
            fprintf(stderr, "%s\n", error);
            return EXIT_USAGE;
        }
        const size_t skipped = e->net.skipped_count;
        /* what the run will not show: how a model was read, what it leaves out */
        if (run && e->net.note[0])
            fprintf(stderr, "convbench: %s: %s\n", e->path, e->net.note);
        if (run && skipped && e->net.layer_count)
            fprintf(stderr, "convbench: %s: %zu node%s not benchmarked (--summary lists them)\n",
                    e->path, skipped, skipped == 1 ? " is" : "s are");
        if (run && !e->net.layer_count) {
            fprintf(stderr, "convbench: %s: nothing to benchmark: %zu node%s not benchmarked "
                    "(--summary lists them)\n", e->path, skipped, skipped == 1 ? " is" : "s are");
            return EXIT_USAGE;
        }
        e->selected = calloc(e->net.layer_count + 1, sizeof *e->selected);
        if (!e->selected) {
            fputs("convbench: out of memory\n", stderr);
            return EXIT_RUNTIME;
        }
        for (size_t li = 0; li < e->net.layer_count; li++) {
            e->selected[li] = layer_selected(cli->glob, e->net.layers[li].name);
            e->selected_count += e->selected[li];
        }
        if (!e->selected_count && e->net.layer_count) {
            fprintf(stderr, "convbench: %s: no layer matches --layers=%s\n", e->path, cli->glob);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

/* --summary and --export-ini: the configs' layers, no run. */
static int describe_configs(const struct cli *cli, const struct config_entry *configs,
                            size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char error[CONFIG_ERROR_MAX];
        if (i)
            putchar('\n');
        if (cli->mode == CLI_SUMMARY)
            print_cost_summary(stdout, configs[i].path, &configs[i].net, configs[i].selected);
        else if (write_ini(stdout, configs[i].path, &configs[i].net, configs[i].selected, error,
                           sizeof error) != 0) {
            fprintf(stderr, "convbench: %s\n", error);
            return EXIT_USAGE;
        }
    }
    if (cli->mode == CLI_EXPORT_INI && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "convbench: --export-ini: cannot write: %s\n", strerror(errno));
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

/* The FP32 peak per thread count (unless given) and the memory bandwidth,
 * before a timed run. Returns EXIT_OK, or the status to exit with. */
static int measure_machine(struct cli *cli, double *bandwidth)
{
    int max_threads = 1;
    for (size_t i = 0; i < cli->thread_count && !signals_stop; i++) {
        if (!cli->peaks_given)
            cli->peaks[i] = probe_peak_gflops(cli->threads[i]);
        if (cli->threads[i] > max_threads)
            max_threads = cli->threads[i];
    }
    if (!signals_stop && (*bandwidth = probe_bandwidth_gbs(max_threads, &signals_stop)) < 0.0) {
        fprintf(stderr, "convbench: the memory bandwidth probe cannot allocate its %zu MiB of "
                "arrays\n", probe_bandwidth_bytes() >> 20);
        return EXIT_RUNTIME;
    }
    if (signals_stop) {
        fprintf(stderr, "convbench: interrupted by %s while measuring the machine: no row was "
                "written\n", signal_name());
        return 128 + signals_stop;
    }
    cli->bench.peak_gflops = cli->peaks;
    cli->bench.bandwidth_gbs = *bandwidth;
    if (!cli->quiet) {
        fprintf(stderr, "convbench: %s FP32 FMA peak (%s):",
                cli->peaks_given ? "given" : "measured", cpu_isa_name(cpu_best_isa()));
        for (size_t i = 0; i < cli->thread_count; i++)
            fprintf(stderr, " %.1f GFLOP/s on %d thread%s%s", cli->peaks[i], cli->threads[i],
                    cli->threads[i] == 1 ? "" : "s", i + 1 < cli->thread_count ? "," : "");
        fprintf(stderr, "; memory bandwidth %.1f GB/s\n", *bandwidth);
    }
    return EXIT_OK;
}

/* Runs every config, each into its own result or all into -o. */
static int run_all(struct cli *cli, struct config_entry *configs, size_t count,
                   struct output_target *targets, int argc, char **argv)
{
    if (resolve_outputs(cli->output, configs, count, targets) != 0)
        return EXIT_USAGE;
    /* before the first OpenMP region: every thread made later inherits the
     * blocked signals, and only the signal thread takes them */
    if (signals_start() != 0) {
        fputs("convbench: cannot start the signal thread\n", stderr);
        return EXIT_RUNTIME;
    }
    double bandwidth = 0.0;
    int exit_code = cli->bench.verify_only ? EXIT_OK : measure_machine(cli, &bandwidth);
    if (exit_code != EXIT_OK)
        return exit_code;
    const struct run_plan plan = {
        .cli = cli, .configs = configs, .argc = argc, .argv = argv, .bandwidth = bandwidth,
    };
    const size_t groups = cli->output ? 1 : count;
    for (size_t g = 0; g < groups; g++) {
        bool stopped = false;
        const int status = cli->output ? run_group(&plan, 0, count, &targets[0], &stopped)
                                       : run_group(&plan, g, g + 1, &targets[g], &stopped);
        /* a mismatch outranks a runtime error; a signal outranks both */
        if (stopped || status == EXIT_USAGE || status == EXIT_MISMATCH ||
            (status == EXIT_RUNTIME && exit_code == EXIT_OK))
            exit_code = status;
        if (stopped || status == EXIT_USAGE)
            break;
    }
    return exit_code;
}

int main(int argc, char **argv)
{
    struct cli cli;
    cli_parse(argc, argv, &cli);
    switch (cli.mode) {
    case CLI_COMPARE:
        return compare_results(cli.inputs[0], cli.inputs[1], stdout);
    case CLI_PLOT_DATA:
        return plot_data_write(cli.inputs[0], cli.plot_target);
    case CLI_PLOT:
        return plot_saved(cli.inputs[0], cli.plot_target);
    default:
        break;
    }
    tensor_keep_heap();
    const size_t count = cli.input_count ? cli.input_count : 1;
    struct config_entry *configs = calloc(count, sizeof *configs);
    struct output_target *targets = calloc(count, sizeof *targets);
    int exit_code = EXIT_RUNTIME;
    if (!configs || !targets)
        fputs("convbench: out of memory\n", stderr);
    else if ((exit_code = load_configs(&cli, configs, count)) == EXIT_OK)
        exit_code = cli.mode == CLI_RUN ? run_all(&cli, configs, count, targets, argc, argv)
                                        : describe_configs(&cli, configs, count);
    timing_release();
    for (size_t i = 0; configs && targets && i < count; i++) {
        network_free(&configs[i].net);
        free(configs[i].selected);
        output_free(&targets[i]);
    }
    free(configs);
    free(targets);
    return exit_code;
}
