#!/usr/bin/env bash
# --shard K/N, shards picked at read time: N runs of ingest (or analyze
# --partial-prefix) over the same files take every row exactly once, each
# run its participants' rows, checked and logged as without --shard; the
# rows of a shard are those pipelines/shard.sh deals to it (an
# implementation of the hash in awk); and the N states merged are the
# single pass's counts, their report its report byte for byte.
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC"
S=sample-data
X=$S/exercise.csv.gz
V=$S/survey.csv.gz
cs() { "$CRAMPSTAT" "$@"; }

# A file of rows that test the id's reading, beside the sample's bad rows
# (sample-data/bad-exercise.csv: an empty id, a duplicate session id, a
# quoted cell with an escaped quote, a row a field short, ...).
H=$(head -n 1 $S/bad-exercise.csv)
{
    cat $S/bad-exercise.csv
    printf '%s\n' \
        ' P0000002 ,Y001,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,' \
        '"P0000003",Y002,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,' \
        '"  P0000004",Y003,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,' \
        "$(printf 'P0000005\t')"',Y004,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,' \
        'P0000006,Y005,2024-05-07T17:56:00,"trail' \
        'running",45,7,28.4,67,560,10,yes,no,' \
        'P0000007,Y006,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,yes,hamstring' \
        'P0000008,Y007,2024-05-07T17:56:00,running,-3,7,28.4,67,560,10,yes,no,' \
        'P0000009,Y008,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,' \
        'P0000010,Y009,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,sometimes,no,' \
        'Pétra,Y010,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,' \
        'P0000011'
    printf 'P0000012,Y011,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,\r\n'
} >"$T/odd.csv"
# A second file with session_id first, so that a row of one field has no
# participant_id at all, and a row with a field over the reader's cap of
# 1 MiB (skipped by the reader, with no fields): both are shard 1's.
{
    echo "session_id,participant_id,start_time,activity,duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,cramp,cramp_muscle"
    echo "Z001,P0000013,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,"
    echo "Z002"
    printf 'Z003,P0000014,2024-05-07T17:56:00,%s,45,7,28.4,67,560,10,yes,no,\n' \
        "$(head -c 1100000 /dev/zero | tr '\0' a)"
    echo "Z004,P0000015,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,"
    echo "Z005,P0000016,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,maybe,no,"
} >"$T/swapped.csv"
files=("$X" "$T/odd.csv" "$T/swapped.csv")

# counts LOG FILE: "read other accepted rejected" from ingest's summary
# line of FILE (other 0 when the line has none).
counts() {
    sed -n "s|^ingest: $2: \([0-9]*\) rows read, \(\([0-9]*\) for other shards, \)\{0,1\}\([0-9]*\) [a-z]*, \([0-9]*\) rejected\$|\1 \3 \4 \5|p" "$1" |
        awk '{ if (NF == 3) print $1, 0, $2, $3; else print }'
}

cs ingest --schema exercise --rejects "$T/all.rej" "${files[@]}" >"$T/all.csv" 2>"$T/all.log"
check "ingest of the three files" 0 $?
sort "$T/all.csv" >"$T/all.sorted"
tail -n +2 "$T/all.rej" | sort >"$T/all.rej.sorted"
nrej=$(($(wc -l <"$T/all.rej") - 1))
check "the odd rows are rejected (some of them)" 1 "$((nrej > 30))"

