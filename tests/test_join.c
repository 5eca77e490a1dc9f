/* Tests of src/join.c: the survey table and the choice of a session's
 * wave (DATA.md section 3: the latest wave dated on or before the
 * session's day; the earliest when every wave is later), rejects of
 * duplicate waves, the wave text join appends, and a large table checked
 * against a brute-force search. Survey files are written to a temporary
 * directory. */
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
#include <crampstat/ingest.h>
#include <crampstat/join.h>
#include <crampstat/value.h>
#include <crampstat/writer.h>

#define HEADER "participant_id,survey_date,sex,age_years,height_ft,height_in," \
               "weight_lb,activity_level,conditioning,seasonal_sport," \
               "stretch_routine,conditions,calorie_goal,calcium_mg," \
               "potassium_mg\n"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_join_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

static char *write_file(const char *name, const char *text)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    FILE *f;

    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

static void remove_file(char *path)
{
    assert_int_equal(unlink(path), 0);
    free(path);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 1 << 16);
    assert_non_null(f);
    assert_non_null(buf);
    assert_true(fread(buf, 1, (1 << 16) - 1, f) < (1 << 16) - 1);
    fclose(f);
    return buf;
}

/* Day numbers by hand: 2024-01-01 is day 19723 (54 years of 365 days
 * plus 13 leap days, 1972 ... 2020: 54 * 365 + 13 = 19723). */
#define D_2023_12_31 19722
#define D_2024_01_10 19732   /* + 9 */
#define D_2024_02_29 19782   /* + 31 (January) + 28 */
#define D_2024_03_01 19783
#define D_2024_06_14 19888   /* 19783 + 31 + 30 + 31 (Mar, Apr, May) + 13 */
#define D_2024_06_15 19889
#define D_2025_01_01 20089   /* 19723 + 366 */

static void test_join_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(cs_days_from_civil(2023, 12, 31), D_2023_12_31);
    assert_int_equal(cs_days_from_civil(2024, 1, 10), D_2024_01_10);
    assert_int_equal(cs_days_from_civil(2024, 2, 29), D_2024_02_29);
    assert_int_equal(cs_days_from_civil(2024, 3, 1), D_2024_03_01);
    assert_int_equal(cs_days_from_civil(2024, 6, 14), D_2024_06_14);
    assert_int_equal(cs_days_from_civil(2024, 6, 15), D_2024_06_15);
    assert_int_equal(cs_days_from_civil(2025, 1, 1), D_2025_01_01);
}

/* P1 answered three times (written out of order: the table sorts), ages
 * 30, 31, 32 telling the waves apart; P2 once; P3 twice on one day (the
 * second row is rejected). */
static const char survey[] = HEADER
    "P1,2024-03-01,F,31,5,6,150,moderate,recreational,no,no,,"
    "Maintain my current weight,1000,3000\n"
    "P2,2024-02-01,M,50,6,1,210.5,active,trained,yes,yes,"
    "thyroid_disease;disc_injury,Lose 1.5 pounds per week,NA,2100\n"
    "P1,2024-06-15,F,32,5,6,148.5,light,recreational,no,yes,NA,"
    "-0.5,,N/A\n"
    "P1,2024-01-10,F,30,5,6,150,moderate,unconditioned,yes,no,pregnancy,"
    "Gain 1 pound per week,800,1999\n"
    "P3,2024-05-05,F,40,5,4,130,sedentary,trained,no,no,,0,900,2500\n"
    "P3,2024-05-05,F,41,5,4,131,sedentary,trained,no,no,,0,900,2500\n";

static const struct {
    const char *name, *id;
    int32_t day;
    int age;              /* of the wave expected; 0 = NULL */
} choices[] = {
    { "before all waves: the earliest", "P1", D_2023_12_31, 30 },
    { "long before", "P1", 0, 30 },
    { "on the first wave's day", "P1", D_2024_01_10, 30 },
    { "between the first two", "P1", D_2024_02_29, 30 },
    { "on the second wave's day", "P1", D_2024_03_01, 31 },
    { "the day before the third", "P1", D_2024_06_14, 31 },
    { "on the third wave's day", "P1", D_2024_06_15, 32 },
    { "after all waves: the latest", "P1", D_2025_01_01, 32 },
    { "one wave, before it", "P2", D_2023_12_31, 50 },
    { "one wave, after it", "P2", D_2025_01_01, 50 },
    { "duplicate day: the first row holds", "P3", D_2024_06_15, 40 },
    { "no such participant", "P4", D_2024_06_15, 0 },
    { "ids are case-sensitive", "p1", D_2024_06_15, 0 },
    { "a prefix is not the id", "P", D_2024_06_15, 0 },
    { "empty id", "", D_2024_06_15, 0 },
};

