#!/usr/bin/python3
"""Independent reference for crampstat's cluster-robust statistics (tests only).

Sessions nest within participants: an interval that treats 25 sessions of
one person as 25 people is too narrow.  This script computes, from the raw
exercise and survey files and without any of crampstat's statistics, the
numbers that crampstat's `analyze --format json` reports for that under
"aggregate" (clusters, factors[i].participants / rate_ratio /
cluster_robust, logistic.cluster_robust, poisson), so that the two can be
compared key by key.

Reading, validation, the join rule, the derived values and the cause-factor
tagging are those of tests/crosscheck.py (imported: a second implementation
of DATA.md in Python, itself independent of crampstat).  The statistics are
statsmodels GLMs with cluster-robust (sandwich) covariances.

Definitions (level 0.95, z the exact normal quantile):
  sessions      a factor's statistics use the sessions where that factor and
                the outcome (hamstring cramp) are known; the models use the
                sessions where the six main factors and the outcome are known.
  hours         duration_min / 60, as written in the data.
  clusters      by participant_id.  clusters.participants: the distinct
                participant_ids among the sessions that were accepted
                (valid rows, first of a duplicated session_id) and joined to
                a survey wave, whether or not their outcome is known.
  participants  per factor: distinct participants among the exposed and
                among the unexposed sessions.
  rate_ratio    exposed cases per hour over unexposed cases per hour with
                the exact conditional interval, as R's
                poisson.test(c(a, c), c(T1, T0)): Clopper-Pearson on
                a / (a + c), transformed by RR = p / (1 - p) * T0 / T1.
                a = 0 gives 0 [0, upper]; c = 0 gives null [lower, null]
                (R's Inf); a + c = 0 or no hours in a group: all null.
  cluster_robust
    risk_ratio       GLM Poisson, log link, y ~ 1 + x (exp of the slope).
    odds_ratio       GLM Binomial, logit link, y ~ 1 + x.
    risk_difference  GLM Gaussian, identity link, y ~ 1 + x.  With one
                     binary covariate the model is saturated and each
                     exposure group has one fitted risk, so the Binomial
                     identity-link score equations, sum x_i (y_i - mu_i) /
                     (mu_i (1 - mu_i)) = 0, reduce to the least-squares ones
                     sum x_i (y_i - mu_i) = 0: the same estimate, and in
                     the sandwich the per-group weights cancel, so the same
                     robust covariance.  The Gaussian form also exists when
                     a group's risk is 0 or 1, where the Binomial variance
                     weight is infinite.
    rate_ratio       GLM Poisson, log link, offset log(hours / 1000).
    exposed_risk, unexposed_risk
                     intercept-only GLM Binomial (logit) on that group's
                     sessions; the interval is expit(logit(p) -+ z se).
    design_effect    (robust SE of log RR / Katz SE)^2 with Katz SE =
                     sqrt(1/a - 1/n1 + 1/c - 1/n0).
  Every interval is Wald: estimate -+ z se on the model's scale, se from
  fit(cov_type="cluster", cov_kwds={"groups": participant}), i.e. the
  sandwich with statsmodels' default small-sample factor
  G/(G-1) * (N-1)/(N-K) (G clusters and N sessions in that fit, K
  parameters).  p is two-sided from the normal distribution.
  null where a quantity is undefined, as for the session-level statistics:
  the estimate is null only where the point itself is (no exposed or no
  unexposed sessions; risk and rate ratio with c = 0; odds ratio with no
  exposed non-case or no unexposed case), and is 0 where a = 0 (or, for the
  odds ratio, no unexposed non-case).  The interval (and the design effect)
  is null where the robust fit is: a zero cell that sends the log or logit
  estimate to -+infinity (risk and rate ratio: a or c = 0; odds ratio: any
  cell 0; a group's risk of 0 or 1), either group from fewer than two
  participants (that group's residuals then sum to zero within its only
  cluster, so the sandwich has nothing to measure), or a standard error of
  0 (risk difference with every risk 0 or 1).
  logistic      y ~ 1 + six factors, GLM Binomial; cluster_robust terms
                [{term, lower, upper, p}] with lower/upper on the odds-ratio
                scale.  Aliased columns are dropped as in R (their terms are
                null); on separation every term is null.
  poisson       cases per session ~ 1 + six factors, offset
                log(hours / 1000), GLM Poisson: model-based terms
                [{term, rate_ratio, lower, upper, p}] and cluster_robust
                terms [{term, lower, upper, p}].

Usage (run with /usr/bin/python3: numpy, scipy, statsmodels):
  cluster_crosscheck.py [--exercise F] [--survey F] [--out FILE]
  cluster_crosscheck.py [--exercise F] [--survey F] --compare CRAMPSTAT_JSON
  cluster_crosscheck.py [--exercise F] [--survey F] --self-check
The inputs default to sample-data/ of this source tree.
--out writes the reference as JSON.  --compare compares it with crampstat's
`analyze --format json` output to 1e-6 relative (counts exactly; keys
missing on crampstat's side fail), prints one line per group and
"N passed, M failed", and exits 1 on any failure.  --self-check recomputes
every robust standard error a second way (the closed-form per-participant
sandwich of a saturated two-group model, in numpy) and checks the exact
rate-ratio interval against its definition through the chi-square /
F-distribution form; same output and exit status.
"""

