#!/usr/bin/env bash
# Build the libFuzzer harnesses with clang (ASan + UBSan), replay every
# kept crash, then fuzz each harness for FUZZ_SECONDS (default 20: nine
# harnesses make under 3 minutes on one core) from a copy of its kept corpus. A crash
# fails the run and is copied into tests/fuzz/regressions/<name>/ so that
# it is replayed from then on (commit it together with the fix). Each
# harness reports its executions, executions per second of wall time and
# per second of CPU time (the machine may be shared), coverage and
# features. For long runs that grow the kept corpus, see campaign.sh.
#
#   FUZZ_SECONDS=20  seconds per harness     FUZZ_BUILD=build-fuzz  build dir
#   FUZZ_ONLY="csv gzip"  a subset           FUZZ_JOBS=1  parallel harnesses
#   FUZZ_BUILD_ONLY=1  build the harnesses and stop (tests/run.sh builds
#                      them early, beside other stages)
set -uo pipefail
cd "$(dirname "$0")/../.."
src=$(pwd)
secs=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD:-build-fuzz}
names=${FUZZ_ONLY:-"gzip csv scan rules filter partial join fixed decimal"}
jobs=${FUZZ_JOBS:-1}
cc=${FUZZ_CC:-clang}

command -v "$cc" >/dev/null || { echo "fuzz: $cc not found (install clang libclang-rt-14-dev)" >&2; exit 1; }
CC=$cc cmake -S . -B "$build" -DCS_FUZZ=ON -DCS_SANITIZE=OFF -DCS_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null || exit 1
targets=()
for n in $names; do targets+=(--target "fuzz_$n"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}" >/dev/null || exit 1
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# A 16 MB quarantine, not 256: freed memory is reused while it is still
# mapped, instead of every input faulting in fresh pages (twice the
# executions a CPU-second for fuzz_gzip and fuzz_join). One input frees
# far less, so a use after free within an input is still caught.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:quarantine_size_mb=16}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# 1. Replay: the seeds and every kept crash must run clean. The harnesses
# replay side by side, FUZZ_JOBS at a time; the results are shown in order.
replay_one() {
    local n=$1 f files=()
    for f in tests/fuzz/corpus/$n/* tests/fuzz/regressions/$n/*; do
        [ -f "$f" ] && [ "${f##*/}" != README ] && files+=("$f")
    done
    echo "${#files[@]}" >"$work/replay-$n.count"
    "$build/tests/fuzz/fuzz_$n" -rss_limit_mb=2048 "${files[@]}" >"$work/replay-$n.log" 2>&1
    echo $? >"$work/replay-$n.rc"
}
pids=()
for n in $names; do
    replay_one "$n" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
for n in $names; do
    if [ "$(cat "$work/replay-$n.rc")" = 0 ]; then
        echo "fuzz: $n: replayed $(cat "$work/replay-$n.count") seeds and regressions: ok"
    else
        echo "FAIL: fuzz: $n: a seed or a regression fails:"
        tail -40 "$work/replay-$n.log"
        failed=1
    fi
done

# 2. Fuzz. -max_total_time bounds the run; -timeout flags a single input
# that takes over 10 s (a hang); -rss_limit_mb an input that eats memory.
run_one() {
    local n=$1 dir="$work/$1"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp tests/fuzz/corpus/"$n"/* "$dir/corpus/" 2>/dev/null
    local TIMEFORMAT='%U %S'
    { time "$build/tests/fuzz/fuzz_$n" "$dir/corpus" -max_total_time="$secs" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" >"$dir/log" 2>&1
      echo $? >"$dir/rc"; } 2>"$dir/cpu"
}
pids=()
for n in $names; do
    run_one "$n" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
for n in $names; do
    dir="$work/$n"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1)
    ft=$(grep -o 'ft: [0-9]*' "$dir/log" | tail -1)
    corp=$(ls "$dir/corpus" | wc -l)
    crashes=$(ls "$dir/artifacts" | wc -l)
    rates=$(awk -v e="${execs:-0}" -v s="$secs" '{ c = $1 + $2;
        printf "%d exec/s, %d exec per CPU-second", e / s, (c > 0 ? e / c : 0) }' \
        "$dir/cpu" 2>/dev/null)
    echo "fuzz: $n: ${secs}s, ${execs:-?} executions ($rates), ${cov:-cov: ?}, ${ft:-ft: ?}, corpus $corp, crashes $crashes, exit $(cat "$dir/rc")"
    if [ "$(cat "$dir/rc")" != 0 ] || [ "$crashes" -gt 0 ]; then
        failed=1
        mkdir -p "tests/fuzz/regressions/$n"
        for a in "$dir"/artifacts/*; do
            [ -f "$a" ] || continue
            cp "$a" "tests/fuzz/regressions/$n/"
            echo "FAIL: fuzz: $n: kept $(basename "$a") in tests/fuzz/regressions/$n/"
        done
        grep -A30 -m1 -E '^==[0-9]+==ERROR|runtime error|deadly signal|ERROR: libFuzzer' "$dir/log" | head -40
    fi
done
[ "$failed" -eq 0 ] && echo "fuzz: all harnesses ran clean" || echo "fuzz: FAILED"
exit "$failed"
