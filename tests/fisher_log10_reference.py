#!/usr/bin/env python3
"""Second method for the Fisher log10 p values in tests/test_stats.c
(test_fisher_log10): the two-sided p of Fisher's exact test for tables
whose p is far below 1e-300, where a double underflows.

    python3 tests/fisher_log10_reference.py

Tables of a few thousand sessions: exact rational arithmetic. The
probability of a = x is C(n1, x) C(n0, m1 - x) / C(n, m1) as Python
integers; p sums those no more likely than the observed table within a
relative 1e-7 (R's fisher.test rule), compared exactly as integers; log10
from 60-digit decimals.

Tables of 10^10 sessions (needs mpmath): ln P(x) from 40-digit log-gamma
functions, the tail beyond the observed table and, on the other side,
from the first table no more likely, summed term by term until the terms
fall below 1e-25 of the sum.
"""
import decimal
from math import comb

decimal.getcontext().prec = 60
D = decimal.Decimal


def exact_log10(a, b, c, d):
    n1, n0, m1 = a + b, c + d, a + c
    lo, hi = max(0, m1 - n0), min(n1, m1)
    num = {x: comb(n1, x) * comb(n0, m1 - x) for x in range(lo, hi + 1)}
    obs = num[a]
    tot = sum(v for v in num.values() if v * 10**7 <= obs * (10**7 + 1))
    return (D(tot).ln() - D(comb(n1 + n0, m1)).ln()) / D(10).ln()


def mp_log10(a, b, c, d):
    import mpmath as mp
    mp.mp.dps = 40
    n1, n0, m1 = a + b, c + d, a + c
    n = n1 + n0
    lo, hi = max(0, m1 - n0), min(n1, m1)
    lg = mp.loggamma

    def lnp(x):
        return (lg(n1 + 1) - lg(x + 1) - lg(n1 - x + 1) + lg(n0 + 1)
                - lg(m1 - x + 1) - lg(n0 - m1 + x + 1) - lg(n + 1)
                + lg(m1 + 1) + lg(n - m1 + 1))

    def tail(x, end, step, ref):
        s = mp.mpf(0)
        while True:
            t = mp.exp(lnp(x) - ref)
            s += t
            if x == end or t < s * mp.mpf("1e-25"):
                return s
            x += step

    mode = int(mp.floor((n1 + 1) * mp.mpf(m1 + 1) / (n + 2)))
    ref = lnp(a)
    step = 1 if a > mode else -1
    rel = tail(a, hi if step > 0 else lo, step, ref)
    end = lo if step > 0 else hi
    thr = ref + mp.log1p(mp.mpf("1e-7"))
    if lnp(end) <= thr:
        inner, outer = mode, end
        while abs(outer - inner) > 1:
            mid = (inner + outer) // 2
            if lnp(mid) <= thr:
                outer = mid
            else:
                inner = mid
        rel += tail(outer, end, -step, ref)
    return (ref + mp.log(rel)) / mp.log(10)


for t in [(1000, 0, 0, 1000), (900, 100, 50, 950), (0, 800, 700, 10),
          (400, 100, 100, 400)]:
    print("exact  %-28s log10 p = %s" % (t, format(exact_log10(*t), ".17g")))
for t in [(5000000000, 5000000000, 4000000000, 6000000000),
          (7000000000, 3000000000, 3000000000, 7000000000)]:
    print("mpmath %-28s log10 p = %s" % (t, mp_log10(*t)))
