#!/usr/bin/env bash
# Build crampstat and run the whole test suite, twice: a normal
# warning-free (-Werror) build, then the same suite under AddressSanitizer
# and UndefinedBehaviorSanitizer. The README's second quick-start command;
# .ci/run calls it too.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash pipelines/install-deps.sh --test

run_suite() {
    local dir=$1; shift
    cmake -S . -B "$dir" -DCS_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
    (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

echo "== build and test (RelWithDebInfo, -Werror)"
run_suite build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== end-to-end tests under valgrind memcheck"
bash tests/memcheck.sh build-test ingest shards html calories
echo "== build and test under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DCS_SANITIZE=ON
# libFuzzer (clang, ASan + UBSan): each harness for FUZZ_SECONDS (60 s;
# CI=true always uses 60). CS_SKIP_FUZZ=1 skips it locally.
if [ "${CI:-}" = true ] || [ "${CS_SKIP_FUZZ:-0}" != 1 ]; then
    [ "${CI:-}" = true ] && FUZZ_SECONDS=50   # 7 harnesses: about 6 min
    echo "== fuzz each harness for ${FUZZ_SECONDS:-60} s (CS_SKIP_FUZZ=1 skips)"
    FUZZ_SECONDS=${FUZZ_SECONDS:-60} bash tests/fuzz/run.sh
fi
echo "all test suites passed"
