#!/usr/bin/env python3
"""Check an HTML report of `crampstat analyze --format html` against the
JSON report of the same run (`--format json`), and its arithmetic against
a second computation from the counts the page shows.

    check_page.py PAGE.html REPORT.json robust|none

Prints one line per check: "ok: NAME" or "FAIL: NAME: why", and exits
non-zero when the page cannot be checked at all (the caller counts that
as a failure). Made for a report with data: fitted models, a cramp link,
finite ratios (JSON's null cannot tell the page's "inf" from "-"). Only the standard library: html.parser, json, math."""
import json
import math
import re
import sys
from html.parser import HTMLParser

page_path, json_path, mode = sys.argv[1:4]
robust = mode == "robust"
results = []


def check(name, cond, why=""):
    results.append((name, bool(cond), why))


class Page(HTMLParser):
    """Tables (id, caption, rows of attributes and cell texts), SVGs (their
    children in order, title and desc text), h2 sections' text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.svgs, self.sections = [], [], []
        self.stack = []
        self.cell = None
        self.svg = None
        self.svg_text = None
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "h2":
            self.sections.append({"title": "", "text": ""})
            self.stack.append("h2")
        if tag == "table":
            self.tables.append({"id": a.get("id"), "caption": "", "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append({"attrs": a, "cells": []})
        elif tag in ("td", "th"):
            self.cell = ""
        elif tag == "caption":
            self.cell = ""
            self.stack.append("caption")
        elif tag == "svg":
            self.svg = {"children": [], "title": None, "desc": None, "id": None}
            self.svgs.append(self.svg)
        elif self.svg is not None:
            if len(self.svg["children"]) < 2 or tag in ("title", "desc"):
                self.svg["children"].append(tag)
            if tag in ("title", "desc") and self.svg[tag] is None:
                self.svg[tag] = ""
                self.svg_text = tag
                if tag == "title":
                    self.svg["id"] = a.get("id")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.tables:
            self.tables[-1]["rows"][-1]["cells"].append(self.cell.strip())
            self.cell = None
        elif tag == "caption" and self.tables:
            self.tables[-1]["caption"] = (self.cell or "").strip()
            self.cell = None
            self.stack.pop()
        elif tag == "h2":
            self.stack.pop()
        elif tag in ("title", "desc"):
            self.svg_text = None
        elif tag == "svg":
            self.svg = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.svg is not None and self.svg_text:
            self.svg[self.svg_text] += data
        if self.sections:
            if self.stack and self.stack[-1] == "h2":
                self.sections[-1]["title"] += data
            self.sections[-1]["text"] += data


text = open(page_path, encoding="utf-8").read()
p = Page()
p.feed(text)
j = json.load(open(json_path))
agg, cal = j["aggregate"], j["calories"]


def num(s):
    return None if s == "null" else float(s)


def same(a, b):
    """Exact: the page's data attributes are the JSON's numbers."""
    if a is None or b is None:
        return a is None and b is None
    return a == b


def disp(v, d=2):
    if v is None:
        return "-"
    s = "%.*f" % (d, v)
    # "-0.00" only below zero, not for -0 or rounding noise under 1e-12
    return "0." + "0" * d if s == "-0." + "0" * d and v > -1e-12 else s


def ci_text(e, lo, hi, d=2):
    if lo is None and hi is None:
        return disp(e, d)
    return "%s (%s, %s)" % (disp(e, d), disp(lo, d), disp(hi, d))


def table(tid=None, caption=None, header=None):
    for t in p.tables:
        if tid is not None and t["id"] == tid:
            return t
        if caption is not None and t["caption"].startswith(caption):
            return t
        if header is not None and t["rows"] and t["rows"][0]["cells"] == header:
            return t
    return None


def col(t, name):
    return [c for c in t["rows"][0]["cells"]].index(name)


# ---- the page as a whole -------------------------------------------------
check("no <script>", p.scripts == 0 and "<script" not in text.lower())
check("no external resource", not re.search(r'(src|href)=|https?://|@import|url\(', text, re.I))
check("print stylesheet", "@media print" in text)
lead = "Intervals robust to clustering of sessions within participants"
if robust:
    check("header sentence", lead in text)
    check("participants in the header",
          "(%d participants;" % j["aggregate"]["clusters"]["participants"] in text)
else:
    check("no robust header with --cluster none", lead not in text)
    check("session-level header", "Session-level intervals: sessions are treated as independent" in text)
# Every chart: <title> then <desc> first, both with text; the desc has the
# numbers.
check("charts present", len(p.svgs) >= 5, "%d svg" % len(p.svgs))
for k, s in enumerate(p.svgs):
    check("chart %d opens with <title>, <desc>" % k,
          s["children"][:2] == ["title", "desc"], str(s["children"][:2]))
    check("chart %d title and desc have text" % k,
          (s["title"] or "").strip() and re.search(r"\d|undefined", s["desc"] or ""))
# Every section has a how-to-read line.
for s in p.sections:
    check("how to read: " + s["title"].strip(), "How to read this:" in s["text"])
titles = [s["title"].strip() for s in p.sections]
for want in ("Risk ratios", "Risk by exposure", "Comparison, exposed vs unexposed",
             "Logistic regression on the six main factors",
             "Poisson rate model, cases per 1000 h, on the six main factors",
             "Calorie goals and targets", "Data quality", "Provenance"):
    check("section " + want, want in titles)

# ---- factors ------------------------------------------------------------
cmp = None
for t in p.tables:
    if t["rows"] and t["rows"][0]["cells"][:2] == ["factor", "risk ratio (95% CI)"]:
        cmp = t
check("comparison table", cmp is not None)
rr_desc = dict()
for s in p.svgs:
    if s["id"] == "rr-t":
        for part in s["desc"].split("; "):
            if " " in part:
                name, v = part.split(" ", 1)
                rr_desc[name] = v
check("risk ratio forest plot has every factor", len(rr_desc) == len(agg["factors"]),
      str(len(rr_desc)))
exp = None
for t in p.tables:
    if t["rows"] and t["rows"][0]["cells"][:3] == ["factor", "unknown", "exposed"]:
        exp = t
rows = {r["attrs"].get("data-factor"): r for r in cmp["rows"][1:]}
erows = {r["attrs"].get("data-factor"): r for r in exp["rows"][1:]}
bad_exact = bad_text = bad_desc = bad_people = bad_katz = 0
for f in agg["factors"]:
    name = f["factor"]
    r = rows.get(name)
    if r is None:
        bad_exact += 1
        continue
    src = f["cluster_robust"] if robust else f
    for key, attr, cell, scale in (("risk_ratio", "rr", 1, 1), ("odds_ratio", "or", 2, 1),
                                   ("risk_difference", "rd", 3, 100),
                                   ("rate_ratio", "rate", 4, 1)):
        want = src[key]
        got = [num(r["attrs"]["data-%s-%s" % (attr, k)]) for k in ("est", "lo", "hi")]
        if not all(same(g, want[k]) for g, k in zip(got, ("estimate", "lower", "upper"))):
            bad_exact += 1
            print("differ %s %s %s %s" % (name, key, got, want), file=sys.stderr)
        sc = lambda v: None if v is None else scale * v
        if r["cells"][cell] != ci_text(sc(want["estimate"]), sc(want["lower"]), sc(want["upper"])):
            bad_text += 1
            print("text %s %s [%s]" % (name, key, r["cells"][cell]), file=sys.stderr)
    if rr_desc.get(name) != (r["cells"][1] if r["cells"][1] != "-" else "undefined"):
        bad_desc += 1
    if robust:
        if not same(num(r["attrs"]["data-deff"]), f["cluster_robust"]["design_effect"]) \
           or r["cells"][5] != disp(f["cluster_robust"]["design_effect"]):
            bad_exact += 1
        e = erows[name]["cells"]
        if [int(e[3]), int(e[8])] != [f["participants"]["exposed"], f["participants"]["unexposed"]]:
            bad_people += 1
    else:
        # A second computation: Katz's interval from the counts on the page.
        e = erows[name]["cells"]
        n1, a, n0, c = int(e[2]), int(e[3]), int(e[6]), int(e[7])
        if min(a, c, n1 - a, n0 - c) == 0:
            continue
        est = (a / n1) / (c / n0)
        se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
        z = 1.959963984540054
        got = [num(r["attrs"]["data-rr-%s" % k]) for k in ("est", "lo", "hi")]
        want = [est, est * math.exp(-z * se), est * math.exp(z * se)]
        if any(abs(g - w) > 1e-12 * w for g, w in zip(got, want)):
            bad_katz += 1
            print("katz %s %s %s" % (name, got, want), file=sys.stderr)
check("factor intervals equal the JSON's (%s)" % mode, bad_exact == 0, "%d differ" % bad_exact)
check("factor intervals as displayed", bad_text == 0, "%d differ" % bad_text)
check("forest plot desc equals the table", bad_desc == 0, "%d differ" % bad_desc)
if robust:
    check("participant counts equal the JSON's", bad_people == 0, "%d differ" % bad_people)
    check("design effect column", "deff" in cmp["rows"][0]["cells"])
else:
    check("Katz risk ratios from the page's counts", bad_katz == 0, "%d differ" % bad_katz)
    check("no design effect with --cluster none", "deff" not in cmp["rows"][0]["cells"])

# ---- attributable fractions in the comparison ----------------------------
bad = bad_t = 0
for f in agg["factors"]:
    r = rows.get(f["factor"])
    if r is None:
        continue
    for attr, key, cell in (("af", "af_exposed" if robust else "af_exposed_interval", 6 if robust else 5),
                            ("paf", "paf" if robust else "paf_interval", 7 if robust else 6)):
        want = (f["cluster_robust"] if robust else f)[key]
        got = [num(r["attrs"]["data-%s-%s" % (attr, k)]) for k in ("est", "lo", "hi")]
        if not all(same(g, want[k]) for g, k in zip(got, ("estimate", "lower", "upper"))):
            bad += 1
            print("differ %s %s %s %s" % (f["factor"], key, got, want), file=sys.stderr)
        sc = lambda v: None if v is None else 100 * v
        if r["cells"][cell] != ci_text(sc(want["estimate"]), sc(want["lower"]), sc(want["upper"]), 1):
            bad_t += 1
            print("text %s %s [%s]" % (f["factor"], key, r["cells"][cell]), file=sys.stderr)
check("AF and PAF intervals equal the JSON's (%s)" % mode, bad == 0, "%d differ" % bad)
check("AF and PAF as displayed", bad_t == 0, "%d differ" % bad_t)

# ---- attributable measures (session level) ---------------------------------
at = table(tid="attr-table")
check("attributable table", at is not None and len(at["rows"]) - 1 == len(agg["factors"]))
check("attributable section says sessions independent",
      any(t.startswith("Attributable measures") and "treated as independent" in t
          for t in titles))
if at is not None:
    bad = bad_t = 0
    arows = {r["attrs"].get("data-factor"): r for r in at["rows"][1:]}
    for f in agg["factors"]:
        r = arows.get(f["factor"])
        if r is None:
            bad += 1
            continue
        for attr, key, cell, scale, d in (
                ("par", "attributable_risk_population", 1, 100, 2),
                ("nnt", "nnt", 2, 1, 1),
                ("xor", "exact_odds_ratio", 3, 1, 2),
                ("ard", "attributable_rate_per_1000h", 4, 1, 2),
                ("afr", "af_exposed_rate", 5, 100, 1),
                ("pafr", "paf_rate", 6, 100, 1)):
            want = f[key]
            got = [num(r["attrs"]["data-%s-%s" % (attr, k)]) for k in ("est", "lo", "hi")]
            if not all(same(g, want[k]) for g, k in zip(got, ("estimate", "lower", "upper"))):
                bad += 1
                print("differ %s %s %s %s" % (f["factor"], key, got, want), file=sys.stderr)
            if key == "nnt":
                if (want["kind"] or "") != r["attrs"].get("data-nnt-kind"):
                    bad += 1
                if want["kind"] and want["lower"] is not None and want["upper"] is not None:
                    a = "NNTH" if want["kind"] == "harm" else "NNTB"
                    o = "NNTB" if a == "NNTH" else "NNTH"
                    e, lo, hi = want["estimate"], want["lower"], want["upper"]
                    txt = ("%s %s (%s to inf to %s %s)" % (a, disp(e, 1), disp(lo, 1), o, disp(-hi, 1))
                           if hi < 0 else "%s %s (%s, %s)" % (a, disp(e, 1), disp(lo, 1), disp(hi, 1)))
                    if r["cells"][cell] != txt:
                        bad_t += 1
                        print("text nnt %s [%s] [%s]" % (f["factor"], r["cells"][cell], txt),
                              file=sys.stderr)
                continue
            sc = lambda v: None if v is None else scale * v
            if r["cells"][cell] != ci_text(sc(want["estimate"]), sc(want["lower"]),
                                           sc(want["upper"]), d):
                bad_t += 1
                print("text %s %s [%s]" % (f["factor"], key, r["cells"][cell]), file=sys.stderr)
    check("attributable measures equal the JSON's", bad == 0, "%d differ" % bad)
    check("attributable measures as displayed", bad_t == 0, "%d differ" % bad_t)

# ---- Mantel-Haenszel ----------------------------------------------------
if agg["stratified"]:
    bad = 0
    for s in agg["stratified"]:
        r = next((r for t in p.tables for r in t["rows"]
                  if r["attrs"].get("data-factor") == s["factor"]
                  and "data-mh-rd-est" in r["attrs"]), None)
        if r is None or not all(same(num(r["attrs"]["data-mh-rd-%s" % k]), s["mh_risk_difference"][kk])
                                for k, kk in (("est", "estimate"), ("lo", "lower"), ("hi", "upper"))) \
           or not same(num(r["attrs"]["data-crude-mh-rr"]), s["crude_to_adjusted"]["risk_ratio"]) \
           or not same(num(r["attrs"]["data-crude-mh-or"]), s["crude_to_adjusted"]["odds_ratio"]) \
           or not same(num(r["attrs"]["data-woolf-rr-p"]), s["woolf_homogeneity"]["risk_ratio"]["p"]) \
           or not same(num(r["attrs"]["data-woolf-or-p"]), s["woolf_homogeneity"]["odds_ratio"]["p"]):
            bad += 1
    check("MH risk difference, crude/MH and Woolf equal the JSON's", bad == 0, "%d differ" % bad)
    st = table(tid="strata-table")
    want_rows = [(s["factor"], x) for s in agg["stratified"] for x in s["strata"]]
    check("table of each stratum", st is not None and len(st["rows"]) - 1 == len(want_rows))
    if st is not None:
        bad = 0
        for r, (fac, x) in zip(st["rows"][1:], want_rows):
            a = r["attrs"]
            if a.get("data-factor") != fac or a.get("data-stratum") != x["level"] or \
               [int(c) for c in r["cells"][2:6]] != [x["a"] + x["b"], x["a"], x["c"] + x["d"], x["c"]]:
                bad += 1
                continue
            for attr, key, cell, sc in (("rr", "risk_ratio", 6, 1), ("or", "odds_ratio", 7, 1),
                                        ("rd", "risk_difference", 8, 100)):
                w = x[key]
                if not all(same(num(a["data-%s-%s" % (attr, k)]), w[kk])
                           for k, kk in (("est", "estimate"), ("lo", "lower"), ("hi", "upper"))) \
                   or r["cells"][cell] != ci_text(*[None if w[k] is None else sc * w[k]
                                                    for k in ("estimate", "lower", "upper")]):
                    bad += 1
                    print("stratum %s %s %s" % (fac, x["level"], key), file=sys.stderr)
        check("each stratum's measures equal the JSON's", bad == 0, "%d differ" % bad)

if agg["stratified"]:
    check("MH section says sessions independent",
          any(t.startswith("Stratified by") and "treats sessions as independent" in t
              for t in titles))
    bad = 0
    for s in agg["stratified"]:
        r = next((r for t in p.tables for r in t["rows"]
                  if r["attrs"].get("data-factor") == s["factor"]
                  and "data-mh-rr-est" in r["attrs"]), None)
        if r is None or not all(same(num(r["attrs"]["data-mh-%s-%s" % (a, k)]), s[key][kk])
                                for a, key in (("rr", "mh_risk_ratio"), ("or", "mh_odds_ratio"))
                                for k, kk in (("est", "estimate"), ("lo", "lower"), ("hi", "upper"))):
            bad += 1
    check("Mantel-Haenszel equals the JSON's", bad == 0, "%d differ" % bad)

# ---- models -------------------------------------------------------------
for tid, key, ratio in (("logit-table", "logistic", "odds_ratio"),
                        ("pois-table", "poisson", "rate_ratio")):
    t = table(tid=tid)
    m = agg[key]
    check("%s terms present" % key, t is not None and len(t["rows"]) - 1 == len(m["terms"])
          and len(m["terms"]) >= 7, "" if t is None else str(len(t["rows"])))
    if t is None:
        continue
    rb = {x["term"]: x for x in m["cluster_robust"]["terms"]} if robust else {}
    bad = 0
    for r, term in zip(t["rows"][1:], m["terms"]):
        a = r["attrs"]
        src = rb[term["term"]] if robust else term
        want = [term[ratio], src["lower"], src["upper"], src["p"]]
        got = [num(a["data-v-est"]), num(a["data-v-lo"]), num(a["data-v-hi"]), num(a["data-p"])]
        d = 4 if term[ratio] is not None and term[ratio] < 0.1 else 2
        if a.get("data-term") != term["term"] or not all(map(same, got, want)) \
           or r["cells"][1] != ci_text(want[0], want[1], want[2], d):
            bad += 1
            print("model %s %s %s %s" % (key, term["term"], got, want), file=sys.stderr)
    check("%s intervals equal the JSON's (%s)" % (key, mode), bad == 0, "%d differ" % bad)
    fid = "logit-t" if key == "logistic" else "pois-t"
    s = next((s for s in p.svgs if s["id"] == fid), None)
    check("%s forest plot" % key, s is not None and
          s["desc"] == "; ".join("%s %s" % (r["attrs"]["data-term"],
                                            r["cells"][1] if r["cells"][1] != "-" else "undefined")
                                 for r in t["rows"][2:]))
    check("%s header says which intervals" % key,
          ("robust)" if robust else "session level)") in t["rows"][0]["cells"][1])

# ---- calories: the cramp link -------------------------------------------
lt, lc = table(tid="link-table"), table(tid="link-cmp")
check("cramp link tables", lt is not None and lc is not None)
if lt is not None and lc is not None:
    bad = 0
    for r, d in zip(lt["rows"][1:], cal["cramp_link"]["directions"]):
        a = r["attrs"]
        if a.get("data-direction") != d["direction"] or \
           [int(r["cells"][1]), int(r["cells"][2]), int(r["cells"][4])] != \
           [d["sessions"], d["cases"], d["outcome_unknown"]] or \
           not all(same(num(a["data-risk-" + k]), d["risk"][kk])
                   for k, kk in (("est", "estimate"), ("lo", "lower"), ("hi", "upper"))):
            bad += 1
    for r, c in zip(lc["rows"][1:], cal["cramp_link"]["comparisons"]):
        a = r["attrs"]
        if a.get("data-exposed") != c["exposed"] or \
           not same(num(a["data-fisher-p"]), c["fisher_p"]) or \
           not all(same(num(a["data-%s-%s" % (x, k)]), c[key][kk])
                   for x, key in (("rr", "risk_ratio"), ("rd", "risk_difference"))
                   for k, kk in (("est", "estimate"), ("lo", "lower"), ("hi", "upper"))):
            bad += 1
        # Katz by hand from the 2x2 the JSON gives.
        A, B, C, D = c["a"], c["b"], c["c"], c["d"]
        if min(A, B, C, D) == 0:
            continue
        est = (A / (A + B)) / (C / (C + D))
        se = math.sqrt(1 / A - 1 / (A + B) + 1 / C - 1 / (C + D))
        if abs(num(a["data-rr-hi"]) - est * math.exp(1.959963984540054 * se)) > 1e-12:
            bad += 1
    check("cramp link equals the JSON's", bad == 0 and len(lt["rows"]) == 4
          and len(lc["rows"]) == 3, "%d differ" % bad)
# The goals table: counts as the JSON's.
gt = table(caption="Calorie goals")
if gt is not None:
    groups = gt["rows"][0]["cells"][2:]
    bad = 0
    for g in cal["goals"]:
        r = next(r for r in gt["rows"] if r["cells"][0] == g["goal"])
        if r["cells"][2 + groups.index(g["group"])].split(" ")[0] != str(g["count"]):
            bad += 1
    check("goal counts equal the JSON's", bad == 0, "%d differ" % bad)
else:
    check("goal table", False)

for name, good, why in results:
    print(("ok: %s" if good else "FAIL: %s: " + why) % name if good else
          "FAIL: %s: %s" % (name, why))