import argparse
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import scipy.stats as st
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crosscheck as cc  # noqa: E402  (validation, join, tagging; no statistics)

LEVEL = 0.95
ALPHA = 1 - LEVEL
Z = float(st.norm.ppf(1 - ALPHA / 2))
RTOL = 1e-6             # against crampstat: both sides iterate to a tolerance
RTOL_SELF = 1e-9        # the second way of computing the same sandwich
MAIN = cc.MAIN_FACTORS
FACTORS = cc.FACTORS
TERMS = ["intercept"] + MAIN
GLM_TOL = 1e-10        # on the deviance change; IRLS converges quadratically, so
                       # the estimates are then good to far beyond 1e-10
GLM_MAXITER = 100


def finite(x):
    """A float for JSON, or None for what is not a finite number."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def interval(est, lo, hi):
    return {"estimate": finite(est), "lower": finite(lo), "upper": finite(hi)}


NULL3 = {"estimate": None, "lower": None, "upper": None}


# ------------------------------------------------------------------ data ---


class Data:
    """The tagged sessions of one exercise + survey pair, from crosscheck.py."""

    def __init__(self, exercise, survey):
        t = cc.Truth(exercise, survey)
        self.truth = t
        self.cluster_participants = len({s["participant_id"] for s in t.joined})
        # (participant, factors, outcome, hours) for sessions with a known outcome
        self.rows = [(s["participant_id"], f, bool(y), h) for s, f, y, h in t.known]


def codes(pids):
    """participant ids as integer cluster codes for statsmodels."""
    _, inv = np.unique(np.array(pids, dtype=object).astype(str), return_inverse=True)
    return inv


def fit(model, groups):
    """Fit with the cluster-robust covariance; None when the fit fails or
    there are fewer than two clusters (G / (G - 1) is then undefined)."""
    if len(np.unique(groups)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return model.fit(tol=GLM_TOL, maxiter=GLM_MAXITER, cov_type="cluster",
                             cov_kwds={"groups": groups})
        except (PerfectSeparationError, np.linalg.LinAlgError, ValueError,
                ZeroDivisionError):
            return None


def fit_plain(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return model.fit(tol=GLM_TOL, maxiter=GLM_MAXITER)
        except (PerfectSeparationError, np.linalg.LinAlgError, ValueError):
            return None


# -------------------------------------------------------------- a factor ---


def exact_rate_ratio(a, c, t1, t0):
    """R's poisson.test(c(a, c), c(t1, t0)) estimate and interval."""
    if a + c == 0 or t1 <= 0 or t0 <= 0:
        return dict(NULL3)
    n = a + c
    p_lo = 0.0 if a == 0 else float(st.beta.ppf(ALPHA / 2, a, n - a + 1))
    p_hi = 1.0 if a == n else float(st.beta.ppf(1 - ALPHA / 2, a + 1, n - a))

    def rr(p):
        return None if p >= 1 else p / (1 - p) * t0 / t1

    est = None if c == 0 else (a / t1) / (c / t0)
    return interval(est, rr(p_lo), rr(p_hi))


def wald(b, se, transform):
    if b is None or se is None or not math.isfinite(b) or not math.isfinite(se):
        return dict(NULL3)
    if se == 0:
        return interval(transform(b), None, None)
    return interval(transform(b), transform(b - Z * se), transform(b + Z * se))


