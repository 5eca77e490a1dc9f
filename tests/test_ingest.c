/* Tests of src/ingest.c: the ingest stage over real files (it opens
 * paths, so inputs are written to mkstemp files in /tmp), the invariant
 * read = accepted + rejected, the reject log byte for byte, duplicate
 * session ids within and across inputs, schema detection and the fatal
 * header errors. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <crampstat/idset.h>
#include <crampstat/ingest.h>

#ifndef CS_TEST_DATA
#define CS_TEST_DATA "tests/data"
#endif

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

#define EX_HEADER "participant_id,session_id,start_time,activity," \
    "duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min," \
    "stretched,cramp,cramp_muscle"
#define SV_HEADER "participant_id,survey_date,sex,age_years,height_ft," \
    "height_in,weight_lb,activity_level,conditioning,seasonal_sport," \
    "stretch_routine,conditions,calorie_goal,calcium_mg,potassium_mg"
#define REJ_HEADER "source,line,record,column,reason,raw\n"

/* Temporary files, removed at the end of each test. */
static char tmp_paths[16][64];
static int ntmp;

static const char *tmp_name(void)
{
    char *p;
    int fd;
    assert_true(ntmp < (int)NELEM(tmp_paths));
    p = tmp_paths[ntmp++];
    snprintf(p, sizeof tmp_paths[0], "/tmp/cs_test_ingest_XXXXXX");
    fd = mkstemp(p);
    assert_true(fd >= 0);
    close(fd);
    return p;
}

static const char *write_tmp(const char *data, size_t len)
{
    const char *path = tmp_name();
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

#define WRITE_TMP(lit) write_tmp((lit), sizeof(lit) - 1)

static char *slurp(const char *path)
{
    static char buf[16384];
    FILE *f = fopen(path, "rb");
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < ntmp; i++)
        unlink(tmp_paths[i]);
    ntmp = 0;
    return 0;
}

/* Run a whole input; returns the counts and fills ids (accepted session
 * or participant ids, ';'-separated) when given. */
