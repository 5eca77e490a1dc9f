/* Tests of src/dose.c and src/period.c: bands at their edges, counts and
 * statistics worked out by hand, the Cochran-Armitage trend against R's
 * prop.trend.test (tests/data/prop_trend_test.txt), the cluster-robust
 * trend against statsmodels' GLM Binomial with cluster covariance, merging
 * in several orders equal to the single pass, the state text (round trip,
 * damaged input refused), and ISO weeks and months. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/acc.h>
#include <crampstat/aggregate.h>
#include <crampstat/cluster.h>
#include <crampstat/dose.h>
#include <crampstat/period.h>
#include <crampstat/value.h>

#define assert_near(got, want, eps) do {                                  \
        double got_ = (got), want_ = (want);                              \
        if (!(fabs(got_ - want_) <= (eps)))                               \
            fail_msg("%s = %.17g, expected %.17g +- %g", #got, got_,      \
                     want_, (double)(eps));                               \
    } while (0)
#define assert_rel(got, want, rel) assert_near(got, want, (rel) * fabs(want))

static cs_str str(const char *s)
{
    return (cs_str){ s, strlen(s) };
}

static void all_missing(double v[CS_DOSE_N])
{
    for (int e = 0; e < CS_DOSE_N; e++)
        v[e] = NAN;
}

/* d set up by r's bands, keeping the participants' counts. */
static void clustered(cs_dose *d, const cs_rules *r)
{
    cs_error err = {0};

    cs_dose_init(d, r);
    assert_int_equal(cs_dose_cluster(d, &err), 0);
}

/* A participant's "dp" line as cs_dose_write writes it, from the test's
 * own counts: the id, then "exposure.band:sessions:cases" for each key k
 * with sessions, k's exposure first + k / per and its band 1 + k % per. */
static void want_dp(cs_buf *want, const char *id, const uint64_t *n,
                    const uint64_t *y, int keys, int first, int per)
{
    cs_buf_printf(want, "dp :%s", id);
    for (int k = 0; k < keys; k++)
        if (n[k])
            cs_buf_printf(want, " %d.%d:%llu:%llu", first + k / per,
                          k % per + 1, (unsigned long long)n[k],
                          (unsigned long long)y[k]);
    cs_buf_putc(want, '\n');
}

/* The state's "dp" lines, from the first to its end, are want's. */
static void assert_dp_lines(const cs_buf *state, cs_buf *want)
{
    assert_int_equal(cs_buf_putc(want, '\0'), 0);
    assert_non_null(strstr(state->ptr, "dp :"));
    assert_string_equal(strstr(state->ptr, "dp :"), want->ptr);
}

static void test_band_edges(void **state)
{
    cs_rules r;
    (void)state;
    cs_rules_default(&r);
    const cs_dose_cuts *rpe = &r.dose[CS_DOSE_RPE], *heat = &r.dose[CS_DOSE_HEAT];
    /* 1,4,7,9: a value on a bound opens that band */
    assert_int_equal(cs_dose_band_of(rpe, 1), 0);
    assert_int_equal(cs_dose_band_of(rpe, 3), 0);
    assert_int_equal(cs_dose_band_of(rpe, 4), 1);
    assert_int_equal(cs_dose_band_of(rpe, 6.999), 1);
    assert_int_equal(cs_dose_band_of(rpe, 7), 2);
    assert_int_equal(cs_dose_band_of(rpe, 9), 3);
    assert_int_equal(cs_dose_band_of(rpe, 10), 3);
    assert_int_equal(cs_dose_band_of(rpe, 0.5), -1);
    assert_int_equal(cs_dose_band_of(rpe, NAN), -2);
    /* -inf,27,32,39,51 */
    assert_int_equal(cs_dose_band_of(heat, -40), 0);
    assert_int_equal(cs_dose_band_of(heat, 31.999999), 1);
    assert_int_equal(cs_dose_band_of(heat, 32), 2);
    assert_int_equal(cs_dose_band_of(heat, 51), 4);
    /* tag's 9 decimals */
    assert_true(cs_dose_canonical(31.9999999996) == 32.0);
    assert_true(cs_dose_canonical(31.9999999994) == 31.999999999);
    assert_true(cs_dose_canonical(-2.5) == -2.5);
    assert_true(isnan(cs_dose_canonical(NAN)));
}

/* The band by binary search against a scan, on 12 bands: every bound, a
 * value either side of it, and below and above them all. */
static void test_band_twelve(void **state)
{
    cs_dose_cuts c = { 12, 0, { -5, -1, 0, 0.5, 2, 3, 7, 11, 13, 20, 40, 1e6 } };
    (void)state;
    assert_int_equal(cs_dose_band_of(&c, -5.0000001), -1);
    assert_int_equal(cs_dose_band_of(&c, -HUGE_VAL), -1);
    assert_int_equal(cs_dose_band_of(&c, HUGE_VAL), 11);
    for (int k = 0; k < 12; k++) {
        double below = nextafter(c.cut[k], -HUGE_VAL);
        assert_int_equal(cs_dose_band_of(&c, c.cut[k]), k);
        assert_int_equal(cs_dose_band_of(&c, below), k - 1);
        assert_int_equal(cs_dose_band_of(&c, nextafter(c.cut[k], HUGE_VAL)), k);
    }
    for (int n = 1; n <= 12; n++) {           /* every band count */
        cs_dose_cuts d = c;
        d.n = n;
        assert_int_equal(cs_dose_band_of(&d, 1e300), n - 1);
        assert_int_equal(cs_dose_band_of(&d, -5), 0);
    }
}

/* 300 participants whose sessions come interleaved, each met again
 * after others with bands it had not had yet (so its entries move to
 * the end of the table and the table is compacted): the state text
 * equals counts kept in a plain array by the test. */
static void test_interleaved_people(void **state)
{
    enum { P = 300, S = 6000 };
    static uint64_t n[P][CS_DOSE_MAXBANDS], y[P][CS_DOSE_MAXBANDS];
    static const double warm[4] = { 0, 5, 10, 15 };   /* bands 1..4 */
    cs_rules r;
    cs_error err = {0};
    cs_dose d;
    cs_buf b, want;
    uint64_t x = 12345;
    char id[16];
    double v[CS_DOSE_N];
    (void)state;
    memset(n, 0, sizeof n);
    memset(y, 0, sizeof y);
    cs_rules_default(&r);
    clustered(&d, &r);
    all_missing(v);
    for (int i = 0; i < S; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int p = (int)((x >> 33) % P);
        /* early sessions only in band 1; later ones in any band */
        int band = i < S / 3 ? 0 : (int)((x >> 20) % 4);
        int out = (int)((x >> 45) & 1);
        v[CS_DOSE_WARMUP] = warm[band];
        snprintf(id, sizeof id, "P%03d", p);
        assert_int_equal(cs_dose_add(&d, v, out, 60000, str(id), &err), 0);
        n[p][band]++;
        y[p][band] += (uint64_t)out;
    }
    assert_int_equal(cs_dose_finish(&d, &err), 0);
    assert_int_equal(cs_dose_participants(&d), P);
    cs_buf_init(&b, 0);
    cs_buf_init(&want, 0);
    assert_int_equal(cs_dose_write(&d, &b), 0);
    assert_int_equal(cs_buf_putc(&b, '\0'), 0);
    for (int p = 0; p < P; p++) {
        snprintf(id, sizeof id, "P%03d", p);
        want_dp(&want, id, n[p], y[p], 4, CS_DOSE_WARMUP + 1, 4);
    }
    assert_dp_lines(&b, &want);
    cs_buf_dispose(&b);
    cs_buf_dispose(&want);
    cs_dose_dispose(&d);
}

/* Against R 4.2.2's prop.trend.test, values kept as data. */
static void test_trend_against_r(void **state)
{
    char path[512], line[1024];
    FILE *f;
    int tables = 0;
    (void)state;

    snprintf(path, sizeof path, "%s/prop_trend_test.txt", CS_TEST_DATA);
    assert_non_null(f = fopen(path, "r"));
    while (fgets(line, sizeof line, f)) {
        char *field[6], *p = line;
        uint64_t x[16], n[16];
        double s[16], chi2, pv;
        size_t k = 0, kn = 0, ks = 0;
        cs_test t;
        if (line[0] == '#')
            continue;
        for (int i = 0; i < 6; i++) {
            field[i] = p;
            p = strchr(p, '|');
            if (p)
                *p++ = '\0';
        }
        for (char *q = strtok(field[1], ","); q; q = strtok(NULL, ","))
            x[k++] = strtoull(q, NULL, 10);
        for (char *q = strtok(field[2], ","); q; q = strtok(NULL, ","))
            n[kn++] = strtoull(q, NULL, 10);
        for (char *q = strtok(field[3], ","); q; q = strtok(NULL, ","))
            s[ks++] = strtod(q, NULL);
        assert_int_equal(k, kn);
        assert_int_equal(k, ks);
        chi2 = strtod(field[4], NULL);
        pv = strtod(field[5], NULL);
        assert_int_equal(cs_dose_trend(&t, x, n, s, k), 0);
        if (chi2 < 1e-20) {   /* R's least squares leaves 3e-31 for 0 */
            assert_near(t.stat, 0, 1e-20);
            assert_near(t.p, 1, 1e-12);
        } else {
            assert_rel(t.stat, chi2, 1e-10);
            assert_rel(t.p, pv, 1e-9);
        }
        tables++;
    }
    fclose(f);
    assert_true(tables >= 3);
}

static void test_trend_edges(void **state)
{
    uint64_t x[3] = { 0, 0, 0 }, n[3] = { 5, 0, 7 }, one[1] = { 3 }, y1[1] = { 1 };
    double s[3] = { 1, 2, 3 };
    cs_test t;
    (void)state;
    assert_int_equal(cs_dose_trend(&t, x, n, s, 3), CS_NOTE_NO_CASES);
    assert_true(isnan(t.stat));
    assert_int_equal(cs_dose_trend(&t, y1, one, s, 1), CS_NOTE_EMPTY);
    x[0] = 6;
    assert_int_equal(cs_dose_trend(&t, x, n, s, 3), CS_NOTE_BAD_INPUT);
}

/* A few sessions by hand: counts, hours, Wilson, RR against the
 * reference, and a second reference band. */
static void test_counts_by_hand(void **state)
{
    cs_rules r;
    cs_dose d;
    cs_dose_stats s;
    cs_error err = {0};
    double v[CS_DOSE_N];
    /* rpe, outcome: band 1 (rpe 2): 1 case of 10; band 3 (rpe 8): 2 of 10 */
    (void)state;
    cs_rules_default(&r);
    cs_dose_init(&d, &r);
    all_missing(v);
    for (int i = 0; i < 10; i++) {
        v[CS_DOSE_RPE] = 2;
        assert_int_equal(cs_dose_add(&d, v, i == 0, 30000, str(""), &err), 0);
        v[CS_DOSE_RPE] = 8;
        assert_int_equal(cs_dose_add(&d, v, i < 2, 90000, str(""), &err), 0);
    }
    v[CS_DOSE_RPE] = NAN;
    assert_int_equal(cs_dose_add(&d, v, 1, 60000, str(""), &err), 0);
    cs_dose_stats_compute(&s, &d, CS_DOSE_RPE, 0.95, 0);
    assert_int_equal(s.missing, 1);
    assert_int_equal(s.band[0].sessions, 10);
    assert_int_equal(s.band[0].cases, 1);
    assert_near(s.band[0].hours, 5.0, 1e-12);
    assert_near(s.band[2].hours, 15.0, 1e-12);
    assert_int_equal(s.band[1].sessions, 0);
    /* Wilson 1/10: (p + z^2/2n -+ z sqrt(p q / n + z^2 / 4n^2)) / (1 + z^2/n) */
    double z = 1.959963984540054, p = 0.1, nn = 10;
    double c = (p + z * z / (2 * nn)) / (1 + z * z / nn);
    double h = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / (1 + z * z / nn);
    assert_near(s.band[0].risk.lo, c - h, 1e-12);
    assert_near(s.band[0].risk.hi, c + h, 1e-12);
    /* rate: 1 case in 5 h = 200 per 1000 h */
    assert_near(s.band[0].rate.est, 200, 1e-9);
    /* Katz RR 0.2 / 0.1 = 2, SE of log = sqrt(1/2 - 1/10 + 1/1 - 1/10) */
    double se = sqrt(1.0 / 2 - 1.0 / 10 + 1.0 - 1.0 / 10);
    assert_near(s.band[2].rr.est, 2, 1e-12);
    assert_near(s.band[2].rr.lo, exp(log(2) - z * se), 1e-12);
    assert_near(s.band[2].rr.hi, exp(log(2) + z * se), 1e-12);
    assert_near(s.band[0].rr.est, 1, 0);
    assert_true(isnan(s.band[0].rr.lo));
    /* trend over bands 1 and 3 (band 2 empty): scores 1 and 3 */
    {
        uint64_t x[2] = { 1, 2 }, n[2] = { 10, 10 };
        double sc[2] = { 1, 3 };
        cs_test t;
        cs_dose_trend(&t, x, n, sc, 2);
        assert_near(s.trend.stat, t.stat, 1e-12);
        /* by hand: p = 0.15, sbar = 2, T = (1 - 1.5)(-1) + (2 - 1.5)(1) = 1,
         * V = 0.15 * 0.85 * (10 + 10) = 2.55 */
        assert_near(s.trend.stat, 1 / 2.55, 1e-12);
    }
    /* the reference band moved to band 3 */
    d.e[CS_DOSE_RPE].cuts.reference = 2;
    cs_dose_stats_compute(&s, &d, CS_DOSE_RPE, 0.95, 0);
    assert_near(s.band[0].rr.est, 0.5, 1e-12);
    cs_dose_dispose(&d);
}

