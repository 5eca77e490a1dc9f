#!/usr/bin/env bash
# crampstat among other Unix tools: what a command does when its standard
# descriptors are closed, when a reject log would overwrite an input or
# the -o file, when standard input is named twice, when words follow an
# option that takes none, when a header holds a column a stage would
# write itself, and analyze's reports in several formats from one run
# (--also). Each case states its expected result exactly.
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

# ------------------------------------------------ columns a stage writes
# An exercise column named like a survey column: join wrote it twice
# (and tag refused that header) while analyze counted the file; a column
# named like one of tag's: tag replaced the user's values without a word.
# Now join, tag and analyze refuse both, naming the column.
H=participant_id,session_id,start_time,activity,duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,cramp,cramp_muscle
SH=participant_id,survey_date,sex,age_years,height_ft,height_in,weight_lb,activity_level,conditioning,seasonal_sport,stretch_routine,conditions,calorie_goal,calcium_mg,potassium_mg
printf '%s\nP1,2024-01-01,F,21,5,2,130,light,recreational,no,no,,1,900,2500\n' "$SH" > "$T/sv.csv"
printf '%s,Sex\nP1,E1,2024-06-01T10:00,running,30,5,,,,,,no,,X\n' "$H" > "$T/ex-sex.csv"
printf '%s,note,fatigue,outcome\nP1,E1,2024-06-01T10:00,running,30,5,,,,,,no,,n,USER,USER\n' "$H" > "$T/ex-fat.csv"
want_sex='column "sex" is a survey column, which join appends: rename or drop it (is the input joined already?)'
want_fat='column "fatigue" is one tag writes, and it would replace it; the input is not tag'"'"'s output (it has no "height_cm" column): rename the column'
cs join -q -S "$T/sv.csv" "$T/ex-sex.csv" >"$T/j.out" 2>"$T/j.err"
check "join, a survey column among the exercise's: 65, nothing written" "65 0" "$? $(wc -c < "$T/j.out" | tr -d ' ')"
check "join: names file, line, column and why" "crampstat: join: $T/ex-sex.csv:1:14: $want_sex" "$(cat "$T/j.err")"
cs analyze -q -S "$T/sv.csv" -e "$T/ex-sex.csv" >/dev/null 2>"$T/a.err"
check "analyze, the same header: 65" 65 $?
check "analyze: the same message" "crampstat: analyze: $T/ex-sex.csv:1:14: $want_sex" "$(cat "$T/a.err")"
cs join -q -S "$T/sv.csv" "$T/ex-fat.csv" > "$T/fat.joined"
check "join passes tag's names on (they are tag's to judge)" 0 $?
cs tag -q "$T/fat.joined" >"$T/t.out" 2>"$T/t.err"
check "tag, two of its columns in a joined file: 65, nothing written" "65 0" "$? $(wc -c < "$T/t.out" | tr -d ' ')"
check "tag: names the first (column 29 of the joined header)" \
    "crampstat: tag: $T/fat.joined:1:29: $want_fat" "$(cat "$T/t.err")"
cs analyze -q -S "$T/sv.csv" -e "$T/ex-fat.csv" >/dev/null 2>"$T/a.err"
check "analyze, the same columns: 65 and the same reason" \
    "65 crampstat: analyze: $T/ex-fat.csv:1:15: $want_fat" "$? $(cat "$T/a.err")"
# tag's own output, all its columns: recomputed, the same bytes.
cs join -q -S "$S/survey.csv.gz" "$S/exercise.csv.gz" | cs tag -q > "$T/tagged.csv"
cs tag -q "$T/tagged.csv" > "$T/retagged.csv"
check_file "tag on its own output: the same bytes" "$T/tagged.csv" "$T/retagged.csv"
# ...but with one of them twice, refused.
{ head -1 "$T/tagged.csv" | sed 's/$/,Outcome/'; sed -n '2p' "$T/tagged.csv" | sed 's/$/,x/'; } > "$T/twice.csv"
cs tag -q "$T/twice.csv" >/dev/null 2>"$T/t.err"
check "tag, outcome twice: 65" 65 $?
check_grep "tag, outcome twice: names both columns" 'column "outcome" appears twice in the header (columns' "$T/t.err"

