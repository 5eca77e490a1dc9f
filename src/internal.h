/* Cross-module helpers that are not part of the public API (cs__ names). */
#ifndef CRAMPSTAT_INTERNAL_H
#define CRAMPSTAT_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/buf.h>
#include <crampstat/calories.h>
#include <crampstat/error.h>
#include <crampstat/idset.h>
#include <crampstat/stats.h>
#include <crampstat/tag.h>

/* 1 when words may be read little-endian (the SWAR reads of schema.c
 * and tagread.c); elsewhere those reads are skipped. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CS_LITTLE_ENDIAN 1
#else
#define CS_LITTLE_ENDIAN 0
#endif

/* Eight bytes of text read as a little-endian word (byte 0, the first
 * character, lowest): the SWAR reads of value.c and idset.c. */
static inline uint64_t cs__word_at(const char *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
    return w;
}

/* Bits in the high nibble of each byte of x that is not an ASCII digit
 * (high nibble 3, low nibble plus 6 not carrying); no carry crosses a
 * byte. 0 when all eight are digits. */
static inline uint64_t cs__non_digits(uint64_t x)
{
    const uint64_t hi = UINT64_C(0xf0f0f0f0f0f0f0f0),
                   lo = UINT64_C(0x0f0f0f0f0f0f0f0f);

    return ((x & hi) ^ UINT64_C(0x3030303030303030)) |
           (((x & lo) + UINT64_C(0x0606060606060606)) & hi);
}

/* The number the eight digits of x make, byte 0 the most significant
 * (only each byte's low nibble is read, so a byte 0x00 counts as a
 * leading 0). Pairs, then fours, then the eight, each by one multiply. */
static inline uint64_t cs__eight_digits(uint64_t x)
{
    x = ((x & UINT64_C(0x0f0f0f0f0f0f0f0f)) * 2561) >> 8;
    x = ((x & UINT64_C(0x00ff00ff00ff00ff)) * 6553601) >> 16;
    return ((x & UINT64_C(0x0000ffff0000ffff)) * UINT64_C(42949672960001)) >> 32;
}

/* Zeroed memory on cache lines of its own, for a state the counting
 * thread writes at every session: sharing a line with anything the
 * reading thread writes would move the line between the cores at each
 * write (a calloc'd 2 KB state beside the reader's record cost the
 * counting thread a third more time). Freed with free. */
static inline void *cs__calloc_lines(size_t n)
{
    size_t m = (n + 63) / 64 * 64;
    void *p = aligned_alloc(64, m ? m : 64);

    if (p)
        memset(p, 0, m);
    return p;
}

/* The least robust (sandwich) variance taken as information. Robust
 * variances here are sums of squares expanded into moments and summed
 * back, so a variance that is 0 (a group whose sessions come from too few
 * participants to vary) comes out as rounding, 1e-30 or so, and gave
 * intervals of zero width and p values near 0. A standard error below
 * 1e-8, on a log scale or a risk's, would need some 10^16 sessions. */
#define CS__ROBUST_VAR_MIN 1e-16

/* Copies of participant ids that never move, so that a table can point
 * at an id from the moment it has one: blocks of 256 bytes doubling to
 * 64 KiB (a small table stays small), an id longer than a block in one
 * of its own. The copies are not NUL-terminated. Zeroed is empty. */
typedef struct cs__idstore {
    char **blk;
    size_t n, cap;        /* blocks, and room for their pointers */
    size_t used, size;    /* bytes used and allocated of the last block */
    size_t bytes;         /* allocated in all the blocks */
} cs__idstore;

/* The hash of a participant id in the per-participant tables of
 * cluster.c and dose.c (idset.c's cs_hash64, folded). */
static inline uint32_t cs__id_hash(const char *id, size_t len)
{
    uint64_t h = cs_hash64(id, len, 0);
    return (uint32_t)(h ^ (h >> 32));
}

/* A copy of the len bytes at id; NULL when out of memory. */
const char *cs__idstore_copy(cs__idstore *s, const char *id, size_t len);
/* Bytes allocated, the list of blocks included. */
size_t cs__idstore_bytes(const cs__idstore *s);
void cs__idstore_free(cs__idstore *s);

