# Defects for the hostile-input corpus: sourced, not run (except "regen").
#
#   defect NAME IN OUT   apply defect NAME to the clean CSV file IN, write OUT
#   defect_ext NAME      the file name ending the defect's output wants
#
# The committed exercise-flavour files tests/hostile/<NAME><ext> were made
# by "bash tests/hostile/defects.sh regen" from base-exercise.csv; the test
# (tests/cli/hostile.sh) applies the same defects at run time to the other
# inputs a command reads: the survey, joined and tagged files. Every clean
# input has a header and three data rows (lines 2-4).

# The column a "missing-column" defect removes: one the reading stage needs.
missing_column_for() {
    case "$(head -n 1 "$1")" in
        *,outcome,*|*,outcome) echo outcome ;;   # tagged: aggregate needs it
        *session_id*) echo cramp ;;              # exercise, joined
        *) echo sex ;;                           # survey
    esac
}

defect_ext() {
    case "$1" in
        gz-*|bomb-*) echo .csv.gz ;;
        *) echo .csv ;;
    esac
}

# Flip one byte (XOR 0x01) at offset OFF (negative: from the end).
flip_byte() {
    python3 - "$1" "$2" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
d = bytearray(open(path, "rb").read())
d[off] ^= 0x01
open(path, "wb").write(bytes(d))
PY
}

# One gzip member of 100 MiB of zeros (or line ends), about 100 kB: members
# concatenate, so a bomb is copies of it. Made once per run.
DEFECT_CACHE=${DEFECT_CACHE:-${TMPDIR:-/tmp}}
bomb_member() {
    [ -s "$DEFECT_CACHE/$1.gz" ] && return 0
    if [ "$1" = zeros ]; then
        head -c 104857600 /dev/zero | gzip -9n >"$DEFECT_CACHE/$1.gz"
    else
        head -c 104857600 /dev/zero | tr '\0' '\n' | gzip -9n >"$DEFECT_CACHE/$1.gz"
    fi
}

