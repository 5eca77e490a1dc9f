/* Tests of src/epi.c. The main check replays tests/data/epi_reference.csv,
 * written by tests/epi_reference.R from epiR::epi.2by2, fisher.test's own
 * code and formulas written out in R, on the sample data's tables and on
 * edge tables: every number to 1e-9 relative, except fisher.test's own
 * values (see near_fisher). The hand-made cases after it check the notes,
 * closed forms and symmetries that need no second program. */
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

#include <crampstat/buf.h>
#include <crampstat/epi.h>

#ifndef CS_TEST_DATA
#define CS_TEST_DATA "tests/data"
#endif
#define REFERENCE CS_TEST_DATA "/epi_reference.csv"

#define REL 1e-9
#define LEVEL 0.95
#define MAX_STRATA 8

/* got == want within rel (absolute when want is 0); NaN wants NaN and an
 * infinity the same infinity. */
static int close_enough(double got, double want, double rel)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return got == want;
    return fabs(got - want) <= rel * fabs(want);
}

static void check(const char *cs, const char *measure, const char *what,
                  double got, double want, double rel)
{
    if (!close_enough(got, want, rel))
        fail_msg("%s %s %s: got %.17g, want %.17g (rel %g)", cs, measure,
                 what, got, want, rel);
}

static void check_ci(const char *cs, const char *measure, const cs_ci *got,
                     const double *want, double rel)
{
    check(cs, measure, "estimate", got->est, want[0], rel);
    check(cs, measure, "lower", got->lo, want[1], rel);
    check(cs, measure, "upper", got->hi, want[2], rel);
}

/* fisher.test stops its root search (uniroot) when the bracket of t is
 * about .Machine$double.eps^0.25 = 1.22e-4 wide, where t is the odds
 * ratio when it is below 1 and its inverse above. So its values are
 * checked on that scale, to that width; the same code with a tolerance of
 * 1e-15 gives the exact_or rows, checked to REL. */
static void near_fisher(const char *cs, const char *what, double got,
                        double want)
{
    double g = got < 1.0 ? got : 1.0 / got;
    double w = want < 1.0 ? want : 1.0 / want;

    if (isinf(want) || want == 0.0 || isnan(want)) {
        check(cs, "exact_or_fisher_test", what, got, want, 0.0);
        return;
    }
    if (!(fabs(g - w) <= 1.3e-4))
        fail_msg("%s fisher.test %s: got %.17g, want %.17g", cs, what, got,
                 want);
}

static double parse_num(const char *s)
{
    char *end;
    double v;

    if (strcmp(s, "NA") == 0)
        return NAN;
    if (strcmp(s, "Inf") == 0)
        return INFINITY;
    if (strcmp(s, "-Inf") == 0)
        return -INFINITY;
    v = strtod(s, &end);
    if (end == s || *end != '\0')
        fail_msg("bad number \"%s\" in " REFERENCE, s);
    return v;
}

static uint64_t parse_count(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);

    if (end == s || *end != '\0')
        fail_msg("bad count \"%s\" in " REFERENCE, s);
    return (uint64_t)v;
}

/* The case the ref lines below it refer to. */
typedef struct ref_case {
    char name[64];
    enum { NONE, TABLE, TIME, STRATA } kind;
    cs_2x2 t;
    cs_pt2 pt;
    cs_2x2 strata[MAX_STRATA];
    size_t k;
} ref_case;

