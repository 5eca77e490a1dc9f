#!/usr/bin/env bash
# Two builds of crampstat timed in alternation: BASE (a git revision, or a
# crampstat binary) against the one under test (CRAMPSTAT, or the working
# tree's as the other scripts build it). ROUNDS rounds (default 10;
# quick: 5) of ingest, analyze and the four-stage chain; in each round
# every command runs once with each build, which one first turning each
# round. For each command: each build's median and range, and the ratio
# of the two runs of a pair (under test / BASE) with how many pairs the
# build under test won. On a shared machine whose speed drifts from
# minute to minute, two runs seconds apart are the firmest comparison
# there is; it is also the one that sees code callgrind cannot run (the
# AVX-512 path: valgrind's CPU has none). Writes $BENCH_DIR/results/ab.md
# and prints it.
#   BASE=HEAD~3 bash tests/bench/ab.sh
#   ONLY=ab BASE=bb82df2 bash tests/bench/run.sh
source "$(dirname "$0")/common.sh"

[ -n "${BASE:-}" ] || die "ab.sh: name the build to compare with: BASE=<git revision or binary>"
ensure_tools
GIVEN=${CRAMPSTAT:-}
ensure_crampstat

# The base build: a binary as given, or the revision's sources built as
# ensure_crampstat builds the working tree's (build_release).
if [ -x "$BASE" ] && [ ! -d "$BASE" ]; then
    B=$BASE
    BASE_NAME=$BASE
else
    rev=$(git -C "$REPO" rev-parse --short "$BASE^{commit}" 2>/dev/null) ||
        die "ab.sh: BASE=$BASE is neither an executable nor a git revision"
    s=$BENCH_DIR/ab-src-$rev b=$BENCH_DIR/ab-build-$rev
    if [ ! -x "$b/crampstat" ]; then
        rm -rf "$s" "$b"; mkdir -p "$s"
        git -C "$REPO" archive "$rev" CMakeLists.txt src include | tar -x -C "$s" ||
            die "ab.sh: cannot read $rev's sources"
        build_release "$s" "$b" || die "ab.sh: the build of $rev failed (see $b.log)"
    fi
    B=$b/crampstat
    BASE_NAME="git $rev"
fi
N=$CRAMPSTAT
if [ -n "$GIVEN" ]; then NEW_NAME=$GIVEN; else NEW_NAME=$(cat "$BENCH_DIR/bin/crampstat.source"); fi

main_data
prime_cache "$EX" "$SV"
if [ "$QUICK" = 1 ]; then ROUNDS=${ROUNDS:-5}; else ROUNDS=${ROUNDS:-10}; fi

IDS=(ingest analyze chain)
OUT=$RESULTS/ab
mkdir -p "$OUT"
T=$OUT/times.tsv
: > "$T"
log "ab: $ROUNDS rounds of ${#IDS[@]} commands, each by two builds ($SESSIONS sessions)"
before=$(loadavg)
for ((r = 0; r < ROUNDS; r++)); do
    for id in "${IDS[@]}"; do
        if ((r % 2)); then order=(new base); else order=(base new); fi
        for who in "${order[@]}"; do
            if [ "$who" = base ]; then bin=$B; else bin=$N; fi
            printf '%d\t%s\t%s\t%s\n' "$r" "$id" "$who" "$(seconds "$(target_cmd "$id" "$bin")")" >> "$T"
        done
    done
done
after=$(loadavg)

walls() { awk -F'\t' -v id="$1" -v who="$2" '$2 == id && $3 == who { print $4 }' "$T"; }
ratios() {
    awk -F'\t' -v id="$1" '$2 == id { t[$1, $3] = $4; r[$1] = 1 }
        END { for (k in r) printf "%.6f\n", t[k, "new"] / t[k, "base"] }' "$T"
}
wins() { ratios "$1" | awk '$1 < 1 { n++ } END { printf "%d of %d", n, NR }'; }
{
    echo "### Two builds in alternation ($ROUNDS rounds, $SESSIONS sessions)"
    echo
    echo "Base: $BASE_NAME. Under test: $NEW_NAME."
    echo "Each round runs every command with both builds, back to back, the"
    echo "first of the two turning each round; the ratio is taken within a pair."
    echo
    echo "| command | base, median | range | under test, median | range | under test / base, median | range | under test faster |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for id in "${IDS[@]}"; do
        IFS=$'\t' read -r bm br < <(walls "$id" base | summary %.2f)
        IFS=$'\t' read -r nm nr < <(walls "$id" new | summary %.2f)
        IFS=$'\t' read -r rm rr < <(ratios "$id" | summary "%.3f")
        printf '| %s | %s s | %s | %s s | %s | %s | %s | %s |\n' "${TARGET_NAME[$id]//|/\\|}" \
            "$bm" "$br" "$nm" "$nr" "$rm" "$rr" "$(wins "$id")"
    done
    echo
    echo "    $(date -u '+%H:%M UTC'): load average before $before, after $after"
} > "$RESULTS/ab.md"
cat "$RESULTS/ab.md"
