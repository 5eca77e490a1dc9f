#!/usr/bin/env bash
# The two halves of a sharded run, shared by parallel.sh and the Slurm jobs
# so that both make exactly what `crampstat analyze` makes:
#   partial.sh shard SHARD INPUT_NAME PREFIX [K/N]  one shard -> partial states
#   partial.sh report OUTPUT DIR               DIR's partial states -> report
#   partial.sh check                           the report's settings, first
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: partial.sh shard SHARD INPUT_NAME PREFIX [K/N]
       partial.sh report OUTPUT DIR
       partial.sh check
The shard and report halves of a sharded `crampstat analyze`.

shard: crampstat analyze --partial-prefix PREFIX --input-name INPUT_NAME
  (INPUT_NAME: the name analyze records) -> PREFIX.agg.partial, what
  ingest SHARD | join | tag | aggregate --partial writes, and
  PREFIX.cal.partial, what calories --partial of the tagged sessions
  writes. For a CS_BY or CS_ADJUST column analyze cannot group by, and
  with a crampstat without --partial-prefix, that piped chain runs.
  With K/N, SHARD is a whole file and only shard K of N of its
  participants are counted, picked as it is read (crampstat --shard, the
  hash shard.sh deals rows out by): N runs over the file, K = 1 to N,
  make the states of shard.sh's N shards without a split.
