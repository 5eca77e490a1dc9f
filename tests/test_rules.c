/* Tests of src/rules.c: the rules-file parser (every key, comments, blank
 * lines, CRLF, spaces), its errors with file, line and column, the format
 * round trip and the fingerprint that partial states carry. */
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
#include <crampstat/rules.h>

#ifndef CS_TEST_DATA
#define CS_TEST_DATA "tests/data"
#endif

/* Every field, compared one by one (the struct has padding). */
static void assert_rules_equal(const cs_rules *a, const cs_rules *b)
{
    assert_int_equal(a->fatigue_unconditioned, b->fatigue_unconditioned);
    assert_true(a->fatigue_seasonal_rpe == b->fatigue_seasonal_rpe);
    assert_true(a->fatigue_long_duration_min == b->fatigue_long_duration_min);
    assert_true(a->fatigue_long_rpe == b->fatigue_long_rpe);
    assert_int_equal(a->tightness_sedentary, b->tightness_sedentary);
    assert_true(a->tightness_warmup_min == b->tightness_warmup_min);
    assert_true(a->heat_index_c == b->heat_index_c);
    assert_true(a->dehydration_fluid_ml_per_h == b->dehydration_fluid_ml_per_h);
    assert_true(a->dehydration_min_duration_min ==
                b->dehydration_min_duration_min);
    assert_true(a->electrolyte_calcium_mg == b->electrolyte_calcium_mg);
    assert_true(a->electrolyte_potassium_mg == b->electrolyte_potassium_mg);
    assert_int_equal(a->outcome, b->outcome);
}

static void test_rules_default(void **state)
{
    cs_rules r;

    (void)state;
    cs_rules_default(&r);
    /* DATA.md section 5. */
    assert_int_equal(r.fatigue_unconditioned, 1);
    assert_true(r.fatigue_seasonal_rpe == 7);
    assert_true(r.fatigue_long_duration_min == 90);
    assert_true(r.fatigue_long_rpe == 7);
    assert_int_equal(r.tightness_sedentary, 1);
    assert_true(r.tightness_warmup_min == 5);
    assert_true(r.heat_index_c == 32);
    assert_true(r.dehydration_fluid_ml_per_h == 400);
    assert_true(r.dehydration_min_duration_min == 30);
    assert_true(r.electrolyte_calcium_mg == 700);
    assert_true(r.electrolyte_potassium_mg == 2000);
    assert_int_equal(r.outcome, CS_OUTCOME_HAMSTRING);
}

/* ---- parsing valid files --------------------------------------------- */

/* Every key once, with the syntax variations a hand-written file has. */
static void test_rules_parse_all_keys(void **state)
{
    static const char text[] =
        "# my rules\r\n"
        "\r\n"
        "fatigue.unconditioned = no\r\n"
        "   fatigue.seasonal_rpe=8   # indented, no spaces around '='\n"
        "\tfatigue.long_duration_min\t=\t120.5\t\n"
        "FATIGUE.LONG_RPE = 6\n"
        "   \n"
        "tightness.sedentary = False\n"
        "tightness.warmup_min = 2.25\n"
        "heat.heat_index_c = -3.5\n"
        "# heat.heat_index_c = 99 (a comment, not a second value)\n"
        "dehydration.fluid_ml_per_h = 250\n"
        "dehydration.min_duration_min = 0\n"
        "electrolyte.calcium_mg = 10000\n"
        "electrolyte.potassium_mg = +1500.0\n"
        "outcome = ANY";   /* no newline at the end */
    cs_rules r, want;
    cs_error err = {0};

    (void)state;
    cs_rules_default(&r);
    assert_int_equal(cs_rules_parse(&r, "my.rules", text, strlen(text), &err),
                     CS_OK);
    assert_int_equal(err.code, CS_OK);
    want.fatigue_unconditioned = 0;
    want.fatigue_seasonal_rpe = 8;
    want.fatigue_long_duration_min = 120.5;
    want.fatigue_long_rpe = 6;
    want.tightness_sedentary = 0;
    want.tightness_warmup_min = 2.25;
    want.heat_index_c = -3.5;
    want.dehydration_fluid_ml_per_h = 250;
    want.dehydration_min_duration_min = 0;
    want.electrolyte_calcium_mg = 10000;
    want.electrolyte_potassium_mg = 1500;
    want.outcome = CS_OUTCOME_ANY;
    assert_rules_equal(&r, &want);
}

