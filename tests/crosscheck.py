#!/usr/bin/python3
"""Independent cross-check of crampstat's statistics (tests only).

A second implementation of DATA.md sections 2-6 in Python: it reads the raw
gzip CSVs with the standard library, validates, joins, derives and tags the
sessions itself, computes every statistic with scipy/statsmodels, and then
compares each number crampstat prints (aggregate --format json, by sex and
by age band, and --format csv against the JSON; on the sample data also
--ci exact --yates).  Nothing is read back from crampstat's intermediate
CSVs; crampstat's tagged stream is only piped into its own 'aggregate'.

Two data sets: the sample data (large and clean), and a small crafted one
written to a temporary directory (invalid rows, join-rule edges, every
three-valued branch, zero cells, one-session strata, collinear logistic
covariates, groups of 2313 cases).

Run with /usr/bin/python3 (Debian's, with python3-scipy and
python3-statsmodels).  Environment:
  CRAMPSTAT  the binary (default build/crampstat in the source tree)
  CS_SRC     the source tree holding sample-data/ (default: the tree this
             script is in)
  CS_EXERCISE, CS_SURVEY  other input files (default: the sample data)
Output: one line per check group, then "N passed, M failed"; exit 1 on any
failure.
"""

from fractions import Fraction
import csv
import datetime
import gzip
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np
import scipy.stats as st
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import proportion_confint
from statsmodels.tools.sm_exceptions import PerfectSeparationError

CS_SRC = os.environ.get(
    "CS_SRC", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CRAMPSTAT = os.environ.get("CRAMPSTAT", os.path.join(CS_SRC, "build", "crampstat"))
# CS_EXERCISE / CS_SURVEY point the check at other data (e.g. 'crampstat gen'
# output); the test uses the sample data.
EXERCISE = os.environ.get("CS_EXERCISE",
                          os.path.join(CS_SRC, "sample-data", "exercise.csv.gz"))
SURVEY = os.environ.get("CS_SURVEY", os.path.join(CS_SRC, "sample-data", "survey.csv.gz"))

LEVEL = 0.95
ALPHA = 1 - LEVEL
Z = st.norm.ppf(1 - ALPHA / 2)

MAIN_FACTORS = ["fatigue", "tightness", "heat", "dehydration", "electrolyte", "medical"]
CONDITIONS = ["disc_injury", "parkinsons", "multiple_sclerosis", "cerebral_palsy",
              "thyroid_disease", "kidney_disease", "alcoholism", "pregnancy"]
FACTORS = MAIN_FACTORS + ["medical_" + c for c in CONDITIONS]

# Tolerances.  Counts are compared exactly.
RTOL = 1e-9          # floating results of closed formulas
ATOL = 1e-12         # only for quantities that may legitimately sit near 0
# Fisher's exact p: scipy sums hypergeometric probabilities with its own
# "as extreme" rule (pmf <= pmf_obs * (1 + 1e-7)) and summation order, so two
# correct implementations may differ at ~1e-7 relative.
RTOL_FISHER = 1e-6
# Logistic regression: both sides iterate (IRLS / Newton) to a convergence
# tolerance, so the estimates agree to ~1e-8, not to the last bit.
RTOL_LOGIT = 1e-6

# ---------------------------------------------------------------- checks ---


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def group(self, name):
        return Group(self, name)


class Group:
    MAX_SHOWN = 8

    def __init__(self, checker, name):
        self.checker = checker
        self.name = name
        self.n = 0
        self.fails = []

    def ok(self, cond, what):
        self.n += 1
        if cond:
            self.checker.passed += 1
        else:
            self.checker.failed += 1
            self.fails.append(what)
        return cond

    def count(self, what, expected, got):
        good = (isinstance(got, int) and not isinstance(got, bool)
                and got == expected)
        return self.ok(good, "%s: expected %r, got %r" % (what, expected, got))

    def equal(self, what, expected, got):
        return self.ok(expected == got, "%s: expected %r, got %r" % (what, expected, got))

    def num(self, what, expected, got, rtol=RTOL, atol=0.0):
        """Relative comparison; atol only where it is allowed (values
        near zero).  None on both sides (undefined) passes; a number against
        None fails."""
        if expected is None or got is None:
            good = expected is None and got is None
        elif isinstance(got, bool) or not isinstance(got, (int, float)):
            good = False
        elif math.isnan(expected) or math.isinf(expected):
            good = (math.isnan(expected) and math.isnan(got)) or expected == got
        else:
            diff = abs(expected - got)
            good = diff <= max(rtol * max(abs(expected), abs(got)), atol)
        return self.ok(good, "%s: expected %r, got %r%s" % (
            what, expected, got,
            "" if expected is None or got is None or not isinstance(got, (int, float))
            else " (rel diff %.3g)" % (abs(expected - got) / max(abs(expected), 1e-300))))

    def done(self):
        status = "ok  " if not self.fails else "FAIL"
        line = "%s %-44s %4d checks" % (status, self.name, self.n)
        if self.fails:
            line += ", %d failed" % len(self.fails)
        print(line)
        for f in self.fails[: self.MAX_SHOWN]:
            print("       " + f)
        if len(self.fails) > self.MAX_SHOWN:
            print("       ... %d more" % (len(self.fails) - self.MAX_SHOWN))
        if self.n == 0:
            # a group that checked nothing is a failure of the harness itself
            self.checker.failed += 1
            print("       (no checks ran in this group)")


# ---------------------------------------------------- reading, validating ---

NA = {"", "na", "n/a"}
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0"}
NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
INT_RE = re.compile(r"^[+-]?\d+$")
TIME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})"
                     r"(?:T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-](\d{2}):(\d{2}))?)?$")
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class Bad(Exception):
    pass


def read_csv_gz(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)         # handles multi-member streams
    text = raw.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip().lower() for h in rows[0]]
    return header, rows[1:]


def is_na(v):
    return v.strip().lower() in NA


def text(v, col):
    if not (1 <= len(v.encode("utf-8")) <= 64):
        raise Bad("%s: length" % col)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
        raise Bad("%s: control character" % col)
    return v


def number(v, col, lo, hi, required, lo_open=False):
    if is_na(v):
        if required:
            raise Bad("%s: missing" % col)
        return None
    v = v.strip()
    if not NUM_RE.match(v):
        raise Bad("%s: not a number" % col)
    x = float(v)
    if x > hi or x < lo or (lo_open and x <= lo):
        raise Bad("%s: out of range" % col)
    return x


def integer(v, col, lo, hi):
    v = v.strip()
    if not INT_RE.match(v):
        raise Bad("%s: not an integer" % col)
    x = int(v)
    if not lo <= x <= hi:
        raise Bad("%s: out of range" % col)
    return x


def boolean(v, col, required):
    s = v.strip().lower()
    if s in NA:
        if required:
            raise Bad("%s: missing" % col)
        return None
    if s in TRUE:
        return True
    if s in FALSE:
        return False
    raise Bad("%s: not a boolean" % col)


def check_date(y, m, d):
    datetime.date(int(y), int(m), int(d))  # raises ValueError


def start_time(v):
    m = TIME_RE.match(v.strip())
    if not m:
        raise Bad("start_time: format")
    try:
        check_date(m.group(1), m.group(2), m.group(3))
    except ValueError:
        raise Bad("start_time: not a calendar date")
    if m.group(4) is not None:
        if int(m.group(4)) > 23 or int(m.group(5)) > 59:
            raise Bad("start_time: time")
        if m.group(6) is not None and int(m.group(6)) > 59:
            raise Bad("start_time: seconds")
        if m.group(8) is not None and (int(m.group(8)) > 23 or int(m.group(9)) > 59):
            raise Bad("start_time: offset")
    return v.strip()[:10]          # the date as written


def columns(header, required):
    idx = {}
    for i, h in enumerate(header):
        if h in idx:
            raise SystemExit("duplicated column %s" % h)
        idx[h] = i
    for c in required:
        if c not in idx:
            raise SystemExit("missing column %s" % c)
    return idx


EX_COLS = ["participant_id", "session_id", "start_time", "activity", "duration_min",
           "intensity_rpe", "temp_c", "humidity_pct", "fluid_ml", "warmup_min",
           "stretched", "cramp", "cramp_muscle"]
SV_COLS = ["participant_id", "survey_date", "sex", "age_years", "height_ft", "height_in",
           "weight_lb", "activity_level", "conditioning", "seasonal_sport",
           "stretch_routine", "conditions", "calorie_goal", "calcium_mg", "potassium_mg"]
