#!/usr/bin/env bash
# Golden files: every command in every output format on sample-data/ and
# on a small gen data set (tests/golden/produce.sh) prints byte for byte
# what tests/golden/expected.tar.xz holds: standard output, standard
# error, exit status, reject logs, partial states and -o files. On a
# difference it prints the diff. After a change to an output on purpose:
# tests/golden/update.sh, and say why in the commit.
. "$(dirname "$0")/lib.sh"
G=$CS_SRC/tests/golden
command -v xz >/dev/null || skip_all "xz (xz-utils) is missing: cannot unpack the golden files"

mkdir "$T/want"
tar -xJf "$G/expected.tar.xz" -C "$T/want"
check "golden archive unpacks" 1 "$([ -d "$T/want/expected/common" ] && echo 1)"
# produce.sh's sets, one unit each for ctest's parts (CS_PART,
# tests/cli/lib.sh), and the directories each one makes.
sets=(common sample gen)
dirs_of() { case "$1" in gen) echo gen-command gen ;; *) echo "$1" ;; esac; }
mine=() dirs=()
for i in "${!sets[@]}"; do
    in_part "$i" || continue
    mine+=("${sets[$i]}")
    read -r -a d <<<"$(dirs_of "${sets[$i]}")"
    dirs+=("${d[@]}")
done
[ "${#mine[@]}" -gt 0 ] || skip_all "part $part_i of $part_n: no set of produce.sh is left for it"
echo "note: sets ${mine[*]}"
bash "$G/produce.sh" "$T/expected" "${mine[@]}"
check "produce.sh exit" 0 $?

# One check per output, so that the log names each one that moved.
(cd "$T/want/expected" && find "${dirs[@]/#/./}" -type f | sort) >"$T/want.list"
(cd "$T/expected" && find . -type f | sort) >"$T/got.list"
if cmp -s "$T/want.list" "$T/got.list"; then
    ok "the same $(wc -l <"$T/got.list") outputs"
else
    bad "the outputs differ in name (< golden only, > new only):"
    diff "$T/want.list" "$T/got.list" | grep '^[<>]'
fi
same=0
while read -r f; do
    [ -f "$T/expected/$f" ] || continue
    if cmp -s "$T/want/expected/$f" "$T/expected/$f"; then
        same=$((same + 1))
    else
        bad "golden ${f#./} changed:"
        diff -u "$T/want/expected/$f" "$T/expected/$f" \
            --label "golden/${f#./}" --label "now/${f#./}" | head -40
    fi
done <"$T/want.list"
check "outputs byte for byte as golden" "$(wc -l <"$T/want.list")" "$same"
finish