static cs_ingest_counts run(const char *path, int kind, cs_rejlog *rej,
                            cs_idset *ids, int *kind_out, char *accepted,
                            size_t cap)
{
    cs_ingest *in = NULL;
    cs_error err = {0};
    const cs_record *rec;
    cs_session ses;
    cs_wave wv;
    cs_ingest_counts c;
    int rc;
    size_t n = 0;

    if (accepted)
        accepted[0] = '\0';
    assert_int_equal(cs_ingest_open(&in, path, kind, rej, ids, &err), CS_OK);
    if (kind_out)
        *kind_out = cs_schema_kind(cs_ingest_schema(in));
    while ((rc = cs_ingest_next(in, &rec, &ses, &wv, &err)) > 0) {
        if (accepted) {
            int k = cs_schema_kind(cs_ingest_schema(in));
            cs_str id = k == CS_SCHEMA_EXERCISE ? ses.session_id
                      : k == CS_SCHEMA_SURVEY ? wv.participant_id
                      : rec->fields[0];
            n += (size_t)snprintf(accepted + n, cap - n, "%s%.*s",
                                  n ? ";" : "", (int)id.len, id.ptr);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(err.code, CS_OK);
    c = cs_ingest_counts_of(in);
    assert_true(c.read == c.accepted + c.rejected);
    assert_string_equal(cs_ingest_name(in), path);
    cs_ingest_free(in);
    return c;
}

/* ---- the reject log, byte for byte ---------------------------------- */

static void test_reject_log_exact(void **state)
{
    /* CRLF line ends, a blank line, a quoted comma, a quoted newline,
     * doubled quotes and no newline at the end. */
    const char *in = WRITE_TMP(
        EX_HEADER "\r\n"
        "P1,S1,2024-06-03T10:30,running,45,6,25,60,500,10,yes,yes,hamstring\r\n"
        "P1,S2,2024-06-03T11:30,running,1441,6,,,,,,no,\r\n"
        "\r\n"
        "P2,S3,2024-06-04,\"cycling, road\",30,5,,,,,,no\r\n"
        "P2,S1,2024-06-04,soccer,30,5,,,,,,no,\r\n"
        "\"P3\",S4,2024-06-04,\"foot\nball\",30,5,,,,,,no,\r\n"
        "P3,S5,2024-06-04,\"say \"\"hi\"\"\",30,11,,,,,,no,\r\n"
        "P3,S6,2024-06-05,swim,30,5,,,,,,no,");
    const char *log = tmp_name();
    cs_rejlog *rej = NULL;
    cs_idset *ids = NULL;
    cs_error err = {0};
    cs_ingest_counts c;
    char acc[256], want[4096];
    const char *name;
    uint64_t count;
    static const struct { const char *key; uint64_t n; } keys[] = {
        { "duration_min", 1 }, { "", 1 }, { "session_id", 1 },
        { "activity", 1 }, { "intensity_rpe", 1 },
    };
    (void)state;

    assert_int_equal(cs_rejlog_open(&rej, log, &err), CS_OK);
    assert_int_equal(cs_idset_create(&ids), CS_OK);
    c = run(in, CS_SCHEMA_EXERCISE, rej, ids, NULL, acc, sizeof acc);
    assert_int_equal(c.read, 7);
    assert_int_equal(c.accepted, 2);
    assert_int_equal(c.rejected, 5);
    assert_string_equal(acc, "S1;S6");
    assert_int_equal(cs_rejlog_total(rej), 5);
    assert_int_equal(cs_rejlog_nkeys(rej), NELEM(keys));
    for (size_t i = 0; i < NELEM(keys); i++) {
        cs_rejlog_key(rej, i, &name, &count);
        assert_string_equal(name, keys[i].key);
        assert_int_equal(count, keys[i].n);
    }
    assert_int_equal(cs_rejlog_close(rej, &err), CS_OK);
    cs_idset_free(ids);

    snprintf(want, sizeof want,
        REJ_HEADER
        "%s,3,2,duration_min,duration_min: 1441 is above 1440,"
        "\"P1,S2,2024-06-03T11:30,running,1441,6,,,,,,no,\"\n"
        "%s,5,3,,\"row has 12 fields, the header has 13\","
        "\"P2,S3,2024-06-04,\"\"cycling, road\"\",30,5,,,,,,no\"\n"
        "%s,6,4,session_id,\"session_id: \"\"S1\"\" appeared before "
        "(duplicates are rejected after the first)\","
        "\"P2,S1,2024-06-04,soccer,30,5,,,,,,no,\"\n"
        "%s,7,5,activity,\"activity: \"\"foot\\x0aball\"\" holds a control "
        "character (byte 0x0a)\",\"\"\"P3\"\",S4,2024-06-04,\"\"foot\n"
        "ball\"\",30,5,,,,,,no,\"\n"
        "%s,9,6,intensity_rpe,intensity_rpe: 11 is above 10,"
        "\"P3,S5,2024-06-04,\"\"say \"\"\"\"hi\"\"\"\"\"\",30,11,,,,,,no,\"\n",
        in, in, in, in, in);
    assert_string_equal(slurp(log), want);
}

/* Mixed-case, padded header with a BOM and an extra column (fixture). */
static void test_survey_fixture(void **state)
{
    const char *path = CS_TEST_DATA "/ingest_survey_mixed.csv";
    cs_rejlog *rej = NULL;
    cs_error err = {0};
    cs_ingest_counts c;
    char acc[256];
    int kind;
    static const struct { const char *key; uint64_t n; } keys[] = {
        { "survey_date", 2 }, { "age_years", 1 }, { "conditions", 1 },
        { "sex", 1 }, { "calorie_goal", 1 },
    };
    (void)state;

    assert_int_equal(cs_rejlog_open(&rej, NULL, &err), CS_OK);  /* count only */
    c = run(path, CS_SCHEMA_AUTO, rej, NULL, &kind, acc, sizeof acc);
    assert_int_equal(kind, CS_SCHEMA_SURVEY);
    assert_int_equal(c.read, 9);
    assert_int_equal(c.accepted, 4);
    assert_int_equal(c.rejected, 5);
    assert_string_equal(acc, "P1;P1;P2;P8");
    /* the same column spelled as the contract does, in a second input:
     * counted under the same key (keys are contract names) */
    c = run(WRITE_TMP(SV_HEADER "\n"
                      "P9,2023-02-29,F,40,5,1,150,light,trained,no,no,,0,,\n"),
            CS_SCHEMA_SURVEY, rej, NULL, NULL, NULL, 0);
    assert_int_equal(c.rejected, 1);
    assert_int_equal(cs_rejlog_nkeys(rej), NELEM(keys));
    for (size_t i = 0; i < NELEM(keys); i++) {
        const char *name;
        uint64_t count;
        cs_rejlog_key(rej, i, &name, &count);
        assert_string_equal(name, keys[i].key);
        assert_int_equal(count, keys[i].n);
    }
    assert_int_equal(cs_rejlog_close(rej, &err), CS_OK);
}

/* ---- duplicate session ids ------------------------------------------ */

static void test_duplicates_across_inputs(void **state)
{
    const char *a = WRITE_TMP(
        EX_HEADER "\n"
        "P1,S1,2024-06-03,run,30,5,,,,,,no,\n"
        "P1,S2,2024-06-03,run,30,5,,,,,,no,\n"
        "P1,S9,2024-06-03,run,0,5,,,,,,no,\n"       /* rejected: duration */
        "P1,S1,2024-06-03,run,30,5,,,,,,no,\n");    /* duplicate in file */
    const char *b = WRITE_TMP(
        "session_id,participant_id,start_time,activity,duration_min,"
        "intensity_rpe,cramp\n"                     /* another order */
        "S2,P2,2024-06-04,run,30,5,no\n"            /* seen in a */
        "S3,P2,2024-06-04,run,30,5,no\n"
        "S9,P2,2024-06-04,run,30,5,no\n"            /* first valid S9 */
        "S3,P2,2024-06-04,run,30,5,no\n"
        "s3,P2,2024-06-04,run,30,5,no\n"            /* ids are case-exact */
        " S3 ,P2,2024-06-04,run,30,5,no\n");        /* but trimmed */
    const char *log = tmp_name();
    cs_rejlog *rej = NULL;
    cs_idset *ids = NULL;
    cs_error err = {0};
    cs_ingest_counts c;
    char acc[256], want[2048];
    (void)state;

    assert_int_equal(cs_rejlog_open(&rej, log, &err), CS_OK);
    assert_int_equal(cs_idset_create(&ids), CS_OK);
    c = run(a, CS_SCHEMA_AUTO, rej, ids, NULL, acc, sizeof acc);
    assert_string_equal(acc, "S1;S2");
    assert_int_equal(c.read, 4);
    assert_int_equal(c.rejected, 2);
    c = run(b, CS_SCHEMA_AUTO, rej, ids, NULL, acc, sizeof acc);
    assert_string_equal(acc, "S3;S9;s3");
    assert_int_equal(c.read, 6);
    assert_int_equal(c.accepted, 3);
    assert_int_equal(c.rejected, 3);
    assert_int_equal(cs_idset_count(ids), 5);
    assert_int_equal(cs_rejlog_total(rej), 5);
    assert_int_equal(cs_rejlog_close(rej, &err), CS_OK);
    snprintf(want, sizeof want, REJ_HEADER
        "%s,4,3,duration_min,duration_min: 0 is not above 0,"
        "\"P1,S9,2024-06-03,run,0,5,,,,,,no,\"\n"
        "%s,5,4,session_id,\"session_id: \"\"S1\"\" appeared before "
        "(duplicates are rejected after the first)\","
        "\"P1,S1,2024-06-03,run,30,5,,,,,,no,\"\n"
        "%s,2,1,session_id,\"session_id: \"\"S2\"\" appeared before "
        "(duplicates are rejected after the first)\",\"S2,P2,2024-06-04,run,"
        "30,5,no\"\n"
        "%s,5,4,session_id,\"session_id: \"\"S3\"\" appeared before "
        "(duplicates are rejected after the first)\",\"S3,P2,2024-06-04,run,"
        "30,5,no\"\n"
        "%s,7,6,session_id,\"session_id: \"\"S3\"\" appeared before "
        "(duplicates are rejected after the first)\",\" S3 ,P2,2024-06-04,"
        "run,30,5,no\"\n", a, a, b, b, b);
    assert_string_equal(slurp(log), want);
    cs_idset_free(ids);

    /* without an id set, duplicates are not checked */
    c = run(b, CS_SCHEMA_EXERCISE, NULL, NULL, NULL, acc, sizeof acc);
    assert_int_equal(c.accepted, 6);
    assert_string_equal(acc, "S2;S3;S9;S3;s3;S3");
}

/* ---- schema detection, header errors, empty inputs ------------------ */

static void test_auto_detection(void **state)
{
    const char *ex = WRITE_TMP(EX_HEADER "\nP1,S1,2024-06-03,run,30,5,,,,,,no,\n");
    const char *sv = WRITE_TMP(SV_HEADER "\n"
        "P1,2024-05-01,M,30,5,9,170,light,trained,no,no,,0,,\n"
        "P2,2024-05-01,M,30,5,9,170,light,trained,no,no,pregnancy,0,,\n");
    const char *any = WRITE_TMP("a,b\n1,2\n3\n4,5,6\n\"x\",\"y\"\n");
    cs_ingest_counts c;
    char acc[128];
    int kind;
    (void)state;

    c = run(ex, CS_SCHEMA_AUTO, NULL, NULL, &kind, acc, sizeof acc);
    assert_int_equal(kind, CS_SCHEMA_EXERCISE);
    assert_int_equal(c.accepted, 1);
    c = run(sv, CS_SCHEMA_AUTO, NULL, NULL, &kind, acc, sizeof acc);
    assert_int_equal(kind, CS_SCHEMA_SURVEY);
    assert_int_equal(c.read, 2);
    assert_int_equal(c.accepted, 1);
    assert_string_equal(acc, "P1");
    c = run(any, CS_SCHEMA_AUTO, NULL, NULL, &kind, acc, sizeof acc);
    assert_int_equal(kind, CS_SCHEMA_ANY);
    assert_int_equal(c.read, 4);
    assert_int_equal(c.accepted, 2);
    assert_int_equal(c.rejected, 2);
    assert_string_equal(acc, "1;x");
    /* an exercise file read as ANY: only field counts are checked */
    c = run(ex, CS_SCHEMA_ANY, NULL, NULL, &kind, acc, sizeof acc);
    assert_int_equal(kind, CS_SCHEMA_ANY);
    assert_int_equal(c.accepted, 1);
}

static const struct {
    const char *name, *data;
    size_t len;
    int kind, code;
    unsigned long line, col;
    const char *msg;
} open_cases[] = {
#define C(name, lit, kind, code, line, col, msg) \
    { name, lit, sizeof(lit) - 1, kind, code, line, col, msg }
    C("empty", "", CS_SCHEMA_AUTO, CS_EPARSE, 1, 0,
      "empty input: the header is missing"),
    C("blank lines", "\n\r\n\n", CS_SCHEMA_EXERCISE, CS_EPARSE, 1, 0,
      "the header is missing"),
    C("bom only", "\xef\xbb\xbf", CS_SCHEMA_SURVEY, CS_EPARSE, 1, 0,
      "the header is missing"),
    C("survey header read as exercise", SV_HEADER "\n", CS_SCHEMA_EXERCISE,
      CS_EPARSE, 1, 0, "required column \"session_id\" is missing"),
    C("missing cramp", "participant_id,session_id,start_time,activity,"
      "duration_min,intensity_rpe\n", CS_SCHEMA_AUTO, CS_EPARSE, 1, 0,
      "required column \"cramp\" is missing from the header"),
    C("duplicate on line 2", "\n" EX_HEADER ",Cramp\n", CS_SCHEMA_AUTO,
      CS_EPARSE, 2, 14, "column \"cramp\" appears twice in the header "
      "(columns 12 and 14)"),
    C("bad csv header", "a,\"b\n", CS_SCHEMA_AUTO, CS_EPARSE, 1, 2,
      "unterminated"),
#undef C
};

static void test_open_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < NELEM(open_cases); i++) {
        const char *path = write_tmp(open_cases[i].data, open_cases[i].len);
        cs_ingest *in = (cs_ingest *)&ntmp;   /* must be reset to NULL */
        cs_error err = {0};
        print_message("case %s\n", open_cases[i].name);
        assert_int_equal(cs_ingest_open(&in, path, open_cases[i].kind, NULL,
                                        NULL, &err), open_cases[i].code);
        assert_null(in);
        assert_string_equal(err.src, path);
        assert_int_equal(err.line, open_cases[i].line);
        assert_int_equal(err.col, open_cases[i].col);
        if (!strstr(err.msg, open_cases[i].msg))
            fail_msg("msg \"%s\" lacks \"%s\"", err.msg, open_cases[i].msg);
    }
    /* a missing file, and a reject log that cannot be created */
    {
        cs_ingest *in = NULL;
        cs_rejlog *rej = NULL;
        cs_error err = {0};
        assert_int_equal(cs_ingest_open(&in, "/nonexistent/x.csv",
                                        CS_SCHEMA_AUTO, NULL, NULL, &err),
                         CS_ENOENT);
        assert_null(in);
        assert_string_equal(err.src, "/nonexistent/x.csv");
        cs_error_clear(&err);
        assert_int_equal(cs_rejlog_open(&rej, "/nonexistent/rej.csv", &err),
                         CS_EIO);
        assert_null(rej);
        assert_non_null(strstr(err.msg, "cannot create the reject log"));
        assert_int_equal(cs_rejlog_close(NULL, &err), CS_OK);
    }
}

