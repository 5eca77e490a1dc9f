#!/usr/bin/env bash
# The targets' ratios measured in pairs: ROUNDS rounds (default 7; quick:
# 5), each running gzip -dc, igzip -dc, crampstat ingest, analyze and the
# four-stage chain once, in an order that turns by one command a round.
# Each command's ratio to gzip -dc is taken within its round, and the
# median and range over the rounds are reported: on a shared machine
# whose speed drifts by tens of percent from minute to minute, a ratio of
# two runs seconds apart moves far less than one of two means taken over
# a minute (hyperfine's, in compare.sh). Writes
# $BENCH_DIR/results/paired.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
GIVEN=${CRAMPSTAT:-}
ensure_crampstat

main_data
C=$CRAMPSTAT
prime_cache "$EX" "$SV"
if [ "$QUICK" = 1 ]; then ROUNDS=${ROUNDS:-5}; else ROUNDS=${ROUNDS:-7}; fi

IDS=(gzip igzip ingest analyze chain)
declare -A CMD=(
    [gzip]="gzip -dc $EX > /dev/null"
    [igzip]="igzip -dc $EX > /dev/null"
    [ingest]=$(target_cmd ingest "$C")
    [analyze]=$(target_cmd analyze "$C")
    [chain]=$(target_cmd chain "$C")
)
declare -A NAMEOF=([gzip]="gzip -dc" [igzip]="igzip -dc")
for id in ingest analyze chain; do NAMEOF[$id]=${TARGET_NAME[$id]}; done
declare -A TARGET=([ingest]="≤ 0.30" [analyze]="≤ 0.35" [chain]="≤ 1.5")

OUT=$RESULTS/paired
mkdir -p "$OUT"
T=$OUT/times.tsv
: > "$T"
log "paired: $ROUNDS rounds of ${#IDS[@]} commands ($SESSIONS sessions)"
before=$(loadavg)
for ((r = 0; r < ROUNDS; r++)); do
    for ((k = 0; k < ${#IDS[@]}; k++)); do
        id=${IDS[(k + r) % ${#IDS[@]}]}
        printf '%d\t%s\t%s\n' "$r" "$id" "$(seconds "${CMD[$id]}")" >> "$T"
    done
done
after=$(loadavg)

# ID: its ratios to the gzip -dc of each round, and its wall times.
ratios() {
    awk -F'\t' -v id="$1" '{ t[$1, $2] = $3; r[$1] = 1 }
        END { for (k in r) printf "%.6f\n", t[k, id] / t[k, "gzip"] }' "$T"
}
walls() { awk -F'\t' -v id="$1" '$2 == id { print $3 }' "$T"; }
stats() { printf '%s\t%s\n' "$(ratios "$1" | summary %.2f)" "$(walls "$1" | summary %.2f)"; }
{
    echo "### The targets' ratios, in pairs ($ROUNDS rounds, $SESSIONS sessions)"
    echo
    echo "Each round runs the five commands once, the order turning by one a round;"
    echo "a command's ratio is to the \`gzip -dc\` of its own round."
    echo
    echo "| command | × gzip -dc, median | range | wall s, median | range | target |"
    echo "|---|---:|---:|---:|---:|---|"
    for id in "${IDS[@]}"; do
        IFS=$'\t' read -r med qr wmed wr < <(stats "$id")
        printf '| %s | %s | %s | %s | %s | %s |\n' "${NAMEOF[$id]//|/\\|}" \
            "$med" "$qr" "$wmed" "$wr" "${TARGET[$id]:-}"
    done
    echo
    echo "    $(date -u '+%H:%M UTC'): load average before $before, after $after"
    if [ -n "$GIVEN" ]; then
        echo "    crampstat: $GIVEN (CRAMPSTAT)"
    else
        echo "    crampstat: $(cat "$BENCH_DIR/bin/crampstat.source")"
    fi
} > "$RESULTS/paired.md"
cat "$RESULTS/paired.md"
