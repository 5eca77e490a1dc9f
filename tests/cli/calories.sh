#!/usr/bin/env bash
# End to end: crampstat calories on sample-data against an independent
# computation in Python (stdlib only: it reads the raw survey, applies the
# latest-wave rule and the formulas of DATA.md itself), the cramp link
# against the tagged sessions, shards merged in two orders against one
# pass byte for byte, every way of giving the input, and the errors.
. "$(dirname "$0")/lib.sh"
set -euo pipefail
cd "$CS_SRC"
S=sample-data
cs() { "$CRAMPSTAT" "$@"; }

# Count the "ok:"/"FAIL:" lines of a checker into lib.sh's totals.
tally() {
    local out=$1
    cat "$out"
    pass=$((pass + $(grep -c '^ok:' "$out" || true)))
    fail=$((fail + $(grep -c '^FAIL:' "$out" || true)))
    if ! grep -q '^ok:' "$out"; then bad "$out: the checker ran no check"; fi
}

cat >"$T/check.py" <<'EOF'
"""Recompute the calories report from the raw survey and compare."""
import csv, gzip, json, math, statistics, sys
from decimal import Decimal, ROUND_HALF_UP

GOALS = ["Gain 2 pounds per week", "Gain 1.5 pounds per week",
         "Gain 1 pound per week", "Gain 0.5 pound per week",
         "Maintain my current weight", "Lose 0.5 pound per week",
         "Lose 1 pound per week", "Lose 1.5 pounds per week",
         "Lose 2 pounds per week"]
LB = [2, 1.5, 1, 0.5, 0, -0.5, -1, -1.5, -2]
MULT = {"sedentary": 1.2, "light": 1.375, "moderate": 1.55,
        "active": 1.725, "very_active": 1.9}
DIRS = ["lose", "maintain", "gain"]

def band(age):
    return ("10-17" if age <= 17 else "18-29" if age <= 29 else
            "30-44" if age <= 44 else "45-59" if age <= 59 else "60+")

def goal_lb(text):
    text = text.strip()
    return LB[GOALS.index(text)] if text in GOALS else float(text)

def target(row):
    sex = "F" if row["sex"].strip().lower() in ("f", "female") else "M"
    kg = float(row["weight_lb"]) * 0.45359237
    cm = (12.0 * int(row["height_ft"]) + int(row["height_in"])) * 2.54
    base = 10.0 * kg + 6.25 * cm - 5.0 * int(row["age_years"])
    bmr = base + 5.0 if sex == "M" else base - 161.0
    tdee = bmr * MULT[row["activity_level"].strip().lower()]
    t = tdee + goal_lb(row["calorie_goal"]) * 3500.0 / 7.0
    # Halves away from zero, on the exact value of the double.
    return sex, int(Decimal(t).quantize(Decimal(1), rounding=ROUND_HALF_UP))

nok = 0
def check(name, want, got, tol=0.0):
    global nok
    if want is None or got is None:
        good = want is None and got is None
    elif tol:
        good = abs(want - got) <= tol * max(1.0, abs(want))
    else:
        good = want == got
    print(("ok: " if good else "FAIL: ") + name +
          ("" if good else ": expected %r, got %r" % (want, got)))

survey, by, report = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
latest = {}
with gzip.open(survey, "rt", newline="") as f:
    for row in csv.DictReader(f):
        pid = row["participant_id"].strip()
        if pid not in latest or row["survey_date"] > latest[pid]["survey_date"]:
            latest[pid] = row

people = []   # (group, sex, goal index, direction, target)
for row in latest.values():
    sex, t = target(row)
    g = goal_lb(row["calorie_goal"])
    group = {"sex": sex, "age_band": band(int(row["age_years"])),
             "activity_level": row["activity_level"].strip().lower()}[by]
    d = "lose" if g < 0 else "maintain" if g == 0 else "gain"
    people.append((group, sex, LB.index(g), d, t))

