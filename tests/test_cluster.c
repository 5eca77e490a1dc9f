/* Per-participant sums and the cluster-robust intervals (src/cluster.c).
 *
 * The tiny data set: four participants, twelve sessions, one factor
 * (fatigue; the other factors unexposed). Sessions (exposed, case, min):
 *   P1: (1,1,60) (1,0,30) (0,0,45)
 *   P2: (1,1,90) (0,1,60) (0,0,30)
 *   P3: (1,0,60) (0,0,20) (0,0,40) (0,1,50)
 *   P4: (1,1,30) (0,0,60)
 * By hand, for the risk difference: N1 = 5, A = 3, p1 = 0.6; N0 = 7,
 * C = 2, p0 = 2/7. Residuals e1 = (-0.2, 0.4, -0.6, 0.4), e0 = (-2/7,
 * 3/7, 1/7, -2/7): S11 = 0.72, S00 = 18/49, S10 = 1/35. var = S11/25 +
 * S00/49 - 2 S10/35 = 0.034664..., times 4/3 * 11/10, SE = 0.2254792.
 * The expected limits are statsmodels' GLM(...).fit(cov_type="cluster",
 * cov_kwds={"groups": participant}) on the same rows (Poisson, binomial,
 * Gaussian identity, Poisson with offset log(hours/1000)), which agree
 * with that hand value. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <crampstat/aggregate.h>
#include <crampstat/cluster.h>
#include <crampstat/report.h>
#include <crampstat/stats.h>

static const struct { const char *id; int x, y, min; } rows[] = {
    { "P1", 1, 1, 60 }, { "P1", 1, 0, 30 }, { "P1", 0, 0, 45 },
    { "P2", 1, 1, 90 }, { "P2", 0, 1, 60 }, { "P2", 0, 0, 30 },
    { "P3", 1, 0, 60 }, { "P3", 0, 0, 20 }, { "P3", 0, 0, 40 }, { "P3", 0, 1, 50 },
    { "P4", 1, 1, 30 }, { "P4", 0, 0, 60 },
};
#define NROWS (sizeof rows / sizeof rows[0])

static void add_row(cs_clu *c, size_t i)
{
    signed char f[CS_F_N];
    cs_error err = {0};

    memset(f, 0, sizeof f);
    f[0] = (signed char)rows[i].x;
    assert_int_equal(cs_clu_add(c, (cs_str){ rows[i].id, strlen(rows[i].id) }, f,
                                0, rows[i].y, (uint64_t)rows[i].min * 1000, &err),
                     CS_OK);
}

static void near_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void check_tiny(const cs_clu *c)
{
    cs_clu_factor s;

    cs_clu_factor_stats(&s, c, 0, 0.95);
    assert_int_equal(s.participants_exposed, 4);
    assert_int_equal(s.participants_unexposed, 4);
    assert_int_equal(s.sessions, 12);
    assert_int_equal(s.notes, 0);
    near_rel(s.risk_difference.est, 0.6 - 2.0 / 7, 1e-15);
    near_rel(s.risk_difference.lo, -0.12764535838199892, 1e-9);
    near_rel(s.risk_difference.hi, 0.7562167869534273, 1e-9);
    near_rel(s.risk_ratio.est, 0.6 / (2.0 / 7), 1e-15);
    near_rel(s.risk_ratio.lo, 0.8070624047687477, 1e-9);
    near_rel(s.risk_ratio.hi, 5.464261467195485, 1e-9);
    near_rel(s.se_log_rr, 0.4879128579122507, 1e-9);
    near_rel(s.odds_ratio.lo, 0.5559838182358982, 1e-9);
    near_rel(s.odds_ratio.hi, 25.293002311768195, 1e-9);
    near_rel(s.rate_ratio.lo, 0.3999252023515687, 1e-9);
    near_rel(s.rate_ratio.hi, 7.17919740598058, 1e-9);
    near_rel(s.exposed_risk.lo, 0.23239464033428994, 1e-9);
    near_rel(s.exposed_risk.hi, 0.8814014566095395, 1e-9);
    /* AF among the exposed: (RR - 1) / RR at the robust RR's limits. */
    near_rel(s.af_exposed.est, 1 - (2.0 / 7) / 0.6, 1e-15);
    near_rel(s.af_exposed.lo, -0.23906155718718661, 1e-9);
    near_rel(s.af_exposed.hi, 0.81699265197987558, 1e-9);
    /* PAF = 1 - (2/7) / (5/12) = 11/35. By hand, each participant's
     * influence on log(1 - PAF) is e0 / C - d / (A + C) with e0 = y0 -
     * (2/7) n0 and d = y - (5/12) n: (-13/140, 9/140, 43/210, -37/210) for P1 to
     * P4 (e0 = -2/7, 3/7, 1/7, -2/7; d = -1/4, 3/4, -2/3, 1/6), so the
     * variance is 4/3 * 11/10 * sum u^2 = 83171/661500 exactly. */
    near_rel(s.paf.est, 11.0 / 35, 1e-15);
    near_rel(s.paf.lo, 1 - 24.0 / 35 * exp(1.959963984540054 * sqrt(83171.0 / 661500)),
             1e-12);
    near_rel(s.paf.lo, -0.37393746918048776, 1e-9);
    near_rel(s.paf.hi, 0.65776893622886956, 1e-9);
    /* Design effect: robust variance over Katz's 1/3 - 1/5 + 1/2 - 1/7. */
    near_rel(s.design_effect, 0.4879128579122507 * 0.4879128579122507 /
                              (1.0 / 3 - 1.0 / 5 + 1.0 / 2 - 1.0 / 7), 1e-9);
}

static void test_cluster_tiny(void **state)
{
    cs_clu *c;
    cs_error err = {0};

    (void)state;
    assert_int_equal(cs_clu_create(&c, &err), CS_OK);
    for (size_t i = 0; i < NROWS; i++)
        add_row(c, i);
    assert_int_equal(cs_clu_finish(c, &err), CS_OK);
    assert_int_equal(cs_clu_participants(c), 4);
    check_tiny(c);
    cs_clu_free(c);
}

/* Shards split by session (a participant's sessions in several shards),
 * merged in any order, equal the single pass: same text, same numbers. */
