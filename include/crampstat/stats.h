/* Pure statistics of DATA.md section 6: proportions, rates, 2x2 tables,
 * Mantel-Haenszel over strata and logistic regression on covariate
 * patterns. No I/O, no global state; only cs_stats_logit allocates (and
 * frees before it returns).
 *
 * Conventions shared by every function here:
 * - Counts are uint64_t; they are converted to double for arithmetic, so
 *   they are exact up to 2^53 and never overflow.
 * - NaN means "undefined". Nothing is ever silently corrected: there is no
 *   0.5 added to zero cells. Instead each function returns a bit mask of
 *   CS_NOTE_* values saying what happened (0 = nothing to report), and
 *   cs_stats_note_text() / cs_stats_notes_format() turn it into English.
 * - level is the two-sided confidence level, 0 < level < 1 (0.95 for 95%);
 *   z is the exact normal quantile, not 1.96. Any other level sets
 *   CS_NOTE_BAD_LEVEL: estimates are still computed, intervals are NaN.
 * - Like every GSL caller in crampstat, the program must have called
 *   gsl_set_error_handler_off() (STYLE.md section 3). Inputs are checked
 *   before they reach GSL, so the handler is never expected to fire.
 */
#ifndef CRAMPSTAT_STATS_H
#define CRAMPSTAT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* A point estimate with its confidence interval. */
typedef struct cs_ci {
    double est, lo, hi;
} cs_ci;

/* A 2x2 table of exposure by outcome:
 *                  case   non-case
 *   exposed          a       b
 *   unexposed        c       d        */
typedef struct cs_2x2 {
    uint64_t a, b, c, d;
} cs_2x2;

/* A test statistic with its degrees of freedom and p-value. */
typedef struct cs_test {
    double stat, df, p;
} cs_test;

/* Notes: what a function did with an edge case. Each bit has one fixed
 * meaning and one text, whatever function set it. */
enum cs_stats_note {
    CS_NOTE_BAD_INPUT = 1u << 0,      /* a count above its total, t < 0,
                                         a NULL or non-finite argument */
    CS_NOTE_BAD_LEVEL = 1u << 1,      /* level not in (0, 1) */
    CS_NOTE_EMPTY = 1u << 2,          /* n == 0: nothing to estimate */
    CS_NOTE_NO_TIME = 1u << 3,        /* exposure time 0: rate undefined */
    CS_NOTE_NO_EXPOSED = 1u << 4,     /* a + b == 0 */
    CS_NOTE_NO_UNEXPOSED = 1u << 5,   /* c + d == 0 */
    CS_NOTE_NO_CASES = 1u << 6,       /* a + c == 0 */
    CS_NOTE_RR_ZERO_EXPOSED_CASES = 1u << 7,  /* a == 0, c > 0: RR = 0,
                                                 Katz interval NaN */
    CS_NOTE_RR_UNDEFINED_ZERO_CELL = 1u << 8, /* c == 0: RR NaN */
    CS_NOTE_OR_ZERO = 1u << 9,        /* a or d == 0 (b, c > 0): OR = 0,
                                         Woolf interval NaN */
    CS_NOTE_OR_UNDEFINED_ZERO_CELL = 1u << 10, /* b or c == 0: OR NaN */
    CS_NOTE_ZERO_SE = 1u << 11,       /* standard error 0 (every risk is 0
                                         or 1): interval NaN */
    CS_NOTE_AF_UNDEFINED = 1u << 12,  /* AF among the exposed needs RR > 0 */
    CS_NOTE_ZERO_MARGIN = 1u << 13,   /* a row or column total is 0:
                                         chi-square undefined, Fisher p 1 */
    CS_NOTE_SMALL_EXPECTED = 1u << 14, /* an expected count is below 5 */
    CS_NOTE_MH_NO_STRATA = 1u << 15,  /* no stratum with n >= 2 */
    CS_NOTE_MH_RR_UNDEFINED = 1u << 16, /* sum of c*n1/n is 0 */
    CS_NOTE_MH_RR_ZERO = 1u << 17,    /* sum of a*n0/n is 0 */
    CS_NOTE_MH_OR_UNDEFINED = 1u << 18, /* sum of b*c/n is 0 */
    CS_NOTE_MH_OR_ZERO = 1u << 19,    /* sum of a*d/n is 0 */
    CS_NOTE_MH_CHISQ_UNDEFINED = 1u << 20, /* total MH variance is 0 */
    CS_NOTE_BD_TOO_FEW_STRATA = 1u << 21, /* < 2 strata with 4 margins > 0 */
    CS_NOTE_BD_UNDEFINED = 1u << 22,  /* pooled OR is 0 or undefined */
    CS_NOTE_STRATA_SKIPPED = 1u << 23, /* strata with n < 2 were left out
                                          (they carry no information) */
    CS_NOTE_LOGIT_NOT_CONVERGED = 1u << 24,
    CS_NOTE_LOGIT_SEPARATION = 1u << 25, /* fitted probabilities reached 0
                                            or 1: (quasi-)separation */
    CS_NOTE_LOGIT_SINGULAR = 1u << 26, /* aliased columns were dropped */
    CS_NOTE_NOMEM = 1u << 27,
    CS_NOTE_NUMERIC = 1u << 28,       /* a tail could not be evaluated at
                                         these counts: interval NaN */
    CS_NOTE_P_BOUND = 1u << 29,       /* Fisher p below CS_STATS_P_FLOOR:
                                         reported as that bound */
    CS_NOTE_POISSON_SEPARATION = 1u << 30 /* a fitted rate reached 0 */
};