/* Sessions for the robust trend, as (participant, warmup band, sessions,
 * cases); the statsmodels references below were computed from them:
 *   sm.GLM(y, [1, band], Binomial()).fit(cov_type="cluster",
 *          cov_kwds={"groups": participant})
 * (values computed once, kept here). */
static const struct { const char *id; int band, n, y; } sm_rows[] = {
    { "A", 1, 5, 1 }, { "A", 2, 3, 1 }, { "B", 1, 4, 0 }, { "B", 3, 2, 1 },
    { "C", 2, 6, 2 }, { "C", 3, 4, 2 }, { "D", 1, 7, 1 }, { "D", 2, 2, 0 },
    { "D", 3, 1, 1 }, { "E", 3, 5, 3 }, { "F", 1, 3, 0 }, { "F", 2, 4, 1 },
};

/* d (clustered, default rules) with sm_rows added and finished: warmup
 * in bands 1, 2, 3 (0, 5, 10 min); with more, session k of row i also has
 * rpe 1 + (3k + i) mod 10 and duration 20 (1 + (k + i) mod 6) min. */
static void add_sm_rows(cs_dose *d, int more)
{
    cs_rules r;
    cs_error err = {0};
    double v[CS_DOSE_N];

    cs_rules_default(&r);
    clustered(d, &r);
    all_missing(v);
    for (size_t i = 0; i < sizeof sm_rows / sizeof sm_rows[0]; i++)
        for (int k = 0; k < sm_rows[i].n; k++) {
            v[CS_DOSE_WARMUP] = 5.0 * (sm_rows[i].band - 1);
            if (more) {
                v[CS_DOSE_RPE] = 1 + (double)((k * 3 + (int)i) % 10);
                v[CS_DOSE_DURATION] = 20.0 * (double)(1 + (k + (int)i) % 6);
            }
            assert_int_equal(cs_dose_add(d, v, k < sm_rows[i].y, 60000,
                                         str(sm_rows[i].id), &err), 0);
        }
    assert_int_equal(cs_dose_finish(d, &err), 0);
}

/* The robust trend against statsmodels, warmup alone. */
static void test_robust_against_statsmodels(void **state)
{
    cs_dose d;
    cs_dose_stats s;
    (void)state;
    add_sm_rows(&d, 0);
    cs_dose_stats_compute(&s, &d, CS_DOSE_WARMUP, 0.95, 1);
    assert_int_equal(s.participants, 6);
    assert_rel(s.trend_or.est, 3.488343209250367, 1e-9);
    assert_rel(s.trend_or.lo, 2.3008034804613873, 1e-9);
    assert_rel(s.trend_or.hi, 5.2888212526012675, 1e-9);
    assert_rel(s.trend_or_p, 3.999081034407141e-09, 1e-6);
    cs_dose_dispose(&d);
}

/* cs_dose_banded puts every value in the band cs_dose_canonical's does:
 * values far from the cuts and within a rounding of them (where v and its
 * rounding fall on either side of a cut, as 32 - 3e-10 does), for every
 * exposure's default cuts. */
static void test_banded_as_canonical(void **state)
{
    static const double off[] = { 0, 1e-10, 3e-10, 4.9e-10, 5e-10, 5.1e-10,
                                  1e-9, 1e-7, 1e-6, 2e-6, 0.25, 1 };
    cs_rules r;
    uint64_t x = 12345;
    long checked = 0;
    (void)state;
    cs_rules_default(&r);
    /* the case that needs the rounding: 32 - 3e-10 is below the heat
     * index's cut 32, and its text "32.000000000" is not */
    assert_int_equal(cs_dose_band_of(&r.dose[CS_DOSE_HEAT], 32 - 3e-10), 1);
    assert_int_equal(cs_dose_band_of(&r.dose[CS_DOSE_HEAT],
                                     cs_dose_canonical(32 - 3e-10)), 2);
    assert_int_equal(cs_dose_band_of(&r.dose[CS_DOSE_HEAT],
                     cs_dose_banded(&r.dose[CS_DOSE_HEAT], 32 - 3e-10)), 2);
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_cuts *c = &r.dose[e];
        for (int i = 0; i < c->n; i++) {
            if (isinf(c->cut[i]))
                continue;
            for (size_t k = 0; k < sizeof off / sizeof off[0]; k++)
                for (int sign = -1; sign <= 1; sign += 2) {
                    double v = c->cut[i] + sign * off[k];
                    assert_int_equal(cs_dose_band_of(c, cs_dose_banded(c, v)),
                                     cs_dose_band_of(c, cs_dose_canonical(v)));
                    checked++;
                }
        }
        for (int i = 0; i < 100000; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            double v = ((double)(x >> 11) / 9007199254740992.0) * 1200 - 100;
            assert_int_equal(cs_dose_band_of(c, cs_dose_banded(c, v)),
                             cs_dose_band_of(c, cs_dose_canonical(v)));
            checked++;
        }
        assert_true(isnan(cs_dose_banded(c, NAN)));
        assert_true(cs_dose_banded(c, HUGE_VAL) == HUGE_VAL);
    }
    assert_true(checked > 700000);
}

/* cs_dose_banded_quick against the rule written out (v unless some cut
 * lies within 1e-6 of it, then its rounding), bit for bit: cuts whole
 * and not (the quick test is off then), values at and around whole
 * numbers and cuts, at random, negative, huge, infinite and NaN. */
static double banded_brute(const cs_dose_cuts *c, double v)
{
    for (int i = 0; i < c->n; i++)
        if (fabs(v - c->cut[i]) <= 1e-6)
            return cs_dose_canonical(v);
    return v;
}

static void test_banded_quick(void **state)
{
    static const double off[] = { 0, 1e-10, 5e-10, 1e-9, 1e-7, 9.99e-7, 1e-6,
                                  1.0000001e-6, 2e-6, 9.99e-6, 1e-5, 1.01e-5,
                                  1e-4, 0.25, 0.5 };
    static const double odd[] = { NAN, -NAN, HUGE_VAL, -HUGE_VAL, 1e9, -1e9,
                                  999999999.9999995, 1e300, -1e-300, 0.0,
                                  -0.0, 4503599627370496.5, 1e17 };
    cs_rules r;
    cs_dose_cuts cs[CS_DOSE_N + 4];
    uint64_t x = 777;
    long fast = 0;
    (void)state;
    cs_rules_default(&r);
    for (int e = 0; e < CS_DOSE_N; e++)
        cs[e] = r.dose[e];
    /* whole but negative and past 2^31; then not whole, so not quick */
    cs[CS_DOSE_N] = (cs_dose_cuts){ 4, 0, { -60, -3, 5000000000.0, 5000000001.0 } };
    cs[CS_DOSE_N + 1] = (cs_dose_cuts){ 3, 0, { 10, 20.5, 30 } };
    cs[CS_DOSE_N + 2] = (cs_dose_cuts){ 2, 0, { 1, 2e9 } };
    cs[CS_DOSE_N + 3] = (cs_dose_cuts){ 4, 0, { -HUGE_VAL, 1, 7, HUGE_VAL } };
    assert_int_equal(cs_dose_cuts_whole(&cs[CS_DOSE_N]), 0);   /* 5e9 > 1e9 */
    cs[CS_DOSE_N].n = 2;
    assert_int_equal(cs_dose_cuts_whole(&cs[CS_DOSE_N]), 1);
    assert_int_equal(cs_dose_cuts_whole(&cs[CS_DOSE_N + 1]), 0);
    assert_int_equal(cs_dose_cuts_whole(&cs[CS_DOSE_N + 2]), 0);
    assert_int_equal(cs_dose_cuts_whole(&cs[CS_DOSE_N + 3]), 1);
    assert_int_equal(cs_dose_cuts_whole(&r.dose[CS_DOSE_HEAT]), 1);   /* -inf first */
    assert_int_equal(cs_dose_cuts_whole(&r.dose[CS_DOSE_FLUID]), 1);
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        const cs_dose_cuts *c = &cs[k];
        int whole = cs_dose_cuts_whole(c);
#define CHECK(v_) do {                                                  \
            double v = (v_), a = cs_dose_banded_quick(c, whole, v),      \
                   b = banded_brute(c, v);                               \
            assert_memory_equal(&a, &b, sizeof a);                       \
            fast += a == v && b == v;                                    \
        } while (0)
        for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
            CHECK(odd[i]);
        for (int w = -70; w <= 1200; w++)
            for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
                CHECK(w + off[i]);
                CHECK(w - off[i]);
                CHECK(nextafter(w + off[i], HUGE_VAL));
                CHECK(nextafter(w - off[i], -HUGE_VAL));
            }
        for (int i = 0; i < c->n; i++)
            for (size_t j = 0; j < sizeof off / sizeof off[0]; j++) {
                CHECK(c->cut[i] + off[j]);
                CHECK(c->cut[i] - off[j]);
            }
        for (int i = 0; i < 200000; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            CHECK(((double)(x >> 11) / 9007199254740992.0) * 2e5 - 1e4);
        }
#undef CHECK
    }
    assert_true(fast > 1000000);
}

/* The robust trend of every exposure from the participants' sums, and
 * the participants counted, against the sandwich worked out here from
 * the sessions themselves (each session's residual y - p of its band,
 * summed per participant): random participants, with sessions missing
 * some exposures and below the first cut, and exposures interleaved. */
static void test_robust_brute(void **state)
{
    enum { P = 300, S = 12000 };
    static int who[S], band[S][CS_DOSE_N], out[S];
    cs_rules r;
    cs_dose d;
    cs_dose_stats all[CS_DOSE_N];
    cs_error err = {0};
    uint64_t x = 4242;
    (void)state;
    cs_rules_default(&r);
    clustered(&d, &r);
    for (int i = 0; i < S; i++) {
        double v[CS_DOSE_N];
        char id[16];
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        who[i] = (int)((x >> 20) % P);
        if (i && (x >> 40) % 4)
            who[i] = who[i - 1];              /* runs of one participant */
        for (int e = 0; e < CS_DOSE_N; e++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            const cs_dose_cuts *c = &r.dose[e];
            double lo = isinf(c->cut[0]) ? c->cut[1] - 10 : c->cut[0];
            double hi = c->cut[c->n - 1] * 1.5 + 1;
            v[e] = (x >> 60) == 0 ? NAN
                 : lo - 1 + (double)(x >> 11) / 9007199254740992.0 * (hi - lo + 1);
            band[i][e] = cs_dose_band_of(c, v[e]);
        }
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        /* risk rising with the rpe band, so that the trends are fitted */
        out[i] = (int)((x >> 33) % 10) < 2 + (band[i][CS_DOSE_RPE] > 0 ? band[i][CS_DOSE_RPE] : 0);
        snprintf(id, sizeof id, "p%d", who[i]);
        assert_int_equal(cs_dose_add(&d, v, out[i], 60000, str(id), &err), 0);
    }
    assert_int_equal(cs_dose_finish(&d, &err), 0);
    cs_dose_stats_compute_all(all, &d, 0.95, 1);
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_cuts *c = &r.dose[e];
        uint64_t n[CS_DOSE_MAXBANDS] = {0}, y[CS_DOSE_MAXBANDS] = {0}, N = 0, G = 0;
        double xs[2 * CS_DOSE_MAXBANDS], pr[CS_DOSE_MAXBANDS], bread[3] = {0},
               meat[3] = {0};
        static double u0[P], u1[P];
        static int seen[P];
        cs_logit_fit fit;
        for (int i = 0; i < S; i++)
            if (band[i][e] >= 0) {
                n[band[i][e]]++;
                y[band[i][e]] += (uint64_t)out[i];
                N++;
            }
        for (int b = 0; b < c->n; b++) {
            xs[2 * b] = 1;
            xs[2 * b + 1] = b + 1;
        }
        assert_int_equal(cs_stats_logit(&fit, xs, n, y, (size_t)c->n, 2), 0);
        for (int b = 0; b < c->n; b++) {
            pr[b] = 1 / (1 + exp(-(fit.beta[0] + fit.beta[1] * (b + 1))));
            double wt = (double)n[b] * pr[b] * (1 - pr[b]);
            bread[0] += wt;
            bread[1] += wt * (b + 1);
            bread[2] += wt * (b + 1) * (b + 1);
        }
        memset(u0, 0, sizeof u0);
        memset(u1, 0, sizeof u1);
        memset(seen, 0, sizeof seen);
        for (int i = 0; i < S; i++) {
            int b = band[i][e];
            if (b < 0)
                continue;
            u0[who[i]] += out[i] - pr[b];
            u1[who[i]] += (out[i] - pr[b]) * (b + 1);
            seen[who[i]] = 1;
        }
        for (int k = 0; k < P; k++)
            if (seen[k]) {
                G++;
                meat[0] += u0[k] * u0[k];
                meat[1] += u0[k] * u1[k];
                meat[2] += u1[k] * u1[k];
            }
        double det = bread[0] * bread[2] - bread[1] * bread[1];
        double i10 = -bread[1] / det, i11 = bread[0] / det;
        double var = (i10 * (meat[0] * i10 + meat[1] * i11) +
                      i11 * (meat[1] * i10 + meat[2] * i11)) *
                     (double)G / (double)(G - 1) * ((double)N - 1) / ((double)N - 2);
        double se = sqrt(var), z = cs_stats_z(0.95);
        assert_int_equal(all[e].participants, G);
        assert_true(G > 100);
        assert_rel(all[e].trend_or.est, exp(fit.beta[1]), 1e-12);
        assert_rel(all[e].trend_or.lo, exp(fit.beta[1] - z * se), 1e-9);
        assert_rel(all[e].trend_or.hi, exp(fit.beta[1] + z * se), 1e-9);
    }
    cs_dose_dispose(&d);
}

