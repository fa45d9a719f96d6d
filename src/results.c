#include "results.h"

#include <csv.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tensor.h"

static int write_row(struct csv_sink *sink, const struct result_row *row)
{
    result_write_row(sink->file, row);
    /* rows reach the file as they are measured */
    if (fflush(sink->file) != 0)
        return -1;
    sink->rows++;
    return 0;
}

int csv_sink_write(struct csv_sink *sink, const struct result_row *row)
{
    pthread_mutex_lock(&sink->lock);
    int status = write_row(sink, row);
    pthread_mutex_unlock(&sink->lock);
    return status;
}

static char *duplicate(const char *s)
{
    char *copy = malloc(strlen(s) + 1);
    if (copy)
        strcpy(copy, s);
    return copy;
}

static char *join_path(const char *dir, size_t dir_length, const char *name)
{
    size_t size = dir_length + strlen(name) + 2;
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%.*s/%s", (int)dir_length, dir, name);
    return path;
}

/* The directory part of path: its length, or 0 for the working directory
 * ("/" stays "/"). */
static size_t directory_length(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    return slash == path ? 1 : (size_t)(slash - path);
}

/* /dev/stdout, /dev/fd/N and /proc/.../fd/N name a descriptor this process
 * already has: written in place, whatever the descriptor is. */
static bool names_descriptor(const char *path)
{
    if (strcmp(path, "/dev/stdout") == 0 || strcmp(path, "/dev/stderr") == 0 ||
        strncmp(path, "/dev/fd/", 8) == 0)
        return true;
    return strncmp(path, "/proc/", 6) == 0 && strstr(path, "/fd/") != NULL;
}

/* Follows symlinks from path to the name that is not one (which may not
 * exist yet); NULL with errno set on a loop or a failure. */
static char *follow_links(const char *path)
{
    char *current = duplicate(path);
    for (int depth = 0; current && depth < 40; depth++) {
        struct stat st;
        if (lstat(current, &st) != 0 || !S_ISLNK(st.st_mode))
            return current;
        char target[PATH_MAX];
        ssize_t n = readlink(current, target, sizeof target - 1);
        if (n < 0) {
            free(current);
            return NULL;
        }
        target[n] = '\0';
        char *next = target[0] == '/' || !strchr(current, '/')
                         ? duplicate(target)
                         : join_path(current, directory_length(current), target);
        free(current);
        current = next;
    }
    free(current);
    errno = ELOOP;
    return NULL;
}

int output_resolve(const char *path, struct output_target *target, char *error,
                   size_t error_size)
{
    *target = (struct output_target){.kind = OUTPUT_STDOUT};
    if (strcmp(path, "-") == 0)
        return 0;
    if (!path[0]) {
        snprintf(error, error_size, "-o '': expected a file name, or '-' for standard output");
        return -1;
    }
    if (names_descriptor(path)) {
        target->kind = OUTPUT_STREAM;
        target->path = duplicate(path);
        return target->path ? 0 : -1;
    }
    char *resolved = follow_links(path);
    if (!resolved) {
        snprintf(error, error_size, "-o %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(resolved, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(error, error_size, "-o %s: is a directory; expected a file name", path);
            free(resolved);
            return -1;
        }
        target->kind = S_ISREG(st.st_mode) ? OUTPUT_FILE : OUTPUT_STREAM;
        target->path = resolved;
        return 0;
    }
    /* a new file: its directory must exist */
    size_t dir_length = directory_length(resolved);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(dir_length ? dir_length : 1),
             dir_length ? resolved : ".");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(error, error_size, "-o %s: the directory %s does not exist", path, dir);
        free(resolved);
        return -1;
    }
    target->kind = OUTPUT_FILE;
    target->path = resolved;
    return 0;
}

void output_free(struct output_target *target)
{
    free(target->path);
    *target = (struct output_target){0};
}

static const char temp_marker[] = ".convbench-";

