/* Tests of src/schema.c: header matching and every rule of DATA.md
 * sections 2 and 3, value by value at and just beyond each bound, with the
 * column and reason of each reject, and the canonical CSV that ingest
 * writes. Records are built by hand from arrays of cs_str. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <crampstat/derive.h>
#include <crampstat/schema.h>
#include <crampstat/writer.h>
#include "internal.h"

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

/* A record over up to 32 fields of C strings (lengths from strlen). */
typedef struct rec_buf {
    cs_str f[32];
    cs_record rec;
} rec_buf;

static const cs_record *mkrec(rec_buf *b, const char *const *v, size_t n,
                              unsigned long line)
{
    assert_true(n <= NELEM(b->f));
    for (size_t i = 0; i < n; i++)
        b->f[i] = (cs_str){ v[i], strlen(v[i]) };
    memset(&b->rec, 0, sizeof b->rec);   /* not printable: bytes checked */
    b->rec.fields = b->f;
    b->rec.nfields = n;
    b->rec.line = b->rec.end_line = line;
    b->rec.index = line;
    b->rec.raw = (cs_str){ "", 0 };
    return &b->rec;
}

static const char *const ex_header[CS_EX_NCOLS] = {
    "participant_id", "session_id", "start_time", "activity", "duration_min",
    "intensity_rpe", "temp_c", "humidity_pct", "fluid_ml", "warmup_min",
    "stretched", "cramp", "cramp_muscle"
};
static const char *const ex_row[CS_EX_NCOLS] = {
    "P001", "S001", "2024-06-03T10:30", "running", "45", "6", "25.5", "60",
    "500", "10", "yes", "yes", "hamstring"
};
static const char *const sv_header[CS_SV_NCOLS] = {
    "participant_id", "survey_date", "sex", "age_years", "height_ft",
    "height_in", "weight_lb", "activity_level", "conditioning",
    "seasonal_sport", "stretch_routine", "conditions", "calorie_goal",
    "calcium_mg", "potassium_mg"
};
static const char *const sv_row[CS_SV_NCOLS] = {
    "P001", "2024-05-01", "F", "35", "5", "6", "150", "moderate",
    "recreational", "yes", "no", "", "Maintain my current weight", "900",
    "2500"
};

static cs_schema *make_schema(int kind, const char *const *h, size_t n)
{
    rec_buf b;
    cs_error err = {0};
    cs_schema *s = NULL;
    assert_int_equal(cs_schema_create(&s, kind, "t.csv", mkrec(&b, h, n, 1),
                                      &err), CS_OK);
    assert_non_null(s);
    return s;
}

/* ---- headers --------------------------------------------------------- */

static void test_header_contract_order(void **state)
{
    (void)state;
    cs_schema *s = make_schema(CS_SCHEMA_EXERCISE, ex_header, CS_EX_NCOLS);
    assert_int_equal(cs_schema_kind(s), CS_SCHEMA_EXERCISE);
    assert_int_equal(cs_schema_ncols(s), CS_EX_NCOLS);
    for (int c = 0; c < CS_EX_NCOLS; c++) {
        assert_int_equal(cs_schema_index(s, c), c);
        assert_string_equal(cs_exercise_column(c), ex_header[c]);
    }
    assert_int_equal(cs_schema_n_extra(s), 0);
    assert_int_equal(cs_schema_is_canonical(s), 1);
    cs_schema_free(s);

    s = make_schema(CS_SCHEMA_SURVEY, sv_header, CS_SV_NCOLS);
    for (int c = 0; c < CS_SV_NCOLS; c++) {
        assert_int_equal(cs_schema_index(s, c), c);
        assert_string_equal(cs_survey_column(c), sv_header[c]);
    }
    assert_int_equal(cs_schema_is_canonical(s), 1);
    cs_schema_free(s);
    assert_null(cs_exercise_column(CS_EX_NCOLS));
    assert_null(cs_survey_column(-1));
}

/* Any order, any case, spaces around names; extra columns kept. */
static void test_header_any_order_case(void **state)
{
    static const char *const h[] = {
        "  CRAMP ", "note", "Session_ID", "\tparticipant_ID", "Start_Time",
        "ACTIVITY", "Duration_Min", "intensity_RPE", " Extra 2 ", "temp_c",
        "Humidity_Pct", "fluid_ml", "WARMUP_MIN", "Stretched", "Cramp_Muscle"
    };
    static const long want[CS_EX_NCOLS] = {
        3, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 0, 14
    };
    (void)state;
    cs_schema *s = make_schema(CS_SCHEMA_EXERCISE, h, NELEM(h));
    for (int c = 0; c < CS_EX_NCOLS; c++)
        assert_int_equal(cs_schema_index(s, c), want[c]);
    assert_int_equal(cs_schema_n_extra(s), 2);
    assert_true(cs_str_eq(cs_schema_extra_name(s, 0), "note"));
    assert_true(cs_str_eq(cs_schema_extra_name(s, 1), "Extra 2"));
    assert_true(cs_str_eq(cs_schema_header(s, 0), "CRAMP"));
    assert_true(cs_str_eq(cs_schema_header(s, 3), "participant_ID"));
    assert_int_equal(cs_schema_is_canonical(s), 0);
    cs_schema_free(s);
}

/* A column named twice: CS_EPARSE at the header line and the 1-based
 * column of the second occurrence. */
static const struct {
    const char *name;
    int kind;
    const char *dup;        /* appended after the contract header */
    unsigned long col;
    const char *msg;
} dup_cases[] = {
    { "required", CS_SCHEMA_EXERCISE, " Duration_MIN ", 14,
      "column \"duration_min\" appears twice in the header (columns 5 and 14)" },
    { "first", CS_SCHEMA_EXERCISE, "PARTICIPANT_ID", 14,
      "column \"participant_id\" appears twice in the header (columns 1 and 14)" },
    { "optional", CS_SCHEMA_EXERCISE, "temp_c", 14,
      "column \"temp_c\" appears twice in the header (columns 7 and 14)" },
    { "survey", CS_SCHEMA_SURVEY, "Calorie_Goal", 16,
      "column \"calorie_goal\" appears twice in the header (columns 13 and 16)" },
    { "auto", CS_SCHEMA_AUTO, "cramp", 14,
      "column \"cramp\" appears twice in the header (columns 12 and 14)" },
};

static void test_header_duplicates(void **state)
{
    (void)state;
    for (size_t i = 0; i < NELEM(dup_cases); i++) {
        const char *h[20];
        size_t n = 0;
        rec_buf b;
        cs_error err = {0};
        cs_schema *s = (cs_schema *)&b;   /* must be set to NULL */
        int survey = dup_cases[i].kind == CS_SCHEMA_SURVEY;
        print_message("case %s\n", dup_cases[i].name);
        for (int c = 0; c < (survey ? CS_SV_NCOLS : CS_EX_NCOLS); c++)
            h[n++] = survey ? sv_header[c] : ex_header[c];
        h[n++] = dup_cases[i].dup;
        assert_int_equal(cs_schema_create(&s, dup_cases[i].kind, "in.csv",
                                          mkrec(&b, h, n, 3), &err),
                         CS_EPARSE);
        assert_null(s);
        assert_int_equal(err.code, CS_EPARSE);
        assert_string_equal(err.src, "in.csv");
        assert_int_equal(err.line, 3);
        assert_int_equal(err.col, dup_cases[i].col);
        assert_string_equal(err.msg, dup_cases[i].msg);
    }
}

/* Each required column missing in turn: fatal, and named; each optional
 * one missing: accepted, index -1, not canonical. */
static void test_header_missing(void **state)
{
    (void)state;
    for (int kind = CS_SCHEMA_EXERCISE; kind <= CS_SCHEMA_SURVEY; kind++) {
        int ncols = kind == CS_SCHEMA_EXERCISE ? CS_EX_NCOLS : CS_SV_NCOLS;
        const char *const *full = kind == CS_SCHEMA_EXERCISE ? ex_header
                                                              : sv_header;
        int nreq = 0;
        for (int drop = 0; drop < ncols; drop++) {
            const char *h[20];
            size_t n = 0;
            rec_buf b;
            cs_error err = {0};
            cs_schema *s = NULL;
            int optional = kind == CS_SCHEMA_EXERCISE
                ? (drop >= CS_EX_TEMP_C && drop <= CS_EX_STRETCHED) ||
                  drop == CS_EX_CRAMP_MUSCLE
                : drop == CS_SV_CONDITIONS || drop == CS_SV_CALCIUM_MG ||
                  drop == CS_SV_POTASSIUM_MG;
            print_message("case kind %d without %s\n", kind, full[drop]);
            for (int c = 0; c < ncols; c++)
                if (c != drop)
                    h[n++] = full[c];
            h[n++] = "extra";
            int rc = cs_schema_create(&s, kind, "in.csv", mkrec(&b, h, n, 2),
                                      &err);
            if (optional) {
                assert_int_equal(rc, CS_OK);
                assert_int_equal(cs_schema_index(s, drop), -1);
                assert_int_equal(cs_schema_is_canonical(s), 0);
                cs_schema_free(s);
                continue;
            }
            char want[128];
            nreq++;
            snprintf(want, sizeof want,
                     "required column \"%s\" is missing from the header",
                     full[drop]);
            assert_int_equal(rc, CS_EPARSE);
            assert_null(s);
            assert_int_equal(err.line, 2);
            assert_int_equal(err.col, 0);
            assert_string_equal(err.msg, want);
        }
        assert_int_equal(nreq, kind == CS_SCHEMA_EXERCISE ? 7 : 12);
    }
}

static void test_header_empty(void **state)
{
    static const char *const one_empty[] = { "  " };
    rec_buf b;
    cs_error err = {0};
    cs_schema *s = NULL;
    (void)state;
    assert_int_equal(cs_schema_create(&s, CS_SCHEMA_AUTO, "e.csv",
                                      mkrec(&b, one_empty, 0, 1), &err),
                     CS_EPARSE);
    assert_string_equal(err.msg, "empty header");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 1);
    cs_error_clear(&err);
    assert_int_equal(cs_schema_create(&s, CS_SCHEMA_ANY, "e.csv",
                                      mkrec(&b, one_empty, 1, 1), &err),
                     CS_EPARSE);
    assert_string_equal(err.msg, "empty header");
    assert_null(s);
}

static const struct {
    const char *name;
    const char *h[4];
    size_t n;
    int kind;
} auto_cases[] = {
    { "session_id", { "a", "session_id", "b" }, 3, CS_SCHEMA_EXERCISE },
    { "survey_date", { "survey_date", "x" }, 2, CS_SCHEMA_SURVEY },
    { "both", { "survey_date", " SESSION_ID " }, 2, CS_SCHEMA_EXERCISE },
    { "neither", { "a", "b", "c", "d" }, 4, CS_SCHEMA_ANY },
};

