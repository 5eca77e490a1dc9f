#!/usr/bin/env bash
# End to end: the scripts in pipelines/. daily-report.sh (reports and links,
# two runs in a row, a second run while the first holds the lock, --wait, a
# run killed mid-way, failures), shard.sh, and parallel.sh under GNU
# parallel and xargs (byte-identical to the single-process report).
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC" || exit 1
export CRAMPSTAT
unset CS_REPORT_FORMATS CS_REPORT_BY CS_REPORT_RULES
P=$CS_SRC/pipelines
S=sample-data/survey.csv.gz
E=sample-data/exercise.csv.gz
cs() { "$CRAMPSTAT" "$@"; }
# analyze's JSON less its "ingest" member (counts only a single pass has).
no_ingest() { sed '1{N;s/^{"ingest": .*,\n"aggregate": /{"aggregate": /}'; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds; 1 on timeout.
wait_for() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.1
    done
}
# The pids of PID's children named NAME, from /proc (no procps needed).
children() {
    local s
    for s in /proc/[0-9]*/stat; do
        read -r -a f 2>/dev/null <"$s" || continue
        [ "${f[3]}" = "$1" ] && [ "${f[1]}" = "($2)" ] && echo "${f[0]}"
    done
    return 0
}
lock_held() { [ -e "$1/.lock" ] && ! flock -n "$1/.lock" true; }
# Held, and the holder has written who it is.
lock_taken() { lock_held "$1" && grep -q '^pid ' "$1/.lock"; }
alive() { kill -0 "$1" 2>/dev/null; }
# wrapper DIR OPTION: DIR/cs runs crampstat and appends each command line
# to DIR/calls; with HIDE=1, 'analyze --help' does not show OPTION, as a
# crampstat from before it would not.
wrapper() {
    mkdir -p "$1"
    cat >"$1/cs" <<WRAP
#!/usr/bin/env bash
echo "\$*" >>"$1/calls"
if [ "\${HIDE:-}" = 1 ] && [ "\$1 \${2:-}" = "analyze --help" ]; then
    "$CRAMPSTAT" analyze --help | sed 's/$2/--hidden/'
    exit
fi
exec "$CRAMPSTAT" "\$@"
WRAP
    chmod +x "$1/cs"
}
# What is in DIR, hidden files too, one name a line.
listing() { (cd "$1" && LC_ALL=C ls -A); }
# Background pids this test started, ended on exit: the runs with SIGTERM
# (they clean up), the FIFO feeders with SIGKILL.
# Only pids still among this shell's jobs: a pid already reaped may be
# someone else's by now.
started=() feeders=()
cleanup() {
    local p live
    live=" $(jobs -p | tr '\n' ' ') "
    for p in "${started[@]}"; do [[ $live == *" $p "* ]] && kill "$p" 2>/dev/null; done
    for p in "${feeders[@]}"; do [[ $live == *" $p "* ]] && kill -KILL "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
# feed FIFO FILE BYTES FLAG: write the first BYTES of FILE into FIFO, touch
# FLAG, then keep the FIFO open (the reader is left waiting mid-way) until
# killed. A plain sh: a signal ends it even while it waits to open the FIFO.
feed() {
    sh -c 'exec >"$1"; head -c "$3" "$2"; touch "$4"; exec sleep 300' sh "$@" &
    feeders+=($!)
}

# GNU parallel (pipelines/install-deps.sh --test installs it): without it
# parallel.sh is tested with xargs only and the test exits 77 saying so.
if command -v parallel >/dev/null 2>&1; then have_parallel=1; else
    have_parallel=0
    skip_part "GNU parallel is missing (Debian: parallel): parallel.sh --runner parallel not tested"
fi

# ---------------------------------------------------------------- usage
# Every script, the two of the quick start included, prints its usage
# with --help and -h (operations.md), and does nothing else.
for s in daily-report.sh parallel.sh shard.sh partial.sh quickstart.sh install-deps.sh slurm/submit.sh slurm/shard-job.sbatch slurm/merge-job.sbatch; do
    for h in --help -h; do
        bash "$P/$s" "$h" >"$T/help" 2>&1
        check "$s $h exit" 0 $?
        check_grep "$s $h usage" "^Usage: " "$T/help"
    done
done
bash "$P/daily-report.sh" >/dev/null 2>"$T/err"
check "daily-report.sh without arguments: 64" 64 $?
check_grep "daily-report.sh usage message" "want INPUT_DIR and OUTPUT_DIR" "$T/err"
bash "$P/parallel.sh" "$E" >/dev/null 2>"$T/err"
check "parallel.sh without --survey: 64" 64 $?
# The two Slurm job scripts as the others: a usage error on standard
# error, nothing on standard output, status 64.
for j in shard-job merge-job; do
    bash "$P/slurm/$j.sbatch" >"$T/usage.out" 2>"$T/err"
    check "$j.sbatch without arguments: 64" 64 $?
    check "$j.sbatch without arguments: nothing on stdout" "" "$(cat "$T/usage.out")"
    check "$j.sbatch without arguments: message" "$j: want one argument, WORK_DIR (try --help)" "$(cat "$T/err")"
    bash "$P/slurm/$j.sbatch" "$T" extra >"$T/usage.out" 2>"$T/err"
    check "$j.sbatch with two arguments: 64" 64 $?
    bash "$P/slurm/$j.sbatch" "$T/no-such-work" >"$T/usage.out" 2>"$T/err"
    check "$j.sbatch, no job.env: 66" 66 $?
    check "$j.sbatch, no job.env: message" \
        "$j: cannot read $T/no-such-work/job.env: not a work directory of submit.sh" "$(cat "$T/err")"
done

# ------------------------------------------------- daily-report.sh: basics
in=$T/in; out=$T/out
mkdir -p "$in"
cp "$S" "$E" "$in/"
cs analyze -q -S "$in/survey.csv.gz" -e "$in/exercise.csv.gz" -o "$T/expect.txt"
cs analyze -q -S "$in/survey.csv.gz" -e "$in/exercise.csv.gz" -f json -o "$T/expect.json"

bash "$P/daily-report.sh" --date 2024-05-01 --formats json,html "$in" "$out" >"$T/out1" 2>&1
check "daily: first run exit" 0 $?
check "daily: silent on success (cron mails output)" "" "$(cat "$T/out1")"
check_file "daily: txt report equals analyze" "$T/expect.txt" "$out/report-2024-05-01.txt"
check_file "daily: json report equals analyze -f json" "$T/expect.json" "$out/report-2024-05-01.json"
check_grep "daily: html report" "<html" "$out/report-2024-05-01.html"
check "daily: latest link" "report-2024-05-01.txt" "$(readlink "$out/latest")"
check "daily: latest.json link" "report-2024-05-01.json" "$(readlink "$out/latest.json")"
check "daily: log lines" 1 "$(grep -c 'ok: report-2024-05-01.txt report-2024-05-01.json report-2024-05-01.html' "$out/daily-report.log")"
check_grep "daily: crampstat's summary in the log" "ingest: .*exercise.csv.gz: 51466 rows read" "$out/daily-report.log"
# Every format from one pass over the data (analyze --also); a crampstat
# without --also, one run per format, the same reports.
wrapper "$T/dcalls" --also
for hide in 0 1; do
    rm -rf "$T/dcalls/out" "$T/dcalls/calls"
    CRAMPSTAT=$T/dcalls/cs HIDE=$hide bash "$P/daily-report.sh" --date 2024-05-01 \
        --formats json,csv "$in" "$T/dcalls/out"
    check "daily (HIDE=$hide): exit" 0 $?
    check "daily (HIDE=$hide): analyze runs" "$([ $hide = 0 ] && echo 1 || echo 3)" \
        "$(grep -v -e '--help' "$T/dcalls/calls" | grep -c '^analyze ')"
    check_file "daily (HIDE=$hide): txt as analyze's" "$T/expect.txt" "$T/dcalls/out/report-2024-05-01.txt"
    check_file "daily (HIDE=$hide): json as analyze's" "$T/expect.json" "$T/dcalls/out/report-2024-05-01.json"
    check_file "daily (HIDE=$hide): csv as analyze's" \
        <(cs analyze -q -S "$in/survey.csv.gz" -e "$in/exercise.csv.gz" --format csv) \
        "$T/dcalls/out/report-2024-05-01.csv"
done

# Twice in a row: the second run makes its day's report and moves the link.
bash "$P/daily-report.sh" --date 2024-05-02 "$in" "$out" >"$T/out2" 2>&1
check "daily: second run in a row exit" 0 $?
check_file "daily: second report" "$T/expect.txt" "$out/report-2024-05-02.txt"
check "daily: latest moved" "report-2024-05-02.txt" "$(readlink "$out/latest")"
check "daily: latest.json kept (json not asked this time)" "report-2024-05-01.json" "$(readlink "$out/latest.json")"
check "daily: no stray files" ".lock daily-report.log latest latest.html latest.json report-2024-05-01.html report-2024-05-01.json report-2024-05-01.txt report-2024-05-02.txt" \
    "$(listing "$out" | tr '\n' ' ' | sed 's/ $//')"
# Same day again: the report is replaced.
CS_REPORT_BY=sex bash "$P/daily-report.sh" --date 2024-05-02 "$in" "$out" 2>&1
check "daily: rerun of a day exit" 0 $?
check_grep "daily: CS_REPORT_BY honoured" "^Stratified by sex" "$out/report-2024-05-02.txt"
# A past day remade (as after a damaged input): its report is replaced,
# but latest stays on the newest day's.
bash "$P/daily-report.sh" --date 2024-05-01 --formats txt,json "$in" "$out" 2>&1
check "daily: a past day remade: exit" 0 $?
check "daily: a past day remade: latest stays" "report-2024-05-02.txt" "$(readlink "$out/latest")"
check "daily: ... and latest.json, on that day's, is moved" "report-2024-05-01.json" "$(readlink "$out/latest.json")"
check_grep "daily: ... and the log says why" "latest stays on 2024-05-02's report, newer than 2024-05-01" "$out/daily-report.log"

# Failures: status, message on stderr, log line, previous links untouched.
rm -f "$in/survey.csv.gz"
bash "$P/daily-report.sh" --date 2024-05-03 "$in" "$out" >/dev/null 2>"$T/err"
check "daily: missing survey: 66" 66 $?
check_grep "daily: missing survey message" "no survey" "$T/err"
check_grep "daily: failure logged" "FAILED (status 66)" "$out/daily-report.log"
# A bad survey stops the run (a bad exercise file is left out of the
# report instead: tests/cli/badday.sh).
printf 'this is not a survey\n' | gzip >"$in/survey.csv.gz"
bash "$P/daily-report.sh" --date 2024-05-03 "$in" "$out" >/dev/null 2>"$T/err"
check "daily: bad data: crampstat's 65" 65 $?
check_grep "daily: bad data message" "crampstat analyze --format pretty failed" "$T/err"
check "daily: no report after a failure" "" "$(cd "$out" && ls -A | grep 2024-05-03)"
check "daily: latest kept after a failure" "report-2024-05-02.txt" "$(readlink "$out/latest")"
check "daily: no temporary file after a failure" "" "$(listing "$out" | grep -v -e '^report-' -e '^latest' -e '^\.lock$' -e '^daily-report\.log$')"
cp "$S" "$in/"
bash "$P/daily-report.sh" --date 2024-13-45 "$in" "$out" 2>/dev/null
check "daily: bad --date: 64" 64 $?
CRAMPSTAT=$T/no-such-crampstat bash "$P/daily-report.sh" "$in" "$out" 2>/dev/null
check "daily: crampstat not found: 69" 69 $?
# A staging directory left by a run killed with SIGKILL goes at the next run.
mkdir "$out/.daily-report.stage.dead1"
bash "$P/daily-report.sh" --date 2024-05-02 "$in" "$out"
check "daily: stale staging directory removed" "" "$(listing "$out" | grep stage)"

# ------------------------------------------ daily-report.sh: the lock
# The first run reads its exercise file from a FIFO that the test feeds
# when it wants: it holds the lock as long as the test likes.
lin=$T/lin; lout=$T/lout
mkdir -p "$lin"
cp "$S" "$lin/"
mkfifo "$lin/exercise.csv.gz"
bash "$P/daily-report.sh" --date 2024-06-01 "$lin" "$lout" >"$T/first.out" 2>&1 &
first=$!; started+=("$first")
wait_for 20 lock_taken "$lout"
check "lock: the first run holds the lock" 0 $?
t0=$SECONDS
timeout 30 bash "$P/daily-report.sh" --date 2024-06-01 "$lin" "$lout" >"$T/second.out" 2>&1
check "lock: second run skips with status 0" 0 $?
check "lock: second run returns at once" 1 "$((SECONDS - t0 < 10))"
check "lock: second run prints nothing" "" "$(cat "$T/second.out")"
check_grep "lock: second run logs the skip" "another run holds the lock (pid $first since" "$lout/daily-report.log"
timeout 30 bash "$P/daily-report.sh" --wait=1 --date 2024-06-01 "$lin" "$lout" >/dev/null 2>"$T/err"
check "lock: --wait timing out: 75" 75 $?
check_grep "lock: --wait timeout message" "still holds the lock after 1s" "$T/err"
check "lock: first run still going" 0 "$(alive "$first"; echo $?)"
check "lock: no report while the first runs" "" "$(listing "$lout" | grep report-)"
# Let the first run finish (bounded: were it gone, nothing would read).
timeout -s KILL 30 sh -c 'cat "$1" >"$2"' sh "$E" "$lin/exercise.csv.gz"
timeout 60 tail -s 0.1 --pid="$first" -f /dev/null
wait "$first"
check "lock: first run exit" 0 $?
check_file "lock: first run's report" "$T/expect.txt" <(sed "s|$lin/|$in/|" "$lout/report-2024-06-01.txt")
check "lock: lock released" 1 "$(lock_held "$lout"; echo $?)"

# --wait: a run that finds the lock held waits for it, then works.
rm -f "$lin/exercise.csv.gz"
cp "$E" "$lin/"
exec 8>>"$lout/.lock"
flock 8
bash "$P/daily-report.sh" --wait=60 --date 2024-06-02 "$lin" "$lout" >"$T/waiter.out" 2>&1 &
waiter=$!; started+=("$waiter")
sleep 1
check "wait: the waiting run is still there" 0 "$(alive "$waiter"; echo $?)"
check "wait: no report yet" "" "$(listing "$lout" | grep 2024-06-02)"
flock -u 8
exec 8>&-
timeout 60 tail -s 0.1 --pid="$waiter" -f /dev/null
wait "$waiter"
check "wait: the waiting run then works" 0 $?
check "wait: its report" "report-2024-06-02.txt" "$(readlink "$lout/latest")"

# ------------------------------------- daily-report.sh: killed mid-way
# A big input (gen: ~500k sessions) through a FIFO: the writer feeds 4 MB
# then stalls, so crampstat is surely mid-way when the test signals it.
mkdir -p "$T/big"
cs gen --participants 20000 --seed 1 --out-dir "$T/big" >/dev/null 2>&1
check "gen the big input" 0 $?
kin=$T/kin; kout=$T/kout
mkdir -p "$kin"
cp "$T/big/survey.csv.gz" "$kin/"
# Day 1 made normally, from the beginning of the big file.
gzip -dc "$T/big/exercise.csv.gz" | head -n 2001 | gzip >"$kin/exercise.csv.gz"
bash "$P/daily-report.sh" --date 2024-07-01 "$kin" "$kout"
check "kill: day 1 exit" 0 $?
rm "$kin/exercise.csv.gz"
mkfifo "$kin/exercise.csv.gz"
before=$(listing "$kout")

# kill_run WHO: WHO is crampstat (SIGTERM to the crampstat process) or
# script (SIGTERM to daily-report.sh, as timeout(1) or a shutdown sends).
kill_run() {
    local who=$1 run feeder cpid rc
    rm -f "$T/fed"
    bash "$P/daily-report.sh" --date 2024-07-02 "$kin" "$kout" >"$T/kill.out" 2>&1 &
    run=$!; started+=("$run")
    feed "$kin/exercise.csv.gz" "$T/big/exercise.csv.gz" 4000000 "$T/fed"
    feeder=$!
    wait_for 30 test -e "$T/fed"
    check "kill ($who): crampstat has read 4 MB" 0 $?
    cpid=$(children "$run" crampstat)
    check "kill ($who): crampstat is running" 1 "$(echo "$cpid" | grep -c .)"
    if [ "$who" = crampstat ] && [ -n "$cpid" ]; then kill -TERM "$cpid"; else kill -TERM "$run"; fi
    timeout 30 tail -s 0.1 --pid="$run" -f /dev/null
    wait "$run"
    rc=$?
    kill -KILL "$feeder" 2>/dev/null
    wait "$feeder" 2>/dev/null
    check "kill ($who): status 143" 143 "$rc"
    check "kill ($who): crampstat is gone" 1 "$(alive "$cpid"; echo $?)"
    check "kill ($who): no partial output, no temporary file" "$before" "$(listing "$kout")"
    check "kill ($who): latest untouched" "report-2024-07-01.txt" "$(readlink "$kout/latest")"
    check "kill ($who): lock released" 1 "$(lock_held "$kout"; echo $?)"
}
kill_run crampstat
check_grep "kill (crampstat): failure on stderr" "failed" "$T/kill.out"
check_grep "kill (crampstat): failure logged" "FAILED (status 143)" "$kout/daily-report.log"
kill_run script
check_grep "kill (script): logged" "killed by signal 15; nothing changed" "$kout/daily-report.log"

# ----------------------------------------------------------- shard.sh
bash "$P/shard.sh" -n 3 -o "$T/sh" "$E"
check "shard: exit" 0 $?
check "shard: the files" "shard-1.csv.gz shard-2.csv.gz shard-3.csv.gz" "$(listing "$T/sh" | tr '\n' ' ' | sed 's/ $//')"
hdr=$(gzip -dc "$E" | head -n 1)
for k in 1 2 3; do
    check "shard $k: header" "$hdr" "$(gzip -dc "$T/sh/shard-$k.csv.gz" | head -n 1)"
done
for k in 1 2 3; do gzip -dc "$T/sh/shard-$k.csv.gz" | tail -n +2; done | LC_ALL=C sort >"$T/sh.rows"
gzip -dc "$E" | tail -n +2 | LC_ALL=C sort >"$T/all.rows"
check_file "shard: the shards hold the rows, each once" "$T/all.rows" "$T/sh.rows"
check "shard: no participant in two shards" "" \
    "$(for k in 1 2 3; do gzip -dc "$T/sh/shard-$k.csv.gz" | tail -n +2 | cut -d, -f1 | sort -u; done | sort | uniq -d | head -3)"
# Again with fewer shards: the earlier set is replaced whole (no shard 3
# left to be read twice), and a file that only looks like a shard stays.
cp -r "$T/sh" "$T/sh-again"
touch "$T/sh-again/shard-notes.csv.gz"
bash "$P/shard.sh" -n 2 -o "$T/sh-again" "$E"
check "shard: fewer shards replace the set" "shard-1.csv.gz shard-2.csv.gz shard-notes.csv.gz" \
    "$(cd "$T/sh-again" && ls | tr '\n' ' ' | sed 's/ $//')"
check "shard: ... and hold every row once" "$(gzip -dc "$E" | tail -n +2 | wc -l)" \
    "$(for f in "$T/sh-again"/shard-[12].csv.gz; do gzip -dc "$f" | tail -n +2; done | wc -l)"
bash "$P/shard.sh" -n 2 -o "$T/sh" /nonexistent.csv.gz 2>/dev/null
check "shard: missing input: 66" 66 $?
printf 'a,b\n1,2\n' >"$T/nopid.csv"
bash "$P/shard.sh" -n 2 -o "$T/sh2" "$T/nopid.csv" 2>/dev/null
check "shard: no participant_id: 65" 65 $?
check "shard: nothing left after a failure" "" "$(listing "$T/sh2")"

# Records as other tools write them, from a gzip file and a plain one: CR
# LF ends, a quoted field over two lines, escaped quotes, a quoted id. The
# shards hold each record once, whole, with LF ends, the same with ISA-L's
# igzip (where installed) as with gzip (SHARD_IGZIP=no).
mkdir -p "$T/odd"
{
    printf 'participant_id,session_id,note\r\n'
    printf 'P1,S1,plain\r\n'
    printf '"P2",S2,"two\nlines"\r\n'
    printf 'P3,S3,"say ""hi"", twice"\r\n'
    printf 'P1,S4,again\r\n'
} | gzip >"$T/odd/a.csv.gz"
printf 'participant_id,session_id,note\nP4,S5,"x\ny\nz"\nP2,S6,last\n' >"$T/odd/b.csv"
mkdir -p "$T/odd/bin"
if command -v igzip >/dev/null 2>&1; then
    printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' "$T/odd/igzip.calls" "$(command -v igzip)" >"$T/odd/bin/igzip"
    chmod +x "$T/odd/bin/igzip"
fi
for v in no yes; do
    rm -f "$T/odd/igzip.calls"
    PATH=$T/odd/bin:$PATH SHARD_IGZIP=$v bash "$P/shard.sh" -n 3 -o "$T/odd/$v" "$T/odd/a.csv.gz" "$T/odd/b.csv"
    check "shard, odd records (SHARD_IGZIP=$v): exit" 0 $?
    # each shard's records, one a line (a line end inside quotes as "|")
    check "shard, odd records (SHARD_IGZIP=$v): every record once, whole" \
        "$(printf '%s\n' '"P2",S2,"two|lines"' 'P1,S1,plain' 'P1,S4,again' 'P2,S6,last' \
              'P3,S3,"say ""hi"", twice"' 'P4,S5,"x|y|z"' | LC_ALL=C sort)" \
        "$(for k in 1 2 3; do gzip -dc "$T/odd/$v/shard-$k.csv.gz" | tail -n +2; done |
           awk '{ r = (q % 2) ? r "|" $0 : $0; q += gsub(/"/, "\""); if (q % 2) next; q = 0; print r }' | LC_ALL=C sort)"
    check "shard, odd records (SHARD_IGZIP=$v): no CR" 0 \
        "$(for k in 1 2 3; do gzip -dc "$T/odd/$v/shard-$k.csv.gz"; done | tr -cd '\r' | wc -c)"
    check "shard, odd records (SHARD_IGZIP=$v): P1's, P2's sessions together" "1 1" \
        "$(for p in P1 P2; do for k in 1 2 3; do gzip -dc "$T/odd/$v/shard-$k.csv.gz" | grep -c "^\"\?$p\"\?," ; done | grep -vc '^0$'; done | tr '\n' ' ' | sed 's/ $//')"
    if [ -x "$T/odd/bin/igzip" ]; then
        if [ "$v" = yes ]; then
            # one inflate (the gzip input) and three compressors
            check "shard: igzip inflates the gzip input and compresses the shards" "-1 -c -1 -c -1 -c -dc" \
                "$(LC_ALL=C sort "$T/odd/igzip.calls" | tr '\n' ' ' | sed 's/ $//')"
        else
            check "shard: SHARD_IGZIP=no: no igzip" "" "$(cat "$T/odd/igzip.calls" 2>/dev/null)"
        fi
    fi
