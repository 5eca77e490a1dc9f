/* Tests of src/stats.c against published worked examples (the first
 * method, asserted to the precision the source printed: half a unit of its
 * last digit) and against scipy/statsmodels or 50-digit mpmath (the second
 * method, asserted to 1e-9 relative unless a row says otherwise). Sources
 * and printed values: tests/data/stats_examples.md; second-method values:
 * tests/stats_crosscheck.py. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include <crampstat/stats.h>

/* A value not to check. */
#define ANY (-HUGE_VAL)
/* Tolerance of a value printed with d decimals: half a unit of the last
 * one (the slack covers the binary representation of the constant). */
#define DP(d) (0.5e-##d * (1.0 + 1e-9))
/* Second-method tolerance, relative. */
#define REL 1e-9

/* got == want within an absolute tol; NaN wants NaN; ANY skips. */
static void near(const char *name, const char *what, double got, double want,
                 double tol)
{
    if (want == ANY)
        return;
    if (isnan(want)) {
        if (!isnan(got))
            fail_msg("%s %s: got %.17g, want NaN", name, what, got);
        return;
    }
    if (!(fabs(got - want) <= tol))
        fail_msg("%s %s: got %.17g, want %.17g within %g", name, what, got,
                 want, tol);
}

/* The same within a relative tolerance (exact when want is 0). */
static void near_rel(const char *name, const char *what, double got,
                     double want, double rel)
{
    near(name, what, got, want, want == ANY ? 0.0 : rel * fabs(want));
}

static void notes_equal(const char *name, uint32_t got, uint32_t want)
{
    char g[512], w[512];

    if (got == want)
        return;
    cs_stats_notes_format(g, sizeof g, got);
    cs_stats_notes_format(w, sizeof w, want);
    fail_msg("%s notes: got 0x%x (%s), want 0x%x (%s)", name, (unsigned)got,
             g, (unsigned)want, w);
}

/* ---- z ---------------------------------------------------------------- */

static void test_z(void **state)
{
    (void)state;
    /* The exact quantile DATA.md asks for, not 1.96. */
    near("z", "0.95", cs_stats_z(0.95), 1.959963984540054, 1e-15);
    near_rel("z", "0.90", cs_stats_z(0.90), 1.6448536269514722, 1e-14);
    near_rel("z", "0.99", cs_stats_z(0.99), 2.5758293035489004, 1e-14);
    assert_true(isnan(cs_stats_z(0.0)));
    assert_true(isnan(cs_stats_z(1.0)));
    assert_true(isnan(cs_stats_z(-0.5)));
    assert_true(isnan(cs_stats_z(NAN)));
}

/* ---- One proportion --------------------------------------------------- */

enum prop_method { WILSON, CP };

static const struct {
    const char *name;
    enum prop_method method;
    uint64_t k, n;
    double lo, hi, tol;   /* published, or ANY */
    double x_lo, x_hi;    /* second method, REL unless x_rel is set */
    double x_rel;
} prop_cases[] = {
    /* Newcombe (1998) Stat Med 17:857, Table I, methods 3 and 5. */
    { "Newcombe 81/263 Wilson", WILSON, 81, 263, 0.2553, 0.3662, DP(4),
      0.25528851987827422, 0.36620957698280004, 0 },
    { "Newcombe 15/148 Wilson", WILSON, 15, 148, 0.0624, 0.1605, DP(4),
      0.062386399530736283, 0.16048724172330803, 0 },
    { "Newcombe 0/20 Wilson", WILSON, 0, 20, 0.0000, 0.1611, DP(4),
      0.0, 0.16112515805281941, 0 },
    { "Newcombe 1/29 Wilson", WILSON, 1, 29, 0.0061, 0.1718, DP(4),
      0.006113214292762667, 0.17175521879320294, 0 },
    { "Newcombe 81/263 exact", CP, 81, 263, 0.2527, 0.3676, DP(4),
      0.25273674558527132, 0.36762192260135129, 0 },
    { "Newcombe 15/148 exact", CP, 15, 148, 0.0578, 0.1617, DP(4),
      0.057844010083448569, 0.16165049034947901, 0 },
    { "Newcombe 0/20 exact", CP, 0, 20, 0.0000, 0.1684, DP(4),
      0.0, 0.16843347098308534, 0 },
    { "Newcombe 1/29 exact", CP, 1, 29, 0.0009, 0.1776, DP(4),
      0.00087264688357992204, 0.17764429548872293, 0 },
    /* Sizes where gsl_cdf_beta_Pinv returns NaN or never returns. */
    { "CP 5000/10^4", CP, 5000, 10000, ANY, ANY, 0,
      0.49015138058998148, 0.50984861941001847, 0 },
    { "CP 1/10^6", CP, 1, 1000000, ANY, ANY, 0,
      2.5317807663794178e-08, 5.5716306551722442e-06, 0 },
    { "CP 10/10^8", CP, 10, 100000000, ANY, ANY, 0,
      4.7953887969461654e-08, 1.8390355270509608e-07, 0 },
    { "CP 0/10^10", CP, 0, 10000000000u, ANY, ANY, 0,
      0.0, 3.6888794534335445e-10, 0 },
    /* Upper limits next to 0, where GSL's incomplete beta keeps only an
     * absolute 1e-16 (the binomial sum is used instead). */
    { "CP 1/10^10", CP, 1, 10000000000u, ANY, ANY, 0,
      2.5317807984257824e-12, 5.5716433896653198e-10, 0 },
    { "CP 5/10^15", CP, 5, 1000000000000000u, ANY, ANY, 0,
      1.6234863901184226e-15, 1.166833207932263e-14, 0 },
    /* scipy's incomplete beta is itself good to ~1e-10 here. */
    { "CP 5e9/10^10", CP, 5000000000u, 10000000000u, ANY, ANY, 0,
      0.49999020013028567, 0.50000979986971439, 1e-9 },
    /* R's binom.test; the lower limits used to come out NaN (Newton
     * stalled at the end of its bracket, bisection then reached a tail GSL
     * reports as an underflow). */
    { "R binom.test 7075/96857", CP, 7075, 96857, ANY, ANY, 0,
      0.071414733039546083, 0.074702550693773850, 1e-12 },
    { "R binom.test 12176/145353", CP, 12176, 145353, ANY, ANY, 0,
      0.082349126724467106, 0.085204464136219182, 1e-12 },
    /* Counts of 10^15, once NaN: the beta quantiles at a = b = 5e14 are
     * normal to far below 1e-16 (skewness 1e-22), so mean -+ z sd of the
     * beta law, taken at 50 digits with mpmath, is the second method. */
    { "CP 5e14/10^15", CP, 500000000000000u, 1000000000000000u, ANY, ANY, 0,
      0.49999996901024788477, 0.50000003098975211523, 1e-12 },
    { "Wilson 1/10^10", WILSON, 1, 10000000000u, ANY, ANY, 0,
      1.7652455493733393e-11, 5.6649342635128197e-10, 0 },
    { "Wilson 5e9/10^10", WILSON, 5000000000u, 10000000000u, ANY, ANY, 0,
      0.49999020018007917, 0.50000979981992077, 0 },
    { "Wilson (10^10-1)/10^10", WILSON, 9999999999u, 10000000000u, ANY, ANY,
      0, 0.99999999943350659, 0.99999999998234756, 0 },
};

static void test_proportion_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof prop_cases / sizeof prop_cases[0]; i++) {
        const char *name = prop_cases[i].name;
        double rel = prop_cases[i].x_rel > 0 ? prop_cases[i].x_rel : REL;
        cs_ci ci;
        uint32_t notes;
        print_message("case %s\n", name);
        notes = prop_cases[i].method == WILSON
                ? cs_stats_wilson(&ci, prop_cases[i].k, prop_cases[i].n, 0.95)
                : cs_stats_clopper_pearson(&ci, prop_cases[i].k,
                                           prop_cases[i].n, 0.95);
        notes_equal(name, notes, 0);
        near_rel(name, "est", ci.est,
                 (double)prop_cases[i].k / (double)prop_cases[i].n, 1e-15);
        near(name, "published lo", ci.lo, prop_cases[i].lo, prop_cases[i].tol);
        near(name, "published hi", ci.hi, prop_cases[i].hi, prop_cases[i].tol);
        near_rel(name, "lo", ci.lo, prop_cases[i].x_lo, rel);
        near_rel(name, "hi", ci.hi, prop_cases[i].x_hi, rel);
    }
}