/* Auto detection decides the kind; then the contract applies (both
 * detected kinds here lack required columns, so only ANY succeeds). */
static void test_header_auto(void **state)
{
    (void)state;
    for (size_t i = 0; i < NELEM(auto_cases); i++) {
        rec_buf b;
        cs_error err = {0};
        cs_schema *s = NULL;
        int rc;
        print_message("case %s\n", auto_cases[i].name);
        rc = cs_schema_create(&s, CS_SCHEMA_AUTO, "a.csv",
                              mkrec(&b, auto_cases[i].h, auto_cases[i].n, 1),
                              &err);
        if (auto_cases[i].kind == CS_SCHEMA_ANY) {
            assert_int_equal(rc, CS_OK);
            assert_int_equal(cs_schema_kind(s), CS_SCHEMA_ANY);
            assert_int_equal(cs_schema_ncols(s), auto_cases[i].n);
            assert_int_equal(cs_schema_is_canonical(s), 0);
            cs_schema_free(s);
        } else {
            /* the message names a column of the detected kind */
            assert_int_equal(rc, CS_EPARSE);
            assert_non_null(strstr(err.msg,
                auto_cases[i].kind == CS_SCHEMA_EXERCISE ? "participant_id"
                                                         : "participant_id"));
        }
    }
    /* a full survey header is detected as survey, exercise as exercise */
    {
        cs_schema *s = make_schema(CS_SCHEMA_AUTO, sv_header, CS_SV_NCOLS);
        assert_int_equal(cs_schema_kind(s), CS_SCHEMA_SURVEY);
        cs_schema_free(s);
        s = make_schema(CS_SCHEMA_AUTO, ex_header, CS_EX_NCOLS);
        assert_int_equal(cs_schema_kind(s), CS_SCHEMA_EXERCISE);
        cs_schema_free(s);
    }
}

/* Canonical: the contract's names, byte for byte, first and in order. */
static void test_header_canonical(void **state)
{
    const char *h[20];
    (void)state;
    for (int variant = 0; variant < 6; variant++) {
        size_t n = 0;
        int want;
        cs_schema *s;
        for (int c = 0; c < CS_EX_NCOLS; c++)
            h[n++] = ex_header[c];
        switch (variant) {
        case 0: want = 1; break;                                /* exact */
        case 1: h[n++] = "note"; h[n++] = "x"; want = 1; break; /* extras after */
        case 2: h[12] = "Cramp_Muscle"; want = 0; break;        /* case */
        case 3: h[0] = " participant_id"; want = 0; break;      /* space */
        case 4: h[10] = "cramp"; h[11] = "stretched"; want = 0; break;
        default:                                  /* an extra in between */
            h[12] = "note"; h[n++] = "cramp_muscle"; want = 0; break;
        }
        print_message("case variant %d\n", variant);
        s = make_schema(CS_SCHEMA_EXERCISE, h, n);
        assert_int_equal(cs_schema_is_canonical(s), want);
        cs_schema_free(s);
    }
}

/* ---- values: the big table ----------------------------------------- */

typedef struct vcase {
    int col;                 /* contract column set to val */
    const char *val;
    int col2;                /* -1, or a second column set to val2 */
    const char *val2;
    int ok;                  /* 1 accepted */
    int rej_col;             /* contract column of the reject; -1 = row */
    const char *reason;      /* reject reason: exact, or ... */
    int sub;                 /* ... 1: a substring of it */
} vcase;

#define OK1(c, v) { c, v, -1, NULL, 1, 0, NULL, 0 }
#define OK2(c, v, c2, v2) { c, v, c2, v2, 1, 0, NULL, 0 }
#define BAD(c, v, r) { c, v, -1, NULL, 0, c, r, 0 }
#define BADSUB(c, v, r) { c, v, -1, NULL, 0, c, r, 1 }
#define BAD2(c, v, c2, v2, rc, r) { c, v, c2, v2, 0, rc, r, 0 }

#define S64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define EURO7 "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac" \
              "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"   /* 21 bytes */

