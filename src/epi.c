/* The epidemiological measures the report adds to those of stats.c, as
 * R's epiR::epi.2by2 computes them for cohort counts and person-time:
 * intervals of the attributable measures, the number needed to treat, the
 * conditional MLE odds ratio with its exact interval, per-stratum
 * measures, the Mantel-Haenszel risk difference and the checks of
 * confounding and homogeneity. Pure functions of counts; where epiR is
 * wrong or silently corrects a zero cell, crampstat does not follow it
 * (docs/epi.md says where and why). */
#include <crampstat/epi.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include <crampstat/fmt.h>
#include "internal.h"

/* ---- Notes ------------------------------------------------------------- */

static const char *const epi_note_texts[] = {
    "PAF interval undefined: no cases among the unexposed",
    "number needed to treat undefined: the risk difference is 0",
    "the risk difference interval contains 0: the NNT interval passes "
        "through infinity (upper limit is of the other kind)",
    "exact odds ratio is 0 (fewest exposed cases the margins allow): "
        "lower limit 0",
    "exact odds ratio is infinite (most exposed cases the margins allow): "
        "upper limit infinite",
    "rate ratio infinite or undefined (no events among the unexposed): "
        "attributable fraction on rates undefined",
    "strata without exposed or unexposed sessions were left out of the "
        "Mantel-Haenszel risk difference",
    "Mantel-Haenszel risk difference undefined: no stratum has both "
        "exposed and unexposed sessions",
    "strata with an undefined log ratio or a zero variance were left out "
        "of Woolf's test",
    "Woolf's test undefined: fewer than two usable strata",
    "crude-to-adjusted ratio undefined: a crude or pooled measure is 0 or "
        "undefined",
    "PAF on rates: interval undefined with no cases among the exposed (both "
        "rates' limits come from the same count, and the interval is a point)",
};

#define EPI_NOTE_COUNT (sizeof epi_note_texts / sizeof epi_note_texts[0])
_Static_assert(CS_EPI_NOTE(EPI_NOTE_COUNT - 1)
               == CS_EPI_NOTE_PAF_RATE_NO_EXPOSED_CASES,
               "one text per epi note bit");

const char *cs_epi_note_text(uint64_t note)
{
    for (unsigned bit = 0; bit < 64; bit++) {
        if (!(note & (UINT64_C(1) << bit)))
            continue;
        if (bit < 32)
            return cs_stats_note_text(UINT32_C(1) << bit);
        return bit - 32 < EPI_NOTE_COUNT ? epi_note_texts[bit - 32] : NULL;
    }
    return NULL;
}

size_t cs_epi_notes_format(char *buf, size_t cap, uint64_t notes)
{
    size_t len = cs_stats_notes_format(buf, cap, (uint32_t)notes);

    for (unsigned bit = 0; bit < 32; bit++) {
        const char *s;
        size_t sl;
        if (!(notes & CS_EPI_NOTE(bit)))
            continue;
        s = bit < EPI_NOTE_COUNT ? epi_note_texts[bit] : "unknown note";
        for (int part = len > 0 ? 0 : 1; part < 2; part++) {
            const char *p = part == 0 ? "; " : s;
            sl = strlen(p);
            /* Copy what fits but count everything, as snprintf does. */
            if (cap > 0 && len < cap - 1) {
                size_t room = cap - 1 - len, cp = sl < room ? sl : room;
                memcpy(buf + len, p, cp);
                buf[len + cp] = '\0';
            }
            len += sl;
        }
    }
    return len;
}

/* ---- Helpers ----------------------------------------------------------- */

#define ci_nan cs__ci_nan

static double z_of(double level)
{
    return cs_stats_z(level);
}

#define chisq_q cs__chisq_q

/* Counts as doubles with their margins (internal.h). */
typedef cs__tab tab;
#define tab_of cs__tab_of

/* ---- One 2x2 table of counts ------------------------------------------- */

uint64_t cs_epi_paf(cs_ci *out, const cs_2x2 *t, double level)
{
    double z = z_of(level), paf, se, log1m;
    uint64_t notes;
    tab x;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    notes = cs_stats_paf(&paf, t);
    if (notes != 0)
        return notes;
    x = tab_of(t);
    out->est = paf;
    if (x.c == 0.0)
        return CS_EPI_NOTE_PAF_NO_UNEXPOSED_CASES;
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    /* 1 - PAF = (c / n0) / (m1 / n) exactly; its log from the two risks
     * keeps full precision where PAF is near 1. */
    log1m = log(x.c / x.n0) - log(x.m1 / x.n);
    se = sqrt((x.b + paf * (x.a + x.d)) / (x.n * x.c));
    if (isnan(se))
        return CS_NOTE_NUMERIC;
    out->lo = 1.0 - exp(log1m + z * se);
    out->hi = 1.0 - exp(log1m - z * se);
    return 0;
}