/* Smallest p-value reported as a number; below it cs_stats_fisher gives
 * this bound with CS_NOTE_P_BOUND, and cs_stats_fisher_log10 the value. */
#define CS_STATS_P_FLOOR 1e-300

/* Short English text of one note bit (the lowest set bit of note), e.g.
 * "risk ratio undefined: no cases among the unexposed"; NULL for 0 or an
 * unknown bit. The string is static. */
const char *cs_stats_note_text(uint32_t note);
/* The same for the Poisson rate model, whose fit sets the logistic
 * fit's bits: its non-convergence and dropped columns are named as its
 * own. */
const char *cs_stats_poisson_note_text(uint32_t note);
size_t cs_stats_poisson_notes_format(char *buf, size_t cap, uint32_t notes);
/* The same for a cluster-robust interval that takes these bits (the
 * dose-response trend's): a zero standard error is named as the robust
 * one, not as "every risk is 0 or 1". */
const char *cs_stats_robust_note_text(uint32_t note);
size_t cs_stats_robust_notes_format(char *buf, size_t cap, uint32_t notes);

/* Write the texts of every bit in notes, joined by "; ", into buf
 * (always NUL-terminated when cap > 0, truncated if needed). Returns the
 * length the full text needs, like snprintf; "" for notes == 0. */
size_t cs_stats_notes_format(char *buf, size_t cap, uint32_t notes);

/* Exact two-sided normal quantile: gsl_cdf_ugaussian_Pinv((1 + level) / 2);
 * 0.95 gives 1.959963984540054. NaN when level is not in (0, 1). */
double cs_stats_z(double level);

/* ---- One proportion, one rate ---------------------------------------- */

/* Wilson score interval (no continuity correction) for k of n; est = k/n.
 * k == 0 gives lo = 0 exactly and k == n gives hi = 1 exactly.
 * n == 0: all NaN, CS_NOTE_EMPTY. k > n: all NaN, CS_NOTE_BAD_INPUT. */
uint32_t cs_stats_wilson(cs_ci *out, uint64_t k, uint64_t n, double level);

/* Clopper-Pearson exact interval from beta quantiles; lo = 0 when k == 0,
 * hi = 1 when k == n. Undefined cases as cs_stats_wilson. The limits are
 * found by Newton's method on the incomplete beta (GSL's inverse returns
 * NaN from n = 10^4 and hangs at 10^7; its forward function loses 1e-6 at
 * 10^8 cases, so crampstat has its own), or, for a limit next to 0 or 1
 * with n above 1000 min(k, n - k), on the binomial tail summed from k.
 * Relative precision about 1e-13 of the limit, and of its distance from
 * 1 for a limit next to 1 (tests/exact_limits_check.py checks a million
 * pairs, n up to 10^9, against scipy to 1e-10); past 10^10 cases with
 * n > 1000 k the upper limit may lose up to 1e-16 n / k. Both limits are
 * defined for every n > 0: CS_NOTE_NUMERIC is only a safety net. */