static void check_table(const ref_case *rc, const char *m, const double *v,
                        size_t *n)
{
    const char *cs = rc->name;
    cs_ci ci;
    cs_nnt nnt;

    if (strcmp(m, "af_exposed") == 0) {
        cs_stats_af_exposed(&ci, &rc->t, LEVEL);
        check_ci(cs, m, &ci, v, REL);
    } else if (strcmp(m, "paf") == 0) {
        cs_epi_paf(&ci, &rc->t, LEVEL);
        check_ci(cs, m, &ci, v, REL);
    } else if (strcmp(m, "par") == 0) {
        cs_epi_par(&ci, &rc->t, LEVEL);
        check_ci(cs, m, &ci, v, REL);
    } else if (strcmp(m, "rd") == 0) {
        cs_stats_rd(&ci, &rc->t, LEVEL);
        check_ci(cs, m, &ci, v, REL);
    } else if (strcmp(m, "nnt") == 0) {
        cs_epi_nnt(&nnt, &rc->t, LEVEL);
        check(cs, m, "estimate", nnt.est, v[0], REL);
        check(cs, m, "lower", nnt.lo, v[1], REL);
        check(cs, m, "upper", nnt.hi, v[2], REL);
    } else if (strcmp(m, "nnt_kind") == 0) {
        cs_epi_nnt(&nnt, &rc->t, LEVEL);
        if (nnt.kind != (int)v[0])
            fail_msg("%s nnt kind: got %d, want %d", cs, nnt.kind,
                     (int)v[0]);
    } else if (strcmp(m, "exact_or") == 0) {
        cs_epi_exact_or(&ci, &rc->t, LEVEL);
        check_ci(cs, m, &ci, v, REL);
    } else if (strcmp(m, "exact_or_fisher_test") == 0) {
        cs_epi_exact_or(&ci, &rc->t, LEVEL);
        near_fisher(cs, "estimate", ci.est, v[0]);
        near_fisher(cs, "lower", ci.lo, v[1]);
        near_fisher(cs, "upper", ci.hi, v[2]);
    } else {
        fail_msg("%s: unknown measure %s for a table", cs, m);
    }
    (*n)++;
}

static void check_time(const ref_case *rc, const char *m, const double *v,
                       size_t *n)
{
    const char *cs = rc->name;
    cs_ci ci;

    if (strcmp(m, "rate_difference") == 0)
        cs_epi_rate_difference(&ci, &rc->pt, 1000.0, LEVEL);
    else if (strcmp(m, "af_rate") == 0)
        cs_epi_af_rate(&ci, &rc->pt, LEVEL);
    else if (strcmp(m, "par_rate") == 0)
        cs_epi_par_rate(&ci, &rc->pt, 1000.0, LEVEL);
    else if (strcmp(m, "paf_rate") == 0) {
        uint64_t notes = cs_epi_paf_rate(&ci, &rc->pt, LEVEL);
        if (rc->pt.a == 0 && rc->pt.c > 0) {
            /* A deliberate difference (docs/epi.md): with no cases among
             * the exposed, epiR's interval is the estimate itself, which
             * crampstat leaves undefined, with a note. R's row shows it. */
            const double point[3] = { v[0], NAN, NAN };
            assert_true(fabs(v[1] - v[0]) <= REL * fabs(v[0]) &&
                        fabs(v[2] - v[0]) <= REL * fabs(v[0]));
            assert_true(notes & CS_EPI_NOTE_PAF_RATE_NO_EXPOSED_CASES);
            check_ci(cs, m, &ci, point, REL);
            (*n)++;
            return;
        }
    } else
        fail_msg("%s: unknown measure %s for rates", cs, m);
    check_ci(cs, m, &ci, v, REL);
    (*n)++;
}