/* A partial-state text being parsed (aggregate and calories states share
 * the line format: space-separated words, one record a line). The input
 * is untrusted: every helper fails with CS_EDATA at name:line. */
typedef struct cs__ptext {
    const char *name;
    const char *p, *end;
    unsigned long line;   /* lines read so far */
    cs_error *err;
    int in_section;       /* cs__ptext_line stops at "section" and "end" */
} cs__ptext;

/* Set a CS_EDATA error at name:line; returns CS_EDATA. */
int cs__ptext_err(cs__ptext *t, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The next line without its newline: 1, 0 at the end, or CS_EDATA when
 * the last line has no newline (a truncated state; that line is named).
 * Inside a section (in_section) a "section ...", "leaf ...", "sha256 ..."
 * or "end" line is its end: 0, and the line is left for the next read. */
int cs__ptext_line(cs__ptext *t, cs_str *line);
/* Split off the first space-separated word of s. */
cs_str cs__ptext_word(cs_str *s);
/* w as a count: 0, or -1 when it is not digits only, -2 when it does
 * not fit in 64 bits. Inline: tagread.c reads short counts with it at
 * every row. */
static inline int cs__parse_u64(cs_str w, uint64_t *out)
{
    uint64_t v = 0;

    if (w.len == 0 || w.len > 20)
        return -1;
    for (size_t i = 0; i < w.len; i++) {
        unsigned d = (unsigned)((unsigned char)w.ptr[i] - '0');
        if (d > 9)
            return -1;
        if (v > (UINT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}
/* Decode the percent-encoded bytes of a state's string (after its ':'):
 * every byte <= 0x20 or >= 0x7f is written as %XX, so such a byte seen
 * raw, an escape that is not two hex digits, or %00 is refused. Writes
 * at most cap - 1 bytes and a NUL into out, *len the bytes. Returns 0,
 * -1 a bad escape, -2 an unescaped byte, -3 longer than cap - 1. */
int cs__ptext_unescape(cs_str in, char *out, size_t cap, size_t *len);
/* The next word of s as a count (a whole number >= 0 that fits 64 bits). */
int cs__ptext_u64(cs__ptext *t, cs_str *s, uint64_t *out);

/* The next line, which must begin with key: its rest in *rest. */
int cs__ptext_key(cs__ptext *t, const char *key, cs_str *rest);
/* ":percent-encoded" into a fresh string (CS_EDATA, CS_ENOMEM). */
int cs__ptext_str(cs__ptext *t, cs_str s, char **out);
/* The same into dst of cap bytes; "KEY: value too long" beyond. */
int cs__ptext_fixed_str(cs__ptext *t, const char *key, char *dst, size_t cap);
/* Write s as ':' and percent-encoded bytes (its inverse). */
void cs__put_str(cs_buf *b, const char *s);
/* x += y; -1 on overflow. */
int cs__add_u64(uint64_t *x, uint64_t y);

/* The levels of a stratifying or adjustment column (aggregate.c). */
struct cs_agg_level;
/* Index of the level named v, added when new; -1 out of memory, -2 too
 * many levels. The level of the last session, usually, is a test in the
 * caller (factors.c and logistic.c look one up for every session): the
 * call it saves cost more than the test. */
long cs__level_search(struct cs_agg_level **lv, size_t *n, size_t *last,
                      cs_str v);
static inline long cs__level_find(struct cs_agg_level **lv, size_t *n,
                                  size_t *last, cs_str v)
{
    const struct cs_agg_level *l = *lv;

    if (*last < *n && l[*last].name_len == v.len &&
        cs_bytes_eq(l[*last].name, v.ptr, v.len))
        return (long)*last;
    return cs__level_search(lv, n, last, v);
}
int cs__level_error(long rc, const char *col, cs_error *err);
void cs__levels_free(struct cs_agg_level *l, size_t n);
int cs__level_cmp(const void *x, const void *y);
/* A "stratum" or "level" line's rest (":VALUE") read into a new level:
 * the level, or NULL with the error set (bad value, given twice, too many
 * levels, out of memory). */
struct cs_agg_level *cs__level_read(cs__ptext *t, cs_str rest,
                                    struct cs_agg_level **lv, size_t *n,
                                    size_t *last, const char *col);
/* The index of the factor named w, or -1. */
int cs__factor_index(cs_str w);
/* The "factors" accumulator's pending run of sessions counted into its
 * strata's cells (factors.c): what reads the cells calls it first (a
 * finish, a merge, a write, a report). Nothing when none is pending. */
void cs__factors_settle(const struct cs_agg *a);

/* The days since 1970-01-01 of the ISO date YYYY-MM-DD in p's first 10
 * bytes, the dates cs_parse_date takes and the day cs_days_from_civil
 * gives, by schema.c's table; -1 for any other 10 bytes. */
int cs__date_day(const char *p, int32_t *day);
/* The "wanted" of the accumulators that count every tagged session. */
struct cs_acc_opts;
int cs__acc_with_sessions(const struct cs_acc_opts *o);
/* The sessions a state's accumulators count: read less unknown outcome. */
struct cs_agg;
uint64_t cs__agg_used(const struct cs_agg *a);
/* What the factor tables count, for the other sections' checks: the
 * sessions, cases and milli-minutes (every factor counts each session
 * once, in one of its three states), and each main factor's exposed and
 * known (exposed or unexposed) sessions. 0, or -1 when a sum would pass
 * 2^64 (no merge makes such a state). */
typedef struct cs__agg_totals {
    uint64_t sessions, cases, mmin;
    uint64_t exposed[CS_F_MAIN_N], known[CS_F_MAIN_N];
} cs__totals;
int cs__agg_totals(const struct cs_agg *a, cs__totals *out);

/* The report model's parts, one per accumulator (report.c). */
struct cs_report;
void cs__report_factors(struct cs_report *r);
void cs__report_logistic(struct cs_report *r);
void cs__report_cluster(struct cs_report *r);
void cs__report_cluster_factors(struct cs_report *r);
void cs__report_dose(struct cs_report *r);
void cs__report_period(struct cs_report *r);
/* A JSON "notes" array: text(bit) of each set bit (report.c). text is
 * cs_stats_note_text, or the words of a model or interval that names the
 * same bits its own way. Returns the buffer's error. */
int cs__json_notes(cs_buf *b, uint32_t notes, const char *(*text)(uint32_t));

/* ---- Hooks for the tests and fuzz harnesses of schema.c ---- */
struct cs_schema;
struct cs_record;
struct cs_session;
struct cs_wave;
struct cs_reject;
/* The same without the fast paths for rows written canonically: every
 * field through the full checks. For tests, which compare the two. */
int cs_schema_exercise_checked(const struct cs_schema *s, const struct cs_record *rec,
                               struct cs_session *out, struct cs_reject *rej);
/* The validator cs_schema_exercise tries first when the header puts the
 * contract's columns first and in contract order (what ingest writes and
 * gen makes): each column at its fixed index, read by a parser of its
 * own. Returns 1 when it accepts rec, with *out exactly as the full checks
 * fill it (canon_cells aside, which they never set); 0 when it leaves the
 * verdict to them: it never rejects, and for any other layout it always
 * returns 0. For tests and fuzzing, which compare it with the checks. */
int cs_schema_exercise_fixed(const struct cs_schema *s, const struct cs_record *rec,
                             struct cs_session *out);
int cs_schema_survey_checked(const struct cs_schema *s, const struct cs_record *rec,
                             struct cs_wave *out, struct cs_reject *rej);
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
 * "avx2"): per 64 bytes, a word of the commas (bit i: p[i]), one of
 * '"' LF CR and one of the bytes outside 0x20-0x7e; it returns -1 when
 * this build or CPU lacks that scan.
 * cs__reader_scan names the scan a reader uses. */
struct cs_reader;
int cs__scan_index(const char *name, uint64_t *idx, const char *p, size_t n);
const char *cs__reader_scan(const struct cs_reader *r);

#endif