check("participants", len(people), report["participants"])
groups = sorted({p[0] for p in people}) + ["all"]
def members(group, d="all"):
    return [p for p in people if group in ("all", p[0]) and d in ("all", p[3])]

goals = {(r["group"], r["goal"]): r for r in report["goals"]}
for group in groups:
    ps = members(group)
    for i, text in enumerate(GOALS):
        k = sum(1 for p in ps if p[2] == i)
        below = sum(1 for p in ps if p[2] == i and
                    p[4] < (1200 if p[1] == "F" else 1500))
        r = goals.get((group, text), {})
        check("goal %s %s count" % (group, text), k, r.get("count"))
        check("goal %s %s share" % (group, text), k / len(ps), r.get("share"))
        check("goal %s %s below" % (group, text), below, r.get("below_safe_min"))

targets = {(r["group"], r["direction"]): r for r in report["targets"]}
for group in groups:
    for d in ["all"] + DIRS:
        ts = sorted(p[4] for p in members(group, d))
        r = targets[(group, d)]
        name = "target %s %s" % (group, d)
        check(name + " n", len(ts), r["n"])
        if not ts:
            continue
        below = sum(1 for p in members(group, d)
                    if p[4] < (1200 if p[1] == "F" else 1500))
        check(name + " mean", statistics.fmean(ts), r["mean"], 1e-12)
        if len(ts) > 1:
            check(name + " sd", statistics.stdev(ts), r["sd"], 1e-9)
        check(name + " min", ts[0], r["min"])
        check(name + " max", ts[-1], r["max"])
        check(name + " median", statistics.median(ts), r["p50"], 1e-12)
        if len(ts) > 1:
            # R type 7 = (n - 1) p, as gsl_stats_quantile_from_sorted_data.
            q = statistics.quantiles(ts, n=20, method="inclusive")
            for key, j in (("p5", 0), ("p25", 4), ("p75", 14), ("p95", 18)):
                check(name + " " + key, q[j], r[key], 1e-12)
        check(name + " below_safe_min", below / len(ts), r["below_safe_min"])

for h in report["histograms"]:
    ps = members(h["group"])
    for b in h["bins"]:
        inbin = [p for p in ps if b["lower"] <= p[4] < b["upper"]]
        got = (b["count"], b["lose"], b["maintain"], b["gain"])
        want = (len(inbin),) + tuple(sum(1 for p in inbin if p[3] == d)
                                     for d in DIRS)
        if got != want:
            check("histogram %s %d" % (h["group"], b["lower"]), want, got)
    total = sum(b["count"] for b in h["bins"])
    check("histogram %s covers everybody" % h["group"], len(ps), total)
EOF

cat >"$T/link.py" <<'EOF'
"""Recompute the cramp link from tagged sessions and compare."""
import csv, json, math, sys
from statistics import NormalDist

rows, report = sys.argv[1], json.load(open(sys.argv[2]))["cramp_link"]
n = {d: [0, 0, 0] for d in ("lose", "maintain", "gain")}  # sessions, cases, unknown
with open(rows, newline="") as f:
    for row in csv.DictReader(f):
        g = float(row["goal_lb_week"])
        d = "lose" if g < 0 else "maintain" if g == 0 else "gain"
        o = row["outcome"].strip()
        if o == "":
            n[d][2] += 1
        else:
            n[d][0] += 1
            n[d][1] += int(o)

def check(name, want, got, tol=0.0):
    good = abs(want - got) <= tol * abs(want) if tol else want == got
    print(("ok: " if good else "FAIL: ") + name +
          ("" if good else ": expected %r, got %r" % (want, got)))

