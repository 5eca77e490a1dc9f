#!/usr/bin/env bash
# Install what crampstat needs on Debian 12, only what is missing.
#   install-deps.sh          build and run (compiler, cmake, libraries)
#   install-deps.sh --test   also what the test suite uses
# As root it runs apt-get itself; otherwise through sudo. Nothing missing:
# no apt-get at all, so a machine set up once needs neither root nor network.
set -euo pipefail

# libisal-dev is optional for the build (CRAMPSTAT_ISAL=AUTO) but inflates
# gzip about 3 times faster than zlib; isal, its igzip tool, does the same
# for pipelines/shard.sh, which also compresses the shards with it.
pkgs=(gcc make cmake pkg-config libcsv-dev libgsl-dev zlib1g-dev libisal-dev isal libcmocka-dev)
usage() {
    cat <<'EOF'
Usage: install-deps.sh [--test]
Install what crampstat needs on Debian 12, only what is missing: the
compiler, CMake and the libraries to build and run it; with --test, also
what the test suite uses. As root it runs apt-get itself, otherwise
through sudo; with nothing missing it runs no apt-get at all.

Exit status: 0 ok (or nothing missing), 64 bad arguments, else apt-get's.
EOF
}
case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    --test)
        # python3-scipy/statsmodels serve /usr/bin/python3 for the cross-check
        # (cli_crosscheck); valgrind for tests/memcheck.sh; groff-base and
        # man-db for cli_docs; parallel for cli_pipelines; munge and Slurm
        # for cli_slurm; clang and its runtime for the libFuzzer harnesses;
        # gzip for fixtures; xz-utils to unpack the golden files
        # (cli_golden); jq for the user guide's examples (cli_docs runs
        # them). ctest never installs anything: a test whose tool
        # is missing is skipped (exit 77) and says so.
        pkgs+=(python3 python3-scipy python3-statsmodels valgrind gzip jq xz-utils
               groff-base man-db parallel munge slurm-client slurmctld slurmd
               clang libclang-rt-14-dev)
        ;;
    *) usage >&2; exit 64 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps.sh: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2
        exit 77
    fi
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
