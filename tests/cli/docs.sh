#!/usr/bin/env bash
# The documentation matches the binary:
#  - every command that 'crampstat --help' lists has a --help (exit 0,
#    "Usage:", "Example") and a man page docs/man/crampstat-CMD.1 that names
#    every long option of that --help; its Usage lines and the page's
#    SYNOPSIS name the same options, all of the option list but --help,
#    --quiet, --threads, --safe-csv and --assume-unique-ids;
#  - crampstat.1 lists every command and every exit status of --help, and
#    so does docs/exit-codes.md;
#  - every man page has the standard sections and renders without warnings
#    (groff -man -ww, and man -l --warnings);
#  - 'cmake --install' installs the man pages where man finds them;
#  - every ```sh block of docs/user-guide.md runs (exit 0), in order, from
#    a copy of the repository root made of symbolic links, so that the files
#    the guide writes land in a scratch directory.
# Without groff or man the checks that need them are skipped (exit 77).
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC" || exit 1
MAN=docs/man
GUIDE=docs/user-guide.md
export LC_ALL=C.UTF-8 MANWIDTH=80

# ---- tools: groff and man ----------------------------------------------
# pipelines/install-deps.sh --test installs them (groff-base, man-db); when
# one is missing, the checks that need it are skipped and the test exits 77.
have_groff=0 have_man=0
if command -v groff >/dev/null 2>&1; then
    if printf '.TH T 1\n.SH NAME\nt \\- t\n' | groff -man -ww -z 2>"$T/groff.err" &&
       [ ! -s "$T/groff.err" ]; then
        have_groff=1
    else
        bad "groff cannot load the man macros (is /usr/share/groff excluded by a dpkg path-exclude?):"
        cat "$T/groff.err"
    fi
else
    skip_part "groff is missing (Debian: groff-base): man pages not rendered with groff -man -ww"
fi
if command -v man >/dev/null 2>&1; then have_man=1; else
    skip_part "man is missing (Debian: man-db): man -l --warnings and man -w not run"
fi

# The commands, from the "Commands:" paragraph of crampstat --help.
"$CRAMPSTAT" --help >"$T/help" 2>&1
check "crampstat --help exit" 0 $?
check_grep "crampstat --help usage" "^Usage: crampstat " "$T/help"
cmds=$(sed -n '/^Commands:/,/^$/p' "$T/help" | awk 'NR > 1 && NF { print $1 }')
check "crampstat --help lists commands" yes "$([ "$(echo "$cmds" | wc -w)" -ge 10 ] && echo yes || echo no)"
# Exit statuses: the sentence from "Exit status:" to its full stop.
codes=$(sed -n '/^Exit status:/,/\.$/p' "$T/help" | grep -o '\b[0-9][0-9]*\b' | tr '\n' ' ')
check "crampstat --help exit statuses" "0 64 65 66 70 71 74 " "$codes"

# man_text PAGE: the page's source with \- as - and font escapes removed.
man_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\%//g' -e 's/\\&//g' "$1"; }
# section PAGE NAME: the text of one .SH section.
section() {
    awk -v s="$2" '/^\.SH /{ f = ($0 == ".SH " s || $0 == ".SH \"" s "\"") ; next } f' "$1"
}

