-- DuckDB anchor for 'crampstat aggregate' on tagged sessions: the same
-- group-by as the other anchors (six factors and the outcome; sessions and
-- exposure hours per cell). DuckDB parses only the columns it needs.
SELECT fatigue, tightness, heat, dehydration, electrolyte, medical, outcome,
       count(*) AS sessions, sum(exposure_h) AS hours
FROM read_csv('${TAGGED}', header = true)
GROUP BY ALL ORDER BY ALL;