uint64_t cs_epi_par(cs_ci *out, const cs_2x2 *t, double level)
{
    double z = z_of(level), pt, p0, se;
    tab x;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (t == NULL)
        return CS_NOTE_BAD_INPUT;
    x = tab_of(t);
    if (x.n0 == 0.0)
        return CS_NOTE_NO_UNEXPOSED | (x.n == 0.0 ? CS_NOTE_EMPTY : 0);
    pt = x.m1 / x.n;
    p0 = x.c / x.n0;
    out->est = pt - p0;
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    /* m1 m0 / n^3 as p (1 - p) / n: no product of three counts. */
    se = sqrt(pt * (x.m0 / x.n) / x.n + p0 * (x.d / x.n0) / x.n0);
    if (se == 0.0)
        return CS_NOTE_ZERO_SE;
    out->lo = out->est - z * se;
    out->hi = out->est + z * se;
    return 0;
}

const char *cs_epi_nnt_kind_name(int kind)
{
    return kind == CS_EPI_NNT_BENEFIT ? "benefit"
           : kind == CS_EPI_NNT_HARM ? "harm" : NULL;
}

uint64_t cs_epi_nnt(cs_nnt *out, const cs_2x2 *t, double level)
{
    uint64_t notes;
    double s, near, far;
    cs_ci rd;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    out->est = out->lo = out->hi = NAN;
    out->kind = CS_EPI_NNT_NONE;
    notes = cs_stats_rd(&rd, t, level);
    if (isnan(rd.est))
        return notes;
    if (rd.est == 0.0)
        return notes | CS_EPI_NOTE_NNT_INFINITE;
    s = rd.est > 0.0 ? 1.0 : -1.0;
    out->kind = rd.est > 0.0 ? CS_EPI_NNT_HARM : CS_EPI_NNT_BENEFIT;
    out->est = 1.0 / fabs(rd.est);
    if (isnan(rd.lo) || isnan(rd.hi))
        return notes;
    /* The limits of RD turned towards the estimate's side: far is the
     * one beyond the estimate (> 0), near may reach 0 or cross it. */
    far = fmax(s * rd.lo, s * rd.hi);
    near = fmin(s * rd.lo, s * rd.hi);
    out->lo = 1.0 / far;
    out->hi = near == 0.0 ? INFINITY : 1.0 / near;
    if (near <= 0.0)
        notes |= CS_EPI_NOTE_NNT_THROUGH_INFINITY;
    return notes;
}

/* ---- Conditional MLE odds ratio ---------------------------------------- */

/* The a cell given the margins follows the noncentral hypergeometric law
 * P(x | psi) proportional to C(n1, x) C(n0, m1 - x) psi^x on lo..hi.
 * The roots are sought in log(psi) = lp, and the terms are products of
 * ratios relative to the mode's term, rescaled before they underflow, so
 * no odds ratio or probability overflows or underflows on the way.
 * fisher.test instead holds the log terms of the whole support in memory
 * and subtracts their maximum, which a function that allocates nothing
 * cannot do for counts in the billions. */
typedef struct nch {
    double n1, n0, m1;  /* exposed, unexposed, cases */
    double lo, hi;      /* support of a */
    double x;           /* observed a */
} nch;

/* What one evaluation at lp gives: the mean and variance of the law, and
 * each tail at x with its conditional mean (for Newton's derivatives). */
typedef struct nch_eval {
    double mean, var;
    double log_le, mean_le;  /* log P(A <= x), E[A | A <= x] */
    double log_ge, mean_ge;  /* log P(A >= x), E[A | A >= x] */
} nch_eval;

/* log of P(x + 1) / P(x) at lp: decreasing in x, which makes the law
 * log-concave. The product of four counts is exact to a rounding. */
static double nch_step(const nch *h, double xx, double lp)
{
    return log((h->n1 - xx) * (h->m1 - xx)
               / ((xx + 1.0) * (h->n0 - h->m1 + xx + 1.0))) + lp;
}

/* The mode: the first x whose step down the support is negative. Found
 * by bisection on the integers, since a start from the quadratic can be
 * far off for extreme lp. */
static double nch_mode(const nch *h, double lp)
{
    double lo = h->lo, hi = h->hi;

    while (lo < hi) {
        double mid = floor(lo + (hi - lo) / 2.0);
        if (nch_step(h, mid, lp) < 0.0)
            hi = mid;
        else
            lo = mid + 1.0;
    }
    return lo;
}

/* The rest of a log-concave walk past a term t whose last ratio was q < 1
 * is below t q / (1 - q): stop when that is below this share of the
 * smallest sum being taken. */
#define NCH_NEGLIGIBLE 1e-18

/* Terms are kept as products of ratios, times NCH_SCALE^scale once they
 * fall below 1 / NCH_SCALE of the mode's term: a far tail (the observed a
 * in the tail of the law while a root is bracketed) stays exact where
 * plain doubles would underflow, and no step needs a log or an exp. */
#define NCH_SCALE 1e280

/* P(x + 1) / P(x) at psi, for |log psi| small enough that the product of
 * a count ratio (at most about 1e32) and psi cannot overflow; otherwise
 * through logs. */
