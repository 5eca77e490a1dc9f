/* Tests of src/filter.c: the expression language of `crampstat filter`,
 * compiled against one header and matched against rows written inline. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/filter.h>

/* Names are matched trimmed and case-insensitively: " Total " is total. */
static const char *const header_names[] = {
    "sport", "age", "score", "start_time", "day", "name", "heart rate",
    "sex", "cramp", "note", " Total ", "in", "Dup", "dup ",
};
#define NCOLS (sizeof header_names / sizeof header_names[0])

/* Rows are written with '|' between fields, in header order. */
#define ROW    "soccer|40|10|2024-06-01T10:00|2024-06-01|O'Brien|150|F|yes|" \
               "a \"b\"|7|x|1|2"
#define MISS   "soccer||  |NA|n/a|x|150|F|no|N/A|7|x|1|2"
#define ZONED  "soccer|40|10|2024-06-01T10:00+02:00|2024-06-01|x|150|F|no|" \
               "x|7|x|1|2"
#define BLANKS " soccer |  40 |10|2024-06-01T10:00|2024-06-01|x|150| F |no|" \
               "x|7|x|1|2"
#define SHORT  "soccer|40"

static const struct {
    const char *expr, *row;
    int keep;
} cases[] = {
    /* every comparison operator, numerically */
    { "age = 40",            ROW, 1 },
    { "age = 40.0",          ROW, 1 },
    { "age == 40",           ROW, 1 },
    { "age = '40'",          ROW, 1 },   /* quotes do not force text */
    { "age = +40",           ROW, 1 },
    { "age != 40",           ROW, 0 },
    { "age != 41",           ROW, 1 },
    { "age <> 40",           ROW, 0 },
    { "age < 41",            ROW, 1 },
    { "age < 40",            ROW, 0 },
    { "age <= 40",           ROW, 1 },
    { "age <= 39.99",        ROW, 0 },
    { "age > 39",            ROW, 1 },
    { "age > 40",            ROW, 0 },
    { "age >= 40",           ROW, 1 },
    { "age >= 40.5",         ROW, 0 },
    { "age > -2.5",          ROW, 1 },
    { "age>=40",             ROW, 1 },
    /* "10" > "9" as numbers, although not as text */
    { "score > 9",           ROW, 1 },
    { "score < 9",           ROW, 0 },
    { "score = 10.000",      ROW, 1 },
    /* a value on the left is mirrored */
    { "41 > age",            ROW, 1 },
    { "40 < age",            ROW, 0 },
    { "40 <= age",           ROW, 1 },
    { "40 <= `age`",         ROW, 1 },
    { "'soccer' = sport",    ROW, 1 },
    { "'Soccer' < sport",    ROW, 1 },
    { "2024-06-01T09:00 < start_time", ROW, 1 },
    { "2024-05-31 < day",    ROW, 1 },
    /* text, bytewise and case-sensitive */
    { "sport = soccer",      ROW, 1 },
    { "sport = Soccer",      ROW, 0 },
    { "sport != running",    ROW, 1 },
    { "sport != soccer",     ROW, 0 },
    { "sport < t",           ROW, 1 },
    { "sport > soccer",      ROW, 0 },
    { "sport >= soccer",     ROW, 1 },
    { "sport <= soccer",     ROW, 1 },
    { "sex = F",             ROW, 1 },
    /* dates, and a date as its midnight against date-times */
    { "day = 2024-06-01",    ROW, 1 },
    { "day < 2024-06-02",    ROW, 1 },
    { "day > 2024-05-31",    ROW, 1 },
    { "day >= 2024-06-01",   ROW, 1 },
    { "day > 2024-06-01",    ROW, 0 },
    { "day < 2024-12-31",    ROW, 1 },   /* not text: "06" < "12" anyway */
    { "start_time > 2024-06-01",          ROW, 1 },
    { "start_time = 2024-06-01",          ROW, 0 },
    { "start_time < 2024-06-02",          ROW, 1 },
    { "start_time = 2024-06-01T10:00",    ROW, 1 },
    { "start_time = 2024-06-01T10:00:00", ROW, 1 },
    { "start_time = '2024-06-01 10:00'",  ROW, 1 },
    { "start_time >= 2024-06-01T10:00:01", ROW, 0 },
    { "start_time < 2024-06-01T10:00:01", ROW, 1 },
    /* zones on both sides compare instants; otherwise as written */
    { "start_time = 2024-06-01T08:00Z",      ZONED, 1 },
    { "start_time = 2024-06-01T09:00+01:00", ZONED, 1 },
    { "start_time < 2024-06-01T09:00Z",      ZONED, 1 },
    { "start_time > 2024-06-01T09:00Z",      ZONED, 0 },
    { "start_time = 2024-06-01T10:00",       ZONED, 1 },
    { "start_time > 2024-06-01",             ZONED, 1 },
    { "start_time < 2024-06-01T10:00+02:00", ROW,   0 },
    { "start_time = 2024-06-01T10:00Z",      ROW,   1 },
    /* booleans in any spelling, for equality and lists */
    { "cramp = yes",         ROW, 1 },
    { "cramp = TRUE",        ROW, 1 },
    { "cramp = 1",           ROW, 1 },
    { "cramp = y",           ROW, 1 },
    { "cramp = no",          ROW, 0 },
    { "cramp != no",         ROW, 1 },
    { "cramp in (n, 0)",     ROW, 0 },
    { "cramp in (n, 1)",     ROW, 1 },
    /* in-lists */
    { "sport in (running, soccer)",          ROW, 1 },
    { "sport in ('running', \"cycling\")",   ROW, 0 },
    { "sport in (soccer)",                   ROW, 1 },
    { "age in (39, 40.0, 41)",               ROW, 1 },
    { "age in (39,41)",                      ROW, 0 },
    { "day in (2024-05-01, 2024-06-01)",     ROW, 1 },
    { "sport not in (running, cycling)",     ROW, 1 },
    { "sport NOT IN (soccer)",               ROW, 0 },
    /* is empty, is not empty: empty, blanks, NA and N/A in any case */
    { "age is empty",        MISS, 1 },
    { "score is empty",      MISS, 1 },
    { "start_time IS EMPTY", MISS, 1 },
    { "day is empty",        MISS, 1 },
    { "note is empty",       MISS, 1 },
    { "sport is empty",      MISS, 0 },
    { "sport is not empty",  MISS, 1 },
    { "age is not empty",    MISS, 0 },
    { "age is empty",        ROW,  0 },
    { "age is not empty",    ROW,  1 },
    /* a missing field makes every comparison unknown, != included ... */
    { "age = 40",            MISS, 0 },
    { "age != 40",           MISS, 0 },
    { "age < 40",            MISS, 0 },
    { "age <= 40",           MISS, 0 },
    { "age > 40",            MISS, 0 },
    { "age >= 40",           MISS, 0 },
    { "day < 2024-06-01",    MISS, 0 },
    { "note != x",           MISS, 0 },
    { "age in (40)",         MISS, 0 },
    { "age not in (40)",     MISS, 0 },
    { "age > `score`",       MISS, 0 },
    { "sport != `age`",      MISS, 0 },
    /* ... and unknown stays unknown through not, as in SQL */
    { "not age = 40",                    MISS, 0 },
    { "not (age != 40)",                 MISS, 0 },
    { "not age in (40)",                 MISS, 0 },
    { "age = 40 or sport = soccer",      MISS, 1 },
    { "age = 40 and sport = soccer",     MISS, 0 },
    { "not (age = 40 or sport = soccer)", MISS, 0 },
    { "not (age = 40 and sport = running)", MISS, 1 },
    { "age is empty or age > 30",        MISS, 1 },
    { "not age is empty",                MISS, 0 },
    /* fields past the end of a short row are missing */
    { "sex is empty",        SHORT, 1 },
    { "sex = F",             SHORT, 0 },
    { "sex != F",            SHORT, 0 },
    { "age = 40",            SHORT, 1 },
    /* fields and values are compared trimmed */
    { "sport = soccer",      BLANKS, 1 },
    { "sex = 'F'",           BLANKS, 1 },
    { "age = 40",            BLANKS, 1 },
    { "sport = ' soccer '",  ROW,    1 },
    /* and binds tighter than or; not tighter than both */
    { "sport = running or sport = soccer and age = 40",  ROW, 1 },
    { "sport = soccer or sport = running and age = 99",  ROW, 1 },
    { "(sport = soccer or sport = running) and age = 99", ROW, 0 },
    { "age = 99 and sport = soccer or sex = F",          ROW, 1 },
    { "age = 99 and (sport = soccer or sex = F)",        ROW, 0 },
    { "not sport = running and age = 40",                ROW, 1 },
    { "not sport = soccer or age = 40",                  ROW, 1 },
    { "not (sport = soccer or age = 40)",                ROW, 0 },
    { "not (sport = soccer and age = 99)",               ROW, 1 },
    { "not not sport = soccer",                          ROW, 1 },
    { "not not not sport = soccer",                      ROW, 0 },
    { "sport = a or sport = b or sport = c or age = 40", ROW, 1 },
    { "age > 1 and age > 2 and age > 3 and age > 50",    ROW, 0 },
    /* parentheses */
    { "((age = 40))",                                    ROW, 1 },
    { "(sport = soccer) and (age > 30 or age < 10)",     ROW, 1 },
    { "(age>39)and(sport=soccer)",                       ROW, 1 },
    { "( ( sport = soccer ) )",                          ROW, 1 },
    /* quoted strings with doubled quotes */
    { "name = 'O''Brien'",         ROW, 1 },
    { "name = \"O'Brien\"",        ROW, 1 },
    { "note = 'a \"b\"'",          ROW, 1 },
    { "note = \"a \"\"b\"\"\"",    ROW, 1 },
    { "note = 'a b'",              ROW, 0 },
    { "sport = 'and'",             ROW, 0 },   /* a quoted keyword is text */
    /* column names and keywords in any case; backquoted names */
    { "AGE = 40 AND Sport = soccer",       ROW, 1 },
    { "sport In (soccer) Or age Is Empty", ROW, 1 },
    { "NOT sport = running",               ROW, 1 },
    { "total = 7",                         ROW, 1 },
    { "TOTAL > 6",                         ROW, 1 },
    { "`heart rate` > 100",                ROW, 1 },
    { "`HEART RATE` = 150",                ROW, 1 },
    { "` total ` = 7",                     ROW, 1 },
    { "`in` = x",                          ROW, 1 },
    { "`sport` in (soccer)",               ROW, 1 },
    /* a bare word on the right is a value, even when it names a column */
    { "name = sport",                      ROW, 0 },
    /* column against column, typed like a literal */
    { "age > `score`",                     ROW, 1 },  /* 40 > 10 */
    { "score < `age`",                     ROW, 1 },
    { "day <= `start_time`",               ROW, 1 },
    { "sport = `sport`",                   ROW, 1 },
    { "sport != `name`",                   ROW, 1 },
};

