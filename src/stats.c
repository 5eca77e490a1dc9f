/* The numbers behind aggregate's report (DATA.md section 6): intervals for
 * one proportion and one rate, measures and tests of a 2x2 table,
 * Mantel-Haenszel pooling over strata, and logistic regression on
 * covariate patterns. Everything is a pure function of counts; undefined
 * results are NaN and every edge case is reported as a CS_NOTE_* bit, so
 * the report can say what was done instead of silently adding 0.5. */
#include <crampstat/stats.h>
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_vector.h>

/* ---- Notes ------------------------------------------------------------ */

/* Indexed by bit position; short enough to sit in a report cell. */
static const char *const note_texts[] = {
    "invalid input: a count above its total, or a negative or non-finite "
        "value",
    "confidence level must be between 0 and 1",
    "no observations: estimate undefined",
    "no exposure time: rate undefined",
    "no exposed sessions: comparison undefined",
    "no unexposed sessions: comparison undefined",
    "no cases in the table",
    "risk ratio is 0 (no cases among the exposed): Katz interval undefined",
    "risk ratio undefined: no cases among the unexposed",
    "odds ratio is 0 (no exposed cases or no unexposed non-cases): Woolf "
        "interval undefined",
    "odds ratio undefined: no exposed non-cases or no unexposed cases",
    "interval undefined: standard error is 0 (every risk is 0 or 1)",
    "attributable fraction among the exposed undefined: risk ratio is 0 or "
        "undefined",
    "a row or column total is zero: chi-square and the exact odds ratio "
        "are undefined (Fisher's p is 1: only one table is possible)",
    "an expected count is below 5: read Fisher's exact test",
    "no stratum has two or more sessions",
    "Mantel-Haenszel risk ratio undefined: no stratum has unexposed cases "
        "and exposed sessions",
    "Mantel-Haenszel risk ratio is 0 (no cases among the exposed): "
        "interval undefined",
    "Mantel-Haenszel odds ratio undefined: no stratum has both exposed "
        "non-cases and unexposed cases",
    "Mantel-Haenszel odds ratio is 0: interval undefined",
    "Mantel-Haenszel chi-square undefined: every stratum has a zero margin",
    "Breslow-Day test undefined: fewer than two strata with all four "
        "margins non-zero",
    "Breslow-Day test undefined: pooled odds ratio is 0 or undefined",
    "strata with fewer than two sessions were left out",
    "logistic regression did not converge",
    "logistic regression: fitted probabilities reached 0 or 1 (separation); "
        "coefficients are not estimates",
    "logistic regression: collinear covariates were dropped",
    "out of memory",
    "interval undefined: numerical failure at these counts",
    "Fisher p below 1e-300: reported as that upper bound",
    "Poisson regression: a fitted rate reached 0 (a group with no cases); "
        "coefficients are not estimates",
};

#define NOTE_COUNT (sizeof note_texts / sizeof note_texts[0])
_Static_assert(UINT32_C(1) << (NOTE_COUNT - 1) == CS_NOTE_POISSON_SEPARATION,
               "one text per note bit, the last one CS_NOTE_POISSON_SEPARATION");

const char *cs_stats_note_text(uint32_t note)
{
    for (unsigned bit = 0; bit < 32; bit++)
        if (note & (UINT32_C(1) << bit))
            return bit < NOTE_COUNT ? note_texts[bit] : NULL;
    return NULL;
}

/* Copy what fits, but count everything, as snprintf does. */
static void append(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t sl = strlen(s);

    if (cap > 0 && *len < cap - 1) {
        size_t room = cap - 1 - *len;
        size_t cp = sl < room ? sl : room;
        memcpy(buf + *len, s, cp);
        buf[*len + cp] = '\0';
    }
    *len += sl;
}

const char *cs_stats_poisson_note_text(uint32_t note)
{
    /* The model notes' words are the logistic fit's; the Poisson fit
     * sets the same bits. */
    if (note & CS_NOTE_LOGIT_NOT_CONVERGED)
        return "Poisson regression did not converge";
    if (note & CS_NOTE_LOGIT_SINGULAR)
        return "Poisson regression: collinear covariates were dropped";
    return cs_stats_note_text(note);
}

/* The notes' texts, text(bit) for each set bit, "; " between them. */
static size_t notes_format(char *buf, size_t cap, uint32_t notes,
                           const char *(*text)(uint32_t))
{
    size_t len = 0;

    if (cap > 0)
        buf[0] = '\0';
    for (unsigned bit = 0; bit < 32; bit++) {
        const char *t;
        if (!(notes & (UINT32_C(1) << bit)))
            continue;
        t = text(UINT32_C(1) << bit);
        if (len > 0)
            append(buf, cap, &len, "; ");
        append(buf, cap, &len, t ? t : "unknown note");
    }
    return len;
}

const char *cs_stats_robust_note_text(uint32_t note)
{
    /* A robust variance of 0 says nothing about the risks: the fitted
     * model leaves each participant's residuals cancelling. */
    if (note & CS_NOTE_ZERO_SE)
        return "robust interval undefined: standard error is 0 (each "
               "participant's residuals from the fit cancel)";
    return cs_stats_note_text(note);
}

size_t cs_stats_robust_notes_format(char *buf, size_t cap, uint32_t notes)
{
    return notes_format(buf, cap, notes, cs_stats_robust_note_text);
}

size_t cs_stats_poisson_notes_format(char *buf, size_t cap, uint32_t notes)
{
    return notes_format(buf, cap, notes, cs_stats_poisson_note_text);
}

size_t cs_stats_notes_format(char *buf, size_t cap, uint32_t notes)
{
    return notes_format(buf, cap, notes, cs_stats_note_text);
}

#define ci_nan cs__ci_nan
#define chisq_q cs__chisq_q
#define tab_of cs__tab_of

/* ---- Helpers ---------------------------------------------------------- */

void cs__ci_nan(cs_ci *ci)
{
    ci->est = ci->lo = ci->hi = NAN;
}

static void test_nan(cs_test *t, double df)
{
    t->stat = t->p = NAN;
    t->df = df;
}

/* Chi-square upper tail; GSL is only called with arguments it accepts. */
double cs__chisq_q(double stat, double df)
{
    if (!(stat >= 0.0) || !(df > 0.0))
        return NAN;
    return gsl_cdf_chisq_Q(stat, df);
}

/* Log-symmetric interval est * exp(-+ z se); NaN when any input is. */
static void log_interval(cs_ci *out, double est, double se, double z)
{
    out->est = est;
    out->lo = est * exp(-z * se);
    out->hi = est * exp(z * se);
}

double cs_stats_z(double level)
{
    if (!(level > 0.0 && level < 1.0))
        return NAN;
    return gsl_cdf_ugaussian_Pinv((1.0 + level) / 2.0);
}

/* ---- One proportion, one rate ----------------------------------------- */

/* Wilson limits for k <= n / 2. The upper one is a sum of positive terms;
 * the lower one is written as the product of the roots over the upper
 * root, k^2 / (n (n + z^2) hi), because the textbook centre - half loses
 * digits to cancellation when k is small against n. */
static void wilson_pair(double k, double n, double z, double *lo, double *hi)
{
    double z2 = z * z;

    *hi = (k + z2 / 2.0 + z * sqrt(k * (n - k) / n + z2 / 4.0)) / (n + z2);
    *lo = k == 0.0 ? 0.0 : k * (k / n) / ((n + z2) * *hi);
}

