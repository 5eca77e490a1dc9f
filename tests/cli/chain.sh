#!/usr/bin/env bash
# End to end: the piped chain ingest | join | tag | aggregate equals
# analyze byte for byte in every format; the counts of the report agree
# with counts made by another route (awk and Python's standard library
# over the raw files); filter agrees with awk; exit codes on bad input.
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC"
S=sample-data
X=$S/exercise.csv.gz
V=$S/survey.csv.gz
PY=/usr/bin/python3
cs() { "$CRAMPSTAT" "$@"; }

# ---- (a) analyze = the piped chain ------------------------------------
# analyze writes the aggregate report of the chain
#   ingest | join | tag | aggregate --input-name FILE
# then a blank line and the calorie report: 'calories --partial' of the
# survey merged with 'calories --partial' of the tagged sessions (with
# analyze's --by). In JSON it is one object {"ingest": ..., "aggregate":
# AGGREGATE, "calories": CALORIES}, each member the other command's JSON
# as it stands (without its final newline).
cs ingest -q --schema exercise "$X" | cs join -q --survey "$V" | cs tag -q |
    tee "$T/tagged.csv" |
    cs aggregate -q --input-name "$X" --format json >"$T/chain.json"
check "piped chain exit" "0 0 0 0 0" "${PIPESTATUS[*]}"

# The calorie report by the separate commands: by, format.
calories_report() {
    cs calories -q --by "$1" --partial "$V" >"$T/cal-survey.partial" &&
    cs calories -q --by "$1" --partial "$T/tagged.csv" >"$T/cal-tagged.partial" &&
    cs merge "$T/cal-survey.partial" "$T/cal-tagged.partial" |
        cs report --format "$2"
}
# expected_text AGG CAL: the text formats, AGG, a blank line, CAL.
expected_text() { cat "$1"; echo; cat "$2"; }
# json_composed ANALYZE AGG CAL: 1 when ANALYZE is {"ingest": ...,
# "aggregate": AGG, "calories": CAL} byte for byte.
json_composed() {
    "$PY" -c 'import json, sys
a, g, c = (open(f).read() for f in sys.argv[1:4])
g, c = g.rstrip("\n"), c.rstrip("\n")
tail = ",\n\"aggregate\": " + g + ",\n\"calories\": " + c + "}\n"
head = a[:len(a) - len(tail)]
ok = a.endswith(tail) and head.startswith("{\"ingest\": ")
json.loads(a)
print(int(ok))' "$@"
}

cs analyze -q --survey "$V" --exercise "$X" --format json >"$T/analyze.json"
check "analyze exit" 0 $?
calories_report sex json >"$T/cal.json"
check "analyze = chain + calories (json)" 1 \
    "$(json_composed "$T/analyze.json" "$T/chain.json" "$T/cal.json")"
for fmt in pretty csv tsv md; do
    cs aggregate -q --input-name "$X" --format "$fmt" <"$T/tagged.csv" >"$T/chain.$fmt"
    calories_report sex "$fmt" >"$T/cal.$fmt"
    expected_text "$T/chain.$fmt" "$T/cal.$fmt" >"$T/want.$fmt"
    cs analyze -q --survey "$V" --exercise "$X" --format "$fmt" >"$T/analyze.$fmt"
    check_file "analyze = chain + calories ($fmt)" "$T/want.$fmt" "$T/analyze.$fmt"
