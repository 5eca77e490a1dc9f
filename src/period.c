/* Incidence over time (period.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/period.h>
#include <crampstat/value.h>
#include "internal.h"

#define next_word cs__ptext_word
#define parse_u64 cs__parse_u64

int cs_period_parse(const char *name)
{
    if (strcmp(name, "month") == 0)
        return CS_PERIOD_MONTH;
    if (strcmp(name, "week") == 0)
        return CS_PERIOD_WEEK;
    return -1;
}

const char *cs_period_name(int kind)
{
    return kind == CS_PERIOD_WEEK ? "week" : "month";
}

void cs_period_init(cs_period *p)
{
    memset(p, 0, sizeof *p);
    p->present = 1;
}

void cs_period_dispose(cs_period *p)
{
    free(p->d);
    free(p->slot);
    free(p->dense);
    memset(p, 0, sizeof *p);
}

/* The record of day, added when new; NULL out of memory. Records are
 * kept in the order they were first seen, found through a hash of the
 * day (sessions usually come by participant, so the day changes at
 * nearly every row), and sorted only when written or reported. */
static size_t day_hash(int32_t day, size_t mask)
{
    return (size_t)(((uint32_t)day * 2654435761u) >> 7) & mask;
}

/* A day's main-factor counts: the sessions' flags are counted into byte
 * lanes (pk, pe) with two additions, where a loop took a test and up to
 * two additions a factor, and the lanes into known and exposed before a
 * byte could overflow, and when the days are sorted. What reads the
 * counts adds the lanes, so that a state is the same to its readers
 * whether or not its lanes are settled. */
#define LANE_MAX 255u

static inline uint64_t lane(uint64_t w, int f)
{
    return w >> (8 * f) & 0xff;
}

static inline uint64_t day_known(const cs_period_day *d, int f)
{
    return d->known[f] + lane(d->pk, f);
}

static inline uint64_t day_exposed(const cs_period_day *d, int f)
{
    return d->exposed[f] + lane(d->pe, f);
}

static void settle_day(cs_period_day *d)
{
    for (int f = 0; f < CS_F_MAIN_N; f++) {
        d->known[f] += lane(d->pk, f);
        d->exposed[f] += lane(d->pe, f);
    }
    d->pk = d->pe = 0;
    d->pend = 0;
}

/* The six flags' lanes: byte f of *known is 1 when flag f is 0 or 1, of
 * *exposed when it is 1. */
static inline void day_lanes(const signed char *factor, uint64_t *known,
                             uint64_t *exposed)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    _Static_assert(CS_F_MAIN_N == 6 && CS_F_N >= 8, "day_lanes reads eight "
                   "flags and keeps six");
    uint64_t w;

    memcpy(&w, factor, 8);
    /* a flag's top bit is set for -1 alone; its low bit for 1 and -1 */
    *known = ~w >> 7 & 0x0000010101010101ull;
    *exposed = w & *known;
#else
    *known = *exposed = 0;
    for (int f = 0; f < CS_F_MAIN_N; f++)
        if (factor[f] >= 0) {
            *known |= (uint64_t)1 << (8 * f);
            *exposed |= (uint64_t)factor[f] << (8 * f);
        }
#endif
}

/* The dense table: the days from base on, each its record's index + 1,
 * so that a day seen is found with one subtraction and one load, where
 * the hash took a multiply and a probe (sessions come by participant, so
 * nearly every row's day differs from the last's). It covers at most
 * DENSE_MAX days (179 years); a day out of its range is found through
 * the hash, which holds every day. */
#define DENSE_MAX 65536u

static void dense_fill(cs_period *p)
{
    if (!p->dense)
        return;
    memset(p->dense, 0, p->ndense * sizeof *p->dense);
    for (size_t i = 0; i < p->n; i++) {
        uint64_t o = (uint64_t)((int64_t)p->d[i].day - p->base);
        if (o < p->ndense)
            p->dense[o] = (uint32_t)(i + 1);
    }
}

/* The dense table widened to hold day, if it then spans at most
 * DENSE_MAX days; twice the span it needs, for the days to come. Left as
 * it is when it cannot grow (out of memory too: the hash serves). */
