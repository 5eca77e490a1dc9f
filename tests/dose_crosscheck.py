#!/usr/bin/python3
"""Recompute every dose-response and incidence-over-time number of a
crampstat JSON report from tag's output, independently of crampstat.

usage: dose_crosscheck.py TAGGED.csv MONTH.json WEEK.json

The bands are the documented defaults (docs/rules.md), written out here
again. Risk: Wilson by its formula; rate: exact Poisson from scipy's
chi-square quantiles; risk ratio: Katz; trend: R's prop.trend.test as R
computes it (the weighted least-squares regression of the proportions on
the scores, its regression sum of squares); robust trend: statsmodels'
GLM Binomial with cluster covariance by participant. Prints one line per
difference and "N checked, M differ"; exit status 1 when any differ, 77
when scipy or statsmodels is missing.
"""
import csv
import datetime
import json
import math
import sys
from decimal import Decimal, ROUND_HALF_UP

try:
    import numpy as np
    import statsmodels.api as sm
    from scipy.stats import chi2, norm
except ImportError as e:  # pragma: no cover
    print("SKIP: needs scipy and statsmodels:", e)
    sys.exit(77)

BANDS = {
    "intensity_rpe": [1, 4, 7, 9],
    "heat_index_c": [-math.inf, 27, 32, 39, 51],
    "fluid_ml_per_h": [0, 200, 400, 600, 800],
    "warmup_min": [0, 5, 10, 15],
    "duration_min": [0, 30, 60, 90, 120],
    "calcium_mg": [0, 500, 700, 1000],
    "potassium_mg": [0, 1500, 2000, 3000],
}
MAIN = ["fatigue", "tightness", "heat", "dehydration", "electrolyte", "medical"]
LEVEL = 0.95
Z = norm.ppf(0.975)

checked = 0
differ = 0


def close(got, want, what, rel=1e-9, absol=1e-12):
    global checked, differ
    checked += 1
    if want is None or (isinstance(want, float) and math.isnan(want)):
        ok = got is None
    else:
        ok = got is not None and abs(got - want) <= max(rel * abs(want), absol)
    if not ok:
        differ += 1
        print("differ:", what, "crampstat", got, "expected", want)


