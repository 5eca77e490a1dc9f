#!/usr/bin/env bash
# The daily report, for cron: one run at a time (flock), a dated report and
# a `latest` link that change atomically, a log, silence on success and a
# message plus a non-zero status on failure (cron mails what a job prints).
# Copy it and edit to taste; docs/operations.md has the crontab line.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: daily-report.sh [OPTION]... INPUT_DIR OUTPUT_DIR
Run `crampstat analyze` on INPUT_DIR/survey.csv.gz and every
INPUT_DIR/exercise*.csv.gz, and write OUTPUT_DIR/report-YYYY-MM-DD.txt
(plus the other --formats) and the link OUTPUT_DIR/latest to it
(latest.json, latest.html... for the others), unless it names a newer
day's report (a past day remade with --date).

One run at a time: a run holds flock(1) on OUTPUT_DIR/.lock. A run that
finds the lock taken logs "another run holds the lock" and exits 0 without
doing anything (the run already going makes the report), unless --wait.

Nothing is half-written: the reports are made in a staging directory inside
OUTPUT_DIR and renamed into place only when all of them are done, then the
links are switched (rename, atomic). A failed or killed run leaves the
previous reports and links as they were, and no temporary file.

Each run appends lines to OUTPUT_DIR/daily-report.log (start, crampstat's
summary lines, the outcome). On success it prints nothing; on failure it
prints the reason on standard error and exits non-zero, so cron mails it.

An exercise file that cannot be read to its end (truncated or corrupt
gzip, unreadable) does not stop the report: crampstat analyze --keep-going
leaves it out, the report names it and why, the reports and links are
put in place as usual, and the run ends with status 65 and the reason on
standard error, so that cron still mails. A damaged survey stops the run.

  -f, --formats LIST  comma-separated, from txt (always made), json, md,
                      csv, tsv, html (analyze's HTML page; from a crampstat
                      without one, the txt report in a page); default
                      $CS_REPORT_FORMATS, else txt. One analyze run makes
                      them all (--also; one run each with a crampstat
                      without it)
  -b, --by COLUMN     stratify (crampstat analyze --by); default $CS_REPORT_BY
  -R, --rules FILE    cause-factor rules; default $CS_REPORT_RULES
  -d, --date DATE     the date in the file names, YYYY-MM-DD (default: today,
                      local time; set it to re-make a past day's report)
  -w, --wait[=SECS]   wait for the lock instead of skipping, at most SECS
                      seconds (default 3600), then fail with status 75
  -v, --verbose       copy the log lines to standard error
  -h, --help          show this help

Environment: CRAMPSTAT, the crampstat binary (default: crampstat on PATH);
CS_REPORT_FORMATS, CS_REPORT_BY, CS_REPORT_RULES as above.

Exit status: 0 done, or skipped because another run holds the lock;
65 done, but an exercise file was left out (one that cannot be opened
or read to its end); crampstat's status when it fails (64 usage, 65 bad
data, 66 the survey cannot be opened, 74 write error); 64 bad arguments
here; 66 INPUT_DIR or the survey missing, or no exercise file; 69
crampstat not found; 74 OUTPUT_DIR not writable;
75 --wait timed out; 128+N killed by signal N.
EOF
}

formats=${CS_REPORT_FORMATS:-txt}
by=${CS_REPORT_BY:-}
rules=${CS_REPORT_RULES:-}
day=
wait_secs=
verbose=0
args=()
need() { [ "$2" -ge 2 ] || { echo "daily-report.sh: $1 needs a value (try --help)" >&2; exit 64; }; }
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        -f|--formats) need "$1" $#; formats=$2; shift 2 ;;
        --formats=*) formats=${1#*=}; shift ;;
        -b|--by) need "$1" $#; by=$2; shift 2 ;;
        --by=*) by=${1#*=}; shift ;;
        -R|--rules) need "$1" $#; rules=$2; shift 2 ;;
        --rules=*) rules=${1#*=}; shift ;;
        -d|--date) need "$1" $#; day=$2; shift 2 ;;
        --date=*) day=${1#*=}; shift ;;
        -w|--wait) wait_secs=3600; shift ;;
        --wait=*) wait_secs=${1#*=}; shift ;;
        -v|--verbose) verbose=1; shift ;;
        --) shift; args+=("$@"); break ;;
        -?*) echo "daily-report.sh: unknown option '$1' (try --help)" >&2; exit 64 ;;
        *) args+=("$1"); shift ;;
    esac
