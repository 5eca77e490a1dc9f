#!/usr/bin/env bash
# Install what is missing, build crampstat, and run the main job on the
# sample data: the README's first quick-start command.
set -euo pipefail
case "${1:-}" in
    -h|--help)
        cat <<'EOF'
Usage: quickstart.sh
Install what is missing (pipelines/install-deps.sh), build crampstat into
build/, and run the main job on the sample data:
  build/crampstat analyze --survey sample-data/survey.csv.gz \
      --exercise sample-data/exercise.csv.gz --by sex
printing the report. No options.
EOF
        exit 0 ;;
    "") ;;
    *) echo "quickstart.sh: no options but -h (try --help)" >&2; exit 64 ;;
esac
cd "$(dirname "$0")/.."

bash pipelines/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCS_BUILD_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
./build/crampstat analyze --survey sample-data/survey.csv.gz \
    --exercise sample-data/exercise.csv.gz --by sex
