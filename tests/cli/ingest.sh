#!/usr/bin/env bash
# End to end: gen -> ingest of both files, regeneration byte for byte, the
# reject log of the bad sample files, every exit code of ingest.
. "$(dirname "$0")/lib.sh"
# Relative names, as a user types them: they appear in the reject log.
cd "$CS_SRC"
S=sample-data
E=tests/cli/expected
cs() { "$CRAMPSTAT" "$@"; }

# The committed sample data regenerates byte for byte.
cs gen --participants 2000 --seed 42 --out-dir "$T" --truth >"$T/truth.json" 2>"$T/gen.err"
check "gen exit" 0 $?
check_file "exercise.csv.gz regenerates" "$S/exercise.csv.gz" "$T/exercise.csv.gz"
check_file "survey.csv.gz regenerates" "$S/survey.csv.gz" "$T/survey.csv.gz"
check_file "truth regenerates" "$S/truth.json" "$T/truth.json"

# Every row is accepted; counts come from zcat by another route (the
# generator writes no quoted newlines, so lines = rows).
for f in exercise survey; do
    n=$(gzip -dc "$S/$f.csv.gz" | tail -n +2 | wc -l)
    cs ingest --schema "$f" "$S/$f.csv.gz" >"$T/$f.csv" 2>"$T/$f.err"
    check "ingest $f exit" 0 $?
    check "ingest $f summary" "ingest: $S/$f.csv.gz: $n rows read, $n accepted, 0 rejected" "$(cat "$T/$f.err")"
    check "ingest $f output rows" "$((n + 1))" "$(wc -l <"$T/$f.csv")"
done
# Plain, gzip and standard input give the same output.
gzip -dc "$S/exercise.csv.gz" >"$T/plain.csv"
cs ingest -q --schema exercise "$T/plain.csv" >"$T/plain.out"
check_file "plain equals gzip" "$T/exercise.csv" "$T/plain.out"
cs ingest -q --schema exercise <"$S/exercise.csv.gz" >"$T/stdin.out"
check_file "stdin equals file" "$T/exercise.csv" "$T/stdin.out"
# Two gzip members are one stream (header only once in the first).
gzip -dc "$S/exercise.csv.gz" | head -n 1001 | gzip >"$T/two.gz"
gzip -dc "$S/exercise.csv.gz" | tail -n +1002 | gzip >>"$T/two.gz"
cs ingest -q --schema exercise "$T/two.gz" >"$T/two.out"
check_file "multi-member gzip" "$T/exercise.csv" "$T/two.out"

# The bad sample files: the reject log, the output and the counts.
for f in exercise survey; do
    cs ingest --schema "$f" --rejects "$T/bad-$f.rej" "$S/bad-$f.csv" \
        >"$T/bad-$f.out" 2>"$T/bad-$f.err"
    check "bad-$f exit" 0 $?
    check_file "bad-$f reject log" "$E/bad-$f.rejects.csv" "$T/bad-$f.rej"
    check_file "bad-$f output" "$E/bad-$f.out.csv" "$T/bad-$f.out"
done
check "bad-exercise summary" \
    "ingest: $S/bad-exercise.csv: 25 rows read, 2 accepted, 23 rejected" \
    "$(cat "$T/bad-exercise.err")"
check "bad-survey summary" \
    "ingest: $S/bad-survey.csv: 17 rows read, 3 accepted, 14 rejected" \
    "$(cat "$T/bad-survey.err")"
# read = accepted + rejected, counted by another route: the log's rows.
check "reject log rows add up" 23 "$(($(wc -l <"$T/bad-exercise.rej") - 1))"