/* Keys left out keep the value they had (not the default). */
static const struct {
    const char *name, *text;
    double heat, warmup;
    int sedentary, outcome;
} partial_cases[] = {
    { "empty", "", 30, 7, 0, CS_OUTCOME_ANY },
    { "only comments", "# a\n#b\n   # c\n", 30, 7, 0, CS_OUTCOME_ANY },
    { "only blank lines", "\n\n \t \r\n\r\n", 30, 7, 0, CS_OUTCOME_ANY },
    { "one key", "heat.heat_index_c = 41\n", 41, 7, 0, CS_OUTCOME_ANY },
    { "CRLF and comment", "tightness.warmup_min = 3 # min\r\n", 30, 3, 0,
      CS_OUTCOME_ANY },
    { "bool yes", "tightness.sedentary = yes", 30, 7, 1, CS_OUTCOME_ANY },
    { "bool y", "tightness.sedentary = Y", 30, 7, 1, CS_OUTCOME_ANY },
    { "bool true", "tightness.sedentary = TRUE", 30, 7, 1, CS_OUTCOME_ANY },
    { "bool 1", "tightness.sedentary = 1", 30, 7, 1, CS_OUTCOME_ANY },
    { "bool n", "tightness.sedentary = n", 30, 7, 0, CS_OUTCOME_ANY },
    { "outcome hamstring", "outcome = Hamstring\n", 30, 7, 0,
      CS_OUTCOME_HAMSTRING },
    { "range ends", "heat.heat_index_c = 150\ntightness.warmup_min = 240\n",
      150, 240, 0, CS_OUTCOME_ANY },
    { "range ends low", "heat.heat_index_c = -60\ntightness.sedentary = yes\n"
      "tightness.warmup_min = 0\n", -60, 0, 1, CS_OUTCOME_ANY },
    { "value with '=' after a comment", "heat.heat_index_c = 33 # = 91.4 F\n",
      33, 7, 0, CS_OUTCOME_ANY },
    /* A UTF-8 byte order mark before the first key (it was read as part
     * of the key: "unknown key"). */
    { "byte order mark", "\xef\xbb\xbfheat.heat_index_c = 33\n", 33, 7, 0,
      CS_OUTCOME_ANY },
};

static void test_rules_parse_over(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof partial_cases / sizeof partial_cases[0]; i++) {
        cs_rules r;
        cs_error err = {0};
        print_message("case %s\n", partial_cases[i].name);
        cs_rules_default(&r);
        r.heat_index_c = 30;
        r.tightness_warmup_min = 7;
        r.tightness_sedentary = 0;
        r.outcome = CS_OUTCOME_ANY;
        assert_int_equal(cs_rules_parse(&r, "p.rules", partial_cases[i].text,
                                        strlen(partial_cases[i].text), &err),
                         CS_OK);
        assert_true(r.heat_index_c == partial_cases[i].heat);
        assert_true(r.tightness_warmup_min == partial_cases[i].warmup);
        assert_int_equal(r.tightness_sedentary, partial_cases[i].sedentary);
        assert_int_equal(r.outcome, partial_cases[i].outcome);
        /* Untouched keys. */
        assert_true(r.fatigue_seasonal_rpe == 7);
        assert_true(r.electrolyte_potassium_mg == 2000);
    }
}

/* ---- errors ------------------------------------------------------------ */

