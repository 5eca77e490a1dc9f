#!/usr/bin/python3
"""Every exact limit of src/stats.c against scipy, on many (k, n) pairs.

    /usr/bin/python3 tests/exact_limits_check.py BUILD/tests/exact_limits [PAIRS] [SEED]

The C side (tests/exact_limits.c) computes, at the 95% level, for each pair:
the Clopper-Pearson limits of k of n, the exact Poisson (Garwood) limits of
k events, and the exact rate ratio of a = k events in t1 hours over
c = n - k events in t0 hours (both ends of each). The second method is
scipy's beta and gamma quantiles (boost's ibeta_inv / gamma_p_inv):

    CP lo   = beta.ppf(0.025, k, n - k + 1)          (0 when k == 0)
    CP hi   = beta.isf(0.025, k + 1, n - k)          (1 when k == n)
    Pois lo = gamma.ppf(0.025, k)                    (0 when k == 0)
    Pois hi = gamma.isf(0.025, k + 1)
    RR lo   = pL / (1 - pL) * t0 / t1,  pL = beta.ppf(0.025, a, c + 1),
              1 - pL = beta.isf(0.025, c + 1, a)     (0 when a == 0)
    RR hi   = pU / (1 - pU) * t0 / t1,  pU = beta.isf(0.025, a + 1, c),
              1 - pU = beta.ppf(0.025, c, a + 1)     (inf when c == 0)

Every limit must carry no note, never be NaN, and equal scipy's to 1e-10
relative (zeros, ones and infinities exactly).

scipy is not that good everywhere: with a few cases (or non-cases) among
10^7 or more, its beta quantiles near 0 are off by up to about 1e-8
relative (at k = 1, n = 10^9 beta.isf gives 5.57164342912e-09 where the
binomial sum says 5.57164337820e-09). A limit that differs from scipy's by
more than 1e-10 where min(k, n - k) <= 1000 is therefore settled by a
third method: the binomial tail sum in 60-digit decimal arithmetic,
solved by Newton's method from the C value. It then has to equal that to
1e-12 relative; the count of such limits and scipy's worst error there are
printed. Elsewhere a difference from scipy fails. The pairs: PAIRS in all
(default 1,000,000), seeded (default 20261204), of which a fifth are the
edges k = 0, 1, n - 1, n for n log-uniform up to 10^9 (and n = 1 .. 5,
10^3, 10^6, 10^9 - 1, 10^9), the rest random: k <= 30,000 with n up to
10^7, k uniform in [0, n], k log-uniform near 0 or near n, and k near a
random fraction of n, with n log-uniform up to 10^9; plus the two counts
7075/96857 and 12176/145353 whose lower limit used to go missing.

Exit 0 when every limit agrees, 1 when one does not (the worst ones are
printed), 77 (skip, for ctest) when /usr/bin/python3 has no scipy.
"""
import decimal
import subprocess
import sys
import time
from decimal import Decimal

try:
    import numpy as np
    from scipy import stats
except ImportError as e:
    print("exact_limits_check: SKIPPED: this python3 cannot import numpy "
          "and scipy (%s); install python3-scipy" % e)
    sys.exit(77)

REL = 1e-10
TAIL = 0.025
NMAX = 10**9


def loguniform_int(rng, lo, hi, size):
    """Integers in [lo, hi], log-uniform (lo >= 1)."""
    x = np.exp(rng.uniform(np.log(lo), np.log(hi + 1.0), size))
    return np.clip(np.floor(x).astype(np.int64), lo, hi)


