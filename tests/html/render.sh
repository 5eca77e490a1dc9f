#!/usr/bin/env bash
# Render crampstat's HTML report in a real browser (Debian's headless
# Chromium) to PNG, to look at it: charts, tables, nothing overflowing.
#   bash tests/html/render.sh [REPORT.html] [OUT.png]
# Without arguments it makes the report of sample-data first.
set -euo pipefail
cd "$(dirname "$0")/../.."
crampstat=${CRAMPSTAT:-build/crampstat}
html=${1:-}
png=${2:-report.png}
if ! command -v chromium >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ -z "$html" ]; then
    html=$(mktemp --suffix=.html)
    "$crampstat" analyze -q --survey sample-data/survey.csv.gz \
        --exercise sample-data/exercise.csv.gz --by sex --format html -o "$html"
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# The flags keep Chromium off the network, which this machine does not have.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$profile" --hide-scrollbars \
    --window-size="${WIDTH:-1200},${HEIGHT:-4200}" \
    --screenshot="$(realpath "$png")" "file://$(realpath "$html")" 2>/dev/null
echo "wrote $png"
