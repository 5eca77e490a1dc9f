#!/usr/bin/env bash
# The survey table of join (and analyze) for 1 million participants: a
# survey made with 'crampstat gen --participants 1000000 --sessions-mean
# 0.01' (about 1.3M waves, about 10k sessions), peak RSS of join with no
# session, with its ~10k sessions, and of analyze; a 2000-participant survey
# gives the baseline. Writes $BENCH_DIR/results/survey.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
ensure_crampstat
C=$CRAMPSTAT
P=${SURVEY_PARTICIPANTS:-1000000}

run1() {
    local f; f=$(mktemp "$BENCH_DIR/time.XXXXXX")
    bash -o pipefail -c "$TIMEV -o $f -f '%e %U %S %M' $1 > /dev/null" ||
        { rm -f "$f"; die "failed: $1"; }
    awk 'END { printf "%.2f %.2f %.1f\n", $1, $2 + $3, $4 / 1024 }' "$f"
    rm -f "$f"
}

gen_data survey$P "$P" --sessions-mean 0.01
gen_data p2000 2000
B=$DATA/survey$P S0=$DATA/p2000
waves=$(($(gzip -dc "$B/survey.csv.gz" | wc -l) - 1))
waves0=$(($(gzip -dc "$S0/survey.csv.gz" | wc -l) - 1))
sessions=$(($(gzip -dc "$B/exercise.csv.gz" | wc -l) - 1))
prime_cache "$B"/*.gz "$S0"/*.gz
hdr=$B/exercise-header.csv     # the header alone: join loads the survey only
gzip -dc "$B/exercise.csv.gz" | head -1 > "$hdr" || true

read -r w0 c0 r0 < <(run1 "$C join -q --survey $S0/survey.csv.gz $hdr")
read -r w1 c1 r1 < <(run1 "$C join -q --survey $B/survey.csv.gz $hdr")
read -r w2 c2 r2 < <(run1 "$C join -q --survey $B/survey.csv.gz $B/exercise.csv.gz")
read -r w3 c3 r3 < <(run1 "$C analyze -q --survey $B/survey.csv.gz --exercise $B/exercise.csv.gz")

{
    echo "### The survey table for $P participants (one run each)"
    echo
    echo "Survey: $P participants, $waves waves, $(stat -c %s "$B/survey.csv.gz") bytes gzip," \
         "$(gzip -dc "$B/survey.csv.gz" | wc -c) bytes of CSV; $sessions sessions."
    echo
    echo "| command | wall s | CPU s | peak RSS MiB |"
    echo "|---|---:|---:|---:|"
    echo "| join, 2000-participant survey ($waves0 waves), no session | $w0 | $c0 | $r0 |"
    echo "| join, $P-participant survey, no session | $w1 | $c1 | $r1 |"
    echo "| join, $P-participant survey, its $sessions sessions | $w2 | $c2 | $r2 |"
    echo "| analyze, $P-participant survey, its $sessions sessions | $w3 | $c3 | $r3 |"
    echo
    awk -v r0="$r0" -v r1="$r1" -v w="$waves" -v w0="$waves0" -v p="$P" 'BEGIN {
        d = (r1 - r0) * 1048576
        printf "Survey table: %.0f MiB above the baseline, %.0f bytes per wave, %.0f bytes per participant.\n",
               d / 1048576, d / (w - w0), d / p
    }'
    echo
    echo "Commands: \`crampstat join -q --survey S HEADER.csv\`" \
         "(HEADER.csv holds the exercise header alone, no session: only the survey is loaded), \`crampstat join -q --survey S E\`," \
         "\`crampstat analyze -q --survey S --exercise E\`."
} > "$RESULTS/survey.md"
cat "$RESULTS/survey.md"