static double nch_ratio(const nch *h, double xx, double psi, double lp)
{
    if (fabs(lp) <= 600.0)
        return (h->n1 - xx) * (h->m1 - xx)
               / ((xx + 1.0) * (h->n0 - h->m1 + xx + 1.0)) * psi;
    return exp(nch_step(h, xx, lp));
}

/* Sum one side of the law outward from the mode (term 1, not counted
 * here). Terms are relative to the mode; those past x (on the far side
 * from the mode) are also summed relative to x's own term, so that a tail
 * far below the mode's term is still exact. */
typedef struct side_sums {
    double s, s1, s2;     /* sum t, t (x - mode), t (x - mode)^2 */
    double lt_x;          /* log term of x relative to the mode */
    double r, r1;         /* terms from x outward, relative to x's term */
} side_sums;

static void nch_side(const nch *h, double lp, double mode, int dir,
                     side_sums *w)
{
    double lim = dir > 0 ? h->hi : h->lo, xx = mode, psi = exp(lp);
    double t = 1.0, tx = 0.0, thr = NCH_NEGLIGIBLE;
    int has_x = dir > 0 ? h->x > mode : h->x < mode, scale = 0, scale_x = 0;

    memset(w, 0, sizeof *w);
    w->lt_x = NAN;
    while (xx != lim) {
        /* Ratio taking the term at xx to the one at xx + dir: at most 1,
         * since the walk goes away from the mode. */
        double q = dir > 0 ? nch_ratio(h, xx, psi, lp)
                           : 1.0 / nch_ratio(h, xx - 1.0, psi, lp);
        double off;
        int past;
        t *= q;
        xx += dir;
        if (t < 1.0 / NCH_SCALE && t > 0.0) {
            t *= NCH_SCALE;
            thr *= NCH_SCALE;   /* the same real threshold */
            scale++;
        }
        off = xx - mode;
        if (scale == 0) {     /* below 1e-280 of the mode it adds nothing */
            w->s += t;
            w->s1 += t * off;
            w->s2 += t * off * off;
        }
        past = !has_x || dir * (xx - h->x) >= 0.0;
        if (has_x && xx == h->x) {
            tx = t;
            scale_x = scale;
            w->lt_x = log(t) - scale * log(NCH_SCALE);
            if (NCH_NEGLIGIBLE * t < thr)
                thr = NCH_NEGLIGIBLE * t;
        }
        if (has_x && past && tx > 0.0 && scale - scale_x <= 1) {
            double u = t / tx * (scale > scale_x ? 1.0 / NCH_SCALE : 1.0);
            w->r += u;
            w->r1 += u * off;
        }
        if (t == 0.0)
            break;
        /* Past x (or with x not on this side), stop once the rest is
         * negligible against the mode's term and against x's term. */
        if (past && q < 1.0 && t * q / (1.0 - q) < thr)
            break;
    }
    if (has_x && !(tx > 0.0)) {
        /* x is so far out that its term is 0 in any double. */
        w->lt_x = -INFINITY;
        w->r = 1.0;
        w->r1 = h->x - mode;
    }
}

static void nch_evaluate(const nch *h, double lp, nch_eval *e)
{
    double mode = nch_mode(h, lp), s, s1, s2, m;
    side_sums up, dn;

    nch_side(h, lp, mode, 1, &up);
    nch_side(h, lp, mode, -1, &dn);
    s = 1.0 + up.s + dn.s;
    s1 = up.s1 + dn.s1;
    s2 = up.s2 + dn.s2;
    m = s1 / s;                       /* mean - mode */
    e->mean = mode + m;
    e->var = s2 / s - m * m;
    if (e->var < 0.0)
        e->var = 0.0;
    if (h->x == mode) {
        double le = 1.0 + dn.s, ge = 1.0 + up.s;
        e->log_le = log(le / s);
        e->mean_le = mode + dn.s1 / le;
        e->log_ge = log(ge / s);
        e->mean_ge = mode + up.s1 / ge;
    } else {
        /* The far tail exactly, relative to x's term; the near tail is
         * everything else plus x's term, at least P(mode) / 2 or so. */
        const side_sums *f = h->x > mode ? &up : &dn;
        double far_p = exp(f->lt_x) * f->r / s;
        double far_m = mode + f->r1 / f->r;
        double log_far = f->lt_x + log(f->r) - log(s);
        double px = exp(f->lt_x) / s;
        double near_p = 1.0 - far_p + px;
        double near_m = (e->mean - far_p * far_m + px * h->x) / near_p;
        if (h->x > mode) {
            e->log_ge = log_far;
            e->mean_ge = far_m;
            e->log_le = log(near_p);
            e->mean_le = near_m;
        } else {
            e->log_le = log_far;
            e->mean_le = far_m;
            e->log_ge = log(near_p);
            e->mean_ge = near_m;
        }
    }
}

enum { ROOT_MLE, ROOT_LOWER, ROOT_UPPER };

