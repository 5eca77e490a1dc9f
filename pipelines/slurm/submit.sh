#!/usr/bin/env bash
# Submit the main job to Slurm: the exercise files dealt out into shards, an
# sbatch job array (one shard per task, a partial state per task) and a
# merge-and-report job that runs when every task has succeeded. The report
# equals `crampstat analyze` on the same files byte for byte.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: submit.sh -S SURVEY -o REPORT [OPTION]... EXERCISE...
Deal each EXERCISE file out by participant into shards, submit
shard-job.sbatch as a job array with one shard per task (task K writes
WORK_DIR/partials/K.agg.partial and K.cal.partial)
and merge-job.sbatch with --dependency=afterok on the array: it merges
the partial states and writes REPORT (atomically) and the merged states
WORK_DIR/aggregate.partial and WORK_DIR/calories.partial (the sessions')
and WORK_DIR/survey-calories.partial (the survey's). Every partial
state records the name of the file its shard came from, as analyze does,
so REPORT equals `crampstat analyze` on the same files byte for byte
(JSON: analyze's object less its "ingest" member; no HTML).

WORK_DIR, SURVEY, REPORT, the rules file and the crampstat binary must be
reachable at the same paths from the compute nodes (a shared file system).

  -S, --survey FILE     the survey (required)
  -o, --output FILE     where the merge job writes the report (required)
  -n, --shards N        shards per EXERCISE file (default 4); 1 submits
                        each file as it is, one task per file. Each task
                        reads its whole file and counts only its shard's
                        participants (crampstat --shard K/N): nothing is
                        split on this host before the tasks start
      --split           split each file into shard files first instead
                        (../shard.sh, in WORK_DIR/shards, on this host),
                        which each task reads: for more shards a file than
                        reading it that many times pays for, or a
                        crampstat without --shard (then the default)
  -w, --work-dir DIR    new or empty directory for the shards, partial
                        states and logs (default: ./crampstat-slurm.XXXXXX)
  -e, --exercise FILE   an EXERCISE file (as analyze -e)
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
      --sbatch-opt OPT  pass OPT to both sbatch calls (repeat it), e.g.
                        --sbatch-opt=--partition=short; sbatch also reads
                        SBATCH_PARTITION, SBATCH_TIMELIMIT, SBATCH_ACCOUNT...
      --wait            wait for the merge job to end, then exit with the
                        status of the failed crampstat (a task's or the
                        merge's); else print the job ids and return at once
  -h, --help            show this help

The options are checked (the report's by crampstat report itself) before
anything is made. Not supported: analyze's --rejects, --keep-going,
--assume-unique-ids, --threads, and HTML.

When submitting fails (shard.sh fails, sbatch refuses the array job, a
signal), nothing is left: a WORK_DIR that submit.sh made is removed, and
one given empty with -w is emptied again, so that the same command can
simply be run again (from cron, say). Once the array job is queued,
WORK_DIR is kept: its tasks read it (if sbatch then refuses the merge
job, the message says how to cancel the array).

Environment: CRAMPSTAT, the crampstat binary (default: crampstat on PATH;
its absolute path is what the jobs run).

Prints (standard output, one per line): WORK_DIR, the array job id, the
merge job id. The merge job is submitted with --kill-on-invalid-dep=yes:
if a task fails, the merge job is cancelled instead of pending forever.
Logs: WORK_DIR/logs/shard-K.out, WORK_DIR/logs/merge.out.

Exit status: 0 submitted (or, with --wait, the report written); 64 usage;
65 bad input (from shard.sh); 66 an input cannot be read; 69 crampstat or
sbatch not found; 73 WORK_DIR not new or empty; with --wait, the status
of the task or merge job that failed (65 bad data...), 1 when that is
unknown (a job cancelled or killed by a signal).
EOF
}

die() { local rc=$1; shift; echo "submit.sh: $*" >&2; exit "$rc"; }
here=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")

survey='' output='' shards=4 work='' input_name='' by='' adjust='' rules='' outcome='' format=''
wait=0 level='' ci='' yates=0 cluster='' period='' safe_csv=0 split=0
exercise=() sbopts=()
need() { [ "$2" -ge 2 ] || die 64 "$1 needs a value (try --help)"; }
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        -S|--survey) need "$1" $#; survey=$2; shift 2 ;;
        -o|--output) need "$1" $#; output=$2; shift 2 ;;
        -n|--shards) need "$1" $#; shards=$2; shift 2 ;;
        --split) split=1; shift ;;
        -w|--work-dir) need "$1" $#; work=$2; shift 2 ;;
        -e|--exercise) need "$1" $#; exercise+=("$2"); shift 2 ;;
        --input-name) need "$1" $#; input_name=$2; shift 2 ;;
        -b|--by) need "$1" $#; by=$2; shift 2 ;;
        -a|--adjust) need "$1" $#; adjust=$2; shift 2 ;;
        -R|--rules) need "$1" $#; rules=$2; shift 2 ;;
        --outcome) need "$1" $#; outcome=$2; shift 2 ;;
        -f|--format) need "$1" $#; format=$2; shift 2 ;;
        -l|--level) need "$1" $#; level=$2; shift 2 ;;
        --ci) need "$1" $#; ci=$2; shift 2 ;;
        --yates) yates=1; shift ;;
        --cluster) need "$1" $#; cluster=$2; shift 2 ;;
        --period) need "$1" $#; period=$2; shift 2 ;;
        --safe-csv) safe_csv=1; shift ;;
        --sbatch-opt) need "$1" $#; sbopts+=("$2"); shift 2 ;;
        --sbatch-opt=*) sbopts+=("${1#*=}"); shift ;;
        --wait) wait=1; shift ;;
        --) shift; exercise+=("$@"); break ;;
        -?*) die 64 "unknown option '$1' (try --help)" ;;
        *) exercise+=("$1"); shift ;;
    esac