/* A header and nothing else: zero rows, and a log with only its header. */
static void test_header_only(void **state)
{
    static const char *const inputs[] = {
        EX_HEADER, EX_HEADER "\n", EX_HEADER "\r\n", EX_HEADER "\n\n\n",
        "\xef\xbb\xbf" SV_HEADER "\r\n", "a,b,c\n",
    };
    (void)state;
    for (size_t i = 0; i < NELEM(inputs); i++) {
        const char *path = write_tmp(inputs[i], strlen(inputs[i]));
        const char *log = tmp_name();
        cs_rejlog *rej = NULL;
        cs_error err = {0};
        cs_ingest_counts c;
        print_message("case %zu\n", i);
        assert_int_equal(cs_rejlog_open(&rej, log, &err), CS_OK);
        c = run(path, CS_SCHEMA_AUTO, rej, NULL, NULL, NULL, 0);
        assert_int_equal(c.read, 0);
        assert_int_equal(c.accepted, 0);
        assert_int_equal(c.rejected, 0);
        assert_int_equal(cs_rejlog_nkeys(rej), 0);
        assert_int_equal(cs_rejlog_close(rej, &err), CS_OK);
        assert_string_equal(slurp(log), REJ_HEADER);
    }
}

/* cs_ingest_ahead_field: a field of the line some lines past the last
 * record, one line on at each call; 0 for a quoted field, a line too
 * short, or no line left; records read as before. */
