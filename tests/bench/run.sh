#!/usr/bin/env bash
# Run every benchmark: bash tests/bench/run.sh [--quick]
#   compare.sh  crampstat vs gzip -dc, mlr, datamash, DuckDB (hyperfine)
#   paired.sh   the targets' ratios to gzip -dc, each within one round
#   memory.sh   peak RSS as sessions grow (1M..20M)
#   shapes.sh   analyze on UUID session ids, quoted fields, CR LF, time order
#   survey.sh   the survey table for 1M participants
#   merge.sh    merge of 1000 partial states
#   shard.sh    one shard's partial states: analyze against the piped chain
#   sharded.sh  a sharded run, the shards split first or picked as read
#   profile.sh  callgrind instruction counts and top functions
#   ab.sh       two builds in alternation (not run unless named:
#               ONLY=ab BASE=<git revision or binary>)
# --quick: 1M sessions, fewer runs, memory curve 1M and 5M only.
# Data, builds and results under BENCH_DIR (default /tmp/crampstat-bench);
# results/*.md there, and all of them in results/all.md. See README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for a in "$@"; do
    case $a in
        --quick) export QUICK=1 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: bash tests/bench/run.sh [--quick]" >&2; exit 64 ;;
    esac
done
source "$here/common.sh"
ensure_tools
ensure_crampstat
ensure_duckdb
export CRAMPSTAT     # one binary for every script of this run

start=$(date +%s)
parts=(compare paired memory shapes survey merge shard sharded profile)
[ -n "${ONLY:-}" ] && read -r -a parts <<< "$ONLY"
for p in "${parts[@]}"; do
    log "$p.sh (load $(loadavg))"
    t0=$(date +%s)
    bash "$here/$p.sh" > /dev/null
    log "$p.sh took $(( $(date +%s) - t0 )) s"
done

{
    echo "## crampstat benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')$([ "$QUICK" = 1 ] && echo ' (--quick)')"
    echo
    machine
    echo
    for p in "${parts[@]}"; do cat "$RESULTS/$p.md"; echo; done
    echo "Total time: $(( $(date +%s) - start )) s."
} > "$RESULTS/all.md"
cat "$RESULTS/all.md"