/* Removes "<final>.convbench-<pid>-XXXXXX" files whose process is gone: what
 * a run that was killed (SIGKILL, a crash) left behind. A file whose process
 * still exists is another run's, and is left alone. */
static void remove_stale_temps(const char *final_path)
{
    size_t dir_length = directory_length(final_path);
    const char *slash = strrchr(final_path, '/');
    const char *base = slash ? slash + 1 : final_path;
    char prefix[NAME_MAX + 1];
    if ((size_t)snprintf(prefix, sizeof prefix, "%s%s", base, temp_marker) >= sizeof prefix)
        return;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(dir_length ? dir_length : 1),
             dir_length ? final_path : ".");
    DIR *d = opendir(dir);
    if (!d)
        return;
    const size_t prefix_length = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, prefix_length) != 0)
            continue;
        const char *p = e->d_name + prefix_length;
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p || *end != '-' || strlen(end + 1) != 6 || pid <= 0)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char *stale = join_path(dir, strlen(dir), e->d_name);
        if (stale && unlink(stale) == 0)
            fprintf(stderr, "convbench: removed %s, left by an earlier run (process %ld) "
                    "that did not finish\n", stale, pid);
        free(stale);
    }
    closedir(d);
}

/* Opens "<path>.convbench-<pid>-XXXXXX" beside path, so that the final rename
 * stays on one file system and a later run can tell whose file it is. */
static FILE *open_temp(const char *path, char **temp_path)
{
    size_t length = strlen(path) + sizeof temp_marker + 32;
    char *temp = malloc(length);
    if (!temp)
        return NULL;
    snprintf(temp, length, "%s%s%ld-XXXXXX", path, temp_marker, (long)getpid());
    int fd = mkostemp(temp, O_CLOEXEC);
    if (fd < 0) {
        free(temp);
        return NULL;
    }
    /* mkstemp makes the file 0600; a result file is an ordinary file */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    FILE *file = fdopen(fd, "w");
    if (!file) {
        close(fd);
        unlink(temp);
        free(temp);
        return NULL;
    }
    *temp_path = temp;
    return file;
}

int csv_sink_open(struct csv_sink *sink, const struct output_target *target, char *error,
                  size_t error_size)
{
    *sink = (struct csv_sink){.kind = target->kind};
    pthread_mutex_init(&sink->lock, NULL);
    if (target->kind == OUTPUT_STDOUT) {
        sink->file = stdout;
    } else if (target->kind == OUTPUT_STREAM) {
        /* no O_TRUNC: a device or FIFO is written as it is */
        int fd = open(target->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        sink->file = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!sink->file) {
            snprintf(error, error_size, "%s: cannot write: %s", target->path, strerror(errno));
            if (fd >= 0)
                close(fd);
            pthread_mutex_destroy(&sink->lock);
            return -1;
        }
    } else {
        sink->path = duplicate(target->path);
        sink->partial_path = sink->path ? partial_path_for(sink->path) : NULL;
        char *meta = sink->path ? meta_path_for(sink->path) : NULL;
        char *partial_meta = sink->partial_path ? meta_path_for(sink->partial_path) : NULL;
        if (meta && partial_meta) {
            remove_stale_temps(sink->path);
            remove_stale_temps(meta);
            remove_stale_temps(partial_meta);
            sink->file = open_temp(sink->path, &sink->temp_path);
        }
        free(meta);
        free(partial_meta);
        if (!sink->file) {
            snprintf(error, error_size, "%s: cannot write: %s", target->path, strerror(errno));
            free(sink->path);
            free(sink->partial_path);
            pthread_mutex_destroy(&sink->lock);
            *sink = (struct csv_sink){0};
            return -1;
        }
    }
    sink->writing = true;
    result_write_header(sink->file);
    if (fflush(sink->file) != 0) {
        snprintf(error, error_size, "%s: cannot write: %s",
                 target->path ? target->path : "standard output", strerror(errno));
        csv_sink_abort(sink);
        return -1;
    }
    return 0;
}

