#!/usr/bin/env bash
# End to end: partial states that merge and report must refuse, and those
# they must still take. One state counted twice (given twice; a total
# merged again with a part of it; the same data aggregated twice); a state
# changed after it was written (every digit, one at a time); a state whose
# numbers were edited and its sha256 line made again, one check of
# docs/partial-format.md at a time; and a state written before the leaf
# and sha256 lines, which is still read.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
cs() { "$CRAMPSTAT" "$@"; }

# A small data set: 6 participants, its tagged sessions, and three shards
# of them (by rows, each with the header).
cs gen --participants 6 --seed 3 --out-dir "$T" >/dev/null
cs join -q --survey survey.csv.gz exercise.csv.gz | cs tag -q >tagged.csv
check "tagged sessions" 115 "$(wc -l <tagged.csv)"
awk -v dir="$T" 'NR == 1 { for (k = 0; k < 3; k++) print > (dir "/t" k ".csv"); next }
    { print > (dir "/t" (NR % 3) ".csv") }' tagged.csv
X=exercise.csv.gz
for k in 0 1 2; do
    cs aggregate -q --partial --input-name "$X" <t$k.csv >s$k.partial
    check "shard $k state" 0 $?
done
cs aggregate -q --partial --input-name "$X" <tagged.csv >single.partial
cs aggregate -q --partial --input-name "$X" <tagged.csv >again.partial
check_file "the same data give the same bytes" single.partial again.partial

# ---- three shards merge; the report is the single pass's ----------------------
cs merge s0.partial s1.partial s2.partial >m.partial
check "merge of three shards" 0 $?
cs merge s2.partial s0.partial >m20.partial && cs merge m20.partial s1.partial >m201.partial
check "merge of a merge and a shard" 0 $?
check_file "merged in another order: the same bytes" m.partial m201.partial
check "the merged state lists its three leaves" 3 "$(grep -c '^leaf ' m.partial)"
check "... the shards' own" \
    "$(grep -h '^leaf ' s0.partial s1.partial s2.partial | sort | paste -sd' ')" \
    "$(grep '^leaf ' m.partial | paste -sd' ')"
for fmt in pretty json; do
    cs aggregate -q --input-name "$X" --format "$fmt" <tagged.csv >single.$fmt
    cs report --format "$fmt" m.partial >merged.$fmt
    check_file "merged report = single pass ($fmt)" single.$fmt merged.$fmt
done
cs analyze -q --survey survey.csv.gz --exercise "$X" >analyze.txt
check "analyze begins with the merged report, byte for byte" 1 \
    "$(cmp -s merged.pretty <(head -c "$(wc -c <merged.pretty)" analyze.txt) && echo 1)"

# ---- one state counted twice ----------------------------------------------------
# merge_refused NAME EXPECTED_STDERR STATE...: exit 65, that message, no output.
merge_refused() {
    local name=$1 want=$2
    shift 2
    cs merge "$@" >out.partial 2>err.txt
    check "$name: exit 65" 65 $?
    check "$name: message" "$want" "$(cat err.txt)"
    check "$name: no output" 0 "$(wc -c <out.partial)"
}
leaf() { grep '^leaf ' "$1" | head -1 | cut -c6-17; }
merge_refused "a state merged with itself" \
    "crampstat: merge: s0.partial: cannot merge: the file is given twice, so its sessions would count twice: give each state once" \
    s0.partial s0.partial
cp s0.partial copy.partial
merge_refused "a state merged with its copy" \
    "crampstat: merge: copy.partial: cannot merge: it and s0.partial both hold the sessions of the state $(leaf s0.partial)..., which would count twice: merge each state once (a merged state holds those it was made of)" \
    s0.partial s1.partial copy.partial
merge_refused "a total merged again with a part of it" \
    "crampstat: merge: s1.partial: cannot merge: it and m.partial both hold the sessions of the state $(leaf s1.partial)..., which would count twice: merge each state once (a merged state holds those it was made of)" \
    m.partial s1.partial
merge_refused "a part merged again with a total of it" \
    "crampstat: merge: m.partial: cannot merge: it and s1.partial both hold the sessions of the state $(leaf s1.partial)..., which would count twice: merge each state once (a merged state holds those it was made of)" \
    s1.partial m.partial
cs merge s0.partial s1.partial >m01.partial
cs merge s1.partial s2.partial >m12.partial
merge_refused "two totals sharing a part" \
    "crampstat: merge: m12.partial: cannot merge: it and m01.partial both hold the sessions of the state $(leaf s1.partial)..., which would count twice: merge each state once (a merged state holds those it was made of)" \
    m01.partial m12.partial
