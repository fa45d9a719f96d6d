#include "results.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char csv_header[] =
    "config,layer,kind,block,repeat,batch,c_in,h_in,w_in,c_out,h_out,w_out,kernel_h,kernel_w,"
    "stride_h,stride_w,pad_h,pad_w,dilation_h,dilation_w,groups,bias,params,macs,macs_nopad,"
    "flops,bytes,variant,threads,reps,time_min_us,time_median_us,time_cv,gflops,peak_gflops,"
    "efficiency,max_abs_err,max_rel_err,status,note,reorder_us,impl";

const char *row_status_name(enum row_status status)
{
    switch (status) {
    case ROW_OK: return "ok";
    case ROW_MISMATCH: return "mismatch";
    case ROW_UNSUPPORTED: return "unsupported";
    case ROW_ERROR: return "error";
    }
    return "error";
}

double row_gflops(const struct result_row *row)
{
    if (!row->timed || row->timing.median_us <= 0.0)
        return 0.0;
    return (double)row->cost.flops / (row->timing.median_us * 1e3);
}

void csv_put_field(FILE *file, const char *text, bool last)
{
    if (strpbrk(text, ",\"\r\n") || (text[0] == ' ') ||
        (text[0] && text[strlen(text) - 1] == ' '))
        csv_fwrite(file, text, strlen(text));
    else
        fputs(text, file);
    fputc(last ? '\n' : ',', file);
}

static void put_int(FILE *file, int64_t value)
{
    fprintf(file, "%" PRId64 ",", value);
}

/* a number, or an empty field when there is none */
static void put_real(FILE *file, bool present, const char *format, double value)
{
    if (present)
        fprintf(file, format, value);
    fputc(',', file);
}

int csv_sink_write(struct csv_sink *sink, const struct result_row *row)
{
    FILE *f = sink->file;
    const struct conv_layer *l = row->layer;
    const struct layer_cost *c = &row->cost;

    csv_put_field(f, row->config, false);
    csv_put_field(f, l->name, false);
    csv_put_field(f, layer_kind_name(layer_kind(l)), false);
    csv_put_field(f, l->block, false);
    const int64_t shape[] = {l->repeat,   l->batch,    l->c_in,       l->h_in,
                             l->w_in,     l->c_out,    l->h_out,      l->w_out,
                             l->kernel_h, l->kernel_w, l->stride_h,   l->stride_w,
                             l->pad_h,    l->pad_w,    l->dilation_h, l->dilation_w,
                             l->groups};
    for (size_t i = 0; i < sizeof shape / sizeof *shape; i++)
        put_int(f, shape[i]);
    csv_put_field(f, l->bias ? "true" : "false", false);
    put_int(f, c->params);
    put_int(f, c->macs);
    put_int(f, c->macs_nopad);
    put_int(f, c->flops);
    put_int(f, c->bytes);
    csv_put_field(f, row->variant, false);
    put_int(f, row->threads);
    put_int(f, row->timed ? row->timing.samples : 0);

    const double gflops = row_gflops(row);
    put_real(f, row->timed, "%.3f", row->timing.min_us);
    put_real(f, row->timed, "%.3f", row->timing.median_us);
    put_real(f, row->timed, "%.4f", row->timing.cv);
    put_real(f, row->timed, "%.3f", gflops);
    put_real(f, row->peak_gflops > 0.0, "%.1f", row->peak_gflops);
    put_real(f, row->timed && row->peak_gflops > 0.0, "%.4f", gflops / row->peak_gflops);
    put_real(f, row->verified, "%.3e", row->check.max_abs_err);
    put_real(f, row->verified, "%.3e", row->check.max_rel_err);
    csv_put_field(f, row_status_name(row->status), false);
    csv_put_field(f, row->note, false);
    put_real(f, row->reorder_us >= 0.0, "%.3f", row->reorder_us);
    csv_put_field(f, row->impl, true);
    sink->rows++;
    /* rows reach the file as they are measured */
    return fflush(f) == 0 ? 0 : -1;
}

