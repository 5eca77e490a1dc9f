#!/usr/bin/env bash
# End to end: hostile and broken input, and faults. Every command that reads
# input runs over every case of tests/hostile/cases.tsv (exit status,
# message with file and line or byte, counts that add up, no crash, 60 s
# and 512 MB at most); then full disks, signals, closed pipes, CSV
# injection, RFC 4180 quoting, and counts past 2^32 through merge.
# ctest runs it in parts (CS_PART, tests/CMakeLists.txt): each case of the
# table and each later section is one unit of work.
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC" || exit 1
HD=$CS_SRC/tests/hostile
export DEFECT_CACHE=$T
. "$HD/defects.sh"
cs() { "$CRAMPSTAT" "$@"; }

# Limits for every run. Under AddressSanitizer the address space is mostly
# shadow, so there the limit is left to ASan and only the time is bounded.
TIME_LIMIT=60
MEM_MB=512
if sanitized; then
    MEM_MB=0
    # A sanitizer build reads empty lines many times slower (15 times at
    # -O0): 100 MiB of them, not 300, keep it far from the time limit.
    # The zero bomb is 600 MiB, not 3 GiB (a partial state and zeros are
    # still refused as a bomb past 16 MiB): the same code paths; the
    # release run keeps the 3 GiB
    # (counts past 2^31 bytes).
    export BOMB_NEWLINE_MEMBERS=1 BOMB_ZERO_MEMBERS=6
    echo "note: sanitizer build: no address-space limit, smaller newline and zero bombs"
fi

# run.py MEM_MB SECONDS OUT ERR CMD...: prints "status max_rss_kB seconds";
# a signal death is 128 + the signal, a timeout 124.
cat >"$T/run.py" <<'PY'
import resource, subprocess, sys, time
mem, tmo, out, err, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
def limit():
    if mem:
        resource.setrlimit(resource.RLIMIT_AS, (mem << 20, mem << 20))
t0 = time.monotonic()
with open(out, "wb") as o, open(err, "wb") as e:
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=o, stderr=e, preexec_fn=limit)
    try:
        rc = p.wait(timeout=tmo)
    except subprocess.TimeoutExpired:
        p.kill(); p.wait(); rc = 124
rc = 128 - rc if rc < 0 else rc
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "%.2f" % (time.monotonic() - t0))
PY

# Clean inputs of each kind: exercise and survey are committed, joined and
# tagged are made by crampstat from them.
cs join -q --survey "$HD/base-survey.csv" "$HD/base-exercise.csv" >"$T/base-joined.csv"
check "base: join" 0 $?
cs tag -q "$T/base-joined.csv" >"$T/base-tagged.csv"
check "base: tag" 0 $?
have_calories=0
cs calories --help >/dev/null 2>&1 && have_calories=1

ALL="ingest join join-survey tag filter aggregate analyze analyze-survey calories calories-tagged"

# kind_of CMD: the kind of input CMD reads, into kind. (These helpers set
# a variable rather than print: a command substitution is a process, and
# a case runs each command.)
kind_of() {
    case "$1" in
        ingest|join|filter|analyze) kind=exercise ;;
        join-survey|analyze-survey|calories) kind=survey ;;
        tag) kind=joined ;;
        aggregate|calories-tagged) kind=tagged ;;
        merge|report) kind=partial ;;
        *) kind=file ;;
    esac
}

base_of() {
    case "$1" in
        exercise|survey) echo "$HD/base-$1.csv" ;;
        joined|tagged) echo "$T/base-$1.csv" ;;
        partial) echo "$HD/partial/good.partial" ;;
    esac
}

# argv_for CMD FILE: the command line of CMD reading FILE, into argv; its
# reject log is $rej.
argv_for() {
    local c=$1 f=$2 r=$rej
    case "$c" in
        ingest) argv=(ingest --rejects "$r" "$f") ;;
        join) argv=(join --survey "$HD/base-survey.csv" --rejects "$r" "$f") ;;
        join-survey) argv=(join --survey "$f" --rejects "$r" "$HD/base-exercise.csv") ;;
        tag) argv=(tag --rejects "$r" "$f") ;;
        filter) argv=(filter 'participant_id is not empty' "$f") ;;
        aggregate) argv=(aggregate --rejects "$r" "$f") ;;
        analyze) argv=(analyze --survey "$HD/base-survey.csv" --exercise "$f" --rejects "$r") ;;
        analyze-survey) argv=(analyze --survey "$f" --exercise "$HD/base-exercise.csv" --rejects "$r") ;;
        calories|calories-tagged) argv=(calories --rejects "$r" "$f") ;;
        merge) argv=(merge "$f") ;;
        report) argv=(report "$f") ;;
        rules) argv=(rules --rules "$f") ;;
        tag-rules) argv=(tag --rules "$f" "$T/base-joined.csv") ;;
    esac
}

