/* Tests of src/aggregate.c and the report rendered from it: durations in
 * milli-minutes, counts added by hand, merging (exact, associative,
 * commutative, refused across rules, beyond 2^32, overflow at 2^64), the
 * partial-state text (round trip, untrusted input) and the JSON report of
 * a tiny state whose statistics are worked out by hand. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include <crampstat/report.h>
#include "partial_sum.h"

#define assert_near(got, want, eps) do {                                  \
        double got_ = (got), want_ = (want);                              \
        if (!(fabs(got_ - want_) <= (eps)))                               \
            fail_msg("%s = %.17g, expected %.17g +- %g", #got, got_,      \
                     want_, (double)(eps));                               \
    } while (0)

#define FACTORS "fatigue,tightness,heat,dehydration,electrolyte,medical," \
    "medical_disc_injury,medical_parkinsons,medical_multiple_sclerosis,"   \
    "medical_cerebral_palsy,medical_thyroid_disease,medical_kidney_disease,"\
    "medical_alcoholism,medical_pregnancy"
/* Lines 1-5 of a partial state: the magic line and the first lines of
 * its "sessions" section; and the first lines of the "factors" and
 * "logistic" sections, with no --by and no --adjust column. */
#define HEAD "crampstat-partial 3\nsection sessions 1\nrules :outcome=hamstring\n" \
             "outcome hamstring\nfactors " FACTORS "\n"
#define FAC "section factors 1\nby :\n"
#define LOG "section logistic 1\nadjust :\n"

static cs_str str(const char *s)
{
    return (cs_str){ s, strlen(s) };
}

/* A state's text with a shorthand: a line "ALL STATE S C M" stands for
 * the 14 lines "cell FACTOR STATE S C M", one per factor in order. A real
 * state counts every session once per factor, and the reader checks
 * that; hand-made states must obey it too. Returns a malloc'd string. */
static char *expand(const char *text)
{
    static const char *const fs[CS_F_N] = {
        "fatigue", "tightness", "heat", "dehydration", "electrolyte",
        "medical", "medical_disc_injury", "medical_parkinsons",
        "medical_multiple_sclerosis", "medical_cerebral_palsy",
        "medical_thyroid_disease", "medical_kidney_disease",
        "medical_alcoholism", "medical_pregnancy"
    };
    size_t cap = strlen(text) * 16 + 1, len = 0;
    char *out = malloc(cap);
    const char *p = text;

    assert_non_null(out);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (strncmp(p, "ALL ", 4) == 0) {
            for (int f = 0; f < CS_F_N; f++)
                len += (size_t)snprintf(out + len, cap - len, "cell %s %.*s",
                                        fs[f], (int)(n - 4), p + 4);
        } else {
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
    }
    out[len] = '\0';
    return out;
}

/* ---- cs_agg_mmin ------------------------------------------------------- */

static const struct {
    const char *text;
    int rc;
    uint64_t mmin;
} mmins[] = {
    { "45", 0, 45000 },
    { "+45", 0, 45000 },
    { "45.", 0, 45000 },
    { ".5", 0, 500 },
    { "0.001", 0, 1 },
    { "0.0005", 0, 1 },          /* half a milli-minute rounds up */
    /* A positive duration under half a milli-minute counts as one, not 0
     * (ingest accepts it, so aggregate must not drop it). */
    { "0.0004", 0, 1 },
    { "0.00049999", 0, 1 },
    { "0.0000000001", 0, 1 },
    { "0.0000", 0, 0 },
    { "0.00051", 0, 1 },
    { "0.0015", 0, 2 },
    { "0.9995", 0, 1000 },
    { "12.3456789", 0, 12346 },  /* 12345.6789 milli-minutes */
    { "12.3454999", 0, 12345 },
    { "0", 0, 0 },
    { "000001440", 0, 1440000 },
    { "1440", 0, 1440000 },
    { "1440.000", 0, 1440000 },
    { "1439.9995", 0, 1440000 },
    { "1439.9994", 0, 1439999 },
    { "1440.001", -1, 0 },
    { "1440.0005", -1, 0 },
    { "1441", -1, 0 },
    { "99999999999999999999999", -1, 0 },
    { "abc", -1, 0 },
    { "", -1, 0 },
    { ".", -1, 0 },
    { "+", -1, 0 },
    { "-1", -1, 0 },
    { "-0", -1, 0 },
    { "1e3", -1, 0 },
    { " 45", -1, 0 },
    { "45 ", -1, 0 },
    { "4 5", -1, 0 },
    { "45..0", -1, 0 },
    { "0x10", -1, 0 },
    { "NA", -1, 0 },
};

static void test_agg_mmin(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof mmins / sizeof mmins[0]; i++) {
        uint64_t got = 12345678;
        int rc;
        print_message("case \"%s\"\n", mmins[i].text);
        rc = cs_agg_mmin(str(mmins[i].text), &got);
        assert_int_equal(rc, mmins[i].rc);
        if (rc == 0)
            assert_int_equal(got, mmins[i].mmin);
    }
    /* Length-delimited: the bytes after len are not read. */
    {
        uint64_t got = 0;
        assert_int_equal(cs_agg_mmin((cs_str){ "45abc", 2 }, &got), 0);
        assert_int_equal(got, 45000);
    }
}

/* ---- adding by hand ----------------------------------------------------- */

/* Factor flags from a 14-character string of 1, 0 and ? (unknown). */
static void flags(signed char *out, const char *s)
{
    assert_int_equal(strlen(s), CS_F_N);
    for (int f = 0; f < CS_F_N; f++)
        out[f] = s[f] == '?' ? -1 : (signed char)(s[f] - '0');
}

static void add(cs_agg *a, const char *fl, int outcome, uint64_t mmin,
                const char *by, const char *adj)
{
    signed char f[CS_F_N];
    cs_error err = {0};

    flags(f, fl);
    assert_int_equal(cs_agg_add(a, f, outcome, mmin, str(by), str(adj), str("P1"), &err),
                     CS_OK);
}

/* One session of participant id, no --by or --adjust value. */
static void add_p(cs_agg *a, const char *fl, int outcome, uint64_t mmin,
                  const char *id)
{
    signed char f[CS_F_N];
    cs_error err = {0};

    flags(f, fl);
    assert_int_equal(cs_agg_add(a, f, outcome, mmin, str(""), str(""), str(id),
                                &err), CS_OK);
}

static void init(cs_agg *a, const char *by, const char *adjust)
{
    cs_rules r;
    cs_error err = {0};

    cs_rules_default(&r);
    assert_int_equal(cs_agg_init(a, &r, by, adjust, &err), CS_OK);
}

static void assert_cell(const cs_agg_cell *c, uint64_t sessions,
                        uint64_t cases, uint64_t mmin)
{
    assert_int_equal(c->sessions, sessions);
    assert_int_equal(c->cases, cases);
    assert_int_equal(c->mmin, mmin);
}

static void test_agg_add(void **state)
{
    cs_agg a;

    (void)state;
    init(&a, "sex", NULL);
    /*        factors          outcome  mmin    sex */
    add(&a, "10000000000000", 1, 45000, "F", "");   /* s1 */
    add(&a, "1?000000000000", 0, 30000, "F", "");   /* s2: tightness unknown */
    add(&a, "01000000000000", 1, 60000, "M", "");   /* s3 */
    add(&a, "00000000000000", -1, 10000, "M", "");  /* s4: outcome unknown */
    add(&a, "000000?0000001", 0, 1000, "F", "");    /* s5 */
    assert_int_equal(cs_agg_finish(&a, NULL), CS_OK);

    assert_int_equal(a.rows, 5);
    assert_int_equal(a.outcome_unknown, 1);
    assert_int_equal(a.nstrata, 2);
    assert_string_equal(a.strata[0].name, "F");
    assert_string_equal(a.strata[1].name, "M");
    /* F: fatigue exposed s1 + s2 (1 case, 75000), unexposed s5. */
    assert_cell(&a.strata[0].cell[CS_F_FATIGUE][CS_AGG_EXPOSED], 2, 1, 75000);
    assert_cell(&a.strata[0].cell[CS_F_FATIGUE][CS_AGG_UNEXPOSED], 1, 0, 1000);
    assert_cell(&a.strata[0].cell[CS_F_FATIGUE][CS_AGG_UNKNOWN], 0, 0, 0);
    /* F: tightness unknown s2, unexposed s1 + s5. */
    assert_cell(&a.strata[0].cell[CS_F_TIGHTNESS][CS_AGG_UNKNOWN], 1, 0, 30000);
    assert_cell(&a.strata[0].cell[CS_F_TIGHTNESS][CS_AGG_UNEXPOSED], 2, 1, 46000);
    assert_cell(&a.strata[0].cell[CS_F_TIGHTNESS][CS_AGG_EXPOSED], 0, 0, 0);
    /* F: sub-factors: disc injury unknown for s5, pregnancy exposed s5. */
    assert_cell(&a.strata[0].cell[CS_F_MED_FIRST][CS_AGG_UNKNOWN], 1, 0, 1000);
    assert_cell(&a.strata[0].cell[CS_F_MED_FIRST][CS_AGG_UNEXPOSED], 2, 1, 75000);
    assert_cell(&a.strata[0].cell[CS_F_N - 1][CS_AGG_EXPOSED], 1, 0, 1000);
    /* M: only s3 (s4's outcome is unknown: it counts nowhere else). */
    assert_cell(&a.strata[1].cell[CS_F_FATIGUE][CS_AGG_UNEXPOSED], 1, 1, 60000);
    assert_cell(&a.strata[1].cell[CS_F_TIGHTNESS][CS_AGG_EXPOSED], 1, 1, 60000);
    assert_cell(&a.strata[1].cell[CS_F_HEAT][CS_AGG_UNEXPOSED], 1, 1, 60000);
    /* Patterns of the six main factors (bit f = factor f), only sessions
     * with all six known: s1 = bit 0, s3 = bit 1, s5 = 0; s2 is left out
     * (tightness unknown; s5's unknown is a sub-factor). */
    assert_int_equal(a.nadj, 1);
    assert_string_equal(a.adj[0].name, "");
    assert_int_equal(a.adj[0].n[1], 1);
    assert_int_equal(a.adj[0].y[1], 1);
    assert_int_equal(a.adj[0].n[2], 1);
    assert_int_equal(a.adj[0].y[2], 1);
    assert_int_equal(a.adj[0].n[0], 1);
    assert_int_equal(a.adj[0].y[0], 0);
    {
        uint64_t total = 0;
        for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
            total += a.adj[0].n[k];
        assert_int_equal(total, 3);
    }
    cs_agg_dispose(&a);

    /* Without --by every session is in the one stratum named "", whatever
     * value is passed. */
    init(&a, NULL, NULL);
    add(&a, "10000000000000", 1, 45000, "F", "x");
    add(&a, "10000000000000", 0, 45000, "M", "y");
    assert_int_equal(cs_agg_finish(&a, NULL), CS_OK);
    assert_int_equal(a.nstrata, 1);
    assert_string_equal(a.strata[0].name, "");
    assert_int_equal(a.nadj, 1);
    assert_cell(&a.strata[0].cell[CS_F_FATIGUE][CS_AGG_EXPOSED], 2, 1, 90000);
    cs_agg_dispose(&a);
}