static void test_cluster_merge_by_session(void **state)
{
    cs_error err = {0};
    cs_buf one, merged;
    cs_clu *all, *part[3], *total;
    const size_t same[1] = { 0 };

    (void)state;
    cs_buf_init(&one, 0);
    cs_buf_init(&merged, 0);
    assert_int_equal(cs_clu_create(&all, &err), CS_OK);
    for (size_t i = 0; i < NROWS; i++)
        add_row(all, i);
    assert_int_equal(cs_clu_finish(all, &err), CS_OK);
    assert_int_equal(cs_clu_write(all, &one), CS_OK);
    for (unsigned seed = 1; seed <= 20; seed++) {
        for (int k = 0; k < 3; k++)
            assert_int_equal(cs_clu_create(&part[k], &err), CS_OK);
        for (size_t i = 0; i < NROWS; i++)
            add_row(part[(i * 7 + seed * (i + 3)) % 3], i);
        assert_int_equal(cs_clu_create(&total, &err), CS_OK);
        for (int k = 0; k < 3; k++)
            assert_int_equal(cs_clu_merge(total, part[(k + seed) % 3], same, 1,
                                          &err), CS_OK);
        assert_int_equal(cs_clu_finish(total, &err), CS_OK);
        cs_buf_reset(&merged);
        assert_int_equal(cs_clu_write(total, &merged), CS_OK);
        assert_int_equal(merged.len, one.len);
        assert_memory_equal(merged.ptr, one.ptr, one.len);
        check_tiny(total);
        for (int k = 0; k < 3; k++)
            cs_clu_free(part[k]);
        cs_clu_free(total);
    }
    /* The text reads back to the same state. */
    {
        cs_clu *back;
        char why[160];
        const char *p = one.ptr, *end = one.ptr + one.len;
        assert_int_equal(cs_clu_create(&back, &err), CS_OK);
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            assert_non_null(nl);
            assert_true(p[0] == 'p' && p[1] == ' ');
            assert_int_equal(cs_clu_read_line(back, (cs_str){ p + 2, (size_t)(nl - p - 2) },
                                              1, why, sizeof why), 0);
            p = nl + 1;
        }
        assert_int_equal(cs_clu_finish(back, &err), CS_OK);
        check_tiny(back);
        cs_clu_free(back);
    }
    cs_clu_free(all);
    cs_buf_dispose(&one);
    cs_buf_dispose(&merged);
}

/* 600 participants whose sessions come interleaved, each met again
 * after others with factor states it had not had (its entries move to
 * the end, and the entries are compacted on the way): the state text
 * equals counts kept by the test in a plain array, in key order. */
static void test_cluster_interleaved(void **state)
{
    enum { P = 600, S = 30000 };
    static uint64_t n[P][16], y[P][16], mmin[P][16];
    static const signed char st[3] = { 0, 1, -1 };   /* key codes 0, 1, 3 */
    cs_error err = {0};
    cs_clu *c;
    cs_buf got, want;
    uint64_t x = 99;
    char id[16];
    (void)state;
    memset(n, 0, sizeof n);
    memset(y, 0, sizeof y);
    memset(mmin, 0, sizeof mmin);
    assert_int_equal(cs_clu_create(&c, &err), CS_OK);
    for (int i = 0; i < S; i++) {
        signed char f[CS_F_N];
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        /* Every participant once in id order, then met again at random:
         * each one's entries move behind the others'. */
        int p = i < P ? i : (int)((x >> 33) % P);
        int a = i < S / 3 ? 0 : (int)((x >> 20) % 3);
        int b = i < S / 3 ? 0 : (int)((x >> 24) % 3);
        int out = (int)((x >> 45) & 1);
        uint64_t m = 1000 * (1 + (x >> 50) % 90);
        memset(f, 0, sizeof f);
        f[0] = st[a];
        f[1] = st[b];
        snprintf(id, sizeof id, "Q%03d", p);
        assert_int_equal(cs_clu_add(c, (cs_str){ id, 4 }, f, 0, out, m, &err), CS_OK);
        unsigned k = (unsigned)(st[a] & 3) | (unsigned)(st[b] & 3) << 2;
        n[p][k]++;
        y[p][k] += (uint64_t)out;
        mmin[p][k] += m;
    }
    size_t grown = cs_clu_bytes(c);
    assert_int_equal(cs_clu_finish(c, &err), CS_OK);
    assert_int_equal(cs_clu_participants(c), P);
    /* finish copied each participant's entries into one block, in order,
     * into arrays of their exact size: the holes the moves left are gone */
    assert_true(cs_clu_bytes(c) < grown);
    cs_buf_init(&got, 0);
    cs_buf_init(&want, 0);
    assert_int_equal(cs_clu_write(c, &got), CS_OK);
    for (int p = 0; p < P; p++) {
        cs_buf_printf(&want, "p :Q%03d", p);
        for (unsigned k = 0; k < 16; k++)
            if (n[p][k])
                cs_buf_printf(&want, " %c%c000000000000/0:%llu:%llu:%llu",
                              "01?-"[k & 3], "01?-"[k >> 2],
                              (unsigned long long)n[p][k],
                              (unsigned long long)y[p][k],
                              (unsigned long long)mmin[p][k]);
        cs_buf_putc(&want, '\n');
    }
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.ptr, want.ptr, want.len);
    cs_buf_dispose(&got);
    cs_buf_dispose(&want);
    cs_clu_free(c);
}

/* The wave factors' part of the key, kept from the last session while
 * they are the same (cluster.c's pack_key, through the accumulator):
 * sessions whose wave factors (electrolyte on) change one at a time or
 * all at once, or not for long runs, with the first four factors (and so
 * the level) changing at every session, participants met again at random
 * and one-session ones: the state's text is the entries the test sums
 * from keys it packs itself. */
typedef struct wave_row {
    int p;
    uint64_t key, y, m;
} wave_row;

