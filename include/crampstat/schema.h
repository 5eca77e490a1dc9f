/* The data contract (DATA.md sections 1-3): which columns each file has,
 * how each value is validated, and the canonical CSV form that ingest
 * writes. A row that breaks the contract is a result (a reject with a
 * reason and a column), not an error; only a broken header is fatal. */
#ifndef CRAMPSTAT_SCHEMA_H
#define CRAMPSTAT_SCHEMA_H

#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/derive.h>
#include <crampstat/error.h>
#include <crampstat/fmt.h>
#include <crampstat/reader.h>
#include <crampstat/value.h>
#include <crampstat/writer.h>

enum cs_schema_kind {
    CS_SCHEMA_AUTO = -1,  /* decided by the header: session_id -> exercise,
                             survey_date -> survey, else any */
    CS_SCHEMA_ANY = 0, CS_SCHEMA_EXERCISE, CS_SCHEMA_SURVEY
};

/* Exercise columns in contract order. */
enum cs_ex_col {
    CS_EX_PARTICIPANT_ID = 0, CS_EX_SESSION_ID, CS_EX_START_TIME,
    CS_EX_ACTIVITY, CS_EX_DURATION_MIN, CS_EX_INTENSITY_RPE, CS_EX_TEMP_C,
    CS_EX_HUMIDITY_PCT, CS_EX_FLUID_ML, CS_EX_WARMUP_MIN, CS_EX_STRETCHED,
    CS_EX_CRAMP, CS_EX_CRAMP_MUSCLE, CS_EX_NCOLS
};

/* Survey columns in contract order. */
enum cs_sv_col {
    CS_SV_PARTICIPANT_ID = 0, CS_SV_SURVEY_DATE, CS_SV_SEX, CS_SV_AGE_YEARS,
    CS_SV_HEIGHT_FT, CS_SV_HEIGHT_IN, CS_SV_WEIGHT_LB, CS_SV_ACTIVITY_LEVEL,
    CS_SV_CONDITIONING, CS_SV_SEASONAL_SPORT, CS_SV_STRETCH_ROUTINE,
    CS_SV_CONDITIONS, CS_SV_CALORIE_GOAL, CS_SV_CALCIUM_MG,
    CS_SV_POTASSIUM_MG, CS_SV_NCOLS
};

enum cs_muscle {
    CS_MUSCLE_HAMSTRING = 0, CS_MUSCLE_CALF, CS_MUSCLE_QUADRICEPS,
    CS_MUSCLE_FOOT, CS_MUSCLE_OTHER, CS_MUSCLE_N
};

/* Missing optional numbers are NaN; missing booleans and enums are -1. */
typedef struct cs_session {
    cs_str participant_id, session_id, activity;  /* trimmed, borrowed */
    cs_datetime start;
    int32_t day;             /* days since 1970-01-01 of the date as written */
    double duration_min;
    /* duration_min's text in milli-minutes, as cs_agg_mmin reads it: the
     * written decimal (not the double) rounded to the nearest, halves up,
     * and at least 1 for a positive duration; 1 ... 1,440,000. Consumers
     * take it from here instead of parsing the text again. */
    uint32_t duration_mmin;
    int intensity_rpe;
    double temp_c, humidity_pct, fluid_ml, warmup_min;
    int stretched;           /* 1, 0 or -1 */
    int cramp;               /* 1 or 0 */
    int cramp_muscle;        /* enum cs_muscle or -1 */
    /* Bit c (enum cs_ex_col): field c lies in the record's text, in its
     * place among the first 13, and is already its canonical cell; 0 when
     * not known. */
    uint16_t canon_cells;
} cs_session;

/* Every bit of canon_cells. */
#define CS_EX_ALL_CANON ((1u << CS_EX_NCOLS) - 1)

/* The record's first 13 fields, as they lie in its text, are already the
 * canonical row. */
static inline int cs_session_verbatim(const cs_session *o)
{
    return o->canon_cells == CS_EX_ALL_CANON;
}

