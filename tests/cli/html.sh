#!/usr/bin/env bash
# The HTML report: self-contained (no scripts, no network), every data
# string escaped, every section of the report present.
. "$(dirname "$0")/lib.sh"
cd "$CS_SRC"
cs() { "$CRAMPSTAT" "$@"; }

# Hostile strings in an activity name and ids: tags, quotes, ampersands.
gzip -dc sample-data/exercise.csv.gz | head -n 2001 >"$T/ex.csv"
gzip -dc sample-data/exercise.csv.gz | sed -n '2002,3000p' |
    awk -F, 'BEGIN { OFS = "," } {
        $4 = "\"<script>alert(\"\"x\"\")</script> & <b>run</b>\""
        $2 = "\"S<\"\"&\"\">" NR "\""; print }' >>"$T/ex.csv"
cs analyze -q --survey sample-data/survey.csv.gz --exercise "$T/ex.csv" \
    --by activity --format html -o "$T/r.html"
check "analyze --format html exit" 0 $?
check "no script element" 0 "$(grep -ci '<script' "$T/r.html")"
check "no <b> from the data" 0 "$(grep -c '<b>run' "$T/r.html")"
check_grep "activity escaped" '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;run&lt;/b&gt;' "$T/r.html"
check "no external resources" 0 "$(grep -Eci '(src|href)=|https?://|@import|url\(' "$T/r.html")"
for section in 'Risk ratios' 'Cause factors, exposed vs unexposed' \
    'Stratified by activity' 'Calorie goals and targets' 'target_kcal: F' \
    'target_kcal: M' 'Data quality' 'Provenance' 'aria-label="forest plot'; do
    check_grep "section: $section" "$section" "$T/r.html"
done
# Provenance: the inputs' SHA-256 as sha256sum computes them.
for f in sample-data/survey.csv.gz "$T/ex.csv"; do
    check_grep "sha256 of $(basename "$f")" "$(sha256sum "$f" | cut -d' ' -f1)" "$T/r.html"
done
# Every element closed in order (void elements aside), checked with
# Python's HTML parser.
if /usr/bin/python3 - "$T/r.html" <<'PY'
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link", "rect", "line"}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        pass
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack.pop() != tag:
            sys.exit("unbalanced </%s>" % tag)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
sys.exit("unclosed: %s" % p.stack if p.stack else 0)
PY
then ok "balanced markup"; else bad "balanced markup"; fi
# -o is atomic: a failing run leaves nothing.
cs analyze -q --survey "$T/none.csv" --exercise "$T/ex.csv" --format html \
    -o "$T/fail.html" 2>/dev/null
check "66 when the survey is missing" 66 $?
check "no partial report" "" "$(ls "$T" | grep -c 'fail.html' | sed 's/^0$//')"
finish