def mmin(text):
    """Duration in milli-minutes as crampstat keeps it: rounded half up
    to 3 decimals, at least 1 for a positive value."""
    d = Decimal(text.strip())
    m = int((d * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 1 if m == 0 and d > 0 else m


def band(cuts, v):
    if v is None:
        return "missing"
    if v < cuts[0]:
        return "below"
    b = 0
    for i, c in enumerate(cuts):
        if v >= c:
            b = i
    return b


def num(s):
    s = s.strip()
    return None if s == "" or s.upper() in ("NA", "N/A") else float(s)


def wilson(k, n):
    if n == 0:
        return (None, None, None)
    p = k / n
    c = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (p, 0.0 if k == 0 else c - h, 1.0 if k == n else c + h)


def poisson(k, hours):
    if hours == 0:
        return (None, None, None)
    lo = 0.0 if k == 0 else chi2.ppf(0.025, 2 * k) / 2 / hours * 1000
    hi = chi2.ppf(0.975, 2 * k + 2) / 2 / hours * 1000
    return (k / hours * 1000, lo, hi)


def katz(a, n1, c, n0):
    if n1 == 0 or n0 == 0 or c == 0:
        return (None, None, None)
    rr = (a / n1) / (c / n0)
    if a == 0:
        return (0.0, None, None)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return (rr, math.exp(math.log(rr) - Z * se), math.exp(math.log(rr) + Z * se))


def prop_trend(x, n):
    """R's prop.trend.test: anova(lm(freq ~ score, weights = n/p/(1-p)))."""
    keep = [i for i in range(len(n)) if n[i] > 0]
    xs = np.array([x[i] for i in keep], float)
    ns = np.array([n[i] for i in keep], float)
    sc = np.array([i + 1 for i in keep], float)
    p = xs.sum() / ns.sum()
    w = ns / p / (1 - p)
    f = xs / ns
    sbar = (w * sc).sum() / w.sum()
    fbar = (w * f).sum() / w.sum()
    b = (w * (sc - sbar) * (f - fbar)).sum() / (w * (sc - sbar) ** 2).sum()
    ss = b * b * (w * (sc - sbar) ** 2).sum()
    return ss, chi2.sf(ss, 1)


def cmp_ci(got, want, what):
    close(got["estimate"], want[0], what + " estimate")
    close(got["lower"], want[1], what + " lower")
    close(got["upper"], want[2], what + " upper")


def main():
    tagged, month_json, week_json = sys.argv[1:4]
    rows = []
    with open(tagged, newline="") as f:
        for r in csv.DictReader(f):
            if r["outcome"].strip() == "":
                continue
            rows.append(r)
    month = json.load(open(month_json))
    week = json.load(open(week_json))

    # ---- dose-response ----
    got = {d["exposure"]: d for d in month["dose_response"]}
    for ex, cuts in BANDS.items():
        d = got[ex]
        k = len(cuts)
        n = [0] * k
        y = [0] * k
        m = [0] * k
        miss = below = 0
        sx, sy, sg = [], [], []
        for r in rows:
            mm = mmin(r["duration_min"])
            v = mm / 1000 if ex == "duration_min" else num(r[ex])
            b = band(cuts, v)
            if b == "missing":
                miss += 1
                continue
            if b == "below":
                below += 1
                continue
            out = int(r["outcome"])
            n[b] += 1
            y[b] += out
            m[b] += mm
            sx.append(b + 1)
            sy.append(out)
            sg.append(r["participant_id"])
        close(d["missing"], miss, ex + " missing", 0, 0)
        close(d["below_first_band"], below, ex + " below", 0, 0)
        ref = d["reference"] - 1
        for b in range(k):
            gb = d["bands"][b]
            w = ex + " band " + str(b + 1)
            lower = None if math.isinf(cuts[b]) else cuts[b]
            close(gb["lower"], lower, w + " lower bound", 0, 0)
            close(gb["sessions"], n[b], w + " sessions", 0, 0)
            close(gb["cases"], y[b], w + " cases", 0, 0)
            close(gb["hours"], m[b] / 60000, w + " hours")
            cmp_ci(gb["risk"], wilson(y[b], n[b]), w + " risk")
            cmp_ci(gb["rate_per_1000h"], poisson(y[b], m[b] / 60000), w + " rate")
            if b != ref:
                cmp_ci(gb["risk_ratio"], katz(y[b], n[b], y[ref], n[ref]), w + " RR")
        c2, p = prop_trend(y, n)
        close(d["trend"]["chi2"], c2, ex + " trend chi2")
        close(d["trend"]["p"], p, ex + " trend p", 1e-8, 1e-300)
        # robust trend
        X = sm.add_constant(np.array(sx, float))
        g = np.unique(np.array(sg), return_inverse=True)[1]
        fit = sm.GLM(np.array(sy, float), X, family=sm.families.Binomial()).fit(
            cov_type="cluster", cov_kwds={"groups": g})
        ci = np.exp(fit.conf_int()[1])
        tr = d["trend_robust"]
        close(tr["odds_ratio_per_band"], math.exp(fit.params[1]), ex + " robust OR", 1e-7)
        close(tr["lower"], ci[0], ex + " robust lower", 1e-7)
        close(tr["upper"], ci[1], ex + " robust upper", 1e-7)
        close(tr["p"], fit.pvalues[1], ex + " robust p", 1e-5, 1e-300)
        close(tr["participants"], len(set(sg)), ex + " robust participants", 0, 0)

    # ---- over time ----
    for rep, kind in ((month, "month"), (week, "week")):
        ot = rep["over_time"]
        close(1 if ot["period"] == kind else 0, 1, kind + " period name", 0, 0)
        per = {}
        undated = 0
        for r in rows:
            t = r["start_time"].strip()
            if not t:
                undated += 1
                continue
            day = datetime.date.fromisoformat(t[:10])
            start = (day.replace(day=1) if kind == "month"
                     else day - datetime.timedelta(days=day.weekday()))
            s = per.setdefault(start, {"n": 0, "y": 0, "m": 0,
                                       "e": [0] * 6, "k": [0] * 6})
            s["n"] += 1
            s["y"] += int(r["outcome"])
            s["m"] += mmin(r["duration_min"])
            for i, f in enumerate(MAIN):
                if r[f].strip() != "":
                    s["k"][i] += 1
                    s["e"][i] += int(r[f])
        close(ot["undated"], undated, kind + " undated", 0, 0)
        close(len(ot["rows"]), len(per), kind + " number of rows", 0, 0)
        for row, start in zip(ot["rows"], sorted(per)):
            s = per[start]
            w = kind + " " + start.isoformat()
            close(1 if row["start"] == start.isoformat() else 0, 1, w + " start", 0, 0)
            close(row["sessions"], s["n"], w + " sessions", 0, 0)
            close(row["cases"], s["y"], w + " cases", 0, 0)
            close(row["hours"], s["m"] / 60000, w + " hours")
            cmp_ci(row["rate_per_1000h"], poisson(s["y"], s["m"] / 60000), w + " rate")
            for i, f in enumerate(MAIN):
                want = s["e"][i] / s["k"][i] if s["k"][i] else None
                close(row["exposed_share"][f], want, w + " " + f + " share")
    print("%d checked, %d differ" % (checked, differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