z = NormalDist().inv_cdf(0.975)
for r in report["directions"]:
    s, k, u = n[r["direction"]]
    check(r["direction"] + " sessions", s, r["sessions"])
    check(r["direction"] + " cases", k, r["cases"])
    check(r["direction"] + " unknown", u, r["outcome_unknown"])
    p = k / s
    mid = (p + z * z / (2 * s)) / (1 + z * z / s)
    half = z / (1 + z * z / s) * math.sqrt(p * (1 - p) / s + z * z / (4 * s * s))
    check(r["direction"] + " risk", p, r["risk"]["estimate"], 1e-12)
    check(r["direction"] + " Wilson lower", mid - half, r["risk"]["lower"], 1e-9)
    check(r["direction"] + " Wilson upper", mid + half, r["risk"]["upper"], 1e-9)
for c in report["comparisons"]:
    (a, ka, _), (m, km, _) = n[c["exposed"]], n["maintain"]
    rr = (ka / a) / (km / m)
    se = math.sqrt(1 / ka - 1 / a + 1 / km - 1 / m)
    check(c["exposed"] + " vs maintain RR", rr, c["risk_ratio"]["estimate"], 1e-12)
    check(c["exposed"] + " vs maintain RR lower", rr * math.exp(-z * se),
          c["risk_ratio"]["lower"], 1e-9)
    check(c["exposed"] + " vs maintain RR upper", rr * math.exp(z * se),
          c["risk_ratio"]["upper"], 1e-9)
    check(c["exposed"] + " vs maintain RD", ka / a - km / m,
          c["risk_difference"]["estimate"], 1e-12)
EOF

# ---- the survey, against Python, for every grouping ----------------------
for by in sex age_band activity_level; do
    cs calories --by "$by" --format json "$S/survey.csv.gz" >"$T/$by.json" 2>"$T/$by.err"
    check "calories --by $by exit" 0 $?
    /usr/bin/python3 "$T/check.py" "$S/survey.csv.gz" "$by" "$T/$by.json" >"$T/$by.check"
    tally "$T/$by.check"
