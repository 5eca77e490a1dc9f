#!/usr/bin/env bash
# End to end: the sample data split into 4 shards by participant, each
# aggregated to a partial state, merged in different orders: the report
# equals the single pass byte for byte. And 1000 states of the same counts
# (of inputs named apart) merge to exactly 1000 times those counts.
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC"
S=sample-data
X=$S/exercise.csv.gz
V=$S/survey.csv.gz
cs() { "$CRAMPSTAT" "$@"; }

# The single pass.
cs ingest -q --schema exercise "$X" | cs join -q --survey "$V" | cs tag -q \
    >"$T/tagged.csv"
for fmt in json pretty; do
    cs aggregate -q --by sex --input-name "$X" --format "$fmt" \
        <"$T/tagged.csv" >"$T/single.$fmt"
    check "single pass exit ($fmt)" 0 $?
done
cs aggregate -q --by sex --input-name "$X" --partial <"$T/tagged.csv" \
    >"$T/single.partial"

# Four shards by participant (the number in the id modulo 4), each with
# the header.
gzip -dc "$X" | awk -F, -v dir="$T" '
    NR == 1 { h = $0; for (k = 0; k < 4; k++) print h > (dir "/shard" k ".csv"); next }
    { print > (dir "/shard" (substr($1, 2) % 4) ".csv") }'
rows=0
for k in 0 1 2 3; do
    n=$(($(wc -l <"$T/shard$k.csv") - 1))
    check "shard $k is not empty" 1 "$((n > 0))"
    rows=$((rows + n))
    gzip "$T/shard$k.csv"
done
check "the shards hold every row" "$(gzip -dc "$X" | awk 'NR > 1' | wc -l)" "$rows"
for k in 0 1 2 3; do
    gzip -dc "$T/shard$k.csv.gz" | cs ingest -q --schema exercise |
        cs join -q --survey "$V" | cs tag -q |
        cs aggregate -q --partial --by sex --input-name "$X" >"$T/s$k.partial"
    check "shard $k chain exit" "0 0 0 0 0" "${PIPESTATUS[*]}"
done

# Merged pairwise in two orders, and in one call with a shuffled list.
cs merge "$T/s0.partial" "$T/s1.partial" >"$T/m01"
cs merge "$T/s2.partial" "$T/s3.partial" >"$T/m23"
cs merge "$T/m01" "$T/m23" >"$T/orderA"
check "merge exit (pairs)" 0 $?
cs merge "$T/s3.partial" "$T/s1.partial" >"$T/m31"
cs merge "$T/m31" "$T/s0.partial" >"$T/m310"
cs merge "$T/s2.partial" "$T/m310" >"$T/orderB"
check "merge exit (chain)" 0 $?
cs merge "$T/s2.partial" "$T/s0.partial" "$T/s3.partial" "$T/s1.partial" >"$T/orderC"
check "merge exit (one call)" 0 $?
# From standard input, one state.
cs merge <"$T/orderC" >"$T/orderD"
check_file "merged states are canonical (A = B)" "$T/orderA" "$T/orderB"
check_file "merged states are canonical (A = C)" "$T/orderA" "$T/orderC"
check_file "merge of one state from stdin is the identity" "$T/orderC" "$T/orderD"
check_counts "merged state = single-pass state" "$T/single.partial" "$T/orderA"
check "the merged state lists the four shards" 4 "$(grep -c '^leaf ' "$T/orderA")"
for o in A B C; do
    for fmt in json pretty; do
        cs report --format "$fmt" "$T/order$o" >"$T/report$o.$fmt"
        check "report exit ($o, $fmt)" 0 $?
        check_file "merged report = single pass (order $o, $fmt)" \
            "$T/single.$fmt" "$T/report$o.$fmt"
    done
done
# Also via standard input and gzip-compressed states.
gzip -c "$T/orderB" >"$T/orderB.gz"
cs report --format json <"$T/orderB.gz" >"$T/reportBgz.json"
check_file "report of a gzip state from stdin" "$T/single.json" "$T/reportBgz.json"
# analyze agrees too: its JSON holds the aggregate report as the member
# "aggregate", byte for byte (then the calorie report follows).
cs analyze -q --by sex --survey "$V" --exercise "$X" --format json >"$T/analyze.json"
check "analyze's aggregate member = merged report" 1 \
    "$(/usr/bin/python3 -c 'import sys
