#!/usr/bin/env bash
# End to end: runs that survive a bad day.
#  - a row over a reader cap (a 10 MB field) costs that row, not the
#    input, in bounded memory; an open quote that never closes stays fatal;
#  - analyze --keep-going leaves out an exercise file that cannot be read
#    to its end, and its report equals the report without that file;
#  - a SIGKILL during ingest -o, analyze -o or daily-report.sh leaves no
#    file behind (O_TMPFILE), and the named-temporary fallback still
#    writes its output atomically.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
P=$CS_SRC/pipelines
cs() { "$CRAMPSTAT" "$@"; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}
# The size of the file crampstat PID writes into DIR (by its descriptor:
# an unnamed file has no name to stat), or nothing.
out_size() {
    local pid=$1 dir=$2 fd t
    for fd in /proc/"$pid"/fd/*; do
        t=$(readlink "$fd" 2>/dev/null) || continue
        case $t in "$dir"/*) stat -L -c %s "$fd" 2>/dev/null; return ;; esac
    done
}
writing() { local n; n=$(out_size "$1" "$2"); [ -n "$n" ] && [ "$n" -gt 0 ]; }

cs gen --participants 300 --seed 1 --out-dir "$T/g1" >/dev/null 2>&1
check "gen seed 1" 0 $?
cs gen --participants 300 --seed 2 --out-dir "$T/g2" >/dev/null 2>&1
cs gen --participants 3000 --seed 3 --out-dir "$T/g3" >/dev/null 2>&1
check "gen seed 3" 0 $?
S=$T/g1/survey.csv.gz
gzip -dc "$T/g1/exercise.csv.gz" >"$T/ex.csv"
hdr=$(head -n 1 "$T/ex.csv")

# ------------------------------------------------ one bad line, one row
# Rows 1-3 of the data, and a 10 MB first field on a row between 1 and 2
# (line 3 of the file). Under 256 MB of address space.
big=$((10 * 1024 * 1024))
{
    head -n 2 "$T/ex.csv"
    head -c "$big" /dev/zero | tr '\0' a
    sed -n 3p "$T/ex.csv" | cut -d, -f2- | sed 's/^/,/'
    sed -n 3,4p "$T/ex.csv"
} >"$T/long.csv"
head -n 4 "$T/ex.csv" >"$T/short.csv"
reclen=$((big + $(sed -n 3p "$T/ex.csv" | cut -d, -f2- | wc -c)))  # wc counts the ',' in place of the LF
# (Not under ASan: its shadow memory alone needs terabytes of address
# space.)
limit=262144
sanitized && limit=unlimited
bash -c 'ulimit -v "$3"; exec "$0" ingest --rejects "$1" "$2"' "$CRAMPSTAT" \
    "$T/rej.csv" "$T/long.csv" "$limit" >"$T/long.out" 2>"$T/long.err"
check "10 MB field under ulimit -v $limit: ingest exit" 0 $?
cs ingest -q "$T/short.csv" >"$T/short.out"
check_file "10 MB field: the rows before and after are accepted" "$T/short.out" "$T/long.out"
check "10 MB field: summary" "ingest: $T/long.csv: 4 rows read, 3 accepted, 1 rejected" "$(cat "$T/long.err")"
"$PY" - "$T/rej.csv" "$T/long.csv" "$reclen" >"$T/rej.check" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
n = int(sys.argv[3])
assert rows[0] == ["source", "line", "record", "column", "reason", "raw"], rows[0]
assert len(rows) == 2, len(rows)
src, line, rec, col, reason, raw = rows[1]
print(src == sys.argv[2], line, rec, repr(col))
print(reason)
print(raw == "a" * 4096 + "... [cut: the first 4096 of %d bytes]" % n)
EOF
check "10 MB field: reject log line" "True 3 2 ''
record longer than 4194304 bytes (this one has $reclen bytes)
True" "$(cat "$T/rej.check")"

# A 10 MB quoted field over 1000 lines, closed, in the middle: skipped to
# its end; the next row is read at its own line.
{
    head -n 2 "$T/ex.csv"
    printf '"'
    head -c "$big" /dev/zero | tr '\0' q | fold -w 10486
    printf '"'
    sed -n 3p "$T/ex.csv" | cut -d, -f2- | sed 's/^/,/'
    sed -n 3,4p "$T/ex.csv"
} >"$T/longq.csv"
cs ingest --rejects "$T/rejq.csv" "$T/longq.csv" >"$T/longq.out" 2>"$T/longq.err"
check "10 MB quoted field: exit" 0 $?
check_file "10 MB quoted field: the rows around it are accepted" "$T/short.out" "$T/longq.out"
check "10 MB quoted field: summary" "ingest: $T/longq.csv: 4 rows read, 3 accepted, 1 rejected" "$(cat "$T/longq.err")"
check "10 MB quoted field: reject at line 3, record 2" "$T/longq.csv,3,2,," \
    "$(sed -n 2p "$T/rejq.csv" | cut -d, -f1-4),"
# The next row starts after the field's 1000 lines: a bad value there is
# reported at its own line.
{
    head -n 2 "$T/ex.csv"
    printf '"'
    head -c "$big" /dev/zero | tr '\0' q | fold -w 10486
    printf '",x\n'
    printf '%s\n' "$hdr" | sed 's/[^,]*//g; s/^/bad/'
} >"$T/longq2.csv"
cs ingest -q --rejects "$T/rejq2.csv" "$T/longq2.csv" >/dev/null 2>&1
check "10 MB quoted field: the row after it is at line 1003" "1003" \
    "$(sed -n 3p "$T/rejq2.csv" | cut -d, -f2)"