static void test_join_wave_choice(void **state)
{
    char *path = write_file("survey.csv", survey);
    char *rejpath = malloc(strlen(dir) + 16);
    cs_survey *s = NULL;
    cs_rejlog *rej = NULL;
    cs_error err = {0};
    cs_ingest_counts c;
    char *log;

    (void)state;
    assert_non_null(rejpath);
    sprintf(rejpath, "%s/rej.csv", dir);
    assert_int_equal(cs_rejlog_open(&rej, rejpath, &err), CS_OK);
    assert_int_equal(cs_survey_load(&s, path, rej, &err), CS_OK);
    assert_int_equal(cs_rejlog_close(rej, &err), CS_OK);

    /* 6 rows: 5 waves kept, the duplicate rejected. */
    c = cs_survey_counts(s);
    assert_int_equal(c.read, 6);
    assert_int_equal(c.accepted, 5);
    assert_int_equal(c.rejected, 1);
    assert_int_equal(cs_survey_participants(s), 3);
    assert_int_equal(cs_survey_count(s), 3);
    assert_int_equal(cs_survey_waves(s), 5);
    assert_true(cs_survey_bytes(s) > 0);
    log = read_all(rejpath);
    /* The rejected row is line 7 of the file (CSV: quotes doubled). */
    assert_non_null(strstr(log, ",7,6,survey_date,\"survey_date: participant "
                                "\"\"P3\"\" already has a wave on this "
                                "date\",\"P3,2024-05-05,F,41,"));
    free(log);

    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        cs_str id = { choices[i].id, strlen(choices[i].id) };
        const cs_wave *w = cs_survey_find(s, id, choices[i].day);
        print_message("case %s\n", choices[i].name);
        if (!choices[i].age) {
            assert_null(w);
            continue;
        }
        assert_non_null(w);
        assert_int_equal(w->age_years, choices[i].age);
        assert_int_equal(w->participant_id.len, id.len);
        assert_memory_equal(w->participant_id.ptr, id.ptr, id.len);
    }

    /* Latest waves, in order of first appearance: P1 (32), P2, P3 (the
     * first row of the day). */
    assert_int_equal(cs_survey_latest(s, 0)->age_years, 32);
    assert_int_equal(cs_survey_latest(s, 0)->day, D_2024_06_15);
    assert_int_equal(cs_survey_latest(s, 1)->age_years, 50);
    assert_int_equal(cs_survey_latest(s, 2)->age_years, 40);

    /* The wave text join appends, made at load time, equals the text
     * cs_join_format_wave makes from the wave. */
    {
        static const struct { int32_t day; const char *text; } texts[] = {
            { D_2024_01_10, "2024-01-10,F,30,5,6,150,moderate,unconditioned,"
                            "yes,no,pregnancy,1,800,1999" },
            { D_2024_03_01, "2024-03-01,F,31,5,6,150,moderate,recreational,"
                            "no,no,,0,1000,3000" },
            { D_2024_06_15, "2024-06-15,F,32,5,6,148.5,light,recreational,"
                            "no,yes,NA,-0.5,," },
        };
        for (size_t i = 0; i < 3; i++) {
            const cs_wave *w = cs_survey_find(s, CS_STR("P1"), texts[i].day);
            cs_str t = cs_survey_wave_text(s, w);
            cs_buf b;
            assert_int_equal(t.len, strlen(texts[i].text));
            assert_memory_equal(t.ptr, texts[i].text, t.len);
            cs_buf_init(&b, 0);
            assert_int_equal(cs_join_format_wave(&b, w), CS_OK);
            assert_int_equal(b.len, t.len);
            assert_memory_equal(b.ptr, t.ptr, t.len);
            cs_buf_dispose(&b);
        }
        /* P2: conditions in contract order, whatever the input order. */
        const cs_wave *w = cs_survey_find(s, CS_STR("P2"), 0);
        cs_str t = cs_survey_wave_text(s, w);
        static const char want[] = "2024-02-01,M,50,6,1,210.5,active,trained,"
                                   "yes,yes,disc_injury;thyroid_disease,-1.5,,"
                                   "2100";
        assert_int_equal(t.len, strlen(want));
        assert_memory_equal(t.ptr, want, t.len);
    }
    cs_survey_free(s);
    remove_file(path);
    remove_file(rejpath);
}

/* Without a reject log the duplicate is still counted. */
static void test_join_duplicate_counts(void **state)
{
    char *path = write_file("dup.csv", HEADER
        "A,2024-01-01,F,30,5,6,150,light,trained,no,no,,0,900,2500\n"
        "A,2024-01-01,F,30,5,6,150,light,trained,no,no,,0,900,2500\n"
        "A,2024-01-01,F,31,5,6,150,light,trained,no,no,,0,900,2500\n"
        "A,2024-01-02,F,32,5,6,150,light,trained,no,no,,0,900,2500\n"
        "B,2024-01-01,F,33,5,6,150,light,trained,no,no,,0,900,2500\n"
        "B,2024-13-01,F,33,5,6,150,light,trained,no,no,,0,900,2500\n");
    cs_survey *s = NULL;
    cs_error err = {0};
    cs_ingest_counts c;

    (void)state;
    assert_int_equal(cs_survey_load(&s, path, NULL, &err), CS_OK);
    c = cs_survey_counts(s);
    /* 6 read: 2 duplicates of A's first day and one bad date rejected. */
    assert_int_equal(c.read, 6);
    assert_int_equal(c.accepted, 3);
    assert_int_equal(c.rejected, 3);
    assert_int_equal(cs_survey_waves(s), 3);
    assert_int_equal(cs_survey_participants(s), 2);
    assert_int_equal(cs_survey_find(s, CS_STR("A"), D_2024_01_10)->age_years, 32);
    assert_int_equal(cs_survey_find(s, CS_STR("A"), D_2023_12_31)->age_years, 30);
    cs_survey_free(s);
    remove_file(path);
}

