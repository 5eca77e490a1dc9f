# Sourced by the tests/bench/ scripts: settings, the crampstat build, the
# data sets and small helpers. Nothing here times anything.
#
# Environment:
#   BENCH_DIR   where data, builds and results go (default /tmp/crampstat-bench)
#   CRAMPSTAT   use this binary instead of building one
#   QUICK=1     1M sessions instead of 5M, fewer runs, a shorter memory curve
#   WARMUP, RUNS        hyperfine runs for the fast commands
#   SLOW_RUNS           hyperfine runs for the slow anchors (Miller)
#   NO_INSTALL=1        never apt-get / npm install missing tools

set -euo pipefail
export LC_ALL=C

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_SRC/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/crampstat-bench}
QUICK=${QUICK:-0}
RESULTS=$BENCH_DIR/results
DATA=$BENCH_DIR/data
ANCHORS=$BENCH_SRC/anchors
mkdir -p "$BENCH_DIR" "$RESULTS" "$DATA"

if [ "$QUICK" = 1 ]; then
    MAIN_PARTICIPANTS=${MAIN_PARTICIPANTS:-40000}   # ~1M sessions
    WARMUP=${WARMUP:-0}
    RUNS=${RUNS:-2}
    SLOW_RUNS=${SLOW_RUNS:-1}
    CURVE_SIZES=${CURVE_SIZES:-"1 5"}               # millions of sessions
else
    MAIN_PARTICIPANTS=${MAIN_PARTICIPANTS:-200000}  # ~5M sessions
    WARMUP=${WARMUP:-0}
    RUNS=${RUNS:-3}
    SLOW_RUNS=${SLOW_RUNS:-1}
    CURVE_SIZES=${CURVE_SIZES:-"1 5 10 20"}
fi
TIMEV=/usr/bin/time

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# The load average, to print beside timings: other users of the machine
# inflate wall times, not instruction counts.
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

ensure_tools() {
    local missing=() t
    for t in hyperfine mlr datamash node igzip taskset; do
        command -v "$t" >/dev/null || missing+=("$t")
    done
    [ -x "$TIMEV" ] || missing+=(time)
    command -v valgrind >/dev/null || missing+=(valgrind)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "${NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing from Debian: ${missing[*]}"
        local pkgs=() m
        for m in "${missing[@]}"; do
            case $m in
                mlr) pkgs+=(miller) ;;
                node) pkgs+=(nodejs npm) ;;
                igzip) pkgs+=(isal) ;;
                taskset) pkgs+=(util-linux) ;;
                *) pkgs+=("$m") ;;
            esac
        done
        apt-get update -qq && apt-get install -y -qq "${pkgs[@]}" >/dev/null
    else
        die "missing tools: ${missing[*]} (apt-get install hyperfine miller datamash time valgrind nodejs npm isal)"
    fi
}

# DuckDB through npm's @duckdb/node-api, installed in tests/bench/duckdb/.
# Sets HAVE_DUCKDB=1 when a query runs.
HAVE_DUCKDB=0
ensure_duckdb() {
    local dir=$BENCH_SRC/duckdb
    if [ ! -d "$dir/node_modules/@duckdb/node-api" ] && [ "${NO_INSTALL:-0}" != 1 ]; then
        log "npm install @duckdb/node-api (in $dir)"
        (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2) ||
            log "npm install failed: the DuckDB anchors are left out"
    fi
    if printf 'SELECT 1 AS ok;\n' > "$BENCH_DIR/duckdb-check.sql" &&
       node "$dir/query.mjs" "$BENCH_DIR/duckdb-check.sql" >/dev/null 2>&1; then
        HAVE_DUCKDB=1
    else
        log "DuckDB (@duckdb/node-api) does not run here: its anchors are left out"
    fi
}
DUCKQ="node $BENCH_SRC/duckdb/query.mjs"

# An optimized crampstat, built from a snapshot of the work tree taken now
# ($BENCH_DIR/src: CMakeLists.txt, src/, include/), so that edits made
# during a run change neither the binary nor the profile build (profile.sh
# builds the same snapshot with -g). The binary is $BENCH_DIR/bin/crampstat;
# $BENCH_DIR/bin/crampstat.source says which commit it came from.
# build_release SRC BUILD: crampstat from the sources in SRC, as the
# benchmarks time it (Release, no tests), in BUILD; make's output in
# BUILD.log. A build tree of other sources is the caller's to remove.
build_release() {
    cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DCS_BUILD_TESTS=OFF >/dev/null &&
        make -C "$2" -j"$(nproc)" crampstat > "$2.log" 2>&1
}

