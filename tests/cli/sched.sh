#!/usr/bin/env bash
# End to end: every command runs as a batch job (SCHED_BATCH, src/cli/main.c),
# its threads too; CRAMPSTAT_SCHED=normal keeps the normal policy, and a
# policy the caller chose (here SCHED_IDLE through chrt) is kept. The
# policy is read from /proc/PID/task/TID/stat, field 41 (0 normal, 3
# batch, 5 idle), while ingest waits for more input on a FIFO.
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC"
X=sample-data/exercise.csv.gz

[ -r /proc/self/stat ] || skip_all "no /proc: the scheduling policy cannot be read"

# policy_of FILE: field 41 of a /proc stat file (after the name in
# parentheses, which may hold spaces, it is the 39th).
policy_of() { sed 's/.*) //' "$1" | awk '{ print $39 }'; }

# The checks expect to be started under the normal policy: under a batch
# system that set another one, crampstat is started through chrt -o 0.
base=()
if [ "$(policy_of /proc/self/stat)" != 0 ]; then
    if command -v chrt >/dev/null 2>&1 && chrt -o 0 true 2>/dev/null; then
        base=(chrt -o 0)
    else
        skip_all "this shell's scheduling policy is not the normal one and chrt cannot set it"
    fi
fi

# policies ENV...: the sorted distinct policies of ingest's threads and
# whether it had more than one, as "POLICIES threads=2+ rc=STATUS".
# ingest is started with ENV before it (env's arguments) on a FIFO that
# is held open after 100 rows, so that it waits for more with its
# read-ahead thread started; then the FIFO is closed and ingest ends.
policies() {
    local fifo=$T/in pid n=0 m p rc i
    rm -f "$fifo"
    mkfifo "$fifo"
    ${base[@]+"${base[@]}"} env "$@" "$CRAMPSTAT" ingest -q <"$fifo" >"$T/rows.csv" &
    pid=$!
    exec 4>"$fifo"
    head -n 100 "$T/all.csv" >&4
    # Wait until the main thread is crampstat (chrt execs it) and the
    # count of threads has settled.
    for i in $(seq 200); do
        if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$CRAMPSTAT")" ]; then
            m=$(ls "/proc/$pid/task" 2>/dev/null | wc -l)
            [ "$m" -ge 2 ] && [ "$m" = "$n" ] && break
            n=$m
        fi
        sleep 0.05
    done
    p=$(for t in /proc/"$pid"/task/*/stat; do policy_of "$t"; done |
        sort -u | tr '\n' ' ')
    n=$(ls "/proc/$pid/task" 2>/dev/null | wc -l)
    exec 4>&-
    wait "$pid"
    rc=$?
    echo "${p% } threads=$([ "$n" -ge 2 ] && echo 2+ || echo "$n") rc=$rc"
}

gzip -dc "$X" >"$T/all.csv"
head -n 100 "$T/all.csv" | "$CRAMPSTAT" ingest -q >"$T/expected.csv"

check "by default every thread is SCHED_BATCH" "3 threads=2+ rc=0" \
    "$(policies CRAMPSTAT_SCHED=)"
check_file "the output is ingest's own" "$T/expected.csv" "$T/rows.csv"
check "CRAMPSTAT_SCHED=normal keeps SCHED_OTHER" "0 threads=2+ rc=0" \
    "$(policies CRAMPSTAT_SCHED=normal)"
check "any other value is the default" "3 threads=2+ rc=0" \
    "$(policies CRAMPSTAT_SCHED=fast)"
if command -v chrt >/dev/null 2>&1 && chrt -i 0 true 2>/dev/null; then
    check "a policy chosen by the caller is kept (SCHED_IDLE)" \
        "5 threads=2+ rc=0" "$(policies CRAMPSTAT_SCHED= chrt -i 0)"
    check_file "the output is the same under SCHED_IDLE" "$T/expected.csv" \
        "$T/rows.csv"
else
    skip_part "chrt (util-linux) missing or not allowed: a chosen policy kept"
fi
finish