static int same_double(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* Every exposure's robust trend from one walk over the participants
 * (cs_dose_stats_compute_all) is the one a walk for that exposure alone
 * gives, when the participants' entries of three exposures interleave,
 * and each is statsmodels' (the GLM above, on sm_rows with rpe and
 * duration added, their bands 1-4 and 1-5 as the score). */
static void test_robust_all_exposures(void **state)
{
    cs_dose d;
    cs_dose_stats all[CS_DOSE_N], one;
    (void)state;
    add_sm_rows(&d, 1);
    cs_dose_stats_compute_all(all, &d, 0.95, 1);
    assert_int_equal(all[CS_DOSE_WARMUP].participants, 6);
    assert_rel(all[CS_DOSE_WARMUP].trend_or.est, 3.488343209250367, 1e-9);
    assert_rel(all[CS_DOSE_WARMUP].trend_or.lo, 2.3008034804613873, 1e-9);
    assert_rel(all[CS_DOSE_WARMUP].trend_or.hi, 5.2888212526012675, 1e-9);
    assert_rel(all[CS_DOSE_WARMUP].trend_or_p, 3.999081034407141e-09, 1e-6);
    for (int e = 0; e < CS_DOSE_N; e++) {
        print_message("exposure %d\n", e);
        cs_dose_stats_compute(&one, &d, e, 0.95, 1);
        assert_int_equal(one.robust, 1);
        assert_int_equal(all[e].robust, 1);
        assert_int_equal(all[e].participants, one.participants);
        assert_int_equal(all[e].robust_notes, one.robust_notes);
        assert_true(same_double(all[e].trend_or.est, one.trend_or.est));
        assert_true(same_double(all[e].trend_or.lo, one.trend_or.lo));
        assert_true(same_double(all[e].trend_or.hi, one.trend_or.hi));
        assert_true(same_double(all[e].trend_or_p, one.trend_or_p));
        assert_true(same_double(all[e].trend.stat, one.trend.stat));
        assert_int_equal(all[e].nbands, one.nbands);
        for (int b = 0; b < one.nbands; b++) {
            assert_int_equal(all[e].band[b].sessions, one.band[b].sessions);
            assert_true(same_double(all[e].band[b].rr.est, one.band[b].rr.est));
        }
    }
    /* rpe and duration against statsmodels too (the same GLM, their
     * bands 1-4 and 1-5 as the score). */
    assert_int_equal(all[CS_DOSE_RPE].participants, 6);
    assert_rel(all[CS_DOSE_RPE].trend_or.est, 1.0540112474674999, 1e-9);
    assert_rel(all[CS_DOSE_RPE].trend_or.lo, 0.5769514705998691, 1e-9);
    assert_rel(all[CS_DOSE_RPE].trend_or.hi, 1.9255340637799696, 1e-9);
    assert_rel(all[CS_DOSE_RPE].trend_or_p, 0.8641512405307705, 1e-6);
    assert_int_equal(all[CS_DOSE_DURATION].participants, 6);
    assert_rel(all[CS_DOSE_DURATION].trend_or.est, 1.2933807273197604, 1e-9);
    assert_rel(all[CS_DOSE_DURATION].trend_or.lo, 0.6324534600166651, 1e-9);
    assert_rel(all[CS_DOSE_DURATION].trend_or.hi, 2.644990993895603, 1e-9);
    assert_rel(all[CS_DOSE_DURATION].trend_or_p, 0.48093496295472493, 1e-6);
    cs_dose_dispose(&d);
}

/* The participants' entries come out sorted by participant and by key
 * whatever order the sessions came in: participants already in order
 * (not sorted again) and out of order (sorted), entries added in
 * descending and ascending key order. The lines are written by hand. */
static void test_finish_orders(void **state)
{
    static const struct { const char *id; double warmup; int y; } rows[] = {
        { "B", 15, 1 }, { "B", 5, 0 }, { "A", 10, 0 }, { "A", 0, 1 },
        { "A", 10, 1 },
    };
    /* Participants out of order; both in order; in order, but each met
     * again with a band below the ones it has (entries out of order). */
    static const int orders[3][5] = { { 0, 1, 2, 3, 4 }, { 3, 2, 4, 1, 0 },
                                      { 2, 0, 3, 1, 4 } };
    char want[128], want2[160];
    cs_rules r;
    cs_error err = {0};
    (void)state;
    cs_rules_default(&r);
    /* warmup_min cuts 0, 5, 10, 15: 0 is band 1, 5 band 2, 10 band 3,
     * 15 band 4; A has band 1 once (a case) and band 3 twice (one case),
     * B bands 2 (no case) and 4 (a case). */
    snprintf(want, sizeof want, "dp :A %d.1:1:1 %d.3:2:1\ndp :B %d.2:1:0 %d.4:1:1\n",
             CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1,
             CS_DOSE_WARMUP + 1);
    /* ... and after one more session with warmup 0 (band 1, no case) for
     * each, added after finish: B's band 1 comes after its bands 2 and 4. */
    snprintf(want2, sizeof want2, "dp :A %d.1:2:1 %d.3:2:1\n"
             "dp :B %d.1:1:0 %d.2:1:0 %d.4:1:1\n", CS_DOSE_WARMUP + 1,
             CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1,
             CS_DOSE_WARMUP + 1);
    for (int o = 0; o < 3; o++) {
        cs_dose d;
        cs_buf b;
        double v[CS_DOSE_N];
        const char *dp;
        clustered(&d, &r);
        all_missing(v);
        for (int i = 0; i < 5; i++) {
            v[CS_DOSE_WARMUP] = rows[orders[o][i]].warmup;
            assert_int_equal(cs_dose_add(&d, v, rows[orders[o][i]].y, 60000,
                                         str(rows[orders[o][i]].id), &err), 0);
        }
        assert_int_equal(cs_dose_finish(&d, &err), 0);
        assert_int_equal(cs_dose_participants(&d), 2);
        cs_buf_init(&b, 0);
        assert_int_equal(cs_dose_write(&d, &b), 0);
        assert_int_equal(cs_buf_putc(&b, '\0'), 0);
        dp = strstr(b.ptr, "dp :");
        assert_non_null(dp);
        assert_string_equal(dp, want);
        /* found again after finish: one more session of each adds to
         * the same participants */
        v[CS_DOSE_WARMUP] = 0;
        assert_int_equal(cs_dose_add(&d, v, 0, 60000, str("B"), &err), 0);
        assert_int_equal(cs_dose_add(&d, v, 0, 60000, str("A"), &err), 0);
        assert_int_equal(cs_dose_participants(&d), 2);
        assert_int_equal(cs_dose_finish(&d, &err), 0);
        b.len = 0;
        assert_int_equal(cs_dose_write(&d, &b), 0);
        assert_int_equal(cs_buf_putc(&b, '\0'), 0);
        dp = strstr(b.ptr, "dp :");
        assert_non_null(dp);
        assert_string_equal(dp, want2);
        cs_buf_dispose(&b);
        cs_dose_dispose(&d);
    }
}

/* A participant id in a state is percent-encoded: the reader refuses a
 * raw byte the writer would have escaped (a NUL here, which would
 * otherwise be written back as the %00 that no reader takes), a bad or
 * NUL escape, and takes a good one. */
static void test_read_id_escapes(void **state)
{
    static const struct { const char *rest; size_t len; const char *why; } cases[] = {
        { ":A\0B 5.1:1:0", 12, "dp: unescaped byte in a participant id" },
        { ":A\x01 5.1:1:0", 11, "dp: unescaped byte in a participant id" },
        { ":A%00 5.1:1:0", 13, "dp: bad %-escape" },
        { ":A%4 5.1:1:0", 12, "dp: bad %-escape" },
        { ":A%zz 5.1:1:0", 13, "dp: bad %-escape" },
        { ":A%41 5.1:1:0", 13, NULL },
    };
    cs_rules r;

    (void)state;
    cs_rules_default(&r);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_dose d;
        char why[256] = "";
        int rc;
        clustered(&d, &r);
        rc = cs_dose_read_line(&d, str("dp"), (cs_str){ cases[i].rest, cases[i].len },
                               why, sizeof why);
        if (cases[i].why) {
            assert_true(rc < 0);
            assert_string_equal(why, cases[i].why);
        } else {
            assert_int_equal(rc, 0);
        }
        cs_dose_dispose(&d);
    }
}

/* Pseudo-random sessions, in three shards: merged in any order, the
 * states' text equals the single pass's. */
static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void text_of(const cs_agg *a, cs_buf *b)
{
    cs_buf_reset(b);
    assert_int_equal(cs_dose_write(&a->dose, b), 0);
    assert_int_equal(cs_period_write(&a->period, b), 0);
}

static void test_merge_orders(void **state)
{
    cs_rules r;
    cs_agg one, shard[3], m;
    cs_error err = {0};
    cs_buf b1, b2;
    static const int orders[3][3] = { { 0, 1, 2 }, { 2, 0, 1 }, { 1, 2, 0 } };
    (void)state;
    cs_rules_default(&r);
    assert_int_equal(cs_agg_init(&one, &r, NULL, NULL, &err), 0);
    assert_int_equal(cs_agg_cluster(&one, &err), 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(cs_agg_init(&shard[k], &r, NULL, NULL, &err), 0);
        assert_int_equal(cs_agg_cluster(&shard[k], &err), 0);
    }
    for (int i = 0; i < 3000; i++) {
        signed char fl[CS_F_N];
        char id[16];
        cs_agg_more mo;
        int out = next() % 13 == 0;
        uint64_t mmin = 1000 + next() % 200000;
        for (int f = 0; f < CS_F_N; f++)
            fl[f] = (signed char)((int)(next() % 3) - 1);
        snprintf(id, sizeof id, "P%03d", (int)(next() % 150));
        for (int e = 0; e < CS_DOSE_N; e++)
            mo.dose[e] = next() % 9 == 0 ? NAN : (double)(next() % 4000) / 3.0 - 20;
        mo.day = 19700 + (int32_t)(next() % 400);
        mo.has_day = next() % 50 != 0;
        cs_agg *s = &shard[next() % 3];
        cs_acc_row row = { fl, out, mmin, str(""), str(""), str(id), &mo, NAN, 0, 0 };
        assert_int_equal(cs_agg_add_row(&one, &row, &err), 0);
        row.level = 0;
        assert_int_equal(cs_agg_add_row(s, &row, &err), 0);
    }
    assert_int_equal(cs_agg_finish(&one, &err), 0);
    cs_buf_init(&b1, 0);
    cs_buf_init(&b2, 0);
    text_of(&one, &b1);
    assert_true(one.period.undated > 0);
    assert_true(one.dose.e[CS_DOSE_HEAT].missing > 0);
    assert_true(one.dose.e[CS_DOSE_RPE].below > 0);
    for (int o = 0; o < 3; o++) {
        assert_int_equal(cs_agg_init(&m, &r, NULL, NULL, &err), 0);
        assert_int_equal(cs_agg_cluster(&m, &err), 0);
        for (int k = 0; k < 3; k++)
            assert_int_equal(cs_agg_merge(&m, &shard[orders[o][k]], &err), 0);
        assert_int_equal(cs_agg_finish(&m, &err), 0);
        text_of(&m, &b2);
        assert_int_equal(b1.len, b2.len);
        assert_memory_equal(b1.ptr, b2.ptr, b1.len);
        /* and the whole state through its text */
        cs_buf_reset(&b2);
        assert_int_equal(cs_agg_write_partial(&m, &b2, NULL), 0);
        cs_agg back;
        assert_int_equal(cs_agg_read_partial(&back, "m", b2.ptr, b2.len, &err), 0);
        text_of(&back, &b2);
        assert_int_equal(b1.len, b2.len);
        assert_memory_equal(b1.ptr, b2.ptr, b1.len);
        cs_agg_dispose(&back);
        cs_agg_dispose(&m);
    }
    /* different bands do not merge */
    r.dose[CS_DOSE_FLUID].cut[1] = 250;
    assert_int_equal(cs_agg_init(&m, &r, NULL, NULL, &err), 0);
    assert_int_equal(cs_agg_cluster(&m, &err), 0);
    assert_int_equal(cs_agg_merge(&m, &one, &err), CS_EDATA);
    assert_non_null(strstr(err.msg, "fluid_ml_per_h"));
    cs_agg_dispose(&m);
    cs_agg_dispose(&one);
    for (int k = 0; k < 3; k++)
        cs_agg_dispose(&shard[k]);
    cs_buf_dispose(&b1);
    cs_buf_dispose(&b2);
}

