/* Tests of the exercise validator for the canonical column order
 * (src/schema.c, fixed_exercise) against the general one: a table of
 * tricky fields, one at a time in an otherwise canonical row, each with
 * its verdict, its exact reason or its value worked out by hand; the same
 * row in a header of another order must give the same verdict, reason and
 * values. Then the day numbers of every year's edge days against
 * cs_days_from_civil, the dates of cs__date_day against cs_parse_date,
 * the milli-minutes of random durations against cs_agg_mmin, and sweeps
 * of many values a column through the fixed validator and the full
 * checks. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/schema.h>
#include <crampstat/value.h>
#include <crampstat/writer.h>
#include "internal.h"
#include "session_diff.h"

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

static const char *const header[CS_EX_NCOLS] = {
    "participant_id", "session_id", "start_time", "activity", "duration_min",
    "intensity_rpe", "temp_c", "humidity_pct", "fluid_ml", "warmup_min",
    "stretched", "cramp", "cramp_muscle"
};
/* A row as gen writes it. */
static const char *const base[CS_EX_NCOLS] = {
    "P0000001", "S000000001", "2024-01-15T07:30:00Z", "running", "45", "4",
    "4.6", "70", "2080", "9", "no", "no", ""
};

/* The other layout: an extra column first, then the contract's columns in
 * reverse order, so contract column c is field NCOLS - c. */
#define PERM_N (CS_EX_NCOLS + 1)
static long perm_index(int c) { return CS_EX_NCOLS - c; }

/* A record over one line, split in place as the reader leaves a plain
 * line: fields one after another with a comma between each two, flagged
 * printable as the reader flags it (cs_record.printable: every byte
 * 0x20-0x7e, no quote, no comma inside a field). */
typedef struct line_rec {
    char line[1024];
    cs_str f[PERM_N];
    cs_record rec;
} line_rec;

static const cs_record *make(line_rec *b, const char *const *v, size_t n)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]);
        assert_true(at + len + 1 < sizeof b->line);
        memcpy(b->line + at, v[i], len);
        b->f[i] = (cs_str){ b->line + at, len };
        at += len;
        b->line[at++] = ',';
    }
    b->line[--at] = '\0';
    memset(&b->rec, 0, sizeof b->rec);
    b->rec.printable = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < b->f[i].len; k++) {
            unsigned char c = (unsigned char)b->f[i].ptr[k];
            if (c < 0x20 || c > 0x7e || c == '"' || c == ',')
                b->rec.printable = 0;
        }
    b->rec.fields = b->f;
    b->rec.nfields = n;
    b->rec.line = b->rec.end_line = b->rec.index = 2;
    b->rec.raw = (cs_str){ b->line, at };
    return &b->rec;
}

static cs_schema *schema_of(const char *const *h, size_t n)
{
    line_rec b;
    cs_error err = {0};
    cs_schema *s = NULL;
    assert_int_equal(cs_schema_create(&s, CS_SCHEMA_EXERCISE, "t.csv",
                                      make(&b, h, n), &err), CS_OK);
    return s;
}

static cs_schema *canonical_schema(void)
{
    return schema_of(header, CS_EX_NCOLS);
}

static cs_schema *permuted_schema(void)
{
    const char *h[PERM_N];
    h[0] = "note";
    for (int c = 0; c < CS_EX_NCOLS; c++)
        h[perm_index(c)] = header[c];
    return schema_of(h, PERM_N);
}

/* A value of a number column, or of the int columns (rpe, stretched,
 * cramp, cramp_muscle); mmin is the duration's milli-minutes. */
typedef struct fcase {
    int col;
    const char *text;
    int col2;              /* a second column changed (-1: none) */
    const char *text2;
    int fixed;             /* accepted by the fixed validator itself */
    int verbatim;          /* and copied as it lies */
    const char *reason;    /* NULL: accepted */
    double num;
    int iv;
    uint32_t mmin;
} fcase;

#define ACC(c, t, fx, vb, n, i, m) { c, t, -1, NULL, fx, vb, NULL, n, i, m }
#define REJ(c, t, why) { c, t, -1, NULL, 0, 0, why, 0, 0, 0 }
#define D CS_EX_DURATION_MIN
#define R CS_EX_INTENSITY_RPE
#define T CS_EX_TEMP_C
#define H CS_EX_HUMIDITY_PCT
#define F CS_EX_FLUID_ML
#define W CS_EX_WARMUP_MIN
#define ST CS_EX_STRETCHED
#define CR CS_EX_CRAMP
#define MU CS_EX_CRAMP_MUSCLE
#define NOTNUM " is not a number (write plain decimals like 12.5)"
#define NOTBOOL " is not yes/no, y/n, true/false or 1/0"

#define PI CS_EX_PARTICIPANT_ID
#define SI CS_EX_SESSION_ID
#define AC CS_EX_ACTIVITY
#define L64 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"

