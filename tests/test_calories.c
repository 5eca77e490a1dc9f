/* Tests of src/calories.c: targets of participants worked out by hand,
 * quantiles of small sets against hand values and against GSL itself,
 * merging against a single pass (byte-identical state and report), the
 * cramp link against stats.h, and the parser of untrusted states. */
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
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include "partial_sum.h"

/* cmocka 1.1 has no floating-point assertion; the negated test also
 * fails on NaN. */
#define assert_near(got, want, eps) do {                                  \
        double got_ = (got), want_ = (want);                              \
        if (!(fabs(got_ - want_) <= (eps)))                               \
            fail_msg("%s = %.17g, expected %.17g +- %g", #got, got_,      \
                     want_, (double)(eps));                               \
    } while (0)


/* A state holding the calorie goals alone, written and read through the
 * partial-state module as 'calories --partial' does. */
static int cal_write(const cs_cal *c, cs_buf *b, cs_error *err)
{
    cs_agg st;

    cs_agg_empty(&st);
    st.cal = (cs_cal *)c;
    st.have = 1u << cs_acc_find((cs_str){ "calories", 8 });
    return cs_agg_write_partial(&st, b, err);
}

static int cal_read(cs_cal *c, const char *name, const char *text, size_t len,
                    cs_error *err)
{
    cs_agg st;
    int rc = cs_agg_read_partial(&st, name, text, len, err);

    if (rc < 0)
        return rc;
    if (!st.cal || st.have != 1u << cs_acc_find((cs_str){ "calories", 8 })) {
        cs_agg_dispose(&st);
        return cs_error_set(err, CS_EDATA, "not a calories state");
    }
    *c = *st.cal;              /* the counts move to c */
    free(st.cal);
    free(st.leaf);
    return CS_OK;
}

static cs_wave wave(const char *id, int sex, int age, int ft, int in,
                    double lb, int act, double goal)
{
    cs_wave w;

    memset(&w, 0, sizeof w);
    w.participant_id = (cs_str){ id, strlen(id) };
    w.sex = sex;
    w.age_years = age;
    w.height_ft = ft;
    w.height_in = in;
    w.weight_lb = lb;
    w.activity_level = act;
    w.goal_lb_week = goal;
    w.conditions_known = 1;
    w.calcium_mg = w.potassium_mg = NAN;
    return w;
}

/* ---- targets by hand ------------------------------------------------- */

static const struct {
    const char *name;
    int sex, age, ft, in;
    double lb;
    int act;
    double goal;
    long target;
    int below;
} people[] = {
    /* kg = 130 x 0.45359237 = 58.9670081; cm = 65 x 2.54 = 165.1;
     * BMR = 589.670081 + 1031.875 - 150 - 161 = 1310.545081;
     * TDEE = x 1.55 = 2031.3448756; - 500 = 1531.34 -> 1531 (>= 1200) */
    { "F moderate lose 1", CS_SEX_F, 30, 5, 5, 130, CS_ACT_MODERATE, -1,
      1531, 0 },
    /* kg = 81.6466266; cm = 182.88; BMR = 816.466266 + 1143 - 200 + 5
     * = 1764.466266; x 1.2 = 2117.3595 -> 2117 */
    { "M sedentary maintain", CS_SEX_M, 40, 6, 0, 180, CS_ACT_SEDENTARY, 0,
      2117, 0 },
    /* kg = 54.4310844; cm = 162.56; BMR = 544.310844 + 1016 - 125 - 161
     * = 1274.310844; x 1.9 = 2421.1906; + 1000 = 3421.19 -> 3421 */
    { "F very active gain 2", CS_SEX_F, 25, 5, 4, 120, CS_ACT_VERY_ACTIVE, 2,
      3421, 0 },
    /* kg = 45.359237; cm = 152.4; BMR = 453.59237 + 952.5 - 300 - 161
     * = 945.09237; x 1.2 = 1134.1108; - 1000 = 134.11 -> 134 (< 1200) */
    { "F sedentary lose 2", CS_SEX_F, 60, 5, 0, 100, CS_ACT_SEDENTARY, -2,
      134, 1 },
    /* kg = 68.0388555; cm = 172.72; BMR = 680.388555 + 1079.5 - 250 + 5
     * = 1514.888555; x 1.375 = 2082.9718; - 750 = 1332.97 -> 1333, which
     * is below 1500 for a man (and would not be for a woman) */
    { "M light lose 1.5", CS_SEX_M, 50, 5, 8, 150, CS_ACT_LIGHT, -1.5,
      1333, 1 },
    /* The contract's extremes. kg = 22.6796185; cm = 91.44; BMR =
     * 226.796185 + 571.5 - 550 - 161 = 87.296185; x 1.2 = 104.7554;
     * - 1000 = -895.24 -> -895 */
    { "smallest possible", CS_SEX_F, 110, 3, 0, 50, CS_ACT_SEDENTARY, -2,
      -895, 1 },
    /* kg = 317.5146590; cm = 271.78; BMR = 3175.14659 + 1698.625 - 50 + 5
     * = 4828.77159; x 1.9 = 9174.666; + 1000 = 10174.67 -> 10175 */
    { "largest possible", CS_SEX_M, 10, 8, 11, 700, CS_ACT_VERY_ACTIVE, 2,
      10175, 0 },
    /* kg = 72.5747792; cm = 177.8; BMR = 725.747792 + 1111.25 - 100 + 5
     * = 1741.997792; x 1.725 = 3004.9462; + 250 = 3254.95 -> 3255 */
    { "M active gain 0.5", CS_SEX_M, 20, 5, 10, 160, CS_ACT_ACTIVE, 0.5,
      3255, 0 },
};
#define NPEOPLE (sizeof people / sizeof people[0])