done
n=$(gzip -dc "$S/survey.csv.gz" | tail -n +2 | wc -l)
p=$(gzip -dc "$S/survey.csv.gz" | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
check "summary line" "calories: $n survey rows in, $n accepted, 0 rejected; $p participants" "$(cat "$T/sex.err")"

# ---- the same input every way: file, plain, redirected, piped, ingested ---
gzip -dc "$S/survey.csv.gz" >"$T/survey.csv"
cs calories -q -f json "$T/survey.csv" >"$T/plain.json"
check_file "plain = gzip" "$T/sex.json" "$T/plain.json"
cs calories -q -f json <"$S/survey.csv.gz" >"$T/redirect.json"
check_file "stdin redirected = file" "$T/sex.json" "$T/redirect.json"
cat "$S/survey.csv.gz" | cs calories -q -f json >"$T/pipe.json"
check_file "stdin pipe (gzip) = file" "$T/sex.json" "$T/pipe.json"
cat "$T/survey.csv" | cs calories -q -f json - >"$T/pipe2.json"
check_file "stdin pipe (plain, -) = file" "$T/sex.json" "$T/pipe2.json"
cs ingest -q --schema survey "$S/survey.csv.gz" | cs calories -q -f json >"$T/ingested.json"
check_file "ingest | calories = file" "$T/sex.json" "$T/ingested.json"
cs calories -q -f json -o "$T/out.json" "$S/survey.csv.gz"
check_file "-o FILE" "$T/sex.json" "$T/out.json"

# ---- shards split by participant, merged in two orders ------------------
awk -F, -v dir="$T" 'NR == 1 { for (k = 0; k < 3; k++) print > (dir "/shard" k ".csv"); next }
    { k = substr($1, 2) % 3; print > (dir "/shard" k ".csv") }' "$T/survey.csv"
check "shards hold every row" "$n" "$(cat "$T"/shard?.csv | grep -vc '^participant_id')"
gzip "$T/shard1.csv"
cs calories -q --partial "$T/shard0.csv" >"$T/s0.partial"
cs calories -q --partial <"$T/shard1.csv.gz" >"$T/s1.partial"
cat "$T/shard2.csv" | cs calories -q --partial >"$T/s2.partial"
cs merge "$T/s0.partial" "$T/s1.partial" "$T/s2.partial" >"$T/m012.partial"
cs merge "$T/s2.partial" "$T/s0.partial" "$T/s1.partial" >"$T/m201.partial"
cs calories -q --partial "$S/survey.csv.gz" >"$T/single.partial"
check_counts "merged state (0 1 2) = single pass" "$T/single.partial" "$T/m012.partial"
check_counts "merged state (2 0 1) = single pass" "$T/single.partial" "$T/m201.partial"
for f in json pretty csv tsv md; do
    cs calories -q --format "$f" "$S/survey.csv.gz" >"$T/single.$f"
    cs report --format "$f" "$T/m012.partial" >"$T/m012.$f"
    cs merge "$T/s1.partial" "$T/s2.partial" "$T/s0.partial" | cs report --format "$f" >"$T/m120.$f"
    check_file "report --format $f of merged (0 1 2) = calories" "$T/single.$f" "$T/m012.$f"
    check_file "report --format $f of merged (1 2 0) = calories" "$T/single.$f" "$T/m120.$f"
done
# Merging a shard with itself would count it twice: refused.
rc=0
cs merge "$T/s0.partial" "$T/s0.partial" >"$T/twice.partial" 2>"$T/twice.err" || rc=$?
check "a shard merged with itself: 65" 65 "$rc"
check_grep "... message" "s0.partial: cannot merge: the file is given twice" "$T/twice.err"

# ---- pretty fits in 80 columns ----------------------------------------
w=$(awk '/ \|/ && length($0) > 79 { n++ } END { print n + 0 }' "$T/single.pretty")
check "histogram lines fit in 80 columns" 0 "$w"
check_grep "pretty names the quantile definition" "gsl_stats_quantile_from_sorted_data" "$T/single.pretty"

# ---- the cramp link from tagged sessions ----------------------------------
cs join -q --survey "$S/survey.csv.gz" "$S/exercise.csv.gz" | cs tag -q >"$T/tagged.csv"
cs calories -f json "$T/tagged.csv" >"$T/tagged.json" 2>"$T/tagged.err"
nt=$(($(wc -l <"$T/tagged.csv") - 1))
check "tagged summary" "calories: $nt tagged sessions in, $nt used, 0 rejected" "$(cat "$T/tagged.err")"
/usr/bin/python3 "$T/link.py" "$T/tagged.csv" "$T/tagged.json" >"$T/link.check"
tally "$T/link.check"
cat "$T/tagged.csv" | cs calories -q -f json >"$T/tagged-pipe.json"
check_file "tagged through a pipe = file" "$T/tagged.json" "$T/tagged-pipe.json"
# A survey state and a tagged state merge into one report with both.
cs calories -q --partial "$T/tagged.csv" >"$T/t.partial"
cs merge "$T/single.partial" "$T/t.partial" | cs report -f json >"$T/both.json"
/usr/bin/python3 - "$T/both.json" "$T/sex.json" "$T/tagged.json" >"$T/both.check" <<'EOF'
import json, sys
both, sv, tg = (json.load(open(p)) for p in sys.argv[1:])
for key in ("goals", "targets", "histograms", "below_safe_min_goals"):
    print(("ok: " if both[key] == sv[key] else "FAIL: ") + "merged " + key + " = survey's")
print(("ok: " if both["cramp_link"] == tg["cramp_link"] else "FAIL: ") + "merged cramp_link = tagged's")
EOF
tally "$T/both.check"
# A tagged row with a bad goal or outcome is rejected and logged.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "goal_lb_week") g = i; print; next }
    NR == 2 { $g = "0.3" } { print }' OFS=, "$T/tagged.csv" >"$T/tagged-bad.csv"
cs calories -f json -r "$T/rej.csv" "$T/tagged-bad.csv" >/dev/null 2>"$T/bad.err"
check "tagged reject summary" "calories: $nt tagged sessions in, $((nt - 1)) used, 1 rejected" "$(cat "$T/bad.err")"
check_grep "reject log names the column" "goal_lb_week,goal_lb_week: not one of the nine goals" "$T/rej.csv"

# ---- a rejected survey row: the participant's earlier wave counts -------
{ sed -n '1,4p' "$T/survey.csv"
  echo "P0000001,2025-01-01,F,28,5,2,136.8,light,unconditioned,yes,no,,Lose 3 pounds per week,848,2813"; } >"$T/rej-survey.csv"
cs calories -f json -r "$T/rej-survey.log" "$T/rej-survey.csv" >"$T/rej-survey.json" 2>"$T/rej-survey.err"
check "survey reject summary" "calories: 4 survey rows in, 3 accepted, 1 rejected; 3 participants" "$(cat "$T/rej-survey.err")"
check_grep "survey reject logged" "calorie_goal" "$T/rej-survey.log"

# ---- goal texts through the survey loader --------------------------------
# The nine texts (any case, spaces around), the numeric form, and a wrong
# text rejected with the list of valid ones in the reason.
{ head -n 1 "$T/survey.csv"
  i=0
  for g in "Gain 2 pounds per week" "gain 1.5 pounds per week" " Gain 1 pound per week " \
           "Gain 0.5 pound per week" "MAINTAIN MY CURRENT WEIGHT" "Lose 0.5 pound per week" \
           "Lose 1 pound per week" "Lose 1.5 pounds per week" "Lose 2 pounds per week" \
           "-1.5" "0.5" "2" "Lose 3 pounds per week" "1.25"; do
      i=$((i + 1))
      echo "G$i,2024-01-01,F,30,5,5,130,moderate,trained,no,no,,$g,,"
  done; } >"$T/goals.csv"
cs calories -q -f csv -r "$T/goals.rej" "$T/goals.csv" >"$T/goals.out"
check "goal counts (text and numeric)" "2 1 1 2 1 1 1 2 1" \
    "$(awk -F, '$1 == "goal" && $2 == "all" { printf "%s%s", s, $6; s = " " }' "$T/goals.out")"
check "wrong goals rejected" 2 "$(grep -c '^[^,]*,[0-9]*,[0-9]*,calorie_goal,' "$T/goals.rej")"
check_grep "reject reason lists the valid goals" \
    '""Lose 3 pounds per week"" is not one of: Gain 2 pounds per week, Gain 1.5 pounds per week, .*Lose 2 pounds per week' "$T/goals.rej"

# ---- errors and exit codes ---------------------------------------------
set +e
cs calories --by height "$S/survey.csv.gz" >/dev/null 2>"$T/e1"
check "bad --by exits 64" 64 $?
check_grep "bad --by message" "crampstat: calories: --by is sex, age_band or activity_level, not 'height'" "$T/e1"
cs calories "$S/survey.csv.gz" "$S/survey.csv.gz" >/dev/null 2>"$T/e2"
check "two inputs exit 64" 64 $?
cs calories "$T/missing.csv" >/dev/null 2>"$T/e3"
check "missing input exits 66" 66 $?
cs calories -q "$S/survey.csv.gz" >/dev/full 2>"$T/e4"
check "/dev/full exits 74" 74 $?
cs aggregate -q --partial "$T/tagged.csv" >"$T/agg.partial"
cs merge "$T/single.partial" "$T/agg.partial" >/dev/null 2>"$T/e5"
check "merge calories + aggregate exits 65" 65 $?
check "merge calories + aggregate message" "crampstat: merge: $T/agg.partial: cannot merge: the states have different sections (calories vs sessions,factors,logistic,cluster,dose,period)" "$(cat "$T/e5")"
cs calories -q --by age_band --partial "$S/survey.csv.gz" >"$T/age.partial"
cs merge "$T/single.partial" "$T/age.partial" >/dev/null 2>"$T/e6"
check "merge of different --by exits 65" 65 $?
check_grep "merge of different --by message" "grouped by different columns (sex vs age_band)" "$T/e6"
# (its sha256 line made again, so that the group's check refuses it)
sed '13s/^goal \([^ ]*\) \([0-9]*\)/goal \1 9\2/' "$T/single.partial" >"$T/corrupt.partial"
resum "$T/corrupt.partial"
cs report "$T/corrupt.partial" >/dev/null 2>"$T/e7"
check "report of an inconsistent state exits 65" 65 $?
check_grep "report names the group line" "corrupt.partial:11: group F: " "$T/e7"
head -c 300 "$T/single.partial" >"$T/cut.partial"
cs report "$T/cut.partial" >/dev/null 2>"$T/e8"
check "report of a truncated state exits 65" 65 $?
cs calories -q -o "$T/nodir/x.json" "$S/survey.csv.gz" 2>"$T/e9"
check "unwritable -o exits 74" 74 $?

# A group with nobody has no share: "0 -", not "0 -%" (as the target
# table and the JSON's null say).
gzip -dc "$S/survey.csv.gz" | awk -F, 'NR == 1 || $3 == "F"' > "$T/women.csv"
cs calories -q "$T/women.csv" > "$T/women.txt"
check "an empty group: every goal's M cell is 0 -" 9 \
    "$(awk '/^Calorie goals/ { on = 1; next } on && /^$/ { exit }
            on && $0 !~ /^goal / && $0 !~ /^all goals/ { if ($(NF - 3) == "0" && $(NF - 2) == "-") n++ }
            END { print n + 0 }' "$T/women.txt")"
check "an empty group: no '-%' anywhere" 0 "$(grep -c -- ' -%' "$T/women.txt")"

# The cramp link's outcome is recorded: states of sessions tagged with
# different outcomes merged silently into risks of neither.
cs join -q --survey "$S/survey.csv.gz" "$S/exercise.csv.gz" > "$T/j.csv"
{ head -1 "$T/j.csv"; tail -n +2 "$T/j.csv" | awk 'NR % 2'; } > "$T/j1.csv"
{ head -1 "$T/j.csv"; tail -n +2 "$T/j.csv" | awk 'NR % 2 == 0'; } > "$T/j2.csv"
cs tag -q "$T/j1.csv" | cs calories -q --partial > "$T/ham.partial"
cs tag -q --outcome any "$T/j2.csv" | cs calories -q --partial --outcome any > "$T/any.partial"
check "the state records the outcome" "outcome hamstring|outcome any" \
    "$(grep -h '^outcome ' "$T/ham.partial" "$T/any.partial" | paste -sd'|')"
cs merge "$T/ham.partial" "$T/any.partial" > "$T/mix.partial" 2> "$T/mix.err"
check "hamstring and any: not merged" "65 0" "$? $(wc -c < "$T/mix.partial" | tr -d ' ')"
check_grep "... and says why" "the states count the cramp link of different outcomes (hamstring vs any)" "$T/mix.err"
cs calories -q --partial "$S/survey.csv.gz" > "$T/sv.partial"
check "a survey's state records none" 0 "$(grep -c '^outcome' "$T/sv.partial")"
cs merge "$T/sv.partial" "$T/any.partial" | cs report > "$T/sv-any.txt"
check_grep "a survey's state merges with either; the report names the outcome" \
    "^Cramp risk by goal direction (any cramp; 25733 tagged sessions" "$T/sv-any.txt"
cs calories --outcome some "$S/survey.csv.gz" > /dev/null 2> "$T/o.err"
check "--outcome some: usage error" "64" "$?"

finish