# summary_re CMD F: the pattern of CMD's summary line for input F (an
# extended regular expression; empty: CMD prints no summary), into sre.
summary_re() {
    local c=$1 f=$2 n='([0-9]+)' ch
    case "$c" in
        ingest|join-survey|analyze|analyze-survey)
            # F, its regular-expression characters escaped
            f=${f//\\/\\\\}
            for ch in '[' ']' '.' '*' '^' '$'; do f=${f//"$ch"/\\$ch}; done
            sre=": $f: $n rows read, $n [a-z]+, $n rejected" ;;
        join) sre="^join: $n sessions in, $n joined, $n rejected" ;;
        tag) sre="^tag: $n rows in, $n tagged, $n rejected" ;;
        aggregate) sre="^aggregate: $n rows in, $n used, $n rejected" ;;
        calories|calories-tagged) sre="^calories: $n (survey rows|tagged sessions) in, $n [a-z]+, $n rejected" ;;
        *) sre= ;;
    esac
}

# One awk reads what a run left, instead of a grep, sed or awk for each
# question (a case runs every command, and these processes were most of
# its time): ERR, the run's standard error; REJ and OUT, files whose
# records to count, or /dev/null. The summary's pattern is in $SUMMARY_RE.
# Prints: sanitizer (0/1), a "crampstat: " line (0/1), the summary's
# three counts ("- - -" if none), the sum of every "N rejected" in ERR,
# REJ's and OUT's records after the header. A record ends at a line end
# outside quotes (another parser than the one under test).
cat >"$T/post.awk" <<'AWK'
function records(file,    line, q, n) {
    q = 0; n = 0
    while ((getline line < file) > 0) {
        q += gsub(/"/, "\"", line)
        if (q % 2 == 0) n++
    }
    close(file)
    return n > 0 ? n - 1 : 0
}
BEGIN {
    re = ENVIRON["SUMMARY_RE"]
    counts = "(rows read|rows in|sessions in|survey rows in|tagged sessions in), [0-9]+ [a-z]+, [0-9]+ rejected"
    san = msg = rejected = seen = 0; got = "- - -"
    while ((getline line < ARGV[1]) > 0) {
        if (line ~ /Sanitizer|runtime error:|LeakSanitizer/) san = 1
        if (line ~ /^crampstat: /) msg = 1
        # the first line that matches the summary's pattern
        if (!seen && re != "" && line ~ re) {
            seen = 1
            if (match(line, "[0-9]+ " counts)) {
                split(substr(line, RSTART, RLENGTH), w, /[^0-9]+/)
                got = w[1] " " w[2] " " w[3]
            }
        }
        rest = line
        while (match(rest, /[0-9]+ rejected/)) {
            rejected += substr(rest, RSTART, RLENGTH - 9)
            rest = substr(rest, RSTART + RLENGTH)
        }
    }
    print san, msg, got, rejected, records(ARGV[2]), records(ARGV[3])
    exit
}
AWK