def expit(x):
    return 1 / (1 + math.exp(-x))


def slope(res, k=1):
    """(coefficient, robust se) of column k, or (None, None)."""
    if res is None or not res.converged:
        return None, None
    return float(res.params[k]), float(res.bse[k])


def factor_stats(data, name):
    rows = [(p, f[name], y, h) for p, f, y, h in data.rows if f[name] is not None]
    pid = [r[0] for r in rows]
    x = np.array([1.0 if r[1] else 0.0 for r in rows])
    y = np.array([1.0 if r[2] else 0.0 for r in rows])
    hours = np.array([r[3] for r in rows])
    g = codes(pid) if rows else np.array([], dtype=int)
    e = x == 1
    n1, n0 = int(e.sum()), int((~e).sum())
    a, c = int(y[e].sum()), int(y[~e].sum())
    t1, t0 = float(hours[e].sum()), float(hours[~e].sum())
    p_exp = {r[0] for r in rows if r[1]}
    p_unexp = {r[0] for r in rows if not r[1]}
    out = {"factor": name,
           "participants": {"exposed": len(p_exp), "unexposed": len(p_unexp)},
           "rate_ratio": exact_rate_ratio(a, c, t1, t0)}

    X = sm.add_constant(x.reshape(-1, 1), has_constant="add") if rows else None
    both = len(p_exp) >= 2 and len(p_unexp) >= 2
    cr = {}
    p1 = a / n1 if n1 else None
    p0 = c / n0 if n0 else None

    def robust(closed, model, transform, groups=g, k=1, ok=True):
        """The Wald interval from the robust fit when it is defined (ok),
        else the closed-form point estimate with a null interval."""
        if ok:
            b, se = slope(fit(model(), groups), k)
            if b is not None:
                return wald(b, se, transform), se
        return interval(closed, None, None), None

    # risk ratio: Poisson, log link
    cr["risk_ratio"], se_lrr = robust(
        p1 / p0 if n1 and n0 and c > 0 else None,
        lambda: sm.GLM(y, X, family=sm.families.Poisson()), math.exp,
        ok=both and a > 0 and c > 0)

    # odds ratio: Binomial, logit link
    b_, d_ = n1 - a, n0 - c
    cr["odds_ratio"], _ = robust(
        a * d_ / (b_ * c) if n1 and n0 and b_ > 0 and c > 0 else None,
        lambda: sm.GLM(y, X, family=sm.families.Binomial()), math.exp,
        ok=both and min(a, b_, c, d_) > 0)

    # risk difference: identity link (see the module text for Gaussian)
    cr["risk_difference"], _ = robust(
        p1 - p0 if n1 and n0 else None,
        lambda: sm.GLM(y, X, family=sm.families.Gaussian()), lambda v: v, ok=both)

    # rate ratio: Poisson, log link, offset log(hours / 1000)
    cr["rate_ratio"], _ = robust(
        (a / t1) / (c / t0) if t1 > 0 and t0 > 0 and c > 0 else None,
        lambda: sm.GLM(y, X, family=sm.families.Poisson(),
                       offset=np.log(hours / 1000.0)), math.exp,
        ok=both and a > 0 and c > 0 and t1 > 0 and t0 > 0)

    # each group's risk: intercept-only logit on that group's sessions
    for key, sel, k, n, people, p in (("exposed_risk", e, a, n1, p_exp, p1),
                                      ("unexposed_risk", ~e, c, n0, p_unexp, p0)):
        yy = y[sel]
        cr[key], _ = robust(
            p, lambda: sm.GLM(yy, np.ones((len(yy), 1)), family=sm.families.Binomial()),
            expit, groups=g[sel], k=0, ok=len(people) >= 2 and 0 < k < n)

    # design effect of the risk ratio against Katz's session-level SE
    cr["design_effect"] = None
    if se_lrr is not None:
        katz = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
        cr["design_effect"] = finite((se_lrr / katz) ** 2) if katz > 0 else None
    out["cluster_robust"] = cr
    # kept for the self-check, not written
    out["_raw"] = {"x": x, "y": y, "hours": hours, "g": g, "a": a, "c": c,
                   "n1": n1, "n0": n0, "t1": t1, "t0": t0}
    return out


# ---------------------------------------------------------------- models ---


