-- DuckDB anchor for 'crampstat analyze' / ingest | join | tag | aggregate,
-- from the two .csv.gz files in one query: an as-of join (the latest survey
-- wave on or before the session's day, else the earliest), the six cause
-- factors with the default rules (SQL's NULL logic is Kleene's, as in
-- crampstat tag), and a group-by on the six factors and the outcome:
-- sessions and exposure hours per cell, from which every 2x2 table follows.
-- All columns are read as text and cast (TRY_CAST: NA, N/A, '' -> NULL), so
-- no row is rejected: validation is far lighter than crampstat's.
WITH ex AS (
    SELECT participant_id, session_id,
           CAST(substr(start_time, 1, 10) AS DATE) AS day,
           num(duration_min) AS duration_min, num(intensity_rpe) AS rpe,
           num(temp_c) AS temp_c, num(humidity_pct) AS rh,
           num(fluid_ml) AS fluid_ml, num(warmup_min) AS warmup_min,
           yesno(stretched) AS stretched, cramp, cramp_muscle
    FROM read_csv('${EX}', header = true, all_varchar = true,
                  nullstr = '\N')  -- never matches: '' stays ''
), sv AS (
    SELECT participant_id, CAST(survey_date AS DATE) AS survey_date,
           activity_level, conditioning, yesno(seasonal_sport) AS seasonal,
           CASE WHEN conditions IN ('NA', 'N/A') THEN NULL
                ELSE conditions <> '' END AS medical,
           num(calcium_mg) AS calcium_mg, num(potassium_mg) AS potassium_mg
    FROM read_csv('${SV}', header = true, all_varchar = true,
                  nullstr = '\N')  -- never matches: '' stays ''
), first_wave AS (
    SELECT participant_id, min(survey_date) AS first_date FROM sv GROUP BY ALL
), keyed AS (
    SELECT ex.*, greatest(ex.day, f.first_date) AS key_day
    FROM ex JOIN first_wave f USING (participant_id)
), j AS (
    SELECT k.*, s.* EXCLUDE (participant_id)
    FROM keyed k ASOF JOIN sv s
      ON k.participant_id = s.participant_id AND k.key_day >= s.survey_date
), t AS (
    SELECT duration_min / 60 AS exposure_h,
           (conditioning = 'unconditioned' OR (seasonal AND rpe >= 7)
            OR (duration_min >= 90 AND rpe >= 7))::INT AS fatigue,
           (activity_level = 'sedentary'
            OR (NOT stretched AND warmup_min < 5))::INT AS tightness,
           (hi_c(temp_c, rh) >= 32)::INT AS heat,
           (fluid_ml / (duration_min / 60) < 400 AND duration_min >= 30)::INT
               AS dehydration,
           (calcium_mg < 700 OR potassium_mg < 2000)::INT AS electrolyte,
           medical::INT AS medical,
           CASE WHEN cramp = 'no' THEN 0
                WHEN cramp = 'yes' AND cramp_muscle = 'hamstring' THEN 1
                WHEN cramp = 'yes' AND cramp_muscle NOT IN ('', 'NA', 'N/A')
                     THEN 0 END AS outcome
    FROM j
)
SELECT fatigue, tightness, heat, dehydration, electrolyte, medical, outcome,
       count(*) AS sessions, sum(exposure_h) AS hours
FROM t GROUP BY ALL ORDER BY ALL;