int csv_sink_set_meta(struct csv_sink *sink, const char *const *lines, size_t count)
{
    size_t size = 1;
    for (size_t i = 0; i < count; i++)
        size += strlen(lines[i]) + 1;
    char *text = malloc(size), *p = text;
    if (!text)
        return -1;
    for (size_t i = 0; i < count; i++)
        p += sprintf(p, "%s\n", lines[i]);
    *p = '\0';
    pthread_mutex_lock(&sink->lock);
    free(sink->meta_lines);
    sink->meta_lines = text;
    pthread_mutex_unlock(&sink->lock);
    return 0;
}

/* Writes a .meta under a temporary name beside meta_path and syncs it:
 * "lines" (each '\n'-terminated), then the identity of its CSV. Returns the
 * temporary name, or NULL with errno set. */
static char *write_meta_temp(const char *meta_path, const char *lines, size_t rows,
                             long long csv_bytes)
{
    char *temp;
    FILE *file = open_temp(meta_path, &temp);
    if (!file)
        return NULL;
    fprintf(file, "%scsv_rows = %zu\ncsv_bytes = %lld\n", lines, rows, csv_bytes);
    int saved = 0;
    if (fflush(file) != 0 || ferror(file) || fsync(fileno(file)) != 0)
        saved = errno ? errno : EIO;
    if (fclose(file) != 0 && !saved)
        saved = errno;
    if (saved) {
        unlink(temp);
        free(temp);
        errno = saved;
        return NULL;
    }
    return temp;
}

static void sink_release(struct csv_sink *sink)
{
    FREE_ALL(sink->temp_path, sink->path, sink->partial_path, sink->meta_lines);
    sink->temp_path = sink->path = sink->partial_path = sink->meta_lines = NULL;
    sink->file = NULL;
    sink->writing = false;
}

int csv_sink_commit(struct csv_sink *sink, bool partial, const char *const *meta_lines,
                    size_t meta_count, char *error, size_t error_size)
{
    pthread_mutex_lock(&sink->lock);
    int status = 0;
    if (sink->kind != OUTPUT_FILE) {
        if (fflush(sink->file) != 0) {
            snprintf(error, error_size, "%s: %s", sink->kind == OUTPUT_STDOUT ?
                     "standard output" : "the output", strerror(errno));
            status = -1;
        }
        if (sink->kind == OUTPUT_STREAM)
            fclose(sink->file);
        sink_release(sink);
        pthread_mutex_unlock(&sink->lock);
        return status;
    }

    const char *csv_path = partial ? sink->partial_path : sink->path;
    char *meta_path = meta_path_for(csv_path), *meta_temp = NULL;
    long long csv_bytes = -1;
    if (fflush(sink->file) != 0 || ferror(sink->file) || fsync(fileno(sink->file)) != 0 ||
        (csv_bytes = ftello(sink->file)) < 0) {
        snprintf(error, error_size, "%s: cannot write: %s", sink->temp_path, strerror(errno));
        status = -1;
    }
    if (fclose(sink->file) != 0 && status == 0) {
        snprintf(error, error_size, "%s: cannot write: %s", sink->temp_path, strerror(errno));
        status = -1;
    }
    sink->file = NULL;
    if (status == 0) {
        size_t size = 1;
        for (size_t i = 0; i < meta_count; i++)
            size += strlen(meta_lines[i]) + 1;
        char *text = malloc(size), *p = text;
        if (text) {
            for (size_t i = 0; i < meta_count; i++)
                p += sprintf(p, "%s\n", meta_lines[i]);
            *p = '\0';
        }
        meta_temp = text && meta_path ? write_meta_temp(meta_path, text, sink->rows, csv_bytes)
                                      : NULL;
        if (!meta_temp) {
            snprintf(error, error_size, "%s: cannot write: %s; %s is left as it was",
                     meta_path ? meta_path : "the .meta", text ? strerror(errno) : "out of memory",
                     csv_path);
            status = -1;
        }
        free(text);
    }
    /* both files are complete and on disk: now both go into place */
    if (status == 0 && rename(sink->temp_path, csv_path) != 0) {
        snprintf(error, error_size, "%s: cannot rename into place: %s", csv_path,
                 strerror(errno));
        status = -1;
    }
    if (status == 0 && rename(meta_temp, meta_path) != 0) {
        snprintf(error, error_size, "%s: cannot rename into place: %s (its csv_rows and "
                 "csv_bytes do not match %s)", meta_path, strerror(errno), csv_path);
        status = -1;
    }
    if (status != 0) {
        unlink(sink->temp_path);
        if (meta_temp)
            unlink(meta_temp);
    }
    free(meta_temp);
    free(meta_path);
    sink_release(sink);
    pthread_mutex_unlock(&sink->lock);
    return status;
}

