/* The "factors" accumulator: sessions, cases and exposure (milli-minutes)
 * per stratum of the --by column, factor and exposure state. The crude
 * and stratified statistics, epi.2by2's measures and the exact rate
 * ratios are computed from it (report.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include "internal.h"

static const char *const state_names[3] = { "unexposed", "exposed", "unknown" };

/* The wave factors, electrolyte to the last medical factor, depend on the
 * participant's survey wave alone (tag.h), so that sessions grouped by
 * participant come in runs that share all ten (33 sessions a run in the
 * 200k-session benchmark, where the four before them change at nearly
 * every session). A run's sessions, cases and exposure are summed as it
 * goes and counted into its stratum's ten cells once, when a session
 * breaks it or something reads the cells (cs__factors_settle): a
 * comparison and three sums a session instead of thirty. The sums are
 * integers, added to the same cells, so the counts are the ones adding
 * session by session gives, whatever the order of the sessions.
 *
 * The four session factors change from one session to the next, but
 * take only 3^4 = 81 combinations of states: each stratum keeps a
 * session's sums under its combination (its code), one cell a session
 * instead of four, and the codes are counted into the factors' cells
 * when something reads them, as the runs are. */
#define RUN_FIRST CS_F_ELECTROLYTE
#define RUN_N (CS_F_N - RUN_FIRST)
#define CODE_N 81                 /* 3^RUN_FIRST */
_Static_assert(RUN_FIRST == 4, "a code holds four states");

struct cs__factors_run {
    uint64_t n, y, mmin;          /* n == 0: no run */
    size_t stratum;
    signed char state[RUN_N];     /* the factors' flags: 1, 0, -1 */
    int coded;                    /* a code counted since the last settle */
    cs_agg_cell (*code)[CODE_N];  /* per stratum: sums by code */
    size_t ncode;                 /* strata code covers */
};

/* The code of the four session factors' states (CS_AGG_UNEXPOSED,
 * CS_AGG_EXPOSED, CS_AGG_UNKNOWN for the flags 0, 1, -1): the state of
 * factor f is its base-3 digit f. */
static inline unsigned code_of(const signed char *factor)
{
    uint32_t w, st;

    memcpy(&w, factor, 4);
    /* per byte: the low bit (1 for 1 and -1) plus the top bit (1 for -1) */
    st = (w & 0x01010101u) + (w >> 7 & 0x01010101u);
    /* byte 3 of the product is st0 + 3 st1 + 9 st2 + 27 st3 (at most
     * 80); the bytes below it stay under 256, so nothing carries into
     * it */
    return (st * 0x0103091Bu) >> 24;
}

/* The codes' sums counted into the cells of their factors' states. */
static void settle_codes(const cs_agg *a, struct cs__factors_run *p)
{
    for (size_t s = 0; s < p->ncode && s < a->nstrata; s++) {
        cs_agg_level *l = &a->strata[s];
        for (unsigned k = 0; k < CODE_N; k++) {
            cs_agg_cell *from = &p->code[s][k];
            if (!from->sessions)
                continue;
            for (unsigned f = 0, d = k; f < RUN_FIRST; f++, d /= 3) {
                cs_agg_cell *c = &l->cell[f][d % 3];
                c->sessions += from->sessions;
                c->cases += from->cases;
                c->mmin += from->mmin;
            }
            *from = (cs_agg_cell){ 0, 0, 0 };
        }
    }
    p->coded = 0;
}

/* The run counted into its stratum's wave-factor cells. */
static void settle_run(const cs_agg *a, struct cs__factors_run *p)
{
    cs_agg_level *l = &a->strata[p->stratum];

    for (int k = 0; k < RUN_N; k++) {
        int st = p->state[k] < 0 ? CS_AGG_UNKNOWN : p->state[k];
        cs_agg_cell *c = &l->cell[RUN_FIRST + k][st];
        c->sessions += p->n;
        c->cases += p->y;
        c->mmin += p->mmin;
    }
    p->n = p->y = p->mmin = 0;
}

void cs__factors_settle(const cs_agg *a)
{
    struct cs__factors_run *p = a->run;

    if (!p)
        return;
    if (p->n)
        settle_run(a, p);
    if (p->coded)
        settle_codes(a, p);
}

/* The codes' sums cover stratum s. */
static int cover_code(struct cs__factors_run *p, size_t s)
{
    size_t n = p->ncode ? 2 * p->ncode : 4;
    cs_agg_cell (*c)[CODE_N];

    while (n <= s)
        n *= 2;
    if (!(c = realloc(p->code, n * sizeof *c)))
        return -1;
    memset(c + p->ncode, 0, (n - p->ncode) * sizeof *c);
    p->code = c;
    p->ncode = n;
    return 0;
}

