#!/usr/bin/env bash
# Run every command in every output format on sample-data/ and on a small
# 'crampstat gen' data set (20 participants, seed 7), and write what each
# one printed into OUTDIR:
# NAME.out (standard output), NAME.err (standard error, when any), the
# files it wrote by option (reject logs, partial states, -o), and one line
# per run in OUTDIR/SET/exit-codes. update.sh keeps the result as the
# golden files; tests/cli/golden.sh makes it again and compares.
#
# Usage: produce.sh OUTDIR [SET...]   (CRAMPSTAT: the binary; CS_SRC: the
# source tree). SET: common, sample, gen (the subdirectories common,
# sample, gen-command and gen); without one, all three.
#
# What varies from run to run is normalised, never left out: the time of
# the run and the version in the HTML provenance. The gzip inflater is
# pinned to zlib (CRAMPSTAT_INFLATE) so that --version says the same on a
# machine with or without ISA-L. How big outputs are kept: see the end.
set -uo pipefail
: "${CRAMPSTAT:?set CRAMPSTAT to the crampstat binary}"
: "${CS_SRC:?set CS_SRC to the source tree}"
OUT=${1:?usage: produce.sh OUTDIR [SET...]}
shift
SETS=" ${*:-common sample gen} "
# wanted SET: whether SET is to be made.
wanted() { [[ $SETS == *" $1 "* ]]; }
BIG=$((256 * 1024))
export CRAMPSTAT_INFLATE=zlib LC_ALL=C TZ=UTC
unset CRAMPSTAT_NO_TMPFILE

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# Every path a command sees (and so prints) is relative to $W.
cd "$W" || exit 1
ln -s "$CS_SRC/sample-data" sample-data
ln -s "$CS_SRC/docs" docs

SET=
# run NAME CMD...: CMD's stdout to NAME.out, stderr to NAME.err.
run() {
    local name=$1
    shift
    "$@" >"$OUT/$SET/$name.out" 2>"$OUT/$SET/$name.err"
    echo "$name $?" >>"$OUT/$SET/exit-codes"
}
# keep FILE NAME: a file a command wrote, kept as NAME.
keep() {
    if [ -e "$1" ]; then cp "$1" "$OUT/$SET/$2"; else echo "(no file)" >"$OUT/$SET/$2"; fi
}
cs() { "$CRAMPSTAT" "$@"; }

begin() {
    SET=$1
    rm -rf "${OUT:?}/$SET"
    mkdir -p "$OUT/$SET"
}

# ---- the commands that do not read data -------------------------------
common_set() {
begin common
run top-help cs --help
run version cs --version
run help-unknown cs help nosuch
run unknown-command cs nosuch
for c in analyze ingest join tag filter aggregate merge report calories rules gen; do
    run "help-$c" cs "$c" --help
    run "help-via-help-$c" cs help "$c"
    run "bad-option-$c" cs "$c" --no-such-option
done
run rules cs rules
run rules-file cs rules --rules docs/example.rules
run rules-missing cs rules --rules no-such.rules
run ingest-bad-exercise cs ingest --schema exercise --rejects rej-ex.csv sample-data/bad-exercise.csv
keep rej-ex.csv ingest-bad-exercise.rejects.csv
run ingest-bad-survey cs ingest --schema survey --rejects rej-sv.csv sample-data/bad-survey.csv
keep rej-sv.csv ingest-bad-survey.rejects.csv
run ingest-bad-auto-rate cs ingest --max-reject-rate 5% --rejects rej-auto.csv \
    sample-data/bad-exercise.csv sample-data/bad-survey.csv
keep rej-auto.csv ingest-bad-auto-rate.rejects.csv
run ingest-missing cs ingest no-such-file.csv.gz
run ingest-bad-schema cs ingest --schema nosuch sample-data/bad-exercise.csv
run analyze-no-survey cs analyze --exercise sample-data/bad-exercise.csv
run aggregate-bad-level cs aggregate --level 2
run aggregate-bad-format cs aggregate --format html
run report-bad-ci cs report --ci nosuch
run filter-bad-expr cs filter 'sex = = F'
run gen-bad-participants cs gen --participants -3
}
wanted common && common_set