static void test_targets_by_hand(void **state)
{
    cs_cal c;
    cs_error err = {0};
    uint64_t goals[2][CS_GOAL_N] = { { 0 } }, below[2][CS_GOAL_N] = { { 0 } };

    (void)state;
    assert_int_equal(cs_cal_init(&c, CS_CAL_BY_SEX, &err), CS_OK);
    for (size_t i = 0; i < NPEOPLE; i++) {
        cs_wave w = wave(people[i].name, people[i].sex, people[i].age,
                         people[i].ft, people[i].in, people[i].lb,
                         people[i].act, people[i].goal);
        long t = 0;
        int g = cs_goal_index(people[i].goal);
        print_message("case %s\n", people[i].name);
        assert_int_equal(cs_cal_target(&t, &w), CS_OK);
        assert_int_equal(t, people[i].target);
        assert_int_equal(cs_cal_add_participant(&c, &w, &err), CS_OK);
        goals[people[i].sex][g]++;
        below[people[i].sex][g] += (uint64_t)people[i].below;
        /* The participant's target sits in its group and direction. */
        const cs_cal_hist *h =
            &c.group[people[i].sex].target[cs_goal_direction(people[i].goal)];
        assert_true(t >= h->lo && t < h->lo + (long)h->n);
        assert_true(h->count[t - h->lo] >= 1);
    }
    assert_int_equal(c.participants, NPEOPLE);
    for (int s = 0; s < 2; s++)
        for (int g = 0; g < CS_GOAL_N; g++) {
            assert_int_equal(c.group[s].goal[g], goals[s][g]);
            assert_int_equal(c.group[s].below[g], below[s][g]);
        }
    /* Women: 1531 (lose), 3421 (gain), 134 (lose), -895 (lose).
     * Sorted: -895 134 1531 3421; mean = 4191 / 4 = 1047.75;
     * median = (134 + 1531) / 2 = 832.5; below 1200: -895 and 134. */
    cs_cal_summary s;
    assert_int_equal(cs_cal_summary_of(&s, &c, CS_SEX_F, -1), CS_OK);
    assert_int_equal(s.n, 4);
    assert_near(s.mean, 1047.75, 1e-12);
    assert_near(s.p50, 832.5, 1e-12);
    assert_near(s.min, -895, 0);
    assert_near(s.max, 3421, 0);
    assert_int_equal(s.below, 2);
    /* Women losing: -895 134 1531; median 134. */
    assert_int_equal(cs_cal_summary_of(&s, &c, CS_SEX_F, 0), CS_OK);
    assert_int_equal(s.n, 3);
    assert_near(s.p50, 134, 0);
    assert_int_equal(s.below, 2);
    /* Everybody: 8, of whom 3 below. */
    assert_int_equal(cs_cal_summary_of(&s, &c, -1, -1), CS_OK);
    assert_int_equal(s.n, 8);
    assert_int_equal(s.below, 3);
    cs_cal_dispose(&c);
}

static void test_groups(void **state)
{
    cs_wave w = wave("p", CS_SEX_M, 17, 5, 9, 150, CS_ACT_ACTIVE, 0);

    (void)state;
    assert_int_equal(cs_cal_by_parse("sex"), CS_CAL_BY_SEX);
    assert_int_equal(cs_cal_by_parse("age_band"), CS_CAL_BY_AGE_BAND);
    assert_int_equal(cs_cal_by_parse("activity_level"), CS_CAL_BY_ACTIVITY);
    assert_int_equal(cs_cal_by_parse("conditioning"), -1);
    assert_int_equal(cs_cal_ngroups(CS_CAL_BY_SEX), 2);
    assert_int_equal(cs_cal_ngroups(CS_CAL_BY_AGE_BAND), 5);
    assert_string_equal(cs_cal_group_name(CS_CAL_BY_SEX, 1), "M");
    assert_string_equal(cs_cal_group_name(CS_CAL_BY_AGE_BAND, 0), "10-17");
    assert_string_equal(cs_cal_group_name(CS_CAL_BY_ACTIVITY, 4), "very_active");
    assert_null(cs_cal_group_name(CS_CAL_BY_SEX, 2));
    assert_int_equal(cs_cal_group_of(CS_CAL_BY_SEX, &w), CS_SEX_M);
    assert_int_equal(cs_cal_group_of(CS_CAL_BY_AGE_BAND, &w), CS_AGE_10_17);
    w.age_years = 18;
    assert_int_equal(cs_cal_group_of(CS_CAL_BY_AGE_BAND, &w), CS_AGE_18_29);
    assert_int_equal(cs_cal_group_of(CS_CAL_BY_ACTIVITY, &w), CS_ACT_ACTIVE);
    w.age_years = 9;
    assert_int_equal(cs_cal_group_of(CS_CAL_BY_AGE_BAND, &w), -1);
}

static void test_bad_input(void **state)
{
    cs_cal c;
    cs_error err = {0};
    cs_wave w = wave("P42", 7, 30, 5, 5, 130, CS_ACT_MODERATE, -1);
    long t;

    (void)state;
    assert_int_equal(cs_cal_init(&c, 9, &err), CS_EUSAGE);
    cs_error_clear(&err);
    assert_int_equal(cs_cal_init(&c, CS_CAL_BY_SEX, &err), CS_OK);
    /* No sex, an unknown activity level, a goal off the half-pound grid. */
    assert_int_equal(cs_cal_add_participant(&c, &w, &err), CS_EDATA);
    assert_non_null(strstr(err.msg, "\"P42\""));
    cs_error_clear(&err);
    w = wave("p", CS_SEX_F, 30, 5, 5, 130, 5, -1);
    assert_int_equal(cs_cal_target(&t, &w), CS_EDATA);
    w = wave("p", CS_SEX_F, 30, 5, 5, 130, CS_ACT_LIGHT, -0.75);
    assert_int_equal(cs_cal_target(&t, &w), CS_EDATA);
    /* A weight no contract allows: the target is out of range. */
    w = wave("p", CS_SEX_M, 30, 5, 5, 5000, CS_ACT_LIGHT, 0);
    assert_int_equal(cs_cal_target(&t, &w), CS_EDATA);
    w = wave("p", CS_SEX_M, 30, 5, 5, NAN, CS_ACT_LIGHT, 0);
    assert_int_equal(cs_cal_target(&t, &w), CS_EDATA);
    assert_int_equal(c.participants, 0);
    /* Sessions: a goal not among the nine; unknown outcomes counted. */
    assert_int_equal(cs_cal_add_session(&c, 0.25, 1, &err), CS_EDATA);
    assert_non_null(strstr(err.msg, "0.25"));
    cs_error_clear(&err);
    assert_int_equal(cs_cal_add_session(&c, -1, -1, &err), CS_OK);
    assert_int_equal(cs_cal_add_session(&c, -1, 1, &err), CS_OK);
    assert_int_equal(cs_cal_add_session(&c, 0, 0, &err), CS_OK);
    assert_int_equal(c.link[0].unknown, 1);
    assert_int_equal(c.link[0].sessions, 1);
    assert_int_equal(c.link[0].cases, 1);
    assert_int_equal(c.link[1].sessions, 1);
    assert_int_equal(c.link[1].cases, 0);
    cs_cal_dispose(&c);
}

