#!/usr/bin/env bash
# End to end: the epi.2by2 measures as the text and Markdown reports show
# them. With --cluster none every displayed cell of the attributable
# table, the AF and PAF columns, the pooled table's MH risk difference,
# crude/MH ratios and Woolf p, and the table of each stratum, equals R's
# epiR value (tests/data/epi_reference.csv, made by tests/epi_reference.R)
# rounded as the report rounds it. With the default clustering, the AF and
# PAF columns are the robust ones of the JSON report, and the pretty
# report has the same tables.
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC"
S=sample-data
REF=tests/data/epi_reference.csv
cs() { "$CRAMPSTAT" "$@"; }
an() {
    cs analyze --survey $S/survey.csv.gz --exercise $S/exercise.csv.gz --by sex "$@" \
        2>/dev/null
}

an --cluster none --format md >"$T/none.md"
an --format md >"$T/robust.md"
an --format json >"$T/robust.json"
an --format pretty >"$T/robust.pretty"

# cells TITLE FILE: the rows of the Markdown table under "## TITLE" (or
# "### TITLE"), cells separated by a tab, spaces trimmed.
cells() {
    awk -v t="$1" '
        /^#/ { on = (index($0, t) > 0); n = 0; next }
        on && /^\|/ {
            n++
            if (n <= 2) next              # header and rule
            line = $0; sub(/^\| */, "", line); sub(/ *\|$/, "", line)
            k = split(line, c, / *\| */)
            out = c[1]
            for (i = 2; i <= k; i++) out = out "\t" c[i]
            print out
        }' "$2"
}

# fmt_ci SCALE DEC EST LO HI: as cs_fmt_ci shows it ("-" for NA).
fmt_ci() {
    awk -v s="$1" -v d="$2" -v e="${3:-}" -v l="${4:-}" -v h="${5:-}" '
        function f(v,  r) { if (v == "NA" || v == "") return "-"
                            r = sprintf("%." d "f", s * v)
                            if (r ~ /^-0\.0*$/ && s * v > -1e-12) r = substr(r, 2)
                            return r }
        BEGIN { if ((l == "NA" || l == "") && (h == "NA" || h == "")) print f(e)
                else print f(e) " (" f(l) ", " f(h) ")" }'
}
ref() { awk -F, -v k="$1" -v m="$2" '$1 == "ref" && $2 == k && $3 == m {
            print $4, $5, $6; exit }' "$REF"; }

FACTORS="fatigue tightness heat dehydration electrolyte medical medical_disc_injury
medical_parkinsons medical_multiple_sclerosis medical_cerebral_palsy
medical_thyroid_disease medical_kidney_disease medical_alcoholism medical_pregnancy"

cells "Comparison, exposed vs unexposed" "$T/none.md" >"$T/cmp"
cells "Attributable measures" "$T/none.md" >"$T/attr"
cells "Stratified by sex" "$T/none.md" >"$T/mh"
cells "Each stratum of sex" "$T/none.md" >"$T/strata"
check "comparison rows" 14 "$(wc -l <"$T/cmp")"
check "attributable rows" 14 "$(wc -l <"$T/attr")"
check "stratified rows" 14 "$(wc -l <"$T/mh")"
check "rows of each stratum" 28 "$(wc -l <"$T/strata")"