static void test_proportion_edges(void **state)
{
    uint32_t (*fn[2])(cs_ci *, uint64_t, uint64_t, double) = {
        cs_stats_wilson, cs_stats_clopper_pearson };
    (void)state;
    for (int m = 0; m < 2; m++) {
        const char *name = m == 0 ? "Wilson" : "Clopper-Pearson";
        cs_ci ci;

        /* n == 0: nothing to estimate. */
        notes_equal(name, fn[m](&ci, 0, 0, 0.95), CS_NOTE_EMPTY);
        assert_true(isnan(ci.est) && isnan(ci.lo) && isnan(ci.hi));
        /* k > n is a caller's mistake, reported, not an abort. */
        notes_equal(name, fn[m](&ci, 5, 4, 0.95), CS_NOTE_BAD_INPUT);
        assert_true(isnan(ci.est));
        /* A bad level keeps the estimate, drops the interval. */
        notes_equal(name, fn[m](&ci, 3, 10, 1.5), CS_NOTE_BAD_LEVEL);
        near(name, "est", ci.est, 0.3, 1e-15);
        assert_true(isnan(ci.lo) && isnan(ci.hi));
        /* The edges are exact. */
        notes_equal(name, fn[m](&ci, 0, 7, 0.95), 0);
        assert_true(ci.lo == 0.0 && ci.hi > 0.0 && ci.hi < 1.0);
        notes_equal(name, fn[m](&ci, 7, 7, 0.95), 0);
        assert_true(ci.hi == 1.0 && ci.lo > 0.0 && ci.lo < 1.0);
        /* Huge counts still have both limits. */
        notes_equal(name, fn[m](&ci, 500000000000000u, 1000000000000000u,
                                0.95), 0);
        near(name, "huge est", ci.est, 0.5, 0.0);
        near(name, "huge lo", ci.lo, 0.5 - 3.0989752e-8, 1e-13);
        near(name, "huge hi", ci.hi, 0.5 + 3.0989752e-8, 1e-13);
        /* Swapping cases and non-cases mirrors the interval. */
        {
            cs_ci a, b;
            fn[m](&a, 3, 17, 0.9);
            fn[m](&b, 14, 17, 0.9);
            near(name, "mirror lo", a.lo, 1.0 - b.hi, 1e-14);
            near(name, "mirror hi", a.hi, 1.0 - b.lo, 1e-14);
        }
    }
}

/* ---- Rates ------------------------------------------------------------ */

static const struct {
    const char *name;
    uint64_t k;
    double t, per, level;
    double est, lo, hi, tol;   /* published */
    double x_est, x_lo, x_hi;  /* scipy chi-square quantiles */
    uint32_t notes;
} rate_cases[] = {
    /* R, ?poisson.test: poisson.test(137, 24.19893), Welsh nickel SMR. */
    { "R poisson.test 137/24.19893", 137, 24.19893, 1, 0.95,
      5.661407, 4.753125, 6.692709, DP(6),
      5.6614073432172409, 4.75312480484875, 6.6927093341760733, 0 },
    /* Per 1000 exposure hours, as aggregate reports them. */
    { "0 in 250 h", 0, 250.0, 1000, 0.95, ANY, ANY, ANY, 0,
      0.0, 0.0, 14.755517816455745, 0 },
    { "3 in 250 h", 3, 250.0, 1000, 0.95, ANY, ANY, ANY, 0,
      12.0, 2.4746884915824054, 35.0690922789693, 0 },
    /* gsl_cdf_chisq_Qinv gives 66435 events here instead of 50440. */
    { "50000 in 10^6 h", 50000, 1e6, 1000, 0.95, ANY, ANY, ANY, 0,
      50.0, 49.56268665032367, 50.440212035431294, 0 },
    { "5e9 events", 5000000000u, 24.19893, 1, 0.95, ANY, ANY, ANY, 0,
      206620705.95683363, 206614978.8674425, 206626433.16583002, 0 },
    { "no time", 3, 0.0, 1000, 0.95, ANY, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_NO_TIME },
    { "negative time", 3, -1.0, 1000, 0.95, ANY, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_BAD_INPUT },
    { "NaN time", 3, NAN, 1000, 0.95, ANY, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_BAD_INPUT },
    { "zero per", 3, 10.0, 0, 0.95, ANY, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_BAD_INPUT },
    { "bad level", 3, 250.0, 1000, 0.0, ANY, ANY, ANY, 0,
      12.0, NAN, NAN, CS_NOTE_BAD_LEVEL },
};

static void test_rate_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rate_cases / sizeof rate_cases[0]; i++) {
        const char *name = rate_cases[i].name;
        cs_ci ci;
        print_message("case %s\n", name);
        notes_equal(name, cs_stats_poisson_rate(&ci, rate_cases[i].k,
                                                rate_cases[i].t,
                                                rate_cases[i].per,
                                                rate_cases[i].level),
                    rate_cases[i].notes);
        near(name, "published est", ci.est, rate_cases[i].est,
             rate_cases[i].tol);
        near(name, "published lo", ci.lo, rate_cases[i].lo, rate_cases[i].tol);
        near(name, "published hi", ci.hi, rate_cases[i].hi, rate_cases[i].tol);
        near_rel(name, "est", ci.est, rate_cases[i].x_est, REL);
        near_rel(name, "lo", ci.lo, rate_cases[i].x_lo, REL);
        near_rel(name, "hi", ci.hi, rate_cases[i].x_hi, REL);
    }
}

/* ---- Exact rate ratio ------------------------------------------------- */

static const struct {
    const char *name;
    uint64_t a, c;
    double t1, t0, level;
    double est, lo, hi;   /* R: poisson.test(c(a, c), c(t1, t0)) */
    uint32_t notes;
} rr_exact_cases[] = {
    { "R 10/100 vs 20/150", 10, 20, 100, 150, 0.95,
      0.75, 0.31350894753574943, 1.6787745663663063, 0 },
    { "R 137/24.19893 vs 120/30.5", 137, 120, 24.19893, 30.5, 0.95,
      1.4389410330677155, 1.1179453369620573, 1.8541542317564423, 0 },
    { "R 7075/1000 vs 89782/12000", 7075, 89782, 1000, 12000, 0.95,
      0.94562384442315839, 0.92288433487610944, 0.96880263638186426, 0 },
    { "R 1/1 vs 1/1", 1, 1, 1, 1, 0.95,
      1.0, 0.012739367083666625, 78.496835316262846, 0 },
    { "R 10^6 vs 999000", 1000000, 999000, 2e6, 2e6, 0.95,
      1.0010010010010011, 0.99822856984037756, 1.0037811331292816, 0 },
    { "R 3/0.5 vs 250000/40000", 3, 250000, 0.5, 40000, 0.95,
      0.95999999999999996, 0.19797374049945576, 2.8055597429655639, 0 },
    { "R 90% 7/2.5 vs 3/4", 7, 3, 2.5, 4, 0.90,
      3.7333333333333329, 1.037547195646352, 16.735075680134027, 0 },
    /* R: estimate 0, interval [0, 2.18...]. */
    { "R no exposed cases", 0, 5, 10, 20, 0.95,
      0.0, 0.0, 2.1825582103650918, 0 },
    /* R: estimate Inf, interval [1.83..., Inf]. */
    { "R no unexposed cases", 5, 0, 10, 20, 0.95,
      INFINITY, 1.8327117146309202, INFINITY, 0 },
    { "no cases", 0, 0, 10, 20, 0.95, NAN, NAN, NAN, CS_NOTE_NO_CASES },
    { "no exposed time", 3, 4, 0, 20, 0.95, NAN, NAN, NAN, CS_NOTE_NO_TIME },
    { "no unexposed time", 3, 4, 10, 0, 0.95, NAN, NAN, NAN,
      CS_NOTE_NO_TIME },
    { "negative time", 3, 4, -1, 20, 0.95, NAN, NAN, NAN, CS_NOTE_BAD_INPUT },
    { "infinite time", 3, 4, 10, INFINITY, 0.95, NAN, NAN, NAN,
      CS_NOTE_BAD_INPUT },
    { "bad level", 3, 4, 10, 20, 1.0, 1.5, NAN, NAN, CS_NOTE_BAD_LEVEL },
};

static void test_rate_ratio_exact(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rr_exact_cases / sizeof rr_exact_cases[0];
         i++) {
        const char *name = rr_exact_cases[i].name;
        const double want[3] = { rr_exact_cases[i].est, rr_exact_cases[i].lo,
                                 rr_exact_cases[i].hi };
        const char *what[3] = { "est", "lo", "hi" };
        double got[3];
        cs_ci ci;
        print_message("case %s\n", name);
        notes_equal(name, cs_stats_rate_ratio_exact(&ci, rr_exact_cases[i].a,
                                                    rr_exact_cases[i].t1,
                                                    rr_exact_cases[i].c,
                                                    rr_exact_cases[i].t0,
                                                    rr_exact_cases[i].level),
                    rr_exact_cases[i].notes);
        got[0] = ci.est;
        got[1] = ci.lo;
        got[2] = ci.hi;
        for (int j = 0; j < 3; j++) {
            if (isinf(want[j])) {
                if (!(got[j] == want[j]))
                    fail_msg("%s %s: got %.17g, want inf", name, what[j],
                             got[j]);
                continue;
            }
            near_rel(name, what[j], got[j], want[j], 1e-12);
        }
    }
    /* Swapping the groups inverts the ratio and its interval. */
    {
        cs_ci x, y;
        notes_equal("swap", cs_stats_rate_ratio_exact(&x, 17, 3.5, 40, 11.0,
                                                      0.95), 0);
        notes_equal("swap", cs_stats_rate_ratio_exact(&y, 40, 11.0, 17, 3.5,
                                                      0.95), 0);
        near_rel("swap", "lo", x.lo, 1.0 / y.hi, 1e-13);
        near_rel("swap", "hi", x.hi, 1.0 / y.lo, 1e-13);
    }
    notes_equal("NULL", cs_stats_rate_ratio_exact(NULL, 1, 1, 1, 1, 0.95),
                CS_NOTE_BAD_INPUT);
}