# ---- every command: --help and its man page -----------------------------
for c in $cmds; do
    "$CRAMPSTAT" "$c" --help >"$T/$c.help" 2>"$T/$c.err"
    check "$c --help exit" 0 $?
    check_grep "$c --help has Usage:" "Usage:" "$T/$c.help"
    check_grep "$c --help has an example" "Example" "$T/$c.help"
    page=$MAN/crampstat-$c.1
    if [ ! -f "$page" ]; then
        bad "$c: no man page $page"
        continue
    fi
    ok "$c: man page $page"
    man_text "$page" >"$T/$c.man"
    for o in $(grep -o -- '--[a-z][a-z-]*' "$T/$c.help" | sort -u); do
        if grep -qE -- "$o([^a-z-]|\$)" "$T/$c.man"; then ok "$c: $o in the man page"
        else bad "$c: $o is in '$c --help' but not in $page"; fi
    done
    check_grep "$c: crampstat.1 lists it" "^\\.B $c\$" "$MAN/crampstat.1"
    # The Usage lines and the man SYNOPSIS name the same options, and every
    # option of the list but the ones that change neither what is computed
    # nor where it goes (--help, --quiet, --threads, --safe-csv,
    # --assume-unique-ids), by its long name or its short one.
    sed -n '/^Usage:/{p;:a;n;/^ /{p;ba};q}' "$T/$c.help" >"$T/$c.usage"
    section "$page" SYNOPSIS | man_text /dev/stdin >"$T/$c.synopsis"
    check "$c: Usage and SYNOPSIS name the same options" \
        "$(grep -o -- '-[a-z-]*' "$T/$c.synopsis" | sort -u | tr '\n' ' ')" \
        "$(grep -o -- '-[a-z-]*' "$T/$c.usage" | sort -u | tr '\n' ' ')"
    grep -oE -- '^  (-[a-zA-Z], |    )--[a-z][a-z-]*' "$T/$c.help" |
        sed -E 's/^ *//; s/,//' >"$T/$c.opts"
    while read -r short long; do
        [ -n "$long" ] || { long=$short; short=; }
        case $long in --help|--quiet|--threads|--safe-csv|--assume-unique-ids) continue ;; esac
        if grep -qE -- "$long([^a-z-]|\$)" "$T/$c.usage" ||
            { [ -n "$short" ] && grep -qE -- "\\[$short " "$T/$c.usage"; }; then
            ok "$c: $long in the Usage lines"
        else bad "$c: $long is an option of '$c --help' but not in its Usage lines"; fi
    done <"$T/$c.opts"
done

# ---- every man page: sections, rendering ---------------------------------
for page in "$MAN"/crampstat.1 "$MAN"/crampstat-*.1; do
    name=$(basename "$page" .1)
    check_grep "$name: .TH" "^\\.TH $(echo "$name" | tr "[:lower:]" "[:upper:]" | sed 's/-/\\\\-/g') 1 " "$page"
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
        check_grep "$name: section $s" "^\\.SH \"\\?$s\"\\?\$" "$page"
    done
    # Every page lists the exit statuses it can give, 0 and 64 at least.
    section "$page" "EXIT STATUS" >"$T/exit"
    check_grep "$name: exit status 0" '^\.B 0$' "$T/exit"
    check_grep "$name: exit status 64" '^\.B 64$' "$T/exit"
    if [ "$have_groff" = 1 ]; then
        groff -man -ww -z "$page" >"$T/w" 2>&1
        check "$name: groff -man -ww without warnings" "" "$(cat "$T/w")"
    fi
    if [ "$have_man" = 1 ]; then
        man --warnings -E UTF-8 -l "$page" >"$T/out" 2>"$T/w"
        check "$name: man -l --warnings without warnings" "" "$(cat "$T/w")"
        check_grep "$name: man -l renders NAME" "^NAME" "$T/out"
    fi
done
section "$MAN/crampstat.1" "EXIT STATUS" >"$T/exit"
for code in $codes; do
    check_grep "crampstat.1: exit status $code" "^\\.B $code\$" "$T/exit"
    check_grep "exit-codes.md: exit status $code" "^| $code |" docs/exit-codes.md
done
# No man page for a command that does not exist.
for page in "$MAN"/crampstat-*.1; do
    c=$(basename "$page" .1); c=${c#crampstat-}
    case " $(echo "$cmds" | tr "\n" " ") " in
        *" $c "*) ;;
        *) bad "$page: no command '$c' in crampstat --help" ;;
    esac
done

