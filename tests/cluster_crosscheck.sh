#!/usr/bin/env bash
# crampstat's cluster-robust statistics against an independent reference
# (tests/cluster_crosscheck.py: its own validation, join and tagging in
# Python, statsmodels' GLM with cluster covariance): first the reference
# checks itself a second way, then every number crampstat prints is
# compared to 1e-6 relative, on the sample data and on a generated data set
# whose sessions cluster (gen --frailty-sd 1). Exit 77 (skipped) when
# /usr/bin/python3 lacks statsmodels.
set -euo pipefail
: "${CRAMPSTAT:?CRAMPSTAT must name the crampstat binary}"
PY=/usr/bin/python3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! "$PY" -c 'import statsmodels, scipy, numpy' 2>/dev/null; then
    echo "SKIP: $PY with statsmodels, scipy and numpy is needed (pipelines/install-deps.sh --test)"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$here/.."
"$PY" "$here/cluster_crosscheck.py" --self-check
"$CRAMPSTAT" analyze -q --survey sample-data/survey.csv.gz \
    --exercise sample-data/exercise.csv.gz --format json >"$T/sample.json"
"$PY" "$here/cluster_crosscheck.py" --compare "$T/sample.json"
"$CRAMPSTAT" gen --participants 1500 --frailty-sd 1 --seed 5 --out-dir "$T/frailty" >/dev/null
"$CRAMPSTAT" analyze -q --survey "$T/frailty/survey.csv.gz" \
    --exercise "$T/frailty/exercise.csv.gz" --format json >"$T/frailty.json"
"$PY" "$here/cluster_crosscheck.py" --exercise "$T/frailty/exercise.csv.gz" \
    --survey "$T/frailty/survey.csv.gz" --compare "$T/frailty.json"
