#!/usr/bin/python3
"""Second method for tests/test_stats.c: recompute every value the C tests
compare "to 1e-9 relative" with scipy and statsmodels, and print them as C
literals (%.17g). Run with the system interpreter, which has scipy and
statsmodels:

    /usr/bin/python3 tests/stats_crosscheck.py

The printed names match the constants in test_stats.c; if a C constant and
the line printed here ever differ, one of the two implementations is wrong.
Where the library has no routine (Greenland-Robins MH risk ratio, Woolf
and Katz by hand), the formula is written out here independently of the C
code. The published values (the first method) are in
tests/data/stats_examples.md.
"""
import math
import warnings

import mpmath as mp
import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2
from statsmodels.stats.proportion import (confint_proportions_2indep,
                                          proportion_confint)

Z = stats.norm.ppf(0.975)


def show(name, *vals):
    print("%-28s %s" % (name, ", ".join("%.17g" % v for v in vals)))


print("z(0.95)", "%.17g" % Z)

# Newcombe (1998) Table I: Wilson score and Clopper-Pearson.
for k, n in [(81, 263), (15, 148), (0, 20), (1, 29)]:
    show("wilson %d/%d" % (k, n), *proportion_confint(k, n, method="wilson"))
    show("cp %d/%d" % (k, n), *proportion_confint(k, n, method="beta"))
# Large n, where GSL's inverse beta fails.
for k, n in [(5000, 10000), (5 * 10**9, 10**10)]:
    show("cp %d/%d" % (k, n), *proportion_confint(k, n, method="beta"))

# Exact references at 50 digits for small k and huge n, where double
# precision incomplete beta functions (scipy's too) lose digits: the
# Clopper-Pearson limits solve binomial tail sums, Wilson is a formula.
mp.mp.dps = 50


def bisect(f, lo, hi):
    for _ in range(250):
        mid = (lo + hi) / 2
        if f(mid) > 0:
            hi = mid
        else:
            lo = mid
    return lo


def cdf(k, n, p):
    return mp.fsum(mp.binomial(n, x) * p**x * (1 - p)**(n - x)
                   for x in range(k + 1))


def cp_exact(k, n):
    half = mp.mpf("0.025")
    hi = bisect(lambda p: half - cdf(k, n, p), mp.mpf(0), mp.mpf(1))
    lo = 0 if k == 0 else bisect(lambda p: (1 - cdf(k - 1, n, p)) - half,
                                 mp.mpf(0), mp.mpf(k) / n)
    return lo, hi


def wilson_exact(k, n):
    z = mp.sqrt(2) * mp.erfinv(mp.mpf("0.95"))
    k, n = mp.mpf(k), mp.mpf(n)
    c = (k + z * z / 2) / (n + z * z)
    h = z * mp.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return c - h, c + h


for k, n in [(1, 10**6), (10, 10**8), (0, 10**10), (1, 10**10),
             (5, 10**15)]:
    show("cp exact %d/%d" % (k, n), *[float(v) for v in cp_exact(k, n)])
for k, n in [(1, 10**10), (5 * 10**9, 10**10), (10**10 - 1, 10**10)]:
    show("wilson exact %d/%d" % (k, n),
         *[float(v) for v in wilson_exact(k, n)])


def garwood(k, t, per=1.0):
    lo = stats.chi2.ppf(0.025, 2 * k) / 2 if k else 0.0
    hi = stats.chi2.isf(0.025, 2 * k + 2) / 2
    return k / t * per, lo / t * per, hi / t * per


show("poisson 137/24.19893", *garwood(137, 24.19893))
show("poisson 0/250h per1000", *garwood(0, 250.0, 1000.0))
show("poisson 3/250h per1000", *garwood(3, 250.0, 1000.0))
show("poisson 50000/1e6h per1000", *garwood(50000, 1e6, 1000.0))


def table(a, b, c, d):
    return Table2x2(np.array([[a, b], [c, d]], dtype=float))


# Risk ratio (Katz) and odds ratio (Woolf) by statsmodels.
for name, t in [("ips 45,366,73,338", (45, 366, 73, 338)),
                ("willeberg 13,2163,5,3349", (13, 2163, 5, 3349)),
                ("aspirin 189,10845,104,10933", (189, 10845, 104, 10933))]:
    tb = table(*t)
    show("rr " + name, tb.riskratio, *tb.riskratio_confint(0.05))
    show("or " + name, tb.oddsratio, *tb.oddsratio_confint(0.05))
    a, b, c, d = t
    rd = confint_proportions_2indep(a, a + b, c, c + d, method="wald",
                                    compare="diff")
    show("rd " + name, a / (a + b) - c / (c + d), *rd)
    rr = tb.riskratio
    lo, hi = tb.riskratio_confint(0.05)
    show("afe " + name, 1 - 1 / rr, 1 - 1 / lo, 1 - 1 / hi)
    pt = (a + c) / (a + b + c + d)
    show("paf " + name, (pt - c / (c + d)) / pt)

# Pearson chi-square with and without Yates; Fisher.
for name, t in [("femsmoke 502,230,443,139", (502, 230, 443, 139)),
                ("willeberg 13,2163,5,3349", (13, 2163, 5, 3349)),
                ("tea 3,1,1,3", (3, 1, 1, 3))]:
    obs = np.array([[t[0], t[1]], [t[2], t[3]]])
    x2, p, _, _ = stats.chi2_contingency(obs, correction=False)
    show("chisq " + name, x2, p)
    x2, p, _, _ = stats.chi2_contingency(obs, correction=True)
    show("yates " + name, x2, p)
    show("fisher " + name, stats.fisher_exact(obs)[1])