/* ---- Measures of a 2x2 table ------------------------------------------ */

enum measure { RR, OR, RD, AFE };

#define IPS      { 45, 366, 73, 338 }        /* aspirin, blood clots */
#define FUS      { 13, 2163, 5, 3349 }       /* dry cat food, FUS */
#define ASPIRIN  { 189, 10845, 104, 10933 }  /* placebo vs aspirin, MI */

static const struct {
    const char *name;
    enum measure m;
    cs_2x2 t;
    double level;
    double est, tol_est, lo, hi, tol_ci;  /* published, or ANY */
    double x_est, x_lo, x_hi;             /* second method or exact */
    uint32_t notes;
} measure_cases[] = {
    /* Moore, McCabe & Craig, IPS 9th ed., Example 8.18 (software). */
    { "IPS 8.18 RR", RR, IPS, 0.95, 0.62, DP(2), 0.4364, 0.8707, DP(4),
      0.61643835616438358, 0.43640333257000152, 0.870745520463444, 0 },
    { "IPS 8.18 OR", OR, IPS, 0.95, ANY, 0, ANY, ANY, 0,
      0.56927913766000449, 0.38167101684916654, 0.84910491566875279, 0 },
    { "IPS 8.18 RD", RD, IPS, 0.95, ANY, 0, ANY, ANY, 0,
      -0.068126520681265207, -0.11583972829784858, -0.020413313064681832,
      0 },
    /* epiR ?epi.2by2 example 1 (Willeberg 1977): prevalence ratio 4.01
     * (1.43 to 11.23), attributable fraction 75% (30% to 91%). */
    { "epiR FUS RR", RR, FUS, 0.95, 4.01, DP(2), 1.43, 11.23, DP(2),
      4.0075367647058817, 1.4307338802293577, 11.225253796250835, 0 },
    { "epiR FUS AFe", AFE, FUS, 0.95, 0.75, DP(2), 0.30, 0.91, DP(2),
      0.75047016191917804, 0.30105799980098868, 0.91091515451223082, 0 },
    { "epiR FUS OR", OR, FUS, 0.95, ANY, 0, ANY, ANY, 0,
      4.0256125751271385, 1.4331284264958721, 11.307818828662683, 0 },
    { "epiR FUS RD", RD, FUS, 0.95, ANY, 0, ANY, ANY, 0,
      0.0044835074011715589, 0.0009922770637884235, 0.0079747377385546939,
      0 },
    /* Agresti, Physicians' Health Study: OR 1.83 (1.44, 2.33), difference
     * of proportions 0.0077 (0.005, 0.011). */
    { "Agresti aspirin OR", OR, ASPIRIN, 0.95, 1.83, DP(2), 1.44, 2.33, DP(2),
      1.8320539419087136, 1.440042391848622, 2.3307797500006395, 0 },
    { "Agresti aspirin RD", RD, ASPIRIN, 0.95, 0.0077, DP(4), 0.005, 0.011,
      DP(3), 0.0077060239760047815, 0.0046877506750494383,
      0.010724297276960126, 0 },
    { "Agresti aspirin RR", RR, ASPIRIN, 0.95, ANY, 0, ANY, ANY, 0,
      1.8178017944535074, 1.433030903050563, 2.305884232422446, 0 },
    /* statsmodels' own test table Test2x2_1, [[2, 2], [2, 2]]. */
    { "statsmodels 2,2,2,2 OR", OR, { 2, 2, 2, 2 }, 0.95, ANY, 0, ANY, ANY, 0,
      1.0, 0.062548836166112329, 15.987507702689751, 0 },
    { "statsmodels 2,2,2,2 RR", RR, { 2, 2, 2, 2 }, 0.95, ANY, 0, ANY, ANY, 0,
      1.0, 0.25009765325990629, 3.9984381579173824, 0 },

    /* Zero cells: no 0.5 added; what happened is in the notes. */
    { "no exposed cases RR", RR, { 0, 10, 5, 10 }, 0.95, ANY, 0, ANY, ANY, 0,
      0.0, NAN, NAN, CS_NOTE_RR_ZERO_EXPOSED_CASES },
    { "no exposed cases OR", OR, { 0, 10, 5, 10 }, 0.95, ANY, 0, ANY, ANY, 0,
      0.0, NAN, NAN, CS_NOTE_OR_ZERO },
    { "no exposed cases RD", RD, { 0, 10, 5, 10 }, 0.95, ANY, 0, ANY, ANY, 0,
      -1.0 / 3.0, ANY, ANY, 0 },
    { "no exposed cases AFe", AFE, { 0, 10, 5, 10 }, 0.95, ANY, 0, ANY, ANY,
      0, NAN, NAN, NAN,
      CS_NOTE_RR_ZERO_EXPOSED_CASES | CS_NOTE_AF_UNDEFINED },
    { "no unexposed cases RR", RR, { 5, 10, 0, 10 }, 0.95, ANY, 0, ANY, ANY,
      0, NAN, NAN, NAN, CS_NOTE_RR_UNDEFINED_ZERO_CELL },
    { "no unexposed cases OR", OR, { 5, 10, 0, 10 }, 0.95, ANY, 0, ANY, ANY,
      0, NAN, NAN, NAN, CS_NOTE_OR_UNDEFINED_ZERO_CELL },
    { "no unexposed cases AFe", AFE, { 5, 10, 0, 10 }, 0.95, ANY, 0, ANY,
      ANY, 0, NAN, NAN, NAN,
      CS_NOTE_RR_UNDEFINED_ZERO_CELL | CS_NOTE_AF_UNDEFINED },
    { "no cases RR", RR, { 0, 10, 0, 10 }, 0.95, ANY, 0, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_RR_UNDEFINED_ZERO_CELL },
    { "no cases OR", OR, { 0, 10, 0, 10 }, 0.95, ANY, 0, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_OR_UNDEFINED_ZERO_CELL },
    { "no cases RD", RD, { 0, 10, 0, 10 }, 0.95, ANY, 0, ANY, ANY, 0,
      0.0, NAN, NAN, CS_NOTE_ZERO_SE },
    { "all cases RR", RR, { 10, 0, 10, 0 }, 0.95, ANY, 0, ANY, ANY, 0,
      1.0, NAN, NAN, CS_NOTE_ZERO_SE },
    { "all cases OR", OR, { 10, 0, 10, 0 }, 0.95, ANY, 0, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_OR_UNDEFINED_ZERO_CELL },
    { "all cases RD", RD, { 10, 0, 10, 0 }, 0.95, ANY, 0, ANY, ANY, 0,
      0.0, NAN, NAN, CS_NOTE_ZERO_SE },
    { "no unexposed non-cases OR", OR, { 5, 3, 2, 0 }, 0.95, ANY, 0, ANY,
      ANY, 0, 0.0, NAN, NAN, CS_NOTE_OR_ZERO },
    { "no unexposed non-cases RR", RR, { 5, 3, 2, 0 }, 0.95, ANY, 0, ANY,
      ANY, 0, 0.625, ANY, ANY, 0 },
    { "no exposed non-cases OR", OR, { 5, 0, 3, 4 }, 0.95, ANY, 0, ANY, ANY,
      0, NAN, NAN, NAN, CS_NOTE_OR_UNDEFINED_ZERO_CELL },
    { "no exposed RR", RR, { 0, 0, 3, 4 }, 0.95, ANY, 0, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_NO_EXPOSED },
    { "no exposed OR", OR, { 0, 0, 3, 4 }, 0.95, ANY, 0, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_NO_EXPOSED },
    { "no unexposed RD", RD, { 3, 4, 0, 0 }, 0.95, ANY, 0, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_NO_UNEXPOSED },
    { "empty RR", RR, { 0, 0, 0, 0 }, 0.95, ANY, 0, ANY, ANY, 0,
      NAN, NAN, NAN, CS_NOTE_NO_EXPOSED | CS_NOTE_NO_UNEXPOSED },
    { "empty AFe", AFE, { 0, 0, 0, 0 }, 0.95, ANY, 0, ANY, ANY, 0, NAN, NAN,
      NAN, CS_NOTE_NO_EXPOSED | CS_NOTE_NO_UNEXPOSED | CS_NOTE_AF_UNDEFINED },
    { "bad level RR", RR, FUS, 1.0, ANY, 0, ANY, ANY, 0,
      4.0075367647058817, NAN, NAN, CS_NOTE_BAD_LEVEL },
    { "bad level RD", RD, FUS, -1.0, ANY, 0, ANY, ANY, 0,
      0.0044835074011715589, NAN, NAN, CS_NOTE_BAD_LEVEL },
};