done
if [ "${#args[@]}" -ne 2 ]; then
    echo "daily-report.sh: want INPUT_DIR and OUTPUT_DIR (try --help)" >&2
    exit 64
fi
in=${args[0]%/}
out=${args[1]%/}
[ -n "$in" ] || in=/
[ -n "$out" ] || out=/

# Errors before the log exists go to standard error only.
early() { local rc=$1; shift; echo "daily-report.sh: $*" >&2; exit "$rc"; }
[ -z "$wait_secs" ] || [[ $wait_secs =~ ^[0-9]+$ ]] ||
    early 64 "--wait wants a number of seconds, not '$wait_secs'"
[ -n "$day" ] || day=$(date +%F)
[[ $day =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] && date -d "$day" +%F >/dev/null 2>&1 ||
    early 64 "--date wants YYYY-MM-DD, not '$day'"
fmts=(txt)
IFS=, read -r -a want <<<"$formats"
for f in "${want[@]}"; do
    case $f in
        txt|'') ;;
        json|md|csv|tsv|html) [[ " ${fmts[*]} " == *" $f "* ]] || fmts+=("$f") ;;
        *) early 64 "unknown format '$f' (txt, json, md, csv, tsv, html)" ;;
    esac
done
mkdir -p -- "$out" 2>/dev/null && [ -w "$out" ] || early 74 "cannot write to '$out'"

log_file=$out/daily-report.log
log() {
    local line
    line="$(date +%FT%T%z) daily-report[$$] $*"
    printf '%s\n' "$line" >>"$log_file" || echo "daily-report.sh: cannot write $log_file" >&2
    [ "$verbose" = 0 ] || printf '%s\n' "$line" >&2
}
# fail STATUS MESSAGE: log, tell standard error (cron mails it), exit.
fail() {
    local rc=$1; shift
    log "FAILED (status $rc): $*"
    echo "daily-report.sh: $* (status $rc; see $log_file)" >&2
    exit "$rc"
}

# ---- the lock: fd 9 on OUTPUT_DIR/.lock for the whole run. Children
# inherit it, so an orphaned crampstat keeps it until it ends.
exec 9>>"$out/.lock" || fail 74 "cannot open $out/.lock"
if [ -z "$wait_secs" ]; then
    if ! flock -n 9; then
        log "another run holds the lock ($(head -c 200 "$out/.lock" 2>/dev/null | tr '\n' ' ')); skipping"
        exit 0
    fi
elif ! flock -w "$wait_secs" 9; then
    fail 75 "another run still holds the lock after ${wait_secs}s ($(head -c 200 "$out/.lock" 2>/dev/null | tr '\n' ' '))"
fi
holder="pid $$ since $(date +%FT%T%z)"
printf '%s\n' "$holder" >"$out/.lock"

# ---- staging: inside OUTPUT_DIR, so that the final renames are atomic.
# A staging directory left by a run killed with SIGKILL is removed here: we
# hold the lock, so no other run is using it.
rm -rf -- "$out"/.daily-report.stage.*
stage=$(mktemp -d "$out/.daily-report.stage.XXXXXX") || fail 74 "cannot create a staging directory in $out"
child=
cleanup() { rm -rf -- "$stage"; }
on_signal() {
    trap - INT TERM HUP
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    log "killed by signal $(($1 - 128)); nothing changed in $out"
    exit "$1"
}
trap cleanup EXIT
trap 'on_signal 129' HUP
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

t0=$(date +%s.%N)
log "start: $in -> $out, date $day, formats ${fmts[*]}"

# ---- the inputs
CRAMPSTAT=${CRAMPSTAT:-crampstat}
command -v "$CRAMPSTAT" >/dev/null 2>&1 || fail 69 "crampstat not found: set CRAMPSTAT or put it on PATH"
[ -d "$in" ] || fail 66 "no input directory '$in'"
[ -r "$in/survey.csv.gz" ] || fail 66 "no survey: '$in/survey.csv.gz' is missing or unreadable"
exercise=()
shopt -s nullglob
for f in "$in"/exercise*.csv.gz; do exercise+=(-e "$f"); done
shopt -u nullglob
[ "${#exercise[@]}" -gt 0 ] || fail 66 "no exercise file: nothing matches '$in/exercise*.csv.gz'"
# (Captured, not piped into grep -q: an early exit of grep would make the
# pipeline fail with SIGPIPE.)
native_html=false
help=$("$CRAMPSTAT" analyze --help 2>&1 || true)
[[ $help == *--format*html* ]] && native_html=true
opts=()
# A damaged exercise file is left out of the report, not the end of it.
[[ $help == *--keep-going* ]] && opts+=(--keep-going)
[ -n "$by" ] && opts+=(--by "$by")
[ -n "$rules" ] && opts+=(--rules "$rules")

