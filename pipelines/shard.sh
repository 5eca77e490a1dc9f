#!/usr/bin/env bash
# Split exercise files into N gzip shards, every shard with the header,
# every participant's sessions in one shard (or round-robin by record with
# --by-lines). The shards are the inputs of parallel.sh and of the Slurm
# job array; merging their partial states gives exactly the report of the
# unsplit files.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: shard.sh [-n N] [-o DIR] [-p PREFIX] [--by-lines] FILE...
Split exercise CSV files (gzip or plain) into N shards written as
DIR/PREFIX1.csv.gz ... DIR/PREFIXN.csv.gz (numbers not zero-padded, so
shard K is Slurm array task K and GNU parallel job K). Each shard starts
with the header; the files must share one header, and their rows are
dealt out by a hash of participant_id, so that a participant's sessions
all land in the same shard whatever file they come from. The id is hashed
as crampstat reads it: CSV quotes removed, then spaces and tabs at its
edges trimmed (so " P1", "P1" quoted and "P1<TAB>" are P1); case counts
(p1 is another participant, as for crampstat).

  -n, --shards N     number of shards (default: the number of cores)
  -o, --out-dir DIR  where to write (default: .; created if missing)
  -p, --prefix P     shard name prefix (default: shard-)
      --by-lines     deal records out round-robin instead of by participant
  -z, --gzip-level L gzip compression level of the shards (default 1:
                     shards are intermediate files, and level 6 would
                     cost three times the CPU). Where ISA-L's igzip is
                     installed (Debian: isal), it inflates the inputs and
                     compresses levels 1 to 3 (its own levels), about
                     three times faster; SHARD_IGZIP=no keeps to gzip
  -h, --help         show this help

CSV fields quoted over several lines stay whole. A shard may hold only the
header when there are fewer participants than shards; crampstat handles
that. The shards appear together, renamed into place once all are written;
a failed run leaves none. They replace an earlier set with the same prefix
in DIR whole: its shards past N are removed.

Exit status: 0 ok, 64 usage, 65 bad input (no participant_id column,
headers differ, no header), 66 a FILE cannot be read, 74 write error.
EOF
}

die() { local rc=$1; shift; echo "shard.sh: $*" >&2; exit "$rc"; }

n=$(nproc 2>/dev/null || echo 1)
out=.
prefix=shard-
mode=participant
level=1
files=()
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        -n|--shards) [ $# -ge 2 ] || die 64 "$1 needs a value"; n=$2; shift 2 ;;
        --shards=*) n=${1#*=}; shift ;;
        -o|--out-dir) [ $# -ge 2 ] || die 64 "$1 needs a value"; out=$2; shift 2 ;;
        --out-dir=*) out=${1#*=}; shift ;;
        -p|--prefix) [ $# -ge 2 ] || die 64 "$1 needs a value"; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#*=}; shift ;;
        --by-lines) mode=lines; shift ;;
        -z|--gzip-level) [ $# -ge 2 ] || die 64 "$1 needs a value"; level=$2; shift 2 ;;
        --gzip-level=*) level=${1#*=}; shift ;;
        --) shift; files+=("$@"); break ;;
        -?*) die 64 "unknown option '$1' (try --help)" ;;
        *) files+=("$1"); shift ;;
    esac