/* More than CS_AGG_MAX_LEVELS values of a --by column is an error. */
static void test_agg_too_many_levels(void **state)
{
    cs_agg a;
    signed char f[CS_F_N];
    cs_error err = {0};
    char v[16];

    (void)state;
    init(&a, "participant_id", NULL);
    flags(f, "00000000000000");
    for (int i = 0; i < CS_AGG_MAX_LEVELS; i++) {
        snprintf(v, sizeof v, "P%d", i);
        assert_int_equal(cs_agg_add(&a, f, 0, 1000, str(v), str(""), str("P1"), &err), CS_OK);
    }
    assert_int_equal(cs_agg_add(&a, f, 0, 1000, str("P0"), str(""), str("P1"), &err), CS_OK);
    assert_int_equal(cs_agg_add(&a, f, 0, 1000, str("new"), str(""), str("P1"), &err),
                     CS_ELIMIT);
    assert_non_null(strstr(err.msg, "column \"participant_id\" has more than 1000"));
    cs_agg_dispose(&a);
}

/* ---- merging ------------------------------------------------------------ */

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* A shard: n random sessions with --by sex, --adjust age_band. */
static void shard(cs_agg *a, uint64_t seed, int n, const char *input)
{
    static const char *const sexes[] = { "F", "M" };
    static const char *const bands[] = { "18-29", "30-44", "45-59", "60+" };

    rng = seed;
    init(a, "sex", "age_band");
    assert_int_equal(cs_agg_add_input(a, input, NULL), CS_OK);
    for (int i = 0; i < n; i++) {
        char fl[CS_F_N + 1];
        for (int f = 0; f < CS_F_N; f++)
            fl[f] = "01?0"[rnd(4)];
        fl[CS_F_N] = '\0';
        add(a, fl, (int)rnd(3) - 1, 1 + rnd(1440000), sexes[rnd(2)],
            bands[rnd(4)]);
    }
}

static char *whole_text(cs_agg *a)
{
    cs_buf b;
    assert_int_equal(cs_agg_finish(a, NULL), CS_OK);
    cs_buf_init(&b, 0);
    assert_int_equal(cs_agg_write_partial(a, &b, NULL), CS_OK);
    return cs_buf_take(&b, NULL);
}

/* The state's text without its leaf and sha256 lines (test_partial.c
 * tests those): the counts, to compare with a state made otherwise. */
static char *partial_text(cs_agg *a)
{
    char *t = whole_text(a), *counts = strip_sums(t);
    free(t);
    return counts;
}

/* The covariate pattern of every combination of the six main factors'
 * flags (logistic.c reads them as one word), the medical factors after
 * them unknown, unexposed or exposed: the pattern counted is the one a
 * loop over the flags gives, and a session with a main factor unknown is
 * in no pattern and has no level. */
static void test_agg_patterns_all(void **state)
{
    static const signed char st[3] = { -1, 0, 1 };
    uint64_t want[CS_AGG_PATTERNS] = { 0 };
    cs_agg a;
    cs_error err = {0};

    (void)state;
    init(&a, NULL, NULL);
    for (int rest = 0; rest < 3; rest++)
        for (int c = 0; c < 729; c++) {
            signed char f[CS_F_N];
            int code = c, unknown = 0;
            unsigned bits = 0;
            for (int k = 0; k < CS_F_N; k++)
                f[k] = st[(rest + k) % 3];
            for (int k = 0; k < CS_F_MAIN_N; k++, code /= 3) {
                f[k] = st[code % 3];
                if (f[k] < 0)
                    unknown = 1;
                else
                    bits |= (unsigned)f[k] << k;
            }
            cs_acc_row r = { f, 0, 1000, str(""), str(""), str("P1"), NULL,
                             NAN, 12345, 0 };
            assert_int_equal(cs_agg_add_row(&a, &r, &err), CS_OK);
            if (unknown) {
                assert_int_equal(r.level, CS_CLU_NO_LEVEL);
            } else {
                assert_int_equal(r.level, 0);
                want[bits]++;
            }
        }
    assert_int_equal(a.nadj, 1);
    for (unsigned k = 0; k < CS_AGG_PATTERNS; k++)
        assert_int_equal(a.adj[0].n[k], want[k]);
    assert_int_equal(want[0], 3);
    cs_agg_dispose(&a);
}

/* The wave factors' runs (src/factors.c): sessions that share the wave
 * factors (electrolyte to the last medical factor) and a stratum are
 * summed as a run and counted into the cells at its end. Runs long and of
 * one session, broken by the wave or the stratum, unknown flags and
 * outcomes, counted in one state and in shards cut at random (inside
 * runs, as a participant split across shards is) merged before they are
 * finished, and a state written before it is finished: every cell as the
 * test counts it session by session, and the merged state's text the one
 * state's. */
#define RUN_ROWS 4000
#define RUN_SHARDS 5
typedef struct run_rows {
    signed char f[RUN_ROWS][CS_F_N];
    int outcome[RUN_ROWS], by[RUN_ROWS];
    uint64_t mmin[RUN_ROWS];
    uint64_t want[3][CS_F_N][3][3];   /* by value, factor, state: n, y, mmin */
} run_rows;

static const char *const run_bys[3] = { "", "F", "M" };

static void run_add(cs_agg *a, const run_rows *t, int from, int to)
{
    cs_error err = {0};

    for (int i = from; i < to; i++)
        assert_int_equal(cs_agg_add(a, t->f[i], t->outcome[i], t->mmin[i],
                                    str(run_bys[t->by[i]]), str(""),
                                    str("P1"), &err), CS_OK);
}

static void run_check(const cs_agg *a, const run_rows *t)
{
    int seen[3] = { 0, 0, 0 };

    for (size_t i = 0; i < a->nstrata; i++) {
        int b = -1;
        for (int k = 0; k < 3; k++)
            if (strcmp(a->strata[i].name, run_bys[k]) == 0)
                b = k;
        assert_true(b >= 0 && !seen[b]);
        seen[b] = 1;
        for (int f = 0; f < CS_F_N; f++)
            for (int e = 0; e < 3; e++) {
                const cs_agg_cell *c = &a->strata[i].cell[f][e];
                if (c->sessions != t->want[b][f][e][0] ||
                    c->cases != t->want[b][f][e][1] ||
                    c->mmin != t->want[b][f][e][2])
                    fail_msg("stratum \"%s\" factor %d state %d: %llu %llu "
                             "%llu, counted %llu %llu %llu", run_bys[b], f, e,
                             (unsigned long long)c->sessions,
                             (unsigned long long)c->cases,
                             (unsigned long long)c->mmin,
                             (unsigned long long)t->want[b][f][e][0],
                             (unsigned long long)t->want[b][f][e][1],
                             (unsigned long long)t->want[b][f][e][2]);
            }
    }
    for (int b = 0; b < 3; b++)
        if (!seen[b])
            for (int f = 0; f < CS_F_N; f++)
                for (int e = 0; e < 3; e++)
                    assert_int_equal(t->want[b][f][e][0], 0);
}

static void test_agg_factor_runs(void **state)
{
    run_rows *t = calloc(1, sizeof *t);
    signed char wave[CS_F_N] = { 0 };
    uint32_t change = 1;
    int b = 0;
    cs_agg one, part[RUN_SHARDS], back;
    cs_buf buf;
    cs_error err = {0};
    char *want_text, *got_text;

    (void)state;
    assert_non_null(t);
    rng = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < RUN_ROWS; i++) {
        if (i % 400 == 0)                 /* one-session runs, then long ones */
            change = change == 1 ? 40 : 1;
        if (i == 0 || rnd(change) == 0) {
            /* A new wave, or one of its factors changed. */
            int just = i > 0 && rnd(2), g = CS_F_ELECTROLYTE +
                      (int)rnd(CS_F_N - CS_F_ELECTROLYTE);
            for (int f = CS_F_ELECTROLYTE; f < CS_F_N; f++)
                if (!just || f == g)
                    wave[f] = (signed char)(rnd(5) == 0 ? -1 : (int)rnd(2));
        }
        if (rnd(50) == 0)                 /* the stratum changes in a run */
            b = (int)rnd(3);
        for (int f = 0; f < CS_F_N; f++)
            t->f[i][f] = f < CS_F_ELECTROLYTE ? (signed char)((int)rnd(3) - 1)
                                              : wave[f];
        t->outcome[i] = rnd(12) == 0 ? -1 : rnd(4) == 0;
        t->mmin[i] = 1 + rnd(1440000);
        t->by[i] = b;
        if (t->outcome[i] < 0)
            continue;
        for (int f = 0; f < CS_F_N; f++) {
            uint64_t *w = t->want[b][f][t->f[i][f] < 0 ? 2 : t->f[i][f]];
            w[0]++;
            w[1] += (uint64_t)t->outcome[i];
            w[2] += t->mmin[i];
        }
    }

    /* One state. */
    init(&one, "sex", NULL);
    run_add(&one, t, 0, RUN_ROWS);
    assert_int_equal(cs_agg_finish(&one, &err), CS_OK);
    run_check(&one, t);
    want_text = partial_text(&one);

    /* Shards cut at random (some empty), merged unfinished into the
     * first. */
    {
        int cut[RUN_SHARDS + 1];
        cut[0] = 0;
        cut[RUN_SHARDS] = RUN_ROWS;
        for (int k = 1; k < RUN_SHARDS; k++) {
            int c = (int)rnd(RUN_ROWS + 1), j = k;
            while (j > 1 && cut[j - 1] > c) {
                cut[j] = cut[j - 1];
                j--;
            }
            cut[j] = c;
        }
        cut[2] = cut[1];                  /* an empty shard */
        for (int k = 0; k < RUN_SHARDS; k++) {
            init(&part[k], "sex", NULL);
            run_add(&part[k], t, cut[k], cut[k + 1]);
        }
        for (int k = 1; k < RUN_SHARDS; k++)
            assert_int_equal(cs_agg_merge(&part[0], &part[k], &err), CS_OK);
        got_text = partial_text(&part[0]);
        run_check(&part[0], t);
        assert_string_equal(got_text, want_text);
        free(got_text);
        for (int k = 0; k < RUN_SHARDS; k++)
            cs_agg_dispose(&part[k]);
    }

    /* A state written before it is finished, and one that is added to
     * after it is written: read back, their counts. */
    init(&part[0], "sex", NULL);
    run_add(&part[0], t, 0, RUN_ROWS / 2);
    cs_buf_init(&buf, 0);
    assert_int_equal(cs_agg_write_partial(&part[0], &buf, &err), CS_OK);
    cs_buf_dispose(&buf);
    run_add(&part[0], t, RUN_ROWS / 2, RUN_ROWS);
    cs_buf_init(&buf, 0);
    assert_int_equal(cs_agg_write_partial(&part[0], &buf, &err), CS_OK);
    assert_int_equal(cs_agg_read_partial(&back, "t.partial", buf.ptr, buf.len,
                                         &err), CS_OK);
    run_check(&back, t);
    got_text = partial_text(&back);
    assert_string_equal(got_text, want_text);
    free(got_text);
    cs_buf_dispose(&buf);
    cs_agg_dispose(&back);
    cs_agg_dispose(&part[0]);

    free(want_text);
    cs_agg_dispose(&one);
    free(t);
}