# Expand {f}, {size} and {size-N} in an expected message: NAME as given on
# the command line, PATH to measure.
expand() {
    local s=$1 f=$2 size=0
    [[ $s == *'{size'* ]] && size=$(wc -c <"$3" 2>/dev/null || echo 0)
    s=${s//\{f\}/$f}
    s=${s//\{size\}/$size}
    while [[ $s =~ \{size-([0-9]+)\} ]]; do
        s=${s//${BASH_REMATCH[0]}/$((size - BASH_REMATCH[1]))}
    done
    printf '%s' "$s"
}

bomb_rss=""
runs=0
run_case() {
    local name=$1 input=$2 c=$3 want=$4 msg=$5 counts=$6
    local kind dir f label res rc rss secs got exp c_read c_acc c_rej rej_total
    kind_of "$c"
    label="$name: $c"
    if [ "${input:0:1}" = @ ]; then
        local d=${input:1} ext
        ext=$(defect_ext "$d")
        if [ "$kind" = exercise ] && [ -f "$HD/$d$ext" ]; then
            dir=$HD
        else
            dir=$T/$kind
            mkdir -p "$dir"
            [ -f "$dir/$d$ext" ] || defect "$d" "$(base_of "$kind")" "$dir/$d$ext" ||
                { bad "$label: cannot make the input"; return; }
        fi
        f=$d$ext
    else
        dir=$HD
        f=$input
        [ -f "$HD/$f" ] || { bad "$label: no input $f"; return; }
    fi
    # A reject log of its own for each run (no rm process between runs):
    # it exists exactly when the command created it.
    runs=$((runs + 1))
    rej=$T/rej.$runs.csv
    argv_for "$c" "$f"
    case "$name" in
        gz-bomb-*)   # measured: peak memory and time
            res=$(cd "$dir" && python3 "$T/run.py" "$MEM_MB" "$TIME_LIMIT" "$T/out" "$T/err" "$CRAMPSTAT" "${argv[@]}")
            read -r rc rss secs <<<"$res"
            bomb_rss="$bomb_rss $c:${rss}kB/${secs}s" ;;
        *)
            (cd "$dir" && { [ "$MEM_MB" = 0 ] || ulimit -v $((MEM_MB * 1024)); } &&
             exec timeout -k 5 "$TIME_LIMIT" "$CRAMPSTAT" "${argv[@]}") </dev/null >"$T/out" 2>"$T/err"
            rc=$? rss=? secs=? ;;
    esac
    # What to count: the reject log when the counts are checked, the
    # output when it has a record per accepted row.
    case "$c" in filter|merge|report|rules|tag-rules) counts=- ;; esac  # no summary
    local rej_in=/dev/null out_in=/dev/null
    if [ "$counts" != - ]; then
        [ -f "$rej" ] && rej_in=$rej
        case "$c" in ingest|join|tag) [ "$rc" = 0 ] && out_in=$T/out ;; esac
    fi
    local san has_msg rej_rows out_rows sre
    summary_re "$c" "$f"
    read -r san has_msg c_read c_acc c_rej rej_total rej_rows out_rows < <(
        SUMMARY_RE=$sre awk -f "$T/post.awk" "$T/err" "$rej_in" "$out_in")
    if [ "$rc" -ge 124 ] || [ "$san" != 0 ]; then
        bad "$label: crash, timeout or sanitizer report (status $rc, ${secs}s, ${rss} kB)"
        head -5 "$T/err"
        return
    fi
    if [ "$rc" != "$want" ]; then
        bad "$label: exit $rc, expected $want"
        head -3 "$T/err"
        return
    fi
    if [ "$msg" != - ]; then
        exp=$(expand "$msg" "$f" "$dir/$f")
        if [ "${exp:0:1}" = "~" ]; then
            grep -a -q -E -- "crampstat: [a-z]+: ${exp:1}" "$T/err"
        else
            grep -a -q -F -- "crampstat: ${argv[0]}: $exp" "$T/err"
        fi || { bad "$label: no [$exp] in:"; head -3 "$T/err"; return; }
    elif [ "$want" = 0 ] && [ "$has_msg" = 1 ]; then
        bad "$label: unexpected message:"; head -3 "$T/err"; return
    fi
    if [ "$c_read" != - ] && [ "$c_read" -ne $((c_acc + c_rej)) ]; then
        bad "$label: read $c_read != accepted $c_acc + rejected $c_rej"; return
    fi
    if [ "$counts" != - ]; then
        got="$c_read/$c_acc/$c_rej"
        [ "$c_read" = - ] && got=""
        if [ "$got" != "$counts" ]; then
            bad "$label: counts [$got], expected [$counts]"; head -3 "$T/err"; return
        fi
        # Counted another way: the reject log has a record per rejected
        # row of every input (survey and exercise for join and analyze).
        if [ "$rej_in" != /dev/null ] && [ "$rej_rows" != "$rej_total" ]; then
            bad "$label: the reject log has $rej_rows rows, the summaries say $rej_total"; return
        fi
        # ... and the output a record per accepted row.
        if [ "$out_in" != /dev/null ] && [ "$out_rows" != "$c_acc" ]; then
            bad "$label: $out_rows output rows, $c_acc accepted"; return
        fi
    fi
    ok "$label"
}