done
[ -x "$T/odd/bin/igzip" ] || echo "note: igzip is not installed (Debian: isal): shard.sh takes gzip either way"
for k in 1 2 3; do
    check_file "shard $k: the same records with igzip and gzip" \
        <(gzip -dc "$T/odd/no/shard-$k.csv.gz") <(gzip -dc "$T/odd/yes/shard-$k.csv.gz")
done

# A participant_id written with spaces or tabs at its edges, or quoted, is
# the same participant to crampstat (trimmed after unquoting): its rows go
# to the shard of the bare id, so a session repeated under " P0000001" is
# still found a duplicate and the sharded report equals analyze.
mkdir -p "$T/trim"
cs gen -n 4 -s 9 -d "$T/trim" >/dev/null 2>&1
gzip -dc "$T/trim/exercise.csv.gz" | head -n 30 >"$T/trim/ex.csv"
row=$(sed -n 2p "$T/trim/ex.csv")
pid=${row%%,*} rest=${row#*,*,}
{
    printf ' %s\n' "$row"                          # the same session again
    printf '"%s",S900000001,%s\n' "$pid" "$rest"   # quoted
    printf '%s\t,S900000002,%s\n' "$pid" "$rest"   # a tab after
    printf '" %s  ",S900000003,%s\n' "$pid" "$rest" # quoted, spaces inside
} >>"$T/trim/ex.csv"
bash "$P/shard.sh" -n 4 -o "$T/trim/sh" "$T/trim/ex.csv"
check "shard: trimmed ids: exit" 0 $?
check "shard: $pid, quoted or with spaces or tabs, in one shard" 1 \
    "$(for k in 1 2 3 4; do gzip -dc "$T/trim/sh/shard-$k.csv.gz" | tail -n +2 |
        grep -c "^[\" 	]*${pid}[\" 	]*,"; done | grep -vc '^0$')"