for n in 1 2 3 5; do
    : >"$T/union.csv"
    : >"$T/union.rej"
    for f in "${files[@]}"; do echo "0 0 0" >"$T/sum.$(basename "$f")"; done
    for ((k = 1; k <= n; k++)); do
        cs ingest --schema exercise --shard "$k/$n" --rejects "$T/$k.rej" \
            "${files[@]}" >"$T/$k.csv" 2>"$T/$k.log"
        check "ingest --shard $k/$n exit" 0 $?
        check "shard $k/$n: one header" "$(head -n 1 "$T/all.csv")" "$(head -n 1 "$T/$k.csv")"
        tail -n +2 "$T/$k.csv" >>"$T/union.csv"
        tail -n +2 "$T/$k.rej" >>"$T/union.rej"
        for f in "${files[@]}"; do
            read -r r o a j < <(counts "$T/$k.log" "$f")
            read -r r0 o0 a0 j0 < <(counts "$T/all.log" "$f")
            check "shard $k/$n of $(basename "$f"): every row read" "$r0" "$r"
            check "shard $k/$n of $(basename "$f"): read = accepted + rejected + other" \
                "$r" "$((a + j + o))"
            read -r sa sj so <"$T/sum.$(basename "$f")"
            echo "$((sa + a)) $((sj + j)) $((so + o))" >"$T/sum.$(basename "$f")"
        done
    done
    for f in "${files[@]}"; do
        read -r r0 o0 a0 j0 < <(counts "$T/all.log" "$f")
        check "$n shards of $(basename "$f"): accepted, rejected and other add up" \
            "$a0 $j0 $((r0 * (n - 1)))" "$(cat "$T/sum.$(basename "$f")")"
    done
    { head -n 1 "$T/all.csv"; cat "$T/union.csv"; } | sort >"$T/union.sorted"
    check_file "$n shards: every accepted row once" "$T/all.sorted" "$T/union.sorted"
    sort "$T/union.rej" >"$T/union.rej.sorted"
    check_file "$n shards: every rejected row once, at its own line" \
        "$T/all.rej.sorted" "$T/union.rej.sorted"
done
# One shard of one is the whole input, byte for byte.
cs ingest -q --schema exercise --shard 1/1 "${files[@]}" >"$T/one.csv"
check_file "--shard 1/1 = no --shard" "$T/all.csv" "$T/one.csv"
check "--shard 1/1's summary counts no other shard" 1 \
    "$(cs ingest --schema exercise --shard 1/1 "$X" 2>&1 >/dev/null | grep -c ', 0 for other shards, ')"