a, g = open(sys.argv[1]).read(), open(sys.argv[2]).read().rstrip("\n")
print(int("\n\"aggregate\": " + g + ",\n" in a))' "$T/analyze.json" "$T/reportA.json")"

# Different --by or rules refuse to merge (exit 65, naming the file).
cs aggregate -q --partial --by age_band --input-name "$X" <"$T/tagged.csv" \
    >"$T/age.partial"
cs merge "$T/s0.partial" "$T/age.partial" >/dev/null 2>"$T/e65"
check "merge of different --by: 65" 65 $?
check_grep "merge names the file" "age.partial: cannot merge: the states are stratified by different columns" "$T/e65"
printf 'heat.heat_index_c = 30\n' >"$T/hot.rules"
cs aggregate -q --partial --by sex --rules "$T/hot.rules" --input-name "$X" \
    <"$T/tagged.csv" >"$T/hot.partial"
cs merge "$T/s0.partial" "$T/hot.partial" >/dev/null 2>"$T/e65r"
check "merge of different rules: 65" 65 $?
check_grep "rules message" "made with different rules" "$T/e65r"
head -n 5 "$T/s0.partial" >"$T/cut.partial"
cs merge "$T/s1.partial" "$T/cut.partial" >/dev/null 2>"$T/e65c"
check "merge of a truncated state: 65" 65 $?
check_grep "truncated message" 'cut.partial:5: the state is truncated' "$T/e65c"

# ---- 1000 states of the same counts ----------------------------------------
# One state given 1000 times is refused (its sessions would count 1000
# times); 1000 inputs with the same rows, named apart, are 1000 states.
# aggregate writes two of them; the others are the same text with the
# input's name, leaf id and sha256 line made by python (one process, not
# 1000 crampstat runs: memcheck.sh runs this script under valgrind), and
# they are checked to be what aggregate writes.
head -n 301 "$T/tagged.csv" >"$T/small.csv"
cs aggregate -q --partial --by sex --input-name small <"$T/small.csv" >"$T/small.partial"
for i in 0001 0002; do
    cs aggregate -q --partial --by sex --input-name "small-$i" <"$T/small.csv" \
        >"$T/agg-$i.partial"
done
python3 - "$T" <<'PY'
import hashlib, sys
d = sys.argv[1]
text = open(d + "/agg-0001.partial", "rb").read()
body = text[:text.index(b"\nleaf ") + 1].replace(b"\ninput :small-0001\n", b"\ninput :%s\n")
for i in range(1, 1001):
    b = body.replace(b"%s", b"small-%04d" % i)
    b += b"leaf " + hashlib.sha256(b).hexdigest().encode() + b"\n"
    b += b"sha256 " + hashlib.sha256(b).hexdigest().encode() + b"\nend\n"
    open(d + "/small-%04d.partial" % i, "wb").write(b)
PY
check_file "a state made by python = aggregate's (0001)" "$T/agg-0001.partial" "$T/small-0001.partial"
check_file "a state made by python = aggregate's (0002)" "$T/agg-0002.partial" "$T/small-0002.partial"
args=()
for i in $(seq -w 1000); do args+=("$T/small-$i.partial"); done
cs merge "${args[@]}" >"$T/x1000.partial"
check "merge of 1000 states exit" 0 $?
check "... lists 1000 leaves" 1000 "$(grep -c '^leaf ' "$T/x1000.partial")"
cs merge "$T/small-0001.partial" "${args[@]}" >/dev/null 2>"$T/e1001"
check "... and one of them again is refused" 65 $?
check_grep "... naming both" "small-0001.partial: cannot merge: the file is given twice" "$T/e1001"
# Every count times 1000, by awk, and the 1000 inputs (rows: both; cell: sessions, cases,
# exposure; pattern: n, y and exposure, not the bits; a participant's
# entries: sessions, cases and exposure, not the key; the dose-response
# and per-day counts, not the bands or dates).
awk '$1 == "rows" { printf "rows %.0f %.0f\n", $2 * 1000, $3 * 1000; next }
     $1 == "cell" { printf "%s %s %s %.0f %.0f %.0f\n", $1, $2, $3,
                    $4 * 1000, $5 * 1000, $6 * 1000; next }
     $1 == "pattern" { printf "pattern %s %.0f %.0f %.0f\n", $2, $3 * 1000,
                       $4 * 1000, $5 * 1000; next }
     $1 == "p" { line = $1 " " $2
                 for (i = 3; i <= NF; i++) {
                     split($i, e, ":")
                     line = line sprintf(" %s:%.0f:%.0f:%.0f", e[1], e[2] * 1000,
                                         e[3] * 1000, e[4] * 1000)
                 }
                 print line; next }
     $1 == "dose" { printf "dose %s %s %s %.0f %.0f\n", $2, $3, $4, $5 * 1000,
                    $6 * 1000; next }
     $1 == "band" { printf "band %s %s %.0f %.0f %.0f\n", $2, $3, $4 * 1000,
                    $5 * 1000, $6 * 1000; next }
     $1 == "dp" { line = $1 " " $2
                  for (i = 3; i <= NF; i++) {
                      split($i, e, ":")
                      line = line sprintf(" %s:%.0f:%.0f", e[1], e[2] * 1000,
                                          e[3] * 1000)
                  }
                  print line; next }
     $1 == "undated" { printf "undated %.0f\n", $2 * 1000; next }
     $1 == "day" { line = sprintf("day %s %.0f %.0f %.0f", $2, $3 * 1000,
                                  $4 * 1000, $5 * 1000)
                   for (i = 6; i <= NF; i++) {
                       split($i, e, "/")
                       line = line sprintf(" %.0f/%.0f", e[1] * 1000, e[2] * 1000)
                   }
                   print line; next }
     $1 == "input" { for (i = 1; i <= 1000; i++) printf "input :small-%04d\n", i; next }
     { print }' "$T/small.partial" >"$T/want1000.partial"