cs analyze -q -S "$T/trim/survey.csv.gz" -e "$T/trim/ex.csv" -o "$T/trim/expect.txt"
check "analyze: the repeated session rejected" "sessions:   32 read, 32 used, 0 left out (outcome unknown)" \
    "$(sed -n 3p "$T/trim/expect.txt")"
bash "$P/parallel.sh" -S "$T/trim/survey.csv.gz" -j 2 -n 4 "$T/trim/ex.csv" >"$T/trim/par.txt"
check "parallel: trimmed ids: exit" 0 $?
check "parallel: trimmed ids: the repeated session rejected" \
    "sessions:   32 read, 32 used, 0 left out (outcome unknown)" "$(sed -n 3p "$T/trim/par.txt")"
check_file "parallel: trimmed ids: equal analyze" "$T/trim/expect.txt" "$T/trim/par.txt"

# --------------------------------------------------- partial.sh report
# A folder without the calories states: refused (66), naming the folder
# and the kind, instead of running crampstat merge on no file, which reads
# standard input. One state of two without its calories state: 66 too.
if cs calories --help >/dev/null 2>&1; then
    mkdir -p "$T/pr"
    CS_SURVEY=$T/trim/survey.csv.gz bash "$P/partial.sh" shard "$T/trim/sh/shard-1.csv.gz" ex.csv "$T/pr/1"
    CS_SURVEY=$T/trim/survey.csv.gz bash "$P/partial.sh" shard "$T/trim/sh/shard-2.csv.gz" ex.csv "$T/pr/2"
    check "partial.sh shard: both states" "1.agg.partial 1.cal.partial 2.agg.partial 2.cal.partial" \
        "$(listing "$T/pr" | tr '\n' ' ' | sed 's/ $//')"
    mkdir -p "$T/pr-agg"
    cp "$T/pr/1.agg.partial" "$T/pr/2.agg.partial" "$T/pr-agg/"
    CS_SURVEY=$T/trim/survey.csv.gz bash "$P/partial.sh" report - "$T/pr-agg" \
        <"$T/pr/1.cal.partial" >"$T/pr.out" 2>"$T/err"
    check "partial.sh report: no *.cal.partial: 66" 66 $?
    check "partial.sh report: no *.cal.partial: message" \
        "partial.sh: no calories partial state (*.cal.partial) in $T/pr-agg" "$(cat "$T/err")"
    check "partial.sh report: no *.cal.partial: no report (standard input not read)" "" "$(cat "$T/pr.out")"
    cp "$T/pr/1.cal.partial" "$T/pr-agg/"
    CS_SURVEY=$T/trim/survey.csv.gz bash "$P/partial.sh" report - "$T/pr-agg" \
        </dev/null >"$T/pr.out" 2>"$T/err"
    check "partial.sh report: 2.cal.partial missing: 66" 66 $?
    check "partial.sh report: 2.cal.partial missing: message" \
        "partial.sh: $T/pr-agg/2.cal.partial is missing (2.agg.partial has no calories state)" "$(cat "$T/err")"
    check "partial.sh report: 2.cal.partial missing: no report" "" "$(cat "$T/pr.out")"
    # OUTPUT in a directory that does not exist: 74 before CS_STATE_DIR
    # is made or changed.
    CS_STATE_DIR=$T/pr-state CS_SURVEY=$T/trim/survey.csv.gz bash "$P/partial.sh" report \
        "$T/no/such/dir/r.txt" "$T/pr" 2>"$T/err"
    check "partial.sh report: OUTPUT's directory missing: 74" 74 $?
    check "partial.sh report: OUTPUT's directory missing: message" \
        "partial.sh: cannot write $T/no/such/dir/r.txt: no writable directory $T/no/such/dir" "$(cat "$T/err")"
    check "partial.sh report: OUTPUT's directory missing: no CS_STATE_DIR" 1 "$(test -e "$T/pr-state"; echo $?)"

    # slurm/merge-job.sbatch, run by hand on a work directory of two
    # tasks: with both kinds of state it writes the report; with a task's
    # calories state missing it stops with 66 and names it, and writes
    # nothing (the calorie section would count fewer sessions).
    W=$T/mw
    mkdir -p "$W/partials"
    cp "$T/pr"/*.partial "$W/partials/"
    {
        printf 'export CRAMPSTAT=%q CS_PIPELINES=%q\n' "$CRAMPSTAT" "$P"
        printf 'export CS_SURVEY=%q CS_OUTPUT=%q CS_TASKS=2\n' "$T/trim/survey.csv.gz" "$W/report.txt"
        echo "export CS_RULES= CS_BY= CS_ADJUST= CS_FORMAT= CS_LEVEL= CS_CI= CS_YATES=0"
    } >"$W/job.env"
    cs analyze -q -S "$T/trim/survey.csv.gz" -e "$T/trim/sh/shard-1.csv.gz" -e "$T/trim/sh/shard-2.csv.gz" |
        sed 's|^inputs: .*|inputs:     ex.csv|' >"$T/mw.expect"
    bash "$P/slurm/merge-job.sbatch" "$W" 2>"$T/err"
    check "merge-job: both kinds: exit" 0 $?
    check_file "merge-job: both kinds: the report" "$T/mw.expect" "$W/report.txt"
    rm -f "$W/report.txt" "$W/partials/2.cal.partial"
    bash "$P/slurm/merge-job.sbatch" "$W" 2>"$T/err"
    check "merge-job: 2.cal.partial missing: 66" 66 $?
    check "merge-job: 2.cal.partial missing: message" \
        "merge-job: $W/partials/2.cal.partial is missing: did task 2 fail?" "$(cat "$T/err")"
    check "merge-job: 2.cal.partial missing: no report" 1 "$(test -e "$W/report.txt"; echo $?)"
fi

# --------------------------------------------------- partial.sh shard
# A shard is one analyze --partial-prefix; a --by column analyze cannot
# group by (height_ft), or a crampstat whose analyze cannot write states,
# takes the piped chain. Each way, the states are the piped commands'.
# A wrapper records which commands ran.
if cs calories --help >/dev/null 2>&1; then
    wrapper "$T/route" --partial-prefix
    sh1=$T/trim/sh/shard-3.csv.gz sv=$T/trim/survey.csv.gz
    # The piped commands' states, by hand.
    for by in "" height_ft; do
        byo=(); [ -n "$by" ] && byo=(--by "$by")
        cs ingest -q --schema exercise "$sh1" | cs join -q --survey "$sv" | cs tag -q >"$T/route/tagged"
        cs aggregate -q --partial "${byo[@]}" --input-name ex.csv <"$T/route/tagged" >"$T/route/want${by}.agg"
        cs calories -q --partial <"$T/route/tagged" >"$T/route/want${by}.cal"
    done
    # route NAME BY HIDE: partial.sh shard through the wrapper; prints the
    # commands that ran (sorted, distinct) and its exit status.
    route() {
        rm -f "$T/route/calls"
        CRAMPSTAT=$T/route/cs CS_BY=$2 HIDE=$3 CS_SURVEY=$sv \
            bash "$P/partial.sh" shard "$sh1" ex.csv "$T/route/$1" 2>"$T/route/$1.err"
        echo "$? $(awk '{ print $1 }' "$T/route/calls" | sort -u | tr '\n' ' ' | sed 's/ $//')"
    }
    check "partial.sh shard: sessions in it" 1 "$(grep -q '^link [a-z]* [1-9]' "$T/route/want.cal" && echo 1)"
    check "partial.sh shard: one analyze" "0 analyze calories" "$(route a "" 0)"
    check_file "partial.sh shard by analyze: aggregate's state" "$T/route/want.agg" "$T/route/a.agg.partial"
    check_file "partial.sh shard by analyze: calories' state" "$T/route/want.cal" "$T/route/a.cal.partial"
    check "partial.sh shard, --by height_ft: the piped chain" \
        "0 aggregate analyze calories ingest join tag" "$(route h height_ft 0)"
    check "partial.sh shard, --by height_ft: analyze's refusal not shown" "" "$(cat "$T/route/h.err")"
    check_file "partial.sh shard, --by height_ft: aggregate's state" "$T/route/wantheight_ft.agg" "$T/route/h.agg.partial"
    check_file "partial.sh shard, --by height_ft: calories' state" "$T/route/wantheight_ft.cal" "$T/route/h.cal.partial"
    check "partial.sh shard, an analyze without --partial-prefix: the piped chain" \
        "0 aggregate analyze calories ingest join tag" "$(route o "" 1)"
    check_file "partial.sh shard, the piped chain: aggregate's state" "$T/route/want.agg" "$T/route/o.agg.partial"
    check_file "partial.sh shard, the piped chain: calories' state" "$T/route/want.cal" "$T/route/o.cal.partial"
    # K/N: the whole file, of which shard.sh made sh1 as shard 3 of 4;
    # each way, the states of sh1 (the rows picked as analyze or ingest
    # reads, by the hash shard.sh's awk computes).
    route_part() {
        rm -f "$T/route/calls"
        CRAMPSTAT=$T/route/cs CS_BY=$2 HIDE=$3 CS_SURVEY=$sv \
            bash "$P/partial.sh" shard "$T/trim/ex.csv" ex.csv "$T/route/$1" 3/4 2>"$T/route/$1.err"
        echo "$? $(grep -c -- '--shard 3/4' "$T/route/calls")"
    }
    check "partial.sh shard 3/4: analyze with --shard" "0 1" "$(route_part pa "" 0)"
    check_file "partial.sh shard 3/4 by analyze: shard.sh's shard 3's aggregate state" "$T/route/want.agg" "$T/route/pa.agg.partial"
    check_file "partial.sh shard 3/4 by analyze: shard.sh's shard 3's calories state" "$T/route/want.cal" "$T/route/pa.cal.partial"
    check "partial.sh shard 3/4, --by height_ft: analyze refuses, ingest --shard" "0 2" "$(route_part ph height_ft 0)"
    check_file "partial.sh shard 3/4, --by height_ft: aggregate's state" "$T/route/wantheight_ft.agg" "$T/route/ph.agg.partial"
    check_file "partial.sh shard 3/4, --by height_ft: calories' state" "$T/route/wantheight_ft.cal" "$T/route/ph.cal.partial"
    check "partial.sh shard 3/4, the piped chain: ingest --shard" "0 1" "$(route_part po "" 1)"
    check_file "partial.sh shard 3/4, the piped chain: aggregate's state" "$T/route/want.agg" "$T/route/po.agg.partial"
    check_file "partial.sh shard 3/4, the piped chain: calories' state" "$T/route/want.cal" "$T/route/po.cal.partial"
    CS_SURVEY=$sv bash "$P/partial.sh" shard "$T/trim/ex.csv" ex.csv "$T/route/pb" 3 2>"$T/err"
    check "partial.sh shard with a bad K/N: 64" 64 $?
    check "partial.sh shard with a bad K/N: message" "partial.sh: K/N wants two numbers such as 3/8, not '3'" "$(cat "$T/err")"
    wrapper "$T/noshard" --shard
    HIDE=1 CRAMPSTAT=$T/noshard/cs CS_SURVEY=$sv bash "$P/partial.sh" shard "$T/trim/ex.csv" ex.csv \
        "$T/route/pn" 3/4 2>"$T/err"
    check "partial.sh shard K/N, a crampstat without --shard: 69" 69 $?
    check_grep "partial.sh shard K/N, a crampstat without --shard: says to split" "split the file with shard.sh" "$T/err"
    check "partial.sh shard K/N, a crampstat without --shard: no state" "" "$(cd "$T/route" && ls pn.*.partial 2>/dev/null)"
    # A bad --by column that neither can give: the chain's error, as before.
    check "partial.sh shard, --by no_such_column: fails" 1 "$(r=$(route n no_such_column 0); [ "${r%% *}" != 0 ] && echo 1)"
    check "partial.sh shard, --by no_such_column: no state" "" "$(cd "$T/route" && ls n.*.partial 2>/dev/null)"
    check_grep "partial.sh shard, --by no_such_column: the chain's message" 'no_such_column' "$T/route/n.err"
    # analyze's own failure is its status, its message shown.
    head -c 300 "$sh1" >"$T/route/cut.csv.gz"
    rm -f "$T/route/calls"
    CRAMPSTAT=$T/route/cs CS_SURVEY=$sv bash "$P/partial.sh" shard "$T/route/cut.csv.gz" ex.csv \
        "$T/route/c" 2>"$T/route/c.err"
    check "partial.sh shard, a cut gzip: 65" 65 $?
    check_grep "partial.sh shard, a cut gzip: analyze's message" '^crampstat: analyze: .*cut.csv.gz' "$T/route/c.err"
    check_grep "partial.sh shard, a cut gzip: which command" 'failed with status 65 (analyze --partial-prefix: 65)' "$T/route/c.err"
fi

# ------------------------------------------------------- parallel.sh
runners=(xargs)
[ "$have_parallel" = 1 ] && runners=(parallel xargs)
# A sanitizer build checks crampstat's memory, and both runners start the
# same crampstat commands on the same shards: there, one runner (the
# release build's run tests both).
if sanitized; then
    runners=("${runners[0]}")
    echo "note: sanitizer build: parallel.sh with the runner ${runners[0]} only"
fi
cs analyze -q -S "$S" -e "$E" -o "$T/expect-rel.txt"
cs analyze -q -S "$S" -e "$E" --by sex -f json | no_ingest >"$T/expect-sex.json"
mv "$T/sh/shard-1.csv.gz" "$T/sh/ex-a.csv.gz"
mv "$T/sh/shard-2.csv.gz" "$T/sh/ex-b.csv.gz"
mv "$T/sh/shard-3.csv.gz" "$T/sh/ex-c.csv.gz"
three=("$T/sh/ex-c.csv.gz" "$T/sh/ex-a.csv.gz" "$T/sh/ex-b.csv.gz")
cs analyze -q -S "$S" -e "${three[0]}" -e "${three[1]}" -e "${three[2]}" -o "$T/expect-three.txt"
for r in "${runners[@]}"; do
    bash "$P/parallel.sh" --runner "$r" -S "$S" "$E" >"$T/par.txt"
    check "parallel ($r): exit" 0 $?
    check_file "parallel ($r): default shards equal analyze" "$T/expect-rel.txt" "$T/par.txt"
    # 12 shards: more than 9, so the partial states' names do not sort as
    # the shard numbers do.
    # A rules file's outcome reaches the calorie states too (calories
    # recorded hamstring whatever tag had counted).
    if [ "$r" = "${runners[0]}" ]; then
        printf 'outcome = any\n' >"$T/any.rules"
        cs analyze -q -S "$S" -e "$E" --rules "$T/any.rules" -f json | no_ingest >"$T/expect-any.json"
        bash "$P/parallel.sh" --runner "$r" -S "$S" -n 3 --rules "$T/any.rules" -f json -o "$T/par-any.json" "$E"
        check_file "parallel ($r): outcome = any: equal analyze" "$T/expect-any.json" "$T/par-any.json"
        check "... and the calorie link says so" "any cramp (cramp = yes), the outcome column of tag --outcome any" \
            "$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["calories"]["meta"]["outcome"])' "$T/par-any.json" 2>&1)"
    fi
    bash "$P/parallel.sh" --runner "$r" -S "$S" -n 12 -j 4 --by sex -f json -o "$T/par.json" "$E"
    check "parallel ($r): 12 shards exit" 0 $?
    check_file "parallel ($r): 12 shards, --by sex, json equal analyze" "$T/expect-sex.json" "$T/par.json"
    bash "$P/parallel.sh" --runner "$r" -S "$S" -n 1 "${three[@]}" >"$T/par3.txt"
    check_file "parallel ($r): three files as shards equal analyze" "$T/expect-three.txt" "$T/par3.txt"
    bash "$P/parallel.sh" --runner "$r" -S "$S" -n 2 "${three[@]}" >"$T/par3.txt"
    check_file "parallel ($r): three files split in two equal analyze" "$T/expect-three.txt" "$T/par3.txt"
    bash "$P/parallel.sh" --runner "$r" -S "$S" -n 1 "$E" "$T/nopid.csv" >"$T/par.out" 2>"$T/err"
    check "parallel ($r): bad shard: crampstat's status" 65 $?
    check "parallel ($r): bad shard: no report" "" "$(cat "$T/par.out")"
    bash "$P/parallel.sh" --runner "$r" -S "$S" -n 2 -o "$T/no/such/dir/r.txt" "$E" 2>/dev/null
    check "parallel ($r): report not writable: 74" 74 $?
done
bash "$P/parallel.sh" -S "$S" --state-dir "$T/state" -o "$T/par.txt" "$E"
if [ -e "$T/state/calories.partial" ]; then
    check_file "parallel: --state-dir keeps the merged states" "$T/expect-rel.txt" \
        <(cs report "$T/state/aggregate.partial"; echo
          cs merge "$T/state/calories.partial" "$T/state/survey-calories.partial" | cs report)
    # Two runs over other exercise files, their states merged: the
    # sessions' states of both and the survey's once equal analyze of
    # both files (the survey's participants are not counted twice).
    bash "$P/parallel.sh" -S "$S" --state-dir "$T/state-a" "${three[0]}" >/dev/null
    bash "$P/parallel.sh" -S "$S" --state-dir "$T/state-b" "${three[1]}" "${three[2]}" >/dev/null
    check_file "parallel: two runs' states merged equal analyze" "$T/expect-three.txt" \
        <(cs merge "$T/state-a/aggregate.partial" "$T/state-b/aggregate.partial" | cs report; echo
          cs merge "$T/state-a/calories.partial" "$T/state-b/calories.partial" \
                   "$T/state-b/survey-calories.partial" | cs report)
else
    check_file "parallel: --state-dir keeps the merged state" "$T/expect-rel.txt" <(cs report "$T/state/aggregate.partial")
fi
check_file "parallel: -o" "$T/expect-rel.txt" "$T/par.txt"

# analyze's --period and --cluster (and --safe-csv, -q) pass through: the
# report equals analyze's with the same options. --cluster none goes to
# aggregate --partial (no participant sums, as in analyze), --period and
# --safe-csv to the report.
cs analyze -q -S "$S" -e "$E" --period week -o "$T/expect-week.txt"
bash "$P/parallel.sh" -S "$S" -n 3 -j 2 --period week "$E" >"$T/par-week.txt" 2>"$T/err"
check "parallel --period week: exit" 0 $?
check_file "parallel --period week equals analyze --period week" "$T/expect-week.txt" "$T/par-week.txt"
cs analyze -q -S "$S" -e "$E" --cluster none -o "$T/expect-nocl.txt"
bash "$P/parallel.sh" -S "$S" -n 3 -j 2 --cluster none "$E" >"$T/par-nocl.txt" 2>"$T/err"
check "parallel --cluster none: exit" 0 $?
check_file "parallel --cluster none equals analyze --cluster none" "$T/expect-nocl.txt" "$T/par-nocl.txt"
cs analyze -q -S "$S" -e "$E" --period week --cluster none --by sex -f csv --safe-csv -o "$T/expect-opts.csv"
bash "$P/parallel.sh" -q -S "$S" -n 3 -j 2 --period week --cluster none --by sex -f csv --safe-csv \
    -o "$T/par-opts.csv" "$E" 2>"$T/err"
check "parallel --period week --cluster none --by sex -f csv --safe-csv -q: exit" 0 $?
check_file "parallel ... equals analyze with the same options" "$T/expect-opts.csv" "$T/par-opts.csv"

# Bad options and an -o into a directory that does not exist are refused
# before any work: no shard job runs (a wrapper logs each crampstat
# command: a shard is an analyze --partial-prefix, or an ingest of the
# piped chain) and --state-dir is left as it was.
wrapper "$T/logged" --none
shard_jobs() { grep -c -e '^ingest ' -e '^analyze .*--partial-prefix' "$T/logged/calls"; }
CRAMPSTAT=$T/logged/cs bash "$P/parallel.sh" -S "$S" -n 2 "$E" >"$T/par.out" 2>"$T/err"
check "parallel, logged: exit" 0 $?
check "parallel, logged: a shard job per shard" 2 "$(shard_jobs)"
check "parallel, logged: each job reads the file and counts its shard" "1/2 2/2" \
    "$(grep -o -- '--shard [0-9]*/[0-9]*' "$T/logged/calls" | cut -d' ' -f2 | sort | tr '\n' ' ' | sed 's/ $//')"
