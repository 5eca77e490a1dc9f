#!/usr/bin/env bash
# A real Slurm run of pipelines/slurm/: a one-node cluster on localhost
# (munged, slurmctld, slurmd started here as root, state in $T, a private
# SLURM_CONF), the sample data split into shards, one array task per shard,
# the dependent merge-and-report job, and the report compared with the
# single-process one. Skipped (exit 77) without munge and Slurm or root.
# Every wait is bounded; the daemons are always shut down on exit.
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC" || exit 1
[ -n "${T:-}" ] && [ -d "$T" ] || { echo "lib.sh made no temporary directory" >&2; exit 1; }
export CRAMPSTAT
P=$CS_SRC/pipelines
S=sample-data/survey.csv.gz
E=sample-data/exercise.csv.gz
cs() { "$CRAMPSTAT" "$@"; }
# analyze's JSON less its "ingest" member (counts only a single pass has).
no_ingest() { sed '1{N;s/^{"ingest": .*,\n"aggregate": /{"aggregate": /}'; }
t_start=$SECONDS

# ------------------------------------------------------------ packages
# pipelines/install-deps.sh --test installs munge and Slurm (Debian's
# munge slurm-client slurmctld slurmd); without them, or without root to
# start the daemons, the test is skipped (exit 77) and says why.
need=()
for c in munged munge slurmctld slurmd sbatch squeue sinfo scancel scontrol; do
    command -v "$c" >/dev/null 2>&1 || need+=("$c")
done
[ "${#need[@]}" -eq 0 ] ||
    skip_all "missing ${need[*]} (Debian: munge slurm-client slurmctld slurmd; pipelines/install-deps.sh --test)"
[ "$(id -u)" -eq 0 ] ||
    skip_all "the munge and Slurm daemons of this test run as root: run it as root"