/* Call pair(k) for the smaller of k and n - k, mirroring the limits when
 * that was n - k. A limit near 1 is then 1 - (a small number computed to
 * full relative precision), never 1 - (a number near 1); and k == n gives
 * hi = 1 exactly. */
static void mirrored(void (*pair)(double, double, double, double, double *,
                                  double *),
                     double k, double n, double z, double tail, cs_ci *out)
{
    double lo, hi;

    if (2.0 * k <= n) {
        pair(k, n, z, tail, &out->lo, &out->hi);
    } else {
        pair(n - k, n, z, tail, &lo, &hi);
        out->lo = 1.0 - hi;
        out->hi = 1.0 - lo;
    }
}

static void wilson_fn(double k, double n, double z, double tail, double *lo,
                      double *hi)
{
    (void)tail;
    wilson_pair(k, n, z, lo, hi);
}

uint32_t cs_stats_wilson(cs_ci *out, uint64_t k, uint64_t n, double level)
{
    double z = cs_stats_z(level);

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (k > n)
        return CS_NOTE_BAD_INPUT;
    if (n == 0)
        return CS_NOTE_EMPTY;
    out->est = (double)k / (double)n;
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    mirrored(wilson_fn, (double)k, (double)n, z, 0.0, out);
    return 0;
}

/* Quantiles by inverting incomplete beta and gamma functions. GSL's own
 * inverse CDFs cannot be used here: gsl_cdf_beta_Pinv returns NaN for
 * k = 5000 of n = 10^4 and does not return at all for n = 10^7, and
 * gsl_cdf_chisq_Qinv gives 66435 for the upper limit of k = 5e4 events
 * (the right answer is about 50440). GSL's incomplete gamma is accurate
 * at those sizes; its incomplete beta is not past 10^7 or so (beta_inc
 * below replaces it). Each limit is found by Newton's method on the
 * forward function, kept inside a bracket that bisection shrinks whenever
 * a step would leave it. */
enum { DIST_BETA_P, DIST_GAMMA_P, DIST_GAMMA_Q, DIST_BINOM_LE };

/* ln Gamma(z) less Stirling's main terms (z - 1/2) ln z - z + ln sqrt(2 pi),
 * for z >= 1: the series past 15 (its next term is below 2e-16 of the
 * sum), GSL's lngamma below (absolute error about 1e-14; libm's lgamma
 * would write the global signgam). */
#define LN_SQRT_2PI 0.918938533204672741780329736406
static double stirling_rest(double z)
{
    double r;

    if (z <= 15.0)
        return gsl_sf_lngamma(z) - ((z - 0.5) * log(z) - z + LN_SQRT_2PI);
    r = 1.0 / (z * z);
    return (1.0 / 12.0 - r * (1.0 / 360.0 - r * (1.0 / 1260.0
            - r * (1.0 / 1680.0 - r / 1188.0)))) / z;
}

/* log1p(u) - u for u > -1 without cancellation: with t = u / (2 + u),
 * log1p(u) = 2 atanh(t) and u - 2t = u t, so the difference is
 * -u t + 2 (t^3/3 + t^5/5 + ...), a sum with no cancellation to speak
 * of. Past |u| = 1/2 the plain difference loses at most a few bits. */
static double log1pmx(double u)
{
    double t, t2, term, sum = 0.0;

    if (!(fabs(u) < 0.5))
        return log1p(u) - u;
    t = u / (2.0 + u);
    t2 = t * t;
    term = t * t2;
    for (double j = 3.0; j < 60.0; j += 2.0) {
        double add = term / j;
        sum += add;
        if (fabs(add) <= 1e-17 * fabs(sum))
            break;
        term *= t2;
    }
    return 2.0 * sum - u * t;
}

/* ln of x^a (1 - x)^b / B(a, b), a, b >= 1, to a few ulps of its value
 * even when a and b are 10^9: GSL's lnbeta, a ln x and b ln(1 - x) are
 * each near 10^9 there and their sum, a few units, keeps only about 1e-6
 * (that put the lower Clopper-Pearson limit of 10^8 cases out by 2e-10).
 * Written around the mean x0 = a / (a + b) instead:
 *   a ln(x / x0) + b ln((1 - x) / (1 - x0)) + ln sqrt(ab / (a + b))
 *   - ln sqrt(2 pi) - rest(a) - rest(b) + rest(a + b),
 * where with u = x / x0 - 1 the first two terms are
 * a log1pmx(u) + b log1pmx(-a u / b) (their linear parts cancel). */
static double ln_beta_prefactor(double a, double b, double x)
{
    double s = a + b, u = fma(x, s, -a) / a;

    return a * log1pmx(u) + b * log1pmx(-a * u / b)
           + 0.5 * log(a / s * b) - LN_SQRT_2PI
           - stirling_rest(a) - stirling_rest(b) + stirling_rest(s);
}

/* Continued fraction of the incomplete beta (modified Lentz), for
 * x < (a + 1) / (a + b + 2): I_x(a, b) = prefactor / a * cf. d0 is its
 * first denominator, 1 - (a + b) x / (a + 1), which the caller computes
 * without cancellation. NaN when it does not settle. */
static double beta_cf(double a, double b, double x, double d0)
{
    const double tiny = 1e-300;
    double c = 1.0, d = d0, h;

    d = 1.0 / (fabs(d) < tiny ? tiny : d);
    h = d;
    for (double m = 1.0; m < 1e7; m += 1.0) {
        double m2 = 2.0 * m, aa, del;
        aa = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2));
        d = 1.0 + aa * d;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) <= DBL_EPSILON)
            return h;
    }
    return NAN;
}

/* Regularized incomplete beta I_x(a, b) for a, b >= 1, 0 < x < 1, and its
 * density. The smaller tail is the one computed (the other is 1 minus
 * it), so a tail next to 0 keeps its relative precision. -1 when the
 * continued fraction does not settle. */
static int beta_inc(double a, double b, double x, double *f, double *dens)
{
    double lp = ln_beta_prefactor(a, b, x), y = 1.0 - x, cf;

    if (x < (a + 1.0) / (a + b + 2.0)) {
        cf = beta_cf(a, b, x, 1.0 - (a + b) * x / (a + 1.0));
        *f = exp(lp) * cf / a;
    } else {
        /* The first denominator 1 - (a + b) y / (b + 1) is tiny when b is
         * huge and a is not (an upper limit next to 0), and y = 1 - x has
         * lost the low digits of x: write it in x, where nothing is lost,
         * as ((a + b) x - a + 1) / (b + 1). */
        cf = beta_cf(b, a, y, (fma(x, a + b, -a) + 1.0) / (b + 1.0));
        *f = 1.0 - exp(lp) * cf / b;
    }
    *dens = exp(lp) / (x * y);
    return isnan(cf) ? -1 : 0;
}

/* Binomial P(X <= k | n, p), 0 < p < 1, and its derivative
 * -(n - k) P(X = k) / (1 - p). Used for the upper Clopper-Pearson limit
 * when cases are few against n: there p is small, and the incomplete
 * beta I_p(k + 1, n - k) near 1 goes through 1 - p, which keeps only
 * about 1e-16 of p in absolute terms (an error of 1e-16 n / k relative:
 * 8e-11 at 1145 cases in 10^9).
 * P(X = k) comes from ln_beta_prefactor, with no 1 - p in it; the smaller
 * tail is then summed outward from k by the ratio of successive terms
 * (each exact to a rounding), so only the terms that matter are visited:
 * about 10 standard deviations, sqrt(k) or so, not k. The law is
 * log-concave, so once a ratio q < 1 the rest of the tail is below
 * t q / (1 - q), and the walk stops when that is below 1e-17 of the sum. */
