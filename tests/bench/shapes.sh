#!/usr/bin/env bash
# analyze on the main data set written the ways other tools write it:
#   numbered  the generator's own file (session ids S000000001, ...)
#   uuid      session ids replaced by random UUIDs (as many databases and
#             survey platforms make them), once with the duplicate-id
#             check and once with --assume-unique-ids
#   quoted    text fields quoted and missing values written NA, as R's
#             write.csv writes a data frame
#   rlogical  as quoted, with stretched and cramp read into R as logical
#             columns: written TRUE/FALSE, unquoted
#   crlf      CR LF line ends, as spreadsheets on Windows write them
#   bytime    the rows sorted by start_time, as a logging system exports
#             them: each participant's sessions spread through the file
# Each variant is made once from the main exercise file with awk and gzip
# (kept while that file is unchanged). One hyperfine invocation; each
# analyze is given as a ratio to the gzip -dc of its own file. Writes
# $BENCH_DIR/results/shapes.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
ensure_crampstat

main_data
C=$CRAMPSTAT
S=$D/shapes
stamp="$(stat -c %Y "$EX") $(md5sum < "$BENCH_SRC/shapes.sh")"
if [ "$(cat "$S/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$S"; mkdir -p "$S"
    log "making the uuid, quoted, rlogical, crlf and bytime variants of $EX"
    gzip -dc "$EX" | awk -F, -v OFS=, 'BEGIN { srand(1) }
        NR == 1 { print; next }
        { $2 = sprintf("%08x-%04x-4%03x-%04x-%06x%06x", int(rand() * 4294967296),
                       int(rand() * 65536), int(rand() * 4096),
                       32768 + int(rand() * 16384), int(rand() * 16777216),
                       int(rand() * 16777216)); print }' | gzip > "$S/uuid.csv.gz"
    gzip -dc "$EX" | awk -F, -v OFS=, '
        NR == 1 { print; next }
        { for (i = 1; i <= NF; i++)
              if ($i == "") $i = "NA"
              else if (i <= 4 || i >= 11) $i = "\"" $i "\""
          print }' | gzip > "$S/quoted.csv.gz"
    gzip -dc "$EX" | awk -F, -v OFS=, '
        NR == 1 { print; next }
        { for (i = 1; i <= NF; i++)
              if ($i == "") $i = "NA"
              else if (i == 11 || i == 12)
                  $i = $i == "yes" ? "TRUE" : $i == "no" ? "FALSE" : $i
              else if (i <= 4 || i >= 13) $i = "\"" $i "\""
          print }' | gzip > "$S/rlogical.csv.gz"
    gzip -dc "$EX" | sed 's/$/\r/' | gzip > "$S/crlf.csv.gz"
    gzip -dc "$EX" | awk 'NR == 1 { print; fflush(); next }
                         { print | "sort -s -t, -k3,3 -S 1G" }' | gzip > "$S/bytime.csv.gz"
    echo "$stamp" > "$S/.stamp"
fi
prime_cache "$EX" "$SV" "$S"/*.csv.gz

A=(-n "gzip -dc numbered" "gzip -dc $EX > /dev/null"
   -n "analyze numbered" "$C analyze -q -S $SV -e $EX > /dev/null")
for v in uuid quoted rlogical crlf bytime; do
    A+=(-n "gzip -dc $v" "gzip -dc $S/$v.csv.gz > /dev/null"
        -n "analyze $v" "$C analyze -q -S $SV -e $S/$v.csv.gz > /dev/null")
done
A+=(-n "analyze uuid --assume-unique-ids"
    "$C analyze -q --assume-unique-ids -S $SV -e $S/uuid.csv.gz > /dev/null")
log "shapes: $((${#A[@]} / 3)) commands, runs $RUNS ($SESSIONS sessions)"
before=$(loadavg)
hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
    --export-csv "$RESULTS/shapes.csv" "${A[@]}" >&2
after=$(loadavg)
rss() { $TIMEV -f %M "$@" 2>&1 >/dev/null | tail -1; }

{
    echo "### analyze on the same sessions written other ways"
    echo
    echo "$SESSIONS sessions; one hyperfine invocation (--runs $RUNS)," \
         "$(date -u '+%H:%M UTC'), load average before $before, after $after." \
         "Each analyze is compared with the gzip -dc of its own file."
    echo
    echo "| input | .gz bytes | gzip -dc | analyze | × gzip -dc | peak RSS |"
    echo "|---|---:|---:|---:|---:|---:|"
    for v in numbered uuid quoted rlogical crlf bytime "uuid --assume-unique-ids"; do
        f=$S/${v%% *}.csv.gz; [ "$v" = numbered ] && f=$EX
        opt=; [ "$v" = "uuid --assume-unique-ids" ] && opt=--assume-unique-ids
        awk -F, -v v="$v" -v b="$(stat -c %s "$f")" -v k="$(rss "$C" analyze -q $opt -S "$SV" -e "$f")" '
            NR > 1 { mean[$1] = $2 }
            END { g = mean["gzip -dc " (v ~ /^uuid/ ? "uuid" : v)]; a = mean["analyze " v]
                  printf "| %s | %d | %.2f s | %.2f s | %.2f | %.1f MiB |\n", v, b, g, a, a / g, k / 1024 }' \
            "$RESULTS/shapes.csv"
    done
} > "$RESULTS/shapes.md"
cat "$RESULTS/shapes.md"