static void test_ahead_field(void **state)
{
    static const char in[] = EX_HEADER "\n"
        "P1,S1,2024-06-03,run,30,5,,,,,,no,\n"
        "P2,S2,2024-06-03,run,30,5,,,,,,no,\n"
        "\"P3\",S3,2024-06-03,run,30,5,,,,,,no,\n"
        "P4 ,S4,2024-06-03,run,30,5,,,,,,no,\n"
        "P5,S5,2024-06-03,run,30,5,,,,,,yes,calf\r\n"
        "P6\n"
        "P7,S7,2024-06-03,run,30,5,,,,,,no,";
    const char *path = write_tmp(in, sizeof in - 1);
    cs_ingest *ig = NULL;
    cs_error err = {0};
    const cs_record *rec;
    cs_session ses;
    cs_str f;
    (void)state;

    assert_int_equal(cs_ingest_open(&ig, path, CS_SCHEMA_EXERCISE, NULL, NULL,
                                    &err), CS_OK);
    assert_int_equal(cs_ingest_next(ig, &rec, &ses, NULL, &err), 1);
    assert_memory_equal(ses.session_id.ptr, "S1", 2);
    /* next is P2's line; two lines on from it: P3's, quoted */
    assert_int_equal(cs_ingest_ahead_field(ig, 0, 2, &f), 0);
    assert_int_equal(cs_ingest_ahead_field(ig, 0, 2, &f), 1);
    assert_int_equal(f.len, 2);
    assert_memory_equal(f.ptr, "P4", 2);            /* trimmed */
    assert_int_equal(cs_ingest_ahead_field(ig, 12, 2, &f), 1);
    assert_int_equal(f.len, 4);
    assert_memory_equal(f.ptr, "calf", 4);          /* without the CR */
    assert_int_equal(cs_ingest_ahead_field(ig, 1, 2, &f), 0);   /* P6 */
    assert_int_equal(cs_ingest_ahead_field(ig, 0, 2, &f), 0);   /* no "\n" */
    assert_int_equal(cs_ingest_next(ig, &rec, &ses, NULL, &err), 1);
    assert_memory_equal(ses.session_id.ptr, "S2", 2);
    cs_ingest_free(ig);
}