defect() {
    local name=$1 in=$2 out=$3 n col
    case "$name" in
    # ---- gzip layer ---------------------------------------------------
    gz-truncated)        # the last 12 bytes (trailer and some data) cut off
        gzip -9nc "$in" >"$out.full"
        n=$(($(wc -c <"$out.full") - 12))
        head -c "$n" "$out.full" >"$out"; rm -f "$out.full" ;;
    gz-crc)              # CRC-32 in the trailer does not match
        gzip -9nc "$in" >"$out"; flip_byte "$out" -8 ;;
    gz-length)           # ISIZE in the trailer does not match
        gzip -9nc "$in" >"$out"; flip_byte "$out" -4 ;;
    gz-corrupt)          # a flipped bit inside the deflate data
        gzip -9nc "$in" >"$out"; flip_byte "$out" 20 ;;
    gz-trailing-garbage) # bytes after the last member that are no member
        { gzip -9nc "$in"; printf 'garbage\n'; } >"$out" ;;
    gz-trailing-zeros)   # tape-style zero padding after the member
        { gzip -9nc "$in"; head -c 512 /dev/zero; } >"$out" ;;
    gz-plain-named)      # plain text under a .gz name: read as plain
        cp "$in" "$out" ;;
    gz-empty)            # a valid gzip member of nothing
        gzip -9nc </dev/null >"$out" ;;
    gz-header-only)      # the gzip header and nothing else
        gzip -9nc "$in" | head -c 10 >"$out" ;;
    gz-two-members)      # header in one member, rows in another: one stream
        { head -n 1 "$in" | gzip -9nc; tail -n +2 "$in" | gzip -9nc; } >"$out" ;;
    gz-bzip2)            # bzip2 magic: refused by name, not parsed as CSV
        { printf 'BZh91AY&SY'; cat "$in"; } >"$out" ;;
    # ---- file and CSV structure -----------------------------------------
    empty)               # zero bytes
        : >"$out" ;;
    blank-lines)         # line ends and nothing else
        printf '\n\n\r\n\n' >"$out" ;;
    header-only)
        head -n 1 "$in" >"$out" ;;
    header-only-no-eol)
        head -n 1 "$in" | tr -d '\n' >"$out" ;;
    bom)                 # UTF-8 byte order mark before the header
        { printf '\357\273\277'; cat "$in"; } >"$out" ;;
    bom-twice)           # a second BOM is part of the first column's name
        { printf '\357\273\277\357\273\277'; cat "$in"; } >"$out" ;;
    crlf)
        sed 's/$/\r/' "$in" >"$out" ;;
    mixed-eol)           # LF, CRLF, a lone CR, and no line end at the end
        awk 'NR == 1 { printf "%s\n", $0 } NR == 2 { printf "%s\r\n", $0 }
             NR == 3 { printf "%s\r", $0 } NR == 4 { printf "%s", $0 }' "$in" >"$out" ;;
    no-final-eol)
        head -c -1 "$in" >"$out" ;;
    quoted-newline)      # row 1's first field quoted, with a line end inside
        awk 'NR == 2 { sub(/^[^,]*/, "\"&\n\"") } { print }' "$in" >"$out" ;;
    quoted-fields)       # every field of every row quoted, "" escapes legal
        awk -F, 'NR == 1 { print; next }
             { s = ""; for (i = 1; i <= NF; i++) s = s (i > 1 ? "," : "") "\"" $i "\""; print s }' "$in" >"$out" ;;
    unterminated-quote)  # a last row whose quote never closes (line 5, column 1)
        { cat "$in"; printf '"P0000001,X999,2024-05-10,running,30,5\n'; } >"$out" ;;
    stray-quote)         # a quote inside an unquoted field of row 2
        awk 'NR == 3 { sub(/,/, ",x\"y") } { print }' "$in" >"$out" ;;
    ragged)              # a short row and a long row appended (lines 5, 6)
        { cat "$in"; sed -n 2p "$in" | cut -d, -f1-3; sed -n 2p "$in" | sed 's/$/,extra/'; } >"$out" ;;
    nul-byte)            # a NUL inside row 2's first field
        awk 'NR == 3 { sub(/^P/, "P\001") } { print }' "$in" | tr '\001' '\000' >"$out" ;;
    invalid-utf8)        # a lone 0xFF and an overlong '/' in row 2's first field
        awk 'NR == 3 { sub(/^P/, "P\377\300\257") } { print }' "$in" >"$out" ;;
    dup-column)          # the header names its second column twice
        col=$(head -n 1 "$in" | cut -d, -f2)
        awk -v c="$col" -F, 'NR == 1 { print $0 "," toupper(c); next } { print $0 "," $2 }' "$in" >"$out" ;;
    missing-column)      # a column the reading stage requires is removed
        col=$(missing_column_for "$in")
        awk -v c="$col" -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
             { s = ""; n = 0; for (i = 1; i <= NF; i++) if (i != k) s = s (n++ ? "," : "") $i; print s }' "$in" >"$out" ;;
    dup-factor-column)   # tagged input naming the heat factor twice
        awk -F, 'NR == 1 { print $0 ",HEAT"; next } { print $0 ",1" }' "$in" >"$out" ;;
    empty-header-name)   # an unnamed extra column
        awk -F, 'NR == 1 { print $0 ","; next } { print $0 ",x" }' "$in" >"$out" ;;
    too-many-fields)     # 5000 fields on row 1: over the 4096 cap
        { head -n 1 "$in"; sed -n 2p "$in" | tr -d '\n'; head -c 5000 /dev/zero | tr '\0' ','; echo; tail -n +3 "$in"; } >"$out" ;;
    dup-row)             # row 1 again at the end: a duplicate session id
        { cat "$in"; sed -n 2p "$in"; } >"$out" ;;
    # ---- big ones: made at run time, never committed ---------------------
    field-10mb)          # a 10 MB unquoted first field on row 1: over the line cap
        { head -n 1 "$in"; head -c 10485760 /dev/zero | tr '\0' a; tail -n +2 "$in"; } >"$out" ;;
    field-10mb-quoted)   # a 10 MB quoted field with a line end every 10 kB
        { head -n 1 "$in"; printf '"'
          head -c 10485760 /dev/zero | tr '\0' a | fold -w 10000; printf '",'
          tail -n +2 "$in"; } >"$out" ;;
    field-2mb)           # a 2 MB first field: under the line cap, over the field cap
        { head -n 1 "$in"; head -c 2097152 /dev/zero | tr '\0' a; tail -n +2 "$in"; } >"$out" ;;
    bomb-zeros)          # the clean file, then 3 GiB of zeros in 30 gzip members
                         # (100 MiB times BOMB_ZERO_MEMBERS)
        bomb_member zeros
        { gzip -9nc "$in"; for n in $(seq "${BOMB_ZERO_MEMBERS:-30}"); do
              cat "$DEFECT_CACHE/zeros.gz"; done; } >"$out" ;;
    bomb-newlines)       # the clean file, then 300 MiB of empty lines (100 MiB
                         # times BOMB_NEWLINE_MEMBERS)
        bomb_member newlines
        { gzip -9nc "$in"; for n in $(seq "${BOMB_NEWLINE_MEMBERS:-3}"); do
              cat "$DEFECT_CACHE/newlines.gz"; done; } >"$out" ;;
    *) echo "defect: unknown defect '$name'" >&2; return 1 ;;
    esac
}

# The defects committed as exercise-flavour files.
DEFECTS="gz-truncated gz-crc gz-length gz-corrupt gz-trailing-garbage
gz-trailing-zeros gz-plain-named gz-empty gz-header-only gz-two-members gz-bzip2
empty blank-lines header-only header-only-no-eol bom bom-twice crlf mixed-eol
no-final-eol quoted-newline quoted-fields unterminated-quote stray-quote ragged
nul-byte invalid-utf8 dup-column missing-column empty-header-name
too-many-fields dup-row"

if [ "${1:-}" = regen ]; then
    cd "$(dirname "$0")" || exit 1
    for d in $DEFECTS; do
        defect "$d" base-exercise.csv "$d$(defect_ext "$d")" || exit 1
    done
fi