merge_refused "the same data aggregated twice" \
    "crampstat: merge: again.partial: cannot merge: it and single.partial both hold the sessions of the state $(leaf single.partial)..., which would count twice: merge each state once (a merged state holds those it was made of)" \
    single.partial again.partial
# The cron job of the man page, run twice on one day.
cp s0.partial total.partial
cs merge -o total.partial total.partial s1.partial
check "running total: the day's state is added" 0 $?
cs merge -o total.partial total.partial s1.partial 2>err.txt
check "running total: the same day again is refused" 65 $?
check_grep "running total: ... naming both files" \
    "s1.partial: cannot merge: it and total.partial both hold" err.txt
check_file "running total: ... and the total stays as it was" m01.partial total.partial

# ---- states that count nothing ---------------------------------------------------
# Empty shards (more shards than participants) all have the same text and
# so the same leaf; merging them counts nothing twice and is not refused,
# in any order with the others.
head -1 tagged.csv > empty.csv
cs aggregate -q --partial --input-name "$X" <empty.csv >e1.partial
cs aggregate -q --partial --input-name "$X" <empty.csv >e2.partial
check_file "two empty shards: the same bytes" e1.partial e2.partial
for order in "e1 e2" "e1 s0 s1 e2 s2" "s0 e1 s1 s2 e2" "e1 e2 s0 s1 s2"; do
    cs merge $(for x in $order; do echo "$x.partial"; done) >me.partial 2>err.txt
    check "merge $order: taken" "0 " "$? $(cat err.txt)"
done
cs report --format json me.partial >me.json
check_file "empty shards change no count: the report is the single pass's" single.json me.json
check "... and add no leaf" 3 "$(grep -c '^leaf ' me.partial)"
cs merge e1.partial e2.partial >ee.partial && cs merge ee.partial e1.partial >/dev/null
check "a merge of empty states merged with one of them: taken" 0 $?
merge_refused "a shard given twice beside empty ones" \
    "crampstat: merge: s0.partial: cannot merge: the file is given twice, so its sessions would count twice: give each state once" \
    e1.partial s0.partial e2.partial s0.partial

# ---- any digit changed: refused ---------------------------------------------------
# Each digit of a small real state in turn made the next digit (9 -> 0):
# report refuses every one (exit 65), naming the file and a line. That is
# one process for each of some 2,500 digits; a sanitizer build's start
# costs several times a release build's, so there every fifth digit (the
# same few refusals' code), and the release run changes them all.
step=1
if sanitized; then
    step=5
    echo "note: sanitizer build: every fifth digit of the state changed"