uint32_t cs_stats_clopper_pearson(cs_ci *out, uint64_t k, uint64_t n,
                                  double level);

/* Exact (Garwood) Poisson interval for k events in t time units, scaled to
 * "per" units (per = 1000 with t in hours gives events per 1000 hours):
 *   lo = chi2_{(1-level)/2}(2k) / (2t) * per   (0 when k == 0)
 *   hi = chi2_{(1+level)/2}(2k + 2) / (2t) * per
 * est = k / t * per. t == 0: all NaN, CS_NOTE_NO_TIME; t < 0, t or per
 * not finite, per <= 0: all NaN, CS_NOTE_BAD_INPUT. The gamma quantiles
 * come from inverting GSL's incomplete gamma (gsl_cdf_chisq_Qinv is wrong
 * by a third at k = 5e4): relative precision about 1e-14; an interval
 * GSL cannot evaluate is NaN with CS_NOTE_NUMERIC. */
uint32_t cs_stats_poisson_rate(cs_ci *out, uint64_t k, double t, double per,
                               double level);

/* Exact rate ratio of a events in t1 time units (exposed) over c events
 * in t0 (unexposed), as R's poisson.test(c(a, c), c(t1, t0)):
 *   est = (a / t1) / (c / t0)
 * and the exact conditional interval: given a + c events, a is binomial
 * with p = RR t1 / (RR t1 + t0), so the Clopper-Pearson limits pL, pU of
 * a out of a + c give
 *   lo = pL / (1 - pL) * t0 / t1,   hi = pU / (1 - pU) * t0 / t1
 * (1 - p is taken from the mirrored side, so it keeps its precision next
 * to 0). Precision as cs_stats_clopper_pearson. Edges:
 * - a == 0, c > 0: est 0, lo 0, hi finite.
 * - c == 0, a > 0: est and hi are +INFINITY (not NaN: the ratio is
 *   unbounded above, as R says Inf), lo finite; a caller that prints
 *   JSON must decide how to show an infinite limit.
 * - a == 0 and c == 0: all NaN, CS_NOTE_NO_CASES.
 * - t1 or t0 == 0: all NaN, CS_NOTE_NO_TIME; either negative or not
 *   finite: all NaN, CS_NOTE_BAD_INPUT.
 * - a bad level keeps est, lo and hi NaN, CS_NOTE_BAD_LEVEL.
 * A limit GSL cannot evaluate (a + c about 10^14 and up) is NaN with
 * CS_NOTE_NUMERIC. */
uint32_t cs_stats_rate_ratio_exact(cs_ci *out, uint64_t a, double t1,
                                   uint64_t c, double t0, double level);

/* ---- Measures of a 2x2 table ----------------------------------------- */
/* Every function below leaves NaN in *out and sets CS_NOTE_NO_EXPOSED or
 * CS_NOTE_NO_UNEXPOSED when a group it needs is empty. */

/* Risk ratio (a/(a+b)) / (c/(c+d)) with the Katz log interval,
 * SE(log RR) = sqrt(1/a - 1/(a+b) + 1/c - 1/(c+d)).
 * c == 0: est, lo, hi NaN, CS_NOTE_RR_UNDEFINED_ZERO_CELL (with a > 0 the
 *   ratio is infinite; with a == 0 it is 0/0).
 * a == 0, c > 0: est 0, lo and hi NaN, CS_NOTE_RR_ZERO_EXPOSED_CASES.
 * Every session a case in both groups: est 1, lo and hi NaN,
 * CS_NOTE_ZERO_SE (a Katz interval of zero width would claim certainty). */
uint32_t cs_stats_rr(cs_ci *out, const cs_2x2 *t, double level);

/* Odds ratio ad/(bc) with the Woolf logit interval,
 * SE(log OR) = sqrt(1/a + 1/b + 1/c + 1/d).
 * b == 0 or c == 0: est, lo, hi NaN, CS_NOTE_OR_UNDEFINED_ZERO_CELL.
 * otherwise a == 0 or d == 0: est 0, lo and hi NaN, CS_NOTE_OR_ZERO. */
uint32_t cs_stats_or(cs_ci *out, const cs_2x2 *t, double level);