static uint32_t measure(enum measure m, cs_ci *out, const cs_2x2 *t,
                        double level)
{
    switch (m) {
    case RR: return cs_stats_rr(out, t, level);
    case OR: return cs_stats_or(out, t, level);
    case RD: return cs_stats_rd(out, t, level);
    default: return cs_stats_af_exposed(out, t, level);
    }
}

static void test_measure_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof measure_cases / sizeof measure_cases[0];
         i++) {
        const char *name = measure_cases[i].name;
        cs_ci ci;
        print_message("case %s\n", name);
        notes_equal(name, measure(measure_cases[i].m, &ci, &measure_cases[i].t,
                                  measure_cases[i].level),
                    measure_cases[i].notes);
        near(name, "published est", ci.est, measure_cases[i].est,
             measure_cases[i].tol_est);
        near(name, "published lo", ci.lo, measure_cases[i].lo,
             measure_cases[i].tol_ci);
        near(name, "published hi", ci.hi, measure_cases[i].hi,
             measure_cases[i].tol_ci);
        near_rel(name, "est", ci.est, measure_cases[i].x_est, REL);
        near_rel(name, "lo", ci.lo, measure_cases[i].x_lo, REL);
        near_rel(name, "hi", ci.hi, measure_cases[i].x_hi, REL);
    }
}

static const struct {
    const char *name;
    cs_2x2 t;
    double pub, tol, x;
    uint32_t notes;
} paf_cases[] = {
    /* epiR example 1: 54% of FUS attributable to dry food. */
    { "epiR FUS PAF", FUS, 0.54, DP(2), 0.54200622805273968, 0 },
    { "aspirin PAF", ASPIRIN, ANY, 0, 0.29019886877555212, 0 },
    /* A protective exposure gives a negative fraction. */
    { "IPS PAF", IPS, ANY, 0, -0.23728813559322046, 0 },
    { "no unexposed cases PAF", { 5, 5, 0, 5 }, ANY, 0, 1.0, 0 },
    { "empty PAF", { 0, 0, 0, 0 }, ANY, 0, NAN, CS_NOTE_EMPTY },
    { "no unexposed PAF", { 3, 4, 0, 0 }, ANY, 0, NAN, CS_NOTE_NO_UNEXPOSED },
    { "no cases PAF", { 0, 5, 0, 5 }, ANY, 0, NAN, CS_NOTE_NO_CASES },
};

static void test_paf_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof paf_cases / sizeof paf_cases[0]; i++) {
        const char *name = paf_cases[i].name;
        double paf;
        print_message("case %s\n", name);
        notes_equal(name, cs_stats_paf(&paf, &paf_cases[i].t),
                    paf_cases[i].notes);
        near(name, "published", paf, paf_cases[i].pub, paf_cases[i].tol);
        near_rel(name, "paf", paf, paf_cases[i].x, REL);
    }
}

/* ---- Tests of a 2x2 table --------------------------------------------- */

#define BIG1 { 5000000000u, 5000000000u, 4000000000u, 6000000000u }
#define BIG2 { 5000000000u, 5000100000u, 5000000000u, 4999900000u }

static const struct {
    const char *name;
    cs_2x2 t;
    int yates;
    double stat, tol_stat, p, tol_p;  /* published */
    double x_stat, x_p;               /* scipy, or exact fractions */
    uint32_t notes;
} chisq_cases[] = {
    /* Faraway (2006) sec. 4.4, women smokers (Appleton et al. 1996), R's
     * summary(xtabs): Chisq = 9.121, p-value = 0.002527. */
    { "femsmoke Pearson", { 502, 230, 443, 139 }, 0, 9.121, DP(3),
      0.002527, DP(6), 9.1209029593857025, 0.0025270519818449567, 0 },
    { "femsmoke Yates", { 502, 230, 443, 139 }, 1, ANY, 0, ANY, 0,
      8.7515001363224876, 0.0030934747930457755, 0 },
    { "FUS Pearson", FUS, 0, ANY, 0, ANY, 0,
      8.177134639288834, 0.0042421717373615671, 0 },
    { "FUS Yates", FUS, 1, ANY, 0, ANY, 0,
      6.8535897889130055, 0.0088463351087105218, 0 },
    { "tea Pearson", { 3, 1, 1, 3 }, 0, ANY, 0, ANY, 0,
      2.0, 0.15729920705028105, CS_NOTE_SMALL_EXPECTED },
    { "tea Yates", { 3, 1, 1, 3 }, 1, ANY, 0, ANY, 0,
      0.5, 0.47950012218695337, CS_NOTE_SMALL_EXPECTED },
    /* |ad - bc| = 2 < n/2: Yates stops at 0 instead of going negative. */
    { "Yates clamp", { 2, 2, 2, 3 }, 1, ANY, 0, ANY, 0, 0.0, 1.0,
      CS_NOTE_SMALL_EXPECTED },
    { "zero row", { 0, 0, 3, 4 }, 0, ANY, 0, ANY, 0, NAN, NAN,
      CS_NOTE_ZERO_MARGIN },
    { "zero column", { 3, 0, 4, 0 }, 0, ANY, 0, ANY, 0, NAN, NAN,
      CS_NOTE_ZERO_MARGIN },
    { "empty", { 0, 0, 0, 0 }, 0, ANY, 0, ANY, 0, NAN, NAN,
      CS_NOTE_EMPTY | CS_NOTE_ZERO_MARGIN },
    /* Counts above 2^32; ad = 3e19 would not even fit in a uint64_t. */
    { "big Pearson", BIG1, 0, ANY, 0, ANY, 0, 202020202.02020201, 0.0, 0 },
    { "big near-null Pearson", BIG2, 0, ANY, 0, ANY, 0,
      2.0000000002, 0.15729920702952557, 0 },
    { "big near-null Yates", BIG2, 1, ANY, 0, ANY, 0,
      1.999960000399996, 0.1573033581460106, 0 },
};

static void test_chisq_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof chisq_cases / sizeof chisq_cases[0]; i++) {
        const char *name = chisq_cases[i].name;
        cs_test x;
        print_message("case %s\n", name);
        notes_equal(name, cs_stats_chisq(&x, &chisq_cases[i].t,
                                         chisq_cases[i].yates),
                    chisq_cases[i].notes);
        assert_true(x.df == 1.0);
        near(name, "published stat", x.stat, chisq_cases[i].stat,
             chisq_cases[i].tol_stat);
        near(name, "published p", x.p, chisq_cases[i].p, chisq_cases[i].tol_p);
        near_rel(name, "stat", x.stat, chisq_cases[i].x_stat, REL);
        near_rel(name, "p", x.p, chisq_cases[i].x_p, REL);
    }
}

