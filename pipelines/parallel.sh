#!/usr/bin/env bash
# The main job on all cores: shards -> analyze --partial-prefix (the states
# of ingest | join | tag | aggregate --partial and calories --partial), one
# job per shard under GNU parallel (xargs -P without it) -> merge -> report. The report equals `crampstat
# analyze` on the same files byte for byte. Copy it and edit to taste.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: parallel.sh -S SURVEY [OPTION]... EXERCISE...
Run the main job as parallel shard jobs and merge their partial states:
the report equals `crampstat analyze -S SURVEY -e EXERCISE...` byte for
byte, with the same options (JSON: analyze's object less its "ingest"
member, which only a single pass can count; no HTML).

Each EXERCISE file is dealt out by participant into --shards shards,
unless it is one shard already (--shards 1): each job reads the whole file
and counts only its shard's participants (crampstat --shard K/N), or with
--split the file is first split into shard files (shard.sh), which each
job reads. Each shard is one
job (partial.sh shard): crampstat analyze --partial-prefix, the states of
ingest | join | tag | aggregate --partial and calories --partial in one
process, recording the name of the file the shard came from (the name
analyze records). GNU parallel runs the jobs when installed, xargs -P
otherwise. Then partial.sh report: crampstat merge,
crampstat report, in analyze's layout.

Session ids are checked for duplicates within each shard only (analyze
checks across all files); a shard holds all of a participant's sessions.

  -S, --survey FILE     the survey (required)
  -j, --jobs N          jobs at once (default: the number of cores)
  -n, --shards N|auto   shards per EXERCISE file; auto (the default) is 1
                        when there are at least as many files as jobs (the
                        files are the shards), else the number of jobs
      --split           split each file into shard files first (shard.sh)
                        rather than have every job read the whole file:
                        for more shards than reading a file N times pays
                        for, or a crampstat without --shard (then the
                        default)
      --input-name NAME record every input under NAME instead of its path
  -b, --by COLUMN       stratify (as analyze --by)
  -a, --adjust COLUMN   add a column to the logistic model (as analyze)
  -R, --rules FILE      cause-factor thresholds (as analyze --rules)
      --outcome KIND    hamstring (default) or any
      --cluster BY      participant (default) or none (as analyze)
      --period P        week or month (default) (as analyze)
  -l, --level L         confidence level;  --ci METHOD;  --yates
  -f, --format FMT      pretty (default), csv, tsv, json or md
      --safe-csv        as analyze --safe-csv
  -o, --output FILE     write the report to FILE, atomically (default: stdout);
                        its directory must exist
      --state-dir DIR   also keep the merged partial states there to
                        merge with later runs: the sessions' states
                        aggregate.partial and calories.partial, and the
                        survey's survey-calories.partial (merge it once,
                        not once a run: docs/operations.md)
      --runner R        parallel (GNU parallel), xargs, or auto (the
                        default: GNU parallel when installed)
  -v, --verbose         each stage's summary lines (default: errors only)
  -q, --quiet           errors only (the default)
  -h, --help            show this help

The options are checked (the report's by crampstat report itself) and the
directory of -o looked for before any shard is made. Not supported:
analyze's --rejects (each stage would write its own), --keep-going (a
shard that fails stops the run), --assume-unique-ids and --threads (one
job per shard is the parallelism), and HTML.

Environment: CRAMPSTAT, the crampstat binary (default: crampstat on
PATH); TMPDIR, where the shards and partial states go (removed at exit).

Exit status: 0 ok; else the status of the crampstat command that failed
(64 usage, 65 bad data, 66 input cannot be opened, 74 write error, also
when the directory of -o does not exist), or 70 when the job runner
itself failed.
EOF
}

die() { local rc=$1; shift; echo "parallel.sh: $*" >&2; exit "$rc"; }
self=$(readlink -f -- "${BASH_SOURCE[0]}")
here=$(dirname -- "$self")
CRAMPSTAT=${CRAMPSTAT:-crampstat}

# ---- one shard: called back by the job runner as `parallel.sh --worker
# SHARD`, settings in the environment (CS_* for partial.sh, CS_P_WORK).
if [ "${1:-}" = --worker ]; then
    shard=$2
    # After a failure, the jobs not yet started (xargs keeps going) do nothing.
    [ ! -s "$CS_P_WORK/failed" ] || exit 0
    d=$(dirname -- "$shard")
    name=$(cat -- "$d/name")
    id=$(basename -- "$d")-$(basename -- "$shard" .csv.gz)
    # A file that is its own shard is read where it is (messages name it),
    # and so is one whose shards are picked as it is read (d/of: N).
    [ -e "$d/path" ] && shard=$(cat -- "$d/path")
    part=()
    if [ -e "$d/of" ]; then
        k=$(basename -- "$2" .csv.gz)
        part=("${k#shard-}/$(cat -- "$d/of")")
    fi
    set +e
    bash "$here/partial.sh" shard "$shard" "$name" "$CS_P_WORK/part/$id" "${part[@]}"
    rc=$?
    set -e
    [ "$rc" -eq 0 ] || printf '%s %s\n' "$rc" "$shard" >>"$CS_P_WORK/failed"
    exit "$rc"