static int cmp_wave_row(const void *x, const void *y)
{
    const wave_row *a = x, *b = y;
    if (a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return (a->key > b->key) - (a->key < b->key);
}

static void test_cluster_wave_key(void **state)
{
    enum { P = 300, S = 20000 };
    static wave_row r[S];
    static const signed char st[3] = { 0, 1, -1 };
    signed char f[CS_F_N];
    cs_error err = {0};
    cs_rules rules;
    cs_agg a;
    cs_buf got, want;
    uint64_t x = 7;
    int p = 0;
    char id[16];

    (void)state;
    memset(f, 0, sizeof f);
    cs_rules_default(&rules);
    assert_int_equal(cs_agg_init(&a, &rules, NULL, NULL, &err), CS_OK);
    assert_int_equal(cs_agg_cluster(&a, &err), CS_OK);
    for (int i = 0; i < S; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned u = (unsigned)(x >> 33);
        /* Runs of a participant's sessions, some of one session. */
        if (u % 16 == 0)
            p = (int)((x >> 20) % P);
        /* The wave factors: one changed, all changed, or none. */
        if (u % 7 == 1)
            f[CS_F_ELECTROLYTE + (x >> 40) % (CS_F_N - CS_F_ELECTROLYTE)] =
                st[(x >> 44) % 3];
        else if (u % 29 == 2)
            for (int k = CS_F_ELECTROLYTE; k < CS_F_N; k++)
                f[k] = st[(x >> (2 * k)) % 3];
        for (int k = 0; k < CS_F_ELECTROLYTE; k++)
            f[k] = st[(x >> (3 * k + 5)) % 3];
        if ((x >> 50) % 3 == 0)           /* main factors all known */
            for (int k = 0; k < CS_F_MAIN_N; k++)
                f[k] &= 1;
        unsigned level = 0;
        for (int k = 0; k < CS_F_MAIN_N; k++)
            if (f[k] < 0)
                level = CS_CLU_NO_LEVEL;
        int out = (int)((x >> 58) & 1);
        uint64_t m = 1000 * (1 + (x >> 36) % 90);
        snprintf(id, sizeof id, "W%03d", p);
        assert_int_equal(cs_agg_add(&a, f, out, m, (cs_str){ "", 0 },
                                    (cs_str){ "", 0 }, (cs_str){ id, 4 },
                                    &err), CS_OK);
        r[i].p = p;
        r[i].key = (uint64_t)level << CS_CLU_LEVEL_SHIFT;
        for (int k = 0; k < CS_F_N; k++)
            r[i].key |= (uint64_t)(f[k] < 0 ? 3 : f[k]) << (2 * k);
        r[i].y = (uint64_t)out;
        r[i].m = m;
    }
    assert_int_equal(cs_agg_finish(&a, &err), CS_OK);
    qsort(r, S, sizeof r[0], cmp_wave_row);
    cs_buf_init(&got, 0);
    cs_buf_init(&want, 0);
    assert_int_equal(cs_clu_write(a.clu, &got), CS_OK);
    for (int i = 0; i < S;) {
        if (i == 0 || r[i].p != r[i - 1].p)
            cs_buf_printf(&want, "%sp :W%03d", i ? "\n" : "", r[i].p);
        uint64_t n = 0, y = 0, m = 0;
        int j = i;
        for (; j < S && r[j].p == r[i].p && r[j].key == r[i].key; j++) {
            n++;
            y += r[j].y;
            m += r[j].m;
        }
        cs_buf_putc(&want, ' ');
        for (int k = 0; k < CS_F_N; k++)
            cs_buf_putc(&want, "01?-"[(r[i].key >> (2 * k)) & 3]);
        unsigned lv = (unsigned)(r[i].key >> CS_CLU_LEVEL_SHIFT);
        if (lv == CS_CLU_NO_LEVEL)
            cs_buf_puts(&want, "/-");
        else
            cs_buf_printf(&want, "/%u", lv);
        cs_buf_printf(&want, ":%llu:%llu:%llu", (unsigned long long)n,
                      (unsigned long long)y, (unsigned long long)m);
        i = j;
    }
    cs_buf_putc(&want, '\n');
    if (got.len != want.len || memcmp(got.ptr, want.ptr, want.len) != 0)
        fail_msg("state:\n%.*s\nexpected:\n%.*s",
                 (int)(got.len > 600 ? 600 : got.len), got.ptr,
                 (int)(want.len > 600 ? 600 : want.len), want.ptr);
    cs_buf_dispose(&got);
    cs_buf_dispose(&want);
    cs_agg_dispose(&a);
}

/* Sessions added a chunk at a time (cluster.c's cluster_add_rows, the
 * participant looked up once a run of its id) against the same sessions
 * added one at a time: runs of one participant, some of one session,
 * participants met again, unknown outcomes inside and between runs, chunks
 * of 1 to 80 rows. Then an entry at 2^32 - 1 sessions reached inside a
 * chunk: the same error, and the same state, as one at a time gives. */
enum { CR_S = 12000 };

static void chunk_rows(cs_acc_row *r, signed char (*f)[CS_F_N], char (*id)[16])
{
    static const signed char st[3] = { 0, 1, -1 };
    uint64_t x = 11;
    int p = 0;

    for (int i = 0; i < CR_S; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if ((x >> 33) % 9 == 0)
            p = (int)((x >> 20) % 400);
        /* a main factor (unknown: no level) and a wave factor vary */
        memset(f[i], 0, CS_F_N);
        f[i][0] = st[(x >> 7) % 3];
        f[i][CS_F_ELECTROLYTE] = st[(x >> 11) % 3];
        int out = (int)((x >> 58) % 4) - 1;            /* -1, 0, 1, 1 */
        snprintf(id[i], sizeof id[i], "C%04d", p);
        r[i] = (cs_acc_row){ f[i], out > 1 ? 1 : out, 1000 * (1 + (x >> 40) % 90),
                             { "", 0 }, { "", 0 }, { id[i], 5 }, NULL, NAN, 0, 0 };
    }
}

/* The state from the "cluster" section on: its own, and those of the
 * accumulators after it, which take the rows before a failing one only
 * (the ones before it take the whole chunk); the hashes of the whole
 * state that end it left out. */
static void state_of(cs_agg *a, cs_buf *b)
{
    cs_error err = {0};
    cs_buf all;

    cs_buf_init(&all, 0);
    assert_int_equal(cs_agg_write_partial(a, &all, &err), CS_OK);
    assert_int_equal(cs_buf_putc(&all, '\0'), CS_OK);
    const char *at = strstr(all.ptr, "section cluster ");
    const char *end = strstr(all.ptr, "\nleaf ");
    assert_non_null(at);
    assert_non_null(end);
    cs_buf_reset(b);
    cs_buf_append(b, at, (size_t)(end - at));
    cs_buf_dispose(&all);
}

static void test_cluster_add_rows(void **state)
{
    static cs_acc_row r[CR_S];
    static signed char f[CR_S][CS_F_N];
    static char id[CR_S][16];
    const char *full = ":C0007 -0000000000000/-:4294967295:0:1000";
    cs_error err = {0}, err1 = {0};
    cs_rules rules;
    cs_agg one, many;
    cs_buf got, want;
    uint64_t x = 5;
    char why[160];

    (void)state;
    cs_rules_default(&rules);
    cs_buf_init(&got, 0);
    cs_buf_init(&want, 0);
    chunk_rows(r, f, id);
    for (int over = 0; over < 2; over++) {
        int rc1 = CS_OK, rc = CS_OK;
        assert_int_equal(cs_agg_init(&one, &rules, NULL, NULL, &err), CS_OK);
        assert_int_equal(cs_agg_cluster(&one, &err), CS_OK);
        assert_int_equal(cs_agg_init(&many, &rules, NULL, NULL, &err), CS_OK);
        assert_int_equal(cs_agg_cluster(&many, &err), CS_OK);
        if (over) {
            assert_int_equal(cs_clu_read_line(one.clu, (cs_str){ full, strlen(full) },
                                              1, why, sizeof why), 0);
            assert_int_equal(cs_clu_read_line(many.clu, (cs_str){ full, strlen(full) },
                                              1, why, sizeof why), 0);
        }
        for (size_t i = 0; i < CR_S && rc1 == CS_OK; i++)
            rc1 = cs_agg_add_row(&one, &r[i], &err1);
        for (size_t i = 0; i < CR_S && rc == CS_OK;) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t k = 1 + (size_t)(x >> 33) % 80;
            k = k > CR_S - i ? CR_S - i : k;
            rc = cs_agg_add_rows(&many, &r[i], k, &err);
            i += k;
        }
        assert_int_equal(rc, rc1);
        assert_int_equal(rc, over ? CS_EDATA : CS_OK);
        if (over)
            assert_string_equal(err.msg, err1.msg);
        state_of(&one, &want);
        state_of(&many, &got);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ptr, want.ptr, want.len);
        cs_agg_dispose(&one);
        cs_agg_dispose(&many);
    }
    cs_buf_dispose(&got);
    cs_buf_dispose(&want);
}