static const fcase cases[] = {
    /* The row as it is. */
    ACC(D, "45", 1, 1, 45, 0, 45000),
    /* The text columns: 1 to 64 bytes, printable ASCII taken by the fixed
     * validator as they lie (with or without the reader's printable
     * flag); blanks at the ends, UTF-8 and the rest go to the checks. */
    ACC(PI, "P", 1, 1, 0, 0, 45000),
    ACC(PI, "P 1", 1, 1, 0, 0, 45000),
    ACC(PI, "~ !", 1, 1, 0, 0, 45000),            /* 0x7e, 0x20, 0x21 */
    ACC(PI, L64, 1, 1, 0, 0, 45000),
    ACC(AC, "nap", 1, 1, 0, 0, 45000),            /* not NA, N/A */
    ACC(AC, "na/", 1, 1, 0, 0, 45000),
    ACC(SI, " S1", 0, 0, 0, 0, 45000),            /* trimmed */
    ACC(SI, "S1 ", 0, 0, 0, 0, 45000),
    ACC(AC, "nataci\xc3\xb3n", 0, 0, 0, 0, 45000),
    REJ(PI, L64 "m", "participant_id: 65 bytes, longer than 64"),
    REJ(PI, "P\t1", "participant_id: \"P\\x091\" holds a control "
                    "character (byte 0x09)"),
    REJ(SI, "S\x7f", "session_id: \"S\\x7f\" holds a control character "
                     "(byte 0x7f)"),
    REJ(SI, "S\x1f", "session_id: \"S\\x1f\" holds a control character "
                     "(byte 0x1f)"),
    REJ(AC, "run\x80", "activity: \"run\\x80\" is not valid UTF-8"),
    REJ(AC, "NA", "activity: \"NA\" means missing, but it is required"),
    REJ(AC, "n/a", "activity: \"n/a\" means missing, but it is required"),
    REJ(PI, "", "participant_id: empty, but it is required"),
    /* duration_min: (0, 1440], required; milli-minutes from the text. */
    ACC(D, "1440", 1, 1, 1440, 0, 1440000),
    ACC(D, "1440.0", 1, 0, 1440, 0, 1440000),          /* written "1440" */
    ACC(D, "45.0", 1, 0, 45, 0, 45000),                /* written "45" */
    ACC(D, "4.5", 1, 1, 4.5, 0, 4500),
    REJ(D, "1440.0001", "duration_min: 1440.0001 is above 1440"),
    REJ(D, "1441", "duration_min: 1441 is above 1440"),
    REJ(D, "0", "duration_min: 0 is not above 0"),
    REJ(D, "0.0", "duration_min: 0.0 is not above 0"),
    REJ(D, "-0", "duration_min: -0 is not above 0"),
    REJ(D, "-1", "duration_min: -1 is not above 0"),
    ACC(D, "0.0001", 1, 1, 0.0001, 0, 1),              /* at least 1 */
    ACC(D, "0.0004", 1, 1, 0.0004, 0, 1),
    ACC(D, "0.0005", 1, 1, 0.0005, 0, 1),
    ACC(D, "0.0015", 1, 1, 0.0015, 0, 2),              /* halves up */
    ACC(D, "12.3456789", 1, 1, 12.3456789, 0, 12346),
    ACC(D, "12.3454999", 1, 1, 12.3454999, 0, 12345),
    ACC(D, "1439.9995", 1, 1, 1439.9995, 0, 1440000),
    ACC(D, "1439.9994", 1, 1, 1439.9994, 0, 1439999),
    ACC(D, "1.00000000000001", 1, 1, 1.00000000000001, 0, 1000), /* 15 digits */
    ACC(D, "1.000000000000001", 0, 0, 1.000000000000001, 0, 1000), /* 16 */
    /* Rounds to 1440 as a double, but is above it: the text decides. */
    REJ(D, "1440.00000000000000001",
        "duration_min: 1440.00000000000000001 is above 1440"),
    ACC(D, "1440.00000000000000000", 0, 0, 1440, 0, 1440000),
    ACC(D, "1439.99999999999999999", 0, 0, 1440, 0, 1440000),
    ACC(D, "045", 0, 0, 45, 0, 45000),
    ACC(D, "+45", 0, 0, 45, 0, 45000),
    ACC(D, "45.", 0, 0, 45, 0, 45000),
    ACC(D, ".5", 0, 0, 0.5, 0, 500),
    ACC(D, " 45", 0, 0, 45, 0, 45000),
    ACC(D, "45 ", 0, 0, 45, 0, 45000),
    REJ(D, "1e3", "duration_min: \"1e3\"" NOTNUM),
    REJ(D, "4 5", "duration_min: \"4 5\"" NOTNUM),
    REJ(D, "0x10", "duration_min: \"0x10\"" NOTNUM),
    REJ(D, "45..0", "duration_min: \"45..0\"" NOTNUM),
    REJ(D, "", "duration_min: missing, but it is required"),
    REJ(D, "NA", "duration_min: missing, but it is required"),
    REJ(D, "n/a", "duration_min: missing, but it is required"),
    REJ(D, "1234567890123456", "duration_min: 1234567890123456 is above 1440"),
    /* intensity_rpe: a whole number 1 to 10. */
    ACC(R, "1", 1, 1, 0, 1, 45000),
    ACC(R, "10", 1, 1, 0, 10, 45000),
    ACC(R, "07", 0, 0, 0, 7, 45000),
    ACC(R, "+7", 0, 0, 0, 7, 45000),
    REJ(R, "0", "intensity_rpe: 0 is below 1"),
    REJ(R, "11", "intensity_rpe: 11 is above 10"),
    REJ(R, "-1", "intensity_rpe: -1 is below 1"),
    REJ(R, "7.0", "intensity_rpe: 7.0 is not written as a whole number "
                  "(no decimal point)"),
    REJ(R, "10.0", "intensity_rpe: 10.0 is not written as a whole number "
                   "(no decimal point)"),
    REJ(R, "7.5", "intensity_rpe: 7.5 is not a whole number"),
    REJ(R, "1e1", "intensity_rpe: \"1e1\" is not a whole number"),
    REJ(R, "x", "intensity_rpe: \"x\" is not a whole number"),
    REJ(R, "", "intensity_rpe: missing, but it is required"),
    /* temp_c: [-40, 60], optional. */
    ACC(T, "", 1, 1, NAN, 0, 45000),
    ACC(T, "NA", 1, 0, NAN, 0, 45000),                 /* written empty */
    ACC(T, "n/a", 1, 0, NAN, 0, 45000),
    ACC(T, " ", 0, 0, NAN, 0, 45000),
    ACC(T, "-40", 1, 1, -40, 0, 45000),
    ACC(T, "-40.0", 1, 0, -40, 0, 45000),
    REJ(T, "-40.01", "temp_c: -40.01 is below -40"),
    REJ(T, "-41", "temp_c: -41 is below -40"),
    ACC(T, "60", 1, 1, 60, 0, 45000),
    REJ(T, "60.01", "temp_c: 60.01 is above 60"),
    ACC(T, "0", 1, 1, 0.0, 0, 45000),
    ACC(T, "-0", 0, 0, -0.0, 0, 45000),                /* negative zero */
    ACC(T, "-0.0", 0, 0, -0.0, 0, 45000),
    ACC(T, "4.60", 1, 0, 4.6, 0, 45000),
    /* One decimal, a zero (read without a loop): written "4", "12". */
    ACC(T, "4.0", 1, 0, 4, 0, 45000),
    ACC(T, "12.0", 1, 0, 12, 0, 45000),
    ACC(T, "-4.0", 1, 0, -4, 0, 45000),
    ACC(T, "+4.6", 0, 0, 4.6, 0, 45000),
    ACC(T, "004.6", 0, 0, 4.6, 0, 45000),
    ACC(T, "-.5", 0, 0, -0.5, 0, 45000),
    REJ(T, "4,6", "temp_c: \"4,6\"" NOTNUM),
    REJ(T, "-", "temp_c: \"-\"" NOTNUM),
    REJ(T, ".", "temp_c: \".\"" NOTNUM),
    REJ(T, "inf", "temp_c: \"inf\"" NOTNUM),
    /* humidity_pct [0, 100], fluid_ml [0, 10000], warmup_min [0, 240]. */
    ACC(H, "100", 1, 1, 100, 0, 45000),
    ACC(H, "0", 1, 1, 0, 0, 45000),
    REJ(H, "100.5", "humidity_pct: 100.5 is above 100"),
    REJ(H, "-0.5", "humidity_pct: -0.5 is below 0"),
    ACC(H, "-0", 0, 0, -0.0, 0, 45000),
    ACC(F, "10000", 1, 1, 10000, 0, 45000),
    REJ(F, "10000.1", "fluid_ml: 10000.1 is above 10000"),
    REJ(F, "123456789012345", "fluid_ml: 123456789012345 is above 10000"),
    ACC(F, "9999.99999999999", 1, 1, 9999.99999999999, 0, 45000),
    ACC(W, "240", 1, 1, 240, 0, 45000),
    REJ(W, "240.5", "warmup_min: 240.5 is above 240"),
    ACC(W, "0.5", 1, 1, 0.5, 0, 45000),
    /* stretched: optional yes/no; cramp: required. */
    ACC(ST, "yes", 1, 1, 0, 1, 45000),
    ACC(ST, "", 1, 1, 0, -1, 45000),
    ACC(ST, "NA", 1, 0, 0, -1, 45000),
    /* The other spellings (R writes TRUE and FALSE): taken by the fixed
     * validator too, and not verbatim (written back as yes/no). */
    ACC(ST, "Yes", 1, 0, 0, 1, 45000),
    ACC(ST, "y", 1, 0, 0, 1, 45000),
    ACC(ST, "1", 1, 0, 0, 1, 45000),
    ACC(ST, "false", 1, 0, 0, 0, 45000),
    ACC(ST, "TRUE", 1, 0, 0, 1, 45000),
    ACC(ST, "FALSE", 1, 0, 0, 0, 45000),
    ACC(ST, "True", 1, 0, 0, 1, 45000),
    ACC(ST, "N", 1, 0, 0, 0, 45000),
    ACC(ST, "0", 1, 0, 0, 0, 45000),
    ACC(ST, " yes", 0, 0, 0, 1, 45000),
    REJ(ST, "ye", "stretched: \"ye\"" NOTBOOL),
    REJ(ST, "TRUEE", "stretched: \"TRUEE\"" NOTBOOL),
    REJ(ST, "2", "stretched: \"2\"" NOTBOOL),
    REJ(ST, "maybe", "stretched: \"maybe\"" NOTBOOL),
    REJ(ST, "nope", "stretched: \"nope\"" NOTBOOL),
    ACC(CR, "yes", 1, 1, 0, 1, 45000),
    ACC(CR, "n", 1, 0, 0, 0, 45000),
    ACC(CR, "FALSE", 1, 0, 0, 0, 45000),
    ACC(CR, "false", 1, 0, 0, 0, 45000),
    REJ(CR, "", "cramp: missing, but it is required"),
    REJ(CR, "NA", "cramp: missing, but it is required"),
    REJ(CR, "yess", "cramp: \"yess\"" NOTBOOL),
    /* cramp_muscle: only with a cramp. */
    { MU, "calf", CR, "yes", 1, 1, NULL, 0, CS_MUSCLE_CALF, 45000 },
    { MU, "hamstring", CR, "yes", 1, 1, NULL, 0, CS_MUSCLE_HAMSTRING, 45000 },
    { MU, "quadriceps", CR, "yes", 1, 1, NULL, 0, CS_MUSCLE_QUADRICEPS, 45000 },
    { MU, "foot", CR, "yes", 1, 1, NULL, 0, CS_MUSCLE_FOOT, 45000 },
    { MU, "other", CR, "yes", 1, 1, NULL, 0, CS_MUSCLE_OTHER, 45000 },
    { MU, "NA", CR, "yes", 1, 0, NULL, 0, -1, 45000 },
    { MU, "Calf", CR, "yes", 0, 0, NULL, 0, CS_MUSCLE_CALF, 45000 },
    { MU, "calves", CR, "yes", 0, 0, "cramp_muscle: \"calves\" is not one "
      "of: hamstring, calf, quadriceps, foot, other", 0, 0, 0 },
    REJ(MU, "calf", "cramp_muscle: \"calf\" is given but cramp is no"),
    REJ(MU, "hamstrings", "cramp_muscle: \"hamstrings\" is not one of: "
        "hamstring, calf, quadriceps, foot, other"),
    /* The text columns. */
    ACC(CS_EX_ACTIVITY, "x", 1, 1, 0, 0, 45000),
    ACC(CS_EX_ACTIVITY, "Run ning", 1, 1, 0, 0, 45000),
    ACC(CS_EX_ACTIVITY, " running ", 0, 0, 0, 0, 45000),
    ACC(CS_EX_PARTICIPANT_ID, "P\"1", 0, 0, 0, 0, 45000),
    ACC(CS_EX_PARTICIPANT_ID, "P\xc3\xa9", 0, 0, 0, 0, 45000),
    ACC(CS_EX_PARTICIPANT_ID, "NAN", 1, 1, 0, 0, 45000),
    REJ(CS_EX_PARTICIPANT_ID, "", "participant_id: empty, but it is required"),
    REJ(CS_EX_PARTICIPANT_ID, "NA",
        "participant_id: \"NA\" means missing, but it is required"),
    REJ(CS_EX_PARTICIPANT_ID, "n/a",
        "participant_id: \"n/a\" means missing, but it is required"),
    REJ(CS_EX_PARTICIPANT_ID, "P\x01",
        "participant_id: \"P\\x01\" holds a control character (byte 0x01)"),
    REJ(CS_EX_PARTICIPANT_ID, "P\x7f",
        "participant_id: \"P\\x7f\" holds a control character (byte 0x7f)"),
    REJ(CS_EX_PARTICIPANT_ID, "P\xff", "participant_id: \"P\\xff\" is not "
        "valid UTF-8"),
    REJ(CS_EX_SESSION_ID, "S\t1",
        "session_id: \"S\\x091\" holds a control character (byte 0x09)"),
    /* start_time. */
    ACC(CS_EX_START_TIME, "2024-01-15T07:30", 1, 0, 0, 0, 45000),
    /* Verbatim: -00:00 (offset unknown, RFC 3339) is written as given. */
    ACC(CS_EX_START_TIME, "2024-01-15T07:30:00-00:00", 1, 1, 0, 0, 45000),
    ACC(CS_EX_START_TIME, "2024-01-15T07:30:00+05:30", 1, 1, 0, 0, 45000),
    ACC(CS_EX_START_TIME, "2024-01-15 07:30:00", 0, 0, 0, 0, 45000),
    ACC(CS_EX_START_TIME, "2024-01-15T07:30:00z", 0, 0, 0, 0, 45000),
    ACC(CS_EX_START_TIME, "2024-01-15", 0, 0, 0, 0, 45000),
    REJ(CS_EX_START_TIME, "2023-02-29T00:00:00",
        "start_time: \"2023-02-29T00:00:00\": no such day in that month"),
    REJ(CS_EX_START_TIME, "2024-02-30T10:00:00",
        "start_time: \"2024-02-30T10:00:00\": no such day in that month"),
    REJ(CS_EX_START_TIME, "2024-04-31T00:00:00Z",
        "start_time: \"2024-04-31T00:00:00Z\": no such day in that month"),
    REJ(CS_EX_START_TIME, "1900-02-29T00:00:00",
        "start_time: \"1900-02-29T00:00:00\": no such day in that month"),
    REJ(CS_EX_START_TIME, "2024-01-00T00:00:00",
        "start_time: \"2024-01-00T00:00:00\": no such day in that month"),
    REJ(CS_EX_START_TIME, "2024-13-01T00:00:00",
        "start_time: \"2024-13-01T00:00:00\": month out of range (01-12)"),
    REJ(CS_EX_START_TIME, "2024-00-10T00:00:00",
        "start_time: \"2024-00-10T00:00:00\": month out of range (01-12)"),
    REJ(CS_EX_START_TIME, "2024-01-15T24:00:00",
        "start_time: \"2024-01-15T24:00:00\": hour out of range (00-23)"),
    REJ(CS_EX_START_TIME, "2024-01-15T24:00",
        "start_time: \"2024-01-15T24:00\": hour out of range (00-23)"),
    REJ(CS_EX_START_TIME, "2024-01-15T23:60:00",
        "start_time: \"2024-01-15T23:60:00\": minute out of range (00-59)"),
    REJ(CS_EX_START_TIME, "2024-01-15T23:59:60",
        "start_time: \"2024-01-15T23:59:60\": second out of range (00-59)"),
    REJ(CS_EX_START_TIME, "2024-01-15T07:30:00+24:00",
        "start_time: \"2024-01-15T07:30:00+24:00\": time zone offset out of "
        "range (hh 00-23, mm 00-59)"),
    REJ(CS_EX_START_TIME, "2024-01-15T07:30:00+05:60",
        "start_time: \"2024-01-15T07:30:00+05:60\": time zone offset out of "
        "range (hh 00-23, mm 00-59)"),
    REJ(CS_EX_START_TIME, "2024-1-15T07:30:00",
        "start_time: \"2024-1-15T07:30:00\": not an ISO 8601 date "
        "(YYYY-MM-DD) or time (YYYY-MM-DDThh:mm[:ss][Z|+hh:mm|-hh:mm])"),
    REJ(CS_EX_START_TIME, "2024-01-15T07:30:00ZZ",
        "start_time: \"2024-01-15T07:30:00ZZ\": not an ISO 8601 date "
        "(YYYY-MM-DD) or time (YYYY-MM-DDThh:mm[:ss][Z|+hh:mm|-hh:mm])"),
    REJ(CS_EX_START_TIME, "2024-01-15T07:30:0",
        "start_time: \"2024-01-15T07:30:0\": not an ISO 8601 date "
        "(YYYY-MM-DD) or time (YYYY-MM-DDThh:mm[:ss][Z|+hh:mm|-hh:mm])"),
    REJ(CS_EX_START_TIME, "2024-01-15T07:30:00.5",
        "start_time: \"2024-01-15T07:30:00.5\": not an ISO 8601 date "
        "(YYYY-MM-DD) or time (YYYY-MM-DDThh:mm[:ss][Z|+hh:mm|-hh:mm])"),
    REJ(CS_EX_START_TIME, "", "start_time: missing, but it is required"),
    REJ(CS_EX_START_TIME, "NA", "start_time: missing, but it is required"),
};