fi

# ---- the driver
survey='' jobs='' shards=auto input_name='' by='' adjust='' rules='' outcome='' format=''
output='' state_dir='' verbose=0 level='' ci='' yates=0 runner=auto split=0
cluster='' period='' safe_csv=0
exercise=()
need() { [ "$2" -ge 2 ] || die 64 "$1 needs a value (try --help)"; }
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        -S|--survey) need "$1" $#; survey=$2; shift 2 ;;
        -j|--jobs) need "$1" $#; jobs=$2; shift 2 ;;
        -n|--shards) need "$1" $#; shards=$2; shift 2 ;;
        --input-name) need "$1" $#; input_name=$2; shift 2 ;;
        --split) split=1; shift ;;
        -b|--by) need "$1" $#; by=$2; shift 2 ;;
        -a|--adjust) need "$1" $#; adjust=$2; shift 2 ;;
        -R|--rules) need "$1" $#; rules=$2; shift 2 ;;
        --outcome) need "$1" $#; outcome=$2; shift 2 ;;
        -l|--level) need "$1" $#; level=$2; shift 2 ;;
        --ci) need "$1" $#; ci=$2; shift 2 ;;
        --yates) yates=1; shift ;;
        --cluster) need "$1" $#; cluster=$2; shift 2 ;;
        --period) need "$1" $#; period=$2; shift 2 ;;
        --safe-csv) safe_csv=1; shift ;;
        -f|--format) need "$1" $#; format=$2; shift 2 ;;
        -o|--output) need "$1" $#; output=$2; shift 2 ;;
        --state-dir) need "$1" $#; state_dir=$2; shift 2 ;;
        --runner) need "$1" $#; runner=$2; shift 2 ;;
        -v|--verbose) verbose=1; shift ;;
        -q|--quiet) verbose=0; shift ;;
        -e|--exercise) need "$1" $#; exercise+=("$2"); shift 2 ;;
        --) shift; exercise+=("$@"); break ;;
        -?*) die 64 "unknown option '$1' (try --help)" ;;
        *) exercise+=("$1"); shift ;;
    esac
done
[ -n "$survey" ] || die 64 "--survey is required (try --help)"
[ "${#exercise[@]}" -gt 0 ] || die 64 "no EXERCISE file (try --help)"
command -v "$CRAMPSTAT" >/dev/null 2>&1 ||
    die 69 "crampstat not found: set CRAMPSTAT or put it on PATH"
[ -n "$jobs" ] || jobs=$(nproc 2>/dev/null || echo 1)
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die 64 "--jobs wants a positive integer, not '$jobs'"
if [ "$shards" = auto ]; then
    if [ "${#exercise[@]}" -ge "$jobs" ]; then shards=1; else shards=$jobs; fi
fi
[[ $shards =~ ^[1-9][0-9]*$ ]] || die 64 "--shards wants a positive integer or auto, not '$shards'"
for f in "$survey" "${exercise[@]}" ${rules:+"$rules"}; do
    { [ -r "$f" ] && [ ! -d "$f" ]; } || die 66 "cannot read '$f'"
done
case $format in ''|pretty|csv|tsv|json|md) ;; *) die 64 "unknown format '$format'" ;; esac
case $outcome in ''|hamstring|any) ;; *) die 64 "--outcome is hamstring or any" ;; esac
# The report's options, checked by crampstat report itself now rather than
# once every shard job has run (partial.sh check).
msg=$(CRAMPSTAT=$CRAMPSTAT CS_FORMAT=$format CS_LEVEL=$level CS_CI=$ci \
      CS_YATES=$yates CS_PERIOD=$period CS_CLUSTER=$cluster \
      CS_SAFE_CSV=$safe_csv bash "$here/partial.sh" check) || die 64 "$msg"
# Where the report goes, before any work (and before --state-dir changes).
if [ -n "$output" ] && [ "$output" != - ]; then
    [ ! -d "$output" ] || die 74 "cannot write '$output': it is a directory"
    odir=$(dirname -- "$output")
    { [ -d "$odir" ] && [ -w "$odir" ]; } || die 74 "cannot write '$output': no writable directory '$odir'"
fi
[ -z "$state_dir" ] || [ ! -e "$state_dir" ] || [ -d "$state_dir" ] ||
    die 74 "--state-dir '$state_dir' is not a directory"