# An open quote that never closes stays fatal, with file:line:column.
{ head -n 2 "$T/ex.csv"; printf 'S1,"'; head -c "$big" /dev/zero | tr '\0' q | fold -w 5000; } >"$T/open.csv"
cs ingest -q "$T/open.csv" >/dev/null 2>"$T/open.err"
check "open quote never closed: exit 65" 65 $?
check "open quote never closed: message" \
    "crampstat: ingest: $T/open.csv:3:2: unterminated quoted field (the quote opens here and is never closed)" \
    "$(cat "$T/open.err")"

# analyze counts the row as read and rejected, and reads on.
cs analyze -S "$S" -e "$T/long.csv" -f json -o "$T/long.json" 2>"$T/an.err"
check "10 MB field: analyze exit" 0 $?
check_grep "10 MB field: analyze summary" "ingest: $T/long.csv: 4 rows read, 3 joined, 1 rejected" "$T/an.err"

# ------------------------------------------------ analyze --keep-going
# good: seed 1; trunc: a gzip cut short after ~1 MB of CSV.
G=$T/g1/exercise.csv.gz
gzip -dc "$T/g3/exercise.csv.gz" | gzip -1 >"$T/whole.gz"
head -c $(( $(wc -c <"$T/whole.gz") / 2 )) "$T/whole.gz" >"$T/trunc.csv.gz"
cs analyze -q -S "$S" -e "$G" -f json >"$T/good.json"
check "keep-going: the good file alone" 0 $?
cs analyze -q --keep-going -S "$S" -e "$G" -e "$T/trunc.csv.gz" -f json >"$T/kg.json" 2>"$T/kg.err"
check "keep-going: exit 65" 65 $?
"$PY" - "$T/good.json" "$T/kg.json" "$T/trunc.csv.gz" >"$T/kg.check" <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("aggregate", a["aggregate"] == b["aggregate"])
print("calories", a["calories"] == b["calories"])
print("inputs", a["ingest"]["inputs"] == b["ingest"]["inputs"])
print("sessions", a["ingest"]["sessions"] == b["ingest"]["sessions"])
print("no left_out alone", "left_out" not in a["ingest"])
lo = b["ingest"]["left_out"]
print(len(lo), lo[0]["file"] == sys.argv[3], lo[0]["rows_read"] > 0)
print(lo[0]["reason"].startswith(sys.argv[3] + ": byte "), "gzip: unexpected end of file" in lo[0]["reason"])
EOF
check "keep-going: statistics equal those of the good file alone" "aggregate True
calories True
inputs True
sessions True
no left_out alone True
1 True True
True True" "$(cat "$T/kg.check")"
check_grep "keep-going: the left-out file on stderr" "left out of the report (--keep-going)" "$T/kg.err"
check_grep "keep-going: the closing message" "^crampstat: analyze: 1 of 2 exercise files left out" "$T/kg.err"