check_file "parallel, logged: equal analyze" "$T/expect-rel.txt" "$T/par.out"
: >"$T/logged/calls"
CRAMPSTAT=$T/logged/cs bash "$P/parallel.sh" --split -S "$S" -n 2 "$E" >"$T/par.out" 2>"$T/err"
check "parallel --split, logged: exit" 0 $?
check "parallel --split, logged: a shard job per shard" 2 "$(shard_jobs)"
check "parallel --split, logged: the jobs read shard files" 0 "$(grep -c -- '--shard [0-9]' "$T/logged/calls")"
check_file "parallel --split: equal analyze" "$T/expect-rel.txt" "$T/par.out"
# A crampstat without --shard: the files are split, as with --split.
: >"$T/logged/calls"
wrapper "$T/noshard2" --shard
HIDE=1 CRAMPSTAT=$T/noshard2/cs bash "$P/parallel.sh" -S "$S" -n 2 "$E" >"$T/par.out" 2>"$T/err"
check "parallel, a crampstat without --shard: exit" 0 $?
check "parallel, a crampstat without --shard: no --shard" 0 "$(grep -c -- '--shard [0-9]' "$T/noshard2/calls")"
check_file "parallel, a crampstat without --shard: equal analyze" "$T/expect-rel.txt" "$T/par.out"
: >"$T/logged/calls"
CRAMPSTAT=$T/logged/cs bash "$P/parallel.sh" -S "$S" -n 2 --level 2 "$E" >"$T/par.out" 2>"$T/err"
check "parallel --level 2: 64" 64 $?
check "parallel --level 2: message" "parallel.sh: --level wants a number between 0 and 1, not '2'" "$(cat "$T/err")"
check "parallel --level 2: no shard job ran" 0 "$(shard_jobs)"
: >"$T/logged/calls"
CRAMPSTAT=$T/logged/cs bash "$P/parallel.sh" -S "$S" -n 2 --ci wald "$E" >"$T/par.out" 2>"$T/err"
check "parallel --ci wald: 64" 64 $?
check "parallel --ci wald: message" "parallel.sh: --ci is wilson or exact, not 'wald'" "$(cat "$T/err")"
check "parallel --ci wald: no shard job ran" 0 "$(shard_jobs)"
cp -r "$T/state" "$T/state-kept"
: >"$T/logged/calls"
CRAMPSTAT=$T/logged/cs bash "$P/parallel.sh" -S "$S" -n 2 --state-dir "$T/state" \
    -o "$T/no/such/dir/r.txt" "${three[0]}" >"$T/par.out" 2>"$T/err"