/* gzip is found by its magic bytes, whatever the name; two concatenated
 * members are one stream. */
static void test_gzip_input(void **state)
{
    const char *path = tmp_name();
    const char *part1 = EX_HEADER "\nP1,S1,2024-06-03,run,30,5,,,,,,no,\n";
    const char *part2 = "P1,S2,2024-06-03,run,30,50,,,,,,no,\n"
                        "P1,S3,2024-06-03,run,30,5,,,,,,yes,calf\n";
    gzFile gz;
    cs_ingest_counts c;
    char acc[64];
    (void)state;

    gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, part1, (unsigned)strlen(part1)),
                     (int)strlen(part1));
    assert_int_equal(gzclose(gz), Z_OK);
    gz = gzopen(path, "ab");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, part2, (unsigned)strlen(part2)),
                     (int)strlen(part2));
    assert_int_equal(gzclose(gz), Z_OK);
    c = run(path, CS_SCHEMA_AUTO, NULL, NULL, NULL, acc, sizeof acc);
    assert_int_equal(c.read, 3);
    assert_int_equal(c.accepted, 2);
    assert_int_equal(c.rejected, 1);
    assert_string_equal(acc, "S1;S3");
}

/* A later stage can move a row it rejects itself from accepted to
 * rejected; the invariant still holds. */