# ---- the reports: one crampstat analyze for every format, where it can
# write several from one pass over the data (--also), else one per format
# (each -o and --also file is atomic). crampstat runs in the background so
# that a signal reaches the trap at once; its standard error goes to the
# log.
runs=()     # the formats of each run, space-separated
for f in "${fmts[@]}"; do
    [ "$f" = html ] && ! $native_html && continue
    if [[ $help == *--also* ]] && [ "${#runs[@]}" -gt 0 ]; then
        runs[0]+=" $f"
    else
        runs+=("$f")
    fi
done
names=()
left_out=
for run in "${runs[@]}"; do
    read -r -a rf <<<"$run"
    args=()
    for f in "${rf[@]}"; do
        case $f in txt) cf=pretty ;; *) cf=$f ;; esac
        if [ "${#args[@]}" -eq 0 ]; then
            main=$cf name=report-$day.$f
            args+=(--format "$cf" -o "$stage/$name")
        else
            args+=(--also "$cf=$stage/report-$day.$f")
        fi
    done
    # crampstat's standard error, in a file without a name (opened for
    # writing and reading, then removed): a SIGKILL leaves no trace of it.
    exec {ew}>"$stage/stderr" {er}<"$stage/stderr"
    rm -f -- "$stage/stderr"
    # The summary lines are the same for every format: log them once.
    q=(); [ "${#names[@]}" -eq 0 ] || q=(-q)
    "$CRAMPSTAT" analyze "${q[@]}" -S "$in/survey.csv.gz" "${exercise[@]}" "${opts[@]}" \
        "${args[@]}" 2>&"$ew" &
    child=$!
    set +e
    wait "$child"
    rc=$?
    set -e
    child=
    errs=$(cat <&"$er")
    exec {ew}>&- {er}<&-
    [ -z "$errs" ] || sed 's/^/  /' <<<"$errs" >>"$log_file" 2>/dev/null || true
    if [ "$rc" -eq 65 ] && [[ " ${opts[*]} " == *" --keep-going "* ]] &&
        [ -f "$stage/$name" ]; then
        # The reports are made, without the files named in them: go on.
        left_out=$(grep '^crampstat: analyze: .*left out of the report' <<<"$errs" | tail -n 1 |
                   sed 's/^crampstat: analyze: //')
        rc=0
    fi
    if [ "$rc" -ne 0 ]; then
        fail "$rc" "crampstat analyze --format $main failed: $(grep -v '^ingest: ' <<<"$errs" | tail -n 3 | tr '\n' ' ')"
    fi
    for f in "${rf[@]}"; do names+=("report-$day.$f"); done
done
if [[ " ${fmts[*]} " == *" html "* ]] && ! $native_html; then
    {
        printf '<!DOCTYPE html>\n<html><head><meta charset="utf-8">\n'
        printf '<title>crampstat report %s</title></head>\n<body><pre>\n' "$day"
        sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' "$stage/report-$day.txt"
        printf '</pre></body></html>\n'
    } >"$stage/report-$day.html" || fail 74 "cannot write the HTML report"
    names+=("report-$day.html")
fi

# ---- into place: the reports, then the links (each a rename).
for name in "${names[@]}"; do
    mv -f -- "$stage/$name" "$out/$name" || fail 74 "cannot move $name into $out"
done
for f in "${fmts[@]}"; do
    link=latest; [ "$f" = txt ] || link=latest.$f
    # latest names the newest day's report: a past day remade with --date
    # (after a damaged input was fixed) does not move it back.
    cur=$(readlink -- "$out/$link" 2>/dev/null) || cur=
    cur=${cur#report-}; cur=${cur%%.*}
    if [[ $cur =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ && $cur > $day ]]; then
        log "$link stays on $cur's report, newer than $day"
        continue
    fi
    ln -s -- "report-$day.$f" "$stage/$link" &&
        mv -f -T -- "$stage/$link" "$out/$link" || fail 74 "cannot update the link $out/$link"
done
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if [ -n "$left_out" ]; then
    # Made and in place, but not over every input: cron mails this.
    log "ok with inputs left out: ${names[*]} in $took s"
    fail 65 "report made without some input: $left_out"
fi
log "ok: ${names[*]} in $took s"