/* ---- quantiles ------------------------------------------------------- */

static const struct {
    const char *name;
    long x[8];
    size_t n;
    double p5, p25, p50, p75, p95, mean, sd;
} qsets[] = {
    /* n = 5, odd: index (n - 1) p = 4p. p5: 0.2 -> 1 + 0.2 (2 - 1) = 1.2;
     * p25: 1 -> 2; p50: 2 -> 3; p75: 3 -> 4; p95: 3.8 -> 4.8.
     * mean 3, sd sqrt(10 / 4) = 1.5811388300841898 */
    { "odd", { 5, 1, 4, 2, 3 }, 5, 1.2, 2, 3, 4, 4.8, 3, 1.5811388300841898 },
    /* n = 4, even: index 3p. p5: 0.15 -> 1.15; p25: 0.75 -> 1.75;
     * p50: 1.5 -> 2.5; p75: 2.25 -> 3.25; p95: 2.85 -> 3.85.
     * mean 2.5, sd sqrt(5 / 3) = 1.2909944487358056 */
    { "even", { 4, 3, 2, 1 }, 4, 1.15, 1.75, 2.5, 3.25, 3.85, 2.5,
      1.2909944487358056 },
    /* Ties 7 7 7 10: p25: 0.75 -> 7; p50: 1.5 -> 7; p75: 2.25 -> 7 + 0.25
     * x 3 = 7.75; p95: 2.85 -> 7 + 0.85 x 3 = 9.55; p5: 7.
     * mean 7.75, sd sqrt((3 x 0.5625 + 5.0625) / 3) = 1.5 */
    { "ties", { 7, 10, 7, 7 }, 4, 7, 7, 7, 7.75, 9.55, 7.75, 1.5 },
    /* One value: every quantile is it; no SD. */
    { "single", { 42 }, 1, 42, 42, 42, 42, 42, 42, NAN },
    /* Negative targets: -895 -10 0 3 (n = 4): p50: 1.5 -> -10 + 0.5 x 10
     * = -5; p25: 0.75 -> -895 + 0.75 x 885 = -231.25; p75: 2.25 -> 0.75;
     * p5: 0.15 -> -895 + 0.15 x 885 = -762.25; p95: 2.85 -> 2.55.
     * mean -225.5; sd: deviations -669.5 215.5 225.5 228.5, squares sum
     * 448230.25 + 46440.25 + 50850.25 + 52212.25 = 597733, / 3 =
     * 199244.333..., sqrt = 446.36793493 */
    { "negative", { 3, -895, 0, -10 }, 4, -762.25, -231.25, -5, 0.75, 2.55,
      -225.5, 446.3679349296198 },
    /* Ties at both ends, n = 6: 1 1 1 9 9 9; index 5p. p25: 1.25 -> 1;
     * p50: 2.5 -> 1 + 0.5 x 8 = 5; p75: 3.75 -> 9; p5: 1; p95: 9. */
    { "two ties", { 9, 1, 9, 1, 9, 1 }, 6, 1, 1, 5, 9, 9, 5,
      4.3817804600413286 },
};

static void test_quantiles_by_hand(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof qsets / sizeof qsets[0]; k++) {
        cs_cal_hist h;
        cs_cal_summary s;
        print_message("case %s\n", qsets[k].name);
        cs_cal_hist_init(&h);
        for (size_t i = 0; i < qsets[k].n; i++)
            assert_int_equal(cs_cal_hist_add(&h, qsets[k].x[i], 1), CS_OK);
        cs_cal_hist_summary(&s, &h);
        assert_int_equal(s.n, qsets[k].n);
        assert_near(s.p5, qsets[k].p5, 1e-9);
        assert_near(s.p25, qsets[k].p25, 1e-9);
        assert_near(s.p50, qsets[k].p50, 1e-9);
        assert_near(s.p75, qsets[k].p75, 1e-9);
        assert_near(s.p95, qsets[k].p95, 1e-9);
        assert_near(s.mean, qsets[k].mean, 1e-9);
        if (isnan(qsets[k].sd))
            assert_true(isnan(s.sd));
        else
            assert_near(s.sd, qsets[k].sd, 1e-9);
        cs_cal_hist_dispose(&h);
    }
}

static void test_quantile_empty(void **state)
{
    cs_cal_hist h;
    cs_cal_summary s;

    (void)state;
    cs_cal_hist_init(&h);
    assert_true(isnan(cs_cal_hist_quantile(&h, 0.5)));
    cs_cal_hist_summary(&s, &h);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean) && isnan(s.min) && isnan(s.p50));
    /* Out-of-range values are refused, the histogram is unchanged. */
    assert_int_equal(cs_cal_hist_add(&h, CS_CAL_KCAL_MAX + 1, 1), CS_EDATA);
    assert_int_equal(cs_cal_hist_add(&h, CS_CAL_KCAL_MIN - 1, 1), CS_EDATA);
    assert_int_equal(cs_cal_hist_add(&h, 5, 0), CS_OK);
    assert_int_equal(h.total, 0);
    assert_int_equal(cs_cal_hist_add(&h, 5, UINT64_MAX), CS_OK);
    assert_int_equal(cs_cal_hist_add(&h, 6, 1), CS_EDATA);
    assert_true(isnan(cs_cal_hist_quantile(&h, 1.5)));
    cs_cal_hist_dispose(&h);
}