static void test_cluster_bad_lines(void **state)
{
    static const struct { const char *line, *why; } bad[] = {
        { "P1 00000000000000/0:1:0:1000", "expected ':'" },
        { ":P1", "has no sessions" },
        { ":P1 00000000000000/0:1:2:1000", "more cases than sessions" },
        { ":P1 00000000000000/0:1:0:1440001", "more than 1440 minutes" },
        { ":P1 00000000000000/5:1:0:1000", "level is not an index" },
        { ":P1 -0000000000000/0:1:0:1000", "has no level" },
        { ":P1 0000000000000-/-:1:0:1000", "needs a level" },
        { ":P1 -0000000000000/-:1:0:1000 00000000000000/0:1:0:1000", "canonical order" },
        { ":P1 00000000000000/0:1:0:1000 00000000000000/0:1:0:1000", "canonical order" },
        { ":P1 20000000000000/0:1:0:1000", "0, 1 or '-'" },
        { ":P1 00000000000000/0:01:0:1000", "KEY/LEVEL:SESSIONS:CASES:MMIN" },
        { ":P1 00000000000000/0:4294967296:0:1000", "a count is over 4294967295" },
    };
    char why[160];
    cs_error err = {0};

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cs_clu *c;
        assert_int_equal(cs_clu_create(&c, &err), CS_OK);
        why[0] = '\0';
        assert_int_equal(cs_clu_read_line(c, (cs_str){ bad[i].line, strlen(bad[i].line) },
                                          1, why, sizeof why), -1);
        if (!strstr(why, bad[i].why))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, why, bad[i].why);
        cs_clu_free(c);
    }
}

/* A participant's sessions and cases in one entry are kept in 32 bits:
 * 2^32 - 1 is read and reached by a merge; one more is refused, never
 * wrapped. */
static void test_cluster_counts_32_bits(void **state)
{
    static const char *const from[2] = {
        ":P1 00000000000000/0:2147483648:2:1000",   /* to 4294967295 */
        ":P1 00000000000000/0:2147483649:2:1000",   /* one over */
    };
    char why[160] = "";
    cs_error err = {0};
    cs_buf b;
    const size_t same[1] = { 0 };

    (void)state;
    cs_buf_init(&b, 0);
    for (int over = 0; over < 2; over++) {
        cs_clu *a, *f;
        const char *la = ":P1 00000000000000/0:2147483647:1:1000";
        assert_int_equal(cs_clu_create(&a, &err), CS_OK);
        assert_int_equal(cs_clu_create(&f, &err), CS_OK);
        assert_int_equal(cs_clu_read_line(a, (cs_str){ la, strlen(la) }, 1, why,
                                          sizeof why), 0);
        assert_int_equal(cs_clu_read_line(f, (cs_str){ from[over], strlen(from[over]) },
                                          1, why, sizeof why), 0);
        err = (cs_error){0};
        if (over) {
            assert_int_equal(cs_clu_merge(a, f, same, 1, &err), CS_EDATA);
            assert_string_equal(err.msg, "participant \"P1\": a session or "
                                "case count overflows 32 bits");
        } else {
            assert_int_equal(cs_clu_merge(a, f, same, 1, &err), CS_OK);
            assert_int_equal(cs_clu_finish(a, &err), CS_OK);
            cs_buf_reset(&b);
            assert_int_equal(cs_clu_write(a, &b), CS_OK);
            assert_string_equal(b.ptr, "p :P1 00000000000000/0:4294967295:3:2000\n");
        }
        cs_clu_free(a);
        cs_clu_free(f);
    }
    cs_buf_dispose(&b);
}

/* A group from a single participant: robust intervals are undefined. */
static void test_cluster_one_participant(void **state)
{
    cs_clu *c;
    cs_error err = {0};
    cs_clu_factor s;
    signed char f[CS_F_N];

    (void)state;
    memset(f, 0, sizeof f);
    assert_int_equal(cs_clu_create(&c, &err), CS_OK);
    for (int i = 0; i < 6; i++) {
        f[0] = i < 3;               /* only P1 is ever exposed */
        const char *id = i < 3 ? "P1" : i < 5 ? "P2" : "P3";
        assert_int_equal(cs_clu_add(c, (cs_str){ id, 2 }, f, 0, i % 2, 30000,
                                    &err), CS_OK);
    }
    assert_int_equal(cs_clu_finish(c, &err), CS_OK);
    cs_clu_factor_stats(&s, c, 0, 0.95);
    assert_int_equal(s.participants_exposed, 1);
    assert_true(s.rd_notes & CS_CLU_NOTE_ONE_PARTICIPANT);
    assert_true(isnan(s.risk_difference.lo));
    assert_true(isnan(s.exposed_risk.lo));
    assert_false(isnan(s.risk_difference.est));
    assert_true(s.paf_notes & CS_CLU_NOTE_ONE_PARTICIPANT);
    assert_true(isnan(s.paf.lo) && isnan(s.af_exposed.lo));
    assert_false(isnan(s.paf.est));
    cs_clu_free(c);
}

/* One session per participant: the robust PAF variance is Jewell's
 * (b + PAF (a + d)) / (n c) times the small-sample factor G/(G-1) *
 * (N-1)/(N-2) = N/(N-2). a, b, c, d = 3, 5, 2, 10. */
static void test_cluster_paf_jewell(void **state)
{
    static const int cell[4][3] = { { 1, 1, 3 }, { 1, 0, 5 }, { 0, 1, 2 }, { 0, 0, 10 } };
    cs_clu *c;
    cs_error err = {0};
    cs_clu_factor s;
    signed char f[CS_F_N];
    char id[16];
    int k = 0;

    (void)state;
    memset(f, 0, sizeof f);
    assert_int_equal(cs_clu_create(&c, &err), CS_OK);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < cell[i][2]; j++) {
            int n = snprintf(id, sizeof id, "Q%d", k++);
            f[0] = (signed char)cell[i][0];
            assert_int_equal(cs_clu_add(c, (cs_str){ id, (size_t)n }, f, 0,
                                        cell[i][1], 60000, &err), CS_OK);
        }
    assert_int_equal(cs_clu_finish(c, &err), CS_OK);
    cs_clu_factor_stats(&s, c, 0, 0.95);
    double a = 3, b = 5, cc = 2, d = 10, n = 20;
    double paf = (a * d - b * cc) / ((a + cc) * (cc + d));
    double v = (b + paf * (a + d)) / (n * cc) * n / (n - 2);
    near_rel(s.paf.est, paf, 1e-14);
    near_rel(s.paf.lo, 1 - (1 - paf) * exp(1.959963984540054 * sqrt(v)), 1e-12);
    near_rel(s.paf.hi, 1 - (1 - paf) * exp(-1.959963984540054 * sqrt(v)), 1e-12);
    cs_clu_free(c);
}

