# Shared helpers for the end-to-end tests: sourced, not run.
# Every check prints one line; the script ends with "N passed, M failed".
# A part that cannot run because a tool is missing is skipped with
# skip_part; finish then exits 77, which ctest shows as skipped (the tests'
# SKIP_RETURN_CODE), unless a check failed. skip_all skips the whole script.
set -uo pipefail
: "${CRAMPSTAT:?set CRAMPSTAT to the crampstat binary}"
: "${CS_SRC:?set CS_SRC to the source tree}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
skipped=()

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

# check_counts NAME EXPECTED_STATE ACTUAL_STATE: two partial states hold
# the same counts: the same bytes but for their leaf and sha256 lines
# (which say which states they were made of).
check_counts() {
    if cmp -s <(grep -v '^leaf \|^sha256 ' "$2") <(grep -v '^leaf \|^sha256 ' "$3")
    then ok "$1"; else
        bad "$1: the counts of $3 differ from $2's"
        diff <(grep -v '^leaf \|^sha256 ' "$2") <(grep -v '^leaf \|^sha256 ' "$3") | head -20
    fi
}

# resum FILE: the partial state FILE's sha256 line made again for the text
# before it, as a deliberate editor would, so that what refuses the edit
# is a check of its numbers (a state without the line is left alone).
resum() {
    grep -q '^sha256 ' "$1" || return 0
    local sum
    sum=$(sed '/^sha256 /,$d' "$1" | sha256sum | cut -c1-64)
    sed -i "s/^sha256 .*/sha256 $sum/" "$1"
}

# A script that ctest runs in parts (tests/CMakeLists.txt,
# CS_CLI_TEST_PARTS) gets CS_PART=I/P: it numbers its units of work 0, 1,
# 2, ... and runs those for which "in_part N" holds, N mod P = I - 1, so
# that the P parts together run every unit once. Without CS_PART the
# script is one part and runs everything.
part_i=1 part_n=1
if [ -n "${CS_PART:-}" ]; then
    if [[ $CS_PART =~ ^([1-9][0-9]*)/([1-9][0-9]*)$ ]] &&
        [ "${BASH_REMATCH[1]}" -le "${BASH_REMATCH[2]}" ]; then
        part_i=${BASH_REMATCH[1]} part_n=${BASH_REMATCH[2]}
        echo "note: part $part_i of $part_n"
    else
        echo "FAIL: CS_PART=$CS_PART: expected I/P with 1 <= I <= P" >&2
        exit 2
    fi
fi
# in_part N: whether unit N is this part's.
in_part() { [ $(($1 % part_n)) -eq $((part_i - 1)) ]; }

# skip_part REASON: say what is not tested and why.
skip_part() { skipped+=("$1"); echo "SKIP: $1"; }

# sanitized: whether $CRAMPSTAT is an AddressSanitizer build, whose
# shadow memory takes terabytes of address space and whose processes are
# slower: the scripts that limit memory or repeat work ask.
sanitized() { grep -q -a __asan_init "$CRAMPSTAT"; }

# skip_all REASON: nothing of this script can run; exit 77 now.
skip_all() { echo "SKIP: $1"; exit 77; }

finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ] || return 1
    if [ "${#skipped[@]}" -gt 0 ]; then
        echo "skipped (exit 77): ${#skipped[@]} part(s) not tested:"
        printf '  %s\n' "${skipped[@]}"
        return 77
    fi
    return 0
}