static void value_is(double got, double want)
{
    /* Bit for bit: NaN, the sign of zero and the last bit all count. */
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("value %.17g, wanted %.17g", got, want);
}

/* What a case says of the session it accepts. */
static void check_case_values(const fcase *k, const cs_session *o)
{
    double dur = k->col == D ? k->num : 45;
    assert_int_equal(o->duration_mmin, k->mmin);
    value_is(o->duration_min, dur);
    value_is(o->temp_c, k->col == T ? k->num : 4.6);
    value_is(o->humidity_pct, k->col == H ? k->num : 70);
    value_is(o->fluid_ml, k->col == F ? k->num : 2080);
    value_is(o->warmup_min, k->col == W ? k->num : 9);
    assert_int_equal(o->intensity_rpe, k->col == R ? k->iv : 4);
    assert_int_equal(o->stretched, k->col == ST ? k->iv : 0);
    assert_int_equal(o->cramp, k->col == CR ? k->iv : k->col2 == CR);
    assert_int_equal(o->cramp_muscle, k->col == MU ? k->iv : -1);
}

static void same_session(const cs_session *a, const cs_session *b)
{
    const char *field = cs_test_session_diff(a, b);
    if (field)
        fail_msg("the sessions differ in %s", field);
}

/* One case through the canonical layout (cs_schema_exercise, the fixed
 * validator alone, the full checks) and the reversed one. */