check_counts "1000 states = counts x 1000" "$T/want1000.partial" "$T/x1000.partial"
check "rows x 1000" "rows 300000 $(($(awk '$1 == "rows" { print $3 }' "$T/small.partial") * 1000))" \
    "$(grep '^rows ' "$T/x1000.partial")"
small_f=$(awk '$0 == "stratum :F" { s = 1; next } /^stratum/ { s = 0 }
    s && $2 == "fatigue" && $3 == "exposed" { print $4 }' "$T/small.partial")
big_f=$(awk '$0 == "stratum :F" { s = 1; next } /^stratum/ { s = 0 }
    s && $2 == "fatigue" && $3 == "exposed" { print $4 }' "$T/x1000.partial")
check "F fatigue exposed x 1000" "$((small_f * 1000))" "$big_f"
cs report --format json "$T/x1000.partial" >"$T/x1000.json"
check "report of 1000 copies exit" 0 $?
check_grep "report of 1000 copies counts" '"sessions": 300000' "$T/x1000.json"

# ------------------------------------------- analyze --partial-prefix
# A shard's two states from one process: byte for byte what the piped
# commands write (aggregate --partial and calories --partial of the tagged
# sessions), leaf and sha256 lines included, for every option that goes
# into a state.
printf 'heat.heat_index_c = 27\ntightness.warmup_min = 8\n' >"$T/r.rules"
pp=0
while IFS='|' read -r label aopt copt tagopt; do
    pp=$((pp + 1))
    read -r -a A <<<"$aopt"; read -r -a C <<<"$copt"; read -r -a G <<<"$tagopt"
    cs ingest -q --schema exercise "$T/shard1.csv.gz" | cs join -q --survey "$V" |
        cs tag -q "${G[@]}" >"$T/pp$pp.tagged"
    cs aggregate -q --partial "${A[@]}" --input-name shards.csv <"$T/pp$pp.tagged" \
        >"$T/pp$pp.want.agg"
    cs calories -q --partial "${C[@]}" <"$T/pp$pp.tagged" >"$T/pp$pp.want.cal"
    cs analyze -q --survey "$V" --exercise "$T/shard1.csv.gz" "${A[@]}" \
        --input-name shards.csv --partial-prefix "$T/pp$pp" >"$T/pp$pp.out"
    check "analyze --partial-prefix ($label): exit, nothing on stdout" "0 " "$? $(cat "$T/pp$pp.out")"
    check_file "analyze --partial-prefix ($label): aggregate's state" "$T/pp$pp.want.agg" "$T/pp$pp.agg.partial"
    check_file "analyze --partial-prefix ($label): calories' state" "$T/pp$pp.want.cal" "$T/pp$pp.cal.partial"
done <<OPTIONS
no option|||
--by sex --adjust age_band|--by sex --adjust age_band|--by sex|
--by activity_level --cluster none|--by activity_level --cluster none|--by activity_level|
--by activity, rules, any cramp|--by activity --rules $T/r.rules --outcome any|--rules $T/r.rules --outcome any|--rules $T/r.rules --outcome any
OPTIONS
# The calorie state holds the sessions' goals and no survey participant;
# the survey's own state adds them (what partial.sh report merges).
check_grep "the shard's calorie state counts no participant" '^participants 0$' "$T/pp1.cal.partial"
check "the shard's calorie state links sessions" 1 \
    "$(awk '$1 == "link" { n += $3 } END { print (n > 0) }' "$T/pp1.cal.partial")"

# Two files: each recorded under its path, the counts those of the two
# files' states merged.
cs analyze -q --survey "$V" -e "$T/shard0.csv.gz" -e "$T/shard2.csv.gz" \
    --partial-prefix "$T/two"
check "analyze --partial-prefix, two files: exit" 0 $?
for k in 0 2; do
    cs analyze -q --survey "$V" -e "$T/shard$k.csv.gz" --partial-prefix "$T/one$k"
done
cs merge "$T/one0.agg.partial" "$T/one2.agg.partial" >"$T/one02.agg"
cs merge "$T/one0.cal.partial" "$T/one2.cal.partial" >"$T/one02.cal"
check_counts "two files: aggregate state = the files' states merged" "$T/one02.agg" "$T/two.agg.partial"
check_counts "two files: calories state = the files' states merged" "$T/one02.cal" "$T/two.cal.partial"
check "two files: both inputs recorded" "input :$T/shard0.csv.gz
input :$T/shard2.csv.gz" "$(grep '^input ' "$T/two.agg.partial")"

# The four shards' states merged: the single pass's counts.
for k in 0 1 2 3; do
    cs analyze -q --survey "$V" -e "$T/shard$k.csv.gz" --by sex --input-name "$X" \
        --partial-prefix "$T/a$k"
done
cs merge "$T"/a[0-3].agg.partial >"$T/a.agg"
check_counts "four shards by analyze, merged = single-pass state" "$T/single.partial" "$T/a.agg"

# What it refuses, before reading: 64 and no file.
pfx() { cs analyze -q --survey "$V" -e "$T/shard1.csv.gz" "$@" 2>"$T/pfx.err"; echo $?; }
check "--partial-prefix with -o: 64" 64 "$(pfx --partial-prefix "$T/no" -o "$T/no.txt")"
check_grep "--partial-prefix with -o: message" 'give one' "$T/pfx.err"
check "--partial-prefix with --format: 64" 64 "$(pfx --partial-prefix "$T/no" --format json)"
check_grep "--partial-prefix with --format: message" "^crampstat: analyze: --format does not apply to --partial-prefix" "$T/pfx.err"
check "--partial-prefix with --keep-going: 64" 64 "$(pfx --partial-prefix "$T/no" --keep-going)"
check "--input-name without --partial-prefix: 64" 64 "$(pfx --input-name x)"
check_grep "--input-name without --partial-prefix: message" 'give --partial-prefix too' "$T/pfx.err"
check "--input-name with two files: 64" 64 "$(pfx -e "$T/shard2.csv.gz" --partial-prefix "$T/no" --input-name x)"
check "--partial-prefix -: 64" 64 "$(pfx --partial-prefix -)"
check "--rejects is one of the states: 64" 64 "$(pfx --partial-prefix "$T/no" --rejects "$T/no.cal.partial")"
check "no state after the refusals" "" "$(cd "$T" && ls no.* 2>/dev/null)"
check "a folder that is not there: 74" 74 "$(pfx --partial-prefix "$T/nodir/x")"
check_grep "a folder that is not there: message" "$T/nodir/x.agg.partial" "$T/pfx.err"

# A shard that breaks part way: 65, and the states of an earlier run are
# left as they were (each is put in place only when complete).
head -c 30000 "$T/shard3.csv.gz" >"$T/cut.csv.gz"
echo old >"$T/keep.agg.partial"; echo old >"$T/keep.cal.partial"
check "a truncated gzip shard: 65" 65 "$(pfx -e "$T/cut.csv.gz" --partial-prefix "$T/keep")"
check "a truncated gzip shard: the old states stay" "old old" \
    "$(cat "$T/keep.agg.partial" "$T/keep.cal.partial" | tr '\n' ' ' | sed 's/ $//')"

finish