static void test_uncount(void **state)
{
    const char *path = WRITE_TMP(EX_HEADER "\n"
        "P1,S1,2024-06-03,run,30,5,,,,,,no,\n"
        "P1,S2,2024-06-03,run,30,5,,,,,,no,\n");
    cs_ingest *in = NULL;
    cs_error err = {0};
    const cs_record *rec;
    cs_session ses;
    cs_ingest_counts c;
    (void)state;

    assert_int_equal(cs_ingest_open(&in, path, CS_SCHEMA_EXERCISE, NULL, NULL,
                                    &err), CS_OK);
    assert_int_equal(cs_ingest_next(in, &rec, &ses, NULL, &err), 1);
    assert_int_equal(rec->line, 2);
    cs_ingest_uncount(in);
    assert_int_equal(cs_ingest_next(in, &rec, &ses, NULL, &err), 1);
    assert_int_equal(cs_ingest_next(in, &rec, &ses, NULL, &err), 0);
    c = cs_ingest_counts_of(in);
    assert_int_equal(c.read, 2);
    assert_int_equal(c.accepted, 1);
    assert_int_equal(c.rejected, 1);
    assert_non_null(cs_ingest_reader(in));
    cs_ingest_free(in);
    cs_ingest_free(NULL);
}

/* The shard of an id: h = (h * 31 + byte) mod (2^31 - 1), then h mod n +
 * 1. Worked by hand for "P1": 80 * 31 + 49 = 2529, so 2529 mod 3 = 0 is
 * shard 1 of 3 and 2529 mod 7 = 2 shard 3 of 7; the longer ids' values
 * were reduced with unbounded integers, a second way to the same sums. */