/* Split a '|'-separated row into views; at most 16 fields. */
static size_t split(const char *row, cs_str *out)
{
    size_t n = 0;
    const char *p = row, *bar;

    for (;;) {
        bar = strchr(p, '|');
        out[n].ptr = p;
        out[n].len = bar ? (size_t)(bar - p) : strlen(p);
        n++;
        if (!bar || n == 16)
            return n;
        p = bar + 1;
    }
}

static void header(cs_str *out)
{
    for (size_t i = 0; i < NCOLS; i++) {
        out[i].ptr = header_names[i];
        out[i].len = strlen(header_names[i]);
    }
}

static void test_filter_cases(void **state)
{
    cs_str hdr[NCOLS], fields[16];

    (void)state;
    header(hdr);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_error err = {0};
        cs_filter *f = NULL;
        size_t n = split(cases[i].row, fields);
        int rc;

        print_message("case %zu: %s\n", i, cases[i].expr);
        rc = cs_filter_compile(&f, cases[i].expr, hdr, NCOLS, &err);
        if (rc != CS_OK)
            print_error("unexpected error at %lu: %s\n", err.col, err.msg);
        assert_int_equal(rc, CS_OK);
        assert_int_equal(cs_filter_match(f, fields, n, &err), cases[i].keep);
        assert_int_equal(err.code, CS_OK);
        cs_filter_free(f);
    }
}