done
for by in sex age_band; do
    cs aggregate -q --by "$by" --input-name "$X" --format json \
        <"$T/tagged.csv" >"$T/chain.$by.json"
    calories_report "$by" json >"$T/cal.$by.json"
    cs analyze -q --by "$by" --survey "$V" --exercise "$X" --format json \
        >"$T/analyze.$by.json"
    check "analyze = chain + calories (--by $by, json)" 1 \
        "$(json_composed "$T/analyze.$by.json" "$T/chain.$by.json" "$T/cal.$by.json")"
    cs aggregate -q --by "$by" --input-name "$X" --format pretty \
        <"$T/tagged.csv" >"$T/chain.$by.pretty"
    calories_report "$by" pretty >"$T/cal.$by.pretty"
    expected_text "$T/chain.$by.pretty" "$T/cal.$by.pretty" >"$T/want.$by.pretty"
    cs analyze -q --by "$by" --survey "$V" --exercise "$X" --format pretty \
        >"$T/analyze.$by.pretty"
    check_file "analyze = chain + calories (--by $by, pretty)" \
        "$T/want.$by.pretty" "$T/analyze.$by.pretty"
    check_grep "--by $by is in the report" "\"by\": \"$by\"" "$T/analyze.$by.json"
done
# The default format is pretty.
cs analyze -q --survey "$V" --exercise "$X" >"$T/analyze.default"
check_file "default format is pretty" "$T/analyze.pretty" "$T/analyze.default"

# Sessions so short that their fluid rate is past any plain decimal (the
# contract allows any duration above 0): the chain and analyze agree, the
# rate missing in both, every session used. 10^-13 min with 500 ml is 3e17
# ml/h; 10^-320 min overflows the division.
{
    gzip -dc "$X" | head -n 1
    gzip -dc "$X" | awk -F, -v OFS=, 'NR > 1 && NR <= 41 {
        if (NR % 3 == 0) $5 = "0.0000000000001"
        if (NR % 3 == 1) $5 = "0." sprintf("%0319d", 0) "1"
        $9 = 500; print }'
} >"$T/short.csv"
cs ingest -q "$T/short.csv" | cs join -q --survey "$V" | cs tag -q >"$T/short.tagged"
check "short sessions: no exponent or inf written" "" \
    "$(cut -d, -f32 "$T/short.tagged" | grep -i -E 'e|inf' | grep -v fluid)"
cs aggregate --input-name "$T/short.csv" --format json <"$T/short.tagged" \
    >"$T/short.chain.json" 2>"$T/short.agg.err"
check_grep "short sessions: aggregate uses every row" "40 rows in, 40 used, 0 rejected" "$T/short.agg.err"
cs calories -q --partial "$V" >"$T/short.cal-survey.partial"
cs calories -q --partial "$T/short.tagged" >"$T/short.cal-tagged.partial"
cs merge "$T/short.cal-survey.partial" "$T/short.cal-tagged.partial" |
    cs report --format json >"$T/short.cal.json"
cs analyze -q --survey "$V" --exercise "$T/short.csv" --format json >"$T/short.analyze.json"
check "short sessions: analyze = chain + calories" 1 \
    "$(json_composed "$T/short.analyze.json" "$T/short.chain.json" "$T/short.cal.json")"

# ---- (b) counts by another route ---------------------------------------
# Numbers out of the report's JSON (Python's json module).
jq_() {
    "$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d = d.get("aggregate", d)   # analyze wraps the aggregate report
f = {x["factor"]: x for x in d["factors"]}
print(eval(sys.argv[2], {"d": d, "f": f}))' "$@"
}