MUSCLES = {"hamstring", "calf", "quadriceps", "foot", "other"}
LEVELS = {"sedentary", "light", "moderate", "active", "very_active"}
CONDITIONINGS = {"unconditioned", "recreational", "trained"}
GOALS = {"gain 2 pounds per week": 2.0, "gain 1.5 pounds per week": 1.5,
         "gain 1 pound per week": 1.0, "gain 0.5 pound per week": 0.5,
         "maintain my current weight": 0.0, "lose 0.5 pound per week": -0.5,
         "lose 1 pound per week": -1.0, "lose 1.5 pounds per week": -1.5,
         "lose 2 pounds per week": -2.0}


def parse_exercise(path):
    header, rows = read_csv_gz(path)
    ix = columns(header, EX_COLS)
    out, rejects, seen = [], 0, set()
    for r in rows:
        if r == [] or r == [""]:
            continue
        try:
            if len(r) != len(header):
                raise Bad("field count")
            g = {c: r[ix[c]] for c in EX_COLS}
            s = {}
            for c in ("participant_id", "session_id", "activity"):
                if is_na(g[c]) and c != "activity":
                    raise Bad("%s: missing" % c)
                s[c] = text(g[c], c)
            s["date"] = start_time(g["start_time"])
            s["duration_min"] = number(g["duration_min"], "duration_min", 0, 1440, True,
                                       lo_open=True)
            s["intensity_rpe"] = integer(g["intensity_rpe"], "intensity_rpe", 1, 10)
            s["temp_c"] = number(g["temp_c"], "temp_c", -40, 60, False)
            s["humidity_pct"] = number(g["humidity_pct"], "humidity_pct", 0, 100, False)
            s["fluid_ml"] = number(g["fluid_ml"], "fluid_ml", 0, 10000, False)
            s["warmup_min"] = number(g["warmup_min"], "warmup_min", 0, 240, False)
            s["stretched"] = boolean(g["stretched"], "stretched", False)
            s["cramp"] = boolean(g["cramp"], "cramp", True)
            mu = g["cramp_muscle"].strip().lower()
            if mu in NA:
                s["cramp_muscle"] = None
            elif mu in MUSCLES:
                if not s["cramp"]:
                    raise Bad("cramp_muscle without cramp")
                s["cramp_muscle"] = mu
            else:
                raise Bad("cramp_muscle: value")
            if s["session_id"] in seen:     # duplicates rejected after the first
                raise Bad("duplicate session_id")
            seen.add(s["session_id"])
            out.append(s)
        except Bad:
            rejects += 1
    return out, rejects, len(rows)


def parse_survey(path):
    header, rows = read_csv_gz(path)
    ix = columns(header, SV_COLS)
    out, rejects = [], 0
    for r in rows:
        if r == [] or r == [""]:
            continue
        try:
            if len(r) != len(header):
                raise Bad("field count")
            g = {c: r[ix[c]] for c in SV_COLS}
            w = {}
            if is_na(g["participant_id"]):
                raise Bad("participant_id: missing")
            w["participant_id"] = text(g["participant_id"], "participant_id")
            d = g["survey_date"].strip()
            m = DATE_RE.match(d)
            if not m:
                raise Bad("survey_date: format")
            try:
                check_date(*m.groups())
            except ValueError:
                raise Bad("survey_date: calendar")
            w["survey_date"] = d
            sex = g["sex"].strip().lower()
            w["sex"] = {"f": "F", "female": "F", "m": "M", "male": "M"}.get(sex)
            if w["sex"] is None:
                raise Bad("sex")
            w["age_years"] = integer(g["age_years"], "age_years", 10, 110)
            w["height_ft"] = integer(g["height_ft"], "height_ft", 3, 8)
            w["height_in"] = integer(g["height_in"], "height_in", 0, 11)
            w["weight_lb"] = number(g["weight_lb"], "weight_lb", 50, 700, True)
            lv = g["activity_level"].strip().lower()
            if lv not in LEVELS:
                raise Bad("activity_level")
            w["activity_level"] = lv
            co = g["conditioning"].strip().lower()
            if co not in CONDITIONINGS:
                raise Bad("conditioning")
            w["conditioning"] = co
            w["seasonal_sport"] = boolean(g["seasonal_sport"], "seasonal_sport", True)
            w["stretch_routine"] = boolean(g["stretch_routine"], "stretch_routine", True)
            cs = g["conditions"].strip()
            if cs.lower() in ("na", "n/a"):
                w["conditions"] = None                # unknown
            elif cs == "":
                w["conditions"] = set()               # none
            else:
                items = [x.strip().lower() for x in cs.split(";")]
                if any(x not in CONDITIONS for x in items):
                    raise Bad("conditions: value")
                if "pregnancy" in items and w["sex"] != "F":
                    raise Bad("conditions: pregnancy with sex M")
                w["conditions"] = set(items)
            cg = g["calorie_goal"].strip()
            if cg.lower() in GOALS:
                w["goal"] = GOALS[cg.lower()]
            else:
                if not NUM_RE.match(cg):
                    raise Bad("calorie_goal")
                x = float(cg)
                if x not in (-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2):
                    raise Bad("calorie_goal: value")
                w["goal"] = x
            w["calcium_mg"] = number(g["calcium_mg"], "calcium_mg", 0, 10000, False)
            w["potassium_mg"] = number(g["potassium_mg"], "potassium_mg", 0, 10000, False)
            out.append(w)
        except Bad:
            rejects += 1
    return out, rejects, len(rows)


def join(sessions, waves):
    """Latest wave dated on or before the session's date as written;
    the earliest wave when every wave is later."""
    by_p = defaultdict(list)
    for w in waves:
        by_p[w["participant_id"]].append(w)
    for p in by_p:
        by_p[p].sort(key=lambda w: w["survey_date"])
    joined, rejected = [], 0
    for s in sessions:
        ws = by_p.get(s["participant_id"])
        if not ws:
            rejected += 1
            continue
        chosen = ws[0]
        for w in ws:
            if w["survey_date"] <= s["date"]:    # ISO dates compare as text
                chosen = w
        t = dict(s)
        t.update({k: v for k, v in chosen.items() if k != "participant_id"})
        joined.append(t)
    return joined, rejected


# ---------------------------------------------------------- derived values ---


def heat_index_f(t, rh):
    """NOAA heat index in F (Rothfusz with NOAA's adjustments)."""
    hi = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + rh * 0.094)
    if (hi + t) / 2.0 < 80.0:
        return hi
    hi = (-42.379 + 2.04901523 * t + 10.14333127 * rh - 0.22475541 * t * rh
          - 0.00683783 * t * t - 0.05481717 * rh * rh + 0.00122874 * t * t * rh
          + 0.00085282 * t * rh * rh - 0.00000199 * t * t * rh * rh)
    if rh < 13 and 80 <= t <= 112:
        hi -= ((13 - rh) / 4.0) * math.sqrt((17 - abs(t - 95.0)) / 17.0)
    elif rh > 85 and 80 <= t <= 87:
        hi += ((rh - 85) / 10.0) * ((87 - t) / 5.0)
    return hi


def heat_index_c(tc, rh):
    return (heat_index_f(tc * 9.0 / 5.0 + 32.0, rh) - 32.0) * 5.0 / 9.0


def age_band(a):
    if a <= 17:
        return "10-17"
    if a <= 29:
        return "18-29"
    if a <= 44:
        return "30-44"
    if a <= 59:
        return "45-59"
    return "60+"


def k_or(*xs):   # Kleene OR over True/False/None
    if any(x is True for x in xs):
        return True
    if any(x is None for x in xs):
        return None
    return False


def k_and(*xs):
    if any(x is False for x in xs):
        return False
    if any(x is None for x in xs):
        return None
    return True


def lt(x, limit):
    return None if x is None else x < limit


def tag(s):
    """Cause factors (True/False/None = unknown) and the outcome."""
    f = {}
    dur, rpe = s["duration_min"], s["intensity_rpe"]
    f["fatigue"] = k_or(s["conditioning"] == "unconditioned",
                        s["seasonal_sport"] and rpe >= 7,
                        dur >= 90 and rpe >= 7)
    not_stretched = None if s["stretched"] is None else (not s["stretched"])
    f["tightness"] = k_or(s["activity_level"] == "sedentary",
                          k_and(not_stretched, lt(s["warmup_min"], 5)))
    tc, rh = s["temp_c"], s["humidity_pct"]
    if tc is not None and rh is not None:
        f["heat"] = heat_index_c(tc, rh) >= 32
    elif tc is not None:
        his = [heat_index_c(tc, i / 10.0) for i in range(0, 1001)]
        f["heat"] = True if min(his) >= 32 else (False if max(his) < 32 else None)
    else:
        f["heat"] = None
    hours = dur / 60.0
    if dur < 30:
        f["dehydration"] = False
    elif s["fluid_ml"] is None:
        f["dehydration"] = None
    else:
        # Exact rational comparison: 220 ml in 33 min is exactly 400 ml/h
        # and must not count as below it.
        f["dehydration"] = Fraction(s["fluid_ml"]) * 60 < 400 * Fraction(dur)
    f["electrolyte"] = k_or(lt(s["calcium_mg"], 700), lt(s["potassium_mg"], 2000))
    cs = s["conditions"]
    f["medical"] = None if cs is None else len(cs) > 0
    for c in CONDITIONS:
        if c == "pregnancy" and s["sex"] == "M":
            f["medical_" + c] = False          # known 0 for males, even if NA
        else:
            f["medical_" + c] = None if cs is None else c in cs
    if not s["cramp"]:
        y = False
    elif s["cramp_muscle"] is None:
        y = None
    else:
        y = s["cramp_muscle"] == "hamstring"
    return f, y, hours