static void run_case(cs_schema *cs, cs_schema *ps, const fcase *k)
{
    const char *v[CS_EX_NCOLS], *pv[PERM_N];
    line_rec cb, pb;
    const cs_record *crec, *prec;
    cs_session co, fo, ko, po;
    cs_reject cr, kr, pr;
    int cok, fok, kok, pok;

    memcpy(v, base, sizeof v);
    v[k->col] = k->text;
    if (k->col2 >= 0)
        v[k->col2] = k->text2;
    pv[0] = "a note";
    for (int c = 0; c < CS_EX_NCOLS; c++)
        pv[perm_index(c)] = v[c];
    crec = make(&cb, v, CS_EX_NCOLS);
    prec = make(&pb, pv, PERM_N);
    memset(&cr, 0, sizeof cr);
    memset(&kr, 0, sizeof kr);
    memset(&pr, 0, sizeof pr);

    cok = cs_schema_exercise(cs, crec, &co, &cr);
    fok = cs_schema_exercise_fixed(cs, crec, &fo);
    if (crec->printable) {
        /* Unflagged, the fixed validator looks at each byte: the same
         * verdict and values. */
        cs_session uo;
        cb.rec.printable = 0;
        assert_int_equal(cs_schema_exercise_fixed(cs, crec, &uo), fok);
        if (fok)
            same_session(&uo, &fo);
        cb.rec.printable = 1;
    }
    kok = cs_schema_exercise_checked(cs, crec, &ko, &kr);
    pok = cs_schema_exercise(ps, prec, &po, &pr);
    /* Never for another layout. */
    assert_int_equal(cs_schema_exercise_fixed(ps, prec, &po), 0);
    pok = cs_schema_exercise(ps, prec, &po, &pr);

    assert_int_equal(cok, k->reason == NULL);
    assert_int_equal(kok, cok);
    assert_int_equal(pok, cok);
    assert_int_equal(fok, k->fixed);
    if (!cok) {
        assert_string_equal(cr.reason, k->reason);
        assert_string_equal(kr.reason, k->reason);
        assert_string_equal(pr.reason, k->reason);
        assert_int_equal(cr.col, k->col);
        assert_int_equal(kr.col, k->col);
        assert_int_equal(pr.col, perm_index(k->col));
        return;
    }
    check_case_values(k, &co);
    same_session(&co, &ko);
    same_session(&co, &po);
    if (fok)
        same_session(&fo, &ko);
    assert_int_equal(cs_session_verbatim(&co), k->verbatim);
    assert_int_equal(cs_session_verbatim(&ko), 0);
    assert_int_equal(cs_session_verbatim(&po), 0);   /* not in contract order */
}

