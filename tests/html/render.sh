#!/usr/bin/env bash
# Render crampstat's HTML report in a real browser (Debian's headless
# Chromium) to look at it: on a wide screen, on a phone-sized one, and
# printed (the print stylesheet) to PDF and one PNG per page.
#   bash tests/html/render.sh [REPORT.html] [OUTDIR]
# Without a report it makes the one of sample-data (--by sex) first.
# Writes OUTDIR (default build/render, which git ignores)/screen.png, narrow.png, print.pdf and
# print-N.png (N = page; needs pdftoppm from poppler-utils).
set -euo pipefail
cd "$(dirname "$0")/../.."
crampstat=${CRAMPSTAT:-build/crampstat}
html=${1:-}
out=${2:-build/render}
if ! command -v chromium >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
mkdir -p "$out"
out=$(realpath "$out")
if [ -z "$html" ]; then
    html=$out/report.html
    "$crampstat" analyze -q --survey sample-data/survey.csv.gz \
        --exercise sample-data/exercise.csv.gz --by sex --format html -o "$html"
fi
url="file://$(realpath "$html")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# The flags keep Chromium off the network, which this machine does not have.
browse() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$profile" --hide-scrollbars "$@" "$url" \
        2>/dev/null
}
browse --window-size="${WIDTH:-1200},${HEIGHT:-9000}" --screenshot="$out/screen.png"
browse --window-size="420,${HEIGHT:-9000}" --screenshot="$out/narrow.png"
browse --no-pdf-header-footer --print-to-pdf="$out/print.pdf"
if command -v pdftoppm >/dev/null; then
    rm -f "$out"/print-*.png
    pdftoppm -png -r "${DPI:-60}" "$out/print.pdf" "$out/print"
else
    echo "pdftoppm (poppler-utils) is not installed: print.pdf only" >&2
fi
ls "$out"