# Yates never pushes |ad - bc| below 0.
obs = np.array([[2, 2], [2, 3]])
show("yates 2,2,2,3", *stats.chi2_contingency(obs, correction=True)[:2])
for t in [(10, 5, 3, 12), (0, 7, 9, 2), (120, 80, 95, 160),
          (2000, 1000, 1950, 1080), (1000000, 1002000, 999000, 1000500)]:
    show("fisher %d,%d,%d,%d" % t,
         stats.fisher_exact(np.array([[t[0], t[1]], [t[2], t[3]]]))[1])


def mh(tabs):
    # statsmodels divides by zero in Breslow-Day when a stratum has a zero
    # margin (the rabbits); that value is replaced below, so stay quiet.
    warnings.simplefilter("ignore", RuntimeWarning)
    st = StratifiedTable([np.array([[a, b], [c, d]], dtype=float)
                          for a, b, c, d in tabs])
    nc = st.test_null_odds(correction=False)
    bd = st.test_equal_odds(adjust=False)
    return st, nc, bd


def gr_rr(tabs):
    """Greenland-Robins MH risk ratio, written out."""
    num = den = var = 0.0
    for a, b, c, d in tabs:
        n1, n0, m1, n = a + b, c + d, a + c, a + b + c + d
        if n < 2:
            continue
        num += a * n0 / n
        den += c * n1 / n
        var += (m1 * n1 * n0 / n - a * c) / n
    rr = num / den
    se = math.sqrt(var / (num * den))
    return rr, rr * math.exp(-Z * se), rr * math.exp(Z * se)


strata = {
    "migraine": [(16, 11, 5, 20), (12, 16, 7, 19)],
    "rabbits": [(0, 0, 6, 5), (3, 0, 3, 6), (6, 2, 0, 4), (5, 6, 1, 0),
                (2, 5, 0, 0)],
    "sm2": [(20, 14, 10, 24), (15, 12, 3, 15), (3, 2, 3, 2), (12, 3, 7, 5),
            (1, 0, 3, 2)],
    "ucb": [(313, 512, 19, 89), (207, 353, 8, 17), (205, 120, 391, 202),
            (278, 139, 244, 131), (138, 53, 299, 94), (351, 22, 317, 24)],
    "elwood": [(41, 6, 13, 53), (66, 25, 37, 83), (23, 14, 37, 62)],
}
for name, tabs in strata.items():
    st, nc, bd = mh(tabs)
    show("mh or " + name, st.oddsratio_pooled,
         *st.oddsratio_pooled_confint(0.05))
    show("mh chisq " + name, nc.statistic, nc.pvalue)
    show("mh bd " + name, bd.statistic, bd.pvalue)
    show("mh rr " + name, *gr_rr(tabs))
    # Breslow-Day over the strata with four non-zero margins only (with
    # the others statsmodels divides by zero, as for the rabbits).
    full = [t for t in tabs
            if min(t[0] + t[1], t[2] + t[3], t[0] + t[2], t[1] + t[3]) > 0]
    if len(full) != len(tabs):
        _, _, bd = mh(full)
        show("mh bd %s (%d strata)" % (name, len(full)), bd.statistic,
             bd.pvalue)

# Counts above 2^32, exactly with fractions: Pearson chi-square and the
# Yates-corrected one that Fisher's p approaches at this size.
from fractions import Fraction
for t in [(5 * 10**9, 5 * 10**9, 4 * 10**9, 6 * 10**9),
          (5 * 10**9, 5000100000, 5 * 10**9, 4999900000)]:
    a, b, c, d = t
    n = a + b + c + d
    den = (a + b) * (c + d) * (a + c) * (b + d)
    x2 = Fraction(n * (a * d - b * c)**2, den)
    y2 = Fraction(n * max(0, abs(a * d - b * c) - Fraction(n, 2))**2, den)
    show("big chisq %d,%d,%d,%d" % t, float(x2), stats.chi2.sf(float(x2), 1))
    show("big yates %d,%d,%d,%d" % t, float(y2), stats.chi2.sf(float(y2), 1))


def logit(rows, n, y):
    X = np.array(rows, dtype=float)
    endog = np.column_stack([y, np.array(n) - np.array(y)])
    r = sm.GLM(endog, X, family=sm.families.Binomial()).fit(tol=1e-14)
    return r


# Bliss (1935) beetles, as in Dobson & Barnett, Table 7.2.
dose = [1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.8610, 1.8839]
r = logit([[1, x] for x in dose], [59, 60, 62, 56, 63, 59, 62, 60],
          [6, 13, 18, 28, 52, 53, 61, 60])
show("beetle beta", *r.params)
show("beetle se", *r.bse)
show("beetle p", *r.pvalues)
show("beetle deviance", r.deviance)
show("beetle or dose", math.exp(r.params[1]),
     *np.exp(r.conf_int(0.05)[1]))

# Two binary factors, four patterns.
r = logit([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1]], [120, 80, 95, 60],
          [10, 15, 18, 25])
show("two beta", *r.params)
show("two se", *r.bse)
show("two p", *r.pvalues)
show("two deviance", r.deviance)
show("two or x1", math.exp(r.params[1]), *np.exp(r.conf_int(0.05)[1]))
# The same with a constant covariate: R's glm gives NA for it and the same
# fit for the rest, which is what the test expects.
