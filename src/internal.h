/* Cross-module helpers that are not part of the public API (cs__ names). */
#ifndef CRAMPSTAT_INTERNAL_H
#define CRAMPSTAT_INTERNAL_H

#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/calories.h>
#include <crampstat/error.h>
#include <crampstat/stats.h>

/* A partial-state text being parsed (aggregate and calories states share
 * the line format: space-separated words, one record a line). The input
 * is untrusted: every helper fails with CS_EDATA at name:line. */
typedef struct cs__ptext {
    const char *name;
    const char *p, *end;
    unsigned long line;   /* lines read so far */
    cs_error *err;
} cs__ptext;

/* Set a CS_EDATA error at name:line; returns CS_EDATA. */
int cs__ptext_err(cs__ptext *t, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The next line without its newline: 1, 0 at the end, or CS_EDATA when
 * the last line has no newline (a truncated state; that line is named). */
int cs__ptext_line(cs__ptext *t, cs_str *line);
/* Split off the first space-separated word of s. */
cs_str cs__ptext_word(cs_str *s);
/* w as a count: 0, or -1 when it is not digits only, -2 when it does
 * not fit in 64 bits. */
int cs__parse_u64(cs_str w, uint64_t *out);
/* Decode the percent-encoded bytes of a state's string (after its ':'):
 * every byte <= 0x20 or >= 0x7f is written as %XX, so such a byte seen
 * raw, an escape that is not two hex digits, or %00 is refused. Writes
 * at most cap - 1 bytes and a NUL into out, *len the bytes. Returns 0,
 * -1 a bad escape, -2 an unescaped byte, -3 longer than cap - 1. */
int cs__ptext_unescape(cs_str in, char *out, size_t cap, size_t *len);
/* The next word of s as a count (a whole number >= 0 that fits 64 bits). */
int cs__ptext_u64(cs__ptext *t, cs_str *s, uint64_t *out);

/* A 2x2 table's counts as doubles with its margins (stats.c, epi.c):
 * exact below 2^53, and the sums cannot wrap as uint64_t sums could. */
typedef struct cs__tab {
    double a, b, c, d;
    double n1, n0;   /* exposed, unexposed (row totals) */
    double m1, m0;   /* cases, non-cases (column totals) */
    double n;
} cs__tab;
cs__tab cs__tab_of(const cs_2x2 *t);
/* est, lo, hi all NaN. */
void cs__ci_nan(cs_ci *ci);
/* Chi-square upper tail; NaN for a statistic below 0 or df <= 0. */
double cs__chisq_q(double stat, double df);

/* calories.c for calories_report.c: a goal's signed lb/week as the state
 * writes it ("-0.5"), and the targets of a group (-1 all) and direction
 * (-1 all) in one fresh histogram (CS_ENOMEM). */
const char *cs__cal_lb_text(int goal);
int cs__cal_combined(cs_cal_hist *out, const cs_cal *c, int group, int dir);

/* reader.c: the structural scans, for the tests. cs__scan_index builds
 * the index of n bytes at p with the scan called name ("scalar", "sse2",
 * "avx2"): per 64 bytes, a word of the commas (bit i: p[i]), then one of
 * '"' LF CR; it returns -1 when this build or CPU lacks that scan.
 * cs__reader_scan names the scan a reader uses. */
struct cs_reader;
int cs__scan_index(const char *name, uint64_t *idx, const char *p, size_t n);
const char *cs__reader_scan(const struct cs_reader *r);

#endif