check "parallel -o into a missing directory: 74" 74 $?
check "parallel -o into a missing directory: message" \
    "parallel.sh: cannot write '$T/no/such/dir/r.txt': no writable directory '$T/no/such/dir'" "$(cat "$T/err")"
check "parallel -o into a missing directory: no shard job ran" 0 "$(shard_jobs)"
check "parallel -o into a missing directory: --state-dir untouched" "" "$(diff -r "$T/state-kept" "$T/state")"

# Killed: every job ends, the work directory goes, no output.
mkdir -p "$T/tmp"
mkfifo "$T/fifo.csv.gz"
TMPDIR=$T/tmp bash "$P/parallel.sh" -S "$S" -n 1 -o "$T/killed.txt" "$T/fifo.csv.gz" "$E" 2>/dev/null &
run=$!; started+=("$run")
feed "$T/fifo.csv.gz" "$T/big/exercise.csv.gz" 100000 "$T/pfed"
feeder=$!
wait_for 30 test -e "$T/pfed"
sleep 0.5
kill -TERM "$run"
timeout 30 tail -s 0.1 --pid="$run" -f /dev/null
wait "$run"
check "parallel killed: status 143" 143 $?
kill -KILL "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
# No reader left on the FIFO: opening it for writing blocks (times out).
no_reader() { ! timeout 1 sh -c ": >'$T/fifo.csv.gz'" 2>/dev/null; }
wait_for 10 no_reader
check "parallel killed: its jobs are gone" 0 $?
check "parallel killed: no work directory left" "" "$(listing "$T/tmp")"
check "parallel killed: no report" 1 "$(test -e "$T/killed.txt"; echo $?)"