def make_pairs(total, seed):
    rng = np.random.default_rng(seed)
    ks, ns = [], []

    # Edges: k = 0, 1, n - 1, n.
    fixed = np.array([1, 2, 3, 4, 5, 1000, 10**6, NMAX - 1, NMAX], np.int64)
    m = max(total // 20 - fixed.size, 0)
    n = np.concatenate([fixed, loguniform_int(rng, 1, NMAX, m)])
    for k in (np.zeros_like(n), np.minimum(1, n), np.maximum(n - 1, 0), n):
        ks.append(k)
        ns.append(n)
    ks.append(np.array([7075, 12176], np.int64))
    ns.append(np.array([96857, 145353], np.int64))

    rest = max(total - sum(k.size for k in ks), 0)
    q = rest // 4
    sizes = [q, q, q, rest - 3 * q]
    # k <= 30,000, n up to 10^7.
    k = rng.integers(0, 30001, sizes[0])
    ks.append(k)
    ns.append(np.maximum(k + loguniform_int(rng, 1, 10**7, sizes[0]) - 1, 1))
    # k uniform in [0, n].
    n = loguniform_int(rng, 1, NMAX, sizes[1])
    ks.append(np.floor(rng.uniform(0, 1, sizes[1]) * (n + 1)).astype(np.int64)
              .clip(0, n))
    ns.append(n)
    # k log-uniform next to 0, or next to n.
    n = loguniform_int(rng, 1, NMAX, sizes[2])
    k = np.minimum(loguniform_int(rng, 1, 10**6, sizes[2]) - 1, n)
    flip = rng.uniform(0, 1, sizes[2]) < 0.5
    ks.append(np.where(flip, n - k, k))
    ns.append(n)
    # k near a fraction of n, the fraction log-uniform in [1e-6, 1].
    n = loguniform_int(rng, 1, NMAX, sizes[3])
    p = np.exp(rng.uniform(np.log(1e-6), 0.0, sizes[3]))
    ks.append(np.rint(p * n).astype(np.int64).clip(0, n))
    ns.append(n)

    k = np.concatenate(ks)
    n = np.concatenate(ns)
    size = k.size
    t1 = np.exp(rng.uniform(np.log(1e-2), np.log(1e6), size))
    t0 = np.exp(rng.uniform(np.log(1e-2), np.log(1e6), size))
    # Times as printed, so both sides use the very same doubles.
    t1 = np.array([float("%.17g" % v) for v in t1])
    t0 = np.array([float("%.17g" % v) for v in t0])
    edges = 4 * (fixed.size + m) + 2
    return k, n, t1, t0, edges


def expected(k, n, t1, t0):
    kf, nf = k.astype(float), n.astype(float)
    a, c = kf, nf - kf
    safe = lambda x: np.where(x > 0, x, 1.0)  # placeholder where unused
    with np.errstate(divide="ignore", invalid="ignore"):
        cp_lo = np.where(k > 0, stats.beta.ppf(TAIL, safe(kf), nf - kf + 1), 0.0)
        cp_hi = np.where(k < n, stats.beta.isf(TAIL, kf + 1, safe(nf - kf)), 1.0)
        po_lo = np.where(k > 0, stats.gamma.ppf(TAIL, safe(kf)), 0.0)
        po_hi = stats.gamma.isf(TAIL, kf + 1)
        scale = t0 / t1
        pl = stats.beta.ppf(TAIL, safe(a), c + 1)
        pl_c = stats.beta.isf(TAIL, c + 1, safe(a))
        rr_lo = np.where(a > 0, pl / pl_c * scale, 0.0)
        pu = stats.beta.isf(TAIL, a + 1, safe(c))
        pu_c = stats.beta.ppf(TAIL, safe(c), a + 1)
        rr_hi = np.where(c > 0, pu / pu_c * scale, np.inf)
        rr_est = np.where(c > 0, (a / t1) / (safe(c) / t0), np.inf)
    return {"cp_lo": cp_lo, "cp_hi": cp_hi, "pois_lo": po_lo,
            "pois_hi": po_hi, "rr_est": rr_est, "rr_lo": rr_lo,
            "rr_hi": rr_hi}


REF_REL = 1e-12
REF_MAXK = 1000


def cdf_le(j, n, p):
    """P(X <= j) for X binomial(n, p), and its last term, in Decimal."""
    q = 1 - p
    term = q ** n
    total = term
    r = p / q
    for x in range(j):
        term = term * (n - x) / (x + 1) * r
        total += term
    return total, term


def solve_le(j, n, target, p):
    """The p with P(X <= j | n, p) = target, by Newton from p."""
    for _ in range(50):
        f, term = cdf_le(j, n, p)
        df = -(n - j) * term / (1 - p)
        step = (f - target) / df
        p -= step
        if abs(step) <= p * Decimal("1e-30"):
            return p
    raise RuntimeError("no convergence at j=%d n=%d" % (j, n))


def cp_reference(k, n, lo0, hi0):
    """Clopper-Pearson limits of k of n, and 1 minus each, at 50 digits;
    lo0 and hi0 start Newton (both need 0 < limit < 1)."""
    tail = Decimal(TAIL)
    if 2 * k > n:
        lo, hi, lo_c, hi_c = cp_reference(n - k, n, 1 - hi0, 1 - lo0)
        return 1 - hi, 1 - lo, hi, lo
    lo = Decimal(0) if k == 0 else solve_le(k - 1, n, 1 - tail, Decimal(lo0))
    hi = solve_le(k, n, tail, Decimal(hi0))
    return lo, hi, 1 - lo, 1 - hi


def adjudicate(name, i, k, n, t1, t0, got):
    """Relative error of C's value against the 60-digit binomial sum."""
    lo0 = got[i, 1] if 0 < got[i, 1] < 1 else 0.5 / n
    hi0 = got[i, 2] if 0 < got[i, 2] < 1 else 1 - 0.5 / n
    lo, hi, lo_c, hi_c = cp_reference(int(k[i]), int(n[i]), lo0, hi0)
    scale = Decimal(float(t0[i])) / Decimal(float(t1[i]))
    ref = {"cp_lo": lo, "cp_hi": hi,
           "rr_lo": lo / lo_c * scale if lo > 0 else Decimal(0),
           "rr_hi": hi / hi_c * scale}[name]
    g = Decimal(float(got[i, {"cp_lo": 1, "cp_hi": 2, "rr_lo": 8,
                               "rr_hi": 9}[name]]))
    if ref == 0:
        return 0.0 if g == 0 else float("inf")
    return float(abs(g - ref) / ref)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    prog = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261204

    t_start = time.monotonic()
    worst_after = 0.0
    k, n, t1, t0, edges = make_pairs(total, seed)
    text = "".join("%d %d %.17g %.17g\n" % row
                   for row in zip(k.tolist(), n.tolist(), t1.tolist(),
                                  t0.tolist()))
    start = time.monotonic()
    run = subprocess.run([prog], input=text.encode(), stdout=subprocess.PIPE,
                         check=False)
    c_time = time.monotonic() - start
    if run.returncode != 0:
        print("exact_limits_check: FAILED: %s exited %d"
              % (prog, run.returncode))
        return 1
    got = np.loadtxt(run.stdout.decode().splitlines(), dtype=float, ndmin=2)
    if got.shape != (k.size, 10):
        print("exact_limits_check: FAILED: %d rows of %d columns for %d pairs"
              % (got.shape[0], got.shape[1], k.size))
        return 1

    start = time.monotonic()
    want = expected(k, n, t1, t0)
    py_time = time.monotonic() - start

    cols = {"cp_lo": 1, "cp_hi": 2, "pois_lo": 4, "pois_hi": 5,
            "rr_est": 7, "rr_lo": 8, "rr_hi": 9}
    notes = {"cp": 0, "pois": 3, "rr": 6}
    bad = 0
    for name, col in notes.items():
        idx = np.nonzero(got[:, col] != 0)[0]
        for i in idx[:5]:
            print("  %s notes %d at k=%d n=%d" % (name, got[i, col], k[i], n[i]))
        bad += idx.size
    worst_all = 0.0
    compared = 0
    adjudicated = [0]
    worst_settled = [0.0]
    decimal.getcontext().prec = 60
    for name, col in cols.items():
        g, w = got[:, col], want[name]
        if np.isnan(w).any():
            i = np.nonzero(np.isnan(w))[0][0]
            print("exact_limits_check: FAILED: scipy gave NaN for %s at k=%d "
                  "n=%d" % (name, k[i], n[i]))
            return 1
        exact = (w == 0) | np.isinf(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(exact, np.where(g == w, 0.0, np.inf),
                           np.abs(g - w) / np.abs(w))
        rel = np.where(np.isnan(g), np.inf, rel)
        order = np.argsort(-rel)
        worst = rel[order[0]]
        i = order[0]
        print("%-8s max rel error %.3g at k=%d n=%d (C %.17g, scipy %.17g)"
              % (name, worst, k[i], n[i], g[i], w[i]))
        fails = np.nonzero(rel > REL)[0]
        if name in ("cp_lo", "cp_hi", "rr_lo", "rr_hi"):
            # Settle, with the third method, every value of the region
            # where scipy is weak that is off scipy by more than REF_REL.
            off = np.nonzero(rel > REF_REL)[0]
            m = np.minimum(k[off], n[off] - k[off])
            near = off[m <= REF_MAXK]
            worst_ref = 0.0
            settled = np.zeros(rel.size, bool)
            for j in near:
                err = adjudicate(name, j, k, n, t1, t0, got)
                worst_ref = max(worst_ref, err)
                if err <= REF_REL:
                    settled[j] = True
                else:
                    print("  FAIL %s k=%d n=%d: C %.17g off the 60-digit "
                          "binomial sum by %.3g" % (name, k[j], n[j],
                                                    got[j, col], err))
            if near.size:
                print("  %s: %d values off scipy by more than %g (scipy up to "
                      "%.3g) equal the 60-digit binomial sum to %.3g"
                      % (name, settled.sum(), REF_REL, rel[near].max(),
                         worst_ref))
            rel = np.where(settled, 0.0, rel)
            order = np.argsort(-rel)
            fails = np.nonzero(rel > REL)[0]
            adjudicated[0] += int(settled.sum())
            worst_settled[0] = max(worst_settled[0], worst_ref)
        for j in order[:min(5, fails.size)]:
            print("  FAIL %s k=%d n=%d t1=%.17g t0=%.17g: C %.17g scipy %.17g "
                  "rel %.3g" % (name, k[j], n[j], t1[j], t0[j], g[j], w[j],
                                rel[j]))
        bad += fails.size
        compared += g.size
        if name != "rr_est":
            worst_all = max(worst_all, worst)
            worst_after = max(worst_after, rel.max())
    print("exact_limits_check: %d pairs (%d edge pairs), %d values compared; "
          "max rel error against scipy %.3g; %d limits where scipy is off by "
          "more than %g equal the 60-digit binomial sum to %.3g; every other "
          "limit within %.3g of scipy; C %.1f s, scipy %.1f s, total %.1f s"
          % (k.size, edges, compared, worst_all, adjudicated[0], REF_REL,
             worst_settled[0], worst_after, c_time, py_time,
             time.monotonic() - t_start))
    if bad:
        print("exact_limits_check: FAILED: %d values off or with notes" % bad)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