# ---- one data set: sample-data/ or the gen set ------------------------
# dataset SET SURVEY EXERCISE BY ADJUST
dataset() {
    local V=$2 X=$3 by=$4 adj=$5 fmt
    begin "$1"

    # ingest, join, tag, filter: the row streams and their reject logs.
    run ingest-exercise cs ingest --schema exercise --rejects r.csv "$X"
    keep r.csv ingest-exercise.rejects.csv
    run ingest-survey cs ingest --schema survey "$V"
    run ingest-auto-threads1 cs ingest --threads 1 "$X"
    run ingest-mixed cs ingest "$V" "$X"
    cs ingest -q --schema exercise "$X" >ex.csv
    run join cs join --survey "$V" --rejects r.csv ex.csv
    keep r.csv join.rejects.csv
    run join-raw-dedup cs join --dedup --survey "$V" "$X"
    cs join -q --survey "$V" ex.csv >joined.csv
    run tag cs tag --rejects r.csv joined.csv
    keep r.csv tag.rejects.csv
    run tag-any cs tag -q --outcome any --rules docs/example.rules joined.csv
    run tag-safe-csv cs tag -q --safe-csv -o tag-o.csv joined.csv
    keep tag-o.csv tag-safe-csv.file
    cs tag -q joined.csv >tagged.csv
    run filter cs filter 'sex = F and age_years >= 40' tagged.csv
    run filter-in cs filter "activity in (running, soccer) and heat = 1" tagged.csv

    # aggregate: every format, stratified, adjusted, every option.
    for fmt in pretty csv tsv json md; do
        run "aggregate.$fmt" cs aggregate --input-name "$X" --format "$fmt" tagged.csv
        run "aggregate-by.$fmt" cs aggregate -q --by "$by" --adjust "$adj" \
            --input-name "$X" --format "$fmt" tagged.csv
    done
    run aggregate-options.json cs aggregate -q --by sex --level 0.9 --ci exact \
        --yates --cluster none --period week --format json tagged.csv
    run aggregate-options.pretty cs aggregate -q --by sex --level 0.9 --ci exact \
        --yates --cluster none --period week tagged.csv
    run aggregate-any cs aggregate -q --outcome any --rules docs/example.rules \
        --safe-csv --format csv tagged.csv
    run aggregate-stdin cs aggregate -q --format json <tagged.csv
    run aggregate-o cs aggregate -q -o agg-o.md --format md tagged.csv
    keep agg-o.md aggregate-o.file
    # Rows that are not valid tagged rows: a few lines of the joined file.
    head -5 tagged.csv >badtag.csv
    head -3 joined.csv | tail -2 >>badtag.csv
    run aggregate-rejects cs aggregate --rejects r.csv --format csv badtag.csv
    keep r.csv aggregate-rejects.rejects.csv
    run aggregate-untagged cs aggregate joined.csv

    # Partial states of two shards by participant, merged, reported.
    head -1 tagged.csv >t0.csv
    head -1 tagged.csv >t1.csv
    awk -F, 'NR > 1 { print >> ("t" (substr($1, 2) % 2) ".csv") }' tagged.csv
    run partial cs aggregate -q --partial --by sex --input-name "$X" tagged.csv
    run partial-0 cs aggregate -q --partial --by sex --input-name "$X" t0.csv
    run partial-1 cs aggregate -q --partial --by sex --input-name "$X" t1.csv
    cp "$OUT/$SET/partial-0.out" p0.partial
    cp "$OUT/$SET/partial-1.out" p1.partial
    run merge cs merge p1.partial p0.partial
    run merge-stdin cs merge <p0.partial
    run merge-o cs merge -o m.partial p0.partial p1.partial
    keep m.partial merge-o.file
    for fmt in pretty csv tsv json md; do
        run "report.$fmt" cs report --format "$fmt" m.partial
    done
    run report-options cs report --level 0.99 --ci exact --yates --cluster none \
        --period week --safe-csv --format csv m.partial
    run report-stdin cs report <m.partial
    cs aggregate -q --partial --by age_band tagged.csv >other.partial
    run merge-mismatch cs merge p0.partial other.partial

    # calories: survey and tagged states, each format, merged.
    for fmt in pretty csv tsv json md; do
        run "calories-survey.$fmt" cs calories --format "$fmt" "$V"
        run "calories-tagged.$fmt" cs calories -q --format "$fmt" tagged.csv
    done
    for g in age_band activity_level; do
        run "calories-survey-$g" cs calories -q --by "$g" --format json "$V"
    done
    run calories-options cs calories -q --level 0.9 --ci exact --safe-csv \
        --format csv tagged.csv
    run calories-rejects cs calories --rejects r.csv sample-data/bad-survey.csv
    keep r.csv calories-rejects.rejects.csv
    run calories-survey-stdin cs calories -q --format json <"$V"
    run calories-partial-survey cs calories -q --partial "$V"
    run calories-partial-tagged cs calories -q --partial tagged.csv
    cp "$OUT/$SET/calories-partial-survey.out" cs.partial
    cp "$OUT/$SET/calories-partial-tagged.out" ct.partial
    run calories-merge cs merge cs.partial ct.partial
    cp "$OUT/$SET/calories-merge.out" cm.partial
    for fmt in pretty csv tsv json md; do
        run "calories-report.$fmt" cs report --format "$fmt" cm.partial
    done
    run merge-kinds cs merge cs.partial p0.partial

    # analyze: the whole chain, every format, and its options.
    for fmt in pretty csv tsv json md html; do
        run "analyze.$fmt" cs analyze -q --survey "$V" --exercise "$X" --format "$fmt"
    done
    run analyze-by.json cs analyze -q --by "$by" --adjust "$adj" --survey "$V" \
        --exercise "$X" --format json
    run analyze-by.html cs analyze -q --by "$by" --adjust "$adj" --survey "$V" \
        --exercise "$X" --format html
    run analyze-verbose cs analyze --verbose --threads 1 --survey "$V" --exercise "$X" \
        --rejects r.csv -o an.md --format md
    keep r.csv analyze-verbose.rejects.csv
    keep an.md analyze-verbose.file
    run analyze-options cs analyze -q --level 0.9 --ci exact --yates --cluster none \
        --period week --outcome any --rules docs/example.rules --assume-unique-ids \
        --safe-csv --survey "$V" --exercise "$X" --format csv
    run analyze-bad-files cs analyze --survey "$V" --exercise "$X" \
        --exercise sample-data/bad-exercise.csv --rejects r.csv --format json
    keep r.csv analyze-bad-files.rejects.csv
    printf 'not gzip at all' >broken.csv.gz
    run analyze-keep-going cs analyze --keep-going --survey "$V" --exercise "$X" \
        --exercise broken.csv.gz --format pretty
    run analyze-no-keep-going cs analyze --survey "$V" --exercise "$X" \
        --exercise broken.csv.gz
}