static const vcase ex_cases[] = {
    OK1(CS_EX_PARTICIPANT_ID, "P001"),
    /* ids: 1-64 bytes, no control characters, valid UTF-8 */
    OK1(CS_EX_PARTICIPANT_ID, S64),
    BAD(CS_EX_PARTICIPANT_ID, S64 "a",
        "participant_id: 65 bytes, longer than 64"),
    OK1(CS_EX_PARTICIPANT_ID, EURO7 EURO7 EURO7 "a"),      /* 64 bytes */
    BAD(CS_EX_PARTICIPANT_ID, EURO7 EURO7 EURO7 "\xe2\x82\xac",
        "participant_id: 66 bytes, longer than 64"),
    OK1(CS_EX_PARTICIPANT_ID, "  P001  "),                 /* trimmed */
    OK1(CS_EX_PARTICIPANT_ID, "Zo\xc3\xab, \"the\" runner"),
    OK1(CS_EX_PARTICIPANT_ID, "\xe6\x97\xa5\xe6\x9c\xac"),
    OK1(CS_EX_PARTICIPANT_ID, "\xf0\x9f\x8f\x83"),         /* U+1F3C3 */
    BAD(CS_EX_PARTICIPANT_ID, "", "participant_id: empty, but it is required"),
    BAD(CS_EX_PARTICIPANT_ID, "   ",
        "participant_id: empty, but it is required"),
    /* NA means missing (DATA.md section 1); ids are required */
    BAD(CS_EX_PARTICIPANT_ID, "NA",
        "participant_id: \"NA\" means missing, but it is required"),
    BAD(CS_EX_PARTICIPANT_ID, "n/a",
        "participant_id: \"n/a\" means missing, but it is required"),
    BAD(CS_EX_PARTICIPANT_ID, "P\x01" "1",
        "participant_id: \"P\\x011\" holds a control character (byte 0x01)"),
    BAD(CS_EX_PARTICIPANT_ID, "P\n1",
        "participant_id: \"P\\x0a1\" holds a control character (byte 0x0a)"),
    BAD(CS_EX_PARTICIPANT_ID, "P\x7f",
        "participant_id: \"P\\x7f\" holds a control character (byte 0x7f)"),
    BAD(CS_EX_PARTICIPANT_ID, "P\tQ",
        "participant_id: \"P\\x09Q\" holds a control character (byte 0x09)"),
    /* C1 controls (U+0080-U+009F) are control characters too */
    BAD(CS_EX_PARTICIPANT_ID, "P\xc2\x85" "1",
        "participant_id: \"P\\u00851\" holds a control character (U+0085)"),
    BAD(CS_EX_PARTICIPANT_ID, "\xc2\x9f",
        "participant_id: \"\\u009f\" holds a control character (U+009F)"),
    OK1(CS_EX_PARTICIPANT_ID, "P\xc2\xa0" "1"),             /* U+00A0: no */
    /* invalid UTF-8 is escaped in the reason, so the log stays UTF-8 */
    BAD(CS_EX_PARTICIPANT_ID, "\xff",
        "participant_id: \"\\xff\" is not valid UTF-8"),
    BAD(CS_EX_PARTICIPANT_ID, "A\xc0\xaf" "B",
        "participant_id: \"A\\xc0\\xafB\" is not valid UTF-8"),  /* overlong / */
    BAD(CS_EX_PARTICIPANT_ID, "\xe0\x80\xaf",
        "participant_id: \"\\xe0\\x80\\xaf\" is not valid UTF-8"),
    BAD(CS_EX_PARTICIPANT_ID, "\xed\xa0\x80",                  /* surrogate */
        "participant_id: \"\\xed\\xa0\\x80\" is not valid UTF-8"),
    BAD(CS_EX_PARTICIPANT_ID, "\xf4\x90\x80\x80",              /* > U+10FFFF */
        "participant_id: \"\\xf4\\x90\\x80\\x80\" is not valid UTF-8"),
    BAD(CS_EX_PARTICIPANT_ID, "ab\xe2\x82",                    /* cut short */
        "participant_id: \"ab\\xe2\\x82\" is not valid UTF-8"),
    BAD(CS_EX_PARTICIPANT_ID, "\x80", "participant_id: \"\\x80\" is not valid UTF-8"),
    OK1(CS_EX_SESSION_ID, S64),
    BAD(CS_EX_SESSION_ID, S64 "b", "session_id: 65 bytes, longer than 64"),
    BAD(CS_EX_SESSION_ID, "", "session_id: empty, but it is required"),
    BAD(CS_EX_SESSION_ID, "N/A",
        "session_id: \"N/A\" means missing, but it is required"),
    BAD(CS_EX_SESSION_ID, "S\x1b", 
        "session_id: \"S\\x1b\" holds a control character (byte 0x1b)"),
    BAD(CS_EX_SESSION_ID, "S\xfe", "session_id: \"S\\xfe\" is not valid UTF-8"),
    /* start_time */
    OK1(CS_EX_START_TIME, "2024-06-03"),
    OK1(CS_EX_START_TIME, "2024-06-03T10:30:59"),
    OK1(CS_EX_START_TIME, "2024-06-03T10:30Z"),
    OK1(CS_EX_START_TIME, "2024-06-03T10:30+05:30"),
    OK1(CS_EX_START_TIME, "2024-06-03T10:30:00-08:00"),
    OK1(CS_EX_START_TIME, " 2024-02-29T00:00 "),
    BAD(CS_EX_START_TIME, "", "start_time: missing, but it is required"),
    BAD(CS_EX_START_TIME, "NA", "start_time: missing, but it is required"),
    BAD(CS_EX_START_TIME, "2024-06-03T24:00",
        "start_time: \"2024-06-03T24:00\": hour out of range (00-23)"),
    BAD(CS_EX_START_TIME, "2024-06-03T23:60",
        "start_time: \"2024-06-03T23:60\": minute out of range (00-59)"),
    BAD(CS_EX_START_TIME, "2023-02-29T10:00",
        "start_time: \"2023-02-29T10:00\": no such day in that month"),
    BAD(CS_EX_START_TIME, "2024-13-03",
        "start_time: \"2024-13-03\": month out of range (01-12)"),
    BAD(CS_EX_START_TIME, "2024/06/03 10:30",
        "start_time: \"2024/06/03 10:30\": not an ISO 8601 date (YYYY-MM-DD) "
        "or time (YYYY-MM-DDThh:mm[:ss][Z|+hh:mm|-hh:mm])"),
    BADSUB(CS_EX_START_TIME, "03/06/2024", "not an ISO 8601 date"),
    BADSUB(CS_EX_START_TIME, "2024-06-03T10:30:00.000Z", "not an ISO 8601"),
    BADSUB(CS_EX_START_TIME, "2024-06-03T10:30+5:30", "not an ISO 8601"),
    BADSUB(CS_EX_START_TIME, "2024-06-03T10:30+25:00", "offset out of range"),
    BADSUB(CS_EX_START_TIME, "yesterday", "not an ISO 8601"),
    BADSUB(CS_EX_START_TIME, "1717390800", "not an ISO 8601"),
    /* activity */
    OK1(CS_EX_ACTIVITY, "Soccer"),
    OK1(CS_EX_ACTIVITY, S64),
    BAD(CS_EX_ACTIVITY, S64 "x", "activity: 65 bytes, longer than 64"),
    BAD(CS_EX_ACTIVITY, "", "activity: empty, but it is required"),
    BAD(CS_EX_ACTIVITY, "NA", "activity: \"NA\" means missing, but it is required"),
    /* duration_min: 0 < x <= 1440 */
    BAD(CS_EX_DURATION_MIN, "0", "duration_min: 0 is not above 0"),
    BAD(CS_EX_DURATION_MIN, "0.0", "duration_min: 0.0 is not above 0"),
    BAD(CS_EX_DURATION_MIN, "-0", "duration_min: -0 is not above 0"),
    BAD(CS_EX_DURATION_MIN, "-5", "duration_min: -5 is not above 0"),
    OK1(CS_EX_DURATION_MIN, "0.0001"),
    OK1(CS_EX_DURATION_MIN, "1440"),
    OK1(CS_EX_DURATION_MIN, "1440.000"),
    OK1(CS_EX_DURATION_MIN, "+045.500"),
    OK1(CS_EX_DURATION_MIN, " 45 "),
    BAD(CS_EX_DURATION_MIN, "1440.0001",
        "duration_min: 1440.0001 is above 1440"),
    BAD(CS_EX_DURATION_MIN, "1441", "duration_min: 1441 is above 1440"),
    BAD(CS_EX_DURATION_MIN, "", "duration_min: missing, but it is required"),
    BAD(CS_EX_DURATION_MIN, "na", "duration_min: missing, but it is required"),
    BAD(CS_EX_DURATION_MIN, "45,5", "duration_min: \"45,5\" is not a number "
        "(write plain decimals like 12.5)"),
    BAD(CS_EX_DURATION_MIN, "1e2", "duration_min: \"1e2\" is not a number "
        "(write plain decimals like 12.5)"),
    BADSUB(CS_EX_DURATION_MIN, "45 min", "is not a number"),
    BADSUB(CS_EX_DURATION_MIN, "inf", "is not a number"),
    BADSUB(CS_EX_DURATION_MIN, "NaN", "is not a number"),
    BADSUB(CS_EX_DURATION_MIN, "0x10", "is not a number"),
    /* intensity_rpe: integer 1-10 */
    BAD(CS_EX_INTENSITY_RPE, "0", "intensity_rpe: 0 is below 1"),
    OK1(CS_EX_INTENSITY_RPE, "1"),
    OK1(CS_EX_INTENSITY_RPE, "10"),
    OK1(CS_EX_INTENSITY_RPE, "+07"),
    BAD(CS_EX_INTENSITY_RPE, "11", "intensity_rpe: 11 is above 10"),
    BAD(CS_EX_INTENSITY_RPE, "-1", "intensity_rpe: -1 is below 1"),
    BAD(CS_EX_INTENSITY_RPE, "3.5", "intensity_rpe: 3.5 is not a whole number"),
    /* an int64 overflow is a number too large, not "not a whole number" */
    BAD(CS_EX_INTENSITY_RPE, "99999999999999999999",
        "intensity_rpe: 99999999999999999999 is above 10"),
    BAD(CS_EX_INTENSITY_RPE, "7.0", "intensity_rpe: 7.0 is not written as a "
        "whole number (no decimal point)"),
    BAD(CS_EX_INTENSITY_RPE, "seven",
        "intensity_rpe: \"seven\" is not a whole number"),
    BAD(CS_EX_INTENSITY_RPE, "", "intensity_rpe: missing, but it is required"),
    BAD(CS_EX_INTENSITY_RPE, "N/A", "intensity_rpe: missing, but it is required"),
    /* temp_c: -40 ... 60, optional */
    OK1(CS_EX_TEMP_C, "-40"),
    BAD(CS_EX_TEMP_C, "-40.1", "temp_c: -40.1 is below -40"),
    OK1(CS_EX_TEMP_C, "60"),
    BAD(CS_EX_TEMP_C, "60.1", "temp_c: 60.1 is above 60"),
    OK1(CS_EX_TEMP_C, ""),
    OK1(CS_EX_TEMP_C, "NA"),
    OK1(CS_EX_TEMP_C, "n/A"),
    OK1(CS_EX_TEMP_C, "-0"),
    BADSUB(CS_EX_TEMP_C, "hot", "temp_c: \"hot\" is not a number"),
    BADSUB(CS_EX_TEMP_C, "25,5", "temp_c: \"25,5\" is not a number"),
    /* humidity_pct: 0 ... 100 */
    OK1(CS_EX_HUMIDITY_PCT, "0"),
    BAD(CS_EX_HUMIDITY_PCT, "-0.1", "humidity_pct: -0.1 is below 0"),
    OK1(CS_EX_HUMIDITY_PCT, "100"),
    BAD(CS_EX_HUMIDITY_PCT, "100.1", "humidity_pct: 100.1 is above 100"),
    OK1(CS_EX_HUMIDITY_PCT, ""),
    BADSUB(CS_EX_HUMIDITY_PCT, "60%", "is not a number"),
    /* fluid_ml: 0 ... 10000 */
    OK1(CS_EX_FLUID_ML, "0"),
    OK1(CS_EX_FLUID_ML, "10000"),
    BAD(CS_EX_FLUID_ML, "10000.01", "fluid_ml: 10000.01 is above 10000"),
    BAD(CS_EX_FLUID_ML, "-1", "fluid_ml: -1 is below 0"),
    OK1(CS_EX_FLUID_ML, "NA"),
    /* warmup_min: 0 ... 240 */
    OK1(CS_EX_WARMUP_MIN, "0"),
    OK1(CS_EX_WARMUP_MIN, "240"),
    BAD(CS_EX_WARMUP_MIN, "240.5", "warmup_min: 240.5 is above 240"),
    BAD(CS_EX_WARMUP_MIN, "-0.5", "warmup_min: -0.5 is below 0"),
    OK1(CS_EX_WARMUP_MIN, ""),
    /* stretched: optional boolean in all spellings */
    OK1(CS_EX_STRETCHED, "yes"), OK1(CS_EX_STRETCHED, "No"),
    OK1(CS_EX_STRETCHED, "Y"), OK1(CS_EX_STRETCHED, "n"),
    OK1(CS_EX_STRETCHED, "TRUE"), OK1(CS_EX_STRETCHED, "False"),
    OK1(CS_EX_STRETCHED, "1"), OK1(CS_EX_STRETCHED, "0"),
    OK1(CS_EX_STRETCHED, ""), OK1(CS_EX_STRETCHED, "NA"),
    OK1(CS_EX_STRETCHED, " yes "),
    BAD(CS_EX_STRETCHED, "maybe",
        "stretched: \"maybe\" is not yes/no, y/n, true/false or 1/0"),
    BAD(CS_EX_STRETCHED, "2",
        "stretched: \"2\" is not yes/no, y/n, true/false or 1/0"),
    BADSUB(CS_EX_STRETCHED, "T", "is not yes/no"),
    BADSUB(CS_EX_STRETCHED, "yes please", "is not yes/no"),
    /* cramp: required boolean */
    OK1(CS_EX_CRAMP, "YES"), OK1(CS_EX_CRAMP, "y"), OK1(CS_EX_CRAMP, "true"),
    OK1(CS_EX_CRAMP, "1"),
    OK2(CS_EX_CRAMP, "no", CS_EX_CRAMP_MUSCLE, ""),
    OK2(CS_EX_CRAMP, "N", CS_EX_CRAMP_MUSCLE, "NA"),
    OK2(CS_EX_CRAMP, "false", CS_EX_CRAMP_MUSCLE, ""),
    OK2(CS_EX_CRAMP, "0", CS_EX_CRAMP_MUSCLE, "n/a"),
    BAD(CS_EX_CRAMP, "", "cramp: missing, but it is required"),
    BAD(CS_EX_CRAMP, "NA", "cramp: missing, but it is required"),
    BAD(CS_EX_CRAMP, "sometimes",
        "cramp: \"sometimes\" is not yes/no, y/n, true/false or 1/0"),
    /* cramp_muscle: only with cramp yes */
    OK1(CS_EX_CRAMP_MUSCLE, "hamstring"), OK1(CS_EX_CRAMP_MUSCLE, "calf"),
    OK1(CS_EX_CRAMP_MUSCLE, "quadriceps"), OK1(CS_EX_CRAMP_MUSCLE, "foot"),
    OK1(CS_EX_CRAMP_MUSCLE, "other"), OK1(CS_EX_CRAMP_MUSCLE, "HamString"),
    OK1(CS_EX_CRAMP_MUSCLE, ""),                 /* cramp yes, muscle unknown */
    BAD(CS_EX_CRAMP_MUSCLE, "neck", "cramp_muscle: \"neck\" is not one of: "
        "hamstring, calf, quadriceps, foot, other"),
    BADSUB(CS_EX_CRAMP_MUSCLE, "hamstrings", "is not one of"),
    BAD2(CS_EX_CRAMP, "no", CS_EX_CRAMP_MUSCLE, "calf", CS_EX_CRAMP_MUSCLE,
         "cramp_muscle: \"calf\" is given but cramp is no"),
    BAD2(CS_EX_CRAMP, "0", CS_EX_CRAMP_MUSCLE, "Hamstring", CS_EX_CRAMP_MUSCLE,
         "cramp_muscle: \"hamstring\" is given but cramp is no"),
    /* the first bad column is the one reported */
    BAD2(CS_EX_DURATION_MIN, "0", CS_EX_TEMP_C, "99", CS_EX_DURATION_MIN,
         "duration_min: 0 is not above 0"),
};

