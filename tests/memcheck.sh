#!/usr/bin/env bash
# End-to-end tests once more with every crampstat process under valgrind
# memcheck: any invalid read or write, use of uninitialised memory or
# definite/indirect leak fails the run.
#   bash tests/memcheck.sh BUILD_DIR [SCRIPT...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1; shift
command -v valgrind >/dev/null 2>&1 || {
    echo "memcheck.sh: valgrind is missing (Debian: valgrind; pipelines/install-deps.sh --test)" >&2
    exit 69
}
scripts=("$@")
# By default, longest first: alone, shards takes 55 s under valgrind,
# calories 52, ingest 21 and html 14.
[ "${#scripts[@]}" -gt 0 ] || scripts=(shards calories ingest html)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
wrap=$logs/crampstat
# CRAMPSTAT_GROW=malloc: the tables that grow are malloc's blocks, whose
# exact bounds memcheck knows (src/grow.c), not reservations.
cat >"$wrap" <<WRAP
#!/bin/sh
CRAMPSTAT_GROW=malloc exec valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --log-file="$logs/vg.%p.log" "$(realpath "$build/crampstat")" "\$@"
WRAP
chmod +x "$wrap"
status=0
# The scripts run side by side, one per core (valgrind runs a process on
# one core), each started as soon as a core is free, in the order given:
# longest first ends soonest. Their outputs are shown in order once all
# have ended.
jobs=$(nproc)
running=0
for s in "${scripts[@]}"; do
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
    ( CRAMPSTAT=$wrap CS_SRC=$PWD bash "tests/cli/$s.sh" >"$logs/$s.out" 2>&1
      echo $? >"$logs/$s.rc" ) &
    running=$((running + 1))
done
wait
for s in "${scripts[@]}"; do
    echo "== memcheck: tests/cli/$s.sh"
    if [ "$(cat "$logs/$s.rc")" != 0 ]; then
        status=1
        tail -n 20 "$logs/$s.out"
    fi
    tail -n 1 "$logs/$s.out"
done
runs=$(ls "$logs"/vg.*.log | wc -l)
dirty=$(find "$logs" -name 'vg.*.log' -size +0c | wc -l)
if [ "$dirty" -gt 0 ]; then
    status=1
    for f in $(find "$logs" -name 'vg.*.log' -size +0c | head -n 5); do
        echo "--- $f"; head -n 40 "$f"
    done
fi
echo "memcheck: $runs crampstat processes, $dirty with valgrind reports"
exit "$status"