/* A small deterministic generator, so that failures reproduce. */
static uint64_t rng = 88172645463325252u;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The histogram gives the same bits as GSL on the sorted expanded data,
 * for every n from 1 to 60 and many levels f, with wide and narrow
 * spreads (many ties). */
static void test_quantiles_against_gsl(void **state)
{
    static const double fs[] = { 0, 0.01, 0.05, 0.1, 0.25, 1.0 / 3, 0.5,
                                 0.6, 2.0 / 3, 0.75, 0.9, 0.95, 0.99, 1 };
    double x[60];

    (void)state;
    for (size_t n = 1; n <= 60; n++)
        for (int spread = 0; spread < 3; spread++) {
            cs_cal_hist h;
            cs_cal_summary s;
            long width = spread == 0 ? 3 : spread == 1 ? 400 : 11000;
            cs_cal_hist_init(&h);
            for (size_t i = 0; i < n; i++) {
                long v = (long)(next_rand() % (uint64_t)width) - 900;
                x[i] = (double)v;
                assert_int_equal(cs_cal_hist_add(&h, v, 1), CS_OK);
            }
            gsl_sort(x, 1, n);
            for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++) {
                double want = gsl_stats_quantile_from_sorted_data(x, 1, n, fs[k]);
                double got = cs_cal_hist_quantile(&h, fs[k]);
                if (got != want)
                    fail_msg("n %zu spread %d f %g: %.17g, GSL %.17g", n,
                             spread, fs[k], got, want);
            }
            cs_cal_hist_summary(&s, &h);
            assert_near(s.mean, gsl_stats_mean(x, 1, n),
                        1e-12 * (1 + fabs(s.mean)));
            if (n > 1)
                assert_near(s.sd, gsl_stats_sd(x, 1, n), 1e-9 * (1 + s.sd));
            assert_near(s.min, gsl_stats_min(x, 1, n), 0);
            assert_near(s.max, gsl_stats_max(x, 1, n), 0);
            cs_cal_hist_dispose(&h);
        }
}

/* ---- merging --------------------------------------------------------- */

static cs_wave random_wave(char *id, size_t cap, unsigned i)
{
    static const double goals[CS_GOAL_N] = { 2, 1.5, 1, 0.5, 0, -0.5, -1,
                                             -1.5, -2 };
    snprintf(id, cap, "P%05u", i);
    return wave(id, (int)(next_rand() % 2), 10 + (int)(next_rand() % 80),
                4 + (int)(next_rand() % 3), (int)(next_rand() % 12),
                80 + (double)(next_rand() % 2200) / 10, (int)(next_rand() % 5),
                goals[next_rand() % CS_GOAL_N]);
}

static char *render(const cs_cal *c, int format)
{
    cs_report_opts o;
    cs_buf b;

    cs_report_opts_init(&o);
    o.format = format;
    cs_buf_init(&b, 0);
    assert_int_equal(cs_cal_render(c, &o, &b, NULL), CS_OK);
    return cs_buf_take(&b, NULL);
}

static char *partial(const cs_cal *c)
{
    cs_buf b;

    cs_buf_init(&b, 0);
    assert_int_equal(cal_write(c, &b, NULL), CS_OK);
    return cs_buf_take(&b, NULL);
}

/* Participants dealt to three shards; the shards merged in two orders
 * (and through their text) equal one pass, byte for byte. */
static void test_merge_equals_single_pass(void **state)
{
    (void)state;
    for (int by = 0; by < CS_CAL_BY_N; by++) {
        cs_cal one, shard[3], m1, m2;
        cs_error err = {0};
        char id[16];
        char *p_one, *p_m1, *p_m2;

        print_message("by %s\n", cs_cal_by_name(by));
        assert_int_equal(cs_cal_init(&one, by, &err), CS_OK);
        assert_int_equal(cs_cal_init(&m1, by, &err), CS_OK);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(cs_cal_init(&shard[k], by, &err), CS_OK);
            shard[k].outcome = CS_OUTCOME_HAMSTRING;   /* as tag made it */
        }
        one.outcome = CS_OUTCOME_HAMSTRING;
        for (unsigned i = 0; i < 1500; i++) {
            cs_wave w = random_wave(id, sizeof id, i);
            int k = (int)(next_rand() % 3);
            assert_int_equal(cs_cal_add_participant(&one, &w, &err), CS_OK);
            assert_int_equal(cs_cal_add_participant(&shard[k], &w, &err), CS_OK);
        }
        for (unsigned i = 0; i < 3000; i++) {
            double goal = 2 - 0.5 * (double)(next_rand() % CS_GOAL_N);
            int out = (int)(next_rand() % 23) == 0 ? 1
                      : (int)(next_rand() % 50) == 0 ? -1 : 0;
            int k = (int)(next_rand() % 3);
            assert_int_equal(cs_cal_add_session(&one, goal, out, &err), CS_OK);
            assert_int_equal(cs_cal_add_session(&shard[k], goal, out, &err), CS_OK);
        }
        /* m1 = 0 + 1 + 2 directly; m2 = 2 + 1 + 0 through the text. */
        for (int k = 0; k < 3; k++)
            assert_int_equal(cs_cal_merge(&m1, &shard[k], &err), CS_OK);
        {
            char *t = partial(&shard[2]);
            assert_int_equal(cal_read(&m2, "s2", t, strlen(t), &err),
                             CS_OK);
            free(t);
            for (int k = 1; k >= 0; k--) {
                cs_cal tmp;
                t = partial(&shard[k]);
                assert_int_equal(cal_read(&tmp, "s", t, strlen(t),
                                                     &err), CS_OK);
                assert_int_equal(cs_cal_merge(&m2, &tmp, &err), CS_OK);
                cs_cal_dispose(&tmp);
                free(t);
            }
        }
        cs_cal_finish(&one);
        cs_cal_finish(&m1);
        cs_cal_finish(&m2);
        p_one = partial(&one);
        p_m1 = partial(&m1);
        p_m2 = partial(&m2);
        assert_string_equal(p_m1, p_one);
        assert_string_equal(p_m2, p_one);
        for (int f = CS_FMT_PRETTY; f <= CS_FMT_MD; f++) {
            char *a = render(&one, f), *b = render(&m1, f), *c = render(&m2, f);
            assert_string_equal(b, a);
            assert_string_equal(c, a);
            free(a);
            free(b);
            free(c);
        }
        /* The text reads back to the same text. */
        {
            cs_cal back;
            char *again;
            assert_int_equal(cal_read(&back, "one", p_one,
                                                 strlen(p_one), &err), CS_OK);
            again = partial(&back);
            assert_string_equal(again, p_one);
            free(again);
            cs_cal_dispose(&back);
        }
        free(p_one);
        free(p_m1);
        free(p_m2);
        cs_cal_dispose(&one);
        cs_cal_dispose(&m1);
        cs_cal_dispose(&m2);
        for (int k = 0; k < 3; k++)
            cs_cal_dispose(&shard[k]);
    }
}