static void test_small_expected(void **state)
{
    static const struct { cs_2x2 t; int want; } cases[] = {
        { { 3, 1, 1, 3 }, 1 },        /* expected 2 everywhere */
        { FUS, 0 },                   /* smallest expected 7.08 */
        { { 5, 5, 5, 5 }, 0 },        /* exactly 5 is not below 5 */
        { { 0, 0, 30, 40 }, 1 },      /* a zero margin */
        { { 0, 0, 0, 0 }, 1 },        /* nothing at all */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(cs_stats_small_expected(&cases[i].t), cases[i].want);
}

static const struct {
    const char *name;
    cs_2x2 t;
    double pub, tol, x, x_rel;
    uint32_t notes;
} fisher_cases[] = {
    /* Agresti's tea tasting, R's ?fisher.test: p-value = 0.4857. The
     * tables 1 and 3 cups right are ties and must both count. */
    { "tea tasting", { 3, 1, 1, 3 }, 0.4857, DP(4), 0.48571428571428565, 0,
      0 },
    { "femsmoke", { 502, 230, 443, 139 }, ANY, 0, 0.0029888032299405106, 0,
      0 },
    { "FUS", FUS, ANY, 0, 0.0063513845472850583, 0, 0 },
    { "10,5,3,12", { 10, 5, 3, 12 }, ANY, 0, 0.025327687033676133, 0, 0 },
    { "0,7,9,2", { 0, 7, 9, 2 }, ANY, 0, 0.0022624434389140278, 0, 0 },
    { "120,80,95,160", { 120, 80, 95, 160 }, ANY, 0, 2.0339383159544811e-06,
      0, 0 },
    { "2000,1000,1950,1080", { 2000, 1000, 1950, 1080 }, ANY, 0,
      0.06157753516345367, 0, 0 },
    { "millions", { 1000000, 1002000, 999000, 1000500 }, ANY, 0,
      0.80417026892969501, 0, 0 },
    /* At 2e10 sessions Fisher's p is the Yates chi-square p (exact
     * fractions), up to terms of order 1/n. */
    { "big near-null", BIG2, ANY, 0, 0.1573033581460106, 1e-6, 0 },
    /* p about 10^-43945306: reported as the bound, with a note (its
     * log10 is in test_fisher_log10). */
    { "big", BIG1, ANY, 0, CS_STATS_P_FLOOR, 0, CS_NOTE_P_BOUND },
    { "zero row", { 0, 0, 3, 4 }, ANY, 0, 1.0, 0, CS_NOTE_ZERO_MARGIN },
    { "empty", { 0, 0, 0, 0 }, ANY, 0, 1.0, 0,
      CS_NOTE_ZERO_MARGIN | CS_NOTE_EMPTY },
};

static void test_fisher_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fisher_cases / sizeof fisher_cases[0];
         i++) {
        const char *name = fisher_cases[i].name;
        double rel = fisher_cases[i].x_rel > 0 ? fisher_cases[i].x_rel : REL;
        double p;
        print_message("case %s\n", name);
        notes_equal(name, cs_stats_fisher(&p, &fisher_cases[i].t),
                    fisher_cases[i].notes);
        near(name, "published", p, fisher_cases[i].pub, fisher_cases[i].tol);
        near_rel(name, "p", p, fisher_cases[i].x, rel);
    }
}

/* The walk covers only the terms that matter, about 40 standard
 * deviations (sqrt(n) scale), not the support: 10^8-10^10 counts take
 * milliseconds. The bound is loose enough for sanitizer builds. */
static void test_fisher_time(void **state)
{
    static const cs_2x2 tables[] = {
        { 100000000, 100020000, 100000000, 99980000 },
        { 100000000, 1000, 99999000, 2100 },
        BIG2,
        { 7000000000u, 3000000000u, 3000000000u, 7000000000u },
    };
    clock_t start = clock();
    (void)state;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        double p, lg;
        uint32_t notes = cs_stats_fisher(&p, &tables[i]);
        if (notes != 0)
            notes_equal("time", notes, CS_NOTE_P_BOUND);
        assert_true(p >= CS_STATS_P_FLOOR && p <= 1.0);
        notes_equal("time", cs_stats_fisher_log10(&lg, &tables[i]), 0);
        assert_true(lg <= 0.0 && isfinite(lg));
    }
    assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 5.0);
}

/* p-values far below what a double holds: log10 p against exact rational
 * arithmetic (tables of thousands) and 40-digit mpmath (10^10 sessions),
 * both from tests/fisher_log10_reference.py. */
static const struct {
    const char *name;
    cs_2x2 t;
    double log10p;
} fisher_log_cases[] = {
    /* p = 2 / C(2000, 1000): the two extreme tables tie. */
    { "1000,0,0,1000", { 1000, 0, 0, 1000 }, -600.01033210914337 },
    { "900,100,50,950", { 900, 100, 50, 950 }, -374.14106855021887 },
    { "0,800,700,10", { 0, 800, 700, 10 }, -429.20206055167301 },
    /* Above the floor: the log of the p that cs_stats_fisher returns. */
    { "400,100,100,400", { 400, 100, 100, 400 }, -84.482978311812084 },
    { "big", BIG1, -43945306.721835700611644 },
    { "7e9,3e9,3e9,7e9", { 7000000000u, 3000000000u, 3000000000u,
                           7000000000u }, -714700006.27985230046707 },
};

static void test_fisher_log10(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fisher_log_cases / sizeof fisher_log_cases[0];
         i++) {
        const char *name = fisher_log_cases[i].name;
        double want = fisher_log_cases[i].log10p, lg, p;
        uint32_t notes;
        print_message("case %s\n", name);
        notes_equal(name, cs_stats_fisher_log10(&lg, &fisher_log_cases[i].t),
                    0);
        near_rel(name, "log10 p", lg, want, 1e-12);
        notes = cs_stats_fisher(&p, &fisher_log_cases[i].t);
        if (want < -300.0) {
            notes_equal(name, notes, CS_NOTE_P_BOUND);
            near(name, "bound", p, CS_STATS_P_FLOOR, 0.0);
        } else {
            notes_equal(name, notes, 0);
            near_rel(name, "p", p, pow(10.0, want), 1e-10);
        }
    }
    /* p = 1 has log 0; a zero margin too. */
    {
        cs_2x2 tea = { 3, 1, 1, 3 }, zero = { 0, 0, 3, 4 };
        double lg;
        notes_equal("tea", cs_stats_fisher_log10(&lg, &tea), 0);
        near_rel("tea", "log10 p", lg, log10(0.48571428571428565), 1e-12);
        notes_equal("zero row", cs_stats_fisher_log10(&lg, &zero),
                    CS_NOTE_ZERO_MARGIN);
        near("zero row", "log10 p", lg, 0.0, 0.0);
        notes_equal("NULL", cs_stats_fisher_log10(&lg, NULL),
                    CS_NOTE_BAD_INPUT);
        assert_true(isnan(lg));
    }
}

/* ---- Mantel-Haenszel -------------------------------------------------- */

/* One expected value with its tolerance: absolute if tol > 0, relative
 * 1e-9 if tol == REL_TOL, not checked if v == ANY. */
typedef struct val { double v, tol; } val;
#define REL_TOL (-1.0)
#define X(v) { v, REL_TOL }
#define NA_ { ANY, 0 }

typedef struct mh_want {
    val rr, rr_lo, rr_hi, or_, or_lo, or_hi;
    val chisq, chisq_p, bd, bd_p;
    double bd_df;
    size_t used, bd_strata;
    uint32_t notes;
} mh_want;

static const cs_2x2 migraine[] = { { 16, 11, 5, 20 }, { 12, 16, 7, 19 } };
static const cs_2x2 rabbits[] = { { 0, 0, 6, 5 }, { 3, 0, 3, 6 },
                                  { 6, 2, 0, 4 }, { 5, 6, 1, 0 },
                                  { 2, 5, 0, 0 } };
static const cs_2x2 sm2[] = { { 20, 14, 10, 24 }, { 15, 12, 3, 15 },
                              { 3, 2, 3, 2 }, { 12, 3, 7, 5 },
                              { 1, 0, 3, 2 } };
static const cs_2x2 ucb[] = { { 313, 512, 19, 89 }, { 207, 353, 8, 17 },
                              { 205, 120, 391, 202 }, { 278, 139, 244, 131 },
                              { 138, 53, 299, 94 }, { 351, 22, 317, 24 } };
static const cs_2x2 elwood[] = { { 41, 6, 13, 53 }, { 66, 25, 37, 83 },
                                 { 23, 14, 37, 62 } };