# -------------------------------------------------------------- statistics ---


# Undefined results are None (JSON null) and each carries a note; the texts
# are crampstat's report interface (DATA.md 6: "say in the output what was
# done").  The conditions under which each is expected are decided here.
N_EMPTY = "no observations: estimate undefined"
N_NO_TIME = "no exposure time: rate undefined"
N_NO_EXPOSED = "no exposed sessions: comparison undefined"
N_NO_UNEXPOSED = "no unexposed sessions: comparison undefined"
N_NO_CASES = "no cases in the table"
N_RR_ZERO = "risk ratio is 0 (no cases among the exposed): Katz interval undefined"
N_RR_UNDEF = "risk ratio undefined: no cases among the unexposed"
N_OR_ZERO = ("odds ratio is 0 (no exposed cases or no unexposed non-cases): Woolf "
             "interval undefined")
N_OR_UNDEF = "odds ratio undefined: no exposed non-cases or no unexposed cases"
N_ZERO_SE = "interval undefined: standard error is 0 (every risk is 0 or 1)"
N_AF_UNDEF = "attributable fraction among the exposed undefined: risk ratio is 0 or undefined"
N_ZERO_MARGIN = ("a row or column total is zero: chi-square and the exact odds "
                 "ratio are undefined (Fisher's p is 1: only one table is possible)")
N_SMALL = "an expected count is below 5: read Fisher's exact test"
N_MH_NONE = "no stratum has two or more sessions"
N_MH_RR_UNDEF = ("Mantel-Haenszel risk ratio undefined: no stratum has unexposed cases "
                 "and exposed sessions")
N_MH_RR_ZERO = "Mantel-Haenszel risk ratio is 0 (no cases among the exposed): interval undefined"
N_MH_OR_UNDEF = ("Mantel-Haenszel odds ratio undefined: no stratum has both exposed "
                 "non-cases and unexposed cases")
N_MH_OR_ZERO = "Mantel-Haenszel odds ratio is 0: interval undefined"
N_MH_CHI_UNDEF = "Mantel-Haenszel chi-square undefined: every stratum has a zero margin"
N_BD_FEW = "Breslow-Day test undefined: fewer than two strata with all four margins non-zero"
N_BD_UNDEF = "Breslow-Day test undefined: pooled odds ratio is 0 or undefined"
N_SKIPPED = "strata with fewer than two sessions were left out"
N_P_BOUND = "Fisher p below 1e-300: reported as that upper bound"

UNDEF3 = (None, None, None)


def wilson(k, n):
    if n == 0:
        return None, None
    lo, hi = proportion_confint(k, n, alpha=ALPHA, method="wilson")
    return float(lo), float(hi)


def poisson_rate(k, hours):
    if hours == 0:
        return UNDEF3
    lo = 0.0 if k == 0 else st.chi2.ppf(ALPHA / 2, 2 * k) / 2
    hi = st.chi2.ppf(1 - ALPHA / 2, 2 * k + 2) / 2
    return k / hours * 1000, lo / hours * 1000, hi / hours * 1000


def log_ci(est, se):
    return (est, est * math.exp(-Z * se), est * math.exp(Z * se))


def two_by_two(a, b, c, d):
    """a exposed cases, b exposed non-cases, c unexposed cases, d unexposed
    non-cases.  Returns a dict of every statistic crampstat reports, None
    where undefined, and the set of notes expected."""
    n1, n0, m1, m0 = a + b, c + d, a + c, b + d
    n = n1 + n0
    r = {"rr": UNDEF3, "or": UNDEF3, "rd": UNDEF3, "af": UNDEF3, "paf": None,
         "chi2": (None, None)}
    notes = set()
    if n1 == 0:
        notes.add(N_NO_EXPOSED)
    if n0 == 0:
        notes.add(N_NO_UNEXPOSED)
    if n1 and n0:
        p1, p0 = a / n1, c / n0
        # risk ratio, Katz interval
        if c == 0:
            notes.add(N_RR_UNDEF)
        elif a == 0:
            r["rr"] = (0.0, None, None)
            notes.add(N_RR_ZERO)
        else:
            se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0) if (b or d) else 0.0
            if se == 0:
                r["rr"] = (p1 / p0, None, None)
                notes.add(N_ZERO_SE)
            else:
                r["rr"] = log_ci(p1 / p0, se)
        # odds ratio, Woolf interval
        if b == 0 or c == 0:
            notes.add(N_OR_UNDEF)
        elif a == 0 or d == 0:
            r["or"] = (0.0, None, None)
            notes.add(N_OR_ZERO)
        else:
            r["or"] = log_ci(a * d / (b * c), math.sqrt(1 / a + 1 / b + 1 / c + 1 / d))
        # risk difference, Wald interval
        se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        if se == 0:
            r["rd"] = (p1 - p0, None, None)
            notes.add(N_ZERO_SE)
        else:
            r["rd"] = (p1 - p0, p1 - p0 - Z * se, p1 - p0 + Z * se)
    # attributable fraction among the exposed: (RR - 1) / RR at RR and its limits
    rr = r["rr"][0]
    if rr is None or rr <= 0:
        notes.add(N_AF_UNDEF)
    else:
        r["af"] = tuple(None if x is None else (x - 1) / x for x in r["rr"])
    # population attributable fraction
    if n == 0:
        notes.add(N_EMPTY)
    elif n0 == 0:
        notes.add(N_NO_UNEXPOSED)
    elif m1 == 0:
        notes.add(N_NO_CASES)
    else:
        pt = m1 / n
        r["paf"] = (pt - c / n0) / pt
    # tests
    if min(n1, n0, m1, m0) == 0:
        notes.add(N_ZERO_MARGIN)
        r["fisher"] = 1.0        # the only table with these margins
    else:
        chi2, p, _, _ = st.chi2_contingency(np.array([[a, b], [c, d]]), correction=False)
        r["chi2"] = (float(chi2), float(p))
        r["fisher"] = float(st.fisher_exact([[a, b], [c, d]], alternative="two-sided")[1])
        if r["fisher"] < 1e-300:   # reported as that bound, with a note
            r["fisher"] = 1e-300
            notes.add(N_P_BOUND)
    # Fisher is the one to read when any expected count is below 5
    r["small"] = n == 0 or min(n1 * m1, n1 * m0, n0 * m1, n0 * m0) / n < 5
    if r["small"]:
        notes.add(N_SMALL)
    r["notes"] = notes
    return r