/* The function whose root is wanted, increasing in lp, with its
 * derivative: E[A] - x; log P(A >= x) - log alpha (derivative E[A|A>=x] -
 * E[A]); log alpha - log P(A <= x) (derivative E[A] - E[A|A<=x]). */
static double root_fn(const nch *h, int kind, double lalpha, double lp,
                      double *df)
{
    nch_eval e;

    nch_evaluate(h, lp, &e);
    switch (kind) {
    case ROOT_MLE:
        *df = e.var;
        return e.mean - h->x;
    case ROOT_LOWER:
        *df = e.mean_ge - e.mean;
        return e.log_ge - lalpha;
    default:
        *df = e.mean - e.mean_le;
        return lalpha - e.log_le;
    }
}

/* Bracket the root from lp0 by doubling steps from step, then Newton kept
 * inside the bracket by bisection. Returns the root in lp, or NaN. The
 * first step should be about the standard error of log psi: every
 * evaluation walks from the mode to x, and one standard error moves the
 * mode by about one standard deviation of A, whereas a step of 1 would
 * move it by Var(A), a billion steps for counts in the billions. */
static double nch_root(const nch *h, int kind, double lalpha, double lp0,
                       double step)
{
    double lo, hi, f, df, x;

    f = root_fn(h, kind, lalpha, lp0, &df);
    if (isnan(f))
        return NAN;
    if (f == 0.0)
        return lp0;
    /* Step away from lp0 in the direction of the root, doubling the step,
     * until the sign changes; the function is monotone. */
    lo = hi = lp0;
    for (;;) {
        double g;
        if (step > 1e4 || lo < -1e4 || hi > 1e4)
            return NAN;
        if (f < 0.0) {
            lo = hi;
            hi = lo + step;
        } else {
            hi = lo;
            lo = hi - step;
        }
        g = root_fn(h, kind, lalpha, f < 0.0 ? hi : lo, &df);
        if (isnan(g))
            return NAN;
        if ((f < 0.0) != (g < 0.0) || g == 0.0)
            break;
        step *= 2.0;
    }
    x = lo + (hi - lo) / 2.0;
    for (int it = 0; it < 300; it++) {
        double next;
        f = root_fn(h, kind, lalpha, x, &df);
        if (isnan(f))
            return NAN;
        if (f == 0.0)
            return x;
        if (f < 0.0)
            lo = x;
        else
            hi = x;
        next = df > 0.0 ? x - f / df : NAN;
        if (!(next > lo && next < hi))
            next = lo + (hi - lo) / 2.0;
        /* 1e-14 in lp is 1e-14 relative in the odds ratio: far below the
         * noise of the sums (about 1e-13) and the checks (1e-9). */
        if (fabs(next - x) <= 1e-14 * fmax(1.0, fabs(x)) || hi - lo <= 1e-14
            * fmax(1.0, fabs(x)))
            return next;
        x = next;
    }
    return x;
}

uint64_t cs_epi_exact_or(cs_ci *out, const cs_2x2 *t, double level)
{
    double z = z_of(level), lalpha, start, se, lp;
    uint64_t notes = 0;
    nch h;
    tab x;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if (t == NULL)
        return CS_NOTE_BAD_INPUT;
    x = tab_of(t);
    if (x.n1 == 0.0 || x.n0 == 0.0 || x.m1 == 0.0 || x.m0 == 0.0)
        return CS_NOTE_ZERO_MARGIN | (x.n == 0.0 ? CS_NOTE_EMPTY : 0);
    h.n1 = x.n1;
    h.n0 = x.n0;
    h.m1 = x.m1;
    h.lo = x.m1 > x.n0 ? x.m1 - x.n0 : 0.0;
    h.hi = x.n1 < x.m1 ? x.n1 : x.m1;
    h.x = x.a;
    /* Newton starts from the log of the sample odds ratio, or of the one
     * with 1/2 added to each cell when a cell is 0: only a start. */
    start = log(((x.a + 0.5) * (x.d + 0.5)) / ((x.b + 0.5) * (x.c + 0.5)));
    se = sqrt(1.0 / (x.a + 0.5) + 1.0 / (x.b + 0.5) + 1.0 / (x.c + 0.5)
              + 1.0 / (x.d + 0.5));
    if (h.x == h.lo) {
        out->est = out->lo = 0.0;
        notes |= CS_EPI_NOTE_EXACT_OR_ZERO;
    } else if (h.x == h.hi) {
        out->est = out->hi = INFINITY;
        notes |= CS_EPI_NOTE_EXACT_OR_INFINITE;
    } else {
        lp = nch_root(&h, ROOT_MLE, 0.0, start, se);
        out->est = exp(lp);
        if (isnan(lp))
            notes |= CS_NOTE_NUMERIC;
    }
    if (isnan(z))
        return notes | CS_NOTE_BAD_LEVEL;
    lalpha = log((1.0 - level) / 2.0);
    if (h.x != h.lo) {
        lp = nch_root(&h, ROOT_LOWER, lalpha, start, se);
        out->lo = exp(lp);
        if (isnan(lp))
            notes |= CS_NOTE_NUMERIC;
    }
    if (h.x != h.hi) {
        lp = nch_root(&h, ROOT_UPPER, lalpha, start, se);
        out->hi = exp(lp);
        if (isnan(lp))
            notes |= CS_NOTE_NUMERIC;
    }
    return notes;
}