# The units of work, for ctest's parts (CS_PART, tests/cli/lib.sh): each
# case of the table, then each of the sections 2 to 8 below.
unit=0
mine=0
# run_unit FUNCTION: run the next unit if it is this part's.
run_unit() {
    in_part "$unit" && { mine=$((mine + 1)); "$@"; }
    unit=$((unit + 1))
}

# ---- 1. the table ---------------------------------------------------------
ncases=0
table_case() {
    [ "$cmds" = all ] && cmds=$ALL
    for c in ${cmds//,/ }; do
        case "$c" in calories*) [ "$have_calories" = 1 ] || continue ;; esac
        run_case "$name" "$input" "$c" "$want" "$msg" "$counts"
    done
}
while IFS=$'\t' read -r name input cmds want msg counts; do
    case "$name" in ''|'#'*) continue ;; esac
    ncases=$((ncases + 1))
    run_unit table_case
done <"$HD/cases.tsv"
echo "note: $ncases hostile cases, $mine of them in this part; gzip bomb (max RSS, time):$bomb_rss"

# ---- 2. the value files: every row is accepted or rejected in the column
# its "expect" column names, and nothing else is.
value_files() {
for f in values-exercise values-survey; do
    cs ingest -q --rejects "$T/v.rej" "$HD/$f.csv" >"$T/v.out"
    check "$f: ingest exit" 0 $?
    python3 - "$HD/$f.csv" "$T/v.rej" >"$T/v.diff" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="latin-1")))
rej = {int(r["line"]): r for r in csv.DictReader(open(sys.argv[2], newline="", encoding="latin-1"))}
for line, r in enumerate(rows, 2):
    got = rej[line]["column"] if line in rej else "ok"
    if got != r["expect"]:
        print("line %d: expected %s, got %s %s" % (line, r["expect"], got, rej[line]["reason"] if line in rej else ""))
PY
    check "$f: every row as expected" "" "$(head -5 "$T/v.diff")"
done

}
run_unit value_files

# ---- 3. merge past 2^32 and 2^64 ---------------------------------------------
P=$HD/partial
merge_big() {
cs merge "$P/big-a.partial" "$P/big-b.partial" >"$T/big.partial"
check "merge past 2^32: exit" 0 $?
check "merge past 2^32: rows" "rows 6000000012 12" "$(grep '^rows' "$T/big.partial")"
check "merge past 2^32: a cell" "cell fatigue unexposed 4000000000 29999999 180000000000000" \
    "$(grep '^cell fatigue unexposed' "$T/big.partial")"
check "merge past 2^32: a pattern" "pattern 0 6000000000 60000000 0" "$(grep '^pattern' "$T/big.partial")"
cs report --format json "$T/big.partial" >"$T/big.json"
check "report past 2^32: exit" 0 $?
check_grep "report past 2^32: sessions" '"sessions": 6000000012' "$T/big.json"
cs merge "$P/big-b.partial" "$P/big-a.partial" >"$T/big2.partial"
check_file "merge past 2^32 commutes" "$T/big.partial" "$T/big2.partial"
# Another state of the same counts (the same one twice is refused as such).
sed 's/^input :shard-h.csv$/input :shard-i.csv/' "$P/huge.partial" >"$T/huge-i.partial"
cs merge "$P/huge.partial" "$T/huge-i.partial" >"$T/huge.out" 2>"$T/huge.err"
check "merge past 2^64: exit" 65 $?
check "merge past 2^64: message" \
    "crampstat: merge: huge-i.partial: cannot merge: a count overflows 64 bits when merging" \
    "$(sed "s#$T/##" "$T/huge.err")"
check "merge past 2^64: no output" 0 "$(wc -c <"$T/huge.out")"
cs merge "$P/good.partial" "$P/wrong-version.partial" >"$T/mv.out" 2>/dev/null
check "merge: a bad second state fails the merge" 65 $?
check "merge: ... and writes nothing" 0 "$(wc -c <"$T/mv.out")"
}
run_unit merge_big