static void test_merge_refused(void **state)
{
    cs_cal a, b;
    cs_error err = {0};

    (void)state;
    assert_int_equal(cs_cal_init(&a, CS_CAL_BY_SEX, &err), CS_OK);
    assert_int_equal(cs_cal_init(&b, CS_CAL_BY_AGE_BAND, &err), CS_OK);
    assert_int_equal(cs_cal_merge(&a, &b, &err), CS_EDATA);
    assert_non_null(strstr(err.msg, "sex vs age_band"));
    cs_cal_dispose(&b);
    cs_error_clear(&err);
    /* Sums past 2^64 - 1 are refused, and a is left as it was. */
    assert_int_equal(cs_cal_init(&b, CS_CAL_BY_SEX, &err), CS_OK);
    a.outcome = b.outcome = CS_OUTCOME_HAMSTRING;
    a.link[1].sessions = UINT64_MAX - 1;
    b.link[1].sessions = 2;
    assert_int_equal(cs_cal_merge(&a, &b, &err), CS_EDATA);
    assert_non_null(strstr(err.msg, "overflows"));
    assert_true(a.link[1].sessions == UINT64_MAX - 1);
    cs_cal_dispose(&a);
    cs_cal_dispose(&b);
}

/* The cramp links of hamstring cramps and of any cramp do not add up: two
 * states with tagged sessions merge only with the same recorded outcome;
 * a state without tagged sessions (a survey's) merges with either, and
 * the merge keeps the outcome of the one that counts sessions. */
static void test_merge_outcome(void **state)
{
    static const struct { int a, b, a_sessions, b_sessions, ok, result; } cases[] = {
        { CS_OUTCOME_HAMSTRING, CS_OUTCOME_HAMSTRING, 1, 1, 1, CS_OUTCOME_HAMSTRING },
        { CS_OUTCOME_ANY, CS_OUTCOME_ANY, 1, 1, 1, CS_OUTCOME_ANY },
        { CS_OUTCOME_HAMSTRING, CS_OUTCOME_ANY, 1, 1, 0, 0 },
        { CS_OUTCOME_ANY, CS_OUTCOME_HAMSTRING, 1, 1, 0, 0 },
        { CS_CAL_OUTCOME_UNKNOWN, CS_OUTCOME_ANY, 1, 1, 0, 0 },
        { CS_CAL_OUTCOME_UNKNOWN, CS_CAL_OUTCOME_UNKNOWN, 1, 1, 0, 0 },
        { CS_CAL_OUTCOME_UNKNOWN, CS_OUTCOME_ANY, 0, 1, 1, CS_OUTCOME_ANY },
        { CS_OUTCOME_HAMSTRING, CS_OUTCOME_ANY, 0, 1, 1, CS_OUTCOME_ANY },
        { CS_OUTCOME_ANY, CS_OUTCOME_HAMSTRING, 1, 0, 1, CS_OUTCOME_ANY },
        { CS_OUTCOME_ANY, CS_CAL_OUTCOME_UNKNOWN, 1, 0, 1, CS_OUTCOME_ANY },
    };
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_cal a, b;
        cs_error err = {0};
        assert_int_equal(cs_cal_init(&a, CS_CAL_BY_SEX, &err), CS_OK);
        assert_int_equal(cs_cal_init(&b, CS_CAL_BY_SEX, &err), CS_OK);
        a.outcome = cases[i].a;
        b.outcome = cases[i].b;
        if (cases[i].a_sessions)
            assert_int_equal(cs_cal_add_session(&a, -1, 1, &err), CS_OK);
        if (cases[i].b_sessions)
            assert_int_equal(cs_cal_add_session(&b, 1, 0, &err), CS_OK);
        print_message("case %zu\n", i);
        if (cases[i].ok) {
            assert_int_equal(cs_cal_merge(&a, &b, &err), CS_OK);
            assert_int_equal(a.outcome, cases[i].result);
        } else {
            assert_int_equal(cs_cal_merge(&a, &b, &err), CS_EDATA);
            assert_non_null(strstr(err.msg, "different outcomes"));
            assert_int_equal(a.link[0].sessions + a.link[2].sessions,
                             (uint64_t)cases[i].a_sessions);
        }
        cs_cal_dispose(&a);
        cs_cal_dispose(&b);
    }
}

/* ---- the cramp link ---------------------------------------------------- */

