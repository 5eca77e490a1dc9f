#!/usr/bin/env bash
# A long fuzzing campaign: every harness (or FUZZ_ONLY) for HOURS hours
# (a fraction is fine: 0.5 is 30 minutes), up to -j at a time, each from a
# copy of its kept corpus in tests/fuzz/corpus/<name>/. Afterwards each
# harness's corpus is merged into the kept one and minimised with
# libFuzzer's -merge=1: the named seeds (files whose names are not a
# libFuzzer SHA-1) stay, and of the rest only the inputs that add
# coverage to them are kept, under their SHA-1 names.
#
#   bash tests/fuzz/campaign.sh [-j JOBS] HOURS
#   nice -n 19 bash tests/fuzz/campaign.sh -j 7 0.5   # on a shared machine
#
# Per harness it writes OUT/<name>.log (libFuzzer's output, with its cov:
# and ft: lines), and OUT/summary.txt gets one line each: executions,
# executions per second of wall time and of CPU time, the last cov and
# ft, the kept corpus before and after (files, bytes), crashes. A crash,
# leak, sanitizer report, 10 s hang or 2 GB input fails the campaign
# (exit 1); its input stays in OUT/<name>/artifacts/ and is copied into
# tests/fuzz/regressions/<name>/ (commit it with the fix). A harness that
# crashed does not touch the kept corpus.
#
#   FUZZ_ONLY="csv gzip"   a subset     FUZZ_BUILD=build-fuzz   build dir
#   FUZZ_OUT=DIR           output (default FUZZ_BUILD/campaign-DATE)
#   FUZZ_MERGE=0           leave tests/fuzz/corpus alone
set -uo pipefail
cd "$(dirname "$0")/../.."

usage() { echo "usage: $0 [-j JOBS] HOURS" >&2; exit 64; }
jobs=1
while getopts j: opt; do
    case $opt in
        j) jobs=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
hours=$1
secs=$(awk -v h="$hours" 'BEGIN { if (h !~ /^[0-9]*\.?[0-9]+$/ || h <= 0) exit 1;
                                  s = int(h * 3600 + 0.5); print s < 1 ? 1 : s }') ||
    { echo "campaign: HOURS must be a positive number, not '$hours'" >&2; exit 64; }
case $jobs in ''|*[!0-9]*|0) usage ;; esac

build=${FUZZ_BUILD:-build-fuzz}
names=${FUZZ_ONLY:-"gzip csv scan rules filter partial join fixed"}
out=${FUZZ_OUT:-$build/campaign-$(date -u +%Y%m%d-%H%M%S)}
cc=${FUZZ_CC:-clang}

command -v "$cc" >/dev/null || { echo "campaign: $cc not found (install clang libclang-rt-14-dev)" >&2; exit 69; }
CC=$cc cmake -S . -B "$build" -DCS_FUZZ=ON -DCS_SANITIZE=OFF -DCS_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null || exit 1
targets=()
for n in $names; do targets+=(--target "fuzz_$n"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}" >/dev/null || exit 1
mkdir -p "$out" || exit 73
out=$(cd "$out" && pwd)

# A 16 MB quarantine, not 256: freed memory is reused while it is still
# mapped, instead of every input faulting in fresh pages (twice the
# executions a CPU-second for fuzz_gzip and fuzz_join). One input frees
# far less, so a use after free within an input is still caught.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:quarantine_size_mb=16}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "campaign: $names, ${secs}s each, $jobs at a time, in $out"

files_bytes() {   # "FILES files, BYTES bytes" of the regular files in $1
    find "$1" -maxdepth 1 -type f ! -name 'README*' -printf '%s\n' 2>/dev/null |
        awk '{ n++; b += $1 } END { printf "%d files, %d bytes", n, b }'
}
is_hash() { [[ ${1##*/} =~ ^[0-9a-f]{40}$ ]]; }

run_one() {
    local n=$1 dir="$out/$1" TIMEFORMAT='%U %S'
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp tests/fuzz/corpus/"$n"/* "$dir/corpus/" 2>/dev/null
    { time "$build/tests/fuzz/fuzz_$n" "$dir/corpus" -max_total_time="$secs" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" >"$out/$n.log" 2>&1
      echo $? >"$dir/rc"; } 2>"$dir/cpu"
}

pids=()
for n in $names; do
    run_one "$n" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait

failed=0
: >"$out/summary.txt"
for n in $names; do
    dir="$out/$n" log="$out/$n.log" kept="tests/fuzz/corpus/$n"
    rc=$(cat "$dir/rc" 2>/dev/null || echo '?')
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1)
    crashes=$(find "$dir/artifacts" -type f | wc -l)
    rates=$(awk -v e="${execs:-0}" -v s="$secs" '{ c = $1 + $2;
        printf "%d exec/s, %d exec per CPU-second, %.0f CPU-seconds",
               e / s, (c > 0 ? e / c : 0), c }' "$dir/cpu" 2>/dev/null)
    before=$(files_bytes "$kept")
    after=$before
    if [ "$rc" != 0 ] || [ "$crashes" -gt 0 ]; then
        failed=1
        mkdir -p "tests/fuzz/regressions/$n"
        for a in "$dir"/artifacts/*; do
            [ -f "$a" ] || continue
            cp "$a" "tests/fuzz/regressions/$n/"
            echo "FAIL: campaign: $n: kept $(basename "$a") in tests/fuzz/regressions/$n/"
        done
        grep -A30 -m1 -E '^==[0-9]+==ERROR|runtime error|deadly signal|ERROR: libFuzzer' "$log" | head -40
    elif [ "${FUZZ_MERGE:-1}" != 0 ]; then
        # Named seeds first, then every hashed input of the kept corpus
        # and of the campaign's: only those adding coverage join them.
        merged="$dir/merged" pool="$dir/pool"
        mkdir -p "$merged" "$pool"
        for f in "$kept"/* "$dir"/corpus/*; do
            [ -f "$f" ] || continue
            if is_hash "$f" || [ "${f%/*}" != "$kept" ]; then
                cp "$f" "$pool/"
            else
                cp "$f" "$merged/"
            fi
        done
        if "$build/tests/fuzz/fuzz_$n" -merge=1 -timeout=10 -rss_limit_mb=2048 \
               -max_len=65536 "$merged" "$pool" >"$dir/merge.log" 2>&1; then
            mkdir -p "$kept"
            for f in "$kept"/*; do is_hash "$f" && rm -f "$f"; done
            for f in "$merged"/*; do is_hash "$f" && cp "$f" "$kept/"; done
            after=$(files_bytes "$kept")
        else
            echo "FAIL: campaign: $n: the merge failed (see $dir/merge.log)"
            failed=1
        fi
    fi
    echo "$n: ${secs}s, ${execs:-?} executions ($rates), ${cov:-cov: ?}, ${ft:-ft: ?}, kept corpus $before before, $after after, crashes $crashes, exit $rc" |
        tee -a "$out/summary.txt"
done
[ "$failed" -eq 0 ] && echo "campaign: all harnesses ran clean" || echo "campaign: FAILED"
exit "$failed"
