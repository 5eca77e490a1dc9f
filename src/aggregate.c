/* The aggregate state: integer counts per stratum, factor and exposure
 * state, and the covariate-pattern table for the logistic model. With six
 * binary factors the 64-pattern table (times the adjustment levels) is an
 * exact sufficient statistic for the model, so shards can be fitted as one
 * after merging. Exposure is kept in milli-minutes, an integer: sums of
 * floating-point hours would depend on the order of the shards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/source.h>
#include <crampstat/value.h>
#include "internal.h"

static const char *const state_names[3] = { "unexposed", "exposed", "unknown" };

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

int cs_agg_init(cs_agg *a, const cs_rules *r, const char *by,
                const char *adjust, cs_error *err)
{
    cs_buf b;

    memset(a, 0, sizeof *a);
    cs_buf_init(&b, 0);
    if (cs_rules_fingerprint(r, &b) < 0 || b.len >= sizeof a->rules) {
        cs_buf_dispose(&b);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    memcpy(a->rules, b.ptr, b.len + 1);
    cs_buf_dispose(&b);
    a->outcome = r->outcome;
    if ((by && strlen(by) >= sizeof a->by) ||
        (adjust && strlen(adjust) >= sizeof a->adjust))
        return cs_error_set(err, CS_EUSAGE, "column name too long");
    snprintf(a->by, sizeof a->by, "%s", by ? by : "");
    snprintf(a->adjust, sizeof a->adjust, "%s", adjust ? adjust : "");
    cs_dose_init(&a->dose, r);          /* dose-response, over time */
    cs_period_init(&a->period);
    return CS_OK;
}

static void free_levels(cs_agg_level *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i].name);
    free(l);
}

int cs_agg_cluster(cs_agg *a, cs_error *err)
{
    if (a->clu)
        return CS_OK;
    if (cs_dose_cluster(&a->dose, err) < 0)   /* robust dose trend */
        return err->code;
    return cs_clu_create(&a->clu, err);
}

void cs_agg_dispose(cs_agg *a)
{
    cs_clu_free(a->clu);
    cs_dose_dispose(&a->dose);
    cs_period_dispose(&a->period);
    free_levels(a->strata, a->nstrata);
    free_levels(a->adj, a->nadj);
    for (size_t i = 0; i < a->ninputs; i++)
        free(a->inputs[i]);
    free(a->inputs);
    memset(a, 0, sizeof *a);
}

int cs_agg_add_input(cs_agg *a, const char *name, cs_error *err)
{
    char **p;

    for (size_t i = 0; i < a->ninputs; i++)
        if (strcmp(a->inputs[i], name) == 0)
            return CS_OK;
    if (!(p = realloc(a->inputs, (a->ninputs + 1) * sizeof *p)))
        goto oom;
    a->inputs = p;
    if (!(p[a->ninputs] = dupn(name, strlen(name))))
        goto oom;
    a->ninputs++;
    return CS_OK;
oom:
    return cs_error_set(err, CS_ENOMEM, "out of memory recording the input "
                        "name %s", name);
}

/* Index of the level named v, added when new; -1 out of memory, -2 too
 * many levels. The last hit is tried first: data often come in runs. */
static long find_level(cs_agg_level **lv, size_t *n, size_t *last, cs_str v)
{
    cs_agg_level *l = *lv;

    if (*last < *n && l[*last].name_len == v.len &&
        memcmp(l[*last].name, v.ptr, v.len) == 0)
        return (long)*last;
    for (size_t i = 0; i < *n; i++)
        if (l[i].name_len == v.len && memcmp(l[i].name, v.ptr, v.len) == 0)
            return (long)(*last = i);
    if (*n >= CS_AGG_MAX_LEVELS)
        return -2;
    if (!(l = realloc(l, (*n + 1) * sizeof *l)))
        return -1;
    *lv = l;
    memset(&l[*n], 0, sizeof l[*n]);
    if (!(l[*n].name = dupn(v.ptr, v.len)))
        return -1;
    l[*n].name_len = v.len;
    *last = *n;
    return (long)(*n)++;
}

static int level_error(long rc, const char *col, cs_error *err)
{
    if (rc == -1)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    return cs_error_set(err, CS_ELIMIT, "column \"%s\" has more than %d "
                        "distinct values; it cannot be a stratifying "
                        "column", col, CS_AGG_MAX_LEVELS);
}