static void binom_le(double k, double n, double p, double *f, double *df)
{
    double q = 1.0 - p, pmf, sum = 1.0, t = 1.0, up;

    pmf = exp(ln_beta_prefactor(k + 1.0, n - k + 1.0, p)) / ((n + 1.0) * p
                                                             * q);
    up = (n - k) * p / ((k + 1.0) * q);   /* P(X = k + 1) / P(X = k) */
    if (up < 1.0) {
        /* k at or past the mode: P(X > k) is the small tail. */
        double s = 0.0;
        for (double x = k; x < n; x += 1.0) {
            double r = (n - x) * p / ((x + 1.0) * q);
            t *= r;
            s += t;
            if (t == 0.0 || t * r / (1.0 - r) < 1e-17 * (1.0 + s))
                break;
        }
        *f = 1.0 - pmf * s;
    } else {
        for (double x = k; x > 0.0; x -= 1.0) {
            double r = x * q / ((n - x + 1.0) * p);
            t *= r;
            sum += t;
            if (t == 0.0 || (r < 1.0 && t * r / (1.0 - r) < 1e-17 * sum))
                break;
        }
        *f = pmf * sum;
    }
    *df = -(n - k) * pmf / q;
}

/* GSL's status for a tail it evaluated: underflow is a value (a tail far
 * below 1e-300 is that small, and bisection visits such points on its way
 * to the root), every other error is not. */
static int gsl_ok(int rc)
{
    return rc == GSL_SUCCESS || rc == GSL_EUNDRFLW;
}

/* The tail probability at x and its derivative in x; -1 when GSL
 * reports an error (its handler is off, so it only returns the status). */
static int dist_eval(int kind, double a, double b, double x, double *f,
                     double *df)
{
    gsl_sf_result r, lnorm;
    double logdens;
    int rc;

    if (kind == DIST_BINOM_LE) {
        binom_le(a, b, x, f, df);
        return 0;
    }
    if (kind == DIST_BETA_P)
        return beta_inc(a, b, x, f, df);
    {
        int upper = kind == DIST_GAMMA_Q;
        rc = upper ? gsl_sf_gamma_inc_Q_e(a, x, &r)
                   : gsl_sf_gamma_inc_P_e(a, x, &r);
        /* For large a one tail can run out of iterations (Q at a = 1e9,
         * x = a + 2 sqrt(a)) while the other is fine: use its complement. */
        if (!gsl_ok(rc)) {
            rc = upper ? gsl_sf_gamma_inc_P_e(a, x, &r)
                       : gsl_sf_gamma_inc_Q_e(a, x, &r);
            r.val = 1.0 - r.val;
        }
        if (gsl_ok(rc))
            rc = gsl_sf_lngamma_e(a, &lnorm);
        logdens = (a - 1.0) * log(x) - x - lnorm.val;
    }
    if (!gsl_ok(rc))
        return -1;
    *f = r.val;
    *df = kind == DIST_GAMMA_Q ? -exp(logdens) : exp(logdens);
    return 0;
}

/* Solve tail(x) = t for x in (lo, hi), starting from x0. hi may be
 * infinite (gamma): it is then found by doubling. NaN if GSL fails. */
static double dist_invert(int kind, double a, double b, double t, double lo,
                          double hi, double x0)
{
    int rising = kind != DIST_GAMMA_Q && kind != DIST_BINOM_LE;
    double x, f, df;

    if (isinf(hi)) {
        hi = x0 > 1.0 ? 2.0 * x0 : 2.0;
        for (;;) {
            if (!isfinite(hi) || dist_eval(kind, a, b, hi, &f, &df) < 0
                || isnan(f))
                return NAN;
            if ((f > t) == rising)
                break;
            lo = hi;
            hi *= 2.0;
        }
    }
    x = (x0 > lo && x0 < hi) ? x0 : lo + (hi - lo) / 2.0;
    for (int it = 0; it < 400; it++) {
        double next;
        if (dist_eval(kind, a, b, x, &f, &df) < 0 || isnan(f))
            return NAN;
        if (f == t)
            return x;
        if ((f > t) == rising)
            hi = x;
        else
            lo = x;
        next = x - (f - t) / df;
        /* Converged first: a step below half an ulp leaves next == x, and
         * x is also an end of the bracket, so the bracket test would throw
         * the root away for the middle of the bracket. */
        if (fabs(next - x) <= 4.0 * DBL_EPSILON * x)
            return next;
        if (!(next > lo && next < hi))
            next = lo + (hi - lo) / 2.0;
        if (fabs(next - x) <= 4.0 * DBL_EPSILON * x || hi - lo <= DBL_MIN)
            return next;
        x = next;
    }
    return x;
}

/* Clopper-Pearson limits for k <= n / 2: the p with P(X >= k | p) =
 * tail, that is I_p(k, n - k + 1) = tail, and the p with P(X <= k | p) =
 * tail, that is I_p(k + 1, n - k) = 1 - tail. Newton starts from the
 * Wilson limits, which are close. With no cases the upper limit has the
 * closed form 1 - tail^(1/n). The upper limit is solved on the binomial
 * sum (binom_le) when n > CP_SUM_RATIO k, where the incomplete beta would
 * lose 1e-16 n / k > 1e-13 of it, up to CP_SUM_K cases (10^6 terms a
 * step); past that, at counts of 10^13 and more, the beta is used and the
 * relative error can reach 1e-16 n / k. */
#define CP_SUM_RATIO 1000.0
#define CP_SUM_K 1e10
static void cp_fn(double k, double n, double z, double tail, double *lo,
                  double *hi)
{
    double wlo, whi;

    if (k == 0.0) {
        *lo = 0.0;
        *hi = -expm1(log(tail) / n);
        return;
    }
    wilson_pair(k, n, z, &wlo, &whi);
    *lo = dist_invert(DIST_BETA_P, k, n - k + 1.0, tail, 0.0, 1.0, wlo);
    *hi = n > CP_SUM_RATIO * k && k <= CP_SUM_K
          ? dist_invert(DIST_BINOM_LE, k, n, tail, 0.0, 1.0, whi)
          : dist_invert(DIST_BETA_P, k + 1.0, n - k, 1.0 - tail, 0.0, 1.0,
                        whi);
}

/* Clopper-Pearson limits lim[0] <= lim[1] for k of n with their
 * complements comp[i] = 1 - lim[i], each taken from the side where it is
 * small (so a complement next to 0 keeps its relative precision). */
static void cp_limits(double k, double n, double z, double tail,
                      double lim[2], double comp[2])
{
    if (2.0 * k <= n) {
        cp_fn(k, n, z, tail, &lim[0], &lim[1]);
        comp[0] = 1.0 - lim[0];
        comp[1] = 1.0 - lim[1];
    } else {
        cp_fn(n - k, n, z, tail, &comp[1], &comp[0]);
        lim[0] = 1.0 - comp[0];
        lim[1] = 1.0 - comp[1];
    }
}

uint32_t cs_stats_clopper_pearson(cs_ci *out, uint64_t k, uint64_t n,
                                  double level)
{
    double z = cs_stats_z(level);

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (k > n)
        return CS_NOTE_BAD_INPUT;
    if (n == 0)
        return CS_NOTE_EMPTY;
    out->est = (double)k / (double)n;
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    mirrored(cp_fn, (double)k, (double)n, z, (1.0 - level) / 2.0, out);
    return isnan(out->lo) || isnan(out->hi) ? CS_NOTE_NUMERIC : 0;
}