/* The same survey from a stream: a reader open on memory, its header
 * read by the caller (as calories does on standard input). The counts are
 * those of the file above, and the reject log names the stream. */
static void test_join_load_reader(void **state)
{
    static const char text[] = HEADER
        "A,2024-01-01,F,30,5,6,150,light,trained,no,no,,0,900,2500\n"
        "A,2024-01-01,F,30,5,6,150,light,trained,no,no,,0,900,2500\n"
        "A,2024-01-01,F,31,5,6,150,light,trained,no,no,,0,900,2500\n"
        "A,2024-01-02,F,32,5,6,150,light,trained,no,no,,0,900,2500\n"
        "B,2024-01-01,F,33,5,6,150,light,trained,no,no,,0,900,2500\n"
        "B,2024-13-01,F,33,5,6,150,light,trained,no,no,,0,900,2500\n";
    char *log = write_file("rej.csv", "");
    cs_survey *s = NULL;
    cs_reader *r = NULL;
    cs_rejlog *rej = NULL;
    const cs_record *h;
    cs_error err = {0};
    cs_ingest_counts c;
    char *got;

    (void)state;
    assert_int_equal(cs_rejlog_open(&rej, log, &err), CS_OK);
    assert_int_equal(cs_reader_open_mem(&r, "-", text, sizeof text - 1, NULL,
                                        &err), CS_OK);
    assert_int_equal(cs_reader_next(r, &h, &err), 1);
    assert_int_equal(cs_survey_load_reader(&s, r, h, rej, &err), CS_OK);
    c = cs_survey_counts(s);
    assert_int_equal(c.read, 6);
    assert_int_equal(c.accepted, 3);
    assert_int_equal(c.rejected, 3);
    assert_int_equal(cs_survey_waves(s), 3);
    assert_int_equal(cs_survey_find(s, CS_STR("A"), D_2024_01_10)->age_years, 32);
    cs_survey_free(s);
    assert_int_equal(cs_rejlog_close(rej, &err), CS_OK);
    got = read_all(log);
    /* Rows 2 and 3 repeat A's first day (lines 3, 4); row 6 has month 13. */
    assert_non_null(strstr(got, "-,3,2,survey_date,"));
    assert_non_null(strstr(got, "-,4,3,survey_date,"));
    assert_non_null(strstr(got, "-,7,6,survey_date,"));
    free(got);
    remove_file(log);

    /* A header that is not the survey's: the reader is freed with the
     * error (ASan and valgrind would see it leak otherwise). */
    assert_int_equal(cs_reader_open_mem(&r, "-", "a,b\n1,2\n", 8, NULL, &err),
                     CS_OK);
    assert_int_equal(cs_reader_next(r, &h, &err), 1);
    assert_int_equal(cs_survey_load_reader(&s, r, h, NULL, &err), CS_EPARSE);
    assert_null(s);
}

/* Joined rows read in order: a row whose survey columns are written as
 * the last wave's (participant included) is that wave, not parsed again;
 * any other row is. */