int cs_agg_add(cs_agg *a, const signed char *factor, int outcome,
               uint64_t mmin, cs_str by_value, cs_str adjust_value,
               cs_str participant, cs_error *err)
{
    long s, j;
    unsigned bits = 0;
    int complete = 1;

    a->rows++;
    if (outcome < 0) {
        a->outcome_unknown++;
        return CS_OK;
    }
    /* Until cs_agg_add_more tells them, its exposures are missing and
     * its day unknown: the sections count every session either way. */
    for (int e = 0; e < CS_DOSE_N; e++)
        a->dose.e[e].missing++;
    a->period.undated++;
    if (!a->by[0])
        by_value = (cs_str){ "", 0 };
    if ((s = find_level(&a->strata, &a->nstrata, &a->last_stratum, by_value)) < 0)
        return level_error(s, a->by, err);
    cs_agg_level *l = &a->strata[s];
    for (int f = 0; f < CS_F_N; f++) {
        int st = factor[f] < 0 ? CS_AGG_UNKNOWN : factor[f];
        cs_agg_cell *c = &l->cell[f][st];
        c->sessions++;
        c->cases += (uint64_t)outcome;
        c->mmin += mmin;
        if (f < CS_F_MAIN_N) {
            if (factor[f] < 0)
                complete = 0;
            else
                bits |= (unsigned)factor[f] << f;
        }
    }
    if (complete) {
        if (!a->adjust[0])
            adjust_value = (cs_str){ "", 0 };
        if ((j = find_level(&a->adj, &a->nadj, &a->last_adj, adjust_value)) < 0)
            return level_error(j, a->adjust, err);
        a->adj[j].n[bits]++;
        a->adj[j].y[bits] += (uint64_t)outcome;
        a->adj[j].m[bits] += mmin;
    }
    if (a->clu)
        return cs_clu_add(a->clu, participant, factor,
                          complete ? (unsigned)j : CS_CLU_NO_LEVEL, outcome,
                          mmin, err);
    return CS_OK;
}

/* ---- dose-response and incidence over time ---- */
int cs_agg_add_more(cs_agg *a, const cs_agg_more *m, const signed char *factor,
                    int outcome, uint64_t mmin, cs_str participant,
                    cs_error *err)
{
    if (outcome < 0)
        return CS_OK;   /* counted by cs_agg_add as outcome unknown */
    /* cs_agg_add counted the session as missing and undated */
    for (int e = 0; e < CS_DOSE_N; e++)
        a->dose.e[e].missing--;
    a->period.undated--;
    if (cs_dose_add(&a->dose, m->dose, outcome, mmin, participant, err) < 0)
        return err->code;
    return cs_period_add(&a->period, m->has_day, m->day, factor, outcome,
                         mmin, err);
}

int cs_agg_mmin(cs_str d, uint64_t *out)
{
    const char *p = d.ptr, *end = d.ptr + d.len;
    uint64_t ip = 0, frac = 0;
    int nfrac = 0, digits = 0, round_up = 0;

    if (p < end && *p == '+')
        p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        ip = ip * 10 + (uint64_t)(*p - '0');
        if (ip > 1440)
            return -1;
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
            if (nfrac < 3)
                frac = frac * 10 + (uint64_t)(*p - '0');
            else if (nfrac == 3)
                round_up = *p >= '5';
            nfrac++;
        }
    }
    if (p != end || digits == 0)
        return -1;
    while (nfrac < 3) {
        frac *= 10;
        nfrac++;
    }
    *out = ip * 1000 + frac + (uint64_t)round_up;
    /* A positive duration under half a milli-minute (ingest accepts
     * 0.0001) counts as one: rounded to 0 it made aggregate reject a
     * session that analyze kept, so the two disagreed. */
    if (*out == 0)
        for (p = d.ptr; p < end; p++)
            if (*p >= '1' && *p <= '9') {
                *out = 1;
                break;
            }
    return *out > 1440000 ? -1 : 0;
}

static int add_u64(uint64_t *x, uint64_t y)
{
    if (*x > UINT64_MAX - y)
        return -1;
    *x += y;
    return 0;
}