done
[ -n "$survey" ] || die 64 "--survey is required (try --help)"
[ -n "$output" ] || die 64 "--output is required (try --help)"
[ "${#exercise[@]}" -gt 0 ] || die 64 "no EXERCISE file (try --help)"
[[ $shards =~ ^[1-9][0-9]*$ ]] || die 64 "--shards wants a positive integer, not '$shards'"
case $format in ''|pretty|csv|tsv|json|md) ;; *) die 64 "unknown format '$format' (HTML: use crampstat analyze)" ;; esac
case $outcome in ''|hamstring|any) ;; *) die 64 "--outcome is hamstring or any" ;; esac
for f in "$survey" "${exercise[@]}" ${rules:+"$rules"}; do
    { [ -r "$f" ] && [ ! -d "$f" ]; } || die 66 "cannot read '$f'"
done
cs=$(command -v "${CRAMPSTAT:-crampstat}") ||
    die 69 "crampstat not found: set CRAMPSTAT or put it on PATH"
cs=$(readlink -f -- "$cs")
# The report's options, checked by crampstat report itself now rather than
# by the merge job once every task has run (partial.sh check).
msg=$(CRAMPSTAT=$cs CS_FORMAT=$format CS_LEVEL=$level CS_CI=$ci \
      CS_YATES=$yates CS_PERIOD=$period CS_CLUSTER=$cluster \
      CS_SAFE_CSV=$safe_csv bash "$here/../partial.sh" check) || die 64 "$msg"
command -v sbatch >/dev/null 2>&1 || die 69 "sbatch not found: is this a Slurm submit host?"
# Shards picked as the files are read need a crampstat with --shard.
[ "$split" = 1 ] || [[ $("$cs" analyze --help 2>/dev/null) == *--shard* ]] || split=1

# Until the array job is queued, a failure undoes what was made in
# WORK_DIR (the folder too when made here), so that the same command can
# be run again: a cron job would otherwise find it "not empty" (73).
made_work=0 queued=0
# shellcheck disable=SC2317  # run by the EXIT trap
undo() {
    [ "$queued" = 0 ] && [ -n "$work" ] && [ -d "$work" ] || return 0
    if [ "$made_work" = 1 ]; then
        rm -rf -- "$work"
    else
        rm -rf -- "$work/shards" "$work/partials" "$work/logs" "$work/manifest" \
            "$work/job.env" "$work/rules.txt"
    fi
}
if [ -z "$work" ]; then
    work=$(mktemp -d "$PWD/crampstat-slurm.XXXXXX") || die 73 "cannot create a work directory in $PWD"
    made_work=1
else
    [ -e "$work" ] || made_work=1
    mkdir -p -- "$work" || die 73 "cannot create '$work'"
    [ -z "$(ls -A -- "$work")" ] || die 73 "'$work' is not empty: give a new directory"
fi
work=$(readlink -f -- "$work")
trap undo EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
abs() { readlink -f -- "$1"; }
mkdir -p "$work/shards" "$work/partials" "$work/logs"
mkdir -p -- "$(dirname -- "$output")"
output=$(abs "$(dirname -- "$output")")/$(basename -- "$output")

# tag and aggregate must agree on the rules, and aggregate records the
# outcome from them: fold --outcome into a rules file.
if [ -n "$outcome" ]; then
    "$cs" rules ${rules:+--rules "$rules"} | sed "s/^outcome *=.*/outcome = $outcome/" >"$work/rules.txt"
    grep -q "^outcome = $outcome\$" "$work/rules.txt" || echo "outcome = $outcome" >>"$work/rules.txt"
    rules=$work/rules.txt
fi
[ -z "$rules" ] || rules=$(abs "$rules")