static void test_join_parse_next(void **state)
{
#define JW "2024-01-01,F,30,5,6,150,light,trained,no,no,,0,900,2500"
    static const char text[] =
        "participant_id,session_id,start_time,activity,duration_min,"
        "intensity_rpe,temp_c,humidity_pct,fluid_ml,warmup_min,stretched,"
        "cramp,cramp_muscle,survey_date,sex,age_years,height_ft,height_in,"
        "weight_lb,activity_level,conditioning,seasonal_sport,"
        "stretch_routine,conditions,calorie_goal,calcium_mg,potassium_mg\n"
        "A,S1,2024-06-03,run,30,5,,,,,,no,," JW "\n"     /* parsed */
        "A,S2,2024-06-04,run,30,5,,,,,,no,," JW "\n"     /* same */
        "B,S3,2024-06-04,run,30,5,,,,,,no,," JW "\n"     /* other person */
        "B,S4,2024-06-05,run,30,5,,,,,,no,,2024-01-01,F,31,5,6,150,light,"
        "trained,no,no,,0,900,2500\n"                    /* other wave */
        "B,S5,2024-06-06,run,30,5,,,,,,no,,2024-01-01,\"F\",31,5,6,150,"
        "light,trained,no,no,,0,900,2500\n"              /* quoted */
        /* Ids as long as the generator's: one byte apart, first, last
         * or inside, is another participant. */
        "P0000001,S6,2024-06-03,run,30,5,,,,,,no,," JW "\n"   /* parsed */
        "P0000001,S7,2024-06-03,run,30,5,,,,,,no,," JW "\n"   /* same */
        "P0000002,S8,2024-06-03,run,30,5,,,,,,no,," JW "\n"   /* last byte */
        "Q0000002,S9,2024-06-03,run,30,5,,,,,,no,," JW "\n"   /* first */
        "Q0010002,SA,2024-06-03,run,30,5,,,,,,no,," JW "\n"   /* inside */
        "Q0010002,SB,2024-06-03,run,30,5,,,,,,no,," JW "\n"   /* same */
        "Q00100021,SC,2024-06-03,run,30,5,,,,,,no,," JW "\n"  /* longer */
        /* A wave that does not parse, then its person's good one. */
        "Q00100021,SD,2024-06-03,run,30,5,,,,,,no,,2024-01-01,F,3x,5,6,"
        "150,light,trained,no,no,,0,900,2500\n"
        "Q00100021,SE,2024-06-03,run,30,5,,,,,,no,," JW "\n"  /* parsed */
        /* Waves one byte apart, the first, then the last. */
        "Q00100021,SF,2024-06-03,run,30,5,,,,,,no,,1024-01-01,F,30,5,6,150,"
        "light,trained,no,no,,0,900,2500\n"
        "Q00100021,SG,2024-06-03,run,30,5,,,,,,no,,1024-01-01,F,30,5,6,150,"
        "light,trained,no,no,,0,900,2501\n";
    static const int want_same[] = { 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0,
                                     0, 0, 0 };
    static const int want_age[] = { 30, 30, 30, 31, 31, 30, 30, 30, 30, 30,
                                    30, 30, -1, 30, 30, 30 };
    static const char *const want_pid[] = {
        "A", "A", "B", "B", "B", "P0000001", "P0000001", "P0000002",
        "Q0000002", "Q0010002", "Q0010002", "Q00100021", "", "Q00100021",
        "Q00100021", "Q00100021"
    };
    cs_reader *r = NULL;
    cs_jschema *j = NULL;
    const cs_record *rec;
    cs_error err = {0};
    cs_session ses;
    cs_wave wv;
    cs_reject why;

    (void)state;
    assert_int_equal(cs_reader_open_mem(&r, "j.csv", text, sizeof text - 1,
                                        NULL, &err), CS_OK);
    assert_int_equal(cs_reader_next(r, &rec, &err), 1);
    assert_int_equal(cs_jschema_create(&j, "j.csv", rec, NULL, &err), CS_OK);
    for (size_t i = 0; i < sizeof want_same / sizeof want_same[0]; i++) {
        int same = -1;
        assert_int_equal(cs_reader_next(r, &rec, &err), 1);
        if (want_age[i] < 0) {
            assert_int_equal(cs_jschema_parse_next(j, rec, &ses, &wv, &why,
                                                   &same), 0);
            assert_non_null(strstr(why.reason, "age_years"));
            continue;
        }
        assert_int_equal(cs_jschema_parse_next(j, rec, &ses, &wv, &why,
                                               &same), 1);
        assert_int_equal(same, want_same[i]);
        assert_int_equal(wv.age_years, want_age[i]);
        assert_int_equal(wv.participant_id.len, strlen(want_pid[i]));
        assert_memory_equal(wv.participant_id.ptr, want_pid[i],
                            wv.participant_id.len);
    }
    assert_int_equal(cs_reader_next(r, &rec, &err), 0);
    cs_jschema_free(j);
    cs_reader_free(r);
#undef JW
}

static void test_join_load_errors(void **state)
{
    cs_survey *s = NULL;
    cs_error err = {0};
    char *path;

    (void)state;
    assert_true(cs_survey_load(&s, "/nonexistent/survey.csv", NULL, &err) < 0);
    assert_int_equal(err.code, CS_ENOENT);
    assert_null(s);

    /* A header without survey_date: fatal, at line 1. */
    path = write_file("nodate.csv", "participant_id,sex\nP1,F\n");
    memset(&err, 0, sizeof err);
    assert_int_equal(cs_survey_load(&s, path, NULL, &err), CS_EPARSE);
    assert_int_equal(err.line, 1);
    assert_null(s);
    remove_file(path);

    /* Only a header: an empty table, every lookup NULL. */
    path = write_file("empty.csv", HEADER);
    memset(&err, 0, sizeof err);
    assert_int_equal(cs_survey_load(&s, path, NULL, &err), CS_OK);
    assert_int_equal(cs_survey_participants(s), 0);
    assert_int_equal(cs_survey_waves(s), 0);
    assert_null(cs_survey_find(s, CS_STR("P1"), 0));
    cs_survey_free(s);
    cs_survey_free(NULL);
    remove_file(path);
}

/* ---- cs_join_format_wave on hand-made waves -------------------------- */

