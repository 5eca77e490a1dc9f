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
#include <crampstat/cluster.h>

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

/* Text i of length n, in letters, unlike the others' starts. */
static void text_of(char *b, size_t n, unsigned salt)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (char)('a' + (i * 7 + n * 3 + salt) % 26);
    b[n] = '\0';
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The participant id and the --by and --adjust values reach the counting
 * side whole, whatever their lengths (1 to 64 bytes, copied into the
 * handoff one after the other): the participants the cluster state
 * holds, and the strata and adjustment levels, are the texts written. */
static void values_of_every_length(void **state)
{
    enum { N = 64 };
    char *sv_text = malloc(sizeof survey + N * 200), *ex_text = malloc(
        sizeof exercise + N * 200);
    char *pid[N], *act[N], *sv, *ex;
    const char *files[1];
    size_t sl, el;
    cs_rules rules;
    cs_chain_opts o = {0};
    cs_chain *c = NULL;
    cs_error err = {0};

    (void)state;
    assert_non_null(sv_text);
    assert_non_null(ex_text);
    sl = (size_t)sprintf(sv_text, "%s", SV_HEADER);
    el = (size_t)sprintf(ex_text, "%s", EX_HEADER);
    for (unsigned i = 0; i < N; i++) {
        pid[i] = malloc(N + 1);
        act[i] = malloc(N + 1);
        assert_non_null(pid[i]);
        assert_non_null(act[i]);
        text_of(pid[i], i + 1, 0);
        text_of(act[i], (N - i) % 50 + 1, 5);
        sl += (size_t)sprintf(sv_text + sl, "%s,2024-01-01,F,30,5,6,150,"
                              "light,trained,no,no,,0,900,2500\n", pid[i]);
        el += (size_t)sprintf(ex_text + el, "%s,S%u,2024-06-03,%s,30,5,25,50,500,10,no,"
                              "%s\n", pid[i], i, act[i],
                              i % 3 ? "no," : "yes,calf");
    }
    sv = write_file("survey.csv", sv_text);
    ex = write_file("exercise.csv", ex_text);
    files[0] = ex;
    cs_rules_default(&rules);
    o.survey = sv;
    o.exercise = files;
    o.nexercise = 1;
    o.rules = &rules;
    o.cluster = 1;
    o.by = "participant_id";
    o.adjust = "activity";
    assert_int_equal(cs_chain_open(&c, &o, &err), CS_OK);
    assert_int_equal(cs_chain_run(c, NULL, &err), CS_OK);
    assert_int_equal(c->counted, N);
    qsort(pid, N, sizeof *pid, by_name);
    qsort(act, N, sizeof *act, by_name);
    assert_int_equal(cs_clu_participants(c->agg.clu), N);
    assert_int_equal(c->agg.nstrata, N);
    for (size_t i = 0; i < N; i++) {
        cs_str id = cs_clu_id(c->agg.clu, i);
        assert_int_equal(id.len, strlen(pid[i]));
        assert_memory_equal(id.ptr, pid[i], id.len);
        assert_string_equal(c->agg.strata[i].name, pid[i]);
        assert_int_equal(c->agg.strata[i].cell[0][0].sessions +
                         c->agg.strata[i].cell[0][1].sessions +
                         c->agg.strata[i].cell[0][2].sessions, 1);
    }
    /* the activities: 50 distinct lengths, some twice */
    for (size_t i = 0, k = 0; i < N; i++) {
        if (i > 0 && strcmp(act[i], act[i - 1]) == 0)
            continue;
        assert_true(k < c->agg.nadj);
        assert_string_equal(c->agg.adj[k++].name, act[i]);
        if (i == N - 1)
            assert_int_equal(k, c->agg.nadj);
    }
    assert_int_equal(cs_chain_close(c, &err), CS_OK);
    for (size_t i = 0; i < N; i++) {
        free(pid[i]);
        free(act[i]);
    }
    remove_file(sv);
    remove_file(ex);
    free(sv_text);
    free(ex_text);
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
        cmocka_unit_test(values_of_every_length),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