static const struct {
    const char *expr;
    int code;
    unsigned long col;   /* 1-based byte column of the caret */
    const char *msg;     /* substring of err.msg */
} errors[] = {
    /* unknown and ambiguous columns */
    { "agee > 40",              CS_EUSAGE, 1,
      "unknown column \"agee\" (did you mean \"age\"?)" },
    { "age > 40 and spurt = x", CS_EUSAGE, 14, "(did you mean \"sport\"?)" },
    { "sex = F and `hart rate` > 1", CS_EUSAGE, 13,
      "unknown column \"hart rate\" (did you mean \"heart rate\"?)" },
    { "zzz = 1",                CS_EUSAGE, 1, "unknown column \"zzz\"" },
    { "age = 1 or temp_c > 30", CS_EUSAGE, 12, "unknown column \"temp_c\"" },
    { "age > `zzz`",            CS_EUSAGE, 7, "unknown column \"zzz\"" },
    { "heart-rate > 1",         CS_EUSAGE, 1, "unknown column \"heart-rate\"" },
    { "dup = 1",                CS_EUSAGE, 1, "ambiguous" },
    { "`` = 1",                 CS_EPARSE, 1, "empty column name" },
    /* empty expression */
    { "",                       CS_EPARSE, 1, "empty expression" },
    { "   ",                    CS_EPARSE, 1, "empty expression" },
    /* bad syntax at the start, in the middle and at the end */
    { "= 5",                    CS_EPARSE, 1,
      "expected a column name before \"=\"" },
    { "and age = 1",            CS_EPARSE, 1, "unexpected \"and\"" },
    { "age = 1 and and sex = F", CS_EPARSE, 13, "unexpected \"and\"" },
    { "age = 1 or OR sex = F",  CS_EPARSE, 12, "unexpected \"OR\"" },
    { ", age = 1",              CS_EPARSE, 1, "unexpected \",\"" },
    { "age >",                  CS_EPARSE, 6, "expected a value after \">\"" },
    { "age >   ",               CS_EPARSE, 9, "expected a value after \">\"" },
    { "age > and sex = F",      CS_EPARSE, 7, "expected a value after \">\"" },
    { "age = )",                CS_EPARSE, 7, "expected a value after \"=\"" },
    { "age = = 1",              CS_EPARSE, 7, "expected a value after \"=\"" },
    { "age 40",                 CS_EPARSE, 5,
      "expected an operator (=, !=, <, <=, >, >=, in, is) after \"age\"" },
    { "age",                    CS_EPARSE, 4, "expected an operator" },
    { "age = 1 and",            CS_EPARSE, 12,
      "expected a condition after \"and\"" },
    { "age = 1 or ",            CS_EPARSE, 12,
      "expected a condition after \"or\"" },
    { "not",                    CS_EPARSE, 4,
      "expected a condition after \"not\"" },
    { "age = 1 and = 2",        CS_EPARSE, 13,
      "expected a condition after \"and\"" },
    { "age ! 5",                CS_EPARSE, 5, "unexpected \"!\"" },
    { "age !",                  CS_EPARSE, 5, "unexpected \"!\"" },
    { "age not 5",              CS_EPARSE, 9, "expected \"in\" after \"not\"" },
    { "age is full",            CS_EPARSE, 8,
      "expected \"empty\" or \"not empty\" after \"is\"" },
    { "age is not",             CS_EPARSE, 11, "expected \"empty\"" },
    /* parentheses */
    { "(age = 1",               CS_EPARSE, 1, "unbalanced parenthesis" },
    { "((age = 1)",             CS_EPARSE, 1, "unbalanced parenthesis" },
    { "(age = 1) and (sex = F", CS_EPARSE, 15, "unbalanced parenthesis" },
    { "age = 1)",               CS_EPARSE, 8, "unbalanced parenthesis" },
    { "age = 1 )",              CS_EPARSE, 9, "unbalanced parenthesis" },
    { ")",                      CS_EPARSE, 1, "unbalanced parenthesis" },
    { "()",                     CS_EPARSE, 2,
      "expected a condition after \"(\"" },
    { "(age = 40 sex)",         CS_EPARSE, 11,
      "unexpected \"sex\"; expected \"and\", \"or\" or \")\"" },
    /* in-lists */
    { "age in 1, 2",            CS_EPARSE, 8, "expected \"(\" after \"in\"" },
    { "age in",                 CS_EPARSE, 7, "expected \"(\" after \"in\"" },
    { "age in ()",              CS_EPARSE, 9, "expected a value after \"(\"" },
    { "age in (1,)",            CS_EPARSE, 11, "expected a value after \",\"" },
    { "age in (1 2)",           CS_EPARSE, 11,
      "expected \",\" or \")\" in the list, got \"2\"" },
    { "age in (1, 2",           CS_EPARSE, 8, "unbalanced parenthesis" },
    { "age in (1, 2,",          CS_EPARSE, 8, "unbalanced parenthesis" },
    { "sex in (F, M and age = 1)", CS_EPARSE, 14, "expected \",\" or \")\"" },
    /* unterminated quotes point where they open */
    { "name = 'abc",            CS_EPARSE, 8, "unterminated string" },
    { "name = \"it\"\"s",       CS_EPARSE, 8, "unterminated string" },
    { "name = 'it''",           CS_EPARSE, 8, "unterminated string" },
    { "`heart rate > 1",        CS_EPARSE, 1, "unterminated column name" },
    /* the first error in reading order wins over a later lexical one */
    { "age > > 'abc",           CS_EPARSE, 7, "expected a value after \">\"" },
    /* trailing garbage */
    { "age = 40 sex",           CS_EPARSE, 10,
      "unexpected \"sex\"; expected \"and\", \"or\" or the end" },
    { "age = 40 = 5",           CS_EPARSE, 10, "unexpected \"=\"" },
    { "age in (1) (",           CS_EPARSE, 12, "unexpected \"(\"" },
    { "age is empty x",         CS_EPARSE, 14, "unexpected \"x\"" },
    /* comparisons that could never hold */
    { "age = NA",               CS_EPARSE, 7, "missing value" },
    { "age != ''",              CS_EPARSE, 8, "missing value" },
    { "sex in (F, n/a)",        CS_EPARSE, 12, "missing value" },
    { "1 = 2",                  CS_EPARSE, 1, "no column in this comparison" },
    { "'x' = '1'",              CS_EPARSE, 1, "no column in this comparison" },
    { "'x' = 2024-06-01",       CS_EPARSE, 1, "no column in this comparison" },
    { "'x' = sexx",             CS_EUSAGE, 7, "unknown column \"sexx\"" },
    { "5 < and",                CS_EPARSE, 5,
      "expected a column name after \"<\"" },
    { "5 in (1)",               CS_EPARSE, 1,
      "expected a column name before \"in\"" },
    { "'a' is empty",           CS_EPARSE, 1,
      "expected a column name before \"is\"" },
};