ensure_crampstat() {
    if [ -n "${CRAMPSTAT:-}" ]; then
        [ -x "$CRAMPSTAT" ] || die "CRAMPSTAT=$CRAMPSTAT is not executable"
        return 0
    fi
    local b=$BENCH_DIR/build s=$BENCH_DIR/src try
    for try in 1 2 3; do
        rm -rf "$s"; mkdir -p "$s"
        cp -r "$REPO/CMakeLists.txt" "$REPO/src" "$REPO/include" "$s/"
        local rev; rev="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
        git -C "$REPO" diff --quiet HEAD -- CMakeLists.txt src include 2>/dev/null ||
            rev="$rev + uncommitted changes to src/ or include/"
        # a build tree configured for another source directory is refused
        grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$s" "$b/CMakeCache.txt" 2>/dev/null || rm -rf "$b"
        if build_release "$s" "$b"; then
            mkdir -p "$BENCH_DIR/bin"
            cp "$b/crampstat" "$BENCH_DIR/bin/crampstat.new"
            mv "$BENCH_DIR/bin/crampstat.new" "$BENCH_DIR/bin/crampstat"
            echo "git $rev, built $(date -u '+%Y-%m-%d %H:%M UTC')" > "$BENCH_DIR/bin/crampstat.source"
            CRAMPSTAT=$BENCH_DIR/bin/crampstat
            return 0
        fi
        log "build failed (see $b.log); retrying in 60 s"
        sleep 60
    done
    die "cannot build crampstat"
}

# gen_data NAME PARTICIPANTS [GEN OPTION]...: $DATA/NAME/{survey,exercise}.csv.gz,
# made again only when the arguments or the binary's version change.
gen_data() {
    local name=$1 n=$2; shift 2
    local dir=$DATA/$name stamp
    stamp="$("$CRAMPSTAT" --version 2>&1 | head -1) --participants $n --seed 1 $*"
    if [ -f "$dir/exercise.csv.gz" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    mkdir -p "$dir"
    log "crampstat gen --participants $n --seed 1 $* --out-dir $dir"
    "$CRAMPSTAT" gen --participants "$n" --seed 1 "$@" --out-dir "$dir"
    printf '%s\n' "$stamp" > "$dir/.stamp"
    rm -f "$dir/tagged.csv" "$dir/.sizes"
}

# ensure_tagged NAME: $DATA/NAME/tagged.csv, the output of ingest | join |
# tag, made again when the binary changes.
ensure_tagged() {
    local dir=$DATA/$1 sum
    sum=$(md5sum < "$CRAMPSTAT")
    [ -s "$dir/tagged.csv" ] && [ "$(cat "$dir/.tagged" 2>/dev/null)" = "$sum" ] && return 0
    log "tagging $dir (ingest | join | tag > tagged.csv)"
    "$CRAMPSTAT" ingest -q --schema exercise "$dir/exercise.csv.gz" |
        "$CRAMPSTAT" join -q --survey "$dir/survey.csv.gz" |
        "$CRAMPSTAT" tag -q > "$dir/tagged.csv.tmp"
    mv "$dir/tagged.csv.tmp" "$dir/tagged.csv"
    echo "$sum" > "$dir/.tagged"
}

# sizes NAME: prints "sessions uncompressed_bytes compressed_bytes" of the
# exercise file (cached).
sizes() {
    local dir=$DATA/$1
    if [ ! -s "$dir/.sizes" ]; then
        local lines bytes
        read -r lines bytes < <(gzip -dc "$dir/exercise.csv.gz" | wc -lc)
        echo "$((lines - 1)) $bytes $(stat -c %s "$dir/exercise.csv.gz")" > "$dir/.sizes"
    fi
    cat "$dir/.sizes"
}

# The main data set (MAIN_PARTICIPANTS participants), made when missing:
# sets NAME, D (its folder), EX and SV (its exercise and survey files),
# SESSIONS, EX_BYTES and EX_GZ (sizes).
main_data() {
    NAME=p$MAIN_PARTICIPANTS
    gen_data "$NAME" "$MAIN_PARTICIPANTS"
    D=$DATA/$NAME
    EX=$D/exercise.csv.gz SV=$D/survey.csv.gz
    read -r SESSIONS EX_BYTES EX_GZ < <(sizes "$NAME")
}

# Read the files once so that every timed command finds them in the page
# cache (the machine has 24 GiB; the 5M-session data is under 2 GB).
prime_cache() { cat "$@" > /dev/null; }

# target_cmd ID BINARY: the command line of a target of the second step
# (ingest, analyze or the four-stage chain), run by BINARY on $EX and $SV:
# what paired.sh and ab.sh time. TARGET_NAME: their names in the tables.
target_cmd() {
    local c=$2
    case $1 in
        ingest) echo "$c ingest -q --schema exercise $EX > /dev/null" ;;
        analyze) echo "$c analyze -q --survey $SV --exercise $EX > /dev/null" ;;
        chain) echo "$c ingest -q --schema exercise $EX | $c join -q --survey $SV | $c tag -q | $c aggregate -q > /dev/null" ;;
        *) die "target_cmd: no target $1" ;;
    esac
}
declare -A TARGET_NAME=(
    [ingest]="crampstat ingest" [analyze]="crampstat analyze"
    [chain]="ingest | join | tag | aggregate"
)