report: merge DIR/*.agg.partial, and DIR/*.cal.partial with the survey's
  calories --partial, and write what analyze writes: the aggregate report,
  a blank line, the calorie report (JSON: {"aggregate": ..., "calories":
  ...}, analyze's object without its "ingest" member; no HTML). OUTPUT is
  written atomically; '-' is standard output.
check: the report's settings (and CS_CLUSTER) as crampstat report reads
  them, before any shard runs; a bad one is exit 64 with crampstat's
  reason alone on standard output, for the caller's message.

Settings from the environment: CRAMPSTAT (default: crampstat on PATH),
CS_SURVEY (required), CS_RULES, CS_BY, CS_ADJUST, CS_CLUSTER (aggregate's
--cluster: participant or none); for report CS_FORMAT, CS_LEVEL, CS_CI,
CS_YATES (1), CS_PERIOD (week or month), CS_SAFE_CSV (1), CS_STATE_DIR (keep the merged states
there: aggregate.partial and calories.partial, the sessions' states, which
merge with those of later runs, and survey-calories.partial, the survey's
calorie state, which a report of several runs takes once); CS_VERBOSE=1 keeps
crampstat's summary lines. A crampstat without the calories command
gives the aggregate report alone, as its analyze does.

Exit status: that of the first crampstat command that failed (64 usage,
65 bad data, 66 input cannot be opened, 74 write error); 64 bad arguments;
66 (report) DIR holds no *.agg.partial, or, with calories, no
*.cal.partial, or an X.agg.partial without its X.cal.partial (or the
reverse).
EOF
}

die() { local rc=$1; shift; echo "partial.sh: $*" >&2; exit "$rc"; }
CRAMPSTAT=${CRAMPSTAT:-crampstat}
: "${CS_RULES:=}" "${CS_BY:=}" "${CS_ADJUST:=}" "${CS_FORMAT:=}" "${CS_LEVEL:=}"
: "${CS_CI:=}" "${CS_YATES:=0}" "${CS_STATE_DIR:=}" "${CS_VERBOSE:=0}"
: "${CS_CLUSTER:=}" "${CS_PERIOD:=}" "${CS_SAFE_CSV:=0}"
q=(-q); [ "$CS_VERBOSE" = 1 ] && q=()
have_calories() { "$CRAMPSTAT" calories --help >/dev/null 2>&1; }
# Whether analyze has the option $1 (a crampstat from before may not):
# --partial-prefix writes a shard's two states, --shard picks a shard as
# the file is read.
analyze_has() { [[ $("$CRAMPSTAT" analyze --help 2>/dev/null) == *"$1"* ]]; }
# analyze groups the calories by --by when it is one of theirs, else by sex.
case $CS_BY in sex|age_band|activity_level) cal_by=$CS_BY ;; *) cal_by=sex ;; esac
tmp=
# A signal that comes while the temporary folder goes must not stop that.
cleanup() { trap '' INT TERM; [ -z "$tmp" ] || rm -rf -- "$tmp"; }
trap cleanup EXIT
# first_failure STATUS...: the first that is neither 0 nor a broken pipe (a
# stage killed because a later one failed); else 141 if any, else 0.
first_failure() {
    local s rc=0
    for s in "$@"; do
        if [ "$s" -ne 0 ] && [ "$s" -ne 141 ]; then echo "$s"; return; fi
        [ "$s" -eq 141 ] && rc=141
    done
    echo "$rc"
}

# ropt: crampstat report's options from the CS_* report settings.
report_options() {
    ropt=(--format "${CS_FORMAT:-pretty}")
    [ -n "$CS_LEVEL" ] && ropt+=(--level "$CS_LEVEL")
    [ -n "$CS_CI" ] && ropt+=(--ci "$CS_CI")
    [ "$CS_YATES" = 1 ] && ropt+=(--yates)
    [ -n "$CS_PERIOD" ] && ropt+=(--period "$CS_PERIOD")
    [ "$CS_SAFE_CSV" = 1 ] && ropt+=(--safe-csv)
    return 0
}

# Standard input to standard output and to calories --partial, which ends
# before this does (its status in $tmp/cal.status).
tee_calories() {
    local rc
    tee >("$CRAMPSTAT" calories "${q[@]}" --partial --by "$cal_by" \
            "${calopt[@]}" -o "$prefix.cal.partial"; echo $? >"$tmp/cal.status")
    rc=$?
    wait $! 2>/dev/null
    return "$rc"
}

cmd=${1:-}
case $cmd in
    -h|--help) usage; exit 0 ;;
    shard)
        [ $# -eq 4 ] || [ $# -eq 5 ] ||
            die 64 "usage: partial.sh shard SHARD INPUT_NAME PREFIX [K/N]"
        shard=$2 name=$3 prefix=$4 pick=()
        if [ $# -eq 5 ]; then
            [[ $5 =~ ^[1-9][0-9]*/[1-9][0-9]*$ ]] || die 64 "K/N wants two numbers such as 3/8, not '$5'"
            analyze_has --shard ||
                die 69 "this crampstat cannot pick a shard as it reads (no --shard): split the file with shard.sh"
            pick=(--shard "$5")
        fi
        [ -n "${CS_SURVEY:-}" ] || die 64 "CS_SURVEY is not set"
        tagopt=() aggopt=() calopt=()
        # The rules' outcome goes with the states: calories records it too.
        [ -n "$CS_RULES" ] && { tagopt+=(--rules "$CS_RULES"); aggopt+=(--rules "$CS_RULES")
                                calopt+=(--rules "$CS_RULES"); }
        [ -n "$CS_BY" ] && aggopt+=(--by "$CS_BY")
        [ -n "$CS_ADJUST" ] && aggopt+=(--adjust "$CS_ADJUST")
        # As analyze: --cluster none keeps no participant sums in the state.
        [ -n "$CS_CLUSTER" ] && aggopt+=(--cluster "$CS_CLUSTER")
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/crampstat-shard.XXXXXX")
        set +e
        chain=1
        if have_calories && analyze_has --partial-prefix; then
            # One process writes both states, byte for byte those of the
            # piped commands below, in about a quarter of their time. A --by
            # or --adjust column analyze cannot give it refuses before
            # reading (64, "cannot group by"): then the piped chain runs.
            # Its standard error is kept for that case only (else it
            # streams as it comes).
            chain=0 held=0
            if [ -n "$CS_BY$CS_ADJUST" ]; then exec {efd}>"$tmp/analyze.err"; held=1
            else exec {efd}>&2; fi
            "$CRAMPSTAT" analyze "${q[@]}" --survey "$CS_SURVEY" --exercise "$shard" \
                "${aggopt[@]}" "${pick[@]}" --input-name "$name" --partial-prefix "$prefix" 2>&"$efd"
            st=("$?")
            exec {efd}>&-
            if [ "$held" = 1 ]; then
                if [ "${st[0]}" -eq 64 ] &&
                    grep -q '^crampstat: analyze: cannot group by ' "$tmp/analyze.err"; then
                    chain=1
                else
                    cat "$tmp/analyze.err" >&2
                fi
            fi
            what="analyze --partial-prefix"
        fi
        if [ "$chain" = 0 ]; then
            :
        elif have_calories; then
            # The tagged stream feeds both states; calories' status comes
            # back through a file.
            "$CRAMPSTAT" ingest "${q[@]}" --schema exercise "${pick[@]}" -- "$shard" |
                "$CRAMPSTAT" join "${q[@]}" --survey "$CS_SURVEY" |
                "$CRAMPSTAT" tag "${q[@]}" "${tagopt[@]}" |
                tee_calories |
                "$CRAMPSTAT" aggregate "${q[@]}" --partial "${aggopt[@]}" \
                    --input-name "$name" -o "$prefix.agg.partial"
            st=("${PIPESTATUS[@]}")
            # tee_calories waited for calories; poll anyway (bounded).
            for ((i = 0; i < 600; i++)); do [ -s "$tmp/cal.status" ] && break; sleep 0.1; done
            st+=("$(cat "$tmp/cal.status" 2>/dev/null || echo 70)")
            what="ingest|join|tag|tee|aggregate, calories"
        else
            "$CRAMPSTAT" ingest "${q[@]}" --schema exercise "${pick[@]}" -- "$shard" |
                "$CRAMPSTAT" join "${q[@]}" --survey "$CS_SURVEY" |
                "$CRAMPSTAT" tag "${q[@]}" "${tagopt[@]}" |
                "$CRAMPSTAT" aggregate "${q[@]}" --partial "${aggopt[@]}" \
                    --input-name "$name" -o "$prefix.agg.partial"
            st=("${PIPESTATUS[@]}")
            what="ingest|join|tag|aggregate"
        fi
        set -e
        rc=$(first_failure "${st[@]}")
        if [ "$rc" -ne 0 ]; then
            rm -f -- "$prefix.agg.partial" "$prefix.cal.partial"
            echo "partial.sh: shard $shard${pick[1]:+ (${pick[1]})} failed with status $rc ($what: ${st[*]})" >&2
        fi
        exit "$rc"
        ;;
    check)
        # crampstat report on an empty state stops at a bad option (64)
        # before it finds the state empty (65).
        [ $# -eq 1 ] || die 64 "usage: partial.sh check"
        report_options
        [ -n "$CS_CLUSTER" ] && ropt+=(--cluster "$CS_CLUSTER")
        set +e
        msg=$("$CRAMPSTAT" report "${ropt[@]}" </dev/null 2>&1 >/dev/null)
        rc=$?
        set -e
        [ "$rc" -ne 64 ] && exit 0
        sed -n '1s/^crampstat: report: //p' <<<"$msg"
        exit 64
        ;;
    report)
        [ $# -eq 3 ] || die 64 "usage: partial.sh report OUTPUT DIR"
        output=$2 dir=$3
        [ -n "${CS_SURVEY:-}" ] || die 64 "CS_SURVEY is not set"
        # OUTPUT's folder before any work: CS_STATE_DIR is not to be
        # updated for a report that cannot be written.
        if [ "$output" != - ]; then
            [ ! -d "$output" ] || die 74 "cannot write $output: it is a directory"
            odir=$(dirname -- "$output")
            { [ -d "$odir" ] && [ -w "$odir" ]; } || die 74 "cannot write $output: no writable directory $odir"
        fi
        fmt=${CS_FORMAT:-pretty}
        case $fmt in
            pretty|csv|tsv|md|json) ;;
            html) die 64 "no HTML from partial states (analyze's page hashes the input files): use crampstat analyze" ;;
            *) die 64 "unknown format '$fmt'" ;;
        esac
        # Both kinds of state, each X.agg.partial with its X.cal.partial:
        # an empty list would have crampstat merge read standard input.
        shopt -s nullglob
        agg=("$dir"/*.agg.partial)
        cal=("$dir"/*.cal.partial)
        shopt -u nullglob
        [ "${#agg[@]}" -gt 0 ] || die 66 "no aggregate partial state (*.agg.partial) in $dir"
        if have_calories; then
            [ "${#cal[@]}" -gt 0 ] || die 66 "no calories partial state (*.cal.partial) in $dir"
            for p in "${agg[@]}"; do
                [ -e "${p%.agg.partial}.cal.partial" ] ||
                    die 66 "${p%.agg.partial}.cal.partial is missing (${p##*/} has no calories state)"
            done
            for p in "${cal[@]}"; do
                [ -e "${p%.cal.partial}.agg.partial" ] ||
                    die 66 "${p%.cal.partial}.agg.partial is missing (${p##*/} has no aggregate state)"
            done
        fi
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/crampstat-report.XXXXXX")
        report_options
        "$CRAMPSTAT" merge -o "$tmp/aggregate.partial" -- "${agg[@]}" || exit $?
        "$CRAMPSTAT" report "${ropt[@]}" -o "$tmp/aggregate.out" -- "$tmp/aggregate.partial" || exit $?
        if have_calories; then
            "$CRAMPSTAT" calories "${q[@]}" --partial --by "$cal_by" \
                -o "$tmp/survey.cal.partial" -- "$CS_SURVEY" || exit $?
            # The sessions' calorie states apart from the survey's: runs
            # over other exercise files merge their sessions' states, but
            # the survey's participants are to be counted once, not once
            # a run (CS_STATE_DIR).
            "$CRAMPSTAT" merge -o "$tmp/calories.partial" -- "${cal[@]}" || exit $?
            "$CRAMPSTAT" merge -o "$tmp/report.cal.partial" -- "$tmp/survey.cal.partial" "$tmp/calories.partial" || exit $?
            "$CRAMPSTAT" report "${ropt[@]}" -o "$tmp/calories.out" -- "$tmp/report.cal.partial" || exit $?
            # analyze's layout (src/cli/cmd_analyze.c, render()).
            if [ "$fmt" = json ]; then
                {
                    printf '{"aggregate": '
                    sed -z 's/\n$//' "$tmp/aggregate.out"
                    printf ',\n"calories": '
                    sed -z 's/\n$//' "$tmp/calories.out"
                    printf '}\n'
                } >"$tmp/report"
            else
                { cat "$tmp/aggregate.out"; echo; cat "$tmp/calories.out"; } >"$tmp/report"
            fi
        else
            mv "$tmp/aggregate.out" "$tmp/report"
        fi || die 74 "cannot write in $tmp"
        if [ -n "$CS_STATE_DIR" ]; then
            mkdir -p -- "$CS_STATE_DIR" || die 74 "cannot create $CS_STATE_DIR"
            [ -e "$tmp/survey.cal.partial" ] &&
                mv -f -- "$tmp/survey.cal.partial" "$tmp/survey-calories.partial"
            for s in aggregate calories survey-calories; do
                [ -e "$tmp/$s.partial" ] || continue
                { cp -- "$tmp/$s.partial" "$CS_STATE_DIR/.$s.partial.$$" &&
                    mv -f -- "$CS_STATE_DIR/.$s.partial.$$" "$CS_STATE_DIR/$s.partial"; } ||
                    die 74 "cannot write $CS_STATE_DIR/$s.partial"
            done
        fi
        if [ "$output" = - ]; then
            cat "$tmp/report" || die 74 "cannot write to standard output"
        else
            # Atomically: a temporary file beside OUTPUT, renamed.
            part="$(dirname -- "$output")/.$(basename -- "$output").$$"
            if ! { cp -- "$tmp/report" "$part" && mv -f -- "$part" "$output"; }; then
                rm -f -- "$part"
                die 74 "cannot write $output"
            fi
        fi
        ;;
    *) die 64 "want 'shard' or 'report' (try --help)" ;;
esac