wanted sample &&
    dataset sample sample-data/survey.csv.gz sample-data/exercise.csv.gz age_band activity

# The gen set: small enough to keep every row stream whole, so that a
# change there shows as a diff.
if wanted gen; then
    begin gen-command
    run gen-truth cs gen --participants 20 --sessions-mean 8 --seed 7 --truth
    run gen cs gen --participants 20 --sessions-mean 8 --seed 7 --out-dir gen --truth
    run gen-frailty cs gen --participants 20 --sessions-mean 8 --seed 7 \
        --frailty-sd 1 --out-dir gen-f --truth
    gzip -dc gen/survey.csv.gz >"$OUT/$SET/survey.csv"
    gzip -dc gen/exercise.csv.gz >"$OUT/$SET/exercise.csv"
    gzip -dc gen-f/exercise.csv.gz >"$OUT/$SET/frailty-exercise.csv"
    dataset gen gen/survey.csv.gz gen/exercise.csv.gz sex activity_level
fi

# Normalise; then drop empty stderr files, and keep an output over 256 KiB
# (the sample data's row streams: 13 MB of tagged sessions) as
# NAME.sha256: its digest, byte and line counts and first three lines.
for f in "$OUT"/*/*; do
    case $f in
    *.html.out)
        sed -i -E 's/run [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/run TIME/;
                   s/crampstat [0-9]+\.[0-9]+\.[0-9]+[^ ,<]*/crampstat VERSION/' "$f" ;;
    */version.out)
        sed -i -E 's/^crampstat [0-9]+\.[0-9]+\.[0-9]+.*/crampstat VERSION/' "$f" ;;
    esac
    size=$(stat -c %s "$f")
    if [ "${f%.err}" != "$f" ] && [ "$size" -eq 0 ]; then
        rm -f "$f"
    elif [ "$size" -gt "$BIG" ]; then
        {
            printf '%s  bytes %s  lines %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" \
                "$size" "$(wc -l <"$f")"
            head -3 "$f" | cut -c1-200
        } >"$f.sha256"
        rm -f "$f"
    fi
done