def stratified(tabs):
    """tabs: {level: (a, b, c, d)}.  MH RR (Greenland-Robins), MH OR (RBG),
    MH chi-square without correction, Breslow-Day without Tarone.  A stratum
    of one session adds nothing to any sum (and 0/0 to the MH variance), so
    strata need two sessions."""
    notes = set()
    used = [t for t in tabs.values() if sum(t) >= 2]
    if len(used) < len(tabs):        # a level with 0 or 1 known sessions
        notes.add(N_SKIPPED)
    bd = [(a, b, c, d) for a, b, c, d in used
          if a + b > 0 and c + d > 0 and a + c > 0 and b + d > 0]
    out = {"used": len(used), "bd_strata": len(bd), "mh_rr": UNDEF3, "mh_or": UNDEF3,
           "mh_chi2": (None, None),
           "bd": (None, len(bd) - 1 if bd else None, None)}
    if not used:
        notes.add(N_MH_NONE)
        notes.add(N_BD_FEW)
        out["notes"] = notes
        return out
    R = S = V = 0.0
    for a, b, c, d in used:
        n1, n0, m1, n = a + b, c + d, a + c, a + b + c + d
        R += a * n0 / n
        S += c * n1 / n
        V += (n1 * n0 * m1 - a * c * n) / n ** 2
    if S == 0:
        notes.add(N_MH_RR_UNDEF)
    elif R == 0:
        out["mh_rr"] = (0.0, None, None)
        notes.add(N_MH_RR_ZERO)
    elif V == 0:
        out["mh_rr"] = (R / S, None, None)
        notes.add(N_ZERO_SE)
    else:
        out["mh_rr"] = log_ci(R / S, math.sqrt(V / (R * S)))
    stt = StratifiedTable([np.array([[a, b], [c, d]], dtype=float) for a, b, c, d in used])
    ad = sum(a * d / (a + b + c + d) for a, b, c, d in used)
    bc = sum(b * c / (a + b + c + d) for a, b, c, d in used)
    if bc == 0:
        notes.add(N_MH_OR_UNDEF)
    elif ad == 0:
        out["mh_or"] = (0.0, None, None)
        notes.add(N_MH_OR_ZERO)
    else:
        lo, hi = stt.oddsratio_pooled_confint(alpha=ALPHA)
        out["mh_or"] = (float(stt.oddsratio_pooled), float(lo), float(hi))
    var = sum((a + b) * (c + d) * (a + c) * (b + d) / ((a + b + c + d) ** 2 *
              (a + b + c + d - 1)) for a, b, c, d in used)
    if var > 0:
        # statsmodels 0.13 returns p = 1 - chi2.cdf(x), which cancels to 0
        # below ~1e-16 (and loses relative accuracy well above that): take
        # its statistic and the survival function instead.
        t = stt.test_null_odds(correction=False)
        out["mh_chi2"] = (float(t.statistic), float(st.chi2.sf(t.statistic, 1)))
    else:
        notes.add(N_MH_CHI_UNDEF)
    if len(bd) < 2:
        notes.add(N_BD_FEW)
    elif out["mh_or"][0] is None or out["mh_or"][0] == 0:
        notes.add(N_BD_UNDEF)
    else:
        sbd = StratifiedTable([np.array([[a, b], [c, d]], dtype=float)
                               for a, b, c, d in bd])
        t = sbd.test_equal_odds(adjust=False)          # same 1 - cdf issue
        out["bd"] = (float(t.statistic), len(bd) - 1,
                     float(st.chi2.sf(t.statistic, len(bd) - 1)))
    out["notes"] = notes
    return out


def logistic(rows):
    """rows: list of (x[6], y).  GLM binomial, Wald intervals.  Aliased
    covariates are dropped as in R's glm (a column that adds no direction
    to the earlier ones goes; its terms are null) and noted.  Returns
    (terms, notes); terms is None where nothing can be compared."""
    if not rows:
        return None, {"empty"}
    X = sm.add_constant(np.array([x for x, _ in rows], dtype=float), has_constant="add")
    y = np.array([1.0 if yy else 0.0 for _, yy in rows])
    keep, notes = [], set()
    for j in range(X.shape[1]):
        if np.linalg.matrix_rank(X[:, keep + [j]]) == len(keep) + 1:
            keep.append(j)
        else:
            notes.add("collinear")
    try:
        res = sm.GLM(y, X[:, keep], family=sm.families.Binomial()).fit(tol=1e-14,
                                                                       maxiter=100)
    except PerfectSeparationError:
        return None, notes | {"separation"}
    mu = res.fittedvalues
    if np.min(mu) < 1e-8 or np.max(mu) > 1 - 1e-8:
        return None, notes | {"separation"}
    terms = []
    for i, name in enumerate(["intercept"] + MAIN_FACTORS):
        if i not in keep:
            terms.append({"term": name, "coefficient": None, "se": None,
                          "odds_ratio": None, "lower": None, "upper": None, "z": None,
                          "p": None})
            continue
        b, se = float(res.params[keep.index(i)]), float(res.bse[keep.index(i)])
        zz = b / se
        terms.append({"term": name, "coefficient": b, "se": se,
                      "odds_ratio": math.exp(b), "lower": math.exp(b - Z * se),
                      "upper": math.exp(b + Z * se), "z": zz,
                      "p": float(2 * st.norm.sf(abs(zz)))})
    return terms, notes


# --------------------------------------------------------- independent side ---


class Truth:
    """Everything computed here without crampstat."""

    def __init__(self, exercise, survey):
        self.sessions, self.ex_rejects, self.ex_rows = parse_exercise(exercise)
        self.waves, self.sv_rejects, self.sv_rows = parse_survey(survey)
        self.joined, self.join_rejects = join(self.sessions, self.waves)
        self.tagged = []
        for s in self.joined:
            f, y, h = tag(s)
            self.tagged.append((s, f, y, h))
        self.known = [t for t in self.tagged if t[2] is not None]
        self.outcome_unknown = len(self.tagged) - len(self.known)

    def factor(self, name):
        r = {"unknown": 0}
        g = {True: [0, 0, 0.0], False: [0, 0, 0.0]}
        for s, f, y, h in self.known:
            e = f[name]
            if e is None:
                r["unknown"] += 1
                continue
            g[e][0] += 1
            g[e][1] += 1 if y else 0
            g[e][2] += h
        for key, e in (("exposed", True), ("unexposed", False)):
            n, k, hours = g[e]
            r[key] = {"sessions": n, "cases": k, "hours": hours,
                      "risk": k / n if n else None,
                      "wilson": wilson(k, n), "rate": poisson_rate(k, hours)}
        a, n1 = g[True][1], g[True][0]
        c, n0 = g[False][1], g[False][0]
        r["table"] = (a, n1 - a, c, n0 - c)
        r.update(two_by_two(*r["table"]))
        for key in ("exposed", "unexposed"):
            if r[key]["sessions"] == 0:
                r["notes"] |= {N_EMPTY, N_NO_TIME}
        return r

    def strata(self, name, by):
        tabs = defaultdict(lambda: [0, 0, 0, 0])
        unknown = defaultdict(int)
        for s, f, y, h in self.known:
            lv = s["sex"] if by == "sex" else age_band(s["age_years"])
            tab = tabs[lv]      # every level among the sessions, even if empty
            e = f[name]
            if e is None:
                unknown[lv] += 1
                continue
            tab[(0 if y else 1) if e else (2 if y else 3)] += 1
        tabs = {k: tuple(v) for k, v in tabs.items()}
        out = stratified(tabs)
        out["tabs"] = tabs
        out["unknown"] = dict(unknown)
        return out

    def logistic(self):
        rows = [([1 if f[m] else 0 for m in MAIN_FACTORS], y)
                for s, f, y, h in self.known if all(f[m] is not None for m in MAIN_FACTORS)]
        return len(rows), logistic(rows)


# ------------------------------------------------------------ crampstat side ---