have_parallel() {
    local v
    command -v parallel >/dev/null 2>&1 || return 1
    # moreutils has a `parallel` too: want GNU's.
    v=$(parallel --version 2>/dev/null || true)
    [[ $v == *"GNU parallel"* ]]
}
case $runner in
    auto) if have_parallel; then runner='parallel'; else runner='xargs'; fi ;;
    parallel) have_parallel || die 69 "GNU parallel is not installed (apt-get install parallel)" ;;
    xargs) ;;
    *) die 64 "--runner is parallel, xargs or auto" ;;
esac

# Shards picked as the files are read need a crampstat with --shard.
[ "$split" = 1 ] || [[ $("$CRAMPSTAT" analyze --help 2>/dev/null) == *--shard* ]] || split=1
work=$(mktemp -d "${TMPDIR:-/tmp}/crampstat-parallel.XXXXXX")
runner_pid=
cleanup() { rm -rf -- "$work"; }
# Whether a process of group $1 still runs. Zombies do not count: whoever
# adopts the orphaned jobs (a container's first process, say) may never
# reap them. Without /proc, nothing is seen to run.
group_runs() {
    local f st state pgrp
    for f in /proc/[0-9]*/stat; do
        { read -r st <"$f"; } 2>/dev/null || continue
        read -r state _ pgrp _ <<<"${st##*) }"
        [ "$pgrp" = "$1" ] && [ "$state" != Z ] && return 0
    done
    return 1
}
on_signal() {
    trap - INT TERM
    # Whatever set -e was when the signal came: the runner's status and
    # a kill of a group already gone are no reason to stop here.
    set +e
    # The job runner leads its own process group: end it and its jobs.
    if [ -n "$runner_pid" ]; then
        kill -TERM -- "-$runner_pid" 2>/dev/null
        wait "$runner_pid" 2>/dev/null
        # The runner ends before its jobs have removed their temporary
        # files: wait for them (10 s at most, then SIGKILL), so that once
        # this script has gone nothing of the run is left.
        for ((i = 0; i < 200; i++)); do
            group_runs "$runner_pid" || break
            sleep 0.05
        done
        kill -KILL -- "-$runner_pid" 2>/dev/null
    fi
    exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
mkdir "$work/part"

# tag and aggregate must agree on the outcome (aggregate records it in the
# state, from its --outcome or else from its rules): fold --outcome into a
# rules file of our own, which both read.
if [ -n "$outcome" ]; then
    ropt=(); [ -n "$rules" ] && ropt=(--rules "$rules")
    "$CRAMPSTAT" rules "${ropt[@]}" >"$work/rules.txt" || exit $?
    sed -i "s/^outcome *=.*/outcome = $outcome/" "$work/rules.txt"
    grep -q "^outcome = $outcome\$" "$work/rules.txt" || echo "outcome = $outcome" >>"$work/rules.txt"
    rules=$work/rules.txt
fi

# 1. The shards: in/K/ holds file K's shards and, in `name`, the name its
# partial states record.
list=$work/jobs
: >"$list"
k=0
for f in "${exercise[@]}"; do
    k=$((k + 1))
    d=$work/in/$k
    mkdir -p "$d"
    printf '%s' "${input_name:-$f}" >"$d/name"
    if [ "$shards" -eq 1 ]; then
        printf '%s' "$f" >"$d/path"
    elif [ "$split" = 0 ]; then
        printf '%s' "$f" >"$d/path"
        printf '%s' "$shards" >"$d/of"
    else
        bash "$here/shard.sh" -n "$shards" -o "$d" -- "$f" || exit $?
    fi
    for ((i = 1; i <= shards; i++)); do printf '%s\0' "$d/shard-$i.csv.gz"; done >>"$list"
done

# 2. One job per shard, in a process group of its own (setsid) so that a
# signal to this script ends every job.
export CRAMPSTAT CS_P_WORK=$work CS_SURVEY=$survey CS_RULES=$rules \
    CS_BY=$by CS_ADJUST=$adjust CS_VERBOSE=$verbose CS_FORMAT=$format \
    CS_LEVEL=$level CS_CI=$ci CS_YATES=$yates CS_STATE_DIR=$state_dir \
    CS_CLUSTER=$cluster CS_PERIOD=$period CS_SAFE_CSV=$safe_csv
if [ "$runner" = parallel ]; then
    setsid parallel --will-cite --null --jobs "$jobs" --halt now,fail=1 \
        --arg-file "$list" -q bash "$self" --worker {} &
else
    setsid xargs -0 -n 1 -P "$jobs" -a "$list" bash "$self" --worker &
fi
runner_pid=$!
set +e
wait "$runner_pid"
runner_rc=$?
set -e
runner_pid=
if [ -s "$work/failed" ]; then
    read -r rc _ <"$work/failed"
    exit "$rc"
fi
[ "$runner_rc" -eq 0 ] || die 70 "the job runner failed (status $runner_rc)"

# 3. Merge and report (partial.sh: the layout of analyze's report).
bash "$here/partial.sh" report "${output:--}" "$work/part" || exit $?