# Exit codes.
cs ingest --schema bogus "$S/bad-exercise.csv" >/dev/null 2>"$T/e64"
check "64 on a bad option value" 64 $?
check_grep "64 message" "unknown schema 'bogus'" "$T/e64"
# A bad option: one line that says what is wrong with it (getopt's own
# line is not printed), then where to look.
bad_opt() {   # bad_opt EXPECTED-LINE ARG...
    local want=$1; shift
    cs ingest "$S/bad-exercise.csv" "$@" >/dev/null 2>"$T/eopt"
    check "64 on ingest $*" 64 $?
    check "ingest $*: the message" \
        "$(printf 'crampstat: ingest: %s\nTry '"'"'crampstat ingest --help'"'"'.' "$want")" \
        "$(cat "$T/eopt")"
}
bad_opt "unknown option '--bogus'" --bogus
bad_opt "unknown option '-Z'" -Z
bad_opt "unknown option '-Z'" -qZ
bad_opt "unknown option '-Z'" --quiet -Zq
bad_opt "option '--schema' needs a value" --schema
bad_opt "option '-s' needs a value" -s
bad_opt "option '--quiet' takes no value" --quiet=yes
bad_opt "option '--s' is ambiguous (3 options begin so)" --s x
# Options that contradict each other, or that a partial state ignores,
# are usage errors rather than silently dropped.
cs analyze -q -v --survey "$S/survey.csv.gz" --exercise "$S/exercise.csv.gz" >/dev/null 2>"$T/eopt"
check "analyze -q -v: 64" 64 $?
check_grep "analyze -q -v: why" "quiet and --verbose ask for opposite things" "$T/eopt"
for c in aggregate calories; do
    for o in "--format json" "--level 0.9" "--ci exact"; do
        read -r -a ov <<<"$o"
        cs "$c" --partial "${ov[@]}" </dev/null >/dev/null 2>"$T/eopt"
        check "$c --partial $o: 64" 64 $?
        check_grep "$c --partial $o: why" "${ov[0]} does not apply to --partial" "$T/eopt"
    done
done
# --schema auto that finds no contract's header says so, even with -q;
# --schema any, which says it is meant, does not.
printf 'participant_id,sesion_id\nP1,S1\n' >"$T/typo.csv"
cs ingest -q "$T/typo.csv" >"$T/typo.out" 2>"$T/typo.err"
check "auto read as any: exit 0" 0 $?
check "auto read as any: the note" \
    "crampstat: ingest: $T/typo.csv: the header names neither session_id nor survey_date, so its rows are checked as CSV only (--schema any); name --schema exercise or survey to check their values" \
    "$(cat "$T/typo.err")"
cs ingest -q --schema any "$T/typo.csv" >/dev/null 2>"$T/typo.err"
check "--schema any: no note" "" "$(cat "$T/typo.err")"
cs ingest -q "$S/exercise.csv.gz" >/dev/null 2>"$T/typo.err"
check "auto read as exercise: no note" "" "$(cat "$T/typo.err")"
cs ingest -q -o /dev/full "$S/exercise.csv.gz" 2>"$T/efull"
check "74 on -o /dev/full" 74 $?
check "-o /dev/full: the message names it" \
    "crampstat: ingest: /dev/full: write failed: No space left on device" "$(cat "$T/efull")"
for a in --help --version; do
    cs "$a" >/dev/full 2>"$T/efull"
    check "crampstat $a > /dev/full: 74" 74 $?
    check "crampstat $a > /dev/full: one line" \
        "crampstat: standard output: write failed: No space left on device" "$(cat "$T/efull")"
done
cs rules >/dev/full 2>"$T/efull"
check "rules > /dev/full: the line names the command" \
    "crampstat: rules: standard output: write failed: No space left on device" "$(cat "$T/efull")"
cs ingest "$T/does-not-exist.csv" >/dev/null 2>"$T/e66"
check "66 on a missing input" 66 $?
check_grep "66 message names the file" "does-not-exist.csv: cannot open" "$T/e66"
head -c 20000 "$S/exercise.csv.gz" >"$T/cut.gz"
cs ingest -q "$T/cut.gz" >/dev/null 2>"$T/e65"
check "65 on truncated gzip" 65 $?
check_grep "65 message names the byte" "cut.gz: byte 20000: gzip: unexpected end of file" "$T/e65"
cs ingest -q --max-reject-rate 0.5 "$S/bad-exercise.csv" >/dev/null 2>"$T/e65r"
check "65 on a reject rate above the limit" 65 $?
check_grep "reject rate message" "23 of 25 rows rejected (92.00%), above --max-reject-rate 50%" "$T/e65r"
cs ingest -q --max-reject-rate 95% "$S/bad-exercise.csv" >/dev/null 2>&1
check "0 under the reject-rate limit" 0 $?
cs ingest -q "$S/exercise.csv.gz" >/dev/full 2>"$T/e74"
check "74 on a full disk" 74 $?
check_grep "74 message" "No space left on device" "$T/e74"
printf 'participant_id,session_id\nP1,S1\n' >"$T/nohdr.csv"
cs ingest -q --schema exercise "$T/nohdr.csv" >/dev/null 2>"$T/e65h"
check "65 on a missing required column" 65 $?
check_grep "missing column named" 'nohdr.csv:1: required column "start_time" is missing' "$T/e65h"
: >"$T/empty.csv"
cs ingest -q "$T/empty.csv" >/dev/null 2>"$T/e65e"
check "65 on an empty file" 65 $?
# A closed downstream pipe ends the run quietly.
cs ingest -q "$S/exercise.csv.gz" 2>"$T/pipe.err" | head -n 1 >/dev/null
check "quiet on a closed pipe" "" "$(cat "$T/pipe.err")"
# -o writes atomically: nothing is left behind on failure.
cs ingest -q -o "$T/out.csv" "$T/cut.gz" 2>/dev/null
check "no output file after a failure" "" "$(ls "$T" | grep -c 'out.csv' | sed 's/^0$//')"