/* Wilson-Hilferty approximation to a gamma(a) quantile at normal
 * quantile zq: a starting point for the exact inversion. */
static double gamma_guess(double a, double zq)
{
    double c = 1.0 - 1.0 / (9.0 * a) + zq / (3.0 * sqrt(a));
    return c > 0.0 ? a * c * c * c : a / 2.0;
}

uint32_t cs_stats_poisson_rate(cs_ci *out, uint64_t k, double t, double per,
                               double level)
{
    double z = cs_stats_z(level);
    double kk = (double)k, tail = (1.0 - level) / 2.0;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (!isfinite(t) || t < 0.0 || !isfinite(per) || per <= 0.0)
        return CS_NOTE_BAD_INPUT;
    if (t == 0.0)
        return CS_NOTE_NO_TIME;
    out->est = kk / t * per;
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    /* Garwood: the expected counts mu with P(X >= k | mu) = tail and
     * P(X <= k | mu) = tail. Those are gamma(k) and gamma(k + 1)
     * quantiles, the same as chi-square(2k) / 2 and chi-square(2k + 2) / 2. */
    out->lo = k == 0 ? 0.0
              : dist_invert(DIST_GAMMA_P, kk, 0.0, tail, 0.0, INFINITY,
                            gamma_guess(kk, -z)) / t * per;
    out->hi = dist_invert(DIST_GAMMA_Q, kk + 1.0, 0.0, tail, 0.0, INFINITY,
                          gamma_guess(kk + 1.0, z)) / t * per;
    return isnan(out->lo) || isnan(out->hi) ? CS_NOTE_NUMERIC : 0;
}

uint32_t cs_stats_rate_ratio_exact(cs_ci *out, uint64_t a, double t1,
                                   uint64_t c, double t0, double level)
{
    double z = cs_stats_z(level), lim[2], comp[2], scale;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (!isfinite(t1) || !isfinite(t0) || t1 < 0.0 || t0 < 0.0)
        return CS_NOTE_BAD_INPUT;
    if (t1 == 0.0 || t0 == 0.0)
        return CS_NOTE_NO_TIME;
    if (a == 0 && c == 0)
        return CS_NOTE_NO_CASES;
    /* As R writes it: the ratio of the two rates. */
    out->est = c == 0 ? INFINITY : ((double)a / t1) / ((double)c / t0);
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    /* Given a + c events, a is binomial with p = RR t1 / (RR t1 + t0), so
     * RR = p / (1 - p) * t0 / t1 is increasing in p and the exact limits
     * of p map to those of RR. */
    cp_limits((double)a, (double)a + (double)c, z, (1.0 - level) / 2.0, lim,
              comp);
    scale = t0 / t1;
    out->lo = a == 0 ? 0.0 : lim[0] / comp[0] * scale;
    out->hi = c == 0 ? INFINITY : lim[1] / comp[1] * scale;
    return isnan(out->lo) || isnan(out->hi) ? CS_NOTE_NUMERIC : 0;
}

/* ---- Measures of a 2x2 table ------------------------------------------ */

typedef cs__tab tab;

cs__tab cs__tab_of(const cs_2x2 *t)
{
    tab x;

    x.a = (double)t->a;
    x.b = (double)t->b;
    x.c = (double)t->c;
    x.d = (double)t->d;
    x.n1 = x.a + x.b;
    x.n0 = x.c + x.d;
    x.m1 = x.a + x.c;
    x.m0 = x.b + x.d;
    x.n = x.n1 + x.n0;
    return x;
}

/* Notes for a comparison that needs both groups. */
static uint32_t group_notes(const tab *x)
{
    uint32_t notes = 0;

    if (x->n1 == 0.0)
        notes |= CS_NOTE_NO_EXPOSED;
    if (x->n0 == 0.0)
        notes |= CS_NOTE_NO_UNEXPOSED;
    return notes;
}

uint32_t cs_stats_rr(cs_ci *out, const cs_2x2 *t, double level)
{
    double z = cs_stats_z(level);
    uint32_t notes;
    double se;
    tab x;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (t == NULL)
        return CS_NOTE_BAD_INPUT;
    x = tab_of(t);
    if ((notes = group_notes(&x)) != 0)
        return notes;
    if (x.c == 0.0)
        return CS_NOTE_RR_UNDEFINED_ZERO_CELL;
    if (x.a == 0.0) {
        out->est = 0.0;
        return CS_NOTE_RR_ZERO_EXPOSED_CASES;
    }
    if (isnan(z)) {
        out->est = (x.a * x.n0) / (x.c * x.n1);
        return CS_NOTE_BAD_LEVEL;
    }
    /* 1/a - 1/(a+b) written as b/(a(a+b)): no cancellation, never < 0. */
    se = sqrt(x.b / (x.a * x.n1) + x.d / (x.c * x.n0));
    log_interval(out, (x.a * x.n0) / (x.c * x.n1), se, z);
    if (se == 0.0) {
        out->lo = out->hi = NAN;
        return CS_NOTE_ZERO_SE;
    }
    return 0;
}

uint32_t cs_stats_or(cs_ci *out, const cs_2x2 *t, double level)
{
    double z = cs_stats_z(level);
    uint32_t notes;
    tab x;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (t == NULL)
        return CS_NOTE_BAD_INPUT;
    x = tab_of(t);
    if ((notes = group_notes(&x)) != 0)
        return notes;
    if (x.b == 0.0 || x.c == 0.0)
        return CS_NOTE_OR_UNDEFINED_ZERO_CELL;
    if (x.a == 0.0 || x.d == 0.0) {
        out->est = 0.0;
        return CS_NOTE_OR_ZERO;
    }
    if (isnan(z)) {
        out->est = (x.a / x.b) * (x.d / x.c);
        return CS_NOTE_BAD_LEVEL;
    }
    log_interval(out, (x.a / x.b) * (x.d / x.c),
                 sqrt(1.0 / x.a + 1.0 / x.b + 1.0 / x.c + 1.0 / x.d), z);
    return 0;
}

uint32_t cs_stats_rd(cs_ci *out, const cs_2x2 *t, double level)
{
    double z = cs_stats_z(level);
    double p1, p0, se;
    uint32_t notes;
    tab x;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (t == NULL)
        return CS_NOTE_BAD_INPUT;
    x = tab_of(t);
    if ((notes = group_notes(&x)) != 0)
        return notes;
    p1 = x.a / x.n1;
    p0 = x.c / x.n0;
    out->est = p1 - p0;
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    /* p(1-p)/n as (a/n)(b/n)/n: exact zero when a or b is zero. */
    se = sqrt(p1 * (x.b / x.n1) / x.n1 + p0 * (x.d / x.n0) / x.n0);
    if (se == 0.0)
        return CS_NOTE_ZERO_SE;
    out->lo = out->est - z * se;
    out->hi = out->est + z * se;
    return 0;
}

uint32_t cs_stats_af_exposed(cs_ci *out, const cs_2x2 *t, double level)
{
    uint32_t notes;
    cs_ci rr;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    notes = cs_stats_rr(&rr, t, level);
    if (!(rr.est > 0.0))
        return notes | CS_NOTE_AF_UNDEFINED;
    /* (RR - 1) / RR = 1 - 1/RR increases with RR, so the limits of RR map
     * to the limits of the fraction. */
    out->est = 1.0 - 1.0 / rr.est;
    out->lo = 1.0 - 1.0 / rr.lo;
    out->hi = 1.0 - 1.0 / rr.hi;
    return notes;
}