static const vcase sv_cases[] = {
    OK1(CS_SV_PARTICIPANT_ID, "P001"),
    BAD(CS_SV_PARTICIPANT_ID, "", "participant_id: empty, but it is required"),
    BAD(CS_SV_PARTICIPANT_ID, S64 "z", "participant_id: 65 bytes, longer than 64"),
    BAD(CS_SV_PARTICIPANT_ID, "\xc0\xaf",
        "participant_id: \"\\xc0\\xaf\" is not valid UTF-8"),
    /* survey_date: a date, not a time */
    OK1(CS_SV_SURVEY_DATE, "2024-02-29"),
    BAD(CS_SV_SURVEY_DATE, "2023-02-29",
        "survey_date: \"2023-02-29\": no such day in that month"),
    BAD(CS_SV_SURVEY_DATE, "2024-06-03T10:00",
        "survey_date: \"2024-06-03T10:00\": not an ISO 8601 date (YYYY-MM-DD)"),
    BAD(CS_SV_SURVEY_DATE, "", "survey_date: missing, but it is required"),
    BAD(CS_SV_SURVEY_DATE, "NA", "survey_date: missing, but it is required"),
    /* sex */
    OK1(CS_SV_SEX, "F"), OK1(CS_SV_SEX, "m"), OK1(CS_SV_SEX, "female"),
    OK1(CS_SV_SEX, "Male"), OK1(CS_SV_SEX, "FEMALE"),
    BAD(CS_SV_SEX, "x", "sex: \"x\" is not F, M, female or male"),
    BAD(CS_SV_SEX, "W", "sex: \"W\" is not F, M, female or male"),
    BAD(CS_SV_SEX, "", "sex: missing, but it is required"),
    BAD(CS_SV_SEX, "NA", "sex: missing, but it is required"),
    /* age_years: 10 ... 110 */
    BAD(CS_SV_AGE_YEARS, "9", "age_years: 9 is below 10"),
    OK1(CS_SV_AGE_YEARS, "10"),
    OK1(CS_SV_AGE_YEARS, "110"),
    BAD(CS_SV_AGE_YEARS, "111", "age_years: 111 is above 110"),
    BAD(CS_SV_AGE_YEARS, "35.5", "age_years: 35.5 is not a whole number"),
    BAD(CS_SV_AGE_YEARS, "", "age_years: missing, but it is required"),
    BAD(CS_SV_AGE_YEARS, "thirty", "age_years: \"thirty\" is not a whole number"),
    /* height: ft 3 ... 8, in 0 ... 11 */
    BAD(CS_SV_HEIGHT_FT, "2", "height_ft: 2 is below 3"),
    OK1(CS_SV_HEIGHT_FT, "3"),
    OK1(CS_SV_HEIGHT_FT, "8"),
    BAD(CS_SV_HEIGHT_FT, "9", "height_ft: 9 is above 8"),
    OK1(CS_SV_HEIGHT_IN, "0"),
    OK1(CS_SV_HEIGHT_IN, "11"),
    BAD(CS_SV_HEIGHT_IN, "12", "height_in: 12 is above 11"),
    BAD(CS_SV_HEIGHT_IN, "-1", "height_in: -1 is below 0"),
    BAD(CS_SV_HEIGHT_IN, "5.5", "height_in: 5.5 is not a whole number"),
    /* weight_lb: 50 ... 700 */
    BAD(CS_SV_WEIGHT_LB, "49.9", "weight_lb: 49.9 is below 50"),
    OK1(CS_SV_WEIGHT_LB, "50"),
    OK1(CS_SV_WEIGHT_LB, "700"),
    BAD(CS_SV_WEIGHT_LB, "700.1", "weight_lb: 700.1 is above 700"),
    BAD(CS_SV_WEIGHT_LB, "", "weight_lb: missing, but it is required"),
    BADSUB(CS_SV_WEIGHT_LB, "150lb", "weight_lb: \"150lb\" is not a number"),
    /* enums */
    OK1(CS_SV_ACTIVITY_LEVEL, "sedentary"), OK1(CS_SV_ACTIVITY_LEVEL, "light"),
    OK1(CS_SV_ACTIVITY_LEVEL, "moderate"), OK1(CS_SV_ACTIVITY_LEVEL, "active"),
    OK1(CS_SV_ACTIVITY_LEVEL, "very_active"),
    OK1(CS_SV_ACTIVITY_LEVEL, "Very_Active"),
    BAD(CS_SV_ACTIVITY_LEVEL, "very active", "activity_level: \"very active\" "
        "is not one of: sedentary, light, moderate, active, very_active"),
    BAD(CS_SV_ACTIVITY_LEVEL, "", "activity_level: missing, but it is required"),
    OK1(CS_SV_CONDITIONING, "unconditioned"),
    OK1(CS_SV_CONDITIONING, "recreational"), OK1(CS_SV_CONDITIONING, "TRAINED"),
    BAD(CS_SV_CONDITIONING, "elite", "conditioning: \"elite\" is not one of: "
        "unconditioned, recreational, trained"),
    BAD(CS_SV_CONDITIONING, "NA", "conditioning: missing, but it is required"),
    /* required booleans */
    OK1(CS_SV_SEASONAL_SPORT, "n"), OK1(CS_SV_SEASONAL_SPORT, "True"),
    OK1(CS_SV_SEASONAL_SPORT, "0"),
    BAD(CS_SV_SEASONAL_SPORT, "", "seasonal_sport: missing, but it is required"),
    BAD(CS_SV_SEASONAL_SPORT, "sometimes", "seasonal_sport: \"sometimes\" is "
        "not yes/no, y/n, true/false or 1/0"),
    OK1(CS_SV_STRETCH_ROUTINE, "Y"), OK1(CS_SV_STRETCH_ROUTINE, "FALSE"),
    BAD(CS_SV_STRETCH_ROUTINE, "NA", "stretch_routine: missing, but it is required"),
    /* conditions */
    OK1(CS_SV_CONDITIONS, ""),
    OK1(CS_SV_CONDITIONS, "NA"),
    OK1(CS_SV_CONDITIONS, "n/a"),
    OK1(CS_SV_CONDITIONS, "disc_injury"),
    OK1(CS_SV_CONDITIONS, "disc_injury;parkinsons"),
    OK1(CS_SV_CONDITIONS, " disc_injury ; multiple_sclerosis ;cerebral_palsy "),
    OK1(CS_SV_CONDITIONS, "thyroid_disease;kidney_disease;alcoholism"),
    OK1(CS_SV_CONDITIONS, "Parkinsons"),
    OK1(CS_SV_CONDITIONS, "disc_injury;"),
    OK1(CS_SV_CONDITIONS, "pregnancy"),                          /* sex F */
    BAD(CS_SV_CONDITIONS, "cancer", "conditions: \"cancer\" is not one of: "
        "disc_injury, parkinsons, multiple_sclerosis, cerebral_palsy, "
        "thyroid_disease, kidney_disease, alcoholism, pregnancy "
        "(separate with ';')"),
    BADSUB(CS_SV_CONDITIONS, "disc_injury;cancer", "\"cancer\" is not one of"),
    BADSUB(CS_SV_CONDITIONS, "disc_injury,parkinsons",
           "\"disc_injury,parkinsons\" is not one of"),
    BADSUB(CS_SV_CONDITIONS, "disc_injury;;parkinsons", "\"\" is not one of"),
    BADSUB(CS_SV_CONDITIONS, "NA;pregnancy", "\"NA\" is not one of"),
    BAD2(CS_SV_SEX, "M", CS_SV_CONDITIONS, "pregnancy", CS_SV_CONDITIONS,
         "conditions: pregnancy is given for sex M"),
    BAD2(CS_SV_SEX, "male", CS_SV_CONDITIONS, "disc_injury; PREGNANCY",
         CS_SV_CONDITIONS, "conditions: pregnancy is given for sex M"),
    OK2(CS_SV_SEX, "female", CS_SV_CONDITIONS, "pregnancy;disc_injury"),
    /* calorie_goal: the nine texts in any case, or -2 ... 2 by 0.5 */
    OK1(CS_SV_CALORIE_GOAL, "Gain 2 pounds per week"),
    OK1(CS_SV_CALORIE_GOAL, "Gain 1.5 pounds per week"),
    OK1(CS_SV_CALORIE_GOAL, "Gain 1 pound per week"),
    OK1(CS_SV_CALORIE_GOAL, "Gain 0.5 pound per week"),
    OK1(CS_SV_CALORIE_GOAL, "Maintain my current weight"),
    OK1(CS_SV_CALORIE_GOAL, "Lose 0.5 pound per week"),
    OK1(CS_SV_CALORIE_GOAL, "Lose 1 pound per week"),
    OK1(CS_SV_CALORIE_GOAL, "Lose 1.5 pounds per week"),
    OK1(CS_SV_CALORIE_GOAL, "Lose 2 pounds per week"),
    OK1(CS_SV_CALORIE_GOAL, "LOSE 2 POUNDS PER WEEK"),
    OK1(CS_SV_CALORIE_GOAL, "gain 0.5 pound per week"),
    OK1(CS_SV_CALORIE_GOAL, "  maintain MY current Weight "),
    OK1(CS_SV_CALORIE_GOAL, "-2"), OK1(CS_SV_CALORIE_GOAL, "-1.5"),
    OK1(CS_SV_CALORIE_GOAL, "-1"), OK1(CS_SV_CALORIE_GOAL, "-0.5"),
    OK1(CS_SV_CALORIE_GOAL, "0"), OK1(CS_SV_CALORIE_GOAL, "0.5"),
    OK1(CS_SV_CALORIE_GOAL, "1"), OK1(CS_SV_CALORIE_GOAL, "1.5"),
    OK1(CS_SV_CALORIE_GOAL, "2"), OK1(CS_SV_CALORIE_GOAL, "+2.0"),
    OK1(CS_SV_CALORIE_GOAL, "-0"), OK1(CS_SV_CALORIE_GOAL, ".5"),
    BAD(CS_SV_CALORIE_GOAL, "Lose 3 pounds per week",
        "calorie_goal: \"Lose 3 pounds per week\" is not one of: Gain 2 pounds "
        "per week, Gain 1.5 pounds per week, Gain 1 pound per week, Gain 0.5 "
        "pound per week, Maintain my current weight, Lose 0.5 pound per week, "
        "Lose 1 pound per week, Lose 1.5 pounds per week, Lose 2 pounds per "
        "week (or the signed lb/week, -2 to 2 in steps of 0.5)"),
    BADSUB(CS_SV_CALORIE_GOAL, "Lose 1 pounds per week", "Lose 1 pound per week,"),
    BADSUB(CS_SV_CALORIE_GOAL, "Lose  1 pound per week", "is not one of: Gain 2"),
    BAD(CS_SV_CALORIE_GOAL, "0.25", "calorie_goal: 0.25 lb/week is not one of "
        "-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2"),
    BAD(CS_SV_CALORIE_GOAL, "3", "calorie_goal: 3 lb/week is not one of "
        "-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2"),
    BAD(CS_SV_CALORIE_GOAL, "-2.5", "calorie_goal: -2.5 lb/week is not one of "
        "-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2"),
    BAD(CS_SV_CALORIE_GOAL, "", "calorie_goal: missing, but it is required"),
    BAD(CS_SV_CALORIE_GOAL, "NA", "calorie_goal: missing, but it is required"),
    /* calcium_mg, potassium_mg: optional, 0 ... 10000 */
    OK1(CS_SV_CALCIUM_MG, "0"), OK1(CS_SV_CALCIUM_MG, "10000"),
    OK1(CS_SV_CALCIUM_MG, ""), OK1(CS_SV_CALCIUM_MG, "NA"),
    BAD(CS_SV_CALCIUM_MG, "10000.1", "calcium_mg: 10000.1 is above 10000"),
    BAD(CS_SV_CALCIUM_MG, "-1", "calcium_mg: -1 is below 0"),
    OK1(CS_SV_POTASSIUM_MG, "4700"), OK1(CS_SV_POTASSIUM_MG, "N/A"),
    BAD(CS_SV_POTASSIUM_MG, "20000", "potassium_mg: 20000 is above 10000"),
    BADSUB(CS_SV_POTASSIUM_MG, "lots", "potassium_mg: \"lots\" is not a number"),
};