static void test_filter_errors(void **state)
{
    cs_str hdr[NCOLS];

    (void)state;
    header(hdr);
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        cs_error err = {0};
        cs_filter *f = (cs_filter *)&err;  /* must be reset to NULL */

        print_message("error %zu: %s\n", i, errors[i].expr);
        assert_int_equal(cs_filter_compile(&f, errors[i].expr, hdr, NCOLS,
                                           &err), errors[i].code);
        assert_null(f);
        assert_int_equal(err.code, errors[i].code);
        assert_string_equal(err.src, "expression");
        assert_int_equal(err.line, 1);
        if (err.col != errors[i].col || !strstr(err.msg, errors[i].msg))
            print_error("got col %lu: %s\n", err.col, err.msg);
        assert_int_equal(err.col, errors[i].col);
        assert_non_null(strstr(err.msg, errors[i].msg));
    }
}

/* Build "((( ... age = 40 ... )))" nested depth deep. */
static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 16);

    assert_non_null(s);
    memset(s, '(', (size_t)depth);
    strcpy(s + depth, "age = 40");
    memset(s + depth + 8, ')', (size_t)depth);
    s[depth * 2 + 8] = '\0';
    return s;
}

static void test_filter_nesting(void **state)
{
    cs_str hdr[NCOLS], fields[16];
    size_t n = split(ROW, fields);
    cs_error err = {0};
    cs_filter *f = NULL;
    char *s;

    (void)state;
    header(hdr);
    s = nested(CS_FILTER_DEPTH_MAX);
    assert_int_equal(cs_filter_compile(&f, s, hdr, NCOLS, &err), CS_OK);
    assert_int_equal(cs_filter_match(f, fields, n, &err), 1);
    cs_filter_free(f);
    free(s);

    s = nested(CS_FILTER_DEPTH_MAX + 1);
    assert_int_equal(cs_filter_compile(&f, s, hdr, NCOLS, &err), CS_ELIMIT);
    assert_null(f);
    assert_int_equal(err.col, CS_FILTER_DEPTH_MAX + 1);
    assert_non_null(strstr(err.msg, "nested"));
    free(s);
}