def run_chain(tmpdir, exercise, survey):
    """ingest | join | tag into a temporary file; returns the stderr lines."""
    tagged = os.path.join(tmpdir, "tagged.csv")
    with open(tagged, "wb") as out:
        p1 = subprocess.Popen([CRAMPSTAT, "ingest", "--schema", "exercise", exercise],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p2 = subprocess.Popen([CRAMPSTAT, "join", "--survey", survey],
                              stdin=p1.stdout, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        p1.stdout.close()
        p3 = subprocess.Popen([CRAMPSTAT, "tag"], stdin=p2.stdout, stdout=out,
                              stderr=subprocess.PIPE)
        p2.stdout.close()
        e3 = p3.communicate()[1]
        e2 = p2.communicate()[1]
        e1 = p1.communicate()[1]
    codes = (p1.returncode, p2.returncode, p3.returncode)
    err = (e1 + e2 + e3).decode("utf-8", "replace")
    return tagged, codes, err


def aggregate(tagged, *args):
    p = subprocess.run([CRAMPSTAT, "aggregate", *args, tagged],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def summary_numbers(err, pattern):
    m = re.search(pattern, err)
    return tuple(int(x) for x in m.groups()) if m else None


# ----------------------------------------------------------------- compare ---


def check_notes(g, what, expected, got):
    """Every expected note and no other, each once."""
    good = isinstance(got, list) and len(got) == len(set(got)) and set(got) == expected
    return g.ok(good, "%s: expected %r, got %r" % (what, sorted(expected), got))


def cmp_interval(g, what, exp3, got, rtol=RTOL, atol=0.0, keys=("estimate", "lower", "upper")):
    if not g.ok(isinstance(got, dict) and all(k in got for k in keys),
                "%s: missing keys in %r" % (what, got)):
        return
    for k, e in zip(keys, exp3):
        g.num("%s.%s" % (what, k), e, got[k], rtol=rtol, atol=atol)


def check_factors(ck, truth, J, label):
    facs = J.get("factors", [])
    g = ck.group("%s: factor list and order" % label)
    g.equal("factor names", FACTORS, [f.get("factor") for f in facs])
    g.done()
    got = {f.get("factor"): f for f in facs}
    exp = {name: truth.factor(name) for name in FACTORS}
    for name in FACTORS:
        F, E = got.get(name, {}), exp[name]
        g = ck.group("%s: %s" % (label, name))
        g.count("unknown", E["unknown"], F.get("unknown"))
        for side in ("exposed", "unexposed"):
            Fs, Es = F.get(side, {}), E[side]
            g.count(side + ".sessions", Es["sessions"], Fs.get("sessions"))
            g.count(side + ".cases", Es["cases"], Fs.get("cases"))
            g.num(side + ".hours", Es["hours"], Fs.get("hours"))
            cmp_interval(g, side + ".risk", (Es["risk"],) + Es["wilson"], Fs.get("risk"),
                         atol=ATOL)
            cmp_interval(g, side + ".rate_per_1000h", Es["rate"], Fs.get("rate_per_1000h"),
                         atol=ATOL)
        # share exposed, as reported
        ne = F.get("exposed", {}).get("sessions")
        nu = F.get("unexposed", {}).get("sessions")
        if isinstance(ne, int) and isinstance(nu, int) and ne + nu > 0:
            g.num("share exposed", E["exposed"]["sessions"] /
                  (E["exposed"]["sessions"] + E["unexposed"]["sessions"]), ne / (ne + nu))
        else:
            g.ok(False, "share exposed: no counts")
        cmp_interval(g, "risk_ratio", E["rr"], F.get("risk_ratio"))
        cmp_interval(g, "odds_ratio", E["or"], F.get("odds_ratio"))
        cmp_interval(g, "risk_difference", E["rd"], F.get("risk_difference"), atol=ATOL)
        cmp_interval(g, "chi2", E["chi2"], F.get("chi2"), keys=("statistic", "p"))
        g.num("fisher_p", E["fisher"], F.get("fisher_p"), rtol=RTOL_FISHER)
        g.num("af_exposed", E["af"][0], F.get("af_exposed"), atol=ATOL)
        g.num("paf", E["paf"], F.get("paf"), atol=ATOL)
        # "read Fisher" where any expected count is below 5
        g.equal("read_fisher", E["small"], F.get("read_fisher"))
        check_notes(g, "notes", E["notes"], F.get("notes"))
        g.done()
    return exp


def check_stratified(ck, truth, J, label, by):
    strat = J.get("stratified") or []
    g = ck.group("%s: stratified list (by %s)" % (label, by))
    g.equal("stratified factors", FACTORS, [s.get("factor") for s in strat])
    g.done()
    got = {s.get("factor"): s for s in strat}
    for name in FACTORS:
        S = got.get(name, {})
        E = truth.strata(name, by)
        g = ck.group("%s: %s by %s" % (label, name, by))
        g.equal("by", by, S.get("by"))
        levels = {x.get("level"): x for x in S.get("strata", [])}
        g.equal("levels", sorted(E["tabs"]), sorted(levels))
        for lv, t in sorted(E["tabs"].items()):
            x = levels.get(lv, {})
            for key, v in zip("abcd", t):
                g.count("%s %s" % (lv, key), v, x.get(key))
            g.count("%s unknown" % lv, E["unknown"].get(lv, 0), x.get("unknown"))
        g.count("strata_used", E["used"], S.get("strata_used"))
        g.count("strata_breslow_day", E["bd_strata"], S.get("strata_breslow_day"))
        cmp_interval(g, "mh_risk_ratio", E["mh_rr"], S.get("mh_risk_ratio"))
        cmp_interval(g, "mh_odds_ratio", E["mh_or"], S.get("mh_odds_ratio"))
        cmp_interval(g, "mh_chi2", E["mh_chi2"], S.get("mh_chi2"), keys=("statistic", "p"))
        bd = S.get("breslow_day", {}) or {}
        g.num("breslow_day.statistic", E["bd"][0], bd.get("statistic"))
        if E["bd"][1] is None:
            g.equal("breslow_day.df", None, bd.get("df"))
        else:
            g.count("breslow_day.df", E["bd"][1], bd.get("df"))
        g.num("breslow_day.p", E["bd"][2], bd.get("p"))
        check_notes(g, "notes", E["notes"], S.get("notes"))
        g.done()


LOGIT_NOTE_WORDS = {"separation": "separation", "collinear": "collinear",
                    "empty": "no observations"}


LOGIT_NOTES = {
    "separation": "logistic regression: fitted probabilities reached 0 or 1 "
                  "(separation); coefficients are not estimates",
    "collinear": "logistic regression: collinear covariates were dropped",
    "empty": N_EMPTY}


def check_logistic(ck, truth, J, label):
    n, (terms, why) = truth.logistic()
    L = J.get("logistic") or {}
    g = ck.group("%s: logistic regression" % label)
    g.count("sessions (all six factors and outcome known)", n, L.get("sessions"))
    got = L.get("terms", [])
    check_notes(g, "notes", {LOGIT_NOTES[w] for w in why}, L.get("notes"))
    if terms is None:
        g.done()            # nothing to estimate: the note is the check
        return None
    g.equal("converged", True, L.get("converged"))
    g.equal("terms", [t["term"] for t in terms], [t.get("term") for t in got])
    for e, x in zip(terms, got):
        for k in ("coefficient", "se", "odds_ratio", "lower", "upper"):
            g.num("%s.%s" % (e["term"], k), e[k], x.get(k), rtol=RTOL_LOGIT)
        # p is a steep function of z (d log p / d log z ~ z^2): a 1e-8 relative
        # difference in the converged z moves p by ~z^2 * 1e-8.  Compare p on
        # the scale of z: the z that crampstat's p implies must match ours.
        px = x.get("p")
        if e["p"] is None:
            g.equal("%s.p" % e["term"], None, px)
        elif isinstance(px, (int, float)) and px > 0 and e["p"] > 0:
            g.num("%s.p (as z)" % e["term"], abs(e["z"]), float(st.norm.isf(px / 2)),
                  rtol=RTOL_LOGIT)
        else:
            # both underflow to 0 only where |z| is huge
            g.ok(px == 0 and e["p"] < 1e-300, "%s.p: expected %r, got %r" %
                 (e["term"], e["p"], px))
    g.done()
    return terms


def check_meta(ck, truth, J, label, by):
    M = J.get("meta", {})
    g = ck.group("%s: meta (by %s)" % (label, by))
    g.count("sessions", len(truth.tagged), M.get("sessions"))
    g.count("sessions_used", len(truth.known), M.get("sessions_used"))
    g.count("outcome_unknown", truth.outcome_unknown, M.get("outcome_unknown"))
    g.num("level", LEVEL, M.get("level"))
    g.equal("by", by, M.get("by"))
    g.done()


# CSV report: which JSON value each CSV cell must equal.
def cell(v):
    try:
        return None if v == "" else float(v)
    except ValueError:
        return v


def check_csv_vs_json(ck, J, text, exp_factors, name):
    rows = list(csv.DictReader(io.StringIO(text)))
    g = ck.group("%s: csv vs json, every number" % name)
    seen = set()

    def same(what, csv_cell, jval):
        if jval is None:
            # JSON has no infinity: report.c writes null for every non-finite
            # value, the CSV writes inf (a Wald limit under separation)
            return g.ok(csv_cell in ("", "inf", "-inf"),
                        "%s: csv %r, json null" % (what, csv_cell))
        if isinstance(jval, int) and not isinstance(jval, bool):
            return g.ok(csv_cell == str(jval), "%s: csv %r, json %r" % (what, csv_cell, jval))
        try:
            v = float(csv_cell)
        except ValueError:
            return g.ok(False, "%s: csv %r, json %r" % (what, csv_cell, jval))
        return g.ok(v == jval, "%s: csv %r, json %r" % (what, csv_cell, jval))

    facs = {f["factor"]: f for f in J.get("factors", [])}
    strat = {s["factor"]: s for s in J.get("stratified") or []}
    by = J["meta"].get("by")
    logit = {t["term"]: t for t in J.get("logistic", {}).get("terms", [])}
    lsessions = J.get("logistic", {}).get("sessions")
    for r in rows:
        sec, fac, grp, meas = r["section"], r["factor"], r["group"], r["measure"]
        key = (sec, fac, grp, meas)
        g.ok(key not in seen, "duplicate csv row %r" % (key,))
        seen.add(key)
        w = "%s/%s/%s/%s" % key
        if sec == "group":
            F = facs.get(fac, {})
            G = F.get(grp, {})
            same(w + " unknown", r["unknown"], F.get("unknown"))
            for c in ("sessions", "cases", "hours"):
                same(w + " " + c, r[c], G.get(c))
            for c, (o, k) in {"risk": ("risk", "estimate"), "risk_lower": ("risk", "lower"),
                              "risk_upper": ("risk", "upper"),
                              "rate_per_1000h": ("rate_per_1000h", "estimate"),
                              "rate_lower": ("rate_per_1000h", "lower"),
                              "rate_upper": ("rate_per_1000h", "upper")}.items():
                same(w + " " + c, r[c], G.get(o, {}).get(k))
        elif sec == "comparison":
            F = facs.get(fac, {})
            if meas in ("risk_ratio", "odds_ratio", "risk_difference", "rate_ratio"):
                for c in ("estimate", "lower", "upper"):
                    same(w + " " + c, r[c], F.get(meas, {}).get(c))
            elif meas == "af_exposed":
                same(w + " estimate", r["estimate"], F.get("af_exposed"))
                # the interval is not in the JSON: it must be (RR-1)/RR at
                # the Katz limits, recomputed independently
                e = exp_factors[fac]["af"]
                g.num(w + " lower (independent)", e[1], cell(r["lower"]), atol=ATOL)
                g.num(w + " upper (independent)", e[2], cell(r["upper"]), atol=ATOL)
            elif meas == "paf":
                same(w + " estimate", r["estimate"], F.get("paf"))
                for c in ("lower", "upper"):
                    same(w + " " + c, r[c], F.get("paf_interval", {}).get(c))
                # the epi measures' notes sit on this row
                g.equal(w + " notes", "; ".join(F.get("epi_notes", [])), r["notes"])
            elif meas in ("attributable_risk_population", "exact_odds_ratio",
                          "attributable_rate_per_1000h", "af_exposed_rate",
                          "attributable_rate_population_per_1000h", "paf_rate", "nnt"):
                for c in ("estimate", "lower", "upper"):
                    same(w + " " + c, r[c], F.get(meas, {}).get(c))
                if meas == "nnt":
                    g.equal(w + " kind", F.get("nnt", {}).get("kind") or "", grp)
            else:
                g.ok(False, "unknown comparison row " + w)
        elif sec == "test":
            F = facs.get(fac, {})
            if meas == "chi2":
                same(w + " statistic", r["statistic"], F.get("chi2", {}).get("statistic"))
                same(w + " p", r["p"], F.get("chi2", {}).get("p"))
            elif meas == "fisher_exact":
                same(w + " p", r["p"], F.get("fisher_p"))
                # the factor's notes sit on this row
                g.equal(w + " notes", "; ".join(F.get("notes", [])), r["notes"])
            else:
                g.ok(False, "unknown test row " + w)
        elif sec == "stratum":
            S = strat.get(fac, {})
            lv = grp.split("=", 1)[1] if grp.startswith(by + "=") else None
            x = {s["level"]: s for s in S.get("strata", [])}.get(lv)
            if g.ok(x is not None, "stratum row for unknown level " + w) and meas == "":
                same(w + " unknown", r["unknown"], x["unknown"])
                same(w + " sessions", r["sessions"], x["a"] + x["b"] + x["c"] + x["d"])
                same(w + " cases", r["cases"], x["a"] + x["c"])
            elif x is not None and g.ok(meas in ("risk_ratio", "odds_ratio", "risk_difference"),
                                        "unknown stratum row " + w):
                for c in ("estimate", "lower", "upper"):
                    same(w + " " + c, r[c], x.get(meas, {}).get(c))
                if meas == "risk_ratio":
                    g.equal(w + " notes", "; ".join(x.get("epi_notes", [])), r["notes"])
        elif sec == "stratified":
            S = strat.get(fac, {})
            g.equal(w + " group", by, grp)
            if meas in ("mh_risk_ratio", "mh_odds_ratio"):
                for c in ("estimate", "lower", "upper"):
                    same(w + " " + c, r[c], S.get(meas, {}).get(c))
            elif meas in ("mh_chi2", "breslow_day"):
                same(w + " statistic", r["statistic"], S.get(meas, {}).get("statistic"))
                same(w + " p", r["p"], S.get(meas, {}).get("p"))
                if meas == "breslow_day":
                    g.equal(w + " notes", "; ".join(S.get("notes", [])), r["notes"])
            elif meas in ("mh_risk_difference", "mh_risk_difference_sato"):
                for c in ("estimate", "lower", "upper"):
                    same(w + " " + c, r[c], S.get(meas, {}).get(c))
            elif meas in ("crude_to_adjusted_risk_ratio", "crude_to_adjusted_odds_ratio"):
                same(w + " estimate", r["estimate"],
                     S.get("crude_to_adjusted", {}).get(meas[len("crude_to_adjusted_"):]))
            elif meas in ("woolf_risk_ratio", "woolf_odds_ratio"):
                W = S.get("woolf_homogeneity", {}).get(meas[len("woolf_"):], {})
                same(w + " statistic", r["statistic"], W.get("statistic"))
                same(w + " p", r["p"], W.get("p"))
                if meas == "woolf_odds_ratio":
                    g.equal(w + " notes", "; ".join(S.get("epi_notes", [])), r["notes"])
            else:
                g.ok(False, "unknown stratified row " + w)
        elif sec == "logistic":
            t = logit.get(fac)
            if g.ok(t is not None, "logistic row for unknown term " + w):
                same(w + " sessions", r["sessions"], lsessions)
                for c in ("estimate", "lower", "upper", "p"):
                    same(w + " " + c, r[c], t["odds_ratio" if c == "estimate" else c])
                # statistic is the Wald z = coefficient / se
                z = (None if t["coefficient"] is None or not t["se"]
                     else t["coefficient"] / t["se"])
                g.num(w + " z", z, cell(r["statistic"]))
        elif sec == "cluster_robust":
            F = facs.get(fac, {})
            R = F.get("cluster_robust") or {}
            if meas == "participants":
                same(w + " estimate", r["estimate"], (F.get("participants") or {}).get(grp))
            elif meas == "design_effect":
                same(w + " estimate", r["estimate"], R.get("design_effect"))
                g.equal(w + " notes", "; ".join(R.get("notes", [])), r["notes"])
            elif g.ok(meas in R, "unknown cluster_robust row " + w):
                for c in ("estimate", "lower", "upper"):
                    same(w + " " + c, r[c], R[meas].get(c))
        elif sec in ("logistic_robust", "poisson", "poisson_robust"):
            model = J.get("logistic" if sec == "logistic_robust" else "poisson", {})
            est = {t["term"]: t for t in model.get("terms", [])}.get(fac)
            terms = (model.get("cluster_robust") or {}).get("terms", []) \
                if sec != "poisson" else model.get("terms", [])
            t = {x["term"]: x for x in terms}.get(fac)
            if g.ok(t is not None and est is not None, "row for unknown term " + w):
                same(w + " estimate", r["estimate"],
                     est["odds_ratio" if sec == "logistic_robust" else "rate_ratio"])
                for c in ("lower", "upper", "p"):
                    same(w + " " + c, r[c], t[c])
        else:
            g.ok(False, "unknown csv section " + w)
    # completeness: every JSON item has its CSV row
    expect = set()
    for f in FACTORS:
        expect |= {("group", f, "exposed", ""), ("group", f, "unexposed", ""),
                   ("comparison", f, "", "risk_ratio"), ("comparison", f, "", "odds_ratio"),
                   ("comparison", f, "", "risk_difference"),
                   ("comparison", f, "", "af_exposed"), ("comparison", f, "", "paf"),
                   ("test", f, "", "chi2"), ("test", f, "", "fisher_exact")}
        expect |= {("comparison", f, "", m) for m in
                   ("attributable_risk_population", "exact_odds_ratio",
                    "attributable_rate_per_1000h", "af_exposed_rate",
                    "attributable_rate_population_per_1000h", "paf_rate")}
        expect.add(("comparison", f, facs.get(f, {}).get("nnt", {}).get("kind") or "", "nnt"))
        if by:
            expect |= {("stratified", f, by, m) for m in
                       ("mh_risk_ratio", "mh_odds_ratio", "mh_chi2", "breslow_day",
                        "mh_risk_difference", "mh_risk_difference_sato",
                        "crude_to_adjusted_risk_ratio", "crude_to_adjusted_odds_ratio",
                        "woolf_risk_ratio", "woolf_odds_ratio")}
            expect |= {("stratum", f, "%s=%s" % (by, s["level"]), m)
                       for s in strat.get(f, {}).get("strata", [])
                       for m in ("", "risk_ratio", "odds_ratio", "risk_difference")}
    expect |= {("logistic", t, "", "adjusted_odds_ratio") for t in logit}
    if J.get("clusters"):
        # clustered (the default): the robust rows and the Poisson model
        for f in FACTORS:
            expect |= {("comparison", f, "", "rate_ratio"),
                       ("cluster_robust", f, "exposed", "participants"),
                       ("cluster_robust", f, "unexposed", "participants")}
            expect |= {("cluster_robust", f, "", m) for m in
                       ("risk_ratio", "odds_ratio", "risk_difference", "rate_ratio",
                        "exposed_risk", "unexposed_risk", "af_exposed", "paf",
                        "design_effect")}
        expect |= {("logistic_robust", t, "", "adjusted_odds_ratio") for t in logit}
        pois = {t["term"] for t in J.get("poisson", {}).get("terms", [])}
        expect |= {(sec, t, "", "adjusted_rate_ratio") for t in pois
                   for sec in ("poisson", "poisson_robust")}
    ok_rows = g.ok(sorted(expect) == sorted(seen), "csv rows present: %d missing, %d extra"
                   % (len(expect - seen), len(seen - expect)))
    if not ok_rows:
        print("  missing:", sorted(expect - seen)[:5], "extra:", sorted(seen - expect)[:5])
    g.done()


# -------------------------------------------------------------------- main ---


# ------------------------------------------------------- crafted data set ---
# The sample data is clean and large.  This small data set adds what it does
# not exercise: invalid rows on both files, the join rule's edges (before
# the first wave, offsets that move the UTC day), every three-valued branch
# of section 5, boolean spellings, outcome unknown, zero cells and empty
# groups, single-session strata, and group counts in the thousands (exact
# Poisson limits for k of 2313 cases).

SV_ORDER = ["survey_date", "participant_id", "sex", "age_years", "height_ft", "height_in",
            "weight_lb", "activity_level", "conditioning", "seasonal_sport",
            "stretch_routine", "conditions", "calorie_goal", "calcium_mg", "potassium_mg",
            "comment"]
EX_ORDER = EX_COLS + ["device"]


def write_crafted(tmp):
    def wave(pid, date, sex, age, level, cond, seasonal, conditions, ca, k,
             goal="Maintain my current weight", ft="5", inch="6", lb="150"):
        return {"survey_date": date, "participant_id": pid, "sex": sex, "age_years": age,
                "height_ft": ft, "height_in": inch, "weight_lb": lb,
                "activity_level": level, "conditioning": cond, "seasonal_sport": seasonal,
                "stretch_routine": "no", "conditions": conditions, "calorie_goal": goal,
                "calcium_mg": ca, "potassium_mg": k, "comment": "x, \"quoted\""}

    sv = [
        # bulk: unexposed to every factor
        wave("PB1", "2024-01-01", "F", "30", "active", "trained", "no", "", "1000", "3000"),
        wave("PB2", "2024-01-01", "male", "40", "moderate", "recreational", "No", "",
             "900", "2500", goal="-1"),
        # exposed to every main factor (and thyroid_disease / pregnancy)
        wave("PX1", "2024-01-01", "f", "22", "sedentary", "unconditioned", "yes",
             "thyroid_disease;pregnancy", "500", "1500", goal="Gain 0.5 pound per week"),
        wave("PX2", "2024-01-01", "M", "65", "sedentary", "unconditioned", "TRUE",
             "thyroid_disease", "600", "1800", goal="Lose 2 pounds per week"),
        # join rule: three waves
        wave("PJ", "2024-03-01", "F", "20", "light", "recreational", "no", "NA", "NA", "NA"),
        wave("PJ", "2024-06-01", "F", "21", "sedentary", "unconditioned", "no",
             "disc_injury", "650", "NA"),
        wave("PJ", "2024-09-01", "F", "21", "very_active", "trained", "yes", "", "800", "2100"),
        # the only 10-17 participant, with one session: a one-session stratum
        wave("PS", "2024-01-01", "M", "12", "light", "trained", "no", "NA", "800", "2100"),
        # conditions unknown for a man: pregnancy is still known (0)
        wave("PM", "2024-01-01", "M", "70", "light", "recreational", "no", "N/A", "NA", "1500"),
        # three-valued edges
        wave("PE", "2024-01-01", "F", "50", "light", "unconditioned", "no",
             "kidney_disease;alcoholism", "NA", "2500"),
        wave("PE2", "2024-01-01", "M", "45", "light", "trained", "no", "parkinsons",
             "800", "NA"),
        wave("PE3", "2024-01-01", "F", "18", "light", "trained", "no", "NA", "NA", "NA"),
        # a mixed population for the logistic model
        wave("PR", "2024-01-01", "M", "29", "light", "recreational", "yes", "",
             "750", "2100"),
        # invalid survey rows (each rejected)
        wave("PBAD", "2024-01-01", "M", "40", "light", "trained", "no", "pregnancy",
             "800", "2100"),
        wave("PBAD", "2024-01-01", "F", "9", "light", "trained", "no", "", "800", "2100"),
        wave("PBAD", "2024-01-01", "X", "40", "light", "trained", "no", "", "800", "2100"),
        wave("PBAD", "2024-01-01", "F", "40", "light", "trained", "no", "", "800", "2100",
             inch="12"),
        wave("PBAD", "2024-01-01", "F", "40", "light", "trained", "no", "", "800", "2100",
             lb="49"),
        wave("PBAD", "2023-02-29", "F", "40", "light", "trained", "no", "", "800", "2100"),
        wave("PBAD", "2024-01-01", "F", "40", "light", "trained", "no", "", "800", "2100",
             goal="3"),
        wave("PBAD", "2024-01-01", "F", "40", "light", "trained", "no", "", "800", "2100",
             goal="Lose 3 pounds per week"),
        wave("PBAD", "2024-01-01", "F", "40", "extreme", "trained", "no", "", "800", "2100"),
        wave("PBAD", "2024-01-01", "F", "40", "light", "trained", "no", "flu", "800", "2100"),
        wave("PBAD", "2024-01-01", "F", "40", "light", "trained", "no", "", "10001", "2100"),
    ]
    ex = []
    seq = [0]

    def sess(pid, start="2024-05-01T10:00:00", dur="60", rpe="5", t="15", rh="50",
             fluid="1000", warm="10", stretched="yes", cramp="no", muscle="", sid=None):
        seq[0] += 1
        ex.append({"participant_id": pid, "session_id": sid or "C%06d" % seq[0],
                   "start_time": start, "activity": "running", "duration_min": dur,
                   "intensity_rpe": rpe, "temp_c": t, "humidity_pct": rh, "fluid_ml": fluid,
                   "warmup_min": warm, "stretched": stretched, "cramp": cramp,
                   "cramp_muscle": muscle, "device": "w"})

    for pid, cases, noncases in (("PB1", 1200, 1000), ("PB2", 1000, 1000)):
        for i in range(cases):
            sess(pid, cramp="yes", muscle="hamstring")
        for i in range(noncases):
            sess(pid)
    for pid in ("PX1", "PX2"):
        for i in range(25):
            sess(pid, rpe="8", t="38", rh="60", fluid="50", warm="0", stretched="no",
                 cramp="yes" if i % 5 == 0 else "no", muscle="hamstring" if i % 5 == 0 else "")
    # join rule
    starts = ("2024-02-15T08:00:00", "2024-06-01T01:00:00+05:00",
              "2024-05-31T23:30:00-05:00", "2024-06-01", "2024-12-31T10:00Z",
              "2024-09-01T00:00", "2024-08-31T23:59:59", "2024-03-01T00:30:00+01:00")
    for i, start in enumerate(starts):
        # a different number of cases per start time: a session joined to
        # the wrong wave changes the counts
        for j in range(i + 1):
            sess("PJ", start=start, warm="2", stretched="NA", cramp="yes",
                 muscle="hamstring")
        sess("PJ", start=start)
    sess("PS", cramp="yes", muscle="hamstring")
    # a man with conditions NA
    for i in range(6):
        sess("PM", cramp="yes" if i < 2 else "no", muscle="hamstring" if i < 2 else "")
    sess("PM", dur="90", rpe="7")        # long and hard: fatigue
    sess("PM", dur="89", rpe="7")        # not long enough
    sess("PM", dur="90", rpe="6")        # not hard enough
    # three-valued edges (PE is light: tightness depends on stretched/warmup)
    edges = [
        dict(stretched="NA", warm="2"), dict(stretched="", warm="10"),
        dict(stretched="yes", warm="NA"), dict(stretched="no", warm="N/A"),
        dict(stretched="N", warm="0"), dict(stretched="TRUE", warm="0"),
        dict(stretched="0", warm="4.9"), dict(stretched="n", warm="5"),
        dict(t="45", rh="NA"), dict(t="20", rh=""), dict(t="31", rh="NA"),
        dict(t="NA", rh="50"), dict(t="NA", rh="NA"), dict(t="35", rh="10"),
        dict(t="28", rh="90"), dict(t="33", rh="40"), dict(t="27", rh="100"),
        dict(t="60", rh="0"), dict(t="-40", rh="100"), dict(t="29.5", rh="NA"),
        dict(dur="20", fluid="NA"), dict(dur="60", fluid="NA"), dict(dur="30", fluid="200"),
        dict(dur="30", fluid="199"), dict(dur="29.9", fluid="0"), dict(dur="1440", fluid="0"),
        dict(dur="33", fluid="220"),
        dict(dur="0.5", fluid="10000"),
        dict(cramp="yes", muscle="NA"), dict(cramp="yes", muscle=""),
        dict(cramp="Yes", muscle="calf"), dict(cramp="YES", muscle="Hamstring"),
        dict(cramp="1", muscle="hamstring"), dict(cramp="true", muscle="other"),
    ]
    for pid in ("PE", "PE2", "PE3"):
        for i, e in enumerate(edges):
            kw = dict(e)
            if "cramp" not in kw and i % 3 == 0:
                kw.update(cramp="y", muscle="hamstring")
            sess(pid, **kw)
    # mixed population: factors vary with i, outcome by a fixed pattern
    for i in range(600):
        sess("PR", dur=str(20 + (i * 7) % 100), rpe=str(1 + (i * 3) % 10),
             t=str(10 + (i * 11) % 30), rh=str((i * 13) % 101),
             fluid=str((i * 37) % 1500), warm=str((i * 5) % 12),
             stretched=("yes", "no")[(i // 3) % 2],
             cramp="yes" if (i * 17) % 11 < 2 else "no",
             muscle="hamstring" if (i * 17) % 11 < 2 else "")
    # invalid exercise rows (each rejected by ingest) and a join reject
    bad = [dict(dur="0"), dict(dur="1441"), dict(rpe="11"), dict(rpe="0"), dict(rpe="5.5"),
           dict(t="61"), dict(t="-41"), dict(rh="101"), dict(fluid="-1"), dict(warm="241"),
           dict(start="2024-02-30T10:00"), dict(start="2024-06-01T24:00"),
           dict(start="2024-06-01T10:60"), dict(start="20240601"),
           dict(cramp="maybe"), dict(cramp=""), dict(cramp="NA"),
           dict(cramp="no", muscle="hamstring"), dict(cramp="yes", muscle="neck"),
           dict(stretched="perhaps"), dict(dur="abc")]
    for kw in bad:
        sess("PR", **kw)
    sess("PR", sid="C000001")            # duplicate session id
    sess("", )                           # empty participant id
    sess("PNONE")                        # no survey row: rejected by join
    sess("PBAD")                         # only invalid survey rows: rejected by join

    def write(path, cols, rows):
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([r[c] for c in cols])
        with gzip.open(path, "wb") as f:
            f.write(buf.getvalue().encode("utf-8"))

    exf = os.path.join(tmp, "crafted_exercise.csv.gz")
    svf = os.path.join(tmp, "crafted_survey.csv.gz")
    write(exf, EX_ORDER, ex)
    write(svf, SV_ORDER, sv)
    return exf, svf


def check_options(ck, name, tagged, exp, J):
    """--ci exact (Clopper-Pearson risk interval) and --yates: only those
    numbers change; everything else must equal the default run."""
    rc, out, e = aggregate(tagged, "--by", "sex", "--ci", "exact", "--yates",
                           "--format", "json")
    g = ck.group("%s: --ci exact --yates" % name)
    g.equal("exit code", 0, rc)
    try:
        X = json.loads(out)
    except ValueError as ex:
        g.ok(False, "JSON does not parse: %s" % ex)
        g.done()
        return
    got = {f.get("factor"): f for f in X.get("factors", [])}
    base = {f.get("factor"): f for f in J.get("factors", [])}
    g.equal("factor names", FACTORS, [f.get("factor") for f in X.get("factors", [])])
    for name_f in FACTORS:
        F, B, E = got.get(name_f, {}), base.get(name_f, {}), exp[name_f]
        for side in ("exposed", "unexposed"):
            k, n = E[side]["cases"], E[side]["sessions"]
            if n == 0:
                cp = UNDEF3
            else:
                cp = (k / n,
                      0.0 if k == 0 else float(st.beta.ppf(ALPHA / 2, k, n - k + 1)),
                      1.0 if k == n else float(st.beta.isf(ALPHA / 2, k + 1, n - k)))
            cmp_interval(g, "%s %s.risk (Clopper-Pearson)" % (name_f, side), cp,
                         F.get(side, {}).get("risk"), atol=ATOL)
        a, b, c, d = E["table"]
        if min(a + b, c + d, a + c, b + d) == 0:
            yates = (None, None)
        else:
            x2, p, _, _ = st.chi2_contingency(np.array([[a, b], [c, d]]), correction=True)
            yates = (float(x2), float(p))
        cmp_interval(g, name_f + " chi2 (Yates)", yates, F.get("chi2"),
                     keys=("statistic", "p"))
        for key in ("risk_ratio", "odds_ratio", "risk_difference", "fisher_p",
                    "af_exposed", "paf"):
            g.equal("%s %s as without the options" % (name_f, key), B.get(key), F.get(key))
    g.equal("stratified as without the options", J.get("stratified"), X.get("stratified"))
    g.equal("logistic as without the options", J.get("logistic"), X.get("logistic"))
    g.done()


def check_dataset(ck, name, exercise, survey, tmp):
    truth = Truth(exercise, survey)
    tagged, codes, err = run_chain(tmp, exercise, survey)
    g = ck.group("%s: chain exit codes and row counts" % name)
    g.equal("ingest|join|tag exit codes", (0, 0, 0), codes)
    g.equal("exercise rows read/accepted/rejected",
            (truth.ex_rows, len(truth.sessions), truth.ex_rejects),
            summary_numbers(err, r"ingest: .*?: (\d+) rows read, (\d+) accepted, "
                            r"(\d+) rejected"))
    g.equal("survey rows read/accepted/rejected",
            (truth.sv_rows, len(truth.waves), truth.sv_rejects),
            summary_numbers(err, r"join: .*?: (\d+) rows read, (\d+) accepted, "
                            r"(\d+) rejected"))
    g.equal("sessions in/joined/rejected",
            (len(truth.sessions), len(truth.joined), truth.join_rejects),
            summary_numbers(err, r"join: (\d+) sessions in, (\d+) joined, "
                            r"(\d+) rejected"))
    g.equal("tag rows in/tagged/rejected",
            (len(truth.joined), len(truth.joined), 0),
            summary_numbers(err, r"tag: (\d+) rows in, (\d+) tagged, (\d+) rejected"))
    g.done()

    runs = {}
    for by in ("sex", "age_band"):
        rc, out, e = aggregate(tagged, "--by", by, "--format", "json")
        g = ck.group("%s: aggregate --by %s --format json runs" % (name, by))
        g.equal("exit code", 0, rc)
        try:
            runs[by] = json.loads(out)
            g.ok(True, "")
        except ValueError as ex:
            runs[by] = {}
            g.ok(False, "JSON does not parse: %s" % ex)
        g.done()

    J = runs["sex"]
    check_meta(ck, truth, J, name, "sex")
    exp = check_factors(ck, truth, J, name)
    check_stratified(ck, truth, J, name, "sex")
    check_logistic(ck, truth, J, name)

    # the age-band run: the same per-factor numbers, five strata
    JA = runs["age_band"]
    g = ck.group("%s: by age_band, factors and logistic as by sex" % name)
    g.equal("factors", J.get("factors"), JA.get("factors"))
    g.equal("logistic", J.get("logistic"), JA.get("logistic"))
    g.done()
    check_stratified(ck, truth, JA, name, "age_band")

    rc, out, e = aggregate(tagged, "--by", "sex", "--format", "csv")
    g = ck.group("%s: aggregate --by sex --format csv runs" % name)
    g.equal("exit code", 0, rc)
    g.done()
    check_csv_vs_json(ck, J, out, exp, name)
    if name == "sample":
        check_options(ck, name, tagged, exp, J)


def main():
    t0 = time.time()
    if not os.access(CRAMPSTAT, os.X_OK):
        print("crosscheck: CRAMPSTAT=%s is not an executable file" % CRAMPSTAT)
        print("0 passed, 1 failed")
        return 1
    for path in (EXERCISE, SURVEY):
        if not os.path.isfile(path):
            print("crosscheck: input %s not found (CS_SRC=%s)" % (path, CS_SRC))
            print("0 passed, 1 failed")
            return 1
    ck = Checker()
    with tempfile.TemporaryDirectory(prefix="crosscheck.") as tmp:
        check_dataset(ck, "sample", EXERCISE, SURVEY, tmp)
        if "CS_EXERCISE" not in os.environ:
            ex, sv = write_crafted(tmp)
            check_dataset(ck, "crafted", ex, sv, tmp)
    print("# run time %.1f s" % (time.time() - t0))
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.exit(main())
