#include "html.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "meta.h"

static void put_escaped(FILE *f, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*text, f);
        }
    }
}

static void put_meta_row(const char *key, const char *value, void *context)
{
    FILE *f = context;
    fputs("<tr><th>", f);
    put_escaped(f, key);
    fputs("</th><td>", f);
    put_escaped(f, value);
    fputs("</td></tr>\n", f);
}

/* The chart's name from its file: PREFIX-NAME.svg -> NAME. */
static const char *chart_name(const char *path, const char *prefix, char *name, size_t size)
{
    const size_t skip = strlen(prefix) + 1;
    const char *start = strncmp(path, prefix, skip - 1) == 0 && path[skip - 1] == '-' ? path + skip
                                                                                      : path;
    size_t length = strlen(start);
    if (length > 4 && strcmp(start + length - 4, ".svg") == 0)
        length -= 4;
    snprintf(name, size, "%.*s", (int)length, start);
    return name;
}

/* Copies an SVG file into the page from its <svg> element on (the XML
 * prolog has no place inside HTML), with every id and every reference to
 * one prefixed, so that the charts' identical ids (gnuplot names its
 * markers alike in every file) stay apart. */
static int inline_svg(FILE *out, const char *path, const char *prefix)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return -1;
    fseek(in, 0, SEEK_END);
    const long size = ftell(in);
    rewind(in);
    char *text = size > 0 ? malloc((size_t)size + 1) : NULL;
    const bool read = text && fread(text, 1, (size_t)size, in) == (size_t)size;
    fclose(in);
    if (!read) {
        free(text);
        return -1;
    }
    text[size] = '\0';
    const char *at = strstr(text, "<svg");
    if (!at) {
        free(text);
        return -1;
    }
    static const char *const marks[] = {"id='", "id=\"", "href='#", "href=\"#", "url(#"};
    while (*at) {
        const char *next = NULL, *mark = NULL;
        for (size_t m = 0; m < sizeof marks / sizeof *marks; m++) {
            const char *found = strstr(at, marks[m]);
            if (found && (!next || found < next))
                next = found, mark = marks[m];
        }
        if (!next) {
            fputs(at, out);
            break;
        }
        const size_t upto = (size_t)(next - at) + strlen(mark);
        fwrite(at, 1, upto, out);
        fprintf(out, "%s-", prefix);
        at += upto;
    }
    free(text);
    return 0;
}

static const char style[] =
    "body{font-family:sans-serif;margin:2em auto;max-width:1320px;padding:0 1em;color:#222}"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;font-size:.9em}th,td{text-align:left;padding:.15em .8em;"
    "border-bottom:1px solid #eee;vertical-align:top}th{font-weight:600;white-space:nowrap}"
    "pre{font-size:.8em;background:#f7f7f7;padding:1em;overflow-x:auto}"
    "figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:.3em}"
    "svg{width:100%;height:auto;border:1px solid #eee}nav a{margin-right:1em}";

static void write_page(FILE *f, const struct html_report *r, char *error, size_t error_size,
                       int *status)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
          "convbench: ", f);
    put_escaped(f, r->title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>convbench: ", style);
    put_escaped(f, r->title);
    fputs("</h1>\n<p>Results: <code>", f);
    put_escaped(f, r->csv_path);
    fputs("</code> (the CSV holds every row; its <code>.meta</code> the machine and the "
          "settings below).</p>\n<nav><a href=\"#machine\">Machine</a>", f);
    if (r->summary)
        fputs("<a href=\"#summary\">Summary</a>", f);
    if (r->chart_count)
        fputs("<a href=\"#charts\">Charts</a>", f);
    fputs("</nav>\n<h2 id=\"machine\">Machine and settings</h2>\n<table>\n", f);
    if (meta_read_lines(r->csv_path, put_meta_row, f) != 0)
        fputs("<tr><td>no .meta beside the result</td></tr>\n", f);
    fputs("</table>\n", f);
    if (r->summary) {
        fputs("<h2 id=\"summary\">Summary</h2>\n<p>The closing summary of the run as it "
              "printed it, per thread count: times per layer and variant, blocks, speed-ups "
              "taken apart, the best-of schedule and layouts, the map of sweeps, roofline "
              "bounds, and each variant's speed against the baseline.</p>\n<pre>", f);
        put_escaped(f, r->summary);
        fputs("</pre>\n", f);
    }
    if (r->chart_count) {
        fputs("<h2 id=\"charts\">Charts</h2>\n", f);
        for (size_t c = 0; c < r->chart_count; c++) {
            char name[256], id[32];
            chart_name(r->charts[c], r->prefix, name, sizeof name);
            snprintf(id, sizeof id, "chart%zu", c + 1);
            fprintf(f, "<figure id=\"%s\">\n<figcaption>", id);
            put_escaped(f, name);
            fputs("</figcaption>\n", f);
            if (inline_svg(f, r->charts[c], id) != 0) {
                snprintf(error, error_size, "%s: cannot read the chart", r->charts[c]);
                *status = -1;
            }
            fputs("\n</figure>\n", f);
        }
    }
    fputs("</body>\n</html>\n", f);
}

int html_report_write(const char *path, const struct html_report *r, char *error,
                      size_t error_size)
{
    struct atomic_file page;
    if (atomic_open(&page, path, error, error_size) != 0)
        return -1;
    int status = 0;
    write_page(page.file, r, error, error_size, &status);
    if (atomic_close(&page, status == 0, error, error_size) != 0)
        status = -1;
    return status;
}