static void test_shard_of(void **state)
{
    static const struct {
        const char *id;
        unsigned n, shard;
    } cases[] = {
        { "", 3, 1 }, { "", 1, 1 },
        { "P1", 1, 1 }, { "P1", 2, 2 }, { "P1", 3, 1 }, { "P1", 7, 3 },
        { "P1", 65536, 2530 },
        /* the id as the contract reads it: spaces and tabs trimmed */
        { " P1", 7, 3 }, { "P1\t ", 7, 3 }, { "\t P1 ", 65536, 2530 },
        /* 908900342 */
        { "P0000001", 2, 1 }, { "P0000001", 3, 3 }, { "P0000001", 65536, 47095 },
        /* 441581879: past 2^31 - 1 many times on the way */
        { "zzzzzzzzzzzz", 3, 3 }, { "zzzzzzzzzzzz", 7, 5 },
        { "zzzzzzzzzzzz", 65536, 312 },
        /* bytes over 127 count as 128 to 255: 1805346892 and 173409491 */
        { "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
          "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 7, 7 },
        { "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
          "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 65536, 26701 },
        { "S\xe9" "bastien", 7, 4 }, { "S\xe9" "bastien", 65536, 1236 },
    };
    (void)state;

    for (size_t i = 0; i < NELEM(cases); i++) {
        cs_str id = { cases[i].id, strlen(cases[i].id) };
        assert_int_equal(cs_shard_of(id, cases[i].n), cases[i].shard);
    }
}

/* cs_shard_of against the hash reduced the plain way, a byte at a time
 * with %, on 20,000 random ids of 0 to 100 bytes of any value (trimmed
 * as the contract reads them). Shards of 2^31 see every bit of the
 * hash: a sum left at 2^31 - 1 or above, not brought below it, moves the
 * shard. */
static void test_shard_of_random(void **state)
{
    const uint64_t m = 2147483647u;
    uint64_t x = 88172645463325252ull;
    static const unsigned ns[] = { 2147483648u, 65536, 7, 2 };
    char id[100];
    (void)state;

    for (int it = 0; it < 20000; it++) {
        size_t len = 0;
        uint64_t h = 0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        len = (size_t)(x % 101);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* one id in 4 of 0xff bytes, whose sums run highest */
            id[i] = (char)(it % 4 == 0 ? 0xff : x >> 56);
        }
        cs_str t = cs_str_trim((cs_str){ id, len });
        for (size_t i = 0; i < t.len; i++)
            h = (h * 31 + (unsigned char)t.ptr[i]) % m;
        for (size_t k = 0; k < NELEM(ns); k++)
            assert_int_equal(cs_shard_of((cs_str){ id, len }, ns[k]),
                             h % ns[k] + 1);
    }
}

static void test_shard_parse(void **state)
{
    static const char *const bad[] = {
        "", "0/3", "4/3", "3", "3/", "/3", "1/0", "1/65537", "65537/65537",
        "01/3", "1/03", "1/3x", " 1/3", "+1/3", "1//3", "1/3/4", "-1/3",
        "99999999999999999999/3",
    };
    unsigned k = 9, n = 9;
    (void)state;

    assert_int_equal(cs_shard_parse("1/1", &k, &n), 0);
    assert_int_equal(k, 1);
    assert_int_equal(n, 1);
    assert_int_equal(cs_shard_parse("3/8", &k, &n), 0);
    assert_int_equal(k, 3);
    assert_int_equal(n, 8);
    assert_int_equal(cs_shard_parse("65536/65536", &k, &n), 0);
    assert_int_equal(k, 65536);
    assert_int_equal(n, 65536);
    for (size_t i = 0; i < NELEM(bad); i++) {
        k = n = 9;
        assert_int_equal(cs_shard_parse(bad[i], &k, &n), -1);
        assert_int_equal(k, 9);
        assert_int_equal(n, 9);
    }
}

/* Three shards of one file take every row once: each its own rows by the
 * participant id (P1 is shard 1 of 3, P2 shard 2, P3 shard 3: 2529,
 * 2530 and 2531 mod 3), checked and logged as usual; a row without a
 * participant_id field, and one with it empty, are shard 1's. */
static void test_shard_rows(void **state)
{
    const char *path = WRITE_TMP(
        "session_id,participant_id,start_time,activity,duration_min,"
        "intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,"
        "cramp,cramp_muscle\n"
        "S1,P1,2024-06-03,run,30,5,,,,,,no,\n"                /* 2: 1 */
        "S2,P2,2024-06-03,run,30,5,,,,,,no,\n"                /* 3: 2 */
        "S3, P3 ,2024-06-03,run,30,5,,,,,,no,\n"              /* 4: 3 */
        "S4,P2,2024-06-03,run,abc,5,,,,,,no,\n"               /* 5: 2, bad */
        "S5\n"                                                /* 6: 1, bad */
        "S6,,2024-06-03,run,30,5,,,,,,no,\n"                  /* 7: 1, bad */
        "S7,\"P3\",2024-06-03,run,30,5,,,,,,no,\n");         /* 8: 3 */
    static const struct {
        unsigned long lines[3];
        uint64_t accepted, rejected, other;
    } want[3] = {
        { { 2 }, 1, 2, 4 }, { { 3 }, 1, 1, 5 }, { { 4, 8 }, 2, 0, 5 },
    };
    uint64_t accepted = 0, rejected = 0;
    (void)state;

    for (unsigned k = 1; k <= 3; k++) {
        cs_ingest *in = NULL;
        cs_rejlog *rej = NULL;
        cs_error err = {0};
        const cs_record *rec;
        cs_session ses;
        cs_ingest_counts c;
        size_t i = 0;
        int rc;

        assert_int_equal(cs_rejlog_open(&rej, NULL, &err), CS_OK);
        assert_int_equal(cs_ingest_open(&in, path, CS_SCHEMA_EXERCISE, rej,
                                        NULL, &err), CS_OK);
        assert_int_equal(cs_ingest_set_shard(in, k, 3, &err), CS_OK);
        /* A marked run would hand rows out without their fields. */
        assert_int_equal(cs_ingest_mark_runs(in), 0);
        while ((rc = cs_ingest_next(in, &rec, &ses, NULL, &err)) > 0) {
            assert_true(i < 3);
            assert_int_equal(rec->line, want[k - 1].lines[i]);
            i++;
        }
        assert_int_equal(rc, 0);
        c = cs_ingest_counts_of(in);
        assert_int_equal(c.read, 7);
        assert_int_equal(c.accepted, want[k - 1].accepted);
        assert_int_equal(c.rejected, want[k - 1].rejected);
        assert_int_equal(c.other, want[k - 1].other);
        assert_int_equal(cs_rejlog_total(rej), want[k - 1].rejected);
        accepted += c.accepted;
        rejected += c.rejected;
        cs_ingest_free(in);
        cs_rejlog_close(rej, &err);
    }
    assert_int_equal(accepted + rejected, 7);
}

/* --shard needs a participant_id column; 1 of 1 takes every row. */
static void test_shard_refused(void **state)
{
    const char *path = WRITE_TMP("a,b\n1,2\n3,4\n");
    cs_ingest *in = NULL;
    cs_error err = {0};
    const cs_record *rec;
    cs_ingest_counts c;
    (void)state;

    assert_int_equal(cs_ingest_open(&in, path, CS_SCHEMA_ANY, NULL, NULL,
                                    &err), CS_OK);
    assert_int_equal(cs_ingest_set_shard(in, 1, 2, &err), CS_EUSAGE);
    assert_non_null(strstr(err.msg, "participant_id"));
    err = (cs_error){0};
    assert_int_equal(cs_ingest_set_shard(in, 1, 1, &err), CS_OK);
    assert_int_equal(cs_ingest_next(in, &rec, NULL, NULL, &err), 1);
    assert_int_equal(cs_ingest_next(in, &rec, NULL, NULL, &err), 1);
    assert_int_equal(cs_ingest_next(in, &rec, NULL, NULL, &err), 0);
    c = cs_ingest_counts_of(in);
    assert_int_equal(c.read, 2);
    assert_int_equal(c.other, 0);
    cs_ingest_free(in);
}

/* A CSV error in the middle is fatal: rows before it were counted, and
 * the error names the line and field where the quote opened. */
static void test_fatal_midway(void **state)
{
    const char *path = WRITE_TMP(EX_HEADER "\n"
        "P1,S1,2024-06-03,run,30,5,,,,,,no,\n"
        "P1,S2,2024-06-03,\"run,30,5,,,,,,no,\n");
    cs_ingest *in = NULL;
    cs_error err = {0};
    const cs_record *rec;
    cs_session ses;
    (void)state;

    assert_int_equal(cs_ingest_open(&in, path, CS_SCHEMA_AUTO, NULL, NULL,
                                    &err), CS_OK);
    assert_int_equal(cs_ingest_next(in, &rec, &ses, NULL, &err), 1);
    assert_int_equal(cs_ingest_next(in, &rec, &ses, NULL, &err), CS_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 4);
    assert_int_equal(cs_ingest_counts_of(in).read, 1);
    cs_ingest_free(in);
}

/* Rows checked ahead (cs_ingest_mark_runs): an ingest freed while its
 * read-ahead thread still checks rows with the schema must stop that
 * thread before the schema goes (AddressSanitizer reports it otherwise),
 * and the rows handed out before are the file's, in order, with their
 * session ids and the counts. 8 MiB of canonical rows, the share fixed at
 * the whole of each buffer. */
static void test_mark_runs_freed_early(void **state)
{
    const char *path = tmp_name();
    FILE *f = fopen(path, "wb");
    cs_ingest *in = NULL;
    cs_error err = {0};
    const cs_record *rec;
    cs_session ses;
    long n = 0;
    (void)state;

    assert_non_null(f);
    fputs(EX_HEADER "\n", f);
    for (long i = 1; ftell(f) < (8L << 20); i++)
        fprintf(f, "P%07ld,S%09ld,2024-06-03T07:30:00Z,running,45,4,4.6,70,"
                "2080,9,no,no,\n", i / 25 + 1, i);
    assert_int_equal(fclose(f), 0);
    setenv("CRAMPSTAT_CHECK_AHEAD", "16", 1);
    for (int k = 0; k < 8; k++) {
        assert_int_equal(cs_ingest_open(&in, path, CS_SCHEMA_EXERCISE, NULL,
                                        NULL, &err), CS_OK);
        assert_int_equal(cs_ingest_mark_runs(in), 1);
        /* Into the buffers the thread checks, then stop. */
        for (n = 0; n < 30000 + 5000 * k; n++) {
            char want[32];
            assert_int_equal(cs_ingest_next(in, &rec, &ses, NULL, &err), 1);
            snprintf(want, sizeof want, "S%09ld", n + 1);
            assert_int_equal(ses.session_id.len, 10);
            assert_memory_equal(ses.session_id.ptr, want, 10);
            assert_int_equal(rec->line, (unsigned long)n + 2);
        }
        assert_int_equal(cs_ingest_counts_of(in).read, (uint64_t)n);
        assert_int_equal(cs_ingest_counts_of(in).accepted, (uint64_t)n);
        cs_ingest_free(in);
    }
    unsetenv("CRAMPSTAT_CHECK_AHEAD");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reject_log_exact, teardown),
        cmocka_unit_test_teardown(test_survey_fixture, teardown),
        cmocka_unit_test_teardown(test_duplicates_across_inputs, teardown),
        cmocka_unit_test_teardown(test_auto_detection, teardown),
        cmocka_unit_test_teardown(test_open_errors, teardown),
        cmocka_unit_test_teardown(test_header_only, teardown),
        cmocka_unit_test_teardown(test_gzip_input, teardown),
        cmocka_unit_test_teardown(test_uncount, teardown),
        cmocka_unit_test(test_shard_of),
        cmocka_unit_test(test_shard_of_random),
        cmocka_unit_test(test_shard_parse),
        cmocka_unit_test_teardown(test_shard_rows, teardown),
        cmocka_unit_test_teardown(test_shard_refused, teardown),
        cmocka_unit_test_teardown(test_fatal_midway, teardown),
        cmocka_unit_test_teardown(test_mark_runs_freed_early, teardown),
        cmocka_unit_test_teardown(test_ahead_field, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
