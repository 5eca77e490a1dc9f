#!/usr/bin/env bash
# crampstat against its anchors on one data set (5M sessions; 1M with
# QUICK=1), with hyperfine, in one run on the same files:
#   fast group    (RUNS runs):      gzip -dc, igzip -dc, crampstat ingest / analyze /
#                                   piped chains / aggregate, DuckDB,
#                                   gzip -dc | datamash
#   threads group (RUNS runs):      gzip -dc, ingest and analyze --threads 1,
#                                   analyze on one core (taskset), and with
#                                   the zlib inflater
#   slow group    (SLOW_RUNS runs): gzip -dc, mlr cat, mlr chain, mlr
#                                   group-by on tagged.csv
# Ratios are to the gzip -dc of the same hyperfine invocation. Every
# process runs under GNU time (-f %M), so peak RSS comes from the timed runs
# themselves; for a pipeline it is the sum over its stages (they run at
# once). Writes $BENCH_DIR/results/compare.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
ensure_crampstat
ensure_duckdb

main_data
ensure_tagged "$NAME"
TG=$D/tagged.csv
C=$CRAMPSTAT
TG_BYTES=$(stat -c %s "$TG")
prime_cache "$EX" "$SV" "$TG"

# COMPARE_GROUPS picks the hyperfine invocations to run; the others keep
# their results from an earlier run (same files, same binary or not: the
# load lines say when each ran).
COMPARE_GROUPS=${COMPARE_GROUPS:-fast threads slow}
selected() { [[ " $COMPARE_GROUPS " == *" $1 "* ]]; }
OUT=$RESULTS/compare
mkdir -p "$OUT/rss"
: > "$OUT/ids.tsv"; : > "$OUT/commands.txt"

