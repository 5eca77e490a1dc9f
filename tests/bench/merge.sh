#!/usr/bin/env bash
# 'crampstat merge' of 1000 partial states: the first 1,000,000 tagged
# sessions of the main data set cut into 1000 shards of 1000, one
# 'aggregate --partial' per shard (and again with --by age_band), then
# hyperfine on merge and merge | report. Writes
# $BENCH_DIR/results/merge.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
ensure_crampstat
C=$CRAMPSTAT
SHARDS=${SHARDS:-1000}
PER=${PER_SHARD:-1000}

main_data
ensure_tagged "$NAME"
TG=$D/tagged.csv
M=$BENCH_DIR/merge
stamp="$SHARDS $PER $(stat -c %Y "$TG") $(stat -c %Y "$C")"
if [ "$(cat "$M/.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "making $SHARDS partial states of $PER sessions (and --by age_band)"
    rm -rf "$M"; mkdir -p "$M/csv" "$M/plain" "$M/by"
    head -n $((SHARDS * PER + 1)) "$TG" | awk -v per="$PER" -v dir="$M/csv" '
        NR == 1 { h = $0; next }
        (NR - 2) % per == 0 { if (f) close(f); f = sprintf("%s/%04d.csv", dir, (NR - 2) / per); print h > f }
        { print > f }'
    for f in "$M"/csv/*.csv; do
        b=$(basename "$f" .csv)
        "$C" aggregate -q --partial "$f" > "$M/plain/$b.partial"
        "$C" aggregate -q --partial --by age_band "$f" > "$M/by/$b.partial"
    done
    rm -rf "$M/csv"
    echo "$stamp" > "$M/.stamp"
fi
n=$(ls "$M"/plain/*.partial | wc -l)
sz=$(cat "$M"/plain/*.partial | wc -c)
szb=$(cat "$M"/by/*.partial | wc -c)

hyperfine --style basic --warmup 2 --runs 10 --export-json "$RESULTS/merge.json" \
    -n "merge $n partials" "$C merge $M/plain/*.partial > /dev/null" \
    -n "merge $n partials | report" "$C merge $M/plain/*.partial | $C report > /dev/null" \
    -n "merge $n partials (--by age_band)" "$C merge $M/by/*.partial > /dev/null" >&2
rss=$($TIMEV -f %M "$C" merge "$M"/plain/*.partial 2>&1 >/dev/null | tail -1)
rssb=$($TIMEV -f %M "$C" merge "$M"/by/*.partial 2>&1 >/dev/null | tail -1)

{
    echo "### merge of $n partial states"
    echo
    echo "$n partials of $PER sessions each: $sz bytes in all (--by age_band: $szb bytes)." \
         "hyperfine --warmup 2 --runs 10."
    echo
    echo "| command | wall s (mean ± sd) | CPU s | peak RSS MiB |"
    echo "|---|---:|---:|---:|"
    node -e '
        const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
        const rss = [process.argv[2], "", process.argv[3]];
        r.forEach((x, i) => console.log(`| ${x.command.replaceAll("|", "\\|")} | ${x.mean.toFixed(3)} ± ${x.stddev.toFixed(3)} | ${(x.user + x.system).toFixed(3)} | ${rss[i] ? (rss[i] / 1024).toFixed(1) : ""} |`));
    ' "$RESULTS/merge.json" "$rss" "$rssb"
    echo
    echo "Commands: \`crampstat merge DIR/*.partial > /dev/null\`, \`... | crampstat report\`."
} > "$RESULTS/merge.md"
cat "$RESULTS/merge.md"