# The manifest: line K is task K's shard and the input name it records,
# and, for a shard picked as its file is read, "K/N".
: >"$work/manifest"
k=0
for f in "${exercise[@]}"; do
    k=$((k + 1))
    name=${input_name:-$f}
    case $name in *$'\t'*|*$'\n'*) die 64 "input names may not hold tabs or newlines: '$name'" ;; esac
    case $(abs "$f") in *$'\t'*|*$'\n'*) die 64 "file paths may not hold tabs or newlines (the manifest is a line a task): '$f'" ;; esac
    if [ "$shards" -eq 1 ]; then
        printf '%s\t%s\n' "$(abs "$f")" "$name" >>"$work/manifest"
    elif [ "$split" = 0 ]; then
        for ((i = 1; i <= shards; i++)); do
            printf '%s\t%s\t%s\n' "$(abs "$f")" "$name" "$i/$shards" >>"$work/manifest"
        done
    else
        bash "$here/../shard.sh" -n "$shards" -o "$work/shards" -p "$k-" -- "$f" || exit $?
        for ((i = 1; i <= shards; i++)); do
            printf '%s\t%s\n' "$work/shards/$k-$i.csv.gz" "$name" >>"$work/manifest"
        done
    fi
done
ntasks=$(wc -l <"$work/manifest")

# The settings the jobs read (sourced by them; every value shell-quoted).
{
    printf 'export CRAMPSTAT=%q\n' "$cs"
    printf 'export CS_PIPELINES=%q\n' "$(abs "$here/..")"
    printf 'export CS_SURVEY=%q\n' "$(abs "$survey")"
    printf 'export CS_OUTPUT=%q\n' "$output"
    printf 'export CS_TASKS=%q\n' "$ntasks"
    printf 'export CS_RULES=%q\n' "$rules"
    printf 'export CS_BY=%q\n' "$by"
    printf 'export CS_ADJUST=%q\n' "$adjust"
    printf 'export CS_FORMAT=%q\n' "$format"
    printf 'export CS_LEVEL=%q CS_CI=%q CS_YATES=%q\n' "$level" "$ci" "$yates"
    printf 'export CS_CLUSTER=%q CS_PERIOD=%q CS_SAFE_CSV=%q\n' "$cluster" "$period" "$safe_csv"
} >"$work/job.env"

jobid() { local id; id=$(cat); id=${id%%;*}; [[ $id =~ ^[0-9]+$ ]] || return 1; echo "$id"; }
array=$(sbatch --parsable "${sbopts[@]}" --job-name=crampstat-shard --array="1-$ntasks" \
    --output="$work/logs/shard-%a.out" "$here/shard-job.sbatch" "$work" | jobid) || {
    if [ "$made_work" = 1 ]; then
        die 69 "sbatch refused the array job; removed the work directory $work: run again when sbatch works"
    else
        die 69 "sbatch refused the array job; emptied the work directory $work: run again when sbatch works"
    fi
}
queued=1
merge_opts=(--parsable "${sbopts[@]}" --job-name=crampstat-merge
    --dependency="afterok:$array" --kill-on-invalid-dep=yes
    --output="$work/logs/merge.out")
merge=$(sbatch "${merge_opts[@]}" "$here/merge-job.sbatch" "$work" | jobid) ||
    die 69 "sbatch refused the merge job (array job $array is queued and reads $work: scancel $array; rm -rf $work; then run again)"
echo "$work"
echo "$array"
echo "$merge"
[ "$wait" = 1 ] || exit 0

# --wait: poll scontrol (it works without accounting, sacct does not) until
# the merge job has ended. It ends COMPLETED, FAILED (its exit code), or
# CANCELLED when a task failed (--kill-on-invalid-dep): then exit with the
# first failed task's status, crampstat's.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
delay=0.5
while :; do
    if ! info=$(scontrol show job -o "$merge" 2>/dev/null); then
        # Purged already (MinJobAge): the report tells.
        [ -e "$output" ] && exit 0
        die 1 "merge job $merge is gone and $output was not written; see $work/logs/"
    fi
    state=$(field JobState <<<"$info")
    case $state in
        PENDING|CONFIGURING|RUNNING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT) ;;
        COMPLETED) exit 0 ;;
        *) break ;;
    esac
    sleep "$delay"
    delay=$(awk -v d="$delay" 'BEGIN { print (d < 5 ? d * 2 : 10) }')
done
rc=0
code=$(field ExitCode <<<"$info")
[ "$state" = FAILED ] && rc=${code%%:*}
echo "submit.sh: merge job $merge ended $state ($(field Reason <<<"$info")); see $work/logs/" >&2
if [ "$rc" -eq 0 ]; then
    # The array's tasks: the first that failed gives the status.
    while read -r line; do
        c=$(field ExitCode <<<"$line")
        t=$(field ArrayTaskId <<<"$line")
        if [ "${c%%:*}" != 0 ]; then
            echo "submit.sh: task $t: $(field JobState <<<"$line"), exit code ${c%%:*}: $(tail -n 1 "$work/logs/shard-$t.out" 2>/dev/null)" >&2
            [ "$rc" -ne 0 ] || rc=${c%%:*}
        elif [ "${c#*:}" != 0 ]; then
            echo "submit.sh: task $t: $(field JobState <<<"$line"), signal ${c#*:}" >&2
            [ "$rc" -ne 0 ] || rc=1
        fi
    done < <(scontrol show job -o "$array" 2>/dev/null)
fi
[ "$rc" -ne 0 ] || rc=1
exit "$rc"
