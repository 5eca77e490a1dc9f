#!/usr/bin/env bash
# Edge cases whose whole output or message is fixed, byte for byte:
#  - gen: a write error on standard output says why, and an --out-dir
#    that is not a directory is named as such;
#  - a time in the zone -00:00 (RFC 3339: offset unknown) is written back
#    by ingest as given, and every later stage treats it as Z and +00:00;
#  - a session whose participant's survey rows were all rejected says so,
#    with their count, in join and in analyze.
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

# ---- -00:00 ------------------------------------------------------------
EXH=participant_id,session_id,start_time,activity,duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,cramp,cramp_muscle
{
    echo "$EXH"
    echo "P0000001,S1,2024-05-07T10:00:00-00:00,running,60,5,20,50,500,10,yes,no,"
    echo "P0000001,S2,2024-05-07T10:00-00:00,running,60,5,20,50,500,10,yes,no,"
    echo "P0000001,S3, 2024-05-07T10:00:00-00:00 ,running,60,5,20,50,500,10,yes,no,"
    echo "P0000001,S4,2024-05-07 10:00:00-00:00,running,60,5,20,50,500,10,yes,no,"
    echo "P0000001,S5,2024-05-07T10:00:00-01:30,running,60,5,20,50,500,10,yes,no,"
} >"$T/tz.csv"
cs ingest -q "$T/tz.csv" >"$T/tz.out"
check "ingest -00:00: exit" 0 $?
check "ingest -00:00: written as given" "$EXH
P0000001,S1,2024-05-07T10:00:00-00:00,running,60,5,20,50,500,10,yes,no,
P0000001,S2,2024-05-07T10:00:00-00:00,running,60,5,20,50,500,10,yes,no,
P0000001,S3,2024-05-07T10:00:00-00:00,running,60,5,20,50,500,10,yes,no,
P0000001,S4,2024-05-07T10:00:00-00:00,running,60,5,20,50,500,10,yes,no,
P0000001,S5,2024-05-07T10:00:00-01:30,running,60,5,20,50,500,10,yes,no," "$(cat "$T/tz.out")"
# The same sessions in Z, +00:00 and -00:00: the chain's outputs differ in
# the zone's text only, the reports not at all.
zcat sample-data/survey.csv.gz | head -3 >"$T/sv.csv"
for z in Z +00:00 -00:00; do
    {
        echo "$EXH"
        echo "P0000001,S1,2024-05-07T23:30:00$z,running,100,8,34,80,100,0,no,yes,hamstring"
        echo "P0000001,S2,2024-05-08T00:30:00$z,running,60,5,20,50,500,10,yes,no,"
        echo "P0000002,S3,2024-05-13T00:00:00$z,soccer,90,7,25,60,800,5,yes,yes,calf"
    } >"$T/ex$z.csv"
    cs ingest -q "$T/ex$z.csv" | cs join -q --survey "$T/sv.csv" | cs tag -q >"$T/tag$z.csv"
    sed "s/T\([0-9:]*\)$z,/T\1@,/" "$T/tag$z.csv" >"$T/tagnorm$z.csv"
    cs filter 'start_time < 2024-05-08T00:00:00Z' "$T/tag$z.csv" | cut -d, -f2 |
        tr '\n' ' ' >"$T/filter$z"
    cs aggregate -q --period week --format csv <"$T/tag$z.csv" >"$T/agg$z.csv"
    cs analyze -q -S "$T/sv.csv" -e "$T/ex$z.csv" --format json |
        sed "s|$T/ex$z.csv|EX|g" >"$T/an$z.json"
done
check "-00:00 through join and tag: read back" 3 "$(grep -c -- '-00:00,' "$T/tag-00:00.csv")"
for z in +00:00 -00:00; do
    check_file "join and tag: $z as Z" "$T/tagnormZ.csv" "$T/tagnorm$z.csv"
    check "filter: $z as Z" "session_id S1 " "$(cat "$T/filter$z")"
    check_file "aggregate --period week: $z as Z" "$T/aggZ.csv" "$T/agg$z.csv"
    check_file "analyze: $z as Z" "$T/anZ.json" "$T/an$z.json"
done

# ---- a participant whose survey rows were all rejected ----------------
{
    head -1 "$T/sv.csv"
    sed -n 2p "$T/sv.csv"
    sed -n 2p "$T/sv.csv" | sed 's/^P0000001,2024-02-15,F,28,/P7,2024-02-15,F,9,/'
    sed -n 2p "$T/sv.csv" | sed 's/^P0000001,2024-02-15,F,28,/P7,2024-03-15,F,9,/'
} >"$T/svr.csv"
{
    echo "$EXH"
    echo "P7,S1,2024-05-07T10:00:00Z,running,60,5,20,50,500,10,yes,no,"
    echo "P8,S2,2024-05-07T10:00:00Z,running,60,5,20,50,500,10,yes,no,"
} >"$T/exr.csv"
# The reason field of reject-log lines, unquoted.
reasons() { sed 's/.*,participant_id,"\(.*\)","P[0-9].*/\1/; s/""/"/g'; }
want='participant_id: "P7" has no valid survey row (2 rejected)
participant_id: "P8" has no survey row'
cs join -q --survey "$T/svr.csv" --rejects "$T/rj.csv" "$T/exr.csv" >/dev/null
check "join: rows rejected, exit" 0 $?
check "join: the reasons" "$want" "$(grep 'exr\.csv,' "$T/rj.csv" | reasons)"
cs analyze -q -S "$T/svr.csv" -e "$T/exr.csv" --rejects "$T/rj2.csv" >/dev/null
check "analyze: the same reasons" "$want" "$(grep 'exr\.csv,' "$T/rj2.csv" | reasons)"

# ---- gen's arguments: each range in the message, numbers as plain decimals
# (0x10 and 1e2 were taken; -s -1 was "not a whole number"; the ranges of
# -n and -m came later, without the value or the hint).
gen_bad() {   # gen_bad ARGS EXPECTED_FIRST_LINE
    cs gen $1 -d "$T/genbad" >/dev/null 2>"$T/err"
    check "gen $1: usage error, nothing made" "64 no" "$? $([ -e "$T/genbad" ] && echo yes || echo no)"
    check "gen $1: message" "$2" "$(head -1 "$T/err")"
    check "gen $1: the hint" "Try 'crampstat gen --help'." "$(sed -n 2p "$T/err")"
}
gen_bad "-m 0x10" "crampstat: gen: --sessions-mean wants a number from 0 to 10000, not '0x10'"
gen_bad "-m 1e2" "crampstat: gen: --sessions-mean wants a number from 0 to 10000, not '1e2'"
gen_bad "-m nan" "crampstat: gen: --sessions-mean wants a number from 0 to 10000, not 'nan'"
gen_bad "-m 10001" "crampstat: gen: --sessions-mean wants a number from 0 to 10000, not '10001'"
gen_bad "-n 100000001" "crampstat: gen: --participants wants a whole number from 1 to 100000000, not '100000001'"
gen_bad "-s -1" "crampstat: gen: --seed wants a whole number from 0 to 18446744073709551615, not '-1'"

finish