/* Damaged sections are refused with a reason. */
static void test_read_refuses(void **state)
{
    cs_rules r;
    cs_dose d;
    cs_period p;
    char why[200];
    (void)state;
    cs_rules_default(&r);
    memset(&d, 0, sizeof d);
    assert_int_equal(cs_dose_read_line(&d, str("dose"), str("intensity_rpe 1 1,4,7,9 0 0"),
                                       why, sizeof why), 0);
    assert_int_equal(cs_dose_read_line(&d, str("band"), str("intensity_rpe 2 10 3 600000"),
                                       why, sizeof why), 0);
    /* more cases than sessions */
    assert_int_equal(cs_dose_read_line(&d, str("band"), str("intensity_rpe 1 3 4 1000"),
                                       why, sizeof why), -1);
    /* band past the last */
    assert_int_equal(cs_dose_read_line(&d, str("band"), str("intensity_rpe 5 3 1 1000"),
                                       why, sizeof why), -1);
    /* bounds not increasing */
    assert_int_equal(cs_dose_read_line(&d, str("dose"), str("warmup_min 1 0,5,5 0 0"),
                                       why, sizeof why), -1);
    assert_non_null(strstr(why, "increasing"));
    assert_int_equal(cs_dose_read_line(&d, str("dose"), str("warmup_min 1 inf 0 0"),
                                       why, sizeof why), -1);
    assert_int_equal(cs_dose_read_line(&d, str("dose"), str("warmup_min 1 0,0x10 0 0"),
                                       why, sizeof why), -1);
    assert_int_equal(cs_dose_read_line(&d, str("dose"), str("warmup_min 1 0,nan 0 0"),
                                       why, sizeof why), -1);
    assert_int_equal(cs_dose_read_line(&d, str("dose"), str("warmup_min 1 0,-inf 0 0"),
                                       why, sizeof why), -1);
    assert_int_equal(cs_dose_read_line(&d, str("dose"), str("warmup_min 5 0,5 0 0"),
                                       why, sizeof why), -1);   /* reference past the last */
    assert_int_equal(cs_dose_read_line(&d, str("dp"), str(":P1 1.1:1:0"),
                                       why, sizeof why), -1);   /* not clustered */
    /* the totals must add up, and every exposure be declared */
    assert_int_equal(cs_dose_check(&d, 10, why, sizeof why), -1);
    assert_non_null(strstr(why, "heat_index_c"));
    cs_dose_dispose(&d);

    memset(&p, 0, sizeof p);
    assert_int_equal(cs_period_read_line(&p, str("day"), str("2024-05-07 1 0 1000 0/1 0/1 0/1 0/1 0/1 0/1"),
                                         why, sizeof why), -1);  /* before "undated" */
    assert_int_equal(cs_period_read_line(&p, str("undated"), str("2"), why, sizeof why), 0);
    assert_int_equal(cs_period_read_line(&p, str("day"), str("2024-05-07 3 1 1000 1/2 0/3 0/3 0/3 0/3 0/3"),
                                         why, sizeof why), 0);
    assert_int_equal(cs_period_read_line(&p, str("day"), str("2024-05-06 3 1 1000 1/2 0/3 0/3 0/3 0/3 0/3"),
                                         why, sizeof why), -1);  /* out of order */
    assert_int_equal(cs_period_read_line(&p, str("day"), str("2024-05-08 3 1 1000 4/2 0/3 0/3 0/3 0/3 0/3"),
                                         why, sizeof why), -1);  /* exposed > known */
    assert_int_equal(cs_period_read_line(&p, str("day"), str("2024-02-30 3 1 1000 1/2 0/3 0/3 0/3 0/3 0/3"),
                                         why, sizeof why), -1);  /* no such day */
    assert_int_equal(cs_period_check(&p, 5, why, sizeof why), 0);
    assert_int_equal(cs_period_check(&p, 6, why, sizeof why), -1);
    cs_period_dispose(&p);
}

/* A participant's count in one band is kept in 32 bits, as its counts in
 * the cluster-robust sums are: 2^32 - 1 is kept, more is refused (read
 * or reached by a merge), never wrapped. */
static void test_participant_counts_32_bits(void **state)
{
    cs_rules r;
    cs_dose a, b;
    cs_error err = {0};
    cs_buf out;
    char why[200] = "";
    (void)state;
    cs_rules_default(&r);
    cs_buf_init(&out, 0);

    clustered(&a, &r);
    assert_int_equal(cs_dose_read_line(&a, str("dp"), str(":P1 1.1:4294967295:7"),
                                       why, sizeof why), 0);
    assert_int_equal(cs_dose_write(&a, &out), 0);
    assert_non_null(strstr(out.ptr, "dp :P1 1.1:4294967295:7\n"));
    cs_dose_dispose(&a);

    clustered(&a, &r);
    assert_int_equal(cs_dose_read_line(&a, str("dp"), str(":P1 2.1:1:0 1.1:4294967296:0"),
                                       why, sizeof why), -1);
    assert_string_equal(why, "dp: a count is over 4294967295 (2^32 - 1)");
    cs_dose_dispose(&a);

    /* 2147483647 + 2147483648 is the most; one more session is over. */
    for (int over = 0; over < 2; over++) {
        cs_dose_init(&a, &r);
        cs_dose_init(&b, &r);
        assert_int_equal(cs_dose_cluster(&a, &err), 0);
        assert_int_equal(cs_dose_cluster(&b, &err), 0);
        assert_int_equal(cs_dose_read_line(&a, str("dp"), str(":P0 3.2:5:1"),
                                           why, sizeof why), 0);
        assert_int_equal(cs_dose_read_line(&a, str("dp"), str(":P1 1.1:2147483647:1"),
                                           why, sizeof why), 0);
        assert_int_equal(cs_dose_read_line(&b, str("dp"),
                                           over ? str(":P1 1.1:2147483649:2")
                                                : str(":P1 1.1:2147483648:2"),
                                           why, sizeof why), 0);
        err = (cs_error){0};
        if (over) {
            assert_int_equal(cs_dose_merge(&a, &b, &err), CS_EDATA);
            assert_string_equal(err.msg, "participant \"P1\": a session or case "
                                "count of one dose-response band overflows 32 "
                                "bits");
        } else {
            assert_int_equal(cs_dose_merge(&a, &b, &err), CS_OK);
            cs_buf_reset(&out);
            assert_int_equal(cs_dose_write(&a, &out), 0);
            assert_non_null(strstr(out.ptr, "dp :P0 3.2:5:1\ndp :P1 1.1:4294967295:3\n"));
        }
        cs_dose_dispose(&a);
        cs_dose_dispose(&b);
    }
    cs_buf_dispose(&out);
}

/* The participants' counts are kept as bytes (src/dose.c): counts at
 * every width a number takes there (1 to 5 bytes), cases none or some,
 * participants met again in another order. Two states of random entries
 * are merged and written; every participant's line is then the sum of
 * its entries, worked out here. Then a participant whose counts were
 * written out half way (cs_dose_write settles them) and who comes back:
 * its counts are the sum of both halves. */
static void test_pool_widths(void **state)
{
    enum { P = 400, KEYS = CS_DOSE_N * 4 };
    static const uint32_t width[] = {
        1, 2, 127, 128, 129, 300, 16383, 16384, 2097151, 2097152,
        268435455, 268435456, 2147483647
    };
    static uint64_t n[2 * P][KEYS], y[2 * P][KEYS];
    const size_t nw = sizeof width / sizeof width[0];
    cs_rules r;
    cs_dose d[2];
    cs_error err = {0};
    cs_buf b, want, line;
    char why[200] = "";
    uint64_t x = 99;
    int order[2 * P];
    (void)state;
    memset(n, 0, sizeof n);
    memset(y, 0, sizeof y);
    cs_rules_default(&r);
    cs_buf_init(&b, 0);
    cs_buf_init(&want, 0);
    cs_buf_init(&line, 0);
    for (int s = 0; s < 2; s++) {
        clustered(&d[s], &r);
        /* State 0 has participants 0..P-1 in order; state 1 has every
         * other one of them and P new ones, shuffled. */
        int m = 0;
        for (int p = 0; p < 2 * P; p++)
            if (s == 0 ? p < P : (p >= P || p % 2 == 0))
                order[m++] = p;
        for (int i = m - 1; s == 1 && i > 0; i--) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            int j = (int)((x >> 33) % (uint64_t)(i + 1)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < m; i++) {
            int p = order[i];
            cs_buf_reset(&line);
            cs_buf_printf(&line, ":Q%04d", p);
            for (int k = 0; k < KEYS; k++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                if ((x >> 60) < 9)          /* about half the keys */
                    continue;
                uint32_t nn = width[(x >> 20) % nw];
                uint32_t yy = (x >> 40) % 3 == 0 ? 0
                            : (x >> 40) % 3 == 1 ? nn
                            : width[(x >> 44) % nw] % (nn + 1);
                cs_buf_printf(&line, " %d.%d:%lu:%lu", k / 4 + 1, k % 4 + 1,
                              (unsigned long)nn, (unsigned long)yy);
                n[p][k] += nn;
                y[p][k] += yy;
            }
            assert_int_equal(cs_buf_putc(&line, '\0'), 0);
            assert_int_equal(cs_dose_read_line(&d[s], str("dp"), str(line.ptr),
                                               why, sizeof why), 0);
        }
    }
    assert_int_equal(cs_dose_merge(&d[0], &d[1], &err), CS_OK);
    assert_int_equal(cs_dose_finish(&d[0], &err), CS_OK);
    assert_int_equal(cs_dose_participants(&d[0]), 2 * P);
    assert_int_equal(cs_dose_write(&d[0], &b), 0);
    assert_int_equal(cs_buf_putc(&b, '\0'), 0);
    for (int p = 0; p < 2 * P; p++) {
        char id[16];
        snprintf(id, sizeof id, "Q%04d", p);
        want_dp(&want, id, n[p], y[p], KEYS, 1, 4);
    }
    assert_dp_lines(&b, &want);
    cs_dose_dispose(&d[0]);
    cs_dose_dispose(&d[1]);

    /* Written half way, then more of the same participant: 130 sessions
     * with a case each in warm-up band 2 (a count of two bytes), one
     * without in band 3, then 200 more in band 2 and one in band 1. */
    double v[CS_DOSE_N];
    all_missing(v);
    clustered(&d[0], &r);
    v[CS_DOSE_WARMUP] = 5;
    for (int i = 0; i < 130; i++)
        assert_int_equal(cs_dose_add(&d[0], v, 1, 60000, str("A"), &err), 0);
    v[CS_DOSE_WARMUP] = 10;
    assert_int_equal(cs_dose_add(&d[0], v, 0, 60000, str("A"), &err), 0);
    cs_buf_reset(&b);
    assert_int_equal(cs_dose_write(&d[0], &b), 0);
    v[CS_DOSE_WARMUP] = 5;
    for (int i = 0; i < 200; i++)
        assert_int_equal(cs_dose_add(&d[0], v, i < 50, 60000, str("A"), &err), 0);
    v[CS_DOSE_WARMUP] = 0;
    assert_int_equal(cs_dose_add(&d[0], v, 0, 60000, str("A"), &err), 0);
    assert_int_equal(cs_dose_finish(&d[0], &err), CS_OK);
    cs_buf_reset(&b);
    assert_int_equal(cs_dose_write(&d[0], &b), 0);
    assert_int_equal(cs_buf_putc(&b, '\0'), 0);
    cs_buf_reset(&want);
    cs_buf_printf(&want, "dp :A %d.1:1:0 %d.2:330:180 %d.3:1:0\n",
                  CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1);
    assert_int_equal(cs_buf_putc(&want, '\0'), 0);
    assert_non_null(strstr(b.ptr, "dp :"));
    assert_string_equal(strstr(b.ptr, "dp :"), want.ptr);
    cs_dose_dispose(&d[0]);

    /* Participants settled after one session (their counts then come
     * from that session's bands alone), two, or more: B one with a case
     * in warm-up band 2, written; B again, one without in band 3; C one
     * in band 2; B two, band 2 with a case and band 1; C three with
     * cases in band 3; D one with every exposure missing; E one with a
     * case in band 2; then F one in band 1 settled by the write. */
    static const struct { const char *id; double w; int y; } ses[] = {
        { "B", 5, 1 }, { NULL, 0, 0 }, { "B", 10, 0 }, { "C", 5, 0 },
        { "B", 5, 1 }, { "B", 0, 0 }, { "C", 10, 1 }, { "C", 10, 1 },
        { "C", 10, 1 }, { "D", NAN, 0 }, { "E", 5, 1 }, { "F", 0, 0 },
    };
    clustered(&d[0], &r);
    for (size_t i = 0; i < sizeof ses / sizeof ses[0]; i++) {
        if (!ses[i].id) {
            cs_buf_reset(&b);
            assert_int_equal(cs_dose_write(&d[0], &b), 0);
            continue;
        }
        v[CS_DOSE_WARMUP] = ses[i].w;
        assert_int_equal(cs_dose_add(&d[0], v, ses[i].y, 60000,
                                     str(ses[i].id), &err), 0);
    }
    cs_buf_reset(&b);
    assert_int_equal(cs_dose_write(&d[0], &b), 0);
    assert_int_equal(cs_buf_putc(&b, '\0'), 0);
    cs_buf_reset(&want);
    cs_buf_printf(&want, "dp :B %d.1:1:0 %d.2:2:2 %d.3:1:0\n"
                  "dp :C %d.2:1:0 %d.3:3:3\n" "dp :D\n" "dp :E %d.2:1:1\n"
                  "dp :F %d.1:1:0\n",
                  CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1,
                  CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1, CS_DOSE_WARMUP + 1,
                  CS_DOSE_WARMUP + 1);
    assert_int_equal(cs_buf_putc(&want, '\0'), 0);
    assert_non_null(strstr(b.ptr, "dp :"));
    assert_string_equal(strstr(b.ptr, "dp :"), want.ptr);
    cs_dose_dispose(&d[0]);
    cs_buf_dispose(&b);
    cs_buf_dispose(&want);
    cs_buf_dispose(&line);
}