def model_rows(data):
    rows = [(p, [1.0 if f[m] else 0.0 for m in MAIN], 1.0 if y else 0.0, h)
            for p, f, y, h in data.rows if all(f[m] is not None for m in MAIN)]
    if not rows:
        return None
    X = sm.add_constant(np.array([r[1] for r in rows]), has_constant="add")
    y = np.array([r[2] for r in rows])
    hours = np.array([r[3] for r in rows])
    g = codes([r[0] for r in rows])
    keep = []
    for j in range(X.shape[1]):         # R's glm: drop what adds no direction
        if np.linalg.matrix_rank(X[:, keep + [j]]) == len(keep) + 1:
            keep.append(j)
    return X, y, hours, g, keep


def null_terms(keys):
    return [dict({"term": t}, **{k: None for k in keys}) for t in TERMS]


def terms_of(res, keep, keys, robust):
    """One dict per term; dropped (aliased) columns are null."""
    out = []
    for i, t in enumerate(TERMS):
        d = {"term": t}
        if i not in keep or res is None:
            d.update({k: None for k in keys})
        else:
            b = float(res.params[keep.index(i)])
            se = float(res.bse[keep.index(i)])
            w = wald(b, se, math.exp)
            zz = b / se if se > 0 else None
            if not robust:
                d["rate_ratio"] = w["estimate"]
            d["lower"] = w["lower"]
            d["upper"] = w["upper"]
            d["p"] = None if zz is None else float(2 * st.norm.sf(abs(zz)))
        out.append(d)
    return out


def logistic(data, mr):
    keys = ("lower", "upper", "p")
    if mr is None:
        return {"cluster_robust": {"terms": null_terms(keys)}}
    X, y, hours, g, keep = mr
    res = fit(sm.GLM(y, X[:, keep], family=sm.families.Binomial()), g)
    if res is not None:
        mu = res.fittedvalues
        if not res.converged or np.min(mu) < 1e-8 or np.max(mu) > 1 - 1e-8:
            res = None          # separation: no finite estimates
    return {"cluster_robust": {"terms": terms_of(res, keep, keys, True)}}


def poisson(data, mr):
    if mr is None:
        return {"converged": False, "sessions": 0,
                "terms": null_terms(("rate_ratio", "lower", "upper", "p")),
                "cluster_robust": {"terms": null_terms(("lower", "upper", "p"))}}
    X, y, hours, g, keep = mr
    off = np.log(hours / 1000.0)
    plain = fit_plain(sm.GLM(y, X[:, keep], family=sm.families.Poisson(), offset=off))
    rob = fit(sm.GLM(y, X[:, keep], family=sm.families.Poisson(), offset=off), g)
    conv = bool(plain is not None and plain.converged)
    rob_ok = conv and rob is not None and rob.converged
    return {"converged": conv, "sessions": int(len(y)),
            "terms": terms_of(plain if conv else None, keep,
                              ("rate_ratio", "lower", "upper", "p"), False),
            "cluster_robust": {"terms": terms_of(rob if rob_ok else None, keep,
                                                 ("lower", "upper", "p"), True)}}


def reference(data):
    facs = [factor_stats(data, f) for f in FACTORS]
    mr = model_rows(data)
    return {"clusters": {"by": "participant_id",
                         "participants": data.cluster_participants},
            "factors": facs,
            "logistic": logistic(data, mr),
            "poisson": poisson(data, mr)}


def public(ref):
    """The reference without the working arrays."""
    out = dict(ref)
    out["factors"] = [{k: v for k, v in f.items() if k != "_raw"} for f in ref["factors"]]
    return out


# --------------------------------------------------------------- compare ---


def cmp_obj(g, what, exp, got, keys, rtol=RTOL):
    if not g.ok(isinstance(got, dict), "%s: missing on crampstat's side" % what):
        return
    for k in keys:
        if not g.ok(k in got, "%s.%s: missing on crampstat's side" % (what, k)):
            continue
        if k == "term":
            g.equal("%s.term" % what, exp[k], got[k])
        else:
            g.num("%s.%s" % (what, k), exp[k], got[k], rtol=rtol, atol=1e-300)