/* A partial state over its buffer's cap fails with the cap as the
 * reason; with the cap at the state's length L it is whole, one byte
 * short and the append that crosses ends at L (the error sticks, so
 * nothing after it is written). */
static void test_agg_partial_cap(void **state)
{
    cs_agg a;
    cs_buf b;
    cs_error err = {0};
    char *full, want[96];
    size_t len;

    (void)state;
    shard(&a, 7, 200, "cap.csv");
    full = whole_text(&a);
    len = strlen(full);
    cs_buf_init(&b, len - 1);
    assert_int_equal(cs_agg_write_partial(&a, &b, &err), CS_ELIMIT);
    snprintf(want, sizeof want, "text over its cap of %zu bytes (%zu wanted)",
             len - 1, len);
    assert_string_equal(err.msg, want);
    assert_memory_equal(b.ptr, full, b.len);
    cs_buf_dispose(&b);
    cs_buf_init(&b, len);
    memset(&err, 0, sizeof err);
    assert_int_equal(cs_agg_write_partial(&a, &b, &err), CS_OK);
    assert_memory_equal(b.ptr, full, len);
    cs_buf_dispose(&b);
    free(full);
    cs_agg_dispose(&a);
}

/* The report in every text format over its buffer's cap: the renderers
 * are appends and one check, so the cap is the reason given, the text
 * written is a prefix of the whole, and at the cap it is whole. */
static void test_agg_report_cap(void **state)
{
    static const int fmts[] = { CS_FMT_PRETTY, CS_FMT_CSV, CS_FMT_TSV,
                                CS_FMT_JSON, CS_FMT_MD };
    cs_agg a;
    cs_report_opts o;

    (void)state;
    shard(&a, 11, 300, "cap.csv");
    assert_int_equal(cs_agg_finish(&a, NULL), CS_OK);
    for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
        cs_buf b;
        cs_error err = {0};
        char want[96];
        char *full;
        size_t len;

        cs_report_opts_init(&o);
        o.format = fmts[k];
        cs_buf_init(&b, 0);
        assert_int_equal(cs_report_render(&a, &o, &b), CS_OK);
        full = cs_buf_take(&b, &len);
        assert_true(len > 1000);
        cs_buf_init(&b, len - 1);
        assert_int_equal(cs_report_render(&a, &o, &b), CS_ELIMIT);
        assert_int_equal(cs_buf_check(&b, &err), CS_ELIMIT);
        snprintf(want, sizeof want, "text over its cap of %zu bytes", len - 1);
        assert_non_null(strstr(err.msg, want));
        assert_true(b.len < len);
        assert_memory_equal(b.ptr, full, b.len);
        cs_buf_dispose(&b);
        cs_buf_init(&b, len);
        assert_int_equal(cs_report_render(&a, &o, &b), CS_OK);
        assert_int_equal(b.len, len);
        assert_memory_equal(b.ptr, full, len);
        cs_buf_dispose(&b);
        free(full);
    }
    cs_agg_dispose(&a);
}

static void test_agg_merge_orders(void **state)
{
    static const int orders[6][3] = {
        { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 },
        { 2, 1, 0 }
    };
    static const uint64_t seeds[3] = { 11, 22, 33 };
    static const char *const names[3] = { "c.csv", "a.csv", "b.csv" };
    char *want, *one;
    cs_agg all;

    (void)state;
    /* One pass over every session of the three shards. */
    init(&all, "sex", "age_band");
    for (int s = 0; s < 3; s++) {
        cs_agg tmp;
        shard(&tmp, seeds[s], 400, names[s]);
        cs_agg_dispose(&tmp);
        rng = seeds[s];
        assert_int_equal(cs_agg_add_input(&all, names[s], NULL), CS_OK);
        /* Replay the same draws into the one state. */
        {
            static const char *const sexes[] = { "F", "M" };
            static const char *const bands[] = { "18-29", "30-44", "45-59", "60+" };
            for (int i = 0; i < 400; i++) {
                char fl[CS_F_N + 1];
                for (int f = 0; f < CS_F_N; f++)
                    fl[f] = "01?0"[rnd(4)];
                fl[CS_F_N] = '\0';
                add(&all, fl, (int)rnd(3) - 1, 1 + rnd(1440000), sexes[rnd(2)],
                    bands[rnd(4)]);
            }
        }
    }
    want = partial_text(&all);
    cs_agg_dispose(&all);
    assert_non_null(strstr(want, "rows 1200 "));
    assert_non_null(strstr(want, "\ninput :a.csv\ninput :b.csv\ninput :c.csv\n"));

    /* Merged into an empty state in all six orders. */
    for (int o = 0; o < 6; o++) {
        cs_agg total, part[3];
        cs_error err = {0};
        char *got;
        init(&total, "sex", "age_band");
        for (int s = 0; s < 3; s++)
            shard(&part[s], seeds[s], 400, names[s]);
        for (int k = 0; k < 3; k++)
            assert_int_equal(cs_agg_merge(&total, &part[orders[o][k]], &err),
                             CS_OK);
        got = partial_text(&total);
        print_message("order %d %d %d\n", orders[o][0], orders[o][1], orders[o][2]);
        assert_string_equal(got, want);
        free(got);
        cs_agg_dispose(&total);
        for (int s = 0; s < 3; s++)
            cs_agg_dispose(&part[s]);
    }

    /* (x + y) + z = x + (y + z), merging into the shards themselves. */
    {
        cs_agg x, y, z;
        cs_error err = {0};
        shard(&x, seeds[0], 400, names[0]);
        shard(&y, seeds[1], 400, names[1]);
        shard(&z, seeds[2], 400, names[2]);
        assert_int_equal(cs_agg_merge(&y, &z, &err), CS_OK);
        assert_int_equal(cs_agg_merge(&x, &y, &err), CS_OK);
        one = partial_text(&x);
        assert_string_equal(one, want);
        free(one);
        cs_agg_dispose(&x);
        cs_agg_dispose(&y);
        cs_agg_dispose(&z);
    }
    /* Merging an empty state changes nothing. */
    {
        cs_agg x, empty;
        cs_error err = {0};
        char *before;
        shard(&x, seeds[0], 400, names[0]);
        before = partial_text(&x);
        init(&empty, "sex", "age_band");
        assert_int_equal(cs_agg_merge(&x, &empty, &err), CS_OK);
        one = partial_text(&x);
        assert_string_equal(one, before);
        free(one);
        free(before);
        cs_agg_dispose(&x);
        cs_agg_dispose(&empty);
    }
    free(want);
}