/* Participants met again after others, one session at a time, as input
 * in time order gives them (src/dose.c counts such a session up in its
 * block's bytes where it can: one_in_place). Every exposure, values in
 * each band, below the first cut and missing; the first sessions in the
 * first bands only, so that later ones bring new bands; participants
 * with no case, with cases in most sessions, and with cases only in the
 * second half, so that counts of sessions and of cases pass 127 and 128
 * (a number's one byte and two) and a band's first case comes late; now
 * and then a run of the same participant and a state written half way
 * (which settles the current one). The counts are worked out here
 * session by session. Then two participants in turn whose cases' bytes
 * reach 127 in place, one of them with sessions in no band. */
static void test_met_again(void **state)
{
    enum { P = 40, S = 40000, PER = CS_DOSE_MAXBANDS, KEYS = CS_DOSE_N * PER };
    static uint64_t n[P][KEYS], y[P][KEYS];
    cs_rules r;
    cs_error err = {0};
    cs_dose d;
    cs_buf b, want;
    uint64_t x = 2024;
    int last = -1;
    char id[16];
    double v[CS_DOSE_N];
    (void)state;
    memset(n, 0, sizeof n);
    memset(y, 0, sizeof y);
    cs_rules_default(&r);
    clustered(&d, &r);
    cs_buf_init(&b, 0);
    cs_buf_init(&want, 0);
    for (int i = 0; i < S; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int p = (x >> 61) == 0 && last >= 0 ? last : (int)((x >> 33) % P);
        int out;
        switch (p % 4) {
        case 0: out = 0; break;                              /* never */
        case 1: out = (int)((x >> 20) % 10 != 0); break;     /* mostly */
        case 2: out = i >= S / 2 && ((x >> 20) & 1); break;  /* late */
        default: out = (int)((x >> 20) & 1); break;
        }
        for (int e = 0; e < CS_DOSE_N; e++) {
            const cs_dose_cuts *c = &r.dose[e];
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned pick = (unsigned)(x >> 40) % 16;
            int band = i < S / 4 ? 0 : (int)((x >> 50) % (uint64_t)c->n);
            if (pick == 0) {
                v[e] = NAN;                    /* missing */
            } else if (pick == 1 && isfinite(c->cut[0])) {
                v[e] = c->cut[0] - 1;          /* below the first cut */
            } else {
                /* within band: its cut, or just under the next one */
                v[e] = band == 0 && !isfinite(c->cut[0]) ? c->cut[1] - 1
                     : (pick & 2) && band + 1 < c->n ? c->cut[band + 1] - 0.5
                     : c->cut[band];
                n[p][e * PER + band]++;
                y[p][e * PER + band] += (uint64_t)out;
            }
        }
        snprintf(id, sizeof id, "P%03d", p);
        assert_int_equal(cs_dose_add(&d, v, out, 60000, str(id), &err), 0);
        last = p;
        if (i % 9973 == 9972) {
            cs_buf_reset(&b);
            assert_int_equal(cs_dose_write(&d, &b), 0);
        }
    }
    assert_int_equal(cs_dose_finish(&d, &err), 0);
    assert_int_equal(cs_dose_participants(&d), P);
    cs_buf_reset(&b);
    assert_int_equal(cs_dose_write(&d, &b), 0);
    assert_int_equal(cs_buf_putc(&b, '\0'), 0);
    for (int p = 0; p < P; p++) {
        snprintf(id, sizeof id, "P%03d", p);
        want_dp(&want, id, n[p], y[p], KEYS, 1, PER);
    }
    assert_dp_lines(&b, &want);
    /* The counts reached the widths the test is for. */
    uint64_t most_n = 0, most_y = 0;
    for (int p = 0; p < P; p++)
        for (int k = 0; k < KEYS; k++) {
            most_n = n[p][k] > most_n ? n[p][k] : most_n;
            most_y = y[p][k] > most_y ? y[p][k] : most_y;
        }
    assert_true(most_n >= 200 && most_y >= 150);
    cs_dose_dispose(&d);

    /* Two participants in turn, 130 sessions each: A's every one a case
     * in the first band of every exposure, so that its cases' bytes are
     * counted up in place to 127 (and go by flush from there); B's every
     * other one with every exposure missing (no band to count), the
     * others in the first bands with no case. */
    double first[CS_DOSE_N], none[CS_DOSE_N];
    for (int e = 0; e < CS_DOSE_N; e++) {
        first[e] = isinf(r.dose[e].cut[0]) ? r.dose[e].cut[1] - 1
                                           : r.dose[e].cut[0];
        none[e] = NAN;
    }
    clustered(&d, &r);
    for (int i = 0; i < 130; i++) {
        assert_int_equal(cs_dose_add(&d, first, 1, 60000, str("A"), &err), 0);
        assert_int_equal(cs_dose_add(&d, i % 2 ? first : none, 0, 60000,
                                     str("B"), &err), 0);
    }
    assert_int_equal(cs_dose_finish(&d, &err), 0);
    cs_buf_reset(&b);
    assert_int_equal(cs_dose_write(&d, &b), 0);
    assert_int_equal(cs_buf_putc(&b, '\0'), 0);
    cs_buf_reset(&want);
    cs_buf_printf(&want, "dp :A");
    for (int e = 1; e <= CS_DOSE_N; e++)
        cs_buf_printf(&want, " %d.1:130:130", e);
    cs_buf_printf(&want, "\ndp :B");
    for (int e = 1; e <= CS_DOSE_N; e++)
        cs_buf_printf(&want, " %d.1:65:0", e);
    cs_buf_printf(&want, "\n");
    assert_dp_lines(&b, &want);
    cs_buf_dispose(&b);
    cs_buf_dispose(&want);
    cs_dose_dispose(&d);
}

/* A participant's sessions are taken from the bands when it is settled
 * (src/dose.c: catch_up; after a single session, from that session's
 * bands), so every way of settling one mid-run must take
 * them once: runs of sessions (one, two, many) split between two states, the second
 * merged into the first (by cs_dose_merge and by the accumulator's
 * hand-over) while either counts a participant, states written half way,
 * participants coming back. The participants' counts are then those
 * worked out here session by session, and add up to the bands. */
static void test_live_participants(void **state)
{
    enum { P = 6, S = 4000, KEYS = CS_DOSE_N * 16 };
    static uint64_t n[P][KEYS], y[P][KEYS];
    cs_rules r;
    cs_dose d[2];
    cs_agg ag[2];
    cs_error err = {0};
    cs_buf b, want;
    char why[200] = "", id[16];
    uint64_t x = 7, used = 0;
    int p = 0, into = 0;
    (void)state;
    memset(n, 0, sizeof n);
    memset(y, 0, sizeof y);
    cs_rules_default(&r);
    cs_buf_init(&b, 0);
    cs_buf_init(&want, 0);
    for (int k = 0; k < 2; k++) {
        clustered(&d[k], &r);
    }
    for (int i = 0; i < S; i++) {
        double v[CS_DOSE_N];
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        /* Runs of about eight sessions a participant, then a new one at
         * every session (as input sorted by time has it: a participant
         * settled after one session takes it from its bands alone), then
         * runs of two, then of one, two or three. */
        int phase = (i / 250) % 4, before = p;
        if (phase == 0 ? (x >> 61) == 0
            : phase == 1 ? 1
            : phase == 2 ? i % 2 == 0
            : (x >> 40) % 3 == 0) {           /* a new participant */
            p = (int)((x >> 20) % P);
            if (phase != 0 && p == before)
                p = (p + 1) % P;
        }
        if ((x >> 56) % 16 == 0)              /* the other state */
            into = !into;
        int outcome = (int)((x >> 24) & 1);
        for (int e = 0; e < CS_DOSE_N; e++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            const cs_dose_cuts *c = &r.dose[e];
            /* a cut, missing, below, or between the cuts */
            v[e] = (x >> 60) < 2 ? NAN
                 : (x >> 60) < 4 ? c->cut[0] - 1
                 : (x >> 60) < 10 ? c->cut[(x >> 30) % (uint64_t)c->n]
                 : (double)((x >> 20) % 4000) / 3.0;
            if (isinf(v[e]))
                v[e] = 20;
            int band = cs_dose_band_of(c, v[e]);
            if (band >= 0) {
                n[p][e * 16 + band]++;
                y[p][e * 16 + band] += (uint64_t)outcome;
            }
        }
        snprintf(id, sizeof id, "P%d", p);
        assert_int_equal(cs_dose_add(&d[into], v, outcome, 1000, str(id),
                                     &err), 0);
        used++;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if ((x >> 58) == 0) {                 /* written half way */
            cs_buf_reset(&b);
            assert_int_equal(cs_dose_write(&d[(x >> 40) & 1], &b), 0);
        } else if ((x >> 58) == 1) {          /* the second merged in */
            assert_int_equal(cs_dose_merge(&d[0], &d[1], &err), CS_OK);
            cs_dose_dispose(&d[1]);
            clustered(&d[1], &r);
        }
    }
    /* The first handed over whole to an empty state, as the chain's
     * counter is; then the second merged into that one. */
    for (int k = 0; k < 2; k++) {
        cs_acc_opts o = { &r, NULL, NULL, 1, 1, 0, 0 };
        assert_int_equal(cs_agg_open(&ag[k], &o, &err), 0);
        assert_non_null(ag[k].dose.people);
    }
    cs_dose_people *spare = ag[1].dose.people;
    ag[1].dose = d[0];
    d[0].people = spare;
    d[0].present = 1;
    assert_int_equal(cs_agg_merge_move(&ag[0], &ag[1], &err), CS_OK);
    assert_int_equal(cs_dose_merge(&ag[0].dose, &d[1], &err), CS_OK);
    assert_int_equal(cs_dose_finish(&ag[0].dose, &err), CS_OK);
    cs_buf_reset(&b);
    assert_int_equal(cs_dose_write(&ag[0].dose, &b), 0);
    assert_int_equal(cs_buf_putc(&b, '\0'), 0);
    /* read back: the participants' counts add up to the bands */
    cs_dose back;
    cs_dose_init(&back, &r);
    back.present = 0;
    assert_int_equal(cs_dose_cluster(&back, &err), 0);
    for (char *l = b.ptr, *nl; *l; l = nl + 1) {
        nl = strchr(l, '\n');
        assert_non_null(nl);
        char *sp = memchr(l, ' ', (size_t)(nl - l));
        assert_non_null(sp);
        if (cs_dose_read_line(&back, (cs_str){ l, (size_t)(sp - l) },
                              (cs_str){ sp + 1, (size_t)(nl - sp - 1) },
                              why, sizeof why) < 0)
            fail_msg("%s", why);
    }
    if (cs_dose_check(&back, used, why, sizeof why) != 0)
        fail_msg("%s", why);
    cs_dose_dispose(&back);
    for (int q = 0; q < P; q++) {
        int any = 0;
        for (int k = 0; k < KEYS; k++)
            any |= n[q][k] > 0;
        if (!any)
            continue;
        snprintf(id, sizeof id, "P%d", q);
        want_dp(&want, id, n[q], y[q], KEYS, 1, 16);
    }
    assert_dp_lines(&b, &want);
    cs_agg_dispose(&ag[0]);
    cs_agg_dispose(&ag[1]);
    cs_dose_dispose(&d[0]);
    cs_dose_dispose(&d[1]);
    cs_buf_dispose(&b);
    cs_buf_dispose(&want);
}