# The text report is the good file's, then a section naming the file.
cs analyze -q -S "$S" -e "$G" >"$T/good.txt"
cs analyze -q --keep-going -S "$S" -e "$G" -e "$T/trunc.csv.gz" -o "$T/kg.txt" 2>/dev/null
check "keep-going -o: exit 65, report written" "65 yes" "$? $([ -s "$T/kg.txt" ] && echo yes)"
n=$(wc -c <"$T/good.txt")
check "keep-going: the text report starts as the good file's" "" "$(head -c "$n" "$T/kg.txt" | cmp - "$T/good.txt")"
check "keep-going: then the left-out section" "
Inputs left out (--keep-going): not read to their end, left out of every count above" \
    "$(tail -c +$((n + 1)) "$T/kg.txt" | head -n 2)"
check_grep "keep-going: the section names file and reason" "^$T/trunc.csv.gz: byte [0-9]*: gzip: unexpected end of file .* ([1-9][0-9]* rows read before, not counted)$" "$T/kg.txt"
# Other formats carry it too.
cs analyze -q --keep-going -S "$S" -e "$G" -e "$T/trunc.csv.gz" -f csv 2>/dev/null | tail -n 2 >"$T/kg.csv"
check_grep "keep-going: CSV table" "^left_out_file,reason,rows_read$" "$T/kg.csv"
cs analyze -q --keep-going -S "$S" -e "$G" -e "$T/trunc.csv.gz" -f html 2>/dev/null >"$T/kg.html"
check_grep "keep-going: HTML section" "<h2>Inputs left out</h2>" "$T/kg.html"
check "keep-going: HTML page still ends the page" "</body></html>" "$(tail -n 1 "$T/kg.html")"

# Without the option nothing changes: fatal, no output.
cs analyze -q -S "$S" -e "$G" -e "$T/trunc.csv.gz" -o "$T/nokg.txt" 2>"$T/nokg.err"
check "without --keep-going: exit 65" 65 $?
check "without --keep-going: no report" no "$([ -e "$T/nokg.txt" ] && echo yes || echo no)"
check_grep "without --keep-going: the gzip error" "^crampstat: analyze: $T/trunc.csv.gz: byte [0-9]*: gzip: unexpected end of file" "$T/nokg.err"

# Unreadable and missing files are left out too; the survey is not.
cs analyze -q --keep-going -S "$S" -e "$T/no-such.csv.gz" -e "$G" -f json >"$T/miss.json" 2>/dev/null
check "keep-going: a missing file, exit 65" 65 $?
"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print(a["aggregate"]==b["aggregate"], b["ingest"]["left_out"][0]["reason"])' \
    "$T/good.json" "$T/miss.json" >"$T/miss.check"
check "keep-going: a missing file is left out" "True $T/no-such.csv.gz: cannot open: No such file or directory" "$(cat "$T/miss.check")"
head -c 3000 "$S" >"$T/sv-trunc.csv.gz"
cs analyze -q --keep-going -S "$T/sv-trunc.csv.gz" -e "$G" -o "$T/sv.txt" 2>/dev/null
check "keep-going: a damaged survey is still fatal" "65 no" "$? $([ -e "$T/sv.txt" ] && echo yes || echo no)"

