#!/usr/bin/env bash
# One shard of a sharded run (pipelines/partial.sh shard, what each Slurm
# array task and each parallel.sh job runs) on the main data set taken as
# one shard, both ways:
#   analyze   crampstat analyze --partial-prefix: both states, one process
#             (what partial.sh shard runs)
#   piped     ingest | join | tag | tee >(calories --partial) |
#             aggregate --partial: the same states from five processes
#             (what it ran before, and still runs for a --by column
#             analyze cannot give)
# on one core (taskset -c 0, as a Slurm task of --cpus-per-task=1 gets)
# and on all, with gzip -dc as the anchor. The two ways' states are
# compared byte for byte first. One hyperfine invocation; writes
# $BENCH_DIR/results/shard.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
ensure_crampstat

main_data
C=$CRAMPSTAT
W=$BENCH_DIR/shard
rm -rf "$W"; mkdir -p "$W"
prime_cache "$EX" "$SV"
command -v taskset >/dev/null || die "taskset is missing (Debian: util-linux)"

ana="$C analyze -q -S $SV -e $EX --input-name exercise.csv.gz --partial-prefix $W/a"
piped="$C ingest -q --schema exercise $EX | $C join -q --survey $SV | $C tag -q |
  tee >($C calories -q --partial -o $W/p.cal.partial) |
  $C aggregate -q --partial --input-name exercise.csv.gz -o $W/p.agg.partial"

log "shard: the states of both ways ($SESSIONS sessions)"
bash -o pipefail -c "$ana" || die "failed: $ana"
bash -o pipefail -c "$piped" || die "failed: $piped"
# calories of the tee may end just after aggregate
for _ in $(seq 50); do [ -s "$W/p.cal.partial" ] && break; sleep 0.1; done
same=yes
for k in agg cal; do cmp -s "$W/a.$k.partial" "$W/p.$k.partial" || same=no; done
[ "$same" = yes ] || die "the two ways' states differ: $W"

A=(-n "gzip -dc (one core)" "taskset -c 0 gzip -dc $EX > /dev/null"
   -n "analyze (one core)" "taskset -c 0 $ana"
   -n "piped (one core)" "taskset -c 0 bash -o pipefail -c '$piped'"
   -n "gzip -dc" "gzip -dc $EX > /dev/null"
   -n "analyze" "$ana"
   -n "piped" "bash -o pipefail -c '$piped'")
hyperfine_csv shard "${A[@]}"
rss_a=$($TIMEV -f %M bash -c "$ana" 2>&1 >/dev/null | tail -1)
rss_p=$(peak_rss "@T@ $C ingest -q --schema exercise $EX | @T@ $C join -q --survey $SV |
  @T@ $C tag -q | @T@ $C aggregate -q --partial -o $W/p2.agg.partial" | cut -d' ' -f1)

{
    echo "### One shard's partial states, two ways"
    echo
    echo "$SESSIONS sessions as one shard; one hyperfine invocation" \
         "(--runs $RUNS), $(date -u '+%H:%M UTC'), load average before" \
         "$before, after $after. The two ways' states are the same bytes:" \
         "$same. CPU is user + system over the runs' processes."
    echo
    anchored_table shard 'one core'
    echo
    awk -F, 'NR > 1 { gsub(/"/, ""); m[$1] = $2 }
        END { printf "On one core the piped way takes %.2f × analyze'"'"'s time; on all cores %.2f ×.\n",
                     m["piped (one core)"] / m["analyze (one core)"], m["piped"] / m["analyze"] }' \
        "$RESULTS/shard.csv"
    echo "Peak RSS: analyze $(awk -v k="$rss_a" 'BEGIN { printf "%.1f", k / 1024 }') MiB;" \
         "the piped way's ingest, join, tag and aggregate together" \
         "$(awk -v k="$rss_p" 'BEGIN { printf "%.1f", k / 1024 }') MiB (the calories beside them not counted)."
} > "$RESULTS/shard.md"
cat "$RESULTS/shard.md"
