-- DuckDB anchor for 'crampstat ingest' (and 'mlr cat'): read the exercise
-- .csv.gz with typed columns and write it back as CSV to /dev/null.
COPY (SELECT * FROM read_csv('${EX}', header = true,
                             nullstr = ['', 'NA', 'N/A']))
TO '/dev/null' (FORMAT csv, HEADER);
SELECT 'ok' AS done;
