/* Incidence over time: sessions, cases, exposure and the main factors'
 * exposed counts per calendar day of the session (the date as written in
 * start_time), summed into ISO weeks (Monday first) or calendar months
 * when the report is made. The state keeps days, so one state serves
 * both periods; memory grows with the number of distinct days only. */
#ifndef CRAMPSTAT_PERIOD_H
#define CRAMPSTAT_PERIOD_H

#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/error.h>
#include <crampstat/stats.h>
#include <crampstat/tag.h>

enum cs_period_kind { CS_PERIOD_MONTH = 0, CS_PERIOD_WEEK };
/* "month" / "week" to enum cs_period_kind; -1 otherwise. */
int cs_period_parse(const char *name);
const char *cs_period_name(int kind);

typedef struct cs_period_day {
    int32_t day;                  /* days since 1970-01-01 */
    uint32_t pend;                /* sessions in pk and pe, under 255 */
    /* The main factors' known and exposed sessions added since they were
     * last counted into known and exposed: byte f is factor f's count.
     * A day's counts are known[f] plus byte f of pk (period.c). */
    uint64_t pk, pe;
    uint64_t sessions, cases, mmin;
    uint64_t exposed[CS_F_MAIN_N], known[CS_F_MAIN_N];
} cs_period_day;

typedef struct cs_period {
    int present;                  /* 0: a state without the section */
    cs_period_day *d;             /* sorted by day after cs_period_finish */
    size_t n, cap, last;
    size_t *slot, nslot;          /* hash of the days: index + 1, 0 empty */
    uint32_t *dense, ndense;      /* days base.. base + ndense - 1: index + 1,
                                     0 not seen (a cache of the hash) */
    int32_t base;
    uint64_t undated;             /* no start_time: left out */
} cs_period;

void cs_period_init(cs_period *p);
void cs_period_dispose(cs_period *p);
/* Add one session with a known outcome; day < 0 is not allowed: pass
 * has_day = 0 for a session without a date. */
int cs_period_add(cs_period *p, int has_day, int32_t day,
                  const signed char *factor, int outcome, uint64_t mmin,
                  cs_error *err);
int cs_period_merge(cs_period *into, const cs_period *from, cs_error *err);
/* Sort the days (before writing or reporting); CS_ENOMEM on failure. */
int cs_period_finish(cs_period *p);

/* The section: "undated N" then one line per day:
 *   day YYYY-MM-DD SESSIONS CASES MMIN E/K E/K ... (six main factors) */
int cs_period_write(const cs_period *p, cs_buf *out);
int cs_period_read_line(cs_period *p, cs_str word, cs_str rest, char *why,
                        size_t whycap);
int cs_period_check(const cs_period *p, uint64_t used, char *why,
                    size_t whycap);

/* The first day of the period holding day: its Monday, or the 1st of its
 * month. */
int32_t cs_period_start(int kind, int32_t day);

typedef struct cs_period_row {
    int32_t start;
    uint64_t sessions, cases, mmin;
    double hours;
    cs_ci rate;                   /* per 1000 h, exact Poisson */
    double exposed_share[CS_F_MAIN_N]; /* exposed / known; NaN if none */
    uint32_t notes;
} cs_period_row;

/* The rows of a finished state (cs_period_finish), oldest first, into *rows (malloc'd; the
 * caller frees); their count in *n. */
int cs_period_rows(const cs_period *p, int kind, double level,
                   cs_period_row **rows, size_t *n);

#endif
