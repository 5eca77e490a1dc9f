/* The state: a set of accumulators (acc.h) under one registry, and the
 * first of them, "sessions": the rules in force, the outcome, the tagged
 * sessions read and the input names. Adding, merging and finishing go
 * through the registry in its order, so that a new accumulator is one
 * file and one registration line. Every count is an integer (sessions,
 * cases, exposure in milli-minutes), so merging is exact, associative and
 * commutative: sums of floating-point hours would depend on the order of
 * the shards. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/source.h>
#include <crampstat/value.h>
#include "internal.h"

_Static_assert(CS_ACC_MAX <= sizeof(((cs_agg *)0)->have) * CHAR_BIT,
               "cs_agg.have has a bit for each accumulator");

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* ---- the state: its accumulators, in registry order ------------------ */

void cs_agg_empty(cs_agg *a)
{
    memset(a, 0, sizeof *a);
}

static int create(cs_agg *a, size_t i, const cs_acc_opts *o, cs_error *err)
{
    if (a->have & (1u << i))
        return CS_OK;
    if (cs_acc_registry[i]->create(a, o, err) < 0)
        return err->code;
    a->have |= 1u << i;
    return CS_OK;
}

int cs_agg_open(cs_agg *a, const cs_acc_opts *o, cs_error *err)
{
    cs_agg_empty(a);
    for (size_t i = 0; i < cs_acc_count; i++)
        if (cs_acc_registry[i]->wanted(o) && create(a, i, o, err) < 0) {
            cs_agg_dispose(a);
            return err->code;
        }
    return CS_OK;
}

int cs_agg_init(cs_agg *a, const cs_rules *r, const char *by,
                const char *adjust, cs_error *err)
{
    cs_acc_opts o = { r, by, adjust, 1, 0, 0, 0 };

    return cs_agg_open(a, &o, err);
}

int cs_agg_cluster(cs_agg *a, cs_error *err)
{
    cs_acc_opts o = { NULL, NULL, NULL, 1, 1, 0, 0 };
    int i = cs_acc_find((cs_str){ "cluster", 7 });

    if (i < 0 || create(a, (size_t)i, &o, err) < 0)
        return i < 0 ? cs_error_set(err, CS_ERROR, "no cluster "
                                    "accumulator") : err->code;
    /* The dose-response trend gets its robust interval from the same
     * participants. */
    if (cs_agg_has(a, "dose") && cs_dose_cluster(&a->dose, err) < 0)
        return err->code;
    return CS_OK;
}

int cs_agg_has(const cs_agg *a, const char *name)
{
    int i = cs_acc_find((cs_str){ name, strlen(name) });

    return i >= 0 && (a->have & (1u << i));
}

void cs_agg_dispose(cs_agg *a)
{
    for (size_t i = cs_acc_count; i-- > 0;)
        if (a->have & (1u << i))
            cs_acc_registry[i]->dispose(a);
    free(a->leaf);
    memset(a, 0, sizeof *a);
}

/* The add functions of the accumulators a holds, in registry order. */
__attribute__((noinline))
static void list_adds(cs_agg *a)
{
    size_t k = 0;

    for (unsigned m = a->have; m; m &= m - 1)
        a->add[k++] = cs_acc_registry[__builtin_ctz(m)]->add;
    a->add[k] = NULL;
    a->add_have = a->have;
}

int cs_agg_add_row(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    if (a->add_have != a->have)
        list_adds(a);
    for (int (*const *add)(cs_agg *, cs_acc_row *, cs_error *) = a->add;
         *add; add++)
        if ((*add)(a, r, err) < 0)
            return err->code;
    return CS_OK;
}

int cs_agg_add_rows(cs_agg *a, cs_acc_row *r, size_t n, cs_error *err)
{
    /* An accumulator that fails on session i gives the error, and the
     * later ones take only the sessions before i: the error is that of
     * the first failing session, as one session at a time gives. Each
     * starts with e clear (cs_error_set keeps the first error given). */
    size_t limit = n;
    cs_error e = {0};

    for (unsigned m = a->have; m && limit; m &= m - 1) {
        const int i = __builtin_ctz(m);
        int (*add)(cs_agg *, cs_acc_row *, cs_error *) =
            cs_acc_registry[i]->add;
        size_t done = 0;
        if (e.code != CS_OK)
            e = (cs_error){0};
        if (cs_acc_registry[i]->add_rows)
            done = cs_acc_registry[i]->add_rows(a, r, limit, &e);
        else
            while (done < limit && add(a, &r[done], &e) >= 0)
                done++;
        if (done < limit) {
            *err = e;
            limit = done;
        }
    }
    return limit < n ? err->code : CS_OK;
}