def cmp_terms(g, what, exp, got, keys):
    if not g.ok(isinstance(got, list), "%s: missing on crampstat's side" % what):
        return
    g.equal("%s: number of terms" % what, len(exp), len(got))
    for i, t in enumerate(exp):
        if i < len(got):
            cmp_obj(g, "%s[%s]" % (what, t["term"]), t, got[i], ("term",) + keys)


def compare(ck, ref, J):
    A = J.get("aggregate") if isinstance(J, dict) else None
    g = ck.group("aggregate object")
    g.ok(isinstance(A, dict), "no \"aggregate\" object in crampstat's JSON")
    g.done()
    if not isinstance(A, dict):
        A = {}

    g = ck.group("clusters")
    C = A.get("clusters")
    if g.ok(isinstance(C, dict), "aggregate.clusters: missing on crampstat's side"):
        g.ok("by" in C, "clusters.by: missing")
        g.equal("clusters.by", ref["clusters"]["by"], C.get("by"))
        g.count("clusters.participants", ref["clusters"]["participants"],
                C.get("participants"))
    g.done()

    got_f = {f.get("factor"): f for f in A.get("factors", []) if isinstance(f, dict)}
    for F in ref["factors"]:
        name = F["factor"]
        G = got_f.get(name)
        g = ck.group("factor %s" % name)
        if not g.ok(G is not None, "aggregate.factors[%s]: missing" % name):
            g.done()
            continue
        P = G.get("participants")
        if g.ok(isinstance(P, dict), "participants: missing on crampstat's side"):
            for k in ("exposed", "unexposed"):
                g.count("participants.%s" % k, F["participants"][k], P.get(k))
        cmp_obj(g, "rate_ratio", F["rate_ratio"], G.get("rate_ratio"),
                ("estimate", "lower", "upper"))
        R = G.get("cluster_robust")
        if g.ok(isinstance(R, dict), "cluster_robust: missing on crampstat's side"):
            for k in ("risk_ratio", "odds_ratio", "risk_difference", "rate_ratio",
                      "exposed_risk", "unexposed_risk"):
                cmp_obj(g, "cluster_robust.%s" % k, F["cluster_robust"][k], R.get(k),
                        ("estimate", "lower", "upper"))
            if g.ok("design_effect" in R, "cluster_robust.design_effect: missing"):
                g.num("cluster_robust.design_effect", F["cluster_robust"]["design_effect"],
                      R.get("design_effect"), rtol=RTOL)
        g.done()

    g = ck.group("logistic cluster_robust")
    L = A.get("logistic")
    LR = L.get("cluster_robust") if isinstance(L, dict) else None
    if g.ok(isinstance(LR, dict), "logistic.cluster_robust: missing on crampstat's side"):
        cmp_terms(g, "logistic.cluster_robust.terms", ref["logistic"]["cluster_robust"]["terms"],
                  LR.get("terms"), ("lower", "upper", "p"))
    g.done()

    g = ck.group("poisson")
    P = A.get("poisson")
    if g.ok(isinstance(P, dict), "aggregate.poisson: missing on crampstat's side"):
        g.equal("poisson.converged", ref["poisson"]["converged"], P.get("converged"))
        g.count("poisson.sessions", ref["poisson"]["sessions"], P.get("sessions"))
        cmp_terms(g, "poisson.terms", ref["poisson"]["terms"], P.get("terms"),
                  ("rate_ratio", "lower", "upper", "p"))
        PR = P.get("cluster_robust")
        if g.ok(isinstance(PR, dict), "poisson.cluster_robust: missing on crampstat's side"):
            cmp_terms(g, "poisson.cluster_robust.terms",
                      ref["poisson"]["cluster_robust"]["terms"], PR.get("terms"),
                      ("lower", "upper", "p"))
    g.done()


# ------------------------------------------------------------ self-check ---


def cluster_sums(g, v):
    """Sum of v within each cluster code."""
    return np.bincount(g, weights=v)


def hand_var(g, contrib, k_params):
    """Cluster sandwich of a saturated two-group (or one-group) model in
    closed form: the influence of cluster j on the estimate is the sum of
    its sessions' contributions, so var = factor * sum_j (sum_i c_i)^2."""
    s = cluster_sums(g, contrib)
    present = np.bincount(g) > 0
    n_g = int(present.sum())
    n = len(contrib)
    factor = n_g / (n_g - 1.0) * (n - 1.0) / (n - k_params)
    return factor * float(np.sum(s[present] ** 2))