# Survey: rows and distinct participants (awk; the generator quotes
# nothing, so fields split on commas).
sv_rows=$(gzip -dc "$V" | awk 'NR > 1' | wc -l)
sv_parts=$(gzip -dc "$V" | awk -F, 'NR > 1 { p[$1] = 1 } END { print length(p) }')
# Sessions whose participant is in the survey.
gzip -dc "$V" | awk -F, 'NR > 1 { print $1 }' | sort -u >"$T/parts"
ex_rows=$(gzip -dc "$X" | awk 'NR > 1' | wc -l)
joined=$(gzip -dc "$X" | awk -F, 'NR == FNR { p[$1] = 1; next }
    FNR > 1 && ($1 in p) { n++ } END { print n + 0 }' "$T/parts" -)
# Outcome unknown: cramp yes and cramp_muscle missing (empty, NA, N/A).
unknown=$(gzip -dc "$X" | awk -F, 'NR == FNR { p[$1] = 1; next }
    FNR > 1 && ($1 in p) && tolower($12) ~ /^(yes|y|true|1)$/ &&
    toupper($13) ~ /^(|NA|N\/A)$/ { n++ } END { print n + 0 }' "$T/parts" -)
check "sessions = exercise rows with a survey participant" "$joined" \
    "$(jq_ "$T/analyze.json" 'd["meta"]["sessions"]')"
check "outcome unknown = cramp yes, muscle missing" "$unknown" \
    "$(jq_ "$T/analyze.json" 'd["meta"]["outcome_unknown"]')"
check "sessions used" "$((joined - unknown))" \
    "$(jq_ "$T/analyze.json" 'd["meta"]["sessions_used"]')"
cs ingest -q --schema exercise "$X" |
    cs join --survey "$V" >/dev/null 2>"$T/join.err"
check "join summary" \
    "join: $V: $sv_rows rows read, $sv_rows accepted, 0 rejected ($sv_parts participants)
join: $ex_rows sessions in, $joined joined, $((ex_rows - joined)) rejected" \
    "$(cat "$T/join.err")"

# Fatigue by hand in Python: the wave rule of DATA.md section 3 and the
# fatigue rule of section 5 (always known), over sessions with a known
# outcome. Prints: exposed sessions, exposed cases, unexposed sessions,
# unexposed cases, and the hamstring cramps.
cat >"$T/fatigue.py" <<'EOF'
import csv, gzip, sys
from collections import defaultdict
TRUE = {"yes", "y", "true", "1"}
MISSING = {"", "na", "n/a"}
waves = defaultdict(list)
with gzip.open(sys.argv[1], "rt", newline="") as f:
    for r in csv.DictReader(f):
        waves[r["participant_id"]].append(r)
for w in waves.values():
    w.sort(key=lambda r: r["survey_date"])
n = [0, 0, 0, 0]
with gzip.open(sys.argv[2], "rt", newline="") as f:
    for s in csv.DictReader(f):
        ws = waves.get(s["participant_id"])
        if not ws:
            continue
        day = s["start_time"][:10]
        w = ws[0]
        for c in ws:
            if c["survey_date"] <= day:
                w = c
        cramp = s["cramp"].strip().lower() in TRUE
        muscle = s["cramp_muscle"].strip().lower()
        if cramp and muscle in MISSING:
            continue                      # outcome unknown
        case = cramp and muscle == "hamstring"
        rpe = int(s["intensity_rpe"])
        fat = (w["conditioning"] == "unconditioned"
               or (w["seasonal_sport"].strip().lower() in TRUE and rpe >= 7)
               or (float(s["duration_min"]) >= 90 and rpe >= 7))
        k = 0 if fat else 2
        n[k] += 1
        n[k + 1] += case
print(n[0], n[1], n[2], n[3], n[1] + n[3])
EOF
read -r fe fec fu fuc cases < <("$PY" "$T/fatigue.py" "$V" "$X")
check "fatigue exposed sessions" "$fe" \
    "$(jq_ "$T/analyze.json" 'f["fatigue"]["exposed"]["sessions"]')"
check "fatigue exposed cases" "$fec" \
    "$(jq_ "$T/analyze.json" 'f["fatigue"]["exposed"]["cases"]')"
check "fatigue unexposed sessions" "$fu" \
    "$(jq_ "$T/analyze.json" 'f["fatigue"]["unexposed"]["sessions"]')"
check "fatigue unexposed cases" "$fuc" \
    "$(jq_ "$T/analyze.json" 'f["fatigue"]["unexposed"]["cases"]')"
check "fatigue is never unknown" 0 \
    "$(jq_ "$T/analyze.json" 'f["fatigue"]["unknown"]')"
check "fatigue covers every used session" "$((joined - unknown))" "$((fe + fu))"
# The hamstring cramps, counted by awk too.
check "hamstring cramps (awk)" "$cases" \
    "$(gzip -dc "$X" | awk -F, 'FNR > 1 && tolower($12) ~ /^(yes|y|true|1)$/ &&
        tolower($13) == "hamstring" { n++ } END { print n + 0 }')"

# Some participants without a survey row: their sessions are rejected,
# and the counts still agree with awk.
gzip -dc "$V" | awk -F, 'NR == 1 || substr($1, 2) % 10 != 3' | gzip >"$T/sv90.csv.gz"
gzip -dc "$T/sv90.csv.gz" | awk -F, 'NR > 1 { print $1 }' | sort -u >"$T/parts90"
joined90=$(gzip -dc "$X" | awk -F, 'NR == FNR { p[$1] = 1; next }
    FNR > 1 && ($1 in p) { n++ } END { print n + 0 }' "$T/parts90" -)
check "some sessions lose their participant" 1 "$((joined90 < ex_rows))"
cs analyze -q --survey "$T/sv90.csv.gz" --exercise "$X" --format json \
    --rejects "$T/rej90.csv" >"$T/a90.json"
check "analyze exit, partial survey" 0 $?
check "joined sessions, partial survey" "$joined90" \
    "$(jq_ "$T/a90.json" 'd["meta"]["sessions"]')"
check "rejected sessions are logged" "$((ex_rows - joined90))" \
    "$(grep -c 'has no survey row' "$T/rej90.csv")"
cs ingest -q --schema exercise "$X" | cs join -q --survey "$T/sv90.csv.gz" |
    cs tag -q | cs aggregate -q --input-name "$X" --format json >"$T/c90.json"
check "analyze = chain, partial survey (the aggregate member)" 1 \
    "$("$PY" -c 'import sys
a, g = open(sys.argv[1]).read(), open(sys.argv[2]).read().rstrip("\n")
print(int("\n\"aggregate\": " + g + ",\n" in a))' "$T/a90.json" "$T/c90.json")"
# analyze's ingest member counts the same.
check "ingest member: sessions read, joined, without survey" \
    "$ex_rows $joined90 $((ex_rows - joined90))" \
    "$("$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))["ingest"]["sessions"]
print(s["read"], s["joined"], s["no_survey"])' "$T/a90.json")"

# ---- (c) filter against awk --------------------------------------------
cs filter 'sex = F and age_years >= 40' "$T/tagged.csv" >"$T/f40.csv"
check "filter exit" 0 $?
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["sex"] == "F" && $c["age_years"] + 0 >= 40 { n++ } END { print n + 0 }' \
    "$T/tagged.csv")
check "filter rows = awk rows" "$want" "$(($(wc -l <"$T/f40.csv") - 1))"
check "filter keeps the header" "$(head -1 "$T/tagged.csv")" "$(head -1 "$T/f40.csv")"
check "filter keeps some, not all" 1 \
    "$((want > 0 && want < $(wc -l <"$T/tagged.csv") - 1))"

# ---- tag: a row tagged among others = the row tagged alone --------------
# tag reuses the previous row's wave when the survey text repeats; rows
# read through libcsv (a quoted field), rows whose wave is rejected and
# repeated rows in between must not leak one row's wave into another.
cs ingest -q --schema exercise "$X" | cs join -q --survey "$V" |
    head -200 >"$T/joined-head.csv"
head -1 "$T/joined-head.csv" >"$T/jh.csv"
# Sessions of the first two participants in turn: the first's plain, the
# second's with a quoted id (read through libcsv), every third of those
# with a survey that is rejected (sex X); every fifth row twice.
awk -F, -v OFS=, 'NR == 1 { next }
    first == "" { first = $1 }
    $1 == first { a[++na] = $0; next }
    second == "" { second = $1 }
    $1 == second { $1 = "\"" $1 "\""; if (nb % 3 == 2) $15 = "X"; b[++nb] = $0 }
    END { for (i = 1; i <= na || i <= nb; i++) {
              if (i <= na) { print a[i]; if (i % 5 == 0) print a[i] }
              if (i <= nb) print b[i] } }' "$T/joined-head.csv" >"$T/jrows.csv"
cat "$T/jh.csv" "$T/jrows.csv" >"$T/jmix.csv"
cs tag -q "$T/jmix.csv" 2>/dev/null | tail -n +2 >"$T/tag-all.csv"
: >"$T/tag-each.csv"
while IFS= read -r row; do
    { cat "$T/jh.csv"; printf '%s\n' "$row"; } |
        cs tag -q 2>/dev/null | tail -n +2 >>"$T/tag-each.csv"
done <"$T/jrows.csv"
check "tag mix: rows kept" "$(grep -c . "$T/tag-each.csv")" "$(grep -c . "$T/tag-all.csv")"
check_file "tag: each row as when tagged alone" "$T/tag-each.csv" "$T/tag-all.csv"
# The same rows with some cells written otherwise than join writes them
# (weight_lb with a trailing zero in every other row, so that a wave's
# rows differ in its text; activity_level in capitals, the same length,
# in every fourth; duration_min with a point in every third): tag writes
# the values, as for the rows joined as join writes them, whose text it
# copies.
awk -F, -v OFS=, '{ if (NR % 2) $19 = ($19 ~ /\./ ? $19 "0" : $19 ".0")
                    if (NR % 4 == 2) $20 = toupper($20)
                    if (NR % 3 == 0) $5 = $5 ".0"; print }' \
    "$T/jrows.csv" >"$T/jrows-other.csv"