/* Factors constant within some participants (in state 0, 1 or unknown)
 * and varying within others, and participants of one session: every
 * factor's robust limits equal the residual sums taken the long way,
 * participant by participant, in doubles. */
static void test_cluster_mixed_factors(void **state)
{
    enum { NP = 60, MAXS = 9 };
    static signed char st[NP][MAXS][CS_F_N];
    static int ys[NP][MAXS], mins[NP][MAXS], ns[NP];
    uint32_t r = 12345;
    cs_clu *c;
    cs_error err = {0};
    double z = cs_stats_z(0.95);

    (void)state;
    assert_int_equal(cs_clu_create(&c, &err), CS_OK);
    for (int i = 0; i < NP; i++) {
        int mode[CS_F_N];
        char id[16];
        ns[i] = i % 7 == 0 ? 1 : 2 + (int)((r = r * 1103515245u + 12345u) >> 16) % (MAXS - 2);
        for (int f = 0; f < CS_F_N; f++)
            mode[f] = (int)((r = r * 1103515245u + 12345u) >> 16) % 4;
        for (int k = 0; k < ns[i]; k++) {
            for (int f = 0; f < CS_F_N; f++) {
                int m = mode[f];
                if (m == 3)
                    m = (int)((r = r * 1103515245u + 12345u) >> 16) % 3;
                st[i][k][f] = (signed char)(m == 2 ? -1 : m);
            }
            ys[i][k] = (int)((r = r * 1103515245u + 12345u) >> 16) % 3 == 0;
            mins[i][k] = 10 + (int)((r = r * 1103515245u + 12345u) >> 16) % 120;
            snprintf(id, sizeof id, "Q%03d", i);
            assert_int_equal(cs_clu_add(c, (cs_str){ id, strlen(id) }, st[i][k], 0,
                                        ys[i][k], (uint64_t)mins[i][k] * 1000, &err),
                             CS_OK);
        }
    }
    assert_int_equal(cs_clu_finish(c, &err), CS_OK);
    cs_clu_factor all[CS_F_N];
    cs_clu_factor_stats_all(all, c, 0.95);
    for (int f = 0; f < CS_F_N; f++) {
        double n[NP][2] = {{0}}, y[NP][2] = {{0}}, m[NP][2] = {{0}};
        double N1 = 0, N0 = 0, A = 0, C = 0, M1 = 0, M0 = 0;
        uint64_t G1 = 0, G0 = 0, G = 0;
        for (int i = 0; i < NP; i++) {
            for (int k = 0; k < ns[i]; k++) {
                int s = st[i][k][f];
                if (s < 0)
                    continue;
                n[i][s] += 1;
                y[i][s] += ys[i][k];
                m[i][s] += mins[i][k];
            }
            N1 += n[i][1]; N0 += n[i][0]; A += y[i][1]; C += y[i][0];
            M1 += m[i][1]; M0 += m[i][0];
            G1 += n[i][1] > 0; G0 += n[i][0] > 0; G += n[i][0] + n[i][1] > 0;
        }
        assert_int_equal(all[f].participants_exposed, G1);
        assert_int_equal(all[f].participants_unexposed, G0);
        assert_int_equal(all[f].participants, G);
        assert_int_equal(all[f].sessions, (uint64_t)(N1 + N0));
        double p1 = A / N1, p0 = C / N0, q1 = A / M1, q0 = C / M0;
        double s11 = 0, s00 = 0, s10 = 0, r11 = 0, r00 = 0, r10 = 0;
        for (int i = 0; i < NP; i++) {
            double e1 = y[i][1] - p1 * n[i][1], e0 = y[i][0] - p0 * n[i][0];
            double d1 = y[i][1] - q1 * m[i][1], d0 = y[i][0] - q0 * m[i][0];
            s11 += e1 * e1; s00 += e0 * e0; s10 += e1 * e0;
            r11 += d1 * d1; r00 += d0 * d0; r10 += d1 * d0;
        }
        double c2 = (double)G / (double)(G - 1) * (N1 + N0 - 1) / (N1 + N0 - 2);
        double vd = c2 * (s11 / (N1 * N1) + s00 / (N0 * N0) - 2 * s10 / (N1 * N0));
        near_rel(all[f].risk_difference.est, p1 - p0, 1e-12);
        near_rel(all[f].risk_difference.lo, p1 - p0 - z * sqrt(vd), 1e-9);
        near_rel(all[f].risk_difference.hi, p1 - p0 + z * sqrt(vd), 1e-9);
        double vr = c2 * (s11 / (A * A) + s00 / (C * C) - 2 * s10 / (A * C));
        near_rel(all[f].se_log_rr, sqrt(vr), 1e-9);
        double vq = c2 * (r11 / (A * A) + r00 / (C * C) - 2 * r10 / (A * C));
        near_rel(all[f].rate_ratio.lo, q1 / q0 * exp(-z * sqrt(vq)), 1e-9);
        near_rel(all[f].rate_ratio.hi, q1 / q0 * exp(z * sqrt(vq)), 1e-9);
    }
    cs_clu_free(c);
}

/* The design of test_cluster_robust_models: intercept, the six main
 * factors, the level. */
static void main_row(double *row, unsigned bits, unsigned level, void *payload)
{
    (void)payload;
    row[0] = 1;
    for (int f = 0; f < CS_F_MAIN_N; f++)
        row[1 + f] = (bits >> f) & 1;
    row[1 + CS_F_MAIN_N] = level;
}

/* The robust standard errors of both models at given coefficients equal
 * the sandwich taken the long way: every session's row from its own
 * factor flags, its score added to its participant's, bread and meat
 * summed session by session and solved by GSL. */
