# Shared helpers for the end-to-end tests: sourced, not run.
# Every check prints one line; the script ends with "N passed, M failed".
set -uo pipefail
: "${CRAMPSTAT:?set CRAMPSTAT to the crampstat binary}"
: "${CS_SRC:?set CS_SRC to the source tree}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected [$2], got [$3]"; fi
}

# check_file NAME EXPECTED_FILE ACTUAL_FILE
check_file() {
    if cmp -s "$2" "$3"; then ok "$1"; else
        bad "$1: $3 differs from $2"
        diff "$2" "$3" | head -20
    fi
}

# check_grep NAME PATTERN FILE
check_grep() {
    if grep -q -- "$2" "$3"; then ok "$1"; else
        bad "$1: no [$2] in $3:"; head -5 "$3"
    fi
}

finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