static void test_join_format_wave(void **state)
{
    static const struct {
        const char *name;
        int32_t day;
        int sex, age, ft, in;
        double lb;
        int act, cond, seasonal, stretch, known;
        uint32_t conditions;
        double goal, ca, k;
        const char *want;
    } cases[] = {
        { "plain", D_2024_01_10, CS_SEX_F, 30, 5, 6, 150, CS_ACT_MODERATE,
          CS_COND_RECREATIONAL, 0, 0, 1, 0, 0, 1000, 3000,
          "2024-01-10,F,30,5,6,150,moderate,recreational,no,no,,0,1000,3000" },
        { "all set", D_2024_02_29, CS_SEX_F, 110, 8, 11, 136.8,
          CS_ACT_VERY_ACTIVE, CS_COND_TRAINED, 1, 1, 1,
          (1u << CS_MED_DISC_INJURY) | (1u << CS_MED_PREGNANCY), -1.5,
          NAN, 2500,
          "2024-02-29,F,110,8,11,136.8,very_active,trained,yes,yes,"
          "disc_injury;pregnancy,-1.5,,2500" },
        { "every condition", D_2025_01_01, CS_SEX_F, 10, 3, 0, 50,
          CS_ACT_SEDENTARY, CS_COND_UNCONDITIONED, 0, 1, 1, 0xff, 2, 0, 0,
          "2025-01-01,F,10,3,0,50,sedentary,unconditioned,no,yes,"
          "disc_injury;parkinsons;multiple_sclerosis;cerebral_palsy;"
          "thyroid_disease;kidney_disease;alcoholism;pregnancy,2,0,0" },
        { "conditions NA", D_2023_12_31, CS_SEX_M, 45, 6, 0, 700,
          CS_ACT_LIGHT, CS_COND_TRAINED, 1, 0, 0, 0, 0.5, NAN, NAN,
          "2023-12-31,M,45,6,0,700,light,trained,yes,no,NA,0.5,," },
        { "decimals", 0, CS_SEX_M, 99, 7, 3, 201.25, CS_ACT_ACTIVE,
          CS_COND_RECREATIONAL, 0, 0, 1, 1u << CS_MED_KIDNEY_DISEASE, -2,
          699.5, 1999.9,
          "1970-01-01,M,99,7,3,201.25,active,recreational,no,no,"
          "kidney_disease,-2,699.5,1999.9" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_wave w;
        cs_buf b;
        print_message("case %s\n", cases[i].name);
        memset(&w, 0, sizeof w);
        w.participant_id = CS_STR("X");
        w.day = cases[i].day;
        w.sex = cases[i].sex;
        w.age_years = cases[i].age;
        w.height_ft = cases[i].ft;
        w.height_in = cases[i].in;
        w.weight_lb = cases[i].lb;
        w.activity_level = cases[i].act;
        w.conditioning = cases[i].cond;
        w.seasonal_sport = cases[i].seasonal;
        w.stretch_routine = cases[i].stretch;
        w.conditions_known = cases[i].known;
        w.conditions = cases[i].conditions;
        w.goal_lb_week = cases[i].goal;
        w.calcium_mg = cases[i].ca;
        w.potassium_mg = cases[i].k;
        cs_buf_init(&b, 0);
        /* Appends: text already in the buffer stays. */
        assert_int_equal(cs_buf_append(&b, "x,", 2), CS_OK);
        assert_int_equal(cs_join_format_wave(&b, &w), CS_OK);
        assert_int_equal(b.len, 2 + strlen(cases[i].want));
        assert_memory_equal(b.ptr, "x,", 2);
        assert_memory_equal(b.ptr + 2, cases[i].want, b.len - 2);
        cs_buf_dispose(&b);
    }
}

/* ---- many participants ----------------------------------------------- */

#define NPART 10000
#define NWAVE 3

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rnd(uint32_t n)
{
    /* xorshift64*: reproducible, no dependence on the C library's rand */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)(((rng_state * 0x2545f4914f6cdd1dULL) >> 32) % n);
}

/* grouped 0: rows participant-interleaved and in random wave order (the
 * table sorts them); 1: grouped by participant and in date order, as the
 * generator writes them (the table keeps them as they came). */