/* A survey wave. The survey table keeps one per wave (hundreds of
 * thousands), so the small values are small: 72 bytes, not 96. */
typedef struct cs_wave {
    cs_str participant_id;   /* borrowed */
    double weight_lb;
    double goal_lb_week;
    double calcium_mg, potassium_mg;  /* NaN when missing */
    int32_t day;             /* survey_date */
    uint32_t conditions;     /* bit mask of enum cs_medical */
    int16_t age_years;
    signed char sex, height_ft, height_in;
    signed char activity_level, conditioning, seasonal_sport, stretch_routine;
    signed char conditions_known;    /* 0 when NA */
} cs_wave;

typedef struct cs_schema cs_schema;

/* A reject: the column (0-based index into the header, or -1 for the whole
 * row) and a one-line reason ("duration_min: 1441 is above 1440"). */
typedef struct cs_reject {
    long col;
    char reason[512];
} cs_reject;

/* Build from a header record. Fatal (CS_EPARSE at the header's line and
 * column): a required column missing, a column named twice, an empty
 * header. For CS_SCHEMA_ANY only the field count is kept. */
int cs_schema_create(cs_schema **out, int kind, const char *src,
                     const cs_record *header, cs_error *err);
void cs_schema_free(cs_schema *s);
int cs_schema_kind(const cs_schema *s);
size_t cs_schema_ncols(const cs_schema *s);
/* Header field i, trimmed. */
cs_str cs_schema_header(const cs_schema *s, size_t i);
/* The canonical header of a kind (exercise or survey) into buf: the
 * contract's columns in order, comma-separated, and a newline; what
 * ingest and gen write. The length (as snprintf: buf holds it when it is
 * below cap), or 0 for another kind. */
size_t cs_schema_canonical_header(int kind, char *buf, size_t cap);
/* Index in the header of a contract column (enum cs_ex_col / cs_sv_col),
 * or -1 when an optional column is absent. */
long cs_schema_index(const cs_schema *s, int col);
/* 1 when the header is exactly what ingest writes: the contract's
 * columns first and in order (extra columns may follow). */
int cs_schema_is_canonical(const cs_schema *s);

/* Validate one data record. Returns 1 and fills *out (borrowing from rec)
 * when it is accepted, 0 when rejected (rej says why). */
int cs_schema_exercise(const cs_schema *s, const cs_record *rec,
                       cs_session *out, cs_reject *rej);
int cs_schema_survey(const cs_schema *s, const cs_record *rec, cs_wave *out,
                     cs_reject *rej);
/* The same field-count check that --schema any applies. */
int cs_schema_any(const cs_schema *s, const cs_record *rec, cs_reject *rej);

/* Canonical CSV: the contract's columns in order, then extra columns. */
void cs_schema_write_header(const cs_schema *s, cs_writer *w);
void cs_schema_write_session(const cs_schema *s, cs_writer *w,
                             const cs_record *rec, const cs_session *ses);
/* Only the contract's exercise columns of a session (no extras, no row
 * end), for stages that append columns of their own. */
void cs_schema_write_session_cols(const cs_schema *s, cs_writer *w,
                                  const cs_record *rec, const cs_session *ses);
void cs_schema_write_wave(const cs_schema *s, cs_writer *w,
                          const cs_record *rec, const cs_wave *wv);
/* Only the extra (non-contract) columns of rec, each preceded by a
 * separator, for stages that append after their own columns. */
void cs_schema_write_extra(const cs_schema *s, cs_writer *w,
                           const cs_record *rec);
size_t cs_schema_n_extra(const cs_schema *s);
cs_str cs_schema_extra_name(const cs_schema *s, size_t i);
/* The header column (from 0) of extra column i. */
size_t cs_schema_extra_index(const cs_schema *s, size_t i);

/* Column names in contract order. */
const char *cs_exercise_column(int col);
const char *cs_survey_column(int col);
const char *cs_muscle_name(int m);

#endif