static const struct {
    const char *name, *text;
    unsigned long line, col;
    const char *msg;        /* substring of err.msg */
} errors[] = {
    { "unknown key", "fatigue.foo = 1\n", 1, 1,
      "unknown key \"fatigue.foo\"" },
    { "unknown key, indented", "\n  heat.index = 3\n", 2, 3,
      "unknown key \"heat.index\"" },
    { "unknown key, tab", "\tfoo=1", 1, 2, "unknown key \"foo\"" },
    { "unknown key after CRLF lines", "outcome = any\r\n\r\nbogus = 1\r\n",
      3, 1, "unknown key \"bogus\"" },
    /* "heat.heat_index_c = " is 20 bytes: the value is at column 21. */
    { "bad number", "heat.heat_index_c = abc\n", 1, 21,
      "heat.heat_index_c: \"abc\" is not a number" },
    { "exponent", "heat.heat_index_c = 3e1\n", 1, 21, "is not a number" },
    { "two numbers", "heat.heat_index_c = 30 31\n", 1, 21, "is not a number" },
    { "comma decimal", "heat.heat_index_c = 30,5\n", 1, 21,
      "is not a number" },
    { "nan", "heat.heat_index_c = nan\n", 1, 21, "is not a number" },
    /* "fatigue.seasonal_rpe = " is 23 bytes. */
    { "above range", "fatigue.seasonal_rpe = 11\n", 1, 24,
      "fatigue.seasonal_rpe: 11 is outside 1 ... 10" },
    /* intensity_rpe is whole: 7.5 acted as 8 without a word. */
    { "half an rpe", "fatigue.seasonal_rpe = 7.5\n", 1, 24,
      "fatigue.seasonal_rpe: 7.5 is not a whole number (intensity_rpe is 1 "
      "to 10 in steps of 1)" },
    { "half an rpe, long", "fatigue.long_rpe = 8.01\n", 1, 20,
      "fatigue.long_rpe: 8.01 is not a whole number" },
    /* "dose.intensity_rpe = 1, " is 24 bytes. */
    { "half an rpe band", "dose.intensity_rpe = 1, 4.5\n", 1, 25,
      "dose.intensity_rpe: 4.5 is not a whole number" },
    /* the BOM is not a column: "heat.heat_index_c = " after it. */
    { "bad number after a byte order mark", "\xef\xbb\xbfheat.heat_index_c = x\n",
      1, 21, "heat.heat_index_c: \"x\" is not a number" },
    { "below range", "fatigue.seasonal_rpe = 0.5\n", 1, 24,
      "fatigue.seasonal_rpe: 0.5 is outside 1 ... 10" },
    { "negative minutes", "# x\ntightness.warmup_min = -1\n", 2, 24,
      "tightness.warmup_min: -1 is outside 0 ... 240" },
    { "minutes above a day", "fatigue.long_duration_min = 1440.5", 1, 29,
      "outside 0 ... 1440" },
    { "intake above 10000", "electrolyte.calcium_mg = 10001", 1, 26,
      "electrolyte.calcium_mg: 10001 is outside 0 ... 10000" },
    { "heat above 150", "heat.heat_index_c = 150.01", 1, 21,
      "outside -60 ... 150" },
    { "bad boolean", "tightness.sedentary = maybe\n", 1, 23,
      "tightness.sedentary: \"maybe\" is not yes or no" },
    { "bad outcome", "outcome = calf\n", 1, 11,
      "outcome: \"calf\" is not hamstring or any" },
    { "given twice", "heat.heat_index_c = 30\n# c\nHEAT.heat_index_c = 31\n",
      3, 1, "heat.heat_index_c is given twice (first on line 1)" },
    { "given twice, same value",
      "outcome = any\noutcome = any\n", 2, 1,
      "outcome is given twice (first on line 1)" },
    { "missing '='", "\n\nheat.heat_index_c 30\n", 3, 1,
      "expected \"key = value\"" },
    { "missing '=', indented", "   outcome any\r\n", 1, 4,
      "expected \"key = value\"" },
    { "'=' only in a comment", "outcome # = any\n", 1, 1,
      "expected \"key = value\"" },
    /* The value column is just after '=' (column 20). */
    { "missing value", "heat.heat_index_c =   # none\n", 1, 20,
      "heat.heat_index_c: the value is missing" },
    { "missing value, CRLF", "outcome=\r\n", 1, 9,
      "outcome: the value is missing" },
    { "missing key", "= 3\n", 1, 1, "unknown key \"\"" },
    { "contradictory tightness",
      "tightness.sedentary = no\ntightness.warmup_min = 0\n", 2, 1,
      "tightness can never be exposed" },
    { "contradictory tightness, other order",
      "tightness.warmup_min = 0\n  tightness.sedentary = no\n", 2, 3,
      "tightness can never be exposed" },
    { "contradictory dehydration", "dehydration.fluid_ml_per_h = 0\n", 1, 1,
      "dehydration can never be exposed" },
    { "contradictory electrolyte",
      "electrolyte.calcium_mg = 0\n\nelectrolyte.potassium_mg = 0\n", 3, 1,
      "electrolyte can never be exposed" },
    /* The first error wins: line 1 is reported, not line 2. */
    { "two errors", "a = 1\nb = 2\n", 1, 1, "unknown key \"a\"" },
};