/* ---- Person-time ---------------------------------------------------------- */

/* Notes for rates that need the given times. */
static uint64_t pt_check(const cs_pt2 *t, double per, int need1)
{
    if (t == NULL || !isfinite(t->t1) || !isfinite(t->t0) || t->t1 < 0.0
        || t->t0 < 0.0 || !isfinite(per) || per <= 0.0)
        return CS_NOTE_BAD_INPUT;
    if (t->t0 == 0.0 || (need1 && t->t1 == 0.0))
        return CS_NOTE_NO_TIME;
    return 0;
}

uint64_t cs_epi_rate_difference(cs_ci *out, const cs_pt2 *t, double per,
                                double level)
{
    double z = z_of(level), a, c, se;
    uint64_t notes;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if ((notes = pt_check(t, per, 1)) != 0)
        return notes;
    a = (double)t->a;
    c = (double)t->c;
    out->est = (a / t->t1 - c / t->t0) * per;
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    se = sqrt(a / t->t1 / t->t1 + c / t->t0 / t->t0) * per;
    if (se == 0.0)
        return CS_NOTE_ZERO_SE;
    out->lo = out->est - z * se;
    out->hi = out->est + z * se;
    return 0;
}

uint64_t cs_epi_af_rate(cs_ci *out, const cs_pt2 *t, double level)
{
    double a, c, k;
    uint64_t notes;
    cs_ci p;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if ((notes = pt_check(t, 1.0, 1)) != 0)
        return notes;
    if (t->c == 0)
        return CS_EPI_NOTE_IRR_UNDEFINED;
    if (t->a == 0)
        return CS_NOTE_AF_UNDEFINED;
    a = (double)t->a;
    c = (double)t->c;
    /* IRR = (a / t1) / (c / t0); AF = 1 - 1 / IRR. */
    out->est = 1.0 - (c / t->t0) / (a / t->t1);
    /* Given a + c events, a is binomial with p = IRR t1 / (IRR t1 + t0):
     * the exact limits of p give those of IRR = p / (1 - p) * t0 / t1,
     * and 1 / IRR = (1 - p) / p * t1 / t0. */
    notes = cs_stats_clopper_pearson(&p, t->a, t->a + t->c, level);
    k = t->t1 / t->t0;
    out->lo = 1.0 - (1.0 - p.lo) / p.lo * k;
    out->hi = 1.0 - (1.0 - p.hi) / p.hi * k;
    return notes;
}

uint64_t cs_epi_par_rate(cs_ci *out, const cs_pt2 *t, double per,
                         double level)
{
    double z = z_of(level), m1, tt, c, se;
    uint64_t notes;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if ((notes = pt_check(t, per, 0)) != 0)
        return notes;
    m1 = (double)t->a + (double)t->c;
    tt = t->t1 + t->t0;
    c = (double)t->c;
    out->est = (m1 / tt - c / t->t0) * per;
    if (isnan(z))
        return CS_NOTE_BAD_LEVEL;
    se = sqrt(m1 / tt / tt + c / t->t0 / t->t0) * per;
    if (se == 0.0)
        return CS_NOTE_ZERO_SE;
    out->lo = out->est - z * se;
    out->hi = out->est + z * se;
    return 0;
}

uint64_t cs_epi_paf_rate(cs_ci *out, const cs_pt2 *t, double level)
{
    uint64_t notes;
    cs_ci ip, i0;
    double l1, l2;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if ((notes = pt_check(t, 1.0, 0)) != 0)
        return notes;
    if (t->a + t->c == 0)
        return CS_NOTE_NO_CASES;
    notes = cs_stats_poisson_rate(&ip, t->a + t->c, t->t1 + t->t0, 1.0, level);
    notes |= cs_stats_poisson_rate(&i0, t->c, t->t0, 1.0, level);
    out->est = 1.0 - i0.est / ip.est;
    /* With a == 0 both rates' exact limits come from the count c alone,
     * scaled by their times: the two bounds equal the estimate. epiR
     * prints that zero-width interval; it says nothing. */
    if (t->a == 0)
        return notes | CS_EPI_NOTE_PAF_RATE_NO_EXPOSED_CASES;
    l1 = 1.0 - i0.lo / ip.lo;
    l2 = 1.0 - i0.hi / ip.hi;
    out->lo = fmin(l1, l2);
    out->hi = fmax(l1, l2);
    if (isnan(l1) || isnan(l2))
        out->lo = out->hi = NAN;
    return notes;
}

/* ---- Strata ----------------------------------------------------------------- */