static void test_fixed_cases(void **state)
{
    cs_schema *cs = canonical_schema(), *ps = permuted_schema();
    (void)state;
    for (size_t i = 0; i < NELEM(cases); i++) {
        print_message("case %zu: %s = \"%s\"\n", i, header[cases[i].col],
                      cases[i].text);
        run_case(cs, ps, &cases[i]);
    }
    cs_schema_free(cs);
    cs_schema_free(ps);
}

/* start_time's fields and day number, worked out by hand. */
static const struct {
    const char *text;
    int fixed;
    int y, mo, d, h, mi, s, has_time, has_tz, tz_min;
    int32_t day;
} times[] = {
    { "2024-01-15T07:30:00Z", 1, 2024, 1, 15, 7, 30, 0, 1, 1, 0, 19737 },
    { "2024-01-15T07:30:00", 1, 2024, 1, 15, 7, 30, 0, 1, 0, 0, 19737 },
    { "2024-01-15T07:30", 1, 2024, 1, 15, 7, 30, 0, 1, 0, 0, 19737 },
    { "2024-01-15T07:30+01:00", 1, 2024, 1, 15, 7, 30, 0, 1, 1, 60, 19737 },
    { "2024-01-15T23:59:59-09:45", 1, 2024, 1, 15, 23, 59, 59, 1, 1, -585,
      19737 },
    { "2024-01-15", 0, 2024, 1, 15, 0, 0, 0, 0, 0, 0, 19737 },
    { "2024-01-15 07:30:00", 0, 2024, 1, 15, 7, 30, 0, 1, 0, 0, 19737 },
    { "2024-02-29T00:00:00", 1, 2024, 2, 29, 0, 0, 0, 1, 0, 0, 19782 },
    { "2000-02-29T23:59:59Z", 1, 2000, 2, 29, 23, 59, 59, 1, 1, 0, 11016 },
    { "1970-01-01T00:00:00Z", 1, 1970, 1, 1, 0, 0, 0, 1, 1, 0, 0 },
    { "1969-12-31T23:59:59Z", 1, 1969, 12, 31, 23, 59, 59, 1, 1, 0, -1 },
    { "0000-01-01T00:00:00", 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, -719528 },
    { "0000-03-01T00:00:00", 1, 0, 3, 1, 0, 0, 0, 1, 0, 0, -719468 },
    { "9999-12-31T23:59:59Z", 1, 9999, 12, 31, 23, 59, 59, 1, 1, 0, 2932896 },
    { "2024-12-31T23:59:59Z", 1, 2024, 12, 31, 23, 59, 59, 1, 1, 0, 20088 },
    { "2099-12-31T00:00:00Z", 1, 2099, 12, 31, 0, 0, 0, 1, 1, 0, 47481 },
    { "2100-01-01T00:00:00Z", 1, 2100, 1, 1, 0, 0, 0, 1, 1, 0, 47482 },
    { "2023-03-01T12:00:00-00:00", 1, 2023, 3, 1, 12, 0, 0, 1, 1, 0, 19417 },
    { "2024-03-01T00:00:00Z", 1, 2024, 3, 1, 0, 0, 0, 1, 1, 0, 19783 },
};