static void join_many(int grouped)
{
    static int32_t days[NPART][NWAVE];
    size_t cap = (size_t)NPART * NWAVE * 120 + 512, len = 0;
    char *text = malloc(cap), *path;
    cs_survey *s = NULL;
    cs_error err = {0};
    int32_t first = cs_days_from_civil(2023, 1, 1);

    assert_non_null(text);
    len += (size_t)sprintf(text, "%s", HEADER);
    /* Three distinct days per participant within two years; the age
     * numbers the wave (20 + index), so the answer is checkable. Rows
     * are written participant-interleaved and in random wave order. */
    for (int p = 0; p < NPART; p++)
        for (int k = 0; k < NWAVE; k++) {
            int32_t d;
            int dup;
            do {
                d = first + (int32_t)rnd(730);
                dup = 0;
                for (int j = 0; j < k; j++)
                    dup |= days[p][j] == d;
            } while (dup);
            days[p][k] = d;
        }
    for (int k = NWAVE - 1; !grouped && k >= 0; k--)
        for (int p = 0; p < NPART; p++) {
            char date[16];
            int kk = (k + p) % NWAVE;
            cs_fmt_date(date, sizeof date, days[p][kk]);
            len += (size_t)snprintf(text + len, cap - len,
                "Q%05d,%s,M,%d,5,10,170,active,trained,no,no,,0,900,2500\n",
                p, date, 20 + kk);
        }
    for (int p = 0; grouped && p < NPART; p++) {
        int order[NWAVE];
        for (int k = 0; k < NWAVE; k++)
            order[k] = k;
        for (int a = 1; a < NWAVE; a++)   /* the waves by date */
            for (int b = a; b > 0 && days[p][order[b]] < days[p][order[b - 1]]; b--) {
                int t = order[b];
                order[b] = order[b - 1];
                order[b - 1] = t;
            }
        for (int k = 0; k < NWAVE; k++) {
            char date[16];
            cs_fmt_date(date, sizeof date, days[p][order[k]]);
            len += (size_t)snprintf(text + len, cap - len,
                "Q%05d,%s,M,%d,5,10,170,active,trained,no,no,,0,900,2500\n",
                p, date, 20 + order[k]);
        }
    }
    path = write_file("many.csv", text);
    free(text);
    assert_int_equal(cs_survey_load(&s, path, NULL, &err), CS_OK);
    assert_int_equal(cs_survey_participants(s), NPART);
    assert_int_equal(cs_survey_waves(s), NPART * NWAVE);

    cs_survey_cursor cur = { 0 };
    for (int q = 0; q < 200000; q++) {
        int p = (int)rnd(NPART);
        int32_t day = first - 30 + (int32_t)rnd(800);
        char id[16];
        int best = -1, earliest = 0;
        const cs_wave *w;
        /* Brute force: the latest wave on or before day, else the
         * earliest. */
        for (int k = 0; k < NWAVE; k++) {
            if (days[p][k] <= day && (best < 0 || days[p][k] > days[p][best]))
                best = k;
            if (days[p][k] < days[p][earliest])
                earliest = k;
        }
        if (best < 0)
            best = earliest;
        snprintf(id, sizeof id, "Q%05d", p);
        w = cs_survey_find(s, (cs_str){ id, strlen(id) }, day);
        assert_non_null(w);
        /* The same through a cursor, which remembers the participant
         * before; half the time the same participant is asked again, on
         * another day, which the cursor answers without a lookup. */
        if (cs_survey_find_at(s, &cur, (cs_str){ id, strlen(id) }, day) != w)
            fail_msg("%s on day %d: the cursor found another wave", id,
                     (int)day);
        if (rnd(2)) {
            int32_t d2 = first - 30 + (int32_t)rnd(800);
            if (cs_survey_find_at(s, &cur, (cs_str){ id, strlen(id) }, d2) !=
                cs_survey_find(s, (cs_str){ id, strlen(id) }, d2))
                fail_msg("%s on day %d after day %d: the cursor found "
                         "another wave", id, (int)d2, (int)day);
        }
        /* The cursor also keeps the wave and the days it covers: every
         * wave's first day, the day before and the day after, in turn,
         * must find what the lookup finds. */
        if (q < 20000)
            for (int k = 0; k < NWAVE; k++)
                for (int32_t dd = -1; dd <= 1; dd++) {
                    int32_t d3 = days[p][k] + dd;
                    if (cs_survey_find_at(s, &cur, (cs_str){ id, strlen(id) },
                                          d3) !=
                        cs_survey_find(s, (cs_str){ id, strlen(id) }, d3))
                        fail_msg("%s on day %d: the cursor kept another "
                                 "wave", id, (int)d3);
                }
        if (w->age_years != 20 + best || w->day != days[p][best])
            fail_msg("%s on day %d: wave %d, expected %d", id, (int)day,
                     w->age_years - 20, best);
        assert_int_equal(w->participant_id.len, 6);
        assert_memory_equal(w->participant_id.ptr, id, 6);
    }
    /* Ids that are not there, also right after one that is. */
    assert_null(cs_survey_find_at(s, &cur, CS_STR("Q10000"), first));
    assert_null(cs_survey_find(s, CS_STR("Q10000"), first));
    assert_null(cs_survey_find(s, CS_STR("Q0000"), first));
    assert_null(cs_survey_find(s, CS_STR("Q000000"), first));
    /* Latest waves in order of first appearance: the file starts with
     * every participant once, in order. */
    for (size_t i = 0; i < NPART; i += 997) {
        const cs_wave *w = cs_survey_latest(s, i);
        int32_t mx = days[i][0];
        for (int k = 1; k < NWAVE; k++)
            mx = days[i][k] > mx ? days[i][k] : mx;
        assert_int_equal(w->day, mx);
    }
    cs_survey_free(s);
    remove_file(path);
}

static void test_join_many(void **state)
{
    (void)state;
    join_many(0);
}

static void test_join_many_grouped(void **state)
{
    (void)state;
    join_many(1);
}

/* ---- the table against a brute force, rows in every order ------------ */

#define OP 300      /* participants */
#define OW 6        /* rows each at most */

/* The rows of one participant-order test: participant, day, and the row's
 * line in the file (also its calcium_mg, which tells the waves apart). */
typedef struct orow {
    int p, line;
    int32_t day;
} orow;

static void swap_rows(orow *a, orow *b)
{
    orow t = *a;
    *a = *b;
    *b = t;
}

/* Rows of OP participants, 1 to OW each on days drawn from 12 (so many
 * repeat a day of their participant), in one of the orders a survey
 * comes in. order 0: grouped by participant, each in date order (the
 * generator's file); 1: grouped, the dates in random order; 2: every row
 * anywhere; 3: the first half grouped in date order, then the rest and a
 * few more rows of the first half, anywhere. Ids rise with the
 * participant when rising is set, else not. */
static size_t order_rows(orow *r, int order)
{
    size_t n = 0, half = 0;

    for (int p = 0; p < OP; p++) {
        int k = 1 + (int)rnd(OW);
        size_t a = n;
        for (int j = 0; j < k; j++)
            r[n++] = (orow){ p, 0, 19700 + 30 * (int32_t)rnd(12) };
        for (size_t i = a + 1; order != 1 && i < n; i++)  /* date order */
            for (size_t b = i; b > a && r[b].day < r[b - 1].day; b--)
                swap_rows(&r[b], &r[b - 1]);
        if (p == OP / 2 - 1)
            half = n;
    }
    if (order == 3)     /* late rows of the first half */
        for (int j = 0; j < 40; j++)
            r[n++] = (orow){ (int)rnd(OP / 2), 0,
                             19700 + 30 * (int32_t)rnd(12) };
    for (size_t i = order == 2 ? 0 : order == 3 ? half : n; i < n; i++)
        swap_rows(&r[i], &r[i + rnd((uint32_t)(n - i))]);
    for (size_t i = 0; i < n; i++)
        r[i].line = (int)i + 2;
    return n;
}