# Session ids: ids read from a file left out are forgotten. B holds the
# sessions of C, then more, and is cut short: left out, its ids must not
# make C's sessions duplicates.
# C: seed 2 with session ids of its own (gen numbers them alike).
C=$T/c.csv.gz
gzip -dc "$T/g2/exercise.csv.gz" | awk -F, -v OFS=, 'NR > 1 { $2 = "C" $2 } 1' | gzip -1 >"$C"
{ gzip -dc "$C"; gzip -dc "$T/g3/exercise.csv.gz" | tail -n +2; } | gzip -1 >"$T/b-whole.gz"
head -c $(( $(wc -c <"$T/b-whole.gz") * 3 / 4 )) "$T/b-whole.gz" >"$T/b.csv.gz"
cs analyze -q -S "$S" -e "$G" -e "$C" -f json >"$T/ac.json"
cs analyze -q --keep-going -S "$S" -e "$G" -e "$T/b.csv.gz" -e "$C" -f json >"$T/abc.json" 2>/dev/null
check "ids: exit 65" 65 $?
"$PY" - "$T/ac.json" "$T/abc.json" "$C" >"$T/ids.check" <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
c = [i for i in b["ingest"]["inputs"] if i["file"] == sys.argv[3]][0]
print(a["aggregate"] == b["aggregate"], a["calories"] == b["calories"],
      a["ingest"]["inputs"] == b["ingest"]["inputs"],
      b["ingest"]["left_out"][0]["rows_read"] > c["read"], c["rejected"])
EOF
check "ids: A + B (left out, holding C's ids) + C equals A + C" "True True True True 0" "$(cat "$T/ids.check")"
# Two good files read twice over the same ids: the duplicates are still
# found after a file was left out between them.
cs analyze -q -S "$S" -e "$G" -e "$G" -f json >"$T/aa.json"
cs analyze -q --keep-going -S "$S" -e "$G" -e "$T/trunc.csv.gz" -e "$G" -f json >"$T/ata.json" 2>/dev/null
check "ids: A + A equals A + B (left out) + A" "True" \
    "$("$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print(a["aggregate"]==b["aggregate"] and a["ingest"]["inputs"]==b["ingest"]["inputs"] and a["ingest"]["rejected_by_column"]==b["ingest"]["rejected_by_column"])' "$T/aa.json" "$T/ata.json")"

# daily-report.sh passes --keep-going: the report is made and in place,
# names the file, and the status is 65 with the reason on stderr.
din=$T/din; dout=$T/dout
mkdir -p "$din"
cp "$S" "$din/survey.csv.gz"
cp "$G" "$din/exercise-1.csv.gz"
cp "$T/trunc.csv.gz" "$din/exercise-2.csv.gz"
CRAMPSTAT=$CRAMPSTAT bash "$P/daily-report.sh" --date 2024-03-01 -f json "$din" "$dout" >/dev/null 2>"$T/daily.err"
check "daily-report: a truncated file: exit 65" 65 $?
check_grep "daily-report: the reason on stderr" "report made without some input: .*exercise-2.csv.gz: byte" "$T/daily.err"
check "daily-report: the report is in place" "report-2024-03-01.txt report-2024-03-01.json" \
    "$(readlink "$dout/latest") $(readlink "$dout/latest.json")"
check_grep "daily-report: the report names the file" "^$din/exercise-2.csv.gz: byte" "$dout/report-2024-03-01.txt"
check_grep "daily-report: logged" "ok with inputs left out" "$dout/daily-report.log"
cs analyze -q --keep-going -S "$din/survey.csv.gz" -e "$din/exercise-1.csv.gz" -e "$din/exercise-2.csv.gz" -o "$T/daily.expect" 2>/dev/null
check_file "daily-report: the report equals analyze --keep-going" "$T/daily.expect" "$dout/report-2024-03-01.txt"

# ------------------------------------------------ kill -9 leaves nothing
gzip -dc "$T/g3/exercise.csv.gz" >"$T/big.csv"
cs ingest -q "$T/big.csv" >"$T/big.expect"
mkfifo "$T/fifo"