uint32_t cs_stats_paf(double *out, const cs_2x2 *t)
{
    tab x;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    *out = NAN;
    if (t == NULL)
        return CS_NOTE_BAD_INPUT;
    x = tab_of(t);
    if (x.n == 0.0)
        return CS_NOTE_EMPTY;
    if (x.n0 == 0.0)
        return CS_NOTE_NO_UNEXPOSED;
    if (x.m1 == 0.0)
        return CS_NOTE_NO_CASES;
    /* (p_total - p0) / p_total = 1 - p0 / p_total. */
    *out = 1.0 - (x.c / x.n0) / (x.m1 / x.n);
    return 0;
}

/* ---- Tests of a 2x2 table --------------------------------------------- */

int cs_stats_small_expected(const cs_2x2 *t)
{
    double rmin, cmin;
    tab x;

    if (t == NULL)
        return 1;
    x = tab_of(t);
    if (x.n == 0.0)
        return 1;
    /* The smallest expected count pairs the smallest row and column. */
    rmin = x.n1 < x.n0 ? x.n1 : x.n0;
    cmin = x.m1 < x.m0 ? x.m1 : x.m0;
    return rmin * cmin / x.n < 5.0;
}

uint32_t cs_stats_chisq(cs_test *out, const cs_2x2 *t, int yates)
{
    uint32_t notes = 0;
    double dev, num;
    tab x;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    test_nan(out, 1.0);
    if (t == NULL)
        return CS_NOTE_BAD_INPUT;
    x = tab_of(t);
    if (x.n == 0.0)
        notes |= CS_NOTE_EMPTY;
    if (x.n1 == 0.0 || x.n0 == 0.0 || x.m1 == 0.0 || x.m0 == 0.0)
        return notes | CS_NOTE_ZERO_MARGIN;
    if (cs_stats_small_expected(t))
        notes |= CS_NOTE_SMALL_EXPECTED;
    /* Every cell deviates from its expected count by the same amount,
     * (ad - bc) / n. Taking it as a - n1 m1 / n keeps its precision with
     * counts whose products would round (a = 5e9 gives ad = 2.5e19). */
    dev = fabs(x.a - x.n1 * x.m1 / x.n);
    num = yates ? (dev > 0.5 ? dev - 0.5 : 0.0) : dev;
    out->stat = x.n * (x.n * num) * (x.n * num) / (x.n1 * x.n0)
                / (x.m1 * x.m0);
    out->p = chisq_q(out->stat, 1.0);
    return notes;
}

/* Hypergeometric law of the a cell with the margins fixed: ratio of
 * successive probabilities, P(x + 1) / P(x). Every factor is a count, so
 * the ratio is exact to a rounding, at any size. */
static double hyper_ratio(const tab *m, double x)
{
    return (m->n1 - x) * (m->m1 - x) / ((x + 1.0) * (m->n0 - m->m1 + x + 1.0));
}

/* Factor that takes P(x) to P(x + dir). Both walks below use this one
 * expression, so they reproduce the same products bit for bit. */
static double hyper_step(const tab *m, double x, int dir)
{
    return dir > 0 ? hyper_ratio(m, x) : 1.0 / hyper_ratio(m, x - 1.0);
}

/* Sum one side of the law, outward from the mode (whose term is 1, not
 * counted here) to lim. Every term goes into *s; those no larger than thr
 * also into *p. The law is log-concave, so past the mode each ratio is at
 * most the one before: once a ratio q < 1, all that is left of the side is
 * below t q / (1 - q), and the walk stops when that is below negligible. */
static void fisher_side(const tab *m, double mode, double lim, int dir,
                        double thr, double negligible, double *s,
                        double *p)
{
    double x = mode, t = 1.0;

    while (x != lim) {
        double q = hyper_step(m, x, dir);
        t *= q;
        x += dir;
        *s += t;
        if (t <= thr)
            *p += t;
        if (t == 0.0 || (q < 1.0 && t * q / (1.0 - q) < negligible))
            break;
    }
}

/* ln of the binomial probability P(X = x | n, p), q = 1 - p given
 * separately, by Loader's saddle point form (as R's dbinom): Stirling
 * remainders and bd0(x, M) = x ln(x / M) + M - x, which is
 * -x log1pmx(M / x - 1), so nothing cancels however large n is. */
static double bd0(double x, double m)
{
    return -x * log1pmx(m / x - 1.0);
}

static double ln_dbinom(double x, double n, double p, double q)
{
    if (x == 0.0)
        return n * log1p(-p);
    if (x == n)
        return n * log1p(-q);
    return stirling_rest(n) - stirling_rest(x) - stirling_rest(n - x)
           - bd0(x, n * p) - bd0(n - x, n * q)
           - 0.5 * (2.0 * LN_SQRT_2PI + log(x) + log1p(-x / n));
}

/* ln of the hypergeometric probability of a = x with the margins fixed:
 * binomial(x | n1) binomial(m1 - x | n0) / binomial(m1 | n), all at
 * p = m1 / n (which cancels from the ratio). */
static double ln_hyper(const tab *m, double x)
{
    double p = m->m1 / m->n, q = m->m0 / m->n;

    return ln_dbinom(x, m->n1, p, q) + ln_dbinom(m->m1 - x, m->n0, p, q)
           - ln_dbinom(m->m1, m->n, p, q);
}

/* Sum of the hypergeometric terms from x outward (dir) to lim, relative
 * to the term at x (whose own 1 is included); past x they only shrink, so
 * the walk stops when the rest is below 1e-17 of the sum. */
static double fisher_tail_from(const tab *m, double x, double lim, int dir)
{
    double t = 1.0, s = 1.0;

    while (x != lim) {
        double q = hyper_step(m, x, dir);
        t *= q;
        x += dir;
        s += t;
        if (t == 0.0 || (q < 1.0 && t * q / (1.0 - q) < 1e-17 * s))
            break;
    }
    return s;
}

/* ln p of the two-sided test for an observed table so far out that its
 * probability relative to the mode's underflows. Everything is taken
 * relative to the observed table: the tables beyond it on its side (all
 * less likely, summed outward), and on the other side those from the
 * first one no more likely than it (found by bisection on ln_hyper, the
 * law being unimodal), outward. No table between the mode and the
 * observed one can tie with it there: its ratio to the next would have
 * to be within 1e-7 of 1, which takes counts beyond 10^17. */
static double fisher_log_far(const tab *m, double mode, double lo, double hi)
{
    int dir = m->a > mode ? 1 : -1;
    double end = dir > 0 ? lo : hi;   /* the far end of the other side */
    double ln_obs = ln_hyper(m, m->a), ln_thr = ln_obs + log1p(1e-7);
    double rel = fisher_tail_from(m, m->a, dir > 0 ? hi : lo, dir);

    if (ln_hyper(m, end) <= ln_thr) {
        double in = mode, out = end;   /* ln_hyper(in) > thr >= at out */
        while (fabs(out - in) > 1.0) {
            double mid = floor((in + out) / 2.0);
            if (ln_hyper(m, mid) <= ln_thr)
                out = mid;
            else
                in = mid;
        }
        rel += exp(ln_hyper(m, out) - ln_obs)
               * fisher_tail_from(m, out, end, -dir);
    }
    return ln_obs + log(rel);
}