# ------------------------------------------- slurm/submit.sh, no cluster
# A stand-in sbatch on PATH (tests/cli/slurm.sh runs a real cluster): it
# logs its arguments and prints a job id, or fails as sbatch does when
# FAKE_SBATCH_FAIL is set. The jobs are then run by hand.
mkdir -p "$T/fakebin"
cat >"$T/fakebin/sbatch" <<EOF
#!/bin/sh
echo "\$*" >>"$T/sbatch.log"
if [ -n "\${FAKE_SBATCH_FAIL:-}" ]; then
    echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2
    exit 1
fi
echo 4242
EOF
chmod +x "$T/fakebin/sbatch"
fake_submit() { PATH=$T/fakebin:$PATH bash "$P/slurm/submit.sh" "$@"; }

# analyze's --period and --cluster reach the jobs: the tasks and the
# merge job, run by hand, write analyze's report with the same options.
cs analyze -q -S "$S" -e "$E" --period week --cluster none -f md -o "$T/expect-sub.md"
fake_submit -S "$S" -o "$T/sub/report.md" -w "$T/ws" -n 3 --period week --cluster none -f md "$E" \
    >"$T/sub.out" 2>"$T/err"
check "submit.sh --period week --cluster none: exit" 0 $?
check "submit.sh: prints the work directory and two job ids" "$T/ws 4242 4242" "$(tr '\n' ' ' <"$T/sub.out" | sed 's/ $//')"
for k in 1 2 3; do
    SLURM_ARRAY_TASK_ID=$k bash "$P/slurm/shard-job.sbatch" "$T/ws"
    check "submit.sh: task $k by hand" 0 $?
