/* The "logistic" accumulator: per level of the --adjust column, the
 * sessions, cases and exposure of each of the 64 covariate patterns of
 * the six main factors. With binary factors this table is an exact
 * sufficient statistic for the logistic regression (and the Poisson rate
 * model), so a merged state gives the same fit as one pass. It also tells
 * the accumulators after it the session's level (cs_acc_row.level). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include "internal.h"

static int logistic_create(cs_agg *a, const cs_acc_opts *o, cs_error *err)
{
    const char *adjust = o && o->adjust ? o->adjust : "";

    if (strlen(adjust) >= sizeof a->adjust)
        return cs_error_set(err, CS_EUSAGE, "column name too long");
    snprintf(a->adjust, sizeof a->adjust, "%s", adjust);
    return CS_OK;
}

static void logistic_dispose(cs_agg *a)
{
    cs__levels_free(a->adj, a->nadj);
    a->adj = NULL;
    a->nadj = 0;
}

/* The session's covariate pattern: bit f set when main factor f is
 * exposed (flags 1, 0); -1 when one of them is unknown (-1). */
static inline int pattern_of(const signed char *factor)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* The six flags as one word: an unknown one has its byte's top bit;
     * the low bits of the bytes, at 8f, are gathered at 56 + f by one
     * product (the multiplier's bits at 56 - 7g put the bit of byte f at
     * 8f + 56 - 7g, distinct for every f and g, so that no two sum),
     * where a loop took a test and a shift a factor. */
    _Static_assert(CS_F_MAIN_N == 6 && CS_F_N >= 8, "pattern_of reads eight "
                   "flags and keeps six");
    uint64_t w;

    memcpy(&w, factor, 8);          /* (the masks keep six bytes) */
    if (w & 0x0000808080808080ull)
        return -1;
    return (int)(((w & 0x0000010101010101ull) *
                  (UINT64_C(1) << 56 | UINT64_C(1) << 49 | UINT64_C(1) << 42 |
                   UINT64_C(1) << 35 | UINT64_C(1) << 28 | UINT64_C(1) << 21))
                 >> 56 & 0x3f);
#else
    unsigned bits = 0;
    for (int f = 0; f < CS_F_MAIN_N; f++) {
        if (factor[f] < 0)
            return -1;
        bits |= (unsigned)factor[f] << f;
    }
    return (int)bits;
#endif
}

/* *none: without --adjust, the index of the one level once a session
 * has found it (-1 before), so that the sessions after it need no
 * look-up. */
static inline int add_one(cs_agg *a, cs_acc_row *r, long *none,
                          cs_error *err)
{
    unsigned bits;
    int pat;
    long j = *none;

    r->level = CS_CLU_NO_LEVEL;
    if (r->outcome < 0)
        return CS_OK;
    if ((pat = pattern_of(r->factor)) < 0)
        return CS_OK;           /* a main factor unknown: not in the model */
    bits = (unsigned)pat;
    if (j < 0) {
        cs_str v = a->adjust[0] ? r->adjust : (cs_str){ "", 0 };
        if ((j = cs__level_find(&a->adj, &a->nadj, &a->last_adj, v)) < 0)
            return cs__level_error(j, a->adjust, err);
        if (!a->adjust[0])
            *none = j;
    }
    a->adj[j].n[bits]++;
    a->adj[j].y[bits] += (uint64_t)r->outcome;
    a->adj[j].m[bits] += r->mmin;
    r->level = (unsigned)j;
    return CS_OK;
}

static int logistic_add(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    long none = -1;

    return add_one(a, r, &none, err);
}

static size_t logistic_add_rows(cs_agg *a, cs_acc_row *r, size_t n,
                                cs_error *err)
{
    size_t i = 0;
    long none = -1;

    while (i < n && add_one(a, &r[i], &none, err) >= 0)
        i++;
    return i;
}

static int logistic_mergeable(const cs_agg *into, const cs_agg *from,
                              cs_error *err)
{
    if (strcmp(into->adjust, from->adjust) != 0)
        return cs_error_set(err, CS_EDATA, "the states adjust for different "
                            "columns (\"%s\" vs \"%s\")", into->adjust,
                            from->adjust);
    return CS_OK;
}

