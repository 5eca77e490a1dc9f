#!/usr/bin/env bash
# Coverage of the session-level and the cluster-robust risk-ratio interval
# on data whose sessions cluster within participants: see
# tests/cluster_coverage.py. Exit 77 (skipped) without python3.
set -euo pipefail

: "${CRAMPSTAT:?CRAMPSTAT must name the crampstat binary}"
PY=/usr/bin/python3
if [[ ! -x $PY ]]; then
    echo "cluster_coverage: skipped: $PY not found (install python3)" >&2
    exit 77
fi
exec "$PY" "$(dirname "${BASH_SOURCE[0]}")/cluster_coverage.py" --crampstat "$CRAMPSTAT" "$@"