def recode(g):
    return np.unique(g, return_inverse=True)[1]


# R's results (None for R's Inf).
R_POISSON_TEST = [
    ((1208, 1176, 19561.616666666665, 35991.7),
     (1.8899800878622621, 1.7427165846892283, 2.0497332757901314)),
    ((0, 5, 10, 20), (0.0, 0.0, 2.1825582103650918)),
    ((4, 0, 10, 20), (None, 1.3202480387201874, None)),
]


def self_check(ck, ref, label):
    """Every robust SE a second way: for y ~ 1 + x the fitted values are the
    group means, and the slope's influence function is a difference of two
    group terms, e.g. for log RR: (y - p1) / a over exposed sessions minus
    (y - p0) / c over unexposed ones (with a, c the case counts)."""
    for F in ref["factors"]:
        r = F["_raw"]
        name = F["factor"]
        g = ck.group("%s: %s robust SEs by hand" % (label, name))
        x, y, h, cl = r["x"], r["y"], r["hours"], r["g"]
        e = x == 1
        a, c, n1, n0, t1, t0 = r["a"], r["c"], r["n1"], r["n0"], r["t1"], r["t0"]
        CR = F["cluster_robust"]
        both = F["participants"]["exposed"] >= 2 and F["participants"]["unexposed"] >= 2
        p1 = a / n1 if n1 else 0.0
        p0 = c / n0 if n0 else 0.0
        resid = np.where(e, y - p1, y - p0)

        def check(key, contrib, to_scale, k_params=2, sel=None, clu=cl):
            got = CR[key]
            if got["lower"] is None:
                g.ok(False, "%s: no interval to check" % key)
                return
            cc_ = contrib if sel is None else contrib[sel]
            var = hand_var(recode(clu if sel is None else clu[sel]), cc_, k_params)
            se_ref = (to_scale(got["upper"]) - to_scale(got["lower"])) / (2 * Z)
            g.num("%s se" % key, math.sqrt(var), se_ref, rtol=RTOL_SELF)

        if both and a > 0 and c > 0:
            infl = np.where(e, resid / a, -resid / c)
            check("risk_ratio", infl, math.log)
            # design effect from the same hand variance and Katz's SE
            katz2 = 1 / a - 1 / n1 + 1 / c - 1 / n0
            g.num("design_effect", hand_var(recode(cl), infl, 2) / katz2,
                  CR["design_effect"], rtol=RTOL_SELF)
            # the rate model's fitted value is hours * group rate
            fitted = np.where(e, h * a / t1, h * c / t0)
            rinfl = np.where(e, (y - fitted) / a, -(y - fitted) / c)
            check("rate_ratio", rinfl, math.log)
            g.num("rate ratio point: robust model = exact-test estimate",
                  F["rate_ratio"]["estimate"], CR["rate_ratio"]["estimate"], rtol=RTOL_SELF)
        if both and 0 < a < n1 and 0 < c < n0:
            oinfl = np.where(e, resid / (n1 * p1 * (1 - p1)), -resid / (n0 * p0 * (1 - p0)))
            check("odds_ratio", oinfl, math.log)
        if both and CR["risk_difference"]["lower"] is not None:
            check("risk_difference", np.where(e, resid / n1, -resid / n0), lambda v: v)
            g.num("risk difference point", p1 - p0, CR["risk_difference"]["estimate"],
                  rtol=RTOL_SELF, atol=1e-15)
        for key, sel, p, n in (("exposed_risk", e, p1, n1), ("unexposed_risk", ~e, p0, n0)):
            if CR[key]["lower"] is not None:
                check(key, resid / (n * p * (1 - p)), lambda v: math.log(v / (1 - v)),
                      k_params=1, sel=sel)
                g.num("%s point" % key, p, CR[key]["estimate"], rtol=RTOL_SELF)
        # the exact interval through its F-distribution form (Clopper-Pearson
        # bounds as F quantiles, as in textbooks and SAS)
        RR = F["rate_ratio"]
        if a > 0 and c > 0:
            flo = st.f.ppf(ALPHA / 2, 2 * a, 2 * (c + 1))
            fhi = st.f.ppf(1 - ALPHA / 2, 2 * (a + 1), 2 * c)
            g.num("exact RR lower (F form)", a / (c + 1) * flo * t0 / t1, RR["lower"],
                  rtol=RTOL_SELF)
            g.num("exact RR upper (F form)", (a + 1) / c * fhi * t0 / t1, RR["upper"],
                  rtol=RTOL_SELF)
        if g.n == 0:
            g.ok(True, "")      # nothing defined for this factor
        g.done()

    # the exact interval against R 4's poisson.test(c(a, c), c(T1, T0)),
    # values printed with options(digits = 17) and kept here
    g = ck.group("%s: exact rate ratio as R's poisson.test" % label)
    for (a, c, t1, t0), want in R_POISSON_TEST:
        got = exact_rate_ratio(a, c, t1, t0)
        for k, v in zip(("estimate", "lower", "upper"), want):
            g.num("poisson.test(c(%d, %d), c(%r, %r)) %s" % (a, c, t1, t0, k), v, got[k],
                  rtol=RTOL_SELF)
    g.done()

    # the robust model terms: the matrix sandwich written out in numpy
    g = ck.group("%s: models, sandwich by hand" % label)
    mr = ref.get("_mr")
    if mr is not None:
        X, y, hours, cl, keep = mr
        Xk = X[:, keep]
        for fam, off, terms, key in (
                (sm.families.Binomial(), None, ref["logistic"]["cluster_robust"]["terms"],
                 "logistic"),
                (sm.families.Poisson(), np.log(hours / 1000.0),
                 ref["poisson"]["cluster_robust"]["terms"], "poisson")):
            res = fit_plain(sm.GLM(y, Xk, family=fam, offset=off))
            if res is None or terms[0]["lower"] is None:
                continue
            mu = res.fittedvalues
            w = mu * (1 - mu) if key == "logistic" else mu
            bread = np.linalg.inv(Xk.T @ (Xk * w[:, None]))
            U = np.zeros((cl.max() + 1, Xk.shape[1]))
            np.add.at(U, cl, Xk * (y - mu)[:, None])
            n_g, n, k = len(np.unique(cl)), len(y), Xk.shape[1]
            V = bread @ (U.T @ U) @ bread * n_g / (n_g - 1) * (n - 1) / (n - k)
            for j, i in enumerate(keep):
                t = terms[i]
                se_ref = (math.log(t["upper"]) - math.log(t["lower"])) / (2 * Z)
                g.num("%s %s se" % (key, t["term"]), math.sqrt(V[j, j]), se_ref,
                      rtol=RTOL_SELF)
    g.ok(mr is not None, "no model rows")
    g.done()