static void test_rules_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        cs_rules r;
        cs_error err = {0};
        print_message("case %s\n", errors[i].name);
        cs_rules_default(&r);
        assert_int_equal(cs_rules_parse(&r, "bad.rules", errors[i].text,
                                        strlen(errors[i].text), &err),
                         CS_EPARSE);
        assert_int_equal(err.code, CS_EPARSE);
        assert_string_equal(err.src, "bad.rules");
        assert_int_equal(err.line, errors[i].line);
        assert_int_equal(err.col, errors[i].col);
        if (!strstr(err.msg, errors[i].msg))
            fail_msg("case %s: message \"%s\" lacks \"%s\"", errors[i].name,
                     err.msg, errors[i].msg);
    }
}

/* Only one threshold at 0 is not a contradiction: the other can still be
 * exposed. */
static void test_rules_not_contradictory(void **state)
{
    static const char *const ok[] = {
        "electrolyte.calcium_mg = 0\n",
        "electrolyte.potassium_mg = 0\n",
        "tightness.warmup_min = 0\n",             /* sedentary still counts */
        "tightness.sedentary = no\n",             /* warm-up < 5 still counts */
        "dehydration.min_duration_min = 0\n",
        "fatigue.unconditioned = no\n",
    };

    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cs_rules r;
        cs_error err = {0};
        cs_rules_default(&r);
        print_message("case %s", ok[i]);
        assert_int_equal(cs_rules_parse(&r, "ok.rules", ok[i], strlen(ok[i]),
                                        &err), CS_OK);
    }
}

/* ---- files ------------------------------------------------------------ */