fi
cs aggregate -q --partial --input-name "$X" <t0.csv >small.partial
python3 - "$CRAMPSTAT" small.partial "$step" >digits.txt <<'PY'
import subprocess, sys
crampstat, path, step = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(path, "rb").read()
n = took = unnamed = seen = 0
for i, c in enumerate(b):
    if not 48 <= c <= 57:
        continue
    seen += 1
    if (seen - 1) % step:
        continue
    f = bytearray(b)
    f[i] = 48 + (c - 48 + 1) % 10
    open("flip.partial", "wb").write(f)
    r = subprocess.run([crampstat, "report", "flip.partial"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    n += 1
    if r.returncode != 65:
        took += 1
        if took <= 3:
            print("note: byte %d: exit %d" % (i, r.returncode), file=sys.stderr)
    if not r.stderr.startswith(b"crampstat: report: flip.partial:") or \
       not r.stderr.split(b":")[3].strip().isdigit():
        unnamed += 1
print(n, took, unnamed)
PY
read -r n took unnamed <digits.txt
check "digits changed one at a time ($n states): refused" "0 of $n taken" "$took of $n taken"
check "... of over $((2000 / step)) digits" 1 "$((n > 2000 / step))"
check "... each with the file and line" 0 "$unnamed"

# ---- numbers edited, the sha256 line made again: each check refuses ---------------
# edited NAME AWK MESSAGE: s0.partial edited by AWK (which prints every
# line), its sum made again: report exits 65 with MESSAGE (a grep pattern).
edited() {
    awk "$2" s0.partial >edit.partial
    if cmp -s s0.partial edit.partial; then bad "$1: the edit changed nothing"; return; fi
    resum edit.partial
    cs report edit.partial >/dev/null 2>edit.err
    check "$1: exit 65" 65 $?
    check_grep "$1: message" "^crampstat: report: edit.partial:[0-9]*: $3" edit.err
}
# The first day with a session that is not a case, and one with a known
# but unexposed main factor.
edited "day cases" '$1 == "day" && $4 < $3 && !d { $4++; d = 1 } { print }' \
    "the days count [0-9]* cases, the factor tables"
edited "day exposure" '$1 == "day" && !d { $5++; d = 1 } { print }' \
    "the days count [0-9]* milli-minutes, the factor tables"
edited "day exposed count" '$1 == "day" && !d {
        split($6, e, "/"); if (e[1] < e[2]) { $6 = (e[1] + 1) "/" e[2]; d = 1 } } { print }' \
    "the days count [0-9]* sessions exposed to fatigue, the factor tables"
check "every session has an RPE, none below its bands" "dose intensity_rpe 1 1,4,7,9 0 0" \
    "$(grep '^dose intensity_rpe ' s0.partial)"
edited "band exposure" '$1 == "band" && $2 == "intensity_rpe" && !d { $6++; d = 1 } { print }' \
    "dose intensity_rpe: the bands count [0-9]* cases and [0-9]* milli-minutes, the factor tables"
edited "dp id not a participant" '$1 == "dp" && !d { $2 = $2 "9"; d = 1 } { print }' \
    "participant \"P[0-9]*\" has a \"[dp]*\" line but no \"[dp]*\" line"
edited "dp ids out of order" '$1 == "dp" { n++; if (n == 1) { a = $0; next } if (n == 2) { print; print a; next } } { print }' \
    "dp: participant \"P[0-9]*\" is out of order"
edited "outcome against the rules" '$1 == "outcome" { $2 = "any" } { print }' \
    "outcome any, but the rules line says outcome=hamstring"

# ---- a state written before the leaf and sha256 lines ----------------------------
grep -v '^leaf \|^sha256 ' s0.partial >old.partial
cs report old.partial >old.pretty
check "an old state is read" 0 $?
cs report s0.partial >new.pretty
check_file "... and reports as before" new.pretty old.pretty
cs merge old.partial >upgraded.partial
check "merge of an old state" 0 $?
check_file "... writes it with its leaf and sha256 lines, as aggregate now does" \
    s0.partial upgraded.partial
merge_refused "an old state and its new copy" \
    "crampstat: merge: s0.partial: cannot merge: it and old.partial both hold the sessions of the state $(leaf s0.partial)..., which would count twice: merge each state once (a merged state holds those it was made of)" \
    old.partial s0.partial
awk '$1 == "day" && $4 < $3 && !d { $4++; d = 1 } { print }' old.partial >old-edit.partial
cs report old-edit.partial >/dev/null 2>old-edit.err
check "an old state's numbers are checked too" 65 $?
grep -v '^sha256 ' s0.partial >nosum.partial
cs report nosum.partial >/dev/null 2>nosum.err
check "leaf lines without the sha256 line: 65" 65 $?
check_grep "... message" "nosum.partial:[0-9]*: the sha256 line is missing" nosum.err

# What does not begin as a state is refused after its first bytes, even a
# gzip of 64 MiB of zeros; a state followed by zeros is refused once it
# inflates to more than 64 times what was read of it (a state's text
# compresses 3 to 6 times), not read to its end.
head -c 67108864 /dev/zero | gzip -1 >zeros.gz
cs merge zeros.gz >/dev/null 2>zeros.err
check "a gzip of zeros given to merge: 65" 65 $?
check "... refused as not a state, at its first line" \
    'crampstat: merge: zeros.gz:1: not a crampstat partial state (it should begin with "crampstat-partial 3")' \
    "$(cat zeros.err)"
{ cat s0.partial; head -c 67108864 /dev/zero; } | gzip -1 >bomb.gz
cs report bomb.gz >/dev/null 2>bomb.err
check "a state and 64 MiB of zeros, gzip: 65" 65 $?
check_grep "... refused as a bomb" '^crampstat: report: bomb.gz: inflates to over [0-9]* bytes from its first [0-9]*, more than 64 times: not a partial state (a gzip bomb?)$' bomb.err
# A gzip state over 16 MiB is read whole: a state's ratio is far below
# 64 (this one, 150,000 participants of 2 sessions: about 5 with gzip -1).
cs gen -n 150000 -m 2 -d big >/dev/null
check "gen of 150,000 participants" 0 $?
cs analyze -q -S big/survey.csv.gz -e big/exercise.csv.gz --partial-prefix big/s
check "a state of 150,000 participants: over 16 MiB" 1 \
    "$(( $(wc -c <big/s.agg.partial) > 16777216 ))"
gzip -1c big/s.agg.partial >big/s.agg.partial.gz
cs report big/s.agg.partial >big.pretty
cs report big/s.agg.partial.gz >biggz.pretty
check "a gzip state over 16 MiB: read" 0 $?
check_file "... as its text" big.pretty biggz.pretty

finish
