#!/usr/bin/env bash
# Install what is missing, build crampstat, and run the main job on the
# sample data: the README's first quick-start command.
set -euo pipefail
cd "$(dirname "$0")/.."

bash pipelines/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCS_BUILD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
./build/crampstat analyze --survey sample-data/survey.csv.gz \
    --exercise sample-data/exercise.csv.gz --by sex
