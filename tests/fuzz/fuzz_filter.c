/* libFuzzer harness: the filter expression compiler against a fixed
 * header (the tagged columns people filter on, plus awkward names), then
 * matching on a few fixed rows: typical, missing values, short. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/filter.h>

#define S(x) { x, sizeof(x) - 1 }

static const cs_str header[] = {
    S("participant_id"), S("session_id"), S("start_time"), S("activity"),
    S("duration_min"), S("intensity_rpe"), S("temp_c"), S("sex"),
    S("age_years"), S("stretched"), S("cramp"), S("heat"), S(" Odd Name "),
    S("a`b"), S("and"), S("40"), S(""), S("dup"), S("DUP"),
};
#define NCOLS (sizeof header / sizeof header[0])

static const cs_str row1[] = {
    S("P01"), S("S01"), S("2024-06-01T10:00+02:00"), S("soccer"), S("45.5"),
    S("7"), S("31.2"), S("F"), S("41"), S("yes"), S("no"), S("1"),
    S(" x "), S("`"), S("and"), S("40"), S(""), S("a"), S("b"),
};
static const cs_str row2[] = {
    S("P02"), S(""), S("2024-06-01"), S("NA"), S("-0"), S("1e400"),
    S("NaN"), S("n/a"), S("inf"), S("Y"), S("0"), S(""), S(""), S("''"),
    S("or"), S("-40"), S("x"), S(""), S(""),
};
static const cs_str row3[] = { S("P03"), S("S3") };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_error err = {0};
    cs_filter *f = NULL;
    char *expr;

    if (size > 4096)
        return 0;
    if (!(expr = malloc(size + 1)))
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';
    if (cs_filter_compile(&f, expr, header, NCOLS, &err) < 0) {
        assert(f == NULL && err.code != CS_OK && err.msg[0]);
        /* The caret points inside the expression or one past its end. */
        assert(err.col <= strlen(expr) + 1);
    } else {
        int m1 = cs_filter_match(f, row1, NCOLS, &err);
        int m2 = cs_filter_match(f, row2, NCOLS, &err);
        int m3 = cs_filter_match(f, row3, 2, &err);
        int m0 = cs_filter_match(f, NULL, 0, &err);
        assert(m1 >= 0 && m1 <= 1 && m2 >= 0 && m2 <= 1);
        assert(m3 >= 0 && m3 <= 1 && m0 >= 0 && m0 <= 1);
        cs_filter_free(f);
    }
    free(expr);
    return 0;
}