int cs_agg_add(cs_agg *a, const signed char *factor, int outcome,
               uint64_t mmin, cs_str by_value, cs_str adjust_value,
               cs_str participant, cs_error *err)
{
    cs_acc_row r = { factor, outcome, mmin, by_value, adjust_value,
                     participant, NULL, NAN, 0, 0 };

    return cs_agg_add_row(a, &r, err);
}

/* The names of the accumulators of have, comma-separated. */
static void names(char *d, size_t cap, unsigned have)
{
    size_t n = 0;

    d[0] = '\0';
    for (size_t i = 0; i < cs_acc_count && n < cap; i++)
        if (have & (1u << i))
            n += (size_t)snprintf(d + n, cap - n, "%s%s", n ? "," : "",
                                  cs_acc_registry[i]->name);
}

int cs_agg_counts_nothing(const cs_agg *a)
{
    return !a->rows && !(a->cal && (a->cal->participants ||
                                    cs_cal_counts_sessions(a->cal)));
}

long cs_agg_shared_leaf(const cs_agg *into, const cs_agg *from)
{
    size_t i = 0, j = 0;

    /* A state that counts nothing counts nothing twice either: empty
     * shards (more shards than participants) all have the same text. */
    if (cs_agg_counts_nothing(into) || cs_agg_counts_nothing(from))
        return -1;

    /* Both sorted: one walk. */
    while (i < into->nleaves && j < from->nleaves) {
        int c = memcmp(into->leaf[i].id, from->leaf[j].id, 64);
        if (c == 0)
            return (long)i;
        if (c < 0)
            i++;
        else
            j++;
    }
    return -1;
}

/* into's leaves become the sorted union of both (distinct: the caller
 * has refused a shared one). */
