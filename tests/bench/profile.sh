#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind), stable on a noisy
# machine, on ~200k sessions (crampstat gen --participants 8000): totals for
# gzip -dc, ingest, analyze (both ways) and each stage of the piped chain,
# and the top functions of ingest, analyze and tag. crampstat is built
# again with -g (Release flags otherwise) in $BENCH_DIR/build-prof, from the
# source snapshot the timed binary was built from ($BENCH_DIR/src).
# Writes $BENCH_DIR/results/profile.md and prints it.
source "$(dirname "$0")/common.sh"

ensure_tools
ensure_crampstat     # for gen
PP=${PROFILE_PARTICIPANTS:-8000}
TOP=${TOP:-15}

b=$BENCH_DIR/build-prof
src=$REPO
[ -f "$BENCH_DIR/src/CMakeLists.txt" ] && src=$BENCH_DIR/src   # the snapshot of ensure_crampstat
grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$src" "$b/CMakeCache.txt" 2>/dev/null || rm -rf "$b"
cmake -S "$src" -B "$b" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g \
      -DCS_BUILD_TESTS=OFF >/dev/null
make -C "$b" -j"$(nproc)" crampstat > "$b.log" 2>&1 || die "profile build failed: $b.log"
mkdir -p "$BENCH_DIR/bin"
cp "$b/crampstat" "$BENCH_DIR/bin/crampstat-g"
G=$BENCH_DIR/bin/crampstat-g

gen_data p$PP "$PP"
D=$DATA/p$PP EX=$DATA/p$PP/exercise.csv.gz SV=$DATA/p$PP/survey.csv.gz
read -r sessions bytes _ < <(sizes "p$PP")
P=$BENCH_DIR/profile
rm -rf "$P"; mkdir -p "$P"
# The stages' inputs, made natively.
"$G" ingest -q --schema exercise "$EX" > "$P/ingested.csv"
"$G" join -q --survey "$SV" "$P/ingested.csv" > "$P/joined.csv"
"$G" tag -q "$P/joined.csv" > "$P/tagged.csv"

# cg NAME CMD...: one callgrind run; prints the total Ir.
cg() {
    local name=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$P/callgrind.$name" "$@" \
        > /dev/null 2> "$P/valgrind.$name.log" || die "callgrind $name failed: $P/valgrind.$name.log"
    callgrind_annotate "$P/callgrind.$name" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}
log "callgrind on $sessions sessions"
declare -A IR
IR[gzip]=$(cg gzip gzip -dc "$EX")
IR[ingest]=$(cg ingest "$G" ingest -q --schema exercise "$EX")
IR[analyze]=$(cg analyze "$G" analyze -q --survey "$SV" --exercise "$EX")
IR[analyze_u]=$(cg analyze_u "$G" analyze -q --assume-unique-ids --survey "$SV" --exercise "$EX")
IR[join]=$(cg join "$G" join -q --survey "$SV" "$P/ingested.csv")
IR[tag]=$(cg tag "$G" tag -q "$P/joined.csv")
IR[aggregate]=$(cg aggregate "$G" aggregate -q "$P/tagged.csv")
chain=$((IR[ingest] + IR[join] + IR[tag] + IR[aggregate]))

# top NAME [yes]: the TOP functions by self Ir (by inclusive Ir with
# "yes", leaving out the start-up frames that hold everything: the loader,
# libc's start, main and the command's own entry point).
top() {
    echo "| Ir | % | function |"
    echo "|---:|---:|---|"
    callgrind_annotate --inclusive="${2:-no}" "$P/callgrind.$1" 2>/dev/null |
        grep -v -e 'ld-linux' -e '(below main)' -e '__libc_start_main' -e ':main \[' -e 'cli/cmd_[a-z]*\.c:cmd_' |
        awk -v top="$TOP" '
            /file:function/ { on = 1; getline; next }
            on && n < top && match($0, /^ *[0-9,]+ +\( *[0-9.]+%\) +/) {
                head = substr($0, 1, RLENGTH); fn = substr($0, RLENGTH + 1)
                match(head, /[0-9,]+/); ir = substr(head, RSTART, RLENGTH)
                match(head, /[0-9.]+%/); pct = substr(head, RSTART, RLENGTH)
                obj = ""
                if (match(fn, / \[[^]]*\]$/)) {
                    obj = substr(fn, RSTART + 2, RLENGTH - 3); fn = substr(fn, 1, RSTART - 1)
                    sub(/^.*\//, "", obj)
                }
                sub(/^.*\/(src|include)\//, "", fn)
                sub(/^.*\/sysdeps\/.*:/, "", fn)
                sub(/^\.\/.*\//, "", fn)
                if (fn ~ /^\?\?\?:0x/) fn = "no symbol at " substr(fn, 5)
                if (obj != "" && obj !~ /^crampstat/) fn = fn " (" obj ")"
                print "| " ir " | " pct " | " fn " |"; n++
            }'
}

ratio() { awk -v a="$1" -v b="${IR[gzip]}" 'BEGIN { printf "%.2f", a / b }'; }
perrow() { awk -v a="$1" -v s="$sessions" 'BEGIN { printf "%.0f", a / s }'; }
{
    echo "### Instruction counts (callgrind) on $sessions sessions ($bytes bytes of CSV)"
    echo
    echo "| command | Ir | Ir per session | × gzip -dc |"
    echo "|---|---:|---:|---:|"
    for k in gzip ingest analyze analyze_u join tag aggregate; do
        case $k in
            gzip) label="gzip -dc" ;;
            analyze_u) label="analyze --assume-unique-ids" ;;
            join|tag|aggregate) label="$k (stage of the chain, from a file)" ;;
            *) label=$k ;;
        esac
        echo "| $label | ${IR[$k]} | $(perrow "${IR[$k]}") | $(ratio "${IR[$k]}") |"
    done
    echo "| ingest + join + tag + aggregate (the piped chain) | $chain | $(perrow "$chain") | $(ratio "$chain") |"
    echo
    for k in ingest analyze tag; do
        echo "#### Top $TOP functions of \`$k\` by self Ir (callgrind_annotate --inclusive=no)"
        echo
        top "$k"
        echo
        echo "#### Top $TOP functions of \`$k\` by inclusive Ir (callees included; start-up frames left out)"
        echo
        top "$k" yes
        echo
    done
    echo "Files: $P/callgrind.* (open with callgrind_annotate or kcachegrind)."
} > "$RESULTS/profile.md"
cat "$RESULTS/profile.md"