static void test_link(void **state)
{
    cs_cal c;
    cs_error err = {0};
    cs_cal_link_stats s;
    cs_report_opts o;
    cs_2x2 t = { 2, 8, 2, 18 };
    cs_ci want;

    (void)state;
    cs_report_opts_init(&o);
    assert_int_equal(cs_cal_init(&c, CS_CAL_BY_SEX, &err), CS_OK);
    /* lose: 10 sessions, 2 cases, 1 unknown; maintain: 20, 2 cases. */
    for (int i = 0; i < 10; i++)
        cs_cal_add_session(&c, i < 5 ? -1 : -2, i < 2, &err);
    cs_cal_add_session(&c, -0.5, -1, &err);
    for (int i = 0; i < 20; i++)
        cs_cal_add_session(&c, 0, i < 2, &err);
    cs_cal_link_compute(&s, &c, &o);
    /* Risks 0.2 and 0.1: RR 2, RD 0.1. */
    assert_near(s.risk[0].est, 0.2, 1e-15);
    assert_near(s.risk[1].est, 0.1, 1e-15);
    assert_near(s.rr[0].est, 2, 1e-12);
    assert_near(s.rd[0].est, 0.1, 1e-12);
    assert_memory_equal(&s.t[0], &t, sizeof t);
    /* The same numbers stats.h gives aggregate. */
    cs_stats_rr(&want, &t, 0.95);
    assert_true(s.rr[0].lo == want.lo && s.rr[0].hi == want.hi);
    cs_stats_wilson(&want, 2, 10, 0.95);
    assert_true(s.risk[0].lo == want.lo && s.risk[0].hi == want.hi);
    o.ci = CS_CI_EXACT;
    cs_cal_link_compute(&s, &c, &o);
    cs_stats_clopper_pearson(&want, 2, 10, 0.95);
    assert_true(s.risk[0].lo == want.lo && s.risk[0].hi == want.hi);
    /* No gain sessions: the gain comparison says so. */
    assert_true(isnan(s.rr[1].est));
    assert_true(s.notes[1] & CS_NOTE_NO_EXPOSED);
    cs_cal_dispose(&c);
}

/* Sessions in runs of one goal and changing from goal to goal, valid
 * or not (between the nine, -0, NaN, infinities, beyond 2): each counted
 * under the direction of its goal's sign, each refused goal refused
 * every time, against counts kept here. The first session comes with
 * goal 0, the goal a zeroed state begins with. */
static void test_link_runs(void **state)
{
    static const double goals[] = {
        0, -2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2, -0.0,
        0.25, -2.5, 2.5, 3, 1e300, 0.1
    };
    cs_cal c;
    cs_error err = {0};
    uint64_t sessions[3] = {0}, cases[3] = {0}, unknown[3] = {0};
    uint64_t x = 12345, refused = 0, want_refused = 0;
    double g = 0;

    (void)state;
    assert_int_equal(cs_cal_init(&c, CS_CAL_BY_SEX, &err), CS_OK);
    for (int i = 0; i < 20000; i++) {
        int out, rc, valid, dir;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if ((x >> 60) < 3 || i == 0) {     /* a new goal now and then */
            unsigned k = (unsigned)(x >> 33) % (sizeof goals / sizeof *goals + 3);
            g = k < sizeof goals / sizeof *goals ? goals[k]
              : k == sizeof goals / sizeof *goals ? NAN
              : k == sizeof goals / sizeof *goals + 1 ? INFINITY : -INFINITY;
            if (i == 0)
                g = 0;
        }
        out = (int)((x >> 40) % 3) - 1;
        /* valid: twice the goal a whole number from -4 to 4 */
        valid = g == g && g >= -2 && g <= 2 && 2 * g == (double)(int)(2 * g);
        dir = g < 0 ? 0 : g > 0 ? 2 : 1;
        rc = cs_cal_add_session(&c, g, out, &err);
        if (!valid) {
            want_refused++;
            refused += rc == CS_EDATA;
            cs_error_clear(&err);
            continue;
        }
        assert_int_equal(rc, CS_OK);
        if (out < 0) {
            unknown[dir]++;
        } else {
            sessions[dir]++;
            cases[dir] += out > 0;
        }
    }
    assert_true(want_refused > 1000);
    assert_int_equal(refused, want_refused);
    for (int d = 0; d < 3; d++) {
        assert_true(sessions[d] > 1000);
        assert_int_equal(c.link[d].sessions, sessions[d]);
        assert_int_equal(c.link[d].cases, cases[d]);
        assert_int_equal(c.link[d].unknown, unknown[d]);
    }
    cs_cal_dispose(&c);
}

/* ---- the report ---------------------------------------------------------- */

/* A report over its buffer's cap fails with the cap as the reason, in
 * every format: the buffer keeps its first error, so the renderer needs
 * no check after each append. With the cap one byte short of the report
 * (length L), the append that crosses it ends at L; with the cap at L the
 * report is whole. */
static void test_render_cap(void **state)
{
    static const int formats[] = { CS_FMT_PRETTY, CS_FMT_CSV, CS_FMT_TSV,
                                   CS_FMT_JSON, CS_FMT_MD };
    cs_cal c;
    cs_error err = {0};

    (void)state;
    assert_int_equal(cs_cal_init(&c, CS_CAL_BY_SEX, &err), CS_OK);
    for (size_t i = 0; i < NPEOPLE; i++) {
        cs_wave w = wave("p", people[i].sex, people[i].age, people[i].ft,
                         people[i].in, people[i].lb, people[i].act,
                         people[i].goal);
        assert_int_equal(cs_cal_add_participant(&c, &w, &err), CS_OK);
    }
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        cs_report_opts o;
        cs_buf b;
        char *full = render(&c, formats[f]), want[96];
        size_t len = strlen(full);

        cs_report_opts_init(&o);
        o.format = formats[f];
        cs_buf_init(&b, len - 1);
        memset(&err, 0, sizeof err);
        assert_int_equal(cs_cal_render(&c, &o, &b, &err), CS_ELIMIT);
        snprintf(want, sizeof want, "text over its cap of %zu bytes (%zu "
                 "wanted)", len - 1, len);
        assert_string_equal(err.msg, want);
        assert_memory_equal(b.ptr, full, b.len);
        cs_buf_dispose(&b);

        cs_buf_init(&b, len);
        memset(&err, 0, sizeof err);
        assert_int_equal(cs_cal_render(&c, &o, &b, &err), CS_OK);
        assert_int_equal(b.len, len);
        assert_memory_equal(b.ptr, full, len);
        cs_buf_dispose(&b);

        cs_buf_init(&b, 100);
        memset(&err, 0, sizeof err);
        assert_int_equal(cal_write(&c, &b, &err), CS_ELIMIT);
        assert_non_null(strstr(err.msg, "text over its cap of 100 bytes"));
        cs_buf_dispose(&b);
        free(full);
    }
    cs_cal_dispose(&c);
}