static int merge_leaves(cs_agg *into, const cs_agg *from, cs_error *err)
{
    size_t i = 0, j = 0, k = 0, n = into->nleaves + from->nleaves;
    cs_agg_leaf *u;

    if (cs_agg_counts_nothing(from))
        return CS_OK;                  /* nothing of it to count twice */
    if (cs_agg_counts_nothing(into)) {
        into->nleaves = 0;             /* its leaves name no sessions */
        n = from->nleaves;
    }
    if (from->nleaves == 0)
        return CS_OK;
    if (!(u = malloc(n * sizeof *u)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    while (i < into->nleaves || j < from->nleaves)
        if (j == from->nleaves ||
            (i < into->nleaves &&
             memcmp(into->leaf[i].id, from->leaf[j].id, 64) < 0))
            u[k++] = into->leaf[i++];
        else
            u[k++] = from->leaf[j++];
    free(into->leaf);
    into->leaf = u;
    into->nleaves = n;
    return CS_OK;
}

static int merge(cs_agg *into, cs_agg *from, int may_take, cs_error *err)
{
    cs_acc_pass p = { NULL, 0, into->nadj, may_take };
    int rc = CS_OK;

    if (into->have != from->have) {
        char mine[160], theirs[160];
        names(mine, sizeof mine, into->have);
        names(theirs, sizeof theirs, from->have);
        return cs_error_set(err, CS_EDATA, "the states have different "
                            "sections (%s vs %s)%s", mine, theirs,
                            (into->have ^ from->have) == 1u << cs_acc_find(
                                (cs_str){ "cluster", 7 })
                            ? ": one was made with --cluster none" : "");
    }
    for (size_t i = 0; i < cs_acc_count; i++)
        if ((into->have & (1u << i)) && cs_acc_registry[i]->mergeable &&
            cs_acc_registry[i]->mergeable(into, from, err) < 0)
            return err->code;
    /* A leaf state in both would count its sessions twice: the same
     * state given twice, or a total merged again with a part of it. */
    long shared = cs_agg_shared_leaf(into, from);
    if (shared >= 0)
        return cs_error_set(err, CS_EDATA, "both states hold the state "
                            "%.12s... (its sessions would count twice)",
                            into->leaf[shared].id);
    if (merge_leaves(into, from, err) < 0)
        return err->code;
    for (size_t i = 0; i < cs_acc_count && rc == CS_OK; i++)
        if (into->have & (1u << i))
            rc = cs_acc_registry[i]->merge(into, from, &p, err);
    free(p.level_map);
    return rc;
}

int cs_agg_merge(cs_agg *into, const cs_agg *from, cs_error *err)
{
    /* With may_take 0 no accumulator changes from. */
    return merge(into, (cs_agg *)from, 0, err);
}

int cs_agg_merge_move(cs_agg *into, cs_agg *from, cs_error *err)
{
    return merge(into, from, 1, err);
}

int cs_agg_finish(cs_agg *a, cs_error *err)
{
    cs_acc_pass p = { NULL, 0, 0, 0 };
    int rc = CS_OK;

    for (size_t i = 0; i < cs_acc_count && rc == CS_OK; i++)
        if (a->have & (1u << i))
            rc = cs_acc_registry[i]->finish(a, &p, err);
    free(p.level_map);
    return rc;
}

uint64_t cs__agg_used(const cs_agg *a)
{
    return a->rows - a->outcome_unknown;
}

int cs__agg_totals(const cs_agg *a, cs__totals *out)
{
    cs__factors_settle(a);
    memset(out, 0, sizeof *out);
    for (size_t s = 0; s < a->nstrata; s++) {
        cs_agg_cell (*c)[3] = a->strata[s].cell;
        for (int k = 0; k < 3; k++)
            if (cs__add_u64(&out->sessions, c[0][k].sessions) < 0 ||
                cs__add_u64(&out->cases, c[0][k].cases) < 0 ||
                cs__add_u64(&out->mmin, c[0][k].mmin) < 0)
                return -1;
        for (int f = 0; f < CS_F_MAIN_N; f++)
            if (cs__add_u64(&out->exposed[f],
                            c[f][CS_AGG_EXPOSED].sessions) < 0 ||
                cs__add_u64(&out->known[f],
                            c[f][CS_AGG_EXPOSED].sessions) < 0 ||
                cs__add_u64(&out->known[f],
                            c[f][CS_AGG_UNEXPOSED].sessions) < 0)
                return -1;
    }
    return 0;
}

/* ---- the levels of a column, shared by "factors" and "logistic" ------ */

void cs__levels_free(cs_agg_level *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i].name);
    free(l);
}

/* cs__level_find (internal.h) past the cached level: a search, or a new
 * level. */
long cs__level_search(cs_agg_level **lv, size_t *n, size_t *last, cs_str v)
{
    cs_agg_level *l = *lv;

    for (size_t i = 0; i < *n; i++)
        if (l[i].name_len == v.len && memcmp(l[i].name, v.ptr, v.len) == 0)
            return (long)(*last = i);
    if (*n >= CS_AGG_MAX_LEVELS)
        return -2;
    /* Room for the smallest power of two of levels that holds *n: the
     * array doubles when *n reaches one. A level is about 2.6 KB, and
     * growing by one each time copied them all at every new level where
     * realloc cannot grow in place (always, under AddressSanitizer, where
     * the unit test adding 1,000 strata took 48 s). Levels are only ever
     * added here. */
    if ((*n & (*n - 1)) == 0) {
        if (!(l = realloc(l, (*n ? 2 * *n : 1) * sizeof *l)))
            return -1;
        *lv = l;
    }
    memset(&l[*n], 0, sizeof l[*n]);
    if (!(l[*n].name = dupn(v.ptr, v.len)))
        return -1;
    l[*n].name_len = v.len;
    *last = *n;
    return (long)(*n)++;
}

int cs__level_error(long rc, const char *col, cs_error *err)
{
    if (rc == -1)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    return cs_error_set(err, CS_ELIMIT, "column \"%s\" has more than %d "
                        "distinct values; it cannot be a stratifying "
                        "column", col, CS_AGG_MAX_LEVELS);
}

cs_agg_level *cs__level_read(cs__ptext *t, cs_str rest, cs_agg_level **lv,
                             size_t *n, size_t *last, const char *col)
{
    size_t before = *n;
    char *s;
    long idx;

    if (cs__ptext_str(t, rest, &s) < 0)
        return NULL;
    idx = cs__level_find(lv, n, last, (cs_str){ s, strlen(s) });
    free(s);
    if (idx < 0) {
        cs__level_error(idx, col, t->err);
        return NULL;
    }
    if (*n == before) {
        cs__ptext_err(t, t->line, "a level appears twice");
        return NULL;
    }
    return &(*lv)[idx];
}