# kill9_ingest MODE: ingest -o from a FIFO fed 3 MB and held open (so the
# run is surely mid-write), SIGKILL once the output has bytes.
kill9_ingest() {
    local mode=$1 od=$T/kill-$1 pid
    mkdir -p "$od"
    if [ "$mode" = named ]; then
        CRAMPSTAT_NO_TMPFILE=1 "$CRAMPSTAT" ingest -q -o "$od/out.csv" "$T/fifo" & pid=$!
    else
        "$CRAMPSTAT" ingest -q -o "$od/out.csv" "$T/fifo" & pid=$!
    fi
    exec 7>"$T/fifo"
    head -c 3000000 "$T/big.csv" >&7
    wait_for 30 writing "$pid" "$od"
    check "kill -9 ingest ($mode): mid-write, bytes written" 0 $?
    if [ "$mode" = named ]; then
        check "kill -9 ingest ($mode): the named temporary is there" 1 \
            "$(ls -A "$od" | grep -c '^\.out\.csv\.......$')"
    else
        check "kill -9 ingest ($mode): nothing visible while writing" "" "$(ls -A "$od")"
    fi
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    check "kill -9 ingest ($mode): killed" 137 $?
    exec 7>&-
    if [ "$mode" = named ]; then
        # The documented limit of the fallback: SIGKILL leaves the temporary.
        check "kill -9 ingest ($mode): leaves its temporary (fallback)" 1 "$(ls -A "$od" | grep -c '^\.out\.csv\.')"
    else
        check "kill -9 ingest ($mode): no file left, hidden or not" "" "$(ls -A "$od")"
    fi
}
kill9_ingest unnamed
kill9_ingest named

# The fallback still writes atomically: while it runs, only the hidden
# temporary; at the end, the whole output under its name and nothing else.
od=$T/fallback; mkdir -p "$od"
printf 'old\n' >"$od/out.csv"
CRAMPSTAT_NO_TMPFILE=1 "$CRAMPSTAT" ingest -q -o "$od/out.csv" "$T/fifo" & pid=$!
exec 7>"$T/fifo"
head -c 3000000 "$T/big.csv" >&7
wait_for 30 writing "$pid" "$od"
check "fallback: the old output is untouched while writing" "old" "$(cat "$od/out.csv")"
tail -c +3000001 "$T/big.csv" >&7
exec 7>&-
wait "$pid"
check "fallback: exit" 0 $?
check_file "fallback: the whole output" "$T/big.expect" "$od/out.csv"
check "fallback: nothing else" "out.csv" "$(ls -A "$od")"
# And the unnamed file, run to its end, gives the same.
cs ingest -q -o "$T/kill-unnamed/out.csv" "$T/big.csv"
check_file "unnamed: the whole output" "$T/big.expect" "$T/kill-unnamed/out.csv"
check "unnamed: nothing else" "out.csv" "$(ls -A "$T/kill-unnamed")"
check "unnamed: mode 0644" "644" "$(stat -c %a "$T/kill-unnamed/out.csv")"
# The mode is what "> FILE" would leave: 0666 less the umask for a new
# file, the old file's bits for one that is there; by both ways.
for way in unnamed named; do
    md=$T/mode-$way; mkdir -p "$md"
    if [ $way = named ]; then nt=1; else nt=0; fi
    [ -s "$T/ex.expect" ] || cs ingest -q "$T/ex.csv" >"$T/ex.expect"
    (umask 077; CRAMPSTAT_NO_TMPFILE=$nt cs ingest -q -o "$md/new.csv" "$T/ex.csv")
    check "$way: umask 077, a new file is 0600" "600" "$(stat -c %a "$md/new.csv")"
    echo old >"$md/old.csv"; chmod 640 "$md/old.csv"
    CRAMPSTAT_NO_TMPFILE=$nt cs ingest -q -o "$md/old.csv" "$T/ex.csv"
    check "$way: a 0640 file stays 0640" "640" "$(stat -c %a "$md/old.csv")"
    check_file "$way: ... and is rewritten" "$T/ex.expect" "$md/old.csv"
done

# analyze -o: the report is written at the end; a SIGKILL at any point
# before leaves nothing.
od=$T/kill-analyze; mkdir -p "$od"
"$CRAMPSTAT" analyze -q -S "$T/g3/survey.csv.gz" -e "$T/fifo" -f html -o "$od/report.html" & pid=$!
exec 7>"$T/fifo"
head -c 3000000 "$T/big.csv" >&7
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "kill -9 analyze: killed" 137 $?
exec 7>&-
check "kill -9 analyze: no file left, hidden or not" "" "$(ls -A "$od")"

