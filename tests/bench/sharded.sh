#!/usr/bin/env bash
# A sharded run of the main data set in SHARDS shards (default 4), the
# shards made both ways:
#   split     pipelines/shard.sh splits the file into shard files first
#             (one serial pass, on the Slurm submit host), and a task
#             reads its shard file: analyze --partial-prefix
#   read      each task reads the whole file and counts its shard as it
#             reads: analyze --shard K/N --partial-prefix (no split)
# timed as a Slurm task gets it (one core, taskset -c 0): the split, one
# task each way; and parallel.sh -j 2 -n 2 on the whole machine both ways
# (--split and the default). gzip -dc is the anchor. The N states of
# both ways are merged and compared first: the same counts. One hyperfine
# invocation; writes $BENCH_DIR/results/sharded.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
ensure_crampstat

main_data
C=$CRAMPSTAT
N=${SHARDS:-4}
W=$BENCH_DIR/sharded
P=$REPO/pipelines
rm -rf "$W"; mkdir -p "$W/split" "$W/read"
prime_cache "$EX" "$SV"
command -v taskset >/dev/null || die "taskset is missing (Debian: util-linux)"
# parallel.sh and partial.sh find crampstat on PATH.
PATH="$(dirname "$C"):$PATH"
export PATH

log "sharded: $N shards both ways ($SESSIONS sessions)"
bash "$P/shard.sh" -n "$N" -o "$W/split" "$EX" || die "shard.sh failed"
for ((k = 1; k <= N; k++)); do
    "$C" analyze -q -S "$SV" -e "$W/split/shard-$k.csv.gz" --input-name "$EX" \
        --partial-prefix "$W/split/$k" || die "analyze of shard $k failed"
    "$C" analyze -q -S "$SV" -e "$EX" --shard "$k/$N" \
        --partial-prefix "$W/read/$k" || die "analyze --shard $k/$N failed"
done
same=yes
for s in agg cal; do
    "$C" merge -o "$W/split.$s" "$W"/split/*."$s".partial || die "merge failed"
    "$C" merge -o "$W/read.$s" "$W"/read/*."$s".partial || die "merge failed"
    cmp -s <(grep -v '^leaf \|^sha256 ' "$W/split.$s") \
           <(grep -v '^leaf \|^sha256 ' "$W/read.$s") || same=no
done
[ "$same" = yes ] || die "the two ways' merged states differ: $W"

A=(-n "gzip -dc (one core)" "taskset -c 0 gzip -dc $EX > /dev/null"
   -n "split: shard.sh -n $N" "bash $P/shard.sh -n $N -o $W/split $EX"
   -n "split: a task (one core)" "taskset -c 0 $C analyze -q -S $SV -e $W/split/shard-1.csv.gz --input-name $EX --partial-prefix $W/split/1"
   -n "read: a task (one core)" "taskset -c 0 $C analyze -q -S $SV -e $EX --shard 1/$N --partial-prefix $W/read/1"
   -n "gzip -dc" "gzip -dc $EX > /dev/null"
   -n "parallel.sh -j 2 -n 2 --split" "bash $P/parallel.sh --split -S $SV -j 2 -n 2 $EX > /dev/null"
   -n "parallel.sh -j 2 -n 2" "bash $P/parallel.sh -S $SV -j 2 -n 2 $EX > /dev/null"
   -n "analyze" "$C analyze -q -S $SV -e $EX > /dev/null")
hyperfine_csv sharded "${A[@]}"
rss_s=$($TIMEV -f %M "$C" analyze -q -S "$SV" -e "$W/split/shard-1.csv.gz" \
    --input-name "$EX" --partial-prefix "$W/split/1" 2>&1 >/dev/null | tail -1)
rss_r=$($TIMEV -f %M "$C" analyze -q -S "$SV" -e "$EX" --shard "1/$N" \
    --partial-prefix "$W/read/1" 2>&1 >/dev/null | tail -1)

{
    echo "### A sharded run, the shards split first or picked as read"
    echo
    echo "$SESSIONS sessions in $N shards; one hyperfine invocation" \
         "(--runs $RUNS), $(date -u '+%H:%M UTC'), load average before" \
         "$before, after $after. The $N states of both ways, merged, hold" \
         "the same counts: $same. CPU is user + system over the runs' processes."
    echo
    anchored_table sharded 'one core|shard.sh'
    echo
    awk -F, -v n="$N" 'NR > 1 { gsub(/"/, ""); m[$1] = $2 }
        END { s = m["split: shard.sh -n " n] + m["split: a task (one core)"]
              r = m["read: a task (one core)"]
              printf "With a core a task, the whole run until the last task ends (the merge apart): split %.2f s (the split, then a task), read %.2f s: %.2f ×.\n", s, r, r / s
              printf "parallel.sh -j 2 -n 2 takes %.2f × its --split time.\n",
                     m["parallel.sh -j 2 -n 2"] / m["parallel.sh -j 2 -n 2 --split"] }' \
        "$RESULTS/sharded.csv"
    echo "Peak RSS of a task: split $(awk -v k="$rss_s" 'BEGIN { printf "%.1f", k / 1024 }') MiB," \
         "read $(awk -v k="$rss_r" 'BEGIN { printf "%.1f", k / 1024 }') MiB (a Nth of the survey)."
} > "$RESULTS/sharded.md"
cat "$RESULTS/sharded.md"
