-- Shared by the DuckDB anchors: the NOAA heat index as crampstat computes
-- it (src/derive.c), in degrees F, and the tagging of joined sessions.
CREATE MACRO hi_simple(t, rh) AS 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + rh * 0.094);
CREATE MACRO hi_roth(t, rh) AS
    -42.379 + 2.04901523 * t + 10.14333127 * rh
    - 0.22475541 * t * rh - 0.00683783 * t * t
    - 0.05481717 * rh * rh + 0.00122874 * t * t * rh
    + 0.00085282 * t * rh * rh - 0.00000199 * t * t * rh * rh
    + CASE WHEN rh < 13 AND t >= 80 AND t <= 112
                THEN -((13 - rh) / 4) * sqrt((17 - abs(t - 95)) / 17)
           WHEN rh > 85 AND t >= 80 AND t <= 87
                THEN ((rh - 85) / 10) * ((87 - t) / 5)
           ELSE 0 END;
CREATE MACRO hi_f(t, rh) AS
    CASE WHEN (hi_simple(t, rh) + t) / 2 >= 80 THEN hi_roth(t, rh)
         ELSE hi_simple(t, rh) END;
CREATE MACRO hi_c(tc, rh) AS (hi_f(tc * 9 / 5 + 32, rh) - 32) * 5 / 9;
CREATE MACRO num(x) AS TRY_CAST(x AS DOUBLE);
CREATE MACRO yesno(x) AS CASE x WHEN 'yes' THEN true WHEN 'no' THEN false END;