# daily-report.sh: SIGKILL to its whole process group (as a supervisor
# or a cgroup kill sends) while crampstat runs.
kin=$T/kin; kout=$T/kout
mkdir -p "$kin"
cp "$T/g3/survey.csv.gz" "$kin/survey.csv.gz"
cp "$G" "$kin/exercise.csv.gz"
CRAMPSTAT=$CRAMPSTAT bash "$P/daily-report.sh" --date 2024-04-01 "$kin" "$kout"
check "kill -9 daily-report: day 1" 0 $?
rm "$kin/exercise.csv.gz"
mkfifo "$kin/exercise.csv.gz"
before=$(ls -A "$kout" | tr '\n' ' ')
CRAMPSTAT=$CRAMPSTAT setsid bash "$P/daily-report.sh" --date 2024-04-02 "$kin" "$kout" >/dev/null 2>&1 & pid=$!
exec 7>"$kin/exercise.csv.gz"
head -c 3000000 "$T/big.csv" >&7
kill -KILL -- "-$pid"
wait "$pid" 2>/dev/null
check "kill -9 daily-report: killed" 137 $?
exec 7>&-
# Whether a process of group $1 still runs, zombies aside: parallel.sh's
# own group_runs, taken from the script (which cannot be sourced whole).
source <(sed -n '/^group_runs() {$/,/^}$/p' "$P/parallel.sh")
if declare -F group_runs >/dev/null; then
    group_gone() { ! group_runs "$1"; }
else
    bad "parallel.sh has no group_runs"
    group_gone() { false; }
fi
wait_for 10 group_gone "$pid"
check "kill -9 daily-report: its whole group gone" 0 $?
check "kill -9 daily-report: no new file, hidden or not" "" \
    "$(cd "$kout" && find . -type f ! -name .lock ! -name daily-report.log ! -name report-2024-04-01.txt)"
check "kill -9 daily-report: reports and links as they were" \
    "$(printf '%s' "$before" | sed 's/\.daily-report\.stage\.[^ ]* //')" \
    "$(ls -A "$kout" | grep -v '^\.daily-report\.stage\.' | tr '\n' ' ')"
check "kill -9 daily-report: latest untouched" "report-2024-04-01.txt" "$(readlink "$kout/latest")"
# What remains is the staging directory, empty; the next run removes it.
check "kill -9 daily-report: at most an empty staging directory" "" \
    "$(cd "$kout" && find . -mindepth 1 -type d ! -empty)"
rm "$kin/exercise.csv.gz"
cp "$G" "$kin/exercise.csv.gz"
CRAMPSTAT=$CRAMPSTAT bash "$P/daily-report.sh" --date 2024-04-02 "$kin" "$kout"
check "kill -9 daily-report: next run" 0 $?
check "kill -9 daily-report: nothing stale after the next run" "" \
    "$(ls -A "$kout" | grep -v -e '^report-' -e '^latest' -e '^\.lock$' -e '^daily-report\.log$')"


# ------------------------------------------------ gen and signals
# SIGTERM mid-run: neither file appears, named or not; with SIGHUP ignored
# (nohup, a background job) a hangup does not stop it.
sig_gen() {
    local od=$1 sig=$2 want=$3 pid
    shift 3
    mkdir -p "$od"
    "$@" "$CRAMPSTAT" gen --participants 200000 --out-dir "$od" >/dev/null 2>&1 &
    pid=$!
    wait_for 30 writing "$pid" "$od"
    check "gen $sig ${*:-}: mid-write" 0 $?
    kill -"$sig" "$pid"
    wait "$pid"
    check "gen $sig ${*:-}: exit" "$want" $?
}
sig_gen "$T/gterm" TERM 143 env
check "gen TERM: no file left, hidden or not" "" "$(ls -A "$T/gterm")"
sig_gen "$T/gterm2" TERM 143 env CRAMPSTAT_NO_TMPFILE=1
check "gen TERM (named temporaries): no file left" "" "$(ls -A "$T/gterm2")"
sig_gen "$T/ghup" HUP 0 nohup
check "gen with SIGHUP ignored: both files" "exercise.csv.gz survey.csv.gz" \
    "$(ls -A "$T/ghup" | tr '\n' ' ' | sed 's/ $//')"

finish