static void test_agg_merge_refused(void **state)
{
    static const struct {
        const char *name;
        double heat;          /* rules: heat threshold */
        int outcome;          /* set after init */
        const char *by, *adjust;
        const char *msg;
    } cases[] = {
        { "rules", 30, CS_OUTCOME_HAMSTRING, "sex", "", "different rules" },
        { "outcome", 32, CS_OUTCOME_ANY, "sex", "", "different outcomes" },
        { "by", 32, CS_OUTCOME_HAMSTRING, "age_band", "",
          "stratified by different columns (\"sex\" vs \"age_band\")" },
        { "no by", 32, CS_OUTCOME_HAMSTRING, "", "",
          "stratified by different columns (\"sex\" vs \"\")" },
        { "adjust", 32, CS_OUTCOME_HAMSTRING, "sex", "age_band",
          "adjust for different columns (\"\" vs \"age_band\")" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_agg into, from;
        cs_rules r;
        cs_error err = {0};
        char *before, *after;

        print_message("case %s\n", cases[i].name);
        init(&into, "sex", "");
        add(&into, "10000000000000", 1, 45000, "F", "");
        before = partial_text(&into);
        cs_rules_default(&r);
        r.heat_index_c = cases[i].heat;
        assert_int_equal(cs_agg_init(&from, &r, cases[i].by, cases[i].adjust,
                                     &err), CS_OK);
        from.outcome = cases[i].outcome;
        add(&from, "10000000000000", 1, 45000, "F", "");
        assert_int_equal(cs_agg_merge(&into, &from, &err), CS_EDATA);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("case %s: \"%s\" lacks \"%s\"", cases[i].name, err.msg,
                     cases[i].msg);
        /* A refused merge leaves the target as it was. */
        after = partial_text(&into);
        assert_string_equal(after, before);
        free(before);
        free(after);
        cs_agg_dispose(&into);
        cs_agg_dispose(&from);
    }
}

/* ---- partial text --------------------------------------------------------- */

static void read_ok(cs_agg *a, const char *shorthand)
{
    cs_error err = {0};
    char *text = expand(shorthand);
    if (cs_agg_read_partial(a, "t.partial", text, strlen(text), &err) != CS_OK)
        fail_msg("read: line %lu: %s", err.line, err.msg);
    free(text);
}

static void assert_text(const char *got, const char *shorthand)
{
    char *want = expand(shorthand);
    assert_string_equal(got, want);
    free(want);
}

static void test_agg_partial_round_trip(void **state)
{
    cs_agg a, b;
    cs_buf t1, t2;
    cs_error err = {0};

    (void)state;
    /* Names that need escaping: spaces, '%', bytes above 0x7e, empty. */
    init(&a, "odd by%", "age band");
    assert_int_equal(cs_agg_add_input(&a, "dir/with space.csv", NULL), CS_OK);
    assert_int_equal(cs_agg_add_input(&a, "-", NULL), CS_OK);
    assert_int_equal(cs_agg_add_input(&a, "-", NULL), CS_OK);   /* distinct */
    add(&a, "10100000000000", 1, 45000, "x y", "60+");
    add(&a, "0?100000000000", 0, 30500, "", "18-29");
    add(&a, "11111111111111", 1, 1440000, "caf\xc3\xa9", "\t%");
    add(&a, "00000000000000", -1, 1, "x y", "60+");
    add(&a, "00000000000000", 0, 1, "100%", "60+");
    assert_int_equal(cs_agg_finish(&a, NULL), CS_OK);
    cs_buf_init(&t1, 0);
    cs_buf_init(&t2, 0);
    assert_int_equal(cs_agg_write_partial(&a, &t1, NULL), CS_OK);
    t1.ptr[t1.len] = '\0';
    /* Encoded by hand: ' ' = %20, '%' = %25, 0xc3 0xa9, tab = %09. */
    assert_non_null(strstr(t1.ptr, "\nsection factors 1\nby :odd%20by%25\n"));
    assert_non_null(strstr(t1.ptr, "\nsection logistic 1\nadjust :age%20band\n"));
    assert_non_null(strstr(t1.ptr, "\ninput :-\ninput :dir/with%20space.csv\n"));
    assert_non_null(strstr(t1.ptr, "\nstratum :\n"));
    assert_non_null(strstr(t1.ptr, "\nstratum :caf%C3%A9\n"));
    assert_non_null(strstr(t1.ptr, "\nlevel :%09%25\npattern 63 1 1 1440000\n"));
    assert_non_null(strstr(t1.ptr, "\nrows 5 1\n"));
    assert_non_null(strstr(t1.ptr, "\nstratum :x%20y\ncell fatigue exposed 1 1 45000\n"));
    assert_int_equal(memcmp(t1.ptr + t1.len - 5, "\nend\n", 5), 0);

    assert_int_equal(cs_agg_read_partial(&b, "t.partial", t1.ptr, t1.len, &err),
                     CS_OK);
    assert_string_equal(b.by, "odd by%");
    assert_string_equal(b.adjust, "age band");
    assert_int_equal(b.rows, 5);
    assert_int_equal(b.outcome_unknown, 1);
    assert_int_equal(b.nstrata, 4);
    assert_int_equal(b.ninputs, 2);
    assert_int_equal(cs_agg_write_partial(&b, &t2, NULL), CS_OK);
    assert_int_equal(t1.len, t2.len);
    assert_memory_equal(t1.ptr, t2.ptr, t1.len);
    cs_agg_dispose(&a);
    cs_agg_dispose(&b);
    cs_buf_dispose(&t1);
    cs_buf_dispose(&t2);

    /* A state written out of order reads into the canonical order. */
    read_ok(&a, HEAD "rows 2 0\ninput :b\ninput :a\n" FAC "stratum :M\n"
                "ALL exposed 1 0 1000\nstratum :F\n"
                "ALL exposed 1 1 2000\n" LOG "level :z\npattern 1 1 0 0\n"
                "level :\npattern 1 1 1 0\nend\n");
    {
        char *got = partial_text(&a);
        assert_text(got, HEAD "rows 2 0\ninput :a\ninput :b\n" FAC
            "stratum :F\nALL exposed 1 1 2000\nstratum :M\n"
            "ALL exposed 1 0 1000\n" LOG "level :\npattern 1 1 1 0\nlevel :z\n"
            "pattern 1 1 0 0\nend\n");
        free(got);
    }
    cs_agg_dispose(&a);
}

static const struct {
    const char *name, *text;
    unsigned long line;
    const char *msg;
} bad[] = {
    { "empty", "", 1, "not a crampstat partial state (it is empty)" },
    { "other version", "crampstat-partial 4\n", 1,
      "unsupported partial state \"crampstat-partial 4\"" },
    { "unsectioned aggregate state", "crampstat-partial 2 aggregate\nend\n", 1,
      "a partial state of an older crampstat, without sections" },
    { "unsectioned calories state", "crampstat-partial 1 calories\nend\n", 1,
      "a partial state of an older crampstat, without sections" },
    { "CRLF", "crampstat-partial 3\r\n", 1, "CRLF line ends" },
    { "a CSV file", "participant_id,session_id\nP1,S1\n", 1,
      "not a crampstat partial state" },
    { "no newline", "crampstat-partial 3", 1,
      "truncated (no newline at the end)" },
    { "only the magic", "crampstat-partial 3\n", 1, "\"end\" is missing" },
    { "no section", "crampstat-partial 3\nend\n", 2, "the state has no section" },
    { "a line outside a section", "crampstat-partial 3\nrules :outcome=hamstring\n", 2,
      "expected a \"section\" line, found \"rules\"" },
    { "unknown section", "crampstat-partial 3\nsection cramps 1\nend\n", 2,
      "unknown section \"cramps\"" },
    { "newer section version", "crampstat-partial 3\nsection sessions 2\n", 2,
      "section \"sessions\" version 2: this crampstat reads version 1" },
    { "section without a version", "crampstat-partial 3\nsection sessions\n",
      2, "expected \"section sessions VERSION\"" },
    { "section twice", HEAD "rows 0 0\n" FAC FAC, 9,
      "section \"factors\" is given twice" },
    { "sections out of order", HEAD "rows 0 0\n" LOG FAC, 9,
      "section \"factors\" is out of order" },
    { "a section without the one it needs",
      "crampstat-partial 3\nsection factors 1\nby :\nend\n", 2,
      "section \"factors\" needs the \"sessions\" section before it" },
    { "no factors section", HEAD "rows 0 0\nend\n", 7,
      "the state has no \"factors\" section" },
    { "keys out of order", "crampstat-partial 3\nsection sessions 1\n"
      "outcome any\n", 3, "expected \"rules\"" },
    { "an empty section", "crampstat-partial 3\nsection sessions 1\nend\n", 2,
      "\"rules\" is missing: the section ends before it" },
    { "rules without ':'", "crampstat-partial 3\nsection sessions 1\nrules x\n",
      3, "expected ':' and a value" },
    { "bad outcome", "crampstat-partial 3\nsection sessions 1\nrules :outcome=hamstring\n"
      "outcome calf\n", 4, "outcome is hamstring or any" },
    { "bad escape", HEAD "rows 0 0\nsection factors 1\nby :%zz\n", 8,
      "bad %-escape" },
    { "escaped NUL", HEAD "rows 0 0\nsection factors 1\nby :%00\n", 8,
      "bad %-escape" },
    { "short escape", HEAD "rows 0 0\nsection factors 1\nby :a%4\n", 8,
      "bad %-escape" },
    { "unescaped space", HEAD "rows 0 0\nsection factors 1\nby :a b\n", 8,
      "unescaped byte in a value" },
    { "by too long", HEAD "rows 0 0\nsection factors 1\n"
      "by :aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
      8, "by: value too long" },
    { "factor list differs", "crampstat-partial 3\nsection sessions 1\n"
      "rules :outcome=any\noutcome any\nfactors fatigue,heat\n", 5,
      "the factor list differs" },
    { "an extra factor", "crampstat-partial 3\nsection sessions 1\n"
      "rules :outcome=any\noutcome any\nfactors " FACTORS ",cramps\n", 5,
      "the factor list differs" },
    { "no end", HEAD "rows 1 0\n", 6, "\"end\" is missing" },
    { "no rows", HEAD "end\n", 5, "\"rows\" is missing" },
    { "an input twice", HEAD "rows 0 0\ninput :a\ninput :a\n", 8,
      "an input is given twice" },
    { "cut in a line", HEAD "rows 1 0\n" FAC "stratum :\ncell fatigue exposed 1 0 60",
      10, "truncated (no newline at the end)" },
    { "count above 2^64 - 1", HEAD "rows 18446744073709551616 0\nend\n", 6,
      "a count does not fit in 64 bits" },
    { "20 nines", HEAD "rows 99999999999999999999 0\nend\n", 6,
      "a count does not fit in 64 bits" },
    { "21 digits", HEAD "rows 000000000000000000001 0\nend\n", 6,
      "expected a count" },
    { "negative", HEAD "rows -1 0\nend\n", 6, "expected a count" },
    { "sign", HEAD "rows +1 0\nend\n", 6, "expected a count" },
    { "one count", HEAD "rows 1\nend\n", 6, "expected a count" },
    { "three counts", HEAD "rows 1 0 0\nend\n", 6, "text after the counts" },
    { "unknown > rows", HEAD "rows 1 2\nend\n", 6,
      "more sessions with an unknown outcome than rows" },
    { "cases > sessions", HEAD "rows 9 0\n" FAC "stratum :\n"
      "cell fatigue exposed 5 6 1000\nend\n", 10, "inconsistent cell" },
    { "exposure > 1440 min a session", HEAD "rows 9 0\n" FAC "stratum :\n"
      "cell fatigue exposed 2 0 2880001\nend\n", 10, "inconsistent cell" },
    { "a field too many", HEAD "rows 9 0\n" FAC "stratum :\n"
      "cell fatigue exposed 2 0 1 1\nend\n", 10, "inconsistent cell" },
    { "unknown factor", HEAD "rows 9 0\n" FAC "stratum :\n"
      "cell cramps exposed 1 0 1\nend\n", 10, "unknown factor or exposure state" },
    { "unknown state", HEAD "rows 9 0\n" FAC "stratum :\n"
      "cell fatigue sometimes 1 0 1\nend\n", 10,
      "unknown factor or exposure state" },
    { "cell before a stratum", HEAD "rows 9 0\n" FAC "cell fatigue exposed 1 0 1\n"
      "end\n", 9, "unexpected line \"cell\"" },
    { "stratum in the logistic section", HEAD "rows 9 0\n" FAC LOG "level :\n"
      "stratum :\nend\n", 12, "unexpected line \"stratum\"" },
    { "input in the factors section", HEAD "rows 9 0\n" FAC "stratum :\n"
      "input :x\nend\n", 10, "unexpected line \"input\"" },
    { "cell in the logistic section", HEAD "rows 9 0\n" FAC "stratum :\n" LOG
      "level :\ncell fatigue exposed 1 0 1\nend\n", 13,
      "unexpected line \"cell\"" },
    { "stratum twice", HEAD "rows 9 0\n" FAC "stratum :F\nstratum :M\n"
      "stratum :F\nend\n", 11, "a level appears twice" },
    { "level twice", HEAD "rows 9 0\n" FAC LOG "level :\nlevel :\nend\n", 12,
      "a level appears twice" },
    { "pattern 64", HEAD "rows 9 0\n" FAC LOG "level :\npattern 64 1 0 0\n"
      "end\n", 12, "inconsistent pattern line" },
    { "pattern cases > sessions", HEAD "rows 9 0\n" FAC LOG "level :\n"
      "pattern 3 1 2 0\nend\n", 12, "inconsistent pattern line" },
    { "pattern in the factors section", HEAD "rows 9 0\n" FAC "stratum :\n"
      "pattern 3 1 0 0\nend\n", 10, "unexpected line \"pattern\"" },
    { "text after end", HEAD "rows 0 0\n" FAC LOG "end\nmore\n", 12,
      "text after \"end\"" },
    { "blank line after end", HEAD "rows 0 0\n" FAC LOG "end\n\n", 12,
      "text after \"end\"" },
    { "end with an argument", HEAD "rows 0 0\n" FAC LOG "end now\n", 11,
      "unexpected line \"end\"" },
    /* Totals: every factor counts the same sessions; the strata add up to
     * the rows line (checked after "end"). */
    { "factors disagree", HEAD "rows 1 0\n" FAC "stratum :\n"
      "cell fatigue exposed 1 0 1000\n" LOG "end\n", 13, "the factors do not "
      "count the same sessions" },
    { "rows do not add up", HEAD "rows 5 1\n" FAC LOG "end\n", 11,
      "do not add up to the rows line" },
    { "more patterns than sessions", HEAD "rows 0 0\n" FAC LOG "level :\n"
      "pattern 0 1 0 0\nend\n", 13, "do not add up to the rows line" },
    /* A stratum or level exists because a session was counted in it. */
    { "an empty stratum", HEAD "rows 0 0\n" FAC "stratum :\n" LOG "end\n", 12,
      "stratum \"\" counts no session" },
    { "an empty level", HEAD "rows 0 0\n" FAC LOG "level :z\nend\n", 12,
      "level \"z\" counts no session" },
    /* One spelling of each byte: %XX with upper-case hex digits. */
    { "lower-case escape", HEAD "rows 0 0\nsection factors 1\nby :%2f\n", 8,
      "bad %-escape" },
    { "escape of one digit and a letter", HEAD "rows 0 0\nsection factors 1\n"
      "by :%2g\n", 8, "bad %-escape" },
    { "escape with a sign", HEAD "rows 0 0\nsection factors 1\nby :%+1\n", 8,
      "bad %-escape" },
};

static void test_agg_partial_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cs_agg a;
        cs_error err = {0};
        int rc;
        print_message("case %s\n", bad[i].name);
        rc = cs_agg_read_partial(&a, "bad.partial", bad[i].text,
                                 strlen(bad[i].text), &err);
        assert_int_equal(rc, CS_EDATA);
        assert_int_equal(err.code, CS_EDATA);
        assert_string_equal(err.src, "bad.partial");
        if (err.line != bad[i].line || !strstr(err.msg, bad[i].msg))
            fail_msg("case %s: line %lu \"%s\", expected line %lu \"%s\"",
                     bad[i].name, err.line, err.msg, bad[i].line, bad[i].msg);
    }
}