# ------------------------------------------------ filter and ragged rows
# A row with a field too few read as unknown and vanished; one with a
# field too many was kept. Both are rejected now, logged and counted.
printf 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n' > "$T/rag.csv"
cs filter -r "$T/rag.rej" 'c >= 0' "$T/rag.csv" >"$T/rag.out" 2>"$T/rag.err"
check "filter, ragged rows: exit 0" 0 $?
check "filter, ragged rows: the judged rows kept" "a,b,c|1,2,3|10,11,12" "$(paste -sd'|' "$T/rag.out")"
check "filter, ragged rows: the summary adds up" "filter: 4 rows in, 2 kept, 2 rejected" "$(cat "$T/rag.err")"
check "filter, ragged rows: the reject log" \
    'source,line,record,column,reason,raw|'"$T"'/rag.csv,3,2,,"row has 2 fields, the header has 3","4,5"|'"$T"'/rag.csv,4,3,,"row has 4 fields, the header has 3","6,7,8,9"' \
    "$(paste -sd'|' "$T/rag.rej")"
cs filter -q 'c < 0' "$T/rag.csv" 2>"$T/rag.err" >/dev/null
check "filter -q: no summary" "" "$(cat "$T/rag.err")"
refuse "filter -r IN" \
    "crampstat: filter: --rejects $T/ex.csv is also an input: the log would empty it before it is read" \
    cs filter -r "$T/ex.csv" 'a = 1' "$T/ex.csv"

# ------------------------------------------------ a cut gzip file
# What is read of a cut file does not depend on --threads: every line
# before the cut, as gzip -dc gives them (the read-ahead thread's reads of
# a mebibyte used to drop up to that much before the error).
sz=$(stat -c %s "$S/exercise.csv.gz")
head -c $((sz / 2)) "$S/exercise.csv.gz" > "$T/cut.csv.gz"
lines=$(gzip -dc "$T/cut.csv.gz" 2>/dev/null | wc -l)
for t in 1 2; do
    cs ingest --threads "$t" -q --schema any "$T/cut.csv.gz" > "$T/cut$t.csv" 2>"$T/cut$t.err"
    check "cut gzip, --threads $t: 65" 65 $?
    check "cut gzip, --threads $t: every line before the cut" "$lines" "$(wc -l < "$T/cut$t.csv")"
done
check_grep "cut gzip: the reason" "gzip: unexpected end of file (member 1 is truncated)" "$T/cut2.err"
check_file "cut gzip: --threads 1 and 2 write the same bytes" "$T/cut1.csv" "$T/cut2.csv"

# ------------------------------------------------ a field over its cap
# A quoted field over 1 MiB costs its row, logged with its column; the
# quoted row after it reads as usual (it was skipped as "field longer
# than 1048576 bytes, in field 1", the cap's flag left set).
{
    echo "$H"
    printf 'P1,L2,2024-05-07T10:00,"'
    head -c 1100000 /dev/zero | tr '\0' z
    printf '",30,1,20,50,100,5,no,no,\n'
    printf 'P1,L3,2024-05-07T10:00,"running",30,1,20,50,100,5,no,no,\n'
} > "$T/cap.csv"
cs ingest -q -r "$T/cap.rej" "$T/cap.csv" > "$T/cap.out"
check "field over the cap: exit 0" 0 $?
check "field over the cap: the next quoted row is accepted" \
    "P1,L3,2024-05-07T10:00:00,running,30,1,20,50,100,5,no,no," "$(sed -n 2p "$T/cap.out")"
check "field over the cap: logged with its column and field" \
    "$T/cap.csv,2,1,activity,\"field longer than 1048576 bytes, in field 4 (the record has 1100049 bytes)\"" \
    "$(sed -n 2p "$T/cap.rej" | cut -d, -f1-6)"
check "field over the cap: one reject" 1 "$(grep -c -a "^$T/cap.csv" "$T/cap.rej"; )"

# ------------------------------------------------ data in Markdown
# Raw HTML in the data reached Markdown reports as HTML (the HTML report
# escaped it): an activity, a --by column's name, an input's name.
gzip -dc "$S/exercise.csv.gz" | sed 's/,yoga,/,<img src=x onerror=alert(1)>,/' > "$T/<b>x&y.csv"
cs analyze -q -S "$S/survey.csv.gz" -e "$T/<b>x&y.csv" --by activity -f md > "$T/act.md"
check "markdown: no raw tag from the data" 0 "$(grep -c '<img\|<b>' "$T/act.md")"
check "markdown: the activity, escaped" 14 "$(grep -c '&lt;img src=x onerror=alert(1)>' "$T/act.md")"
check "markdown: the input's name, escaped" "- inputs:     $T/&lt;b>x&amp;y.csv" "$(grep -- '- inputs:' "$T/act.md")"
check_grep "markdown: a p below 0.001 stays <0.001" '| <0.001 |' "$T/act.md"
check "markdown: each table's rows as wide as its header" "" \
    "$(awk '/^\|/ { if (w && length($0) != w) print NR": "length($0)" != "w; w = length($0); next } { w = 0 }' "$T/act.md")"