int cs__factor_index(cs_str w)
{
    for (int f = 0; f < CS_F_N; f++)
        if (cs_str_eq(w, cs_factor_name(f)))
            return f;
    return -1;
}

int cs__level_cmp(const void *x, const void *y)
{
    return strcmp(((const cs_agg_level *)x)->name,
                  ((const cs_agg_level *)y)->name);
}

/* ---- "sessions": rules, outcome, rows, inputs ------------------------ */

int cs__acc_with_sessions(const cs_acc_opts *o)
{
    return o->sessions;
}

static int sessions_create(cs_agg *a, const cs_acc_opts *o, cs_error *err)
{
    cs_buf b;

    if (!o)
        return CS_OK;           /* read from the section */
    cs_buf_init(&b, 0);
    if (cs_rules_fingerprint(o->rules, &b) < 0 || b.len >= sizeof a->rules) {
        cs_buf_dispose(&b);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    memcpy(a->rules, b.ptr, b.len + 1);
    cs_buf_dispose(&b);
    a->outcome = o->rules->outcome;
    return CS_OK;
}

static void sessions_dispose(cs_agg *a)
{
    for (size_t i = 0; i < a->ninputs; i++)
        free(a->inputs[i]);
    free(a->inputs);
    a->inputs = NULL;
    a->ninputs = 0;
}

int cs_agg_add_input(cs_agg *a, const char *name, cs_error *err)
{
    char **p;

    /* The names are the "sessions" accumulator's, which writes and frees
     * them: a state without it (the calorie goals alone) records none. */
    if (!cs_agg_has(a, "sessions"))
        return CS_OK;
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

static int sessions_add(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    (void)err;
    a->rows++;
    if (r->outcome < 0)
        a->outcome_unknown++;
    return CS_OK;
}

static size_t sessions_add_rows(cs_agg *a, cs_acc_row *r, size_t n,
                                cs_error *err)
{
    uint64_t unknown = 0;

    (void)err;
    for (size_t i = 0; i < n; i++)
        unknown += r[i].outcome < 0;
    a->rows += n;
    a->outcome_unknown += unknown;
    return n;
}

static int sessions_mergeable(const cs_agg *into, const cs_agg *from,
                              cs_error *err)
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
    return CS_OK;
}

static int sessions_merge(cs_agg *into, cs_agg *from, cs_acc_pass *p,
                          cs_error *err)
{
    (void)p;
    if (cs__add_u64(&into->rows, from->rows) < 0 ||
        cs__add_u64(&into->outcome_unknown, from->outcome_unknown) < 0)
        return cs_error_set(err, CS_EDATA, "a count overflows 64 bits when "
                            "merging");
    for (size_t i = 0; i < from->ninputs; i++)
        if (cs_agg_add_input(into, from->inputs[i], err) < 0)
            return err->code;
    return CS_OK;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int sessions_finish(cs_agg *a, cs_acc_pass *p, cs_error *err)
{
    (void)p;
    (void)err;
    if (a->ninputs > 1)
        qsort(a->inputs, a->ninputs, sizeof *a->inputs, cmp_str);
    return CS_OK;
}

static void sessions_write(const cs_agg *a, cs_buf *b)
{
    cs_buf_puts(b, "rules ");
    cs__put_str(b, a->rules);
    cs_buf_printf(b, "\noutcome %s\nfactors",
                  a->outcome == CS_OUTCOME_ANY ? "any" : "hamstring");
    for (int f = 0; f < CS_F_N; f++)
        cs_buf_printf(b, "%c%s", f ? ',' : ' ', cs_factor_name(f));
    cs_buf_printf(b, "\nrows %llu %llu\n", (unsigned long long)a->rows,
                  (unsigned long long)a->outcome_unknown);
    for (size_t i = 0; i < a->ninputs; i++) {
        cs_buf_puts(b, "input ");
        cs__put_str(b, a->inputs[i]);
        cs_buf_putc(b, '\n');
    }
}

/* The rules line carries the outcome too ("...;outcome=hamstring"): the
 * two must agree, or an edited "outcome" line would count cramps of one
 * kind under the name of the other. */
static int outcome_of_rules(const cs_agg *a, cs__ptext *t)
{
    const char *want = a->outcome == CS_OUTCOME_ANY ? "any" : "hamstring";
    const char *r = a->rules, *v = NULL;

    for (const char *p = r; *p; p += strcspn(p, ";"), p += *p == ';')
        if (strncmp(p, "outcome=", 8) == 0)
            v = p + 8;
    if (!v)
        return cs__ptext_err(t, t->line, "the rules line has no "
                             "\"outcome=\" (the state was edited or is "
                             "corrupt)");
    if (strcspn(v, ";") != strlen(want) || strncmp(v, want, strlen(want)))
        return cs__ptext_err(t, t->line, "outcome %s, but the rules line "
                             "says outcome=%.*s (the state was edited or is "
                             "corrupt)", want, (int)strcspn(v, ";"), v);
    return CS_OK;
}

static int sessions_read(cs_agg *a, cs__ptext *t)
{
    cs_str rest, line;
    int rc;

    if ((rc = cs__ptext_fixed_str(t, "rules", a->rules, sizeof a->rules)) < 0 ||
        (rc = cs__ptext_key(t, "outcome", &rest)) < 0)
        return rc;
    if (cs_str_eq(rest, "hamstring"))
        a->outcome = CS_OUTCOME_HAMSTRING;
    else if (cs_str_eq(rest, "any"))
        a->outcome = CS_OUTCOME_ANY;
    else
        return cs__ptext_err(t, t->line, "outcome is hamstring or any");
    if ((rc = outcome_of_rules(a, t)) < 0)
        return rc;
    if ((rc = cs__ptext_key(t, "factors", &rest)) < 0)
        return rc;
    for (int f = 0; f < CS_F_N; f++) {
        const char *sep = memchr(rest.ptr, ',', rest.len);
        cs_str fw = { rest.ptr, sep ? (size_t)(sep - rest.ptr) : rest.len };
        if (cs__factor_index(fw) != f)
            return cs__ptext_err(t, t->line, "the factor list differs from "
                                 "this crampstat's");
        rest.ptr += fw.len + (sep ? 1 : 0);
        rest.len -= fw.len + (sep ? 1 : 0);
    }
    if (rest.len)
        return cs__ptext_err(t, t->line, "the factor list differs from this "
                             "crampstat's");
    if ((rc = cs__ptext_key(t, "rows", &rest)) < 0 ||
        (rc = cs__ptext_u64(t, &rest, &a->rows)) < 0 ||
        (rc = cs__ptext_u64(t, &rest, &a->outcome_unknown)) < 0)
        return rc;
    if (rest.len)
        return cs__ptext_err(t, t->line, "text after the counts");
    if (a->outcome_unknown > a->rows)
        return cs__ptext_err(t, t->line, "more sessions with an unknown "
                             "outcome than rows");
    while ((rc = cs__ptext_line(t, &line)) > 0) {
        char *s;
        size_t before = a->ninputs;
        if (!cs_str_eq(cs__ptext_word(&line), "input"))
            return cs__ptext_err(t, t->line, "expected \"input\" or the next "
                                 "section");
        if ((rc = cs__ptext_str(t, line, &s)) < 0)
            return rc;
        rc = cs_agg_add_input(a, s, t->err);
        free(s);
        if (rc < 0)
            return rc;
        if (a->ninputs == before)
            return cs__ptext_err(t, t->line, "an input is given twice");
    }
    return rc;
}

/* The sessions counted go somewhere: a state has the factor tables and
 * the patterns whenever it has sessions. The other sections may be
 * absent: the report then says null for them (docs/partial-format.md). */
static int sessions_check(const cs_agg *a, cs__ptext *t)
{
    static const char *const base[] = { "factors", "logistic" };

    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        if (!cs_agg_has(a, base[i]))
            return cs__ptext_err(t, t->line, "the state has no \"%s\" "
                                 "section", base[i]);
    return CS_OK;
}

const cs_acc_kind cs_acc_sessions = {
    "sessions", 1, NULL, cs__acc_with_sessions, sessions_create,
    sessions_dispose, sessions_add, sessions_mergeable, sessions_merge,
    sessions_finish, sessions_write, sessions_read, sessions_check, NULL, 0,
    sessions_add_rows,
    NULL,
};

/* ---- durations -------------------------------------------------------- */

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