uint64_t cs_epi_stratum_measures(cs_epi_stratum *out, const cs_2x2 *t,
                                 double level)
{
    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    out->notes = cs_stats_rr(&out->risk_ratio, t, level);
    out->notes |= cs_stats_or(&out->odds_ratio, t, level);
    out->notes |= cs_stats_rd(&out->risk_difference, t, level);
    return out->notes;
}

uint64_t cs_epi_mh_rd(cs_ci *out, const cs_2x2 *strata, size_t k, int var,
                      double level)
{
    double z = z_of(level), num = 0, w = 0, gr = 0, p = 0, q = 0, v;
    uint64_t notes = 0;
    size_t used = 0;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    ci_nan(out);
    if ((strata == NULL && k > 0)
        || (var != CS_EPI_RD_GREENLAND_ROBINS && var != CS_EPI_RD_SATO))
        return CS_NOTE_BAD_INPUT;
    for (size_t i = 0; i < k; i++) {
        tab x = tab_of(&strata[i]);
        double wi;
        /* Such a stratum has weight n1 n0 / n = 0 in every sum. */
        if (x.n1 == 0.0 || x.n0 == 0.0) {
            notes |= CS_EPI_NOTE_RD_STRATA_SKIPPED;
            continue;
        }
        used++;
        wi = x.n1 * x.n0 / x.n;
        num += (x.a * x.n0 - x.c * x.n1) / x.n;
        w += wi;
        gr += wi * wi * ((x.a / x.n1) * (x.b / x.n1) / x.n1
                         + (x.c / x.n0) * (x.d / x.n0) / x.n0);
        p += (x.n1 * x.n1 * x.c - x.n0 * x.n0 * x.a
              + 0.5 * x.n1 * x.n0 * (x.n0 - x.n1)) / (x.n * x.n);
        q += (x.a * (x.n0 - x.c) + x.c * (x.n1 - x.a)) / (2.0 * x.n);
    }
    if (used == 0)
        return notes | CS_EPI_NOTE_MH_RD_UNDEFINED;
    out->est = num / w;
    if (isnan(z))
        return notes | CS_NOTE_BAD_LEVEL;
    v = var == CS_EPI_RD_SATO ? (out->est * p + q) / (w * w) : gr / (w * w);
    if (v == 0.0)
        return notes | CS_NOTE_ZERO_SE;
    if (!(v > 0.0))
        return notes | CS_NOTE_NUMERIC;
    out->lo = out->est - z * sqrt(v);
    out->hi = out->est + z * sqrt(v);
    return notes;
}

uint64_t cs_epi_crude_to_adjusted(cs_epi_crude_adj *out,
                                  const cs_2x2 *strata, size_t k)
{
    cs_2x2 crude = {0, 0, 0, 0};
    uint64_t notes = 0;
    cs_ci rr, or_;
    cs_mh mh;

    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    out->risk_ratio = out->odds_ratio = NAN;
    if (strata == NULL && k > 0)
        return CS_NOTE_BAD_INPUT;
    for (size_t i = 0; i < k; i++) {
        crude.a += strata[i].a;
        crude.b += strata[i].b;
        crude.c += strata[i].c;
        crude.d += strata[i].d;
    }
    /* Only the estimates are used: their interval notes do not matter
     * here, and the level is any valid one. */
    cs_stats_rr(&rr, &crude, 0.95);
    cs_stats_or(&or_, &crude, 0.95);
    cs_stats_mh(&mh, strata, k, 0.95);
    if (rr.est > 0.0 && mh.risk_ratio.est > 0.0)
        out->risk_ratio = rr.est / mh.risk_ratio.est;
    else
        notes |= CS_EPI_NOTE_CRUDE_ADJ_UNDEFINED;
    if (or_.est > 0.0 && mh.odds_ratio.est > 0.0)
        out->odds_ratio = or_.est / mh.odds_ratio.est;
    else
        notes |= CS_EPI_NOTE_CRUDE_ADJ_UNDEFINED;
    return notes;
}

/* Woolf's statistic from per-stratum log ratios y and weights w (those
 * with use[i] == 0 left out): sum w (y - ybar)^2, ybar weighted. Two
 * passes, so the sum of squares has no cancellation. */
