#!/usr/bin/python3
"""Coverage of fatigue's crude risk-ratio interval when sessions cluster.

With a participant random intercept (`crampstat gen --frailty-sd`), a
participant's sessions are correlated, and an interval that treats every
session as an independent person is too narrow. This check measures how
often, over R data sets drawn from one population, fatigue's crude risk
ratio interval covers the population value:

  (a) the session-level (Katz) interval, aggregate.factors[fatigue].risk_ratio;
  (b) the cluster-robust one, aggregate.factors[fatigue].cluster_robust.risk_ratio.

Each replicate k = 1..R is `crampstat gen --participants 1500 --frailty-sd 1
--seed BASE+k`, then `crampstat analyze --format json`. The population value
is crampstat's crude risk-ratio point estimate (exposed risk over unexposed
risk, a closed formula that tests/crosscheck.py checks independently) on one
large run of the same generator, same frailty SD, 200,000 participants and a
seed none of the replicates uses: about 5 million sessions, so its own
sampling error (about 1 % of the ratio) is small beside a replicate's
(about 12 % with 1,500 participants).

Rules, at the default R = 200 (the binomial SD of a coverage near 95 % is
then 1.5 points; near 75 %, 3 points):
  - the cluster-robust coverage must lie within 92 % to 97.5 %;
  - the session-level coverage must be visibly lower: below 90 % (more than
    three binomial SDs under the nominal 95 %) and, when both are measured,
    at least 8 points below the robust one. Fatigue's design effect with
    frailty SD 1 is about 3, so the session-level interval is about
    sqrt(3) = 1.7 times too narrow and should cover about 75 % of the time.
An interval that is missing (null) counts as not covering and is reported.
Everything is seeded, so the result is the same on every run on a platform.

Usage: cluster_coverage.py [--crampstat BIN] [--replicates R]
           [--participants N] [--frailty-sd S] [--population N]
           [--seed-base K] [--jobs J] [--session-only]
BIN defaults to $CRAMPSTAT. --session-only measures (a) alone, for a
crampstat that does not report (b) yet; without it, a crampstat without
(b) fails with a message saying so. Exit status 0 pass, 1 fail, 2 usage.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

FACTOR = "fatigue"
ROBUST_LO, ROBUST_HI = 0.92, 0.975
SESSION_MAX = 0.90
MIN_GAP = 0.08
POPULATION_SEED = 999999


class Fail(Exception):
    pass


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise Fail("%s exited with %d: %s" % (" ".join(cmd), p.returncode,
                                              p.stderr.decode("utf-8", "replace").strip()))
    return p.stdout


def analyze(binary, tmp, participants, sd, seed):
    """gen + analyze into tmp/seed; returns fatigue's factor object."""
    d = os.path.join(tmp, "r%d" % seed)
    run([binary, "gen", "--participants", str(participants), "--frailty-sd", repr(sd),
         "--seed", str(seed), "--out-dir", d])
    out = run([binary, "analyze", "--survey", os.path.join(d, "survey.csv.gz"),
               "--exercise", os.path.join(d, "exercise.csv.gz"), "--format", "json",
               "--quiet"])
    for name in ("survey.csv.gz", "exercise.csv.gz"):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)
    try:
        J = json.loads(out)
        for f in J["aggregate"]["factors"]:
            if f.get("factor") == FACTOR:
                return f
    except (ValueError, KeyError, TypeError) as ex:
        raise Fail("seed %d: analyze's JSON has no aggregate.factors: %s" % (seed, ex))
    raise Fail("seed %d: analyze's JSON has no factor %s" % (seed, FACTOR))


