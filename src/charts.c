#include "charts.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_config.h"
#include "plotdata.h"
#include "signals.h"

bool charts_available(void)
{
    const char *path = getenv("PATH");
    while (path && *path) {
        const size_t length = strcspn(path, ":");
        char candidate[PATH_MAX];
        if (length && length < sizeof candidate - 9) {
            snprintf(candidate, sizeof candidate, "%.*s/gnuplot", (int)length, path);
            if (access(candidate, X_OK) == 0)
                return true;
        }
        path += length + (path[length] == ':');
    }
    return false;
}

/* The folder of chart scripts: scripts/plots beside the binary's folder
 * (build/convbench -> scripts/plots), else in the source tree the binary was
 * built from. */
static bool find_scripts(char *dir, size_t size)
{
    char exe[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(dir, size, "%s/../scripts/plots/common.gp", exe) < (int)size &&
                access(dir, R_OK) == 0)
                return snprintf(dir, size, "%s/../scripts/plots", exe) < (int)size;
        }
    }
    snprintf(dir, size, "%s/scripts/plots/common.gp", CONVBENCH_SOURCE_DIR);
    if (access(dir, R_OK) != 0)
        return false;
    snprintf(dir, size, "%s/scripts/plots", CONVBENCH_SOURCE_DIR);
    return true;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
            unlink(path);
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Runs one chart script for one format; false when gnuplot failed. */
static bool draw_one(const char *data, const char *scripts, const char *prefix, const char *chart,
                     const char *format)
{
    char expression[3 * PATH_MAX], script[PATH_MAX + 64];
    snprintf(expression, sizeof expression,
             "dir='%s'; plots='%s'; out='%s-%s.%s'; format='%s'", data, scripts, prefix, chart,
             format, format);
    snprintf(script, sizeof script, "%s/%s.gp", scripts, chart);
    char *argv[] = {"gnuplot", "-e", expression, script, NULL};
    const int status = signals_run_child(argv);
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

enum charts_status charts_draw(const struct result_set *set, double bandwidth,
                               const char *prefix, FILE *list)
{
    char scripts[PATH_MAX];
    if (!find_scripts(scripts, sizeof scripts)) {
        fprintf(stderr, "convbench: the chart scripts (scripts/plots) are not found beside the "
                "binary nor in %s\n", CONVBENCH_SOURCE_DIR);
        return CHARTS_FAILED;
    }
    /* a quote would end gnuplot's string early */
    if (strchr(prefix, '\'') || strchr(scripts, '\'')) {
        fprintf(stderr, "convbench: %s: a chart path may not hold a single quote\n", prefix);
        return CHARTS_FAILED;
    }
    const char *tmp = getenv("TMPDIR");
    char data[PATH_MAX];
    snprintf(data, sizeof data, "%s/convbench-plot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(data)) {
        fprintf(stderr, "convbench: %s: cannot make a folder for the plot data: %s\n", data,
                strerror(errno));
        return CHARTS_FAILED;
    }
    struct plot_counts counts = {0};
    enum charts_status status = CHARTS_OK;
    if (plot_data_write_set(set, bandwidth, data, &counts) != 0)
        status = CHARTS_FAILED;
    /* each chart, and whether the result has what it shows */
    const struct {
        const char *name;
        bool drawn;
    } charts[] = {
        {"gflops", true},
        {"efficiency", true},
        {"time-vs-macs", true},
        {"roofline", true},
        {"separable", counts.separable_rows > 0},
        {"threads", counts.thread_counts > 1},
        {"batch", counts.batch_sizes > 1},
        {"map", counts.map_points > 1},
        {"map-error", counts.map_points > 1},
        {"phases", counts.phase_bars > 0},
        {"decomposition", counts.decomposition_rows > 0},
        {"layouts", counts.layout_bars > 0},
    };
    for (size_t c = 0; c < sizeof charts / sizeof *charts && status == CHARTS_OK; c++) {
        if (!charts[c].drawn)
            continue;
        for (int f = 0; f < 2 && status == CHARTS_OK; f++) {
            const char *format = f ? "svg" : "png";
            const bool drawn = draw_one(data, scripts, prefix, charts[c].name, format);
            if (signals_stop)
                status = CHARTS_INTERRUPTED;
            else if (!drawn) {
                fprintf(stderr, "convbench: gnuplot failed on %s/%s.gp\n", scripts, charts[c].name);
                status = CHARTS_FAILED;
            } else {
                fprintf(list, "%s-%s.%s\n", prefix, charts[c].name, format);
                fflush(list);
            }
        }
    }
    remove_dir(data);
    return status;
}