/* The answer the contract gives for participant p on day: of the rows
 * of p accepted (the first of each date), the latest dated on or before
 * day, else the earliest; its line, or 0 when p has none. */
static int brute_wave(const orow *r, const unsigned char *kept, size_t n,
                      int p, int32_t day)
{
    int best = -1, earliest = -1;

    for (size_t i = 0; i < n; i++) {
        if (!kept[i] || r[i].p != p)
            continue;
        if (r[i].day <= day && (best < 0 || r[i].day > r[best].day))
            best = (int)i;
        if (earliest < 0 || r[i].day < r[earliest].day)
            earliest = (int)i;
    }
    if (best < 0)
        best = earliest;
    return best < 0 ? 0 : r[best].line;
}

static void join_order(int order, int rising)
{
    static orow r[OP * OW + 64];
    static unsigned char kept[OP * OW + 64];
    size_t n = order_rows(r, order), cap = n * 120 + 512, len = 0, nkept = 0;
    char *text = malloc(cap), *path, *log = write_file("orej.csv", ""), *got;
    const char *at;
    cs_survey *s = NULL;
    cs_rejlog *rej = NULL;
    cs_error err = {0};
    cs_survey_cursor cur = { 0 };
    cs_buf fmt;

    assert_non_null(text);
    len += (size_t)sprintf(text, "%s", HEADER);
    for (size_t i = 0; i < n; i++) {
        char date[16];
        kept[i] = 1;
        for (size_t j = 0; j < i; j++)
            if (kept[j] && r[j].p == r[i].p && r[j].day == r[i].day)
                kept[i] = 0;
        nkept += kept[i];
        cs_fmt_date(date, sizeof date, r[i].day);
        len += (size_t)snprintf(text + len, cap - len,
            "O%04d,%s,F,40,5,6,150,light,trained,no,yes,,0,%d,2500\n",
            rising ? r[i].p : (r[i].p * 7919) % 10007, date, r[i].line);
    }
    path = write_file("order.csv", text);
    free(text);
    assert_int_equal(cs_rejlog_open(&rej, log, &err), CS_OK);
    assert_int_equal(cs_survey_load(&s, path, rej, &err), CS_OK);
    assert_int_equal(cs_rejlog_close(rej, &err), CS_OK);
    assert_int_equal(cs_survey_waves(s), nkept);
    assert_int_equal(cs_survey_counts(s).rejected, n - nkept);
    /* The rows of a date already taken, each in the log, in file order. */
    got = read_all(log);
    at = strchr(got, '\n');
    for (size_t i = 0; i < n; i++) {
        char want[64];
        if (kept[i])
            continue;
        assert_non_null(at);
        snprintf(want, sizeof want, "\n%s,%d,%d,survey_date,", path,
                 r[i].line, r[i].line - 1);
        if (strncmp(at, want, strlen(want)) != 0)
            fail_msg("order %d: the log has %.60s where line %d belongs",
                     order, at, r[i].line);
        at = strchr(at + 1, '\n');
    }
    assert_true(at && at[1] == '\0');
    free(got);
    /* Every participant on every day around its rows' days. */
    for (int p = 0; p < OP; p++) {
        char id[16];
        snprintf(id, sizeof id, "O%04d", rising ? p : (p * 7919) % 10007);
        for (int32_t day = 19690; day <= 20050; day += 5) {
            int want = brute_wave(r, kept, n, p, day);
            const cs_wave *w = cs_survey_find(s, (cs_str){ id, strlen(id) },
                                              day);
            if ((want == 0) != (w == NULL) ||
                (w && (int)w->calcium_mg != want))
                fail_msg("order %d: %s on day %d: line %d, expected %d",
                         order, id, (int)day, w ? (int)w->calcium_mg : 0,
                         want);
            if (cs_survey_find_at(s, &cur, (cs_str){ id, strlen(id) }, day)
                != w)
                fail_msg("order %d: %s on day %d: the cursor differs",
                         order, id, (int)day);
        }
    }
    /* Latest waves in order of first appearance, and each wave's text
     * as cs_join_format_wave writes it. */
    cs_buf_init(&fmt, 0);
    for (size_t i = 0, np = 0; i < n; i++) {
        const cs_wave *w;
        cs_str t;
        int first = 1;
        for (size_t j = 0; j < i; j++)
            first &= r[j].p != r[i].p;
        if (!first)
            continue;
        assert_true(np < cs_survey_count(s));
        w = cs_survey_latest(s, np++);
        assert_int_equal((int)w->calcium_mg,
                         brute_wave(r, kept, n, r[i].p, INT32_MAX));
        t = cs_survey_wave_text(s, w);
        cs_buf_reset(&fmt);
        assert_int_equal(cs_join_format_wave(&fmt, w), CS_OK);
        assert_int_equal(t.len, fmt.len);
        assert_memory_equal(t.ptr, fmt.ptr, t.len);
        assert_ptr_equal(cs_survey_wave_text(s, w).ptr, t.ptr);
    }
    cs_buf_dispose(&fmt);
    cs_survey_free(s);
    remove_file(path);
    remove_file(log);
}

/* The table keeps waves grouped as they came, links them once they stop
 * coming grouped, and sorts a participant's dates only when needed: every
 * way must give the brute force's waves and rejects. */
static void test_join_orders(void **state)
{
    (void)state;
    for (int rep = 0; rep < 4; rep++)
        for (int order = 0; order < 4; order++)
            for (int rising = 0; rising < 2; rising++)
                join_order(order, rising);
}