# ---- 4. full disk: exit 74, and -o leaves nothing behind ---------------------
# The sample data joined and tagged, and its partial state: inputs of the
# sections 4 to 6, made by the first of them that this part runs.
S=$CS_SRC/sample-data
sample_inputs() {
    [ -s "$T/state.partial" ] && return 0
    cs join -q --survey "$S/survey.csv.gz" "$S/exercise.csv.gz" >"$T/joined.csv"
    cs tag -q "$T/joined.csv" >"$T/tagged.csv"
    cs aggregate -q --partial "$T/tagged.csv" >"$T/state.partial"
}
writers=(
    "ingest:ingest -q $S/exercise.csv.gz"
    "join:join -q --survey $S/survey.csv.gz $S/exercise.csv.gz"
    "tag:tag -q $T/joined.csv"
    "filter:filter sex=F $T/tagged.csv"
    "aggregate:aggregate -q $T/tagged.csv"
    "aggregate-partial:aggregate -q --partial $T/tagged.csv"
    "analyze:analyze -q --survey $S/survey.csv.gz --exercise $S/exercise.csv.gz"
    "merge:merge $T/state.partial"
    "report:report $T/state.partial"
)
[ "$have_calories" = 1 ] && writers+=("calories:calories -q $S/survey.csv.gz")
full_disk() {
sample_inputs
for w in "${writers[@]}"; do
    name=${w%%:*}
    read -r -a args <<<"${w#*:}"
    cs "${args[@]}" >/dev/full 2>"$T/full.err"
    check "$name > /dev/full: exit 74" 74 $?
    check_grep "$name > /dev/full: message" "No space left on device\|write failed" "$T/full.err"
done
cs rules >/dev/full 2>/dev/null
check "rules > /dev/full: exit 74" 74 $?
cs gen --participants 20 --seed 1 --out-dir "$T" --truth >/dev/full 2>/dev/null
check "gen --truth > /dev/full: exit 74" 74 $?
cs ingest -q --rejects /dev/full "$S/bad-exercise.csv" >/dev/null 2>"$T/full.err"
check "ingest --rejects /dev/full: exit 74" 74 $?
# A reject log that cannot be written fails the run, and a failed run
# leaves the old -o file as it was: the log is closed before the output
# is put in place (every command with --rejects).
rejecters=(
    "ingest:ingest -q $S/bad-exercise.csv"
    "join:join -q --survey $S/survey.csv.gz $S/exercise.csv.gz"
    "tag:tag -q $T/joined.csv"
    "aggregate:aggregate -q $T/tagged.csv"
    "analyze:analyze -q --survey $S/survey.csv.gz --exercise $S/exercise.csv.gz"
)
[ "$have_calories" = 1 ] && rejecters+=("calories:calories -q $S/survey.csv.gz")
for w in "${rejecters[@]}"; do
    name=${w%%:*}
    read -r -a args <<<"${w#*:}"
    echo old >"$T/prev.out"
    cs "${args[0]}" --rejects /dev/full -o "$T/prev.out" "${args[@]:1}" 2>"$T/full.err"
    check "$name --rejects /dev/full -o FILE: exit 74" 74 $?
    check_grep "$name --rejects /dev/full -o FILE: message" "/dev/full: write failed" "$T/full.err"
    check "$name --rejects /dev/full -o FILE: the old output stays" "old" "$(cat "$T/prev.out")"
done

# A small file system when we may mount one, else a file size limit
# (writes then fail with EFBIG, SIGXFSZ ignored): the output fails part
# way through, and -o must leave no file, not even its temporary.
mkdir -p "$T/small"
small=limit
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=256k tmpfs "$T/small" 2>/dev/null; then
    small=tmpfs
    trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT
fi
echo "note: full-disk simulation: $small"
for w in "${writers[@]}"; do
    name=${w%%:*}
    read -r -a args <<<"${w#*:}"
    # Outputs smaller than the limit cannot fail; only the big ones count.
    case "$name" in aggregate|aggregate-partial|merge|report|analyze|calories) continue ;; esac
    rm -rf "${T:?}/small/"* "${T:?}/small/".[!.]* 2>/dev/null
    if [ "$small" = tmpfs ]; then
        cs "${args[0]}" -o "$T/small/out.csv" "${args[@]:1}" 2>"$T/full.err"
    else
        (trap '' XFSZ; ulimit -f 256
         exec "$CRAMPSTAT" "${args[0]}" -o "$T/small/out.csv" "${args[@]:1}") 2>"$T/full.err"
    fi
    check "$name -o on a full disk: exit 74" 74 $?
    check "$name -o on a full disk: nothing left behind" "" "$(ls -A "$T/small")"