/* cs_dose_banded gives back missing, huge and whole values without
 * looking at the cuts: the same bits as banded_brute for whole numbers
 * (on the cuts and off them, up to and past 4e6), the doubles either
 * side of them, -0 and +0 (a cut at 0 makes -0 +0), NaN and the
 * infinities, with whole cuts, cuts with fractions and cuts near 0. */
static void test_banded_whole(void **state)
{
    static const cs_dose_cuts cuts[] = {
        { 5, 0, { 0, 200, 400, 600, 800 } },
        { 5, 0, { -HUGE_VAL, 27, 32, 39, 51 } },
        { 3, 0, { -1e-7, 2.5, 3999999.9999995 } },
        { 4, 0, { -3, 1e-6, 17.0000004, 1e9 } },
    };
    uint64_t x = 99;
    long checked = 0;
    (void)state;
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        const cs_dose_cuts *c = &cuts[k];
        for (int i = 0; i < 60000; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            double w = i < 20000 ? (double)(i - 10000)
                     : i < 40000 ? (double)((int64_t)(x >> 20) % 9000000)
                     : ldexp((double)(int64_t)(x >> 1), -(i % 60));
            if (i >= 40000)
                w = trunc(w);
            double vs[] = { w, nextafter(w, HUGE_VAL), nextafter(w, -HUGE_VAL),
                            -w, 0.0, -0.0, NAN, HUGE_VAL, -HUGE_VAL,
                            4e6, -4e6, nextafter(4e6, 0), 3999999.0,
                            3999999.9999995 };
            for (size_t j = 0; j < sizeof vs / sizeof vs[0]; j++) {
                double got = cs_dose_banded(c, vs[j]), want = banded_brute(c, vs[j]);
                if (memcmp(&got, &want, sizeof got) != 0)
                    fail_msg("cuts %zu, v %.17g: %.17g, expected %.17g", k,
                             vs[j], got, want);
                checked++;
            }
        }
    }
    assert_true(checked > 3000000);
}

/* One generated session for test_add_rows: its participant's id (the
 * number p written at the end of len bytes, or at their start when
 * front), outcome, exposures. */
typedef struct rows_session {
    char id[24];
    signed char factor[CS_F_N];
    cs_agg_more more;
    cs_acc_row row;
} rows_session;

static void rows_make(rows_session *s, int p, size_t len, int front,
                      int wave)
{
    static const int idlen[] = { 1, 3, 5, 7, 8, 9, 12, 16, 17, 20 };
    char num[24];
    int k = snprintf(num, sizeof num, "%d", p);

    if (len == 0)
        len = (size_t)idlen[(unsigned)p % 10];
    if (len < (size_t)k)
        len = (size_t)k;
    memset(s->id, 'Q', len);
    memcpy(s->id + (front ? 0 : len - (size_t)k), num, (size_t)k);
    s->id[len] = '\0';
    for (int f = 0; f < CS_F_N; f++)
        s->factor[f] = (signed char)((int)(next() % 3) - 1);
    for (int e = 0; e < CS_DOSE_N; e++)
        s->more.dose[e] = next() % 11 == 0 ? NAN
                        : next() % 13 == 0 ? -5
                        : (double)(next() % 5000) / 4.0 - 10;
    /* calcium and potassium from the participant's wave: repeating */
    s->more.dose[CS_DOSE_CALCIUM] = wave % 5 == 4 ? NAN : 300.0 * (wave % 5);
    s->more.dose[CS_DOSE_POTASSIUM] = 700.0 * (wave % 7);
    s->more.day = 19700 + (int32_t)(next() % 400);
    s->more.has_day = next() % 30 != 0;
    s->row = (cs_acc_row){ s->factor, next() % 17 == 0 ? -1 : (int)(next() % 3 == 0),
                           1000 + next() % 90000, str(""), str(""),
                           str(s->id), next() % 23 == 0 ? NULL : &s->more,
                           NAN, 0, 0 };
}

/* The whole state's text (every accumulator, finished). */
static void rows_state(cs_agg *a, cs_buf *b)
{
    cs_error err = {0};

    assert_int_equal(cs_agg_finish(a, &err), 0);
    cs_buf_reset(b);
    assert_int_equal(cs_agg_write_partial(a, b, &err), 0);
}

/* The dose accumulator's rows a chunk at a time (rows_tabled, with the
 * current participant's id held across rows) against the
 * same rows one at a time: the same state, byte for byte, for grouped
 * and interleaved participants, ids of 1 to 20 bytes (8 to 16 compared
 * by two words), rows of unknown outcome or with no exposures, waves
 * changing within a participant, chunks of 1 to 64 rows, states written
 * between chunks, with and without the participants kept and with bands
 * not tabled. A third state takes the same chunks with each row's
 * participant numbered (cs_acc_row.who, as the chain numbers them), so
 * that the cluster and dose tables find participants met again by the
 * number: the same state again, also where every accumulator is
 * finished half way (which puts the participants in id order, so that
 * the numbers must be looked up anew). Then a row that fails (a
 * participant's count past 32 bits) in the middle of a chunk: the same
 * error and dose state. */
static void test_add_rows(void **state)
{
    enum { S = 6000 };
    static rows_session ss[S];
    static cs_acc_row rows[S], numbered[S];
    cs_rules r;
    cs_error err = {0};
    cs_buf b1, b2;
    (void)state;
    cs_buf_init(&b1, 0);
    cs_buf_init(&b2, 0);
    for (int variant = 0; variant < 4; variant++) {
        cs_rules_default(&r);
        if (variant == 2)           /* a cut that is not whole: no tables */
            r.dose[CS_DOSE_FLUID].cut[1] = 199.5;
        cs_acc_opts o = { &r, NULL, NULL, 1, variant != 3, 0, 0 };
        cs_agg one, many, num;
        cs_buf b3;
        int p = 0, wave = 0;
        size_t len = 0;
        for (int i = 0; i < S; i++) {
            int mode = (i / 700) % 3;   /* grouped, interleaved, by twos */
            if (mode == 0 ? next() % 20 == 0
                : mode == 1 ? 1 : i % 2 == 0) {
                p = mode == 0 ? p + 1 : (int)(next() % 40);
                /* ids of 8 to 16 bytes, differing only in their first
                 * or their last 8 */
                len = variant == 1 ? 8 + (size_t)(p % 9) : 0;
                wave = (int)(next() % 35);
            }
            if (next() % 9 == 0)
                wave = (int)(next() % 35);
            rows_make(&ss[i], p, len, variant == 1 && p % 2, wave);
            rows[i] = numbered[i] = ss[i].row;
            numbered[i].who = (uint32_t)p + 1;   /* p's id is p's alone */
        }
        cs_buf_init(&b3, 0);
        assert_int_equal(cs_agg_open(&one, &o, &err), 0);
        assert_int_equal(cs_agg_open(&many, &o, &err), 0);
        assert_int_equal(cs_agg_open(&num, &o, &err), 0);
        assert_int_equal(!!many.dose.people, variant != 3);
        for (int i = 0; i < S;) {
            int k = 1 + (int)(next() % 64);
            if (k > S - i)
                k = S - i;
            for (int j = i; j < i + k; j++) {
                cs_acc_row row = ss[j].row;
                assert_int_equal(cs_agg_add_row(&one, &row, &err), 0);
            }
            assert_int_equal(cs_agg_add_rows(&many, &rows[i], (size_t)k,
                                             &err), 0);
            assert_int_equal(cs_agg_add_rows(&num, &numbered[i], (size_t)k,
                                             &err), 0);
            i += k;
            if (next() % 25 == 0) {  /* written half way: settles */
                cs_buf_reset(&b1);
                cs_buf_reset(&b2);
                cs_buf_reset(&b3);
                assert_int_equal(cs_dose_write(&one.dose, &b1), 0);
                assert_int_equal(cs_dose_write(&many.dose, &b2), 0);
                assert_int_equal(cs_dose_write(&num.dose, &b3), 0);
                assert_int_equal(b1.len, b2.len);
                assert_memory_equal(b1.ptr, b2.ptr, b1.len);
                assert_int_equal(b1.len, b3.len);
                assert_memory_equal(b1.ptr, b3.ptr, b1.len);
            }
            if (i > S / 2 && i - k <= S / 2) {   /* finished half way */
                rows_state(&one, &b1);
                rows_state(&many, &b2);
                rows_state(&num, &b3);
                assert_int_equal(b1.len, b2.len);
                assert_memory_equal(b1.ptr, b2.ptr, b1.len);
                assert_int_equal(b1.len, b3.len);
                assert_memory_equal(b1.ptr, b3.ptr, b1.len);
            }
        }
        rows_state(&one, &b1);
        rows_state(&many, &b2);
        rows_state(&num, &b3);
        assert_int_equal(b1.len, b3.len);
        assert_memory_equal(b1.ptr, b3.ptr, b1.len);
        assert_true(one.dose.e[CS_DOSE_RPE].missing > 0);
        assert_true(one.dose.e[CS_DOSE_RPE].below > 0);
        assert_true(cs_dose_participants(&one.dose) > 40 || variant == 3);
        assert_int_equal(b1.len, b2.len);
        assert_memory_equal(b1.ptr, b2.ptr, b1.len);
        cs_agg_dispose(&one);
        cs_agg_dispose(&many);
        cs_agg_dispose(&num);
        cs_buf_dispose(&b3);
    }

    /* P1 has 2^32 - 1 sessions in intensity's first band, read from a
     * state; two more rows of it go in that band, then P2's row settles
     * P1: its count overflows. Rows before and after are others'. */
    cs_rules_default(&r);
    cs_acc_opts o = { &r, NULL, NULL, 1, 1, 0, 0 };
    static const char *const ids[] = { "P0", "P0", "P1", "P1", "P2", "P3" };
    rows_session fs[6];
    cs_acc_row frows[6];
    cs_agg g[3];
    cs_error e[3] = { {0}, {0}, {0} };
    const cs_acc_kind *kind = cs_acc_registry[cs_acc_find(str("dose"))];
    char why[200];
    size_t added = 0;
    for (int k = 0; k < 6; k++) {
        rows_make(&fs[k], 0, 0, 0, 1);
        fs[k].row.participant = str(ids[k]);
        fs[k].row.outcome = 1;
        fs[k].row.more = &fs[k].more;
        fs[k].more.dose[CS_DOSE_RPE] = 2;
        frows[k] = fs[k].row;
    }
    for (int k = 0; k < 3; k++) {
        assert_int_equal(cs_agg_open(&g[k], &o, &err), 0);
        assert_int_equal(cs_dose_read_line(&g[k].dose, str("dp"),
                                           str(":P1 1.1:4294967294:0"),
                                           why, sizeof why), 0);
    }
    while (added < 6) {
        cs_acc_row row = fs[added].row;
        if (cs_agg_add_row(&g[0], &row, &e[0]) < 0)
            break;
        added++;
    }
    assert_int_equal(added, 4);
    assert_int_equal(cs_agg_add_rows(&g[1], frows, 6, &e[1]), CS_EDATA);
    assert_int_equal(kind->add_rows(&g[2], frows, 6, &e[2]), 4);
    assert_string_equal(e[0].msg, e[2].msg);
    assert_int_equal(e[0].code, CS_EDATA);
    assert_int_equal(e[1].code, CS_EDATA);
    assert_string_equal(e[0].msg, e[1].msg);
    assert_non_null(strstr(e[1].msg, "\"P1\""));
    cs_buf_reset(&b1);
    cs_buf_reset(&b2);
    assert_int_equal(cs_dose_write(&g[0].dose, &b1), 0);
    assert_int_equal(cs_dose_write(&g[1].dose, &b2), 0);
    assert_int_equal(b1.len, b2.len);
    assert_memory_equal(b1.ptr, b2.ptr, b1.len);
    for (int k = 0; k < 3; k++)
        cs_agg_dispose(&g[k]);
    cs_buf_dispose(&b1);
    cs_buf_dispose(&b2);
}