cat "$T/jh.csv" "$T/jrows-other.csv" | cs tag -q 2>/dev/null |
    tail -n +2 >"$T/tag-other.csv"
check "tag: cells written otherwise were changed" 1 \
    "$(cmp -s "$T/jrows.csv" "$T/jrows-other.csv"; echo $?)"
check_file "tag: cells written otherwise give the same rows" \
    "$T/tag-all.csv" "$T/tag-other.csv"

# ---- (d) exit codes -------------------------------------------------------
cs join "$X" >/dev/null 2>"$T/e64"
check "join without --survey: 64" 64 $?
check_grep "join 64 message" "join: --survey FILE is required" "$T/e64"
cs join --survey "$T/no-such-survey.csv" "$X" >/dev/null 2>"$T/e66"
check "join with a missing survey: 66" 66 $?
check_grep "join 66 message" "no-such-survey.csv: cannot open" "$T/e66"
cs join --survey "$V" "$T/no-such-exercise.csv" >/dev/null 2>"$T/e66x"
check "join with a missing exercise file: 66" 66 $?
cs aggregate "$S/bad-exercise.csv" >/dev/null 2>"$T/e65"
check "aggregate on a non-tagged CSV: 65" 65 $?
check_grep "aggregate 65 message" \
    "bad-exercise.csv:1: column \"fatigue\" is missing: aggregate reads the output of 'crampstat tag'" \
    "$T/e65"