/* Two-sided p and its natural log. */
static uint32_t fisher_core(const cs_2x2 *t, double *p_out, double *ln_out)
{
    double lo, hi, mode, x, r_obs, thr, s = 1.0, p;
    tab m;

    *p_out = *ln_out = NAN;
    if (t == NULL)
        return CS_NOTE_BAD_INPUT;
    m = tab_of(t);
    if (m.n1 == 0.0 || m.n0 == 0.0 || m.m1 == 0.0 || m.m0 == 0.0) {
        *p_out = 1.0;
        *ln_out = 0.0;
        return CS_NOTE_ZERO_MARGIN | (m.n == 0.0 ? CS_NOTE_EMPTY : 0);
    }
    lo = m.m1 > m.n0 ? m.m1 - m.n0 : 0.0;
    hi = m.n1 < m.m1 ? m.n1 : m.m1;
    /* The textbook mode, then nudged: with huge counts the floating
     * product may land one off. */
    mode = floor((m.n1 + 1.0) * (m.m1 + 1.0) / (m.n + 2.0));
    mode = mode < lo ? lo : mode > hi ? hi : mode;
    while (mode < hi && hyper_ratio(&m, mode) > 1.0)
        mode += 1.0;
    while (mode > lo && hyper_ratio(&m, mode - 1.0) < 1.0)
        mode -= 1.0;

    /* Probability of the observed table relative to the mode. Past about
     * 37 standard deviations it underflows: the far tail is then summed
     * on a log scale, in time that does not grow with the distance. */
    r_obs = 1.0;
    for (x = mode; x != m.a && r_obs >= 1e-290;) {
        int dir = m.a > x ? 1 : -1;
        r_obs *= hyper_step(&m, x, dir);
        x += dir;
    }
    if (r_obs < 1e-290) {
        *ln_out = fisher_log_far(&m, mode, lo, hi);
        *p_out = exp(*ln_out);
        return 0;
    }
    /* Tables within a relative 1e-7 of the observed one count as ties, as
     * in R's fisher.test: their probabilities differ only by rounding. */
    thr = r_obs * (1.0 + 1e-7);
    p = 1.0 <= thr ? 1.0 : 0.0;
    fisher_side(&m, mode, hi, 1, thr, 1e-17 * r_obs, &s, &p);
    fisher_side(&m, mode, lo, -1, thr, 1e-17 * r_obs, &s, &p);
    p /= s;
    *p_out = p > 1.0 ? 1.0 : p;
    *ln_out = log(*p_out);
    return 0;
}

uint32_t cs_stats_fisher(double *out, const cs_2x2 *t)
{
    double p, ln_p;
    uint32_t notes;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    notes = fisher_core(t, &p, &ln_p);
    if (p < CS_STATS_P_FLOOR) {
        *out = CS_STATS_P_FLOOR;
        return notes | CS_NOTE_P_BOUND;
    }
    *out = p;
    return notes;
}

uint32_t cs_stats_fisher_log10(double *out, const cs_2x2 *t)
{
    double p, ln_p;
    uint32_t notes;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    notes = fisher_core(t, &p, &ln_p);
    *out = ln_p / 2.30258509299404568402;
    return notes;
}

/* ---- Stratified analysis ---------------------------------------------- */

/* Expected a in a stratum under a common odds ratio psi: the root in the
 * support of A (n0 - m1 + A) = psi (n1 - A)(m1 - A), that is of
 * (1 - psi) A^2 + (n0 - m1 + psi (n1 + m1)) A - psi n1 m1 = 0. */
static double bd_expected(const tab *x, double psi)
{
    double lo = x->m1 > x->n0 ? x->m1 - x->n0 : 0.0;
    double hi = x->n1 < x->m1 ? x->n1 : x->m1;
    double qa = 1.0 - psi;
    double qb = x->n0 - x->m1 + psi * (x->n1 + x->m1);
    double qc = -psi * x->n1 * x->m1;
    double q, r1, r2, a;

    if (qa == 0.0)
        return x->n1 * x->m1 / x->n;
    /* The stable pair of roots: q / qa and qc / q. */
    q = -0.5 * (qb + copysign(sqrt(qb * qb - 4.0 * qa * qc), qb));
    r1 = q / qa;
    r2 = qc / q;
    a = (r1 >= lo && r1 <= hi) ? r1 : r2;
    return a < lo ? lo : a > hi ? hi : a;
}

uint32_t cs_stats_mh(cs_mh *out, const cs_2x2 *strata, size_t k,
                     double level)
{
    double z = cs_stats_z(level);
    double r = 0, s = 0, pr = 0, ps_qr = 0, qs = 0;  /* odds ratio */
    double rr_num = 0, rr_den = 0, rr_var = 0;       /* risk ratio */
    double sum_a = 0, sum_e = 0, sum_v = 0;          /* chi-square */
    uint32_t notes = 0;
    size_t skipped = 0;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(&out->risk_ratio);
    ci_nan(&out->odds_ratio);
    test_nan(&out->chisq, 1.0);
    test_nan(&out->breslow_day, NAN);
    out->strata_used = out->strata_bd = 0;
    if (strata == NULL && k > 0)
        return CS_NOTE_BAD_INPUT;
    if (isnan(z))
        notes |= CS_NOTE_BAD_LEVEL;

    for (size_t i = 0; i < k; i++) {
        tab x = tab_of(&strata[i]);
        double n = x.n, rk, sk, pk, qk;

        /* A stratum of one session has no pairs to compare, and its
         * variance term divides by n - 1. */
        if (n < 2.0) {
            skipped++;
            continue;
        }
        out->strata_used++;
        if (x.n1 > 0 && x.n0 > 0 && x.m1 > 0 && x.m0 > 0)
            out->strata_bd++;
        rk = x.a * x.d / n;
        sk = x.b * x.c / n;
        pk = (x.a + x.d) / n;
        qk = (x.b + x.c) / n;
        r += rk;
        s += sk;
        pr += pk * rk;
        ps_qr += pk * sk + qk * rk;
        qs += qk * sk;
        rr_num += x.a * x.n0 / n;
        rr_den += x.c * x.n1 / n;
        rr_var += (x.m1 * x.n1 * x.n0 / n - x.a * x.c) / n;
        sum_a += x.a;
        sum_e += x.n1 * x.m1 / n;
        sum_v += x.n1 * x.n0 / n * (x.m1 * x.m0 / (n * (n - 1.0)));
    }
    if (skipped > 0)
        notes |= CS_NOTE_STRATA_SKIPPED;
    if (out->strata_used == 0)
        return notes | CS_NOTE_MH_NO_STRATA;

    /* Risk ratio, Greenland-Robins variance of its log. */
    if (rr_den == 0.0) {
        notes |= CS_NOTE_MH_RR_UNDEFINED;
    } else if (rr_num == 0.0) {
        out->risk_ratio.est = 0.0;
        notes |= CS_NOTE_MH_RR_ZERO;
    } else {
        double se = sqrt(rr_var / (rr_num * rr_den));
        log_interval(&out->risk_ratio, rr_num / rr_den, se, z);
        if (se == 0.0) {
            out->risk_ratio.lo = out->risk_ratio.hi = NAN;
            notes |= CS_NOTE_ZERO_SE;
        }
    }

    /* Odds ratio, Robins-Breslow-Greenland variance of its log. */
    if (s == 0.0) {
        notes |= CS_NOTE_MH_OR_UNDEFINED;
    } else if (r == 0.0) {
        out->odds_ratio.est = 0.0;
        notes |= CS_NOTE_MH_OR_ZERO;
    } else {
        double var = pr / (2.0 * r * r) + ps_qr / (2.0 * r * s)
                     + qs / (2.0 * s * s);
        log_interval(&out->odds_ratio, r / s, sqrt(var), z);
    }

    /* Chi-square without continuity correction. */
    if (sum_v > 0.0) {
        out->chisq.stat = (sum_a - sum_e) * (sum_a - sum_e) / sum_v;
        out->chisq.p = chisq_q(out->chisq.stat, 1.0);
    } else {
        notes |= CS_NOTE_MH_CHISQ_UNDEFINED;
    }

    /* Breslow-Day over the strata with four non-zero margins; the others
     * add nothing to r and s, so the pooled OR is already theirs. */
    out->breslow_day.df = out->strata_bd >= 1
                          ? (double)(out->strata_bd - 1) : NAN;
    if (out->strata_bd < 2) {
        notes |= CS_NOTE_BD_TOO_FEW_STRATA;
    } else if (!(out->odds_ratio.est > 0.0) || !isfinite(out->odds_ratio.est)) {
        notes |= CS_NOTE_BD_UNDEFINED;
    } else {
        double psi = out->odds_ratio.est, bd = 0.0;
        for (size_t i = 0; i < k; i++) {
            tab x = tab_of(&strata[i]);
            double ea, var;
            if (x.n < 2.0 || !(x.n1 > 0 && x.n0 > 0 && x.m1 > 0 && x.m0 > 0))
                continue;
            ea = bd_expected(&x, psi);
            var = 1.0 / (1.0 / ea + 1.0 / (x.n1 - ea) + 1.0 / (x.m1 - ea)
                         + 1.0 / (x.n0 - x.m1 + ea));
            bd += (x.a - ea) * (x.a - ea) / var;
        }
        out->breslow_day.stat = bd;
        out->breslow_day.p = chisq_q(bd, out->breslow_day.df);
    }
    return notes;
}

