/* The dose-response and incidence-over-time sections of the HTML report:
 * inline SVG charts with <title> and <desc>, each followed by its data
 * table; no scripts. Called by cs_html_render. */
#ifndef CRAMPSTAT_HTML_DOSE_H
#define CRAMPSTAT_HTML_DOSE_H

#include <crampstat/aggregate.h>
#include <crampstat/buf.h>
#include <crampstat/report.h>

/* A chart of the risk per band, with its interval, per exposure. */
int cs_html_dose(cs_buf *b, const cs_report *r);
/* A line chart of the rate per 1000 h per period, with its interval as a
 * band. */
int cs_html_over_time(cs_buf *b, const cs_report *r);

#endif