static const struct {
    const char *name;
    const cs_2x2 *strata;
    size_t k;
    mh_want want;
} mh_cases[] = {
    /* SAS/STAT PROC FREQ, Example "Cochran-Mantel-Haenszel Statistics"
     * (Migraine): CMH 8.3052, p 0.0040; MH OR 3.3132 (1.4456, 7.5934);
     * MH RR (column 1) 2.1636 (1.2336, 3.7948); Breslow-Day 1.4929, 1 df,
     * p 0.2218. */
    { "SAS migraine", migraine, 2,
      { { 2.1636, DP(4) }, { 1.2336, DP(4) }, { 3.7948, DP(4) },
        { 3.3132, DP(4) }, { 1.4456, DP(4) }, { 7.5934, DP(4) },
        { 8.3052, DP(4) }, { 0.0040, DP(4) }, { 1.4929, DP(4) },
        { 0.2218, DP(4) }, 1, 2, 2, 0 } },
    { "migraine (statsmodels)", migraine, 2,
      { X(2.1635968424665366), X(1.2335679511768662), X(3.7948061898537389),
        X(3.3131680691380487), X(1.4456131901861209), X(7.5933747207596118),
        X(8.3051693354591922), X(0.0039532396384169832),
        X(1.4929284979868229), X(0.22176264220904673), 1, 2, 2, 0 } },
    /* R ?mantelhaen.test, penicillin and rabbits (as recorded in
     * statsmodels' tests): common OR 7, 95% CI 1.026713 47.725133. Two
     * strata have a zero margin, so Breslow-Day uses 3 strata, 2 df. */
    { "R rabbits", rabbits, 5,
      { NA_, NA_, NA_, { 7.0, DP(6) }, { 1.026713, DP(6) },
        { 47.725133, DP(6) }, NA_, NA_, NA_, NA_, 2, 5, 3, 0 } },
    { "rabbits (statsmodels)", rabbits, 5,
      { X(2.8000000000000003), X(1.1050900984718162), X(7.0944441641831881),
        X(7.0), X(1.0267126884616671), X(47.725133380222609),
        X(5.6571428571428575), X(0.017384420352066221),
        X(8.6273317623650705), X(0.013384393951993978), 2, 5, 3, 0 } },
    /* R mantelhaen.test and DescTools::BreslowDayTest(correct = FALSE),
     * as recorded in statsmodels' TestStratified2 and 3. */
    { "R/DescTools sm2", sm2, 5,
      { NA_, NA_, NA_, { 3.5912, DP(4) }, { 1.781135, DP(6) },
        { 7.240633, DP(6) }, NA_, NA_, { 1.8438, DP(4) }, { 0.7645, DP(4) },
        4, 5, 5, 0 } },
    { "sm2 (statsmodels)", sm2, 5,
      { X(1.8651488616462344), X(1.301658248006212), X(2.6725757559088903),
        X(3.5911755630978095), X(1.7811345246505994), X(7.2406332854171973),
        X(13.046583362216202), X(0.00030383818044887878),
        X(1.8437896322771292), X(0.76446179145153315), 4, 5, 5, 0 } },
    { "R/DescTools UCB admissions", ucb, 6,
      { NA_, NA_, NA_, { 1.101879, DP(6) }, { 0.9402012, DP(7) },
        { 1.2913602, DP(7) }, NA_, NA_, { 18.83297, DP(5) },
        { 0.002064786, DP(9) }, 5, 6, 6, 0 } },
    { "UCB admissions (statsmodels)", ucb, 6,
      { X(1.0268296551702076), X(0.982070187428842), X(1.0736291094401691),
        X(1.1018794864424033), X(0.94020122437721254), X(1.2913601590412918),
        X(1.4313062481220369), X(0.23155137637398571),
        X(18.832969981800787), X(0.0020647858136756403), 5, 6, 6, 0 } },
    /* epiR ?epi.2by2 (0.9-x) example 4, after Elwood (2007): MH OR 6.27,
     * Breslow-Day 12.66 on 2 df. */
    { "epiR Elwood", elwood, 3,
      { NA_, NA_, NA_, { 6.27, DP(2) }, NA_, NA_, NA_, NA_,
        { 12.66, DP(2) }, NA_, 2, 3, 3, 0 } },
    { "Elwood (statsmodels)", elwood, 3,
      { X(2.4888194797525189), X(2.0212358970523638), X(3.0645717364454299),
        X(6.2678850515765632), X(4.1240443412173873), X(9.5261786172211416),
        X(82.34307838952239), NA_, X(12.664421965436471),
        X(0.0017780980757130527), 2, 3, 3, 0 } },
};

static void check_val(const char *name, const char *what, double got, val w)
{
    if (w.tol == REL_TOL)
        near_rel(name, what, got, w.v, REL);
    else
        near(name, what, got, w.v, w.tol);
}

static void check_mh(const char *name, const cs_mh *r, uint32_t notes,
                     const mh_want *w)
{
    notes_equal(name, notes, w->notes);
    check_val(name, "RR", r->risk_ratio.est, w->rr);
    check_val(name, "RR lo", r->risk_ratio.lo, w->rr_lo);
    check_val(name, "RR hi", r->risk_ratio.hi, w->rr_hi);
    check_val(name, "OR", r->odds_ratio.est, w->or_);
    check_val(name, "OR lo", r->odds_ratio.lo, w->or_lo);
    check_val(name, "OR hi", r->odds_ratio.hi, w->or_hi);
    check_val(name, "chisq", r->chisq.stat, w->chisq);
    check_val(name, "chisq p", r->chisq.p, w->chisq_p);
    check_val(name, "BD", r->breslow_day.stat, w->bd);
    check_val(name, "BD p", r->breslow_day.p, w->bd_p);
    near(name, "BD df", r->breslow_day.df, w->bd_df, 0.0);
    assert_true(r->chisq.df == 1.0);
    assert_int_equal(r->strata_used, w->used);
    assert_int_equal(r->strata_bd, w->bd_strata);
}

static void test_mh_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof mh_cases / sizeof mh_cases[0]; i++) {
        cs_mh r;
        print_message("case %s\n", mh_cases[i].name);
        check_mh(mh_cases[i].name, &r,
                 cs_stats_mh(&r, mh_cases[i].strata, mh_cases[i].k, 0.95),
                 &mh_cases[i].want);
    }
}

static void test_mh_edges(void **state)
{
    cs_mh r;
    uint32_t notes;
    (void)state;

    /* No strata at all. */
    notes_equal("k = 0", cs_stats_mh(&r, NULL, 0, 0.95), CS_NOTE_MH_NO_STRATA);
    assert_true(isnan(r.odds_ratio.est) && isnan(r.chisq.stat));

    /* Strata of 0 or 1 session carry nothing. */
    {
        static const cs_2x2 tiny[] = { { 1, 0, 0, 0 }, { 0, 0, 0, 0 } };
        notes_equal("tiny", cs_stats_mh(&r, tiny, 2, 0.95),
                    CS_NOTE_MH_NO_STRATA | CS_NOTE_STRATA_SKIPPED);
        assert_int_equal(r.strata_used, 0);
    }

    /* A skipped stratum changes nothing else: migraine plus one session. */
    {
        static const cs_2x2 plus[] = { { 16, 11, 5, 20 }, { 1, 0, 0, 0 },
                                       { 12, 16, 7, 19 } };
        mh_want w = mh_cases[1].want;
        w.notes = CS_NOTE_STRATA_SKIPPED;
        check_mh("migraine + 1", &r, cs_stats_mh(&r, plus, 3, 0.95), &w);
    }

    /* One stratum: MH equals the crude measures; Breslow-Day needs two. */
    {
        cs_ci or_, rr;
        notes = cs_stats_mh(&r, &migraine[0], 1, 0.95);
        notes_equal("one stratum", notes, CS_NOTE_BD_TOO_FEW_STRATA);
        cs_stats_or(&or_, &migraine[0], 0.95);
        cs_stats_rr(&rr, &migraine[0], 0.95);
        near_rel("one stratum", "OR", r.odds_ratio.est, or_.est, 1e-14);
        near_rel("one stratum", "RR", r.risk_ratio.est, rr.est, 1e-14);
        near_rel("one stratum", "RR lo", r.risk_ratio.lo, rr.lo, 1e-12);
        assert_true(isnan(r.breslow_day.stat) && isnan(r.breslow_day.p));
        near("one stratum", "BD df", r.breslow_day.df, 0.0, 0.0);
    }

    /* No unexposed cases in any stratum: pooled RR and OR undefined, so
     * Breslow-Day too (both strata have four margins), the chi-square
     * still defined. */
    {
        static const cs_2x2 s[] = { { 3, 5, 0, 9 }, { 2, 6, 0, 7 } };
        notes = cs_stats_mh(&r, s, 2, 0.95);
        notes_equal("no unexposed cases", notes,
                    CS_NOTE_MH_RR_UNDEFINED | CS_NOTE_MH_OR_UNDEFINED
                    | CS_NOTE_BD_UNDEFINED);
        assert_true(isnan(r.risk_ratio.est) && isnan(r.odds_ratio.est));
        assert_true(r.chisq.stat > 0.0 && r.chisq.p < 1.0);
    }

    /* No exposed cases: pooled measures 0 with no interval; Breslow-Day
     * cannot be fitted around an odds ratio of 0. */
    {
        static const cs_2x2 s[] = { { 0, 5, 3, 9 }, { 0, 6, 2, 7 } };
        notes = cs_stats_mh(&r, s, 2, 0.95);
        notes_equal("no exposed cases", notes,
                    CS_NOTE_MH_RR_ZERO | CS_NOTE_MH_OR_ZERO
                    | CS_NOTE_BD_UNDEFINED);
        assert_true(r.risk_ratio.est == 0.0 && isnan(r.risk_ratio.lo));
        assert_true(r.odds_ratio.est == 0.0 && isnan(r.odds_ratio.hi));
        assert_true(isnan(r.breslow_day.stat));
    }

    /* Every stratum has a zero margin: nothing is estimable. */
    {
        static const cs_2x2 s[] = { { 0, 0, 3, 9 }, { 4, 6, 0, 0 } };
        notes = cs_stats_mh(&r, s, 2, 0.95);
        notes_equal("zero margins", notes,
                    CS_NOTE_MH_RR_UNDEFINED | CS_NOTE_MH_OR_UNDEFINED
                    | CS_NOTE_MH_CHISQ_UNDEFINED
                    | CS_NOTE_BD_TOO_FEW_STRATA);
    }

    /* Two identical strata with counts above 2^32: pooled = crude. */
    {
        static const cs_2x2 s[] = { BIG1, BIG1 };
        notes_equal("big", cs_stats_mh(&r, s, 2, 0.95), 0);
        near_rel("big", "OR", r.odds_ratio.est, 1.5, 1e-14);
        near_rel("big", "RR", r.risk_ratio.est, 1.25, 1e-14);
        near("big", "BD", r.breslow_day.stat, 0.0, 1e-6);
        assert_true(r.odds_ratio.lo < 1.5 && r.odds_ratio.hi > 1.5);
    }

    /* A bad level leaves the estimates and tests, drops the intervals. */
    notes_equal("bad level", cs_stats_mh(&r, migraine, 2, 2.0),
                CS_NOTE_BAD_LEVEL);
    near_rel("bad level", "OR", r.odds_ratio.est, 3.3131680691380487, REL);
    assert_true(isnan(r.odds_ratio.lo) && isnan(r.risk_ratio.hi));
    near_rel("bad level", "BD", r.breslow_day.stat, 1.4929284979868229, REL);
}