# Column numbers of the group-by keys in the tagged file, for cut before
# datamash (datamash -s sorts whole lines: 7 minutes on 5M 290-byte lines;
# cut keeps the columns in file order: exposure_h, the six factors, outcome).
col() { head -1 "$TG" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
KEYS=fatigue,tightness,heat,dehydration,electrolyte,medical,outcome
DM_KEYS=$(for k in ${KEYS//,/ }; do col "$k"; done | paste -sd,)
DM_HOURS=$(col exposure_h)

# add GROUP ID INPUT NAME CMD: INPUT is ex or tagged (for MB/s); '@T@' marks
# each process that GNU time measures.
FAST=() THREADS=() SLOW=()
add() {
    local group=$1 id=$2 input=$3 name=$4 cmd=$5
    local stages=${cmd//[^@]/}; stages=$(( ${#stages} / 2 ))
    printf '%s\t%s\t%s\t%s\n' "$id" "$name" "$input" "$stages" >> "$OUT/ids.tsv"
    local timed=${cmd//@T@/$TIMEV -a -o $OUT/rss/$id -f %M}
    selected "$group" && rm -f "$OUT/rss/$id"
    local shown=${cmd//@T@ /}
    shown=${shown//$C/\$C}; shown=${shown//$EX/\$EX}; shown=${shown//$SV/\$SV}
    shown=${shown//$TG/\$TG}; shown=${shown//$DUCKQ/node duckdb/query.mjs}
    shown=${shown//$ANCHORS\//anchors/}
    printf '%-28s %s\n' "$id:" "$shown" >> "$OUT/commands.txt"
    case $group in
        fast) FAST+=(-n "$name" "$timed") ;;
        threads) THREADS+=(-n "$name" "$timed") ;;
        *) SLOW+=(-n "$name" "$timed") ;;
    esac
}

add fast gzip ex "gzip -dc" "@T@ gzip -dc $EX > /dev/null"
# ISA-L's own command line tool: what inflating alone costs with the
# inflater crampstat uses.
add fast igzip ex "igzip -dc" "@T@ igzip -dc $EX > /dev/null"
add fast ingest ex "crampstat ingest" \
    "@T@ $C ingest -q --schema exercise $EX > /dev/null"
add fast analyze ex "crampstat analyze" \
    "@T@ $C analyze -q --survey $SV --exercise $EX > /dev/null"
add fast analyze_nc ex "crampstat analyze --cluster none" \
    "@T@ $C analyze -q --cluster none --survey $SV --exercise $EX > /dev/null"
add fast analyze_u ex "crampstat analyze --assume-unique-ids" \
    "@T@ $C analyze -q --assume-unique-ids --survey $SV --exercise $EX > /dev/null"
add fast ijt ex "ingest | join | tag" \
    "@T@ $C ingest -q --schema exercise $EX | @T@ $C join -q --survey $SV | @T@ $C tag -q > /dev/null"
add fast ijta ex "ingest | join | tag | aggregate" \
    "@T@ $C ingest -q --schema exercise $EX | @T@ $C join -q --survey $SV | @T@ $C tag -q | @T@ $C aggregate -q > /dev/null"
add fast aggregate tagged "crampstat aggregate (tagged.csv)" \
    "@T@ $C aggregate -q $TG > /dev/null"
if [ "$HAVE_DUCKDB" = 1 ]; then
    add fast duck_cat ex "DuckDB read .gz + write CSV" \
        "@T@ $DUCKQ $ANCHORS/duckdb-cat.sql EX=$EX > /dev/null"
    add fast duck_chain ex "DuckDB as-of join + tag + group-by (.gz)" \
        "@T@ $DUCKQ $ANCHORS/duckdb-macros.sql $ANCHORS/duckdb-chain.sql EX=$EX SV=$SV > /dev/null"
    add fast duck_groupby tagged "DuckDB group-by (tagged.csv)" \
        "@T@ $DUCKQ $ANCHORS/duckdb-groupby.sql TAGGED=$TG > /dev/null"
fi
add fast dm_groupby tagged "cut | datamash -s group-by (tagged.csv)" \
    "@T@ cut -d, -f$DM_HOURS,$DM_KEYS $TG | @T@ datamash -t, --header-in -s -g 2,3,4,5,6,7,8 count 1 sum 1 > /dev/null"
add fast dm_raw ex "gzip -dc | datamash -s group-by activity (.gz, no join/tag)" \
    "@T@ gzip -dc $EX | @T@ datamash -t, --header-in -s -g 4 count 4 sum 5 > /dev/null"

# Single-threaded crampstat (--threads 1: no read-ahead thread), against
# the single-threaded gzip -dc.
add threads gzip3 ex "gzip -dc  " "@T@ gzip -dc $EX > /dev/null"
add threads ingest_t1 ex "crampstat ingest --threads 1" \
    "@T@ $C ingest -q --threads 1 --schema exercise $EX > /dev/null"
add threads analyze_t1 ex "crampstat analyze --threads 1" \
    "@T@ $C analyze -q --threads 1 --survey $SV --exercise $EX > /dev/null"
add threads analyze_u_t1 ex "crampstat analyze --assume-unique-ids --threads 1" \
    "@T@ $C analyze -q --threads 1 --assume-unique-ids --survey $SV --exercise $EX > /dev/null"
# Default threads on one core: since round 28 the default there is one
# thread (the CPU affinity allows one CPU), so this is --threads 1 pinned.
add threads analyze_core ex "crampstat analyze, one core (taskset -c 0)" \
    "@T@ taskset -c 0 $C analyze -q --survey $SV --exercise $EX > /dev/null"
# The same binary with zlib instead of ISA-L (when it has ISA-L at all).
add threads ingest_zlib ex "crampstat ingest, zlib inflater" \
    "@T@ env CRAMPSTAT_INFLATE=zlib $C ingest -q --schema exercise $EX > /dev/null"
add threads analyze_zlib ex "crampstat analyze, zlib inflater" \
    "@T@ env CRAMPSTAT_INFLATE=zlib $C analyze -q --survey $SV --exercise $EX > /dev/null"

add slow gzip2 ex "gzip -dc " "@T@ gzip -dc $EX > /dev/null"
add slow mlr_cat ex "mlr --icsv --ocsv cat" \
    "@T@ mlr --icsv --ocsv cat $EX > /dev/null"
add slow mlr_chain ex "mlr join + as-of + tag + stats1 (.gz)" \
    "@T@ mlr --icsv --ocsv join -j participant_id -f $SV then put -q -f $ANCHORS/asof.mlr then put -f $ANCHORS/tag.mlr then stats1 -a count,sum -f exposure_h -g $KEYS $EX > /dev/null"
add slow mlr_groupby tagged "mlr stats1 group-by (tagged.csv)" \
    "@T@ mlr --icsv --ocsv stats1 -a count,sum -f exposure_h -g $KEYS $TG > /dev/null"

HF=(hyperfine --style basic --shell "bash --norc -o pipefail")
# bench GROUP LABEL WARMUP RUNS ARGS...: one hyperfine invocation.
bench() {
    local g=$1 label=$2 w=$3 r=$4; shift 4
    selected "$g" || return 0
    log "$label: $(($# / 3)) commands, warmup $w, runs $r ($SESSIONS sessions)"
    local before; before=$(loadavg)
    "${HF[@]}" --warmup "$w" --runs "$r" --export-json "$OUT/$g.json" "$@" >&2
    echo "$label, $(date -u '+%H:%M UTC'): load average before $before, after $(loadavg)" > "$OUT/load.$g"
}
bench fast "fast group" "$WARMUP" "$RUNS" "${FAST[@]}"
bench threads "single-thread group" "$WARMUP" "$RUNS" "${THREADS[@]}"
bench slow "slow group" 0 "$SLOW_RUNS" "${SLOW[@]}"

{
    echo "### crampstat and its anchors on $SESSIONS sessions"
    echo
    echo "Exercise file: $EX_GZ bytes gzip, $EX_BYTES bytes of CSV;" \
         "survey: $(stat -c %s "$SV") bytes gzip; tagged.csv: $TG_BYTES bytes."
    echo "Three hyperfine invocations, each with its own gzip -dc: the fast group and" \
         "the single-thread group (--threads 1) with --warmup $WARMUP --runs $RUNS," \
         "the slow group (Miller) with --warmup 0 --runs $SLOW_RUNS." \
         "Ratios are to the gzip -dc of the same group."
    echo
    node "$BENCH_SRC/table.mjs" --ids "$OUT/ids.tsv" --rss "$OUT/rss" \
        --bytes ex="$EX_BYTES" --bytes tagged="$TG_BYTES" \
        "$OUT/fast.json" "$OUT/threads.json" "$OUT/slow.json"
    echo
    # A group never run here has no load line (and no rows).
    for g in fast threads slow; do
        if [ -f "$OUT/load.$g" ]; then sed 's/^/    /' "$OUT/load.$g"; fi
    done
    echo
    echo "Commands (\$C = crampstat, \$EX/\$SV = exercise/survey .csv.gz," \
         "\$TG = tagged.csv; paths relative to tests/bench/):"
    echo
    sed 's/^/    /' "$OUT/commands.txt"
} > "$RESULTS/compare.md"
cat "$RESULTS/compare.md"