/* ---- Logistic regression ---------------------------------------------- */

/* A column is aliased when its weighted residual, after projecting out the
 * kept earlier columns, has a squared norm below this share of its own:
 * a norm ratio of 1e-6, well above the rounding of the Gram matrix
 * (about 1e-15) and far below any covariate a study would keep. */
#define ALIAS_TOL2 1e-12

/* Fitted probabilities this close to 0 or 1 mean separation: with real
 * overlap the IRLS stops long before, and with separation it drives them
 * to about 1e-11 before the deviance settles. */
#define SEPARATION_EPS 1e-8

/* Inverse logit as mu and 1 - mu, each computed without cancellation, so
 * that weights mu (1 - mu) stay accurate at either end. */
static void inv_logit(double eta, double *mu, double *nu)
{
    if (eta >= 0.0) {
        double e = exp(-eta);
        *mu = 1.0 / (1.0 + e);
        *nu = e / (1.0 + e);
    } else {
        double e = exp(eta);
        *mu = e / (1.0 + e);
        *nu = 1.0 / (1.0 + e);
    }
}

/* Binomial deviance term of one pattern, with 0 log 0 = 0. */
static double dev_term(double n, double y, double mu, double nu)
{
    double d = 0.0;

    if (y > 0.0)
        d += y * log(y / (n * mu));
    if (n - y > 0.0)
        d += (n - y) * log((n - y) / (n * nu));
    return 2.0 * d;
}

typedef struct logit_work {
    const double *x;
    const uint64_t *n, *y;
    size_t m, p, q;         /* patterns, columns, kept columns */
    size_t keep[CS_LOGIT_MAXP];
    double *eta, *mu, *nu;  /* per pattern */
    gsl_matrix_view info;   /* X'WX over the kept columns, q x q */
    gsl_vector_view rhs;    /* X'W z */
    gsl_vector_view beta;   /* kept coefficients */
    gsl_vector_view prev;   /* the step before, for step halving */
} logit_work;

/* Find the aliased columns by Cholesky of the Gram matrix X'NX (N = the
 * trials), keeping a column only when it adds a new direction. Earlier
 * columns win, as in R's glm, so the intercept stays and a constant
 * covariate goes. g and l are p x p scratch (row-major); l holds the rows
 * of the Cholesky factor of the kept columns. Returns the rank. */
static size_t logit_screen(logit_work *w, cs_logit_fit *out, double *g,
                           double *l)
{
    size_t p = w->p, q = 0;

    memset(g, 0, p * p * sizeof *g);
    for (size_t i = 0; i < w->m; i++) {
        const double *row = w->x + i * p;
        double ni = (double)w->n[i];
        if (w->n[i] == 0)
            continue;
        for (size_t j = 0; j < p; j++)
            for (size_t k = 0; k <= j; k++)
                g[j * p + k] += ni * row[j] * row[k];
    }
    for (size_t j = 0; j < p; j++) {
        double gjj = g[j * p + j], res = gjj;
        for (size_t a = 0; a < q; a++) {
            double v = g[j * p + w->keep[a]];
            for (size_t b = 0; b < a; b++)
                v -= l[q * p + b] * l[a * p + b];
            l[q * p + a] = v / l[a * p + a];
            res -= l[q * p + a] * l[q * p + a];
        }
        if (!(gjj > 0.0) || !(res > ALIAS_TOL2 * gjj)) {
            out->aliased[j] = 1;
            continue;
        }
        l[q * p + q] = sqrt(res);
        w->keep[q++] = j;
    }
    return q;
}

/* Build X'WX and X'Wz at the current fit. z = eta + (y - n mu) / w, so
 * w z = w eta + (y - n mu): no division by a weight that may underflow. */
static void logit_normal_eq(logit_work *w)
{
    gsl_matrix *info = &w->info.matrix;
    gsl_vector *rhs = &w->rhs.vector;

    gsl_matrix_set_zero(info);
    gsl_vector_set_zero(rhs);
    for (size_t i = 0; i < w->m; i++) {
        const double *row = w->x + i * w->p;
        double n = (double)w->n[i], y = (double)w->y[i];
        double wt = n * w->mu[i] * w->nu[i];
        double wz = wt * w->eta[i] + (y - n * w->mu[i]);
        if (w->n[i] == 0)
            continue;
        for (size_t a = 0; a < w->q; a++) {
            double xa = row[w->keep[a]];
            *gsl_vector_ptr(rhs, a) += xa * wz;
            for (size_t b = 0; b <= a; b++)
                *gsl_matrix_ptr(info, a, b) += wt * xa * row[w->keep[b]];
        }
    }
    for (size_t a = 0; a < w->q; a++)
        for (size_t b = 0; b < a; b++)
            gsl_matrix_set(info, b, a, gsl_matrix_get(info, a, b));
}

/* Set eta, mu, nu from beta; return the deviance. */
static double logit_update(logit_work *w, const gsl_vector *beta)
{
    double dev = 0.0;

    for (size_t i = 0; i < w->m; i++) {
        const double *row = w->x + i * w->p;
        double eta = 0.0;
        if (w->n[i] == 0)
            continue;
        for (size_t a = 0; a < w->q; a++)
            eta += row[w->keep[a]] * gsl_vector_get(beta, a);
        w->eta[i] = eta;
        inv_logit(eta, &w->mu[i], &w->nu[i]);
        dev += dev_term((double)w->n[i], (double)w->y[i], w->mu[i], w->nu[i]);
    }
    return dev;
}

static int logit_fail(cs_logit_fit *out, uint32_t why)
{
    out->status = why;
    return -1;
}