/* ---- Logistic regression ---------------------------------------------- */

/* Bliss (1935) beetle mortality; Dobson & Barnett, An Introduction to
 * Generalized Linear Models, 3rd ed., sec. 7.3.1: b1 = -60.72 (SE 5.18),
 * b2 = 34.27 (SE 2.91), deviance D = 11.23. */
static const double beetle_x[] = {
    1, 1.6907, 1, 1.7242, 1, 1.7552, 1, 1.7842,
    1, 1.8113, 1, 1.8369, 1, 1.8610, 1, 1.8839 };
static const uint64_t beetle_n[] = { 59, 60, 62, 56, 63, 59, 62, 60 };
static const uint64_t beetle_y[] = { 6, 13, 18, 28, 52, 53, 61, 60 };

static void test_logit_beetle(void **state)
{
    cs_logit_fit f;
    cs_ci or_;
    (void)state;

    assert_int_equal(cs_stats_logit(&f, beetle_x, beetle_n, beetle_y, 8, 2), 0);
    notes_equal("beetle", f.status, 0);
    assert_true(f.converged);
    assert_int_equal(f.rank, 2);
    assert_int_equal(f.patterns, 8);
    /* Published, 2 decimals. */
    near("beetle", "b1", f.beta[0], -60.72, DP(2));
    near("beetle", "b2", f.beta[1], 34.27, DP(2));
    near("beetle", "se1", f.se[0], 5.18, DP(2));
    near("beetle", "se2", f.se[1], 2.91, DP(2));
    near("beetle", "D", f.deviance, 11.23, DP(2));
    /* statsmodels GLM(Binomial), tol 1e-14. */
    near_rel("beetle", "b1", f.beta[0], -60.717454561635201, 1e-9);
    near_rel("beetle", "b2", f.beta[1], 34.270325734146859, 1e-9);
    near_rel("beetle", "se1", f.se[0], 5.1807114633407894, 1e-8);
    near_rel("beetle", "se2", f.se[1], 2.9121400706357226, 1e-8);
    near_rel("beetle", "p1", f.p_value[0], 1.0078302932163605e-31, 1e-6);
    near_rel("beetle", "p2", f.p_value[1], 5.7000608156865639e-32, 1e-6);
    near_rel("beetle", "D", f.deviance, 11.232231097419307, 1e-9);
    near_rel("beetle", "z2", f.z[1], f.beta[1] / f.se[1], 1e-15);
    /* The odds ratio per unit of log dose is huge but well defined. */
    notes_equal("beetle OR", cs_stats_logit_or(&or_, &f, 1, 0.95), 0);
    near_rel("beetle", "OR", or_.est, 764563144840828.62, 1e-7);
    near_rel("beetle", "OR lo", or_.lo, 2538605620122.4526, 1e-7);
    near_rel("beetle", "OR hi", or_.hi, 2.3026688266005686e+17, 1e-7);
}

/* Two binary factors on four covariate patterns, the shape aggregate
 * builds from the six cause factors. */
static const double two_x[] = { 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1 };
static const uint64_t two_n[] = { 120, 80, 95, 60 };
static const uint64_t two_y[] = { 10, 15, 18, 25 };
static const double two_beta[] = { -2.4609242271971223, 1.0401164806039267,
                                   1.0456142396617811 };
static const double two_se[] = { 0.27389950160907406, 0.28298802215117691,
                                 0.28611874325455444 };
static const double two_p[] = { 2.5927427464472862e-19,
                                0.00023740374048392406,
                                0.00025770720821819982 };

static void check_two(const char *name, const cs_logit_fit *f,
                      const size_t *col)
{
    for (size_t j = 0; j < 3; j++) {
        near_rel(name, "beta", f->beta[col[j]], two_beta[j], 1e-9);
        near_rel(name, "se", f->se[col[j]], two_se[j], 1e-8);
        near_rel(name, "p", f->p_value[col[j]], two_p[j], 1e-7);
    }
    near_rel(name, "D", f->deviance, 0.10447773203615855, 1e-8);
}

static void test_logit_two(void **state)
{
    static const size_t col[] = { 0, 1, 2 };
    cs_logit_fit f;
    cs_ci or_;
    (void)state;

    assert_int_equal(cs_stats_logit(&f, two_x, two_n, two_y, 4, 3), 0);
    notes_equal("two", f.status, 0);
    check_two("two", &f, col);
    notes_equal("two OR", cs_stats_logit_or(&or_, &f, 1, 0.95), 0);
    near_rel("two", "OR", or_.est, 2.8295465824518038, 1e-9);
    near_rel("two", "OR lo", or_.lo, 1.6249387928459977, 1e-8);
    near_rel("two", "OR hi", or_.hi, 4.9271602705982529, 1e-8);
    notes_equal("OR j >= p", cs_stats_logit_or(&or_, &f, 3, 0.95),
                CS_NOTE_BAD_INPUT);
    notes_equal("OR bad level", cs_stats_logit_or(&or_, &f, 1, 0.0),
                CS_NOTE_BAD_LEVEL);
    assert_true(isnan(or_.lo));

    /* Patterns with no trials are ignored: add one, same fit. */
    {
        static const double x5[] = { 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1,
                                     1, 7, 7 };
        static const uint64_t n5[] = { 120, 80, 95, 60, 0 };
        static const uint64_t y5[] = { 10, 15, 18, 25, 0 };
        assert_int_equal(cs_stats_logit(&f, x5, n5, y5, 5, 3), 0);
        notes_equal("empty pattern", f.status, 0);
        assert_int_equal(f.patterns, 4);
        check_two("empty pattern", &f, col);
    }

    /* One row per session instead of per pattern: the same fit. */
    {
        static double x[355 * 3];
        static uint64_t n[355], y[355];
        size_t r = 0;
        for (size_t i = 0; i < 4; i++)
            for (uint64_t s = 0; s < two_n[i]; s++, r++) {
                memcpy(x + 3 * r, two_x + 3 * i, 3 * sizeof *x);
                n[r] = 1;
                y[r] = s < two_y[i];
            }
        assert_int_equal(cs_stats_logit(&f, x, n, y, 355, 3), 0);
        notes_equal("per session", f.status, 0);
        for (size_t j = 0; j < 3; j++) {
            near_rel("per session", "beta", f.beta[j], two_beta[j], 1e-8);
            near_rel("per session", "se", f.se[j], two_se[j], 1e-8);
        }
    }
}

static void test_logit_singular(void **state)
{
    cs_logit_fit f;
    cs_ci or_;
    (void)state;

    /* A covariate that never varies (2.0 for everyone) next to the
     * intercept: dropped, as R's glm reports NA, the rest unchanged. */
    {
        static const double x[] = { 1, 0, 2, 0, 1, 1, 2, 0, 1, 0, 2, 1,
                                    1, 1, 2, 1 };
        static const size_t col[] = { 0, 1, 3 };
        assert_int_equal(cs_stats_logit(&f, x, two_n, two_y, 4, 4), 0);
        notes_equal("constant", f.status, CS_NOTE_LOGIT_SINGULAR);
        assert_int_equal(f.rank, 3);
        assert_true(f.aliased[2] && !f.aliased[0] && !f.aliased[1]
                    && !f.aliased[3]);
        assert_true(isnan(f.beta[2]) && isnan(f.se[2]) && isnan(f.p_value[2]));
        check_two("constant", &f, col);
        notes_equal("constant OR", cs_stats_logit_or(&or_, &f, 2, 0.95),
                    CS_NOTE_LOGIT_SINGULAR);
        assert_true(isnan(or_.est));
        notes_equal("kept OR", cs_stats_logit_or(&or_, &f, 1, 0.95), 0);
        near_rel("kept OR", "est", or_.est, 2.8295465824518038, 1e-9);
    }
    /* The same factor twice, and x1 + x2 as a third: both aliased. */
    {
        static const double x[] = { 1, 0, 0, 0, 0, 1, 1, 0, 1, 1,
                                    1, 0, 1, 0, 1, 1, 1, 1, 1, 2 };
        static const size_t col[] = { 0, 1, 2 };
        assert_int_equal(cs_stats_logit(&f, x, two_n, two_y, 4, 5), 0);
        notes_equal("duplicate", f.status, CS_NOTE_LOGIT_SINGULAR);
        assert_int_equal(f.rank, 3);
        assert_true(f.aliased[3] && f.aliased[4]);
        check_two("duplicate", &f, col);
    }
}

