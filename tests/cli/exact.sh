#!/usr/bin/env bash
# Edge cases whose whole output or message is fixed, byte for byte:
#  - gen: a write error on standard output says why, and an --out-dir
#    that is not a directory is named as such;
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC" || exit 1
cs() { "$CRAMPSTAT" "$@"; }

# ---- gen ---------------------------------------------------------------
if [ -w /dev/full ]; then
    cs gen -n 5 --truth >/dev/full 2>"$T/err"
    check "gen --truth > /dev/full: exit" 74 $?
    check "gen --truth > /dev/full: the reason" \
        "crampstat: gen: standard output: write failed: No space left on device" \
        "$(cat "$T/err")"
else
    skip_part "no writable /dev/full: gen's write error not checked"
fi
touch "$T/afile"
cs gen -n 5 -d "$T/afile" 2>"$T/err"
check "gen -d FILE: exit" 74 $?
check "gen -d FILE: names the out-dir" \
    "crampstat: gen: $T/afile: cannot write into the output directory: Not a directory" \
    "$(cat "$T/err")"
check "gen -d FILE: the file is left as it was" "" "$(cat "$T/afile")"

finish