/* A header layout: hdr[i] names header column i; contract column c sits
 * at pos[c]. Layout 0 is the contract order; layout 1 is shuffled, in
 * other case, padded, with two extra columns among the contract ones. */
typedef struct layout {
    const char *hdr[20];
    int col_of[20];          /* contract column of header column i, -1 extra */
    long pos[20];
    size_t n;
} layout;

static void make_layout(layout *L, int survey, int shuffled)
{
    int nc = survey ? CS_SV_NCOLS : CS_EX_NCOLS;
    const char *const *names = survey ? sv_header : ex_header;
    static char upper[20][40];

    L->n = 0;
    if (!shuffled) {
        for (int c = 0; c < nc; c++) {
            L->hdr[L->n] = names[c];
            L->col_of[L->n++] = c;
        }
    } else {
        /* reverse order, an extra first and one in the middle */
        L->hdr[L->n] = "note";
        L->col_of[L->n++] = -1;
        for (int c = nc - 1; c >= 0; c--) {
            snprintf(upper[c], sizeof upper[c], " %s ", names[c]);
            for (char *p = upper[c]; *p; p++)
                if (c % 2 && *p >= 'a' && *p <= 'z')
                    *p = (char)(*p - 32);
            L->hdr[L->n] = upper[c];
            L->col_of[L->n++] = c;
            if (c == nc / 2) {
                L->hdr[L->n] = "batch";
                L->col_of[L->n++] = -1;
            }
        }
    }
    for (size_t i = 0; i < L->n; i++)
        if (L->col_of[i] >= 0)
            L->pos[L->col_of[i]] = (long)i;
}