static void check_strata(const ref_case *rc, const char *m, const double *v,
                         size_t *n)
{
    const char *cs = rc->name;
    cs_test t;
    cs_ci ci;

    if (strncmp(m, "stratum_", 8) == 0) {
        const char *colon = strchr(m, ':');
        size_t i = colon ? (size_t)parse_count(colon + 1) : MAX_STRATA;
        cs_epi_stratum s;
        assert_true(i < rc->k);
        cs_epi_stratum_measures(&s, &rc->strata[i], LEVEL);
        if (strncmp(m, "stratum_rr:", 11) == 0)
            check_ci(cs, m, &s.risk_ratio, v, REL);
        else if (strncmp(m, "stratum_or:", 11) == 0)
            check_ci(cs, m, &s.odds_ratio, v, REL);
        else if (strncmp(m, "stratum_rd:", 11) == 0)
            check_ci(cs, m, &s.risk_difference, v, REL);
        else
            fail_msg("%s: unknown measure %s", cs, m);
    } else if (strcmp(m, "mh_rd_gr") == 0) {
        cs_epi_mh_rd(&ci, rc->strata, rc->k, CS_EPI_RD_GREENLAND_ROBINS,
                     LEVEL);
        check_ci(cs, m, &ci, v, REL);
    } else if (strcmp(m, "mh_rd_sato") == 0) {
        cs_epi_mh_rd(&ci, rc->strata, rc->k, CS_EPI_RD_SATO, LEVEL);
        check_ci(cs, m, &ci, v, REL);
    } else if (strcmp(m, "crude_adj") == 0) {
        cs_epi_crude_adj ca;
        cs_epi_crude_to_adjusted(&ca, rc->strata, rc->k);
        check(cs, m, "risk_ratio", ca.risk_ratio, v[0], REL);
        check(cs, m, "odds_ratio", ca.odds_ratio, v[1], REL);
    } else if (strcmp(m, "woolf_rr") == 0 || strcmp(m, "woolf_or") == 0) {
        if (m[6] == 'r')
            cs_epi_woolf_rr(&t, NULL, rc->strata, rc->k);
        else
            cs_epi_woolf_or(&t, NULL, rc->strata, rc->k);
        check(cs, m, "statistic", t.stat, v[0], REL);
        check(cs, m, "df", t.df, v[1], 0.0);
        check(cs, m, "p", t.p, v[2], REL);
    } else {
        fail_msg("%s: unknown measure %s for strata", cs, m);
    }
    (*n)++;
}