/* The largest values that are still consistent are accepted. */
static void test_agg_partial_limits(void **state)
{
    cs_agg a;

    (void)state;
    read_ok(&a, HEAD "rows 18446744073709551615 0\n" FAC "stratum :\n"
                "ALL unknown 18446744073709551615 18446744073709551615 "
                "18446744073709551615\n" LOG "level :\npattern 63 18446744073709551615 "
                "18446744073709551615 18446744073709551615\nend\n");
    assert_int_equal(a.rows, UINT64_MAX);
    assert_int_equal(a.strata[0].cell[CS_F_HEAT][CS_AGG_UNKNOWN].mmin, UINT64_MAX);
    assert_int_equal(a.adj[0].n[63], UINT64_MAX);
    cs_agg_dispose(&a);
}

/* ---- big counts ------------------------------------------------------------ */

static void test_agg_merge_big(void **state)
{
    /* 2999999999 sessions twice: 5999999998, beyond 2^32 = 4294967296,
     * exact; cases 1000000001 -> 2000000002; exposure 4e15 -> 8e15
     * milli-minutes (4e15 <= 2999999999 * 1440000 = 4.32e15). */
    static const char three[] = HEAD "rows 3000000000 1\n" FAC "stratum :\n"
        "ALL exposed 2999999999 1000000001 4000000000000000\n"
        LOG "level :\npattern 5 2999999999 7 0\nend\n";
    cs_agg a, b;
    cs_error err = {0};
    char *got;

    (void)state;
    read_ok(&a, three);
    read_ok(&b, three);
    forget_leaves(&b);      /* one text read twice is one state */
    assert_int_equal(cs_agg_merge(&a, &b, &err), CS_OK);
    got = partial_text(&a);
    assert_text(got, HEAD "rows 6000000000 2\n" FAC "stratum :\n"
        "ALL exposed 5999999998 2000000002 8000000000000000\n"
        LOG "level :\npattern 5 5999999998 14 0\nend\n");
    /* What merge writes reads back. */
    {
        cs_agg c;
        read_ok(&c, got);
        cs_agg_dispose(&c);
    }
    free(got);
    /* Two more: 4 x 2999999999 = 11999999996. */
    assert_int_equal(cs_agg_merge(&a, &b, &err), CS_OK);
    assert_int_equal(cs_agg_merge(&a, &b, &err), CS_OK);
    assert_int_equal(a.strata[0].cell[CS_F_FATIGUE][CS_AGG_EXPOSED].sessions,
                     UINT64_C(11999999996));
    assert_int_equal(a.strata[0].cell[CS_F_MED_FIRST][CS_AGG_EXPOSED].mmin,
                     UINT64_C(16000000000000000));
    assert_int_equal(a.rows, UINT64_C(12000000000));
    assert_int_equal(a.adj[0].y[5], 28);
    cs_agg_dispose(&a);
    cs_agg_dispose(&b);
}

/* Sums past 2^64 - 1 are refused. A consistent state's rows bound its
 * sessions, cases and patterns, so those overflows are set up in memory;
 * the rows and the exposure (up to 1440000 a session) also from text. */
