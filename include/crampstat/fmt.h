/* Output helpers shared by every report: tables rendered as aligned text,
 * Markdown, CSV or TSV; JSON strings and numbers; number formats. */
#ifndef CRAMPSTAT_FMT_H
#define CRAMPSTAT_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/buf.h>

enum cs_format {
    CS_FMT_PRETTY = 0, CS_FMT_CSV, CS_FMT_TSV, CS_FMT_JSON, CS_FMT_MD,
    CS_FMT_HTML
};

/* "pretty", "csv", ...; -1 for an unknown name. */
int cs_format_parse(const char *name);
const char *cs_format_name(int f);

/* A table of text cells. Like cs_buf its error sticks: after a failed
 * init or add, further adds do nothing, and cs_table_render passes the
 * failure on to its buffer, so a renderer builds, renders and disposes a
 * table without checking each step. */
typedef struct cs_table {
    size_t ncols, nrows, cap;
    char **cells;             /* (nrows + 1) x ncols, row 0 = header */
    unsigned char *numeric;   /* per column: right-aligned in pretty */
    int code;                 /* the first failure (CS_ENOMEM) or CS_OK */
} cs_table;

int cs_table_init(cs_table *t, size_t ncols, const char *const *header);
/* Add a row of ncols strings (copied; NULL = empty). */
int cs_table_add(cs_table *t, const char *const *cells);
void cs_table_dispose(cs_table *t);
/* Render as CS_FMT_PRETTY (aligned, two spaces between columns),
 * CS_FMT_MD, CS_FMT_CSV (RFC 4180), CS_FMT_TSV. safe_csv neutralises cells
 * that a spreadsheet would run as formulas. A table that failed to build
 * renders nothing and sets out's error. Returns out's error code. */
int cs_table_render(const cs_table *t, int format, int safe_csv, cs_buf *out);
/* Markdown text of s[0..n) appended to b, with the bytes that would
 * become markup escaped ('|', '\\', '`', '<' before a letter, '/', '!'
 * or '?', '&' before a letter or '#'): for data in a Markdown report.
 * cs_md_extra: how many bytes longer that text is than s. */
int cs_md_append(cs_buf *b, const char *s, size_t n);
size_t cs_md_extra(const char *s, size_t n);

/* JSON pieces. */
int cs_json_str(cs_buf *b, const char *s);
int cs_json_strn(cs_buf *b, const char *s, size_t n);
/* A number with full precision (shortest text that reads back the same);
 * null when not finite. */
int cs_json_num(cs_buf *b, double v);
int cs_json_u64(cs_buf *b, uint64_t v);

/* Display numbers: fixed decimals ("-" when not finite); p-values as
 * "<0.001" or three significant decimals. */
void cs_fmt_disp(char *dst, size_t cap, double v, int decimals);
void cs_fmt_p(char *dst, size_t cap, double p);
/* "1.23 (0.98, 1.54)" */
void cs_fmt_ci(char *dst, size_t cap, double est, double lo, double hi,
               int decimals);

/* Numbers and dates as the stages write them, locale-free where it
 * matters (the data's decimal point is always '.'):
 * cs_fmt_double: the shortest of %.15g, %.16g, %.17g that reads back as
 * v ("" for NaN), without printf in the common range; returns the length.
 * cs_fmt_fixed: v to `decimals` places ("" for NaN); "-0.00" only for a
 * value below zero by more than rounding noise (v <= -1e-12), never for
 * -0: an interval's upper limit of -0.0016 does not reach 0.
 * cs_fmt_plain: the shortest that reads back, never in exponent form
 * (rules files and partial states: their parsers take plain decimals).
 * cs_fmt_date: "YYYY-MM-DD" of a day number since 1970-01-01 into dst (at
 * least 11 bytes); returns 10. */
int cs_fmt_double(char *dst, size_t cap, double v);
int cs_fmt_fixed(char *dst, size_t cap, double v, int decimals);
void cs_fmt_plain(char *dst, size_t cap, double x);
int cs_fmt_date(char *dst, size_t cap, int32_t days);

/* HTML-escape s into b (& < > " '). */
int cs_html_escape(cs_buf *b, const char *s);

#endif