cs tag "$S/bad-exercise.csv" >/dev/null 2>"$T/e65t"
check "tag on a non-joined CSV: 65" 65 $?
check_grep "tag 65 message" 'required column "survey_date" is missing' "$T/e65t"
cs tag "$T/no-such-joined.csv" >/dev/null 2>&1
check "tag with a missing input: 66" 66 $?
cs aggregate --by no_such_column "$T/tagged.csv" >/dev/null 2>"$T/e64b"
check "aggregate --by a missing column: 64" 64 $?
check_grep "aggregate 64 message" 'no column "no_such_column"' "$T/e64b"
printf 'rules = x\n' >"$T/bad.rules"
cs tag --rules "$T/bad.rules" "$T/tagged.csv" >/dev/null 2>"$T/e65r"
check "tag with a bad rules file: 65" 65 $?
check_grep "rules error names file:line:col" 'bad.rules:1:1: unknown key "rules"' "$T/e65r"
cs aggregate -q "$T/tagged.csv" >/dev/full 2>/dev/null
check "aggregate to a full disk: 74" 74 $?

# ---- (e) analyze with one thread and with three -------------------------
# With two or more threads analyze tags and counts in a thread of its
# own, fed in batches of 1024 sessions in the order they were read; with
# --threads 1 everything runs in one. Output, reject log, messages and
# exit code must be the same byte for byte: on the sample data, bad rows,
# a file left out (--keep-going), --by/--adjust (tagged before the
# hand-over) and a generated set of many batches with its damage.
cs gen --participants 300 --seed 5 --out-dir "$T/gen" >/dev/null 2>&1
check "gen for the thread check" 0 $?
{ gzip -dc "$T/gen/exercise.csv.gz" | head -4000
  echo "P0000001,S999999999,2024-02-30T10:00:00,running,30,5,20,50,400,5,yes,no,"
  gzip -dc "$T/gen/exercise.csv.gz" | sed -n '4001,$p'
  gzip -dc "$T/gen/exercise.csv.gz" | sed -n '2,3p'; } >"$T/gen/mixed.csv"