# ------------------------------------------------ words after options
for args in "--version x" "-V x" "--help x" "-h x" "help ingest extra"; do
    cs $args >"$T/w.out" 2>"$T/w.err"
    check "crampstat $args: usage error" "64 0" "$? $(wc -c < "$T/w.out" | tr -d ' ')"
    last=${args##* }
    check_grep "crampstat $args: names the word" "unexpected argument '$last'" "$T/w.err"
done

# ------------------------------------------------ analyze --also
# One run writes the report in several formats: each file the same bytes
# as the run with that --format alone (HTML's line of provenance aside:
# the command line and the time).
also_args=(-q -S "$S/survey.csv.gz" -e "$S/exercise.csv.gz" --by sex)
cs analyze "${also_args[@]}" -o "$T/also.txt" --also json="$T/also.json" \
    --also csv="$T/also.csv" --also tsv="$T/also.tsv" --also md="$T/also.md" \
    --also html="$T/also.html" --also pretty="$T/also2.txt"
check "analyze --also: exit" 0 $?
cs analyze "${also_args[@]}" -o "$T/one.txt"
check_file "analyze --also: -o as alone" "$T/one.txt" "$T/also.txt"
check_file "analyze --also pretty: as alone" "$T/one.txt" "$T/also2.txt"
prov() { sed -e 's|<p>Command: <code>.*</code></p>|(command)|' -e 's|, run [0-9T:Z-]*\.</p>|, run (time).</p>|' "$1"; }
for f in json csv tsv md html; do
    cs analyze "${also_args[@]}" --format "$f" -o "$T/one.$f"
    check_file "analyze --also $f: as --format $f alone" <(prov "$T/one.$f") <(prov "$T/also.$f")
done
check "analyze --also html: a page" 1 "$(grep -c '^<!DOCTYPE html>' "$T/also.html")"
# --keep-going: every report written, naming the file left out; 65.
gzip -dc "$S/exercise.csv.gz" | head -c 200000 | gzip | head -c 30000 >"$T/cut.csv.gz"
cs analyze -q -S "$S/survey.csv.gz" -e "$S/exercise.csv.gz" -e "$T/cut.csv.gz" --keep-going \
    -o "$T/kg.txt" --also json="$T/kg.json" 2>/dev/null
check "analyze --also --keep-going: 65" 65 $?
check "analyze --also --keep-going: both reports name the file" "1 1" \
    "$(grep -c 'cut.csv.gz' "$T/kg.txt") $(grep -c '"left_out": \[{"file": "[^"]*cut.csv.gz"' "$T/kg.json")"
# What it refuses (64, nothing written).
for bad in "json" "=x" "json=" "xml=$T/x" "json=-"; do
    refuse_also=$(cs analyze "${also_args[@]}" --also "$bad" 2>&1 >/dev/null; echo "rc=$?")
    check "analyze --also '$bad': 64" "rc=64" "${refuse_also##*$'\n'}"
done
check "analyze --also to the -o file: 64" 64 \
    "$(cs analyze "${also_args[@]}" -o "$T/same" --also json="$T/same" 2>/dev/null; echo $?)"
echo old >"$T/kept"
check "analyze --also to the -o file by another path: 64" 64 \
    "$(cs analyze "${also_args[@]}" -o "$T/kept" --also json="$T/./kept" 2>/dev/null; echo $?)"
check "analyze --also to the -o file by another path: the file as it was" old "$(cat "$T/kept")"
check "analyze --also twice to one file: 64" 64 \
    "$(cs analyze "${also_args[@]}" --also json="$T/same" --also csv="$T/same" 2>/dev/null; echo $?)"
check "analyze --also with --partial-prefix: 64" 64 \
    "$(cs analyze "${also_args[@]}" --also json="$T/same" --partial-prefix "$T/p" 2>/dev/null; echo $?)"
check "analyze --also with the reject log: 64" 64 \
    "$(cs analyze "${also_args[@]}" --also json="$T/same" -r "$T/same" 2>/dev/null; echo $?)"
nine=(); for i in 1 2 3 4 5 6 7 8 9; do nine+=(--also "csv=$T/n$i"); done
check "analyze: nine --also: 64" 64 "$(cs analyze "${also_args[@]}" "${nine[@]}" 2>/dev/null; echo $?)"
check "nothing written by the refusals" "" "$(cd "$T" && ls same p.* n[0-9] x 2>/dev/null)"
# A folder that is not there: 74, naming the file.
cs analyze "${also_args[@]}" -o "$T/ok.txt" --also json="$T/nodir/r.json" 2>"$T/also.err"
check "analyze --also into a missing folder: 74" 74 $?
check_grep "analyze --also into a missing folder: the file named" "$T/nodir/r.json" "$T/also.err"

finish