static void test_logit_separation(void **state)
{
    cs_logit_fit f;
    cs_ci or_;
    (void)state;

    /* Complete: every session at dose >= 2 is a case, none below. */
    {
        static const double x[] = { 1, 0, 1, 1, 1, 2, 1, 3 };
        static const uint64_t n[] = { 10, 10, 10, 10 };
        static const uint64_t y[] = { 0, 0, 10, 10 };
        assert_int_equal(cs_stats_logit(&f, x, n, y, 4, 2), 0);
        assert_true(f.status & CS_NOTE_LOGIT_SEPARATION);
        notes_equal("separation OR", cs_stats_logit_or(&or_, &f, 1, 0.95)
                    & CS_NOTE_LOGIT_SEPARATION, CS_NOTE_LOGIT_SEPARATION);
    }
    /* Quasi-complete: cases at x >= 1, non-cases at x <= 1. */
    {
        static const double x[] = { 1, 0, 1, 1, 1, 2 };
        static const uint64_t n[] = { 10, 10, 10 };
        static const uint64_t y[] = { 0, 3, 10 };
        assert_int_equal(cs_stats_logit(&f, x, n, y, 3, 2), 0);
        assert_true(f.status & CS_NOTE_LOGIT_SEPARATION);
    }
    /* The epidemiological one: no case among the exposed, so the
     * exposure coefficient runs off to minus infinity. */
    {
        static const double x[] = { 1, 0, 1, 1 };
        static const uint64_t n[] = { 100, 50 };
        static const uint64_t y[] = { 5, 0 };
        assert_int_equal(cs_stats_logit(&f, x, n, y, 2, 2), 0);
        assert_true(f.status & CS_NOTE_LOGIT_SEPARATION);
        assert_true(f.beta[1] < -10.0);
        /* The intercept is still the unexposed log odds. */
        near_rel("zero cell", "b0", f.beta[0], log(5.0 / 95.0), 1e-6);
    }
    /* Overlapping data are not flagged: the beetles' top dose kills all
     * 60, yet its fitted probability is 0.98, not 1. */
    {
        assert_int_equal(cs_stats_logit(&f, beetle_x, beetle_n, beetle_y, 8,
                                        2), 0);
        assert_false(f.status & CS_NOTE_LOGIT_SEPARATION);
    }
}

static void test_logit_bad_input(void **state)
{
    static const double x[] = { 1, 0, 1, 1 };
    static const double xnan[] = { 1, 0, 1, NAN };
    static const uint64_t n[] = { 10, 10 }, y[] = { 2, 5 };
    static const uint64_t ybad[] = { 2, 11 }, nzero[] = { 0, 0 };
    static const uint64_t yzero[] = { 0, 0 };
    cs_logit_fit f;
    (void)state;

    assert_int_equal(cs_stats_logit(&f, x, n, ybad, 2, 2), -1);
    notes_equal("y > n", f.status, CS_NOTE_BAD_INPUT);
    assert_int_equal(cs_stats_logit(&f, xnan, n, y, 2, 2), -1);
    notes_equal("NaN x", f.status, CS_NOTE_BAD_INPUT);
    assert_int_equal(cs_stats_logit(&f, x, nzero, yzero, 2, 2), -1);
    notes_equal("no trials", f.status, CS_NOTE_BAD_INPUT);
    assert_int_equal(cs_stats_logit(&f, x, n, y, 2, 0), -1);
    notes_equal("p = 0", f.status, CS_NOTE_BAD_INPUT);
    assert_int_equal(cs_stats_logit(&f, x, n, y, 1, CS_LOGIT_MAXP + 1), -1);
    notes_equal("p too big", f.status, CS_NOTE_BAD_INPUT);
    assert_int_equal(cs_stats_logit(&f, NULL, n, y, 2, 2), -1);
    assert_int_equal(cs_stats_logit(NULL, x, n, y, 2, 2), -1);
}

/* ---- Notes ------------------------------------------------------------ */

static void test_notes_text(void **state)
{
    char buf[512], small[16];
    size_t len;
    (void)state;

    assert_string_equal(cs_stats_note_text(CS_NOTE_RR_UNDEFINED_ZERO_CELL),
                        "risk ratio undefined: no cases among the unexposed");
    assert_null(cs_stats_note_text(0));
    assert_null(cs_stats_note_text(UINT32_C(1) << 31));
    /* Every defined bit has a text. */
    for (uint32_t bit = CS_NOTE_BAD_INPUT; bit <= CS_NOTE_P_BOUND; bit <<= 1)
        assert_non_null(cs_stats_note_text(bit));
    /* The lowest set bit wins. */
    assert_string_equal(cs_stats_note_text(CS_NOTE_EMPTY | CS_NOTE_NOMEM),
                        cs_stats_note_text(CS_NOTE_EMPTY));

    len = cs_stats_notes_format(buf, sizeof buf,
                                CS_NOTE_RR_ZERO_EXPOSED_CASES
                                | CS_NOTE_AF_UNDEFINED);
    assert_string_equal(buf,
        "risk ratio is 0 (no cases among the exposed): Katz interval "
        "undefined; attributable fraction among the exposed undefined: "
        "risk ratio is 0 or undefined");
    assert_int_equal(len, strlen(buf));
    /* Truncated like snprintf: NUL-terminated, full length returned. */
    assert_int_equal(cs_stats_notes_format(small, sizeof small,
                                           CS_NOTE_RR_ZERO_EXPOSED_CASES
                                           | CS_NOTE_AF_UNDEFINED), len);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(strncmp(small, buf, sizeof small - 1), 0);
    assert_int_equal(cs_stats_notes_format(buf, sizeof buf, 0), 0);
    assert_string_equal(buf, "");
    assert_int_equal(cs_stats_notes_format(NULL, 0, CS_NOTE_EMPTY),
                     strlen(cs_stats_note_text(CS_NOTE_EMPTY)));
}

/* Counts above 2^32 everywhere: nothing wraps, nothing overflows. */
static void test_big_counts(void **state)
{
    static const cs_2x2 t = BIG1;
    cs_ci ci;
    double paf;
    (void)state;

    notes_equal("big RR", cs_stats_rr(&ci, &t, 0.95), 0);
    near_rel("big", "RR", ci.est, 1.25, 1e-15);
    assert_true(ci.lo < 1.25 && ci.hi > 1.25 && ci.hi - ci.lo < 1e-3);
    notes_equal("big OR", cs_stats_or(&ci, &t, 0.95), 0);
    near_rel("big", "OR", ci.est, 1.5, 1e-15);
    notes_equal("big RD", cs_stats_rd(&ci, &t, 0.95), 0);
    near_rel("big", "RD", ci.est, 0.1, 1e-12);
    notes_equal("big AFe", cs_stats_af_exposed(&ci, &t, 0.95), 0);
    near_rel("big", "AFe", ci.est, 0.2, 1e-14);
    notes_equal("big PAF", cs_stats_paf(&paf, &t), 0);
    near_rel("big", "PAF", paf, 1.0 - 0.4 / 0.45, 1e-13);
    notes_equal("big Wilson", cs_stats_wilson(&ci, 5000000000u, 10000000000u,
                                              0.95), 0);
    near_rel("big", "Wilson lo", ci.lo, 0.49999020018007917, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_z),
        cmocka_unit_test(test_proportion_cases),
        cmocka_unit_test(test_proportion_edges),
        cmocka_unit_test(test_rate_cases),
        cmocka_unit_test(test_rate_ratio_exact),
        cmocka_unit_test(test_measure_cases),
        cmocka_unit_test(test_paf_cases),
        cmocka_unit_test(test_chisq_cases),
        cmocka_unit_test(test_small_expected),
        cmocka_unit_test(test_fisher_cases),
        cmocka_unit_test(test_fisher_time),
        cmocka_unit_test(test_fisher_log10),
        cmocka_unit_test(test_mh_cases),
        cmocka_unit_test(test_mh_edges),
        cmocka_unit_test(test_logit_beetle),
        cmocka_unit_test(test_logit_two),
        cmocka_unit_test(test_logit_singular),
        cmocka_unit_test(test_logit_separation),
        cmocka_unit_test(test_logit_bad_input),
        cmocka_unit_test(test_notes_text),
        cmocka_unit_test(test_big_counts),
    };

    gsl_set_error_handler_off();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