static int logistic_merge(cs_agg *into, cs_agg *from, cs_acc_pass *p,
                          cs_error *err)
{
    if (from->nadj &&
        !(p->level_map = malloc(from->nadj * sizeof *p->level_map)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    p->nlevels = from->nadj;
    for (size_t i = 0; i < from->nadj; i++) {
        const cs_agg_level *src = &from->adj[i];
        cs_str name = { src->name, src->name_len };
        long j = cs__level_find(&into->adj, &into->nadj, &into->last_adj, name);
        if (j < 0)
            return cs__level_error(j, into->adjust, err);
        p->level_map[i] = (size_t)j;
        for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
            if (cs__add_u64(&into->adj[j].n[k], src->n[k]) < 0 ||
                cs__add_u64(&into->adj[j].y[k], src->y[k]) < 0 ||
                cs__add_u64(&into->adj[j].m[k], src->m[k]) < 0)
                return cs_error_set(err, CS_EDATA, "a count overflows 64 "
                                    "bits when merging");
    }
    return CS_OK;
}

/* Sorting renumbers the levels: p->level_map says how, for the
 * accumulators that name levels by index. */
static int logistic_finish(cs_agg *a, cs_acc_pass *p, cs_error *err)
{
    a->last_adj = 0;
    if (a->nadj < 2)
        return CS_OK;
    char **old = malloc(a->nadj * sizeof *old);
    size_t *map = malloc(a->nadj * sizeof *map);
    if (!old || !map) {
        free(old);
        free(map);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < a->nadj; i++)
        old[i] = a->adj[i].name;
    qsort(a->adj, a->nadj, sizeof *a->adj, cs__level_cmp);
    /* The names are distinct: the old index of each is found by name. */
    for (size_t i = 0; i < a->nadj; i++)
        for (size_t k = 0; k < a->nadj; k++)
            if (a->adj[k].name == old[i])
                map[i] = k;
    free(old);
    free(p->level_map);
    p->level_map = map;
    p->nlevels = a->nadj;
    return CS_OK;
}

static void logistic_write(const cs_agg *a, cs_buf *b)
{
    cs_buf_puts(b, "adjust ");
    cs__put_str(b, a->adjust);
    cs_buf_putc(b, '\n');
    for (size_t i = 0; i < a->nadj && !cs_buf_error(b); i++) {
        const cs_agg_level *l = &a->adj[i];
        cs_buf_puts(b, "level ");
        cs__put_str(b, l->name);
        cs_buf_putc(b, '\n');
        for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
            if (l->n[k] || l->y[k] || l->m[k])
                cs_buf_printf(b, "pattern %u %llu %llu %llu\n", k,
                              (unsigned long long)l->n[k],
                              (unsigned long long)l->y[k],
                              (unsigned long long)l->m[k]);
    }
}

static int logistic_read(cs_agg *a, cs__ptext *t)
{
    cs_agg_level *cur = NULL;
    cs_str line;
    int rc;

    if ((rc = cs__ptext_fixed_str(t, "adjust", a->adjust,
                                  sizeof a->adjust)) < 0)
        return rc;
    while ((rc = cs__ptext_line(t, &line)) > 0) {
        cs_str w = cs__ptext_word(&line);
        if (cs_str_eq(w, "level")) {
            if (!(cur = cs__level_read(t, line, &a->adj, &a->nadj,
                                       &a->last_adj, a->adjust)))
                return t->err->code;
        } else if (cs_str_eq(w, "pattern") && cur) {
            uint64_t k, n, y, m;
            if ((rc = cs__ptext_u64(t, &line, &k)) < 0 ||
                (rc = cs__ptext_u64(t, &line, &n)) < 0 ||
                (rc = cs__ptext_u64(t, &line, &y)) < 0 ||
                (rc = cs__ptext_u64(t, &line, &m)) < 0)
                return rc;
            if (line.len || k >= CS_AGG_PATTERNS || y > n ||
                (n < UINT64_MAX / 1440000 && m > n * (uint64_t)1440000))
                return cs__ptext_err(t, t->line, "inconsistent pattern line");
            cur->n[k] = n;
            cur->y[k] = y;
            cur->m[k] = m;
        } else {
            return cs__ptext_err(t, t->line, "unexpected line \"%.*s\"",
                                 (int)(w.len > 40 ? 40 : w.len), w.ptr);
        }
    }
    return rc;
}

/* Sessions with all main factors known are in one pattern: no more than
 * the sessions with a known outcome. */
static int logistic_check(const cs_agg *a, cs__ptext *t)
{
    uint64_t complete = 0;

    for (size_t i = 0; i < a->nadj; i++) {
        uint64_t level = 0;
        for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
            if (cs__add_u64(&complete, a->adj[i].n[k]) < 0 ||
                cs__add_u64(&level, a->adj[i].n[k]) < 0)
                return cs__ptext_err(t, t->line, "the pattern counts overflow "
                                     "64 bits");
        /* A level exists because a session was counted in it; an empty
         * one would add a term to the model. */
        if (level == 0)
            return cs__ptext_err(t, t->line, "level \"%s\" counts no session "
                                 "(the state was edited or is corrupt)",
                                 a->adj[i].name);
    }
    if (complete > cs__agg_used(a))
        return cs__ptext_err(t, t->line, "the counts do not add up to the "
                             "rows line (the state was edited or is corrupt)");
    return CS_OK;
}

static const char *const needs[] = { "sessions", NULL };

const cs_acc_kind cs_acc_logistic = {
    "logistic", 1, needs, cs__acc_with_sessions, logistic_create,
    logistic_dispose, logistic_add, logistic_mergeable, logistic_merge,
    logistic_finish, logistic_write, logistic_read, logistic_check,
    cs__report_logistic, 0,
    logistic_add_rows,
    NULL,
};