static void test_render_bins(void **state)
{
    cs_cal c;
    cs_error err = {0};
    char *json, *pretty;

    (void)state;
    assert_int_equal(cs_cal_init(&c, CS_CAL_BY_SEX, &err), CS_OK);
    /* Targets -895, 134 and 1531 (F, lose), 1333 (M, lose) and 2117 (M,
     * maintain): bins from -900 to 2200. */
    for (size_t i = 0; i < NPEOPLE; i++)
        if (people[i].target < 3000) {
            cs_wave w = wave("p", people[i].sex, people[i].age, people[i].ft,
                             people[i].in, people[i].lb, people[i].act,
                             people[i].goal);
            assert_int_equal(cs_cal_add_participant(&c, &w, &err), CS_OK);
        }
    json = render(&c, CS_FMT_JSON);
    assert_non_null(strstr(json, "{\"lower\": -900, \"upper\": -800, \"count\": 1, "
                           "\"lose\": 1, \"maintain\": 0, \"gain\": 0}"));
    assert_non_null(strstr(json, "{\"lower\": 1500, \"upper\": 1600, \"count\": 1, "
                           "\"lose\": 1, \"maintain\": 0, \"gain\": 0}"));
    assert_non_null(strstr(json, "{\"lower\": 2100, \"upper\": 2200, \"count\": 1, "
                           "\"lose\": 0, \"maintain\": 1, \"gain\": 0}]}"));
    assert_null(strstr(json, "\"lower\": 2200"));
    assert_null(strstr(json, "\"lower\": -1000"));
    assert_non_null(strstr(json, "{\"group\": \"all\", \"goal\": \"Lose 2 pounds "
                           "per week\", \"lb_per_week\": -2, \"count\": 2, "
                           "\"share\": 0.4, \"below_safe_min\": 2}"));
    /* Every pretty line fits in 80 columns. */
    pretty = render(&c, CS_FMT_PRETTY);
    for (char *p = pretty, *nl; (nl = strchr(p, '\n')); p = nl + 1)
        if (strstr(p, " |") && strstr(p, " |") < nl)
            assert_true(nl - p < 80);
    free(json);
    free(pretty);
    cs_cal_dispose(&c);
}

/* ---- untrusted states ------------------------------------------------ */

#define HEAD "crampstat-partial 3\nsection calories 1\nby sex\ngroups F,M\n" \
             "goals 2,1.5,1,0.5,0,-0.5,-1,-1.5,-2\nkcal -5000 20000\n"
#define LINKS "link lose 10 2 1\nlink maintain 5 0 0\nlink gain 0 0 0\n"
/* Two women: 134 kcal losing 2 (below 1200), 2000 kcal maintaining. */
#define BODY "group F\ngoal 0 1 0\ngoal -2 1 1\ntarget lose 134 1\n" \
             "target maintain 2000 1\ngroup M\nend\n"

static const struct {
    const char *name, *text;
    unsigned long line;
    const char *msg;
} bad_states[] = {
    { "valid", HEAD "participants 2\n" LINKS BODY, 0, NULL },
    { "empty", "", 1, "not a crampstat partial state" },
    { "other version", "crampstat-partial 2 calories\n", 1,
      "unsupported partial state \"crampstat-partial 2 calories\"" },
    { "unknown section", "crampstat-partial 3\nsection calorie 1\n", 2,
      "unknown section \"calorie\"" },
    { "not a state", "participant_id,sex\n", 1, "not a crampstat partial state" },
    { "no newline", "crampstat-partial 3", 1, "truncated" },
    { "bad by", "crampstat-partial 3\nsection calories 1\nby height\n", 3,
      "by is sex, age_band or activity_level" },
    { "groups reordered", "crampstat-partial 3\nsection calories 1\nby sex\ngroups M,F\n",
      4, "group list differs" },
    { "goals differ", "crampstat-partial 3\nsection calories 1\nby sex\ngroups F,M\n"
      "goals 2,1,0,-1,-2\n", 5, "goal list differs" },
    { "kcal range differs", "crampstat-partial 3\nsection calories 1\nby sex\ngroups F,M\n"
      "goals 2,1.5,1,0.5,0,-0.5,-1,-1.5,-2\nkcal 0 20000\n", 6,
      "kcal range differs" },
    { "truncated after range", HEAD, 6, "\"participants\" is missing" },
    { "negative count", HEAD "participants -2\n", 7, "expected a count" },
    { "count overflow", HEAD "participants 18446744073709551616\n", 7,
      "does not fit in 64 bits" },
    { "count with text", HEAD "participants 2 x\n", 7, "text after" },
    { "links out of order", HEAD "participants 2\nlink gain 0 0 0\n", 8,
      "expected the lose link line" },
    { "more cases than sessions", HEAD "participants 2\nlink lose 1 2 0\n", 8,
      "more cases than sessions" },
    { "missing end", HEAD "participants 2\n" LINKS "group F\n", 11,
      "\"end\" is missing" },
    { "text after end", HEAD "participants 2\n" LINKS BODY "x\n", 18,
      "text after \"end\"" },
    { "goal before group", HEAD "participants 2\n" LINKS "goal 0 1 0\n", 11,
      "unexpected line \"goal\"" },
    { "unknown group", HEAD "participants 2\n" LINKS "group X\n", 11,
      "unknown group" },
    { "group twice", HEAD "participants 0\n" LINKS "group F\ngroup F\n", 12,
      "group F appears twice" },
    { "unknown goal", HEAD "participants 2\n" LINKS "group F\ngoal 3 1 0\n", 12,
      "unknown goal" },
    { "goal repeated", HEAD "participants 2\n" LINKS
      "group F\ngoal 0 1 0\ngoal 0 1 0\n", 13, "out of tracker order" },
    { "more below than participants", HEAD "participants 2\n" LINKS
      "group F\ngoal 0 1 2\n", 12, "more below the safe minimum" },
    { "zero goal count", HEAD "participants 2\n" LINKS "group F\ngoal 0 0 0\n",
      12, "a zero count" },
    { "bad direction", HEAD "participants 2\n" LINKS
      "group F\ntarget down 1 1\n", 12, "lose, maintain or gain" },
    { "kcal out of range", HEAD "participants 2\n" LINKS
      "group F\ntarget lose 20001 1\n", 12, "whole number of kcal" },
    { "kcal not a number", HEAD "participants 2\n" LINKS
      "group F\ntarget lose 12.5 1\n", 12, "whole number of kcal" },
    { "negative target count", HEAD "participants 2\n" LINKS
      "group F\ntarget lose 134 -1\n", 12, "expected a count" },
    { "target repeated", HEAD "participants 2\n" LINKS
      "group F\ntarget lose 134 1\ntarget lose 134 1\n", 13, "out of order" },
    { "targets out of order", HEAD "participants 2\n" LINKS
      "group F\ntarget maintain 2000 1\ntarget lose 134 1\n", 13,
      "out of order" },
    { "target total overflows", HEAD "participants 2\n" LINKS
      "group F\ntarget lose 134 18446744073709551615\ntarget lose 135 1\n", 13,
      "does not fit in 64 bits" },
    { "participants disagree", HEAD "participants 3\n" LINKS BODY, 7,
      "participants 3, but the groups hold 2" },
    { "targets disagree with goals", HEAD "participants 2\n" LINKS
      "group F\ngoal 0 1 0\ngoal -2 1 1\ntarget lose 134 2\ngroup M\nend\n",
      11, "group F: 1 participants with a lose goal but 2 targets" },
    { "below disagrees with targets", HEAD "participants 2\n" LINKS
      "group F\ngoal 0 1 0\ngoal -2 1 0\ntarget lose 134 1\n"
      "target maintain 2000 1\ngroup M\nend\n", 11,
      "below the safe minimum do not match" },
};