nref=0 nbad=0
same() {  # same WHAT WANT GOT
    nref=$((nref + 1))
    if [ -z "$2" ] || [ "$2" != "$3" ]; then
        nbad=$((nbad + 1)); echo "differ: $1: R [$2], report [$3]"
    fi
}
col() { awk -F'\t' -v f="$1" -v c="$2" '$1 == f { print $c; exit }' "$3"; }
for f in $FACTORS; do
    # Comparison: AF exp. and PAF, percent with one decimal (columns 5, 6).
    same "$f AF" "$(fmt_ci 100 1 $(ref "$f" af_exposed))" "$(col "$f" 5 "$T/cmp")"
    same "$f PAF" "$(fmt_ci 100 1 $(ref "$f" paf))" "$(col "$f" 6 "$T/cmp")"
    # Attributable table.
    same "$f PAR" "$(fmt_ci 100 2 $(ref "$f" par))" "$(col "$f" 2 "$T/attr")"
    same "$f exact OR" "$(fmt_ci 1 2 $(ref "$f" exact_or))" "$(col "$f" 4 "$T/attr")"
    same "$f rate difference" "$(fmt_ci 1 2 $(ref "${f}_time" rate_difference))" \
        "$(col "$f" 5 "$T/attr")"
    same "$f AF rate" "$(fmt_ci 100 1 $(ref "${f}_time" af_rate))" "$(col "$f" 6 "$T/attr")"
    same "$f PAF rate" "$(fmt_ci 100 1 $(ref "${f}_time" paf_rate))" "$(col "$f" 7 "$T/attr")"
    # NNT: R gives the kind (1 benefit, 2 harm) and the signed limits.
    read -r e l h <<<"$(ref "$f" nnt)"
    kind=$(ref "$f" nnt_kind | cut -d' ' -f1)
    want=$(awk -v e="$e" -v l="$l" -v h="$h" -v k="$kind" 'BEGIN {
        a = k == 2 ? "NNTH" : "NNTB"; o = k == 2 ? "NNTB" : "NNTH"
        if (h < 0) printf "%s %.1f (%.1f to inf to %s %.1f)\n", a, e, l, o, -h
        else printf "%s %.1f (%.1f, %.1f)\n", a, e, l, h }')
    same "$f NNT" "$want" "$(col "$f" 3 "$T/attr")"
    # Pooled over sex.
    same "$f MH RD" "$(fmt_ci 100 2 $(ref "${f}_by_sex" mh_rd_gr))" "$(col "$f" 5 "$T/mh")"
    read -r crr cor _ <<<"$(ref "${f}_by_sex" crude_adj)"
    same "$f crude/MH RR" "$(fmt_ci 1 3 "$crr")" "$(col "$f" 6 "$T/mh")"
    same "$f crude/MH OR" "$(fmt_ci 1 3 "$cor")" "$(col "$f" 7 "$T/mh")"
    for w in rr:10 or:11; do
        read -r _ _ p <<<"$(ref "${f}_by_sex" "woolf_${w%:*}")"
        want=$(awk -v p="$p" 'BEGIN { if (p == "NA" || p == "") print "-";
                                      else if (p < 0.001) print "<0.001";
                                      else printf "%.3f\n", p }')
        same "$f Woolf ${w%:*}" "$want" "$(col "$f" "${w#*:}" "$T/mh")"
    done
    # Each stratum: F is stratum 0, M stratum 1 in the reference.
    for i in 0 1; do
        lv=$([ $i = 0 ] && echo F || echo M)
        row=$(awk -F'\t' -v f="$f" -v s="$lv" '$1 == f && $2 == s' "$T/strata")
        for m in rr:7:1:2 or:8:1:2 rd:9:100:2; do
            IFS=: read -r k c sc d <<<"$m"
            same "$f $lv stratum $k" \
                "$(fmt_ci "$sc" "$d" $(ref "${f}_by_sex" "stratum_$k:$i"))" \
                "$(echo "$row" | cut -f"$c")"
        done
    done
done
check "displayed epi measures equal R's epiR (session level; $nref cells)" 0 "$nbad"
check "cells compared: 14 factors x 19" 266 "$nref"

# The robust AF and PAF columns are the JSON's cluster_robust values.
nbad=0
for f in $FACTORS; do
    for k in af_exposed:7 paf:8; do
        read -r e l h <<<"$(awk -v f="\"$f\"" -v k="\"${k%:*}\"" '
            index($0, "{\"factor\": " f ",") { on = 1 }
            on && index($0, "\"cluster_robust\": {") { rb = 1 }
            on && rb && (i = index($0, k ": {")) {
                s = substr($0, i); sub(/}.*/, "", s); print s; exit }' \
            "$T/robust.json" |
            sed 's/.*"estimate": \([^,]*\), "lower": \([^,]*\), "upper": \(.*\)/\1 \2 \3/')"
        got=$(col "$f" "${k#*:}" <(cells "Comparison, exposed vs unexposed" "$T/robust.md"))
        [ "$(fmt_ci 100 1 "$e" "$l" "$h")" = "$got" ] ||
            { nbad=$((nbad + 1)); echo "differ: robust $f ${k%:*}: [$e $l $h] [$got]"; }
    done
done
check "robust AF and PAF columns equal the JSON's cluster_robust values" 0 "$nbad"
check_grep "robust note names AF and PAF" \
    "Risks, RR, OR, RD, rate ratio, AF and PAF: intervals robust" "$T/robust.pretty"
check_grep "pretty: attributable table says its intervals are session-level" \
    "Attributable measures and exact odds ratio (intervals treat sessions as independent)" \
    "$T/robust.pretty"
check_grep "pretty: the table of each stratum" \
    "Each stratum of sex (sessions treated as independent)" "$T/robust.pretty"
check_grep "pretty: a stratum without exposed sessions says so" \
    "e1. no exposed sessions: comparison undefined" "$T/robust.pretty"
finish