done
[[ $n =~ ^[1-9][0-9]*$ ]] || die 64 "--shards wants a positive integer, not '$n'"
[[ $level =~ ^[1-9]$ ]] || die 64 "--gzip-level wants 1 to 9, not '$level'"
[ "${#files[@]}" -gt 0 ] || die 64 "no input FILE (try --help)"
case $prefix in */*) die 64 "--prefix may not contain '/'" ;; esac
for f in "${files[@]}"; do
    { [ -r "$f" ] && [ ! -d "$f" ]; } || die 66 "cannot read '$f'"
done
mkdir -p -- "$out" || die 74 "cannot create '$out'"

# The first line of every file (its header) must be the same.
first_line() { { gzip -dc -f -- "$1" 2>/dev/null || true; } | { head -n 1 || true; } | tr -d '\r'; }
header=$(first_line "${files[0]}")
[ -n "$header" ] || die 65 "'${files[0]}' is empty: no header"
for f in "${files[@]:1}"; do
    [ "$(first_line "$f")" = "$header" ] ||
        die 65 "'$f' has another header than '${files[0]}'; shard them separately"
done

# Temporary shards beside the final ones, renamed into place at the end.
tag=".shard-tmp.$$"
cleanup() { rm -f -- "$out/$tag".*; }
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# ISA-L's igzip (Debian: isal), where it is installed, inflates the gzip
# inputs and compresses shards of --gzip-level 1 to 3 (its own levels):
# about three times gzip's speed at both, and the split reads and writes
# every byte of the input. SHARD_IGZIP=no keeps to gzip.
use_igzip=0
if [ "${SHARD_IGZIP:-yes}" != no ] && command -v igzip >/dev/null 2>&1; then
    use_igzip=1
fi
zip="gzip -$level -c"
[ $use_igzip = 1 ] && [ "$level" -le 3 ] && zip="igzip -$level -c"
# A regular file that starts as gzip does; anything else to gzip -f.
is_gzip() { [ -f "$1" ] && [ "$(head -c 2 -- "$1" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; }
inflate() {
    if [ $use_igzip = 1 ] && is_gzip "$1"; then igzip -dc <"$1"
    else gzip -dc -f -- "$1"; fi
}

# One stream: the first file whole, the others without their header.
stream() {
    local f first=1
    for f in "${files[@]}"; do
        if [ $first = 1 ]; then inflate "$f" || return; first=0
        else inflate "$f" | tail -n +2 || return; fi
    done
}

# awk deals records out; each shard is a gzip process fed by a pipe.
# LC_ALL=C: bytes, not characters, so the hash is the same everywhere.
set +e
stream | LC_ALL=C awk -v n="$n" -v zip="$zip" -v dir="$out" -v tag="$tag" -v mode="$mode" '
function shq(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
# Field k of a CSV record (quotes removed).
function field(rec, k,    i, c, f, inq, len, out) {
    if (index(rec, "\"") == 0) {
        if (k == 1) return (i = index(rec, ",")) ? substr(rec, 1, i - 1) : rec
        split(rec, a, ","); return a[k]
    }
    f = 1; inq = 0; out = ""; len = length(rec)
    for (i = 1; i <= len; i++) {
        c = substr(rec, i, 1)
        if (inq) {
            if (c == "\"") {
                if (substr(rec, i + 1, 1) == "\"") { if (f == k) out = out c; i++ }
                else inq = 0
            } else if (f == k) out = out c
        } else if (c == "\"") inq = 1
        else if (c == ",") { if (f == k) return out; f++ }
        else if (f == k) out = out c
    }
    return out
}
function hash(s,    i, h) {
    h = 0
    for (i = 1; i <= length(s); i++) h = (h * 31 + ord[substr(s, i, 1)]) % 2147483647
    return h
}
BEGIN {
    for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
    col = 0; rec = ""; q = 0; nrec = 0
}
{
    # CR LF ends dropped; a record quoted over several lines gathered
    # (q: the quotes so far, odd while it goes on). The common line has
    # no CR and no quote, and takes three index calls.
    if (index($0, "\r")) sub(/\r$/, "")
    if (q) {
        rec = rec "\n" $0
        if (index($0, "\"")) q += gsub(/"/, "\"")
        if (q % 2) next
        q = 0
    } else if (index($0, "\"")) {
        rec = $0
        if ((q = gsub(/"/, "\"") % 2)) next
        q = 0
    } else rec = $0
    if (!col) {
        hdr = rec
        m = split(rec, h, ",")
        for (i = 1; i <= m; i++) {
            name = tolower(h[i]); gsub(/[" \t]/, "", name)
            sub(/^\357\273\277/, "", name)
            if (name == "participant_id") { col = i; break }
        }
        if (!col && mode == "participant") {
            print "shard.sh: no participant_id column in the header" > "/dev/stderr"
            bad = 65; exit 65
        }
        if (!col) col = 1
        for (k = 1; k <= n; k++) {
            cmd[k] = zip " > " shq(dir "/" tag "." k)
            print hdr | cmd[k]
        }
        next
    }
    if (mode == "lines") k = nrec % n + 1
    else {
        # Sessions of a participant mostly come together: the id is
        # trimmed and hashed once per run of the same field text. The id
        # as crampstat reads it: unquoted, then spaces and tabs trimmed
        # at both edges (cs_str_trim), case kept.
        if (col == 1 && !index(rec, "\""))
            id = (i = index(rec, ",")) ? substr(rec, 1, i - 1) : rec
        else
            id = field(rec, col)
        if (!seen || id != last_raw) {
            seen = 1; last_raw = id
            sub(/^[ \t]+/, "", id); sub(/[ \t]+$/, "", id)
            last_k = hash(id) % n + 1
        }
        k = last_k
    }
    nrec++
    print rec | cmd[k]
}
END {
    if (bad) exit bad
    if (q % 2) { print "shard.sh: unterminated quoted field at the end" > "/dev/stderr"; exit 65 }
    if (!col) { print "shard.sh: no header" > "/dev/stderr"; exit 65 }
    for (k = 1; k <= n; k++) if (close(cmd[k]) != 0) err = 74
    exit err
}'
st=("${PIPESTATUS[@]}")
set -e
if [ "${st[1]}" -ne 0 ]; then
    [ "${st[1]}" -eq 74 ] && die 74 "cannot write the shards in '$out'"
    exit "${st[1]}"
fi
[ "${st[0]}" -eq 0 ] || die 65 "cannot decompress the input (status ${st[0]})"

for ((k = 1; k <= n; k++)); do
    mv -f -- "$out/$tag.$k" "$out/$prefix$k.csv.gz" || die 74 "cannot rename shard $k into place"
done
# An earlier set under the same prefix is replaced whole: its shards past
# N would otherwise be read with the new ones, their rows twice.
for f in "$out/$prefix"*.csv.gz; do
    k=${f#"$out/$prefix"}; k=${k%.csv.gz}
    if [[ $k =~ ^[1-9][0-9]*$ ]] && [ "$k" -gt "$n" ]; then
        rm -f -- "$f" || die 74 "cannot remove the earlier shard '$f'"
    fi
done