done
if [ "$small" = tmpfs ]; then
    cs gen --participants 2000 --seed 1 --out-dir "$T/small" 2>"$T/full.err"
    check "gen --out-dir on a full disk: exit 74" 74 $?
    umount "$T/small"
fi
}
run_unit full_disk

# ---- 4b. a rules file that is no input: 66 with the reason, as any input ----
rules_inputs() {
for c in rules tag aggregate analyze; do
    case "$c" in
        analyze) extra=(--survey "$S/survey.csv.gz" --exercise "$S/exercise.csv.gz") ;;
        *) extra=() ;;
    esac
    cs "$c" --rules "$HD/rules" "${extra[@]}" </dev/null >/dev/null 2>"$T/rules.err"
    check "$c --rules DIRECTORY: exit 66" 66 $?
    check_grep "$c --rules DIRECTORY: message" \
        "crampstat: $c: $HD/rules: cannot read the rules file: is a directory" "$T/rules.err"
    cs "$c" --rules "$T/no-such.rules" "${extra[@]}" </dev/null >/dev/null 2>"$T/rules.err"
    check "$c --rules MISSING: exit 66" 66 $?
    check_grep "$c --rules MISSING: message" \
        "crampstat: $c: $T/no-such.rules: cannot open the rules file: No such file or directory" "$T/rules.err"
done
}
run_unit rules_inputs

# ---- 5. signals: SIGTERM and SIGINT during -o leave no partial file ---------
# The input is a FIFO held open, so the command is surely mid-run when the
# signal comes; we wait until its output is open: a named temporary file,
# or an unnamed one (O_TMPFILE), seen through /proc as "DIR/#N (deleted)".
signals() {
sample_inputs
for sig in TERM INT; do
    for c in ingest join tag filter; do
        d=$T/sig-$sig-$c
        mkdir -p "$d"
        mkfifo "$d/in.fifo"
        # join reads exercise rows (a joined file is refused by it)
        src=$T/joined.csv
        [ "$c" = join ] && src=$T/exercise.csv
        [ -s "$T/exercise.csv" ] || gzip -dc "$S/exercise.csv.gz" > "$T/exercise.csv"
        ( exec 3>"$d/in.fifo"; head -n 3 "$src" >&3; sleep 30 ) &
        writer=$!
        case "$c" in
            ingest) argv=(ingest -q -o "$d/out.csv" "$d/in.fifo") ;;
            join) argv=(join -q --survey "$S/survey.csv.gz" -o "$d/out.csv" "$d/in.fifo") ;;
            tag) argv=(tag -q -o "$d/out.csv" "$d/in.fifo") ;;
            filter) argv=(filter -o "$d/out.csv" 'sex = F' "$d/in.fifo") ;;
        esac
        # A background job of a script starts with SIGINT ignored, and
        # crampstat leaves an ignored signal ignored (nohup): give it the
        # default, as a terminal's foreground job has.
        ( trap - INT; exec "$CRAMPSTAT" "${argv[@]}" ) 2>"$T/sig.err" &
        pid=$!
        for _ in $(seq 100); do
            ls -A "$d" | grep -q '^\.out\.csv\.' && break
            ls -l "/proc/$pid/fd" 2>/dev/null | grep -q -F -- "$d/#" && break
            sleep 0.05
        done
        sleep 0.2  # the handler is installed just after the file is made
        kill -"$sig" "$pid"
        wait "$pid"
        rc=$?
        kill "$writer" 2>/dev/null
        wait "$writer" 2>/dev/null
        check "SIG$sig during $c -o: killed by it" "$((128 + $(kill -l "$sig")))" "$rc"
        check "SIG$sig during $c -o: nothing left behind" "in.fifo" "$(ls -A "$d" | tr '\n' ' ' | sed 's/ $//')"
    done
done
}
run_unit signals

# ---- 6. a closed downstream pipe ends quietly --------------------------------
closed_pipe() {
sample_inputs
for w in "ingest:ingest -q $S/exercise.csv.gz" \
         "join:join -q --survey $S/survey.csv.gz $S/exercise.csv.gz" \
         "tag:tag -q $T/joined.csv" "filter:filter sex=F $T/tagged.csv"; do
    name=${w%%:*}
    read -r -a args <<<"${w#*:}"
    cs "${args[@]}" 2>"$T/pipe.err" | head -n 1 >/dev/null
    rc=${PIPESTATUS[0]}
    check "$name | head -1: quiet" "" "$(cat "$T/pipe.err")"
    check "$name | head -1: SIGPIPE or success" 1 "$([ "$rc" = 141 ] || [ "$rc" = 0 ] && echo 1)"
done

}
run_unit closed_pipe