/* Risk difference a/(a+b) - c/(c+d) with the Wald interval,
 * SE = sqrt(p1(1-p1)/n1 + p0(1-p0)/n0). When both risks are 0 or 1 the SE
 * is 0: est is kept, lo and hi are NaN, CS_NOTE_ZERO_SE. */
uint32_t cs_stats_rd(cs_ci *out, const cs_2x2 *t, double level);

/* Attributable fraction among the exposed, (RR - 1) / RR, with the Katz
 * interval of RR carried through the same monotone map. Returns the notes
 * of cs_stats_rr, plus CS_NOTE_AF_UNDEFINED (all NaN) when RR is 0 or
 * undefined; lo and hi are NaN whenever RR's interval is. */
uint32_t cs_stats_af_exposed(cs_ci *out, const cs_2x2 *t, double level);

/* Population attributable fraction (p_total - p_unexposed) / p_total with
 * p_total = (a+c)/n and p_unexposed = c/(c+d); a point estimate. NaN with
 * CS_NOTE_EMPTY (n == 0), CS_NOTE_NO_UNEXPOSED or CS_NOTE_NO_CASES. */
uint32_t cs_stats_paf(double *out, const cs_2x2 *t);

/* ---- Tests of a 2x2 table --------------------------------------------- */

/* Pearson chi-square with 1 df, without continuity correction unless
 * yates is non-zero (then |ad - bc| is reduced by n/2, not below 0, as R's
 * chisq.test and scipy do). Sets CS_NOTE_SMALL_EXPECTED when an expected
 * count is below 5 (read Fisher's test then). A zero row or column total:
 * stat and p NaN, CS_NOTE_ZERO_MARGIN (n == 0 also sets CS_NOTE_EMPTY). */
uint32_t cs_stats_chisq(cs_test *out, const cs_2x2 *t, int yates);

/* 1 when any expected count (row total * column total / n) is below 5,
 * including the cases n == 0 and a zero margin; 0 otherwise. */
int cs_stats_small_expected(const cs_2x2 *t);

/* Fisher's exact test, two-sided: the sum of the hypergeometric
 * probabilities (margins fixed) of the tables no more likely than the
 * observed one, within a relative 1e-7 as R's fisher.test. Summation walks
 * outward from the mode by the ratio of successive terms and stops when
 * the rest of a tail is provably below 1e-17 of the observed table's
 * probability, so the time grows with the spread of the distribution
 * (about sqrt(n)), not with n: counts of 10^10 take milliseconds.
 * A p below CS_STATS_P_FLOOR (1e-300; doubles below about 1e-308 lose
 * digits and then underflow to 0) is reported as that bound, with
 * CS_NOTE_P_BOUND: *out is then an upper bound, not the value. Such a
 * table lies more than 37 standard deviations from the mode, and its
 * tails are then summed relative to its own probability, taken on a log
 * scale from Loader's saddle point form (as R's dhyper).
 * A zero row or column total: p = 1 (only one table is possible),
 * CS_NOTE_ZERO_MARGIN. */
uint32_t cs_stats_fisher(double *out, const cs_2x2 *t);

/* log10 of the same two-sided p, for any p however small (0 when p = 1,
 * NaN with CS_NOTE_BAD_INPUT for a NULL table): what to print when
 * cs_stats_fisher says CS_NOTE_P_BOUND. Relative precision of the log
 * about 1e-13. Notes as cs_stats_fisher, without CS_NOTE_P_BOUND. */
uint32_t cs_stats_fisher_log10(double *out, const cs_2x2 *t);

/* ---- Stratified analysis ---------------------------------------------- */

typedef struct cs_mh {
    cs_ci risk_ratio;    /* MH pooled RR, Greenland-Robins log interval */
    cs_ci odds_ratio;    /* MH pooled OR, Robins-Breslow-Greenland interval */
    cs_test chisq;       /* MH chi-square, 1 df, no continuity correction */
    cs_test breslow_day; /* Breslow-Day homogeneity of the odds ratios,
                            without Tarone's correction, df = strata_bd - 1 */
    size_t strata_used;  /* strata with n >= 2 (the others carry nothing) */
    size_t strata_bd;    /* strata whose four margins are all non-zero */
} cs_mh;