static void test_fixed_times(void **state)
{
    cs_schema *cs = canonical_schema(), *ps = permuted_schema();
    (void)state;
    for (size_t i = 0; i < NELEM(times); i++) {
        fcase k = ACC(CS_EX_START_TIME, times[i].text, times[i].fixed, 0, 0,
                      0, 45000);
        const char *v[CS_EX_NCOLS];
        line_rec b;
        cs_session o;
        cs_reject rej;
        print_message("time %s\n", times[i].text);
        k.verbatim = times[i].fixed && times[i].has_time &&
                     strlen(times[i].text) != 16 &&
                     strlen(times[i].text) != 22;  /* no seconds: rewritten */
        run_case(cs, ps, &k);
        memcpy(v, base, sizeof v);
        v[CS_EX_START_TIME] = times[i].text;
        assert_int_equal(cs_schema_exercise(cs, make(&b, v, CS_EX_NCOLS), &o,
                                            &rej), 1);
        assert_int_equal(o.start.year, times[i].y);
        assert_int_equal(o.start.month, times[i].mo);
        assert_int_equal(o.start.day, times[i].d);
        assert_int_equal(o.start.hour, times[i].h);
        assert_int_equal(o.start.min, times[i].mi);
        assert_int_equal(o.start.sec, times[i].s);
        assert_int_equal(o.start.has_time, times[i].has_time);
        assert_int_equal(o.start.has_tz, times[i].has_tz);
        assert_int_equal(o.start.tz_min, times[i].tz_min);
        assert_int_equal(o.day, times[i].day);
    }
    cs_schema_free(cs);
    cs_schema_free(ps);
}

/* The fixed validator's day numbers against cs_days_from_civil, on the
 * days around every month's end in every year it reads. */
static void test_fixed_days(void **state)
{
    cs_schema *cs = canonical_schema();
    const char *v[CS_EX_NCOLS];
    char t[64];   /* room for any int, which gcc -O1 counts */
    (void)state;
    memcpy(v, base, sizeof v);
    v[CS_EX_START_TIME] = t;
    for (int y = 0; y <= 9999; y++)
        for (int m = 1; m <= 12; m++) {
            int last = cs_days_in_month(y, m);
            for (int d = 1; d <= last; d += (d == 1 ? last - 2 : 1)) {
                line_rec b;
                cs_session o;
                snprintf(t, sizeof t, "%04d-%02d-%02dT12:00:00Z", y, m, d);
                if (cs_schema_exercise_fixed(cs, make(&b, v, CS_EX_NCOLS),
                                             &o) != 1)
                    fail_msg("%s not accepted", t);
                if (o.day != cs_days_from_civil(y, m, d))
                    fail_msg("%s: day %d, wanted %d", t, (int)o.day,
                             (int)cs_days_from_civil(y, m, d));
            }
        }
    cs_schema_free(cs);
}

/* cs__date_day, the dates tag's start_time is read by, against
 * cs_parse_date and cs_days_from_civil: every day of the years 1600 to
 * 2500, the edge days of every year 0 to 9999, every month 0 to 13 and
 * day 0 to 32 of years whose February differs, and every byte value at
 * each of a date's ten places. */
static void date_day_check(const char *t)
{
    cs_datetime dt;
    int32_t got = -12345;
    int want = cs_parse_date((cs_str){ t, 10 }, &dt, NULL);
    int rc = cs__date_day(t, &got);

    if (rc != want)
        fail_msg("\"%.10s\": %d, cs_parse_date %d", t, rc, want);
    if (rc == 0 && got != cs_days_from_civil(dt.year, dt.month, dt.day))
        fail_msg("\"%.10s\": day %d, wanted %d", t, (int)got,
                 (int)cs_days_from_civil(dt.year, dt.month, dt.day));
    if (rc != 0 && got != -12345)
        fail_msg("\"%.10s\": refused, but the day was written", t);
}

static void test_date_day(void **state)
{
    static const int years[] = { 0, 1, 4, 100, 400, 1600, 1900, 1970, 2000,
                                 2023, 2024, 2100, 2400, 9996, 9999 };
    char t[64];   /* room for any int, which gcc -O1 counts */
    unsigned long accepted = 0;
    (void)state;
    for (int y = 0; y <= 9999; y++)
        for (int m = 1; m <= 12; m++) {
            int last = cs_days_in_month(y, m);
            int from = y >= 1600 && y <= 2500 ? 1 : last - 1;
            for (int d = from; d <= last; d++) {
                snprintf(t, sizeof t, "%04d-%02d-%02d", y, m, d);
                date_day_check(t);
                accepted++;
            }
        }
    for (size_t i = 0; i < NELEM(years); i++)
        for (int m = 0; m <= 13; m++)
            for (int d = 0; d <= 32; d++) {
                snprintf(t, sizeof t, "%04d-%02d-%02d", years[i], m, d);
                date_day_check(t);
            }
    for (int k = 0; k < 10; k++)
        for (int c = 0; c < 256; c++) {
            memcpy(t, "2024-02-29", 11);
            t[k] = (char)c;
            date_day_check(t);
        }
    /* Days worked out by hand: 2024-03-04 is 54 years of 365 days,
     * 13 leap days (1972 to 2020) and 31 + 29 + 3 days on. */
    {
        int32_t day;
        assert_int_equal(cs__date_day("2024-03-04", &day), 0);
        assert_int_equal(day, 19786);
        assert_int_equal(cs__date_day("1970-01-01", &day), 0);
        assert_int_equal(day, 0);
        assert_int_equal(cs__date_day("1969-12-31", &day), 0);
        assert_int_equal(day, -1);
    }
    assert_int_equal(cs__date_day("2023-02-29", &(int32_t){ 0 }), -1);
    assert_int_equal(cs__date_day("2100-02-29", &(int32_t){ 0 }), -1);
    assert_true(accepted > 300000);
}

/* Random durations, in both layouts and through the checks: the same
 * verdict, the same double, and milli-minutes equal to cs_agg_mmin's. */