void csv_sink_abort(struct csv_sink *sink)
{
    pthread_mutex_lock(&sink->lock);
    if (sink->kind == OUTPUT_FILE) {
        if (sink->file)
            fclose(sink->file);
        if (sink->temp_path)
            unlink(sink->temp_path);
    } else if (sink->file) {
        fflush(sink->file);
        if (sink->kind == OUTPUT_STREAM)
            fclose(sink->file);
    }
    sink_release(sink);
    pthread_mutex_unlock(&sink->lock);
}

void csv_sink_save_partial(struct csv_sink *sink, int first_signal)
{
    pthread_mutex_lock(&sink->lock);
    const char *signal = first_signal == SIGINT ? "SIGINT" : "SIGTERM";
    if (!sink->writing) {
        fprintf(stderr, "\nconvbench: a second signal: stopped\n");
        return;
    }
    if (sink->kind != OUTPUT_FILE) {
        fflush(sink->file);
        fprintf(stderr, "\nconvbench: a second signal: stopped; the %zu rows finished were "
                "written to %s\n", sink->rows, sink->kind == OUTPUT_STDOUT ?
                "standard output" : "the output");
        return;
    }
    /* every finished row was flushed to the temporary file when written */
    long long csv_bytes = ftello(sink->file);
    char *meta_path = meta_path_for(sink->partial_path), *meta_temp = NULL;
    char interrupted[128];
    snprintf(interrupted, sizeof interrupted, "interrupted = %s, then a second signal, "
             "after %zu rows; the row under way was dropped\n", signal, sink->rows);
    size_t size = strlen(interrupted) + (sink->meta_lines ? strlen(sink->meta_lines) : 0) + 1;
    char *text = malloc(size);
    if (text)
        snprintf(text, size, "%s%s", sink->meta_lines ? sink->meta_lines : "", interrupted);
    if (fsync(fileno(sink->file)) == 0 && rename(sink->temp_path, sink->partial_path) == 0) {
        if (text && meta_path && (meta_temp = write_meta_temp(meta_path, text, sink->rows,
                                                              csv_bytes)))
            rename(meta_temp, meta_path);
        fprintf(stderr, "\nconvbench: a second signal: stopped; the %zu rows finished are in "
                "%s\n", sink->rows, sink->partial_path);
    } else {
        fprintf(stderr, "\nconvbench: a second signal: the %zu rows finished are in %s "
                "(cannot rename it: %s)\n", sink->rows, sink->temp_path, strerror(errno));
    }
    free(text);
    free(meta_temp);
    free(meta_path);
}

char *partial_path_for(const char *path)
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

char *path_beside(const char *csv_path, const char *suffix)
{
    size_t length = strlen(csv_path);
    if (length > 4 && strcmp(csv_path + length - 4, ".csv") == 0)
        length -= 4;
    const size_t size = length + strlen(suffix) + 1;
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%.*s%s", (int)length, csv_path, suffix);
    return path;
}

char *meta_path_for(const char *csv_path)
{
    return path_beside(csv_path, ".meta");
}