/* Mantel-Haenszel analysis of k strata. Pooled estimates are NaN (or 0,
 * with no interval) as the CS_NOTE_MH_* bits say; the Breslow-Day test is
 * NaN with CS_NOTE_BD_TOO_FEW_STRATA when fewer than two strata have all
 * four margins non-zero, and with CS_NOTE_BD_UNDEFINED when the pooled OR
 * is 0 or undefined. k == 0 or no usable stratum: everything NaN,
 * CS_NOTE_MH_NO_STRATA. */
uint32_t cs_stats_mh(cs_mh *out, const cs_2x2 *strata, size_t k,
                     double level);

/* ---- Logistic regression ---------------------------------------------- */

#define CS_LOGIT_MAXP 64   /* most coefficients (columns) a fit may have */
#define CS_LOGIT_MAXIT 50  /* most IRLS iterations */

/* A fit, owned by the caller (no dispose needed: arrays are fixed). Only
 * the first p entries of each array are set. */
typedef struct cs_logit_fit {
    size_t p;                       /* columns of the design matrix */
    size_t rank;                    /* columns kept (not aliased) */
    size_t patterns;                /* patterns with n_i > 0 */
    double beta[CS_LOGIT_MAXP];     /* coefficients; NaN if aliased */
    double se[CS_LOGIT_MAXP];       /* sqrt(diag((X'WX)^-1)) at the fit */
    double z[CS_LOGIT_MAXP];        /* Wald z = beta / se */
    double p_value[CS_LOGIT_MAXP];  /* two-sided, 2 * Q(|z|) */
    unsigned char aliased[CS_LOGIT_MAXP]; /* 1: a linear combination of
                                             earlier columns; dropped */
    double deviance;                /* residual deviance */
    int converged;                  /* 1 when the deviance settled */
    int iterations;                 /* IRLS iterations done */
    uint32_t status;                /* CS_NOTE_LOGIT_*, CS_NOTE_BAD_INPUT,
                                       CS_NOTE_NOMEM; 0 = clean fit */
} cs_logit_fit;

/* Fit logit P(case) = X beta by iteratively reweighted least squares
 * (Cholesky of X'WX), on m covariate patterns: x is the row-major m x p
 * design matrix, and pattern i has n[i] trials of which y[i] are cases.
 * The caller includes the intercept column (a column of 1s) if it wants
 * one. Patterns with n[i] == 0 are ignored.
 *
 * A column that is a linear combination of earlier columns (for example a
 * covariate that never varies, next to the intercept) is dropped as R's
 * glm does: aliased[j] = 1, beta/se/z/p_value NaN, CS_NOTE_LOGIT_SINGULAR.
 * "Combination" means the part of the column that the earlier ones do
 * not explain (weighted by trials) has a norm below 1e-6 of the column's:
 * a covariate like 10^6 +- 1 next to an intercept is dropped too; center
 * such a covariate first.
 * When fitted probabilities reach 0 or 1 (within 1e-8) the data are
 * (quasi-)completely separated: the coefficients are drifting towards
 * infinity and are reported as they stand, with
 * CS_NOTE_LOGIT_SEPARATION; they must not be read as estimates.
 *
 * Returns 0 after a fit (read out->status), or -1 with out->status set to
 * CS_NOTE_BAD_INPUT (p == 0, p > CS_LOGIT_MAXP, y[i] > n[i], a non-finite
 * x, no pattern with trials) or CS_NOTE_NOMEM; then nothing else in *out
 * is meaningful. */
int cs_stats_logit(cs_logit_fit *out, const double *x, const uint64_t *n,
                   const uint64_t *y, size_t m, size_t p);

/* Adjusted odds ratio of coefficient j: exp(beta) with the Wald interval
 * exp(beta -+ z se). An aliased column gives NaN with
 * CS_NOTE_LOGIT_SINGULAR; the fit's NOT_CONVERGED and SEPARATION bits are
 * passed on, so a separated fit says so next to every odds ratio. A failed
 * fit or j >= p: NaN with CS_NOTE_BAD_INPUT (or CS_NOTE_NOMEM). */
uint32_t cs_stats_logit_or(cs_ci *out, const cs_logit_fit *fit, size_t j,
                           double level);

#endif