# ------------------------------------------------------------------ main ---


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = os.path.dirname(HERE)
    ap.add_argument("--exercise", default=os.path.join(src, "sample-data", "exercise.csv.gz"))
    ap.add_argument("--survey", default=os.path.join(src, "sample-data", "survey.csv.gz"))
    ap.add_argument("--out", help="write the reference as JSON to this file")
    ap.add_argument("--compare", metavar="CRAMPSTAT_JSON",
                    help="compare with crampstat's analyze --format json output")
    ap.add_argument("--self-check", action="store_true",
                    help="recompute the robust SEs a second way")
    args = ap.parse_args(argv)

    t0 = time.time()
    for path in (args.exercise, args.survey):
        if not os.path.isfile(path):
            print("cluster_crosscheck: input %s not found" % path)
            print("0 passed, 1 failed")
            return 1
    data = Data(args.exercise, args.survey)
    ref = reference(data)
    ref["_mr"] = model_rows(data)
    pub = public({k: v for k, v in ref.items() if k != "_mr"})
    if args.out:
        with open(args.out, "w") as f:
            json.dump(pub, f, indent=1)
            f.write("\n")
    if not (args.compare or args.self_check):
        if not args.out:
            json.dump(pub, sys.stdout, indent=1)
            sys.stdout.write("\n")
        return 0
    ck = cc.Checker()
    if args.self_check:
        self_check(ck, ref, os.path.basename(os.path.dirname(os.path.abspath(args.exercise))))
    if args.compare:
        try:
            with open(args.compare) as f:
                J = json.load(f)
        except (OSError, ValueError) as ex:
            print("cluster_crosscheck: cannot read %s: %s" % (args.compare, ex))
            print("0 passed, 1 failed")
            return 1
        compare(ck, pub, J)
    print("# run time %.1f s" % (time.time() - t0))
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.exit(main())