static void test_read_partial_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_states / sizeof bad_states[0]; i++) {
        cs_cal c;
        cs_error err = {0};
        int rc;
        print_message("case %s\n", bad_states[i].name);
        rc = cal_read(&c, "s.partial", bad_states[i].text,
                                 strlen(bad_states[i].text), &err);
        if (!bad_states[i].msg) {
            assert_int_equal(rc, CS_OK);
            assert_int_equal(c.participants, 2);
            assert_int_equal(c.group[0].below[8], 1);
            assert_int_equal(c.link[0].unknown, 1);
            /* Written back with a leaf and a sha256 line, which the text
             * (as written before there were any) lacks. */
            char *again = partial(&c), *counts = strip_sums(again);
            assert_string_equal(counts, bad_states[i].text);
            assert_non_null(strstr(again, "\nleaf "));
            free(again);
            free(counts);
            cs_cal_dispose(&c);
            continue;
        }
        assert_int_equal(rc, CS_EDATA);
        assert_int_equal(err.code, CS_EDATA);
        assert_string_equal(err.src, "s.partial");
        if (err.line != bad_states[i].line || !strstr(err.msg, bad_states[i].msg))
            fail_msg("line %lu \"%s\"; expected line %lu \"%s\"", err.line,
                     err.msg, bad_states[i].line, bad_states[i].msg);
    }
}

/* By age band the safe minimum of each participant is not in the state:
 * the count below it must lie between the counts below 1200 and 1500. */
static void test_read_partial_age_band(void **state)
{
    static const char ok[] =
        "crampstat-partial 3\nsection calories 1\nby age_band\n"
        "groups 10-17,18-29,30-44,"
        "45-59,60+\ngoals 2,1.5,1,0.5,0,-0.5,-1,-1.5,-2\nkcal -5000 20000\n"
        "participants 2\nlink lose 0 0 0\nlink maintain 0 0 0\nlink gain 0 0 0\n"
        "group 30-44\ngoal -1 2 1\ntarget lose 1100 1\ntarget lose 1400 1\nend\n";
    char bad[sizeof ok];
    cs_cal c;
    cs_error err = {0};

    (void)state;
    assert_int_equal(cal_read(&c, "a", ok, strlen(ok), &err), CS_OK);
    cs_cal_dispose(&c);
    /* Two below: 1400 counts only for a man, 1100 for anybody. */
    memcpy(bad, ok, sizeof ok);
    *strstr(bad, "goal -1 2 1") = '\0';
    {
        char text[2 * sizeof ok];
        snprintf(text, sizeof text, "%sgoal -1 2 2%s", bad,
                 strstr(ok, "goal -1 2 1") + strlen("goal -1 2 1"));
        assert_int_equal(cal_read(&c, "a", text, strlen(text), &err),
                         CS_OK);
        cs_cal_dispose(&c);
        snprintf(text, sizeof text, "%sgoal -1 2 0%s", bad,
                 strstr(ok, "goal -1 2 1") + strlen("goal -1 2 1"));
        assert_int_equal(cal_read(&c, "a", text, strlen(text), &err),
                         CS_EDATA);
        assert_int_equal(err.line, 11);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets_by_hand),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_quantiles_by_hand),
        cmocka_unit_test(test_quantile_empty),
        cmocka_unit_test(test_quantiles_against_gsl),
        cmocka_unit_test(test_merge_equals_single_pass),
        cmocka_unit_test(test_merge_refused),
        cmocka_unit_test(test_merge_outcome),
        cmocka_unit_test(test_link),
        cmocka_unit_test(test_link_runs),
        cmocka_unit_test(test_render_bins),
        cmocka_unit_test(test_render_cap),
        cmocka_unit_test(test_read_partial_errors),
        cmocka_unit_test(test_read_partial_age_band),
    };

    gsl_set_error_handler_off();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
