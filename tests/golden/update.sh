#!/usr/bin/env bash
# Regenerate the golden files, tests/golden/expected.tar.xz, from the built
# binary. After a change that alters an output on purpose, run this: it
# prints what changed against the archive it replaces, and the commit
# says why each output changed. tests/cli/golden.sh is the check.
#
# The outputs are kept as one archive because every format of every
# report on two data sets is about 2 MB of text, most of it the same
# tables in another layout; xz keeps that to about 100 KB.
#
# Usage: tests/golden/update.sh [BUILD_DIR]   (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CS_SRC=$(cd "$here/../.." && pwd)
CRAMPSTAT=${CRAMPSTAT:-$CS_SRC/${1:-build}/crampstat}
export CS_SRC CRAMPSTAT
[ -x "$CRAMPSTAT" ] || { echo "no binary at $CRAMPSTAT: build first" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
bash "$here/produce.sh" "$T/expected"
if [ -f "$here/expected.tar.xz" ]; then
    mkdir "$T/old"
    tar -xJf "$here/expected.tar.xz" -C "$T/old"
    if diff -r "$T/old/expected" "$T/expected" >"$T/diff"; then
        echo "golden files: no output changed"
    else
        echo "golden files: these outputs changed (full diff: diff -ru)"
        { diff -rq "$T/old/expected" "$T/expected" || true; } | sed "s|$T/||g"
    fi
fi
# The same bytes for the same outputs: names sorted, no owner or time.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
    --format=gnu -C "$T" -cf - expected | xz -9e -T1 >"$T/expected.tar.xz"
mv "$T/expected.tar.xz" "$here/expected.tar.xz"
echo "golden files: $(find "$T/expected" -type f | wc -l) files," \
    "$(du -sk --apparent-size "$T/expected" | cut -f1) KiB as text," \
    "$(stat -c %s "$here/expected.tar.xz") bytes in expected.tar.xz"