done
bash "$P/slurm/merge-job.sbatch" "$T/ws"
check "submit.sh: merge job by hand" 0 $?
check_file "submit.sh --period week --cluster none -f md equals analyze" "$T/expect-sub.md" "$T/sub/report.md"

# A bad report option is refused before anything is made.
fake_submit -S "$S" -o "$T/sub/r.txt" -w "$T/w-level" --level 2 "$E" >/dev/null 2>"$T/err"
check "submit.sh --level 2: 64" 64 $?
check "submit.sh --level 2: message" "submit.sh: --level wants a number between 0 and 1, not '2'" "$(cat "$T/err")"
check "submit.sh --level 2: no work directory" 1 "$(test -e "$T/w-level"; echo $?)"
# A file path with a tab would split its manifest line: refused (64),
# and the work directory it made removed.
cp "$E" "$T/tab	name.csv.gz"
fake_submit -S "$S" -o "$T/sub/r.txt" -w "$T/w-tab" -n 2 --input-name ex.csv.gz "$T/tab	name.csv.gz" >/dev/null 2>"$T/err"
check "submit.sh, a tab in a file path: 64" 64 $?
check_grep "submit.sh, a tab in a file path: message" "file paths may not hold tabs or newlines" "$T/err"
check "submit.sh, a tab in a file path: no work directory" 1 "$(test -e "$T/w-tab"; echo $?)"