/* One row of participant id, numbered who (cs_acc_row.who), for
 * test_numbered_hand_over. */
static void add_numbered_row(cs_agg *a, const char *id, uint32_t who,
                             int outcome)
{
    static signed char fl[CS_F_N];
    static cs_agg_more mo = { { 5, 30, 100, 5, 40, 300, 700 }, 19800, 1 };
    cs_error err = {0};
    cs_acc_row r = { fl, outcome, 60000, str(""), str(""), str(id), &mo,
                     NAN, 0, who };

    assert_int_equal(cs_agg_add_rows(a, &r, 1, &err), 0);
}

/* A table's map of the rows' numbers belongs to the rows that filled it.
 * One run numbers A01 ... A09 from 1 (each met twice, so that the table
 * is built and the map filled). Then (how) it is finished, its
 * participants already in order, and an empty accumulator takes it
 * over; or it is taken over unfinished; or it is finished and goes on.
 * Rows numbered 1 to 9 again, but for B01 ... B09, as another survey's
 * numbering would, go to the accumulator that has the table: 18
 * participants, and the state of the same rows with no numbers (mode 0).
 * Mode 2: numbers far past the participants (50 million up), not kept
 * (the map stays small: it would take 256 MB), the same state. */
static void numbered_run(int mode, int how, cs_buf *b, size_t *people,
                         size_t *bytes)
{
    cs_rules r;
    cs_error err = {0};
    cs_agg p1, into;
    char id[16];

    cs_rules_default(&r);
    cs_acc_opts o = { &r, NULL, NULL, 1, 1, 0, 0 };
    assert_int_equal(cs_agg_open(&p1, &o, &err), 0);
    assert_int_equal(cs_agg_open(&into, &o, &err), 0);
    for (int round = 0; round < 2; round++)
        for (uint32_t i = 1; i <= 9; i++) {
            snprintf(id, sizeof id, "A%02u", (unsigned)i);
            add_numbered_row(&p1, id, mode == 1 ? i
                                      : mode == 2 ? 50000000 + i : 0,
                             round);
        }
    if (how != 1)
        assert_int_equal(cs_agg_finish(&p1, &err), 0);
    if (how != 2)
        assert_int_equal(cs_agg_merge_move(&into, &p1, &err), 0);
    cs_agg *has = how == 2 ? &p1 : &into;
    for (uint32_t i = 1; i <= 9; i++) {
        snprintf(id, sizeof id, "B%02u", (unsigned)i);
        add_numbered_row(has, id, mode == 1 ? i
                                  : mode == 2 ? 60000000 + i : 0, 1);
    }
    *bytes = cs_clu_bytes(has->clu);
    rows_state(has, b);
    *people = cs_clu_participants(has->clu);
    assert_int_equal(cs_dose_participants(&has->dose), *people);
    cs_agg_dispose(&p1);
    cs_agg_dispose(&into);
}

static void test_numbered_hand_over(void **state)
{
    cs_buf want, got;
    size_t people, bytes0, bytes;
    (void)state;

    cs_buf_init(&want, 0);
    cs_buf_init(&got, 0);
    for (int how = 0; how < 3; how++) {
        numbered_run(0, how, &want, &people, &bytes0);
        assert_int_equal(people, 18);
        for (int mode = 1; mode <= 2; mode++) {
            numbered_run(mode, how, &got, &people, &bytes);
            assert_int_equal(people, 18);
            assert_int_equal(got.len, want.len);
            assert_memory_equal(got.ptr, want.ptr, want.len);
            /* numbers kept or not, the map is at most its first 4 KiB */
            assert_true(bytes <= bytes0 + 4096);
        }
    }
    cs_buf_dispose(&want);
    cs_buf_dispose(&got);
}

/* The band of v among c's cuts counted one by one, as the rules define
 * it: the number of bounds v reaches, -1 below the first, -2 NaN. */
static int band_recount(const cs_dose_cuts *c, double v)
{
    int b = -1;

    if (isnan(v))
        return -2;
    for (int i = 0; i < c->n; i++)
        if (v >= c->cut[i])
            b = i;
    return b;
}

/* cs_dose_add bands a value with four fixed comparisons and counts any
 * cut past the fifth apart (band_fast), and settles a participant met
 * for the first time straight from the bands (catch_up_new): against a
 * recount, for 1 to 12 cuts (the first -inf or not), values on the cuts,
 * a rounding either side of them, NaN, infinite and below the bands,
 * participants of one session and of runs, coming back, split between
 * two states (shards cut inside a participant) merged, and states written
 * half way; calcium and potassium mostly repeating (their runs); whole
 * cuts (the tables, on and past their largest). The bands' counts, missing and below, and each participant's
 * counts ("dp" lines) must be the recount's. */
static void test_bands_any_cuts(void **state)
{
    enum { P = 24, S = 3000, KEYS = CS_DOSE_N * 16 };
    static uint64_t n[P][KEYS], y[P][KEYS], bn[KEYS], by[KEYS], bm[KEYS];
    uint64_t miss[CS_DOSE_N], below[CS_DOSE_N];
    cs_error err = {0};
    cs_buf b, want;
    char id[16];
    uint64_t x = 12345;
    (void)state;
    cs_buf_init(&b, 0);
    cs_buf_init(&want, 0);
    for (int round = 0; round < 24; round++) {
        cs_rules r;
        cs_dose d[2];
        int seen[P] = { 0 }, p = 0, into = 0, left = 0;
        cs_rules_default(&r);
        memset(n, 0, sizeof n);
        memset(y, 0, sizeof y);
        memset(bn, 0, sizeof bn);
        memset(by, 0, sizeof by);
        memset(bm, 0, sizeof bm);
        memset(miss, 0, sizeof miss);
        memset(below, 0, sizeof below);
        for (int e = 0; e < CS_DOSE_N; e++) {
            cs_dose_cuts *c = &r.dose[e];
            memset(c, 0, sizeof *c);
            /* every count of cuts, 4 to 6 (either side of band_fast's
             * four) and 12 most; in some rounds at most five for every
             * exposure (cs_dose_add's narrow path), or at most six */
            c->n = round % 4 == 2 ? (round + e) % 5 + 1
                 : round % 4 == 3 ? (round + e) % 6 + 1
                 : (round * CS_DOSE_N + e) % CS_DOSE_MAXBANDS + 1;
            for (int i = 0; i < c->n; i++)
                c->cut[i] = -7.5 + 2.25 * i;
            if ((round + e) % 3 == 0)
                c->cut[0] = -HUGE_VAL;
            if (round % 4 == 1) {
                /* whole cuts from 1 on, the first 0 or more (the tables of
                 * cs_dose_add; the heat index's first -inf or not), the
                 * last the table's 1023 in some rounds, or past it, 1024 */
                c->n = (round + e) % 5 + 1;
                for (int i = 0; i < c->n; i++)
                    c->cut[i] = i ? 1 + 3 * (i - 1) + (round + e) % 2 : 0;
                if (round % 8 == 5)
                    c->cut[0] = (round + e) % 3 == 0 ? 0.5 : 1;
                if (e == CS_DOSE_HEAT && round % 8 == 1)
                    c->cut[0] = -HUGE_VAL;
                if (e == CS_DOSE_RPE && round == 9)   /* not tabled */
                    c->cut[0] = -3;
                if (c->n > 1 && round % 8 == 5)
                    c->cut[c->n - 1] = e == CS_DOSE_WARMUP && round == 21
                                       ? 1024 : 1023;
            }
            c->reference = c->n - 1;
        }
        for (int k = 0; k < 2; k++) {
            clustered(&d[k], &r);
        }
        double v[CS_DOSE_N] = { 0 };
        for (int i = 0; i < S; i++) {
            double last[CS_DOSE_N];
            memcpy(last, v, sizeof last);
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            int fresh = i == 0 || (x >> 36) % 8 == 0;
            if (left == 0) {                 /* a new run */
                p = (int)((x >> 33) % P);
                left = (x >> 40) % 4 == 0 ? 1 : (int)((x >> 42) % 6) + 1;
            }
            left--;
            if ((x >> 50) % 13 == 0)         /* the other shard */
                into = !into;
            int outcome = (int)((x >> 24) & 1);
            uint64_t mmin = (x >> 8) % 100000;
            for (int e = 0; e < CS_DOSE_N; e++) {
                const cs_dose_cuts *c = &r.dose[e];
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                double on = c->cut[(x >> 20) % (uint64_t)c->n];
                if (isinf(on))
                    on = -7.5;
                switch ((x >> 59) % 8) {
                case 0: v[e] = NAN; break;
                case 1: v[e] = (x >> 30) & 1 ? -HUGE_VAL : HUGE_VAL; break;
                case 2: v[e] = (x >> 30) % 4 == 0 ? on + 0.5 : on; break;
                case 3: v[e] = nextafter(on, -HUGE_VAL); break;
                case 4: v[e] = nextafter(on, HUGE_VAL); break;
                case 5: v[e] = (x >> 30) % 4 == 0 ? 1e300 : -20; break;
                default: v[e] = (double)((x >> 24) % 4000) / 100.0 - 10; break;
                }
                /* calcium and potassium, from the survey, mostly repeat
                 * (cs_dose_add's runs), in some rounds one of them only */
                if (e >= CS_DOSE_CALCIUM && !fresh &&
                    (round % 3 != 1 || e == CS_DOSE_CALCIUM ||
                     (x >> 10) % 4 != 0))
                    v[e] = last[e];
                int band = band_recount(c, v[e]);
                if (band == -2)
                    miss[e]++;
                else if (band == -1)
                    below[e]++;
                else {
                    n[p][e * 16 + band]++;
                    y[p][e * 16 + band] += (uint64_t)outcome;
                    bn[e * 16 + band]++;
                    by[e * 16 + band] += (uint64_t)outcome;
                    bm[e * 16 + band] += mmin;
                }
            }
            snprintf(id, sizeof id, "P%02d", p);
            seen[p] = 1;
            assert_int_equal(cs_dose_add(&d[into], v, outcome, mmin,
                                         str(id), &err), 0);
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            if ((x >> 57) == 0) {            /* written half way */
                cs_buf_reset(&b);
                assert_int_equal(cs_dose_write(&d[(x >> 40) & 1], &b), 0);
            }
        }
        /* the shards merged, either way round */
        int to = round & 1;
        assert_int_equal(cs_dose_merge(&d[to], &d[!to], &err), CS_OK);
        assert_int_equal(cs_dose_finish(&d[to], &err), CS_OK);
        for (int e = 0; e < CS_DOSE_N; e++) {
            const cs_dose_exp *xe = &d[to].e[e];
            assert_int_equal(xe->missing, miss[e]);
            assert_int_equal(xe->below, below[e]);
            for (int k = 0; k < xe->cuts.n; k++) {
                assert_int_equal(xe->band[k].sessions, bn[e * 16 + k]);
                assert_int_equal(xe->band[k].cases, by[e * 16 + k]);
                assert_int_equal(xe->band[k].mmin, bm[e * 16 + k]);
            }
        }
        cs_buf_reset(&b);
        assert_int_equal(cs_dose_write(&d[to], &b), 0);
        assert_int_equal(cs_buf_putc(&b, '\0'), 0);
        cs_buf_reset(&want);
        for (int q = 0; q < P; q++) {
            if (!seen[q])
                continue;
            snprintf(id, sizeof id, "P%02d", q);
            want_dp(&want, id, n[q], y[q], KEYS, 1, 16);
        }
        assert_dp_lines(&b, &want);
        cs_dose_dispose(&d[0]);
        cs_dose_dispose(&d[1]);
    }
    cs_buf_dispose(&b);
    cs_buf_dispose(&want);
}

static int32_t day_of(const char *s)
{
    cs_datetime t;
    const char *why;
    assert_int_equal(cs_parse_date(str(s), &t, &why), 0);
    return cs_days_from_civil(t.year, t.month, t.day);
}

/* cs_period_add and cs_period_merge against a list searched from end
 * to end: days in runs (a participant's sessions), days from all over a
 * range wider than the dense table (and a few far apart, which only the
 * hash holds), factors known and not; the records, sorted by day, agree
 * count for count, added in one state and merged from two. */
typedef struct brute_day {
    int32_t day;
    uint64_t sessions, cases, mmin, exposed[CS_F_MAIN_N], known[CS_F_MAIN_N];
} brute_day;

static int cmp_brute(const void *x, const void *y)
{
    int32_t a = ((const brute_day *)x)->day, b = ((const brute_day *)y)->day;
    return (a > b) - (a < b);
}