n=0
while IFS='|' read -r sv ex more; do
    n=$((n + 1))
    for t in 1 2; do
        # shellcheck disable=SC2086
        cs analyze --threads $t --survey "$sv" $ex $more --rejects "$T/rej$t" \
            >"$T/out$t" 2>"$T/err$t"
        echo $? >"$T/code$t"
    done
    check_file "threads 1 = 2, case $n: output" "$T/out1" "$T/out2"
    check_file "threads 1 = 2, case $n: reject log" "$T/rej1" "$T/rej2"
    check_file "threads 1 = 2, case $n: messages" "$T/err1" "$T/err2"
    check_file "threads 1 = 2, case $n: exit code" "$T/code1" "$T/code2"
done <<CASES
$V|--exercise $X|--format json
$S/bad-survey.csv|--exercise $S/bad-exercise.csv|--format csv
$V|--exercise $S/bad-exercise.csv --exercise $X|--keep-going --format json
$V|--exercise $X|--by sex --adjust age_band --format json
$T/gen/survey.csv.gz|--exercise $T/gen/exercise.csv.gz|--format json --period month
$T/gen/survey.csv.gz|--exercise $T/gen/mixed.csv|--by activity --format md
CASES
cs analyze --threads 2 -q --survey "$T/gen/survey.csv.gz" \
    --exercise "$T/gen/mixed.csv" --rejects "$T/rejm" >/dev/null 2>&1
check "the mixed file's rejects: a bad date, two duplicates" 3 \
    "$(tail -n +2 "$T/rejm" | grep -c .)"

# ---- the same sessions in time order ------------------------------------
# Exported by start_time, a participant's sessions are spread through the
# file: the id set, the survey's search and the per-participant tables
# then take their paths for unordered input (the participants fetched
# ahead). The report is the same, byte for byte, as for the file grouped
# by participant (same file names, in two folders).
mkdir -p "$T/grouped" "$T/bytime"
cp "$V" "$T/grouped/survey.csv.gz"
cp "$V" "$T/bytime/survey.csv.gz"
cp "$X" "$T/grouped/exercise.csv.gz"
{ gzip -dc "$X" | head -1; gzip -dc "$X" | tail -n +2 | sort -s -t, -k3,3; } |
    gzip -n >"$T/bytime/exercise.csv.gz"
check "time order: another order" 1 \
    "$(cmp -s "$T/grouped/exercise.csv.gz" "$T/bytime/exercise.csv.gz"; echo $?)"
for fmt in json pretty; do
    for d in grouped bytime; do
        (cd "$T/$d" && cs analyze -q --survey survey.csv.gz \
             --exercise exercise.csv.gz --by sex --format "$fmt" >"../$d.$fmt")
    done
    check_file "time order: the same report ($fmt)" "$T/grouped.$fmt" "$T/bytime.$fmt"
done

finish