def interval(f, robust, seed):
    """(lower, upper) or None; Fail when the key is absent."""
    src = f.get("cluster_robust") if robust else f
    key = ("aggregate.factors[%s].cluster_robust.risk_ratio" if robust
           else "aggregate.factors[%s].risk_ratio") % FACTOR
    if not isinstance(src, dict) or not isinstance(src.get("risk_ratio"), dict):
        hint = (" (this crampstat does not report cluster-robust intervals yet;"
                " --session-only measures the session-level one alone)" if robust else "")
        raise Fail("seed %d: %s is missing from analyze's JSON%s" % (seed, key, hint))
    rr = src["risk_ratio"]
    lo, hi = rr.get("lower"), rr.get("upper")
    if not isinstance(lo, (int, float)) or not isinstance(hi, (int, float)):
        return None
    return float(lo), float(hi)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--crampstat", default=os.environ.get("CRAMPSTAT"))
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--participants", type=int, default=1500)
    ap.add_argument("--frailty-sd", type=float, default=1.0)
    ap.add_argument("--population", type=int, default=200000)
    ap.add_argument("--seed-base", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--session-only", action="store_true")
    a = ap.parse_args(argv)
    if not a.crampstat or not os.access(a.crampstat, os.X_OK):
        print("cluster_coverage: no crampstat binary: give --crampstat or set CRAMPSTAT",
              file=sys.stderr)
        return 2
    if a.replicates < 1 or a.jobs < 1:
        print("cluster_coverage: --replicates and --jobs must be at least 1", file=sys.stderr)
        return 2
    seeds = [a.seed_base + k for k in range(1, a.replicates + 1)]
    if POPULATION_SEED in seeds:
        print("cluster_coverage: the replicate seeds must not include %d, the "
              "population's" % POPULATION_SEED, file=sys.stderr)
        return 2

    t0 = time.time()
    try:
        with tempfile.TemporaryDirectory(prefix="cluster_coverage.") as tmp:
            # The first replicate alone: a missing key fails before the
            # population run.
            first = analyze(a.crampstat, tmp, a.participants, a.frailty_sd, seeds[0])
            interval(first, False, seeds[0])
            if not a.session_only:
                interval(first, True, seeds[0])
            pop = analyze(a.crampstat, tmp, a.population, a.frailty_sd, POPULATION_SEED)
            truth = pop.get("risk_ratio", {}).get("estimate")
            if not isinstance(truth, (int, float)):
                raise Fail("population run: no risk-ratio estimate for %s" % FACTOR)
            t_pop = time.time() - t0
            with ThreadPoolExecutor(max_workers=a.jobs) as ex:
                rest = list(ex.map(lambda s: analyze(a.crampstat, tmp, a.participants,
                                                     a.frailty_sd, s), seeds[1:]))
    except Fail as ex:
        print("cluster_coverage: FAILED: %s" % ex)
        return 1
    facs = [first] + rest

    kinds = [("session-level", False)] + ([] if a.session_only else [("cluster-robust", True)])
    cov = {}
    for label, robust in kinds:
        hit = undefined = 0
        for s, f in zip(seeds, facs):
            iv = interval(f, robust, s)
            if iv is None:
                undefined += 1
            elif iv[0] <= truth <= iv[1]:
                hit += 1
        cov[label] = hit / len(facs)
        print("%-15s coverage %5.1f %% (%d of %d)%s" % (
            label, 100 * cov[label], hit, len(facs),
            ", %d intervals undefined" % undefined if undefined else ""))
    print("population risk ratio of %s: %.6f (crampstat's estimate, %d participants, "
          "frailty SD %g, seed %d)" % (FACTOR, truth, a.population, a.frailty_sd,
                                       POPULATION_SEED))
    print("# %d replicates of %d participants, seeds %d-%d; run time %.1f s "
          "(population run %.1f s)" % (len(facs), a.participants, seeds[0], seeds[-1],
                                       time.time() - t0, t_pop))

    fails = []
    s_cov = cov["session-level"]
    if not s_cov < SESSION_MAX:
        fails.append("session-level coverage %.1f %% is not below %.0f %%"
                     % (100 * s_cov, 100 * SESSION_MAX))
    if "cluster-robust" in cov:
        r_cov = cov["cluster-robust"]
        if not ROBUST_LO <= r_cov <= ROBUST_HI:
            fails.append("cluster-robust coverage %.1f %% is outside %.1f-%.1f %%"
                         % (100 * r_cov, 100 * ROBUST_LO, 100 * ROBUST_HI))
        if not r_cov - s_cov >= MIN_GAP:
            fails.append("session-level coverage is not %.0f points below the "
                         "cluster-robust one" % (100 * MIN_GAP))
    for f in fails:
        print("cluster_coverage: FAILED: %s" % f)
    if not fails:
        print("cluster_coverage: passed%s" % (" (session-level half only)"
                                              if a.session_only else ""))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