static void test_agg_merge_overflow(void **state)
{
    static const struct {
        const char *name, *a, *b;
    } texts[] = {
        { "rows",
          HEAD "rows 18446744073709551615 18446744073709551615\n" FAC LOG
          "end\n",
          HEAD "rows 1 1\n" FAC LOG "end\n" },
        { "exposure",
          HEAD "rows 9223372036854775808 0\n" FAC "stratum :\nALL unexposed "
          "9223372036854775808 0 18446744073709551615\n" LOG "end\n",
          HEAD "rows 1 0\n" FAC "stratum :\nALL unexposed 1 0 1\n" LOG
          "end\n" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cs_agg a, b;
        cs_error err = {0};
        print_message("case %s\n", texts[i].name);
        read_ok(&a, texts[i].a);
        read_ok(&b, texts[i].b);
        assert_int_equal(cs_agg_merge(&a, &b, &err), CS_EDATA);
        assert_non_null(strstr(err.msg, "overflows 64 bits"));
        cs_agg_dispose(&a);
        cs_agg_dispose(&b);
    }
    for (int k = 0; k < 4; k++) {
        cs_agg a, b;
        cs_error err = {0};
        print_message("case in memory %d\n", k);
        init(&a, NULL, NULL);
        init(&b, NULL, NULL);
        add(&a, "00000000000000", 1, 1000, "", "");
        add(&b, "00000000000000", 1, 1000, "", "");
        /* The cells hold every session once the state is finished (the
         * wave factors' last run is pending till then). */
        assert_int_equal(cs_agg_finish(&a, &err), CS_OK);
        switch (k) {
        case 0: a.strata[0].cell[CS_F_HEAT][CS_AGG_UNEXPOSED].sessions = UINT64_MAX; break;
        case 1: a.strata[0].cell[CS_F_MEDICAL][CS_AGG_UNEXPOSED].cases = UINT64_MAX; break;
        case 2: a.adj[0].n[0] = UINT64_MAX; break;
        case 3: a.adj[0].y[0] = UINT64_MAX; break;
        }
        assert_int_equal(cs_agg_merge(&a, &b, &err), CS_EDATA);
        assert_non_null(strstr(err.msg, "overflows 64 bits"));
        cs_agg_dispose(&a);
        cs_agg_dispose(&b);
    }
}

/* ---- the report of a tiny state -------------------------------------------- */

/* The number at a path: the first occurrence of anchor, then each key
 * ("key": ) after the previous one, in the order the JSON writes them; NaN
 * for null. */
static double jnum(const char *json, const char *anchor, ...)
{
    const char *p = strstr(json, anchor), *key;
    va_list ap;

    if (!p)
        fail_msg("no %s in the JSON", anchor);
    va_start(ap, anchor);
    while ((key = va_arg(ap, const char *)) != NULL) {
        char k[96];
        snprintf(k, sizeof k, "\"%s\": ", key);
        p = strstr(p, k);
        if (!p)
            fail_msg("no %s after %s", k, anchor);
        p += strlen(k);
    }
    va_end(ap);
    if (strncmp(p, "null", 4) == 0)
        return NAN;
    return strtod(p, NULL);
}

/* Fatigue, exposed 10 sessions with 4 cases, unexposed 20 with 2, one
 * hour each; every other factor unknown; 2 more sessions with the outcome
 * unknown. The 2x2 table a = 4, b = 6, c = 2, d = 18, n = 30, and
 * z = 1.959963984540054:
 *   RR = (4/10) / (2/20) = 4; SE(log RR) = sqrt(1/4 - 1/10 + 1/2 - 1/20)
 *     = sqrt(0.6) = 0.7745967; 4 * exp(-+z SE) = 0.8764398, 18.255674.
 *   OR = 4 * 18 / (6 * 2) = 6; SE(log OR) = sqrt(1/4 + 1/6 + 1/2 + 1/18)
 *     = 0.9860133; 6 * exp(-+z SE) = 0.8686708, 41.442628.
 *   RD = 0.4 - 0.1 = 0.3; SE = sqrt(0.4 * 0.6 / 10 + 0.1 * 0.9 / 20)
 *     = sqrt(0.0285) = 0.1688194; 0.3 -+ z SE = -0.0308800, 0.6308800.
 *   chi2 = 30 (4 * 18 - 6 * 2)^2 / (10 * 20 * 6 * 24) = 108000 / 28800
 *     = 3.75; p = erfc(sqrt(3.75 / 2)) = 0.0528075.
 *   The expected count of a is 10 * 6 / 30 = 2 < 5: read Fisher. With the
 *   margins fixed, P(a = x) = C(10, x) C(20, 6 - x) / C(30, 6):
 *   x = 0 ... 6: 0.0652773, 0.2611090, 0.3671845, 0.2303903, 0.0671972,
 *   0.0084881, 0.0003537; two-sided p = the sum of those <= P(4):
 *   0.0652773 + 0.0671972 + 0.0084881 + 0.0003537 = 0.1413162.
 *   AF among the exposed = (4 - 1) / 4 = 0.75; PAF = (6/30 - 0.1) / 0.2
 *     = 0.5.
 *   Wilson 4/10: (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
 *     = 0.1681803, 0.6873262; 2/20: 0.0278665, 0.3010336.
 *   Rate: 4 cases in 10 h = 400 per 1000 h; exact Poisson interval
 *     chi2(0.025; 8) / 20 * 1000 = 2.179731 / 20 * 1000 = 108.98655 and
 *     chi2(0.975; 10) / 20 * 1000 = 20.483177 / 20 * 1000 = 1024.1589. */
static void tiny_state(cs_agg *a, const char *by)
{
    init(a, by, NULL);
    assert_int_equal(cs_agg_add_input(a, "tiny.csv", NULL), CS_OK);
    for (int s = 0; s < (by ? 2 : 1); s++) {
        const char *sex = s ? "M" : "F";
        for (int i = 0; i < 10; i++)
            add(a, "1?????????????", i < 4, 60000, sex, "");
        for (int i = 0; i < 20; i++)
            add(a, "0?????????????", i < 2, 60000, sex, "");
        add(a, "1?????????????", -1, 60000, sex, "");
        add(a, "0?????????????", -1, 60000, sex, "");
    }
    assert_int_equal(cs_agg_finish(a, NULL), CS_OK);
}

static void test_agg_report_json(void **state)
{
    static const char *const F = "{\"factor\": \"fatigue\"";
    static const char *const T = "{\"factor\": \"tightness\"";
    cs_report_opts o;
    cs_agg a;
    cs_buf b;
    const char *j;

    (void)state;
    tiny_state(&a, NULL);
    cs_report_opts_init(&o);
    o.format = CS_FMT_JSON;
    cs_buf_init(&b, 0);
    assert_int_equal(cs_report_render(&a, &o, &b), CS_OK);
    assert_int_equal(cs_buf_putc(&b, '\0'), CS_OK);
    j = b.ptr;

    assert_non_null(strstr(j, "\"inputs\": [\"tiny.csv\"], \"sessions\": 32, "
                              "\"sessions_used\": 30, \"outcome_unknown\": 2"));
    assert_non_null(strstr(j, "{\"factor\": \"fatigue\", \"unknown\": 0, "
                              "\"exposed\": {\"sessions\": 10, \"cases\": 4, "
                              "\"hours\": 10, "));
    assert_non_null(strstr(j, "\"unexposed\": {\"sessions\": 20, \"cases\": 2, "
                              "\"hours\": 20, "));
    assert_near(jnum(j, F, "exposed", "risk", "estimate", NULL), 0.4, 1e-15);
    assert_near(jnum(j, F, "exposed", "risk", "lower", NULL),
                0.16818032970623614, 1e-9);
    assert_near(jnum(j, F, "exposed", "risk", "upper", NULL),
                0.6873262302663417, 1e-9);
    assert_near(jnum(j, F, "exposed", "rate_per_1000h", "estimate", NULL),
                400, 1e-9);
    assert_near(jnum(j, F, "exposed", "rate_per_1000h", "lower", NULL),
                108.98655, 1e-3);
    assert_near(jnum(j, F, "exposed", "rate_per_1000h", "upper", NULL),
                1024.1589, 1e-3);
    assert_near(jnum(j, F, "unexposed", "risk", "estimate", NULL), 0.1, 1e-15);
    assert_near(jnum(j, F, "unexposed", "risk", "lower", NULL),
                0.027866481213768224, 1e-9);
    assert_near(jnum(j, F, "unexposed", "risk", "upper", NULL),
                0.3010336452284873, 1e-9);
    assert_near(jnum(j, F, "unexposed", "rate_per_1000h", "estimate", NULL),
                100, 1e-9);
    assert_near(jnum(j, F, "risk_ratio", "estimate", NULL), 4, 1e-12);
    assert_near(jnum(j, F, "risk_ratio", "lower", NULL), 0.8764398404042836,
                1e-9);
    assert_near(jnum(j, F, "risk_ratio", "upper", NULL), 18.255673991975907,
                1e-8);
    assert_near(jnum(j, F, "odds_ratio", "estimate", NULL), 6, 1e-12);
    assert_near(jnum(j, F, "odds_ratio", "lower", NULL), 0.8686707741117367,
                1e-9);
    assert_near(jnum(j, F, "odds_ratio", "upper", NULL), 41.44262829241834,
                1e-8);
    assert_near(jnum(j, F, "risk_difference", "estimate", NULL), 0.3, 1e-12);
    assert_near(jnum(j, F, "risk_difference", "lower", NULL),
                -0.03088000300680388, 1e-9);
    assert_near(jnum(j, F, "risk_difference", "upper", NULL),
                0.630880003006804, 1e-9);
    assert_near(jnum(j, F, "chi2", "statistic", NULL), 3.75, 1e-12);
    assert_near(jnum(j, F, "chi2", "p", NULL), 0.05280751141611362, 1e-10);
    assert_near(jnum(j, F, "fisher_p", NULL), 0.14131615510925855, 1e-10);
    assert_near(jnum(j, F, "af_exposed", NULL), 0.75, 1e-12);
    assert_near(jnum(j, F, "paf", NULL), 0.5, 1e-12);
    assert_non_null(strstr(strstr(j, F), "\"read_fisher\": true"));
    /* Tightness: all 30 unknown, nothing to compare. */
    assert_near(jnum(j, T, "unknown", NULL), 30, 0);
    assert_near(jnum(j, T, "exposed", "sessions", NULL), 0, 0);
    assert_true(isnan(jnum(j, T, "risk_ratio", "estimate", NULL)));
    assert_true(isnan(jnum(j, T, "chi2", "statistic", NULL)));
    /* No session has all six factors known: no model. */
    assert_non_null(strstr(j, "\"logistic\": {\"converged\": false, "
                              "\"sessions\": 0, "));
    cs_buf_dispose(&b);
    cs_agg_dispose(&a);
}

/* The same table in two strata (F and M): the pooled estimates are the
 * stratum's, RR 4 and OR 6. MH chi-square: E(a) = 10 * 6 / 30 = 2 per
 * stratum, sum (a - E) = 4; Var = 10 * 20 * 6 * 24 / (30^2 * 29) =
 * 1.1034483 per stratum; chi2 = 16 / 2.2068966 = 7.25, p =
 * erfc(sqrt(7.25 / 2)) = 0.0070901. Identical strata are homogeneous:
 * Breslow-Day 0 on 1 df. The crude table a = 8, b = 12, c = 4, d = 36:
 * chi2 = 60 * (288 - 48)^2 / (20 * 40 * 12 * 48) = 7.5. */
static void test_agg_report_stratified(void **state)
{
    static const char *const F = "{\"factor\": \"fatigue\"";
    cs_report_opts o;
    cs_agg a;
    cs_buf b;
    const char *j, *s;

    (void)state;
    tiny_state(&a, "sex");
    cs_report_opts_init(&o);
    o.format = CS_FMT_JSON;
    cs_buf_init(&b, 0);
    assert_int_equal(cs_report_render(&a, &o, &b), CS_OK);
    assert_int_equal(cs_buf_putc(&b, '\0'), CS_OK);
    j = b.ptr;
    assert_near(jnum(j, F, "risk_ratio", "estimate", NULL), 4, 1e-12);
    assert_near(jnum(j, F, "odds_ratio", "estimate", NULL), 6, 1e-12);
    assert_near(jnum(j, F, "chi2", "statistic", NULL), 7.5, 1e-12);
    s = strstr(j, "\"stratified\": [");
    assert_non_null(s);
    /* Each stratum goes on with its own measures (docs/epi.md). */
    assert_non_null(strstr(s, "{\"factor\": \"fatigue\", \"by\": \"sex\", "
        "\"strata\": [{\"level\": \"F\", \"a\": 4, \"b\": 6, \"c\": 2, "
        "\"d\": 18, \"unknown\": 0, \"risk_ratio\": {\"estimate\": 4, "));
    assert_non_null(strstr(s, "]}, {\"level\": \"M\", \"a\": 4, \"b\": 6, "
        "\"c\": 2, \"d\": 18, \"unknown\": 0, \"risk_ratio\": "));
    assert_near(jnum(s, F, "mh_risk_ratio", "estimate", NULL), 4, 1e-12);
    assert_near(jnum(s, F, "mh_odds_ratio", "estimate", NULL), 6, 1e-12);
    assert_near(jnum(s, F, "mh_chi2", "statistic", NULL), 7.25, 1e-12);
    assert_near(jnum(s, F, "mh_chi2", "p", NULL), 0.007090101223815533, 1e-10);
    assert_near(jnum(s, F, "breslow_day", "statistic", NULL), 0, 1e-12);
    assert_near(jnum(s, F, "breslow_day", "df", NULL), 1, 0);
    assert_near(jnum(s, F, "strata_used", NULL), 2, 0);
    cs_buf_dispose(&b);
    cs_agg_dispose(&a);
}

/* Participants come in byte order of their ids: swapped, the state is
 * refused, not re-sorted. */
static void test_agg_partial_participant_order(void **state)
{
    cs_agg a, b;
    cs_buf t;
    cs_error err = {0};
    char *p1, *p2, *nl1, *nl2;

    (void)state;
    init(&a, NULL, NULL);
    assert_int_equal(cs_agg_cluster(&a, &err), CS_OK);
    add_p(&a, "00000000000000", 1, 1000, "P2");
    add_p(&a, "00000000000000", 0, 1000, "P1");
    assert_int_equal(cs_agg_finish(&a, &err), CS_OK);
    cs_buf_init(&t, 0);
    assert_int_equal(cs_agg_write_partial(&a, &t, &err), CS_OK);
    t.ptr[t.len] = '\0';
    p1 = strstr(t.ptr, "\np :P1 ") + 1;
    p2 = strstr(t.ptr, "\np :P2 ") + 1;
    assert_true(p1 > t.ptr && p2 > p1);
    assert_int_equal(cs_agg_read_partial(&b, "t", t.ptr, t.len, &err), CS_OK);
    cs_agg_dispose(&b);
    /* The two lines have the same length ("P1 ...:0:1000" and "P2
     * ...:1:1000"), so swapping their ids swaps the participants. */
    nl1 = strchr(p1, '\n');
    nl2 = strchr(p2, '\n');
    assert_int_equal(nl1 - p1, nl2 - p2);
    p1[4] = '2';
    p2[4] = '1';
    resum(t.ptr);
    assert_int_equal(cs_agg_read_partial(&b, "t", t.ptr, t.len, &err), CS_EDATA);
    assert_non_null(strstr(err.msg, "participant \"P1\" is out of order"));
    cs_agg_dispose(&a);
    cs_buf_dispose(&t);
}

/* Exposure moved between a participant's entries so that every factor's
 * totals stay the same: only the patterns' exposure shows it. */
static void test_agg_partial_pattern_exposure(void **state)
{
    static const char *const fl[4] = { "10000000000000", "01000000000000",
                                       "11000000000000", "00000000000000" };
    /* A loses 500 to C, B 500 to D: f0 and f1 keep 2000 exposed and 2000
     * unexposed each. */
    static const char *const from[4] = {
        "10000000000000/0:1:0:1000", "01000000000000/0:1:0:1000",
        "11000000000000/0:1:0:1000", "00000000000000/0:1:0:1000" };
    static const char *const to[4] = {
        "10000000000000/0:1:0:500", "01000000000000/0:1:0:500",
        "11000000000000/0:1:0:1500", "00000000000000/0:1:0:1500" };
    cs_agg a, b;
    cs_buf t, u;
    cs_error err = {0};
    int moved = 0;

    (void)state;
    init(&a, NULL, NULL);
    assert_int_equal(cs_agg_cluster(&a, &err), CS_OK);
    for (int k = 0; k < 4; k++)
        add_p(&a, fl[k], 0, 1000, "P1");
    assert_int_equal(cs_agg_finish(&a, &err), CS_OK);
    cs_buf_init(&t, 0);
    cs_buf_init(&u, 0);
    assert_int_equal(cs_agg_write_partial(&a, &t, &err), CS_OK);
    t.ptr[t.len] = '\0';
    for (const char *p = t.ptr, *q; *p; p = q) {
        int k;
        q = p + strcspn(p, " \n");
        for (k = 0; k < 4 && ((size_t)(q - p) != strlen(from[k]) ||
                              memcmp(p, from[k], (size_t)(q - p)) != 0); k++)
            ;
        if (k < 4) {
            cs_buf_puts(&u, to[k]);
            moved++;
        } else
            cs_buf_append(&u, p, (size_t)(q - p));
        if (*q)
            cs_buf_putc(&u, *q++);
    }
    assert_int_equal(cs_buf_check(&u, &err), CS_OK);
    assert_int_equal(moved, 4);
    assert_int_equal(u.len, t.len - 2);   /* 2 x "500", 2 x "1500" */
    assert_int_equal(cs_buf_putc(&u, '\0'), CS_OK);
    u.len--;
    resum(u.ptr);
    assert_int_equal(cs_agg_read_partial(&b, "t", u.ptr, u.len, &err), CS_EDATA);
    assert_non_null(strstr(err.msg, "the participants' sessions do not add up"));
    cs_agg_dispose(&a);
    cs_buf_dispose(&t);
    cs_buf_dispose(&u);
}

/* ---- the registry of accumulators ----------------------------------- */

/* Names are distinct, every step is there, and each accumulator comes
 * after the ones it builds on. */
static void test_acc_registry(void **state)
{
    (void)state;
    assert_true(cs_acc_count >= 7);
    for (size_t i = 0; i < cs_acc_count; i++) {
        const cs_acc_kind *k = cs_acc_registry[i];
        print_message("accumulator %s\n", k->name);
        assert_int_equal(cs_acc_find((cs_str){ k->name, strlen(k->name) }), (int)i);
        assert_true(k->version >= 1);
        assert_non_null(k->wanted);
        assert_non_null(k->create);
        assert_non_null(k->dispose);
        assert_non_null(k->add);
        assert_non_null(k->merge);
        assert_non_null(k->finish);
        assert_non_null(k->write);
        assert_non_null(k->read);
        assert_non_null(k->check);
        for (const char *const *n = k->needs; n && *n; n++) {
            int j = cs_acc_find((cs_str){ *n, strlen(*n) });
            assert_true(j >= 0 && (size_t)j < i);
        }
    }
    assert_int_equal(cs_acc_find((cs_str){ "cramps", 6 }), -1);
}

/* The sections a state holds follow its options, are written in
 * registry order, and read back to the same set. */
static void test_acc_sections(void **state)
{
    static const struct {
        int cluster, calories;
        const char *sections;
    } cases[] = {
        { 1, 1, "sessions factors logistic cluster dose period calories" },
        { 0, 1, "sessions factors logistic dose period calories" },
        { 1, 0, "sessions factors logistic cluster dose period" },
    };
    cs_rules r;

    (void)state;
    cs_rules_default(&r);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_acc_opts o = { &r, "sex", NULL, 1, cases[i].cluster,
                          cases[i].calories, 0 };
        cs_agg a, b;
        cs_error err = {0};
        cs_buf t;
        char got[200] = "";
        signed char f[CS_F_N];
        cs_agg_more more = { { NAN, NAN, NAN, NAN, NAN, NAN, NAN }, 19800, 1 };

        memset(f, 0, sizeof f);
        assert_int_equal(cs_agg_open(&a, &o, &err), CS_OK);
        cs_acc_row row = { f, 1, 60000, str("F"), str(""), str("P1"), &more,
                           -1.0, 0, 0 };
        assert_int_equal(cs_agg_add_row(&a, &row, &err), CS_OK);
        assert_int_equal(cs_agg_finish(&a, &err), CS_OK);
        cs_buf_init(&t, 0);
        assert_int_equal(cs_agg_write_partial(&a, &t, &err), CS_OK);
        t.ptr[t.len] = '\0';
        for (const char *p = t.ptr; (p = strstr(p, "\nsection ")); p++) {
            size_t n = strcspn(p + 9, " ");
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%.*s",
                     got[0] ? " " : "", (int)n, p + 9);
        }
        assert_string_equal(got, cases[i].sections);
        assert_int_equal(cs_agg_read_partial(&b, "t", t.ptr, t.len, &err), CS_OK);
        assert_int_equal(b.have, a.have);
        assert_int_equal(b.rows, 1);
        assert_int_equal(b.strata[0].cell[CS_F_FATIGUE][CS_AGG_UNEXPOSED].mmin,
                         60000);
        if (cases[i].calories) {
            /* -1 lb/week is a "lose" goal: one session, one case. */
            assert_int_equal(b.cal->link[0].sessions, 1);
            assert_int_equal(b.cal->link[0].cases, 1);
        }
        cs_agg_dispose(&a);
        cs_agg_dispose(&b);
        cs_buf_dispose(&t);
    }
}