static void dense_cover(cs_period *p, int32_t day)
{
    int64_t lo = day, hi = (int64_t)day + 1, want;
    uint32_t *t;

    if (p->ndense) {
        if (p->base < lo)
            lo = p->base;
        if ((int64_t)p->base + p->ndense > hi)
            hi = (int64_t)p->base + p->ndense;
    }
    want = hi - lo;
    if (want > (int64_t)DENSE_MAX)
        return;
    want = want < 32 ? 64 : 2 * want;
    if (want > (int64_t)DENSE_MAX)
        want = DENSE_MAX;
    /* the slack on the side it grew */
    if (p->ndense && day < p->base)
        lo = hi - want;
    else if (!p->ndense)
        lo = (int64_t)day - want / 2;
    if (lo < INT32_MIN)
        lo = INT32_MIN;
    if (lo + want - 1 > INT32_MAX)
        lo = (int64_t)INT32_MAX - want + 1;
    if (!(t = malloc((size_t)want * sizeof *t)))
        return;
    free(p->dense);
    p->dense = t;
    p->ndense = (uint32_t)want;
    p->base = (int32_t)lo;
    dense_fill(p);
}

static int day_rehash(cs_period *p, size_t nslot)
{
    size_t *s = calloc(nslot, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < p->n; i++) {
        size_t h = day_hash(p->d[i].day, nslot - 1);
        while (s[h])
            h = (h + 1) & (nslot - 1);
        s[h] = i + 1;
    }
    free(p->slot);
    p->slot = s;
    p->nslot = nslot;
    return 0;
}

/* A day not in p's records added: NULL out of memory. Out of line, so
 * that the usual call, a day already seen, stays small enough to sit in
 * cs_period_add. */
static __attribute__((noinline)) cs_period_day *
add_day(cs_period *p, int32_t day, int *fresh)
{
    size_t h;

    if (p->nslot == 0 && day_rehash(p, 64) < 0)
        return NULL;
    for (h = day_hash(day, p->nslot - 1); p->slot[h]; h = (h + 1) & (p->nslot - 1))
        ;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        cs_period_day *d = realloc(p->d, cap * sizeof *d);
        if (!d)
            return NULL;
        p->d = d;
        p->cap = cap;
    }
    memset(&p->d[p->n], 0, sizeof p->d[p->n]);
    p->d[p->n].day = day;
    p->slot[h] = ++p->n;
    *fresh = 1;
    p->last = p->n - 1;
    {
        uint64_t o = (uint64_t)((int64_t)day - p->base);
        if (o < p->ndense)
            p->dense[o] = (uint32_t)p->n;
        else
            dense_cover(p, day);
    }
    if (2 * p->n > p->nslot && day_rehash(p, 2 * p->nslot) < 0)
        return NULL;
    return &p->d[p->last];
}

static inline cs_period_day *find_day(cs_period *p, int32_t day, int *fresh)
{
    uint64_t o = (uint64_t)((int64_t)day - p->base);
    uint32_t k;

    *fresh = 0;
    if (o < p->ndense) {
        if ((k = p->dense[o]) != 0)
            return &p->d[k - 1];
        return add_day(p, day, fresh);
    }
    if (p->last < p->n && p->d[p->last].day == day)
        return &p->d[p->last];
    if (p->nslot) {
        size_t mask = p->nslot - 1;
        for (size_t h = day_hash(day, mask); p->slot[h]; h = (h + 1) & mask)
            if (p->d[p->slot[h] - 1].day == day)
                return &p->d[p->last = p->slot[h] - 1];
    }
    return add_day(p, day, fresh);
}

static int cmp_day(const void *x, const void *y)
{
    int32_t a = ((const cs_period_day *)x)->day, b = ((const cs_period_day *)y)->day;
    return (a > b) - (a < b);
}

/* The days in order: sorted in place (the hash and the dense table,
 * which hold indexes, are made again). */
int cs_period_finish(cs_period *p)
{
    for (size_t i = 0; i < p->n; i++)
        settle_day(&p->d[i]);
    if (p->n < 2)
        return CS_OK;
    qsort(p->d, p->n, sizeof *p->d, cmp_day);
    p->last = 0;
    dense_fill(p);
    return day_rehash(p, p->nslot) < 0 ? CS_ENOMEM : CS_OK;
}

