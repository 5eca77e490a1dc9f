#!/usr/bin/env bash
# Install what crampstat needs on Debian 12, only what is missing.
#   install-deps.sh          build and run (compiler, cmake, libraries)
#   install-deps.sh --test   also what the test suite uses
set -euo pipefail

# libisal-dev is optional for the build (CRAMPSTAT_ISAL=AUTO) but inflates
# gzip about 3 times faster than zlib.
pkgs=(gcc make cmake pkg-config libcsv-dev libgsl-dev zlib1g-dev libisal-dev libcmocka-dev)
if [ "${1:-}" = "--test" ]; then
    # python3-scipy/statsmodels serve /usr/bin/python3 for the cross-check
    # scripts; valgrind for the memcheck run; gzip, coreutils for fixtures.
    pkgs+=(python3 python3-scipy python3-statsmodels valgrind gzip clang libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