/* The days' main-factor counts (src/period.c), kept in byte lanes that
 * are counted into the day's totals before a byte could overflow: days
 * of thousands of sessions each, flags 1, 0 and -1 at random, against a
 * count kept factor by factor. The state's text before it is finished
 * (lanes pending), after it is finished, and after two unfinished halves
 * are merged and finished, is the text of the count. */
#define LANE_DAYS 5
#define LANE_ROWS 60000

typedef struct lane_day {
    uint64_t sessions, cases, mmin, exposed[CS_F_MAIN_N], known[CS_F_MAIN_N];
} lane_day;

/* The section's day lines of bd, in the order of days[]. */
static void lane_text(cs_buf *b, const lane_day *bd, const int32_t *days,
                      const int *order)
{
    for (int k = 0; k < LANE_DAYS; k++) {
        const lane_day *d = &bd[order[k]];
        char date[16];
        cs_fmt_date(date, sizeof date, days[order[k]]);
        cs_buf_printf(b, "day %s %llu %llu %llu", date,
                      (unsigned long long)d->sessions,
                      (unsigned long long)d->cases,
                      (unsigned long long)d->mmin);
        for (int f = 0; f < CS_F_MAIN_N; f++)
            cs_buf_printf(b, " %llu/%llu", (unsigned long long)d->exposed[f],
                          (unsigned long long)d->known[f]);
        cs_buf_putc(b, '\n');
    }
}

static void lane_expect(const cs_period *p, const lane_day *bd,
                        const int32_t *days, const int *order)
{
    cs_buf want, got;

    cs_buf_init(&want, 0);
    cs_buf_init(&got, 0);
    cs_buf_printf(&want, "undated 0\n");
    lane_text(&want, bd, days, order);
    assert_int_equal(cs_period_write(p, &got), CS_OK);
    assert_string_equal(got.ptr, want.ptr);
    cs_buf_dispose(&want);
    cs_buf_dispose(&got);
}