static void test_cluster_robust_models(void **state)
{
    enum { NP = 40, NS = 400, P = 2 + CS_F_MAIN_N };
    static signed char fl[NS][CS_F_N];
    static int who[NS], yv[NS], lev[NS], mins[NS];
    uint32_t r = 777;
    cs_clu *c;
    cs_error err = {0};
    double beta[P] = { -1.2, 0.3, -0.2, 0.25, 0.1, -0.15, 0.4, 0.2 };
    double z = cs_stats_z(0.95);

    (void)state;
    assert_int_equal(cs_clu_create(&c, &err), CS_OK);
    for (int s = 0; s < NS; s++) {
        char id[16];
        who[s] = (int)((r = r * 1103515245u + 12345u) >> 16) % NP;
        for (int f = 0; f < CS_F_N; f++)
            fl[s][f] = (signed char)(((r = r * 1103515245u + 12345u) >> 16) % 2);
        lev[s] = (int)((r = r * 1103515245u + 12345u) >> 16) % 2;
        yv[s] = (int)((r = r * 1103515245u + 12345u) >> 16) % 4 == 0;
        mins[s] = 20 + (int)((r = r * 1103515245u + 12345u) >> 16) % 90;
        snprintf(id, sizeof id, "R%02d", who[s]);
        assert_int_equal(cs_clu_add(c, (cs_str){ id, strlen(id) }, fl[s],
                                    (unsigned)lev[s], yv[s],
                                    (uint64_t)mins[s] * 1000, &err), CS_OK);
    }
    assert_int_equal(cs_clu_finish(c, &err), CS_OK);
    for (int kind = 0; kind < 2; kind++) {
        cs_clu_terms t;
        if (kind == 0) {
            cs_logit_fit fit;
            memset(&fit, 0, sizeof fit);
            fit.p = fit.rank = P;
            memcpy(fit.beta, beta, sizeof beta);
            cs_clu_logit_robust(&t, c, &fit, main_row, NULL, 0.95);
        } else {
            cs_poisson_fit fit;
            memset(&fit, 0, sizeof fit);
            fit.p = fit.rank = P;
            memcpy(fit.beta, beta, sizeof beta);
            cs_clu_poisson_robust(&t, c, &fit, main_row, NULL, 0.95);
        }
        double u[NP][P], bread[P * P], meat[P * P];
        memset(u, 0, sizeof u);
        memset(bread, 0, sizeof bread);
        memset(meat, 0, sizeof meat);
        int seen[NP] = { 0 };
        for (int s = 0; s < NS; s++) {
            double x[P], eta = 0, mu, w;
            x[0] = 1;
            for (int f = 0; f < CS_F_MAIN_N; f++)
                x[1 + f] = fl[s][f];
            x[1 + CS_F_MAIN_N] = lev[s];
            for (int a = 0; a < P; a++)
                eta += x[a] * beta[a];
            if (kind == 0) {
                mu = 1 / (1 + exp(-eta));
                w = mu * (1 - mu);
            } else {
                mu = mins[s] / 60000.0 * exp(eta);
                w = mu;
            }
            for (int a = 0; a < P; a++) {
                u[who[s]][a] += x[a] * (yv[s] - mu);
                for (int b = 0; b < P; b++)
                    bread[a * P + b] += w * x[a] * x[b];
            }
            seen[who[s]] = 1;
        }
        int G = 0;
        for (int i = 0; i < NP; i++) {
            G += seen[i];
            for (int a = 0; a < P; a++)
                for (int b = 0; b < P; b++)
                    meat[a * P + b] += u[i][a] * u[i][b];
        }
        assert_int_equal(t.participants, (uint64_t)G);
        assert_int_equal(t.sessions, NS);
        gsl_matrix_view bv = gsl_matrix_view_array(bread, P, P);
        assert_int_equal(gsl_linalg_cholesky_decomp1(&bv.matrix), 0);
        assert_int_equal(gsl_linalg_cholesky_invert(&bv.matrix), 0);
        double corr = (double)G / (G - 1) * (NS - 1.0) / (NS - P);
        for (int j = 0; j < P; j++) {
            double v = 0;
            for (int a = 0; a < P; a++)
                for (int b = 0; b < P; b++)
                    v += bread[j * P + a] * meat[a * P + b] * bread[b * P + j];
            near_rel(t.se[j], sqrt(v * corr), 1e-9);
            near_rel(t.lower[j], exp(beta[j] - z * sqrt(v * corr)), 1e-9);
        }
    }
    cs_clu_free(c);
}

/* ---- the robust models against the whole-matrix walk ------------------ */

/* Cholesky and its inverse as cluster.c takes them (the same operations
 * in the same order), for a reference that must agree to the bit. */
static size_t ref_chol(double *a, size_t p, unsigned char *skip, double tol)
{
    size_t rank = 0;
    for (size_t j = 0; j < p; j++) {
        if (skip[j])
            continue;
        double d = a[j * p + j], orig = d;
        for (size_t k = 0; k < j; k++)
            if (!skip[k])
                d -= a[j * p + k] * a[j * p + k];
        if (!(d > tol * orig) || !(orig > 0)) {
            skip[j] = 1;
            continue;
        }
        d = sqrt(d);
        a[j * p + j] = d;
        for (size_t i = j + 1; i < p; i++) {
            if (skip[i])
                continue;
            double s = a[i * p + j];
            for (size_t k = 0; k < j; k++)
                if (!skip[k])
                    s -= a[i * p + k] * a[j * p + k];
            a[i * p + j] = s / d;
        }
        rank++;
    }
    return rank;
}

static void ref_chol_inverse(const double *l, size_t p, const unsigned char *skip,
                             double *inv)
{
    double col[CS_CLU_MAXP], y[CS_CLU_MAXP];
    memset(inv, 0, p * p * sizeof *inv);
    for (size_t c = 0; c < p; c++) {
        if (skip[c])
            continue;
        for (size_t i = 0; i < p; i++)
            col[i] = i == c ? 1 : 0;
        for (size_t i = 0; i < p; i++) {
            if (skip[i]) {
                y[i] = 0;
                continue;
            }
            double s = col[i];
            for (size_t k = 0; k < i; k++)
                if (!skip[k])
                    s -= l[i * p + k] * y[k];
            y[i] = s / l[i * p + i];
        }
        for (size_t i = p; i-- > 0;) {
            if (skip[i])
                continue;
            double s = y[i];
            for (size_t k = i + 1; k < p; k++)
                if (!skip[k])
                    s -= l[k * p + i] * inv[k * p + c];
            inv[i * p + c] = s / l[i * p + i];
        }
    }
}

/* The sandwich the long way, from the state's text: every entry's score
 * over the whole row, the meat over the whole matrix (rows with a zero
 * score left out), the bread from the patterns' weights. */