int cs_agg_merge_move(cs_agg *into, cs_agg *from, cs_error *err)
{
    /* Into has no participants and no levels yet (the first file of a
     * run): from's level indices stay valid in into, so its participant
     * sums can be handed over instead of added one entry at a time. The
     * participants' dose-response counts likewise: added one by one into
     * an empty table they would come out the same (cs_dose_finish sorts
     * them), at the cost of a second copy of every participant's (5M
     * sessions: analyze's peak RSS 429 -> 266 MiB). */
    if (into->clu && from->clu && cs_clu_participants(into->clu) == 0 &&
        into->nadj == 0) {
        cs_clu *mine = into->clu, *theirs = from->clu;
        cs_dose_people *dmine = NULL, *dtheirs = NULL;
        int move_dose = into->dose.people && from->dose.people &&
                        cs_dose_participants(&into->dose) == 0;
        into->clu = from->clu = NULL;       /* merge everything else */
        if (move_dose) {
            dmine = into->dose.people;
            dtheirs = from->dose.people;
            into->dose.people = from->dose.people = NULL;
        }
        int rc = cs_agg_merge(into, from, err);
        if (move_dose) {
            into->dose.people = rc < 0 ? dmine : dtheirs;
            from->dose.people = rc < 0 ? dtheirs : dmine;
        }
        if (rc < 0) {
            into->clu = mine;
            from->clu = theirs;
            return rc;
        }
        into->clu = theirs;                 /* take the sums */
        from->clu = mine;                   /* the empty table goes back */
        return CS_OK;
    }
    return cs_agg_merge(into, from, err);
}

int cs_agg_merge(cs_agg *into, const cs_agg *from, cs_error *err)
{
    if (strcmp(into->rules, from->rules) != 0) {
        /* Name the first rule that differs; the whole lists are long. */
        const char *a = into->rules, *b = from->rules;
        size_t i = 0, start = 0, ea, eb;
        while (a[i] && a[i] == b[i]) {
            if (a[i] == ';')
                start = i + 1;
            i++;
        }
        ea = start + strcspn(a + start, ";");
        eb = start + strcspn(b + start, ";");
        return cs_error_set(err, CS_EDATA, "the states were made with "
                            "different rules (%.*s vs %.*s)",
                            (int)(ea - start > 80 ? 80 : ea - start), a + start,
                            (int)(eb - start > 80 ? 80 : eb - start), b + start);
    }
    if (into->outcome != from->outcome)
        return cs_error_set(err, CS_EDATA, "the states count different "
                            "outcomes (hamstring vs any cramp)");
    if (strcmp(into->by, from->by) != 0)
        return cs_error_set(err, CS_EDATA, "the states are stratified by "
                            "different columns (\"%s\" vs \"%s\")", into->by,
                            from->by);
    if (strcmp(into->adjust, from->adjust) != 0)
        return cs_error_set(err, CS_EDATA, "the states adjust for different "
                            "columns (\"%s\" vs \"%s\")", into->adjust,
                            from->adjust);
    if (!into->clu != !from->clu)
        return cs_error_set(err, CS_EDATA, "one state clusters sessions by "
                            "participant and the other does not (made with "
                            "--cluster none?)");
    if (add_u64(&into->rows, from->rows) < 0 ||
        add_u64(&into->outcome_unknown, from->outcome_unknown) < 0)
        goto overflow;
    for (size_t i = 0; i < from->ninputs; i++)
        if (cs_agg_add_input(into, from->inputs[i], err) < 0)
            return err->code;
    for (size_t i = 0; i < from->nstrata; i++) {
        const cs_agg_level *src = &from->strata[i];
        cs_str name = { src->name, strlen(src->name) };
        long s = find_level(&into->strata, &into->nstrata, &into->last_stratum, name);
        if (s < 0)
            return level_error(s, into->by, err);
        for (int f = 0; f < CS_F_N; f++)
            for (int e = 0; e < 3; e++) {
                cs_agg_cell *c = &into->strata[s].cell[f][e];
                const cs_agg_cell *o = &src->cell[f][e];
                if (add_u64(&c->sessions, o->sessions) < 0 ||
                    add_u64(&c->cases, o->cases) < 0 ||
                    add_u64(&c->mmin, o->mmin) < 0)
                    goto overflow;
            }
    }
    size_t *map = from->nadj ? malloc(from->nadj * sizeof *map) : NULL;
    if (from->nadj && !map)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (size_t i = 0; i < from->nadj; i++) {
        const cs_agg_level *src = &from->adj[i];
        cs_str name = { src->name, strlen(src->name) };
        long j = find_level(&into->adj, &into->nadj, &into->last_adj, name);
        if (j < 0) {
            free(map);
            return level_error(j, into->adjust, err);
        }
        map[i] = (size_t)j;
        for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
            if (add_u64(&into->adj[j].n[k], src->n[k]) < 0 ||
                add_u64(&into->adj[j].y[k], src->y[k]) < 0 ||
                add_u64(&into->adj[j].m[k], src->m[k]) < 0) {
                free(map);
                goto overflow;
            }
    }
    if (into->clu && cs_clu_merge(into->clu, from->clu, map, from->nadj, err) < 0) {
        free(map);
        return err->code;
    }
    free(map);
    if (cs_dose_merge(&into->dose, &from->dose, err) < 0 ||
        cs_period_merge(&into->period, &from->period, err) < 0)
        return err->code;
    return CS_OK;
overflow:
    return cs_error_set(err, CS_EDATA, "a count overflows 64 bits when "
                        "merging");
}