static void run_cases(int survey, const vcase *cases, size_t ncases)
{
    for (int shuffled = 0; shuffled <= 1; shuffled++) {
        layout L;
        cs_schema *s;
        make_layout(&L, survey, shuffled);
        s = make_schema(survey ? CS_SCHEMA_SURVEY : CS_SCHEMA_EXERCISE, L.hdr,
                        L.n);
        for (size_t k = 0; k < ncases; k++) {
            const vcase *vc = &cases[k];
            const char *row[20];
            rec_buf b;
            cs_reject rej = { -99, "unset" };
            cs_session ses;
            cs_wave wv;
            int rc;
            for (size_t i = 0; i < L.n; i++) {
                int c = L.col_of[i];
                row[i] = c < 0 ? "x" : survey ? sv_row[c] : ex_row[c];
                if (c >= 0 && c == vc->col)
                    row[i] = vc->val;
                if (c >= 0 && c == vc->col2)
                    row[i] = vc->val2;
            }
            print_message("case %s layout %d: %s = \"%s\"%s%s\n",
                          survey ? "survey" : "exercise", shuffled,
                          survey ? sv_header[vc->col] : ex_header[vc->col],
                          vc->val, vc->col2 >= 0 ? " and " : "",
                          vc->col2 >= 0 ? vc->val2 : "");
            mkrec(&b, row, L.n, 2);
            rc = survey ? cs_schema_survey(s, &b.rec, &wv, &rej)
                        : cs_schema_exercise(s, &b.rec, &ses, &rej);
            if (vc->ok) {
                if (rc != 1)
                    fail_msg("rejected: %s", rej.reason);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(rej.col, vc->rej_col < 0 ? -1 : L.pos[vc->rej_col]);
            if (vc->sub ? strstr(rej.reason, vc->reason) == NULL
                        : strcmp(rej.reason, vc->reason) != 0)
                fail_msg("reason \"%s\", expected %s\"%s\"", rej.reason,
                         vc->sub ? "a substring " : "", vc->reason);
        }
        cs_schema_free(s);
    }
}

static void test_exercise_values(void **state)
{
    (void)state;
    run_cases(0, ex_cases, NELEM(ex_cases));
}

static void test_survey_values(void **state)
{
    (void)state;
    run_cases(1, sv_cases, NELEM(sv_cases));
}

/* The numeric goal forms and their values; the texts map to the same. */
static void test_goal_values(void **state)
{
    static const struct { const char *in; double lb; } goals[] = {
        { "Gain 2 pounds per week", 2 }, { "gain 1.5 POUNDS per week", 1.5 },
        { "Gain 1 pound per week", 1 }, { "Gain 0.5 pound per week", 0.5 },
        { "Maintain my current weight", 0 }, { "Lose 0.5 pound per week", -0.5 },
        { "Lose 1 pound per week", -1 }, { "Lose 1.5 pounds per week", -1.5 },
        { "Lose 2 pounds per week", -2 }, { "-2", -2 }, { "-1.5", -1.5 },
        { "-1", -1 }, { "-0.5", -0.5 }, { "0", 0 }, { "-0", 0 }, { "0.5", 0.5 },
        { "1", 1 }, { "1.5", 1.5 }, { "2", 2 }, { "+2.0", 2 }, { "-.5", -0.5 },
    };
    cs_schema *s = make_schema(CS_SCHEMA_SURVEY, sv_header, CS_SV_NCOLS);
    (void)state;
    for (size_t i = 0; i < NELEM(goals); i++) {
        const char *row[CS_SV_NCOLS];
        rec_buf b;
        cs_reject rej;
        cs_wave wv;
        memcpy(row, sv_row, sizeof row);
        row[CS_SV_CALORIE_GOAL] = goals[i].in;
        print_message("case %s\n", goals[i].in);
        assert_int_equal(cs_schema_survey(s, mkrec(&b, row, CS_SV_NCOLS, 2),
                                          &wv, &rej), 1);
        assert_true(wv.goal_lb_week == goals[i].lb);
        assert_false(signbit(wv.goal_lb_week) && wv.goal_lb_week == 0);
    }
    cs_schema_free(s);
}

/* What an accepted row fills in. */
static void test_session_fields(void **state)
{
    static const char *const row[CS_EX_NCOLS] = {
        " P7 ", "S9", "2024-06-03T23:30-08:00", "cycling", "90.5", "07", "",
        "NA", "750", "n/a", "", "y", "CALF"
    };
    cs_schema *s = make_schema(CS_SCHEMA_EXERCISE, ex_header, CS_EX_NCOLS);
    rec_buf b;
    cs_reject rej;
    cs_session o;
    (void)state;
    assert_int_equal(cs_schema_exercise(s, mkrec(&b, row, CS_EX_NCOLS, 5), &o,
                                        &rej), 1);
    assert_true(cs_str_eq(o.participant_id, "P7"));
    assert_true(cs_str_eq(o.session_id, "S9"));
    assert_true(cs_str_eq(o.activity, "cycling"));
    assert_int_equal(o.start.tz_min, -480);
    /* the day as written, not converted to UTC (2024-06-04 there) */
    assert_int_equal(o.day, 19877);
    assert_true(o.duration_min == 90.5);
    assert_int_equal(o.intensity_rpe, 7);
    assert_true(isnan(o.temp_c) && isnan(o.humidity_pct) && isnan(o.warmup_min));
    assert_true(o.fluid_ml == 750);
    assert_int_equal(o.stretched, -1);
    assert_int_equal(o.cramp, 1);
    assert_int_equal(o.cramp_muscle, CS_MUSCLE_CALF);
    assert_string_equal(cs_muscle_name(o.cramp_muscle), "calf");
    assert_null(cs_muscle_name(CS_MUSCLE_N));
    cs_schema_free(s);
}

static void test_wave_fields(void **state)
{
    static const char *const row[CS_SV_NCOLS] = {
        "P7", "2024-02-29", "female", "44", "5", "11", "180.25", "Very_Active",
        "trained", "1", "no", "pregnancy; Disc_Injury", "Lose 1.5 pounds per week",
        "", "NA"
    };
    cs_schema *s = make_schema(CS_SCHEMA_SURVEY, sv_header, CS_SV_NCOLS);
    rec_buf b;
    cs_reject rej;
    cs_wave o;
    (void)state;
    assert_int_equal(cs_schema_survey(s, mkrec(&b, row, CS_SV_NCOLS, 5), &o,
                                      &rej), 1);
    assert_true(cs_str_eq(o.participant_id, "P7"));
    assert_int_equal(o.day, 19782);
    assert_int_equal(o.sex, CS_SEX_F);
    assert_int_equal(o.age_years, 44);
    assert_int_equal(o.height_ft, 5);
    assert_int_equal(o.height_in, 11);
    assert_true(o.weight_lb == 180.25);
    assert_int_equal(o.activity_level, CS_ACT_VERY_ACTIVE);
    assert_int_equal(o.conditioning, CS_COND_TRAINED);
    assert_int_equal(o.seasonal_sport, 1);
    assert_int_equal(o.stretch_routine, 0);
    assert_int_equal(o.conditions_known, 1);
    assert_int_equal(o.conditions, (1u << CS_MED_PREGNANCY) |
                                   (1u << CS_MED_DISC_INJURY));
    assert_true(o.goal_lb_week == -1.5);
    assert_true(isnan(o.calcium_mg) && isnan(o.potassium_mg));

    /* NA conditions: unknown; empty: known, none */
    {
        const char *r2[CS_SV_NCOLS];
        memcpy(r2, row, sizeof r2);
        r2[CS_SV_CONDITIONS] = "na";
        assert_int_equal(cs_schema_survey(s, mkrec(&b, r2, CS_SV_NCOLS, 6), &o,
                                          &rej), 1);
        assert_int_equal(o.conditions_known, 0);
        assert_int_equal(o.conditions, 0);
        r2[CS_SV_CONDITIONS] = "";
        assert_int_equal(cs_schema_survey(s, mkrec(&b, r2, CS_SV_NCOLS, 6), &o,
                                          &rej), 1);
        assert_int_equal(o.conditions_known, 1);
        assert_int_equal(o.conditions, 0);
    }
    cs_schema_free(s);

    /* no conditions column at all: unknown, not "none" */
    {
        const char *h[CS_SV_NCOLS], *r3[CS_SV_NCOLS];
        size_t n = 0;
        for (int c = 0; c < CS_SV_NCOLS; c++)
            if (c != CS_SV_CONDITIONS) {
                h[n] = sv_header[c];
                r3[n++] = row[c];
            }
        s = make_schema(CS_SCHEMA_SURVEY, h, n);
        assert_int_equal(cs_schema_survey(s, mkrec(&b, r3, n, 2), &o, &rej), 1);
        assert_int_equal(o.conditions_known, 0);
        cs_schema_free(s);
    }
}

/* Ragged rows are rejected as a whole (column -1). */
static void test_ragged(void **state)
{
    cs_schema *s = make_schema(CS_SCHEMA_EXERCISE, ex_header, CS_EX_NCOLS);
    const char *row[CS_EX_NCOLS + 1];
    rec_buf b;
    cs_reject rej;
    cs_session o;
    (void)state;
    memcpy(row, ex_row, sizeof ex_row);
    row[CS_EX_NCOLS] = "extra";
    assert_int_equal(cs_schema_exercise(s, mkrec(&b, row, CS_EX_NCOLS - 1, 2),
                                        &o, &rej), 0);
    assert_int_equal(rej.col, -1);
    assert_string_equal(rej.reason, "row has 12 fields, the header has 13");
    assert_int_equal(cs_schema_exercise(s, mkrec(&b, row, CS_EX_NCOLS + 1, 2),
                                        &o, &rej), 0);
    assert_string_equal(rej.reason, "row has 14 fields, the header has 13");
    assert_int_equal(cs_schema_exercise(s, mkrec(&b, row, 1, 2), &o, &rej), 0);
    assert_string_equal(rej.reason, "row has 1 field, the header has 13");
    cs_schema_free(s);

    {
        static const char *const h[] = { "a", "b" };
        cs_wave wv;
        s = make_schema(CS_SCHEMA_ANY, h, 2);
        assert_int_equal(cs_schema_any(s, mkrec(&b, h, 2, 2), &rej), 1);
        assert_int_equal(cs_schema_any(s, mkrec(&b, h, 1, 2), &rej), 0);
        assert_int_equal(rej.col, -1);
        assert_string_equal(rej.reason, "row has 1 field, the header has 2");
        cs_schema_free(s);
        s = make_schema(CS_SCHEMA_SURVEY, sv_header, CS_SV_NCOLS);
        assert_int_equal(cs_schema_survey(s, mkrec(&b, sv_row, 3, 2), &wv,
                                          &rej), 0);
        assert_string_equal(rej.reason, "row has 3 fields, the header has 15");
        cs_schema_free(s);
    }
}

/* Reasons quote at most 40 bytes of a value and never cut a UTF-8
 * character in half (the reject log must stay UTF-8). */
static void test_reason_quoting(void **state)
{
    cs_schema *s = make_schema(CS_SCHEMA_EXERCISE, ex_header, CS_EX_NCOLS);
    const char *row[CS_EX_NCOLS];
    rec_buf b;
    cs_reject rej;
    cs_session o;
    (void)state;
    memcpy(row, ex_row, sizeof row);
    /* 39 ASCII bytes then a 2-byte character across the 40-byte cut */
    row[CS_EX_STRETCHED] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9tc";
    assert_int_equal(cs_schema_exercise(s, mkrec(&b, row, CS_EX_NCOLS, 2), &o,
                                        &rej), 0);
    assert_string_equal(rej.reason, "stretched: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaa...\" is not yes/no, y/n, true/false or 1/0");
    /* escapes fill the quote before 40 bytes do: cut and marked too */
    {
        char ctl[31], want[160];
        memset(ctl, 1, 30);
        ctl[30] = '\0';
        row[CS_EX_STRETCHED] = "yes";
        row[CS_EX_PARTICIPANT_ID] = ctl;
        assert_int_equal(cs_schema_exercise(s, mkrec(&b, row, CS_EX_NCOLS, 2),
                                            &o, &rej), 0);
        strcpy(want, "participant_id: \"");
        for (int k = 0; k < 14; k++)
            strcat(want, "\\x01");
        strcat(want, "...\" holds a control character (byte 0x01)");
        assert_string_equal(rej.reason, want);
        row[CS_EX_PARTICIPANT_ID] = "P1";
    }
    /* a long number is cut too, and marked */
    row[CS_EX_STRETCHED] = "yes";
    row[CS_EX_TEMP_C] = "1000000000000000000000000000000000000000000000000000";
    assert_int_equal(cs_schema_exercise(s, mkrec(&b, row, CS_EX_NCOLS, 2), &o,
                                        &rej), 0);
    assert_string_equal(rej.reason, "temp_c: 1000000000000000000000000000000"
                        "000000000... is above 60");
    cs_schema_free(s);
}

/* ---- canonical output ---------------------------------------------- */

/* Write through a cs_writer into a temporary file and read it back; the
 * caller frees the result. */
typedef void (*write_fn)(cs_writer *w, void *payload);

static char *write_text_big(write_fn fn, void *payload)
{
    FILE *f = tmpfile();
    cs_writer *w = NULL;
    cs_error err = {0};
    char *out;
    long n;

    assert_non_null(f);
    assert_int_equal(cs_writer_open_fd(&w, fileno(f), "tmp", NULL, &err), CS_OK);
    fn(w, payload);
    assert_int_equal(cs_writer_close(w, &err), CS_OK);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    out = malloc((size_t)n + 1);
    assert_non_null(out);
    assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
    out[n] = '\0';
    fclose(f);
    return out;
}

/* The same into a static buffer, for small outputs. */
static char *write_text(write_fn fn, void *payload)
{
    static char out[8192];
    char *big = write_text_big(fn, payload);
    size_t n = strlen(big);

    assert_true(n < sizeof out);
    memcpy(out, big, n + 1);
    free(big);
    return out;
}

typedef struct canon_job {
    int survey;
    const char *const *hdr;
    size_t n;
    const char *const *rows[4];
    size_t nrows;
} canon_job;

static void write_job(cs_writer *w, void *payload)
{
    canon_job *j = payload;
    cs_schema *s = make_schema(j->survey ? CS_SCHEMA_SURVEY : CS_SCHEMA_EXERCISE,
                               j->hdr, j->n);
    cs_schema_write_header(s, w);
    for (size_t r = 0; r < j->nrows; r++) {
        rec_buf b;
        cs_reject rej;
        cs_session ses;
        cs_wave wv;
        mkrec(&b, j->rows[r], j->n, 2 + r);
        if (j->survey) {
            if (cs_schema_survey(s, &b.rec, &wv, &rej) != 1)
                fail_msg("row %zu rejected: %s", r, rej.reason);
            cs_schema_write_wave(s, w, &b.rec, &wv);
        } else {
            if (cs_schema_exercise(s, &b.rec, &ses, &rej) != 1)
                fail_msg("row %zu rejected: %s", r, rej.reason);
            cs_schema_write_session(s, w, &b.rec, &ses);
        }
    }
    cs_schema_free(s);
}

#define ZEROS100 "0000000000000000000000000000000000000000000000000" \
                 "000000000000000000000000000000000000000000000000000"

static void test_canonical_exercise(void **state)
{
    /* shuffled, mixed case, extra columns, optional columns missing */
    static const char *const h[] = {
        "Note", " CRAMP", "session_id", "participant_id", "start_time",
        "activity", "DURATION_MIN", "intensity_rpe", "temp_c", "stretched",
        "cramp_muscle", "humidity_pct", "x,y"
    };
    static const char *const r1[] = {
        "a, \"b\"", "1", " S1 ", "P1", "2024-06-03 10:30+05:30", "Running",
        "+045.500", "07", "-0.0", "TRUE", "Hamstring", "NA", ""
    };
    static const char *const r2[] = {
        "", "No", "S2", "P\xc3\xa9", "2024-06-03T10:30z", "x", "1440.000",
        "10", "1." ZEROS100 "1", "n", "", "099.50", "z"
    };
    static const char *const r3[] = {
        "multi\nline", "y", "S3", "P3", "2024-06-03", "swim", ".5", "1",
        "", "", "n/a", "", "q"
    };
    canon_job j = { 0, h, NELEM(h), { r1, r2, r3 }, 3 };
    (void)state;
    assert_string_equal(write_text(write_job, &j),
        "participant_id,session_id,start_time,activity,duration_min,"
        "intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,"
        "cramp,cramp_muscle,Note,\"x,y\"\n"
        "P1,S1,2024-06-03T10:30:00+05:30,Running,45.5,7,0,,,,yes,yes,"
        "hamstring,\"a, \"\"b\"\"\",\n"
        /* a decimal longer than the formatting buffer keeps every digit
         * (it was printed as the double 1, losing the text) */
        "P\xc3\xa9,S2,2024-06-03T10:30:00Z,x,1440,10,1." ZEROS100 "1,99.5,,,"
        "no,no,,,z\n"
        "P3,S3,2024-06-03,swim,0.5,1,,,,,,yes,,\"multi\nline\",q\n");
}

static void test_canonical_survey(void **state)
{
    static const char *const h[] = {
        "participant_id", "survey_date", "sex", "age_years", "height_ft",
        "height_in", "weight_lb", "activity_level", "conditioning",
        "seasonal_sport", "stretch_routine", "conditions", "calorie_goal",
        "calcium_mg", "potassium_mg", "comment"
    };
    static const char *const r1[] = {
        "P1", "2024-02-29", "female", "035", "5", "06", "150.50", "Very_Active",
        "Trained", "Y", "false", " pregnancy ; disc_injury;PARKINSONS ",
        "Lose 1.5 pounds per week", "0900", "", "ok"
    };
    static const char *const r2[] = {
        "P2", "2000-01-01", "m", "110", "8", "0", "700", "sedentary",
        "unconditioned", "0", "1", "NA", "Maintain my current weight", "NA",
        "4700.0", ""
    };
    static const char *const r3[] = {
        "P3", "1999-12-31", "F", "10", "3", "11", "50", "light",
        "recreational", "no", "yes", "", "+2.0", "0", "10000", "x"
    };
    static const char *const r4[] = {
        "P4", "2024-06-03", "M", "40", "6", "1", "200", "moderate",
        "recreational", "no", "yes", "alcoholism", "-0", "", "", ""
    };
    canon_job j = { 1, h, NELEM(h), { r1, r2, r3, r4 }, 4 };
    (void)state;
    assert_string_equal(write_text(write_job, &j),
        "participant_id,survey_date,sex,age_years,height_ft,height_in,"
        "weight_lb,activity_level,conditioning,seasonal_sport,"
        "stretch_routine,conditions,calorie_goal,calcium_mg,potassium_mg,"
        "comment\n"
        "P1,2024-02-29,F,35,5,6,150.5,very_active,trained,yes,no,"
        "disc_injury;parkinsons;pregnancy,-1.5,900,,ok\n"
        "P2,2000-01-01,M,110,8,0,700,sedentary,unconditioned,no,yes,NA,0,,"
        "4700,\n"
        "P3,1999-12-31,F,10,3,11,50,light,recreational,no,yes,,2,0,10000,x\n"
        "P4,2024-06-03,M,40,6,1,200,moderate,recreational,no,yes,alcoholism,"
        "0,,,\n");
}

static void write_any(cs_writer *w, void *payload)
{
    static const char *const h[] = { " a ", "B", "c d" };
    cs_schema *s = make_schema(CS_SCHEMA_ANY, h, 3);
    (void)payload;
    cs_schema_write_header(s, w);
    cs_schema_free(s);
}

static void test_canonical_any(void **state)
{
    (void)state;
    assert_string_equal(write_text(write_any, NULL), "a,B,c d\n");
}


/* ---- the fast path against the full checks --------------------------- */

/* Values for each exercise column: canonical ones, other spellings the
 * contract accepts, and ones it rejects, at and around each bound. */
static const char *const fx_text[] = {
    "P1", "S000000001", "running", "a b", "NA", "n/a", "N/A", "na", "Nx",
    "", " P1", "P1 ", "\tP1", "P\x01", "P\x7f", "P\xc3\xa9", "~!#$%&()*+-/:",
    "abcdefgh", "abcdefghi", "abcdefghijklmnop", "abcdefg\x1f", "abcdefgh\x80",
    "1234567890123456789012345678901234567890123456789012345678901234",
    "12345678901234567890123456789012345678901234567890123456789012345",
    "=cmd", "-x", "\"q\""
};
static const char *const fx_time[] = {
    "2024-01-15T07:30:00Z", "2024-01-15T07:30:00", "2024-01-15T07:30",
    "2024-01-15T07:30Z", "2024-01-15T07:30:00+05:30", "2024-01-15T07:30-06:00",
    "2024-01-15T07:30:00-00:00", "2024-01-15T07:30:00+00:00",
    "2024-01-15T07:30:00z", "2024-01-15 07:30:00", "2024-01-15",
    "2024-02-29T00:00:00", "2023-02-29T00:00:00", "2000-02-29T23:59:59Z",
    "1900-02-29T00:00:00", "2024-04-31T00:00:00", "2024-13-01T00:00:00",
    "2024-00-10T00:00:00", "2024-01-00T00:00:00", "2024-01-15T24:00:00",
    "2024-01-15T23:60:00", "2024-01-15T23:59:60", "2024-01-15T07:30:00+24:00",
    "2024-01-15T07:30:00+23:60", "2024-01-15T07:30:00+2:00",
    "2024-01-15T07:30:0", "2024-01-15T07:30:00Z ", "2024-1-15T07:30:00",
    "2024-01-15T07:30:00ZZ", "0000-01-01T00:00:00", "9999-12-31T23:59:59Z",
    "2024-01-15T7:30:00", "x024-01-15T07:30:00", "2024-01-15T07:30:00.5",
    "NA", ""
};
static const char *const fx_num[] = {
    "0", "1", "45", "12.5", "12.0", "12.50", "0.5", ".5", "5.", "012", "00",
    "-0", "-0.0", "-0.5", "-12.3", "+5", "1e3", "1440", "1440.0", "1440.1",
    "1441", "60", "60.0", "60.01", "-40", "-40.0", "-40.01", "100", "100.5",
    "10000", "10000.1", "240", "240.5", "123456789012345",
    "1234567890.12345", "1234567890.123456", "0.000000000000001",
    "0.0000000000000001", "3.14159", "NA", "na", "N/A", "n/a", "", " 5",
    "5 ", "5.5.5", "-", ".", "x", "1,5", "999999999999999999999", "0.1",
    "0.3", "2.675"
};
static const char *const fx_rpe[] = {
    "1", "5", "10", "0", "11", "07", "7.0", "+7", "-1", "", "NA", " 7", "x"
};
static const char *const fx_bool[] = {
    "yes", "no", "Yes", "NO", "y", "n", "1", "0", "true", "false", "", "NA",
    "n/a", " yes", "yes ", "maybe", "nope"
};
static const char *const fx_muscle[] = {
    "", "hamstring", "calf", "quadriceps", "foot", "other", "Hamstring",
    "HAMSTRING", "NA", "N/A", "hamstrings", "ham", " calf", "x"
};

#define PICK(a) (a)[rand() % NELEM(a)]

static void cmp_session(const cs_session *a, const cs_session *b)
{
    assert_int_equal(a->participant_id.len, b->participant_id.len);
    assert_memory_equal(a->participant_id.ptr, b->participant_id.ptr,
                        a->participant_id.len);
    assert_int_equal(a->session_id.len, b->session_id.len);
    assert_memory_equal(a->session_id.ptr, b->session_id.ptr, a->session_id.len);
    assert_int_equal(a->activity.len, b->activity.len);
    assert_memory_equal(a->activity.ptr, b->activity.ptr, a->activity.len);
    assert_memory_equal(&a->start, &b->start, sizeof a->start);
    assert_int_equal(a->day, b->day);
    /* Bit for bit: NaN, the sign of zero and the last bit all count. */
    assert_memory_equal(&a->duration_min, &b->duration_min, sizeof(double));
    assert_int_equal(a->intensity_rpe, b->intensity_rpe);
    assert_memory_equal(&a->temp_c, &b->temp_c, sizeof(double));
    assert_memory_equal(&a->humidity_pct, &b->humidity_pct, sizeof(double));
    assert_memory_equal(&a->fluid_ml, &b->fluid_ml, sizeof(double));
    assert_memory_equal(&a->warmup_min, &b->warmup_min, sizeof(double));
    assert_int_equal(a->stretched, b->stretched);
    assert_int_equal(a->cramp, b->cramp);
    assert_int_equal(a->cramp_muscle, b->cramp_muscle);
}

typedef struct fast_job {
    cs_schema *s;
    cs_buf expect;      /* per accepted row: "V" and the row when the fast
                           path called it verbatim, else "N"; a line each */
    unsigned long verbatim, partial, rejected;
} fast_job;

/* Random rows, mostly valid: each is validated by cs_schema_exercise
 * (fast path first) and by the full checks alone. Both must accept or
 * reject alike, with equal values; every accepted row is written from
 * each, and the two must be equal byte for byte (the fast path copies the
 * fields it found canonical); a row called verbatim must also equal, byte
 * for byte, its text. */
static void fast_rows(cs_writer *w, void *payload)
{
    fast_job *j = payload;
    char line[1024];

    srand(20261126);
    for (int r = 0; r < 300000; r++) {
        const char *v[CS_EX_NCOLS] = {
            "P0000001", "S000000001", "2024-01-15T07:30:00Z", "running",
            "45", "4", "4.6", "70", "2080", "9", "no", "no", ""
        };
        cs_str f[CS_EX_NCOLS];
        cs_record rec = {0};
        cs_session a, b;
        cs_reject ra, rb;
        size_t n = 0;
        int ka, kb;
        /* Change one to four columns of a canonical row. */
        for (int k = rand() % 5; k > 0; k--) {
            int c = rand() % CS_EX_NCOLS;
            switch (c) {
            case CS_EX_PARTICIPANT_ID: case CS_EX_SESSION_ID:
            case CS_EX_ACTIVITY: v[c] = PICK(fx_text); break;
            case CS_EX_START_TIME: v[c] = PICK(fx_time); break;
            case CS_EX_INTENSITY_RPE: v[c] = PICK(fx_rpe); break;
            case CS_EX_STRETCHED: case CS_EX_CRAMP: v[c] = PICK(fx_bool); break;
            case CS_EX_CRAMP_MUSCLE: v[c] = PICK(fx_muscle); break;
            default: v[c] = PICK(fx_num); break;
            }
        }
        /* The fields lie in one line, as the reader's plain split leaves
         * them, so that the verbatim test can pass. */
        for (int c = 0; c < CS_EX_NCOLS; c++) {
            size_t len = strlen(v[c]);
            f[c] = (cs_str){ line + n, len };
            memcpy(line + n, v[c], len);
            n += len;
            line[n++] = ',';
        }
        line[--n] = '\0';
        rec.fields = f;
        rec.nfields = CS_EX_NCOLS;
        rec.line = rec.end_line = rec.index = (unsigned long)r + 2;
        rec.raw = (cs_str){ line, n };
        ka = cs_schema_exercise(j->s, &rec, &a, &ra);
        kb = cs_schema_exercise_checked(j->s, &rec, &b, &rb);
        if (ka != kb)
            fail_msg("row %s: fast %d, checked %d (%s)", line, ka, kb,
                     kb ? "" : rb.reason);
        if (!ka) {
            assert_int_equal(ra.col, rb.col);
            assert_string_equal(ra.reason, rb.reason);
            j->rejected++;
            continue;
        }
        cmp_session(&a, &b);
        assert_int_equal(cs_session_verbatim(&b), 0);
        assert_int_equal(b.canon_cells, 0);
        /* Formatted field by field, then with the canonical fields copied
         * as they lie. */
        cs_schema_write_session(j->s, w, &rec, &b);
        cs_schema_write_session(j->s, w, &rec, &a);
        if (cs_session_verbatim(&a)) {
            j->verbatim++;
            assert_int_equal(cs_buf_putc(&j->expect, 'V'), CS_OK);
            assert_int_equal(cs_buf_append(&j->expect, line, n), CS_OK);
        } else {
            j->partial += a.canon_cells != 0;
            assert_int_equal(cs_buf_putc(&j->expect, 'N'), CS_OK);
        }
        assert_int_equal(cs_buf_putc(&j->expect, '\n'), CS_OK);
    }
}

static void test_fast_path(void **state)
{
    fast_job j = {0};
    const char *out;
    (void)state;
    j.s = make_schema(CS_SCHEMA_EXERCISE, ex_header, CS_EX_NCOLS);
    cs_buf_init(&j.expect, 0);
    out = write_text_big(fast_rows, &j);
    {
        /* Two lines an accepted row, equal; the verbatim ones its text. */
        const char *o = out, *e = j.expect.ptr, *eend = e + j.expect.len;
        unsigned long rows = 0;
        while (e < eend) {
            const char *enl = memchr(e, '\n', (size_t)(eend - e));
            const char *l1 = strchr(o, '\n'), *l2;
            assert_non_null(enl);
            assert_non_null(l1);
            l2 = strchr(l1 + 1, '\n');
            assert_non_null(l2);
            if ((size_t)(l1 - o) != (size_t)(l2 - l1 - 1) ||
                memcmp(o, l1 + 1, (size_t)(l1 - o)) != 0)
                fail_msg("row %lu written two ways:\n%.*s\n%.*s", rows,
                         (int)(l1 - o), o, (int)(l2 - l1 - 1), l1 + 1);
            if (*e == 'V' && ((size_t)(enl - e - 1) != (size_t)(l1 - o) ||
                              memcmp(e + 1, o, (size_t)(l1 - o)) != 0))
                fail_msg("verbatim row %lu is not its text", rows);
            o = l2 + 1;
            e = enl + 1;
            rows++;
        }
        assert_int_equal(*o, '\0');
        assert_int_equal(rows, j.verbatim + (300000 - j.verbatim - j.rejected));
    }
    /* The mix exercises every outcome: verbatim, some fields copied,
     * rejected. */
    print_message("%lu verbatim, %lu in part, %lu rejected\n", j.verbatim,
                  j.partial, j.rejected);
    assert_true(j.verbatim > 30000);
    assert_true(j.partial > 5000);
    assert_true(j.rejected > 30000);
    cs_buf_dispose(&j.expect);
    free((void *)out);
    cs_schema_free(j.s);
}

/* A record whose fields do not lie in one line (libcsv copies unquoted
 * fields elsewhere) is never verbatim, canonical or not. */
static void test_fast_not_contiguous(void **state)
{
    rec_buf b;
    cs_session o;
    cs_reject rej;
    static const char *const row[CS_EX_NCOLS] = {
        "P1", "S1", "2024-01-15T07:30:00Z", "running", "45", "4", "4.6",
        "70", "2080", "9", "no", "no", ""
    };
    cs_schema *s = make_schema(CS_SCHEMA_EXERCISE, ex_header, CS_EX_NCOLS);
    (void)state;
    assert_int_equal(cs_schema_exercise(s, mkrec(&b, row, CS_EX_NCOLS, 2), &o,
                                        &rej), 1);
    assert_int_equal(cs_session_verbatim(&o), 0);
    assert_true(o.temp_c == 4.6);
    cs_schema_free(s);
}


static const char *const fs_date[] = {
    "2024-05-01", "2024-02-29", "2023-02-29", "2024-13-01", "2024-1-01",
    "2024-05-01T00:00", " 2024-05-01", "NA", "", "2024-05-32", "0000-01-01"
};
static const char *const fs_sex[] = {
    "F", "M", "f", "m", "female", "Male", "X", "", "NA", " F"
};
static const char *const fs_int[] = {
    "0", "3", "5", "8", "9", "10", "11", "12", "35", "110", "111", "07",
    "+5", "-1", "5.0", "", "NA", " 5", "x"
};
static const char *const fs_enum[] = {
    "sedentary", "light", "moderate", "active", "very_active",
    "unconditioned", "recreational", "trained", "Moderate", "TRAINED", "",
    "NA", "x", " light",
    /* a name's length and first byte, another text */
    "actove", "trainee", "sedentarx", "lighT", "unconditionex"
};
static const char *const fs_cond[] = {
    "", "NA", "n/a", "disc_injury", "parkinsons", "pregnancy",
    "thyroid_disease;kidney_disease", "alcoholism;alcoholism",
    "multiple_sclerosis;cerebral_palsy;pregnancy", "disc_injury;",
    ";disc_injury", "Disc_Injury", "disc_injury; parkinsons", "x", ";",
    "pregnancx", "disc_injurx;parkinsons", "kidney_disease;alcoholisn"
};
static const char *const fs_goal[] = {
    "-2", "-1.5", "-1", "-0.5", "0", "0.5", "1", "1.5", "2", "2.0", "-0",
    "0.0", "2.5", "3", "Maintain my current weight", "Lose 1 pound per week",
    "Gain 2 pounds per week", "lose 1 pound per week", "", "NA", "x",
    "Gain 1.5 pounds per week", "Gain 1 pound per week",
    "Gain 0.5 pound per week", "Lose 0.5 pound per week",
    "Lose 1.5 pounds per week", "Lose 2 pounds per week",
    /* a text's length and first byte, another text */
    "Lose 1 pound per weak", "Gose 2 pounds per week",
    "Maintain my current weighT", "Gain 1.5 pounds per weel",
    "Maintain my current weigh", "Lose 2 pounds per week "
};
/* Weights (50 to 700) and minerals (0 to 10000) at their bounds. */
static const char *const fs_num[] = {
    "50", "50.0", "49.9", "49.99999999999999", "50.00000000000001",
    "49.999999999999", "700", "700.0", "700.1", "700.0000000000001",
    "699.9999999999999", "700.000000000001", "10000", "10000.0",
    "10000.00000000001", "9999.999999999999", "10000.00000000000", "1151",
    "4021", "158.6", "222.6", "0", "0.0", "07", "-50", "-0", "", "NA"
};

static void cmp_wave(const cs_wave *a, const cs_wave *b)
{
    assert_int_equal(a->participant_id.len, b->participant_id.len);
    assert_memory_equal(a->participant_id.ptr, b->participant_id.ptr,
                        a->participant_id.len);
    assert_int_equal(a->day, b->day);
    assert_int_equal(a->sex, b->sex);
    assert_int_equal(a->age_years, b->age_years);
    assert_int_equal(a->height_ft, b->height_ft);
    assert_int_equal(a->height_in, b->height_in);
    assert_memory_equal(&a->weight_lb, &b->weight_lb, sizeof(double));
    assert_int_equal(a->activity_level, b->activity_level);
    assert_int_equal(a->conditioning, b->conditioning);
    assert_int_equal(a->seasonal_sport, b->seasonal_sport);
    assert_int_equal(a->stretch_routine, b->stretch_routine);
    assert_int_equal(a->conditions_known, b->conditions_known);
    assert_int_equal(a->conditions, b->conditions);
    assert_memory_equal(&a->goal_lb_week, &b->goal_lb_week, sizeof(double));
    assert_memory_equal(&a->calcium_mg, &b->calcium_mg, sizeof(double));
    assert_memory_equal(&a->potassium_mg, &b->potassium_mg, sizeof(double));
}

/* The survey's fast path against its full checks, as for sessions. */
static void test_fast_survey(void **state)
{
    cs_schema *s = make_schema(CS_SCHEMA_SURVEY, sv_header, CS_SV_NCOLS);
    unsigned long ok = 0, rejected = 0;
    (void)state;

    srand(1126);
    for (int r = 0; r < 300000; r++) {
        const char *v[CS_SV_NCOLS] = {
            "P0000001", "2023-12-23", "F", "47", "5", "5", "158.6", "active",
            "unconditioned", "yes", "no", "", "-1.5", "1050", "4319"
        };
        rec_buf b;
        cs_wave wa, wb;
        cs_reject ra, rb;
        int ka, kb;
        for (int k = rand() % 5; k > 0; k--) {
            int c = rand() % CS_SV_NCOLS;
            switch (c) {
            case CS_SV_PARTICIPANT_ID: v[c] = PICK(fx_text); break;
            case CS_SV_SURVEY_DATE: v[c] = PICK(fs_date); break;
            case CS_SV_SEX: v[c] = PICK(fs_sex); break;
            case CS_SV_AGE_YEARS: case CS_SV_HEIGHT_FT: case CS_SV_HEIGHT_IN:
                v[c] = PICK(fs_int); break;
            case CS_SV_ACTIVITY_LEVEL: case CS_SV_CONDITIONING:
                v[c] = PICK(fs_enum); break;
            case CS_SV_SEASONAL_SPORT: case CS_SV_STRETCH_ROUTINE:
                v[c] = PICK(fx_bool); break;
            case CS_SV_CONDITIONS: v[c] = PICK(fs_cond); break;
            case CS_SV_CALORIE_GOAL: v[c] = PICK(fs_goal); break;
            default: v[c] = rand() % 2 ? PICK(fx_num) : PICK(fs_num); break;
            }
        }
        mkrec(&b, v, CS_SV_NCOLS, (unsigned long)r + 2);
        ka = cs_schema_survey(s, &b.rec, &wa, &ra);
        kb = cs_schema_survey_checked(s, &b.rec, &wb, &rb);
        if (ka != kb)
            fail_msg("row %d: fast %d, checked %d", r, ka, kb);
        if (!ka) {
            assert_int_equal(ra.col, rb.col);
            assert_string_equal(ra.reason, rb.reason);
            rejected++;
            continue;
        }
        cmp_wave(&wa, &wb);
        ok++;
    }
    assert_true(ok > 30000);
    assert_true(rejected > 30000);
    cs_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_contract_order),
        cmocka_unit_test(test_header_any_order_case),
        cmocka_unit_test(test_header_duplicates),
        cmocka_unit_test(test_header_missing),
        cmocka_unit_test(test_header_empty),
        cmocka_unit_test(test_header_auto),
        cmocka_unit_test(test_header_canonical),
        cmocka_unit_test(test_exercise_values),
        cmocka_unit_test(test_survey_values),
        cmocka_unit_test(test_goal_values),
        cmocka_unit_test(test_session_fields),
        cmocka_unit_test(test_wave_fields),
        cmocka_unit_test(test_ragged),
        cmocka_unit_test(test_reason_quoting),
        cmocka_unit_test(test_canonical_exercise),
        cmocka_unit_test(test_canonical_survey),
        cmocka_unit_test(test_canonical_any),
        cmocka_unit_test(test_fast_path),
        cmocka_unit_test(test_fast_not_contiguous),
        cmocka_unit_test(test_fast_survey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