static void ref_robust(cs_clu_terms *out, const cs_buf *st, cs_clu_row_fn rowfn,
                       size_t p, const double *beta, int kind, double level)
{
    enum { NPAT = 4 * 64 };
    static double rate[NPAT], wsum[NPAT], xrow[NPAT][CS_CLU_MAXP];
    double meat[CS_CLU_MAXP * CS_CLU_MAXP] = { 0 }, bread[CS_CLU_MAXP * CS_CLU_MAXP] = { 0 };
    double inv[CS_CLU_MAXP * CS_CLU_MAXP], u[CS_CLU_MAXP];
    unsigned char skip[CS_CLU_MAXP] = { 0 };
    uint64_t G = 0, N = 0;
    double z = cs_stats_z(level);
    const char *s = st->ptr, *end = st->ptr + st->len;

    memset(out, 0, sizeof *out);
    for (size_t j = 0; j < CS_CLU_MAXP; j++)
        out->beta[j] = out->se[j] = out->lower[j] = out->upper[j] =
            out->p_value[j] = NAN;
    out->p = p;
    memset(wsum, 0, sizeof wsum);
    for (size_t k = 0; k < NPAT; k++) {
        double eta = 0;
        rowfn(xrow[k], (unsigned)(k & 63), (unsigned)(k >> 6), NULL);
        for (size_t a = 0; a < p; a++)
            eta += xrow[k][a] * beta[a];
        rate[k] = kind == 0 ? 1 / (1 + exp(-eta)) : exp(eta);
    }
    while (s < end) {                   /* one "p :ID KEY/LV:N:Y:M ..." line */
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        int any = 0;
        memset(u, 0, sizeof u);
        s = strchr(s, ' ') + 1;          /* past "p" */
        while ((s = memchr(s, ' ', (size_t)(eol - s))) != NULL && s < eol) {
            char key[CS_F_N + 1], lv[8];
            unsigned long long n, y, m;
            s++;
            assert_int_equal(sscanf(s, "%14[01-]/%7[0-9-]:%llu:%llu:%llu", key, lv,
                                    &n, &y, &m), 5);
            if (lv[0] == '-')
                continue;
            unsigned bits = 0;
            for (int f = 0; f < CS_F_MAIN_N; f++)
                bits |= (unsigned)(key[f] == '1') << f;
            size_t k = (size_t)atoi(lv) * 64 + bits;
            double mu;
            if (kind == 0) {
                mu = n * rate[k];
                wsum[k] += n * rate[k] * (1 - rate[k]);
            } else {
                mu = (double)m / 6e7 * rate[k];
                wsum[k] += mu;
            }
            for (size_t a = 0; a < p; a++)
                u[a] += xrow[k][a] * (y - mu);
            N += n;
            any = 1;
        }
        s = eol + 1;
        if (!any)
            continue;
        G++;
        for (size_t a = 0; a < p; a++)
            if (u[a] != 0)
                for (size_t b = 0; b < p; b++)
                    meat[a * p + b] += u[a] * u[b];
    }
    for (size_t k = 0; k < NPAT; k++) {
        if (wsum[k] == 0)
            continue;
        for (size_t a = 0; a < p; a++)
            if (xrow[k][a] != 0)
                for (size_t b = 0; b < p; b++)
                    bread[a * p + b] += wsum[k] * xrow[k][a] * xrow[k][b];
    }
    for (size_t j = 0; j < p; j++)
        out->beta[j] = beta[j];
    out->participants = G;
    out->sessions = N;
    size_t rank = ref_chol(bread, p, skip, 1e-10);
    if (rank == 0 || (double)N <= (double)rank) {
        out->notes = CS_CLU_NOTE_SINGULAR;
        return;
    }
    ref_chol_inverse(bread, p, skip, inv);
    double corr = (double)G / (double)(G - 1) * ((double)N - 1) /
                  ((double)N - (double)rank);
    for (size_t j = 0; j < p; j++) {
        if (skip[j])
            continue;
        double v = 0;
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                v += inv[j * p + a] * meat[a * p + b] * inv[b * p + j];
        v *= corr;
        if (!(v > 1e-16)) {
            out->notes |= CS_CLU_NOTE_ZERO_SE;
            continue;
        }
        double se = sqrt(v);
        out->se[j] = se;
        out->lower[j] = exp(beta[j] - z * se);
        out->upper[j] = exp(beta[j] + z * se);
        out->p_value[j] = 2 * gsl_cdf_ugaussian_Q(fabs(beta[j] / se));
    }
}

static void same_terms(const cs_clu_terms *got, const cs_clu_terms *want)
{
    assert_int_equal(got->p, want->p);
    assert_int_equal(got->participants, want->participants);
    assert_int_equal(got->sessions, want->sessions);
    assert_int_equal(got->notes, want->notes);
    for (size_t j = 0; j < got->p; j++) {
        const double g[5] = { got->beta[j], got->se[j], got->lower[j],
                              got->upper[j], got->p_value[j] };
        const double w[5] = { want->beta[j], want->se[j], want->lower[j],
                              want->upper[j], want->p_value[j] };
        for (int k = 0; k < 5; k++)
            if (memcmp(&g[k], &w[k], sizeof g[k]) != 0 && !(isnan(g[k]) && isnan(w[k])))
                fail_msg("term %zu value %d: got %.17g, want %.17g", j, k, g[k], w[k]);
    }
}

/* A design narrower than eight columns: the intercept and the main
 * factors. */
static void short_row(double *row, unsigned bits, unsigned level, void *payload)
{
    double full[2 + CS_F_MAIN_N];
    main_row(full, bits, level, payload);
    memcpy(row, full, (1 + CS_F_MAIN_N) * sizeof *row);
}

/* A design wider than eight columns: main_row's and a dummy for each
 * of levels 1 and 2. */
static void wide_row(double *row, unsigned bits, unsigned level, void *payload)
{
    main_row(row, bits, level, payload);
    row[2 + CS_F_MAIN_N] = level == 1;
    row[3 + CS_F_MAIN_N] = level == 2;
}

/* The walk of both models at once, with rows and meat eight wide for a
 * design of up to eight columns, against the whole-matrix walk of each
 * model on its own, to the bit: data with unknown main factors (entries
 * without a level), participants never exposed to a factor (zeros in
 * their scores), three levels, designs of 7, 8 and 10 columns, and
 * coefficients under which the Poisson means overflow. */