static int cmp_level(const void *x, const void *y)
{
    return strcmp(((const cs_agg_level *)x)->name,
                  ((const cs_agg_level *)y)->name);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

int cs_agg_finish(cs_agg *a, cs_error *err)
{
    if (a->nstrata > 1)
        qsort(a->strata, a->nstrata, sizeof *a->strata, cmp_level);
    if (a->nadj > 1) {
        /* The participants' entries name levels by index: renumber them.
         * The names are distinct, so the old index of each is found by
         * name after the sort. */
        char **old = malloc(a->nadj * sizeof *old);
        size_t *map = malloc(a->nadj * sizeof *map);
        if (!old || !map) {
            free(old);
            free(map);
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < a->nadj; i++)
            old[i] = a->adj[i].name;
        qsort(a->adj, a->nadj, sizeof *a->adj, cmp_level);
        for (size_t i = 0; i < a->nadj; i++)
            for (size_t k = 0; k < a->nadj; k++)
                if (a->adj[k].name == old[i])
                    map[i] = k;
        if (a->clu)
            cs_clu_remap_levels(a->clu, map, a->nadj);
        free(old);
        free(map);
    }
    if (a->ninputs > 1)
        qsort(a->inputs, a->ninputs, sizeof *a->inputs, cmp_str);
    a->last_stratum = a->last_adj = 0;
    if (cs_dose_finish(&a->dose, err) < 0)
        return err->code;
    if (cs_period_finish(&a->period) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    return a->clu ? cs_clu_finish(a->clu, err) : CS_OK;
}

/* ---- the partial-state text ------------------------------------------ */

/* Strings are written as ':' and percent-encoded bytes, so that every
 * value, the empty one included, is one token to the end of the line. */
static void put_str(cs_buf *b, const char *s)
{
    cs_buf_putc(b, ':');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == '%')
            cs_buf_printf(b, "%%%02X", c);
        else
            cs_buf_putc(b, (char)c);
    }
}