# seconds CMD: wall time of one run of CMD (a shell string, pipefail on),
# in seconds (nanosecond clock); a failure ends the script.
seconds() {
    local a z
    a=$(date +%s%N)
    bash --norc -o pipefail -c "$1" || die "failed: $1"
    z=$(date +%s%N)
    echo "$(( (z - a) / 1000000 ))" | awk '{ printf "%.3f", $1 / 1000 }'
}

# summary [FORMAT]: the median and range of the numbers on standard input,
# one a line, as "MEDIAN<TAB>MIN-MAX" (each with FORMAT, default %.2f).
summary() {
    sort -g | awk -v f="${1:-%.2f}" '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf f "\t" f "-" f "\n", m, v[1], v[NR] }'
}

# hyperfine_csv NAME -n LABEL CMD...: one hyperfine invocation of the
# commands (bash, WARMUP and RUNS), its results in $RESULTS/NAME.csv; sets
# before and after, the load averages around it.
hyperfine_csv() {
    local name=$1; shift
    before=$(loadavg)
    hyperfine --style basic --shell bash --warmup "$WARMUP" --runs "$RUNS" \
        --export-csv "$RESULTS/$name.csv" "$@" >&2
    after=$(loadavg)
}

# anchored_table NAME ONE_CORE_RE: $RESULTS/NAME.csv as a markdown table
# (command, wall, × gzip -dc, CPU = user + system), a row whose label
# matches the awk pattern ONE_CORE_RE taken over "gzip -dc (one core)",
# any other over "gzip -dc".
anchored_table() {
    echo "| command | wall | × gzip -dc | CPU |"
    echo "|---|---:|---:|---:|"
    awk -F, -v one="$2" 'NR > 1 { gsub(/"/, ""); n[NR] = $1; m[$1] = $2; c[$1] = $5 + $6 }
        END { for (i = 2; i in n; i++) {
                  g = n[i] ~ one ? "gzip -dc (one core)" : "gzip -dc"
                  printf "| %s | %.2f s | %.2f | %.2f s |\n", n[i], m[n[i]], m[n[i]] / m[g], c[n[i]] } }' \
        "$RESULTS/$1.csv"
}

# peak_rss CMD: run CMD (a shell string, pipefail on) in which every '@T@'
# marks a process to measure; prints "SUM_KB MAX_KB N" over those processes
# (the peak RSS of each, from GNU time's %M; summed over a pipeline's
# stages since they run at once). Standard output of CMD is discarded.
peak_rss() {
    local f; f=$(mktemp "$BENCH_DIR/rss.XXXXXX")
    local cmd=${1//@T@/$TIMEV -a -o $f -f %M}
    bash -o pipefail -c "$cmd" > /dev/null || { rm -f "$f"; die "failed: $1"; }
    awk '/^[0-9]+$/ { s += $1; if ($1 > m) m = $1; n++ } END { print s, m, n }' "$f"
    rm -f "$f"
}

# machine: the machine's description, as markdown lines.
machine() {
    local cpu mem deb cc
    cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
    mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    deb=$(cat /etc/debian_version 2>/dev/null || echo '?')
    cc=$(cc --version 2>/dev/null | head -1)
    echo "- nproc: $(nproc); CPU: $cpu ($(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') MHz)"
    echo "- memory: $mem; Debian $deb; kernel $(uname -r)"
    echo "- compiler: $cc; build: CMAKE_BUILD_TYPE=Release (-O3)"
    echo "- $(hyperfine --version), $(mlr --version), $(datamash --version | head -1), node $(node --version), zlib $(zlib_version)"
    if [ "$HAVE_DUCKDB" = 1 ]; then
        echo "- DuckDB $($DUCKQ "$BENCH_SRC/anchors/duckdb-version.sql" | tail -1) via npm @duckdb/node-api"
    fi
    echo "- $("$CRAMPSTAT" --version 2>&1 | head -1): $(cat "$(dirname "$CRAMPSTAT")/crampstat.source" 2>/dev/null || echo "$CRAMPSTAT")"
}

zlib_version() {
    dpkg-query -W -f '${Version}' zlib1g 2>/dev/null || echo '?'
}
