/* Tests of src/chain.c: the counts of a run over small files written
 * here, worked out row by row in the comments. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <crampstat/chain.h>

#define SV_HEADER "participant_id,survey_date,sex,age_years,height_ft," \
                  "height_in,weight_lb,activity_level,conditioning," \
                  "seasonal_sport,stretch_routine,conditions,calorie_goal," \
                  "calcium_mg,potassium_mg\n"
#define EX_HEADER "participant_id,session_id,start_time,activity," \
                  "duration_min,intensity_rpe,temp_c,humidity_pct,fluid_ml," \
                  "warmup_min,stretched,cramp,cramp_muscle\n"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_chain_XXXXXX");
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

/* Survey: A and B. Exercise: A's S1 and S2 join; C's S3 has no survey
 * row (rejected by join); S1 again is a duplicate (rejected by ingest).
 * So 4 read, 2 joined, 2 rejected, 1 of them for want of a survey row,
 * 2 tagged and 2 counted. */
static const char survey[] = SV_HEADER
    "A,2024-01-01,F,30,5,6,150,light,trained,no,no,,0,900,2500\n"
    "B,2024-01-01,M,40,6,0,180,active,trained,no,no,,0,900,2500\n";
static const char exercise[] = EX_HEADER
    "A,S1,2024-06-03,run,30,5,,,,,,no,\n"
    "A,S2,2024-06-04,run,45.5,5,,,,,,yes,hamstring\n"
    "C,S3,2024-06-04,run,30,5,,,,,,no,\n"
    "A,S1,2024-06-05,run,30,5,,,,,,no,\n";

static void counts_and_left_out(void **state)
{
    char *sv = write_file("survey.csv", survey);
    char *ex = write_file("exercise.csv", exercise);
    char missing[96];
    const char *files[2] = { ex, missing };
    cs_rules rules;
    cs_chain_opts o = {0};
    cs_chain *c = NULL;
    cs_error err = {0};

    (void)state;
    snprintf(missing, sizeof missing, "%s/none.csv", dir);
    cs_rules_default(&rules);
    o.survey = sv;
    o.exercise = files;
    o.nexercise = 2;
    o.rules = &rules;
    o.cluster = 1;
    o.keep_going = 1;
    assert_int_equal(cs_chain_open(&c, &o, &err), CS_OK);
    assert_int_equal(cs_chain_run(c, NULL, &err), CS_OK);
    assert_int_equal(c->read, 4);
    assert_int_equal(c->joined, 2);
    assert_int_equal(c->rejected, 2);
    assert_int_equal(c->no_survey, 1);
    assert_int_equal(c->tagged, 2);
    assert_int_equal(c->counted, 2);
    assert_int_equal(c->agg.rows, 2);
    /* The survey and the file read; the missing one left out. */
    assert_int_equal(c->ninputs, 2);
    assert_int_equal(c->inputs[0].counts.accepted, 2);
    assert_int_equal(c->nleft, 1);
    assert_string_equal(c->left[0].path, missing);
    assert_int_equal(c->left[0].rows, 0);
    assert_non_null(strstr(c->left[0].why, "none.csv"));
    assert_int_equal(cs_chain_close(c, &err), CS_OK);

    /* Without keep_going the missing file ends the run. */
    o.keep_going = 0;
    assert_int_equal(cs_chain_open(&c, &o, &err), CS_OK);
    assert_int_equal(cs_chain_run(c, NULL, &err), CS_ENOENT);
    assert_int_equal(c->nleft, 0);
    cs_chain_close(c, &err);
    remove_file(sv);
    remove_file(ex);
}

static void by_column_checked(void **state)
{
    const char *files[1] = { "x.csv" };
    cs_rules rules;
    cs_chain_opts o = {0};
    cs_chain *c = NULL;
    cs_error err = {0};

    (void)state;
    cs_rules_default(&rules);
    o.survey = "s.csv";
    o.exercise = files;
    o.nexercise = 1;
    o.rules = &rules;
    o.by = "temp_c";    /* a number: tag's output has it, the chain not */
    assert_int_equal(cs_chain_open(&c, &o, &err), CS_EUSAGE);
    assert_null(c);
    assert_non_null(strstr(err.msg, "\"temp_c\""));
    cs_error_clear(&err);
    o.by = "age_band";
    o.adjust = "Activity";  /* names are case-insensitive */
    assert_int_equal(cs_chain_open(&c, &o, &err), CS_OK);
    assert_int_equal(cs_chain_close(c, &err), CS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_and_left_out),
        cmocka_unit_test(by_column_checked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