static uint64_t woolf(cs_test *out, size_t *used, const cs_2x2 *strata,
                      size_t k, int odds)
{
    double sw = 0, swy = 0, mean = 0, stat = 0;
    uint64_t notes = 0;
    size_t n = 0;

    if (used != NULL)
        *used = 0;
    if (out == NULL)
        return CS_NOTE_BAD_INPUT;
    out->stat = out->p = out->df = NAN;
    if (strata == NULL && k > 0)
        return CS_NOTE_BAD_INPUT;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < k; i++) {
            tab x = tab_of(&strata[i]);
            double y, v;
            if (odds) {
                if (x.a == 0 || x.b == 0 || x.c == 0 || x.d == 0) {
                    notes |= CS_EPI_NOTE_WOOLF_SKIPPED;
                    continue;
                }
                y = log((x.a / x.b) * (x.d / x.c));
                v = 1.0 / x.a + 1.0 / x.b + 1.0 / x.c + 1.0 / x.d;
            } else {
                v = x.a > 0 && x.c > 0
                    ? x.b / (x.a * x.n1) + x.d / (x.c * x.n0) : 0.0;
                if (!(v > 0.0)) {
                    notes |= CS_EPI_NOTE_WOOLF_SKIPPED;
                    continue;
                }
                y = log((x.a / x.n1) / (x.c / x.n0));
            }
            if (pass == 0) {
                n++;
                sw += 1.0 / v;
                swy += y / v;
            } else {
                stat += (y - mean) * (y - mean) / v;
            }
        }
        if (pass == 0) {
            if (used != NULL)
                *used = n;
            if (n < 2)
                return notes | CS_EPI_NOTE_WOOLF_TOO_FEW;
            mean = swy / sw;
        }
    }
    out->stat = stat;
    out->df = (double)(n - 1);
    out->p = chisq_q(stat, out->df);
    return notes;
}

uint64_t cs_epi_woolf_rr(cs_test *out, size_t *used, const cs_2x2 *strata,
                         size_t k)
{
    return woolf(out, used, strata, k, 0);
}

uint64_t cs_epi_woolf_or(cs_test *out, size_t *used, const cs_2x2 *strata,
                         size_t k)
{
    return woolf(out, used, strata, k, 1);
}

/* ---- JSON --------------------------------------------------------------- */

/* "key": {"estimate": e, "lower": l, "upper": u, then "}" or, with kind,
 * "kind": ...}; then sep. */
static int j_ci(cs_buf *b, const char *key, const cs_ci *c,
                const char *kind, const char *sep)
{
    cs_buf_printf(b, "\"%s\": {\"estimate\": ", key);

    cs_json_num(b, c->est);
    cs_buf_puts(b, ", \"lower\": ");
    cs_json_num(b, c->lo);
    cs_buf_puts(b, ", \"upper\": ");
    cs_json_num(b, c->hi);
    if (kind != NULL) {
        cs_buf_puts(b, ", \"kind\": ");
        *kind ? cs_json_str(b, kind) : cs_buf_puts(b, "null");
    }
    cs_buf_putc(b, '}');
    cs_buf_puts(b, sep);
    return cs_buf_error(b);
}

static int j_test(cs_buf *b, const char *key, const cs_test *t,
                  const char *sep)
{
    cs_buf_printf(b, "\"%s\": {\"statistic\": ", key);

    cs_json_num(b, t->stat);
    cs_buf_puts(b, ", \"df\": ");
    cs_json_num(b, t->df);
    cs_buf_puts(b, ", \"p\": ");
    cs_json_num(b, t->p);
    cs_buf_putc(b, '}');
    cs_buf_puts(b, sep);
    return cs_buf_error(b);
}

/* "epi_notes": [the text of every bit], then sep. */
static int j_notes(cs_buf *b, uint64_t notes, const char *sep)
{
    int first = 1;

    cs_buf_puts(b, "\"epi_notes\": [");

    for (unsigned bit = 0; bit < 64; bit++) {
        const char *t;
        if (!(notes & (UINT64_C(1) << bit)))
            continue;
        if ((t = cs_epi_note_text(UINT64_C(1) << bit)) == NULL)
            continue;
        if (!first)
            cs_buf_puts(b, ", ");
        cs_json_str(b, t);
        first = 0;
    }
    cs_buf_putc(b, ']');
    cs_buf_puts(b, sep);
    return cs_buf_error(b);
}

uint64_t cs_epi_factor_measures(cs_epi_factor *m, const cs_2x2 *t,
                                double t1, double t0, double level)
{
    cs_pt2 pt = { t->a, t->c, t1, t0 };
    uint64_t notes;

    notes = cs_stats_af_exposed(&m->af_exposed, t, level);
    notes |= cs_epi_paf(&m->paf, t, level);
    notes |= cs_epi_par(&m->par, t, level);
    notes |= cs_epi_nnt(&m->nnt, t, level);
    notes |= cs_epi_exact_or(&m->exact_or, t, level);
    notes |= cs_epi_rate_difference(&m->rate_difference, &pt, 1000.0, level);
    notes |= cs_epi_af_rate(&m->af_rate, &pt, level);
    notes |= cs_epi_par_rate(&m->par_rate, &pt, 1000.0, level);
    notes |= cs_epi_paf_rate(&m->paf_rate, &pt, level);
    return m->notes = notes;
}