# ------------------------------------------------------------ the cluster
C=$T/cluster
export SLURM_CONF=$C/slurm.conf
pids=()   # the daemons this test started
stop_cluster() {
    local p i live
    # The jobs first (their slurmstepd need slurmd), then the daemons.
    if [ "${#pids[@]}" -ge 2 ]; then
        timeout 10 scancel --partition=debug >/dev/null 2>&1
        for ((i = 0; i < 50; i++)); do
            [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    # Only pids still among this shell's jobs: a daemon that died early was
    # reaped, and its pid may be someone else's by now.
    live=" $(jobs -p | tr '\n' ' ') "
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        [[ $live == *" ${pids[i]} "* ]] && kill -TERM "${pids[i]}" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        [[ $live == *" $p "* ]] || continue
        for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    pids=()
}
trap 'stop_cluster; rm -rf "$T"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds; 1 on timeout.
wait_for() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.2
    done
}
# A TCP port nobody listens on (bash's /dev/tcp connects or fails).
free_port() {
    local p i
    for ((i = 0; i < 100; i++)); do
        p=$((20000 + RANDOM % 30000))
        [ "$p" != "${1:-}" ] || continue
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
    done
    return 1
}
show_logs() {
    local f
    for f in "$C"/*.log "$C"/*.out; do
        [ -s "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }
    done
}
cluster_failed() { bad "$1"; show_logs; finish; exit 1; }

# munged: a key of our own, a private socket; it wants the socket
# directory 0755 and the key directory 0700 (and root's).
chmod 0755 "$T"
mkdir -p "$C/munge-key" "$C/munge-run" "$C/ctld" "$C/spool"
chmod 0700 "$C/munge-key"
chmod 0755 "$C" "$C/munge-run"
dd if=/dev/urandom of="$C/munge-key/munge.key" bs=1 count=1024 2>/dev/null
chmod 0400 "$C/munge-key/munge.key"
sock=$C/munge-run/munge.socket.2
munged -F --socket="$sock" --key-file="$C/munge-key/munge.key" \
    --seed-file="$C/munge-key/munged.seed" --pid-file="$C/munge-run/munged.pid" \
    --log-file="$C/munged.log" </dev/null >"$C/munged.out" 2>&1 &
pids+=($!)
munge_ok() { munge -S "$sock" -n 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1; }
wait_for 15 munge_ok || cluster_failed "munged did not start"
ok "munged is up"

ctld_port=$(free_port) && d_port=$(free_port "$ctld_port") || cluster_failed "no free TCP port"
# The node: 8 CPUs whatever the machine has (config_overrides lets slurmd
# take the config's word), so the array's tasks run side by side.
cat >"$SLURM_CONF" <<EOF
ClusterName=crampstat-test
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$C/ctld
SlurmdSpoolDir=$C/spool
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd.pid
SlurmctldLogFile=$C/slurmctld.log
SlurmdLogFile=$C/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MailProg=/bin/true
NodeName=csnode NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=8 Boards=1 SocketsPerBoard=1 CoresPerSocket=8 ThreadsPerCore=1 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=csnode Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" </dev/null >"$C/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N csnode -f "$SLURM_CONF" </dev/null >"$C/slurmd.out" 2>&1 &
pids+=($!)
node_idle() { [ "$(timeout 5 sinfo -h -n csnode -o %t 2>/dev/null)" = idle ]; }
wait_for 30 node_idle || cluster_failed "the node did not become idle in 30 s"
ok "one-node cluster idle after $((SECONDS - t_start)) s"

# ------------------------------------------------------------ the flow
cs analyze -q -S "$S" -e "$E" -o "$T/expect.txt"

# 1. --wait, 12 shards (so task ids 10-12 sort before 2 as names), the
# report compared byte for byte.
t0=$SECONDS
timeout 120 bash "$P/slurm/submit.sh" --wait -S "$S" -o "$T/report.txt" \
    -w "$T/w1" -n 12 "$E" >"$T/submit1.out" 2>"$T/submit1.err"
rc=$?
check "submit --wait: exit" 0 "$rc"
[ "$rc" -eq 0 ] || { cat "$T/submit1.err"; show_logs; }
check "submit --wait: prints the work dir and two job ids" 3 "$(wc -l <"$T/submit1.out")"
check "submit --wait: 12 partial states" 12 "$(find "$T/w1/partials" -name '*.agg.partial' | wc -l)"
check_file "slurm report equals the single-process report" "$T/expect.txt" "$T/report.txt"
if [ -e "$T/w1/calories.partial" ]; then
    check_file "the merged states render the same" "$T/expect.txt" \
        <(cs report "$T/w1/aggregate.partial"; echo
          cs merge "$T/w1/calories.partial" "$T/w1/survey-calories.partial" | cs report)
else
    check_file "the merged state renders the same" "$T/expect.txt" <(cs report "$T/w1/aggregate.partial")
fi
check "submit: each task counts its shard of the whole file" \
    "$(for k in $(seq 12); do printf '%s\t%s\t%s\n' "$(readlink -f "$E")" "$E" "$k/12"; done)" \
    "$(cat "$T/w1/manifest")"
check "submit: no shard files made" 0 "$(find "$T/w1/shards" -type f | wc -l)"
echo "note: 12-task array + merge took $((SECONDS - t0)) s"

# 1b. --split: shard files made on the submit host, read by the tasks.
timeout 120 bash "$P/slurm/submit.sh" --wait --split -S "$S" -o "$T/report-split.txt" \
    -w "$T/w4" -n 3 "$E" >"$T/submit4.out" 2>"$T/submit4.err"
rc=$?
check "submit --split --wait: exit" 0 "$rc"
[ "$rc" -eq 0 ] || { cat "$T/submit4.err"; show_logs; }
check "submit --split: three shard files" 3 "$(find "$T/w4/shards" -name '*.csv.gz' | wc -l)"
check "submit --split: the manifest names them" \
    "$(for k in 1 2 3; do printf '%s\t%s\n' "$T/w4/shards/1-$k.csv.gz" "$E"; done)" \
    "$(cat "$T/w4/manifest")"
check_file "slurm --split report equals the single-process report" "$T/expect.txt" "$T/report-split.txt"

# 2. Without --wait, as from cron: ids at once, then the report appears.
# Three files as their own shards (shard.sh), json, --by sex, --level,
# --yates, --period week, --cluster none.
bash "$P/shard.sh" -n 3 -o "$T/sh" "$E"
cs analyze -q -S "$S" -e "$T/sh/shard-3.csv.gz" -e "$T/sh/shard-1.csv.gz" \
    -e "$T/sh/shard-2.csv.gz" --by sex --level 0.9 --yates --period week --cluster none -f json | no_ingest >"$T/expect3.json"
timeout 60 bash "$P/slurm/submit.sh" -S "$S" -o "$T/out/report3.json" -w "$T/w2" \
    -n 1 --by sex --level 0.9 --yates --period week --cluster none -f json "$T/sh/shard-3.csv.gz" "$T/sh/shard-1.csv.gz" \
    "$T/sh/shard-2.csv.gz" >"$T/submit2.out" 2>&1
check "submit: exit" 0 $?
merge_id=$(sed -n 3p "$T/submit2.out")
job_gone() { [ -z "$(timeout 5 squeue -h -j "$merge_id" 2>/dev/null)" ]; }
wait_for 90 job_gone
check "submit: the merge job ends" 0 $?
check_file "slurm json --by sex --level 0.9 --yates --period week --cluster none equals analyze" "$T/expect3.json" "$T/out/report3.json"

# 3. A task fails: the merge job is cancelled (not left pending), --wait
# returns crampstat's status, no report.
printf 'participant_id,session_id\nP1,S1\n' | gzip | head -c 30 >"$T/truncated.csv.gz"
timeout 120 bash "$P/slurm/submit.sh" --wait -S "$S" -o "$T/report-bad.txt" \
    -w "$T/w3" -n 1 "$E" "$T/truncated.csv.gz" >"$T/submit3.out" 2>"$T/submit3.err"
check "failed task: submit --wait returns crampstat's 65" 65 $?
check_grep "failed task: merge job cancelled" "CANCELLED (DependencyNeverSatisfied)" "$T/submit3.err"
check_grep "failed task: the task named" "task 2: FAILED, exit code 65" "$T/submit3.err"
check "failed task: no report" 1 "$(test -e "$T/report-bad.txt"; echo $?)"
check "failed task: nothing left in the queue" "" "$(timeout 5 squeue -h)"

# 4. Usage errors of the driver.
bash "$P/slurm/submit.sh" -S "$S" "$E" >/dev/null 2>&1
check "submit without -o: 64" 64 $?
bash "$P/slurm/submit.sh" -S "$S" -o "$T/x" -w "$T/w1" "$E" >/dev/null 2>&1
check "submit into a used work dir: 73" 73 $?

daemons=("${pids[@]}")
stop_cluster
check "daemons stopped" "" "$(for p in "${daemons[@]}"; do kill -0 "$p" 2>/dev/null && echo "$p"; done)"
echo "note: whole test $((SECONDS - t_start)) s"
finish