int cs_period_add(cs_period *p, int has_day, int32_t day,
                  const signed char *factor, int outcome, uint64_t mmin,
                  cs_error *err)
{
    cs_period_day *d;
    int fresh;

    if (!has_day) {
        p->undated++;
        return CS_OK;
    }
    if (!(d = find_day(p, day, &fresh)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    uint64_t known, exposed;
    day_lanes(factor, &known, &exposed);
    d->sessions++;
    d->cases += (uint64_t)outcome;
    d->mmin += mmin;
    d->pk += known;
    d->pe += exposed;
    if (++d->pend == LANE_MAX)
        settle_day(d);
    return CS_OK;
}

static int add_u64(uint64_t *x, uint64_t y)
{
    if (*x > UINT64_MAX - y)
        return -1;
    *x += y;
    return 0;
}

int cs_period_merge(cs_period *into, const cs_period *from, cs_error *err)
{
    if (!into->present && !from->present)
        return CS_OK;
    if (!into->present || !from->present)
        return cs_error_set(err, CS_EDATA, "a state has no incidence-over-"
                            "time section (made by an older crampstat?): "
                            "make it again with this one");
    if (add_u64(&into->undated, from->undated) < 0)
        goto overflow;
    for (size_t i = 0; i < from->n; i++) {
        const cs_period_day *s = &from->d[i];
        int fresh;
        cs_period_day *d = find_day(into, s->day, &fresh);
        if (!d)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        settle_day(d);           /* (so that the sums below are checked) */
        if (add_u64(&d->sessions, s->sessions) < 0 ||
            add_u64(&d->cases, s->cases) < 0 || add_u64(&d->mmin, s->mmin) < 0)
            goto overflow;
        for (int f = 0; f < CS_F_MAIN_N; f++)
            if (add_u64(&d->exposed[f], day_exposed(s, f)) < 0 ||
                add_u64(&d->known[f], day_known(s, f)) < 0)
                goto overflow;
    }
    return CS_OK;
overflow:
    return cs_error_set(err, CS_EDATA, "an incidence-over-time count "
                        "overflows 64 bits when merging");
}

/* Appends only: the buffer's error is sticky, and the caller checks it. */
int cs_period_write(const cs_period *p, cs_buf *b)
{
    if (!p->present)
        return CS_OK;
    cs_buf_printf(b, "undated %llu\n", (unsigned long long)p->undated);
    for (size_t i = 0; i < p->n && !cs_buf_error(b); i++) {
        const cs_period_day *d = &p->d[i];
        char date[16];
        cs_fmt_date(date, sizeof date, d->day);
        cs_buf_printf(b, "day %s %llu %llu %llu", date,
                      (unsigned long long)d->sessions,
                      (unsigned long long)d->cases,
                      (unsigned long long)d->mmin);
        for (int f = 0; f < CS_F_MAIN_N; f++)
            cs_buf_printf(b, " %llu/%llu",
                          (unsigned long long)day_exposed(d, f),
                          (unsigned long long)day_known(d, f));
        cs_buf_putc(b, '\n');
    }
    return cs_buf_error(b);
}

#define WHY(...) (snprintf(why, whycap, __VA_ARGS__), -1)

int cs_period_read_line(cs_period *p, cs_str word, cs_str rest, char *why,
                        size_t whycap)
{
    if (cs_str_eq(word, "undated")) {
        if (p->present)
            return WHY("\"undated\" is given twice");
        if (parse_u64(next_word(&rest), &p->undated) < 0 || rest.len)
            return WHY("expected \"undated COUNT\"");
        p->present = 1;
        return 0;
    }
    if (cs_str_eq(word, "day") && p->present) {
        cs_datetime t;
        cs_period_day v;
        const char *dummy;
        int fresh;
        if (cs_parse_date(next_word(&rest), &t, &dummy) < 0)
            return WHY("day: expected a date YYYY-MM-DD");
        memset(&v, 0, sizeof v);
        v.day = cs_days_from_civil(t.year, t.month, t.day);
        if (p->n && p->d[p->n - 1].day >= v.day)
            return WHY("day: the days are not in increasing order");
        if (parse_u64(next_word(&rest), &v.sessions) < 0 ||
            parse_u64(next_word(&rest), &v.cases) < 0 ||
            parse_u64(next_word(&rest), &v.mmin) < 0)
            return WHY("expected \"day DATE SESSIONS CASES MMIN E/K...\"");
        for (int f = 0; f < CS_F_MAIN_N; f++) {
            cs_str w = next_word(&rest);
            const char *sl = memchr(w.ptr, '/', w.len);
            if (!sl || parse_u64((cs_str){ w.ptr, (size_t)(sl - w.ptr) }, &v.exposed[f]) < 0 ||
                parse_u64((cs_str){ sl + 1, (size_t)(w.ptr + w.len - sl - 1) }, &v.known[f]) < 0 ||
                v.exposed[f] > v.known[f] || v.known[f] > v.sessions)
                return WHY("day: expected EXPOSED/KNOWN for each of the six "
                           "main factors, at most the sessions");
        }
        if (rest.len || v.sessions == 0 || v.cases > v.sessions ||
            (v.sessions < UINT64_MAX / 1440000 && v.mmin > v.sessions * (uint64_t)1440000))
            return WHY("inconsistent day line");
        cs_period_day *d = find_day(p, v.day, &fresh);
        if (!d)
            return WHY("out of memory");
        *d = v;
        return 0;
    }
    return WHY("unexpected line");
}

int cs_period_check(const cs_period *p, uint64_t used, char *why, size_t whycap)
{
    uint64_t t = p->undated;

    if (!p->present)
        return 0;
    for (size_t i = 0; i < p->n; i++)
        if (add_u64(&t, p->d[i].sessions) < 0)
            return WHY("the days' sessions overflow 64 bits");
    if (t != used)
        return WHY("the days count %llu sessions, the state %llu (the state "
                   "was edited or is corrupt)", (unsigned long long)t,
                   (unsigned long long)used);
    return 0;
}

int32_t cs_period_start(int kind, int32_t day)
{
    if (kind == CS_PERIOD_WEEK) {
        /* 1970-01-01 was a Thursday: Monday is day 4 of a 0-based week
         * that starts on Thursday. */
        int32_t dow = (int32_t)(((int64_t)day + 3) % 7);   /* 0 = Monday */
        if (dow < 0)
            dow += 7;
        return day - dow;
    }
    int y, m, d;
    cs_civil_from_days(day, &y, &m, &d);
    return cs_days_from_civil(y, m, 1);
}

int cs_period_rows(const cs_period *p, int kind, double level,
                   cs_period_row **rows, size_t *n)
{
    cs_period_row *r = NULL;
    size_t k = 0;
    uint64_t ex[CS_F_MAIN_N], kn[CS_F_MAIN_N];

    *rows = NULL;
    *n = 0;
    if (p->n && !(r = calloc(p->n, sizeof *r)))
        return CS_ENOMEM;
    for (size_t i = 0; i < p->n;) {
        int32_t start = cs_period_start(kind, p->d[i].day);
        cs_period_row *o = &r[k++];
        memset(ex, 0, sizeof ex);
        memset(kn, 0, sizeof kn);
        o->start = start;
        for (; i < p->n && cs_period_start(kind, p->d[i].day) == start; i++) {
            o->sessions += p->d[i].sessions;
            o->cases += p->d[i].cases;
            o->mmin += p->d[i].mmin;
            for (int f = 0; f < CS_F_MAIN_N; f++) {
                ex[f] += day_exposed(&p->d[i], f);
                kn[f] += day_known(&p->d[i], f);
            }
        }
        o->hours = (double)o->mmin / 60000.0;
        o->notes = cs_stats_poisson_rate(&o->rate, o->cases, o->hours, 1000, level);
        for (int f = 0; f < CS_F_MAIN_N; f++)
            o->exposed_share[f] = kn[f] ? (double)ex[f] / (double)kn[f] : NAN;
    }
    *rows = r;
    *n = k;
    return CS_OK;
}

/* ---- the "period" accumulator (acc.h) -------------------------------- */

static int period_create(cs_agg *a, const cs_acc_opts *o, cs_error *err)
{
    (void)err;
    cs_period_init(&a->period);
    if (!o)
        a->period.present = 0;   /* set by the section's "undated" line */
    return CS_OK;
}

static void period_dispose(cs_agg *a)
{
    cs_period_dispose(&a->period);
}

static inline int add_one(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    if (r->outcome < 0)
        return CS_OK;
    return cs_period_add(&a->period, r->more && r->more->has_day,
                         r->more ? r->more->day : 0, r->factor, r->outcome,
                         r->mmin, err);
}

static int period_add(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    return add_one(a, r, err);
}

static size_t period_add_rows(cs_agg *a, cs_acc_row *r, size_t n,
                              cs_error *err)
{
    size_t i = 0;

    while (i < n && add_one(a, &r[i], err) >= 0)
        i++;
    return i;
}

static int period_merge(cs_agg *into, cs_agg *from, cs_acc_pass *p,
                        cs_error *err)
{
    (void)p;
    return cs_period_merge(&into->period, &from->period, err);
}

static int period_finish(cs_agg *a, cs_acc_pass *p, cs_error *err)
{
    (void)p;
    if (cs_period_finish(&a->period) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    return CS_OK;
}

static void period_write(const cs_agg *a, cs_buf *b)
{
    cs_period_write(&a->period, b);
}

static int period_read(cs_agg *a, cs__ptext *t)
{
    cs_str line;
    int rc;

    while ((rc = cs__ptext_line(t, &line)) > 0) {
        char why[200];
        cs_str w = cs__ptext_word(&line);
        if (cs_period_read_line(&a->period, w, line, why, sizeof why) < 0)
            return cs__ptext_err(t, t->line, "%s", why);
    }
    if (rc == 0 && !a->period.present)
        return cs__ptext_err(t, t->line, "the period section has no "
                             "\"undated\" line");
    return rc;
}

/* One sum of the days against the factor tables': equal when every
 * session has a day, at most theirs when some are undated (the days do
 * not hold their cases, exposure or factors). */
static int versus(cs__ptext *t, const cs_period *p, uint64_t days,
                  uint64_t tables, const char *what, const char *factor)
{
    if (p->undated == 0 ? days == tables : days <= tables)
        return CS_OK;
    return cs__ptext_err(t, t->line, "the days count %llu %s%s, the factor "
                         "tables %llu%s (the state was edited or is corrupt)",
                         (unsigned long long)days, what, factor,
                         (unsigned long long)tables,
                         p->undated == 0 ? "" : " for all sessions");
}

/* The days against the factor tables: their cases, exposure and main
 * factors' exposed and known sessions, summed. */
static int period_versus_factors(const cs_agg *a, cs__ptext *t)
{
    const cs_period *p = &a->period;
    cs__totals tot;
    uint64_t cases = 0, mmin = 0, exposed[CS_F_MAIN_N] = { 0 },
             known[CS_F_MAIN_N] = { 0 };
    int rc;

    if (!p->present || cs__agg_totals(a, &tot) < 0)
        return CS_OK;
    for (size_t i = 0; i < p->n; i++) {
        const cs_period_day *d = &p->d[i];
        int over = add_u64(&cases, d->cases) < 0 || add_u64(&mmin, d->mmin) < 0;
        for (int f = 0; f < CS_F_MAIN_N; f++)
            over |= add_u64(&exposed[f], day_exposed(d, f)) < 0 ||
                    add_u64(&known[f], day_known(d, f)) < 0;
        if (over)
            return cs__ptext_err(t, t->line, "the days' counts overflow 64 "
                                 "bits");
    }
    if ((rc = versus(t, p, cases, tot.cases, "cases", "")) < 0 ||
        (rc = versus(t, p, mmin, tot.mmin, "milli-minutes", "")) < 0)
        return rc;
    for (int f = 0; f < CS_F_MAIN_N; f++)
        if ((rc = versus(t, p, exposed[f], tot.exposed[f],
                         "sessions exposed to ", cs_factor_name(f))) < 0 ||
            (rc = versus(t, p, known[f], tot.known[f],
                         "sessions with known ", cs_factor_name(f))) < 0)
            return rc;
    return CS_OK;
}

static int period_check(const cs_agg *a, cs__ptext *t)
{
    char why[200];

    if (cs_period_check(&a->period, cs__agg_used(a), why, sizeof why) < 0)
        return cs__ptext_err(t, t->line, "%s", why);
    return period_versus_factors(a, t);
}

static const char *const period_needs[] = { "sessions", NULL };

const cs_acc_kind cs_acc_period = {
    "period", 1, period_needs, cs__acc_with_sessions, period_create,
    period_dispose, period_add, NULL, period_merge, period_finish,
    period_write, period_read, period_check, cs__report_period, 0,
    period_add_rows,
    NULL,
};
