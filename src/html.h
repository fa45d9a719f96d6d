/* The report page of a result: one self-contained HTML file (inline SVG
 * charts, inline style, nothing fetched, no script) with the machine and
 * the run's settings (the .meta), the closing summary's tables and every
 * chart drawn. */
#ifndef CONVBENCH_HTML_H
#define CONVBENCH_HTML_H

#include <stddef.h>

struct html_report {
    const char *title;      /* the config(s) the result is of */
    const char *csv_path;   /* the result, named on the page; its .meta is read */
    const char *summary;    /* the closing summary as printed, or NULL */
    const char *prefix;     /* the charts are PREFIX-NAME.svg */
    char *const *charts;    /* SVG files to inline, in order */
    size_t chart_count;
};

/* Writes the page to path (through a temporary file renamed into place).
 * Returns 0, or -1 with the reason in error. */
int html_report_write(const char *path, const struct html_report *report, char *error,
                      size_t error_size);

#endif