# ---- 7. CSV injection: --safe-csv -------------------------------------------
safe_csv() {
# Text cells starting with = + - @ get a leading ' (inside the quotes);
# numbers such as -2 and +5 stay as they are.
F=$HD/injection.csv
cs ingest -q --safe-csv "$F" >"$T/inj.safe"
check_file "ingest --safe-csv" "$HD/injection.safe.expected" "$T/inj.safe"
cs ingest -q "$F" >"$T/inj.plain"
check "ingest without --safe-csv keeps the cells" "" \
    "$(grep -c "'" "$T/inj.plain" | sed 's/^0$//')"
cs filter --safe-csv 'participant_id is not empty' "$F" >"$T/inj.filter"
# filter passes cells untrimmed: " =1" starts with a blank and stays.
grep -v ',I011,' "$HD/injection.safe.expected" >"$T/inj.filter.expected"
grep -v ',I011,' "$T/inj.filter" >"$T/inj.filter.cmp"
check_file "filter --safe-csv" "$T/inj.filter.expected" "$T/inj.filter.cmp"
cs join -q --safe-csv --survey "$HD/base-survey.csv" "$F" >"$T/inj.join"
check_grep "join --safe-csv" "^P0000001,I006,[^,]*,\"'=HYPERLINK" "$T/inj.join"
check_grep "join --safe-csv: -2 stays" "^P0000001,I003,[^,]*,-2," "$T/inj.join"
cs join -q --survey "$HD/base-survey.csv" "$F" | cs tag -q --safe-csv >"$T/inj.tag"
check_grep "tag --safe-csv" "^P0000001,I004,[^,]*,\"'@SUM(A1)\"," "$T/inj.tag"
check_grep "tag --safe-csv: +5 stays" "^P0000001,I008,[^,]*,+5," "$T/inj.tag"
# Report tables: a --by column whose name starts with = and holds a comma.
awk -F, 'NR == 1 { print $0 ",\"=c,d\""; next } { print $0 ",v" }' "$T/base-tagged.csv" >"$T/inj-tagged.csv"
cs aggregate -q --by '=c,d' --format csv --safe-csv "$T/inj-tagged.csv" >"$T/inj-report.csv"
check_grep "aggregate --safe-csv --format csv: quote inside the quotes" "^stratum,fatigue,\"'=c,d=v\"," "$T/inj-report.csv"
cs aggregate -q --by '=c,d' --format tsv --safe-csv "$T/inj-tagged.csv" >"$T/inj-report.tsv"
check_grep "aggregate --safe-csv --format tsv" "^stratum	fatigue	'=c,d=v	" "$T/inj-report.tsv"
python3 - "$T/inj-report.csv" >"$T/inj-report.cols" <<'PY'
import csv, sys
print(sorted({len(r) for r in csv.reader(open(sys.argv[1], newline=""))}))
PY
check "aggregate --safe-csv --format csv: one column count (RFC 4180)" \
    "$(cs aggregate -q --by '=c,d' --format csv "$T/inj-tagged.csv" | python3 -c 'import csv,sys; print(sorted({len(r) for r in csv.reader(sys.stdin)}))')" \
    "$(cat "$T/inj-report.cols")"

}
run_unit safe_csv

# ---- 8. RFC 4180 quoting survives a round trip -------------------------------
quoting() {
printf 'participant_id,note\nP1,"a,b"\nP2,"say ""hi"""\nP3,"two\nlines"\nP4,"cr\rhere"\nP5, lead\nP6,plain\n' >"$T/q.csv"
cs ingest -q --schema any "$T/q.csv" >"$T/q.out"
python3 - "$T/q.csv" "$T/q.out" <<'PY' >"$T/q.diff"
import csv, sys
a = list(csv.reader(open(sys.argv[1], newline="")))
b = list(csv.reader(open(sys.argv[2], newline="")))
print("" if a == b else "%r != %r" % (a, b))
PY
check "CSV quoting round-trips" "" "$(cat "$T/q.diff")"
cs ingest -q --schema any "$T/q.out" >"$T/q.out2"
check_file "CSV quoting is stable" "$T/q.out" "$T/q.out2"
}
run_unit quoting

finish