static void test_cluster_robust_exact(void **state)
{
    enum { NP = 90, P = 2 + CS_F_MAIN_N };
    static const double betas[3][P + 2] = {
        { -1.2, 0.3, -0.2, 0.25, 0.1, -0.15, 0.4, 0.2, 0.1, -0.3 },
        { 0.4, -2.0, 1.5, 0.0, 3.0, -0.7, 0.05, -1.1, 0.5, 0.2 },
        { -1.0, 0.2, 0.1, 0.3, 0.2, 0.1, 0.3, 710.0, 0.0, 0.0 }, /* exp overflows */
    };
    uint32_t r = 4242;
    cs_clu *c;
    cs_error err = {0};
    cs_buf st;

    (void)state;
    assert_int_equal(cs_clu_create(&c, &err), CS_OK);
    for (int i = 0; i < NP; i++) {
        char id[16];
        int ns = 1 + (int)((r = r * 1103515245u + 12345u) >> 16) % 12;
        int never = (int)((r = r * 1103515245u + 12345u) >> 16) % CS_F_MAIN_N;
        unsigned lev = (unsigned)((r = r * 1103515245u + 12345u) >> 16) % 3;
        snprintf(id, sizeof id, "E%03d", i);
        for (int k = 0; k < ns; k++) {
            signed char f[CS_F_N];
            int unknown = 0;
            for (int g = 0; g < CS_F_N; g++) {
                unsigned v = ((r = r * 1103515245u + 12345u) >> 16) % 11;
                f[g] = (signed char)(v == 0 ? -1 : v < 5 ? 1 : 0);
                if (g == never)
                    f[g] = 0;
                if (g < CS_F_MAIN_N && f[g] < 0)
                    unknown = 1;
            }
            int y = ((r = r * 1103515245u + 12345u) >> 16) % 4 == 0;
            uint64_t m = 1000 * (5 + ((r = r * 1103515245u + 12345u) >> 16) % 120);
            assert_int_equal(cs_clu_add(c, (cs_str){ id, strlen(id) }, f,
                                        unknown ? CS_CLU_NO_LEVEL : lev, y, m, &err),
                             CS_OK);
        }
    }
    assert_int_equal(cs_clu_finish(c, &err), CS_OK);
    cs_buf_init(&st, 0);
    assert_int_equal(cs_clu_write(c, &st), CS_OK);
    for (int b = 0; b < 9; b++) {
        static const cs_clu_row_fn design[3] = { short_row, main_row, wide_row };
        static const size_t width[3] = { P - 1, P, P + 2 };
        size_t p = width[b / 3];
        cs_clu_row_fn rowfn = design[b / 3];
        const double *beta = betas[b % 3];
        cs_logit_fit lf;
        cs_poisson_fit pf;
        cs_clu_terms both[2], one[2], want[2];
        memset(&lf, 0, sizeof lf);
        memset(&pf, 0, sizeof pf);
        lf.p = lf.rank = pf.p = pf.rank = p;
        memcpy(lf.beta, beta, p * sizeof *beta);
        memcpy(pf.beta, beta, p * sizeof *beta);
        cs_clu_models_robust(&both[0], &lf, &both[1], &pf, c, rowfn, NULL, 0.95);
        cs_clu_logit_robust(&one[0], c, &lf, rowfn, NULL, 0.95);
        cs_clu_poisson_robust(&one[1], c, &pf, rowfn, NULL, 0.95);
        for (int kind = 0; kind < 2; kind++) {
            ref_robust(&want[kind], &st, rowfn, p, beta, kind, 0.95);
            assert_true(want[kind].participants > 50);
            same_terms(&both[kind], &want[kind]);
            same_terms(&one[kind], &want[kind]);
        }
        if (b % 3 == 2 && p > P - 1)    /* the level's 710 overflowed */
            assert_true(want[1].notes != 0 && isnan(want[1].se[0]));
        else if (b % 3 < 2)
            assert_true(want[0].notes == 0 && want[1].notes == 0);
    }
    cs_buf_dispose(&st);
    cs_clu_free(c);
}

/* The report's design: intercept, main factors, a column per level
 * after the first (report.c's model_row). */
static void report_row(double *row, unsigned bits, unsigned level, void *payload)
{
    size_t p = *(const size_t *)payload;
    memset(row, 0, p * sizeof *row);
    row[0] = 1;
    for (int f = 0; f < CS_F_MAIN_N; f++)
        row[1 + f] = (bits >> f) & 1;
    if (level > 0 && CS_F_MAIN_N + level < p)
        row[CS_F_MAIN_N + level] = 1;
}

/* The report's robust model intervals, computed beside the reports from
 * fits of their own, are those of the report's own fits, to the bit. */
static void test_cluster_report_models(void **state)
{
    static const char *const band[3] = { "young", "mid", "old" };
    cs_error err = {0};
    cs_rules rules;
    cs_agg a;
    cs_report_opts o;
    uint32_t r = 99;

    (void)state;
    cs_rules_default(&rules);
    assert_int_equal(cs_agg_init(&a, &rules, NULL, "age_band", &err), CS_OK);
    assert_int_equal(cs_agg_cluster(&a, &err), CS_OK);
    for (int i = 0; i < 3000; i++) {
        signed char f[CS_F_N];
        char id[16];
        int who = i / 12;
        for (int g = 0; g < CS_F_N; g++)
            f[g] = (signed char)(((r = r * 1103515245u + 12345u) >> 16) % 9 < 3);
        if (((r = r * 1103515245u + 12345u) >> 16) % 40 == 0)
            f[0] = -1;
        int y = ((r = r * 1103515245u + 12345u) >> 16) % 5 == 0;
        uint64_t m = 1000 * (10 + ((r = r * 1103515245u + 12345u) >> 16) % 100);
        snprintf(id, sizeof id, "R%04d", who);
        const char *b = band[who % 3];
        assert_int_equal(cs_agg_add(&a, f, y, m, (cs_str){ "", 0 },
                                    (cs_str){ b, strlen(b) },
                                    (cs_str){ id, strlen(id) }, &err), CS_OK);
    }
    assert_int_equal(cs_agg_finish(&a, &err), CS_OK);
    cs_report_opts_init(&o);
    cs_report *rep = cs_report_compute(&a, &o);
    assert_non_null(rep);
    assert_true(rep->robust && rep->fitted && rep->pois_fitted);
    assert_int_equal(rep->p, 1 + CS_F_MAIN_N + 2);
    cs_clu_terms want[2];
    size_t p = rep->p;
    cs_clu_logit_robust(&want[0], a.clu, &rep->fit, report_row, &p, o.level);
    cs_clu_poisson_robust(&want[1], a.clu, &rep->pois, report_row, &p, o.level);
    assert_true(want[0].participants == 250 && want[0].notes == 0);
    same_terms(&rep->logit_rb, &want[0]);
    same_terms(&rep->pois_rb, &want[1]);
    cs_report_free(rep);
    cs_agg_dispose(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_tiny),
        cmocka_unit_test(test_cluster_merge_by_session),
        cmocka_unit_test(test_cluster_interleaved),
        cmocka_unit_test(test_cluster_wave_key),
        cmocka_unit_test(test_cluster_add_rows),
        cmocka_unit_test(test_cluster_bad_lines),
        cmocka_unit_test(test_cluster_counts_32_bits),
        cmocka_unit_test(test_cluster_one_participant),
        cmocka_unit_test(test_cluster_paf_jewell),
        cmocka_unit_test(test_cluster_mixed_factors),
        cmocka_unit_test(test_cluster_robust_models),
        cmocka_unit_test(test_cluster_robust_exact),
        cmocka_unit_test(test_cluster_report_models),
    };
    gsl_set_error_handler_off();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