/* A list of appends and one check: the buffer's error is sticky. */
int cs_agg_write_partial(const cs_agg *a, cs_buf *b, cs_error *err)
{
    cs_buf_printf(b, "crampstat-partial %d aggregate\nrules ", CS_AGG_VERSION);
    put_str(b, a->rules);
    cs_buf_printf(b, "\noutcome %s\nby ",
                  a->outcome == CS_OUTCOME_ANY ? "any" : "hamstring");
    put_str(b, a->by);
    cs_buf_printf(b, "\nadjust ");
    put_str(b, a->adjust);
    cs_buf_printf(b, "\nfactors");
    for (int f = 0; f < CS_F_N; f++)
        cs_buf_printf(b, "%c%s", f ? ',' : ' ', cs_factor_name(f));
    cs_buf_printf(b, "\nrows %llu %llu\n", (unsigned long long)a->rows,
                  (unsigned long long)a->outcome_unknown);
    if (a->clu)
        cs_buf_printf(b, "clusters participant_id %zu\n",
                      cs_clu_participants(a->clu));
    for (size_t i = 0; i < a->ninputs; i++) {
        cs_buf_printf(b, "input ");
        put_str(b, a->inputs[i]);
        cs_buf_putc(b, '\n');
    }
    for (size_t i = 0; i < a->nstrata && !cs_buf_error(b); i++) {
        const cs_agg_level *l = &a->strata[i];
        cs_buf_printf(b, "stratum ");
        put_str(b, l->name);
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
    for (size_t i = 0; i < a->nadj && !cs_buf_error(b); i++) {
        const cs_agg_level *l = &a->adj[i];
        cs_buf_printf(b, "level ");
        put_str(b, l->name);
        cs_buf_putc(b, '\n');
        for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
            if (l->n[k] || l->y[k] || l->m[k])
                cs_buf_printf(b, "pattern %u %llu %llu %llu\n", k,
                              (unsigned long long)l->n[k],
                              (unsigned long long)l->y[k],
                              (unsigned long long)l->m[k]);
    }
    cs_dose_write(&a->dose, b);
    cs_period_write(&a->period, b);
    if (a->clu)
        cs_clu_write(a->clu, b);
    cs_buf_printf(b, "end\n");
    return cs_buf_check(b, err);
}

/* Parser state for one untrusted state file. */
/* The shared reader (src/ptext.c), with aggregate's short names. */
typedef cs__ptext pstate;
#define perr(ps, fmt, arg) cs__ptext_err((ps), (ps)->line, fmt, arg)
#define next_line cs__ptext_line
#define word cs__ptext_word
#define get_u64 cs__ptext_u64

/* Decode ":percent-encoded" into a fresh string. */
static int get_str(pstate *ps, cs_str s, char **out)
{
    char *d;
    size_t n;

    if (s.len == 0 || s.ptr[0] != ':')
        return perr(ps, "expected ':' and a value%s", "");
    if (!(d = malloc(s.len)))
        return cs_error_set(ps->err, CS_ENOMEM, "out of memory");
    switch (cs__ptext_unescape((cs_str){ s.ptr + 1, s.len - 1 }, d, s.len, &n)) {
    case 0:
        break;
    case -2:
        free(d);
        return perr(ps, "unescaped byte in a value%s", "");
    default:
        free(d);
        return perr(ps, "bad %%-escape%s", "");
    }
    *out = d;
    return CS_OK;
}

static int expect_key(pstate *ps, const char *key, cs_str *rest)
{
    cs_str line;
    int rc = next_line(ps, &line);

    if (rc < 0)
        return rc;
    if (rc == 0)
        return perr(ps, "the state is truncated: \"%s\" is missing", key);
    cs_str w = word(&line);
    if (!cs_str_eq(w, key))
        return perr(ps, "expected \"%s\"", key);
    *rest = line;
    return CS_OK;
}

static int get_fixed_str(pstate *ps, const char *key, char *dst, size_t cap)
{
    cs_str rest;
    char *s;
    int rc;

    if ((rc = expect_key(ps, key, &rest)) < 0 || (rc = get_str(ps, rest, &s)) < 0)
        return rc;
    if (strlen(s) >= cap) {
        free(s);
        return perr(ps, "%s: value too long", key);
    }
    memcpy(dst, s, strlen(s) + 1);
    free(s);
    return CS_OK;
}

static int factor_index(cs_str w)
{
    for (int f = 0; f < CS_F_N; f++)
        if (cs_str_eq(w, cs_factor_name(f)))
            return f;
    return -1;
}

/* The totals a real state always has, whatever merged it: each session
 * with a known outcome is in one stratum and, for every factor, in one
 * exposure state; sessions with all main factors known are in one
 * pattern. A state that breaks this was edited or corrupted, and its
 * report would be wrong without any sign of it. */
static int check_totals(const cs_agg *a, pstate *ps)
{
    uint64_t used = 0, complete = 0;

    for (size_t i = 0; i < a->nstrata; i++) {
        const cs_agg_level *l = &a->strata[i];
        uint64_t t0[3] = { 0, 0, 0 };
        for (int f = 0; f < CS_F_N; f++) {
            uint64_t t[3] = { 0, 0, 0 };
            for (int e = 0; e < 3; e++) {
                const cs_agg_cell *c = &l->cell[f][e];
                if (add_u64(&t[0], c->sessions) < 0 ||
                    add_u64(&t[1], c->cases) < 0 || add_u64(&t[2], c->mmin) < 0)
                    return perr(ps, "stratum \"%s\": its counts overflow 64 "
                                "bits", l->name);
            }
            if (f == 0)
                memcpy(t0, t, sizeof t0);
            else if (memcmp(t, t0, sizeof t0) != 0)
                return perr(ps, "stratum \"%s\": the factors do not count "
                            "the same sessions, cases and exposure (the "
                            "state was edited or is corrupt)", l->name);
        }
        if (add_u64(&used, t0[0]) < 0)
            return perr(ps, "the strata's sessions overflow 64 bits%s", "");
    }
    for (size_t i = 0; i < a->nadj; i++)
        for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
            if (add_u64(&complete, a->adj[i].n[k]) < 0)
                return perr(ps, "the pattern counts overflow 64 bits%s", "");
    if (used != a->rows - a->outcome_unknown || complete > used)
        return perr(ps, "the counts do not add up to the rows line (the "
                    "state was edited or is corrupt)%s", "");
    return CS_OK;
}

/* The participants' sums must count the same sessions, cases and
 * exposure as the cells and the pattern tables. */
static int check_people(const cs_agg *a, pstate *ps)
{
    uint64_t cell[CS_F_N][3][3];
    uint64_t *pn = calloc(a->nadj * CS_AGG_PATTERNS + 1, 2 * sizeof *pn);
    int bad = 0;

    if (!pn)
        return cs_error_set(ps->err, CS_ENOMEM, "out of memory");
    cs_clu_totals(a->clu, cell, a->nadj, pn, pn + a->nadj * CS_AGG_PATTERNS);
    for (int f = 0; f < CS_F_N && !bad; f++)
        for (int e = 0; e < 3 && !bad; e++) {
            uint64_t t[3] = { 0, 0, 0 };
            for (size_t i = 0; i < a->nstrata; i++) {
                t[0] += a->strata[i].cell[f][e].sessions;
                t[1] += a->strata[i].cell[f][e].cases;
                t[2] += a->strata[i].cell[f][e].mmin;
            }
            bad = memcmp(t, cell[f][e], sizeof t) != 0;
        }
    for (size_t j = 0; j < a->nadj && !bad; j++)
        for (unsigned k = 0; k < CS_AGG_PATTERNS && !bad; k++)
            bad = a->adj[j].n[k] != pn[j * CS_AGG_PATTERNS + k] ||
                  a->adj[j].y[k] != pn[a->nadj * CS_AGG_PATTERNS + j * CS_AGG_PATTERNS + k];
    free(pn);
    if (bad)
        return perr(ps, "the participants' sessions do not add up to the "
                    "cells and patterns (the state was edited or is "
                    "corrupt)%s", "");
    return CS_OK;
}

int cs_agg_read_partial(cs_agg *a, const char *name, const char *text,
                        size_t len, cs_error *err)
{
    pstate ps = { name, text, text + len, 0, err };
    cs_str line, rest, w;
    cs_agg_level *cur = NULL;
    int rc, in_levels = 0, in_people = 0;
    uint64_t declared = 0;

    memset(a, 0, sizeof *a);
    if ((rc = next_line(&ps, &line)) <= 0)
        return rc < 0 ? rc : perr(&ps, "empty input: not a partial state%s", "");
    if (!cs_str_eq(line, "crampstat-partial 2 aggregate")) {
        if (cs_str_eq(line, "crampstat-partial 1 aggregate"))
            return perr(&ps, "partial state format 1 comes from an older "
                        "crampstat and has no per-participant sums for the "
                        "intervals robust to clustering: make the state "
                        "again with this crampstat (aggregate --partial)%s", "");
        if (line.len > 18 && memcmp(line.ptr, "crampstat-partial ", 18) == 0) {
            char v[64];
            snprintf(v, sizeof v, "%.*s", (int)(line.len > 60 ? 60 : line.len),
                     line.ptr);
            return perr(&ps, "unsupported partial state \"%s\" (this "
                        "crampstat reads \"crampstat-partial 2 aggregate\")", v);
        }
        return perr(&ps, "not a crampstat aggregate partial state%s", "");
    }
    if ((rc = get_fixed_str(&ps, "rules", a->rules, sizeof a->rules)) < 0 ||
        (rc = expect_key(&ps, "outcome", &rest)) < 0)
        goto fail;
    if (cs_str_eq(rest, "hamstring"))
        a->outcome = CS_OUTCOME_HAMSTRING;
    else if (cs_str_eq(rest, "any"))
        a->outcome = CS_OUTCOME_ANY;
    else {
        rc = perr(&ps, "outcome is hamstring or any%s", "");
        goto fail;
    }
    if ((rc = get_fixed_str(&ps, "by", a->by, sizeof a->by)) < 0 ||
        (rc = get_fixed_str(&ps, "adjust", a->adjust, sizeof a->adjust)) < 0 ||
        (rc = expect_key(&ps, "factors", &rest)) < 0)
        goto fail;
    for (int f = 0; f < CS_F_N; f++) {
        const char *sep = memchr(rest.ptr, ',', rest.len);
        cs_str fw = { rest.ptr, sep ? (size_t)(sep - rest.ptr) : rest.len };
        if (factor_index(fw) != f) {
            rc = perr(&ps, "the factor list differs from this crampstat's%s", "");
            goto fail;
        }
        rest.ptr += fw.len + (sep ? 1 : 0);
        rest.len -= fw.len + (sep ? 1 : 0);
    }
    if (rest.len) {
        rc = perr(&ps, "the factor list differs from this crampstat's%s", "");
        goto fail;
    }
    if ((rc = expect_key(&ps, "rows", &rest)) < 0 ||
        (rc = get_u64(&ps, &rest, &a->rows)) < 0 ||
        (rc = get_u64(&ps, &rest, &a->outcome_unknown)) < 0)
        goto fail;
    if (a->outcome_unknown > a->rows) {
        rc = perr(&ps, "more sessions with an unknown outcome than rows%s", "");
        goto fail;
    }
    for (;;) {
        if ((rc = next_line(&ps, &line)) < 0)
            goto fail;
        if (rc == 0) {
            rc = perr(&ps, "the state is truncated: \"end\" is missing%s", "");
            goto fail;
        }
        rest = line;
        w = word(&rest);
        if (cs_str_eq(w, "end") && rest.len == 0)
            break;
        if (cs_str_eq(w, "clusters") && !a->clu && !cur && !in_levels &&
            !a->ninputs) {
            if (!cs_str_eq(word(&rest), "participant_id") ||
                (rc = get_u64(&ps, &rest, &declared)) < 0 || rest.len) {
                rc = perr(&ps, "expected \"clusters participant_id COUNT\"%s", "");
                goto fail;
            }
            if ((rc = cs_agg_cluster(a, err)) < 0)
                goto fail;
        } else if (cs_str_eq(w, "p") && a->clu) {
            char why[160];
            if (cs_clu_read_line(a->clu, rest, a->nadj, why, sizeof why) < 0) {
                rc = perr(&ps, "%s", why);
                goto fail;
            }
            in_people = 1;
        } else if (in_people) {
            rc = perr(&ps, "only participant lines may follow the first one%s", "");
            goto fail;
        } else if (cs_str_eq(w, "dose") || cs_str_eq(w, "band") ||
                   cs_str_eq(w, "dp") || cs_str_eq(w, "undated") ||
                   cs_str_eq(w, "day")) {
            /* dose-response and over-time sections */
            char why[200];
            int bad = w.ptr[0] == 'd' && w.ptr[1] == 'a'
                          ? cs_period_read_line(&a->period, w, rest, why, sizeof why)
                      : w.ptr[0] == 'u'
                          ? cs_period_read_line(&a->period, w, rest, why, sizeof why)
                          : cs_dose_read_line(&a->dose, w, rest, why, sizeof why);
            if (bad < 0) {
                rc = perr(&ps, "%s", why);
                goto fail;
            }
            cur = NULL;
            in_levels = 1;
        } else if (cs_str_eq(w, "input") && !cur && !in_levels) {
            char *s;
            if ((rc = get_str(&ps, rest, &s)) < 0)
                goto fail;
            rc = cs_agg_add_input(a, s, err);
            free(s);
            if (rc < 0)
                goto fail;
        } else if ((cs_str_eq(w, "stratum") && !in_levels) || cs_str_eq(w, "level")) {
            char *s;
            size_t before;
            long idx;
            int lev = cs_str_eq(w, "level");
            if ((rc = get_str(&ps, rest, &s)) < 0)
                goto fail;
            before = lev ? a->nadj : a->nstrata;
            idx = lev ? find_level(&a->adj, &a->nadj, &a->last_adj,
                                   (cs_str){ s, strlen(s) })
                      : find_level(&a->strata, &a->nstrata, &a->last_stratum,
                                   (cs_str){ s, strlen(s) });
            free(s);
            if (idx < 0) {
                rc = level_error(idx, lev ? a->adjust : a->by, err);
                goto fail;
            }
            if ((lev ? a->nadj : a->nstrata) == before) {
                rc = perr(&ps, "a level appears twice%s", "");
                goto fail;
            }
            cur = lev ? &a->adj[idx] : &a->strata[idx];
            in_levels = lev;
        } else if (cs_str_eq(w, "cell") && cur && !in_levels) {
            int f = factor_index(word(&rest)), e = -1;
            cs_str st = word(&rest);
            cs_agg_cell c;
            for (int k = 0; k < 3; k++)
                if (cs_str_eq(st, state_names[k]))
                    e = k;
            if (f < 0 || e < 0) {
                rc = perr(&ps, "unknown factor or exposure state%s", "");
                goto fail;
            }
            if ((rc = get_u64(&ps, &rest, &c.sessions)) < 0 ||
                (rc = get_u64(&ps, &rest, &c.cases)) < 0 ||
                (rc = get_u64(&ps, &rest, &c.mmin)) < 0)
                goto fail;
            if (rest.len || c.cases > c.sessions ||
                (c.sessions < UINT64_MAX / 1440000 &&
                 c.mmin > c.sessions * (uint64_t)1440000)) {
                rc = perr(&ps, "inconsistent cell: more cases than sessions, "
                          "or more exposure than 1440 minutes a session%s", "");
                goto fail;
            }
            cur->cell[f][e] = c;
        } else if (cs_str_eq(w, "pattern") && cur && in_levels) {
            uint64_t k, n, y, m;
            if ((rc = get_u64(&ps, &rest, &k)) < 0 ||
                (rc = get_u64(&ps, &rest, &n)) < 0 ||
                (rc = get_u64(&ps, &rest, &y)) < 0 ||
                (rc = get_u64(&ps, &rest, &m)) < 0)
                goto fail;
            if (rest.len || k >= CS_AGG_PATTERNS || y > n ||
                (n < UINT64_MAX / 1440000 && m > n * (uint64_t)1440000)) {
                rc = perr(&ps, "inconsistent pattern line%s", "");
                goto fail;
            }
            cur->n[k] = n;
            cur->y[k] = y;
            cur->m[k] = m;
        } else {
            char tmp[48];
            snprintf(tmp, sizeof tmp, "%.*s", (int)(w.len > 40 ? 40 : w.len), w.ptr);
            rc = perr(&ps, "unexpected line \"%s\"", tmp);
            goto fail;
        }
    }
    if (ps.p != ps.end) {
        rc = perr(&ps, "text after \"end\"%s", "");
        goto fail;
    }
    if ((rc = check_totals(a, &ps)) < 0)
        goto fail;
    if (a->clu && cs_clu_participants(a->clu) != declared) {
        rc = cs__ptext_err(&ps, ps.line, "the clusters line counts %llu "
                           "participants, the state has %zu (the state was "
                           "edited or is corrupt)", (unsigned long long)declared,
                           cs_clu_participants(a->clu));
        goto fail;
    }
    if (a->clu && (rc = check_people(a, &ps)) < 0)
        goto fail;
    {
        char why[200];
        uint64_t used = a->rows - a->outcome_unknown;
        if (cs_dose_check(&a->dose, used, why, sizeof why) < 0 ||
            cs_period_check(&a->period, used, why, sizeof why) < 0) {
            rc = cs__ptext_err(&ps, ps.line, "%s", why);
            goto fail;
        }
        if (a->dose.present != 0 && !a->clu != !a->dose.people) {
            rc = cs__ptext_err(&ps, ps.line, "the dose-response section and "
                               "the clusters line disagree%s", "");
            goto fail;
        }
    }
    if ((rc = cs_agg_finish(a, err)) < 0)
        goto fail;
    return CS_OK;
fail:
    cs_agg_dispose(a);
    return rc;
}

int cs_read_small_file(cs_buf *b, const char *path, cs_error *err)
{
    cs_source *src = NULL;
    long n;

    cs_buf_reset(b);
    if (cs_source_open(&src, path, err) < 0)
        return err->code;
    for (;;) {
        if (cs_buf_reserve(b, 65536) < 0) {
            cs_source_free(src);
            return cs_error_at(err, CS_ELIMIT, (cs_pos){ path, 0, 0 },
                               "larger than %zu bytes: not a partial state",
                               CS_PARTIAL_MAX);
        }
        n = cs_source_read(src, b->ptr + b->len, 65536, err);
        if (n <= 0)
            break;
        b->len += (size_t)n;
        if (b->len > CS_PARTIAL_MAX) {
            cs_source_free(src);
            return cs_error_at(err, CS_ELIMIT, (cs_pos){ path, 0, 0 },
                               "larger than %zu bytes: not a partial state",
                               CS_PARTIAL_MAX);
        }
    }
    cs_source_free(src);
    if (n < 0)
        return (int)n;
    b->ptr[b->len] = '\0';
    return CS_OK;
}

int cs_partial_kind(const char *name, const char *text, size_t len,
                    char *kind, size_t cap, cs_error *err)
{
    const char *nl = memchr(text, '\n', len);
    size_t n = nl ? (size_t)(nl - text) : len;
    const char *sp;

    if (n < 20 || memcmp(text, "crampstat-partial ", 18) != 0 ||
        !(sp = memchr(text + 18, ' ', n - 18)) || (size_t)(text + n - sp - 1) >= cap)
        return cs_error_at(err, CS_EDATA, (cs_pos){ name, 1, 0 },
                           "not a crampstat partial state (it should begin "
                           "with \"crampstat-partial\")");
    /* Else the kind would be "aggregate\r" and the message a puzzle. */
    if (text[n - 1] == '\r')
        return cs_error_at(err, CS_EDATA, (cs_pos){ name, 1, 0 },
                           "the partial state has CRLF line ends (converted "
                           "as text?); states are written with LF only");
    memcpy(kind, sp + 1, (size_t)(text + n - sp - 1));
    kind[text + n - sp - 1] = '\0';
    return CS_OK;
}