int cs_epi_json_factor(cs_buf *b, const cs_epi_factor *m)
{
    const char *kind = cs_epi_nnt_kind_name(m->nnt.kind);
    cs_ci nnt = { m->nnt.est, m->nnt.lo, m->nnt.hi };

    j_ci(b, "af_exposed_interval", &m->af_exposed, NULL, ", ");
    j_ci(b, "paf_interval", &m->paf, NULL, ", ");
    j_ci(b, "attributable_risk_population", &m->par, NULL, ", ");
    j_ci(b, "nnt", &nnt, kind ? kind : "", ",\n   ");
    j_ci(b, "exact_odds_ratio", &m->exact_or, NULL, ", ");
    j_ci(b, "attributable_rate_per_1000h", &m->rate_difference,
         NULL, ", ");
    j_ci(b, "af_exposed_rate", &m->af_rate, NULL, ", ");
    j_ci(b, "attributable_rate_population_per_1000h",
         &m->par_rate, NULL, ", ");
    j_ci(b, "paf_rate", &m->paf_rate, NULL, ",\n   ");
    j_notes(b, m->notes, ", ");
    return cs_buf_error(b);
}

int cs_epi_json_stratum(cs_buf *b, const cs_epi_stratum *s)
{
    cs_buf_puts(b, ", ");

    j_ci(b, "risk_ratio", &s->risk_ratio, NULL, ", ");
    j_ci(b, "odds_ratio", &s->odds_ratio, NULL, ", ");
    j_ci(b, "risk_difference", &s->risk_difference, NULL,
         ", ");
    j_notes(b, s->notes, "");
    return cs_buf_error(b);
}

uint64_t cs_epi_stratified_measures(cs_epi_stratified *m,
                                    const cs_2x2 *strata, size_t k,
                                    double level)
{
    uint64_t notes;

    notes = cs_epi_mh_rd(&m->mh_rd, strata, k, CS_EPI_RD_GREENLAND_ROBINS,
                         level);
    notes |= cs_epi_mh_rd(&m->mh_rd_sato, strata, k, CS_EPI_RD_SATO, level);
    notes |= cs_epi_crude_to_adjusted(&m->crude_adj, strata, k);
    notes |= cs_epi_woolf_rr(&m->woolf_rr, &m->woolf_rr_used, strata, k);
    notes |= cs_epi_woolf_or(&m->woolf_or, &m->woolf_or_used, strata, k);
    return m->notes = notes;
}

int cs_epi_json_stratified(cs_buf *b, const cs_epi_stratified *m)
{
    j_ci(b, "mh_risk_difference", &m->mh_rd, NULL, ", ");
    j_ci(b, "mh_risk_difference_sato", &m->mh_rd_sato, NULL,
         ",\n   ");
    cs_buf_puts(b, "\"crude_to_adjusted\": {\"risk_ratio\": ");
    cs_json_num(b, m->crude_adj.risk_ratio);
    cs_buf_puts(b, ", \"odds_ratio\": ");
    cs_json_num(b, m->crude_adj.odds_ratio);
    cs_buf_puts(b, "}, \"woolf_homogeneity\": {");
    j_test(b, "risk_ratio", &m->woolf_rr, ", ");
    j_test(b, "odds_ratio", &m->woolf_or, "},\n   ");
    j_notes(b, m->notes, ", ");
    return cs_buf_error(b);
}

void cs_epi_nnt_format(char *d, size_t cap, const cs_nnt *n, int decimals)
{
    const char *k = n->kind == CS_EPI_NNT_HARM ? "NNTH" : "NNTB";
    const char *other = n->kind == CS_EPI_NNT_HARM ? "NNTB" : "NNTH";
    char e[32], l[32], h[32];

    if (n->kind == CS_EPI_NNT_NONE || !isfinite(n->est)) {
        snprintf(d, cap, "-");
        return;
    }
    cs_fmt_disp(e, sizeof e, n->est, decimals);
    if (isnan(n->lo) || isnan(n->hi)) {
        snprintf(d, cap, "%s %s", k, e);
        return;
    }
    cs_fmt_disp(l, sizeof l, n->lo, decimals);
    if (isinf(n->hi)) {
        snprintf(d, cap, "%s %s (%s to inf)", k, e, l);
    } else if (n->hi < 0) {
        cs_fmt_disp(h, sizeof h, -n->hi, decimals);
        snprintf(d, cap, "%s %s (%s to inf to %s %s)", k, e, l, other, h);
    } else {
        cs_fmt_disp(h, sizeof h, n->hi, decimals);
        snprintf(d, cap, "%s %s (%s, %s)", k, e, l, h);
    }
}

void cs_epi_refs_add(cs_epi_refs *e, uint64_t notes, char *d, size_t cap)
{
    size_t len = 0;

    d[0] = '\0';
    for (unsigned i = 0; i < 64; i++) {
        uint64_t m = UINT64_C(1) << i;
        int k;
        if (!(notes & m) || m == CS_NOTE_SMALL_EXPECTED || !cs_epi_note_text(m))
            continue;
        for (k = 0; k < e->n && e->bit[k] != m; k++)
            ;
        if (k == e->n)
            e->bit[e->n++] = m;
        if (len < cap)
            len += (size_t)snprintf(d + len, cap - len, "%se%d", len ? "," : "",
                                    k + 1);
    }
}