# sbatch refuses the array job: what submit.sh made goes (the directory
# it made; the contents of an empty one it was given), the message names
# it, and the same command works again (no "not empty", 73).
export FAKE_SBATCH_FAIL=1
for try in 1 2; do
    fake_submit -S "$S" -o "$T/sub/r.txt" -w "$T/w-new" -n 2 "$E" >"$T/sub.out" 2>"$T/err"
    check "submit.sh, sbatch fails (run $try): 69" 69 $?
    check "submit.sh, sbatch fails (run $try): message" \
        "submit.sh: sbatch refused the array job; removed the work directory $T/w-new: run again when sbatch works" \
        "$(tail -n 1 "$T/err")"
    check "submit.sh, sbatch fails (run $try): the work directory it made is gone" 1 "$(test -e "$T/w-new"; echo $?)"
done
mkdir "$T/w-given"
fake_submit -S "$S" -o "$T/sub/r.txt" -w "$T/w-given" -n 2 "$E" >"$T/sub.out" 2>"$T/err"
check "submit.sh, sbatch fails, -w given empty: 69" 69 $?
check "submit.sh, sbatch fails, -w given empty: message" \
    "submit.sh: sbatch refused the array job; emptied the work directory $T/w-given: run again when sbatch works" \
    "$(tail -n 1 "$T/err")"
check "submit.sh, sbatch fails, -w given empty: left empty" "" "$(listing "$T/w-given")"
mkdir "$T/cwd"
(cd "$T/cwd" && fake_submit -S "$CS_SRC/$S" -o "$T/sub/r.txt" -n 2 "$CS_SRC/$E" >/dev/null 2>"$T/err")
check "submit.sh, sbatch fails, default work directory: 69" 69 $?
check "submit.sh, sbatch fails, default work directory: removed" "" "$(listing "$T/cwd")"
unset FAKE_SBATCH_FAIL

finish