static void check_brute(const cs_period *p, brute_day *bd, size_t nb)
{
    qsort(bd, nb, sizeof *bd, cmp_brute);
    assert_int_equal(p->n, nb);
    for (size_t i = 0; i < nb; i++) {
        assert_int_equal(p->d[i].day, bd[i].day);
        assert_int_equal(p->d[i].sessions, bd[i].sessions);
        assert_int_equal(p->d[i].cases, bd[i].cases);
        assert_int_equal(p->d[i].mmin, bd[i].mmin);
        for (int f = 0; f < CS_F_MAIN_N; f++) {
            assert_int_equal(p->d[i].exposed[f], bd[i].exposed[f]);
            assert_int_equal(p->d[i].known[f], bd[i].known[f]);
        }
    }
}

static void test_period_brute(void **state)
{
    enum { ROWS = 60000, MAXDAYS = 20000 };
    static brute_day bd[MAXDAYS];
    cs_period all, half[2];
    cs_error err = {0};
    size_t nb = 0;
    int32_t day = 0;
    (void)state;
    cs_period_init(&all);
    cs_period_init(&half[0]);
    cs_period_init(&half[1]);
    for (int r = 0; r < ROWS; r++) {
        signed char fl[CS_F_N];
        uint64_t u = next(), mmin = next() % 200000;
        int outcome = (int)(next() % 2), has_day = next() % 50 != 0;
        size_t i;
        switch (u % 8) {
        case 0: day = 19000 + (int32_t)(next() % 400); break;
        case 1: day = (int32_t)(next() % 150000); break;   /* wider than the table */
        case 2: day = (int32_t)(next() % 8) * 250000000; break;   /* far apart */
        case 3: day = 19500 - (int32_t)(next() % 3000); break;
        default: day += (int32_t)(next() % 3); break;      /* a run */
        }
        for (int f = 0; f < CS_F_N; f++)
            fl[f] = (signed char)((int)(next() % 3) - 1);
        assert_int_equal(cs_period_add(&all, has_day, day, fl, outcome, mmin, &err), 0);
        assert_int_equal(cs_period_add(&half[r % 3 == 0], has_day, day, fl,
                                       outcome, mmin, &err), 0);
        if (!has_day)
            continue;
        for (i = 0; i < nb && bd[i].day != day; i++)
            ;
        if (i == nb) {
            assert_true(nb < MAXDAYS);
            memset(&bd[nb++], 0, sizeof bd[0]);
            bd[i].day = day;
        }
        bd[i].sessions++;
        bd[i].cases += (uint64_t)outcome;
        bd[i].mmin += mmin;
        for (int f = 0; f < CS_F_MAIN_N; f++)
            if (fl[f] == 1)
                bd[i].exposed[f]++, bd[i].known[f]++;
            else if (fl[f] == 0)
                bd[i].known[f]++;
    }
    assert_int_equal(cs_period_finish(&all), 0);
    check_brute(&all, bd, nb);
    /* merged into a finished state, then into an empty one */
    assert_int_equal(cs_period_finish(&half[0]), 0);
    assert_int_equal(cs_period_merge(&half[0], &half[1], &err), 0);
    assert_int_equal(cs_period_finish(&half[0]), 0);
    check_brute(&half[0], bd, nb);
    assert_int_equal(all.undated, half[0].undated);
    cs_period_dispose(&all);
    cs_period_dispose(&half[0]);
    cs_period_dispose(&half[1]);
}

static void test_periods(void **state)
{
    cs_period p;
    cs_error err = {0};
    signed char fl[CS_F_N];
    cs_period_row *rows;
    size_t n;
    (void)state;
    /* ISO weeks start on Monday: 2024-05-06 was one */
    assert_int_equal(cs_period_start(CS_PERIOD_WEEK, day_of("2024-05-06")), day_of("2024-05-06"));
    assert_int_equal(cs_period_start(CS_PERIOD_WEEK, day_of("2024-05-12")), day_of("2024-05-06"));
    assert_int_equal(cs_period_start(CS_PERIOD_WEEK, day_of("2024-05-13")), day_of("2024-05-13"));
    assert_int_equal(cs_period_start(CS_PERIOD_WEEK, day_of("2025-01-01")), day_of("2024-12-30"));
    assert_int_equal(cs_period_start(CS_PERIOD_WEEK, day_of("1969-12-31")), day_of("1969-12-29"));
    assert_int_equal(cs_period_start(CS_PERIOD_MONTH, day_of("2024-02-29")), day_of("2024-02-01"));

    cs_period_init(&p);
    memset(fl, 0, sizeof fl);
    /* Sunday 2024-05-12: 2 sessions of 60 min, 1 case, heat exposed in
     * one; Monday 2024-05-13: 1 session of 30 min, heat unknown;
     * 2024-06-01: 1 session of 120 min, 1 case. */
    fl[CS_F_HEAT] = 1;
    assert_int_equal(cs_period_add(&p, 1, day_of("2024-05-12"), fl, 1, 60000, &err), 0);
    fl[CS_F_HEAT] = 0;
    assert_int_equal(cs_period_add(&p, 1, day_of("2024-05-12"), fl, 0, 60000, &err), 0);
    fl[CS_F_HEAT] = -1;
    assert_int_equal(cs_period_add(&p, 1, day_of("2024-05-13"), fl, 0, 30000, &err), 0);
    fl[CS_F_HEAT] = 0;
    assert_int_equal(cs_period_add(&p, 1, day_of("2024-06-01"), fl, 1, 120000, &err), 0);
    assert_int_equal(cs_period_add(&p, 0, 0, fl, 1, 120000, &err), 0);
    assert_int_equal(p.undated, 1);
    /* a day before the others, added last, is sorted first by finish */
    assert_int_equal(cs_period_add(&p, 1, day_of("2024-04-30"), fl, 0, 60000, &err), 0);
    assert_int_equal(cs_period_finish(&p), 0);
    assert_int_equal(p.d[0].day, day_of("2024-04-30"));
    assert_int_equal(p.d[3].day, day_of("2024-06-01"));
    {
        cs_buf t;
        cs_buf_init(&t, 0);
        assert_int_equal(cs_period_write(&p, &t), 0);
        t.ptr[t.len] = '\0';
        assert_string_equal(t.ptr, "undated 1\n"
            "day 2024-04-30 1 0 60000 0/1 0/1 0/1 0/1 0/1 0/1\n"
            "day 2024-05-12 2 1 120000 0/2 0/2 1/2 0/2 0/2 0/2\n"
            "day 2024-05-13 1 0 30000 0/1 0/1 0/0 0/1 0/1 0/1\n"
            "day 2024-06-01 1 1 120000 0/1 0/1 0/1 0/1 0/1 0/1\n");
        cs_buf_dispose(&t);
    }

    assert_int_equal(cs_period_rows(&p, CS_PERIOD_MONTH, 0.95, &rows, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(rows[0].start, day_of("2024-04-01"));
    memmove(rows, rows + 1, 2 * sizeof *rows);   /* April checked above */
    assert_int_equal(rows[0].start, day_of("2024-05-01"));
    assert_int_equal(rows[0].sessions, 3);
    assert_int_equal(rows[0].cases, 1);
    assert_near(rows[0].hours, 2.5, 1e-12);
    assert_near(rows[0].rate.est, 400, 1e-9);
    assert_near(rows[0].exposed_share[CS_F_HEAT], 0.5, 0);
    assert_near(rows[0].exposed_share[CS_F_FATIGUE], 0, 0);
    assert_int_equal(rows[1].start, day_of("2024-06-01"));
    assert_near(rows[1].rate.est, 500, 1e-9);
    free(rows);

    assert_int_equal(cs_period_rows(&p, CS_PERIOD_WEEK, 0.95, &rows, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(rows[0].start, day_of("2024-04-29"));
    memmove(rows, rows + 1, 3 * sizeof *rows);
    assert_int_equal(rows[0].start, day_of("2024-05-06"));
    assert_int_equal(rows[0].sessions, 2);
    assert_near(rows[0].exposed_share[CS_F_HEAT], 0.5, 0);
    assert_int_equal(rows[1].start, day_of("2024-05-13"));
    assert_true(isnan(rows[1].exposed_share[CS_F_HEAT]));
    assert_near(rows[1].rate.est, 0, 0);
    /* exact Poisson, 0 cases in 0.5 h: upper = chi2_0.975(2) / 2 / 0.5 * 1000
     * = -ln(0.025) / 0.5 * 1000 */
    assert_near(rows[1].rate.hi, -log(0.025) / 0.5 * 1000, 1e-9);
    assert_int_equal(rows[2].start, day_of("2024-05-27"));
    free(rows);
    cs_period_dispose(&p);
}

/* The rules keys: errors name file:line:col of the offending bound. */
static void test_rules_keys(void **state)
{
    cs_rules r;
    cs_error err = {0};
    cs_buf b;
    (void)state;
    cs_rules_default(&r);
    const char *ok = "dose.intensity_rpe = 1, 5, 8\n"
                     "dose.intensity_rpe.reference = 2\n"
                     "dose.heat_index_c = -inf,30\n";
    assert_int_equal(cs_rules_parse(&r, "t.rules", ok, strlen(ok), &err), 0);
    assert_int_equal(r.dose[CS_DOSE_RPE].n, 3);
    assert_true(r.dose[CS_DOSE_RPE].cut[2] == 8);
    assert_int_equal(r.dose[CS_DOSE_RPE].reference, 1);
    assert_true(isinf(r.dose[CS_DOSE_HEAT].cut[0]));
    /* printed rules load back to the same bands */
    cs_buf_init(&b, 0);
    assert_int_equal(cs_rules_format(&r, &b), 0);
    assert_non_null(strstr(b.ptr, "\ndose.intensity_rpe = 1,5,8\n"));
    assert_non_null(strstr(b.ptr, "\ndose.heat_index_c = -inf,30\n"));
    cs_rules back;
    cs_rules_default(&back);
    assert_int_equal(cs_rules_parse(&back, "p", b.ptr, b.len, &err), 0);
    assert_memory_equal(back.dose, r.dose, sizeof r.dose);
    cs_buf_dispose(&b);

    static const struct { const char *text, *msg; } bad[] = {
        { "x = 1\ndose.warmup_min = 0, 5, 5\n", "t.rules:2:25: dose.warmup_min: 5 does not increase" },
        { "dose.warmup_min = 0,,5\n", "t.rules:1:21: dose.warmup_min: a bound is missing" },
        { "dose.heat_index_c = 20,-inf\n", "t.rules:1:24: dose.heat_index_c: \"-inf\" is not a number" },
        { "dose.intensity_rpe = 0,4\n", "t.rules:1:22: dose.intensity_rpe: 0 is outside 1 ... 10" },
        { "dose.calcium_mg.reference = 5\n", "t.rules:1:29: dose.calcium_mg.reference: the reference band 5 is past the last of 4 bands" },
        { "dose.calcium_mg.reference = 0\n", "t.rules:1:29: dose.calcium_mg.reference: \"0\" is not a band number" },
        { "dose.duration_min = 1,2,3,4,5,6,7,8,9,10,11,12,13\n", "more than 12 bands" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[512];
        cs_rules_default(&r);
        memset(&err, 0, sizeof err);
        if (strncmp(bad[i].text, "x = 1", 5) == 0) {
            /* an unknown key stops first: use a real one on line 1 */
            const char *t = "outcome = any\ndose.warmup_min = 0, 5, 5\n";
            assert_int_equal(cs_rules_parse(&r, "t.rules", t, strlen(t), &err), CS_EPARSE);
        } else {
            assert_int_equal(cs_rules_parse(&r, "t.rules", bad[i].text,
                                            strlen(bad[i].text), &err), CS_EPARSE);
        }
        cs_error_format(&err, line, sizeof line);
        if (!strstr(line, bad[i].msg))
            fail_msg("case %zu: got [%s], want [%s]", i, line, bad[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_band_edges),
        cmocka_unit_test(test_band_twelve),
        cmocka_unit_test(test_interleaved_people),
        cmocka_unit_test(test_met_again),
        cmocka_unit_test(test_trend_against_r),
        cmocka_unit_test(test_trend_edges),
        cmocka_unit_test(test_counts_by_hand),
        cmocka_unit_test(test_robust_against_statsmodels),
        cmocka_unit_test(test_robust_all_exposures),
        cmocka_unit_test(test_banded_as_canonical),
        cmocka_unit_test(test_finish_orders),
        cmocka_unit_test(test_read_id_escapes),
        cmocka_unit_test(test_merge_orders),
        cmocka_unit_test(test_read_refuses),
        cmocka_unit_test(test_participant_counts_32_bits),
        cmocka_unit_test(test_pool_widths),
        cmocka_unit_test(test_live_participants),
        cmocka_unit_test(test_bands_any_cuts),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_robust_brute),
        cmocka_unit_test(test_banded_quick),
        cmocka_unit_test(test_period_brute),
        cmocka_unit_test(test_rules_keys),
        cmocka_unit_test(test_add_rows),
        cmocka_unit_test(test_numbered_hand_over),
        cmocka_unit_test(test_banded_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