static int factors_create(cs_agg *a, const cs_acc_opts *o, cs_error *err)
{
    const char *by = o && o->by ? o->by : "";

    if (strlen(by) >= sizeof a->by)
        return cs_error_set(err, CS_EUSAGE, "column name too long");
    if (!a->run && !(a->run = calloc(1, sizeof *a->run)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    snprintf(a->by, sizeof a->by, "%s", by);
    return CS_OK;
}

static void factors_dispose(cs_agg *a)
{
    cs__levels_free(a->strata, a->nstrata);
    a->strata = NULL;
    a->nstrata = 0;
    if (a->run)
        free(a->run->code);
    free(a->run);
    a->run = NULL;
}

/* *none: without --by, the index of the one stratum once a session has
 * found it (-1 before), so that the sessions after it need no look-up. */
static inline int add_one(cs_agg *a, cs_acc_row *r, long *none,
                          cs_error *err)
{
    struct cs__factors_run *p = a->run;
    long s = *none;

    if (r->outcome < 0)
        return CS_OK;           /* counted by "sessions", left out here */
    if (s < 0) {
        cs_str by = a->by[0] ? r->by : (cs_str){ "", 0 };
        if ((s = cs__level_find(&a->strata, &a->nstrata, &a->last_stratum,
                                by)) < 0)
            return cs__level_error(s, a->by, err);
        if (!a->by[0])
            *none = s;
    }
    if ((size_t)s >= p->ncode && cover_code(p, (size_t)s) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    cs_agg_cell *c = &p->code[s][code_of(r->factor)];
    c->sessions++;
    c->cases += (uint64_t)r->outcome;
    c->mmin += r->mmin;
    p->coded = 1;
    if (!(p->n && p->stratum == (size_t)s &&
          memcmp(p->state, r->factor + RUN_FIRST, RUN_N) == 0)) {
        if (p->n)
            settle_run(a, p);
        p->stratum = (size_t)s;
        memcpy(p->state, r->factor + RUN_FIRST, RUN_N);
    }
    p->n++;
    p->y += (uint64_t)r->outcome;
    p->mmin += r->mmin;
    return CS_OK;
}

static int factors_add(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    long none = -1;

    return add_one(a, r, &none, err);
}

static size_t factors_add_rows(cs_agg *a, cs_acc_row *r, size_t n,
                               cs_error *err)
{
    size_t i = 0;
    long none = -1;

    while (i < n && add_one(a, &r[i], &none, err) >= 0)
        i++;
    return i;
}

static int factors_mergeable(const cs_agg *into, const cs_agg *from,
                             cs_error *err)
{
    if (strcmp(into->by, from->by) != 0)
        return cs_error_set(err, CS_EDATA, "the states are stratified by "
                            "different columns (\"%s\" vs \"%s\")", into->by,
                            from->by);
    return CS_OK;
}

static int factors_merge(cs_agg *into, cs_agg *from, cs_acc_pass *p,
                         cs_error *err)
{
    (void)p;
    cs__factors_settle(into);
    cs__factors_settle(from);
    for (size_t i = 0; i < from->nstrata; i++) {
        const cs_agg_level *src = &from->strata[i];
        cs_str name = { src->name, src->name_len };
        long s = cs__level_find(&into->strata, &into->nstrata,
                                &into->last_stratum, name);
        if (s < 0)
            return cs__level_error(s, into->by, err);
        for (int f = 0; f < CS_F_N; f++)
            for (int e = 0; e < 3; e++) {
                cs_agg_cell *c = &into->strata[s].cell[f][e];
                const cs_agg_cell *o = &src->cell[f][e];
                if (cs__add_u64(&c->sessions, o->sessions) < 0 ||
                    cs__add_u64(&c->cases, o->cases) < 0 ||
                    cs__add_u64(&c->mmin, o->mmin) < 0)
                    return cs_error_set(err, CS_EDATA, "a count overflows 64 "
                                        "bits when merging");
            }
    }
    return CS_OK;
}

static int factors_finish(cs_agg *a, cs_acc_pass *p, cs_error *err)
{
    (void)p;
    (void)err;
    cs__factors_settle(a);      /* (its stratum's index is about to move) */
    if (a->nstrata > 1)
        qsort(a->strata, a->nstrata, sizeof *a->strata, cs__level_cmp);
    a->last_stratum = 0;
    return CS_OK;
}

static void factors_write(const cs_agg *a, cs_buf *b)
{
    cs__factors_settle(a);
    cs_buf_puts(b, "by ");
    cs__put_str(b, a->by);
    cs_buf_putc(b, '\n');
    for (size_t i = 0; i < a->nstrata && !cs_buf_error(b); i++) {
        const cs_agg_level *l = &a->strata[i];
        cs_buf_puts(b, "stratum ");
        cs__put_str(b, l->name);
        cs_buf_putc(b, '\n');
        for (int f = 0; f < CS_F_N; f++)
            for (int e = 0; e < 3; e++) {
                const cs_agg_cell *c = &l->cell[f][e];
                if (c->sessions || c->cases || c->mmin)
                    cs_buf_printf(b, "cell %s %s %llu %llu %llu\n",
                                  cs_factor_name(f), state_names[e],
                                  (unsigned long long)c->sessions,
                                  (unsigned long long)c->cases,
                                  (unsigned long long)c->mmin);
            }
    }
}

static int factors_read(cs_agg *a, cs__ptext *t)
{
    cs_agg_level *cur = NULL;
    cs_str line;
    int rc;

    if ((rc = cs__ptext_fixed_str(t, "by", a->by, sizeof a->by)) < 0)
        return rc;
    while ((rc = cs__ptext_line(t, &line)) > 0) {
        cs_str w = cs__ptext_word(&line);
        if (cs_str_eq(w, "stratum")) {
            if (!(cur = cs__level_read(t, line, &a->strata, &a->nstrata,
                                       &a->last_stratum, a->by)))
                return t->err->code;
        } else if (cs_str_eq(w, "cell") && cur) {
            int f = cs__factor_index(cs__ptext_word(&line)), e = -1;
            cs_str st = cs__ptext_word(&line);
            cs_agg_cell c;
            for (int k = 0; k < 3; k++)
                if (cs_str_eq(st, state_names[k]))
                    e = k;
            if (f < 0 || e < 0)
                return cs__ptext_err(t, t->line, "unknown factor or exposure "
                                     "state");
            if ((rc = cs__ptext_u64(t, &line, &c.sessions)) < 0 ||
                (rc = cs__ptext_u64(t, &line, &c.cases)) < 0 ||
                (rc = cs__ptext_u64(t, &line, &c.mmin)) < 0)
                return rc;
            if (line.len || c.cases > c.sessions ||
                (c.sessions < UINT64_MAX / 1440000 &&
                 c.mmin > c.sessions * (uint64_t)1440000))
                return cs__ptext_err(t, t->line, "inconsistent cell: more "
                                     "cases than sessions, or more exposure "
                                     "than 1440 minutes a session");
            cur->cell[f][e] = c;
        } else {
            return cs__ptext_err(t, t->line, "unexpected line \"%.*s\"",
                                 (int)(w.len > 40 ? 40 : w.len), w.ptr);
        }
    }
    return rc;
}

/* Each session with a known outcome is in one stratum and, for every
 * factor, in one exposure state. A state that breaks this was edited or
 * corrupted, and its report would be wrong without any sign of it. */
static int factors_check(const cs_agg *a, cs__ptext *t)
{
    uint64_t used = 0;

    for (size_t i = 0; i < a->nstrata; i++) {
        const cs_agg_level *l = &a->strata[i];
        uint64_t t0[3] = { 0, 0, 0 };
        for (int f = 0; f < CS_F_N; f++) {
            uint64_t s[3] = { 0, 0, 0 };
            for (int e = 0; e < 3; e++) {
                const cs_agg_cell *c = &l->cell[f][e];
                if (cs__add_u64(&s[0], c->sessions) < 0 ||
                    cs__add_u64(&s[1], c->cases) < 0 ||
                    cs__add_u64(&s[2], c->mmin) < 0)
                    return cs__ptext_err(t, t->line, "stratum \"%s\": its "
                                         "counts overflow 64 bits", l->name);
            }
            if (f == 0)
                memcpy(t0, s, sizeof t0);
            else if (memcmp(s, t0, sizeof t0) != 0)
                return cs__ptext_err(t, t->line, "stratum \"%s\": the factors "
                                     "do not count the same sessions, cases "
                                     "and exposure (the state was edited or "
                                     "is corrupt)", l->name);
        }
        if (t0[0] == 0)
            return cs__ptext_err(t, t->line, "stratum \"%s\" counts no "
                                 "session (the state was edited or is "
                                 "corrupt)", l->name);
        if (cs__add_u64(&used, t0[0]) < 0)
            return cs__ptext_err(t, t->line, "the strata's sessions overflow "
                                 "64 bits");
    }
    if (used != cs__agg_used(a))
        return cs__ptext_err(t, t->line, "the counts do not add up to the "
                             "rows line (the state was edited or is corrupt)");
    return CS_OK;
}

static const char *const needs[] = { "sessions", NULL };

const cs_acc_kind cs_acc_factors = {
    "factors", 1, needs, cs__acc_with_sessions, factors_create,
    factors_dispose, factors_add, factors_mergeable, factors_merge,
    factors_finish, factors_write, factors_read, factors_check,
    cs__report_factors, 0,
    factors_add_rows,
    NULL,
};