# -o onto a pipe writes into it and leaves it a pipe.
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
cs ingest -q --schema exercise -o "$T/fifo" "$S/bad-exercise.csv"
check "-o onto a FIFO exit" 0 $?
wait
check "-o onto a FIFO keeps it a FIFO" yes "$([ -p "$T/fifo" ] && echo yes)"
check_file "-o onto a FIFO carries the output" "$E/bad-exercise.out.csv" "$T/fifo.out"

# Rows that are their own canonical text are written as runs of the
# input's bytes; everything that breaks a run must still come out as
# writing row by row does. A file of 30,000 rows (2.3 MB: many refills
# of the reader's buffer, runs cut where it moves), with a rejected row,
# a "12.0" (written "12"), a CR LF, an empty line and a quoted field at
# their own intervals, and no newline after the last row. The expected
# output is made by the same awk loop, not by crampstat.
awk -v n=30000 -v want="$T/runs.want" 'BEGIN {
    print "participant_id,session_id,start_time,activity,duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,cramp,cramp_muscle"
    print "participant_id,session_id,start_time,activity,duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,cramp,cramp_muscle" >want
    for (i = 1; i <= n; i++) {
        p = sprintf("P%07d,S%09d,2024-%02d-%02dT07:30:00Z", int(i / 25) + 1, i, i % 12 + 1, i % 28 + 1)
        dur = (i % 997 == 0) ? 0 : 30 + i % 90
        temp = (i % 1009 == 0) ? "12.0" : sprintf("%d.%d", int((i % 400) / 10), i % 9 + 1)
        act = (i % 1021 == 0) ? "\"running\"" : "running"
        tail = sprintf(",%d,%d,%s,%d,%d,%d,no,%s,%s", dur, i % 10 + 1, temp, i % 100, 1000 + i % 2000, i % 30, i % 2 ? "yes" : "no", i % 2 ? "hamstring" : "")
        end = (i % 1013 == 0) ? "\r\n" : (i == n ? "" : "\n")
        printf "%s,%s%s%s", p, act, tail, end
        if (i % 1019 == 0)
            printf "\n"
        if (dur == 0)
            continue
        sub(/^12\.0$/, "12", temp)
        print p ",running" sprintf(",%d,%d,%s,%d,%d,%d,no,%s,%s", dur, i % 10 + 1, temp, i % 100, 1000 + i % 2000, i % 30, i % 2 ? "yes" : "no", i % 2 ? "hamstring" : "") >want
    }
}' >"$T/runs.csv"
rejected=$((30000 / 997))
for how in file stdin threads1; do
    case $how in
    file) cs ingest --schema exercise "$T/runs.csv" >"$T/runs.$how" 2>"$T/runs.$how.err" ;;
    stdin) cat "$T/runs.csv" | cs ingest --schema exercise >"$T/runs.$how" 2>"$T/runs.$how.err" ;;
    threads1) cs ingest --threads 1 --schema exercise "$T/runs.csv" >"$T/runs.$how" 2>"$T/runs.$how.err" ;;
    esac
    check "runs ($how) exit" 0 $?
    check_file "runs ($how): the rows as written one by one" "$T/runs.want" "$T/runs.$how"
    check_grep "runs ($how): counts" "30000 rows read, $((30000 - rejected)) accepted, $rejected rejected" "$T/runs.$how.err"
done