static char *write_temp(const char *content, size_t len)
{
    char *path = strdup("/tmp/test_rules_XXXXXX");
    int fd = mkstemp(path);
    FILE *f;

    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* A file of n bytes: comment lines, then one key. */
static char *file_of_size(size_t n)
{
    static const char key[] = "heat.heat_index_c = 35\n";
    char *text = malloc(n);
    char *path;

    assert_non_null(text);
    memset(text, '#', n);
    for (size_t i = 79; i < n; i += 80)
        text[i] = '\n';
    memcpy(text + n - (sizeof key - 1), key, sizeof key - 1);
    text[n - sizeof key] = '\n';
    path = write_temp(text, n);
    free(text);
    return path;
}

static void test_rules_load(void **state)
{
    cs_rules r;
    cs_error err = {0};
    char *path;

    (void)state;
    /* A missing file. */
    cs_rules_default(&r);
    assert_int_equal(cs_rules_load(&r, "/nonexistent/x.rules", &err), CS_ENOENT);
    assert_string_equal(err.src, "/nonexistent/x.rules");

    /* An error in a file names the path. */
    path = write_temp("outcome = any\nfatigue.long_rpe = 0\n", 35);
    memset(&err, 0, sizeof err);
    cs_rules_default(&r);
    assert_int_equal(cs_rules_load(&r, path, &err), CS_EPARSE);
    assert_string_equal(err.src, path);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 20);
    unlink(path);
    free(path);

    /* 64 KiB is the limit: a file of exactly 65536 bytes loads... */
    path = file_of_size(65536);
    memset(&err, 0, sizeof err);
    cs_rules_default(&r);
    assert_int_equal(cs_rules_load(&r, path, &err), CS_OK);
    assert_true(r.heat_index_c == 35);
    unlink(path);
    free(path);

    /* ... and one byte more does not. */
    path = file_of_size(65537);
    memset(&err, 0, sizeof err);
    assert_int_equal(cs_rules_load(&r, path, &err), CS_ELIMIT);
    assert_non_null(strstr(err.msg, "larger than 64 KiB"));
    unlink(path);
    free(path);
}

/* ---- format and fingerprint ------------------------------------------ */

static void test_rules_format_default(void **state)
{
    cs_rules r;
    cs_buf b;
    FILE *f;
    char want[8192];
    size_t n;

    (void)state;
    cs_rules_default(&r);
    cs_buf_init(&b, 0);
    assert_int_equal(cs_rules_format(&r, &b), CS_OK);
    /* The documented example is exactly this output. */
    f = fopen(CS_TEST_DATA "/../../docs/example.rules", "rb");
    assert_non_null(f);
    n = fread(want, 1, sizeof want, f);
    fclose(f);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.ptr, want, n);
    /* A few lines by hand. */
    b.ptr[b.len] = '\0';
    assert_non_null(strstr(b.ptr, "\nfatigue.unconditioned = yes\n"));
    assert_non_null(strstr(b.ptr, "\nheat.heat_index_c = 32\n"));
    assert_non_null(strstr(b.ptr, "\nelectrolyte.potassium_mg = 2000\n"));
    assert_non_null(strstr(b.ptr, "\noutcome = hamstring\n"));
    cs_buf_dispose(&b);
}

/* format -> parse gives the same rules, to the bit. */
static const struct {
    const char *name;
    double heat, warmup, calcium, fluid;
} round_trips[] = {
    { "defaults", 32, 5, 700, 400 },
    { "simple decimals", 30.5, 2.25, 650.75, 399.9 },
    { "0.1 and friends", 0.1, 0.3, 0.7, 1.1 },
    { "negative", -12.125, 0, 0, 100000 },
    { "tiny", 1e-5, 0.0001, 1e-300, 5e-324 },
    { "17 significant digits", 32.000000000000007, 4.9999999999999991,
      699.99999999999989, 399.90000000000003 },
};