/* Split a line at commas in place; returns the number of fields. */
static size_t split(char *line, char **f, size_t cap)
{
    size_t n = 0;
    char *p = line;

    line[strcspn(line, "\r\n")] = '\0';
    while (n < cap) {
        f[n++] = p;
        p = strchr(p, ',');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    return n;
}

static void test_reference(void **state)
{
    FILE *fp = fopen(REFERENCE, "r");
    size_t checked = 0, lineno = 0, cases = 0;
    ref_case rc;
    char line[512];

    (void)state;
    if (fp == NULL)
        fail_msg("cannot open " REFERENCE);
    memset(&rc, 0, sizeof rc);
    while (fgets(line, sizeof line, fp) != NULL) {
        char *f[8] = {0};
        size_t nf;
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        nf = split(line, f, 8);
        /* Every record has a kind and a case name. */
        if (nf < 3 || f[1] == NULL || f[2] == NULL)
            fail_msg(REFERENCE ":%zu: short record", lineno);
        if (strcmp(f[0], "ref") == 0) {
            double v[3];
            if (nf != 6 || strcmp(f[1], rc.name) != 0)
                fail_msg(REFERENCE ":%zu: ref without its case", lineno);
            for (int i = 0; i < 3; i++)
                v[i] = parse_num(f[3 + i]);
            if (rc.kind == TABLE)
                check_table(&rc, f[2], v, &checked);
            else if (rc.kind == TIME)
                check_time(&rc, f[2], v, &checked);
            else
                check_strata(&rc, f[2], v, &checked);
            continue;
        }
        if (strcmp(f[0], "stratum") == 0 && rc.kind == STRATA
            && strcmp(f[1], rc.name) == 0) {
            /* The next stratum of the current case. */
        } else {
            memset(&rc, 0, sizeof rc);
            snprintf(rc.name, sizeof rc.name, "%s", f[1]);
            cases++;
        }
        if (strcmp(f[0], "table") == 0 && nf == 6) {
            rc.kind = TABLE;
            rc.t.a = parse_count(f[2]);
            rc.t.b = parse_count(f[3]);
            rc.t.c = parse_count(f[4]);
            rc.t.d = parse_count(f[5]);
        } else if (strcmp(f[0], "time") == 0 && nf == 6) {
            rc.kind = TIME;
            rc.pt.a = parse_count(f[2]);
            rc.pt.t1 = parse_num(f[3]);
            rc.pt.c = parse_count(f[4]);
            rc.pt.t0 = parse_num(f[5]);
        } else if (strcmp(f[0], "stratum") == 0 && nf == 7
                   && rc.k < MAX_STRATA
                   && parse_count(f[2]) == rc.k) {
            rc.kind = STRATA;
            rc.strata[rc.k].a = parse_count(f[3]);
            rc.strata[rc.k].b = parse_count(f[4]);
            rc.strata[rc.k].c = parse_count(f[5]);
            rc.strata[rc.k].d = parse_count(f[6]);
            rc.k++;
        } else {
            fail_msg(REFERENCE ":%zu: unknown record \"%s\"", lineno, f[0]);
        }
    }
    fclose(fp);
    /* The sample's 14 factors counted, timed and stratified by sex, and
     * 19 + 5 + 6 edge cases: a truncated file must not pass quietly. */
    assert_int_equal(cases, 14 * 3 + 19 + 5 + 6);
    assert_int_equal(checked, 565);
}

/* ---- Notes of the edge cases --------------------------------------------- */

static void notes_equal(const char *name, uint64_t got, uint64_t want)
{
    char g[1024], w[1024];

    if (got == want)
        return;
    cs_epi_notes_format(g, sizeof g, got);
    cs_epi_notes_format(w, sizeof w, want);
    fail_msg("%s notes: got 0x%llx (%s), want 0x%llx (%s)", name,
             (unsigned long long)got, g, (unsigned long long)want, w);
}

static void test_table_notes(void **state)
{
    static const struct {
        const char *name;
        cs_2x2 t;
        uint64_t paf, par, nnt, exact;
    } cases[] = {
        { "full", {1208, 16038, 1176, 32888}, 0, 0, 0, 0 },
        /* PAF = 1 with no unexposed cases: its log interval divides by c.
         * RD 0.2 - 1.96 sqrt(0.016) < 0. */
        { "zero c", {2, 8, 0, 10}, CS_EPI_NOTE_PAF_NO_UNEXPOSED_CASES, 0,
          CS_EPI_NOTE_NNT_THROUGH_INFINITY, CS_EPI_NOTE_EXACT_OR_INFINITE },
        { "zero a", {0, 10, 5, 5}, 0, 0, 0, CS_EPI_NOTE_EXACT_OR_ZERO },
        /* a = 5 is the most the exposed row of 5 allows. */
        { "zero b", {5, 0, 2, 3}, 0, 0, 0, CS_EPI_NOTE_EXACT_OR_INFINITE },
        { "rd zero", {5, 5, 5, 5}, 0, 0, CS_EPI_NOTE_NNT_INFINITE, 0 },
        { "rd crosses zero", {12, 88, 10, 90}, 0, 0,
          CS_EPI_NOTE_NNT_THROUGH_INFINITY, 0 },
        { "no cases", {0, 10, 0, 10}, CS_NOTE_NO_CASES, CS_NOTE_ZERO_SE,
          CS_EPI_NOTE_NNT_INFINITE | CS_NOTE_ZERO_SE, CS_NOTE_ZERO_MARGIN },
        { "all cases", {10, 0, 10, 0}, 0, CS_NOTE_ZERO_SE,
          CS_EPI_NOTE_NNT_INFINITE | CS_NOTE_ZERO_SE, CS_NOTE_ZERO_MARGIN },
        { "no exposed", {0, 0, 5, 10}, 0, 0, CS_NOTE_NO_EXPOSED,
          CS_NOTE_ZERO_MARGIN },
        { "no unexposed", {5, 10, 0, 0}, CS_NOTE_NO_UNEXPOSED,
          CS_NOTE_NO_UNEXPOSED, CS_NOTE_NO_UNEXPOSED, CS_NOTE_ZERO_MARGIN },
        { "empty", {0, 0, 0, 0}, CS_NOTE_EMPTY, CS_NOTE_NO_UNEXPOSED
          | CS_NOTE_EMPTY, CS_NOTE_NO_EXPOSED | CS_NOTE_NO_UNEXPOSED,
          CS_NOTE_ZERO_MARGIN | CS_NOTE_EMPTY },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_ci ci;
        cs_nnt nnt;
        print_message("case %s\n", cases[i].name);
        notes_equal("paf", cs_epi_paf(&ci, &cases[i].t, LEVEL),
                    cases[i].paf);
        notes_equal("par", cs_epi_par(&ci, &cases[i].t, LEVEL),
                    cases[i].par);
        notes_equal("nnt", cs_epi_nnt(&nnt, &cases[i].t, LEVEL),
                    cases[i].nnt);
        notes_equal("exact", cs_epi_exact_or(&ci, &cases[i].t, LEVEL),
                    cases[i].exact);
    }
}

static void test_rate_notes(void **state)
{
    cs_pt2 no_c = {4, 0, 100.0, 80.0}, no_a = {0, 6, 100.0, 80.0};
    cs_pt2 no_t1 = {4, 2, 0.0, 80.0}, bad = {4, 2, -1.0, 80.0};
    cs_pt2 none = {0, 0, 50.0, 60.0};
    cs_ci ci;

    (void)state;
    notes_equal("af rate no c", cs_epi_af_rate(&ci, &no_c, LEVEL),
                CS_EPI_NOTE_IRR_UNDEFINED);
    notes_equal("af rate no a", cs_epi_af_rate(&ci, &no_a, LEVEL),
                CS_NOTE_AF_UNDEFINED);
    notes_equal("rd no t1", cs_epi_rate_difference(&ci, &no_t1, 1000, LEVEL),
                CS_NOTE_NO_TIME);
    /* The population rate needs only the unexposed time. */
    notes_equal("par no t1", cs_epi_par_rate(&ci, &no_t1, 1000, LEVEL), 0);
    notes_equal("negative time", cs_epi_paf_rate(&ci, &bad, LEVEL),
                CS_NOTE_BAD_INPUT);
    notes_equal("no events", cs_epi_paf_rate(&ci, &none, LEVEL),
                CS_NOTE_NO_CASES);
    notes_equal("no events rd", cs_epi_rate_difference(&ci, &none, 1000,
                                                       LEVEL),
                CS_NOTE_ZERO_SE);
    assert_true(ci.est == 0.0 && isnan(ci.lo) && isnan(ci.hi));
}

static void test_strata_notes(void **state)
{
    static const cs_2x2 empty_row[] = {{20, 80, 10, 90}, {0, 0, 12, 88},
                                       {15, 35, 20, 130}};
    static const cs_2x2 zero_cells[] = {{0, 10, 5, 15}, {6, 14, 0, 20},
                                        {8, 12, 4, 16}, {3, 0, 2, 5}};
    static const cs_2x2 no_usable[] = {{0, 0, 3, 4}, {2, 3, 0, 0}};
    cs_epi_crude_adj ca;
    cs_test t;
    size_t used;
    cs_ci ci;

    (void)state;
    notes_equal("rd empty row", cs_epi_mh_rd(&ci, empty_row, 3,
                                             CS_EPI_RD_SATO, LEVEL),
                CS_EPI_NOTE_RD_STRATA_SKIPPED);
    notes_equal("woolf rr empty row", cs_epi_woolf_rr(&t, &used, empty_row,
                                                      3),
                CS_EPI_NOTE_WOOLF_SKIPPED);
    assert_int_equal(used, 2);
    assert_true(t.df == 1.0);
    /* RR: strata 1 (c = 0) and 0 (a = 0) go; OR: all but stratum 2. */
    notes_equal("woolf rr zeros", cs_epi_woolf_rr(&t, &used, zero_cells, 4),
                CS_EPI_NOTE_WOOLF_SKIPPED);
    assert_int_equal(used, 2);
    notes_equal("woolf or zeros", cs_epi_woolf_or(&t, &used, zero_cells, 4),
                CS_EPI_NOTE_WOOLF_SKIPPED | CS_EPI_NOTE_WOOLF_TOO_FEW);
    assert_int_equal(used, 1);
    assert_true(isnan(t.stat) && isnan(t.p));
    notes_equal("rd none", cs_epi_mh_rd(&ci, no_usable, 2,
                                        CS_EPI_RD_GREENLAND_ROBINS, LEVEL),
                CS_EPI_NOTE_RD_STRATA_SKIPPED | CS_EPI_NOTE_MH_RD_UNDEFINED);
    notes_equal("crude none", cs_epi_crude_to_adjusted(&ca, no_usable, 2),
                CS_EPI_NOTE_CRUDE_ADJ_UNDEFINED);
    assert_true(isnan(ca.risk_ratio) && isnan(ca.odds_ratio));
    notes_equal("rd bad var", cs_epi_mh_rd(&ci, empty_row, 3, 7, LEVEL),
                CS_NOTE_BAD_INPUT);
    notes_equal("rd null", cs_epi_mh_rd(&ci, NULL, 3, 0, LEVEL),
                CS_NOTE_BAD_INPUT);
    notes_equal("rd no strata", cs_epi_mh_rd(&ci, NULL, 0, 0, LEVEL),
                CS_EPI_NOTE_MH_RD_UNDEFINED);
}

/* ---- Closed forms and symmetries ------------------------------------------ */

static void test_closed_forms(void **state)
{
    /* Two strata: Woolf's statistic is (y1 - y2)^2 / (v1 + v2). RR 2 with
     * Var 80/2000 + 90/1000 = 0.13; RR 2.25 with 35/750 + 130/3000 =
     * 0.09. */
    static const cs_2x2 two[] = {{20, 80, 10, 90}, {15, 35, 20, 130}};
    /* (12/100 - 10/100) = 0.02: one more case per 50 exposed. */
    static const cs_2x2 nnt50 = {12, 88, 10, 90};
    static const cs_2x2 one = {20, 80, 10, 90};
    static const cs_2x2 sym = {7, 13, 13, 7}, sym_flip = {13, 7, 7, 13};
    static const cs_2x2 even = {6, 6, 6, 6};
    double want, y;
    cs_epi_crude_adj ca;
    cs_ci gr, sato, rd, e1, e2;
    cs_test t;
    cs_nnt nnt;

    (void)state;
    y = log(2.25 / 2.0);
    want = y * y / 0.22;
    cs_epi_woolf_rr(&t, NULL, two, 2);
    check("two strata", "woolf_rr", "statistic", t.stat, want, 1e-13);
    check("two strata", "woolf_rr", "p", t.p,
          erfc(sqrt(want / 2.0)), 1e-12);   /* chi-square 1 df tail */

    cs_epi_nnt(&nnt, &nnt50, LEVEL);
    check("nnt 50", "nnt", "estimate", nnt.est, 50.0, 1e-12);
    assert_int_equal(nnt.kind, CS_EPI_NNT_HARM);
    assert_string_equal(cs_epi_nnt_kind_name(nnt.kind), "harm");
    /* The RD interval (-0.0667, 0.1067) crosses 0: NNTH 9.37 to infinity
     * to NNTB 15.0, as Altman writes it. */
    assert_true(nnt.lo > 9.37 && nnt.lo < 9.38);
    assert_true(nnt.hi < -14.99 && nnt.hi > -15.00);

    /* One stratum: the MH risk difference is the stratum's, and both
     * variances reduce to the Wald one; crude and adjusted coincide. */
    cs_epi_mh_rd(&gr, &one, 1, CS_EPI_RD_GREENLAND_ROBINS, LEVEL);
    cs_epi_mh_rd(&sato, &one, 1, CS_EPI_RD_SATO, LEVEL);
    cs_stats_rd(&rd, &one, LEVEL);
    check("one stratum", "mh_rd_gr", "estimate", gr.est, rd.est, 1e-14);
    check("one stratum", "mh_rd_gr", "lower", gr.lo, rd.lo, 1e-13);
    check("one stratum", "mh_rd_sato", "estimate", sato.est, rd.est, 1e-14);
    check("one stratum", "mh_rd_sato", "lower", sato.lo, rd.lo, 1e-13);
    cs_epi_crude_to_adjusted(&ca, &one, 1);
    check("one stratum", "crude_adj", "risk_ratio", ca.risk_ratio, 1.0,
          1e-14);
    check("one stratum", "crude_adj", "odds_ratio", ca.odds_ratio, 1.0,
          1e-14);

    /* A table symmetric under swapping rows and columns has conditional
     * MLE 1 exactly and limits that are each other's inverses; swapping
     * the rows inverts the estimate and the interval. */
    cs_epi_exact_or(&e1, &even, LEVEL);
    check("even", "exact_or", "estimate", e1.est, 1.0, 1e-12);
    check("even", "exact_or", "lower * upper", e1.lo * e1.hi, 1.0, 1e-12);
    cs_epi_exact_or(&e1, &sym, LEVEL);
    cs_epi_exact_or(&e2, &sym_flip, LEVEL);
    check("flip", "exact_or", "estimate", e1.est * e2.est, 1.0, 1e-12);
    check("flip", "exact_or", "lower", e1.lo * e2.hi, 1.0, 1e-12);
    check("flip", "exact_or", "upper", e1.hi * e2.lo, 1.0, 1e-12);
}

/* Counts in the billions: the walk in log space must neither overflow
 * nor take long, and the estimate must stay next to the sample odds
 * ratio, which it approaches as counts grow. */
static void test_exact_or_large(void **state)
{
    static const cs_2x2 big = {2000000000u, 30000000000u, 1000000000u,
                               45000000000u};
    cs_ci ci, w;
    uint64_t notes;

    (void)state;
    notes = cs_epi_exact_or(&ci, &big, LEVEL);
    notes_equal("big exact", notes, 0);
    cs_stats_or(&w, &big, LEVEL);
    check("big", "exact_or", "estimate", ci.est, w.est, 1e-6);
    check("big", "exact_or", "lower", ci.lo, w.lo, 1e-6);
    check("big", "exact_or", "upper", ci.hi, w.hi, 1e-6);
}

static void test_note_text(void **state)
{
    char buf[64];
    size_t len;

    (void)state;
    assert_string_equal(cs_epi_note_text(CS_NOTE_ZERO_SE),
                        cs_stats_note_text(CS_NOTE_ZERO_SE));
    assert_non_null(strstr(cs_epi_note_text(CS_EPI_NOTE_NNT_INFINITE),
                           "risk difference is 0"));
    assert_null(cs_epi_note_text(0));
    assert_null(cs_epi_note_text(CS_EPI_NOTE(31)));
    len = cs_epi_notes_format(buf, sizeof buf,
                              CS_NOTE_EMPTY | CS_EPI_NOTE_WOOLF_TOO_FEW);
    assert_int_equal(len, strlen(cs_stats_note_text(CS_NOTE_EMPTY)) + 2
                     + strlen(cs_epi_note_text(CS_EPI_NOTE_WOOLF_TOO_FEW)));
    assert_int_equal(strlen(buf), sizeof buf - 1);   /* truncated */
    assert_int_equal(cs_epi_notes_format(buf, sizeof buf, 0), 0);
    assert_string_equal(buf, "");
}

/* The JSON writers: every key, the NNT's kind, null for undefined, notes,
 * and the separators the report relies on. */
static void test_json(void **state)
{
    static const cs_2x2 fatigue = {1208, 16038, 1176, 32888};
    static const cs_2x2 strata[] = {{61, 673, 1093, 22399}, {0, 0, 1202,
                                                             25159}};
    static const char *const factor_keys[] = {
        "{\"af_exposed_interval\": {\"estimate\": ", "\"paf_interval\": ",
        "\"attributable_risk_population\": ", "\"nnt\": ",
        "\"kind\": \"harm\"}", ("\"exact_odds_ratio\": {\"estimate\": "
        "2.10639607769681"), "\"attributable_rate_per_1000h\": ",
        "\"af_exposed_rate\": ", "\"attributable_rate_population_per_1000h\": ",
        "\"paf_rate\": ", "\"epi_notes\": [], \"end\": 1}",
    };
    static const char *const strat_keys[] = {
        "{\"mh_risk_difference\": {\"estimate\": 0.036579789931386",
        "\"mh_risk_difference_sato\": ",
        "\"crude_to_adjusted\": {\"risk_ratio\": ",
        ("\"woolf_homogeneity\": {\"risk_ratio\": {\"statistic\": null, "
         "\"df\": null, \"p\": null}"),
        "Woolf's test undefined", "], \"end\": 1}",
    };
    cs_epi_factor fm;
    cs_epi_stratified sm;
    cs_epi_stratum st;
    cs_buf b;

    (void)state;
    cs_buf_init(&b, 0);
    assert_int_equal(cs_buf_putc(&b, '{'), CS_OK);
    cs_epi_factor_measures(&fm, &fatigue, 19561.616666666665, 35991.7, LEVEL);
    assert_int_equal(cs_epi_json_factor(&b, &fm), CS_OK);
    assert_int_equal(cs_buf_puts(&b, "\"end\": 1}"), CS_OK);
    assert_int_equal(cs_buf_putc(&b, '\0'), CS_OK);
    for (size_t i = 0; i < sizeof factor_keys / sizeof factor_keys[0]; i++)
        if (strstr(b.ptr, factor_keys[i]) == NULL)
            fail_msg("no %s in %s", factor_keys[i], b.ptr);

    cs_buf_reset(&b);
    assert_int_equal(cs_buf_putc(&b, '{'), CS_OK);
    cs_epi_stratified_measures(&sm, strata, 2, LEVEL);
    assert_int_equal(cs_epi_json_stratified(&b, &sm), CS_OK);
    assert_int_equal(cs_buf_puts(&b, "\"end\": 1}"), CS_OK);
    assert_int_equal(cs_buf_putc(&b, '\0'), CS_OK);
    for (size_t i = 0; i < sizeof strat_keys / sizeof strat_keys[0]; i++)
        if (strstr(b.ptr, strat_keys[i]) == NULL)
            fail_msg("no %s in %s", strat_keys[i], b.ptr);

    cs_buf_reset(&b);
    cs_epi_stratum_measures(&st, &strata[1], LEVEL);
    assert_int_equal(cs_epi_json_stratum(&b, &st), CS_OK);
    assert_int_equal(cs_buf_putc(&b, '\0'), CS_OK);
    assert_string_equal(b.ptr,
        ", \"risk_ratio\": {\"estimate\": null, \"lower\": null, "
        "\"upper\": null}, \"odds_ratio\": {\"estimate\": null, "
        "\"lower\": null, \"upper\": null}, \"risk_difference\": "
        "{\"estimate\": null, \"lower\": null, \"upper\": null}, "
        "\"epi_notes\": [\"no exposed sessions: comparison undefined\"]");
    cs_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_table_notes),
        cmocka_unit_test(test_rate_notes),
        cmocka_unit_test(test_strata_notes),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_exact_or_large),
        cmocka_unit_test(test_note_text),
        cmocka_unit_test(test_json),
    };

    gsl_set_error_handler_off();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