static void test_fixed_mmin_random(void **state)
{
    cs_schema *cs = canonical_schema(), *ps = permuted_schema();
    unsigned long accepted = 0, fixed = 0;
    (void)state;
    srand(20261204);
    for (int r = 0; r < 200000; r++) {
        char t[40];
        int n = 0, ni = rand() % 5, nf = rand() % 10;
        const char *v[CS_EX_NCOLS], *pv[PERM_N];
        line_rec cb, pb;
        cs_session co, ko, po, fo;
        cs_reject cr, kr, pr;
        int cok, kok, pok;
        uint64_t want;

        if (rand() % 20 == 0)
            t[n++] = "+-0 "[rand() % 4];
        for (int i = 0; i < ni; i++)
            t[n++] = (char)('0' + rand() % (i == 0 ? 2 : 10));
        if (nf > 0 || rand() % 8 == 0)
            t[n++] = '.';
        for (int i = 0; i < nf; i++)
            t[n++] = (char)('0' + (rand() % 3 ? rand() % 10 : 9 * (rand() % 2)));
        t[n] = '\0';
        memcpy(v, base, sizeof v);
        v[D] = t;
        pv[0] = "";
        for (int c = 0; c < CS_EX_NCOLS; c++)
            pv[perm_index(c)] = v[c];
        cok = cs_schema_exercise(cs, make(&cb, v, CS_EX_NCOLS), &co, &cr);
        kok = cs_schema_exercise_checked(cs, &cb.rec, &ko, &kr);
        pok = cs_schema_exercise(ps, make(&pb, pv, PERM_N), &po, &pr);
        if (cok != kok || cok != pok)
            fail_msg("\"%s\": %d %d %d", t, cok, kok, pok);
        if (!cok) {
            assert_string_equal(cr.reason, kr.reason);
            assert_string_equal(cr.reason, pr.reason);
            continue;
        }
        accepted++;
        fixed += (unsigned long)cs_schema_exercise_fixed(cs, &cb.rec, &fo);
        same_session(&co, &ko);
        same_session(&co, &po);
        if (cs_agg_mmin(cs_str_trim((cs_str){ t, strlen(t) }), &want) != 0)
            fail_msg("\"%s\": accepted, but cs_agg_mmin refuses it", t);
        if (co.duration_mmin != want)
            fail_msg("\"%s\": %u milli-minutes, cs_agg_mmin %llu", t,
                     (unsigned)co.duration_mmin, (unsigned long long)want);
    }
    assert_true(accepted > 50000);
    assert_true(fixed > 30000);
    cs_schema_free(cs);
    cs_schema_free(ps);
}

/* ---- the fixed validator against the full checks, field by field ----
 *
 * Many values of one column in an otherwise canonical row (every short
 * string over an alphabet of digits, signs, points, blanks and the
 * letters of NA, each byte of a time at each place, random longer
 * numbers): cs_schema_exercise and cs_schema_exercise_checked give the
 * same verdict, reason and values; what cs_schema_exercise_fixed accepts
 * has the checked values, the same verdict and values without the
 * reader's printable flag, and the cells its canon_cells calls canonical
 * are what the checked values write (both sessions are written, and the
 * two outputs compared at the end). */
typedef struct sweep {
    cs_schema *cs;
    cs_writer *wf, *wk;
    FILE *ff, *fk;
    unsigned long rows, fixed;
} sweep;

static void sweep_open(sweep *w)
{
    cs_error err = {0};
    cs_write_opts o = {0};
    memset(w, 0, sizeof *w);
    w->cs = canonical_schema();
    w->ff = tmpfile();
    w->fk = tmpfile();
    assert_non_null(w->ff);
    assert_non_null(w->fk);
    assert_int_equal(cs_writer_open_fd(&w->wf, fileno(w->ff), "f", &o, &err),
                     CS_OK);
    assert_int_equal(cs_writer_open_fd(&w->wk, fileno(w->fk), "k", &o, &err),
                     CS_OK);
}

static void sweep_close(sweep *w)
{
    long lf, lk;
    char *bf, *bk;
    assert_int_equal(cs_writer_close(w->wf, NULL), CS_OK);
    assert_int_equal(cs_writer_close(w->wk, NULL), CS_OK);
    fseek(w->ff, 0, SEEK_END);
    fseek(w->fk, 0, SEEK_END);
    lf = ftell(w->ff);
    lk = ftell(w->fk);
    assert_int_equal(lf, lk);
    bf = malloc((size_t)lf + 1);
    bk = malloc((size_t)lk + 1);
    assert_non_null(bf);
    assert_non_null(bk);
    rewind(w->ff);
    rewind(w->fk);
    assert_int_equal(fread(bf, 1, (size_t)lf, w->ff), (size_t)lf);
    assert_int_equal(fread(bk, 1, (size_t)lk, w->fk), (size_t)lk);
    if (memcmp(bf, bk, (size_t)lf) != 0)
        fail_msg("the rows written from the fixed validator's sessions "
                 "differ from the checked ones");
    free(bf);
    free(bk);
    fclose(w->ff);
    fclose(w->fk);
    cs_schema_free(w->cs);
}

/* The row base with column col (and col2, when not -1) replaced. */
static void sweep_row(sweep *w, int col, const char *text, int col2,
                      const char *text2)
{
    const char *v[CS_EX_NCOLS];
    line_rec b;
    const cs_record *rec;
    cs_session a, k, f, u;
    cs_reject ra, rk;
    int oka, okk, okf;

    memcpy(v, base, sizeof v);
    v[col] = text;
    if (col2 >= 0)
        v[col2] = text2;
    rec = make(&b, v, CS_EX_NCOLS);
    memset(&ra, 0, sizeof ra);
    memset(&rk, 0, sizeof rk);
    oka = cs_schema_exercise(w->cs, rec, &a, &ra);
    okk = cs_schema_exercise_checked(w->cs, rec, &k, &rk);
    okf = cs_schema_exercise_fixed(w->cs, rec, &f);
    w->rows++;
    if (oka != okk || (okf && !okk))
        fail_msg("%s = \"%s\": %d, checked %d, fixed %d", header[col], text,
                 oka, okk, okf);
    if (!oka) {
        if (ra.col != rk.col || strcmp(ra.reason, rk.reason) != 0)
            fail_msg("%s = \"%s\": \"%s\", checked \"%s\"", header[col], text,
                     ra.reason, rk.reason);
        return;
    }
    if (cs_test_session_diff(&a, &k) ||
        (okf && cs_test_session_diff(&f, &k)))
        fail_msg("%s = \"%s\": the sessions differ in %s", header[col], text,
                 cs_test_session_diff(&a, &k) ? cs_test_session_diff(&a, &k)
                                              : cs_test_session_diff(&f, &k));
    if (b.rec.printable) {
        b.rec.printable = 0;
        if (cs_schema_exercise_fixed(w->cs, rec, &u) != okf ||
            (okf && (cs_test_session_diff(&u, &f) ||
                     u.canon_cells != f.canon_cells)))
            fail_msg("%s = \"%s\": not the same unflagged", header[col],
                     text);
        b.rec.printable = 1;
    }
    if (okf) {
        w->fixed++;
        assert_int_equal(a.canon_cells, f.canon_cells);
        cs_schema_write_session(w->cs, w->wf, rec, &f);
        cs_schema_write_session(w->cs, w->wk, rec, &k);
    }
}

