#!/usr/bin/env bash
# Build crampstat and run the whole test suite, twice: a normal
# warning-free (-Werror) build, then the same suite under AddressSanitizer
# and UndefinedBehaviorSanitizer. The README's second quick-start command;
# .ci/run calls it too, from a copy of the checkout with nothing beside it.
# Everything it reads is inside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# The one place anything is installed (only what is missing); the tests
# themselves never install: a test whose tool is missing is skipped
# (exit 77) and says why. Under CI=true every tool is installed here, so a
# skipped test fails the run.
bash pipelines/install-deps.sh --test

# Each stage's wall time, printed as it ends and once more at the end.
laps=()
lap_start=$SECONDS
lap() {
    local took=$((SECONDS - lap_start))
    lap_start=$SECONDS
    laps+=("$(printf '%4d s  %s' "$took" "$1")")
    echo "== $1: $took s"
}

# build DIR CMAKE_ARGS...: configure and build, warnings as errors.
build() {
    local dir=$1; shift
    cmake -S . -B "$dir" -DCS_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

# run_suite DIR FILTER: ctest in DIR, both cores.
run_suite() {
    local dir=$1 filter=$2
    # shellcheck disable=SC2086
    (cd "$dir" && ctest --output-on-failure -j "$jobs" $filter) | tee "$dir/ctest.log"
    grep -q '\*\*\*Skipped' "$dir/ctest.log" || return 0
    # ctest does not show a skipped test's output: print why each skipped.
    echo "skipped tests, and why:"
    grep -h '^SKIP: ' "$dir/Testing/Temporary/LastTest.log" | sed 's/^/  /' || true
    if [ "${CI:-}" = true ]; then
        echo "CI: tests were skipped although install-deps.sh installed their tools" >&2
        return 1
    fi
}

# The sanitizer build is Debug (asserts on) at -O1, as the sanitizers'
# documentation advises and as the fuzz build is: every load and store
# left in the code is checked, and analyze of sample-data/ takes about
# half the user CPU time it took at -O0.
asan_args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DCS_SANITIZE=ON)
fuzz=0
if [ "${CI:-}" = true ] || [ "${CS_SKIP_FUZZ:-0}" != 1 ]; then fuzz=1; fi

echo "== build and test (RelWithDebInfo, -Werror)"
build build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
lap "release build"
# The release tests wait much of the time (locks, signals, Slurm, pipes)
# and valgrind runs one process per script, often on one core only: the
# sanitizer and fuzz builds compile beside them at low priority (nice).
# Each is built again in its own stage below: nothing is left to do when
# this went well, and the error is shown there when it did not.
# In a process group of its own (set -m), so that all of it can be stopped.
set -m
(
    nice -n 10 cmake -S . -B build-asan -DCS_WERROR=ON "${asan_args[@]}" &&
        nice -n 10 cmake --build build-asan -j "$jobs"
    [ "$fuzz" = 0 ] || FUZZ_BUILD_ONLY=1 nice -n 10 bash tests/fuzz/run.sh
) >/dev/null 2>&1 &
prebuild=$!
set +m
# On a failure below, the builds stop too; the exit status stays.
trap 'status=$?; kill -- -"$prebuild" 2>/dev/null || true; exit "$status"' EXIT
run_suite build-test ""
lap "release tests"
echo "== end-to-end tests under valgrind memcheck"
bash tests/memcheck.sh build-test
lap "valgrind memcheck"
wait "$prebuild" || true
lap "the rest of the sanitizer and fuzz builds"
# Tests labelled slow check numbers against references (coverage over
# 200 data sets, a million exact limits, the independent robust
# reference), not memory: the sanitizer run leaves them out.
echo "== build and test under ASan + UBSan (all but label slow)"
build build-asan "${asan_args[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan "-LE slow"
lap "ASan + UBSan tests"
# libFuzzer (clang, ASan + UBSan): each harness for FUZZ_SECONDS (20 s;
# CI=true always uses 20), two at a time, after the replay of the kept
# inputs: 20 s for every two harnesses. Every kept input and regression is
# replayed whatever the time. CS_SKIP_FUZZ=1 skips it locally;
# tests/fuzz/campaign.sh HOURS is for the long runs that grow the corpus.
if [ "$fuzz" = 1 ]; then
    [ "${CI:-}" = true ] && FUZZ_SECONDS=20
    echo "== fuzz each harness for ${FUZZ_SECONDS:-20} s (CS_SKIP_FUZZ=1 skips)"
    # One harness per core: each still gets its full time on a core of
    # its own (the exec/s of docs/reliability.md come from campaign.sh).
    FUZZ_SECONDS=${FUZZ_SECONDS:-20} FUZZ_JOBS=${FUZZ_JOBS:-$jobs} bash tests/fuzz/run.sh
    lap "fuzz"
fi
echo "all test suites passed, in $SECONDS s:"
printf '  %s\n' "${laps[@]}"