static void test_period_lanes(void **state)
{
    /* first seen in this order; sorted, they are 2, 0, 4, 1, 3 */
    static const int32_t days[LANE_DAYS] = { 19800, 19900, 19700, 20000, 19850 };
    static const int seen[LANE_DAYS] = { 0, 1, 2, 3, 4 };
    static const int sorted[LANE_DAYS] = { 2, 0, 4, 1, 3 };
    lane_day *bd = calloc(LANE_DAYS, sizeof *bd);
    cs_period all, half[2];
    cs_error err = {0};

    (void)state;
    assert_non_null(bd);
    rng = 0x9e3779b97f4a7c15ull;
    cs_period_init(&all);
    cs_period_init(&half[0]);
    cs_period_init(&half[1]);
    for (int r = 0, k = 0; r < LANE_ROWS; r++) {
        /* every day once first, in the order of seen[], then runs of a
         * day's sessions, of three on average, the days at random */
        signed char fl[CS_F_N];
        int outcome = (int)rnd(2);
        uint64_t mmin = 1 + rnd(200000);
        k = r < LANE_DAYS ? r : rnd(3) ? k : (int)rnd(LANE_DAYS);
        lane_day *d = &bd[k];
        for (int f = 0; f < CS_F_N; f++)
            fl[f] = (signed char)((int)rnd(3) - 1);
        if (r % 7 == 0)
            memset(fl, 1, sizeof fl);       /* every lane at once */
        assert_int_equal(cs_period_add(&all, 1, days[k], fl, outcome, mmin,
                                       &err), CS_OK);
        assert_int_equal(cs_period_add(&half[r % 5 == 0], 1, days[k], fl,
                                       outcome, mmin, &err), CS_OK);
        d->sessions++;
        d->cases += (uint64_t)outcome;
        d->mmin += mmin;
        for (int f = 0; f < CS_F_MAIN_N; f++)
            if (fl[f] >= 0) {
                d->known[f]++;
                d->exposed[f] += (uint64_t)fl[f];
            }
    }
    assert_true(bd[0].sessions > 4 * 255);
    lane_expect(&all, bd, days, seen);
    assert_int_equal(cs_period_finish(&all), CS_OK);
    lane_expect(&all, bd, days, sorted);
    for (int k = 0; k < LANE_DAYS; k++)
        for (int f = 0; f < CS_F_MAIN_N; f++) {
            assert_int_equal(all.d[k].known[f], bd[sorted[k]].known[f]);
            assert_int_equal(all.d[k].exposed[f], bd[sorted[k]].exposed[f]);
        }
    /* two halves, both with lanes pending, merged */
    assert_int_equal(cs_period_merge(&half[1], &half[0], &err), CS_OK);
    assert_int_equal(cs_period_finish(&half[1]), CS_OK);
    lane_expect(&half[1], bd, days, sorted);
    cs_period_dispose(&all);
    cs_period_dispose(&half[0]);
    cs_period_dispose(&half[1]);
    free(bd);
}

/* cs_agg_add_rows (each accumulator takes a chunk of sessions in one
 * call) against cs_agg_add_row on each session: every accumulator,
 * calorie goals and clustering included, with --by and --adjust and
 * without, sessions of participants in runs with unknown flags and
 * outcomes, exposures missing and not, undated ones; chunks of 1 to 100
 * sessions. The state's text is the same. Then a session that fails one accumulator
 * (a goal that is none of the nine) before or after one that fails
 * another (a stratum past the level limit), in one chunk: the error is
 * the one the sessions give one at a time. */
#define ROWS_N 3000
#define ROWS_ERR 1100

static cs_agg_more rows_more[ROWS_N];
static cs_acc_row rows_row[ROWS_N];
static signed char rows_flag[ROWS_N][CS_F_N];
static char rows_text[ROWS_N][3][24];

static void rows_open(cs_agg *a, const char *by, const char *adjust)
{
    static cs_rules r;
    cs_acc_opts o = { &r, by, adjust, 1, 1, 1, CS_CAL_BY_SEX };
    cs_error err = {0};

    cs_rules_default(&r);
    assert_int_equal(cs_agg_open(a, &o, &err), CS_OK);
}

/* n sessions at random; with lim, every one in a stratum of its own, its
 * outcome known, and session wrong's goal none of the nine. */
static void rows_make(size_t n, int lim, size_t wrong)
{
    static const double goals[9] = { -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2 };
    static const char *const bands[3] = { "18-29", "30-44", "" };
    int pid = 0, goal = 0;

    for (size_t i = 0; i < n; i++) {
        cs_acc_row *r = &rows_row[i];
        cs_agg_more *m = &rows_more[i];
        if (i == 0 || rnd(25) == 0) {
            pid++;
            goal = (int)rnd(9);
            for (int f = CS_F_ELECTROLYTE; f < CS_F_N; f++)
                rows_flag[i][f] = (signed char)((int)rnd(3) - 1);
        } else {
            memcpy(rows_flag[i] + CS_F_ELECTROLYTE,
                   rows_flag[i - 1] + CS_F_ELECTROLYTE,
                   CS_F_N - CS_F_ELECTROLYTE);
        }
        for (int f = 0; f < CS_F_ELECTROLYTE; f++)
            rows_flag[i][f] = (signed char)((int)rnd(3) - 1);
        snprintf(rows_text[i][0], sizeof rows_text[i][0], "P%d", pid);
        if (lim)
            snprintf(rows_text[i][1], sizeof rows_text[i][1], "L%zu", i);
        else
            snprintf(rows_text[i][1], sizeof rows_text[i][1], "%s",
                     pid % 3 ? "F" : "M");
        snprintf(rows_text[i][2], sizeof rows_text[i][2], "%s",
                 bands[pid % 3]);
        for (int e = 0; e < CS_DOSE_N; e++)
            m->dose[e] = rnd(6) == 0 ? NAN : (double)rnd(4000) / 10;
        m->day = 19700 + (int32_t)rnd(60);
        m->has_day = rnd(40) != 0;
        *r = (cs_acc_row){ rows_flag[i],
                           !lim && rnd(15) == 0 ? -1 : rnd(5) == 0,
                           1 + rnd(1440000), str(rows_text[i][1]),
                           str(rows_text[i][2]), str(rows_text[i][0]),
                           rnd(30) == 0 ? NULL : m,
                           lim && i == wrong ? 0.3 : goals[goal], 0, 0 };
    }
}

/* Add rows 0 .. n-1 one at a time (chunk 0) or in chunks of at most
 * chunk (1 ... chunk at random with rand_chunk); the error, if any. */
static cs_error rows_add(cs_agg *a, size_t n, size_t chunk, int rand_chunk)
{
    cs_error err = {0};

    for (size_t i = 0; i < n;) {
        size_t k = chunk ? (rand_chunk ? 1 + rnd((uint32_t)chunk) : chunk) : 1;
        if (k > n - i)
            k = n - i;
        if ((chunk ? cs_agg_add_rows(a, &rows_row[i], k, &err)
                   : cs_agg_add_row(a, &rows_row[i], &err)) < 0)
            break;
        i += k;
    }
    return err;
}

static void test_agg_add_rows(void **state)
{
    cs_agg one, chunked;
    char *want, *got;

    (void)state;
    rng = 0x51ed2701f3a5c9b7ull;
    rows_make(ROWS_N, 0, 0);
    /* with --by and --adjust, and without (one stratum and level, found
     * once a chunk) */
    for (int cols = 0; cols < 2; cols++) {
        rows_open(&one, cols ? "sex" : NULL, cols ? "age_band" : NULL);
        rows_open(&chunked, cols ? "sex" : NULL, cols ? "age_band" : NULL);
        assert_int_equal(rows_add(&one, ROWS_N, 0, 0).code, CS_OK);
        assert_int_equal(rows_add(&chunked, ROWS_N, 100, 1).code, CS_OK);
        want = partial_text(&one);
        got = partial_text(&chunked);
        assert_string_equal(got, want);
        free(want);
        free(got);
        cs_agg_dispose(&one);
        cs_agg_dispose(&chunked);
    }

    /* The 1001st stratum (session 1000) fails "factors"; the bad goal
     * fails "calories", before it or after it. */
    for (size_t wrong = 990; wrong <= 1010; wrong += 20)
        for (size_t chunk = 64; chunk <= ROWS_ERR; chunk += ROWS_ERR - 64) {
            cs_error e1, e2;
            rows_make(ROWS_ERR, 1, wrong);
            rows_open(&one, "sex", "age_band");
            rows_open(&chunked, "sex", "age_band");
            e1 = rows_add(&one, ROWS_ERR, 0, 0);
            e2 = rows_add(&chunked, ROWS_ERR, chunk, 0);
            assert_int_equal(e1.code, wrong < 1000 ? CS_EDATA : CS_ELIMIT);
            assert_int_equal(e2.code, e1.code);
            assert_string_equal(e2.msg, e1.msg);
            cs_agg_dispose(&one);
            cs_agg_dispose(&chunked);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_mmin),
        cmocka_unit_test(test_agg_add),
        cmocka_unit_test(test_agg_too_many_levels),
        cmocka_unit_test(test_agg_merge_orders),
        cmocka_unit_test(test_agg_factor_runs),
        cmocka_unit_test(test_agg_patterns_all),
        cmocka_unit_test(test_agg_merge_refused),
        cmocka_unit_test(test_agg_partial_round_trip),
        cmocka_unit_test(test_agg_partial_errors),
        cmocka_unit_test(test_agg_partial_limits),
        cmocka_unit_test(test_agg_merge_big),
        cmocka_unit_test(test_agg_merge_overflow),
        cmocka_unit_test(test_agg_report_json),
        cmocka_unit_test(test_agg_partial_cap),
        cmocka_unit_test(test_agg_report_cap),
        cmocka_unit_test(test_agg_report_stratified),
        cmocka_unit_test(test_agg_partial_participant_order),
        cmocka_unit_test(test_agg_partial_pattern_exposure),
        cmocka_unit_test(test_acc_registry),
        cmocka_unit_test(test_acc_sections),
        cmocka_unit_test(test_period_lanes),
        cmocka_unit_test(test_agg_add_rows),
    };
    gsl_set_error_handler_off();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