# ---- cmake --install puts them where man finds them ----------------------
# The build tree is the parent of the tests' binary directory (ctest sets
# CS_BIN_DIR); skipped when run by hand without it.
bd=${CS_BIN_DIR:+$(dirname "$CS_BIN_DIR")}
if [ -n "$bd" ] && [ -f "$bd/cmake_install.cmake" ] && command -v cmake >/dev/null 2>&1; then
    cmake --install "$bd" --prefix "$T/inst" >"$T/install.log" 2>&1
    check "cmake --install exit" 0 $?
    for page in "$MAN"/crampstat.1 "$MAN"/crampstat-*.1; do
        f=$T/inst/share/man/man1/$(basename "$page")
        if cmp -s "$page" "$f"; then ok "installed $(basename "$page")"
        else bad "cmake --install did not install $(basename "$page") into share/man/man1 (re-run cmake: the list is made at configure time)"; fi
    done
    if [ "$have_man" = 1 ]; then
        MANPATH=$T/inst/share/man man -w crampstat-aggregate >"$T/where" 2>&1
        check "man -w finds the installed crampstat-aggregate(1)" \
            "$T/inst/share/man/man1/crampstat-aggregate.1" "$(cat "$T/where")"
    fi
else
    skip_part "cmake --install not checked (CS_BIN_DIR not set, or no cmake)"
fi

# ---- the user guide's commands run ---------------------------------------
G=$T/guide
mkdir -p "$G/.bin" "$T/tmp" "$T/blocks"
for e in "$CS_SRC"/*; do ln -s "$e" "$G/"; done
ln -s "$CRAMPSTAT" "$G/.bin/crampstat"
# Each sh block to NN.sh; the text block right after it (a blank line
# between), what it prints, to NN.expect.
awk -v dir="$T/blocks" '
    /^```sh$/   { n++; f = sprintf("%s/%02d.sh", dir, n); inb = 1; after = 0; next }
    /^```text$/ { if (after == 1) { e = sprintf("%s/%02d.expect", dir, n); inb = 2; printf "" > e } after = 0; next }
    /^```/      { if (inb == 1) after = 1; inb = 0; next }
    inb == 1    { print > f; next }
    inb == 2    { print > e; next }
    /^$/        { next }
                { after = 0 }
' "$GUIDE"
nblocks=$(ls "$T/blocks"/*.sh | wc -l)
touch "$T/marker"
check "user guide: at least 20 sh blocks" yes "$([ "$nblocks" -ge 20 ] && echo yes || echo no)"
for b in "$T"/blocks/*.sh; do
    first=$(head -1 "$b")
    (cd "$G" && PATH="$G/.bin:$PATH" TMPDIR="$T/tmp" \
        bash -e -o pipefail "$b") >"$T/block.out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then ok "user guide block $(basename "$b" .sh): $first"
    else
        bad "user guide block $(basename "$b" .sh) exits $rc: $first"
        sed 's/^/    /' "$T/block.out" | head -20
    fi
    # "The outputs were captured from the same commands": the text block
    # after it is what it prints (standard output and error as a terminal
    # shows them), but for blank lines at its end.
    e=${b%.sh}.expect
    if [ -f "$e" ]; then
        if diff <(awk '{ l[NR] = $0 } END { n = NR; while (n > 0 && l[n] == "") n--; for (i = 1; i <= n; i++) print l[i] }' "$T/block.out") \
                "$e" >"$T/block.diff"; then
            ok "user guide block $(basename "$b" .sh): the output shown"
        else
            bad "user guide block $(basename "$b" .sh): the output shown is not what it prints ($first):"
            sed 's/^/    /' "$T/block.diff" | head -20
        fi
    fi
done
# The guide wrote into the scratch directory, never into the source tree.
check "user guide: nothing written into sample-data/" "" \
    "$(find "$CS_SRC/sample-data" -newer "$T/marker" -print)"

finish
