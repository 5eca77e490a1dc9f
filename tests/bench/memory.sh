#!/usr/bin/env bash
# The memory curve: peak RSS of 'crampstat analyze' (with and without
# --assume-unique-ids) and of 'crampstat ingest' as the input grows
# (CURVE_SIZES, millions of sessions: 1 5 10 20; 1 5 with QUICK=1), one run
# each under GNU time, and the survey table alone (join with no session).
# Writes $BENCH_DIR/results/memory.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
ensure_crampstat
C=$CRAMPSTAT

# run1 CMD: one run under GNU time; prints "WALL CPU RSS_MB".
run1() {
    local f; f=$(mktemp "$BENCH_DIR/time.XXXXXX")
    bash -o pipefail -c "$TIMEV -o $f -f '%e %U %S %M' $1 > /dev/null" ||
        { rm -f "$f"; die "failed: $1"; }
    awk 'END { printf "%.2f %.2f %.1f\n", $1, $2 + $3, $4 / 1024 }' "$f"
    rm -f "$f"
}

rows=()
for m in $CURVE_SIZES; do
    p=$((m * 40000))   # crampstat gen: 25 sessions per participant on average
    name=p$p
    gen_data "$name" "$p"
    D=$DATA/$name EX=$DATA/$name/exercise.csv.gz SV=$DATA/$name/survey.csv.gz
    read -r sessions _ _ < <(sizes "$name")
    waves=$(($(gzip -dc "$SV" | wc -l) - 1))
    prime_cache "$EX" "$SV"
    log "memory curve: $sessions sessions (load $(loadavg))"
    gzip -dc "$EX" | head -1 > "$D/exercise-header.csv" || true
    gzip -dc "$SV" | head -2 > "$D/survey-1wave.csv" || true
    read -r _ _ base < <(run1 "$C join -q --survey $D/survey-1wave.csv $D/exercise-header.csv")
    read -r _ _ sv < <(run1 "$C join -q --survey $SV $D/exercise-header.csv")
    read -r aw ac ar < <(run1 "$C analyze -q --survey $SV --exercise $EX")
    read -r uw uc ur < <(run1 "$C analyze -q --assume-unique-ids --survey $SV --exercise $EX")
    read -r iw ic ir < <(run1 "$C ingest -q --schema exercise $EX")
    rows+=("$sessions $waves $sv $ar $ur $ir $aw $ac $uw $uc $iw $ic $base")
done

{
    echo "### Memory curve (one run each; peak RSS from GNU time %M)"
    echo
    echo "| sessions | survey waves | survey table MiB | analyze MiB | analyze --assume-unique-ids MiB | ingest MiB | session-id set MiB | analyze -u beyond the survey table MiB | ingest beyond the id set MiB |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for r in "${rows[@]}"; do
        set -- $r
        awk -v s="$1" -v w="$2" -v sv="$3" -v a="$4" -v u="$5" -v i="$6" -v b="${13}" 'BEGIN {
            t = sv - b; ids = a - u
            printf "| %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", s, w, t, a, u, i, ids, u - t, i - ids
        }'
    done
    echo
    echo "Survey table = peak RSS of join loading the survey alone minus that of join" \
         "loading a one-wave survey (${base:-?} MiB: binary, libraries, buffers)." \
         "Session-id set = analyze minus analyze --assume-unique-ids (same code as ingest's)."
    echo
    echo "| sessions | analyze wall / CPU s | --assume-unique-ids wall / CPU s | ingest wall / CPU s |"
    echo "|---:|---:|---:|---:|"
    for r in "${rows[@]}"; do
        set -- $r
        echo "| $1 | $7 / $8 | $9 / ${10} | ${11} / ${12} |"
    done
    echo
    if [ ${#rows[@]} -ge 2 ]; then
        set -- ${rows[0]}; s0=$1 a0=$4 i0=$6 u0=$5 sv0=$3
        set -- ${rows[${#rows[@]} - 1]}; s1=$1 a1=$4 i1=$6 u1=$5 sv1=$3
        awk -v s0="$s0" -v s1="$s1" -v a0="$a0" -v a1="$a1" -v i0="$i0" -v i1="$i1" \
            -v u0="$u0" -v u1="$u1" -v sv0="$sv0" -v sv1="$sv1" 'BEGIN {
            ds = s1 - s0
            printf "From %d to %d sessions: ingest grows by %.1f bytes per session, " \
                   "analyze by %.1f, analyze --assume-unique-ids by %.2f " \
                   "(its survey table alone by %.2f).\n", s0, s1,
                   (i1 - i0) * 1048576 / ds, (a1 - a0) * 1048576 / ds,
                   (u1 - u0) * 1048576 / ds, (sv1 - sv0) * 1048576 / ds
        }'
    fi
    echo
    echo "Commands: \`analyze -q [--assume-unique-ids] --survey S --exercise E\`," \
         "\`ingest -q --schema exercise E\`, the survey alone:" \
         "\`crampstat join -q --survey S HEADER.csv\` (HEADER.csv: the exercise header, no session)," \
         "baseline: the same with the survey's header and first wave only."
} > "$RESULTS/memory.md"
cat "$RESULTS/memory.md"