/* Every string of 0 to maxlen bytes over alpha in column col. */
static void sweep_strings(sweep *w, int col, const char *alpha, int maxlen,
                          int col2, const char *text2)
{
    size_t na = strlen(alpha);
    char t[16];
    for (int len = 0; len <= maxlen; len++) {
        size_t idx[16] = {0};
        for (;;) {
            int i;
            for (i = 0; i < len; i++)
                t[i] = alpha[idx[i]];
            t[len] = '\0';
            sweep_row(w, col, t, col2, text2);
            for (i = 0; i < len && ++idx[i] == na; i++)
                idx[i] = 0;
            if (i == len)
                break;
        }
    }
}

static void test_fixed_sweep_numbers(void **state)
{
    static const int cols[] = { D, R, T, H, F, W };
    sweep w;
    (void)state;
    sweep_open(&w);
    for (size_t c = 0; c < NELEM(cols); c++) {
        sweep_strings(&w, cols[c], "0123456789.-", 4, -1, NULL);
        sweep_strings(&w, cols[c], "05.-+ xNA/", 4, -1, NULL);
        /* Longer numbers: digits, a point, a sign, now and then a
         * stray byte. */
        srand(20261206 + (unsigned)c);
        for (int r = 0; r < 30000; r++) {
            char t[32];
            int n = 0, len = 1 + rand() % 22;
            if (rand() % 6 == 0)
                t[n++] = "-+ 0"[rand() % 4];
            while (n < len) {
                int x = rand() % 40;
                t[n++] = x < 34 ? (char)('0' + x % 10)
                       : x < 38 ? '.' : "- e\x80"[rand() % 4];
            }
            t[n] = '\0';
            sweep_row(&w, cols[c], t, -1, NULL);
        }
    }
    print_message("%lu rows, %lu by the fixed validator\n", w.rows, w.fixed);
    assert_true(w.fixed > 30000);
    sweep_close(&w);
}

static void test_fixed_sweep_times(void **state)
{
    static const char *const bases[] = {
        "2024-02-29T23:59:59Z", "1970-01-01T00:00:00", "2099-12-31T23:59:59",
        "2023-02-28T12:00:00+05:30", "2024-01-15T07:30:00-00:00",
        "2100-02-28T00:00:00Z", "1969-12-31T23:59:59Z"
    };
    sweep w;
    (void)state;
    sweep_open(&w);
    for (size_t i = 0; i < NELEM(bases); i++) {
        size_t len = strlen(bases[i]);
        char t[32];
        for (size_t k = 0; k < len; k++)
            for (int c = 1; c < 256; c++) {
                memcpy(t, bases[i], len + 1);
                t[k] = (char)c;
                sweep_row(&w, CS_EX_START_TIME, t, -1, NULL);
            }
        /* Cut short and made longer. */
        for (size_t k = 0; k <= len; k++) {
            memcpy(t, bases[i], k);
            t[k] = '\0';
            sweep_row(&w, CS_EX_START_TIME, t, -1, NULL);
            memcpy(t, bases[i], len);
            memcpy(t + len, "Z0:+-", 5);
            t[len + 1 + k % 4] = '\0';
            sweep_row(&w, CS_EX_START_TIME, t, -1, NULL);
        }
    }
    /* Every hour, minute and second place's digit pair, and months and
     * days 0 to 39. */
    for (int x = 0; x < 100; x++) {
        char t[64];   /* room for any int, which gcc -O1 counts */
        snprintf(t, sizeof t, "2024-01-15T%02d:30:00Z", x);
        sweep_row(&w, CS_EX_START_TIME, t, -1, NULL);
        snprintf(t, sizeof t, "2024-01-15T07:%02d:00Z", x);
        sweep_row(&w, CS_EX_START_TIME, t, -1, NULL);
        snprintf(t, sizeof t, "2024-01-15T07:30:%02dZ", x);
        sweep_row(&w, CS_EX_START_TIME, t, -1, NULL);
        for (int d = 0; d < 40; d++) {
            snprintf(t, sizeof t, "2024-%02d-%02dT07:30:00Z", x, d);
            sweep_row(&w, CS_EX_START_TIME, t, -1, NULL);
        }
    }
    print_message("%lu rows, %lu by the fixed validator\n", w.rows, w.fixed);
    sweep_close(&w);
}

static void test_fixed_sweep_words(void **state)
{
    static const char *const words[] = {
        "yes", "no", "calf", "foot", "other", "hamstring", "quadriceps",
        "P0000001", "S000000001", "running", "NA", "N/A", "TRUE", "false"
    };
    static const int cols[] = { PI, SI, AC, ST, CR, MU };
    sweep w;
    (void)state;
    sweep_open(&w);
    for (size_t c = 0; c < NELEM(cols); c++) {
        int col2 = cols[c] == MU ? CR : -1;
        sweep_strings(&w, cols[c], "nNyesoa/ A\"", 3, col2, "yes");
        for (size_t i = 0; i < NELEM(words); i++) {
            size_t len = strlen(words[i]);
            char t[32];
            sweep_row(&w, cols[c], words[i], col2, "yes");
            for (size_t k = 0; k < len; k++)
                for (int b = 1; b < 256; b++) {
                    memcpy(t, words[i], len + 1);
                    t[k] = (char)b;
                    sweep_row(&w, cols[c], t, col2, "yes");
                }
        }
    }
    print_message("%lu rows, %lu by the fixed validator\n", w.rows, w.fixed);
    sweep_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_cases),
        cmocka_unit_test(test_fixed_times),
        cmocka_unit_test(test_fixed_days),
        cmocka_unit_test(test_date_day),
        cmocka_unit_test(test_fixed_mmin_random),
        cmocka_unit_test(test_fixed_sweep_numbers),
        cmocka_unit_test(test_fixed_sweep_times),
        cmocka_unit_test(test_fixed_sweep_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
