#!/usr/bin/env bash
# crampstat among other Unix tools: what a command does when its standard
# descriptors are closed, when a reject log would overwrite an input or
# the -o file, when standard input is named twice, when words follow an
# option that takes none, and when a header holds a column a stage would
# write itself. Each case states its expected result exactly.
source "$(dirname "$0")/lib.sh"
S=$CS_SRC/sample-data
cs() { "$CRAMPSTAT" "$@"; }

# ------------------------------------------------ closed descriptors
# A closed standard error must not be taken by the -o file or the reject
# log: the summary line would be written into them, with exit 0.
cs ingest -o "$T/o.csv" "$S/bad-exercise.csv" 2>&-
check "stderr closed: ingest -o still exits 0" 0 $?
check "stderr closed: the -o file starts with the header" \
    "participant_id,session_id,start_time,activity,duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,cramp,cramp_muscle" \
    "$(head -1 "$T/o.csv")"
check "stderr closed: the -o file is ingest's output, byte for byte" \
    "$(cs ingest -q "$S/bad-exercise.csv" | cksum)" "$(cksum < "$T/o.csv")"
cs ingest -r "$T/rj.csv" "$S/bad-exercise.csv" >/dev/null 2>&-
check "stderr closed: the reject log starts with its header" \
    "source,line,record,column,reason,raw" "$(head -1 "$T/rj.csv")"
cs ingest -q -r "$T/rj2.csv" "$S/bad-exercise.csv" >/dev/null
check_file "stderr closed: the reject log is the one written with it open" \
    "$T/rj2.csv" "$T/rj.csv"
# A closed standard output must not be taken by the reject log: join
# used to write its whole output into it.
cs join -q -S "$S/survey.csv.gz" -r "$T/jrej.csv" "$S/exercise.csv.gz" >&- 2>"$T/jrej.err"
check "stdout closed: join exits 74" 74 $?
check "stdout closed: join says why" \
    "crampstat: join: standard output: write failed: Bad file descriptor" "$(cat "$T/jrej.err")"
check "stdout closed: join's reject log holds only its header" \
    "source,line,record,column,reason,raw" "$(cat "$T/jrej.csv")"
cs tag -q -r "$T/trej.csv" < /dev/null >&- 2>/dev/null
check "stdout closed: tag's reject log is not its output" \
    "source,line,record,column,reason,raw" "$(head -1 "$T/trej.csv" 2>/dev/null)"
# A closed standard input reads as an error, not as the first file opened.
cs ingest -q <&- >/dev/null 2>"$T/in.err"
check "stdin closed: ingest exits 74" 74 $?
check "stdin closed: ingest names standard input" \
    "crampstat: ingest: -: byte 0: read failed: Bad file descriptor" "$(cat "$T/in.err")"

# ------------------------------------------------ a reject log over a file
# --rejects opens its file first, emptying it: naming an input (by any
# path, or as standard input) or the -o file is refused before anything
# is opened, and the file is left as it was.
cs ingest -q --schema exercise "$S/exercise.csv.gz" > "$T/ex.csv"
sum=$(cksum < "$T/ex.csv")
refuse() {   # refuse NAME MESSAGE CMD...: exit 64, MESSAGE, ex.csv intact
    local name=$1 msg=$2
    shift 2
    "$@" >/dev/null 2>"$T/refuse.err" </dev/null
    check "$name: usage error" 64 $?
    check "$name: says why" "$msg" "$(head -1 "$T/refuse.err")"
    check "$name: the file is intact" "$sum" "$(cksum < "$T/ex.csv")"
}
refuse "ingest -r IN IN" \
    "crampstat: ingest: --rejects $T/ex.csv is also an input: the log would empty it before it is read" \
    cs ingest -q -r "$T/ex.csv" "$T/ex.csv"
ln -s "$T/ex.csv" "$T/link.csv"
refuse "ingest -r LINK IN" \
    "crampstat: ingest: --rejects $T/link.csv is also an input: the log would empty it before it is read" \
    cs ingest -q -r "$T/link.csv" "$T/ex.csv"
"$CRAMPSTAT" ingest -q -r "$T/ex.csv" < "$T/ex.csv" >/dev/null 2>"$T/refuse.err"
check "ingest -r IN < IN: usage error" "64 $sum" "$? $(cksum < "$T/ex.csv")"
check_grep "ingest -r IN < IN: names standard input" "is also an input (standard input)" "$T/refuse.err"
refuse "tag -o X -r X" \
    "crampstat: tag: --rejects and --output name the same file $T/ex.csv: give the reject log its own" \
    cs tag -q -o "$T/ex.csv" -r "$T/ex.csv"
refuse "join -r SURVEY" \
    "crampstat: join: --rejects $T/ex.csv is also an input: the log would empty it before it is read" \
    cs join -q -S "$T/ex.csv" -r "$T/ex.csv" "$S/exercise.csv.gz"
refuse "analyze -r EXERCISE" \
    "crampstat: analyze: --rejects $T/ex.csv is also an input: the log would empty it before it is read" \
    cs analyze -q -S "$S/survey.csv.gz" -e "$S/exercise.csv.gz" -e "$T/ex.csv" -r "$T/ex.csv"
refuse "aggregate -r IN" \
    "crampstat: aggregate: --rejects $T/ex.csv is also an input: the log would empty it before it is read" \
    cs aggregate -q -r "$T/ex.csv" "$T/ex.csv"
refuse "calories -r IN" \
    "crampstat: calories: --rejects $T/ex.csv is also an input: the log would empty it before it is read" \
    cs calories -q -r "$T/ex.csv" "$T/ex.csv"
# Before reading: calories -r - used to read its input first (65 on an
# empty one).
refuse "calories -r -" \
    "crampstat: calories: --rejects wants a file name; standard output carries the data" \
    cs calories -r - /dev/null
cs ingest -q -r /dev/null /dev/null 2>/dev/null
check "ingest -r /dev/null /dev/null: a device may be both (empty input: 65)" 65 $?

# ------------------------------------------------ standard input twice
for args in "ingest - -" "join -S - -" "analyze -S - -e -" "tag - x -"; do
    cs $args < "$S/survey.csv.gz" >"$T/twice.out" 2>"$T/twice.err"
    check "$args: usage error, nothing written" "64 0" "$? $(wc -c < "$T/twice.out" | tr -d ' ')"
    check "$args: says why" \
        "crampstat: ${args%% *}: standard input ('-') is named twice; it can be read only once" \
        "$(head -1 "$T/twice.err")"
done

# ------------------------------------------------ words after options
for args in "--version x" "-V x" "--help x" "-h x" "help ingest extra"; do
    cs $args >"$T/w.out" 2>"$T/w.err"
    check "crampstat $args: usage error" "64 0" "$? $(wc -c < "$T/w.out" | tr -d ' ')"
    last=${args##* }
    check_grep "crampstat $args: names the word" "unexpected argument '$last'" "$T/w.err"
done

finish