/* ---- cs_join_session's cursor test against cs_survey_find ------------- */

/* Ids of every length from 1 to 24 (both sides of the 16 bytes the
 * inline comparison takes), some differing only in their last byte or
 * only in their first, three waves each; sessions in runs of one
 * participant on random days. cs_join_session's answer (all have waves:
 * no reject, so no ingest is needed) is cs_survey_find's. */
static void test_join_session_cursor(void **state)
{
    enum { NP = 48 };
    static const int wave_days[3] = { 19700, 19800, 19900 };
    char ids[NP][32], *text, *path;
    size_t cap = 64 * 1024, len = 0;
    cs_survey *s = NULL;
    cs_error err = {0};
    cs_survey_cursor cur = { 0 };
    uint64_t x = 88172645463325252ULL;
    int p = 0;

    (void)state;
    text = malloc(cap);
    assert_non_null(text);
    len += (size_t)sprintf(text, "%s", HEADER);
    for (int i = 0; i < NP; i++) {
        int n = i % 24 + 1;
        memset(ids[i], 'P', (size_t)n);
        ids[i][n] = '\0';
        if (i >= 24)
            ids[i][i % 2 ? n - 1 : 0] = 'Q';   /* last or first byte */
        for (int k = 0; k < 3; k++) {
            char date[16];
            cs_fmt_date(date, sizeof date, wave_days[k]);
            len += (size_t)snprintf(text + len, cap - len,
                "%s,%s,M,%d,5,10,170,active,trained,no,no,,0,900,2500\n",
                ids[i], date, 20 + k);
        }
    }
    path = write_file("cursor.csv", text);
    free(text);
    assert_int_equal(cs_survey_load(&s, path, NULL, &err), CS_OK);
    assert_int_equal(cs_survey_participants(s), NP);
    for (int q = 0; q < 100000; q++) {
        cs_session ses;
        const cs_wave *want, *got;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (x % 4 == 0)
            p = (int)(x / 4 % NP);
        memset(&ses, 0, sizeof ses);
        ses.participant_id = (cs_str){ ids[p], strlen(ids[p]) };
        ses.day = 19650 + (int32_t)(x / 256 % 300);
        want = cs_survey_find(s, ses.participant_id, ses.day);
        got = cs_join_session(s, &cur, NULL, NULL, &ses, NULL);
        assert_non_null(want);
        if (got != want)
            fail_msg("%s on day %d: another wave", ids[p], (int)ses.day);
    }
    cs_survey_free(s);
    remove_file(path);
}

/* ---- cs_writer_line, the row join writes, against the general calls --- */

/* Rows written to a file through w's calls, read back (NUL-terminated). */
static char *rows_via(int line, size_t *len)
{
    char *path = write_file("rows.csv", "");
    FILE *f = fopen(path, "r+b");
    cs_writer *w;
    cs_error err = {0};
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(cs_writer_open_fd(&w, fileno(f), "rows", NULL, &err),
                     CS_OK);
    /* Cells of every length around the block size and the buffer's, so
     * that rows straddle each flush, and tails from 2 to 181 bytes (each
     * size class of cs__writer_copy_row). */
    for (unsigned i = 0; i < 20000; i++) {
        size_t nc = i % 7 == 0 ? 0 : (i * 37u) % 280 + 1;
        size_t tn = 2 + (i * 13u) % 180;
        /* Of their exact sizes, so that ASan sees a read past either. */
        char *cells = nc ? malloc(nc) : NULL, *tail = malloc(tn);

        assert_true(!nc || cells);
        assert_non_null(tail);
        for (size_t k = 0; k < nc; k++)
            cells[k] = (char)('a' + (i + k) % 26);
        if (nc > 3)
            cells[nc / 2] = ',';    /* cells, not one field: never quoted */
        tail[0] = ',';
        for (size_t k = 1; k + 1 < tn; k++)
            tail[k] = (char)('A' + (i * 3 + k) % 26);
        tail[tn - 1] = '\n';
        if (i % 11 == 5)    /* a row already begun: the slow path */
            cs_writer_plain(w, "x", 1);
        if (line) {
            cs_writer_line(w, cells, nc, tail, tn);
        } else {
            cs_writer_cells(w, cells, nc);
            cs_writer_plain(w, tail + 1, tn - 2);
            cs_writer_end_row(w);
        }
        free(cells);
        free(tail);
    }
    assert_int_equal(cs_writer_close(w, &err), CS_OK);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    remove_file(path);
    *len = (size_t)n;
    return buf;
}

static void test_join_writer_line(void **state)
{
    size_t na, nb;
    char *a, *b;

    (void)state;
    a = rows_via(1, &na);
    b = rows_via(0, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_day_numbers),
        cmocka_unit_test(test_join_wave_choice),
        cmocka_unit_test(test_join_duplicate_counts),
        cmocka_unit_test(test_join_load_reader),
        cmocka_unit_test(test_join_parse_next),
        cmocka_unit_test(test_join_load_errors),
        cmocka_unit_test(test_join_format_wave),
        cmocka_unit_test(test_join_many),
        cmocka_unit_test(test_join_many_grouped),
        cmocka_unit_test(test_join_orders),
        cmocka_unit_test(test_join_writer_line),
        cmocka_unit_test(test_join_session_cursor),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