static void test_rules_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof round_trips / sizeof round_trips[0]; i++) {
        cs_rules r, back;
        cs_buf b, fa, fb;
        cs_error err = {0};

        print_message("case %s\n", round_trips[i].name);
        cs_rules_default(&r);
        r.fatigue_unconditioned = 0;
        r.fatigue_seasonal_rpe = 9;
        r.fatigue_long_duration_min = 75.5;
        r.fatigue_long_rpe = 6;
        r.tightness_sedentary = 0;
        r.heat_index_c = round_trips[i].heat;
        r.tightness_warmup_min = round_trips[i].warmup;
        r.electrolyte_calcium_mg = round_trips[i].calcium;
        r.dehydration_fluid_ml_per_h = round_trips[i].fluid;
        r.dehydration_min_duration_min = 20;
        r.electrolyte_potassium_mg = 2500;
        r.outcome = CS_OUTCOME_ANY;
        if (r.tightness_warmup_min == 0)
            r.tightness_sedentary = 1;   /* not contradictory */
        cs_buf_init(&b, 0);
        assert_int_equal(cs_rules_format(&r, &b), CS_OK);
        cs_rules_default(&back);
        if (cs_rules_parse(&back, "fmt", b.ptr, b.len, &err) != CS_OK)
            fail_msg("case %s: %lu:%lu: %s", round_trips[i].name, err.line,
                     err.col, err.msg);
        assert_rules_equal(&back, &r);
        /* The same fingerprint too. */
        cs_buf_init(&fa, 0);
        cs_buf_init(&fb, 0);
        assert_int_equal(cs_rules_fingerprint(&r, &fa), CS_OK);
        assert_int_equal(cs_rules_fingerprint(&back, &fb), CS_OK);
        assert_int_equal(fa.len, fb.len);
        assert_memory_equal(fa.ptr, fb.ptr, fa.len);
        cs_buf_dispose(&fa);
        cs_buf_dispose(&fb);
        cs_buf_dispose(&b);
    }
}

static void test_rules_fingerprint(void **state)
{
    static const char want[] =
        "fatigue.unconditioned=yes;fatigue.seasonal_rpe=7;"
        "fatigue.long_duration_min=90;fatigue.long_rpe=7;"
        "tightness.sedentary=yes;tightness.warmup_min=5;"
        "heat.heat_index_c=32;dehydration.fluid_ml_per_h=400;"
        "dehydration.min_duration_min=30;electrolyte.calcium_mg=700;"
        "electrolyte.potassium_mg=2000;outcome=hamstring";
    cs_rules r;
    cs_buf b;

    (void)state;
    cs_rules_default(&r);
    cs_buf_init(&b, 0);
    assert_int_equal(cs_rules_fingerprint(&r, &b), CS_OK);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.ptr, want, b.len);

    /* Every key shows: changing any one changes the text. */
    {
        cs_rules v[12];
        for (int k = 0; k < 12; k++)
            v[k] = r;
        v[0].fatigue_unconditioned = 0;
        v[1].fatigue_seasonal_rpe = 8;
        v[2].fatigue_long_duration_min = 91;
        v[3].fatigue_long_rpe = 8;
        v[4].tightness_sedentary = 0;
        v[5].tightness_warmup_min = 6;
        v[6].heat_index_c = 32.5;
        v[7].dehydration_fluid_ml_per_h = 401;
        v[8].dehydration_min_duration_min = 31;
        v[9].electrolyte_calcium_mg = 701;
        v[10].electrolyte_potassium_mg = 2001;
        v[11].outcome = CS_OUTCOME_ANY;
        for (int k = 0; k < 12; k++) {
            cs_buf o;
            cs_buf_init(&o, 0);
            assert_int_equal(cs_rules_fingerprint(&v[k], &o), CS_OK);
            assert_false(o.len == b.len && memcmp(o.ptr, b.ptr, b.len) == 0);
            cs_buf_dispose(&o);
        }
    }
    /* Two rules that differ in the 17th digit have different prints:
     * states made with them must not be merged. */
    {
        cs_buf o;
        r.heat_index_c = 32.000000000000007;
        cs_buf_init(&o, 0);
        assert_int_equal(cs_rules_fingerprint(&r, &o), CS_OK);
        assert_false(o.len == b.len && memcmp(o.ptr, b.ptr, b.len) == 0);
        cs_buf_dispose(&o);
    }
    cs_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_default),
        cmocka_unit_test(test_rules_parse_all_keys),
        cmocka_unit_test(test_rules_parse_over),
        cmocka_unit_test(test_rules_errors),
        cmocka_unit_test(test_rules_not_contradictory),
        cmocka_unit_test(test_rules_load),
        cmocka_unit_test(test_rules_format_default),
        cmocka_unit_test(test_rules_round_trip),
        cmocka_unit_test(test_rules_fingerprint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
