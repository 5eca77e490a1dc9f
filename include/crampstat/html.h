/* The self-contained HTML report of analyze: inline CSS and SVG, no
 * scripts, no network; every string that comes from the data is escaped. */
#ifndef CRAMPSTAT_HTML_H
#define CRAMPSTAT_HTML_H

#include <stdint.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include <crampstat/ingest.h>
#include <crampstat/report.h>

typedef struct cs_html_input {
    const char *role;          /* "survey" or "exercise" */
    const char *path;
    uint64_t size;
    char sha256[65];
    cs_ingest_counts counts;   /* read / accepted / rejected at ingest */
} cs_html_input;

typedef struct cs_html_doc {
    const cs_agg *agg;
    const cs_cal *cal;         /* NULL: no calorie section */
    const cs_report_opts *ro;
    const cs_html_input *inputs;
    size_t ninputs;
    uint64_t sessions_read, sessions_joined, no_survey;
    const cs_rejlog *rej;      /* rejections by column */
    const char *command;       /* the command line */
    const char *when;          /* ISO 8601 time of the run */
    const char *rules_text;    /* crampstat rules output */
} cs_html_doc;

int cs_html_render(const cs_html_doc *d, cs_buf *out);

#endif