int cs_stats_logit(cs_logit_fit *out, const double *x, const uint64_t *n,
                   const uint64_t *y, size_t m, size_t p)
{
    double dev_old = 0.0, dev = 0.0;
    double *mem;
    logit_work w;
    int ok;

    if (out == NULL)
        return -1;
    memset(out, 0, sizeof *out);
    for (size_t j = 0; j < CS_LOGIT_MAXP; j++)
        out->beta[j] = out->se[j] = out->z[j] = out->p_value[j] = NAN;
    out->deviance = NAN;
    if (p == 0 || p > CS_LOGIT_MAXP || m == 0 || x == NULL || n == NULL
        || y == NULL)
        return logit_fail(out, CS_NOTE_BAD_INPUT);
    out->p = p;
    for (size_t i = 0; i < m; i++) {
        if (y[i] > n[i])
            return logit_fail(out, CS_NOTE_BAD_INPUT);
        for (size_t j = 0; j < p; j++)
            if (!isfinite(x[i * p + j]))
                return logit_fail(out, CS_NOTE_BAD_INPUT);
        if (n[i] > 0)
            out->patterns++;
    }
    if (out->patterns == 0)
        return logit_fail(out, CS_NOTE_BAD_INPUT);

    /* One block for everything: three per-pattern arrays, the screening
     * scratch and the small IRLS matrices (viewed by GSL, not allocated
     * by it, so its error handler has nothing to report). */
    if (m > (SIZE_MAX / sizeof *mem - 2 * p * p - 3 * p) / 3)
        return logit_fail(out, CS_NOTE_NOMEM);
    mem = malloc((3 * m + 2 * p * p + 3 * p) * sizeof *mem);
    if (mem == NULL)
        return logit_fail(out, CS_NOTE_NOMEM);

    memset(&w, 0, sizeof w);
    w.x = x;
    w.n = n;
    w.y = y;
    w.m = m;
    w.p = p;
    w.q = logit_screen(&w, out, mem + 3 * m, mem + 3 * m + p * p);
    out->rank = w.q;
    if (w.q < p)
        out->status |= CS_NOTE_LOGIT_SINGULAR;
    if (w.q == 0) {
        free(mem);
        return logit_fail(out, out->status | CS_NOTE_BAD_INPUT);
    }
    w.eta = mem;
    w.mu = mem + m;
    w.nu = mem + 2 * m;
    w.info = gsl_matrix_view_array(mem + 3 * m, w.q, w.q);
    w.rhs = gsl_vector_view_array(mem + 3 * m + p * p, w.q);
    w.beta = gsl_vector_view_array(mem + 3 * m + p * p + p, w.q);
    w.prev = gsl_vector_view_array(mem + 3 * m + p * p + 2 * p, w.q);
    /* NaN until a first step succeeds: a fit that fails at once reports no
     * coefficients rather than stale memory. */
    gsl_vector_set_all(&w.prev.vector, NAN);

    /* Start from the smoothed observed proportions, as R's binomial
     * family does: no beta is needed and no pattern starts at 0 or 1. */
    for (size_t i = 0; i < m; i++) {
        double ni = (double)n[i], yi = (double)y[i];
        if (n[i] == 0)
            continue;
        w.mu[i] = (yi + 0.5) / (ni + 1.0);
        w.nu[i] = (ni - yi + 0.5) / (ni + 1.0);
        w.eta[i] = log(w.mu[i] / w.nu[i]);
        dev_old += dev_term(ni, yi, w.mu[i], w.nu[i]);
    }

    ok = 1;
    for (int it = 1; it <= CS_LOGIT_MAXIT; it++) {
        out->iterations = it;
        logit_normal_eq(&w);
        if (gsl_linalg_cholesky_decomp1(&w.info.matrix) != GSL_SUCCESS
            || gsl_linalg_cholesky_solve(&w.info.matrix, &w.rhs.vector,
                                         &w.beta.vector) != GSL_SUCCESS) {
            /* The columns were screened, so the information can only
             * lose rank through weights underflowing to 0: separation. */
            ok = 0;
            break;
        }
        dev = logit_update(&w, &w.beta.vector);
        /* Newton on the concave log-likelihood rarely overshoots, but
         * when it does (or the deviance overflows) halve the step back
         * towards the previous coefficients, as glm.fit does. */
        for (int h = 0; it > 1 && h < 30
             && (!isfinite(dev) || dev > dev_old * (1.0 + 1e-12)); h++) {
            gsl_vector_add(&w.beta.vector, &w.prev.vector);
            gsl_vector_scale(&w.beta.vector, 0.5);
            dev = logit_update(&w, &w.beta.vector);
        }
        gsl_vector_memcpy(&w.prev.vector, &w.beta.vector);
        /* R's criterion, 100 times tighter, so that the coefficients are
         * converged well past the digits anyone prints. */
        if (fabs(dev - dev_old) / (fabs(dev) + 0.1) < 1e-10) {
            out->converged = 1;
            dev_old = dev;
            break;
        }
        dev_old = dev;
    }
    out->deviance = dev_old;
    if (!out->converged)
        out->status |= CS_NOTE_LOGIT_NOT_CONVERGED;
    for (size_t i = 0; i < m; i++)
        if (n[i] > 0 && (w.mu[i] < SEPARATION_EPS || w.nu[i] < SEPARATION_EPS))
            out->status |= CS_NOTE_LOGIT_SEPARATION;
    if (!ok)
        out->status |= CS_NOTE_LOGIT_SEPARATION;

    /* Standard errors from the information at the final coefficients
     * (the IRLS weights lag one step behind them). */
    for (size_t a = 0; a < w.q; a++)
        out->beta[w.keep[a]] = gsl_vector_get(&w.prev.vector, a);
    if (ok) {
        logit_normal_eq(&w);
        if (gsl_linalg_cholesky_decomp1(&w.info.matrix) == GSL_SUCCESS
            && gsl_linalg_cholesky_invert(&w.info.matrix) == GSL_SUCCESS) {
            for (size_t a = 0; a < w.q; a++) {
                size_t j = w.keep[a];
                out->se[j] = sqrt(gsl_matrix_get(&w.info.matrix, a, a));
                out->z[j] = out->beta[j] / out->se[j];
                out->p_value[j] = 2.0 * gsl_cdf_ugaussian_Q(fabs(out->z[j]));
            }
        } else {
            out->status |= CS_NOTE_LOGIT_SEPARATION;
        }
    }
    free(mem);
    return 0;
}

uint32_t cs_stats_logit_or(cs_ci *out, const cs_logit_fit *fit, size_t j,
                           double level)
{
    const uint32_t passed = CS_NOTE_LOGIT_NOT_CONVERGED
                            | CS_NOTE_LOGIT_SEPARATION
                            | CS_NOTE_BAD_INPUT | CS_NOTE_NOMEM;
    double z = cs_stats_z(level);
    uint32_t notes;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (fit == NULL || j >= fit->p || j >= CS_LOGIT_MAXP)
        return CS_NOTE_BAD_INPUT;
    notes = fit->status & passed;
    if (fit->aliased[j])
        return notes | CS_NOTE_LOGIT_SINGULAR;
    if (notes & (CS_NOTE_BAD_INPUT | CS_NOTE_NOMEM))
        return notes;
    out->est = exp(fit->beta[j]);
    if (isnan(z))
        return notes | CS_NOTE_BAD_LEVEL;
    out->lo = exp(fit->beta[j] - z * fit->se[j]);
    out->hi = exp(fit->beta[j] + z * fit->se[j]);
    return notes;
}