# The same rows as shard.sh deals out (its own reading of CSV, in awk),
# for the sample and the odd rows (one header).
if command -v gzip >/dev/null && command -v awk >/dev/null; then
    # (an empty id on the first data row: shard.sh once lost that row)
    { gzip -dc "$X" | head -n 1
      echo ',Y000,2024-05-07T17:56:00,running,45,7,28.4,67,560,10,yes,no,'
      gzip -dc "$X" | tail -n +2
      tail -n +2 "$T/odd.csv"; } >"$T/x.csv"
    SHARD_IGZIP=no bash pipelines/shard.sh -n 3 -o "$T/sh" -p s- "$T/x.csv"
    check "shard.sh exit" 0 $?
    # The rejected rows of a reject log: column, reason and row, without
    # the file and line (a shard file's lines are its own).
    rejected() { /usr/bin/python3 -c 'import csv, sys
for r in list(csv.reader(open(sys.argv[1], newline="")))[1:]:
    print(repr(r[3:]))' "$1"; }
    for k in 1 2 3; do
        cs ingest -q --schema exercise --rejects "$T/sh$k.rej" "$T/sh/s-$k.csv.gz" >"$T/sh$k.csv"
        cs ingest -q --schema exercise --rejects "$T/rd$k.rej" --shard "$k/3" "$T/x.csv" >"$T/rd$k.csv"
        check_file "shard $k/3 read = shard.sh's shard $k" "$T/sh$k.csv" "$T/rd$k.csv"
        check_file "shard $k/3 read rejects shard.sh's shard $k's rows" \
            <(rejected "$T/sh$k.rej") <(rejected "$T/rd$k.rej")
    done
    check "the empty id's row is rejected in shard 1 either way" 1 \
        "$(grep -c ',Y000,' "$T/sh1.rej")"
fi

# A survey is sharded by its participant_id too.
cs ingest -q --schema survey "$V" | sort >"$T/sv.all"
for k in 1 2; do
    cs ingest -q --schema survey --shard "$k/2" "$V" | tail -n +2
done >"$T/sv.union"
{ cs ingest -q --schema survey "$V" | head -n 1; cat "$T/sv.union"; } | sort >"$T/sv.sorted"
check_file "2 shards of the survey: every row once" "$T/sv.all" "$T/sv.sorted"

# analyze --shard: three runs' states merged are the single pass's counts
# and give its report, with and without --by, over two files.
for opts in "" "--by sex --adjust age_band" "--cluster none"; do
    # shellcheck disable=SC2086
    cs analyze -q --survey "$V" --exercise "$X" --exercise "$T/odd.csv" $opts \
        --partial-prefix "$T/full"
    check "analyze single pass ($opts)" 0 $?
    for k in 1 2 3; do
        # shellcheck disable=SC2086
        cs analyze -q --survey "$V" --exercise "$X" --exercise "$T/odd.csv" $opts \
            --shard "$k/3" --partial-prefix "$T/p$k"
        check "analyze --shard $k/3 ($opts)" 0 $?
    done
    for s in agg cal; do
        cs merge -o "$T/m.$s" "$T/p1.$s.partial" "$T/p2.$s.partial" "$T/p3.$s.partial"
        check_counts "merged shards = single pass ($s, $opts)" "$T/full.$s.partial" "$T/m.$s"
        cs report --format json "$T/full.$s.partial" >"$T/r1"
        cs report --format json "$T/m.$s" >"$T/r2"
        check_file "merged shards' report = single pass's ($s, $opts)" "$T/r1" "$T/r2"
    done
done
# With a survey that has bad rows too: every rejected row of the survey
# and of the sessions is logged once over the shards, at its own line.
{ gzip -dc "$V"; tail -n +2 $S/bad-survey.csv; } >"$T/survey.csv"
cs analyze -q --survey "$T/survey.csv" --exercise "$X" --exercise "$T/odd.csv" \
    --rejects "$T/a.rej" --partial-prefix "$T/full"
check "analyze single pass with a reject log" 0 $?
check "the reject log has survey rows" 1 "$(grep -c "^$T/survey.csv," "$T/a.rej" | awk '{ print ($1 > 5) }')"
: >"$T/u.rej"
for k in 1 2 3 4; do
    cs analyze --survey "$T/survey.csv" --exercise "$X" --exercise "$T/odd.csv" \
        --rejects "$T/a$k.rej" --shard "$k/4" --partial-prefix "$T/p$k" 2>"$T/a$k.log"
    check "analyze --shard $k/4 with a reject log" 0 $?
    tail -n +2 "$T/a$k.rej" >>"$T/u.rej"
    check_grep "shard $k/4: the survey's line says the other shards' rows" \
        "^ingest: $T/survey.csv: 2688 rows read, [0-9]* for other shards, [0-9]* accepted, [0-9]* rejected\$" "$T/a$k.log"
done
tail -n +2 "$T/a.rej" | sort >"$T/a.rej.sorted"
sort "$T/u.rej" >"$T/u.rej.sorted"
check_file "4 shards of analyze: every rejected row once, survey and sessions" \
    "$T/a.rej.sorted" "$T/u.rej.sorted"
for s in agg cal; do
    cs merge -o "$T/m.$s" "$T/p1.$s.partial" "$T/p2.$s.partial" "$T/p3.$s.partial" "$T/p4.$s.partial"
    check_counts "4 merged shards = single pass, survey with bad rows ($s)" "$T/full.$s.partial" "$T/m.$s"
done
check "a shard's state counts only its sessions" 1 \
    "$(awk '$1 == "rows" { print ($2 > 8000 && $2 < 18000) }' "$T/p2.agg.partial")"
cs analyze --survey "$V" --exercise "$X" --shard 2/3 --partial-prefix "$T/q" \
    2>"$T/q.log"
check_grep "analyze --shard says the other shards' rows" \
    "^ingest: $X: 51466 rows read, [0-9]* for other shards, [0-9]* joined, 0 rejected\$" "$T/q.log"

# Refusals.
for bad in 0/3 4/3 3 3/ /3 1/0 1/65537 01/3 1/3x; do
    cs ingest --shard "$bad" "$X" >/dev/null 2>"$T/err"
    check "ingest --shard $bad: usage" 64 $?
    check_grep "ingest --shard $bad: says what it wants" "wants K/N" "$T/err"
done
cs analyze --survey "$V" --exercise "$X" --shard 1/2 >/dev/null 2>"$T/err"
check "analyze --shard without --partial-prefix: usage" 64 $?
check_grep "analyze --shard without --partial-prefix: says why" "give --partial-prefix" "$T/err"
printf 'a,b\n1,2\n' >"$T/ab.csv"
cs ingest --schema any --shard 1/2 "$T/ab.csv" >/dev/null 2>"$T/err"
check "ingest --shard of rows without participant_id: usage" 64 $?
check_grep "ingest --shard without participant_id: names the file" "$T/ab.csv:1: --shard needs a participant_id column" "$T/err"

finish