static char *duplicate(const char *s)
{
    char *copy = malloc(strlen(s) + 1);
    if (copy)
        strcpy(copy, s);
    return copy;
}

/* Opens "<path>.XXXXXX" beside path, so that the final rename stays on one
 * file system. */
static FILE *open_temp(const char *path, char **temp_path)
{
    size_t length = strlen(path) + 8;
    char *temp = malloc(length);
    if (!temp)
        return NULL;
    snprintf(temp, length, "%s.XXXXXX", path);
    int fd = mkstemp(temp);
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

int csv_sink_open(struct csv_sink *sink, const char *path, char *error, size_t error_size)
{
    *sink = (struct csv_sink){0};
    if (strcmp(path, "-") == 0) {
        sink->file = stdout;
    } else {
        sink->path = duplicate(path);
        sink->file = sink->path ? open_temp(path, &sink->temp_path) : NULL;
        if (!sink->file) {
            snprintf(error, error_size, "%s: cannot write: %s", path, strerror(errno));
            free(sink->path);
            sink->path = NULL;
            return -1;
        }
    }
    fprintf(sink->file, "%s\n", csv_header);
    return 0;
}

int csv_sink_commit(struct csv_sink *sink, const char *final_path, char *error,
                    size_t error_size)
{
    int status = 0;
    if (!sink->path) {
        if (fflush(sink->file) != 0) {
            snprintf(error, error_size, "standard output: %s", strerror(errno));
            status = -1;
        }
        sink->file = NULL;
        return status;
    }
    if (fflush(sink->file) != 0 || fsync(fileno(sink->file)) != 0 || ferror(sink->file)) {
        snprintf(error, error_size, "%s: cannot write: %s", sink->temp_path, strerror(errno));
        status = -1;
    }
    if (fclose(sink->file) != 0 && status == 0) {
        snprintf(error, error_size, "%s: cannot write: %s", sink->temp_path, strerror(errno));
        status = -1;
    }
    sink->file = NULL;
    const char *target = final_path ? final_path : sink->path;
    if (status == 0 && rename(sink->temp_path, target) != 0) {
        snprintf(error, error_size, "%s: cannot rename into place: %s", target,
                 strerror(errno));
        status = -1;
    }
    if (status != 0)
        unlink(sink->temp_path);
    free(sink->temp_path);
    free(sink->path);
    sink->temp_path = sink->path = NULL;
    return status;
}

void csv_sink_abort(struct csv_sink *sink)
{
    if (sink->path) {
        if (sink->file)
            fclose(sink->file);
        unlink(sink->temp_path);
    } else if (sink->file) {
        fflush(sink->file);
    }
    free(sink->temp_path);
    free(sink->path);
    *sink = (struct csv_sink){0};
}

char *meta_path_for(const char *csv_path)
{
    size_t length = strlen(csv_path);
    char *path = malloc(length + 6);
    if (!path)
        return NULL;
    strcpy(path, csv_path);
    if (length > 4 && strcmp(path + length - 4, ".csv") == 0)
        path[length - 4] = '\0';
    strcat(path, ".meta");
    return path;
}

int meta_write(const char *path, const char *const *lines, size_t count, char *error,
               size_t error_size)
{
    char *temp;
    FILE *file = open_temp(path, &temp);
    if (!file) {
        snprintf(error, error_size, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        fprintf(file, "%s\n", lines[i]);
    int status = (fflush(file) == 0 && !ferror(file)) ? 0 : -1;
    if (fclose(file) != 0)
        status = -1;
    if (status == 0 && rename(temp, path) != 0)
        status = -1;
    if (status != 0) {
        snprintf(error, error_size, "%s: cannot write: %s", path, strerror(errno));
        unlink(temp);
    }
    free(temp);
    return status;
}