/* Long chains of or, and and not must not recurse once per link. */
static void test_filter_long_chains(void **state)
{
    enum { LINKS = 20000 };
    cs_str hdr[NCOLS], fields[16];
    size_t n = split(ROW, fields), len = 0;
    char *s = malloc(LINKS * 24 + 32);
    cs_error err = {0};
    cs_filter *f = NULL;

    (void)state;
    assert_non_null(s);
    header(hdr);
    for (int i = 0; i < LINKS; i++)
        len += (size_t)sprintf(s + len, "age = %d or ", 100 + i);
    strcpy(s + len, "age = 40");
    assert_int_equal(cs_filter_compile(&f, s, hdr, NCOLS, &err), CS_OK);
    assert_int_equal(cs_filter_match(f, fields, n, &err), 1);
    cs_filter_free(f);

    len = 0;
    for (int i = 0; i < LINKS; i++)
        len += (size_t)sprintf(s + len, "age > %d and ", -i);
    strcpy(s + len, "age = 41");
    assert_int_equal(cs_filter_compile(&f, s, hdr, NCOLS, &err), CS_OK);
    assert_int_equal(cs_filter_match(f, fields, n, &err), 0);
    cs_filter_free(f);

    len = 0;
    for (int i = 0; i < LINKS + 1; i++)   /* odd: one not in effect */
        len += (size_t)sprintf(s + len, "not ");
    strcpy(s + len, "age = 40");
    assert_int_equal(cs_filter_compile(&f, s, hdr, NCOLS, &err), CS_OK);
    assert_int_equal(cs_filter_match(f, fields, n, &err), 0);
    cs_filter_free(f);
    free(s);
}

/* The compiled filter keeps no pointer into the expression or header. */
static void test_filter_owns_its_text(void **state)
{
    cs_str hdr[1], fields[1] = { { "O'Brien", 7 } };
    char expr[] = "name in ('O''Brien', x) and `name` = \"O'Brien\"";
    char name[] = "name";
    cs_error err = {0};
    cs_filter *f = NULL;

    (void)state;
    hdr[0].ptr = name;
    hdr[0].len = 4;
    assert_int_equal(cs_filter_compile(&f, expr, hdr, 1, &err), CS_OK);
    memset(expr, 'z', sizeof expr - 1);
    memset(name, 'z', sizeof name - 1);
    assert_int_equal(cs_filter_match(f, fields, 1, &err), 1);
    cs_filter_free(f);
    cs_filter_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_cases),
        cmocka_unit_test(test_filter_errors),
        cmocka_unit_test(test_filter_nesting),
        cmocka_unit_test(test_filter_long_chains),
        cmocka_unit_test(test_filter_owns_its_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