# Rows checked ahead by the read-ahead thread (CRAMPSTAT_CHECK_AHEAD: the
# whole of each buffer, the share that adapts, none, and --threads 1)
# must come out as the rows read one by one: the same output, the same
# reject log, and the counts. 200,000 rows (16 MB, gzip: the read-ahead
# buffers of 1 MiB after the first few are checked) with, at their own
# intervals, a "12.0" (written "12"), a rejected row, a CR LF, an empty
# line, and a session id seen before (rejected as a duplicate, by the
# ordinary path once the checked row is given back); and in the middle a
# quoted field of 300 lines that each look like a row, so that a buffer
# begins inside a record (the record is rejected: its activity, line ends
# and all, is longer than 64 bytes). The expected output, counts and the
# line and record number of each rejected row come from the same awk loop.
awk -v n=200000 -v want="$T/ahead.want" -v rej="$T/ahead.rejlines" 'BEGIN {
    h = "participant_id,session_id,start_time,activity,duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,cramp,cramp_muscle"
    print h; print h >want
    line = 1; rec = 1
    for (i = 1; i <= n; i++) {
        sid = (i % 1499 == 0) ? i - 700 : i
        p = sprintf("P%07d,S%09d,2024-%02d-%02dT07:30:00Z", int(i / 25) + 1, sid, i % 12 + 1, i % 28 + 1)
        dur = (i % 997 == 0) ? 0 : 30 + i % 90
        temp = (i % 1009 == 0) ? "12.0" : sprintf("%d.%d", int((i % 400) / 10), i % 9 + 1)
        act = "running"
        if (i == 100000) {
            act = "\"run"
            for (k = 0; k < 300; k++)
                act = act sprintf("\nP%07d,S%09d,2024-01-01T07:30:00Z,running,45,4,4.6,70,2080,9,no,no,", 1, 900000000 + k)
            act = act "\nning\""
        }
        tail = sprintf(",%d,%d,%s,%d,%d,%d,no,%s,%s", dur, i % 10 + 1, temp, i % 100, 1000 + i % 2000, i % 30, i % 2 ? "yes" : "no", i % 2 ? "hamstring" : "")
        printf "%s,%s%s%s", p, act, tail, (i % 2003 == 0) ? "\r\n" : "\n"
        line++; rec++
        if (dur == 0 || sid != i || i == 100000)
            print line "," rec - 1 >rej
        if (i == 100000)
            line += 301
        if (i % 3001 == 0) {
            printf "\n"; line++
        }
        if (dur == 0 || sid != i || i == 100000)
            continue
        sub(/^12\.0$/, "12", temp)
        print p ",running" sprintf(",%d,%d,%s,%d,%d,%d,no,%s,%s", dur, i % 10 + 1, temp, i % 100, 1000 + i % 2000, i % 30, i % 2 ? "yes" : "no", i % 2 ? "hamstring" : "") >want
    }
}' | gzip -1 >"$T/ahead.csv.gz"
nrej=$(wc -l <"$T/ahead.rejlines")
for how in 16 adapt off threads1; do
    case $how in
    16) CRAMPSTAT_CHECK_AHEAD=16 cs ingest --schema exercise --rejects "$T/ahead.rej.$how" "$T/ahead.csv.gz" >"$T/ahead.$how" 2>"$T/ahead.$how.err" ;;
    adapt) cs ingest --schema exercise --rejects "$T/ahead.rej.$how" "$T/ahead.csv.gz" >"$T/ahead.$how" 2>"$T/ahead.$how.err" ;;
    off) CRAMPSTAT_CHECK_AHEAD=off cs ingest --schema exercise --rejects "$T/ahead.rej.$how" "$T/ahead.csv.gz" >"$T/ahead.$how" 2>"$T/ahead.$how.err" ;;
    threads1) cs ingest --threads 1 --schema exercise --rejects "$T/ahead.rej.$how" "$T/ahead.csv.gz" >"$T/ahead.$how" 2>"$T/ahead.$how.err" ;;
    esac
    check "checked ahead ($how) exit" 0 $?
    check_file "checked ahead ($how): the rows" "$T/ahead.want" "$T/ahead.$how"
    check_grep "checked ahead ($how): counts" "200000 rows read, $((200000 - nrej)) accepted, $nrej rejected" "$T/ahead.$how.err"
    # The log's rows (a raw cell may hold line ends): source,line,record,...
    awk -v src="$T/ahead.csv.gz," 'index($0, src) == 1' "$T/ahead.rej.$how" |
        cut -d, -f2,3 >"$T/ahead.rejat.$how"
    check_file "checked ahead ($how): each rejected row's line and record" "$T/ahead.rejlines" "$T/ahead.rejat.$how"
done
check_file "checked ahead: the reject log as with --threads 1 (16)" "$T/ahead.rej.threads1" "$T/ahead.rej.16"
check_file "checked ahead: the reject log as with --threads 1 (adapt)" "$T/ahead.rej.threads1" "$T/ahead.rej.adapt"
check_file "checked ahead: the reject log as with --threads 1 (off)" "$T/ahead.rej.threads1" "$T/ahead.rej.off"

finish
